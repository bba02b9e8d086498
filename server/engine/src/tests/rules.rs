//! One fixture per rule, modelled on the spec-folder workflow; the expected diagnostics are
//! snapshots under `snapshots/`.

use insta::assert_snapshot;

use crate::config::Config;
use crate::diagnostic::{RuleCode, Severity};
use crate::fixture::{check, diagnostics, diagnostics_with, render};

#[test]
fn unknown_status_with_suggestions() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
### 1. Typo
- **Status**: [IN PROGRES]

### 2. Lower case
- **Status**: [completed]
- **Completed**: 2026-01-02

### 3. Padding
- **Status**: [ NOT STARTED ]

### 4. Legacy
- **Status**: [COMPLETE]
- **Completed**: 2026-01-02

### 5. Not a status at all
- **Status**: [SKIPPED]

### 6. Phase status on a task
- **Status**: [IN PROGRESS]

### 7. Trailing text
- **Status**: [COMPLETED] -- all 7 phases COMPLETED
- **Completed**: 2026-01-02

### 8. Bare legacy word
- **Status**: Not Started
"#
    ));
}

#[test]
fn status_mismatch_across_todo_order_state_and_plan() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
## Task Order
- **58** [BLOCKED] — Bundle coherence
- **59** [PLANNED] — Agreeing task

## Tasks

### 58. Bundle coherence
- **Status**: [RESEARCHED]
- **Researched**: 2026-01-10

### 59. Agreeing task
- **Status**: [PLANNED]
- **Planned**: 2026-01-10
%! specs/state.json
{
  "active_projects": [
    {"project_number": 58, "status": "researched"},
    {"project_number": 59, "status": "planned"}
  ]
}
%! specs/059_agreeing/plans/implementation-001.md
# Plan
- **Task**: 59 - Agreeing task
- **Status**: [NOT STARTED]

### Phase 1: Only phase [NOT STARTED]
- [ ] Do it
"#
    ));
}

#[test]
fn plan_header_agrees_by_kind_but_not_across_kinds() {
    let fixture = r#"%! specs/TODO.md
### 7. Implementing
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-10

### 8. Done
- **Status**: [COMPLETED]
- **Completed**: 2026-01-11

### 9. Ahead of its task
- **Status**: [PLANNED]
- **Planned**: 2026-01-09
%! specs/007_impl/plans/implementation-001.md
- **Status**: [IN PROGRESS]

### Phase 1: Started [IN PROGRESS]
%! specs/008_done/plans/implementation-001.md
- **Status**: [NOT STARTED]

### Phase 1: Done [COMPLETED]
%! specs/009_ahead/plans/implementation-001.md
- **Status**: [COMPLETED]

### Phase 1: Done [COMPLETED]
"#;
    let (index, found) = diagnostics(fixture, None);
    let codes: Vec<(String, RuleCode)> = found.iter().map(|it| (index.path(it.file).to_string(), it.code)).collect();
    assert!(!codes.iter().any(|(path, _)| path.contains("007_impl")), "{codes:?}");
    // A header behind its phases gets one help at its position: catch it up with its phases
    // (plan-status-stale's); the disagreement with its task is reported without a second one.
    let mut done: Vec<(RuleCode, bool)> = found
        .iter()
        .filter(|it| index.path(it.file) == "specs/008_done/plans/implementation-001.md")
        .map(|it| (it.code, it.fix.is_some()))
        .collect();
    done.sort();
    assert_eq!(done, [(RuleCode::StatusMismatch, false), (RuleCode::PlanStatusStale, true)], "{codes:?}");
    // A header that says what its phases say but not what its task says disagrees (nothing
    // tells which is newer: one diagnostic for task 9, naming the plan).
    let ahead: Vec<&str> = found
        .iter()
        .filter(|it| {
            it.code == RuleCode::StatusMismatch && it.task.as_ref().is_some_and(|task| task.to_string() == "9")
        })
        .map(|it| it.message.as_str())
        .collect();
    assert!(
        matches!(ahead.as_slice(), [message] if message.contains("specs/009_ahead/plans/implementation-001.md")),
        "{ahead:?}"
    );
}

#[test]
fn seed_style_plan_is_stale_with_open_children() {
    assert_snapshot!(check(
        r#"%! specs/221_fix/plans/implementation-001.md
# Implementation Plan: Fix status updates

- **Task**: 221 - Fix status updates
- **Status**: [NOT STARTED]

## Implementation Phases

### Phase 1: Refactor [COMPLETED]

- **Started**: 2025-12-28T22:47:00Z
- **Completed**: 2025-12-28T22:47:00Z
- **Tasks**:
  - [ ] Read the executor
  - [ ] Replace direct updates

### Phase 2: Parse plans [COMPLETED]
(Started: 2025-12-28T22:48:00Z)
(Completed: 2025-12-28T22:48:00Z)

- [x] Parse
- [x] Update

### Phase 3: Half way [IN PROGRESS]
- [x] One
- [x] Two
"#
    ));
}

#[test]
fn missing_fields_and_bad_timestamps() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
### 1. Completed without date
- **Status**: [COMPLETED]

### 2. Blocked without reason
- **Status**: [BLOCKED]
- **Blocked**: 2026-01-03

### 3. Blocked with an alternative reason field
- **Status**: [BLOCKED]
- **Blocked**: 2026-01-03
- **Blocked by**: task 1

### 4. Abandoned
- **Status**: [ABANDONED]
- **Abandoned**: 2026-01-03
- **Abandonment Reason**: superseded

### 5. Out of order
- **Status**: [COMPLETED]
- **Started**: 2026-01-05T10:00:00Z
- **Completed**: 2026-01-04T10:00:00Z

### 6. Malformed and placeholder
- **Status**: [IMPLEMENTING]
- **Started**: 2025-12-28T22:50:33+00:00Z
- **Created**: [RUN: date -u +%Y-%m-%d]
"#
    ));
}

#[test]
fn broken_and_absolute_links() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
### 1. Links
- **Status**: [PLANNED]
- **Planned**: 2026-01-01
- **Research**: [research-001.md](specs/001_links/reports/research-001.md)
- **Plan**:
  - [.opencode/specs/001_links/plans/implementation-009.md]
  - [implementation-001.md](001_links/plans/implementation-001.md)
- **Summary**: [summary](/home/someone/project/specs/001_links/summaries/s.md)

**Description**: prose links like [the guide](docs/missing.md) are not checked.
%! specs/001_links/reports/research-001.md
# Research
%! specs/001_links/plans/implementation-001.md
- **Status**: [NOT STARTED]
"#
    ));
}

#[test]
fn duplicates_orphans_and_archived_tasks() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
### 1. Defined twice
- **Status**: [NOT STARTED]

### 1. Defined twice
- **Status**: [NOT STARTED]

### 2. Not mirrored
- **Status**: [NOT STARTED]

### 6. Mirrored
- **Status**: [NOT STARTED]

### 7. Mirrored too
- **Status**: [NOT STARTED]

### 8. Mirrored as well
- **Status**: [NOT STARTED]
%! specs/state.json
{
  "active_projects": [
    {"project_number": 1, "status": "not_started"},
    {"project_number": 6, "status": "not_started"},
    {"project_number": 3, "status": "planned"},
    {"project_number": 7, "status": "not_started"},
    {"project_number": 8, "status": "not_started"}
  ],
  "completed_projects": [{"project_number": 4, "completed": "2026-01-01"}]
}
%! specs/004_archived/plans/implementation-001.md
- **Status**: [COMPLETED]
%! specs/005_lost/plans/implementation-001.md
- **Status**: [NOT STARTED]
"#
    ));
}

