//! `sso-helper export`: credentials for shells (`env`, `fish`, `powershell`), as
//! credential_process JSON, or written as a named profile into the shared
//! credentials file for tools that cannot run credential_process. This is the one
//! command that puts secrets on stdout or into a file on purpose.

use crate::config::{ConfigFile, aws_dir};
use crate::context::Context;
use crate::credentials::{self, Options, profile_name};
use crate::error::{Error, Result};
use crate::output::credential_process_json;
use crate::portal::RoleCredentials;
use crate::timestamp::format_utc;

pub fn run(ctx: &Context, opts: &Options, format: &str, to: Option<&str>) -> Result<String> {
    if format != "credentials" {
        let creds = credentials::run(ctx, opts)?;
        if format == "windows-cmd" {
            check_for_cmd(&creds)?;
        }
        return Ok(render(format, &creds));
    }
    // Checked before any sign-in or request: a refusal costs nothing.
    let profile = profile_name(ctx, opts.profile.as_deref());
    let name = to.unwrap_or(&profile);
    check_name(name)?;
    let config = ConfigFile::load(&crate::config::config_path(ctx)?)?;
    let path = credentials_path(ctx)?;
    let existing = read_credentials(&path)?;
    let retry = |free: &str| {
        let mut command = format!(
            "sso-helper export --profile {} --format credentials --to {}",
            crate::hint::arg(&profile, ctx.platform()),
            crate::hint::arg(free, ctx.platform())
        );
        if let Some(store) = &opts.token_store {
            command.push_str(&format!(" --token-store {store}"));
        }
        command
    };
    check_ascii(&config, &existing, name, &retry)?;
    refuse_to_shadow(&config, &existing, name, &retry)?;
    refuse_to_overwrite(&config, &existing, &path, name, &retry)?;
    crate::textfile::check_writable(&path)?;
    let creds = credentials::run(ctx, opts)?;
    // Read again, merge and write under the file's lock: parallel runs keep each
    // other's sections (and one may have appeared meanwhile).
    let _guard = crate::textfile::lock_for_rewrite(ctx, &aws_dir(ctx)?, &path)?;
    let existing = read_credentials(&path)?;
    refuse_to_overwrite(&config, &existing, &path, name, &retry)?;
    write_credentials_file(&path, &existing, name, &creds)
}

/// A section name botocore reads back as this profile: not empty, no brackets or
/// line breaks, no white space around it (configparser keeps it in the name), and
/// not `DEFAULT`, whose keys configparser hands to every profile in the file.
fn check_name(name: &str) -> Result<()> {
    // `profile NAME` is the config file's form; in the credentials file botocore
    // would read a profile called "profile NAME".
    let bad = name.is_empty()
        || name.contains(['[', ']'])
        || name.chars().any(|c| c.is_control())
        || crate::ini::py_strip(name) != name
        || name == "DEFAULT"
        || name.starts_with("profile ");
    if bad {
        return Err(Error::Usage(format!(
            "--to {name:?}: not a profile name the credentials file can hold (no brackets, \
             control characters or surrounding spaces, no `profile ` before it, and not DEFAULT)"
        ))
        .hinted(None, "run `sso-helper export --help` for its usage"));
    }
    Ok(())
}

/// A section name outside ASCII is refused, with a command that writes under an
/// ASCII one: botocore reads the credentials file in the system's code page on
/// Windows, where such a name is misread or stops every AWS CLI command
/// (`textfile`). The rest of what `export` writes is ASCII by construction.
fn check_ascii(
    config: &ConfigFile,
    existing: &str,
    name: &str,
    retry: &dyn Fn(&str) -> String,
) -> Result<()> {
    if name.is_ascii() {
        return Ok(());
    }
    // The folded name, unless export would refuse that one too (a profile that
    // gets credentials another way, a section of the user's own): then a free one.
    let folded = ascii_name(name);
    let suggestion = if protected(config, &folded).is_none()
        && section_owner(existing, &folded) != Some(false)
    {
        folded
    } else {
        free_name(config, existing, &folded)
    };
    Err(Error::Usage(format!(
        "[{name}]: a name outside ASCII cannot go into the shared credentials file (botocore \
         reads it in the system's code page on Windows, where every AWS CLI command would fail)"
    ))
    .hinted(
        None,
        format!("write them under an ASCII name: `{}`", retry(&suggestion)),
    ))
}

