//! Multi-file fixtures for engine tests, in texlab's style: `%! path` starts a file.
//!
//! ```text
//! %! specs/TODO.md
//! ### 1. First
//! - **Status**: [COMPLETED]
//! %! specs/state.json
//! {"active_projects": [{"project_number": 1, "status": "completed"}]}
//! ```

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::index::{SourceFile, WorkspaceIndex};
use crate::rules::{self, Baseline};
use crate::text::line_number;

pub fn files(fixture: &str) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in fixture.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("%! ") {
            if let Some((path, text)) = current.take() {
                files.push(SourceFile { path, text: Arc::from(text) });
            }
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
        }
    }
    if let Some((path, text)) = current {
        files.push(SourceFile { path, text: Arc::from(text) });
    }
    files
}

/// Asserts that `found` is exactly `expected`, as (code, severity, task id), in any order.
pub fn assert_diagnostics(
    found: &[Diagnostic],
    expected: &[(crate::diagnostic::RuleCode, crate::diagnostic::Severity, &str)],
) {
    let seen: Vec<_> = found
        .iter()
        .map(|it| (it.code, it.severity, it.task.as_ref().map(|task| task.id.to_string()).unwrap_or_default()))
        .collect();
    for (code, severity, task) in expected {
        assert!(seen.contains(&(*code, *severity, task.to_string())), "{code:?} {task}: {found:#?}");
    }
    assert_eq!(seen.len(), expected.len(), "{found:#?}");
}

/// Status-change options at the instant `at` (`2026-11-27T10:00:00Z`), so what a change
/// stamps is known to the test.
pub fn options_at(at: &str) -> crate::edit::StatusChangeOptions {
    let instant = at.parse().unwrap_or_else(|error| panic!("the fixture's instant `{at}`: {error}"));
    crate::edit::StatusChangeOptions::new(crate::timestamp::Now::from_timestamp(instant))
}

/// The fixture with a change's files written: what the workspace holds after it.
pub fn apply(fixture: &str, index: &WorkspaceIndex, change: &crate::change::WorkspaceChange) -> String {
    let written = change.apply(index);
    files(fixture)
        .into_iter()
        .map(|file| {
            let text = written.iter().find(|(path, _)| *path == file.path).map_or(&*file.text, |(_, text)| text);
            format!("%! {}\n{text}", file.path)
        })
        .collect()
}

pub fn index(fixture: &str) -> WorkspaceIndex {
    WorkspaceIndex::build(files(fixture), &Config::default().vocabularies)
}

pub fn paths(fixture: &str) -> HashSet<String> {
    files(fixture).into_iter().map(|it| it.path).collect()
}

/// Runs the rules with the default configuration, against `baseline` when given.
pub fn diagnostics(fixture: &str, baseline: Option<&str>) -> (WorkspaceIndex, Vec<Diagnostic>) {
    diagnostics_with(fixture, baseline, &Config::default())
}

pub fn diagnostics_with(fixture: &str, baseline: Option<&str>, config: &Config) -> (WorkspaceIndex, Vec<Diagnostic>) {
    let index = WorkspaceIndex::build(files(fixture), &config.vocabularies);
    let baseline_index = baseline.map(|it| WorkspaceIndex::build(files(it), &config.vocabularies));
    let baseline = baseline_index.as_ref().map(|index| Baseline { index, label: "HEAD".into() });
    let found = rules::check(&index, config, baseline.as_ref(), &paths(fixture));
    (index, found)
}

/// `path:line severity[code] message`, related places and fix titles indented below.
pub fn render(index: &WorkspaceIndex, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for it in diagnostics {
        let line = index.entry(it.file).map_or(0, |entry| line_number(entry.line_index(), it.range.start()));
        let _ = writeln!(
            out,
            "{}:{line} {}[{}] {} `{}`",
            index.path(it.file),
            it.severity.as_str(),
            it.code,
            it.message,
            &index.text(it.file)[it.range]
        );
        for related in &it.related {
            let line =
                index.entry(related.file).map_or(0, |entry| line_number(entry.line_index(), related.range.start()));
            let _ = writeln!(out, "    = {}:{line}: {}", index.path(related.file), related.message);
        }
        for title in crate::edit::fix_titles(index, it) {
            let _ = writeln!(out, "    fix: {title}");
        }
    }
    out
}

pub fn check(fixture: &str) -> String {
    let (index, found) = diagnostics(fixture, None);
    render(&index, &found)
}

/// Indexes a fixture in which one file holds the cursor `$0`; returns the file and the
/// cursor's offset (the marker removed).
pub fn cursor(fixture: &str) -> (WorkspaceIndex, crate::index::FileId, crate::text::TextSize) {
    let mut at = None;
    let sources: Vec<SourceFile> = files(fixture)
        .into_iter()
        .map(|source| match source.text.find("$0") {
            Some(offset) => {
                at = Some((source.path.clone(), offset));
                SourceFile { path: source.path, text: Arc::from(source.text.replacen("$0", "", 1)) }
            }
            None => source,
        })
        .collect();
    let (path, offset) = at.expect("the fixture has a $0 cursor");
    let index = WorkspaceIndex::build(sources, &Config::default().vocabularies);
    let file = index.file_id(&path).expect("the cursor's file is indexed");
    (index, file, crate::text::size(offset))
}
