//! Getting an SSO token from the OIDC service: the device-authorization sign-in
//! (RFC 8628), the authorization code + PKCE sign-in with a loopback listener (the
//! AWS CLI v2's default; SPEC §5), and the silent `refresh_token` grant (SPEC §3
//! step 3).

use time::{Duration, OffsetDateTime};

use crate::config::SsoSession;
use crate::context::Context;
use crate::endpoints::is_loopback;
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use crate::http::{query_escape, query_unescape, url_host};
use crate::oidc::{DEFAULT_SCOPE, Grant, GrantRequest, Issued, Oidc};
use crate::secret::Secret;
use crate::store::Store;
use crate::token::{Flow, Registration, Token};

/// Seconds between polls when the service does not say (botocore's default).
const DEFAULT_INTERVAL: i64 = 5;
/// What `slow_down` adds to the interval, for all later polls.
const SLOW_DOWN_STEP: i64 = 5;
/// The longest wait between polls, whatever the service says.
const MAX_INTERVAL: i64 = 60;

pub struct LoginOptions<'a> {
    pub no_browser: bool,
    /// The command to suggest when the user must try again.
    pub retry_command: &'a str,
    /// Run by an SDK (credential_process), whose stderr no one sees until it
    /// fails: a sign-in with no terminal for the prompt and no browser opened is
    /// not waited out but refused at once (`Error::LoginRequired`, exit 3).
    pub unattended: bool,
    /// A fixed port for the PKCE listener (`--redirect-port`,
    /// `sso_helper_redirect_port`): for SSH port forwarding.
    pub redirect_port: Option<u16>,
    /// Where the client registration is kept when the store will not take it,
    /// and looked for when the store has none: the AWS CLI's file cache, for a
    /// keychain `auto` chose (as the token, `Session::keep_token`). `None`: the
    /// store's refusal stops the sign-in before it starts.
    pub registration_fallback: Option<&'a dyn Store>,
}

impl LoginOptions<'_> {
    /// No one can see the prompt: an SDK runs this process, with no terminal.
    /// The browser is all there is; its lines are not printed (they would only
    /// clutter the one-line error an SDK shows if the browser cannot open).
    fn unseen(&self, ctx: &Context) -> bool {
        self.unattended && !ctx.has_terminal()
    }

    /// The sign-in can be seen: a terminal shows the prompt, or a browser opened.
    fn check_visible(
        &self,
        ctx: &Context,
        session: &SsoSession,
        opened: Result<(), String>,
    ) -> Result<()> {
        if !self.unattended || ctx.has_terminal() {
            return Ok(());
        }
        let why = match opened {
            Ok(()) => return Ok(()),
            Err(e) if self.no_browser => e,
            Err(e) => format!("no browser could be opened ({e})"),
        };
        Err(Error::LoginRequired {
            what: format!(
                "signing in to {} needs a browser or a terminal, and this process has neither: {why}",
                session.describe()
            ),
            login_hint: format!("run `{}` in a terminal", self.retry_command),
        })
    }

    /// Refuses at once, before any request, what cannot be seen: no browser by
    /// choice, and no terminal.
    pub fn check_before_start(&self, ctx: &Context, session: &SsoSession) -> Result<()> {
        if self.no_browser {
            return self.check_visible(
                ctx,
                session,
                Err("--no-browser (or SSO_HELPER_NO_BROWSER) forbids opening a browser".into()),
            );
        }
        Ok(())
    }
}

