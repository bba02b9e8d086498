//! taskmark's per-user state (each workspace's lock and journal) in tests: a folder each test
//! chooses with `TASKMARK_STATE_DIR`, so no test writes in the user's own state folder and each
//! can see the journals it left.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The state folder tests give a workspace's commands: `.taskmark` at its root, which the walk,
/// the watcher and the fixtures' snapshots all skip.
pub fn state_home(root: &Path) -> PathBuf {
    root.join(".taskmark")
}

/// Every journal under `home` (one folder per workspace root).
pub fn journals(home: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(home) else { return Vec::new() };
    entries.flatten().map(|it| it.path().join("journal")).filter(|it| it.exists()).collect()
}
