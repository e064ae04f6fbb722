//! The commands a person runs by hand: login, logout, list, export, status, and
//! -v on every one of them.

use serde_json::{Value, json};

use crate::support::*;

#[test]
fn login_signs_in_whatever_is_cached_and_says_until_when() {
    let env = TestEnv::new();
    env.standard_config();
    let out = env.run(&["login", "--profile", "dev-sso"]);
    out.ok();
    assert!(
        out.stdout.contains("signed in to sso-session \"corp\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("valid until 20") && out.stdout.contains("file store"),
        "{}",
        out.stdout
    );
    let first = TestEnv::read_json(&env.token_path("corp"))["accessToken"].clone();
    env.run(&["login", "--sso-session", "corp"]).ok();
    assert_eq!(
        env.standin.count(Op::StartDeviceAuthorization),
        2,
        "a new sign-in each time"
    );
    assert_ne!(
        TestEnv::read_json(&env.token_path("corp"))["accessToken"],
        first
    );
    // The registration is reused.
    assert_eq!(env.standin.count(Op::RegisterClient), 1);
    env.run(&["login", "--sso-session", "nope"])
        .fails(2, &["[sso-session nope]"]);
}

#[test]
fn logout_ends_the_session_and_deletes_what_it_stored() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    env.run(&["--profile", "admin"]).ok();
    // Another session's token file, which logout must leave alone.
    let other = env.write_cli_token("other-session", &json!({"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", "accessToken": "x", "expiresAt": utc_in(3600)}));
    let token = TestEnv::read_json(&env.token_path("corp"))["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env.run(&["logout", "--profile", "admin"]);
    out.ok();
    assert!(
        out.stdout.contains("sso-session \"corp\": signed out"),
        "{}",
        out.stdout
    );
    assert_eq!(env.standin.count(Op::Logout), 1);
    let logout = env
        .standin
        .requests()
        .into_iter()
        .find(|r| r.path == "/logout")
        .unwrap();
    assert_eq!(
        logout.header("x-amz-sso_bearer_token"),
        Some(token.as_str())
    );
    assert!(!env.token_path("corp").exists());
    assert!(other.exists(), "other sessions' files stay");
    let remaining: Vec<_> = std::fs::read_dir(env.aws("cli/cache")).unwrap().collect();
    assert!(remaining.is_empty(), "role credentials deleted");
    // Signed out: the next call must sign in again.
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &[]);
    // Again: nothing to do, still fine.
    let again = env.run(&["logout", "--sso-session", "corp"]);
    assert!(
        again.ok().stdout.contains("no token was stored"),
        "{}",
        again.stdout
    );
    assert_eq!(env.standin.count(Op::Logout), 1);
}

#[test]
fn logout_all_covers_every_session() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    env.run(&["--profile", "legacy"]).ok();
    let out = env.run(&["logout", "--all"]);
    out.ok();
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert_eq!(env.standin.count(Op::Logout), 2);
    assert!(!env.token_path("corp").exists() && !env.token_path(START_URL).exists());
}

#[test]
fn list_follows_pagination_and_prints_a_table_or_json() {
    let env = TestEnv::new();
    env.standard_config();
    let table = env.run(&["list", "--profile", "dev-sso"]);
    table.ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ACCOUNT ID") && lines[0].contains("ROLES"),
        "{}",
        table.stdout
    );
    assert_eq!(lines.len(), 4, "{}", table.stdout);
    assert!(
        lines[1].starts_with("111111111111  Development") && lines[1].ends_with("Admin, ReadOnly"),
        "{}",
        table.stdout
    );
    // Three accounts at two a page: the portal was asked for two pages of accounts.
    assert!(env.standin.count(Op::ListAccounts) >= 2);
    let j: Value = serde_json::from_str(
        &env.run(&["list", "--sso-session", "corp", "--json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        j["session"],
        json!({"name": "corp", "startUrl": START_URL, "region": "us-east-1"})
    );
    let accounts = j["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    assert_eq!(
        accounts[0],
        json!({"accountId": "111111111111", "accountName": "Development", "emailAddress": "dev@example.com", "roles": ["Admin", "ReadOnly"]})
    );
    assert_eq!(
        env.standin.count(Op::StartDeviceAuthorization),
        1,
        "one sign-in for both"
    );
}

#[test]
fn list_with_a_revoked_token_refreshes_once() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["list", "--profile", "dev-sso"]).ok();
    env.standin.revoke_access_tokens();
    env.run(&["list", "--profile", "dev-sso"]).ok();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
}

