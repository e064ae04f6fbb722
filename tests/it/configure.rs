//! `sso-helper configure`: layout-B profiles for every account and role of a session,
//! printed or merged into the config file (backup, every byte kept, atomic), and a
//! new `[sso-session]` section when the session has none.

use std::path::{Path, PathBuf};

use sso_helper::config::ConfigFile;

use crate::support::*;

/// The stand-in's four (account, role) pairs, as generated names.
const ALL: [(&str, &str, &str); 4] = [
    ("development-admin", "111111111111", "Admin"),
    ("development-readonly", "111111111111", "ReadOnly"),
    ("production-readonly", "222222222222", "ReadOnly"),
    ("sandbox-poweruser", "333333333333", "PowerUser"),
];

/// A session, a layout-A pair for 111111111111/ReadOnly (which does not count as
/// configured), comments, an inline `#` and odd spacing that must survive.
fn original() -> String {
    format!(
        "# my AWS config — hand-written\n\
         [sso-session corp]\n\
         sso_start_url = {START_URL}\n\
         sso_region = us-east-1\n\
         sso_registration_scopes = sso:account:access\n\
         \n\
         ; the standard layout\n\
         [profile dev-sso]\n\
         sso_session = corp\n\
         sso_account_id = 111111111111\n\
         sso_role_name = ReadOnly\n\
         region   =   eu-west-1   # my region\n\
         \n\
         [profile dev]\n\
         credential_process = {BIN} --profile dev-sso\n\
         # trailing comment, no newline at the end"
    )
}

fn config_path(env: &TestEnv) -> PathBuf {
    env.aws("config")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn backups(env: &TestEnv) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(env.aws(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("config.bak-")
        })
        .collect();
    v.sort();
    v
}

fn parse(text: &str) -> ConfigFile {
    ConfigFile::parse(Path::new("/stdout"), text).expect("valid config text")
}

/// What credential_process should run: this binary by its absolute path.
fn exe() -> String {
    std::fs::canonicalize(BIN).unwrap().display().to_string()
}

#[track_caller]
fn assert_layout_b(
    config: &ConfigFile,
    name: &str,
    session: &str,
    account: &str,
    role: &str,
    region: Option<&str>,
) {
    let p = config
        .profile(name)
        .unwrap_or_else(|| panic!("no [profile {name}]"));
    assert_eq!(
        p.get("credential_process"),
        Some(format!("{} --profile {name}", exe()).as_str())
    );
    assert_eq!(p.get("sso_helper_session"), Some(session), "{name}");
    assert_eq!(p.get("sso_helper_account_id"), Some(account), "{name}");
    assert_eq!(p.get("sso_helper_role_name"), Some(role), "{name}");
    assert_eq!(p.get("region"), region, "{name}");
    for k in [
        "sso_session",
        "sso_account_id",
        "sso_role_name",
        "sso_start_url",
    ] {
        assert_eq!(
            p.get(k),
            None,
            "{name} must not hold {k}: SDKs would read it"
        );
    }
}

#[track_caller]
fn unchanged(env: &TestEnv, before: &str) {
    assert_eq!(read(&config_path(env)), before, "the config file changed");
    assert!(backups(env).is_empty(), "a backup was written");
}

