//! `sso-helper list` and `sso-helper status`.

use crate::config::SsoSession;
use crate::credentials::{Options, Session};
use crate::error::{Error, Result};

pub fn list(session: &Session<'_>, sso: &SsoSession, opts: &Options, json: bool) -> Result<String> {
    let _ = (session, sso, opts, json);
    Err(Error::Usage("list is not built yet".into()))
}

pub fn status(session: &Session<'_>, json: bool) -> Result<String> {
    let _ = (session, json);
    Err(Error::Usage("status is not built yet".into()))
}
