//! The agents' hook's judgement of an edit: which problems the edited tracker has after the edit
//! that it had not before it. The hook (`taskmark hook`) reads the files and builds the two
//! indexes; what counts as a problem the edit made is decided here, once.

use std::collections::{HashMap, HashSet};

use crate::engine::config::Config;
use crate::engine::diagnostic::{Diagnostic, RuleCode, Severity};
use crate::engine::index::WorkspaceIndex;
use crate::engine::model::PlaceKind;
use crate::engine::rules::{self, Baseline, PathOracle};

/// An edit to judge: the tracker before and after it, each holding the edited files' text of
/// that side (and the same text of every other file).
pub struct EditToJudge<'a> {
    pub before: &'a WorkspaceIndex,
    pub after: &'a WorkspaceIndex,
    pub config: &'a Config,
    pub paths: &'a dyn PathOracle,
    /// The edited files, as the indexes name them.
    pub edited: &'a [&'a str],
    /// Edited files whose text before the edit is unknown (both indexes hold their text now):
    /// every problem in them counts.
    pub unknown: &'a HashSet<&'a str>,
}

/// What the edit left: the errors and warnings that are new, root causes only.
#[derive(Debug)]
pub struct Judgement {
    /// In the after index's terms.
    pub new: Vec<Diagnostic>,
    /// New problems left out because a file the edit broke no longer parses: they follow from
    /// it, and their fixes would mislead until it parses again.
    pub followers: usize,
}

pub fn judge_edit(edit: &EditToJudge<'_>) -> Judgement {
    let EditToJudge { before: before_index, after: after_index, config, paths, edited, unknown } = *edit;
    let before = rules::check(before_index, config, None, paths);
    // The text before the edit is the baseline: a status the edit moved to one no path of
    // allowed steps reaches is an `invalid-transition` of this edit.
    let baseline = Baseline { index: before_index, label: "before this edit".into() };
    let after = rules::check(after_index, config, Some(&baseline), paths);
    let mut seen: HashMap<Key, usize> = HashMap::new();
    for it in &before {
        *seen.entry(Key::of(before_index, it)).or_default() += 1;
    }
    let judged = |it: &&Diagnostic| {
        matches!(it.severity, Severity::Error | Severity::Warning) && !awaits_its_move(after_index, it, edited)
    };
    let mut new: Vec<Diagnostic> = Vec::new();
    for it in after.iter().filter(judged) {
        let edited_unknown = unknown.contains(after_index.path(it.file));
        match seen.get_mut(&Key::of(after_index, it)) {
            Some(count) if *count > 0 && !edited_unknown => *count -= 1,
            _ => new.push(it.clone()),
        }
    }
    let followers = if new.iter().any(|it| it.code == RuleCode::MalformedFile) {
        let all = new.len();
        new.retain(|it| it.code == RuleCode::MalformedFile);
        all - new.len()
    } else {
        0
    };
    Judgement { new, followers }
}

/// A disagreement the edit's next step settles: a task whose file says a new status while the
/// folder it sits in (a todo folder's `work/`, GSD's `debug/`, a PIDEA status folder) still says
/// the old one. These workflows write the status and then move the file; the move is no Write
/// the hook sees, and blocking the first step would leave the agent nowhere to go (`set` does
/// not move files). `check` still reports a file that was never moved.
fn awaits_its_move(index: &WorkspaceIndex, diagnostic: &Diagnostic, edited: &[&str]) -> bool {
    if diagnostic.code != RuleCode::StatusMismatch {
        return false;
    }
    let Some(entry) = diagnostic.task.as_ref().and_then(|it| index.task(it)) else { return false };
    entry.places.iter().any(|it| index.place(*it).kind == PlaceKind::StatusFolder)
        && entry.places.iter().all(|it| edited.contains(&index.path(it.file)))
}

/// The ids of the tasks whose places in the file at `path` differ between the two indexes (by
/// the text each place speaks for, which an edit elsewhere in the file does not change): the
/// tasks an edit can change what the rules say of, in other files too.
pub fn touched_tasks(before: &WorkspaceIndex, after: &WorkspaceIndex, path: &str) -> Vec<String> {
    let places = |index: &WorkspaceIndex| {
        let mut by_task: HashMap<String, Vec<String>> = HashMap::new();
        let Some(file) = index.file_id(path) else { return by_task };
        let text = index.text(file);
        for place in &index.parsed(file).places {
            if let Some(task) = place.task() {
                let extent = text.get(std::ops::Range::<usize>::from(place.extent)).unwrap_or("");
                by_task.entry(task.id.to_string()).or_default().push(extent.to_string());
            }
        }
        by_task
    };
    let (before, after) = (places(before), places(after));
    let mut touched: Vec<String> = before
        .iter()
        .filter(|(id, extents)| after.get(*id) != Some(extents))
        .map(|(id, _)| id.clone())
        .chain(after.keys().filter(|id| !before.contains_key(*id)).cloned())
        .collect();
    touched.sort();
    touched
}

