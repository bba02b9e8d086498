//! Task Master: `.taskmaster/tasks/tasks.json` and the task files it generates (`task_NNN.txt`,
//! `task_NNN.md` since eyaltoledano/claude-task-master#1446).
//!
//! tasks.json is tagged (`{"master": {"tasks": [...], "metadata": {...}}, "<tag>": {...}}`) or
//! legacy (`{"tasks": [...]}`, the `master` tag). A task has a numeric `id` (some projects use
//! strings), a `status`, `dependencies` and `subtasks`, whose ids are local to their parent:
//! subtask 1 of task 13 is `13.1` wherever Task Master cites it (legacy files write `"13-1"`).
//! Each tag numbers its tasks from 1, so a task of another tag than `master` is named with its
//! tag: `bugfix-tui/3`, `bugfix-tui/3.1`.
//!
//! A task file repeats one task (`# Task ID: 44`, `# Status: done`) and its subtasks
//! (`## 1. Title [done]`), or in markdown (`**Status:** done`, each subtask a `### 44.1. Title`
//! over its own `**Status:**`): a second place of each, which Task Master writes again only
//! when asked (`task-master generate`), so it drifts. A tag's files are `task_044_<tag>.txt`
//! (`.md`), and the untagged `task_044.txt` are `master`'s; a tracker with no `master` tag has
//! them from the tag it had (co8/cctelegram: tag `data` alone, tasks 13-44, `task_013.txt`
//! ...): its only tag, or among several, the one state.json's `currentTag` names
//! ([`untagged_tag`]).

use jsonc_parser::ParseOptions;
use jsonc_parser::ast::{Object, Value};

use crate::layout::{leading_digits, taskmaster_task_file};
use crate::model::{
    Children, Counter, Counters, Dependency, Editability, ParsedFile, PlaceKind, Subject, TagCount, TagCounted, TaskKey,
};
use crate::parse::json::{self, array_objects};
use crate::parse::{ParseContext, place};
use crate::text::{TextRange, lines_with_offsets, range};
use crate::vocabulary::{Scope, Spelling};

/// The tag whose tasks keep their bare ids (Task Master's default tag, and a legacy file's).
pub(crate) const MASTER: &str = "master";

/// A task's id as taskmark names it: the bare id in `master`, `tag/id` in another tag.
fn task_id(tag: &str, id: &str) -> String {
    if tag == MASTER { id.to_string() } else { format!("{tag}/{id}") }
}

/// A subtask's local id as written (`1`, or legacy `"13-1"` under task 13): `1`.
fn local_subtask_id<'a>(parent: &str, written: &'a str) -> &'a str {
    let bare = parent.rsplit('/').next().unwrap_or(parent);
    written.strip_prefix(bare).and_then(|rest| rest.strip_prefix(['-', '.'])).unwrap_or(written)
}

pub fn parse_tasks(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let Some((root, shift)) = json::object_or_problem(text, &ParseOptions::default(), &mut out) else { return out };
    // Legacy: the tasks at the top level. Tagged: one object per tag.
    let tags: Vec<(&str, &Object<'_>)> = if root.get_array("tasks").is_some() {
        vec![(MASTER, &root)]
    } else {
        root.properties
            .iter()
            .filter_map(|prop| match &prop.value {
                Value::Object(object) if object.get_array("tasks").is_some() => Some((prop.name.as_str(), object)),
                _ => None,
            })
            .collect()
    };
    // Every id first: a dependency is read as the task it names, which may come later.
    let ids = tags
        .iter()
        .flat_map(|(tag, object)| {
            array_objects(object, "tasks").flat_map(move |task| {
                let id = written_id(task);
                let subtasks = id.clone().into_iter().flat_map(move |parent| {
                    array_objects(task, "subtasks").filter_map(move |subtask| {
                        written_id(subtask)
                            .map(|it| task_id(tag, &format!("{parent}.{}", local_subtask_id(&parent, &it))))
                    })
                });
                id.map(|it| task_id(tag, &it)).into_iter().chain(subtasks)
            })
        })
        .collect();
    let reader = Reader { cx, text, shift, ids };
    out.tags = tags.iter().map(|(tag, _)| tag.to_string()).collect();
    let mut tag_counts = Vec::new();
    for (tag, object) in tags {
        for task in array_objects(object, "tasks") {
            reader.task(tag, task, None, &mut out);
        }
        for (key, counted) in [("taskCount", TagCounted::Tasks), ("completedCount", TagCounted::Completed)] {
            if let Some(Value::NumberLit(number)) =
                object.get_object("metadata").and_then(|it| it.get(key)).map(|it| &it.value)
                && let Ok(value) = number.value.parse::<u64>()
            {
                let counter = Counter { key: key.into(), value, range: reader.range(number.range) };
                tag_counts.push(TagCount { tag: tag.to_string(), counted, counter });
            }
        }
    }
    if !tag_counts.is_empty() {
        out.counters = Some(Counters { tag_counts, ..Counters::default() });
    }
    out
}

