//! Reading `~/.aws/config` the way botocore does, and resolving a profile to the
//! IAM Identity Center settings sso-helper needs (SPEC §2).
//!
//! The file is read by `ini` (Python's `RawConfigParser` and botocore's
//! `raw_config_parse`, rule for rule); this module turns its sections into
//! profiles, sso-sessions and services as botocore's `build_profile_map` does: a
//! section whose name starts with `profile`, `sso-session` or `services` is
//! shell-split (`shlex.split`) and counts only with exactly two words, the second
//! being the name (the first word is not checked: botocore only looks at the
//! prefix); `[default]` is the profile `default`; when two sections give one
//! name, the later replaces the earlier wholesale (`[default]` and
//! `[profile default]` among them). `ConfigFile::load` is the only I/O.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::ini::{self, Fnv, Text, Value};
use crate::platform::Platform;

/// One section's keys (lower-cased) and values in file order, `[DEFAULT]`'s
/// inherited keys last. Keys and values are mostly spans of the file's text
/// (shared, not copied), so a config with a thousand profiles costs a scan, not
/// thousands of allocations.
#[derive(Clone)]
pub struct Section {
    text: Rc<String>,
    entries: Vec<(Text, Value)>,
}

impl Default for Section {
    fn default() -> Section {
        Section {
            text: Rc::new(String::new()),
            entries: Vec::new(),
        }
    }
}

/// Keys only: a config file may hold static keys (`aws_secret_access_key`).
impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(k, _)| k.resolve(&self.text)))
            .finish()
    }
}

impl Section {
    /// The key/value pairs in file order; a nested block reads as `None`.
    pub fn entries(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.entries.iter().map(|(k, v)| {
            let v = match v {
                Value::Text(t) => Some(t.resolve(&self.text)),
                Value::Nested(_) => None,
            };
            (k.resolve(&self.text), v)
        })
    }

    /// The value of `key` (lower case: keys are stored lower-cased, as botocore
    /// reads them). A nested block is not a value: `None`.
    pub fn get(&self, key: &str) -> Option<&str> {
        match self.value(key)? {
            Value::Text(t) => Some(t.resolve(&self.text)),
            Value::Nested(_) => None,
        }
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.resolve(&self.text) == key)
            .map(|(_, v)| v)
    }

    /// Whether the section sets `key` at all (a value or a nested block).
    pub fn has(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    /// The first present key of `keys`, with the key that supplied it.
    fn first<'a>(&'a self, keys: &[&'static str]) -> Option<(&'static str, &'a str)> {
        keys.iter().find_map(|k| self.get(k).map(|v| (*k, v)))
    }

    /// The pairs of a nested block (`sso =` followed by indented `key = value`
    /// lines); nested keys keep their case, as in botocore. Empty when `key` is
    /// absent or a plain value.
    pub fn nested(&self, key: &str) -> Vec<(&str, &str)> {
        match self.value(key) {
            Some(Value::Nested(pairs)) => pairs
                .iter()
                .map(|(k, v)| (k.resolve(&self.text), v.resolve(&self.text)))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every key with its value as botocore holds it, in order.
    pub fn settings(&self) -> impl Iterator<Item = (&str, Setting<'_>)> {
        self.entries.iter().map(|(k, v)| {
            let v = match v {
                Value::Text(t) => Setting::Text(t.resolve(&self.text)),
                Value::Nested(pairs) => Setting::Nested(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.resolve(&self.text), v.resolve(&self.text)))
                        .collect(),
                ),
            };
            (k.resolve(&self.text), v)
        })
    }

    /// Whether `key` holds a plain value rather than a nested block.
    pub fn is_text(&self, key: &str) -> bool {
        matches!(self.value(key), Some(Value::Text(_)))
    }
}

/// A value as botocore holds it: text, or the pairs of a nested block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting<'a> {
    Text(&'a str),
    Nested(Vec<(&'a str, &'a str)>),
}

/// Section names to sections. FNV-1a instead of SipHash: the keys are the user's
/// own file, and a thousand-profile config hashes a thousand names per call.
pub type Names<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

#[derive(Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub profiles: Names<Section>,
    pub sessions: Names<Section>,
    pub services: Names<Section>,
    /// Profile names in file order (the order botocore's dict keeps), for
    /// suggestions and listings.
    pub profile_order: Vec<String>,
    /// sso-session names in file order.
    pub session_order: Vec<String>,
    /// services names in file order.
    pub services_order: Vec<String>,
    /// Names of sections that are neither profiles, sso-sessions nor services
    /// (`[m8]` written without `profile `), for messages.
    pub other_sections: Vec<String>,
    /// Set when only this profile's section was kept (`load_for_profile`).
    only_profile: Option<String>,
    text: Rc<String>,
    /// `text` is the whole file (not only the kept sections' lines).
    whole_text: bool,
}

/// Where the config file is: `$AWS_CONFIG_FILE` (expanded as botocore expands it:
/// `expand_path`) or `~/.aws/config`.
pub fn config_path(ctx: &Context) -> Result<PathBuf> {
    if let Some(p) = ctx.var("AWS_CONFIG_FILE") {
        return expand_path(ctx, p);
    }
    Ok(aws_dir(ctx)?.join("config"))
}

/// A file name from the environment as botocore's `raw_config_parse` takes it:
/// `os.path.expandvars`, then `os.path.expanduser`, by the platform's rules
/// (`home`).
pub fn expand_path(ctx: &Context, p: &str) -> Result<PathBuf> {
    ctx.expand_path(p)
}

/// `~/.aws`, under the home directory as botocore finds it (`home`).
pub fn aws_dir(ctx: &Context) -> Result<PathBuf> {
    ctx.aws_dir()
}

/// `~` and `~user` alone, as `os.path.expanduser` expands them.
pub fn expand_tilde(ctx: &Context, p: &str) -> Result<PathBuf> {
    ctx.expand_user(p)
}

