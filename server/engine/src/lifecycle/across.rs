//! One repository seen from several places at once (its worktrees): the tasks whose status is
//! not the same in all of them, for `taskmark status --worktrees`; and, for the language
//! server's view of the other worktrees, what each says of a task and the two warnings it
//! gives (`claimed-elsewhere`, `behind-elsewhere`).

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, RuleCode, diagnostic};
use crate::index::WorkspaceIndex;
use crate::model::{FileId, TaskKey};
use crate::vocabulary::Kind;

/// A task as one view has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The status as its authoritative place writes it (`[IMPLEMENTING]`), if it states one.
    pub status: Option<String>,
    pub archived: bool,
    /// Whether every place of the task agrees in this view.
    pub agrees: bool,
}

/// A task whose status differs between the views: what each says (`None`: not there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Differing {
    pub task: TaskKey,
    pub title: Option<String>,
    pub seen: Vec<Option<Seen>>,
}

/// What decides whether two views differ: the status written and whether it is archived.
fn said(index: &WorkspaceIndex, task: &TaskKey) -> Option<(Option<String>, bool)> {
    let entry = index.task(task)?;
    Some((index.task_status(task).map(|(place, _)| index.place(place).shown()), entry.archived))
}

/// The tasks whose status or archived state is not the same in every view, in task order. A
/// task missing from a view differs from one that view has.
pub fn differing(views: &[&WorkspaceIndex]) -> Vec<Differing> {
    let mut tasks: Vec<&TaskKey> = views.iter().flat_map(|it| it.tasks().keys()).collect();
    tasks.sort();
    tasks.dedup();
    tasks
        .into_iter()
        .filter_map(|task| {
            let said: Vec<Option<(Option<String>, bool)>> = views.iter().map(|view| said(view, task)).collect();
            if said.iter().all(|it| *it == said[0]) {
                return None;
            }
            // Summaries only for the few tasks that differ: they cost more than the status.
            let summaries: Vec<Option<_>> =
                views.iter().map(|view| view.task(task).map(|_| crate::summary::task_summary(view, task))).collect();
            let title = summaries.iter().flatten().find_map(|it| it.title.clone());
            let seen = said
                .into_iter()
                .zip(&summaries)
                .map(|(said, summary)| {
                    let (status, archived) = said?;
                    Some(Seen { status, archived, agrees: summary.as_ref().is_none_or(|it| it.agrees()) })
                })
                .collect();
            Some(Differing { task: task.clone(), title, seen })
        })
        .collect()
}

/// Another worktree of the repository, as read from its saved files.
#[derive(Debug, Clone)]
pub struct OtherWorktree {
    /// How people name it: its branch, or its folder when it has none (a detached HEAD).
    pub name: String,
    pub index: Arc<WorkspaceIndex>,
    /// The workspace where this worktree's history and the other's parted (their merge base):
    /// what both inherited, which is nobody's doing since. `None` when it cannot be read; the
    /// warnings then stay silent rather than guess.
    pub base: Option<Arc<WorkspaceIndex>>,
}

/// What another worktree says of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenThere {
    pub worktree: String,
    pub status: Option<String>,
    pub kind: Option<Kind>,
    pub archived: bool,
}

/// A task's status and kind as a view has it.
fn status_of(index: &WorkspaceIndex, task: &TaskKey) -> Option<(String, Option<Kind>)> {
    let (place, status) = index.task_status(task)?;
    let kind = index.task_profile(task).map(|profile| profile.kind(status));
    Some((index.place(place).shown(), kind))
}

/// What every other worktree that has `task` says of it, in the worktrees' order.
pub fn seen_elsewhere(task: &TaskKey, others: &[OtherWorktree]) -> Vec<SeenThere> {
    others
        .iter()
        .filter_map(|other| {
            let entry = other.index.task(task)?;
            let (status, kind) = status_of(&other.index, task).map_or((None, None), |(it, kind)| (Some(it), kind));
            Some(SeenThere { worktree: other.name.clone(), status, kind, archived: entry.archived })
        })
        .collect()
}

/// The other worktrees where another session has taken `task` up: started or finished there,
/// and changed there since the two worktrees parted (what both inherited is nobody's doing),
/// committed or not. Archived there is left alone; so is a worktree whose parting point cannot
/// be read.
pub fn taken_up_elsewhere(task: &TaskKey, others: &[OtherWorktree]) -> Vec<SeenThere> {
    others
        .iter()
        .filter_map(|other| {
            let base = other.base.as_ref()?;
            let seen = seen_elsewhere(task, std::slice::from_ref(other)).pop()?;
            let inherited = status_of(base, task).map(|(status, _)| status);
            let moved_there = inherited.as_ref() != seen.status.as_ref();
            let started = seen.kind.is_some_and(|kind| progress(kind) > 0);
            (moved_there && started && !seen.archived).then_some(seen)
        })
        .collect()
}