/// A big organisation: `n` generated accounts, pages of two items (so ListAccounts
/// has many pages and accounts with three roles two pages of roles), and some
/// latency on every portal answer.
fn big_organisation(n: usize, page_size: usize, latency_ms: u64) -> TestEnv {
    let env = TestEnv::with(StandInConfig {
        accounts: sso_standin::generated_accounts(n),
        page_size,
        latency_ms,
        ..Default::default()
    });
    env.standard_config();
    env
}

/// What `list --json` shows for `n` generated accounts: what asking one account
/// after another gave — every account, sorted by name then id, roles sorted.
fn listed(n: usize) -> Vec<Value> {
    let mut accounts = sso_standin::generated_accounts(n);
    accounts.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    accounts
        .into_iter()
        .map(|a| {
            let mut roles = a.roles.clone();
            roles.sort();
            json!({"accountId": a.id, "accountName": a.name, "emailAddress": a.email, "roles": roles})
        })
        .collect()
}

/// ListAccountRoles requests for `n` generated accounts at two roles a page: one
/// per account, two for those with three roles (every sixth).
fn role_pages(n: usize) -> usize {
    n + n.div_ceil(6)
}

#[track_caller]
fn assert_no_progress(stderr: &str) {
    assert!(
        !stderr.contains("listing") && !stderr.contains('\r') && !stderr.contains('\x1b'),
        "progress text on a stderr that is not a terminal:\n{stderr}"
    );
}

#[test]
fn list_of_a_big_organisation_is_complete_in_order_and_bounded() {
    let env = big_organisation(300, 2, 10);
    let run = env.run(&["list", "--sso-session", "corp", "--json"]);
    assert_eq!(run.json()["accounts"], Value::Array(listed(300)));
    assert_no_progress(&run.stderr);
    // Every page of every account's roles, each asked once; never more than 16
    // at a time, and more than one.
    assert_eq!(env.standin.count(Op::ListAccountRoles), role_pages(300));
    assert_eq!(env.standin.count(Op::ListAccounts), 150);
    let most = env.standin.max_in_flight(Op::ListAccountRoles);
    assert!((2..=16).contains(&most), "{most} ListAccountRoles at once");
    let table = env.run(&["list", "--sso-session", "corp"]);
    assert_no_progress(&table.ok().stderr);
    assert_eq!(table.stdout.lines().count(), 301);
    assert_eq!(
        table.stdout.lines().nth(1).unwrap(),
        "500000000001  Analytics 0001  account0001@example.com  ReadOnly"
    );
    // A token the portal rejects (401 to every request in flight) is refreshed
    // once, and the answer is the same.
    env.standin.revoke_access_tokens();
    let again = env.run(&["list", "--sso-session", "corp", "--json"]);
    assert_eq!(again.json()["accounts"], Value::Array(listed(300)));
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
    assert!(env.standin.max_in_flight(Op::ListAccountRoles) <= 16);
}

