//! The OS keychain store against a real Secret Service (gnome-keyring on a private
//! D-Bus): nothing long-lived on disk, `auto`'s fallback, `keychain`'s refusal.

use std::path::Path;

use serde_json::json;

use crate::support::*;

fn keychain_env(store: &str) -> (TestEnv, SecretService) {
    let service = SecretService::start();
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", store);
    env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    (env, service)
}

#[test]
fn keychain_store_keeps_no_secret_on_disk() {
    let (env, _service) = keychain_env("keychain");
    let first = env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(first["AccessKeyId"], json!(issued_keys(&env.standin)[0]));
    // Warm: served from the keychain, no request.
    let before = env.standin.requests().len();
    assert_eq!(env.run(&["--profile", "dev-sso"]).json(), first);
    assert_eq!(env.standin.requests().len(), before);
    // Another role of the same session reuses the keychain's token.
    env.run(&["--profile", "admin"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    // No secret the stand-in issued is anywhere under HOME.
    let secrets = env.standin.secrets();
    assert!(!secrets.is_empty());
    for file in files_under(env.home()) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "a secret is on disk in {}",
                file.display()
            );
        }
    }
    assert!(!env.aws("sso/cache").exists() || files_under(&env.aws("sso/cache")).is_empty());
    assert!(!env.aws("cli/cache").exists());
}

#[test]
fn keychain_token_is_refreshed_and_401_handled() {
    let (env, _service) = keychain_env("keychain");
    env.run(&["--profile", "dev-sso"]).json();
    // Revoke every token: the next fetch gets 401, refreshes, and succeeds.
    env.standin.revoke_access_tokens();
    env.run(&["--profile", "admin"]).json();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

#[test]
fn auto_uses_the_keychain_when_it_answers() {
    let (env, _service) = keychain_env("auto");
    let run = env.run(&["--profile", "dev-sso"]);
    run.json();
    assert!(!run.stderr.contains("no OS keychain"), "{}", run.stderr);
    assert!(
        !env.token_path("corp").exists(),
        "the token went to the keychain"
    );
}

#[test]
fn auto_falls_back_to_the_file_store_and_says_so_once() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "auto");
    let first = env.run(&["--profile", "dev-sso"]);
    first.json();
    assert_eq!(
        first.stderr.matches("no OS keychain answered").count(),
        1,
        "{}",
        first.stderr
    );
    assert!(env.token_path("corp").exists());
    std::fs::remove_dir_all(env.aws("cli/cache")).unwrap();
    let second = env.run(&["--profile", "dev-sso"]);
    second.json();
    assert!(
        !second.stderr.contains("no OS keychain"),
        "said once: {}",
        second.stderr
    );
}

#[test]
fn keychain_never_falls_back() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "keychain");
    // The harness points D-Bus at a bus that does not exist: no test reaches the
    // developer's own keychain.
    let bus = format!(
        "no D-Bus session bus at {}/no-session-bus",
        env.home().display()
    );
    env.run(&["--profile", "dev-sso"])
        .fails(1, &["OS keychain", &bus, "SSO_HELPER_TOKEN_STORE=file"]);
    env.set("SSO_HELPER_TOKEN_STORE", "file");
    env.run(&["--profile", "dev-sso", "--token-store", "keychain"])
        .fails(1, &["OS keychain"]);
    assert!(env.standin.requests().is_empty(), "no sign-in starts");
    assert!(env.browser_opens().is_empty());
    env.set("SSO_HELPER_TOKEN_STORE", "vault");
    env.run(&["--profile", "dev-sso"])
        .fails(2, &["SSO_HELPER_TOKEN_STORE = vault"]);
}