/// Names only (no values: they may hold static keys).
impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field("profiles", &self.profile_order)
            .field("sessions", &self.session_order)
            .finish()
    }
}

/// The config file's text; a missing or non-UTF-8 file is a configuration error.
fn read_text(path: &Path) -> Result<String> {
    text_of(
        path,
        crate::readfile::read_regular(path, crate::readfile::USER_FILE_CAP),
    )
}

/// The text of the config file at `path` from what reading it gave.
fn text_of(path: &Path, read: std::io::Result<Vec<u8>>) -> Result<String> {
    match read {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let line = crate::ini::lines(prefix).count()
                + usize::from(prefix.is_empty() || prefix.ends_with(['\n', '\r']));
            Error::config(
                path,
                format!("line {line} is not valid UTF-8"),
                "save the file as UTF-8 text (the AWS CLI and boto3 cannot read it either)",
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::config(
            path,
            "the AWS config file does not exist",
            "create it (see `sso-helper --help` and the README), or set AWS_CONFIG_FILE",
        )),
        Err(e) => Err(Error::config(
            path,
            format!("the AWS config file cannot be read: {e}"),
            "check that it is a readable file, or set AWS_CONFIG_FILE",
        )),
    }
}

/// What botocore makes of a section name (`build_profile_map`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionKind<'a> {
    Profile(Cow<'a, str>),
    Session(Cow<'a, str>),
    Services(Cow<'a, str>),
    /// Not a profile, sso-session or services section (or one botocore ignores:
    /// a name that does not split into exactly two words).
    Other,
}

/// Whether the section `name` is surely a profile other than `wanted`: a
/// `profile NAME` header without quotes or backslashes whose last word is not
/// `wanted` (what [`classify`] would find, without splitting).
fn is_other_profile(name: &[u8], wanted: &str) -> bool {
    let Some(rest) = name.strip_prefix(b"profile") else {
        return false;
    };
    // The common header: one space, then a word with no space or quote.
    if let [b' ', last @ ..] = rest
        && !last.is_empty()
        && !has_space_or_quote(last)
    {
        return last != wanted.as_bytes();
    }
    // shlex's white space: space, tab, CR and LF.
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = rest.iter().take_while(|b| space(b)).count();
    let end = rest.len() - rest.iter().rev().take_while(|b| space(b)).count();
    if start == 0 || start >= end {
        return false;
    }
    // Exactly two words: `profile`, white space, the last word.
    let last = &rest[start..end];
    last != wanted.as_bytes() && !has_space_or_quote(last)
}

/// Whether `word` holds a byte below `!` (shlex's white space among them) or a
/// quote or backslash, sixteen or eight bytes at a time: the warm path asks it
/// of every header of the config.
fn has_space_or_quote(word: &[u8]) -> bool {
    if let Some(last) = word.len().checked_sub(16) {
        use wide::u8x16;
        // Blocks from the start, and the last one (overlapping the one before).
        let at = |i: usize| {
            let v = u8x16::new(word[i..i + 16].try_into().expect("16 bytes"));
            let is = |c: u8| v.simd_eq(u8x16::splat(c));
            // `max(v, ' ') == ' '`: v is at most a space.
            let odd = u8x16::splat(b' ').max(v).simd_eq(u8x16::splat(b' '))
                | is(b'"')
                | is(b'\'')
                | is(b'\\');
            odd.to_bitmask() != 0
        };
        let mut i = 0;
        while i < last {
            if at(i) {
                return true;
            }
            i += 16;
        }
        return at(last);
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte below `!` or equal to one of the three, exact
    // for the lowest (a borrow may set it above): any byte is found.
    let odd = |w: u64| {
        (w.wrapping_sub(ONES * 0x21)
            | (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES)
            | (w ^ (ONES * u64::from(b'\''))).wrapping_sub(ONES)
            | (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES))
            & !w
            & HIGH
            != 0
    };
    let Some(last) = word.len().checked_sub(8) else {
        return word
            .iter()
            .any(|b| *b < b'!' || matches!(b, b'"' | b'\'' | b'\\'));
    };
    // Words from the start, and the last one (overlapping the one before).
    let at = |i: usize| {
        odd(u64::from_le_bytes(
            word[i..i + 8].try_into().expect("8 bytes"),
        ))
    };
    let mut i = 0;
    while i < last {
        if at(i) {
            return true;
        }
        i += 8;
    }
    at(last)
}

/// Whether the reader keeps the section `name`: every section, or with
/// `only_profile`, that profile's and those that are no profile (few, and their
/// names explain `[m8]` or `[sso_session x]`).
fn keeps(name: &str, only_profile: Option<&str>) -> bool {
    match only_profile {
        None => true,
        // Most headers name another profile: told apart without splitting.
        Some(wanted) if is_other_profile(name.as_bytes(), wanted) => false,
        Some(wanted) => match classify(name) {
            SectionKind::Profile(p) => *p == *wanted,
            SectionKind::Session(_) | SectionKind::Services(_) | SectionKind::Other => true,
        },
    }
}

/// The piece the warm path reads a config of more than one in: small enough to
/// stay in the cache and to cost few fresh pages, big enough for few system
/// calls.
const PIECE: usize = 16 * 1024;

/// botocore's `build_profile_map` and `_parse_section` for one section name:
/// `shlex.split`, exactly two words. A name without quotes or backslashes is
/// split in place (no allocation: the warm path classifies every header).
pub fn classify(name: &str) -> SectionKind<'_> {
    #[derive(Clone, Copy)]
    enum Of {
        Profile,
        Session,
        Services,
    }
    let make = if name.starts_with("profile") {
        Of::Profile
    } else if name.starts_with("sso-session") {
        Of::Session
    } else if name.starts_with("services") {
        Of::Services
    } else if name == "default" {
        return SectionKind::Profile(Cow::Borrowed("default"));
    } else {
        return SectionKind::Other;
    };
    let quoted = name.bytes().any(|b| matches!(b, b'"' | b'\'' | b'\\'));
    let second: Option<Cow<'_, str>> = if quoted {
        match crate::shlex::split(name) {
            Some(mut words) if words.len() == 2 => words.pop().map(Cow::Owned),
            _ => None,
        }
    } else {
        // shlex's white space: space, tab, CR and LF.
        let mut words = name
            .as_bytes()
            .split(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .filter(|w| !w.is_empty());
        match (words.next(), words.next(), words.next()) {
            (Some(_), Some(second), None) => {
                // A slice of `name` at a byte boundary of ASCII white space.
                let start = second.as_ptr() as usize - name.as_ptr() as usize;
                Some(Cow::Borrowed(&name[start..start + second.len()]))
            }
            _ => None,
        }
    };
    match (make, second) {
        (_, None) => SectionKind::Other,
        (Of::Profile, Some(n)) => SectionKind::Profile(n),
        (Of::Session, Some(n)) => SectionKind::Session(n),
        (Of::Services, Some(n)) => SectionKind::Services(n),
    }
}

/// The hint for a file botocore cannot read either, with a command for `platform`.
fn parse_error_hint(path: &Path, e: &ini::ParseError, platform: Platform) -> String {
    use ini::ErrorKind::*;
    let also = "the AWS CLI and boto3 cannot read the file either";
    match &e.kind {
        ByteOrderMark => {
            // Absolute: the Windows command is .NET's, which reads a relative path
            // from the process's directory, not PowerShell's.
            let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            format!(
                "save it as UTF-8 without a byte-order mark ({also}), {}",
                crate::hint::remove_bom(&path.display().to_string(), platform)
            )
        }
        BeforeFirstSection => format!(
            "put every setting under a [profile NAME], [default] or [sso-session NAME] header ({also})"
        ),
        DuplicateSection(s) => {
            format!("merge the two [{s}] sections into one ({also})")
        }
        DuplicateKey { section, key } => {
            format!("keep one `{key}` line in [{section}] ({also})")
        }
        NotKeyValue | EmptyKey => {
            format!("write it as `key = value`, make it a comment with `#`, or remove it ({also})")
        }
        NestedNotKeyValue { .. } => format!(
            "write each indented line under it as `key = value`, or put a value after the `=` ({also})"
        ),
    }
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile> {
        ConfigFile::parse_owned(path, read_text(path)?, None)
    }

    /// Like `load`, keeping of the profiles only `profile` (every line is still
    /// checked): the credentials command's warm path, where a config with a
    /// thousand profiles must not cost a thousand sections. A config of more
    /// than one piece (`PIECE`) is read in pieces (`read_for_profile`), without
    /// holding its text. Everything else works as with `load`; suggestions for a
    /// missing profile read the file again.
    pub fn load_for_profile(path: &Path, profile: &str) -> Result<ConfigFile> {
        let cap = crate::readfile::USER_FILE_CAP;
        let text = match crate::readfile::open_regular(path, cap) {
            // A file of one piece is read whole, by the exact reader.
            Ok((file, len)) if len <= PIECE as u64 => {
                text_of(path, crate::readfile::read_open(file, len, cap))?
            }
            // A bigger one in pieces, unless the reading leaves it to the
            // exact reader (then read again, whole).
            Ok((mut file, len)) => {
                match ConfigFile::read_for_profile(path, &mut file, len, profile, PIECE) {
                    Some(config) => return Ok(config),
                    None => read_text(path)?,
                }
            }
            Err(e) => text_of(path, Err(e))?,
        };
        ConfigFile::parse_owned(path, text, Some(profile))
    }

    /// The config `src` holds (`size` bytes, as far as is known), keeping of
    /// the profiles only `profile`, read in pieces of `piece` bytes by
    /// `ini::read_filtered`: the warm path's reader, which holds neither the
    /// whole text nor anything of the other sections. `None` for a file it
    /// leaves to `parse_owned` (one that is not ASCII, that botocore may
    /// refuse, …: see `ini::read_filtered`) or that cannot be read.
    pub fn read_for_profile(
        path: &Path,
        src: &mut dyn std::io::Read,
        size: u64,
        profile: &str,
        piece: usize,
    ) -> Option<ConfigFile> {
        let cap = crate::readfile::USER_FILE_CAP;
        // Most headers name another profile: told apart on their bytes.
        let mut keep = |name: &[u8]| {
            !is_other_profile(name, profile)
                && std::str::from_utf8(name).is_ok_and(|name| keeps(name, Some(profile)))
        };
        let (text, sections) = ini::read_filtered(src, size, piece, cap, &mut keep).ok()??;
        Some(ConfigFile::from_sections(
            path,
            Rc::new(text),
            sections,
            Some(profile),
            false,
        ))
    }

    /// Like `load`, but a file that does not exist yet reads as empty (for
    /// `configure`, which may create it).
    pub fn load_or_empty(path: &Path) -> Result<ConfigFile> {
        if !path.exists() {
            return ConfigFile::parse(path, "");
        }
        ConfigFile::load(path)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
        ConfigFile::parse_owned(path, text.to_string(), None)
    }

    /// Parses `text`, keeping it (not a copy) for the sections to point into.
    pub fn parse_owned(
        path: &Path,
        text: String,
        only_profile: Option<&str>,
    ) -> Result<ConfigFile> {
        // Rc<String>, not Rc<str>: the text is shared as read, not copied.
        let shared: Rc<String> = Rc::new(text);
        let keep = |name: &str| keeps(name, only_profile);
        let sections = ini::parse_filtered(&shared, keep).map_err(|e| {
            Error::config(
                path,
                e.to_string(),
                parse_error_hint(path, &e, Platform::current()),
            )
        })?;
        Ok(ConfigFile::from_sections(
            path,
            shared,
            sections,
            only_profile,
            true,
        ))
    }

    /// The profiles, sso-sessions and services of `sections` (spans of `shared`,
    /// the whole file's text when `whole`).
    fn from_sections(
        path: &Path,
        shared: Rc<String>,
        sections: Vec<ini::RawSection>,
        only_profile: Option<&str>,
        whole: bool,
    ) -> ConfigFile {
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            profiles: Names::default(),
            sessions: Names::default(),
            services: Names::default(),
            profile_order: Vec::new(),
            session_order: Vec::new(),
            services_order: Vec::new(),
            other_sections: Vec::new(),
            only_profile: only_profile.map(str::to_string),
            text: shared.clone(),
            whole_text: whole,
        };
        for raw in sections {
            let name = raw.name.resolve(&shared).to_string();
            let section = Section {
                text: shared.clone(),
                entries: raw.entries,
            };
            // A later section of the same name replaces the earlier wholesale, at
            // the earlier one's place (a Python dict's `update`).
            fn insert(map: &mut Names<Section>, order: &mut Vec<String>, k: String, v: Section) {
                if map.insert(k.clone(), v).is_none() {
                    order.push(k);
                }
            }
            match classify(&name) {
                SectionKind::Profile(p) => insert(
                    &mut file.profiles,
                    &mut file.profile_order,
                    p.into_owned(),
                    section,
                ),
                SectionKind::Session(s) => insert(
                    &mut file.sessions,
                    &mut file.session_order,
                    s.into_owned(),
                    section,
                ),
                SectionKind::Services(s) => insert(
                    &mut file.services,
                    &mut file.services_order,
                    s.into_owned(),
                    section,
                ),
                SectionKind::Other => file.other_sections.push(name),
            }
        }
        file
    }

    pub fn profile(&self, name: &str) -> Option<&Section> {
        self.profiles.get(name)
    }

    fn profile_not_found(&self, name: &str) -> Error {
        let full = match (&self.only_profile, self.whole_text) {
            (None, _) => None,
            (Some(_), true) => {
                ConfigFile::parse_owned(&self.path, self.text.to_string(), None).ok()
            }
            // Only the kept sections' text is here: read the file again.
            (Some(_), false) => ConfigFile::load(&self.path).ok(),
        };
        if let Some(full) = full {
            return full.profile_not_found(name);
        }
        if self.other_sections.iter().any(|s| s == name) {
            return Error::config(
                &self.path,
                format!(
                    "profile \"{name}\" not found: there is a section [{name}], but botocore reads only [profile {name}] as that profile"
                ),
                format!("write it as [profile {name}]"),
            );
        }
        let hint = if self.profile_order.is_empty() {
            format!("the file has no profiles; add a [profile {name}] section")
        } else {
            let suggestion =
                crate::suggest::closest(name, self.profile_order.iter().map(String::as_str))
                    .map(|s| format!("did you mean \"{s}\"? "))
                    .unwrap_or_default();
            format!(
                "{suggestion}add a [profile {name}] section or pass an existing one with --profile ({})",
                crate::suggest::some_of(&self.profile_order, 8)
            )
        };
        Error::config(&self.path, format!("profile \"{name}\" not found"), hint)
    }
}

/// An IAM Identity Center session: a `[sso-session NAME]` section, or the legacy
/// start URL and region kept in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// The sso-session name; `None` for a legacy profile.
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    pub scopes: Vec<String>,
    pub login_flow: Option<String>,
    /// `sso_helper_redirect_port`: a fixed port for the PKCE listener.
    pub redirect_port: Option<u16>,
}

