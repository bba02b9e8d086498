//! The guards every use case runs before it writes, and what they refuse with: the workspace
//! as a use case reads it ([`TaskWorkspace`]), whichever front door holds it, and one refusal
//! type ([`Refused`]) each front door says in its own words.

use std::time::SystemTime;

use crate::claims::{self, Claim, ClaimError, ClaimStore, Holder, StoreError};
use crate::engine::config::Config;
use crate::engine::diagnostic::{Diagnostic, RuleCode};
use crate::engine::edit::{Checked, FixCheck, Override, Refusal, WorkspaceChange, refuse_new_drift_but};
use crate::engine::index::WorkspaceIndex;
use crate::engine::lifecycle::across::{self, OtherWorktree};
use crate::engine::model::TaskKey;
use crate::engine::rules::{Baseline, DiagnosticStore, PathOracle};

/// What a use case reads of a workspace, whichever front door holds it.
pub struct TaskWorkspace<'a> {
    pub index: &'a WorkspaceIndex,
    pub config: &'a Config,
    pub paths: &'a dyn PathOracle,
    /// The diagnostics of `index` when the front door keeps them (the language server); made
    /// when needed otherwise.
    pub store: Option<&'a DiagnosticStore>,
    /// The baseline `store` was computed with (the language server's git HEAD), so that the
    /// diagnostics a change's re-check leaves are those the front door would compute itself.
    pub baseline: Option<Baseline<'a>>,
    /// Tracker files that could not be read, with the reason.
    pub unreadable: Vec<(&'a str, &'a str)>,
    pub claims: &'a ClaimStore,
    /// The repository's other worktrees as the front door follows them (none when it does not).
    pub elsewhere: &'a [OtherWorktree],
    /// Every file the front door's walk listed, indexed or not (an archive's file names hold
    /// ids a new task must not take).
    pub listed: &'a std::collections::HashSet<String>,
}

/// What a change to `task` should say of the other worktrees: another session has taken the
/// task up there since the two parted (started or finished it, committed or not).
pub fn taken_up_elsewhere(workspace: &TaskWorkspace<'_>, task: &TaskKey) -> Option<String> {
    let taken = across::taken_up_elsewhere(task, workspace.elsewhere);
    if taken.is_empty() {
        return None;
    }
    let named: Vec<String> =
        taken.iter().map(|it| format!("`{}` ({})", it.worktree, it.status.as_deref().unwrap_or("no status"))).collect();
    Some(format!(
        "task {task} was taken up in another worktree since they parted: {}; another session may be working on it",
        named.join(", ")
    ))
}

/// Why a use case changed nothing: the same kinds through every front door.
#[derive(Debug)]
pub enum Refused {
    /// A file of the task's tracker could not be read or does not parse.
    Unreadable(String),
    /// Another agent (or another session) claims the task.
    Claimed { task: TaskKey, holder: Box<Claim>, blocked: Blocked },
    /// Whether another agent claims the task is unknown: the claims file cannot be used.
    ClaimsUnusable { error: StoreError, blocked: Blocked },
    /// The task's status is not the one the request expects (`message` says both).
    Conflict(Box<Conflict>),
    /// The engine's refusal (unknown task or status, forbidden transition, a reason needed,
    /// new drift, a plan it cannot make safely).
    Plan(Refusal),
}

/// What a claim kept from happening, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    StatusChange,
    Claim,
    Release,
}

impl Blocked {
    fn said(self) -> &'static str {
        match self {
            Blocked::StatusChange => "its status was not changed",
            Blocked::Claim => "it was not claimed for you",
            Blocked::Release => "it was not released",
        }
    }
}

/// A compare-and-swap that lost: the task's status is not the one the request expects.
#[derive(Debug)]
pub struct Conflict {
    pub task: TaskKey,
    pub expected: String,
    /// The status the task has, as its place of record shows it.
    pub current: Option<String>,
    /// Both statuses, for people.
    pub message: String,
}

