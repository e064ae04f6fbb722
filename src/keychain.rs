//! The OS keychain store (SPEC §4): the Secret Service on Linux and the BSDs
//! (gnome-keyring, KWallet, KeePassXC), the macOS Keychain or the Windows Credential
//! Manager. Per SSO session, three entries hold its access token, its refresh token
//! and its client registration; one entry per (session, account, role) holds role
//! credentials. Entries use the AWS CLI's JSON records (the refresh token is kept
//! as it is), so both stores share one set of conversions. Nothing is written to
//! disk.
//!
//! Every entry is found by the attributes `service` = `sso-helper` and `username` =
//! the entry's name (`token:<session>`, `role:<session>:<account>:<role>`, …), the
//! scheme of the `keyring` crate that wrote them before 0.2, so entries written then
//! are read now. A warm call makes one lookup: on the Secret Service that is four
//! D-Bus messages on one connection (`Hello`, `OpenSession`, `SearchItems`,
//! `GetSecret`; docs/performance.md counts them) in two round trips, the first
//! three sent together ([`crate::secret_service`]).
//!
//! **Sizes.** The Windows Credential Manager keeps at most
//! `CRED_MAX_CREDENTIAL_BLOB_SIZE` = 2,560 bytes per credential, and keyring
//! stores a password there as UTF-16: 1,280 UTF-16 code units of text
//! ([`entry_limit`]). A client registration (its secret alone is about 4,800
//! characters) and long tokens do not fit, so a value longer than the limit is
//! split across entries ([`split`]): the entry itself holds a header and the
//! first piece, `kind#2:…`, `kind#3:…` the rest. The macOS Keychain and the
//! Secret Service have no limit a value of ours comes near, so there every value
//! is one entry, as before.
//!
//! **Refusals.** A keychain that is locked, or whose access prompt is denied or
//! cannot be shown (no GUI session on macOS, as over SSH; no logon session on
//! Windows), is an error naming the file store ([`classify`]), never a miss that
//! would start a sign-in whose token could not be stored either.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

use crate::config::SsoSession;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::portal::RoleCredentials;
use crate::store::{ChosenBy, RegistrationFile, RoleFile, RoleKey, Store, TokenFile, sha1_hex};
use crate::token::{Registration, Token};

const SERVICE: &str = "sso-helper";

/// The keychain, opened once per process: on the Secret Service one D-Bus
/// connection and one session for every lookup the call makes.
pub struct KeychainStore {
    backend: platform::Backend,
    limit: EntryLimit,
    /// What chose this store: every error's fix names the setting that switches
    /// to the file store ([`fix_for`]).
    chosen: ChosenBy,
}

impl KeychainStore {
    /// The keychain, if one answers. Opening is the probe: on the Secret Service it
    /// connects to the session bus and opens a session with the service (which
    /// fails when no service is running); the macOS Keychain and the Windows
    /// Credential Manager are always there.
    ///
    /// `chosen` is what chose the keychain, for the fixes its errors suggest.
    /// `first`: the role credentials the caller will read first (the warm
    /// path), whose lookup the Secret Service is sent with the session's
    /// opening: a warm call is then two round trips to the bus, not three.
    ///
    /// # Errors
    /// [`Error::Keychain`] naming why the keychain cannot be reached.
    pub fn open(ctx: &Context, chosen: ChosenBy, first: Option<&RoleKey>) -> Result<KeychainStore> {
        Ok(KeychainStore {
            backend: platform::Backend::open(ctx, first.map(role_user).as_deref())
                .map_err(|e| fix_for(e, chosen))?,
            limit: entry_limit(Platform::current()),
            chosen,
        })
    }

    /// Whether a new entry could be created (for `doctor`): on the Secret Service,
    /// that its default collection exists (`ReadAlias default`) — a gnome-keyring
    /// started with no login keyring answers every search and then refuses every
    /// write. The macOS Keychain and the Credential Manager: always.
    ///
    /// # Errors
    /// [`Error::Keychain`] naming what is missing, with the fix for `chosen`.
    pub fn check_writable(&self) -> Result<()> {
        self.backend
            .check_writable()
            .map_err(|e| fix_for(e, self.chosen))
    }

    /// The entry's text: `None` when it is absent or not ours (not text, or its
    /// parts do not add up); an error when the keychain would not answer.
    fn text(&self, user: &str) -> Result<Option<String>> {
        read_entry(&self.backend, user).map_err(|e| fix_for(e, self.chosen))
    }

    /// An entry's JSON: a corrupt or foreign one is a miss.
    fn read<T: for<'de> Deserialize<'de>>(&self, user: &str) -> Result<Option<T>> {
        Ok(self
            .text(user)?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    fn write<T: Serialize>(&self, user: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).expect("plain data serializes");
        self.write_text(user, &text)
    }

    fn write_text(&self, user: &str, text: &str) -> Result<()> {
        write_entry(&self.backend, self.limit, user, text).map_err(|e| fix_for(e, self.chosen))
    }

    fn delete(&self, user: &str) -> Result<()> {
        delete_entry(&self.backend, self.limit, user).map_err(|e| fix_for(e, self.chosen))
    }
}

fn token_user(session: &SsoSession) -> String {
    format!("token:{}", session.cache_key())
}

fn refresh_user(session: &SsoSession) -> String {
    format!("refresh:{}", session.cache_key())
}

fn registration_user(session: &SsoSession) -> String {
    format!("registration:{}", session.cache_key())
}

fn role_user(key: &RoleKey) -> String {
    format!(
        "role:{}:{}:{}",
        key.session.cache_key(),
        key.account_id,
        key.role_name
    )
}

impl Store for KeychainStore {
    fn name(&self) -> &'static str {
        "keychain"
    }

    fn check_writable(&self) -> Result<()> {
        KeychainStore::check_writable(self)
    }

    /// Reads the token entry and, only when there is a token, the refresh token
    /// and the registration (three entries).
    fn try_load_token(&self, session: &SsoSession) -> Result<Option<Token>> {
        let Some(file) = self.read::<TokenFile>(&token_user(session))? else {
            return Ok(None);
        };
        let Some(mut token) = file.into_token(session) else {
            return Ok(None);
        };
        token.refresh_token = self
            .text(&refresh_user(session))?
            .filter(|t| crate::portal::valid_credential_value(t))
            .map(Secret::new);
        token.registration = self.try_load_registration(session)?;
        Ok(Some(token))
    }

    fn save_token(&self, session: &SsoSession, token: &Token) -> Result<()> {
        let mut bare = token.clone();
        let refresh = bare.refresh_token.take();
        let registration = bare.registration.take();
        self.write(&token_user(session), &TokenFile::from_token(&bare))?;
        match refresh {
            Some(r) => self.write_text(&refresh_user(session), r.expose())?,
            None => self.delete(&refresh_user(session))?,
        }
        if let Some(reg) = registration {
            self.save_registration(session, &reg)?;
        }
        Ok(())
    }

