//! The README, docs/ and the man page agree with the binary: every sso-helper
//! command line shown in them parses as the binary parses it (no stale flag, no
//! flag on a command that does not take it), the README's command table lists
//! exactly the commands `--help` lists, and the man page is made from the help.

use std::path::{Path, PathBuf};

use crate::support::*;

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md")];
    files.extend(
        files_under(&repo().join("docs"))
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "md")),
    );
    files
}

/// The sso-helper command lines in a page's code blocks (after a `$ ` prompt
/// or at the start of a line), without comments, pipes and redirections.
fn command_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        let line = line.trim_start().trim_start_matches("$ ");
        let Some(rest) = line.strip_prefix("sso-helper ") else {
            continue;
        };
        // A synopsis (`[--flag VALUE]`, `a|b`, `…`), not a command line.
        if rest.contains(['[', '|', '…']) || rest.contains("...") {
            continue;
        }
        let mut cmd = rest.to_string();
        for cut in [" #", " | ", " > ", " 2>", " && ", "; ", " )", "\")"] {
            if let Some(i) = cmd.find(cut) {
                cmd.truncate(i);
            }
        }
        out.push(cmd.trim().to_string());
    }
    out
}

#[test]
fn every_command_line_in_the_docs_parses() {
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in command_lines(&text) {
            // Placeholders in angle brackets stand for a value.
            let words = shlex_words(&line.replace(['<', '>'], ""));
            let args = words.iter().map(std::ffi::OsString::from);
            if let Err(e) = sso_helper::cli::parse(args) {
                panic!(
                    "{}: `sso-helper {line}` does not parse: {e}",
                    file.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} command lines found");
}

fn shlex_words(s: &str) -> Vec<String> {
    sso_helper::shlex::split(s).unwrap_or_else(|| panic!("cannot split {s:?}"))
}

#[test]
fn the_readme_lists_every_command_and_only_those() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let help = sso_helper::cli::HELP;
    for c in sso_helper::cli::Command::public() {
        let row = format!("[`sso-helper {}", c.name());
        assert!(
            readme.contains(&row),
            "the README's command table lacks {}",
            c.name()
        );
        assert!(
            help.contains(&format!("\n    {}", c.name())),
            "--help lacks {}",
            c.name()
        );
    }
    for line in readme.lines().filter(|l| l.starts_with("| [`sso-helper ")) {
        let name = line["| [`sso-helper ".len()..]
            .split([' ', '`'])
            .next()
            .unwrap();
        assert!(
            sso_helper::cli::Command::public().any(|c| c.name() == name),
            "the README lists a command the binary does not have: {name}"
        );
    }
}

/// Lowercase words without the punctuation that ends them, one space apart:
/// what filling text into a man page's paragraphs and lists leaves the same.
fn words(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.trim_end_matches([',', '.', ':', ';']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The man page, rendered by man(1) at 80 columns as `MANWIDTH=80 man
/// sso-helper` shows it: no groff warning, no line wider than 80 columns, and
/// every piece of every help page (a line, or a column of it) in it word for
/// word — but the main help's COMMANDS table and its `sso-helper COMMAND`
/// usage line, for which the page has each command's own help and usage.
#[test]
fn the_man_page_is_the_help() {
    let out = std::process::Command::new(BIN)
        .arg("__man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH SSO\\-HELPER 1"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sso-helper.1");
    std::fs::write(&file, &page).unwrap();
    let rendered = std::process::Command::new("man")
        .args(["--warnings=w", "-E", "UTF-8", "-l", "-P", "cat"])
        .arg(Path::new(&file))
        .env("MANWIDTH", "80")
        .env("LANG", "C.UTF-8")
        .env_remove("MANOPT")
        .env_remove("MANPAGER")
        .env_remove("PAGER")
        .output();
    let r = match rendered {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "man is not installed (apt-get install man-db): the rendered page is not checked"
            );
            return;
        }
        other => other.unwrap(),
    };
    let text = String::from_utf8(r.stdout).unwrap();
    let warnings = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "man failed: {warnings}");
    assert!(warnings.trim().is_empty(), "groff warns:\n{warnings}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns ({}): {line:?}",
            line.chars().count()
        );
    }
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "OPTIONS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "SEE ALSO",
    ] {
        assert!(text.contains(&format!("\n{heading}\n")), "no {heading}");
    }
    let all = words(&text);
    let help = sso_helper::cli::HELP;
    let table = help
        .split("\nCOMMANDS:\n")
        .nth(1)
        .and_then(|t| t.split("\n\n").next())
        .expect("the help has a COMMANDS table");
    let pages = std::iter::once(help).chain(sso_helper::cli::Command::public().map(|c| c.help()));
    let mut checked = 0;
    for help in pages {
        for line in help.lines() {
            let heading = line.ends_with(':')
                && line
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == ' ' || c == ':');
            if heading
                || table.lines().any(|t| t == line)
                || line.trim_start().starts_with("sso-helper COMMAND")
            {
                continue;
            }
            for piece in line.split("  ").flat_map(|p| p.split(" — ")) {
                let piece = words(piece);
                if !piece.is_empty() {
                    assert!(
                        all.contains(&piece),
                        "man shows no {piece:?} (from {line:?}):\n{text}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 250, "only {checked} pieces of the help checked");
    for needle in [
        "sso-helper exec [--profile NAME] [--server]",
        "3      a sign-in is needed but not allowed",
        "It also takes the common options --no-login,",
    ] {
        assert!(text.contains(needle), "man shows no {needle:?}:\n{text}");
    }
}

/// install.sh prints the `credential_process` line and the PATH hint for the
/// directory it installed to: for any path, botocore's split (shlex) and `sh -c`
/// (the JS, Rust and Go SDKs) read the program back as the path, and the hint,
/// run as printed, adds exactly that directory to PATH.
#[test]
fn install_sh_quotes_any_install_path() {
    let script = std::fs::read_to_string(repo().join("install.sh")).unwrap();
    let function = |name: &str| -> String {
        let start = script.find(&format!("{name}() {{")).expect(name);
        let end = start + script[start..].find("\n}\n").expect("function end") + 3;
        script[start..end].to_string()
    };
    let functions = format!("{}{}", function("sh_word"), function("dq_text"));
    // The hint's form, as install.sh prints it.
    assert!(script.contains(r#"add it: echo "%s" >> ~/.profile"#));
    assert!(script.contains(r#"line="export PATH=$(sh_word "$bindir"):\$PATH""#));
    let dirs = [
        "/opt/tools/bin",
        "/tmp/with space/bin",
        "/tmp/it's/bin",
        "/tmp/d$ol`l`/b\"q\\z/bin",
        "/tmp/a'b\"c$d`e\\f g*?[x]/bin",
        "/tmp/%20@=:,+-/bin",
    ];
    let run = |program: &str, args: &[&str], home: &Path| {
        let out = std::process::Command::new(program)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    for dir in dirs {
        let home = tempfile::tempdir().unwrap();
        let home = home.path();
        let printed = run(
            "bash",
            &[
                "-c",
                &format!(
                    "{functions}\nbindir=\"$1\"; line=\"export PATH=$(sh_word \"$bindir\"):\\$PATH\"\n\
                     printf '%s\\n' \"$(dq_text \"$line\")\"; sh_word \"$bindir/sso-helper\""
                ),
                "_",
                dir,
            ],
            home,
        );
        let (text, word) = printed.split_once('\n').unwrap();
        // The hint, run as printed, then a login shell's reading of the profile.
        let hint = format!("echo \"{text}\" >> ~/.profile");
        run("bash", &["-c", &hint], home);
        let path = run("sh", &["-c", ". ~/.profile; printf '%s' \"$PATH\""], home);
        assert_eq!(path, format!("{dir}:/usr/bin:/bin"), "{hint}");
        let line = format!("{word} --profile dev");
        let expected = format!("{dir}/sso-helper\n--profile\ndev\n");
        let by_sh = run("sh", &["-c", &format!("printf '%s\\n' {line}")], home);
        assert_eq!(by_sh, expected, "{line}");
        let split = "import shlex,sys; print('\\n'.join(shlex.split(sys.argv[1])))";
        let by_botocore = run(python().to_str().unwrap(), &["-c", split, &line], home);
        assert_eq!(by_botocore, expected, "{line}");
    }
}
