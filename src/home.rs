//! The home directory, and `~` and environment variables in the file names
//! botocore is given (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`), as
//! botocore finds them: Python's `os.path.expanduser` and `os.path.expandvars`
//! (CPython 3.11), `posixpath` on Linux and macOS, `ntpath` on Windows.
//!
//! - Home, Unix: `HOME` (set but empty counts: it is the root), else the user's
//!   entry in the password database (cron jobs and systemd units often have no
//!   `HOME`). Windows: `USERPROFILE`, else `HOMEDRIVE` + `HOMEPATH`; `HOME` is
//!   ignored, as Python 3.8 and later ignore it (MSYS2 and Cygwin set it to
//!   another folder).
//! - A path from the environment is `expandvars` first, then `expanduser`
//!   (botocore's `configloader.raw_config_parse`; the default `~/.aws/config` goes
//!   through `expanduser` alone).
//!
//! Every rule is a pure function of the platform, the environment and (Unix) the
//! password database, so each platform's behaviour is tested on any machine;
//! `Context::real` hands them the real ones. Where Python leaves `~` as it is
//! because there is no home, these say so instead ([`NoHome`]): a relative
//! `~/.aws/config` is never what anyone meant.

use std::collections::HashMap;

use crate::error::Error;
use crate::platform::Platform;

/// The environment as Python's `os.environ` sees it on a platform: on Windows
/// names are case-insensitive (`%userprofile%` is `USERPROFILE`).
#[derive(Clone, Copy)]
pub struct Environ<'a> {
    platform: Platform,
    vars: &'a HashMap<String, String>,
}

impl<'a> Environ<'a> {
    pub fn new(platform: Platform, vars: &'a HashMap<String, String>) -> Environ<'a> {
        Environ { platform, vars }
    }

    /// A variable's value as set (empty included).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        if let Some(v) = self.vars.get(name) {
            return Some(v);
        }
        if self.platform != Platform::Windows {
            return None;
        }
        let upper = name.to_uppercase();
        self.vars
            .iter()
            .find(|(k, _)| k.to_uppercase() == upper)
            .map(|(_, v)| v.as_str())
    }
}

/// The password database (Unix): what Python's `pwd` module asks.
pub trait Passwd {
    /// `getpwuid(getuid())`: the process's user id and its entry's home directory
    /// (`None`: no entry).
    fn own(&self) -> (u32, Option<String>);
    /// `getpwnam(name)`: that user's home directory (`None`: no such user).
    fn home_of(&self, name: &str) -> Option<String>;
}

/// The system's password database (files, LDAP, sssd: whatever NSS is set up
/// with), through `getpwuid_r` and `getpwnam_r`. Windows has none: nothing is
/// found there. A home directory that is not UTF-8 counts as no entry.
pub struct SystemPasswd;

#[cfg(unix)]
impl Passwd for SystemPasswd {
    fn own(&self) -> (u32, Option<String>) {
        use nix::unistd::{User, getuid};
        let uid = getuid();
        let home = User::from_uid(uid)
            .ok()
            .flatten()
            .and_then(|u| u.dir.into_os_string().into_string().ok());
        (uid.as_raw(), home)
    }

    fn home_of(&self, name: &str) -> Option<String> {
        nix::unistd::User::from_name(name)
            .ok()
            .flatten()
            .and_then(|u| u.dir.into_os_string().into_string().ok())
    }
}

#[cfg(not(unix))]
impl Passwd for SystemPasswd {
    fn own(&self) -> (u32, Option<String>) {
        (0, None)
    }

    fn home_of(&self, _name: &str) -> Option<String> {
        None
    }
}

/// A password database with no entries, for test contexts.
pub struct NoPasswd;

impl Passwd for NoPasswd {
    fn own(&self) -> (u32, Option<String>) {
        (0, None)
    }

    fn home_of(&self, _name: &str) -> Option<String> {
        None
    }
}

/// There is no home directory: the variables that give it on this platform are
/// not set (and, on Unix, the password database has no entry for the user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoHome {
    Unix { platform: Platform, uid: u32 },
    Windows,
}

impl NoHome {
    /// The one for `platform`, with `uid` the user id looked up (Unix).
    pub fn on(platform: Platform, uid: u32) -> NoHome {
        match platform {
            Platform::Windows => NoHome::Windows,
            _ => NoHome::Unix { platform, uid },
        }
    }

