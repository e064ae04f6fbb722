//! `sso-standin [--port N] [--start-url URL] [--accounts N] [--latency-ms N]
//! [--page-size N] [--until-stdin-eof]`
//!
//! Starts the stand-in with the default configuration (or `--accounts N` generated
//! ones), prints its base URL as the only line on stdout, and serves until killed
//! (or until stdin reaches EOF).

use sso_standin::{Config, StandIn};
use std::io::{self, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: sso-standin [--port N] [--start-url URL] [--accounts N] [--latency-ms N] [--page-size N] [--until-stdin-eof]

  --accounts N     serve N generated accounts (ids 500000000000 on, one to three
                   roles each) instead of the three default ones; pages of up to
                   100 items unless --page-size says otherwise
  --latency-ms N   delay every portal answer by N ms (requests are served
                   concurrently, so each is delayed, not queued)
  --page-size N    the most items a ListAccounts/ListAccountRoles page holds
                   (1-100; default 2, or 100 with --accounts)";

fn main() -> ExitCode {
    let mut config = Config {
        log_requests: true,
        ..Config::default()
    };
    let (mut port, mut until_eof) = (0u16, false);
    let mut page_size: Option<usize> = None;
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
            "--accounts" => match value().and_then(|v| v.parse().ok()) {
                Some(n) => {
                    config.accounts = sso_standin::generated_accounts(n);
                    page_size = page_size.or(Some(100));
                }
                None => return usage_error("--accounts needs a number of accounts"),
            },
            "--latency-ms" => match value().and_then(|v| v.parse().ok()) {
                Some(ms) => config.latency_ms = ms,
                None => return usage_error("--latency-ms needs a number of milliseconds"),
            },
            "--page-size" => match value().and_then(|v| v.parse().ok()) {
                Some(n @ 1..=100) => page_size = Some(n),
                _ => return usage_error("--page-size needs a number from 1 to 100"),
            },
            "--until-stdin-eof" => until_eof = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => return usage_error(&format!("unknown argument {arg:?}")),
        }
    }
    if let Some(n) = page_size {
        config.page_size = n;
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
