//! The man page, sso-helper(1), made from the help text the binary prints
//! (`cli::HELP` and each command's page), so `--help` and the man page cannot
//! drift: `sso-helper __man` prints it, and `scripts/deb` installs it.
//!
//! The help pages are read by their layout: a title line `NAME — summary`,
//! `HEADING:` lines, blocks indented under them, and prose paragraphs. The
//! main page gives NAME, the DESCRIPTION (its prose), OPTIONS, ENVIRONMENT,
//! FILES and EXIT STATUS; every page's `USAGE:` gives one SYNOPSIS line; each
//! command's page gives its part of COMMANDS. An indented block whose lines
//! have a second column (`--flag VALUE   What it does`) becomes a list of
//! `.TP` items with filled text; any other indented block is an example, kept
//! as it is. The main page's COMMANDS table is left out: the COMMANDS section
//! holds each command's whole page instead.

use crate::cli::{Command, HELP};

/// The main page's sections, in the man page's order; any other heading of
/// the main page follows them.
const MAIN_SECTIONS: [&str; 4] = ["OPTIONS", "ENVIRONMENT", "FILES", "EXIT STATUS"];

/// A help page, cut at its headings.
struct Page<'a> {
    /// The title line's halves: `sso-helper login` and what it does.
    name: &'a str,
    summary: &'a str,
    /// What comes before the first heading has the heading "".
    sections: Vec<Section<'a>>,
}

struct Section<'a> {
    heading: &'a str,
    /// The lines indented right under the heading, without their indent.
    block: Vec<&'a str>,
    /// The paragraphs after that block, up to the next heading.
    after: Vec<Part<'a>>,
}

enum Part<'a> {
    /// Unindented lines: text to fill.
    Prose(Vec<&'a str>),
    /// Indented lines after a paragraph, without their common indent.
    Block(Vec<&'a str>),
}

/// `EXIT STATUS:` → `EXIT STATUS`.
fn heading(line: &str) -> Option<&str> {
    line.strip_suffix(':')
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_uppercase() || c == ' '))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The lines without the indent they all share.
fn dedent<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let common = lines.iter().map(|l| indent(l)).min().unwrap_or(0);
    lines.iter().map(|l| &l[common..]).collect()
}

fn parse(text: &str) -> Page<'_> {
    let mut lines = text.trim_end().lines();
    let title = lines.next().unwrap_or_default();
    let (name, summary) = title.split_once(" — ").unwrap_or((title, ""));
    let mut sections = vec![Section {
        heading: "",
        block: Vec::new(),
        after: Vec::new(),
    }];
    let rest: Vec<&str> = lines.collect();
    for para in rest
        .split(|l| l.trim().is_empty())
        .filter(|p| !p.is_empty())
    {
        if let Some(h) = heading(para[0]) {
            sections.push(Section {
                heading: h,
                block: dedent(&para[1..]),
                after: Vec::new(),
            });
            continue;
        }
        let section = sections.last_mut().expect("there is always one");
        if indent(para[0]) > 0 {
            if section.block.is_empty() && section.after.is_empty() && !section.heading.is_empty() {
                section.block = dedent(para);
            } else {
                section.after.push(Part::Block(dedent(para)));
            }
            continue;
        }
        let cut = para
            .iter()
            .position(|l| indent(l) > 0)
            .unwrap_or(para.len());
        section.after.push(Part::Prose(para[..cut].to_vec()));
        if cut < para.len() {
            section.after.push(Part::Block(dedent(&para[cut..])));
        }
    }
    Page {
        name,
        summary,
        sections,
    }
}

impl<'a> Page<'a> {
    fn section(&self, heading: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.heading == heading)
    }

    /// The `USAGE:` entries, one per line of use, each without `sso-helper `
    /// and with its continuation lines joined.
    fn usage(&self) -> Vec<String> {
        let mut entries: Vec<String> = Vec::new();
        for line in self.section("USAGE").map_or(&[][..], |s| &s.block[..]) {
            match line.strip_prefix("sso-helper") {
                Some(rest) if indent(line) == 0 => entries.push(rest.trim().to_string()),
                _ => {
                    if let Some(last) = entries.last_mut() {
                        last.push(' ');
                        last.push_str(line.trim());
                    }
                }
            }
        }
        entries
    }
}

