//! `taskmark archive`: finished tasks moved to the tracker's archive the way the tracker does it,
//! as one [`WorkspaceChange`]. For a spec-folder tracker: the state.json entry moves to
//! `archive/state.json` (or to `completed_projects` when that is where the tracker keeps them),
//! the TODO.md section and Task Order line go, the counters follow, and the task's folder moves
//! under `archive/` when the tracker keeps its archived folders there (links into it follow).
//! For Backlog.md: the task file moves to `backlog/completed/`. Archived ids stay reserved: id
//! allocation reads the archive.

use std::collections::BTreeMap;

use crate::change::{MovedPath, NewFile, Refusal, WorkspaceChange};
use crate::index::{FileId, PlaceRef, Tracker, WorkspaceIndex};
use crate::layout::{self, Family, Role};
use crate::lifecycle::create::files_with_role;
use crate::lifecycle::ids::id_number;
use crate::lifecycle::json_text;
use crate::model::{PlaceKind, TaskKey};
use crate::rules::counters;
use crate::text::{TextEdit, TextRange, line_ending, line_range_at, range, size};
use crate::timestamp::Now;

/// What `taskmark archive` was asked for: named tasks, or every finished one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRequest {
    pub tasks: Vec<TaskKey>,
    /// Every finished task that is not archived yet (of `tracker`, when named).
    pub done: bool,
    pub tracker: Option<String>,
    pub now: Now,
}

/// The tasks an archive moves and the change that moves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedArchive {
    pub tasks: Vec<TaskKey>,
    pub change: WorkspaceChange,
}

/// Plans the archive. Refuses a task that is not finished, whose places disagree, that is
/// archived already, or whose tracker keeps no archive.
pub fn plan_archive(index: &WorkspaceIndex, request: &ArchiveRequest) -> Result<PlannedArchive, Refusal> {
    let mut tasks = chosen_tasks(index, request)?;
    // A task archived already in every way its tracker archives (its entry in the archive, its
    // section gone, its folder where this tracker leaves them) has nothing left to move: it is
    // archived, whatever place of it is still read.
    let mut unchanged = Vec::new();
    for task in &tasks {
        let mut alone = WorkspaceChange::default();
        archive_into(index, std::slice::from_ref(&task), &request.now, &mut alone)?;
        if alone.is_empty() {
            unchanged.push(task.clone());
        }
    }
    if !request.done
        && let Some(task) = unchanged.first()
    {
        let archived = index.task(task).is_some_and(|it| it.archived);
        return Err(Refusal::BadRequest(if archived {
            format!(
                "task {task} is archived already: its entry is in the tracker's archive and nothing of it is left to move"
            )
        } else {
            format!(
                "task {task} has nothing to archive: no list of its tracker holds it, and the tracker leaves task folders where they are"
            )
        }));
    }
    tasks.retain(|it| !unchanged.contains(it));
    if tasks.is_empty() {
        return Err(Refusal::BadRequest("no finished task is left to archive".into()));
    }
    let chosen: Vec<&TaskKey> = tasks.iter().collect();
    let mut change = WorkspaceChange::default();
    archive_into(index, &chosen, &request.now, &mut change)?;
    let names: Vec<&str> = tasks.iter().map(|it| it.id.as_str()).collect();
    change.label = format!("archive {}", names.join(" "));
    let change = change.finish();
    change.validate(index)?;
    Ok(PlannedArchive { tasks, change })
}

