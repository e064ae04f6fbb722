//! `sso-helper export`: credentials for shells (`env`, `fish`, `powershell`), as
//! credential_process JSON, or written as a named profile into the shared
//! credentials file for tools that cannot run credential_process. This is the one
//! command that puts secrets on stdout or into a file on purpose.

use crate::config::{aws_dir, expand_tilde};
use crate::context::Context;
use crate::credentials::{self, Options, profile_name};
use crate::error::{Error, Result};
use crate::output::credential_process_json;
use crate::portal::RoleCredentials;
use crate::timestamp::format_utc;

pub fn run(ctx: &Context, opts: &Options, format: &str, to: Option<&str>) -> Result<String> {
    let creds = credentials::run(ctx, opts)?;
    match format {
        "credentials" => {
            let name = match to {
                Some(n) => n.to_string(),
                None => {
                    let name = profile_name(ctx, opts.profile.as_deref());
                    refuse_to_shadow(ctx, &name)?;
                    name
                }
            };
            write_credentials_file(ctx, &name, &creds)
        }
        other => Ok(render(other, &creds)),
    }
}

/// Static keys in the credentials file come before credential_process in every
/// SDK's chain: written under the name of a profile that runs credential_process,
/// they would hide it, and fail everywhere once they expire. Only `--to` may.
fn refuse_to_shadow(ctx: &Context, name: &str) -> Result<()> {
    let config = crate::config::ConfigFile::load(&crate::config::config_path(ctx)?)?;
    if config
        .profile(name)
        .is_some_and(|p| p.get("credential_process").is_some())
    {
        return Err(Error::Usage(format!(
            "[{name}] in the credentials file would hide [{}]'s credential_process from every SDK until removed; \
             pass --to NAME (for example --to {name}-static), or --to {name} to do it anyway",
            crate::config::profile_header(name)
        )));
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
        "fish" => format!("set -gx {k} {};", single_quoted(v)),
        "powershell" => format!("$Env:{k} = '{}'", v.replace('\'', "''")),
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

/// Writes `[name]` into the shared credentials file, keeping every other profile
/// and line; backup first, atomic, mode 0600.
fn write_credentials_file(ctx: &Context, name: &str, c: &RoleCredentials) -> Result<String> {
    if name.is_empty() || name.contains(['[', ']', '\n', '\r']) {
        return Err(Error::Usage(format!(
            "--to {name}: not a usable profile name"
        )));
    }
    let path = match ctx.var("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => expand_tilde(ctx, p)?,
        None => aws_dir(ctx)?.join("credentials"),
    };
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path,
                source,
            });
        }
    };
    let section = vec![
        format!("[{name}]"),
        format!(
            "# written by sso-helper export; expires {} — run it again for fresh credentials",
            format_utc(c.expiration)
        ),
        format!("aws_access_key_id = {}", c.access_key_id),
        format!("aws_secret_access_key = {}", c.secret_access_key.expose()),
        format!("aws_session_token = {}", c.session_token.expose()),
        format!("aws_account_id = {}", c.account_id),
    ];
    let text = merge_section(&existing, name, &section);
    let backup = crate::textfile::rewrite_with_backup(&path, &text, ctx.now(), Some(0o600))?;
    let backup = backup.map_or(String::new(), |b| format!("; backup: {}", b.display()));
    Ok(format!(
        "wrote profile [{name}] to {}{backup}; the credentials expire {}",
        path.display(),
        format_utc(c.expiration)
    ))
}

/// `existing` with section `[name]` replaced by `section` (or appended when it is
/// not there); every other line stays as it was.
fn merge_section(existing: &str, name: &str, section: &[String]) -> String {
    let is_header = |l: &str| l.trim_start().starts_with('[');
    let is_ours = |l: &str| {
        let t = l.trim();
        t.starts_with('[') && t.ends_with(']') && t[1..t.len() - 1].trim() == name
    };
    let newline = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines: Vec<&str> = existing.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let mut replaced = false;
    while i < lines.len() {
        if !replaced && is_ours(lines[i]) {
            out.extend(section.iter().cloned());
            i += 1;
            let start = i;
            while i < lines.len() && !is_header(lines[i]) {
                i += 1;
            }
            // Comments and blank lines just before the next section belong to it.
            let is_loose = |l: &str| {
                let t = l.trim();
                t.is_empty() || t.starts_with('#') || t.starts_with(';')
            };
            let mut keep_from = i;
            while i < lines.len() && keep_from > start && is_loose(lines[keep_from - 1]) {
                keep_from -= 1;
            }
            if i < lines.len() {
                if keep_from == i || !lines[keep_from].trim().is_empty() {
                    out.push(String::new());
                }
                out.extend(lines[keep_from..i].iter().map(|l| l.to_string()));
            }
            replaced = true;
            continue;
        }
        out.push(lines[i].to_string());
        i += 1;
    }
    if !replaced {
        if out.last().is_some_and(|l| !l.trim().is_empty()) {
            out.push(String::new());
        }
        out.extend(section.iter().cloned());
    }
    let mut text = out.join(newline);
    text.push_str(newline);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
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
            merge_section(existing, "dev", &section),
            "# top\n[default]\naws_access_key_id = A\n\n[dev]\nk = new\n\n[other]\nk = o\n"
        );
        assert_eq!(
            merge_section("[a]\nk = 1", "dev", &section),
            "[a]\nk = 1\n\n[dev]\nk = new\n"
        );
        assert_eq!(merge_section("", "dev", &section), "[dev]\nk = new\n");
        assert_eq!(
            merge_section("[a]\r\nk = 1\r\n", "dev", &section),
            "[a]\r\nk = 1\r\n\r\n[dev]\r\nk = new\r\n"
        );
        // Last section replaced: nothing after it.
        assert_eq!(
            merge_section("[dev]\nk = old\n", "dev", &section),
            "[dev]\nk = new\n"
        );
    }
}
