//! `sso-helper doctor`: one line per check, ok / warn / fail (and skip for a check
//! an earlier failure leaves nothing to look at), each problem with its fix.
//!
//! The checks are pure functions of the values they are given (the parsed config,
//! the keychain probe's outcome, a `Date` header and `now`, a stored token), so they
//! are unit-tested at fixed instants. `run` gathers those values: it reads the config
//! file, probes the keychain, makes one unauthenticated request to each endpoint and
//! reads the stored token. It never signs in, never opens a browser, never prints a
//! secret, and never stops at the first problem.

use std::path::{Path, PathBuf};
use std::time::Instant;

use time::{Duration, OffsetDateTime};

use crate::config::{self, ConfigFile, Section, SsoSession, profile_header};
use crate::context::Context;
use crate::credentials::{Options, profile_name};
use crate::endpoints::{self, Service};
use crate::error::{Error, Result};
use crate::http::{Answer, Http, Method, Request, Retry};
use crate::keychain::KeychainStore;
use crate::platform::Platform;
use crate::process_line;
use crate::secret::Secret;
use crate::store::{ChosenBy, FileStore, Store};
use crate::timestamp::format_utc;
use crate::token::Token;

/// The clock may differ from the server's by this much.
pub const MAX_SKEW: Duration = Duration::minutes(5);

/// The keys every SDK reads as its own SSO settings (reference §7.3).
const STANDARD_SSO_KEYS: [&str; 5] = [
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];
/// The ones botocore (the AWS CLI, boto3) looks at to pick its SSO provider.
const BOTOCORE_SSO_KEYS: [&str; 2] = ["sso_account_id", "sso_role_name"];
const ROLE_KEYS: [&str; 4] = [
    "sso_account_id",
    "sso_helper_account_id",
    "sso_role_name",
    "sso_helper_role_name",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
    /// Not run: an earlier failure left nothing to check.
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub status: Status,
    pub name: &'static str,
    pub message: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: &'static str, message: impl Into<String>) -> Check {
        Check {
            status: Status::Ok,
            name,
            message: message.into(),
            fix: None,
        }
    }

    pub fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Warn,
            name,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Fail,
            name,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn skip(name: &'static str, message: impl Into<String>) -> Check {
        Check {
            status: Status::Skip,
            name,
            message: message.into(),
            fix: None,
        }
    }

    /// A check that reports an error: its message, and its hint as the fix.
    fn error(status: Status, name: &'static str, prefix: &str, e: &Error) -> Check {
        Check {
            status,
            name,
            message: format!("{prefix}{e}"),
            fix: e.hint(),
        }
    }
}

