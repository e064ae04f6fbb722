//! sso-helper's split of `credential_process` lines against botocore's own: the
//! same lines go to botocore's `compat_shell_split` (`tests/compat/shell_split.py`,
//! in the venv) with `sys.platform` set to `win32`, `linux` and `darwin`, and to
//! `process_line::split` with the matching `Platform`; both must give the same
//! words, or both must refuse the line. The Windows split is a pure function, so
//! its rules are checked here, on Linux, against botocore's `_windows_shell_split`.
//!
//! The corpus: a hand-written line for every rule; a few thousand generated lines
//! (quotes, runs of backslashes, spaces and tabs, line breaks, non-ASCII white
//! space); and the lines `configure` writes for generated program paths on each
//! platform, which botocore must read back as that path and `--profile NAME`, and
//! which `sh -c` (how the other SDKs run the line on Unix) must run as the same
//! words. The generator is seeded; a failure prints the seed, and
//! `SSO_HELPER_DIFF_SEED=N` replays it. What `cmd.exe` makes of the Windows lines
//! is not checked here (no Windows machine): `process_line`'s unit tests hold a
//! model of its rules.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use sso_helper::platform::Platform;
use sso_helper::process_line::{quote_program, shell_reading, split};

use crate::support::*;

/// The key of `platform` in shell_split.py's answer.
fn key(platform: Platform) -> &'static str {
    match platform {
        Platform::Windows => "windows",
        Platform::Linux => "linux",
        Platform::MacOs => "darwin",
    }
}

/// What botocore makes of each line, on each platform.
fn theirs(lines: &[String]) -> Vec<Value> {
    let mut child = Command::new(python())
        .arg(compat_script("shell_split.py"))
        .env_clear()
        .env("PYTHONUTF8", "1")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shell_split.py");
    let input = serde_json::to_vec(lines).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "shell_split.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), lines.len());
    v
}

fn replay(seed: Option<u64>) -> String {
    seed.map(|s| format!(" (SSO_HELPER_DIFF_SEED={s})"))
        .unwrap_or_default()
}

/// Compares every line on every platform; returns (split, refused) counts over
/// all three platforms.
#[track_caller]
fn differ(lines: &[String], seed: Option<u64>) -> (usize, usize) {
    let expected = theirs(lines);
    let (mut split_count, mut refused) = (0, 0);
    for (line, want) in lines.iter().zip(expected) {
        for platform in Platform::ALL {
            let want: Option<Vec<String>> =
                serde_json::from_value(want[key(platform)].clone()).unwrap();
            let got = split(line, platform);
            assert!(
                got == want,
                "sso-helper and botocore split this line differently on {platform:?}{}:\n{line:?}\nbotocore:   {want:?}\nsso-helper: {got:?}",
                replay(seed)
            );
            match got {
                Some(_) => split_count += 1,
                None => refused += 1,
            }
        }
    }
    (split_count, refused)
}

