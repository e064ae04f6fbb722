//! Getting an SSO token from the OIDC service: the device-authorization login
//! (RFC 8628, SPEC §5) and the silent `refresh_token` grant (SPEC §3 step 3).

use time::{Duration, OffsetDateTime};

use crate::config::SsoSession;
use crate::context::Context;
use crate::endpoints::is_loopback;
use crate::error::{Error, Result};
use crate::http::url_host;
use crate::oidc::{Grant, GrantRequest, Issued, Oidc};
use crate::store::Store;
use crate::token::{Flow, Registration, Token};

/// Seconds between polls when the service does not say (botocore's default).
const DEFAULT_INTERVAL: i64 = 5;
/// What `slow_down` adds to the interval, for all later polls.
const SLOW_DOWN_STEP: i64 = 5;

pub struct LoginOptions<'a> {
    pub no_browser: bool,
    /// The command to suggest when the user must try again.
    pub retry_command: &'a str,
}

/// The client registration for a device login: the stored one while it fits,
/// else a new one, stored for next time.
fn registration(
    ctx: &Context,
    oidc: &Oidc<'_>,
    store: &dyn Store,
    session: &SsoSession,
    fresh: bool,
) -> Result<Registration> {
    let now = ctx.now();
    if !fresh
        && let Some(reg) = store
            .load_registration(session)
            .filter(|r| r.fits(Flow::Device, now))
    {
        ctx.debug(|| "reusing the stored client registration".into());
        return Ok(reg);
    }
    let name = match &session.name {
        Some(n) => format!("sso-helper-{n}"),
        None => format!("sso-helper-{}", now.unix_timestamp()),
    };
    let reg = oidc.register_client(&name, &session.scopes, Flow::Device, now)?;
    store.save_registration(session, &reg)?;
    Ok(reg)
}

/// The device-code login: shows the code and URL (on the terminal too), opens the
/// browser unless told not to, and polls until the user approves, denies, or the
/// code expires.
pub fn device_login(
    ctx: &Context,
    oidc: &Oidc<'_>,
    store: &dyn Store,
    session: &SsoSession,
    opts: &LoginOptions<'_>,
) -> Result<Token> {
    let host = url_host(&oidc.base);
    let mut reg = registration(ctx, oidc, store, session, false)?;
    let auth = match oidc.start_device_authorization(&reg, &session.start_url)? {
        Ok(auth) => auth,
        Err(Grant::InvalidClient) => {
            // The stored registration was revoked or is unknown: register anew, once.
            reg = registration(ctx, oidc, store, session, true)?;
            oidc.start_device_authorization(&reg, &session.start_url)?
                .map_err(|g| g.into_error("StartDeviceAuthorization", &host))?
        }
        Err(g) => return Err(g.into_error("StartDeviceAuthorization", &host)),
    };
    let mut interval = auth.interval.filter(|i| *i > 0).unwrap_or(DEFAULT_INTERVAL);
    // The service ends the code with `expired_token`; this only guards against one that never does.
    let deadline = ctx.now() + Duration::seconds(auth.expires_in.max(60) + 60);
    let mut prompted = false;
    loop {
        match oidc.create_token(&reg, GrantRequest::DeviceCode(&auth.device_code))? {
            Grant::Token(issued) => {
                let token = token_from(issued, reg, session, ctx.now(), None);
                ctx.show(&format!(
                    "sso-helper: signed in to {}; the token is valid until {}",
                    session.describe(),
                    crate::timestamp::format_utc(token.expires_at)
                ));
                return Ok(token);
            }
            Grant::Pending => {}
            Grant::SlowDown => interval += SLOW_DOWN_STEP,
            Grant::Expired => return Err(expired(opts, auth.expires_in)),
            Grant::Denied => {
                return Err(Error::Login {
                    message: format!(
                        "the sign-in to {} was denied in the browser",
                        session.describe()
                    ),
                    hint: format!("run `{}` again and allow access", opts.retry_command),
                });
            }
            g => return Err(g.into_error("CreateToken", &host)),
        }
        if !prompted {
            prompted = true;
            prompt(
                ctx,
                session,
                &auth.verification_uri,
                &auth.verification_uri_complete,
                &auth.user_code,
                opts.no_browser,
            );
        }
        if ctx.now() > deadline {
            return Err(expired(opts, auth.expires_in));
        }
        ctx.sleep(std::time::Duration::from_secs(interval as u64));
    }
}

