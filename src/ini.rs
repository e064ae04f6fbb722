//! The INI reader botocore reads `~/.aws/config` and `~/.aws/credentials` with,
//! rule for rule: Python's `configparser.RawConfigParser()` with its defaults
//! (CPython 3.11 `Lib/configparser.py`, `_read`), then botocore's
//! `raw_config_parse` (`botocore/configloader.py`), which turns a value whose first
//! line is empty into a nested block (`_parse_nested`). A file botocore refuses is
//! refused here, naming the first line at fault.
//!
//! The rules:
//! - Lines end at `\n`, `\r\n` or a lone `\r` (Python's universal newlines). A
//!   UTF-8 byte-order mark is not white space to Python: the file's first line then
//!   comes before any section, and the file is refused.
//! - "White space" is Python's `str.isspace` (Unicode white space and `\x1c`–`\x1f`).
//! - A line whose stripped text starts with `#` or `;` is a comment, wherever it
//!   is; a comment inside a value neither ends nor extends it. Inline comments are
//!   not recognised: `region = x # y` has the value `x # y`.
//! - A line indented deeper than the line that set the current key continues that
//!   key's value (joined with `\n`); blank lines inside a value are kept, trailing
//!   ones dropped. Every other line sets the indentation level, so keys at one
//!   indentation, indented or not, are keys.
//! - A section header is a stripped line `[NAME]…`: NAME runs to the line's last
//!   `]`, is not trimmed, and text after that `]` is ignored. A section may not
//!   appear twice, nor a key twice in one section (keys compare lower-cased).
//! - A key line splits at its first `=` or `:`; the key is lower-cased (Python's
//!   `str.lower`), key and value are stripped; an empty key is an error, and so is
//!   a line that is neither a header, a comment nor a key line.
//! - `[DEFAULT]` is not a section: its keys are inherited by every section that
//!   does not set them itself.
//! - botocore then reads a value that starts with a line break (`key =` followed
//!   by indented lines) as a nested block: each non-blank line (split as Python's
//!   `str.splitlines` does) must be `key = value` split at its first `=` (`:` does
//!   not count); nested keys keep their case; a repeated nested key replaces the
//!   earlier one. A nested line without `=` makes the whole file unreadable.
//!
//! Parsing is one pass, linear in the file's size. `parse_filtered` keeps only the
//! sections a caller asks for while still checking every line; `read_filtered`
//! does the same while reading the file in pieces (`scan`), for the common file,
//! and leaves the rest to `parse_filtered`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io::{self, Read};

mod scan;

/// A piece of the file's text (a byte range of it) or text made while parsing
/// (a value joined from several lines, a lower-cased key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    Span(u32, u32),
    Owned(Box<str>),
}

impl Text {
    pub fn resolve<'a>(&'a self, file: &'a str) -> &'a str {
        match self {
            Text::Span(a, b) => &file[*a as usize..*b as usize],
            Text::Owned(s) => s,
        }
    }
}

/// A key's value: text, or botocore's nested block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(Text),
    Nested(Vec<(Text, Text)>),
}

/// One section as botocore's `raw_config_parse` returns it: its name exactly as
/// written between the brackets, and its keys (lower-cased) in file order, the
/// inherited `[DEFAULT]` keys after its own.
#[derive(Clone, Debug)]
pub struct RawSection {
    pub name: Text,
    /// The 1-based line of its header.
    pub line: usize,
    pub entries: Vec<(Text, Value)>,
}

/// Why botocore refuses the file, at which line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file starts with a UTF-8 byte-order mark.
    ByteOrderMark,
    /// A setting before the first `[section]` header.
    BeforeFirstSection,
    /// `[NAME]` appears a second time.
    DuplicateSection(String),
    /// A key appears a second time in one section (compared lower-cased).
    DuplicateKey { section: String, key: String },
    /// Neither a header, a comment, nor `key = value`.
    NotKeyValue,
    /// `= value` with nothing before the `=`.
    EmptyKey,
    /// A line of the nested block under `key` has no `=`.
    NestedNotKeyValue { key: String },
}

