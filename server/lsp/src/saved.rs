//! The workspace as saved on disk, as a host holds it ([`crate::host`]): the state one load
//! read and the disk's changes moved, what identifies the folder it was read from, and what the
//! diagnostics computed on it depend on. Plain data: the sessions' worlds, the moves of the saved
//! state and the host all speak of it, so it sits below them.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::engine::config::{Config, ConfigError};
use crate::engine::diagnostic::{RuleCode, Severity};
use crate::engine::index::WorkspaceIndex;
use crate::workspace::PathFilter;

/// A file as the saved state has it (a prose file as its index holds it: without its text).
pub fn saved_file(saved: Option<&Saved>, path: &str) -> DiskFile {
    let Some(saved) = saved else { return DiskFile::Missing };
    match (saved.index.text_at(path), saved.skipped.get(path)) {
        (Some(text), _) => DiskFile::Text(text.clone()),
        (None, Some(reason)) => DiskFile::Unreadable(reason.clone()),
        (None, None) => DiskFile::Missing,
    }
}

/// The workspace as saved on disk, as the newest load read it and disk changes moved it since.
#[derive(Clone)]
pub struct Saved {
    /// `.taskmark.toml` as read (the defaults when it cannot be used).
    pub file_config: Config,
    pub config_error: Option<(ConfigError, String)>,
    pub index: WorkspaceIndex,
    /// Every file the walk saw, read or not, for link checks; shared by the sessions until one
    /// of them sees a file come or go.
    pub known: Arc<HashSet<String>>,
    /// Tracker files that could not be read, with the reason.
    pub skipped: HashMap<String, String>,
    pub filter: Option<Arc<PathFilter>>,
    /// Which state of the root this is: the host counts every change to its saved state, so
    /// that what was computed from one state is used only with that state.
    pub generation: u64,
    /// The folder at the root when it was read (taken before the walk).
    pub identity: Option<FolderIdentity>,
    /// When its reading from disk began: a watcher started later reports what changed since.
    pub read_since: std::time::SystemTime,
}

/// Which folder a path names: its device, inode and birth time. A folder deleted and made again
/// at the same path is another folder (often with the same inode number, which the file system
/// hands out again at once: its birth time tells them apart, where the file system keeps one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderIdentity {
    device: u64,
    inode: u64,
    born: Option<std::time::SystemTime>,
}

impl FolderIdentity {
    /// The folder at `path` now; `None` when there is none (or it cannot be told).
    pub fn of(path: &Path) -> Option<FolderIdentity> {
        let metadata = std::fs::metadata(path).ok().filter(std::fs::Metadata::is_dir)?;
        let born = metadata.created().ok();
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FolderIdentity { device: metadata.dev(), inode: metadata.ino(), born })
        }
        #[cfg(not(unix))]
        {
            born.map(|born| FolderIdentity { device: 0, inode: 0, born: Some(born) })
        }
    }

    /// Whether the folder at `path` is another one than `read` (the one something was read
    /// from). A folder that is gone is not replaced yet: there is nothing to read instead.
    pub fn replaced(read: Option<FolderIdentity>, path: &Path) -> bool {
        read.is_some_and(|read| FolderIdentity::of(path).is_some_and(|now| now != read))
    }
}

/// A file as the disk has it now.
#[derive(Clone, PartialEq, Eq)]
pub enum DiskFile {
    Text(Arc<str>),
    /// There, but not indexable (too large, not UTF-8, unreadable): why.
    Unreadable(String),
    Missing,
}

impl DiskFile {
    /// Its text, when it has one to index (`None`: gone or unreadable).
    pub fn text(&self) -> Option<Arc<str>> {
        match self {
            DiskFile::Text(text) => Some(text.clone()),
            DiskFile::Unreadable(_) | DiskFile::Missing => None,
        }
    }

    /// Notes the file in a workspace's list of files seen (for links) and of files that could
    /// not be indexed, the saved state's or a session's. Returns whether either list changed.
    pub fn record(&self, path: &str, known: &mut Arc<HashSet<String>>, skipped: &mut HashMap<String, String>) -> bool {
        // The set of paths is shared with every session: copied only when this file changes it.
        let there = !matches!(self, DiskFile::Missing);
        let moved = known.contains(path) != there;
        if moved {
            let known = Arc::make_mut(known);
            if there {
                known.insert(path.to_string());
            } else {
                known.remove(path);
            }
        }
        let skipped_changed = match self {
            DiskFile::Text(_) | DiskFile::Missing => skipped.remove(path).is_some(),
            DiskFile::Unreadable(reason) => skipped.insert(path.to_string(), reason.clone()).as_ref() != Some(reason),
        };
        moved || skipped_changed
    }
}

/// The git baseline: `HEAD`'s commit and the index of its tracker files.
pub type HeadBaseline = (String, Arc<WorkspaceIndex>);

/// What a session's diagnostics of a saved state depend on besides the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreKey {
    /// [`Saved::generation`].
    pub generation: u64,
    pub checked_with: CheckedWith,
}

/// What a session's diagnostics depend on besides the files: two sessions that check with the
/// same share their diagnostics of one saved state ([`crate::host::Host::store`]) and of its moves
/// ([`crate::moves`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedWith {
    /// The session's rule settings over the configuration file's.
    pub rules: Vec<(RuleCode, Option<Severity>)>,
    /// The commit of the git baseline the diagnostics were computed with, if any.
    pub baseline: Option<String>,
}

impl CheckedWith {
    pub fn new(rules: &[(RuleCode, Option<Severity>)], baseline: Option<&HeadBaseline>) -> CheckedWith {
        CheckedWith { rules: rules.to_vec(), baseline: baseline.map(|(commit, _)| commit.clone()) }
    }
}