/// Many trackers add a task to state.json only when work on it starts: where most not-started
/// tasks have no entry, a missing one is the convention, not an orphan; a started one still is.
#[test]
fn not_started_tasks_are_orphans_only_where_state_json_lists_them() {
    let (_, found) = diagnostics(
        r#"%! specs/TODO.md
### 1. Waiting
- **Status**: [NOT STARTED]

### 2. Waiting too
- **Status**: [NOT STARTED]

### 3. Started
- **Status**: [PLANNED]
- **Planned**: 2026-01-01

### 4. Started, not listed
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-02
%! specs/state.json
{
  "active_projects": [{"project_number": 3, "status": "planned"}]
}
"#,
        None,
    );
    let orphans: Vec<_> =
        found.iter().filter(|it| it.code == RuleCode::OrphanTask).map(|it| it.message.as_str()).collect();
    assert_eq!(orphans, ["task 4 has a TODO.md section but no entry in state.json"]);
}

/// Issue 32's four agents: a tracker listing only tasks under way got eight new tasks, each
/// created with its entry; 8 of 11 not-started tasks listed made the tracker "mirrored" by a
/// bare majority, and the three untouched ones orphans. A convention is four in five at least.
#[test]
fn a_bare_majority_of_listed_not_started_tasks_is_no_convention() {
    let tracker = |listed: usize, unlisted: usize| {
        let mut todo = String::from("%! specs/TODO.md\n");
        let mut entries = Vec::new();
        for id in 1..=listed + unlisted {
            todo.push_str(&format!("### {id}. Task\n- **Status**: [NOT STARTED]\n\n"));
            if id > unlisted {
                entries.push(format!("{{\"project_number\": {id}, \"status\": \"not_started\"}}"));
            }
        }
        format!("{todo}%! specs/state.json\n{{\"active_projects\": [{}]}}\n", entries.join(", "))
    };
    let orphans = |text: &str| {
        let (_, found) = diagnostics(text, None);
        found.iter().filter(|it| it.code == RuleCode::OrphanTask).count()
    };
    assert_eq!(orphans(&tracker(8, 3)), 0, "8 of 11 listed");
    assert_eq!(orphans(&tracker(8, 2)), 2, "8 of 10 listed: the two unlisted are orphans");
}

/// A plan whose phases are all closed under a header still under way, of a task under way
/// everywhere: the moment before the task is completed. A hint, as a task over ticked boxes
/// is; a task that other places say is done keeps the warning.
#[test]
fn a_plan_ahead_of_its_whole_task_is_a_hint_and_of_its_header_alone_a_warning() {
    let tracker = |todo_status: &str| {
        format!(
            "%! specs/TODO.md\n### 1. Task\n- **Status**: {todo_status}\n- **Started**: 2026-01-02\n- **Plan**: [plan](001_task/plans/implementation-001.md)\n%! specs/001_task/plans/implementation-001.md\n# Plan\n\n- **Status**: [IN PROGRESS]\n\n## Phases\n\n### Phase 1: One [COMPLETED]\n\n### Phase 2: Two [COMPLETED]\n"
        )
    };
    let stale = |text: &str| {
        let (_, found) = diagnostics(text, None);
        found.iter().filter(|it| it.code == RuleCode::PlanStatusStale).map(|it| it.severity).collect::<Vec<_>>()
    };
    assert_eq!(stale(&tracker("[IMPLEMENTING]")), [crate::diagnostic::Severity::Hint]);
    assert_eq!(stale(&tracker("[COMPLETED]\n- **Completed**: 2026-01-03")), [crate::diagnostic::Severity::Warning]);
}

#[test]
fn stale_counters() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
---
next_project_number: 3
task_counts:
  active: 5
  not_started: 1
  completed: 0
  total: 2
  in_progress: 9
---
### 3. Newest
- **Status**: [NOT STARTED]

### 2. Done
- **Status**: [COMPLETED]
- **Completed**: 2026-01-01
%! specs/state.json
{"next_project_number": 7, "active_projects": [{"project_number": 3, "status": "not_started"}], "completed_projects": [{"project_number": 2}]}
"#
    ));
}

#[test]
fn dependencies_not_done() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
### 10. Foundation
- **Status**: [RESEARCHED]
- **Researched**: 2026-01-01

### 11. Built on it
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-02
- **Dependencies**: 10, 12

### 12. Finished dependency
- **Status**: [COMPLETED]
- **Completed**: 2026-01-01

### 13. Waiting is fine
- **Status**: [NOT STARTED]
- **Dependencies**: 10
"#
    ));
}

/// Task Master has one done status and no phases: a task done before a dependency that is
/// still pending is reported where both tasks' places agree (5 on 4, in tasks.json and the
/// task files alike), not where either task's own places disagree, which `status-mismatch`
/// reports already (7 on 6, whose file says done; 9, whose own file says pending, on 8).
#[test]
fn dependencies_not_done_in_task_master_where_places_agree() {
    let fixture = r#"%! .taskmaster/tasks/tasks.json
{
  "master": {
    "tasks": [
      {"id": 4, "title": "Categorize", "status": "pending", "dependencies": []},
      {"id": 5, "title": "Generate", "status": "done", "dependencies": [4]},
      {"id": 6, "title": "Schema", "status": "pending", "dependencies": []},
      {"id": 7, "title": "Migrate", "status": "done", "dependencies": [6]},
      {"id": 8, "title": "Index", "status": "pending", "dependencies": []},
      {"id": 9, "title": "Search", "status": "done", "dependencies": [8]}
    ]
  }
}
%! .taskmaster/tasks/task_004.txt
# Task ID: 4
# Title: Categorize
# Status: pending
%! .taskmaster/tasks/task_005.txt
# Task ID: 5
# Title: Generate
# Status: done
%! .taskmaster/tasks/task_006.txt
# Task ID: 6
# Title: Schema
# Status: done
%! .taskmaster/tasks/task_009.txt
# Task ID: 9
# Title: Search
# Status: pending
"#;
    let (_, found) = diagnostics(fixture, None);
    let not_done: Vec<String> = found
        .iter()
        .filter(|it| it.code == RuleCode::DependencyNotDone)
        .map(|it| format!("{}: {}", it.task.as_ref().map_or("", |task| task.id.as_str()), it.message))
        .collect();
    assert_eq!(
        not_done,
        ["5: task 5 is `done` but depends on task 4, which is `pending` (.taskmaster/tasks/tasks.json:4)"]
    );
    let mismatched: Vec<&str> = found
        .iter()
        .filter(|it| it.code == RuleCode::StatusMismatch)
        .filter_map(|it| it.task.as_ref().map(|task| task.id.as_str()))
        .collect();
    assert!(mismatched.contains(&"6") && mismatched.contains(&"9"), "{mismatched:?}");
    // A subtask that lists its own parent (Backlog.md writes `dependencies: [task-27.1]` under
    // `parent_task_id: TASK-27.1`) is done before its parent by nature: not reported.
    let backlog = |dependencies: &str| {
        format!(
            "%! backlog/config.yml\nstatuses: [\"To Do\", \"In Progress\", \"Done\"]\n\
             %! backlog/tasks/task-27.1 - Epic.md\n---\nid: TASK-27.1\ntitle: Epic\nstatus: To Do\n---\n\
             %! backlog/tasks/task-21 - Store.md\n---\nid: TASK-21\ntitle: Store\nstatus: To Do\n---\n\
             %! backlog/tasks/task-27.1.1 - Part.md\n---\nid: TASK-27.1.1\ntitle: Part\nstatus: Done\n\
             parent_task_id: TASK-27.1\ndependencies: [{dependencies}]\n---\n"
        )
    };
    let not_done = |fixture: &str| {
        let (_, found) = diagnostics(fixture, None);
        found.iter().filter(|it| it.code == RuleCode::DependencyNotDone).count()
    };
    assert_eq!(not_done(&backlog("task-27.1")), 0);
    assert_eq!(not_done(&backlog("task-27.1, task-21")), 1, "another task's order still counts");
}

