//! The only module that touches the network (SPEC §7): one ureq agent per proxy
//! choice, created on first use (the warm path never builds one); connect and whole-
//! request timeouts; HTTP errors come back as answers, not errors, because SSO OIDC
//! reports login state in 400 bodies; retries with exponential backoff and full
//! jitter; curl-style proxy variables; `-v` logs one line per request, never a
//! header value or a body. `Concurrent` sends from worker threads with the same
//! rules, and a 429 there makes every request of the batch wait (`Throttle`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::context::Context;
use crate::endpoints::host_of;
use crate::error::{Error, Result, printable};
use crate::secret::Secret;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_RETRIES: u32 = 3;
const RETRY_BUDGET: Duration = Duration::from_secs(60);
const RETRY_AFTER_CAP: Duration = Duration::from_secs(10);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(20);

/// The most requests a `Concurrent` batch has in flight at once. 16: `list` and
/// `configure` on 1,000 accounts then make about 63 rounds of ListAccountRoles
/// instead of 1,000 (8 would leave them under the 8× target once the sequential
/// ListAccounts pages are counted), while staying a polite load on one portal:
/// a 429 slows the whole batch down (`Throttle`), and a connection per worker is
/// kept for reuse so a batch does not redo TLS handshakes.
pub const MAX_IN_FLIGHT: usize = 16;

/// The input and output buffers of a batch's connections (`Http::agent_of`).
const BATCH_BUFFER: usize = 16 * 1024;

/// When a request may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Ordinary calls: 429, 5xx, `slow_down`, connection errors and timeouts.
    Standard,
    /// Device-code polling: like `Standard` but `slow_down` goes back to the poll
    /// loop, which must lengthen its interval.
    Polling,
    /// A `refresh_token` grant: only when the server cannot have used the token
    /// (connection refused or not made, or a 429/5xx/`slow_down` answer), never after
    /// a timeout mid-request — a rotating refresh token must not be burnt.
    RefreshGrant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

pub struct Request<'a> {
    /// The AWS operation name, for messages.
    pub op: &'static str,
    pub method: Method,
    pub url: String,
    /// Sent as `x-amz-sso_bearer_token`.
    pub bearer: Option<&'a Secret>,
    /// A JSON body (may hold secrets; never logged).
    pub json: Option<Secret>,
    pub retry: Retry,
    /// The query string holds a secret (the federation endpoint's `Session`): the
    /// URL is logged without it.
    pub secret_query: bool,
}

impl Request<'_> {
    /// The URL as `-v` may show it.
    fn loggable_url(&self) -> &str {
        if self.secret_query {
            self.url.split('?').next().unwrap_or(&self.url)
        } else {
            &self.url
        }
    }
}

pub struct Answer {
    pub status: u16,
    /// `x-amzn-errortype`, cut at the first `:` and after the last `#`.
    pub error_type: Option<String>,
    pub retry_after: Option<Duration>,
    pub date: Option<String>,
    pub body: String,
    pub host: String,
}

/// Without the body: a CreateToken or GetRoleCredentials answer holds secrets.
impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("error_type", &self.error_type)
            .field("host", &self.host)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn is_slow_down(&self) -> bool {
        self.status == 400
            && (self.error_type.as_deref() == Some("SlowDownException")
                || self.body.contains("\"slow_down\""))
    }
}

pub struct Http<'c> {
    ctx: &'c Context,
    /// Per proxy choice, and whether for a `Concurrent` batch.
    agents: RefCell<HashMap<(Option<String>, bool), ureq::Agent>>,
    /// `AWS_CA_BUNDLE` or the profile's `ca_bundle`: PEM certificates trusted
    /// beside the system's roots, and where the setting came from.
    ca_bundle: Option<(PathBuf, String)>,
}

