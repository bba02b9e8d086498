//! What the sessions of one process share: the saved state of each workspace root they serve
//! ([`Hosts`]) and the list of editors that hear of each other's changes ([`Peers`]). The
//! daemon owns one hub for every connection it serves; `taskmark lsp --standalone` and a test
//! make their own. An object owned by whoever serves, instead of process-wide statics, so that
//! two servers in one process (the tests, a daemon's fallback) never see each other's sessions.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::broadcast::Peers;
use crate::host::Hosts;

/// How this process serves: `taskmark/serverInfo` says it, so editors' health checks and the
/// tests can tell a daemon from an in-process server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingMode {
    Standalone,
    Daemon,
}

/// Who serves the web board of a workspace (the daemon's `taskmark-board`, which runs its own
/// session on this hub, so it sits above this crate): `taskmark.openBoard` asks it for the
/// board's address.
pub trait BoardServer: Send + Sync {
    /// The address of `root`'s board (with the token a browser shows), its server started if it
    /// was not; `Err` says why there is none. Runs on the hub's Tokio runtime.
    fn open(&self, root: &Path) -> Result<String, String>;
}

/// Every session one server shares with the others it serves.
pub struct Hub {
    mode: ServingMode,
    pub(crate) hosts: Hosts,
    pub(crate) peers: Arc<Peers>,
    boards: OnceLock<Arc<dyn BoardServer>>,
}

impl Hub {
    pub fn new(mode: ServingMode) -> Arc<Hub> {
        Arc::new(Hub { mode, hosts: Hosts::default(), peers: Arc::default(), boards: OnceLock::new() })
    }

    pub fn mode(&self) -> ServingMode {
        self.mode
    }

    /// Serves boards with `server` from now on (once: a second one is ignored).
    pub fn serve_boards(&self, server: Arc<dyn BoardServer>) {
        let _ = self.boards.set(server);
    }

    pub fn boards(&self) -> Option<&Arc<dyn BoardServer>> {
        self.boards.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_share_a_root_s_state_within_a_hub_and_never_across_hubs() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (daemon, other) = (Hub::new(ServingMode::Daemon), Hub::new(ServingMode::Standalone));
        let host = daemon.hosts.for_root(dir.path());
        assert!(Arc::ptr_eq(&host, &daemon.hosts.for_root(dir.path())), "one hub, one host per root");
        assert!(!Arc::ptr_eq(&host, &other.hosts.for_root(dir.path())), "another hub has its own");
        assert_eq!((daemon.mode(), other.mode()), (ServingMode::Daemon, ServingMode::Standalone));
    }
}