impl Refused {
    /// What the claims said to `blocked` on `task`.
    pub fn from_claims(task: &TaskKey, error: ClaimError, blocked: Blocked) -> Refused {
        match error {
            ClaimError::Held(holder) => Refused::Claimed { task: task.clone(), holder: Box::new(holder), blocked },
            ClaimError::Store(error) => Refused::ClaimsUnusable { error, blocked },
        }
    }

    /// The refusal's kind as every front door names it (`data.kind`, `{"error": {"kind"}}`).
    pub fn kind(&self) -> &'static str {
        match self {
            Refused::Unreadable(_) => "unreadable",
            Refused::Claimed { .. } => "claimed",
            Refused::ClaimsUnusable { .. } => "writeFailed",
            Refused::Conflict(_) => "conflict",
            Refused::Plan(refusal) => refusal.kind(),
        }
    }

    /// How the request is made to go through, when a flag or argument does that.
    pub fn way_out(&self) -> Option<Override> {
        match self {
            Refused::Claimed { .. } => Some(Override::Force),
            // Forcing a change goes ahead without the claims; a claim or a release needs them.
            Refused::ClaimsUnusable { blocked: Blocked::StatusChange, .. } => Some(Override::Force),
            Refused::ClaimsUnusable { .. } => None,
            Refused::Plan(refusal) => refusal.way_out(),
            Refused::Unreadable(_) | Refused::Conflict(_) => None,
        }
    }

    /// The refusal in neutral words (no front door's flags or arguments), ending with what
    /// happened; each front door adds its way out ([`Refused::way_out`]).
    pub fn message(&self) -> String {
        match self {
            Refused::Unreadable(message) => message.clone(),
            Refused::Claimed { task, holder, blocked: Blocked::Release } => {
                format!("task {task} is claimed by {}; only its holder can release it", holder.describe())
            }
            Refused::Claimed { task, holder, blocked } => {
                format!("task {task} is claimed by {}; {}", holder.describe(), blocked.said())
            }
            Refused::ClaimsUnusable { error, blocked } => format!("{error}; {}", blocked.said()),
            Refused::Conflict(conflict) => format!("{}; nothing was written", conflict.message),
            Refused::Plan(refusal) => refusal.to_string(),
        }
    }
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Refused::Plan(refusal)
    }
}

/// Refuses a change that would leave a diagnostic that was not there, checked against
/// the workspace as read. The copy of the diagnostics it made is returned so that the caller
/// frees it when it suits (it is large on a big tracker).
pub fn leaves_no_new_drift(workspace: &TaskWorkspace<'_>, change: &WorkspaceChange) -> Result<Checked, Refused> {
    leaves_only_expected_drift(workspace, change, &[]).map(|(checked, _)| checked)
}

/// [`leaves_no_new_drift`], where new diagnostics of the codes `expected` are given back
/// instead of refused (see [`refuse_new_drift_but`]).
pub fn leaves_only_expected_drift(
    workspace: &TaskWorkspace<'_>,
    change: &WorkspaceChange,
    expected: &[RuleCode],
) -> Result<(Checked, Vec<Diagnostic>), Refused> {
    let check = FixCheck { config: workspace.config, baseline: workspace.baseline.as_ref(), paths: workspace.paths };
    let made;
    let store = match workspace.store {
        Some(store) => store,
        None => {
            made =
                DiagnosticStore::new(workspace.index, workspace.config, workspace.baseline.as_ref(), workspace.paths);
            &made
        }
    };
    Ok(refuse_new_drift_but(workspace.index, store, &check, change, expected)?)
}

