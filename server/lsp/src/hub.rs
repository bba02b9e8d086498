//! What the sessions of one process share: the saved state of each workspace root they serve
//! ([`Hosts`]) and the list of editors that hear of each other's changes ([`Peers`]). The
//! daemon owns one hub for every connection it serves; `taskmark lsp --standalone` and a test
//! make their own. An object owned by whoever serves, instead of process-wide statics, so that
//! two servers in one process (the tests, a daemon's fallback) never see each other's sessions.

use std::sync::Arc;

use crate::broadcast::Peers;
use crate::host::Hosts;

/// How this process serves: `taskmark/serverInfo` says it, so editors' health checks and the
/// tests can tell a daemon from an in-process server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingMode {
    Standalone,
    Daemon,
}

/// Every session one server shares with the others it serves.
pub struct Hub {
    mode: ServingMode,
    pub(crate) hosts: Hosts,
    pub(crate) peers: Arc<Peers>,
}

impl Hub {
    pub fn new(mode: ServingMode) -> Arc<Hub> {
        Arc::new(Hub { mode, hosts: Hosts::default(), peers: Arc::default() })
    }

    pub fn mode(&self) -> ServingMode {
        self.mode
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
