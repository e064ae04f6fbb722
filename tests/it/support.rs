//! The test harness: a fresh HOME, the stand-in on 127.0.0.1, a browser script on
//! PATH, and the real binary run with a cleared environment. Every run checks that
//! no secret the stand-in issued appears on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use sso_standin::{Approval, Config as StandInConfig, Op, StandIn};

pub const BIN: &str = env!("CARGO_BIN_EXE_sso-helper");
pub const START_URL: &str = "https://d-1234567890.awsapps.com/start";

pub struct TestEnv {
    pub home: tempfile::TempDir,
    pub standin: StandIn,
    pub browser_log: PathBuf,
    vars: Vec<(String, String)>,
    /// Variables of [`TestEnv::env`] a test takes away.
    unset: Vec<String>,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "expected success; stderr:\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        self.ok();
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {:?}", self.stdout))
    }

    /// A failure: the expected exit code, empty stdout, and one stderr line that
    /// contains every needle.
    #[track_caller]
    pub fn fails(&self, code: i32, needles: &[&str]) -> &Run {
        assert_eq!(self.code, code, "exit code; stderr:\n{}", self.stderr);
        assert_eq!(self.stdout, "", "stdout must stay empty on failure");
        let last = self.stderr.lines().last().unwrap_or("");
        for n in needles {
            assert!(
                last.contains(n),
                "stderr's last line lacks {n:?}:\n{}",
                self.stderr
            );
        }
        self
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv::with(StandInConfig::default())
    }

    pub fn with(config: StandInConfig) -> TestEnv {
        let home = tempfile::tempdir().expect("temp home");
        let browser_log = home.path().join("browser.log");
        TestEnv {
            home,
            standin: StandIn::start(config),
            browser_log,
            vars: Vec::new(),
            unset: Vec::new(),
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn aws(&self, rel: &str) -> PathBuf {
        self.home().join(".aws").join(rel)
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut TestEnv {
        self.unset.retain(|name| name != k);
        self.vars.push((k.into(), v.into()));
        self
    }

    /// Leaves `k` out of every run's environment (also one [`TestEnv::env`]
    /// sets by default).
    pub fn unset(&mut self, k: &str) -> &mut TestEnv {
        self.vars.retain(|(name, _)| name != k);
        self.unset.push(k.into());
        self
    }

    pub fn write_config(&self, text: &str) {
        let path = self.aws("config");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Both layouts of SPEC §2 against the stand-in's start URL.
    pub fn standard_config(&self) {
        self.write_config(&format!(
            "[sso-session corp]\n\
             sso_start_url = {START_URL}\n\
             sso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n\
             \n\
             [profile dev-sso]\n\
             sso_session = corp\n\
             sso_account_id = 111111111111\n\
             sso_role_name = ReadOnly\n\
             \n\
             [profile dev]\n\
             credential_process = {BIN} --profile dev-sso\n\
             \n\
             [profile admin]\n\
             credential_process = {BIN} --profile admin\n\
             sso_helper_session = corp\n\
             sso_helper_account_id = 111111111111\n\
             sso_helper_role_name = Admin\n\
             region = eu-west-1\n\
             \n\
             [profile legacy]\n\
             sso_helper_start_url = {START_URL}\n\
             sso_helper_region = us-east-1\n\
             sso_helper_account_id = 222222222222\n\
             sso_helper_role_name = ReadOnly\n"
        ));
    }

    /// The PATH directory holding the browser script.
    pub fn browser_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/browser")
    }

    /// The environment every run gets: nothing of the developer's.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("HOME".to_string(), self.home().display().to_string()),
            (
                "PATH".to_string(),
                format!(
                    "{}:/usr/local/bin:/usr/bin:/bin",
                    Self::browser_dir().display()
                ),
            ),
            ("AWS_ENDPOINT_URL_SSO".to_string(), self.standin.url()),
            ("AWS_ENDPOINT_URL_SSO_OIDC".to_string(), self.standin.url()),
            (
                "SSO_TEST_BROWSER_LOG".to_string(),
                self.browser_log.display().to_string(),
            ),
            // The file store unless a test picks another; and a session bus that does
            // not exist, so no test can reach the developer's own keychain.
            ("SSO_HELPER_TOKEN_STORE".to_string(), "file".to_string()),
            (
                "DBUS_SESSION_BUS_ADDRESS".to_string(),
                format!("unix:path={}/no-session-bus", self.home().display()),
            ),
        ];
        v.extend(self.vars.iter().cloned());
        v.retain(|(k, _)| !self.unset.contains(k));
        v
    }

    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .env_clear()
            .envs(self.env())
            .current_dir(self.home())
            .stdin(Stdio::null());
        c
    }

    /// Runs sso-helper.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(BIN, args).output().expect("run sso-helper");
        self.finish(out)
    }

    /// Runs sso-helper, killing it (and failing the test) if it runs longer than
    /// `limit`: for inputs that once made it hang.
    #[track_caller]
    pub fn run_within(&self, args: &[&str], limit: std::time::Duration) -> Run {
        let mut child = self
            .command(BIN, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sso-helper");
        let deadline = std::time::Instant::now() + limit;
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("sso-helper {args:?} ran longer than {limit:?}: it hangs");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.finish(child.wait_with_output().unwrap())
    }

    /// Runs sso-helper without a controlling terminal (in a new session, through
    /// util-linux's `setsid`), as under an SDK, even when the tests run in one.
    #[track_caller]
    pub fn run_detached(&self, args: &[&str]) -> Run {
        let mut all = vec!["--wait", BIN];
        all.extend_from_slice(args);
        let out = self
            .command("setsid", &all)
            .output()
            .unwrap_or_else(|e| panic!("setsid: {e}; install util-linux"));
        self.finish(out)
    }

    /// Checks a finished process's stderr for secrets and wraps it.
    #[track_caller]
    pub fn finish(&self, out: Output) -> Run {
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.assert_no_secret_in(&run.stderr, "stderr");
        run
    }

    #[track_caller]
    pub fn assert_no_secret_in(&self, text: &str, what: &str) {
        let secrets = self.standin.secrets();
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "a secret issued by the stand-in appears in {what}:\n{text}"
            );
        }
    }

    /// URLs the browser script was asked to open.
    pub fn browser_opens(&self) -> Vec<String> {
        std::fs::read_to_string(&self.browser_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Writes a token file the way `aws sso login` does.
    pub fn write_cli_token(&self, cache_key: &str, body: &serde_json::Value) -> PathBuf {
        let path = self.aws(&format!("sso/cache/{}.json", sha1_hex(cache_key)));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_vec_pretty(body).unwrap()).unwrap();
        path
    }

    /// Writes, as `aws sso login` would, a token for sso-session `corp` that can be
    /// refreshed: a client and a refresh token the stand-in knows, a registration
    /// valid for a day. Returns the file, the client id and the refresh token.
    pub fn write_refreshable_token(
        &self,
        access_token: &str,
        expires_in: i64,
    ) -> (PathBuf, String, String) {
        let (client_id, client_secret) = self.standin.seed_client();
        let refresh = self.standin.seed_refresh_token(&client_id);
        let path = self.write_cli_token(
            "corp",
            &serde_json::json!({
                "startUrl": START_URL, "region": "us-east-1", "accessToken": access_token,
                "expiresAt": utc_in(expires_in), "clientId": client_id, "clientSecret": client_secret,
                "registrationExpiresAt": utc_in(86400), "refreshToken": refresh,
            }),
        );
        (path, client_id, refresh)
    }

    pub fn token_path(&self, cache_key: &str) -> PathBuf {
        self.aws(&format!("sso/cache/{}.json", sha1_hex(cache_key)))
    }

    pub fn read_json(path: &Path) -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap()
    }
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python (boto3, botocore, the AWS CLI v1): `$SSO_HELPER_TEST_PYTHON`,
/// else `<repo>/.venv/bin/python`, which `scripts/setup-test-env` makes.
#[track_caller]
pub fn python() -> PathBuf {
    let path = std::env::var_os("SSO_HELPER_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    assert!(
        path.is_file(),
        "no Python with boto3 at {}: run scripts/setup-test-env (or set SSO_HELPER_TEST_PYTHON)",
        path.display()
    );
    path
}

