//! The language server as a front door of the write path ([`crate::write_path`]): a session's
//! world to plan on, its editor (`workspace/applyEdit`) for the open documents, the broadcast to
//! the other editors, and JSON-RPC errors for what the path refuses.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{self as lsp, MessageType, Uri};

use crate::analysis::{Hold, Job};
use crate::broadcast;
use crate::commands;
use crate::convert;
use crate::engine::text;
use crate::errors::{DeskError, content_modified};
use crate::session::Session;
use crate::transaction::Recovery;
use crate::world::World;
use crate::write_path::{Desk, RecentChanges, Written};

/// The editor's part of a change: the workspace edit (what each document must hold once it is
/// applied goes to the write path with it, [`crate::write_path::Write::documents`]).
pub struct EditorPart {
    pub label: String,
    pub edit: lsp::WorkspaceEdit,
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
    pub fn answer(&self, written: &Written) -> crate::ext::ChangeResult {
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
        crate::ext::ChangeResult {
            applied: true,
            unchanged: None,
            label: written.label.clone(),
            files,
            written: written.written.clone(),
            warnings: written.warnings.clone(),
            fixed: None,
            held_back: None,
            diff: None,
            changed: None,
        }
    }
}

impl commands::PlannedEdit {
    /// The change as the write path takes it.
    pub fn into_write(self) -> crate::write_path::Write<EditorPart> {
        let editor = self.has_editor_part().then(|| EditorPart { label: self.label.clone(), edit: self.edit });
        crate::write_path::Write {
            label: self.label,
            editor,
            documents: self.documents,
            disk: self.disk,
            moves: self.moves,
            warnings: self.warnings,
        }
    }
}

impl SessionDesk<'_> {
    /// Sends `edit` to this client (`workspace/applyEdit`); an error when it says it did not
    /// apply it.
    async fn send_edit(&self, label: &str, edit: lsp::WorkspaceEdit) -> Result<(), jsonrpc::Error> {
        let params = lsp::ApplyWorkspaceEditParams { label: Some(label.to_string()), edit };
        let response = self.client.send_request::<lsp::request::ApplyWorkspaceEdit>(params).await?;
        if !response.applied {
            let reason = response.failure_reason.unwrap_or_else(|| "no reason given".into());
            return Err(content_modified(format!("the editor did not apply \"{label}\": {reason}")));
        }
        Ok(())
    }
}

impl Desk for SessionDesk<'_> {
    type World = World;
    type Part = EditorPart;
    type Announcement = Announcement;
    type Error = DeskError;

    fn root(&self) -> PathBuf {
        self.session.root.clone()
    }

    fn name(&self) -> String {
        self.session.registration.name()
    }

    fn turn(&self) -> Arc<tokio::sync::Mutex<RecentChanges>> {
        self.session.host.changes.clone()
    }

    fn open_elsewhere(&self) -> HashSet<String> {
        self.session.registration.open_elsewhere(&self.session.root)
    }

    async fn plan<T>(
        &self,
        what: &str,
        plan: impl FnOnce(&World) -> Result<T, DeskError> + Send,
    ) -> Result<T, DeskError> {
        Ok(self.session.query(what, |world, _| plan(world).map_err(jsonrpc::Error::from)).await?)
    }

    fn read_again(&self, paths: Vec<String>) {
        let sequence = self.session.shared.submit();
        let after_write = crate::host::wrote();
        if self.session.jobs.send(Job::Written { paths, sequence, after_write }).is_err() {
            tracing::warn!("the analysis thread has stopped; written files were not read again");
        }
    }

    fn writing(&self, paths: &[String]) {
        self.session.host.writing(paths);
    }

    fn hold(&self) -> impl Send + 'static {
        Hold::new(&self.session.jobs)
    }

    /// Sends the part to this client; the write path then checks what its documents hold (an
    /// editor can answer `applied: true` and still have skipped a document: Neovim does, for an
    /// edit older than its buffer).
    async fn apply(&self, part: EditorPart) -> Result<(), DeskError> {
        let EditorPart { label, edit } = part;
        Ok(self.send_edit(&label, edit).await?)
    }

    fn held<T>(&self, document: &str, look: impl FnOnce(Option<&str>) -> T) -> T {
        if let Some(open) = self.session.shared.documents().get(document) {
            return look(Some(&open.text));
        }
        // Not open in the editor: a client may write such files directly.
        let root = &self.session.root;
        let on_disk = document
            .parse::<Uri>()
            .ok()
            .and_then(|uri| crate::world::relative_path(root, &uri))
            .and_then(|path| crate::workspace::read_workspace_file(root, &path).ok());
        look(on_disk.as_ref().map(|it| &*it.text))
    }

    /// Sends one edit per document that replaces what differs between the text it holds and
    /// `text` (versioned, for an editor that takes versions: one that changed since is refused).
    async fn set_back(&self, label: &str, documents: Vec<(String, String)>) -> Result<(), DeskError> {
        let client = &self.session.client;
        let mut plain = HashMap::new();
        let mut versioned = Vec::new();
        for (document, text) in documents {
            let Ok(uri) = document.parse::<Uri>() else { continue };
            // The version and the text it is of, together (a rare path: copying the text is fine).
            let open = self.session.shared.documents().get(&document).map(|it| (it.version, it.text.clone()));
            let (version, held) = match open {
                Some((version, held)) => (Some(version), held),
                None => match self.held(&document, |held| held.map(str::to_string)) {
                    Some(held) => (None, held),
                    None => continue,
                },
            };
            let change = text::Change::between(&held, &text);
            let edit =
                text::TextEdit::replace(text::range(change.start, change.old_end), &text[change.start..change.new_end]);
            let edits = convert::text_edits(&held, &text::LineIndex::new(&held), vec![edit], client.encoding);
            if client.document_changes {
                versioned.push(lsp::TextDocumentEdit {
                    text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
                    edits: edits.into_iter().map(lsp::OneOf::Left).collect(),
                });
            } else {
                plain.insert(uri, edits);
            }
        }
        let edit = match client.document_changes {
            true => lsp::WorkspaceEdit {
                document_changes: Some(lsp::DocumentChanges::Edits(versioned)),
                ..Default::default()
            },
            false => lsp::WorkspaceEdit { changes: Some(plain), ..Default::default() },
        };
        Ok(self.send_edit(&format!("undo {label}"), edit).await?)
    }

    async fn recovered(&self, recovery: &Recovery) {
        self.client.show_message(MessageType::WARNING, format!("taskmark: {recovery}")).await;
    }

    fn settled(&self) -> impl std::future::Future<Output = ()> + Send {
        self.session.registration.settled()
    }

    fn announce(&self, announcement: Announcement) {
        let (registration, root) = (&self.session.registration, &self.session.root);
        match announcement {
            Announcement::Status(change) => registration.announce(root, change),
            Announcement::Edits(change) => registration.announce_edits(root, change),
        }
    }
}
