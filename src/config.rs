//! Reading `~/.aws/config` the way botocore does, and resolving a profile to the
//! IAM Identity Center settings sso-helper needs (SPEC §2).
//!
//! Parsing is pure (`ConfigFile::parse`); `ConfigFile::load` is the only I/O. The
//! parser follows botocore's `configloader` rather than a generic INI reader:
//! `[profile NAME]` headers are shell-split and need exactly two words, keys are
//! lower-cased, an inline `# …` stays part of the value, indented lines continue
//! the previous value (the nested `services` blocks), and `[default]` and
//! `[profile default]` are one profile, the later section replacing the earlier.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::context::Context;
use crate::error::{Error, Result};

/// One `[...]` section: its keys and values in file order. Keys and values are
/// spans of the file's text (shared, not copied), so a config with a thousand
/// profiles costs a scan, not thousands of allocations; keys compare without case.
#[derive(Clone)]
pub struct Section {
    text: Rc<String>,
    values: Vec<(Span, Value)>,
}

/// A byte range of the file's text (u32: a config file is never 4 GiB).
#[derive(Clone, Copy)]
struct Span(u32, u32);

impl Span {
    fn of(s: &str, span: Span) -> &str {
        &s[span.0 as usize..span.1 as usize]
    }
}

#[derive(Clone)]
enum Value {
    Span(Span),
    /// A value continued on indented lines, joined with `\n`.
    Joined(String),
}

impl Default for Section {
    fn default() -> Section {
        Section {
            text: Rc::new(String::new()),
            values: Vec::new(),
        }
    }
}

/// Keys only: a config file may hold static keys (`aws_secret_access_key`).
impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries().map(|(k, _)| k))
            .finish()
    }
}

impl Section {
    /// The key/value pairs in file order (keys as written).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .map(|(k, v)| (Span::of(&self.text, *k), self.value(v)))
    }

    fn value<'a>(&'a self, v: &'a Value) -> &'a str {
        match v {
            Value::Span(r) => Span::of(&self.text, *r),
            Value::Joined(s) => s,
        }
    }

    /// The value of `key` (lower case); the last one wins when a key repeats.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| Span::of(&self.text, *k).eq_ignore_ascii_case(key))
            .map(|(_, v)| self.value(v))
    }

    /// The first present key of `keys`, with the key that supplied it.
    fn first<'a>(&'a self, keys: &[&'static str]) -> Option<(&'static str, &'a str)> {
        keys.iter().find_map(|k| self.get(k).map(|v| (*k, v)))
    }

    /// Key/value pairs of a nested block (`sso =` followed by indented lines).
    pub fn nested(&self, key: &str) -> Vec<(String, String)> {
        let Some(block) = self.get(key) else {
            return Vec::new();
        };
        block
            .lines()
            .filter_map(|l| split_key_value(l.trim()))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect()
    }
}

/// Section names to sections. FNV-1a instead of SipHash: the keys are the user's
/// own file, and a thousand-profile config hashes a thousand names per call.
pub type Names<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

#[derive(Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub profiles: Names<Section>,
    pub sessions: Names<Section>,
    pub services: Names<Section>,
    /// Profile names in file order, for suggestions.
    pub profile_order: Vec<String>,
    /// Set when only this profile's section was kept (`load_for_profile`).
    only_profile: Option<String>,
    text: Rc<String>,
}

/// Where the config file is: `$AWS_CONFIG_FILE` (with `~` expanded) or `~/.aws/config`.
pub fn config_path(ctx: &Context) -> Result<PathBuf> {
    if let Some(p) = ctx.var("AWS_CONFIG_FILE") {
        return expand_tilde(ctx, p);
    }
    Ok(aws_dir(ctx)?.join("config"))
}

/// `~/.aws`.
pub fn aws_dir(ctx: &Context) -> Result<PathBuf> {
    ctx.home()
        .map(|h| h.join(".aws"))
        .ok_or_else(|| Error::Environment {
            message: "no home directory: HOME is not set".into(),
            hint: "set HOME, or AWS_CONFIG_FILE to the config file".into(),
        })
}

pub fn expand_tilde(ctx: &Context, p: &str) -> Result<PathBuf> {
    if p == "~" || p.starts_with("~/") {
        let home = ctx.home().ok_or_else(|| Error::Environment {
            message: format!("cannot expand {p}: HOME is not set"),
            hint: "set HOME or use an absolute path".into(),
        })?;
        return Ok(home.join(p.trim_start_matches('~').trim_start_matches('/')));
    }
    Ok(PathBuf::from(p))
}

