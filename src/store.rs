//! Where tokens, client registrations and role credentials live (SPEC §4). The
//! only module that reads or writes them.
//!
//! `FileStore` is the AWS CLI's own cache, byte-compatible both ways:
//! `~/.aws/sso/cache/<sha1(session name | start URL)>.json` for the token,
//! `~/.aws/sso/cache/<sha1(registration key)>.json` for the client registration and
//! `~/.aws/cli/cache/<sha1(role key)>.json` for role credentials (reference §4, §5).
//! Files are 0600 in 0700 directories and written atomically; a corrupt or foreign
//! file reads as a miss and is left alone until a new value replaces it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::config::SsoSession;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::portal::RoleCredentials;
use crate::secret::Secret;
use crate::timestamp;
use crate::token::{Registration, Token};

/// Which (session, account, role) a set of role credentials belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKey {
    pub session: SsoSession,
    pub account_id: String,
    pub role_name: String,
}

/// The storage behind the credentials flow: the AWS CLI's files ([`FileStore`]) or
/// the OS keychain (`keychain::KeychainStore`).
///
/// A read is `Ok(None)` when the value is absent, corrupt or foreign — a miss; an
/// error means the store would not answer (a keychain that is locked, or whose
/// access prompt was denied or cannot be shown). Every caller, reports included,
/// sees that error: a refusal read as a miss would start a sign-in that could not
/// be stored either, or have `status` and `doctor` say "no token" and send the
/// user to a command that fails. The file store never fails a read, and says so
/// in its own infallible `load_*` methods.
pub trait Store {
    /// How `status`/`doctor` and messages name it.
    fn name(&self) -> &'static str;
    /// The session's token: `Ok(None)` when absent, corrupt or for another start URL.
    fn try_load_token(&self, session: &SsoSession) -> Result<Option<Token>>;
    fn save_token(&self, session: &SsoSession, token: &Token) -> Result<()>;
    fn delete_token(&self, session: &SsoSession) -> Result<()>;
    fn try_load_registration(&self, session: &SsoSession) -> Result<Option<Registration>>;
    fn save_registration(&self, session: &SsoSession, reg: &Registration) -> Result<()>;
    fn try_load_role_credentials(&self, key: &RoleKey) -> Result<Option<RoleCredentials>>;
    fn save_role_credentials(&self, key: &RoleKey, creds: &RoleCredentials) -> Result<()>;
    fn delete_registration(&self, session: &SsoSession) -> Result<()>;
    fn delete_role_credentials(&self, key: &RoleKey) -> Result<()>;
    /// Whether a sign-in's token could be stored: asked before a sign-in starts
    /// (the keychain: its default collection exists). The file store: always.
    fn check_writable(&self) -> Result<()> {
        Ok(())
    }
}

/// What chose the token store: `--token-store`, else `SSO_HELPER_TOKEN_STORE`,
/// else nothing (`auto`). A fix that switches stores must name a setting that
/// works: the flag beats the variable, so when the flag chose, setting the
/// variable changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenBy {
    Flag,
    Variable,
    Default,
}

impl ChosenBy {
    /// The store asked for (`auto` when nothing asks) and what asked for it.
    pub fn resolve<'a>(flag: Option<&'a str>, variable: Option<&'a str>) -> (&'a str, ChosenBy) {
        match (flag, variable) {
            (Some(v), _) => (v, ChosenBy::Flag),
            (None, Some(v)) => (v, ChosenBy::Variable),
            (None, None) => ("auto", ChosenBy::Default),
        }
    }

    /// The setting's name, for messages about its value.
    pub fn setting(self) -> &'static str {
        match self {
            ChosenBy::Flag => "--token-store",
            ChosenBy::Variable | ChosenBy::Default => "SSO_HELPER_TOKEN_STORE",
        }
    }

    /// How to choose the file store instead, as the user types it in the
    /// platform's shells ([`set_file_store`]).
    pub fn use_file_store(self) -> &'static str {
        match self {
            ChosenBy::Flag => "pass --token-store file instead",
            ChosenBy::Variable | ChosenBy::Default => set_file_store(Platform::current()),
        }
    }
}

