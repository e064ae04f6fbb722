//! The one error type. Every variant carries what the user needs to act (file,
//! profile, key, operation, host, AWS error code) and never a secret; `hint()` says
//! what to do next and `exit_code()` maps it to SPEC §6's exit codes.

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::platform::Platform;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The command line is wrong (exit 2).
    Usage(String),
    /// The AWS config is missing, unreadable or inconsistent (exit 2).
    Config {
        file: PathBuf,
        message: String,
        hint: String,
    },
    /// A login is needed but `--no-login` forbids it (exit 3).
    LoginRequired { what: String, login_hint: String },
    /// The browser login did not complete: denied, expired, timed out.
    Login { message: String, hint: String },
    /// An AWS service answered with an error.
    Aws {
        op: &'static str,
        host: String,
        status: u16,
        code: String,
        message: String,
    },
    /// The request did not get an answer (connection, DNS, TLS, timeout): it did
    /// not reach the host (`sent` false), or it was sent and no complete answer
    /// came back.
    Network {
        op: &'static str,
        host: String,
        detail: String,
        certificate: bool,
        sent: bool,
    },
    /// The answer was not what the API defines.
    BadResponse {
        op: &'static str,
        host: String,
        detail: String,
    },
    /// Reading or writing a file of ours failed.
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// `doctor` found a failing check (its report says which).
    ChecksFailed,
    /// The OS keychain could not be reached or used. `refused`: it said no (a
    /// keyring that stays locked, an access prompt denied or impossible), as
    /// opposed to failing.
    Keychain {
        action: &'static str,
        detail: String,
        refused: bool,
    },
    /// The failure another process recorded for the sign-in this one waited on.
    Shared { message: String, exit_code: u8 },
    /// Something in the environment is wrong (no home directory, bad variable): a
    /// configuration error (exit 2).
    Environment { message: String, hint: String },
    /// `exec`'s command could not be started: exit 127 (not found) or 126 (found,
    /// not executable), as shells and env(1) say it.
    NotRun { message: String, code: u8 },
    /// An error from a lower layer, with what the caller knows added: where it
    /// happened (`context`, after the message) and a hint for this target.
    Hinted {
        error: Box<Error>,
        context: Option<String>,
        hint: String,
    },
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Config { .. } | Error::Environment { .. } => 2,
            Error::LoginRequired { .. } => 3,
            Error::Shared { exit_code, .. } => *exit_code,
            Error::Hinted { error, .. } => error.exit_code(),
            Error::NotRun { code, .. } => *code,
            _ => 1,
        }
    }

    /// What the user should do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage(_) => Some("run `sso-helper --help` for usage".into()),
            Error::Config { hint, .. } | Error::Login { hint, .. } => Some(hint.clone()),
            Error::Environment { hint, .. } | Error::Hinted { hint, .. } => Some(hint.clone()),
            Error::LoginRequired { login_hint, .. } => Some(login_hint.clone()),
            Error::Aws { status: 401, .. } => {
                Some("the SSO token was rejected; sign in again".into())
            }
            Error::Aws { status, .. } if *status == 429 || *status >= 500 => {
                Some("the service is busy or failing; try again in a minute".into())
            }
            Error::Network {
                certificate: true, ..
            } => Some(
                "if a proxy inspects TLS, point AWS_CA_BUNDLE (or ca_bundle in the profile) at \
                 the PEM file of the CA that issued its certificate"
                    .into(),
            ),
            Error::ChecksFailed => Some("fix the lines marked fail above".into()),
            Error::Keychain { .. } => Some(format!(
                "unlock or start the keychain (on Linux a Secret Service such as \
                     gnome-keyring), or {} to use the AWS CLI's file cache",
                crate::store::set_file_store(crate::platform::Platform::current())
            )),
            Error::Network { .. } => Some(
                "check the network, HTTPS_PROXY/NO_PROXY and any AWS_ENDPOINT_URL_* settings"
                    .into(),
            ),
            Error::Io {
                action,
                path,
                source,
            } => io_hint(Platform::current(), action, path, source),
            _ => None,
        }
    }

    /// For `map_err`: the I/O error of doing `action` to `path`.
    pub fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// This error with `hint` (a command for the caller's target) instead of its
    /// own, and `context` after its message.
    pub fn hinted(self, context: Option<String>, hint: impl Into<String>) -> Error {
        Error::Hinted {
            error: Box::new(self),
            context,
            hint: hint.into(),
        }
    }

    pub fn config(
        file: impl Into<PathBuf>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Error {
        Error::Config {
            file: file.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => write!(f, "{m}"),
            Error::Config { file, message, .. } => write!(f, "{}: {message}", file.display()),
            Error::LoginRequired { what, .. } => write!(f, "{what}"),
            Error::Login { message, .. } => write!(f, "{message}"),
            Error::Aws {
                op,
                host,
                status,
                code,
                message,
            } => {
                write!(f, "{op} on {host} failed: HTTP {status}")?;
                if !code.is_empty() {
                    write!(f, " {code}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Error::Network {
                op,
                host,
                detail,
                sent: true,
                ..
            } => write!(f, "{op} to {host} got no complete answer: {detail}"),
            Error::Network {
                op, host, detail, ..
            } => write!(f, "{op} could not reach {host}: {detail}"),
            Error::BadResponse { op, host, detail } => {
                write!(f, "{op} on {host} returned an unexpected answer: {detail}")
            }
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::ChecksFailed => write!(f, "some checks failed"),
            Error::Keychain { action, detail, .. } => {
                write!(f, "cannot {action} the OS keychain: {detail}")
            }
            Error::Environment { message, .. }
            | Error::Shared { message, .. }
            | Error::NotRun { message, .. } => {
                write!(f, "{message}")
            }
            Error::Hinted { error, context, .. } => {
                write!(f, "{error}")?;
                if let Some(c) = context {
                    write!(f, " ({c})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Text from a server or a file, fit for a terminal and one line: control
/// characters (C0, DEL, C1, so no escape sequence survives) and bidirectional
/// formatting marks are dropped, and it is cut at `max` characters.
pub fn printable(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .take(max + 1)
        .collect();
    if out.chars().count() > max {
        out = out.chars().take(max).collect::<String>() + "…";
    }
    out
}

/// The file actions of [`Error::Io`] that change something on disk, and those that
/// only look; any other action (writing to standard output, listening on a port,
/// waiting for a program) is not about a file and gets no hint here.
const WRITES: [&str; 7] = [
    "write",
    "create directory",
    "create the directory",
    "delete",
    "write the backup",
    "open lock file",
    "lock",
];
const READS: [&str; 3] = ["read", "resolve", "read the permissions of"];

/// What to do when `action` on `path` failed with `source` on `platform`, by the
/// kind of failure: move aside the file in the way, free the file another
/// program holds open, check the permissions, free disk space. Every failed
/// write gets one; a failed read when there is something to say.
pub(crate) fn io_hint(
    platform: Platform,
    action: &str,
    path: &Path,
    source: &std::io::Error,
) -> Option<String> {
    let writes = WRITES.contains(&action);
    if !writes && !READS.contains(&action) {
        return None;
    }
    let dir = path.parent().unwrap_or(path).display();
    let held_open = platform == Platform::Windows
        && (source.kind() == ErrorKind::PermissionDenied
            || matches!(source.raw_os_error(), Some(5 | 32 | 33)));
    Some(match source.kind() {
        _ if held_open => format!(
            "another program may hold {} open (the AWS CLI, an antivirus or a search indexer): \
             close it or wait for it and try again; if it persists, check that you may {} it",
            path.display(),
            if writes { "change" } else { "read" }
        ),
        ErrorKind::NotADirectory => format!(
            "a file stands where a directory on the way to {} should be: move that file aside and \
             try again",
            path.display()
        ),
        ErrorKind::AlreadyExists if action.ends_with("directory") => format!(
            "{} is a file, where a directory should be: move it aside and try again",
            path.display()
        ),
        ErrorKind::IsADirectory => format!(
            "{} is a directory, where a file should be: move it aside and try again",
            path.display()
        ),
        ErrorKind::PermissionDenied if writes => {
            format!("check that you own {dir} and may write to it, and that its files are yours")
        }
        ErrorKind::PermissionDenied => format!("check that you may read {}", path.display()),
        ErrorKind::StorageFull => "the disk is full: free some space and try again".into(),
        ErrorKind::QuotaExceeded => {
            "your disk quota is used up: free some space and try again".into()
        }
        ErrorKind::ReadOnlyFilesystem => {
            format!("{dir} is on a read-only file system: make it writable and try again")
        }
        _ if writes => format!("check that {dir} is a directory you may write to"),
        _ => return None,
    })
}

/// The single line `main` prints on failure.
pub fn one_line(err: &Error) -> String {
    let mut line = format!("sso-helper: {err}");
    if let Some(h) = err.hint() {
        line.push_str("; ");
        line.push_str(&h);
    }
    line.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every failed write says what to do, by the kind of failure; what is not a
    /// file (standard output, a port) gets no file advice.
    #[test]
    fn failed_writes_say_what_to_do() {
        use std::io::Error as IoError;
        let path = Path::new("/h/.aws/cli/cache/abc.json");
        let hint = |platform, action, e: IoError| io_hint(platform, action, path, &e);
        let linux = Platform::Linux;
        let not_dir = hint(linux, "create directory", ErrorKind::NotADirectory.into()).unwrap();
        assert!(not_dir.contains("move that file aside"), "{not_dir}");
        let file = hint(linux, "create directory", ErrorKind::AlreadyExists.into()).unwrap();
        assert!(file.contains("is a file, where a directory"), "{file}");
        let denied = hint(linux, "write", ErrorKind::PermissionDenied.into()).unwrap();
        assert!(
            denied.contains("/h/.aws/cli/cache") && denied.contains("may write"),
            "{denied}"
        );
        assert!(
            hint(linux, "write", ErrorKind::StorageFull.into())
                .unwrap()
                .contains("free some space")
        );
        assert!(
            hint(linux, "write", ErrorKind::ReadOnlyFilesystem.into())
                .unwrap()
                .contains("read-only")
        );
        // Windows: "Access denied." (5) or a sharing violation (32) after the
        // rename's retries is another program holding the file open.
        for code in [5, 32] {
            let held = hint(Platform::Windows, "write", IoError::from_raw_os_error(code)).unwrap();
            assert!(
                held.contains("another program may hold") && held.contains("abc.json"),
                "{held}"
            );
        }
        // Any other failed write still says where to look.
        assert!(hint(linux, "delete", IoError::other("odd")).is_some());
        // A read only when there is something to say; no file advice elsewhere.
        assert_eq!(hint(linux, "read", ErrorKind::InvalidData.into()), None);
        assert!(hint(linux, "read", ErrorKind::PermissionDenied.into()).is_some());
        assert_eq!(
            hint(linux, "write to", ErrorKind::BrokenPipe.into()),
            None,
            "standard output"
        );
        assert_eq!(
            hint(linux, "listen on", ErrorKind::PermissionDenied.into()),
            None
        );
        // The line main prints: the error, then its fix.
        let e = Error::Io {
            action: "create directory",
            path: "/h/.aws/cli/cache".into(),
            source: ErrorKind::NotADirectory.into(),
        };
        let line = one_line(&e);
        assert!(
            line.starts_with("sso-helper: cannot create directory /h/.aws/cli/cache: ")
                && line.contains("; a file stands where a directory"),
            "{line}"
        );
    }

    #[test]
    fn service_words_reach_the_terminal_without_controls() {
        let hostile = "ok\x1b]0;pwned\x07\x1b[2J\u{9b}31m\u{202e}txt.exe\r\nnext";
        let clean = printable(hostile, 200);
        assert!(clean.chars().all(|c| !c.is_control()), "{clean:?}");
        assert_eq!(clean, "ok]0;pwned[2J31mtxt.exenext");
        assert_eq!(printable("abcdef", 3), "abc…");
    }
}
