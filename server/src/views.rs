//! How engine values are shown, the same in every adapter (the command line, the language
//! server and the agents' server): paths for display, a task's summary and a plan's progress
//! as JSON, a file's change as a unified diff.

use serde_json::{Value, json};

use crate::engine::ide::{Progress, TaskSummary};
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
        "task": view.task.id,
        "scope": view.task.scope,
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
