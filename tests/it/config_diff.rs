//! sso-helper's config reader against botocore's own: the same files go to
//! botocore's `configloader.load_config` (`tests/compat/config_dump.py`, in the
//! venv) and to `ConfigFile::parse`, and both must give the same profiles,
//! sso-sessions and services, in the same order, with the same keys and values
//! (nested blocks included), or both must refuse the file.
//!
//! The corpus: a hand-written file for every rule of the reader (`ini.rs` lists
//! them), and a few thousand generated files that mix those rules at random —
//! indentation, `#`/`;` comments, blank and white-space-only lines, CRLF and lone
//! CR, `:` and `=`, key case, quoted, spaced and odd headers, `[DEFAULT]`,
//! continuation lines and nested blocks, repeated sections and keys, stray lines,
//! a byte-order mark. The generator is seeded; a failure prints the seed and the
//! file, and `SSO_HELPER_DIFF_SEED=N` replays it.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use sso_helper::config::{ConfigFile, Section, Setting};

use crate::support::*;

/// What sso-helper makes of `text`, in config_dump.py's shape.
fn ours(text: &str) -> Value {
    let Ok(file) = ConfigFile::parse(Path::new("/corpus"), text) else {
        return json!({"error": "refused"});
    };
    let section = |s: &Section| -> Value {
        s.settings()
            .map(|(k, v)| match v {
                Setting::Text(t) => json!([k, t]),
                Setting::Nested(pairs) => json!([k, {"nested": pairs}]),
            })
            .collect()
    };
    let list = |order: &[String], map: &sso_helper::config::Names<Section>| -> Value {
        order.iter().map(|n| json!([n, section(&map[n])])).collect()
    };
    json!({
        "profiles": list(&file.profile_order, &file.profiles),
        "sso_sessions": list(&file.session_order, &file.sessions),
        "services": list(&file.services_order, &file.services),
    })
}

thread_local! {
    /// How many readings the piecewise reader decided on this test's thread
    /// (so that its comparison is not vacuous).
    static DECIDED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The warm path's reader (`ConfigFile::parse_owned` keeping one profile, which
/// skips the other sections without keeping them) against the whole-file reader:
/// the same refusal with the same message, or the same settings for the profile.
fn filtered_agrees(text: &str, seed: Option<u64>) {
    let path = Path::new("/corpus");
    let whole = ConfigFile::parse(path, text);
    for name in ["dev", "prod", "a", "Dev", "x y", "default", "é", "nowhere"] {
        let one = ConfigFile::parse_owned(path, text.to_string(), Some(name));
        let shown = |r: &Result<ConfigFile, sso_helper::error::Error>| match r {
            Err(e) => json!({"error": sso_helper::error::one_line(e)}),
            Ok(f) => match f.profiles.get(name) {
                Some(s) => json!({"profile": s.settings().map(|(k, v)| match v {
                    Setting::Text(t) => json!([k, t]),
                    Setting::Nested(pairs) => json!([k, {"nested": pairs}]),
                }).collect::<Vec<_>>()}),
                None => json!({"profile": null}),
            },
        };
        let (a, b) = (shown(&whole), shown(&one));
        assert!(
            a == b,
            "keeping only [{name}] reads this file differently{}:\n---\n{text:?}\n---\nwhole file: {a}\nonly {name}: {b}",
            seed.map(|s| format!(" (SSO_HELPER_DIFF_SEED={s})"))
                .unwrap_or_default()
        );
        // The warm path's reader, which reads the file in pieces and leaves
        // what it does not decide to the reader above: where it decides, it
        // decides alike, wherever the pieces end.
        for piece in [1, 7, 64, 16 * 1024] {
            let mut src = text.as_bytes();
            let size = text.len() as u64;
            let Some(f) = ConfigFile::read_for_profile(path, &mut src, size, name, piece) else {
                continue;
            };
            DECIDED.set(DECIDED.get() + 1);
            let c = shown(&Ok(f));
            assert!(
                a == c,
                "reading in pieces of {piece} bytes, keeping only [{name}], reads this file differently{}:\n---\n{text:?}\n---\nwhole file: {a}\nin pieces: {c}",
                seed.map(|s| format!(" (SSO_HELPER_DIFF_SEED={s})"))
                    .unwrap_or_default()
            );
        }
    }
}

/// What botocore makes of each file.
fn theirs(dir: &Path, texts: &[String]) -> Vec<Value> {
    let mut paths = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let p = dir.join(format!("config-{i}"));
        std::fs::write(&p, t).unwrap();
        paths.push(p);
    }
    let out = Command::new(python())
        .arg(compat_script("config_dump.py"))
        .args(&paths)
        .env_clear()
        .env("PYTHONUTF8", "1")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .output()
        .expect("run config_dump.py");
    assert!(
        out.status.success(),
        "config_dump.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), texts.len());
    v
}

/// Compares every file; returns (accepted, refused) counts.
#[track_caller]
fn differ(texts: &[String], seed: Option<u64>) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let expected = theirs(dir.path(), texts);
    let (mut accepted, mut refused) = (0, 0);
    for (text, want) in texts.iter().zip(expected) {
        filtered_agrees(text, seed);
        let got = ours(text);
        let both_refuse = want.get("error").is_some() && got.get("error").is_some();
        if both_refuse {
            refused += 1;
            continue;
        }
        accepted += 1;
        assert!(
            got == want,
            "sso-helper and botocore read this file differently{}:\n---\n{text:?}\n---\nbotocore:   {want}\nsso-helper: {got}",
            seed.map(|s| format!(" (SSO_HELPER_DIFF_SEED={s})"))
                .unwrap_or_default()
        );
    }
    (accepted, refused)
}

