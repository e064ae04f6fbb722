//! A soak, bounded in time and count: 20 processes × 10 calls over three roles,
//! with tokens and role credentials that expire every few seconds while the run
//! goes on, and random 500s, 429s and latency from the stand-in. Every call must
//! succeed; there is one sign-in (the rest are refreshes); no secret reaches
//! stderr; every file left is whole.

use sso_standin::Chaos;

use crate::support::*;

#[test]
fn twenty_processes_ten_calls_each_through_expiry_and_trouble() {
    let env = TestEnv::with(StandInConfig {
        // sso-helper uses a token only with more than 5 minutes left and serves
        // cached credentials only with 15: these are good for 3 seconds.
        token_ttl_secs: 300 + 3,
        role_ttl_secs: 900 + 3,
        chaos: Some(Chaos {
            fail_percent: 5,
            max_latency_ms: 150,
        }),
        ..Default::default()
    });
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
         [profile ro]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n\
         [profile admin]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
         [profile prod]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = ReadOnly\n"
    ));
    let profiles = ["ro", "admin", "prod"];
    let env = std::sync::Arc::new(env);
    let workers: Vec<_> = (0..20)
        .map(|w| {
            let env = env.clone();
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for call in 0..10 {
                    let profile = profiles[(w + call) % profiles.len()];
                    let out = env
                        .command(BIN, &["--profile", profile, "--flow", "device"])
                        .output()
                        .unwrap();
                    let run = env.finish(out);
                    if run.code != 0
                        || serde_json::from_str::<serde_json::Value>(&run.stdout).is_err()
                    {
                        failures.push(format!(
                            "worker {w} call {call} ({profile}): {}",
                            run.stderr
                        ));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} calls failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // One sign-in; the token's later lives came from refreshes.
    assert_eq!(env.standin.successes(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.standin.successes(Op::CreateTokenDevice), 1);
    assert!(
        env.standin.successes(Op::CreateTokenRefresh) >= 1,
        "tokens expired mid-run"
    );
    assert!(
        env.standin.issued_credentials().len() > 3,
        "credentials expired mid-run"
    );
    // Every file left is whole JSON; no temp file is left.
    for f in files_under(&env.aws("")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".tmp"),
            "a temp file is left: {}",
            f.display()
        );
        if name.ends_with(".json") {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
                "torn file {}",
                f.display()
            );
        }
    }
}
