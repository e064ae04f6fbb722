//! sso-helper: AWS IAM Identity Center (AWS SSO) credentials for every AWS CLI and
//! SDK, through `credential_process`.
//!
//! # Data flow
//!
//! ```text
//! args ──cli──▶ Args ──config──▶ RoleProfile (start URL, region, account, role)
//!   ──store──▶ cached role credentials? ── yes ──▶ output (JSON on stdout)
//!        │ no
//!        ▼
//!   store: token? ─▶ login::refresh ─▶ login::device_login   (oidc over http)
//!        ▼
//!   portal::get_role_credentials (http) ─▶ store ─▶ output
//! ```
//!
//! # Invariants
//!
//! - Only `http` touches the network; only `output` writes stdout; only `store`
//!   reads or writes tokens and caches. The warm path (cached role credentials)
//!   reads the config and one cache file, and builds no HTTP client.
//! - Secrets live in `secret::Secret` (redacting `Debug`, no `Display`) and never
//!   reach stderr, a log line or an error message.
//! - The outside world (environment, home, clock, sleep, browser, terminal) comes in
//!   through `context::Context`, so tests move time instead of waiting.
//! - Every failure is one `error::Error` with a one-line message, a hint and an exit
//!   code (1 failure, 2 usage/config, 3 sign-in needed but not allowed).

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod configure;
pub mod context;
pub mod credentials;
pub mod doctor;
pub mod endpoints;
pub mod error;
pub mod export;
pub mod http;
pub mod inventory;
pub mod keychain;
pub mod lock;
pub mod login;
pub mod oidc;
pub mod output;
pub mod portal;
pub mod secret;
pub mod store;
pub mod textfile;
pub mod timestamp;
pub mod token;

use std::process::ExitCode;

/// The whole program: parse, run, and turn an error into one stderr line and an
/// exit code. stdout stays empty on every error.
pub fn main() -> ExitCode {
    let (action, args) = match cli::parse(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    let mut ctx = context::Context::real();
    match cli::run(&action, &args, &mut ctx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &error::Error) -> ExitCode {
    eprintln!("{}", error::one_line(e));
    ExitCode::from(e.exit_code())
}
