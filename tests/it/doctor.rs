//! `sso-helper doctor`: one line per check against the real binary, the stand-in
//! and (for the keychain) a private Secret Service.

use crate::support::*;

const CHECKS: [&str; 13] = [
    "config",
    "profile",
    "profiles",
    "sdk-compat",
    "ca-bundle",
    "shadowed",
    "refresh",
    "process",
    "keychain",
    "oidc",
    "portal",
    "clock",
    "token",
];

/// The report's lines as (status, check, rest).
fn lines(stdout: &str) -> Vec<(&str, &str, &str)> {
    stdout
        .lines()
        .map(|l| {
            let (status, rest) = l.split_once(' ').unwrap_or((l, ""));
            let (name, rest) = rest.trim_start().split_once(' ').unwrap_or((rest, ""));
            (status, name, rest.trim_start())
        })
        .collect()
}

/// The lines of one check, whole.
#[track_caller]
fn check<'a>(stdout: &'a str, name: &str) -> Vec<&'a str> {
    let found: Vec<&str> = stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(name))
        .collect();
    assert!(!found.is_empty(), "no `{name}` line in:\n{stdout}");
    found
}

/// The first line of check `name` starts with `status`.
#[track_caller]
fn assert_status(run: &Run, name: &str, status: &str) {
    let line = check(&run.stdout, name)[0];
    assert!(
        line.starts_with(status),
        "{name}: expected {status}:\n{}",
        run.stdout
    );
}

#[track_caller]
fn doctor(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let run = env.run(&all);
    env.assert_no_secret_in(&run.stdout, "doctor's report");
    for (status, name, _) in lines(&run.stdout) {
        assert!(
            ["ok", "warn", "fail", "skip"].contains(&status),
            "line status {status:?}:\n{}",
            run.stdout
        );
        assert!(
            CHECKS.contains(&name),
            "unknown check {name:?}:\n{}",
            run.stdout
        );
    }
    match run.code {
        0 => assert!(
            !run.stdout.lines().any(|l| l.starts_with("fail")),
            "{}",
            run.stdout
        ),
        1 => {
            assert!(
                run.stdout.lines().any(|l| l.starts_with("fail")),
                "{}",
                run.stdout
            );
            assert!(run.stderr.contains("some checks failed"), "{}", run.stderr);
        }
        other => panic!("doctor exited {other}: {}\n{}", run.stdout, run.stderr),
    }
    run
}

#[test]
fn healthy_setup_after_a_sign_in() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).json();
    let before = env.standin.requests().len();
    let run = doctor(&env, &["--profile", "dev"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for (status, _, _) in lines(&run.stdout) {
        assert!(status == "ok" || status == "warn", "{}", run.stdout);
    }
    for name in CHECKS {
        check(&run.stdout, name);
    }
    let config = env.aws("config").display().to_string();
    assert!(
        check(&run.stdout, "config")[0]
            .contains(&format!("{config} parses (4 profiles, 1 sso-session)")),
        "{}",
        run.stdout
    );
    let profile = check(&run.stdout, "profile")[0];
    assert!(
        profile.contains("[profile dev] runs sso-helper --profile dev-sso")
            && profile.contains("account 111111111111, role ReadOnly"),
        "{profile}"
    );
    assert!(
        check(&run.stdout, "process")[0].contains("run by [profile dev], [profile admin]"),
        "{}",
        run.stdout
    );
    assert!(
        check(&run.stdout, "keychain")[0].contains("file store selected"),
        "{}",
        run.stdout
    );
    let host = env.standin.url();
    assert!(
        check(&run.stdout, "oidc")[0].contains(&format!("{host} answers (HTTP 400")),
        "{}",
        run.stdout
    );
    assert!(
        check(&run.stdout, "portal")[0].contains(&format!("{host} answers (HTTP 401")),
        "{}",
        run.stdout
    );
    assert_status(&run, "clock", "ok");
    let token = check(&run.stdout, "token")[0];
    assert!(
        token.starts_with("ok")
            && token.contains("sso-session \"corp\": valid until 20")
            && token.contains("(file store)"),
        "{token}"
    );
    // Two unauthenticated requests, no sign-in, no browser.
    let requests = env.standin.requests();
    assert_eq!(requests.len(), before + 2, "{:?}", &requests[before..]);
    assert!(
        requests[before..]
            .iter()
            .all(|r| r.header("x-amz-sso_bearer_token").is_none())
    );
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.browser_opens().len(), 1);
}

