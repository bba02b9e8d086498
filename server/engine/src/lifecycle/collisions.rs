//! `id-collision`: an id this checkout allocated that another branch or worktree allocated for
//! another task. Two tasks under one id merge into one in every store that keys by id, so the
//! collision must be seen before the merge. Git is read by the adapters; this compares indexes.

use crate::diagnostic::{Diagnostic, RuleCode, diagnostic};
use crate::index::{PlaceRef, WorkspaceIndex};
use crate::model::{PlaceKind, TaskKey};

/// Another version of the tracker: where it is, its index, and the index of the tracker where
/// this checkout and that version parted (their merge base), when known.
pub struct OtherVersion<'a> {
    pub label: &'a str,
    pub index: &'a WorkspaceIndex,
    pub ancestor: Option<&'a WorkspaceIndex>,
}

/// The kinds that name a task, in the order their title is taken: the same on both sides, so
/// two versions are compared store by store.
const TITLED: [PlaceKind; 5] = [
    PlaceKind::TodoSection,
    PlaceKind::IndexLine,
    PlaceKind::Frontmatter,
    PlaceKind::ChecklistTask,
    PlaceKind::StateJson,
];

/// The place that names `task` and its title, words only (`Sync engine, v2!` -> `sync engine v2`).
fn title(index: &WorkspaceIndex, task: &TaskKey) -> Option<(PlaceRef, String)> {
    let entry = index.task(task)?;
    TITLED.iter().find_map(|kind| {
        let place = entry.places.iter().copied().find(|it| index.place(*it).kind == *kind)?;
        let title = index.place(place).title.as_deref()?;
        let words: Vec<String> =
            title.split(|it: char| !it.is_alphanumeric()).filter(|it| !it.is_empty()).map(str::to_lowercase).collect();
        (!words.is_empty()).then(|| (place, words.join(" ")))
    })
}

/// The tasks of `scope` that this checkout (`index`) and another version both hold under one
/// id with different titles, where the id is new on this side: not in the tracker where the two
/// parted (a title edited on one side of an old task is an edit, not a collision).
pub fn id_collisions(index: &WorkspaceIndex, scope: &str, others: &[OtherVersion<'_>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (task, _) in index.tasks_in(scope) {
        let Some((place, ours)) = title(index, task) else { continue };
        let clashes: Vec<(String, &str)> = others
            .iter()
            .filter(|other| other.ancestor.is_none_or(|ancestor| ancestor.task(task).is_none()))
            .filter_map(|other| {
                let (_, theirs) = title(other.index, task)?;
                let shown = other
                    .index
                    .place(title(other.index, task)?.0)
                    .title
                    .as_deref()
                    .map_or_else(|| theirs.clone(), str::to_string);
                (theirs != ours).then_some((shown, other.label))
            })
            .collect();
        let Some((theirs, label)) = clashes.first() else { continue };
        let more = match clashes.len() {
            1 => String::new(),
            n => format!(" (and on {} more)", n - 1),
        };
        let it = index.place(place);
        let mut found = diagnostic(
            RuleCode::IdCollision,
            place.file,
            it.line,
            format!(
                "task {task} `{}` has an id that {label} also allocated, for `{theirs}`{more}; give one of them a new id before they merge",
                it.title.as_deref().unwrap_or_default()
            ),
        );
        found.task = Some(task.clone());
        out.push(found);
    }
    out
}