#[test]
fn throttling_slows_every_request_of_list_down_together() {
    let env = big_organisation(300, 2, 25);
    env.run(&["login", "--sso-session", "corp"]).ok();
    // Three 429s asking for a 1-second pause.
    env.standin.throttle_next(Op::ListAccountRoles, 3, 1);
    let run = env.run(&["-v", "list", "--sso-session", "corp", "--json"]);
    assert_eq!(run.json()["accounts"], Value::Array(listed(300)));
    assert_eq!(env.standin.count(Op::ListAccountRoles), role_pages(300) + 3);
    // During the pause only requests already under way when the 429 came arrive
    // (at most one per worker, and one each sent while the 429 was read);
    // workers that each went on by themselves would send some 300 in that second.
    let during = env.standin.arrived_while_throttled(Op::ListAccountRoles);
    assert!(
        during <= 2 * 16,
        "{during} requests arrived during the pause"
    );
    assert!(
        run.stderr
            .contains("ListAccountRoles throttled: every request waits 1000 ms"),
        "{}",
        run.stderr
    );
    // -v lines from the workers never run into each other.
    for line in run.stderr.lines() {
        assert!(line.starts_with("sso-helper: debug: "), "{line:?}");
        assert_eq!(line.matches("sso-helper:").count(), 1, "{line:?}");
    }
    assert_no_progress(&run.stderr);
}

#[test]
fn list_reports_the_first_failing_account_in_order() {
    let mut accounts = sso_standin::generated_accounts(200);
    accounts[5].roles.push("Bad!First".into());
    accounts[150].roles.push("Bad!Later".into());
    let env = TestEnv::with(StandInConfig {
        accounts,
        page_size: 100,
        ..Default::default()
    });
    env.standard_config();
    env.run(&["list", "--sso-session", "corp"])
        .fails(1, &["ListAccountRoles", "Bad!First"]);
    env.run(&["configure", "--sso-session", "corp"])
        .fails(1, &["ListAccountRoles", "Bad!First"]);
}

#[test]
fn list_shows_progress_on_a_terminal_and_clears_it() {
    let env = big_organisation(300, 100, 20);
    let plain = env.run(&["list", "--sso-session", "corp"]);
    // (TERM, -v, whether the line shows): a dumb terminal cannot erase a line.
    for (term, verbose, shows) in [
        ("xterm", false, true),
        ("xterm", true, false),
        ("dumb", false, false),
    ] {
        let stdout_file = env.home().join("list.out");
        let inner = format!(
            "TERM={term} '{BIN}' {}list --sso-session corp >'{}'",
            if verbose { "-v " } else { "" },
            stdout_file.display()
        );
        let out = env
            .command("script", &["-q", "-e", "-c", &inner, "/dev/null"])
            .output()
            .unwrap_or_else(|e| panic!("script: {e}; install util-linux's script"));
        let terminal = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{terminal}");
        env.assert_no_secret_in(&terminal, "the terminal");
        assert_eq!(std::fs::read_to_string(&stdout_file).unwrap(), plain.stdout);
        if shows {
            assert!(terminal.contains("listing roles: "), "{terminal:?}");
            assert!(terminal.contains("/300 accounts"), "{terminal:?}");
            // Cleared at the end: nothing printed after the last erase.
            let last = terminal.rfind("\x1b[2K").expect("the line is erased");
            assert!(
                terminal[last..]
                    .trim_start_matches("\x1b[2K")
                    .trim()
                    .is_empty(),
                "{terminal:?}"
            );
        } else {
            assert!(
                !terminal.contains("listing"),
                "{term} -v={verbose}: {terminal:?}"
            );
        }
        if verbose {
            // The request lines are the sign of life then.
            assert!(terminal.contains("ListAccountRoles GET"), "{terminal}");
        }
    }
}