/// The client registration for a sign-in with `flow`: the stored one while it
/// fits, else a new one, stored for next time (in `opts.registration_fallback`
/// when the store will not take it).
fn registration(
    ctx: &Context,
    oidc: &Oidc<'_>,
    store: &dyn Store,
    session: &SsoSession,
    flow: Flow,
    fresh: bool,
    opts: &LoginOptions<'_>,
) -> Result<Registration> {
    let now = ctx.now();
    let fits = |r: &Registration| r.fits(flow, now);
    let stored = match fresh {
        true => None,
        false => match store.try_load_registration(session)?.filter(fits) {
            Some(reg) => Some(reg),
            None => match opts.registration_fallback {
                Some(fallback) => fallback.try_load_registration(session)?.filter(fits),
                None => None,
            },
        },
    };
    if let Some(reg) = stored {
        ctx.debug(|| "reusing the stored client registration".into());
        return Ok(reg);
    }
    let name = match &session.name {
        Some(n) => format!("sso-helper-{n}"),
        None => format!("sso-helper-{}", now.unix_timestamp()),
    };
    let reg = oidc.register_client(&name, &session.start_url, &session.scopes, flow, now)?;
    if let Err(e) = store.save_registration(session, &reg) {
        let Some(fallback) = opts.registration_fallback else {
            return Err(e);
        };
        ctx.debug(|| {
            format!(
                "the {} store did not take the client registration: {e}",
                store.name()
            )
        });
        if let Err(file_error) = fallback.save_registration(session, &reg) {
            return Err(Error::Keychain {
                action: "store the client registration in",
                detail: format!("{e}; nor would the file cache take it: {file_error}"),
                refused: false,
            });
        }
    }
    Ok(reg)
}

/// The device-code login: shows the code and URL (on the terminal too), opens the
/// browser unless told not to, and polls until the user approves, denies, or the
/// code expires.
pub fn device_login(
    ctx: &Context,
    oidc: &Oidc<'_>,
    store: &dyn Store,
    session: &SsoSession,
    opts: &LoginOptions<'_>,
) -> Result<Token> {
    let host = url_host(&oidc.base);
    let mut reg = registration(ctx, oidc, store, session, Flow::Device, false, opts)?;
    let auth = match oidc.start_device_authorization(&reg, &session.start_url)? {
        Ok(auth) => auth,
        Err(Grant::InvalidClient) => {
            // The stored registration was revoked or is unknown: register anew, once.
            reg = registration(ctx, oidc, store, session, Flow::Device, true, opts)?;
            oidc.start_device_authorization(&reg, &session.start_url)?
                .map_err(|g| g.into_error("StartDeviceAuthorization", &host))?
        }
        Err(g) => return Err(g.into_error("StartDeviceAuthorization", &host)),
    };
    let mut interval = auth
        .interval
        .filter(|i| *i > 0)
        .unwrap_or(DEFAULT_INTERVAL)
        .min(MAX_INTERVAL);
    // The service ends the code with `expired_token`; this guards against one that
    // never does (`expires_in` is at most an hour: `oidc`).
    let deadline = ctx.now() + Duration::seconds(auth.expires_in.max(60) + 60);
    let mut prompted = false;
    loop {
        match oidc.create_token(&reg, GrantRequest::DeviceCode(&auth.device_code))? {
            Grant::Token(issued) => {
                return Ok(token_from(issued, reg, session, ctx.now(), None));
            }
            Grant::Pending => {}
            Grant::SlowDown => interval = (interval + SLOW_DOWN_STEP).min(MAX_INTERVAL),
            Grant::Expired => return Err(expired(opts, auth.expires_in)),
            Grant::Denied => {
                return Err(Error::Login {
                    message: format!(
                        "the sign-in to {} was denied in the browser",
                        session.describe()
                    ),
                    hint: format!("run `{}` again and allow access", opts.retry_command),
                });
            }
            g => return Err(g.into_error("CreateToken", &host)),
        }
        if !prompted {
            prompted = true;
            let opened = prompt(
                ctx,
                session,
                &auth.verification_uri,
                &auth.verification_uri_complete,
                &auth.user_code,
                opts.no_browser,
                opts.unseen(ctx),
            );
            opts.check_visible(ctx, session, opened)?;
        }
        let left = (deadline - ctx.now()).whole_seconds();
        if left <= 0 {
            return Err(expired(opts, auth.expires_in));
        }
        ctx.sleep(std::time::Duration::from_secs(interval.min(left) as u64));
    }
}

fn denied(session: &SsoSession, opts: &LoginOptions<'_>) -> Error {
    Error::Login {
        message: format!(
            "the sign-in to {} was denied in the browser",
            session.describe()
        ),
        hint: format!("run `{}` again and allow access", opts.retry_command),
    }
}

fn expired(opts: &LoginOptions<'_>, expires_in: i64) -> Error {
    Error::Login {
        message: "the sign-in request expired before it was approved in the browser".into(),
        hint: format!(
            "run `{}` again and approve it within {} minutes",
            opts.retry_command,
            (expires_in / 60).max(1)
        ),
    }
}

