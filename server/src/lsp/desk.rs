//! The language server as a front door of the write path ([`crate::write_path`]): a session's
//! world to plan on, its editor (`workspace/applyEdit`) for the open documents, the broadcast to
//! the other editors, and JSON-RPC errors for what the path refuses.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{self as lsp, MessageType, Uri};

use crate::lsp::analysis::{Hold, Job};
use crate::lsp::broadcast;
use crate::lsp::commands;
use crate::lsp::handlers::{content_modified, internal_error, write_refused};
use crate::lsp::server::Session;
use crate::lsp::world::World;
use crate::transaction::Recovery;
use crate::write_path::{ChangeError, Desk, RecentChanges, WriteError, Written};

/// The editor's part of a change: the workspace edit, and the text each document must have
/// once it is applied.
pub struct EditorPart {
    pub label: String,
    pub edit: lsp::WorkspaceEdit,
    pub expected: Vec<(Uri, String)>,
}

/// What the other editors on the workspace are told.
pub enum Announcement {
    /// A status change: each editor plans it again against its own buffers.
    Status(broadcast::StatusChange),
    /// The edits a fix or a lifecycle change made.
    Edits(broadcast::Announcement),
}

/// One session of this server, writing.
pub struct SessionDesk<'a> {
    pub client: &'a Client,
    pub session: &'a Session,
}

impl SessionDesk<'_> {
    /// A written change as the commands answer it: `files` the documents it reached (URIs),
    /// `written` the paths written on disk.
    pub fn answer(&self, written: &Written) -> Value {
        let mut files = written.reached.clone();
        // From the session's root, not its world: the world is the analysis thread's while it
        // reads the written files back, and the answer must not wait for that.
        files.extend(
            written
                .written
                .iter()
                .filter_map(|path| Uri::from_file_path(self.session.root.join(path)))
                .map(|uri| uri.as_str().to_string()),
        );
        json!({
            "applied": true,
            "label": written.label,
            "files": files,
            "written": written.written,
            "warnings": written.warnings,
        })
    }
}

impl commands::PlannedEdit {
    /// The change as the write path takes it.
    pub fn into_write(self) -> crate::write_path::Write<EditorPart> {
        let reached = self.expected.iter().map(|(uri, _)| uri.as_str().to_string()).collect();
        let editor = self.has_editor_part().then(|| EditorPart {
            label: self.label.clone(),
            edit: self.edit,
            expected: self.expected,
        });
        crate::write_path::Write {
            label: self.label,
            editor,
            reached,
            disk: self.disk,
            moves: self.moves,
            warnings: self.warnings,
        }
    }
}

impl Desk for SessionDesk<'_> {
    type World = World;
    type Part = EditorPart;
    type Announcement = Announcement;
    type Error = jsonrpc::Error;

    fn root(&self) -> PathBuf {
        self.session.root.clone()
    }

    fn name(&self) -> String {
        broadcast::name_of(self.session.registration.id())
    }

    fn turn(&self) -> Arc<tokio::sync::Mutex<RecentChanges>> {
        self.session.host.changes.clone()
    }

    fn open_elsewhere(&self) -> HashSet<String> {
        broadcast::open_elsewhere(self.session.registration.id(), &self.session.root)
    }

    async fn plan<T>(
        &self,
        what: &str,
        plan: impl FnOnce(&World) -> Result<T, jsonrpc::Error> + Send,
    ) -> Result<T, jsonrpc::Error> {
        self.session.query(what, |world, _| plan(world)).await
    }

    fn read_again(&self, paths: Vec<String>) {
        let sequence = self.session.shared.submit();
        if self.session.jobs.send(Job::Written { paths, sequence }).is_err() {
            tracing::warn!("the analysis thread has stopped; written files were not read again");
        }
    }

    fn hold(&self) -> impl Send + 'static {
        Hold::new(&self.session.jobs)
    }

    /// Sends the part to this client and checks that every file it changed really changed: an
    /// editor can answer `applied: true` and still have skipped a document (Neovim does, for an
    /// edit older than its buffer).
    async fn apply(&self, part: EditorPart) -> Result<(), jsonrpc::Error> {
        let EditorPart { label, edit, expected } = part;
        let params = lsp::ApplyWorkspaceEditParams { label: Some(label.clone()), edit };
        let response = self.client.send_request::<lsp::request::ApplyWorkspaceEdit>(params).await?;
        if !response.applied {
            let reason = response.failure_reason.unwrap_or_else(|| "no reason given".into());
            return Err(content_modified(format!("the editor did not apply \"{label}\": {reason}")));
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let missing: Vec<&Uri> = expected
                .iter()
                .filter(|(uri, text)| {
                    let documents = self.session.shared.documents();
                    match documents.get(uri.as_str()) {
                        Some(document) => document.text != *text,
                        // Not opened by the edit: a client may write such files directly.
                        None => uri
                            .to_file_path()
                            .and_then(|path| std::fs::read_to_string(path).ok())
                            .is_none_or(|disk| disk != *text),
                    }
                })
                .map(|(uri, _)| uri)
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let files: Vec<&str> = missing.iter().map(|it| it.as_str()).collect();
                return Err(content_modified(format!(
                    "the editor reported \"{label}\" applied, but {} did not change (a stale edit may have been skipped); run it again",
                    files.join(", ")
                )));
            }
            // The editor sends its didChange right after answering: it is usually a millisecond away.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    async fn recovered(&self, recovery: &Recovery) {
        self.client.show_message(MessageType::WARNING, format!("taskmark: {recovery}")).await;
    }

    fn announce(&self, announcement: Announcement) -> Vec<tokio::task::JoinHandle<()>> {
        let (origin, root) = (self.session.registration.id(), &self.session.root);
        match announcement {
            Announcement::Status(change) => broadcast::announce(origin, root, change),
            Announcement::Edits(change) => broadcast::announce_edits(origin, root, change),
        }
    }
}

impl ChangeError for jsonrpc::Error {
    fn from_write(error: WriteError) -> jsonrpc::Error {
        match error {
            WriteError::Transaction(error) => write_refused(error),
            WriteError::TimedOut(_) => content_modified(error.to_string()),
            WriteError::Internal(_) => internal_error(error.to_string()),
        }
    }

    fn message(&self) -> String {
        self.message.to_string()
    }

    fn add_note(&mut self, note: &str) {
        self.message = format!("{} ({note})", self.message).into();
    }

    fn changed_on_disk(&self) -> Option<Vec<String>> {
        commands::changed_on_disk(self)
    }
}