impl std::fmt::Display for ParseError {
    /// Never quotes the line: the file may hold secret keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = self.line;
        match &self.kind {
            ErrorKind::ByteOrderMark => write!(f, "line 1 starts with a UTF-8 byte-order mark"),
            ErrorKind::BeforeFirstSection => {
                write!(f, "line {line} comes before any [section] header")
            }
            ErrorKind::DuplicateSection(s) => write!(f, "line {line} repeats the section [{s}]"),
            ErrorKind::DuplicateKey { section, key } => {
                write!(f, "line {line} sets {key} a second time in [{section}]")
            }
            ErrorKind::NotKeyValue => write!(
                f,
                "line {line} is not a `key = value` setting, a [section] header or a comment \
                 (an indented line continues the setting above it only when it is indented deeper)"
            ),
            ErrorKind::EmptyKey => write!(f, "line {line} has a value but no key before its `=`"),
            ErrorKind::NestedNotKeyValue { key } => write!(
                f,
                "line {line} is in the nested block of `{key} =` but is not a `key = value` line"
            ),
        }
    }
}

/// Python's `str.isspace`.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_space)
}

/// Python's `str.lower()`, borrowing when there is nothing to change.
fn py_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// The line boundaries of Python's `str.splitlines` beyond `\n` and `\r`.
fn is_py_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The file's lines with Python's universal newlines: (1-based number, text).
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let rest = &bytes[start..];
        let (len, sep) = match rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => (i, 2),
            Some(i) => (i, 1),
            None => (rest.len(), 0),
        };
        let line = &text[start..start + len];
        start += len + sep;
        number += 1;
        Some((number, line))
    })
}

/// The key being read, whose value may go on over indented lines (kept in
/// `Parser::pieces`, one buffer for the whole file).
struct Open<'t> {
    /// Index into the kept section's entries; `None` in a section not kept.
    entry: Option<usize>,
    key: Cow<'t, str>,
    /// The first line's value was empty: continuation lines make a nested block.
    nested: bool,
}

/// Parses the whole file (every section kept).
pub fn parse(text: &str) -> Result<Vec<RawSection>, ParseError> {
    parse_filtered(text, |_| true)
}

