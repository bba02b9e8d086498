//! What a root's shared machinery (its disk watcher, its follower of the other worktrees, its
//! host) tells the sessions on the root, and what it asks of the host in return. The watcher
//! and the follower run on threads of their own and outlive no host: they hold it weakly, through
//! [`FolderHost`], and reach each session's analysis through a [`Listener`], so neither knows of
//! the host's or the analysis's types (they sit below both).

use std::sync::Arc;

use crate::engine::index::WorkspaceIndex;
use crate::engine::lifecycle::across::OtherWorktree;
use crate::workspace::PathFilter;

/// News of the root for the sessions on it.
pub enum FolderEvent {
    /// A file changed on disk (or vanished); its path relative to the root, and the number of
    /// the watcher's report (every session is told the same report: see [`crate::host::Host::heard`]).
    Disk { path: String, report: u64 },
    /// The folder at the root was deleted and made again: read it again.
    Replaced,
    /// The repository's other worktrees, as saved there now.
    Elsewhere(Arc<Vec<OtherWorktree>>),
}

/// A session's inbox as the root's machinery sees it.
#[derive(Clone)]
pub struct Listener(Arc<dyn Fn(FolderEvent) -> bool + Send + Sync>);

impl Listener {
    /// `tell` delivers an event and answers whether the session still listens.
    pub fn new(tell: impl Fn(FolderEvent) -> bool + Send + Sync + 'static) -> Listener {
        Listener(Arc::new(tell))
    }

    /// Tells the session; `false` once it has ended (drop it then).
    pub fn tell(&self, event: FolderEvent) -> bool {
        (self.0)(event)
    }
}

/// What the watcher and the follower ask of the root's host.
pub trait FolderHost: Send + Sync {
    /// Which paths the workspace's configuration leaves out, once read.
    fn filter(&self) -> Option<Arc<PathFilter>>;
    /// The folder at the root was replaced: every session reads it again.
    fn tell_replaced(&self);
    /// The index of the files as saved, once read.
    fn saved_index(&self) -> Option<WorkspaceIndex>;
}