#[test]
fn keychain_store_imports_the_aws_cli_token() {
    let (env, _service) = keychain_env("keychain");
    let token = env.standin.seed_token();
    env.write_cli_token("corp", &json!({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": token, "expiresAt": utc_in(3600),
    }));
    env.run(&["--profile", "dev-sso", "--no-login"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
}

#[test]
fn a_revoked_aws_cli_token_is_not_imported_again() {
    let (env, _service) = keychain_env("keychain");
    let token = env.standin.seed_token();
    env.standin.revoke_access_tokens();
    env.write_cli_token("corp", &json!({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": token, "expiresAt": utc_in(3600),
    }));
    // Rejected once, then a sign-in is what is needed — not the same dead token.
    env.run(&["--profile", "dev-sso", "--no-login"])
        .fails(3, &["sso-helper login --profile dev-sso"]);
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

/// The hint names the setting that chose the keychain: the flag beats the
/// variable, so "export SSO_HELPER_TOKEN_STORE=file" would change nothing.
#[test]
fn the_keychain_hint_names_the_flag_when_the_flag_chose_it() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "file");
    env.run(&["--profile", "dev-sso", "--token-store", "keychain"])
        .fails(1, &["keychain", "pass --token-store file"]);
}

/// The D-Bus method calls one run of sso-helper makes, as `dbus-monitor --profile`
/// sees them on the test's private bus: (interface member) pairs, in order.
fn method_calls(service: &SecretService, run: impl FnOnce()) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let mut monitor = std::process::Command::new("dbus-monitor")
        .args(["--address", &service.address, "--profile"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("dbus-monitor: {e}; install it (apt-get install dbus) — .ci/run does")
        });
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = monitor.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait = std::time::Duration::from_secs(10);
    // The monitor is in place once the bus has told it it lost its name.
    while !lines
        .recv_timeout(wait)
        .expect("dbus-monitor started")
        .ends_with("NameLost")
    {}
    run();
    // The run is over once the bus says its connection's name is gone.
    let mut sender = None;
    let mut calls = Vec::new();
    loop {
        let line = lines
            .recv_timeout(wait)
            .expect("dbus-monitor saw the run end");
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mc", _, _, from, _, _, interface, member] => {
                if sender.is_none() && *member == "Hello" {
                    sender = Some(from.to_string());
                }
                if sender.as_deref() == Some(*from) {
                    calls.push(format!("{interface} {member}"));
                }
            }
            ["sig", _, _, _, to, _, _, "NameLost"] if sender.as_deref() == Some(*to) => break,
            _ => {}
        }
    }
    let _ = monitor.kill();
    let _ = monitor.wait();
    calls
}

/// A warm call is one lookup on one connection: no probe, no second session, no
/// key exchange round trip — exactly these four messages (docs/performance.md).
#[test]
fn a_warm_keychain_call_sends_four_dbus_messages() {
    let (env, service) = keychain_env("keychain");
    let first = env.run(&["--profile", "dev-sso"]).json();
    let mut warm = None;
    let calls = method_calls(&service, || warm = Some(env.run(&["--profile", "dev-sso"])));
    assert_eq!(warm.unwrap().json(), first);
    assert_eq!(
        calls,
        [
            "org.freedesktop.DBus Hello",
            "org.freedesktop.Secret.Service OpenSession",
            "org.freedesktop.Secret.Service SearchItems",
            "org.freedesktop.Secret.Item GetSecret",
        ]
    );
    // `auto` opens the same way: its probe is the session it then uses.
    let mut env = env;
    env.set("SSO_HELPER_TOKEN_STORE", "auto");
    let calls = method_calls(&service, || {
        env.run(&["--profile", "dev-sso"]).json();
    });
    assert_eq!(calls.len(), 4, "{calls:?}");
}