/// How far along a kind is, for "further along elsewhere": not started, then started (active or
/// blocked), then finished (done or cancelled).
fn progress(kind: Kind) -> u8 {
    match kind {
        Kind::Todo => 0,
        Kind::Active | Kind::Blocked => 1,
        Kind::Done | Kind::Cancelled => 2,
    }
}

/// The warnings the other worktrees give about this one's tasks (in `file` only, when given):
/// `claimed-elsewhere` for a task active here and in another worktree at once, where it was not
/// active yet when the two parted (two sessions started it); `behind-elsewhere` for a task
/// another worktree has moved further along since they parted (finished there, started here).
/// What both inherited from where they parted is nobody's doing and says nothing. Each sits on
/// the task's authoritative place; archived tasks and tasks with no status are left alone.
pub fn elsewhere_diagnostics(here: &WorkspaceIndex, others: &[OtherWorktree], file: Option<FileId>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if others.is_empty() {
        return out;
    }
    for (task, entry) in here.tasks() {
        if entry.archived {
            continue;
        }
        let Some((place, _)) = here.task_status(task) else { continue };
        if file.is_some_and(|it| it != place.file) {
            continue;
        }
        let Some((ours, Some(our_kind))) = status_of(here, task) else { continue };
        let mut active_there: Vec<SeenThere> = Vec::new();
        let mut ahead_there: Vec<SeenThere> = Vec::new();
        for other in others {
            let Some(base) = &other.base else { continue };
            let Some(seen) = seen_elsewhere(task, std::slice::from_ref(other)).pop() else { continue };
            let inherited = status_of(base, task);
            let active_before = inherited.as_ref().is_some_and(|(_, kind)| *kind == Some(Kind::Active));
            let moved_there = inherited.as_ref().map(|(status, _)| status) != seen.status.as_ref();
            if our_kind == Kind::Active && !seen.archived && seen.kind == Some(Kind::Active) && !active_before {
                active_there.push(seen.clone());
            }
            if moved_there && seen.kind.is_some_and(|kind| progress(kind) > progress(our_kind)) {
                ahead_there.push(seen);
            }
        }
        let line = here.place(place).line;
        let named = |list: &[SeenThere]| {
            list.iter()
                .map(|it| format!("`{}` ({})", it.worktree, it.status.as_deref().unwrap_or("no status")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if our_kind == Kind::Active && !active_there.is_empty() {
            let mut found = diagnostic(
                RuleCode::ClaimedElsewhere,
                place.file,
                line,
                format!(
                    "task {} is {ours} here and active in another worktree too: {}; two sessions are working on it",
                    task.id,
                    named(&active_there)
                ),
            );
            found.task = Some(task.clone());
            out.push(found);
        }
        if let Some(first) = ahead_there.first() {
            let mut found = diagnostic(
                RuleCode::BehindElsewhere,
                place.file,
                line,
                format!(
                    "task {} is {ours} here but further along in another worktree: {}{}",
                    task.id,
                    named(&ahead_there),
                    if first.archived { " (archived there)" } else { "" }
                ),
            );
            found.task = Some(task.clone());
            out.push(found);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::index::SourceFile;
    use std::sync::Arc;

    fn view(todo: &str) -> WorkspaceIndex {
        let files = vec![SourceFile { path: "specs/TODO.md".into(), text: Arc::from(todo) }];
        WorkspaceIndex::build(files, &Config::default().vocabularies)
    }

    const BASE: &str = "# TODO\n\n### 1. One\n- **Status**: [PLANNED]\n\n### 2. Two\n- **Status**: [COMPLETED]\n";

    #[test]
    fn a_task_taken_up_in_another_worktree_since_they_parted_is_named_and_an_inherited_one_is_not() {
        let task = TaskKey::new("specs", "1");
        let started = other("agent-2", ACTIVE, PLANNED);
        let inherited = other("agent-3", ACTIVE, ACTIVE);
        let untouched = other("agent-4", PLANNED, PLANNED);
        let taken: Vec<String> =
            taken_up_elsewhere(&task, &[started, inherited, untouched]).into_iter().map(|it| it.worktree).collect();
        assert_eq!(taken, vec!["agent-2".to_string()]);
    }

    #[test]
    fn only_the_tasks_whose_status_differs_somewhere_are_listed_with_every_views_status() {
        let here = view(BASE);
        let there = view(&BASE.replace("[PLANNED]", "[IMPLEMENTING]"));
        let elsewhere = view(BASE);
        let found = differing(&[&here, &there, &elsewhere]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].task, TaskKey::new("specs", "1"));
        assert_eq!(found[0].title.as_deref(), Some("One"));
        let statuses: Vec<Option<String>> =
            found[0].seen.iter().map(|it| it.as_ref().and_then(|it| it.status.clone())).collect();
        assert_eq!(statuses, [Some("[PLANNED]".into()), Some("[IMPLEMENTING]".into()), Some("[PLANNED]".into())]);
    }

    #[test]
    fn a_task_one_view_lacks_differs_and_identical_views_differ_in_nothing() {
        let here = view(BASE);
        let there = view(&format!("{BASE}\n### 3. Three\n- **Status**: [NOT STARTED]\n"));
        let found = differing(&[&here, &there]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].task, TaskKey::new("specs", "3"));
        assert_eq!(found[0].seen[0], None);
        assert!(differing(&[&here, &view(BASE)]).is_empty());
    }

    /// Another worktree whose history parted from this one's at `base`.
    fn other(name: &str, todo: &str, base: &str) -> OtherWorktree {
        OtherWorktree { name: name.into(), index: Arc::new(view(todo)), base: Some(Arc::new(view(base))) }
    }

    const PLANNED: &str = "# TODO\n\n### 1. One\n- **Status**: [PLANNED]\n\n### 2. Two\n- **Status**: [NOT STARTED]\n";
    const ACTIVE: &str =
        "# TODO\n\n### 1. One\n- **Status**: [IMPLEMENTING]\n\n### 2. Two\n- **Status**: [NOT STARTED]\n";

    #[test]
    fn a_task_started_here_and_in_another_worktree_since_they_parted_is_claimed_elsewhere() {
        let here = view(ACTIVE);
        let found =
            elsewhere_diagnostics(&here, &[other("agent-b", ACTIVE, PLANNED), other("main", PLANNED, PLANNED)], None);
        let claimed: Vec<&Diagnostic> = found.iter().filter(|it| it.code == RuleCode::ClaimedElsewhere).collect();
        assert_eq!(claimed.len(), 1, "{found:?}");
        assert_eq!(claimed[0].task.as_ref().map(|it| it.id.as_str()), Some("1"));
        assert!(claimed[0].message.contains("`agent-b` ([IMPLEMENTING])"), "{}", claimed[0].message);
        assert!(!claimed[0].message.contains("main"), "main has it planned: {}", claimed[0].message);
    }

    #[test]
    fn what_both_worktrees_inherited_from_where_they_parted_says_nothing() {
        // Both branched from a tracker where task 1 was already under way: one session's work.
        let here = view(ACTIVE);
        assert!(elsewhere_diagnostics(&here, &[other("agent-b", ACTIVE, ACTIVE)], None).is_empty());
        // Without the merge base nothing can tell inherited from new: silent, not a guess.
        let unknown = OtherWorktree { name: "x".into(), index: Arc::new(view(ACTIVE)), base: None };
        assert!(elsewhere_diagnostics(&here, &[unknown], None).is_empty());
    }

    #[test]
    fn a_task_finished_in_another_worktree_and_started_here_is_behind_elsewhere() {
        let here = view(ACTIVE);
        let done_there = ACTIVE.replace("[IMPLEMENTING]", "[COMPLETED]").replace("[NOT STARTED]", "[RESEARCHING]");
        let found = elsewhere_diagnostics(&here, &[other("feature", &done_there, PLANNED)], None);
        let codes: Vec<(RuleCode, &str)> =
            found.iter().map(|it| (it.code, it.task.as_ref().map_or("", |task| task.id.as_str()))).collect();
        assert_eq!(codes, [(RuleCode::BehindElsewhere, "1"), (RuleCode::BehindElsewhere, "2")]);
        assert!(found[0].message.contains("is [IMPLEMENTING] here but further along"), "{}", found[0].message);
        assert!(found[0].message.contains("`feature` ([COMPLETED])"), "{}", found[0].message);
        // The other way round nothing is wrong here: this worktree is the one ahead.
        let there = view(&done_there);
        assert!(elsewhere_diagnostics(&there, &[other("here", ACTIVE, PLANNED)], None).is_empty());
        // Finished where they parted and reopened here: the other worktree did nothing since.
        assert!(elsewhere_diagnostics(&here, &[other("old", &done_there, &done_there)], None).is_empty());
    }

    #[test]
    fn the_same_status_everywhere_or_no_other_worktree_says_nothing() {
        let here = view(PLANNED);
        assert!(elsewhere_diagnostics(&here, &[], None).is_empty());
        assert!(elsewhere_diagnostics(&here, &[other("same", PLANNED, PLANNED)], None).is_empty());
        let task = here.tasks().keys().next().expect("a task").clone();
        let seen = seen_elsewhere(&task, &[other("b", ACTIVE, PLANNED)]);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].status.as_deref(), Some("[IMPLEMENTING]"));
        assert_eq!(seen[0].kind, Some(Kind::Active));
    }
}
