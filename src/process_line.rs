//! The `credential_process` line as the AWS clients read it, on each platform: its
//! words, whether it runs sso-helper (and for which `--profile`), and the program
//! path `configure` writes into it.
//!
//! botocore (the AWS CLI, boto3) splits the line itself and runs the words without
//! a shell (`compat_shell_split` in `botocore/compat.py`): on Windows with its own
//! reading of the C runtime's rules ([`windows_split`]), elsewhere with POSIX
//! `shlex.split` ([`crate::shlex`]). The other SDKs hand the whole line to a shell:
//! `sh -c` on Unix; on Windows `cmd.exe /C` (the Rust and Go SDKs) or
//! `cmd.exe /d /s /c "…"` (the JS SDK v3, through Node's `exec`). So a program path
//! `configure` writes must be one word for botocore's split and the same program for
//! that shell ([`quote_program`]).
//!
//! Every rule takes the [`Platform`] as a parameter, so the Windows rules are tested
//! on any machine (against botocore's own code in `tests/it/process_line_diff.rs`);
//! production code passes [`Platform::current`].

use crate::platform::Platform;

/// The words botocore runs for `line` on `platform`, or `None` where it raises
/// `ValueError` (an unclosed quote; on Unix also a trailing backslash).
pub fn split(line: &str, platform: Platform) -> Option<Vec<String>> {
    match platform {
        Platform::Windows => windows_split(line),
        Platform::Linux | Platform::MacOs => crate::shlex::split(line),
    }
}

/// botocore's `_windows_shell_split`, rule for rule:
///
/// - words are separated by space and tab only (outside quotes); nothing else is
///   white space, not even CR or LF;
/// - `"` is the only quote: it starts or ends a quoted stretch, in which space and
///   tab are ordinary characters; a pair of quotes with nothing between still makes
///   a word (`""` is an empty word); `""` inside quotes is no escape, it ends the
///   stretch and starts another;
/// - backslashes are literal, except a run of them just before a `"`: each pair
///   there stands for one backslash, and an odd one left over makes the `"` a
///   literal character instead of a quote;
/// - a quoted stretch still open at the end is an error (`None`); a trailing
///   backslash is not.
pub fn windows_split(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has begun since the last separator: a quote begins one even
    // when it adds no character (`""`).
    let mut begun = false;
    let mut quoted = false;
    // Backslashes seen and not yet written: what they mean depends on what follows.
    let mut backslashes = 0usize;
    for c in line.chars() {
        if c == '\\' {
            backslashes += 1;
            continue;
        }
        if c == '"' {
            word.extend(std::iter::repeat_n('\\', backslashes / 2));
            let escaped = backslashes % 2 == 1;
            backslashes = 0;
            begun = true;
            if escaped {
                word.push('"');
            } else {
                quoted = !quoted;
            }
            continue;
        }
        if backslashes > 0 {
            word.extend(std::iter::repeat_n('\\', backslashes));
            backslashes = 0;
            begun = true;
        }
        if (c == ' ' || c == '\t') && !quoted {
            if begun {
                words.push(std::mem::take(&mut word));
                begun = false;
            }
        } else {
            word.push(c);
            begun = true;
        }
    }
    if quoted {
        return None;
    }
    if backslashes > 0 {
        word.extend(std::iter::repeat_n('\\', backslashes));
        begun = true;
    }
    if begun {
        words.push(word);
    }
    Some(words)
}

/// Whether `program` (the first word of a split line) is sso-helper: its last path
/// component is `sso-helper` or `sso-helper.exe`. On Windows, as the file system
/// compares names, without regard to case (`C:\Tools\SSO-Helper.EXE`), and `/`
/// and a drive's `C:` end a directory too; elsewhere exactly.
pub fn is_helper(program: &str, platform: Platform) -> bool {
    const NAME: &str = "sso-helper";
    match platform {
        Platform::Windows => {
            let base = program.rsplit(['\\', '/', ':']).next().unwrap_or(program);
            let base = match base
                .len()
                .checked_sub(4)
                .filter(|&i| base.is_char_boundary(i))
            {
                Some(i) if base[i..].eq_ignore_ascii_case(".exe") => &base[..i],
                _ => base,
            };
            base.eq_ignore_ascii_case(NAME)
        }
        Platform::Linux | Platform::MacOs => {
            let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
            base.strip_suffix(".exe").unwrap_or(base) == NAME
        }
    }
}

/// How a credential_process line runs sso-helper on `platform`: `Some(profile
/// flag)` when its program is sso-helper (`Some(None)`: without `--profile`),
/// `None` when it runs something else or does not split.
pub fn helper_profile_arg(line: &str, platform: Platform) -> Option<Option<String>> {
    let words = split(line, platform)?;
    if !is_helper(words.first()?, platform) {
        return None;
    }
    let mut args = words[1..].iter();
    while let Some(a) = args.next() {
        if a == "--profile" {
            return Some(args.next().cloned());
        }
        if let Some(v) = a.strip_prefix("--profile=") {
            return Some(Some(v.to_string()));
        }
    }
    Some(None)
}