/// A keychain that opens but stays locked (its unlock prompt cannot be answered)
/// is reported as refusing, by `status` and `doctor` as by the credentials
/// command — never as "no token", whose fix (`sso-helper login`) would fail the
/// same way.
#[test]
fn a_locked_keychain_is_a_refusal_in_reports_too() {
    let (env, service) = keychain_env("keychain");
    env.run(&["login", "--profile", "dev-sso"]).ok();
    env.run(&["--profile", "dev-sso"]).json();
    service.lock();
    let refusal = [
        "cannot unlock the OS keychain",
        "unlock the keyring when asked",
        "SSO_HELPER_TOKEN_STORE=file",
    ];
    env.run(&["--profile", "dev-sso"]).fails(1, &refusal);
    for args in [&["status"][..], &["status", "--json"]] {
        let run = env.run(args);
        run.fails(1, &refusal);
        assert!(!run.stderr.contains("sso-helper login"), "{}", run.stderr);
    }
    let run = env.run(&["doctor", "--profile", "dev-sso"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let keychain = line_of(&run.stdout, "keychain");
    assert!(
        keychain.starts_with("fail")
            && keychain.contains("refuses to give the stored token")
            && keychain.contains("cannot unlock the OS keychain")
            && keychain.contains("→ fix: unlock the keyring when asked")
            && keychain.contains("SSO_HELPER_TOKEN_STORE=file"),
        "{}",
        run.stdout
    );
    let token = line_of(&run.stdout, "token");
    assert!(
        token.starts_with("skip") && token.contains("could not be read"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("sso-helper login"), "{}", run.stdout);
    // `auto` reaches the same keychain: it does not fall back on a refusal, and
    // neither does its report.
    let mut env = env;
    env.set("SSO_HELPER_TOKEN_STORE", "auto");
    env.run(&["status"]).fails(1, &refusal);
    let run = env.run(&["doctor", "--profile", "dev-sso"]);
    assert!(
        line_of(&run.stdout, "keychain").starts_with("fail"),
        "{}",
        run.stdout
    );
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

/// With `--token-store keychain` on the command line the variable changes
/// nothing: every fix names the flag, for every command, whatever the variable says.
#[test]
fn fixes_for_a_refusing_keychain_name_the_flag_when_the_flag_chose_it() {
    let (mut env, service) = keychain_env("keychain");
    env.run(&["login", "--profile", "dev-sso"]).ok();
    service.lock();
    env.set("SSO_HELPER_TOKEN_STORE", "auto");
    let flag = ["--token-store", "keychain"];
    for args in [
        &["--profile", "dev-sso"][..],
        &["status"],
        &["login", "--profile", "dev-sso"],
        &["logout", "--profile", "dev-sso"],
        &["list", "--profile", "dev-sso"],
    ] {
        let mut all = args.to_vec();
        all.extend(flag);
        let run = env.run(&all);
        run.fails(1, &["OS keychain", "pass --token-store file instead"]);
        assert!(
            !run.stderr.contains("SSO_HELPER_TOKEN_STORE"),
            "{all:?}: {}",
            run.stderr
        );
    }
    let run = env.run(&[
        "doctor",
        "--profile",
        "dev-sso",
        "--token-store",
        "keychain",
    ]);
    let keychain = line_of(&run.stdout, "keychain");
    assert!(
        keychain.starts_with("fail")
            && keychain.contains("pass --token-store file instead")
            && !keychain.contains("SSO_HELPER_TOKEN_STORE"),
        "{}",
        run.stdout
    );
}

/// `auto`'s fallback notice says how to silence it with the setting that chose
/// auto, and is said once — remembered by a marker file; when the marker cannot
/// be written, the same line says the notice comes again, and why.
#[test]
fn the_fallback_notice_names_the_flag_and_says_when_it_cannot_be_remembered() {
    let env = TestEnv::new();
    env.standard_config();
    let args = ["--profile", "dev-sso", "--token-store", "auto"];
    let notices = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| l.contains("no OS keychain answered"))
            .map(str::to_string)
            .collect()
    };
    let run = env.run(&args);
    run.json();
    let notice = notices(&run.stderr);
    assert_eq!(notice.len(), 1, "{}", run.stderr);
    assert!(
        notice[0].contains("(pass --token-store file instead to silence this)")
            && !notice[0].contains("SSO_HELPER_TOKEN_STORE"),
        "{}",
        notice[0]
    );
    // A file where sso-helper's directory should be: the marker cannot be
    // written, and a warm call (which takes no lock) still serves.
    std::fs::remove_dir_all(env.aws("sso-helper")).unwrap();
    std::fs::write(env.aws("sso-helper"), "").unwrap();
    for _ in 0..2 {
        let run = env.run(&args);
        run.json();
        let notice = notices(&run.stderr);
        assert_eq!(notice.len(), 1, "{}", run.stderr);
        assert!(
            notice[0].contains("this notice comes again on every call")
                && notice[0].contains("is a file, where a directory should be"),
            "{}",
            notice[0]
        );
    }
}

/// The first line of check `name` in a doctor report.
#[track_caller]
fn line_of<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{report}"))
}

/// The session bus is found wherever the D-Bus specification lets it be: an
/// abstract socket, a path with escaped bytes among several addresses, or
/// (the variable unset) `$XDG_RUNTIME_DIR/bus`, where systemd puts it. Each is
/// a real bus with a real Secret Service; a sign-in stores its token there and
/// the next call reads it back without a request.
#[test]
fn the_session_bus_is_found_at_every_kind_of_address() {
    /// Where the bus listens, given its runtime directory.
    type Listen = fn(&Path) -> String;
    let cases: [(&str, Listen); 3] = [
        ("abstract", |run| {
            format!("unix:abstract={}/abstract-bus", run.display())
        }),
        ("escaped path", |run| {
            format!("unix:path={}/bus%20with%20space", run.display())
        }),
        ("runtime dir", |run| {
            format!("unix:path={}/bus", run.display())
        }),
    ];
    for (kind, listen) in cases {
        let service = SecretService::start_listening(|run| Some(listen(run)));
        let mut env = TestEnv::new();
        env.standard_config();
        env.set("SSO_HELPER_TOKEN_STORE", "keychain");
        match kind {
            "runtime dir" => {
                env.unset("DBUS_SESSION_BUS_ADDRESS");
                env.set("XDG_RUNTIME_DIR", &service.runtime.display().to_string());
            }
            "escaped path" => {
                // A transport sso-helper does not speak comes first, and the path
                // has its spaces escaped, as dbus-daemon prints it.
                let address = &service.address;
                assert!(address.contains("bus%20with%20space"), "{address}");
                env.set(
                    "DBUS_SESSION_BUS_ADDRESS",
                    &format!("tcp:host=127.0.0.1,port=1;{address}"),
                );
            }
            _ => {
                assert!(
                    service.address.starts_with("unix:abstract="),
                    "{}",
                    service.address
                );
                env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
            }
        }
        let first = env.run(&["--profile", "dev-sso"]).json();
        let second = env.run(&["--profile", "dev-sso"]).json();
        assert_eq!(first, second, "{kind}");
        assert_eq!(env.standin.count(Op::GetRoleCredentials), 1, "{kind}");
        assert!(
            !env.aws("sso/cache").exists(),
            "{kind}: the token went to the file cache"
        );
    }
}

/// An address with no Unix socket in it is one line naming the variable and
/// what sso-helper needs, with the file store as the way out.
#[test]
fn a_session_bus_address_without_a_unix_socket_is_named() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "keychain");
    env.set("DBUS_SESSION_BUS_ADDRESS", "tcp:host=127.0.0.1,port=1");
    env.run(&["--profile", "dev-sso"]).fails(
        1,
        &[
            "DBUS_SESSION_BUS_ADDRESS = tcp:host=127.0.0.1,port=1 names no Unix socket",
            "SSO_HELPER_TOKEN_STORE=file",
        ],
    );
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
}

