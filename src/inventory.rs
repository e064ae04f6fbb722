//! `sso-helper list` (what the user can reach) and `sso-helper status` (what is
//! stored). Both return text for `output`; neither ever shows a secret. Their
//! `--json` shapes are documented in docs/commands/ and kept stable. Also what
//! `list` and `configure` share: every account with its roles
//! (`accounts_and_roles`), and the progress line on a terminal while that runs.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::SsoSession;
use crate::context::Context;
use crate::credentials::{MIN_LIFETIME, Options, Session};
use crate::error::Result;
use crate::portal::{Account, Portal};
use crate::secret::Secret;
use crate::store::FileStore;
use crate::store::Store;
use crate::timestamp::format_utc;
use crate::token::TOKEN_SKEW;
use serde::Serialize;

#[derive(Serialize)]
struct SessionJson<'a> {
    name: Option<&'a str>,
    #[serde(rename = "startUrl")]
    start_url: &'a str,
    region: &'a str,
}

impl<'a> SessionJson<'a> {
    fn of(s: &'a SsoSession) -> SessionJson<'a> {
        SessionJson {
            name: s.name.as_deref(),
            start_url: &s.start_url,
            region: &s.region,
        }
    }
}

#[derive(Serialize)]
struct AccountJson {
    #[serde(rename = "accountId")]
    id: String,
    #[serde(rename = "accountName")]
    name: String,
    #[serde(rename = "emailAddress")]
    email: String,
    roles: Vec<String>,
}

/// Every account the token reaches with its roles, as the portal lists them:
/// ListAccounts (every page), then ListAccountRoles (every page) for each account,
/// `http::MAX_IN_FLIGHT` requests at a time, in ListAccounts' order; the first
/// failure in that order is the error. Shows `Progress` meanwhile.
pub fn accounts_and_roles(
    ctx: &Context,
    portal: &Portal<'_>,
    token: &Secret,
) -> Result<Vec<(Account, Vec<String>)>> {
    let progress = Progress::start(ctx);
    let accounts = portal.list_accounts_counting(token, &|n| progress.accounts(n))?;
    let total = accounts.len();
    progress.roles(0, total);
    portal.roles_of_accounts(token, accounts, &|done| progress.roles(done, total))
}

/// The line `list` and `configure` keep on stderr while they ask the portal about
/// every account (`listing accounts: 300`, then `listing roles: 120/1000
/// accounts`), so a big organisation shows signs of life; cleared when dropped.
/// Only when stderr is a terminal that can erase a line (indicatif draws nothing
/// when `TERM` is unset or `dumb`) — SDKs and scripts that capture stderr get
/// nothing — and not with `-v`, whose request lines would tear it (they are the
/// sign of life then). The credentials command never shows one.
struct Progress(Option<ProgressBar>);

impl Progress {
    fn start(ctx: &Context) -> Progress {
        if ctx.verbose() || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{msg}").expect("a valid template"));
        bar.set_message("listing accounts");
        Progress(Some(bar))
    }

    /// `n` accounts listed so far.
    fn accounts(&self, n: usize) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!("listing accounts: {n}"));
        }
    }

    /// The roles of `done` of `total` accounts listed.
    fn roles(&self, done: usize, total: usize) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!("listing roles: {done}/{total} accounts"));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// `list`: every account with its roles, sorted by name then id; roles sorted.
pub fn list(session: &Session<'_>, sso: &SsoSession, opts: &Options, json: bool) -> Result<String> {
    let portal = session.portal(sso)?;
    let mut accounts = session.with_token(sso, opts, |token| {
        let reachable = accounts_and_roles(session.ctx, &portal, &token.access_token)?;
        Ok(reachable
            .into_iter()
            .map(|(a, mut roles)| {
                roles.sort();
                AccountJson {
                    id: a.id,
                    name: a.name,
                    email: a.email,
                    roles,
                }
            })
            .collect::<Vec<_>>())
    })?;
    accounts.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    if json {
        #[derive(Serialize)]
        struct ListJson<'a> {
            session: SessionJson<'a>,
            accounts: &'a [AccountJson],
        }
        return Ok(serde_json::to_string_pretty(&ListJson {
            session: SessionJson::of(sso),
            accounts: &accounts,
        })
        .expect("plain data serializes"));
    }
    if accounts.is_empty() {
        return Ok(format!(
            "{}: no accounts are assigned to you",
            sso.describe()
        ));
    }
    let rows: Vec<[String; 4]> = accounts
        .iter()
        .map(|a| {
            [
                a.id.clone(),
                a.name.clone(),
                a.email.clone(),
                a.roles.join(", "),
            ]
        })
        .collect();
    Ok(table(&["ACCOUNT ID", "NAME", "EMAIL", "ROLES"], &rows))
}

