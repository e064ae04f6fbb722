//! The PKCE sign-in driven by a real browser: headless Chromium (Debian's
//! `chromium`, which .ci/run installs) launched through `BROWSER`, following
//! the stand-in's authorize page to sso-helper's loopback listener. Each test
//! checks the page the listener sent as Chromium rendered it; the approved one
//! keeps a screenshot in target/screenshots/ (docs/images/ has a copy).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Signs in with `--flow pkce` through Chromium; returns the run, the page's
/// text and the screenshot's path.
fn sign_in(approval: Approval) -> (TestEnv, Run, String, PathBuf) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "no {CHROMIUM}: install Debian's chromium (apt-get install chromium) — .ci/run does"
    );
    let mut env = TestEnv::with(StandInConfig {
        approval,
        ..Default::default()
    });
    env.standard_config();
    let pages = env.home().join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let browser = TestEnv::browser_dir().join("chromium-page");
    // Only Chromium: no xdg-open to fall back on.
    env.set("PATH", "/usr/bin:/bin")
        .set("BROWSER", &browser.display().to_string())
        .set("SSO_TEST_PAGE_DIR", &pages.display().to_string());
    let run = env.run(&["login", "--profile", "dev-sso", "--flow", "pkce"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pages.join("done").exists() {
        assert!(Instant::now() < deadline, "Chromium did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let html = std::fs::read_to_string(pages.join("page.html")).unwrap_or_default();
    (env, run, text_of(&html), pages.join("page.png"))
}

/// The text of an HTML page: tags dropped, entities decoded, spaces collapsed.
fn text_of(html: &str) -> String {
    let body = html.split("<body").nth(1).unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn an_approved_sign_in_in_chromium_says_it_worked() {
    let (env, run, text, shot) = sign_in(Approval::Approve);
    run.ok();
    assert!(
        run.stdout.contains("signed in to sso-session \"corp\""),
        "{}",
        run.stdout
    );
    assert!(
        text.contains("Signed in")
            && text.contains("You are signed in to sso-session \"corp\"")
            && text.contains("you can close this tab"),
        "Chromium rendered: {text}"
    );
    env.assert_no_secret_in(&text, "the page");
    // The screenshot, kept for the docs.
    let png = std::fs::read(&shot).expect("Chromium took a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let keep = repo().join("target/screenshots");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::write(keep.join("pkce-signed-in.png"), png).unwrap();
    // The credentials follow without another sign-in.
    env.run(&["--profile", "dev-sso", "--no-login"]).json();
}

#[test]
fn a_denied_sign_in_in_chromium_says_what_to_do() {
    let (env, run, text, _) = sign_in(Approval::Deny);
    run.fails(1, &["denied"]);
    assert!(
        text.contains("Sign-in denied")
            && text.contains("The sign-in to sso-session \"corp\" was denied")
            && text.contains(
                "run sso-helper login --profile dev-sso in your terminal and allow access"
            ),
        "Chromium rendered: {text}"
    );
    env.assert_no_secret_in(&text, "the page");
}
