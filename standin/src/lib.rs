//! A local stand-in for AWS IAM Identity Center used by sso-helper's tests and demo.
//!
//! It speaks the real wire format (see `aws-sso-protocol.md` §2 and §3) on 127.0.0.1:
//! SSO OIDC (`/client/register`, `/device_authorization`, `/token`, plus the browser pages
//! `/device` and `/authorize`), the SSO portal (`/federation/credentials`,
//! `/assignment/accounts`, `/assignment/roles`, `/logout`) and STS `GetCallerIdentity`.
//! The HTTP server is hand-rolled: one thread per connection, one request per connection,
//! every response carries `Connection: close`; requests are served concurrently, so
//! `Config::latency_ms` delays each answer without queueing the others behind it.
//! A big organisation is `Config::generated_accounts(1000)`.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const OIDC_NS: &str = "http://internal.amazon.com/coral/com.amazonaws.awsssooidc.v20190610/";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const USER_CODE: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// An AWS account the stand-in's single user is assigned to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
}

impl Account {
    pub fn new(id: &str, name: &str, email: &str, roles: &[&str]) -> Account {
        let roles = roles.iter().map(|r| r.to_string()).collect();
        Account {
            id: id.into(),
            name: name.into(),
            email: email.into(),
            roles,
        }
    }
}

/// Team names for generated accounts: account names do not sort like their ids.
const TEAMS: [&str; 6] = ["Payments", "Analytics", "Core", "Billing", "Edge", "Data"];

/// `n` accounts made the same way every time: ids `500000000000`, `500000000001`…
/// in that order; names like `Billing 0003` (so name order is not id order) and
/// emails like `account0003@example.com`; each has `ReadOnly`, account numbers
/// divisible by 2 also `Admin`, by 3 also `PowerUser`, in that order (not sorted).
pub fn generated_accounts(n: usize) -> Vec<Account> {
    (0..n)
        .map(|i| {
            let mut roles = vec!["ReadOnly"];
            if i % 2 == 0 {
                roles.push("Admin");
            }
            if i % 3 == 0 {
                roles.push("PowerUser");
            }
            Account::new(
                &format!("{:012}", 500_000_000_000u64 + i as u64),
                &format!("{} {i:04}", TEAMS[i % TEAMS.len()]),
                &format!("account{i:04}@example.com"),
                &roles,
            )
        })
        .collect()
}

/// What a visit to the verification page (`/device`) or the PKCE `/authorize` page does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Approval {
    Approve,
    Deny,
    Never,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub start_url: String,
    pub accounts: Vec<Account>,
    pub interval: u64,
    pub device_code_ttl_secs: u64,
    pub token_ttl_secs: u64,
    pub role_ttl_secs: u64,
    pub registration_ttl_secs: u64,
    pub issue_refresh_tokens: bool,
    pub approval: Approval,
    pub slow_down_polls: u32,
    /// The most items a ListAccounts or ListAccountRoles page holds (the client's
    /// `max_result` can only lower it).
    pub page_size: usize,
    /// Every portal answer (GetRoleCredentials, ListAccounts, ListAccountRoles,
    /// Logout) waits this long first, as a far-away service would; requests are
    /// served concurrently, so this delays each without queueing the others.
    pub latency_ms: u64,
    /// Log one line per request (method, path without query, status) to stderr.
    pub log_requests: bool,
    /// Random trouble on the API operations (not the browser pages or STS): each
    /// request first waits a random 0..=`max_latency_ms`, then with
    /// `fail_percent` % chance gets a 500 or a 429 (with `Retry-After: 0`).
    pub chaos: Option<Chaos>,
}

#[derive(Clone, Copy, Debug)]
pub struct Chaos {
    pub fail_percent: u32,
    pub max_latency_ms: u64,
}