/// A sender that worker threads share, for a batch of requests to one endpoint
/// (`Http::concurrent`). `Http` borrows the `Context`, which stays on the main
/// thread; this holds what sending needs — the endpoint's agent, the CA bundle,
/// whether `-v` is on — and uses the real clock and sleep. Retries follow the
/// same rules as `Http::send`, and a 429 holds back every request of the batch
/// (`Throttle`).
pub struct Concurrent {
    agent: ureq::Agent,
    ca_bundle: Option<(PathBuf, String)>,
    verbose: bool,
    throttle: Throttle,
}

/// Throttling shared by the requests of a `Concurrent` batch: after a 429 none of
/// them is sent (first try or retry) before `not_before`, so the batch slows down
/// together instead of each worker finding out by itself. Each request still has
/// SPEC §7's bounds: at most 3 retries and 60 s in all.
#[derive(Debug, Default)]
struct Throttle {
    not_before: Mutex<Option<Instant>>,
}

impl Throttle {
    /// No request of the batch goes out before `until` (later holds win).
    fn hold_until(&self, until: Instant) {
        let mut nb = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        *nb = Some(nb.map_or(until, |t| t.max(until)));
    }

    /// How long after `now` requests may go out again.
    fn remaining(&self, now: Instant) -> Duration {
        let nb = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        nb.map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }
}

/// What one request's send-and-retry loop takes from where it runs: `Http` lends
/// its `Context`'s clock, sleep and log; a `Concurrent` worker the real ones and
/// the batch's `Throttle`.
struct Link<'a> {
    agent: &'a ureq::Agent,
    ca_bundle: Option<&'a (PathBuf, String)>,
    now: &'a dyn Fn() -> OffsetDateTime,
    sleep: &'a dyn Fn(Duration),
    verbose: bool,
    throttle: Option<&'a Throttle>,
}

impl Link<'_> {
    /// A `-v` line, as `Context::debug` writes it: one `eprintln!` per line, so
    /// lines from concurrent workers never run into each other.
    fn debug(&self, msg: impl FnOnce() -> String) {
        if self.verbose {
            eprintln!("sso-helper: debug: {}", msg());
        }
    }
}

enum Failure {
    /// The request cannot have reached the server.
    NotSent(String),
    /// It may have reached it.
    MaybeSent(String),
    /// TLS: never retried.
    Certificate(String),
    /// An answer came, but not one HTTP or the API allows (too large, not
    /// UTF-8): reported as such, never retried.
    Malformed(String),
}

/// The largest answer read; an AWS answer is a few kilobytes.
const MAX_BODY: u64 = 1024 * 1024;

impl<'c> Http<'c> {
    pub fn new(ctx: &'c Context) -> Http<'c> {
        Http {
            ctx,
            agents: RefCell::new(HashMap::new()),
            ca_bundle: None,
        }
    }

    /// Trusts the PEM certificates in `path` too (`source` names the setting).
    pub fn with_ca_bundle(mut self, path: PathBuf, source: String) -> Http<'c> {
        self.ca_bundle = Some((path, source));
        self
    }

    /// Sends the request, retrying per its `Retry`; any HTTP status comes back as
    /// an `Answer`, only a request that got no answer is an error.
    pub fn send(&self, req: &Request<'_>) -> Result<Answer> {
        let agent = self.agent(&req.url)?;
        let now = || self.ctx.now();
        let sleep = |d| self.ctx.sleep(d);
        exchange(
            &Link {
                agent: &agent,
                ca_bundle: self.ca_bundle.as_ref(),
                now: &now,
                sleep: &sleep,
                verbose: self.ctx.verbose(),
                throttle: None,
            },
            req,
        )
    }

    /// A sender for worker threads, for a batch of requests to `url`'s endpoint
    /// (its proxy choice and agent are made here, on the main thread).
    pub fn concurrent(&self, url: &str) -> Result<Concurrent> {
        Ok(Concurrent {
            agent: self.agent_of(url, true)?,
            ca_bundle: self.ca_bundle.clone(),
            verbose: self.ctx.verbose(),
            throttle: Throttle::default(),
        })
    }

    /// The agent for `url`'s proxy choice; a proxy or CA bundle setting that cannot
    /// be used is a configuration error, reported before anything is sent.
    fn agent(&self, url: &str) -> Result<ureq::Agent> {
        self.agent_of(url, false)
    }