/// Parses the file, checking every line, but keeping only the sections whose
/// name `keep` accepts (`[DEFAULT]`'s keys still reach the kept ones).
pub fn parse_filtered(
    text: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<RawSection>, ParseError> {
    if text.starts_with('\u{feff}') {
        return Err(ParseError {
            line: 1,
            kind: ErrorKind::ByteOrderMark,
        });
    }
    let mut parser = Parser::new(text);
    parser.run(&keep)?;
    let Parser {
        kept,
        defaults,
        bad_default_nested,
        section_count,
        ..
    } = parser;
    if let Some((line, key)) = bad_default_nested {
        // botocore parses `[DEFAULT]`'s nested value once for every section that
        // inherits it, so it is an error only when some section does not set the
        // key itself. Knowing that takes every section's keys: read the whole file
        // (a rare case).
        let all = if section_count == kept.len() {
            kept.clone()
        } else {
            every_section(text)?
        };
        if all
            .iter()
            .any(|s| !s.entries.iter().any(|(k, _)| k.resolve(text) == key))
        {
            return Err(ParseError {
                line,
                kind: ErrorKind::NestedNotKeyValue { key },
            });
        }
    }
    Ok(kept
        .into_iter()
        .map(|mut s| {
            inherit(&mut s, &defaults, text);
            s
        })
        .collect())
}

/// The sections whose name `keep` accepts (given as bytes, ASCII), as
/// [`parse_filtered`] gives them, read from `src` in pieces of `piece` bytes
/// without holding the whole text (`scan`; `size`, the file's length, sizes its
/// tables): with the text of the kept sections, which their spans point into.
/// `None` for a file this reading leaves to [`parse_filtered`] (one that is not
/// ASCII, has a lone `\r` or `[DEFAULT]`, or that botocore may refuse), or that
/// is longer than `cap` bytes; `src` is then read no further.
pub fn read_filtered(
    src: &mut dyn Read,
    size: u64,
    piece: usize,
    cap: u64,
    keep: &mut dyn FnMut(&[u8]) -> bool,
) -> io::Result<Option<(String, Vec<RawSection>)>> {
    let scan::Scan::Kept { text, lines } = scan::scan(src, size, piece, cap, keep)? else {
        return Ok(None);
    };
    let Ok(text) = String::from_utf8(text) else {
        return Ok(None);
    };
    // The kept sections alone: each one's reading starts afresh at its header,
    // so they read as they do in the whole file.
    let sections = match parse(&text) {
        Ok(s) if s.len() == lines.len() => s,
        _ => return Ok(None),
    };
    let sections = sections
        .into_iter()
        .zip(lines)
        .map(|(s, line)| RawSection { line, ..s })
        .collect();
    Ok(Some((text, sections)))
}

/// Every section header of a file botocore reads, `[DEFAULT]` included: its name
/// and 1-based line, in file order. For rewriting one section of a file.
pub fn headers(text: &str) -> Result<Vec<(String, usize)>, ParseError> {
    if text.starts_with('\u{feff}') {
        return Err(ParseError {
            line: 1,
            kind: ErrorKind::ByteOrderMark,
        });
    }
    let mut parser = Parser::new(text);
    parser.collect_headers = true;
    parser.run(&|_| false)?;
    Ok(parser
        .headers
        .into_iter()
        .map(|(name, line)| (name.to_string(), line))
        .collect())
}

/// Every section with only its own keys (for the `[DEFAULT]` check above).
fn every_section(text: &str) -> Result<Vec<RawSection>, ParseError> {
    let mut parser = Parser::new(text);
    parser.run(&|_| true)?;
    Ok(parser.kept)
}

/// Adds the `[DEFAULT]` keys a section does not set itself, after its own.
fn inherit(section: &mut RawSection, defaults: &[(Text, Value)], text: &str) {
    if defaults.is_empty() {
        return;
    }
    let own: HashSet<String> = section
        .entries
        .iter()
        .map(|(k, _)| k.resolve(text).to_string())
        .collect();
    for (k, v) in defaults {
        if !own.contains(k.resolve(text)) {
            section.entries.push((k.clone(), v.clone()));
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    kept: Vec<RawSection>,
    defaults: Vec<(Text, Value)>,
    /// `[DEFAULT]` may be opened again; its keys must not repeat across openings.
    default_keys: KeySet<'t>,
    /// A `[DEFAULT]` key whose nested block has a line without `=`.
    bad_default_nested: Option<(usize, String)>,
    section_names: HashSet<&'t str, BuildHasherDefault<Fnv>>,
    section_count: usize,
    /// The current section's keys (cleared at each header).
    keys: KeySet<'t>,
    /// A skipped section's keys ([`Parser::skip_section`]).
    prints: KeyPrints<'t>,
    /// Every header line: (name, line), when `collect_headers`.
    headers: Vec<(&'t str, usize)>,
    collect_headers: bool,
    /// The lines of the value being read (stripped; `""` for a blank line inside
    /// it), reused from key to key.
    pieces: Vec<&'t str>,
    /// A line botocore would report only at the end (configparser collects
    /// `ParsingError`s); the file is refused either way.
    first_error: Option<ParseError>,
}

#[derive(Clone, Copy, PartialEq)]
enum Current {
    None,
    Default,
    /// A section; `Some(i)` when kept (index into `kept`).
    Section(Option<usize>),
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Parser<'t> {
        Parser {
            text,
            kept: Vec::new(),
            defaults: Vec::new(),
            default_keys: KeySet::default(),
            bad_default_nested: None,
            section_names: HashSet::default(),
            section_count: 0,
            keys: KeySet::default(),
            prints: KeyPrints::default(),
            headers: Vec::new(),
            collect_headers: false,
            pieces: Vec::new(),
            first_error: None,
        }
    }

    fn span(&self, part: &'t str) -> Text {
        let start = part.as_ptr() as usize - self.text.as_ptr() as usize;
        Text::Span(start as u32, (start + part.len()) as u32)
    }

    /// Text for a key: the file's span when it is already lower case.
    fn key_text(&self, raw: &'t str, lowered: &str) -> Text {
        if raw == lowered {
            self.span(raw)
        } else {
            Text::Owned(lowered.into())
        }
    }

    fn error(&mut self, line: usize, kind: ErrorKind) {
        if self.first_error.is_none() {
            self.first_error = Some(ParseError { line, kind });
        }
    }

    fn run(&mut self, keep: &dyn Fn(&str) -> bool) -> Result<(), ParseError> {
        if u32::try_from(self.text.len()).is_err() {
            // Spans are u32; no AWS config file comes near 4 GiB.
            return Err(ParseError {
                line: 1,
                kind: ErrorKind::NotKeyValue,
            });
        }
        let mut current = Current::None;
        let mut section_name: &'t str = "";
        let mut open: Option<Open<'t>> = None;
        let mut indent_level = 0usize;
        let text = self.text;
        let bytes = text.as_bytes();
        // About one section per `[`: sized once, not grown a few times.
        self.section_names
            .reserve(memchr::memchr_iter(b'[', bytes).count().min(1 << 16));
        let mut lines = Lines::new(text);
        // A header line the skipping loop stopped at, to be read here.
        let mut pending: Option<&'t str> = None;
        loop {
            let line = match pending.take() {
                Some(line) => line,
                None => match lines.next() {
                    Some(line) => line,
                    None => break,
                },
            };
            let number = lines.number;
            let (lead_bytes, indent) = leading_space(line);
            let value = trim_end_space(&line[lead_bytes..]);
            if value.is_empty() {
                if open.as_ref().is_some_and(|o| o.entry.is_some()) {
                    self.pieces.push("");
                }
                continue;
            }
            let first_byte = value.as_bytes()[0];
            if first_byte == b'#' || first_byte == b';' {
                continue;
            }
            if let Some(o) = &open
                && indent > indent_level
            {
                if o.nested {
                    let key = o.key.clone();
                    check_nested_line(value, number, &key, current, self)?;
                }
                self.pieces.push(value);
                continue;
            }
            indent_level = indent;
            if let Some(name) = section_header(value) {
                self.close(open.take(), current);
                self.keys.clear();
                if self.collect_headers {
                    self.headers.push((name, number));
                }
                if name == "DEFAULT" {
                    current = Current::Default;
                } else {
                    if !self.section_names.insert(name) {
                        return Err(self.first_error.take().unwrap_or(ParseError {
                            line: number,
                            kind: ErrorKind::DuplicateSection(name.to_string()),
                        }));
                    }
                    self.section_count += 1;
                    current = Current::Section(keep(name).then(|| {
                        self.kept.push(RawSection {
                            name: self.span(name),
                            line: number,
                            entries: Vec::new(),
                        });
                        self.kept.len() - 1
                    }));
                }
                section_name = name;
                if current == Current::Section(None) {
                    pending = self.skip_section(&mut lines, indent, section_name)?;
                }
                continue;
            }
            if current == Current::None {
                return Err(self.first_error.take().unwrap_or(ParseError {
                    line: number,
                    kind: ErrorKind::BeforeFirstSection,
                }));
            }
            let Some(split) = memchr::memchr2(b'=', b':', value.as_bytes()) else {
                self.error(number, ErrorKind::NotKeyValue);
                continue;
            };
            let raw_key = trim_end_space(&value[..split]);
            let rest = &value[split + 1..];
            let first = &rest[leading_space(rest).0..];
            if raw_key.is_empty() {
                // configparser records the error and goes on with an empty key,
                // which can never continue over later lines.
                self.error(number, ErrorKind::EmptyKey);
                self.close(open.take(), current);
                continue;
            }
            self.close(open.take(), current);
            let key = py_lower(raw_key);
            let fresh = match current {
                Current::Default => self.default_keys.insert(key.clone()),
                _ => self.keys.insert(key.clone()),
            };
            if !fresh {
                return Err(self.first_error.take().unwrap_or(ParseError {
                    line: number,
                    kind: ErrorKind::DuplicateKey {
                        section: section_name.to_string(),
                        key: key.into_owned(),
                    },
                }));
            }
            let entry = match current {
                Current::Section(Some(i)) => {
                    let entry = (self.key_text(raw_key, &key), Value::Text(self.span(first)));
                    self.kept[i].entries.push(entry);
                    Some(self.kept[i].entries.len() - 1)
                }
                Current::Default => {
                    let entry = (self.key_text(raw_key, &key), Value::Text(self.span(first)));
                    self.defaults.push(entry);
                    Some(self.defaults.len() - 1)
                }
                _ => None,
            };
            self.pieces.clear();
            self.pieces.push(first);
            open = Some(Open {
                entry,
                key,
                nested: first.is_empty(),
            });
        }
        self.close(open.take(), current);
        match self.first_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Finishes the value of the key being read: joined, and nested when it starts
    /// with a line break.
    fn close(&mut self, open: Option<Open<'t>>, current: Current) {
        let Some(o) = open else { return };
        let Some(i) = o.entry else { return };
        let slot = match current {
            Current::Section(Some(s)) => &mut self.kept[s].entries[i].1,
            Current::Default => &mut self.defaults[i].1,
            _ => return,
        };
        if self.pieces.len() == 1 {
            return; // the span set when the key was read
        }
        let mut joined = self.pieces.join("\n");
        joined.truncate(py_rstrip(&joined).len());
        *slot = if joined.starts_with('\n') {
            Value::Nested(nested_pairs(&joined))
        } else {
            Value::Text(Text::Owned(joined.into_boxed_str()))
        };
    }
}

/// The file's lines with Python's universal newlines: `\n`, `\r\n` or a lone `\r`
/// ends a line. Most files have no `\r`: then a line ends only at `\n`, which
/// is found faster.
struct Lines<'t> {
    text: &'t str,
    pos: usize,
    /// The 1-based number of the line last returned.
    number: usize,
    has_cr: bool,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            pos: 0,
            number: 0,
            has_cr: memchr::memchr(b'\r', text.as_bytes()).is_some(),
        }
    }

    /// The line from byte `start` (a line's first byte) to its end, and the
    /// position after its line break.
    #[inline]
    fn line_from(&self, start: usize) -> (&'t str, usize) {
        let bytes = self.text.as_bytes();
        let rest = &bytes[start..];
        let found = if self.has_cr {
            memchr::memchr2(b'\n', b'\r', rest)
        } else {
            memchr::memchr(b'\n', rest)
        };
        let end = found.map_or(bytes.len(), |i| start + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        (&self.text[start..end], next)
    }

    #[inline]
    fn next(&mut self) -> Option<&'t str> {
        if self.pos >= self.text.len() {
            return None;
        }
        let (line, next) = self.line_from(self.pos);
        self.pos = next;
        self.number += 1;
        Some(line)
    }
}

/// The first `=`, `:` or `\n` in `bytes` from `from`, eight bytes at a time (the
/// position of the lowest byte that matches is exact); `bytes.len()` when none.
#[inline]
fn first_delimiter_or_lf(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let hit = zero(w ^ (ONES * u64::from(b'=')))
            | zero(w ^ (ONES * u64::from(b':')))
            | zero(w ^ (ONES * u64::from(b'\n')));
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|b| matches!(b, b'=' | b':' | b'\n'))
        .map_or(bytes.len(), |p| i + p)
}

