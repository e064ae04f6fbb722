//! The credentials command end to end (SPEC §3): login, cache, refresh, import,
//! the 401 rule, --no-login, and what lands on disk.

use serde_json::json;

use crate::support::*;

#[test]
fn cold_call_logs_in_then_warm_call_touches_no_network() {
    let env = TestEnv::new();
    env.standard_config();
    let first = env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(first["Version"], json!(1));
    let issued = env.standin.issued_credentials();
    assert_eq!(issued.len(), 1);
    assert_eq!(first["AccessKeyId"], json!(issued[0].access_key_id));
    assert_eq!(first["SecretAccessKey"], json!(issued[0].secret_access_key));
    assert_eq!(first["SessionToken"], json!(issued[0].session_token));
    let exp = first["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");
    assert_eq!(first["AccountId"], json!("111111111111"));
    assert_eq!(first.as_object().unwrap().len(), 6);
    // One device login: registration, authorization, browser, token.
    assert_eq!(env.standin.count(Op::RegisterClient), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.browser_opens().len(), 1);
    assert!(env.browser_opens()[0].starts_with(&env.standin.url()));

    let requests = env.standin.requests().len();
    let second = env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(second, first);
    assert_eq!(
        env.standin.requests().len(),
        requests,
        "a warm call makes no request"
    );
}

#[test]
fn self_contained_profile_and_token_shared_across_roles() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    // Same session, other role: the stored token serves, no second login.
    let admin = env.run(&["--profile", "admin"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
    let last = env.standin.issued_credentials().pop().unwrap();
    assert_eq!(
        (last.account_id.as_str(), last.role_name.as_str()),
        ("111111111111", "Admin")
    );
    assert_eq!(admin["AccessKeyId"], json!(last.access_key_id));
}

#[test]
fn aws_profile_and_default_are_used() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_PROFILE", "admin");
    env.run(&[]).ok();
    let last = env.standin.issued_credentials().pop().unwrap();
    assert_eq!(last.role_name, "Admin");
}