/// Adds to `change` the archiving of `tasks`, tracker by tracker.
fn archive_into(
    index: &WorkspaceIndex,
    tasks: &[&TaskKey],
    now: &Now,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    let mut by_tracker: BTreeMap<&str, Vec<&TaskKey>> = BTreeMap::new();
    for task in tasks {
        by_tracker.entry(task.scope.as_str()).or_default().push(task);
    }
    for (scope, tasks) in by_tracker {
        let Some(tracker) = index.trackers().iter().find(|it| it.root == scope) else {
            return Err(Refusal::BadRequest(format!("no tracker `{scope}` in this workspace")));
        };
        if let Some((path, problem)) = index.unparsed_store(scope, None) {
            return Err(Refusal::NotEditable {
                path: path.to_string(),
                reason: format!("it does not parse ({problem})"),
            });
        }
        match tracker.family {
            Family::SpecFolder => spec_folder(index, tracker, &tasks, now, change)?,
            Family::Backlog => backlog(index, &tasks, change)?,
            other => {
                return Err(Refusal::BadRequest(format!(
                    "{} trackers keep no archive; taskmark archives spec-folder and Backlog.md tasks",
                    other.as_str()
                )));
            }
        }
    }
    Ok(())
}

/// The places of a task that are not archived already.
fn live_places(index: &WorkspaceIndex, task: &TaskKey) -> Vec<PlaceRef> {
    index
        .task(task)
        .map(|entry| {
            entry
                .places
                .iter()
                .copied()
                .filter(|it| index.place(*it).kind != PlaceKind::ArchivedStateJson && !index.is_history(it.file))
                .collect()
        })
        .unwrap_or_default()
}

/// Why `task` cannot be archived, if it cannot.
fn not_archivable(index: &WorkspaceIndex, task: &TaskKey) -> Option<String> {
    let places = live_places(index, task);
    if places.is_empty() {
        return Some(format!("task {task} is archived already"));
    }
    if places.iter().any(|it| index.path(it.file).split('/').any(|part| part == "drafts")) {
        return Some(format!("task {task} is a draft; drafts are not archived"));
    }
    let profile = index.task_profile(task)?;
    let agreeing = index.agreeing_places(task);
    let statuses: Vec<_> = agreeing.iter().filter_map(|it| index.place(*it).status).collect();
    let Some((_, status)) = index.task_status(task) else {
        return Some(format!("task {task} states no status taskmark knows"));
    };
    if !profile.kind(status).is_closed() {
        return Some(format!(
            "task {task} is {}, not finished; only finished tasks are archived",
            profile.status(status).spelled(crate::vocabulary::Spelling::Bracket).unwrap_or_default()
        ));
    }
    if statuses.iter().any(|it| !profile.kind(*it).is_closed()) {
        return Some(format!(
            "the places of task {task} disagree about whether it is finished (`taskmark show {}` says where); align them first",
            task.id
        ));
    }
    None
}

fn chosen_tasks(index: &WorkspaceIndex, request: &ArchiveRequest) -> Result<Vec<TaskKey>, Refusal> {
    if !request.done {
        for task in &request.tasks {
            if index.task(task).is_none() {
                return Err(Refusal::UnknownTask { id: task.id.to_string(), similar: Vec::new() });
            }
            if let Some(why) = not_archivable(index, task) {
                return Err(Refusal::BadRequest(why));
            }
        }
        let mut tasks = request.tasks.clone();
        tasks.dedup();
        return Ok(tasks);
    }
    let archiving = |tracker: &Tracker| {
        matches!(tracker.family, Family::SpecFolder | Family::Backlog)
            && request.tracker.as_deref().is_none_or(|wanted| super::list::names_tracker(index, tracker, wanted))
    };
    let scopes: Vec<&str> = index.trackers().iter().filter(|it| archiving(it)).map(|it| it.root.as_str()).collect();
    let named = request.tracker.as_deref().map(crate::layout::tracker_root_named);
    if scopes.is_empty()
        && let Some(other) = index.trackers().iter().find(|it| named == Some(it.root.as_str()))
    {
        return Err(Refusal::BadRequest(format!(
            "{} trackers keep no archive; taskmark archives spec-folder and Backlog.md tasks",
            other.family.as_str()
        )));
    }
    if scopes.is_empty() {
        return Err(Refusal::BadRequest(match &request.tracker {
            Some(wanted) => format!("no spec-folder or Backlog.md tracker `{wanted}` in this workspace"),
            None => "this workspace has no spec-folder or Backlog.md tracker to archive from".into(),
        }));
    }
    Ok(index
        .tasks()
        .keys()
        .filter(|it| scopes.contains(&it.scope.as_str()))
        .filter(|it| not_archivable(index, it).is_none())
        .cloned()
        .collect())
}