impl<'t> Parser<'t> {
    /// Reads the lines of a section no one asked for, checking each as the main
    /// loop does — a line that is no setting, an empty key, a repeated key, a
    /// nested block's line without `=` — but keeping nothing: no value is joined
    /// and no key lower-cased unless it has non-ASCII letters (keys are told
    /// apart by [`fingerprint`]). Returns the header line that ends the section,
    /// for the main loop, or `None` at the end of the file.
    fn skip_section(
        &mut self,
        lines: &mut Lines<'t>,
        header_indent: usize,
        section: &'t str,
    ) -> Result<Option<&'t str>, ParseError> {
        let mut indent_level = header_indent;
        // The key being read: (its text as written, its value began empty).
        let mut open: Option<(&'t str, bool)> = None;
        self.prints.clear();
        let text = self.text;
        let all = text.as_bytes();
        loop {
            // The common line, in a file without `\r`: a `key = value` at the
            // start of the line, read with one scan for its delimiter and one for
            // its end, never copied.
            let start = lines.pos;
            if !lines.has_cr
                && let Some(&b0) = all.get(start)
                && b0 > b' '
                && b0 < 0x80
                && !matches!(b0, b'#' | b';' | b'[' | b'=' | b':')
            {
                let split = first_delimiter_or_lf(all, start);
                if all.get(split).is_some_and(|b| *b != b'\n') {
                    lines.number += 1;
                    let number = lines.number;
                    indent_level = 0;
                    let (rest_of_line, next) = lines.line_from(split + 1);
                    lines.pos = next;
                    let raw_key = trim_end_space(&text[start..split]);
                    if !self.prints.insert(raw_key) {
                        return Err(self.first_error.take().unwrap_or(ParseError {
                            line: number,
                            kind: ErrorKind::DuplicateKey {
                                section: section.to_string(),
                                key: py_lower(raw_key).into_owned(),
                            },
                        }));
                    }
                    let value = trim_end_space(rest_of_line);
                    let nested = value.len() == leading_space(value).0;
                    open = Some((raw_key, nested));
                    continue;
                }
            }
            let Some(line) = lines.next() else {
                break;
            };
            let number = lines.number;
            let bytes = line.as_bytes();
            // Most lines start with their text: no indentation to measure.
            let (lead_bytes, indent) = match bytes.first() {
                Some(&b) if b > b' ' && b < 0x80 => (0, 0),
                _ => leading_space(line),
            };
            let value = trim_end_space(&line[lead_bytes..]);
            let Some(&first_byte) = value.as_bytes().first() else {
                continue;
            };
            if first_byte == b'#' || first_byte == b';' {
                continue;
            }
            if let Some((key, nested)) = open
                && indent > indent_level
            {
                if nested {
                    let key = py_lower(key).into_owned();
                    check_nested_line(value, number, &key, Current::Section(None), self)?;
                }
                continue;
            }
            indent_level = indent;
            if first_byte == b'[' && section_header(value).is_some() {
                return Ok(Some(line));
            }
            let Some(split) = memchr::memchr2(b'=', b':', value.as_bytes()) else {
                self.error(number, ErrorKind::NotKeyValue);
                continue;
            };
            let raw_key = trim_end_space(&value[..split]);
            if raw_key.is_empty() {
                self.error(number, ErrorKind::EmptyKey);
                open = None;
                continue;
            }
            if !self.prints.insert(raw_key) {
                return Err(self.first_error.take().unwrap_or(ParseError {
                    line: number,
                    kind: ErrorKind::DuplicateKey {
                        section: section.to_string(),
                        key: py_lower(raw_key).into_owned(),
                    },
                }));
            }
            let rest = &value[split + 1..];
            let nested = rest.len() == leading_space(rest).0;
            open = Some((raw_key, nested));
        }
        Ok(None)
    }
}