#[test]
fn files_are_in_the_aws_cli_formats_and_private() {
    let env = TestEnv::new();
    env.standard_config();
    let out = env.run(&["--profile", "dev-sso"]).json();
    let token_path = env.token_path("corp");
    let token = TestEnv::read_json(&token_path);
    for key in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(token.get(key).is_some(), "token file lacks {key}: {token}");
    }
    assert_eq!(token["startUrl"], json!(START_URL));
    assert_eq!(token["region"], json!("us-east-1"));
    let expires = token["expiresAt"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");
    // The role credentials: aws-cli v2's cache file, named as it names it.
    let role_path = env.aws(&format!(
        "cli/cache/{}.json",
        sha1_hex(r#"{"accountId":"111111111111","roleName":"ReadOnly","sessionName":"corp"}"#)
    ));
    let role = TestEnv::read_json(&role_path);
    assert_eq!(role["ProviderType"], json!("sso"));
    assert_eq!(role["Credentials"]["AccessKeyId"], out["AccessKeyId"]);
    assert_eq!(role["Credentials"]["Expiration"], out["Expiration"]);
    assert_eq!(role["Credentials"]["AccountId"], json!("111111111111"));
    // The registration: aws-cli v2's cache file for this session and its scopes.
    let reg_key = format!(
        r#"{{"region": "us-east-1", "scopes": ["sso:account:access"], "session_name": "corp", "startUrl": "{START_URL}", "tool": "botocore"}}"#
    );
    let reg = TestEnv::read_json(&env.aws(&format!("sso/cache/{}.json", sha1_hex(&reg_key))));
    assert_eq!(reg["clientId"], token["clientId"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for f in [&token_path, &role_path] {
            assert_eq!(mode(f), 0o600, "{}", f.display());
            assert_eq!(mode(f.parent().unwrap()), 0o700, "{}", f.display());
        }
    }
}

#[test]
fn a_token_from_aws_sso_login_is_used_without_a_login() {
    let env = TestEnv::new();
    env.standard_config();
    let token = env.standin.seed_token();
    env.write_cli_token("corp", &json!({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": token, "expiresAt": utc_in(3600),
    }));
    let out = env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_eq!(out["AccessKeyId"], json!(issued_keys(&env.standin)[0]));
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
    assert_eq!(env.standin.count(Op::RegisterClient), 0);
    let sent = env
        .standin
        .requests()
        .into_iter()
        .find(|r| r.path == "/federation/credentials")
        .unwrap();
    assert_eq!(sent.header("x-amz-sso_bearer_token"), Some(token.as_str()));
    assert_eq!(sent.query_param("role_name"), Some("ReadOnly"));
    assert_eq!(sent.query_param("account_id"), Some("111111111111"));
}

#[test]
fn legacy_profile_uses_the_start_url_named_token() {
    let env = TestEnv::new();
    env.standard_config();
    let token = env.standin.seed_token();
    // The older CLI's `…UTC` timestamp form is read too.
    let expires = utc_in(3600).replace('Z', "UTC");
    env.write_cli_token(START_URL, &json!({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": token, "expiresAt": expires,
    }));
    env.run(&["--profile", "legacy", "--no-login"]).json();
    assert_eq!(
        env.standin.issued_credentials()[0].account_id,
        "222222222222"
    );
}

#[test]
fn expired_token_is_refreshed_without_a_browser() {
    let env = TestEnv::new();
    env.standard_config();
    let (path, client_id, refresh) = env.write_refreshable_token("expired-access-token", -60);
    env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
    assert!(env.browser_opens().is_empty());
    let stored = TestEnv::read_json(&path);
    assert_ne!(stored["accessToken"], json!("expired-access-token"));
    assert_ne!(
        stored["refreshToken"],
        json!(refresh),
        "the rotated refresh token is stored"
    );
    assert_eq!(stored["clientId"], json!(client_id));
}

#[test]
fn token_inside_the_skew_margin_is_refreshed() {
    let env = TestEnv::new();
    env.standard_config();
    let live = env.standin.seed_token();
    let _ = env.write_refreshable_token(&live, 4 * 60);
    env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
}

#[test]
fn revoked_token_401_is_discarded_then_refreshed() {
    let env = TestEnv::new();
    env.standard_config();
    let token = env.standin.seed_token();
    env.standin.revoke_access_tokens();
    let (path, _, _) = env.write_refreshable_token(&token, 3600);
    let out = env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_eq!(
        env.standin.count(Op::GetRoleCredentials),
        2,
        "one 401, one success"
    );
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
    assert_eq!(out["AccessKeyId"], json!(issued_keys(&env.standin)[0]));
    assert_ne!(TestEnv::read_json(&path)["accessToken"], json!(token));
}

#[test]
fn revoked_token_without_refresh_logs_in_again() {
    let env = TestEnv::new();
    env.standard_config();
    let token = env.standin.seed_token();
    env.standin.revoke_access_tokens();
    env.write_cli_token("corp", &json!({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": token, "expiresAt": utc_in(3600),
    }));
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &["sso-helper login --profile dev-sso"]);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.browser_opens().len(), 1);
}

#[test]
fn no_login_exits_3_and_opens_nothing() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso", "--no-login"]).fails(
        3,
        &[
            "sso-session \"corp\"",
            "--no-login",
            "run `sso-helper login --profile dev-sso`",
        ],
    );
    env.set("SSO_HELPER_NO_LOGIN", "1");
    env.run(&["--profile", "admin"])
        .fails(3, &["sso-helper login --profile admin"]);
    assert!(env.standin.requests().is_empty(), "no request at all");
    assert!(env.browser_opens().is_empty());
}