    pub fn message(&self) -> String {
        match self {
            NoHome::Unix { uid, .. } => format!(
                "no home directory: HOME is not set and the password database has no entry for uid {uid}"
            ),
            NoHome::Windows => {
                "no home directory: USERPROFILE (or HOMEDRIVE and HOMEPATH) is not set".into()
            }
        }
    }

    /// The fix, as settings to copy. `AWS_CONFIG_FILE` is not one: the token and
    /// credential caches live under the home directory too.
    pub fn hint(&self) -> String {
        match self {
            NoHome::Unix { platform, .. } => {
                let home = match platform {
                    Platform::MacOs => "/Users/NAME",
                    _ => "/home/NAME",
                };
                format!(
                    "set HOME to your home directory where sso-helper runs: `HOME={home}` at the top \
                     of the crontab, `Environment=HOME={home}` in the systemd unit, or \
                     `export HOME={home}` in a script"
                )
            }
            NoHome::Windows => {
                "set USERPROFILE to your profile folder: `set USERPROFILE=C:\\Users\\NAME` \
                                in cmd.exe, or `$Env:USERPROFILE = 'C:\\Users\\NAME'` in PowerShell"
                    .into()
            }
        }
    }

    pub fn error(&self) -> Error {
        Error::Environment {
            message: self.message(),
            hint: self.hint(),
        }
    }
}

/// The home directory as `expanduser("~")` starts from it, before Python trims a
/// trailing `/` on Unix: `HOME` (or the password database) on Unix,
/// `USERPROFILE` (or `HOMEDRIVE` + `HOMEPATH`) on Windows.
pub fn home(platform: Platform, env: Environ<'_>, passwd: &dyn Passwd) -> Result<String, NoHome> {
    if platform == Platform::Windows {
        if let Some(profile) = env.get("USERPROFILE") {
            return Ok(profile.to_string());
        }
        return match env.get("HOMEPATH") {
            Some(path) => Ok(nt::join(env.get("HOMEDRIVE").unwrap_or(""), path)),
            None => Err(NoHome::Windows),
        };
    }
    if let Some(h) = env.get("HOME") {
        return Ok(h.to_string());
    }
    match passwd.own() {
        (_, Some(h)) => Ok(h),
        (uid, None) => Err(NoHome::on(platform, uid)),
    }
}

/// `~/.aws` as botocore names it (`os.path.join('~', '.aws')`, expanded):
/// `HOME/.aws` (`/.aws` when the home is `/` or empty), `USERPROFILE\.aws`.
pub fn aws_dir(platform: Platform, home: &str) -> String {
    match platform {
        Platform::Windows => format!("{home}\\.aws"),
        _ => format!("{}/.aws", home.trim_end_matches('/')),
    }
}

/// Python's `os.path.expanduser` for `platform`, with `home` what [`home`] found:
/// `~` and `~/…` (`~\…` on Windows) become the home directory; `~user` becomes
/// that user's (Unix: the password database; Windows: the folder beside the
/// home directory, if its name is `USERNAME`); anything else, and a `~user`
/// that cannot be found, is left as it is. `~` without a home directory is an
/// error, where Python would leave it.
pub fn expand_user(
    platform: Platform,
    env: Environ<'_>,
    home: Result<&str, &NoHome>,
    passwd: &dyn Passwd,
    path: &str,
) -> Result<String, NoHome> {
    if !path.starts_with('~') {
        return Ok(path.to_string());
    }
    if platform == Platform::Windows {
        let i = path[1..].find(['\\', '/']).map_or(path.len(), |j| j + 1);
        let mut userhome = match home {
            Ok(h) => h.to_string(),
            Err(e) if i == 1 => return Err(e.clone()),
            Err(_) => return Ok(path.to_string()),
        };
        if i != 1 {
            let target = &path[1..i];
            let current = env.get("USERNAME");
            if current != Some(target) {
                if current != Some(nt::basename(&userhome)) {
                    return Ok(path.to_string());
                }
                userhome = nt::join(&nt::dirname(&userhome), target);
            }
        }
        return Ok(format!("{userhome}{}", &path[i..]));
    }
    let i = path[1..].find('/').map_or(path.len(), |j| j + 1);
    let userhome = if i == 1 {
        home.map_err(Clone::clone)?.to_string()
    } else {
        match passwd.home_of(&path[1..i]) {
            Some(h) => h,
            None => return Ok(path.to_string()),
        }
    };
    let out = format!("{}{}", userhome.trim_end_matches('/'), &path[i..]);
    Ok(if out.is_empty() { "/".into() } else { out })
}