/// 12 waits on 11, which waits on abandoned 10: both can never be done, 12 through a chain.
/// 13 is done (what it waited on no longer matters), 14 abandoned itself, 15 waits on done 13,
/// and 16, under way, is told by `dependency-dead` alone (not `dependency-not-done` too). The
/// cycle 17 <-> 18 ends nowhere.
#[test]
fn dependencies_dead_directly_and_through_a_chain() {
    assert_snapshot!(check(
        r#"%! specs/TODO.md
### 10. Legacy importer
- **Status**: [ABANDONED]

### 11. Importer tests
- **Status**: [NOT STARTED]
- **Dependencies**: 10

### 12. Release
- **Status**: [BLOCKED]
- **Dependencies**: 11, 15

### 13. Done anyway
- **Status**: [COMPLETED]
- **Completed**: 2026-01-01
- **Dependencies**: 10

### 14. Dropped too
- **Status**: [ABANDONED]
- **Dependencies**: 10

### 15. After a done one
- **Status**: [NOT STARTED]
- **Dependencies**: 13

### 16. Under way
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-02
- **Dependencies**: 10

### 17. Cycle one
- **Status**: [NOT STARTED]
- **Dependencies**: 18

### 18. Cycle two
- **Status**: [NOT STARTED]
- **Dependencies**: 17
"#
    ));
}

/// Task 2 skips ahead along a path of allowed steps (`[NOT STARTED]`, `[IMPLEMENTING]`,
/// `[COMPLETED]`), which is no invalid transition: several steps may lie between two commits.
#[test]
fn invalid_transitions_against_a_baseline() {
    let before = r#"%! specs/TODO.md
### 1. Reopened
- **Status**: [COMPLETED]
- **Completed**: 2026-01-01

### 2. Skipped ahead
- **Status**: [NOT STARTED]

### 3. Normal progress
- **Status**: [PLANNED]
- **Planned**: 2026-01-01
%! specs/003_x/plans/implementation-001.md
- **Status**: [IN PROGRESS]

### Phase 1: Done and undone [COMPLETED]
"#;
    let after = r#"%! specs/TODO.md
### 2. Skipped ahead
- **Status**: [COMPLETED]
- **Completed**: 2026-01-02

### 1. Reopened
- **Status**: [NOT STARTED]

### 3. Normal progress
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-02
%! specs/003_x/plans/implementation-001.md
- **Status**: [IN PROGRESS]

### Phase 1: Done and undone [NOT STARTED]
"#;
    let (index, found) = diagnostics(after, Some(before));
    let transitions: Vec<_> = found.into_iter().filter(|it| it.code == RuleCode::InvalidTransition).collect();
    assert_snapshot!(render(&index, &transitions));
}

/// Between two commits an agent takes several allowed steps (`set 1 researching`, then `set 1
/// researched`): the baseline is compared with where they led, so a status some path of
/// allowed steps reaches is no forbidden jump; one no path reaches still is.
#[test]
fn transitions_are_judged_by_reachability_from_the_baseline() {
    let before = r#"%! specs/TODO.md
### 1. Researched in two steps
- **Status**: [NOT STARTED]

### 2. Planned in two steps
- **Status**: [RESEARCHED]
- **Researched**: 2026-01-01

### 3. Revised through the revising cycle
- **Status**: [PLANNED]
- **Planned**: 2026-01-01

### 4. Sent back to the start
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-01

### 5. Abandoned, then picked up
- **Status**: [ABANDONED]
- **Abandoned**: 2026-01-01
- **Abandonment Reason**: superseded
%! specs/001_x/plans/implementation-001.md
- **Status**: [IN PROGRESS]

### Phase 1: Started and finished [NOT STARTED]

### Phase 2: Finished and reopened [COMPLETED]

### Phase 3: Abandoned, restarted and finished [ABANDONED]
"#;
    let after = r#"%! specs/TODO.md
### 1. Researched in two steps
- **Status**: [RESEARCHED]
- **Researched**: 2026-01-02

### 2. Planned in two steps
- **Status**: [PLANNED]
- **Researched**: 2026-01-01
- **Planned**: 2026-01-02

### 3. Revised through the revising cycle
- **Status**: [REVISED]
- **Planned**: 2026-01-01
- **Revised**: 2026-01-02

### 4. Sent back to the start
- **Status**: [NOT STARTED]

### 5. Abandoned, then picked up
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-02
%! specs/001_x/plans/implementation-001.md
- **Status**: [IN PROGRESS]

### Phase 1: Started and finished [COMPLETED]

### Phase 2: Finished and reopened [IN PROGRESS]

### Phase 3: Abandoned, restarted and finished [COMPLETED]
"#;
    let (index, found) = diagnostics(after, Some(before));
    let transitions: Vec<_> = found.into_iter().filter(|it| it.code == RuleCode::InvalidTransition).collect();
    let rendered = render(&index, &transitions);
    // Tasks 4 and 5 and phase 2: nothing leads back to NOT STARTED, ABANDONED and a completed
    // phase are terminal. Everything else is two or three allowed steps away.
    assert_eq!(transitions.len(), 3, "{rendered}");
    assert_snapshot!(rendered);
}

#[test]
fn configuration_changes_severities_and_vocabulary() {
    let config = Config::parse(
        r#"
[rules]
missing-field = "off"
unknown-status = "hint"

[profiles.spec-folder]
statuses = [{ id = "in_review", kind = "active", marker = "IN REVIEW", json = "in_review" }]
"#,
    )
    .unwrap();
    let (index, found) = diagnostics_with(
        r#"%! specs/TODO.md
### 1. Reviewing
- **Status**: [IN REVIEW]

### 2. Done without date
- **Status**: [COMPLETED]

### 3. Typo
- **Status**: [IN REVEIW]
"#,
        None,
        &config,
    );
    let rendered = render(&index, &found);
    assert!(!rendered.contains("missing-field"), "{rendered}");
    assert_eq!(found.len(), 1, "{rendered}");
    assert_eq!(found[0].severity, Severity::Hint);
    assert!(rendered.contains("did you mean `[IN REVIEW]`"), "{rendered}");
}

#[test]
fn prose_documents_get_no_diagnostics() {
    let found = check(
        r#"%! specs/001_x/reports/research-001.md
# Research
- **Status**: Would work but unnecessary
- [~] strange box
### Phase 1: Not a plan [WHATEVER]
%! README.md
- **Status**: ✅ Implemented and tested
- [?] question
%! docs/notes.md
### 12. Numbered heading
- **Status**: [NOT A STATUS]
"#,
    );
    assert_eq!(found, "");
}

