//! `sso-helper exec [--profile P] [--server] -- CMD [ARGS…]`: runs a command with
//! the profile's credentials.
//!
//! Without `--server` the command gets `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION` and `AWS_ACCOUNT_ID` (static for
//! its life). With `--server` no key is in its environment: sso-helper serves the
//! container credentials protocol every SDK speaks (botocore's
//! `ContainerProvider`, the SDKs' `AWS_CONTAINER_CREDENTIALS_FULL_URI`) on
//! 127.0.0.1 with a random port and bearer token, answering each request through
//! the credentials command's cache, lock and refresh — so a command running for
//! hours never holds expired credentials. Either way `AWS_PROFILE` and
//! `AWS_DEFAULT_PROFILE` are removed (the SDKs would mix sources), the profile's
//! region is set unless the environment has one, and stdin, stdout, stderr and the
//! exit status pass through (a signal as 128+N). Ctrl-C reaches the command (it is
//! in the terminal's process group) and does not end sso-helper under it; SIGTERM,
//! SIGHUP and SIGQUIT sent to sso-helper are passed on.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::credentials::{self, Options};
use crate::error::{Error, Result};
use crate::portal::RoleCredentials;
use crate::timestamp::format_utc;

/// The variables that would make an SDK take credentials from elsewhere.
const CLEARED: [&str; 7] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ACCOUNT_ID",
];

pub fn run(ctx: &Context, opts: &Options, command_line: &[OsString], server: bool) -> Result<u8> {
    let (program, args) = command_line
        .split_first()
        .ok_or_else(|| Error::Usage("`exec` needs a command to run".into()))?;
    // A command that cannot run is said before any sign-in, with the shell's codes.
    let name = program.to_string_lossy();
    let resolved = match crate::doctor::locate(&name, ctx.var("PATH")) {
        crate::doctor::Program::Found(path) => path,
        crate::doctor::Program::Missing(why) => {
            let code = if why.contains("not an executable") {
                126
            } else {
                127
            };
            return Err(Error::NotRun {
                message: format!("`exec` cannot run {name}: it {why}"),
                code,
            });
        }
        crate::doctor::Program::Tilde => std::path::PathBuf::from(program),
    };
    // Credentials first: a sign-in happens before the command starts.
    let creds = credentials::run(ctx, opts)?;
    let region = profile_region(ctx, opts);
    let mut cmd = Command::new(program);
    cmd.args(args);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    if let Some(r) = region
        && ctx.var("AWS_REGION").is_none()
        && ctx.var("AWS_DEFAULT_REGION").is_none()
    {
        cmd.env("AWS_REGION", &r).env("AWS_DEFAULT_REGION", &r);
    }
    let server = if server {
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| Error::Io {
            action: "listen on",
            path: "127.0.0.1".into(),
            source: e,
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let token = random_token();
        cmd.env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("http://127.0.0.1:{port}/credentials"),
        )
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token)
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        Some(Requests::serve(listener, token))
    } else {
        for (k, v) in variables(&creds) {
            cmd.env(k, v);
        }
        None
    };
    let signals = Signals::register();
    let mut child = match spawn_with_user_core_limit(&mut cmd) {
        Ok(child) => child,
        // A file without `#!` that the kernel will not run: as execvp(3), env(1)
        // and the shells do, it is a script for /bin/sh.
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => {
            let mut sh = Command::new("/bin/sh");
            sh.arg(&resolved).args(args);
            for var in CLEARED {
                sh.env_remove(var);
            }
            for (k, v) in cmd.get_envs() {
                match v {
                    Some(v) => sh.env(k, v),
                    None => sh.env_remove(k),
                };
            }
            spawn_with_user_core_limit(&mut sh).map_err(|e| not_run(program, &resolved, &e))?
        }
        Err(e) => return Err(not_run(program, &resolved, &e)),
    };
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::Io {
            action: "wait for",
            path: program.into(),
            source: e,
        })? {
            break status;
        }
        signals.forward(&child);
        match &server {
            Some(requests) => requests.answer_next(ctx, opts, Duration::from_millis(20)),
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    Ok(exit_code(status))
}

