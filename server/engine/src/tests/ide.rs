//! What editors ask: the task under the cursor, hover, completion, navigation, code actions
//! and progress, on inline fixtures with a `$0` cursor.

use insta::assert_snapshot;

use crate::edit::StatusChangeOptions;
use crate::fixture::{cursor, diagnostics, index, paths};
use crate::ide::{self, ActionKind, ActionTarget, CompletionKind, NoLinks, SymbolKind, SymbolTable};
use crate::index::WorkspaceIndex;
use crate::model::TaskKey;
use crate::text::{TextRange, line_number};
use crate::timestamp::Now;

const WORKSPACE: &str = r#"%! specs/TODO.md
---
next_project_number: 222
---
## Task Order
- **221** [IMPLEMENTING] — Fix status updates
- **220** [NOT STARTED] — Prepare

### ✓ 219. Earlier work
- **Status**: [COMPLETED]
- **Completed**: 2026-01-01

### 221. Fix status updates
- **Status**: [IMPLEMENTING]
- **Started**: 2026-01-12
- **Dependencies**: 219, 220
- **Plan**: [implementation-001.md](specs/221_fix/plans/implementation-001.md)

### 220. Prepare
- **Status**: [NOT STARTED]
%! specs/state.json
{
  "active_projects": [
    {
      "project_number": 221,
      "status": "planned"
    },
    {
      "project_number": 220,
      "status": "not_started"
    }
  ],
  "completed_projects": [{"project_number": 219}]
}
%! specs/221_fix/plans/implementation-001.md
# Implementation Plan: Fix status updates
- **Task**: 221 - Fix status updates
- **Status**: [IN PROGRESS]

### Phase 1: Refactor [COMPLETED]
- [x] Read
- [x] Write

### Phase 2: Test [IN PROGRESS]
- [x] Unit
- [ ] End to end
"#;

/// `WORKSPACE` with the cursor put before the first occurrence of `needle` in `path`.
fn at(path: &str, needle: &str) -> (WorkspaceIndex, crate::index::FileId, crate::text::TextSize) {
    let marker = format!("%! {path}\n");
    let start = WORKSPACE.find(&marker).expect("path in workspace") + marker.len();
    let offset = start + WORKSPACE[start..].find(needle).expect("needle in file");
    cursor(&format!("{}$0{}", &WORKSPACE[..offset], &WORKSPACE[offset..]))
}

fn text_of(index: &WorkspaceIndex, file: crate::index::FileId, range: TextRange) -> String {
    index.text(file)[range].to_string()
}

#[test]
fn the_task_under_the_cursor() {
    let cases = [
        ("specs/TODO.md", "221. Fix", "221", "### 221. Fix status updates"),
        ("specs/TODO.md", "[IMPLEMENTING]\n- **Started", "221", "- **Status**: [IMPLEMENTING]"),
        ("specs/TODO.md", "220\n- **Plan", "220", "220"),
        ("specs/TODO.md", "**221** [IMPL", "221", "- **221** [IMPLEMENTING] — Fix status updates"),
        ("specs/TODO.md", "Started", "221", "- **Started**: 2026-01-12"),
        ("specs/state.json", "\"planned\"", "221", "\"status\": \"planned\""),
        ("specs/state.json", "\"project_number\": 220", "220", "\"project_number\": 220,"),
        ("specs/221_fix/plans/implementation-001.md", "[IN PROGRESS]\n\n", "221", "- **Status**: [IN PROGRESS]"),
        ("specs/221_fix/plans/implementation-001.md", "End to end", "221", "- [ ] End to end"),
    ];
    for (path, needle, task, named) in cases {
        let (index, file, offset) = at(path, needle);
        let target = ide::task_at(&index, file, offset).unwrap_or_else(|| panic!("no task at {needle:?} in {path}"));
        assert_eq!(target.task, TaskKey::new("specs", task), "at {needle:?} in {path}");
        assert_eq!(text_of(&index, file, target.range), named, "at {needle:?} in {path}");
    }
    let (index, file, offset) = at("specs/TODO.md", "## Task Order");
    assert_eq!(ide::task_at(&index, file, offset), None);
}

#[test]
fn hover_shows_every_place_progress_dependencies_and_next_statuses() {
    let (index, file, offset) = at("specs/TODO.md", "221. Fix");
    let hover = ide::hover(&index, file, offset, &NoLinks).unwrap();
    assert_snapshot!(hover.markdown);
}

struct TestLinks;