    fn delete_token(&self, session: &SsoSession) -> Result<()> {
        self.delete(&token_user(session))?;
        self.delete(&refresh_user(session))
    }

    fn try_load_registration(&self, session: &SsoSession) -> Result<Option<Registration>> {
        Ok(self
            .read::<RegistrationFile>(&registration_user(session))?
            .and_then(RegistrationFile::into_registration))
    }

    fn save_registration(&self, session: &SsoSession, reg: &Registration) -> Result<()> {
        self.write(
            &registration_user(session),
            &RegistrationFile::from_registration(reg),
        )
    }

    /// One entry (on Windows, one per piece of a split value): the warm path.
    fn try_load_role_credentials(&self, key: &RoleKey) -> Result<Option<RoleCredentials>> {
        Ok(self
            .read::<RoleFile>(&role_user(key))?
            .and_then(|f| f.into_credentials(key)))
    }

    fn save_role_credentials(&self, key: &RoleKey, creds: &RoleCredentials) -> Result<()> {
        self.write(&role_user(key), &RoleFile::from_credentials(key, creds))
    }

    fn delete_registration(&self, session: &SsoSession) -> Result<()> {
        self.delete(&registration_user(session))
    }

    fn delete_role_credentials(&self, key: &RoleKey) -> Result<()> {
        self.delete(&role_user(key))
    }
}

// ---------------------------------------------------------------------------
// Entry sizes: the limit of each platform's keychain, and values split to fit.

/// How much text one keychain entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryLimit {
    /// No limit a value of ours comes near (the largest, a client registration,
    /// is about 5,000 characters).
    Unlimited,
    /// At most this many UTF-16 code units.
    Utf16Units(usize),
}

/// The Windows Credential Manager's limit: `CRED_MAX_CREDENTIAL_BLOB_SIZE`
/// (2,560 bytes, `windows-sys` `Win32::Security::Credentials`) of UTF-16LE text —
/// keyring's `set_password` on Windows (windows-native-keyring-store 1.1,
/// `utils.rs` `validate_password`) encodes the text as UTF-16 and refuses a blob
/// over that many bytes.
pub(crate) const WINDOWS_ENTRY_UNITS: usize = 2560 / 2;

/// How much one entry holds in the keychain sso-helper uses on `platform`: the
/// Windows Credential Manager 1,280 UTF-16 code units; the macOS Keychain
/// (generic-password data, no documented limit) and the Secret Service (a D-Bus
/// byte array, up to 64 MiB) more than any value of ours.
pub(crate) fn entry_limit(platform: Platform) -> EntryLimit {
    match platform {
        Platform::Windows => EntryLimit::Utf16Units(WINDOWS_ENTRY_UNITS),
        Platform::Linux | Platform::MacOs => EntryLimit::Unlimited,
    }
}

impl EntryLimit {
    pub(crate) fn fits(self, text: &str) -> bool {
        match self {
            EntryLimit::Unlimited => true,
            EntryLimit::Utf16Units(max) => text.encode_utf16().count() <= max,
        }
    }
}

/// What the first entry of a split value begins with. No whole value can: JSON
/// begins with `{`, and a refresh token has no space.
const PARTS_MARK: &str = "sso-helper parts ";
/// The most entries one value is split across (a registration takes 4 on Windows).
const MAX_PARTS: usize = 99;
/// The longest header: the mark, two digits, a space, a SHA-1 in hex, a newline.
const HEADER_MAX: usize = PARTS_MARK.len() + 2 + 1 + 40 + 1;

/// The name of the `n`th entry (from 2) of a split value: `kind#n:rest`
/// (`registration#2:corp`). No entry's own name has a `#` before its first `:`,
/// whatever the session is called, so a part never meets an entry of its own.
pub(crate) fn part_user(user: &str, n: usize) -> String {
    match user.split_once(':') {
        Some((kind, rest)) => format!("{kind}#{n}:{rest}"),
        None => format!("{user}#{n}"),
    }
}

/// The texts of the entries that hold `value` under `limit`, in order: the value
/// alone when it fits; else a first entry `sso-helper parts N SHA1\n` followed by
/// the first piece, and N − 1 more pieces, each entry within the limit and no
/// character cut in two. The SHA-1 is of the whole value: a reader that meets
/// pieces of two different writes sees a mismatch, a miss, instead of a mix of
/// two sets of credentials. `None` when it would take more than 99 entries.
pub(crate) fn split(value: &str, limit: EntryLimit) -> Option<Vec<String>> {
    let max = match limit {
        EntryLimit::Utf16Units(max) if !limit.fits(value) => max,
        _ => return Some(vec![value.to_string()]),
    };
    if max < HEADER_MAX + 2 {
        return None;
    }
    let mut pieces = vec![String::new()];
    let (mut used, mut room) = (0, max - HEADER_MAX);
    for c in value.chars() {
        let units = c.len_utf16();
        if used + units > room {
            pieces.push(String::new());
            (used, room) = (0, max);
        }
        pieces.last_mut().expect("one piece at least").push(c);
        used += units;
    }
    if pieces.len() > MAX_PARTS {
        return None;
    }
    let header = format!("{PARTS_MARK}{} {}\n", pieces.len(), sha1_hex(value));
    pieces[0].insert_str(0, &header);
    Some(pieces)
}

/// A first entry's header: how many entries the value takes, its SHA-1 and the
/// first piece. `None` when the entry is not a header (a whole value) or a
/// malformed one.
fn parse_header(first: &str) -> Option<(usize, &str, &str)> {
    let (line, piece) = first.strip_prefix(PARTS_MARK)?.split_once('\n')?;
    let (count, digest) = line.split_once(' ')?;
    let count: usize = count.parse().ok()?;
    let hex = digest.len() == 40 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    ((2..=MAX_PARTS).contains(&count) && hex).then_some((count, digest, piece))
}

/// A keychain's entries as text: what reading and writing split values needs of
/// a backend (the platform's, and the in-memory one of the tests).
trait Entries {
    /// The entry's text: `None` when it is absent or not text.
    fn get(&self, user: &str) -> Result<Option<String>>;
    fn set(&self, user: &str, text: &str) -> Result<()>;
    /// Removes the entry; whether there was one.
    fn delete(&self, user: &str) -> Result<bool>;
}