#[test]
fn role_credentials_with_under_15_minutes_left_are_not_served() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    let role_path = env.aws(&format!(
        "cli/cache/{}.json",
        sha1_hex(r#"{"accountId":"111111111111","roleName":"ReadOnly","sessionName":"corp"}"#)
    ));
    let mut role = TestEnv::read_json(&role_path);
    role["Credentials"]["Expiration"] = json!(utc_in(14 * 60));
    std::fs::write(&role_path, role.to_string()).unwrap();
    env.run(&["--profile", "dev-sso"]).ok();
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
    // 16 minutes left: served from the cache, as the AWS CLI v2 wrote it.
    role["Credentials"]["Expiration"] = json!(utc_in(16 * 60));
    role["Credentials"]["AccessKeyId"] = json!("ASIAWRITTENBYAWSCLI");
    std::fs::write(&role_path, serde_json::to_string_pretty(&role).unwrap()).unwrap();
    let out = env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(out["AccessKeyId"], json!("ASIAWRITTENBYAWSCLI"));
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
}

#[test]
fn corrupt_and_foreign_cache_files_are_misses_not_crashes() {
    let env = TestEnv::new();
    env.standard_config();
    let token_path = env.token_path("corp");
    std::fs::create_dir_all(token_path.parent().unwrap()).unwrap();
    std::fs::write(&token_path, "{not json").unwrap();
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &["is missing"]);
    assert_eq!(
        std::fs::read_to_string(&token_path).unwrap(),
        "{not json",
        "left alone"
    );
    // A token for another start URL under the same session name is never sent.
    let other = env.standin.seed_token();
    env.write_cli_token("corp", &json!({
        "startUrl": "https://d-other.awsapps.com/start", "region": "us-east-1", "accessToken": other, "expiresAt": utc_in(3600),
    }));
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &[]);
    assert!(env.standin.requests().is_empty());
    // A real login replaces it.
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(
        TestEnv::read_json(&token_path)["startUrl"],
        json!(START_URL)
    );
    // A corrupt role-credential file is a miss too.
    let role_dir = env.aws("cli/cache");
    for entry in std::fs::read_dir(&role_dir).unwrap() {
        std::fs::write(entry.unwrap().path(), "[]").unwrap();
    }
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
}

#[test]
fn denied_login_fails_clearly() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Deny,
        ..Default::default()
    });
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).fails(
        1,
        &[
            "denied in the browser",
            "sso-helper login --profile dev-sso",
        ],
    );
    assert!(!env.token_path("corp").exists());
}

#[test]
fn expired_device_code_fails_clearly() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        device_code_ttl_secs: 2,
        ..Default::default()
    });
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).fails(
        1,
        &[
            "expired before it was approved",
            "run `sso-helper login --profile dev-sso` again",
        ],
    );
}

#[test]
fn slow_down_lengthens_the_poll_interval() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        slow_down_polls: 1,
        ..Default::default()
    });
    env.standard_config();
    // The browser never approves by itself; approve after the slow_down answer.
    let started = std::time::Instant::now();
    let handle = {
        let cmd_env = env.env();
        std::thread::spawn(move || {
            std::process::Command::new(BIN)
                .args(["--profile", "dev-sso"])
                .env_clear()
                .envs(cmd_env)
                .output()
                .unwrap()
        })
    };
    // Wait for the first poll, then approve by visiting the page the browser was given.
    while env.standin.count(Op::CreateTokenDevice) < 1 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    env.standin.set_approval(Approval::Approve);
    while env.browser_opens().is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let url = env.browser_opens()[0].clone();
    let status = std::process::Command::new("curl")
        .args(["-fsS", "-o", "/dev/null", &url])
        .status()
        .unwrap();
    assert!(status.success());
    let run = env.finish(handle.join().unwrap());
    run.json();
    // First poll: slow_down, so the next waits interval (1) + 5 = 6 seconds.
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(env.standin.count(Op::CreateTokenDevice), 2);
}