/// Left-aligned columns, two spaces apart, no trailing spaces; widths are
/// terminal columns (`unicode-width`: a CJK or fullwidth character takes two).
fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut widths = header.map(|h| h.width());
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            s.push_str(cell);
            if i + 1 < N {
                s.push_str(&" ".repeat(w - cell.width() + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

#[derive(Serialize)]
struct TokenJson {
    /// `valid`, `expired` or `missing`.
    state: &'static str,
    #[serde(rename = "expiresAt")]
    expires_at: Option<String>,
    #[serde(rename = "secondsLeft")]
    seconds_left: Option<i64>,
    refreshable: bool,
    /// The store that holds it: `keychain`, `file`, or `aws-cli` for a token the
    /// AWS CLI left while the keychain store is in use.
    store: Option<&'static str>,
}

#[derive(Serialize)]
struct RoleJson {
    profile: String,
    #[serde(rename = "accountId")]
    account_id: String,
    #[serde(rename = "roleName")]
    role_name: String,
    cached: bool,
    expiration: Option<String>,
    #[serde(rename = "secondsLeft")]
    seconds_left: Option<i64>,
    /// Whether the credentials command would serve them (15 minutes or more left).
    fresh: bool,
}

#[derive(Serialize)]
struct SessionStatusJson<'a> {
    #[serde(flatten)]
    session: SessionJson<'a>,
    token: TokenJson,
    roles: Vec<RoleJson>,
}

/// `status`: per session, where its token is kept, until when, refreshable or not;
/// per role of the config's profiles, the cached credentials' time left. A store
/// that will not answer (a keychain that stays locked) is the command's error, not
/// a report of nothing stored.
pub fn status(session: &Session<'_>, json: bool) -> Result<String> {
    let store = session.store()?;
    let now = session.ctx.now();
    let sessions = session.sessions_in_config();
    let cli_store = FileStore::new(&session.aws);
    let fallback = session.auto_fallback(store);
    let mut out = Vec::new();
    for sso in &sessions {
        let (token, source) = match store.try_load_token(sso)? {
            Some(t) => (Some(t), Some(store.name())),
            None if store.name() != "file" => match cli_store.load_token(sso) {
                Some(t) => (Some(t), Some("aws-cli")),
                None => (None, None),
            },
            None => (None, None),
        };
        let token_json = match &token {
            Some(t) => TokenJson {
                state: if t.expires_at > now {
                    "valid"
                } else {
                    "expired"
                },
                expires_at: Some(format_utc(t.expires_at)),
                seconds_left: Some((t.expires_at - now).whole_seconds().max(0)),
                refreshable: t.refresh_material(now).is_some(),
                store: source,
            },
            None => TokenJson {
                state: "missing",
                expires_at: None,
                seconds_left: None,
                refreshable: false,
                store: None,
            },
        };
        let roles = session
            .role_keys(sso)
            .into_iter()
            .map(|(profile, key)| {
                let creds = match store.try_load_role_credentials(&key)? {
                    Some(c) => Some(c),
                    // What `auto` kept in the file cache when the keychain would
                    // not take it (the credentials command looks there too).
                    None => fallback
                        .as_ref()
                        .and_then(|f| f.load_role_credentials(&key)),
                };
                Ok(RoleJson {
                    profile,
                    account_id: key.account_id,
                    role_name: key.role_name,
                    cached: creds.is_some(),
                    expiration: creds.as_ref().map(|c| format_utc(c.expiration)),
                    seconds_left: creds
                        .as_ref()
                        .map(|c| (c.expiration - now).whole_seconds().max(0)),
                    fresh: creds
                        .as_ref()
                        .is_some_and(|c| c.expiration - now >= MIN_LIFETIME),
                })
            })
            .collect::<Result<_>>()?;
        out.push(SessionStatusJson {
            session: SessionJson::of(sso),
            token: token_json,
            roles,
        });
    }
    if json {
        #[derive(Serialize)]
        struct StatusJson<'a> {
            store: &'static str,
            sessions: &'a [SessionStatusJson<'a>],
        }
        return Ok(serde_json::to_string_pretty(&StatusJson {
            store: store.name(),
            sessions: &out,
        })
        .expect("plain data serializes"));
    }
    let mut lines = vec![format!(
        "token store: {}",
        store_description(store, session)
    )];
    if out.is_empty() {
        lines.push(format!(
            "no SSO sessions in {}",
            session.config.path.display()
        ));
    }
    for (sso, s) in sessions.iter().zip(&out) {
        lines.push(format!(
            "{} ({}, {})",
            sso.describe(),
            sso.start_url,
            sso.region
        ));
        let t = &s.token;
        let line = match t.state {
            "missing" => format!("token: none; run `{}`", session.login_command(sso)),
            state => format!(
                "token: {state}, {} {} ({}), {}, in the {} store",
                if state == "valid" { "until" } else { "since" },
                t.expires_at.as_deref().unwrap_or("?"),
                if state == "valid" && t.seconds_left.unwrap_or(0) <= TOKEN_SKEW.whole_seconds() {
                    format!(
                        "{}; inside the 5-minute margin: the next call refreshes it or signs in",
                        left(t.seconds_left.unwrap_or(0))
                    )
                } else if state == "valid" {
                    left(t.seconds_left.unwrap_or(0))
                } else {
                    "expired".into()
                },
                if t.refreshable {
                    "refreshable"
                } else {
                    "not refreshable"
                },
                t.store.unwrap_or("?"),
            ),
        };
        lines.push(format!("  {line}"));
        for r in &s.roles {
            let state = match (&r.expiration, r.seconds_left) {
                (Some(exp), Some(secs)) if secs > 0 => format!(
                    "cached until {exp} ({}){}",
                    left(secs),
                    if r.fresh {
                        ""
                    } else {
                        ", under 15 minutes: will be renewed"
                    }
                ),
                (Some(_), _) => "cached, expired".into(),
                _ => "not cached".into(),
            };
            lines.push(format!(
                "  role {} in {} (profile {}): {state}",
                r.role_name, r.account_id, r.profile
            ));
        }
    }
    Ok(lines.join("\n"))
}

