//! Folders only this user may enter, and files in them only this user owns: where taskmark
//! keeps what nobody else may read, replace or plant (the daemon's socket, a workspace's lock
//! and journal). A folder or file that is a symlink, belongs to someone else or lets others in
//! is refused with a message saying what to fix, never repaired: the user decides.

use std::fs;
use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};

/// This process's user id (0 where there are no Unix users).
pub fn current_uid() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: getuid(2) cannot fail and has no preconditions.
        unsafe { libc::getuid() }
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Creates `dir` with mode 0700 (its parents as the user's umask makes them), or checks that the
/// existing one is a real folder (not a symlink), owned by this user and closed to everyone else.
pub fn ensure(dir: &Path) -> Result<(), String> {
    ensure_with(dir, 0o077)
}

/// [`ensure`] for a folder others may read but not write (a state folder the user made with
/// their umask): no one else can plant or replace anything in it.
pub fn ensure_unwritable(dir: &Path) -> Result<(), String> {
    ensure_with(dir, 0o022)
}

fn ensure_with(dir: &Path, forbidden: u32) -> Result<(), String> {
    match create_private(dir) {
        Ok(()) => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                fs::create_dir_all(parent).map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
            }
            match create_private(dir) {
                Ok(()) => return Ok(()),
                // Another process made it in between: check it like any existing one.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(format!("cannot create {}: {error}", dir.display())),
            }
        }
        Err(error) => return Err(format!("cannot create {}: {error}", dir.display())),
    }
    let metadata = fs::symlink_metadata(dir).map_err(|error| format!("cannot inspect {}: {error}", dir.display()))?;
    check_folder(dir, &metadata, forbidden)
}

/// What [`ensure`] checks of an existing folder, from its `symlink_metadata`: a real folder
/// (not a symlink), this user's, closed to everyone else.
pub fn check_private_dir(dir: &Path, metadata: &fs::Metadata) -> Result<(), String> {
    check_folder(dir, metadata, 0o077)
}

fn check_folder(dir: &Path, metadata: &fs::Metadata, forbidden: u32) -> Result<(), String> {
    if !metadata.is_dir() {
        return Err(format!("refusing to use {}: it is not a folder (a symlink or a file)", dir.display()));
    }
    check_owner(dir, metadata)?;
    check_mode(dir, metadata, forbidden)
}

