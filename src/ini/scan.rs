//! The credentials command's reader: one pass over the file, read in pieces of a
//! fixed size, that checks every line by the rules of [`super::parse_filtered`]
//! and keeps only the lines of the sections asked for. The other sections cost a
//! scan of their bytes: no copy of the file, no value joined, no key or name kept
//! (they are told apart by 64-bit fingerprints).
//!
//! It decides the common file alone: ASCII text, lines that end in `\n` or
//! `\r\n`, no `[DEFAULT]`. Anything else — a byte that is not ASCII, a lone `\r`,
//! `[DEFAULT]`, a line botocore may refuse, two section names or two keys of one
//! section with one fingerprint — it leaves to the exact reader, which reads the
//! whole file (so a refused file is refused with the exact reader's message). A
//! file it accepts, the exact reader accepts: the kept lines are then read by the
//! exact reader itself, alone (each section's reading starts afresh at its header).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::io::{self, Read};

/// What [`scan`] made of a file.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// Every line checked, none that botocore refuses: the lines of the kept
    /// sections, each ending in `\n` (ASCII), and the 1-based line number of each
    /// kept section's header in the file.
    Kept { text: Vec<u8>, lines: Vec<usize> },
    /// A file for the exact reader.
    Undecided,
}

/// Bytes kept readable past the end of the text in the buffer, so that a block
/// can be loaded at any position before its end.
const SLACK: usize = 32;

