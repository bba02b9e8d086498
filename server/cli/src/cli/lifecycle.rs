//! `taskmark list`, `new`, `edit` and `archive`: the engine's lifecycle operations on the command
//! line.

use crate::cli::output::outln;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::ValueEnum;

use crate::cli::{ShowFormat, exit, write};
use crate::engine::edit::WorkspaceChange;
use crate::engine::lifecycle::{self, ListFilter, NewTask, TaskRow, UsedIds};
use crate::engine::vocabulary::Kind;
use crate::git;
use crate::lsp::ext;
use crate::service::guards::Refused;
use crate::service::id_reservations::IdReservations;
use crate::service::lifecycle::{self as service, ArchiveTasksRequest, EditTaskRequest, LifecycleAnswer};
use crate::transaction::{FileWrite, PathMove, Transaction};
use crate::views::Paths;
use crate::workspace::{self, Workspace};

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only tasks with this status (an id, marker or word of their vocabulary).
    #[arg(long)]
    status: Option<String>,
    /// Only tasks of this kind.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Only tasks of this tracker: its folder (`specs`) or family (`backlog`).
    #[arg(long)]
    tracker: Option<String>,
    /// Only started or finished tasks with a dependency that is not done.
    #[arg(long, conflicts_with = "ready")]
    blocked: bool,
    /// Only tasks not started whose dependencies are all done.
    #[arg(long)]
    ready: bool,
    /// Include tasks archived on purpose.
    #[arg(long)]
    archived: bool,
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum KindArg {
    Todo,
    Active,
    Blocked,
    Done,
    Cancelled,
}

impl From<KindArg> for Kind {
    fn from(kind: KindArg) -> Kind {
        match kind {
            KindArg::Todo => Kind::Todo,
            KindArg::Active => Kind::Active,
            KindArg::Blocked => Kind::Blocked,
            KindArg::Done => Kind::Done,
            KindArg::Cancelled => Kind::Cancelled,
        }
    }
}

pub fn list(args: ListArgs) -> anyhow::Result<u8> {
    let (root, workspace) = crate::cli::open(args.root.as_deref(), &[])?;
    if let Some(code) = crate::cli::no_tracker(&workspace, Some(&root)) {
        return Ok(code);
    }
    let filter = ListFilter {
        status: args.status,
        kind: args.kind.map(Kind::from),
        tracker: args.tracker,
        blocked: args.blocked,
        ready: args.ready,
        archived: args.archived,
    };
    // A filter with a typo lists nothing: said, with the words that would match.
    if let Err(refusal) = lifecycle::check_filter(&workspace.index, &filter) {
        return Ok(write::refused_query(&refusal));
    }
    let rows = lifecycle::list_tasks(&workspace.index, &filter);
    let paths = crate::cli::display_paths(&workspace.root);
    let several_trackers = workspace.index.trackers().len() > 1;
    let mut stdout = crate::cli::output::stdout();
    match args.format {
        ShowFormat::Human => write!(stdout, "{}", table(&rows, several_trackers))?,
        ShowFormat::Json => {
            let rows: Vec<RowView> = rows.iter().map(|it| row_view(it, &paths)).collect();
            writeln!(stdout, "{}", serde_json::to_string_pretty(&rows)?)?;
        }
    }
    Ok(exit::CLEAN)
}

/// A row of `list --format json` (fields in the order the answer has always had: alphabetical).
#[derive(serde::Serialize)]
struct RowView {
    agrees: bool,
    archived: bool,
    dependencies: Vec<RowDependency>,
    family: Option<&'static str>,
    id: String,
    kind: Option<&'static str>,
    progress: Option<crate::views::ProgressView>,
    status: Option<String>,
    task: String,
    title: Option<String>,
    tracker: String,
}

#[derive(serde::Serialize)]
struct RowDependency {
    done: bool,
    id: String,
    status: Option<String>,
}

