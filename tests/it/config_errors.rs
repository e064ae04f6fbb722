//! Every bad configuration exits 2 with empty stdout and one line naming the file,
//! the section and the key, and how to fix it — before any request is made.

use crate::support::*;

#[track_caller]
fn config_error(config: Option<&str>, args: &[&str], needles: &[&str]) {
    let env = TestEnv::new();
    if let Some(c) = config {
        env.write_config(c);
    }
    let run = env.run(args);
    let path = env.aws("config").display().to_string();
    let mut all = vec![path.as_str()];
    all.extend_from_slice(needles);
    run.fails(2, &all);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    assert!(env.standin.requests().is_empty());
}

const SESSION: &str = "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n";

#[test]
fn missing_config_file() {
    config_error(
        None,
        &["--profile", "dev"],
        &["does not exist", "AWS_CONFIG_FILE"],
    );
}

#[test]
fn unknown_profile() {
    config_error(
        Some(&format!("{SESSION}[profile a]\nsso_session = corp\n")),
        &["--profile", "dev"],
        &["profile \"dev\" not found", "[profile dev]", "(a)"],
    );
}

#[test]
fn session_naming_no_section() {
    config_error(
        Some(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R\n",
        ),
        &["--profile", "dev"],
        &[
            "[profile dev]",
            "sso_session = corp",
            "no [sso-session corp] section",
        ],
    );
}

#[test]
fn missing_account_and_role() {
    config_error(
        Some(&format!(
            "{SESSION}[profile dev]\nsso_helper_session = corp\nsso_helper_role_name = R\n"
        )),
        &["--profile", "dev"],
        &[
            "[profile dev]",
            "sso_account_id",
            "add sso_helper_account_id",
        ],
    );
    config_error(
        Some(&format!(
            "{SESSION}[profile dev]\nsso_helper_session = corp\nsso_helper_account_id = 111111111111\n"
        )),
        &["--profile", "dev"],
        &["[profile dev]", "sso_role_name"],
    );
}

#[test]
fn missing_session_keys() {
    config_error(
        Some("[sso-session corp]\nsso_region = us-east-1\n[profile dev]\nsso_session = corp\n"),
        &["--profile", "dev"],
        &["[sso-session corp]", "sso_start_url"],
    );
}

#[test]
fn account_id_not_12_digits() {
    config_error(
        Some(&format!(
            "{SESSION}[profile dev]\nsso_session = corp\nsso_account_id = 12345\nsso_role_name = R\n"
        )),
        &["--profile", "dev"],
        &["[profile dev]", "sso_account_id = 12345", "12-digit"],
    );
}

#[test]
fn session_and_profile_disagree() {
    config_error(
        Some(&format!(
            "{SESSION}[profile dev]\nsso_session = corp\nsso_start_url = https://d-other.awsapps.com/start\nsso_account_id = 111111111111\nsso_role_name = R\n"
        )),
        &["--profile", "dev"],
        &["[profile dev]", "sso_start_url", "[sso-session corp]"],
    );
}

#[test]
fn profile_without_sso_settings() {
    config_error(
        Some("[profile dev]\nregion = us-east-1\n"),
        &["--profile", "dev"],
        &["[profile dev]", "no IAM Identity Center settings"],
    );
}

#[test]
fn aws_config_file_is_honoured() {
    let mut env = TestEnv::new();
    let path = env.home().join("elsewhere.ini");
    std::fs::write(&path, "[profile x]\nregion = a\n").unwrap();
    env.set("AWS_CONFIG_FILE", &path.display().to_string());
    env.run(&["--profile", "x"])
        .fails(2, &[path.display().to_string().as_str(), "[profile x]"]);
}

#[test]
fn a_config_path_that_cannot_be_read_is_a_configuration_error() {
    let mut env = TestEnv::new();
    let dir = env.home().join("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    env.set("AWS_CONFIG_FILE", &dir.display().to_string());
    env.run(&["--profile", "x"])
        .fails(2, &["cannot be read", "AWS_CONFIG_FILE"]);
}

/// A file botocore refuses is refused whole, whichever profile is asked for: exit
/// 2 naming the line, before any request.
#[test]
fn files_botocore_refuses_name_the_line() {
    let ok = format!(
        "{SESSION}[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R\n"
    );
    for (extra, needles) in [
        (
            "[profile other]\nregion = a\nRegion = b\n",
            &["line 10", "sets region a second time in [profile other]"][..],
        ),
        (
            "[profile dev]\nregion = x\n",
            &["line 8", "repeats the section [profile dev]"],
        ),
        (
            "[profile other]\njunk line\n",
            &["line 9 is not a `key = value` setting"],
        ),
        (
            "[profile other]\ns3 =\n  not a pair\n",
            &["line 10", "nested block of `s3 =`"],
        ),
    ] {
        for args in [
            &["--profile", "dev"][..],
            &["list", "--profile", "dev"],
            &["status"],
        ] {
            config_error(Some(&format!("{ok}{extra}")), args, needles);
        }
    }
}

/// What botocore accepts is accepted: an indented line continues the key above it,
/// even with no `=` of its own, in any profile.
#[test]
fn continuation_lines_in_other_profiles_are_values() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{SESSION}[profile other]\nnote = a note\n  that goes on\n[profile dev]\n  sso_session = corp\n  sso_account_id = 111111111111\n  sso_role_name = ReadOnly\n"
    ));
    let creds = env.run(&["--profile", "dev"]).json();
    assert_eq!(creds["AccountId"], "111111111111");
}