/// A script of `tests/compat/`.
pub fn compat_script(name: &str) -> String {
    repo().join("tests/compat").join(name).display().to_string()
}

pub fn sha1_hex(s: &str) -> String {
    sso_helper::store::sha1_hex(s)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, `secs` from now.
pub fn utc_in(secs: i64) -> String {
    sso_helper::timestamp::format_utc(
        time::OffsetDateTime::now_utc() + time::Duration::seconds(secs),
    )
}

/// The access key ids the stand-in issued, in order.
pub fn issued_keys(s: &StandIn) -> Vec<String> {
    s.issued_credentials()
        .into_iter()
        .map(|c| c.access_key_id)
        .collect()
}

/// A private Secret Service: a D-Bus session bus of its own with an unlocked
/// gnome-keyring on it, in a directory of its own (never the test HOME, never the
/// developer's keychain). Dropping it stops both daemons.
pub struct SecretService {
    bus: std::process::Child,
    pub address: String,
    /// The service's private `XDG_RUNTIME_DIR`.
    pub runtime: PathBuf,
    _dir: tempfile::TempDir,
}

impl SecretService {
    #[track_caller]
    pub fn start() -> SecretService {
        Self::start_listening(|_| None)
    }

    /// A Secret Service with no login keyring, hence no default collection:
    /// gnome-keyring started with an empty password answers every search and
    /// refuses every write.
    #[track_caller]
    pub fn start_without_login_keyring() -> SecretService {
        Self::launch(|_| None, b"")
    }

    /// [`SecretService::start`] with the bus listening where `listen` says (a
    /// D-Bus server address), given the service's private runtime directory;
    /// `None`: where the session configuration says (`unix:tmpdir=/tmp`).
    #[track_caller]
    pub fn start_listening(listen: impl FnOnce(&Path) -> Option<String>) -> SecretService {
        // The password of the test's own login keyring.
        Self::launch(listen, b"sso-helper-test")
    }

    #[track_caller]
    fn launch(listen: impl FnOnce(&Path) -> Option<String>, password: &[u8]) -> SecretService {
        use std::io::{BufRead, Write};
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        // A session bus that starts no service on demand: a test that stops
        // gnome-keyring meets no Secret Service afterwards, never a new one
        // (which would wait on an unlock prompt no one can answer).
        let config = dir.path().join("session.conf");
        std::fs::write(
            &config,
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n              \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
             <busconfig>\n  <type>session</type>\n  <listen>unix:tmpdir=/tmp</listen>\n  \
             <policy context=\"default\">\n    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n    \
             <allow eavesdrop=\"true\"/>\n    <allow own=\"*\"/>\n  </policy>\n</busconfig>\n",
        )
        .unwrap();
        let mut args = vec![
            format!("--config-file={}", config.display()),
            "--nofork".into(),
            "--print-address=1".into(),
        ];
        if let Some(address) = listen(&runtime) {
            args.push(format!("--address={address}"));
        }
        // The bus's own environment is the private one too: a service it starts
        // on demand (a new gnome-keyring after a test stopped one) never sees
        // the developer's HOME.
        let mut bus = Command::new("dbus-daemon")
            .args(&args)
            .env_clear()
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("dbus-daemon: {e}; install it (apt-get install dbus) — .ci/run does")
            });
        let mut address = String::new();
        std::io::BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .env_clear()
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("gnome-keyring-daemon: {e}; install it (apt-get install gnome-keyring) — .ci/run does"));
        keyring.stdin.take().unwrap().write_all(password).unwrap();
        assert!(
            keyring.wait().unwrap().success(),
            "gnome-keyring-daemon did not start"
        );
        // The daemon takes its bus name after the starter returns: wait for it,
        // so that no test meets a bus without a Secret Service yet.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let owned = Command::new("dbus-send")
                .args([
                    &format!("--bus={address}"),
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .output()
                .expect("dbus-send (apt-get install dbus) — .ci/run installs it");
            if String::from_utf8_lossy(&owned.stdout).contains("boolean true") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "gnome-keyring-daemon never took org.freedesktop.secrets on the test bus"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        SecretService {
            bus,
            address,
            runtime,
            _dir: dir,
        }
    }
}

