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
            .fails(
                2,
                &["--destination", why, "https://console.aws.amazon.com/s3/"],
            );
    }
    assert_eq!(env.standin.requests().len(), before);
    // A path is under the console home; the environment's region beats the
    // profile's, as in the AWS CLI.
    env.run(&["console", "--profile", "dev", "--destination", "/ec2/"])
        .ok();
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
    assert!(
        run.ok().stdout.contains("/federation?Action=login"),
        "{}",
        run.stdout
    );
    env.set("SSO_HELPER_NO_BROWSER", "1");
    let run = env.run(&["console", "--profile", "dev"]);
    assert!(
        run.ok().stdout.contains("/federation?Action=login"),
        "{}",
        run.stdout
    );
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

/// Whether `program` is on PATH; says why a test checks less when it is not.
fn installed(program: &str) -> bool {
    let found = std::process::Command::new("which")
        .arg(program)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "{program} is not installed: what needs it is not checked here (.ci/run installs it)"
        );
    }
    found
}

/// Runs bash's completion function as bash does for `words` typed plainly (the
/// last one being completed, the cursor at its end) and returns the candidates,
/// then `compopt OPTIONS` for each option the function set.
fn bash_complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let script = env.home().join("sso-helper.bash");
    let generated = env.run(&["completions", "bash"]);
    std::fs::write(&script, &generated.ok().stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let line = words.join(" ");
    let prev = if words.len() > 1 {
        words[words.len() - 2]
    } else {
        ""
    };
    let program = format!(
        "compopt() {{ opts+=(\"compopt $*\"); }}; source '{}'; COMP_WORDS=({}); COMP_CWORD={}; \
         COMP_LINE='{line}'; COMP_POINT={}; _sso_helper sso-helper '{}' '{prev}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\" \"${{opts[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        line.chars().count(),
        words[words.len() - 1],
    );
    let mut cmd = env.command("bash", &["-c", &program]);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin_dir().display()))
        .env("LANG", "C.UTF-8");
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
    // --flag=value as well.
    let c = bash_complete(&env, &["sso-helper", "export", "--format=p"]);
    assert_eq!(c, ["--format=powershell"]);
    let c = bash_complete(&env, &["sso-helper", "--profile=a"]);
    assert_eq!(c, ["--profile=admin"]);
    // A profile named like a command is a value, not the command.
    let c = bash_complete(&env, &["sso-helper", "--profile", "login", "--s"]);
    assert!(c.is_empty(), "{c:?}");
    // The names come from the config as it is when Tab is pressed.
    let mut config = std::fs::read_to_string(env.aws("config")).unwrap();
    config.push_str("\n[profile newly-added]\nregion = x\n");
    env.write_config(&config);
    assert!(
        bash_complete(&env, &["sso-helper", "--profile", "new"])
            .contains(&"newly-added".to_string())
    );
}

/// What each shell offers with nothing typed: every command and `help`, and
/// every flag and switch the parser takes there, from the binary's own tables.
#[test]
fn every_command_and_flag_is_offered_in_bash_and_fish() {
    use sso_helper::cli::Command;
    let env = TestEnv::new();
    env.standard_config();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let flags = |c: Command| -> Vec<String> {
        let mut f: Vec<String> = c.flags().iter().map(|f| format!("--{f}")).collect();
        f.extend(["--verbose".into(), "--help".into()]);
        f
    };
    let mut top: Vec<String> = Command::public().map(|c| c.name().to_string()).collect();
    top.push("help".into());
    top.extend(flags(Command::Credentials));
    top.push("--version".into());
    let mut cases = vec![(String::new(), top)];
    cases.push((
        "help ".into(),
        Command::public().map(|c| c.name().to_string()).collect(),
    ));
    for c in Command::public() {
        let mut expected = flags(c);
        if c == Command::Completions {
            expected.extend(["bash", "zsh", "fish", "powershell"].map(String::from));
        }
        cases.push((format!("{} ", c.name()), expected));
    }
    let fish = installed("fish").then(|| fish_script(&env));
    for (typed, expected) in cases {
        // exec's first word is the command it runs, unless it starts with -.
        let word = if typed == "exec " { "-" } else { "" };
        let expected: Vec<String> = expected
            .into_iter()
            .filter(|e| e.starts_with(word))
            .collect();
        let mut words = vec!["sso-helper"];
        words.extend(typed.split_whitespace());
        words.push(word);
        let got = bash_complete(&env, &words);
        assert_eq!(sorted(got), sorted(expected.clone()), "bash: {typed:?}");
        if let Some(script) = &fish {
            // fish offers the long flags without a dash typed only after one.
            let mut got = fish_complete(&env, script, &format!("sso-helper {typed}{word}"));
            got.extend(fish_complete(
                &env,
                script,
                &format!("sso-helper {typed}--"),
            ));
            // (and -v, -h, -V: the short forms are fish's alone)
            got.retain(|g| g.starts_with("--") || !g.starts_with('-'));
            got.sort();
            got.dedup();
            assert_eq!(got, sorted(expected), "fish: {typed:?}");
        }
    }
}

