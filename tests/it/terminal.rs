//! Prompts a user sees: under an SDK stderr is captured, so the sign-in URL and code
//! must reach the controlling terminal too. The binary runs under a pseudo-terminal
//! (`script` from util-linux) with stderr sent to a file.

use crate::support::*;

#[test]
fn sign_in_prompts_reach_the_controlling_terminal() {
    let env = TestEnv::new();
    env.standard_config();
    let stderr_file = env.home().join("captured-stderr");
    let inner = format!(
        "'{BIN}' --profile dev-sso --flow device 2>'{}'",
        stderr_file.display()
    );
    let out = env
        .command("script", &["-q", "-e", "-c", &inner, "/dev/null"])
        .output()
        .unwrap_or_else(|e| panic!("script: {e}; install util-linux's script (Debian: bsdutils)"));
    let terminal = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    let captured = std::fs::read_to_string(&stderr_file).unwrap();
    assert!(
        out.status.success(),
        "terminal:\n{terminal}\nstderr:\n{captured}"
    );
    env.assert_no_secret_in(&captured, "stderr");
    env.assert_no_secret_in(
        terminal
            .lines()
            .filter(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
        "the terminal",
    );
    let opened = env.browser_opens();
    assert_eq!(opened.len(), 1);
    let code = opened[0]
        .split("user_code=")
        .nth(1)
        .expect("the URL carries the code");
    for (what, text) in [("the terminal", &terminal), ("stderr", &captured)] {
        assert!(
            text.contains(&format!("with the code {code}")),
            "{what} lacks the code:\n{text}"
        );
        assert!(text.contains(&opened[0]), "{what} lacks the URL:\n{text}");
    }
    // The credentials still go to stdout (here the terminal), as one JSON object.
    assert!(
        terminal.lines().any(|l| l.starts_with("{\"Version\":1,")),
        "{terminal}"
    );
}

#[test]
fn waiting_processes_say_so_on_the_terminal() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        ..Default::default()
    });
    env.standard_config();
    // The first process holds the session lock while it waits for approval.
    let holder = env
        .command(BIN, &["--profile", "dev-sso", "--flow", "device"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while env.standin.count(Op::CreateTokenDevice) < 1 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let stderr_file = env.home().join("waiter-stderr");
    let inner = format!("'{BIN}' --profile dev-sso 2>'{}'", stderr_file.display());
    let waiter = env
        .command("script", &["-q", "-e", "-c", &inner, "/dev/null"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Approve; both finish, the waiter with the holder's token.
    std::thread::sleep(std::time::Duration::from_millis(300));
    env.standin.set_approval(Approval::Approve);
    let url = env.browser_opens()[0].clone();
    assert!(
        std::process::Command::new("curl")
            .args(["-fsS", "-o", "/dev/null", &url])
            .status()
            .unwrap()
            .success()
    );
    let holder = holder.wait_with_output().unwrap();
    assert!(holder.status.success());
    let out = waiter.wait_with_output().unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{terminal}");
    assert!(
        terminal.contains("waiting for the sign-in to sso-session \"corp\""),
        "{terminal}"
    );
    assert_eq!(env.standin.count(Op::StartDeviceAuthorization), 1);
}

/// With a terminal, the credentials command with `--no-browser` shows the URL and
/// code there and waits for the sign-in (here: until the code expires).
#[test]
fn no_browser_with_a_terminal_prompts_and_waits() {
    let env = TestEnv::with(StandInConfig {
        approval: Approval::Never,
        device_code_ttl_secs: 2,
        ..Default::default()
    });
    env.standard_config();
    let inner = format!("'{BIN}' --profile dev-sso --no-browser 2>/dev/null");
    let out = env
        .command("script", &["-q", "-e", "-c", &inner, "/dev/null"])
        .output()
        .unwrap_or_else(|e| panic!("script: {e}; install util-linux's script (Debian: bsdutils)"));
    let terminal = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert_eq!(
        out.status.code(),
        Some(1),
        "expired, not refused:\n{terminal}"
    );
    assert!(terminal.contains("with the code "), "{terminal}");
    assert!(
        terminal.contains(&format!("open {}/device?user_code=", env.standin.url())),
        "{terminal}"
    );
    assert!(env.browser_opens().is_empty());
    assert!(env.standin.count(Op::CreateTokenDevice) >= 2, "it polled");
}
