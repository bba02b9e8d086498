//! Property tests over generated trackers: parsing, indexing, the rules and the planner never
//! panic, every range falls on a character boundary, incremental re-indexing equals indexing
//! from scratch, and a planned change leaves the task consistent.

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::Arc;

use proptest::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, RuleCode};
use crate::edit::{self, StatusChangeOptions, plan_status_change};
use crate::index::{SourceFile, WorkspaceIndex};
use crate::model::{PlaceKind, TaskKey};
use crate::rules::{self, DiagnosticStore};
use crate::text::TextRange;
use crate::timestamp::Now;
use crate::vocabulary::{Scope, StatusId};

const MARKERS: &[&str] = &[
    "[NOT STARTED]",
    "[RESEARCHING]",
    "[RESEARCHED]",
    "[PLANNING]",
    "[PLANNED]",
    "[IMPLEMENTING]",
    "[COMPLETED]",
    "[PARTIAL]",
    "[BLOCKED]",
    "[ABANDONED]",
    "[EXPANDED]",
    "[IN PROGRESS]",
    "[IN PROGRES]",
    "[completed]",
    "[ NOT STARTED ]",
    "[SKIPPED]",
    "Completed",
    "[]",
    "[",
    "[COMPLETED] -- done",
    "[ÉTÉ]",
    "🚀",
    "",
];
const JSON_STATUSES: &[&str] =
    &["not_started", "researched", "planned", "implementing", "completed", "blocked", "in_progress", "wat", ""];
const PIDEA_STATUSES: &[&str] = &["Completed", "✅ Ready", "In Progress", "Pending", "Blocked", "wat"];
const WORDS: &[&str] = &["To Do", "In Progress", "Done", "Blocked", "pending", "completed", "é", ""];
const BOXES: &[&str] = &[" ", "x", "X", "/", "-", "~", "+", "?", "é", "P", "]"];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(pool)
}

/// Noise that stresses byte/char handling: multi-byte characters, tabs, lone markup.
fn noise() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "é", "🚀", "日本", "\t", " ", "*", "[", "]", "`", "#", "-", ":", "|", "\r"]),
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

pub(super) fn todo_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..6, any::<bool>(), noise())
            .prop_map(|(id, done, title)| format!("### {}{id}. {title}", if done { "✓ " } else { "" })),
        pick(MARKERS).prop_map(|it| format!("- **Status**: {it}")),
        pick(MARKERS).prop_map(|it| format!(" **Status**: {it}")),
        (1u32..6).prop_map(|it| format!("- **Dependencies**: {it}, {}", it + 1)),
        prop::sample::select(vec![
            "- **Completed**: 2026-01-02",
            "- **Started**: 2026-13-40",
            "- **Blocked**: [RUN: date]",
            "- **Started**: 2026-01-05T10:00:00+00:00Z"
        ])
        .prop_map(str::to_string),
        (1u32..6, pick(MARKERS)).prop_map(|(id, it)| format!("- **{id}** {it} — order line")),
        Just("## Task Order".to_string()),
        Just("```".to_string()),
        Just("---".to_string()),
        (pick(BOXES), noise()).prop_map(|(state, text)| format!("- [{state}] {text}")),
        (pick(BOXES), noise()).prop_map(|(state, text)| format!("  - [{state}] {text}")),
        Just("- **Plan**: [p](specs/001_a/plans/implementation-001.md) [specs/002_b/plans/x.md]".to_string()),
        noise(),
    ]
}

fn plan_line() -> impl Strategy<Value = String> {
    prop_oneof![
        pick(MARKERS).prop_map(|it| format!("- **Status**: {it}")),
        (1u32..5, noise(), pick(MARKERS)).prop_map(|(n, title, it)| format!("### Phase {n}: {title} {it}")),
        Just("(Started: 2025-12-28T18:00:00Z)".to_string()),
        Just("- **Completed**: 2025-12-28T17:00:00Z".to_string()),
        (pick(BOXES), noise()).prop_map(|(state, text)| format!("- [{state}] {text}")),
        Just("```".to_string()),
        noise(),
    ]
}

