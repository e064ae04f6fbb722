//! One sign-in for many processes (SPEC §5): parallel cold calls share one login and
//! one GetRoleCredentials per role; a failed sign-in fails its waiters with the same
//! error; a holder killed with SIGKILL does not wedge the others.

use std::process::{Child, Stdio};

use serde_json::json;

use crate::support::*;

fn three_role_config(env: &TestEnv) {
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
         [profile ro]\nsso_helper_session = corp\nsso_helper_account_id = 111111111111\nsso_helper_role_name = ReadOnly\n\
         [profile admin]\nsso_helper_session = corp\nsso_helper_account_id = 111111111111\nsso_helper_role_name = Admin\n\
         [profile prod]\nsso_helper_session = corp\nsso_helper_account_id = 222222222222\nsso_helper_role_name = ReadOnly\n"
    ));
}

fn spawn(env: &TestEnv, args: &[&str]) -> Child {
    env.command(BIN, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sso-helper")
}

#[test]
fn fifty_parallel_cold_calls_make_one_login_and_one_fetch_per_role() {
    let env = TestEnv::new();
    three_role_config(&env);
    let profiles = ["ro", "admin", "prod"];
    let children: Vec<(&str, Child)> = (0..50)
        .map(|i| {
            let p = profiles[i % 3];
            (p, spawn(&env, &["--profile", p]))
        })
        .collect();
    let runs: Vec<(&str, Run)> = children
        .into_iter()
        .map(|(p, c)| (p, env.finish(c.wait_with_output().unwrap())))
        .collect();
    assert_eq!(env.standin.count(Op::RegisterClient), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.browser_opens().len(), 1, "exactly one browser window");
    assert_eq!(
        env.standin.count(Op::GetRoleCredentials),
        3,
        "one fetch per role"
    );
    let issued = env.standin.issued_credentials();
    for (profile, run) in &runs {
        let out = run.json();
        let (account, role) = match *profile {
            "ro" => ("111111111111", "ReadOnly"),
            "admin" => ("111111111111", "Admin"),
            _ => ("222222222222", "ReadOnly"),
        };
        let want = issued
            .iter()
            .find(|c| c.account_id == account && c.role_name == role)
            .unwrap();
        assert_eq!(out["AccessKeyId"], json!(want.access_key_id), "{profile}");
    }
    let waited = runs
        .iter()
        .filter(|(_, r)| r.stderr.contains("waiting for the sign-in"))
        .count();
    assert!(waited >= 1, "waiting processes say so");
}

#[test]
fn a_denied_sign_in_fails_every_waiter_with_the_same_error() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Deny,
        ..Default::default()
    });
    three_role_config(&env);
    let children: Vec<Child> = (0..8).map(|_| spawn(&env, &["--profile", "ro"])).collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| env.finish(c.wait_with_output().unwrap()))
        .collect();
    assert_eq!(
        env.standin.count(Op::StartDeviceAuthorization),
        1,
        "no second login"
    );
    assert_eq!(env.browser_opens().len(), 1);
    let first_line = runs[0].stderr.lines().last().unwrap().to_string();
    for r in &runs {
        r.fails(1, &["denied in the browser"]);
        assert_eq!(r.stderr.lines().last().unwrap(), first_line);
    }
    // A process started after the failure tries again.
    env.standin.set_approval(Approval::Approve);
    env.run(&["--profile", "ro"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 2);
}

#[test]
fn a_killed_lock_holder_does_not_wedge_the_others() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        ..Default::default()
    });
    three_role_config(&env);
    let mut holder = spawn(&env, &["--profile", "ro"]);
    // Wait until it is polling: it holds the session lock.
    while env.standin.count(Op::CreateTokenDevice) < 1 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    holder.kill().unwrap(); // SIGKILL
    let _ = holder.wait();
    env.standin.set_approval(Approval::Approve);
    env.run(&["--profile", "ro"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 2);
    // Lock files stay in ~/.aws/sso-helper, private and secret-free.
    let dir = env.aws("sso-helper");
    for file in files_under(&dir) {
        let text = std::fs::read_to_string(file).unwrap();
        env.assert_no_secret_in(&text, "a lock file");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}