    /// `agent`, or with `batch` the one for a `Concurrent` batch: it keeps a
    /// connection per worker for reuse (no TLS handshake per request) and has
    /// 16 KiB buffers instead of ureq's 128 KiB ones — plenty for the portal's
    /// header and small JSON answers (bodies stream through), and some 5 MB less
    /// peak memory with `MAX_IN_FLIGHT` connections open.
    fn agent_of(&self, url: &str, batch: bool) -> Result<ureq::Agent> {
        let proxy = proxy_for(self.ctx, url);
        let key = (proxy, batch);
        if let Some(agent) = self.agents.borrow().get(&key) {
            return Ok(agent.clone());
        }
        let proxy_setting = match &key.0 {
            Some(p) => Some(ureq::Proxy::new(p).map_err(|e| Error::Environment {
                message: format!("the proxy {} is not usable: {e}", without_userinfo(p)),
                hint: "fix HTTPS_PROXY / HTTP_PROXY (scheme://host:port)".into(),
            })?),
            None => None,
        };
        let roots = match &self.ca_bundle {
            None => ureq::tls::RootCerts::PlatformVerifier,
            Some((path, source)) => {
                let certs = bundle_and_system_roots(path, source).map_err(|message| {
                    Error::Environment {
                        message,
                        hint: format!(
                            "point {source} at a PEM file of CA certificates, or remove it"
                        ),
                    }
                })?;
                ureq::tls::RootCerts::new_with_certs(&certs)
            }
        };
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_redirects(0)
            .user_agent(concat!("sso-helper/", env!("CARGO_PKG_VERSION")))
            .proxy(proxy_setting)
            .tls_config(tls);
        if batch {
            config = config
                .max_idle_connections(MAX_IN_FLIGHT)
                .max_idle_connections_per_host(MAX_IN_FLIGHT)
                .input_buffer_size(BATCH_BUFFER)
                .output_buffer_size(BATCH_BUFFER)
                .max_response_header_size(BATCH_BUFFER);
        }
        let agent: ureq::Agent = config.build().into();
        self.agents.borrow_mut().insert(key, agent.clone());
        Ok(agent)
    }
}

impl Concurrent {
    /// Sends `req` from any thread: `Http::send`'s rules, and the batch's throttle.
    pub fn send(&self, req: &Request<'_>) -> Result<Answer> {
        exchange(
            &Link {
                agent: &self.agent,
                ca_bundle: self.ca_bundle.as_ref(),
                now: &OffsetDateTime::now_utc,
                sleep: &std::thread::sleep,
                verbose: self.verbose,
                throttle: Some(&self.throttle),
            },
            req,
        )
    }
}

