//! `sso-helper console`: an AWS Management Console sign-in for a profile's role,
//! through the AWS Sign-In federation endpoint
//! (docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html):
//! the role credentials, then `Action=getSigninToken` with the session JSON, then
//! the `Action=login` URL with `Issuer`, `Destination` and the sign-in token.
//!
//! The login URL signs in whoever opens it for 15 minutes: it is a secret. It is
//! opened in the browser, or printed on stdout with `--print` — never on stderr
//! and never in a log line (the token request's query, which holds the role's
//! secret key, is not logged either).

use serde::Deserialize;

use crate::config::profile_header;
use crate::context::Context;
use crate::credentials::{self, Options};
use crate::endpoints;
use crate::error::{Error, Result};
use crate::http::{Http, Method, Request, Retry, decode, query_escape};
use crate::portal::RoleCredentials;
use crate::secret::Secret;

/// How the console names who signed in.
const ISSUER: &str = "sso-helper";

/// The Sign-In endpoint and console home for the partition of `region` (the SSO
/// region: a session's accounts are in its partition).
pub fn partition_hosts(region: &str) -> Result<(&'static str, &'static str)> {
    if region.starts_with("us-gov-") {
        Ok((
            "https://signin.amazonaws-us-gov.com",
            "https://console.amazonaws-us-gov.com/",
        ))
    } else if region.starts_with("cn-") {
        Ok((
            "https://signin.amazonaws.cn",
            "https://console.amazonaws.cn/",
        ))
    } else if region.contains("-iso") {
        Err(Error::Environment {
            message: format!(
                "console sign-in through the federation endpoint is not available in the partition of {region}"
            ),
            hint: "set AWS_ENDPOINT_URL_SIGNIN to your partition's sign-in endpoint if it has one"
                .into(),
        })
    } else {
        Ok((
            "https://signin.aws.amazon.com",
            "https://console.aws.amazon.com/",
        ))
    }
}

/// The federation endpoint: `AWS_ENDPOINT_URL_SIGNIN`, else `AWS_ENDPOINT_URL`
/// (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), else the partition's.
fn signin_endpoint(ctx: &Context, region: &str) -> Result<String> {
    let ignore = ctx
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !ignore {
        for var in ["AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"] {
            if let Some(url) = ctx.var(var) {
                return endpoints::checked(url, var, || format!("the {var} environment variable"));
            }
        }
    }
    Ok(partition_hosts(region)?.0.to_string())
}

#[derive(Deserialize)]
struct SigninTokenOut {
    #[serde(rename = "SigninToken")]
    signin_token: Secret,
}

/// The session JSON the federation endpoint takes, with the role credentials.
fn session_json(c: &RoleCredentials) -> Secret {
    Secret::new(
        serde_json::json!({
            "sessionId": c.access_key_id,
            "sessionKey": c.secret_access_key.expose(),
            "sessionToken": c.session_token.expose(),
        })
        .to_string(),
    )
}

/// The sign-in URL for the console at `destination`.
pub fn login_url(base: &str, token: &Secret, destination: &str) -> Secret {
    Secret::new(format!(
        "{base}/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
        query_escape(ISSUER),
        query_escape(destination),
        query_escape(token.expose())
    ))
}

