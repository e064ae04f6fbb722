//! The command line: flags are parsed into plain data (`Args`, no I/O), checked
//! against what each command accepts, then `run` carries them out. Help text is
//! written by hand, one page per command, and kept in step with the README.

use std::ffi::OsString;

use crate::context::Context;
use crate::credentials::{self, Options, Session};
use crate::error::{Error, Result};
use crate::{configure, doctor, export, inventory, output};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Credentials,
    Login,
    Logout,
    List,
    Configure,
    Export,
    Status,
    Doctor,
}

impl Command {
    const ALL: [Command; 8] = [
        Command::Credentials,
        Command::Login,
        Command::Logout,
        Command::List,
        Command::Configure,
        Command::Export,
        Command::Status,
        Command::Doctor,
    ];

    fn name(self) -> &'static str {
        match self {
            Command::Credentials => "",
            Command::Login => "login",
            Command::Logout => "logout",
            Command::List => "list",
            Command::Configure => "configure",
            Command::Export => "export",
            Command::Status => "status",
            Command::Doctor => "doctor",
        }
    }

    fn from_name(name: &str) -> Option<Command> {
        Command::ALL
            .into_iter()
            .find(|c| !c.name().is_empty() && c.name() == name)
    }

    /// The flags the command takes (besides -v, -h, -V).
    fn flags(self) -> &'static [&'static str] {
        const SIGN_IN: [&str; 4] = ["no-login", "no-browser", "flow", "token-store"];
        match self {
            Command::Credentials => &["profile", SIGN_IN[0], SIGN_IN[1], SIGN_IN[2], SIGN_IN[3]],
            Command::Login => &[
                "profile",
                "sso-session",
                "no-browser",
                "flow",
                "token-store",
            ],
            Command::Logout => &["profile", "sso-session", "all", "token-store"],
            Command::List => &[
                "profile",
                "sso-session",
                "json",
                SIGN_IN[0],
                SIGN_IN[1],
                SIGN_IN[2],
                SIGN_IN[3],
            ],
            Command::Configure => &[
                "sso-session",
                "write",
                "prefix",
                "region",
                "start-url",
                "sso-region",
                SIGN_IN[0],
                SIGN_IN[1],
                SIGN_IN[2],
                SIGN_IN[3],
            ],
            Command::Export => &[
                "profile", "format", "to", SIGN_IN[0], SIGN_IN[1], SIGN_IN[2], SIGN_IN[3],
            ],
            Command::Status => &["json", "token-store"],
            Command::Doctor => &["profile", "token-store"],
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Command::Credentials => HELP,
            Command::Login => HELP_LOGIN,
            Command::Logout => HELP_LOGOUT,
            Command::List => HELP_LIST,
            Command::Configure => HELP_CONFIGURE,
            Command::Export => HELP_EXPORT,
            Command::Status => HELP_STATUS,
            Command::Doctor => HELP_DOCTOR,
        }
    }
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(Command),
    Help(Command),
    Version,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Args {
    pub profile: Option<String>,
    pub sso_session: Option<String>,
    pub all: bool,
    pub json: bool,
    pub write: bool,
    pub prefix: Option<String>,
    pub region: Option<String>,
    pub start_url: Option<String>,
    pub sso_region: Option<String>,
    pub format: Option<String>,
    pub to: Option<String>,
    pub no_login: bool,
    pub no_browser: bool,
    pub flow: Option<String>,
    pub token_store: Option<String>,
    pub verbose: bool,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<(Action, Args)> {
    use lexopt::prelude::*;
    let mut parsed = Args::default();
    let mut command: Option<Command> = None;
    let mut help = false;
    let mut version = false;
    let mut seen: Vec<&'static str> = Vec::new();
    let mut p = lexopt::Parser::from_args(args);
    let usage = |e: lexopt::Error| Error::Usage(e.to_string().replace('\n', " "));
    while let Some(arg) = p.next().map_err(usage)? {
        let flag: &'static str = match arg {
            Short('v') | Long("verbose") => {
                parsed.verbose = true;
                continue;
            }
            Short('h') | Long("help") => {
                help = true;
                continue;
            }
            Short('V') | Long("version") => {
                version = true;
                continue;
            }
            Long(name) => match KNOWN_FLAGS.iter().find(|f| **f == name) {
                Some(f) => f,
                None => {
                    let name = name.split('=').next().unwrap_or(name);
                    let suggestion = crate::suggest::closest(name, KNOWN_FLAGS.iter().copied())
                        .map(|f| format!("; did you mean --{f}?"))
                        .unwrap_or_default();
                    return Err(Error::Usage(format!("unknown option --{name}{suggestion}")));
                }
            },
            Value(v) if command.is_none() && !help => {
                let v = v.string().map_err(usage)?;
                if v == "help" {
                    help = true;
                    continue;
                }
                command = Some(Command::from_name(&v).ok_or_else(|| unknown_command(&v))?);
                continue;
            }
            Value(v) if help && command.is_none() => {
                let v = v.string().map_err(usage)?;
                command = Some(Command::from_name(&v).ok_or_else(|| {
                    Error::Usage(format!("no help for `{v}`: there is no such command"))
                })?);
                continue;
            }
            other => return Err(usage(other.unexpected())),
        };
        if seen.contains(&flag) {
            return Err(Error::Usage(format!("--{flag} is given twice")));
        }
        seen.push(flag);
        let mut value = || -> Result<String> {
            let v = p.value().map_err(usage)?.string().map_err(usage)?;
            if v.is_empty() {
                return Err(Error::Usage(format!("--{flag} needs a value")));
            }
            Ok(v)
        };
        match flag {
            "profile" => parsed.profile = Some(value()?),
            "sso-session" => parsed.sso_session = Some(value()?),
            "prefix" => parsed.prefix = Some(value()?),
            "region" => parsed.region = Some(value()?),
            "start-url" => parsed.start_url = Some(value()?),
            "sso-region" => parsed.sso_region = Some(value()?),
            "to" => parsed.to = Some(value()?),
            "format" => {
                parsed.format = Some(one_of(
                    flag,
                    value()?,
                    &["env", "fish", "powershell", "json", "credentials"],
                )?)
            }
            "flow" => parsed.flow = Some(one_of(flag, value()?, &["auto", "device", "pkce"])?),
            "token-store" => {
                parsed.token_store = Some(one_of(flag, value()?, &["auto", "keychain", "file"])?)
            }
            "all" => parsed.all = true,
            "json" => parsed.json = true,
            "write" => parsed.write = true,
            "no-login" => parsed.no_login = true,
            "no-browser" => parsed.no_browser = true,
            _ => unreachable!("every known flag is handled"),
        }
    }
    let command = command.unwrap_or(Command::Credentials);
    if help {
        return Ok((Action::Help(command), parsed));
    }
    if version {
        return Ok((Action::Version, parsed));
    }
    let name = match command.name() {
        "" => "the credentials command".to_string(),
        n => format!("`{n}`"),
    };
    if let Some(f) = seen.iter().find(|f| !command.flags().contains(f)) {
        return Err(Error::Usage(format!("{name} does not take --{f}")));
    }
    if parsed.profile.is_some() && parsed.sso_session.is_some() {
        return Err(Error::Usage(format!(
            "{name} takes --profile or --sso-session, not both"
        )));
    }
    if parsed.all && (parsed.profile.is_some() || parsed.sso_session.is_some()) {
        return Err(Error::Usage(
            "`logout --all` takes no --profile or --sso-session".into(),
        ));
    }
    if parsed.to.is_some() && parsed.format.as_deref() != Some("credentials") {
        return Err(Error::Usage("--to goes with --format credentials".into()));
    }
    Ok((Action::Run(command), parsed))
}