/// Python's `os.path.expandvars` for `platform`. Unknown variables are left as
/// they are.
///
/// - Unix (`posixpath`): `$NAME` (NAME of ASCII letters, digits and `_`) and
///   `${NAME}` (anything but `}`).
/// - Windows (`ntpath`): `%NAME%`, `$NAME` (letters, digits, `_` and `-`) and
///   `${NAME}`; `%%` and `$$` are `%` and `$`; nothing inside `'…'` is
///   expanded (the quotes stay); an unclosed `%`, `${` or `'` leaves the rest as
///   it is.
pub fn expand_vars(platform: Platform, env: Environ<'_>, s: &str) -> String {
    match platform {
        Platform::Windows => nt::expandvars(env, s),
        _ => posix_expandvars(env, s),
    }
}

fn posix_expandvars(env: Environ<'_>, s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(rel) = s[from..].find('$') {
        let dollar = from + rel;
        let after = &s[dollar + 1..];
        // `\$(\w+|\{[^}]*\})` with re.ASCII: the name and the match's length after `$`.
        let found = if let Some(braced) = after.strip_prefix('{') {
            braced.find('}').map(|end| (&braced[..end], end + 2))
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (end > 0).then(|| (&after[..end], end))
        };
        let Some((name, len)) = found else {
            from = dollar + 1;
            continue;
        };
        let end = dollar + 1 + len;
        if let Some(value) = env.get(name) {
            out.push_str(&s[copied..dollar]);
            out.push_str(value);
            copied = end;
        }
        from = end;
    }
    out.push_str(&s[copied..]);
    out
}

/// The parts of Python's `ntpath` that `expanduser` and `expandvars` use.
mod nt {
    use super::Environ;

    fn is_sep(c: char) -> bool {
        c == '\\' || c == '/'
    }

    /// `splitdrive`: a drive letter (`C:`) or a UNC share (`\\server\share`),
    /// and the rest.
    pub fn splitdrive(p: &str) -> (&str, &str) {
        let mut chars = p.char_indices();
        let (Some((_, first)), Some((i2, second))) = (chars.next(), chars.next()) else {
            return ("", p);
        };
        if is_sep(first) && is_sep(second) {
            let norm = p.replace('/', "\\");
            let start =
                if norm.len() >= 8 && norm.as_bytes()[..8].eq_ignore_ascii_case(b"\\\\?\\UNC\\") {
                    8
                } else {
                    2
                };
            let Some(index) = norm[start..].find('\\').map(|i| i + start) else {
                return (p, "");
            };
            let Some(index2) = norm[index + 1..].find('\\').map(|i| i + index + 1) else {
                return (p, "");
            };
            return (&p[..index2], &p[index2..]);
        }
        if second == ':' {
            let cut = i2 + 1;
            return (&p[..cut], &p[cut..]);
        }
        ("", p)
    }

    /// `join(a, b)`.
    pub fn join(a: &str, b: &str) -> String {
        let (mut drive, mut path) = {
            let (d, p) = splitdrive(a);
            (d.to_string(), p.to_string())
        };
        let (b_drive, b_path) = splitdrive(b);
        let absolute = b_path.starts_with(is_sep);
        if absolute {
            if !b_drive.is_empty() || drive.is_empty() {
                drive = b_drive.to_string();
            }
            path = b_path.to_string();
        } else if !b_drive.is_empty()
            && b_drive != drive
            && b_drive.to_lowercase() != drive.to_lowercase()
        {
            drive = b_drive.to_string();
            path = b_path.to_string();
        } else {
            if !b_drive.is_empty() {
                drive = b_drive.to_string();
            }
            if !path.is_empty() && !path.ends_with(is_sep) {
                path.push('\\');
            }
            path.push_str(b_path);
        }
        if !path.is_empty()
            && !path.starts_with(is_sep)
            && !drive.is_empty()
            && !drive.ends_with(':')
        {
            return format!("{drive}\\{path}");
        }
        drive + &path
    }

    /// `split`: (head, tail) around the last separator; the head keeps the drive
    /// and loses its trailing separators unless it is all separators.
    fn split(p: &str) -> (String, &str) {
        let (drive, rest) = splitdrive(p);
        let i = rest.rfind(is_sep).map_or(0, |i| i + 1);
        let (head, tail) = rest.split_at(i);
        let trimmed = head.trim_end_matches(is_sep);
        let head = if trimmed.is_empty() { head } else { trimmed };
        (format!("{drive}{head}"), tail)
    }

