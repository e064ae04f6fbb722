//! Replacing a user's text file (the AWS config, the shared credentials file) the
//! careful way: the original is first copied to a backup (0600) — a new
//! `PATH.bak-YYYYMMDDHHMMSS` each time for the config, which `configure` changes
//! rarely; the one `PATH.bak`, replaced, for the credentials file, which `export`
//! may rewrite every hour — then the new text goes to a temp file in the same
//! directory, is flushed to disk and renamed over the original, so a reader sees
//! the old file or the new one and never half of either (on Windows the rename is
//! tried again for up to a second while another process holds the file open:
//! `store::replace_file`). The original's permissions are kept (0600 for a new
//! file).
//!
//! What sso-helper adds to those files is ASCII: botocore reads them in the
//! system's code page on Windows (`configparser`'s default encoding), where a byte
//! outside ASCII misreads names or stops every AWS CLI command (a "—" in a comment
//! does, on Chinese, Japanese and Korean systems). Text from outside (account
//! names, paths, a session's name in a comment) goes through [`ascii_fold`] or
//! [`ascii_comment`] first; the user's own bytes are kept as they are.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::error::{Error, Result};

/// Writes `new_text` to `path` atomically, after backing up what was there. Returns
/// the backup's path, or `None` when the file did not exist (it is then created,
/// with any missing parent directory 0700). A symbolic link is followed: the file it
/// points at is replaced and the link stays; the backup sits next to `path`.
/// Takes the lock that serialises every read-merge-write of `path` (the config
/// or credentials file) by sso-helper processes, so parallel runs of `configure
/// --write` or `export --format credentials` each re-read under it and keep what
/// the others wrote. The caller reads the file after taking it.
pub fn lock_for_rewrite(
    ctx: &crate::context::Context,
    aws_dir: &Path,
    path: &Path,
) -> Result<crate::lock::Guard> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let resolved = fs::canonicalize(&absolute).unwrap_or(absolute);
    let what = format!("the rewrite of {}", path.display());
    crate::lock::Locks::new(aws_dir).acquire(
        ctx,
        &format!("file:{}", resolved.display()),
        crate::lock::Waiting {
            notice: None,
            what: &what,
        },
        time::Duration::minutes(1),
    )
}

/// A file its owner made read-only (no write permission for anyone) is never
/// replaced — a rename over it would succeed, so this is checked first, before
/// any work that would be lost.
pub fn check_writable(path: &Path) -> Result<()> {
    if fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
        return Err(read_only(path, crate::platform::Platform::current()));
    }
    Ok(())
}

/// The error for a read-only `path`, with the command that makes it writable on
/// `platform` (`hint::make_writable`).
fn read_only(path: &Path, platform: crate::platform::Platform) -> Error {
    Error::Environment {
        message: format!("{} is read-only; it was not changed", path.display()),
        hint: format!(
            "make it writable ({}) if sso-helper should change it",
            crate::hint::make_writable(&path.display().to_string(), platform)
        ),
    }
}

/// Which backup a rewrite keeps.
#[derive(Clone, Copy, Debug)]
pub enum Backup {
    /// A new `PATH.bak-YYYYMMDDHHMMSS` (UTC) each time, never overwritten.
    Timestamped(OffsetDateTime),
    /// The one `PATH.bak`, replaced each time.
    Single,
}

pub fn rewrite_with_backup(
    path: &Path,
    new_text: &str,
    policy: Backup,
    force_mode: Option<u32>,
) -> Result<Option<PathBuf>> {
    let original = match crate::readfile::read_regular(path, crate::readfile::USER_FILE_CAP) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read", path)(e)),
    };
    if original.is_some() {
        check_writable(path)?;
    }
    let target = match &original {
        Some(_) if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            fs::canonicalize(path).map_err(Error::io("resolve", path))?
        }
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (backup, mode) = match &original {
        Some(bytes) => {
            let mode = file_mode(&target).map_err(Error::io("read the permissions of", &target))?;
            let backup = match policy {
                Backup::Timestamped(now) => write_backup(path, bytes, now)?,
                Backup::Single => write_single_backup(path, bytes)?,
            };
            (Some(backup), mode)
        }
        None => {
            create_private_dir(&dir).map_err(Error::io("create the directory", &dir))?;
            (None, 0o600)
        }
    };
    crate::store::sweep_stale_temps(&dir);
    let tmp = crate::store::temp_path(&dir, &target);
    // A file that will hold secrets gets its mode before a byte is written.
    let mode = force_mode.unwrap_or(mode);
    let result = (|| {
        let mut f = new_file(&tmp, mode)?;
        f.write_all(new_text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        crate::store::replace_file(&tmp, &target)?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(Error::io("write", &target))?;
    Ok(backup)
}

/// `PATH.bak-YYYYMMDDHHMMSS` (UTC); `-2`, `-3`… after it when a backup of the same
/// second exists already, which is never overwritten.
pub fn backup_name(path: &Path, now: OffsetDateTime, attempt: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".bak-{}", crate::timestamp::compact_utc(now)));
    if attempt > 1 {
        name.push(format!("-{attempt}"));
    }
    PathBuf::from(name)
}