impl SsoSession {
    /// What the AWS CLI hashes to name the token cache file: the session name, else
    /// the start URL exactly as configured.
    pub fn cache_key(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.start_url)
    }

    /// How to name it to a user.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session \"{n}\""),
            None => format!("start URL {}", self.start_url),
        }
    }
}

/// A profile resolved for the credentials command.
#[derive(Debug, Clone)]
pub struct RoleProfile {
    pub profile: String,
    pub session: SsoSession,
    pub account_id: String,
    pub role_name: String,
}

const SESSION_KEYS: &[&str] = &["sso_session", "sso_helper_session"];
const START_URL_KEYS: &[&str] = &["sso_start_url", "sso_helper_start_url"];
const REGION_KEYS: &[&str] = &["sso_region", "sso_helper_region"];
const ACCOUNT_KEYS: &[&str] = &["sso_account_id", "sso_helper_account_id"];
const ROLE_KEYS: &[&str] = &["sso_role_name", "sso_helper_role_name"];

impl ConfigFile {
    /// The profile a layout-A profile points at: one that names no account and
    /// role of its own and whose `credential_process` runs `sso-helper --profile
    /// X` (X another profile), the line read as botocore reads it on this platform
    /// (`process_line`). Commands given such a profile work on X, as the SDKs would.
    ///
    /// A profile that names an account and a role itself is not followed; other
    /// settings (a session, a region, maybe inherited from `[DEFAULT]`) do not
    /// stop it, as they do not stop botocore from running its credential_process.
    pub fn companion_target(&self, profile: &str) -> Option<String> {
        let section = self.profile(profile)?;
        if section.first(ACCOUNT_KEYS).is_some() && section.first(ROLE_KEYS).is_some() {
            return None;
        }
        let line = section.get("credential_process")?;
        let target = crate::process_line::helper_profile_arg(line, Platform::current())??;
        (target != profile).then_some(target)
    }

