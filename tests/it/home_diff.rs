//! Where sso-helper finds the home directory and what it makes of `~` and
//! variables in `AWS_CONFIG_FILE` against Python's own: the same names go to
//! botocore's `configloader.raw_config_parse` (posixpath) and to
//! `ntpath.expanduser(ntpath.expandvars(…))` (`tests/compat/expand_path.py`, in
//! the venv, with the environment, user id and password database of each case put
//! in place of the real ones), and to `home::home`, `home::expand_vars` and
//! `home::expand_user` for Linux, macOS and Windows with the same environment and
//! password database. Where Python leaves `~` alone because there is no home,
//! sso-helper must say so instead (and nothing else may differ).
//!
//! The end-to-end tests run the binary with no `HOME` at all: the password
//! database gives the home, as Python's `pwd.getpwuid(os.getuid())` gives it.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use sso_helper::home::{self, Environ, Passwd};
use sso_helper::platform::Platform;

use crate::support::*;

/// A password database from a table of (name, uid, home).
struct Table {
    uid: u32,
    users: Vec<(&'static str, u32, &'static str)>,
}

impl Passwd for Table {
    fn own(&self) -> (u32, Option<String>) {
        let home = self.users.iter().find(|u| u.1 == self.uid);
        (self.uid, home.map(|u| u.2.to_string()))
    }

    fn home_of(&self, name: &str) -> Option<String> {
        self.users
            .iter()
            .find(|u| u.0 == name)
            .map(|u| u.2.to_string())
    }
}

struct Case {
    platform: Platform,
    environ: Vec<(&'static str, &'static str)>,
    passwd: Table,
}

fn users(own: bool) -> Vec<(&'static str, u32, &'static str)> {
    let mut v = vec![
        ("alice", 1001, "/srv/alice/"),
        ("root", 0, "/"),
        ("é", 1002, "/home/é"),
        ("empty", 1003, ""),
    ];
    if own {
        v.push(("me", 1000, "/var/lib/me"));
    }
    v
}

