//! `new` in each family: the change is what the tracker's own tasks look like, and applying it
//! leaves no diagnostic that was not there.

use insta::assert_snapshot;

use crate::config::Config;
use crate::edit::{FixCheck, Refusal, WorkspaceChange};
use crate::fixture::index;
use crate::index::WorkspaceIndex;
use crate::lifecycle::{
    ArchiveRequest, EditTask, NewTask, PlannedArchive, UsedIds, plan_archive, plan_edit_task, plan_new_task,
};
use crate::rules::DiagnosticStore;
use crate::timestamp::Now;

fn now() -> Now {
    Now::from_timestamp("2026-11-23T09:15:00Z".parse().unwrap())
}

fn request(title: &str) -> NewTask {
    NewTask::new(title, now())
}

fn used(index: &WorkspaceIndex, scope: &str) -> UsedIds {
    UsedIds::from_index(index, scope, "this worktree")
}

/// The changed and created files, for snapshots.
fn render(index: &WorkspaceIndex, change: &WorkspaceChange) -> String {
    let mut out = format!("# {}\n", change.label);
    for (path, text) in change.apply(index) {
        out.push_str(&format!("=== {path}\n{text}"));
    }
    out
}

/// Plans `request` and asserts the change leaves nothing new (hints included).
fn plan_clean(fixture: &str, request: &NewTask) -> (WorkspaceIndex, WorkspaceChange, String) {
    let index = index(fixture);
    let scope = crate::lifecycle::choose_tracker(&index, request.tracker.as_deref()).unwrap().root.clone();
    let planned = plan_new_task(&index, request, &used(&index, &scope)).unwrap_or_else(|it| panic!("{it}"));
    let config = Config::default();
    // The created plan is linked from TODO.md: it resolves through the index the check builds.
    let paths = crate::fixture::paths(fixture);
    let check = FixCheck { config: &config, baseline: None, paths: &paths };
    let store = DiagnosticStore::new(&index, &config, None, &paths);
    let (_, left) = check.left_behind(&index, &store, &planned.change, true);
    assert!(left.is_empty(), "new diagnostics: {left:#?}\n{}", render(&index, &planned.change));
    let id = planned.task.map(|it| it.id).unwrap_or_default();
    (index, planned.change, id.to_string())
}

const SPEC_FOLDER: &str = r#"%! specs/TODO.md
---
next_project_number: 17
task_counts:
  active: 2
  completed: 1
  not_started: 1
  total: 3
---

# TODO

## Task Order

- **12** [IMPLEMENTING] — Sync engine
- **15** [NOT STARTED] — CSV export

## High Priority

### 12. Sync engine
- **Effort**: 6 hours
- **Status**: [IMPLEMENTING]
- **Priority**: High
- **Created**: 2026-10-02
- **Started**: 2026-10-07
- **Plan**: [implementation-001.md](specs/012_sync_engine/plans/implementation-001.md)

**Description**: Retry queue.

---

## Medium Priority

### 15. CSV export
- **Effort**: 1 hour
- **Status**: [NOT STARTED]
- **Priority**: Medium
- **Created**: 2026-10-10
- **Dependencies**: 12

**Description**: Weekly report.

---

## Done

### ✓ 11. Offline cache
- **Status**: [COMPLETED]
- **Created**: 2026-09-20
- **Completed**: 2026-09-30

---
%! specs/state.json
{
  "next_project_number": 17,
  "active_projects": [
    {
      "project_number": 12,
      "project_name": "sync_engine",
      "status": "implementing",
      "created": "2026-10-02T09:12:00Z",
      "started": "2026-10-07T08:30:00Z",
      "last_updated": "2026-10-07T08:30:00Z"
    },
    {
      "project_number": 15,
      "project_name": "export_csv",
      "status": "not_started",
      "created": "2026-10-10T09:00:00Z",
      "last_updated": "2026-10-10T09:00:00Z",
      "dependencies": [12]
    }
  ],
  "completed_projects": [
    {
      "project_number": 11,
      "project_name": "offline_cache",
      "status": "completed",
      "completed": "2026-09-30T17:45:00Z"
    }
  ]
}
%! specs/012_sync_engine/plans/implementation-001.md
# Plan
- **Task**: 12 - Sync engine
- **Status**: [IMPLEMENTING]

### Phase 1: Queue [IN PROGRESS]
"#;

#[test]
fn spec_folder_new_task_writes_every_store_in_its_style() {
    let mut new = request("Audit log: who changed what");
    new.priority = Some("medium".into());
    new.depends_on = vec!["12".into()];
    new.description = Some("Record every status change.".into());
    let (index, change, id) = plan_clean(SPEC_FOLDER, &new);
    assert_eq!(id, "17", "above the counter, which is above every id");
    assert_snapshot!(render(&index, &change));
}

#[test]
fn spec_folder_new_task_with_a_plan_creates_the_folder_and_links_it() {
    let mut new = request("Export to PDF");
    new.plan = true;
    let (index, change, _) = plan_clean(SPEC_FOLDER, &new);
    assert_eq!(change.created.len(), 1);
    assert_eq!(change.created[0].path, "specs/017_export_to_pdf/plans/implementation-001.md");
    assert_snapshot!(render(&index, &change));
}

