//! Task Master: `.taskmaster/tasks/tasks.json` and the `task_NNN.txt` files it generates.
//!
//! tasks.json is tagged (`{"master": {"tasks": [...], "metadata": {...}}, "<tag>": {...}}`) or
//! legacy (`{"tasks": [...]}`, the `master` tag). A task has a numeric `id` (some projects use
//! strings), a `status`, `dependencies` and `subtasks`, whose ids are local to their parent:
//! subtask 1 of task 13 is `13.1` wherever Task Master cites it (legacy files write `"13-1"`).
//! Each tag numbers its tasks from 1, so a task of another tag than `master` is named with its
//! tag: `bugfix-tui/3`, `bugfix-tui/3.1`.
//!
//! A text file repeats one task (`# Task ID: 44`, `# Status: done`) and its subtasks
//! (`## 1. Title [done]`): a second place of each, which Task Master writes again only when
//! asked (`task-master generate`), so it drifts. A tag's files are `task_044_<tag>.txt`, and
//! the untagged `task_044.txt` are `master`'s; a tracker with no `master` tag has them from the
//! tag it had (co8/cctelegram: tag `data` alone, tasks 13-44, `task_013.txt` ...): its only
//! tag, or among several, the one state.json's `currentTag` names ([`untagged_tag`]).

use jsonc_parser::ParseOptions;
use jsonc_parser::ast::{Object, Value};

use crate::layout::{leading_digits, taskmaster_text_file};
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

/// The tag the untagged `task_NNN.txt` files belong to when it is not `master`: with no
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

/// `task_044.txt`: the task's `# Status:` and each subtask's `## N. Title [status]`.
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

pub fn parse_text(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let Some((_, tag)) = taskmaster_text_file(name) else { return out };
    let tag = if tag == MASTER { cx.untagged_tag.unwrap_or(MASTER) } else { tag };
    let mut id: Option<String> = None;
    let mut title: Option<String> = None;
    let mut task_place: Option<usize> = None;
    // The subtask being read: its place, where its block starts.
    let mut subtask: Option<(usize, usize)> = None;
    let mut first_subtask = None;
    for (offset, line) in lines_with_offsets(text) {
        let line = line.trim_end_matches('\r');
        if let Some(value) = line.strip_prefix("# Task ID:") {
            let value = value.trim();
            let digits = leading_digits(value);
            id = (digits > 0).then(|| crate::markdown::numeric_id(&value[..digits]));
            continue;
        }
        if let Some(value) = line.strip_prefix("# Title:") {
            title = Some(value.trim().to_string());
            continue;
        }
        if let Some(value) = line.strip_prefix("# Status:")
            && task_place.is_none()
            && let Some(id) = &id
        {
            let value_text = value.trim();
            if value_text.is_empty() {
                continue;
            }
            let start = offset + "# Status:".len() + (value.len() - value.trim_start().len());
            let key = TaskKey::new(cx.scope, task_id(tag, id));
            let marker = range(start, start + value_text.len());
            let mut place =
                place(cx, Subject::Task(key), PlaceKind::TaskText, text, marker, Spelling::Word, Scope::Task);
            place.title = title.as_deref().map(Into::into);
            place.extent = range(0, text.len());
            task_place = Some(out.places.len());
            out.places.push(place);
            continue;
        }
        // `## 1. Title [done]` (legacy `## 13-1. Title [completed]`).
        let Some(heading) = line.strip_prefix("## ") else { continue };
        let (Some(parent), Some(_)) = (&id, task_place) else { continue };
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
        if let Some((previous, start)) = subtask.take() {
            out.places[previous].extent = range(start, offset);
        }
        let local = local_subtask_id(parent, number);
        let key = TaskKey::new(cx.scope, task_id(tag, &format!("{parent}.{local}")));
        let mut place = place(cx, Subject::Task(key), PlaceKind::TaskText, text, marker, Spelling::Word, Scope::Task);
        place.title = Some(heading.get(number_len + 2..open).unwrap_or_default().trim().into());
        first_subtask.get_or_insert(out.places.len());
        subtask = Some((out.places.len(), offset));
        out.places.push(place);
    }
    if let Some((previous, start)) = subtask {
        out.places[previous].extent = range(start, text.len());
    }
    if let (Some(task), Some(first)) = (task_place, first_subtask) {
        out.places[task].child_places = Children::new(first..out.places.len());
    }
    out
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