#[test]
fn print_mode_lists_every_pair_and_writes_nothing() {
    let env = TestEnv::new();
    env.write_config(&original());
    let out = env.run(&["configure", "--sso-session", "corp"]);
    out.ok();
    env.assert_no_secret_in(&out.stdout, "stdout");
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("# ") && first.contains("4 profiles generated"),
        "{}",
        out.stdout
    );
    assert!(
        first.contains("0 account/role pairs skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("credential_process runs {}", exe())),
        "{}",
        out.stdout
    );
    let printed = parse(&out.stdout);
    assert_eq!(printed.profile_order, ALL.map(|(n, _, _)| n.to_string()));
    assert!(printed.sessions.is_empty(), "the session exists already");
    for (name, account, role) in ALL {
        assert_layout_b(&printed, name, "corp", account, role, None);
    }
    unchanged(&env, &original());
    // The listing followed the stand-in's pagination (two accounts a page).
    assert!(env.standin.count(Op::ListAccounts) >= 2);
    assert_eq!(env.standin.count(Op::ListAccountRoles), 3);
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn write_keeps_every_byte_backs_up_and_the_profiles_work() {
    let env = TestEnv::new();
    env.write_config(&original());
    let path = config_path(&env);
    #[cfg(unix)]
    set_mode(&path, 0o640);
    let out = env.run(&["configure", "--sso-session", "corp", "--write"]);
    out.ok();
    env.assert_no_secret_in(&out.stdout, "stdout");
    let summary = out.stdout.lines().next().unwrap();
    assert!(
        summary.starts_with(&format!("added 4 profiles to {}; backup: ", path.display())),
        "{}",
        out.stdout
    );
    for (name, _, _) in ALL {
        assert!(
            out.stdout.contains(&format!("\n  {name}: ")),
            "{}",
            out.stdout
        );
    }
    let text = read(&path);
    assert!(
        text.starts_with(&original()),
        "the original is not a prefix:\n{text}"
    );
    assert!(
        text[original().len()..].starts_with("\n\n# Added by sso-helper configure"),
        "a line break ends the original, then one blank line:\n{text}"
    );
    let written = parse(&text);
    for (name, account, role) in ALL {
        assert_layout_b(&written, name, "corp", account, role, None);
    }
    // The old profiles are as they were.
    assert_eq!(
        written.profile("dev-sso").unwrap().get("region"),
        Some("eu-west-1   # my region")
    );
    let b = backups(&env);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(read(&b[0]), original());
    assert!(
        summary.ends_with(&format!("backup: {}", b[0].display())),
        "{summary}"
    );
    let stamp = b[0].file_name().unwrap().to_string_lossy()["config.bak-".len()..].to_string();
    assert!(
        stamp.len() == 14 && stamp.bytes().all(|c| c.is_ascii_digit()),
        "{stamp}"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o640, "the file keeps its mode");
        assert_eq!(mode(&b[0]), 0o600, "the backup is private");
    }
    let no_temp: Vec<_> = std::fs::read_dir(env.aws(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(no_temp.is_empty(), "{no_temp:?}");

    // Twice: nothing to add, nothing written, no second backup.
    let again = env.run(&["configure", "--sso-session", "corp", "--write"]);
    again.ok();
    assert!(
        again.stdout.starts_with("nothing to add")
            && again
                .stdout
                .contains("all 4 account/role pairs of sso-session \"corp\" already have profiles"),
        "{}",
        again.stdout
    );
    assert_eq!(read(&path), text);
    assert_eq!(backups(&env).len(), 1);
    let print = env.run(&["configure", "--sso-session", "corp"]);
    assert!(
        print.ok().stdout.contains("0 profiles generated")
            && print.stdout.contains("4 account/role pairs skipped")
            && print.stdout.contains("# nothing to add to "),
        "{}",
        print.stdout
    );

    // The generated profiles work, with the token configure signed in with.
    let logins = env.browser_opens().len();
    assert_eq!(logins, 1, "configure signed in once");
    for (name, account, role) in [ALL[3], ALL[0]] {
        let creds = env.run(&["--profile", name]).json();
        let issued = env.standin.issued_credentials();
        let last = issued.last().unwrap();
        assert_eq!(
            (last.account_id.as_str(), last.role_name.as_str()),
            (account, role)
        );
        assert_eq!(creds["AccessKeyId"], last.access_key_id.as_str());
    }
    assert_eq!(env.browser_opens().len(), 1, "no new sign-in");
}

#[test]
fn only_layout_b_profiles_of_the_session_count_as_configured() {
    let env = TestEnv::new();
    // dev-sso (layout A, 111111111111/ReadOnly) and legacy (layout B without a session,
    // 222222222222/ReadOnly) do not count; admin (layout B, corp, 111111111111/Admin) does.
    env.standard_config();
    let before = read(&config_path(&env));
    let out = env.run(&["configure", "--sso-session", "corp"]);
    out.ok();
    assert!(
        out.stdout.contains("3 profiles generated")
            && out.stdout.contains("1 account/role pair skipped"),
        "{}",
        out.stdout
    );
    let printed = parse(&out.stdout);
    assert_eq!(
        printed.profile_order,
        [
            "development-readonly",
            "production-readonly",
            "sandbox-poweruser"
        ]
    );
    unchanged(&env, &before);
    let out = env.run(&["configure", "--sso-session", "corp", "--write"]);
    assert!(
        out.ok()
            .stdout
            .contains("skipped 1 that already has a profile"),
        "{}",
        out.stdout
    );
    assert!(read(&config_path(&env)).starts_with(&before));
}

#[test]
fn prefix_region_and_names_taken_by_other_profiles() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\n\
         [profile development-readonly]\nregion = us-west-2\n\n\
         [profile corp-production-readonly]\nregion = us-west-2\n\n\
         [profile corp-production-readonly-2]\nregion = us-west-2\n"
    ));
    let out = env.run(&["configure", "--sso-session", "corp"]);
    let printed = parse(&out.ok().stdout);
    assert_eq!(
        printed.profile_order,
        [
            "development-admin",
            "development-readonly-2",
            "production-readonly",
            "sandbox-poweruser"
        ]
    );
    assert_layout_b(
        &printed,
        "development-readonly-2",
        "corp",
        "111111111111",
        "ReadOnly",
        None,
    );

    let out = env.run(&[
        "configure",
        "--sso-session",
        "corp",
        "--prefix",
        "corp-",
        "--region",
        "eu-central-1",
        "--write",
    ]);
    out.ok();
    let written = parse(&read(&config_path(&env)));
    let names = [
        "corp-development-admin",
        "corp-development-readonly",
        "corp-production-readonly-3",
        "corp-sandbox-poweruser",
    ];
    for (name, (_, account, role)) in names.into_iter().zip(ALL) {
        assert_layout_b(&written, name, "corp", account, role, Some("eu-central-1"));
        assert!(
            out.stdout.contains(&format!("  {name}: ")),
            "{}",
            out.stdout
        );
    }
    // The profiles that were there are untouched.
    assert_eq!(
        written
            .profile("development-readonly")
            .unwrap()
            .entries()
            .count(),
        1
    );
    // A second run with another prefix adds nothing: the pairs are configured.
    let again = env.run(&[
        "configure",
        "--sso-session",
        "corp",
        "--prefix",
        "x-",
        "--write",
    ]);
    assert!(
        again.ok().stdout.starts_with("nothing to add"),
        "{}",
        again.stdout
    );
    assert_eq!(backups(&env).len(), 1);
}

