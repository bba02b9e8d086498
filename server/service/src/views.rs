//! How engine values are shown, the same in every adapter (the command line, the language
//! server and the agents' server): paths for display, a task's summary, a plan's progress and a
//! diagnostic as typed views (their JSON is the answer), a file's change as a unified diff.

use serde::{Deserialize, Serialize};

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
///
/// The views' fields are in alphabetical order: the order these answers have always had
/// (serde_json's maps sort their keys), so a script reading them sees no change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub archived: bool,
    pub dependencies: Vec<DependencyView>,
    /// The statuses it may move to, as its tracker shows them.
    pub next: Vec<String>,
    pub places: Vec<PlaceView>,
    pub progress: Option<ProgressView>,
    pub scope: String,
    pub status: Option<String>,
    /// Its id within its tracker.
    pub task: String,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyView {
    pub status: Option<String>,
    pub task: String,
}

/// One place that states the task's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceView {
    pub agrees: bool,
    pub current: bool,
    pub file: String,
    pub kind: String,
    pub known: bool,
    /// From 1.
    pub line: u32,
    pub value: String,
}

/// A plan's progress as `show` and `list` print it in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressView {
    pub checkboxes: usize,
    pub checkboxes_done: usize,
    pub phases: usize,
    pub phases_done: usize,
    pub plan: String,
}

pub fn task_view(view: &TaskSummary, paths: &Paths) -> TaskView {
    TaskView {
        archived: view.archived,
        dependencies: view
            .dependencies
            .iter()
            .map(|it| DependencyView { status: it.status.clone(), task: it.id.clone() })
            .collect(),
        next: view.next.iter().map(|it| it.display.clone()).collect(),
        places: view
            .places
            .iter()
            .map(|it| PlaceView {
                agrees: it.agrees,
                current: it.current,
                file: paths.show(&it.path),
                kind: it.kind.to_string(),
                known: it.known,
                line: it.line,
                value: it.value.clone(),
            })
            .collect(),
        progress: view.progress.as_ref().map(|it| progress_view(it, paths)),
        scope: view.task.scope.to_string(),
        status: view.status.clone(),
        task: view.task.id.to_string(),
        title: view.title.clone(),
    }
}

pub fn progress_view(progress: &Progress, paths: &Paths) -> ProgressView {
    ProgressView {
        checkboxes: progress.boxes,
        checkboxes_done: progress.boxes_done,
        phases: progress.phases,
        phases_done: progress.phases_done,
        plan: paths.show(&progress.plan),
    }
}

pub fn unified_diff(file: &FileWrite) -> String {
    similar::TextDiff::from_lines(&file.before, &file.after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
        .to_string()
}

/// A diagnostic as `check --format json`, the agents' `check` and `taskmark.diagnostics` give it:
/// its ranges in LSP's shape (lines and UTF-16 characters from 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticView {
    pub code: String,
    pub file: String,
    /// What `fix` or an editor's quick fix would do about it.
    pub fixes: Vec<String>,
    pub message: String,
    pub range: Option<RangeView>,
    pub related: Vec<RelatedView>,
    pub severity: String,
    pub task: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedView {
    pub file: String,
    pub message: String,
    pub range: Option<RangeView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeView {
    pub end: PositionView,
    pub start: PositionView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    pub character: u32,
    pub line: u32,
}

/// Builds the line index of every file `diagnostics` point into, on every core: showing a
/// diagnostic asks its file for lines and columns, and a report over thousands of files asked
/// one file at a time (on the 25,000-task scale workspace, 90 ms of a 2 s `check`).
pub fn index_lines_of(index: &WorkspaceIndex, diagnostics: &[Diagnostic]) {
    use rayon::prelude::*;
    let files: std::collections::BTreeSet<FileId> = diagnostics
        .iter()
        .flat_map(|it| std::iter::once(it.file).chain(it.related.iter().map(|related| related.file)))
        .collect();
    let files: Vec<FileId> = files.into_iter().collect();
    files.par_iter().for_each(|file| {
        if let Some(entry) = index.entry(*file) {
            entry.line_index();
        }
    });
}

pub fn diagnostic_view(index: &WorkspaceIndex, paths: &Paths, it: &Diagnostic) -> DiagnosticView {
    DiagnosticView {
        code: it.code.as_str().to_string(),
        file: paths.show(index.path(it.file)),
        fixes: fix_titles(index, it),
        message: it.message.clone(),
        range: lsp_range(index, it.file, it.range),
        related: it
            .related
            .iter()
            .map(|related| RelatedView {
                file: paths.show(index.path(related.file)),
                message: related.message.clone(),
                range: lsp_range(index, related.file, related.range),
            })
            .collect(),
        severity: it.severity.as_str().to_string(),
        task: it.task.as_ref().map(|task| task.id.to_string()),
    }
}

/// `None` (`null`) for a file the index no longer holds.
fn lsp_range(index: &WorkspaceIndex, file: FileId, range: TextRange) -> Option<RangeView> {
    let entry = index.entry(file)?;
    let it = text::position_range(&entry.text, entry.line_index(), range, PositionEncoding::Utf16);
    Some(RangeView {
        end: PositionView { character: it.end.character, line: it.end.line },
        start: PositionView { character: it.start.character, line: it.start.line },
    })
}