#[test]
fn export_formats() {
    let env = TestEnv::new();
    env.standard_config();
    let out = env.run(&["export", "--profile", "dev-sso"]);
    out.ok();
    let key = issued_keys(&env.standin)[0].clone();
    assert!(
        out.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{key}'")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("export AWS_CREDENTIAL_EXPIRATION='20"),
        "{}",
        out.stdout
    );
    // The env lines work in a real shell.
    let sh = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{}\nprintf '%s %s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_ACCOUNT_ID\"",
            out.stdout
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sh.stdout),
        format!("{key} 111111111111")
    );
    let fish = env.run(&["export", "--profile", "dev-sso", "--format", "fish"]);
    assert!(
        fish.ok()
            .stdout
            .starts_with(&format!("set -gx AWS_ACCESS_KEY_ID '{key}';"))
    );
    let ps = env.run(&["export", "--profile", "dev-sso", "--format", "powershell"]);
    assert!(
        ps.ok()
            .stdout
            .starts_with(&format!("$Env:AWS_ACCESS_KEY_ID = '{key}'"))
    );
    assert!(ps.stdout.contains("$Env:AWS_ACCOUNT_ID = '111111111111'"));
    assert!(
        fish.stdout
            .contains("set -gx AWS_ACCOUNT_ID '111111111111';")
    );
    let j = env
        .run(&["export", "--profile", "dev-sso", "--format", "json"])
        .json();
    assert_eq!(j["AccessKeyId"], json!(key));
    assert_eq!(
        env.standin.count(Op::GetRoleCredentials),
        1,
        "all from the cache"
    );
}

/// A section name outside ASCII is refused before any sign-in, with a command
/// that writes under an ASCII one (botocore reads the credentials file in the
/// system's code page on Windows); the user's own non-ASCII lines are kept byte
/// for byte and what export adds is ASCII.
#[test]
fn export_writes_only_ascii_into_the_credentials_file() {
    let env = TestEnv::new();
    env.standard_config();
    let path = env.aws("credentials");
    let original = "# Schlüssel — bitte nicht löschen\n[mine]\naws_access_key_id = AKIAMINE\n";
    std::fs::write(&path, original).unwrap();
    let refused = env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "Café—Prod",
    ]);
    refused.fails(2, &["[Café—Prod]", "ASCII", "--to Cafe-Prod"]);
    assert!(
        env.standin.requests().is_empty(),
        "refused before any sign-in"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "Cafe-Prod",
    ])
    .ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(original), "{text}");
    assert!(text[original.len()..].is_ascii(), "{text}");
    assert!(
        text.contains("[Cafe-Prod]\n# written by sso-helper export"),
        "{text}"
    );
}

#[test]
fn export_to_the_shared_credentials_file_keeps_everything_else() {
    let mut env = TestEnv::new();
    env.standard_config();
    let path = env.aws("credentials");
    let original = "# my keys\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = keep-me\n\n[mine]\naws_access_key_id = OLD\n  [continued value, not a section]\n\n[zeta]\nregion = x\n";
    std::fs::write(&path, original).unwrap();
    // A section the user wrote is never replaced; the hint names a free one.
    let refused = env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "mine",
    ]);
    refused.fails(2, &["[mine]", "did not write", "--to mine-static"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    assert!(
        env.standin.requests().is_empty(),
        "refused before any sign-in"
    );
    let out = env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "mine-static",
    ]);
    out.ok();
    assert!(
        out.stdout.contains("wrote profile [mine-static]") && out.stdout.contains("backup: "),
        "{}",
        out.stdout
    );
    let key = issued_keys(&env.standin)[0].clone();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(original), "every line kept:\n{text}");
    assert!(
        text.contains("[mine-static]\n# written by sso-helper export; expires")
            && text.contains(&format!("aws_access_key_id = {key}"))
            && text.contains("aws_account_id = 111111111111"),
        "{text}"
    );
    assert!(
        text.is_ascii(),
        "botocore reads it in the system's code page on Windows"
    );
    // A second run replaces its own section and keeps one backup, of the file as
    // it was just before.
    std::fs::remove_dir_all(env.aws("cli/cache")).unwrap();
    env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "mine-static",
    ])
    .ok();
    let key2 = issued_keys(&env.standin)[1].clone();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains(&key2) && !after.contains(&key), "{after}");
    assert_eq!(after.matches("[mine-static]").count(), 1);
    let backups: Vec<_> = std::fs::read_dir(env.aws(""))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("credentials."))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&path, &backups[0].path()] {
            assert_eq!(
                std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    // --to and $AWS_SHARED_CREDENTIALS_FILE.
    let elsewhere = env.home().join("creds.ini");
    env.set(
        "AWS_SHARED_CREDENTIALS_FILE",
        &elsewhere.display().to_string(),
    );
    env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "static-dev",
    ])
    .ok();
    assert!(
        std::fs::read_to_string(&elsewhere)
            .unwrap()
            .starts_with("[static-dev]\n")
    );
}