impl ide::HoverLinks for TestLinks {
    fn file(&self, path: &str, line: u32) -> Option<String> {
        Some(format!("file:///w/{path}#L{line}"))
    }

    fn set_status(&self, task: &TaskKey, status: &str) -> Option<String> {
        Some(format!("command:set?{}/{status}", task.id))
    }
}

#[test]
fn hover_links_places_and_next_statuses() {
    let (index, file, offset) = at("specs/state.json", "\"planned\"");
    let markdown = ide::hover(&index, file, offset, &TestLinks).unwrap().markdown;
    assert!(markdown.contains("[specs/state.json:5](file:///w/specs/state.json#L5)"), "{markdown}");
    assert!(markdown.contains("(command:set?221/completed \"Set status of 221 to [COMPLETED]\")"), "{markdown}");
    assert!(markdown.contains("⚠ **The places of this task disagree.**"), "{markdown}");
}

/// A client that draws no tables (Neovim's hover showed raw pipes that broke across lines) gets
/// the places as a list, one line each, with nothing escaped inside a word.
#[test]
fn hover_lists_places_for_a_client_without_tables() {
    struct NoTables;
    impl ide::HoverLinks for NoTables {
        fn file(&self, _: &str, _: u32) -> Option<String> {
            None
        }
        fn set_status(&self, _: &TaskKey, _: &str) -> Option<String> {
            None
        }
        fn tables(&self) -> bool {
            false
        }
    }
    let (index, file, offset) = at("specs/TODO.md", "221. Fix");
    let markdown = ide::hover(&index, file, offset, &NoTables).unwrap().markdown;
    assert!(!markdown.contains('|'), "{markdown}");
    assert!(markdown.contains("- `planned` ✗ state.json: `specs/state.json:5`\n"), "{markdown}");
    assert!(markdown.contains("`specs/221_fix/plans/implementation-001.md:3`"), "{markdown}");
    assert!(!markdown.contains("\\_"), "{markdown}");
}

#[test]
fn status_completion_lists_allowed_next_statuses_first() {
    let (index, file, offset) = at("specs/TODO.md", "IMPLEMENTING]\n- **Started");
    let items = ide::completions(&index, file, offset);
    assert!(items.iter().all(|it| it.kind == CompletionKind::Status));
    let mut sorted = items.clone();
    sorted.sort_by(|a, b| a.sort.cmp(&b.sort));
    let labels: Vec<&str> = sorted.iter().map(|it| it.label.as_str()).collect();
    // From [IMPLEMENTING] the vocabulary allows these; the current status comes last.
    assert_eq!(&labels[..3], ["[PARTIAL]", "[BLOCKED]", "[ABANDONED]"]);
    assert_eq!(labels.last(), Some(&"[IMPLEMENTING]"));
    assert!(sorted[0].preselect);
    // The completion replaces the whole marker, brackets included.
    assert_eq!(text_of(&index, file, sorted[0].replace), "[IMPLEMENTING]");
}

#[test]
fn status_completion_after_an_empty_status_field_and_inside_a_phase_marker() {
    let fixture = "%! specs/TODO.md\n### 5. New\n- **Status**: $0\n";
    let (index, file, offset) = cursor(fixture);
    let items = ide::completions(&index, file, offset);
    assert!(items.iter().any(|it| it.insert == "[NOT STARTED]"), "{items:?}");
    assert!(items.iter().all(|it| it.replace == TextRange::empty(offset)));

    let (index, file, offset) = at("specs/221_fix/plans/implementation-001.md", "IN PROGRESS]\n- [x] Unit");
    let items = ide::completions(&index, file, offset);
    assert!(items.iter().any(|it| it.insert == "[COMPLETED]"));
    // Phase statuses only: a task-only status is not offered for a phase.
    assert!(!items.iter().any(|it| it.insert == "[EXPANDED]"), "{items:?}");
}

#[test]
fn checkbox_completion_offers_the_vocabulary_characters() {
    let fixture = "%! process/tasks.md\n# Tasks\n- [$0 ] Write the parser\n- [x] Done thing\n";
    let (index, file, offset) = cursor(fixture);
    let items = ide::completions(&index, file, offset);
    let labels: Vec<&str> = items.iter().map(|it| it.label.as_str()).collect();
    assert!(labels.contains(&"[x]") && labels.contains(&"[ ]"), "{labels:?}");
    assert!(items.iter().all(|it| it.kind == CompletionKind::Checkbox));
    // Replaces the character inside the box.
    assert_eq!(text_of(&index, file, items[0].replace), " ");
}