/// Free-text values (a URL, a port, a region, a name) offer nothing: not files.
#[test]
fn flags_with_free_text_values_offer_nothing() {
    let env = TestEnv::new();
    env.standard_config();
    std::fs::write(env.home().join("some-file"), "").unwrap();
    let fish = installed("fish").then(|| fish_script(&env));
    for (command, flag) in [
        ("console", "--destination"),
        ("login", "--redirect-port"),
        ("configure", "--prefix"),
        ("configure", "--region"),
        ("configure", "--start-url"),
        ("configure", "--sso-region"),
        ("export", "--to"),
    ] {
        let c = bash_complete(&env, &["sso-helper", command, flag, ""]);
        assert!(c.is_empty(), "bash {command} {flag}: {c:?}");
        let c = bash_complete(&env, &["sso-helper", command, &format!("{flag}=")]);
        assert!(c.is_empty(), "bash {command} {flag}=: {c:?}");
        if let Some(script) = &fish {
            let c = fish_complete(&env, script, &format!("sso-helper {command} {flag} "));
            assert!(c.is_empty(), "fish {command} {flag}: {c:?}");
        }
    }
}

/// Writes the fish script into HOME.
fn fish_script(env: &TestEnv) -> String {
    let script = env.home().join("completion.fish");
    std::fs::write(
        &script,
        env.run(&["completions", "fish"]).ok().stdout.as_bytes(),
    )
    .unwrap();
    script.display().to_string()
}

/// What fish offers for `line` (`complete -C`), without descriptions.
fn fish_complete(env: &TestEnv, script: &str, line: &str) -> Vec<String> {
    let program = format!("source '{script}'; complete -C {}", shell_quote(line));
    let mut cmd = env.command("fish", &["--no-config", "-c", &program]);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin_dir().display()));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// `s` in single quotes, for sh and fish alike when it holds no quote or backslash.
fn shell_quote(s: &str) -> String {
    assert!(!s.contains(['\'', '\\']));
    format!("'{s}'")
}

#[test]
fn zsh_and_fish_scripts_pass_their_own_parsers_and_fish_completes() {
    let env = TestEnv::new();
    env.standard_config();
    for (shell, check) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"])] {
        if !installed(shell) {
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
            let listed = fish_complete(&env, &path, "sso-helper --profile ");
            assert_eq!(listed, ["admin", "dev", "dev-sso", "legacy"]);
        }
    }
}

/// A shell as a person uses it: interactive, on a pseudo-terminal (util-linux
/// `script`), with the completion script loaded and `sso-helper` a function
/// that records the arguments it is run with (and hands `__complete` on to the
/// binary).
struct Terminal {
    shell: &'static str,
    child: std::process::Child,
    input: std::process::ChildStdin,
    screen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    ran: std::path::PathBuf,
}