/// Sends `req` over `link`, retrying per its `Retry` (SPEC §7); any HTTP status
/// comes back as an `Answer`, only a request that got no answer is an error. With a
/// `Throttle`, every try first waits out the batch's hold, and a 429 extends it.
fn exchange(link: &Link<'_>, req: &Request<'_>) -> Result<Answer> {
    let host = url_host(&req.url);
    if let Some(throttle) = link.throttle {
        // Another request of the batch was throttled: wait with it (the retry
        // budget starts with the first try).
        loop {
            let wait = throttle.remaining(Instant::now());
            if wait.is_zero() {
                break;
            }
            (link.sleep)(wait);
        }
    }
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let t0 = Instant::now();
        // Retries share what is left of the budget: the whole exchange stays
        // within it, not just the moment the last attempt starts.
        let timeout = REQUEST_TIMEOUT.min(RETRY_BUDGET.saturating_sub(started.elapsed()));
        let outcome = send_once(link.agent, req, &host, timeout, (link.now)());
        let elapsed = t0.elapsed().as_millis();
        let (retryable, wait_hint) = match &outcome {
            Ok(a) => {
                link.debug(|| {
                    format!(
                        "{} {} {} -> {} ({elapsed} ms)",
                        req.op,
                        method_name(req.method),
                        req.loggable_url(),
                        a.status
                    )
                });
                let transient = a.status == 429 || a.status >= 500;
                let slow = a.is_slow_down() && req.retry != Retry::Polling;
                (transient || slow, a.retry_after)
            }
            Err(f) => {
                let (kind, detail) = match f {
                    Failure::NotSent(d) => ("not sent", d),
                    Failure::MaybeSent(d) => ("failed", d),
                    Failure::Certificate(d) => ("tls", d),
                    Failure::Malformed(d) => ("malformed", d),
                };
                link.debug(|| {
                    format!(
                        "{} {} {} -> {kind}: {detail} ({elapsed} ms)",
                        req.op,
                        method_name(req.method),
                        req.loggable_url()
                    )
                });
                let retryable = match f {
                    Failure::NotSent(_) => true,
                    Failure::MaybeSent(_) => req.retry != Retry::RefreshGrant,
                    Failure::Certificate(_) | Failure::Malformed(_) => false,
                };
                (retryable, None)
            }
        };
        if retryable {
            let own_delay = wait_hint
                .map(|d| d.min(RETRY_AFTER_CAP))
                .unwrap_or_else(|| backoff(attempt));
            if let Some(throttle) = link.throttle
                && matches!(&outcome, Ok(a) if a.status == 429)
            {
                // The whole batch waits, whether or not this request may retry.
                throttle.hold_until(Instant::now() + own_delay);
                link.debug(|| {
                    format!(
                        "{} throttled: every request waits {} ms",
                        req.op,
                        own_delay.as_millis()
                    )
                });
            }
            if attempt < MAX_RETRIES {
                let delay = link.throttle.map_or(own_delay, |throttle| {
                    own_delay.max(throttle.remaining(Instant::now()))
                });
                if started.elapsed() + delay < RETRY_BUDGET {
                    attempt += 1;
                    link.debug(|| {
                        format!("{} retry {attempt} in {} ms", req.op, delay.as_millis())
                    });
                    (link.sleep)(delay);
                    if batch_lets_go(link, started) {
                        continue;
                    }
                }
            }
        }
        return finish(link, req, host, outcome);
    }
}

/// After a retry's wait: waits out any hold of the batch that another request
/// made meanwhile, and says whether the retry may go; not when waiting would break
/// the retry budget (the request then ends with its last outcome). A `Throttle`
/// comes with the real sleep, so this ends.
fn batch_lets_go(link: &Link<'_>, started: Instant) -> bool {
    let Some(throttle) = link.throttle else {
        return true;
    };
    loop {
        let wait = throttle.remaining(Instant::now());
        if wait.is_zero() {
            return true;
        }
        if started.elapsed() + wait >= RETRY_BUDGET {
            return false;
        }
        (link.sleep)(wait);
    }
}

/// A request's last outcome as the caller sees it.
fn finish(
    link: &Link<'_>,
    req: &Request<'_>,
    host: String,
    outcome: Result<Answer, Failure>,
) -> Result<Answer> {
    match outcome {
        Ok(a) => Ok(a),
        Err(Failure::Certificate(detail)) => Err(Error::Network {
            op: req.op,
            host,
            detail: match link.ca_bundle {
                Some((path, source)) => format!(
                    "{detail} (trusted: the system's roots and {source} = {})",
                    path.display()
                ),
                None => format!("{detail} (trusted: the system's roots)"),
            },
            certificate: true,
            sent: false,
        }),
        Err(Failure::NotSent(detail)) => Err(Error::Network {
            op: req.op,
            host,
            detail,
            certificate: false,
            sent: false,
        }),
        Err(Failure::MaybeSent(detail)) => Err(Error::Network {
            op: req.op,
            host,
            detail,
            certificate: false,
            sent: true,
        }),
        Err(Failure::Malformed(detail)) => Err(Error::BadResponse {
            op: req.op,
            host,
            detail,
        }),
    }
}