/// A 64-bit fingerprint of `key` as Python's `str.lower` makes it: equal
/// lower-cased keys have equal fingerprints (different ones rarely do). ASCII is
/// lower-cased eight bytes at a time; a key with other characters is lower-cased
/// by [`py_lower`] first.
fn fingerprint(key: &str) -> u64 {
    /// ASCII `A`-`Z` to `a`-`z` in each byte; other bytes as they are.
    fn lower8(w: u64) -> u64 {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let low7 = w & !HIGH;
        let at_least_a = low7.wrapping_add(0x3f3f_3f3f_3f3f_3f3f); // >= b'A'
        let past_z = low7.wrapping_add(0x2525_2525_2525_2525); // > b'Z'
        let upper = at_least_a & !past_z & !w & HIGH;
        w | (upper >> 2)
    }
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let lowered;
    let bytes = if key.is_ascii() {
        key.as_bytes()
    } else {
        lowered = py_lower(key);
        lowered.as_bytes()
    };
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ lower8(w)).wrapping_mul(K);
    }
    if !chunks.remainder().is_empty() {
        h = (h.rotate_left(5) ^ lower8(last_word(bytes))).wrapping_mul(K);
    }
    h
}

/// The last eight bytes of `bytes` as a word (overlapping the ones before when
/// there are more), or all of them, zero-padded, when there are fewer: no copy.
#[inline]
fn last_word(bytes: &[u8]) -> u64 {
    match bytes.len().checked_sub(8) {
        Some(start) => u64::from_le_bytes(bytes[start..].try_into().expect("8 bytes")),
        None => bytes
            .iter()
            .rev()
            .fold(0u64, |w, b| (w << 8) | u64::from(*b)),
    }
}

