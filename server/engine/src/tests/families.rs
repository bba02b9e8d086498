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