impl Config {
    /// A big organisation: `n` accounts from `generated_accounts`, pages of up to
    /// 100 items (the API's maximum), everything else as by default.
    pub fn generated(n: usize) -> Config {
        Config {
            accounts: generated_accounts(n),
            page_size: 100,
            ..Config::default()
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            accounts: vec![
                Account::new(
                    "111111111111",
                    "Development",
                    "dev@example.com",
                    &["ReadOnly", "Admin"],
                ),
                Account::new(
                    "222222222222",
                    "Production",
                    "prod@example.com",
                    &["ReadOnly"],
                ),
                Account::new(
                    "333333333333",
                    "Sandbox",
                    "sandbox@example.com",
                    &["PowerUser"],
                ),
            ],
            interval: 1,
            device_code_ttl_secs: 600,
            token_ttl_secs: 28800,
            role_ttl_secs: 3600,
            registration_ttl_secs: 90 * 24 * 3600,
            issue_refresh_tokens: true,
            approval: Approval::Approve,
            slow_down_polls: 0,
            page_size: 2,
            latency_ms: 0,
            log_requests: false,
            chaos: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Op {
    RegisterClient,
    StartDeviceAuthorization,
    CreateTokenDevice,
    CreateTokenRefresh,
    CreateTokenAuthCode,
    VerificationPage,
    Authorize,
    GetRoleCredentials,
    ListAccounts,
    ListAccountRoles,
    Logout,
    GetCallerIdentity,
    /// The AWS Sign-In federation endpoint: `Action=getSigninToken`.
    GetSigninToken,
    /// The federation endpoint's `Action=login` (a browser visit).
    ConsoleLogin,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Oidc,
    Page,
    Portal,
    Sts,
}

impl Op {
    fn family(self) -> Family {
        match self {
            Op::RegisterClient
            | Op::StartDeviceAuthorization
            | Op::CreateTokenDevice
            | Op::CreateTokenRefresh
            | Op::CreateTokenAuthCode => Family::Oidc,
            Op::VerificationPage | Op::Authorize => Family::Page,
            Op::GetRoleCredentials | Op::ListAccounts | Op::ListAccountRoles | Op::Logout => {
                Family::Portal
            }
            Op::GetCallerIdentity => Family::Sts,
            Op::GetSigninToken | Op::ConsoleLogin => Family::Page,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedRoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration_ms: i64,
    pub account_id: String,
    pub role_name: String,
}

/// A console sign-in the federation endpoint accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSignIn {
    /// The access key id of the role credentials it was made from.
    pub access_key_id: String,
    pub issuer: String,
    pub destination: String,
}

#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Percent-decoded path without the query.
    pub path: String,
    /// Percent-decoded query pairs, in order (`+` decodes to a space).
    pub query: Vec<(String, String)>,
    /// Header names are lowercase.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

// ---------------------------------------------------------------- randomness, encodings

fn random_block() -> [u8; 32] {
    static SEED: OnceLock<[u64; 2]> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = SEED.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut out = [0u64; 2];
        for (i, o) in out.iter_mut().enumerate() {
            // RandomState is keyed from the OS's randomness.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos(),
            );
            h.write_u32(std::process::id());
            h.write_usize(i);
            *o = h.finish();
        }
        out
    });
    let mut h = Sha256::new();
    h.update(seed[0].to_le_bytes());
    h.update(seed[1].to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.finalize().into()
}

/// A random number in `0..n` (n > 0).
fn rand_below(n: u64) -> u64 {
    let b = random_block();
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes")) % n
}

fn rand_str(alphabet: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_block().into_iter().take(len - out.len()) {
            out.push(alphabet[b as usize % alphabet.len()] as char);
        }
    }
    out
}

fn request_id() -> String {
    let h = rand_str(b"0123456789abcdef", 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn base64url_nopad(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64URL[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The PKCE S256 challenge for a verifier: base64url-no-pad(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    base64url_nopad(&Sha256::digest(verifier.as_bytes()))
}

/// Percent-encodes everything except the RFC 3986 unreserved characters.
pub fn pct_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let (mut out, mut i) = (Vec::with_capacity(b.len()), 0);
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match (
                    b.get(i + 1).and_then(|c| hex(*c)),
                    b.get(i + 2).and_then(|c| hex(*c)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

fn now_since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// RFC 7231 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(t: SystemTime) -> String {
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let wd = WD[days.rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} GMT",
        MON[(m - 1) as usize]
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------- responses

struct Resp {
    status: u16,
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

type Res = Result<Resp, Resp>;

fn json_resp(status: u16, v: Value) -> Resp {
    Resp {
        status,
        content_type: Some("application/json"),
        headers: vec![],
        body: v.to_string().into_bytes(),
    }
}

fn oidc_err(status: u16, shape: &str, error: &str, desc: &str) -> Resp {
    let mut r = json_resp(status, json!({"error": error, "error_description": desc}));
    r.headers
        .push(("x-amzn-errortype", format!("{shape}:{OIDC_NS}")));
    r
}

fn invalid_request(desc: &str) -> Resp {
    oidc_err(400, "InvalidRequestException", "invalid_request", desc)
}

fn invalid_grant(desc: &str) -> Resp {
    oidc_err(400, "InvalidGrantException", "invalid_grant", desc)
}

fn portal_err(status: u16, shape: &str, message: &str) -> Resp {
    let mut r = json_resp(status, json!({ "message": message }));
    r.headers.push(("x-amzn-errortype", shape.to_string()));
    r
}

fn unauthorized() -> Resp {
    portal_err(
        401,
        "UnauthorizedException",
        "Session token not found or invalid",
    )
}

fn html(status: u16, title: &str, text: &str) -> Resp {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{}</p></body></html>\n",
        xml_escape(text),
        t = xml_escape(title)
    );
    Resp {
        status,
        content_type: Some("text/html; charset=utf-8"),
        headers: vec![],
        body: body.into_bytes(),
    }
}

fn sts_err(status: u16, code: &str, message: &str) -> Resp {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{STS_NS}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
         <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
         <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        xml_escape(message),
        request_id()
    );
    Resp {
        status,
        content_type: Some("text/xml"),
        headers: vec![],
        body: body.into_bytes(),
    }
}

fn injected(op: Op, status: u16) -> Resp {
    let shape = match status {
        400 => "InvalidRequestException",
        401 if op.family() == Family::Oidc => "InvalidClientException",
        401 => "UnauthorizedException",
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        429 => "TooManyRequestsException",
        503 => "ServiceUnavailableException",
        _ => "InternalServerException",
    };
    let message = format!("Injected failure ({status})");
    let mut r = match op.family() {
        Family::Oidc => {
            let error = match status {
                400 => "invalid_request",
                401 => "invalid_client",
                403 => "access_denied",
                429 => "slow_down",
                _ => "server_error",
            };
            oidc_err(status, shape, error, &message)
        }
        Family::Portal => portal_err(status, shape, &message),
        Family::Page => html(status, "Error", &message),
        Family::Sts => {
            let code = match status {
                400 | 429 => "Throttling",
                403 => "AccessDenied",
                503 => "ServiceUnavailable",
                _ => "InternalFailure",
            };
            sts_err(status, code, &message)
        }
    };
    if status == 429 || status == 503 {
        r.headers.push(("Retry-After", "0".into()));
    }
    r
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn write_response(mut w: &TcpStream, r: &Resp) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    head.push_str(&format!("Date: {}\r\n", http_date(SystemTime::now())));
    head.push_str(&format!("x-amzn-RequestId: {}\r\n", request_id()));
    if let Some(ct) = r.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(&r.body);
    w.write_all(&out)?;
    w.flush()
}

// ---------------------------------------------------------------- request parsing

fn read_line_limited(r: &mut impl BufRead, budget: &mut usize) -> io::Result<String> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if n > *budget {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "header too large",
        ));
    }
    *budget -= n;
    let line = String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_request(stream: &TcpStream) -> io::Result<Option<RecordedRequest>> {
    let mut r = BufReader::new(stream);
    let mut budget = MAX_HEADER_BYTES;
    let mut line = read_line_limited(&mut r, &mut budget)?;
    while line.is_empty() {
        if r.fill_buf()?.is_empty() {
            return Ok(None); // connection closed without a request
        }
        line = read_line_limited(&mut r, &mut budget)?;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") => (m.to_string(), t.to_string()),
        _ => return Err(bad("malformed request line")),
    };
    let mut headers = Vec::new();
    loop {
        let h = read_line_limited(&mut r, &mut budget)?;
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').ok_or_else(|| bad("malformed header"))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    if header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        let mut w = stream;
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        loop {
            let size_line = read_line_limited(&mut r, &mut budget)?;
            let size = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                while !read_line_limited(&mut r, &mut budget)?.is_empty() {}
                break;
            }
            if body.len() + size > MAX_BODY_BYTES {
                return Err(bad("body too large"));
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            read_line_limited(&mut r, &mut budget)?;
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        if len > MAX_BODY_BYTES {
            return Err(bad("body too large"));
        }
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    }
    // Absolute-form targets (`http://host/path?q`) are reduced to origin-form.
    let target = match target
        .strip_prefix("http://")
        .or(target.strip_prefix("https://"))
    {
        Some(rest) => rest
            .find('/')
            .map_or("/".to_string(), |i| rest[i..].to_string()),
        None => target,
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Ok(Some(RecordedRequest {
        method,
        path: pct_decode(&path.replace('+', "%2B")),
        query: parse_query(query),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

// ---------------------------------------------------------------- service state

struct Client {
    secret: String,
    redirect_uris: Vec<String>,
    secret_expires: Instant,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Consumed,
}

struct Device {
    client_id: String,
    user_code: String,
    expires: Instant,
    status: DeviceStatus,
}

struct AccessToken {
    expires: Instant,
    revoked: bool,
}

struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires: Instant,
}

struct State {
    cfg: Config,
    url: String,
    clients: HashMap<String, Client>,
    devices: HashMap<String, Device>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, String>, // refresh token -> client id
    codes: HashMap<String, AuthCode>,
    page_tokens: HashMap<String, (String, usize)>,
    creds: Vec<IssuedRoleCredentials>,
    sts_callers: Vec<String>,
    /// Sign-in tokens issued by the federation endpoint: token -> (access key id,
    /// when issued).
    signin_tokens: HashMap<String, (String, Instant)>,
    /// Console sign-ins: (access key id, issuer, destination).
    console_logins: Vec<ConsoleSignIn>,
    requests: Vec<RecordedRequest>,
    counts: HashMap<Op, usize>,
    /// Requests answered with a 2xx status, per operation.
    successes: HashMap<Op, usize>,
    failures: HashMap<Op, (u16, usize)>,
    /// `throttle_next`: how many more 429s to give, with which `Retry-After` (s).
    throttles: HashMap<Op, (usize, u64)>,
    /// Until when the last 429 of `throttle_next` asked the client to wait.
    paused_until: HashMap<Op, Instant>,
    /// Requests that arrived before that time was over.
    arrived_while_paused: HashMap<Op, usize>,
    /// Answers given as they are, instead of handling the request (a hostile or
    /// broken service): status, content type, body.
    scripted: HashMap<Op, Vec<(u16, String, Vec<u8>)>>,
    slow_downs_left: u32,
    secrets: Vec<String>,
}

fn field<'a>(b: &'a Value, k: &str) -> Result<&'a str, Resp> {
    b.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_request(&format!("Missing or invalid parameter: {k}")))
}

fn json_body(req: &RecordedRequest) -> Result<Value, Resp> {
    serde_json::from_str::<Value>(&req.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| invalid_request("Request body is not a JSON object"))
}

fn query<'a>(req: &'a RecordedRequest, k: &str) -> Option<&'a str> {
    req.query_param(k).filter(|v| !v.is_empty())
}

fn required_param<'a>(req: &'a RecordedRequest, k: &str) -> Result<&'a str, Resp> {
    query(req, k).ok_or_else(|| {
        portal_err(
            400,
            "InvalidRequestException",
            &format!("Missing required parameter: {k}"),
        )
    })
}

/// Loopback redirect URIs match whatever the port (RFC 8252 §7.3).
fn without_port(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("http://") else {
        return uri.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    format!("http://{host}{path}")
}

fn is_sts(req: &RecordedRequest) -> bool {
    let signed_for_sts = req
        .header("authorization")
        .is_some_and(|a| a.contains("/sts/aws4_request"));
    let action = |params: &[(String, String)]| params.iter().any(|(k, _)| k == "Action");
    signed_for_sts || (req.path == "/" && (action(&req.query) || action(&parse_query(&req.body))))
}

impl State {
    fn secret(&mut self, s: String) -> String {
        self.secrets.push(s.clone());
        s
    }

    fn register(&mut self, redirect_uris: Vec<String>) -> (String, String) {
        let id = format!("{}dXMtZWFzdC0x", rand_str(B64URL, 22));
        let secret = self.secret(format!(
            "eyJraWQiOiJrZXktc3RhbmRpbiJ9.{}",
            rand_str(B64URL, 300)
        ));
        let secret_expires = Instant::now() + Duration::from_secs(self.cfg.registration_ttl_secs);
        let client = Client {
            secret: secret.clone(),
            redirect_uris,
            secret_expires,
        };
        self.clients.insert(id.clone(), client);
        (id, secret)
    }

    /// A request of `op` arrived at `at`: counted if a `throttle_next` pause was on.
    fn note_arrival(&mut self, op: Op, at: Instant) {
        if self.paused_until.get(&op).is_some_and(|until| at < *until) {
            *self.arrived_while_paused.entry(op).or_default() += 1;
        }
    }

    fn mint_access_token(&mut self) -> String {
        let token = self.secret(format!("aoaAAAAA{}", rand_str(B64URL, 120)));
        let expires = Instant::now() + Duration::from_secs(self.cfg.token_ttl_secs);
        self.access.insert(
            token.clone(),
            AccessToken {
                expires,
                revoked: false,
            },
        );
        token
    }

    fn mint_refresh_token(&mut self, client_id: &str) -> String {
        let token = self.secret(format!("aorAAAAA{}", rand_str(B64URL, 240)));
        self.refresh.insert(token.clone(), client_id.to_string());
        token
    }

    fn token_response(&mut self, client_id: &str) -> Resp {
        let access = self.mint_access_token();
        let mut v = json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": self.cfg.token_ttl_secs});
        if self.cfg.issue_refresh_tokens {
            v["refreshToken"] = self.mint_refresh_token(client_id).into();
        }
        json_resp(200, v)
    }

    fn classify(&self, req: &RecordedRequest) -> Result<Op, Resp> {
        if is_sts(req) {
            return Ok(Op::GetCallerIdentity);
        }
        Ok(match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/client/register") => Op::RegisterClient,
            ("POST", "/device_authorization") => Op::StartDeviceAuthorization,
            ("POST", "/token") => match field(&json_body(req)?, "grantType")? {
                "urn:ietf:params:oauth:grant-type:device_code" => Op::CreateTokenDevice,
                "refresh_token" => Op::CreateTokenRefresh,
                "authorization_code" => Op::CreateTokenAuthCode,
                g => {
                    let desc = format!("Unsupported grant type: {g}");
                    return Err(oidc_err(
                        400,
                        "UnsupportedGrantTypeException",
                        "unsupported_grant_type",
                        &desc,
                    ));
                }
            },
            ("GET", "/device") => Op::VerificationPage,
            ("GET", "/authorize") => Op::Authorize,
            ("GET", "/federation") => match query(req, "Action") {
                Some("getSigninToken") => Op::GetSigninToken,
                Some("login") => Op::ConsoleLogin,
                _ => return Err(html(400, "Error", "Unknown or missing Action")),
            },
            ("GET", "/federation/credentials") => Op::GetRoleCredentials,
            ("GET", "/assignment/accounts") => Op::ListAccounts,
            ("GET", "/assignment/roles") => Op::ListAccountRoles,
            ("POST", "/logout") => Op::Logout,
            (m, p) => {
                let msg = format!("No route for {m} {p}");
                return Err(json_resp(404, json!({ "message": msg })));
            }
        })
    }

    fn handle(&mut self, req: &RecordedRequest) -> Resp {
        self.requests.push(req.clone());
        let op = match self.classify(req) {
            Ok(op) => op,
            Err(r) => return r,
        };
        *self.counts.entry(op).or_default() += 1;
        if let Some((left, secs)) = self.throttles.get_mut(&op)
            && *left > 0
        {
            *left -= 1;
            let secs = *secs;
            let until = Instant::now() + Duration::from_secs(secs);
            let paused = self.paused_until.entry(op).or_insert(until);
            *paused = (*paused).max(until);
            let mut r = injected(op, 429);
            r.headers.retain(|(k, _)| *k != "Retry-After");
            r.headers.push(("Retry-After", secs.to_string()));
            return r;
        }
        if let Some((status, left)) = self.failures.get_mut(&op)
            && *left > 0
        {
            *left -= 1;
            return injected(op, *status);
        }
        if let Some(queue) = self.scripted.get_mut(&op)
            && !queue.is_empty()
        {
            let (status, content_type, body) = queue.remove(0);
            return Resp {
                status,
                content_type: None,
                headers: vec![("Content-Type", content_type)],
                body,
            };
        }
        let result = match op {
            Op::RegisterClient => self.register_client(req),
            Op::StartDeviceAuthorization => self.start_device_authorization(req),
            Op::CreateTokenDevice | Op::CreateTokenRefresh | Op::CreateTokenAuthCode => {
                self.create_token(op, req)
            }
            Op::VerificationPage => self.verification_page(req),
            Op::Authorize => self.authorize(req),
            Op::GetRoleCredentials => self.get_role_credentials(req),
            Op::ListAccounts => self.list_accounts(req),
            Op::ListAccountRoles => self.list_account_roles(req),
            Op::Logout => self.logout(req),
            Op::GetCallerIdentity => self.get_caller_identity(req),
            Op::GetSigninToken => self.get_signin_token(req),
            Op::ConsoleLogin => self.console_login(req),
        };
        let resp = result.unwrap_or_else(|e| e);
        if (200..300).contains(&resp.status) {
            *self.successes.entry(op).or_default() += 1;
        }
        resp
    }

    // ------------------------------------------------------------ OIDC

    fn register_client(&mut self, req: &RecordedRequest) -> Res {
        let b = json_body(req)?;
        field(&b, "clientName")?;
        if field(&b, "clientType")? != "public" {
            let desc = "Invalid client type: only public clients are supported";
            return Err(oidc_err(
                400,
                "InvalidClientMetadataException",
                "invalid_client_metadata",
                desc,
            ));
        }
        let strings = |k: &str| -> Vec<String> {
            let list = b
                .get(k)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        for g in strings("grantTypes") {
            if ![
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            ]
            .contains(&g.as_str())
            {
                let desc = format!("Unsupported grant type: {g}");
                return Err(oidc_err(
                    400,
                    "UnsupportedGrantTypeException",
                    "unsupported_grant_type",
                    &desc,
                ));
            }
        }
        let (id, secret) = self.register(strings("redirectUris"));
        let now = now_since_epoch().as_secs();
        Ok(json_resp(
            200,
            json!({
                "clientId": id,
                "clientSecret": secret,
                "clientIdIssuedAt": now,
                "clientSecretExpiresAt": now + self.cfg.registration_ttl_secs,
            }),
        ))
    }

    fn check_client(&self, b: &Value) -> Result<String, Resp> {
        let (id, secret) = (field(b, "clientId")?, field(b, "clientSecret")?);
        match self.clients.get(id) {
            Some(c) if c.secret == secret && Instant::now() < c.secret_expires => {
                Ok(id.to_string())
            }
            _ => Err(oidc_err(
                401,
                "InvalidClientException",
                "invalid_client",
                "Invalid client provided",
            )),
        }
    }

    fn start_device_authorization(&mut self, req: &RecordedRequest) -> Res {
        let b = json_body(req)?;
        let client_id = self.check_client(&b)?;
        if field(&b, "startUrl")?.trim_end_matches('/') != self.cfg.start_url.trim_end_matches('/')
        {
            return Err(invalid_request("Invalid start URL"));
        }
        let device_code = self.secret(rand_str(B64URL, 86));
        let user_code = format!("{}-{}", rand_str(USER_CODE, 4), rand_str(USER_CODE, 4));
        let expires = Instant::now() + Duration::from_secs(self.cfg.device_code_ttl_secs);
        let device = Device {
            client_id,
            user_code: user_code.clone(),
            expires,
            status: DeviceStatus::Pending,
        };
        self.devices.insert(device_code.clone(), device);
        Ok(json_resp(
            200,
            json!({
                "deviceCode": device_code,
                "userCode": user_code,
                "verificationUri": format!("{}/device", self.url),
                "verificationUriComplete": format!("{}/device?user_code={user_code}", self.url),
                "expiresIn": self.cfg.device_code_ttl_secs,
                "interval": self.cfg.interval,
            }),
        ))
    }

    fn create_token(&mut self, op: Op, req: &RecordedRequest) -> Res {
        let b = json_body(req)?;
        let client_id = self.check_client(&b)?;
        match op {
            Op::CreateTokenDevice => {
                let code = field(&b, "deviceCode")?;
                let device = self
                    .devices
                    .get_mut(code)
                    .filter(|d| d.client_id == client_id && d.status != DeviceStatus::Consumed)
                    .ok_or_else(|| invalid_grant("Invalid device code provided"))?;
                if self.slow_downs_left > 0 {
                    self.slow_downs_left -= 1;
                    return Err(oidc_err(
                        400,
                        "SlowDownException",
                        "slow_down",
                        "Client is polling too fast",
                    ));
                }
                if Instant::now() >= device.expires {
                    return Err(oidc_err(
                        400,
                        "ExpiredTokenException",
                        "expired_token",
                        "Device code has expired",
                    ));
                }
                match device.status {
                    DeviceStatus::Pending => Err(oidc_err(
                        400,
                        "AuthorizationPendingException",
                        "authorization_pending",
                        "Authorization is still pending",
                    )),
                    DeviceStatus::Denied => Err(oidc_err(
                        400,
                        "AccessDeniedException",
                        "access_denied",
                        "Access was denied",
                    )),
                    _ => {
                        device.status = DeviceStatus::Consumed;
                        Ok(self.token_response(&client_id))
                    }
                }
            }
            Op::CreateTokenRefresh => {
                let token = field(&b, "refreshToken")?;
                if self.refresh.get(token) != Some(&client_id) {
                    return Err(invalid_grant("Invalid refresh token provided"));
                }
                if self.cfg.issue_refresh_tokens {
                    self.refresh.remove(token); // rotation: a new one is issued below
                }
                Ok(self.token_response(&client_id))
            }
            _ => {
                let (code, redirect_uri) = (field(&b, "code")?, field(&b, "redirectUri")?);
                let verifier = field(&b, "codeVerifier")?;
                let grant = self
                    .codes
                    .get(code)
                    .filter(|c| c.client_id == client_id && Instant::now() < c.expires)
                    .ok_or_else(|| invalid_grant("Invalid authorization code provided"))?;
                if grant.redirect_uri != redirect_uri {
                    return Err(invalid_grant(
                        "Redirect URI does not match the authorization request",
                    ));
                }
                if pkce_challenge(verifier) != grant.challenge {
                    return Err(invalid_grant(
                        "Code verifier does not match the code challenge",
                    ));
                }
                self.codes.remove(code);
                Ok(self.token_response(&client_id))
            }
        }
    }

    fn verification_page(&mut self, req: &RecordedRequest) -> Res {
        let Some(user_code) = query(req, "user_code") else {
            return Ok(html(
                200,
                "Authorize request",
                "Enter the code shown by your application.",
            ));
        };
        let user_code = user_code.trim().to_ascii_uppercase();
        let approval = self.cfg.approval;
        let device = self
            .devices
            .values_mut()
            .find(|d| d.user_code == user_code)
            .ok_or_else(|| html(404, "Invalid code", "That code is not recognised."))?;
        if device.status != DeviceStatus::Pending || Instant::now() >= device.expires {
            return Ok(html(
                200,
                "Code no longer pending",
                "This code has already been used or has expired.",
            ));
        }
        Ok(match approval {
            Approval::Approve => {
                device.status = DeviceStatus::Approved;
                html(
                    200,
                    "Request approved",
                    &format!("Code {user_code} approved. You may close this window."),
                )
            }
            Approval::Deny => {
                device.status = DeviceStatus::Denied;
                html(
                    200,
                    "Request denied",
                    &format!("Code {user_code} was denied."),
                )
            }
            Approval::Never => html(200, "Authorize request", "Waiting for you to decide."),
        })
    }

    fn authorize(&mut self, req: &RecordedRequest) -> Res {
        let client_id = query(req, "client_id").unwrap_or_default();
        let client = self
            .clients
            .get(client_id)
            .ok_or_else(|| html(400, "Error", "Unknown client_id"))?;
        let redirect_uri =
            query(req, "redirect_uri").ok_or_else(|| html(400, "Error", "Missing redirect_uri"))?;
        if !client.redirect_uris.is_empty()
            && !client
                .redirect_uris
                .iter()
                .any(|r| without_port(r) == without_port(redirect_uri))
        {
            return Err(html(
                400,
                "Error",
                "redirect_uri is not registered for this client",
            ));
        }
        let state = req.query_param("state").unwrap_or_default();
        let redirect = |params: &[(&str, &str)]| {
            let sep = if redirect_uri.contains('?') { '&' } else { '?' };
            let q: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", pct_encode(v)))
                .collect();
            let location = format!("{redirect_uri}{sep}{}", q.join("&"));
            let mut r = html(302, "Redirecting", "Redirecting to the application.");
            r.headers.push(("Location", location));
            r
        };
        if query(req, "response_type") != Some("code") {
            return Ok(redirect(&[
                ("error", "unsupported_response_type"),
                ("state", state),
            ]));
        }
        let challenge = match (
            query(req, "code_challenge_method"),
            query(req, "code_challenge"),
        ) {
            (Some("S256"), Some(c)) => c.to_string(),
            _ => return Ok(redirect(&[("error", "invalid_request"), ("state", state)])),
        };
        Ok(match self.cfg.approval {
            Approval::Approve => {
                let code = self.secret(rand_str(B64URL, 64));
                let grant = AuthCode {
                    client_id: client_id.to_string(),
                    redirect_uri: redirect_uri.to_string(),
                    challenge,
                    expires: Instant::now() + Duration::from_secs(600),
                };
                self.codes.insert(code.clone(), grant);
                redirect(&[("code", &code), ("state", state)])
            }
            Approval::Deny => redirect(&[("error", "access_denied"), ("state", state)]),
            Approval::Never => html(200, "Authorize request", "Waiting for you to decide."),
        })
    }

    // ------------------------------------------------------------ portal

    fn bearer<'a>(&self, req: &'a RecordedRequest) -> Result<&'a str, Resp> {
        let token = req.header("x-amz-sso_bearer_token").unwrap_or_default();
        match self.access.get(token) {
            Some(t) if !t.revoked && Instant::now() < t.expires => Ok(token),
            _ => Err(unauthorized()),
        }
    }

    fn account(&self, id: &str) -> Result<&Account, Resp> {
        let no_access = || portal_err(404, "ResourceNotFoundException", "No access");
        self.cfg
            .accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(no_access)
    }

    fn get_role_credentials(&mut self, req: &RecordedRequest) -> Res {
        self.bearer(req)?;
        let (role, account_id) = (
            required_param(req, "role_name")?,
            required_param(req, "account_id")?,
        );
        if !self.account(account_id)?.roles.iter().any(|r| r == role) {
            return Err(portal_err(404, "ResourceNotFoundException", "No access"));
        }
        let now_ms = now_since_epoch().as_millis() as i64;
        let creds = IssuedRoleCredentials {
            access_key_id: format!("ASIA{}", rand_str(UPPER_ALNUM, 16)),
            secret_access_key: self.secret(rand_str(B64, 40)),
            session_token: self.secret(format!("IQoJb3JpZ2luX2Vj{}", rand_str(B64, 360))),
            expiration_ms: now_ms + 1000 * self.cfg.role_ttl_secs as i64,
            account_id: account_id.to_string(),
            role_name: role.to_string(),
        };
        let body = json!({"roleCredentials": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "expiration": creds.expiration_ms,
        }});
        self.creds.push(creds);
        Ok(json_resp(200, body))
    }