/// A file for every rule.
fn hand_written() -> Vec<String> {
    [
        // Plain layouts.
        "[default]\nregion = us-east-1\n[profile dev]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\n",
        // Indented keys at one level are keys; deeper lines continue.
        "[profile a]\n  region = x\n  sso_session = y\n",
        "[profile a]\nregion = x\n  sso_session = y\n",
        "[profile a]\n    region = x\n  sso_session = y\n\tz = 1\n",
        "[profile a]\nk = v\n\n  after blank\n\n\n",
        "[profile a]\nk = v\n# comment\n  continued\n  ; another\n",
        "[profile a]\nk = v\n\t\tcont\n  \t cont2\n",
        // An indented line without `=` in another profile continues its key.
        "[profile other]\nnote = first\n  second line\n[profile dev]\nregion = x\n",
        // `:` separates like `=`, the first of them wins; case of keys.
        "[profile a]\nRegion: eu-west-1\nURL = https://x:443/a=b\nk:v=w\n",
        "[profile a]\nMiXeD_Key = 1\nclé = v\nÜBER = 2\n",
        // Headers: text after `]`, quotes, spaces, odd names.
        "[profile a] ; comment after\nk = 1\n[profile b] x ] y\nk = 2\n",
        "[profile \"with space\"]\nk = 1\n[profile 'q']\nk = 2\n[profile  spaced ]\nk = 3\n",
        "[ profile a]\nk = 1\n[profile a b]\nk = 2\n[profile]\nk = 3\n[profiles odd]\nk = 4\n",
        "[sso-session \"s s\"]\nk = 1\n[services x]\nsso =\n  endpoint_url = http://127.0.0.1:1\n",
        "[profile \"unclosed]\nk = 1\n[profile a\\ b]\nk = 2\n",
        "[default]\nk = 1\n[profile default]\nj = 2\n",
        "[profile default]\nj = 2\n[default]\nk = 1\n",
        "[profile a]\nk = 1\n[profile 'a']\nj = 2\n",
        // [DEFAULT] is inherited by every section.
        "[DEFAULT]\nregion = x\n[profile a]\nk = 1\n[profile b]\nregion = own\n",
        "[profile a]\nk = 1\n[DEFAULT]\nregion = x\n[DEFAULT]\nother = y\n",
        "[DEFAULT]\nn =\n  a = 1\n[profile a]\n",
        "[DEFAULT]\nn =\n  junk\n",
        "[DEFAULT]\nn =\n  junk\n[profile a]\nn = own\n",
        "[DEFAULT]\nn =\n  junk\n[profile a]\n",
        // Nested blocks.
        "[profile a]\ns3 =\n  addressing_style = path\n  Signature_Version = s3v4\n  a = 1\n  a = 2\n",
        "[profile a]\ns3 =\n  no equals here\n",
        "[profile a]\ns3 = first\n  no equals here\n",
        "[profile a]\ns3 =\n  k : v\n",
        "[profile a]\ns3 =\n\n  a = 1\n\n",
        "[profile a]\ns3 =\n  = v\n",
        // Inline comments stay.
        "[profile a]\nregion = eu-west-1 # comment\nb = x ; y\n",
        // Line endings.
        "[profile a]\r\nk = 1\r\n  c\r\n",
        "[profile a]\rk = 1\r  c\r[profile b]\rj = 2",
        "[profile a]\nk = 1",
        // White space of all kinds.
        "[profile a]\n \t \nk = 1\n\u{a0}\u{a0}c = 2\n\u{3000}\n",
        "[profile a]\nk = \u{a0}v\u{a0}\n\x0c\nj = \x1ctrail\x1d\n",
        // Refused: before any section, duplicates, stray lines, empty keys, BOM.
        "k = 1\n[profile a]\n",
        "  # comment\n\n[profile a]\nk = 1\n",
        "[profile a]\nk = 1\n[profile a]\nj = 2\n",
        "[profile a]\nk = 1\nK = 2\n",
        "[DEFAULT]\nk = 1\n[DEFAULT]\nk = 2\n",
        "[profile a]\njust words\n",
        "[profile a]\n= value\n",
        "[profile a]\n: value\n",
        "\u{feff}[profile a]\nk = 1\n",
        "\u{feff}",
        "[]\n",
        "[profile a]\n[]\n",
        "",
        "\n\n# only comments\n; here\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn hand_written_files_read_as_botocore_reads_them() {
    let corpus = hand_written();
    let (accepted, refused) = differ(&corpus, None);
    assert!(accepted >= 30 && refused >= 10, "{accepted} / {refused}");
}

/// One generated config file.
fn generate(rng: &mut Rng) -> String {
    const INDENT: &[&str] = &["", "", "", " ", "  ", "\t", "    ", " \t", "\u{a0}"];
    const NAMES: &[&str] = &["dev", "prod", "a", "Dev", "x y", "corp", "default", "é"];
    const KEYS: &[&str] = &[
        "region",
        "Region",
        "sso_session",
        "SSO_Start_URL",
        "sso_region",
        "credential_process",
        "my key",
        "s3",
        "services",
        "k",
        "K",
        "clé",
    ];
    const VALUES: &[&str] = &[
        "",
        "us-east-1",
        "eu-west-1 # comment",
        "a ; b",
        "https://d-1.awsapps.com/start",
        "x:y=z",
        "  spaced  ",
        "\u{a0}nbsp",
        "sso-helper --profile dev",
        "'quoted'",
        "naïve",
    ];
    const BLANKS: &[&str] = &["", " ", "\t", "  \t ", "\x0c", "\u{a0}"];
    let newline = *[&"\n", &"\n", &"\r\n", &"\r"][rng.below(4)];
    let mut lines: Vec<String> = Vec::new();
    if rng.chance(2) {
        lines.push("\u{feff}# BOM".into());
    }
    if rng.chance(5) {
        lines.push(format!("{} = before any section", rng.pick(KEYS)));
    }
    let sections = 1 + rng.below(5);
    for _ in 0..sections {
        let name = rng.pick(NAMES);
        let header = match rng.below(14) {
            0 => "[DEFAULT]".to_string(),
            1 => "[default]".to_string(),
            2 => format!("[sso-session {name}]"),
            3 => format!("[services {name}]"),
            4 => format!("[profile \"{name}\"]"),
            5 => format!("[profile  {name} ] # trailing"),
            6 => format!("[ profile {name}]"),
            7 => format!("[{name}]"),
            8 => format!("[profile '{name}' extra]"),
            9 => format!("[profile {name}]]"),
            _ => format!("[profile {name}]"),
        };
        lines.push(format!("{}{header}", rng.pick(&INDENT[..4])));
        let keys = rng.below(6);
        for _ in 0..keys {
            match rng.below(20) {
                0 => lines.push(format!("{}# comment", rng.pick(INDENT))),
                1 => lines.push(format!("{}; comment", rng.pick(INDENT))),
                2 => lines.push(rng.pick(BLANKS).to_string()),
                3 if rng.chance(30) => lines.push(format!("{}stray words", rng.pick(INDENT))),
                4 => {
                    // A nested block, sometimes with a line that is not `k = v`.
                    lines.push(format!("{} =", rng.pick(KEYS)));
                    for _ in 0..1 + rng.below(3) {
                        let inner = if rng.chance(15) {
                            "no equals".to_string()
                        } else {
                            format!("{} = {}", rng.pick(KEYS), rng.pick(VALUES))
                        };
                        lines.push(format!("{}{inner}", rng.pick(&INDENT[3..])));
                        if rng.chance(20) {
                            lines.push(rng.pick(BLANKS).to_string());
                        }
                    }
                }
                _ => {
                    let sep = rng.pick(&["=", " = ", ":", " : ", "  =  ", "=\t"]);
                    lines.push(format!(
                        "{}{}{sep}{}",
                        rng.pick(INDENT),
                        rng.pick(KEYS),
                        rng.pick(VALUES)
                    ));
                    if rng.chance(25) {
                        lines.push(format!(
                            "{}continued {}",
                            rng.pick(&INDENT[3..]),
                            rng.pick(VALUES)
                        ));
                    }
                }
            }
        }
    }
    let mut text = lines.join(newline);
    if rng.chance(80) {
        text.push_str(newline);
    }
    text
}

#[test]
fn generated_files_read_as_botocore_reads_them() {
    let seeds: Vec<u64> = match std::env::var("SSO_HELPER_DIFF_SEED") {
        Ok(s) => vec![s.parse().expect("SSO_HELPER_DIFF_SEED is a number")],
        Err(_) => {
            // Fixed seeds, and one new one per run (printed when it fails).
            let fresh = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1;
            vec![1, 2, 3, fresh]
        }
    };
    for seed in seeds {
        let mut rng = Rng(seed);
        let corpus: Vec<String> = (0..1000).map(|_| generate(&mut rng)).collect();
        let before = DECIDED.get();
        let (accepted, refused) = differ(&corpus, Some(seed));
        let decided = DECIDED.get() - before;
        assert!(
            accepted >= 200 && refused >= 100,
            "the generator should make both kinds (seed {seed}): {accepted} accepted, {refused} refused"
        );
        // Eight names and four piece sizes a file: some thirty files or more.
        assert!(
            decided >= 1000,
            "the piecewise reader decided only {decided} readings (seed {seed})"
        );
    }
}