/// `sso-helper console`: opens the console signed in as the profile's role, or
/// (`print`) returns the URL; returns what to print on stdout.
pub fn run(
    ctx: &Context,
    opts: &Options,
    destination: Option<&str>,
    print: bool,
) -> Result<String> {
    let config_path = crate::config::config_path(ctx)?;
    let profile = credentials::profile_name(ctx, opts.profile.as_deref());
    let config = crate::config::ConfigFile::load(&config_path)?;
    let target_name = config
        .companion_target(&profile)
        .unwrap_or_else(|| profile.clone());
    let target = config.role_profile(&target_name)?;
    let (_, console_home) = partition_hosts(&target.session.region).unwrap_or(("", ""));
    let destination = match destination {
        Some(d) => {
            if !d.starts_with("https://") {
                return Err(Error::Usage(format!(
                    "--destination {d}: use an https:// URL of the console, like https://console.aws.amazon.com/s3/"
                ))
                .hinted(None, "run `sso-helper console --help` for its usage"));
            }
            d.to_string()
        }
        None => {
            let home = if console_home.is_empty() {
                "https://console.aws.amazon.com/"
            } else {
                console_home
            };
            // The region of the profile given, else of the one it points at.
            let region = config
                .profile(&profile)
                .and_then(|p| p.get("region"))
                .or_else(|| config.profile(&target_name).and_then(|p| p.get("region")));
            match region {
                Some(r) if crate::config::check_region(&config_path, "", "region", r).is_ok() => {
                    format!("{home}console/home?region={r}")
                }
                _ => home.to_string(),
            }
        }
    };
    let base = signin_endpoint(ctx, &target.session.region)?;
    let creds = credentials::run(ctx, opts)?;
    let http = credentials::http_for(ctx, &config, &target_name)?;
    let token = signin_token(&http, &base, &creds)?;
    let url = login_url(&base, &token, &destination);
    let who = format!(
        "[{}] (account {}, role {})",
        profile_header(&target_name),
        target.account_id,
        target.role_name
    );
    if print {
        ctx.show(&format!(
            "sso-helper: this URL signs in whoever opens it as {who} for 15 minutes; do not share it"
        ));
        return Ok(url.expose().to_string());
    }
    ctx.open_browser(url.expose()).map_err(|why| Error::Login {
        message: format!("could not open a browser for the console: {why}"),
        hint: format!(
            "run `sso-helper console --profile {} --print` and open the URL yourself",
            crate::config::shell_quote(&profile)
        ),
    })?;
    Ok(format!("opened the AWS console as {who} in your browser"))
}

/// `Action=getSigninToken`: the session JSON, percent-encoded (secret keys hold
/// `+` and `/`), in the query; never retried past what cannot have arrived.
fn signin_token(http: &Http<'_>, base: &str, creds: &RoleCredentials) -> Result<Secret> {
    const OP: &str = "GetSigninToken";
    let session = session_json(creds);
    let a = http.send(&Request {
        op: OP,
        method: Method::Get,
        url: format!(
            "{base}/federation?Action=getSigninToken&Session={}",
            query_escape(session.expose())
        ),
        bearer: None,
        json: None,
        retry: Retry::Standard,
        secret_query: true,
    })?;
    let out: SigninTokenOut = decode(OP, &a)?;
    Ok(out.signin_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(
            partition_hosts("eu-west-1").unwrap().0,
            "https://signin.aws.amazon.com"
        );
        assert_eq!(
            partition_hosts("us-gov-west-1").unwrap().0,
            "https://signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            partition_hosts("cn-north-1").unwrap().0,
            "https://signin.amazonaws.cn"
        );
        assert!(partition_hosts("us-iso-east-1").is_err());
    }

    #[test]
    fn secret_keys_with_plus_and_slash_survive_the_query() {
        let c = RoleCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("ab+cd/ef=="),
            session_token: Secret::new("t+o/k="),
            expiration: time::macros::datetime!(2026-11-23 13:00:00 UTC),
            account_id: "111111111111".into(),
        };
        let encoded = query_escape(session_json(&c).expose());
        assert!(
            !encoded.contains('+') && !encoded.contains('/'),
            "{encoded}"
        );
        let decoded = crate::http::query_unescape(&encoded);
        let v: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(v["sessionKey"], "ab+cd/ef==");
        let url = login_url(
            "https://signin.aws.amazon.com",
            &Secret::new("tok+/"),
            "https://console.aws.amazon.com/",
        );
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=sso-helper&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=tok%2B%2F"
        );
    }
}
