//! Reading a file whatever it turns out to be: only a regular file (a FIFO would block, a
//! device never ends), and never past a limit (reading stops there, not after).

use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// Why [`regular_file`] read nothing.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// A named pipe, a device, a socket, a folder: what it is.
    NotRegular(&'static str),
    /// Its size (or the size it grew to while read), over the limit.
    TooLarge(u64),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(error) => write!(f, "{error}"),
            ReadError::NotRegular(kind) => write!(f, "not a regular file (a {kind})"),
            ReadError::TooLarge(size) => write!(f, "{size} bytes long"),
        }
    }
}

/// Opens `path` for reading, without waiting for a pipe's writer (and, unless `follow_links`,
/// without following a symlink: `ELOOP` then), checks that it is a regular file of at most
/// `limit` bytes and reads it, stopping at the limit.
pub fn regular_file(path: &Path, limit: u64, follow_links: bool) -> Result<(fs::Metadata, Vec<u8>), ReadError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if follow_links { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | no_follow);
    }
    #[cfg(not(unix))]
    let _ = follow_links;
    let file = options.open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(kind(&metadata.file_type())));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok((metadata, bytes))
}

fn kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "named pipe";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "device";
        }
        if kind.is_socket() {
            return "socket";
        }
    }
    if kind.is_dir() { "folder" } else { "special file" }
}