/// Setting `SSO_HELPER_TOKEN_STORE=file`, as typed on `platform`: `export` in a
/// POSIX shell and fish (a bare `set NAME=value` there sets the positional
/// parameters, and fish refuses it); `set` in cmd.exe, `$Env:` in PowerShell.
pub fn set_file_store(platform: Platform) -> &'static str {
    match platform {
        Platform::Linux | Platform::MacOs => {
            "export SSO_HELPER_TOKEN_STORE=file or pass --token-store file"
        }
        Platform::Windows => {
            "set SSO_HELPER_TOKEN_STORE=file (cmd.exe) or $Env:SSO_HELPER_TOKEN_STORE = 'file' \
             (PowerShell), or pass --token-store file"
        }
    }
}

pub struct FileStore {
    sso_cache: PathBuf,
    cli_cache: PathBuf,
}

impl FileStore {
    /// The store under an `~/.aws` directory.
    pub fn new(aws_dir: &Path) -> FileStore {
        FileStore {
            sso_cache: aws_dir.join("sso").join("cache"),
            cli_cache: aws_dir.join("cli").join("cache"),
        }
    }

    pub fn token_path(&self, session: &SsoSession) -> PathBuf {
        self.sso_cache
            .join(format!("{}.json", sha1_hex(session.cache_key())))
    }

    pub fn registration_path(&self, session: &SsoSession) -> PathBuf {
        self.sso_cache
            .join(format!("{}.json", sha1_hex(&registration_key(session))))
    }

    pub fn role_path(&self, key: &RoleKey) -> PathBuf {
        self.cli_cache
            .join(format!("{}.json", sha1_hex(&role_key(key))))
    }

    /// The session's token: `None` when absent, corrupt or for another start URL.
    pub fn load_token(&self, session: &SsoSession) -> Option<Token> {
        read_json::<TokenFile>(&self.token_path(session)).and_then(|t| t.into_token(session))
    }

    pub fn load_registration(&self, session: &SsoSession) -> Option<Registration> {
        read_json::<RegistrationFile>(&self.registration_path(session))
            .and_then(RegistrationFile::into_registration)
    }

    pub fn load_role_credentials(&self, key: &RoleKey) -> Option<RoleCredentials> {
        read_json::<RoleFile>(&self.role_path(key)).and_then(|f| f.into_credentials(key))
    }
}

// The token file, as `aws sso login` and botocore write it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    start_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    access_token: Secret,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<Secret>,
}

// aws-cli v2's registration cache file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RegistrationFile {
    client_id: String,
    client_secret: Secret,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grant_types: Option<Vec<String>>,
}

// aws-cli v2's role-credential cache file.
#[derive(Serialize, Deserialize)]
pub(crate) struct RoleFile {
    #[serde(rename = "ProviderType", default)]
    provider_type: Option<String>,
    #[serde(rename = "Credentials")]
    credentials: RoleFileCredentials,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleFileCredentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
    expiration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
}

impl TokenFile {
    pub(crate) fn from_token(token: &Token) -> TokenFile {
        let reg = token.registration.as_ref();
        TokenFile {
            start_url: Some(token.start_url.clone()),
            region: Some(token.region.clone()),
            access_token: token.access_token.clone(),
            expires_at: timestamp::format_utc(token.expires_at),
            client_id: reg.map(|r| r.client_id.clone()),
            client_secret: reg.map(|r| r.client_secret.clone()),
            registration_expires_at: reg.map(|r| timestamp::format_utc(r.expires_at)),
            refresh_token: token.refresh_token.clone(),
        }
    }