/// A plan header caught up with its phases (as `taskmark fix` does) is no forbidden jump: the
/// header summarises the phases, whose own transitions are checked. A header that jumps ahead
/// of its phases still is one.
#[test]
fn a_plan_header_caught_up_with_its_phases_is_no_invalid_transition() {
    let plan = |header: &str, phase: &str| {
        format!(
            "%! specs/004_x/plans/implementation-001.md\n- **Status**: {header}\n\n### Phase 1: One [COMPLETED]\n- [x] a\n\n### Phase 2: Two {phase}\n- [x] b\n"
        )
    };
    let before = plan("[NOT STARTED]", "[COMPLETED]");
    let (_, found) = diagnostics(&plan("[COMPLETED]", "[COMPLETED]"), Some(&before));
    assert!(!found.iter().any(|it| it.code == RuleCode::InvalidTransition), "{found:?}");
    // Back from `[COMPLETED]`, where no path of allowed steps leads: catching up with phases
    // that are under way is no jump, moving past what they say is one.
    let before = plan("[COMPLETED]", "[NOT STARTED]");
    let (_, found) = diagnostics(&plan("[IN PROGRESS]", "[NOT STARTED]"), Some(&before));
    assert!(!found.iter().any(|it| it.code == RuleCode::InvalidTransition), "caught up: {found:?}");
    let (_, found) = diagnostics(&plan("[NOT STARTED]", "[NOT STARTED]"), Some(&before));
    assert!(found.iter().any(|it| it.code == RuleCode::InvalidTransition), "behind its phases: {found:?}");
}

/// Timestamps that cannot both be true: nothing after `Completed`, nothing on a day before
/// `Created`, no second `Completed` with another value. A second research round after planning
/// is no contradiction.
#[test]
fn contradicting_timestamps_are_reported_redone_steps_are_not() {
    let (_, found) = diagnostics(
        r#"%! specs/TODO.md
### 1. Planned after completion
- **Status**: [COMPLETED]
- **Planned**: 2026-01-14T23:29:00Z
- **Completed**: 2026-01-14T22:32:00Z

### 2. Researched again after planning
- **Status**: [PLANNED]
- **Created**: 2026-01-01
- **Planned**: 2026-01-19
- **Researched**: 2026-02-17

### 3. Started before it was created
- **Status**: [IMPLEMENTING]
- **Created**: 2026-01-10
- **Started**: 2025-01-16

### 4. Completed twice
- **Status**: [COMPLETED]
- **Completed**: 2026-01-02
- **Completed**: 2026-01-05
"#,
        None,
    );
    let messages: Vec<&str> =
        found.iter().filter(|it| it.code == RuleCode::BadTimestamp).map(|it| it.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Completed `2026-01-14T22:32:00Z` is before Planned `2026-01-14T23:29:00Z`",
            "Started `2025-01-16` is before Created `2026-01-10`",
            "Completed is written twice: `2026-01-05` here, `2026-01-02` before",
        ]
    );
}