/// Shows the code and URL (unless `quiet`) and opens the browser; says whether
/// it opened.
fn prompt(
    ctx: &Context,
    session: &SsoSession,
    uri: &str,
    uri_complete: &str,
    code: &str,
    no_browser: bool,
    quiet: bool,
) -> Result<(), String> {
    // What the service sent reaches the terminal without control characters.
    let (uri, uri_complete, code) = (printable(uri), printable(uri_complete), printable(code));
    let (uri, uri_complete, code) = (uri.as_str(), uri_complete.as_str(), code.as_str());
    if quiet {
        return if no_browser {
            Err("--no-browser (or SSO_HELPER_NO_BROWSER) forbids opening a browser".into())
        } else {
            open_in_browser(ctx, uri_complete, true)
        };
    }
    ctx.show(&format!(
        "sso-helper: sign in to {} ({}) with the code {code}",
        session.describe(),
        session.start_url
    ));
    if no_browser {
        ctx.show(&format!(
            "sso-helper: open {uri_complete} (or {uri} and enter the code) in a browser"
        ));
        return Err("--no-browser (or SSO_HELPER_NO_BROWSER) forbids opening a browser".into());
    }
    open_in_browser(ctx, uri_complete, false)
}

/// Opens `url` in the browser — only an https URL, or plain http on loopback
/// (SPEC §8) — and (unless `quiet`) says what it did, or what the user should do.
fn open_in_browser(ctx: &Context, url: &str, quiet: bool) -> Result<(), String> {
    if !browser_safe(url) {
        if !quiet {
            ctx.show(&format!(
                "sso-helper: not opening {url} automatically (not an https URL); open it yourself if you trust it"
            ));
        }
        return Err("the sign-in URL is not an https URL".into());
    }
    if !quiet {
        ctx.show(&format!("sso-helper: opening {url} in your browser"));
    }
    let opened = ctx.open_browser(url);
    if let Err(e) = &opened
        && !quiet
    {
        ctx.show(&format!(
            "sso-helper: could not open a browser: {e}; open {url} yourself"
        ));
    }
    opened
}

