//! A Secret Service client (freedesktop.org Secret Service API 0.2, the
//! `org.freedesktop.Secret.*` interfaces) on one D-Bus connection of its own,
//! synchronous and without threads: messages are marshalled and read by
//! `rustbus`'s `wire` module; the transport (a Unix socket, the SASL `EXTERNAL`
//! handshake, matching replies to calls) is here, so that everything a call
//! needs before its first answer goes out in one write.
//!
//! A warm call is two round trips to the bus: the handshake, `Hello`,
//! `OpenSession` and the lookup's `SearchItems` in one write (the D-Bus
//! specification lets a client send `BEGIN` and its first messages before the
//! server's `OK`, "Authentication state diagrams", as sd-bus does); then
//! `GetSecret`, which needs the session and the item the first answers name.
//!
//! Secrets travel in the `plain` algorithm (specification, "Transfer of
//! Secrets"): the session bus is a socket only this user can reach, and a
//! process of this user able to read bus traffic can as well ask the service
//! for the secret, so the `dh-ietf1024-sha256-aes128-cbc-pkcs7` exchange
//! protects nothing here while it costs two 1024-bit modular exponentiations on
//! every call. Nothing here prints, formats or keeps a secret beyond the call
//! that returns it; [`Error`] carries the service's error name and message,
//! never a payload.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use rustbus::message_builder::{MarshalledMessage, MessageBuilder, MessageType};
use rustbus::wire::ObjectPath;
use rustbus::wire::errors::MarshalError;
use rustbus::wire::marshal::MarshalContext;
use rustbus::wire::marshal::traits::{Marshal, Signature, SignatureBuffer};

const BUS_NAME: &str = "org.freedesktop.DBus";
const BUS_PATH: &str = "/org/freedesktop/DBus";
const DEST: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE: &str = "org.freedesktop.Secret.Service";
const ITEM: &str = "org.freedesktop.Secret.Item";
const COLLECTION: &str = "org.freedesktop.Secret.Collection";
const PROMPT: &str = "org.freedesktop.Secret.Prompt";
/// The object path that means "none" (no prompt needed, no such alias).
const NONE: &str = "/";

/// How long a reply may take: libdbus's default reply timeout (25 s,
/// `_DBUS_DEFAULT_TIMEOUT_VALUE`). A prompt waits for the person instead.
const REPLY_TIMEOUT: Duration = Duration::from_secs(25);

/// How long a prompt (an unlock dialog) may stay open: time to type a
/// password, but a credential_process must not block its SDK for long when no
/// one is there to answer.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// The longest message the bus may send (D-Bus specification, "Message Format":
/// 2²⁷ bytes).
const MAX_MESSAGE: usize = 1 << 27;

/// What went wrong, without any payload.
#[derive(Debug)]
pub enum Error {
    /// The bus could not be reached or the connection failed.
    Io(String),
    /// The bus did not accept this process (its answer to `AUTH EXTERNAL`).
    Auth(String),
    /// An error reply: its D-Bus error name and message.
    Method {
        name: String,
        message: Option<String>,
    },
    /// A reply that is not what the specification says.
    Protocol(String),
    /// The person dismissed a prompt (an unlock, a deletion).
    Dismissed,
    /// No answer within this long.
    Timeout(Duration),
}

impl Error {
    /// The D-Bus error name of an error reply.
    pub fn name(&self) -> Option<&str> {
        match self {
            Error::Method { name, .. } => Some(name),
            _ => None,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => f.write_str(e),
            Error::Auth(line) => write!(f, "the session bus refused this process ({line})"),
            Error::Method {
                name,
                message: Some(m),
            } => write!(f, "{name}: {m}"),
            Error::Method {
                name,
                message: None,
            } => f.write_str(name),
            Error::Protocol(what) => write!(f, "unexpected answer from the Secret Service: {what}"),
            Error::Dismissed => f.write_str("the prompt was dismissed"),
            Error::Timeout(t) => write!(f, "no answer within {} s", t.as_secs()),
        }
    }
}

fn io_error(what: &str, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Io(format!(
            "{what}: no answer within {} s",
            REPLY_TIMEOUT.as_secs()
        )),
        _ => Error::Io(format!("{what}: {e}")),
    }
}

fn protocol<E: std::fmt::Debug>(what: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::Protocol(format!("{what} ({e:?})"))
}

pub type Result<T> = std::result::Result<T, Error>;

// ---------------------------------------------------------------------------
// Where the session bus is.

/// A socket address of the session bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `unix:path=…`
    Path(PathBuf),
    /// `unix:abstract=…` (Linux's abstract socket namespace).
    Abstract(Vec<u8>),
}