/// Static keys in the credentials file win over the config's SSO settings and
/// credential_process in the Go SDK and Terraform: export never writes them under
/// the name of a profile that gets credentials either way, and says where to.
#[test]
fn export_never_shadows_sso_or_credential_process() {
    let env = TestEnv::new();
    env.standard_config();
    for (profile, to, source) in [
        ("dev-sso", None, "IAM Identity Center"),
        ("dev", None, "credential_process"),
        ("admin", None, "credential_process"),
        ("dev-sso", Some("legacy"), "IAM Identity Center"),
        ("dev-sso", Some("dev"), "credential_process"),
    ] {
        let mut args = vec!["export", "--profile", profile, "--format", "credentials"];
        if let Some(t) = to {
            args.extend(["--to", t]);
        }
        let run = env.run(&args);
        run.fails(2, &[source, "sso-helper export --profile"]);
        assert!(
            env.standin.requests().is_empty(),
            "refused before any request"
        );
        assert!(!env.aws("credentials").exists());
    }
    // The command it suggests works as printed.
    let run = env.run(&["export", "--profile", "dev-sso", "--format", "credentials"]);
    let hint = run.stderr.split('`').nth(1).unwrap().to_string();
    assert_eq!(
        hint,
        "sso-helper export --profile dev-sso --format credentials --to dev-sso-static"
    );
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let mut cmd = env.command("sh", &["-c", &hint]);
    cmd.env(
        "PATH",
        format!(
            "{}:{}:/usr/bin:/bin",
            bin_dir.display(),
            TestEnv::browser_dir().display()
        ),
    );
    env.finish(cmd.output().unwrap()).ok();
    let text = std::fs::read_to_string(env.aws("credentials")).unwrap();
    assert!(text.starts_with("[dev-sso-static]\n"), "{text}");
    // Names the file cannot hold as a profile.
    for bad in ["DEFAULT", " spaced", "a]b", "profile dev"] {
        env.run(&[
            "export",
            "--profile",
            "dev-sso",
            "--format",
            "credentials",
            "--to",
            bad,
        ])
        .fails(2, &["not a profile name"]);
    }
}

