//! The command line: flags are parsed into plain data (`Args`, no I/O), then
//! `run` carries them out. Help text is written by hand and kept in step with the
//! README.

use std::ffi::OsString;

use crate::context::Context;
use crate::credentials::{self, Options, Session};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::output;

pub const HELP: &str = "\
sso-helper — AWS IAM Identity Center (AWS SSO) credentials for every AWS CLI and SDK

USAGE:
    sso-helper [--profile NAME] [--no-login] [--no-browser] [--flow FLOW]
               [--token-store STORE] [-v]
    sso-helper login [--profile NAME] [--no-browser] [--flow FLOW]
               [--token-store STORE] [-v]

Use it from ~/.aws/config:
    [profile dev]
    credential_process = sso-helper --profile dev
    sso_helper_session = corp
    sso_helper_account_id = 111111111111
    sso_helper_role_name = ReadOnly

COMMANDS:
    (none)   Print credential_process JSON for the profile on stdout: cached role
             credentials while 15 minutes or more are left, else GetRoleCredentials
             with the stored SSO token (refreshed silently when it can be), else a
             browser sign-in first.
    login    Sign in now, whatever is cached, and store the token.

OPTIONS:
    --profile NAME   The profile to use (default: $AWS_PROFILE, else \"default\").
    --no-login       Never start a sign-in; exit 3 when one is needed.
                     Also SSO_HELPER_NO_LOGIN=1.
    --no-browser     Print the sign-in URL (and code) instead of opening a browser.
                     Also SSO_HELPER_NO_BROWSER=1.
    --flow FLOW      How to sign in: pkce (authorization code + PKCE with a
                     listener on 127.0.0.1, what the AWS CLI v2 uses), device
                     (device code), or auto (the default: pkce on a local desktop;
                     device over SSH, without a display, in a container, and for
                     sessions without an [sso-session] section). Also
                     sso_helper_login_flow in the [sso-session] section.
    --token-store STORE
                     Where tokens and role credentials are kept: keychain (the OS
                     keychain; on Linux the Secret Service), file (the AWS CLI's
                     caches below), or auto (the default: the keychain when one
                     answers, else the files, said once on stderr). keychain never
                     falls back. Also SSO_HELPER_TOKEN_STORE.
    -v, --verbose    Log each request (operation, path, status, time) to stderr.
                     Also SSO_HELPER_LOG=debug. Secrets are never logged.
    -h, --help       Show this help.
    -V, --version    Show the version.

Concurrent calls share one sign-in: the first takes a lock per SSO session,
the others wait for it (and say so) and then use its token.

FILES:
    ~/.aws/config (or $AWS_CONFIG_FILE)   profiles and [sso-session] sections
    ~/.aws/sso/cache/                     file store: SSO tokens and client
                                          registrations, shared with `aws sso login`
    ~/.aws/cli/cache/                     file store: role credentials, shared with
                                          the AWS CLI v2
    ~/.aws/sso-helper/                    lock files and sign-in outcomes (no secrets)

ENVIRONMENT:
    AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS   endpoint overrides, as in the AWS SDKs
    HTTPS_PROXY, HTTP_PROXY, NO_PROXY     proxies, as curl reads them
    SSO_HELPER_TOKEN_STORE                keychain, file or auto
    SSO_HELPER_NO_LOGIN=1, SSO_HELPER_NO_BROWSER=1, SSO_HELPER_LOG=debug

EXIT STATUS:
    0 success, 1 failure, 2 usage or configuration error,
    3 a sign-in is needed but --no-login forbids it
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Credentials,
    Login,
    Help,
    Version,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub command: Command,
    pub profile: Option<String>,
    pub no_login: bool,
    pub no_browser: bool,
    pub flow: Option<String>,
    pub token_store: Option<String>,
    pub verbose: bool,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args> {
    use lexopt::prelude::*;
    let mut parsed = Args {
        command: Command::Credentials,
        profile: None,
        no_login: false,
        no_browser: false,
        flow: None,
        token_store: None,
        verbose: false,
    };
    let mut command_seen = false;
    let mut p = lexopt::Parser::from_args(args);
    let usage = |e: lexopt::Error| Error::Usage(e.to_string().replace('\n', " "));
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("profile") => {
                let v = p.value().map_err(usage)?.string().map_err(usage)?;
                if v.is_empty() {
                    return Err(Error::Usage("--profile needs a profile name".into()));
                }
                parsed.profile = Some(v);
            }
            Long("flow") => {
                let v = p.value().map_err(usage)?.string().map_err(usage)?;
                if !["auto", "device", "pkce"].contains(&v.as_str()) {
                    return Err(Error::Usage(format!(
                        "--flow {v}: use device, pkce or auto"
                    )));
                }
                parsed.flow = Some(v);
            }
            Long("token-store") => {
                let v = p.value().map_err(usage)?.string().map_err(usage)?;
                if !["auto", "keychain", "file"].contains(&v.as_str()) {
                    return Err(Error::Usage(format!(
                        "--token-store {v}: use keychain, file or auto"
                    )));
                }
                parsed.token_store = Some(v);
            }
            Long("no-login") => parsed.no_login = true,
            Long("no-browser") => parsed.no_browser = true,
            Short('v') | Long("verbose") => parsed.verbose = true,
            Short('h') | Long("help") => parsed.command = Command::Help,
            Short('V') | Long("version") => parsed.command = Command::Version,
            Value(v) if !command_seen => {
                command_seen = true;
                let v = v.string().map_err(usage)?;
                match v.as_str() {
                    "login" => {
                        if parsed.command == Command::Credentials {
                            parsed.command = Command::Login;
                        }
                    }
                    "help" => parsed.command = Command::Help,
                    other => {
                        return Err(Error::Usage(format!(
                            "unknown command `{other}` (commands: login)"
                        )));
                    }
                }
            }
            other => return Err(usage(other.unexpected())),
        }
    }
    if parsed.command == Command::Login && parsed.no_login {
        return Err(Error::Usage(
            "`login` and --no-login contradict each other".into(),
        ));
    }
    Ok(parsed)
}