    /// The token, if it belongs to `session`: a token is bound to its start URL and
    /// region (SPEC §8).
    pub(crate) fn into_token(self, session: &SsoSession) -> Option<Token> {
        if self.start_url.as_deref() != Some(session.start_url.as_str()) {
            return None;
        }
        if self.region.as_deref().is_some_and(|r| r != session.region) {
            return None;
        }
        // A token that could not go into a header is a miss, like a corrupt file.
        if !crate::portal::valid_credential_value(self.access_token.expose()) {
            return None;
        }
        let refresh_token = self
            .refresh_token
            .filter(|t| crate::portal::valid_credential_value(t.expose()));
        let registration = match (
            self.client_id,
            self.client_secret,
            self.registration_expires_at,
        ) {
            (Some(client_id), Some(client_secret), Some(exp)) => Some(Registration {
                client_id,
                client_secret,
                expires_at: timestamp::parse(&exp)?,
                scopes: Vec::new(),
                grant_types: Vec::new(),
            }),
            _ => None,
        };
        Some(Token {
            start_url: session.start_url.clone(),
            region: session.region.clone(),
            access_token: self.access_token,
            expires_at: timestamp::parse(&self.expires_at)?,
            refresh_token,
            registration,
        })
    }
}

impl RegistrationFile {
    pub(crate) fn from_registration(reg: &Registration) -> RegistrationFile {
        RegistrationFile {
            client_id: reg.client_id.clone(),
            client_secret: reg.client_secret.clone(),
            expires_at: timestamp::format_utc(reg.expires_at),
            scopes: (!reg.scopes.is_empty()).then(|| reg.scopes.clone()),
            grant_types: (!reg.grant_types.is_empty()).then(|| reg.grant_types.clone()),
        }
    }

    pub(crate) fn into_registration(self) -> Option<Registration> {
        Some(Registration {
            client_id: self.client_id,
            client_secret: self.client_secret,
            expires_at: timestamp::parse(&self.expires_at)?,
            scopes: self.scopes.unwrap_or_default(),
            grant_types: self.grant_types.unwrap_or_default(),
        })
    }
}

impl RoleFile {
    pub(crate) fn from_credentials(key: &RoleKey, creds: &RoleCredentials) -> RoleFile {
        RoleFile {
            provider_type: Some("sso".into()),
            credentials: RoleFileCredentials {
                access_key_id: creds.access_key_id.clone(),
                secret_access_key: creds.secret_access_key.clone(),
                session_token: creds.session_token.clone(),
                expiration: timestamp::format_utc(creds.expiration),
                account_id: Some(key.account_id.clone()),
            },
        }
    }

    /// The credentials, if they are SSO credentials for `key`'s account.
    pub(crate) fn into_credentials(self, key: &RoleKey) -> Option<RoleCredentials> {
        if self.provider_type.as_deref().is_some_and(|p| p != "sso") {
            return None;
        }
        let c = self.credentials;
        if c.account_id.as_deref().is_some_and(|a| a != key.account_id) {
            return None;
        }
        // A cache file is input too: values that could not be printed safely are a miss.
        let valid = [
            c.access_key_id.as_str(),
            c.secret_access_key.expose(),
            c.session_token.expose(),
        ]
        .into_iter()
        .all(crate::portal::valid_credential_value);
        if !valid {
            return None;
        }
        Some(RoleCredentials {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: c.session_token,
            expiration: timestamp::parse(&c.expiration)?,
            account_id: key.account_id.clone(),
        })
    }
}

