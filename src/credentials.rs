//! The credentials command's algorithm (SPEC §3): cached role credentials → stored
//! token → refresh → the AWS CLI's token → browser login, then GetRoleCredentials;
//! a 401 discards the token and goes back to the refresh step. The warm path reads
//! the config and one cache file and touches nothing else: no HTTP agent, no TLS.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use time::{Duration, OffsetDateTime};

use crate::config::{ConfigFile, RoleProfile, SsoSession, aws_dir, config_path};
use crate::context::Context;
use crate::endpoints::{self, Service};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::keychain::KeychainStore;
use crate::lock::{Guard, Locks, Waiting};
use crate::login::{self, LoginOptions};
use crate::oidc::Oidc;
use crate::portal::{Portal, RoleCredentials, is_unauthorized};
use crate::store::{ChosenBy, FileStore, RoleIndex, RoleKey, Store};
use crate::token::{Flow, Token};

/// Cached role credentials are served only with at least this much left: botocore
/// re-runs the process inside its 15-minute advisory window.
pub const MIN_LIFETIME: Duration = Duration::minutes(15);

/// How long a process waits for another's sign-in: longer than any sign-in can
/// take (a device code lives at most 30 minutes, `oidc`, and the wait a minute
/// past it; a PKCE sign-in 10 minutes), then it gives up.
pub const SIGN_IN_LOCK_LIMIT: Duration = Duration::minutes(33);
/// How long a process waits for another's GetRoleCredentials (at most a minute
/// of retries, each request at most 30 s).
pub const ROLE_LOCK_LIMIT: Duration = Duration::minutes(3);

#[derive(Debug, Default, Clone)]
pub struct Options {
    pub profile: Option<String>,
    pub no_login: bool,
    pub no_browser: bool,
    /// `--flow`: `device`, `pkce` or `auto`.
    pub flow: Option<String>,
    /// `--token-store`: `keychain`, `file` or `auto`.
    pub token_store: Option<String>,
    /// `--redirect-port`: a fixed port for the PKCE listener.
    pub redirect_port: Option<u16>,
    /// The credentials command, which SDKs run with its stderr hidden: a sign-in
    /// no one can see is refused at once (exit 3) instead of waited out.
    pub unattended: bool,
}

/// The profile to use: `--profile`, else `AWS_DEFAULT_PROFILE`, else
/// `AWS_PROFILE`, else `default` — botocore's order (`configprovider.py`, the
/// `profile` entry of `BOTOCORE_DEFAUT_SESSION_VARIABLES`). An empty variable
/// counts as unset.
pub fn profile_name(ctx: &Context, flag: Option<&str>) -> String {
    flag.or_else(|| ctx.var("AWS_DEFAULT_PROFILE"))
        .or_else(|| ctx.var("AWS_PROFILE"))
        .unwrap_or("default")
        .to_string()
}

/// The HTTP client, trusting `AWS_CA_BUNDLE` (else the profile's `ca_bundle`)
/// beside the system's roots.
pub fn http_for<'c>(ctx: &'c Context, config: &ConfigFile, profile: &str) -> Result<Http<'c>> {
    let http = Http::new(ctx);
    if let Some(path) = ctx.var("AWS_CA_BUNDLE") {
        return Ok(http.with_ca_bundle(
            crate::config::expand_tilde(ctx, path)?,
            "AWS_CA_BUNDLE".into(),
        ));
    }
    if let Some(path) = config.profile(profile).and_then(|s| s.get("ca_bundle")) {
        let source = format!("ca_bundle in [{}]", crate::config::profile_header(profile));
        return Ok(http.with_ca_bundle(crate::config::expand_tilde(ctx, path)?, source));
    }
    Ok(http)
}

/// Everything one invocation works with once the config is read.
pub struct Session<'c> {
    pub ctx: &'c Context,
    pub config: ConfigFile,
    pub profile: String,
    /// The profile was given with `--profile` (not taken from the environment or
    /// the `default` fallback).
    profile_given: bool,
    store: OnceCell<Box<dyn Store>>,
    store_choice: Option<String>,
    pub http: Http<'c>,
    pub aws: PathBuf,
    locks: Locks,
    /// When this process began: a sign-in failure recorded after it is ours too.
    started: OffsetDateTime,
}

