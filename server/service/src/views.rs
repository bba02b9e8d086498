//! How engine values are shown, the same in every adapter (the command line, the language
//! server and the agents' server): paths for display, a task's summary and a plan's progress
//! as JSON, a diagnostic as JSON in LSP's shape, a file's change as a unified diff.

use serde_json::{Value, json};

use crate::engine::diagnostic::Diagnostic;
use crate::engine::edit::fix_titles;
use crate::engine::ide::{Progress, TaskSummary};
use crate::engine::index::{FileId, WorkspaceIndex};
use crate::engine::text::{self, PositionEncoding, TextRange};
use crate::transaction::FileWrite;

/// How paths are shown: relative to the current folder when the workspace is under it.
pub struct Paths {
    pub prefix: String,
}

impl Paths {
    pub fn show(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }
}

/// A task's summary as `show`, hovers' data and the agents' `show_task` give it in JSON.
pub fn task_summary_json(view: &TaskSummary, paths: &Paths) -> Value {
    json!({
        "task": *view.task.id,
        "scope": *view.task.scope,
        "title": view.title,
        "status": view.status,
        "archived": view.archived,
        "places": view.places.iter().map(|it| json!({
            "kind": it.kind,
            "file": paths.show(&it.path),
            "line": it.line,
            "value": it.value,
            "agrees": it.agrees,
            "known": it.known,
            "current": it.current,
        })).collect::<Vec<_>>(),
        "progress": view.progress.as_ref().map(|it| progress_json(it, paths)),
        "dependencies": view.dependencies.iter().map(|it| json!({"task": it.id, "status": it.status})).collect::<Vec<_>>(),
        "next": view.next.iter().map(|it| &it.display).collect::<Vec<_>>(),
    })
}

/// A plan's progress as `show` and `list` print it in JSON.
pub fn progress_json(progress: &Progress, paths: &Paths) -> Value {
    json!({
        "plan": paths.show(&progress.plan),
        "phases_done": progress.phases_done,
        "phases": progress.phases,
        "checkboxes_done": progress.boxes_done,
        "checkboxes": progress.boxes,
    })
}

pub fn unified_diff(file: &FileWrite) -> String {
    similar::TextDiff::from_lines(&file.before, &file.after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
        .to_string()
}

/// A diagnostic as `check --format json`, the agents' `check` and `taskmark.diagnostics` give it.
pub fn diagnostic_json(index: &WorkspaceIndex, paths: &Paths, it: &Diagnostic) -> Value {
    json!({
        "file": paths.show(index.path(it.file)),
        "range": lsp_range(index, it.file, it.range),
        "severity": it.severity.as_str(),
        "code": it.code.as_str(),
        "message": it.message,
        "task": it.task.as_ref().map(|task| task.id.clone()),
        "related": it.related.iter().map(|related| json!({
            "file": paths.show(index.path(related.file)),
            "range": lsp_range(index, related.file, related.range),
            "message": related.message,
        })).collect::<Vec<_>>(),
        "fixes": fix_titles(index, it),
    })
}

fn lsp_range(index: &WorkspaceIndex, file: FileId, range: TextRange) -> Value {
    let Some(entry) = index.entry(file) else { return json!(null) };
    let it = text::position_range(&entry.text, entry.line_index(), range, PositionEncoding::Utf16);
    json!({
        "start": { "line": it.start.line, "character": it.start.character },
        "end": { "line": it.end.line, "character": it.end.character },
    })
}
