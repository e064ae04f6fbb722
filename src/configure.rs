//! `sso-helper configure`: layout-B profiles (SPEC §2) for every account and role of
//! a session. Without `--write` they are printed; with it they are appended to the
//! config file, which keeps every byte it had (a backup is written first and the
//! file is replaced atomically, `textfile`). A pair that already has a layout-B
//! profile for the session is skipped, so a second run adds nothing. A session
//! that has no `[sso-session NAME]` section yet is created from `--start-url` and
//! `--sso-region` (asked for on a terminal), as `aws configure sso` does.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::cli::Args;
use crate::config::{ConfigFile, SsoSession, check_region, check_start_url};
use crate::credentials::{Options, Session};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::portal::{Account, is_unauthorized};
use crate::process_line;
use crate::textfile;
use crate::timestamp::format_utc;
use crate::token::Token;

/// The scopes `aws configure sso` registers with, written into a new session.
const SCOPES: &str = "sso:account:access";

/// An account and the roles the user can take in it.
type Reachable = (Account, Vec<String>);

/// Prints (or, with `--write`, adds to the config file) the profiles.
pub fn run(session: &Session<'_>, opts: &Options, args: &Args) -> Result<String> {
    let name = match args.sso_session.as_deref() {
        Some(n) => n,
        None => match session.config.session_order.as_slice() {
            [only] => only.as_str(),
            [] => {
                return Err(Error::Usage(
                    "`configure` needs --sso-session NAME: the config file has no [sso-session] yet \
                     (with --start-url URL --sso-region REGION, configure creates it)"
                        .into(),
                ));
            }
            several => {
                return Err(Error::Usage(format!(
                    "`configure` needs --sso-session NAME: the config file has {} ({})",
                    several.len(),
                    crate::suggest::some_of(several, 8)
                )));
            }
        },
    };
    let prefix = args.prefix.as_deref().unwrap_or("");
    check_prefix(prefix)?;
    if let Some(r) = args.region.as_deref() {
        check_flag_region("--region", r)?;
    }
    let (sso, new_session) = choose_session(&session.config, name, args, &mut ask_on_terminal)?;
    let command = helper_command()?;
    if args.write {
        textfile::check_writable(&session.config.path)?;
    }
    let accounts = reachable(session, &sso, opts)?;
    let region = args.region.as_deref();
    if !args.write {
        let plan = Plan::new(&session.config, name, &accounts, prefix);
        return Ok(printed(
            &plan,
            new_session.then_some(&sso),
            name,
            region,
            &command,
            &session.config.path,
        ));
    }
    write(
        session,
        name,
        new_session.then_some(&sso),
        &accounts,
        prefix,
        region,
        &command,
    )
}