#[test]
fn a_missing_session_is_created_from_flags() {
    let env = TestEnv::new();
    let before = "# nothing but a comment\n[profile other]\nregion = us-west-2\n";
    env.write_config(before);
    // Printed: the session section comes first, then the profiles.
    let out = env.run(&[
        "configure",
        "--sso-session",
        "neu",
        "--start-url",
        START_URL,
        "--sso-region",
        "us-east-1",
    ]);
    out.ok();
    assert!(
        out.stdout
            .contains("4 profiles generated and a new [sso-session neu] section"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "\n\n[sso-session neu]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n[profile development-admin]\n"
        )),
        "{}",
        out.stdout
    );
    let printed = parse(&out.stdout);
    for (name, account, role) in ALL {
        assert_layout_b(&printed, name, "neu", account, role, None);
    }
    unchanged(&env, before);

    // Written: --region alone gives the SSO region and the profiles' region.
    let out = env.run(&[
        "configure",
        "--sso-session",
        "neu",
        "--start-url",
        START_URL,
        "--region",
        "us-east-1",
        "--write",
    ]);
    out.ok();
    assert!(
        out.stdout.starts_with(&format!(
            "added 4 profiles and [sso-session neu] to {}; backup: ",
            config_path(&env).display()
        )),
        "{}",
        out.stdout
    );
    let text = read(&config_path(&env));
    assert!(text.starts_with(&format!("{before}\n# Added by")), "{text}");
    let written = parse(&text);
    let s = written.session("neu").unwrap();
    assert_eq!(
        (s.start_url.as_str(), s.region.as_str()),
        (START_URL, "us-east-1")
    );
    assert_eq!(s.scopes, ["sso:account:access"]);
    for (name, account, role) in ALL {
        assert_layout_b(&written, name, "neu", account, role, Some("us-east-1"));
    }
    assert_eq!(read(&backups(&env)[0]), before);
    // The profiles work with the token the first run signed in with.
    env.run(&["--profile", "production-readonly"]).json();
    assert_eq!(env.browser_opens().len(), 1, "one sign-in in all");
    // Now the session exists: a start URL that contradicts it is refused.
    env.run(&[
        "configure",
        "--sso-session",
        "neu",
        "--start-url",
        "https://d-0000000000.awsapps.com/start",
    ])
    .fails(2, &["--start-url", "differs from sso_start_url"]);
}