/// The session bus's addresses in the order to try them, from
/// `DBUS_SESSION_BUS_ADDRESS` when it is set: its `;`-separated addresses, each
/// `transport:key=value,…` with values percent-escaped (D-Bus specification,
/// "Server Addresses"), of which the `unix` ones with `path` or `abstract`
/// (Linux) are used. Unset: `runtime`'s `bus` (`$XDG_RUNTIME_DIR/bus`, where
/// systemd's user bus is, as libdbus, sd-bus and zbus look).
///
/// # Errors
/// A sentence naming why there is no address to try: the variable names no
/// Unix socket, or the socket file does not exist.
pub fn session_bus(
    variable: Option<&str>,
    runtime: PathBuf,
) -> std::result::Result<Vec<Address>, String> {
    let Some(value) = variable else {
        let path = runtime.join("bus");
        if !path.exists() {
            return Err(format!("no D-Bus session bus at {}", path.display()));
        }
        return Ok(vec![Address::Path(path)]);
    };
    let mut found = Vec::new();
    let mut missing = None;
    for address in value.split(';').filter(|a| !a.is_empty()) {
        let Some(("unix", pairs)) = address.split_once(':') else {
            continue;
        };
        // One of path and abstract names the socket; both is no address.
        let keys = pairs
            .split(',')
            .filter_map(|p| p.split_once('='))
            .map(|(k, _)| k);
        if keys.filter(|k| matches!(*k, "path" | "abstract")).count() != 1 {
            continue;
        }
        for pair in pairs.split(',') {
            let Some((key, escaped)) = pair.split_once('=') else {
                continue;
            };
            let Some(bytes) = unescape(escaped) else {
                continue;
            };
            match key {
                "path" => {
                    let path = PathBuf::from(OsStr::from_bytes(&bytes));
                    if path.exists() {
                        found.push(Address::Path(path));
                    } else {
                        missing.get_or_insert(path);
                    }
                }
                "abstract" if cfg!(any(target_os = "linux", target_os = "android")) => {
                    found.push(Address::Abstract(bytes));
                }
                _ => {}
            }
        }
    }
    if found.is_empty() {
        return Err(match missing {
            Some(path) => format!("no D-Bus session bus at {}", path.display()),
            None => format!(
                "DBUS_SESSION_BUS_ADDRESS = {value} names no Unix socket (unix:path= or unix:abstract=), the only kind sso-helper connects to"
            ),
        });
    }
    Ok(found)
}

