//! The commands people reach for daily: `console` (the AWS console through the
//! Sign-In federation endpoint), `exec` (a command with credentials, or a local
//! container-credentials server), `completions`, and a fixed PKCE redirect port.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::*;

fn bin_dir() -> &'static Path {
    Path::new(BIN).parent().unwrap()
}

// ---------------------------------------------------------------- console

#[test]
fn console_print_gives_a_sign_in_url_that_the_federation_endpoint_accepts() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_ENDPOINT_URL_SIGNIN", &env.standin.url());
    // Secret keys hold `+` and `/`: several rounds make sure the Session JSON
    // reaches the endpoint intact whatever they hold.
    for round in 0..5 {
        let run = env.run(&["console", "--profile", "admin", "--print"]);
        run.ok();
        let url = run.stdout.trim();
        assert!(
            url.starts_with(&format!(
                "{}/federation?Action=login&Issuer=sso-helper&Destination=",
                env.standin.url()
            )),
            "{url}"
        );
        assert!(
            run.stderr.contains("signs in whoever opens it"),
            "{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains(url),
            "the URL is a secret: never on stderr"
        );
        // Opening it signs in as the role whose credentials were issued.
        let visit = env
            .command("curl", &["-fsS", "-o", "/dev/null", url])
            .status()
            .unwrap();
        assert!(visit.success());
        let logins = env.standin.console_logins();
        assert_eq!(logins.len(), round + 1);
        let issued = env.standin.issued_credentials();
        assert_eq!(logins[round].access_key_id, issued[0].access_key_id);
        assert_eq!(logins[round].issuer, "sso-helper");
        // The profile's region picks the console's.
        assert_eq!(
            logins[round].destination,
            "https://console.aws.amazon.com/console/home?region=eu-west-1"
        );
    }
    // The role's secret never appears in what is printed.
    let secret = &env.standin.issued_credentials()[0].secret_access_key;
    let run = env.run(&["console", "--profile", "admin", "--print", "-v"]);
    assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()));
    assert!(run.stderr.contains("GetSigninToken GET "), "{}", run.stderr);
}

#[test]
fn console_opens_the_browser_at_the_destination() {
    let mut env = TestEnv::new();
    env.standard_config();
    // AWS_ENDPOINT_URL reaches the Sign-In endpoint when no specific one is set.
    env.set("AWS_ENDPOINT_URL", &env.standin.url());
    let run = env.run(&[
        "console",
        "--profile",
        "dev",
        "--destination",
        "https://console.aws.amazon.com/s3/",
    ]);
    run.ok();
    assert!(
        run.stdout.contains(
            "opened the AWS console as [profile dev] (account 111111111111, role ReadOnly)"
        ),
        "{}",
        run.stdout
    );
    let logins = env.standin.console_logins();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].destination, "https://console.aws.amazon.com/s3/");
    // A destination that is not a console URL is refused before anything is asked.
    let before = env.standin.requests().len();
    for (bad, why) in [
        ("http://evil.example/", "not an https:// URL"),
        ("https://evil.example.com/", "not a console address"),
        ("https://", "no host"),
        ("https://console.aws.amazon.com/a b", "space"),
    ] {
        env.run(&["console", "--profile", "dev", "--destination", bad])
            .fails(2, &["--destination", why, "https://console.aws.amazon.com/s3/"]);
    }
    assert_eq!(env.standin.requests().len(), before);
    // A path is under the console home; the environment's region beats the
    // profile's, as in the AWS CLI.
    env.run(&["console", "--profile", "dev", "--destination", "/ec2/"]).ok();
    env.set("AWS_REGION", "ap-south-1");
    env.run(&["console", "--profile", "dev"]).ok();
    let logins = env.standin.console_logins();
    assert_eq!(logins[1].destination, "https://console.aws.amazon.com/ec2/");
    assert_eq!(
        logins[2].destination,
        "https://console.aws.amazon.com/console/home?region=ap-south-1"
    );
    // --no-browser (or SSO_HELPER_NO_BROWSER) never opens one: the URL is printed.
    let opened = env.browser_opens().len();
    let run = env.run(&["console", "--profile", "dev", "--no-browser"]);
    assert!(run.ok().stdout.contains("/federation?Action=login"), "{}", run.stdout);
    env.set("SSO_HELPER_NO_BROWSER", "1");
    let run = env.run(&["console", "--profile", "dev"]);
    assert!(run.ok().stdout.contains("/federation?Action=login"), "{}", run.stdout);
    assert_eq!(env.browser_opens().len(), opened);
    // Without an endpoint override the partition's Sign-In host is used; here it
    // cannot be reached, and the error names it.
    let mut env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    env.set("HTTPS_PROXY", "http://127.0.0.1:9");
    env.run(&["console", "--profile", "dev-sso", "--print"])
        .fails(1, &["GetSigninToken", "signin.aws.amazon.com"]);
}

