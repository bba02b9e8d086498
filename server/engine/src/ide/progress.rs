//! Progress next to a task: `3/7 phases · 12/20 boxes` after a TODO.md task heading (from the
//! task's current plan) and after a plan's status line (from its own phases).

use crate::ide::navigation::name_range;
use crate::index::{FileId, WorkspaceIndex};
use crate::model::{PlaceKind, Subject, TaskKey};
use crate::summary::{Progress, plan_progress};
use crate::text::TextRange;
use crate::vocabulary::Kind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressHint {
    pub task: TaskKey,
    /// The line the hint belongs to (a heading or a status line), trimmed.
    pub anchor: TextRange,
    pub label: String,
}

pub fn progress_hints(index: &WorkspaceIndex, file: FileId) -> Vec<ProgressHint> {
    let parsed = index.parsed(file);
    let text = index.text(file);
    let profile = index.profile(file);
    let mut out = Vec::new();
    for place in &parsed.places {
        let Subject::Task(task) = &place.subject else { continue };
        let progress = match place.kind {
            PlaceKind::TodoSection => match index.task(task).and_then(|it| it.current_plan) {
                Some(plan) => plan_progress(index, plan, index.task_profile(task)),
                // No plan: the section's own checkboxes, if it has any.
                None => Progress {
                    plan: String::new(),
                    phases_done: 0,
                    phases: 0,
                    boxes_done: place
                        .child_items
                        .iter()
                        .filter_map(|it| parsed.items.get(it))
                        .filter(|it| it.status.zip(profile).is_some_and(|(status, p)| p.kind(status) == Kind::Done))
                        .count(),
                    boxes: place.child_items.len(),
                },
            },
            PlaceKind::PlanHeader => plan_progress(index, file, profile),
            _ => continue,
        };
        let label = progress.label();
        if !label.is_empty() {
            out.push(ProgressHint { task: task.clone(), anchor: name_range(text, place), label });
        }
    }
    out
}
