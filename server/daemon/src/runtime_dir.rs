//! The daemon's private folder: the socket, its lock, its log and its TCP token live in a
//! folder only this user can enter, so no one else can connect to the socket, replace it or
//! read the log. Clients check the same before they trust a socket they find there.

use std::fs;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::private_dir::check_private_dir;
pub use crate::private_dir::{check_owner, current_uid, ensure};

/// `$TASKMARK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/taskmark`, else `/tmp/taskmark-UID`.
pub fn location() -> PathBuf {
    if let Some(dir) = std::env::var_os("TASKMARK_RUNTIME_DIR").filter(|it| !it.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|it| !it.is_empty()) {
        return PathBuf::from(dir).join("taskmark");
    }
    std::env::temp_dir().join(format!("taskmark-{}", current_uid()))
}

pub fn make_private(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

/// The daemon's socket, if there is one a client may trust before connecting: the runtime
/// folder is private ([`ensure`]'s checks, without creating anything) and the socket in it is a
/// socket this user owns. `Ok(None)` when there is no folder or no socket (no daemon runs);
/// `Err` says which check failed.
fn socket_to_trust() -> Result<Option<PathBuf>, String> {
    let dir = location();
    let metadata = match fs::symlink_metadata(&dir) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot inspect {}: {error}", dir.display())),
    };
    check_private_dir(&dir, &metadata)?;
    let socket = dir.join(super::SOCKET);
    let metadata = match fs::symlink_metadata(&socket) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot inspect {}: {error}", socket.display())),
    };
    if !metadata.file_type().is_socket() {
        return Err(format!("refusing to use {}: it is not a socket", socket.display()));
    }
    check_owner(&socket, &metadata)?;
    Ok(Some(socket))
}

/// After connecting: the process listening on `socket` runs as this user. The folder's checks
/// say no one else could have put the socket there; this says no one else answers on it.
fn check_peer(socket: &Path, connection: BorrowedFd<'_>) -> Result<(), String> {
    let peer = super::peer::peer_uid(connection)
        .map_err(|error| format!("refusing to use {}: cannot tell who answers on it ({error})", socket.display()))?;
    check_peer_uid(socket, peer, current_uid())
}

fn check_peer_uid(socket: &Path, peer: u32, ours: u32) -> Result<(), String> {
    if peer != ours {
        return Err(format!(
            "refusing to use {}: it is answered by user {peer}, not by this user ({ours})",
            socket.display()
        ));
    }
    Ok(())
}

/// Whether a failed connection only means that no daemon listens (a socket left by one that
/// died, or removed meanwhile), rather than something to report.
fn nobody_listens(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound)
}

/// A connection to this user's daemon, for `taskmark set`/`fix`: `Ok(None)` when no daemon
/// runs, `Err` (saying why) when something answers that is not to be trusted.
pub fn connect_trusted() -> Result<Option<std::os::unix::net::UnixStream>, String> {
    let Some(socket) = socket_to_trust()? else { return Ok(None) };
    let stream = match std::os::unix::net::UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(error) if nobody_listens(&error) => return Ok(None),
        Err(error) => return Err(format!("cannot connect to {}: {error}", socket.display())),
    };
    check_peer(&socket, stream.as_fd())?;
    Ok(Some(stream))
}

/// [`connect_trusted`] for the `taskmark lsp` proxy, on its async runtime.
pub async fn connect_trusted_async() -> Result<Option<tokio::net::UnixStream>, String> {
    let Some(socket) = socket_to_trust()? else { return Ok(None) };
    let stream = match tokio::net::UnixStream::connect(&socket).await {
        Ok(stream) => stream,
        Err(error) if nobody_listens(&error) => return Ok(None),
        Err(error) => return Err(format!("cannot connect to {}: {error}", socket.display())),
    };
    check_peer(&socket, stream.as_fd())?;
    Ok(Some(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_answered_by_another_user_is_refused() {
        let socket = Path::new("/run/taskmark/daemon.sock");
        assert_eq!(check_peer_uid(socket, 1000, 1000), Ok(()));
        let refused = check_peer_uid(socket, 65534, 1000).expect_err("another user");
        assert!(refused.contains("answered by user 65534, not by this user (1000)"), "{refused}");
    }

    #[test]
    fn a_socket_pair_of_ours_passes_the_peer_check() {
        let (one, _two) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        assert_eq!(check_peer(Path::new("pair"), one.as_fd()), Ok(()));
    }
}
