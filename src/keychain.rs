//! The OS keychain store (SPEC §4): the Secret Service on Linux and the BSDs
//! (gnome-keyring, KWallet, KeePassXC), the macOS Keychain or the Windows Credential
//! Manager. Per SSO session, three entries hold its access token, its refresh token
//! and its client registration; one entry per (session, account, role) holds role
//! credentials. They are kept apart (and the client secret only once) because the
//! Windows Credential Manager refuses a secret over 2,560 bytes and real AWS tokens
//! are long. Entries use the AWS CLI's JSON records, so both stores share one set of
//! conversions. Nothing is written to disk.
//!
//! Every entry is found by the attributes `service` = `sso-helper` and `username` =
//! the entry's name (`token:<session>`, `role:<session>:<account>:<role>`, …), the
//! scheme of the `keyring` crate that wrote them before 0.2, so entries written then
//! are read now. A warm call makes one lookup: on the Secret Service that is four
//! D-Bus messages on one connection (`Hello`, `OpenSession`, `SearchItems`,
//! `GetSecret`; docs/performance.md counts them).

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

use crate::config::SsoSession;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::portal::RoleCredentials;
use crate::store::{RegistrationFile, RoleFile, RoleKey, Store, TokenFile};
use crate::token::{Registration, Token};

const SERVICE: &str = "sso-helper";

/// The keychain, opened once per process: on the Secret Service one D-Bus
/// connection and one session for every lookup the call makes.
pub struct KeychainStore {
    backend: platform::Backend,
}

impl KeychainStore {
    /// The keychain, if one answers. Opening is the probe: on the Secret Service it
    /// connects to the session bus and opens a session with the service (which
    /// fails when no service is running); the macOS Keychain and the Windows
    /// Credential Manager are always there.
    ///
    /// # Errors
    /// [`Error::Keychain`] naming why the keychain cannot be reached.
    pub fn open(ctx: &Context) -> Result<KeychainStore> {
        if let Some(why) = no_session_bus(ctx) {
            return Err(Error::Keychain {
                action: "reach",
                detail: why,
            });
        }
        Ok(KeychainStore {
            backend: platform::Backend::open()?,
        })
    }

    /// The entry's text: `None` when it is absent, unreadable or not UTF-8.
    fn get(&self, user: &str) -> Option<String> {
        let bytes = self.backend.get(user).ok()??;
        String::from_utf8(bytes).ok()
    }

    /// An entry's JSON; any problem (absent, unreachable, corrupt) is a miss.
    fn read<T: for<'de> Deserialize<'de>>(&self, user: &str) -> Option<T> {
        serde_json::from_str(&self.get(user)?).ok()
    }

    fn write<T: Serialize>(&self, user: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).expect("plain data serializes");
        self.backend.set(user, text.as_bytes())
    }
}