/// How long a PKCE sign-in may take, and each callback request.
const PKCE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
const CALLBACK_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The authorization code + PKCE sign-in: a listener on 127.0.0.1, the S256
/// challenge, the browser sent to `/authorize`, the `state` checked on the way back,
/// and the code exchanged for a token (reference §2.6).
pub fn pkce_login(
    ctx: &Context,
    oidc: &Oidc<'_>,
    store: &dyn Store,
    session: &SsoSession,
    opts: &LoginOptions<'_>,
) -> Result<Token> {
    let host = url_host(&oidc.base);
    let reg = registration(ctx, oidc, store, session, Flow::Pkce, false, opts)?;
    let listener = TcpListener::bind(("127.0.0.1", opts.redirect_port.unwrap_or(0))).map_err(
        |e| match opts.redirect_port {
            Some(port) => Error::Login {
                message: format!(
                    "cannot listen on 127.0.0.1:{port} for the sign-in redirect: {}",
                    if e.kind() == std::io::ErrorKind::AddrInUse {
                        "the port is in use".to_string()
                    } else {
                        e.to_string()
                    }
                ),
                hint: format!(
                    "free port {port}, or choose another with --redirect-port (or sso_helper_redirect_port in the [sso-session])"
                ),
            },
            None => Error::Login {
                message: format!("cannot listen on 127.0.0.1 for the sign-in redirect: {e}"),
                hint: "use --flow device".into(),
            },
        },
    )?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let redirect_uri = format!("http://127.0.0.1:{port}/oauth/callback");
    let verifier = pkce_verifier();
    let state = uuid4();
    let scopes = if reg.scopes.is_empty() {
        DEFAULT_SCOPE.to_string()
    } else {
        reg.scopes.join(" ")
    };
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={state}&code_challenge_method=S256&scopes={}&code_challenge={}",
        oidc.base,
        query_escape(&reg.client_id),
        query_escape(&redirect_uri),
        query_escape(&scopes),
        pkce_challenge(verifier.expose())
    );
    // The listener runs beside the browser launcher, which may wait for the page.
    let waiter = {
        let state = state.clone();
        let pages = Pages {
            session: session.describe(),
            retry: opts.retry_command.to_string(),
        };
        std::thread::spawn(move || wait_for_callback(&listener, &state, &pages))
    };
    let quiet = opts.unseen(ctx);
    if !quiet {
        ctx.show(&format!(
            "sso-helper: sign in to {} ({})",
            session.describe(),
            session.start_url
        ));
    }
    let opened = if quiet && !opts.no_browser {
        open_in_browser(ctx, &url, true)
    } else if opts.no_browser {
        match opts.redirect_port {
            Some(port) => ctx.show(&format!(
                "sso-helper: open {url} in a browser whose 127.0.0.1:{port} reaches this machine (ssh -L {port}:127.0.0.1:{port})"
            )),
            None => ctx.show(&format!(
                "sso-helper: open {url} in a browser on this machine"
            )),
        }
        Err("--no-browser (or SSO_HELPER_NO_BROWSER) forbids opening a browser".to_string())
    } else {
        open_in_browser(ctx, &url, false)
    };
    opts.check_visible(ctx, session, opened)?;
    let callback = waiter.join().unwrap_or(Ok(Callback::TimedOut))?;
    // A sign-in that failed for any reason but the user's own refusal may come from
    // a registration the service no longer honours (it shows the browser an error,
    // not us): forget it, so the next attempt registers anew.
    let forget_registration = || {
        if let Err(e) = store.delete_registration(session) {
            ctx.debug(|| format!("could not forget the client registration: {e}"));
        }
    };
    let code = match callback {
        Callback::Code(code) => code,
        Callback::Denied(error) if error == "access_denied" => return Err(denied(session, opts)),
        Callback::Denied(error) => {
            forget_registration();
            return Err(Error::Login {
                message: format!(
                    "the sign-in to {} failed in the browser: {}",
                    session.describe(),
                    printable(&error)
                ),
                hint: format!("run `{}` again", opts.retry_command),
            });
        }
        Callback::TimedOut => {
            forget_registration();
            return Err(expired(opts, PKCE_TIMEOUT.as_secs() as i64));
        }
    };
    let grant = GrantRequest::AuthorizationCode {
        code: &code,
        verifier: &verifier,
        redirect_uri: &redirect_uri,
    };
    match oidc.create_token(&reg, grant)? {
        Grant::Token(issued) => Ok(token_from(issued, reg, session, ctx.now(), None)),
        Grant::Denied => Err(denied(session, opts)),
        g => {
            forget_registration();
            Err(g.into_error("CreateToken", &host))
        }
    }
}

/// Text from the service or the browser, fit for a terminal.
fn printable(s: &str) -> String {
    crate::error::printable(s, 200)
}

enum Callback {
    Code(Secret),
    Denied(String),
    TimedOut,
}

/// Serves the loopback redirect until it brings a code (with our `state`) or an
/// error, or time runs out. Each connection is served on its own thread with a
/// deadline for its whole request, so one that trickles bytes (another local
/// user) cannot hold back the browser's redirect; at most `MAX_CONNECTIONS` are
/// served at once. Every request gets a page; others are ignored.
/// What the pages the listener sends say: the session, and the command that
/// signs in again.
#[derive(Clone)]
pub struct Pages {
    pub session: String,
    pub retry: String,
}

