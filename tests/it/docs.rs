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

#[test]
fn the_man_page_is_the_help() {
    let out = std::process::Command::new(BIN)
        .arg("__man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH SSO\\-HELPER 1"));
    // Rendered, it reads as the help text (where man is installed).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sso-helper.1");
    std::fs::write(&file, &page).unwrap();
    let rendered = std::process::Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(Path::new(&file))
        .env("MANWIDTH", "120")
        .env("LANG", "C.UTF-8")
        .output();
    match rendered {
        Ok(r) if r.status.success() => {
            let text = String::from_utf8_lossy(&r.stdout);
            for needle in [
                "--redirect-port PORT",
                "sso-helper exec [--profile NAME] [--server]",
                "3 a sign-in is needed but not allowed",
            ] {
                assert!(text.contains(needle), "man shows no {needle:?}:\n{text}");
            }
        }
        _ => eprintln!("man is not installed: the rendered page is not checked here"),
    }
}