fn send_once(
    agent: &ureq::Agent,
    req: &Request<'_>,
    host: &str,
    timeout: Duration,
    now: OffsetDateTime,
) -> Result<Answer, Failure> {
    let result = match req.method {
        Method::Get => {
            let mut r = agent
                .get(&req.url)
                .config()
                .timeout_global(Some(timeout))
                .build()
                .header("accept", "application/json");
            if let Some(t) = req.bearer {
                r = r.header("x-amz-sso_bearer_token", t.expose());
            }
            r.call()
        }
        Method::Post => {
            let mut r = agent
                .post(&req.url)
                .config()
                .timeout_global(Some(timeout))
                .build()
                .header("content-type", "application/json")
                .header("accept", "application/json");
            if let Some(t) = req.bearer {
                r = r.header("x-amz-sso_bearer_token", t.expose());
            }
            match &req.json {
                Some(body) => r.send(body.expose()),
                None => r.send_empty(),
            }
        }
    };
    let mut response = result.map_err(classify)?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let error_type = header("x-amzn-errortype").map(|t| {
        let t = t.split(':').next().unwrap_or("");
        t.rsplit('#').next().unwrap_or(t).to_string()
    });
    let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v, now));
    let date = header("date");
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => Failure::Malformed(format!(
                "HTTP {status} with a body larger than {} KiB",
                MAX_BODY / 1024
            )),
            other => Failure::MaybeSent(format!(
                "the connection broke while the answer was read ({})",
                printable(&other.to_string(), 120)
            )),
        })?;
    let body = String::from_utf8(bytes).map_err(|_| {
        Failure::Malformed(format!("HTTP {status} with a body that is not UTF-8 text"))
    })?;
    Ok(Answer {
        status,
        error_type,
        retry_after,
        date,
        body,
        host: host.to_string(),
    })
}

/// The certificates of a PEM bundle, with the system's roots.
fn bundle_and_system_roots(
    path: &std::path::Path,
    source: &str,
) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let pem = crate::readfile::read_regular(path, crate::readfile::USER_FILE_CAP)
        .map_err(|e| format!("{source} = {}: cannot read it: {e}", path.display()))?;
    let mut certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "{source} = {} holds no PEM certificate",
            path.display()
        ));
    }
    let system = rustls_native_certs::load_native_certs();
    certs.extend(
        system
            .certs
            .iter()
            .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned()),
    );
    Ok(certs)
}

fn classify(e: ureq::Error) -> Failure {
    use ureq::Error as E;
    use ureq::Timeout as T;
    match e {
        E::Timeout(t @ (T::Resolve | T::Connect)) => {
            Failure::NotSent(format!("timed out ({t:?})").to_lowercase())
        }
        E::Timeout(t) => Failure::MaybeSent(format!("timed out ({t:?})").to_lowercase()),
        E::HostNotFound => Failure::NotSent("host not found".into()),
        E::ConnectionFailed => Failure::NotSent("connection failed".into()),
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            Failure::NotSent("connection refused".into())
        }
        // ureq reports a failed TLS handshake as an I/O error around rustls's.
        E::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
        {
            Failure::Certificate(io.to_string())
        }
        E::Io(io) => Failure::MaybeSent(io.to_string()),
        E::Protocol(p) => Failure::Malformed(format!("the answer is not HTTP ({p})")),
        E::Tls(m) => Failure::Certificate(format!("TLS: {m}")),
        E::Rustls(r) => Failure::Certificate(format!("TLS: {r}")),
        other => Failure::MaybeSent(other.to_string()),
    }
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, base·2ⁿ)].
fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_CAP);
    let r = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Duration::from_nanos(r % (ceiling.as_nanos() as u64 + 1))
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(v: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when =
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let secs = (when - now).whole_seconds().max(0);
    Some(Duration::from_secs(secs as u64))
}