fn wait_for_callback(listener: &TcpListener, state: &str, pages: &Pages) -> Result<Callback> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let deadline = std::time::Instant::now() + PKCE_TIMEOUT;
    let (tx, rx) = std::sync::mpsc::channel::<Callback>();
    let active = Arc::new(AtomicUsize::new(0));
    listener.set_nonblocking(true).ok();
    while std::time::Instant::now() < deadline {
        if let Ok(outcome) = rx.try_recv() {
            return Ok(outcome);
        }
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(25));
                continue;
            }
            Err(_) => continue,
        };
        if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            continue; // dropped: closed at once
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (tx, state, active) = (tx.clone(), state.to_string(), active.clone());
        let pages = pages.clone();
        std::thread::spawn(move || {
            if let Some(outcome) = serve_callback(stream, &state, &pages) {
                let _ = tx.send(outcome);
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(rx.try_recv().unwrap_or(Callback::TimedOut))
}

/// How many callback connections are served at once.
const MAX_CONNECTIONS: usize = 16;

/// One connection to the listener: its request read within
/// `CALLBACK_READ_TIMEOUT` in all, a page sent back, and the outcome if it is
/// the redirect we wait for.
fn serve_callback(mut stream: TcpStream, state: &str, pages: &Pages) -> Option<Callback> {
    stream.set_nonblocking(false).ok();
    let target = read_request_target(&mut stream).unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (query_unescape(k), query_unescape(v)))
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let outcome = if path != "/oauth/callback" || param("state").as_deref() != Some(state) {
        None
    } else if let Some(error) = param("error") {
        Some(Callback::Denied(error))
    } else {
        param("code").map(|c| Callback::Code(Secret::new(c)))
    };
    let page = page(&outcome, pages);
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nreferrer-policy: no-referrer\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.flush();
    outcome
}

/// The page the browser shows after the redirect: signed in (close the tab), the
/// sign-in refused (what to run again), or not the redirect being waited for.
fn page(outcome: &Option<Callback>, pages: &Pages) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (title, lines): (&str, Vec<String>) = match outcome {
        Some(Callback::Code(_)) => (
            "Signed in",
            vec![
                format!("You are signed in to {}.", esc(&pages.session)),
                "sso-helper has your sign-in; you can close this tab.".into(),
            ],
        ),
        Some(Callback::Denied(error)) if error == "access_denied" => (
            "Sign-in denied",
            vec![
                format!("The sign-in to {} was denied.", esc(&pages.session)),
                format!(
                    "To try again, run <code>{}</code> in your terminal and allow access.",
                    esc(&pages.retry)
                ),
            ],
        ),
        Some(_) => (
            "Sign-in failed",
            vec![
                format!("The sign-in to {} did not complete.", esc(&pages.session)),
                format!(
                    "Your terminal says why; to try again, run <code>{}</code>.",
                    esc(&pages.retry)
                ),
            ],
        ),
        None => (
            "Waiting",
            vec!["This is not the sign-in redirect sso-helper is waiting for.".into()],
        ),
    };
    let body: String = lines.iter().map(|l| format!("<p>{l}</p>")).collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - sso-helper</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:3em auto;max-width:40em;padding:0 1em;color:#222}}\
         h1{{font-size:1.6em}}code{{background:#f3f3f3;padding:.1em .3em;border-radius:3px}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

/// The request target of an HTTP request (`GET /path?query HTTP/1.1`), read
/// within `CALLBACK_READ_TIMEOUT` for the whole head.
fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let deadline = std::time::Instant::now() + CALLBACK_READ_TIMEOUT;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next()?.split_whitespace();
    let _method = words.next()?;
    words.next().map(str::to_string)
}

/// 64 characters from the unreserved set, from the system CSPRNG.
fn pkce_verifier() -> Secret {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    // Rejection sampling keeps the spread even: only bytes below 3 × 66 = 198 are used.
    let limit = 256 / ALPHABET.len() * ALPHABET.len();
    let mut out = String::with_capacity(64);
    let mut pool = [0u8; 64];
    while out.len() < 64 {
        random_fill(&mut pool);
        for b in pool.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
            if out.len() < 64 {
                out.push(ALPHABET[b % ALPHABET.len()] as char);
            }
        }
    }
    Secret::new(out)
}

/// base64url(SHA-256(verifier)) without padding (RFC 7636 S256).
pub fn pkce_challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64url(digest.as_ref())
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A random (version 4) UUID, as the AWS CLI uses for `state`.
fn uuid4() -> String {
    let mut b = [0u8; 16];
    random_fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn random_fill(buf: &mut [u8]) {
    use ring::rand::SecureRandom;
    ring::rand::SystemRandom::new()
        .fill(buf)
        .expect("the system random number generator works");
}

/// Which sign-in to use: `--flow`, else the session's `sso_helper_login_flow`, else
/// `auto` — PKCE on a local desktop, or wherever a fixed redirect port is set
/// (`--redirect-port`, `sso_helper_redirect_port`: a tunnel brings the redirect);
/// the device code over SSH, without a display, in a container, and for legacy
/// sessions (as the AWS CLI does).
pub fn choose_flow(
    ctx: &Context,
    session: &SsoSession,
    requested: Option<&str>,
    in_container: bool,
    fixed_port: bool,
) -> Flow {
    match requested
        .or(session.login_flow.as_deref())
        .unwrap_or("auto")
    {
        "device" => Flow::Device,
        "pkce" => Flow::Pkce,
        _ => {
            let ssh = ctx.var("SSH_CONNECTION").is_some() || ctx.var("SSH_TTY").is_some();
            let no_display = cfg!(all(unix, not(target_os = "macos")))
                && ctx.var("DISPLAY").is_none()
                && ctx.var("WAYLAND_DISPLAY").is_none();
            if session.name.is_none() {
                Flow::Device
            } else if fixed_port {
                Flow::Pkce
            } else if ssh || no_display || in_container {
                Flow::Device
            } else {
                Flow::Pkce
            }
        }
    }
}

/// Whether this process runs in a container (Docker, Podman and the like).
pub fn in_container(ctx: &Context) -> bool {
    ctx.var("container").is_some()
        || std::path::Path::new("/.dockerenv").exists()
        || std::path::Path::new("/run/.containerenv").exists()
}

/// The browser is only pointed at https, or plain http on loopback (SPEC §8).
fn browser_safe(url: &str) -> bool {
    url.starts_with("https://")
        || url
            .strip_prefix("http://")
            .is_some_and(|rest| is_loopback(crate::endpoints::host_of(rest)))
}

/// The silent refresh. `Ok(None)` when the service will not refresh it
/// (`invalid_grant`, a revoked client, …): the caller logs in instead. A request
/// that gets no answer is an error — logging in would not fare better.
pub fn refresh(
    ctx: &Context,
    oidc: &Oidc<'_>,
    session: &SsoSession,
    token: &Token,
) -> Result<Option<Token>> {
    let now = ctx.now();
    let Some((refresh_token, reg)) = token.refresh_material(now) else {
        return Ok(None);
    };
    match oidc.create_token(reg, GrantRequest::RefreshToken(refresh_token)) {
        Ok(Grant::Token(issued)) => {
            ctx.debug(|| format!("refreshed the token for {}", session.describe()));
            Ok(Some(token_from(
                issued,
                reg.clone(),
                session,
                now,
                Some(refresh_token),
            )))
        }
        Ok(other) => {
            ctx.debug(|| format!("refresh refused ({other:?}); a new sign-in is needed"));
            Ok(None)
        }
        Err(e @ (Error::Network { .. } | Error::BadResponse { .. })) => Err(e),
        Err(Error::Aws { status, .. }) if status < 500 && status != 429 => {
            ctx.debug(|| format!("refresh failed with HTTP {status}; a new sign-in is needed"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A stored token from a CreateToken answer. A refresh that returns no new refresh
/// token keeps the old one (as smithy-rs does; botocore would drop it).
fn token_from(
    issued: Issued,
    reg: Registration,
    session: &SsoSession,
    now: OffsetDateTime,
    old_refresh: Option<&Secret>,
) -> Token {
    Token {
        start_url: session.start_url.clone(),
        region: session.region.clone(),
        access_token: issued.access_token,
        expires_at: now + Duration::seconds(issued.expires_in),
        refresh_token: issued.refresh_token.or_else(|| old_refresh.cloned()),
        registration: Some(reg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc_7636() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
    }

    #[test]
    fn verifier_and_state_shapes() {
        let v = pkce_verifier();
        assert_eq!(v.expose().len(), 64);
        assert!(
            v.expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        );
        assert_ne!(pkce_verifier(), v);
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(uuid4(), u);
    }

    #[test]
    fn flow_choice() {
        use time::OffsetDateTime;
        let session = |name: Option<&str>, flow: Option<&str>| SsoSession {
            name: name.map(str::to_string),
            start_url: "https://x.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: vec![],
            login_flow: flow.map(str::to_string),
            redirect_port: None,
        };
        let desktop = Context::for_test(&[("DISPLAY", ":0")], None, OffsetDateTime::UNIX_EPOCH);
        let s = session(Some("corp"), None);
        assert_eq!(choose_flow(&desktop, &s, None, false, false), Flow::Pkce);
        assert_eq!(
            choose_flow(&desktop, &s, None, true, false),
            Flow::Device,
            "container"
        );
        assert_eq!(
            choose_flow(&desktop, &s, Some("device"), false, false),
            Flow::Device
        );
        assert_eq!(
            choose_flow(&desktop, &session(None, None), None, false, false),
            Flow::Device,
            "legacy"
        );
        assert_eq!(
            choose_flow(
                &desktop,
                &session(Some("corp"), Some("device")),
                None,
                false,
                true
            ),
            Flow::Device,
            "an explicit device flow stays"
        );
        assert_eq!(
            choose_flow(
                &desktop,
                &session(Some("corp"), Some("device")),
                Some("pkce"),
                false,
                false
            ),
            Flow::Pkce
        );
        let ssh = Context::for_test(
            &[("DISPLAY", ":0"), ("SSH_CONNECTION", "1 2 3 4")],
            None,
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(choose_flow(&ssh, &s, None, false, false), Flow::Device);
        // A fixed redirect port means a tunnel brings the redirect: PKCE over SSH.
        assert_eq!(choose_flow(&ssh, &s, None, false, true), Flow::Pkce);
        let headless = Context::for_test(&[], None, OffsetDateTime::UNIX_EPOCH);
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(choose_flow(&headless, &s, None, false, false), Flow::Device);
        }
    }

    fn test_pages() -> Pages {
        Pages {
            session: "sso-session \"corp\"".into(),
            retry: "sso-helper login --profile dev".into(),
        }
    }

    /// Sends `GET target` to the listener and returns the page it answered.
    fn visit(port: u16, target: &str) -> String {
        use std::io::{Read, Write};
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(c, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut page = String::new();
        c.read_to_string(&mut page).unwrap();
        page
    }

    #[test]
    fn the_callback_needs_our_state() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let waiter = std::thread::spawn(move || {
            wait_for_callback(&listener, "our-state", &test_pages()).unwrap()
        });
        // Another path, and a code with someone else's state, are answered and ignored.
        assert!(visit(port, "/favicon.ico").contains("not the sign-in redirect"));
        assert!(
            visit(port, "/oauth/callback?code=stolen&state=their-state")
                .contains("not the sign-in redirect")
        );
        let page = visit(port, "/oauth/callback?code=the%2Bcode&state=our-state");
        assert!(
            page.starts_with("HTTP/1.1 200 OK") && page.contains("Signed in"),
            "{page}"
        );
        match waiter.join().unwrap() {
            Callback::Code(code) => assert_eq!(code.expose(), "the+code"),
            _ => panic!("expected the code"),
        }
        // An error with our state ends the wait too.
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let waiter =
            std::thread::spawn(move || wait_for_callback(&listener, "s", &test_pages()).unwrap());
        assert!(
            visit(port, "/oauth/callback?error=access_denied&state=s").contains("Sign-in denied")
        );
        assert!(matches!(waiter.join().unwrap(), Callback::Denied(e) if e == "access_denied"));
    }

    /// Another local user's connection that trickles bytes (or sends nothing)
    /// does not hold back the browser's redirect.
    #[test]
    fn a_trickling_connection_does_not_block_the_redirect() {
        use std::io::Write;
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let waiter =
            std::thread::spawn(move || wait_for_callback(&listener, "s", &test_pages()).unwrap());
        // A byte every 200 ms: each read succeeds, the request never ends.
        let trickler = std::thread::spawn(move || {
            let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
            for _ in 0..15 {
                if slow.write_all(b"G").is_err() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        // The browser's redirect is answered while the trickle goes on (the visit
        // gives up after 5 s: a server that serves one connection at a time would
        // still be reading the trickle).
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(
            c,
            "GET /oauth/callback?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        .unwrap();
        let mut page = String::new();
        std::io::Read::read_to_string(&mut c, &mut page).unwrap();
        assert!(page.contains("Signed in"), "{page}");
        assert!(matches!(waiter.join().unwrap(), Callback::Code(_)));
        trickler.join().unwrap();
    }

    #[test]
    fn browser_only_gets_https_or_loopback() {
        assert!(browser_safe(
            "https://device.sso.us-east-1.amazonaws.com/?user_code=A"
        ));
        assert!(browser_safe("http://127.0.0.1:4000/device?user_code=A"));
        assert!(!browser_safe("http://evil.example/device"));
        assert!(!browser_safe("file:///etc/passwd"));
        assert!(!browser_safe("javascript:alert(1)"));
    }
}