/// The tag the untagged task files (`task_NNN.txt`, `.md`) belong to when it is not `master`: with no
/// `master` among tasks.json's `tags`, its only tag, or among several the `current` one
/// (state.json's `currentTag`, read only then) when it is one of them. `None` is `master`, as
/// Task Master has them, also when neither decides.
pub fn untagged_tag(tags: &[String], current: impl FnOnce() -> Option<String>) -> Option<String> {
    if tags.iter().any(|it| it == MASTER) {
        return None;
    }
    match tags {
        [only] => Some(only.clone()),
        [] => None,
        _ => current().filter(|current| tags.contains(current)),
    }
}

/// The `currentTag` of Task Master's `.taskmaster/state.json` (`{"currentTag": "data"}`).
pub fn current_tag(text: &str) -> Option<String> {
    let (root, _) = json::parse_object(text, &ParseOptions::default()).ok()?;
    root.get_string("currentTag").map(|it| it.value.trim().to_string()).filter(|it| !it.is_empty())
}

/// Whether `task` is one of `tag`'s tasks rather than a subtask or another tag's.
pub fn is_tag_task(tag: &str, task: &TaskKey) -> bool {
    let id = if tag == MASTER {
        Some(&*task.id).filter(|it| !it.contains('/'))
    } else {
        task.id.strip_prefix(tag).and_then(|it| it.strip_prefix('/'))
    };
    id.is_some_and(|it| !it.is_empty() && !it.contains('.'))
}

struct Reader<'a> {
    cx: &'a ParseContext<'a>,
    text: &'a str,
    shift: usize,
    /// Every task's and subtask's id in the file, as taskmark names it.
    ids: std::collections::HashSet<String>,
}

/// A task's `id` as written: a number, or a string (`"sync-engine"`).
fn written_id(object: &Object<'_>) -> Option<String> {
    match object.get("id").map(|it| &it.value) {
        Some(Value::NumberLit(number)) => Some(number.value.to_string()),
        Some(Value::StringLit(string)) if !string.value.trim().is_empty() => Some(string.value.trim().to_string()),
        _ => None,
    }
}

/// The task a dependency written `raw` names, in `tag`, from a task or (under `parent`) a
/// subtask: a sibling subtask, by its local id (`2` under task 13 is `13.2`; a string id too,
/// `repo-detection` under `discovery`); else the task of that id (`rust-sync-engine`, `12.3`);
/// else a legacy `13-1`, subtask 1 of task 13. A hyphen is part of an id unless that reading
/// names no task and the legacy one fits.
fn cited_task(tag: &str, parent: Option<&str>, raw: &str, exists: impl Fn(&str) -> bool) -> String {
    let named = |id: &str| exists(&task_id(tag, id));
    if let Some(parent) = parent
        && !raw.contains('.')
    {
        let sibling = format!("{parent}.{}", local_subtask_id(parent, raw));
        if named(&sibling) || !raw.contains('-') {
            return sibling;
        }
    }
    if named(raw) {
        return raw.to_string();
    }
    match raw.split_once('-') {
        Some((task, subtask))
            if !task.is_empty()
                && !subtask.is_empty()
                && task.chars().all(|c| c.is_ascii_digit())
                && subtask.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{task}.{subtask}")
        }
        _ => raw.to_string(),
    }
}

