//! `taskmark claim` and `taskmark release`, and the claim check of `taskmark set --agent`: the
//! agents' claims are a file in this user's state folder that every front door shares
//! ([`crate::claims::ClaimStore`]), so the command line works on it directly, daemon or not.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::json;

use crate::claims::{self, ClaimError, ClaimStore, Granted, StoreError};
use crate::cli::exit;
use crate::cli::output::{self, outln};
use crate::engine::model::TaskKey;

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
    /// `json` prints `{task, agent, released}`.
    #[arg(long, value_enum, default_value_t = crate::cli::ShowFormat::Human)]
    format: crate::cli::ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

/// The task `name` names in the workspace at `root`, as claims name it; `Err(exit code)` after
/// saying why there is none.
fn resolve(root: Option<&Path>, name: &str) -> anyhow::Result<Result<(PathBuf, TaskKey), u8>> {
    let (_, workspace) = crate::cli::open(root, &[])?;
    match crate::engine::edit::resolve_task(&workspace.index, name) {
        Ok(task) => Ok(Ok((workspace.root.clone(), task))),
        Err(refusal) => {
            crate::cli::note_no_tracker(&workspace);
            Ok(Err(crate::cli::write::refused(&refusal)))
        }
    }
}

/// The agent's name checked as every front door checks it; `Err(exit code)` after saying why.
fn agent(name: &str) -> Result<String, u8> {
    claims::agent_name(name).map_err(|reason| {
        eprintln!("taskmark: error: {reason}");
        exit::FAILURE
    })
}

pub fn claim(args: ClaimArgs) -> anyhow::Result<u8> {
    let agent = match agent(&args.agent) {
        Ok(agent) => agent,
        Err(code) => return Ok(code),
    };
    let (root, task) = match resolve(args.root.as_deref(), &args.task)? {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let name = claims::task_name(&task);
    let (claim, renewed) = match ClaimStore::for_workspace(&root).claim(&name, &agent, args.minutes, SystemTime::now())
    {
        Ok(Granted::New(claim)) => (claim, false),
        Ok(Granted::Renewed(claim)) => (claim, true),
        Err(error) => return Ok(refused(&task, &error, "it was not claimed for you")),
    };
    match args.format {
        crate::cli::ShowFormat::Json => {
            let answer = json!({
                "task": name, "agent": claim.agent, "since": claim.since_text(), "until": claim.until_text(),
                "renewed": renewed,
            });
            outln!("{}", serde_json::to_string_pretty(&answer)?);
        }
        crate::cli::ShowFormat::Human => {
            let done = if renewed { "renewed the claim" } else { "claimed" };
            outln!("{done} task {task} for {}", claim.describe());
        }
    }
    Ok(exit::CLEAN)
}

pub fn release(args: ReleaseArgs) -> anyhow::Result<u8> {
    let agent = match agent(&args.agent) {
        Ok(agent) => agent,
        Err(code) => return Ok(code),
    };
    let (root, task) = match resolve(args.root.as_deref(), &args.task)? {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let name = claims::task_name(&task);
    let released = match ClaimStore::for_workspace(&root).release(&name, &agent, SystemTime::now()) {
        Ok(released) => released,
        Err(error) => return Ok(refused(&task, &error, "only its holder can release it")),
    };
    match args.format {
        crate::cli::ShowFormat::Json => {
            outln!("{}", serde_json::to_string_pretty(&json!({ "task": name, "agent": agent, "released": released }))?);
        }
        crate::cli::ShowFormat::Human if released => outln!("released task {task} (`{agent}` held it)"),
        crate::cli::ShowFormat::Human => outln!("`{agent}` held no claim on task {task}; nothing to release"),
    }
    Ok(exit::CLEAN)
}

/// `taskmark set --agent`'s check, before anything is planned: `Some(exit code)` when another
/// agent holds the task (3) or the claims cannot be read (5), after saying so. A change that
/// names no agent is a person's, and claims do not bind people.
pub fn refuse_claimed(root: &Path, task: &TaskKey, agent: Option<&str>) -> Option<u8> {
    let agent = agent?;
    match ClaimStore::for_workspace(root).allows(&claims::task_name(task), Some(agent), SystemTime::now()) {
        Ok(()) => None,
        Err(error) => {
            let forced = crate::cli::write::override_in_command_line_words(crate::engine::edit::Override::Force);
            Some(refused(task, &error, &format!("its status was not changed{forced}")))
        }
    }
}

/// A claim held by another agent (exit 3, naming it and when its claim ends) or a claims file
/// that cannot be used (exit 5, naming it), said on stderr.
fn refused(task: &TaskKey, error: &ClaimError, what_happened: &str) -> u8 {
    match error {
        ClaimError::Held(holder) => {
            let message = format!("task {task} is claimed by {}; {what_happened}", holder.describe());
            output::refusal("refused", "claimed", &message);
            exit::REFUSED
        }
        ClaimError::Store(error) => unusable(error, what_happened),
    }
}

fn unusable(error: &StoreError, what_happened: &str) -> u8 {
    output::refusal("error", "writeFailed", &format!("{error}; {what_happened}"));
    exit::WRITE_FAILED
}