const KNOWN_FLAGS: &[&str] = &[
    "profile",
    "sso-session",
    "all",
    "json",
    "write",
    "prefix",
    "region",
    "start-url",
    "sso-region",
    "format",
    "to",
    "no-login",
    "no-browser",
    "flow",
    "token-store",
];

/// An unknown command, with the closest known one and the list.
fn unknown_command(v: &str) -> Error {
    let names: Vec<&str> = Command::ALL
        .iter()
        .map(|c| c.name())
        .filter(|n| !n.is_empty())
        .collect();
    let suggestion = crate::suggest::closest(v, names.iter().copied())
        .map(|c| format!("did you mean {c}? "))
        .unwrap_or_default();
    Error::Usage(format!(
        "unknown command `{v}` ({suggestion}commands: {})",
        names.join(", ")
    ))
}

fn one_of(flag: &str, v: String, allowed: &[&str]) -> Result<String> {
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(Error::Usage(format!(
            "--{flag} {v}: use {}",
            allowed.join(", ")
        )))
    }
}

/// Carries out the action; what goes to stdout goes through `output`.
pub fn run(action: &Action, args: &Args, ctx: &mut Context) -> Result<()> {
    ctx.set_verbose(args.verbose);
    let ctx = &*ctx;
    let command = match action {
        Action::Help(c) => return output::print(c.help().trim_end()),
        Action::Version => return output::print(concat!("sso-helper ", env!("CARGO_PKG_VERSION"))),
        Action::Run(c) => *c,
    };
    let opts = Options {
        profile: args.profile.clone(),
        no_login: args.no_login,
        no_browser: args.no_browser,
        flow: args.flow.clone(),
        token_store: args.token_store.clone(),
        unattended: command == Command::Credentials,
    };
    match command {
        Command::Credentials => {
            let creds = credentials::run(ctx, &opts)?;
            output::print(&output::credential_process_json(&creds))
        }
        Command::Login => {
            let session = Session::open(ctx, &opts)?;
            let sso = session.select(args.sso_session.as_deref())?;
            let token = session.login(&sso, &opts)?;
            output::print(&format!(
                "signed in to {} ({}); the token is valid until {} and kept in the {} store",
                sso.describe(),
                sso.start_url,
                crate::timestamp::format_utc(token.expires_at),
                session.store()?.name()
            ))
        }
        Command::Logout => {
            let session = Session::open(ctx, &opts)?;
            let lines = if args.all {
                session.logout_all()?
            } else {
                let sso = session.select(args.sso_session.as_deref())?;
                vec![session.logout(&sso)?]
            };
            output::print(&lines.join("\n"))
        }
        Command::List => {
            let session = Session::open(ctx, &opts)?;
            let sso = session.select(args.sso_session.as_deref())?;
            output::print(&inventory::list(&session, &sso, &opts, args.json)?)
        }
        Command::Configure => {
            let session = Session::open_or_empty(ctx, &opts)?;
            output::print(&configure::run(&session, &opts, args)?)
        }
        Command::Export => {
            let format = args.format.as_deref().unwrap_or("env");
            output::print(&export::run(ctx, &opts, format, args.to.as_deref())?)
        }
        Command::Status => {
            let session = Session::open(ctx, &opts)?;
            output::print(&inventory::status(&session, args.json)?)
        }
        Command::Doctor => {
            let (report, failed) = doctor::run(ctx, &opts)?;
            output::print(&report)?;
            if failed {
                Err(Error::ChecksFailed)
            } else {
                Ok(())
            }
        }
    }
}