    pub fn basename(p: &str) -> &str {
        split(p).1
    }

    pub fn dirname(p: &str) -> String {
        split(p).0
    }

    /// `ntpath.expandvars`.
    pub fn expandvars(env: Environ<'_>, s: &str) -> String {
        if !s.contains(['$', '%']) {
            return s.to_string();
        }
        let varchar = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            let after = &rest[c.len_utf8()..];
            match c {
                '\'' => match after.find('\'') {
                    Some(end) => {
                        out.push_str(&rest[..end + 2]);
                        rest = &after[end + 1..];
                    }
                    None => {
                        out.push_str(rest);
                        rest = "";
                    }
                },
                '%' if after.starts_with('%') => {
                    out.push('%');
                    rest = &after[1..];
                }
                '%' => match after.find('%') {
                    Some(end) => {
                        let name = &after[..end];
                        match env.get(name) {
                            Some(v) => out.push_str(v),
                            None => out.push_str(&rest[..end + 2]),
                        }
                        rest = &after[end + 1..];
                    }
                    None => {
                        out.push_str(rest);
                        rest = "";
                    }
                },
                '$' if after.starts_with('$') => {
                    out.push('$');
                    rest = &after[1..];
                }
                '$' if after.starts_with('{') => match after[1..].find('}') {
                    Some(end) => {
                        let name = &after[1..end + 1];
                        match env.get(name) {
                            Some(v) => out.push_str(v),
                            None => out.push_str(&rest[..end + 3]),
                        }
                        rest = &after[end + 2..];
                    }
                    None => {
                        out.push_str(rest);
                        rest = "";
                    }
                },
                '$' => {
                    let end = after.find(|c| !varchar(c)).unwrap_or(after.len());
                    let name = &after[..end];
                    match env.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&rest[..end + 1]),
                    }
                    rest = &after[end..];
                }
                _ => {
                    out.push(c);
                    rest = after;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Platform::{Linux, MacOs, Windows};

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A password database with one user, `me` (uid 1000), and `alice`.
    struct Table {
        own: Option<&'static str>,
    }

    impl Passwd for Table {
        fn own(&self) -> (u32, Option<String>) {
            (1000, self.own.map(String::from))
        }
        fn home_of(&self, name: &str) -> Option<String> {
            match name {
                "me" => self.own.map(String::from),
                "alice" => Some("/srv/alice/".into()),
                "root" => Some("/".into()),
                _ => None,
            }
        }
    }

    const PW: Table = Table {
        own: Some("/var/lib/me"),
    };

    fn home_on(
        platform: Platform,
        pairs: &[(&str, &str)],
        passwd: &dyn Passwd,
    ) -> Result<String, NoHome> {
        let v = vars(pairs);
        home(platform, Environ::new(platform, &v), passwd)
    }

    #[test]
    fn unix_home_is_home_else_the_password_database() {
        for p in [Linux, MacOs] {
            assert_eq!(
                home_on(p, &[("HOME", "/home/me")], &PW),
                Ok("/home/me".into())
            );
            // Set but empty is set: Python reads `~/.aws/config` as `/.aws/config`.
            assert_eq!(home_on(p, &[("HOME", "")], &PW), Ok("".into()));
            // USERPROFILE means nothing on Unix.
            assert_eq!(
                home_on(p, &[("USERPROFILE", "/x")], &PW),
                Ok("/var/lib/me".into())
            );
            assert_eq!(
                home_on(p, &[], &Table { own: None }),
                Err(NoHome::Unix {
                    platform: p,
                    uid: 1000
                })
            );
        }
    }

    #[test]
    fn windows_home_is_userprofile_else_homedrive_homepath_never_home() {
        let w = |pairs: &[(&str, &str)]| home_on(Windows, pairs, &PW);
        assert_eq!(
            w(&[("HOME", "/c/msys"), ("USERPROFILE", r"C:\Users\me")]),
            Ok(r"C:\Users\me".into())
        );
        assert_eq!(
            w(&[("userprofile", r"C:\Users\me")]),
            Ok(r"C:\Users\me".into())
        );
        assert_eq!(
            w(&[("HOMEDRIVE", "D:"), ("HOMEPATH", r"\Users\me")]),
            Ok(r"D:\Users\me".into())
        );
        assert_eq!(w(&[("HOMEPATH", r"\Users\me")]), Ok(r"\Users\me".into()));
        assert_eq!(
            w(&[("HOMEDRIVE", r"\\srv\share"), ("HOMEPATH", "me")]),
            Ok(r"\\srv\share\me".into())
        );
        // HOME (MSYS2, Cygwin) and a lone HOMEDRIVE are not a home; the password
        // database is never asked.
        assert_eq!(
            w(&[("HOME", "/home/me"), ("HOMEDRIVE", "C:")]),
            Err(NoHome::Windows)
        );
    }

    #[test]
    fn errors_name_the_variables_of_their_platform() {
        let linux = NoHome::on(Linux, 1000);
        assert!(linux.message().contains("HOME is not set"));
        assert!(linux.message().contains("uid 1000"));
        assert!(linux.hint().contains("Environment=HOME=/home/NAME"));
        assert!(!linux.hint().contains("AWS_CONFIG_FILE"));
        assert!(
            NoHome::on(MacOs, 501)
                .hint()
                .contains("export HOME=/Users/NAME")
        );
        let windows = NoHome::on(Windows, 0);
        assert!(
            windows
                .message()
                .contains("USERPROFILE (or HOMEDRIVE and HOMEPATH)")
        );
        assert!(!windows.message().contains("HOME is"));
        assert!(
            windows
                .hint()
                .contains(r"$Env:USERPROFILE = 'C:\Users\NAME'")
        );
    }

    #[test]
    fn the_aws_directory() {
        assert_eq!(aws_dir(Linux, "/home/me"), "/home/me/.aws");
        assert_eq!(aws_dir(Linux, "/home/me/"), "/home/me/.aws");
        assert_eq!(aws_dir(Linux, ""), "/.aws");
        assert_eq!(aws_dir(Linux, "/"), "/.aws");
        assert_eq!(aws_dir(Windows, r"C:\Users\me"), r"C:\Users\me\.aws");
    }

    fn user(
        platform: Platform,
        pairs: &[(&str, &str)],
        home: Option<&str>,
        path: &str,
    ) -> Result<String, NoHome> {
        let v = vars(pairs);
        let none = NoHome::on(platform, 1000);
        expand_user(
            platform,
            Environ::new(platform, &v),
            home.ok_or(&none),
            &PW,
            path,
        )
    }

    #[test]
    fn posix_expanduser() {
        for p in [Linux, MacOs] {
            let h = Some("/home/me");
            for (path, want) in [
                ("~", "/home/me"),
                ("~/.aws/config", "/home/me/.aws/config"),
                ("~alice/c", "/srv/alice/c"),
                ("~alice", "/srv/alice"),
                ("~root", "/"),
                ("~root/x", "/x"),
                ("~nobody/c", "~nobody/c"),
                (r"~\c", r"~\c"),
                ("a/~/c", "a/~/c"),
                ("", ""),
            ] {
                assert_eq!(user(p, &[], h, path), Ok(want.into()), "{path}");
            }
            assert_eq!(
                user(p, &[], Some("/home/me///"), "~/c"),
                Ok("/home/me/c".into())
            );
            assert_eq!(user(p, &[], Some(""), "~"), Ok("/".into()));
            assert_eq!(user(p, &[], Some(""), "~/c"), Ok("/c".into()));
            assert_eq!(user(p, &[], None, "~/c"), Err(NoHome::on(p, 1000)));
            assert_eq!(user(p, &[], None, "~alice/c"), Ok("/srv/alice/c".into()));
        }
    }

    #[test]
    fn windows_expanduser() {
        let h = Some(r"C:\Users\me");
        let me = [("USERNAME", "me")];
        for (path, want) in [
            ("~", r"C:\Users\me"),
            ("~/.aws/config", r"C:\Users\me/.aws/config"),
            (r"~\.aws\config", r"C:\Users\me\.aws\config"),
            (r"~me\c", r"C:\Users\me\c"),
            (r"~bob\c", r"C:\Users\bob\c"),
            ("~bob/c", r"C:\Users\bob/c"),
        ] {
            assert_eq!(user(Windows, &me, h, path), Ok(want.into()), "{path}");
        }
        // `~bob` is guessed only when the home folder is named after USERNAME.
        assert_eq!(
            user(Windows, &[("USERNAME", "x")], h, "~bob/c"),
            Ok("~bob/c".into())
        );
        assert_eq!(user(Windows, &[], h, "~bob/c"), Ok("~bob/c".into()));
        // No trailing separator is trimmed (unlike posixpath).
        assert_eq!(
            user(Windows, &me, Some("C:\\Users\\me\\"), "~/c"),
            Ok("C:\\Users\\me\\/c".into())
        );
        assert_eq!(user(Windows, &me, None, "~/c"), Err(NoHome::Windows));
        assert_eq!(user(Windows, &me, None, "~bob/c"), Ok("~bob/c".into()));
    }

    fn vars_of(platform: Platform, s: &str) -> String {
        let v = vars(&[
            ("HOME", "/home/me"),
            ("EMPTY", ""),
            ("a_1", "x"),
            ("A-B", "dash"),
            ("USERPROFILE", r"C:\Users\me"),
        ]);
        expand_vars(platform, Environ::new(platform, &v), s)
    }

    #[test]
    fn posix_expandvars() {
        for (input, want) in [
            ("$HOME/.aws/config", "/home/me/.aws/config"),
            ("${HOME}/c", "/home/me/c"),
            ("$UNSET/c", "$UNSET/c"),
            ("${UNSET}/c", "${UNSET}/c"),
            ("a$EMPTY.b", "a.b"),
            ("$a_1-$a_1", "x-x"),
            ("${unclosed", "${unclosed"),
            ("${un$HOME", "${un/home/me"),
            ("cost$", "cost$"),
            ("$$HOME", "$/home/me"),
            // An unknown `${…}` is skipped whole: nothing inside it is expanded.
            ("${A$HOME}", "${A$HOME}"),
            ("$A-B", "$A-B"),
            ("%HOME%", "%HOME%"),
            ("'$HOME'", "'/home/me'"),
            ("$home", "$home"),
            ("$é$HOME", "$é/home/me"),
        ] {
            for p in [Linux, MacOs] {
                assert_eq!(vars_of(p, input), want, "{input}");
            }
        }
    }

    #[test]
    fn windows_expandvars() {
        for (input, want) in [
            ("%USERPROFILE%\\.aws\\config", r"C:\Users\me\.aws\config"),
            ("%userprofile%/c", r"C:\Users\me/c"),
            ("$USERPROFILE/c", r"C:\Users\me/c"),
            ("${USERPROFILE}/c", r"C:\Users\me/c"),
            ("$A-B/c", "dash/c"),
            ("%UNSET%/c", "%UNSET%/c"),
            ("$UNSET/c", "$UNSET/c"),
            ("${UNSET}/c", "${UNSET}/c"),
            ("100%%", "100%"),
            ("$$HOME", "$HOME"),
            ("a%EMPTY%b", "ab"),
            ("'%HOME%'/%HOME%", "'%HOME%'//home/me"),
            ("it's %HOME%", "it's %HOME%"),
            ("50% off", "50% off"),
            ("${unclosed $HOME", "${unclosed $HOME"),
            ("cost$", "cost$"),
            ("$", "$"),
            ("%", "%"),
            ("${X}}", "${X}}"),
            ("é%HOME%é", "é/home/meé"),
        ] {
            assert_eq!(vars_of(Windows, input), want, "{input}");
        }
    }

    #[test]
    fn ntpath_helpers() {
        assert_eq!(nt::splitdrive(r"C:\x"), ("C:", r"\x"));
        assert_eq!(nt::splitdrive(r"\\srv\share\x"), (r"\\srv\share", r"\x"));
        assert_eq!(nt::splitdrive("//srv/share"), ("//srv/share", ""));
        assert_eq!(
            nt::splitdrive(r"\\?\UNC\srv\share\x"),
            (r"\\?\UNC\srv\share", r"\x")
        );
        assert_eq!(nt::splitdrive("é:x"), ("é:", "x"));
        assert_eq!(nt::join("C:", r"\Users\me"), r"C:\Users\me");
        assert_eq!(nt::join("C:", "Users"), "C:Users");
        assert_eq!(nt::join(r"C:\Users", "bob"), r"C:\Users\bob");
        assert_eq!(nt::join(r"\\srv\share", "me"), r"\\srv\share\me");
        assert_eq!(nt::join("C:", "D:x"), "D:x");
        assert_eq!(nt::join("c:a", "C:b"), r"C:a\b");
        assert_eq!(nt::dirname(r"C:\Users\me"), r"C:\Users");
        assert_eq!(nt::dirname(r"C:\me"), r"C:\");
        assert_eq!(nt::basename(r"C:\Users\me"), "me");
        assert_eq!(nt::basename(r"C:\Users\me\"), "");
    }
}