    fn paginate(
        &mut self,
        req: &RecordedRequest,
        key: String,
        list: &str,
        items: Vec<Value>,
    ) -> Res {
        let invalid = |m: &str| portal_err(400, "InvalidRequestException", m);
        let mut size = self.cfg.page_size.max(1);
        if let Some(m) = query(req, "max_result") {
            let m = m.parse::<usize>().ok().filter(|m| (1..=100).contains(m));
            size = size.min(m.ok_or_else(|| invalid("max_result must be between 1 and 100"))?);
        }
        let start = match query(req, "next_token") {
            None => 0,
            Some(t) => match self.page_tokens.get(t) {
                Some((k, offset)) if *k == key => *offset,
                _ => return Err(invalid("Invalid next_token")),
            },
        };
        let end = (start + size).min(items.len());
        let mut out = Map::new();
        out.insert(list.into(), items[start.min(end)..end].to_vec().into());
        if end < items.len() {
            // Opaque, and containing characters that must be percent-encoded in a query.
            let token = format!(
                "{}+{}/{}==",
                rand_str(ALNUM, 24),
                rand_str(ALNUM, 24),
                rand_str(ALNUM, 8)
            );
            self.page_tokens.insert(token.clone(), (key, end));
            out.insert("nextToken".into(), token.into());
        }
        Ok(json_resp(200, Value::Object(out)))
    }