impl Reader<'_> {
    fn range(&self, it: jsonc_parser::common::Range) -> TextRange {
        json::span(self.shift, it)
    }

    /// The inside of a string literal, without its quotes.
    fn string_range(&self, it: jsonc_parser::common::Range) -> TextRange {
        json::string_span(self.shift, it)
    }

    /// One task (or, under `parent`, one subtask) and its subtasks, as places.
    fn task(&self, tag: &str, object: &Object<'_>, parent: Option<&str>, out: &mut ParsedFile) {
        let Some(written) = written_id(object) else { return };
        let id = match parent {
            Some(parent) => format!("{parent}.{}", local_subtask_id(parent, &written)),
            None => written,
        };
        let Some(Value::StringLit(status)) = object.get("status").map(|it| &it.value) else { return };
        let marker = self.string_range(status.range);
        let key = TaskKey::new(self.cx.scope, task_id(tag, &id));
        let mut place =
            place(self.cx, Subject::Task(key), PlaceKind::TaskJson, self.text, marker, Spelling::Word, Scope::Task);
        if self.text[marker] != *status.value {
            place.editable = Editability::ReadOnly("the status string contains escapes");
        }
        place.title = object.get_string("title").map(|it| (*it.value).into());
        place.extent = self.range(object.range);
        place.dependencies = object
            .get_array("dependencies")
            .into_iter()
            .flat_map(|it| it.elements.iter())
            .filter_map(|element| {
                let (raw, at) = match element {
                    Value::NumberLit(number) => (number.value.to_string(), self.range(number.range)),
                    Value::StringLit(string) => (string.value.trim().to_string(), self.string_range(string.range)),
                    _ => return None,
                };
                let cited = cited_task(tag, parent, &raw, |id| self.ids.contains(id));
                (!cited.is_empty()).then(|| Dependency { id: task_id(tag, &cited), range: at })
            })
            .collect();
        let at = out.places.len();
        out.places.push(place);
        if parent.is_none() {
            let first = out.places.len();
            for subtask in array_objects(object, "subtasks") {
                self.task(tag, subtask, Some(&id), out);
            }
            out.places[at].child_places = Children::new(first..out.places.len());
        }
    }
}

/// taskmaster-sync's `.taskmaster/sync-state-<tag>.json`: `task_metadata` holds what the last
/// sync pushed of each task to the GitHub project (`{"status": "pending", "title": ...}`), a
/// read-only place of the task. A task the record names that tasks.json no longer has is still
/// in the project (`task_mappings`).
pub fn parse_sync_state(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let Some(tag) = crate::layout::sync_state_tag(name) else { return out };
    let Some((root, shift)) = json::object_or_problem(text, &ParseOptions::default(), &mut out) else { return out };
    let reader = Reader { cx, text, shift, ids: std::collections::HashSet::new() };
    let Some(records) = root.get_object("task_metadata") else { return out };
    for record in &records.properties {
        let Value::Object(object) = &record.value else { continue };
        let Some(Value::StringLit(status)) = object.get("status").map(|it| &it.value) else { continue };
        let id = record.name.as_str().trim();
        if id.is_empty() {
            continue;
        }
        let key = TaskKey::new(cx.scope, task_id(tag, id));
        let marker = reader.string_range(status.range);
        let mut it = place(cx, Subject::Task(key), PlaceKind::SyncRecord, text, marker, Spelling::Word, Scope::Task);
        it.title = object.get_string("title").map(|it| (*it.value).into());
        it.extent = reader.range(object.range);
        it.editable =
            Editability::ReadOnly("taskmaster-sync writes its record when it syncs the GitHub project: run it");
        out.places.push(it);
    }
    out
}

/// A task file, `task_044.txt` or `task_044.md`: the task's status and each subtask's, read in
/// the file's own format (see the module's documentation).
pub fn parse_text(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let Some((_, tag)) = taskmaster_task_file(name) else { return ParsedFile::default() };
    let tag = if tag == MASTER { cx.untagged_tag.unwrap_or(MASTER) } else { tag };
    let places = TaskFilePlaces::new(cx, text, tag);
    if name.ends_with(".md") { read_markdown_task_file(places, text) } else { read_text_task_file(places, text) }
}