pub const HELP: &str = "\
sso-helper — AWS IAM Identity Center (AWS SSO) credentials for every AWS CLI and SDK

USAGE:
    sso-helper [--profile NAME] [--no-login] [--no-browser] [--flow FLOW]
               [--token-store STORE] [-v]
    sso-helper COMMAND [OPTIONS]      (sso-helper help COMMAND for its options)

Use it from ~/.aws/config:
    [profile dev]
    credential_process = sso-helper --profile dev
    sso_helper_session = corp
    sso_helper_account_id = 111111111111
    sso_helper_role_name = ReadOnly

Without a command it prints credential_process JSON for the profile on stdout
(with AccountId): cached role credentials while 15 minutes or more are left,
else GetRoleCredentials with the stored SSO token (refreshed silently when it
can be), else a browser sign-in first. Run by an SDK with no terminal, and no
browser to open, it exits 3 at once instead of waiting for a sign-in no one
sees.

COMMANDS:
    login      Sign in now, whatever is cached, and store the token.
    logout     Sign out: end the portal session, delete the token, registration
               and cached role credentials.
    list       The accounts and roles you can reach.
    configure  Generate profiles for every account and role of a session.
    export     Credentials for a shell (env, fish, powershell), as JSON, or written
               to the shared credentials file.
    status     Tokens and cached role credentials, and where they are kept.
    doctor     Check the config, the keychain, the endpoints and the clock.

