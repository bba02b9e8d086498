//! `next`: which task to start, for every front door (`taskmark next`, the MCP `next_tasks`
//! tool, the language server's `taskmark.nextTasks`). The engine ranks what the files say
//! ([`crate::engine::lifecycle::next`]); this adds what only a front door knows: the agents'
//! claims and the work other worktrees have taken up.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::claims::{Claim, task_name};
use crate::engine::edit::Refusal;
use crate::engine::lifecycle::across;
use crate::engine::lifecycle::next::{self, NextFilter};
use crate::engine::lifecycle::parallel;
use crate::engine::lifecycle::{ListFilter, check_filter};
use crate::engine::model::TaskKey;
use crate::guards::TaskWorkspace;

/// How many ready tasks an answer gives unless told, and at most.
pub const DEFAULT_LIMIT: usize = 10;
pub const MOST: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextRequest {
    /// A tracker's folder or family, as `list --tracker` takes it.
    #[serde(default)]
    pub tracker: Option<String>,
    /// How many ready tasks (and as many held ones) to give.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Also propose this many ready tasks that share no file, to run at once (1 to 20).
    #[serde(default)]
    pub parallel: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextAnswer {
    /// Best first.
    pub ready: Vec<NextTask>,
    /// Not started (or blocked) and not ready, most urgent first, with what holds each back.
    pub held: Vec<NextTask>,
    /// How many of each there were before the limit.
    pub ready_count: usize,
    pub held_count: usize,
    /// With `parallel`: the ready tasks that can run at once, best first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel: Option<ParallelAnswer>,
    /// What could not be taken into account (the claims file could not be read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Ready tasks that touch no file in common ([`crate::engine::lifecycle::parallel`]), and the
/// ones passed over on the way because they do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParallelAnswer {
    /// How many were asked for.
    pub asked: usize,
    pub tasks: Vec<ParallelTask>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_aside: Vec<SetAsideTask>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParallelTask {
    pub task: String,
    pub title: Option<String>,
    /// The files it touches: those its section, task file or plan names, and its own files.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetAsideTask {
    pub task: String,
    pub title: Option<String>,
    /// The files it shares with tasks proposed before it, and those tasks.
    pub shares: Vec<String>,
    pub with: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextTask {
    /// `SCOPE:ID` (the id alone at the workspace root), as every command takes it.
    pub task: String,
    pub id: String,
    pub tracker: String,
    pub title: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    /// Ready tasks: the open tasks that wait on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unblocks: Vec<String>,
    /// Ready tasks: why it ranks where it does. Held tasks: what holds it back.
    pub why: Vec<String>,
}

/// The ranked ready tasks and the held ones of `workspace`; refused when `tracker` names none
/// of its trackers (a typo would otherwise rank nothing and say so with an empty list).
pub fn next_tasks(
    workspace: &TaskWorkspace<'_>,
    request: &NextRequest,
    now: SystemTime,
) -> Result<NextAnswer, Refusal> {
    let tracker_named = ListFilter { tracker: request.tracker.clone(), ..ListFilter::default() };
    check_filter(workspace.index, &tracker_named)?;
    let mut warnings = Vec::new();
    let claims: HashMap<String, Claim> = workspace.claims.standing(now).unwrap_or_else(|error| {
        warnings.push(format!("{error}; claims were not taken into account"));
        HashMap::new()
    });
    let kept = |task: &TaskKey| -> Vec<String> {
        let mut why = Vec::new();
        if let Some(claim) = claims.get(&task_name(task)) {
            why.push(format!("claimed by {}", claim.describe()));
        }
        for seen in across::taken_up_elsewhere(task, workspace.elsewhere) {
            let status = seen.status.as_deref().unwrap_or("no status");
            why.push(format!("taken up in the worktree `{}` ({status})", seen.worktree));
        }
        why
    };
    let ranked = next::next_tasks(workspace.index, &NextFilter { tracker: request.tracker.clone() }, &kept);
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MOST);
    let parallel = request.parallel.map(|asked| {
        let asked = asked.clamp(1, parallel::MOST_PARALLEL);
        let ready: Vec<TaskKey> = ranked.ready.iter().map(|it| it.row.summary.task.clone()).collect();
        let plan = parallel::pick_parallel(workspace.index, workspace.paths, &ready, asked);
        let title = |task: &TaskKey| {
            ranked.ready.iter().find(|it| it.row.summary.task == *task).and_then(|it| it.row.summary.title.clone())
        };
        ParallelAnswer {
            asked,
            tasks: plan
                .picked
                .into_iter()
                .map(|it| ParallelTask { title: title(&it.task), task: task_name(&it.task), files: it.files })
                .collect(),
            set_aside: plan
                .set_aside
                .into_iter()
                .map(|it| SetAsideTask {
                    title: title(&it.task),
                    task: task_name(&it.task),
                    shares: it.shared,
                    with: it.with.iter().map(task_name).collect(),
                })
                .collect(),
        }
    });
    let described = |row: &crate::engine::lifecycle::TaskRow, priority: &Option<String>, why: &[String]| NextTask {
        task: task_name(&row.summary.task),
        id: row.summary.task.id.to_string(),
        tracker: row.summary.task.scope.to_string(),
        title: row.summary.title.clone(),
        status: row.summary.status.clone(),
        priority: priority.clone(),
        unblocks: Vec::new(),
        why: why.to_vec(),
    };
    Ok(NextAnswer {
        ready_count: ranked.ready.len(),
        held_count: ranked.held.len(),
        ready: ranked
            .ready
            .iter()
            .take(limit)
            .map(|it| NextTask { unblocks: it.unblocks.clone(), ..described(&it.row, &it.priority, &it.reasons) })
            .collect(),
        held: ranked.held.iter().take(limit).map(|it| described(&it.row, &it.priority, &it.why)).collect(),
        parallel,
        warnings,
    })
}