fn create_private(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

/// A socket, lock or folder someone else owns is never used, even by root.
pub fn check_owner(path: &Path, metadata: &fs::Metadata) -> Result<(), String> {
    #[cfg(unix)]
    {
        let uid = current_uid();
        if metadata.uid() != uid {
            return Err(format!(
                "refusing to use {}: it belongs to user {}, not to this user ({uid})",
                path.display(),
                metadata.uid()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata);
    Ok(())
}

fn check_mode(dir: &Path, metadata: &fs::Metadata, forbidden: u32) -> Result<(), String> {
    #[cfg(unix)]
    {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & forbidden != 0 {
            return Err(format!(
                "refusing to use {}: its mode {mode:04o} lets other users in; make it 0700 (chmod 700) or remove it",
                dir.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, metadata, forbidden);
    Ok(())
}

/// Opens (`create`: creating, mode 0600) a file in a private folder for reading and writing,
/// never through a symlink, and only if it is a regular file this user owns.
pub fn open_file(path: &Path, create: bool) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(create).truncate(false);
    #[cfg(unix)]
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    let file = options.open(path).map_err(|error| refused_link(path, error))?;
    check_own_regular(path, &file.metadata()?)?;
    Ok(file)
}

/// Reads a file in a private folder (none: `Ok(None)`), never through a symlink, only if it is
/// a regular file this user owns and at most `limit` bytes long.
pub fn read_file(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    use crate::read::ReadError;
    match crate::read::regular_file(path, limit, false) {
        Ok((metadata, bytes)) => {
            check_owner(path, &metadata).map_err(io::Error::other)?;
            Ok(Some(bytes))
        }
        Err(ReadError::Io(error)) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(ReadError::Io(error)) => Err(refused_link(path, error)),
        Err(ReadError::TooLarge(size)) => {
            Err(io::Error::other(format!("{} is {size} bytes, over the {limit}-byte limit", path.display())))
        }
        Err(not_regular) => Err(io::Error::other(format!("refusing to use {}: {not_regular}", path.display()))),
    }
}

/// Creates a new file (never an existing one, never through a symlink), mode 0600.
pub fn create_new_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    options.open(path)
}

/// Replaces the file at `path` in a private folder with `bytes`, durably: a temporary file
/// beside it (`<name>.tmp`, created new, never through a symlink, mode 0600), synced, renamed
/// over the old one, and the folder synced. A crash leaves the old contents or the new ones.
/// The caller must be the only writer (it holds a lock): a temporary file found is one a crashed
/// writer left, and is removed first.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = std::path::PathBuf::from(temp);
    match fs::remove_file(&temp) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let written = create_new_file(&temp)
        .and_then(|mut file| io::Write::write_all(&mut file, bytes).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temp, path));
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// The name of something of taskmark's own for `label`'s folder or file (a workspace root) in a
/// private folder: `<label's last component>-<hash of identity>`, unique per identity and
/// recognisable by a person looking in the folder.
pub fn name_for(label: &Path, identity: &[u8]) -> String {
    let name: String = label
        .file_name()
        .map(|it| it.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .map(|it| if it.is_ascii_alphanumeric() || matches!(it, '-' | '_' | '.') { it } else { '_' })
        .take(40)
        .collect();
    let name = name.trim_start_matches('.');
    let hash = blake3::hash(identity).to_hex();
    format!("{}-{}", if name.is_empty() { "root" } else { name }, &hash[..16])
}

/// ELOOP from `O_NOFOLLOW` says "a symlink": say so in words.
fn refused_link(path: &Path, error: io::Error) -> io::Error {
    #[cfg(unix)]
    if error.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::other(format!("refusing to use {}: it is a symlink", path.display()));
    }
    let _ = path;
    error
}

fn check_own_regular(path: &Path, metadata: &fs::Metadata) -> io::Result<()> {
    if !metadata.is_file() {
        return Err(io::Error::other(format!("refusing to use {}: it is not a regular file", path.display())));
    }
    check_owner(path, metadata).map_err(io::Error::other)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn folders_are_made_private_and_open_ones_or_links_are_refused() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let private = dir.path().join("a/b/private");
        ensure(&private).expect("created");
        assert_eq!(fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o700);
        ensure(&private).expect("an existing private folder is fine");

        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
        let error = ensure(&open).expect_err("an open folder");
        assert!(error.contains("mode 0755 lets other users in"), "{error}");

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&private, &link).unwrap();
        let error = ensure(&link).expect_err("a symlinked folder");
        assert!(error.contains("not a folder"), "{error}");
    }

    #[test]
    fn files_are_never_opened_through_a_symlink() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let error = open_file(&link, true).expect_err("a symlink");
        assert!(error.to_string().contains("is a symlink"), "{error}");
        let error = read_file(&link, 100).expect_err("a symlink");
        assert!(error.to_string().contains("is a symlink"), "{error}");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(create_new_file(&dangling).is_err(), "a dangling link is not followed to create its target");
        assert!(!dir.path().join("nowhere").exists());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(read_file(&victim, 3).expect_err("over the limit").kind(), io::ErrorKind::Other);
        assert_eq!(read_file(&dir.path().join("absent"), 3).unwrap(), None);
    }

    #[test]
    fn a_replaced_file_holds_the_new_bytes_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("claims.json");
        replace_file(&path, b"one").expect("created");
        // A temporary file a crashed writer left is no obstacle.
        fs::write(dir.path().join("claims.json.tmp"), "half").unwrap();
        replace_file(&path, b"two").expect("replaced");
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!dir.path().join("claims.json.tmp").exists());
    }
}