/// One line per check: `fail  profile    [profile dev] …  → fix: …`.
pub fn render(checks: &[Check]) -> String {
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    checks
        .iter()
        .map(|c| {
            let mut line = format!(
                "{:<5} {:<10} {}",
                c.status.label(),
                c.name,
                one_line(&c.message)
            );
            if let Some(fix) = &c.fix {
                line.push_str("  → fix: ");
                line.push_str(&one_line(fix));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

/// The report, and whether a check failed.
/// `sso_session`: `--sso-session`, checked instead of a profile's session.
pub fn run(ctx: &Context, opts: &Options, sso_session: Option<&str>) -> Result<(String, bool)> {
    let checks = run_checks(ctx, opts, sso_session);
    Ok((render(&checks), any_failed(&checks)))
}

fn run_checks(ctx: &Context, opts: &Options, sso_session: Option<&str>) -> Vec<Check> {
    let mut checks = Vec::new();
    let profile = profile_name(ctx, opts.profile.as_deref());
    let profile_source = if opts.profile.is_some() {
        None
    } else if ctx.var("AWS_DEFAULT_PROFILE").is_some() {
        Some("from AWS_DEFAULT_PROFILE")
    } else if ctx.var("AWS_PROFILE").is_some() {
        Some("from AWS_PROFILE")
    } else {
        Some("the default profile: no --profile, AWS_DEFAULT_PROFILE nor AWS_PROFILE")
    };

    // The config file, the profile, and every profile's credential_process.
    let config = config::config_path(ctx).and_then(|p| ConfigFile::load(&p));
    let target = match &config {
        Ok(config) => {
            let from_env = ctx.var("AWS_CONFIG_FILE").is_some();
            checks.push(config_check(config, from_env));
            let (mut profile_checks, mut target) = match sso_session {
                Some(name) => match config.session(name) {
                    Ok(session) => (
                        vec![Check::ok(
                            "profile",
                            format!(
                                "checking [sso-session {name}] ({}, {})",
                                session.start_url, session.region
                            ),
                        )],
                        Some(Target {
                            profile: profile.clone(),
                            session,
                            by_session: true,
                        }),
                    ),
                    Err(e) => (vec![Check::error(Status::Fail, "profile", "", &e)], None),
                },
                None => profile_check(config, &profile, profile_source),
            };
            // No --profile, and one without SSO settings: the only sso-session,
            // or the list to choose from.
            let only = (target.is_none()
                && sso_session.is_none()
                && opts.profile.is_none()
                && config.lacks_sso_settings(&profile))
            .then(|| config.only_session(&profile))
            .flatten();
            if let Some(Err(e)) = &only {
                profile_checks = vec![Check::error(Status::Fail, "profile", "", e)];
            }
            if let Some(Ok(session)) = only {
                let who = format!("[{}]", profile_header(&profile));
                let has = if config.profile(&profile).is_some() {
                    "has no IAM Identity Center settings"
                } else {
                    "does not exist"
                };
                profile_checks = vec![Check::warn(
                    "profile",
                    format!(
                        "{who} {has}; checking the file's only sso-session, \"{}\" (login, logout and list use it too)",
                        session.name.as_deref().unwrap_or_default()
                    ),
                    "for credentials, pass --profile with a profile that names an account and role",
                )];
                target = Some(Target {
                    profile: profile.clone(),
                    session,
                    by_session: true,
                });
            }
            checks.extend(profile_checks);
            checks.extend(helper_profiles_check(config, &profile));
            checks.extend(sdk_precedence_check(config));
            checks.extend(ca_bundle_check(config));
            let credentials_file = shared_credentials_sections(ctx);
            checks.extend(shadow_check(config, credentials_file.as_deref()));
            checks.extend(process_check(config, ctx.var("PATH"), Platform::current()));
            target
        }
        Err(e) => {
            checks.push(Check::error(Status::Fail, "config", "", e));
            let why = "the config file did not load";
            for name in ["profile", "profiles", "sdk-compat", "process"] {
                checks.push(Check::skip(name, format!("not checked: {why}")));
            }
            None
        }
    };

    // The token store, and the session's token in it: the read is the keychain's
    // real test, since a locked keychain opens and then refuses to give entries.
    let aws_dir = config::aws_dir(ctx);
    let cache_dir = aws_dir
        .as_ref()
        .map(|d| d.join("sso").join("cache"))
        .unwrap_or_else(|_| PathBuf::from("~/.aws/sso/cache"));
    let mut token: Option<Result<Option<Token>>> = None;
    // The keychain store was asked for and cannot keep a new token: a sign-in
    // would fail, so the token check suggests none.
    let mut cannot_store = false;
    let store: Option<Box<dyn Store>> = match store_choice(
        opts.token_store.as_deref(),
        ctx.var("SSO_HELPER_TOKEN_STORE"),
    ) {
        Err(check) => {
            checks.push(check);
            None
        }
        Ok((choice, source, chosen)) => {
            let file_store = || {
                aws_dir
                    .as_ref()
                    .ok()
                    .map(|dir| Box::new(FileStore::new(dir)) as Box<dyn Store>)
            };
            let mut unwritable = None;
            let (store, unreachable) = match choice {
                StoreChoice::File => (file_store(), None),
                _ => match KeychainStore::open(ctx, chosen, None) {
                    Ok(k) => {
                        unwritable = k.check_writable().err();
                        (Some(Box::new(k) as Box<dyn Store>), None)
                    }
                    Err(e) if choice == StoreChoice::Auto => (file_store(), Some(e)),
                    Err(e) => (None, Some(e)),
                },
            };
            if let (Some(store), Some(target)) = (&store, &target) {
                token = Some(store.try_load_token(&target.session));
            }
            cannot_store = choice == StoreChoice::Keychain && unwritable.is_some();
            let probe = match (choice, &unreachable, &token, &unwritable) {
                (StoreChoice::File, ..) => None,
                (_, Some(e), _, _) => Some(Probe::Unreachable(e)),
                (_, None, Some(Err(e)), _) => Some(Probe::Refused(e)),
                (_, None, _, Some(e)) => Some(Probe::Unwritable(e)),
                (_, None, _, None) => Some(Probe::Answers),
            };
            checks.push(keychain_check(choice, &source, chosen, probe, &cache_dir));
            store
        }
    };

    // The network, the clock and the token, for the session the profile uses.
    let Some(target) = target else {
        let why = "the profile did not resolve to an SSO session";
        for name in ["oidc", "portal", "clock", "token"] {
            checks.push(Check::skip(name, format!("not checked: {why}")));
        }
        return checks;
    };
    checks.push(refresh_check(
        &target.session,
        crate::login::choose_flow(
            ctx,
            &target.session,
            opts.flow.as_deref(),
            crate::login::in_container(ctx),
            opts.redirect_port
                .or(target.session.redirect_port)
                .is_some(),
        ),
    ));
    let config = config
        .as_ref()
        .expect("a target comes from a loaded config");
    let http = match crate::credentials::http_for(ctx, config, &target.profile) {
        Ok(h) => h,
        Err(e) => {
            let fix = e
                .hint()
                .unwrap_or_else(|| "fix the setting named above".into());
            checks.push(Check::fail("network", e.to_string(), fix));
            return checks;
        }
    };
    // Each answer's Date header with the local time it arrived at.
    let mut dates: Vec<(String, Option<String>, OffsetDateTime)> = Vec::new();
    for (service, name) in [(Service::Oidc, "oidc"), (Service::Portal, "portal")] {
        let (check, answer) = endpoint_check(ctx, config, &http, &target, service, name);
        checks.push(check);
        if let Some(a) = answer {
            dates.push((a.host, a.date, ctx.now()));
        }
    }
    // The portal's answer first: that is the service that checks the token.
    match dates.last() {
        Some((host, date, at)) => checks.push(clock_check(*at, host, date.as_deref())),
        None => checks.push(Check::skip(
            "clock",
            "not checked: no endpoint answered to compare with",
        )),
    }

    match (&store, token) {
        (Some(_), _) if cannot_store => checks.push(Check::skip(
            "token",
            format!(
                "not checked: the keychain cannot store a token of {} (see above)",
                target.session.describe()
            ),
        )),
        (Some(_), Some(Err(_))) => checks.push(Check::skip(
            "token",
            format!(
                "not checked: the token of {} could not be read from the keychain (see above)",
                target.session.describe()
            ),
        )),
        (Some(store), Some(Ok(token))) => {
            let cli = match (store.name(), &aws_dir) {
                ("file", _) | (_, Err(_)) => None,
                (_, Ok(dir)) => FileStore::new(dir).load_token(&target.session),
            };
            let mut hint = match (&target.session.name, target.by_session) {
                (Some(name), true) => {
                    format!(
                        "sso-helper login --sso-session {}",
                        crate::hint::arg(name, ctx.platform())
                    )
                }
                _ => format!(
                    "sso-helper login --profile {}",
                    crate::hint::arg(&target.profile, ctx.platform())
                ),
            };
            if let Some(s) = &opts.token_store {
                hint.push_str(&format!(" --token-store {s}"));
            }
            checks.push(token_check(
                ctx.now(),
                &target.session,
                store.name(),
                token.as_ref(),
                cli.as_ref(),
                &hint,
            ));
        }
        _ => checks.push(Check::skip(
            "token",
            match &aws_dir {
                Err(e) => format!("not checked: {e}"),
                Ok(_) => "not checked: the token store cannot be opened (see above)".into(),
            },
        )),
    }
    checks
}

// ------------------------------------------------------------------ config

/// The config file parsed.
pub fn config_check(config: &ConfigFile, from_env: bool) -> Check {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    Check::ok(
        "config",
        format!(
            "{}{} parses ({}, {})",
            config.path.display(),
            if from_env { " (AWS_CONFIG_FILE)" } else { "" },
            plural(config.profiles.len(), "profile", "profiles"),
            plural(config.sessions.len(), "sso-session", "sso-sessions"),
        ),
    )
}

/// What the checks after the config work on: the profile sso-helper is given (the
/// checked one, or in layout A the one its credential_process names) and its session.
#[derive(Debug, Clone)]
pub struct Target {
    pub profile: String,
    pub session: SsoSession,
    /// The session was chosen as the file's only one, not through the profile.
    pub by_session: bool,
}

/// The profile resolves (to a session, and fully when it names an account or
/// role); a layout-A profile is followed to the profile it names.
pub fn profile_check(
    config: &ConfigFile,
    name: &str,
    source: Option<&str>,
) -> (Vec<Check>, Option<Target>) {
    let who = format!("[{}]", profile_header(name));
    let mut checks = Vec::new();
    let Some(section) = config.profile(name) else {
        let e = config
            .session_for_profile(name)
            .expect_err("an absent profile does not resolve");
        return (vec![Check::error(Status::Fail, "profile", "", &e)], None);
    };
    let helper = section.get("credential_process").and_then(runs_helper);
    let (target, prefix) = match &helper {
        Some(Some(p)) if p != name => (
            p.as_str(),
            format!("{who} runs sso-helper --profile {p}, so "),
        ),
        _ => (name, String::new()),
    };
    if let Some(None) = helper {
        checks.push(Check::warn(
            "profile",
            format!(
                "{who} runs sso-helper without --profile: run by an SDK it uses $AWS_PROFILE or \"default\", not {who}"
            ),
            format!("add --profile {name} to its credential_process"),
        ));
    }
    let source = source.map(|s| format!(" ({s})")).unwrap_or_default();
    match describe_target(config, target) {
        Ok((what, session)) => {
            checks.push(Check::ok("profile", format!("{prefix}{what}{source}")));
            let target = Target {
                profile: target.to_string(),
                session,
                by_session: false,
            };
            (checks, Some(target))
        }
        Err(e) => {
            checks.push(Check::error(Status::Fail, "profile", &prefix, &e));
            (checks, None)
        }
    }
}

fn has_role_keys(section: &Section) -> bool {
    ROLE_KEYS.iter().any(|k| section.get(k).is_some())
}

/// `[profile p] uses sso-session "corp" (URL, region), account …, role …`.
fn describe_target(config: &ConfigFile, name: &str) -> Result<(String, SsoSession)> {
    let session = config.session_for_profile(name)?;
    let who = format!("[{}]", profile_header(name));
    let uses = match &session.name {
        Some(_) => format!(
            "{who} uses {} ({}, {})",
            session.describe(),
            session.start_url,
            session.region
        ),
        None => format!("{who} uses {} ({})", session.describe(), session.region),
    };
    let section = config.profile(name).expect("resolved above");
    if has_role_keys(section) {
        let role = config.role_profile(name)?;
        Ok((
            format!(
                "{uses}, account {}, role {}",
                role.account_id, role.role_name
            ),
            session,
        ))
    } else {
        Ok((
            format!(
                "{uses}; it names no account or role (enough for login and list, not for credentials)"
            ),
            session,
        ))
    }
}

/// The section names of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`
/// or `~/.aws/credentials`) that hold an access key; `None` when there is none
/// or it cannot be read.
fn shared_credentials_sections(ctx: &Context) -> Option<Vec<String>> {
    let path = match ctx.var("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => config::expand_path(ctx, p).ok()?,
        None => config::aws_dir(ctx).ok()?.join("credentials"),
    };
    let bytes = crate::readfile::read_regular(&path, crate::readfile::USER_FILE_CAP).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let sections = crate::ini::parse(&text).ok()?;
    Some(
        sections
            .into_iter()
            .filter(|s| {
                s.entries
                    .iter()
                    .any(|(k, _)| k.resolve(&text) == "aws_access_key_id")
            })
            .map(|s| s.name.resolve(&text).to_string())
            .collect(),
    )
}

/// What makes the SDKs skip a profile's `credential_process` without a word:
/// providers that come before it in their chains. botocore
/// (`credentials.py`, `create_credential_resolver`): assume-role (`role_arn` with
/// `source_profile` or `credential_source`), web identity
/// (`web_identity_token_file`), the shared credentials file, and the `aws login`
/// provider (`login_session`); the JS SDK v3 (`resolveProfileData`) also takes
/// static keys in the profile before it.
pub fn shadow_check(config: &ConfigFile, credentials_file: Option<&[String]>) -> Vec<Check> {
    let mut out = Vec::new();
    let mut runners = 0;
    for name in &config.profile_order {
        let section = &config.profiles[name];
        let runs_helper = section
            .get("credential_process")
            .and_then(runs_helper)
            .is_some();
        if !runs_helper {
            continue;
        }
        runners += 1;
        let who = format!("[{}]", profile_header(name));
        let mut found: Vec<(String, &str)> = Vec::new();
        // botocore's web identity provider takes any profile with
        // web_identity_token_file and refuses one without role_arn; its
        // AssumeRoleProvider takes the other profiles with role_arn, and refuses
        // one with neither or both of source_profile and credential_source
        // (credentials.py; tests/it/doctor.rs checks these against botocore).
        let refused = |why: String, fix: String| {
            Check::fail(
                "shadowed",
                format!(
                    "{who} runs sso-helper, but {why}: botocore and the AWS CLI refuse the profile, and credential_process never runs"
                ),
                fix,
            )
        };
        let role = section.has("role_arn");
        let sources = usize::from(section.has("source_profile"))
            + usize::from(section.has("credential_source"));
        if section.has("web_identity_token_file") {
            if role {
                found.push((
                    "role_arn and web_identity_token_file".into(),
                    "botocore and every SDK assume that role with the web identity token instead",
                ));
            } else {
                out.push(refused(
                    "it has web_identity_token_file without role_arn (InvalidConfigError)".into(),
                    format!("remove web_identity_token_file from {who}"),
                ));
                continue;
            }
        } else if role {
            match sources {
                1 => found.push((
                    "role_arn".into(),
                    "botocore and every SDK assume that role instead",
                )),
                0 => {
                    out.push(refused(
                        "it has role_arn without source_profile or credential_source (PartialCredentialsError)".into(),
                        format!("remove role_arn from {who}, or move it to a profile of its own with source_profile = {name}"),
                    ));
                    continue;
                }
                _ => {
                    out.push(refused(
                        "it has role_arn with both source_profile and credential_source (InvalidConfigError)".into(),
                        format!("remove role_arn, source_profile and credential_source from {who}, or move them to a profile of its own"),
                    ));
                    continue;
                }
            }
        }
        if section.has("login_session") {
            found.push((
                "login_session".into(),
                "the AWS CLI's `aws login` credentials come first in botocore",
            ));
        }
        let js_only = section.has("aws_access_key_id");
        if credentials_file.is_some_and(|names| names.iter().any(|n| n == name)) {
            found.push((
                format!("[{name}] in the shared credentials file"),
                "static keys there come before credential_process in botocore and every SDK",
            ));
        }
        if js_only {
            out.push(Check::warn(
                "shadowed",
                format!(
                    "{who} runs sso-helper, but it has aws_access_key_id: the JS SDK v3 uses those static keys and never runs credential_process (botocore still runs it)"
                ),
                format!("remove the static keys from {who}"),
            ));
        }
        for (what, why) in found {
            let fix = if what.starts_with('[') {
                format!(
                    "remove the [{name}] section from the shared credentials file (export --to writes under another name)"
                )
            } else {
                {
                    let it = if what.contains(" and ") { "them" } else { "it" };
                    format!("remove {what} from {who}, or move {it} to a profile of its own")
                }
            };
            out.push(Check::warn(
                "shadowed",
                format!("{who} runs sso-helper, but it has {what}: {why}, and credential_process never runs"),
                fix,
            ));
        }
    }
    if out.is_empty() && runners > 0 {
        out.push(Check::ok(
            "shadowed",
            "nothing comes before credential_process in the profiles that run sso-helper",
        ));
    }
    out
}

/// Whether the session's tokens can be refreshed: a device-code sign-in
/// registers with the session's `sso_registration_scopes` only, and without
/// `sso:account:access` the service issues no refresh token (a legacy session,
/// with no `[sso-session]` section, has no scopes at all). PKCE registrations
/// always ask for it.
pub fn refresh_check(session: &SsoSession, flow: crate::token::Flow) -> Check {
    use crate::token::Flow;
    match (&session.name, flow, session.scopes.is_empty()) {
        (None, _, _) => Check::warn(
            "refresh",
            format!(
                "{} has no [sso-session] section: its tokens cannot be refreshed, so every expiry needs a new sign-in",
                session.describe()
            ),
            "move sso_start_url and sso_region into an [sso-session NAME] section with sso_registration_scopes = sso:account:access, and name it with sso_session (or sso_helper_session)",
        ),
        (Some(name), Flow::Device, true) => Check::warn(
            "refresh",
            format!(
                "sso-session \"{name}\" signs in with a device code here and has no sso_registration_scopes: its tokens cannot be refreshed"
            ),
            format!("add sso_registration_scopes = sso:account:access to [sso-session {name}]"),
        ),
        (Some(name), _, _) => Check::ok(
            "refresh",
            format!("sso-session \"{name}\" gets refreshable tokens"),
        ),
    }
}

/// A layout-A profile's `ca_bundle` does not reach sso-helper: run as
/// `sso-helper --profile TARGET`, it reads TARGET's `ca_bundle` (or
/// `AWS_CA_BUNDLE`). Warns for each profile whose bundle its target lacks.
pub fn ca_bundle_check(config: &ConfigFile) -> Vec<Check> {
    let mut out = Vec::new();
    for name in &config.profile_order {
        let section = &config.profiles[name];
        let (Some(bundle), Some(Some(target))) = (
            section.get("ca_bundle"),
            section.get("credential_process").and_then(runs_helper),
        ) else {
            continue;
        };
        if target == *name {
            continue;
        }
        let theirs = config.profile(&target).and_then(|s| s.get("ca_bundle"));
        if theirs == Some(bundle) {
            continue;
        }
        let who = format!("[{}]", profile_header(name));
        let them = format!("[{}]", profile_header(&target));
        let has = match theirs {
            Some(other) => format!("sets ca_bundle = {other}"),
            None => "has no ca_bundle".into(),
        };
        let fix = match theirs {
            None => format!("add ca_bundle = {bundle} to {them} (or set AWS_CA_BUNDLE)"),
            Some(other) => format!(
                "make the two agree: set ca_bundle = {other} in {who}, or point {who} at a profile of its own that sets ca_bundle = {bundle}"
            ),
        };
        out.push(Check::warn(
            "ca-bundle",
            format!(
                "{who} sets ca_bundle = {bundle}, but it runs sso-helper --profile {target}, which reads only {them}'s ca_bundle, and {them} {has}"
            ),
            fix,
        ));
    }
    let companions = config
        .profile_order
        .iter()
        .filter(|n| config.companion_target(n).is_some())
        .count();
    if out.is_empty() && companions > 0 {
        out.push(Check::ok(
            "ca-bundle",
            "no profile that points sso-helper at another sets a ca_bundle the other lacks",
        ));
    }
    out
}

/// Every other profile that runs sso-helper names a profile that resolves to an
/// account and role.
pub fn helper_profiles_check(config: &ConfigFile, checked: &str) -> Vec<Check> {
    let mut problems = Vec::new();
    let mut good = 0;
    for name in config.profile_order.iter().filter(|n| *n != checked) {
        let section = &config.profiles[name];
        let Some(arg) = section.get("credential_process").and_then(runs_helper) else {
            continue;
        };
        let who = format!("[{}]", profile_header(name));
        match arg {
            None => problems.push(Check::warn(
                "profiles",
                format!(
                    "{who} runs sso-helper without --profile: run by an SDK it uses $AWS_PROFILE or \"default\", not {who}"
                ),
                format!("add --profile {name} to its credential_process"),
            )),
            Some(target) => match config.role_profile(&target) {
                Ok(_) => good += 1,
                Err(e) => {
                    let prefix = if target == *name {
                        format!("{who} runs sso-helper, but ")
                    } else {
                        format!("{who} runs sso-helper --profile {target}, but ")
                    };
                    problems.push(Check::error(Status::Warn, "profiles", &prefix, &e));
                }
            },
        }
    }
    if problems.is_empty() {
        let msg = match good {
            0 => "no other profile runs sso-helper".to_string(),
            1 => "the other profile that runs sso-helper resolves to an account and role".into(),
            n => {
                format!("the {n} other profiles that run sso-helper resolve to an account and role")
            }
        };
        problems.push(Check::ok("profiles", msg));
    }
    problems
}

/// SPEC §2's trap: a profile with `credential_process` and standard `sso_*` keys is
/// taken as a native SSO profile by the SDKs, which then never run the process.
/// A warning, not a failure: sso-helper itself reads such a profile fine.
pub fn sdk_precedence_check(config: &ConfigFile) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut with_process = 0;
    for name in &config.profile_order {
        let section = &config.profiles[name];
        if section.get("credential_process").is_none() {
            continue;
        }
        with_process += 1;
        let keys: Vec<&str> = STANDARD_SSO_KEYS
            .into_iter()
            .filter(|k| section.get(k).is_some())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let who = format!("[{}]", profile_header(name));
        // botocore: sso_account_id or sso_role_name makes a native SSO profile
        // (SSOProvider._load_sso_config); the Rust SDK: any standard sso_* key
        // (profile/credentials/repr.rs); the JS SDK v3 checks credential_process
        // before SSO in fromIni (resolveProfileData), so it always runs it.
        let skipped_by = if keys.iter().any(|k| BOTOCORE_SSO_KEYS.contains(k)) {
            "the AWS CLI, boto3 and the Rust SDK take it as a native SSO profile and never run its credential_process (the JS SDK v3 still runs it)"
        } else {
            "the Rust SDK takes it as a native SSO profile and never runs its credential_process (the AWS CLI, boto3 and the JS SDK v3 still run it)"
        };
        let renamed: Vec<String> = keys
            .iter()
            .map(|k| k.replacen("sso_", "sso_helper_", 1))
            .collect();
        checks.push(Check::warn(
            "sdk-compat",
            format!(
                "{who} has credential_process and {}: {skipped_by}",
                keys.join(", ")
            ),
            format!(
                "rename them to {} (layout B) or move them to a companion profile that credential_process names with --profile (layout A)",
                renamed.join(", ")
            ),
        ));
    }
    if checks.is_empty() {
        checks.push(Check::ok(
            "sdk-compat",
            format!(
                "no profile mixes credential_process with standard sso_* keys ({with_process} with credential_process)"
            ),
        ));
    }
    checks
}

/// Where a credential_process program is.
#[derive(Debug, PartialEq, Eq)]
pub enum Program {
    Found(PathBuf),
    /// Not there, or not executable: why (`does not exist`, `is not on PATH`).
    Missing(String),
    /// `~/…`: botocore runs the command without a shell, so `~` is not expanded.
    Tilde,
}

/// Finds `program` as botocore runs it on this platform: a path as it is, a bare
/// name on `path_var` ([`locate_on`]).
pub fn locate(program: &str, path_var: Option<&str>) -> Program {
    locate_on(program, path_var, Platform::current())
}

/// The file Windows runs for `program`, a path or a bare name: `program.exe` when
/// its last component has no extension (no `.`), else `program` as it is.
///
/// botocore runs the line through Python's `subprocess`, which calls
/// `CreateProcessW` with no application name, so Windows finds the program from
/// the command line's first word: "If the file name does not contain an
/// extension, .exe is appended" — only `.exe`, never the other `PATHEXT` entries
/// (`.cmd`, `.bat`: those are `cmd.exe`'s). The same page adds that `.exe` is not
/// appended to a name that ends in `.` or contains a path; the search behind it
/// (`SearchPathW` with the default extension `.exe`, whose page says the
/// extension is added whenever the name does not end with one) appends it to a
/// path too, as Wine does. A trailing `.` counts as an extension here, so such a
/// name is taken as it is. Doctor finds `C:\Tools\sso-helper` as
/// `C:\Tools\sso-helper.exe`, and warns that the `.exe` is better written
/// ([`process_check`]).
pub fn windows_program_file(program: &str) -> std::borrow::Cow<'_, str> {
    let last = program.rsplit(['\\', '/', ':']).next().unwrap_or(program);
    if last.is_empty() || last.contains('.') {
        program.into()
    } else {
        format!("{program}.exe").into()
    }
}

/// The directories of a `PATH` value on `platform`: split at `;` on Windows (a
/// `"…"` stretch keeps its `;`, and the quotes go, as Windows reads `PATH`), at
/// `:` elsewhere; empty entries skipped.
pub fn path_dirs(path_var: &str, platform: Platform) -> Vec<PathBuf> {
    match platform {
        Platform::Windows => {
            let mut dirs = Vec::new();
            let mut dir = String::new();
            let mut quoted = false;
            for c in path_var.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ';' if !quoted => dirs.push(std::mem::take(&mut dir)),
                    c => dir.push(c),
                }
            }
            dirs.push(dir);
            dirs.into_iter()
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .collect()
        }
        Platform::Linux | Platform::MacOs => path_var
            .split(':')
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect(),
    }
}