/// A diagnostic as the comparison sees it: what it is about (its rule, file and task, and the
/// text it points at), not its wording. Lines shift when an edit adds or removes some, so its
/// range does not count; and a message counts what it is about (`2 of 3 phases`), so an edit
/// that fixes a phase would change the message of a problem it did not make.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    code: RuleCode,
    file: String,
    task: Option<String>,
    place: String,
}

impl Key {
    fn of(index: &WorkspaceIndex, it: &Diagnostic) -> Key {
        let place = index.text(it.file).get(std::ops::Range::<usize>::from(it.range)).unwrap_or_default();
        Key {
            code: it.code,
            file: index.path(it.file).to_string(),
            task: it.task.as_ref().map(|task| format!("{}:{}", task.scope, task.id)),
            place: place.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::{EditToJudge, judge_edit, touched_tasks};
    use crate::engine::config::Config;
    use crate::engine::diagnostic::RuleCode;
    use crate::engine::index::{SourceFile, WorkspaceIndex};

    const TODO: &str = "### 1. First\n- **Status**: [NOT STARTED]\n\n### 2. Second\n- **Status**: [BOGUS]\n";

    fn index(files: &[(&str, &str)]) -> WorkspaceIndex {
        let files = files.iter().map(|(path, text)| SourceFile { path: path.to_string(), text: Arc::from(*text) });
        WorkspaceIndex::build(files.collect(), &Config::default().vocabularies)
    }

    fn judge(before: &[(&str, &str)], after: &[(&str, &str)], edited: &[&str]) -> (Vec<(RuleCode, String)>, usize) {
        let (before, after) = (index(before), index(after));
        let paths: HashSet<String> = after.entries().map(|(_, it)| it.path.clone()).collect();
        let config = Config::default();
        let unknown = HashSet::new();
        let judged = judge_edit(&EditToJudge {
            before: &before,
            after: &after,
            config: &config,
            paths: &paths,
            edited,
            unknown: &unknown,
        });
        let new = judged.new.iter().map(|it| (it.code, after.path(it.file).to_string())).collect();
        (new, judged.followers)
    }

    /// Task 2's unknown marker was there before: only what the edit made counts (task 1's new
    /// typo), and the edit touched task 1 alone.
    #[test]
    fn only_what_the_edit_made_counts() {
        let after = TODO.replace("[NOT STARTED]", "[NOT STARTD]");
        let (new, followers) = judge(&[("specs/TODO.md", TODO)], &[("specs/TODO.md", &after)], &["specs/TODO.md"]);
        assert_eq!(new, [(RuleCode::UnknownStatus, "specs/TODO.md".to_string())]);
        assert_eq!(followers, 0);
        let (before, after) = (index(&[("specs/TODO.md", TODO)]), index(&[("specs/TODO.md", &after)]));
        assert_eq!(touched_tasks(&before, &after, "specs/TODO.md"), ["1"]);
    }

    /// A state.json the edit broke comes alone: what follows from it waits until it parses.
    #[test]
    fn a_file_that_no_longer_parses_comes_first_and_alone() {
        let state = r#"{"next_project_number": 3, "active_projects": [{"project_number": 1, "project_name": "first", "status": "implementing", "started": "2026-01-02"}]}"#;
        let todo = "### 1. First\n- **Status**: [IMPLEMENTING]\n- **Started**: 2026-01-02\n";
        let (new, followers) = judge(
            &[("specs/TODO.md", todo), ("specs/state.json", state)],
            &[("specs/TODO.md", todo), ("specs/state.json", "{\"next_project_number\": 3, \"active_projects\": [")],
            &["specs/state.json"],
        );
        assert_eq!(new, [(RuleCode::MalformedFile, "specs/state.json".to_string())]);
        assert!(followers > 0, "the orphaned TODO.md section follows from it");
    }

    /// A todo file written `Done` while still in `work/`: the workflow moves it next, so the
    /// disagreement with its folder is no problem of this edit.
    #[test]
    fn a_status_written_before_its_move_waits_for_it() {
        let path = "todos/work/2025-01-02-03-04-05-task.md";
        let (new, _) =
            judge(&[(path, "# Task\n**Status:** In Progress\n")], &[(path, "# Task\n**Status:** Done\n")], &[path]);
        assert_eq!(new, []);
    }
}