    fn list_accounts(&mut self, req: &RecordedRequest) -> Res {
        self.bearer(req)?;
        let items = self.cfg.accounts.iter();
        let items = items
            .map(|a| json!({"accountId": a.id, "accountName": a.name, "emailAddress": a.email}));
        self.paginate(req, "accounts".into(), "accountList", items.collect())
    }

    fn list_account_roles(&mut self, req: &RecordedRequest) -> Res {
        self.bearer(req)?;
        let account = self.account(required_param(req, "account_id")?)?;
        let items = account
            .roles
            .iter()
            .map(|r| json!({"roleName": r, "accountId": account.id}));
        let (key, items) = (format!("roles:{}", account.id), items.collect());
        self.paginate(req, key, "roleList", items)
    }

    fn logout(&mut self, req: &RecordedRequest) -> Res {
        let token = self.bearer(req)?;
        self.access.remove(token);
        Ok(Resp {
            status: 200,
            content_type: None,
            headers: vec![],
            body: Vec::new(),
        })
    }

    // ------------------------------------------------------------ Sign-In federation

    /// `Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}`:
    /// a sign-in token when the session credentials are ones the stand-in issued
    /// and unexpired (as AWS checks them); 400 otherwise.
    fn get_signin_token(&mut self, req: &RecordedRequest) -> Res {
        let refuse = |m: &str| json_resp(400, json!({ "message": m }));
        let session: Value = query(req, "Session")
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| refuse("Session is missing or not JSON"))?;
        let s = |k: &str| session.get(k).and_then(Value::as_str).unwrap_or_default();
        let now_ms = now_since_epoch().as_millis() as i64;
        let issued = self.creds.iter().find(|c| {
            c.access_key_id == s("sessionId")
                && c.secret_access_key == s("sessionKey")
                && c.session_token == s("sessionToken")
        });
        match issued {
            Some(c) if now_ms < c.expiration_ms => {
                let key = c.access_key_id.clone();
                let token = self.secret(rand_str(B64URL, 200));
                self.signin_tokens
                    .insert(token.clone(), (key, Instant::now()));
                Ok(json_resp(200, json!({ "SigninToken": token })))
            }
            Some(_) => Err(refuse("The session credentials have expired")),
            None => Err(refuse("The session credentials are not valid")),
        }
    }

    /// `Action=login&Issuer=…&Destination=…&SigninToken=…`: a page saying whose
    /// console sign-in it was (a real service redirects to the console).
    fn console_login(&mut self, req: &RecordedRequest) -> Res {
        let token = query(req, "SigninToken").unwrap_or_default();
        let Some((key, at)) = self.signin_tokens.get(token).cloned() else {
            return Err(html(400, "Error", "The sign-in token is not valid"));
        };
        if at.elapsed() > Duration::from_secs(15 * 60) {
            return Err(html(400, "Error", "The sign-in token has expired"));
        }
        self.console_logins.push(ConsoleSignIn {
            access_key_id: key,
            issuer: query(req, "Issuer").unwrap_or_default().to_string(),
            destination: query(req, "Destination").unwrap_or_default().to_string(),
        });
        Ok(html(
            200,
            "Signed in to the console",
            "Console sign-in accepted.",
        ))
    }

    // ------------------------------------------------------------ STS

    fn get_caller_identity(&mut self, req: &RecordedRequest) -> Res {
        let mut params = req.query.clone();
        params.extend(parse_query(&req.body));
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let action = param("Action").unwrap_or_default();
        if action != "GetCallerIdentity" {
            return Err(sts_err(
                400,
                "InvalidAction",
                &format!("Could not find operation {action}"),
            ));
        }
        let credential = req
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1));
        let key_id = credential
            .or(param("X-Amz-Credential"))
            .and_then(|c| c.split('/').next());
        let key_id = key_id.filter(|k| !k.is_empty()).ok_or_else(|| {
            sts_err(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        })?;
        self.sts_callers.push(key_id.to_string());
        let token = req
            .header("x-amz-security-token")
            .or(param("X-Amz-Security-Token"));
        let invalid = || {
            sts_err(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        };
        let creds = self
            .creds
            .iter()
            .find(|c| c.access_key_id == key_id)
            .ok_or_else(invalid)?;
        if token != Some(creds.session_token.as_str()) {
            return Err(invalid());
        }
        if now_since_epoch().as_millis() as i64 >= creds.expiration_ms {
            return Err(sts_err(
                403,
                "ExpiredToken",
                "The security token included in the request is expired",
            ));
        }
        let body = format!(
            "<GetCallerIdentityResponse xmlns=\"{STS_NS}\">\n  <GetCallerIdentityResult>\n    \
             <Arn>arn:aws:sts::{acct}:assumed-role/{role}/standin-user</Arn>\n    \
             <UserId>AROASTANDIN:{key_id}</UserId>\n    <Account>{acct}</Account>\n  \
             </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  \
             </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
            request_id(),
            acct = xml_escape(&creds.account_id),
            role = xml_escape(&creds.role_name),
            key_id = xml_escape(key_id),
        );
        Ok(Resp {
            status: 200,
            content_type: Some("text/xml"),
            headers: vec![],
            body: body.into_bytes(),
        })
    }
}

