//! Opening the sign-in page: the commands in `BROWSER`, read as Python's
//! `webbrowser` reads them (and so the AWS CLI and aws-sso-util), then the
//! platform's opener (`xdg-open` and its kin, `open`, `start`, from the `open`
//! crate's list).
//!
//! `BROWSER` (CPython 3.11 `Lib/webbrowser.py`, `register_standard_browsers` and
//! `get`): a list of commands separated by the path separator (`:`, `;` on
//! Windows), tried in order, empty entries skipped. An entry with `%s` is split
//! shell-style (`shlex.split`) and every `%s` in it becomes the URL; a last word
//! `&` runs it in the background. An entry without `%s` is one program name (a
//! path with spaces works; flags need `%s`) and gets the URL as its argument.
//! `BROWSER=true` therefore opens nothing and ends the search (as in Python, no
//! other opener is tried): it is reported as "no browser", so the prompt tells
//! the user to open the URL, and an unattended sign-in is refused.
//!
//! Python waits for a command to finish and takes exit status 0 as success. Here a
//! command is given a few seconds: an exit with status 0, or still running when
//! they are up, is success (a browser may stay in the foreground for as long as
//! it runs, and the sign-in must go on meanwhile); any other exit, or a command
//! that cannot be started, is a failure and the next one is tried. Commands never
//! see sso-helper's stdin or stdout (stdout is the credential_process channel).

use std::ffi::OsString;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a launcher may take to say it failed.
const GRACE: Duration = Duration::from_secs(3);

/// Opens `url`, or says in words why no command could.
pub fn open(browser_var: Option<&str>, url: &str) -> Result<(), String> {
    let mut failures: Vec<String> = Vec::new();
    for candidate in candidates(browser_var, url, cfg!(windows)) {
        if candidate.opens_nothing {
            return Err(format!("{} opens nothing", candidate.name));
        }
        match run(candidate.command, candidate.background) {
            Ok(()) => return Ok(()),
            Err(why) => failures.push(format!("{} {why}", candidate.name)),
        }
    }
    for command in open::commands(url) {
        let name = command.get_program().to_string_lossy().into_owned();
        match run(command, false) {
            Ok(()) => return Ok(()),
            Err(why) => failures.push(format!("{name} {why}")),
        }
    }
    if failures.is_empty() {
        failures.push("this platform has no opener".into());
    }
    Err(failures.join("; "))
}

/// A command from `BROWSER`, ready to run.
pub struct Candidate {
    /// How messages name it: `BROWSER entry "…"`.
    pub name: String,
    pub command: Command,
    pub background: bool,
    /// `true` (or `:`): what people set BROWSER to so that nothing opens.
    pub opens_nothing: bool,
}

/// The commands `BROWSER` lists for `url`, in order (`windows` picks `;` as the
/// separator). An entry that does not split (an unclosed quote) is skipped.
pub fn candidates(browser_var: Option<&str>, url: &str, windows: bool) -> Vec<Candidate> {
    let Some(var) = browser_var else {
        return Vec::new();
    };
    let separator = if windows { ';' } else { ':' };
    var.split(separator)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let name = format!("BROWSER entry \"{entry}\"");
            let (argv, background): (Vec<OsString>, bool) = if entry.contains("%s") {
                let mut words = crate::shlex::split(entry)?;
                let background = words.last().is_some_and(|w| w == "&");
                if background {
                    words.pop();
                }
                let argv = words
                    .into_iter()
                    .map(|w| OsString::from(w.replace("%s", url)))
                    .collect();
                (argv, background)
            } else {
                (vec![entry.into(), url.into()], false)
            };
            let (program, args) = argv.split_first()?;
            let base = std::path::Path::new(program)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let opens_nothing = base == "true" || base == ":";
            let mut command = Command::new(program);
            command.args(args);
            Some(Candidate {
                name,
                command,
                background,
                opens_nothing,
            })
        })
        .collect()
}

/// Runs one launcher: success when it exits 0 within the grace period or is still
/// running at its end (or, in the background, once it has started).
fn run(mut command: Command, background: bool) -> Result<(), String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "was not found".to_string(),
        std::io::ErrorKind::PermissionDenied => "is not executable".to_string(),
        _ => format!("could not be started ({e})"),
    })?;
    if background {
        reap_later(child);
        return Ok(());
    }
    wait_briefly(child, GRACE)
}

fn wait_briefly(mut child: Child, grace: Duration) -> Result<(), String> {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(describe(status)),
            Ok(None) if Instant::now() >= deadline => {
                reap_later(child);
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("could not be waited for ({e})")),
        }
    }
}

/// A launcher still running is left to run; a thread collects its exit.
fn reap_later(mut child: Child) {
    std::thread::spawn(move || child.wait());
}

/// An exit status in words.
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was stopped by signal {signal}");
        }
    }
    "ended abnormally".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(c: &Candidate) -> Vec<String> {
        std::iter::once(c.command.get_program())
            .chain(c.command.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    const URL: &str = "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH";

    #[test]
    fn browser_is_read_as_python_reads_it() {
        let c = candidates(
            Some("firefox:chromium --new-window '%s' &::/opt/My Browser/run"),
            URL,
            false,
        );
        assert_eq!(c.len(), 3);
        assert_eq!(argv(&c[0]), ["firefox", URL]);
        assert!(!c[0].background);
        assert_eq!(argv(&c[1]), ["chromium", "--new-window", URL]);
        assert!(c[1].background);
        assert_eq!(argv(&c[2]), ["/opt/My Browser/run", URL]);
        // Without %s the entry is one program name, flags and all (as in Python).
        assert_eq!(
            argv(&candidates(Some("firefox --new-window"), URL, false)[0]),
            ["firefox --new-window", URL]
        );
        // `;` on Windows, where `:` is part of a path.
        let w = candidates(Some(r"C:\Browsers\b.exe;edge %s"), URL, true);
        assert_eq!(argv(&w[0]), [r"C:\Browsers\b.exe", URL]);
        assert_eq!(argv(&w[1]), ["edge", URL]);
        // An entry that does not split is skipped.
        assert_eq!(candidates(Some("'open %s"), URL, false).len(), 0);
        assert!(candidates(None, URL, false).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn outcomes_are_said_in_words() {
        let run_one = |var: &str| run(candidates(Some(var), URL, false).remove(0).command, false);
        assert_eq!(run_one("/bin/sh -c true"), Err("was not found".into()));
        assert_eq!(run_one("sh -c 'exit 0' %s"), Ok(()));
        // BROWSER=true opens nothing and ends the search: no other opener runs.
        assert_eq!(
            open(Some("true:xdg-open"), URL),
            Err("BROWSER entry \"true\" opens nothing".into())
        );
        assert_eq!(run_one("false").unwrap_err(), "exited with status 1");
        assert_eq!(
            run_one("sh -c 'exit 2' %s").unwrap_err(),
            "exited with status 2"
        );
        assert_eq!(
            run_one("/nonexistent/browser").unwrap_err(),
            "was not found"
        );
        assert_eq!(
            run_one("sh -c 'kill -9 $$' %s").unwrap_err(),
            "was stopped by signal 9"
        );
        // Still running when the grace period ends: handed off, success.
        let mut slow = candidates(Some("sleep %s"), "5", false).remove(0).command;
        let child = slow.stdin(Stdio::null()).spawn().unwrap();
        assert_eq!(wait_briefly(child, Duration::from_millis(100)), Ok(()));
    }
}