/// A disagreement is reported at the places that are behind: by the task's own timestamps when
/// every side has one, else by what most places say, else by what changed since the baseline;
/// when nothing tells, once for the task, listing every place.
#[test]
fn status_mismatch_reports_the_places_that_are_behind() {
    let now = r#"%! specs/TODO.md
### 1. Stamped on both sides
- **Status**: [RESEARCHED]
- **Researched**: 2026-01-10

### 2. Blocked without a stamp
- **Status**: [BLOCKED]

### 3. Changed in one file
- **Status**: [BLOCKED]
%! specs/state.json
{
  "active_projects": [
    {"project_number": 1, "status": "planned", "planned": "2026-01-12T08:00:00Z"},
    {"project_number": 2, "status": "researched"},
    {"project_number": 3, "status": "researched"}
  ]
}
"#;
    // Before: task 3 agreed, and task 1's state.json had not moved on.
    let before = now
        .replace(
            "### 3. Changed in one file\n- **Status**: [BLOCKED]",
            "### 3. Changed in one file\n- **Status**: [RESEARCHED]",
        )
        .replace(r#""status": "planned", "planned": "2026-01-12T08:00:00Z""#, r#""status": "researched""#);
    let mismatches = |baseline: Option<&str>| {
        let (index, found) = diagnostics(now, baseline);
        let found: Vec<_> = found.into_iter().filter(|it| it.code == RuleCode::StatusMismatch).collect();
        render(&index, &found).lines().filter(|it| !it.starts_with(' ')).map(str::to_owned).collect::<Vec<_>>()
    };
    let without = mismatches(None);
    // Task 1: state.json's `planned` is newer than TODO.md's `Researched`: TODO.md is behind.
    assert!(
        without
            .iter()
            .any(|it| it.starts_with("specs/TODO.md:2 ") && it.contains("(newer, by the task's Planned timestamp)")),
        "{without:#?}"
    );
    assert!(!without.iter().any(|it| it.starts_with("specs/state.json:3 ")), "{without:#?}");
    // Tasks 2 and 3: one place against one, nothing newer: one diagnostic each, listing both.
    let ties: Vec<_> = without.iter().filter(|it| it.contains("nothing says which is newer")).collect();
    assert_eq!(ties.len(), 2, "{without:#?}");
    assert_eq!(without.len(), 3, "{without:#?}");
    // Against the baseline, task 3's TODO.md changed and state.json did not: state.json is behind.
    let with = mismatches(Some(&before));
    assert!(
        with.iter().any(|it| it.starts_with("specs/state.json:5 ") && it.contains("(changed since HEAD)")),
        "{with:#?}"
    );
    assert!(!with.iter().any(|it| it.starts_with("specs/TODO.md:9 ")), "{with:#?}");
}

/// A required field is a convention only where the tracker writes it: a TODO.md that never
/// writes **Completed** is not missing it on each finished task; one that writes it on some is.
#[test]
fn missing_field_only_where_the_tracker_writes_that_field() {
    let without = r#"%! specs/TODO.md
### 1. Done
- **Status**: [COMPLETED]

### 2. Done too
- **Status**: [COMPLETED]
"#;
    let (_, found) = diagnostics(without, None);
    assert!(!found.iter().any(|it| it.code == RuleCode::MissingField), "{found:?}");
    let with = format!("{without}- **Completed**: 2026-01-02\n");
    let (index, found) = diagnostics(&with, None);
    let missing: Vec<String> = found
        .iter()
        .filter(|it| it.code == RuleCode::MissingField)
        .map(|it| render(&index, std::slice::from_ref(it)))
        .collect();
    assert!(matches!(missing.as_slice(), [one] if one.starts_with("specs/TODO.md:2 ")), "{missing:?}");
}

/// A task expanded into others hands its plan and its dependencies over with the work: the
/// plan it never carried out is history, and what it depended on is the new tasks' business.
#[test]
fn an_expanded_task_leaves_its_plan_and_dependencies_to_the_new_tasks() {
    let fixture = r#"%! specs/TODO.md
### 12. Split up
- **Status**: [EXPANDED]
- **Dependencies**: 41

### 41. Not started
- **Status**: [NOT STARTED]
%! specs/012_split/plans/implementation-001.md
- **Status**: [NOT STARTED]

### Phase 1: Never run [NOT STARTED]
- [ ] Step
"#;
    let (_, found) = diagnostics(fixture, None);
    let codes: Vec<RuleCode> = found.iter().filter(|it| it.severity != Severity::Hint).map(|it| it.code).collect();
    assert!(codes.is_empty(), "{found:?}");
    let completed = fixture.replace("[EXPANDED]", "[COMPLETED]\n- **Completed**: 2026-01-02");
    let (_, found) = diagnostics(&completed, None);
    let codes: Vec<RuleCode> = found.iter().map(|it| it.code).collect();
    assert!(codes.contains(&RuleCode::StatusMismatch) && codes.contains(&RuleCode::DependencyNotDone), "{codes:?}");
}

/// A `completed_projects` entry without a status says "completed" by where it is; an archive
/// that says the task was abandoned is another record of its history, not a live place, and
/// history is not compared entry by entry (issue 33, item 2). An archived entry whose name
/// shares nothing with the live folder of the same id is another task: the id was handed out
/// again.
#[test]
fn completed_projects_entries_and_reused_ids() {
    let fixture = r#"%! specs/state.json
{
  "active_projects": [{"project_number": 190, "project_name": "meta_system_optimization", "status": "not_started"}],
  "completed_projects": [
    {"project_number": 190, "project_name": "improve_maintenance_md_documentation"},
    {"project_number": 210, "project_name": "fix_lean_subagents_to_follow_rules"}
  ]
}
%! specs/archive/state.json
{"archived_projects": [{"project_number": 210, "project_name": "fix_lean_subagents", "status": "abandoned"}]}
%! specs/TODO.md
### 190. Meta system optimization
- **Status**: [NOT STARTED]
%! specs/190_meta_system_optimization/plans/implementation-001.md
- **Status**: [NOT STARTED]
"#;
    let (index, found) = diagnostics(fixture, None);
    let rendered = render(&index, &found);
    let lines: Vec<&str> = rendered.lines().filter(|it| !it.starts_with(' ')).collect();
    assert!(!lines.iter().any(|it| it.contains("task 210")), "{rendered}");
    assert!(
        lines
            .iter()
            .any(|it| it.contains("[id-reused] task 190's id is used twice: folder `190_meta_system_optimization`")),
        "{rendered}"
    );
    // Task 190's live places agree: the archived entry is the old task's.
    assert!(!lines.iter().any(|it| it.contains("[status-mismatch] task 190")), "{rendered}");
    // `show` says what `check` says: the task's record agrees with itself.
    let summary = crate::ide::task_summary(&index, &crate::model::TaskKey::new("specs", "210"));
    assert!(summary.agrees(), "{summary:?}");
}

/// Issue 33, item 2: an agent system re-records archived tasks in its archive (a bookkeeping
/// entry appended each time a leftover folder is archived again). Each re-record was a
/// duplicate-task error and a status-mismatch with a fix that rewrote the archive. History is
/// read as a log: a task's status is what its live places say (or, archived, its first
/// record); a kind of record none of whose entries agrees contradicts it once, without a fix.
#[test]
fn history_is_a_log_compared_once_per_task() {
    let fixture = r#"%! specs/TODO.md
### 300. Live and done
- **Status**: [COMPLETED]

### 301. Reopened
- **Status**: [IN PROGRESS]
- **Started**: 2026-01-02
%! specs/state.json
{
  "active_projects": [
    {"project_number": 300, "project_name": "live_and_done", "status": "completed"},
    {"project_number": 301, "project_name": "reopened", "status": "in_progress", "started": "2026-01-02"}
  ]
}
%! specs/archive/state.json
{"archived_projects": [
  {"project_number": 107, "project_name": "old_work", "status": "completed", "archived": "2025-12-01"},
  {"project_number": 108, "project_name": "given_up", "status": "abandoned", "archived": "2025-12-01"},
  {"project_number": 300, "project_name": "live_and_done", "status": "completed"},
  {"project_number": 301, "project_name": "reopened", "status": "completed"},
  {"project_number": 107, "status": "orphan_archived", "source": "orphan_recovery"},
  {"project_number": 107, "status": "orphan_archived", "source": "orphan_recovery"},
  {"project_number": 108, "status": "orphan_archived", "source": "orphan_recovery"},
  {"project_number": 300, "status": "orphan_archived", "source": "orphan_recovery"},
  {"project_number": 301, "status": "orphan_archived", "source": "orphan_recovery"},
  {"project_number": 107, "status": "orphan_archived", "source": "orphan_recovery"}
]}
"#;
    let (index, found) = diagnostics(fixture, None);
    let rendered = render(&index, &found);
    let errors: Vec<&crate::diagnostic::Diagnostic> =
        found.iter().filter(|it| it.severity == Severity::Error).collect();
    // Only task 301, whose live places say it is under way and whose archive never agrees.
    let [contradiction] = errors.as_slice() else { panic!("{rendered}") };
    assert_eq!(contradiction.code, RuleCode::StatusMismatch, "{rendered}");
    assert_eq!(contradiction.task, Some(crate::model::TaskKey::new("specs", "301")), "{rendered}");
    assert!(contradiction.message.contains("history is left as it is"), "{rendered}");
    assert!(contradiction.fix.is_none(), "history is never rewritten: {rendered}");
    assert!(!found.iter().any(|it| it.code == RuleCode::DuplicateTask), "{rendered}");
    // `show` and `set` tell the same story: the re-recorded tasks agree, with their first
    // record's status, and the bookkeeping word is never offered as a next step.
    for (id, status) in [("107", "completed"), ("108", "abandoned"), ("300", "[COMPLETED]")] {
        let summary = crate::ide::task_summary(&index, &crate::model::TaskKey::new("specs", id));
        assert!(summary.agrees(), "{id}: {summary:?}");
        assert_eq!(summary.status.as_deref(), Some(status), "{id}");
        assert!(!summary.next.iter().any(|it| it.display.contains("orphan")), "{id}: {:?}", summary.next);
    }
    let reopened = crate::ide::task_summary(&index, &crate::model::TaskKey::new("specs", "301"));
    assert!(!reopened.agrees(), "{reopened:?}");
}

/// Issue 32, item 4: abandoning a task with open acceptance boxes was refused (open-children).
/// A cancelled parent's open children are moot; a completed one over open children is still
/// reported.
#[test]
fn open_children_matter_under_a_done_parent_and_not_under_an_abandoned_one() {
    let phases = |status: &str| {
        format!(
            "%! specs/221_fix/plans/implementation-001.md\n# Implementation Plan: Fix\n\n- **Task**: 221 - Fix\n- **Status**: [{status}]\n\n### Phase 1: Refactor [{status}]\n- [x] Read\n- [ ] Replace\n"
        )
    };
    let open_children = |fixture: &str| {
        diagnostics(fixture, None).1.iter().filter(|it| it.code == crate::diagnostic::RuleCode::OpenChildren).count()
    };
    assert!(open_children(&phases("COMPLETED")) > 0, "a done phase over an open box");
    assert_eq!(open_children(&phases("ABANDONED")), 0, "an abandoned one's open boxes are moot");
}

/// Issue 33: Kiro writes `[-]` when a task starts; it is no cancellation there. Read with the
/// `github` boxes, a done parent over a task under way was quiet (a cancelled child is closed)
/// and a task under way showed as cancelled. Under `.kiro/specs/` the `kiro` boxes apply.
#[test]
fn kiro_specs_read_a_dash_box_as_under_way() {
    let tasks = |path: &str| {
        format!(
            "%! {path}\n# Implementation Plan\n\n- [x] 1. Set up the project\n  - [x] 1.1 Create the folders\n  - [-] 1.2 Configure the linter\n- [-] 2. Build the import\n  - [ ] 2.1 Parse the sheet\n"
        )
    };
    let open_children = |fixture: &str| {
        diagnostics(fixture, None).1.iter().filter(|it| it.code == crate::diagnostic::RuleCode::OpenChildren).count()
    };
    let kiro = tasks(".kiro/specs/import/tasks.md");
    assert_eq!(open_children(&kiro), 1, "task 1 is done while 1.2 is under way");
    let index = crate::fixture::index(&kiro);
    assert_eq!(index.trackers()[0].profile.name, "kiro");
    // A profile of another name that extends kiro keeps its numbered tasks.
    let config = Config::parse("[families]\nchecklist = \"my-kiro\"\n\n[profiles.my-kiro]\nextends = \"kiro\"\n")
        .expect("a configuration");
    let (index, _) = crate::fixture::diagnostics_with(&tasks("docs/TODO.md"), None, &config);
    assert_eq!(index.trackers()[0].profile.name, "my-kiro");
    assert!(index.task(&crate::model::TaskKey::new("docs", "2.1")).is_some(), "numbered boxes are tasks");
    assert!(crate::explain::explain(&index.trackers()[0].profile).contains("`numbered_tasks`"), "and explain says so");
    // Elsewhere a checklist keeps GitHub's and Obsidian's boxes: `[-]` is cancelled.
    assert_eq!(open_children(&tasks("docs/TODO.md")), 0);
    // Subtasks written flat at column 0 are the children their numbers say.
    let flat = "%! .kiro/specs/import/tasks.md\n- [x] 3. Export\n- [x] 3.1 Write the sheet\n- [ ] 3.2 Name the file\n- [ ] 4. Import\n- [ ] 4.1 Read\n";
    let (index, found) = diagnostics(flat, None);
    let warned: Vec<&crate::diagnostic::Diagnostic> =
        found.iter().filter(|it| it.code == crate::diagnostic::RuleCode::OpenChildren).collect();
    assert_eq!(warned.len(), 1, "{}", crate::fixture::render(&index, &found));
    assert!(warned[0].message.contains("1 of the 2"), "{}", warned[0].message);
}

/// A real Kiro spec (crawlins/kythira): Kiro writes `[~]` for a task queued to run, which was
/// an unknown status, reported twice at one box (as the task's marker and as a checkbox). It is
/// Kiro's `queued`, open; a marker Kiro does not write is reported once.
#[test]
fn kiro_queued_tasks_and_one_report_per_unknown_box() {
    let spec = "%! .kiro/specs/coap/tasks.md\n# Implementation Plan\n\n- [x] 5. Transport\n- [~] 6. Security layer\n  - [ ] 6.1 DTLS\n- [?] 7. Observe\n";
    let (index, found) = diagnostics(spec, None);
    let unknown: Vec<String> = found
        .iter()
        .filter(|it| it.code == crate::diagnostic::RuleCode::UnknownStatus)
        .map(|it| format!("{:?} {}", it.severity, &index.text(it.file)[it.range]))
        .collect();
    assert_eq!(unknown, ["Error ?"], "{}", crate::fixture::render(&index, &found));
    let summary = crate::ide::task_summary(&index, &crate::model::TaskKey::new(".kiro/specs/coap", "6"));
    assert_eq!(summary.status.as_deref(), Some("[~]"), "known, as Kiro's queued");
}

/// Issue 33 (foodshare-web F3): a Kiro task left `[ ]` while one of its subtasks is `[-]`.
/// Kiro's agent marks a task `[-]` when it starts a subtask; `[ ]` says not started, so the
/// parent is behind: a hint. A plain checklist's `[ ]` says only "not done" and a parent over
/// ticked boxes is ordinary there; a `Planning` task's ticked boxes, written in another
/// notation, are often the planning itself: neither is reported.
#[test]
fn a_parent_not_begun_over_begun_children_is_a_hint_where_its_notation_could_say_so() {
    let not_begun = |fixture: &str| -> Vec<String> {
        let (_, found) = diagnostics(fixture, None);
        found.iter().filter(|it| it.message.contains("(not begun)")).map(|it| it.message.clone()).collect()
    };
    let boxes =
        "- [ ] 5. Error handling\n  - [-] 5.1 Boundaries\n  - [ ] 5.2 Logging\n- [ ] 6. Docs\n  - [ ] 6.1 Guide\n";
    let kiro = not_begun(&format!("%! .kiro/specs/improve/tasks.md\n# Implementation Plan\n\n{boxes}"));
    assert_eq!(kiro.len(), 1, "{kiro:?}");
    assert!(kiro[0].contains("an item under it is under way or done"), "{}", kiro[0]);
    let found = diagnostics(&format!("%! .kiro/specs/improve/tasks.md\n{boxes}"), None).1;
    assert!(found.iter().filter(|it| it.message.contains("(not begun)")).all(|it| it.severity == Severity::Hint));
    assert_eq!(
        not_begun("%! docs/TODO.md\n# Tasks\n\n- [ ] 5. Error handling\n  - [x] 5.1 Boundaries\n  - [ ] 5.2 Logging\n"),
        Vec::<String>::new()
    );
    let backlog = "%! backlog/tasks/task-7 - Fix.md\n---\nid: task-7\ntitle: Fix\nstatus: To Do\n---\n\n## Acceptance Criteria\n\n- [x] #1 Reproduced\n- [ ] #2 Fixed\n";
    assert_eq!(not_begun(backlog), Vec::<String>::new(), "a word status over boxes");
}

/// Issue 33 (alphastar S5, S6): Kiro's checkpoints stand for the tasks before them. A ticked
/// checkpoint after a task still `[-]` is a warning, the task named once however many ticked
/// checkpoints follow; a checkpoint left `[-]` after later tasks were done, a hint. Skipped
/// work (`[ ]` tasks or checkpoints) is not reported, nor a task `[-]` whose only open
/// subtasks are Kiro's optional `[ ]*` ones (its own marker is behind, a hint elsewhere).
#[test]
fn kiro_checkpoints_stand_for_the_tasks_before_them() {
    let fixture = "%! .kiro/specs/revamp/tasks.md\n# Implementation Plan\n\n- [x] 1. Schema\n- [-] 2. Controller\n  - [ ] 2.1 DTOs\n- [ ] 3. Analytics\n- [-] 4. Types\n  - [x] 4.1 Enums\n  - [ ]* 4.2 Property test\n- [x] 5. Checkpoint - Backend Complete\n- [-] 6. Checkpoint - Ensure all tests pass\n- [x] 7. Frontend\n- [ ] 8. Checkpoint - Ensure all tests pass\n- [x] 9. Docs\n- [x] 10. Final Checkpoint\n";
    let (_, found) = diagnostics(fixture, None);
    let about: Vec<(Severity, String)> = found
        .iter()
        .filter(|it| it.message.starts_with("checkpoint"))
        .map(|it| (it.severity, it.message.clone()))
        .collect();
    assert_eq!(
        about,
        [
            (Severity::Warning, "checkpoint 5 is `[x]` but a task before it is still under way: 2 `[-]`".to_string()),
            (Severity::Hint, "checkpoint 6 is still `[-]` but 2 tasks after it are done".to_string()),
        ],
        "{found:#?}"
    );
    // Elsewhere a checklist's `Checkpoint` is a box like any other.
    let (_, found) = diagnostics(&fixture.replace(".kiro/specs/revamp/tasks.md", "docs/TODO.md"), None);
    assert!(!found.iter().any(|it| it.message.starts_with("checkpoint")), "{found:#?}");
}

/// `tasks_in` reads a tracker's tasks as a range of the table: the same tasks a filter over
/// the whole table finds, for trackers whose roots share a prefix (`a`, `a-b`, `ab`).
#[test]
fn the_tasks_of_a_tracker_are_a_range_of_the_table() {
    let spec = |name: &str| format!("%! .kiro/specs/{name}/tasks.md\n# Plan\n\n- [ ] 1. One\n- [x] 2. Two\n");
    let index = crate::fixture::index(&[spec("a"), spec("a-b"), spec("ab")].concat());
    for scope in [".kiro/specs/a", ".kiro/specs/a-b", ".kiro/specs/ab", ".kiro/specs", ""] {
        let ranged: Vec<&crate::model::TaskKey> = index.tasks_in(scope).map(|(key, _)| key).collect();
        let filtered: Vec<&crate::model::TaskKey> = index.tasks().keys().filter(|it| it.scope == scope).collect();
        assert_eq!(ranged, filtered, "{scope}");
    }
    assert_eq!(index.tasks_in(".kiro/specs/a").count(), 2);
}

/// Issue 33: Kiro's numbered boxes are tasks (`list` found none): `2` and `2.1`, scoped to the
/// spec folder, each a place at its box. A file that numbers two lists from 1 keeps its boxes
/// as items rather than define tasks twice.
#[test]
fn kiro_numbered_boxes_are_tasks() {
    let index = crate::fixture::index(
        "%! .kiro/specs/import/tasks.md\n# Plan\n\n- [x] 1. Set up\n  - [x] 1.1 Folders\n- [-] 2. Import\n- [ ] 2.1 Read\n- [ ] A note without a number\n",
    );
    let mut ids: Vec<String> = index.tasks().keys().map(|it| format!("{}:{}", it.scope, it.id)).collect();
    ids.sort();
    assert_eq!(
        ids,
        [".kiro/specs/import:1", ".kiro/specs/import:1.1", ".kiro/specs/import:2", ".kiro/specs/import:2.1"]
    );
    let two = crate::model::TaskKey::new(".kiro/specs/import", "2");
    let (_, status) = index.task_status(&two).expect("task 2 has a status");
    assert_eq!(index.task_profile(&two).map(|it| it.kind(status)), Some(crate::vocabulary::Kind::Active));
    let place = index.place(index.task(&two).expect("task 2").places[0]);
    assert_eq!(place.title.as_deref(), Some("Import"));
    // Starting a task writes Kiro's `[-]`: its `[ ]` says not started, not only "not done".
    let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
    let read = crate::model::TaskKey::new(".kiro/specs/import", "2.1");
    let change = crate::edit::plan_status_change(&index, &read, "in_progress", &options).expect("a change");
    let written = change.apply(&index);
    assert!(written.iter().any(|(_, text)| text.contains("- [-] 2.1 Read")), "{written:?}");
    let twice = crate::fixture::index("%! .kiro/specs/a/tasks.md\n## One\n- [ ] 1. A\n## Two\n- [ ] 1. B\n");
    assert!(twice.tasks().is_empty());
    let (_, found) = diagnostics("%! .kiro/specs/a/tasks.md\n## One\n- [ ] 1. A\n## Two\n- [ ] 1. B\n", None);
    assert!(found.iter().all(|it| it.code != crate::diagnostic::RuleCode::DuplicateTask));
    // A box written again under its own number and title (a line left behind by a rewrite) is
    // the same task twice: the file's tasks stay read (the hold-out's 492 tasks were dropped
    // for one such line), and `duplicate-task` names the second line.
    let left_behind = "%! .kiro/specs/shop/tasks.md\n- [x] 1. Cart\n- [x] 2. Checkout\n- [ ] 2. **Checkout**\n  - [x] 2.1 Payment form\n";
    let index = crate::fixture::index(left_behind);
    assert_eq!(index.tasks_in(".kiro/specs/shop").count(), 3);
    let (_, found) = diagnostics(left_behind, None);
    let duplicated = |found: &[crate::diagnostic::Diagnostic]| -> Vec<String> {
        found
            .iter()
            .filter(|it| it.code == crate::diagnostic::RuleCode::DuplicateTask)
            .filter_map(|it| it.task.as_ref().map(|task| task.id.to_string()))
            .collect()
    };
    assert_eq!(duplicated(&found), ["2"], "{found:?}");
    // A number given to two tasks in a file numbered once through (Essencia's two `6.`, a
    // fourth hold-out review: all 57 tasks went unread without a word): every box stays a task,
    // and `duplicate-task` names the number.
    let renumbered = "%! .kiro/specs/feat/tasks.md\n- [x] 1. Set up\n- [x] 2. Login page\n- [x] 2. Admin dashboard\n  - [x] 2.1 Admin layout\n- [ ] 3. Refresh button\n";
    let index = crate::fixture::index(renumbered);
    let mut ids: Vec<String> = index.tasks_in(".kiro/specs/feat").map(|(key, _)| key.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["1", "2", "2.1", "3"]);
    let (_, found) = diagnostics(renumbered, None);
    assert_eq!(duplicated(&found), ["2"], "{found:?}");
    // A second list copied in without its first tasks (superinsight: `9.`, then `2.2`, `3.`)
    // numbers two lists: items, nothing reported.
    let copied = "%! .kiro/specs/sync/tasks.md\n- [x] 1. Pull\n- [x] 2. Push\n  - [x] 2.2 Targets\n- [x] 3. Stream\n  - [x] 2.2 Connector tests\n- [x] 2. Listener tests\n";
    assert_eq!(crate::fixture::index(copied).tasks_in(".kiro/specs/sync").count(), 0);
    let (_, found) = diagnostics(copied, None);
    assert!(duplicated(&found).is_empty(), "{found:?}");
}

/// `mixed-spelling`: a todo file says `Complete` where the tracker's others say `Done`. The hint
/// follows edits: the word written the usual way, or the usual way no longer usual, takes it
/// away; the store that follows the edits says what a fresh check says at every step.
#[test]
fn mixed_spelling_follows_the_trackers_usual_word() {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::properties::{build, check, rendered};
    use crate::index::SourceFile;
    use crate::rules::DiagnosticStore;

    let file = |name: &str, word: &str| SourceFile {
        path: format!("todos/done/2025-01-0{name}-10-00-00-task-{name}.md"),
        text: Arc::from(format!("# Task {name}\n**Status:** {word}\n**Agent PID:** 1\n").as_str()),
    };
    let mut current = vec![file("1", "Done"), file("2", "Done"), file("3", "Done"), file("4", "Complete")];
    let mut index = build(&current);
    let hints = |index: &crate::index::WorkspaceIndex, found: &[crate::diagnostic::Diagnostic]| -> Vec<String> {
        found
            .iter()
            .filter(|it| it.code == RuleCode::MixedSpelling)
            .map(|it| format!("{} {:?} {}", index.path(it.file), it.severity, it.message))
            .collect()
    };
    assert_eq!(
        hints(&index, &check(&index)),
        [
            "todos/done/2025-01-04-10-00-00-task-4.md Hint `Complete` here, `Done` at 3 other status line places of this tracker: one status spelled two ways, which a search for either misses"
        ]
    );
    let config = Config::default();
    let paths: HashSet<String> = current.iter().map(|it| it.path.clone()).collect();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let steps = [
        // Two against two: no habit.
        (2, "Complete", 0),
        // Three against one again, the other way round: the odd one is now task 1's `Done`.
        (1, "Complete", 1),
        // Every file the same.
        (0, "Complete", 0),
    ];
    for (position, word, expected) in steps {
        current[position] = file(&(position + 1).to_string(), word);
        let update = index.set_file(&current[position].path, Some(current[position].text.clone()));
        store.update(&index, &config, None, &paths, &update);
        let fresh = build(&current);
        assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &check(&fresh)), "after {position} {word}");
        assert_eq!(hints(&fresh, &check(&fresh)).len(), expected, "after {position} {word}");
    }
}

