//! `Secret`: the one type that holds access tokens, refresh tokens, client secrets,
//! secret access keys and session tokens.
//!
//! It has no `Display`, its `Debug` prints `REDACTED`, and `expose()` is the single,
//! greppable place where the value leaves the wrapper (to go into an HTTP header or
//! body, a cache file, or the credential_process JSON on stdout).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself. Every call site is a place where a secret leaves the process
    /// on purpose.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("aoaTOPSECRET");
        assert_eq!(format!("{s:?}"), "Secret(REDACTED)");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Secret,
        }
        let h = Holder { token: s.clone() };
        assert!(!format!("{h:?}").contains("TOPSECRET"));
        assert!(!format!("{h:#?}").contains("TOPSECRET"));
        assert_eq!(s.expose(), "aoaTOPSECRET");
    }

    #[test]
    fn serde_round_trip_is_transparent() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"abc\"");
    }
}