#[test]
fn dependency_completion_offers_task_ids_of_the_tracker() {
    let fixture = WORKSPACE.replace("- **Dependencies**: 219, 220", "- **Dependencies**: 219, 2$0");
    let (index, file, offset) = cursor(&fixture);
    let items = ide::completions(&index, file, offset);
    let labels: Vec<&str> = items.iter().map(|it| it.label.as_str()).collect();
    // Not the task itself.
    assert_eq!(labels, ["219", "220"]);
    assert_eq!(text_of(&index, file, items[0].replace), "2");
    assert!(items[1].detail.as_deref().unwrap_or("").contains("Prepare"), "{:?}", items[1]);
}

#[test]
fn definition_and_references_cover_places_mentions_and_dependents() {
    let index = index(WORKSPACE);
    let task = TaskKey::new("specs", "220");
    let show = |locations: Vec<ide::Location>| -> Vec<String> {
        locations
            .into_iter()
            .map(|it| {
                let line = line_number(index.entry(it.file).unwrap().line_index(), it.range.start());
                format!("{}:{line} {}", index.path(it.file), &index.text(it.file)[it.range])
            })
            .collect()
    };
    assert_eq!(show(ide::definition(&index, &task)), ["specs/TODO.md:18 ### 220. Prepare"]);
    let references = show(ide::references(&index, &task));
    assert_eq!(
        references,
        [
            "specs/TODO.md:6 - **220** [NOT STARTED] — Prepare",
            "specs/TODO.md:15 220",
            "specs/TODO.md:18 ### 220. Prepare",
            "specs/state.json:9 \"status\": \"not_started\"",
        ]
    );
}

#[test]
fn document_symbols_nest_phases_under_their_plan() {
    let index = index(WORKSPACE);
    let plan = index.file_id("specs/221_fix/plans/implementation-001.md").unwrap();
    let symbols = ide::document_symbols(&index, plan);
    assert_eq!(symbols.len(), 1);
    assert_eq!(symbols[0].kind, SymbolKind::Task);
    assert_eq!(symbols[0].detail, "[IN PROGRESS]");
    let phases: Vec<&str> = symbols[0].children.iter().map(|it| it.name.as_str()).collect();
    assert_eq!(phases, ["Phase 1: Refactor", "Phase 2: Test"]);
    for symbol in symbols.iter().chain(&symbols[0].children) {
        assert!(symbol.range.contains_range(symbol.selection_range), "{symbol:?}");
    }
    let todo = index.file_id("specs/TODO.md").unwrap();
    let names: Vec<String> = ide::document_symbols(&index, todo).into_iter().map(|it| it.name).collect();
    assert_eq!(names, ["219. Earlier work", "221. Fix status updates", "220. Prepare"]);
}

#[test]
fn workspace_symbols_rank_ids_before_titles() {
    let index = index(WORKSPACE);
    let table = SymbolTable::new(&index);
    assert_eq!(table.len(), 3);
    let ids =
        |query: &str| -> Vec<String> { table.search(query, 10).into_iter().map(|it| it.task.id.to_string()).collect() };
    assert_eq!(ids("220"), ["220"]);
    assert_eq!(ids("0220"), ["220"]);
    assert_eq!(ids("22"), ["220", "221"]);
    assert_eq!(ids("prep"), ["220"]);
    assert_eq!(ids("status"), ["221"]);
    assert_eq!(ids("fxstat"), ["221"]);
    assert_eq!(ids(""), ["219", "220", "221"]);
    assert!(ids("nothing like it").is_empty());
}

#[test]
fn document_links_resolve_against_the_workspace() {
    let index = index(WORKSPACE);
    let todo = index.file_id("specs/TODO.md").unwrap();
    let links = ide::document_links(&index, todo, &paths(WORKSPACE));
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].target, "specs/221_fix/plans/implementation-001.md");
}

