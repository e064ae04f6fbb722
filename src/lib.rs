//! sso-helper: AWS IAM Identity Center (AWS SSO) credentials for every AWS CLI and
//! SDK, through `credential_process`.
//!
//! # Data flow
//!
//! ```text
//! args ──cli──▶ Args ──config──▶ RoleProfile (start URL, region, account, role)
//!   ──store──▶ cached role credentials? ── yes ──▶ output (JSON on stdout)
//!        │ no                                 (warm path: no lock, no HTTP client)
//!        ▼
//!   lock (per session) ─▶ look again ─▶ store token? ─▶ login::refresh
//!        ─▶ the AWS CLI's token ─▶ login::{pkce_login, device_login}   (oidc over http)
//!        ▼
//!   lock (per role) ─▶ look again ─▶ portal::get_role_credentials ─▶ store ─▶ output
//! ```
//!
//! # Modules
//!
//! - `cli` parses flags into plain data and dispatches; `credentials` is the
//!   credentials algorithm and the `Session` every command works through;
//!   `inventory` (list, status), `configure`, `export` and `doctor` are the other
//!   commands.
//! - `config` reads `~/.aws/config` as botocore does; `home` finds the home
//!   directory and expands `~` and variables in file names as botocore does, per
//!   platform; `endpoints` picks the URLs.
//! - `process_line` is the `credential_process` line as botocore splits it on each
//!   platform (`shlex` for POSIX rules), and the program path `configure` writes.
//! - `http` is the network; `oidc` and `portal` are the two AWS APIs on top of it;
//!   `login` holds the sign-in flows and the refresh.
//! - `store` is the token store trait and the AWS CLI file store; `keychain` the OS
//!   keychain store; `lock` the cross-process locks and failure records; `textfile`
//!   rewrites the user's own files (backup, atomic replace).
//! - `secret`, `token`, `timestamp`, `error`, `context`, `output`, `platform`: the
//!   shared types; `hint` writes the commands hints print for the user's shell on
//!   each platform.
//!
//! # Invariants
//!
//! - Only `http` touches the network; only `output` writes stdout; only `store`,
//!   `keychain` and `lock` touch tokens, caches and locks. The warm path (cached role
//!   credentials) reads the config and one cache entry and builds no HTTP client.
//! - Secrets live in `secret::Secret` (redacting `Debug`, no `Display`) and never
//!   reach stderr, a log line or an error message; `export` is the one command that
//!   prints them, on purpose.
//! - The outside world (environment, home, clock, sleep, browser, terminal) comes in
//!   through `context::Context`, so tests move time instead of waiting.
//! - Every failure is one `error::Error` with a one-line message, a hint and an exit
//!   code (1 failure, 2 usage/config, 3 sign-in needed but not allowed).

#![forbid(unsafe_code)]

pub mod browser;
pub mod cli;
pub mod completions;
pub mod config;
pub mod configure;
pub mod console;
pub mod context;
pub mod credentials;
pub mod doctor;
pub mod endpoints;
pub mod error;
pub mod exec;
pub mod export;
pub mod hint;
pub mod home;
pub mod http;
pub mod ini;
pub mod inventory;
pub mod keychain;
pub mod lock;
pub mod login;
pub mod manpage;
#[cfg(test)]
mod no_panic;
pub mod oidc;
pub mod output;
pub mod platform;
pub mod portal;
pub mod process_line;
pub mod readfile;
pub mod secret;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod secret_service;
pub mod shlex;
pub mod store;
pub mod suggest;
pub mod textfile;
pub mod timestamp;
pub mod token;

use std::process::ExitCode;

/// The whole program: parse, run, and turn an error into one stderr line and an
/// exit code. stdout stays empty on every error.
pub fn main() -> ExitCode {
    no_core_dumps();
    std::panic::set_hook(Box::new(report_panic));
    let (action, args) = match cli::parse(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    let mut ctx = context::Context::real();
    match cli::run(&action, &args, &mut ctx) {
        Ok(code) => ExitCode::from(code),
        Err(e) => fail(&e),
    }
}

/// This process may hold SSO tokens and role credentials in memory: it writes no
/// core dump, whatever the system's setting (as ssh-agent does). On Linux it is
/// also made non-dumpable, which covers core handlers behind a pipe
/// (systemd-coredump, apport) and keeps other processes of the user from reading
/// its memory through ptrace. Only the soft limit is lowered, and the one found is
/// kept ([`core_limit_found`]): `exec` gives its command the limit the user had
/// (the non-dumpable mark ends with `execve` by itself). Best effort: a refusal
/// changes nothing else.
fn no_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let found = getrlimit(Resource::Core);
        let _ = CORE_LIMIT_FOUND.set(found.current);
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: found.maximum,
            },
        );
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
}

#[cfg(unix)]
static CORE_LIMIT_FOUND: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();

/// The soft core-file size limit this process started with (`None`: unlimited),
/// if [`main`] lowered it.
#[cfg(unix)]
pub fn core_limit_found() -> Option<Option<u64>> {
    CORE_LIMIT_FOUND.get().copied()
}

/// A panic is a bug: one line, with its place, and the message only when it is a
/// fixed text (a formatted one could carry data); then exit status 101, in any
/// thread.
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let what = info
        .payload()
        .downcast_ref::<&'static str>()
        .copied()
        .unwrap_or("a bug");
    let place = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    eprintln!(
        "sso-helper: internal error ({what}{place}); please report it with the command you ran"
    );
    // The release build aborts on panic (Cargo.toml): end here instead, with the
    // status an unwinding panic gives, and no SIGABRT.
    std::process::exit(101);
}

fn fail(e: &error::Error) -> ExitCode {
    eprintln!("{}", error::one_line(e));
    ExitCode::from(e.exit_code())
}