#[test]
fn a_missing_session_without_a_terminal_names_the_flag() {
    let env = TestEnv::new();
    env.write_config("[profile other]\nregion = us-west-2\n");
    let before = read(&config_path(&env));
    let out = env.run(&["configure", "--sso-session", "neu", "--write"]);
    out.fails(2, &["[sso-session neu]", "--start-url"]);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    env.run(&[
        "configure",
        "--sso-session",
        "neu",
        "--start-url",
        START_URL,
    ])
    .fails(2, &["[sso-session neu]", "--sso-region"]);
    assert!(env.standin.requests().is_empty());
    unchanged(&env, &before);
}

#[test]
fn bad_values_are_usage_errors_before_any_request() {
    let env = TestEnv::new();
    env.standard_config();
    let before = read(&config_path(&env));
    for (args, needles) in [
        (&["--prefix", "my team"][..], &["--prefix my team"][..]),
        (&["--prefix", "a]"], &["--prefix a]"]),
        (
            &["--region", "Europe 1"],
            &["--region Europe 1", "not an AWS region"],
        ),
        (&["--profile", "dev"], &["does not take --profile"]),
        (&["--format", "json"], &["does not take --format"]),
        (&["--bogus"], &["--bogus"]),
    ] {
        let mut all = vec!["configure", "--sso-session", "corp"];
        all.extend_from_slice(args);
        env.run(&all).fails(2, needles);
    }
    for (args, needles) in [
        (
            &[
                "--start-url",
                "http://d-1.awsapps.com/start",
                "--sso-region",
                "us-east-1",
            ][..],
            &["--start-url http://", "access portal URL"][..],
        ),
        (
            &[
                "--start-url",
                "d-1.awsapps.com",
                "--sso-region",
                "us-east-1",
            ],
            &["--start-url d-1.awsapps.com"],
        ),
        (
            &["--start-url", START_URL, "--sso-region", "US-EAST-1"],
            &["--sso-region US-EAST-1"],
        ),
    ] {
        let mut all = vec!["configure", "--sso-session", "neu", "--write"];
        all.extend_from_slice(args);
        env.run(&all).fails(2, needles);
    }
    env.run(&[
        "configure",
        "--sso-session",
        "my corp",
        "--start-url",
        START_URL,
        "--sso-region",
        "us-east-1",
    ])
    .fails(2, &["--sso-session my corp"]);
    assert!(env.standin.requests().is_empty());
    unchanged(&env, &before);
}

