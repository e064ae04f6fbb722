//! `sso-helper configure`: layout-B profiles for every account and role of a session.

use crate::cli::Args;
use crate::credentials::{Options, Session};
use crate::error::{Error, Result};

/// Prints (or, with `--write`, adds to the config file) the profiles.
pub fn run(session: &Session<'_>, opts: &Options, args: &Args) -> Result<String> {
    let _ = (session, opts, args);
    Err(Error::Usage("configure is not built yet".into()))
}
