//! Giving a new id to one of two tasks that share an id: what two branches that allocated the
//! same id leave once merged (the merge driver keeps both; `duplicate-task` reports them).
//! The newer task (its `Created` date, else the later section) gets the next free id in every
//! place that is its own: its TODO.md section heading, its Task Order line, its state.json entry,
//! its task folder (moved) and the links into that folder; the counters follow. Which places are
//! its own is told by its title, as `id-collision` tells the two apart. A spec-folder tracker
//! only.

use crate::change::{MovedPath, Refusal, WorkspaceChange};
use crate::index::{PlaceRef, WorkspaceIndex};
use crate::layout::{self, Family, Role};
use crate::lifecycle::UsedIds;
use crate::model::{Place, PlaceKind, TaskKey};
use crate::text::{TextEdit, TextRange, range};

/// A planned renumbering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRenumber {
    pub change: WorkspaceChange,
    pub task: TaskKey,
    pub title: String,
    /// The new id.
    pub id: String,
}

/// A title's words, lower case: `Sync engine, v2!` and `sync_engine_v2` are the same title.
fn words(title: &str) -> String {
    title
        .split(|it: char| !it.is_alphanumeric())
        .filter(|it| !it.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The tasks of spec-folder trackers that two TODO.md sections of different titles define: the
/// ones [`plan_renumber`] can part.
pub fn shared_ids(index: &WorkspaceIndex) -> Vec<TaskKey> {
    index
        .tasks()
        .iter()
        .filter(|(task, _)| family(index, task) == Some(Family::SpecFolder))
        .filter(|(_, entry)| {
            let titles: Vec<String> = entry
                .places
                .iter()
                .map(|it| index.place(*it))
                .filter(|it| it.kind == PlaceKind::TodoSection)
                .map(|it| words(it.title.as_deref().unwrap_or_default()))
                .collect();
            titles.len() == 2 && titles[0] != titles[1]
        })
        .map(|(task, _)| task.clone())
        .collect()
}

fn family(index: &WorkspaceIndex, task: &TaskKey) -> Option<Family> {
    index.trackers().iter().find(|it| it.root == task.scope).map(|it| it.family)
}

/// Plans the new id of the newer of the two tasks `task` names. `used` holds every id the
/// tracker has used (here and on the other branches): the new one is above them.
pub fn plan_renumber(index: &WorkspaceIndex, task: &TaskKey, used: &UsedIds) -> Result<PlannedRenumber, Refusal> {
    let refuse = |why: String| Refusal::NoFix(why);
    let entry = index.task(task).ok_or_else(|| refuse(format!("no task {task}")))?;
    let sections: Vec<PlaceRef> =
        entry.places.iter().copied().filter(|it| index.place(*it).kind == PlaceKind::TodoSection).collect();
    let [first, second] = sections.as_slice() else {
        return Err(refuse(format!("task {task} is not defined by two TODO.md sections")));
    };
    let created = |place: PlaceRef| index.place(place).field("Created").map(|it| it.value.clone());
    // The newer: created later; the later section when the dates say nothing.
    let newer = if created(*first) > created(*second) { *first } else { *second };
    let older = if newer == *first { *second } else { *first };
    let title = index.place(newer).title.as_deref().unwrap_or_default().to_string();
    let own = words(&title);
    if own.is_empty() || own == words(index.place(older).title.as_deref().unwrap_or_default()) {
        return Err(refuse(format!("the two tasks {task} have the same title: nothing tells their places apart")));
    }
    let number = used.next();
    let old_digits = index.text(newer.file)
        [index.place(newer).heading_number.ok_or_else(|| refuse("no heading number".into()))?]
    .to_string();
    let width = if old_digits.len() > 1 && old_digits.starts_with('0') { old_digits.len() } else { 0 };
    let new_id = format!("{number:0width$}");
    let mut change =
        WorkspaceChange { label: format!("Renumber task {task} `{title}` to {number}"), ..Default::default() };
    let is_own = |place: &Place| place.title.as_deref().is_some_and(|it| words(it) == own);
    let mut own_extents: Vec<(crate::index::FileId, TextRange)> = Vec::new();
    for place_ref in &entry.places {
        let place = index.place(*place_ref);
        let text = index.text(place_ref.file);
        let mine = if place_ref.file == newer.file && place.kind == PlaceKind::TodoSection {
            *place_ref == newer
        } else {
            is_own(place)
        };
        if !mine {
            continue;
        }
        let digits = match place.kind {
            PlaceKind::TodoSection => place.heading_number,
            PlaceKind::TaskOrderLine => number_before(text, place.line, place.marker.range.start(), &task.id),
            PlaceKind::StateJson | PlaceKind::ArchivedStateJson => project_number(text, place.extent),
            _ => None,
        };
        let Some(digits) = digits else { continue };
        let written = &text[digits];
        let replacement = if written.len() > 1 && written.starts_with('0') {
            format!("{number:0width$}", width = written.len())
        } else {
            number.to_string()
        };
        change.edit(index, place_ref.file, TextEdit::replace(digits, replacement));
        own_extents.push((place_ref.file, place.extent));
    }
    // The task folder whose name is the task's (`007_search`), moved to its new number, and the
    // links of its own places into it.
    let old_number =
        crate::lifecycle::id_number(&task.id).ok_or_else(|| refuse(format!("task {task} has no number")))?;
    let folder = index.tracker_paths(&task.scope).find_map(|path| {
        let name = layout::task_folder(path)?;
        let digits = layout::leading_digits(name);
        let same_number = name[..digits].parse::<u64>().ok() == Some(old_number);
        (same_number && words(&name[digits..]) == own).then(|| {
            let at = path.find(&format!("/{name}/")).map_or(0, |it| it + 1);
            (path[..at + name.len()].to_string(), name.to_string())
        })
    });
    if let Some((from, name)) = folder {
        let digits = layout::leading_digits(&name);
        let renamed = format!("{number:0width$}{}", &name[digits..], width = digits);
        let to = format!("{}{renamed}", &from[..from.len() - name.len()]);
        for (file, extent) in &own_extents {
            for link in &index.parsed(*file).links {
                if !extent.contains_range(link.range) {
                    continue;
                }
                let target = &index.text(*file)[link.range];
                for (at, _) in target.match_indices(name.as_str()) {
                    let before = target[..at].chars().next_back();
                    let after = target[at + name.len()..].chars().next();
                    if before.is_none_or(|it| it == '/') && after.is_none_or(|it| it == '/') {
                        let start = usize::from(link.range.start()) + at;
                        change.edit(index, *file, TextEdit::replace(range(start, start + name.len()), renamed.clone()));
                    }
                }
            }
        }
        change.moved.push(MovedPath { from, to });
    }
    // The counters stay above every id.
    for (_, file_entry) in index.entries().filter(|(_, it)| it.class.root == task.scope) {
        if !matches!(file_entry.class.role, Role::Todo | Role::StateJson) {
            continue;
        }
        if let Some(counter) = file_entry.parsed.counters.as_ref().and_then(|it| it.next_project_number.as_ref())
            && counter.value <= number
            && let Some(file) = index.file_id(&file_entry.path)
        {
            change.edit(index, file, TextEdit::replace(counter.range, (number + 1).to_string()));
        }
    }
    change.validate(index)?;
    Ok(PlannedRenumber { change, task: task.clone(), title, id: new_id })
}

/// The digits of `id` on a Task Order line, before its marker.
fn number_before(text: &str, line: TextRange, marker: crate::text::TextSize, id: &str) -> Option<TextRange> {
    let start = usize::from(line.start());
    let before = &text[start..usize::from(marker)];
    let wanted = crate::lifecycle::id_number(id)?;
    let mut at = 0;
    while at < before.len() {
        let rest = &before[at..];
        let Some(offset) = rest.find(|it: char| it.is_ascii_digit()) else { break };
        let digits_start = at + offset;
        let digits_len =
            before[digits_start..].find(|it: char| !it.is_ascii_digit()).unwrap_or(before.len() - digits_start);
        if before[digits_start..digits_start + digits_len].parse::<u64>().ok() == Some(wanted) {
            return Some(range(start + digits_start, start + digits_start + digits_len));
        }
        at = digits_start + digits_len;
    }
    None
}

/// The digits of an entry's `"project_number"` (a number, or a string of digits).
fn project_number(text: &str, extent: TextRange) -> Option<TextRange> {
    let start = usize::from(extent.start());
    let object = &text[extent];
    let key = object.find("\"project_number\"")? + "\"project_number\"".len();
    let after = &object[key..];
    let colon = after.find(':')?;
    let value = &after[colon + 1..];
    let skip = value.len() - value.trim_start().len();
    let value = &value[skip..];
    let quote = usize::from(value.starts_with('"'));
    let digits = value[quote..].find(|it: char| !it.is_ascii_digit()).unwrap_or(value.len() - quote);
    (digits > 0).then(|| {
        let at = start + key + colon + 1 + skip + quote;
        range(at, at + digits)
    })
}

/// After the folder moved: the plans in it that still name the old number, in their title
/// (`# Implementation Plan: Task #7: Search`) or their `**Task**:` field. A second change, since
/// a change never writes into a folder it moves.
pub fn plan_plan_numbers(index: &WorkspaceIndex, folder: &str, old: u64, new: u64) -> WorkspaceChange {
    let mut change = WorkspaceChange { label: format!("Task {old} is {new} in its plans"), ..Default::default() };
    let prefix = format!("{folder}/");
    for (file, entry) in index.entries() {
        if !entry.path.starts_with(&prefix) || !matches!(entry.class.role, Role::Plan { .. }) {
            continue;
        }
        let text = index.text(file);
        let mut offset = 0;
        for line in text.split_inclusive('\n').take(20) {
            let trimmed = line.trim_start();
            let names_task = trimmed.starts_with("# ")
                || ["**Task**:", "- **Task**:", "**Task Number**:", "- **Task Number**:"]
                    .iter()
                    .any(|it| trimmed.starts_with(it));
            if names_task && let Some(digits) = whole_number(line, old) {
                change.edit(
                    index,
                    file,
                    TextEdit::replace(range(offset + digits.0, offset + digits.1), new.to_string()),
                );
            }
            offset += line.len();
        }
    }
    change
}

/// The first whole number equal to `wanted` in `line` (not a part of a longer number or date).
fn whole_number(line: &str, wanted: u64) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let end = at + line[at..].find(|it: char| !it.is_ascii_digit()).unwrap_or(line.len() - at);
        let joined = |it: Option<&u8>| it.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'-');
        let standalone = !joined(at.checked_sub(1).and_then(|it| bytes.get(it))) && !joined(bytes.get(end));
        if standalone && line[at..end].parse::<u64>().ok() == Some(wanted) {
            return Some((at, end));
        }
        at = end;
    }
    None
}