fn expired(opts: &LoginOptions<'_>, expires_in: i64) -> Error {
    Error::Login {
        message: "the sign-in request expired before it was approved in the browser".into(),
        hint: format!(
            "run `{}` again and approve it within {} minutes",
            opts.retry_command,
            (expires_in / 60).max(1)
        ),
    }
}

fn prompt(
    ctx: &Context,
    session: &SsoSession,
    uri: &str,
    uri_complete: &str,
    code: &str,
    no_browser: bool,
) {
    ctx.show(&format!(
        "sso-helper: sign in to {} ({}) with the code {code}",
        session.describe(),
        session.start_url
    ));
    if no_browser {
        ctx.show(&format!(
            "sso-helper: open {uri_complete} (or {uri} and enter the code) in a browser"
        ));
        return;
    }
    if !browser_safe(uri_complete) {
        ctx.show(&format!(
            "sso-helper: not opening {uri_complete} automatically (not an https URL); open it yourself if you trust it"
        ));
        return;
    }
    ctx.show(&format!(
        "sso-helper: opening {uri_complete} in your browser"
    ));
    if let Err(e) = ctx.open_browser(uri_complete) {
        ctx.show(&format!(
            "sso-helper: could not open a browser ({e}); open {uri_complete} yourself"
        ));
    }
}

/// The browser is only pointed at https, or plain http on loopback (SPEC §8).
fn browser_safe(url: &str) -> bool {
    url.starts_with("https://")
        || url
            .strip_prefix("http://")
            .is_some_and(|rest| is_loopback(crate::endpoints::host_of(rest)))
}

/// The silent refresh. `Ok(None)` when the service will not refresh it
/// (`invalid_grant`, a revoked client, …): the caller logs in instead. A request
/// that gets no answer is an error — logging in would not fare better.
pub fn refresh(
    ctx: &Context,
    oidc: &Oidc<'_>,
    session: &SsoSession,
    token: &Token,
) -> Result<Option<Token>> {
    let now = ctx.now();
    let Some((refresh_token, reg)) = token.refresh_material(now) else {
        return Ok(None);
    };
    match oidc.create_token(reg, GrantRequest::RefreshToken(refresh_token)) {
        Ok(Grant::Token(issued)) => {
            ctx.debug(|| format!("refreshed the token for {}", session.describe()));
            Ok(Some(token_from(
                issued,
                reg.clone(),
                session,
                now,
                Some(refresh_token),
            )))
        }
        Ok(other) => {
            ctx.debug(|| format!("refresh refused ({other:?}); a new sign-in is needed"));
            Ok(None)
        }
        Err(e @ (Error::Network { .. } | Error::BadResponse { .. })) => Err(e),
        Err(Error::Aws { status, .. }) if status < 500 && status != 429 => {
            ctx.debug(|| format!("refresh failed with HTTP {status}; a new sign-in is needed"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A stored token from a CreateToken answer. A refresh that returns no new refresh
/// token keeps the old one (as smithy-rs does; botocore would drop it).
fn token_from(
    issued: Issued,
    reg: Registration,
    session: &SsoSession,
    now: OffsetDateTime,
    old_refresh: Option<&crate::secret::Secret>,
) -> Token {
    Token {
        start_url: session.start_url.clone(),
        region: session.region.clone(),
        access_token: issued.access_token,
        expires_at: now + Duration::seconds(issued.expires_in),
        refresh_token: issued.refresh_token.or_else(|| old_refresh.cloned()),
        registration: Some(reg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_only_gets_https_or_loopback() {
        assert!(browser_safe(
            "https://device.sso.us-east-1.amazonaws.com/?user_code=A"
        ));
        assert!(browser_safe("http://127.0.0.1:4000/device?user_code=A"));
        assert!(!browser_safe("http://evil.example/device"));
        assert!(!browser_safe("file:///etc/passwd"));
        assert!(!browser_safe("javascript:alert(1)"));
    }
}