/// `--write`: the file as it is now (re-read, in case it changed while the portal was
/// asked) plus the new sections, checked, backed up and replaced atomically.
fn write(
    session: &Session<'_>,
    name: &str,
    new_session: Option<&SsoSession>,
    accounts: &[Reachable],
    prefix: &str,
    region: Option<&str>,
    command: &str,
) -> Result<String> {
    let path = &session.config.path;
    // Read, merge and write under the file's lock: parallel runs keep each other's.
    let _guard = textfile::lock_for_rewrite(session.ctx, &session.aws, path)?;
    let original = match crate::readfile::read_regular(path, crate::readfile::USER_FILE_CAP) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            Error::config(path, "the file is not valid UTF-8", "save it as UTF-8 text")
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path: path.clone(),
                source,
            });
        }
    };
    let current = ConfigFile::parse(path, &original)?;
    if new_session.is_some() && current.sessions.contains_key(name) {
        return Err(Error::config(
            path,
            format!("[sso-session {name}] was added to the file while configure ran"),
            format!(
                "run `sso-helper configure --sso-session {} --write` again",
                crate::hint::arg(name, session.ctx.platform())
            ),
        ));
    }
    let plan = Plan::new(&current, name, accounts, prefix);
    let skipped = match plan.skipped {
        0 => String::new(),
        1 => "; skipped 1 that already has a profile".to_string(),
        n => format!("; skipped {n} that already have profiles"),
    };
    if plan.profiles.is_empty() && new_session.is_none() {
        let why = match plan.total {
            0 => format!("{} gives you no accounts", describe(name)),
            1 => format!(
                "the one account/role pair of {} already has a profile",
                describe(name)
            ),
            n => format!(
                "all {n} account/role pairs of {} already have profiles",
                describe(name)
            ),
        };
        return Ok(format!(
            "nothing to add to {}: {why}; the file is unchanged",
            path.display()
        ));
    }
    let comment = textfile::ascii_comment(&format!(
        "# Added by sso-helper configure --sso-session {name} on {}; credential_process runs {command}",
        format_utc(session.ctx.now())
    ));
    let block = format!(
        "{comment}\n{}",
        plan.sections(new_session, name, region, command)
    );
    let new_text = append(&original, &block);
    // What is written must read back as working profiles.
    let check = ConfigFile::parse(path, &new_text)?;
    for p in &plan.profiles {
        check.role_profile(&p.name)?;
    }
    let backup = textfile::rewrite_with_backup(
        path,
        &new_text,
        textfile::Backup::Timestamped(session.ctx.now()),
        None,
    )?;
    let backup = match backup {
        Some(b) => format!("; backup: {}", b.display()),
        None => " (a new file)".into(),
    };
    let section = match new_session {
        Some(_) => format!(" and [sso-session {name}]"),
        None => String::new(),
    };
    let mut out = format!(
        "added {}{section} to {}{backup}{skipped}",
        count(plan.profiles.len(), "profile"),
        path.display()
    );
    for p in &plan.profiles {
        out.push_str(&format!("\n  {}", p.describe()));
    }
    Ok(out)
}

/// Without `--write`: a comment saying what this is, then the sections.
fn printed(
    plan: &Plan,
    new_session: Option<&SsoSession>,
    name: &str,
    region: Option<&str>,
    command: &str,
    path: &Path,
) -> String {
    let section = match new_session {
        Some(_) => format!(" and a new [sso-session {name}] section"),
        None => String::new(),
    };
    // The comment lines are ASCII like everything configure writes, in case they
    // are pasted into the file.
    let mut out = textfile::ascii_comment(&format!(
        "# sso-helper configure: {} generated{section} for {}; {} skipped (already {} a layout-B profile)",
        count(plan.profiles.len(), "profile"),
        describe(name),
        count(plan.skipped, "account/role pair"),
        if plan.skipped == 1 { "has" } else { "have" },
    ));
    let sections = plan.sections(new_session, name, region, command);
    out.push('\n');
    if sections.is_empty() {
        out.push_str(&textfile::ascii_comment(&format!(
            "# nothing to add to {}",
            path.display()
        )));
    } else {
        out.push_str(&textfile::ascii_comment(&format!(
            "# credential_process runs {command}; add these to {} with --write",
            path.display()
        )));
        out.push_str(&format!("\n\n{sections}"));
    }
    out
}

