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

/// The Sign-In endpoint, console home and console domain of a partition.
pub struct Partition {
    pub signin: &'static str,
    pub home: &'static str,
    /// Every console address is this host or under it.
    pub domain: &'static str,
}

/// The partition of `region` (the SSO region: a session's accounts are in its
/// partition), by botocore's `partitions.json` region patterns; `None` for the
/// partitions whose Sign-In host is not public (aws-iso*, aws-eusc).
pub fn partition(region: &str) -> Option<Partition> {
    if region.starts_with("us-gov-") {
        Some(Partition {
            signin: "https://signin.amazonaws-us-gov.com",
            home: "https://console.amazonaws-us-gov.com/",
            domain: "amazonaws-us-gov.com",
        })
    } else if region.starts_with("cn-") {
        Some(Partition {
            signin: "https://signin.amazonaws.cn",
            home: "https://console.amazonaws.cn/",
            domain: "amazonaws.cn",
        })
    } else if crate::endpoints::dns_suffix(region) != "amazonaws.com" {
        None
    } else {
        Some(Partition {
            signin: "https://signin.aws.amazon.com",
            home: "https://console.aws.amazon.com/",
            domain: "aws.amazon.com",
        })
    }
}

fn no_public_signin(region: &str) -> Error {
    Error::Environment {
        message: format!(
            "the console sign-in endpoint of the partition of {region} is not known to sso-helper"
        ),
        hint: "set AWS_ENDPOINT_URL_SIGNIN to your partition's sign-in endpoint and pass \
               --destination with its console URL"
            .into(),
    }
}