/// Why a program path cannot be written into a credential_process line, and what
/// to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwritable {
    pub why: &'static str,
    pub fix: &'static str,
}

/// Whether a Windows program path must be in double quotes: only where
/// botocore's split or `cmd.exe` (how the Rust, Go and JS SDKs run the line) would
/// read it bare as something else.
///
/// - botocore's `_windows_shell_split` ends a word at a space (a tab is refused
///   earlier, with the other control characters);
/// - `cmd.exe` ends the command's name at a space or one of `, ; =`, reads
///   `& | < >` as operators and `^` as an escape, and takes `/` in a command's name
///   as the start of a switch; at the start of a command `@` (echo off), `(` (a
///   block) and `:` (a label) mean something too, so a path must begin with a
///   letter, a digit or one of `\ . _ - ~` to go bare (an absolute path always
///   does).
///
/// Nothing else needs quotes: `' @ + $ # ! [ ] { } ~` and `` ` `` mean nothing to
/// either, and `( )` mean something to `cmd.exe` only where a block can start or
/// end — `(` where a command is expected, `)` inside a block — and the SDKs run the
/// line as one command, never inside a block (`cmd.exe /C LINE`, `cmd.exe /d /s /c
/// "LINE"`). `%` and `"` are refused, not quoted ([`quote_program`]); `!` would
/// expand only in a `cmd.exe` with delayed expansion turned on in the registry,
/// where quotes do not help either.
fn windows_needs_quotes(path: &str) -> bool {
    let plain_start = path
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '\\' | '.' | '_' | '-' | '~'));
    !plain_start || path.contains([' ', ',', ';', '=', '&', '|', '<', '>', '^', '/'])
}

/// Characters a POSIX program path may hold without quotes: none of them means
/// anything to `shlex.split` or `sh`.
fn posix_bare(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '@' | ',' | '%')
}

/// `path` as the first word of a credential_process line on `platform`: a word
/// botocore's split gives back as `path`, which the platform's shell also runs as
/// `path`.
///
/// - Unix: bare when every character is safe for both, else in single quotes (a
///   `'` in it written `'\''`), which `shlex.split` and `sh` read alike; double
///   quotes would not do, as `sh` expands `$` and `` ` `` inside them.
/// - Windows: bare unless botocore or `cmd.exe` would read it otherwise
///   ([`windows_needs_quotes`]: a space, `, ; = & | < > ^ /`), else in double
///   quotes, inside which `cmd.exe` reads all of them literally. Bare is what every
///   SDK can run: the Rust and Go SDKs escape a `"` in the line as `\"` before
///   `cmd.exe` sees it, so a quoted path works only for botocore and the JS SDK.
///   Refused: `%` (`cmd.exe` expands `%NAME%`
///   even inside quotes), `"` (no Windows file name has one), characters outside
///   ASCII (botocore reads the config file in the system's code page on Windows),
///   and a trailing backslash in a quoted path (it would escape the closing quote).
/// - Everywhere: an empty path, and control characters (a line break would end the
///   config line).
pub fn quote_program(path: &str, platform: Platform) -> Result<String, Unwritable> {
    if path.is_empty() {
        return Err(Unwritable {
            why: "is empty",
            fix: "run configure from an installed sso-helper",
        });
    }
    if path.chars().any(char::is_control) {
        return Err(Unwritable {
            why: "has a control character (a line break or a tab), which the config file cannot hold",
            fix: "install sso-helper in a directory whose path has no control characters",
        });
    }
    match platform {
        // Not the program position's reserved-word rule: a path is never one.
        Platform::Linux | Platform::MacOs => Ok(posix_word(path, false)),
        Platform::Windows => {
            const FIX: &str = r"install sso-helper in a directory whose path is plain ASCII without % or quotes (for example C:\Tools\sso-helper.exe)";
            let refuse = |why| Err(Unwritable { why, fix: FIX });
            if path.contains('%') {
                return refuse(
                    "has a %, which cmd.exe (run by the Rust, Go and JS SDKs) expands even inside quotes",
                );
            }
            if path.contains('"') {
                return refuse("has a double quote, which botocore and cmd.exe read differently");
            }
            if !path.is_ascii() {
                return refuse(
                    "has characters outside ASCII, which the AWS CLI and boto3 misread on Windows (they read the config file in the system's code page)",
                );
            }
            if !windows_needs_quotes(path) {
                return Ok(path.to_string());
            }
            if path.ends_with('\\') {
                return refuse(
                    "needs quotes and ends with a backslash, which would escape the closing quote",
                );
            }
            Ok(format!("\"{path}\""))
        }
    }
}

