//! One transaction at a time per workspace, across processes: an advisory lock on `lock` in the
//! workspace's private state folder (see [`super::state_dir`]). The operating system releases it
//! when its holder exits, however it exits, so a lock left by a killed process is never stale:
//! the next command takes it.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::private_dir;
use crate::{TransactionError, io_error, state_dir};

#[derive(Debug)]
pub struct WorkspaceLock {
    root: PathBuf,
    state_dir: PathBuf,
    /// Held open: closing it releases the lock.
    _file: fs::File,
}

impl WorkspaceLock {
    /// Waits up to `timeout` for the lock of the workspace at `root`, in this user's state
    /// folder ([`state_dir::home`]). `purpose` is written into the lock file so that a command
    /// left waiting can say who holds it.
    pub fn acquire(root: &Path, purpose: &str, timeout: Duration) -> Result<WorkspaceLock, TransactionError> {
        let home = state_dir::home()
            .map_err(|reason| TransactionError::Refused { path: root.display().to_string(), reason })?;
        WorkspaceLock::acquire_in(&home, root, purpose, timeout)
    }

    /// Whether a transaction holds the lock of the workspace whose state folder is `state_dir`
    /// now (it is then under way, not interrupted), found without taking it for more than an
    /// instant or creating anything.
    pub fn is_held(state_dir: &Path) -> bool {
        let Ok(file) = private_dir::open_file(&state_dir.join("lock"), false) else { return false };
        matches!(file.try_lock_shared(), Err(fs::TryLockError::WouldBlock))
    }

    /// [`WorkspaceLock::acquire`] with the state folder given (tests use their own).
    pub fn acquire_in(
        home: &Path,
        root: &Path,
        purpose: &str,
        timeout: Duration,
    ) -> Result<WorkspaceLock, TransactionError> {
        let root = fs::canonicalize(root).map_err(|error| io_error(root, error))?;
        let state_dir = state_dir::for_workspace(home, &root)
            .map_err(|reason| TransactionError::Refused { path: home.display().to_string(), reason })?;
        let path = state_dir.join("lock");
        let mut file = private_dir::open_file(&path, true).map_err(|error| io_error(&path, error))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    if started.elapsed() >= timeout {
                        let mut holder = String::new();
                        let _ = file.read_to_string(&mut holder);
                        let holder = holder.trim();
                        return Err(TransactionError::Conflict {
                            path: path.display().to_string(),
                            reason: format!(
                                "another taskmark command holds the workspace lock{} after waiting {:.1} s",
                                if holder.is_empty() { String::new() } else { format!(" ({holder})") },
                                timeout.as_secs_f64()
                            ),
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(fs::TryLockError::Error(error)) => return Err(io_error(&path, error)),
            }
        }
        // Who holds it, for the message of a command that has to wait; not needed for safety.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "pid {}: {purpose}", std::process::id()));
        Ok(WorkspaceLock { root, state_dir, _file: file })
    }

    /// The workspace root, canonical.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The workspace's private folder, where its journal lives.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }
}