fn describe(name: &str) -> String {
    format!("sso-session \"{name}\"")
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A profile to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NewProfile {
    name: String,
    account_id: String,
    account_name: String,
    role: String,
}

impl NewProfile {
    fn describe(&self) -> String {
        let account = match self.account_name.as_str() {
            "" => self.account_id.clone(),
            n => format!("{n} ({})", self.account_id),
        };
        format!("{}: {} in {account}", self.name, self.role)
    }

    fn render(&self, session: &str, region: Option<&str>, command: &str) -> String {
        let mut s = format!(
            "[profile {name}]\n\
             credential_process = {command} --profile {name}\n\
             sso_helper_session = {session}\n\
             sso_helper_account_id = {}\n\
             sso_helper_role_name = {}",
            self.account_id,
            self.role,
            name = self.name,
        );
        if let Some(r) = region {
            s.push_str(&format!("\nregion = {r}"));
        }
        s
    }
}

/// What `configure` adds for a session: one profile per (account, role) pair that has
/// no layout-B profile yet, in account-name then role order.
#[derive(Debug)]
struct Plan {
    profiles: Vec<NewProfile>,
    /// Pairs that already have a layout-B profile for the session.
    skipped: usize,
    /// Every pair the session reaches.
    total: usize,
}

impl Plan {
    fn new(config: &ConfigFile, session: &str, accounts: &[Reachable], prefix: &str) -> Plan {
        let have = layout_b_pairs(config, session);
        let mut taken: HashSet<String> = config.profiles.keys().cloned().collect();
        let mut sorted: Vec<&Reachable> = accounts.iter().collect();
        sorted.sort_by(|(a, _), (b, _)| {
            (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id))
        });
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut plan = Plan {
            profiles: Vec::new(),
            skipped: 0,
            total: 0,
        };
        for (account, roles) in sorted {
            let mut roles: Vec<&String> = roles.iter().collect();
            roles.sort();
            for role in roles {
                if !seen.insert((&account.id, role)) {
                    continue;
                }
                plan.total += 1;
                if have.contains(&(account.id.as_str(), role.as_str())) {
                    plan.skipped += 1;
                    continue;
                }
                let name = unique(format!("{prefix}{}", base_name(account, role)), &taken);
                taken.insert(name.clone());
                plan.profiles.push(NewProfile {
                    name,
                    account_id: account.id.clone(),
                    account_name: account.name.clone(),
                    role: role.clone(),
                });
            }
        }
        plan
    }

    /// The new sections, blank-line separated, no trailing newline.
    fn sections(
        &self,
        new_session: Option<&SsoSession>,
        session: &str,
        region: Option<&str>,
        command: &str,
    ) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(s) = new_session {
            parts.push(format!(
                "[sso-session {session}]\nsso_start_url = {}\nsso_region = {}\nsso_registration_scopes = {SCOPES}",
                s.start_url, s.region
            ));
        }
        parts.extend(
            self.profiles
                .iter()
                .map(|p| p.render(session, region, command)),
        );
        parts.join("\n\n")
    }
}

/// The (account, role) pairs that have a layout-B profile for `session`: its
/// `sso_helper_session`, `sso_helper_account_id` and `sso_helper_role_name`. Profiles
/// of other layouts (standard `sso_*` keys) do not count.
fn layout_b_pairs<'c>(config: &'c ConfigFile, session: &str) -> HashSet<(&'c str, &'c str)> {
    config
        .profiles
        .values()
        .filter(|s| s.get("sso_helper_session") == Some(session))
        .filter_map(|s| {
            Some((
                s.get("sso_helper_account_id")?,
                s.get("sso_helper_role_name")?,
            ))
        })
        .collect()
}

/// `development-readonly`: the account's name (its id when the name has nothing
/// usable) and the role, each made config-safe.
fn base_name(account: &Account, role: &str) -> String {
    let mut acct = slug(&account.name);
    if acct.is_empty() {
        acct = account.id.clone();
    }
    match slug(role) {
        r if r.is_empty() => acct,
        r => format!("{acct}-{r}"),
    }
}

/// Lower case ASCII: Latin letters folded (`Développement` → `developpement`,
/// `textfile::ascii_fold`), then anything but `a-z 0-9 . _ -` becomes `-`; runs of
/// `-` become one; no `-` at either end. The same name gives the same slug.
fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut push = |c: char| {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_') {
            c
        } else {
            '-'
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    };
    for c in s.chars() {
        match textfile::ascii_fold(c) {
            Some(folded) => folded.chars().for_each(&mut push),
            None => push(c),
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// `name`, else `name-2`, `name-3`… — the first not in `taken`.
fn unique(name: String, taken: &HashSet<String>) -> String {
    if !taken.contains(&name) {
        return name;
    }
    (2u32..)
        .map(|n| format!("{name}-{n}"))
        .find(|c| !taken.contains(c))
        .expect("some suffix is free")
}

fn config_safe(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() || config_safe(prefix) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--prefix {prefix}: use letters, digits, '.', '_' and '-' only (it starts profile names)"
        )))
    }
}

