//! Real consumers (boto3, botocore, AWS CLI v1 and v2) reading sso-helper's output and sharing its token cache.
//!
//! The consumers are the real ones: boto3, botocore and the AWS CLI v1 from the venv
//! that `scripts/setup-test-env` makes (`tests/compat/requirements.txt`; another
//! interpreter through `SSO_HELPER_TEST_PYTHON`), and Debian's AWS CLI v2 at
//! `/usr/bin/aws` (`apt-get install awscli`). A missing one fails the test with the
//! way to install it. Each runs in the harness's cleared environment (temp HOME,
//! endpoints at the stand-in), which the `credential_process` child inherits.
//!
//! The CLI v2 that Debian ships (2.9.x) predates `AWS_ENDPOINT_URL_*`; where it must
//! call SSO or SSO OIDC itself, `~/.aws/models` (botocore's documented directory for
//! local model data) gets an endpoint rule set that sends those two services to the
//! stand-in. Nothing else about the CLI changes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;
use sso_standin::IssuedRoleCredentials;

/// How long one consumer run may take before it is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);
const AWS_V2: &str = "/usr/bin/aws";

// ---------------------------------------------------------------- the consumers

/// The AWS CLI v1 installed in the same venv.
fn aws_v1() -> PathBuf {
    let path = python().with_file_name("aws");
    assert!(
        path.is_file(),
        "no AWS CLI v1 at {}: run scripts/setup-test-env",
        path.display()
    );
    path
}

/// Debian's AWS CLI v2, checked to be a v2.
fn aws_v2(env: &TestEnv) -> &'static str {
    let out = env.command(AWS_V2, &["--version"]).output();
    let version = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        version.starts_with("aws-cli/2"),
        "no AWS CLI v2 at {AWS_V2} (it reports {:?}): apt-get install awscli",
        version.trim()
    );
    AWS_V2
}

fn script(name: &str) -> String {
    compat_script(name)
}

/// A test environment for consumers: the standard config, STS at the stand-in, no
/// instance metadata, a region, and sso-helper on its file store (the one the AWS
/// CLI shares).
fn consumer_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.standard_config();
    let url = env.standin.url();
    env.set("AWS_ENDPOINT_URL_STS", &url)
        .set("AWS_EC2_METADATA_DISABLED", "true")
        .set("AWS_DEFAULT_REGION", "us-east-1")
        .set("AWS_PAGER", "")
        .set("SSO_HELPER_TOKEN_STORE", "file");
    env
}

/// Runs a consumer in the harness's environment, killed after `RUN_LIMIT`; its stderr
/// is checked for secrets.
#[track_caller]
fn consume(env: &TestEnv, program: &Path, args: &[&str]) -> Run {
    run_limited(env, env.command(&program.display().to_string(), args))
}

#[track_caller]
fn run_limited(env: &TestEnv, mut cmd: Command) -> Run {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + RUN_LIMIT;
    let status: ExitStatus = loop {
        if let Some(s) = child.try_wait().expect("wait for consumer") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} ran longer than {RUN_LIMIT:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    env.finish(std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    })
}