#[test]
fn ids_seen_elsewhere_are_never_handed_out() {
    let index = index(SPEC_FOLDER);
    let mut seen = used(&index, "specs");
    seen.add(17, "branch feature");
    seen.add(18, "worktree ../wt");
    let planned = plan_new_task(&index, &request("Next"), &seen).unwrap();
    assert_eq!(planned.task.unwrap().id, "19");
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    let index = index(SPEC_FOLDER);
    let ids = used(&index, "specs");
    let refusal = |new: NewTask| plan_new_task(&index, &new, &ids).unwrap_err().to_string();
    assert!(refusal(request("two\nlines")).contains("line break"));
    assert!(refusal(request("a [COMPLETED] title")).contains("markdown"));
    assert!(refusal(request("   ")).contains("empty"));
    assert!(refusal(request("## heading")).contains("heading"));
    let mut unknown = request("Fine");
    unknown.depends_on = vec!["99".into()];
    assert!(refusal(unknown).contains("unknown dependency `99`"));
    let mut status = request("Fine");
    status.status = Some("[DONE-ISH]".into());
    assert!(matches!(plan_new_task(&index, &status, &ids), Err(Refusal::UnknownStatus { .. })));
    let mut tracker = request("Fine");
    tracker.tracker = Some("backlog".into());
    assert!(refusal(tracker).contains("no tracker `backlog`"));
}

#[test]
fn a_tracker_whose_counters_disagree_is_refused_with_both_numbers() {
    let fixture = SPEC_FOLDER.replacen("\"next_project_number\": 17", "\"next_project_number\": 18", 1);
    let index = index(&fixture);
    let error = plan_new_task(&index, &request("Next"), &used(&index, "specs")).unwrap_err().to_string();
    assert!(error.contains("17") && error.contains("18") && error.contains("stale-counts"), "{error}");
    let behind = SPEC_FOLDER
        .replace("next_project_number: 17", "next_project_number: 13")
        .replace("\"next_project_number\": 17", "\"next_project_number\": 13");
    let index = crate::fixture::index(&behind);
    let error = plan_new_task(&index, &request("Next"), &used(&index, "specs")).unwrap_err().to_string();
    assert!(error.contains("task 15 already exists"), "{error}");
}

#[test]
fn a_store_that_does_not_parse_stops_the_write() {
    let fixture = SPEC_FOLDER.replacen("\"active_projects\": [", "\"active_projects\": [,,", 1);
    let index = index(&fixture);
    let error = plan_new_task(&index, &request("Next"), &used(&index, "specs")).unwrap_err().to_string();
    assert!(error.contains("specs/state.json"), "{error}");
}

const BACKLOG: &str = r#"%! backlog/config.yml
project_name: "Demo"
default_status: "To Do"
statuses: ["To Do", "In Progress", "Done"]
task_prefix: "back"
%! backlog/tasks/back-7 - Ship-it.md
---
id: BACK-7
title: Ship it
status: In Progress
assignee: []
created_date: '2026-08-10 07:04'
labels: []
dependencies: []
priority: low
ordinal: 1000
---

## Description

<!-- SECTION:DESCRIPTION:BEGIN -->
Ship.
<!-- SECTION:DESCRIPTION:END -->
%! backlog/completed/back-9 - Old.md
---
id: BACK-9
title: Old
status: Done
---
"#;

#[test]
fn backlog_new_task_is_a_file_named_and_shaped_like_its_neighbours() {
    let mut new = request("Wire the CLI: part 2");
    new.depends_on = vec!["BACK-7".into()];
    new.description = Some("Both halves.".into());
    let (index, change, id) = plan_clean(BACKLOG, &new);
    assert_eq!(id, "BACK-10", "above the completed task's id too");
    assert_snapshot!(render(&index, &change));
}

const SPEC_KIT: &str = r#"%! specs/001-auth/tasks.md
# Tasks

## Phase 1: Setup

- [X] T001 Create project structure
- [ ] T002 [P] Configure linting
"#;

#[test]
fn spec_kit_new_task_is_the_next_numbered_line() {
    let (index, change, id) = plan_clean(SPEC_KIT, &request("Write the login form"));
    assert_eq!(id, "T003");
    assert_snapshot!(render(&index, &change));
}

const CHECKLIST: &str = r#"%! TODO.md
# Project

## Now

- [ ] Fix the build
  - [ ] on CI
- [x] Write docs

## Later

- [ ] Port to Windows
"#;

/// A tracker at the workspace root is named `.` (or `./`), as `list` and `show` print it.
#[test]
fn a_tracker_at_the_workspace_root_is_named_by_a_dot() {
    let both = format!("{CHECKLIST}{SPEC_FOLDER}");
    let index = index(&both);
    for name in [".", "./", " . "] {
        let tracker = crate::lifecycle::choose_tracker(&index, Some(name)).unwrap_or_else(|it| panic!("{name}: {it}"));
        assert_eq!(tracker.root, "", "{name}");
    }
    for name in ["specs", "specs/", "./specs"] {
        assert_eq!(crate::lifecycle::choose_tracker(&index, Some(name)).expect(name).root, "specs");
    }
    let mut new = request("Release 1.0");
    new.tracker = Some(".".into());
    let planned = plan_new_task(&index, &new, &UsedIds::default()).expect("planned");
    assert_eq!(planned.tracker, "");
}

#[test]
fn checklist_new_box_goes_under_the_heading_named() {
    let mut new = request("Release 1.0");
    new.heading = Some("now".into());
    let (index, change, _) = plan_clean(CHECKLIST, &new);
    assert_snapshot!(render(&index, &change));
    let mut missing = request("Release 1.0");
    missing.heading = Some("Someday".into());
    let error = plan_new_task(&index, &missing, &UsedIds::default()).unwrap_err().to_string();
    assert!(error.contains("no heading `Someday`") && error.contains("Later"), "{error}");
}

/// Plans an edit of `task` and asserts it leaves nothing new; returns the rendered change.
fn edit_clean(fixture: &str, task: &str, build: impl FnOnce(&mut EditTask)) -> String {
    edit_leaving(fixture, task, build, true)
}

