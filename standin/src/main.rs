//! `sso-standin [--port N] [--start-url URL] [--until-stdin-eof]`
//!
//! Starts the stand-in with the default configuration, prints its base URL as the only
//! line on stdout, and serves until killed (or until stdin reaches EOF).

use sso_standin::{Config, StandIn};
use std::io::{self, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: sso-standin [--port N] [--start-url URL] [--until-stdin-eof]";

fn main() -> ExitCode {
    let mut config = Config {
        log_requests: true,
        ..Config::default()
    };
    let (mut port, mut until_eof) = (0u16, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next());
        match name.as_str() {
            "--port" => match value().and_then(|v| v.parse().ok()) {
                Some(p) => port = p,
                None => return usage_error("--port needs a port number"),
            },
            "--start-url" => match value() {
                Some(u) => config.start_url = u,
                None => return usage_error("--start-url needs a URL"),
            },
            "--until-stdin-eof" => until_eof = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => return usage_error(&format!("unknown argument {arg:?}")),
        }
    }
    let standin = match StandIn::start_on(config, port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sso-standin: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = io::stdout().lock();
    if writeln!(out, "{}", standin.url())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(out);
    if until_eof {
        let _ = io::copy(&mut io::stdin().lock().by_ref(), &mut io::sink());
        ExitCode::SUCCESS
    } else {
        loop {
            std::thread::park();
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("sso-standin: {msg}\n{USAGE}");
    ExitCode::from(2)
}