/// Reads `src` to its end in pieces of `piece` bytes (more for a longer line),
/// keeping the sections whose name `keep` accepts (it is given the name's
/// bytes, ASCII). `size` is what the file's length was (the tables are sized
/// for it once). At most `cap` bytes: a longer file is left to the exact
/// reader (which refuses it).
pub fn scan(
    src: &mut dyn Read,
    size: u64,
    piece: usize,
    cap: u64,
    keep: &mut dyn FnMut(&[u8]) -> bool,
) -> io::Result<Scan> {
    let mut buf = vec![0u8; piece.max(1) + SLACK];
    let mut filled = 0;
    let mut total = 0u64;
    let mut state = State {
        names: NameSet::for_size(size),
        ..State::default()
    };
    loop {
        if state.pos > 0 {
            buf.copy_within(state.pos..filled, 0);
            filled -= state.pos;
            state.pos = 0;
        }
        if filled + SLACK == buf.len() {
            // A line longer than the buffer: twice the room, so a long line costs
            // linear time.
            buf.resize(2 * filled + SLACK, 0);
        }
        let room = buf.len() - SLACK;
        let n = loop {
            match src.read(&mut buf[filled..room]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        total += n as u64;
        let new = &buf[filled..filled + n];
        if total > cap || !new.is_ascii() {
            return Ok(Scan::Undecided);
        }
        if !state.has_cr && memchr::memchr(b'\r', new).is_some() {
            state.has_cr = true;
        }
        filled += n;
        let eof = n == 0;
        if !state.lines(&buf, filled, eof, keep) {
            return Ok(Scan::Undecided);
        }
        if eof {
            return Ok(Scan::Kept {
                text: state.kept,
                lines: state.kept_lines,
            });
        }
    }
}

/// Where the reading is: the rules' state, and what is kept.
#[derive(Default)]
struct State {
    /// The start of the first line not read yet, in the buffer.
    pos: usize,
    /// The 1-based number of the last line read.
    number: usize,
    /// A `\r` was seen: each line is checked for a lone one.
    has_cr: bool,
    section: Section,
    /// The indentation of the last line that was not a continuation.
    indent_level: usize,
    /// A key whose value may go on over indented lines: `Some(nested)`, `nested`
    /// when its first line's value was empty.
    open: Option<bool>,
    names: NameSet,
    keys: KeyPrints,
    kept: Vec<u8>,
    kept_lines: Vec<usize>,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Section {
    #[default]
    None,
    Skipped,
    Kept,
}

impl State {
    /// Reads the complete lines in `buf[self.pos..filled]` (and, at the end of
    /// the file, the last one). False: a line for the exact reader.
    fn lines(
        &mut self,
        buf: &[u8],
        filled: usize,
        eof: bool,
        keep: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        let mut i = self.pos;
        while i < filled {
            if !self.has_cr && self.section != Section::None {
                i = self.key_lines(buf, i, filled);
                if i == filled {
                    break;
                }
            }
            let Some((end, next)) = self.line_end(buf, i, filled, eof) else {
                break;
            };
            self.number += 1;
            let line = &buf[i..end];
            if self.has_cr && memchr::memchr(b'\r', line).is_some() {
                return false;
            }
            if !self.other_line(buf, i, end, keep) {
                return false;
            }
            i = next;
        }
        self.pos = i;
        true
    }

    /// Reads the common lines from `start` on — `key = value` from the line's
    /// first byte, and empty lines — in a section of a file without `\r`, in a
    /// loop of their own (a section's keys come together); returns the start of
    /// the first line it leaves to the general way. Only the last key's value
    /// matters to what follows (whether a nested block may go on).
    #[inline(never)]
    fn key_lines(&mut self, buf: &[u8], start: usize, filled: usize) -> usize {
        let mut i = start;
        let mut lines = 0;
        let mut last_value = None;
        while i < filled {
            if buf[i] == b'\n' {
                lines += 1;
                i += 1;
                continue;
            }
            if !starts_key(buf[i]) {
                break;
            }
            let Some((split, lf)) = self.key_line(buf, i, filled) else {
                break;
            };
            lines += 1;
            last_value = Some((split + 1, lf));
            i = lf + 1;
        }
        self.number += lines;
        if let Some((from, to)) = last_value {
            self.open = Some(buf[from..to].iter().all(|b| is_space(*b)));
            self.indent_level = 0;
        }
        if self.section == Section::Kept {
            self.kept.extend_from_slice(&buf[start..i]); // the lines and their `\n`
        }
        i
    }

    /// One common line at `i`: its delimiter and its `\n`, its key counted.
    /// `None`, having changed nothing, when the line is not all in the buffer,
    /// has no delimiter, repeats a key or has an odd key (one of `89;<>?` or a
    /// space before its delimiter): the general way reads it then.
    #[inline(always)]
    fn key_line(&mut self, buf: &[u8], i: usize, filled: usize) -> Option<(usize, usize)> {
        // The first three words, where most keys end ([`SLACK`] past `filled`).
        let head: &[u8; 24] = buf[i..i + 24].try_into().expect("24 bytes");
        let w = |k: usize| u64::from_le_bytes(head[8 * k..8 * k + 8].try_into().expect("8 bytes"));
        // `=`, `:` and their neighbours `89;<>?` (0x38 to 0x3f), or `\n`.
        let hits = |w: u64| {
            (((w | (ONES * 7)) ^ (ONES * 0x3f)).wrapping_sub(ONES)
                | (w ^ (ONES * u64::from(b'\n'))).wrapping_sub(ONES))
                & HIGH
        };
        let split = match hits(w(0)) {
            0 => match hits(w(1)) {
                0 => match hits(w(2)) {
                    0 => first_delimiter_or_lf(buf, i + 24, filled),
                    h => i + 16 + (h.trailing_zeros() / 8) as usize,
                },
                h => i + 8 + (h.trailing_zeros() / 8) as usize,
            },
            h => i + (h.trailing_zeros() / 8) as usize,
        };
        if split >= filled || !matches!(buf[split], b'=' | b':') {
            return None;
        }
        let lf = find_lf(buf, split + 1, filled);
        if lf == filled {
            return None;
        }
        // The key, without the white space before its delimiter (its first
        // byte is none): mostly one space, or none.
        let key_end = if buf[split - 1] > b' ' {
            split
        } else if buf[split - 1] == b' ' && buf[split - 2] > b' ' {
            split - 1 // past `i`, which is no space
        } else {
            i + trim_end(&buf[i..split]).len()
        };
        let print = key_print(buf, i, key_end - i);
        if !self.keys.insert(print) {
            return None;
        }
        Some((split, lf))
    }

    /// The end of the line that goes on at `from` (its `\n`, or its `\r\n`'s
    /// `\r`) and the start of the next; `None` when the line is not all in
    /// the buffer yet.
    #[inline(always)]
    fn line_end(
        &self,
        buf: &[u8],
        from: usize,
        filled: usize,
        eof: bool,
    ) -> Option<(usize, usize)> {
        let lf = find_lf(buf, from, filled);
        if lf == filled {
            return eof.then_some((filled, filled));
        }
        let end = if self.has_cr && lf > from && buf[lf - 1] == b'\r' {
            lf - 1
        } else {
            lf
        };
        Some((end, lf + 1))
    }

    /// The line `buf[start..end]` when it is not a `key = value` at its start:
    /// blank, comment, continuation, header, or an indented key.
    fn other_line(
        &mut self,
        buf: &[u8],
        start: usize,
        end: usize,
        keep: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        let line = &buf[start..end];
        let indent = line.iter().take_while(|b| is_space(**b)).count();
        let value = trim_end(&line[indent..]);
        let Some(&first) = value.first() else {
            return self.keep_if_kept(line); // blank
        };
        if first == b'#' || first == b';' {
            return self.keep_if_kept(line);
        }
        if let Some(nested) = self.open
            && indent > self.indent_level
        {
            // A continuation; in a nested block every line is `key = value`
            // (botocore splits the line at more breaks than configparser does:
            // those are left to the exact reader).
            if nested
                && (memchr::memchr(b'=', value).is_none()
                    || value.iter().any(|b| matches!(b, 0x0b | 0x0c | 0x1c..=0x1e)))
            {
                return false;
            }
            return self.keep_if_kept(line);
        }
        self.indent_level = indent;
        if first == b'[' {
            // `[NAME]…`, NAME to the last `]`; else the exact reader decides.
            let close = if value.len() > 2 && value[value.len() - 1] == b']' {
                value.len() - 1
            } else {
                match memchr::memrchr(b']', value) {
                    Some(c) if c > 1 => c,
                    _ => return false,
                }
            };
            let name = &value[1..close];
            if name == b"DEFAULT" || !self.names.insert(name_print(name)) {
                return false;
            }
            self.open = None;
            self.keys.clear();
            self.section = if keep(name) {
                self.kept_lines.push(self.number);
                Section::Kept
            } else {
                Section::Skipped
            };
            return self.keep_if_kept(line);
        }
        if self.section == Section::None {
            return false;
        }
        let Some(split) = memchr::memchr2(b'=', b':', value) else {
            return false;
        };
        let key_len = trim_end(&value[..split]).len();
        if key_len == 0 || !self.keys.insert(key_print(buf, start + indent, key_len)) {
            return false;
        }
        self.open = Some(value[split + 1..].iter().all(|b| is_space(*b)));
        self.keep_if_kept(line)
    }

    #[inline]
    fn keep_if_kept(&mut self, line: &[u8]) -> bool {
        if self.section == Section::Kept {
            self.keep_line(line);
        }
        true
    }

    fn keep_line(&mut self, line: &[u8]) {
        self.kept.extend_from_slice(line);
        self.kept.push(b'\n');
    }
}

/// Python white space among ASCII bytes: `\t` to `\r`, `\x1c` to `\x1f`, space.
#[inline(always)]
fn is_space(b: u8) -> bool {
    const SPACES: u64 = 0x1f << 9 | 0x1f << 28;
    b <= b' ' && SPACES >> b & 1 != 0
}

/// Whether a line starting with `b` (ASCII) may be `key = value` from its first
/// byte: not white space, a comment, a header or a delimiter.
#[inline(always)]
fn starts_key(b: u8) -> bool {
    b > b' ' && !matches!(b, b'#' | b';' | b'[' | b'=' | b':')
}

#[inline(always)]
fn trim_end(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && is_space(s[end - 1]) {
        end -= 1;
    }
    &s[..end]
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The word at `i` (`buf` has [`SLACK`] bytes past any text position).
#[inline(always)]
fn word(buf: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(buf[i..i + 8].try_into().expect("8 bytes"))
}

/// The block of sixteen bytes at `i`.
#[inline(always)]
fn block(buf: &[u8], i: usize) -> &[u8; 16] {
    buf[i..i + 16].try_into().expect("16 bytes")
}

/// Whether `block` holds `c` (a loop the compiler makes one vector compare).
#[inline(always)]
fn holds(block: &[u8; 16], c: u8) -> bool {
    block.iter().fold(false, |any, b| any | (*b == c))
}

/// The high bit of the bytes of the ASCII word `w` that are `c`: exact for the
/// lowest one (a borrow may set it in bytes above).
#[inline(always)]
fn bytes_eq(w: u64, c: u8) -> u64 {
    (w ^ (ONES * u64::from(c))).wrapping_sub(ONES) & HIGH
}

/// The first `\n` in `buf[from..filled]`, or `filled`. Every byte of the
/// buffer is ASCII, the slack past `filled` too (it was once text, or zero).
#[inline(always)]
fn find_lf(buf: &[u8], from: usize, filled: usize) -> usize {
    let mut i = from;
    while i < filled {
        if holds(block(buf, i), b'\n') {
            let low = bytes_eq(word(buf, i), b'\n');
            let high = bytes_eq(word(buf, i + 8), b'\n');
            let at = (u128::from(low) | u128::from(high) << 64).trailing_zeros() / 8;
            return (i + at as usize).min(filled);
        }
        i += 16;
    }
    filled
}

/// The first `=`, `:` or `\n` in `buf[from..filled]`, or `filled`: a key is
/// short, so a word at a time.
#[inline(always)]
fn first_delimiter_or_lf(buf: &[u8], from: usize, filled: usize) -> usize {
    let mut i = from;
    while i < filled {
        let w = word(buf, i);
        let hits = bytes_eq(w, b'=') | bytes_eq(w, b':') | bytes_eq(w, b'\n');
        if hits != 0 {
            return (i + (hits.trailing_zeros() / 8) as usize).min(filled);
        }
        i += 8;
    }
    filled
}

const K: u64 = 0x517c_c1b7_2722_0a95;

/// A fingerprint of the key `buf[start..start + len]` (ASCII, `len` > 0) as
/// Python lower-cases it (bit 5 set in each byte: `A` is `a`, and so are a few
/// pairs such as `_` and DEL that keys do not hold), from its length and its
/// bytes: all of them up to 24, else the first sixteen and the last eight.
/// Two different keys rarely have one; two that do go to the exact reader.
#[inline(always)]
fn key_print(buf: &[u8], start: usize, len: usize) -> u64 {
    const FOLD: u64 = 0x2020_2020_2020_2020;
    const K2: u64 = 0x9e37_79b9_7f4a_7c15;
    let first = word(buf, start) & (u64::MAX >> (8 * (8 - len.min(8))));
    let middle = if len > 16 { word(buf, start + 8) } else { 0 };
    let last = if len > 8 {
        word(buf, start + len - 8)
    } else {
        0
    };
    ((first | FOLD) ^ len as u64).wrapping_mul(K) ^ (middle | FOLD).wrapping_mul(K2) ^ (last | FOLD)
}

/// A 64-bit fingerprint of a section name: equal names have equal ones
/// (different ones rarely do).
#[inline]
fn name_print(name: &[u8]) -> u64 {
    let mut h = (name.len() as u64).wrapping_mul(K);
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // The last eight bytes (overlapping), or all of them.
        let w = match name.len().checked_sub(8) {
            Some(at) => u64::from_le_bytes(name[at..].try_into().expect("8 bytes")),
            None => rest.iter().rev().fold(0, |w, b| (w << 8) | u64::from(*b)),
        };
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    h
}

/// Section names by fingerprint: open addressing, doubled when half full.
#[derive(Default)]
struct NameSet {
    slots: Vec<u64>,
    len: usize,
}

impl NameSet {
    /// A set sized for the names of a file of `size` bytes (a section every
    /// 200 bytes or so, as in a config of profiles of five settings; a file of
    /// smaller ones costs a doubling or two), so that a big config does not pay
    /// for fresh memory at each doubling.
    fn for_size(size: u64) -> NameSet {
        let names = usize::try_from(size / 256)
            .unwrap_or(usize::MAX)
            .min(1 << 20);
        NameSet {
            slots: vec![0; (2 * names).next_power_of_two().max(64)],
            ..NameSet::default()
        }
    }

    /// Adds a name; false when it (or one with its fingerprint) was there.
    #[inline]
    fn insert(&mut self, print: u64) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        self.put(print.max(1))
    }

    /// `print` (not 0, which marks an empty slot) in its slot; false when there.
    #[inline]
    fn put(&mut self, print: u64) -> bool {
        let mask = self.slots.len() - 1;
        // The high bits, the best mixed.
        let mut i = (print >> (64 - self.slots.len().trailing_zeros())) as usize;
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = print;
                    self.len += 1;
                    return true;
                }
                p if p == print => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    #[cold]
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(64);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        self.len = 0;
        for print in old.into_iter().filter(|p| *p != 0) {
            self.put(print);
        }
    }
}

/// One section's keys by fingerprint: up to sixteen in a table of 32 slots
/// kept in place (sections have a handful of keys), a set once there are more,
/// so a section with thousands of keys still costs linear time.
#[derive(Default)]
struct KeyPrints {
    slots: [u64; 32],
    /// The slots in use, one bit each, and how many.
    used: u32,
    len: u32,
    many: HashSet<u64, BuildHasherDefault<super::Fnv>>,
}

impl KeyPrints {
    /// Adds a key; false when it (or one with its fingerprint) was there.
    #[inline(always)]
    fn insert(&mut self, print: u64) -> bool {
        if self.len < 16 {
            let mut i = (print >> 59) as usize;
            loop {
                if self.used & 1 << i == 0 {
                    self.slots[i] = print;
                    self.used |= 1 << i;
                    self.len += 1;
                    return true;
                }
                if self.slots[i] == print {
                    return false;
                }
                i = (i + 1) % 32;
            }
        }
        if self.many.is_empty() {
            let used = self.used;
            self.many.extend(
                (0..32)
                    .filter(|i| used & 1 << i != 0)
                    .map(|i| self.slots[i]),
            );
        }
        self.many.insert(print)
    }

    #[inline]
    fn clear(&mut self) {
        self.used = 0;
        self.len = 0;
        if !self.many.is_empty() {
            // Not cleared in place: a big table would cost its size at every
            // later header.
            self.many = HashSet::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RawSection, Text, Value, parse_filtered, read_filtered};

    /// Sections as (name, header line, [(key, value)]), nested blocks as `{k=v,…}`.
    type View = Vec<(String, usize, Vec<(String, String)>)>;

    fn view(text: &str, sections: &[RawSection]) -> View {
        let r = |t: &Text| t.resolve(text).to_string();
        sections
            .iter()
            .map(|s| {
                let entries = s
                    .entries
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::Text(t) => r(t),
                            Value::Nested(pairs) => {
                                let inner: Vec<String> = pairs
                                    .iter()
                                    .map(|(k, v)| format!("{}={}", r(k), r(v)))
                                    .collect();
                                format!("{{{}}}", inner.join(","))
                            }
                        };
                        (r(k), v)
                    })
                    .collect();
                (r(&s.name), s.line, entries)
            })
            .collect()
    }

    /// The piecewise reading of `text`, in pieces of `piece` bytes; `None` when
    /// it leaves the file to the exact reader.
    fn piecewise(text: &str, piece: usize, keep: &dyn Fn(&str) -> bool) -> Option<View> {
        let mut src = text.as_bytes();
        let mut keep = |n: &[u8]| keep(std::str::from_utf8(n).unwrap());
        let size = text.len() as u64;
        let (kept, sections) =
            read_filtered(&mut src, size, piece, u64::MAX, &mut keep).unwrap()?;
        Some(view(&kept, &sections))
    }

    /// A file the piecewise reader decides reads as the exact reader reads it,
    /// in pieces of any size; returns whether it decided.
    #[track_caller]
    fn agrees(text: &str, keep: &dyn Fn(&str) -> bool) -> bool {
        let exact = parse_filtered(text, keep).map(|s| view(text, &s));
        let mut decided = None;
        for piece in [1, 2, 3, 7, 8, 9, 16, 64, 16 * 1024] {
            let got = piecewise(text, piece, keep);
            if let Some(got) = &got {
                assert_eq!(
                    exact.as_ref().ok(),
                    Some(got),
                    "piece {piece}: the exact reader reads this differently ({exact:?}):\n{text:?}"
                );
            }
            // Deciding does not depend on where the pieces end.
            assert!(
                decided.is_none_or(|d| d == got.is_some()),
                "piece {piece} decides differently:\n{text:?}"
            );
            decided = Some(got.is_some());
        }
        decided == Some(true)
    }

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn common_files_are_decided_and_read_exactly() {
        let files = [
            "",
            "\n\n# only comments\n; here\n",
            "[default]\nregion = us-east-1\n[profile dev]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\n",
            "[profile a]\n  region = x\n  sso_session = y\n",
            "[profile a]\nregion = x\n  continued\n\n  after blank\n# c\n  more\n",
            "[profile a]\ns3 =\n  addressing_style = path\n  a = 1\n  a = 2\n\n",
            "[profile a]\r\nk = 1\r\n  c\r\n[b]\r\nj:2\r\n",
            "[profile a] ; trailing ] text\nKey : v:w\nX=\n[profile b]]x\n",
            "[profile a]\nk = 1",
            "  [profile a]\n\t k = 1\n\t j = 2\n",
            "[profile a]\nk = \x0bv\x0c\n\x1c\n",
        ];
        for text in files {
            assert!(agrees(text, &all), "not decided:\n{text:?}");
            assert!(
                agrees(text, &|n| n == "profile a"),
                "not decided:\n{text:?}"
            );
        }
    }

    #[test]
    fn what_is_left_to_the_exact_reader() {
        let files = [
            "\u{feff}[profile a]\n",
            "[profile é]\nk = 1\n",
            "[profile a]\nk = 1\rj = 2\n",
            "[DEFAULT]\nk = 1\n[profile a]\n",
            "[profile a]\n[profile a]\n",
            "[profile a]\nk = 1\nK = 2\n",
            "[profile a]\njunk\n",
            "[profile a]\n= v\n",
            "[profile a]\n  : v\n",
            "k = 1\n[profile a]\n",
            "[profile a]\ns3 =\n  no equals\n",
            "[profile a]\ns3 =\n  a = 1\x0bjunk\n",
            "[]\n",
            "[profile a\nk = 1\n",
            "[profile a]\nk",
        ];
        for text in files {
            assert!(!agrees(text, &all), "decided:\n{text:?}");
        }
    }

    #[test]
    fn a_line_longer_than_the_piece_is_read_whole() {
        let long = "v".repeat(100_000);
        let text = format!("[profile a]\nk = {long}\n  {long}\n[profile b]\nj = 1\n");
        assert!(agrees(&text, &all));
        assert!(agrees(&text, &|n| n == "profile b"));
    }

    #[test]
    fn keys_are_told_apart_and_repeats_found_in_sections_of_any_size() {
        // More keys than the table on the stack holds, then one again.
        let keys: Vec<String> = (0..100).map(|n| format!("key_{n:03} = {n}\n")).collect();
        let many = format!("[profile a]\n{}[profile b]\nk = 1\n", keys.concat());
        assert!(agrees(&many, &all));
        let again = format!("[profile a]\n{}KEY_050 = x\n", keys.concat());
        assert!(!agrees(&again, &all));
        // One key read each way (indented, then not), and keys the quick way
        // leaves to the general one (`8`, `;`, white space before the `=`).
        assert!(!agrees("[profile a]\n  Region = 1\nregion = 2\n", &all));
        assert!(agrees(
            "[profile a]\ns8 = 1\na;b = 2\nc\t= 3\nd  : 4\n",
            &all
        ));
        assert!(!agrees("[profile a]\na;b = 2\nA;B : 3\n", &all));
    }

    #[test]
    fn many_sections_and_one_again() {
        let sections: String = (0..5000).map(|n| format!("[s{n}]\nk = {n}\n")).collect();
        assert!(agrees(&sections, &|n| n == "s4999"));
        assert!(!agrees(&format!("{sections}[s17]\n"), &all));
        assert!(agrees(&format!("{sections}[S17]\n"), &all));
    }

    #[test]
    fn key_fingerprints_fold_case_only() {
        let print = |key: &str| {
            let mut buf = key.as_bytes().to_vec();
            buf.extend_from_slice(&[b'='; 32]);
            super::key_print(&buf, 0, key.len())
        };
        let keys = [
            "region",
            "output",
            "sso_session",
            "sso_start_url",
            "sso_region",
            "sso_account_id",
            "sso_role_name",
            "sso_registration_scopes",
            "credential_process",
            "credential_source",
            "sso_helper_session",
            "sso_helper_account_id",
            "sso_helper_role_name",
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "role_arn",
            "source_profile",
            "external_id",
            "mfa_serial",
            "duration_seconds",
            "a",
            "b",
            "ab",
            "ba",
            "metadata_service_timeout",
            "metadata_service_num_attempts",
            "sts_regional_endpoints",
            "use_dualstack_endpoint",
            "use_fips_endpoint",
        ];
        let mut seen = std::collections::HashSet::new();
        for key in keys {
            assert!(
                seen.insert(print(key)),
                "{key} has another key's fingerprint"
            );
            assert_eq!(print(key), print(&key.to_uppercase()), "{key}");
        }
    }

    /// xorshift64*.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// A file of the reader's rules at random, mostly ASCII (the piecewise
    /// reader's own ground) with the odd thing it leaves to the exact reader.
    fn generate(rng: &mut Rng) -> String {
        const INDENT: &[&str] = &["", "", "", "", " ", "  ", "\t", "   ", "\x0c", "\x1f "];
        const NAMES: &[&str] = &[
            "profile a",
            "profile b",
            "default",
            "sso-session s",
            "x",
            "A",
        ];
        const KEYS: &[&str] = &["region", "Region", "k", "K", "sso_start_url", "a key", "s3"];
        const VALUES: &[&str] = &["", "1", "x = y", "a:b", " spaced ", "#not", "[x]", "\x0b"];
        const ODD: &[&str] = &[
            "junk",
            "= v",
            ": v",
            "[]",
            "[x",
            "[DEFAULT]",
            "é = 1",
            "k = \r",
            "\u{feff}",
        ];
        let mut lines = Vec::new();
        for _ in 0..rng.below(12) {
            let line = match rng.below(20) {
                0..=3 => format!(
                    "{}[{}]{}",
                    rng.pick(&INDENT[..5]),
                    rng.pick(NAMES),
                    rng.pick(&["", " x", "]"])
                ),
                4 => format!("{}{}", rng.pick(INDENT), rng.pick(&["# c", "; c", "", " "])),
                5..=6 => format!(
                    "{}{}",
                    rng.pick(&INDENT[4..]),
                    rng.pick(&["more", "n = 1", "a=b", "", "\x0bz"])
                ),
                7 if rng.below(4) == 0 => rng.pick(ODD).to_string(),
                _ => format!(
                    "{}{}{}{}",
                    rng.pick(INDENT),
                    rng.pick(KEYS),
                    rng.pick(&["=", " = ", ":", " : "]),
                    rng.pick(VALUES)
                ),
            };
            lines.push(line);
        }
        let newline = rng.pick(&["\n", "\n", "\n", "\r\n"]);
        let mut text = lines.join(newline);
        if rng.below(5) > 0 {
            text.push_str(newline);
        }
        text
    }

    #[test]
    fn generated_files_read_as_the_exact_reader_reads_them() {
        let mut rng = Rng(0x5eed);
        let (mut accepted, mut decided, mut plain) = (0, 0, 0);
        for _ in 0..4000 {
            let text = generate(&mut rng);
            let ok = parse_filtered(&text, all).is_ok();
            let d = agrees(&text, &all);
            agrees(&text, &|n| n == "profile a");
            agrees(&text, &|_| false);
            accepted += usize::from(ok);
            decided += usize::from(d);
            // What the piecewise reader is for: accepted, ASCII, no lone CR, no
            // `[DEFAULT]`, no odd break in a nested line.
            if ok && text.is_ascii() && !text.contains("DEFAULT") && !text.contains('\x0b') {
                let no_lone_cr = text
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| b != b'\r' || text.as_bytes().get(i + 1) == Some(&b'\n'));
                if no_lone_cr {
                    plain += 1;
                    assert!(d, "not decided:\n{text:?}");
                }
            }
        }
        assert!(
            plain > 500,
            "{accepted} accepted, {decided} decided, {plain} plain"
        );
    }
}