impl<'c> Session<'c> {
    pub fn open(ctx: &'c Context, opts: &Options) -> Result<Session<'c>> {
        let config = ConfigFile::load(&config_path(ctx)?)?;
        Session::with_config(ctx, opts, config)
    }

    /// For `configure`: a config file that does not exist yet is an empty one.
    pub fn open_or_empty(ctx: &'c Context, opts: &Options) -> Result<Session<'c>> {
        let config = ConfigFile::load_or_empty(&config_path(ctx)?)?;
        Session::with_config(ctx, opts, config)
    }

    fn with_config(ctx: &'c Context, opts: &Options, config: ConfigFile) -> Result<Session<'c>> {
        let started = ctx.now();
        let mut profile = profile_name(ctx, opts.profile.as_deref());
        if let Some(target) = config.followed(&profile)? {
            ctx.debug(|| {
                format!("[profile {profile}] runs sso-helper --profile {target}: using {target}")
            });
            profile = target;
        }
        let http = http_for(ctx, &config, &profile)?;
        let aws = aws_dir(ctx)?;
        Ok(Session {
            ctx,
            config,
            profile,
            profile_given: opts.profile.is_some(),
            store: OnceCell::new(),
            store_choice: opts.token_store.clone(),
            http,
            locks: Locks::new(&aws),
            aws,
            started,
        })
    }

    /// The token store, opened on first use (SPEC §4): `--token-store`, else
    /// `SSO_HELPER_TOKEN_STORE`, else `auto` — the keychain when one answers, else
    /// the AWS CLI's file cache, said once on stderr. `keychain` never falls back.
    pub fn store(&self) -> Result<&dyn Store> {
        self.open_store(None)
    }

    /// [`Session::store`], opened (when it is not yet) for reading `first`'s
    /// role credentials first: the keychain sends that lookup with its opening.
    fn open_store(&self, first: Option<&RoleKey>) -> Result<&dyn Store> {
        if let Some(s) = self.store.get() {
            return Ok(s.as_ref());
        }
        let (choice, chosen) = self.store_setting();
        let store: Box<dyn Store> = match choice {
            "file" => Box::new(FileStore::new(&self.aws)),
            "keychain" => Box::new(KeychainStore::open(self.ctx, chosen, first)?),
            "auto" => match KeychainStore::open(self.ctx, chosen, first) {
                Ok(k) => Box::new(k),
                Err(e) => {
                    self.ctx
                        .debug(|| format!("no keychain ({e}); using the file store"));
                    self.notice_file_fallback(&e, chosen);
                    Box::new(FileStore::new(&self.aws))
                }
            },
            other => {
                return Err(Error::Environment {
                    message: format!("{} = {other} is not a token store", chosen.setting()),
                    hint: "use keychain, file or auto".into(),
                });
            }
        };
        Ok(self.store.get_or_init(|| store).as_ref())
    }

    /// The AWS CLI's file cache, when `store` is a keychain that `auto` chose:
    /// where what the keychain will not take is kept instead.
    pub(crate) fn auto_fallback(&self, store: &dyn Store) -> Option<FileStore> {
        (store.name() != "file" && self.store_setting().0 == "auto")
            .then(|| FileStore::new(&self.aws))
    }

    /// The token store asked for, and by what: `--token-store`, else
    /// `SSO_HELPER_TOKEN_STORE`, else `auto` (by nothing).
    fn store_setting(&self) -> (&str, ChosenBy) {
        ChosenBy::resolve(
            self.store_choice.as_deref(),
            self.ctx.var("SSO_HELPER_TOKEN_STORE"),
        )
    }

    /// Stores the token a sign-in or a refresh just gave. A store that will not
    /// take it does not fail the call, which has its token (the sign-in
    /// succeeded; a refresh may have used up the stored refresh token): with
    /// `auto`, a keychain's refusal sends the token to the AWS CLI's file cache,
    /// where the next call finds it (step 4); otherwise the next call signs in
    /// again. Either way it is said on stderr.
    fn keep_token(&self, session: &SsoSession, token: &Token) -> Result<()> {
        let store = self.store()?;
        let Err(e) = store.save_token(session, token) else {
            return Ok(());
        };
        if let Some(file) = self.auto_fallback(store)
            && file.save_token(session, token).is_ok()
        {
            eprintln!(
                "{}",
                kept_in_files(
                    "the token",
                    "it is",
                    &e,
                    &self.aws.join("sso").join("cache")
                )
            );
        } else {
            eprintln!(
                "{}",
                not_kept(
                    &format!("the token for {} could not be stored", session.describe()),
                    &e,
                    "this call goes on, the next one signs in again",
                )
            );
        }
        Ok(())
    }

    /// Says once (per home directory) that `auto` fell back to the file store:
    /// a marker file remembers it was said. When the marker cannot be written
    /// the same line says so, since it will be said again.
    fn notice_file_fallback(&self, why: &Error, chosen: ChosenBy) {
        let marker = self.aws.join("sso-helper").join("file-store-notice");
        if marker.exists() {
            return;
        }
        let remembered = crate::store::write_json(&marker, &"the file store is in use");
        let mut line = format!(
            "sso-helper: no OS keychain answered ({why}); tokens are kept in the AWS CLI's cache in {} instead ({} to silence this)",
            self.aws.join("sso").join("cache").display(),
            chosen.use_file_store()
        );
        if let Err(e) = remembered {
            line.push_str(&format!(
                "; this notice comes again on every call, as {e}{}",
                e.hint().map(|h| format!(" ({h})")).unwrap_or_default()
            ));
        }
        eprintln!("{}", line.replace(['\n', '\r'], " "));
    }

    /// The endpoint for `session`. The profile's own overrides (`endpoint_url`,
    /// `services`) apply only to the session that profile uses: a token is never
    /// sent where another session's profile points (SPEC §8).
    pub fn endpoint(&self, service: Service, session: &SsoSession) -> Result<String> {
        let own = self
            .config
            .session_for_profile(&self.profile)
            .is_ok_and(|s| {
                s.cache_key() == session.cache_key() && s.start_url == session.start_url
            });
        let profile = own.then_some(self.profile.as_str());
        endpoints::resolve(self.ctx, &self.config, profile, service, &session.region)
    }

    /// The command that signs in to `session`, complete and for the same target:
    /// `--profile` with the profile in use when it uses that session, else
    /// `--sso-session` with its name, else (a legacy session has none) a profile
    /// that uses it; and `--token-store` when one was chosen by flag. The profile
    /// is always named: the shell the hint is run in may have another
    /// `AWS_PROFILE` than the SDK that ran sso-helper.
    pub fn login_command(&self, session: &SsoSession) -> String {
        let uses = |p: &str| {
            self.config.session_for_profile(p).is_ok_and(|s| {
                s.cache_key() == session.cache_key() && s.start_url == session.start_url
            })
        };
        let target = if uses(&self.profile) {
            format!(
                "--profile {}",
                crate::hint::arg(&self.profile, self.ctx.platform())
            )
        } else if let Some(name) = &session.name {
            format!(
                "--sso-session {}",
                crate::hint::arg(name, self.ctx.platform())
            )
        } else {
            match self.config.profile_order.iter().find(|p| uses(p)) {
                Some(p) => format!("--profile {}", crate::hint::arg(p, self.ctx.platform())),
                None => format!(
                    "--profile {}",
                    crate::hint::arg(&self.profile, self.ctx.platform())
                ),
            }
        };
        let mut command = format!("sso-helper login {target}");
        if let Some(store) = &self.store_choice {
            command.push_str(&format!(" --token-store {store}"));
        }
        command
    }

    /// Takes the session's lock, telling the user when another process holds it.
    fn lock_session(&self, session: &SsoSession) -> Result<(Guard, String)> {
        let key = format!("session:{}", session.cache_key());
        let notice = format!(
            "sso-helper: waiting for the sign-in to {} in progress in another process",
            session.describe()
        );
        let what = format!("the sign-in to {}", session.describe());
        let waiting = Waiting {
            notice: Some(&notice),
            what: &what,
        };
        let guard = self
            .locks
            .acquire(self.ctx, &key, waiting, SIGN_IN_LOCK_LIMIT)?;
        Ok((guard, key))
    }

    /// A usable token for `session`: stored, refreshed, imported or from a new
    /// sign-in (steps 2–5). `rejected` is a token the portal just refused: it is
    /// discarded, but its refresh token may still serve.
    ///
    /// The stored token is read without a lock; everything else happens under the
    /// session's lock, after looking again, so concurrent processes wait for the one
    /// sign-in in progress and then use its token.
    pub fn token(
        &self,
        session: &SsoSession,
        opts: &Options,
        rejected: Option<&Token>,
    ) -> Result<Token> {
        let ctx = self.ctx;
        if rejected.is_none()
            && let Some(t) = self.store()?.try_load_token(session)?
            && t.is_usable(ctx.now())
        {
            ctx.debug(|| format!("using the stored token for {}", session.describe()));
            return Ok(t);
        }
        let (_guard, key) = self.lock_session(session)?;
        // Look again: another process may have done the work while this one waited.
        let now = ctx.now();
        let stored = self.store()?.try_load_token(session)?;
        let is_rejected = |t: &Token| rejected.is_some_and(|r| r.access_token == t.access_token);
        if let Some(t) = &stored
            && t.is_usable(now)
            && !is_rejected(t)
        {
            ctx.debug(|| format!("another process signed in to {}", session.describe()));
            return Ok(t.clone());
        }
        if let Some(err) = self.locks.failure_since(&key, self.started) {
            return Err(err);
        }
        // With `auto`, a token the keychain would not take is in the AWS CLI's
        // cache (keep_token): one that has expired is refreshed from there.
        let mut from_file = None;
        let candidate = match rejected {
            Some(r) => {
                if stored.as_ref().is_some_and(is_rejected) {
                    self.store()?.delete_token(session)?;
                }
                let mut dead = r.clone();
                dead.expires_at = now - Duration::seconds(1);
                Some(dead)
            }
            None => match stored {
                Some(t) => Some(t),
                None => {
                    from_file = self.auto_fallback(self.store()?);
                    from_file.as_ref().and_then(|f| f.load_token(session))
                }
            },
        };
        if from_file.is_some()
            && let Some(t) = &candidate
            && t.is_usable(now)
        {
            ctx.debug(|| "using the token kept in the AWS CLI's cache".into());
            return Ok(t.clone());
        }
        if let Some(t) = &candidate
            && t.refresh_material(now).is_some()
        {
            let oidc = Oidc {
                http: &self.http,
                base: self.endpoint(Service::Oidc, session)?,
            };
            if let Some(token) = self.refresh_or_follow(&oidc, session, t, &is_rejected)? {
                // The refresh may have used up the refresh token of the AWS CLI's
                // copy: the new token replaces it there too, whichever store
                // took it.
                if let Some(file) = &from_file
                    && let Err(e) = file.save_token(session, &token)
                {
                    ctx.debug(|| format!("could not update the AWS CLI's token: {e}"));
                }
                return Ok(token);
            }
        }
        // Step 4: a token `aws sso login` wrote is used as it is. With the file store
        // that is the token looked at above.
        if self.store()?.name() != "file"
            && let Some(t) = FileStore::new(&self.aws).load_token(session)
            && t.is_usable(now)
            && !is_rejected(&t)
        {
            ctx.debug(|| "using the token the AWS CLI stored".into());
            return Ok(t);
        }
        // A sign-in whose token the store could not keep is not started (with
        // `auto` it would go to the file cache), nor suggested.
        if self.auto_fallback(self.store()?).is_none() {
            self.store()?.check_writable()?;
        }
        if opts.no_login || ctx.flag("SSO_HELPER_NO_LOGIN") {
            let why = match candidate {
                Some(_) => "has expired and cannot be refreshed",
                None => "is missing",
            };
            return Err(Error::LoginRequired {
                what: format!(
                    "the SSO token for {} {why}, and --no-login (or SSO_HELPER_NO_LOGIN) forbids signing in",
                    session.describe()
                ),
                login_hint: format!("run `{}`", self.login_command(session)),
            });
        }
        let result = self.sign_in(session, opts);
        match &result {
            Ok(token) => ctx.show(&format!(
                "sso-helper: signed in to {}; the token is valid until {}",
                session.describe(),
                crate::timestamp::format_utc(token.expires_at)
            )),
            Err(e) => self.locks.record_failure(ctx, &key, e),
        }
        result
    }

    /// The refresh, aware of the clients that share the token file without our lock
    /// (the AWS CLI, the SDKs): refresh tokens rotate, so when the service refuses
    /// ours another client may just have used it and be writing its new token. The
    /// store is then read again for a moment: a usable token other than the one
    /// tried is used, and a new refresh token is tried in its turn.
    fn refresh_or_follow(
        &self,
        oidc: &Oidc<'_>,
        session: &SsoSession,
        first: &Token,
        is_rejected: &dyn Fn(&Token) -> bool,
    ) -> Result<Option<Token>> {
        /// How long another client's write is waited for, and how often to look.
        const FOLLOW_FOR: u32 = 10;
        const FOLLOW_STEP: std::time::Duration = std::time::Duration::from_millis(100);
        let ctx = self.ctx;
        let mut tried = first.clone();
        for _ in 0..3 {
            if let Some(fresh) = login::refresh(ctx, oidc, session, &tried)? {
                self.keep_token(session, &fresh)?;
                return Ok(Some(fresh));
            }
            let mut next = None;
            for step in 0..FOLLOW_FOR {
                if step > 0 {
                    ctx.sleep(FOLLOW_STEP);
                }
                let Some(now_stored) = self.store()?.try_load_token(session)? else {
                    continue;
                };
                let changed = now_stored.access_token != tried.access_token
                    || now_stored.refresh_token != tried.refresh_token;
                if !changed || is_rejected(&now_stored) {
                    continue;
                }
                if now_stored.is_usable(ctx.now()) {
                    ctx.debug(|| {
                        "the refresh was refused, but another client has stored a new token; using it"
                            .into()
                    });
                    return Ok(Some(now_stored));
                }
                if now_stored.refresh_material(ctx.now()).is_some()
                    && now_stored.refresh_token != tried.refresh_token
                {
                    next = Some(now_stored);
                    break;
                }
            }
            match next {
                Some(t) => tried = t,
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// `sso-helper login`: a new sign-in whatever is stored, under the session's lock.
    pub fn login(&self, session: &SsoSession, opts: &Options) -> Result<Token> {
        let (_guard, key) = self.lock_session(session)?;
        let result = self.sign_in(session, opts);
        if let Err(e) = &result {
            self.locks.record_failure(self.ctx, &key, e);
        }
        result
    }

    /// A new browser sign-in, stored. Callers hold the session's lock.
    fn sign_in(&self, session: &SsoSession, opts: &Options) -> Result<Token> {
        let oidc = Oidc {
            http: &self.http,
            base: self.endpoint(Service::Oidc, session)?,
        };
        let retry = self.login_command(session);
        let fallback = self.auto_fallback(self.store()?);
        let login_opts = LoginOptions {
            no_browser: opts.no_browser || self.ctx.flag("SSO_HELPER_NO_BROWSER"),
            retry_command: &retry,
            unattended: opts.unattended,
            redirect_port: opts.redirect_port.or(session.redirect_port),
            registration_fallback: fallback.as_ref().map(|f| f as &dyn Store),
        };
        login_opts.check_before_start(self.ctx, session)?;
        let flow = login::choose_flow(
            self.ctx,
            session,
            opts.flow.as_deref(),
            login::in_container(self.ctx),
            login_opts.redirect_port.is_some(),
        );
        self.ctx
            .debug(|| format!("signing in with the {flow:?} flow"));
        let token = match flow {
            Flow::Device => {
                login::device_login(self.ctx, &oidc, self.store()?, session, &login_opts)?
            }
            Flow::Pkce => login::pkce_login(self.ctx, &oidc, self.store()?, session, &login_opts)?,
        };
        self.keep_token(session, &token)?;
        Ok(token)
    }

    /// Role credentials for a resolved profile (steps 1–5 and the 401 rule). The
    /// cache is read without a lock; a fetch happens under the role's own lock,
    /// taken once the token is in hand, so different roles fetch in parallel.
    pub fn role_credentials(
        &self,
        target: &RoleProfile,
        opts: &Options,
    ) -> Result<RoleCredentials> {
        let ctx = self.ctx;
        let key = RoleKey {
            session: target.session.clone(),
            account_id: target.account_id.clone(),
            role_name: target.role_name.clone(),
        };
        let store = self.open_store(Some(&key))?;
        // With `auto`, role credentials a keychain would not take went to the
        // AWS CLI's file cache (keep_role_credentials): look there on a miss.
        let fresh = |c: &RoleCredentials| c.expiration - ctx.now() >= MIN_LIFETIME;
        let cached = || -> Result<Option<RoleCredentials>> {
            Ok(match store.try_load_role_credentials(&key)?.filter(fresh) {
                Some(c) => Some(c),
                None => self
                    .auto_fallback(store)
                    .and_then(|f| f.load_role_credentials(&key))
                    .filter(fresh),
            })
        };
        if let Some(c) = cached()? {
            ctx.debug(|| "serving cached role credentials".into());
            return Ok(c);
        }
        let portal = Portal {
            http: &self.http,
            base: self.endpoint(Service::Portal, &target.session)?,
        };
        let token = self.token(&target.session, opts, None)?;
        let lock_key = format!(
            "role:{}:{}:{}",
            target.session.cache_key(),
            target.account_id,
            target.role_name
        );
        let what = format!(
            "the role credentials of {} in {}",
            target.role_name, target.account_id
        );
        let waiting = Waiting {
            notice: None,
            what: &what,
        };
        let _guard = self
            .locks
            .acquire(ctx, &lock_key, waiting, ROLE_LOCK_LIMIT)?;
        // A second look, for another process's fetch. The first look answered,
        // so a keychain that fails now (it stopped during this call's sign-in)
        // only loses the cache: the call fetches the credentials all the same.
        match cached() {
            Ok(Some(c)) => {
                ctx.debug(|| "another process fetched these role credentials".into());
                return Ok(c);
            }
            Ok(None) => {}
            Err(e) => ctx.debug(|| format!("the role cache could not be read again: {e}")),
        }
        let creds = match portal.get_role_credentials(
            &token.access_token,
            &target.account_id,
            &target.role_name,
            ctx.now(),
        ) {
            Err(e) if is_unauthorized(&e) => {
                ctx.debug(|| "the portal rejected the token (401); discarding it".into());
                let token = self.token(&target.session, opts, Some(&token))?;
                portal.get_role_credentials(
                    &token.access_token,
                    &target.account_id,
                    &target.role_name,
                    ctx.now(),
                )
            }
            other => other,
        }
        .map_err(|e| self.role_error(e, target))?;
        self.keep_role_credentials(store, &key, &creds);
        Ok(creds)
    }

    /// Caches role credentials just fetched and records them for `logout`. Neither
    /// is needed for this call, which has its credentials: a store that will not
    /// take them is said on stderr in one line (why, and what follows), and the
    /// call goes on.
    fn keep_role_credentials(&self, store: &dyn Store, key: &RoleKey, creds: &RoleCredentials) {
        let role = format!("{} in {}", key.role_name, key.account_id);
        if let Err(e) = store.save_role_credentials(key, creds) {
            if let Some(file) = self.auto_fallback(store)
                && file.save_role_credentials(key, creds).is_ok()
            {
                eprintln!(
                    "{}",
                    kept_in_files(
                        &format!("the credentials of role {role}"),
                        "they are",
                        &e,
                        &self.aws.join("cli").join("cache"),
                    )
                );
            } else {
                eprintln!(
                    "{}",
                    not_kept(
                        &format!("the credentials of role {role} could not be cached"),
                        &e,
                        "this call goes on, the next one fetches them again",
                    )
                );
                return;
            }
        }
        if let Err(e) = RoleIndex::new(&self.aws).add(key) {
            eprintln!(
                "{}",
                not_kept(
                    &format!(
                        "the cached credentials of role {role} could not be recorded for logout"
                    ),
                    &e,
                    "`sso-helper logout` deletes them only while a profile names that role",
                )
            );
        }
    }
}

/// The line that says something of this call's could not be kept: `what`, the
/// error and its fix, and what follows for the next call. One line whatever the
/// error's text holds.
/// The line that says what `auto` kept in the AWS CLI's cache `dir` because the
/// keychain would not take it (`e`), on one line.
fn kept_in_files(what: &str, subject: &str, e: &Error, dir: &Path) -> String {
    format!(
        "sso-helper: the OS keychain did not take {what} ({e}); {subject} kept in the AWS CLI's cache in {} instead",
        dir.display()
    )
    .replace(['\n', '\r'], " ")
}

fn not_kept(what: &str, e: &Error, then: &str) -> String {
    let fix = e.hint().map(|h| format!("; {h}")).unwrap_or_default();
    format!("sso-helper: {what} ({e}{fix}); {then}").replace(['\n', '\r'], " ")
}

impl Session<'_> {
    /// A GetRoleCredentials failure, said for the profile: which account and role
    /// were asked for, and the command that shows what the user can take.
    fn role_error(&self, e: Error, target: &RoleProfile) -> Error {
        let profile = crate::hint::arg(&target.profile, self.ctx.platform());
        match &e {
            Error::Aws { status: 401, .. } => {
                let hint = format!(
                    "the SSO token was rejected twice; run `{}`",
                    self.login_command(&target.session)
                );
                e.hinted(None, hint)
            }
            Error::Aws {
                status: 403 | 404, ..
            } => {
                let context = format!(
                    "account {}, role {}, [{}]",
                    target.account_id,
                    target.role_name,
                    crate::config::profile_header(&target.profile)
                );
                let store = self
                    .store_choice
                    .as_ref()
                    .map(|s| format!(" --token-store {s}"))
                    .unwrap_or_default();
                let hint = format!(
                    "your sign-in cannot take that role in that account: check sso_account_id and \
                     sso_role_name against `sso-helper list --profile {profile}{store}`"
                );
                e.hinted(Some(context), hint)
            }
            _ => e,
        }
    }

    /// The session a command works on: `--sso-session NAME`, else the profile's;
    /// and when no `--profile` was given and the profile (from the environment,
    /// or `default`) has no IAM Identity Center settings, the config's only
    /// `[sso-session]` (with several, the error lists them).
    pub fn select(&self, sso_session: Option<&str>) -> Result<SsoSession> {
        if let Some(name) = sso_session {
            return self.config.session(name);
        }
        match self.config.session_for_profile(&self.profile) {
            Ok(s) => Ok(s),
            Err(e) if !self.profile_given && self.config.lacks_sso_settings(&self.profile) => {
                self.config.only_session(&self.profile).unwrap_or(Err(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `f` with a usable token; when the portal rejects it (401), once more with
    /// a refreshed or new one (SPEC §3's 401 rule).
    pub fn with_token<T>(
        &self,
        sso: &SsoSession,
        opts: &Options,
        f: impl Fn(&Token) -> Result<T>,
    ) -> Result<T> {
        let token = self.token(sso, opts, None)?;
        match f(&token) {
            Err(e) if is_unauthorized(&e) => {
                self.ctx
                    .debug(|| "the portal rejected the token (401); discarding it".into());
                let token = self.token(sso, opts, Some(&token))?;
                f(&token).map_err(|e| {
                    if is_unauthorized(&e) {
                        let hint = format!(
                            "the SSO token was rejected twice; run `{}`",
                            self.login_command(sso)
                        );
                        e.hinted(None, hint)
                    } else {
                        e
                    }
                })
            }
            other => other,
        }
    }

    /// The portal client for a session.
    pub fn portal(&self, session: &SsoSession) -> Result<Portal<'_>> {
        Ok(Portal {
            http: &self.http,
            base: self.endpoint(Service::Portal, session)?,
        })
    }

    /// Every SSO session the config file names: its `[sso-session]` sections that
    /// resolve, and the legacy start URLs of its profiles, each once.
    pub fn sessions_in_config(&self) -> Vec<SsoSession> {
        let mut names: Vec<&String> = self.config.sessions.keys().collect();
        names.sort();
        let mut out: Vec<SsoSession> = names
            .into_iter()
            .filter_map(|n| self.config.session(n).ok())
            .collect();
        for p in &self.config.profile_order {
            if let Ok(s) = self.config.session_for_profile(p)
                && !out.iter().any(|o| o.cache_key() == s.cache_key())
            {
                out.push(s);
            }
        }
        out
    }

    /// The (profile, account, role) keys of every profile that uses `session`.
    pub fn role_keys(&self, session: &SsoSession) -> Vec<(String, RoleKey)> {
        let mut out: Vec<(String, RoleKey)> = Vec::new();
        for p in &self.config.profile_order {
            if let Ok(target) = self.config.role_profile(p)
                && target.session.cache_key() == session.cache_key()
                && target.session.start_url == session.start_url
            {
                let key = RoleKey {
                    session: target.session,
                    account_id: target.account_id,
                    role_name: target.role_name,
                };
                if !out.iter().any(|(_, k)| *k == key) {
                    out.push((p.clone(), key));
                }
            }
        }
        out
    }

    /// `logout` for one session: the portal's Logout with the stored token, then the
    /// token, registration and role credentials are deleted from the store (and, for
    /// the keychain store, a token the AWS CLI left for this session too).
    pub fn logout(&self, session: &SsoSession) -> Result<String> {
        let store = self.store()?;
        let (_guard, _) = self.lock_session(session)?;
        let file_store = FileStore::new(&self.aws);
        let mut tokens: Vec<Token> = store.try_load_token(session)?.into_iter().collect();
        if store.name() != "file"
            && let Some(t) = file_store.load_token(session)
        {
            tokens.push(t);
        }
        let mut portal_note = String::new();
        if !tokens.is_empty() {
            let portal = self.portal(session)?;
            for t in &tokens {
                if let Err(e) = portal.logout(&t.access_token)
                    && !is_unauthorized(&e)
                {
                    self.ctx.debug(|| format!("portal Logout failed: {e}"));
                    portal_note = format!(
                        " (the portal's Logout failed: {e}; the local copies are deleted anyway)"
                    );
                }
            }
        }
        store.delete_token(session)?;
        store.delete_registration(session)?;
        if store.name() != "file" {
            if !tokens.is_empty() {
                file_store.delete_token(session)?;
            }
            // What `auto` kept there when the keychain would not take it.
            file_store.delete_registration(session)?;
        }
        // The roles the config names, and every role sso-helper cached for the
        // session (also those the config no longer names).
        let index = RoleIndex::new(&self.aws);
        let mut keys: Vec<RoleKey> = self
            .role_keys(session)
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        for k in index.roles(session) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let mut deleted = 0;
        for key in &keys {
            let cached = store.try_load_role_credentials(key)?.is_some()
                || (store.name() != "file" && file_store.load_role_credentials(key).is_some());
            store.delete_role_credentials(key)?;
            if store.name() != "file" {
                file_store.delete_role_credentials(key)?;
            }
            deleted += usize::from(cached);
        }
        index.clear(session)?;
        let what = if tokens.is_empty() {
            "no token was stored; deleted its client registration"
        } else {
            "signed out; deleted its token, client registration"
        };
        Ok(format!(
            "{}: {what} and the cached credentials of {} role{}{portal_note}",
            session.describe(),
            deleted,
            if deleted == 1 { "" } else { "s" }
        ))
    }

    /// `logout --all`: every session the config file names.
    pub fn logout_all(&self) -> Result<Vec<String>> {
        let sessions = self.sessions_in_config();
        if sessions.is_empty() {
            return Ok(vec![format!(
                "no SSO sessions in {}",
                self.config.path.display()
            )]);
        }
        sessions.iter().map(|s| self.logout(s)).collect()
    }
}

/// `sso-helper --profile P`: the credentials for the profile.
pub fn run(ctx: &Context, opts: &Options) -> Result<RoleCredentials> {
    let path = config_path(ctx)?;
    let profile = profile_name(ctx, opts.profile.as_deref());
    let mut config = ConfigFile::load_for_profile(&path, &profile)?;
    let mut opts = opts.clone();
    // A layout-A profile run by hand: the credentials of the profile it points at.
    if let Some(target) = config.companion_target(&profile) {
        config = ConfigFile::load_for_profile(&path, &target)?;
        if config.companion_target(&target).is_some() {
            // Name the loop with the whole file in view.
            ConfigFile::load(&path)?.followed(&profile)?;
        }
        opts.profile = Some(target);
    }
    let opts = &opts;
    let session = Session::with_config(ctx, opts, config)?;
    let target = session.config.role_profile(&session.profile)?;
    session.role_credentials(&target, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sign-in command hints print, quoted for the platform's shells: POSIX
    /// single quotes on Linux and macOS; on Windows bare or double quotes, which
    /// cmd.exe and PowerShell both read, and for a name neither takes alike a
    /// placeholder that says so.
    #[test]
    fn the_login_command_is_quoted_for_the_platforms_shells() {
        use crate::platform::Platform;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[profile dev]\nsso_session = corp\n[profile \"my dev\"]\nsso_session = corp\n\
             [profile 'a\"b']\nsso_session = corp\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        )
        .unwrap();
        let path = config.display().to_string();
        let command = |platform: Platform, profile: &str| {
            let ctx = Context::for_test(
                &[("AWS_CONFIG_FILE", &path)],
                Some(dir.path().to_path_buf()),
                OffsetDateTime::UNIX_EPOCH,
            )
            .with_platform(platform);
            let opts = Options {
                profile: Some(profile.into()),
                ..Options::default()
            };
            let session = Session::open(&ctx, &opts).unwrap();
            let sso = session.config.session("corp").unwrap();
            session.login_command(&sso)
        };
        for unix in [Platform::Linux, Platform::MacOs] {
            assert_eq!(command(unix, "dev"), "sso-helper login --profile dev");
            assert_eq!(
                command(unix, "my dev"),
                "sso-helper login --profile 'my dev'"
            );
            assert_eq!(command(unix, "a\"b"), "sso-helper login --profile 'a\"b'");
        }
        let win = Platform::Windows;
        assert_eq!(command(win, "dev"), "sso-helper login --profile dev");
        assert_eq!(
            command(win, "my dev"),
            "sso-helper login --profile \"my dev\""
        );
        let said = command(win, "a\"b");
        assert!(
            said.starts_with("sso-helper login --profile <a\"b, quoted as your shell needs"),
            "{said}"
        );
    }

    #[test]
    fn profile_endpoint_overrides_stay_with_the_profiles_session() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[default]\nsso_session = corp\nendpoint_url = http://127.0.0.1:9\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
             [sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n",
        )
        .unwrap();
        let path = config.display().to_string();
        let ctx = Context::for_test(
            &[("AWS_CONFIG_FILE", &path)],
            Some(dir.path().to_path_buf()),
            OffsetDateTime::UNIX_EPOCH,
        );
        let session = Session::open(&ctx, &Options::default()).unwrap();
        let corp = session.config.session("corp").unwrap();
        let other = session.config.session("other").unwrap();
        assert_eq!(
            session.endpoint(Service::Oidc, &corp).unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            session.endpoint(Service::Oidc, &other).unwrap(),
            "https://oidc.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            session.endpoint(Service::Portal, &other).unwrap(),
            "https://portal.sso.eu-west-1.amazonaws.com"
        );
    }
}