/// Sends the CLI v2's SSO and SSO OIDC calls to the stand-in: an endpoint rule set in
/// `~/.aws/models` that always answers with the stand-in's URL.
fn point_cli_v2_sso_at_standin(env: &TestEnv) {
    let flag = |builtin: &str| json!({"builtIn": builtin, "required": true, "default": false, "type": "Boolean"});
    let rules = json!({
        "version": "1.0",
        "parameters": {
            "Region": {"builtIn": "AWS::Region", "required": false, "type": "String"},
            "UseDualStack": flag("AWS::UseDualStack"),
            "UseFIPS": flag("AWS::UseFIPS"),
            "Endpoint": {"builtIn": "SDK::Endpoint", "required": false, "type": "String"},
        },
        "rules": [{
            "conditions": [],
            "endpoint": {"url": env.standin.url(), "properties": {}, "headers": {}},
            "type": "endpoint",
        }],
    });
    for service in ["sso", "sso-oidc"] {
        let dir = env.aws(&format!("models/{service}/2019-06-10"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("endpoint-rule-set-1.json"), rules.to_string()).unwrap();
    }
}

// ---------------------------------------------------------------- checks

/// The one credential set the stand-in issued for (account, role), by position.
#[track_caller]
fn issued(env: &TestEnv, index: usize, role: &str) -> IssuedRoleCredentials {
    let all = env.standin.issued_credentials();
    let c = all
        .get(index)
        .unwrap_or_else(|| panic!("the stand-in issued {} credential sets", all.len()))
        .clone();
    assert_eq!(
        (c.account_id.as_str(), c.role_name.as_str()),
        ("111111111111", role)
    );
    c
}

/// `AccessKeyId`, `SecretAccessKey`, `SessionToken` in `v` are exactly `c`.
#[track_caller]
fn assert_same_keys(v: &Value, c: &IssuedRoleCredentials) {
    assert_eq!(v["AccessKeyId"], json!(c.access_key_id), "{v}");
    assert_eq!(v["SecretAccessKey"], json!(c.secret_access_key));
    assert_eq!(v["SessionToken"], json!(c.session_token));
}

/// The bearer token of the last GetRoleCredentials the stand-in received.
fn last_role_request_token(env: &TestEnv) -> String {
    let req = env
        .standin
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/federation/credentials")
        .expect("a GetRoleCredentials request");
    req.header("x-amz-sso_bearer_token")
        .expect("x-amz-sso_bearer_token header")
        .to_string()
}

fn stored_access_token(env: &TestEnv) -> String {
    TestEnv::read_json(&env.token_path("corp"))["accessToken"]
        .as_str()
        .expect("accessToken in the token file")
        .to_string()
}

/// How many of each SSO OIDC request (sign-in, token renewal) the stand-in received.
fn oidc_counts(env: &TestEnv) -> [usize; 5] {
    [
        Op::RegisterClient,
        Op::StartDeviceAuthorization,
        Op::CreateTokenDevice,
        Op::CreateTokenRefresh,
        Op::CreateTokenAuthCode,
    ]
    .map(|op| env.standin.count(op))
}

// ---------------------------------------------------------------- 1. boto3

#[test]
fn boto3_gets_the_issued_keys_through_credential_process_and_signs_sts_with_them() {
    let env = consumer_env();
    let py = python();
    let out = consume(&env, &py, &[&script("credentials.py"), "dev", "--sts"]).json();
    // boto3 ran `credential_process` (sso-helper logged in through the stand-in).
    assert_eq!(out["method"], json!("custom-process"));
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    let c = issued(&env, 0, "ReadOnly");
    assert_eq!(env.standin.issued_credentials().len(), 1);
    assert_same_keys(&out, &c);
    // botocore read the account id from the process output (its `account_id`).
    assert_eq!(out["AccountId"], json!("111111111111"));
    // The signed call reached the stand-in's STS with that key and was accepted.
    assert_eq!(env.standin.sts_callers(), vec![c.access_key_id.clone()]);
    assert_eq!(
        out["caller"]["UserId"],
        json!(format!("AROASTANDIN:{}", c.access_key_id))
    );
    assert_eq!(out["caller"]["Account"], json!("111111111111"));
}

// ---------------------------------------------------------------- 2. AWS CLI v1

#[test]
fn aws_cli_v1_calls_sts_with_the_issued_key() {
    let env = consumer_env();
    let aws = aws_v1();
    let out = consume(
        &env,
        &aws,
        &["sts", "get-caller-identity", "--profile", "dev"],
    )
    .json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    let c = issued(&env, 0, "ReadOnly");
    assert_eq!(env.standin.sts_callers(), vec![c.access_key_id.clone()]);
    assert_eq!(
        out["UserId"],
        json!(format!("AROASTANDIN:{}", c.access_key_id))
    );
    assert_eq!(
        out["Arn"],
        json!("arn:aws:sts::111111111111:assumed-role/ReadOnly/standin-user")
    );
}

// ---------------------------------------------------------------- 3. AWS CLI v2

#[test]
fn aws_cli_v2_runs_the_helper_for_both_layouts() {
    let env = consumer_env();
    let aws = Path::new(aws_v2(&env));
    // Layout A (companion profile): the CLI's own credential resolution, exported.
    let dev = consume(
        &env,
        aws,
        &["configure", "export-credentials", "--profile", "dev"],
    )
    .json();
    let c = issued(&env, 0, "ReadOnly");
    assert_eq!(dev["Version"], json!(1));
    assert_same_keys(&dev, &c);
    // Layout B (self-contained profile): a signed STS call with the Admin role's key,
    // on the stored token (no second sign-in).
    let url = env.standin.url();
    let admin = consume(
        &env,
        aws,
        &[
            "sts",
            "get-caller-identity",
            "--profile",
            "admin",
            "--endpoint-url",
            &url,
        ],
    )
    .json();
    let a = issued(&env, 1, "Admin");
    assert_eq!(env.standin.sts_callers(), vec![a.access_key_id.clone()]);
    assert_eq!(
        admin["Arn"],
        json!("arn:aws:sts::111111111111:assumed-role/Admin/standin-user")
    );
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

// ---------------------------------------------------------------- 4. botocore's SSO provider

#[test]
fn botocore_native_sso_provider_uses_the_token_sso_helper_stored() {
    let env = consumer_env();
    let py = python();
    env.run(&["--profile", "dev-sso"]).ok();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 1);
    let before = oidc_counts(&env);

    let out = consume(&env, &py, &[&script("credentials.py"), "dev-sso"]).json();
    assert_eq!(out["method"], json!("sso"), "botocore's own SSO provider");
    // botocore called GetRoleCredentials itself, with sso-helper's stored token, and
    // signed nobody in.
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
    assert_eq!(last_role_request_token(&env), stored_access_token(&env));
    assert_eq!(oidc_counts(&env), before, "no sign-in, no refresh");
    assert_eq!(env.browser_opens().len(), 1);
    assert_same_keys(&out, &issued(&env, 1, "ReadOnly"));
}

// ---------------------------------------------------------------- 5. tokens from botocore and the CLI

#[test]
fn sso_helper_uses_a_token_botocore_refreshed_and_wrote() {
    let env = consumer_env();
    let py = python();
    // An expired token with a live registration and refresh token, as `aws sso login`
    // leaves it hours later.
    let (client_id, client_secret) = env.standin.seed_client();
    let refresh = env.standin.seed_refresh_token(&client_id);
    let path = env.write_cli_token(
        "corp",
        &json!({
            "startUrl": START_URL,
            "region": "us-east-1",
            "accessToken": "expired-access-token",
            "expiresAt": utc_in(-3600),
            "clientId": client_id,
            "clientSecret": client_secret,
            "registrationExpiresAt": utc_in(30 * 86400),
            "refreshToken": refresh,
        }),
    );
    // botocore's token provider refreshes it and writes the file itself.
    let out = consume(&env, &py, &[&script("sso_token.py"), "dev-sso"]).json();
    assert_eq!(out["method"], json!("sso"));
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
    let written = TestEnv::read_json(&path);
    assert_eq!(written["expiresAt"], out["expiration"]);
    let token = stored_access_token(&env);
    assert_ne!(token, "expired-access-token", "botocore rewrote the file");

    // sso-helper takes that file as is: credentials, no sign-in, no further refresh.
    let creds = env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_same_keys(&creds, &issued(&env, 0, "ReadOnly"));
    assert_eq!(last_role_request_token(&env), token);
    assert_eq!(
        oidc_counts(&env),
        [0, 0, 0, 1, 0],
        "only botocore's refresh"
    );
    assert!(env.browser_opens().is_empty());
}

/// botocore refreshes the shared token file without sso-helper's lock, and refresh
/// tokens rotate: while sso-helper's own refresh is in flight, botocore refreshes
/// with the same refresh token and rewrites the file. sso-helper's refresh is then
/// refused (`invalid_grant`); it must find botocore's new token and use it — no
/// sign-in, no exit 3.
#[test]
fn a_refresh_lost_to_botocore_uses_the_token_botocore_wrote() {
    let env = consumer_env();
    let py = python();
    let (path, _, refresh) = env.write_refreshable_token("expired-access-token", -3600);
    env.standin.hold(Op::CreateTokenRefresh, 1);
    let helper = env
        .command(BIN, &["--profile", "dev-sso", "--no-login"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        env.standin
            .wait_held(Op::CreateTokenRefresh, 1, Duration::from_secs(20)),
        "sso-helper's refresh never arrived"
    );
    // botocore refreshes with the same refresh token and writes its new token.
    let out = consume(&env, &py, &[&script("sso_token.py"), "dev-sso"]).json();
    assert_eq!(out["method"], json!("sso"));
    let botocore_token = stored_access_token(&env);
    assert_ne!(botocore_token, "expired-access-token");
    assert_ne!(TestEnv::read_json(&path)["refreshToken"], json!(refresh));
    // Now sso-helper's refresh (the old refresh token) reaches the service: refused.
    env.standin.release(Op::CreateTokenRefresh);
    let run = env.finish(helper.wait_with_output().unwrap());
    let creds = run.json();
    assert_same_keys(&creds, &issued(&env, 0, "ReadOnly"));
    assert_eq!(last_role_request_token(&env), botocore_token);
    assert_eq!(
        oidc_counts(&env),
        [0, 0, 0, 2, 0],
        "two refreshes (botocore's, sso-helper's refused one), no sign-in"
    );
    assert!(env.browser_opens().is_empty());
}

/// The same race on the portal: the token sso-helper read is revoked while its
/// GetRoleCredentials is in flight, and another client has meanwhile stored a new
/// token. The 401 sends sso-helper back to the store, where it finds that one.
#[test]
fn a_401_uses_the_token_another_client_stored_meanwhile() {
    let env = consumer_env();
    let old = env.standin.seed_token();
    let write = |token: &str| {
        env.write_cli_token(
            "corp",
            &json!({"startUrl": START_URL, "region": "us-east-1", "accessToken": token,
                    "expiresAt": utc_in(3600)}),
        )
    };
    write(&old);
    env.standin.hold(Op::GetRoleCredentials, 1);
    let helper = env
        .command(BIN, &["--profile", "dev-sso", "--no-login"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        env.standin
            .wait_held(Op::GetRoleCredentials, 1, Duration::from_secs(20))
    );
    env.standin.revoke_access_tokens();
    let new = env.standin.seed_token();
    write(&new);
    env.standin.release(Op::GetRoleCredentials);
    let creds = env.finish(helper.wait_with_output().unwrap()).json();
    assert_same_keys(&creds, &issued(&env, 0, "ReadOnly"));
    assert_eq!(last_role_request_token(&env), new);
    assert_eq!(oidc_counts(&env), [0; 5]);
}

#[test]
fn sso_helper_uses_a_token_from_aws_cli_v2_sso_login() {
    let mut env = consumer_env();
    let aws = Path::new(aws_v2(&env));
    point_cli_v2_sso_at_standin(&env);
    // The CLI opens the browser through Python's `webbrowser`, which honours $BROWSER.
    let browser = TestEnv::browser_dir().join("xdg-open");
    env.set("BROWSER", &browser.display().to_string());
    // sso-helper signs in first and registers the client; `aws sso login` then signs
    // in again (it always does) on that registration and overwrites the token.
    env.run(&["login", "--profile", "dev-sso"]).ok();
    let helper_token = stored_access_token(&env);
    consume(&env, aws, &["sso", "login", "--profile", "dev-sso"]).ok();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 2);
    assert_eq!(env.browser_opens().len(), 2);
    assert_eq!(
        env.standin.count(Op::RegisterClient),
        1,
        "the CLI reused sso-helper's client registration"
    );
    let token = stored_access_token(&env);
    assert_ne!(token, helper_token, "the CLI wrote its token");
    let before = oidc_counts(&env);

    // sso-helper, for another role of the same session, uses the CLI's token and
    // signs nobody in.
    let creds = env.run(&["--profile", "admin", "--no-login"]).json();
    assert_same_keys(&creds, &issued(&env, 0, "Admin"));
    assert_eq!(last_role_request_token(&env), token);
    assert_eq!(oidc_counts(&env), before, "no sign-in, no refresh");
    assert_eq!(env.browser_opens().len(), 2);
}

// ---------------------------------------------------------------- 6. the CLI v2's role-credential cache

#[test]
fn aws_cli_v2_and_sso_helper_share_role_credentials_both_ways() {
    let env = consumer_env();
    let aws = Path::new(aws_v2(&env));
    let export = ["configure", "export-credentials", "--profile", "dev-sso"];

    // sso-helper -> CLI: the native SSO profile is served from sso-helper's
    // ~/.aws/cli/cache file; no request reaches the stand-in (nor could reach AWS).
    let mine = env.run(&["--profile", "dev-sso"]).json();
    let signed_in = oidc_counts(&env);
    let requests = env.standin.requests().len();
    let theirs = consume(&env, aws, &export).json();
    assert_eq!(
        env.standin.requests().len(),
        requests,
        "the CLI made a request"
    );
    assert_same_keys(&theirs, &issued(&env, 0, "ReadOnly"));
    assert_eq!(theirs["AccessKeyId"], mine["AccessKeyId"]);

    // CLI -> sso-helper: without that file the CLI fetches credentials itself (with
    // sso-helper's token) and caches them; sso-helper then serves the CLI's file
    // without a request.
    let role_file = env.aws(&format!(
        "cli/cache/{}.json",
        sha1_hex(r#"{"accountId":"111111111111","roleName":"ReadOnly","sessionName":"corp"}"#)
    ));
    std::fs::remove_file(&role_file).unwrap();
    point_cli_v2_sso_at_standin(&env);
    let theirs = consume(&env, aws, &export).json();
    let c = issued(&env, 1, "ReadOnly");
    assert_same_keys(&theirs, &c);
    assert_eq!(last_role_request_token(&env), stored_access_token(&env));
    let cached = TestEnv::read_json(&role_file);
    assert_eq!(cached["Credentials"]["AccessKeyId"], json!(c.access_key_id));
    let requests = env.standin.requests().len();
    let mine = env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_same_keys(&mine, &c);
    assert_eq!(
        env.standin.requests().len(),
        requests,
        "sso-helper made a request"
    );
    assert_eq!(oidc_counts(&env), signed_in, "one sign-in in all");
}

// ---------------------------------------------------------------- 6. the JS SDK v3

/// Runs the JS SDK v3's default chain (`tests/compat/js/credentials.mjs`) for
/// `profile`.
#[track_caller]
fn js_credentials(env: &TestEnv, profile: &str) -> Run {
    let js = repo().join("tests/compat/js");
    assert!(
        js.join("node_modules/@aws-sdk/credential-providers")
            .is_dir(),
        "no JS SDK in {}: run scripts/setup-test-env (it needs npm)",
        js.display()
    );
    let script = js.join("credentials.mjs").display().to_string();
    consume(env, Path::new("node"), &[&script, profile])
}

/// The JS SDK v3 runs credential_process (layout A) and reads the account id.
#[test]
fn js_sdk_v3_gets_the_issued_keys_and_account_id() {
    let env = consumer_env();
    let out = js_credentials(&env, "dev").json();
    let c = issued(&env, 0, "ReadOnly");
    assert_same_keys(&out, &c);
    assert_eq!(out["AccountId"], json!("111111111111"));
    assert!(
        out["source"]
            .as_array()
            .unwrap()
            .contains(&json!("CREDENTIALS_PROFILE_PROCESS")),
        "{out}"
    );
}

/// What doctor and the README say about profiles that mix credential_process with
/// standard sso_* keys, checked against the real consumers: the JS SDK v3 still
/// runs credential_process; botocore does only without sso_account_id and
/// sso_role_name.
#[test]
fn mixed_profiles_behave_as_doctor_says() {
    let env = consumer_env();
    let mut config = std::fs::read_to_string(env.aws("config")).unwrap();
    config.push_str(&format!(
        "\n[profile mixed-session]\ncredential_process = {BIN} --profile mixed-session\nsso_session = corp\n\
         sso_helper_account_id = 111111111111\nsso_helper_role_name = ReadOnly\n\
         \n[profile mixed-role]\ncredential_process = {BIN} --profile mixed-role\nsso_session = corp\n\
         sso_account_id = 111111111111\nsso_role_name = ReadOnly\n"
    ));
    env.write_config(&config);
    // sso_session only: both run the process.
    let js = js_credentials(&env, "mixed-session").json();
    assert!(
        js["source"]
            .as_array()
            .unwrap()
            .contains(&json!("CREDENTIALS_PROFILE_PROCESS"))
    );
    let py = consume(
        &env,
        &python(),
        &[&script("credentials.py"), "mixed-session"],
    )
    .json();
    assert_eq!(py["method"], json!("custom-process"));
    // sso_account_id + sso_role_name: the JS SDK runs the process, botocore is
    // native SSO.
    let js = js_credentials(&env, "mixed-role").json();
    assert!(
        js["source"]
            .as_array()
            .unwrap()
            .contains(&json!("CREDENTIALS_PROFILE_PROCESS"))
    );
    let py = consume(&env, &python(), &[&script("credentials.py"), "mixed-role"]).json();
    assert_eq!(py["method"], json!("sso"));
    // And doctor says exactly that.
    let doctor = env.run(&["doctor", "--profile", "dev-sso"]).stdout;
    assert!(
        doctor.contains("[profile mixed-role] has credential_process and sso_session, sso_account_id, sso_role_name: the AWS CLI, boto3 and the Rust SDK take it as a native SSO profile and never run its credential_process (the JS SDK v3 still runs it)"),
        "{doctor}"
    );
    assert!(
        doctor.contains("[profile mixed-session] has credential_process and sso_session: the Rust SDK takes it as a native SSO profile and never runs its credential_process (the AWS CLI, boto3 and the JS SDK v3 still run it)"),
        "{doctor}"
    );
}
