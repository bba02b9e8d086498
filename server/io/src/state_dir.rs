//! Where a workspace's lock and journal live: in this user's state folder, keyed by the
//! workspace's canonical root, never inside the work tree. A repository is untrusted input: a
//! journal kept in it could be shipped by a cloned repository for recovery to act on, and a
//! symlink planted where the lock goes would be followed.

use std::path::{Path, PathBuf};

use crate::private_dir;

/// `$TASKMARK_STATE_DIR`, else `$XDG_STATE_HOME/taskmark`, else `$HOME/.local/state/taskmark`.
pub fn home() -> Result<PathBuf, String> {
    let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|it| it.is_absolute());
    if let Some(dir) = absolute("TASKMARK_STATE_DIR") {
        return Ok(dir);
    }
    if let Some(dir) = absolute("XDG_STATE_HOME") {
        return Ok(dir.join("taskmark"));
    }
    if let Some(home) = absolute("HOME") {
        return Ok(home.join(".local/state/taskmark"));
    }
    Err("no folder for taskmark's lock and journal: set TASKMARK_STATE_DIR, XDG_STATE_HOME or HOME to an absolute path"
        .into())
}

/// The private folder of the workspace at `canonical_root` under `home`, created (mode 0700)
/// or checked (a real folder, this user's, closed to others), in a `home` no one else can write.
pub fn for_workspace(home: &Path, canonical_root: &Path) -> Result<PathBuf, String> {
    private_dir::ensure_unwritable(home)?;
    let dir = path_for(home, canonical_root);
    private_dir::ensure(&dir)?;
    record_root(&dir, canonical_root);
    Ok(dir)
}

/// The file in a workspace's state folder that names the workspace's root: the folder's name is
/// a hash, and [`remove_stale`] needs to know whether its workspace still exists.
const ROOT_RECORD: &str = "root";

/// Writes the root's path into its state folder, once (a root that is not UTF-8 is not
/// recorded: its folder is never taken for stale).
fn record_root(dir: &Path, canonical_root: &Path) {
    let Some(text) = canonical_root.to_str() else { return };
    let path = dir.join(ROOT_RECORD);
    if private_dir::read_file(&path, 64 << 10).ok().flatten().as_deref() == Some(text.as_bytes()) {
        return;
    }
    if let Err(error) = private_dir::replace_file(&path, text.as_bytes()) {
        tracing::debug!("cannot record the root in {}: {error}", path.display());
    }
}

/// How many folders one clean-up looks at, at most.
const STALE_SCAN_LIMIT: usize = 10_000;

/// Removes the state folders of workspaces that no longer exist (one per workspace root ever
/// used, which otherwise pile up: a worktree removed, a temporary clone gone), and returns
/// them. Only a folder that is this user's and private, that records its root, whose name is
/// the one that root gets, whose root is gone, and that holds no journal (an unfinished
/// transaction, kept for `recover`) is removed. Folders from before roots were recorded stay.
pub fn remove_stale(home: &Path) -> Vec<PathBuf> {
    if private_dir::ensure_unwritable(home).is_err() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(home) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten().take(STALE_SCAN_LIMIT) {
        let dir = entry.path();
        let Ok(metadata) = std::fs::symlink_metadata(&dir) else { continue };
        if !metadata.is_dir() || private_dir::check_private_dir(&dir, &metadata).is_err() {
            continue;
        }
        let Ok(Some(bytes)) = private_dir::read_file(&dir.join(ROOT_RECORD), 64 << 10) else { continue };
        let Ok(root) = String::from_utf8(bytes).map(PathBuf::from) else { continue };
        let gone =
            matches!(std::fs::symlink_metadata(&root), Err(error) if error.kind() == std::io::ErrorKind::NotFound);
        if !root.is_absolute() || !gone || path_for(home, &root) != dir {
            continue;
        }
        if std::fs::symlink_metadata(dir.join("journal")).is_ok() {
            continue;
        }
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed.push(dir);
        }
    }
    removed
}

/// Where [`for_workspace`] puts the folder, without creating anything.
pub fn path_for(home: &Path, canonical_root: &Path) -> PathBuf {
    home.join(key(canonical_root))
}