fn state_json() -> impl Strategy<Value = String> {
    prop::collection::vec((1u32..6, pick(JSON_STATUSES), any::<bool>()), 0..5).prop_flat_map(|entries| {
        let body = entries
            .iter()
            .map(|(id, status, dated)| {
                let dated = if *dated { ", \"completed\": \"2026-01-01T00:00:00Z\"" } else { "" };
                format!("    {{\"project_number\": {id}, \"status\": \"{status}\"{dated}}}")
            })
            .collect::<Vec<_>>()
            .join(",\n");
        let valid = format!("{{\n  \"next_project_number\": 4,\n  \"active_projects\": [\n{body}\n  ]\n}}\n");
        // Sometimes truncated: broken JSON must be reported, not fatal.
        (Just(valid.clone()), 0..valid.len() + 1).prop_map(|(text, cut)| {
            if cut % 5 == 0 {
                let mut at = cut.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text[..at].to_string()
            } else {
                text
            }
        })
    })
}

fn backlog_task() -> impl Strategy<Value = String> {
    (pick(WORDS), pick(BOXES), any::<bool>()).prop_map(|(status, state, broken)| {
        let extra = if broken { "assignee: @me\n" } else { "" };
        format!("---\nid: BACK-1\nstatus: {status}\n{extra}dependencies: [task-2]\n---\n<!-- AC:BEGIN -->\n- [{state}] #1 thing\n<!-- AC:END -->\n")
    })
}

fn join(lines: Vec<String>, crlf: bool) -> String {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    text.push_str(eol);
    text
}

prop_compose! {
    pub(super) fn workspace()(
        todo in prop::collection::vec(todo_line(), 0..40),
        plan in prop::collection::vec(plan_line(), 0..25),
        plan_two in prop::collection::vec(plan_line(), 0..10),
        state in state_json(),
        backlog in backlog_task(),
        crlf in any::<bool>(),
        checklist in prop::collection::vec((pick(BOXES), 0usize..3), 0..10),
    ) -> Vec<SourceFile> {
        let checklist: Vec<String> = checklist.into_iter().map(|(state, depth)| format!("{}- [{state}] item", "  ".repeat(depth))).collect();
        vec![
            SourceFile { path: "specs/TODO.md".into(), text: Arc::from(join(todo, crlf)) },
            SourceFile { path: "specs/001_a/plans/implementation-001.md".into(), text: Arc::from(join(plan, crlf)) },
            SourceFile { path: "specs/002_b/plans/implementation-002.md".into(), text: Arc::from(join(plan_two, false)) },
            SourceFile { path: "specs/state.json".into(), text: Arc::from(state) },
            SourceFile { path: "backlog/tasks/back-1 - One.md".into(), text: Arc::from(backlog) },
            SourceFile { path: "backlog/config.yml".into(), text: Arc::from("statuses: [\"To Do\", \"In Progress\", \"Done\"]\n") },
            SourceFile { path: "TODO.md".into(), text: Arc::from(join(checklist, crlf)) },
        ]
    }
}

/// A state.json whose tasks are active or completed (archived), as a tracker moves them.
fn archiving_state_json() -> impl Strategy<Value = String> {
    prop::collection::vec((1u32..6, any::<bool>()), 0..5).prop_map(|entries| {
        let entry = |id: &u32, status: &str| format!("    {{\"project_number\": {id}, \"status\": \"{status}\"}}");
        let active: Vec<String> = entries.iter().filter(|it| !it.1).map(|(id, _)| entry(id, "planned")).collect();
        let done: Vec<String> = entries.iter().filter(|it| it.1).map(|(id, _)| entry(id, "completed")).collect();
        format!(
            "{{\n  \"next_project_number\": 6,\n  \"active_projects\": [\n{}\n  ],\n  \"completed_projects\": [\n{}\n  ]\n}}\n",
            active.join(",\n"),
            done.join(",\n")
        )
    })
}