/// The keys of a skipped section by fingerprint, to find a repeated one: a short
/// list (sections have a handful of keys), a map once it grows, so a hostile
/// section with thousands of keys still costs linear time. Fingerprints that
/// match are compared lower-cased.
#[derive(Default)]
struct KeyPrints<'t> {
    few: Vec<(u64, &'t str)>,
    many: HashMap<u64, Vec<&'t str>, BuildHasherDefault<Fnv>>,
}

impl<'t> KeyPrints<'t> {
    const FEW: usize = 16;

    /// Adds `key` (as written); false when it was there already, lower-cased.
    fn insert(&mut self, key: &'t str) -> bool {
        let print = fingerprint(key);
        let same = |other: &&str| py_lower(other) == py_lower(key);
        if self.many.is_empty() {
            if self.few.iter().any(|(p, k)| *p == print && same(k)) {
                return false;
            }
            self.few.push((print, key));
            if self.few.len() > Self::FEW {
                for (p, k) in self.few.drain(..) {
                    self.many.entry(p).or_default().push(k);
                }
            }
            return true;
        }
        let keys = self.many.entry(print).or_default();
        if keys.iter().any(same) {
            return false;
        }
        keys.push(key);
        true
    }

    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }
}

/// The keys of one section, to find a repeated one: a short list scanned in
/// order (sections have a handful of keys), a hash set once it grows, so a
/// hostile section with thousands of keys still costs linear time.
#[derive(Default)]
struct KeySet<'t> {
    few: Vec<Cow<'t, str>>,
    many: HashSet<Cow<'t, str>, BuildHasherDefault<Fnv>>,
}