fn store_description(store: &dyn Store, session: &Session<'_>) -> String {
    match store.name() {
        "file" => format!("file (the AWS CLI's caches in {})", session.aws.display()),
        other => format!("{other} (the OS keychain)"),
    }
}

/// `7h 59m left`, `12m left`, `40s left`.
fn left(secs: i64) -> String {
    let (h, m) = (secs / 3600, secs % 3600 / 60);
    match (h, m) {
        (0, 0) => format!("{secs}s left"),
        (0, m) => format!("{m}m left"),
        (h, m) => format!("{h}h {m}m left"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let rows = vec![
            ["1".to_string(), "Long name".to_string()],
            ["22".to_string(), "x".to_string()],
        ];
        assert_eq!(
            table(&["ID", "NAME"], &rows),
            "ID  NAME\n1   Long name\n22  x"
        );
        // Wide characters take two columns: the next column starts at the same
        // place on screen in every row.
        let rows = vec![
            ["本番環境".to_string(), "a".to_string()],
            ["Ｐｒｏｄ".to_string(), "b".to_string()],
            ["Prod".to_string(), "c".to_string()],
        ];
        assert_eq!(
            table(&["NAME", "X"], &rows),
            "NAME      X\n本番環境  a\nＰｒｏｄ  b\nProd      c"
        );
    }

    #[test]
    fn time_left() {
        assert_eq!(left(40), "40s left");
        assert_eq!(left(12 * 60 + 5), "12m left");
        assert_eq!(left(7 * 3600 + 59 * 60), "7h 59m left");
    }
}