#[test]
fn no_browser_prints_the_url_and_code_and_opens_nothing() {
    // Nobody approves: the code expires after 2 s.
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        device_code_ttl_secs: 2,
        ..Default::default()
    });
    env.standard_config();
    // `login` run by hand prints the URL and code and waits, terminal or not.
    let run = env.run(&["login", "--profile", "dev-sso", "--no-browser"]);
    run.fails(1, &["expired"]);
    assert!(env.browser_opens().is_empty());
    assert!(run.stderr.contains("with the code "), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("open {}/device?user_code=", env.standin.url())),
        "{}",
        run.stderr
    );
}

/// The credentials command is run by SDKs, which show its stderr only when it
/// fails: with no terminal and no browser a sign-in would wait unseen, so it is
/// refused at once with exit 3 and the login hint.
#[test]
fn a_sign_in_no_one_can_see_is_never_started() {
    let mut env = TestEnv::new();
    env.standard_config();
    // No browser by choice: refused before any request.
    let run = env.run_detached(&["--profile", "dev-sso", "--no-browser"]);
    run.fails(
        3,
        &[
            "needs a browser or a terminal",
            "sso-helper login --profile dev-sso",
        ],
    );
    assert!(env.standin.requests().is_empty());
    env.set("SSO_HELPER_NO_BROWSER", "1");
    env.run_detached(&["--profile", "dev-sso"])
        .fails(3, &["--no-browser"]);
    assert!(env.standin.requests().is_empty());

    // No browser to be found: refused as soon as opening it fails, in words.
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("PATH", "/usr/bin:/bin").set("BROWSER", "false");
    let run = env.run_detached(&["--profile", "dev-sso"]);
    run.fails(
        3,
        &[
            "no browser could be opened",
            "BROWSER entry \"false\" exited with status 1",
            "sso-helper login --profile dev-sso",
        ],
    );
    assert!(!run.stderr.contains("ExitStatus"), "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one line, nothing else: {}",
        run.stderr
    );
    assert_eq!(
        env.standin.count(Op::CreateTokenDevice),
        1,
        "one poll, no waiting"
    );
}

/// `BROWSER` as Python's webbrowser reads it: entries separated by `:`, tried in
/// order, `%s` replaced by the URL, else the URL appended; the first that works wins.
#[test]
fn browser_variable_is_honoured() {
    let mut env = TestEnv::new();
    env.standard_config();
    let script = TestEnv::browser_dir().join("xdg-open");
    // The first entry fails, the second (with %s) signs in; xdg-open is not on PATH.
    env.set("PATH", "/usr/bin:/bin").set(
        "BROWSER",
        &format!(
            "/nonexistent/browser:sh -c 'exec \"$0\" \"$1\"' {} %s",
            script.display()
        ),
    );
    let run = env.run(&["--profile", "dev-sso", "--flow", "device"]);
    run.json();
    assert_eq!(env.browser_opens().len(), 1);
    assert!(env.browser_opens()[0].contains("user_code="));

    // BROWSER=true opens nothing and stops the search (the fake xdg-open on PATH
    // is not run): `login` by hand says so and waits for the sign-in...
    let mut env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        device_code_ttl_secs: 2,
        ..Default::default()
    });
    env.standard_config();
    env.set("BROWSER", "true");
    let run = env.run(&["login", "--profile", "dev-sso", "--flow", "device"]);
    run.fails(1, &["expired before it was approved"]);
    assert!(
        run.stderr.contains("BROWSER entry \"true\" opens nothing"),
        "{}",
        run.stderr
    );
    assert!(env.browser_opens().is_empty());
    // ... and the credentials command, which no one watches, is refused at once.
    let run = env.run_detached(&["--profile", "dev-sso", "--flow", "device"]);
    run.fails(3, &["opens nothing", "sso-helper login --profile dev-sso"]);
}