/// Why the command found on PATH did not start, with the shell's exit code: 127
/// when something it needs is missing (the interpreter its `#!` line names), 126
/// when it may not be run.
fn not_run(program: &std::ffi::OsStr, resolved: &std::path::Path, e: &std::io::Error) -> Error {
    let name = program.to_string_lossy();
    let (why, code) = match e.kind() {
        std::io::ErrorKind::NotFound => (
            match interpreter_of(resolved) {
                Some(i) => format!("the interpreter its #! line names ({i}) was not found"),
                None => "a file it needs (its interpreter) was not found".to_string(),
            },
            127,
        ),
        std::io::ErrorKind::PermissionDenied => {
            ("it may not be run (permission denied)".into(), 126)
        }
        _ => (format!("{e}"), 126),
    };
    Error::NotRun {
        message: format!("`exec` cannot run {name}: {why}"),
        code,
    }
}

/// The program a script's `#!` line names (read from its first 256 bytes).
fn interpreter_of(path: &std::path::Path) -> Option<String> {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|b| *b == b'\n').next()?;
    let text = String::from_utf8_lossy(line);
    text.split_whitespace()
        .next()
        .map(|i| crate::error::printable(i, 200))
}

/// Starts `cmd` with the core-file limit the user had: sso-helper lowers its own
/// soft limit at start (lib.rs) and the command inherits the limit at fork, so it
/// is put back for the spawn and lowered again at once (on Linux the process is
/// also non-dumpable throughout, which the command does not inherit).
fn spawn_with_user_core_limit(cmd: &mut Command) -> std::io::Result<Child> {
    #[cfg(unix)]
    if let Some(found) = crate::core_limit_found() {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let maximum = getrlimit(Resource::Core).maximum;
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: found,
                maximum,
            },
        );
        let spawned = cmd.spawn();
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum,
            },
        );
        return spawned;
    }
    cmd.spawn()
}

/// The command's exit status as ours: its code, or 128 + the signal that ended it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return (code & 0xff) as u8;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return (128 + sig).min(255) as u8;
        }
    }
    1
}

/// The environment variables for `creds`.
pub fn variables(c: &RoleCredentials) -> [(&'static str, String); 5] {
    [
        ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            c.secret_access_key.expose().to_string(),
        ),
        ("AWS_SESSION_TOKEN", c.session_token.expose().to_string()),
        ("AWS_CREDENTIAL_EXPIRATION", format_utc(c.expiration)),
        ("AWS_ACCOUNT_ID", c.account_id.clone()),
    ]
}

/// The `region` of the profile given, else of the profile it points at.
fn profile_region(ctx: &Context, opts: &Options) -> Option<String> {
    let config = crate::config::ConfigFile::load(&crate::config::config_path(ctx).ok()?).ok()?;
    let profile = credentials::profile_name(ctx, opts.profile.as_deref());
    let own = config.profile(&profile).and_then(|p| p.get("region"));
    let target = config.companion_target(&profile).and_then(|t| {
        config
            .profile(&t)
            .and_then(|p| p.get("region"))
            .map(str::to_string)
    });
    own.map(str::to_string).or(target)
}

/// 32 random bytes, hex.
fn random_token() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the system random number generator works");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The container credentials server. Every connection is accepted and its request
/// read (within 5 s) on a thread of its own, so an idle or trickling connection
/// holds back no one; requests that arrive whole are answered on the main thread,
/// which has the credentials. At most [`MAX_READERS`] connections are read at once:
/// a new one closes the one that has waited longest, so connections opened and
/// left idle (by another local user, who has no token) cannot shut out a client,
/// whose request arrives with its connection.
struct Requests {
    ready: std::sync::mpsc::Receiver<(TcpStream, bool)>,
}

/// How many connections are read at once.
const MAX_READERS: usize = 256;