#[test]
fn code_actions_fix_the_diagnostic_and_offer_status_changes() {
    let fixture = WORKSPACE.replace("- **Status**: [NOT STARTED]", "- **Status**: [NOT STRTED]");
    let (index, found) = diagnostics(&fixture, None);
    let todo = index.file_id("specs/TODO.md").unwrap();
    let offset = index.text(todo).find("[NOT STRTED]").unwrap();
    let range = TextRange::empty(crate::text::size(offset + 3));
    let actions = ide::code_actions(&index, &found, todo, range);
    let titles: Vec<&str> = actions.iter().map(|it| it.title.as_str()).collect();
    assert_eq!(titles[0], "Replace with `[NOT STARTED]`", "{titles:?}");
    assert_eq!(actions[0].kind, ActionKind::QuickFix);
    assert!(actions[0].preferred);
    assert!(titles.contains(&"Set status of 220 to [RESEARCHING]"), "{titles:?}");
    // Only allowed transitions: forcing is the status picker's, behind a step of its own.
    assert!(titles.iter().all(|it| !it.starts_with("Force")), "{titles:?}");
    assert!(!titles.contains(&"Set status of 220 to [COMPLETED]"), "{titles:?}");
    let forced =
        ActionTarget::SetStatus { task: TaskKey::new("specs", "220"), status: "completed".into(), force: true };

    let options = StatusChangeOptions::new(Now::from_timestamp("2026-11-22T05:33:43Z".parse().unwrap()));
    let change = ide::plan_action(&index, &found, todo, &actions[0].target, &options).unwrap();
    let applied = change.apply(&index);
    assert!(applied[0].1.contains("- **Status**: [NOT STARTED]\n"));
    let forced = ide::plan_action(&index, &found, todo, &forced, &options).unwrap();
    assert!(forced.files.len() >= 2, "{forced:?}");

    // A fix whose diagnostic is gone is refused rather than applied somewhere else.
    let stale = ActionTarget::Fix { code: crate::diagnostic::RuleCode::UnknownStatus, range, choice: 0 };
    assert!(ide::plan_action(&index, &found, todo, &stale, &options).is_err());
}

#[test]
fn a_status_a_fix_aligns_the_task_to_is_offered_once() {
    let (index, found) = diagnostics(WORKSPACE, None);
    let state = index.file_id("specs/state.json").unwrap();
    let offset = index.text(state).find("\"planned\"").unwrap();
    let actions = ide::code_actions(&index, &found, state, TextRange::empty(crate::text::size(offset + 2)));
    let titles: Vec<&str> = actions.iter().map(|it| it.title.as_str()).collect();
    let aligning: Vec<&&str> = titles.iter().filter(|it| it.starts_with("Make every place of task 221 say")).collect();
    assert!(!aligning.is_empty(), "{titles:?}");
    for title in aligning {
        let status = title.rsplit('`').nth(1).unwrap();
        let also = titles.iter().filter(|it| it.contains(&format!("status of 221 to {status}"))).count();
        assert_eq!(also, 0, "{status} is offered twice: {titles:?}");
    }
    // The other statuses are still offered.
    assert!(titles.iter().any(|it| it.starts_with("Set status of 221 to")), "{titles:?}");
}

#[test]
fn fixes_with_one_title_in_one_selection_say_their_lines() {
    let fixture = r#"%! specs/TODO.md
### 3. Third
- **Status**: [COMPLETED]

### 2. Second
- **Status**: [COMPLETED]

### 1. First
- **Status**: [COMPLETED]
- **Completed**: 2026-01-01

### 4. Fourth
- **Status**: [COMPLETED]
- **Completed**: 2026-01-02

### 5. Fifth
- **Status**: [COMPLETED]
- **Completed**: 2026-01-03
"#;
    let (index, found) = diagnostics(fixture, None);
    let todo = index.file_id("specs/TODO.md").unwrap();
    let whole = TextRange::new(crate::text::size(0), crate::text::size(index.text(todo).len()));
    let actions = ide::code_actions(&index, &found, todo, whole);
    let fields: Vec<&str> =
        actions.iter().map(|it| it.title.as_str()).filter(|it| it.starts_with("Add the **Completed** field")).collect();
    assert_eq!(fields.len(), 2, "{:?}", actions.iter().map(|it| &it.title).collect::<Vec<_>>());
    assert_ne!(fields[0], fields[1]);
    assert!(fields.iter().all(|it| it.contains("(line ")), "{fields:?}");
}

#[test]
fn progress_hints_count_the_current_plan() {
    let index = index(WORKSPACE);
    let hint = |path: &str| -> Vec<(String, String)> {
        let file = index.file_id(path).unwrap();
        ide::progress_hints(&index, file)
            .into_iter()
            .map(|it| (index.text(file)[it.anchor].to_string(), it.label))
            .collect()
    };
    assert_eq!(
        hint("specs/TODO.md"),
        [("### 221. Fix status updates".to_string(), "1/2 phases · 3/4 boxes".to_string())]
    );
    assert_eq!(
        hint("specs/221_fix/plans/implementation-001.md"),
        [("- **Status**: [IN PROGRESS]".to_string(), "1/2 phases · 3/4 boxes".to_string())]
    );
}
