//! Watching the disk ourselves, for clients that cannot watch files for us
//! (`workspace/didChangeWatchedFiles` without dynamic registration).
//!
//! One watcher per workspace root serves every session on it that needs one (in the daemon,
//! twenty Neovims share one set of inotify watches); it stops once the root's host is gone.
//!
//! Each folder the walk saw is watched on its own (a recursive watch of the root would also
//! watch `node_modules/` and `target/`, and run into inotify's limits); a folder that appears
//! later is added when it does, and the files already in it are reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

use crate::lsp::analysis::Job;
use crate::lsp::host::Host;

/// Folders never worth watching: version control, our own state, dependency and build trees.
const SKIPPED: [&str; 5] = [".git", ".taskmark", "node_modules", "target", ".venv"];

/// The sessions told of each change: analysis threads' inboxes.
pub type Subscribers = Arc<Mutex<Vec<Sender<Job>>>>;

/// How often an idle watcher checks whether anyone still needs it.
const LIVENESS_CHECK: Duration = Duration::from_secs(2);

/// Starts a watcher thread for `folders` (workspace-relative, `""` for the root), telling every
/// subscriber. It lives as long as `host` does.
pub fn spawn(root: PathBuf, folders: Vec<String>, jobs: Subscribers, host: Weak<Host>) -> anyhow::Result<()> {
    let (events, received) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = events.send(event);
    })?;
    let mut watched: HashSet<PathBuf> = HashSet::new();
    for folder in folders {
        let path = root.join(&folder);
        if watched.insert(path.clone())
            && let Err(error) = watcher.watch(&path, RecursiveMode::NonRecursive)
        {
            tracing::warn!("cannot watch {}: {error}", path.display());
        }
    }
    tracing::info!("watching {} folders for changes made outside the editor", watched.len());
    std::thread::Builder::new().name("taskmark-watcher".into()).spawn(move || {
        loop {
            let event = match received.recv_timeout(LIVENESS_CHECK) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) if host.strong_count() > 0 => continue,
                Err(_) => {
                    tracing::info!("no session watches {} any more: watcher stopped", root.display());
                    return;
                }
            };
            let event = match event {
                Ok(event) => event,
                Err(error) => {
                    tracing::warn!("file watcher: {error}");
                    continue;
                }
            };
            if matches!(event.kind, EventKind::Access(_)) {
                continue;
            }
            for path in event.paths {
                if path.is_dir() {
                    if skipped(&root, &path) || !watched.insert(path.clone()) {
                        continue;
                    }
                    if let Err(error) = watcher.watch(&path, RecursiveMode::NonRecursive) {
                        tracing::warn!("cannot watch {}: {error}", path.display());
                    }
                    // Files may have landed before the watch did (a checkout, an unpacked folder).
                    for file in files_under(&path) {
                        if send(&root, &file, &jobs).is_err() {
                            return;
                        }
                    }
                    continue;
                }
                if send(&root, &path, &jobs).is_err() {
                    return;
                }
            }
        }
    })?;
    Ok(())
}

/// Tells every live subscriber; `Err` once none is left.
fn send(root: &Path, path: &Path, jobs: &Subscribers) -> Result<(), ()> {
    let Some(relative) = path.strip_prefix(root).ok().and_then(Path::to_str) else { return Ok(()) };
    let relative = relative.replace('\\', "/");
    if relative.is_empty() {
        return Ok(());
    }
    let mut jobs = jobs.lock().unwrap_or_else(PoisonError::into_inner);
    jobs.retain(|it| it.send(Job::Disk { path: relative.clone() }).is_ok());
    if jobs.is_empty() { Err(()) } else { Ok(()) }
}

fn skipped(root: &Path, path: &Path) -> bool {
    path.strip_prefix(root)
        .map_or(true, |relative| relative.components().any(|it| SKIPPED.iter().any(|skip| it.as_os_str() == *skip)))
}

fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(path),
                Ok(_) => out.push(path),
                Err(_) => {}
            }
        }
    }
    out
}

/// The folders holding the files the walk saw, the root included.
pub fn folders_of<'a>(paths: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut folders: HashSet<String> = HashSet::from([String::new()]);
    for path in paths {
        let mut current = path.as_str();
        while let Some((parent, _)) = current.rsplit_once('/') {
            if !folders.insert(parent.to_string()) {
                break;
            }
            current = parent;
        }
    }
    let mut out: Vec<String> = folders.into_iter().collect();
    out.sort();
    out
}