#[test]
fn status_shows_tokens_and_roles_without_secrets() {
    let env = TestEnv::new();
    env.standard_config();
    let before = env.run(&["status"]);
    assert!(
        before.ok().stdout.contains("token: none"),
        "{}",
        before.stdout
    );
    env.run(&["--profile", "dev-sso"]).ok();
    let out = env.run(&["status"]);
    out.ok();
    env.assert_no_secret_in(&out.stdout, "status");
    assert!(
        out.stdout.starts_with("token store: file"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("sso-session \"corp\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("token: valid, until"), "{}", out.stdout);
    assert!(out.stdout.contains("refreshable"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("role ReadOnly in 111111111111 (profile dev-sso): cached until"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("role Admin in 111111111111 (profile admin): not cached"),
        "{}",
        out.stdout
    );
    let j: Value = serde_json::from_str(&env.run(&["status", "--json"]).ok().stdout).unwrap();
    assert_eq!(j["store"], json!("file"));
    let corp = j["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == json!("corp"))
        .unwrap();
    assert_eq!(corp["token"]["state"], json!("valid"));
    assert_eq!(corp["token"]["refreshable"], json!(true));
    assert_eq!(corp["token"]["store"], json!("file"));
    assert!(corp["token"]["secondsLeft"].as_i64().unwrap() > 3600);
    let ro = corp["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == json!("dev-sso"))
        .unwrap();
    assert_eq!(ro["cached"], json!(true));
    assert_eq!(ro["fresh"], json!(true));
    assert_eq!(
        env.standin.count(Op::GetRoleCredentials),
        1,
        "status makes no request"
    );
}

#[test]
fn every_command_with_verbose_keeps_secrets_off_stderr() {
    let env = TestEnv::new();
    env.standard_config();
    let runs: Vec<Vec<&str>> = vec![
        vec!["-v", "login", "--profile", "dev-sso"],
        vec!["-v", "--profile", "dev-sso"],
        vec!["-v", "list", "--profile", "dev-sso"],
        vec!["-v", "export", "--profile", "admin"],
        vec!["-v", "status"],
        vec!["-v", "configure", "--sso-session", "corp"],
        vec!["-v", "doctor", "--profile", "dev-sso"],
        vec!["-v", "logout", "--profile", "dev-sso"],
    ];
    for args in runs {
        let run = env.run(&args); // checks stderr for every secret issued so far
        assert!(run.code == 0, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("sso-helper: debug:") || args.contains(&"status"),
            "{args:?} logs: {}",
            run.stderr
        );
    }
    // Logged requests name the operation, method, path, status and time.
    env.run(&["login", "--profile", "dev-sso"]).ok();
    let run = env.run(&["-v", "list", "--profile", "dev-sso", "--no-login"]);
    let line = run
        .ok()
        .stderr
        .lines()
        .find(|l| {
            l.contains("ListAccounts GET http://127.0.0.1:") && l.contains("/assignment/accounts")
        })
        .unwrap_or_default()
        .to_string();
    assert!(
        line.contains("-> 200 (") && line.ends_with(" ms)"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_point_at_help() {
    let env = TestEnv::new();
    // The hint is the help of the command the error is about.
    for (args, needle, help) in [
        (
            &["frobnicate"][..],
            "unknown command `frobnicate`",
            "sso-helper --help",
        ),
        (&["--bogus"], "unknown option --bogus", "sso-helper --help"),
        (
            &["status", "--profile", "x"],
            "does not take --profile",
            "sso-helper status --help",
        ),
        (
            &["list", "--profile", "a", "--sso-session", "b"],
            "not both",
            "sso-helper list --help",
        ),
        (
            &["export", "--format"],
            "--format",
            "sso-helper export --help",
        ),
        (
            &["logout", "--all", "--sso-session", "x"],
            "--all",
            "sso-helper logout --help",
        ),
    ] {
        let run = env.run(args);
        run.fails(2, &[needle, help]);
        assert_eq!(run.stderr.lines().count(), 1);
    }
    for cmd in sso_helper::cli::Command::public().map(|c| c.name()) {
        let help = env.run(&[cmd, "--help"]);
        assert!(
            help.ok().stdout.contains(&format!("sso-helper {cmd}")),
            "{cmd}"
        );
    }
}

#[test]
fn a_layout_a_profile_works_by_hand_too() {
    let env = TestEnv::new();
    env.standard_config();
    // [profile dev] only runs `sso-helper --profile dev-sso`: every command follows it.
    let out = env.run(&["login", "--profile", "dev"]);
    assert!(
        out.ok()
            .stdout
            .contains("signed in to sso-session \"corp\""),
        "{}",
        out.stdout
    );
    let creds = env.run(&["--profile", "dev"]).json();
    assert_eq!(creds, env.run(&["--profile", "dev-sso"]).json());
    let exported = env
        .run(&["export", "--profile", "dev", "--format", "json"])
        .json();
    assert_eq!(exported["AccessKeyId"], creds["AccessKeyId"]);
    env.run(&["list", "--profile", "dev"]).ok();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 1);
}

#[test]
fn status_says_when_a_token_is_inside_the_refresh_margin() {
    let env = TestEnv::new();
    env.standard_config();
    env.write_cli_token("corp", &json!({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": "a", "expiresAt": utc_in(240),
    }));
    let out = env.run(&["status"]);
    assert!(
        out.ok().stdout.contains("inside the 5-minute margin"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("not refreshable"), "{}", out.stdout);
}

/// With no --profile and a profile without SSO settings (or none at all), the
/// session commands use the config's only [sso-session]; with several, the error
/// lists them.
#[test]
fn session_commands_use_the_only_sso_session() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[default]\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
    ));
    let login = env.run(&["login"]).ok().stdout.clone();
    assert!(login.contains("sso-session \"corp\""), "{login}");
    let list = env.run(&["list"]).ok().stdout.clone();
    assert!(list.contains("111111111111"), "{list}");
    let configure = env.run(&["configure"]).ok().stdout.clone();
    assert!(
        configure.contains("sso_helper_session = corp"),
        "{configure}"
    );
    let doctor = env.run(&["doctor"]);
    assert!(
        doctor.stdout.contains("only sso-session, \"corp\""),
        "{}",
        doctor.stdout
    );
    env.run(&["logout"]).ok();
    // --profile given: no guessing.
    env.run(&["login", "--profile", "default"])
        .fails(2, &["[default] has no IAM Identity Center settings"]);

    // Several: the error lists them.
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         [sso-session other]\nsso_start_url = https://d-2.awsapps.com/start\nsso_region = eu-west-1\n"
    ));
    env.run(&["login"]).fails(
        2,
        &[
            "there is no [default] profile",
            "2 sso-sessions",
            "--sso-session (corp, other)",
        ],
    );
    env.run(&["configure"])
        .fails(2, &["needs --sso-session NAME", "(corp, other)"]);
    // An unknown session lists the known ones and suggests the closest.
    env.run(&["login", "--sso-session", "Corp"]).fails(
        2,
        &[
            "no [sso-session Corp]",
            "did you mean \"corp\"",
            "corp, other",
        ],
    );
}

/// AWS_DEFAULT_PROFILE comes before AWS_PROFILE, as in botocore.
#[test]
fn aws_default_profile_comes_first() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_PROFILE", "legacy")
        .set("AWS_DEFAULT_PROFILE", "dev-sso");
    let creds = env.run(&[]).json();
    assert_eq!(creds["AccountId"], "111111111111");
    assert_eq!(env.standin.issued_credentials()[0].role_name, "ReadOnly");
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_PROFILE", "legacy");
    assert_eq!(env.run(&[]).json()["AccountId"], "222222222222");
}

/// After logout nothing sso-helper cached for the session is served: also the
/// credentials of a role the config no longer names.
#[test]
fn logout_leaves_nothing_usable_even_for_roles_gone_from_the_config() {
    let env = TestEnv::new();
    logout_forgets_removed_roles(&env);
}

/// The same on the keychain store.
#[test]
fn logout_leaves_nothing_usable_in_the_keychain() {
    let service = SecretService::start();
    let mut env = TestEnv::new();
    env.set("SSO_HELPER_TOKEN_STORE", "keychain")
        .set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    logout_forgets_removed_roles(&env);
}

fn logout_forgets_removed_roles(env: &TestEnv) {
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    env.run(&["--profile", "admin"]).ok();
    // [profile admin] goes away; then the session is logged out.
    let config = std::fs::read_to_string(env.aws("config")).unwrap();
    let without_admin: String = {
        let start = config.find("[profile admin]").unwrap();
        let end = config[start..]
            .find("\n\n")
            .map_or(config.len(), |e| start + e + 2);
        format!("{}{}", &config[..start], &config[end..])
    };
    env.write_config(&without_admin);
    env.run(&["logout", "--sso-session", "corp"]).ok();
    // It comes back: nothing cached is served, a sign-in is needed.
    env.write_config(&config);
    env.run(&["--profile", "admin", "--no-login"]).fails(3, &[]);
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &[]);
    assert!(
        !env.aws("sso-helper/roles").exists()
            || files_under(&env.aws("sso-helper/roles")).is_empty()
    );
}