/// The name under which the same workspace folder in every worktree of one git repository
/// keeps what they share (the agents' claims): keyed by the repository's common git folder and
/// the folder's path inside the repository, so a task claimed in one worktree is claimed in
/// all; outside git, by the canonical root, as [`for_workspace`] keys it.
pub fn key_across_worktrees(root: &Path) -> Result<String, String> {
    if let Some((common, inside)) = crate::git::folder_across_worktrees(root) {
        // Named after the folder inside the repository, else the repository's: `.git`'s parent.
        let repository = if common.file_name().is_some_and(|it| it == ".git") { common.parent() } else { None };
        let label = inside.file_name().map(Path::new).or(repository).unwrap_or(&common);
        let mut identity = b"git\0".to_vec();
        identity.extend_from_slice(common.as_os_str().as_encoded_bytes());
        identity.push(0);
        identity.extend_from_slice(inside.as_os_str().as_encoded_bytes());
        return Ok(private_dir::name_for(label, &identity));
    }
    let canonical =
        std::fs::canonicalize(root).map_err(|error| format!("cannot resolve {}: {error}", root.display()))?;
    Ok(key(&canonical))
}

/// `<folder name>-<hash of the whole path>`: unique per root, and recognisable by a person
/// looking in the folder.
fn key(canonical_root: &Path) -> String {
    private_dir::name_for(canonical_root, canonical_root.as_os_str().as_encoded_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_root_has_its_own_recognisable_folder() {
        let a = key(Path::new("/home/me/project"));
        let b = key(Path::new("/home/you/project"));
        assert!(a.starts_with("project-") && b.starts_with("project-"), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(a, key(Path::new("/home/me/project")));
        assert!(key(Path::new("/")).starts_with("root-"));
        assert!(key(Path::new("/x/../.. evil/")).chars().all(|it| it.is_ascii_alphanumeric() || "-_.".contains(it)));
    }

    /// A folder whose workspace is gone is removed; one whose workspace exists, one keeping a
    /// journal, one from before roots were recorded, and one whose record names another root's
    /// folder all stay.
    #[test]
    fn state_folders_of_workspaces_that_are_gone_are_removed() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().expect("a temporary folder");
        let home = home.path();
        std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).unwrap();
        let places = tempfile::tempdir().expect("a temporary folder");
        let root = |name: &str| {
            let it = places.path().join(name);
            std::fs::create_dir_all(&it).unwrap();
            std::fs::canonicalize(it).unwrap()
        };
        let (kept, gone, journaled, legacy) = (root("kept"), root("gone"), root("journaled"), root("legacy"));
        let folders: Vec<PathBuf> =
            [&kept, &gone, &journaled, &legacy].iter().map(|it| for_workspace(home, it).unwrap()).collect();
        assert_eq!(std::fs::read_to_string(folders[0].join(ROOT_RECORD)).unwrap(), kept.to_str().unwrap());
        std::fs::write(folders[2].join("journal"), "{}").unwrap();
        std::fs::remove_file(folders[3].join(ROOT_RECORD)).unwrap();
        // A record that does not match its folder's name is not trusted.
        let stray = home.join("stray-0000000000000000");
        private_dir::ensure(&stray).unwrap();
        private_dir::replace_file(&stray.join(ROOT_RECORD), gone.to_str().unwrap().as_bytes()).unwrap();
        for it in [&gone, &journaled, &legacy] {
            std::fs::remove_dir(it).unwrap();
        }
        assert_eq!(remove_stale(home), [folders[1].clone()]);
        assert!(!folders[1].exists());
        for it in [&folders[0], &folders[2], &folders[3], &stray] {
            assert!(it.is_dir(), "{} stays", it.display());
        }
    }

    #[test]
    fn outside_git_the_shared_key_is_the_roots_own() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().join("project");
        std::fs::create_dir(&root).unwrap();
        // Not in a repository (unless the temporary folder is: then it is the repository's).
        if crate::git::folder_across_worktrees(&root).is_none() {
            let canonical = std::fs::canonicalize(&root).unwrap();
            assert_eq!(key_across_worktrees(&root), Ok(key(&canonical)));
        }
        assert!(key_across_worktrees(&dir.path().join("absent")).is_err());
    }
}
