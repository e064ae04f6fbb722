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
    Console,
    Exec,
    Completions,
    /// `__complete profiles|sso-sessions`: the names the completion scripts offer,
    /// one per line (not listed in the help).
    Complete,
    /// `__man`: the man page, made from the help text (for packaging).
    Man,
}

/// The flags every command that may sign in takes.
const SIGN_IN: [&str; 5] = [
    "no-login",
    "no-browser",
    "flow",
    "token-store",
    "redirect-port",
];

impl Command {
    pub const ALL: [Command; 13] = [
        Command::Credentials,
        Command::Login,
        Command::Logout,
        Command::List,
        Command::Configure,
        Command::Export,
        Command::Status,
        Command::Doctor,
        Command::Console,
        Command::Exec,
        Command::Completions,
        Command::Complete,
        Command::Man,
    ];

    /// The commands a person types (the credentials command has no name, and
    /// `__complete` is for the completion scripts).
    pub fn public() -> impl Iterator<Item = Command> {
        Command::ALL
            .into_iter()
            .filter(|c| !c.name().is_empty() && !c.name().starts_with("__"))
    }

    pub fn name(self) -> &'static str {
        match self {
            Command::Credentials => "",
            Command::Login => "login",
            Command::Logout => "logout",
            Command::List => "list",
            Command::Configure => "configure",
            Command::Export => "export",
            Command::Status => "status",
            Command::Doctor => "doctor",
            Command::Console => "console",
            Command::Exec => "exec",
            Command::Completions => "completions",
            Command::Complete => "__complete",
            Command::Man => "__man",
        }
    }

    fn from_name(name: &str) -> Option<Command> {
        Command::ALL
            .into_iter()
            .find(|c| !c.name().is_empty() && c.name() == name)
    }

    /// The flags the command takes (besides -v, -h, -V).
    pub fn flags(self) -> Vec<&'static str> {
        let mut f: Vec<&'static str> = match self {
            Command::Credentials => vec!["profile"],
            Command::Login => vec![
                "profile",
                "sso-session",
                "no-browser",
                "flow",
                "token-store",
                "redirect-port",
            ],
            Command::Logout => vec!["profile", "sso-session", "all", "token-store"],
            Command::List => vec!["profile", "sso-session", "json"],
            Command::Configure => vec![
                "sso-session",
                "write",
                "prefix",
                "region",
                "start-url",
                "sso-region",
            ],
            Command::Export => vec!["profile", "format", "to"],
            Command::Status => vec!["json", "token-store"],
            Command::Doctor => vec!["profile", "sso-session", "token-store"],
            Command::Console => vec!["profile", "destination", "print"],
            Command::Exec => vec!["profile", "server"],
            Command::Completions | Command::Complete | Command::Man => vec![],
        };
        if matches!(
            self,
            Command::Credentials
                | Command::List
                | Command::Configure
                | Command::Export
                | Command::Console
                | Command::Exec
        ) {
            f.extend(SIGN_IN);
        }
        f
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
            Command::Console => HELP_CONSOLE,
            Command::Exec => HELP_EXEC,
            Command::Completions => HELP_COMPLETIONS,
            Command::Complete | Command::Man => HELP,
        }
    }
}

/// A flag: its name, the placeholder of its value (`None`: a switch) and the
/// values it takes (empty: any). With `Command::flags`, the one table that parsing,
/// the completion scripts and the help test read.
pub struct Flag {
    pub name: &'static str,
    pub value: Option<&'static str>,
    pub choices: &'static [&'static str],
}

pub const FLAGS: &[Flag] = &[
    Flag {
        name: "profile",
        value: Some("NAME"),
        choices: &[],
    },
    Flag {
        name: "sso-session",
        value: Some("NAME"),
        choices: &[],
    },
    Flag {
        name: "all",
        value: None,
        choices: &[],
    },
    Flag {
        name: "json",
        value: None,
        choices: &[],
    },
    Flag {
        name: "write",
        value: None,
        choices: &[],
    },
    Flag {
        name: "prefix",
        value: Some("PREFIX"),
        choices: &[],
    },
    Flag {
        name: "region",
        value: Some("REGION"),
        choices: &[],
    },
    Flag {
        name: "start-url",
        value: Some("URL"),
        choices: &[],
    },
    Flag {
        name: "sso-region",
        value: Some("REGION"),
        choices: &[],
    },
    Flag {
        name: "format",
        value: Some("FORMAT"),
        choices: &[
            "env",
            "fish",
            "powershell",
            "windows-cmd",
            "json",
            "credentials",
        ],
    },
    Flag {
        name: "to",
        value: Some("NAME"),
        choices: &[],
    },
    Flag {
        name: "no-login",
        value: None,
        choices: &[],
    },
    Flag {
        name: "no-browser",
        value: None,
        choices: &[],
    },
    Flag {
        name: "flow",
        value: Some("FLOW"),
        choices: &["auto", "device", "pkce"],
    },
    Flag {
        name: "token-store",
        value: Some("STORE"),
        choices: &["auto", "keychain", "file"],
    },
    Flag {
        name: "redirect-port",
        value: Some("PORT"),
        choices: &[],
    },
    Flag {
        name: "destination",
        value: Some("URL"),
        choices: &[],
    },
    Flag {
        name: "print",
        value: None,
        choices: &[],
    },
    Flag {
        name: "server",
        value: None,
        choices: &[],
    },
];

