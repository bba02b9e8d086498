//! One transaction at a time per workspace, across processes: an advisory lock on
//! `.taskmark/lock`. The operating system releases it when its holder exits, however it
//! exits, so a lock left by a killed process is never stale: the next command takes it.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::transaction::{STATE_DIR, TransactionError, io_error};

#[derive(Debug)]
pub struct WorkspaceLock {
    root: PathBuf,
    state_dir: PathBuf,
    /// Held open: closing it releases the lock.
    _file: fs::File,
}

impl WorkspaceLock {
    /// Waits up to `timeout` for the lock of the workspace at `root`, creating `.taskmark/`
    /// (with a `.gitignore` that keeps it out of commits) on first use. `purpose` is written
    /// into the lock file so that a command left waiting can say who holds it.
    pub fn acquire(root: &Path, purpose: &str, timeout: Duration) -> Result<WorkspaceLock, TransactionError> {
        let root = fs::canonicalize(root).map_err(|error| io_error(root, error))?;
        let state_dir = root.join(STATE_DIR);
        if !state_dir.is_dir() {
            fs::create_dir_all(&state_dir).map_err(|error| io_error(&state_dir, error))?;
        }
        let ignore = state_dir.join(".gitignore");
        if !ignore.exists() {
            fs::write(&ignore, "# taskmark's lock and journal: never commit them.\n*\n")
                .map_err(|error| io_error(&ignore, error))?;
        }
        let path = state_dir.join("lock");
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|error| io_error(&path, error))?;
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
                            path: format!("{STATE_DIR}/lock"),
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

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }
}