#[test]
fn help() {
    let env = TestEnv::new();
    for args in [&["configure", "--help"][..], &["help", "configure"]] {
        let out = env.run(args);
        out.ok();
        assert!(
            out.stdout
                .contains("sso-helper configure [--sso-session NAME] [--write]"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("CONFIG.bak-YYYYMMDDHHMMSS"));
    }
}

#[test]
fn on_a_terminal_the_missing_session_settings_are_asked_for() {
    use std::io::Write;
    let env = TestEnv::new();
    env.write_config("[profile other]\nregion = us-west-2\n");
    // Under a pseudo-terminal (`script`, as in terminal.rs), the answers typed in.
    let inner = format!("'{BIN}' configure --sso-session neu --write");
    let mut child = env
        .command("script", &["-q", "-e", "-c", &inner, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("script: {e}; install util-linux's script (Debian: bsdutils)"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{START_URL}\nus-east-1\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{terminal}");
    env.assert_no_secret_in(&terminal, "the terminal");
    assert!(
        terminal.contains("SSO start URL") && terminal.contains("SSO region"),
        "{terminal}"
    );
    assert!(
        terminal.contains("added 4 profiles and [sso-session neu]"),
        "{terminal}"
    );
    let s = parse(&read(&config_path(&env))).session("neu").unwrap();
    assert_eq!(
        (s.start_url.as_str(), s.region.as_str()),
        (START_URL, "us-east-1")
    );
}

#[test]
fn write_creates_the_config_file_when_there_is_none() {
    let env = TestEnv::new();
    let path = config_path(&env);
    assert!(!path.exists());
    let out = env.run(&[
        "configure",
        "--sso-session",
        "corp",
        "--start-url",
        START_URL,
        "--sso-region",
        "us-east-1",
        "--write",
    ]);
    out.ok();
    assert!(out.stdout.contains("added 4 profiles"), "{}", out.stdout);
    assert!(backups(&env).is_empty(), "nothing to back up");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let cfg = parse(&read(&path));
    assert!(cfg.sessions.contains_key("corp"));
    // The generated profiles work.
    env.run(&["--profile", "production-readonly"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

#[test]
fn a_big_organisation_gets_every_profile_in_order() {
    // 300 accounts, two items a page (ListAccounts in many pages, the roles of every
    // sixth account in two), some latency.
    let env = TestEnv::with(StandInConfig {
        accounts: sso_standin::generated_accounts(300),
        page_size: 2,
        latency_ms: 10,
        ..Default::default()
    });
    env.write_config(&original());
    // What asking one account after another gave: by account name, then role.
    let mut accounts = sso_standin::generated_accounts(300);
    accounts.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    let mut want = Vec::new();
    for a in &accounts {
        let mut roles = a.roles.clone();
        roles.sort();
        for r in roles {
            let name = format!(
                "{}-{}",
                a.name.to_lowercase().replace(' ', "-"),
                r.to_lowercase()
            );
            want.push((name, a.id.clone(), r));
        }
    }
    assert_eq!(want.len(), 550);
    let out = env.run(&["configure", "--sso-session", "corp"]);
    out.ok();
    assert!(
        !out.stderr.contains("listing") && !out.stderr.contains('\r'),
        "progress text on a stderr that is not a terminal:\n{}",
        out.stderr
    );
    let printed = parse(&out.stdout);
    let names: Vec<&str> = printed.profile_order.iter().map(String::as_str).collect();
    let want_names: Vec<&str> = want.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, want_names);
    for (name, account, role) in &want {
        assert_layout_b(&printed, name, "corp", account, role, None);
    }
    assert!(env.standin.max_in_flight(Op::ListAccountRoles) <= 16);
    // Written, then nothing left to add.
    env.run(&["configure", "--sso-session", "corp", "--write"])
        .ok();
    let again = env.run(&["configure", "--sso-session", "corp", "--write"]);
    assert!(
        again.ok().stdout.contains("all 550 account/role pairs"),
        "{}",
        again.stdout
    );
}

/// botocore reads the config file in the system's code page on Windows, where a
/// byte outside ASCII stops every AWS CLI command on Chinese, Japanese and Korean
/// systems: every byte configure adds is ASCII whatever the portal's account
/// names (the user's own em dash stays as it was), in print mode too (it may be
/// pasted), and the profile names are the names folded to ASCII.
#[test]
fn every_byte_configure_adds_is_ascii() {
    let env = TestEnv::with(StandInConfig {
        accounts: vec![
            sso_standin::Account::new(
                "111111111111",
                "Développement — Équipe",
                "d@example.com",
                &["Admin"],
            ),
            sso_standin::Account::new("222222222222", "本番環境", "p@example.com", &["ReadOnly"]),
            sso_standin::Account::new(
                "333333333333",
                "Zürich ☃ Prod",
                "z@example.com",
                &["PowerUser"],
            ),
        ],
        ..StandInConfig::default()
    });
    env.write_config(&original());
    let printed = env.run(&["configure", "--sso-session", "corp"]);
    printed.ok();
    assert!(printed.stdout.is_ascii(), "{}", printed.stdout);
    env.run(&["configure", "--sso-session", "corp", "--write"])
        .ok();
    let text = read(&config_path(&env));
    assert!(text.starts_with(&original()), "{text}");
    let added = &text[original().len()..];
    assert!(added.is_ascii(), "not ASCII:\n{added}");
    let written = parse(&text);
    for (name, account, role) in [
        ("developpement-equipe-admin", "111111111111", "Admin"),
        ("ben-fan-huan-jing-readonly", "222222222222", "ReadOnly"),
        ("zurich-snowman-prod-poweruser", "333333333333", "PowerUser"),
    ] {
        assert_layout_b(&written, name, "corp", account, role, None);
    }
}