/// The shells `completions` writes scripts for.
pub const SHELLS: [&str; 4] = ["bash", "zsh", "fish", "powershell"];

pub fn flag(name: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.name == name)
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
    pub redirect_port: Option<u16>,
    pub destination: Option<String>,
    pub print: bool,
    pub server: bool,
    pub verbose: bool,
    /// The words after the command: `exec`'s command line, `completions`' shell,
    /// `__complete`'s list.
    pub rest: Vec<OsString>,
}

/// Parses the arguments after the program name. A usage error points at the
/// help of the command it is about (`sso-helper export --help`), where its flags
/// are.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<(Action, Args)> {
    let mut command: Option<Command> = None;
    parse_into(args, &mut command).map_err(|e| match (e, command) {
        (e @ Error::Usage(_), Some(c)) if !c.name().is_empty() => {
            let hint = format!("run `sso-helper {} --help` for its usage", c.name());
            e.hinted(None, hint)
        }
        (e, _) => e,
    })
}

fn parse_into(
    args: impl IntoIterator<Item = OsString>,
    command: &mut Option<Command>,
) -> Result<(Action, Args)> {
    use lexopt::prelude::*;
    let mut parsed = Args::default();
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
            Long(name) => match flag(name) {
                Some(f) => f.name,
                None => {
                    let name = name.split('=').next().unwrap_or(name);
                    let suggestion = crate::suggest::closest(name, FLAGS.iter().map(|f| f.name))
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
                *command = Some(Command::from_name(&v).ok_or_else(|| unknown_command(&v))?);
                continue;
            }
            Value(v) if help && command.is_none() => {
                let v = v.string().map_err(usage)?;
                *command = Some(Command::from_name(&v).ok_or_else(|| {
                    Error::Usage(format!("no help for `{v}`: there is no such command"))
                })?);
                continue;
            }
            // exec: the command line starts here, and everything after it is its.
            Value(v) if *command == Some(Command::Exec) => {
                parsed.rest.push(v);
                parsed.rest.extend(p.raw_args().map_err(usage)?);
                break;
            }
            Value(v) if matches!(command, Some(Command::Completions | Command::Complete)) => {
                parsed.rest.push(v);
                continue;
            }
            other => return Err(usage(other.unexpected())),
        };
        if seen.contains(&flag) {
            return Err(Error::Usage(format!("--{flag} is given twice")));
        }
        seen.push(flag);
        let def = self::flag(flag).expect("found above");
        if def.value.is_none() {
            match flag {
                "all" => parsed.all = true,
                "json" => parsed.json = true,
                "write" => parsed.write = true,
                "no-login" => parsed.no_login = true,
                "no-browser" => parsed.no_browser = true,
                "print" => parsed.print = true,
                "server" => parsed.server = true,
                _ => unreachable!("every switch is handled"),
            }
            continue;
        }
        let v = p.value().map_err(usage)?.string().map_err(usage)?;
        if v.is_empty() {
            return Err(Error::Usage(format!("--{flag} needs a value")));
        }
        if !def.choices.is_empty() && !def.choices.contains(&v.as_str()) {
            return Err(Error::Usage(format!(
                "--{flag} {v}: use {}",
                def.choices.join(", ")
            )));
        }
        match flag {
            "profile" => parsed.profile = Some(v),
            "sso-session" => parsed.sso_session = Some(v),
            "prefix" => parsed.prefix = Some(v),
            "region" => parsed.region = Some(v),
            "start-url" => parsed.start_url = Some(v),
            "sso-region" => parsed.sso_region = Some(v),
            "to" => parsed.to = Some(v),
            "format" => parsed.format = Some(v),
            "flow" => parsed.flow = Some(v),
            "token-store" => parsed.token_store = Some(v),
            "destination" => parsed.destination = Some(v),
            "redirect-port" => parsed.redirect_port = Some(port(&v)?),
            _ => unreachable!("every flag with a value is handled"),
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
    let takes = command.flags();
    if let Some(f) = seen.iter().find(|f| !takes.contains(f)) {
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
    match command {
        Command::Exec if parsed.rest.is_empty() => {
            return Err(Error::Usage(
                "`exec` needs a command to run: sso-helper exec --profile NAME -- COMMAND [ARGS...]"
                    .into(),
            ));
        }
        Command::Completions => match parsed.rest.as_slice() {
            [shell] if SHELLS.iter().any(|s| shell == *s) => {}
            [] => {
                return Err(Error::Usage(format!(
                    "`completions` needs a shell: {}",
                    SHELLS.join(", ")
                )));
            }
            other => {
                return Err(Error::Usage(format!(
                    "`completions` takes one shell ({}), not {}",
                    SHELLS.join(", "),
                    other
                        .iter()
                        .map(|o| o.to_string_lossy())
                        .collect::<Vec<_>>()
                        .join(" ")
                )));
            }
        },
        _ => {}
    }
    Ok((Action::Run(command), parsed))
}

/// A TCP port for the PKCE listener: 1–65535.
fn port(v: &str) -> Result<u16> {
    match v.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(Error::Usage(format!(
            "--redirect-port {v}: use a port number from 1 to 65535"
        ))),
    }
}

/// An unknown command, with the closest known one and the list.
fn unknown_command(v: &str) -> Error {
    let names: Vec<&str> = Command::public().map(|c| c.name()).collect();
    let suggestion = crate::suggest::closest(v, names.iter().copied())
        .map(|c| format!("did you mean {c}? "))
        .unwrap_or_default();
    Error::Usage(format!(
        "unknown command `{v}` ({suggestion}commands: {})",
        names.join(", ")
    ))
}

/// Carries out the action; what goes to stdout goes through `output`. Returns
/// the exit status: 0, or (`exec`) the command's.
pub fn run(action: &Action, args: &Args, ctx: &mut Context) -> Result<u8> {
    ctx.set_verbose(args.verbose);
    let ctx = &*ctx;
    let command = match action {
        Action::Help(c) => return output::print(c.help().trim_end()).map(|()| 0),
        Action::Version => {
            return output::print(concat!("sso-helper ", env!("CARGO_PKG_VERSION"))).map(|()| 0);
        }
        Action::Run(c) => *c,
    };
    let opts = Options {
        profile: args.profile.clone(),
        no_login: args.no_login,
        no_browser: args.no_browser,
        flow: args.flow.clone(),
        token_store: args.token_store.clone(),
        redirect_port: args.redirect_port,
        unattended: command == Command::Credentials,
    };
    match command {
        Command::Exec => crate::exec::run(ctx, &opts, &args.rest, args.server),
        Command::Console => {
            let out = crate::console::run(ctx, &opts, args.destination.as_deref(), args.print)?;
            output::print(&out).map(|()| 0)
        }
        Command::Completions => {
            let shell = args.rest[0].to_string_lossy();
            output::print(crate::completions::script(&shell).trim_end()).map(|()| 0)
        }
        Command::Complete => {
            let what = args.rest.first().map(|w| w.to_string_lossy().into_owned());
            let names = crate::completions::names(ctx, what.as_deref().unwrap_or(""));
            if names.is_empty() {
                Ok(0)
            } else {
                output::print(&names.join("\n")).map(|()| 0)
            }
        }
        Command::Man => output::print(crate::manpage::render().trim_end()).map(|()| 0),
        other => run_command(ctx, other, args, &opts).map(|()| 0),
    }
}

fn run_command(ctx: &Context, command: Command, args: &Args, opts: &Options) -> Result<()> {
    let opts = opts.clone();
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
            let (report, failed) = doctor::run(ctx, &opts, args.sso_session.as_deref())?;
            output::print(&report)?;
            if failed {
                Err(Error::ChecksFailed)
            } else {
                Ok(())
            }
        }
        Command::Exec
        | Command::Console
        | Command::Completions
        | Command::Complete
        | Command::Man => {
            unreachable!("run handles them")
        }
    }
}