#[test]
fn transient_server_errors_are_retried() {
    let env = TestEnv::new();
    env.standard_config();
    env.standin.fail_next(Op::GetRoleCredentials, 500, 2);
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 3);
    // Past the retry limit the error names the operation, host and AWS error.
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    std::fs::remove_dir_all(env.aws("cli/cache")).unwrap();
    env.standin.fail_next(Op::GetRoleCredentials, 500, 10);
    env.run(&["--profile", "dev-sso"])
        .fails(1, &["GetRoleCredentials", "127.0.0.1", "HTTP 500"]);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 1 + 4);
}

#[test]
fn unknown_role_is_reported_not_retried() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profile p]\nsso_helper_start_url = {START_URL}\nsso_helper_region = us-east-1\nsso_helper_account_id = 999999999999\nsso_helper_role_name = Nope\n"
    ));
    env.run(&["--profile", "p"])
        .fails(1, &["GetRoleCredentials", "HTTP 404", "sso-helper list"]);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 1);
}

#[test]
fn verbose_logs_requests_without_secrets() {
    let env = TestEnv::new();
    env.standard_config();
    let run = env.run(&["--profile", "dev-sso", "-v"]);
    run.ok();
    for op in [
        "RegisterClient",
        "StartDeviceAuthorization",
        "CreateToken",
        "GetRoleCredentials",
    ] {
        assert!(run.stderr.contains(op), "-v names {op}:\n{}", run.stderr);
    }
    // `env.run` already searched stderr for every secret; the stdout secrets too:
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        !run.stderr
            .contains(out["SecretAccessKey"].as_str().unwrap())
    );
    let mut env2 = TestEnv::new();
    env2.standard_config();
    env2.set("SSO_HELPER_LOG", "debug");
    let run = env2.run(&["--profile", "dev-sso"]);
    assert!(
        run.stderr.contains(&format!(
            "GetRoleCredentials GET {}/federation/credentials",
            env2.standin.url()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn endpoints_come_from_the_standard_variables() {
    let mut env = TestEnv::new();
    env.standard_config();
    // Only the global variable: both APIs use it.
    env.set("AWS_ENDPOINT_URL_SSO", "");
    env.set("AWS_ENDPOINT_URL_SSO_OIDC", "");
    let url = env.standin.url();
    env.set("AWS_ENDPOINT_URL", &url);
    env.run(&["--profile", "dev-sso"]).json();
    // Plain http to a host that is not loopback is refused before any request.
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_ENDPOINT_URL_SSO_OIDC", "http://sso.example.com");
    env.run(&["--profile", "dev-sso"])
        .fails(2, &["AWS_ENDPOINT_URL_SSO_OIDC", "http://"]);
}

#[test]
fn help_and_version() {
    let env = TestEnv::new();
    let help = env.run(&["--help"]);
    help.ok();
    assert!(
        help.stdout
            .contains("credential_process = sso-helper --profile dev")
    );
    assert!(help.stdout.contains("--no-login"));
    let v = env.run(&["--version"]);
    assert_eq!(
        v.stdout.trim(),
        format!("sso-helper {}", env!("CARGO_PKG_VERSION"))
    );
    env.run(&["--frobnicate"])
        .fails(2, &["--frobnicate", "--help"]);
}

#[test]
fn pkce_sign_in_end_to_end() {
    let env = TestEnv::new();
    env.standard_config();
    let out = env.run(&["--profile", "dev-sso", "--flow", "pkce"]).json();
    assert_eq!(out["AccessKeyId"], json!(issued_keys(&env.standin)[0]));
    assert_eq!(env.standin.count(Op::Authorize), 1);
    assert_eq!(env.standin.count(Op::CreateTokenAuthCode), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
    let requests = env.standin.requests();
    // RegisterClient as the AWS CLI v2 does it for PKCE.
    let reg: serde_json::Value = serde_json::from_str(
        &requests
            .iter()
            .find(|r| r.path == "/client/register")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        reg["grantTypes"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        reg["redirectUris"],
        json!(["http://127.0.0.1/oauth/callback"])
    );
    assert_eq!(reg["issuerUrl"], json!(START_URL));
    assert_eq!(reg["scopes"], json!(["sso:account:access"]));
    // The authorize request: S256, a UUID state, the loopback redirect with a port.
    let auth = requests.iter().find(|r| r.path == "/authorize").unwrap();
    assert_eq!(auth.query_param("response_type"), Some("code"));
    assert_eq!(auth.query_param("code_challenge_method"), Some("S256"));
    assert_eq!(auth.query_param("scopes"), Some("sso:account:access"));
    assert_eq!(auth.query_param("state").unwrap().len(), 36);
    let redirect = auth.query_param("redirect_uri").unwrap();
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/oauth/callback"),
        "{redirect}"
    );
    let token_req: serde_json::Value =
        serde_json::from_str(&requests.iter().find(|r| r.path == "/token").unwrap().body).unwrap();
    assert_eq!(token_req["redirectUri"], json!(redirect));
    assert_eq!(token_req["codeVerifier"].as_str().unwrap().len(), 64);
    // The token is refreshable: a refresh token and the PKCE registration are stored.
    let token = TestEnv::read_json(&env.token_path("corp"));
    assert!(token["refreshToken"].is_string() && token["clientId"].is_string());
    // The page the browser saw after the redirect is the friendly one.
    assert_eq!(env.browser_opens().len(), 1);
}

#[test]
fn pkce_denied_and_flow_from_the_session() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Deny,
        ..Default::default()
    });
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_helper_login_flow = pkce\n\
         [profile p]\nsso_helper_session = corp\nsso_helper_account_id = 111111111111\nsso_helper_role_name = ReadOnly\n"
    ));
    env.run(&["--profile", "p"])
        .fails(1, &["denied in the browser"]);
    assert_eq!(env.standin.count(Op::Authorize), 1);
    env.run(&["--profile", "p", "--flow", "sideways"])
        .fails(2, &["--flow sideways"]);
}

