//! What a hostile or broken service (a bad endpoint setting, TLS interception)
//! and a doctored cache file can do: nothing. Credential values are checked before
//! they are printed, cached or written; numbers and dates are range-checked;
//! malformed answers are reported as what they are; no input panics the process
//! (exit 101) and no secret or control character reaches stderr.

use serde_json::json;

use crate::support::*;

/// A GetRoleCredentials answer with these fields (others sane).
fn role_answer(key: &str, secret: &str, token: &str, expiration_ms: i64) -> String {
    json!({"roleCredentials": {
        "accessKeyId": key, "secretAccessKey": secret, "sessionToken": token,
        "expiration": expiration_ms,
    }})
    .to_string()
}

fn in_an_hour_ms() -> i64 {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(1)).unix_timestamp() * 1000
}

/// A run that failed cleanly: the code, empty stdout, one stderr line, no panic.
#[track_caller]
fn clean_failure(run: &Run, code: i32, needles: &[&str]) {
    assert_ne!(run.code, 101, "panicked:\n{}", run.stderr);
    run.fails(code, needles);
    assert!(
        !run.stderr.contains("panicked"),
        "a panic message:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.chars().all(|c| c == '\n' || !c.is_control()),
        "control characters on stderr: {:?}",
        run.stderr
    );
}

#[test]
fn credential_values_that_could_inject_are_refused_by_name() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    let sane = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let cases = [
        (
            role_answer(
                "ASIAOK",
                "x\n[default]\ncredential_process = touch PWNED",
                "tok",
                in_an_hour_ms(),
            ),
            "secretAccessKey",
        ),
        (
            role_answer("ASIA'; touch PWNED; echo '", sane, "tok", in_an_hour_ms()),
            "accessKeyId",
        ),
        (
            role_answer("ASIAOK", sane, "tok\\en; touch PWNED", in_an_hour_ms()),
            "sessionToken",
        ),
        (
            role_answer("ASIAOK", sane, "", in_an_hour_ms()),
            "sessionToken",
        ),
        (
            role_answer("ASIA OK", sane, "tok", in_an_hour_ms()),
            "accessKeyId",
        ),
    ];
    for (body, field) in cases {
        for args in [
            &["--profile", "dev-sso"][..],
            &["export", "--profile", "dev-sso", "--format", "fish"],
            &[
                "export",
                "--profile",
                "dev-sso",
                "--format",
                "credentials",
                "--to",
                "static",
            ],
        ] {
            env.standin
                .respond_next(Op::GetRoleCredentials, 200, body.clone());
            let run = env.run(args);
            clean_failure(
                &run,
                1,
                &["GetRoleCredentials", field, "not a credential value"],
            );
            assert!(!run.stderr.contains("PWNED"), "the value is never shown");
        }
    }
    assert!(!env.aws("credentials").exists(), "nothing written");
    assert!(!env.aws("cli/cache").exists(), "nothing cached");
    assert!(!env.home().join("PWNED").exists());
}

