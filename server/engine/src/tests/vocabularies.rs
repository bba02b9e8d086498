//! Each tracker's own vocabulary: the repository's status standard, legacy spellings that keep
//! their status, markers learned from consistent use, and what free checklists' boxes say.

use std::collections::HashSet;
use std::sync::Arc;

use insta::assert_snapshot;

use crate::config::Config;
use crate::conventions::{Reading, StandardUse};
use crate::diagnostic::{RuleCode, Severity};
use crate::fixture::{check, diagnostics, diagnostics_with, files, index, render};
use crate::index::WorkspaceIndex;
use crate::model::TaskKey;
use crate::rules::DiagnosticStore;
use crate::tests::properties::{build, canonical, rendered};
use crate::vocabulary::{Kind, Scope};

/// A standard of our own, in the two shapes real ones take: `### `[MARKER]`` headings and a
/// table of markers with their state.json values.
const STANDARD: &str = r#"%! .agents/docs/status-standard.md
# Task Status Markers

Every tracker in this repository writes these markers, and nothing else.

## Markers

### `[TODO]`
Nobody has started.

### `[IN PROGRESS]`
Someone is on it; state.json writes `"status": "in_progress"`.

### `[ON HOLD]`
Waiting for something outside the task.

### `[PARKED]`
Kept for later; not planned.

### `[DONE]`
Finished and merged.

## Mapping

| Marker | state.json value |
|---|---|
| `[IN REVIEW]` | `in_review` |

## Transitions

| From | To |
|---|---|
| `[TODO]` | `[IN PROGRESS]` |
"#;

const TRACKER: &str = r#"%! .agents/specs/TODO.md
### 1. Agreeing on the standard's own marker
- **Status**: [IN PROGRESS]
- **Started**: 2026-02-01

### 2. Disagreeing with state.json
- **Status**: [IN PROGRESS]
- **Started**: 2026-02-01

### 3. Waiting
- **Status**: [ON HOLD]

### 4. Depends on a task on hold
- **Status**: [IN PROGRESS]
- **Started**: 2026-02-01
- **Dependencies**: 3

### 5. Finished, in the standard's words
- **Status**: [DONE]
- **Completed**: 2026-02-03

### 6. Parked
- **Status**: [PARKED]

### 7. In review
- **Status**: [IN REVIEW]
%! .agents/specs/state.json
{
  "active_projects": [
    {"project_number": 1, "status": "in_progress"},
    {"project_number": 2, "status": "researched"},
    {"project_number": 3, "status": "on_hold"},
    {"project_number": 4, "status": "in_progress"},
    {"project_number": 5, "status": "done"},
    {"project_number": 6, "status": "parked"},
    {"project_number": 7, "status": "in_review"}
  ]
}
"#;

fn codes(fixture: &str) -> Vec<(RuleCode, Option<String>)> {
    let (_, found) = diagnostics(fixture, None);
    found.into_iter().map(|it| (it.code, it.task.map(|task| task.id.to_string()))).collect()
}