    /// `profile`'s companion target, checked to be a profile of its own: one that
    /// points on again (`[a]` runs `--profile b`, `[b]` runs `--profile a` or
    /// `--profile c`) is an error naming both.
    pub fn followed(&self, profile: &str) -> Result<Option<String>> {
        let Some(target) = self.companion_target(profile) else {
            return Ok(None);
        };
        if let Some(next) = self.companion_target(&target) {
            return Err(Error::config(
                &self.path,
                format!(
                    "[{}] runs sso-helper --profile {target}, and [{}] runs sso-helper --profile {next} in turn",
                    profile_header(profile),
                    profile_header(&target)
                ),
                format!(
                    "give [{}] its own account and role (sso_helper_account_id, sso_helper_role_name), or point [{}] at a profile that has them",
                    profile_header(&target),
                    profile_header(profile)
                ),
            ));
        }
        Ok(Some(target))
    }

    /// Whether `profile` is absent or has no IAM Identity Center settings of its own
    /// (and points at no profile that has them).
    pub fn lacks_sso_settings(&self, profile: &str) -> bool {
        let Some(section) = self.profile(profile) else {
            return true;
        };
        let own = [
            SESSION_KEYS,
            START_URL_KEYS,
            REGION_KEYS,
            ACCOUNT_KEYS,
            ROLE_KEYS,
        ]
        .iter()
        .any(|keys| section.first(keys).is_some());
        !own && self.companion_target(profile).is_none()
    }