/// The second hold-out review (trackers never seen): boxes left open on purpose, and said so,
/// held their finished parent open. A box struck through as a whole in a vocabulary without a
/// cancelled box (Kiro, OpenSpec), a note that cancels or skips it (`- Cancelled: not needed`,
/// an agent's `*(deviation: skipped - reason)*`), a struck item whose continuation line opens
/// with inline code, and a phase headed `[OPTIONAL]`: none is unfinished work.
#[test]
fn boxes_set_aside_by_a_strike_or_a_note_leave_their_parent_finished() {
    let open_children = |fixture: &str| {
        let (index, found) = diagnostics(fixture, None);
        let warned = found.iter().filter(|it| it.code == RuleCode::OpenChildren).count();
        (warned, render(&index, &found))
    };
    let quiet = [
        "%! .kiro/specs/f/tasks.md\n- [x] 1. Parent\n  - [x] 1.1 a\n  - [ ] ~~1.2 b~~\n",
        "%! openspec/changes/archive/2026-01-21-x/tasks.md\n## 1. A\n- [x] 1.1 a\n- [ ] ~~1.2 b~~ — not applicable\n",
        "%! openspec/changes/archive/2026-01-21-y/tasks.md\n## 3. Prefetch\n- [x] 3.4 Load the week\n- [ ] 3.5 Prefetch the next (optional optimization) - Cancelled: not needed for MVP\n",
        "%! specs/TODO.md\n# TODO\n\n### 5. Export\n- **Status**: [COMPLETED]\n\n%! specs/005_export/plans/01_plan.md\n# Plan\n\n### Phase 1: Refactor [COMPLETED]\n- [x] Split the executor\n- [ ] Update tests/export.py *(deviation: deferred — existing tests still pass)*\n- [ ] ~~If the cache is cold, add the rule to\n      `MANIFEST.in`~~ — not applicable; the cache is warm.\n",
        "%! specs/TODO.md\n# TODO\n\n### 6. Audit\n- **Status**: [COMPLETED]\n\n%! specs/006_audit/plans/01_plan.md\n# Plan\n- **Status**: [COMPLETED]\n\n### Phase 1: Core [COMPLETED]\n- [x] a\n\n### Phase 2: Divergence Audit [OPTIONAL] [NOT STARTED]\n- [ ] b\n",
    ];
    for fixture in quiet {
        let (warned, rendered) = open_children(fixture);
        assert_eq!(warned, 0, "{fixture}\n{rendered}");
    }
    // The same boxes without their words are unfinished work.
    let loud = [
        "%! .kiro/specs/f/tasks.md\n- [x] 1. Parent\n  - [x] 1.1 a\n  - [ ] 1.2 b\n",
        "%! openspec/changes/archive/2026-01-21-y/tasks.md\n## 3. Prefetch\n- [x] 3.4 Load the week\n- [ ] 3.5 Prefetch the next - then cancel the old one\n",
        "%! specs/TODO.md\n# TODO\n\n### 5. Export\n- **Status**: [COMPLETED]\n\n%! specs/005_export/plans/01_plan.md\n# Plan\n\n### Phase 1: Refactor [COMPLETED]\n- [x] Split the executor\n- [ ] Update tests/export.py\n",
    ];
    for fixture in loud {
        let (warned, rendered) = open_children(fixture);
        assert!(warned > 0, "{fixture}\n{rendered}");
    }
}