/// An item of a two-column block: the term (`--profile NAME`) and the lines of
/// what it says.
struct Item {
    term: String,
    text: Vec<String>,
}

/// The column the second column of a block starts at (the most common one), if
/// the block has two columns: a run of two or more spaces after a term that
/// starts a line.
fn second_column(lines: &[&str]) -> Option<usize> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for line in lines.iter().filter(|l| indent(l) == 0) {
        let Some(gap) = line.find("  ") else { continue };
        let col = gap + indent(&line[gap..]);
        if col >= line.len() {
            continue;
        }
        match counts.iter_mut().find(|(c, _)| *c == col) {
            Some((_, n)) => *n += 1,
            None => counts.push((col, 1)),
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).map(|&(c, _)| c)
}

/// A two-column block's items. A line that starts at the left edge starts an
/// item, its text from `col` on (a term too wide for its column stands alone,
/// the text on the lines below); a term ending in `,` goes on on the next line;
/// an indented line goes on with the text.
fn items(lines: &[&str], col: usize) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for line in lines {
        if indent(line) > 0 {
            match items.last_mut() {
                Some(item) => item.text.push(line.trim().to_string()),
                None => items.push(Item {
                    term: line.trim().to_string(),
                    text: Vec::new(),
                }),
            }
            continue;
        }
        let split = line.len() > col
            && line.is_char_boundary(col)
            && line[..col].ends_with(' ')
            && !line[col..].starts_with(' ');
        let (term, text) = if split {
            (line[..col].trim_end(), Some(line[col..].trim_end()))
        } else {
            (line.trim_end(), None)
        };
        match items.last_mut() {
            Some(item) if item.text.is_empty() && item.term.ends_with(',') => {
                item.term.push(' ');
                item.term.push_str(term);
                item.text.extend(text.map(str::to_string));
            }
            _ => items.push(Item {
                term: term.to_string(),
                text: text.map(str::to_string).into_iter().collect(),
            }),
        }
    }
    items
}

/// `0 success, 1 failure, 2 …` as items, one per status; `None` when the
/// text does not start with a status.
fn statuses(lines: &[&str]) -> Option<Vec<Item>> {
    let text = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    let starts_with_status = |s: &str| {
        s.split_once(' ')
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    if !starts_with_status(&text) {
        return None;
    }
    let mut items: Vec<Item> = Vec::new();
    for piece in text.split(", ") {
        match items.last_mut() {
            Some(item) if !starts_with_status(piece) => {
                let last = item.text.last_mut().expect("an item has its text");
                last.push_str(", ");
                last.push_str(piece);
            }
            _ => {
                let (n, rest) = piece.split_once(' ').expect("checked above");
                items.push(Item {
                    term: n.to_string(),
                    text: vec![rest.to_string()],
                });
            }
        }
    }
    Some(items)
}

/// Text as roff prints it: backslashes and minus signs escaped, characters
/// beyond ASCII by their code point, a word with a `-` never broken at it (a
/// flag stays whole), and a leading `.` or `'` kept from being read as a
/// request.
fn escape(text: &str) -> String {
    let mut s = String::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if word.contains('-') {
            s.push_str("\\%");
        }
        s.push_str(&escape_chars(word));
    }
    if s.starts_with('.') || s.starts_with('\'') {
        s.insert_str(0, "\\&");
    }
    s
}

fn escape_chars(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\e"),
            '-' => s.push_str("\\-"),
            c if c.is_ascii() => s.push(c),
            c => s.push_str(&format!("\\[u{:04X}]", c as u32)),
        }
    }
    s
}

/// A line of usage or an option's term with fonts: flags and literal words in
/// bold, placeholders (`NAME`, `ARGS...`) in italics, `[ ] | ,` in roman.
fn markup(text: &str) -> String {
    let mut out = String::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('-') {
            out.push_str("\\%");
        }
        for atom in word.split_inclusive(['[', ']', '|', ',']) {
            let (atom, punct) = match atom.char_indices().last() {
                Some((j, p)) if "[]|,".contains(p) => (&atom[..j], &atom[j..]),
                _ => (atom, ""),
            };
            let placeholder = atom.trim_end_matches("...");
            let font = if !placeholder.is_empty()
                && placeholder.chars().any(|c| c.is_ascii_uppercase())
                && placeholder
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                "I"
            } else {
                "B"
            };
            if !atom.is_empty() {
                out.push_str(&format!("\\f{font}{}\\fR", escape_chars(atom)));
            }
            out.push_str(punct);
        }
    }
    out
}