/// A D-Bus address value with its `%XX` escapes undone; `None` when an escape
/// is not two hex digits.
fn unescape(value: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = (bytes.next()? as char).to_digit(16)?;
            let lo = (bytes.next()? as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

fn connect(address: &Address) -> io::Result<UnixStream> {
    match address {
        Address::Path(path) => UnixStream::connect(path),
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Address::Abstract(name) => {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt;
            UnixStream::connect_addr(&std::os::unix::net::SocketAddr::from_abstract_name(name)?)
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        Address::Abstract(_) => Err(io::ErrorKind::Unsupported.into()),
    }
}

fn describe(address: &Address) -> String {
    match address {
        Address::Path(path) => path.display().to_string(),
        Address::Abstract(name) => format!("@{}", String::from_utf8_lossy(name)),
    }
}

// ---------------------------------------------------------------------------
// The connection.

/// The most signals kept while waiting for a reply (a prompt's `Completed`, the
/// service's `NameOwnerChanged`): a peer that floods them cannot grow memory.
const MAX_SIGNALS: usize = 16;

/// The most bytes a server may send before its handshake line ends.
const MAX_AUTH_LINE: usize = 4096;

/// One connection to the bus: messages to send (written at the next wait, so
/// calls made before it share one write) and bytes read but not yet taken.
struct Bus {
    stream: UnixStream,
    /// What the bus has not been sent yet.
    outgoing: Vec<u8>,
    /// What the bus sent that is not yet taken.
    incoming: Vec<u8>,
    /// The server's `OK` line has been read: `incoming` holds messages.
    authenticated: bool,
    /// The last serial used.
    serial: u32,
    /// Serials of calls sent whose reply has not been taken yet.
    outstanding: Vec<u32>,
    /// Replies to outstanding calls read while waiting for another (a
    /// prefetched search).
    replies: Vec<MarshalledMessage>,
    /// Signals a prompt waits for, read while waiting for something else; at
    /// most [`MAX_SIGNALS`], the oldest dropped first.
    signals: std::collections::VecDeque<MarshalledMessage>,
}

/// A signal [`Bus`] keeps: a prompt's `Completed`, or a change of the Secret
/// Service's owner (it stopped while a prompt was open).
fn kept_signal(msg: &MarshalledMessage) -> bool {
    msg.typ == MessageType::Signal
        && matches!(
            (
                msg.dynheader.interface.as_deref(),
                msg.dynheader.member.as_deref()
            ),
            (Some(PROMPT), Some("Completed")) | (Some(BUS_NAME), Some("NameOwnerChanged"))
        )
}

impl Bus {
    /// Connects to the first address that answers, and queues the handshake:
    /// `AUTH EXTERNAL` with no initial response and an empty `DATA` (the bus
    /// takes the identity from the socket's credentials, which also holds in a
    /// user namespace where this process's uid is not the bus's; as sd-bus and
    /// dbus-broker do), then `BEGIN`.
    fn connect(addresses: &[Address]) -> Result<Bus> {
        let mut last = None;
        for address in addresses {
            match connect(address) {
                Ok(stream) => {
                    stream.set_write_timeout(Some(REPLY_TIMEOUT)).map_err(|e| {
                        io_error("cannot set a timeout on the D-Bus connection", &e)
                    })?;
                    let mut outgoing = Vec::with_capacity(512);
                    outgoing.extend_from_slice(b"\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n");
                    return Ok(Bus {
                        stream,
                        outgoing,
                        incoming: Vec::with_capacity(4096),
                        authenticated: false,
                        serial: 0,
                        outstanding: Vec::new(),
                        replies: Vec::new(),
                        signals: std::collections::VecDeque::new(),
                    });
                }
                Err(e) => {
                    last = Some(io_error(
                        &format!(
                            "cannot connect to the D-Bus session bus at {}",
                            describe(address)
                        ),
                        &e,
                    ))
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Io("no D-Bus session bus address".into())))
    }

    /// Queues `msg`; its serial, to wait for the reply with.
    fn send(&mut self, msg: &MarshalledMessage) -> Result<u32> {
        self.serial += 1;
        let mut header = Vec::with_capacity(256);
        rustbus::wire::marshal::marshal(msg, self.serial, &mut header)
            .map_err(protocol("a message could not be marshalled"))?;
        self.outgoing.extend_from_slice(&header);
        self.outgoing.extend_from_slice(msg.get_buf());
        self.outstanding.push(self.serial);
        Ok(self.serial)
    }

    /// Sends what is queued, then reads until the reply to `serial` arrives,
    /// within `timeout` in all: an error reply is [`Error::Method`].
    fn wait(&mut self, serial: u32, timeout: Duration) -> Result<MarshalledMessage> {
        let is_reply = |m: &MarshalledMessage| {
            matches!(m.typ, MessageType::Reply | MessageType::Error)
                && m.dynheader.response_serial == Some(serial)
        };
        let reply = match self.replies.iter().position(is_reply) {
            Some(i) => self.replies.remove(i),
            None => self.wait_for(timeout, is_reply)?,
        };
        self.outstanding.retain(|s| *s != serial);
        if reply.typ == MessageType::Error {
            return Err(Error::Method {
                name: reply
                    .dynheader
                    .error_name
                    .as_deref()
                    .map(|n| crate::error::printable(n, 200))
                    .unwrap_or_else(|| "an unnamed D-Bus error".into()),
                message: reply
                    .body
                    .parser()
                    .get::<String>()
                    .ok()
                    .map(|m| crate::error::printable(&m, 200)),
            });
        }
        Ok(reply)
    }

    /// The first kept signal `wanted` takes, read within `timeout` in all.
    fn wait_signal(
        &mut self,
        timeout: Duration,
        wanted: impl Fn(&MarshalledMessage) -> bool,
    ) -> Result<MarshalledMessage> {
        match self.signals.iter().position(&wanted) {
            Some(i) => Ok(self.signals.remove(i).expect("a position in the queue")),
            None => self.wait_for(timeout, wanted),
        }
    }

    /// Sends what is queued, then reads until a message `wanted` takes arrives,
    /// within `timeout` in all. Of the others met on the way, replies to
    /// outstanding calls and [`kept_signal`]s are kept; the rest is dropped.
    fn wait_for(
        &mut self,
        timeout: Duration,
        wanted: impl Fn(&MarshalledMessage) -> bool,
    ) -> Result<MarshalledMessage> {
        if !self.outgoing.is_empty() {
            self.stream
                .write_all(&self.outgoing)
                .map_err(|e| io_error("cannot write to the D-Bus session bus", &e))?;
            self.outgoing.clear();
        }
        let deadline = std::time::Instant::now() + timeout;
        loop {
            while let Some(msg) = self.next_message()? {
                if wanted(&msg) {
                    return Ok(msg);
                }
                let outstanding = |s| self.outstanding.contains(&s);
                if matches!(msg.typ, MessageType::Reply | MessageType::Error)
                    && msg.dynheader.response_serial.is_some_and(outstanding)
                {
                    self.replies.push(msg);
                } else if kept_signal(&msg) {
                    if self.signals.len() == MAX_SIGNALS {
                        self.signals.pop_front();
                    }
                    self.signals.push_back(msg);
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout(timeout));
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|e| io_error("cannot set a timeout on the D-Bus connection", &e))?;
            let mut chunk = [0u8; 4096];
            let n = match self.stream.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(io_error("cannot read from the D-Bus session bus", &e)),
            };
            if n == 0 {
                return Err(Error::Io(
                    "the D-Bus session bus closed the connection".into(),
                ));
            }
            self.incoming.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next whole message in `incoming`, after the server's `OK` line.
    fn next_message(&mut self) -> Result<Option<MarshalledMessage>> {
        if !self.authenticated {
            match handshake(&self.incoming)? {
                Some(used) => {
                    self.incoming.drain(..used);
                    self.authenticated = true;
                }
                None => return Ok(None),
            }
        }
        let Some(total) = message_length(&self.incoming)? else {
            return Ok(None);
        };
        let msg = unmarshal(&self.incoming[..total])?;
        self.incoming.drain(..total);
        Ok(Some(msg))
    }
}

/// How many bytes of `incoming` the server's answer to the handshake takes
/// (`DATA` lines, then `OK <guid>`); `None` while it is not all there.
///
/// # Errors
/// [`Error::Auth`] naming the server's line when it is not `OK` (`REJECTED`,
/// `ERROR`), or when no line ends within [`MAX_AUTH_LINE`] bytes.
fn handshake(incoming: &[u8]) -> Result<Option<usize>> {
    let mut at = 0;
    loop {
        let rest = &incoming[at..];
        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
            if rest.len() > MAX_AUTH_LINE {
                return Err(Error::Auth("no line ending in the answer".into()));
            }
            return Ok(None);
        };
        let line = &rest[..end];
        at += end + 2;
        if line == b"DATA" || line.starts_with(b"DATA ") {
            continue;
        }
        if line.starts_with(b"OK ") {
            return Ok(Some(at));
        }
        return Err(Error::Auth(crate::error::printable(
            &String::from_utf8_lossy(line),
            200,
        )));
    }
}

/// The length of the whole message at the start of `incoming` (D-Bus
/// specification, "Message Format": a 16-byte fixed header whose last field is
/// the header fields' length, the fields padded to 8, then the body);
/// `None` while fewer than 16 bytes are there or the message is not complete.
///
/// # Errors
/// [`Error::Protocol`] for a fixed header that is not one, or a message longer
/// than [`MAX_MESSAGE`].
fn message_length(incoming: &[u8]) -> Result<Option<usize>> {
    let Some(fixed) = incoming.get(..16) else {
        return Ok(None);
    };
    let (_, header) = rustbus::wire::unmarshal::unmarshal_header(fixed, 0)
        .map_err(protocol("a malformed message header"))?;
    let (_, fields) = rustbus::wire::util::parse_u32(&fixed[12..16], header.byteorder)
        .map_err(protocol("a malformed message header"))?;
    let total = (16u64 + u64::from(fields)).next_multiple_of(8) + u64::from(header.body_len);
    if total > MAX_MESSAGE as u64 {
        return Err(Error::Protocol(format!("a message of {total} bytes")));
    }
    let total = total as usize;
    Ok((incoming.len() >= total).then_some(total))
}

/// One whole message (exactly [`message_length`]'s bytes), its body checked
/// against its signature before any of it is read: rustbus's typed getters
/// trust an array's length (they would read past the buffer).
fn unmarshal(bytes: &[u8]) -> Result<MarshalledMessage> {
    use rustbus::wire::unmarshal;
    let (_, header) =
        unmarshal::unmarshal_header(bytes, 0).map_err(protocol("a malformed message header"))?;
    let (used, dynheader) = unmarshal::unmarshal_dynamic_header(&header, bytes, 12)
        .map_err(protocol("a malformed message header"))?;
    let (_, msg) = unmarshal::unmarshal_next_message(&header, dynheader, bytes, 12 + used)
        .map_err(protocol("a malformed message"))?;
    msg.body
        .validate()
        .map_err(protocol("a malformed message body"))?;
    Ok(msg)
}

fn call(path: &str, interface: &str, member: &str) -> MarshalledMessage {
    MessageBuilder::new()
        .call(member)
        .with_interface(interface)
        .on(path)
        .at(DEST)
        .build()
}

/// `Service.SearchItems` for the items whose attributes include `attributes`.
fn search(attributes: &HashMap<&str, &str>) -> Result<MarshalledMessage> {
    let mut msg = call(SERVICE_PATH, SERVICE, "SearchItems");
    push(&mut msg, attributes)?;
    Ok(msg)
}

fn push<P: Marshal>(msg: &mut MarshalledMessage, param: P) -> Result<()> {
    msg.body
        .push_param(param)
        .map_err(protocol("a message could not be marshalled"))
}

fn object_path(path: &str) -> Result<ObjectPath<&str>> {
    ObjectPath::new(path).map_err(protocol("an invalid object path"))
}

/// A value of `CreateItem`'s properties (`a{sv}`): the label or the attributes.
enum Property<'a> {
    Text(&'a str),
    Attributes(&'a HashMap<&'a str, &'a str>),
}

impl Signature for Property<'_> {
    fn signature() -> rustbus::signature::Type {
        rustbus::signature::Type::Container(rustbus::signature::Container::Variant)
    }
    fn alignment() -> usize {
        1
    }
    fn sig_str(buf: &mut SignatureBuffer) {
        buf.push_static("v");
    }
    fn has_sig(sig: &str) -> bool {
        sig.starts_with('v')
    }
}

impl Marshal for Property<'_> {
    fn marshal(&self, ctx: &mut MarshalContext) -> std::result::Result<(), MarshalError> {
        match self {
            Property::Text(text) => text.marshal_as_variant(ctx),
            Property::Attributes(map) => map.marshal_as_variant(ctx),
        }
    }
}

// ---------------------------------------------------------------------------
// The Secret Service.

/// An open session with the Secret Service.
pub struct SecretService {
    bus: RefCell<Bus>,
    /// The session's object path, which every secret travels with.
    session: String,
    /// The Secret Service's unique bus name (`:1.23`): only it may complete a
    /// prompt.
    owner: Option<String>,
    /// A search sent with the session's opening, not yet taken by
    /// [`SecretService::search`]: its attributes and serial.
    prefetched: RefCell<Option<Prefetched>>,
}

/// A search sent ahead: its attributes ([`sorted`]) and its serial.
type Prefetched = (Vec<(String, String)>, u32);

/// The secret structure of the specification, `(oayays)`: the session, the
/// algorithm's parameters (none for `plain`), the value, its content type.
type SecretStruct<'a> = (ObjectPath<&'a str>, &'a [u8], &'a [u8], &'a str);

/// Attributes in one order, to compare a search with a prefetched one.
fn sorted(attributes: &HashMap<&str, &str>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = attributes
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

/// Items found by [`SecretService::search`]: their object paths.
pub struct Found {
    pub unlocked: Vec<String>,
    pub locked: Vec<String>,
}

impl SecretService {
    /// Connects to the session bus and opens a `plain` session with the Secret
    /// Service: one write (`AUTH`, `BEGIN`, `Hello`, `OpenSession`) and one wait.
    /// With `prefetch`, the search the caller will make first is sent in that
    /// same write (`SearchItems` needs no session), and its answer comes back in
    /// the same round trip.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Auth`] when the bus cannot be reached,
    /// [`Error::Method`] (`org.freedesktop.DBus.Error.ServiceUnknown`, …) when
    /// no Secret Service answers.
    pub fn open(
        addresses: &[Address],
        prefetch: Option<&HashMap<&str, &str>>,
    ) -> Result<SecretService> {
        let mut bus = Bus::connect(addresses)?;
        let hello = MessageBuilder::new()
            .call("Hello")
            .with_interface(BUS_NAME)
            .on(BUS_PATH)
            .at(BUS_NAME)
            .build();
        let hello = bus.send(&hello)?;
        let mut open = call(SERVICE_PATH, SERVICE, "OpenSession");
        push(&mut open, "plain")?;
        open.body
            .push_variant("")
            .map_err(protocol("a message could not be marshalled"))?;
        let open = bus.send(&open)?;
        let prefetched = match prefetch {
            Some(attributes) => Some((sorted(attributes), bus.send(&search(attributes)?)?)),
            None => None,
        };
        bus.wait(hello, REPLY_TIMEOUT)?;
        let reply = bus.wait(open, REPLY_TIMEOUT)?;
        let mut parser = reply.body.parser();
        parser
            .get::<rustbus::wire::unmarshal::traits::Variant>()
            .map_err(protocol("OpenSession's output"))?;
        let session: ObjectPath<String> =
            parser.get().map_err(protocol("OpenSession's session"))?;
        Ok(SecretService {
            owner: reply.dynheader.sender.clone(),
            bus: RefCell::new(bus),
            session: session.as_ref().to_string(),
            prefetched: RefCell::new(prefetched),
        })
    }

    fn call(&self, msg: &MarshalledMessage) -> Result<MarshalledMessage> {
        let mut bus = self.bus.borrow_mut();
        let serial = bus.send(msg)?;
        bus.wait(serial, REPLY_TIMEOUT)
    }

    /// `Service.SearchItems`: the items whose attributes include `attributes`.
    pub fn search(&self, attributes: &HashMap<&str, &str>) -> Result<Found> {
        let reply = match self.prefetched.take() {
            Some((sent, serial)) if sent == sorted(attributes) => {
                self.bus.borrow_mut().wait(serial, REPLY_TIMEOUT)?
            }
            _ => self.call(&search(attributes)?)?,
        };
        let (unlocked, locked): (Vec<ObjectPath<String>>, Vec<ObjectPath<String>>) = reply
            .body
            .parser()
            .get2()
            .map_err(protocol("SearchItems' answer"))?;
        let paths = |v: Vec<ObjectPath<String>>| v.iter().map(|p| p.as_ref().to_string()).collect();
        Ok(Found {
            unlocked: paths(unlocked),
            locked: paths(locked),
        })
    }

    /// `Service.Unlock` of `objects`, and its prompt when it needs one (which
    /// the service shows; this waits for the person's answer).
    ///
    /// # Errors
    /// [`Error::Dismissed`] when the prompt was dismissed.
    pub fn unlock(&self, objects: &[String]) -> Result<()> {
        let mut msg = call(SERVICE_PATH, SERVICE, "Unlock");
        let paths = objects
            .iter()
            .map(|p| object_path(p))
            .collect::<Result<Vec<_>>>()?;
        push(&mut msg, paths.as_slice())?;
        let reply = self.call(&msg)?;
        let (_, prompt): (Vec<ObjectPath<String>>, ObjectPath<String>) = reply
            .body
            .parser()
            .get2()
            .map_err(protocol("Unlock's answer"))?;
        self.prompt(prompt.as_ref())
    }

    /// `Item.GetSecret`: the item's secret value.
    pub fn get_secret(&self, item: &str) -> Result<Vec<u8>> {
        let mut msg = call(item, ITEM, "GetSecret");
        push(&mut msg, object_path(&self.session)?)?;
        let reply = self.call(&msg)?;
        let (_, _, value, _): (ObjectPath<String>, Vec<u8>, Vec<u8>, String) = reply
            .body
            .parser()
            .get()
            .map_err(protocol("GetSecret's answer"))?;
        Ok(value)
    }

    /// The `(oayays)` secret structure for `value`, in this session.
    fn secret<'a>(&'a self, value: &'a [u8], content_type: &'a str) -> Result<SecretStruct<'a>> {
        Ok((object_path(&self.session)?, &[], value, content_type))
    }

    /// `Item.SetSecret`: replaces the item's secret.
    pub fn set_secret(&self, item: &str, value: &[u8], content_type: &str) -> Result<()> {
        let mut msg = call(item, ITEM, "SetSecret");
        push(&mut msg, self.secret(value, content_type)?)?;
        self.call(&msg).map(drop)
    }

    /// `Item.Delete`, and its prompt when it needs one.
    pub fn delete(&self, item: &str) -> Result<()> {
        let reply = self.call(&call(item, ITEM, "Delete"))?;
        let prompt: ObjectPath<String> = reply
            .body
            .parser()
            .get()
            .map_err(protocol("Delete's answer"))?;
        self.prompt(prompt.as_ref())
    }

    /// `Service.ReadAlias("default")`: the default collection, where new items
    /// go; `None` when there is none (gnome-keyring started without a login
    /// keyring).
    pub fn default_collection(&self) -> Result<Option<String>> {
        let mut msg = call(SERVICE_PATH, SERVICE, "ReadAlias");
        push(&mut msg, "default")?;
        let reply = self.call(&msg)?;
        let path: ObjectPath<String> = reply
            .body
            .parser()
            .get()
            .map_err(protocol("ReadAlias' answer"))?;
        Ok((path.as_ref() != NONE).then(|| path.as_ref().to_string()))
    }

    /// The collection's `Locked` property.
    pub fn is_locked(&self, collection: &str) -> Result<bool> {
        let mut msg = call(collection, "org.freedesktop.DBus.Properties", "Get");
        push(&mut msg, COLLECTION)?;
        push(&mut msg, "Locked")?;
        let reply = self.call(&msg)?;
        let value: rustbus::wire::unmarshal::traits::Variant = reply
            .body
            .parser()
            .get()
            .map_err(protocol("the Locked property"))?;
        value.get::<bool>().map_err(protocol("the Locked property"))
    }

    /// `Collection.CreateItem` with the label and attributes, replacing an item
    /// with the same attributes; its prompt when it needs one.
    pub fn create_item(
        &self,
        collection: &str,
        label: &str,
        attributes: &HashMap<&str, &str>,
        value: &[u8],
        content_type: &str,
    ) -> Result<()> {
        let mut msg = call(collection, COLLECTION, "CreateItem");
        let properties = HashMap::from([
            ("org.freedesktop.Secret.Item.Label", Property::Text(label)),
            (
                "org.freedesktop.Secret.Item.Attributes",
                Property::Attributes(attributes),
            ),
        ]);
        push(&mut msg, &properties)?;
        push(&mut msg, self.secret(value, content_type)?)?;
        push(&mut msg, true)?;
        let reply = self.call(&msg)?;
        let (_, prompt): (ObjectPath<String>, ObjectPath<String>) = reply
            .body
            .parser()
            .get2()
            .map_err(protocol("CreateItem's answer"))?;
        self.prompt(prompt.as_ref())
    }

    /// Shows `prompt` (none when it is `/`) and waits for its `Completed`
    /// signal, having asked the bus for it first (`AddMatch`).
    fn prompt(&self, prompt: &str) -> Result<()> {
        if prompt == NONE {
            return Ok(());
        }
        let Some(owner) = self.owner.as_deref() else {
            return Err(Error::Protocol("a reply with no sender".into()));
        };
        let add_match = |rule: &str| -> Result<()> {
            let mut msg = MessageBuilder::new()
                .call("AddMatch")
                .with_interface(BUS_NAME)
                .on(BUS_PATH)
                .at(BUS_NAME)
                .build();
            push(&mut msg, rule)?;
            self.call(&msg).map(drop)
        };
        // Object paths and unique names hold no quote: the rules need no escaping.
        add_match(&format!(
            "type='signal',sender='{owner}',interface='{PROMPT}',member='Completed',path='{prompt}'"
        ))?;
        add_match(&format!(
            "type='signal',sender='{BUS_NAME}',interface='{BUS_NAME}',member='NameOwnerChanged',arg0='{DEST}'"
        ))?;
        let mut show = call(prompt, PROMPT, "Prompt");
        push(&mut show, "")?;
        self.call(&show)?;
        let signal = self.bus.borrow_mut().wait_signal(PROMPT_TIMEOUT, |m| {
            m.typ == MessageType::Signal
                && ((m.dynheader.sender.as_deref() == Some(owner)
                    && m.dynheader.member.as_deref() == Some("Completed")
                    && m.dynheader.object.as_deref() == Some(prompt))
                    || (m.dynheader.sender.as_deref() == Some(BUS_NAME)
                        && m.dynheader.member.as_deref() == Some("NameOwnerChanged")
                        && m.body.parser().get::<&str>().ok() == Some(DEST)))
        });
        let completed = match signal {
            Ok(m) if m.dynheader.member.as_deref() == Some("Completed") => m,
            Ok(_) => {
                return Err(Error::Io(
                    "the Secret Service stopped while its prompt was open".into(),
                ));
            }
            Err(Error::Timeout(_)) => {
                return Err(Error::Io(format!(
                    "no answer to the Secret Service's prompt within {} minutes",
                    PROMPT_TIMEOUT.as_secs() / 60
                )));
            }
            Err(e) => return Err(e),
        };
        let dismissed: bool = completed
            .body
            .parser()
            .get()
            .map_err(protocol("the prompt's Completed signal"))?;
        if dismissed {
            Err(Error::Dismissed)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bytes of a message carrying a secret structure, as a Secret Service
    /// sends GetSecret's answer.
    fn secret_message(value: &[u8]) -> Vec<u8> {
        let mut msg = call("/org/freedesktop/secrets/collection/login/1", ITEM, "X");
        let session = ObjectPath::new("/s").unwrap();
        let secret: SecretStruct = (session, &[], value, "text/plain");
        push(&mut msg, secret).unwrap();
        let mut bytes = Vec::new();
        rustbus::wire::marshal::marshal(&msg, 7, &mut bytes).unwrap();
        bytes.extend_from_slice(msg.get_buf());
        bytes
    }

    #[test]
    fn the_handshake_answer_is_read_to_its_ok_line() {
        assert_eq!(handshake(b"DATA\r\nOK 1234\r\nl").unwrap(), Some(15));
        assert_eq!(handshake(b"OK 1234\r\n").unwrap(), Some(9));
        assert_eq!(handshake(b"DATA\r\nOK 12").unwrap(), None);
        let refused = handshake(b"REJECTED EXTERNAL\x1b]0;title\x07\r\n").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the session bus refused this process (REJECTED EXTERNAL]0;title)"
        );
        assert!(handshake(&[b'x'; MAX_AUTH_LINE + 1]).is_err());
        assert_eq!(handshake(&[b'x'; 100]).unwrap(), None);
    }

    #[test]
    fn a_message_is_framed_by_its_fixed_header() {
        let bytes = secret_message(b"secret");
        assert_eq!(message_length(&bytes[..15]).unwrap(), None);
        assert_eq!(message_length(&bytes[..bytes.len() - 1]).unwrap(), None);
        assert_eq!(message_length(&bytes).unwrap(), Some(bytes.len()));
        let mut huge = bytes.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(message_length(&huge).is_err());
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(message_length(&huge).is_err());
        let msg = unmarshal(&bytes).unwrap();
        let (_, _, value, _): (ObjectPath<String>, Vec<u8>, Vec<u8>, String) =
            msg.body.parser().get().unwrap();
        assert_eq!(value, b"secret");
    }

    /// An array whose length runs past the message is refused before it is
    /// read (rustbus's typed getters would read past the buffer).
    #[test]
    fn an_array_longer_than_its_message_is_refused() {
        let bytes = secret_message(b"VALUE-XYZ");
        let at = bytes
            .windows(9)
            .position(|w| w == b"VALUE-XYZ")
            .expect("the value is in the message");
        for claimed in [200u32, 0x7fff_fff0, u32::MAX] {
            let mut bad = bytes.clone();
            bad[at - 4..at].copy_from_slice(&claimed.to_le_bytes());
            assert!(unmarshal(&bad).is_err(), "length {claimed}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Whatever a bus sends, framing and reading a message return an error
        /// or a message: never a panic, never a read past the bytes.
        #[test]
        fn any_bytes_are_framed_and_read_without_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            value in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut bytes = secret_message(&value);
            let len = bytes.len();
            for (i, b) in flips {
                bytes[i.index(len)] = b;
            }
            if let Ok(Some(total)) = message_length(&bytes)
                && let Ok(msg) = unmarshal(&bytes[..total])
            {
                let _ = msg.body.parser().get::<(ObjectPath<String>, Vec<u8>, Vec<u8>, String)>();
                let _ = msg.body.parser().get2::<Vec<ObjectPath<String>>, Vec<ObjectPath<String>>>();
                let _ = msg.body.parser().get::<String>();
            }
        }
    }

    #[test]
    fn addresses_are_read_as_the_specification_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("a b");
        std::fs::write(&sock, "").unwrap();
        let escaped = sock.to_str().unwrap().replace(' ', "%20");
        let runtime = PathBuf::from("/nonexistent-runtime");
        assert_eq!(
            session_bus(
                Some(&format!("tcp:host=x,port=1;unix:path={escaped},guid=0f")),
                runtime.clone()
            ),
            Ok(vec![Address::Path(sock.clone())])
        );
        if cfg!(target_os = "linux") {
            assert_eq!(
                session_bus(Some("unix:abstract=/tmp/dbus-XYZ,guid=1"), runtime.clone()),
                Ok(vec![Address::Abstract(b"/tmp/dbus-XYZ".to_vec())])
            );
        }
        assert_eq!(
            session_bus(Some("unix:path=/nonexistent/bus"), runtime.clone()),
            Err("no D-Bus session bus at /nonexistent/bus".into())
        );
        let tcp = session_bus(Some("tcp:host=localhost,port=1"), runtime.clone()).unwrap_err();
        assert!(tcp.contains("names no Unix socket"), "{tcp}");
        assert_eq!(
            session_bus(None, runtime),
            Err("no D-Bus session bus at /nonexistent-runtime/bus".into())
        );
        assert_eq!(
            session_bus(None, dir.path().to_path_buf()).unwrap_err(),
            format!(
                "no D-Bus session bus at {}",
                dir.path().join("bus").display()
            )
        );
        assert_eq!(unescape("%2f%2Fa%"), None);
        assert_eq!(unescape("%2f%2Fa").unwrap(), b"//a");
    }
}