/// `auto` with a keychain that answers reads but refuses writes (no default
/// collection): the token and the role credentials both go to the AWS CLI's
/// file cache, each said once on stderr, and the next call is served from
/// there without a request.
#[test]
fn auto_keeps_what_the_keychain_refuses_in_the_file_cache() {
    let service = SecretService::start_without_login_keyring();
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "auto");
    env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    let first = env.run(&["--profile", "dev-sso"]);
    let creds = first.json();
    for what in [
        "the OS keychain did not take the token",
        "the OS keychain did not take the credentials of role ReadOnly in 111111111111",
    ] {
        assert_eq!(
            first.stderr.matches(what).count(),
            1,
            "{what}:\n{}",
            first.stderr
        );
    }
    assert!(env.aws("sso/cache").is_dir() && env.aws("cli/cache").is_dir());
    let second = env.run(&["--profile", "dev-sso"]);
    assert_eq!(second.json(), creds);
    assert_eq!(second.stderr, "", "a warm call says nothing");
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    // Another role needs the token: the one in the file cache is still valid,
    // so it is used as it is (no refresh, nothing written again).
    let admin = env.run(&["--profile", "admin"]);
    admin.json();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 0);
    assert!(
        !admin.stderr.contains("did not take the token"),
        "{}",
        admin.stderr
    );
    // status reports them where the call finds them.
    let status: serde_json::Value =
        serde_json::from_str(&env.run(&["status", "--json"]).ok().stdout).unwrap();
    let roles = status["sessions"][0]["roles"].as_array().unwrap();
    let dev = roles
        .iter()
        .find(|r| r["accountId"] == "111111111111" && r["roleName"] == "ReadOnly")
        .unwrap();
    assert_eq!(dev["cached"], json!(true), "{status}");
    // logout finds and deletes them there too: token, registration, role.
    let out = env
        .run(&["logout", "--profile", "dev-sso"])
        .ok()
        .stdout
        .clone();
    assert!(out.contains("the cached credentials of 2 roles"), "{out}");
    for dir in ["cli/cache", "sso/cache"] {
        let left = files_under(&env.aws(dir));
        assert!(left.is_empty(), "{dir}: {left:?}");
    }
    // `keychain` never falls back: it stops before a sign-in whose token it
    // could not keep.
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "keychain");
    env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    let fix = [
        "has no default collection",
        "give the keychain a default keyring",
        "SSO_HELPER_TOKEN_STORE=file",
    ];
    env.run(&["--profile", "dev-sso"]).fails(1, &fix);
    // Nor is a sign-in suggested that would fail the same way.
    env.set("SSO_HELPER_NO_LOGIN", "1");
    env.run(&["--profile", "dev-sso"]).fails(1, &fix);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 0);
}