    /// The file's only `[sso-session]`, for a command given no session and a
    /// `profile` without one: `None` when there is none, an error listing them
    /// when there are several.
    pub fn only_session(&self, profile: &str) -> Option<Result<SsoSession>> {
        match self.session_order.as_slice() {
            [] => None,
            [only] => Some(self.session(only)),
            several => {
                let why = match self.profile(profile) {
                    Some(_) => format!(
                        "[{}] has no IAM Identity Center settings",
                        profile_header(profile)
                    ),
                    None => format!("there is no [{}] profile", profile_header(profile)),
                };
                Some(Err(Error::config(
                    &self.path,
                    format!(
                        "{why}, and the file has {} sso-sessions to choose from",
                        several.len()
                    ),
                    format!(
                        "pass one with --sso-session ({}), or a profile with --profile",
                        crate::suggest::some_of(several, 8)
                    ),
                )))
            }
        }
    }

    /// The session a profile uses (SPEC §2 resolution order).
    pub fn session_for_profile(&self, profile: &str) -> Result<SsoSession> {
        let section = self
            .profile(profile)
            .ok_or_else(|| self.profile_not_found(profile))?;
        let who = format!("[{}]", profile_header(profile));

        if let Some((skey, sname)) = section.first(SESSION_KEYS) {
            if !self.sessions.contains_key(sname) {
                let hint = match self.misspelt_session(sname) {
                    Some(h) => {
                        format!("[{h}] is not read as one: write it as [sso-session {sname}]")
                    }
                    None => format!(
                        "add [sso-session {sname}] with sso_start_url and sso_region, or correct {skey}"
                    ),
                };
                return Err(Error::config(
                    &self.path,
                    format!(
                        "{who} has {skey} = {sname}, but there is no [sso-session {sname}] section"
                    ),
                    hint,
                ));
            }
            let session = self.session(sname)?;
            // Keys set in both places must agree (botocore enforces the same).
            for (keys, value, what) in [
                (START_URL_KEYS, &session.start_url, "sso_start_url"),
                (REGION_KEYS, &session.region, "sso_region"),
            ] {
                if let Some((k, v)) = section.first(keys)
                    && v != value.as_str()
                {
                    return Err(Error::config(
                        &self.path,
                        format!(
                            "{who} sets {k} = {v} but [sso-session {sname}] sets {what} = {value}"
                        ),
                        format!("remove {k} from {who} or make the two equal"),
                    ));
                }
            }
            return Ok(session);
        }

        let start = section.first(START_URL_KEYS);
        let region = section.first(REGION_KEYS);
        match (start, region) {
            (None, None)
                if section.first(ACCOUNT_KEYS).is_none() && section.first(ROLE_KEYS).is_none() =>
            {
                Err(Error::config(
                    &self.path,
                    format!("{who} has no IAM Identity Center settings"),
                    format!(
                        "add sso_helper_session, sso_helper_account_id and sso_helper_role_name to {who}, \
                         or pass --profile a profile written by `aws configure sso`"
                    ),
                ))
            }
            (None, _) => Err(Error::config(
                &self.path,
                format!(
                    "{who} has neither sso_session nor sso_start_url (nor their sso_helper_ forms)"
                ),
                format!(
                    "add sso_helper_session = NAME naming an [sso-session NAME] section to {who}"
                ),
            )),
            (Some(_), None) => Err(Error::config(
                &self.path,
                format!("{who} has sso_start_url but no sso_region"),
                format!("add sso_region (the region of your IAM Identity Center) to {who}"),
            )),
            (Some((uk, url)), Some((rk, reg))) => {
                check_start_url(&self.path, &who, uk, url)?;
                check_region(&self.path, &who, rk, reg)?;
                Ok(SsoSession {
                    name: None,
                    start_url: url.to_string(),
                    region: reg.to_string(),
                    scopes: Vec::new(),
                    login_flow: section.get("sso_helper_login_flow").map(str::to_string),
                    redirect_port: None,
                })
            }
        }
    }

    /// A section botocore ignores that was meant as `[sso-session name]`
    /// (`[sso_session corp]`, `[sso-sesion corp]`): two words, the second `name`.
    fn misspelt_session(&self, name: &str) -> Option<&str> {
        self.other_sections
            .iter()
            .find(|h| crate::shlex::split(h).is_some_and(|w| w.len() == 2 && w[1] == name))
            .map(String::as_str)
    }