/// Variables every case has besides its home ones.
const COMMON: &[(&str, &str)] = &[
    ("EMPTY", ""),
    ("a_1", "x"),
    ("A-B", "dash"),
    ("DIR", "/opt/aws"),
    ("WIN", r"D:\aws"),
    ("TILDE", "~"),
    ("PCT", "%DIR%"),
    ("É", "accent"),
];

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let unix: &[&[(&str, &str)]] = &[
        &[("HOME", "/home/me")],
        &[("HOME", "/home/me/")],
        &[("HOME", "")],
        &[("HOME", "/")],
        &[("HOME", "relative/me")],
        &[("USERPROFILE", r"C:\Users\me")],
        &[],
    ];
    for platform in [Platform::Linux, Platform::MacOs] {
        for home in unix {
            for own in [true, false] {
                cases.push(Case {
                    platform,
                    environ: home.to_vec(),
                    passwd: Table {
                        uid: 1000,
                        users: users(own),
                    },
                });
            }
        }
    }
    let windows: &[&[(&str, &str)]] = &[
        &[("USERPROFILE", r"C:\Users\me"), ("USERNAME", "me")],
        &[("userprofile", r"C:\Users\me"), ("username", "me")],
        &[("USERPROFILE", r"C:\Users\me\"), ("USERNAME", "me")],
        &[("USERPROFILE", r"C:\Users\me"), ("USERNAME", "other")],
        &[("USERPROFILE", r"C:\Users\me")],
        &[("USERPROFILE", ""), ("USERNAME", "me")],
        &[("USERPROFILE", r"\\srv\share\me"), ("USERNAME", "me")],
        &[("USERPROFILE", "C:"), ("USERNAME", "me")],
        &[
            ("HOMEDRIVE", "D:"),
            ("HOMEPATH", r"\Users\me"),
            ("USERNAME", "me"),
        ],
        &[("HOMEPATH", r"\Users\me"), ("USERNAME", "me")],
        &[("HOMEDRIVE", r"\\srv\share"), ("HOMEPATH", "me")],
        &[("HOMEDRIVE", "D:"), ("HOME", "/home/me")],
        &[("HOME", "/c/Users/me"), ("USERNAME", "me")],
        &[],
    ];
    for home in windows {
        cases.push(Case {
            platform: Platform::Windows,
            environ: home.to_vec(),
            passwd: Table {
                uid: 1000,
                users: users(true),
            },
        });
    }
    cases
}

/// Names for every rule of both flavours.
fn hand_written() -> Vec<String> {
    [
        "~",
        "~/",
        "~/.aws/config",
        r"~\.aws\config",
        "~alice",
        "~alice/c",
        "~alice\\c",
        "~root/c",
        "~empty/c",
        "~é/c",
        "~me/c",
        "~other/c",
        "~nobody/c",
        "~/~/c",
        "a/~/c",
        "",
        "$HOME/.aws/config",
        "${HOME}/c",
        "$home/c",
        "%HOME%/c",
        "%USERPROFILE%\\.aws\\config",
        "%userprofile%/c",
        "$USERPROFILE/c",
        "%HOMEDRIVE%%HOMEPATH%\\c",
        "$UNSET/c",
        "${UNSET}/c",
        "%UNSET%/c",
        "a$EMPTY.b",
        "a%EMPTY%b",
        "$a_1-$a_1",
        "$A-B/c",
        "%A-B%/c",
        "${A-B}/c",
        "${unclosed",
        "${un$DIR",
        "${A$DIR}",
        "cost$",
        "$",
        "%",
        "%%",
        "$$",
        "$$DIR",
        "100%%",
        "50% off",
        "'$DIR'/c",
        "'%DIR%'/%DIR%",
        "it's $DIR",
        "$TILDE/c",
        "%TILDE%/c",
        "$PCT",
        "$É/c",
        "%É%/c",
        "%é%/c",
        "$DIR/~",
        "~$DIR",
        "~%DIR%",
        "$WIN\\config",
        "${}",
        "%%%",
        "é$DIR",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A name made of the pieces the rules care about.
fn generate(rng: &mut Rng) -> String {
    const START: &[&str] = &[
        "", "", "~", "~/", r"~\", "~alice", "~me", "~é", "~x", "$", "%",
    ];
    const PIECES: &[&str] = &[
        "/",
        "\\",
        "$",
        "%",
        "'",
        "{",
        "}",
        "-",
        "_",
        "~",
        "$$",
        "%%",
        "${",
        "a",
        "x",
        ".aws",
        "config",
        "DIR",
        "HOME",
        "EMPTY",
        "USERPROFILE",
        "USERNAME",
        "A-B",
        "a_1",
        "É",
        "é",
        "日本",
        " ",
        ":",
        "C:",
        "$DIR",
        "${DIR}",
        "%DIR%",
        "$HOME",
        "%HOME%",
        "$UNSET",
        "%UNSET%",
        "${A-B}",
        "$A-B",
        "%TILDE%",
        "$TILDE",
        "%PCT%",
    ];
    let mut s = START[rng.below(START.len())].to_string();
    for _ in 0..rng.below(7) {
        s.push_str(PIECES[rng.below(PIECES.len())]);
    }
    s
}

/// What sso-helper makes of `path` in `case`: `None` where it says there is no
/// home directory.
fn ours(case: &Case, path: &str) -> (String, Option<String>) {
    let vars: HashMap<String, String> = case
        .environ
        .iter()
        .chain(COMMON)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = Environ::new(case.platform, &vars);
    let home = home::home(case.platform, env, &case.passwd);
    let expanded = home::expand_vars(case.platform, env, path);
    let user = home::expand_user(case.platform, env, home.as_deref(), &case.passwd, &expanded);
    (expanded, user.ok())
}

/// Python's answers, one list per case.
fn theirs(cases: &[Case], paths: &[String]) -> Vec<Vec<String>> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            let environ: serde_json::Map<String, Value> = c
                .environ
                .iter()
                .chain(COMMON)
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            json!({
                "flavour": if c.platform == Platform::Windows { "nt" } else { "posix" },
                "environ": environ,
                "uid": c.passwd.uid,
                "users": c.passwd.users.iter().map(|u| json!([u.0, u.1, u.2])).collect::<Vec<_>>(),
                "paths": paths,
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(python())
        .arg(compat_script("expand_path.py"))
        .env_clear()
        .env("PYTHONUTF8", "1")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run expand_path.py");
    let stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || serde_json::to_writer(stdin, &input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "expand_path.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), cases.len());
    v
}

/// Compares every name in every case; returns how many were expanded and how
/// many said there was no home.
#[track_caller]
fn differ(paths: &[String], seed: Option<u64>) -> (usize, usize) {
    let cases = cases();
    let expected = theirs(&cases, paths);
    let (mut expanded, mut no_home) = (0, 0);
    for (case, want) in cases.iter().zip(expected) {
        for (path, want) in paths.iter().zip(want) {
            let (vars_done, got) = ours(case, path);
            let why = || {
                format!(
                    "{:?} with {:?}{}",
                    case.platform,
                    case.environ,
                    seed.map(|s| format!(" (SSO_HELPER_DIFF_SEED={s})"))
                        .unwrap_or_default()
                )
            };
            match got {
                Some(got) => {
                    expanded += 1;
                    assert_eq!(got, want, "{path:?} expands differently: {}", why());
                }
                None => {
                    // Python leaves the name as expandvars made it.
                    no_home += 1;
                    assert!(
                        want == vars_done && want.starts_with('~'),
                        "{path:?}: sso-helper found no home, Python made it {want:?}: {}",
                        why()
                    );
                }
            }
        }
    }
    (expanded, no_home)
}

#[test]
fn hand_written_names_expand_as_python_expands_them() {
    let (expanded, no_home) = differ(&hand_written(), None);
    assert!(expanded > 1000 && no_home > 10, "{expanded} / {no_home}");
}

#[test]
fn generated_names_expand_as_python_expands_them() {
    let seed = std::env::var("SSO_HELPER_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut rng = Rng(seed);
    let paths: Vec<String> = (0..3000).map(|_| generate(&mut rng)).collect();
    differ(&paths, Some(seed));
}

// ------------------------------------------------------------ end to end

/// The home directory Python gives this user when HOME is not set.
fn passwd_home() -> String {
    let out = Command::new(python())
        .args([
            "-c",
            "import os, pwd; print(pwd.getpwuid(os.getuid()).pw_dir)",
        ])
        .env_clear()
        .output()
        .expect("run python");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// The environment of `env` without HOME.
fn without_home(env: &TestEnv, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .envs(env.env().into_iter().filter(|(k, _)| k != "HOME"))
        .envs(extra.iter().copied())
        .current_dir(env.home())
        .stdin(Stdio::null());
    let out = c.output().expect("run sso-helper");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// With no HOME, `~` in AWS_CONFIG_FILE is the password database's home (as
/// Python's expanduser makes it), not a missing variable; nothing is read or
/// written there but the file named.
#[test]
fn without_home_the_password_database_gives_it() {
    let env = TestEnv::new();
    let home = passwd_home();
    let missing = format!("~/.sso-helper-test-{}/config", std::process::id());
    let run = without_home(&env, &["list"], &[("AWS_CONFIG_FILE", &missing)]);
    let want = format!(
        "{}/.sso-helper-test-{}/config",
        home.trim_end_matches('/'),
        std::process::id()
    );
    run.fails(2, &[&want, "does not exist"]);
    assert!(!run.stderr.contains("HOME is not set"), "{}", run.stderr);
}

/// `~/…` and `$NAME/…` in AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
#[test]
fn config_file_names_expand() {
    let env = TestEnv::new();
    env.standard_config();
    let dir = env.home().join(".aws");
    let dir = dir.display().to_string();
    // `$SOMEVAR/config`, and `${…}`.
    for name in ["$SOMEVAR/config", "${SOMEVAR}/config"] {
        let mut e = TestEnv::new();
        e.set("SOMEVAR", &dir).set("AWS_CONFIG_FILE", name);
        let run = e.run(&["doctor", "--profile", "dev"]);
        assert!(
            run.stdout
                .contains(&format!("{dir}/config (AWS_CONFIG_FILE) parses")),
            "{name}: {}\n{}",
            run.stdout,
            run.stderr
        );
    }
    // `~/…` under the HOME given.
    let mut e = TestEnv::new();
    std::fs::create_dir_all(e.home().join("x")).unwrap();
    std::fs::copy(env.aws("config"), e.home().join("x/config")).unwrap();
    e.set("AWS_CONFIG_FILE", "~/x/config");
    let run = e.run(&["doctor", "--profile", "dev"]);
    let want = format!("{}/x/config (AWS_CONFIG_FILE) parses", e.home().display());
    assert!(run.stdout.contains(&want), "{}\n{}", run.stdout, run.stderr);
    // An unknown variable stays as it is, as botocore leaves it.
    let mut e = TestEnv::new();
    e.set("AWS_CONFIG_FILE", "$NOT_SET_ANYWHERE/config");
    e.run(&["list"])
        .fails(2, &["$NOT_SET_ANYWHERE/config", "does not exist"]);
}