pub const HELP: &str = "\
sso-helper — AWS IAM Identity Center (AWS SSO) credentials for every AWS CLI and SDK

USAGE:
    sso-helper [--profile NAME] [--no-login] [--no-browser] [--flow FLOW]
               [--token-store STORE] [--redirect-port PORT] [-v]
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
    export     Credentials for a shell (env, fish, powershell, windows-cmd), as
               JSON, or written to the shared credentials file.
    status     Tokens and cached role credentials, and where they are kept.
    doctor     Check the config, the keychain, the endpoints and the clock.
    console    Open the AWS console signed in as the profile's role.
    exec       Run a command with the profile's credentials (or a local
               credentials server that keeps them fresh).
    completions
               A completion script for bash, zsh, fish or powershell.

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
    --redirect-port PORT
                     A fixed port for the PKCE sign-in's listener on 127.0.0.1
                     (for SSH port forwarding: ssh -L PORT:127.0.0.1:PORT); also
                     sso_helper_redirect_port in the [sso-session] section.
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
    ~/.aws/credentials (or $AWS_SHARED_CREDENTIALS_FILE)
                                          what export --format credentials writes
    ~/.aws/sso-helper/                    lock files, sign-in outcomes, the index of
                                          cached roles, notice markers (no secrets)

ENVIRONMENT:
    HOME (Windows: USERPROFILE, else HOMEDRIVE and HOMEPATH)
                                          the home directory (~), as botocore finds
                                          it; on Unix else the password database
    AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS   endpoint overrides, as in the AWS SDKs
    AWS_ENDPOINT_URL_SIGNIN               the Sign-In federation endpoint (console)
    HTTPS_PROXY, HTTP_PROXY, NO_PROXY     proxies, as curl reads them
    AWS_CA_BUNDLE                         extra trusted CA certificates (PEM); else
                                          the profile's ca_bundle
    AWS_DEFAULT_PROFILE, AWS_PROFILE      the profile, when --profile is not given
    BROWSER                               the browser commands, as Python reads them
    SSO_HELPER_TOKEN_STORE                keychain, file or auto
    DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR
                                          Linux and the BSDs: the session bus of
                                          the Secret Service (its unix:path= and
                                          unix:abstract= addresses;
                                          unset, $XDG_RUNTIME_DIR/bus, else
                                          /run/user/UID/bus)
    SSO_HELPER_NO_LOGIN=1                 as --no-login
    SSO_HELPER_NO_BROWSER=1               as --no-browser
    SSO_HELPER_LOG=debug                  as -v