/// [`edit_clean`], hints allowed when `hints` is false (as `taskmark edit` allows them: ticking
/// a task's last box hints that its status could follow).
fn edit_leaving(fixture: &str, task: &str, build: impl FnOnce(&mut EditTask), hints: bool) -> String {
    let index = index(fixture);
    let key = crate::edit::resolve_task(&index, task).unwrap_or_else(|it| panic!("{it}"));
    let mut request = EditTask::new(key);
    build(&mut request);
    let change = plan_edit_task(&index, &request).unwrap_or_else(|it| panic!("{it}"));
    let config = Config::default();
    let paths = crate::fixture::paths(fixture);
    let check = FixCheck { config: &config, baseline: None, paths: &paths };
    let store = DiagnosticStore::new(&index, &config, None, &paths);
    let (_, left) = check.left_behind(&index, &store, &change, hints);
    assert!(left.is_empty(), "new diagnostics: {left:#?}\n{}", render(&index, &change));
    render(&index, &change)
}

fn edit_refused(fixture: &str, task: &str, build: impl FnOnce(&mut EditTask)) -> String {
    let index = index(fixture);
    let key = crate::edit::resolve_task(&index, task).unwrap_or_else(|it| panic!("{it}"));
    let mut request = EditTask::new(key);
    build(&mut request);
    plan_edit_task(&index, &request).expect_err("refused").to_string()
}

#[test]
fn spec_folder_edit_changes_only_the_fields_named_in_every_store() {
    let out = edit_clean(SPEC_FOLDER, "15", |it| {
        it.title = Some("CSV and TSV export".into());
        it.priority = Some("high".into());
        it.remove_dependencies = vec!["12".into()];
        it.description = Some("Weekly and monthly reports.".into());
    });
    assert_snapshot!(out);
}

#[test]
fn spec_folder_edit_adds_fields_the_section_lacks() {
    let out = edit_clean(SPEC_FOLDER, "12", |it| {
        it.add_dependencies = vec!["11".into()];
        it.title = Some("Sync engine with retries".into());
    });
    assert!(out.contains("- **Dependencies**: 11\n"), "{out}");
    assert!(out.contains("- **Task**: 12 - Sync engine with retries"), "the plan's task line follows: {out}");
    assert!(out.contains("- **12** [IMPLEMENTING] — Sync engine with retries"), "{out}");
}

#[test]
fn edit_refuses_cycles_unknown_tasks_and_empty_requests() {
    let cycle = edit_refused(SPEC_FOLDER, "12", |it| it.add_dependencies = vec!["15".into()]);
    assert!(cycle.contains("cycle (12 -> 15 -> 12)"), "{cycle}");
    let own = edit_refused(SPEC_FOLDER, "12", |it| it.add_dependencies = vec!["12".into()]);
    assert!(own.contains("itself"), "{own}");
    let unknown = edit_refused(SPEC_FOLDER, "12", |it| it.add_dependencies = vec!["99".into()]);
    assert!(unknown.contains("unknown dependency `99`"), "{unknown}");
    let absent = edit_refused(SPEC_FOLDER, "12", |it| it.remove_dependencies = vec!["15".into()]);
    assert!(absent.contains("does not depend on 15"), "{absent}");
    let nothing = edit_refused(SPEC_FOLDER, "12", |_| {});
    assert!(nothing.contains("nothing to change"), "{nothing}");
    let markdown = edit_refused(SPEC_FOLDER, "12", |it| it.title = Some("now [COMPLETED]".into()));
    assert!(markdown.contains("markdown"), "{markdown}");
}

#[test]
fn backlog_edit_keeps_every_key_it_does_not_own() {
    let out = edit_clean(BACKLOG, "BACK-7", |it| {
        it.title = Some("Ship it now".into());
        it.priority = Some("High".into());
        it.add_dependencies = vec!["BACK-9".into()];
        it.description = Some("Ship today.".into());
    });
    assert!(out.contains("ordinal: 1000\n") && out.contains("created_date: '2026-08-10 07:04'\n"), "{out}");
    assert_snapshot!(out);
}

/// A description that starts like a checked box would be read back as an acceptance criterion
/// done: it stays text, escaped, and the task's boxes are what they were.
#[test]
fn a_backlog_description_never_starts_a_checkbox_or_a_section_marker() {
    let out = edit_clean(BACKLOG, "BACK-7", |it| it.description = Some("- [x] shipped already".into()));
    assert!(out.contains("\\- [x] shipped already"), "{out}");
    let refused = edit_refused(BACKLOG, "BACK-7", |it| {
        it.description = Some("fine <!-- SECTION:DESCRIPTION:END --> then".into());
    });
    assert!(refused.contains("HTML comment"), "{refused}");
}

#[test]
fn spec_kit_edit_renames_the_line_and_refuses_what_it_cannot_keep() {
    let out = edit_clean(SPEC_KIT, "T002", |it| it.title = Some("Configure linting and formatting".into()));
    assert!(out.contains("- [ ] T002 [P] Configure linting and formatting\n"), "{out}");
    let priority = edit_refused(SPEC_KIT, "T002", |it| it.priority = Some("high".into()));
    assert!(priority.contains("keeps a priority"), "{priority}");
}