fn under_root(tracker: &Tracker, path: &str) -> String {
    if tracker.root.is_empty() { path.to_string() } else { format!("{}/{path}", tracker.root) }
}

fn spec_folder(
    index: &WorkspaceIndex,
    tracker: &Tracker,
    tasks: &[&TaskKey],
    now: &Now,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    let state = files_with_role(index, tracker, Role::StateJson).into_iter().next();
    let archive = files_with_role(index, tracker, Role::ArchiveStateJson).into_iter().next();
    let archive_folder = under_root(tracker, "archive");
    // The tracker moves finished task folders under archive/ when some are there already.
    let moves_folders = index.entries().any(|(_, entry)| {
        entry.path.strip_prefix(&format!("{archive_folder}/")).is_some_and(|rest| {
            rest.split('/').next().is_some_and(|folder| rest.contains('/') && layout::leading_digits(folder) > 0)
        })
    });
    let mut moved_entries: Vec<(u64, String)> = Vec::new();
    let mut folders: Vec<(String, String)> = Vec::new();
    let mut removed_entries: Vec<PlaceRef> = Vec::new();
    for task in tasks {
        let places = live_places(index, task);
        if moves_folders && let Some(folder) = task_folder(index, tracker, task) {
            let to = format!("{archive_folder}/{}", folder.rsplit('/').next().unwrap_or(&folder));
            folders.push((folder, to));
        }
        for place in &places {
            let it = index.place(*place);
            match it.kind {
                PlaceKind::TodoSection => {
                    remove(index, place.file, section_range(index, place.file, it.extent), change)
                }
                PlaceKind::TaskOrderLine => {
                    let text = index.text(place.file);
                    let line = line_range_at(text, usize::from(it.line.start()));
                    remove(index, place.file, with_line_break(text, line), change);
                }
                PlaceKind::StateJson => {
                    let text = index.text(place.file);
                    let mut entry = text[it.extent].to_string();
                    for (from, to) in &folders {
                        entry = entry.replace(&format!("\"{from}/"), &format!("\"{to}/"));
                    }
                    moved_entries.push((id_number(&task.id).unwrap_or(0), entry));
                    removed_entries.push(*place);
                }
                _ => {}
            }
        }
    }
    remove_entries(index, &removed_entries, change);
    for (from, to) in &folders {
        change.moved.push(MovedPath { from: from.clone(), to: to.clone() });
        follow_links(index, tracker, from, to, change);
    }
    if !moved_entries.is_empty() {
        store_entries(index, tracker, state, archive, &mut moved_entries, now, change)?;
    }
    recount(index, tracker, change);
    Ok(())
}

/// The `NNN_slug` folder of a live task, from the paths of its places and mentions.
fn task_folder(index: &WorkspaceIndex, tracker: &Tracker, task: &TaskKey) -> Option<String> {
    let entry = index.task(task)?;
    let files = entry.places.iter().map(|it| it.file).chain(entry.mentions.iter().copied());
    files.map(|file| index.path(file)).find_map(|path| {
        let folder = layout::task_folder(path)?;
        (layout::task_folder_id(path)? == task.id).then_some(())?;
        let at = path.find(&format!("{folder}/"))?;
        let full = &path[..at + folder.len()];
        (full == under_root(tracker, folder)).then(|| full.to_string())
    })
}