#[test]
fn a_repository_standard_is_the_trackers_vocabulary() {
    let fixture = format!("{STANDARD}{TRACKER}");
    // Its markers are statuses: no unknown marker, the real disagreement and the dependency on
    // a task on hold are found.
    assert_snapshot!(check(&fixture));
    let index = index(&fixture);
    let tracker = index.trackers().iter().find(|it| it.root == ".agents/specs").expect("the tracker");
    assert_eq!(
        tracker.choice.standard,
        StandardUse::Applied {
            path: ".agents/docs/status-standard.md".into(),
            line: 7,
            markers: ["[TODO]", "[IN PROGRESS]", "[ON HOLD]", "[PARKED]", "[DONE]", "[IN REVIEW]"]
                .map(String::from)
                .to_vec(),
        }
    );
    let profile = &tracker.profile;
    let id = |name: &str| profile.by_id(name).unwrap_or_else(|| panic!("{name}"));
    // Mapped onto the built-in statuses where they match: `[IN PROGRESS]` is active and moves
    // like `[IMPLEMENTING]`; `[DONE]` is `[COMPLETED]`; the rest are new, of the kind their
    // names say, or of none (`[PARKED]`).
    assert!(profile.status(id("in_progress")).task);
    assert!(profile.allows(Scope::Task, id("planned"), id("in_progress")));
    assert!(profile.allows(Scope::Task, id("in_progress"), id("completed")));
    assert!(!profile.allows(Scope::Task, id("not_started"), id("completed")));
    assert_eq!(profile.kind(id("on_hold")), Kind::Blocked);
    assert_eq!(profile.kind(id("in_review")), Kind::Active);
    assert!(profile.status(id("parked")).opaque);
    let done = index.task_status(&TaskKey::new(".agents/specs", "5")).map(|(_, it)| profile.status(it).id.clone());
    assert_eq!(done.as_deref(), Some("completed"));
    // The planner writes the standard's own marker.
    let change = crate::edit::plan_status_change(
        &index,
        &TaskKey::new(".agents/specs", "3"),
        "in_progress",
        &crate::edit::StatusChangeOptions {
            force: true,
            ..crate::edit::StatusChangeOptions::new(crate::timestamp::Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
        },
    )
    .expect("a change");
    let edited = change.apply(&index);
    assert!(edited.iter().any(|(_, text)| text.contains("### 3. Waiting\n- **Status**: [IN PROGRESS]")), "{edited:?}");
}

#[test]
fn without_a_standard_in_progress_on_a_task_is_a_legacy_spelling_that_keeps_its_status() {
    let text = check(TRACKER);
    assert_snapshot!(text);
    let (_, found) = diagnostics(TRACKER, None);
    let legacy: Vec<_> =
        found.iter().filter(|it| it.code == RuleCode::UnknownStatus && it.message.contains("legacy")).collect();
    // Three TODO.md sections and two state.json entries, each a warning with a fix.
    assert_eq!(legacy.len(), 5, "{text}");
    assert!(legacy.iter().all(|it| it.severity == Severity::Warning && it.fix.is_some()));
    // Task 2 still disagrees (`[IN PROGRESS]` counts as `[IMPLEMENTING]`), task 1 does not.
    let found = codes(TRACKER);
    assert!(found.contains(&(RuleCode::StatusMismatch, Some("2".into()))));
    assert!(!found.contains(&(RuleCode::StatusMismatch, Some("1".into()))));
}

#[test]
fn a_standard_is_recognised_by_its_content_and_its_place() {
    // Two marker headings are an example, not a standard; a report inside a task's folder that
    // quotes a whole standard is not one either; an untitled document is only used when named.
    let fixture = r#"%! docs/notes.md
# Notes
### `[IN PROGRESS]`
### `[NOT STARTED]`
%! specs/012_statuses/reports/research-001.md
# Status markers research
### `[IN PROGRESS]`
### `[ON HOLD]`
### `[DONE]`
%! docs/markers.md
# Glossary
### `[IN PROGRESS]`
### `[ON HOLD]`
### `[DONE]`
%! specs/TODO.md
### 1. Task
- **Status**: [IN PROGRESS]
"#;
    let index = index(fixture);
    let tracker = &index.trackers()[0];
    assert_eq!(tracker.choice.standard, StandardUse::None);
    let mut config = Config::parse("[vocabulary]\nstandard = \"docs/markers.md\"\n").expect("a configuration");
    config.set_severity(RuleCode::OrphanTask, None);
    let (index, found) = diagnostics_with(fixture, None, &config);
    assert!(
        matches!(&index.trackers()[0].choice.standard, StandardUse::Applied { path, .. } if path == "docs/markers.md")
    );
    assert!(found.is_empty(), "{}", render(&index, &found));
}

#[test]
fn markers_used_consistently_are_learned_and_near_misses_are_not() {
    let fixture = r#"%! specs/TODO.md
### 1. Shipped
- **Status**: [SHIPPED]

### 2. Shipped too
- **Status**: [SHIPPED]

### 3. Shipped as well
- **Status**: [SHIPPED]

### 4. Waiting for review
- **Status**: [PR READY]

### 5. The review marker against another status
- **Status**: [PR READY]

### 6. A copied typo
- **Status**: [IN PROGRES]

### 7. The same typo
- **Status**: [IN PROGRES]

### 8. And again
- **Status**: [IN PROGRES]

### 9. Rare
- **Status**: [LATER MAYBE]

### 10. Rare too
- **Status**: [LATER MAYBE]

### 11. Old spelling, always
- **Status**: [COMPLETE]
- **Completed**: 2026-01-02

### 12. Old spelling again
- **Status**: [COMPLETE]
- **Completed**: 2026-01-02

### 13. Old spelling, third time
- **Status**: [COMPLETE]
- **Completed**: 2026-01-02
%! specs/state.json
{
  "active_projects": [
    {"project_number": 1, "status": "completed"},
    {"project_number": 2, "status": "shipped"},
    {"project_number": 3, "status": "not_started"},
    {"project_number": 4, "status": "pr_ready"},
    {"project_number": 5, "status": "planned"},
    {"project_number": 11, "status": "completed"}
  ]
}
%! specs/014_plan/plans/implementation-001.md
# Plan
- **Task**: 14 - plan
- **Status**: [COMPLETED]

### Phase 1: Needed [COMPLETED]
### Phase 2: Not needed [NOT APPLICABLE]
### Phase 3: Not needed either [NOT APPLICABLE]
### Phase 4: Nor this [NOT APPLICABLE]
"#;
    let mut config = Config::default();
    config.set_severity(RuleCode::OrphanTask, None);
    let (index, found) = diagnostics_with(fixture, None, &config);
    assert_snapshot!(render(&index, &found));
    let learned = &index.trackers()[0].choice.learned;
    let summary: Vec<(Vec<String>, usize, Reading)> =
        learned.iter().map(|it| (it.shown(), it.places, it.reading.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (vec!["[COMPLETE]".to_string()], 3, Reading::Status("completed".into())),
            (vec!["[NOT APPLICABLE]".to_string()], 3, Reading::Kind(Kind::Cancelled)),
            (vec!["[PR READY]".to_string(), "pr_ready".to_string()], 3, Reading::Opaque),
            (vec!["[SHIPPED]".to_string(), "shipped".to_string()], 4, Reading::Kind(Kind::Done)),
        ]
    );
    // Turned off, they are unknown again.
    let mut config = Config::parse("[vocabulary]\nlearn = false\n").expect("a configuration");
    config.set_severity(RuleCode::OrphanTask, None);
    let (_, found) = diagnostics_with(fixture, None, &config);
    let unknown = found.iter().filter(|it| it.code == RuleCode::UnknownStatus).count();
    // [SHIPPED] and shipped, [PR READY] and pr_ready, [IN PROGRES], [LATER MAYBE], [COMPLETE],
    // [NOT APPLICABLE].
    assert_eq!(unknown, 4 + 3 + 3 + 2 + 3 + 3, "every unknown marker is reported again");
}

#[test]
fn an_alias_is_a_habit_only_where_it_outnumbers_the_standard_spelling() {
    let section =
        |n: u32, marker: &str| format!("### {n}. Task\n- **Status**: {marker}\n- **Completed**: 2026-01-02\n\n");
    let fixture = |aliases: u32, standard: u32| {
        let mut text = "%! specs/TODO.md\n".to_string();
        for n in 0..aliases {
            text.push_str(&section(n + 1, "[COMPLETE]"));
        }
        for n in 0..standard {
            text.push_str(&section(aliases + n + 1, "[COMPLETED]"));
        }
        text
    };
    let unknown = |fixture: &str| {
        let (_, found) = diagnostics(fixture, None);
        found.iter().filter(|it| it.code == RuleCode::UnknownStatus).count()
    };
    // Drift: the tracker writes `[COMPLETED]` more often.
    assert_eq!(unknown(&fixture(3, 4)), 3);
    // A habit: `[COMPLETE]` is how this tracker says it.
    assert_eq!(unknown(&fixture(4, 3)), 0);
}

#[test]
fn free_checklist_boxes_are_read_from_their_text() {
    assert_snapshot!(check(
        r#"%! notes/TODO.md
# Release
- [x] Release 1.2
  - [x] Tag the commit
  - [ ] ~~Only if the mirror is down~~ — not applicable
  - [ ] ~~Only if the mirror is down and the
    cache is cold~~ — not applicable either
- [~] refactor - Phases 1-4 complete (85%)
- [~] an unexplained tilde
- [?] a question
%! board/TODO.md
# Board
- [~] parser
- [~] lexer
- [x] Shipped
  - [~] docs
"#
    ));
    let index = index("%! board/TODO.md\n- [~] a\n- [~] b\n- [~] c\n");
    let learned = &index.trackers()[0].choice.learned;
    assert_eq!(learned.len(), 1);
    assert_eq!(learned[0].reading, Reading::Kind(Kind::Active));
}

#[test]
fn vocabulary_settings_are_validated() {
    let config = Config::parse("[vocabulary]\nstandard = \"off\"\nlearn_min_places = 5\n").expect("valid");
    assert_eq!(config.vocabularies.standard, crate::config::StandardSetting::Off);
    assert_eq!(config.vocabularies.learn_min_places, Some(5));
    let error = Config::parse("[vocabulary]\nstandard = \"../elsewhere.md\"\n").expect_err("outside");
    assert_eq!((error.line, error.key.as_str()), (2, "vocabulary.standard"));
    let error = Config::parse("[vocabulary]\nlearn_min_places = 1\n").expect_err("too low");
    assert_eq!(error.key, "vocabulary.learn_min_places");
    let error = Config::parse("[vocabulary]\nlearn = \"yes\"\n").expect_err("not a boolean");
    assert_eq!(error.line, 2);
    // With the standard off, the tracker is read in the built-in vocabulary again.
    let config = Config::parse("[vocabulary]\nstandard = \"off\"\n").expect("valid");
    let (index, found) = diagnostics_with(&format!("{STANDARD}{TRACKER}"), None, &config);
    assert!(found.iter().any(|it| it.code == RuleCode::UnknownStatus), "{}", render(&index, &found));
}

/// Adding, editing and removing the standard or a tracker's markers one file at a time gives
/// what indexing from scratch gives, diagnostics included.
#[test]
fn standards_and_conventions_follow_every_update() {
    let config = Config::default();
    let standard = files(STANDARD).remove(0);
    let mut current = files(TRACKER);
    let mut index = build(&current);
    let paths: HashSet<String> =
        current.iter().map(|it| it.path.clone()).chain(std::iter::once(standard.path.clone())).collect();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let mut step =
        |index: &mut WorkspaceIndex, current: &mut Vec<crate::index::SourceFile>, path: &str, text: Option<&str>| {
            let update = index.set_file(path, text.map(Arc::from));
            store.update(index, &config, None, &paths, &update);
            current.retain(|it| it.path != path);
            if let Some(text) = text {
                current.push(crate::index::SourceFile { path: path.into(), text: Arc::from(text) });
            }
            let fresh = build(current);
            assert_eq!(canonical(index), canonical(&fresh), "after {path}");
            assert_eq!(index.trackers(), fresh.trackers(), "after {path}");
            // What decides whether a file's change may skip learning is as a fresh build has it,
            // or not known (and then no change skips it).
            let weighed = |index: &WorkspaceIndex| {
                index.trackers().iter().map(|it| it.last_learning.weighed().map(<[_]>::to_vec)).collect::<Vec<_>>()
            };
            for (kept, fresh) in weighed(index).into_iter().zip(weighed(&fresh)) {
                assert!(kept.is_none() || kept == fresh, "after {path}: {kept:?}, {fresh:?}");
            }
            let fresh_found = crate::tests::properties::check(&fresh);
            assert_eq!(rendered(index, &store.all(index)), rendered(&fresh, &fresh_found), "after {path}");
        };
    step(&mut index, &mut current, &standard.path, Some(&*standard.text));
    assert!(matches!(index.trackers()[0].choice.standard, StandardUse::Applied { .. }));
    // Editing TODO.md (re-parsed in part) until a marker is used often enough to be learned,
    // and back.
    let todo = ".agents/specs/TODO.md";
    let base = current.iter().find(|it| it.path == todo).map(|it| it.text.to_string()).unwrap_or_default();
    let mut text = base.clone();
    for n in 20..23 {
        text.push_str(&format!("\n### {n}. Skipped\n- **Status**: [SKIPPED]\n"));
        step(&mut index, &mut current, todo, Some(&text));
    }
    assert_eq!(index.trackers()[0].choice.learned.len(), 1);
    step(&mut index, &mut current, todo, Some(&base));
    assert!(index.trackers()[0].choice.learned.is_empty());
    step(&mut index, &mut current, &standard.path, None);
    assert_eq!(index.trackers()[0].choice.standard, StandardUse::None);
}

#[test]
fn config_explain_says_where_the_vocabulary_comes_from() {
    let index = index(&format!(
        "{STANDARD}{TRACKER}%! .agents/specs/008_x/plans/implementation-001.md\n# P\n- **Task**: 8 - x\n### Phase 1: a [DROPPED]\n### Phase 2: b [DROPPED]\n### Phase 3: c [DROPPED]\n"
    ));
    let tracker = &index.trackers()[0];
    let text = crate::explain::explain_choice(
        &tracker.root,
        tracker.family.as_str(),
        &tracker.profile,
        &tracker.base,
        &tracker.choice,
    );
    assert_snapshot!(text);
    let table = crate::explain::explain(&tracker.profile);
    assert!(table.contains("| on_hold | blocked | `[ON HOLD]` | `on_hold` |"), "{table}");
    assert!(table.contains("| dropped | cancelled | `[DROPPED]` |"), "{table}");
    assert!(table.contains("- `[DONE]` means completed"), "{table}");
    assert!(table.contains("note right of parked: any transition"), "{table}");
}