/// `name` in ASCII for a suggestion: text outside ASCII folded (`Café` →
/// `Cafe`, `textfile::ascii_fold`), anything left over `-`.
fn ascii_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut push = |c: char, from_fold: bool| {
        // A dash that folding made never doubles one already there (`—` → `--`).
        if !(from_fold && c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    };
    for c in name.chars() {
        match crate::textfile::ascii_fold(c) {
            Some(f) => f.chars().for_each(|c| push(c, true)),
            None if c.is_ascii() => push(c, false),
            None => push('-', true),
        }
    }
    let out = out.trim_matches(|c: char| c == '-' || c.is_ascii_whitespace());
    if out.is_empty() || check_name(out).is_err() {
        "exported".into()
    } else {
        out.into()
    }
}

/// Whether profile `name` gets credentials from IAM Identity Center or a
/// credential_process: static keys of the same name would take precedence over
/// them (the Go SDK v2 and Terraform prefer the credentials file) and fail an hour
/// later.
fn protected(config: &ConfigFile, name: &str) -> Option<&'static str> {
    let section = config.profile(name)?;
    if section.has("credential_process") {
        return Some("credential_process");
    }
    const SSO_KEYS: [&str; 10] = [
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "sso_helper_session",
        "sso_helper_start_url",
        "sso_helper_region",
        "sso_helper_account_id",
        "sso_helper_role_name",
    ];
    SSO_KEYS
        .iter()
        .any(|k| section.has(k))
        .then_some("IAM Identity Center (sso_* settings)")
}

/// The first line of every section `export` writes: what tells its sections
/// from the user's own.
const MARK: &str = "# written by sso-helper export";

/// Whether the credentials file has a section `name`, and whether `export`
/// wrote it (its first line is `MARK`).
fn section_owner(existing: &str, name: &str) -> Option<bool> {
    let headers = crate::ini::headers(existing).ok()?;
    let (_, line) = headers.iter().find(|(n, _)| n == name)?;
    let next = crate::ini::lines(existing)
        .find(|(n, _)| *n == line + 1)
        .map(|(_, l)| l.trim_start());
    Some(next.is_some_and(|l| l.starts_with(MARK)))
}

/// A name `export` may write: no config profile has it, and the credentials file
/// has no section of that name that it did not write itself.
fn free_name(config: &ConfigFile, existing: &str, base: &str) -> String {
    (1..)
        .map(|i| match i {
            1 => format!("{base}-static"),
            n => format!("{base}-static{n}"),
        })
        .find(|n| {
            protected(config, n).is_none()
                && config.profile(n).is_none()
                && section_owner(existing, n) != Some(false)
        })
        .expect("some name is free")
}

/// Refuses to write static keys under a profile that gets its credentials another
/// way, with a complete command that writes them under a free name instead.
fn refuse_to_shadow(
    config: &ConfigFile,
    existing: &str,
    name: &str,
    retry: &dyn Fn(&str) -> String,
) -> Result<()> {
    let Some(source) = protected(config, name) else {
        return Ok(());
    };
    let command = retry(&free_name(config, existing, name));
    Err(Error::Usage(format!(
        "[{}] gets its credentials from {source}: static keys under [{name}] in the shared \
         credentials file would take precedence for the Go SDK and Terraform, and fail once they \
         expire",
        crate::config::profile_header(name)
    ))
    .hinted(None, format!("write them under another name: `{command}`")))
}

/// Refuses to replace a section of the credentials file that `export` did not
/// write: those are the user's own keys, and would be gone.
fn refuse_to_overwrite(
    config: &ConfigFile,
    existing: &str,
    path: &std::path::Path,
    name: &str,
    retry: &dyn Fn(&str) -> String,
) -> Result<()> {
    if section_owner(existing, name) != Some(false) {
        return Ok(());
    }
    let command = retry(&free_name(config, existing, name));
    Err(Error::Usage(format!(
        "[{name}] in {} holds keys sso-helper did not write; it replaces only the sections it wrote",
        path.display()
    ))
    .hinted(
        None,
        format!(
            "write them under another name: `{command}`, or remove [{name}] from the file first"
        ),
    ))
}