/// The value stored under `user`, joined again when it was split: one lookup for
/// a whole value. Missing pieces, or pieces of another write, are a miss.
fn read_entry(entries: &impl Entries, user: &str) -> Result<Option<String>> {
    let Some(first) = entries.get(user)? else {
        return Ok(None);
    };
    if !first.starts_with(PARTS_MARK) {
        return Ok(Some(first));
    }
    let Some((count, digest, piece)) = parse_header(&first) else {
        return Ok(None);
    };
    let mut value = piece.to_string();
    for n in 2..=count {
        match entries.get(&part_user(user, n))? {
            Some(piece) => value.push_str(&piece),
            None => return Ok(None),
        }
    }
    Ok((sha1_hex(&value) == digest).then_some(value))
}

/// Stores `value` under `user` within `limit`. Where a limit applies the pieces
/// after the first are written first and the first entry, which names them, last;
/// then parts an earlier, longer value left are removed.
fn write_entry(entries: &impl Entries, limit: EntryLimit, user: &str, value: &str) -> Result<()> {
    if limit == EntryLimit::Unlimited {
        return entries.set(user, value);
    }
    let texts = split(value, limit).ok_or_else(|| Error::Keychain {
        action: "write to",
        detail: format!(
            "a value of {} characters is too long even split across {MAX_PARTS} entries",
            value.chars().count()
        ),
        refused: false,
    })?;
    let known = stored_parts(entries, user)?;
    for (i, text) in texts.iter().enumerate().skip(1) {
        entries.set(&part_user(user, i + 1), text)?;
    }
    entries.set(user, &texts[0])?;
    remove_parts(entries, user, texts.len(), known)
}

/// Removes the value stored under `user` and, where a limit applies, all its
/// parts.
fn delete_entry(entries: &impl Entries, limit: EntryLimit, user: &str) -> Result<()> {
    if limit != EntryLimit::Unlimited {
        let known = stored_parts(entries, user)?;
        remove_parts(entries, user, 1, known)?;
    }
    entries.delete(user).map(drop)
}

/// How many entries the value stored under `user` says it takes (1 when it is
/// whole or absent).
fn stored_parts(entries: &impl Entries, user: &str) -> Result<usize> {
    Ok(entries
        .get(user)?
        .as_deref()
        .and_then(parse_header)
        .map_or(1, |(count, ..)| count))
}

