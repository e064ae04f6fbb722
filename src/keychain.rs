//! The OS keychain store (SPEC §4): macOS Keychain, Windows Credential Manager or
//! the Secret Service on Linux, through `keyring`. Per SSO session, three entries
//! hold its access token, its refresh token and its client registration; one entry
//! per (session, account, role) holds role credentials. They are kept apart (and
//! the client secret only once) because the Windows Credential Manager refuses a
//! secret over 2,560 bytes and real AWS tokens are long. Entries use the AWS CLI's
//! JSON records, so both stores share one set of conversions. Nothing is written
//! to disk.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

use crate::config::SsoSession;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::portal::RoleCredentials;
use crate::store::{RegistrationFile, RoleFile, RoleKey, Store, TokenFile};
use crate::token::{Registration, Token};

const SERVICE: &str = "sso-helper";

pub struct KeychainStore;

impl KeychainStore {
    /// The keychain, if one answers: a lookup that finds nothing is an answer, a
    /// store that cannot be reached is not.
    pub fn open(ctx: &Context) -> Result<KeychainStore> {
        if let Some(why) = no_session_bus(ctx) {
            return Err(Error::Keychain {
                action: "reach",
                detail: why,
            });
        }
        match entry("probe")?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(KeychainStore),
            Err(e) => Err(keychain_error("reach", &e)),
        }
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

fn entry(user: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, user).map_err(|e| keychain_error("open", &e))
}

/// The error, described without its payload (which a platform error may echo).
fn keychain_error(action: &'static str, e: &keyring::Error) -> Error {
    let detail = match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            inner.to_string()
        }
        keyring::Error::NoDefaultStore => "no keychain service is available".into(),
        keyring::Error::NoEntry => "no such entry".into(),
        // These two carry the stored secret's bytes: never shown.
        keyring::Error::BadEncoding(_) => "a stored entry is not text".into(),
        keyring::Error::BadDataFormat(_, inner) => format!("a stored entry is malformed ({inner})"),
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

/// An entry's JSON; any problem (absent, unreachable, corrupt) is a miss.
fn read<T: for<'de> Deserialize<'de>>(user: &str) -> Option<T> {
    let text = entry(user).ok()?.get_password().ok()?;
    serde_json::from_str(&text).ok()
}

fn write<T: Serialize>(user: &str, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).expect("plain data serializes");
    entry(user)?
        .set_password(&text)
        .map_err(|e| keychain_error("write to", &e))
}

fn delete(user: &str) -> Result<()> {
    match entry(user)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keychain_error("delete from", &e)),
    }
}

impl Store for KeychainStore {
    fn name(&self) -> &'static str {
        "keychain"
    }

    fn load_token(&self, session: &SsoSession) -> Option<Token> {
        let mut token = read::<TokenFile>(&token_user(session))?.into_token(session)?;
        token.refresh_token = entry(&refresh_user(session))
            .ok()?
            .get_password()
            .ok()
            .filter(|t| crate::portal::valid_credential_value(t))
            .map(Secret::new);
        token.registration = self.load_registration(session);
        Some(token)
    }

    fn save_token(&self, session: &SsoSession, token: &Token) -> Result<()> {
        let mut bare = token.clone();
        let refresh = bare.refresh_token.take();
        let registration = bare.registration.take();
        write(&token_user(session), &TokenFile::from_token(&bare))?;
        match refresh {
            Some(r) => entry(&refresh_user(session))?
                .set_password(r.expose())
                .map_err(|e| keychain_error("write to", &e))?,
            None => delete(&refresh_user(session))?,
        }
        if let Some(reg) = registration {
            self.save_registration(session, &reg)?;
        }
        Ok(())
    }

    fn delete_token(&self, session: &SsoSession) -> Result<()> {
        delete(&token_user(session))?;
        delete(&refresh_user(session))
    }

    fn load_registration(&self, session: &SsoSession) -> Option<Registration> {
        read::<RegistrationFile>(&registration_user(session))?.into_registration()
    }

    fn save_registration(&self, session: &SsoSession, reg: &Registration) -> Result<()> {
        write(
            &registration_user(session),
            &RegistrationFile::from_registration(reg),
        )
    }

    fn load_role_credentials(&self, key: &RoleKey) -> Option<RoleCredentials> {
        read::<RoleFile>(&role_user(key))?.into_credentials(key)
    }

    fn save_role_credentials(&self, key: &RoleKey, creds: &RoleCredentials) -> Result<()> {
        write(&role_user(key), &RoleFile::from_credentials(key, creds))
    }

    fn delete_registration(&self, session: &SsoSession) -> Result<()> {
        delete(&registration_user(session))
    }

    fn delete_role_credentials(&self, key: &RoleKey) -> Result<()> {
        delete(&role_user(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
