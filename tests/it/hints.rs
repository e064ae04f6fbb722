//! Every hint works as printed: each error that suggests an `sso-helper …`
//! command is produced, the command is taken from the message exactly as printed
//! and run through `sh -c` (with sso-helper on PATH) against the stand-in, and it
//! must succeed — for the same target (profile, sso-session, token store) as the
//! command that failed.

use crate::support::*;

/// The `sso-helper …` commands quoted (in backticks) in `text`.
fn commands_in(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("sso-helper"))
        .map(str::to_string)
        .collect()
}

/// Runs `command` as a user would paste it, with sso-helper on PATH.
#[track_caller]
fn run_as_printed(env: &TestEnv, command: &str) -> Run {
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}:/usr/local/bin:/usr/bin:/bin",
        bin_dir.display(),
        TestEnv::browser_dir().display()
    );
    let mut cmd = env.command("sh", &["-c", command]);
    cmd.env("PATH", path);
    env.finish(cmd.output().unwrap())
}

/// The failure's hints, each run as printed: all must succeed. Returns them.
#[track_caller]
fn hints_work(env: &TestEnv, failed: &Run) -> Vec<String> {
    assert_ne!(failed.code, 0, "expected a failure");
    let commands = commands_in(failed.stderr.lines().last().unwrap_or(""));
    assert!(
        !commands.is_empty(),
        "no command in the hint:\n{}",
        failed.stderr
    );
    for c in &commands {
        let run = run_as_printed(env, c);
        assert_eq!(
            run.code, 0,
            "the hint `{c}` failed:\n{}\n(the error was: {})",
            run.stderr, failed.stderr
        );
    }
    commands
}

const SESSION_ONLY: &str = "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n";

#[test]
fn login_hints_name_the_same_target() {
    // --no-login, by profile: the profile is named even when it is `default`.
    let env = TestEnv::new();
    env.standard_config();
    let failed = env.run(&["--profile", "dev-sso", "--no-login"]);
    failed.fails(3, &[]);
    assert_eq!(
        hints_work(&env, &failed),
        ["sso-helper login --profile dev-sso"]
    );
    env.run(&["--profile", "dev-sso", "--no-login"]).ok();

    // A session named with --sso-session while [default] has no SSO settings.
    let env = TestEnv::new();
    env.write_config(&format!("[default]\nregion = eu-west-1\n{SESSION_ONLY}"));
    let failed = env.run(&["list", "--sso-session", "corp", "--no-login"]);
    assert_eq!(
        hints_work(&env, &failed),
        ["sso-helper login --sso-session corp"]
    );
    env.run(&["list", "--sso-session", "corp", "--no-login"])
        .ok();

    // A layout-A profile from AWS_PROFILE: the hint names its target, with the
    // token store chosen by flag.
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_PROFILE", "dev");
    let failed = env.run(&["--no-login", "--token-store", "file"]);
    assert_eq!(
        hints_work(&env, &failed),
        ["sso-helper login --profile dev-sso --token-store file"]
    );

    // A legacy session reached without a profile of its own (status).
    let env = TestEnv::new();
    env.write_config(&format!(
        "[default]\nregion = x\n[profile legacy]\nsso_helper_start_url = {START_URL}\nsso_helper_region = us-east-1\nsso_helper_account_id = 222222222222\nsso_helper_role_name = ReadOnly\n"
    ));
    let status = env.run(&["status"]).ok().stdout.clone();
    let commands = commands_in(&status);
    assert_eq!(commands, ["sso-helper login --profile legacy"], "{status}");
    run_as_printed(&env, &commands[0]).ok();
}

#[test]
fn a_sign_in_that_failed_says_how_to_retry() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Deny,
        ..Default::default()
    });
    env.standard_config();
    let failed = env.run(&["--profile", "admin", "--flow", "device"]);
    failed.fails(1, &["denied"]);
    env.standin.set_approval(Approval::Approve);
    hints_work(&env, &failed);
    env.run(&["--profile", "admin", "--no-login"]).ok();

    // Refused because no one could see it: the hint, run in a terminal (or with a
    // browser, as here), signs in.
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_NO_BROWSER", "1");
    let failed = env.run_detached(&["--profile", "dev-sso"]);
    failed.fails(3, &[]);
    let env2 = TestEnv::new();
    env2.standard_config();
    let failed2 = env2.run_detached(&["--profile", "dev-sso", "--no-browser"]);
    assert_eq!(
        commands_in(&failed.stderr),
        commands_in(&failed2.stderr),
        "the same hint either way"
    );
    hints_work(&env2, &failed2);
    drop(env);
}

#[test]
fn portal_refusals_name_the_account_role_and_profile() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    env.standin.fail_next(Op::GetRoleCredentials, 403, 1);
    let failed = env.run(&["--profile", "dev-sso"]);
    failed.fails(
        1,
        &[
            "HTTP 403",
            "account 111111111111, role ReadOnly, [profile dev-sso]",
            "sso-helper list --profile dev-sso",
        ],
    );
    hints_work(&env, &failed);

    // A role that is not assigned: 404, the same.
    let env = TestEnv::new();
    env.write_config(&format!(
        "{SESSION_ONLY}[profile nope]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = Admin\n"
    ));
    let failed = env.run(&["--profile", "nope"]);
    failed.fails(1, &["HTTP 404", "role Admin, [profile nope]"]);
    hints_work(&env, &failed);

    // A token rejected twice: sign in again, for this profile.
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    env.standin.fail_next(Op::GetRoleCredentials, 401, 2);
    let failed = env.run(&["--profile", "dev-sso"]);
    failed.fails(1, &["HTTP 401"]);
    assert_eq!(
        hints_work(&env, &failed),
        ["sso-helper login --profile dev-sso"]
    );
}

#[test]
fn usage_and_config_hints_run() {
    let env = TestEnv::new();
    env.standard_config();
    for args in [&["--bogus"][..], &["list", "--all"], &["login", "extra"]] {
        let failed = env.run(args);
        failed.fails(2, &[]);
        hints_work(&env, &failed);
    }
    let env = TestEnv::new();
    let failed = env.run(&["--profile", "dev"]);
    failed.fails(2, &["does not exist"]);
    hints_work(&env, &failed);
}