/// Removes the parts of `user` after the first `keep`: those the old header
/// named (`known`), from the last down, then any found after them up to the first
/// absent one — so a removal cut short leaves a run the next one finds.
fn remove_parts(entries: &impl Entries, user: &str, keep: usize, known: usize) -> Result<()> {
    for n in (keep + 1..=known).rev() {
        entries.delete(&part_user(user, n))?;
    }
    let mut n = keep.max(known) + 1;
    while n <= MAX_PARTS && entries.delete(&part_user(user, n))? {
        n += 1;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Refusals: what a failed keychain call means for the call that made it. The
// rules for keyring's errors serve the macOS and Windows backend; they are
// tested on every platform.

/// What a failed keychain call means.
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// There is no such entry: a miss.
    Absent,
    /// The entry holds something that is not ours (not text): a miss, like a
    /// corrupt file.
    Corrupt,
    /// The keychain refused: it is locked, its access prompt was denied or
    /// canceled, or no prompt can be shown. Stops the call, naming the file store.
    Denied,
    /// Anything else: stops the call.
    Failed,
}

/// keyring's error, as far as [`classify`] needs it: the variant of
/// `keyring::Error` and the platform's status code inside it.
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyringError {
    NoEntry,
    /// `NoStorageAccess`: macOS's errSecNotAvailable, errSecNoSuchKeychain,
    /// errSecReadOnly and the like; Windows's `ERROR_NO_SUCH_LOGON_SESSION`.
    NoStorageAccess(Option<i64>),
    /// `PlatformFailure`: any other status code.
    PlatformFailure(Option<i64>),
    /// `BadEncoding`, `BadDataFormat`: the stored bytes are not what was asked for.
    BadData,
    Other,
}

/// macOS Security framework statuses (`SecBase.h`) that mean the Keychain
/// refused or could not ask: userCanceledErr (−128, "Cancel" in the prompt),
/// errSecNoAccessForItem (−25243), errSecNotAvailable (−25291), errSecAuthFailed
/// (−25293, "Deny", or a wrong keychain password), errSecNoDefaultKeychain
/// (−25307), errSecInteractionNotAllowed (−25308: no GUI session, as over SSH),
/// errSecInteractionRequired (−25315).
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
const MACOS_REFUSALS: [i64; 7] = [-128, -25243, -25291, -25293, -25307, -25308, -25315];
/// Windows: ERROR_ACCESS_DENIED (5), ERROR_NO_SUCH_LOGON_SESSION (1312: no
/// credentials of an interactive sign-in, as over SSH with a key or in a service).
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
const WINDOWS_REFUSALS: [i64; 2] = [5, 1312];

/// What keyring's error means on `platform` (apple-native-keyring-store 1.0
/// `keychain.rs` `decode_error` and windows-native-keyring-store 1.1 `utils.rs`
/// `decode_error` say which status becomes which variant).
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
pub(crate) fn classify(platform: Platform, e: KeyringError) -> Fault {
    let refusals: &[i64] = match platform {
        Platform::MacOs => &MACOS_REFUSALS,
        Platform::Windows => &WINDOWS_REFUSALS,
        Platform::Linux => &[],
    };
    match e {
        KeyringError::NoEntry => Fault::Absent,
        KeyringError::BadData => Fault::Corrupt,
        KeyringError::NoStorageAccess(_) => Fault::Denied,
        KeyringError::PlatformFailure(Some(code)) if refusals.contains(&code) => Fault::Denied,
        KeyringError::PlatformFailure(_) | KeyringError::Other => Fault::Failed,
    }
}

/// The status code in the `Debug` text of a platform error keyring wraps:
/// security-framework's `Error { code: -25308, message: "…" }` on macOS,
/// windows-native-keyring-store's `PlatformError(1312)` on Windows — the first
/// integer in it. (keyring hands the error over as a boxed `dyn Error`; its
/// concrete types are not ours to name.)
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
pub(crate) fn status_code(debug: &str) -> Option<i64> {
    let start = debug.find(|c: char| c.is_ascii_digit())?;
    let negative = debug[..start].ends_with('-');
    let digits: String = debug[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n: i64 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}

/// Why a refusal happened, in words, for the error line.
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
pub(crate) fn refusal_detail(platform: Platform, code: Option<i64>) -> String {
    match (platform, code) {
        (Platform::MacOs, Some(-25308 | -25315)) => {
            "macOS cannot show the Keychain's access prompt here (no GUI session, as over SSH)"
                .into()
        }
        (Platform::MacOs, Some(-128)) => "the Keychain's access prompt was canceled".into(),
        (Platform::MacOs, Some(-25293 | -25243)) => {
            "the Keychain denied access to sso-helper's item".into()
        }
        (Platform::MacOs, c) => format!(
            "no Keychain can be used{}",
            c.map(|c| format!(" (status {c})")).unwrap_or_default()
        ),
        (Platform::Windows, Some(1312)) => {
            "Windows has no logon session whose Credential Manager sso-helper can use (as over \
             SSH with a key, or in a service)"
                .into()
        }
        (Platform::Windows, _) => "Windows denied access to the Credential Manager".into(),
        (Platform::Linux, _) => "the keyring is locked and was not unlocked".into(),
    }
}

/// What to do about a refusal: allow the prompt, or keep tokens in the AWS CLI's
/// file cache instead, chosen the way that works after `chosen` (both ways when
/// either does).
pub(crate) fn refusal_hint(platform: Platform, chosen: ChosenBy) -> String {
    let first = match platform {
        Platform::MacOs => {
            "allow sso-helper when macOS asks (Always Allow; a binary you built yourself is \
             asked about again after every rebuild)"
        }
        Platform::Windows => "run sso-helper in an interactive Windows sign-in",
        Platform::Linux => "unlock the keyring when asked",
    };
    format!(
        "{first}, or where no prompt can be answered keep tokens in the AWS CLI's file cache: \
         {}",
        chosen.use_file_store()
    )
}

/// The error for a refused keychain call: [`Error::Keychain`] with the refusal's
/// hint (as if nothing chose the store; [`fix_for`] makes it exact).
pub(crate) fn refusal(platform: Platform, action: &'static str, detail: String) -> Error {
    Error::Keychain {
        action,
        detail,
        refused: true,
    }
    .hinted(None, refusal_hint(platform, ChosenBy::Default))
}

/// A keychain error with the fix for what chose the store: a refusal's
/// (allow the prompt) or a failure's (start the keychain), each naming the
/// setting that switches to the file store. Applying it again gives the same;
/// other errors pass as they are.
pub(crate) fn fix_for(e: Error, chosen: ChosenBy) -> Error {
    let (refused, detail) = match &e {
        Error::Keychain {
            refused, detail, ..
        } => (*refused, detail.clone()),
        Error::Hinted { error, .. } => match &**error {
            Error::Keychain {
                refused, detail, ..
            } => (*refused, detail.clone()),
            _ => return e,
        },
        _ => return e,
    };
    let hint = |refused: bool| {
        if refused {
            refusal_hint(Platform::current(), chosen)
        } else {
            format!(
                "{}, or {} to use the AWS CLI's file cache",
                remedy(&detail),
                chosen.use_file_store()
            )
        }
    };
    match e {
        Error::Hinted { error, context, .. } => Error::Hinted {
            error,
            context,
            hint: hint(refused),
        },
        e => e.hinted(None, hint(refused)),
    }
}

/// What to do about a keychain that failed (not refused) as `detail` says.
fn remedy(detail: &str) -> &'static str {
    if detail == NO_DEFAULT_COLLECTION {
        "give the keychain a default keyring (a desktop login creates one)"
    } else if detail.starts_with("DBUS_SESSION_BUS_ADDRESS = ") {
        "set DBUS_SESSION_BUS_ADDRESS to the session bus's unix:path= address, or unset it"
    } else {
        "unlock or start the keychain (on Linux a Secret Service such as gnome-keyring)"
    }
}

/// What a Secret Service with no default collection is said to lack.
const NO_DEFAULT_COLLECTION: &str =
    "the Secret Service has no default collection (no login keyring)";

/// An entry's bytes as text. keyring stores a password as UTF-16LE on Windows
/// (what this module and sso-helper 0.1 write there) and as UTF-8 elsewhere; some
/// development builds wrote UTF-8 on Windows too. Every value of ours begins with
/// an ASCII character (`{`, a header, a refresh token), whose second byte in
/// UTF-16LE is 0 and in UTF-8 never is, so the encoding is told by that byte.
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
pub(crate) fn decode_entry(platform: Platform, bytes: Vec<u8>) -> Option<String> {
    if platform == Platform::Windows && bytes.len().is_multiple_of(2) && bytes.get(1) == Some(&0) {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        return String::from_utf16(&units).ok();
    }
    String::from_utf8(bytes).ok()
}

/// The Secret Service (freedesktop.org Secret Service API 0.2) through
/// [`crate::secret_service`]: one D-Bus connection and one `plain` session per
/// process, no threads.
#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use std::collections::HashMap;

    use super::{Entries, Fault, SERVICE};
    use crate::context::Context;
    use crate::error::{Error, Result};
    use crate::platform::Platform;
    use crate::secret_service::{self as ss, SecretService};

    const CONTENT_TYPE: &str = "text/plain";

    pub struct Backend {
        service: SecretService,
    }

    fn attributes(user: &str) -> HashMap<&str, &str> {
        HashMap::from([("service", SERVICE), ("username", user)])
    }

    /// What the Secret Service's error means: a locked keyring that stayed locked
    /// (its unlock prompt dismissed, or none could be shown) is a refusal.
    pub(super) fn classify(e: &ss::Error) -> Fault {
        match e {
            ss::Error::Dismissed => Fault::Denied,
            e if e.name() == Some("org.freedesktop.Secret.Error.IsLocked") => Fault::Denied,
            _ => Fault::Failed,
        }
    }

    /// The error, described without a payload (none of these carries a secret).
    pub(super) fn error(action: &'static str, e: ss::Error) -> Error {
        let fault = classify(&e);
        let detail = match e {
            ss::Error::Dismissed if action == "unlock" => {
                "the unlock prompt was dismissed (or could not be shown)".into()
            }
            ss::Error::Method { ref name, .. }
                if name == "org.freedesktop.DBus.Error.ServiceUnknown" =>
            {
                "no Secret Service is running".into()
            }
            ss::Error::Method { ref name, .. }
                if name == "org.freedesktop.Secret.Error.IsLocked" =>
            {
                "the keychain is locked".into()
            }
            other => other.to_string(),
        };
        match fault {
            Fault::Denied => super::refusal(Platform::Linux, action, detail),
            _ => Error::Keychain {
                action,
                detail,
                refused: false,
            },
        }
    }

    impl Backend {
        /// Connects to the session bus (`Hello`) and opens a `plain` session with
        /// the Secret Service (`OpenSession`), which fails when none is running.
        pub fn open(ctx: &Context, prefetch: Option<&str>) -> Result<Backend> {
            // A relative XDG_RUNTIME_DIR is invalid (XDG Base Directory
            // specification) and ignored, as sd-bus does.
            let runtime = match ctx.var("XDG_RUNTIME_DIR").filter(|d| d.starts_with('/')) {
                Some(dir) => std::path::PathBuf::from(dir),
                None => {
                    // Not /proc/self's owner: the process is made non-dumpable
                    // (lib.rs), which hands /proc/self to root.
                    let uid = rustix::process::getuid().as_raw();
                    std::path::PathBuf::from(format!("/run/user/{uid}"))
                }
            };
            let variable = ctx.var("DBUS_SESSION_BUS_ADDRESS");
            let addresses = ss::session_bus(variable, runtime).map_err(|detail| {
                let why = match (variable, ctx.var("XDG_RUNTIME_DIR")) {
                    (Some(_), _) => String::new(),
                    (None, Some(_)) => " (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
                    (None, None) => {
                        " (neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set)".into()
                    }
                };
                Error::Keychain {
                    action: "reach",
                    detail: format!("{detail}{why}"),
                    refused: false,
                }
            })?;
            SecretService::open(&addresses, prefetch.map(attributes).as_ref())
                .map(|service| Backend { service })
                .map_err(|e| error("reach", e))
        }

        /// The default collection exists (where [`Entries::set`] creates items).
        pub fn check_writable(&self) -> Result<()> {
            self.default_collection().map(drop)
        }

        fn default_collection(&self) -> Result<String> {
            const ACTION: &str = "open the default collection of";
            match self.service.default_collection() {
                Ok(Some(path)) => Ok(path),
                Ok(None) => Err(Error::Keychain {
                    action: ACTION,
                    detail: super::NO_DEFAULT_COLLECTION.into(),
                    refused: false,
                }),
                Err(e) => Err(error(ACTION, e)),
            }
        }

        /// The items holding `user`'s entry, unlocked: one `SearchItems`, plus an
        /// `Unlock` (which may prompt) only when the entry is in a locked keyring.
        fn find(&self, user: &str) -> Result<Vec<String>> {
            let found = self
                .service
                .search(&attributes(user))
                .map_err(|e| error("search", e))?;
            if !found.locked.is_empty() {
                self.service
                    .unlock(&found.locked)
                    .map_err(|e| error("unlock", e))?;
            }
            Ok(found.unlocked.into_iter().chain(found.locked).collect())
        }
    }

    impl Entries for Backend {
        /// `None` also when there is more than one item (another program made a
        /// copy: the next [`Backend::set`] leaves one) or it is not UTF-8.
        fn get(&self, user: &str) -> Result<Option<String>> {
            match self.find(user)?.as_slice() {
                [item] => {
                    let bytes = self
                        .service
                        .get_secret(item)
                        .map_err(|e| error("read", e))?;
                    Ok(String::from_utf8(bytes).ok())
                }
                _ => Ok(None),
            }
        }

        /// Replaces the entry's secret in place when there is exactly one, else
        /// removes every copy and creates it in the default collection.
        fn set(&self, user: &str, text: &str) -> Result<()> {
            let secret = text.as_bytes();
            let items = self.find(user)?;
            if let [item] = items.as_slice() {
                return self
                    .service
                    .set_secret(item, secret, CONTENT_TYPE)
                    .map_err(|e| error("write to", e));
            }
            for item in &items {
                self.service
                    .delete(item)
                    .map_err(|e| error("delete from", e))?;
            }
            let collection = self.default_collection()?;
            if self
                .service
                .is_locked(&collection)
                .map_err(|e| error("read", e))?
            {
                self.service
                    .unlock(std::slice::from_ref(&collection))
                    .map_err(|e| error("unlock", e))?;
            }
            self.service
                .create_item(
                    &collection,
                    &format!("{SERVICE} {user}"),
                    &attributes(user),
                    secret,
                    CONTENT_TYPE,
                )
                .map_err(|e| error("write to", e))
        }

        /// Removes every copy of the entry.
        fn delete(&self, user: &str) -> Result<bool> {
            let items = self.find(user)?;
            for item in &items {
                self.service
                    .delete(item)
                    .map_err(|e| error("delete from", e))?;
            }
            Ok(!items.is_empty())
        }
    }
}

