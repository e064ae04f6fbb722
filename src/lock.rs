//! One sign-in at a time (SPEC §5): cross-process advisory locks per SSO session
//! and per (session, account, role), and the record a failed sign-in leaves for the
//! processes that waited on it.
//!
//! Files live in `~/.aws/sso-helper/` (0700; files 0600) whichever store is in use,
//! hold no secret, and are never deleted. The lock is the OS's (`File::lock`), so a
//! holder that dies — even by SIGKILL — releases it.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::{ensure_private_dir, read_json, sha1_hex, write_json};

pub struct Locks {
    dir: PathBuf,
}

/// What a waiter says: the notice shown once it has to wait, and how the
/// guarded work is named if it gives up.
#[derive(Clone, Copy)]
pub struct Waiting<'a> {
    pub notice: Option<&'a str>,
    pub what: &'a str,
}

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct Guard {
    _file: File,
}

/// What a failed sign-in leaves behind for its waiters.
#[derive(Serialize, Deserialize)]
pub(crate) struct Failure {
    /// Unix seconds (with fraction) when the failure was recorded.
    at: f64,
    /// The one-line message, without the `sso-helper: ` prefix.
    message: String,
    exit_code: u8,
}

impl Locks {
    pub fn new(aws_dir: &Path) -> Locks {
        Locks {
            dir: aws_dir.join("sso-helper"),
        }
    }

    fn path(&self, key: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", sha1_hex(key)))
    }

    /// Takes the lock named `key`. When another process holds it, `waiting.0` is
    /// shown and the call waits — at most `limit`, longer than the holder's work can
    /// take (a sign-in, a fetch); then it gives up with an error saying so (the
    /// holder is stopped or stuck), instead of waiting forever.
    pub fn acquire(
        &self,
        ctx: &Context,
        key: &str,
        waiting: Waiting<'_>,
        limit: time::Duration,
    ) -> Result<Guard> {
        let path = self.path(key, "lock");
        ensure_private_dir(&self.dir).map_err(Error::io("create directory", &self.dir))?;
        let file = open_lock_file(&path).map_err(Error::io("open lock file", &path))?;
        let started = ctx.now();
        let mut pause = std::time::Duration::from_millis(5);
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Guard { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => {
                    // A file system without locks: go on unguarded rather than fail.
                    ctx.debug(|| format!("file locks unsupported at {}", path.display()));
                    return Ok(Guard { _file: file });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path)(e)),
            }
            if !said {
                said = true;
                if let Some(msg) = waiting.notice {
                    ctx.show(msg);
                }
                ctx.debug(|| format!("waiting for lock {}", path.display()));
            }
            let waited = ctx.now() - started;
            if waited >= limit {
                return Err(Error::Login {
                    message: format!(
                        "another process has held the lock for {} for {} minutes, longer than that work can take",
                        waiting.what,
                        waited.whole_minutes()
                    ),
                    hint: format!(
                        "stop the other sso-helper process (it may be stopped or stuck), then try again; the lock is {}",
                        path.display()
                    ),
                });
            }
            ctx.sleep(pause);
            pause = (pause * 2).min(std::time::Duration::from_millis(100));
        }
    }

    /// Records that the work guarded by `key` failed with `err`, now.
    pub fn record_failure(&self, ctx: &Context, key: &str, err: &Error) {
        let line = crate::error::one_line(err);
        let failure = Failure {
            at: unix_seconds(ctx.now()),
            message: line.trim_start_matches("sso-helper: ").to_string(),
            exit_code: err.exit_code(),
        };
        if let Err(e) = write_json(&self.path(key, "failure.json"), &failure) {
            ctx.debug(|| format!("could not record the failure: {e}"));
        }
    }

    /// The failure recorded for `key` at or after `since` (the start of this process):
    /// a waiter reports it instead of starting the same doomed work again.
    pub fn failure_since(&self, key: &str, since: OffsetDateTime) -> Option<Error> {
        let f: Failure = read_json(&self.path(key, "failure.json"))?;
        (f.at >= unix_seconds(since)).then_some(Error::Shared {
            message: f.message,
            exit_code: f.exit_code,
        })
    }
}

fn unix_seconds(t: OffsetDateTime) -> f64 {
    t.unix_timestamp_nanos() as f64 / 1e9
}

