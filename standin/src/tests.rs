use super::*;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn str(&self, k: &str) -> String {
        self.json()[k]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} in {}", self.body))
            .to_string()
    }
    fn error(&self) -> (u16, String, String) {
        let shape = self.header("x-amzn-errortype").unwrap_or_default();
        let shape = shape.split(':').next().unwrap_or_default().to_string();
        let code = self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (self.status, shape, code)
    }
}

fn call(s: &StandIn, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut conn = TcpStream::connect(s.addr).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", s.addr);
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("no header end");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| l.split_once(": ").unwrap())
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

fn post(s: &StandIn, path: &str, body: Value) -> Reply {
    call(
        s,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
}

fn portal(s: &StandIn, target: &str, token: &str) -> Reply {
    call(s, "GET", target, &[("x-amz-sso_bearer_token", token)], "")
}

fn register(s: &StandIn) -> (String, String) {
    let r = post(
        s,
        "/client/register",
        json!({"clientName": "test", "clientType": "public"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert!(
        v["clientSecretExpiresAt"].as_u64().unwrap() > now_since_epoch().as_secs() + 80 * 86400
    );
    (r.str("clientId"), r.str("clientSecret"))
}

fn start_device(s: &StandIn, c: &(String, String)) -> Value {
    let body = json!({"clientId": c.0, "clientSecret": c.1, "startUrl": s.start_url()});
    let r = post(s, "/device_authorization", body);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn poll(s: &StandIn, c: &(String, String), device_code: &str) -> Reply {
    let grant = "urn:ietf:params:oauth:grant-type:device_code";
    post(
        s,
        "/token",
        json!({"clientId": c.0, "clientSecret": c.1, "grantType": grant, "deviceCode": device_code}),
    )
}

fn visit(s: &StandIn, uri: &str) -> Reply {
    let target = uri.strip_prefix(&s.url()).unwrap();
    call(s, "GET", target, &[], "")
}

fn refresh(s: &StandIn, c: &(String, String), token: &str) -> Reply {
    let body = json!({"clientId": c.0, "clientSecret": c.1, "grantType": "refresh_token", "refreshToken": token});
    post(s, "/token", body)
}

fn pending() -> (u16, String, String) {
    (
        400,
        "AuthorizationPendingException".into(),
        "authorization_pending".into(),
    )
}

#[test]
fn device_flow_pending_visit_token() {
    let s = StandIn::start(Config::default());
    let c = register(&s);
    let d = start_device(&s, &c);
    assert_eq!(d["interval"], 1);
    assert_eq!(d["expiresIn"], 600);
    assert_eq!(d["verificationUri"], format!("{}/device", s.url()));
    let dc = d["deviceCode"].as_str().unwrap();
    let r = poll(&s, &c, dc);
    assert_eq!(r.error(), pending());
    assert!(r.header("x-amzn-errortype").unwrap().ends_with(OIDC_NS));
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let page = visit(&s, d["verificationUriComplete"].as_str().unwrap());
    assert_eq!(page.status, 200);
    assert!(page.body.contains("approved"));
    let t = poll(&s, &c, dc);
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.json()["tokenType"], "Bearer");
    assert_eq!(t.json()["expiresIn"], 28800);
    let (at, rt) = (t.str("accessToken"), t.str("refreshToken"));
    assert!(at.starts_with("aoaAAAAA") && rt.starts_with("aorAAAAA") && at.len() >= 32);
    // consumed
    assert_eq!(poll(&s, &c, dc).error().2, "invalid_grant");
    // wrong secret
    let bad = (c.0.clone(), "nope".to_string());
    assert_eq!(
        poll(&s, &bad, dc).error(),
        (
            401,
            "InvalidClientException".into(),
            "invalid_client".into()
        )
    );
    // other start URL
    let r = post(
        &s,
        "/device_authorization",
        json!({"clientId": c.0, "clientSecret": c.1, "startUrl": "https://x"}),
    );
    assert_eq!(r.error().1, "InvalidRequestException");
    // the token works with the portal
    let r = portal(
        &s,
        "/federation/credentials?role_name=Admin&account_id=111111111111",
        &at,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let secrets = s.secrets();
    for x in [&c.1, &at, &rt, &dc.to_string()] {
        assert!(secrets.contains(x));
    }
    assert!(!secrets.contains(&c.0));
    assert_eq!(s.count(Op::CreateTokenDevice), 4);
    assert_eq!(s.count(Op::VerificationPage), 1);
    let date = r.header("date").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
}

#[test]
fn slow_down_then_pending() {
    let s = StandIn::start(Config {
        slow_down_polls: 2,
        ..Config::default()
    });
    let c = register(&s);
    let dc = start_device(&s, &c)["deviceCode"]
        .as_str()
        .unwrap()
        .to_string();
    let slow = (
        400,
        "SlowDownException".to_string(),
        "slow_down".to_string(),
    );
    assert_eq!(poll(&s, &c, &dc).error(), slow);
    assert_eq!(poll(&s, &c, &dc).error(), slow);
    assert_eq!(poll(&s, &c, &dc).error(), pending());
}

#[test]
fn denial_and_expiry() {
    let s = StandIn::start(Config {
        approval: Approval::Deny,
        ..Config::default()
    });
    let c = register(&s);
    let d = start_device(&s, &c);
    visit(&s, d["verificationUriComplete"].as_str().unwrap());
    let denied = (
        400,
        "AccessDeniedException".to_string(),
        "access_denied".to_string(),
    );
    assert_eq!(
        poll(&s, &c, d["deviceCode"].as_str().unwrap()).error(),
        denied
    );

    let s = StandIn::start(Config {
        approval: Approval::Never,
        device_code_ttl_secs: 0,
        ..Config::default()
    });
    let c = register(&s);
    let d = start_device(&s, &c);
    assert_eq!(
        visit(&s, d["verificationUriComplete"].as_str().unwrap()).status,
        200
    );
    let expired = (
        400,
        "ExpiredTokenException".to_string(),
        "expired_token".to_string(),
    );
    assert_eq!(
        poll(&s, &c, d["deviceCode"].as_str().unwrap()).error(),
        expired
    );
}

#[test]
fn refresh_rotation() {
    let s = StandIn::start(Config::default());
    let c = s.seed_client();
    let rt = s.seed_refresh_token(&c.0);
    let r = refresh(&s, &c, &rt);
    assert_eq!(r.status, 200, "{}", r.body);
    let rt2 = r.str("refreshToken");
    assert_ne!(rt, rt2);
    assert_eq!(
        refresh(&s, &c, &rt).error(),
        (400, "InvalidGrantException".into(), "invalid_grant".into())
    );
    let other = s.seed_client();
    assert_eq!(refresh(&s, &other, &rt2).error().2, "invalid_grant");
    assert_eq!(refresh(&s, &c, &rt2).status, 200);
    assert_eq!(s.count(Op::CreateTokenRefresh), 4);

    let s = StandIn::start(Config {
        issue_refresh_tokens: false,
        ..Config::default()
    });
    let c = s.seed_client();
    let rt = s.seed_refresh_token(&c.0);
    let r = refresh(&s, &c, &rt);
    assert!(r.json().get("refreshToken").is_none());
    assert_eq!(refresh(&s, &c, &rt).status, 200);
}

#[test]
fn portal_auth_revoke_and_logout() {
    let s = StandIn::start(Config::default());
    let token = s.seed_token();
    let path = "/federation/credentials?role_name=ReadOnly&account_id=222222222222";
    let r = portal(&s, path, &token);
    assert_eq!(r.status, 200);
    let rc = &r.json()["roleCredentials"];
    let key = rc["accessKeyId"].as_str().unwrap();
    assert!(key.starts_with("ASIA") && key.len() == 20);
    assert_eq!(rc["secretAccessKey"].as_str().unwrap().len(), 40);
    let exp = rc["expiration"].as_i64().unwrap();
    assert!((exp - now_since_epoch().as_millis() as i64 - 3_600_000).abs() < 10_000);
    assert_eq!(s.issued_credentials()[0].access_key_id, key);
    assert!(
        s.secrets()
            .contains(&rc["sessionToken"].as_str().unwrap().to_string())
    );

    let no = portal(
        &s,
        "/federation/credentials?role_name=Admin&account_id=222222222222",
        &token,
    );
    assert_eq!(
        (no.status, no.header("x-amzn-errortype")),
        (404, Some("ResourceNotFoundException"))
    );
    let missing = portal(&s, "/federation/credentials?role_name=Admin", &token);
    assert_eq!(
        (missing.status, missing.header("x-amzn-errortype")),
        (400, Some("InvalidRequestException"))
    );
    assert_eq!(portal(&s, path, "bogus").status, 401);

    s.revoke_access_tokens();
    let r = portal(&s, path, &token);
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (401, Some("UnauthorizedException"))
    );
    assert_eq!(r.json()["message"], "Session token not found or invalid");

    let fresh = s.seed_token();
    let r = call(
        &s,
        "POST",
        "/logout",
        &[("x-amz-sso_bearer_token", &fresh)],
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    assert_eq!(portal(&s, path, &fresh).status, 401);
    assert_eq!(call(&s, "GET", "/nope", &[], "").status, 404);
}

#[test]
fn pagination() {
    let s = StandIn::start(Config::default());
    let token = s.seed_token();
    let r = portal(&s, "/assignment/accounts", &token);
    let v = r.json();
    assert_eq!(v["accountList"].as_array().unwrap().len(), 2);
    assert_eq!(v["accountList"][0]["accountName"], "Development");
    let next = v["nextToken"].as_str().unwrap();
    let r = portal(
        &s,
        &format!("/assignment/accounts?next_token={}", pct_encode(next)),
        &token,
    );
    let v = r.json();
    assert_eq!(v["accountList"][0]["accountId"], "333333333333");
    assert!(v.get("nextToken").is_none());
    // An unencoded '+' decodes to a space and is rejected.
    assert_eq!(
        portal(
            &s,
            &format!("/assignment/accounts?next_token={next}"),
            &token
        )
        .status,
        400
    );
    let r = portal(&s, "/assignment/accounts?max_result=1", &token);
    assert_eq!(r.json()["accountList"].as_array().unwrap().len(), 1);
    let r = portal(
        &s,
        "/assignment/roles?account_id=111111111111&max_result=1",
        &token,
    );
    let v = r.json();
    assert_eq!(
        v["roleList"][0],
        json!({"roleName": "ReadOnly", "accountId": "111111111111"})
    );
    let next = pct_encode(v["nextToken"].as_str().unwrap());
    let r = portal(
        &s,
        &format!("/assignment/roles?account_id=111111111111&next_token={next}&max_result=1"),
        &token,
    );
    assert_eq!(
        r.json(),
        json!({"roleList": [{"roleName": "Admin", "accountId": "111111111111"}]})
    );
    assert_eq!(s.count(Op::ListAccountRoles), 2);
}

#[test]
fn pkce() {
    assert_eq!(
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let s = StandIn::start(Config::default());
    let body = json!({"clientName": "t", "clientType": "public", "grantTypes": ["authorization_code", "refresh_token"],
        "redirectUris": ["http://127.0.0.1/oauth/callback"], "issuerUrl": s.start_url(), "scopes": ["sso:account:access"]});
    let reg = post(&s, "/client/register", body);
    let c = (reg.str("clientId"), reg.str("clientSecret"));
    let verifier = "x".repeat(64);
    let redirect = "http://127.0.0.1:4567/oauth/callback";
    let target = format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&state=st%20ate&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge={}",
        pct_encode(&c.0),
        pct_encode(redirect),
        pkce_challenge(&verifier)
    );
    let r = call(&s, "GET", &target, &[], "");
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap();
    let q = parse_query(location.strip_prefix(&format!("{redirect}?")).unwrap());
    assert_eq!(q[1], ("state".to_string(), "st ate".to_string()));
    let code = &q[0].1;
    let token = |code: &str, verifier: &str, redirect: &str| {
        let body = json!({"clientId": c.0, "clientSecret": c.1, "grantType": "authorization_code",
            "code": code, "codeVerifier": verifier, "redirectUri": redirect});
        post(&s, "/token", body)
    };
    assert_eq!(
        token(code, &"y".repeat(64), redirect).error().2,
        "invalid_grant"
    );
    assert_eq!(
        token(code, &verifier, "http://127.0.0.1:9/oauth/callback")
            .error()
            .2,
        "invalid_grant"
    );
    let r = token(code, &verifier, redirect);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(token(code, &verifier, redirect).error().2, "invalid_grant");
    assert!(s.secrets().contains(code));

    s.set_approval(Approval::Deny);
    let r = call(&s, "GET", &target, &[], "");
    assert!(
        r.header("location")
            .unwrap()
            .contains("?error=access_denied&state=st%20ate")
    );
    s.set_approval(Approval::Never);
    assert_eq!(call(&s, "GET", &target, &[], "").status, 200);
    let bad = target.replace("%2Foauth%2F", "%2Fother%2F");
    assert_eq!(call(&s, "GET", &bad, &[], "").status, 400);
    assert_eq!(s.count(Op::Authorize), 4);
}

#[test]
fn sts_get_caller_identity() {
    let s = StandIn::start(Config::default());
    let token = s.seed_token();
    portal(
        &s,
        "/federation/credentials?role_name=PowerUser&account_id=333333333333",
        &token,
    );
    let creds = s.issued_credentials().remove(0);
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20261123/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
        creds.access_key_id
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("X-Amz-Security-Token", creds.session_token.as_str()),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
    ];
    let r = call(
        &s,
        "POST",
        "/",
        &headers,
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/xml"));
    assert!(
        r.body
            .contains("<Arn>arn:aws:sts::333333333333:assumed-role/PowerUser/standin-user</Arn>")
    );
    assert!(r.body.contains(&format!(
        "<UserId>AROASTANDIN:{}</UserId>",
        creds.access_key_id
    )));
    assert!(r.body.contains("<Account>333333333333</Account>"));
    let unknown = auth.replace(&creds.access_key_id, "ASIAUNKNOWNUNKNOWN00");
    let r = call(
        &s,
        "POST",
        "/",
        &[("Authorization", &unknown)],
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("<Code>InvalidClientTokenId</Code>"));
    assert_eq!(
        s.sts_callers(),
        vec![
            creds.access_key_id.clone(),
            "ASIAUNKNOWNUNKNOWN00".to_string()
        ]
    );
    assert_eq!(s.count(Op::GetCallerIdentity), 2);
}

#[test]
fn fail_next_injects_errors() {
    let s = StandIn::start(Config::default());
    let token = s.seed_token();
    let path = "/federation/credentials?role_name=ReadOnly&account_id=111111111111";
    s.fail_next(Op::GetRoleCredentials, 500, 1);
    s.fail_next(Op::ListAccounts, 429, 2);
    s.fail_next(Op::RegisterClient, 500, 1);
    let r = portal(&s, path, &token);
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (500, Some("InternalServerException"))
    );
    assert_eq!(portal(&s, path, &token).status, 200);
    for _ in 0..2 {
        let r = portal(&s, "/assignment/accounts", &token);
        assert_eq!((r.status, r.header("retry-after")), (429, Some("0")));
        assert_eq!(
            r.header("x-amzn-errortype"),
            Some("TooManyRequestsException")
        );
    }
    assert_eq!(portal(&s, "/assignment/accounts", &token).status, 200);
    let r = post(
        &s,
        "/client/register",
        json!({"clientName": "t", "clientType": "public"}),
    );
    assert_eq!(
        r.error(),
        (500, "InternalServerException".into(), "server_error".into())
    );
    register(&s);
    assert_eq!(s.count(Op::GetRoleCredentials), 2);
    assert_eq!(s.count(Op::ListAccounts), 3);
    assert_eq!(s.issued_credentials().len(), 1);
}

#[test]
fn helpers_and_shutdown() {
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(784111777)),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(951782400)),
        "Tue, 29 Feb 2000 00:00:00 GMT"
    );
    assert_eq!(pct_decode("a%2Fb+c%zz"), "a/b c%zz");
    let a = rand_str(ALNUM, 64);
    assert_ne!(a, rand_str(ALNUM, 64));
    let s = StandIn::start(Config::default());
    let r = call(&s, "GET", "/device", &[], "");
    assert_eq!(r.status, 200);
    let port = s.port();
    drop(s);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(StandIn::start_on(Config::default(), port).is_ok());
}

#[test]
fn generated_accounts_are_the_same_every_time() {
    let a = generated_accounts(1000);
    assert_eq!(a, generated_accounts(1000));
    assert_eq!(a.len(), 1000);
    assert_eq!(
        a[0],
        Account::new(
            "500000000000",
            "Payments 0000",
            "account0000@example.com",
            &["ReadOnly", "Admin", "PowerUser"]
        )
    );
    assert_eq!(a[1].roles, ["ReadOnly"]);
    assert_eq!(a[2].roles, ["ReadOnly", "Admin"]);
    assert_eq!(a[3].name, "Billing 0003");
    assert_eq!(a[999].id, "500000000999");
    let mut ids: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 1000);
    assert!(a.iter().all(|a| a.id.len() == 12));
    let c = Config::generated(1000);
    assert_eq!((c.accounts.len(), c.page_size), (1000, 100));
}