/// The macOS Keychain and the Windows Credential Manager, through `keyring`: each
/// lookup is one `SecKeychainFindGenericPassword` or `CredReadW` call. Values are
/// text and go through keyring's `set_password`: UTF-16 on Windows, as Windows's
/// own tools and sso-helper 0.1 keep a credential's password; read back with
/// `get_secret` and [`super::decode_entry`], which also reads what development
/// builds wrote as UTF-8.
#[cfg(any(target_os = "macos", windows))]
mod platform {
    use super::{Entries, Fault, KeyringError, SERVICE};
    use crate::error::{Error, Result};
    use crate::platform::Platform;

    pub struct Backend;

    const PLATFORM: Platform = Platform::current();

    fn entry(user: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, user).map_err(|e| keychain_error("open", &e))
    }

    /// keyring's error as [`super::classify`] takes it.
    fn kind(e: &keyring::Error) -> KeyringError {
        match e {
            keyring::Error::NoEntry => KeyringError::NoEntry,
            keyring::Error::NoStorageAccess(inner) => {
                KeyringError::NoStorageAccess(super::status_code(&format!("{inner:?}")))
            }
            keyring::Error::PlatformFailure(inner) => {
                KeyringError::PlatformFailure(super::status_code(&format!("{inner:?}")))
            }
            keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
                KeyringError::BadData
            }
            _ => KeyringError::Other,
        }
    }

    /// The error, described without its payload (which a platform error may
    /// echo); a refusal carries the hint that names the file store.
    pub(super) fn keychain_error(action: &'static str, e: &keyring::Error) -> Error {
        let kind = kind(e);
        if super::classify(PLATFORM, kind) == Fault::Denied {
            let code = match kind {
                KeyringError::NoStorageAccess(c) | KeyringError::PlatformFailure(c) => c,
                _ => None,
            };
            return super::refusal(PLATFORM, action, super::refusal_detail(PLATFORM, code));
        }
        let detail = match e {
            keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
                inner.to_string()
            }
            keyring::Error::NoDefaultStore => "no keychain service is available".into(),
            keyring::Error::NoEntry => "no such entry".into(),
            // These two carry the stored secret's bytes: never shown.
            keyring::Error::BadEncoding(_) => "a stored entry is not text".into(),
            keyring::Error::BadDataFormat(_, inner) => {
                format!("a stored entry is malformed ({inner})")
            }
            keyring::Error::TooLong(what, limit) => {
                format!("{what} is longer than the keychain allows ({limit})")
            }
            keyring::Error::Invalid(what, why) => format!("{what} is invalid: {why}"),
            keyring::Error::Ambiguous(_) => "more than one entry matches".into(),
            keyring::Error::BadStoreFormat(why) | keyring::Error::NotSupportedByStore(why) => {
                why.clone()
            }
            _ => "unexpected keychain error".into(),
        };
        Error::Keychain {
            action,
            detail,
            refused: false,
        }
    }

    impl Backend {
        pub fn open(_: &crate::context::Context, _: Option<&str>) -> Result<Backend> {
            Ok(Backend)
        }

        pub fn check_writable(&self) -> Result<()> {
            Ok(())
        }
    }

    impl Entries for Backend {
        fn get(&self, user: &str) -> Result<Option<String>> {
            match entry(user)?.get_secret() {
                Ok(bytes) => Ok(super::decode_entry(PLATFORM, bytes)),
                Err(e) => match super::classify(PLATFORM, kind(&e)) {
                    Fault::Absent | Fault::Corrupt => Ok(None),
                    Fault::Denied | Fault::Failed => Err(keychain_error("read", &e)),
                },
            }
        }

        fn set(&self, user: &str, text: &str) -> Result<()> {
            entry(user)?
                .set_password(text)
                .map_err(|e| keychain_error("write to", &e))
        }

        fn delete(&self, user: &str) -> Result<bool> {
            match entry(user)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(keychain_error("delete from", &e)),
            }
        }
    }
}