OPTIONS:
    --profile NAME   The profile to use (default: $AWS_DEFAULT_PROFILE, else
                     $AWS_PROFILE, else \"default\").
    --no-login       Never start a sign-in; exit 3 when one is needed.
                     Also SSO_HELPER_NO_LOGIN=1.
    --no-browser     Print the sign-in URL (and code) instead of opening a browser.
                     Also SSO_HELPER_NO_BROWSER=1. The browser is $BROWSER (as
                     Python reads it: commands separated by ':', %s for the URL),
                     else the system's opener.
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
    -v, --verbose    Log each request (operation, method, URL, status, time) to
                     stderr. Also SSO_HELPER_LOG=debug. Secrets are never logged.
    -h, --help       Show this help (sso-helper COMMAND --help: the command's).
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
    AWS_CA_BUNDLE                         extra trusted CA certificates (PEM); else
                                          the profile's ca_bundle
    AWS_DEFAULT_PROFILE, AWS_PROFILE      the profile, when --profile is not given
    BROWSER                               the browser commands, as Python reads them
    SSO_HELPER_TOKEN_STORE                keychain, file or auto
    SSO_HELPER_NO_LOGIN=1, SSO_HELPER_NO_BROWSER=1, SSO_HELPER_LOG=debug

EXIT STATUS:
    0 success, 1 failure, 2 usage or configuration error,
    3 a sign-in is needed but not allowed: --no-login, or (the credentials
      command) no terminal and no browser to show it
";

const HELP_LOGIN: &str = "\
sso-helper login — sign in to IAM Identity Center now and store the token

USAGE:
    sso-helper login [--profile NAME | --sso-session NAME] [--no-browser]
                     [--flow pkce|device|auto] [--token-store STORE] [-v]

Signs in whatever is cached (a valid token is replaced), stores the token and
says which session it signed in to and until when. The session is the one the
profile uses (--profile, else $AWS_DEFAULT_PROFILE, else $AWS_PROFILE, else
\"default\"), or the named [sso-session] section; with no --profile and a
profile without SSO settings, the config file's only [sso-session]. Other
processes that need the session wait for it.

OPTIONS:
    --profile NAME       Sign in to the session this profile uses.
    --sso-session NAME   Sign in to this [sso-session NAME].
    --no-browser         Print the URL (and code) instead of opening a browser.
    --flow FLOW          pkce, device or auto (see sso-helper --help).
    --token-store STORE  keychain, file or auto (see sso-helper --help).
    -v, --verbose        Log each request to stderr (never a secret).
";

const HELP_LOGOUT: &str = "\
sso-helper logout — sign out and forget the session's secrets

USAGE:
    sso-helper logout [--profile NAME | --sso-session NAME | --all]
                      [--token-store STORE] [-v]

Calls the portal's Logout with the stored token (a failure there is reported but
does not stop the rest), then deletes the token, the client registration and the
cached role credentials of every (account, role) the config file names for that
session and of every role sso-helper cached for it (also roles the config no
longer names), from whichever store holds them. Other sessions' files are left
alone. --all does this for every session in the config file. With no --profile
and a profile without SSO settings: the config file's only [sso-session].

OPTIONS:
    --profile NAME       The session this profile uses.
    --sso-session NAME   This [sso-session NAME].
    --all                Every session in the config file.
    --token-store STORE  keychain, file or auto (see sso-helper --help).
    -v, --verbose        Log each request to stderr (never a secret).
";

const HELP_LIST: &str = "\
sso-helper list — the accounts and roles you can reach

USAGE:
    sso-helper list [--profile NAME | --sso-session NAME] [--json]
                    [--no-login] [--no-browser] [--flow FLOW]
                    [--token-store STORE] [-v]

Every account (id, name, email) and the roles you can take in each, following
ListAccounts and ListAccountRoles pagination. A table by default; --json prints
{\"session\": …, \"accounts\": [{\"accountId\", \"accountName\", \"emailAddress\",
\"roles\": […]}]} (docs/commands/list.md). Signs in first when needed. The
session: --sso-session, else the profile's; with no --profile and a profile
without SSO settings, the config file's only [sso-session].
";

const HELP_CONFIGURE: &str = "\
sso-helper configure — profiles for every account and role of a session

USAGE:
    sso-helper configure [--sso-session NAME] [--write] [--prefix PREFIX]
                         [--region REGION] [--start-url URL] [--sso-region REGION]
                         [--no-login] [--no-browser] [--flow FLOW]
                         [--token-store STORE] [-v]

Lists the accounts and roles the session can reach and generates a self-contained
profile (layout B: credential_process plus sso_helper_* keys) for each pair that
has none yet. Profile names come from the account name and role, made
config-safe and unique, with PREFIX before them. Without --write the profiles are
printed; with --write they are added to the config file: a backup is written
first (CONFIG.bak-YYYYMMDDHHMMSS), every existing line and comment is kept, no
existing profile is changed, and the file is replaced atomically. Running it
twice adds nothing the second time.

When [sso-session NAME] does not exist, --start-url and --sso-region (or
--region) create it, as `aws configure sso` does; on a terminal they are asked
for.

OPTIONS:
    --sso-session NAME   The session (default: the config file's only one).
    --write              Add the profiles to the config file.
    --prefix PREFIX      Put PREFIX before every generated profile name.
    --region REGION      Set region = REGION in every generated profile.
    --start-url URL      The access portal URL, for a new session.
    --sso-region REGION  The IAM Identity Center region, for a new session.
    --no-login           Never start a sign-in; exit 3 when one is needed.
    --no-browser         Print the sign-in URL (and code) instead of opening a browser.
    --flow FLOW          pkce, device or auto (see sso-helper --help).
    --token-store STORE  keychain, file or auto (see sso-helper --help).
    -v, --verbose        Log each request to stderr (never a secret).
";

const HELP_EXPORT: &str = "\
sso-helper export — credentials for tools that cannot run credential_process

USAGE:
    sso-helper export [--profile NAME] [--format FORMAT] [--to NAME]
                      [--no-login] [--no-browser] [--flow FLOW]
                      [--token-store STORE] [-v]

This command puts secrets on stdout or in a file, on purpose: that is its job.

FORMATS:
    env          export AWS_ACCESS_KEY_ID=… lines for sh/bash/zsh:
                 eval \"$(sso-helper export --profile dev)\"   (the default)
    fish         set -gx lines: sso-helper export --profile dev --format fish | source
    powershell   $Env: lines: sso-helper export --profile dev --format powershell | Invoke-Expression
    json         the credential_process JSON
    credentials  write [NAME] (--to NAME, default the profile's name) into
                 ~/.aws/credentials (or $AWS_SHARED_CREDENTIALS_FILE), keeping
                 every other profile and line, mode 0600, with one backup
                 (credentials.bak, replaced each time). Static keys there take
                 precedence over the config's SSO settings and credential_process
                 in the Go SDK and Terraform, so a NAME whose config profile has
                 either is refused (exit 2) with a free name to use with --to.

Every format carries the account id: AWS_ACCOUNT_ID, aws_account_id, AccountId.
";

const HELP_STATUS: &str = "\
sso-helper status — tokens and cached role credentials

USAGE:
    sso-helper status [--json] [--token-store STORE] [-v]

For every SSO session in the config file: where its token is kept, until when it
is valid, and whether it can be refreshed; for every profile's role: how long its
cached credentials have left. Never prints a secret. --json prints a stable shape
documented in docs/commands/status.md.
";

const HELP_DOCTOR: &str = "\
sso-helper doctor — find what is wrong

USAGE:
    sso-helper doctor [--profile NAME] [--token-store STORE] [-v]

One line per check, ok / warn / fail, each failure with its fix: the config file
and profile resolve; no profile has both credential_process and standard sso_*
keys (the SDKs would skip credential_process); credential_process points at an
executable; the keychain answers; the OIDC and portal endpoints resolve and
connect; the clock agrees with the server's; the token's state. Exit status 1
when a check fails, 0 with only warnings.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<(Action, Args)> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn credentials_is_the_default_command() {
        let (action, a) = p(&["--profile", "dev", "--no-login"]).unwrap();
        assert_eq!(action, Action::Run(Command::Credentials));
        assert_eq!(a.profile.as_deref(), Some("dev"));
        assert!(a.no_login && !a.no_browser);
        assert_eq!(
            p(&["--profile=dev"]).unwrap().1.profile.as_deref(),
            Some("dev")
        );
    }

    #[test]
    fn commands_and_flags_in_any_order() {
        let (action, a) = p(&["-v", "login", "--no-browser", "--sso-session", "x"]).unwrap();
        assert_eq!(action, Action::Run(Command::Login));
        assert!(a.verbose && a.no_browser);
        assert_eq!(a.sso_session.as_deref(), Some("x"));
        let (action, a) = p(&["export", "--format", "fish"]).unwrap();
        assert_eq!(action, Action::Run(Command::Export));
        assert_eq!(a.format.as_deref(), Some("fish"));
        assert_eq!(
            p(&["logout", "--all"]).unwrap().0,
            Action::Run(Command::Logout)
        );
    }

    #[test]
    fn usage_errors() {
        for (args, needle) in [
            (&["--bogus"][..], "unknown option --bogus"),
            (&["--profle", "x"], "did you mean --profile?"),
            (&["--Profile=x"], "did you mean --profile?"),
            (&["frobnicate"], "unknown command `frobnicate`"),
            (&["lgoin"], "did you mean login?"),
            (
                &["--profile", "a", "--profile", "b"],
                "--profile is given twice",
            ),
            (
                &["export", "--format", "env", "--format=json"],
                "--format is given twice",
            ),
            (&["--profile"], "--profile"),
            (&["login", "--no-login"], "`login` does not take --no-login"),
            (&["login", "extra"], "extra"),
            (
                &["status", "--profile", "x"],
                "`status` does not take --profile",
            ),
            (
                &["list", "--profile", "a", "--sso-session", "b"],
                "not both",
            ),
            (&["logout", "--all", "--profile", "a"], "--all"),
            (&["export", "--format", "xml"], "--format xml"),
            (
                &["export", "--to", "x"],
                "--to goes with --format credentials",
            ),
            (&["--flow", "sideways"], "--flow sideways"),
        ] {
            let e = p(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(e.to_string().contains(needle), "{args:?}: {e}");
        }
    }

    #[test]
    fn help_for_every_command() {
        assert_eq!(
            p(&["--help"]).unwrap().0,
            Action::Help(Command::Credentials)
        );
        assert_eq!(p(&["-V"]).unwrap().0, Action::Version);
        for c in Command::ALL.into_iter().filter(|c| !c.name().is_empty()) {
            assert_eq!(p(&[c.name(), "--help"]).unwrap().0, Action::Help(c));
            assert_eq!(p(&["help", c.name()]).unwrap().0, Action::Help(c));
            let text = c.help();
            assert!(
                text.contains(&format!("sso-helper {}", c.name())),
                "{}",
                c.name()
            );
            for flag in c.flags() {
                assert!(
                    text.contains(&format!("--{flag}")) || HELP.contains(&format!("--{flag}")),
                    "{} --{flag}",
                    c.name()
                );
            }
            assert!(
                HELP.contains(&format!("    {}", c.name())),
                "main help lists {}",
                c.name()
            );
        }
    }
}