// ---------------------------------------------------------------- server

struct Inner {
    state: Mutex<State>,
    stop: AtomicBool,
    log: bool,
    /// Requests held before they are handled (`StandIn::hold`).
    gates: Mutex<HashMap<Op, Gate>>,
    gate_changed: Condvar,
    /// Per operation: requests being served now, and the most there ever were.
    flights: Mutex<HashMap<Op, (usize, usize)>>,
}

/// A request being served, from when it was read until its answer is written.
struct InFlight<'a> {
    inner: &'a Inner,
    op: Op,
}

impl<'a> InFlight<'a> {
    fn new(inner: &'a Inner, op: Op) -> InFlight<'a> {
        let mut flights = inner.flights.lock().unwrap_or_else(|e| e.into_inner());
        let (now, max) = flights.entry(op).or_default();
        *now += 1;
        *max = (*max).max(*now);
        InFlight { inner, op }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut flights = self.inner.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((now, _)) = flights.get_mut(&self.op) {
            *now -= 1;
        }
    }
}

/// How many of the next requests of an operation to hold, how many wait now,
/// and how many times the held ones were let go.
#[derive(Default)]
struct Gate {
    to_hold: usize,
    waiting: usize,
    releases: u64,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn gates(&self) -> MutexGuard<'_, HashMap<Op, Gate>> {
        self.gates.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits while `op`'s gate holds this request (until `release`).
    fn pass_gate(&self, op: Op) {
        let mut gates = self.gates();
        let Some(gate) = gates.get_mut(&op).filter(|g| g.to_hold > 0) else {
            return;
        };
        gate.to_hold -= 1;
        gate.waiting += 1;
        let entered = gate.releases;
        self.gate_changed.notify_all();
        loop {
            gates = self
                .gate_changed
                .wait(gates)
                .unwrap_or_else(|e| e.into_inner());
            let gate = gates.get_mut(&op).expect("gates are never removed");
            if gate.releases > entered || self.stop.load(Ordering::SeqCst) {
                gate.waiting -= 1;
                return;
            }
        }
    }
}

fn serve_connection(inner: &Inner, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_nodelay(true);
    // Ends just before the answer is written: a client that has its answer is
    // never still counted, so its next request does not count twice (measured
    // after the write, a worker's next request could arrive first).
    let mut in_flight = None;
    let (resp, line) = match read_request(&stream) {
        Ok(None) => return,
        Ok(Some(req)) => {
            let arrived = Instant::now();
            let (op, chaos, latency_ms) = {
                let mut state = inner.lock();
                let op = state.classify(&req).ok();
                if let Some(op) = op {
                    state.note_arrival(op, arrived);
                }
                (op, state.cfg.chaos, state.cfg.latency_ms)
            };
            if let Some(op) = op {
                in_flight = Some(InFlight::new(inner, op));
                inner.pass_gate(op);
                if latency_ms > 0 && op.family() == Family::Portal {
                    thread::sleep(Duration::from_millis(latency_ms));
                }
            }
            let troubled = op.filter(|o| matches!(o.family(), Family::Oidc | Family::Portal));
            let resp = match (troubled, chaos) {
                (Some(op), Some(c)) => {
                    if c.max_latency_ms > 0 {
                        thread::sleep(Duration::from_millis(rand_below(c.max_latency_ms + 1)));
                    }
                    if rand_below(100) < u64::from(c.fail_percent) {
                        let mut state = inner.lock();
                        state.requests.push(req.clone());
                        *state.counts.entry(op).or_default() += 1;
                        injected(op, if rand_below(2) == 0 { 500 } else { 429 })
                    } else {
                        inner.lock().handle(&req)
                    }
                }
                _ => inner.lock().handle(&req),
            };
            let line = format!("{} {} -> {}", req.method, req.path, resp.status);
            (resp, line)
        }
        Err(e) => {
            let resp = json_resp(400, json!({ "message": format!("Malformed request: {e}") }));
            (resp, "malformed request -> 400".to_string())
        }
    };
    if inner.log {
        eprintln!("sso-standin: {line}");
    }
    drop(in_flight);
    // Status 0 (`respond_next`): the connection closes with no answer at all.
    if resp.status != 0 {
        let _ = write_response(&stream, &resp);
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// A running stand-in server. Dropping it stops accepting connections.
pub struct StandIn {
    inner: Arc<Inner>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl StandIn {
    /// Starts on an OS-assigned port of 127.0.0.1. Panics if it cannot bind.
    pub fn start(config: Config) -> StandIn {
        StandIn::start_on(config, 0).expect("sso-standin: cannot bind 127.0.0.1:0")
    }

    pub fn start_on(config: Config, port: u16) -> io::Result<StandIn> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let url = format!("http://127.0.0.1:{}", addr.port());
        let log = config.log_requests;
        let state = State {
            slow_downs_left: config.slow_down_polls,
            cfg: config,
            url,
            clients: HashMap::new(),
            devices: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            page_tokens: HashMap::new(),
            creds: Vec::new(),
            sts_callers: Vec::new(),
            signin_tokens: HashMap::new(),
            console_logins: Vec::new(),
            requests: Vec::new(),
            counts: HashMap::new(),
            successes: HashMap::new(),
            failures: HashMap::new(),
            throttles: HashMap::new(),
            paused_until: HashMap::new(),
            arrived_while_paused: HashMap::new(),
            scripted: HashMap::new(),
            secrets: Vec::new(),
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            stop: AtomicBool::new(false),
            log,
            gates: Mutex::new(HashMap::new()),
            gate_changed: Condvar::new(),
            flights: Mutex::new(HashMap::new()),
        });
        let acceptor_inner = Arc::clone(&inner);
        let acceptor = thread::Builder::new()
            .name("sso-standin-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if acceptor_inner.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = conn {
                        let inner = Arc::clone(&acceptor_inner);
                        let _ = thread::Builder::new()
                            .name("sso-standin-conn".into())
                            .spawn(move || serve_connection(&inner, stream));
                    }
                }
            })?;
        Ok(StandIn {
            inner,
            addr,
            acceptor: Some(acceptor),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The configured start URL.
    pub fn start_url(&self) -> String {
        self.inner.lock().cfg.start_url.clone()
    }

    /// Requests received for `op`, including ones answered with an error.
    pub fn count(&self, op: Op) -> usize {
        self.inner.lock().counts.get(&op).copied().unwrap_or(0)
    }

    /// Requests of `op` answered with success (2xx).
    pub fn successes(&self, op: Op) -> usize {
        self.inner.lock().successes.get(&op).copied().unwrap_or(0)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Every secret ever issued (client secrets, device codes, access and refresh tokens,
    /// authorization codes, secret access keys, session tokens).
    pub fn secrets(&self) -> Vec<String> {
        self.inner.lock().secrets.clone()
    }

    pub fn issued_credentials(&self) -> Vec<IssuedRoleCredentials> {
        self.inner.lock().creds.clone()
    }

    /// The console sign-ins accepted, in order.
    pub fn console_logins(&self) -> Vec<ConsoleSignIn> {
        self.inner.lock().console_logins.clone()
    }

    pub fn sts_callers(&self) -> Vec<String> {
        self.inner.lock().sts_callers.clone()
    }

    /// A valid access token for the configured start URL, as if another tool had logged in.
    pub fn seed_token(&self) -> String {
        self.inner.lock().mint_access_token()
    }

    /// Registers a client directly; returns `(client_id, client_secret)`.
    pub fn seed_client(&self) -> (String, String) {
        self.inner.lock().register(Vec::new())
    }

    pub fn seed_refresh_token(&self, client_id: &str) -> String {
        self.inner.lock().mint_refresh_token(client_id)
    }

    /// Every access token issued so far gets 401 from the portal from now on.
    pub fn revoke_access_tokens(&self) {
        self.inner
            .lock()
            .access
            .values_mut()
            .for_each(|t| t.revoked = true);
    }

    /// The most requests of `op` that were being served at once (read, not yet
    /// answered).
    pub fn max_in_flight(&self, op: Op) -> usize {
        let flights = self.inner.flights.lock().unwrap_or_else(|e| e.into_inner());
        flights.get(&op).map_or(0, |(_, max)| *max)
    }

    /// Answers the next `times` requests of `op` with 429 TooManyRequestsException
    /// and `Retry-After: retry_after_secs`; requests of `op` that arrive before the
    /// last such wait is over are counted (`arrived_while_throttled`).
    pub fn throttle_next(&self, op: Op, times: usize, retry_after_secs: u64) {
        self.inner
            .lock()
            .throttles
            .insert(op, (times, retry_after_secs));
    }

    /// Requests of `op` that arrived while a `throttle_next` answer's
    /// `Retry-After` was still running.
    pub fn arrived_while_throttled(&self, op: Op) -> usize {
        self.inner
            .lock()
            .arrived_while_paused
            .get(&op)
            .copied()
            .unwrap_or(0)
    }

    /// Answers the next `times` requests of `op` with `status` and a fitting error body.
    pub fn fail_next(&self, op: Op, status: u16, times: usize) {
        self.inner.lock().failures.insert(op, (status, times));
    }

    /// Holds the next `times` requests of `op` before they are handled, until
    /// `release(op)`: a test can act while a client's request is in flight.
    pub fn hold(&self, op: Op, times: usize) {
        self.inner.gates().entry(op).or_default().to_hold = times;
    }

    /// Waits (up to `limit`) until `n` requests of `op` are held; false on timeout.
    pub fn wait_held(&self, op: Op, n: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut gates = self.inner.gates();
        loop {
            if gates.get(&op).is_some_and(|g| g.waiting >= n) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            gates = self
                .inner
                .gate_changed
                .wait_timeout(gates, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Lets every held request of `op` through, to be handled now.
    pub fn release(&self, op: Op) {
        if let Some(g) = self.inner.gates().get_mut(&op) {
            g.releases += 1;
        }
        self.inner.gate_changed.notify_all();
    }

    /// Answers the next request of `op` with exactly this status and body (JSON
    /// unless the body says otherwise), whatever the request: for tests of what a
    /// hostile or broken service can send. Queued answers are used in order.
    /// Status 0 closes the connection after reading the request, answering nothing.
    pub fn respond_next(&self, op: Op, status: u16, body: impl Into<Vec<u8>>) {
        self.inner.lock().scripted.entry(op).or_default().push((
            status,
            "application/json".into(),
            body.into(),
        ));
    }

    pub fn set_approval(&self, approval: Approval) {
        self.inner.lock().cfg.approval = approval;
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.gate_changed.notify_all();
        // Wake the acceptor so it sees the flag; only wait for it if the wake-up landed.
        if TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok()
            && let Some(h) = self.acceptor.take()
        {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests;