fn check_flag_region(what: &str, region: &str) -> Result<()> {
    check_region(Path::new(what), what, what, region).map_err(|_| {
        Error::Usage(format!(
            "{what} {region} is not an AWS region (use a name like us-east-1)"
        ))
    })
}

fn check_flag_start_url(what: &str, url: &str) -> Result<()> {
    // ASCII, as everything configure writes (a portal's address always is).
    let ok = url.starts_with("https://")
        && url.is_ascii()
        && check_start_url(Path::new(what), what, what, url).is_ok();
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{what} {url} is not an AWS access portal URL (like https://d-1234567890.awsapps.com/start)"
        )))
    }
}

/// The session to configure and whether it is new: the config's `[sso-session
/// NAME]`, else one made from `--start-url` and `--sso-region` (else `--region`),
/// asking for what is missing through `ask` (which answers `None` when it cannot).
fn choose_session(
    config: &ConfigFile,
    name: &str,
    args: &Args,
    ask: &mut dyn FnMut(&str) -> Result<Option<String>>,
) -> Result<(SsoSession, bool)> {
    if config.sessions.contains_key(name) {
        let sso = config.session(name)?;
        for (flag, given, key, have) in [
            (
                "--start-url",
                &args.start_url,
                "sso_start_url",
                &sso.start_url,
            ),
            ("--sso-region", &args.sso_region, "sso_region", &sso.region),
        ] {
            if let Some(v) = given
                && v != have
            {
                return Err(Error::Usage(format!(
                    "{flag} {v} differs from {key} = {have} in [sso-session {name}] of {}; leave {flag} out to use the session as it is",
                    config.path.display()
                )));
            }
        }
        return Ok((sso, false));
    }
    if !config_safe(name) {
        return Err(Error::Usage(format!(
            "--sso-session {name}: there is no such section to use, and a new session's name may use only ASCII letters, digits, '.', '_' and '-'"
        ))
        .hinted(None, "run `sso-helper configure --help` for its usage"));
    }
    let missing = |flag: &str| {
        Error::Usage(format!(
            "there is no [sso-session {name}] in {}: pass {flag} to create it",
            config.path.display()
        ))
    };
    let start_url = match &args.start_url {
        Some(u) => u.clone(),
        None => ask("SSO start URL (like https://d-1234567890.awsapps.com/start)")?
            .ok_or_else(|| missing("--start-url URL (and --sso-region REGION)"))?,
    };
    check_flag_start_url(
        if args.start_url.is_some() {
            "--start-url"
        } else {
            "start URL"
        },
        &start_url,
    )?;
    let (region, what) = match (&args.sso_region, &args.region) {
        (Some(r), _) => (r.clone(), "--sso-region"),
        (None, Some(r)) => (r.clone(), "--region"),
        (None, None) => (
            ask("SSO region (like us-east-1)")?
                .ok_or_else(|| missing("--sso-region REGION (the IAM Identity Center region)"))?,
            "SSO region",
        ),
    };
    check_flag_region(what, &region)?;
    Ok((
        SsoSession {
            name: Some(name.to_string()),
            start_url,
            region,
            scopes: vec![SCOPES.to_string()],
            login_flow: None,
            redirect_port: None,
        },
        true,
    ))
}

/// Asks on stderr and reads the answer from stdin, only when both are a terminal.
fn ask_on_terminal(question: &str) -> Result<Option<String>> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(None);
    }
    {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{question}: ");
        let _ = err.flush();
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| Error::Io {
            action: "read",
            path: "standard input".into(),
            source,
        })?;
    let answer = line.trim();
    Ok((!answer.is_empty()).then(|| answer.to_string()))
}

