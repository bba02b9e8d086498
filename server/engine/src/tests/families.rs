//! The other tracker families of `formats.md`: minsky, checklists, spec-kit, Backlog.md,
//! compozy, PIDEA and prose.

use insta::assert_snapshot;

use crate::fixture::{check, index};
use crate::model::{PlaceKind, ProseOutcome, TaskKey};

#[test]
fn minsky_index_and_specs() {
    assert_snapshot!(check(
        r#"%! process/tasks.md
# Tasks
- [x] Done task [#001](process/tasks/001-done.md)
- [+] Held task [#154](process/tasks/154-held.md)
- [-] In review [#042](process/tasks/042-review.md)
- [?] Odd box [#043](process/tasks/043-odd.md)
%! process/tasks/001-done.md
# Task 001: Done task
%! process/tasks/154-held.md
# Task 154: Held task

## Status

**ON HOLD** - Waiting for completion of task 141
%! process/tasks/042-review.md
# Review

## Status

IN-REVIEW
%! process/tasks/157-unlisted.md
# Task 157: Not in the index

## Status

NEW
"#
    ));
}

#[test]
fn github_checklist_nesting() {
    assert_snapshot!(check(
        r#"%! TODO.md
# TODO
- [x] Parent done
  - [ ] Child still open
- [ ] Parent open
  - [x] Only child done
- [/] In progress (Obsidian)
- [-] Cancelled (Obsidian)
- [~] Not a GitHub box
- [P] a tag, not a box
```
- [~] in code: ignored
```
"#
    ));
}

#[test]
fn spec_kit_tasks() {
    let fixture = r#"%! specs/001-mvp/tasks.md
## Phase 1: Setup
- [X] T001 Create project
- [ ] T002 [P] Configure
- [X] T002 Duplicate id
- [P] tasks = different files (legend, not a task)
"#;
    let found = check(fixture);
    assert!(found.contains("duplicate-task"), "{found}");
    assert!(!found.contains("unknown-status"), "{found}");
    let index = index(fixture);
    assert!(index.task(&TaskKey::new("specs/001-mvp", "T001")).is_some());
}

#[test]
fn spec_kit_tasks_written_with_the_id_before_the_box() {
    // As a hand-written spec-kit file numbers them: `1.  **T018**: [x] ...`.
    let fixture = r#"%! specs/002-timer/tasks.md
## Phase 3: User Story 1

1.  **T018**: [x] Create a new React context for the timer.
2.  **T019:** [ ] Wire the context into the page.
3.  **T020**: Initialize Supabase (Done by user).
- T021: [ ] Test the timer
"#;
    let index = index(fixture);
    let status = |id: &str| {
        let task = index.task(&TaskKey::new("specs/002-timer", id))?;
        let place = index.place(*task.places.first()?);
        Some(index.profile_of(task)?.status(place.status?).id.clone())
    };
    assert_eq!(status("T018").as_deref(), Some("done"));
    assert_eq!(status("T019").as_deref(), Some("open"));
    assert_eq!(status("T020"), None, "a line with no box is no place");
    assert_eq!(status("T021").as_deref(), Some("open"));
    assert_eq!(check(fixture), "", "nothing to report");
    let change = crate::edit::plan_status_change(
        &index,
        &TaskKey::new("specs/002-timer", "T019"),
        "done",
        &crate::edit::StatusChangeOptions::new(crate::timestamp::Now::from_timestamp(
            "2026-11-29T12:00:00Z".parse().expect("a time"),
        )),
    )
    .expect("planned");
    let (_, written) = change.apply(&index).into_iter().next().expect("one file");
    assert!(written.contains("2.  **T019:** [x] Wire the context into the page.\n"), "{written}");
    assert!(written.contains("1.  **T018**: [x] Create"), "{written}");
}

#[test]
fn backlog_statuses_come_from_config() {
    assert_snapshot!(check(
        r#"%! backlog/config.yml
statuses: ["To Do", "In Progress", "Review", "Done"]
%! backlog/tasks/back-1 - First.md
---
id: BACK-1
title: First
status: Review
dependencies: [task-2]
---
## Acceptance Criteria
<!-- AC:BEGIN -->
- [x] #1 one
- [x] #2 two
<!-- AC:END -->
%! backlog/tasks/back-2 - Second.md
---
id: BACK-2
status: To Do
assignee: @someone
---
%! backlog/tasks/back-3 - Third.md
---
id: BACK-3
status: Done
---
<!-- AC:BEGIN -->
- [ ] #1 unchecked
<!-- AC:END -->
%! backlog/tasks/back-4 - Fourth.md
---
id: BACK-4
status: Blocked
---
"#
    ));
}

#[test]
fn compozy_index_and_task_files() {
    assert_snapshot!(check(
        r#"%! tasks/prd-kanban/_tasks.md
## Tasks

- [x] 1.0 Backend: SQLite
  - Depends on: none

- [ ] 6.0 Observability [DEFERRED]
  - Depends on: 1.0

- [ ] 9.0 Optimistic updates [DEFERRED]
  - Depends on: 1.0

- [x] 12.0 Not written yet
%! tasks/prd-kanban/1_task.md
---
status: completed
---
# Task 1.0: Backend

- [x] 1.1 Schema
%! tasks/prd-kanban/6_task.md
---
status: deferred
---
%! tasks/prd-kanban/9_task.md
---
status: completed
---
"#
    ));
}

#[test]
fn pidea_index_phases_and_folder() {
    assert_snapshot!(check(
        r#"%! roadmap/completed/auto/sync/sync-index.md
# Sync - Master Index
## Overview
- **Status**: Completed
- **Completed**: 2025-09-28T17:54:16.000Z

## Phases
| Phase | File | Status | Time |
|-------|------|--------|------|
| 1 | [Phase 1](./sync-phase-1.md) | Completed | 2h |
| 2 | [Phase 2](./sync-phase-2.md) | ✅ Ready | 3h |
%! roadmap/completed/auto/sync/sync-phase-1.md
- **Status**: Completed
%! roadmap/completed/auto/sync/sync-phase-2.md
- **Status**: In Progress
"#
    ));
}

#[test]
fn prose_statuses_are_indexed_not_diagnosed() {
    let fixture =
        "%! memory-bank/progress.md\n## ✅ PHASE 3 COMPLETED\n- ❌ Not implemented\n- **Status**: [WHATEVER]\n";
    assert_eq!(check(fixture), "");
    let index = index(fixture);
    let file = index.file_id("memory-bank/progress.md").unwrap();
    let outcomes: Vec<ProseOutcome> = index.parsed(file).prose.iter().map(|it| it.outcome).collect();
    assert_eq!(outcomes, vec![ProseOutcome::Done, ProseOutcome::Failed]);
}

#[test]
fn root_todo_with_sections_joins_the_specs_tracker() {
    let index = index(
        r#"%! TODO.md
### 5. Root section
- **Status**: [PLANNED]
%! specs/state.json
{"active_projects": [{"project_number": 5, "status": "planned"}]}
"#,
    );
    let task = index.task(&TaskKey::new("specs", "5")).unwrap();
    let kinds: Vec<PlaceKind> = task.places.iter().map(|it| index.place(*it).kind).collect();
    assert_eq!(kinds, vec![PlaceKind::TodoSection, PlaceKind::StateJson]);
}

/// Backlog.md's drafts say `status: Draft` whatever the config lists, and the tasks `backlog
/// cleanup` moved to backlog/completed/ are history: left as they were finished.
#[test]
fn backlog_drafts_and_completed_tasks() {
    let fixture = r#"%! backlog/config.yml
statuses: ["To Do", "In Progress", "Done"]
%! backlog/drafts/draft-3 - Idea.md
---
id: draft-3
status: Draft
---
%! backlog/completed/task-103 - Shipped.md
---
id: task-103
status: Done
---
<!-- AC:BEGIN -->
- [ ] #1 never ticked
<!-- AC:END -->
%! backlog/tasks/task-104 - Live.md
---
id: task-104
status: Done
---
<!-- AC:BEGIN -->
- [ ] #1 never ticked
<!-- AC:END -->
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    let reported: Vec<(String, crate::diagnostic::RuleCode)> =
        found.iter().map(|it| (index.path(it.file).to_string(), it.code)).collect();
    assert_eq!(
        reported,
        [("backlog/tasks/task-104 - Live.md".to_string(), crate::diagnostic::RuleCode::OpenChildren)],
        "{found:?}"
    );
}

/// Task Master: tasks.json (tagged) and the task files generated from it. A file behind
/// tasks.json is the one named stale; a done task over open subtasks is open-children in
/// tasks.json only (the file is a copy); a file for a task tasks.json no longer has is left
/// over. Setting a status writes both places; closing the subtasks closes them in both.
#[test]
fn taskmaster_tasks_json_and_task_files() {
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{
  "master": {
    "tasks": [
      {"id": 1, "title": "Parse", "status": "done", "dependencies": [],
       "subtasks": [{"id": 1, "title": "Lexer", "status": "done", "dependencies": []},
                    {"id": 2, "title": "Parser", "status": "pending", "dependencies": [1]}]},
      {"id": 2, "title": "Check", "status": "in-progress", "dependencies": [1]}
    ]
  },
  "bugfix": {"tasks": [{"id": 1, "title": "Crash", "status": "completed", "dependencies": []}]}
}
%! .taskmaster/tasks/task_001.txt
# Task ID: 1
# Title: Parse
# Status: done
# Dependencies: None

# Subtasks:
## 1. Lexer [done]
### Dependencies: None

## 2. Parser [pending]
### Dependencies: 1.1
%! .taskmaster/tasks/task_002.txt
# Task ID: 2
# Title: Check
# Status: pending
%! .taskmaster/tasks/task_009.txt
# Task ID: 9
# Title: Gone
# Status: pending

# Subtasks:
## 1. Gone too [pending]
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    let rendered = crate::fixture::render(&index, &found);
    assert_snapshot!(rendered);
    // Setting a status writes tasks.json and the task file.
    let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
    let change = crate::edit::plan_status_change(&index, &TaskKey::new(".taskmaster", "2"), "review", &options)
        .unwrap_or_else(|refusal| panic!("{refusal}"));
    let written: Vec<(String, String)> = change.apply(&index);
    let text = |path: &str| written.iter().find(|(it, _)| it == path).map(|(_, text)| text.clone()).unwrap_or_default();
    assert!(text(".taskmaster/tasks/tasks.json").contains(r#""title": "Check", "status": "review""#));
    assert!(text(".taskmaster/tasks/task_002.txt").contains("# Status: review"));
    // A tag's tasks are named with the tag; `completed` reads as done.
    let crash = index.task_status(&TaskKey::new(".taskmaster", "bugfix/1")).map(|(_, it)| it);
    let profile = index.task_profile(&TaskKey::new(".taskmaster", "bugfix/1")).expect("the tag's task is indexed");
    assert_eq!(crash.map(|it| profile.status(it).id.clone()), Some("done".into()));
    // Closing the open subtasks closes them everywhere they are written.
    let open_children = found
        .iter()
        .find(|it| it.code == crate::diagnostic::RuleCode::OpenChildren)
        .expect("task 1 is done over an open subtask");
    assert_eq!(crate::edit::fix_titles(&index, open_children)[0], "Close the open subtasks under task 1");
    let closed = crate::edit::plan_fix(&index, open_children, 0, &options).unwrap_or_else(|it| panic!("{it}"));
    let written = closed.apply(&index);
    let text = |path: &str| written.iter().find(|(it, _)| it == path).map(|(_, text)| text.clone()).unwrap_or_default();
    assert!(text(".taskmaster/tasks/tasks.json").contains(r#""title": "Parser", "status": "done""#));
    assert!(text(".taskmaster/tasks/task_001.txt").contains("## 2. Parser [done]"));
    // A task file behind tasks.json is what `task-master generate` rewrites: `fix` writes it
    // (the third hold-out review: 12 such, "tasks.json says so", and nothing fixed), and
    // leaves tasks.json, the disagreements among sources and the left-over file alone.
    let paths = crate::fixture::paths(fixture);
    let config = crate::config::Config::default();
    let check = crate::edit::FixCheck { config: &config, baseline: None, paths: &paths };
    let options = crate::edit::StatusChangeOptions { restamp: false, ..options };
    let fixes = crate::edit::run_safe_fixes(&index, &check, &crate::edit::SAFE_FIX_CODES, &options)
        .unwrap_or_else(|refusal| panic!("{refusal}"));
    assert_eq!(fixes.fixed.get(&crate::diagnostic::RuleCode::StatusMismatch), Some(&1), "{:?}", fixes.fixed);
    let written: Vec<String> = fixes.change.files.iter().map(|it| it.path.clone()).collect();
    assert_eq!(written, [".taskmaster/tasks/task_002.txt"]);
    assert_eq!(
        fixes.index.text_at(".taskmaster/tasks/task_002.txt").map(|it| it.contains("# Status: in-progress")),
        Some(true)
    );
}

/// Task Master's per-tag metadata counts: a stale one is reported with a safe fix, and a status
/// change moves `completedCount` with the task.
#[test]
fn taskmaster_tag_counts_follow_the_tasks() {
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{
  "master": {
    "tasks": [
      {"id": 1, "title": "One", "status": "done", "dependencies": []},
      {"id": 2, "title": "Two", "status": "pending", "dependencies": []}
    ],
    "metadata": {"taskCount": 3, "completedCount": 1}
  },
  "ops": {
    "tasks": [{"id": 1, "title": "Deploy", "status": "done", "dependencies": []}],
    "metadata": {"taskCount": 1, "completedCount": 1}
  }
}
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    let stale: Vec<&str> =
        found.iter().filter(|it| it.code == crate::diagnostic::RuleCode::StaleCounts).map(|it| &*it.message).collect();
    assert_eq!(stale, ["master's taskCount is 3 but tasks.json holds 2 tasks in master"]);
    assert!(found.iter().all(|it| it.code != crate::diagnostic::RuleCode::StaleCounts || crate::edit::is_safe_fix(it)));
    let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
    let change = crate::edit::plan_status_change(&index, &TaskKey::new(".taskmaster", "2"), "done", &options)
        .unwrap_or_else(|refusal| panic!("{refusal}"));
    let text = change.apply(&index).pop().map(|(_, text)| text).unwrap_or_default();
    assert!(text.contains(r#""metadata": {"taskCount": 3, "completedCount": 2}"#), "{text}");
    assert!(text.contains(r#""metadata": {"taskCount": 1, "completedCount": 1}"#), "another tag's counts stay");
    let described = crate::edit::describe_change(&index, &change);
    assert_eq!(described[0].parts, ["status", "master completedCount"]);
}

/// The ids `list` shows of a Task Master tracker.
fn taskmaster_listed(index: &crate::index::WorkspaceIndex) -> Vec<String> {
    crate::lifecycle::list::list_tasks(index, &Default::default())
        .iter()
        .map(|it| it.summary.task.id.to_string())
        .collect()
}

/// Task Master writes `master`'s task files untagged (`task_013.txt`) and another tag's as
/// `task_013_<tag>.txt`. A tracker with no `master` tag has its untagged files from its only
/// tag (co8/cctelegram: tag `data`, tasks 13-44, `task_013.txt` to `task_041.txt`, each read as
/// a `master` task with no entry, an orphan, and listed beside `data/13`): they are that tag's
/// task files, compared with its tasks and written by `set`. A file for no task of the tag is
/// still left over.
#[test]
fn taskmaster_untagged_task_files_belong_to_the_only_tag_when_there_is_no_master() {
    use crate::diagnostic::{RuleCode, Severity};
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{"data": {"tasks": [
  {"id": 13, "title": "Security audit", "status": "done", "dependencies": []},
  {"id": 14, "title": "Backups", "status": "pending", "dependencies": [13],
   "subtasks": [{"id": 1, "title": "Nightly", "status": "pending", "dependencies": []}]}
], "metadata": {"description": "Tasks for data context"}}}
%! .taskmaster/tasks/task_013.txt
# Task ID: 13
# Title: Security audit
# Status: done
# Dependencies: None
%! .taskmaster/tasks/task_014.txt
# Task ID: 14
# Title: Backups
# Status: pending
# Dependencies: 13

# Subtasks:
## 1. Nightly [pending]
%! .taskmaster/tasks/task_045.txt
# Task ID: 45
# Title: Gone
# Status: pending
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    crate::fixture::assert_diagnostics(&found, &[(RuleCode::OrphanTask, Severity::Warning, "data/45")]);
    assert_eq!(taskmaster_listed(&index), ["data/13", "data/14", "data/14.1", "data/45"]);
    let places = |id: &str| index.task(&TaskKey::new(".taskmaster", id)).map_or(0, |it| it.places.len());
    assert_eq!((places("data/13"), places("data/14.1")), (2, 2), "tasks.json and the task file");
    // Setting a status writes tasks.json and the untagged task file.
    let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
    let change =
        crate::edit::plan_status_change(&index, &TaskKey::new(".taskmaster", "data/14"), "in-progress", &options)
            .unwrap_or_else(|refusal| panic!("{refusal}"));
    let written = change.apply(&index);
    let text = |path: &str| written.iter().find(|(it, _)| it == path).map(|(_, text)| text.clone()).unwrap_or_default();
    assert!(text(".taskmaster/tasks/tasks.json").contains(r#""title": "Backups", "status": "in-progress""#));
    assert!(text(".taskmaster/tasks/task_014.txt").contains("# Status: in-progress"));
}

/// With several tags and no `master`, the untagged files are those of the tag state.json's
/// `currentTag` names (the one `task-master generate` last wrote them for). When it names none
/// of them, or there is no state.json, or there is a `master` tag, they are `master`'s, as
/// Task Master has them.
#[test]
fn taskmaster_untagged_task_files_belong_to_the_current_tag_among_several() {
    use crate::diagnostic::{RuleCode, Severity};
    let tasks = r#"%! .taskmaster/tasks/tasks.json
{"data": {"tasks": [{"id": 1, "title": "Schema", "status": "done", "dependencies": []}]},
 "ops": {"tasks": [{"id": 1, "title": "Deploy", "status": "pending", "dependencies": []},
                   {"id": 2, "title": "Monitor", "status": "pending", "dependencies": [1]}]}}
%! .taskmaster/tasks/task_001.txt
# Task ID: 1
# Title: Deploy
# Status: pending
%! .taskmaster/tasks/task_002.txt
# Task ID: 2
# Title: Monitor
# Status: pending
"#;
    let current =
        format!("{tasks}%! .taskmaster/state.json\n{{\"currentTag\": \"ops\", \"lastSwitched\": \"2025-07-01\"}}\n");
    let (index, found) = crate::fixture::diagnostics(&current, None);
    crate::fixture::assert_diagnostics(&found, &[]);
    assert_eq!(taskmaster_listed(&index), ["data/1", "ops/1", "ops/2"]);
    // Neither the tags nor state.json decide: the files stay `master`'s, and left over.
    let orphans = [(RuleCode::OrphanTask, Severity::Warning, "1"), (RuleCode::OrphanTask, Severity::Warning, "2")];
    for undecided in [
        tasks.to_string(),
        format!("{tasks}%! .taskmaster/state.json\n{{\"currentTag\": \"gone\"}}\n"),
        format!("{tasks}%! .taskmaster/state.json\n{{\"currentTag\": \"ops\"\n"),
    ] {
        let (index, found) = crate::fixture::diagnostics(&undecided, None);
        crate::fixture::assert_diagnostics(&found, &orphans);
        assert_eq!(taskmaster_listed(&index), ["1", "2", "data/1", "ops/1", "ops/2"], "{undecided}");
    }
    // A `master` tag has the untagged files, whatever the current tag.
    let with_master = current.replacen(r#"{"data""#, r#"{"master": {"tasks": []}, "data""#, 1);
    let (_, found) = crate::fixture::diagnostics(&with_master, None);
    crate::fixture::assert_diagnostics(&found, &orphans);
}

/// An untagged file that disagrees with its tag's task is a status mismatch, as a `master`
/// task's file is, and its fix writes the file.
#[test]
fn an_untagged_task_file_behind_its_tag_s_task_is_a_status_mismatch() {
    use crate::diagnostic::{RuleCode, Severity};
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{"data": {"tasks": [{"id": 13, "title": "Security audit", "status": "done", "dependencies": []}]}}
%! .taskmaster/tasks/task_013.txt
# Task ID: 13
# Title: Security audit
# Status: pending
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    crate::fixture::assert_diagnostics(&found, &[(RuleCode::StatusMismatch, Severity::Error, "data/13")]);
    assert_eq!(
        found[0].message,
        "task data/13 is `pending` in this task file but `done` in the tasks.json entry (.taskmaster/tasks/tasks.json:1) (the task files are generated from tasks.json, which says so)"
    );
    assert_eq!(index.path(found[0].file), ".taskmaster/tasks/task_013.txt");
    let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
    let fixed = crate::edit::plan_fix(&index, &found[0], 0, &options).unwrap_or_else(|it| panic!("{it}"));
    let written = fixed.apply(&index);
    assert_eq!(written.iter().map(|(path, _)| path.as_str()).collect::<Vec<_>>(), [".taskmaster/tasks/task_013.txt"]);
    assert!(written[0].1.contains("# Status: done"));
}

/// The tag the untagged files belong to follows tasks.json and state.json as they change, and
/// a task file edited in the editor is read again in the tag it belongs to: the index and the
/// diagnostics after each change are a fresh build's, for the text files and the markdown ones.
#[test]
fn the_untagged_task_files_follow_the_tags_as_tasks_json_and_state_json_change() {
    use super::properties::{build, canonical, check, rendered};
    use crate::index::SourceFile;
    use std::sync::Arc;
    let tasks_json = ".taskmaster/tasks/tasks.json";
    let state_json = ".taskmaster/state.json";
    let one_tag = r#"{"data": {"tasks": [{"id": 1, "title": "Schema", "status": "done", "dependencies": [],
  "subtasks": [{"id": 1, "title": "Tables", "status": "done", "dependencies": []}]}]}}"#;
    let two_tags = r#"{"data": {"tasks": [{"id": 1, "title": "Schema", "status": "done", "dependencies": []}]},
 "ops": {"tasks": [{"id": 1, "title": "Deploy", "status": "pending", "dependencies": []}]}}"#;
    let with_master = r#"{"master": {"tasks": [{"id": 1, "title": "Init", "status": "pending", "dependencies": []}]},
 "data": {"tasks": [{"id": 1, "title": "Schema", "status": "done", "dependencies": []}]}}"#;
    let text_file = (".taskmaster/tasks/task_001.txt", "# Task ID: 1\n# Status: pending\n", "## 1. Tables [done]\n");
    let markdown_file = (
        ".taskmaster/tasks/task_001.md",
        "# Task ID: 1\n\n**Title:** Schema\n\n**Status:** pending\n",
        "\n## Subtasks\n\n### 1.1. Tables\n\n**Status:** done  \n**Dependencies:** None  \n",
    );
    for (task_file, task_text, subtask_text) in [text_file, markdown_file] {
        let with_subtask = format!("{task_text}{subtask_text}");
        let status_edited = with_subtask.replacen("pending", "done", 1);
        let mut files = vec![
            SourceFile { path: task_file.into(), text: Arc::from(task_text) },
            SourceFile { path: tasks_json.into(), text: Arc::from(one_tag) },
        ];
        let mut index = build(&files);
        let config = crate::config::Config::default();
        let paths: std::collections::HashSet<String> =
            [tasks_json, state_json, task_file].into_iter().map(str::to_string).collect();
        let mut store = crate::rules::DiagnosticStore::new(&index, &config, None, &paths);
        // Whether some step's diagnostics were the task file's: the file was read, not skipped.
        let mut task_file_diagnosed = false;
        let steps: [(&str, Option<&str>); 13] = [
            (task_file, Some(&with_subtask)),
            (task_file, Some(&status_edited)),
            (state_json, Some(r#"{"currentTag": "ops"}"#)),
            (tasks_json, Some(two_tags)),
            (task_file, Some(task_text)),
            (state_json, Some(r#"{"currentTag": "data"}"#)),
            (tasks_json, Some(with_master)),
            (tasks_json, Some("{\"data\": ")),
            (tasks_json, Some(two_tags)),
            (state_json, None),
            (task_file, None),
            (task_file, Some(&with_subtask)),
            (tasks_json, None),
        ];
        for (path, text) in steps {
            let update = index.set_file(path, text.map(Arc::from));
            files.retain(|it| it.path != path);
            files.extend(text.map(|text| SourceFile { path: path.into(), text: Arc::from(text) }));
            let fresh = build(&files);
            assert_eq!(
                format!("{:?}", index.trackers()),
                format!("{:?}", fresh.trackers()),
                "{task_file}: {path} {text:?}"
            );
            assert_eq!(canonical(&index), canonical(&fresh), "{task_file}: {path} {text:?}");
            store.update(&index, &config, None, &paths, &update);
            let diagnostics = rendered(&index, &store.all(&index));
            assert_eq!(diagnostics, rendered(&fresh, &check(&fresh)), "{task_file}: {path} {text:?}");
            task_file_diagnosed |= diagnostics.iter().any(|it| it.starts_with(task_file));
        }
        assert!(task_file_diagnosed, "{task_file}");
    }
}

/// Task Master writes its task files as markdown since eyaltoledano/claude-task-master#1446
/// (`task_001.md`: `# Task ID: 1`, `**Title:** Add login`, `**Status:** done`, and each
/// subtask as `### 1.2. Session` over `**Status:** pending  `). They are read as the text
/// files are: a file behind tasks.json is a status mismatch, a file for no task of tasks.json
/// is left over, a tag's file (`task_001_ops.md`) is its tag's, and `set` and the fixes write
/// the file in its own words.
#[test]
fn taskmaster_markdown_task_files_are_read_as_the_text_files_are() {
    use crate::diagnostic::{RuleCode, Severity};
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{"master": {"tasks": [
  {"id": 1, "title": "Add login", "status": "pending", "dependencies": [],
   "subtasks": [{"id": 1, "title": "Form", "status": "pending", "dependencies": []},
                {"id": 2, "title": "Session", "status": "pending", "dependencies": [1]}]}
]},
 "ops": {"tasks": [{"id": 1, "title": "Deploy", "status": "in-progress", "dependencies": []}]}}
%! .taskmaster/tasks/task_001.md
# Task ID: 1

**Title:** Add login

**Status:** done

**Dependencies:** None

**Priority:** high

**Description:** Let people log in

**Details:**

### 1.9. Not a subtask: no status line follows

**Test Strategy:**

No test strategy provided.

## Subtasks

### 1.1. Form

**Status:** pending  
**Dependencies:** None  

The login form

### 1.2. Session

**Status:** pending  
**Dependencies:** 1.1  

**Details:**

**Status:** a quoted line in the details is no status
%! .taskmaster/tasks/task_002.md
# Task ID: 2

**Title:** Removed task

**Status:** pending

**Dependencies:** None

**Priority:** high
%! .taskmaster/tasks/task_001_ops.md
# Task ID: 1

**Title:** Deploy

**Status:** in-progress
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    crate::fixture::assert_diagnostics(
        &found,
        &[(RuleCode::StatusMismatch, Severity::Error, "1"), (RuleCode::OrphanTask, Severity::Warning, "2")],
    );
    let mismatch = found.iter().find(|it| it.code == RuleCode::StatusMismatch).expect("task 1 disagrees");
    assert_eq!(
        mismatch.message,
        "task 1 is `done` in this task file but `pending` in the tasks.json entry (.taskmaster/tasks/tasks.json:2) (the task files are generated from tasks.json, which says so)"
    );
    assert_eq!(index.path(mismatch.file), ".taskmaster/tasks/task_001.md");
    let places = |id: &str| {
        index.task(&TaskKey::new(".taskmaster", id)).map_or(Vec::new(), |task| {
            task.places.iter().map(|it| (index.path(it.file).to_string(), index.place(*it).kind)).collect()
        })
    };
    for id in ["1", "1.1", "1.2"] {
        assert_eq!(
            places(id),
            [
                (".taskmaster/tasks/task_001.md".to_string(), PlaceKind::TaskText),
                (".taskmaster/tasks/tasks.json".to_string(), PlaceKind::TaskJson)
            ],
            "{id}"
        );
    }
    assert_eq!(places("ops/1").len(), 2, "the tag's file is its tag's");
    assert!(index.task(&TaskKey::new(".taskmaster", "1.9")).is_none(), "a heading without its status line");
    let file_place = |id: &str| {
        let task = index.task(&TaskKey::new(".taskmaster", id)).expect("indexed");
        let at = task.places.iter().find(|it| index.place(**it).kind == PlaceKind::TaskText).expect("in the file");
        index.place(*at).clone()
    };
    assert_eq!(file_place("1").title.as_deref(), Some("Add login"));
    assert_eq!(file_place("1.2").title.as_deref(), Some("Session"));
    assert_eq!(file_place("1").child_places.len(), 2);
    // Setting a status writes tasks.json and the markdown file, its line as Task Master writes it.
    let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
    let written = |task: &str, status: &str| {
        let change = crate::edit::plan_status_change(&index, &TaskKey::new(".taskmaster", task), status, &options)
            .unwrap_or_else(|refusal| panic!("{refusal}"));
        change.apply(&index)
    };
    let text = |written: &[(String, String)], path: &str| {
        written.iter().find(|(it, _)| it == path).map(|(_, text)| text.clone()).unwrap_or_default()
    };
    let set = written("1", "in-progress");
    assert_eq!(set.len(), 2, "{set:?}");
    assert!(text(&set, ".taskmaster/tasks/tasks.json").contains(r#""title": "Add login", "status": "in-progress""#));
    assert!(text(&set, ".taskmaster/tasks/task_001.md").contains("\n**Status:** in-progress\n"));
    let subtask = written("1.2", "done");
    assert!(text(&subtask, ".taskmaster/tasks/tasks.json").contains(r#""title": "Session", "status": "done""#));
    let file = text(&subtask, ".taskmaster/tasks/task_001.md");
    assert!(file.contains("### 1.2. Session\n\n**Status:** done  \n"), "{file}");
    assert!(file.contains("**Status:** a quoted line"), "the details stay as written");
    // The mismatch's fix writes the file from tasks.json.
    let fixed = crate::edit::plan_fix(&index, mismatch, 0, &options).unwrap_or_else(|it| panic!("{it}"));
    let fixed = fixed.apply(&index);
    assert_eq!(fixed.iter().map(|(path, _)| path.as_str()).collect::<Vec<_>>(), [".taskmaster/tasks/task_001.md"]);
    assert!(fixed[0].1.contains("\n**Status:** pending\n\n**Dependencies:** None\n"));
}

/// A project that updated Task Master has both files of a task: `task-master generate` writes
/// `task_001.md` and removes only the `.md` files of tasks gone, so the `task_001.txt` an older
/// version wrote stays. The older file behind tasks.json is a status mismatch, never a second
/// definition of the task (whose fix would renumber it), and `set` writes all three.
#[test]
fn a_task_file_left_in_txt_beside_its_markdown_copy_is_behind_not_a_duplicate() {
    use crate::diagnostic::{RuleCode, Severity};
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{"master": {"tasks": [{"id": 1, "title": "Add login", "status": "done", "dependencies": []}]}}
%! .taskmaster/tasks/task_001.txt
# Task ID: 1
# Title: Add login
# Status: pending
%! .taskmaster/tasks/task_001.md
# Task ID: 1

**Title:** Add login

**Status:** done
"#;
    let (index, found) = crate::fixture::diagnostics(fixture, None);
    crate::fixture::assert_diagnostics(&found, &[(RuleCode::StatusMismatch, Severity::Error, "1")]);
    assert_eq!(index.path(found[0].file), ".taskmaster/tasks/task_001.txt");
    let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
    let change = crate::edit::plan_status_change(&index, &TaskKey::new(".taskmaster", "1"), "review", &options)
        .unwrap_or_else(|refusal| panic!("{refusal}"));
    let mut written: Vec<String> = change.apply(&index).into_iter().map(|(path, _)| path).collect();
    written.sort();
    assert_eq!(
        written,
        [".taskmaster/tasks/task_001.md", ".taskmaster/tasks/task_001.txt", ".taskmaster/tasks/tasks.json"]
    );
}