fn row_view(row: &TaskRow, paths: &Paths) -> RowView {
    let summary = &row.summary;
    RowView {
        agrees: summary.agrees(),
        archived: summary.archived,
        dependencies: summary
            .dependencies
            .iter()
            .map(|it| RowDependency { done: it.done, id: it.id.clone(), status: it.status.clone() })
            .collect(),
        family: row.family.map(|it| it.as_str()),
        id: summary.task.id.to_string(),
        kind: row.kind.map(|it| it.as_str()),
        progress: summary.progress.as_ref().map(|it| crate::views::progress_view(it, paths)),
        status: summary.status.clone(),
        task: format!("{}:{}", summary.task.scope, summary.task.id),
        title: summary.title.clone(),
        tracker: summary.task.scope.to_string(),
    }
}

/// The human table: one line per task, as wide as the terminal (100 columns into a pipe or a
/// file, so that what scripts read does not change with the window); titles are cut to fit.
fn table(rows: &[TaskRow], several_trackers: bool) -> String {
    let width = if std::io::stdout().is_terminal() {
        terminal_size::terminal_size_of(std::io::stdout()).map_or(100, |(it, _)| usize::from(it.0)).clamp(60, 400)
    } else {
        100
    };
    table_of_width(rows, several_trackers, width)
}

fn table_of_width(rows: &[TaskRow], several_trackers: bool, width: usize) -> String {
    let id = |row: &TaskRow| {
        if several_trackers {
            format!("{}:{}", row.summary.task.scope, row.summary.task.id)
        } else {
            row.summary.task.id.to_string()
        }
    };
    let status = |row: &TaskRow| {
        let status = row.shown_status.clone().or_else(|| row.summary.status.clone()).unwrap_or_else(|| "?".into());
        if row.summary.agrees() { status } else { format!("{status} ≠") }
    };
    let extra = |row: &TaskRow| {
        let mut parts = Vec::new();
        let open = row.open_dependencies();
        if !open.is_empty() {
            parts.push(format!("waits on {}", open.join(",")));
        }
        if let Some(progress) = row.summary.progress.as_ref().map(|it| it.label()).filter(|it| !it.is_empty()) {
            parts.push(progress);
        }
        parts.join(" · ")
    };
    let widest =
        |values: Vec<String>, cap: usize| values.iter().map(|it| it.chars().count()).max().unwrap_or(0).min(cap);
    let id_width = widest(rows.iter().map(id).collect(), 24).max(2);
    let status_width = widest(rows.iter().map(status).collect(), 20).max(6);
    let extra_width = widest(rows.iter().map(extra).collect(), 34);
    let title_width = width.saturating_sub(id_width + status_width + extra_width + 6).max(16);
    let mut out = String::new();
    out.push_str(&format!("{:<id_width$}  {:<status_width$}  TITLE\n", "ID", "STATUS"));
    for row in rows {
        let title = cut(row.summary.title.as_deref().unwrap_or(""), title_width);
        let extra = cut(&extra(row), extra_width);
        let line = format!(
            "{:<id_width$}  {:<status_width$}  {:<title_width$}  {extra}",
            cut(&id(row), id_width),
            cut(&status(row), status_width),
            title
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let disagreeing = rows.iter().filter(|it| !it.summary.agrees()).count();
    out.push_str(&crate::cli::output::plural(rows.len(), "task"));
    if disagreeing > 0 {
        out.push_str(&format!(", {disagreeing} whose places disagree (≠; `taskmark show ID` says where)"));
    }
    out.push('\n');
    out
}

/// `text` in at most `width` characters, with `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// The task's title: one line of plain text.
    title: String,
    /// Its status (default: the vocabulary's first not-started status).
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    priority: Option<String>,
    /// A task it depends on (repeat, or separate with commas).
    #[arg(long = "depends-on", value_name = "TASK", value_delimiter = ',')]
    depends_on: Vec<String>,
    #[arg(long)]
    description: Option<String>,
    /// The tracker to add it to, by folder (`specs`) or family (`backlog`), when the workspace
    /// has several.
    #[arg(long)]
    tracker: Option<String>,
    /// Also create the task folder with a plan skeleton (spec-folder trackers).
    #[arg(long)]
    plan: bool,
    /// For a checklist: the heading to add the box under.
    #[arg(long)]
    heading: Option<String>,
    /// Another field the tracker's task standard asks for, as NAME=VALUE (repeat):
    /// `--field Language=lean --field "Effort=3 hours"` (spec-folder trackers).
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = name_and_value)]
    fields: Vec<(String, String)>,
    /// An acceptance criterion, written as an open box (repeat; spec-folder trackers).
    #[arg(long = "criterion", value_name = "TEXT")]
    acceptance_criteria: Vec<String>,
    /// The date (YYYY-MM-DD, or an RFC 3339 instant) for its timestamps (default: now).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Do not read the other branches' and worktrees' trackers for ids in use (only this
    /// checkout's files and archive, and the ids other worktrees reserved).
    #[arg(long)]
    no_branches: bool,
    /// Print the change as a unified diff and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the files from this process even when a taskmark daemon serves editors (they then
    /// see the new task on disk instead of in their buffers).
    #[arg(long)]
    no_daemon: bool,
    /// `json` prints the new id and the files written.
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