#[test]
fn the_profile_comes_from_aws_profile_or_default() {
    let mut env = TestEnv::new();
    env.standard_config();
    // No [default]: the file's only sso-session is checked, with a warning.
    let run = doctor(&env, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let profile = check(&run.stdout, "profile")[0];
    assert!(
        profile.starts_with("warn")
            && profile.contains(
                "[default] does not exist; checking the file's only sso-session, \"corp\""
            ),
        "{}",
        run.stdout
    );
    assert!(
        check(&run.stdout, "token")[0].contains("`sso-helper login --sso-session corp`"),
        "{}",
        run.stdout
    );
    // Named with --profile: no guessing.
    let run = doctor(&env, &["--profile", "default"]);
    assert_eq!(run.code, 1);
    assert!(
        check(&run.stdout, "profile")[0].contains("profile \"default\" not found"),
        "{}",
        run.stdout
    );
    env.set("AWS_PROFILE", "admin");
    let run = doctor(&env, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        check(&run.stdout, "profile")[0].contains("role Admin (from AWS_PROFILE)"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_token_is_a_warning_with_the_login_hint() {
    let env = TestEnv::new();
    env.standard_config();
    let run = doctor(&env, &["--profile", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let token = check(&run.stdout, "token")[0];
    assert!(
        token.starts_with("warn")
            && token.contains("no token stored")
            && token.contains("→ fix: run `sso-helper login --profile dev-sso`"),
        "{token}"
    );
    assert!(env.browser_opens().is_empty());
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
    assert_eq!(env.standin.count(Op::RegisterClient), 0);
}

#[test]
fn sdk_precedence_conflict_is_a_warning_naming_profile_and_keys() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\n\
         [profile mixed]\ncredential_process = {BIN} --profile mixed\nsso_session = corp\n\
         sso_account_id = 111111111111\nsso_role_name = ReadOnly\n"
    ));
    let run = doctor(&env, &["--profile", "mixed"]);
    assert_eq!(run.code, 0, "only warnings: {}", run.stdout);
    let line = check(&run.stdout, "sdk-compat")[0];
    assert!(
        line.starts_with("warn")
            && line.contains("[profile mixed] has credential_process and sso_session, sso_account_id, sso_role_name")
            && line.contains("never run its credential_process")
            && line.contains("sso_helper_session, sso_helper_account_id, sso_helper_role_name (layout B)")
            && line.contains("(layout A)"),
        "{line}"
    );
    // sso-helper itself reads the profile fine.
    assert_status(&run, "profile", "ok");
}

#[test]
fn credential_process_pointing_at_a_missing_program_fails() {
    let env = TestEnv::new();
    env.standard_config();
    let mut text = std::fs::read_to_string(env.aws("config")).unwrap();
    text.push_str("\n[profile broken]\ncredential_process = /nonexistent/bin/sso-helper --profile dev-sso\n\n[profile lost]\ncredential_process = no-such-sso-helper --profile dev-sso\n");
    env.write_config(&text);
    let run = doctor(&env, &["--profile", "dev-sso"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let process = check(&run.stdout, "process");
    let broken = process
        .iter()
        .find(|l| l.contains("[profile broken]"))
        .expect("a line for broken");
    assert!(
        broken.starts_with("fail")
            && broken.contains("/nonexistent/bin/sso-helper, which does not exist")
            && broken.contains("→ fix: install sso-helper"),
        "{broken}"
    );
    let lost = process
        .iter()
        .find(|l| l.contains("[profile lost]"))
        .expect("a line for lost");
    assert!(
        lost.starts_with("fail") && lost.contains("no-such-sso-helper, which is not on PATH"),
        "{lost}"
    );
    // The other checks still ran.
    assert_status(&run, "token", "warn");
    assert_status(&run, "portal", "ok");
}

#[test]
fn unknown_profile_fails_and_the_rest_still_runs() {
    let env = TestEnv::new();
    env.standard_config();
    let run = doctor(&env, &["--profile", "nope"]);
    assert_eq!(
        run.code, 1,
        "doctor reports, it does not abort: {}",
        run.stderr
    );
    let profile = check(&run.stdout, "profile")[0];
    assert!(
        profile.starts_with("fail")
            && profile.contains("profile \"nope\" not found")
            && profile.contains("→ fix: add a [profile nope] section"),
        "{profile}"
    );
    for name in ["oidc", "portal", "clock", "token"] {
        assert!(
            check(&run.stdout, name)[0].starts_with("skip"),
            "{}",
            run.stdout
        );
    }
    for name in ["config", "sdk-compat", "process", "keychain"] {
        assert!(
            check(&run.stdout, name)[0].starts_with("ok"),
            "{}",
            run.stdout
        );
    }
    assert!(env.standin.requests().is_empty());
}

#[test]
fn a_config_file_that_does_not_parse_fails() {
    let env = TestEnv::new();
    env.write_config("[profile dev]\nthis is not a setting\n");
    let run = doctor(&env, &["--profile", "dev"]);
    assert_eq!(run.code, 1);
    let config = check(&run.stdout, "config")[0];
    assert!(
        config.starts_with("fail") && config.contains("line 2") && config.contains("→ fix:"),
        "{config}"
    );
    assert_status(&run, "profile", "skip");
    assert_status(&run, "keychain", "ok");
}

#[test]
fn an_unreachable_endpoint_fails_naming_the_host() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:1");
    let run = doctor(&env, &["--profile", "admin"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let portal = check(&run.stdout, "portal")[0];
    assert!(
        portal.starts_with("fail")
            && portal.contains("http://127.0.0.1:1 cannot be reached")
            && portal.contains("ListAccounts could not reach 127.0.0.1")
            && portal.contains("→ fix: check the network"),
        "{portal}"
    );
    // OIDC still answers, and its Date header serves the clock check.
    assert_status(&run, "oidc", "ok");
    assert_status(&run, "clock", "ok");
    check(&run.stdout, "token");
}

#[test]
fn keychain_store_without_a_keychain_fails() {
    let env = TestEnv::new();
    env.standard_config();
    let run = doctor(&env, &["--profile", "dev", "--token-store", "keychain"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let keychain = check(&run.stdout, "keychain")[0];
    // The flag chose the keychain, and beats the variable: the fix is the flag.
    assert!(
        keychain.starts_with("fail")
            && keychain.contains("the keychain store is selected (--token-store keychain)")
            && keychain.contains("pass --token-store file instead")
            && !keychain.contains("SSO_HELPER_TOKEN_STORE"),
        "{keychain}"
    );
    assert_status(&run, "token", "skip");
    // Chosen by the variable, setting the variable works.
    let mut by_variable = TestEnv::new();
    by_variable.standard_config();
    by_variable.set("SSO_HELPER_TOKEN_STORE", "keychain");
    let run = doctor(&by_variable, &["--profile", "dev"]);
    let keychain = check(&run.stdout, "keychain")[0];
    assert!(
        keychain.starts_with("fail") && keychain.contains("export SSO_HELPER_TOKEN_STORE=file"),
        "{keychain}"
    );
    // auto falls back: a warning, not a failure; silenced by the flag, which
    // chose auto.
    let run = doctor(&env, &["--profile", "dev", "--token-store", "auto"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let keychain = check(&run.stdout, "keychain")[0];
    assert!(
        keychain.starts_with("warn")
            && keychain.contains("no keychain")
            && keychain.contains("pass --token-store file instead")
            && !keychain.contains("SSO_HELPER_TOKEN_STORE"),
        "{keychain}"
    );
    assert!(
        check(&run.stdout, "token")[0].contains("(file store)"),
        "{}",
        run.stdout
    );
}

#[test]
fn keychain_that_answers_is_ok_and_the_cli_token_is_mentioned() {
    let service = SecretService::start();
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    let run = doctor(&env, &["--profile", "admin", "--token-store", "keychain"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let keychain = check(&run.stdout, "keychain")[0];
    assert!(
        keychain.starts_with("ok") && keychain.contains("the OS keychain answers"),
        "{keychain}"
    );
    let token = check(&run.stdout, "token")[0];
    assert!(
        token.starts_with("warn")
            && token
                .contains("→ fix: run `sso-helper login --profile admin --token-store keychain`"),
        "{token}"
    );
    // Signed in to the keychain; `aws sso login` also left a token in its cache.
    env.run(&["login", "--profile", "admin", "--token-store", "keychain"])
        .ok();
    let cli_token = env.standin.seed_token();
    env.write_cli_token(
        "corp",
        &serde_json::json!({
            "startUrl": START_URL, "region": "us-east-1", "accessToken": cli_token, "expiresAt": utc_in(3600),
        }),
    );
    let run = doctor(&env, &["--profile", "admin", "--token-store", "keychain"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let token = check(&run.stdout, "token")[0];
    assert!(
        token.starts_with("ok")
            && token.contains("(keychain store)")
            && token.contains("the AWS CLI's cache also holds a token for it"),
        "{token}"
    );
    assert!(!run.stdout.contains(&cli_token));
}

/// doctor names what makes the SDKs skip credential_process silently: static keys
/// under the same name in the shared credentials file, and a session whose
/// tokens cannot be refreshed.
#[test]
fn what_silently_replaces_credential_process_is_named() {
    let env = TestEnv::new();
    env.standard_config();
    std::fs::write(
        env.aws("credentials"),
        "[dev]\naws_access_key_id = AKIASTALE\naws_secret_access_key = stale\n",
    )
    .unwrap();
    let run = doctor(&env, &["--profile", "dev"]);
    assert_eq!(run.code, 0, "warnings only:\n{}", run.stdout);
    let shadowed = check(&run.stdout, "shadowed");
    assert!(
        shadowed[0].starts_with("warn")
            && shadowed[0].contains(
                "[profile dev] runs sso-helper, but it has [dev] in the shared credentials file"
            ),
        "{}",
        run.stdout
    );
    let refresh = check(&run.stdout, "refresh")[0];
    assert!(refresh.starts_with("ok"), "{refresh}");
    // A device-code session without scopes cannot refresh.
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_helper_login_flow = device\n\
         [profile p]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n"
    ));
    let run = doctor(&env, &["--profile", "p"]);
    let refresh = check(&run.stdout, "refresh")[0];
    assert!(
        refresh.starts_with("warn")
            && refresh
                .contains("add sso_registration_scopes = sso:account:access to [sso-session corp]"),
        "{refresh}"
    );
}

/// With several sessions and no profile to follow, doctor lists them; with
/// --sso-session it checks that one.
#[test]
fn doctor_names_the_sessions_to_choose_from() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
         [sso-session other]\nsso_start_url = https://d-2.awsapps.com/start\nsso_region = eu-west-1\n"
    ));
    let run = doctor(&env, &[]);
    assert_eq!(run.code, 1);
    assert!(
        check(&run.stdout, "profile")[0].contains("2 sso-sessions to choose from"),
        "{}",
        run.stdout
    );
    let run = doctor(&env, &["--sso-session", "corp"]);
    assert!(
        check(&run.stdout, "profile")[0].starts_with("ok")
            && run.stdout.contains("checking [sso-session corp]"),
        "{}",
        run.stdout
    );
    assert!(
        check(&run.stdout, "token")[0].contains("sso-helper login --sso-session corp"),
        "{}",
        run.stdout
    );
}

/// doctor's `shadowed` check against botocore's own provider chain
/// (`tests/compat/which_provider.py`): for every mix of the settings that come
/// before `credential_process` in botocore (role_arn, source_profile,
/// credential_source, web_identity_token_file, login_session, static keys in the
/// profile, a section in the shared credentials file), doctor names a reason
/// exactly when botocore does not run the profile's credential_process.
#[test]
fn shadowed_agrees_with_botocores_provider_chain() {
    use sso_helper::config::ConfigFile;
    use sso_helper::doctor::{Status, shadow_check};
    const PARTS: [&str; 7] = [
        "role_arn = arn:aws:iam::111111111111:role/other\n",
        "source_profile = base\n",
        "credential_source = Environment\n",
        "web_identity_token_file = /nonexistent/token\n",
        "login_session = arn:aws:iam::111111111111:user/me\n",
        "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        "", // a [pN] section in the shared credentials file
    ];
    let dir = tempfile::tempdir().unwrap();
    // What botocore runs as credential_process: a stand-in for sso-helper.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("sso-helper");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut config =
        String::from("[profile base]\ncredential_process = sso-helper --profile base\n");
    let mut credentials = String::new();
    let mut names = Vec::new();
    for mask in 0..(1u32 << PARTS.len()) {
        let name = format!("p{mask}");
        config.push_str(&format!(
            "[profile {name}]\ncredential_process = sso-helper --profile target\n"
        ));
        for (i, part) in PARTS.iter().enumerate() {
            if mask & (1 << i) != 0 {
                config.push_str(part);
            }
        }
        if mask & (1 << 6) != 0 {
            credentials.push_str(&format!(
                "[{name}]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
            ));
        }
        names.push(name);
    }
    let config_path = dir.path().join("config");
    let credentials_path = dir.path().join("credentials");
    std::fs::write(&config_path, &config).unwrap();
    std::fs::write(&credentials_path, &credentials).unwrap();

    let out = std::process::Command::new(python())
        .arg(compat_script("which_provider.py"))
        .args(&names)
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_CONFIG_FILE", &config_path)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials_path)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), names.len());

    let file = ConfigFile::parse(&config_path, &config).unwrap();
    let in_credentials: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(mask, _)| mask & (1 << 6) != 0)
        .map(|(_, n)| n.clone())
        .collect();
    let checks = shadow_check(&file, Some(&in_credentials));
    let mut disagreements = Vec::new();
    for (name, answer) in names.iter().zip(&answers) {
        let who = format!("[profile {name}] ");
        let named: Vec<_> = checks
            .iter()
            .filter(|c| c.message.starts_with(&who) && c.status != Status::Ok)
            // The JS SDK's own precedence: botocore still runs the process.
            .filter(|c| !c.message.contains("the JS SDK v3 uses those static keys"))
            .collect();
        let runs_process = answer["method"] == "custom-process";
        if runs_process != named.is_empty() {
            disagreements.push(format!(
                "{name}: botocore {answer}, doctor {:?}",
                named.iter().map(|c| &c.message).collect::<Vec<_>>()
            ));
        }
        // A profile botocore refuses for its settings alone is a failure, not a
        // warning (a missing credential source or botocore[crt] is this
        // machine's, not the profile's).
        let refused = ["InvalidConfigError", "PartialCredentialsError"]
            .iter()
            .any(|e| answer["error"] == *e);
        let failed = named.iter().any(|c| c.status == Status::Fail);
        if refused != failed {
            disagreements.push(format!("{name}: botocore {answer}, doctor {named:?}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}\n{config}");
}
