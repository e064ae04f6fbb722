//! `Context`: everything the outside world lends the program — environment
//! variables, the platform, the home directory and the password database (as
//! botocore finds them: `home`), the clock, sleeping, the browser (`BROWSER`,
//! then the platform's opener: `browser`) and the terminal — in one value with a
//! real constructor (`Context::real`) and a test one (`Context::for_test`), so
//! refresh windows and polling are tested by moving time, not by waiting.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::home::{Environ, NoHome, NoPasswd, Passwd, SystemPasswd};
use crate::platform::Platform;

type Clock = Box<dyn Fn() -> OffsetDateTime>;
type Sleeper = Box<dyn Fn(Duration)>;
/// Opens a URL in the browser, or says in words why it could not.
type Opener = Box<dyn Fn(&str) -> Result<(), String>>;

pub struct Context {
    vars: HashMap<String, String>,
    platform: Platform,
    /// The home directory as Python's `expanduser` starts from it (`home::home`).
    home: std::result::Result<String, NoHome>,
    passwd: Box<dyn Passwd>,
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
        let vars = utf8_vars(std::env::vars_os());
        let platform = Platform::current();
        let home = crate::home::home(platform, Environ::new(platform, &vars), &SystemPasswd);
        let browser = vars.get("BROWSER").cloned().filter(|b| !b.is_empty());
        let verbose = vars
            .get("SSO_HELPER_LOG")
            .is_some_and(|v| v.eq_ignore_ascii_case("debug"));
        Context {
            vars,
            platform,
            home,
            passwd: Box::new(SystemPasswd),
            clock: Box::new(OffsetDateTime::now_utc),
            sleeper: Box::new(std::thread::sleep),
            opener: Box::new(move |url| crate::browser::open(browser.as_deref(), url)),
            verbose,
            terminal: std::io::stderr().is_terminal() || controlling_terminal().is_some(),
            shown: None,
        }
    }

    /// A context with the given variables, home (`None`: there is none) and a clock
    /// fixed at `now`, on this platform with an empty password database; sleeping
    /// advances nothing and returns at once, the browser is never opened.
    pub fn for_test(vars: &[(&str, &str)], home: Option<PathBuf>, now: OffsetDateTime) -> Context {
        let platform = Platform::current();
        Context {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            platform,
            home: home
                .map(|h| h.to_string_lossy().into_owned())
                .ok_or(NoHome::on(platform, 0)),
            passwd: Box::new(NoPasswd),
            clock: Box::new(move || now),
            sleeper: Box::new(|_| {}),
            opener: Box::new(|_| Ok(())),
            verbose: false,
            terminal: false,
            shown: Some(Mutex::new(Vec::new())),
        }
    }

    /// The same context with another platform's rules (its home as given).
    pub fn with_platform(mut self, platform: Platform) -> Context {
        self.platform = platform;
        if let Err(e) = &mut self.home {
            *e = NoHome::on(platform, 0);
        }
        self
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

    /// A variable's value; unset and empty are the same. On Windows names are
    /// case-insensitive, as the OS and Python's `os.environ` (botocore) treat
    /// them: `aws_profile` is `AWS_PROFILE`.
    pub fn var(&self, name: &str) -> Option<&str> {
        crate::home::Environ::new(self.platform, &self.vars)
            .get(name)
            .filter(|v| !v.is_empty())
    }

    /// True for `1`, `true`, `yes` and `on` in any case.
    pub fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            ["1", "true", "yes", "on"]
                .iter()
                .any(|t| v.eq_ignore_ascii_case(t))
        })
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// `~/.aws` as botocore finds it; an error names the variables that give the
    /// home directory on this platform.
    pub fn aws_dir(&self) -> Result<PathBuf> {
        match &self.home {
            Ok(h) => Ok(crate::home::aws_dir(self.platform, h).into()),
            Err(e) => Err(e.error()),
        }
    }

    /// A file name from the environment as botocore takes it
    /// (`configloader.raw_config_parse`): `expandvars`, then `expanduser`, by this
    /// platform's rules (`home`).
    pub fn expand_path(&self, p: &str) -> Result<PathBuf> {
        let env = Environ::new(self.platform, &self.vars);
        let p = crate::home::expand_vars(self.platform, env, p);
        self.expand_user(&p)
    }

    /// `~` alone (`expanduser`), no variables.
    pub fn expand_user(&self, p: &str) -> Result<PathBuf> {
        let env = Environ::new(self.platform, &self.vars);
        crate::home::expand_user(
            self.platform,
            env,
            self.home.as_deref(),
            self.passwd.as_ref(),
            p,
        )
        .map(PathBuf::from)
        .map_err(|e| Error::Environment {
            message: format!("cannot expand {p}: {}", e.message()),
            hint: e.hint(),
        })
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

/// The environment as text: a variable whose name or value is not valid UTF-8
/// (possible on Unix) is left out, as if unset, rather than ending the process
/// (`std::env::vars` panics on one). None that sso-helper reads is ever binary.
fn utf8_vars(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> HashMap<String, String> {
    vars.filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{aws_dir, config_path};

    const NOW: OffsetDateTime = time::macros::datetime!(2026-11-23 12:00:00 UTC);

    /// The config file's name goes through the platform's rules end to end:
    /// variables, then `~`, under the home the context was given; no home is an
    /// error naming that platform's variables.
    #[test]
    fn the_config_file_by_each_platforms_rules() {
        let vars = [
            ("AWS_CONFIG_FILE", r"%UserProfile%\work\config"),
            ("USERPROFILE", r"C:\Users\me"),
        ];
        let windows = Context::for_test(&vars, Some(r"C:\Users\me".into()), NOW)
            .with_platform(Platform::Windows);
        assert_eq!(
            config_path(&windows).unwrap(),
            PathBuf::from(r"C:\Users\me\work\config")
        );
        assert_eq!(
            aws_dir(&windows).unwrap(),
            PathBuf::from(r"C:\Users\me\.aws")
        );
        let linux =
            Context::for_test(&vars, Some("/home/me".into()), NOW).with_platform(Platform::Linux);
        assert_eq!(
            config_path(&linux).unwrap(),
            PathBuf::from(r"%UserProfile%\work\config")
        );
        let linux = Context::for_test(
            &[("AWS_CONFIG_FILE", "~/$SUB/config"), ("SUB", "work")],
            Some("/home/me/".into()),
            NOW,
        )
        .with_platform(Platform::Linux);
        assert_eq!(
            config_path(&linux).unwrap(),
            PathBuf::from("/home/me/work/config")
        );

        for (platform, names) in [
            (Platform::Linux, "HOME is not set"),
            (Platform::MacOs, "HOME is not set"),
            (
                Platform::Windows,
                "USERPROFILE (or HOMEDRIVE and HOMEPATH) is not set",
            ),
        ] {
            let none = Context::for_test(&[], None, NOW).with_platform(platform);
            let e = crate::error::one_line(&config_path(&none).unwrap_err());
            assert!(e.contains(names), "{platform:?}: {e}");
            assert!(!e.contains("AWS_CONFIG_FILE"), "{platform:?}: {e}");
            let tilde =
                Context::for_test(&[("AWS_CONFIG_FILE", "~/c")], None, NOW).with_platform(platform);
            let e = crate::error::one_line(&config_path(&tilde).unwrap_err());
            assert!(e.contains("cannot expand ~/c") && e.contains(names), "{e}");
        }
    }

    /// Names are case-insensitive on Windows only; unset and empty are the same.
    #[test]
    fn variables_by_each_platforms_rules() {
        let vars = [("aws_profile", "dev"), ("EMPTY", "")];
        let windows = Context::for_test(&vars, None, NOW).with_platform(Platform::Windows);
        assert_eq!(windows.var("AWS_PROFILE"), Some("dev"));
        assert_eq!(windows.var("Aws_Profile"), Some("dev"));
        assert_eq!(windows.var("EMPTY"), None);
        for platform in [Platform::Linux, Platform::MacOs] {
            let unix = Context::for_test(&vars, None, NOW).with_platform(platform);
            assert_eq!(unix.var("AWS_PROFILE"), None);
            assert_eq!(unix.var("aws_profile"), Some("dev"));
        }
    }

    /// A variable that is not UTF-8 is left out instead of ending the process.
    #[cfg(unix)]
    #[test]
    fn variables_that_are_not_utf8_are_unset() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let vars = utf8_vars(
            [
                (OsString::from("AWS_PROFILE"), OsString::from("dev")),
                (
                    OsString::from("LANG"),
                    OsString::from_vec(b"en\xff".to_vec()),
                ),
                (OsString::from_vec(b"X\xfe".to_vec()), OsString::from("1")),
            ]
            .into_iter(),
        );
        assert_eq!(vars.len(), 1);
        assert_eq!(vars["AWS_PROFILE"], "dev");
    }
}