/// Rewrites links in live files that point into a moved folder: `specs/014_x/plans/a.md`
/// becomes `specs/archive/014_x/plans/a.md` however the link is written (from the repository
/// root, from the tracker, from the file).
fn follow_links(index: &WorkspaceIndex, tracker: &Tracker, from: &str, to: &str, change: &mut WorkspaceChange) {
    let name = from.rsplit('/').next().unwrap_or(from);
    let new_name = to.strip_prefix(&format!("{}/", tracker.root)).unwrap_or(to);
    for (file, entry) in index.entries() {
        if entry.path.starts_with(&format!("{from}/")) || index.is_history(file) {
            continue;
        }
        let removed: Vec<TextRange> = change
            .files
            .iter()
            .filter(|it| it.file == file)
            .flat_map(|it| it.edits.iter().filter(|edit| edit.new_text.is_empty()).map(|edit| edit.range))
            .collect();
        for link in &entry.parsed.links {
            if link.absolute || removed.iter().any(|it| it.contains_range(link.range)) {
                continue;
            }
            let points_in = link.candidates(&entry.path).any(|it| it.starts_with(&format!("{from}/")));
            if !points_in {
                continue;
            }
            let written = &entry.text[link.range];
            let Some(at) = written.find(&format!("{name}/")) else { continue };
            let start = usize::from(link.range.start()) + at;
            // Only the folder's own segment, preceded by nothing or a `/`.
            if at > 0 && !written[..at].ends_with(['/', '(', '[']) {
                continue;
            }
            change.edit(index, file, TextEdit::replace(range(start, start + name.len()), new_name.to_string()));
        }
    }
}

fn remove(index: &WorkspaceIndex, file: FileId, range: TextRange, change: &mut WorkspaceChange) {
    change.edit(index, file, TextEdit::replace(range, String::new()));
}

/// `line` with the line break after it.
fn with_line_break(text: &str, line: TextRange) -> TextRange {
    let end = usize::from(line.end());
    let rest = &text[end..];
    let len = if rest.starts_with("\r\n") {
        2
    } else if rest.starts_with('\n') {
        1
    } else {
        0
    };
    range(usize::from(line.start()), end + len)
}

/// A TODO.md section from its heading to the next heading, the separator and blank lines after
/// it included.
fn section_range(index: &WorkspaceIndex, file: FileId, extent: TextRange) -> TextRange {
    let text = index.text(file);
    let start = usize::from(line_range_at(text, usize::from(extent.start())).start());
    range(start, usize::from(extent.end()))
}

/// Removes state.json entries: each run of neighbours in one list as one range, so that two
/// removals never meet at a comma.
fn remove_entries(index: &WorkspaceIndex, removed: &[PlaceRef], change: &mut WorkspaceChange) {
    let mut files: Vec<FileId> = removed.iter().map(|it| it.file).collect();
    files.sort();
    files.dedup();
    for file in files {
        let text = index.text(file);
        let mut entries: Vec<(TextRange, bool)> = index
            .parsed(file)
            .places
            .iter()
            .enumerate()
            .filter(|(_, it)| it.kind == PlaceKind::StateJson)
            .map(|(at, it)| (it.extent, removed.iter().any(|r| r.file == file && r.index == at)))
            .collect();
        entries.sort_by_key(|it| it.0.start());
        let mut at = 0;
        while at < entries.len() {
            if !entries[at].1 {
                at += 1;
                continue;
            }
            let first = entries[at].0;
            let mut last = first;
            // Neighbours: nothing but a comma and whitespace between them.
            while at + 1 < entries.len()
                && entries[at + 1].1
                && text[usize::from(last.end())..usize::from(entries[at + 1].0.start())].trim() == ","
            {
                at += 1;
                last = entries[at].0;
            }
            remove(index, file, entry_range(text, usize::from(first.start()), usize::from(last.end())), change);
            at += 1;
        }
    }
}

