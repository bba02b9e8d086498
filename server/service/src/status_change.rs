//! The status change, once for every front door: `taskmark set` (directly, `--no-daemon` or
//! through the daemon), the editors' `taskmark.setStatus`, the MCP server's `set_status` and
//! the quick fixes that change a status. Each front door maps its protocol onto
//! [`SetStatusRequest`], reads the workspace its own way into a [`TaskWorkspace`], and renders
//! the [`PlannedStatus`] or the [`Refused`] in its own words; the guards and their
//! order live here only:
//!
//! 1. the task resolves (unknown and ambiguous names are refused);
//! 2. every file of its tracker was read and parses (a place that could not be read would be
//!    left saying the old status);
//! 3. no other agent claims it (unless forced; a request that names no agent is a person's);
//! 4. its status is the one the request expects (compare and swap, `--from` / `expectFrom`);
//! 5. the engine plans the change (the transition is allowed, a reason is given where the
//!    vocabulary asks one, the status is known);
//! 6. the change leaves no diagnostic that was not there ([`leaves_no_new_drift`], run apart
//!    because the language server overlaps it with writing its closed files).
//!
//! What is left to the front door is where the text lives (buffers or disk) and the commit.

use crate::claims::Holder;
use crate::engine::edit::{
    ChangedFile, Checked, Refusal, StatusChangeOptions, WorkspaceChange, describe_change, plan_status_change,
    resolve_task, status_differs, task_status,
};
use crate::engine::ide;
use crate::engine::model::TaskKey;
use crate::engine::timestamp::Now;
pub use crate::guards::{
    Conflict, Refused, TaskWorkspace, leaves_no_new_drift, refuse_claimed, refuse_unreadable, taken_up_elsewhere,
};

/// A status change as every front door asks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetStatusRequest {
    /// The task as people name it: `221`, `058`, `BACK-7`, or `SCOPE:ID`.
    pub task: String,
    /// The status to set, as an id, a marker or a word of the task's vocabulary.
    pub status: String,
    /// Overrides the claims, the transition table and the new-drift check.
    pub force: bool,
    pub reason: Option<String>,
    /// Only change the task if its status is this one now (compare and swap).
    pub expect_from: Option<String>,
    /// The agent asking: refused while another agent claims the task, unless forced.
    pub agent: Option<String>,
    /// The agent's session: a claim it holds is its own, under whatever name.
    pub holder: Option<Holder>,
    /// The day or instant for the timestamp fields, instead of now.
    pub date: Option<Now>,
}

/// A status change as planned, not yet checked for new drift nor written.
#[derive(Debug)]
pub struct PlannedStatus {
    pub task: TaskKey,
    /// Empty when every place already says the status.
    pub change: WorkspaceChange,
    /// What the change edits in each file, as `taskmark set` prints it.
    pub described: Vec<ChangedFile>,
    /// The status the task had, as its place of record shows it.
    pub from: Option<String>,
    /// The new status as the tracker shows it (`[COMPLETED]`), and its vocabulary id.
    pub to: String,
    pub status: String,
    /// The instant the timestamp fields were written with.
    pub now: Now,
    /// Whether [`leaves_no_new_drift`] must pass before the change is written (not forced,
    /// something to change).
    pub check_drift: bool,
}

impl PlannedStatus {
    pub fn is_unchanged(&self) -> bool {
        self.change.is_empty()
    }

    /// Guard 6: the change leaves no diagnostic that was not there; a status change can be
    /// forced through this refusal. The copy of the diagnostics made for the check is returned
    /// for the caller to free when it suits.
    pub fn leaves_no_new_drift(&self, workspace: &TaskWorkspace<'_>) -> Result<Checked, Refused> {
        leaves_no_new_drift(workspace, &self.change).map_err(|refused| match refused {
            Refused::Plan(Refusal::LeavesDrift { change, found, .. }) => {
                Refused::Plan(Refusal::LeavesDrift { change, found, forcible: true })
            }
            other => other,
        })
    }

    /// Workspace-relative paths of the files the change edits.
    pub fn edited_files(&self) -> Vec<String> {
        self.change.files.iter().filter(|it| !it.edits.is_empty()).map(|it| it.path.clone()).collect()
    }
}

/// Plans `request` on `workspace` through guards 1 to 5 (see the module's documentation);
/// `now` is the instant for timestamps unless the request names a date.
pub fn plan_set_status(
    workspace: &TaskWorkspace<'_>,
    request: &SetStatusRequest,
    now: Now,
) -> Result<PlannedStatus, Refused> {
    let index = workspace.index;
    let task = resolve_task(index, request.task.trim())?;
    refuse_unreadable(workspace, [task.scope.as_str()], Some(&task), &format!("change task {task}"))?;
    if !request.force {
        refuse_claimed(workspace.claims, &task, request.agent.as_deref(), request.holder)?;
    }
    if let Some(expected) = &request.expect_from
        && let Some(message) = status_differs(index, &task, expected)
    {
        let current = ide::task_summary(index, &task).status;
        return Err(Refused::Conflict(Box::new(Conflict { task, expected: expected.clone(), current, message })));
    }
    let now = request.date.clone().unwrap_or(now);
    let options = StatusChangeOptions {
        force: request.force,
        reason: request.reason.clone(),
        ..StatusChangeOptions::new(now.clone())
    };
    let mut change = plan_status_change(index, &task, &request.status, &options)?;
    if !change.is_empty() {
        change.warnings.extend(taken_up_elsewhere(workspace, &task));
    }
    let described = describe_change(index, &change);
    let profile = index.task_profile(&task);
    let target = profile.and_then(|it| task_status(it, &request.status).ok());
    let (to, status) = match (profile, target) {
        (Some(profile), Some(target)) => (profile.display(target), profile.status(target).id.clone()),
        _ => (request.status.clone(), request.status.clone()),
    };
    Ok(PlannedStatus {
        from: index.task_status(&task).map(|(place, _)| index.place(place).shown()),
        check_drift: !request.force && !change.is_empty(),
        task,
        change,
        described,
        to,
        status,
        now,
    })
}