/// Refuses a change to a tracker with a file that could not be read or does not parse, for
/// each tracker (`scopes`) the change writes to; `what` names the change in the message
/// (`change task 221`, `fix`).
pub fn refuse_unreadable<'s>(
    workspace: &TaskWorkspace<'_>,
    scopes: impl IntoIterator<Item = &'s str>,
    task: Option<&TaskKey>,
    what: &str,
) -> Result<(), Refused> {
    for scope in scopes {
        taskmark_io::workspace::refuse_if_unreadable(
            workspace.index,
            workspace.unreadable.iter().copied(),
            scope,
            task,
            what,
        )
        .map_err(|message| Refused::Unreadable(format!("{message}; nothing was written")))?;
    }
    Ok(())
}

/// Another agent's claim on `task` refuses `agent`'s change, unless the claim is held by the
/// asking session (`holder`); a person's change (no agent) goes through.
pub fn refuse_claimed(
    claims: &ClaimStore,
    task: &TaskKey,
    agent: Option<&str>,
    holder: Option<Holder>,
) -> Result<(), Refused> {
    match claims.allows_for(&claims::task_name(task), agent, holder, SystemTime::now()) {
        Ok(()) => Ok(()),
        Err(error) => Err(Refused::from_claims(task, error, Blocked::StatusChange)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;
    use crate::engine::edit::{StatusChangeOptions, plan_status_change};
    use crate::engine::index::SourceFile;
    use crate::engine::rules::{self, Baseline};
    use crate::engine::timestamp::Now;

    fn index(todo: &str) -> WorkspaceIndex {
        let file = SourceFile { path: "specs/TODO.md".into(), text: Arc::from(todo) };
        WorkspaceIndex::build(vec![file], &Config::default().vocabularies)
    }

    fn todo(first: &str, second: &str) -> String {
        format!(
            "# TODO\n\n## Tasks\n\n### 1. First\n- **Status**: [{first}]\n\n### 2. Second\n- **Status**: [{second}]\n"
        )
    }

    /// A front door that keeps its diagnostics against a baseline (the language server's git
    /// `HEAD`) takes a change's re-check as its diagnostics after the change: they must be what
    /// a fresh check against that baseline finds, a transition since it included, not the
    /// rules without it. And that transition, there before, is no refusal.
    #[test]
    fn a_recheck_against_the_front_doors_baseline_leaves_what_a_check_against_it_finds() {
        let head = index(&todo("PLANNED", "PLANNED"));
        let baseline = Baseline { index: &head, label: "HEAD".into() };
        // Task 2 went back to not started since the commit: no path leads there.
        let now = index(&todo("PLANNED", "NOT STARTED"));
        let (config, listed) = (Config::default(), HashSet::new());
        let store = DiagnosticStore::new(&now, &config, Some(&baseline), &listed);
        assert!(store.all(&now).iter().any(|it| it.code == RuleCode::InvalidTransition), "the transition since HEAD");
        let folder = tempfile::tempdir().expect("a temporary folder");
        let claims = ClaimStore::in_folder(&folder.path().join("claims"), "workspace");
        let workspace = TaskWorkspace {
            index: &now,
            config: &config,
            paths: &listed,
            store: Some(&store),
            baseline: Some(Baseline { index: &head, label: "HEAD".into() }),
            unreadable: Vec::new(),
            claims: &claims,
            elsewhere: &[],
            listed: &listed,
        };
        let options = StatusChangeOptions::new(Now::parse("2026-11-28").expect("a day"));
        let change = plan_status_change(&now, &TaskKey::new("specs", "1"), "implementing", &options).expect("planned");
        let checked = leaves_no_new_drift(&workspace, &change).expect("no new drift");
        let after = checked.index.text_at("specs/TODO.md").expect("TODO.md").to_string();
        let fresh = index(&after);
        let found = rules::check(&fresh, &config, Some(&baseline), &listed);
        let codes = |it: &[Diagnostic]| {
            let mut codes: Vec<String> = it.iter().map(|it| format!("{} {:?}", it.code, it.task)).collect();
            codes.sort();
            codes
        };
        assert_eq!(codes(&checked.store.all(&checked.index)), codes(&found));
        assert!(found.iter().any(|it| it.code == RuleCode::InvalidTransition), "still found after the change");
    }
}