/// State.json entries at `start..end` with the comma and whitespace that separate them from
/// their neighbours, so the list reads as if it never held them.
fn entry_range(text: &str, start: usize, end: usize) -> TextRange {
    let after = &text[end..];
    let gap = after.len() - after.trim_start().len();
    if after[gap..].starts_with(',') {
        // Up to the next entry: the same spot on its line as this one had.
        let next = end + gap + 1;
        let next_start = next + (text[next..].len() - text[next..].trim_start().len());
        let line_start = text[..start].rfind('\n').map_or(0, |it| it + 1);
        if text[line_start..start].trim().is_empty() && text[..next_start].rfind('\n').is_some_and(|it| it >= end) {
            let next_line = text[..next_start].rfind('\n').map_or(0, |it| it + 1);
            return range(line_start, next_line);
        }
        return range(start, next_start);
    }
    let before = &text[..start];
    let trimmed = before.trim_end();
    if trimmed.ends_with(',') {
        // The last entry: from the end of the one before.
        return range(trimmed.len() - 1, end);
    }
    // The only entry: the list becomes `[]`.
    let open = trimmed.len();
    let close = end + gap;
    range(open, close)
}

/// Puts the moved entries where the tracker keeps archived ones: `archive/state.json`'s list,
/// else state.json's `completed_projects`, else a new `archive/state.json`.
fn store_entries(
    index: &WorkspaceIndex,
    tracker: &Tracker,
    state: Option<FileId>,
    archive: Option<FileId>,
    entries: &mut [(u64, String)],
    now: &Now,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    let target = match archive {
        Some(file) => Some(file),
        None => state
            .filter(|file| json_text::properties(index.text(*file)).iter().any(|it| it.key == "completed_projects")),
    };
    let Some(file) = target else {
        entries.sort_by_key(|it| it.0);
        let newline = state.map_or("\n", |it| line_ending(index.text(it)));
        let body: Vec<String> = entries.iter().map(|(_, entry)| reindent(entry, "    ", newline)).collect();
        let text = format!(
            "{{{newline}  \"completed_projects\": [{newline}    {}{newline}  ]{newline}}}{newline}",
            body.join(&format!(",{newline}    "))
        );
        change.created.push(NewFile { path: under_root(tracker, "archive/state.json"), text });
        return Ok(());
    };
    let text = index.text(file);
    let newline = line_ending(text);
    let properties = json_text::properties(text);
    let list = ["completed_projects", "archived_projects"]
        .iter()
        .find_map(|key| properties.iter().find(|it| &it.key == key))
        .or_else(|| properties.iter().find(|it| it.raw(text).starts_with('[')));
    let Some(list) = list.filter(|it| it.raw(text).starts_with('[')) else {
        return Err(Refusal::NotEditable {
            path: index.path(file).to_string(),
            reason: "it has no list of archived tasks to add to".into(),
        });
    };
    let existing: Vec<&crate::model::Place> = index
        .parsed(file)
        .places
        .iter()
        .filter(|it| it.extent.start() > size(list.value.0) && it.extent.end() <= size(list.value.1))
        .collect();
    // Entries archived later say when, where the archive's entries do.
    let stamps = existing.iter().any(|it| json_text::properties(&text[it.extent]).iter().any(|p| p.key == "archived"));
    let ids: Vec<u64> = existing.iter().filter_map(|it| it.task().and_then(|task| id_number(&task.id))).collect();
    let newest_first = ids.len() > 1 && ids.first() > ids.last();
    let indent = existing
        .first()
        .map(|it| json_text::indentation_before(text, usize::from(it.extent.start())))
        .unwrap_or_else(|| format!("{}  ", list.indent));
    let mut rendered: Vec<(u64, String)> = entries
        .iter()
        .map(|(id, entry)| {
            let entry = if stamps && !json_text::properties(entry).iter().any(|it| it.key == "archived") {
                add_property(entry, "archived", &json_text::string(&now.timestamp))
            } else {
                entry.clone()
            };
            (*id, reindent(&entry, &indent, newline))
        })
        .collect();
    rendered.sort_by_key(|it| it.0);
    if newest_first {
        rendered.reverse();
    }
    let joined: Vec<String> = rendered.into_iter().map(|it| it.1).collect();
    let separator = format!(",{newline}{indent}");
    let edit = match (existing.first(), existing.last()) {
        (Some(first), _) if newest_first => {
            TextEdit::insert(first.extent.start(), format!("{}{separator}", joined.join(&separator)))
        }
        (_, Some(last)) => TextEdit::insert(last.extent.end(), format!("{separator}{}", joined.join(&separator))),
        _ => TextEdit::replace(
            range(list.value.0, list.value.1),
            format!("[{newline}{indent}{}{newline}{}]", joined.join(&separator), list.indent),
        ),
    };
    change.edit(index, file, edit);
    Ok(())
}

