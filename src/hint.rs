//! What hints print for the user to type, written for the shell the user has on
//! each platform: a word of a command ([`word`], [`arg`]) and the commands that fix
//! a file ([`remove_bom`], [`make_writable`]).
//!
//! On Linux and macOS a hint is typed into sh, bash, zsh or fish: a word goes bare
//! when it is plain, else in single quotes. On Windows it is typed into `cmd.exe`
//! or PowerShell, and one spelling must work in both: a plain word goes bare, any
//! other in double quotes, inside which `cmd.exe` reads spaces and `& | < > ^ ( )
//! , ; =` literally and PowerShell everything but `$`, `` ` `` and `"` (and the
//! typographic `“ ” „`, which it takes for `"`). A word with `"`, `%` (`cmd.exe`
//! expands `%NAME%` inside quotes), `$` or `` ` `` has no spelling both read alike,
//! nor has an empty word (Windows PowerShell 5.1 drops `""` before a program sees
//! it) or a quoted one ending in `\` (the program's C runtime reads `\"` as a
//! quote): such a word is said in words instead of printed as a command that would
//! break ([`arg`]). Every rule takes the [`Platform`], so each is tested on any
//! machine.

use crate::platform::Platform;

/// `s` as one word of a command typed on `platform`, or `None` on Windows when no
/// spelling reads as `s` in both `cmd.exe` and PowerShell (see the module's note).
pub fn word(s: &str, platform: Platform) -> Option<String> {
    match platform {
        Platform::Linux | Platform::MacOs => Some(posix_word(s)),
        Platform::Windows => windows_word(s),
    }
}

/// `s` as one word of a command typed on `platform`: [`word`], or where there is
/// none, a placeholder that says what to type: `<a"b, quoted as your shell needs:
/// no one quoting works in both cmd.exe and PowerShell>`.
pub fn arg(s: &str, platform: Platform) -> String {
    word(s, platform).unwrap_or_else(|| {
        format!(
            "<{s}, quoted as your shell needs: no one quoting works in both cmd.exe and PowerShell>"
        )
    })
}

/// `s` as one word for sh, bash, zsh and fish: bare when it holds only letters,
/// digits and `/ . _ - + , : @ % =`, else in single quotes (a `'` written `'\''`).
fn posix_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%=".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `s` for `cmd.exe` and PowerShell alike: bare when it holds only ASCII letters,
/// digits and `\ / . _ - + :` (none of which either shell reads as syntax), else in
/// double quotes; `None` for what no spelling gives both.
fn windows_word(s: &str) -> Option<String> {
    if s.is_empty()
        || s.chars().any(|c| {
            c.is_control()
                || matches!(
                    c,
                    '"' | '%' | '$' | '`' | '\u{201c}' | '\u{201d}' | '\u{201e}'
                )
        })
    {
        return None;
    }
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '\\' | '/' | '.' | '_' | '-' | '+' | ':'))
    {
        return Some(s.to_string());
    }
    if s.ends_with('\\') {
        return None;
    }
    Some(format!("\"{s}\""))
}

/// `s` as a PowerShell single-quoted string: everything literal, each quote
/// doubled (PowerShell also takes the typographic `‘ ’ ‚ ‛` for `'`).
fn powershell_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// How to save the file at `path` (absolute: .NET reads a relative path from the
/// process's directory, not PowerShell's) as UTF-8 without a byte-order mark, as
/// the end of a sentence ("…, for example with: COMMAND").
///
/// - Linux and macOS: perl, whose `-i` works alike on both and the BSDs (sed's
///   does not).
/// - Windows: a PowerShell line that Windows PowerShell 5.1 runs too:
///   `ReadAllText` takes the mark off as it reads, and `WriteAllText` with a
///   `UTF8Encoding` made with `$false` writes none. The path goes in single
///   quotes, which hold any path.
pub fn remove_bom(path: &str, platform: Platform) -> String {
    match platform {
        Platform::Linux | Platform::MacOs => format!(
            "for example with: perl -pi -e 's/^\\xEF\\xBB\\xBF// if $. == 1' {}",
            posix_word(&not_an_option(path, platform))
        ),
        Platform::Windows => {
            let p = powershell_literal(path);
            format!(
                "for example in PowerShell: [System.IO.File]::WriteAllText({p}, [System.IO.File]::ReadAllText({p}), (New-Object System.Text.UTF8Encoding $false))"
            )
        }
    }
}

/// `path` as an argument no program takes for an option: a relative path that
/// begins with `-` gets `./` (`.\` on Windows) before it.
fn not_an_option(path: &str, platform: Platform) -> String {
    match (path.starts_with('-'), platform) {
        (false, _) => path.to_string(),
        (true, Platform::Windows) => format!(".\\{path}"),
        (true, _) => format!("./{path}"),
    }
}

