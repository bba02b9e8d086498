//! `taskmark status --worktrees`: every task whose status differs between the repository's
//! worktrees, one line each. Each worktree's saved files are read where they are (nothing is
//! written anywhere): the same workspace folder inside each worktree.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::claims::ClaimStore;
use crate::service::id_reservations::{IdReservations, by_tracker};
use serde_json::{Value, json};

use crate::cli::{ShowFormat, exit};
use crate::engine::lifecycle::across::{self, Differing, Seen};
use crate::git::{self, Worktree};

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Compare the workspace with the same folder in every other worktree of its repository.
    #[arg(long, required = true)]
    worktrees: bool,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
}

/// A worktree and the workspace folder inside it.
struct View {
    worktree: Worktree,
    root: PathBuf,
    current: bool,
}

pub fn status(args: StatusArgs) -> anyhow::Result<u8> {
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let root = std::fs::canonicalize(&root).with_context(|| format!("cannot open {}", root.display()))?;
    let top = git::toplevel(&root)
        .with_context(|| format!("{} is not in a git repository: there are no worktrees to compare", root.display()))?;
    let inside = root.strip_prefix(&top).unwrap_or(Path::new("")).to_path_buf();
    let mut views = Vec::new();
    let listed = git::worktrees(&root)?;
    let mut missing: Vec<String> =
        listed.skipped.iter().map(|(path, why)| format!("{} ({why})", path.display())).collect();
    for worktree in listed.found {
        let Ok(path) = std::fs::canonicalize(&worktree.path) else {
            missing.push(format!("{} (gone; `git worktree prune` forgets it)", worktree.path.display()));
            continue;
        };
        let current = path == top;
        let view_root = path.join(&inside);
        if !view_root.is_dir() {
            missing.push(format!("{} (has no {})", path.display(), inside.display()));
            continue;
        }
        views.push(View { worktree, root: view_root, current });
    }
    // Here first, then the others in git's order.
    views.sort_by_key(|it| !it.current);
    let loaded = views.iter().map(|view| crate::cli::load(&view.root)).collect::<anyhow::Result<Vec<_>>>()?;
    let indexes: Vec<_> = loaded.iter().map(|it| &it.index).collect();
    let found = across::differing(&indexes);
    // The ids new tasks reserved across the worktrees (taken by no other new task).
    let reserved = match IdReservations::for_workspace(&root).map(|it| it.standing(std::time::SystemTime::now())) {
        Some(Ok(reserved)) => reserved,
        Some(Err(error)) => {
            missing.push(error.to_string());
            Vec::new()
        }
        None => Vec::new(),
    };
    // The agents' claims, which every worktree of the repository shares.
    let claims = match ClaimStore::for_workspace(&root).standing(std::time::SystemTime::now()) {
        Ok(claims) => claims.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        Err(error) => {
            missing.push(error.to_string());
            Default::default()
        }
    };
    let mut stdout = crate::cli::output::stdout();
    match args.format {
        ShowFormat::Json => {
            let worktrees: Vec<Value> = views
                .iter()
                .map(|view| {
                    json!({
                        "path": view.worktree.path, "root": view.root, "branch": view.worktree.branch,
                        "head": view.worktree.head, "current": view.current,
                    })
                })
                .collect();
            let tasks: Vec<Value> = found.iter().map(task_json).collect();
            let claims: Vec<Value> = claims
                .iter()
                .map(|(task, claim)| {
                    json!({
                        "task": task, "agent": claim.agent, "since": claim.since_text(), "until": claim.until_text(),
                        "holderPid": claim.holder.map(|it| it.pid),
                    })
                })
                .collect();
            let answer = json!({
                "worktrees": worktrees, "tasks": tasks, "reserved": reserved, "claims": claims, "skipped": missing,
            });
            writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
        }
        ShowFormat::Human => {
            let names: Vec<String> = views.iter().map(name).collect();
            writeln!(stdout, "{} worktrees: {}", views.len(), names.join(", "))?;
            for skipped in &missing {
                writeln!(stdout, "not compared: {skipped}")?;
            }
            if found.is_empty() {
                writeln!(stdout, "every task has the same status in all of them")?;
            }
            for task in &found {
                writeln!(stdout, "{}", line(task, &names))?;
            }
            for (tracker, reservations) in by_tracker(&reserved) {
                let each: Vec<String> = reservations
                    .iter()
                    .map(|it| {
                        let folder = Path::new(&it.worktree).file_name().map(|it| it.to_string_lossy().into_owned());
                        format!("{} ({})", it.number, folder.unwrap_or_else(|| it.worktree.clone()))
                    })
                    .collect();
                writeln!(stdout, "ids reserved by new tasks in {tracker}: {}", each.join(", "))?;
            }
            for (task, claim) in &claims {
                writeln!(stdout, "task {task} is claimed by {}", claim.describe())?;
            }
        }
    }
    Ok(exit::CLEAN)
}

/// `here (main)`, `wt-b (feature-b)`, `wt-c (detached at 1a2b3c4)`.
fn name(view: &View) -> String {
    let folder = if view.current {
        "here".to_string()
    } else {
        view.worktree
            .path
            .file_name()
            .map_or_else(|| view.worktree.path.display().to_string(), |it| it.to_string_lossy().into_owned())
    };
    let checked_out = match (&view.worktree.branch, &view.worktree.head) {
        (Some(branch), _) => branch.clone(),
        (None, Some(head)) => format!("detached at {}", head.get(..7).unwrap_or(head)),
        (None, None) => "no commit".to_string(),
    };
    format!("{folder} ({checked_out})")
}

fn shown(seen: &Option<Seen>) -> String {
    match seen {
        None => "not there".to_string(),
        Some(seen) => {
            let mut out = seen.status.clone().unwrap_or_else(|| "no status".to_string());
            if seen.archived {
                out.push_str(" archived");
            }
            if !seen.agrees {
                out.push_str(" (its files disagree)");
            }
            out
        }
    }
}

fn line(task: &Differing, names: &[String]) -> String {
    let title = task.title.as_deref().map(|it| format!(" {it}")).unwrap_or_default();
    let statuses: Vec<String> =
        task.seen.iter().zip(names).map(|(seen, name)| format!("{} in {name}", shown(seen))).collect();
    format!("{}:{}{title}: {}", task.task.scope, task.task.id, statuses.join(" · "))
}

fn task_json(task: &Differing) -> Value {
    let statuses: Vec<Value> = task
        .seen
        .iter()
        .map(|seen| match seen {
            None => Value::Null,
            Some(seen) => json!({ "status": seen.status, "archived": seen.archived, "agrees": seen.agrees }),
        })
        .collect();
    json!({
        "task": format!("{}:{}", task.task.scope, task.task.id),
        "id": *task.task.id,
        "title": task.title,
        "statuses": statuses,
    })
}
