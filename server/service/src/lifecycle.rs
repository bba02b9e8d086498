//! The task lifecycle beyond a status, once for every front door: a new task, an edit of its
//! title, priority, dependencies or description, and the archive of finished tasks. Each runs
//! the same guards in the same order as a status change (the task or tracker resolves, every
//! file of the tracker was read and parses, the engine plans it, it leaves no new drift) and
//! answers the change to write with what the front doors report of it ([`LifecycleAnswer`]).

use std::time::SystemTime;

use serde::Serialize;

use crate::engine::diagnostic::RuleCode;
use crate::engine::edit::{Checked, WorkspaceChange, resolve_task, task_status, user_text};
use crate::engine::lifecycle::{self, ArchiveRequest, EditTask, NewTask, UsedIds};
use crate::engine::model::TaskKey;
use crate::engine::timestamp::Now;
use crate::engine::vocabulary::Kind;
use crate::guards::{Refused, TaskWorkspace, leaves_only_expected_drift, refuse_unreadable};
use crate::id_reservations::{IdReservations, Reservation, Reserved};

/// What a lifecycle change reports beside its files: the fields its command names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LifecycleAnswer {
    /// The task's id as the tracker writes it (`new`, `edit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The task as commands name it back: `221`, or `SCOPE:221` (`new`, `edit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The tracker the task went to (`new`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracker: Option<String>,
    /// The task's title after the change (`new`, `edit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The status a new task got, as its tracker shows it (`new`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The tasks archived (`archive`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<String>>,
}

/// A lifecycle change planned and checked for new drift, not yet written.
pub struct PlannedLifecycle {
    pub change: WorkspaceChange,
    pub answer: LifecycleAnswer,
    /// The workspace as the change's re-check left it (none for a change that changes
    /// nothing), for a front door that keeps the workspace as saved; else freed when dropped.
    pub checked: Option<Checked>,
}

/// An edit of a task as every front door asks it; only the fields named change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditTaskRequest {
    pub task: String,
    pub title: Option<String>,
    pub priority: Option<String>,
    pub add_dependencies: Vec<String>,
    pub remove_dependencies: Vec<String>,
    pub description: Option<String>,
    /// Boxes to tick and to open again (a number from 1, a piece of their text, or `all`),
    /// the task's own or those of `phase` of its plan.
    pub tick: Vec<String>,
    pub untick: Vec<String>,
    pub phase: Option<String>,
    /// A status for `phase` (`completed`).
    pub phase_status: Option<String>,
    /// Files to link from the task as its artifacts (a research report, a plan, a summary).
    pub artifacts: Vec<crate::engine::lifecycle::Artifact>,
}

/// An archive of finished tasks as every front door asks it: `tasks` by name, or every one
/// `done` (of `tracker`, when named).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveTasksRequest {
    pub tasks: Vec<String>,
    pub done: bool,
    pub tracker: Option<String>,
    /// The day or instant for the `archived` stamps, instead of now.
    pub date: Option<Now>,
}

/// How commands name a task back: `221`, or `SCOPE:221`.
pub fn task_name(task: &TaskKey) -> String {
    crate::claims::task_name(task)
}

/// The tracker a new task goes to (its root), refused when none or several could take it.
pub fn tracker_for_new_task(workspace: &TaskWorkspace<'_>, request: &NewTask) -> Result<String, Refused> {
    Ok(lifecycle::choose_tracker(workspace.index, request.tracker.as_deref())?.root.clone())
}

/// How often a new task's id is planned again when another worktree reserved it meanwhile.
const RESERVATION_ATTEMPTS: usize = 16;