impl Store for FileStore {
    fn name(&self) -> &'static str {
        "file"
    }

    fn try_load_token(&self, session: &SsoSession) -> Result<Option<Token>> {
        Ok(self.load_token(session))
    }

    fn save_token(&self, session: &SsoSession, token: &Token) -> Result<()> {
        write_json(&self.token_path(session), &TokenFile::from_token(token))
    }

    fn delete_token(&self, session: &SsoSession) -> Result<()> {
        remove(&self.token_path(session))
    }

    fn try_load_registration(&self, session: &SsoSession) -> Result<Option<Registration>> {
        Ok(self.load_registration(session))
    }

    fn save_registration(&self, session: &SsoSession, reg: &Registration) -> Result<()> {
        write_json(
            &self.registration_path(session),
            &RegistrationFile::from_registration(reg),
        )
    }

    fn try_load_role_credentials(&self, key: &RoleKey) -> Result<Option<RoleCredentials>> {
        Ok(self.load_role_credentials(key))
    }

    fn save_role_credentials(&self, key: &RoleKey, creds: &RoleCredentials) -> Result<()> {
        write_json(
            &self.role_path(key),
            &RoleFile::from_credentials(key, creds),
        )
    }

    fn delete_registration(&self, session: &SsoSession) -> Result<()> {
        remove(&self.registration_path(session))
    }

    fn delete_role_credentials(&self, key: &RoleKey) -> Result<()> {
        remove(&self.role_path(key))
    }
}

/// Which roles sso-helper has cached credentials for, per session, so that
/// `logout` deletes them all — also those of roles the config no longer names.
/// One small file per (session, account, role) under
/// `~/.aws/sso-helper/roles/<sha1 of the session's cache key>/`, holding the
/// account id and role name only (no secret); written when credentials are cached,
/// never read on the warm path. One file per role: roles cache in parallel
/// without a read-modify-write race.
pub struct RoleIndex {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleIndexEntry {
    account_id: String,
    role_name: String,
}

impl RoleIndex {
    pub fn new(aws_dir: &Path) -> RoleIndex {
        RoleIndex {
            dir: aws_dir.join("sso-helper").join("roles"),
        }
    }

    fn session_dir(&self, session: &SsoSession) -> PathBuf {
        self.dir.join(sha1_hex(session.cache_key()))
    }

    /// Records that `key`'s credentials are cached.
    pub fn add(&self, key: &RoleKey) -> Result<()> {
        let file = self.session_dir(&key.session).join(format!(
            "{}.json",
            sha1_hex(&format!("{}\n{}", key.account_id, key.role_name))
        ));
        if file.exists() {
            return Ok(());
        }
        write_json(
            &file,
            &RoleIndexEntry {
                account_id: key.account_id.clone(),
                role_name: key.role_name.clone(),
            },
        )
    }

    /// Every role recorded for `session`.
    pub fn roles(&self, session: &SsoSession) -> Vec<RoleKey> {
        let Ok(entries) = fs::read_dir(self.session_dir(session)) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| read_json::<RoleIndexEntry>(&e.path()))
            .map(|e| RoleKey {
                session: session.clone(),
                account_id: e.account_id,
                role_name: e.role_name,
            })
            .collect()
    }

    /// Forgets `session`'s roles (after their credentials are deleted).
    pub fn clear(&self, session: &SsoSession) -> Result<()> {
        let dir = self.session_dir(session);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Io {
                action: "delete",
                path: dir,
                source,
            }),
        }
    }
}