/// The flags (`-v`, `--profile`) a usage line or term names.
fn flags_in(text: &str) -> Vec<&str> {
    text.split([' ', '[', ']', '|', ','])
        .filter(|w| w.starts_with('-') && w.len() > 1 && *w != "--")
        .collect()
}

fn item_term(term: &str) -> String {
    if term.starts_with('-') {
        markup(term)
    } else {
        format!("\\fB{}\\fR", escape(term))
    }
}

fn list(items: &[Item], out: &mut String) {
    for item in items {
        out.push_str(".TP\n");
        out.push_str(&item_term(&item.term));
        out.push('\n');
        for line in &item.text {
            out.push_str(&escape(line));
            out.push('\n');
        }
    }
}

/// An indented block: a list when it has two columns, else an example.
fn block(lines: &[&str], out: &mut String) {
    if lines.is_empty() {
        return;
    }
    if let Some(col) = second_column(lines) {
        list(&items(lines, col), out);
        return;
    }
    out.push_str(".PP\n.RS 4\n.EX\n");
    for line in lines {
        out.push_str(&escape(line));
        out.push('\n');
    }
    out.push_str(".EE\n.RE\n");
}

fn prose(lines: &[&str], out: &mut String) {
    out.push_str(".PP\n");
    for line in lines {
        out.push_str(&escape(line.trim()));
        out.push('\n');
    }
}

fn parts(parts: &[Part], out: &mut String) {
    for part in parts {
        match part {
            Part::Prose(lines) => prose(lines, out),
            Part::Block(lines) => block(lines, out),
        }
    }
}

/// A section's block: exit statuses as a list, else as `block` has it.
fn section_block(section: &Section, out: &mut String) {
    if section.heading == "EXIT STATUS"
        && second_column(&section.block).is_none()
        && let Some(items) = statuses(&section.block)
    {
        list(&items, out);
    } else {
        block(&section.block, out);
    }
}