/// Anywhere else there is no keychain: `auto` uses the file store.
#[cfg(not(any(unix, windows)))]
mod platform {
    use super::Entries;
    use crate::error::{Error, Result};

    pub struct Backend;

    impl Backend {
        pub fn open(_: &crate::context::Context, _: Option<&str>) -> Result<Backend> {
            Err(Error::Keychain {
                action: "reach",
                detail: "this platform has no keychain sso-helper can use".into(),
                refused: false,
            })
        }

        pub fn check_writable(&self) -> Result<()> {
            Ok(())
        }
    }

    impl Entries for Backend {
        fn get(&self, _: &str) -> Result<Option<String>> {
            Ok(None)
        }
        fn set(&self, _: &str, _: &str) -> Result<()> {
            Self::open().map(drop)
        }
        fn delete(&self, _: &str) -> Result<bool> {
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    /// A keychain in memory that enforces `limit` on every write, as the Windows
    /// Credential Manager does (keyring refuses a longer password with `TooLong`).
    struct Memory {
        limit: EntryLimit,
        entries: RefCell<BTreeMap<String, String>>,
        reads: RefCell<Vec<String>>,
    }

    impl Memory {
        fn new(limit: EntryLimit) -> Memory {
            Memory {
                limit,
                entries: RefCell::default(),
                reads: RefCell::default(),
            }
        }

        fn names(&self) -> Vec<String> {
            self.entries.borrow().keys().cloned().collect()
        }

        fn reads(&self) -> Vec<String> {
            self.reads.take()
        }
    }

    impl Entries for Memory {
        fn get(&self, user: &str) -> Result<Option<String>> {
            self.reads.borrow_mut().push(user.to_string());
            Ok(self.entries.borrow().get(user).cloned())
        }
        fn set(&self, user: &str, text: &str) -> Result<()> {
            assert!(
                self.limit.fits(text),
                "{user}: {} UTF-16 units over {:?}",
                text.encode_utf16().count(),
                self.limit
            );
            self.entries
                .borrow_mut()
                .insert(user.to_string(), text.to_string());
            Ok(())
        }
        fn delete(&self, user: &str) -> Result<bool> {
            Ok(self.entries.borrow_mut().remove(user).is_some())
        }
    }

    /// Printable, like the service's secrets, and different at every position.
    fn filler(prefix: &str, len: usize) -> String {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = prefix.to_string();
        let mut x: u64 = prefix.bytes().fold(len as u64 + 7, |x, b| {
            x.wrapping_mul(31).wrapping_add(u64::from(b))
        });
        while s.len() < len {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.push(B64[(x >> 58) as usize] as char);
        }
        s
    }

    /// A registration as `RegisterClient` answers with scopes: a client secret of
    /// about 4,800 characters.
    fn registration_json() -> String {
        let reg = Registration {
            client_id: filler("", 22),
            client_secret: Secret::new(filler(
                "eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0",
                4800,
            )),
            expires_at: time::macros::datetime!(2027-03-01 00:00:00 UTC),
            scopes: vec!["sso:account:access".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        };
        serde_json::to_string(&RegistrationFile::from_registration(&reg)).unwrap()
    }

    /// Role credentials with a 1,600-character session token.
    fn role_json() -> String {
        let session = SsoSession {
            name: Some("corp".into()),
            start_url: "https://d-90670000aa.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: vec![],
            login_flow: None,
            redirect_port: None,
        };
        let key = RoleKey {
            session,
            account_id: "111111111111".into(),
            role_name: "AdministratorAccess".into(),
        };
        let creds = RoleCredentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE12".into(),
            secret_access_key: Secret::new(filler("", 40)),
            session_token: Secret::new(filler("IQoJb3JpZ2luX2VjE", 1600)),
            expiration: time::macros::datetime!(2026-11-23 20:00:00 UTC),
            account_id: "111111111111".into(),
        };
        serde_json::to_string(&RoleFile::from_credentials(&key, &creds)).unwrap()
    }

    #[test]
    fn each_platform_has_its_keychains_limit() {
        assert_eq!(entry_limit(Platform::Windows), EntryLimit::Utf16Units(1280));
        assert_eq!(entry_limit(Platform::MacOs), EntryLimit::Unlimited);
        assert_eq!(entry_limit(Platform::Linux), EntryLimit::Unlimited);
        // UTF-16 units, not bytes: "é" is two bytes of UTF-8 and one unit; "😀"
        // four bytes and two units.
        let limit = EntryLimit::Utf16Units(4);
        assert!(limit.fits("éééé"));
        assert!(!limit.fits("ééééé"));
        assert!(limit.fits("😀😀"));
        assert!(!limit.fits("😀😀a"));
    }

    #[test]
    fn real_values_split_to_fit_and_join_exactly_on_every_platform() {
        let registration = registration_json();
        let role = role_json();
        let refresh = filler("aorAAAAAGc", 1900);
        assert!(
            registration.len() > 4800 && role.len() > 1600,
            "realistic sizes"
        );
        for platform in Platform::ALL {
            let limit = entry_limit(platform);
            for (user, value) in [
                ("registration:corp", &registration),
                ("role:corp:111111111111:AdministratorAccess", &role),
                ("refresh:corp", &refresh),
            ] {
                let memory = Memory::new(limit);
                write_entry(&memory, limit, user, value).unwrap();
                let names = memory.names();
                match platform {
                    Platform::Windows => assert!(names.len() > 1, "{user} is split: {names:?}"),
                    _ => assert_eq!(names, [user], "one entry"),
                }
                memory.reads();
                assert_eq!(read_entry(&memory, user).unwrap().as_ref(), Some(value));
                assert_eq!(memory.reads().len(), names.len(), "one read per entry");
                // Pieces never cut a character: the header's length is part of
                // the first entry's budget, and every entry is within the limit
                // (`Memory::set` asserts it).
                let texts = split(value, limit).unwrap();
                assert_eq!(texts.len(), names.len());
            }
        }
        // On Windows: the registration takes 4 entries, named apart from any
        // other entry, the role entry and the refresh token 2.
        let limit = entry_limit(Platform::Windows);
        let memory = Memory::new(limit);
        write_entry(&memory, limit, "registration:corp", &registration).unwrap();
        assert_eq!(
            memory.names(),
            [
                "registration#2:corp",
                "registration#3:corp",
                "registration#4:corp",
                "registration:corp"
            ]
        );
        assert_eq!(split(&role, limit).unwrap().len(), 2);
        assert_eq!(split(&refresh, limit).unwrap().len(), 2);
    }

    #[test]
    fn a_value_that_fits_is_stored_as_it_always_was() {
        for platform in Platform::ALL {
            let limit = entry_limit(platform);
            let memory = Memory::new(limit);
            write_entry(&memory, limit, "token:corp", "{\"accessToken\":\"aoa\"}").unwrap();
            assert_eq!(memory.names(), ["token:corp"]);
            assert_eq!(
                memory.entries.borrow()["token:corp"],
                "{\"accessToken\":\"aoa\"}"
            );
            memory.reads();
            read_entry(&memory, "token:corp").unwrap().unwrap();
            assert_eq!(memory.reads(), ["token:corp"], "one lookup");
        }
    }

    #[test]
    fn characters_are_never_cut_and_each_entry_fits() {
        // Non-ASCII text, two-unit characters across every boundary.
        let value: String = "a😀é€".repeat(300);
        for max in [HEADER_MAX + 2, HEADER_MAX + 3, 100, 101, 1280] {
            let limit = EntryLimit::Utf16Units(max);
            let texts = split(&value, limit).unwrap();
            assert!(texts.iter().all(|t| limit.fits(t)), "{max}");
            let memory = Memory::new(limit);
            write_entry(&memory, limit, "role:x", &value).unwrap();
            assert_eq!(read_entry(&memory, "role:x").unwrap(), Some(value.clone()));
        }
        assert_eq!(split(&value, EntryLimit::Utf16Units(HEADER_MAX + 1)), None);
        assert_eq!(
            split(&"x".repeat(200_000), entry_limit(Platform::Windows)),
            None
        );
    }

    #[test]
    fn a_shorter_value_and_a_delete_leave_no_part_behind() {
        let limit = entry_limit(Platform::Windows);
        let memory = Memory::new(limit);
        let user = "registration:corp";
        write_entry(&memory, limit, user, &filler("", 6000)).unwrap();
        assert_eq!(memory.names().len(), 5);
        write_entry(&memory, limit, user, &filler("", 2000)).unwrap();
        assert_eq!(memory.names(), ["registration#2:corp", "registration:corp"]);
        write_entry(&memory, limit, user, "{}").unwrap();
        assert_eq!(memory.names(), [user]);
        write_entry(&memory, limit, user, &filler("", 4000)).unwrap();
        delete_entry(&memory, limit, user).unwrap();
        assert!(memory.names().is_empty());
        // Parts a removal cut short left behind (the first entry already names
        // fewer): the next write finds them.
        write_entry(&memory, limit, user, &filler("", 6000)).unwrap();
        memory.entries.borrow_mut().remove("registration#5:corp");
        write_entry(&memory, limit, user, &filler("", 2000)).unwrap();
        memory
            .entries
            .borrow_mut()
            .insert("registration#3:corp".into(), "stale".into());
        memory
            .entries
            .borrow_mut()
            .insert("registration#4:corp".into(), "stale".into());
        write_entry(&memory, limit, user, "{}").unwrap();
        assert_eq!(memory.names(), [user]);
        // Deleting what is not there is fine.
        delete_entry(&memory, limit, "token:none").unwrap();
    }

    #[test]
    fn pieces_of_two_writes_are_a_miss_never_a_mix() {
        let limit = entry_limit(Platform::Windows);
        let memory = Memory::new(limit);
        let user = "role:corp:111111111111:R";
        let old = filler("A", 2000);
        let new = filler("B", 2000);
        write_entry(&memory, limit, user, &old).unwrap();
        let old_first = memory.entries.borrow()[user].clone();
        write_entry(&memory, limit, user, &new).unwrap();
        // A reader that meets the old first entry with the new second one.
        memory
            .entries
            .borrow_mut()
            .insert(user.into(), old_first.clone());
        assert_eq!(read_entry(&memory, user).unwrap(), None);
        // A missing piece, a malformed header: a miss too.
        memory
            .entries
            .borrow_mut()
            .remove("role#2:corp:111111111111:R");
        assert_eq!(read_entry(&memory, user).unwrap(), None);
        for bad in [
            "sso-helper parts 2\n{",
            "sso-helper parts x 0000000000000000000000000000000000000000\n{",
            "sso-helper parts 1 0000000000000000000000000000000000000000\n{",
            "sso-helper parts 500 0000000000000000000000000000000000000000\n{",
        ] {
            memory.entries.borrow_mut().insert(user.into(), bad.into());
            assert_eq!(read_entry(&memory, user).unwrap(), None, "{bad}");
        }
    }

    #[test]
    fn part_names_never_meet_another_entry() {
        assert_eq!(part_user("registration:corp", 2), "registration#2:corp");
        assert_eq!(
            part_user("role:a:b#2:111111111111:R", 3),
            "role#3:a:b#2:111111111111:R"
        );
        // A session named "corp#2" is still a different entry from corp's part 2.
        assert_ne!(part_user("token:corp", 2), "token:corp#2");
    }

    #[test]
    fn refusals_stop_the_call_and_absence_is_a_miss() {
        use KeyringError::*;
        for platform in Platform::ALL {
            assert_eq!(classify(platform, NoEntry), Fault::Absent);
            assert_eq!(classify(platform, BadData), Fault::Corrupt);
            assert_eq!(classify(platform, NoStorageAccess(None)), Fault::Denied);
            assert_eq!(classify(platform, PlatformFailure(None)), Fault::Failed);
            assert_eq!(classify(platform, Other), Fault::Failed);
        }
        let mac = |code| classify(Platform::MacOs, PlatformFailure(Some(code)));
        // errSecInteractionNotAllowed (over SSH), errSecAuthFailed (Deny),
        // userCanceledErr (Cancel), errSecInteractionRequired.
        for code in [-25308, -25293, -128, -25315, -25243, -25291, -25307] {
            assert_eq!(mac(code), Fault::Denied, "{code}");
        }
        assert_eq!(mac(-25299), Fault::Failed, "errSecDuplicateItem");
        assert_eq!(
            classify(Platform::MacOs, NoStorageAccess(Some(-25291))),
            Fault::Denied
        );
        let win = |code| classify(Platform::Windows, PlatformFailure(Some(code)));
        assert_eq!(win(5), Fault::Denied, "ERROR_ACCESS_DENIED");
        assert_eq!(
            classify(Platform::Windows, NoStorageAccess(Some(1312))),
            Fault::Denied,
            "ERROR_NO_SUCH_LOGON_SESSION"
        );
        assert_eq!(win(87), Fault::Failed, "ERROR_INVALID_PARAMETER");
        // A Windows code means nothing on macOS and the other way round.
        assert_eq!(mac(5), Fault::Failed);
        assert_eq!(win(-25308), Fault::Failed);
    }

    #[test]
    fn status_codes_are_read_from_the_platform_errors() {
        // security-framework's `Debug` and windows-native-keyring-store's.
        assert_eq!(
            status_code("Error { code: -25308, message: \"User interaction is not allowed.\" }"),
            Some(-25308)
        );
        assert_eq!(status_code("Error { code: -128 }"), Some(-128));
        assert_eq!(status_code("PlatformError(1312)"), Some(1312));
        assert_eq!(status_code("no code"), None);
    }

    #[test]
    fn a_refusal_is_one_line_naming_the_file_store() {
        for platform in Platform::ALL {
            let detail = refusal_detail(platform, Some(-25308));
            let e = refusal(platform, "read", detail);
            assert_eq!(e.exit_code(), 1);
            let line = crate::error::one_line(&e);
            assert!(
                line.contains("SSO_HELPER_TOKEN_STORE=file")
                    && line.contains("--token-store file")
                    && line.starts_with("sso-helper: cannot read the OS keychain: "),
                "{line}"
            );
            assert!(!line.contains('\n'));
        }
        assert!(
            refusal_detail(Platform::MacOs, Some(-25308)).contains("over SSH"),
            "names the usual cause"
        );
        assert!(refusal_detail(Platform::Windows, Some(1312)).contains("logon session"));
        assert!(refusal_hint(Platform::MacOs, ChosenBy::Default).contains("rebuild"));
    }

    /// Every keychain error's fix names a setting that switches to the file store
    /// from where the user is: after `--token-store keychain` only the flag does
    /// (it beats the variable), otherwise either.
    #[test]
    fn fixes_name_the_setting_that_chose_the_store() {
        let failed = || Error::Keychain {
            action: "reach",
            detail: "no bus".into(),
            refused: false,
        };
        let refused = || refusal(Platform::current(), "read", "locked".into());
        for e in [failed, refused] {
            let flag = fix_for(e(), ChosenBy::Flag).hint().unwrap();
            assert!(
                flag.contains("pass --token-store file")
                    && !flag.contains("SSO_HELPER_TOKEN_STORE"),
                "{flag}"
            );
            for chosen in [ChosenBy::Variable, ChosenBy::Default] {
                let hint = fix_for(e(), chosen).hint().unwrap();
                assert!(
                    hint.contains(crate::store::set_file_store(Platform::current()))
                        && hint.contains("--token-store file"),
                    "{hint}"
                );
            }
            // The message stays what it was; only the fix changes.
            assert_eq!(fix_for(e(), ChosenBy::Flag).to_string(), e().to_string());
        }
        // A refusal keeps its own remedy (allow the prompt, unlock the keyring).
        assert_eq!(
            fix_for(refused(), ChosenBy::Flag).hint(),
            Some(refusal_hint(Platform::current(), ChosenBy::Flag))
        );
        // Applied twice (a failure passed up through another store call), a
        // fix stays the same kind of fix.
        for e in [failed, refused] {
            let once = fix_for(e(), ChosenBy::Flag).hint();
            assert_eq!(
                fix_for(fix_for(e(), ChosenBy::Flag), ChosenBy::Flag).hint(),
                once
            );
        }
        // Errors that are not the keychain's pass as they are.
        let usage = fix_for(Error::Usage("x".into()), ChosenBy::Flag);
        assert!(matches!(usage, Error::Usage(_)));
    }

    #[test]
    fn entries_decode_in_either_encoding_on_windows() {
        let text = "{\"accessToken\":\"aoa\"}";
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(
            decode_entry(Platform::Windows, utf16.clone()).as_deref(),
            Some(text)
        );
        for platform in Platform::ALL {
            assert_eq!(
                decode_entry(platform, text.as_bytes().to_vec()).as_deref(),
                Some(text),
                "{platform:?}"
            );
        }
        // Elsewhere UTF-16 is not what keyring writes: not text of ours.
        assert_ne!(decode_entry(Platform::MacOs, utf16).as_deref(), Some(text));
        assert_eq!(decode_entry(Platform::Linux, vec![0xff, 0xfe]), None);
        // A refresh token (odd length in UTF-8) stays UTF-8.
        assert_eq!(
            decode_entry(Platform::Windows, b"aorX".to_vec()).as_deref(),
            Some("aorX")
        );
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn secret_service_refusals_are_told_from_failures() {
        use crate::secret_service::Error as SsError;
        let method = |name: &str| SsError::Method {
            name: name.into(),
            message: None,
        };
        assert_eq!(platform::classify(&SsError::Dismissed), Fault::Denied);
        assert_eq!(
            platform::classify(&method("org.freedesktop.Secret.Error.IsLocked")),
            Fault::Denied
        );
        assert_eq!(
            platform::classify(&method("org.freedesktop.DBus.Error.ServiceUnknown")),
            Fault::Failed
        );
        assert_eq!(
            platform::classify(&SsError::Io("cannot connect".into())),
            Fault::Failed
        );
        let line = crate::error::one_line(&platform::error("unlock", SsError::Dismissed));
        assert!(
            line.contains("the unlock prompt was dismissed")
                && line.contains("SSO_HELPER_TOKEN_STORE=file"),
            "{line}"
        );
        let line = crate::error::one_line(&platform::error(
            "reach",
            method("org.freedesktop.DBus.Error.ServiceUnknown"),
        ));
        assert!(line.contains("no Secret Service is running"), "{line}");
    }
}

#[cfg(all(test, any(target_os = "macos", windows)))]
mod platform_tests {
    use super::platform::keychain_error;

    #[test]
    fn keychain_errors_never_show_the_stored_secret() {
        let secret = b"aorSECRETREFRESHTOKEN\xff".to_vec();
        for e in [
            keyring::Error::BadEncoding(secret.clone()),
            keyring::Error::BadDataFormat(secret.clone(), "bad".into()),
        ] {
            let shown = crate::error::one_line(&keychain_error("read", &e));
            assert!(
                !shown.contains("SECRET") && !shown.contains("97, 111"),
                "{shown}"
            );
        }
    }
}
