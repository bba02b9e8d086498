//! The JSON-RPC errors the requests and commands answer with, and the ones the server reads
//! back (a plan refused because files changed on disk is planned again once they are read).

use serde_json::Value;
use tower_lsp_server::jsonrpc;

use crate::engine::edit::Override;
use crate::ext;
use crate::write_path::{ChangeError, WriteError};

/// A refusal's `data`, in the shape `lsp::ext` gives editors and agents.
pub fn refusal_data(refusal: ext::Refusal) -> Option<Value> {
    serde_json::to_value(refusal).ok()
}

/// The argument that makes a refused request go through, as the protocol names it.
pub fn ext_override(how: Option<Override>) -> Option<ext::Override> {
    how.map(|it| match it {
        Override::Force => ext::Override::Force,
        Override::Reason => ext::Override::Reason,
        Override::SkipBranches => ext::Override::NoBranches,
    })
}

/// The error a client gets when a request names something that changed under it.
pub fn content_modified(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error { code: jsonrpc::ErrorCode::ServerError(-32801), message: message.into().into(), data: None }
}

pub fn internal_error(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error { code: jsonrpc::ErrorCode::InternalError, message: message.into().into(), data: None }
}

/// A write the transaction path refused or failed: a conflict is the editor's
/// `ContentModified` (try again), the rest LSP's `RequestFailed` (-32803) naming the file.
pub fn write_refused(error: crate::transaction::TransactionError) -> jsonrpc::Error {
    match &error {
        crate::transaction::TransactionError::Conflict { path, .. } => jsonrpc::Error {
            data: refusal_data(ext::Refusal::Conflict {
                task: None,
                expected: None,
                current: None,
                path: Some(path.to_string()),
            }),
            ..content_modified(format!("taskmark: {error}"))
        },
        _ => write_failed(format!("taskmark: {error}")),
    }
}

/// LSP's `RequestFailed` (-32803): a file could not be written safely; the command line's exit 5.
pub fn write_failed(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error { code: jsonrpc::ErrorCode::ServerError(-32803), message: message.into().into(), data: None }
}

pub fn invalid_params(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error::invalid_params(message.into())
}

/// The refusal of a plan made on files (or a root folder, `replaced`) that changed on disk
/// since the world read them; [`changed_on_disk`] reads it back.
pub fn changed_since_read(paths: Vec<String>, replaced: bool) -> jsonrpc::Error {
    let what = match replaced {
        true => "the workspace folder was deleted and made again".to_string(),
        false => format!("{} changed on disk", paths.join(", ")),
    };
    let message = format!("{what} since taskmark read it; nothing was changed, try again in a moment");
    jsonrpc::Error { data: refusal_data(ext::Refusal::ChangedOnDisk { paths }), ..content_modified(message) }
}

/// The files a refusal of [`changed_since_read`] found changed on disk since the world
/// read them: read them again and plan anew.
pub fn changed_on_disk(error: &jsonrpc::Error) -> Option<Vec<String>> {
    match serde_json::from_value(error.data.clone()?).ok()? {
        ext::Refusal::ChangedOnDisk { paths } => Some(paths),
        _ => None,
    }
}

/// A change's failure as the language server answers it: a JSON-RPC error, in a type of this
/// crate so that the write path's [`ChangeError`] can be implemented for it.
#[derive(Debug)]
pub struct DeskError(pub jsonrpc::Error);

impl From<jsonrpc::Error> for DeskError {
    fn from(error: jsonrpc::Error) -> DeskError {
        DeskError(error)
    }
}

impl From<DeskError> for jsonrpc::Error {
    fn from(error: DeskError) -> jsonrpc::Error {
        error.0
    }
}

impl ChangeError for DeskError {
    fn from_write(error: WriteError) -> DeskError {
        DeskError(match error {
            WriteError::Transaction(error) => write_refused(error),
            WriteError::TimedOut(_) | WriteError::NotHeld { .. } => content_modified(error.to_string()),
            WriteError::Internal(_) => internal_error(error.to_string()),
        })
    }

    fn message(&self) -> String {
        self.0.message.to_string()
    }

    fn add_note(&mut self, note: &str) {
        self.0.message = format!("{} ({note})", self.0.message).into();
    }

    fn changed_on_disk(&self) -> Option<Vec<String>> {
        changed_on_disk(&self.0)
    }
}
