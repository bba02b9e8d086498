//! `taskmark list`: every task of the workspace with its status, whether its places agree, its
//! dependencies and plan progress, filtered the way people triage (`--ready`, `--blocked`).

use std::collections::HashSet;

use crate::change::Refusal;
use crate::index::{Tracker, WorkspaceIndex};
use crate::layout::Family;
use crate::model::TaskKey;
use crate::summary::{self, TaskSummary};
use crate::vocabulary::Kind;

/// Which tasks to list. Every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// A status id, marker or word of the task's vocabulary (`implementing`, `[PLANNED]`, `Done`).
    pub status: Option<String>,
    pub kind: Option<Kind>,
    /// A tracker root (`specs`, `.opencode/specs`) or family (`spec-folder`, `backlog`).
    pub tracker: Option<String>,
    /// Started or finished work with a dependency that is not done.
    pub blocked: bool,
    /// Not started, every dependency done.
    pub ready: bool,
    /// Include tasks archived on purpose (left out by default: they are history).
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub summary: TaskSummary,
    pub family: Option<Family>,
    pub kind: Option<Kind>,
    /// The status as the tracker's vocabulary shows it (`[NOT STARTED]` whether the place that
    /// speaks for the task writes `[NOT STARTED]` or `not_started`): one spelling per tracker in
    /// a table.
    pub shown_status: Option<String>,
}

impl TaskRow {
    /// The dependencies that are not done, by id.
    pub fn open_dependencies(&self) -> Vec<&str> {
        self.summary.dependencies.iter().filter(|it| !it.done).map(|it| it.id.as_str()).collect()
    }
}

/// Whether `filter` names things the workspace has: a tracker (by its root, the end of its root,
/// or its family) and a status some selected tracker's vocabulary knows. A filter that matches
/// nothing because of a typo (`--status planed`, `--tracker spec`) is refused with the words
/// that would match, as `set` refuses an unknown status, instead of listing no task.
pub fn check_filter(index: &WorkspaceIndex, filter: &ListFilter) -> Result<(), Refusal> {
    let trackers: Vec<&Tracker> = index
        .trackers()
        .iter()
        .filter(|it| filter.tracker.as_deref().is_none_or(|wanted| names_tracker(index, it, wanted)))
        .collect();
    if let Some(wanted) = &filter.tracker
        && trackers.is_empty()
    {
        let mut names: Vec<String> = index.trackers().iter().map(crate::lifecycle::create::described).collect();
        names.sort();
        names.dedup();
        return Err(Refusal::BadRequest(format!(
            "no tracker `{wanted}` in this workspace; its trackers are {}",
            names.join(", ")
        )));
    }
    let Some(wanted) = &filter.status else { return Ok(()) };
    let mut refusals = Vec::new();
    for tracker in trackers {
        match crate::change::task_status(&tracker.profile, wanted) {
            Ok(_) => return Ok(()),
            Err(refusal) => refusals.push(refusal),
        }
    }
    // The vocabulary with a word close to the one asked for says the most.
    let suggests = |it: &Refusal| matches!(it, Refusal::UnknownStatus { suggestions, .. } if !suggestions.is_empty());
    let best = refusals.iter().position(suggests).unwrap_or(0);
    match refusals.into_iter().nth(best) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Whether a person's name for a tracker means `tracker`: its root (`.opencode/specs`), the
/// end of its root (`specs`, where no tracker has that root), or its family (`backlog`).
pub(crate) fn names_tracker(index: &WorkspaceIndex, tracker: &Tracker, wanted: &str) -> bool {
    let wanted = crate::layout::tracker_root_named(wanted);
    if tracker.family.as_str() == wanted || tracker.root == wanted {
        return true;
    }
    let exact = index.trackers().iter().any(|it| it.root == wanted);
    !exact && !wanted.is_empty() && tracker.root.ends_with(&format!("/{wanted}"))
}

/// The tasks `filter` selects, in tracker order and then by id as people count (`2` before `10`).
pub fn list_tasks(index: &WorkspaceIndex, filter: &ListFilter) -> Vec<TaskRow> {
    listed_keys(index, filter).into_iter().filter_map(|task| task_row(index, task, filter)).collect()
}

/// The tasks of the trackers `filter` names, in the order [`list_tasks`] lists them: those
/// [`task_row`] may select.
pub fn listed_keys<'i>(index: &'i WorkspaceIndex, filter: &ListFilter) -> Vec<&'i TaskKey> {
    let mut keys: Vec<&TaskKey> = index.tasks().keys().collect();
    keys.sort_by(|a, b| a.scope.cmp(&b.scope).then_with(|| crate::index::natural_cmp(&a.id, &b.id)));
    let roots = named_roots(index, filter.tracker.as_deref());
    keys.retain(|task| roots.as_ref().is_none_or(|it| it.contains(task.scope.as_str())));
    keys
}