/// `task_044.txt`: `# Task ID: 44`, `# Title:`, `# Status: done`, and each subtask's
/// `## 1. Title [done]` (legacy `## 13-1. Title [completed]`).
fn read_text_task_file(mut places: TaskFilePlaces<'_>, text: &str) -> ParsedFile {
    for (offset, line) in lines_with_offsets(text) {
        let line = line.trim_end_matches('\r');
        if let Some(value) = line.strip_prefix("# Task ID:") {
            places.id = task_file_id(value);
            continue;
        }
        if let Some(value) = line.strip_prefix("# Title:") {
            places.title = Some(value.trim().to_string());
            continue;
        }
        if places.task_place.is_none()
            && let Some(marker) = field_value(line, offset, "# Status:")
        {
            places.task_status(marker);
            continue;
        }
        let Some(heading) = line.strip_prefix("## ") else { continue };
        let (Some(parent), Some(_)) = (&places.id, places.task_place) else { continue };
        let number_len = heading.find(". ").filter(|it| *it > 0).unwrap_or(0);
        let number = &heading[..number_len];
        if !number.starts_with(|c: char| c.is_ascii_digit())
            || !number.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '.')
        {
            continue;
        }
        let Some(close) = heading.rfind(']').filter(|it| heading[*it + 1..].trim().is_empty()) else { continue };
        let Some(open) = heading[..close].rfind('[') else { continue };
        let heading_start = offset + "## ".len();
        let marker = range(heading_start + open + 1, heading_start + close);
        if marker.is_empty() {
            continue;
        }
        let local = local_subtask_id(parent, number).to_string();
        let title = heading.get(number_len + 2..open).unwrap_or_default().trim().to_string();
        places.subtask(offset, &local, title, marker);
    }
    places.finish()
}

/// `task_044.md`, as `task-master generate` writes it since eyaltoledano/claude-task-master#1446:
/// `# Task ID: 44`, `**Title:** Journal`, `**Status:** done`, then under `## Subtasks` each
/// subtask's heading `### 44.1. Photos` with `**Status:** done  ` as the next line that is not
/// blank. Only the first `**Status:**` after `# Task ID:` is the task's, and a subtask heading
/// is one only under `## Subtasks`, with the task's id before its number and its status line
/// right after it: the description and details are free text, which may write either (a
/// quoted status, a `###` heading of its own).
fn read_markdown_task_file(mut places: TaskFilePlaces<'_>, text: &str) -> ParsedFile {
    // A subtask's heading read, waiting for its status line: where it starts, its local id and title.
    let mut heading: Option<(usize, String, String)> = None;
    // Whether the `## Subtasks` section began: Task Master writes it after the task's own text.
    let mut in_subtasks = false;
    for (offset, line) in lines_with_offsets(text) {
        let line = line.trim_end_matches('\r');
        if let Some((start, local, title)) = heading.take() {
            if line.trim().is_empty() {
                heading = Some((start, local, title));
                continue;
            }
            if let Some(marker) = field_value(line, offset, "**Status:**") {
                places.subtask(start, &local, title, marker);
                continue;
            }
        }
        if places.id.is_none() {
            if let Some(value) = line.strip_prefix("# Task ID:") {
                places.id = task_file_id(value);
            }
            continue;
        }
        if places.task_place.is_none() {
            if let Some(value) = line.strip_prefix("**Title:**") {
                places.title = Some(value.trim().to_string());
            } else if let Some(marker) = field_value(line, offset, "**Status:**") {
                places.task_status(marker);
            }
            continue;
        }
        if line.trim_end() == "## Subtasks" {
            in_subtasks = true;
            continue;
        }
        let (true, Some(parent)) = (in_subtasks, &places.id) else { continue };
        // `### 44.1. Photos`: the task's id, a dot, the subtask's (legacy `13-1`), `. `, the title.
        let Some((number, title)) = line.strip_prefix("### ").and_then(|it| it.split_once(". ")) else { continue };
        let Some(written) = number.strip_prefix(parent.as_str()).and_then(|it| it.strip_prefix('.')) else { continue };
        if written.is_empty() || !written.chars().all(|c| c.is_ascii_digit() || c == '-') {
            continue;
        }
        heading = Some((offset, local_subtask_id(parent, written).to_string(), title.trim().to_string()));
    }
    places.finish()
}