/// Carries out the command; what goes to stdout goes through `output`.
pub fn run(args: &Args, ctx: &mut Context) -> Result<()> {
    ctx.set_verbose(args.verbose);
    let ctx = &*ctx;
    let opts = Options {
        profile: args.profile.clone(),
        no_login: args.no_login,
        no_browser: args.no_browser,
        flow: args.flow.clone(),
        token_store: args.token_store.clone(),
    };
    match args.command {
        Command::Help => output::print(HELP.trim_end()),
        Command::Version => output::print(concat!("sso-helper ", env!("CARGO_PKG_VERSION"))),
        Command::Credentials => {
            let creds = credentials::run(ctx, &opts)?;
            output::print(&output::credential_process_json(&creds))
        }
        Command::Login => {
            let session = Session::open(ctx, &opts)?;
            let sso = session.config.session_for_profile(&session.profile)?;
            let http = Http::new(ctx);
            session.login(&http, &sso, &opts)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Args> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn credentials_is_the_default_command() {
        let a = p(&["--profile", "dev", "--no-login"]).unwrap();
        assert_eq!(a.command, Command::Credentials);
        assert_eq!(a.profile.as_deref(), Some("dev"));
        assert!(a.no_login && !a.no_browser);
        assert_eq!(
            p(&["--profile=dev"]).unwrap().profile.as_deref(),
            Some("dev")
        );
    }

    #[test]
    fn login_and_flags_in_any_order() {
        let a = p(&["-v", "login", "--no-browser", "--profile", "x"]).unwrap();
        assert_eq!(a.command, Command::Login);
        assert!(a.verbose && a.no_browser);
    }

    #[test]
    fn usage_errors() {
        for (args, needle) in [
            (&["--bogus"][..], "--bogus"),
            (&["frobnicate"], "unknown command `frobnicate`"),
            (&["--profile"], "--profile"),
            (&["login", "--no-login"], "contradict"),
            (&["login", "extra"], "extra"),
        ] {
            let e = p(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(e.to_string().contains(needle), "{args:?}: {e}");
        }
    }

    #[test]
    fn help_and_version() {
        assert_eq!(p(&["--help"]).unwrap().command, Command::Help);
        assert_eq!(p(&["-V"]).unwrap().command, Command::Version);
    }
}