impl Requests {
    fn serve(listener: TcpListener, token: String) -> Requests {
        use std::collections::VecDeque;
        use std::sync::{Arc, Mutex};
        let (tx, ready) = std::sync::mpsc::channel();
        // The connections being read, oldest first: (number, a handle to close it).
        let reading: Arc<Mutex<VecDeque<(u64, TcpStream)>>> = Arc::default();
        std::thread::spawn(move || {
            for (number, stream) in (0u64..).zip(listener.incoming().flatten()) {
                let Ok(handle) = stream.try_clone() else {
                    continue;
                };
                {
                    let mut reading = reading.lock().unwrap_or_else(|e| e.into_inner());
                    if reading.len() >= MAX_READERS
                        && let Some((_, oldest)) = reading.pop_front()
                    {
                        // Its reader sees the end of the stream and gives up.
                        let _ = oldest.shutdown(std::net::Shutdown::Both);
                    }
                    reading.push_back((number, handle));
                }
                let (tx, token, mine) = (tx.clone(), token.clone(), reading.clone());
                let reader = std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        let mut stream = stream;
                        let head = read_head(&mut stream, Duration::from_secs(5));
                        mine.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .retain(|(n, _)| *n != number);
                        if let Some(head) = head {
                            let authorized = head.lines().skip(1).any(|l| {
                                l.split_once(':').is_some_and(|(k, v)| {
                                    k.trim().eq_ignore_ascii_case("authorization")
                                        && constant_time_eq(v.trim(), &token)
                                })
                            });
                            let _ = tx.send((stream, authorized));
                        }
                    });
                if reader.is_err() {
                    // No thread to read it: closed, and forgotten.
                    let mut reading = reading.lock().unwrap_or_else(|e| e.into_inner());
                    reading.retain(|(n, _)| *n != number);
                }
            }
        });
        Requests { ready }
    }

    /// Answers the next request that has arrived whole, waiting at most `wait`.
    /// A request without the token gets 401; others get the credentials as the
    /// credentials command would give them now (cached, refreshed, fetched).
    fn answer_next(&self, ctx: &Context, opts: &Options, wait: Duration) {
        let Ok((mut stream, authorized)) = self.ready.recv_timeout(wait) else {
            return;
        };
        let (status, body) = if !authorized {
            (
                401,
                serde_json::json!({"code": "Unauthorized", "message": "missing or wrong authorization token"})
                    .to_string(),
            )
        } else {
            match credentials::run(ctx, opts) {
                Ok(c) => (200, container_json(&c)),
                Err(e) => {
                    ctx.debug(|| format!("exec --server: {e}"));
                    (
                        500,
                        serde_json::json!({"code": "CredentialsUnavailable", "message": crate::error::one_line(&e)})
                            .to_string(),
                    )
                }
            }
        };
        let reason = match status {
            200 => "OK",
            401 => "Unauthorized",
            _ => "Internal Server Error",
        };
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let _ = write!(
            stream,
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.flush();
    }
}

/// The container credentials answer (`AccessKeyId`, `SecretAccessKey`, `Token`,
/// `Expiration`, `AccountId`).
pub fn container_json(c: &RoleCredentials) -> String {
    serde_json::json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "Token": c.session_token.expose(),
        "Expiration": format_utc(c.expiration),
        "AccountId": c.account_id,
    })
    .to_string()
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The request head, read within `limit` in all.
fn read_head(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    let deadline = Instant::now() + limit;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let left = deadline.checked_duration_since(Instant::now())?;
        stream.set_read_timeout(Some(left)).ok()?;
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None; // closed (or shut down) before the request was whole
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Signals that would end sso-helper while the command runs: caught, and passed
/// on to the command (SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM), or, for the
/// terminal's SIGINT and SIGQUIT, which the command gets by itself, ignored.
struct Signals {
    #[cfg(unix)]
    flags: Vec<(i32, std::sync::Arc<std::sync::atomic::AtomicBool>)>,
}

impl Signals {
    fn register() -> Signals {
        #[cfg(unix)]
        {
            use signal_hook::consts::{
                SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
            };
            let flags = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM]
                .into_iter()
                .filter_map(|sig| {
                    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                    signal_hook::flag::register(sig, flag.clone()).ok()?;
                    Some((sig, flag))
                })
                .collect();
            Signals { flags }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Passes each signal received since the last call to `child`. SIGINT and
    /// SIGQUIT from the terminal reach the command by themselves (one process
    /// group): they are not sent twice.
    fn forward(&self, child: &Child) {
        #[cfg(unix)]
        for (sig, flag) in &self.flags {
            if flag.swap(false, std::sync::atomic::Ordering::SeqCst) {
                use signal_hook::consts::{SIGINT, SIGQUIT};
                if *sig == SIGINT || *sig == SIGQUIT {
                    continue;
                }
                let pid = rustix::process::Pid::from_raw(child.id() as i32);
                let signal = rustix::process::Signal::from_named_raw(*sig);
                if let (Some(pid), Some(signal)) = (pid, signal) {
                    let _ = rustix::process::kill_process(pid, signal);
                }
            }
        }
        #[cfg(not(unix))]
        let _ = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