/// The proxy for `url`, curl's way: `https_proxy`/`HTTPS_PROXY` for https,
/// `http_proxy`/`HTTP_PROXY` for http (lower case wins), unless `no_proxy`/`NO_PROXY`
/// names the host, a domain it is in, or `*`.
pub fn proxy_for(ctx: &Context, url: &str) -> Option<String> {
    let (lower, upper) = if url.starts_with("https://") {
        ("https_proxy", "HTTPS_PROXY")
    } else {
        ("http_proxy", "HTTP_PROXY")
    };
    let proxy = ctx.var(lower).or_else(|| ctx.var(upper))?;
    let host = url_host(url);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let bypass = ctx
        .var("no_proxy")
        .or_else(|| ctx.var("NO_PROXY"))
        .is_some_and(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .any(|entry| {
                    if entry == "*" {
                        return true;
                    }
                    let entry = entry.trim_start_matches("*.").trim_start_matches('.');
                    let entry = entry
                        .trim_start_matches('[')
                        .split(']')
                        .next()
                        .unwrap_or(entry);
                    let entry = if entry.matches(':').count() == 1 {
                        entry.split(':').next().unwrap_or(entry)
                    } else {
                        entry
                    };
                    host.eq_ignore_ascii_case(entry)
                        || (host.len() > entry.len()
                            && host[host.len() - entry.len()..].eq_ignore_ascii_case(entry)
                            && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
                })
        });
    (!bypass).then(|| proxy.to_string())
}

/// A URL with any `user:password@` removed, for messages.
pub fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    if scheme.is_empty() {
        rest.to_string()
    } else {
        format!("{scheme}://{rest}")
    }
}

pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    host_of(rest).to_string()
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
    }
}

/// The AWS error in a non-2xx answer: the code from `x-amzn-errortype`, else the
/// body's `error` (OAuth style) or `__type`; the message from `error_description`
/// or `message`.
pub fn aws_error(op: &'static str, a: &Answer) -> Error {
    let body: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
    let field = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let code = a
        .error_type
        .clone()
        .or_else(|| field("error"))
        .or_else(|| field("__type").map(|t| t.rsplit('#').next().unwrap_or(&t).to_string()))
        .unwrap_or_default();
    let message = field("error_description")
        .or_else(|| field("message"))
        .or_else(|| field("Message"))
        .unwrap_or_default();
    // The service's words reach a terminal: no control character, one line.
    Error::Aws {
        op,
        host: a.host.clone(),
        status: a.status,
        code: printable(&code, 80),
        message: printable(&message, 200),
    }
}

/// Decodes a 2xx JSON answer, or turns a non-2xx one into the AWS error.
pub fn decode<T: for<'de> serde::Deserialize<'de>>(op: &'static str, a: &Answer) -> Result<T> {
    if !a.is_success() {
        return Err(aws_error(op, a));
    }
    serde_json::from_str(&a.body).map_err(|e| malformed(op, a, &e))
}

/// A 2xx answer whose body is not what the API defines. serde's own message may
/// quote a value of the body, which may be a secret: only the kind of fault and
/// its place are said.
pub fn malformed(op: &'static str, a: &Answer, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not JSON",
        Category::Data => "lacks a field or has one of the wrong type",
        Category::Eof => "ends too soon",
    };
    Error::BadResponse {
        op,
        host: a.host.clone(),
        detail: format!(
            "HTTP {} with a body that {what} (line {}, column {})",
            a.status,
            e.line(),
            e.column()
        ),
    }
}