/// Names only (no values: they may hold static keys).
impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field("profiles", &self.profile_order)
            .field("sessions", &self.sessions.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The config file's text; a missing or non-UTF-8 file is a configuration error.
fn read_text(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            Error::config(path, "the file is not valid UTF-8", "save it as UTF-8 text")
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

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile> {
        ConfigFile::parse_owned(path, read_text(path)?, None)
    }

    /// Like `load`, keeping of the profiles only `profile` (every line is still
    /// checked): the credentials command's warm path, where a config with a
    /// thousand profiles must not cost a thousand sections. Everything else works
    /// as with `load`; suggestions for a missing profile read the text again.
    pub fn load_for_profile(path: &Path, profile: &str) -> Result<ConfigFile> {
        ConfigFile::parse_owned(path, read_text(path)?, Some(profile))
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
        if u32::try_from(text.len()).is_err() {
            return Err(Error::config(
                path,
                "the file is larger than 4 GiB",
                "this is not an AWS config file",
            ));
        }
        let shared: Rc<String> = Rc::new(text);
        let text: &str = &shared;
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            profiles: Names::default(),
            sessions: Names::default(),
            services: Names::default(),
            profile_order: Vec::new(),
            only_profile: only_profile.map(str::to_string),
            text: shared.clone(),
        };
        let span = |part: &str| {
            let start = part.as_ptr() as usize - text.as_ptr() as usize;
            Span(start as u32, (start + part.len()) as u32)
        };
        let fresh = || Section {
            text: shared.clone(),
            values: Vec::with_capacity(6),
        };
        // Where the current section's keys go; None for a section we don't use.
        let mut current: Option<(Kind, String)> = None;
        let mut section = fresh();
        let mut in_section = false;
        let mut last_key: Option<usize> = None;

        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() {
                last_key = None;
                continue;
            }
            let first = trimmed.as_bytes()[0];
            if first == b'#' || first == b';' {
                continue;
            }
            let indented = line.starts_with([' ', '\t']);
            if indented && let Some(i) = last_key {
                let joined = match &section.values[i].1 {
                    Value::Span(r) => format!("{}\n{trimmed}", Span::of(text, *r)),
                    Value::Joined(s) => format!("{s}\n{trimmed}"),
                };
                section.values[i].1 = Value::Joined(joined);
                continue;
            }
            if first == b'[' {
                let Some(end) = trimmed.rfind(']') else {
                    return Err(Error::config(
                        path,
                        format!("line {line_no}: section header `{trimmed}` has no closing `]`"),
                        "write section headers as [profile NAME] or [sso-session NAME]",
                    ));
                };
                file.finish(current.take(), std::mem::replace(&mut section, fresh()));
                current = match classify(&trimmed[1..end]) {
                    Some((Kind::Profile, name)) if only_profile.is_some_and(|o| o != name) => None,
                    Some((kind, name)) => Some((kind, name.into_owned())),
                    None => None,
                };
                in_section = true;
                last_key = None;
                continue;
            }
            if !in_section {
                return Err(Error::config(
                    path,
                    format!("line {line_no} comes before any [section] header"),
                    "put every setting under a [profile NAME], [default] or [sso-session NAME] header",
                ));
            }
            match split_key_value(trimmed) {
                Some((k, v)) => {
                    // Sections we don't use are checked but not kept.
                    if current.is_some() {
                        section.values.push((span(k), Value::Span(span(v))));
                        last_key = Some(section.values.len() - 1);
                    }
                }
                None => {
                    return Err(Error::config(
                        path,
                        format!("line {line_no}: `{trimmed}` is not a `key = value` setting"),
                        "fix or remove the line",
                    ));
                }
            }
        }
        file.finish(current, section);
        Ok(file)
    }

    fn finish(&mut self, current: Option<(Kind, String)>, section: Section) {
        let Some((kind, name)) = current else { return };
        let map = match kind {
            Kind::Profile => {
                // `[default]` and `[profile default]`: the later replaces the earlier.
                if !self.profiles.contains_key(&name) {
                    self.profile_order.push(name.clone());
                    self.profiles.insert(name, section);
                } else if name == "default" {
                    self.profiles.insert(name, section);
                } else {
                    self.profiles
                        .get_mut(&name)
                        .expect("present")
                        .values
                        .extend(section.values);
                }
                return;
            }
            Kind::Session => &mut self.sessions,
            Kind::Services => &mut self.services,
        };
        match map.get_mut(&name) {
            Some(existing) => existing.values.extend(section.values),
            None => {
                map.insert(name, section);
            }
        }
    }

    pub fn profile(&self, name: &str) -> Option<&Section> {
        self.profiles.get(name)
    }

    fn profile_not_found(&self, name: &str) -> Error {
        if self.only_profile.is_some()
            && let Ok(full) = ConfigFile::parse_owned(&self.path, (*self.text).clone(), None)
        {
            return full.profile_not_found(name);
        }
        let known: Vec<&str> = self
            .profile_order
            .iter()
            .take(8)
            .map(String::as_str)
            .collect();
        let hint = if known.is_empty() {
            format!("the file has no profiles; add a [profile {name}] section")
        } else {
            let more = if self.profile_order.len() > known.len() {
                ", …"
            } else {
                ""
            };
            format!(
                "add a [profile {name}] section or pass an existing one with --profile ({}{more})",
                known.join(", ")
            )
        };
        Error::config(&self.path, format!("profile \"{name}\" not found"), hint)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Profile,
    Session,
    Services,
}

