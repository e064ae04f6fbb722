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

use wide::u8x16;

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
    keys: Keys,
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
            if !self.has_cr
                && buf[i] == b'['
                && let Some(next) = self.header(buf, i, filled, keep)
            {
                i = next;
                continue;
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

    /// The common header at `i` in a file without `\r`: `[NAME]` from the
    /// line's first byte to its `\n`, a name not seen before and not
    /// `DEFAULT`; the start of the next line. `None`, having changed nothing,
    /// for any other line: the general way reads it.
    #[inline(always)]
    fn header(
        &mut self,
        buf: &[u8],
        i: usize,
        filled: usize,
        keep: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Option<usize> {
        let lf = find_lf(buf, i, filled);
        if lf == filled || lf < i + 3 || buf[lf - 1] != b']' {
            return None;
        }
        let name = &buf[i + 1..lf - 1];
        if name == b"DEFAULT" || !self.names.insert(name_print(name)) {
            return None; // refused by the general way (which finds it again)
        }
        self.number += 1;
        self.indent_level = 0;
        self.open = None;
        self.keys.clear();
        self.section = if keep(name) {
            self.kept_lines.push(self.number);
            self.keep_line(&buf[i..lf]);
            Section::Kept
        } else {
            Section::Skipped
        };
        Some(lf + 1)
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
            // The line's first 32 bytes ([`SLACK`] past `filled`), where most
            // keys end.
            let head = [load(buf, i), load(buf, i + 16)];
            let lfs = mask32(head, |v| eq(v, b'\n'));
            let (split, lf) = match self.keys.same_as_before(head) {
                // The key of the line at this place in the section before:
                // only the line's end to find.
                Some(len) if i + 32 <= filled => {
                    let lf = match lfs {
                        0 => find_lf(buf, i + 32, filled),
                        m => i + m.trailing_zeros() as usize,
                    };
                    if lf == filled {
                        break;
                    }
                    self.keys.count += 1;
                    (i + len - 1, lf)
                }
                _ if buf[i] == b'\n' => {
                    lines += 1;
                    i += 1;
                    continue;
                }
                _ if !starts_key(buf[i]) => break,
                _ => match self.key_line(buf, i, filled, head, lfs) {
                    Some(at) => at,
                    None => break,
                },
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

    /// One common line at `i` that begins with `head` (`lfs`, its `\n`s):
    /// its delimiter and its `\n`, its key counted. `None`, having changed
    /// nothing, when the line is not all in the buffer, has no delimiter
    /// before its end or repeats a key: the general way reads it then.
    #[inline(always)]
    fn key_line(
        &mut self,
        buf: &[u8],
        i: usize,
        filled: usize,
        head: [u8x16; 2],
        lfs: u32,
    ) -> Option<(usize, usize)> {
        let hits = mask32(head, |v| eq(v, b'=') | eq(v, b':')) | lfs;
        let split = match hits {
            0 => first_delimiter_or_lf(buf, i + 32, filled),
            h => i + h.trailing_zeros() as usize,
        };
        if split >= filled || buf[split] == b'\n' {
            return None;
        }
        // The first `\n` of the line: in the head unless the line is longer
        // (none comes before the delimiter).
        let lf = match lfs {
            0 => find_lf(buf, (i + 32).max(split + 1), filled),
            m => i + m.trailing_zeros() as usize,
        };
        if lf >= filled {
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
        if !self.keys.insert(print, Some((head, split + 1 - i))) {
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
        if key_len == 0
            || !self
                .keys
                .insert(key_print(buf, start + indent, key_len), None)
        {
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

/// The block of sixteen bytes at `i` (`buf` has [`SLACK`] bytes past any
/// text position).
#[inline(always)]
fn load(buf: &[u8], i: usize) -> u8x16 {
    u8x16::new(buf[i..i + 16].try_into().expect("16 bytes"))
}

/// One bit for each byte of `v` that is `c`, the first byte's lowest.
#[inline(always)]
fn eq(v: u8x16, c: u8) -> u32 {
    v.simd_eq(u8x16::splat(c)).to_bitmask()
}

/// The bits `mask` gives each of two blocks, the first block's lowest.
#[inline(always)]
fn mask32(blocks: [u8x16; 2], mask: impl Fn(u8x16) -> u32) -> u32 {
    mask(blocks[0]) | mask(blocks[1]) << 16
}

/// The first `\n` in `buf[from..filled]`, or `filled`.
#[inline(always)]
fn find_lf(buf: &[u8], from: usize, filled: usize) -> usize {
    let mut i = from;
    while i < filled {
        let m = eq(load(buf, i), b'\n');
        if m != 0 {
            return (i + m.trailing_zeros() as usize).min(filled);
        }
        i += 16;
    }
    filled
}

/// The first `=`, `:` or `\n` in `buf[from..filled]`, or `filled`.
#[inline(always)]
fn first_delimiter_or_lf(buf: &[u8], from: usize, filled: usize) -> usize {
    let mut i = from;
    while i < filled {
        let v = load(buf, i);
        let m = eq(v, b'=') | eq(v, b':') | eq(v, b'\n');
        if m != 0 {
            return (i + m.trailing_zeros() as usize).min(filled);
        }
        i += 16;
    }
    filled
}

/// The word at `i` (`buf` has [`SLACK`] bytes past any text position).
#[inline(always)]
fn word(buf: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(buf[i..i + 8].try_into().expect("8 bytes"))
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

/// Section names by fingerprint: open addressing, doubled when half full. A
/// slot holds 32 bits of the fingerprint (the slot's place comes from the
/// high ones), so that the table of a big config costs half the fresh pages;
/// two names whose bits agree (rarely) send the file to the exact reader.
#[derive(Default)]
struct NameSet {
    slots: Vec<u32>,
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

    /// Adds a name; false when it (or one with its fingerprint's high half)
    /// was there.
    #[inline]
    fn insert(&mut self, print: u64) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        self.put(((print >> 32) as u32).max(1))
    }

    /// `print` (not 0, which marks an empty slot) in its slot; false when there.
    #[inline]
    fn put(&mut self, print: u32) -> bool {
        let mask = self.slots.len() - 1;
        // The high bits, the best mixed.
        let mut i = (print >> (32 - self.slots.len().trailing_zeros())) as usize;
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

/// One section's keys by fingerprint, compared one by one while there are few
/// (sections have a handful of keys), in a set once there are more, so that a
/// section with thousands of keys still costs linear time.
///
/// The list holds this section's keys, in order, then those of the section
/// before that came after them: a line that begins with the same bytes as the
/// line of the key at its place in the list did, up to and including its
/// delimiter, has that key, which differs from every key before it in the list
/// (each was compared with those before it when it was added): the keys of a
/// config whose sections repeat one layout are compared with none.
#[derive(Default)]
struct Keys {
    list: Vec<Key>,
    /// This section's keys so far: the first `count` of the list, or more.
    count: usize,
    many: HashSet<u64, BuildHasherDefault<super::Fnv>>,
}

/// The keys compared one by one: past this many, a set.
const FEW: usize = 32;

#[derive(Clone, Copy)]
struct Key {
    print: u64,
    /// The first 32 bytes of the line that added the key, where the line is
    /// a key's from its start, and one bit for each byte up to its delimiter
    /// (0: none, the key was indented or longer).
    head: [u8x16; 2],
    bits: u32,
    /// The line's length up to its delimiter, when `bits` is not 0.
    len: u32,
}

impl Keys {
    /// The length to its delimiter of the line that begins with `head` when
    /// it begins as the line of the next key in the list did.
    #[inline(always)]
    fn same_as_before(&self, head: [u8x16; 2]) -> Option<usize> {
        let key = self.list.get(self.count)?;
        let same = mask32(
            [0, 1].map(|k| head[k].simd_eq(key.head[k])),
            u8x16::to_bitmask,
        );
        (same & key.bits == key.bits && key.bits != 0).then_some(key.len as usize)
    }

    /// Adds a key (and, from a line of its own, the line's `head` and the
    /// length up to its delimiter); false when it (or one with its
    /// fingerprint) was there.
    #[inline(always)]
    fn insert(&mut self, print: u64, line: Option<([u8x16; 2], usize)>) -> bool {
        if self.count < FEW {
            if self.list[..self.count].iter().any(|k| k.print == print) {
                return false;
            }
            let (head, bits) = match line {
                Some((head, len)) if len <= 32 => (head, u32::MAX >> (32 - len)),
                _ => ([u8x16::ZERO; 2], 0),
            };
            let len = 32 - bits.leading_zeros();
            self.list.truncate(self.count);
            self.list.push(Key {
                print,
                head,
                bits,
                len,
            });
            self.count += 1;
            return true;
        }
        if self.many.is_empty() {
            self.many
                .extend(self.list[..self.count].iter().map(|k| k.print));
        }
        self.count += 1;
        self.many.insert(print)
    }

    /// A new section.
    #[inline]
    fn clear(&mut self) {
        self.count = 0;
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

    /// Sections that repeat one layout, as `configure` writes them, with the
    /// odd change: a key repeated in another case or after other keys, a key
    /// that only begins as the one before did, white space or another
    /// delimiter, a continuation, CRLF, a key or value longer than the 32
    /// bytes a line is first compared on.
    fn generate_layouts(rng: &mut Rng) -> String {
        const LAYOUT: &[&str] = &[
            "credential_process",
            "sso_helper_session",
            "sso_helper_account_id",
            "sso_helper_role_name",
            "region",
            "a_key_that_is_longer_than_thirty_two_bytes",
        ];
        let keys = 1 + rng.below(LAYOUT.len());
        let mut text = String::new();
        for n in 0..2 + rng.below(12) {
            text.push_str(&format!("[profile p{n}]\n"));
            for (k, layout_key) in LAYOUT.iter().enumerate().take(keys) {
                let mut key = layout_key.to_string();
                let mut delimiter = " = ";
                match rng.below(40) {
                    0 => key = LAYOUT[rng.below(keys)].to_uppercase(), // maybe a repeat
                    1 => key = LAYOUT[rng.below(keys)].to_string(),
                    2 => key.push('x'), // begins as the key before did
                    3 => key.truncate(key.len() - 1),
                    4 => delimiter = "=",
                    5 => delimiter = " : ",
                    6 => delimiter = "\t= ",
                    7 => key.insert(0, ' '), // indented
                    _ => {}
                }
                let value = match rng.below(8) {
                    0 => String::new(),
                    1 => "v".repeat(rng.below(100)),
                    _ => format!("value-{n}-{k}"),
                };
                text.push_str(&format!("{key}{delimiter}{value}\n"));
                if rng.below(20) == 0 {
                    text.push_str(rng.pick(&["  more\n", "  a = b\n", "\n", "# c\n"]));
                }
            }
            if rng.below(2) == 0 {
                text.push('\n');
            }
        }
        if rng.below(8) == 0 {
            text = text.replace('\n', "\r\n");
        }
        text
    }

    #[test]
    fn files_of_repeated_layouts_read_as_the_exact_reader_reads_them() {
        let mut rng = Rng(0x1a70);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..1500 {
            let text = generate_layouts(&mut rng);
            let ok = parse_filtered(&text, all).is_ok();
            let d = agrees(&text, &all);
            agrees(&text, &|n| n == "profile p1");
            // An accepted file of these (ASCII, no lone CR) is decided.
            assert!(!ok || d, "not decided:\n{text:?}");
            accepted += usize::from(ok);
            refused += usize::from(!ok);
        }
        assert!(
            accepted > 300 && refused > 300,
            "{accepted} accepted, {refused} refused"
        );
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
