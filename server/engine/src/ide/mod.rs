//! What editors ask about a spot or a task, answered from the index: the task under the
//! cursor and its summary, hover text, completions, symbols, references, links, progress and
//! the code actions there. Values only; the LSP adapter turns them into protocol types.

mod actions;
mod completion;
mod hover;
mod navigation;
mod progress;

pub use crate::summary::{
    Dependency, PlaceRow, Progress, StatusChoice, TaskSummary, plan_progress, status_choices, task_summary,
};
pub use actions::{ActionChoice, ActionKind, ActionTarget, code_actions, plan_action};
pub use completion::{Completion, CompletionKind, completions};
pub use hover::{HoverInfo, HoverLinks, NoLinks, hover, render};
pub use navigation::{
    DocumentLink, DocumentSymbol, Location, SymbolEntry, SymbolKind, SymbolTable, TaskTarget, definition,
    document_links, document_symbols, name_range, references, task_at,
};
pub use progress::{ProgressHint, progress_hints};
