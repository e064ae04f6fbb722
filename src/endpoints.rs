//! Which base URL each API is called at (SPEC §7, reference §1): the
//! service-specific and global `AWS_ENDPOINT_URL*` variables, the profile's
//! `services` section and `endpoint_url`, then the partition's default host for the
//! session's `sso_region` — never the profile's `region`.

use crate::config::{ConfigFile, profile_header};
use crate::context::Context;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// SSO OIDC: RegisterClient, StartDeviceAuthorization, CreateToken.
    Oidc,
    /// The SSO portal: GetRoleCredentials, ListAccounts, ListAccountRoles, Logout.
    Portal,
}

impl Service {
    fn env_var(self) -> &'static str {
        match self {
            Service::Oidc => "AWS_ENDPOINT_URL_SSO_OIDC",
            Service::Portal => "AWS_ENDPOINT_URL_SSO",
        }
    }

    fn services_key(self) -> &'static str {
        match self {
            Service::Oidc => "sso_oidc",
            Service::Portal => "sso",
        }
    }

    fn host_prefix(self) -> &'static str {
        match self {
            Service::Oidc => "oidc",
            Service::Portal => "portal.sso",
        }
    }
}

/// The DNS suffix of the partition a region belongs to.
pub fn dns_suffix(region: &str) -> &'static str {
    const TABLE: &[(&str, &str)] = &[
        ("us-isob-", "sc2s.sgov.gov"),
        ("us-isof-", "csp.hci.ic.gov"),
        ("us-iso-", "c2s.ic.gov"),
        ("eu-isoe-", "cloud.adc-e.uk"),
        ("eusc-", "amazonaws.eu"),
        ("cn-", "amazonaws.com.cn"),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("amazonaws.com", |(_, suffix)| suffix)
}

/// The base URL (no trailing slash) for `service`, for the session in `region`, as
/// configured for `profile` (the profile sso-helper was given, if any).
pub fn resolve(
    ctx: &Context,
    config: &ConfigFile,
    profile: Option<&str>,
    service: Service,
    region: &str,
) -> Result<String> {
    let section = profile.and_then(|p| config.profile(p));
    let ignore = ctx
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| section.and_then(|s| s.get("ignore_configured_endpoint_urls")))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !ignore {
        for var in [service.env_var(), "AWS_ENDPOINT_URL"] {
            if let Some(url) = ctx.var(var) {
                return checked(url, var, || format!("the {var} environment variable"));
            }
        }
        if let (Some(section), Some(profile)) = (section, profile) {
            let who = format!("[{}]", profile_header(profile));
            if let Some(name) = section.get("services") {
                // botocore treats a services section without keys as missing.
                let services = config.services.get(name).filter(|s| !s.is_empty()).ok_or_else(|| {
                    Error::config(
                        &config.path,
                        format!(
                            "{who} has services = {name}, but there is no [services {name}] section"
                        ),
                        format!("add [services {name}] or remove the services key from {who}"),
                    )
                })?;
                if let Some((_, url)) = services
                    .nested(service.services_key())
                    .into_iter()
                    .find(|(k, _)| *k == "endpoint_url")
                {
                    return checked(url, "endpoint_url", || {
                        format!(
                            "{} endpoint_url in [services {name}] of {}",
                            service.services_key(),
                            config.path.display()
                        )
                    });
                }
            }
            if let Some(url) = section.get("endpoint_url") {
                return checked(url, "endpoint_url", || {
                    format!("endpoint_url in {who} of {}", config.path.display())
                });
            }
        }
    }
    Ok(format!(
        "https://{}.{region}.{}",
        service.host_prefix(),
        dns_suffix(region)
    ))
}

/// An override must be `https://…`, or `http://…` to a loopback host.
pub(crate) fn checked(url: &str, name: &str, place: impl Fn() -> String) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let bad = |why: &str| Error::Environment {
        message: format!("{} = {url} {why}", place()),
        hint: format!(
            "set {name} to an https:// URL (http:// is allowed only for 127.0.0.1, localhost or [::1])"
        ),
    };
    if let Some(rest) = url.strip_prefix("https://") {
        if host_of(rest).is_empty() {
            return Err(bad("has no host"));
        }
        return Ok(url.to_string());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        if is_loopback(host_of(rest)) {
            return Ok(url.to_string());
        }
        return Err(bad("uses plain http:// to a host that is not loopback"));
    }
    Err(bad("is not an http(s) URL"))
}

/// The host of `host[:port][/path]` (brackets kept for IPv6).
pub fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.starts_with('[') {
        return authority
            .split(']')
            .next()
            .map_or("", |h| &authority[..h.len() + 1]);
    }
    authority.split(':').next().unwrap_or("")
}

pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn resolve_with(
        vars: &[(&str, &str)],
        config: &str,
        service: Service,
        region: &str,
    ) -> Result<String> {
        let ctx = Context::for_test(vars, None, time::OffsetDateTime::UNIX_EPOCH);
        let cfg = ConfigFile::parse(Path::new("/cfg"), config).unwrap();
        resolve(&ctx, &cfg, Some("p"), service, region)
    }

    #[test]
    fn partition_hosts() {
        for (region, oidc, portal) in [
            (
                "eu-west-1",
                "https://oidc.eu-west-1.amazonaws.com",
                "https://portal.sso.eu-west-1.amazonaws.com",
            ),
            (
                "cn-north-1",
                "https://oidc.cn-north-1.amazonaws.com.cn",
                "https://portal.sso.cn-north-1.amazonaws.com.cn",
            ),
            (
                "us-gov-west-1",
                "https://oidc.us-gov-west-1.amazonaws.com",
                "https://portal.sso.us-gov-west-1.amazonaws.com",
            ),
            (
                "us-iso-east-1",
                "https://oidc.us-iso-east-1.c2s.ic.gov",
                "https://portal.sso.us-iso-east-1.c2s.ic.gov",
            ),
            (
                "us-isob-east-1",
                "https://oidc.us-isob-east-1.sc2s.sgov.gov",
                "https://portal.sso.us-isob-east-1.sc2s.sgov.gov",
            ),
        ] {
            assert_eq!(
                resolve_with(&[], "[profile p]\n", Service::Oidc, region).unwrap(),
                oidc
            );
            assert_eq!(
                resolve_with(&[], "[profile p]\n", Service::Portal, region).unwrap(),
                portal
            );
        }
    }

    #[test]
    fn precedence() {
        let cfg = "[profile p]\nservices = s\nendpoint_url = https://profile.example\n\
                   [services s]\nsso =\n  endpoint_url = https://services-sso.example\n";
        let all = [
            ("AWS_ENDPOINT_URL_SSO", "https://specific.example/"),
            ("AWS_ENDPOINT_URL", "https://global.example"),
        ];
        assert_eq!(
            resolve_with(&all, cfg, Service::Portal, "us-east-1").unwrap(),
            "https://specific.example"
        );
        assert_eq!(
            resolve_with(&all[1..], cfg, Service::Portal, "us-east-1").unwrap(),
            "https://global.example"
        );
        assert_eq!(
            resolve_with(&[], cfg, Service::Portal, "us-east-1").unwrap(),
            "https://services-sso.example"
        );
        // No sso_oidc entry in the services section: the profile's endpoint_url.
        assert_eq!(
            resolve_with(&[], cfg, Service::Oidc, "us-east-1").unwrap(),
            "https://profile.example"
        );
        // The OIDC variable does not apply to the portal.
        assert_eq!(
            resolve_with(
                &[("AWS_ENDPOINT_URL_SSO_OIDC", "https://oidc.example")],
                "[profile p]\n",
                Service::Portal,
                "us-east-1"
            )
            .unwrap(),
            "https://portal.sso.us-east-1.amazonaws.com"
        );
        for ignore in [&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")][..], &[]] {
            let cfg = if ignore.is_empty() {
                cfg.replace(
                    "[profile p]\n",
                    "[profile p]\nignore_configured_endpoint_urls = true\n",
                )
            } else {
                cfg.to_string()
            };
            let mut vars = ignore.to_vec();
            vars.extend_from_slice(&all);
            assert_eq!(
                resolve_with(&vars, &cfg, Service::Portal, "us-east-1").unwrap(),
                "https://portal.sso.us-east-1.amazonaws.com"
            );
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1/x",
            "http://[::1]:9",
        ] {
            assert!(
                resolve_with(
                    &[("AWS_ENDPOINT_URL_SSO", ok)],
                    "",
                    Service::Portal,
                    "us-east-1"
                )
                .is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://10.0.0.1",
            "http://example.com",
            "ftp://x",
            "https://",
        ] {
            let e = resolve_with(
                &[("AWS_ENDPOINT_URL_SSO", bad)],
                "",
                Service::Portal,
                "us-east-1",
            )
            .unwrap_err();
            assert!(e.to_string().contains("AWS_ENDPOINT_URL_SSO"), "{e}");
        }
    }

    #[test]
    fn missing_services_section_is_a_config_error() {
        let e = resolve_with(
            &[],
            "[profile p]\nservices = nope\n",
            Service::Oidc,
            "us-east-1",
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("[services nope]"));
    }
}