impl<'t> KeySet<'t> {
    const FEW: usize = 16;

    /// Adds `key`; false when it was there already.
    fn insert(&mut self, key: Cow<'t, str>) -> bool {
        if !self.many.is_empty() {
            return self.many.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > Self::FEW {
            self.many.extend(self.few.drain(..));
        }
        true
    }

    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }
}

/// A fast hash for the section names and keys of the user's own file, hashed
/// once each on the warm path: eight bytes at a time, rotate, xor and multiply
/// (the FxHash scheme). Not for input chosen to collide: that costs only time,
/// and a config file is the user's own.
#[derive(Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        if !chunks.remainder().is_empty() {
            h = h.rotate_left(5) ^ last_word(bytes);
        }
        h = (h ^ bytes.len() as u64).wrapping_mul(K);
        self.0 = h;
    }
}

/// Python white space among ASCII bytes: `\t` to `\r`, `\x1c` to `\x1f`, space.
fn is_ascii_py_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0d | 0x1c..=0x20)
}

/// The leading Python white space of `line`: its length in bytes, and in
/// characters (what configparser compares indentation by). ASCII is counted by
/// bytes; a non-ASCII character there falls back to decoding.
fn leading_space(line: &str) -> (usize, usize) {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() && is_ascii_py_space(b[i]) {
        i += 1;
    }
    if i == b.len() || b[i] < 0x80 {
        return (i, i);
    }
    let (mut bytes, mut chars) = (0, 0);
    for c in line.chars() {
        if !is_py_space(c) {
            break;
        }
        bytes += c.len_utf8();
        chars += 1;
    }
    (bytes, chars)
}

/// `s` without trailing Python white space (ASCII by bytes, else by decoding).
fn trim_end_space(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && is_ascii_py_space(b[end - 1]) {
        end -= 1;
    }
    if end > 0 && b[end - 1] >= 0x80 {
        return py_rstrip(&s[..end]);
    }
    &s[..end]
}

/// `[NAME]…` → NAME (to the last `]`, at least one character).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = memchr::memrchr(b']', rest.as_bytes())?;
    (end > 0).then(|| &rest[..end])
}

/// Checks one continuation line of a nested block (botocore's `_parse_nested`).
fn check_nested_line<'t>(
    value: &str,
    number: usize,
    key: &str,
    current: Current,
    parser: &mut Parser<'t>,
) -> Result<(), ParseError> {
    let ok = value
        .split(is_py_line_break)
        .map(py_strip)
        .all(|piece| piece.is_empty() || piece.contains('='));
    if ok {
        return Ok(());
    }
    match current {
        Current::Default => {
            if parser.bad_default_nested.is_none() {
                parser.bad_default_nested = Some((number, key.to_string()));
            }
        }
        _ => parser.error(
            number,
            ErrorKind::NestedNotKeyValue {
                key: key.to_string(),
            },
        ),
    }
    Ok(())
}