/// `auto` with a keychain that refuses writes: the token kept in the file cache
/// is refreshed there when it expires, as the file store would, instead of
/// asking for a new sign-in.
#[test]
fn auto_refreshes_the_token_it_kept_in_the_file_cache() {
    let service = SecretService::start_without_login_keyring();
    let mut env = TestEnv::with(StandInConfig {
        // Both too short to be used again (a token needs minutes left, role
        // credentials a quarter of an hour), so the second call refreshes.
        token_ttl_secs: 60,
        role_ttl_secs: 300,
        ..StandInConfig::default()
    });
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", "auto");
    env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    // Every debug line of the fallback, searched for secrets by the harness.
    env.set("SSO_HELPER_LOG", "debug");
    env.run(&["--profile", "dev-sso"]).json();
    env.set("SSO_HELPER_NO_LOGIN", "1");
    env.run(&["--profile", "dev-sso"]).json();
    assert_eq!(env.standin.count(Op::CreateTokenRefresh), 1);
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.standin.count(Op::GetRoleCredentials), 2);
}

/// The Secret Service stops while the call signs in (its browser step): the
/// sign-in succeeded, so the call still prints credentials; with `auto` the
/// token goes to the file cache, with `keychain` it is lost (and said so).
#[test]
fn a_secret_service_that_stops_during_the_sign_in_costs_only_the_cache() {
    for store in ["auto", "keychain"] {
        let service = SecretService::start();
        let mut env = keychain_env_on(&service, store);
        let browser = env.home().join("browser-that-stops-the-keyring");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\nkill {}\nsleep 0.2\nexec '{}' \"$@\"\n",
                service.service_pid(),
                TestEnv::browser_dir().join("xdg-open").display()
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        env.set("BROWSER", &browser.display().to_string());
        env.set("SSO_HELPER_LOG", "debug");
        let run = env.run(&["--profile", "dev-sso"]);
        let creds = run.json();
        assert_eq!(
            creds["AccessKeyId"],
            issued_keys(&env.standin)[0],
            "{store}"
        );
        let said = match store {
            "auto" => "the OS keychain did not take the token",
            _ => "could not be stored",
        };
        assert!(run.stderr.contains(said), "{store}: {}", run.stderr);
    }
}

fn keychain_env_on(service: &SecretService, store: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("SSO_HELPER_TOKEN_STORE", store);
    env.set("DBUS_SESSION_BUS_ADDRESS", &service.address);
    env
}