/// A new task, with ids above every id its tracker has used in this checkout, in `elsewhere`
/// (the other branches and worktrees, as the front door found them) and in `reservations` (the
/// other worktrees' new tasks not committed yet). With `reservations`, the id is reserved
/// before the answer: a change that will be written passes them, a dry run does not.
pub fn plan_new_task(
    workspace: &TaskWorkspace<'_>,
    request: &NewTask,
    elsewhere: Option<UsedIds>,
    reservations: Option<&IdReservations>,
) -> Result<PlannedLifecycle, Refused> {
    let tracker = tracker_for_new_task(workspace, request)?;
    refuse_unreadable(workspace, [tracker.as_str()], None, "add a task")?;
    let mut used = UsedIds::from_index(workspace.index, &tracker, "this checkout");
    if workspace
        .index
        .trackers()
        .iter()
        .any(|it| it.root == tracker && it.family == crate::engine::layout::Family::Backlog)
    {
        used.add_backlog_archive(&tracker, workspace.listed.iter().map(String::as_str));
    }
    let now = SystemTime::now();
    let mut not_reserved = None;
    if let Some(store) = reservations {
        // Numbers git's trees now hold need no reservation, nor this worktree's tasks undone.
        let committed = |number| elsewhere.as_ref().is_some_and(|it| it.numbers.contains_key(&number));
        let in_checkout = |number| used.numbers.contains_key(&number);
        if let Err(error) = store.release(&tracker, committed, in_checkout, now) {
            not_reserved = Some(error);
        }
    }
    if let Some(elsewhere) = elsewhere {
        used.merge(elsewhere);
    }
    if let (Some(store), None) = (reservations, &not_reserved) {
        match store.reserved_elsewhere(&tracker, now) {
            Ok(reserved) => reserved.iter().for_each(|it| used.add(it.number, &reserved_by(it))),
            Err(error) => not_reserved = Some(error),
        }
    }
    let mut planned = lifecycle::plan_new_task(workspace.index, request, &used)?;
    for _ in 0..RESERVATION_ATTEMPTS {
        let (Some(store), None) = (reservations, &not_reserved) else { break };
        let Some(number) =
            planned.task.as_ref().filter(|_| planned.numbered).and_then(|it| lifecycle::id_number(&it.id))
        else {
            break;
        };
        match store.reserve(&tracker, number, now) {
            Ok(Reserved::Granted) => break,
            Ok(Reserved::Taken(taken)) => {
                used.add(taken.number, &reserved_by(&taken));
                planned = lifecycle::plan_new_task(workspace.index, request, &used)?;
            }
            Err(error) => not_reserved = Some(error),
        }
    }
    let mut change = planned.change;
    if let Some(error) = not_reserved {
        change.warnings.push(format!("{error}; the new id was not reserved for this worktree"));
    }
    let answer = LifecycleAnswer {
        id: planned.task.as_ref().map(|it| it.id.to_string()),
        task: planned.task.as_ref().map(task_name),
        title: Some(user_text::title(&request.title).unwrap_or_default().to_string()),
        status: status_of_new_task(workspace, &planned.tracker, request.status.as_deref()),
        tracker: Some(planned.tracker),
        tasks: None,
    };
    checked(workspace, change, answer)
}

/// Where a reserved number is said to be used, in messages.
fn reserved_by(reservation: &Reservation) -> String {
    format!("a new task of the worktree {}", reservation.worktree)
}

/// An edit of a task's title, priority, dependencies or description.
pub fn plan_edit_task(workspace: &TaskWorkspace<'_>, request: &EditTaskRequest) -> Result<PlannedLifecycle, Refused> {
    let task = resolve_task(workspace.index, request.task.trim())?;
    refuse_unreadable(workspace, [task.scope.as_str()], Some(&task), "edit a task")?;
    let listed = |ids: &[String]| ids.iter().map(|it| it.trim().to_string()).filter(|it| !it.is_empty()).collect();
    let edit = EditTask {
        title: request.title.clone(),
        priority: request.priority.clone(),
        add_dependencies: listed(&request.add_dependencies),
        remove_dependencies: listed(&request.remove_dependencies),
        description: request.description.clone(),
        tick: request.tick.clone(),
        untick: request.untick.clone(),
        phase: request.phase.clone(),
        phase_status: request.phase_status.clone(),
        artifacts: request.artifacts.clone(),
        now: Some(crate::engine::timestamp::Now::from_timestamp(jiff::Timestamp::now())),
        ..EditTask::new(task.clone())
    };
    let change = lifecycle::plan_edit_task(workspace.index, &edit)?;
    let title = match &request.title {
        Some(title) => Some(title.trim().to_string()),
        None => crate::engine::ide::task_summary(workspace.index, &task).title,
    };
    let answer =
        LifecycleAnswer { id: Some(task.id.to_string()), task: Some(task_name(&task)), title, ..Default::default() };
    // Completing a plan's last phase leaves its header behind until the task's own status
    // changes (the next step of the workflow, which moves the header): said, not refused.
    let lagging: &[RuleCode] = if request.phase_status.is_some() { &[RuleCode::PlanStatusStale] } else { &[] };
    checked_leaving(workspace, change, answer, lagging)
}