/// `task`'s row, when `filter` selects it (its tracker aside: see [`listed_keys`]).
pub fn task_row(index: &WorkspaceIndex, task: &TaskKey, filter: &ListFilter) -> Option<TaskRow> {
    let entry = index.task(task)?;
    // A task known only from what stands apart (a sync's record of a task since removed,
    // a position naming a phase the roadmap lacks) is no task of the tracker's.
    let apart = entry.places.iter().all(|it| index.place(*it).kind.stands_apart());
    if apart || (entry.archived && !filter.archived) {
        return None;
    }
    let profile = index.task_profile(task);
    let status = index.task_status(task).map(|(_, it)| it);
    // A status the task's vocabulary does not know selects none of its tasks.
    if let Some(wanted) = &filter.status
        && profile
            .and_then(|it| crate::change::task_status(it, wanted).ok())
            .is_none_or(|wanted| Some(wanted) != status)
    {
        return None;
    }
    let kind = profile.zip(status).map(|(profile, status)| profile.kind(status));
    if filter.kind.is_some() && filter.kind != kind {
        return None;
    }
    let shown_status = profile.zip(status).map(|(profile, status)| profile.display(status));
    let summary = summary::task_summary(index, task);
    let row = TaskRow { summary, family: family_of(index, task), kind, shown_status };
    let all_done = row.summary.dependencies.iter().all(|it| it.done);
    if filter.ready && !(kind == Some(Kind::Todo) && all_done) {
        return None;
    }
    let started = matches!(kind, Some(Kind::Active | Kind::Blocked | Kind::Done));
    let waiting = started && !all_done;
    if filter.blocked && !waiting {
        return None;
    }
    Some(row)
}

/// The family of `task`'s tracker.
pub fn family_of(index: &WorkspaceIndex, task: &TaskKey) -> Option<Family> {
    index.trackers().iter().find(|it| it.root == task.scope).map(|it| it.family)
}