/// The second hold-out review (vnykmshr/markgo): the Claude Code `todo` workflow writes
/// `Refining`, `InProgress` and `AwaitingCommit` on a task under `todos/work/`, each an
/// unknown status until the todo-folder vocabulary knew them. They are work under way, which
/// the `work/` folder agrees with; the same words under `done/` are behind the folder.
#[test]
fn the_todo_workflow_s_statuses_are_work_under_way() {
    for word in ["Refining", "InProgress", "AwaitingCommit"] {
        let work = format!(
            "%! todos/work/2025-09-04-12-48-14-memory/task.md\n# Memory\n**Status:** {word}\n**Agent PID:** 4242\n\n%! todos/todos.md\n# Todos\n"
        );
        let (index, found) = diagnostics(&work, None);
        assert!(found.iter().all(|it| it.severity == Severity::Hint), "{word}: {}", render(&index, &found));
        let file = index.file_id("todos/work/2025-09-04-12-48-14-memory/task.md").expect("indexed");
        let entry = index.entry(file).expect("an entry");
        let status = entry.parsed.places.iter().find_map(|it| it.status).expect("the status line is read");
        assert_eq!(index.trackers()[0].profile.kind(status), crate::vocabulary::Kind::Active, "{word}");
        let done =
            format!("%! todos/done/2025-09-04-12-48-14-memory.md\n# Memory\n**Status:** {word}\n**Agent PID:** 4242\n");
        let (index, found) = diagnostics(&done, None);
        assert!(
            found.iter().any(|it| it.code == RuleCode::StatusMismatch),
            "{word} in done/: {}",
            render(&index, &found)
        );
    }
}