/// An archive of finished tasks; `now` stamps them unless the request names a date.
pub fn plan_archive_tasks(
    workspace: &TaskWorkspace<'_>,
    request: &ArchiveTasksRequest,
    now: Now,
) -> Result<PlannedLifecycle, Refused> {
    let index = workspace.index;
    let tasks = request.tasks.iter().map(|it| resolve_task(index, it.trim())).collect::<Result<Vec<_>, _>>()?;
    let mut scopes: Vec<&str> = tasks.iter().map(|it| it.scope.as_str()).collect();
    if request.done {
        // The trackers `--done` may archive from: the one named, else every one.
        let named = request.tracker.as_deref().and_then(|it| lifecycle::choose_tracker(index, Some(it)).ok());
        match named {
            Some(tracker) => scopes.push(tracker.root.as_str()),
            None => scopes.extend(index.trackers().iter().map(|it| it.root.as_str())),
        }
    }
    scopes.sort_unstable();
    scopes.dedup();
    refuse_unreadable(workspace, scopes, None, "archive tasks")?;
    let archive = ArchiveRequest {
        tasks,
        done: request.done,
        tracker: request.tracker.clone(),
        now: request.date.clone().unwrap_or(now),
    };
    let planned = lifecycle::plan_archive(index, &archive)?;
    let answer = LifecycleAnswer { tasks: Some(planned.tasks.iter().map(task_name).collect()), ..Default::default() };
    checked(workspace, planned.change, answer)
}

/// How the tracker shows the status a new task gets (its vocabulary's default when none is
/// asked for).
pub fn status_of_new_task(workspace: &TaskWorkspace<'_>, tracker: &str, wanted: Option<&str>) -> Option<String> {
    let profile = &workspace.index.trackers().iter().find(|it| it.root == tracker)?.profile;
    let status = match wanted {
        Some(wanted) => task_status(profile, wanted).ok()?,
        None => profile.ids().find(|it| profile.status(*it).task && profile.kind(*it) == Kind::Todo)?,
    };
    Some(profile.display(status))
}

/// The last guard: the change leaves no diagnostic that was not there.
fn checked(
    workspace: &TaskWorkspace<'_>,
    change: WorkspaceChange,
    answer: LifecycleAnswer,
) -> Result<PlannedLifecycle, Refused> {
    checked_leaving(workspace, change, answer, &[])
}

/// [`checked`], where new diagnostics of the codes `for_next_step` (a state the workflow's
/// next step settles) are warnings of the answer instead of a refusal.
fn checked_leaving(
    workspace: &TaskWorkspace<'_>,
    mut change: WorkspaceChange,
    answer: LifecycleAnswer,
    for_next_step: &[RuleCode],
) -> Result<PlannedLifecycle, Refused> {
    let mut checked = None;
    if !change.is_empty() {
        let (copy, left) = leaves_only_expected_drift(workspace, &change, for_next_step)?;
        checked = Some(copy);
        change.warnings.extend(left.iter().map(|it| format!("{}; set the task's status next", it.message)));
    }
    Ok(PlannedLifecycle { change, answer, checked })
}
