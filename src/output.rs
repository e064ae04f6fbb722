//! The only module that writes stdout: the credential_process version-1 JSON.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::portal::RoleCredentials;
use crate::timestamp;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
    account_id: &'a str,
}

/// `{"Version":1,"AccessKeyId":…,"SecretAccessKey":…,"SessionToken":…,"Expiration":"…Z","AccountId":"…"}`:
/// botocore's `ProcessProvider` reads `AccountId` (as `account_id`), as do the JS
/// and Rust SDKs.
pub fn credential_process_json(c: &RoleCredentials) -> String {
    serde_json::to_string(&ProcessOutput {
        version: 1,
        access_key_id: &c.access_key_id,
        secret_access_key: c.secret_access_key.expose(),
        session_token: c.session_token.expose(),
        expiration: timestamp::format_utc(c.expiration),
        account_id: &c.account_id,
    })
    .expect("plain data serializes")
}

/// Writes `text` and a newline to stdout in one write.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(format!("{text}\n").as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            action: "write to",
            path: "standard output".into(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use time::macros::datetime;

    #[test]
    fn version_one_shape() {
        let c = RoleCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("sk"),
            session_token: Secret::new("st"),
            expiration: datetime!(2026-11-22 17:00:00.5 UTC),
            account_id: "111111111111".into(),
        };
        assert_eq!(
            credential_process_json(&c),
            r#"{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"sk","SessionToken":"st","Expiration":"2026-11-22T17:00:00Z","AccountId":"111111111111"}"#
        );
    }
}