fn classify(header: &str) -> Option<(Kind, Cow<'_, str>)> {
    let header = header.trim();
    if header == "default" {
        return Some((Kind::Profile, Cow::Borrowed("default")));
    }
    for (prefix, kind) in [
        ("profile", Kind::Profile),
        ("sso-session", Kind::Session),
        ("services", Kind::Services),
    ] {
        if header.starts_with(prefix) {
            // The common case, without quotes or escapes, needs no shell splitting.
            if !header.contains(['"', '\'', '\\']) {
                let mut words = header.split_ascii_whitespace();
                return match (words.next(), words.next(), words.next()) {
                    (Some(first), Some(name), None) if first == prefix => {
                        Some((kind, Cow::Borrowed(name)))
                    }
                    _ => None,
                };
            }
            let words = shell_words(header)?;
            return match words.as_slice() {
                [first, name] if first == prefix => Some((kind, Cow::Owned(name.clone()))),
                _ => None,
            };
        }
    }
    None
}

/// POSIX-style word splitting for section headers (botocore uses `shlex.split`).
pub(crate) fn shell_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut has_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                has_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                has_word = true;
                word.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if has_word {
                    words.push(std::mem::take(&mut word));
                    has_word = false;
                }
            }
            c => {
                has_word = true;
                word.push(c);
            }
        }
    }
    if has_word {
        words.push(word);
    }
    Some(words)
}

fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let i = line.bytes().position(|b| b == b'=' || b == b':')?;
    let key = line[..i].trim_ascii();
    if key.is_empty() {
        return None;
    }
    Some((key, line[i + 1..].trim_ascii()))
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
    /// The profile a layout-A profile points at: one with no SSO settings of its
    /// own whose `credential_process` runs `sso-helper --profile X` (X another
    /// profile). Commands given such a profile work on X, as the SDKs would.
    pub fn companion_target(&self, profile: &str) -> Option<String> {
        let section = self.profile(profile)?;
        let own = [
            SESSION_KEYS,
            START_URL_KEYS,
            REGION_KEYS,
            ACCOUNT_KEYS,
            ROLE_KEYS,
        ]
        .iter()
        .any(|keys| section.first(keys).is_some());
        if own {
            return None;
        }
        let target = helper_profile_arg(section.get("credential_process")?)??;
        (target != profile).then_some(target)
    }

    /// The session a profile uses (SPEC §2 resolution order).
    pub fn session_for_profile(&self, profile: &str) -> Result<SsoSession> {
        let section = self
            .profile(profile)
            .ok_or_else(|| self.profile_not_found(profile))?;
        let who = format!("[{}]", profile_header(profile));

        if let Some((skey, sname)) = section.first(SESSION_KEYS) {
            if !self.sessions.contains_key(sname) {
                return Err(Error::config(
                    &self.path,
                    format!(
                        "{who} has {skey} = {sname}, but there is no [sso-session {sname}] section"
                    ),
                    format!(
                        "add [sso-session {sname}] with sso_start_url and sso_region, or correct {skey}"
                    ),
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
                })
            }
        }
    }

    /// A `[sso-session NAME]` section.
    pub fn session(&self, name: &str) -> Result<SsoSession> {
        let who = format!("[sso-session {name}]");
        let section = self.sessions.get(name).ok_or_else(|| {
            Error::config(
                &self.path,
                format!("there is no {who} section"),
                format!("add {who} with sso_start_url and sso_region"),
            )
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

/// How a credential_process command runs sso-helper: `Some(profile flag)` when its
/// program is sso-helper.
pub fn helper_profile_arg(command: &str) -> Option<Option<String>> {
    let words = shell_words(command)?;
    let program = words.first()?;
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    if base != "sso-helper" {
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
             [services local]\nsso =\n  endpoint_url = http://127.0.0.1:1\nsso_oidc =\n  Endpoint_URL = http://127.0.0.1:2\n",
        );
        assert_eq!(
            f.profile("with space").unwrap().get("region"),
            Some("eu-west-1 # kept")
        );
        assert!(f.profile("a").is_none() && f.profile("a b c").is_none());
        let s = &f.services["local"];
        assert_eq!(
            s.nested("sso"),
            vec![("endpoint_url".to_string(), "http://127.0.0.1:1".to_string())]
        );
        assert_eq!(s.nested("sso_oidc")[0].1, "http://127.0.0.1:2");
    }

    #[test]
    fn repeated_sections_merge_and_keys_ignore_case() {
        let f = parse(
            "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\n[plugins]\nfoo = bar\n\
             [sso-session s]\nSSO_Region = eu-west-1\n[profile p]\nsso_session = s\n[profile p]\nsso_helper_role_name = R\n",
        );
        let s = f.session("s").unwrap();
        assert_eq!(
            (s.start_url.as_str(), s.region.as_str()),
            ("https://x.awsapps.com/start", "eu-west-1")
        );
        let p = f.profile("p").unwrap();
        assert_eq!(p.get("sso_session"), Some("s"));
        assert_eq!(p.get("sso_helper_role_name"), Some("R"));
        assert_eq!(
            format!("{p:?}"),
            r#"["sso_session", "sso_helper_role_name"]"#
        );
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
                .contains("line 2: `junk` is not a `key = value`")
        );
    }
}
