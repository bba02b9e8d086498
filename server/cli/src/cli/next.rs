//! `taskmark next`: the tasks ready to start, best first, and with `--explain` why each is
//! where it is and what holds the others back ([`crate::service::next`]). Through the daemon
//! when one serves the workspace (it follows the other worktrees already); else from the files,
//! the claims and the other worktrees read for this command.

use std::path::PathBuf;

use crate::cli::output::{out, outln};
use crate::cli::{ShowFormat, exit};
use crate::engine::lifecycle::parallel::MOST_PARALLEL;
use crate::service::next::{self as service, NextAnswer, NextRequest, NextTask, ParallelAnswer};

#[derive(clap::Args, Debug)]
pub struct NextArgs {
    /// Only this tracker: its folder (`specs`, `.opencode/specs`) or family (`backlog`).
    #[arg(long)]
    tracker: Option<String>,
    /// How many ready tasks (and held ones) to show, 1 to 200.
    #[arg(long, default_value_t = service::DEFAULT_LIMIT as u16, value_parser = clap::value_parser!(u16).range(1..=service::MOST as i64))]
    limit: u16,
    /// Say why each ready task ranks where it does, and what holds the others back.
    #[arg(long)]
    explain: bool,
    /// Also propose N ready tasks that touch no file in common (the files each one's section,
    /// task file or plan names, and its own files), for N agents at once; 1 to 20.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MOST_PARALLEL as i64))]
    parallel: Option<u16>,
    /// Read the files, the claims and the other worktrees from this command even when a daemon
    /// runs.
    #[arg(long)]
    no_daemon: bool,
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

pub fn next(args: NextArgs) -> anyhow::Result<u8> {
    let request = NextRequest {
        tracker: args.tracker.clone(),
        limit: Some(usize::from(args.limit)),
        parallel: args.parallel.map(usize::from),
    };
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    if !args.no_daemon {
        let params = crate::lsp::ext::NextTasksParams {
            tracker: request.tracker.clone(),
            limit: Some(u32::from(args.limit)),
            parallel: args.parallel.map(u32::from),
        };
        let answered = crate::cli::via_daemon::query(
            &root,
            "taskmark next",
            crate::lsp::NEXT_TASKS,
            &params,
            |answer: NextAnswer| print(&answer, &args),
        );
        if let Some(code) = answered {
            return Ok(code);
        }
    }
    let (root, workspace) = crate::cli::open(Some(&root), &[])?;
    if let Some(code) = crate::cli::no_tracker(&workspace, Some(&root)) {
        return Ok(code);
    }
    let answer = crate::cli::write::with_other_worktrees(&workspace, |view| {
        service::next_tasks(view, &request, std::time::SystemTime::now())
    });
    match answer {
        Ok(answer) => Ok(print(&answer, &args)),
        Err(refusal) => Ok(crate::cli::write::refused_query(&refusal)),
    }
}

fn print(answer: &NextAnswer, args: &NextArgs) -> u8 {
    match args.format {
        ShowFormat::Json => match serde_json::to_string_pretty(answer) {
            Ok(text) => outln!("{text}"),
            Err(error) => {
                eprintln!("taskmark: error: {error}");
                return exit::FAILURE;
            }
        },
        ShowFormat::Human => out!("{}", human(answer, args.explain)),
    }
    for warning in &answer.warnings {
        eprintln!("taskmark: warning: {warning}");
    }
    exit::CLEAN
}

/// The ranking as people read it: one line per ready task, the reasons under each with
/// `--explain`, then the held tasks (or how many there are).
fn human(answer: &NextAnswer, explain: bool) -> String {
    let mut out = String::new();
    if answer.ready.is_empty() {
        out.push_str("No task is ready to start.\n");
    } else {
        let of = if answer.ready_count > answer.ready.len() {
            format!(" ({} of {})", answer.ready.len(), answer.ready_count)
        } else {
            String::new()
        };
        out.push_str(&format!("Ready to start{of}, best first:\n"));
        for (rank, task) in answer.ready.iter().enumerate() {
            out.push_str(&format!("{:>3}. {}\n", rank + 1, line(task)));
            if explain {
                out.push_str(&format!("       {}\n", task.why.join("; ")));
            }
        }
    }
    if answer.held_count > 0 {
        if explain {
            out.push_str(&format!("\nHeld back ({}):\n", answer.held_count));
            for task in &answer.held {
                out.push_str(&format!("     {}\n       {}\n", line(task), task.why.join("; ")));
            }
            if answer.held_count > answer.held.len() {
                out.push_str(&format!("     and {} more\n", answer.held_count - answer.held.len()));
            }
        } else {
            out.push_str(&format!("{} more not ready (--explain says why).\n", answer.held_count));
        }
    }
    if let Some(parallel) = &answer.parallel {
        out.push_str(&at_once(parallel));
    }
    out
}

/// `--parallel N`: the tasks proposed to run at once with their files, then the ones passed
/// over and the files they share.
fn at_once(parallel: &ParallelAnswer) -> String {
    let mut out = format!("\nAt once, no file in common ({} of {} asked):\n", parallel.tasks.len(), parallel.asked);
    if parallel.tasks.is_empty() {
        out.push_str("     none: no task is ready\n");
    }
    for task in &parallel.tasks {
        let title = task.title.as_deref().unwrap_or("(no title)");
        let files = match task.files.is_empty() {
            true => "names no file".to_string(),
            false => task.files.join(", "),
        };
        out.push_str(&format!("     {} {title}\n       {files}\n", task.task));
    }
    for task in &parallel.set_aside {
        out.push_str(&format!(
            "     not {}: shares {} with {}\n",
            task.task,
            task.shares.join(", "),
            task.with.join(", ")
        ));
    }
    out
}

fn line(task: &NextTask) -> String {
    let title = task.title.as_deref().unwrap_or("(no title)");
    let status = task.status.as_deref().unwrap_or("no status");
    let priority = task.priority.as_deref().map(|it| format!(" (priority {it})")).unwrap_or_default();
    format!("{} {status} {title}{priority}", task.task)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, priority: Option<&str>, why: &[&str]) -> NextTask {
        NextTask {
            task: format!("specs:{id}"),
            id: id.to_string(),
            tracker: "specs".to_string(),
            title: Some(format!("Task {id}")),
            status: Some("[NOT STARTED]".to_string()),
            priority: priority.map(str::to_string),
            unblocks: Vec::new(),
            why: why.iter().map(|it| it.to_string()).collect(),
        }
    }

    #[test]
    fn the_ranking_reads_as_a_numbered_list_with_reasons_on_request() {
        let answer = NextAnswer {
            ready: vec![task("6", Some("High"), &["priority High", "no dependencies"]), task("3", None, &["x"])],
            held: vec![task("7", None, &["claimed by `agent-7` until 14:05 UTC"])],
            ready_count: 3,
            held_count: 1,
            parallel: None,
            warnings: Vec::new(),
        };
        assert_eq!(
            human(&answer, false),
            "Ready to start (2 of 3), best first:\n  1. specs:6 [NOT STARTED] Task 6 (priority High)\n  2. specs:3 [NOT STARTED] Task 3\n1 more not ready (--explain says why).\n"
        );
        let explained = human(&answer, true);
        assert!(
            explained
                .contains("  1. specs:6 [NOT STARTED] Task 6 (priority High)\n       priority High; no dependencies\n"),
            "{explained}"
        );
        assert!(
            explained.contains(
                "Held back (1):\n     specs:7 [NOT STARTED] Task 7\n       claimed by `agent-7` until 14:05 UTC\n"
            ),
            "{explained}"
        );
    }
}