#[test]
fn dates_and_numbers_out_of_range_are_errors_not_panics() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    let sane = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    for (expiration, needle) in [
        (i64::MAX, "out of range"),
        (i64::MIN, "out of range"),
        (now_ms - 10_000, "past or within a minute"),
        (now_ms + 30_000, "past or within a minute"),
    ] {
        env.standin.respond_next(
            Op::GetRoleCredentials,
            200,
            role_answer("ASIAOK", sane, "tok", expiration),
        );
        clean_failure(&env.run(&["--profile", "dev-sso"]), 1, &[needle]);
    }

    // CreateToken's expiresIn, in a sign-in and in a refresh.
    for expires_in in [i64::MAX, 1_000_000_000_000_000, 0, -1] {
        let env = TestEnv::new();
        env.standard_config();
        env.standin.respond_next(
            Op::CreateTokenDevice,
            200,
            json!({"accessToken": "aoaHOSTILE", "tokenType": "Bearer", "expiresIn": expires_in})
                .to_string(),
        );
        clean_failure(
            &env.run(&["--profile", "dev-sso", "--flow", "device"]),
            1,
            &["CreateToken", "expiresIn", "out of range"],
        );
    }
    // Tokens that could not go into a header or the token file.
    for token in ["", "aoa\r\nx-injected: 1", "aoa token"] {
        let env = TestEnv::new();
        env.standard_config();
        env.standin.respond_next(
            Op::CreateTokenDevice,
            200,
            json!({"accessToken": token, "tokenType": "Bearer", "expiresIn": 3600}).to_string(),
        );
        clean_failure(
            &env.run(&["--profile", "dev-sso", "--flow", "device"]),
            1,
            &["CreateToken", "accessToken is not a token"],
        );
        assert!(!env.token_path("corp").exists());
    }
    let env = TestEnv::new();
    env.standard_config();
    env.write_refreshable_token("expired", -60);
    env.standin.respond_next(
        Op::CreateTokenRefresh,
        200,
        json!({"accessToken": "aoaHOSTILE", "expiresIn": i64::MAX}).to_string(),
    );
    clean_failure(&env.run(&["--profile", "dev-sso"]), 1, &["expiresIn"]);

    // The device authorization's expiresIn.
    let env = TestEnv::new();
    env.standard_config();
    env.standin.respond_next(
        Op::StartDeviceAuthorization,
        200,
        json!({"deviceCode": "d", "userCode": "ABCD-EFGH",
               "verificationUri": format!("{}/device", env.standin.url()),
               "verificationUriComplete": format!("{}/device?user_code=ABCD-EFGH", env.standin.url()),
               "expiresIn": i64::MAX, "interval": 1_000_000_000})
        .to_string(),
    );
    clean_failure(
        &env.run(&["--profile", "dev-sso", "--flow", "device"]),
        1,
        &["StartDeviceAuthorization", "expiresIn", "out of range"],
    );
}

#[test]
fn malformed_answers_are_reported_as_such() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    let bodies: Vec<Vec<u8>> = vec![
        b"{\"roleCredentials\": {\"accessKeyId\": \"A".to_vec(),
        b"not json at all".to_vec(),
        b"{\"roleCredentials\": {\"accessKeyId\": 5}}".to_vec(),
        b"[]".to_vec(),
        b"{\"roleCredentials\": {\"accessKeyId\": \"\xff\xfe\"}}".to_vec(),
        b"\x1b]0;retitled\x07".to_vec(),
    ];
    for body in bodies {
        env.standin.respond_next(Op::GetRoleCredentials, 200, body);
        let run = env.run(&["--profile", "dev-sso"]);
        clean_failure(&run, 1, &["GetRoleCredentials", "unexpected answer"]);
        assert!(!run.stderr.contains("could not reach"), "{}", run.stderr);
    }
    // An error answer's words reach the terminal without control characters.
    env.standin.respond_next(
        Op::GetRoleCredentials,
        403,
        json!({"message": "no\u{1b}[2J\u{1b}]0;pwned\u{7} access"}).to_string(),
    );
    clean_failure(
        &env.run(&["--profile", "dev-sso"]),
        1,
        &["HTTP 403", "no[2J]0;pwned access"],
    );
}

#[test]
fn doctored_cache_files_are_misses() {
    let env = TestEnv::new();
    env.standard_config();
    let first = env.run(&["--profile", "dev-sso"]).json();
    let cache = files_under(&env.aws("cli/cache"));
    assert_eq!(cache.len(), 1);
    let mut doc: serde_json::Value = TestEnv::read_json(&cache[0]);
    for (field, value) in [
        ("Expiration", json!("9999-12-31T23:59:59-23:59")),
        ("Expiration", json!("0000-01-01T00:00:00+23:59")),
        ("Expiration", json!(12)),
        (
            "SecretAccessKey",
            json!("x\n[default]\ncredential_process = touch PWNED"),
        ),
        ("AccessKeyId", json!("ASIA'$(touch PWNED)'")),
    ] {
        let saved = doc["Credentials"][field].clone();
        doc["Credentials"][field] = value;
        std::fs::write(&cache[0], doc.to_string()).unwrap();
        // A miss: fetched again, served, and every later call works.
        let again = env.run(&["--profile", "dev-sso"]).json();
        assert_ne!(again["AccessKeyId"], first["AccessKeyId"], "{field}");
        env.run(&["--profile", "dev-sso"]).json();
        doc = TestEnv::read_json(&cache[0]);
        let _ = saved;
    }
    // A doctored token file is a miss too: signed in again.
    let token = env.token_path("corp");
    let mut t: serde_json::Value = TestEnv::read_json(&token);
    t["expiresAt"] = json!("9999-12-31T23:59:59-23:59");
    std::fs::write(&token, t.to_string()).unwrap();
    std::fs::remove_dir_all(env.aws("cli/cache")).unwrap();
    env.run(&["--profile", "dev-sso"]).json();
}