/// `$AWS_SHARED_CREDENTIALS_FILE` (with `~` expanded) or `~/.aws/credentials`.
fn credentials_path(ctx: &Context) -> Result<std::path::PathBuf> {
    match ctx.var("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => crate::config::expand_path(ctx, p),
        None => Ok(aws_dir(ctx)?.join("credentials")),
    }
}

/// The credentials file's text (empty when it does not exist); a file botocore
/// cannot read is not touched.
fn read_credentials(path: &std::path::Path) -> Result<String> {
    let text = match crate::readfile::read_regular(path, crate::readfile::USER_FILE_CAP) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            Error::config(path, "the file is not valid UTF-8", "save it as UTF-8 text")
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    crate::ini::headers(&text).map_err(|e| {
        Error::config(
            path,
            e.to_string(),
            "fix the file first (the AWS CLI and boto3 cannot read it either); it was not changed",
        )
    })?;
    Ok(text)
}

/// cmd.exe expands `%NAME%` (and `!NAME!` with delayed expansion) even inside
/// quotes: a value with either is refused for `windows-cmd` (AWS's never have
/// them), naming the variable, never the value.
fn check_for_cmd(c: &RoleCredentials) -> Result<()> {
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", c.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose()),
        ("AWS_SESSION_TOKEN", c.session_token.expose()),
    ] {
        if v.contains(['%', '!']) {
            return Err(Error::BadResponse {
                op: "GetRoleCredentials",
                host: "the portal".into(),
                detail: format!("{k} holds % or !, which cmd.exe would expand"),
            });
        }
    }
    Ok(())
}

/// The credentials as shell statements (or JSON).
pub fn render(format: &str, c: &RoleCredentials) -> String {
    let expiration = format_utc(c.expiration);
    let vars = [
        ("AWS_ACCESS_KEY_ID", c.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose()),
        ("AWS_SESSION_TOKEN", c.session_token.expose()),
        ("AWS_CREDENTIAL_EXPIRATION", expiration.as_str()),
        ("AWS_ACCOUNT_ID", c.account_id.as_str()),
    ];
    let line = |(k, v): &(&str, &str)| match format {
        "fish" => format!("set -gx {k} {};", fish_quoted(v)),
        "powershell" => format!("$Env:{k} = '{}'", v.replace('\'', "''")),
        // cmd.exe: the quotes keep & | < > ^ literal (AWS's values hold none of
        // them, nor % or !, which quotes do not protect: see `check_for_cmd`).
        "windows-cmd" => format!("set \"{k}={v}\""),
        _ => format!("export {k}={}", single_quoted(v)),
    };
    match format {
        "json" => credential_process_json(c),
        _ => vars.iter().map(line).collect::<Vec<_>>().join("\n"),
    }
}