/// The pairs of a nested block; a repeated key replaces the earlier value in place.
fn nested_pairs(joined: &str) -> Vec<(Text, Text)> {
    let mut out: Vec<(Text, Text)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for piece in joined.split(is_py_line_break).map(py_strip) {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        let (k, v) = (py_strip(k), py_strip(v));
        let value = Text::Owned(v.into());
        match index.get(k) {
            Some(&i) => out[i].1 = value,
            None => {
                index.insert(k, out.len());
                out.push((Text::Owned(k.into()), value));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sections as (name, [(key, value)]) with nested blocks shown as `{k=v,…}`.
    type View = Vec<(String, Vec<(String, String)>)>;

    fn view(text: &str) -> Result<View, ParseError> {
        Ok(parse(text)?
            .into_iter()
            .map(|s| {
                let entries = s
                    .entries
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::Text(t) => t.resolve(text).to_string(),
                            Value::Nested(pairs) => {
                                let inner: Vec<String> = pairs
                                    .iter()
                                    .map(|(k, v)| {
                                        format!("{}={}", k.resolve(text), v.resolve(text))
                                    })
                                    .collect();
                                format!("{{{}}}", inner.join(","))
                            }
                        };
                        (k.resolve(text).to_string(), v)
                    })
                    .collect();
                (s.name.resolve(text).to_string(), entries)
            })
            .collect())
    }

    fn one(text: &str) -> Vec<(String, String)> {
        let mut v = view(text).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0).1
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn refused(text: &str) -> ParseError {
        view(text).unwrap_err()
    }

    #[test]
    fn indentation_decides_keys_and_continuations() {
        assert_eq!(
            one("[s]\n  a = 1\n  b = 2\n"),
            pairs(&[("a", "1"), ("b", "2")])
        );
        assert_eq!(one("[s]\na = 1\n  b = 2\n"), pairs(&[("a", "1\nb = 2")]));
        assert_eq!(
            one("[s]\n    a = 1\n  b = 2\n"),
            pairs(&[("a", "1"), ("b", "2")])
        );
        assert_eq!(one("[s]\na = 1\n\n  c\n\n"), pairs(&[("a", "1\n\nc")]));
        assert_eq!(one("[s]\na = 1\n# x\n  c\n"), pairs(&[("a", "1\nc")]));
        assert_eq!(
            one("[s]\na =\n  x = 1\n  y=2\n"),
            pairs(&[("a", "{x=1,y=2}")])
        );
        assert_eq!(one("[s]\na =\n\n"), pairs(&[("a", "")]));
    }

    #[test]
    fn keys_delimiters_and_headers() {
        assert_eq!(
            one("[s] trailing ] text\nKey : v:w\nX=\n"),
            pairs(&[("key", "v:w"), ("x", "")])
        );
        assert_eq!(view("[a]]x\n").unwrap()[0].0, "a]");
        assert_eq!(one("[s]\nr = eu # kept\n"), pairs(&[("r", "eu # kept")]));
        assert_eq!(
            one("[s]\r\na = 1\rb = 2\r\n"),
            pairs(&[("a", "1"), ("b", "2")])
        );
    }

    #[test]
    fn default_keys_are_inherited() {
        let v = view("[DEFAULT]\nr = 1\nx = d\n[s]\nx = own\n").unwrap();
        assert_eq!(v[0].1, pairs(&[("x", "own"), ("r", "1")]));
    }

    #[test]
    fn what_botocore_refuses() {
        assert_eq!(refused("\u{feff}[s]\n").kind, ErrorKind::ByteOrderMark);
        assert_eq!(refused("\n a = 1\n").kind, ErrorKind::BeforeFirstSection);
        assert_eq!(refused("[s]\n[t]\n[s]\n").line, 3);
        assert_eq!(
            refused("[s]\na = 1\nA = 2\n").kind,
            ErrorKind::DuplicateKey {
                section: "s".into(),
                key: "a".into()
            }
        );
        assert_eq!(refused("[s]\njunk\n").line, 2);
        assert_eq!(refused("[s]\n= v\n").kind, ErrorKind::EmptyKey);
        assert_eq!(
            refused("[s]\na =\n  no equals\n").kind,
            ErrorKind::NestedNotKeyValue { key: "a".into() }
        );
        // `[DEFAULT]`'s bad block breaks the file only when a section inherits it.
        assert!(view("[DEFAULT]\na =\n  junk\n").is_ok());
        assert!(view("[DEFAULT]\na =\n  junk\n[s]\na = own\n").is_ok());
        assert!(view("[DEFAULT]\na =\n  junk\n[s]\n").is_err());
    }

    /// 40,000 continuation lines (seconds with the old quadratic join; the cost
    /// is measured by scripts/bench, not here).
    #[test]
    fn many_continuation_lines_make_one_value() {
        let mut text = String::from("[s]\nk = v\n");
        for _ in 0..40_000 {
            text.push_str("  more text here\n");
        }
        let v = one(&text);
        assert_eq!(v[0].1.lines().count(), 40_001);
    }

    #[test]
    fn filtered_parsing_keeps_only_what_is_asked_and_checks_everything() {
        let text = "[a]\nx = 1\n[b]\ny = 2\n";
        let kept = parse_filtered(text, |n| n == "b").unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name.resolve(text), "b");
        assert!(parse_filtered("[a]\njunk\n[b]\n", |n| n == "b").is_err());
    }
}