/// A byte-order mark is named as such, and the command the hint gives removes it.
#[test]
fn a_byte_order_mark_is_named_and_the_hint_removes_it() {
    let env = TestEnv::new();
    let good = format!(
        "{SESSION}[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n"
    );
    env.write_config(&format!("\u{feff}{good}"));
    let run = env.run(&["--profile", "dev"]);
    run.fails(2, &["line 1", "byte-order mark", "perl -pi -e"]);
    let command = run
        .stderr
        .trim()
        .split("for example with: ")
        .nth(1)
        .unwrap();
    let done = env.command("sh", &["-c", command]).output().unwrap();
    assert!(done.status.success(), "{command}: {done:?}");
    assert_eq!(std::fs::read_to_string(env.aws("config")).unwrap(), good);
    env.run(&["--profile", "dev"]).ok();
}

/// A mistyped profile gets the closest name; `[m8]` without `profile ` is
/// explained.
#[test]
fn mistyped_profiles_are_helped() {
    let ok = format!(
        "{SESSION}[profile dev-admin]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R\n"
    );
    config_error(
        Some(&ok),
        &["--profile", "Dev-Admin"],
        &[
            "profile \"Dev-Admin\" not found",
            "did you mean \"dev-admin\"",
        ],
    );
    config_error(
        Some(&ok),
        &["--profile", "dev-admn"],
        &["did you mean \"dev-admin\""],
    );
    config_error(
        Some(&format!("{ok}[m8]\nsso_session = corp\n")),
        &["--profile", "m8"],
        &["there is a section [m8]", "write it as [profile m8]"],
    );
}

/// What a newcomer's odd files brought: a key inherited from [DEFAULT] does not
/// stop a layout-A profile from being followed; a loop of profiles that run each
/// other is named; `[sso_session corp]` is explained; a file that is not UTF-8
/// names the line; `$HOME` in AWS_CONFIG_FILE expands as botocore expands it.
#[test]
fn odd_but_real_configs() {
    let env = TestEnv::new();
    env.standard_config();
    let config = std::fs::read_to_string(env.aws("config")).unwrap();
    env.write_config(&format!("[DEFAULT]\nsso_region = us-east-1\n{config}"));
    assert_eq!(
        env.run(&["--profile", "dev"]).json()["AccountId"],
        "111111111111"
    );

    config_error(
        Some(
            "[profile w]\ncredential_process = sso-helper --profile w2\n[profile w2]\ncredential_process = sso-helper --profile w\n",
        ),
        &["--profile", "w"],
        &[
            "[profile w] runs sso-helper --profile w2",
            "[profile w2] runs sso-helper --profile w in turn",
        ],
    );
    config_error(
        Some(
            "[sso_session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n[profile p]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R\n",
        ),
        &["--profile", "p"],
        &[
            "no [sso-session corp] section",
            "write it as [sso-session corp]",
        ],
    );
    config_error(
        Some("[sso_session corp]\nsso_start_url = https://d-1.awsapps.com/start\n"),
        &["login", "--sso-session", "corp"],
        &[
            "[sso_session corp] is not read as one",
            "write it as [sso-session corp]",
        ],
    );

    let env = TestEnv::new();
    std::fs::create_dir_all(env.aws("")).unwrap();
    std::fs::write(
        env.aws("config"),
        b"[profile p]\nregion = ok\nnote = caf\xe9\n",
    )
    .unwrap();
    env.run(&["--profile", "p"])
        .fails(2, &["line 3 is not valid UTF-8"]);

    let mut env = TestEnv::new();
    std::fs::write(
        env.home().join("elsewhere.ini"),
        "[profile x]\nregion = a\n",
    )
    .unwrap();
    env.set("AWS_CONFIG_FILE", "$HOME/elsewhere.ini");
    env.run(&["--profile", "x"]).fails(
        2,
        &[
            "elsewhere.ini",
            "[profile x] has no IAM Identity Center settings",
        ],
    );
}