/// A line for every rule of both splits.
fn hand_written() -> Vec<String> {
    [
        // The issue's line, and the usual shapes.
        r"C:\Users\me\bin\sso-helper.exe --profile dev",
        r#""C:\Program Files\sso-helper.exe" --profile dev"#,
        r#""C:\Program Files\sso-helper.exe" --profile "x y""#,
        "/usr/local/bin/sso-helper --profile dev",
        "'/Users/Jo Doe/bin/sso-helper' --profile dev",
        r#""/a\\b\"c/sso-helper" --profile dev"#,
        r"'/it'\''s/sso-helper' --profile dev",
        r"C:\PROGRA~1\sso-helper.exe --profile=dev",
        r#""C:\Users\A&B^C (x)\sso-helper.exe" --profile dev"#,
        // Backslashes before a quote: pairs, and an odd one out.
        r#"a\"b"#,
        r#"a\\"b c""#,
        r#"a\\\"b"#,
        r#"a\\\\"b c""#,
        r#""a\\" b"#,
        r#""a\\\" b""#,
        r#""a\" b"#,
        r#"\"#,
        r#"\\"#,
        r#"\\\"#,
        "a\\",
        "a\\\\ b",
        r"a\b\\c\\\d",
        r"\\server\share\sso-helper.exe --profile dev",
        // Quotes: empty words, adjacent stretches, doubled quotes, unclosed.
        r#"x "" y"#,
        r#""""#,
        r#""" """#,
        r#""a""b""#,
        r#""a"" b""#,
        r#"a"b c"d"#,
        r#""open"#,
        r#"a "b"#,
        r#""a\""#,
        "'single'",
        "'a b'",
        "'open",
        "\"'\" '\"'",
        // White space: space and tab only on Windows; CR and LF too in shlex.
        "",
        " ",
        "  \t ",
        "a  b\t\tc",
        " lead trail ",
        "a\rb\nc \t d",
        "\u{a0}x\u{3000}y\u{2028}",
        "é 日本 \"ü ñ\"",
        // Shell characters mean nothing to either split.
        "a&b|c<d>e(f)g^h%i%$j`k`;l,m=n!o~p#q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Pieces of generated lines.
const LINE_PIECES: &[&str] = &[
    "a",
    "b",
    "sso-helper",
    "--profile",
    "dev",
    " ",
    " ",
    "  ",
    "\t",
    "\"",
    "\"",
    "'",
    "\\",
    "\\",
    "\\\\",
    "\\\\\\",
    "\\\"",
    "\"\"",
    "C:\\",
    "\r",
    "\n",
    "\u{a0}",
    "\u{3000}",
    "é",
    "=",
    "#",
    "&",
    "%",
    "$",
    "~",
];

fn generate_line(rng: &mut Rng) -> String {
    let n = rng.below(14);
    (0..n).map(|_| rng.pick(LINE_PIECES)).collect()
}

/// Pieces of generated program paths.
const PATH_PIECES: &[&str] = &[
    "a",
    "Z",
    "9",
    "sso-helper",
    ".exe",
    "C:",
    "\\",
    "\\\\",
    "/",
    " ",
    "  ",
    "\t",
    "\"",
    "'",
    "&",
    "^",
    "%",
    "$",
    "!",
    "~",
    "(",
    ")",
    ";",
    ",",
    "=",
    "@",
    "#",
    "`",
    "*",
    "?",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "|",
    "+",
    "-",
    "_",
    ".",
    "é",
    "日本",
    "\u{a0}",
    "\n",
    "$HOME",
    "%PATH%",
    "$(x)",
    "Program Files",
    "Jo Doe",
    "it's",
];

fn generate_path(rng: &mut Rng) -> String {
    let n = 1 + rng.below(10);
    let mut p: String = (0..n).map(|_| rng.pick(PATH_PIECES)).collect();
    if rng.chance(15) {
        p.push('\\');
    }
    p
}

/// The line `configure` writes for `path` on `platform`, with the words it must
/// split into; `None` when configure refuses the path.
fn configure_line(path: &str, platform: Platform, name: &str) -> Option<(String, Vec<String>)> {
    let program = quote_program(path, platform).ok()?;
    Some((
        format!("{program} --profile {name}"),
        vec![path.to_string(), "--profile".into(), name.to_string()],
    ))
}

/// What `sh -c LINE` runs, for each line: its words, as `printf` receives them.
fn sh_words(lines: &[String]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let script: String = lines
        .iter()
        .map(|l| format!("printf '%s\\0' {l}; printf '\\n'\n"))
        .collect();
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/home/someone")
        .output()
        .expect("run sh");
    if !out.status.success() {
        // Name the line that breaks the script.
        for l in lines {
            let alone = Command::new("sh")
                .arg("-c")
                .arg(format!("printf '%s\\0' {l}"))
                .current_dir(dir.path())
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .output()
                .unwrap();
            assert!(
                alone.status.success() && alone.stderr.is_empty(),
                "sh -c fails on a line configure writes: {l:?}: {}",
                String::from_utf8_lossy(&alone.stderr)
            );
        }
        panic!("sh failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let records: Vec<Vec<String>> = text
        .split_terminator('\n')
        .map(|r| r.split_terminator('\0').map(str::to_string).collect())
        .collect();
    assert_eq!(
        records.len(),
        lines.len(),
        "sh ran a different number of lines"
    );
    records
}

#[test]
fn hand_written_lines_split_as_botocore_splits_them() {
    let (split, refused) = differ(&hand_written(), None);
    assert!(split >= 100 && refused >= 8, "{split} / {refused}");
}

#[test]
fn generated_lines_split_as_botocore_splits_them() {
    for seed in seeds() {
        let mut rng = Rng(seed);
        let corpus: Vec<String> = (0..3000).map(|_| generate_line(&mut rng)).collect();
        let (split, refused) = differ(&corpus, Some(seed));
        assert!(
            split >= 3000 && refused >= 1000,
            "the generator should make both kinds (seed {seed}): {split} split, {refused} refused"
        );
    }
}

/// What configure writes for a program path, botocore reads back as that path on
/// the same platform, and `sh -c` runs as that path on Unix; configure refuses
/// only what neither can be given.
#[test]
fn configure_lines_read_back_in_botocore_and_sh() {
    const NAMES: &[&str] = &["dev", "corp-dev.readonly", "a_b", "x-2"];
    for seed in seeds() {
        let mut rng = Rng(seed);
        let mut cases: Vec<(Platform, String, Vec<String>)> = Vec::new();
        let mut refused = 0;
        for _ in 0..2000 {
            let path = generate_path(&mut rng);
            let name = rng.pick(NAMES);
            for platform in Platform::ALL {
                match configure_line(&path, platform, name) {
                    Some((line, words)) => cases.push((platform, line, words)),
                    None => refused += 1,
                }
            }
        }
        let lines: Vec<String> = cases.iter().map(|(_, l, _)| l.clone()).collect();
        let expected = theirs(&lines);
        for ((platform, line, words), botocore) in cases.iter().zip(&expected) {
            let read: Option<Vec<String>> =
                serde_json::from_value(botocore[key(*platform)].clone()).unwrap();
            assert!(
                read.as_ref() == Some(words),
                "botocore reads what configure writes on {platform:?} differently{}:\nline: {line:?}\nbotocore: {read:?}\nwritten:  {words:?}",
                replay(Some(seed))
            );
            assert_eq!(split(line, *platform).as_ref(), Some(words));
        }
        let unix: Vec<&(Platform, String, Vec<String>)> = cases
            .iter()
            .filter(|(p, _, _)| *p == Platform::Linux)
            .collect();
        let ran = sh_words(&unix.iter().map(|(_, l, _)| l.clone()).collect::<Vec<_>>());
        for ((_, line, words), got) in unix.iter().zip(ran) {
            assert!(
                &got == words,
                "sh -c runs what configure writes differently{}:\nline: {line:?}\nsh:      {got:?}\nwritten: {words:?}",
                replay(Some(seed))
            );
        }
        let windows = cases
            .iter()
            .filter(|(p, _, _)| *p == Platform::Windows)
            .count();
        assert!(
            unix.len() > 1500 && windows > 300 && refused > 300,
            "the generator should make every kind (seed {seed}): {} Unix lines, {windows} Windows lines, {refused} refused",
            unix.len()
        );
    }
}

/// Pieces of generated lines for the shell check: words, quotes, escapes, and
/// every character `sh` might read as syntax, often enough quoted for a good part
/// of the lines to read alike.
const SHELL_PIECES: &[&str] = &[
    "a",
    "b",
    "ab",
    "/tmp/p/",
    "sso-helper",
    "--profile",
    "dev",
    " ",
    " ",
    " ",
    "\t",
    "'",
    "'",
    "\"",
    "\"",
    "\\",
    "\\\\",
    "\\\"",
    "$",
    "$HOME",
    "${HOME}",
    "$(x)",
    "`",
    "*",
    "?",
    "[",
    "]",
    "{",
    "}",
    "{a,b}",
    ",",
    "~",
    "#",
    "=",
    "A=",
    ";",
    "&",
    "|",
    "<",
    ">",
    "(",
    ")",
    "%",
    "!",
    "@",
    "+",
    ":",
    "é",
    "\r",
    "\n",
    "if",
    "'$X *'",
    "\"d e\"",
    "'#'",
];

fn generate_shell_line(rng: &mut Rng) -> String {
    let n = 1 + rng.below(9);
    (0..n).map(|_| rng.pick(SHELL_PIECES)).collect()
}

/// What `sh -c` gives `printf` for each line as its arguments: one `printf
/// '%s\0'` per line, each on a line of its own (a comment ends there), in a
/// directory with files the globs can match, with a `PATH` in which no program
/// can be found (a line that would run something finds nothing to run). A line
/// that breaks the script is named.
fn sh_args(lines: &[String]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    for f in ["a", "b", "ab", "dev", "sso-helper"] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    let run = |script: &str| {
        Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", empty.path())
            .env("HOME", "/home/someone")
            .output()
            .expect("run sh")
    };
    let script: String = lines
        .iter()
        .map(|l| format!("printf '%s\\0' {l}\nprintf '\\036'\n"))
        .collect();
    let out = run(&script);
    let text = String::from_utf8(out.stdout).unwrap();
    let records: Vec<Vec<String>> = text
        .split_terminator('\u{1e}')
        .map(|r| r.split_terminator('\0').map(str::to_string).collect())
        .collect();
    if !out.status.success() || !out.stderr.is_empty() || records.len() != lines.len() {
        for l in lines {
            let alone = run(&format!("printf '%s\\0' {l}"));
            assert!(
                alone.status.success() && alone.stderr.is_empty(),
                "sh -c fails on a line doctor takes for one it reads as botocore does: {l:?}: {}",
                String::from_utf8_lossy(&alone.stderr)
            );
        }
        panic!(
            "sh ran {} records for {} lines: {}",
            records.len(),
            lines.len(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    records
}

/// Doctor's shell check (`process_line::shell_reading`) against a real `sh -c`:
/// a line it finds read alike gives `sh` the words POSIX `shlex.split` (botocore on
/// Unix) gives; the fixed line it offers for the others gives both the words
/// botocore runs today.
#[test]
fn lines_doctor_finds_read_alike_run_alike_in_sh() {
    let linux = Platform::Linux;
    for seed in seeds() {
        let mut rng = Rng(seed);
        let (mut alike, mut fixed, mut differ) = (Vec::new(), Vec::new(), 0);
        for _ in 0..3000 {
            let line = generate_shell_line(&mut rng);
            let Some(words) = split(&line, linux).filter(|w| !w.is_empty()) else {
                continue;
            };
            // A program starting with ~ is the Tilde check's, not this one's.
            if line
                .trim_start_matches([' ', '\t', '\r', '\n'])
                .starts_with('~')
            {
                continue;
            }
            match shell_reading(&line, linux) {
                None => alike.push((line, words)),
                Some(reading) => {
                    differ += 1;
                    if let Some(f) = reading.fixed {
                        // A comment for sh is dropped from the fixed line: what it
                        // keeps is botocore's words up to one that starts with #.
                        let mut words = words;
                        if reading.shell_does.iter().any(|d| d.contains("comment")) {
                            let kept = split(&f, linux).unwrap_or_default();
                            assert!(
                                words.starts_with(&kept)
                                    && words.get(kept.len()).is_some_and(|w| w.starts_with('#')),
                                "the fixed line keeps other words than those before the comment{}: {line:?} -> {f:?}",
                                replay(Some(seed))
                            );
                            words.truncate(kept.len());
                        }
                        assert_eq!(
                            split(&f, linux).as_ref(),
                            Some(&words),
                            "the fixed line splits otherwise{}: {line:?} -> {f:?}",
                            replay(Some(seed))
                        );
                        assert_eq!(
                            shell_reading(&f, linux),
                            None,
                            "the fixed line is not read alike{}: {f:?}",
                            replay(Some(seed))
                        );
                        fixed.push((f, words));
                    }
                }
            }
        }
        for (cases, what) in [(&alike, "read alike"), (&fixed, "fixed")] {
            let lines: Vec<String> = cases.iter().map(|(l, _)| l.clone()).collect();
            for ((line, words), got) in cases.iter().zip(sh_args(&lines)) {
                assert!(
                    &got == words,
                    "a line doctor takes as {what} runs otherwise in sh -c{}:\nline: {line:?}\nsh:    {got:?}\nshlex: {words:?}",
                    replay(Some(seed))
                );
            }
        }
        assert!(
            alike.len() > 300 && fixed.len() > 500 && differ > 1000,
            "the generator should make every kind (seed {seed}): {} alike, {} fixed, {differ} read otherwise",
            alike.len(),
            fixed.len()
        );
    }
}

/// Fixed seeds, and one new one per run (printed when it fails); or the one in
/// `SSO_HELPER_DIFF_SEED`.
fn seeds() -> Vec<u64> {
    match std::env::var("SSO_HELPER_DIFF_SEED") {
        Ok(s) => vec![s.parse().expect("SSO_HELPER_DIFF_SEED is a number")],
        Err(_) => {
            let fresh = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1;
            vec![1, 2, 3, fresh]
        }
    }
}