/// Every id the tracker at `scope` has used: this checkout's stores and archive, and the
/// trackers of every branch and worktree of its git repository (from `early` when it scanned
/// that tracker while the workspace was read).
fn used_ids(workspace: &Workspace, scope: &str, branches: bool, early: Option<EarlyScan>) -> anyhow::Result<UsedIds> {
    let mut used = UsedIds::from_index(&workspace.index, scope, "this checkout");
    if let Some(elsewhere) = used_elsewhere(workspace, scope, branches, early)? {
        used.merge(elsewhere);
    }
    Ok(used)
}

/// The ids the other branches and worktrees use in the tracker `scope` (none read without
/// `branches`).
fn used_elsewhere(
    workspace: &Workspace,
    scope: &str,
    branches: bool,
    early: Option<EarlyScan>,
) -> anyhow::Result<Option<UsedIds>> {
    if !branches {
        return Ok(None);
    }
    let elsewhere = match early {
        Some(early) if early.scope == scope => {
            early.scan.join().map_err(|_| anyhow::anyhow!("the branch scan stopped unexpectedly"))??
        }
        _ => crate::branch_ids::used_ids_elsewhere(&workspace.root, scope, &workspace.config.vocabularies)?,
    };
    Ok(Some(elsewhere))
}

/// The branch and worktree scan of a tracker named by its folder, started before the workspace
/// is read: git's processes run while taskmark reads and parses.
struct EarlyScan {
    scope: String,
    scan: std::thread::JoinHandle<anyhow::Result<UsedIds>>,
}

impl EarlyScan {
    fn start(root: &std::path::Path, args: &NewArgs) -> Option<EarlyScan> {
        let scope = args.tracker.as_deref()?.trim_end_matches('/').to_string();
        if args.no_branches {
            return None;
        }
        let config = workspace::load_config(root).ok()?;
        let (root, thread_scope) = (root.to_path_buf(), scope.clone());
        let scan = std::thread::spawn(move || {
            crate::branch_ids::used_ids_elsewhere(&root, &thread_scope, &config.vocabularies)
        });
        Some(EarlyScan { scope, scan })
    }
}

/// `--field NAME=VALUE`.
fn name_and_value(argument: &str) -> Result<(String, String), String> {
    match argument.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.trim().to_string())),
        _ => Err(format!("`{argument}` is not NAME=VALUE")),
    }
}

