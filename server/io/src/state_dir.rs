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
    Ok(dir)
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
        return Ok(key_of(label, &identity));
    }
    let canonical =
        std::fs::canonicalize(root).map_err(|error| format!("cannot resolve {}: {error}", root.display()))?;
    Ok(key(&canonical))
}

/// `<folder name>-<hash of the whole path>`: unique per root, and recognisable by a person
/// looking in the folder.
fn key(canonical_root: &Path) -> String {
    key_of(canonical_root, canonical_root.as_os_str().as_encoded_bytes())
}

/// `<label's folder name>-<hash of identity>`.
fn key_of(label: &Path, identity: &[u8]) -> String {
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
