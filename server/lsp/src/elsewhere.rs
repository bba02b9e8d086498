//! The repository's other worktrees, as the language server sees them: each one's tracker
//! files as saved there, read once and then followed by a watcher of its own, so that hovers,
//! `taskmark.taskInfo` and the `claimed-elsewhere` / `behind-elsewhere` diagnostics can say what
//! the other sessions (agents in their own worktrees, mostly) are doing with the same tasks.
//!
//! It only reads. Each worktree stays the owner of its files: nothing is ever written there.
//! One view per workspace root (the host's), shared by every session on it; it ends when the
//! host does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::engine::config::Config;
use crate::engine::lifecycle::across::OtherWorktree;
use crate::folder_events::{FolderEvent, FolderHost, Listener};
use crate::workspace;

/// Changes that arrive this close together are read as one.
const SETTLE: Duration = Duration::from_millis(20);
/// How often an idle follower checks whether anyone still needs it.
const LIVENESS_CHECK: Duration = Duration::from_secs(2);

/// Who hears of the other worktrees, and what they were last told.
#[derive(Default)]
pub struct Following {
    /// The sessions' analysis threads.
    subscribers: Vec<Listener>,
    /// The newest view, for a session that connects later.
    latest: Option<Arc<Vec<OtherWorktree>>>,
    /// The follower runs (or found nothing to follow).
    started: bool,
}

pub type Subscribers = Arc<Mutex<Following>>;

/// Subscribes a session's analysis thread to the other worktrees of `root`, starting the
/// follower with the first one. A later session gets the newest view as the answer, for the
/// world it is loading: its first answers (`taskmark next` through the daemon asks once and
/// goes) already know the other worktrees.
pub fn subscribe(
    root: &Path,
    config: &Config,
    subscribers: &Subscribers,
    jobs: Listener,
    host: Weak<dyn FolderHost>,
) -> Option<Arc<Vec<OtherWorktree>>> {
    let mut following = subscribers.lock().unwrap_or_else(PoisonError::into_inner);
    following.subscribers.push(jobs);
    if !std::mem::replace(&mut following.started, true) {
        spawn(root.to_path_buf(), config.clone(), subscribers.clone(), host);
    }
    following.latest.clone()
}

/// Another worktree as followed: where the workspace folder is in it, and its index as saved.
type Followed = crate::worktrees::WorktreeRead;

/// Finds the other worktrees of the repository holding `root`, reads the same workspace folder
/// in each, and from then on tells `subscribers` each time one of them changes (the first time
/// too). Nothing happens outside a git repository or with no other worktree. Runs on a thread
/// of its own until `host` is gone.
fn spawn(root: PathBuf, config: Config, subscribers: Subscribers, host: Weak<dyn FolderHost>) {
    let spawned = std::thread::Builder::new().name("taskmark-worktrees".into()).spawn(move || {
        let here = host.upgrade().and_then(|it| it.saved_index());
        let mut followed = match crate::worktrees::read_all(&root, &config, here.as_ref()) {
            Ok(followed) => followed,
            Err(reason) => {
                tracing::debug!("no view of other worktrees for {}: {reason}", root.display());
                return;
            }
        };
        if followed.is_empty() {
            return;
        }
        let (events, received) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = match notify::recommended_watcher(move |event| {
            let _ = events.send(event);
        }) {
            Ok(watcher) => watcher,
            Err(error) => {
                tracing::warn!("cannot watch the other worktrees: {error}");
                return;
            }
        };
        for other in &followed {
            let paths: Vec<&String> = other.view.index.entries().map(|(_, it)| &it.path).collect();
            for folder in crate::watch::folders_of(paths.into_iter()) {
                let path = other.root.join(&folder);
                if let Err(error) = watcher.watch(&path, RecursiveMode::NonRecursive) {
                    tracing::debug!("cannot watch {}: {error}", path.display());
                }
            }
        }
        tracing::info!(
            "following {} other worktrees: {}",
            followed.len(),
            followed.iter().map(|it| it.view.name.as_str()).collect::<Vec<_>>().join(", ")
        );
        tell(&subscribers, &followed);
        loop {
            let first = match received.recv_timeout(LIVENESS_CHECK) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) if host.strong_count() > 0 => continue,
                Err(_) => return,
            };
            let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
            let mut note = |event: notify::Result<notify::Event>| {
                if let Ok(event) = event {
                    changed.extend(event.paths);
                }
            };
            note(first);
            while let Ok(event) = received.recv_timeout(SETTLE) {
                note(event);
            }
            if host.strong_count() == 0 {
                return;
            }
            if read_again(&mut followed, &changed) {
                tell(&subscribers, &followed);
            }
        }
    });
    if let Err(error) = spawned {
        tracing::warn!("cannot start following the other worktrees: {error}");
    }
}

/// Reads the changed files of each worktree into its index; whether any index changed.
fn read_again(followed: &mut [Followed], changed: &BTreeSet<PathBuf>) -> bool {
    let mut any = false;
    for other in followed.iter_mut() {
        let paths: Vec<String> = changed
            .iter()
            .filter_map(|path| path.strip_prefix(&other.root).ok())
            .map(workspace::slash_path_lossy)
            .filter(|path| other.view.index.file_id(path).is_some() || indexable(path))
            .collect();
        if paths.is_empty() {
            continue;
        }
        let index = Arc::make_mut(&mut other.view.index);
        for path in paths {
            let text = match workspace::read_workspace_file(&other.root, &path) {
                Ok(file) => Some(file.text),
                Err(_) => None,
            };
            index.set_file(&path, text);
            any = true;
        }
    }
    any
}

/// The files a tracker may be made of (a new one in another worktree is read as it appears).
fn indexable(path: &str) -> bool {
    path.ends_with(".md") || path.ends_with(".markdown") || path.ends_with("state.json") || path.ends_with(".yml")
}

fn tell(subscribers: &Subscribers, followed: &[Followed]) {
    let views: Arc<Vec<OtherWorktree>> = Arc::new(followed.iter().map(|it| it.view.clone()).collect());
    let mut following = subscribers.lock().unwrap_or_else(PoisonError::into_inner);
    following.latest = Some(views.clone());
    following.subscribers.retain(|jobs| jobs.tell(FolderEvent::Elsewhere(views.clone())));
}
