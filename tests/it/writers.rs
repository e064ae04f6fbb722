//! The user's own files (the config, the shared credentials file) rewritten by
//! parallel runs: every run's sections are kept, because each reads, merges and
//! writes under the file's lock; a file made read-only is never replaced; a write
//! killed halfway leaves no secret behind past the next write.

use crate::support::*;

/// Starts `n` sso-helper runs at once and waits for all; each must succeed.
#[track_caller]
fn parallel(env: &TestEnv, runs: Vec<Vec<String>>) {
    let children: Vec<_> = runs
        .iter()
        .map(|args| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.command(BIN, &args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        env.finish(c.wait_with_output().unwrap()).ok();
    }
}

#[test]
fn parallel_exports_keep_every_section() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["--profile", "dev-sso"]).ok();
    let runs = (0..8)
        .map(|i| {
            [
                "export",
                "--profile",
                "dev-sso",
                "--format",
                "credentials",
                "--to",
            ]
            .iter()
            .map(|s| s.to_string())
            .chain([format!("static-{i}")])
            .collect()
        })
        .collect();
    parallel(&env, runs);
    let text = std::fs::read_to_string(env.aws("credentials")).unwrap();
    for i in 0..8 {
        assert!(
            text.contains(&format!("[static-{i}]\n")),
            "[static-{i}] lost:\n{text}"
        );
    }
}

#[test]
fn parallel_configures_keep_every_profile() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    let runs = (0..8)
        .map(|i| {
            ["configure", "--sso-session", "corp", "--write", "--prefix"]
                .iter()
                .map(|s| s.to_string())
                .chain([format!("p{i}-")])
                .collect()
        })
        .collect();
    parallel(&env, runs);
    let config = std::fs::read_to_string(env.aws("config")).unwrap();
    // [profile admin] had one of the four pairs; the first run to take the lock
    // adds the other three, and the rest, reading under the lock, find them there.
    let added = config.matches("sso_helper_session = corp").count();
    assert_eq!(added, 1 + 3, "{config}");
    // Everything reads back.
    env.run(&["status"]).ok();
}

#[test]
fn read_only_files_are_never_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.standard_config();
    let creds = env.aws("credentials");
    std::fs::write(&creds, "[mine]\naws_access_key_id = A\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o444)).unwrap();
    env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "x",
    ])
    .fails(2, &["is read-only", "chmod u+w"]);
    assert!(
        env.standin.requests().is_empty(),
        "refused before any sign-in"
    );
    assert_eq!(
        std::fs::read_to_string(&creds).unwrap(),
        "[mine]\naws_access_key_id = A\n"
    );
    let config = env.aws("config");
    let before = std::fs::read_to_string(&config).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o444)).unwrap();
    env.run(&["configure", "--sso-session", "corp", "--write"])
        .fails(2, &["is read-only"]);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}

/// A write killed halfway leaves a temp file that may hold secrets: the next
/// write in that directory deletes it (its writer is gone), and leaves the temp
/// files of other tools alone.
#[test]
fn a_killed_writes_temp_file_is_gone_after_the_next_write() {
    let env = TestEnv::new();
    env.standard_config();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    // A process id that cannot be running (above the kernel's pid_max).
    let dead = 4_194_304 + 17;
    let cli = env.aws("cli/cache");
    std::fs::create_dir_all(&cli).unwrap();
    let leftovers = [
        cli.join(format!(".abc.json.{dead}.18c2f.tmp")),
        env.aws(&format!(".credentials.{dead}.18c2f.tmp")),
        env.aws(&format!("sso/cache/.x.json.{dead}.1.tmp")),
    ];
    for f in &leftovers {
        std::fs::write(f, "aws_secret_access_key = LEFTOVER").unwrap();
    }
    let foreign = cli.join("tmpk3j2l1.tmp");
    std::fs::write(&foreign, "the AWS CLI's").unwrap();
    // A write in each directory.
    env.run(&["--profile", "dev-sso"]).ok();
    env.run(&[
        "export",
        "--profile",
        "dev-sso",
        "--format",
        "credentials",
        "--to",
        "s",
    ])
    .ok();
    std::fs::remove_file(env.token_path("corp")).unwrap();
    env.run(&["login", "--profile", "dev-sso"]).ok();
    for f in &leftovers {
        assert!(!f.exists(), "{} is still there", f.display());
    }
    assert!(foreign.exists(), "other tools' temp files stay");
}

/// A cache directory that is a symbolic link is used where it points, and its
/// target's permissions are left as the user set them; the files in it are 0600.
#[test]
fn a_symlinked_cache_directory_is_used_but_never_chmodded() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.standard_config();
    let target = env.home().join("dotfiles-cache");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(env.aws("cli")).unwrap();
    std::os::unix::fs::symlink(&target, env.aws("cli/cache")).unwrap();
    env.run(&["--profile", "dev-sso"]).ok();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&target), 0o755);
    let files = files_under(&target);
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
    // A real directory of ours is made private.
    assert_eq!(mode(&env.aws("sso/cache")), 0o700);
}