pub fn new(args: NewArgs) -> anyhow::Result<u8> {
    answer_errors_in(args.format);
    let Some(now) = crate::cli::date_or_now(args.date.as_deref()) else { return Ok(exit::FAILURE) };
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let request = NewTask {
        title: args.title.clone(),
        status: args.status.clone(),
        priority: args.priority.clone(),
        depends_on: args.depends_on.iter().map(|it| it.trim().to_string()).filter(|it| !it.is_empty()).collect(),
        description: args.description.clone(),
        tracker: args.tracker.clone(),
        plan: args.plan,
        heading: args.heading.clone(),
        fields: args.fields.clone(),
        acceptance_criteria: args.acceptance_criteria.clone(),
        now,
    };
    let params = ext::NewTaskParams {
        title: args.title.clone(),
        tracker: args.tracker.clone(),
        status: args.status.clone(),
        priority: args.priority.clone(),
        depends_on: Some(ids(&args.depends_on)),
        description: args.description.clone(),
        plan: Some(args.plan),
        heading: args.heading.clone(),
        fields: Some(args.fields.iter().cloned().collect()),
        acceptance_criteria: Some(args.acceptance_criteria.clone()),
        date: args.date.clone(),
        dry_run: None,
        no_branches: Some(args.no_branches),
        uri: None,
    };
    let route = write::Route { dry_run: args.dry_run, no_daemon: args.no_daemon };
    if let Some(code) = route.lifecycle(&root, ("taskmark new", crate::lsp::NEW_TASK), &params, args.format) {
        return Ok(code);
    }
    // A dry run, or a refused task, writes nothing: not even the lock.
    write::under_lock(&root, &format!("taskmark new {}", args.title), args.dry_run, |lock| {
        let early = EarlyScan::start(lock.root(), &args);
        let workspace = crate::cli::load_tracker(lock.root(), args.tracker.as_deref(), &request.depends_on)?;
        create(&workspace, lock, &request, &args, early)
    })
}

fn create(
    workspace: &Workspace,
    lock: &mut write::LazyLock,
    request: &NewTask,
    args: &NewArgs,
    early: Option<EarlyScan>,
) -> anyhow::Result<u8> {
    write::with_task_workspace(workspace, |view| {
        let tracker = match service::tracker_for_new_task(view, request) {
            Ok(tracker) => tracker,
            Err(refusal) => return Ok(write::refused_status(&refusal)),
        };
        let elsewhere = match used_elsewhere(workspace, &tracker, !args.no_branches, early) {
            Ok(elsewhere) => elsewhere,
            Err(error) => {
                eprintln!(
                    "taskmark: error: cannot read the other branches' trackers ({error:#}); nothing was written{}",
                    write::override_in_command_line_words(crate::engine::edit::Override::SkipBranches)
                );
                return Ok(exit::FAILURE);
            }
        };
        // A dry run keeps no id from the other worktrees.
        let reservations = if lock.dry_run() { None } else { IdReservations::for_workspace(&workspace.root) };
        match service::plan_new_task(view, request, elsewhere, reservations.as_ref()) {
            Ok(planned) => write_change(workspace, lock, &planned.change, args.format, planned.answer, Drift::Checked),
            Err(refusal) => Ok(write::refused_status(&refusal)),
        }
    })
}

/// With `--format json`, a refusal is also printed as `{"error": {kind, message}}` on stdout,
/// as `taskmark set` does.
pub(crate) fn answer_errors_in(format: ShowFormat) {
    if format == ShowFormat::Json {
        crate::cli::output::errors_in_json();
    }
}

/// Whether a change was checked for new drift by the service, or is still to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Drift {
    Checked,
    ToCheck,
}

/// `new`, `edit` and `archive`'s JSON answer: the use case's own fields, the files the change
/// writes (`files`, and `moved`), the paths written on disk (`written`: none in a dry run) and
/// whether it was a dry run.
#[derive(serde::Serialize)]
pub(crate) struct WrittenAnswer {
    #[serde(flatten)]
    pub answer: LifecycleAnswer,
    pub files: Vec<String>,
    pub written: Vec<String>,
    pub moved: Vec<Moved>,
    pub dry_run: bool,
}

#[derive(serde::Serialize)]
pub(crate) struct Moved {
    pub from: String,
    pub to: String,
}