/// How to make the read-only file at `path` writable, in a few words: `chmod u+w`
/// on Linux and macOS, `attrib -r` on Windows (a program both shells run), or
/// there, for a path neither takes quoted alike, the file's Properties.
pub fn make_writable(path: &str, platform: Platform) -> String {
    match platform {
        Platform::Linux | Platform::MacOs => {
            format!("chmod u+w {}", posix_word(&not_an_option(path, platform)))
        }
        Platform::Windows => match windows_word(&not_an_option(path, platform)) {
            Some(p) => format!("attrib -r {p}"),
            None => "clear Read-only in the file's Properties".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIN: Platform = Platform::Windows;

    #[test]
    fn words_for_posix_shells() {
        for unix in [Platform::Linux, Platform::MacOs] {
            assert_eq!(word("dev", unix).unwrap(), "dev");
            assert_eq!(
                word("corp-dev.readonly", unix).unwrap(),
                "corp-dev.readonly"
            );
            assert_eq!(word("my dev", unix).unwrap(), "'my dev'");
            assert_eq!(word("it's", unix).unwrap(), r"'it'\''s'");
            assert_eq!(word("$HOME`x`", unix).unwrap(), "'$HOME`x`'");
            assert_eq!(word("", unix).unwrap(), "''");
            assert_eq!(arg("a\"b", unix), "'a\"b'");
        }
    }

    /// Each spelling follows the documented rules of `cmd.exe` (quotes make `&
    /// | < > ^ ( ) , ; =` and spaces literal, `%NAME%` expands everywhere) and of
    /// PowerShell (double quotes make everything literal but `$`, `` ` `` and `"`;
    /// bare, `' , ; ( ) { } @ # < > | &` and spaces are its syntax). Not run in
    /// either shell (no Windows machine runs these tests).
    #[test]
    fn words_for_cmd_and_powershell() {
        for bare in [
            "dev",
            "corp-dev.readonly",
            "a_b",
            r"C:\Users\me\.aws\config",
            "x+y:z/w",
        ] {
            assert_eq!(word(bare, WIN).unwrap(), bare);
        }
        for (s, quoted) in [
            ("my dev", "\"my dev\""),
            (r"C:\t\bom cfg", r#""C:\t\bom cfg""#),
            ("O'Brien", "\"O'Brien\""),
            ("a&b|c<d>e^f(g)h", "\"a&b|c<d>e^f(g)h\""),
            ("a,b;c=d", "\"a,b;c=d\""),
            ("@x#y{z}", "\"@x#y{z}\""),
            ("~me", "\"~me\""),
            ("développement", "\"développement\""),
            ("a–b", "\"a–b\""),
        ] {
            assert_eq!(word(s, WIN).unwrap(), quoted, "{s}");
        }
        for none in [
            "a\"b",
            "100%",
            "%USERNAME%",
            "$x",
            "a`b",
            "",
            r"C:\my dir\",
            "a“b",
            "a\tb",
        ] {
            assert_eq!(word(none, WIN), None, "{none:?}");
        }
        // Said in words, not printed as a command that would break.
        let said = arg("my \"dev\"", WIN);
        assert!(
            said.starts_with("<my \"dev\", quoted as your shell needs")
                && said.contains("cmd.exe and PowerShell"),
            "{said}"
        );
        assert_eq!(arg("my dev", WIN), "\"my dev\"");
    }

    #[test]
    fn byte_order_mark_hints() {
        for unix in [Platform::Linux, Platform::MacOs] {
            assert_eq!(
                remove_bom("/home/me/.aws/bom cfg", unix),
                r"for example with: perl -pi -e 's/^\xEF\xBB\xBF// if $. == 1' '/home/me/.aws/bom cfg'"
            );
        }
        assert_eq!(
            remove_bom(r"C:\t\bom cfg", WIN),
            r"for example in PowerShell: [System.IO.File]::WriteAllText('C:\t\bom cfg', [System.IO.File]::ReadAllText('C:\t\bom cfg'), (New-Object System.Text.UTF8Encoding $false))"
        );
        // Single quotes hold any path; a quote in it is doubled.
        let odd = remove_bom(r"C:\Users\O'Brien\$x %y% ‘z’\config", WIN);
        assert!(
            odd.contains(r"WriteAllText('C:\Users\O''Brien\$x %y% ‘‘z’’\config', "),
            "{odd}"
        );
        assert!(!odd.contains("perl"));
    }

    #[test]
    fn read_only_hints() {
        for unix in [Platform::Linux, Platform::MacOs] {
            assert_eq!(make_writable("/t/ro cfg", unix), "chmod u+w '/t/ro cfg'");
            assert_eq!(make_writable("/t/config", unix), "chmod u+w /t/config");
            // A relative path that looks like an option is not read as one.
            assert_eq!(make_writable("-creds", unix), "chmod u+w ./-creds");
            assert!(remove_bom("-cfg", unix).ends_with(" ./-cfg"));
        }
        assert_eq!(
            make_writable(r"C:\t\ro cfg", WIN),
            r#"attrib -r "C:\t\ro cfg""#
        );
        assert_eq!(
            make_writable(r"C:\Users\me\.aws\config", WIN),
            r"attrib -r C:\Users\me\.aws\config"
        );
        assert_eq!(
            make_writable(r"C:\100%\config", WIN),
            "clear Read-only in the file's Properties"
        );
        assert_eq!(make_writable("-creds", WIN), r"attrib -r .\-creds");
    }
}