/// Every account with its roles (paginated; `inventory::accounts_and_roles`: many
/// accounts at once, a progress line on a terminal), signing in first when
/// needed; a token the portal rejects (401) is replaced once (SPEC §3's 401 rule).
fn reachable(session: &Session<'_>, sso: &SsoSession, opts: &Options) -> Result<Vec<Reachable>> {
    let portal = session.portal(sso)?;
    let list = |token: &Token| -> Result<Vec<Reachable>> {
        crate::inventory::accounts_and_roles(session.ctx, &portal, &token.access_token)
    };
    let token = session.token(sso, opts, None)?;
    match list(&token) {
        Err(e) if is_unauthorized(&e) => {
            session
                .ctx
                .debug(|| "the portal rejected the token (401); discarding it".into());
            let token = session.token(sso, opts, Some(&token))?;
            list(&token)
        }
        other => other,
    }
}

/// The command `credential_process` runs: this very binary, by absolute path,
/// written for this platform's readers of the line (`process_line::quote_program`).
fn helper_command() -> Result<String> {
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        action: "find the path of",
        path: "the running sso-helper".into(),
        source,
    })?;
    let path = exe.to_str().ok_or_else(|| Error::Environment {
        message: format!(
            "the path of this sso-helper, {}, is not UTF-8 and cannot go into the config file",
            exe.display()
        ),
        hint: "install sso-helper in a directory whose path is UTF-8".into(),
    })?;
    command_for(path, Platform::current())
}

/// `path` as credential_process's program on `platform`, or why it cannot be.
fn command_for(path: &str, platform: Platform) -> Result<String> {
    process_line::quote_program(path, platform).map_err(|u| Error::Environment {
        message: format!(
            "the path of this sso-helper, {path}, cannot go into credential_process: it {}",
            u.why
        ),
        hint: u.fix.into(),
    })
}

