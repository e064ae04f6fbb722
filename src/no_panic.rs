//! Property tests: nothing read from a file or the network panics. Every parser
//! and every conversion of outside data is fed arbitrary text and bytes, and
//! JSON of the right shape with extreme values (huge and negative numbers, wrong
//! types, control characters, odd dates), and must return — a value, a miss or an
//! error — without panicking.

use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::http::Answer;

const NOW: time::OffsetDateTime = datetime!(2026-11-23 12:00:00 UTC);

/// A JSON value that is anything but what was expected: extreme numbers, odd
/// strings (control characters, huge, dates out of range), other types.
fn wild() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!(i64::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1_000_000_000_000_000i64)),
        Just(json!("9999-12-31T23:59:59-23:59")),
        Just(json!("0000-01-01T00:00:00+23:59")),
        Just(json!("2026-11-23T12:00:00Z")),
        Just(json!("")),
        any::<String>().prop_map(Value::from),
        "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}a-z'\"\\\\ \\n]{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with `keys`, each holding a sane or a wild value.
fn shaped(keys: &'static [&'static str], sane: Value) -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::weighted(0.3, wild()), keys.len()).prop_map(move |vals| {
        let mut obj = serde_json::Map::new();
        for (k, v) in keys.iter().zip(vals) {
            let v = v.unwrap_or_else(|| sane.get(*k).cloned().unwrap_or(Value::Null));
            obj.insert(k.to_string(), v);
        }
        Value::Object(obj)
    })
}

/// Bodies: bytes that may not be UTF-8 or JSON, and JSON of the right shape.
fn body(shape: impl Strategy<Value = Value>) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        6 => shape.prop_map(|v| v.to_string()),
    ]
}

fn answer(status: u16, error_type: Option<String>, body: String) -> Answer {
    Answer {
        status,
        error_type,
        retry_after: None,
        date: None,
        body,
        host: "h".into(),
    }
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        8 => Just(200u16),
        1 => Just(400),
        1 => Just(401),
        1 => Just(403),
        1 => Just(404),
        1 => Just(429),
        1 => Just(500),
        1 => any::<u16>()
    ]
}