pub fn sha1_hex(s: &str) -> String {
    let digest = Sha1::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// aws-cli v2's registration cache key: Python's `json.dumps(…, sort_keys=True)`
/// with its default `", "` / `": "` separators and ASCII escaping.
fn registration_key(session: &SsoSession) -> String {
    // The configured scopes (or null) name the file whichever flow registered;
    // the flows tell their registrations apart by `grantTypes` inside it.
    let scopes = if session.scopes.is_empty() {
        "null".to_string()
    } else {
        let items: Vec<String> = session.scopes.iter().map(|s| py_json_str(s)).collect();
        format!("[{}]", items.join(", "))
    };
    let name = session
        .name
        .as_deref()
        .map_or("null".to_string(), py_json_str);
    format!(
        "{{\"region\": {}, \"scopes\": {scopes}, \"session_name\": {name}, \"startUrl\": {}, \"tool\": \"botocore\"}}",
        py_json_str(&session.region),
        py_json_str(&session.start_url)
    )
}

/// aws-cli v2's role-credential cache key: compact, key-sorted JSON.
fn role_key(key: &RoleKey) -> String {
    let (k, v) = match &key.session.name {
        Some(n) => ("sessionName", n.as_str()),
        None => ("startUrl", key.session.start_url.as_str()),
    };
    format!(
        "{{\"accountId\":{},\"roleName\":{},\"{k}\":{}}}",
        py_json_str(&key.account_id),
        py_json_str(&key.role_name),
        py_json_str(v)
    )
}

/// A JSON string exactly as Python's `json.dumps` writes it (`ensure_ascii=True`).
fn py_json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads a JSON file; any problem (absent, unreadable, corrupt, wrong shape) is a miss.
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let bytes = crate::readfile::read_regular(path, crate::readfile::CACHE_CAP).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes `value` as JSON to `path` atomically: a 0600 temp file in the same 0700
/// directory, flushed to disk, then renamed over the target.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().expect("cache files live in a directory");
    ensure_private_dir(dir).map_err(Error::io("create directory", dir))?;
    let body = serde_json::to_vec(value).expect("plain data serializes");
    sweep_stale_temps(dir);
    let tmp = temp_path(dir, path);
    let result = (|| {
        let mut f = private_file(&tmp)?;
        f.write_all(&body)?;
        f.sync_all()?;
        drop(f);
        replace_file(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(Error::io("write", path))
}

/// Renames `from` over `to`, the last step of every atomic write (cache files
/// here, the config and credentials files in `textfile`). On Windows the rename
/// fails for a moment while another process holds `to` open without
/// `FILE_SHARE_DELETE` — the AWS CLI reading its cache, an antivirus or indexer
/// scanning the new file — so there it is tried again for up to a second
/// ([`retry_transient`]).
pub(crate) fn replace_file(from: &Path, to: &Path) -> std::io::Result<()> {
    retry_transient(
        Platform::current(),
        || fs::rename(from, to),
        std::thread::sleep,
    )
}

/// The pauses between tries of a rename that failed for a moment: about a second
/// in all, short at first (most holders let go within milliseconds).
const RENAME_PAUSES_MS: [u64; 8] = [5, 10, 20, 40, 75, 150, 300, 400];

/// Whether a failed rename onto an existing file may succeed if tried again on
/// `platform`. On Windows `MoveFileEx` and `SetFileInformationByHandle` fail with
/// `ERROR_ACCESS_DENIED` (5, which std reports as `PermissionDenied`) or
/// `ERROR_SHARING_VIOLATION` (32) while another process has the target open; on
/// Unix a rename does not care who has the file open, so nothing is retried.
pub(crate) fn is_transient_rename_error(platform: Platform, e: &std::io::Error) -> bool {
    platform == Platform::Windows
        && (e.kind() == std::io::ErrorKind::PermissionDenied
            || matches!(e.raw_os_error(), Some(5 | 32)))
}

/// Runs `attempt` until it succeeds, fails in a way retrying cannot help
/// ([`is_transient_rename_error`]), or the pauses (about a second, slept through
/// `sleep`) are used up; the last error is returned.
pub(crate) fn retry_transient<T>(
    platform: Platform,
    mut attempt: impl FnMut() -> std::io::Result<T>,
    mut sleep: impl FnMut(std::time::Duration),
) -> std::io::Result<T> {
    let mut pauses = RENAME_PAUSES_MS.iter();
    loop {
        match attempt() {
            Err(e) if is_transient_rename_error(platform, &e) => match pauses.next() {
                Some(&ms) => sleep(std::time::Duration::from_millis(ms)),
                None => return Err(e),
            },
            other => return other,
        }
    }
}

/// The temp file a write of `path` goes through, in `dir`:
/// `.NAME.PID.NANOS.tmp` — the process id lets a later writer tell a killed
/// writer's leftover from a write in progress (`sweep_stale_temps`).
pub(crate) fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    dir.join(format!(
        ".{}.{}.{:x}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp_nanos() as u64
    ))
}

/// Deletes what killed writes left in `dir`: our temp files (which may hold
/// tokens or credentials) whose writer is gone, or which are older than any write
/// takes. Run by every write, so a leftover lives until the next write there at
/// most. Best effort: a file that cannot be deleted stays.
pub(crate) fn sweep_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = temp_writer(name) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(120));
        if old || !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The writer's process id in one of our temp names (`.NAME.PID.HEX.tmp`).
fn temp_writer(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = inner.rsplitn(3, '.');
    let hex = parts.next()?;
    let pid = parts.next()?;
    parts.next()?;
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` still runs. Linux answers through /proc; elsewhere the
/// age of the file decides alone.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            action: "delete",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Creates `dir` (and its parents) 0700, or makes an existing one 0700. A
/// directory that is a symbolic link is the user's choice of place (dotfiles,
/// a shared mount): it is used as it is, and its target is never chmod-ed.
#[cfg(unix)]
pub(crate) fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return if dir.is_dir() {
            Ok(())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "it is a symbolic link to something that is not a directory",
            ))
        };
    }
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let meta = fs::metadata(dir)?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn session(name: Option<&str>, url: &str, scopes: &[&str]) -> SsoSession {
        SsoSession {
            name: name.map(str::to_string),
            start_url: url.into(),
            region: "us-east-1".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            login_flow: None,
            redirect_port: None,
        }
    }

    const URL: &str = "https://d-90670000aa.awsapps.com/start";

    fn file_name(p: &Path) -> String {
        p.file_name().unwrap().to_string_lossy().into_owned()
    }

    #[test]
    fn token_file_names_match_the_aws_cli() {
        let s = FileStore::new(Path::new("/h/.aws"));
        let name = |sess: &SsoSession| file_name(&s.token_path(sess));
        assert_eq!(
            name(&session(None, URL, &[])),
            "2d4c8509422e455e1af0cfec2a15abb2c6ae75c6.json"
        );
        assert_eq!(
            name(&session(None, &format!("{URL}/"), &[])),
            "8e00a0885b3da1e08d456b38768058e751a1d66f.json"
        );
        assert_eq!(
            name(&session(Some("corp"), URL, &[])),
            "ee0bfd2552fbd840c02cc48b6e823320543c450f.json"
        );
        assert_eq!(
            sha1_hex("admin"),
            "d033e22ae348aeb5660fc2140aec35850c4da997"
        );
        assert_eq!(
            sha1_hex("https://d-92671207e4.awsapps.com/start"),
            "13f9d35043871d073ab260e020f0ffde092cb14b"
        );
        assert!(
            s.token_path(&session(Some("corp"), URL, &[]))
                .starts_with("/h/.aws/sso/cache")
        );
    }

    #[test]
    fn registration_file_names_match_the_aws_cli() {
        let s = FileStore::new(Path::new("/h/.aws"));
        let name = |sess: &SsoSession| file_name(&s.registration_path(sess));
        assert_eq!(
            name(&session(Some("corp"), URL, &[])),
            "dd182ba64710c58def0b9980449df93033674740.json"
        );
        assert_eq!(
            name(&session(Some("corp"), URL, &["sso:account:access"])),
            "10c6e02d1c279c9353643a7790e6b299ebcb3a8f.json"
        );
        assert_eq!(
            name(&session(None, URL, &[])),
            "7862e7ae54edc2a808213d8115f29e605fe2a7e9.json"
        );
    }

    #[test]
    fn role_file_name_matches_the_aws_cli() {
        let key = RoleKey {
            session: session(Some("corp"), URL, &[]),
            account_id: "111111111111".into(),
            role_name: "ReadOnly".into(),
        };
        assert_eq!(
            file_name(&FileStore::new(Path::new("/h")).role_path(&key)),
            "e83cab308910340ce11a566ebf0b9e96b40f6c39.json"
        );
    }

    #[test]
    fn temp_names_carry_their_writer() {
        let t = temp_path(Path::new("/d"), Path::new("/d/abc.json"));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert_eq!(temp_writer(name), Some(std::process::id()));
        assert_eq!(temp_writer(".credentials.42.1f.tmp"), Some(42));
        for other in [
            "tmpk3j2l1.tmp",
            ".x.tmp",
            "abc.json",
            ".a.b.zz.tmp",
            ".a.notpid.1f.tmp",
        ] {
            assert_eq!(temp_writer(other), None, "{other}");
        }
    }

    /// The flag beats the variable: a fix after `--token-store` names the flag
    /// alone, since setting the variable would change nothing.
    /// The variable is set as each platform's shells set it: never a bare
    /// `set NAME=value` on Unix, where sh takes it as positional parameters.
    #[test]
    fn the_file_store_variable_is_set_as_each_platforms_shells_set_it() {
        for platform in [Platform::Linux, Platform::MacOs] {
            let hint = set_file_store(platform);
            assert!(
                hint.starts_with("export SSO_HELPER_TOKEN_STORE=file"),
                "{hint}"
            );
            assert!(!hint.contains("set SSO"), "{hint}");
        }
        let windows = set_file_store(Platform::Windows);
        assert!(windows.contains("set SSO_HELPER_TOKEN_STORE=file (cmd.exe)"));
        assert!(windows.contains("$Env:SSO_HELPER_TOKEN_STORE = 'file'"));
        for platform in Platform::ALL {
            assert!(set_file_store(platform).contains("--token-store file"));
        }
    }

    #[test]
    fn the_setting_that_chose_the_store_is_the_one_a_fix_names() {
        assert_eq!(
            ChosenBy::resolve(Some("keychain"), Some("file")),
            ("keychain", ChosenBy::Flag)
        );
        assert_eq!(
            ChosenBy::resolve(None, Some("keychain")),
            ("keychain", ChosenBy::Variable)
        );
        assert_eq!(ChosenBy::resolve(None, None), ("auto", ChosenBy::Default));
        assert_eq!(
            ChosenBy::Flag.use_file_store(),
            "pass --token-store file instead"
        );
        for either in [ChosenBy::Variable, ChosenBy::Default] {
            assert!(
                either
                    .use_file_store()
                    .contains("SSO_HELPER_TOKEN_STORE=file")
            );
            assert!(either.use_file_store().contains("--token-store file"));
        }
        assert_eq!(ChosenBy::Flag.setting(), "--token-store");
        assert_eq!(ChosenBy::Variable.setting(), "SSO_HELPER_TOKEN_STORE");
    }

    #[test]
    fn python_json_escaping() {
        assert_eq!(py_json_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(py_json_str("é😀\u{1}"), r#""\u00e9\ud83d\ude00\u0001""#);
    }

    #[test]
    fn round_trips_and_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let sess = session(Some("corp"), URL, &[]);
        let reg = Registration {
            client_id: "cid".into(),
            client_secret: Secret::new("csecret"),
            expires_at: datetime!(2027-01-01 00:00:00 UTC),
            scopes: vec![],
            grant_types: vec![],
        };
        let token = Token {
            start_url: URL.into(),
            region: "us-east-1".into(),
            access_token: Secret::new("aoa"),
            expires_at: datetime!(2026-11-23 20:00:00 UTC),
            refresh_token: Some(Secret::new("aor")),
            registration: Some(reg.clone()),
        };
        store.save_token(&sess, &token).unwrap();
        let mut want = token.clone();
        want.registration.as_mut().unwrap().scopes = vec![];
        assert_eq!(store.load_token(&sess), Some(want));
        let text = fs::read_to_string(store.token_path(&sess)).unwrap();
        assert!(
            text.contains("\"expiresAt\":\"2026-11-23T20:00:00Z\"")
                && text.contains("\"startUrl\""),
            "{text}"
        );
        // Another start URL under the same session name: foreign, a miss.
        assert_eq!(
            store.load_token(&session(
                Some("corp"),
                "https://other.awsapps.com/start",
                &[]
            )),
            None
        );
        store.save_registration(&sess, &reg).unwrap();
        assert_eq!(store.load_registration(&sess), Some(reg));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&store.token_path(&sess)), 0o600);
            assert_eq!(mode(store.token_path(&sess).parent().unwrap()), 0o700);
        }
        // Nothing but the two files is left behind (no temp files).
        assert_eq!(
            fs::read_dir(store.token_path(&sess).parent().unwrap())
                .unwrap()
                .count(),
            2
        );
        store.delete_token(&sess).unwrap();
        assert_eq!(store.load_token(&sess), None);
        store.delete_token(&sess).unwrap();
    }

    /// A rename that fails `failures` times with `error`, then succeeds; the
    /// pauses slept between tries.
    fn flaky_rename(
        platform: Platform,
        failures: usize,
        error: impl Fn() -> std::io::Error,
    ) -> (std::io::Result<()>, usize, Vec<std::time::Duration>) {
        let mut tries = 0;
        let mut pauses = Vec::new();
        let result = retry_transient(
            platform,
            || {
                tries += 1;
                if tries <= failures {
                    Err(error())
                } else {
                    Ok(())
                }
            },
            |d| pauses.push(d),
        );
        (result, tries, pauses)
    }

    #[test]
    fn a_rename_windows_refuses_for_a_moment_is_tried_again() {
        let sharing = || std::io::Error::from_raw_os_error(32);
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        for error in [&sharing as &dyn Fn() -> std::io::Error, &denied] {
            let (result, tries, pauses) = flaky_rename(Platform::Windows, 3, error);
            assert!(result.is_ok());
            assert_eq!(tries, 4);
            assert_eq!(pauses.len(), 3);
            // Held open for good: about a second of tries, then the error.
            let (result, tries, pauses) = flaky_rename(Platform::Windows, usize::MAX, error);
            assert!(result.is_err());
            assert_eq!(tries, RENAME_PAUSES_MS.len() + 1);
            let waited: std::time::Duration = pauses.iter().sum();
            assert!(
                waited >= std::time::Duration::from_millis(900)
                    && waited <= std::time::Duration::from_millis(1100),
                "{waited:?}"
            );
        }
        // ERROR_ACCESS_DENIED as a raw code (what std reports it from).
        assert!(is_transient_rename_error(
            Platform::Windows,
            &std::io::Error::from_raw_os_error(5)
        ));
    }

    #[test]
    fn other_failures_and_other_platforms_are_not_retried() {
        // Unix renames do not care who has the file open: a refusal is final.
        for platform in [Platform::Linux, Platform::MacOs] {
            let (result, tries, pauses) = flaky_rename(platform, 1, || {
                std::io::Error::from(std::io::ErrorKind::PermissionDenied)
            });
            assert!(result.is_err());
            assert_eq!((tries, pauses.len()), (1, 0));
        }
        // A missing directory or a full disk will not pass in a second.
        for error in [
            std::io::ErrorKind::NotFound,
            std::io::ErrorKind::StorageFull,
        ] {
            let (result, tries, _) = flaky_rename(Platform::Windows, 1, || error.into());
            assert!(result.is_err());
            assert_eq!(tries, 1);
        }
        let (result, tries, pauses) = flaky_rename(Platform::Windows, 0, || unreachable!());
        assert!(result.is_ok());
        assert_eq!((tries, pauses.len()), (1, 0));
    }

    #[test]
    fn corrupt_files_are_misses_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let sess = session(Some("corp"), URL, &[]);
        let path = store.token_path(&sess);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        for junk in [
            "",
            "{",
            "[]",
            "{\"accessToken\":1}",
            "{\"accessToken\":\"a\",\"expiresAt\":\"never\",\"startUrl\":\"x\"}",
        ] {
            fs::write(&path, junk).unwrap();
            assert_eq!(store.load_token(&sess), None, "{junk}");
            assert_eq!(fs::read_to_string(&path).unwrap(), junk);
        }
    }
}