/// What the SDKs that run the line through a shell make of it otherwise than
/// botocore, which runs the words of its own split without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellReading {
    /// What the shell (`sh -c` on Unix, `cmd.exe` on Windows) does to the line that
    /// botocore's split does not, each as a phrase after "which" ("expands $").
    pub shell_does: Vec<&'static str>,
    /// Windows: the line has a `"`, which the Rust and Go SDKs escape as `\"`
    /// before `cmd.exe` sees it (so no quoting works for them).
    pub quotes_escaped: bool,
    /// The line written so that botocore and the shell run the same words (those
    /// botocore runs today), where there is one: on Unix each word bare or in
    /// single quotes; on Windows every word bare, when none needs quotes.
    pub fixed: Option<String>,
}

/// Where botocore and the shell the other SDKs use read `line` differently on
/// `platform`; `None` when they run the same words, or when botocore cannot split
/// the line (a failure reported on its own). Conservative: a character that
/// might mean something to the shell counts, even where it happens not to (`$`
/// before a space, a `*` that matches no file).
///
/// Unix (`sh -c`, against POSIX `shlex.split`): outside quotes `$`, `` ` ``, the
/// operators `; & | < > ( )`, the globs `* ? [`, `{` (bash, macOS's `sh`, expands
/// `{a,b}`), `#` and `~` at the start of a word (a comment, the home directory;
/// `~` at the start of the line is left to doctor's own check of the program),
/// `NAME=` at the start of the line (an assignment), a reserved word (`if`, `!`,
/// `{`…) as the program, CR (a separator for `shlex`, a character for `sh`) and LF
/// anywhere (`sh` ends the command there); inside double quotes `$`, `` ` `` and a
/// backslash before `$`, `` ` `` or a line break, which `sh` takes as an escape and
/// `shlex` keeps. Single quotes mean the same to both.
///
/// Windows (`cmd.exe`, against `_windows_shell_split`): `%` anywhere (`%NAME%`
/// expands even inside quotes); outside quotes `^` (an escape) and `& | < >`
/// (operators); in the program's name outside quotes `, ; = /` and a start of
/// `@ ( :` ([`windows_needs_quotes`]); and any `"`, which the Rust and Go SDKs
/// escape.
pub fn shell_reading(line: &str, platform: Platform) -> Option<ShellReading> {
    let words = split(line, platform)?;
    let mut does: Vec<&'static str> = Vec::new();
    let mut note = |what: &'static str| {
        if !does.contains(&what) {
            does.push(what);
        }
    };
    match platform {
        Platform::Linux | Platform::MacOs => {
            // A comment: the fixed line is what comes before it (botocore would
            // pass `#` and the rest to the program as arguments).
            let words = match posix_differences(line, &mut note) {
                Some(comment) => split(&line[..comment], platform)?,
                None => words,
            };
            let fixed = (!words.is_empty() && !words[0].starts_with('~')).then(|| {
                words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| posix_word(w, i == 0))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            (!does.is_empty()).then_some(ShellReading {
                shell_does: does,
                quotes_escaped: false,
                fixed,
            })
        }
        Platform::Windows => {
            windows_differences(line, &mut note);
            let quotes_escaped = line.contains('"');
            let bare = |i: usize, w: &String| {
                !w.is_empty()
                    && !w.contains(['%', '"', ' ', '\t', '&', '|', '<', '>', '^'])
                    && (i > 0 || !windows_needs_quotes(w))
            };
            let fixed = (!words.is_empty() && words.iter().enumerate().all(|(i, w)| bare(i, w)))
                .then(|| words.join(" "));
            (!does.is_empty() || quotes_escaped).then_some(ShellReading {
                shell_does: does,
                quotes_escaped,
                fixed,
            })
        }
    }
}

/// Words `sh` takes as reserved where a command starts (POSIX, and bash's own).
const SH_RESERVED: &[&str] = &[
    "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then",
    "until", "while", "function", "select", "time", "[[", "]]", "coproc",
];

