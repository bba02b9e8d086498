//! `taskmark claim` and `taskmark release` (`taskmark set --agent` checks claims in the service): the
//! agents' claims are a file in this user's state folder that every front door shares
//! ([`crate::claims::ClaimStore`]), so the command line works on it directly, daemon or not.

use std::path::{Path, PathBuf};

use crate::claims;
use crate::cli::exit;
use crate::cli::output::outln;
use crate::service::claiming::{self, ClaimRequest, ReleaseRequest};
use crate::service::guards::{Refused, TaskWorkspace};

/// What `--agent` says in every command's help.
const AGENT_HELP: &str = "The agent's name (default: the environment variable TASKMARK_AGENT)";

#[derive(clap::Args, Debug)]
pub struct ClaimArgs {
    /// A task id: `221`, `058`, `BACK-200`, or `SCOPE:ID` when several trackers use the id.
    task: String,
    #[arg(long, value_name = "NAME", env = "TASKMARK_AGENT", help = AGENT_HELP)]
    agent: String,
    /// How long the claim lasts unless renewed or released (1 to 1440, a day).
    #[arg(long, value_name = "N", default_value_t = claims::DEFAULT_MINUTES,
          value_parser = clap::value_parser!(u64).range(1..=claims::MOST_MINUTES))]
    minutes: u64,
    /// Take the task over from another agent, or from another session of this agent.
    #[arg(long)]
    force: bool,
    /// `json` prints `{task, agent, since, until, renewed}`.
    #[arg(long, value_enum, default_value_t = crate::cli::ShowFormat::Human)]
    format: crate::cli::ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ReleaseArgs {
    /// A task id: `221`, `058`, `BACK-200`, or `SCOPE:ID` when several trackers use the id.
    task: String,
    #[arg(long, value_name = "NAME", env = "TASKMARK_AGENT", help = AGENT_HELP)]
    agent: String,
    /// End another agent's (or another session's) claim.
    #[arg(long)]
    force: bool,
    /// `json` prints `{task, agent, released}`.
    #[arg(long, value_enum, default_value_t = crate::cli::ShowFormat::Human)]
    format: crate::cli::ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

/// The agent's name checked as every front door checks it; `Err(exit code)` after saying why.
fn agent(name: &str) -> Result<String, u8> {
    claims::agent_name(name).map_err(|reason| {
        crate::cli::output::refusal("error", "badRequest", &reason);
        exit::FAILURE
    })
}

/// Runs a claims use case on the workspace at `root`; a refusal is said as the command line
/// says it (with a note when no tracker was found for an unknown task).
/// A claim also reads the other worktrees, to say which of them has taken the task up.
fn on_workspace<T>(
    root: Option<&Path>,
    worktrees: bool,
    use_case: impl FnOnce(&TaskWorkspace<'_>) -> Result<T, Refused>,
) -> anyhow::Result<Result<T, u8>> {
    let (_, workspace) = crate::cli::open(root, &[])?;
    let outcome = if worktrees {
        crate::cli::write::with_other_worktrees(&workspace, use_case)
    } else {
        crate::cli::write::with_task_workspace(&workspace, use_case)
    };
    Ok(outcome.map_err(|refusal| {
        if matches!(refusal, Refused::Plan(crate::engine::edit::Refusal::UnknownTask { .. })) {
            crate::cli::note_no_tracker(&workspace);
        }
        crate::cli::write::refused_status(&refusal)
    }))
}

pub fn claim(args: ClaimArgs) -> anyhow::Result<u8> {
    crate::cli::lifecycle::answer_errors_in(args.format);
    let agent = match agent(&args.agent) {
        Ok(agent) => agent,
        Err(code) => return Ok(code),
    };
    let request =
        ClaimRequest { task: args.task.clone(), agent, minutes: Some(args.minutes), holder: None, force: args.force };
    let (task, answer) = match on_workspace(args.root.as_deref(), true, |view| claiming::claim_task(view, &request))? {
        Ok(claimed) => claimed,
        Err(code) => return Ok(code),
    };
    match args.format {
        crate::cli::ShowFormat::Json => outln!("{}", serde_json::to_string_pretty(&answer)?),
        crate::cli::ShowFormat::Human => {
            let done = if answer.renewed { "renewed the claim" } else { "claimed" };
            let until = answer.until.as_deref().unwrap_or("later");
            outln!("{done} task {task} for `{}` until {until}", answer.agent);
            for warning in &answer.warnings {
                crate::cli::output::say("warning", warning);
            }
        }
    }
    Ok(exit::CLEAN)
}

pub fn release(args: ReleaseArgs) -> anyhow::Result<u8> {
    crate::cli::lifecycle::answer_errors_in(args.format);
    let agent = match agent(&args.agent) {
        Ok(agent) => agent,
        Err(code) => return Ok(code),
    };
    let request = ReleaseRequest { task: args.task.clone(), agent, holder: None, force: args.force };
    let (task, answer) = match on_workspace(args.root.as_deref(), false, |view| claiming::release_task(view, &request))?
    {
        Ok(released) => released,
        Err(code) => return Ok(code),
    };
    let agent = &answer.agent;
    match args.format {
        crate::cli::ShowFormat::Json => outln!("{}", serde_json::to_string_pretty(&answer)?),
        crate::cli::ShowFormat::Human if answer.released => outln!("released task {task} (`{agent}` held it)"),
        crate::cli::ShowFormat::Human => outln!("`{agent}` held no claim on task {task}; nothing to release"),
    }
    Ok(exit::CLEAN)
}