#[test]
fn a_ca_bundle_that_cannot_be_used_is_named_and_not_retried() {
    let mut env = TestEnv::new();
    env.standard_config();
    let missing = env.home().join("corp-ca.pem");
    env.set("AWS_CA_BUNDLE", &missing.display().to_string());
    env.run(&["--profile", "dev-sso"]).fails(
        2,
        &[
            "AWS_CA_BUNDLE",
            "cannot read it",
            "point AWS_CA_BUNDLE at a PEM file",
        ],
    );
    assert!(env.standin.requests().is_empty(), "nothing was sent");
    // The profile's ca_bundle when the variable is not set; a file with no
    // certificate in it is refused too.
    let junk = env.home().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    env.set("AWS_CA_BUNDLE", "");
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         [profile p]\nsso_helper_session = corp\nsso_helper_account_id = 111111111111\nsso_helper_role_name = ReadOnly\nca_bundle = {}\n",
        junk.display()
    ));
    env.run(&["--profile", "p"])
        .fails(2, &["ca_bundle in [profile p]", "holds no PEM certificate"]);
    // A real PEM bundle is accepted (the stand-in is plain http on loopback).
    let good = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-ca.pem");
    env.set("AWS_CA_BUNDLE", &good.display().to_string());
    env.run(&["--profile", "p"]).json();
}

#[test]
fn throttling_is_retried_and_a_refresh_replayed_only_when_safe() {
    // 429 (with Retry-After: 0 from the stand-in) twice, then an answer.
    let env = TestEnv::new();
    env.standard_config();
    env.standin.fail_next(Op::GetRoleCredentials, 429, 2);
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 3);
    // A refresh_token grant answered 500 cannot have used the token: replayed.
    let env = TestEnv::new();
    env.standard_config();
    let _ = env.write_refreshable_token("expired", -60);
    env.standin.fail_next(Op::CreateTokenRefresh, 500, 1);
    env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 2);
    // 400s are never retried: an unknown account is asked for once.
    env.standin.fail_next(Op::GetRoleCredentials, 400, 1);
    std::fs::remove_dir_all(env.aws("cli/cache")).unwrap();
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(1, &["HTTP 400"]);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
}