/// `word` for `sh` and `shlex.split` alike: bare when safe for both (and, as the
/// program, not a reserved word), else in single quotes.
fn posix_word(word: &str, program: bool) -> String {
    if !word.is_empty() && word.chars().all(posix_bare) && !(program && SH_RESERVED.contains(&word))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// [`shell_reading`]'s Unix rules: a walk through `line` in `shlex`'s states.
/// Returns where `sh`'s comment begins (a byte offset of `line`), if it has one.
fn posix_differences(line: &str, note: &mut impl FnMut(&'static str)) -> Option<usize> {
    const DOLLAR: &str = "expands $";
    const BACKTICK: &str = "runs what is between backticks";
    const LINE_BREAK: &str = "reads a line break as shell syntax";
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Between,
        Word,
        Single,
        Double,
    }
    let chars: Vec<char> = line.chars().collect();
    let mut state = State::Between;
    // Whether the word being read is the line's first, and what of it is plain
    // unquoted text so far (for `NAME=` and reserved words).
    let mut first = true;
    let mut plain = String::new();
    let mut plain_only = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' if matches!(state, State::Between | State::Word) => note(LINE_BREAK),
            '\r' if matches!(state, State::Between | State::Word) => {
                note("keeps a carriage return inside a word")
            }
            _ => {}
        }
        match state {
            State::Between | State::Word => {
                let start = state == State::Between;
                if matches!(c, ' ' | '\t' | '\r' | '\n') {
                    if state == State::Word {
                        end_of_word(first, &plain, plain_only, note);
                        first = false;
                        plain.clear();
                        plain_only = true;
                    }
                    state = State::Between;
                    i += 1;
                    continue;
                }
                state = State::Word;
                match c {
                    '\'' => {
                        state = State::Single;
                        plain_only = false;
                    }
                    '"' => {
                        state = State::Double;
                        plain_only = false;
                    }
                    '\\' => {
                        // Both take the next character literally, but for a line
                        // break (`sh` joins the lines).
                        if chars.get(i + 1) == Some(&'\n') {
                            note(LINE_BREAK);
                        }
                        plain_only = false;
                        i += 1;
                    }
                    '$' => note(DOLLAR),
                    '`' => note(BACKTICK),
                    ';' | '&' | '|' | '<' | '>' | '(' | ')' => {
                        note("reads ; & | < > ( ) as shell operators")
                    }
                    '*' | '?' | '[' => note("may expand * ? [ to file names"),
                    '{' => note("expands {a,b} (bash, sh on macOS)"),
                    '#' if start => {
                        note("takes # at the start of a word as a comment");
                        // `sh` reads nothing after it.
                        let at = chars[..i].iter().map(|c| c.len_utf8()).sum();
                        return Some(at);
                    }
                    '~' if start && !first => note("expands ~ at the start of a word"),
                    '=' if first && plain_only && is_name(&plain) => {
                        note("takes NAME= before the program as a variable assignment")
                    }
                    _ => {}
                }
                if plain_only {
                    plain.push(c);
                }
            }
            State::Single => {
                if c == '\'' {
                    state = State::Word;
                }
            }
            State::Double => match c {
                '"' => state = State::Word,
                '$' => note(DOLLAR),
                '`' => note(BACKTICK),
                '\\' => {
                    if let Some('$' | '`' | '\n') = chars.get(i + 1) {
                        note("takes \\ before $, ` or a line break in double quotes as an escape");
                    }
                    i += 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if state == State::Word {
        end_of_word(first, &plain, plain_only, note);
    }
    None
}

/// At the end of the line's first word: a reserved word there is `sh` syntax.
fn end_of_word(first: bool, plain: &str, plain_only: bool, note: &mut impl FnMut(&'static str)) {
    if first && plain_only && SH_RESERVED.contains(&plain) {
        note("takes the program's name as a reserved word");
    }
}

/// A shell variable's name: a letter or `_`, then letters, digits and `_`.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// [`shell_reading`]'s Windows rules for `cmd.exe` (the `"` is noted apart).
fn windows_differences(line: &str, note: &mut impl FnMut(&'static str)) {
    if line.contains('%') {
        note("expands %NAME% (even inside quotes)");
    }
    let trimmed = line.trim_start_matches([' ', '\t']);
    if trimmed.starts_with(['@', '(', ':', ',', ';', '=']) {
        note("reads @ ( : , ; = at the start of the line as its own syntax");
    }
    // cmd.exe knows no backslash escapes: every `"` opens or closes a stretch.
    let mut quoted = false;
    let mut in_program = true;
    for c in trimmed.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if quoted {
            continue;
        }
        match c {
            ' ' | '\t' => in_program = false,
            '^' => note("removes ^ (its escape character)"),
            '&' | '|' | '<' | '>' => note("reads & | < > as operators"),
            ',' | ';' | '=' | '/' if in_program => note("ends the program's name at , ; = or /"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WIN: Platform = Platform::Windows;

    fn words(line: &str, platform: Platform) -> Vec<String> {
        split(line, platform).unwrap_or_else(|| panic!("{line:?} should split on {platform:?}"))
    }

    #[test]
    fn windows_rules_of_botocore() {
        // Each expectation was printed by botocore's _windows_shell_split.
        assert_eq!(
            words(r"C:\Users\me\bin\sso-helper.exe --profile dev", WIN),
            [r"C:\Users\me\bin\sso-helper.exe", "--profile", "dev"]
        );
        assert_eq!(
            words(r#""C:\Program Files\sso-helper.exe" --profile "x y""#, WIN),
            [r"C:\Program Files\sso-helper.exe", "--profile", "x y"]
        );
        assert_eq!(words(r#"a\"b"#, WIN), [r#"a"b"#]);
        assert_eq!(words(r#"a\\"b c""#, WIN), [r"a\b c"]);
        assert_eq!(words(r#"a\\\"b"#, WIN), [r#"a\"b"#]);
        assert_eq!(words(r#""a\\" b"#, WIN), [r"a\", "b"]);
        assert_eq!(words(r#"x "" y"#, WIN), ["x", "", "y"]);
        assert_eq!(words(r#""a""b""#, WIN), ["ab"]);
        assert_eq!(words(r#""a"" b""#, WIN), ["a b"]);
        assert_eq!(words("a\\", WIN), ["a\\"]);
        assert_eq!(words("a\\\\ b", WIN), ["a\\\\", "b"]);
        assert_eq!(words("'a b'", WIN), ["'a", "b'"]);
        assert_eq!(words("a\rb\nc \t d", WIN), ["a\rb\nc", "d"]);
        assert_eq!(words("\u{a0}x\u{3000}", WIN), ["\u{a0}x\u{3000}"]);
        assert_eq!(words("", WIN), Vec::<String>::new());
        assert_eq!(words("  \t ", WIN), Vec::<String>::new());
        assert_eq!(split(r#""open"#, WIN), None);
        assert_eq!(split(r#""a\""#, WIN), None);
        // The same lines on Unix: shlex.
        for unix in [Platform::Linux, Platform::MacOs] {
            assert_eq!(
                words(r"C:\Users\me\bin\sso-helper.exe --profile dev", unix),
                [r"C:Usersmebinsso-helper.exe", "--profile", "dev"]
            );
            assert_eq!(words("'a b'", unix), ["a b"]);
            assert_eq!(split("a\\", unix), None);
        }
    }

    #[test]
    fn the_helper_by_name_on_each_platform() {
        for program in [
            "sso-helper",
            "sso-helper.exe",
            "SSO-HELPER.EXE",
            "Sso-Helper",
            r"C:\Users\me\bin\Sso-Helper.exe",
            "C:/tools/sso-helper.EXE",
            "C:sso-helper.exe",
            r"\\server\share\sso-helper.exe",
        ] {
            assert!(is_helper(program, WIN), "{program}");
        }
        for program in [
            "sso-helper-old",
            "sso-helper.exe.bak",
            "sso-helper.cmd",
            r"C:\sso-helper\aws.exe",
            "",
            "é",
            "ŝso-helper.exe",
        ] {
            assert!(!is_helper(program, WIN), "{program}");
        }
        for unix in [Platform::Linux, Platform::MacOs] {
            assert!(is_helper("/usr/local/bin/sso-helper", unix));
            assert!(is_helper("sso-helper", unix));
            assert!(!is_helper("/usr/local/bin/SSO-HELPER", unix));
            assert!(!is_helper("Sso-Helper.exe", unix));
            assert!(!is_helper("sso-helper-old", unix));
        }
    }

    #[test]
    fn helper_invocations_are_recognised() {
        for p in Platform::ALL {
            assert_eq!(
                helper_profile_arg("sso-helper --profile dev", p),
                Some(Some("dev".into()))
            );
            assert_eq!(
                helper_profile_arg("/usr/local/bin/sso-helper -v --profile=a b", p),
                Some(Some("a".into()))
            );
            assert_eq!(helper_profile_arg("sso-helper", p), Some(None));
            assert_eq!(helper_profile_arg("sso-helper --profile", p), Some(None));
            assert_eq!(helper_profile_arg("aws-vault exec --profile dev", p), None);
            assert_eq!(helper_profile_arg("sso-helper-old --profile dev", p), None);
            assert_eq!(helper_profile_arg("\"unclosed", p), None);
            assert_eq!(helper_profile_arg("", p), None);
        }
        // The issue's line: Windows reads it, POSIX rules mangle the program.
        let line = r"C:\Users\me\bin\sso-helper.exe --profile dev";
        assert_eq!(helper_profile_arg(line, WIN), Some(Some("dev".into())));
        assert_eq!(helper_profile_arg(line, Platform::Linux), None);
        assert_eq!(
            helper_profile_arg(r#""C:\Program Files\SSO-Helper.EXE" --profile "x y""#, WIN),
            Some(Some("x y".into()))
        );
        // POSIX escapes, as configure wrote them before.
        assert_eq!(
            helper_profile_arg(
                r#""C:\\Tools\\sso-helper.exe" --profile "x y""#,
                Platform::Linux
            ),
            Some(Some("x y".into()))
        );
    }

    #[test]
    fn program_quoting() {
        let q = |p: &str, platform| quote_program(p, platform);
        let linux = Platform::Linux;
        assert_eq!(
            q("/usr/local/bin/sso-helper", linux).unwrap(),
            "/usr/local/bin/sso-helper"
        );
        assert_eq!(
            q("/Users/Jo Doe/bin/sso-helper", linux).unwrap(),
            "'/Users/Jo Doe/bin/sso-helper'"
        );
        assert_eq!(
            q("/a\\b\"c/sso-helper", linux).unwrap(),
            r#"'/a\b"c/sso-helper'"#
        );
        assert_eq!(
            q("/it's/$HOME/`x`", linux).unwrap(),
            r"'/it'\''s/$HOME/`x`'"
        );
        assert_eq!(q("/opt/é/sso-helper", linux).unwrap(), "/opt/é/sso-helper");
        assert_eq!(
            q(r"C:\bin\sso-helper.exe", WIN).unwrap(),
            r"C:\bin\sso-helper.exe"
        );
        assert_eq!(
            q(r"C:\Program Files\sso-helper.exe", WIN).unwrap(),
            r#""C:\Program Files\sso-helper.exe""#
        );
        assert_eq!(
            q(r"C:\Users\A&B^C (x)\sso-helper.exe", WIN).unwrap(),
            r#""C:\Users\A&B^C (x)\sso-helper.exe""#
        );
        assert_eq!(
            q(r"C:\PROGRA~1\sso-helper.exe", WIN).unwrap(),
            r"C:\PROGRA~1\sso-helper.exe"
        );
        assert_eq!(
            q("C:/bin/sso-helper.exe", WIN).unwrap(),
            r#""C:/bin/sso-helper.exe""#
        );
        // Bare: what neither botocore's split nor cmd.exe gives a meaning, so the
        // Rust and Go SDKs (which cannot run a quoted path) run it too.
        for bare in [
            r"C:\Users\O'Brien\.cargo\bin\sso-helper.exe",
            r"C:\Users\a@b+c$d#e!f\sso-helper.exe",
            r"C:\x[1]\{y}\`z`~\sso-helper.exe",
            r"C:\a(b)c\sso-helper.exe",
            r"\\server\share\sso-helper.exe",
            r".\sso-helper.exe",
        ] {
            assert_eq!(q(bare, WIN).unwrap(), bare, "{bare}");
        }
        // Quoted: a space, cmd.exe's operators, escape and delimiters, a switch, and
        // a start that means something to cmd.exe.
        for quoted in [
            r"C:\Users\Jo Doe\sso-helper.exe",
            r"C:\a&b\sso-helper.exe",
            r"C:\a|b\sso-helper.exe",
            r"C:\a<b>\sso-helper.exe",
            r"C:\a^b\sso-helper.exe",
            r"C:\a,b\sso-helper.exe",
            r"C:\a;b\sso-helper.exe",
            r"C:\a=b\sso-helper.exe",
            r"@x\sso-helper.exe",
            r"(x)\sso-helper.exe",
            r":x\sso-helper.exe",
            r"$x\sso-helper.exe",
        ] {
            assert_eq!(q(quoted, WIN).unwrap(), format!("\"{quoted}\""), "{quoted}");
        }
        for bad in [
            r"C:\100%\sso-helper.exe",
            r"C:\%USERNAME%\sso-helper.exe",
            "C:\\a\"b\\sso-helper.exe",
            r"C:\Users\José\sso-helper.exe",
            r"C:\a b\",
            "",
            "C:\\a\nb",
        ] {
            assert!(q(bad, WIN).is_err(), "{bad:?}");
        }
        assert!(q("", linux).is_err());
        assert!(q("/a\nb", linux).is_err());
        assert!(q("/a\tb", Platform::MacOs).is_err());
        assert!(q("/100%/sso-helper", linux).is_ok());
    }

    /// What `sh -c` and `cmd.exe` read otherwise than botocore, with the line
    /// fixed; each Unix expectation was checked against dash's `sh -c` (the
    /// differential test in `tests/it/process_line_diff.rs` does it over
    /// generated lines).
    #[test]
    fn shells_that_read_the_line_otherwise() {
        let linux = Platform::Linux;
        let r = |line: &str, p| shell_reading(line, p);
        let does = |line: &str, p| r(line, p).map(|r| r.shell_does).unwrap_or_default();
        // The reviewer's line: sh expands $HOME inside the double quotes.
        let reading = r(r#""/tmp/p/$HOME/sso-helper" --profile dev"#, linux).unwrap();
        assert_eq!(reading.shell_does, ["expands $"]);
        assert_eq!(
            reading.fixed.as_deref(),
            Some("'/tmp/p/$HOME/sso-helper' --profile dev")
        );
        assert!(!reading.quotes_escaped);
        for (line, what) in [
            ("/bin/x --profile $P", "expands $"),
            ("/bin/x `id`", "runs what is between backticks"),
            (r#"/bin/x "`id`""#, "runs what is between backticks"),
            (
                r#"/bin/x "a\$b""#,
                "takes \\ before $, ` or a line break in double quotes as an escape",
            ),
            (
                r#"/bin/x "a\`b""#,
                "takes \\ before $, ` or a line break in double quotes as an escape",
            ),
            ("/bin/x;y", "reads ; & | < > ( ) as shell operators"),
            ("/bin/x a&b", "reads ; & | < > ( ) as shell operators"),
            ("/bin/x (a)", "reads ; & | < > ( ) as shell operators"),
            ("/bin/x a>b", "reads ; & | < > ( ) as shell operators"),
            ("/bin/x *", "may expand * ? [ to file names"),
            ("/bin/x a?", "may expand * ? [ to file names"),
            ("/bin/x [ab]", "may expand * ? [ to file names"),
            ("/bin/x {a,b}", "expands {a,b} (bash, sh on macOS)"),
            ("/bin/x #c", "takes # at the start of a word as a comment"),
            ("/bin/x --profile ~me", "expands ~ at the start of a word"),
            (
                "A=1 /bin/x",
                "takes NAME= before the program as a variable assignment",
            ),
            (
                "if --profile dev",
                "takes the program's name as a reserved word",
            ),
            ("/bin/x a\rb", "keeps a carriage return inside a word"),
            (
                "/bin/x\n--profile dev",
                "reads a line break as shell syntax",
            ),
        ] {
            assert!(
                does(line, linux).contains(&what),
                "{line:?}: {:?}",
                r(line, linux)
            );
        }
        // Read alike: plain words, single quotes, escapes both honour, and what
        // means something only elsewhere in a word.
        for same in [
            "/usr/local/bin/sso-helper --profile dev",
            "'/Users/Jo Doe/bin/sso-helper' --profile 'x y'",
            r"'/a/$HOME/`x`/*' --profile '#;&|'",
            r#""/a/b c/sso-helper" --profile "d\"e\\f""#,
            r"/a\ b/sso-helper --profile a\$b",
            "/bin/x a#b c~d e=f --profile=dev",
            "/bin/x 100% @x +y a,b a:b",
            "/bin/x '' \"\"",
            "\"A=1\" /bin/x",
            "'if' --profile dev",
        ] {
            assert_eq!(r(same, linux), None, "{same:?}");
        }
        // The Tilde check speaks of a program starting with ~: no fixed line that
        // would keep it unexpanded for both.
        assert_eq!(r("~/bin/sso-helper --profile dev", linux), None);
        let tilde = r("~/bin/sso-helper --profile $X", linux).unwrap();
        assert_eq!(tilde.fixed, None);
        // A reserved word as the program is fixed by quoting it.
        assert_eq!(
            r("if --profile dev", linux).unwrap().fixed.as_deref(),
            Some("'if' --profile dev")
        );
        // A comment: the fixed line is the part before it, which every reader
        // takes alike (botocore would pass `#` on to the program).
        assert_eq!(
            r("/bin/sso-helper --profile demo # mine", linux)
                .unwrap()
                .fixed
                .as_deref(),
            Some("/bin/sso-helper --profile demo")
        );
        assert_eq!(
            r("/bin/sso-helper --profile '#x' #c $HOME", linux)
                .unwrap()
                .fixed
                .as_deref(),
            Some("/bin/sso-helper --profile '#x'")
        );
        // Not split by botocore: reported elsewhere.
        assert_eq!(r("'open $X", linux), None);

        // Windows: cmd.exe's % ^ & | < >, the program name's , ; = /, a start of
        // @ ( :, and double quotes the Rust and Go SDKs escape.
        let win = |line: &str| r(line, WIN);
        assert_eq!(win(r"C:\Tools\sso-helper.exe --profile dev"), None);
        assert_eq!(
            win(r"C:\Users\O'Brien\a(b)\$x#!\sso-helper.exe --profile a=b,c;d"),
            None
        );
        let quoted = win(r#""C:\Tools\sso-helper.exe" --profile dev"#).unwrap();
        assert!(quoted.quotes_escaped && quoted.shell_does.is_empty());
        assert_eq!(
            quoted.fixed.as_deref(),
            Some(r"C:\Tools\sso-helper.exe --profile dev")
        );
        let spaced = win(r#""C:\Program Files\sso-helper.exe" --profile dev"#).unwrap();
        assert!(spaced.quotes_escaped);
        assert_eq!(spaced.fixed, None);
        for (line, what) in [
            (
                r"C:\%USERNAME%\sso-helper.exe",
                "expands %NAME% (even inside quotes)",
            ),
            (
                r#""C:\%X%\sso-helper.exe""#,
                "expands %NAME% (even inside quotes)",
            ),
            (r"C:\a^b\sso-helper.exe", "removes ^ (its escape character)"),
            (r"C:\x.exe --profile a&b", "reads & | < > as operators"),
            (r"C:\x.exe --profile a>b", "reads & | < > as operators"),
            (
                r"C:/Tools/sso-helper.exe --profile dev",
                "ends the program's name at , ; = or /",
            ),
            (r"C:\a,b\x.exe", "ends the program's name at , ; = or /"),
            (
                r"@C:\x.exe",
                "reads @ ( : , ; = at the start of the line as its own syntax",
            ),
        ] {
            assert!(does(line, WIN).contains(&what), "{line:?}: {:?}", win(line));
        }
        assert_eq!(
            win(r"C:/Tools/sso-helper.exe --profile dev").unwrap().fixed,
            None
        );
        // Inside quotes cmd.exe reads & ^ literally (the quotes are still noted).
        let amp = win(r#""C:\a&b\x.exe" --profile dev"#).unwrap();
        assert!(amp.shell_does.is_empty() && amp.quotes_escaped);
        // A line break or any other character is nothing to cmd.exe's split here.
        assert_eq!(win("C:\\x.exe --profile é"), None);
    }

    /// How `cmd.exe` reads the first word of a command line, as far as the program
    /// path is concerned: white space and `, ; =` before it are skipped; a command
    /// starting with `@` (echo off), `(` (a block) or `:` (a label) is not a plain
    /// program; `"` toggles quoting and is removed; outside quotes, white space and
    /// `, ; =` end the word, `/` starts a switch, and `& | < > ^` mean something
    /// else; `( )` in the word are plain (the line runs as one command, not in a
    /// block). `None` when the word holds a `%` (expanded even in quotes) or one of
    /// those characters outside quotes, or a quote stays open. A model of the
    /// documented rules, not `cmd.exe` itself (no Windows machine runs these tests);
    /// it does not know the internal commands (`cd`, `echo`…), which no absolute
    /// path starts with.
    fn cmd_program(line: &str) -> Option<String> {
        let line = line.trim_start_matches([' ', '\t', ',', ';', '=']);
        if line.starts_with(['@', '(', ':']) {
            return None;
        }
        let mut program = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                '%' => return None,
                ' ' | '\t' | ',' | ';' | '=' if !quoted => break,
                '&' | '|' | '<' | '>' | '^' | '/' if !quoted => return None,
                _ => program.push(c),
            }
        }
        (!quoted).then_some(program)
    }

    #[test]
    fn the_cmd_model_reads_the_documented_rules() {
        assert_eq!(
            cmd_program(r"C:\a(b)\x.exe --profile d").as_deref(),
            Some(r"C:\a(b)\x.exe")
        );
        assert_eq!(
            cmd_program(r#""C:\a b&c\x.exe" --profile d"#).as_deref(),
            Some(r"C:\a b&c\x.exe")
        );
        assert_eq!(cmd_program(r"C:\a,b\x.exe").as_deref(), Some(r"C:\a"));
        for broken in [
            r"C:\a&b\x.exe",
            r"C:\a^b",
            "C:/x.exe",
            "@x",
            "(x",
            r#""C:\x"#,
            "%A%",
        ] {
            assert_eq!(cmd_program(broken), None, "{broken}");
        }
    }

    /// Pieces of generated paths: separators, quotes, shell characters, spaces,
    /// letters and non-ASCII text.
    const PIECES: &[&str] = &[
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
        "\r",
        "$HOME",
        "%PATH%",
        "\\\"",
        "Program Files",
    ];

    fn path_strategy() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(prop::sample::select(PIECES), 0..12),
            prop::bool::weighted(0.15),
        )
            .prop_map(|(pieces, trailing_backslash)| {
                let mut p = pieces.concat();
                if trailing_backslash {
                    p.push('\\');
                }
                p
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// What configure writes, each platform's split reads back as the same
        /// program and arguments; on Windows cmd.exe reads the same program too;
        /// what cannot be written that way is refused, for a stated reason.
        #[test]
        fn configure_lines_read_back(path in path_strategy(), name in "[a-z0-9._-]{1,12}") {
            for platform in Platform::ALL {
                match quote_program(&path, platform) {
                    Ok(program) => {
                        let line = format!("{program} --profile {name}");
                        let read = split(&line, platform);
                        prop_assert_eq!(
                            read,
                            Some(vec![path.clone(), "--profile".into(), name.clone()]),
                            "{:?} on {:?}", line, platform
                        );
                        prop_assert_eq!(
                            helper_profile_arg(&line, platform).is_some(),
                            is_helper(&path, platform)
                        );
                        if platform == Platform::Windows {
                            prop_assert_eq!(cmd_program(&line), Some(path.clone()), "{:?}", line);
                        }
                    }
                    Err(refusal) => {
                        let windows = platform == Platform::Windows;
                        let reason = path.is_empty()
                            || path.chars().any(char::is_control)
                            || (windows
                                && (path.contains(['%', '"'])
                                    || !path.is_ascii()
                                    || path.ends_with('\\')));
                        prop_assert!(reason, "{:?} refused on {:?}: {:?}", path, platform, refusal);
                    }
                }
            }
        }

        #[test]
        fn splitting_never_panics(s in any::<String>()) {
            for platform in Platform::ALL {
                let _ = split(&s, platform);
                let _ = helper_profile_arg(&s, platform);
                let _ = is_helper(&s, platform);
                let _ = quote_program(&s, platform);
            }
        }
    }
}