#[test]
fn answers_too_large_or_cut_off_are_named_for_what_they_are() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    // Larger than any AWS answer: refused as such, not retried.
    let huge = format!("{{\"message\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    env.standin.respond_next(Op::GetRoleCredentials, 200, huge);
    let before = env.standin.count(Op::GetRoleCredentials);
    clean_failure(
        &env.run(&["--profile", "dev-sso"]),
        1,
        &["unexpected answer", "larger than 1024 KiB"],
    );
    assert_eq!(env.standin.count(Op::GetRoleCredentials), before + 1);
    // Closed after the request was sent, every time: no "could not reach".
    for _ in 0..4 {
        env.standin.respond_next(Op::GetRoleCredentials, 0, "");
    }
    let run = env.run(&["--profile", "dev-sso"]);
    clean_failure(
        &run,
        1,
        &["GetRoleCredentials to 127.0.0.1 got no complete answer"],
    );
    assert!(!run.stderr.contains("could not reach"), "{}", run.stderr);
}

/// A process that holds tokens writes no core dump: its core limit is 0.
#[cfg(target_os = "linux")]
#[test]
fn no_core_dump_can_hold_a_token() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        ..Default::default()
    });
    env.standard_config();
    let mut child = env
        .command(BIN, &["login", "--profile", "dev-sso", "--flow", "device"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while env.standin.count(Op::CreateTokenDevice) < 1 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    // The soft limit is 0; the hard one is left as it was, so that `exec` can
    // give its command the limit the user had.
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(fields[4], "0", "{core}");
    let own = std::fs::read_to_string("/proc/self/limits").unwrap();
    let own_hard = own
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .and_then(|l| l.split_whitespace().nth(5).map(str::to_string))
        .unwrap();
    assert_eq!(fields[5], own_hard, "{core}");
}

/// A FIFO, a device or a directory where a file is expected: a cache miss, or a
/// clear error for a file the user named — never a read that blocks.
#[cfg(unix)]
#[test]
fn special_files_never_block() {
    let limit = std::time::Duration::from_secs(20);
    let mkfifo = |p: &std::path::Path| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(p);
        assert!(
            std::process::Command::new("mkfifo")
                .arg(p)
                .status()
                .unwrap()
                .success()
        );
    };
    let mut env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).json();
    // The role cache and the token are FIFOs: misses; signed in again, served.
    let role = files_under(&env.aws("cli/cache")).remove(0);
    mkfifo(&role);
    mkfifo(&env.token_path("corp"));
    let run = env.run_within(&["--profile", "dev-sso"], limit);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The lock-failure record and the role index too.
    for f in files_under(&env.aws("sso-helper")) {
        if f.extension().is_some_and(|e| e == "json") {
            mkfifo(&f);
        }
    }
    env.run_within(&["logout", "--profile", "dev-sso"], limit);
    env.run_within(&["status"], limit).ok();
    // Files the user names: a clear error.
    let fifo = env.home().join("bundle.pem");
    mkfifo(&fifo);
    env.set("AWS_CA_BUNDLE", &fifo.display().to_string());
    let run = env.run_within(&["--profile", "dev-sso"], limit);
    run.fails(2, &["AWS_CA_BUNDLE", "it is a FIFO, not a regular file"]);
    env.set("AWS_CA_BUNDLE", "");
    mkfifo(&env.aws("config"));
    env.run_within(&["--profile", "dev-sso"], limit)
        .fails(2, &["cannot be read", "FIFO"]);
    env.set("AWS_CONFIG_FILE", "/dev/zero");
    env.run_within(&["--profile", "dev-sso"], limit)
        .fails(2, &["cannot be read", "device"]);
}