/// Never through a symbolic link: someone who can write `~/.aws/sso-helper` must
/// not make sso-helper create or open a file elsewhere.
#[cfg(unix)]
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_second_holder_waits_until_the_first_releases() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::for_test(&[], None, datetime!(2026-11-23 12:00:00 UTC));
        let locks = Locks::new(dir.path());
        let quiet = Waiting {
            notice: None,
            what: "the test",
        };
        let first = locks
            .acquire(&ctx, "session:corp", quiet, time::Duration::minutes(1))
            .unwrap();
        let path = locks.path("session:corp", "lock");
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let ctx = Context::for_test(&[], None, datetime!(2026-11-23 12:00:00 UTC))
                .with_sleeper(std::thread::sleep);
            let locks = Locks {
                dir: path.parent().unwrap().to_path_buf(),
            };
            let waiting = Waiting {
                notice: Some("waiting"),
                what: "the test",
            };
            let g = locks
                .acquire(&ctx, "session:corp", waiting, time::Duration::minutes(1))
                .unwrap();
            tx.send(ctx.shown()).unwrap();
            drop(g);
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(rx.try_recv().is_err(), "the waiter must still be waiting");
        drop(first);
        let shown = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(shown, vec!["waiting".to_string()]);
        waiter.join().unwrap();
        // The lock file stays; it is never deleted.
        assert!(locks.path("session:corp", "lock").exists());
    }

    /// A holder that never lets go (stopped, stuck): the waiter gives up once the
    /// work must have ended, and says so.
    #[test]
    fn a_waiter_gives_up_after_the_limit() {
        use std::cell::Cell;
        use std::rc::Rc;
        let dir = tempfile::tempdir().unwrap();
        let start = datetime!(2026-11-23 12:00:00 UTC);
        let clock = Rc::new(Cell::new(start));
        let (c1, c2) = (clock.clone(), clock.clone());
        let ctx = Context::for_test(&[], None, start)
            .with_clock(move || c1.get())
            .with_sleeper(move |d| c2.set(c2.get() + d));
        let locks = Locks::new(dir.path());
        let waiting = Waiting {
            notice: Some("waiting for the sign-in"),
            what: "the sign-in to sso-session \"corp\"",
        };
        let _held = locks
            .acquire(&ctx, "session:corp", waiting, time::Duration::minutes(1))
            .unwrap();
        let e = locks
            .acquire(&ctx, "session:corp", waiting, time::Duration::minutes(33))
            .unwrap_err();
        let line = crate::error::one_line(&e);
        assert!(
            line.contains("held the lock for the sign-in to sso-session \"corp\" for 33 minutes"),
            "{line}"
        );
        assert!(clock.get() - start >= time::Duration::minutes(33));
        assert_eq!(ctx.shown(), ["waiting for the sign-in"]);
    }

    #[cfg(unix)]
    #[test]
    fn lock_files_are_never_opened_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::for_test(&[], None, datetime!(2026-11-23 12:00:00 UTC));
        let locks = Locks::new(dir.path());
        std::fs::create_dir_all(&locks.dir).unwrap();
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, locks.path("k", "lock")).unwrap();
        let quiet = Waiting {
            notice: None,
            what: "k",
        };
        assert!(
            locks
                .acquire(&ctx, "k", quiet, time::Duration::minutes(1))
                .is_err()
        );
        assert!(!target.exists(), "nothing created through the link");
    }

    #[test]
    fn failures_reach_waiters_that_started_before_them() {
        let dir = tempfile::tempdir().unwrap();
        let at = datetime!(2026-11-23 12:00:00 UTC);
        let ctx = Context::for_test(&[], None, at);
        let locks = Locks::new(dir.path());
        let err = Error::Login {
            message: "the sign-in was denied".into(),
            hint: "run it again".into(),
        };
        locks.record_failure(&ctx, "k", &err);
        let seen = locks
            .failure_since("k", at - time::Duration::seconds(5))
            .unwrap();
        assert_eq!(crate::error::one_line(&seen), crate::error::one_line(&err));
        assert_eq!(seen.exit_code(), 1);
        assert!(
            locks
                .failure_since("k", at + time::Duration::seconds(1))
                .is_none()
        );
        assert!(locks.failure_since("other", at).is_none());
    }
}