/// A JSON object's text with one more property after its last.
fn add_property(object: &str, key: &str, value: &str) -> String {
    let properties = json_text::properties(object);
    let Some(last) = properties.last() else { return object.to_string() };
    let inserted = if object.contains('\n') {
        format!(",{}{}\"{key}\": {value}", line_ending(object), last.indent)
    } else {
        format!(", \"{key}\": {value}")
    };
    format!("{}{inserted}{}", &object[..last.value.1], &object[last.value.1..])
}

/// An object's text moved to a list indented by `indent`: its inner lines keep their depth
/// relative to its first.
fn reindent(entry: &str, indent: &str, newline: &str) -> String {
    let lines: Vec<&str> = entry.split('\n').map(|it| it.trim_end_matches('\r')).collect();
    let Some(last) = lines.last() else { return entry.to_string() };
    // The closing brace's indentation was the entry's own.
    let old = if lines.len() > 1 { &last[..last.len() - last.trim_start().len()] } else { "" };
    lines
        .iter()
        .enumerate()
        .map(|(at, line)| {
            if at == 0 {
                line.to_string()
            } else {
                format!("{indent}{}", line.strip_prefix(old).unwrap_or(line.trim_start()))
            }
        })
        .collect::<Vec<_>>()
        .join(newline)
}

/// Moves the tracker's counters by what the change moves out of what they count. A counter
/// that was off before stays off by as much: it is not the archive's to correct.
fn recount(index: &WorkspaceIndex, tracker: &Tracker, change: &mut WorkspaceChange) {
    let after = change.applied_to(index, |_, _| {});
    let files: Vec<FileId> =
        [Role::Todo, Role::StateJson].into_iter().flat_map(|role| files_with_role(index, tracker, role)).collect();
    for file in files {
        let Some(after_file) = after.file_id(index.path(file)) else { continue };
        let before: Vec<counters::Expectation> = counters::expectations(index, file);
        for expectation in counters::expectations(&after, after_file) {
            if expectation.at_least {
                continue;
            }
            let Some(was) = before.iter().find(|it| it.counter.key == expectation.counter.key) else { continue };
            // By the reading the counter keeps: archiving moves entries out of `active_projects`
            // whatever their status.
            let after = match was.kept() == was.expected {
                true => expectation.expected,
                false => expectation.alternative.unwrap_or(expectation.expected),
            };
            let value = was.counter.value as i64 + after as i64 - was.kept() as i64;
            if value != was.counter.value as i64 && value >= 0 {
                change.edit(index, file, TextEdit::replace(was.counter.range, value.to_string()));
            }
        }
    }
}

/// Backlog.md keeps finished tasks in `backlog/completed/`, under the same file name.
fn backlog(index: &WorkspaceIndex, tasks: &[&TaskKey], change: &mut WorkspaceChange) -> Result<(), Refusal> {
    for task in tasks {
        for place in live_places(index, task) {
            if index.place(place).kind != PlaceKind::Frontmatter {
                continue;
            }
            let path = index.path(place.file);
            let Some((folder, name)) = path.rsplit_once('/') else { continue };
            let Some(parent) = folder.strip_suffix("/tasks").or_else(|| (folder == "tasks").then_some("")) else {
                return Err(Refusal::BadRequest(format!(
                    "{path} is not in a tasks/ folder; taskmark does not know where it goes"
                )));
            };
            let to = if parent.is_empty() { format!("completed/{name}") } else { format!("{parent}/completed/{name}") };
            change.moved.push(MovedPath { from: path.to_string(), to });
        }
    }
    Ok(())
}