#[test]
fn a_thousand_accounts_in_pages_of_a_hundred() {
    let s = StandIn::start(Config::generated(1000));
    let token = s.seed_token();
    let (mut seen, mut next) = (Vec::new(), None::<String>);
    loop {
        let mut target = "/assignment/accounts?max_result=100".to_string();
        if let Some(t) = &next {
            target.push_str(&format!("&next_token={}", pct_encode(t)));
        }
        let v = portal(&s, &target, &token).json();
        let page = v["accountList"].as_array().unwrap();
        assert!(page.len() <= 100);
        seen.extend(
            page.iter()
                .map(|a| a["accountId"].as_str().unwrap().to_string()),
        );
        match v["nextToken"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(s.count(Op::ListAccounts), 10);
    let want: Vec<String> = generated_accounts(1000).into_iter().map(|a| a.id).collect();
    assert_eq!(seen, want);
    let v = portal(&s, "/assignment/roles?account_id=500000000006", &token).json();
    assert_eq!(
        v["roleList"],
        json!([
            {"roleName": "ReadOnly", "accountId": "500000000006"},
            {"roleName": "Admin", "accountId": "500000000006"},
            {"roleName": "PowerUser", "accountId": "500000000006"},
        ])
    );
}

#[test]
fn requests_are_served_concurrently_and_counted_in_flight() {
    let s = StandIn::start(Config {
        latency_ms: 20,
        ..Config::default()
    });
    let token = s.seed_token();
    let target = "/assignment/roles?account_id=111111111111";
    assert_eq!(s.max_in_flight(Op::ListAccountRoles), 0);
    s.hold(Op::ListAccountRoles, 3);
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| portal(&s, target, &token).status))
            .collect();
        // All three are being served at once: none waits for another.
        assert!(s.wait_held(Op::ListAccountRoles, 3, Duration::from_secs(10)));
        s.release(Op::ListAccountRoles);
        for c in calls {
            assert_eq!(c.join().unwrap(), 200);
        }
    });
    assert_eq!(s.max_in_flight(Op::ListAccountRoles), 3);
    assert_eq!(portal(&s, target, &token).status, 200);
    assert_eq!(s.max_in_flight(Op::ListAccountRoles), 3);
}

#[test]
fn throttle_next_asks_for_a_pause_and_counts_who_ignores_it() {
    let s = StandIn::start(Config::default());
    let token = s.seed_token();
    let target = "/assignment/roles?account_id=111111111111";
    s.throttle_next(Op::ListAccountRoles, 1, 30);
    let r = portal(&s, target, &token);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("30")));
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    assert_eq!(s.arrived_while_throttled(Op::ListAccountRoles), 0);
    // Asked again at once, inside the 30 s: counted, and answered.
    assert_eq!(portal(&s, target, &token).status, 200);
    assert_eq!(s.arrived_while_throttled(Op::ListAccountRoles), 1);
    assert_eq!(s.arrived_while_throttled(Op::ListAccounts), 0);
}
