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
    /// The account the credentials are for (12 digits): what the SDKs read as
    /// `AccountId` for account-based endpoints.
    pub account_id: String,
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

/// Whether a credential or token value the service returned (or a cache holds)
/// can be printed, cached, written and sent in a header safely: printable ASCII without white space, a
/// quote, a backslash or a control character, and of a sane length. AWS's are
/// letters, digits, `+`, `/` and `=`. Anything else could break out of the shell
/// line, JSON, or INI section it is written into.
pub fn valid_credential_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 8192
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'`'))
}

/// Credentials must have at least this long left when they arrive.
pub const MIN_RECEIVED_LIFETIME: time::Duration = time::Duration::minutes(1);

impl Portal<'_> {
    /// GetRoleCredentials. A 401 comes back as `Error::Aws { status: 401, .. }`.
    /// The values are checked (`valid_credential_value`) and so is the expiry: at
    /// least a minute after `now`.
    pub fn get_role_credentials(
        &self,
        token: &Secret,
        account_id: &str,
        role_name: &str,
        now: OffsetDateTime,
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
            secret_query: false,
        })?;
        role_credentials_answer(&a, account_id, now)
    }
}

/// GetRoleCredentials's answer for `account_id`: the values checked
/// (`valid_credential_value`), the expiry within range and at least a minute
/// after `now`.
pub fn role_credentials_answer(
    a: &crate::http::Answer,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<RoleCredentials> {
    const OP: &str = "GetRoleCredentials";
    let out: GetRoleCredentialsOut = decode(OP, a)?;
    let c = out.role_credentials;
    let bad = |detail: String| Error::BadResponse {
        op: OP,
        host: a.host.clone(),
        detail,
    };
    for (field, value) in [
        ("accessKeyId", c.access_key_id.as_str()),
        ("secretAccessKey", c.secret_access_key.expose()),
        ("sessionToken", c.session_token.expose()),
    ] {
        if !valid_credential_value(value) {
            // Named, never shown.
            return Err(bad(format!(
                "its {field} is not a credential value (empty, too long, or with a character \
                     other than printable ASCII without quotes, backslashes or spaces)"
            )));
        }
    }
    let expiration = timestamp::from_epoch_millis(c.expiration)
        .ok_or_else(|| bad(format!("expiration = {} is out of range", c.expiration)))?;
    if expiration - now < MIN_RECEIVED_LIFETIME {
        return Err(bad(format!(
            "the credentials expire at {}, which is past or within a minute by this \
                 machine's clock (now {}); if the clock is wrong, `sso-helper doctor` checks it",
            timestamp::format_utc(expiration),
            timestamp::format_utc(now)
        )));
    }
    Ok(RoleCredentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration,
        account_id: account_id.to_string(),
    })
}

pub fn is_unauthorized(e: &Error) -> bool {
    matches!(e, Error::Aws { status: 401, .. })
}

/// An account the user can reach.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    #[serde(rename = "accountId")]
    pub id: String,
    #[serde(rename = "accountName")]
    pub name: String,
    #[serde(rename = "emailAddress")]
    pub email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountOut {
    account_id: String,
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    email_address: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListAccountsOut {
    #[serde(default)]
    account_list: Vec<AccountOut>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleOut {
    role_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListAccountRolesOut {
    #[serde(default)]
    role_list: Vec<RoleOut>,
    next_token: Option<String>,
}

/// A 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A permission set (role) name as IAM Identity Center allows it: 1–64 of
/// letters, digits and `+=,.@_-`. Names go into config files `configure`
/// writes and into URLs, so anything else from the service is refused.
pub fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// One ListAccounts page: its accounts (ids checked, names and emails made
/// printable: they reach the terminal and generated comments) and the next
/// page's token.
pub fn accounts_page(a: &crate::http::Answer) -> Result<(Vec<Account>, Option<String>)> {
    let page: ListAccountsOut = decode("ListAccounts", a)?;
    let mut accounts = Vec::with_capacity(page.account_list.len());
    for acct in page.account_list {
        if !is_account_id(&acct.account_id) {
            return Err(Error::BadResponse {
                op: "ListAccounts",
                host: a.host.clone(),
                detail: format!(
                    "an accountId is not 12 digits ({})",
                    crate::error::printable(&acct.account_id, 40)
                ),
            });
        }
        accounts.push(Account {
            id: acct.account_id,
            name: crate::error::printable(&acct.account_name, 100),
            email: crate::error::printable(&acct.email_address, 100),
        });
    }
    Ok((accounts, page.next_token.filter(|t| !t.is_empty())))
}

/// One ListAccountRoles page: its role names (checked: `is_role_name`) and the
/// next page's token.
pub fn roles_page(a: &crate::http::Answer) -> Result<(Vec<String>, Option<String>)> {
    let page: ListAccountRolesOut = decode("ListAccountRoles", a)?;
    let mut roles = Vec::with_capacity(page.role_list.len());
    for r in page.role_list {
        if !is_role_name(&r.role_name) {
            return Err(Error::BadResponse {
                op: "ListAccountRoles",
                host: a.host.clone(),
                detail: format!(
                    "a roleName is not a permission set name ({})",
                    crate::error::printable(&r.role_name, 64)
                ),
            });
        }
        roles.push(r.role_name);
    }
    Ok((roles, page.next_token.filter(|t| !t.is_empty())))
}

/// The page size asked for (the API's maximum).
const PAGE_SIZE: u32 = 100;

impl Portal<'_> {
    fn get(
        &self,
        op: &'static str,
        path_and_query: String,
        token: &Secret,
    ) -> Result<crate::http::Answer> {
        self.http.send(&Request {
            op,
            method: Method::Get,
            url: format!("{}{path_and_query}", self.base),
            bearer: Some(token),
            json: None,
            retry: Retry::Standard,
            secret_query: false,
        })
    }

    /// ListAccounts, every page.
    pub fn list_accounts(&self, token: &Secret) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut q = format!("/assignment/accounts?max_result={PAGE_SIZE}");
            if let Some(t) = &next {
                q.push_str(&format!("&next_token={}", query_escape(t)));
            }
            let (accounts, next_token) = accounts_page(&self.get("ListAccounts", q, token)?)?;
            out.extend(accounts);
            match next_token {
                Some(t) if next.as_deref() != Some(t.as_str()) => next = Some(t),
                _ => return Ok(out),
            }
        }
    }

    /// ListAccountRoles for one account, every page.
    pub fn list_account_roles(&self, token: &Secret, account_id: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut q = format!(
                "/assignment/roles?account_id={}&max_result={PAGE_SIZE}",
                query_escape(account_id)
            );
            if let Some(t) = &next {
                q.push_str(&format!("&next_token={}", query_escape(t)));
            }
            let (roles, next_token) = roles_page(&self.get("ListAccountRoles", q, token)?)?;
            out.extend(roles);
            match next_token {
                Some(t) if next.as_deref() != Some(t.as_str()) => next = Some(t),
                _ => return Ok(out),
            }
        }
    }

    /// Logout: ends the token's session at the portal.
    pub fn logout(&self, token: &Secret) -> Result<()> {
        let a = self.http.send(&Request {
            op: "Logout",
            method: Method::Post,
            url: format!("{}/logout", self.base),
            bearer: Some(token),
            json: None,
            retry: Retry::Standard,
            secret_query: false,
        })?;
        if a.is_success() {
            Ok(())
        } else {
            Err(crate::http::aws_error("Logout", &a))
        }
    }
}