/// On Linux and the BSDs the Secret Service lives on the D-Bus session bus: when
/// its socket plainly does not exist, say so at once instead of asking D-Bus (which
/// costs a connection attempt on every call).
#[cfg(all(unix, not(target_os = "macos")))]
fn no_session_bus(ctx: &Context) -> Option<String> {
    let path = match ctx.var("DBUS_SESSION_BUS_ADDRESS") {
        Some(addr) => {
            let path = addr.strip_prefix("unix:path=")?;
            std::path::PathBuf::from(path.split(',').next().unwrap_or(path))
        }
        None => {
            let runtime = match ctx.var("XDG_RUNTIME_DIR") {
                Some(dir) => std::path::PathBuf::from(dir),
                None => {
                    // Not /proc/self's owner: the process is made non-dumpable
                    // (lib.rs), which hands /proc/self to root.
                    let uid = rustix::process::getuid().as_raw();
                    std::path::PathBuf::from(format!("/run/user/{uid}"))
                }
            };
            runtime.join("bus")
        }
    };
    (!path.exists()).then(|| format!("no D-Bus session bus at {}", path.display()))
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn no_session_bus(_: &Context) -> Option<String> {
    None
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

    fn load_token(&self, session: &SsoSession) -> Option<Token> {
        let mut token = self
            .read::<TokenFile>(&token_user(session))?
            .into_token(session)?;
        token.refresh_token = self
            .get(&refresh_user(session))
            .filter(|t| crate::portal::valid_credential_value(t))
            .map(Secret::new);
        token.registration = self.load_registration(session);
        Some(token)
    }

    fn save_token(&self, session: &SsoSession, token: &Token) -> Result<()> {
        let mut bare = token.clone();
        let refresh = bare.refresh_token.take();
        let registration = bare.registration.take();
        self.write(&token_user(session), &TokenFile::from_token(&bare))?;
        match refresh {
            Some(r) => self
                .backend
                .set(&refresh_user(session), r.expose().as_bytes())?,
            None => self.backend.delete(&refresh_user(session))?,
        }
        if let Some(reg) = registration {
            self.save_registration(session, &reg)?;
        }
        Ok(())
    }

    fn delete_token(&self, session: &SsoSession) -> Result<()> {
        self.backend.delete(&token_user(session))?;
        self.backend.delete(&refresh_user(session))
    }

    fn load_registration(&self, session: &SsoSession) -> Option<Registration> {
        self.read::<RegistrationFile>(&registration_user(session))?
            .into_registration()
    }

    fn save_registration(&self, session: &SsoSession, reg: &Registration) -> Result<()> {
        self.write(
            &registration_user(session),
            &RegistrationFile::from_registration(reg),
        )
    }

    fn load_role_credentials(&self, key: &RoleKey) -> Option<RoleCredentials> {
        self.read::<RoleFile>(&role_user(key))?
            .into_credentials(key)
    }

    fn save_role_credentials(&self, key: &RoleKey, creds: &RoleCredentials) -> Result<()> {
        self.write(&role_user(key), &RoleFile::from_credentials(key, creds))
    }

    fn delete_registration(&self, session: &SsoSession) -> Result<()> {
        self.backend.delete(&registration_user(session))
    }

    fn delete_role_credentials(&self, key: &RoleKey) -> Result<()> {
        self.backend.delete(&role_user(key))
    }
}

/// The Secret Service (freedesktop.org Secret Service API 0.2), through the
/// `secret-service` crate's blocking API on one zbus connection.
///
/// Secrets travel in the `plain` algorithm (spec §"Transfer of Secrets"): the
/// session bus is a socket only this user can reach, and a process of this user
/// able to read bus traffic can as well ask the service for the secret, so the
/// `dh-ietf1024-sha256-aes128-cbc-pkcs7` exchange protects nothing here while it
/// costs two 1024-bit modular exponentiations (about 3 ms) on every call.
#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use std::collections::HashMap;

    use secret_service::EncryptionType;
    use secret_service::blocking::{Item, SecretService};

    use super::SERVICE;
    use crate::error::{Error, Result};

    const CONTENT_TYPE: &str = "text/plain";

    pub struct Backend {
        service: SecretService<'static>,
    }

    fn attributes(user: &str) -> HashMap<&str, &str> {
        HashMap::from([("service", SERVICE), ("username", user)])
    }

    /// The error, described without a payload (none of these carries a secret).
    fn error(action: &'static str, e: secret_service::Error) -> Error {
        let detail = match e {
            secret_service::Error::Locked => "the keychain is locked".into(),
            secret_service::Error::Prompt => "the unlock prompt was dismissed".into(),
            secret_service::Error::Unavailable => "no Secret Service is running".into(),
            secret_service::Error::Zbus(zbus::Error::MethodError(name, message, _)) => {
                match message {
                    Some(m) => format!("{name}: {m}"),
                    None => name.to_string(),
                }
            }
            other => other.to_string(),
        };
        Error::Keychain { action, detail }
    }

    impl Backend {
        /// Connects to the session bus (`Hello`) and opens a `plain` session with
        /// the Secret Service (`OpenSession`), which fails when none is running.
        pub fn open() -> Result<Backend> {
            SecretService::connect(EncryptionType::Plain)
                .map(|service| Backend { service })
                .map_err(|e| error("reach", e))
        }

        /// The items holding `user`'s entry, unlocked: one `SearchItems`, plus an
        /// `Unlock` (which may prompt) only when the entry is in a locked keyring.
        fn find(&self, user: &str) -> Result<Vec<Item<'_>>> {
            let found = self
                .service
                .search_items(attributes(user))
                .map_err(|e| error("search", e))?;
            if !found.locked.is_empty() {
                let locked: Vec<&Item> = found.locked.iter().collect();
                self.service
                    .unlock_all(&locked)
                    .map_err(|e| error("unlock", e))?;
            }
            Ok(found.unlocked.into_iter().chain(found.locked).collect())
        }

        /// The entry's bytes; `None` when there is none, or more than one (another
        /// program made a copy: the next [`Backend::set`] leaves one).
        pub fn get(&self, user: &str) -> Result<Option<Vec<u8>>> {
            match self.find(user)?.as_slice() {
                [item] => item.get_secret().map(Some).map_err(|e| error("read", e)),
                _ => Ok(None),
            }
        }

        /// Replaces the entry's secret in place when there is exactly one, else
        /// removes every copy and creates it in the default collection.
        pub fn set(&self, user: &str, secret: &[u8]) -> Result<()> {
            let items = self.find(user)?;
            if let [item] = items.as_slice() {
                return item
                    .set_secret(secret, CONTENT_TYPE)
                    .map_err(|e| error("write to", e));
            }
            for item in &items {
                item.delete().map_err(|e| error("delete from", e))?;
            }
            let collection = self
                .service
                .get_default_collection()
                .map_err(|e| error("open the default collection of", e))?;
            if collection.is_locked().map_err(|e| error("read", e))? {
                collection.unlock().map_err(|e| error("unlock", e))?;
            }
            collection
                .create_item(
                    &format!("{SERVICE} {user}"),
                    attributes(user),
                    secret,
                    true,
                    CONTENT_TYPE,
                )
                .map(drop)
                .map_err(|e| error("write to", e))
        }

        /// Removes every copy of the entry; none is not an error.
        pub fn delete(&self, user: &str) -> Result<()> {
            for item in self.find(user)? {
                item.delete().map_err(|e| error("delete from", e))?;
            }
            Ok(())
        }
    }
}