/// `PATH.bak`, replaced atomically (0600).
fn write_single_backup(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    let backup = PathBuf::from(name);
    let dir = match backup.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = crate::store::temp_path(&dir, &backup);
    let result = (|| {
        let mut f = new_file(&tmp, 0o600)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        crate::store::replace_file(&tmp, &backup)
    })();
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::Io {
            action: "write the backup",
            path: backup,
            source,
        });
    }
    Ok(backup)
}

fn write_backup(path: &Path, bytes: &[u8], now: OffsetDateTime) -> Result<PathBuf> {
    for attempt in 1..=100 {
        let backup = backup_name(path, now, attempt);
        let mut f = match new_file(&backup, 0o600) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(Error::Io {
                    action: "write the backup",
                    path: backup,
                    source,
                });
            }
        };
        if let Err(source) = f.write_all(bytes).and_then(|()| f.sync_all()) {
            drop(f);
            let _ = fs::remove_file(&backup);
            return Err(Error::Io {
                action: "write the backup",
                path: backup,
                source,
            });
        }
        return Ok(backup);
    }
    Err(Error::Io {
        action: "write the backup",
        path: backup_name(path, now, 1),
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "too many backups from the same second",
        ),
    })
}

#[cfg(unix)]
fn file_mode(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::metadata(path)?.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(path: &Path) -> std::io::Result<u32> {
    fs::metadata(path).map(|_| 0o600)
}

/// A new file (never an existing one) with `mode` (exactly: the umask is undone).
#[cfg(unix)]
fn new_file(path: &Path, mode: u32) -> std::io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    if mode != 0o600 {
        f.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    Ok(f)
}

#[cfg(not(unix))]
fn new_file(path: &Path, _mode: u32) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Creates `dir` and any missing parent 0700; an existing directory is left as it is.
#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

/// Makes the rename durable (best effort: not every platform can open a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A character outside ASCII in ASCII letters, for names made from text: its
/// transliteration by the `deunicode` crate (`é` → `e`, `ß` → `ss`, `İ` → `I`,
/// `ﬁ` → `fi`, fullwidth `Ｐ` → `P`, `П` → `P`, `本` → `Ben `; a combining mark →
/// nothing), or `None` when it has none. Callers replace what is left outside
/// their own alphabet.
pub fn ascii_fold(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return None;
    }
    deunicode::deunicode_char(c).filter(|t| t.is_ascii())
}