impl Terminal {
    /// `extra`: more of the shell's startup file. None when the shell (or
    /// `script`) is not installed.
    fn start(env: &TestEnv, shell: &'static str, extra: &str) -> Option<Terminal> {
        if !installed(shell) || !installed("script") {
            return None;
        }
        let home = env.home();
        let ran = home.join(format!("ran-{shell}"));
        let generated = env.run(&["completions", shell]).ok().stdout.clone();
        let bin = bin_dir().display().to_string();
        let command = match shell {
            "bash" => {
                let script = home.join("sso-helper.bash");
                std::fs::write(&script, generated).unwrap();
                let rc = format!(
                    "PATH='{bin}':/usr/bin:/bin\n\
                     {extra}\n\
                     source '{}'\n\
                     sso-helper() {{ if [[ $1 == __complete ]]; then command sso-helper \"$@\"; \
                     else printf '%s\\0' \"$@\" >>'{}'; printf '\\036' >>'{1}'; fi; }}\n",
                    script.display(),
                    ran.display()
                );
                let path = home.join("bashrc");
                std::fs::write(&path, rc).unwrap();
                format!("bash --noprofile --rcfile '{}' -i", path.display())
            }
            "zsh" => {
                let dir = home.join("zfunc");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("_sso-helper"), generated).unwrap();
                let rc = format!(
                    "path=('{bin}' /usr/bin /bin)\n\
                     fpath=('{}' $fpath)\n\
                     autoload -Uz compinit && compinit -u -D\n\
                     {extra}\n\
                     sso-helper() {{ if [[ $1 == __complete ]]; then command sso-helper \"$@\"; \
                     else printf '%s\\0' \"$@\" >>'{}'; printf '\\036' >>'{1}'; fi; }}\n",
                    dir.display(),
                    ran.display()
                );
                std::fs::write(home.join(".zshrc"), rc).unwrap();
                "zsh -i".to_string()
            }
            _ => {
                let script = home.join("sso-helper.fish");
                std::fs::write(&script, generated).unwrap();
                let rc = format!(
                    "set -gx PATH '{bin}' /usr/bin /bin\n\
                     source '{}'\n\
                     {extra}\n\
                     function sso-helper\n\
                     if test \"$argv[1]\" = __complete; command sso-helper $argv\n\
                     else; printf '%s\\0' $argv >>'{}'; printf '\\036' >>'{1}'; end\n\
                     end\n",
                    script.display(),
                    ran.display()
                );
                let path = home.join("config.fish");
                std::fs::write(&path, rc).unwrap();
                format!("fish --no-config -i -C 'source {}'", path.display())
            }
        };
        let mut child = env
            .command("script", &["-q", "-c", &command, "/dev/null"])
            .env("TERM", "xterm")
            .env("LANG", "C.UTF-8")
            .env("ZDOTDIR", home)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("script");
        let input = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = screen.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shared.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Some(Terminal {
            shell,
            child,
            input,
            screen,
            ran,
        })
    }

    /// Every run recorded so far: its arguments.
    fn runs(&self) -> Vec<Vec<String>> {
        let bytes = std::fs::read(&self.ran).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.strip_suffix('\0')
                    .unwrap_or(r)
                    .split('\0')
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    }

    /// Types `keys` (a tab is the Tab key) and Enter, and returns the arguments
    /// sso-helper then ran with.
    #[track_caller]
    fn enter(&mut self, keys: &str) -> Vec<String> {
        use std::io::Write;
        let before = self.runs().len();
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
        // fish: Enter only once it has drawn what Tab completed — with Enter
        // already waiting it ran the line without the completion once, on a
        // loaded CI machine. Settled = the screen unchanged for 150 ms. (bash's
        // readline and zsh's line editor complete before they read on.)
        let settle = std::time::Instant::now()
            + std::time::Duration::from_secs(if self.shell == "fish" { 10 } else { 0 });
        let mut last = (self.screen.lock().unwrap().len(), std::time::Instant::now());
        while std::time::Instant::now() < settle {
            std::thread::sleep(std::time::Duration::from_millis(25));
            let len = self.screen.lock().unwrap().len();
            if len != last.0 {
                last = (len, std::time::Instant::now());
            } else if last.1.elapsed() >= std::time::Duration::from_millis(150) {
                break;
            }
        }
        self.input.write_all(b"\n").unwrap();
        self.input.flush().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let runs = self.runs();
            if runs.len() > before {
                return runs[before].clone();
            }
            if std::time::Instant::now() > deadline {
                let screen = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{}: {keys:?} then Enter ran no sso-helper; the terminal:\n{screen}",
                    self.shell
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = self.input.write_all(b"exit\n");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Profile names with everything a config file allows that a shell reads
/// specially, each with its own first character.
const AWKWARD: &[&str] = &[
    "o'brien",
    "prod",
    "staging",
    "team a",
    "quote\"d",
    "back\\slash",
    "cash$HOME",
    "glob*?[x]",
    "émile",
    "wave{a,b}",
    "~tilde",
    "x;y&z|w",
    "`tick`",
    "kv:a=b",
    "-dash",
    "hash#!bang",
    "name with  two  spaces",
    "日本",
    "apostrophe's end'",
    "rbr]x",
    "%pct+@,^",
    "\"quoted\"",
    "yes!",
    "zed\\",
    "'lead",
];

/// A config file that holds `names`, quoted as the AWS CLI reads them.
fn config_with(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            let q = n.replace('\\', "\\\\").replace('"', "\\\"");
            format!("[profile \"{q}\"]\nregion = eu-west-1\n")
        })
        .collect()
}

