//! `sso-helper export`: credentials for shells and for tools that cannot run
//! credential_process.

use crate::context::Context;
use crate::credentials::Options;
use crate::error::{Error, Result};

pub fn run(ctx: &Context, opts: &Options, format: &str, to: Option<&str>) -> Result<String> {
    let _ = (ctx, opts, format, to);
    Err(Error::Usage("export is not built yet".into()))
}
