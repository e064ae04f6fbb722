//! Reading a file that anyone may have put in the way: a cache entry, a token, a
//! lock record, the config, the credentials file, a CA bundle. Only a regular
//! file is read, and only up to a size cap: a FIFO, a device or a directory where
//! a file is expected is refused at once (opened without blocking, then checked),
//! never read forever or waited on.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The caps: a cache or token entry is a few kilobytes; a config or credentials
/// file with thousands of profiles a few megabytes; a CA bundle the same.
pub const CACHE_CAP: u64 = 1024 * 1024;
pub const USER_FILE_CAP: u64 = 64 * 1024 * 1024;

/// The bytes of the regular file at `path`, at most `cap` of them; an error
/// (`InvalidInput`, saying what it is) for anything else.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open_regular(path, cap)?;
    read_open(file, len, cap)
}

/// The bytes of `file` as [`open_regular`] gave it (with its length then), at
/// most `cap` of them.
pub fn read_open(file: File, len: u64, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

/// The regular file at `path`, opened for reading, and its length, which was at
/// most `cap` bytes when opened (the reader checks what it reads); an error as
/// from [`read_regular`] for anything else.
pub fn open_regular(path: &Path, cap: u64) -> io::Result<(File, u64)> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > cap {
        return Err(too_large(cap));
    }
    Ok((file, meta.len()))
}

fn too_large(cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is larger than {} KiB", cap / 1024),
    )
}

/// Opening a FIFO for reading blocks until a writer comes: not with O_NONBLOCK
/// (which changes nothing for a regular file).
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Windows refuses to open a directory as a file (`ERROR_ACCESS_DENIED`): that
/// refusal is told apart from a real one by the path's metadata, so the error
/// says what is in the way, as on Unix.
#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path).map_err(|e| match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => not_regular(&meta),
        _ => e,
    })
}

fn not_regular(meta: &std::fs::Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", kind_of(meta)),
    )
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"hello").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), b"hello");
        let e = read_regular(&file, 4).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        let e = read_regular(dir.path(), 1024).unwrap_err();
        assert_eq!(e.to_string(), "it is a directory, not a regular file");
        #[cfg(unix)]
        {
            // A FIFO with no writer: refused at once, not waited on.
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            let e = read_regular(&fifo, 1024).unwrap_err();
            assert_eq!(e.to_string(), "it is a FIFO, not a regular file");
            let e = read_regular(Path::new("/dev/zero"), 1024).unwrap_err();
            assert_eq!(e.to_string(), "it is a device, not a regular file");
        }
        assert_eq!(
            read_regular(&dir.path().join("none"), 10)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}