/// The console URL to open: `--destination` checked, or the console home (in
/// `region` when given). A destination is an `https` URL on the partition's
/// console domain, or a path (`/s3/`) under its console home.
///
/// # Errors
/// A usage error (exit 2) naming what is wrong with `--destination`; an
/// environment error when the partition's console home is not known and none was
/// given.
pub fn destination_url(
    given: Option<&str>,
    partition: Option<&Partition>,
    region: Option<&str>,
    session_region: &str,
) -> Result<String> {
    let bad = |why: String| {
        let example = partition.map_or("https://console.aws.amazon.com/s3/", |p| {
            if p.domain == "aws.amazon.com" {
                "https://console.aws.amazon.com/s3/"
            } else {
                p.home
            }
        });
        Error::Usage(format!(
            "--destination {}: {why}; give a console URL like {example} or a path like /s3/",
            crate::error::printable(given.unwrap_or_default(), 200)
        ))
        .hinted(None, "run `sso-helper console --help` for its usage")
    };
    let Some(d) = given else {
        let home = partition
            .ok_or_else(|| no_public_signin(session_region))?
            .home;
        return Ok(match region {
            Some(r) => format!("{home}console/home?region={r}"),
            None => home.to_string(),
        });
    };
    if d.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "it holds a space or a control character (percent-encode it)".into(),
        ));
    }
    if d.starts_with('/') && !d.starts_with("//") {
        let Some(p) = partition else {
            return Err(bad(
                "a path needs the partition's console home, which is not known".into(),
            ));
        };
        return Ok(format!("{}{d}", p.home.trim_end_matches('/')));
    }
    let rest = match d.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("https://") => &d[8..],
        _ => return Err(bad("it is not an https:// URL".into())),
    };
    let host = crate::endpoints::host_of(rest).to_ascii_lowercase();
    if host.is_empty() {
        return Err(bad("it names no host".into()));
    }
    if let Some(p) = partition
        && host != p.domain
        && !host.ends_with(&format!(".{}", p.domain))
    {
        return Err(bad(format!(
            "{host} is not a console address of this partition ({})",
            p.domain
        )));
    }
    Ok(format!("https://{rest}"))
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
    partition(region)
        .map(|p| p.signin.to_string())
        .ok_or_else(|| no_public_signin(region))
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
    // The region: the environment's, as the AWS CLI takes it, else the profile
    // given's, else the one of the profile it points at.
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|v| ctx.var(v).filter(|r| !r.is_empty()))
        .or_else(|| config.profile(&profile).and_then(|p| p.get("region")))
        .or_else(|| config.profile(&target_name).and_then(|p| p.get("region")))
        .filter(|r| crate::config::check_region(&config_path, "", "region", r).is_ok());
    let destination = destination_url(
        destination,
        partition(&target.session.region).as_ref(),
        region,
        &target.session.region,
    )?;
    let base = signin_endpoint(ctx, &target.session.region)?;
    let creds = credentials::run(ctx, opts)?;
    let http = credentials::http_for(ctx, &config, &target_name)?;
    let token = signin_token(&http, &base, &creds)?;
    let url = login_url(&base, &token, &destination);
    let who = format!(
        "[{}] (account {}, role {})",
        profile_header(&profile),
        target.account_id,
        target.role_name
    );
    if print || opts.no_browser || ctx.flag("SSO_HELPER_NO_BROWSER") {
        ctx.show(&format!(
            "sso-helper: this URL signs in whoever opens it as {who} for 15 minutes; do not share it"
        ));
        return Ok(url.expose().to_string());
    }
    ctx.open_browser(url.expose()).map_err(|why| Error::Login {
        message: format!("could not open a browser for the console: {why}"),
        hint: format!(
            "run `sso-helper console --profile {} --print` and open the URL yourself",
            crate::hint::arg(&profile, ctx.platform())
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
            partition("eu-west-1").unwrap().signin,
            "https://signin.aws.amazon.com"
        );
        assert_eq!(
            partition("us-gov-west-1").unwrap().signin,
            "https://signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            partition("cn-north-1").unwrap().signin,
            "https://signin.amazonaws.cn"
        );
        for region in [
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "us-isof-south-1",
            "eusc-de-east-1",
        ] {
            assert!(partition(region).is_none(), "{region}");
        }
    }

    #[test]
    fn destinations_are_console_urls_of_the_partition() {
        let aws = partition("us-east-1");
        let gov = partition("us-gov-west-1");
        let ok = |d: &str, p: &Option<Partition>| {
            destination_url(Some(d), p.as_ref(), None, "x").unwrap()
        };
        assert_eq!(
            ok("https://console.aws.amazon.com/s3/", &aws),
            "https://console.aws.amazon.com/s3/"
        );
        assert_eq!(
            ok("HTTPS://us-east-1.console.aws.amazon.com/ec2/", &aws),
            "https://us-east-1.console.aws.amazon.com/ec2/"
        );
        assert_eq!(
            ok("/s3/home?region=eu-west-1", &aws),
            "https://console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(ok("/s3/", &gov), "https://console.amazonaws-us-gov.com/s3/");
        assert_eq!(
            ok("https://my.console.iso.example/", &None),
            "https://my.console.iso.example/"
        );
        for bad in [
            "https://",
            "https:///s3",
            "https://evil.example.com/",
            "https://console.aws.amazon.com.evil.example/",
            "https://evilaws.amazon.com/",
            "https://console.aws.amazon.com/a b",
            "https://console.aws.amazon.com/a\nb",
            "http://console.aws.amazon.com/",
            "//console.aws.amazon.com/",
            "console.aws.amazon.com",
            "https://console.amazonaws-us-gov.com/",
        ] {
            let e = destination_url(Some(bad), aws.as_ref(), None, "x").unwrap_err();
            let shown = crate::error::one_line(&e);
            assert!(
                shown.starts_with("sso-helper: --destination "),
                "{bad}: {shown}"
            );
            assert!(!shown.contains('\n'), "{shown}");
        }
        assert!(destination_url(Some("/s3/"), None, None, "x").is_err());
        // The home, in the region when there is one; none known, none made up.
        assert_eq!(
            destination_url(None, aws.as_ref(), Some("eu-west-1"), "x").unwrap(),
            "https://console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert!(destination_url(None, None, None, "us-iso-east-1").is_err());
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