const MINSKY_AND_COMPOZY: &str = r#"%! process/tasks.md
# Tasks
- [ ] Sync engine [#049](process/tasks/049-sync.md)
%! process/tasks/049-sync.md
# Task #049: Sync engine

## Status

TODO
%! tasks/prd-kanban/_tasks.md
## Tasks

- [x] 1.0 Backend
  - Depends on: none

- [ ] 2.0 Board UI
  - Depends on: 1.0
%! tasks/prd-kanban/1_task.md
---
status: completed
---
# Task 1.0: Backend
%! tasks/prd-kanban/2_task.md
---
status: pending
---
# Task 2.0: Board UI
"#;

#[test]
fn minsky_and_compozy_edits_follow_the_index_and_the_task_file() {
    let out = edit_clean(MINSKY_AND_COMPOZY, "process:49", |it| it.title = Some("Sync engine v2".into()));
    assert!(out.contains("- [ ] Sync engine v2 [#049]"), "{out}");
    assert!(out.contains("# Task #049: Sync engine v2\n"), "{out}");
    let out = edit_clean(MINSKY_AND_COMPOZY, "2.0", |it| {
        it.title = Some("Board and drag".into());
        it.remove_dependencies = vec!["1.0".into()];
    });
    assert!(out.contains("- [ ] 2.0 Board and drag\n  - Depends on: none\n"), "{out}");
    assert!(out.contains("# Task 2.0: Board and drag\n"), "{out}");
}

#[test]
fn backlog_block_lists_stay_block_lists() {
    let fixture = BACKLOG.replace("dependencies: []\n", "dependencies:\n  - BACK-9\n  - BACK-3\n").replace(
        "%! backlog/completed/back-9 - Old.md",
        "%! backlog/tasks/back-3 - Three.md\n---\nid: BACK-3\ntitle: Three\nstatus: Done\n---\n%! backlog/completed/back-9 - Old.md",
    );
    let out = edit_clean(&fixture, "BACK-7", |it| it.remove_dependencies = vec!["BACK-9".into()]);
    assert!(out.contains("dependencies:\n  - BACK-3\npriority: low\n"), "{out}");
    let out = edit_clean(&fixture, "BACK-7", |it| it.remove_dependencies = vec!["BACK-9".into(), "BACK-3".into()]);
    assert!(out.contains("dependencies: []\npriority: low\n"), "{out}");
}

const ARCHIVING: &str = r#"%! specs/TODO.md
---
next_project_number: 15
task_counts:
  active: 1
  completed: 1
  abandoned: 1
  total: 3
---

# TODO

## Task Order

- **12** [IMPLEMENTING] — Sync engine
- **13** [COMPLETED] — CSV export
- **14** [ABANDONED] — Fax support

## Tasks

### 12. Sync engine
- **Status**: [IMPLEMENTING]
- **Created**: 2026-10-02
- **Started**: 2026-10-07
- **Research**: [research-001.md](specs/013_csv_export/reports/research-001.md)

---

### 13. CSV export
- **Status**: [COMPLETED]
- **Created**: 2026-10-10
- **Completed**: 2026-10-20
- **Plan**: [implementation-001.md](specs/013_csv_export/plans/implementation-001.md)

---

### 14. Fax support
- **Status**: [ABANDONED]
- **Created**: 2026-10-11
- **Abandoned**: 2026-10-12

---
%! specs/state.json
{
  "next_project_number": 15,
  "active_projects": [
    {
      "project_number": 12,
      "project_name": "sync_engine",
      "status": "implementing",
      "created": "2026-10-02T09:12:00Z"
    },
    {
      "project_number": 13,
      "project_name": "csv_export",
      "status": "completed",
      "created": "2026-10-10T09:00:00Z",
      "artifacts": [
        {"path": "specs/013_csv_export/plans/implementation-001.md", "type": "plan"}
      ]
    },
    {
      "project_number": 14,
      "project_name": "fax_support",
      "status": "abandoned",
      "created": "2026-10-11T09:00:00Z"
    }
  ]
}
%! specs/013_csv_export/plans/implementation-001.md
# Implementation Plan: CSV export
- **Task**: 13 - CSV export
- **Status**: [COMPLETED]

### Phase 1: Writer [COMPLETED]
%! specs/013_csv_export/reports/research-001.md
# Research
%! specs/archive/state.json
{
  "completed_projects": [
    {
      "project_number": 11,
      "project_name": "offline_cache",
      "status": "completed",
      "archived": "2026-09-30T18:00:00Z"
    }
  ]
}
%! specs/archive/011_offline_cache/plans/implementation-001.md
# Implementation Plan: Offline cache
- **Task**: 11 - Offline cache
- **Status**: [COMPLETED]
"#;

/// Plans an archive and asserts it leaves nothing new (the moved files checked at their new
/// place); returns the rendered change.
fn archive_clean(fixture: &str, tasks: &[&str], done: bool) -> (PlannedArchive, String) {
    let index = index(fixture);
    let tasks = tasks.iter().map(|it| crate::edit::resolve_task(&index, it).unwrap()).collect();
    let request = ArchiveRequest { tasks, done, tracker: None, now: now() };
    let planned = plan_archive(&index, &request).unwrap_or_else(|it| panic!("{it}"));
    let config = Config::default();
    let paths = crate::fixture::paths(fixture);
    let check = FixCheck { config: &config, baseline: None, paths: &paths };
    let store = DiagnosticStore::new(&index, &config, None, &paths);
    let (_, left) = check.left_behind(&index, &store, &planned.change, false);
    let mut out = render(&index, &planned.change);
    for moved in &planned.change.moved {
        out.push_str(&format!("=== moved {} -> {}\n", moved.from, moved.to));
    }
    assert!(left.is_empty(), "new diagnostics: {left:#?}\n{out}");
    (planned, out)
}

#[test]
fn spec_folder_archive_moves_the_entry_the_folder_and_the_links() {
    let (planned, out) = archive_clean(ARCHIVING, &["13"], false);
    assert_eq!(planned.change.moved.len(), 1);
    assert_eq!(planned.change.moved[0].to, "specs/archive/013_csv_export");
    assert!(out.contains("(specs/archive/013_csv_export/reports/research-001.md)"), "the link follows: {out}");
    assert!(out.contains("\"path\": \"specs/archive/013_csv_export/plans/implementation-001.md\""), "{out}");
    assert!(!out.contains("### 13."), "{out}");
    assert_snapshot!(out);
}

#[test]
fn archive_done_takes_every_finished_task_and_keeps_their_ids_reserved() {
    let (planned, out) = archive_clean(ARCHIVING, &[], true);
    let ids: Vec<&str> = planned.tasks.iter().map(|it| it.id.as_str()).collect();
    assert_eq!(ids, ["13", "14"]);
    assert!(out.contains("\"active_projects\": [\n    {\n      \"project_number\": 12,"), "{out}");
    // The archive still holds every id: the next is above them.
    let index = index(ARCHIVING);
    let mut after = index.clone();
    for (path, text) in planned.change.apply(&index) {
        after.set_file(&path, Some(std::sync::Arc::from(text)));
    }
    assert_eq!(UsedIds::from_index(&after, "specs", "here").next(), 15);
}

#[test]
fn archive_refuses_what_is_not_finished_or_already_archived() {
    let index = index(ARCHIVING);
    let refused = |id: &str| {
        let task = crate::edit::resolve_task(&index, id).unwrap();
        let request = ArchiveRequest { tasks: vec![task], done: false, tracker: None, now: now() };
        plan_archive(&index, &request).unwrap_err().to_string()
    };
    assert!(refused("12").contains("not finished"), "{}", refused("12"));
    assert!(refused("11").contains("archived already"), "{}", refused("11"));
    let checklist = index_of_checklist();
    let request = ArchiveRequest { tasks: Vec::new(), done: true, tracker: None, now: now() };
    let error = plan_archive(&checklist, &request).unwrap_err().to_string();
    assert!(error.contains("no spec-folder or Backlog.md tracker"), "{error}");
}

/// ProofChecker's archive keeps entries, not folders: an archived task's folder (its plan
/// with it) stays among the live ones. Archiving it again would change nothing, and `archive`
/// said "wrote" with no file: it is refused as archived already, and `--done` leaves it out.
#[test]
fn a_task_whose_archive_would_change_nothing_is_archived_already() {
    let fixture = ARCHIVING.replace(
        "%! specs/archive/011_offline_cache/plans/implementation-001.md",
        "%! specs/011_offline_cache/plans/implementation-001.md",
    );
    let index = index(&fixture);
    let eleven = crate::edit::resolve_task(&index, "11").unwrap();
    assert!(index.task(&eleven).is_some_and(|it| it.archived));
    let request = ArchiveRequest { tasks: vec![eleven], done: false, tracker: None, now: now() };
    let error = plan_archive(&index, &request).unwrap_err().to_string();
    assert!(
        error.contains("task specs:11 is archived already") || error.contains("task 11 is archived already"),
        "{error}"
    );
    let (planned, _) = archive_clean(&fixture, &[], true);
    let ids: Vec<&str> = planned.tasks.iter().map(|it| it.id.as_str()).collect();
    assert_eq!(ids, ["13", "14"]);
    assert!(!planned.change.is_empty());
}

fn index_of_checklist() -> WorkspaceIndex {
    index(CHECKLIST)
}

#[test]
fn a_tracker_without_an_archive_gets_one_in_its_own_style() {
    let fixture = ARCHIVING.split("%! specs/archive/state.json").next().unwrap().to_string();
    let (planned, out) = archive_clean(&fixture, &["14"], false);
    assert!(planned.change.moved.is_empty(), "its folders stay where they are");
    assert_eq!(planned.change.created.len(), 1);
    assert_snapshot!(out);
}

#[test]
fn backlog_archive_moves_the_task_file_to_completed() {
    let fixture = BACKLOG.replace(
        "%! backlog/completed/back-9 - Old.md",
        "%! backlog/tasks/back-8 - Shipped.md\n---\nid: BACK-8\ntitle: Shipped\nstatus: Done\n---\n%! backlog/completed/back-9 - Old.md",
    );
    let (planned, _) = archive_clean(&fixture, &[], true);
    assert_eq!(planned.change.moved.len(), 1);
    assert_eq!(planned.change.moved[0].from, "backlog/tasks/back-8 - Shipped.md");
    assert_eq!(planned.change.moved[0].to, "backlog/completed/back-8 - Shipped.md");
}

const MINSKY: &str = r#"%! process/tasks.md
# Tasks

- [x] Done task [#001](process/tasks/001-done-task.md)

- [ ] Sync engine [#049](process/tasks/049-sync-engine.md)
%! process/tasks/001-done-task.md
# Task #001: Done task

## Status

DONE
%! process/tasks/049-sync-engine.md
# Task #049: Sync engine

## Status

TODO
"#;

#[test]
fn minsky_new_task_is_an_index_line_and_a_spec() {
    let mut new = request("Workspace sync, v2");
    new.description = Some("Keep sessions in step.".into());
    new.depends_on = vec!["49".into()];
    let (index, change, id) = plan_clean(MINSKY, &new);
    assert_eq!(id, "50");
    assert_eq!(change.created[0].path, "process/tasks/050-workspace-sync-v2.md");
    assert_snapshot!(render(&index, &change));
}

const COMPOZY: &str = r#"%! tasks/prd-kanban/_tasks.md
## Tasks

- [x] 1.0 Backend: SQLite
  - Depends on: none
  - Deliverables: `sqlite.ts`

- [ ] 2.0 Board UI
  - Depends on: 1.0
%! tasks/prd-kanban/1_task.md
---
status: completed
---
# Task 1.0: Backend: SQLite
%! tasks/prd-kanban/2_task.md
---
status: pending
---
# Task 2.0: Board UI
"#;

#[test]
fn compozy_new_task_is_an_index_line_and_a_task_file() {
    let mut new = request("Drag and drop");
    new.depends_on = vec!["2".into()];
    let (index, change, id) = plan_clean(COMPOZY, &new);
    assert_eq!(id, "3");
    assert_eq!(change.created[0].path, "tasks/prd-kanban/3_task.md");
    assert_snapshot!(render(&index, &change));
}

#[test]
fn files_listed_unread_still_hold_their_folders_ids_and_say_the_plans_names() {
    // A command that reads only what it needs lists the other plans: a folder holding only an
    // unread plan still keeps its id, and the unread plans' names still give the naming style.
    let mut index = index(SPEC_FOLDER);
    index.set_listed(vec![
        "specs/040_orphan/plans/01_plan.md".to_string(),
        "specs/041_other/plans/01_plan.md".to_string(),
        "specs/041_other/plans/02_plan.md".to_string(),
    ]);
    assert_eq!(used(&index, "specs").next(), 42);
    let planned = plan_new_task(&index, &NewTask { plan: true, ..request("Export to PDF") }, &used(&index, "specs"))
        .unwrap_or_else(|it| panic!("{it}"));
    assert_eq!(planned.task.map(|it| it.id).as_deref(), Some("42"));
    assert_eq!(planned.change.created[0].path, "specs/042_export_to_pdf/plans/01_plan.md");
    // A listed path that was also read is an entry, not listed twice.
    index.set_listed(vec!["specs/TODO.md".to_string()]);
    assert_eq!(index.tracker_paths("specs").filter(|it| *it == "specs/TODO.md").count(), 1);
}

/// Issue 32, item 10: `new` wrote `**Description**:` as a paragraph where 26 of 27 tasks of the
/// tracker write `- **Description**:` as a field of the list. The description follows the
/// tracker's own tasks, either way.
#[test]
fn a_new_task_s_description_is_written_as_the_tracker_writes_its_others() {
    let listed = "%! specs/TODO.md\n## Tasks\n\n### 1. One\n- **Status**: [NOT STARTED]\n- **Description**: the first\n\n### 2. Two\n- **Status**: [NOT STARTED]\n- **Description**: the second\n";
    let paragraph =
        "%! specs/TODO.md\n## Tasks\n\n### 1. One\n- **Status**: [NOT STARTED]\n\n**Description**: the first\n";
    let with_description = NewTask { description: Some("Make it so".into()), ..request("Three") };
    let (index, change, _) = plan_clean(listed, &with_description);
    let rendered = render(&index, &change);
    assert!(rendered.contains("- **Status**: [NOT STARTED]\n- **Description**: Make it so\n"), "{rendered}");
    let (index, change, _) = plan_clean(paragraph, &with_description);
    let rendered = render(&index, &change);
    assert!(rendered.contains("- **Status**: [NOT STARTED]\n\n**Description**: Make it so\n"), "{rendered}");
}

/// Issue 32, item 10: `new_task` had no way to give the fields the tracker's task standard asks
/// for. Fields given by name are written in the tracker's order and spelling, acceptance
/// criteria as open boxes under their field, and the state.json entry gets the keys its newest
/// entry has (`language`, in lower case as the entries write it).
#[test]
fn a_new_task_gets_the_fields_and_acceptance_criteria_it_is_given() {
    let tracker = "%! specs/TODO.md\n## Tasks\n\n### 1. One\n- **Effort**: 2 hours\n- **Status**: [NOT STARTED]\n- **Priority**: High\n- **Language**: lean\n- **Description**: the first\n- **Acceptance Criteria**:\n  - [ ] it works\n\n%! specs/state.json\n{\n  \"next_project_number\": 2,\n  \"active_projects\": [\n    {\n      \"project_number\": 1,\n      \"project_name\": \"one\",\n      \"status\": \"not_started\",\n      \"priority\": \"high\",\n      \"language\": \"lean\"\n    }\n  ]\n}\n";
    let wanted = NewTask {
        priority: Some("Low".into()),
        description: Some("Prove it".into()),
        fields: vec![("language".into(), "Markdown".into()), ("Effort".into(), "3 hours".into())],
        acceptance_criteria: vec!["`lake build` passes".into(), "no sorry left".into()],
        ..request("Two")
    };
    let (index, change, id) = plan_clean(tracker, &wanted);
    assert_eq!(id, "2");
    let rendered = render(&index, &change);
    assert!(
        rendered.contains("### 2. Two\n- **Effort**: 3 hours\n- **Status**: [NOT STARTED]\n- **Priority**: Low\n- **Language**: Markdown\n- **Description**: Prove it\n- **Acceptance Criteria**:\n  - [ ] `lake build` passes\n  - [ ] no sorry left\n"),
        "{rendered}"
    );
    assert!(rendered.contains("\"priority\": \"low\",\n      \"language\": \"markdown\""), "{rendered}");
    for (fields, criteria, refused) in [
        (vec![("Status".to_string(), "x".to_string())], vec![], "its own option"),
        (vec![("Language".into(), "a".into()), ("language".into(), "b".into())], vec![], "given twice"),
        (vec![("Na:me".into(), "a".into())], vec![], "`:`"),
        (vec![], vec!["two\nlines".to_string()], "one non-empty line"),
    ] {
        let bad = NewTask { fields, acceptance_criteria: criteria, ..request("Three") };
        let index = crate::fixture::index(tracker);
        let answer = plan_new_task(&index, &bad, &UsedIds::default());
        assert!(answer.as_ref().is_err_and(|it| it.to_string().contains(refused)), "{refused}: {answer:?}");
    }
}

const WITH_BOXES: &str = "%! specs/TODO.md\n## Tasks\n\n### 1. Prove it\n- **Status**: [IMPLEMENTING]\n- **Plan**: [implementation-001.md](001_prove_it/plans/implementation-001.md)\n- **Acceptance Criteria**:\n  - [ ] lemma proven\n  - [ ] no sorry left\n  - [ ] tests added for the lemma\n\n%! specs/001_prove_it/plans/implementation-001.md\n# Implementation Plan: Prove it\n\n- **Status**: [IMPLEMENTING]\n\n## Phases\n\n### Phase 1: Setup [COMPLETED]\n- [x] read the paper\n\n### Phase 2: Proof [IN PROGRESS]\n- [ ] write the lemma\n- [-] try the other way\n";

/// Issue 32, item 7: completing a task was refused (open-children) until an agent hand-edited
/// its acceptance criteria, and no tool ticked a plan phase's steps. `edit --tick` ticks boxes
/// by number, by a piece of their text or all of them, `--untick` opens them again, `--phase`
/// names a phase of the task's current plan; only the box characters change.
#[test]
fn edit_ticks_and_unticks_a_task_s_boxes_and_a_phase_s() {
    let out = edit_clean(WITH_BOXES, "1", |it| it.tick = vec!["1".into(), "SORRY".into()]);
    assert!(out.contains("  - [x] lemma proven\n  - [x] no sorry left\n  - [ ] tests added"), "{out}");
    assert!(!out.contains("=== specs/001_prove_it"), "the plan is not touched: {out}");
    let out = edit_leaving(WITH_BOXES, "1", |it| it.tick = vec!["all".into()], false);
    assert!(out.contains("  - [x] lemma proven\n  - [x] no sorry left\n  - [x] tests added"), "{out}");
    let phase_done = |it: &mut EditTask| {
        it.phase = Some("2".into());
        it.tick = vec!["all".into()];
    };
    let out = edit_leaving(WITH_BOXES, "1", phase_done, false);
    assert!(out.contains("- [x] write the lemma\n- [x] try the other way\n"), "{out}");
    assert!(!out.contains("=== specs/TODO.md"), "the task's own boxes are left: {out}");
    let out = edit_clean(WITH_BOXES, "1", |it| {
        it.phase = Some("2".into());
        it.untick = vec!["other way".into()];
    });
    assert!(out.contains("- [ ] write the lemma\n- [ ] try the other way\n"), "{out}");

    for (build, refused) in [
        (Box::new(|it: &mut EditTask| it.tick = vec!["4".into()]) as Box<dyn FnOnce(&mut EditTask)>, "no box 4"),
        (Box::new(|it: &mut EditTask| it.tick = vec!["lemma".into()]), "name one by its number"),
        (Box::new(|it: &mut EditTask| it.tick = vec!["nowhere".into()]), "no box of task"),
        (
            Box::new(|it: &mut EditTask| {
                it.tick = vec!["1".into()];
                it.untick = vec!["lemma proven".into()];
            }),
            "both ticked and unticked",
        ),
        (
            Box::new(|it: &mut EditTask| {
                it.phase = Some("9".into());
                it.tick = vec!["all".into()];
            }),
            "has no phase 9",
        ),
        (
            Box::new(|it: &mut EditTask| {
                it.phase = Some("2".into());
                it.title = Some("Prove it well".into());
            }),
            "only with boxes",
        ),
        (Box::new(|it: &mut EditTask| it.phase = Some("2".into())), "nothing to change"),
        (Box::new(|it: &mut EditTask| it.phase_status = Some("completed".into())), "name the phase"),
        (
            Box::new(|it: &mut EditTask| {
                it.phase = Some("2".into());
                it.phase_status = Some("frobbed".into());
            }),
            "no status of plan phases",
        ),
    ] {
        let error = edit_refused(WITH_BOXES, "1", build);
        assert!(error.contains(refused), "{refused}: {error}");
    }
}

/// Issue 32, item 7: no tool set a plan phase's status; an agent that ticked a phase's steps
/// could not complete the task (the plan's phases stayed `[NOT STARTED]`) without editing the
/// plan by hand. `edit --phase N --status S` sets it, named as the task statuses are named
/// (`implementing` is the phase's `[IN PROGRESS]`), in the same change as its boxes.
#[test]
fn edit_sets_a_plan_phase_s_status_with_its_boxes() {
    // The plan's last phase done: its header lags (plan-status-stale) until the task's status
    // moves it, which the service says instead of refusing.
    let index = index(WITH_BOXES);
    let mut request = EditTask::new(crate::edit::resolve_task(&index, "1").expect("task 1"));
    request.phase = Some("2".into());
    request.tick = vec!["write the lemma".into(), "other way".into()];
    request.phase_status = Some("completed".into());
    let out = render(&index, &plan_edit_task(&index, &request).unwrap_or_else(|it| panic!("{it}")));
    assert!(out.contains("### Phase 2: Proof [COMPLETED]\n- [x] write the lemma\n- [x] try the other way\n"), "{out}");
    let out = edit_clean(WITH_BOXES, "1", |it| {
        it.phase = Some("P1".into());
        it.untick = vec!["all".into()];
        it.phase_status = Some("implementing".into());
    });
    assert!(out.contains("### Phase 1: Setup [IN PROGRESS]\n- [ ] read the paper\n"), "{out}");
}

/// Issue 32, item 7: a phase's status is set with its timestamps, as the spec-folder standard
/// writes them under the phase heading (`- **Started**:` when taken up, kept once set;
/// `- **Completed**:` when done), in the style of the plan's other phase fields.
#[test]
fn a_phase_s_status_is_stamped_as_the_standard_writes_it() {
    let now = crate::timestamp::Now::parse("2026-11-26T10:00:00Z").expect("an instant");
    // The plan's last phase done: its header lags until the task's status moves it (a hint).
    let index = index(WITH_BOXES);
    let mut request = EditTask::new(crate::edit::resolve_task(&index, "1").expect("task 1"));
    request.phase = Some("2".into());
    request.tick = vec!["all".into()];
    request.phase_status = Some("completed".into());
    request.now = Some(now.clone());
    let out = render(&index, &plan_edit_task(&index, &request).unwrap_or_else(|it| panic!("{it}")));
    assert!(
        out.contains("### Phase 2: Proof [COMPLETED]\n- **Completed**: 2026-11-26T10:00:00Z\n- [x] write the lemma\n"),
        "{out}"
    );
    let started = WITH_BOXES.replace(
        "### Phase 1: Setup [COMPLETED]\n",
        "### Phase 1: Setup [COMPLETED]\n- **Started**: 2026-11-01T08:00:00Z\n",
    );
    let out = edit_clean(&started, "1", |it| {
        it.phase = Some("1".into());
        it.untick = vec!["all".into()];
        it.phase_status = Some("implementing".into());
        it.now = Some(now.clone());
    });
    assert!(
        out.contains("### Phase 1: Setup [IN PROGRESS]\n- **Started**: 2026-11-01T08:00:00Z\n- [ ]"),
        "kept once set: {out}"
    );
    let out = edit_clean(WITH_BOXES, "1", |it| {
        it.phase = Some("1".into());
        it.untick = vec!["all".into()];
        it.phase_status = Some("implementing".into());
        it.now = Some(now.clone());
    });
    assert!(out.contains("### Phase 1: Setup [IN PROGRESS]\n- **Started**: 2026-11-26T10:00:00Z\n- [ ] read"), "{out}");
}

const WITH_ARTIFACTS: &str = r#"%! specs/TODO.md
## Tasks

### 301. Done before
- **Status**: [COMPLETED]
- **Research Report**: [research-001.md](301_done_before/reports/research-001.md)

### 302. Prove the truth lemma
- **Status**: [RESEARCHING]
- **Language**: lean
- **Acceptance Criteria**:
  - [ ] lemma proven

### 303. Nested
- **Status**: [PLANNED]
- **Research Report**:
  - [research-001.md](303_nested/reports/research-001.md)

%! specs/state.json
{
  "active_projects": [
    {
      "project_number": 301,
      "status": "completed",
      "artifacts": [
        {
          "type": "research",
          "path": "specs/301_done_before/reports/research-001.md"
        }
      ]
    },
    {
      "project_number": 302,
      "status": "researching"
    },
    {
      "project_number": 303,
      "status": "planned",
      "artifacts": []
    }
  ]
}
%! specs/301_done_before/reports/research-001.md
# Research
%! specs/302_prove_the_truth_lemma/reports/research-001.md
# Research
%! specs/303_nested/reports/research-001.md
# Research
%! specs/303_nested/reports/research-002.md
# Research
"#;

fn artifact(kind: &str, path: &str) -> crate::lifecycle::edit::Artifact {
    crate::lifecycle::edit::Artifact { kind: kind.into(), path: path.into() }
}

/// Issue 32, item 7: no tool linked an artifact; an agent hand-edited TODO.md and state.json
/// after each research or plan. `edit --artifact research=PATH` links it the tracker's way: a
/// field named as this TODO.md names it (`**Research Report**` here), the link written as its
/// links are, an `artifacts` object in state.json shaped like the file's others; a nested list
/// gets one more item; a new field goes below the list nested under the block's last field (the
/// first run wrote it between `**Acceptance Criteria**:` and its boxes); a file already linked
/// is not linked twice.
#[test]
fn an_artifact_is_linked_in_every_store_the_tracker_s_way() {
    let report = "specs/302_prove_the_truth_lemma/reports/research-001.md";
    let out = edit_clean(WITH_ARTIFACTS, "302", |it| it.artifacts = vec![artifact("research", report)]);
    assert!(
        out.contains("- **Language**: lean\n- **Acceptance Criteria**:\n  - [ ] lemma proven\n- **Research Report**: [research-001.md](302_prove_the_truth_lemma/reports/research-001.md)\n"),
        "{out}"
    );
    assert!(
        out.contains("      \"status\": \"researching\",\n      \"artifacts\": [\n        {\n          \"type\": \"research\",\n          \"path\": \"specs/302_prove_the_truth_lemma/reports/research-001.md\"\n        }\n      ]\n    },"),
        "{out}"
    );
    let second = "specs/303_nested/reports/research-002.md";
    let out = edit_clean(WITH_ARTIFACTS, "303", |it| it.artifacts = vec![artifact("research", second)]);
    assert!(
        out.contains("- **Research Report**:\n  - [research-001.md](303_nested/reports/research-001.md)\n  - [research-002.md](303_nested/reports/research-002.md)\n"),
        "{out}"
    );
    assert!(out.contains("\"artifacts\": [\n        {\n          \"type\": \"research\",\n          \"path\": \"specs/303_nested/reports/research-002.md\"\n        }\n      ]"), "{out}");
    // Linked already: the section and the entry say so, nothing is written twice.
    let first = "specs/301_done_before/reports/research-001.md";
    let index = index(WITH_ARTIFACTS);
    let mut request = EditTask::new(crate::edit::resolve_task(&index, "301").expect("task 301"));
    request.artifacts = vec![artifact("research", first)];
    let change = plan_edit_task(&index, &request).unwrap_or_else(|it| panic!("{it}"));
    assert!(change.files.iter().all(|it| it.edits.is_empty()), "{change:?}");
    for (wanted, refused) in [
        (artifact("research", "specs/302_prove_the_truth_lemma/reports/missing.md"), "write the artifact first"),
        (artifact("research", "../outside.md"), "from the workspace root"),
        (artifact("two words", report), "no artifact kind"),
    ] {
        let mut request = EditTask::new(crate::edit::resolve_task(&index, "302").expect("task 302"));
        request.artifacts = vec![wanted];
        let refusal = plan_edit_task(&index, &request).expect_err("refused");
        assert!(refusal.to_string().contains(refused), "{refusal}");
    }
}