/// How a person types `text` in `shell`: unquoted with backslashes, or inside
/// an open '…' or "…" (left open: completion closes it).
fn typed_as(shell: &str, style: char, text: &str) -> String {
    let mut s = String::new();
    let fish = shell == "fish";
    match style {
        '\\' => {
            for c in text.chars() {
                let special = if fish {
                    " '\"\\$*?~#(){}[]<>^&|;".contains(c)
                } else {
                    !c.is_alphanumeric() && !"-_./:=,@%+^".contains(c)
                };
                if special {
                    s.push('\\');
                }
                s.push(c);
            }
        }
        '\'' => {
            s.push('\'');
            for c in text.chars() {
                match c {
                    '\'' if fish => s.push_str("\\'"),
                    '\\' if fish => s.push_str("\\\\"),
                    '\'' => s.push_str("'\\''"),
                    c => s.push(c),
                }
            }
        }
        _ => {
            s.push('"');
            for c in text.chars() {
                match c {
                    '"' | '\\' | '$' => {
                        s.push('\\');
                        s.push(c);
                    }
                    '`' if !fish => s.push_str("\\`"),
                    '!' if !fish => s.push_str("\"\\!\""),
                    c => s.push(c),
                }
            }
        }
    }
    s
}

/// Every name is completed from a plain prefix of it, however that prefix is
/// typed (unquoted, in '…', in "…"), and inserted so that the command gets it
/// whole and as it is: one argument, quoted once. The first names are a
/// tester's: with "o'brien" before them, bash completed neither prod nor staging.
#[test]
fn awkward_profile_names_complete_whole_in_every_shell() {
    let env = TestEnv::new();
    env.write_config(&config_with(AWKWARD));
    let listed = env.run(&["__complete", "profiles"]);
    assert_eq!(listed.ok().stdout.lines().collect::<Vec<_>>(), AWKWARD);
    for shell in ["bash", "zsh", "fish"] {
        let Some(mut t) = Terminal::start(&env, shell, "") else {
            continue;
        };
        for name in AWKWARD {
            let chars: Vec<char> = name.chars().collect();
            // (After -, fish offers its flags too: a second character tells.)
            let first: String = chars[..1 + usize::from(chars[0] == '-')].iter().collect();
            let most: String = chars[..chars.len() - 1].iter().collect();
            for (style, prefix) in [('\\', &first), ('\\', &most), ('\'', &most), ('"', &most)] {
                let keys = format!("sso-helper --profile {}\t", typed_as(shell, style, prefix));
                assert_eq!(t.enter(&keys), ["--profile", name], "{shell}: {keys:?}");
            }
            let keys = format!("sso-helper --profile={}\t", typed_as(shell, '\\', &first));
            assert_eq!(
                t.enter(&keys),
                [format!("--profile={name}")],
                "{shell}: {keys:?}"
            );
        }
    }
}