/// The task id of a task file's `# Task ID: 44` line (its value given), its leading digits.
fn task_file_id(value: &str) -> Option<String> {
    let value = value.trim();
    let digits = leading_digits(value);
    (digits > 0).then(|| crate::markdown::numeric_id(&value[..digits]))
}

/// The range of a field line's value (`# Status: done`, `**Status:** done  `), the line at
/// `offset` starting with `label`; `None` for another line or an empty value.
fn field_value(line: &str, offset: usize, label: &str) -> Option<TextRange> {
    let value = line.strip_prefix(label)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return None;
    }
    let start = offset + label.len() + (value.len() - value.trim_start().len());
    Some(range(start, start + trimmed.len()))
}

/// A task file's places as its lines are read, whatever its format: the task's, then each
/// subtask's, which runs to the next subtask's heading.
struct TaskFilePlaces<'a> {
    cx: &'a ParseContext<'a>,
    text: &'a str,
    tag: &'a str,
    out: ParsedFile,
    /// The task's id, from its `# Task ID:` line.
    id: Option<String>,
    /// The task's title, when read before its status.
    title: Option<String>,
    task_place: Option<usize>,
    /// The subtask being read: its place, where its block starts.
    subtask: Option<(usize, usize)>,
    first_subtask: Option<usize>,
}

impl<'a> TaskFilePlaces<'a> {
    fn new(cx: &'a ParseContext<'a>, text: &'a str, tag: &'a str) -> Self {
        TaskFilePlaces {
            cx,
            text,
            tag,
            out: ParsedFile::default(),
            id: None,
            title: None,
            task_place: None,
            subtask: None,
            first_subtask: None,
        }
    }

    /// The task's status at `marker`: its place, the whole file, once its id is known.
    fn task_status(&mut self, marker: TextRange) {
        let Some(id) = &self.id else { return };
        let key = TaskKey::new(self.cx.scope, task_id(self.tag, id));
        let mut place =
            place(self.cx, Subject::Task(key), PlaceKind::TaskText, self.text, marker, Spelling::Word, Scope::Task);
        place.title = self.title.as_deref().map(Into::into);
        place.extent = range(0, self.text.len());
        self.task_place = Some(self.out.places.len());
        self.out.places.push(place);
    }

    /// Subtask `local` of the task, whose block starts at `start`, its status at `marker`.
    fn subtask(&mut self, start: usize, local: &str, title: String, marker: TextRange) {
        let (Some(parent), Some(_)) = (&self.id, self.task_place) else { return };
        if marker.is_empty() {
            return;
        }
        let key = TaskKey::new(self.cx.scope, task_id(self.tag, &format!("{parent}.{local}")));
        if let Some((previous, previous_start)) = self.subtask.take() {
            self.out.places[previous].extent = range(previous_start, start);
        }
        let mut place =
            place(self.cx, Subject::Task(key), PlaceKind::TaskText, self.text, marker, Spelling::Word, Scope::Task);
        place.title = Some(title.into());
        self.first_subtask.get_or_insert(self.out.places.len());
        self.subtask = Some((self.out.places.len(), start));
        self.out.places.push(place);
    }

