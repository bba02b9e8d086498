//! The daemon's private folder: the socket, its lock and its log live in a folder only this
//! user can enter, so no one else can connect to the socket, replace it or read the log.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

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

pub fn current_uid() -> u32 {
    // SAFETY: getuid(2) cannot fail and has no preconditions.
    unsafe { libc::getuid() }
}

/// Creates the folder with mode 0700, or checks that the existing one is a real folder (not a
/// symlink), owned by this user and closed to everyone else.
pub fn ensure(dir: &Path) -> Result<(), String> {
    match fs::DirBuilder::new().recursive(false).mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                fs::create_dir_all(parent).map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
            }
            return fs::DirBuilder::new()
                .mode(0o700)
                .create(dir)
                .map_err(|error| format!("cannot create {}: {error}", dir.display()));
        }
        Err(error) => return Err(format!("cannot create {}: {error}", dir.display())),
    }
    let metadata = fs::symlink_metadata(dir).map_err(|error| format!("cannot inspect {}: {error}", dir.display()))?;
    if !metadata.is_dir() {
        return Err(format!("refusing to use {}: it is not a folder (a symlink or a file)", dir.display()));
    }
    check_owner(dir, &metadata)?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "refusing to use {}: its mode {mode:04o} lets other users in; make it 0700 (chmod 700) or remove it",
            dir.display()
        ));
    }
    Ok(())
}

/// A socket, lock or folder someone else owns is never used, even by root.
pub fn check_owner(path: &Path, metadata: &fs::Metadata) -> Result<(), String> {
    let uid = current_uid();
    if metadata.uid() != uid {
        return Err(format!(
            "refusing to use {}: it belongs to user {}, not to this user ({uid})",
            path.display(),
            metadata.uid()
        ));
    }
    Ok(())
}

pub fn make_private(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}
