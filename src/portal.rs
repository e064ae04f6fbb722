//! The SSO portal API (reference §3): GetRoleCredentials with the access token in
//! `x-amz-sso_bearer_token`.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::http::{Http, Method, Request, Retry, decode, query_escape};
use crate::secret::Secret;
use crate::timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: OffsetDateTime,
}

pub struct Portal<'h> {
    pub http: &'h Http<'h>,
    /// Base URL, no trailing slash.
    pub base: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetRoleCredentialsOut {
    role_credentials: RoleCredentialsOut,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentialsOut {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
    expiration: i64,
}

impl Portal<'_> {
    /// GetRoleCredentials. A 401 comes back as `Error::Aws { status: 401, .. }`.
    pub fn get_role_credentials(
        &self,
        token: &Secret,
        account_id: &str,
        role_name: &str,
    ) -> Result<RoleCredentials> {
        const OP: &str = "GetRoleCredentials";
        let url = format!(
            "{}/federation/credentials?role_name={}&account_id={}",
            self.base,
            query_escape(role_name),
            query_escape(account_id)
        );
        let a = self.http.send(&Request {
            op: OP,
            method: Method::Get,
            url,
            bearer: Some(token),
            json: None,
            retry: Retry::Standard,
        })?;
        let out: GetRoleCredentialsOut = decode(OP, &a)?;
        let c = out.role_credentials;
        let expiration =
            timestamp::from_epoch_millis(c.expiration).ok_or_else(|| Error::BadResponse {
                op: OP,
                host: a.host.clone(),
                detail: format!("expiration {} is not a time", c.expiration),
            })?;
        Ok(RoleCredentials {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: c.session_token,
            expiration,
        })
    }
}

pub fn is_unauthorized(e: &Error) -> bool {
    matches!(e, Error::Aws { status: 401, .. })
}