impl SecretService {
    /// `dbus-send --print-reply` of `method` with `arg` to `dest` at `path` on
    /// this bus; its output, or a panic naming the failure.
    #[track_caller]
    fn dbus_send(&self, dest: &str, path: &str, method: &str, arg: &str) -> String {
        let out = Command::new("dbus-send")
            .args([
                &format!("--bus={}", self.address),
                "--print-reply",
                &format!("--dest={dest}"),
                path,
                method,
                arg,
            ])
            .output()
            .expect("dbus-send (apt-get install dbus) — .ci/run installs it");
        assert!(
            out.status.success(),
            "{method} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Locks the keyring sso-helper's entries are in (`Service.Lock` on the
    /// default collection), as a screen lock or a timeout would: reading an
    /// entry then needs an unlock prompt, which no test can answer.
    #[track_caller]
    pub fn lock(&self) {
        self.dbus_send(
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/aliases/default",
        );
    }

    /// The pid of the Secret Service on this bus (asked of the bus).
    #[track_caller]
    pub fn service_pid(&self) -> u32 {
        let text = self.dbus_send(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            "string:org.freedesktop.secrets",
        );
        text.split_whitespace()
            .skip_while(|w| *w != "uint32")
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no pid for org.freedesktop.secrets: {text}"))
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// An HTTPS front for the stand-in on 127.0.0.1, with a certificate for
/// 127.0.0.1 from the test CA `tests/fixtures/tls/ca.pem` (which no system trusts):
/// a client gets an unknown-issuer error unless it trusts that CA. Each
/// connection's one request is passed to the stand-in and its answer back.
pub struct TlsFront {
    pub port: u16,
}

impl TlsFront {
    pub fn ca_path() -> PathBuf {
        repo().join("tests/fixtures/tls/ca.pem")
    }

    pub fn start(upstream: u16) -> TlsFront {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = repo().join("tests/fixtures/tls");
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.join("server.pem"))
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let config = std::sync::Arc::new(config);
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                std::thread::spawn(move || {
                    let _ = Self::serve(config, stream, upstream);
                });
            }
        });
        TlsFront { port }
    }

    fn serve(
        config: std::sync::Arc<rustls::ServerConfig>,
        stream: std::net::TcpStream,
        upstream: u16,
    ) -> std::io::Result<()> {
        use std::io::{Read, Write};
        let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
        let mut tls = rustls::StreamOwned::new(conn, stream);
        // One request: the head, then Content-Length bytes of body.
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        let head_end = loop {
            let n = tls.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            request.extend_from_slice(&buf[..n]);
            if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap_or(0));
        while request.len() < head_end + length {
            let n = tls.read(&mut buf)?;
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let mut up = std::net::TcpStream::connect(("127.0.0.1", upstream))?;
        up.write_all(&request)?;
        let mut answer = Vec::new();
        up.read_to_end(&mut answer)?;
        tls.write_all(&answer)?;
        tls.flush()?;
        tls.conn.send_close_notify();
        let _ = tls.flush();
        Ok(())
    }
}

/// xorshift64*: small, seeded, reproducible.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}