/// `s` for a comment line sso-helper writes: ASCII as it is, every other
/// character (and any control character) as `\u{…}`, its code point, so nothing
/// is lost and the line stays ASCII.
pub fn ascii_comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            out.extend(c.escape_unicode());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-04 05:06:07 +01:00);

    #[test]
    fn text_outside_ascii_folds_to_ascii() {
        let fold = |s: &str| -> String {
            s.chars()
                .map(|c| match ascii_fold(c) {
                    Some(f) => f.to_string(),
                    None if c.is_ascii() => c.to_string(),
                    None => "?".to_string(),
                })
                .collect()
        };
        assert_eq!(fold("Développement"), "Developpement");
        assert_eq!(fold("ÆØÅæøåßŁłŒœ"), "AEOAaeoassLlOEoe");
        assert_eq!(fold("Ünïcödé"), "Unicode");
        // What a hand-made table of Latin-1 missed: dotted I, ligatures,
        // Vietnamese, decomposed accents, fullwidth forms, other scripts.
        assert_eq!(fold("İstanbul"), "Istanbul");
        assert_eq!(fold("Ǆemal ﬁnance"), "DZemal finance");
        assert_eq!(fold("Phát triển"), "Phat trien");
        assert_eq!(fold("e\u{301}clair"), "eclair");
        assert_eq!(fold("Ｐｒｏｄ"), "Prod");
        assert_eq!(fold("Производство"), "Proizvodstvo");
        assert!(fold("本番").is_ascii());
        // Whatever it gives is ASCII, for every character of the Basic
        // Multilingual Plane.
        for c in '\u{80}'..='\u{ffff}' {
            if let Some(f) = ascii_fold(c) {
                assert!(f.is_ascii(), "{c}: {f}");
            }
        }
    }

    #[test]
    fn comments_are_ascii_and_keep_every_character() {
        assert_eq!(ascii_comment("plain; text"), "plain; text");
        assert_eq!(
            ascii_comment("café — 本番"),
            "caf\\u{e9} \\u{2014} \\u{672c}\\u{756a}"
        );
        assert_eq!(ascii_comment("a\nb\tc"), "a\\u{a}b\\u{9}c");
        assert!(ascii_comment("C:\\Users\\José\\bin").is_ascii());
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn backup_names_are_utc_and_never_reused() {
        let p = Path::new("/x/config");
        assert_eq!(
            backup_name(p, NOW, 1),
            PathBuf::from("/x/config.bak-20260304040607")
        );
        assert_eq!(
            backup_name(p, NOW, 3),
            PathBuf::from("/x/config.bak-20260304040607-3")
        );
    }

    #[test]
    fn replaces_keeping_a_backup_and_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        fs::write(&path, "old\r\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        let backup = rewrite_with_backup(&path, "new\n", Backup::Timestamped(NOW), None)
            .unwrap()
            .unwrap();
        assert_eq!(backup, backup_name(&path, NOW, 1));
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(fs::read_to_string(&backup).unwrap(), "old\r\n");
        // A second rewrite in the same second keeps the first backup.
        let second = rewrite_with_backup(&path, "newer\n", Backup::Timestamped(NOW), None)
            .unwrap()
            .unwrap();
        assert_eq!(second, backup_name(&path, NOW, 2));
        assert_eq!(fs::read_to_string(&backup).unwrap(), "old\r\n");
        assert_eq!(fs::read_to_string(&second).unwrap(), "new\n");
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o640);
            assert_eq!(mode(&backup), 0o600);
        }
        // No temp file is left behind.
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "config",
                "config.bak-20260304040607",
                "config.bak-20260304040607-2"
            ]
        );
    }

    #[test]
    fn a_single_backup_is_replaced_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, "one\n").unwrap();
        let b1 = rewrite_with_backup(&path, "two\n", Backup::Single, Some(0o600))
            .unwrap()
            .unwrap();
        let b2 = rewrite_with_backup(&path, "three\n", Backup::Single, Some(0o600))
            .unwrap()
            .unwrap();
        assert_eq!(b1, b2);
        assert_eq!(b1, dir.path().join("credentials.bak"));
        assert_eq!(fs::read_to_string(&b1).unwrap(), "two\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
        #[cfg(unix)]
        assert_eq!(mode(&b1), 0o600);
    }

    #[test]
    fn a_new_file_gets_no_backup_and_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/config");
        assert_eq!(
            rewrite_with_backup(&path, "x\n", Backup::Timestamped(NOW), None).unwrap(),
            None
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "x\n");
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            assert_eq!(mode(&dir.path().join("a")), 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let link = dir.path().join("config");
        fs::write(&real, "old\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let backup = rewrite_with_backup(&link, "new\n", Backup::Timestamped(NOW), None)
            .unwrap()
            .unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new\n");
        assert_eq!(backup, backup_name(&link, NOW, 1));
        assert_eq!(fs::read_to_string(&backup).unwrap(), "old\n");
    }

    #[test]
    fn read_only_hints_fit_the_platform() {
        use crate::platform::Platform;
        for unix in [Platform::Linux, Platform::MacOs] {
            let e = read_only(Path::new("/t/ro cfg"), unix);
            assert_eq!(
                crate::error::one_line(&e),
                "sso-helper: /t/ro cfg is read-only; it was not changed; make it writable (chmod u+w '/t/ro cfg') if sso-helper should change it"
            );
        }
        let e = read_only(Path::new(r"C:\t\ro cfg"), Platform::Windows);
        assert_eq!(
            e.hint().unwrap(),
            r#"make it writable (attrib -r "C:\t\ro cfg") if sso-helper should change it"#
        );
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: it cannot be read as a file.
        let e = rewrite_with_backup(dir.path(), "x", Backup::Timestamped(NOW), None).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
        assert!(e.to_string().contains(&dir.path().display().to_string()));
    }
}