/// Writes a planned change (a dry run prints it), checking it for new drift first unless the
/// service did.
fn write_change(
    workspace: &Workspace,
    lock: &mut write::LazyLock,
    change: &WorkspaceChange,
    format: ShowFormat,
    answer: LifecycleAnswer,
    drift: Drift,
) -> anyhow::Result<u8> {
    let index = &workspace.index;
    if drift == Drift::ToCheck
        && let Some(code) = write::refuse_drift(workspace, change)
    {
        return Ok(code);
    }
    let mut files = write::writes(index, change.files.iter().map(|it| (it.file, it.edits.as_slice())));
    files.extend(change.created.iter().map(|it| FileWrite::create(it.path.clone(), it.text.clone())));
    let mut transaction = Transaction::new(change.label.clone(), files);
    transaction.moves = change.moved.iter().map(|it| PathMove { from: it.from.clone(), to: it.to.clone() }).collect();
    if let Some(code) = write::refuse_lossy(workspace, &transaction) {
        return Ok(code);
    }
    for warning in &change.warnings {
        crate::cli::output::say("note", warning);
    }
    if format == ShowFormat::Human {
        return write::finish(&transaction, &change.label, lock);
    }
    let dry_run = lock.dry_run();
    let written = match lock.commit(&transaction) {
        write::Commit::Written(paths) => paths,
        write::Commit::DryRun => Vec::new(),
        write::Commit::Failed(code) => return Ok(code),
    };
    let answer = WrittenAnswer {
        answer,
        files: transaction.files.iter().map(|it| it.path.clone()).collect(),
        written,
        moved: transaction.moves.iter().map(|it| Moved { from: it.from.clone(), to: it.to.clone() }).collect(),
        dry_run,
    };
    writeln!(crate::cli::output::stdout(), "{}", serde_json::to_string_pretty(&answer)?)?;
    Ok(exit::CLEAN)
}