/// One step of a workspace's life on disk: a file written (any of the shapes that name,
/// mention or archive tasks) or removed.
fn file_write() -> impl Strategy<Value = (&'static str, Option<String>)> {
    let plan = || prop::collection::vec(plan_line(), 0..8).prop_map(|it| join(it, false));
    let removed = |path: &'static str| Just((path, None::<String>));
    prop_oneof![
        prop::collection::vec(todo_line(), 0..20).prop_map(|it| ("specs/TODO.md", Some(join(it, false)))),
        archiving_state_json().prop_map(|it| ("specs/state.json", Some(it))),
        archiving_state_json().prop_map(|it| ("specs/archive/state.json", Some(it))),
        plan().prop_map(|it| ("specs/001_a/plans/implementation-001.md", Some(it))),
        plan().prop_map(|it| ("specs/001_a/plans/implementation-002.md", Some(it))),
        plan().prop_map(|it| ("specs/archive/003_c/plans/implementation-001.md", Some(it))),
        (1u32..4, pick(WORDS), 0u8..3).prop_map(|(id, status, shape)| (
            "backlog/tasks/back-1 - One.md",
            // With a status it states one; without, it only mentions its task.
            Some(match shape {
                0 => format!("---\nid: BACK-{id}\nstatus: {status}\ndependencies: [back-2]\n---\n"),
                1 => format!("---\nid: BACK-{id}\n---\n"),
                _ => "no frontmatter\n".to_string(),
            })
        )),
        // A phase written in two files: a PIDEA index's table row and the phase's own file.
        (pick(PIDEA_STATUSES), pick(PIDEA_STATUSES)).prop_map(|(one, two)| (
            "docs/roadmap/pending/auto/sync/sync-index.md",
            Some(format!(
                "# Sync - Master Index\n## Overview\n- **Status**: In Progress\n\n## Phases\n| Phase | File | Status | Time |\n|-------|------|--------|------|\n| 1 | [Phase 1](./sync-phase-1.md) | {one} | 2h |\n| 2 | [Phase 2](./sync-phase-2.md) | {two} | 3h |\n"
            ))
        )),
        pick(PIDEA_STATUSES).prop_map(|it| ("docs/roadmap/pending/auto/sync/sync-phase-1.md", Some(format!("- **Status**: {it}\n")))),
        removed("docs/roadmap/pending/auto/sync/sync-phase-1.md"),
        removed("specs/state.json"),
        removed("specs/archive/state.json"),
        removed("specs/001_a/plans/implementation-001.md"),
        removed("specs/archive/003_c/plans/implementation-001.md"),
        removed("backlog/tasks/back-1 - One.md"),
    ]
}

/// GSD's STATE.md position is held to its phase's plans, which are other tasks in other files:
/// ticking a plan's box, writing its summary or removing it changes STATE.md's diagnostics, and
/// the store following the edits gives what a fresh check does.
#[test]
fn a_state_md_position_follows_its_phase_s_plans_as_they_change() {
    let source = |path: &str, text: &str| SourceFile { path: path.into(), text: Arc::from(text) };
    let roadmap = |box_state: char| {
        format!(
            "# Roadmap\n\n### Phase 7: Sync\nPlans:\n- [{box_state}] 07-01-PLAN.md -- Pull\n- [ ] 07-02-PLAN.md -- Push\n"
        )
    };
    let mut files = vec![
        source(".planning/ROADMAP.md", &roadmap(' ')),
        source(".planning/STATE.md", "# State\n\n## Current Position\n\nPhase: 7\nPlan: Not started\n"),
    ];
    let mut index = build(&files);
    let config = Config::default();
    let paths: HashSet<String> =
        [".planning/ROADMAP.md", ".planning/STATE.md", ".planning/phases/07-sync/07-02-SUMMARY.md"]
            .into_iter()
            .map(String::from)
            .collect();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let state_diagnostics = |index: &WorkspaceIndex, store: &DiagnosticStore| {
        rendered(index, &store.all(index)).into_iter().filter(|it| it.contains("STATE.md says")).count()
    };
    assert_eq!(state_diagnostics(&index, &store), 0);
    let steps: [(&str, Option<String>); 3] = [
        (".planning/ROADMAP.md", Some(roadmap('x'))),
        (".planning/phases/07-sync/07-02-SUMMARY.md", Some("# Summary\n".into())),
        (".planning/ROADMAP.md", Some(roadmap(' '))),
    ];
    for (path, text) in steps {
        let update = index.set_file(path, text.as_deref().map(Arc::from));
        store.update(&index, &config, None, &paths, &update);
        files.retain(|it| it.path != path);
        if let Some(text) = &text {
            files.push(source(path, text));
        }
        let fresh = build(&files);
        assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &check(&fresh)), "after {path}");
        assert_eq!(state_diagnostics(&index, &store), 1, "after {path}");
    }
}