/// `original` with `block` after it: every existing byte kept, a line break added
/// when the file does not end with one, one blank line between, and the file's own
/// line ending (CRLF when its first line has one) on the new lines.
fn append(original: &str, block: &str) -> String {
    let eol = match original.find('\n') {
        Some(i) if original[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let mut out = String::with_capacity(original.len() + block.len() + 64);
    out.push_str(original);
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push_str(eol);
        }
        let body = &out[..out.len() - 1];
        let last_line = body.rsplit('\n').next().unwrap_or("");
        if !(body.is_empty() || last_line.trim().is_empty()) {
            out.push_str(eol);
        }
    }
    for line in block.lines() {
        out.push_str(line);
        out.push_str(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(id: &str, name: &str) -> Account {
        Account {
            id: id.into(),
            name: name.into(),
            email: String::new(),
        }
    }

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("/cfg"), text).unwrap()
    }

    fn reachable() -> Vec<Reachable> {
        vec![
            (
                acct("222222222222", "Production"),
                vec!["ReadOnly".to_string()],
            ),
            (
                acct("111111111111", "Development"),
                vec!["ReadOnly".to_string(), "Admin".to_string()],
            ),
        ]
    }

    fn names(plan: &Plan) -> Vec<&str> {
        plan.profiles.iter().map(|p| p.name.as_str()).collect()
    }

    /// Everything configure generates is ASCII, whatever the portal's account
    /// names: botocore reads the config file in the system's code page on Windows.
    /// Only a name copied from the user's own file (a session they named outside
    /// ASCII) is written as it is there, and nowhere but where it names that session.
    #[test]
    fn what_configure_writes_is_ascii() {
        let accounts: Vec<Reachable> = [
            ("111111111111", "Développement — Équipe"),
            ("222222222222", "本番"),
            ("333333333333", "Ωmega ☃"),
            ("444444444444", "Zürich\u{200b}Prod\u{feff}"),
            ("555555555555", "🚀 launch"),
            ("666666666666", ""),
        ]
        .iter()
        .map(|(id, n)| (acct(id, n), vec!["Admin".into(), "ReadOnly".into()]))
        .collect();
        let taken = parse("[profile developpement-equipe-admin]\nregion = x\n");
        let plan = Plan::new(&taken, "corp", &accounts, "");
        assert_eq!(plan.profiles.len(), 12);
        let new = SsoSession {
            name: Some("corp".into()),
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            scopes: vec![SCOPES.into()],
            login_flow: None,
            redirect_port: None,
        };
        let home = Path::new("/home/José/.aws/config");
        let out = printed(
            &plan,
            Some(&new),
            "corp",
            Some("eu-west-1"),
            "/usr/bin/sso-helper",
            home,
        );
        assert!(out.is_ascii(), "{out}");
        for p in &plan.profiles {
            assert!(
                p.render("corp", Some("eu-west-1"), "/usr/bin/sso-helper")
                    .is_ascii()
            );
        }
        // A non-ASCII program path (possible on Linux and macOS only) and a session
        // of the user's named outside ASCII: the comments stay ASCII, and the name
        // appears only as the value that names the session.
        let out = printed(
            &plan,
            None,
            "café",
            None,
            "'/home/José/bin/sso-helper'",
            home,
        );
        for line in out.lines() {
            if line.starts_with('#') {
                assert!(line.is_ascii(), "{line}");
            } else if !line.starts_with("credential_process") {
                assert!(
                    line == "sso_helper_session = café" || line.is_ascii(),
                    "{line}"
                );
            }
        }
        assert!(out.contains("caf\\u{e9}"), "{out}");
        assert!(check_flag_start_url("--start-url", "https://例え.awsapps.com/start").is_err());
    }

    #[test]
    fn slugs_are_config_safe() {
        for (input, want) in [
            ("Development", "development"),
            ("My Team / Prod (EU)", "my-team-prod-eu"),
            ("--a__b..c--", "a__b..c"),
            ("Développement", "developpement"),
            ("Ærøskøbing Straße", "aeroskobing-strasse"),
            ("Zürich—Prod", "zurich-prod"),
            ("Ωmega ☃ 1", "omega-snowman-1"),
            ("İstanbul Ｐｒｏｄ", "istanbul-prod"),
            ("Производство", "proizvodstvo"),
            ("Phát triển", "phat-trien"),
            ("AWSReadOnlyAccess+x@y", "awsreadonlyaccess-x-y"),
            ("本番", "ben-fan"),
            ("", ""),
        ] {
            assert_eq!(slug(input), want, "{input}");
        }
        assert_eq!(
            base_name(&acct("123456789012", "本番"), "Admin"),
            "ben-fan-admin"
        );
        assert_eq!(
            base_name(&acct("123456789012", "☃"), "ReadOnly"),
            "snowman-readonly"
        );
        assert_eq!(
            base_name(&acct("123456789012", ""), "ReadOnly"),
            "123456789012-readonly"
        );
    }

    #[test]
    fn names_in_order_unique_and_prefixed() {
        let config = parse(
            "[profile development-admin]\nregion = x\n[profile development-readonly]\n[profile development-readonly-2]\n",
        );
        let plan = Plan::new(&config, "corp", &reachable(), "");
        assert_eq!(
            names(&plan),
            [
                "development-admin-2",
                "development-readonly-3",
                "production-readonly"
            ]
        );
        assert_eq!((plan.skipped, plan.total), (0, 3));
        let plan = Plan::new(&config, "corp", &reachable(), "corp-");
        assert_eq!(
            names(&plan),
            [
                "corp-development-admin",
                "corp-development-readonly",
                "corp-production-readonly"
            ]
        );
        // Two accounts whose names make the same slug.
        let same = vec![
            (acct("111111111111", "Dev"), vec!["R".to_string()]),
            (acct("222222222222", "dev"), vec!["R".to_string()]),
        ];
        let plan = Plan::new(&parse(""), "corp", &same, "");
        assert_eq!(names(&plan), ["dev-r", "dev-r-2"]);
    }

    #[test]
    fn only_layout_b_profiles_of_the_session_count() {
        let config = parse(
            "[profile a]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
             [profile b]\nsso_helper_session = other\nsso_helper_account_id = 111111111111\nsso_helper_role_name = ReadOnly\n\
             [profile c]\nsso_helper_session = corp\nsso_helper_account_id = 222222222222\nsso_helper_role_name = ReadOnly\n",
        );
        let plan = Plan::new(&config, "corp", &reachable(), "");
        assert_eq!(names(&plan), ["development-admin", "development-readonly"]);
        assert_eq!((plan.skipped, plan.total), (1, 3));
    }

    #[test]
    fn profile_text_is_layout_b_and_resolves() {
        let plan = Plan::new(&parse(""), "corp", &reachable(), "");
        let session = SsoSession {
            name: Some("corp".into()),
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: vec![SCOPES.into()],
            login_flow: None,
            redirect_port: None,
        };
        let text = plan.sections(Some(&session), "corp", Some("eu-west-1"), "/opt/sso-helper");
        assert!(text.starts_with(
            "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\n\
             sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
             [profile development-admin]\ncredential_process = /opt/sso-helper --profile development-admin\n\
             sso_helper_session = corp\nsso_helper_account_id = 111111111111\n\
             sso_helper_role_name = Admin\nregion = eu-west-1\n\n"
        ), "{text}");
        let config = parse(&text);
        assert_eq!(config.session("corp").unwrap(), session);
        for p in &plan.profiles {
            let r = config.role_profile(&p.name).unwrap();
            assert_eq!(
                (r.account_id, r.role_name),
                (p.account_id.clone(), p.role.clone())
            );
        }
        // Read back, nothing is left to add.
        let again = Plan::new(&config, "corp", &reachable(), "");
        assert!(again.profiles.is_empty());
        assert_eq!(again.skipped, 3);
    }

    #[test]
    fn command_for_each_platform() {
        assert_eq!(
            command_for("/usr/local/bin/sso-helper", Platform::Linux).unwrap(),
            "/usr/local/bin/sso-helper"
        );
        assert_eq!(
            command_for("/Users/Jo Doe/bin/sso-helper", Platform::MacOs).unwrap(),
            "'/Users/Jo Doe/bin/sso-helper'"
        );
        assert_eq!(
            command_for(r"C:\Program Files\sso-helper.exe", Platform::Windows).unwrap(),
            r#""C:\Program Files\sso-helper.exe""#
        );
        assert_eq!(
            command_for(r"C:\bin\sso-helper.exe", Platform::Windows).unwrap(),
            r"C:\bin\sso-helper.exe"
        );
        let e = command_for(r"C:\100%\sso-helper.exe", Platform::Windows).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let line = crate::error::one_line(&e);
        assert!(
            line.contains(r"C:\100%\sso-helper.exe") && line.contains("cmd.exe"),
            "{line}"
        );
        assert!(e.hint().unwrap().contains("plain ASCII"), "{e:?}");
    }

    #[test]
    fn appending_keeps_every_byte() {
        assert_eq!(append("", "[a]\nx = 1"), "[a]\nx = 1\n");
        assert_eq!(append("[p]\n", "[a]"), "[p]\n\n[a]\n");
        assert_eq!(append("[p]", "[a]"), "[p]\n\n[a]\n");
        assert_eq!(append("[p]\n\n", "[a]"), "[p]\n\n[a]\n");
        assert_eq!(append("# c\n  \n", "[a]"), "# c\n  \n[a]\n");
        assert_eq!(
            append("[p]\r\nx = 1", "[a]\ny = 2"),
            "[p]\r\nx = 1\r\n\r\n[a]\r\ny = 2\r\n"
        );
        assert_eq!(append("\n", "[a]"), "\n[a]\n");
    }

    fn args(f: impl FnOnce(&mut Args)) -> Args {
        let mut a = Args {
            sso_session: Some("new".into()),
            ..Args::default()
        };
        f(&mut a);
        a
    }

    #[test]
    fn a_new_session_from_flags_or_answers() {
        let config = parse(
            "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n",
        );
        let mut never = |_: &str| -> Result<Option<String>> { Ok(None) };
        let (s, new) = choose_session(
            &config,
            "new",
            &args(|a| {
                a.start_url = Some("https://y.awsapps.com/start".into());
                a.region = Some("eu-west-1".into());
            }),
            &mut never,
        )
        .unwrap();
        assert!(new);
        assert_eq!(
            (s.start_url.as_str(), s.region.as_str()),
            ("https://y.awsapps.com/start", "eu-west-1")
        );
        assert_eq!(s.scopes, [SCOPES]);
        // --sso-region wins over --region.
        let (s, _) = choose_session(
            &config,
            "new",
            &args(|a| {
                a.start_url = Some("https://y.awsapps.com/start".into());
                a.region = Some("eu-west-1".into());
                a.sso_region = Some("us-west-2".into());
            }),
            &mut never,
        )
        .unwrap();
        assert_eq!(s.region, "us-west-2");
        // Asked for.
        let mut asked = Vec::new();
        let mut answer = |q: &str| -> Result<Option<String>> {
            asked.push(q.to_string());
            Ok(Some(
                if q.starts_with("SSO start URL") {
                    "https://z.awsapps.com/start"
                } else {
                    "ap-south-1"
                }
                .into(),
            ))
        };
        let (s, _) = choose_session(&config, "new", &args(|_| {}), &mut answer).unwrap();
        assert_eq!(
            (s.start_url.as_str(), s.region.as_str()),
            ("https://z.awsapps.com/start", "ap-south-1")
        );
        assert_eq!(asked.len(), 2);
        // Not asked, not given.
        let e = choose_session(&config, "new", &args(|_| {}), &mut never).unwrap_err();
        assert!(e.to_string().contains("pass --start-url"), "{e}");
        let e = choose_session(
            &config,
            "new",
            &args(|a| a.start_url = Some("https://y.awsapps.com/start".into())),
            &mut never,
        )
        .unwrap_err();
        assert!(e.to_string().contains("pass --sso-region"), "{e}");
        // An existing session is used as it is; flags that contradict it are refused.
        let (s, new) = choose_session(&config, "corp", &args(|_| {}), &mut never).unwrap();
        assert!(!new);
        assert_eq!(s.start_url, "https://x.awsapps.com/start");
        let e = choose_session(
            &config,
            "corp",
            &args(|a| a.sso_region = Some("eu-west-1".into())),
            &mut never,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("differs from sso_region = us-east-1"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let config = parse("");
        let mut never = |_: &str| -> Result<Option<String>> { Ok(None) };
        for (a, needle) in [
            (
                args(|a| a.start_url = Some("http://x.awsapps.com/start".into())),
                "--start-url http://",
            ),
            (
                args(|a| a.start_url = Some("d-123.awsapps.com".into())),
                "not an AWS access portal URL",
            ),
            (
                args(|a| {
                    a.start_url = Some("https://x.awsapps.com/start".into());
                    a.sso_region = Some("US East".into());
                }),
                "--sso-region US East is not an AWS region",
            ),
            (
                args(|a| {
                    a.sso_session = Some("my corp".into());
                    a.start_url = Some("https://x.awsapps.com/start".into());
                }),
                "--sso-session my corp",
            ),
        ] {
            let e = choose_session(&config, a.sso_session.as_deref().unwrap(), &a, &mut never)
                .unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(needle), "{e}");
        }
        assert!(check_prefix("team.a_b-").is_ok());
        let e = check_prefix("my team").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--prefix my team"), "{e}");
        assert!(check_prefix("a]b").is_err() && check_prefix("x#").is_err());
        assert!(check_flag_region("--region", "eu-west-1").is_ok());
        assert!(check_flag_region("--region", "eu west").is_err());
    }
}