    fn finish(mut self) -> ParsedFile {
        if let Some((previous, start)) = self.subtask {
            self.out.places[previous].extent = range(start, self.text.len());
        }
        if let (Some(task), Some(first)) = (self.task_place, self.first_subtask) {
            self.out.places[task].child_places = Children::new(first..self.out.places.len());
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::classify;
    use crate::vocabulary::Kind;

    fn read(path: &str, text: &str) -> (ParsedFile, crate::vocabulary::Profile) {
        let profile = crate::profiles::taskmaster();
        let class = classify(path);
        let cx = ParseContext { path, class: &class, profile: &profile, scope: &class.root, untagged_tag: None };
        let parsed = match class.role {
            crate::layout::Role::TaskMasterTasks => parse_tasks(&cx, text),
            _ => parse_text(&cx, text),
        };
        (parsed, profile)
    }

    fn summary(parsed: &ParsedFile, profile: &crate::vocabulary::Profile) -> Vec<String> {
        parsed
            .places
            .iter()
            .map(|it| {
                let status = it.status.map_or("?".to_string(), |status| profile.status(status).id.clone());
                let children = it.child_places.len();
                format!("{} {status} {} children {children}", it.task().map_or("", |task| &*task.id), it.marker.text)
            })
            .collect()
    }

    #[test]
    fn tagged_tasks_and_their_subtasks_are_places() {
        let text = r#"{
  "master": {
    "tasks": [
      {"id": 13, "title": "Parse", "status": "done", "dependencies": [12],
       "subtasks": [{"id": 1, "title": "a", "status": "pending", "dependencies": []},
                    {"id": 2, "title": "b", "status": "completed", "dependencies": [1, "12.3"]}]}
    ],
    "metadata": {"taskCount": 1}
  },
  "bugfix-tui": {"tasks": [{"id": 3, "title": "Fix", "status": "in-progress", "dependencies": [2]}]}
}"#;
        let (parsed, profile) = read(".taskmaster/tasks/tasks.json", text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(
            summary(&parsed, &profile),
            [
                "13 done done children 2",
                "13.1 pending pending children 0",
                "13.2 done completed children 0",
                "bugfix-tui/3 in-progress in-progress children 0"
            ]
        );
        assert_eq!(parsed.places[0].task().map(|it| &*it.scope), Some(".taskmaster"));
        let dependencies =
            |at: usize| parsed.places[at].dependencies.iter().map(|it| it.id.clone()).collect::<Vec<_>>();
        assert_eq!(dependencies(0), ["12"]);
        assert_eq!(dependencies(2), ["13.1", "12.3"]);
        assert_eq!(dependencies(3), ["bugfix-tui/2"]);
        // The marker is the string's inside: what an edit replaces.
        assert_eq!(&text[parsed.places[1].marker.range], "pending");
        assert_eq!(parsed.places[2].status.map(|it| profile.kind(it)), Some(Kind::Done));
    }

    /// Ids may be strings with hyphens (5dlabs/taskmaster-sync: `rust-real-issues`, subtasks
    /// `repo-detection` citing each other): a dependency names the task of that id, or the
    /// sibling subtask, never a dotted misreading (`rust.real.issues`, which held 18 tasks
    /// back in `next` as waiting on no task). A legacy `13-1` still names subtask 1 of 13.
    #[test]
    fn dependencies_name_string_ids_with_hyphens_as_written() {
        let text = r#"{"master": {"tasks": [
  {"id": "rust-sync-engine", "status": "done", "dependencies": []},
  {"id": "rust-real-issues", "status": "done", "dependencies": ["rust-sync-engine"]},
  {"id": "auto-project-discovery", "status": "pending", "dependencies": ["rust-real-issues"],
   "subtasks": [
     {"id": "repo-detection", "status": "pending", "dependencies": []},
     {"id": "project-discovery-api", "status": "pending", "dependencies": ["repo-detection"]},
     {"id": "cli", "status": "pending", "dependencies": ["project-discovery-api", "rust-sync-engine", 1]}]},
  {"id": 13, "status": "pending", "dependencies": ["13-1", "12-4"], "subtasks": [{"id": 1, "status": "done"}]}
]}}"#;
        let (parsed, _) = read(".taskmaster/tasks/tasks.json", text);
        let dependencies = |task: &str| -> Vec<String> {
            let place = parsed.places.iter().find(|it| it.task().is_some_and(|key| &*key.id == task));
            place.map(|it| it.dependencies.iter().map(|it| it.id.clone()).collect()).unwrap_or_default()
        };
        assert_eq!(dependencies("rust-real-issues"), ["rust-sync-engine"]);
        assert_eq!(dependencies("auto-project-discovery"), ["rust-real-issues"]);
        assert_eq!(
            dependencies("auto-project-discovery.project-discovery-api"),
            ["auto-project-discovery.repo-detection"]
        );
        assert_eq!(
            dependencies("auto-project-discovery.cli"),
            ["auto-project-discovery.project-discovery-api", "rust-sync-engine", "auto-project-discovery.1"]
        );
        assert_eq!(dependencies("13"), ["13.1", "12.4"]);
    }

    #[test]
    fn a_legacy_file_is_the_master_tag_and_dashed_subtask_ids_are_dotted() {
        let text = r#"{"tasks": [{"id": 13, "status": "done", "subtasks": [{"id": "13-1", "status": "completed"}]}]}"#;
        let (parsed, profile) = read(".taskmaster/tasks/tasks.json", text);
        assert_eq!(summary(&parsed, &profile), ["13 done done children 1", "13.1 done completed children 0"]);
    }

    #[test]
    fn broken_json_is_a_problem_and_no_place() {
        let (parsed, _) = read(".taskmaster/tasks/tasks.json", "{\"master\": {\"tasks\": [");
        assert!(parsed.places.is_empty());
        assert_eq!(parsed.problems.len(), 1);
    }

    #[test]
    fn odd_subtask_headings_are_skipped_or_read_without_panicking() {
        let text = "# Task ID: 7\n# Status: pending\n## 1. [\n## 2. ]x[\n## -. a [done]\n## 3. []\n## 4.[done]\n## 5. [done]\n## 6. t\u{e9}st [d\u{f6}ne]\n";
        let (parsed, _) = read(".taskmaster/tasks/task_007.txt", text);
        let ids: Vec<String> = parsed.places.iter().filter_map(|it| it.task()).map(|it| it.id.to_string()).collect();
        assert_eq!(ids, ["7", "7.5", "7.6"]);
        assert!(parsed.places[2].unknown.is_some(), "an unknown word is reported, not guessed");
    }

    #[test]
    fn a_text_file_repeats_the_task_and_its_subtasks() {
        let text = "# Task ID: 44\n# Title: Journal\n# Status: done\n# Dependencies: None\n\n# Subtasks:\n## 1. Photos [done]\n### Dependencies: None\n\n## 2. Places [pending]\n### Details:\nx [y]\n";
        let (parsed, profile) = read(".taskmaster/tasks/task_044.txt", text);
        assert_eq!(
            summary(&parsed, &profile),
            ["44 done done children 2", "44.1 done done children 0", "44.2 pending pending children 0"]
        );
        assert_eq!(parsed.places[2].title.as_deref(), Some("Places"));
        let (tagged, _) = read(".taskmaster/tasks/task_003_bugfix-tui.txt", "# Task ID: 3\n# Status: review\n");
        assert_eq!(tagged.places[0].task().map(|it| it.id.to_string()), Some("bugfix-tui/3".into()));
        let (legacy, profile) =
            read(".taskmaster/tasks/task_013.txt", "# Task ID: 13\n# Status: done\n## 13-1. Old [completed]\n");
        assert_eq!(summary(&legacy, &profile)[1], "13.1 done completed children 0");
    }

    /// The markdown file `task-master generate` writes (RustyMail's `task_016.md`): the task's
    /// first `**Status:**`, and a `### 16.1. Title` heading over a status line, with CRLF line
    /// ends and the two spaces Task Master ends a subtask's lines with outside the marker.
    /// Headings before `## Subtasks`, of another task's id, or without a status line are the
    /// details' own.
    #[test]
    fn a_markdown_task_file_repeats_the_task_and_its_subtasks() {
        let text = "# Task ID: 16\r\n\r\n**Title:** Dialog\r\n\r\n**Status:** done\r\n\r\n**Details:**\r\n\r\n### 16.7. In the details\r\n\r\n**Status:** pending\r\n\r\n## Subtasks\r\n\r\n### 16.1. Logging\r\n\r\n**Status:** done  \r\n**Dependencies:** None  \r\n\r\n### 15.2. Another task's\r\n\r\n**Status:** done  \r\n\r\n### 16.3. No status line\r\n\r\nText\r\n\r\n### 16.16-4. Legacy id\r\n\r\n**Status:** in-progress  \r\n";
        let (parsed, profile) = read(".taskmaster/tasks/task_016.md", text);
        assert_eq!(
            summary(&parsed, &profile),
            ["16 done done children 2", "16.1 done done children 0", "16.4 in-progress in-progress children 0"]
        );
        assert_eq!(parsed.places[0].title.as_deref(), Some("Dialog"));
        assert_eq!(parsed.places[2].title.as_deref(), Some("Legacy id"));
        let (tagged, _) = read(".taskmaster/tasks/task_003_bugfix-tui.md", "# Task ID: 3\n\n**Status:** review\n");
        assert_eq!(tagged.places[0].task().map(|it| it.id.to_string()), Some("bugfix-tui/3".into()));
        let (unread, _) = read(".taskmaster/tasks/task_004.md", "**Status:** done\n# Task ID: 4\n**Status:**\n");
        assert!(unread.places.is_empty(), "a status before the id, or empty, is none");
    }

    /// taskmaster-sync's record of the GitHub project (5dlabs/taskmaster-sync): a task it
    /// pushed `pending` that tasks.json has `done` since is a hint at the record, and a task it
    /// holds that tasks.json no longer has, an orphan hint. Neither is drift a `set` creates:
    /// setting the task, which cannot write the record, is no refusal.
    #[test]
    fn a_sync_record_behind_tasks_json_is_a_hint() {
        use crate::config::Config;
        use crate::diagnostic::{RuleCode, Severity};
        use crate::edit::FixCheck;
        use crate::rules::DiagnosticStore;
        let fixture = r#"%! .taskmaster/tasks/tasks.json
{"master": {"tasks": [
  {"id": "sync-engine", "title": "Engine", "status": "done", "dependencies": []},
  {"id": "docs", "title": "Docs", "status": "pending", "dependencies": []}
]}}
%! .taskmaster/sync-state-master.json
{
  "task_mappings": {"sync-engine": "PVTI_1", "demo": "PVTI_2"},
  "task_metadata": {
    "sync-engine": {"github_item_id": "PVTI_1", "title": "Engine", "status": "pending"},
    "docs": {"github_item_id": "PVTI_3", "title": "Docs", "status": "pending"},
    "demo": {"github_item_id": "PVTI_2", "title": "Demo", "status": "in-progress"}
  }
}
"#;
        let (index, found) = crate::fixture::diagnostics(fixture, None);
        crate::fixture::assert_diagnostics(
            &found,
            &[
                (RuleCode::StatusMismatch, Severity::Hint, "sync-engine"),
                (RuleCode::OrphanTask, Severity::Hint, "demo"),
            ],
        );
        let behind = found.iter().find(|it| it.code == RuleCode::StatusMismatch).expect("the record behind");
        assert_eq!(
            behind.message,
            "the GitHub project still has task sync-engine `pending` (taskmaster-sync's record); its tasks.json entry says `done` since: the next sync pushes it"
        );
        assert_eq!(index.path(behind.file), ".taskmaster/sync-state-master.json");
        // A task only the record holds is no task of the tracker's.
        let listed: Vec<String> = crate::lifecycle::list::list_tasks(&index, &Default::default())
            .iter()
            .map(|it| it.summary.task.id.to_string())
            .collect();
        assert_eq!(listed, ["docs", "sync-engine"]);
        // `set` writes tasks.json and leaves the record, read only, to the sync.
        let key = TaskKey::new(".taskmaster", "docs");
        let change = crate::edit::plan_status_change(
            &index,
            &key,
            "in-progress",
            &crate::fixture::options_at("2026-11-27T10:00:00Z"),
        )
        .unwrap_or_else(|it| panic!("{it}"));
        assert_eq!(
            change.files.iter().map(|it| it.path.as_str()).collect::<Vec<_>>(),
            [".taskmaster/tasks/tasks.json"]
        );
        let config = Config::default();
        let paths = crate::fixture::paths(fixture);
        let store = DiagnosticStore::new(&index, &config, None, &paths);
        let check = FixCheck { config: &config, baseline: None, paths: &paths };
        crate::edit::refuse_new_drift(&index, &store, &check, &change).unwrap_or_else(|it| panic!("{it}"));
    }
}