    /// A `[sso-session NAME]` section.
    pub fn session(&self, name: &str) -> Result<SsoSession> {
        let who = format!("[sso-session {name}]");
        let section = self.sessions.get(name).ok_or_else(|| {
            if let Some(h) = self.misspelt_session(name) {
                return Error::config(
                    &self.path,
                    format!("there is no {who} section: [{h}] is not read as one"),
                    format!("write it as {who}"),
                );
            }
            let hint = match self.session_order.as_slice() {
                [] => format!("the file has no sso-sessions; add {who} with sso_start_url and sso_region"),
                known => {
                    let suggestion = crate::suggest::closest(name, known.iter().map(String::as_str))
                        .map(|s| format!("did you mean \"{s}\"? "))
                        .unwrap_or_default();
                    format!(
                        "{suggestion}the file's sso-sessions: {}; or add {who} with sso_start_url and sso_region",
                        crate::suggest::some_of(known, 8)
                    )
                }
            };
            Error::config(&self.path, format!("there is no {who} section"), hint)
        })?;
        let url = section.get("sso_start_url").ok_or_else(|| {
            Error::config(
                &self.path,
                format!("{who} has no sso_start_url"),
                format!("add sso_start_url = https://<your-id>.awsapps.com/start to {who}"),
            )
        })?;
        let region = section.get("sso_region").ok_or_else(|| {
            Error::config(
                &self.path,
                format!("{who} has no sso_region"),
                format!("add sso_region (the region of your IAM Identity Center) to {who}"),
            )
        })?;
        check_start_url(&self.path, &who, "sso_start_url", url)?;
        check_region(&self.path, &who, "sso_region", region)?;
        let login_flow = section.get("sso_helper_login_flow").map(str::to_string);
        if let Some(flow) = &login_flow
            && !["auto", "device", "pkce"].contains(&flow.as_str())
        {
            return Err(Error::config(
                &self.path,
                format!("{who} sso_helper_login_flow = {flow} is not a sign-in flow"),
                format!("use auto, device or pkce in {who}"),
            ));
        }
        let redirect_port = match section.get("sso_helper_redirect_port") {
            None => None,
            Some(v) => Some(v.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                Error::config(
                    &self.path,
                    format!("{who} sso_helper_redirect_port = {v} is not a port number"),
                    format!("use a port from 1 to 65535 in {who}"),
                )
            })?),
        };
        let scopes = section
            .get("sso_registration_scopes")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(SsoSession {
            name: Some(name.to_string()),
            start_url: url.to_string(),
            region: region.to_string(),
            scopes,
            login_flow,
            redirect_port,
        })
    }

    /// Everything the credentials command needs from a profile.
    pub fn role_profile(&self, profile: &str) -> Result<RoleProfile> {
        let session = self.session_for_profile(profile)?;
        let section = self.profile(profile).expect("resolved above");
        let who = format!("[{}]", profile_header(profile));
        let (akey, account) = section.first(ACCOUNT_KEYS).ok_or_else(|| {
            Error::config(
                &self.path,
                format!("{who} has no sso_account_id (nor sso_helper_account_id)"),
                format!("add sso_helper_account_id = <12-digit account id> to {who}"),
            )
        })?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            let hint = if account.contains('#') {
                format!(
                    "put the comment on its own line: AWS config values keep inline `#` text (in {who})"
                )
            } else {
                format!("use the 12-digit account id, digits only, in {who}")
            };
            return Err(Error::config(
                &self.path,
                format!("{who} {akey} = {account} is not a 12-digit AWS account id"),
                hint,
            ));
        }
        let (rkey, role) = section.first(ROLE_KEYS).ok_or_else(|| {
            Error::config(
                &self.path,
                format!("{who} has no sso_role_name (nor sso_helper_role_name)"),
                format!("add sso_helper_role_name = <permission set name> to {who}"),
            )
        })?;
        if role.contains(char::is_whitespace) {
            return Err(Error::config(
                &self.path,
                format!("{who} {rkey} = {role} contains white space"),
                format!("use the permission set name alone in {who} (no inline comment)"),
            ));
        }
        Ok(RoleProfile {
            profile: profile.to_string(),
            session,
            account_id: account.to_string(),
            role_name: role.to_string(),
        })
    }
}

pub fn profile_header(name: &str) -> String {
    if name == "default" {
        "default".into()
    } else {
        format!("profile {name}")
    }
}

pub(crate) fn check_start_url(path: &Path, who: &str, key: &str, url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !r.contains(char::is_whitespace)
    });
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            path,
            format!("{who} {key} = {url} is not a start URL"),
            format!(
                "use the AWS access portal URL, like https://d-1234567890.awsapps.com/start, in {who}"
            ),
        ))
    }
}