// ---------------------------------------------------------------- exec

#[test]
fn exec_runs_the_command_with_credentials_and_passes_its_status() {
    let mut env = TestEnv::new();
    env.standard_config();
    env.set("AWS_PROFILE", "admin")
        .set("AWS_DEFAULT_PROFILE", "admin");
    let script = "printf '%s|%s|%s|%s|%s|' \"$AWS_ACCESS_KEY_ID\" \"$AWS_ACCOUNT_ID\" \"$AWS_REGION\" \"${AWS_PROFILE-unset}\" \"${AWS_DEFAULT_PROFILE-unset}\"; \
                  [ -n \"$AWS_SECRET_ACCESS_KEY\" ] && [ -n \"$AWS_SESSION_TOKEN\" ] && [ -n \"$AWS_CREDENTIAL_EXPIRATION\" ] && printf ok; \
                  read line; printf '|%s' \"$line\"; echo err >&2; exit 7";
    let mut child = env
        .command(BIN, &["exec", "--", "sh", "-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let run = env.finish(out);
    assert_eq!(run.code, 7, "{}", run.stderr);
    let key = &env.standin.issued_credentials()[0].access_key_id;
    assert_eq!(
        run.stdout,
        format!("{key}|111111111111|eu-west-1|unset|unset|ok|from stdin")
    );
    assert!(run.stderr.ends_with("err\n"), "{}", run.stderr);
    // Options before the command, no `--` needed; a signal is 128 + N.
    let run = env.run(&["exec", "--profile", "dev-sso", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(run.code, 128 + 15);
    // Nothing to run, or nothing that can be run: clear errors.
    env.run(&["exec", "--profile", "dev-sso"])
        .fails(2, &["`exec` needs a command to run"]);
    // A command that cannot run: the shell's codes, before any sign-in.
    let before = env.standin.requests().len();
    env.run(&["exec", "--profile", "legacy", "--", "no-such-command-here"])
        .fails(127, &["cannot run no-such-command-here"]);
    let not_executable = env.home().join("script.txt");
    std::fs::write(&not_executable, "echo hi").unwrap();
    env.run(&[
        "exec",
        "--profile",
        "legacy",
        "--",
        not_executable.to_str().unwrap(),
    ])
    .fails(126, &["is not an executable file"]);
    assert_eq!(
        env.standin.requests().len(),
        before,
        "no sign-in for a command that cannot run"
    );
}

/// Commands the kernel will not start as they are are run the way the shells and
/// env(1) run them: a file without `#!` by /bin/sh, a missing `#!` interpreter is
/// exit 127 naming it.
#[test]
fn exec_runs_scripts_as_the_shells_do() {
    let env = TestEnv::new();
    env.standard_config();
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    let plain = env.home().join("no-shebang");
    std::fs::write(
        &plain,
        "printf 'sh ran %s|%s' \"$1\" \"${AWS_ACCOUNT_ID}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = env.run(&[
        "exec",
        "--profile",
        "dev-sso",
        "--",
        plain.to_str().unwrap(),
        "arg",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "sh ran arg|111111111111");
    let bad = env.home().join("bad-interpreter");
    std::fs::write(&bad, "#!/no/such/interpreter -x\necho hi\n").unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.run(&["exec", "--profile", "dev-sso", "--", bad.to_str().unwrap()])
        .fails(
            127,
            &["bad-interpreter", "/no/such/interpreter", "was not found"],
        );
}

/// sso-helper writes no core dump itself, but the command gets the limits the user
/// had: the soft one as it was, the hard one untouched.
#[test]
fn exec_gives_the_command_the_users_core_limit() {
    let env = TestEnv::new();
    env.standard_config();
    let hard = String::from_utf8(
        env.command("sh", &["-c", "ulimit -H -c"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let hard = hard.trim();
    let soft = match hard.parse::<u64>() {
        Ok(h) => h.min(1234).to_string(),
        Err(_) => "1234".to_string(), // unlimited
    };
    let script = format!("ulimit -S -c {soft} && exec \"$0\" \"$@\"");
    let run = env.finish(
        env.command(
            "sh",
            &[
                "-c",
                &script,
                BIN,
                "exec",
                "--profile",
                "dev-sso",
                "--",
                "sh",
                "-c",
                "echo $(ulimit -S -c) $(ulimit -H -c)",
            ],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), format!("{soft} {hard}"));
}

/// Signals sent to sso-helper that would end it reach the command instead, and
/// the command's end is sso-helper's: it is never left running alone.
#[cfg(unix)]
#[test]
fn exec_passes_signals_on_to_the_command() {
    use std::io::{BufRead, BufReader};
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    for (signal, name) in [
        ("USR1", 10),
        ("USR2", 12),
        ("ALRM", 14),
        ("HUP", 1),
        ("TERM", 15),
    ] {
        let script = format!(
            "trap 'echo got-{signal}; exit {name}' {signal}; echo ready; while :; do sleep 0.02; done"
        );
        let mut child = env
            .command(
                BIN,
                &["exec", "--profile", "dev-sso", "--", "sh", "-c", &script],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n");
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, format!("got-{signal}\n"));
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(name), "SIG{signal}");
    }
}

/// With `--server` the command holds no keys: it asks the local container
/// credentials endpoint, which answers through the cache and refreshes. A boto3
/// child sees new keys when ten-minute credentials are refreshed.
#[test]
fn exec_server_keeps_a_long_running_command_in_fresh_credentials() {
    let env = TestEnv::with(StandInConfig {
        role_ttl_secs: 600,
        ..Default::default()
    });
    env.standard_config();
    let child = r#"
import json, os, socket, urllib.parse, urllib.request, urllib.error
import botocore.session
out = {"keys_in_env": any(k in os.environ for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))}
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
# Another local user's idle connections to the server hold back no one (botocore
# gives the endpoint 2 s a try, 3 tries).
u = urllib.parse.urlparse(uri)
idle = [socket.create_connection((u.hostname, u.port)) for _ in range(300)]
for s in idle:
    s.sendall(b"GET /cred")
# An SDK's request is answered within the time an SDK gives it (a server that
# read one connection at a time would still be waiting on the idle ones).
req = urllib.request.Request(uri, headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
out["with_token"] = urllib.request.urlopen(req, timeout=2).status
# Many clients at once are all answered.
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(64) as pool:
    statuses = list(pool.map(lambda _: urllib.request.urlopen(req, timeout=10).status, range(400)))
out["busy"] = sorted(set(statuses))
try:
    urllib.request.urlopen(uri)
    out["without_token"] = 200
except urllib.error.HTTPError as e:
    out["without_token"] = e.code
session = botocore.session.Session()
creds = session.get_credentials()
out["method"] = creds.method
first = creds.get_frozen_credentials()
second = creds.get_frozen_credentials()
out["keys"] = [first.access_key, second.access_key]
out["account"] = first.account_id
print(json.dumps(out))
"#;
    let py = python();
    let run = env.run(&[
        "exec",
        "--profile",
        "dev-sso",
        "--server",
        "--",
        py.to_str().unwrap(),
        "-c",
        child,
    ]);
    let out: Value = run.json();
    assert_eq!(out["keys_in_env"], false, "{out}");
    assert_eq!(out["without_token"], 401);
    assert_eq!(out["with_token"], 200);
    assert_eq!(out["busy"], json!([200]), "{out}");
    assert_eq!(out["method"], "container-role");
    let issued: Vec<String> = issued_keys(&env.standin);
    let keys: Vec<String> = out["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_ne!(
        keys[0], keys[1],
        "ten-minute credentials are refreshed: {out}"
    );
    assert!(
        keys.iter().all(|k| issued.contains(k)),
        "{keys:?} / {issued:?}"
    );
    assert_eq!(out["account"], "111111111111");
}

// ---------------------------------------------------------------- completions

/// Runs bash's completion function for `words` (the last one being completed)
/// and returns the candidates.
fn bash_complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let script = env.home().join("sso-helper.bash");
    let generated = env.run(&["completions", "bash"]);
    std::fs::write(&script, &generated.ok().stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _sso_helper; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let mut cmd = env.command("bash", &["-c", &program]);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin_dir().display()));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_knows_commands_flags_values_and_your_profiles() {
    let env = TestEnv::new();
    env.standard_config();
    let c = bash_complete(&env, &["sso-helper", "lo"]);
    assert_eq!(c, ["login", "logout"]);
    let c = bash_complete(&env, &["sso-helper", "--profile", ""]);
    assert_eq!(c, ["dev-sso", "dev", "admin", "legacy"]);
    let c = bash_complete(&env, &["sso-helper", "login", "--sso-session", ""]);
    assert_eq!(c, ["corp"]);
    let c = bash_complete(&env, &["sso-helper", "export", "--format", "p"]);
    assert_eq!(c, ["powershell"]);
    let c = bash_complete(&env, &["sso-helper", "export", "--profile", "dev", "--f"]);
    assert_eq!(c, ["--format", "--flow"]);
    let c = bash_complete(&env, &["sso-helper", "completions", "z"]);
    assert_eq!(c, ["zsh"]);
    // The names come from the config as it is when Tab is pressed.
    let mut config = std::fs::read_to_string(env.aws("config")).unwrap();
    config.push_str("\n[profile newly-added]\nregion = x\n");
    env.write_config(&config);
    assert!(
        bash_complete(&env, &["sso-helper", "--profile", "new"])
            .contains(&"newly-added".to_string())
    );
}

#[test]
fn zsh_and_fish_scripts_pass_their_own_parsers_and_fish_completes() {
    let env = TestEnv::new();
    env.standard_config();
    for (shell, check) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"])] {
        let Ok(found) = std::process::Command::new("which").arg(shell).output() else {
            continue;
        };
        if !found.status.success() {
            eprintln!(
                "{shell} is not installed: its script is not checked here (.ci/run installs it)"
            );
            continue;
        }
        let script = env.home().join(format!("completion.{shell}"));
        std::fs::write(
            &script,
            env.run(&["completions", shell]).ok().stdout.as_bytes(),
        )
        .unwrap();
        let mut args = check.to_vec();
        let path = script.display().to_string();
        args.push(&path);
        let out = env.command(shell, &args).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if shell == "fish" {
            let program = format!("source '{path}'; complete -C 'sso-helper --profile '");
            let mut cmd = env.command("fish", &["--no-config", "-c", &program]);
            cmd.env("PATH", format!("{}:/usr/bin:/bin", bin_dir().display()));
            let out = cmd.output().unwrap();
            let listed = String::from_utf8_lossy(&out.stdout);
            for p in ["dev-sso", "dev", "admin", "legacy"] {
                assert!(
                    listed.lines().any(|l| l.split('\t').next() == Some(p)),
                    "{listed}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- redirect port

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_fixed_redirect_port_for_ssh_forwarding() {
    let env = TestEnv::new();
    env.standard_config();
    let port = free_port();
    env.run(&[
        "login",
        "--profile",
        "dev-sso",
        "--flow",
        "pkce",
        "--redirect-port",
        &port.to_string(),
    ])
    .ok();
    let authorize = env
        .standin
        .requests()
        .into_iter()
        .find(|r| r.path == "/authorize")
        .unwrap();
    assert_eq!(
        authorize.query_param("redirect_uri"),
        Some(format!("http://127.0.0.1:{port}/oauth/callback").as_str())
    );
    // From the [sso-session] too; a port in use is named.
    let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let mut config = std::fs::read_to_string(env.aws("config")).unwrap();
    config = config.replace(
        "sso_registration_scopes = sso:account:access\n",
        &format!(
            "sso_registration_scopes = sso:account:access\nsso_helper_redirect_port = {busy_port}\n"
        ),
    );
    env.write_config(&config);
    env.run(&["login", "--profile", "dev-sso", "--flow", "pkce"])
        .fails(
            1,
            &[
                &format!("127.0.0.1:{busy_port}"),
                "the port is in use",
                "--redirect-port",
            ],
        );
    env.run(&[
        "login",
        "--profile",
        "dev-sso",
        "--flow",
        "pkce",
        "--redirect-port",
        "0",
    ])
    .fails(2, &["--redirect-port 0"]);
    drop(busy);
}
