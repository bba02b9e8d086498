//! One repository seen from several places at once (its worktrees): the tasks whose status is
//! not the same in all of them, for `taskmark status --worktrees`.

use crate::index::WorkspaceIndex;
use crate::model::TaskKey;

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
                views.iter().map(|view| view.task(task).map(|_| crate::ide::task_summary(view, task))).collect();
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
}