/// After exec's options (and `--`) comes another command line: its command
/// name, then what that command's own completion offers, files when it has
/// none; never command names again.
#[test]
fn exec_completes_the_command_line_it_runs() {
    let env = TestEnv::new();
    env.standard_config();
    let home = env.home();
    std::fs::write(home.join("some-file.txt"), "").unwrap();
    std::fs::write(home.join("odd name's.txt"), "").unwrap();
    let tools = home.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let tool = tools.join("zzq-tool");
    std::fs::write(&tool, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tools = tools.display();
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion");
    let mut setups = vec![(
        "bash",
        format!("PATH=\"$PATH:{tools}\"; complete -W 'alpha beta' zzq-tool"),
        false,
    )];
    if bash_completion.exists() {
        setups.push((
            "bash",
            format!(
                "PATH=\"$PATH:{tools}\"; source {}; complete -W 'alpha beta' zzq-tool",
                bash_completion.display()
            ),
            true,
        ));
    } else {
        eprintln!("bash-completion is not installed: exec's delegation in bash is not checked");
    }
    setups.push((
        "zsh",
        format!("path+=('{tools}'); _zzq() {{ compadd alpha beta }}; compdef _zzq zzq-tool"),
        true,
    ));
    setups.push((
        "fish",
        format!("set -gx PATH $PATH '{tools}'; complete -c zzq-tool -f -a 'alpha beta'"),
        true,
    ));
    for (shell, setup, delegates) in setups {
        let Some(mut t) = Terminal::start(&env, shell, &setup) else {
            continue;
        };
        let mut check = |keys: &str, expected: &[&str]| {
            assert_eq!(t.enter(keys), expected, "{shell} ({setup}): {keys:?}");
        };
        check("sso-helper exec -- zzq-t\t", &["exec", "--", "zzq-tool"]);
        check("sso-helper exec zzq-t\t", &["exec", "zzq-tool"]);
        check(
            "sso-helper exec --profile=dev zzq-t\t",
            &["exec", "--profile=dev", "zzq-tool"],
        );
        check(
            "sso-helper exec -- cat some-f\t",
            &["exec", "--", "cat", "some-file.txt"],
        );
        check(
            "sso-helper exec --profile admin -- cat odd\t",
            &["exec", "--profile", "admin", "--", "cat", "odd name's.txt"],
        );
        check(
            "sso-helper exec --profile ad\t -- cat\n",
            &["exec", "--profile", "admin", "--", "cat"],
        );
        if delegates {
            check(
                "sso-helper exec --profile dev -- zzq-tool al\t",
                &["exec", "--profile", "dev", "--", "zzq-tool", "alpha"],
            );
            check(
                "sso-helper exec --profile=dev zzq-tool al\t",
                &["exec", "--profile=dev", "zzq-tool", "alpha"],
            );
        }
    }
}

/// Flags whose value is free text, `help`, `--version`: as a person types them.
#[test]
fn help_version_and_free_values_at_the_keyboard() {
    let env = TestEnv::new();
    env.standard_config();
    std::fs::write(env.home().join("some-file"), "").unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let Some(mut t) = Terminal::start(&env, shell, "") else {
            continue;
        };
        let mut check = |keys: &str, expected: &[&str]| {
            assert_eq!(t.enter(keys), expected, "{shell}: {keys:?}");
        };
        check("sso-helper hel\t", &["help"]);
        check("sso-helper help logi\t", &["help", "login"]);
        check("sso-helper --vers\t", &["--version"]);
        check(
            "sso-helper console --destination some\t",
            &["console", "--destination", "some"],
        );
        check(
            "sso-helper login --redirect-port some\t",
            &["login", "--redirect-port", "some"],
        );
        check(
            "sso-helper export --format=cr\t",
            &["export", "--format=credentials"],
        );
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