/// An older STATE.md with a phase table and no position is held to the plans too: ticking a
/// plan's box in ROADMAP.md settles its `Verified` phase, and the followed store gives what a
/// fresh check does.
#[test]
fn a_state_md_table_follows_its_phase_s_plans_as_they_change() {
    let source = |path: &str, text: &str| SourceFile { path: path.into(), text: Arc::from(text) };
    let roadmap =
        |box_state: char| format!("# Roadmap\n\n### Phase 7: Sync\nPlans:\n- [{box_state}] 07-01-PLAN.md -- Pull\n");
    let state = "# State\n\n| Phase | Name | Status | Plans |\n|---|---|---|---|\n| 7 | Sync | ✅ Verified | — |\n";
    let mut files = vec![source(".planning/ROADMAP.md", &roadmap(' ')), source(".planning/STATE.md", state)];
    let mut index = build(&files);
    let config = Config::default();
    let paths: HashSet<String> = files.iter().map(|it| it.path.clone()).collect();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let said = |index: &WorkspaceIndex, store: &DiagnosticStore| {
        rendered(index, &store.all(index)).into_iter().filter(|it| it.contains("STATE.md says")).count()
    };
    assert_eq!(said(&index, &store), 1);
    for (box_state, expected) in [('x', 0), (' ', 1)] {
        let text = roadmap(box_state);
        let update = index.set_file(".planning/ROADMAP.md", Some(Arc::from(text.as_str())));
        store.update(&index, &config, None, &paths, &update);
        files[0] = source(".planning/ROADMAP.md", &text);
        let fresh = build(&files);
        assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &check(&fresh)), "box {box_state}");
        assert_eq!(said(&index, &store), expected, "box {box_state}");
    }
}

/// A GSD plan is done once its summary is written, whatever its box says: a phase `[x]` over
/// that box is then no open-children (the box is status-mismatch's, once). Writing and removing
/// the summary changes ROADMAP.md's diagnostics, and the followed store gives a fresh check's.
#[test]
fn a_summary_file_closes_its_plan_under_the_phase_as_it_comes_and_goes() {
    let source = |path: &str, text: &str| SourceFile { path: path.into(), text: Arc::from(text) };
    let roadmap = "# Roadmap\n\n- [x] **Phase 3: Export** - CSV\n\n### Phase 3: Export\nPlans:\n- [x] 03-01-PLAN.md -- Writer\n- [ ] 03-02-PLAN.md -- Dialog\n";
    let mut files = vec![source(".planning/ROADMAP.md", roadmap)];
    let mut index = build(&files);
    let config = Config::default();
    let summary = ".planning/phases/03-export/03-02-SUMMARY.md";
    let paths: HashSet<String> = [".planning/ROADMAP.md", summary].into_iter().map(String::from).collect();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let open_children = |index: &WorkspaceIndex, store: &DiagnosticStore| {
        store.all(index).iter().filter(|it| it.code == RuleCode::OpenChildren).count()
    };
    assert_eq!(open_children(&index, &store), 1);
    for (text, expected) in [(Some("# Summary\n"), 0), (None, 1)] {
        let update = index.set_file(summary, text.map(Arc::from));
        store.update(&index, &config, None, &paths, &update);
        files.retain(|it| it.path != summary);
        if let Some(text) = text {
            files.push(source(summary, text));
        }
        let fresh = build(&files);
        assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &check(&fresh)), "summary {text:?}");
        assert_eq!(open_children(&index, &store), expected, "summary {text:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// Every file written or removed one at a time (the general path, not a TODO.md keystroke):
    /// after each step the task table (places in the same order, mentions, archived, current
    /// plan) and the diagnostics kept up to date equal an index built from scratch.
    #[test]
    fn writing_and_removing_files_one_at_a_time_equals_indexing_from_scratch(
        start in prop::collection::vec(file_write(), 0..6),
        steps in prop::collection::vec(file_write(), 1..10),
    ) {
        let mut current: Vec<SourceFile> =
            vec![SourceFile { path: "backlog/config.yml".into(), text: Arc::from("statuses: [\"To Do\", \"Done\"]\n") }];
        let apply = |current: &mut Vec<SourceFile>, path: &str, text: &Option<String>| {
            current.retain(|it| it.path != path);
            if let Some(text) = text {
                current.push(SourceFile { path: path.to_string(), text: Arc::from(text.as_str()) });
            }
        };
        for (path, text) in &start {
            apply(&mut current, path, text);
        }
        let mut index = build(&current);
        let config = Config::default();
        let paths: HashSet<String> = start.iter().chain(&steps).map(|it| it.0.to_string()).collect();
        let mut store = DiagnosticStore::new(&index, &config, None, &paths);
        for (step, (path, text)) in steps.iter().enumerate() {
            let update = index.set_file(path, text.as_deref().map(Arc::from));
            store.update(&index, &config, None, &paths, &update);
            apply(&mut current, path, text);
            let fresh = build(&current);
            prop_assert_eq!(canonical(&index), canonical(&fresh), "after step {} ({})", step, path);
            let expected = rules::check(&fresh, &config, None, &paths);
            prop_assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &expected), "after step {}", step);
        }
    }
}

