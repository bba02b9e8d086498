//! taskmark's per-user state (each workspace's lock and journal) in tests: a folder each test
//! chooses with `TASKMARK_STATE_DIR`, so no test writes in the user's own state folder and each
//! can see the journals it left.

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

/// The journals still under `home` once `timeout` has passed or none is left. A server answers
/// a change once its files are renamed and removes that change's journal just after, so a test
/// that looks right after an answer must give it a moment.
pub fn journals_left_after(home: &Path, timeout: std::time::Duration) -> Vec<PathBuf> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = journals(home);
        if left.is_empty() || std::time::Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