EXIT STATUS:
    0 success, 1 failure, 2 usage or configuration error,
    3 a sign-in is needed but not allowed: --no-login, or (the credentials
      command) no terminal and no browser to show it
";

const HELP_CONSOLE: &str = "\
sso-helper console — the AWS console, signed in as the profile's role

USAGE:
    sso-helper console [--profile NAME] [--destination URL] [--print]
                       [--no-login] [--no-browser] [--flow FLOW]
                       [--token-store STORE] [--redirect-port PORT] [-v]

Gets the profile's role credentials (as the credentials command does), trades
them at the AWS Sign-In federation endpoint for a sign-in token, and opens the
console sign-in URL in the browser ($BROWSER, else the system's opener). The
endpoint is https://signin.aws.amazon.com/federation (signin.amazonaws-us-gov.com
for GovCloud, signin.amazonaws.cn for China), or AWS_ENDPOINT_URL_SIGNIN, else
AWS_ENDPOINT_URL. No role secret is ever printed.

OPTIONS:
    --profile NAME       The profile (default: $AWS_DEFAULT_PROFILE, else
                         $AWS_PROFILE, else \"default\").
    --destination URL    Where the console opens: an https URL on the partition's
                         console domain (https://console.aws.amazon.com/s3/) or a
                         path under the console home (/s3/). Default: the console
                         home, in $AWS_REGION, else the profile's region.
    --print              Print the sign-in URL on stdout instead of opening it. The
                         URL signs in whoever opens it for 15 minutes.
    --no-browser         Same as --print (also SSO_HELPER_NO_BROWSER=1): never opens
                         a browser, for the sign-in or the console.
";

const HELP_EXEC: &str = "\
sso-helper exec — run a command with the profile's credentials

USAGE:
    sso-helper exec [--profile NAME] [--server] [--no-login] [--no-browser]
                    [--flow FLOW] [--token-store STORE] [--redirect-port PORT]
                    [-v] [--] COMMAND [ARGS...]

Runs COMMAND with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION and AWS_ACCOUNT_ID set, and AWS_REGION and
AWS_DEFAULT_REGION from the profile's region unless already set. AWS_PROFILE and
AWS_DEFAULT_PROFILE are removed. stdin, stdout, stderr and the exit status pass
through (a signal as 128+N); Ctrl-C and SIGTERM reach the command.

OPTIONS:
    --profile NAME       The profile (default: $AWS_DEFAULT_PROFILE, else
                         $AWS_PROFILE, else \"default\").
    --server             Put no keys in the environment: serve the container
                         credentials protocol on 127.0.0.1 (a random port and
                         bearer token, as AWS_CONTAINER_CREDENTIALS_FULL_URI and
                         AWS_CONTAINER_AUTHORIZATION_TOKEN), answering each request
                         from the cache, refreshed as needed, so a command that
                         runs for hours never holds expired credentials. The server
                         ends with the command.
";

const HELP_COMPLETIONS: &str = "\
sso-helper completions — a shell completion script

USAGE:
    sso-helper completions bash|zsh|fish|powershell

Prints a script that completes commands, flags, flag values and the profile and
sso-session names of your config file (read when you press Tab). Install it:

    bash        sso-helper completions bash > ~/.local/share/bash-completion/completions/sso-helper
    zsh         sso-helper completions zsh > \"${fpath[1]}/_sso-helper\"
    fish        sso-helper completions fish > ~/.config/fish/completions/sso-helper.fish
    powershell  sso-helper completions powershell | Out-String | Invoke-Expression
";

const HELP_LOGIN: &str = "\
sso-helper login — sign in to IAM Identity Center now and store the token

USAGE:
    sso-helper login [--profile NAME | --sso-session NAME] [--no-browser]
                     [--flow pkce|device|auto] [--token-store STORE]
                     [--redirect-port PORT] [-v]

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
    --redirect-port PORT A fixed port for the PKCE listener (see sso-helper --help).
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
                    [--token-store STORE] [--redirect-port PORT] [-v]

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
                         [--token-store STORE] [--redirect-port PORT] [-v]

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
                      [--token-store STORE] [--redirect-port PORT] [-v]

This command puts secrets on stdout or in a file, on purpose: that is its job.

FORMATS:
    env          export AWS_ACCESS_KEY_ID=… lines for sh/bash/zsh:
                 eval \"$(sso-helper export --profile dev)\"   (the default)
    fish         set -gx lines: sso-helper export --profile dev --format fish | source
    powershell   $Env: lines: sso-helper export --profile dev --format powershell | Invoke-Expression
    windows-cmd  set \"NAME=value\" lines for cmd.exe (the AWS CLI's export-credentials
                 has this format, unquoted): for /f \"delims=\" %i in
                 ('sso-helper export --profile dev --format windows-cmd') do %i
                 (%%i in a batch file)
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
    sso-helper doctor [--profile NAME | --sso-session NAME] [--token-store STORE] [-v]

One line per check, ok / warn / fail, each failure with its fix: the config file
and profile resolve; no profile has both credential_process and standard sso_*
keys (the SDKs would skip credential_process); a layout-A profile's ca_bundle
reaches the profile sso-helper reads (ca-bundle); nothing comes before
credential_process in a profile that runs sso-helper — role_arn,
web_identity_token_file, login_session, static keys here or in the shared
credentials file (shadowed); the session's tokens can be refreshed (refresh);
credential_process points at an executable; the keychain answers; the OIDC and
portal endpoints resolve and connect; the clock agrees with the server's; the
token's state. Exit status 1 when a check fails, 0 with only warnings.

OPTIONS:
    --profile NAME       The profile to check (default: $AWS_DEFAULT_PROFILE, else
                         $AWS_PROFILE, else \"default\").
    --sso-session NAME   Check an [sso-session NAME] section and its token instead
                         of a profile.
    --token-store STORE  The store to check: keychain, file or auto (default: auto).
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
        for flag in Command::Credentials.flags() {
            assert!(HELP.contains(&format!("--{flag}")), "--help lacks --{flag}");
        }
        for c in Command::public() {
            assert_eq!(p(&[c.name(), "--help"]).unwrap().0, Action::Help(c));
            assert_eq!(p(&["help", c.name()]).unwrap().0, Action::Help(c));
            let text = c.help();
            assert!(
                text.contains(&format!("sso-helper {}", c.name())),
                "{}",
                c.name()
            );
            // Every flag the command takes is in its own help's usage lines.
            let usage = text.split("\n\n").nth(1).unwrap_or_default();
            for flag in c.flags() {
                assert!(
                    usage.contains(&format!("--{flag}")),
                    "`sso-helper {} --help` lacks --{flag} in its usage:\n{usage}",
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
