//! `Context`: everything the outside world lends the program — environment
//! variables, the home directory, the clock, sleeping, the browser (`BROWSER`,
//! then the platform's opener: `browser`) and the terminal — in one value with a real constructor (`Context::real`) and a test one
//! (`Context::for_test`), so refresh windows and polling are tested by moving time,
//! not by waiting.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;

type Clock = Box<dyn Fn() -> OffsetDateTime>;
type Sleeper = Box<dyn Fn(Duration)>;
/// Opens a URL in the browser, or says in words why it could not.
type Opener = Box<dyn Fn(&str) -> Result<(), String>>;

pub struct Context {
    vars: HashMap<String, String>,
    home: Option<PathBuf>,
    clock: Clock,
    sleeper: Sleeper,
    opener: Opener,
    verbose: bool,
    /// Whether a prompt can reach the user: stderr is a terminal, or there is a
    /// controlling terminal.
    terminal: bool,
    /// Lines shown to the user (test constructor only), for assertions.
    shown: Option<Mutex<Vec<String>>>,
}

impl Context {
    /// The real world: process environment, system clock, `open`, `/dev/tty`.
    pub fn real() -> Context {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let home = home_from(&vars);
        let browser = vars.get("BROWSER").cloned().filter(|b| !b.is_empty());
        let verbose = vars
            .get("SSO_HELPER_LOG")
            .is_some_and(|v| v.eq_ignore_ascii_case("debug"));
        Context {
            vars,
            home,
            clock: Box::new(OffsetDateTime::now_utc),
            sleeper: Box::new(std::thread::sleep),
            opener: Box::new(move |url| crate::browser::open(browser.as_deref(), url)),
            verbose,
            terminal: std::io::stderr().is_terminal() || controlling_terminal().is_some(),
            shown: None,
        }
    }

    /// A context with the given variables, home and a clock fixed at `now`; sleeping
    /// advances nothing and returns at once, the browser is never opened.
    pub fn for_test(vars: &[(&str, &str)], home: Option<PathBuf>, now: OffsetDateTime) -> Context {
        Context {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home,
            clock: Box::new(move || now),
            sleeper: Box::new(|_| {}),
            opener: Box::new(|_| Ok(())),
            verbose: false,
            terminal: false,
            shown: Some(Mutex::new(Vec::new())),
        }
    }

    pub fn with_clock(mut self, clock: impl Fn() -> OffsetDateTime + 'static) -> Context {
        self.clock = Box::new(clock);
        self
    }

    pub fn with_sleeper(mut self, sleeper: impl Fn(Duration) + 'static) -> Context {
        self.sleeper = Box::new(sleeper);
        self
    }

    pub fn with_opener(mut self, opener: impl Fn(&str) -> Result<(), String> + 'static) -> Context {
        self.opener = Box::new(opener);
        self
    }

    pub fn with_terminal(mut self, terminal: bool) -> Context {
        self.terminal = terminal;
        self
    }

    /// Whether a line `show` prints can reach a person: stderr is a terminal or
    /// the process has a controlling terminal (SDKs capture a helper's stderr).
    pub fn has_terminal(&self) -> bool {
        self.terminal
    }

    pub fn set_verbose(&mut self, on: bool) {
        self.verbose |= on;
    }

    /// A variable's value; unset and empty are the same.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A variable's value as set, empty included (for `expandvars`).
    pub fn var_raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// True for `1`, `true`, `yes` and `on` in any case.
    pub fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            ["1", "true", "yes", "on"]
                .iter()
                .any(|t| v.eq_ignore_ascii_case(t))
        })
    }

    pub fn home(&self) -> Option<&PathBuf> {
        self.home.as_ref()
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    pub fn sleep(&self, d: Duration) {
        (self.sleeper)(d)
    }

    /// Opens `url` in the browser; the error says in words why it could not.
    pub fn open_browser(&self, url: &str) -> Result<(), String> {
        (self.opener)(url)
    }

    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// Debug log line (`-v`, `SSO_HELPER_LOG=debug`). Callers never pass secrets.
    pub fn debug(&self, msg: impl FnOnce() -> String) {
        if self.verbose {
            eprintln!("sso-helper: debug: {}", msg());
        }
    }

    /// A line the user must see even when an SDK captures stderr: it goes to stderr
    /// and, when stderr is not itself the terminal, to the controlling terminal too.
    pub fn show(&self, line: &str) {
        if let Some(shown) = &self.shown {
            shown.lock().unwrap().push(line.to_string());
            return;
        }
        let stderr = std::io::stderr();
        let _ = writeln!(stderr.lock(), "{line}");
        if !stderr.is_terminal()
            && let Some(mut tty) = controlling_terminal()
        {
            let _ = writeln!(tty, "{line}");
        }
    }

    /// What `show` printed, under the test constructor.
    pub fn shown(&self) -> Vec<String> {
        self.shown
            .as_ref()
            .map(|s| s.lock().unwrap().clone())
            .unwrap_or_default()
    }
}

#[cfg(unix)]
fn controlling_terminal() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .ok()
}

#[cfg(windows)]
fn controlling_terminal() -> Option<std::fs::File> {
    std::fs::OpenOptions::new().write(true).open("CONOUT$").ok()
}

#[cfg(not(any(unix, windows)))]
fn controlling_terminal() -> Option<std::fs::File> {
    None
}

fn home_from(vars: &HashMap<String, String>) -> Option<PathBuf> {
    let keys: &[&str] = if cfg!(windows) {
        &["HOME", "USERPROFILE"]
    } else {
        &["HOME"]
    };
    keys.iter()
        .filter_map(|k| vars.get(*k))
        .find(|v| !v.is_empty())
        .map(PathBuf::from)
}