/// [`locate`] by `platform`'s rules, on this machine's file system (so the Windows
/// rules run anywhere, with `.exe` files in a temporary directory): on Windows `\`
/// and a drive's `:` make a path too, the file is [`windows_program_file`], any
/// file can run; elsewhere the file is `program` and must be executable. Only
/// `PATH` is searched for a bare name (Windows looks in the directory of the
/// program that runs it, its current directory and the system directories first,
/// which doctor cannot know).
pub fn locate_on(program: &str, path_var: Option<&str>, platform: Platform) -> Program {
    let windows = platform == Platform::Windows;
    if program.starts_with('~') {
        return Program::Tilde;
    }
    let file = match platform {
        Platform::Windows => windows_program_file(program),
        Platform::Linux | Platform::MacOs => program.into(),
    };
    if program.contains('/') || (windows && program.contains(['\\', ':'])) {
        let p = Path::new(file.as_ref());
        return if runnable(p, platform) {
            Program::Found(p.to_path_buf())
        } else if p.exists() {
            Program::Missing("is not an executable file".into())
        } else if file != program {
            Program::Missing(format!(
                "does not exist as {file} (Windows adds .exe to a name without an extension)"
            ))
        } else {
            Program::Missing("does not exist".into())
        };
    }
    for dir in path_var.map(|v| path_dirs(v, platform)).unwrap_or_default() {
        let candidate = dir.join(file.as_ref());
        if runnable(&candidate, platform) {
            return Program::Found(candidate);
        }
    }
    Program::Missing("is not on PATH".into())
}

