//! `taskmark status --worktrees`: every task whose status differs between the repository's
//! worktrees, one line each. Each worktree's saved files are read where they are (nothing is
//! written anywhere): the same workspace folder inside each worktree.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::claims::ClaimStore;
use crate::service::id_reservations::{IdReservations, by_tracker};

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
            let answer = StatusAnswer {
                claims: claims
                    .iter()
                    .map(|(task, claim)| ClaimView {
                        agent: claim.agent.clone(),
                        holder_pid: claim.holder.map(|it| it.pid),
                        since: claim.since_text(),
                        task: task.clone(),
                        until: claim.until_text(),
                    })
                    .collect(),
                reserved: &reserved,
                skipped: missing,
                tasks: found.iter().map(task_view).collect(),
                worktrees: views
                    .iter()
                    .map(|view| WorktreeView {
                        branch: view.worktree.branch.clone(),
                        current: view.current,
                        head: view.worktree.head.clone(),
                        path: view.worktree.path.to_string_lossy().into_owned(),
                        root: view.root.to_string_lossy().into_owned(),
                    })
                    .collect(),
            };
            writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
        }
        ShowFormat::Human => {
            let names: Vec<String> = views.iter().map(name).collect();
            writeln!(stdout, "{}: {}", crate::cli::output::plural(views.len(), "worktree"), names.join(", "))?;
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

fn task_view(task: &Differing) -> DifferingView {
    DifferingView {
        id: task.task.id.to_string(),
        statuses: task
            .seen
            .iter()
            .map(|seen| {
                seen.as_ref().map(|it| SeenView { agrees: it.agrees, archived: it.archived, status: it.status.clone() })
            })
            .collect(),
        task: format!("{}:{}", task.task.scope, task.task.id),
        title: task.title.clone(),
    }
}

// `status --worktrees --format json`, its fields in the order the answer has always had
// (alphabetical).

#[derive(serde::Serialize)]
struct StatusAnswer<'a, R: serde::Serialize> {
    claims: Vec<ClaimView>,
    reserved: &'a R,
    skipped: Vec<String>,
    tasks: Vec<DifferingView>,
    worktrees: Vec<WorktreeView>,
}

#[derive(serde::Serialize)]
struct ClaimView {
    agent: String,
    #[serde(rename = "holderPid")]
    holder_pid: Option<u32>,
    since: Option<String>,
    task: String,
    until: Option<String>,
}

#[derive(serde::Serialize)]
struct DifferingView {
    id: String,
    /// What each worktree says, in the order of `worktrees` (`null`: not there).
    statuses: Vec<Option<SeenView>>,
    task: String,
    title: Option<String>,
}

#[derive(serde::Serialize)]
struct SeenView {
    agrees: bool,
    archived: bool,
    status: Option<String>,
}

#[derive(serde::Serialize)]
struct WorktreeView {
    branch: Option<String>,
    current: bool,
    head: Option<String>,
    /// Lossy where a path is not UTF-8: a JSON string cannot hold it.
    path: String,
    root: String,
}