/// `FORMATS` → `Formats`.
fn sentence_case(heading: &str) -> String {
    let lower = heading.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// A command's part of COMMANDS: what it does, its own sections (`Options:`,
/// `Formats:`), and the common options its usage shows that its page does not
/// describe.
fn command(c: Command, main_options: &[Item], out: &mut String) {
    let page = parse(c.help());
    out.push_str(&format!(".SS \"{}\"\n", escape_chars(page.name)));
    let summary = sentence_case_first(page.summary);
    out.push_str(&format!(".PP\n{}.\n", escape(&summary)));
    let mut own: Vec<String> = Vec::new();
    for section in &page.sections {
        match section.heading {
            // The usage is in the SYNOPSIS.
            "USAGE" => {}
            "" => block(&section.block, out),
            heading => {
                out.push_str(&format!(".PP\n{}:\n", escape(&sentence_case(heading))));
                section_block(section, out);
                if let Some(col) = second_column(&section.block) {
                    for item in items(&section.block, col) {
                        own.extend(flags_in(&item.term).into_iter().map(str::to_string));
                    }
                }
            }
        }
        parts(&section.after, out);
    }
    let usage = page.usage().join(" ");
    let used = flags_in(&usage);
    let common: Vec<String> = main_options
        .iter()
        .map(|item| flags_in(&item.term))
        .filter(|f| {
            f.iter().any(|f| used.contains(f)) && !f.iter().any(|f| own.iter().any(|o| o == f))
        })
        .filter_map(|f| f.first().map(|f| markup(f)))
        .collect();
    if let Some((last, rest)) = common.split_last() {
        let names = if rest.is_empty() {
            format!("option {last}")
        } else {
            format!("options {} and {last}", rest.join(", "))
        };
        out.push_str(&format!(
            ".PP\nIt also takes the common {names} (see \\fBOPTIONS\\fR).\n"
        ));
    }
}

/// `sign in now` → `Sign in now`.
fn sentence_case_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// The whole page.
pub fn render() -> String {
    let main = parse(HELP);
    let mut out = format!(
        ".\\\" Made by `sso-helper __man` from the help text; edit src/cli.rs, not this.\n\
         .TH SSO\\-HELPER 1 \"\" \"sso-helper {}\" \"User Commands\"\n\
         .nr HY 0\n\
         .nh\n\
         .ad l\n\
         .SH NAME\n\
         {} \\- {}\n",
        env!("CARGO_PKG_VERSION"),
        escape_chars(main.name),
        escape(main.summary)
    );

    // One line per command: the credentials command's (the main page's first
    // usage line; the others point at the commands), then each command's.
    out.push_str(".SH SYNOPSIS\n");
    let lines = main
        .usage()
        .into_iter()
        .take(1)
        .chain(Command::public().flat_map(|c| parse(c.help()).usage()));
    for line in lines {
        out.push_str(&format!(
            ".SY {}\n{}\n.YS\n",
            escape_chars(main.name),
            markup(&line)
        ));
    }

    out.push_str(".SH DESCRIPTION\n");
    for section in &main.sections {
        parts(&section.after, &mut out);
    }

    out.push_str(".SH COMMANDS\n");
    let main_options = main
        .section("OPTIONS")
        .and_then(|s| second_column(&s.block).map(|col| items(&s.block, col)))
        .unwrap_or_default();
    for c in Command::public() {
        command(c, &main_options, &mut out);
    }

    let others = main
        .sections
        .iter()
        .filter(|s| !["", "USAGE", "COMMANDS"].contains(&s.heading))
        .filter(|s| !MAIN_SECTIONS.contains(&s.heading));
    let ordered = MAIN_SECTIONS
        .iter()
        .filter_map(|h| main.section(h))
        .chain(others);
    for section in ordered {
        out.push_str(&format!(".SH {}\n", section.heading));
        if section.heading == "OPTIONS" {
            out.push_str(&format!(
                "Without a command, {} takes these options. The commands take \
                 those their synopsis shows.\n",
                markup(main.name)
            ));
        }
        section_block(section, &mut out);
    }

    out.push_str(
        ".SH SEE ALSO\n\
         \\fBsso\\-helper\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR;\n\
         \\fI/usr/share/doc/sso\\-helper/README.md\\fR (from the Debian package).\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page as it reads: requests dropped (the text of headings and
    /// synopses kept), escapes undone.
    fn plain(roff: &str) -> String {
        let mut text = String::new();
        for line in roff.lines() {
            let line = match line.strip_prefix('.') {
                Some(request) => {
                    let (name, args) = request.split_once(' ').unwrap_or((request, ""));
                    match name {
                        "SH" | "SS" | "SY" => args.trim_matches('"'),
                        _ => continue,
                    }
                }
                None => line,
            };
            text.push_str(line);
            text.push('\n');
        }
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('f') => {
                    chars.next();
                }
                Some('e') => out.push('\\'),
                Some('-') => out.push('-'),
                Some('&' | '%') => {}
                Some('[') => {
                    let code: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    let n = u32::from_str_radix(&code[1..], 16).unwrap();
                    out.push(char::from_u32(n).unwrap());
                }
                other => panic!("unexpected escape \\{other:?}"),
            }
        }
        out
    }

    /// Lowercase words without the punctuation that ends them, one space apart:
    /// filling, lists and headings change no more than that.
    pub fn words(text: &str) -> String {
        text.split_whitespace()
            .map(|w| w.trim_end_matches([',', '.', ':', ';']).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Every piece of every help page (a line, or a column of it) is in the
    /// man page, word for word — but the main page's COMMANDS table, for which
    /// the page has each command's whole help, and its usage line pointing at
    /// the commands, for which it has each command's own.
    #[test]
    fn the_man_page_holds_every_help_line() {
        let page = words(&plain(&render()));
        let main = parse(HELP);
        let skipped: Vec<&str> = main.section("COMMANDS").unwrap().block.clone();
        let pages = std::iter::once(HELP).chain(Command::public().map(|c| c.help()));
        let mut checked = 0;
        for help in pages {
            for line in help.lines() {
                if heading(line).is_some()
                    || skipped.iter().any(|s| line.ends_with(s))
                    || line
                        .trim_start()
                        .starts_with("sso-helper COMMAND [OPTIONS]")
                {
                    continue;
                }
                for piece in line.split("  ").flat_map(|p| p.split(" — ")) {
                    let piece = words(piece);
                    if piece.is_empty() {
                        continue;
                    }
                    assert!(
                        page.contains(&piece),
                        "the man page lacks {piece:?} (from {line:?})"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 250, "only {checked} pieces");
        for c in Command::public() {
            assert!(skipped.iter().any(|l| l.starts_with(c.name())));
        }
    }

    #[test]
    fn the_sections_in_order() {
        let page = render();
        let headings: Vec<&str> = page
            .lines()
            .filter_map(|l| l.strip_prefix(".SH "))
            .collect();
        assert_eq!(
            headings,
            [
                "NAME",
                "SYNOPSIS",
                "DESCRIPTION",
                "COMMANDS",
                "OPTIONS",
                "ENVIRONMENT",
                "FILES",
                "EXIT STATUS",
                "SEE ALSO"
            ]
        );
        assert!(page.starts_with(".\\\" Made by"));
        assert!(!page.lines().any(|l| l.starts_with(". ")));
        // One synopsis line per command, and the credentials command's.
        assert_eq!(page.matches(".SY ").count(), Command::public().count() + 1);
        assert!(
            page.contains(
                ".SH NAME\nsso\\-helper \\- AWS IAM Identity Center (AWS SSO) credentials"
            )
        );
    }

    /// Each command's part lists the flags its page describes as items, and
    /// names the common options (described under OPTIONS) it takes besides:
    /// console and exec take the sign-in options too.
    #[test]
    fn commands_name_the_common_options_they_take() {
        let roff = render();
        let part = |name: &str| {
            let start = roff.find(&format!(".SS \"sso\\-helper {name}\"")).unwrap();
            let end = roff[start + 1..]
                .find("\n.S")
                .map_or(roff.len(), |e| start + 1 + e);
            plain(&roff[start..end])
        };
        let main = parse(HELP);
        let options = main.section("OPTIONS").unwrap();
        let common: Vec<&str> = options.block.iter().flat_map(|l| flags_in(l)).collect();
        for c in Command::public() {
            let text = part(c.name());
            for flag in c.flags().iter().map(|f| format!("--{f}")) {
                if common.contains(&flag.as_str()) {
                    assert!(text.contains(&flag), "{} lacks {flag}:\n{text}", c.name());
                }
            }
        }
        let console = part("console");
        assert!(console.contains("\n--destination URL\n"), "{console}");
        assert!(
            console.contains("It also takes the common options --no-login, "),
            "{console}"
        );
        assert!(console.contains(" -v (see OPTIONS).\n"), "{console}");
        let exec = part("exec");
        assert!(exec.contains("\n--server\n"), "{exec}");
        assert!(exec.contains("common options --no-login, "), "{exec}");
        assert!(!part("login").contains("common option"));
        assert!(!part("completions").contains("common option"));
    }

    #[test]
    fn two_column_blocks() {
        let lines = [
            "--profile NAME   The profile",
            "                 (default).",
            "--redirect-port PORT",
            "                 A fixed port.",
            "A_VERY_LONG_NAME, B,",
            "C                Both.",
            "D",
        ];
        let col = second_column(&lines).unwrap();
        assert_eq!(col, 17);
        let items = items(&lines, col);
        let got: Vec<(&str, usize)> = items.iter().map(|i| (&i.term[..], i.text.len())).collect();
        assert_eq!(
            got,
            [
                ("--profile NAME", 2),
                ("--redirect-port PORT", 1),
                ("A_VERY_LONG_NAME, B, C", 1),
                ("D", 0)
            ]
        );
        assert_eq!(second_column(&["[profile dev]", "x = y"]), None);
        let exits = statuses(&["0 ok, 1 failure,", "3 needed: a, or b", "  c"]).unwrap();
        let got: Vec<(&str, &str)> = exits
            .iter()
            .map(|i| (&i.term[..], &i.text[0][..]))
            .collect();
        assert_eq!(
            got,
            [("0", "ok"), ("1", "failure"), ("3", "needed: a, or b c")]
        );
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(escape("--profile"), "\\%\\-\\-profile");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("C:\\x"), "C:\\ex");
        assert_eq!(escape("a — b…"), "a \\[u2014] b\\[u2026]");
        assert_eq!(
            markup("[--flow pkce|device] [--] COMMAND [ARGS...]"),
            "\\%[\\fB\\-\\-flow\\fR \\fBpkce\\fR|\\fBdevice\\fR] \\%[\\fB\\-\\-\\fR] \
             \\fICOMMAND\\fR [\\fIARGS...\\fR]"
        );
    }
}