/// The second hold-out review (goaikit/aikit): two spec-kit lines with one id and two titles
/// are two tasks numbered the same. `duplicate-task` says so; they were also compared as two
/// places of one task, with a fix that would tick an unfinished task or reopen a finished one.
#[test]
fn a_second_definition_of_an_id_is_a_duplicate_not_a_place_to_align() {
    let spec = "%! specs/001-x/tasks.md\n# Tasks\n\n## Phase 2\n- [ ] T024 [P] Validate agents\n\n## Phase 3\n- [X] T024 [P] [US1] Implement package init\n";
    let (index, found) = diagnostics(spec, None);
    let codes: Vec<RuleCode> = found.iter().map(|it| it.code).collect();
    assert_eq!(codes, [RuleCode::DuplicateTask], "{}", render(&index, &found));
}

/// The second hold-out review (0riva/oriva-platform, socratesone/auditgraph): spec-kit ids
/// written bold (`**T001**`, `**T002 [P]**`) or inserted later with a letter (`T010a`) were no
/// tasks, so three of four trackers read none and their drift went unseen.
#[test]
fn spec_kit_ids_written_bold_or_with_a_letter_are_tasks() {
    let spec = "%! specs/003-x/tasks.md\n# Tasks\n\n- [x] **T001** Set up\n- [ ] **T002 [P]** Write the model\n- [x] T010 Parse\n- [ ] T010a [US1] Parse the header too\n";
    let index = crate::fixture::index(spec);
    for (id, title) in [("T001", "Set up"), ("T002", "[P] Write the model"), ("T010a", "[US1] Parse the header too")] {
        let entry =
            index.task(&crate::model::TaskKey::new("specs/003-x", id)).unwrap_or_else(|| panic!("{id} is a task"));
        let place = index.place(entry.places[0]);
        assert_eq!(place.title.as_deref(), Some(title));
    }
}

/// The second hold-out review (997899594/Juanie): Kiro writes an optional task as `- [ ]* 1.2`
/// (a star after the box), 79 of one repository's 751 tasks. They were no boxes at all: not
/// listed, `show 1.2` found nothing. They are tasks now, and one left open is no unfinished
/// work of its parent. Elsewhere `- [ ]* text` stays text, as GitHub renders it.
#[test]
fn kiro_optional_tasks_are_tasks_and_set_aside() {
    let spec = "%! .kiro/specs/feat/tasks.md\n# Implementation Plan\n\n- [x] 1. Build core\n  - [x] 1.1 Write the model\n  - [ ]* 1.2 Write property tests\n  - [x]* 1.3 Write unit tests\n- [ ] 2. Ship\n  - [ ] 2.1 Release\n";
    let (index, found) = diagnostics(spec, None);
    assert!(!found.iter().any(|it| it.code == RuleCode::OpenChildren), "{}", render(&index, &found));
    for id in ["1.2", "1.3"] {
        assert!(index.task(&crate::model::TaskKey::new(".kiro/specs/feat", id)).is_some(), "{id} is a task");
    }
    let checklist = "%! docs/TODO.md\n- [x] Build core\n  - [ ]* not a box\n";
    let (index, found) = diagnostics(checklist, None);
    assert!(found.is_empty(), "{}", render(&index, &found));
    assert_eq!(crate::fixture::index(checklist).parsed(index.file_id("docs/TODO.md").expect("indexed")).items.len(), 1);
}