/// Whether `p` is a file `platform` runs: any file on Windows (what it runs is
/// decided by the name, [`windows_program_file`]), an executable one elsewhere.
fn runnable(p: &Path, platform: Platform) -> bool {
    match platform {
        Platform::Windows => p.is_file(),
        Platform::Linux | Platform::MacOs => is_executable(p),
    }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// `[profile a], [profile b] and 3 more`.
fn name_profiles(names: &[&String]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(3)
        .map(|n| format!("[{}]", profile_header(n)))
        .collect();
    let more = names.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// How a profile's credential_process line runs sso-helper
/// (`process_line::helper_profile_arg` on this platform).
fn runs_helper(line: &str) -> Option<Option<String>> {
    process_line::helper_profile_arg(line, Platform::current())
}

/// Every credential_process runs a program that exists: one line per program, the
/// lines split and the programs named as botocore reads them on `platform`.
pub fn process_check(
    config: &ConfigFile,
    path_var: Option<&str>,
    platform: Platform,
) -> Vec<Check> {
    // Program → the profiles that run it, in file order.
    let mut programs: Vec<(String, Vec<&String>)> = Vec::new();
    let mut checks = Vec::new();
    for name in &config.profile_order {
        let Some(command) = config.profiles[name].get("credential_process") else {
            continue;
        };
        let who = format!("[{}]", profile_header(name));
        match process_line::split(command, platform) {
            None => checks.push(Check::fail(
                "process",
                match platform {
                    Platform::Windows => {
                        format!("{who} credential_process has an unclosed double quote")
                    }
                    Platform::Linux | Platform::MacOs => {
                        format!("{who} credential_process has an unclosed quote or a trailing \\")
                    }
                },
                format!("fix the quoting of credential_process in {who}"),
            )),
            Some(words) if words.is_empty() => checks.push(Check::fail(
                "process",
                format!("{who} credential_process is empty"),
                format!("set it to `sso-helper --profile {name}` or remove it"),
            )),
            Some(words) => {
                if let Some(reading) = process_line::shell_reading(command, platform) {
                    checks.push(shell_check(&who, &words[0], &reading, platform));
                }
                match programs.iter_mut().find(|(p, _)| *p == words[0]) {
                    Some((_, names)) => names.push(name),
                    None => programs.push((words[0].clone(), vec![name])),
                }
            }
        }
    }
    for (program, names) in &programs {
        let is_helper = process_line::is_helper(program, platform);
        let users = name_profiles(names);
        match locate_on(program, path_var, platform) {
            Program::Found(path) if path.as_os_str() == program.as_str() => checks.push(
                Check::ok("process", format!("{program} is executable, run by {users}")),
            ),
            // A path without an extension, run as its `.exe`: the one case where
            // CreateProcess's documentation and its search disagree.
            Program::Found(path)
                if platform == Platform::Windows && program.contains(['\\', '/', ':']) =>
            {
                checks.push(Check::warn(
                    "process",
                    format!(
                        "credential_process of {users} runs {program}, which Windows runs as {} (it adds .exe to a name without an extension)",
                        path.display()
                    ),
                    format!(
                        "write {} in credential_process: CreateProcess's documentation says .exe is not added to a name with a directory",
                        path.display()
                    ),
                ));
            }
            Program::Found(path) => checks.push(Check::ok(
                "process",
                format!("{program} is {} (executable), run by {users}", path.display()),
            )),
            Program::Missing(why) => {
                let fix = match (is_helper, platform) {
                    (true, Platform::Windows) => {
                        "install sso-helper, or put the absolute path of sso-helper.exe (`where.exe sso-helper`) in credential_process; if that path has a space, install sso-helper in one without (quotes work for the AWS CLI, boto3 and the JS SDK, not for the Rust and Go SDKs)"
                    }
                    (true, Platform::Linux | Platform::MacOs) => {
                        "install sso-helper (install.sh), or put the absolute path of the binary (`command -v sso-helper`) in credential_process"
                    }
                    (false, _) => "correct the program in credential_process, or install it",
                };
                checks.push(Check::fail(
                    "process",
                    format!("credential_process of {users} runs {program}, which {why}"),
                    fix,
                ));
            }
            Program::Tilde => checks.push(Check::warn(
                "process",
                format!(
                    "credential_process of {users} runs {program}: the AWS CLI and boto3 do not expand ~ (they run it without a shell)"
                ),
                "use the absolute path of the program in credential_process",
            )),
        }
    }
    if checks.is_empty() {
        checks.push(Check::ok("process", "no profile has a credential_process"));
    }
    checks
}

/// The warning for a line that botocore and the other SDKs' shell read
/// differently ([`process_line::shell_reading`]): who reads it how, and the line
/// that every one of them reads alike, where there is one.
fn shell_check(
    who: &str,
    program: &str,
    reading: &process_line::ShellReading,
    platform: Platform,
) -> Check {
    let does = and_list(&reading.shell_does);
    let mut theirs = Vec::new();
    let shell = match platform {
        Platform::Windows => "cmd.exe",
        Platform::Linux | Platform::MacOs => "sh -c",
    };
    if !does.is_empty() {
        theirs.push(format!(
            "the JS, Rust and Go SDKs run the line with {shell}, which {does}"
        ));
    }
    if reading.quotes_escaped {
        theirs.push(
            "the Rust and Go SDKs escape its double quotes (as \\\") before cmd.exe reads them, so they cannot run it"
                .into(),
        );
    }
    let message = format!(
        "{who} credential_process reads differently in the SDKs: botocore (the AWS CLI, boto3) runs {program} without a shell, but {}",
        theirs.join("; and ")
    );
    let fix = match (&reading.fixed, platform) {
        (Some(fixed), _) => {
            format!("write it as `{fixed}`, which botocore and {shell} read alike")
        }
        (None, Platform::Windows) => "install sso-helper in a path without spaces or any of % & | < > ^ , ; = (for example C:\\Tools\\sso-helper.exe) and write the line without quotes; quotes work for the AWS CLI, boto3 and the JS SDK, not for the Rust and Go SDKs".into(),
        (None, Platform::Linux | Platform::MacOs) => {
            "use the absolute path of the program, and put each word that has any of these characters in single quotes".into()
        }
    };
    Check::warn("process", message, fix)
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

// ------------------------------------------------------------------ keychain

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    Keychain,
    File,
    Auto,
}

/// The store asked for (`--token-store`, else `SSO_HELPER_TOKEN_STORE`, else
/// auto), how it was asked for in words, and by which setting; a bad value is a
/// failing check.
pub fn store_choice(
    flag: Option<&str>,
    env: Option<&str>,
) -> Result<(StoreChoice, String, ChosenBy), Check> {
    let (value, chosen) = ChosenBy::resolve(flag, env);
    let source = match chosen {
        ChosenBy::Flag => format!("--token-store {value}"),
        ChosenBy::Variable => format!("SSO_HELPER_TOKEN_STORE={value}"),
        ChosenBy::Default => "auto, the default".to_string(),
    };
    match value {
        "keychain" => Ok((StoreChoice::Keychain, source, chosen)),
        "file" => Ok((StoreChoice::File, source, chosen)),
        "auto" => Ok((StoreChoice::Auto, source, chosen)),
        other => Err(Check::fail(
            "keychain",
            format!("{} = {other} is not a token store", chosen.setting()),
            "use keychain, file or auto",
        )),
    }
}

/// What asking the keychain gave.
#[derive(Debug, Clone, Copy)]
pub enum Probe<'e> {
    /// It cannot be reached: `auto` goes to the file store, `keychain` fails.
    Unreachable(&'e Error),
    /// It was reached but would not give the session's token (a keyring that
    /// stays locked, an access prompt denied): every call fails, whatever chose it.
    Refused(&'e Error),
    /// It was reached and answers reads, but a new entry cannot be created (no
    /// default collection): a sign-in's token cannot be kept there.
    Unwritable(&'e Error),
    /// It was reached and, when there was a session to look up, gave its token or
    /// said there is none.
    Answers,
}

/// Whether the keychain answers, and which store holds the tokens. `probe` is
/// `None` when the file store was chosen (the keychain is not asked). Each fix
/// names the setting that works after `chosen`.
pub fn keychain_check(
    choice: StoreChoice,
    source: &str,
    chosen: ChosenBy,
    probe: Option<Probe<'_>>,
    cache_dir: &Path,
) -> Check {
    match (choice, probe) {
        (StoreChoice::File, _) | (_, None) => Check::ok(
            "keychain",
            format!(
                "file store selected ({source}): tokens are kept in {}",
                cache_dir.display()
            ),
        ),
        (_, Some(Probe::Answers)) => Check::ok(
            "keychain",
            format!("the OS keychain answers; tokens are kept there ({source})"),
        ),
        (StoreChoice::Keychain, Some(Probe::Unwritable(e))) => Check::error(
            Status::Fail,
            "keychain",
            &format!("the OS keychain answers ({source}) but cannot store a new token: "),
            e,
        ),
        (StoreChoice::Auto, Some(Probe::Unwritable(e))) => Check::warn(
            "keychain",
            format!(
                "the OS keychain answers but cannot store anything ({e}): tokens and client \
                 registrations go to the AWS CLI file cache in {} instead, role credentials to \
                 {}",
                cache_dir.display(),
                cache_dir
                    .parent()
                    .and_then(Path::parent)
                    .map(|aws| aws.join("cli").join("cache"))
                    .unwrap_or_else(|| PathBuf::from("~/.aws/cli/cache"))
                    .display()
            ),
            format!(
                "give the keychain a default keyring (a desktop login creates one), or choose \
                 the file store: {}",
                chosen.use_file_store()
            ),
        ),
        (_, Some(Probe::Refused(e))) => Check::error(
            Status::Fail,
            "keychain",
            &format!("the OS keychain is in use ({source}) but refuses to give the stored token: "),
            e,
        ),
        (StoreChoice::Keychain, Some(Probe::Unreachable(e))) => Check::error(
            Status::Fail,
            "keychain",
            &format!("the keychain store is selected ({source}), but "),
            e,
        ),
        (StoreChoice::Auto, Some(Probe::Unreachable(e))) => Check::warn(
            "keychain",
            format!(
                "no keychain ({e}): tokens go to the AWS CLI file cache in {}",
                cache_dir.display()
            ),
            format!(
                "start or unlock a keychain (on Linux a Secret Service such as gnome-keyring), \
                 or choose the file store: {}",
                chosen.use_file_store()
            ),
        ),
    }
}

// ------------------------------------------------------------------ network

/// One cheap request that needs no token: any HTTP answer means the endpoint
/// resolves and connects.
fn endpoint_check(
    ctx: &Context,
    config: &ConfigFile,
    http: &Http<'_>,
    target: &Target,
    service: Service,
    name: &'static str,
) -> (Check, Option<Answer>) {
    let base = match endpoints::resolve(
        ctx,
        config,
        Some(&target.profile),
        service,
        &target.session.region,
    ) {
        Ok(b) => b,
        Err(e) => return (Check::error(Status::Fail, name, "", &e), None),
    };
    let request = match service {
        // CreateToken without parameters: 400 InvalidRequestException.
        Service::Oidc => Request {
            op: "CreateToken",
            method: Method::Post,
            url: format!("{base}/token"),
            bearer: None,
            json: Some(Secret::new("{}")),
            retry: Retry::Standard,
            secret_query: false,
        },
        // ListAccounts without a token: 401 UnauthorizedException.
        Service::Portal => Request {
            op: "ListAccounts",
            method: Method::Get,
            url: format!("{base}/assignment/accounts"),
            bearer: None,
            json: None,
            retry: Retry::Standard,
            secret_query: false,
        },
    };
    let started = Instant::now();
    match http.send(&request) {
        Ok(answer) => {
            let ms = started.elapsed().as_millis();
            (answered_check(name, &base, answer.status, ms), Some(answer))
        }
        Err(e) => (
            Check::error(
                Status::Fail,
                name,
                &format!("{base} cannot be reached: "),
                &e,
            ),
            None,
        ),
    }
}

/// An endpoint answered: a 2xx or 4xx is the service itself refusing an empty
/// request; a redirect or 5xx suggests something in between, or trouble there.
pub fn answered_check(name: &'static str, base: &str, status: u16, ms: u128) -> Check {
    let message = format!("{base} answers (HTTP {status} in {ms} ms)");
    if (200..300).contains(&status) || (400..500).contains(&status) {
        Check::ok(name, message)
    } else {
        Check::warn(
            name,
            format!("{message}, not the service's own refusal of an empty request"),
            "if a proxy or captive portal is in the way, check HTTPS_PROXY/NO_PROXY; a 5xx may pass",
        )
    }
}

/// The local clock against a server's `Date` header.
pub fn clock_check(now: OffsetDateTime, host: &str, date: Option<&str>) -> Check {
    let Some(date) = date else {
        return Check::warn(
            "clock",
            format!("{host} sent no Date header: the clock was not compared"),
            "check the clock by hand against a time server",
        );
    };
    let Ok(server) =
        OffsetDateTime::parse(date.trim(), &time::format_description::well_known::Rfc2822)
    else {
        return Check::warn(
            "clock",
            format!("{host}'s Date header `{date}` does not parse: the clock was not compared"),
            "check the clock by hand against a time server",
        );
    };
    let skew = now - server;
    let side = if skew.is_positive() {
        "ahead of"
    } else {
        "behind"
    };
    if skew.abs() <= MAX_SKEW {
        Check::ok(
            "clock",
            format!("agrees with {host} (off by {})", human(skew)),
        )
    } else {
        Check::fail(
            "clock",
            format!(
                "the clock is off by {} ({side} {host}); tokens and signatures will be rejected",
                human(skew)
            ),
            "fix the system time (turn on NTP, e.g. `timedatectl set-ntp true`)",
        )
    }
}

/// `2 h 5 min`, `10 min`, `42 s`: a duration's size, whatever its sign.
pub fn human(d: Duration) -> String {
    let secs = d.whole_seconds().unsigned_abs();
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (days, hours, mins, s) {
        (0, 0, 0, s) => format!("{s} s"),
        (0, 0, m, 0) => format!("{m} min"),
        (0, 0, m, s) => format!("{m} min {s} s"),
        (0, h, m, _) => format!("{h} h {m} min"),
        (d, h, _, _) => format!("{d} d {h} h"),
    }
}

// ------------------------------------------------------------------ token

/// The session's stored token: valid, refreshable, or a sign-in needed. `cli` is
/// the token the AWS CLI left in its cache, when the keychain store is in use.
pub fn token_check(
    now: OffsetDateTime,
    session: &SsoSession,
    store: &str,
    token: Option<&Token>,
    cli: Option<&Token>,
    login_hint: &str,
) -> Check {
    let who = session.describe();
    let where_ = format!("{store} store");
    let cli_usable = cli.filter(|t| t.is_usable(now));
    let cli_note = match cli {
        Some(t) if t.is_usable(now) => format!(
            "; the AWS CLI's cache also holds a token for it, valid until {}",
            format_utc(t.expires_at)
        ),
        Some(t) => format!(
            "; the AWS CLI's cache also holds an expired token for it ({})",
            format_utc(t.expires_at)
        ),
        None => String::new(),
    };
    let refresh = |t: &Token| match t.refresh_material(now) {
        Some((_, reg)) => format!("refreshable until {}", format_utc(reg.expires_at)),
        None => "not refreshable".to_string(),
    };
    let login = format!("run `{login_hint}`");
    match token {
        Some(t) if t.is_usable(now) => Check::ok(
            "token",
            format!(
                "{who}: valid until {} ({} left), {} ({where_}){cli_note}",
                format_utc(t.expires_at),
                human(t.expires_at - now),
                refresh(t)
            ),
        ),
        Some(t) => {
            let when = if t.expires_at > now {
                format!(
                    "expires at {} (in {})",
                    format_utc(t.expires_at),
                    human(t.expires_at - now)
                )
            } else {
                format!("expired at {}", format_utc(t.expires_at))
            };
            if t.refresh_material(now).is_some() {
                Check::ok(
                    "token",
                    format!(
                        "{who}: {when}; the next call refreshes it without a browser, {} ({where_}){cli_note}",
                        refresh(t)
                    ),
                )
            } else if let Some(c) = cli_usable {
                Check::ok(
                    "token",
                    format!(
                        "{who}: {when} in the {where_} and cannot be refreshed, but the AWS CLI's token (valid until {}) will be used",
                        format_utc(c.expires_at)
                    ),
                )
            } else {
                Check::warn(
                    "token",
                    format!(
                        "{who}: {when} and cannot be refreshed ({where_}): the next call signs in with a browser{cli_note}"
                    ),
                    login,
                )
            }
        }
        None => match cli_usable {
            Some(c) => Check::ok(
                "token",
                format!(
                    "{who}: no token in the {where_}, but the AWS CLI's token (valid until {}) will be used",
                    format_utc(c.expires_at)
                ),
            ),
            None => Check::warn(
                "token",
                format!(
                    "{who}: no token stored ({where_}): the next call signs in with a browser{cli_note}"
                ),
                login,
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Registration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00:00 UTC);

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("/cfg"), text).unwrap()
    }

    const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[profile dev-sso]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly

[profile dev]
credential_process = sso-helper --profile dev-sso

[profile self]
credential_process = \"/opt/my tools/sso-helper\" --profile=self
sso_helper_session = corp
sso_helper_account_id = 222222222222
sso_helper_role_name = Admin

[profile session-only]
sso_session = corp

[profile other]
credential_process = aws-vault export x
";

    fn session() -> SsoSession {
        parse(CONFIG).session("corp").unwrap()
    }

    #[test]
    fn renders_one_line_per_check_with_its_fix() {
        let text = render(&[
            Check::ok("config", "/cfg parses"),
            Check::fail("profile", "[profile dev]\nbroken", "add it"),
            Check::skip("token", "not checked"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "ok    config     /cfg parses");
        assert_eq!(
            lines[1],
            "fail  profile    [profile dev] broken  → fix: add it"
        );
        assert_eq!(lines[2], "skip  token      not checked");
        assert!(!any_failed(&[
            Check::warn("x", "y", "z"),
            Check::skip("a", "b")
        ]));
        assert!(any_failed(&[Check::fail("x", "y", "z")]));
    }

    #[test]
    fn companion_profile_is_followed() {
        let (checks, target) = profile_check(&parse(CONFIG), "dev", None);
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert_eq!(checks[0].status, Status::Ok);
        assert!(
            checks[0].message.starts_with("[profile dev] runs sso-helper --profile dev-sso, so [profile dev-sso] uses sso-session \"corp\"")
                && checks[0].message.ends_with("account 111111111111, role ReadOnly"),
            "{}",
            checks[0].message
        );
        let target = target.unwrap();
        assert_eq!(target.profile, "dev-sso");
        assert_eq!(target.session.region, "us-east-1");
    }

    #[test]
    fn self_contained_and_session_only_profiles_resolve() {
        let cfg = parse(CONFIG);
        let (checks, target) = profile_check(&cfg, "self", Some("from AWS_PROFILE"));
        assert_eq!(checks[0].status, Status::Ok);
        assert!(
            checks[0].message.ends_with("role Admin (from AWS_PROFILE)"),
            "{:?}",
            checks[0]
        );
        assert_eq!(target.unwrap().profile, "self");
        let legacy = parse(
            "[profile legacy]\nsso_helper_start_url = https://x.awsapps.com/start\nsso_helper_region = eu-west-1\n\
             sso_helper_account_id = 111111111111\nsso_helper_role_name = R\n",
        );
        let (checks, _) = profile_check(&legacy, "legacy", None);
        assert_eq!(
            checks[0].message,
            "[profile legacy] uses start URL https://x.awsapps.com/start (eu-west-1), account 111111111111, role R"
        );
        let (checks, target) = profile_check(&cfg, "session-only", None);
        assert_eq!(checks[0].status, Status::Ok);
        assert!(
            checks[0].message.contains("no account or role"),
            "{:?}",
            checks[0]
        );
        assert!(target.is_some());
    }

    #[test]
    fn profile_failures_carry_the_config_error_and_hint() {
        let cfg = parse(CONFIG);
        let (checks, target) = profile_check(&cfg, "nope", None);
        assert!(target.is_none());
        assert_eq!(checks[0].status, Status::Fail);
        assert!(
            checks[0].message.contains("profile \"nope\" not found"),
            "{:?}",
            checks[0]
        );
        assert!(checks[0].fix.as_deref().unwrap().contains("dev-sso"));
        let cfg = parse(&format!(
            "{CONFIG}[profile broken]\ncredential_process = sso-helper --profile gone\n"
        ));
        let (checks, target) = profile_check(&cfg, "broken", None);
        assert!(target.is_none());
        assert!(
            checks[0].message.starts_with("[profile broken] runs sso-helper --profile gone, so /cfg: profile \"gone\" not found"),
            "{:?}",
            checks[0]
        );
        let (checks, _) = profile_check(&cfg, "other", None);
        assert_eq!(checks[0].status, Status::Fail);
        assert!(
            checks[0]
                .message
                .contains("no IAM Identity Center settings")
        );
    }

    #[test]
    fn helper_without_profile_flag_is_a_warning() {
        let cfg = parse(&format!(
            "{CONFIG}[profile bare]\ncredential_process = sso-helper\nsso_helper_session = corp\nsso_helper_account_id = 111111111111\nsso_helper_role_name = R\n"
        ));
        let (checks, target) = profile_check(&cfg, "bare", None);
        assert_eq!(checks[0].status, Status::Warn);
        assert!(checks[0].fix.as_deref().unwrap().contains("--profile bare"));
        assert_eq!(checks[1].status, Status::Ok);
        assert!(target.is_some());
        let others = helper_profiles_check(&cfg, "dev");
        assert!(
            others
                .iter()
                .any(|c| c.status == Status::Warn && c.message.contains("[profile bare]"))
        );
    }

    #[test]
    fn other_helper_profiles_must_resolve() {
        let cfg = parse(CONFIG);
        let checks = helper_profiles_check(&cfg, "none");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Ok);
        assert!(
            checks[0].message.contains("the 2 other profiles"),
            "{:?}",
            checks[0]
        );
        let cfg = parse(&format!(
            "{CONFIG}[profile bad]\ncredential_process = sso-helper --profile bad\nsso_helper_session = corp\nsso_helper_account_id = 12\nsso_helper_role_name = R\n"
        ));
        let checks = helper_profiles_check(&cfg, "dev");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Warn);
        assert!(checks[0].message.contains("[profile bad] runs sso-helper, but /cfg: [profile bad] sso_helper_account_id = 12 is not a 12-digit"), "{:?}", checks[0]);
    }

    #[test]
    fn a_ca_bundle_that_does_not_reach_the_target_is_named() {
        let cfg = parse(
            "[profile dev]\ncredential_process = sso-helper --profile dev-sso\nca_bundle = /etc/corp.pem\n\
             [profile dev-sso]\nsso_session = corp\n\
             [profile ok]\ncredential_process = sso-helper --profile ok-sso\nca_bundle = /a.pem\n\
             [profile ok-sso]\nca_bundle = /a.pem\n",
        );
        let checks = ca_bundle_check(&cfg);
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert_eq!(checks[0].status, Status::Warn);
        assert!(
            checks[0]
                .message
                .contains("[profile dev] sets ca_bundle = /etc/corp.pem")
                && checks[0]
                    .message
                    .contains("[profile dev-sso] has no ca_bundle"),
            "{:?}",
            checks[0]
        );
        assert_eq!(
            checks[0].fix.as_deref(),
            Some("add ca_bundle = /etc/corp.pem to [profile dev-sso] (or set AWS_CA_BUNDLE)")
        );
        // The target has another bundle: adding a second one to it is no fix.
        let cfg = parse(
            "[profile a]\ncredential_process = sso-helper --profile t\nca_bundle = /a.pem\n\
             [profile b]\ncredential_process = sso-helper --profile t\nca_bundle = /b.pem\n\
             [profile t]\nca_bundle = /a.pem\n",
        );
        let checks = ca_bundle_check(&cfg);
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert!(
            checks[0]
                .message
                .contains("[profile t] sets ca_bundle = /a.pem")
        );
        assert_eq!(
            checks[0].fix.as_deref(),
            Some(
                "make the two agree: set ca_bundle = /a.pem in [profile b], or point [profile b] at a profile of its own that sets ca_bundle = /b.pem"
            )
        );
    }

    #[test]
    fn what_comes_before_credential_process_is_named() {
        let cfg = parse(
            "[profile a]\ncredential_process = sso-helper --profile x\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\n\
             [profile b]\ncredential_process = sso-helper --profile x\nlogin_session = s\nweb_identity_token_file = /t\nrole_arn = r\n\
             [profile c]\ncredential_process = sso-helper --profile x\naws_access_key_id = AKIA\n\
             [profile d]\ncredential_process = sso-helper --profile x\n\
             [profile e]\ncredential_process = other-tool\nrole_arn = r\nsource_profile = b\n",
        );
        let checks = shadow_check(&cfg, Some(&["d".to_string(), "e".to_string()]));
        let text: Vec<String> = checks.iter().map(|c| c.message.clone()).collect();
        assert_eq!(checks.len(), 5, "{text:#?}");
        assert!(checks.iter().all(|c| c.status == Status::Warn));
        assert!(text[0].starts_with("[profile a] runs sso-helper, but it has role_arn"));
        assert!(text[1].contains("web_identity_token_file") && text[2].contains("login_session"));
        // Settings botocore refuses outright are failures.
        for (settings, why) in [
            ("role_arn = r\n", "without source_profile"),
            (
                "role_arn = r\nsource_profile = a\ncredential_source = Environment\n",
                "both",
            ),
            ("web_identity_token_file = /t\n", "without role_arn"),
        ] {
            let cfg = parse(&format!(
                "[profile f]\ncredential_process = sso-helper --profile x\n{settings}"
            ));
            let checks = shadow_check(&cfg, None);
            assert_eq!(checks.len(), 1, "{checks:?}");
            assert_eq!(checks[0].status, Status::Fail);
            assert!(checks[0].message.contains(why), "{:?}", checks[0]);
        }
        assert!(text[3].contains("the JS SDK v3 uses those static keys"));
        assert!(text[4].contains("[d] in the shared credentials file"));
        assert_eq!(
            shadow_check(
                &parse("[profile d]\ncredential_process = sso-helper --profile x\n"),
                None
            )[0]
            .status,
            Status::Ok
        );
    }

    #[test]
    fn sessions_that_cannot_refresh_are_named() {
        use crate::token::Flow;
        let mut s = session();
        s.scopes.clear();
        assert_eq!(refresh_check(&s, Flow::Device).status, Status::Warn);
        assert_eq!(refresh_check(&s, Flow::Pkce).status, Status::Ok);
        s.scopes = vec!["sso:account:access".into()];
        assert_eq!(refresh_check(&s, Flow::Device).status, Status::Ok);
        s.name = None;
        let c = refresh_check(&s, Flow::Device);
        assert!(c.status == Status::Warn && c.message.contains("no [sso-session] section"));
    }

    #[test]
    fn sdk_precedence_conflicts_are_named() {
        assert_eq!(sdk_precedence_check(&parse(CONFIG))[0].status, Status::Ok);
        let cfg = parse(
            "[profile a]\ncredential_process = sso-helper --profile a\nsso_session = corp\nsso_account_id = 1\n\
             [profile b]\ncredential_process = sso-helper --profile b\nsso_start_url = https://x\nsso_region = us-east-1\n\
             [profile c]\nsso_account_id = 1\nsso_role_name = R\n",
        );
        let checks = sdk_precedence_check(&cfg);
        assert_eq!(checks.len(), 2, "{checks:?}");
        assert!(checks.iter().all(|c| c.status == Status::Warn));
        assert!(
            checks[0].message.starts_with(
                "[profile a] has credential_process and sso_session, sso_account_id: the AWS CLI"
            ),
            "{:?}",
            checks[0]
        );
        assert!(
            checks[0]
                .fix
                .as_deref()
                .unwrap()
                .starts_with("rename them to sso_helper_session, sso_helper_account_id (layout B)")
        );
        assert!(
            checks[1]
                .message
                .contains("sso_start_url, sso_region: the Rust SDK takes it"),
            "{:?}",
            checks[1]
        );
    }

    #[test]
    fn programs_are_found_on_path_or_by_path() {
        let dir = tempfile::tempdir().unwrap();
        // What Windows runs for `sso-helper` is sso-helper.exe.
        let bin = dir.path().join(if cfg!(windows) {
            "sso-helper.exe"
        } else {
            "sso-helper"
        });
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        let not_exec = dir.path().join("plain");
        std::fs::write(&not_exec, "").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::set_permissions(&not_exec, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(
                locate("plain", Some(dir.path().to_str().unwrap())),
                Program::Missing("is not on PATH".into())
            );
        }
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(
            locate("sso-helper", Some(path)),
            Program::Found(bin.clone())
        );
        assert_eq!(
            locate(bin.to_str().unwrap(), None),
            Program::Found(bin.clone())
        );
        assert_eq!(
            locate("sso-helper", Some("/nonexistent")),
            Program::Missing("is not on PATH".into())
        );
        assert_eq!(
            locate("/nonexistent/sso-helper.exe", None),
            Program::Missing("does not exist".into())
        );
        assert_eq!(locate("~/bin/sso-helper", None), Program::Tilde);

        let cfg = parse(&format!(
            "[profile a]\ncredential_process = {0} --profile a\n[profile b]\ncredential_process = {0} --profile b\n\
             [profile c]\ncredential_process = /gone/sso-helper --profile c\n[profile d]\ncredential_process = \"unclosed\n",
            bin.display()
        ));
        // (On Windows `/gone/…` is also read otherwise by cmd.exe: left out here.)
        let checks: Vec<Check> = process_check(&cfg, Some("/nonexistent"), Platform::current())
            .into_iter()
            .filter(|c| !c.message.contains("reads differently"))
            .collect();
        assert_eq!(checks.len(), 3, "{checks:?}");
        assert_eq!(checks[0].status, Status::Fail);
        assert!(checks[0].message.contains("[profile d]") && checks[0].message.contains("quote"));
        assert_eq!(checks[1].status, Status::Ok);
        assert!(
            checks[1]
                .message
                .contains("run by [profile a], [profile b]"),
            "{:?}",
            checks[1]
        );
        assert_eq!(checks[2].status, Status::Fail);
        assert!(
            checks[2]
                .message
                .contains("[profile c] runs /gone/sso-helper, which does not exist"),
            "{:?}",
            checks[2]
        );
        assert!(
            checks[2]
                .fix
                .as_deref()
                .unwrap()
                .contains("install sso-helper")
        );
        assert_eq!(
            process_check(&parse("[profile a]\n"), None, Platform::Linux)[0].status,
            Status::Ok
        );
    }

    /// CreateProcess's rule, run on this machine's file system with the platform
    /// passed in: a name without an extension is its `.exe`, with or without a
    /// directory; a name with one (or ending in `.`) is taken as it is; PATHEXT's
    /// other extensions are never tried; a bare name is looked for on PATH split
    /// at `;`.
    #[test]
    fn windows_runs_a_name_without_an_extension_as_its_exe() {
        assert_eq!(
            windows_program_file(r"C:\t\Tools\sso-helper"),
            r"C:\t\Tools\sso-helper.exe"
        );
        assert_eq!(windows_program_file("sso-helper"), "sso-helper.exe");
        assert_eq!(
            windows_program_file(r"C:\t.d\sso-helper"),
            r"C:\t.d\sso-helper.exe"
        );
        assert_eq!(windows_program_file("C:sso-helper"), "C:sso-helper.exe");
        for as_is in [
            r"C:\t\sso-helper.exe",
            r"C:\t\sso-helper.EXE",
            r"C:\t\sso-helper.cmd",
            r"C:\t\sso-helper.",
            "python3.12",
            r"C:\t\",
        ] {
            assert_eq!(windows_program_file(as_is), as_is);
        }

        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join("sso-helper.exe"), "MZ").unwrap();
        std::fs::write(dir.path().join("script"), "#!/bin/sh\n").unwrap();
        std::fs::write(dir.path().join("batch.cmd"), "@echo off\r\n").unwrap();
        let win = Platform::Windows;
        let exe = dir.path().join("sso-helper.exe");
        // The reviewer's line, by path and by name on PATH.
        assert_eq!(
            locate_on(&format!("{d}/sso-helper"), None, win),
            Program::Found(PathBuf::from(format!("{d}/sso-helper.exe")))
        );
        assert_eq!(
            locate_on("sso-helper", Some(&format!(r"C:\nowhere;{d};")), win),
            Program::Found(exe.clone())
        );
        assert_eq!(
            locate_on("sso-helper.exe", Some(d), win),
            Program::Found(exe.clone())
        );
        // A file without an extension is not what Windows runs for its name.
        assert_eq!(
            locate_on(&format!("{d}/script"), None, win),
            Program::Missing(format!(
                "does not exist as {d}/script.exe (Windows adds .exe to a name without an extension)"
            ))
        );
        assert_eq!(
            locate_on("script", Some(d), win),
            Program::Missing("is not on PATH".into())
        );
        // PATHEXT is cmd.exe's: `batch` is not batch.cmd for CreateProcess.
        assert_eq!(
            locate_on("batch", Some(d), win),
            Program::Missing("is not on PATH".into())
        );
        assert_eq!(
            locate_on("batch.cmd", Some(d), win),
            Program::Found(dir.path().join("batch.cmd"))
        );
        // By POSIX rules the name is exact (and needs its execute bit).
        assert_eq!(
            locate_on(&format!("{d}/sso-helper"), None, Platform::Linux),
            Program::Missing("does not exist".into())
        );

        // Doctor: the path without .exe passes, with a warning to write it.
        let cfg = parse(&format!(
            "[profile dev]\ncredential_process = {d}/sso-helper --profile dev\n\
             [profile b]\ncredential_process = sso-helper --profile b\n"
        ));
        // (The temporary directory's `/` is a switch to cmd.exe: a warning of its
        // own, left out here.)
        let checks: Vec<Check> = process_check(&cfg, Some(d), win)
            .into_iter()
            .filter(|c| !c.message.contains("reads differently"))
            .collect();
        assert_eq!(checks.len(), 2, "{checks:#?}");
        assert_eq!(checks[0].status, Status::Warn, "{:?}", checks[0]);
        assert!(
            checks[0].message.contains(&format!(
                "runs {d}/sso-helper, which Windows runs as {d}/sso-helper.exe"
            )),
            "{:?}",
            checks[0]
        );
        assert!(
            checks[0]
                .fix
                .as_deref()
                .unwrap()
                .starts_with(&format!("write {d}/sso-helper.exe"))
        );
        assert_eq!(checks[1].status, Status::Ok, "{:?}", checks[1]);
        assert_eq!(
            checks[1].message,
            format!(
                "sso-helper is {} (executable), run by [profile b]",
                exe.display()
            )
        );
    }

    #[test]
    fn path_is_split_by_the_platforms_rules() {
        assert_eq!(
            path_dirs(r#"C:\a;;"C:\b;c";C:\d"#, Platform::Windows),
            [r"C:\a", r"C:\b;c", r"C:\d"].map(PathBuf::from)
        );
        assert_eq!(
            path_dirs("/a::/b:C", Platform::Linux),
            ["/a", "/b", "C"].map(PathBuf::from)
        );
        assert_eq!(
            path_dirs(r"C:\a;C:\b", Platform::MacOs),
            ["C", r"\a;C", r"\b"].map(PathBuf::from)
        );
    }

    #[test]
    fn programs_are_read_and_named_by_windows_rules() {
        // The issue's line: POSIX rules made it C:Usersmebinsso-helper.exe.
        let cfg = parse(
            "[profile a]\ncredential_process = C:\\Users\\me\\bin\\sso-helper.exe --profile a\n\
             [profile b]\ncredential_process = \"C:\\Program Files\\SSO-Helper.EXE\" --profile b\n\
             [profile c]\ncredential_process = \"C:\\open --profile c\n\
             [profile d]\ncredential_process = C:\\tools\\trailing\\\n",
        );
        let checks = process_check(&cfg, None, Platform::Windows);
        let messages: Vec<&str> = checks.iter().map(|c| c.message.as_str()).collect();
        assert_eq!(checks.len(), 5, "{messages:#?}");
        // The quoted path: botocore and the JS SDK run it, the Rust and Go SDKs
        // cannot, and no line without quotes can hold it.
        assert_eq!(checks[0].status, Status::Warn);
        assert!(
            messages[0].starts_with("[profile b] credential_process reads differently")
                && messages[0].contains("the Rust and Go SDKs escape its double quotes"),
            "{messages:#?}"
        );
        assert!(
            checks[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("install sso-helper in a path without spaces"),
            "{:?}",
            checks[0]
        );
        assert_eq!(
            messages[1],
            "[profile c] credential_process has an unclosed double quote"
        );
        assert!(
            messages[2].starts_with(
                r"credential_process of [profile a] runs C:\Users\me\bin\sso-helper.exe, which"
            ),
            "{messages:#?}"
        );
        assert!(
            messages[3].contains(r"runs C:\Program Files\SSO-Helper.EXE, which"),
            "{messages:#?}"
        );
        assert!(
            messages[4].contains(r"runs C:\tools\trailing\, which does not exist"),
            "{messages:#?}"
        );
        for c in &checks[2..4] {
            let fix = c.fix.as_deref().unwrap();
            assert!(fix.contains("where.exe sso-helper"), "{c:?}");
            // No advice to quote a path with a space: the Rust and Go SDKs
            // cannot run a quoted one.
            assert!(
                !fix.contains("in double quotes")
                    && fix.contains("install sso-helper in one without"),
                "{c:?}"
            );
        }
        assert!(!checks[4].fix.as_deref().unwrap().contains("where.exe"));
        // The same file by POSIX rules: a trailing backslash does not split.
        let checks = process_check(&cfg, None, Platform::Linux);
        assert!(
            checks.iter().any(|c| c.message
                == "[profile d] credential_process has an unclosed quote or a trailing \\"),
            "{checks:#?}"
        );
    }

    #[test]
    fn store_choice_and_keychain_outcomes() {
        assert_eq!(store_choice(None, None).unwrap().0, StoreChoice::Auto);
        assert_eq!(
            store_choice(Some("file"), Some("keychain")).unwrap(),
            (
                StoreChoice::File,
                "--token-store file".into(),
                ChosenBy::Flag
            )
        );
        assert_eq!(
            store_choice(None, Some("keychain")).unwrap(),
            (
                StoreChoice::Keychain,
                "SSO_HELPER_TOKEN_STORE=keychain".into(),
                ChosenBy::Variable
            )
        );
        let bad = store_choice(None, Some("vault")).unwrap_err();
        assert_eq!(bad.status, Status::Fail);
        assert!(bad.message.contains("SSO_HELPER_TOKEN_STORE = vault"));
        let bad = store_choice(Some("vault"), Some("file")).unwrap_err();
        assert!(bad.message.contains("--token-store = vault"));

        let dir = Path::new("/h/.aws/sso/cache");
        let down = |chosen| {
            crate::keychain::fix_for(
                Error::Keychain {
                    action: "reach",
                    detail: "no bus".into(),
                    refused: false,
                },
                chosen,
            )
        };
        // The fix names the setting that works: the flag beats the variable.
        for (chosen, source, fix) in [
            (
                ChosenBy::Flag,
                "--token-store keychain",
                "pass --token-store file instead",
            ),
            (
                ChosenBy::Variable,
                "SSO_HELPER_TOKEN_STORE=keychain",
                crate::store::set_file_store(Platform::current()),
            ),
        ] {
            let e = down(chosen);
            let c = keychain_check(
                StoreChoice::Keychain,
                source,
                chosen,
                Some(Probe::Unreachable(&e)),
                dir,
            );
            assert_eq!(c.status, Status::Fail);
            assert!(
                c.message.contains("cannot reach the OS keychain: no bus"),
                "{c:?}"
            );
            assert!(c.fix.as_deref().unwrap().contains(fix), "{c:?}");
        }
        let e = down(ChosenBy::Flag);
        let c = keychain_check(
            StoreChoice::Keychain,
            "--token-store keychain",
            ChosenBy::Flag,
            Some(Probe::Unreachable(&e)),
            dir,
        );
        assert!(!c.fix.as_deref().unwrap().contains("SSO_HELPER_TOKEN_STORE"));
        let e = down(ChosenBy::Default);
        let c = keychain_check(
            StoreChoice::Auto,
            "auto, the default",
            ChosenBy::Default,
            Some(Probe::Unreachable(&e)),
            dir,
        );
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.message.contains("no keychain") && c.message.contains("/h/.aws/sso/cache"),
            "{c:?}"
        );
        assert!(
            c.fix
                .as_deref()
                .unwrap()
                .contains("SSO_HELPER_TOKEN_STORE=file")
        );
        // `--token-store auto`: only the flag can choose the file store.
        let c = keychain_check(
            StoreChoice::Auto,
            "--token-store auto",
            ChosenBy::Flag,
            Some(Probe::Unreachable(&e)),
            dir,
        );
        let fix = c.fix.unwrap();
        assert!(
            fix.contains("pass --token-store file") && !fix.contains("SSO_HELPER_TOKEN_STORE"),
            "{fix}"
        );
        assert_eq!(
            keychain_check(
                StoreChoice::Auto,
                "auto",
                ChosenBy::Default,
                Some(Probe::Answers),
                dir
            )
            .status,
            Status::Ok
        );
        let c = keychain_check(
            StoreChoice::File,
            "--token-store file",
            ChosenBy::Flag,
            None,
            dir,
        );
        assert_eq!(c.status, Status::Ok);
        assert!(c.message.starts_with("file store selected"));
    }

    /// A keychain that answers reads but has no default collection (gnome-keyring
    /// started with no login keyring) cannot keep a sign-in's token: `keychain`
    /// fails, `auto` warns that tokens go to files; both fixes name a setting that
    /// works for what chose the store.
    #[test]
    fn a_keychain_that_cannot_store_is_not_ok() {
        let dir = Path::new("/h/.aws/sso/cache");
        let missing = |chosen| {
            crate::keychain::fix_for(
                Error::Keychain {
                    action: "open the default collection of",
                    detail: "SS error: result not returned from SS API".into(),
                    refused: false,
                },
                chosen,
            )
        };
        let e = missing(ChosenBy::Flag);
        let c = keychain_check(
            StoreChoice::Keychain,
            "--token-store keychain",
            ChosenBy::Flag,
            Some(Probe::Unwritable(&e)),
            dir,
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.message.contains("cannot store a new token"), "{c:?}");
        let fix = c.fix.unwrap();
        assert!(
            fix.contains("pass --token-store file") && !fix.contains("SSO_HELPER"),
            "{fix}"
        );
        let e = missing(ChosenBy::Default);
        let c = keychain_check(
            StoreChoice::Auto,
            "auto, the default",
            ChosenBy::Default,
            Some(Probe::Unwritable(&e)),
            dir,
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("/h/.aws/sso/cache"), "{c:?}");
        assert!(c.fix.unwrap().contains("SSO_HELPER_TOKEN_STORE=file"));
    }

    /// A keychain that opens and then refuses the read (a keyring that stays
    /// locked) fails whatever chose it — `auto` does not fall back on a refusal —
    /// with the refusal and its fix, never "answers".
    #[test]
    fn a_keychain_that_refuses_the_read_fails() {
        let dir = Path::new("/h/.aws/sso/cache");
        for (choice, chosen, source) in [
            (
                StoreChoice::Keychain,
                ChosenBy::Flag,
                "--token-store keychain",
            ),
            (StoreChoice::Auto, ChosenBy::Default, "auto, the default"),
        ] {
            let refused = crate::keychain::fix_for(
                crate::keychain::refusal(
                    Platform::Linux,
                    "unlock",
                    "the unlock prompt was dismissed".into(),
                ),
                chosen,
            );
            let c = keychain_check(choice, source, chosen, Some(Probe::Refused(&refused)), dir);
            assert_eq!(c.status, Status::Fail, "{c:?}");
            assert!(
                c.message.contains("refuses to give the stored token")
                    && c.message
                        .contains("cannot unlock the OS keychain: the unlock prompt was dismissed"),
                "{c:?}"
            );
            let fix = c.fix.unwrap();
            assert!(fix.contains("--token-store file"), "{fix}");
            assert_eq!(
                fix.contains("SSO_HELPER_TOKEN_STORE"),
                chosen != ChosenBy::Flag,
                "{fix}"
            );
        }
    }

    #[test]
    fn answers_that_are_not_the_service_are_warnings() {
        assert_eq!(
            answered_check("portal", "https://p", 401, 3).status,
            Status::Ok
        );
        assert_eq!(
            answered_check("oidc", "https://o", 400, 3).status,
            Status::Ok
        );
        let c = answered_check("portal", "https://p", 502, 3);
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.message
                .starts_with("https://p answers (HTTP 502 in 3 ms)")
        );
    }

    #[test]
    fn clock_skew_beyond_five_minutes_fails() {
        let date = "Mon, 23 Nov 2026 12:00:00 GMT";
        let c = clock_check(NOW + Duration::minutes(1), "h", Some(date));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert_eq!(c.message, "agrees with h (off by 1 min)");
        let c = clock_check(NOW + Duration::minutes(10), "h", Some(date));
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("off by 10 min (ahead of h)"), "{c:?}");
        assert!(c.fix.as_deref().unwrap().contains("system time"));
        let c = clock_check(
            NOW - Duration::minutes(10) - Duration::seconds(5),
            "h",
            Some(date),
        );
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("off by 10 min 5 s (behind h)"), "{c:?}");
        assert_eq!(
            clock_check(NOW + MAX_SKEW, "h", Some(date)).status,
            Status::Ok
        );
        assert_eq!(clock_check(NOW, "h", None).status, Status::Warn);
        assert_eq!(
            clock_check(NOW, "h", Some("yesterday")).status,
            Status::Warn
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::seconds(42)), "42 s");
        assert_eq!(human(Duration::seconds(-600)), "10 min");
        assert_eq!(human(Duration::seconds(605)), "10 min 5 s");
        assert_eq!(human(Duration::minutes(125)), "2 h 5 min");
        assert_eq!(human(Duration::hours(50)), "2 d 2 h");
    }

    fn token(expires_at: OffsetDateTime, refreshable: bool) -> Token {
        Token {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "us-east-1".into(),
            access_token: Secret::new("aoaSECRET"),
            expires_at,
            refresh_token: refreshable.then(|| Secret::new("aorSECRET")),
            registration: Some(Registration {
                client_id: "cid".into(),
                client_secret: Secret::new("csSECRET"),
                expires_at: NOW + Duration::days(80),
                scopes: vec![],
                grant_types: vec![],
            }),
        }
    }

    #[test]
    fn token_states() {
        let s = session();
        let hint = "sso-helper login --profile dev-sso";
        let check = |t: Option<&Token>, cli: Option<&Token>, store: &str| {
            let c = token_check(NOW, &s, store, t, cli, hint);
            assert!(!format!("{c:?}").contains("SECRET"), "{c:?}");
            c
        };
        let valid = token(NOW + Duration::hours(8), true);
        let c = check(Some(&valid), None, "file");
        assert_eq!(c.status, Status::Ok);
        assert_eq!(
            c.message,
            "sso-session \"corp\": valid until 2026-11-23T20:00:00Z (8 h 0 min left), refreshable until 2027-02-11T12:00:00Z (file store)"
        );
        let expired = token(NOW - Duration::hours(1), true);
        let c = check(Some(&expired), None, "file");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message
                .contains("expired at 2026-11-23T11:00:00Z; the next call refreshes it"),
            "{c:?}"
        );
        let dead = token(NOW - Duration::hours(1), false);
        let c = check(Some(&dead), None, "file");
        assert_eq!(c.status, Status::Warn);
        assert_eq!(
            c.fix.as_deref(),
            Some("run `sso-helper login --profile dev-sso`")
        );
        let c = check(None, None, "file");
        assert_eq!(c.status, Status::Warn);
        assert!(c.message.contains("no token stored (file store)"), "{c:?}");
        assert!(c.fix.as_deref().unwrap().contains(hint));
        // With the keychain: the AWS CLI's token is mentioned, and used when it is the one that works.
        let c = check(None, Some(&valid), "keychain");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message
                .contains("no token in the keychain store, but the AWS CLI's token"),
            "{c:?}"
        );
        let c = check(Some(&valid), Some(&dead), "keychain");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message
                .contains("the AWS CLI's cache also holds an expired token"),
            "{c:?}"
        );
        let c = check(Some(&dead), Some(&valid), "keychain");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message.contains("but the AWS CLI's token (valid until"),
            "{c:?}"
        );
    }
}