/// A server whose certificate no trusted CA issued (TLS inspection): one clear
/// line naming the host and AWS_CA_BUNDLE / ca_bundle, no retry; with the CA in
/// AWS_CA_BUNDLE or the profile's ca_bundle, it works.
#[test]
fn an_unknown_certificate_issuer_names_the_ca_bundle_settings() {
    let mut env = TestEnv::new();
    env.standard_config();
    let front = TlsFront::start(env.standin.port());
    let url = format!("https://127.0.0.1:{}", front.port);
    env.set("AWS_ENDPOINT_URL_SSO", &url)
        .set("AWS_ENDPOINT_URL_SSO_OIDC", &url);
    let run = env.run(&["--profile", "dev-sso"]);
    run.fails(
        1,
        &[
            "127.0.0.1",
            "UnknownIssuer",
            "AWS_CA_BUNDLE (or ca_bundle in the profile)",
        ],
    );
    assert!(env.standin.requests().is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    // Trusted through the variable: the sign-in and the credentials go through.
    env.set("AWS_CA_BUNDLE", &TlsFront::ca_path().display().to_string());
    env.run(&["--profile", "dev-sso"]).json();
    // A wrong bundle is named in the message.
    env.set(
        "AWS_CA_BUNDLE",
        &repo()
            .join("tests/fixtures/test-ca.pem")
            .display()
            .to_string(),
    );
    std::fs::remove_dir_all(env.aws("cli/cache")).unwrap();
    std::fs::remove_dir_all(env.aws("sso/cache")).unwrap();
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &[]);
    env.run(&["--profile", "dev-sso"])
        .fails(1, &["UnknownIssuer", "AWS_CA_BUNDLE = ", "test-ca.pem"]);
}

/// Credentials just fetched are printed even when they cannot be cached: one
/// stderr line says so, why (naming the file and what to do) and that the next
/// call fetches again — which it does, with the stored token.
#[test]
fn credentials_that_cannot_be_cached_are_still_served() {
    let env = TestEnv::new();
    env.standard_config();
    // A file where the AWS CLI's cache directory should be.
    std::fs::write(env.aws("cli"), "").unwrap();
    let cache = env.aws("cli/cache");
    for call in 1..=2 {
        let run = env.run(&["--profile", "dev-sso"]);
        let out = run.json();
        assert_eq!(
            out["AccessKeyId"],
            json!(issued_keys(&env.standin)[call - 1])
        );
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.contains("could not be cached"))
            .collect();
        assert_eq!(lines.len(), 1, "once, in one line:\n{}", run.stderr);
        let line = lines[0];
        assert!(
            line.starts_with("sso-helper: the credentials of role ReadOnly in 111111111111")
                && line.contains(&format!("cannot create directory {}", cache.display()))
                && line.contains("move that file aside")
                && line.ends_with("the next one fetches them again"),
            "{line}"
        );
        assert!(
            !run.stderr.contains("recorded for logout"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

/// The record of cached roles (for `logout`) is not needed by the call either:
/// when it cannot be written the credentials are served and cached, and one line
/// says what logout will miss.
#[test]
fn a_role_index_that_cannot_be_written_does_not_fail_the_call() {
    let env = TestEnv::new();
    env.standard_config();
    std::fs::create_dir_all(env.aws("sso-helper")).unwrap();
    std::fs::write(env.aws("sso-helper/roles"), "").unwrap();
    let run = env.run(&["--profile", "dev-sso"]);
    let first = run.json();
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("recorded for logout"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains("sso-helper/roles")
            && lines[0].contains("move that file aside")
            && lines[0].contains("sso-helper logout"),
        "{}",
        lines[0]
    );
    // Cached all the same: the next call is warm.
    let requests = env.standin.requests().len();
    assert_eq!(env.run(&["--profile", "dev-sso"]).json(), first);
    assert_eq!(env.standin.requests().len(), requests);
}