pub(super) fn build(files: &[SourceFile]) -> WorkspaceIndex {
    WorkspaceIndex::build(files.to_vec(), &Config::default().vocabularies)
}

pub(super) fn check(index: &WorkspaceIndex) -> Vec<Diagnostic> {
    let paths: HashSet<String> = index.entries().map(|(_, it)| it.path.clone()).collect();
    rules::check(index, &Config::default(), None, &paths)
}

/// Diagnostics with file ids replaced by paths, for comparing two indexes' results.
pub(super) fn rendered(index: &WorkspaceIndex, diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut out: Vec<String> = diagnostics
        .iter()
        .map(|it| format!("{} {:?} {} {} {:?}", index.path(it.file), it.range, it.code, it.message, it.task))
        .collect();
    out.sort();
    out
}

fn on_boundaries(text: &str, range: TextRange) -> bool {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    start <= end && end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end)
}

/// Everything the index holds, with file ids replaced by paths, for comparing two indexes.
pub(super) fn canonical(index: &WorkspaceIndex) -> String {
    let mut out = String::new();
    let mut entries: Vec<_> = index.entries().collect();
    entries.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    for (_, entry) in entries {
        let _ = writeln!(out, "{} {:?} {:?}", entry.path, entry.class, entry.parsed);
    }
    // The files the path table names as TODO.md files are those of that role.
    let todo_files: Vec<&str> = index.todo_files().map(|(_, it)| it.path.as_str()).collect();
    let with_role: Vec<&str> = index
        .entries()
        .filter(|(_, it)| it.class.role == crate::layout::Role::Todo)
        .map(|(_, it)| it.path.as_str())
        .collect();
    assert_eq!(todo_files, with_role, "the path table's TODO.md files");
    for (task, entry) in index.tasks() {
        let places: Vec<(String, usize)> =
            entry.places.iter().map(|it| (index.path(it.file).to_string(), it.index)).collect();
        let mentions: Vec<&str> = entry.mentions.iter().map(|it| index.path(*it)).collect();
        let _ = writeln!(
            out,
            "{task:?} {places:?} {mentions:?} {} {:?}",
            entry.archived,
            entry.current_plan.map(|it| index.path(it))
        );
    }
    out
}