#[derive(clap::Args, Debug)]
pub struct EditArgs {
    /// The task (`221`, or `specs:221` when several trackers have that id).
    task: String,
    /// A new title: one line of plain text.
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    priority: Option<String>,
    /// A dependency to add (repeat, or separate with commas).
    #[arg(long = "add-dependency", value_name = "TASK", value_delimiter = ',')]
    add_dependency: Vec<String>,
    /// A dependency to remove (repeat, or separate with commas).
    #[arg(long = "remove-dependency", value_name = "TASK", value_delimiter = ',')]
    remove_dependency: Vec<String>,
    /// A new description (replaces the old one).
    #[arg(long)]
    description: Option<String>,
    /// Tick a box of the task (acceptance criteria, a checklist): its number from 1, a piece
    /// of its text, or `all` (repeat).
    #[arg(long, value_name = "BOX")]
    tick: Vec<String>,
    /// Open a box again, named as for --tick (repeat).
    #[arg(long, value_name = "BOX")]
    untick: Vec<String>,
    /// Tick or open the boxes of this phase of the task's current plan instead.
    #[arg(long, value_name = "N")]
    phase: Option<String>,
    /// Set the status of the phase named by --phase (`completed`, `in_progress`).
    #[arg(long, value_name = "STATUS", requires = "phase")]
    phase_status: Option<String>,
    /// Link a file the task produced, the tracker's way: `research=PATH`, `plan=PATH`,
    /// `summary=PATH` (the path from the workspace root; repeat).
    #[arg(long, value_name = "KIND=PATH", value_parser = artifact_link)]
    artifact: Vec<(String, String)>,
    /// Print the change as a unified diff and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the files from this process even when a taskmark daemon serves editors.
    #[arg(long)]
    no_daemon: bool,
    /// `json` prints the task and the files written.
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

/// Tasks as the command line was given them, for the editors' commands.
fn ids(tasks: &[String]) -> ext::IdList {
    ext::IdList::List(tasks.iter().cloned().map(ext::Id::Text).collect())
}

/// `--artifact research=specs/302_x/reports/research-001.md`.
fn artifact_link(value: &str) -> Result<(String, String), String> {
    let (kind, path) =
        value.split_once('=').ok_or("give KIND=PATH, such as research=specs/302_x/reports/research-001.md")?;
    Ok((kind.trim().to_string(), path.trim().to_string()))
}

pub fn edit(args: EditArgs) -> anyhow::Result<u8> {
    answer_errors_in(args.format);
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let params = ext::EditTaskParams {
        task: args.task.clone(),
        title: args.title.clone(),
        priority: args.priority.clone(),
        add_dependencies: Some(ids(&args.add_dependency)),
        remove_dependencies: Some(ids(&args.remove_dependency)),
        description: args.description.clone(),
        tick: Some(args.tick.iter().cloned().map(ext::Id::Text).collect()),
        untick: Some(args.untick.iter().cloned().map(ext::Id::Text).collect()),
        phase: args.phase.clone().map(ext::Id::Text),
        phase_status: args.phase_status.clone(),
        artifacts: Some(
            args.artifact
                .iter()
                .map(|(kind, path)| ext::ArtifactLink { kind: kind.clone(), path: path.clone() })
                .collect(),
        ),
        dry_run: None,
    };
    let route = write::Route { dry_run: args.dry_run, no_daemon: args.no_daemon };
    let through = (&*format!("taskmark edit {}", args.task), crate::lsp::EDIT_TASK);
    if let Some(code) = route.lifecycle(&root, through, &params, args.format) {
        return Ok(code);
    }
    write::under_lock(&root, &format!("taskmark edit {}", args.task), args.dry_run, |lock| {
        let workspace = crate::cli::load(lock.root())?;
        edit_in(&workspace, lock, &args)
    })
}

fn edit_in(workspace: &Workspace, lock: &mut write::LazyLock, args: &EditArgs) -> anyhow::Result<u8> {
    let request = EditTaskRequest {
        task: args.task.clone(),
        title: args.title.clone(),
        priority: args.priority.clone(),
        add_dependencies: args.add_dependency.clone(),
        remove_dependencies: args.remove_dependency.clone(),
        description: args.description.clone(),
        tick: args.tick.clone(),
        untick: args.untick.clone(),
        phase: args.phase.clone(),
        phase_status: args.phase_status.clone(),
        artifacts: args
            .artifact
            .iter()
            .map(|(kind, path)| crate::engine::lifecycle::Artifact { kind: kind.clone(), path: path.clone() })
            .collect(),
    };
    let planned = write::with_task_workspace(workspace, |view| service::plan_edit_task(view, &request));
    match planned {
        Ok(planned) => write_change(workspace, lock, &planned.change, args.format, planned.answer, Drift::Checked),
        Err(refusal) => Ok(refused(workspace, &refusal)),
    }
}

/// A lifecycle refusal as the command line says it, with the note that no tracker was found
/// when the task was unknown for that reason.
fn refused(workspace: &Workspace, refusal: &Refused) -> u8 {
    if matches!(refusal, Refused::Plan(crate::engine::edit::Refusal::UnknownTask { .. })) {
        crate::cli::note_no_tracker(workspace);
    }
    write::refused_status(refusal)
}

#[derive(clap::Args, Debug)]
pub struct ArchiveArgs {
    /// The finished tasks to archive (`221`, or `specs:221`).
    #[arg(required_unless_present = "done", conflicts_with = "done")]
    tasks: Vec<String>,
    /// Archive every finished task that is not archived yet.
    #[arg(long)]
    done: bool,
    /// With --done: only this tracker's, by folder (`specs`) or family (`backlog`).
    #[arg(long, requires = "done")]
    tracker: Option<String>,
    /// The date (YYYY-MM-DD, or an RFC 3339 instant) for `archived` stamps (default: now).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Print the change (diffs and moves) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the files (and move the folders) from this process even when a taskmark daemon
    /// serves editors.
    #[arg(long)]
    no_daemon: bool,
    /// `json` prints the tasks archived, the files written and the moves.
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

pub fn archive(args: ArchiveArgs) -> anyhow::Result<u8> {
    answer_errors_in(args.format);
    let Some(now) = crate::cli::date_or_now(args.date.as_deref()) else { return Ok(exit::FAILURE) };
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let purpose = if args.done {
        "taskmark archive --done".to_string()
    } else {
        format!("taskmark archive {}", args.tasks.join(" "))
    };
    let params = ext::ArchiveTasksParams {
        tasks: Some(ids(&args.tasks)),
        done: Some(args.done),
        tracker: args.tracker.clone(),
        date: args.date.clone(),
        dry_run: None,
    };
    let route = write::Route { dry_run: args.dry_run, no_daemon: args.no_daemon };
    if let Some(code) = route.lifecycle(&root, (&purpose, crate::lsp::ARCHIVE_TASKS), &params, args.format) {
        return Ok(code);
    }
    write::under_lock(&root, &purpose, args.dry_run, |lock| {
        let workspace = crate::cli::load(lock.root())?;
        archive_in(&workspace, lock, &args, now.clone())
    })
}

fn archive_in(
    workspace: &Workspace,
    lock: &mut write::LazyLock,
    args: &ArchiveArgs,
    now: crate::engine::timestamp::Now,
) -> anyhow::Result<u8> {
    let request =
        ArchiveTasksRequest { tasks: args.tasks.clone(), done: args.done, tracker: args.tracker.clone(), date: None };
    let planned = write::with_task_workspace(workspace, |view| service::plan_archive_tasks(view, &request, now));
    match planned {
        Ok(planned) => write_change(workspace, lock, &planned.change, args.format, planned.answer, Drift::Checked),
        Err(refusal) => Ok(refused(workspace, &refusal)),
    }
}

/// `id-collision`s against every other branch and worktree, each compared from where it and
/// this checkout parted.
pub(crate) fn collisions(workspace: &Workspace) -> anyhow::Result<Vec<crate::engine::diagnostic::Diagnostic>> {
    let vocabularies = &workspace.config.vocabularies;
    let mut out = Vec::new();
    for tracker in workspace.index.trackers() {
        let versions = git::tracker_versions(&workspace.root, &tracker.root)?;
        let mut ancestors: Vec<(String, crate::engine::index::WorkspaceIndex)> = Vec::new();
        let indexes: Vec<(String, crate::engine::index::WorkspaceIndex, Option<String>)> = versions
            .into_iter()
            .map(|version| {
                let base = git::merge_base(&workspace.root, "HEAD", &version.commit);
                (version.label, crate::engine::index::WorkspaceIndex::build(version.files, vocabularies), base)
            })
            .collect();
        for (_, _, base) in &indexes {
            if let Some(base) = base
                && !ancestors.iter().any(|(commit, _)| commit == base)
            {
                let files = git::files_at(&workspace.root, base)?;
                ancestors.push((base.clone(), crate::engine::index::WorkspaceIndex::build(files, vocabularies)));
            }
        }
        let others: Vec<lifecycle::OtherVersion<'_>> = indexes
            .iter()
            .map(|(label, index, base)| lifecycle::OtherVersion {
                label,
                index,
                ancestor: base.as_ref().and_then(|base| ancestors.iter().find(|it| &it.0 == base).map(|it| &it.1)),
            })
            .collect();
        out.extend(lifecycle::id_collisions(&workspace.index, &tracker.root, &others));
    }
    Ok(out)
}

/// `taskmark fix --code duplicate-task`: the newer of two tasks that share an id (what a merge of
/// two branches that allocated the same id leaves) gets an id no store, archive, branch or
/// worktree has used, in every place of its own, its folder and links included. Written from
/// this process, like every fix that moves folders.
pub(crate) fn renumber(root: &std::path::Path, dry_run: bool) -> anyhow::Result<u8> {
    write::under_lock(root, "taskmark fix --code duplicate-task", dry_run, |lock| {
        let mut done = 0;
        loop {
            let workspace = crate::cli::load(lock.root())?;
            let shared = lifecycle::shared_ids(&workspace.index);
            let Some(task) = shared.first() else { break };
            let used = match used_ids(&workspace, &task.scope, true, None) {
                Ok(used) => used,
                Err(error) => {
                    eprintln!(
                        "taskmark: error: cannot read the other branches' trackers ({error:#}); nothing was written"
                    );
                    return Ok(exit::FAILURE);
                }
            };
            let planned = match lifecycle::plan_renumber(&workspace.index, task, &used) {
                Ok(planned) => planned,
                Err(refusal) => return Ok(write::refused_status(&Refused::Plan(refusal))),
            };
            let code = write_change(
                &workspace,
                lock,
                &planned.change,
                ShowFormat::Human,
                LifecycleAnswer::default(),
                Drift::ToCheck,
            )?;
            if code != exit::CLEAN {
                return Ok(code);
            }
            done += 1;
            // Its plans, now in the moved folder, get the new number too.
            if let (Some(moved), false) = (planned.change.moved.first(), lock.dry_run()) {
                let workspace = crate::cli::load(lock.root())?;
                let old = lifecycle::id_number(&task.id).unwrap_or_default();
                let new = lifecycle::id_number(&planned.id).unwrap_or_default();
                let plans = lifecycle::plan_plan_numbers(&workspace.index, &moved.to, old, new);
                if !plans.is_empty() {
                    let code = write_change(
                        &workspace,
                        lock,
                        &plans,
                        ShowFormat::Human,
                        LifecycleAnswer::default(),
                        Drift::ToCheck,
                    )?;
                    if code != exit::CLEAN {
                        return Ok(code);
                    }
                }
            }
            // A dry run writes nothing: the next shared id would be planned on the same files.
            if lock.dry_run() {
                if shared.len() > 1 {
                    outln!("({} more id(s) shared by two tasks after this one)", shared.len() - 1);
                }
                return Ok(exit::CLEAN);
            }
        }
        if done == 0 {
            outln!("no id is shared by two tasks of different titles: nothing to renumber");
        }
        Ok(exit::CLEAN)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ide::TaskSummary;
    use crate::engine::model::TaskKey;

    fn row(id: &str, title: &str, written: &str, shown: &str) -> TaskRow {
        TaskRow {
            summary: TaskSummary {
                task: TaskKey::new("specs", id),
                title: Some(title.into()),
                status: Some(written.into()),
                places: Vec::new(),
                progress: None,
                timestamps: Vec::new(),
                dependencies: Vec::new(),
                next: Vec::new(),
                archived: false,
                settable: true,
            },
            family: None,
            kind: Some(Kind::Todo),
            shown_status: Some(shown.into()),
        }
    }

    /// The table takes the width it is given (the terminal's), cutting titles only past it, and
    /// shows each status as the vocabulary does, whichever place spoke for the task.
    #[test]
    fn the_table_fits_its_width_and_spells_statuses_one_way() {
        let long = "Prove Lindenbaum maximal consistency lemma in Completeness.lean, then the truth lemma";
        let rows =
            [row("132", long, "[NOT STARTED]", "[NOT STARTED]"), row("195", "Review", "not_started", "[NOT STARTED]")];
        let narrow = table_of_width(&rows, false, 100);
        assert!(narrow.lines().all(|it| it.chars().count() <= 100), "{narrow}");
        assert!(narrow.contains('…') && !narrow.contains(long), "{narrow}");
        let wide = table_of_width(&rows, false, 200);
        assert!(wide.contains(long), "{wide}");
        assert!(wide.lines().all(|it| it.chars().count() <= 200), "{wide}");
        assert!(!wide.contains("not_started") && wide.matches("[NOT STARTED]").count() == 2, "{wide}");
    }
}