/// The roots of the trackers a person's name means (`None`: every tracker).
fn named_roots<'i>(index: &'i WorkspaceIndex, wanted: Option<&str>) -> Option<HashSet<&'i str>> {
    let wanted = wanted?;
    Some(index.trackers().iter().filter(|it| names_tracker(index, it, wanted)).map(|it| it.root.as_str()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    const TODO: &str = "\
## Tasks

### 1. Base
- **Status**: [COMPLETED]

### 2. Built on base
- **Status**: [NOT STARTED]
- **Dependencies**: 1

### 3. Needs two
- **Status**: [NOT STARTED]
- **Dependencies**: 2

### 4. Started too early
- **Status**: [IMPLEMENTING]
- **Dependencies**: 2

### 10. Last
- **Status**: [PLANNED]
";

    fn ids(rows: &[TaskRow]) -> Vec<&str> {
        rows.iter().map(|it| it.summary.task.id.as_str()).collect()
    }

    #[test]
    fn filters_select_what_triage_asks_for() {
        let index = fixture::index(&format!("%! specs/TODO.md\n{TODO}"));
        let all = list_tasks(&index, &ListFilter::default());
        assert_eq!(ids(&all), ["1", "2", "3", "4", "10"], "ids in counting order");
        let ready = list_tasks(&index, &ListFilter { ready: true, ..ListFilter::default() });
        assert_eq!(ids(&ready), ["2", "10"], "not started (planned is not started) with every dependency done");
        let blocked = list_tasks(&index, &ListFilter { blocked: true, ..ListFilter::default() });
        assert_eq!(ids(&blocked), ["4"], "started while a dependency is open");
        let planned = list_tasks(&index, &ListFilter { status: Some("[PLANNED]".into()), ..ListFilter::default() });
        assert_eq!(ids(&planned), ["10"]);
        let todo = list_tasks(&index, &ListFilter { kind: Some(Kind::Todo), ..ListFilter::default() });
        assert_eq!(ids(&todo), ["2", "3", "10"]);
        let unknown = list_tasks(&index, &ListFilter { status: Some("nonsense".into()), ..ListFilter::default() });
        assert!(unknown.is_empty());
        let family = list_tasks(&index, &ListFilter { tracker: Some("spec-folder".into()), ..ListFilter::default() });
        assert_eq!(family.len(), 5);
        let other = list_tasks(&index, &ListFilter { tracker: Some("backlog".into()), ..ListFilter::default() });
        assert!(other.is_empty());
        assert_eq!(all[3].open_dependencies(), ["2"]);
    }

    /// A filter naming what the workspace lacks is refused with what it has, where listing
    /// nothing would look like an answer (`--status planed`, `--tracker spec`); a tracker is
    /// named by its root, the end of its root or its family.
    #[test]
    fn a_filter_with_a_typo_is_refused_with_what_would_match() {
        let index = fixture::index(&format!("%! .opencode/specs/TODO.md\n{TODO}"));
        let filter = |status: Option<&str>, tracker: Option<&str>| ListFilter {
            status: status.map(str::to_string),
            tracker: tracker.map(str::to_string),
            ..ListFilter::default()
        };
        let refused = |status, tracker| check_filter(&index, &filter(status, tracker)).err().map(|it| it.to_string());
        let typo = refused(Some("planed"), None).expect("refused");
        assert!(typo.contains("did you mean `[PLANNED]`"), "{typo}");
        let nonsense = refused(Some("nonsense"), None).expect("refused");
        assert!(nonsense.contains("[NOT STARTED]") && nonsense.contains("[COMPLETED]"), "{nonsense}");
        let tracker = refused(None, Some("spec")).expect("refused");
        assert!(
            tracker.contains("no tracker `spec`") && tracker.contains(".opencode/specs (spec-folder)"),
            "{tracker}"
        );
        for named in [".opencode/specs", "specs", "./.opencode/specs/", "spec-folder"] {
            assert_eq!(refused(Some("[PLANNED]"), Some(named)), None, "{named}");
            assert_eq!(ids(&list_tasks(&index, &filter(None, Some(named)))), ["1", "2", "3", "4", "10"], "{named}");
        }
        assert_eq!(ids(&list_tasks(&index, &filter(Some("planned"), Some("specs")))), ["10"]);
    }

    /// A task state.json alone holds is shown as the vocabulary spells its status, and named by
    /// the entry's `title` where it has no `project_name` (ProofChecker's 195 and 198 showed
    /// `not_started` and no title).
    #[test]
    fn a_task_only_state_json_holds_is_shown_like_the_others() {
        let fixture = format!(
            "%! specs/TODO.md\n{TODO}%! specs/state.json\n{{\"active_projects\": [{{\"project_number\": 11, \"title\": \"Review proof search\", \"status\": \"not_started\"}}]}}\n"
        );
        let index = fixture::index(&fixture);
        let rows = list_tasks(&index, &ListFilter::default());
        let eleven = rows.iter().find(|it| it.summary.task.id == "11").expect("task 11");
        assert_eq!(eleven.summary.status.as_deref(), Some("not_started"), "as written");
        assert_eq!(eleven.shown_status.as_deref(), Some("[NOT STARTED]"));
        assert_eq!(eleven.summary.title.as_deref(), Some("Review proof search"));
        let two = rows.iter().find(|it| it.summary.task.id == "2").expect("task 2");
        assert_eq!(two.shown_status.as_deref(), Some("[NOT STARTED]"));
    }
}