pub(crate) fn check_region(path: &Path, who: &str, key: &str, region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            path,
            format!("{who} {key} = {region} is not an AWS region"),
            format!("use a region name like us-east-1 in {who}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("/cfg"), text).unwrap()
    }

    /// A byte-order mark: perl on Linux and macOS, a PowerShell line on Windows
    /// (no perl there, and cmd.exe knows no single quotes).
    #[test]
    fn the_byte_order_mark_hint_is_a_command_for_the_platform() {
        let e = ini::parse("\u{feff}[default]\n").unwrap_err();
        for unix in [Platform::Linux, Platform::MacOs] {
            let hint = parse_error_hint(Path::new("/t/bom cfg"), &e, unix);
            // (The path made absolute: on Windows it gains a drive.)
            assert!(
                hint.contains("perl -pi -e 's/^\\xEF\\xBB\\xBF// if $. == 1' '")
                    && hint.ends_with("bom cfg'"),
                "{hint}"
            );
        }
        let hint = parse_error_hint(Path::new(r"C:\t\bom cfg"), &e, Platform::Windows);
        assert!(
            hint.starts_with("save it as UTF-8 without a byte-order mark (")
                && hint.contains("in PowerShell: [System.IO.File]::WriteAllText(")
                && !hint.contains("perl"),
            "{hint}"
        );
        // A relative name is made absolute (.NET would read it from elsewhere).
        let hint = parse_error_hint(Path::new("rel cfg"), &e, Platform::Windows);
        let cwd = std::env::current_dir().unwrap();
        assert!(hint.contains(&cwd.display().to_string()), "{hint}");
    }

    #[track_caller]
    fn config_err(text: &str, profile: &str) -> String {
        let e = parse(text).role_profile(profile).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        crate::error::one_line(&e)
    }

    const LAYOUTS: &str = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access, ,extra

[profile dev-sso]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly

[profile dev]
credential_process = sso-helper --profile dev-sso

[profile self]
credential_process = sso-helper --profile self
sso_helper_session = corp
sso_helper_account_id = 222222222222
sso_helper_role_name = Admin
region = eu-west-1

[profile legacy]
sso_helper_start_url = https://d-9999999999.awsapps.com/start/
sso_helper_region = eu-central-1
sso_helper_account_id = 333333333333
sso_helper_role_name = PowerUser
";

    #[test]
    fn companion_layout() {
        let p = parse(LAYOUTS).role_profile("dev-sso").unwrap();
        assert_eq!(p.session.name.as_deref(), Some("corp"));
        assert_eq!(
            p.session.start_url,
            "https://d-1234567890.awsapps.com/start"
        );
        assert_eq!(p.session.region, "us-east-1");
        assert_eq!(p.session.scopes, vec!["sso:account:access", "extra"]);
        assert_eq!(
            (p.account_id.as_str(), p.role_name.as_str()),
            ("111111111111", "ReadOnly")
        );
    }

    #[test]
    fn self_contained_layout() {
        let p = parse(LAYOUTS).role_profile("self").unwrap();
        assert_eq!(p.session.cache_key(), "corp");
        assert_eq!(
            (p.account_id.as_str(), p.role_name.as_str()),
            ("222222222222", "Admin")
        );
    }

    #[test]
    fn legacy_layout_keeps_the_start_url_exactly() {
        let p = parse(LAYOUTS).role_profile("legacy").unwrap();
        assert_eq!(p.session.name, None);
        assert_eq!(
            p.session.cache_key(),
            "https://d-9999999999.awsapps.com/start/"
        );
        assert_eq!(p.session.region, "eu-central-1");
    }

    #[test]
    fn standard_keys_win_over_helper_keys() {
        let f = parse(
            "[profile p]\nsso_helper_start_url = https://a.awsapps.com/start\nsso_start_url = https://b.awsapps.com/start\n\
             sso_region = us-east-1\nsso_account_id = 111111111111\nsso_helper_account_id = 222222222222\nsso_role_name = R\n",
        );
        let p = f.role_profile("p").unwrap();
        assert_eq!(p.session.start_url, "https://b.awsapps.com/start");
        assert_eq!(p.account_id, "111111111111");
    }

    #[test]
    fn default_and_profile_default_are_one_profile_later_wins() {
        let f = parse("[default]\nregion = a\n[profile default]\nsso_role_name = X\n");
        let d = f.profile("default").unwrap();
        assert_eq!(d.get("region"), None);
        assert_eq!(d.get("sso_role_name"), Some("X"));
    }

    #[test]
    fn botocore_parsing_rules() {
        let f = parse(
            "# comment\n[profile  \"with space\"]\nRegion = eu-west-1 # kept\n; other\n[profile a b c]\nx = 1\n\
             [services local]\nsso =\n  endpoint_url = http://127.0.0.1:1\nsso_oidc =\n  Endpoint_URL = http://127.0.0.1:2\n\
             [profiles odd]\nk = v\n[m8]\nk = v\n",
        );
        assert_eq!(
            f.profile("with space").unwrap().get("region"),
            Some("eu-west-1 # kept")
        );
        assert!(f.profile("a").is_none() && f.profile("a b c").is_none());
        let s = &f.services["local"];
        assert_eq!(
            s.nested("sso"),
            vec![("endpoint_url", "http://127.0.0.1:1")]
        );
        // Nested keys keep their case, as botocore keeps them.
        assert_eq!(
            s.nested("sso_oidc"),
            vec![("Endpoint_URL", "http://127.0.0.1:2")]
        );
        assert_eq!(s.get("sso"), None, "a nested block is not a value");
        // botocore checks only the prefix of the first word.
        assert!(f.profile("odd").is_some());
        assert_eq!(f.other_sections, ["profile a b c", "m8"]);
    }

    #[test]
    fn sections_that_name_one_thing_twice_replace_it_and_keys_are_lower_cased() {
        let f = parse(
            "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\n[plugins]\nfoo = bar\n\
             [sso-session \"s\"]\nSSO_Region = eu-west-1\nsso_start_url = https://y.awsapps.com/start\n\
             [profile p]\nsso_session = s\n[profile 'p']\nsso_helper_role_name = R\n",
        );
        let s = f.session("s").unwrap();
        assert_eq!(
            (s.start_url.as_str(), s.region.as_str()),
            ("https://y.awsapps.com/start", "eu-west-1")
        );
        let p = f.profile("p").unwrap();
        assert_eq!(p.get("sso_session"), None);
        assert_eq!(p.get("sso_helper_role_name"), Some("R"));
        assert_eq!(format!("{p:?}"), r#"["sso_helper_role_name"]"#);
        assert_eq!(f.profile_order, ["p"]);
    }

    #[test]
    fn a_config_kept_for_one_profile_still_checks_every_line_and_suggests_all() {
        let path = Path::new("/cfg");
        let f = ConfigFile::parse_owned(path, LAYOUTS.to_string(), Some("self")).unwrap();
        assert_eq!(f.profiles.len(), 1);
        assert_eq!(f.role_profile("self").unwrap().account_id, "222222222222");
        let e = crate::error::one_line(&f.role_profile("nope").unwrap_err());
        assert!(e.contains("dev-sso, dev, self, legacy"), "{e}");
        let bad = format!("{LAYOUTS}[profile other]\njunk line\n");
        assert!(ConfigFile::parse_owned(path, bad, Some("self")).is_err());
    }

    /// A config of more than one piece is read in pieces, and reads as the
    /// whole-file reader reads it: the same profile, the same refusal, the same
    /// suggestions; one that is not ASCII goes to the exact reader.
    #[test]
    fn a_big_config_is_read_in_pieces_as_a_small_one_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let filler: String = (0..400)
            .map(|n| format!("[profile p{n}]\nregion = us-east-1\nsso_session = corp\n\n"))
            .collect();
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            let one = ConfigFile::load_for_profile(&path, "self");
            let whole = ConfigFile::load(&path);
            (one, whole)
        };
        let big = format!("{filler}{LAYOUTS}");
        assert!(big.len() > PIECE);
        let (one, whole) = load(&big);
        let (one, whole) = (one.unwrap(), whole.unwrap());
        assert!(!one.whole_text, "not read in pieces");
        assert_eq!(one.profiles.len(), 1);
        assert_eq!(
            one.role_profile("self").unwrap().account_id,
            whole.role_profile("self").unwrap().account_id
        );
        let e = crate::error::one_line(&one.role_profile("nope").unwrap_err());
        assert!(e.contains("p0, p1, p2"), "{e}");
        for bad in [
            format!("[profile p]\nk = 1\nK = 2\n{big}"),
            format!("{big}[profile p7]\n"),
            format!("{big}  orphan\n[profile q]\n  no equals\n"),
        ] {
            let (one, whole) = load(&bad);
            let one = crate::error::one_line(&one.unwrap_err());
            assert_eq!(one, crate::error::one_line(&whole.unwrap_err()));
        }
        let (one, _) = load(&format!("{big}[profile é]\n"));
        assert!(one.unwrap().whole_text, "read in pieces");
    }

    #[test]
    fn unknown_profile_lists_known_ones() {
        let e = config_err(LAYOUTS, "nope");
        assert!(
            e.contains("/cfg") && e.contains("profile \"nope\" not found"),
            "{e}"
        );
        assert!(e.contains("dev-sso, dev, self, legacy"), "{e}");
    }

    #[test]
    fn session_naming_no_section() {
        let e = config_err(
            "[profile p]\nsso_session = gone\nsso_account_id = 111111111111\nsso_role_name = R\n",
            "p",
        );
        assert!(
            e.contains("[profile p] has sso_session = gone") && e.contains("[sso-session gone]"),
            "{e}"
        );
    }

    #[test]
    fn missing_keys_are_named() {
        let base = "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n";
        let e = config_err(
            &format!("{base}[profile p]\nsso_helper_session = s\nsso_helper_role_name = R\n"),
            "p",
        );
        assert!(
            e.contains("[profile p] has no sso_account_id")
                && e.contains("sso_helper_account_id = "),
            "{e}"
        );
        let e = config_err(
            &format!(
                "{base}[profile p]\nsso_helper_session = s\nsso_helper_account_id = 111111111111\n"
            ),
            "p",
        );
        assert!(e.contains("no sso_role_name"), "{e}");
        let e = config_err(
            "[sso-session s]\nsso_region = us-east-1\n[profile p]\nsso_session = s\n",
            "p",
        );
        assert!(e.contains("[sso-session s] has no sso_start_url"), "{e}");
        let e = config_err(
            "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\n[profile p]\nsso_session = s\n",
            "p",
        );
        assert!(e.contains("[sso-session s] has no sso_region"), "{e}");
        let e = config_err("[profile p]\nregion = us-east-1\n", "p");
        assert!(e.contains("no IAM Identity Center settings"), "{e}");
        let e = config_err(
            "[profile p]\nsso_start_url = https://x.awsapps.com/start\nsso_account_id = 111111111111\n",
            "p",
        );
        assert!(e.contains("no sso_region"), "{e}");
    }

    #[test]
    fn bad_account_ids() {
        let base = "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n[profile p]\nsso_session = s\nsso_role_name = R\n";
        for (id, needle) in [
            ("1234", "not a 12-digit"),
            ("11111111111a", "not a 12-digit"),
            ("111111111111 # dev", "inline"),
        ] {
            let e = config_err(&format!("{base}sso_account_id = {id}\n"), "p");
            assert!(e.contains(needle), "{id}: {e}");
        }
    }

    #[test]
    fn session_and_profile_disagree_on_start_url() {
        let e = config_err(
            "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\
             [profile p]\nsso_session = s\nsso_start_url = https://y.awsapps.com/start\nsso_account_id = 111111111111\nsso_role_name = R\n",
            "p",
        );
        assert!(
            e.contains("sso_start_url = https://y.awsapps.com/start but [sso-session s]"),
            "{e}"
        );
    }

    #[test]
    fn malformed_values_and_lines() {
        let e = config_err(
            "[sso-session s]\nsso_start_url = x.awsapps.com\nsso_region = us-east-1\n[profile p]\nsso_session = s\n",
            "p",
        );
        assert!(e.contains("is not a start URL"), "{e}");
        let e = config_err(
            "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = US East\n[profile p]\nsso_session = s\n",
            "p",
        );
        assert!(e.contains("is not an AWS region"), "{e}");
        let e = ConfigFile::parse(Path::new("/cfg"), "region = x\n").unwrap_err();
        assert!(e.to_string().contains("line 1 comes before any [section]"));
        let e = ConfigFile::parse(Path::new("/cfg"), "[profile p]\njunk\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2 is not a `key = value` setting"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod quick_reject {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
        /// The warm path's shortcut never drops a section `classify` would keep:
        /// whatever it rejects is a profile, and not the one wanted.
        #[test]
        fn is_other_profile_agrees_with_classify(
            name in "(profile|profiles|default|sso-session)?[ \t\r\na-c'\"\\\\]{0,8}",
            wanted in "[a-c ]{1,3}|default",
        ) {
            if is_other_profile(name.as_bytes(), &wanted) {
                match classify(&name) {
                    SectionKind::Profile(p) => prop_assert_ne!(&*p, wanted.as_str()),
                    other => prop_assert!(false, "{name:?} is {:?}", matches!(other, SectionKind::Other)),
                }
            }
        }

        /// The word-at-a-time test finds what a byte-at-a-time one finds, in
        /// words of any length and bytes of any value.
        #[test]
        fn has_space_or_quote_finds_every_byte(
            word in proptest::collection::vec(
                prop_oneof![4 => b'a'..=b'z', 1 => any::<u8>(), 1 => Just(b' '), 1 => Just(b'"')],
                0..40,
            ),
        ) {
            let naive = word.iter().any(|b| *b < b'!' || matches!(b, b'"' | b'\'' | b'\\'));
            prop_assert_eq!(has_space_or_quote(&word), naive);
        }
    }
}
