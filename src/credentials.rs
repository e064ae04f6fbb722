//! The credentials command's algorithm (SPEC §3): cached role credentials → stored
//! token → refresh → the AWS CLI's token → browser login, then GetRoleCredentials;
//! a 401 discards the token and goes back to the refresh step. The warm path reads
//! the config and one cache file and touches nothing else: no HTTP agent, no TLS.

use time::Duration;

use crate::config::{ConfigFile, RoleProfile, SsoSession, aws_dir, config_path};
use crate::context::Context;
use crate::endpoints::{self, Service};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::login::{self, LoginOptions};
use crate::oidc::Oidc;
use crate::portal::{Portal, RoleCredentials, is_unauthorized};
use crate::store::{FileStore, RoleKey, Store};
use crate::token::Token;

/// Cached role credentials are served only with at least this much left: botocore
/// re-runs the process inside its 15-minute advisory window.
pub const MIN_LIFETIME: Duration = Duration::minutes(15);

#[derive(Debug, Default, Clone)]
pub struct Options {
    pub profile: Option<String>,
    pub no_login: bool,
    pub no_browser: bool,
}

/// The profile to use: `--profile`, else `AWS_PROFILE`, else `default`.
pub fn profile_name(ctx: &Context, flag: Option<&str>) -> String {
    flag.or_else(|| ctx.var("AWS_PROFILE"))
        .unwrap_or("default")
        .to_string()
}

/// Everything one invocation works with once the config is read.
pub struct Session<'c> {
    pub ctx: &'c Context,
    pub config: ConfigFile,
    pub profile: String,
    pub store: Box<dyn Store>,
}

impl<'c> Session<'c> {
    pub fn open(ctx: &'c Context, profile: Option<&str>) -> Result<Session<'c>> {
        let config = ConfigFile::load(&config_path(ctx)?)?;
        let store = Box::new(FileStore::new(&aws_dir(ctx)?));
        Ok(Session {
            ctx,
            config,
            profile: profile_name(ctx, profile),
            store,
        })
    }

    fn endpoint(&self, service: Service, session: &SsoSession) -> Result<String> {
        endpoints::resolve(
            self.ctx,
            &self.config,
            Some(&self.profile),
            service,
            &session.region,
        )
    }

    fn login_hint(&self) -> String {
        if self.profile == "default" && self.ctx.var("AWS_PROFILE").is_none() {
            "sso-helper login".into()
        } else {
            format!("sso-helper login --profile {}", self.profile)
        }
    }

    /// A usable token for `session`: stored, refreshed, imported or from a new login
    /// (steps 2–5). `discarded` is a token the portal just rejected: its refresh
    /// token may still serve.
    pub fn token(
        &self,
        http: &Http<'_>,
        session: &SsoSession,
        opts: &Options,
        discarded: Option<Token>,
    ) -> Result<Token> {
        let ctx = self.ctx;
        let now = ctx.now();
        let stored = match discarded {
            Some(t) => Some(t),
            None => self.store.load_token(session),
        };
        if let Some(t) = &stored {
            if t.is_usable(now) {
                ctx.debug(|| format!("using the stored token for {}", session.describe()));
                return Ok(t.clone());
            }
            if t.refresh_material(now).is_some() {
                let oidc = Oidc {
                    http,
                    base: self.endpoint(Service::Oidc, session)?,
                };
                if let Some(fresh) = login::refresh(ctx, &oidc, session, t)? {
                    self.store.save_token(session, &fresh)?;
                    return Ok(fresh);
                }
            }
        }
        // Step 4, importing a token `aws sso login` wrote, is the load above while the
        // store is the AWS CLI's own cache.
        if opts.no_login || ctx.flag("SSO_HELPER_NO_LOGIN") {
            let why = match stored {
                Some(_) => "has expired and cannot be refreshed",
                None => "is missing",
            };
            return Err(Error::LoginRequired {
                what: format!(
                    "the SSO token for {} {why}, and --no-login (or SSO_HELPER_NO_LOGIN) forbids signing in",
                    session.describe()
                ),
                login_hint: format!("run `{}`", self.login_hint()),
            });
        }
        self.login(http, session, opts)
    }

    /// A new browser login, stored.
    pub fn login(&self, http: &Http<'_>, session: &SsoSession, opts: &Options) -> Result<Token> {
        let oidc = Oidc {
            http,
            base: self.endpoint(Service::Oidc, session)?,
        };
        let retry = self.login_hint();
        let token = login::device_login(
            self.ctx,
            &oidc,
            self.store.as_ref(),
            session,
            &LoginOptions {
                no_browser: opts.no_browser || self.ctx.flag("SSO_HELPER_NO_BROWSER"),
                retry_command: &retry,
            },
        )?;
        self.store.save_token(session, &token)?;
        Ok(token)
    }

    /// Role credentials for a resolved profile (steps 1–5 and the 401 rule).
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
        if let Some(c) = self.store.load_role_credentials(&key)
            && c.expiration - ctx.now() >= MIN_LIFETIME
        {
            ctx.debug(|| "serving cached role credentials".into());
            return Ok(c);
        }
        let http = Http::new(ctx);
        let portal = Portal {
            http: &http,
            base: self.endpoint(Service::Portal, &target.session)?,
        };
        let token = self.token(&http, &target.session, opts, None)?;
        let creds = match portal.get_role_credentials(
            &token.access_token,
            &target.account_id,
            &target.role_name,
        ) {
            Err(e) if is_unauthorized(&e) => {
                ctx.debug(|| "the portal rejected the token (401); discarding it".into());
                self.store.delete_token(&target.session)?;
                let mut dead = token;
                dead.expires_at = ctx.now() - Duration::seconds(1);
                let token = self.token(&http, &target.session, opts, Some(dead))?;
                portal.get_role_credentials(
                    &token.access_token,
                    &target.account_id,
                    &target.role_name,
                )?
            }
            other => other?,
        };
        self.store.save_role_credentials(&key, &creds)?;
        Ok(creds)
    }
}

/// `sso-helper --profile P`: the credentials for the profile.
pub fn run(ctx: &Context, opts: &Options) -> Result<RoleCredentials> {
    let session = Session::open(ctx, opts.profile.as_deref())?;
    let target = session.config.role_profile(&session.profile)?;
    session.role_credentials(&target, opts)
}
