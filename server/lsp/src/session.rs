//! One session of the language server: a workspace folder of an editor's window, with its
//! world, the host it shares with the other sessions on the folder, and its analysis thread's
//! inbox. Requests, commands and the write path's desk all run on a session.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Instant;

use tower_lsp_server::jsonrpc::{self, Result};

use crate::analysis::{Job, Outgoing, panic_message};
use crate::broadcast;
use crate::convert::ClientProfile;
use crate::host::Host;
use crate::world::{Shared, World};

/// Everything `initialize` decided.
pub struct Session {
    /// The workspace folder this session serves.
    pub root: PathBuf,
    pub shared: Arc<Shared>,
    /// The workspace as saved, shared with the other sessions on the same root, and the gate
    /// every status change on it passes.
    pub host: Arc<Host>,
    /// In the list of editors that hear of each other's status changes.
    pub registration: broadcast::Registration,
    pub client: ClientProfile,
    pub jobs: Sender<Job>,
    pub outgoing: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    /// Started by `initialized`: the analysis thread's inbox and the outgoing queue.
    pub pending: std::sync::Mutex<Option<(std::sync::mpsc::Receiver<Job>, Receivers)>>,
}

pub type Receivers = tokio::sync::mpsc::UnboundedReceiver<Outgoing>;

impl Session {
    /// Runs `f` on a session's world once it holds every change made before this request. A
    /// panic becomes an internal error answer; the server keeps serving.
    pub async fn query<T>(&self, what: &str, f: impl FnOnce(&World, &ClientProfile) -> Result<T>) -> Result<T> {
        self.shared.caught_up().await;
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let world = self.shared.read();
            f(&world, &self.client)
        }));
        tracing::debug!(request = what, elapsed_us = started.elapsed().as_micros() as u64, "answered");
        outcome.unwrap_or_else(|panic| {
            let message = panic_message(&panic);
            tracing::error!("{what} failed: {message}");
            Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::InternalError,
                message: format!("taskmark: internal error in {what}: {message}").into(),
                data: None,
            })
        })
    }
}

impl Drop for Session {
    /// A connection that ends without `shutdown` (a killed editor, a broken pipe) must not
    /// leave its analysis thread running: in the daemon it would outlive the connection.
    fn drop(&mut self) {
        let _ = self.jobs.send(Job::Stop);
    }
}