fn error_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("AuthorizationPendingException".to_string()),
        Just("SlowDownException".to_string()),
        Just("InvalidGrantException".to_string()),
        any::<String>(),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn config_files_never_panic(text in any::<String>()) {
        let _ = crate::ini::parse(&text);
        let _ = crate::ini::headers(&text);
        check_config(&text);
    }

    #[test]
    fn ini_like_files_never_panic(lines in prop::collection::vec(
        "[ \\t\\u{a0}]{0,3}(\\[[a-z \"'\\\\]{0,12}\\][a-z ]{0,3}|[a-zA-Z_ ]{0,12}[=:][a-z =:#;'\"\\\\]{0,12}|[#;].{0,5}|[a-z]{0,6}|\\u{feff})",
        0..24), newline in "(\n|\r\n|\r)") {
        let text = lines.join(&newline);
        let _ = crate::ini::parse(&text);
        check_config(&text);
    }

    #[test]
    fn shell_splitting_never_panics(s in any::<String>()) {
        let _ = crate::shlex::split(&s);
        for platform in crate::platform::Platform::ALL {
            let _ = crate::process_line::helper_profile_arg(&s, platform);
        }
        let _ = crate::browser::candidates(Some(&s), "https://x.example/", false);
        let _ = crate::browser::candidates(Some(&s), "https://x.example/", true);
    }

    #[test]
    fn timestamps_never_panic(s in any::<String>(), n in any::<i64>()) {
        for t in [crate::timestamp::parse(&s), crate::timestamp::from_epoch_millis(n), crate::timestamp::from_epoch_seconds(n), crate::timestamp::after(NOW, n, time::Duration::days(366))].into_iter().flatten() {
            let _ = crate::timestamp::format_utc(t);
            let _ = t - NOW;
        }
    }

    #[test]
    fn cache_and_keychain_entries_never_panic(
        token in body(shaped(&["startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt", "refreshToken"],
            json!({"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", "accessToken": "a", "expiresAt": "2026-11-23T13:00:00Z", "clientId": "c", "clientSecret": "s", "registrationExpiresAt": "2027-01-01T00:00:00Z", "refreshToken": "r"}))),
        reg in body(shaped(&["clientId", "clientSecret", "expiresAt", "scopes", "grantTypes"],
            json!({"clientId": "c", "clientSecret": "s", "expiresAt": "2027-01-01T00:00:00Z"}))),
        role in body(shaped(&["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"],
            json!({"AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-11-23T13:00:00Z", "AccountId": "111111111111"}))),
    ) {
        use crate::store::{RegistrationFile, RoleFile, TokenFile};
        let session = crate::config::SsoSession {
            name: Some("corp".into()),
            start_url: "https://x.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: vec![],
            login_flow: None,
            redirect_port: None,
        };
        if let Ok(f) = serde_json::from_str::<TokenFile>(&token)
            && let Some(t) = f.into_token(&session)
        {
            let _ = t.is_usable(NOW);
            let _ = t.refresh_material(NOW);
            let _ = TokenFile::from_token(&t);
        }
        if let Ok(f) = serde_json::from_str::<RegistrationFile>(&reg)
            && let Some(r) = f.into_registration()
        {
            let _ = r.fits(crate::token::Flow::Pkce, NOW);
        }
        let key = crate::store::RoleKey { session, account_id: "111111111111".into(), role_name: "R".into() };
        let wrapped = format!("{{\"ProviderType\":\"sso\",\"Credentials\":{role}}}");
        for text in [&role, &wrapped] {
            if let Ok(f) = serde_json::from_str::<RoleFile>(text)
                && let Some(c) = f.into_credentials(&key)
            {
                let _ = crate::output::credential_process_json(&c);
                for format in ["env", "fish", "powershell", "json"] {
                    let _ = crate::export::render(format, &c);
                }
                let _ = c.expiration - NOW;
            }
        }
        let _: Option<crate::lock::Failure> = serde_json::from_str(&token).ok();
    }

    #[test]
    fn oidc_answers_never_panic(
        status in status(),
        etype in error_type(),
        register in body(shaped(&["clientId", "clientSecret", "clientIdIssuedAt", "clientSecretExpiresAt"],
            json!({"clientId": "c", "clientSecret": "s", "clientIdIssuedAt": 1, "clientSecretExpiresAt": 1_900_000_000i64}))),
        device in body(shaped(&["deviceCode", "userCode", "verificationUri", "verificationUriComplete", "expiresIn", "interval"],
            json!({"deviceCode": "d", "userCode": "U", "verificationUri": "https://v", "verificationUriComplete": "https://v?c", "expiresIn": 600, "interval": 5}))),
        token in body(shaped(&["accessToken", "tokenType", "expiresIn", "refreshToken", "error"],
            json!({"accessToken": "a", "tokenType": "Bearer", "expiresIn": 3600, "refreshToken": "r"}))),
    ) {
        let _ = crate::oidc::register_answer(&answer(status, etype.clone(), register), NOW);
        let _ = crate::oidc::device_answer(&answer(status, etype.clone(), device));
        if let Ok(crate::oidc::Grant::Token(issued)) = crate::oidc::token_answer(&answer(status, etype, token)) {
            let _ = NOW + time::Duration::seconds(issued.expires_in);
        }
    }

    #[test]
    fn portal_answers_never_panic(
        status in status(),
        creds in body(shaped(&["roleCredentials"], json!({"roleCredentials": {}}))),
        inner in body(shaped(&["accessKeyId", "secretAccessKey", "sessionToken", "expiration"],
            json!({"accessKeyId": "ASIA", "secretAccessKey": "s", "sessionToken": "t", "expiration": 1_800_000_000_000i64}))),
        accounts in body(shaped(&["accountList", "nextToken"], json!({"accountList": []}))),
        roles in body(shaped(&["roleList", "nextToken"], json!({"roleList": []}))),
    ) {
        let wrapped = format!("{{\"roleCredentials\":{inner}}}");
        for b in [creds, wrapped] {
            if let Ok(c) = crate::portal::role_credentials_answer(&answer(status, None, b), "111111111111", NOW) {
                let _ = crate::output::credential_process_json(&c);
            }
        }
        let _ = crate::portal::accounts_page(&answer(status, None, accounts));
        let _ = crate::portal::roles_page(&answer(status, None, roles));
    }
}

/// Everything the commands derive from a config file.
fn check_config(text: &str) {
    let path = std::path::Path::new("/p");
    for only in [None, Some("default"), Some("a")] {
        let Ok(file) = crate::config::ConfigFile::parse_owned(path, text.to_string(), only) else {
            continue;
        };
        let mut names: Vec<String> = file.profile_order.clone();
        names.push("default".into());
        for p in &names {
            let _ = file.role_profile(p);
            let _ = file.session_for_profile(p);
            let _ = file.companion_target(p);
            let _ = file.lacks_sso_settings(p);
            let _ = file.only_session(p);
            if let Some(section) = file.profile(p) {
                let _ = section.settings().count();
                let _ = section.nested("services");
            }
        }
        for s in &file.session_order {
            let _ = file.session(s);
        }
    }
}
