//! The SSO portal API (reference §3): GetRoleCredentials with the access token in
//! `x-amz-sso_bearer_token`; ListAccounts and ListAccountRoles, the latter for many
//! accounts at once (`roles_of_accounts`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::http::{Answer, Http, MAX_IN_FLIGHT, Method, Request, Retry, decode, query_escape};
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

/// A GET of the portal's with the token.
fn get_request<'t>(
    op: &'static str,
    base: &str,
    path_and_query: &str,
    token: &'t Secret,
) -> Request<'t> {
    Request {
        op,
        method: Method::Get,
        url: format!("{base}{path_and_query}"),
        bearer: Some(token),
        json: None,
        retry: Retry::Standard,
        secret_query: false,
    }
}

/// ListAccountRoles for one account, every page, each sent through `send`.
fn account_roles(
    base: &str,
    token: &Secret,
    account_id: &str,
    send: impl Fn(&Request<'_>) -> Result<Answer>,
) -> Result<Vec<String>> {
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
        let (roles, next_token) =
            roles_page(&send(&get_request("ListAccountRoles", base, &q, token))?)?;
        out.extend(roles);
        match next_token {
            Some(t) if next.as_deref() != Some(t.as_str()) => next = Some(t),
            _ => return Ok(out),
        }
    }
}

/// `f` over `items` on up to `bound` threads, the results in `items`' order: the
/// same as `items.iter().map(f).collect()`, errors included. Items are handed out
/// in order and none after one that failed, and every item before a failed one is
/// finished, so the error returned is the one a loop would have stopped at.
fn map_in_order<T: Sync, R: Send>(
    items: &[T],
    bound: usize,
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    // The lowest index that failed so far (usize::MAX: none).
    let failed = AtomicUsize::new(usize::MAX);
    let results: Vec<Mutex<Option<Result<R>>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= items.len() || i > failed.load(Ordering::SeqCst) {
                return;
            }
            let r = f(&items[i]);
            if r.is_err() {
                failed.fetch_min(i, Ordering::SeqCst);
            }
            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (1..bound.min(items.len()))
            .map(|_| scope.spawn(work))
            .collect();
        // This thread works too, then waits for the others; a worker's panic is
        // this thread's.
        work();
        for w in workers {
            if let Err(panic) = w.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    let mut out = Vec::with_capacity(items.len());
    for slot in results {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(r) => out.push(r?),
            // Only items after a failed one are left undone.
            None => unreachable!("an item before any failure was left undone"),
        }
    }
    Ok(out)
}

impl Portal<'_> {
    fn get(&self, op: &'static str, path_and_query: &str, token: &Secret) -> Result<Answer> {
        self.http
            .send(&get_request(op, &self.base, path_and_query, token))
    }

    /// ListAccounts, every page.
    pub fn list_accounts(&self, token: &Secret) -> Result<Vec<Account>> {
        self.list_accounts_counting(token, &|_| {})
    }

    /// ListAccounts, every page; `seen(n)` after each page, with the number of
    /// accounts so far.
    pub fn list_accounts_counting(
        &self,
        token: &Secret,
        seen: &dyn Fn(usize),
    ) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut q = format!("/assignment/accounts?max_result={PAGE_SIZE}");
            if let Some(t) = &next {
                q.push_str(&format!("&next_token={}", query_escape(t)));
            }
            let (accounts, next_token) = accounts_page(&self.get("ListAccounts", &q, token)?)?;
            out.extend(accounts);
            seen(out.len());
            match next_token {
                Some(t) if next.as_deref() != Some(t.as_str()) => next = Some(t),
                _ => return Ok(out),
            }
        }
    }

    /// ListAccountRoles for one account, every page.
    pub fn list_account_roles(&self, token: &Secret, account_id: &str) -> Result<Vec<String>> {
        account_roles(&self.base, token, account_id, |r| self.http.send(r))
    }

    /// ListAccountRoles, every page, for each account, with up to `MAX_IN_FLIGHT`
    /// requests in flight: the same answer as asking one account after another —
    /// the accounts in their order, each with its roles as the portal lists them —
    /// and, when one fails, the same error: that of the first account (in order)
    /// whose roles could not be listed (a 401 included, which the caller answers
    /// with a new token). A 429 slows every request down together (SPEC §7's
    /// bounds per request). `done(n)` is called from the workers each time an
    /// account is complete, with the number complete so far.
    pub fn roles_of_accounts(
        &self,
        token: &Secret,
        accounts: Vec<Account>,
        done: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<(Account, Vec<String>)>> {
        // The workers get the sender and the base URL, not `self`: `Http` stays
        // on this thread with the `Context` it borrows.
        let (sender, base) = (self.http.concurrent(&self.base)?, self.base.as_str());
        let complete = AtomicUsize::new(0);
        let roles = map_in_order(&accounts, MAX_IN_FLIGHT, |account: &Account| {
            let roles = account_roles(base, token, &account.id, |r| sender.send(r))?;
            done(complete.fetch_add(1, Ordering::SeqCst) + 1);
            Ok(roles)
        })?;
        Ok(accounts.into_iter().zip(roles).collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn failure(i: usize) -> Error {
        Error::Usage(format!("item {i} failed"))
    }

    #[test]
    fn map_in_order_keeps_the_order_and_the_bound() {
        let items: Vec<usize> = (0..200).collect();
        let (now, max) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let out = map_in_order(&items, 8, |&i| {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(n, Ordering::SeqCst);
            // Later items often finish first.
            std::thread::sleep(Duration::from_micros(((i * 7919) % 13) as u64 * 100));
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(i * 10)
        })
        .unwrap();
        assert_eq!(out, items.iter().map(|i| i * 10).collect::<Vec<_>>());
        let max = max.load(Ordering::SeqCst);
        assert!((1..=8).contains(&max), "{max} at once");
        assert!(
            map_in_order(&[] as &[usize], 8, |&i| Ok(i))
                .unwrap()
                .is_empty()
        );
        assert_eq!(map_in_order(&[5], 8, |&i| Ok(i)).unwrap(), vec![5]);
    }

    #[test]
    fn map_in_order_reports_the_first_failure_in_order_not_in_time() {
        // Item 3 fails only after item 9 has failed: a loop would have stopped
        // at 3, and so must this.
        let nine_failed = AtomicUsize::new(0);
        let items: Vec<usize> = (0..400).collect();
        let e = map_in_order(&items, 16, |&i| match i {
            3 => {
                while nine_failed.load(Ordering::SeqCst) == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(failure(3))
            }
            9 => {
                nine_failed.store(1, Ordering::SeqCst);
                Err(failure(9))
            }
            i => Ok(i),
        })
        .unwrap_err();
        assert_eq!(e.to_string(), failure(3).to_string());
        // Nothing is handed out after a failure: one at a time, that is a loop.
        let handed_out = AtomicUsize::new(0);
        let e = map_in_order(&items, 1, |&i| {
            handed_out.fetch_add(1, Ordering::SeqCst);
            if i == 3 { Err(failure(3)) } else { Ok(i) }
        })
        .unwrap_err();
        assert_eq!(e.to_string(), failure(3).to_string());
        assert_eq!(handed_out.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn map_in_order_passes_a_panic_on() {
        let items: Vec<usize> = (0..20).collect();
        let r = std::panic::catch_unwind(|| {
            map_in_order(&items, 4, |&i| if i == 7 { panic!("seven") } else { Ok(i) })
        });
        assert!(r.is_err());
    }
}