/// `'…'` for sh and fish: a single quote inside becomes `'\''` (sh) — AWS keys
/// never hold one, but nothing pasted into a shell is left unquoted.
fn single_quoted(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// `'…'` for fish, where a backslash inside single quotes escapes `\\` and `'`.
fn fish_quoted(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Writes `[name]` into the shared credentials file, keeping every other profile
/// and line; one backup (`PATH.bak`), atomic, mode 0600.
fn write_credentials_file(
    path: &std::path::Path,
    existing: &str,
    name: &str,
    c: &RoleCredentials,
) -> Result<String> {
    let text = merge_section(existing, name, &section_lines(name, c))?;
    let backup = crate::textfile::rewrite_with_backup(
        path,
        &text,
        crate::textfile::Backup::Single,
        Some(0o600),
    )?;
    let backup = backup.map_or(String::new(), |b| format!("; backup: {}", b.display()));
    Ok(format!(
        "wrote profile [{name}] to {}{backup}; the credentials expire {}",
        path.display(),
        format_utc(c.expiration)
    ))
}

/// The lines of `[name]`: all ASCII (`name` is checked, the values are the
/// portal's, checked by `portal::valid_credential_value`).
fn section_lines(name: &str, c: &RoleCredentials) -> Vec<String> {
    vec![
        format!("[{name}]"),
        format!(
            "{MARK}; expires {}; run it again for fresh credentials",
            format_utc(c.expiration)
        ),
        format!("aws_access_key_id = {}", c.access_key_id),
        format!("aws_secret_access_key = {}", c.secret_access_key.expose()),
        format!("aws_session_token = {}", c.session_token.expose()),
        format!("aws_account_id = {}", c.account_id),
    ]
}

/// `existing` with section `[name]` replaced by `section` (or appended when it is
/// not there); every other line stays as it was. Sections are found as botocore
/// finds them (`ini::headers`), so a `[name]` inside a value is not one.
fn merge_section(existing: &str, name: &str, section: &[String]) -> Result<String> {
    let headers = crate::ini::headers(existing).map_err(|e| Error::Config {
        file: "the credentials file".into(),
        message: e.to_string(),
        hint: "fix the file first".into(),
    })?;
    let newline = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines: Vec<&str> = crate::ini::lines(existing).map(|(_, l)| l).collect();
    let mut out: Vec<String> = Vec::new();
    let ours = headers.iter().position(|(n, _)| n == name);
    match ours {
        Some(i) => {
            let start = headers[i].1 - 1;
            let end = headers.get(i + 1).map_or(lines.len(), |(_, l)| l - 1);
            out.extend(lines[..start].iter().map(|l| l.to_string()));
            out.extend(section.iter().cloned());
            // Comments and blank lines just before the next section belong to it.
            let is_loose = |l: &str| {
                let t = l.trim();
                t.is_empty() || t.starts_with('#') || t.starts_with(';')
            };
            let mut keep_from = end;
            while end < lines.len() && keep_from > start + 1 && is_loose(lines[keep_from - 1]) {
                keep_from -= 1;
            }
            if end < lines.len() {
                if keep_from == end || !lines[keep_from].trim().is_empty() {
                    out.push(String::new());
                }
                out.extend(lines[keep_from..].iter().map(|l| l.to_string()));
            }
        }
        None => {
            out.extend(lines.iter().map(|l| l.to_string()));
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.extend(section.iter().cloned());
        }
    }
    let mut text = out.join(newline);
    text.push_str(newline);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::path::Path;
    use time::macros::datetime;

    fn creds() -> RoleCredentials {
        RoleCredentials {
            access_key_id: "ASIAKEY".into(),
            secret_access_key: Secret::new("se/cr+et"),
            session_token: Secret::new("to'ken"),
            expiration: datetime!(2026-11-23 21:00:00 UTC),
            account_id: "111111111111".into(),
        }
    }

    /// What `export` adds to the credentials file is ASCII; a name outside ASCII
    /// is refused with a command that writes under an ASCII one; the user's own
    /// non-ASCII lines are kept byte for byte.
    #[test]
    fn what_export_writes_is_ascii() {
        let lines = section_lines("dev", &creds());
        assert!(lines.iter().all(|l| l.is_ascii()), "{lines:?}");
        let existing = "# Zugangsschlüssel — nicht löschen\r\n[mine]\r\naws_access_key_id = x\r\n";
        let merged = merge_section(existing, "dev", &lines).unwrap();
        assert!(merged.starts_with(existing), "{merged}");
        assert!(merged[existing.len()..].is_ascii(), "{merged}");

        let retry = |n: &str| format!("sso-helper export --to {n}");
        let none = ConfigFile::parse(Path::new("config"), "").unwrap();
        assert!(check_ascii(&none, "", "dev-static", &retry).is_ok());
        let suggested = |config: &ConfigFile, existing: &str, name: &str| {
            let e = check_ascii(config, existing, name, &retry).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            e.hint().unwrap().to_string()
        };
        assert!(suggested(&none, "", "Café—Prod").contains("`sso-helper export --to Cafe-Prod`"));
        // The folded name is one export would refuse too (a profile that runs
        // credential_process, a section of the user's own): a free one instead.
        let config = ConfigFile::parse(
            Path::new("config"),
            "[profile cafe]\ncredential_process = sso-helper --profile cafe\n",
        )
        .unwrap();
        assert!(suggested(&config, "", "café").contains("`sso-helper export --to cafe-static`"));
        assert!(
            suggested(&none, "[cafe]\naws_access_key_id = mine\n", "café")
                .contains("`sso-helper export --to cafe-static`")
        );
        assert_eq!(ascii_name("Ærø"), "AEro");
        assert_eq!(ascii_name("Производство"), "Proizvodstvo");
        assert_eq!(ascii_name("本番"), "Ben Fan");
    }

    /// Each format quotes for its own syntax, so even a value with quotes and
    /// backslashes (the portal's values are checked and never hold them) comes out
    /// as the same bytes in a real shell.
    #[test]
    fn each_format_escapes_for_its_own_syntax() {
        let nasty = r#"a'b\c"d$(x)`e`\"#;
        assert_eq!(single_quoted(nasty), r#"'a'\''b\c"d$(x)`e`\'"#);
        assert_eq!(fish_quoted(nasty), r#"'a\'b\\c"d$(x)`e`\\'"#);
    }

    /// The POSIX quoting, read back by a real `sh`.
    #[cfg(unix)]
    #[test]
    fn sh_reads_back_what_env_quotes() {
        let nasty = r#"a'b\c"d$(x)`e`\"#;
        let sh = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", single_quoted(nasty)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&sh.stdout), nasty);
    }

    #[test]
    fn cmd_refuses_what_it_would_expand() {
        let mut c = creds();
        c.session_token = Secret::new("abc");
        assert!(check_for_cmd(&c).is_ok());
        assert_eq!(
            render("windows-cmd", &c).lines().next().unwrap(),
            "set \"AWS_ACCESS_KEY_ID=ASIAKEY\""
        );
        for bad in ["a%PATH%b", "a!x!b"] {
            c.session_token = Secret::new(bad);
            let e = check_for_cmd(&c).unwrap_err().to_string();
            assert!(e.contains("AWS_SESSION_TOKEN") && !e.contains(bad), "{e}");
        }
    }

    #[test]
    fn shell_formats() {
        assert_eq!(
            render("env", &creds()),
            "export AWS_ACCESS_KEY_ID='ASIAKEY'\nexport AWS_SECRET_ACCESS_KEY='se/cr+et'\n\
             export AWS_SESSION_TOKEN='to'\\''ken'\nexport AWS_CREDENTIAL_EXPIRATION='2026-11-23T21:00:00Z'\nexport AWS_ACCOUNT_ID='111111111111'"
        );
        assert!(render("fish", &creds()).starts_with("set -gx AWS_ACCESS_KEY_ID 'ASIAKEY';\n"));
        assert!(render("powershell", &creds()).contains("$Env:AWS_SESSION_TOKEN = 'to''ken'"));
        assert!(render("json", &creds()).starts_with("{\"Version\":1,"));
    }

    #[test]
    fn merge_replaces_only_its_section() {
        let section = vec!["[dev]".to_string(), "k = new".to_string()];
        let existing =
            "# top\n[default]\naws_access_key_id = A\n\n[dev]\nk = old\nx = y\n\n[other]\nk = o\n";
        assert_eq!(
            merge_section(existing, "dev", &section).unwrap(),
            "# top\n[default]\naws_access_key_id = A\n\n[dev]\nk = new\n\n[other]\nk = o\n"
        );
        assert_eq!(
            merge_section("[a]\nk = 1", "dev", &section).unwrap(),
            "[a]\nk = 1\n\n[dev]\nk = new\n"
        );
        assert_eq!(
            merge_section("", "dev", &section).unwrap(),
            "[dev]\nk = new\n"
        );
        assert_eq!(
            merge_section("[a]\r\nk = 1\r\n", "dev", &section).unwrap(),
            "[a]\r\nk = 1\r\n\r\n[dev]\r\nk = new\r\n"
        );
        // Last section replaced: nothing after it.
        assert_eq!(
            merge_section("[dev]\nk = old\n", "dev", &section).unwrap(),
            "[dev]\nk = new\n"
        );
    }
}
