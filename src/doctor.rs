//! `sso-helper doctor`: one line per check, ok / warn / fail.

use crate::context::Context;
use crate::credentials::Options;
use crate::error::{Error, Result};

/// The report, and whether a check failed.
pub fn run(ctx: &Context, opts: &Options) -> Result<(String, bool)> {
    let _ = (ctx, opts);
    Err(Error::Usage("doctor is not built yet".into()))
}