/// Decodes a query component: `%XX` escapes and `+` as a space.
pub fn query_unescape(s: &str) -> String {
    let hex = |i: usize| s.as_bytes().get(i).and_then(|b| (*b as char).to_digit(16));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value: only `A–Z a–z 0–9 - _ . ~` stay as they are.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        Context::for_test(vars, None, time::OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn proxy_selection_like_curl() {
        let c = ctx(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://plain:1"),
        ]);
        assert_eq!(
            proxy_for(&c, "https://oidc.us-east-1.amazonaws.com").as_deref(),
            Some("http://lower:1")
        );
        assert_eq!(
            proxy_for(&c, "http://127.0.0.1:9/x").as_deref(),
            Some("http://plain:1")
        );
        let c = ctx(&[
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "example.com, .amazonaws.com,127.0.0.1:8080"),
        ]);
        assert_eq!(proxy_for(&c, "https://oidc.us-east-1.amazonaws.com"), None);
        assert_eq!(proxy_for(&c, "https://example.com/x"), None);
        assert_eq!(
            proxy_for(&c, "https://notexample.com/x").as_deref(),
            Some("http://p:1")
        );
        let c = ctx(&[("HTTP_PROXY", "http://p:1"), ("NO_PROXY", "127.0.0.1:8080")]);
        assert_eq!(proxy_for(&c, "http://127.0.0.1:8080/x"), None);
        let c = ctx(&[("HTTP_PROXY", "http://p:1")]);
        assert_eq!(
            proxy_for(&c, "http://127.0.0.1:8080/x").as_deref(),
            Some("http://p:1"),
            "loopback is not bypassed by default"
        );
        let c = ctx(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "*")]);
        assert_eq!(proxy_for(&c, "https://a.b"), None);
    }

    #[test]
    fn a_throttle_holds_every_request_until_the_latest_time_asked() {
        let t = Throttle::default();
        let now = Instant::now();
        assert_eq!(t.remaining(now), Duration::ZERO);
        t.hold_until(now + Duration::from_secs(2));
        // A shorter hold asked for by another request does not shorten it.
        t.hold_until(now + Duration::from_secs(1));
        assert_eq!(t.remaining(now), Duration::from_secs(2));
        assert_eq!(
            t.remaining(now + Duration::from_millis(1500)),
            Duration::from_millis(500)
        );
        assert_eq!(t.remaining(now + Duration::from_secs(3)), Duration::ZERO);
        t.hold_until(now + Duration::from_secs(5));
        assert_eq!(t.remaining(now), Duration::from_secs(5));
        // Shared by the workers of a batch.
        fn shared<T: Send + Sync>() {}
        shared::<Concurrent>();
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        for attempt in 0..6 {
            let ceiling = BACKOFF_BASE.saturating_mul(1 << attempt).min(BACKOFF_CAP);
            for _ in 0..50 {
                assert!(backoff(attempt) <= ceiling);
            }
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = time::macros::datetime!(2015-10-21 07:28:00 UTC);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn query_round_trip() {
        let raw = "http://127.0.0.1:53123/oauth/callback a+b/é";
        assert_eq!(query_unescape(&query_escape(raw)), raw);
        assert_eq!(query_escape("sso:account:access"), "sso%3Aaccount%3Aaccess");
        assert_eq!(query_unescape("a+b%2x%41"), "a b%2xA");
        assert_eq!(query_unescape("%"), "%");
    }

    #[test]
    fn ca_bundles_are_read_with_the_system_roots() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        std::fs::write(&pem, include_str!("../tests/fixtures/test-ca.pem")).unwrap();
        let certs = bundle_and_system_roots(&pem, "AWS_CA_BUNDLE").unwrap();
        assert!(!certs.is_empty());
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let e = bundle_and_system_roots(&empty, "AWS_CA_BUNDLE").unwrap_err();
        assert!(
            e.contains("AWS_CA_BUNDLE") && e.contains("holds no PEM certificate"),
            "{e}"
        );
        let e =
            bundle_and_system_roots(&dir.path().join("missing.pem"), "ca_bundle in [profile p]")
                .unwrap_err();
        assert!(
            e.contains("ca_bundle in [profile p]") && e.contains("cannot read it"),
            "{e}"
        );
    }

    #[test]
    fn proxy_passwords_stay_out_of_messages() {
        assert_eq!(
            without_userinfo("http://alice:hunter2@proxy:3128"),
            "http://proxy:3128"
        );
        assert_eq!(without_userinfo("http://alice:hunter2@[bad"), "http://[bad");
        assert_eq!(without_userinfo("proxy:3128/x@y"), "proxy:3128/x@y");
    }

    #[test]
    fn url_parts() {
        assert_eq!(url_host("http://127.0.0.1:5/a?b"), "127.0.0.1");
        assert_eq!(url_host("https://[::1]:5/a"), "[::1]");
    }
}
