//! Claiming and releasing a task, once for every front door (`taskmark claim` / `release`, the
//! editors' `taskmark.claimTask` / `releaseTask`, the MCP tools): the task resolves, then the
//! claims file decides ([`crate::claims::ClaimStore`]).

use std::time::SystemTime;

use serde::Serialize;

use crate::claims::{self, Claim, Claimant, Granted, Holder};
use crate::engine::edit::resolve_task;
use crate::engine::model::TaskKey;
use crate::guards::{Blocked, Refused, TaskWorkspace, taken_up_elsewhere};

/// A claim (or its renewal) as every front door asks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimRequest {
    pub task: String,
    /// Checked with [`claims::agent_name`] by the front door.
    pub agent: String,
    /// The lease, [`claims::DEFAULT_MINUTES`] unless told.
    pub minutes: Option<u64>,
    /// The process the claim ends with (an agent's MCP server), when there is one.
    pub holder: Option<Holder>,
    /// Take the task over from another agent or session.
    pub force: bool,
}

/// A release as every front door asks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseRequest {
    pub task: String,
    pub agent: String,
    pub holder: Option<Holder>,
    /// End another agent's or session's claim.
    pub force: bool,
}

/// A claim as every front door reports it: `{task, agent, since, until, renewed}`, instants in
/// RFC 3339, and the holder process's pid when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimAnswer {
    pub task: String,
    pub agent: String,
    pub since: Option<String>,
    pub until: Option<String>,
    pub renewed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_pid: Option<u32>,
    /// What the claimant should know (another worktree has taken the task up).
    pub warnings: Vec<String>,
}

impl ClaimAnswer {
    pub fn of(task: String, claim: &Claim, renewed: bool) -> ClaimAnswer {
        ClaimAnswer {
            task,
            agent: claim.agent.clone(),
            since: claim.since_text(),
            until: claim.until_text(),
            renewed,
            holder_pid: claim.holder.map(|it| it.pid),
            warnings: Vec::new(),
        }
    }
}

/// `{task, agent, released}`: `released` is false when nobody held a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseAnswer {
    pub task: String,
    pub agent: String,
    pub released: bool,
}

/// Claims the task for the request's agent (and session), or renews its claim.
pub fn claim_task(workspace: &TaskWorkspace<'_>, request: &ClaimRequest) -> Result<(TaskKey, ClaimAnswer), Refused> {
    let task = resolve_task(workspace.index, request.task.trim())?;
    let name = claims::task_name(&task);
    let claimant = Claimant { agent: &request.agent, holder: request.holder, force: request.force };
    let minutes = request.minutes.unwrap_or(claims::DEFAULT_MINUTES);
    let (claim, renewed) = match workspace.claims.claim_for(&name, &claimant, minutes, SystemTime::now()) {
        Ok(Granted::New(claim)) => (claim, false),
        Ok(Granted::Renewed(claim)) => (claim, true),
        Err(error) => return Err(Refused::from_claims(&task, error, Blocked::Claim)),
    };
    let mut answer = ClaimAnswer::of(name, &claim, renewed);
    answer.warnings.extend(taken_up_elsewhere(workspace, &task));
    Ok((task, answer))
}

/// Ends the request's agent's claim on the task (anyone's, forced).
pub fn release_task(
    workspace: &TaskWorkspace<'_>,
    request: &ReleaseRequest,
) -> Result<(TaskKey, ReleaseAnswer), Refused> {
    let task = resolve_task(workspace.index, request.task.trim())?;
    let name = claims::task_name(&task);
    let claimant = Claimant { agent: &request.agent, holder: request.holder, force: request.force };
    match workspace.claims.release_for(&name, &claimant, SystemTime::now()) {
        Ok(released) => Ok((task, ReleaseAnswer { task: name, agent: request.agent.clone(), released })),
        Err(error) => Err(Refused::from_claims(&task, error, Blocked::Release)),
    }
}
