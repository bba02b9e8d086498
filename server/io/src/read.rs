//! Reading a file whatever it turns out to be: only a regular file (a FIFO would block, a
//! device never ends), and never past a limit (reading stops there, not after).

use std::fs;
use std::io::{self, Read, Seek};
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::Arc;

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
    let (file, metadata) = open_regular(path, limit, follow_links)?;
    let expected = metadata_len(&metadata);
    Ok((metadata, read_rest(file, limit, expected)?))
}

/// [`regular_file`] read straight into a shared buffer of the size the file has when opened,
/// which the caller can keep as it is (an index keeps every tracker file's text): no copy of
/// every byte into an `Arc` of its own after the read. A file whose size changed while it was
/// read is read again from its start, as [`regular_file`] reads it.
pub fn regular_file_shared(path: &Path, limit: u64, follow_links: bool) -> Result<Arc<[u8]>, ReadError> {
    let (mut file, metadata) = open_regular(path, limit, follow_links)?;
    let size = metadata_len(&metadata);
    let mut shared: Arc<[MaybeUninit<u8>]> = Arc::new_uninit_slice(size);
    if let Some(buffer) = Arc::get_mut(&mut shared) {
        let filled = fill_uninit(&mut file, buffer).map_err(ReadError::Io)?;
        let mut probe = [0; 1];
        if filled == size && read_retrying(&mut file, &mut probe).map_err(ReadError::Io)? == 0 {
            // SAFETY: the reads wrote every one of the `size` bytes.
            return Ok(unsafe { shared.assume_init() });
        }
    }
    file.seek(io::SeekFrom::Start(0)).map_err(ReadError::Io)?;
    Ok(Arc::from(read_rest(file, limit, size)?))
}

/// Reads until `buffer` is full or the file ends, into memory not yet written (zeroing a text's
/// whole buffer first cost a pass over every byte indexed); how many bytes it read, the first
/// ones of `buffer`, which are then initialized.
fn fill_uninit(file: &mut fs::File, buffer: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mut filled = 0;
        while filled < buffer.len() {
            let rest = &mut buffer[filled..];
            // SAFETY: `rest` is valid for writes of `rest.len()` bytes, and read(2) writes at
            // most that many; the bytes it reports written are initialized.
            let read = unsafe { libc::read(file.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
            match read {
                0 => break,
                read if read > 0 => filled += read as usize,
                _ => match io::Error::last_os_error() {
                    error if error.kind() == io::ErrorKind::Interrupted => continue,
                    error => return Err(error),
                },
            }
        }
        Ok(filled)
    }
    // Elsewhere the caller reads the file the plain way, into a vector it then copies.
    #[cfg(not(unix))]
    {
        let _ = (file, buffer);
        Ok(0)
    }
}

fn metadata_len(metadata: &fs::Metadata) -> usize {
    usize::try_from(metadata.len()).unwrap_or(usize::MAX)
}

fn read_retrying(file: &mut fs::File, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The rest of an open file, never more than `limit` bytes (`expected`: the size it had).
fn read_rest(file: fs::File, limit: u64, expected: usize) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(expected);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Opens `path` as [`regular_file`] does and checks what it is and its size.
fn open_regular(path: &Path, limit: u64, follow_links: bool) -> Result<(fs::File, fs::Metadata), ReadError> {
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
    Ok((file, metadata))
}

pub(crate) fn kind(kind: &fs::FileType) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_read_holds_the_whole_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("TODO.md");
        std::fs::write(&path, "# Tasks\n- [ ] one\n").expect("written");
        let bytes = regular_file_shared(&path, 1000, false).expect("read");
        assert_eq!(&bytes[..], b"# Tasks\n- [ ] one\n");
        assert!(matches!(regular_file_shared(&path, 5, false), Err(ReadError::TooLarge(18))));
    }

    /// A file whose size is not what it holds (as one that grows while read, or a /proc file,
    /// which says 0 bytes) is read again whole, not cut at the size it had.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_larger_than_its_size_said_is_read_whole() {
        let path = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(path).expect("its size").len(), 0);
        let bytes = regular_file_shared(path, 1 << 20, true).expect("read");
        assert!(bytes.starts_with(b"Name:") && bytes.len() > 100, "{}", String::from_utf8_lossy(&bytes));
    }
}