fn options(force: bool) -> StatusChangeOptions {
    StatusChangeOptions {
        force,
        reason: Some("because".into()),
        ..StatusChangeOptions::new(Now::from_timestamp(
            "2026-11-22T05:33:43Z".parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        ))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn ranges_fall_on_char_boundaries(files in workspace()) {
        let index = build(&files);
        for (_, entry) in index.entries() {
            let text = &entry.text;
            for place in &entry.parsed.places {
                prop_assert!(on_boundaries(text, place.marker.range), "{} marker {:?}", entry.path, place.marker);
                prop_assert!(on_boundaries(text, place.line));
                prop_assert_eq!(&text[place.marker.range], place.marker.text.as_str());
                for field in &place.fields {
                    prop_assert!(on_boundaries(text, field.value_range));
                }
                for range in place.trailing.iter().chain(place.done_mark.iter()).chain(place.heading_number.iter()) {
                    prop_assert!(on_boundaries(text, *range));
                }
            }
            for item in &entry.parsed.items {
                prop_assert!(on_boundaries(text, item.marker_range));
                prop_assert_eq!(&text[item.marker_range], item.state.to_string());
            }
            for link in &entry.parsed.links {
                prop_assert!(on_boundaries(text, link.range));
            }
        }
        for diagnostic in check(&index) {
            let text = index.text(diagnostic.file);
            prop_assert!(on_boundaries(text, diagnostic.range), "{:?}", diagnostic);
            for related in &diagnostic.related {
                prop_assert!(on_boundaries(index.text(related.file), related.range));
            }
            for (choice, _) in crate::edit::fix_titles(&index, &diagnostic).iter().enumerate() {
                if let Ok(change) = crate::edit::plan_fix(&index, &diagnostic, choice, &options(false)) {
                    for file in &change.files {
                        for edit in &file.edits {
                            prop_assert!(on_boundaries(index.text(file.file), edit.range));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_text_in_every_role_never_panics(text in "(\\PC|[\r\n\t])*", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        let paths = [
            "specs/TODO.md", "specs/state.json", "specs/archive/state.json", "specs/001_a/state.json",
            "specs/001_a/plans/implementation-001.md", "process/tasks.md", "process/tasks/001-a.md",
            "tasks/prd-a/_tasks.md", "tasks/prd-a/1_task.md", "specs/001-kit/tasks.md", "backlog/config.yml",
            "backlog/tasks/back-1 - A.md", "road/pending/a/a-index.md", "road/pending/a/a-phase-1.md", "TODO.md", "notes.md",
            ".taskmaster/tasks/tasks.json", ".taskmaster/tasks/task_001.txt", ".taskmaster/tasks/task_002_ops.md",
            ".kiro/specs/a/tasks.md",
            "openspec/changes/add-a/tasks.md", "openspec/changes/archive/2025-01-02-add-a/tasks.md",
            "todos/done/2025-01-02-03-04-05-a.md", "todos/work/2025-01-02-b/task.md", "docs/todos/DONE-c.md",
            "conductor/tracks.md", "conductor/tracks/a_20250102/metadata.json", "conductor/tracks/a_20250102/plan.md",
            "conductor/tracks/a_20250102/index.md", "conductor/archive/b/plan.md", ".planning/ROADMAP.md",
            ".planning/phases/01-a/01-01-SUMMARY.md", ".planning/STATE.md", ".compozy/tasks/a/_tasks.md",
            ".compozy/tasks/a/task_01.md",
        ];
        for content in [&text, &lossy] {
            let files: Vec<SourceFile> = paths.iter().map(|path| SourceFile { path: path.to_string(), text: Arc::from(content.as_str()) }).collect();
            let index = build(&files);
            for diagnostic in check(&index) {
                prop_assert!(on_boundaries(index.text(diagnostic.file), diagnostic.range));
            }
            for task in index.tasks().keys() {
                let _ = plan_status_change(&index, task, "completed", &options(true));
            }
        }
    }

    #[test]
    fn incremental_reindexing_equals_indexing_from_scratch(
        files in workspace(),
        task in 1u32..6,
        status in pick(&["researching", "planned", "implementing", "completed", "blocked", "abandoned", "not_started"]),
        edit_file in 0usize..7,
        edit_line in 0usize..40,
        replacement in todo_line(),
    ) {
        let mut index = build(&files);
        let mut current = files.clone();
        let config = Config::default();
        let paths: HashSet<String> = files.iter().map(|it| it.path.clone()).collect();
        let mut store = DiagnosticStore::new(&index, &config, None, &paths);
        // A planned status change, applied file by file as its edits (a TODO.md one edit at a
        // time, any other file at once, with only the tasks whose parse changed touched), the
        // diagnostics following each step and settled once, as the re-check of a change does.
        if let Ok(change) = plan_status_change(&index, &TaskKey::new("specs", task.to_string()), status, &options(true)) {
            for (path, text) in change.apply(&index) {
                if let Some(file) = current.iter_mut().find(|it| it.path == path) {
                    file.text = Arc::from(text);
                }
            }
            let mut pending = rules::Pending::default();
            for file in &change.files {
                index.edit_file(&file.path, &file.edits, |index, update| {
                    store.follow(index, &config, None, &paths, update, &mut pending);
                });
            }
            store.settle(&index, &config, None, &paths, pending);
        }
        // And an arbitrary edit of one line.
        let file = &mut current[edit_file % files.len()];
        let mut lines: Vec<&str> = file.text.split('\n').collect();
        let at = edit_line % lines.len().max(1);
        if at < lines.len() {
            lines[at] = &replacement;
        }
        let edited = lines.join("\n");
        let update = index.set_file(&file.path, Some(Arc::from(edited.as_str())));
        store.update(&index, &config, None, &paths, &update);
        file.text = Arc::from(edited);
        let fresh = build(&current);
        prop_assert_eq!(canonical(&index), canonical(&fresh));
        prop_assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &check(&fresh)));
        // Removing a file is an update too.
        let update = index.set_file("specs/state.json", None);
        store.update(&index, &config, None, &paths, &update);
        current.retain(|it| it.path != "specs/state.json");
        let fresh = build(&current);
        prop_assert_eq!(canonical(&index), canonical(&fresh));
        prop_assert_eq!(rendered(&index, &store.all(&index)), rendered(&fresh, &check(&fresh)));
    }

    /// What a status change's re-check leaves (the index and diagnostics after it, checked
    /// against a baseline) is what indexing and checking the files it writes afresh gives: a
    /// front door keeps it as the saved state instead of indexing the files again.
    #[test]
    fn a_recheck_leaves_the_index_and_diagnostics_of_the_files_it_writes(
        files in workspace(),
        committed in workspace(),
        task in 1u32..6,
        pick_next in 0usize..8,
    ) {
        let index = build(&files);
        let Some((_, _, change)) = allowed_step(&index, task, pick_next) else { return Ok(()) };
        let config = Config::default();
        let paths: HashSet<String> = files.iter().map(|it| it.path.clone()).collect();
        let committed = build(&committed);
        for baseline in [None, Some(rules::Baseline { index: &committed, label: "HEAD".into() })] {
            let store = DiagnosticStore::new(&index, &config, baseline.as_ref(), &paths);
            let check = edit::FixCheck { config: &config, baseline: baseline.as_ref(), paths: &paths };
            let (checked, _) = check.left_behind(&index, &store, &change, false);
            let fresh = build(&applied(&files, &index, &change));
            prop_assert_eq!(canonical(&checked.index), canonical(&fresh));
            let found = rules::check(&fresh, &config, baseline.as_ref(), &paths);
            prop_assert_eq!(rendered(&checked.index, &checked.store.all(&checked.index)), rendered(&fresh, &found));
            // What it says it touched covers every file whose diagnostics differ.
            let before: Vec<String> = rendered(&index, &store.all(&index));
            for file in paths.iter() {
                let of = |lines: &[String]| lines.iter().filter(|it| it.starts_with(&format!("{file} "))).cloned().collect::<Vec<_>>();
                let differs = of(&before) != of(&rendered(&fresh, &found));
                let touched = checked.everything || checked.index.file_id(file).is_some_and(|it| checked.touched.contains(&it));
                prop_assert!(!differs || touched, "{} changed diagnostics but is not among those touched", file);
            }
        }
    }

    #[test]
    fn planned_changes_give_every_place_the_requested_status(files in workspace(), task in 1u32..6, pick_next in 0usize..8) {
        let index = build(&files);
        let Some((key, target, change)) = allowed_step(&index, task, pick_next) else { return Ok(()) };
        let Some(profile) = index.task_profile(&key) else { return Ok(()) };
        let after = build(&applied(&files, &index, &change));
        let entry = after.task(&key).expect("the task is still indexed");
        let current_plan = entry.current_plan;
        for place_ref in &entry.places {
            let place = after.place(*place_ref);
            if matches!(place.kind, PlaceKind::ArchivedStateJson) || (place.kind == PlaceKind::PlanHeader && current_plan != Some(place_ref.file)) {
                continue;
            }
            let status = place.status;
            prop_assert!(status.is_some(), "{} at {} is unreadable after the change", place.marker.text, after.path(place_ref.file));
            let status = status.unwrap_or(target);
            if place.kind.task_vocabulary() {
                prop_assert_eq!(status, target, "{} at {}", place.marker.text, after.path(place_ref.file));
            } else {
                prop_assert!(profile.agree(status, target, false), "{} at {}", place.marker.text, after.path(place_ref.file));
            }
        }
        // No new diagnostics of rules 3 and 5 for the task.
        let count = |index: &WorkspaceIndex, code: RuleCode| check(index).iter().filter(|it| it.code == code && it.task.as_ref() == Some(&key)).count();
        for code in [RuleCode::StatusMismatch, RuleCode::PlanStatusStale] {
            prop_assert!(count(&after, code) <= count(&index, code), "{} after setting {}", code, profile.status(target).id);
        }
        prop_assert_eq!(count(&after, RuleCode::StatusMismatch), 0, "every place was written");
    }
}

/// Task `task` of `specs/` moved to one of the statuses its vocabulary allows next (the
/// `pick`-th), planned: the task, the status and the change; `None` when there is no such step.
fn allowed_step(index: &WorkspaceIndex, task: u32, pick: usize) -> Option<(TaskKey, StatusId, edit::WorkspaceChange)> {
    let key = TaskKey::new("specs", task.to_string());
    let (profile, (_, current)) = (index.task_profile(&key)?, index.task_status(&key)?);
    let next = profile.next(Scope::Task, current);
    let target = next.get(pick % next.len().max(1)).copied()?;
    let change = plan_status_change(index, &key, &profile.status(target).id, &options(false)).ok()?;
    Some((key, target, change))
}

/// `files` with `change` (planned on their `index`) applied.
fn applied(files: &[SourceFile], index: &WorkspaceIndex, change: &edit::WorkspaceChange) -> Vec<SourceFile> {
    let mut after = files.to_vec();
    for (path, text) in change.apply(index) {
        if let Some(file) = after.iter_mut().find(|it| it.path == path) {
            file.text = Arc::from(text);
        }
    }
    after
}

/// `taskmark fix` as every front door runs it: the safe fixes' passes until one plans nothing,
/// as one change, checked against `baseline` as `check` would be (the files as committed). The
/// files after it, and how many problems it fixed.
fn fixed(files: &[SourceFile], baseline: &WorkspaceIndex) -> Result<(Vec<SourceFile>, usize), TestCaseError> {
    let baseline = rules::Baseline { index: baseline, label: "HEAD".into() };
    let index = build(files);
    let paths: HashSet<String> = index.entries().map(|(_, it)| it.path.clone()).collect();
    let config = Config::default();
    let check = crate::edit::FixCheck { config: &config, baseline: Some(&baseline), paths: &paths };
    let fixes = crate::edit::run_safe_fixes(
        &index,
        &check,
        &crate::edit::SAFE_FIX_CODES,
        &StatusChangeOptions { restamp: false, ..options(false) },
    )
    .map_err(|it| TestCaseError::fail(format!("a fix plan was refused: {it}")))?;
    // The one change, applied to the files as given, is what the passes left.
    let mut current = files.to_vec();
    for (path, text) in fixes.change.apply(&index) {
        prop_assert_eq!(Some(text.as_str()), fixes.index.text_at(&path).map(|it| &**it), "{}", path);
        if let Some(file) = current.iter_mut().find(|it| it.path == path) {
            file.text = Arc::from(text);
        }
    }
    prop_assert_eq!(build(&current).entries().count(), fixes.index.entries().count());
    // What is left with a safe fix it would try is exactly what it tried and refused; the fixes
    // it did not try (the task's status to settle first) are named as held back too.
    let left = rules::check(&fixes.index, &config, Some(&baseline), &paths);
    prop_assert_eq!(
        crate::edit::safe_fix_candidates(&fixes.index, &left, &crate::edit::SAFE_FIX_CODES).len()
            + fixes.held_back.iter().filter(|it| !it.tried).count(),
        fixes.held_back.len(),
        "held back: {:?}",
        fixes.held_back
    );
    Ok((current, fixes.fixed.values().sum()))
}

/// How many diagnostics of each drift key a check against `baseline` finds.
fn tally(index: &WorkspaceIndex, baseline: &WorkspaceIndex) -> std::collections::BTreeMap<edit::DriftKey, usize> {
    let paths: HashSet<String> = index.entries().map(|(_, it)| it.path.clone()).collect();
    let baseline = rules::Baseline { index: baseline, label: "HEAD".into() };
    let mut out = std::collections::BTreeMap::new();
    for it in rules::check(index, &Config::default(), Some(&baseline), &paths) {
        *out.entry(edit::drift_key(index, &it)).or_insert(0) += 1;
    }
    out
}

proptest! {
    /// After `fix`, nothing new appeared, invalid transitions against the committed files
    /// included, and a second `fix` has nothing to do. What is left with a safe fix is what
    /// fixing would make drift. (The 99982 bug: two fixes of one counter on one range.)
    #[test]
    fn fixes_converge_and_create_no_diagnostic(files in workspace(), committed in workspace()) {
        // Committed as generated, or as another workspace: transitions from anything.
        for baseline in [build(&files), build(&committed)] {
            let (after_files, count) = fixed(&files, &baseline)?;
            let (before_tally, after_tally) = (tally(&build(&files), &baseline), tally(&build(&after_files), &baseline));
            for (key, after) in &after_tally {
                let was = before_tally.get(key).copied().unwrap_or(0);
                prop_assert!(*after <= was, "fix made {:?} appear ({} after, {} before) with {} fixes", key, after, was, count);
            }
            let (_, again) = fixed(&after_files, &baseline)?;
            prop_assert_eq!(again, 0, "a second fix changed something");
        }
    }
}
