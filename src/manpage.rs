//! The man page, sso-helper(1), made from the help text the binary prints
//! (`cli::HELP` and each command's page), so `--help` and the man page cannot
//! drift: `sso-helper __man` prints it, and `scripts/deb` installs it. Sections
//! come from the help's `HEADING:` lines; every other line is kept as it is,
//! in no-fill mode, with roff's special characters escaped.

use crate::cli::{Command, HELP};

/// The help text as roff: `HEADING:` lines become `.SH`, the rest stays
/// verbatim.
fn body(text: &str, out: &mut String) {
    let mut in_block = false;
    for line in text.trim_end().lines() {
        let heading = line
            .strip_suffix(':')
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_uppercase() || c == ' '));
        if let Some(h) = heading {
            if in_block {
                out.push_str(".fi\n");
                in_block = false;
            }
            out.push_str(&format!(".SS {h}\n"));
            continue;
        }
        if !in_block {
            out.push_str(".nf\n");
            in_block = true;
        }
        out.push_str(&escape(line));
        out.push('\n');
    }
    if in_block {
        out.push_str(".fi\n");
    }
}

/// A line as roff prints it literally: backslashes and minus signs escaped, and
/// a leading `.` or `'` kept from being read as a request.
pub fn escape(line: &str) -> String {
    let mut s = line.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        s.insert_str(0, "\\&");
    }
    s
}

/// The whole page.
pub fn render() -> String {
    let mut out = format!(
        ".\\\" Made by `sso-helper __man` from the help text; edit src/cli.rs, not this.\n\
         .TH SSO\\-HELPER 1 \"\" \"sso-helper {}\" \"User Commands\"\n\
         .SH NAME\n\
         sso\\-helper \\- AWS IAM Identity Center (AWS SSO) credentials for every AWS CLI and SDK\n\
         .SH DESCRIPTION\n",
        env!("CARGO_PKG_VERSION")
    );
    // The first line of the help is the NAME line above.
    let rest = HELP.split_once('\n').map_or("", |(_, r)| r);
    body(rest, &mut out);
    out.push_str(".SH COMMANDS\n");
    for c in Command::public() {
        out.push_str(&format!(".SS {}\n", c.name()));
        let help = c.help();
        let rest = help.split_once('\n').map_or("", |(_, r)| r);
        out.push_str(&format!(
            ".PP\n{}\n",
            escape(help.lines().next().unwrap_or_default())
        ));
        body(rest, &mut out);
    }
    out.push_str(".SH SEE ALSO\naws(1)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of every help page is in the man page, as roff prints it.
    #[test]
    fn the_man_page_holds_every_help_line() {
        let page = render();
        let pages = std::iter::once(HELP).chain(Command::public().map(|c| c.help()));
        for help in pages {
            for line in help.lines().filter(|l| !l.trim().is_empty()) {
                let expected = match line.strip_suffix(':') {
                    Some(h) if h.chars().all(|c| c.is_ascii_uppercase() || c == ' ') => {
                        format!(".SS {h}")
                    }
                    _ => escape(line),
                };
                assert!(
                    page.contains(&expected) || line.starts_with("sso-helper — AWS IAM"),
                    "the man page lacks {line:?}"
                );
            }
        }
        assert!(page.starts_with(".\\\" Made by"));
        assert!(
            !page
                .lines()
                .any(|l| l.starts_with('.') && l.starts_with(". "))
        );
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(escape("--profile"), "\\-\\-profile");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("C:\\x"), "C:\\ex");
    }
}