/// The macOS Keychain and the Windows Credential Manager, through `keyring`: each
/// lookup is one `SecItemCopyMatching` or `CredReadW` call.
#[cfg(any(target_os = "macos", windows))]
mod platform {
    use super::SERVICE;
    use crate::error::{Error, Result};

    pub struct Backend;

    fn entry(user: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, user).map_err(|e| keychain_error("open", &e))
    }

    /// The error, described without its payload (which a platform error may echo).
    pub(super) fn keychain_error(action: &'static str, e: &keyring::Error) -> Error {
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
        Error::Keychain { action, detail }
    }

    impl Backend {
        pub fn open() -> Result<Backend> {
            Ok(Backend)
        }

        pub fn get(&self, user: &str) -> Result<Option<Vec<u8>>> {
            match entry(user)?.get_secret() {
                Ok(bytes) => Ok(Some(bytes)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(keychain_error("read", &e)),
            }
        }

        pub fn set(&self, user: &str, secret: &[u8]) -> Result<()> {
            entry(user)?
                .set_secret(secret)
                .map_err(|e| keychain_error("write to", &e))
        }

        pub fn delete(&self, user: &str) -> Result<()> {
            match entry(user)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keychain_error("delete from", &e)),
            }
        }
    }
}

/// Anywhere else there is no keychain: `auto` uses the file store.
#[cfg(not(any(unix, windows)))]
mod platform {
    use crate::error::{Error, Result};

    pub struct Backend;

    impl Backend {
        pub fn open() -> Result<Backend> {
            Err(Error::Keychain {
                action: "reach",
                detail: "this platform has no keychain sso-helper can use".into(),
            })
        }
        pub fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            Ok(None)
        }
        pub fn set(&self, _: &str, _: &[u8]) -> Result<()> {
            Self::open().map(drop)
        }
        pub fn delete(&self, _: &str) -> Result<()> {
            Ok(())
        }
    }
}

#[cfg(all(test, any(target_os = "macos", windows)))]
mod tests {
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
