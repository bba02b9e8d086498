//! The command-line adapter: argument parsing, reading the workspace, printing results.
//! Everything it knows about trackers comes from [`crate::engine`].

#[cfg(unix)]
mod board;
mod claims;
mod gitattributes;
mod hook;
mod lifecycle;
mod merge_driver;
mod next;
pub(crate) mod output;
pub(crate) mod render;
mod setup;
pub(crate) mod show;
mod status;
#[cfg(unix)]
mod via_daemon;
pub(crate) mod write;

use crate::cli::output::{out, outln, plural};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::engine::explain;
use crate::engine::index::WorkspaceIndex;
use crate::engine::rules::{self, Baseline};
use crate::git;
use crate::workspace::{self, DiskPaths, Workspace};
use render::{Counts, Paths};

/// Exit codes: one per kind of outcome, the same in every command. [`exit::TABLE`] is the one
/// list `--help` prints (and the user guide's table follows; a test compares them).
pub mod exit {
    /// Done (or nothing to do); for `check`, no errors.
    pub const CLEAN: u8 = 0;
    /// `check` found errors (or warnings, with `--deny warnings`).
    pub const FINDINGS: u8 = 1;
    /// The command cannot run as given: bad arguments, a path or `.taskmark.toml` that cannot
    /// be read or is invalid, a root refused (no `.git` or `.taskmark.toml` and too big) or
    /// holding no tracker, an answer of the daemon lost.
    pub const FAILURE: u8 = 2;
    /// The request names what the workspace does not have, or asks what it does not allow: an
    /// unknown or ambiguous task or status, a transition the vocabulary forbids, a missing
    /// reason, a change that would leave new problems, a task another agent claims.
    pub const REFUSED: u8 = 3;
    /// A file changed since it was read, `--from` did not match, or another command held the
    /// workspace lock too long.
    pub const CONFLICT: u8 = 4;
    /// A file could not be written safely (IO failure, read-only, outside the root, not UTF-8,
    /// a store of the tracker that does not parse).
    pub const WRITE_FAILED: u8 = 5;

    /// Every exit code with what it means, as `--help` lists them.
    pub const TABLE: [(u8, &str); 6] = [
        (CLEAN, "done, or nothing to do; for `check`, no errors"),
        (FINDINGS, "`check` found errors (or warnings, with --deny warnings)"),
        (FAILURE, "cannot run as given: bad arguments, unreadable path or config, no usable root or tracker"),
        (REFUSED, "refused: unknown or ambiguous task or status, forbidden transition, missing reason"),
        (CONFLICT, "conflict: a file changed since it was read, --from did not match, the lock was held"),
        (WRITE_FAILED, "a file could not be written safely (nothing was written)"),
    ];

    /// The table as `--help` prints it after the options.
    pub fn help() -> String {
        let mut out = String::from("Exit status:\n");
        for (code, meaning) in TABLE {
            out.push_str(&format!("  {code}  {meaning}\n"));
        }
        out.push_str("  (`taskmark hook` exits 2 to hand an edit's problems to the agent, as its hook protocol asks)");
        out
    }
}

/// What `--root` says in every command's help.
pub(crate) const ROOT_HELP: &str = "The workspace root. Default: the nearest folder at or above the current one holding .taskmark.toml or .git; without either, the current folder, unless it is / or your home or holds more than 5,000 files (then --root is needed)";
const CHECK_ROOT_HELP: &str = "The workspace root. Default: the nearest folder at or above the first PATH (with no PATH, the current one) holding .taskmark.toml or .git; a PATH narrows what is reported, never the root. A folder found by neither is refused if it is / or your home or holds more than 5,000 files (then --root is needed)";

#[derive(Parser, Debug)]
#[command(name = "taskmark", version, about = "Keeps markdown task trackers honest", max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Diagnose invalid markers, invalid transitions and drift between tracker files.
    Check(CheckArgs),
    /// Show every place of a task, its value, file and line, and its progress.
    Show(ShowArgs),
    /// List the tasks of the workspace: id, status (and whether its places agree), kind,
    /// dependencies, plan progress.
    List(lifecycle::ListArgs),
    /// The tasks ready to start, best first (priority, what waits on them, age), without the
    /// ones another agent claims or another worktree has taken up; --explain says why.
    Next(next::NextArgs),
    /// Open the workspace's board in the browser: columns by status, the dependency graph, a
    /// drag to change a status, live as editors, agents and commands change the files.
    #[cfg(unix)]
    Board(board::BoardArgs),
    /// Create a task in every store its tracker keeps, in the tracker's own style, with an id
    /// no store, archive, branch or worktree has used.
    New(lifecycle::NewArgs),
    /// Change a task's title, priority, dependencies or description in every store that keeps
    /// them, leaving every other byte as it was.
    Edit(lifecycle::EditArgs),
    /// Move finished tasks to the tracker's archive the way it keeps one (state.json entries,
    /// TODO.md sections, task folders, Backlog.md files), counters and links following.
    Archive(lifecycle::ArchiveArgs),
    /// Change a task's status in every file that states it, all at once or not at all.
    Set(SetArgs),
    /// Claim a task for an agent for a while: granted unless another agent holds it; claiming
    /// again renews it. While it stands, other agents' status changes are refused unless forced.
    Claim(claims::ClaimArgs),
    /// End an agent's claim on a task (only its holder can).
    Release(claims::ReleaseArgs),
    /// Apply the fixes that only restate what the files already say (marker spellings, stale
    /// counters, plan headers behind their phases), in one transaction.
    Fix(FixArgs),
    /// Inspect the configuration.
    Config(ConfigArgs),
    /// Compare the workspace across the repository's worktrees: every task whose status differs
    /// between them, one line each.
    Status(status::StatusArgs),
    /// Finish (or roll back) a `set` or `fix` that a crash interrupted. Read-only commands only
    /// report one; any write finishes it first too.
    Recover(RecoverArgs),
    /// Git's merge driver for tracker files (git runs it as `taskmark merge-driver %O %A %B %P`):
    /// merges task by task, writes the result over %A, exits 1 when conflicts are left.
    MergeDriver(merge_driver::MergeDriverArgs),
    /// Set taskmark up for a tool: `setup git` declares and configures the merge driver.
    Setup(setup::SetupArgs),
    /// Run the language server over stdin/stdout (editors start it this way): connects to the
    /// user's taskmark daemon, starting it if needed, unless --standalone.
    Lsp(LspArgs),
    /// Serve coding agents over the Model Context Protocol on stdin/stdout: tools to list,
    /// show, check, fix, create, edit, archive tasks and set their status, through the daemon
    /// the editors use (so they follow live) unless --no-daemon.
    Mcp(McpArgs),
    /// Run by a coding agent after it edits a file (Claude Code's PostToolUse hook, or any agent
    /// that passes JSON naming the edited file on stdin): reports the problems the edit added to
    /// a tracker, with their fixes, in the agent's hook protocol; silent otherwise.
    Hook(hook::HookArgs),
    /// Serve every editor of this user from one process, over a Unix socket in the user's
    /// runtime folder (`taskmark lsp` starts it; it exits when idle).
    Daemon(DaemonArgs),
    /// Print a completion script for a shell: `taskmark completions bash > ~/.local/share/bash-completion/completions/taskmark`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of taskmark, or of one of its commands: `taskmark man check | man -l -`.
    Man(ManArgs),
    /// Explain a rule: what it reports, why, its fix and an example (`taskmark rule
    /// status-mismatch`); every rule's code, severity and summary without one.
    Rule(RuleArgs),
}

#[derive(clap::Args, Debug)]
struct RuleArgs {
    /// The rule's code, as diagnostics show it (`broken-link`).
    code: Option<String>,
}

#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
struct ManArgs {
    /// The command whose page to print (`check`, `set`, ...); taskmark's own page without one.
    command: Option<String>,
}

#[derive(clap::Args, Debug)]
struct McpArgs {
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
    /// Work on disk alone, in a language server of this command's own, instead of through the
    /// daemon that serves the editors.
    #[arg(long)]
    no_daemon: bool,
}

#[derive(clap::Args, Debug)]
struct LspArgs {
    /// What to log to stderr: error, warn, info, debug or trace (or a tracing filter). Warnings
    /// and errors only unless asked: editors show the server's stderr as errors (Neovim's log
    /// marks every line `[ERROR]`), and what a user should see goes to `window/logMessage`.
    #[arg(long, default_value = "warn")]
    log_level: String,
    /// Also append the log to this file.
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// Serve in this process instead of through the shared daemon.
    #[arg(long)]
    standalone: bool,
}

#[derive(clap::Args, Debug)]
struct DaemonArgs {
    /// Also accept LSP connections over TCP at this address (loopback only, e.g.
    /// 127.0.0.1:7458). A connection is served only if its `initialize` carries the token the
    /// daemon writes to daemon.token in its runtime folder (readable by you only) as
    /// initializationOptions.taskmarkToken; the connection is not encrypted.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<std::net::SocketAddr>,
    /// Allow --listen on an address other computers can reach. The token then crosses the
    /// network in clear: anyone who can see the traffic can read and change your trackers.
    #[arg(long, requires = "listen")]
    allow_remote: bool,
    /// Exit after this many seconds without a client.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    idle_timeout: u64,
    /// What to log: error, warn, info, debug or trace (or a tracing filter).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Where to log (default: daemon.log in the runtime folder).
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files or folders to report on (the whole workspace is always indexed).
    paths: Vec<PathBuf>,
    #[arg(long, value_name = "DIR", help = CHECK_ROOT_HELP)]
    root: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Compare statuses with this git revision to find invalid transitions (default: HEAD).
    #[arg(long, value_name = "REV", conflicts_with = "no_baseline")]
    since: Option<String>,
    /// Do not look for invalid transitions.
    #[arg(long)]
    no_baseline: bool,
    /// Fail (exit 1) on warnings as well as errors.
    #[arg(long, value_enum)]
    deny: Option<Deny>,
    /// Also report ids this checkout allocated that another branch or worktree of the git
    /// repository allocated for another task (`id-collision`), read from git objects.
    #[arg(long)]
    against_branches: bool,
}

#[derive(clap::Args, Debug)]
struct ShowArgs {
    /// A task id: `221`, `058`, `BACK-200`, or `SCOPE:ID` when several trackers use the id.
    task: String,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
}

#[derive(clap::Args, Debug)]
struct SetArgs {
    /// A task id: `221`, `058`, `BACK-200`, or `SCOPE:ID` when several trackers use the id.
    task: String,
    /// The new status: an id (`completed`), a marker (`[COMPLETED]`) or a word (`Done`).
    status: String,
    /// Allow a transition the vocabulary forbids, a change that leaves new problems, or one
    /// another agent's claim on the task would refuse.
    #[arg(long)]
    force: bool,
    /// Print the change as a unified diff and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The reason BLOCKED, ABANDONED and similar statuses ask for.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// The date (YYYY-MM-DD, or an RFC 3339 instant) for the timestamp fields (default: now).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Only change the task if its status is this one now (refused with a conflict otherwise):
    /// scripts and agents use it so that two of them never both move a task.
    #[arg(long = "from", value_name = "STATUS")]
    expect_from: Option<String>,
    /// The agent making the change (default: the environment variable TASKMARK_AGENT): refused
    /// while another agent claims the task, unless --force. A change naming no agent is a
    /// person's, which claims do not bind.
    #[arg(long, value_name = "NAME", env = "TASKMARK_AGENT")]
    agent: Option<String>,
    /// Write the files from this process even when a taskmark daemon serves editors (they then
    /// see the change on disk instead of in their buffers).
    #[arg(long)]
    no_daemon: bool,
    /// `json` prints the task, each file with what changed in it, and the paths written.
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    format: ShowFormat,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct FixArgs {
    /// Only fix these rules (default: all that have safe fixes: unknown-status,
    /// stale-counts, plan-status-stale, status-mismatch of generated copies).
    #[arg(long = "code", value_name = "CODE")]
    codes: Vec<String>,
    /// Print the changes as unified diffs and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the files from this process even when a taskmark daemon serves editors.
    #[arg(long)]
    no_daemon: bool,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct ConfigArgs {
    /// Print, for each tracker, which vocabulary it uses and why (profile, the repository's
    /// standard, learned markers), and each vocabulary as a table and a Mermaid graph.
    #[arg(long)]
    explain: bool,
    /// Explain this profile instead of the ones the workspace uses.
    #[arg(long)]
    profile: Option<String>,
    /// Write a commented .taskmark.toml for the trackers found: every setting at its default
    /// (it changes nothing until edited). An existing one is never overwritten.
    #[arg(long, conflicts_with_all = ["explain", "profile"])]
    init: bool,
    /// With --init: print the file instead of writing it.
    #[arg(long, requires = "init")]
    dry_run: bool,
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct RecoverArgs {
    #[arg(long, value_name = "DIR", help = crate::cli::ROOT_HELP)]
    root: Option<PathBuf>,
    /// Forget the interrupted transaction without acting on it: only its journal (in
    /// taskmark's private state folder) is removed, no workspace file is touched. For a journal
    /// recovery refuses to act on; `taskmark check` then shows where the files stand.
    #[arg(long)]
    discard: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShowFormat {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Deny {
    Warnings,
}

/// The command line as clap knows it, with the exit codes after every command's help: what
/// parsing, `taskmark completions` and `taskmark man` all read.
pub fn command() -> clap::Command {
    let help = exit::help();
    definitions().after_help(help.clone()).mut_subcommands(|it| it.after_long_help(help.clone()))
}

/// The commands, arguments and their help as declared, without the exit codes [`command`] adds
/// to every page: the user guide's reference lists those once.
pub fn definitions() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

pub fn main() -> ExitCode {
    use clap::FromArgMatches;
    let cli = match command().try_get_matches().and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(it) => it,
        Err(error) => {
            let code = if error.use_stderr() { exit::FAILURE } else { exit::CLEAN };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let writes = matches!(
        cli.command,
        Command::Set(_)
            | Command::Claim(_)
            | Command::Release(_)
            | Command::Fix(_)
            | Command::New(_)
            | Command::Edit(_)
            | Command::Archive(_)
            | Command::Recover(_)
            | Command::Setup(_)
    );
    if writes {
        output::reports_a_write();
    }
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Show(args) => show(args),
        Command::List(args) => lifecycle::list(args),
        Command::Next(args) => next::next(args),
        #[cfg(unix)]
        Command::Board(args) => board::board(args),
        Command::Status(args) => status::status(args),
        Command::New(args) => lifecycle::new(args),
        Command::Edit(args) => lifecycle::edit(args),
        Command::Archive(args) => lifecycle::archive(args),
        Command::Set(args) => set(args),
        Command::Claim(args) => claims::claim(args),
        Command::Release(args) => claims::release(args),
        Command::Fix(args) => fix(args),
        Command::Config(args) => config(args),
        Command::Recover(args) => {
            find_root(args.root.as_deref(), &[]).map(|root| write::recover(&root.path, args.discard))
        }
        Command::MergeDriver(args) => merge_driver::merge_driver(args),
        Command::Setup(args) => setup::setup(args),
        Command::Lsp(args) => lsp(args),
        Command::Mcp(args) => mcp(args),
        Command::Hook(args) => hook::hook(args),
        Command::Daemon(args) => daemon(args),
        Command::Completions(args) => completions(args),
        Command::Man(args) => man(args),
        Command::Rule(args) => rule(args),
    };
    match result {
        Ok(code) => ExitCode::from(output::exit_status(code)),
        Err(error) => {
            eprintln!("taskmark: error: {error:#}");
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// The workspace root, as [`workspace::find_root`] picks it. A root no marker chose (no `.git`
/// or `.taskmark.toml` at or above) is named on stderr: the user did not choose it either.
pub(crate) fn find_root(explicit: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<workspace::Root> {
    let root = workspace::find_root(explicit, paths)?;
    if let workspace::RootReason::Unmarked { .. } = root.reason {
        eprintln!("taskmark: note: root {} ({}; --root DIR names another)", root.path.display(), root.why());
    }
    Ok(root)
}

/// The workspace of a read-only command, and its root (with why it was chosen).
pub(crate) fn open(root: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<(workspace::Root, Workspace)> {
    let root = find_root(root, paths)?;
    write::note_pending(&root.path);
    let workspace = load(&root.path)?;
    Ok((root, workspace))
}

/// Why a task named on the command line is unknown when the workspace has no tracker at all.
pub(crate) fn note_no_tracker(workspace: &Workspace) {
    if workspace.index.trackers().is_empty() {
        eprintln!("taskmark: note: no tracker found under {}", workspace.root.display());
    }
}

/// `no tracker found under ROOT`, for a command that needs one (exit 2): said plainly, rather
/// than a report on zero files.
pub(crate) fn no_tracker(workspace: &Workspace, root: Option<&workspace::Root>) -> Option<u8> {
    let explained = workspace.skipped.iter().chain(&workspace.noted).any(|it| it.tracker);
    if !workspace.index.trackers().is_empty() || explained {
        return None;
    }
    let root = match root {
        Some(root) => format!("{} ({})", root.path.display(), root.why()),
        None => workspace.root.display().to_string(),
    };
    eprintln!(
        "taskmark: error: no tracker found under {root}: no TODO.md, state.json, plan, checklist, Backlog.md, Task Master, OpenSpec, Conductor, GSD or todo-folder file that taskmark reads (--root DIR names another folder)"
    );
    Some(exit::FAILURE)
}

pub(crate) fn load(root: &Path) -> anyhow::Result<Workspace> {
    load_with(root, None, |paths| paths.to_vec())
}

/// The workspace with only what a command on one tracker needs: that tracker's files (the one
/// `wanted` names by folder or family, or the only one there is) and the documents that may
/// define its vocabulary (those inside its project: [`crate::engine::conventions::project_of`]). A tracker
/// named by its folder inside a project folder (`proj-0/specs`) is found by walking that project
/// only. The whole workspace when the request is not one tracker.
///
/// Of the tracker's plans only those of the tasks in `plans_of` are read (a new task can meet no
/// other plan's content: its id is in no folder, and of the other tasks it names only its
/// dependencies); the others are listed, so that their folders still hold their ids.
pub(crate) fn load_tracker(root: &Path, wanted: Option<&str>, plans_of: &[String]) -> anyhow::Result<Workspace> {
    use crate::engine::lifecycle::ids::id_number;
    let wanted_plans: std::collections::HashSet<u64> =
        plans_of.iter().filter_map(|it| id_number(it.rsplit(':').next().unwrap_or(it))).collect();
    let plan_wanted = |path: &str, class: &crate::engine::layout::Classification| {
        !matches!(class.role, crate::engine::layout::Role::Plan { .. })
            || crate::engine::layout::task_folder_id(path)
                .as_deref()
                .and_then(id_number)
                .is_none_or(|id| wanted_plans.contains(&id))
    };
    let project = wanted
        .map(|it| it.trim_end_matches('/'))
        .filter(|it| !it.is_empty() && root.join(it).is_dir())
        .map(crate::engine::conventions::project_of)
        .filter(|it| !it.is_empty() && root.join(it).is_dir());
    load_with(root, project.as_deref(), |paths| {
        let classes: Vec<crate::engine::layout::Classification> =
            paths.iter().map(|it| crate::engine::layout::classify(it)).collect();
        let matches = |class: &crate::engine::layout::Classification| {
            class.role.is_tracker()
                && wanted.is_none_or(|wanted| {
                    let wanted = wanted.trim_end_matches('/');
                    class.root == wanted || class.family.is_some_and(|it| it.as_str() == wanted)
                })
        };
        let mut roots: Vec<&str> = classes.iter().filter(|it| matches(it)).map(|it| it.root.as_str()).collect();
        roots.sort_unstable();
        roots.dedup();
        let [root] = roots.as_slice() else { return paths.to_vec() };
        let project = crate::engine::conventions::project_of(root);
        let project_folder = format!("{project}/");
        paths
            .iter()
            .zip(&classes)
            .filter(|(path, class)| {
                let in_project = project.is_empty() || path.starts_with(&project_folder);
                (class.root == *root && plan_wanted(path, class))
                    || (class.role == crate::engine::layout::Role::Prose
                        && in_project
                        && crate::engine::conventions::may_be_standard(path))
            })
            .map(|(path, _)| path.clone())
            .collect()
    })
}

fn load_with(
    root: &Path,
    under: Option<&str>,
    select: impl FnOnce(&[String]) -> Vec<String>,
) -> anyhow::Result<Workspace> {
    let root = root.to_path_buf();
    let config = workspace::load_config(&root)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} indexing {pos}/{len} files {wide_bar} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let report = |done: usize, total: usize| {
        // A bar for a workspace that reads in an instant is noise.
        if let Some(bar) = &bar
            && total >= 2000
        {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let workspace = workspace::load_selected(&root, config, &report, under, select)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // On standard error: the kept walk is taskmark's own cache, not a finding about the workspace.
    for note in &workspace.notes {
        eprintln!("taskmark: note: {note}");
    }
    Ok(workspace)
}

pub(crate) fn display_paths(root: &Path) -> Paths {
    let prefix = std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| root.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .map(|it| workspace::slash_path_lossy(&it))
        .unwrap_or_else(|| root.to_string_lossy().into_owned());
    Paths { prefix: if prefix.is_empty() { String::new() } else { format!("{prefix}/") } }
}

/// The index of the revision transitions are checked against: `since`, else `HEAD` when the
/// workspace is in a git repository with one; `None` with `--no-baseline`.
fn baseline_of(
    workspace: &Workspace,
    since: Option<&str>,
    none: bool,
) -> anyhow::Result<Option<(String, WorkspaceIndex)>> {
    let files = if none {
        None
    } else {
        match (since, git::toplevel(&workspace.root)) {
            (Some(revision), _) => Some((revision.to_string(), git::files_at(&workspace.root, revision)?)),
            // HEAD is the default baseline when there is one; a fresh repository has none.
            (None, Some(_)) => git::files_at(&workspace.root, "HEAD").ok().map(|files| ("HEAD".to_string(), files)),
            (None, None) => None,
        }
    };
    Ok(files.map(|(label, files)| (label, WorkspaceIndex::build(files, &workspace.config.vocabularies))))
}

fn check(args: CheckArgs) -> anyhow::Result<u8> {
    let (root, workspace) = open(args.root.as_deref(), &args.paths)?;
    if let Some(code) = no_tracker(&workspace, Some(&root)) {
        return Ok(code);
    }
    let baseline_index = baseline_of(&workspace, args.since.as_deref(), args.no_baseline)?;
    let baseline = baseline_index.as_ref().map(|(label, index)| Baseline { index, label: label.clone() });
    let oracle = DiskPaths { root: &workspace.root, known: &workspace.known };
    let mut diagnostics = rules::check(&workspace.index, &workspace.config, baseline.as_ref(), &oracle);
    if args.against_branches {
        diagnostics.extend(lifecycle::collisions(&workspace)?);
        diagnostics.sort_by(|a, b| {
            (workspace.index.path(a.file), a.range.start()).cmp(&(workspace.index.path(b.file), b.range.start()))
        });
    }
    let filters = report_filters(&workspace.root, &args.paths)?;
    let reported = |it: &crate::engine::diagnostic::Diagnostic| {
        let path = workspace.index.path(it.file);
        filters.is_empty()
            || filters
                .iter()
                .any(|filter| filter.is_empty() || path == filter || path.starts_with(&format!("{filter}/")))
    };
    // Found among every diagnostic: whether `fix` tries a fix can depend on another file's (a
    // disagreement of the task's places).
    let fixable = crate::engine::edit::safe_fix_candidates(&workspace.index, &diagnostics, &write::FIXABLE)
        .into_iter()
        .filter(|it| reported(it))
        .count();
    if !filters.is_empty() {
        diagnostics.retain(|it| reported(it));
    }
    let counts = Counts::of(&diagnostics);
    crate::service::views::index_lines_of(&workspace.index, &diagnostics);
    let paths = display_paths(&workspace.root);
    // A merge driver the repository declares but git would not run: its tracker files would be
    // merged as plain text.
    let driver_problem = setup::declared_driver_problem(&workspace.root);
    let mut stdout = crate::cli::output::stdout();
    match args.format {
        Format::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            write!(stdout, "{}", render::human(&workspace.index, &paths, &diagnostics, color))?;
            // A workspace past its index limit skips thousands: name a few, count the rest.
            const NAMED: usize = 20;
            for noted in workspace.noted.iter().filter(|it| it.tracker) {
                writeln!(stdout, "note: {}: {}", paths.show(&noted.path), noted.reason)?;
            }
            let skipped: Vec<&workspace::Skipped> = workspace.skipped.iter().filter(|it| it.tracker).collect();
            for skipped in skipped.iter().take(NAMED) {
                writeln!(stdout, "note: skipped {}: {}", paths.show(&skipped.path), skipped.reason)?;
            }
            if skipped.len() > NAMED {
                writeln!(
                    stdout,
                    "note: skipped {} more tracker files (`--format json` lists them all)",
                    skipped.len() - NAMED
                )?;
            }
            if let Some(problem) = &driver_problem {
                writeln!(stdout, "warning: {problem}")?;
            }
            writeln!(stdout, "taskmark: {}", root.describe())?;
            writeln!(stdout, "{}", summary_line(&workspace, counts, fixable, baseline.as_ref()))?;
        }
        Format::Json => {
            let note = |file: String, note: &str| render::FileNote { file, note: note.to_string() };
            let summary = render::CheckSummary {
                baseline: baseline.as_ref().map(|it| it.label.clone()),
                bytes: workspace.bytes_read,
                errors: counts.errors,
                files: workspace.index.len(),
                fixable,
                hints: counts.hints,
                infos: counts.infos,
                notes: workspace
                    .noted
                    .iter()
                    .map(|it| note(paths.show(&it.path), &it.reason))
                    .chain(driver_problem.iter().map(|it| note(".gitattributes".into(), it)))
                    .collect(),
                root: root.path.to_string_lossy().into_owned(),
                root_chosen_by: root.why(),
                skipped: workspace
                    .skipped
                    .iter()
                    .map(|it| render::SkippedFile { file: paths.show(&it.path), reason: it.reason.clone() })
                    .collect(),
                tasks: workspace.index.tasks().len(),
                trackers: workspace.index.trackers().len(),
                warnings: counts.warnings,
            };
            render::json(&mut stdout, &workspace.index, &paths, &diagnostics, summary)?;
        }
        Format::Github => {
            write!(stdout, "{}", render::github(&workspace.index, &paths, &diagnostics))?;
            if let Some(problem) = &driver_problem {
                writeln!(stdout, "::warning file=.gitattributes::{problem}")?;
            }
            writeln!(stdout, "taskmark: {}", root.describe())?;
            writeln!(stdout, "{}", summary_line(&workspace, counts, fixable, baseline.as_ref()))?;
        }
    }
    let skipped_tracker = workspace.skipped.iter().any(|it| it.tracker);
    let failing = counts.errors > 0
        || (args.deny == Some(Deny::Warnings) && (counts.warnings > 0 || skipped_tracker || driver_problem.is_some()));
    // The process exits next: freeing a large index piece by piece would only delay that.
    std::mem::forget(diagnostics);
    std::mem::forget(baseline_index);
    std::mem::forget(workspace);
    Ok(if failing { exit::FINDINGS } else { exit::CLEAN })
}

fn summary_line(workspace: &Workspace, counts: Counts, fixable: usize, baseline: Option<&Baseline<'_>>) -> String {
    let mut parts = vec![plural(counts.errors, "error"), plural(counts.warnings, "warning")];
    if counts.infos > 0 {
        parts.push(plural(counts.infos, "info"));
    }
    if counts.hints > 0 {
        parts.push(plural(counts.hints, "hint"));
    }
    let against = baseline.map_or_else(|| "no baseline".to_string(), |it| format!("transitions since {}", it.label));
    let fix = if fixable > 0 { format!("; {fixable} with a safe fix: `taskmark fix`") } else { String::new() };
    format!(
        "taskmark: {} in {} ({}, {}; {against}){fix}",
        parts.join(", "),
        plural(workspace.index.len(), "file"),
        plural(workspace.index.trackers().len(), "tracker"),
        plural(workspace.index.tasks().len(), "task"),
    )
}

/// Workspace-relative prefixes the PATH arguments select.
fn report_filters(root: &Path, paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    paths
        .iter()
        .map(|path| {
            let absolute = std::fs::canonicalize(path)
                .map_err(|error| anyhow::format_err!("cannot open {}: {error}", path.display()))?;
            let relative = absolute.strip_prefix(root).map_err(|_| {
                anyhow::format_err!("{} is outside the workspace root {}", path.display(), root.display())
            })?;
            Ok(workspace::slash_path_lossy(relative))
        })
        .collect()
}

fn show(args: ShowArgs) -> anyhow::Result<u8> {
    let (_, workspace) = open(args.root.as_deref(), &[])?;
    let paths = display_paths(&workspace.root);
    let key = match crate::engine::edit::resolve_task(&workspace.index, &args.task) {
        Ok(key) => key,
        Err(refusal) => {
            note_no_tracker(&workspace);
            eprintln!("taskmark: error: {refusal}");
            return Ok(exit::REFUSED);
        }
    };
    let key = &key;
    let view = crate::engine::ide::task_summary(&workspace.index, key);
    let skipped = workspace.skipped.iter().filter(|it| it.tracker).map(|it| (it.path.as_str(), it.reason.as_str()));
    if let Some((path, reason)) = workspace::unreadable_in_tracker(skipped, &key.scope) {
        eprintln!(
            "taskmark: note: {} could not be read ({reason}): places of the task it holds are not shown",
            paths.show(path)
        );
    }
    for noted in workspace.noted.iter().filter(|it| view.places.iter().any(|place| place.path == it.path)) {
        eprintln!("taskmark: note: {}: {}", paths.show(&noted.path), noted.reason);
    }
    let mut stdout = crate::cli::output::stdout();
    match args.format {
        ShowFormat::Human => write!(stdout, "{}", show::human(&view, &paths))?,
        ShowFormat::Json => {
            writeln!(stdout, "{}", serde_json::to_string_pretty(&crate::views::task_view(&view, &paths))?)?
        }
    }
    Ok(exit::CLEAN)
}

fn completions(args: CompletionsArgs) -> anyhow::Result<u8> {
    let mut command = command();
    // Into memory first: clap_complete panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "taskmark", &mut script);
    crate::cli::output::stdout().write_all(&script)?;
    Ok(exit::CLEAN)
}

fn man(args: ManArgs) -> anyhow::Result<u8> {
    let command = command();
    let page = match &args.command {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                let names: Vec<&str> = command.get_subcommands().map(|it| it.get_name()).collect();
                eprintln!("taskmark: error: no command `{name}`; the commands are {}", names.join(", "));
                return Ok(exit::FAILURE);
            };
            // `taskmark-check(1)`, as git names its commands' pages.
            let title = format!("taskmark-{}", sub.get_name());
            sub.clone()
                .display_name(title)
                .bin_name(format!("taskmark {}", sub.get_name()))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    crate::cli::output::stdout().write_all(&out)?;
    Ok(exit::CLEAN)
}

fn rule(args: RuleArgs) -> anyhow::Result<u8> {
    use taskmark_engine::diagnostic::RuleCode;
    let text = match args.code.as_deref() {
        None => {
            let width = RuleCode::ALL.iter().map(|it| it.as_str().len()).max().unwrap_or(0);
            let mut text = String::new();
            for code in RuleCode::ALL {
                let severity = code.default_severity().as_str();
                text.push_str(&format!("{:width$}  {severity:7}  {}\n", code.as_str(), code.summary()));
            }
            text
        }
        Some(name) => {
            let Some(code) = RuleCode::parse(name.trim()) else {
                let codes: Vec<&str> = RuleCode::ALL.iter().map(|it| it.as_str()).collect();
                let hint = match RuleCode::closest(name) {
                    Some(near) => format!("did you mean `{near}`? "),
                    None => String::new(),
                };
                eprintln!("taskmark: error: no rule `{name}`; {hint}the rules are {}", codes.join(", "));
                return Ok(exit::FAILURE);
            };
            format!(
                "# {code}\n\nSeverity: {} by default.\n\n{}",
                code.default_severity().as_str(),
                code.documentation()
            )
        }
    };
    crate::cli::output::stdout().write_all(text.as_bytes())?;
    Ok(exit::CLEAN)
}

fn lsp(args: LspArgs) -> anyhow::Result<u8> {
    #[cfg(unix)]
    if !args.standalone {
        crate::daemon::run_proxy(&args.log_level, args.log_file.as_deref())?;
        return Ok(exit::CLEAN);
    }
    crate::lsp::run(crate::lsp::Options { log_level: args.log_level, log_file: args.log_file })?;
    Ok(exit::CLEAN)
}

fn mcp(args: McpArgs) -> anyhow::Result<u8> {
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    crate::mcp::run(crate::mcp::Options { root, no_daemon: args.no_daemon || cfg!(not(unix)) })?;
    Ok(exit::CLEAN)
}

#[cfg(unix)]
fn daemon(args: DaemonArgs) -> anyhow::Result<u8> {
    let options = crate::daemon::Options {
        listen: args.listen,
        allow_remote: args.allow_remote,
        // Tests (and scripts) shorten the idle time of a daemon `taskmark lsp` starts for them.
        idle: std::env::var("TASKMARK_DAEMON_IDLE_MS")
            .ok()
            .and_then(|it| it.parse().ok())
            .map_or(std::time::Duration::from_secs(args.idle_timeout), std::time::Duration::from_millis),
        log_level: args.log_level,
        log_file: args.log_file,
    };
    match crate::daemon::run(options)? {
        crate::daemon::Outcome::Served => {}
        crate::daemon::Outcome::AlreadyRunning => crate::daemon::report_already_running(&mut std::io::stderr())?,
    }
    Ok(exit::CLEAN)
}

#[cfg(not(unix))]
fn daemon(_: DaemonArgs) -> anyhow::Result<u8> {
    anyhow::bail!("the taskmark daemon needs Unix domain sockets; use `taskmark lsp --standalone`")
}

/// `--date` as the engine's `Now` (default: the clock); `None` after saying why it is not a date.
pub(crate) fn date_or_now(date: Option<&str>) -> Option<crate::engine::timestamp::Now> {
    match date.map(crate::engine::timestamp::Now::parse).transpose() {
        Ok(now) => Some(now.unwrap_or_else(workspace::now)),
        Err(message) => {
            eprintln!("taskmark: error: {message}");
            None
        }
    }
}

fn set(args: SetArgs) -> anyhow::Result<u8> {
    if args.format == ShowFormat::Json {
        crate::cli::output::errors_in_json();
    }
    let Some(now) = date_or_now(args.date.as_deref()) else { return Ok(exit::FAILURE) };
    // An empty name (`TASKMARK_AGENT=`, as shells unset it) names no agent.
    let agent = match args.agent.as_deref().filter(|it| !it.trim().is_empty()).map(crate::claims::agent_name) {
        None => None,
        Some(Ok(agent)) => Some(agent),
        Some(Err(reason)) => {
            eprintln!("taskmark: error: {reason}");
            return Ok(exit::FAILURE);
        }
    };
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let request = write::SetRequest {
        task: &args.task,
        status: &args.status,
        force: args.force,
        reason: args.reason.clone(),
        now,
        expect_from: args.expect_from.as_deref(),
        agent,
        format: args.format,
    };
    // Through the daemon when one runs, so the editors it serves update their buffers live.
    #[cfg(unix)]
    if !args.dry_run
        && !args.no_daemon
        && let Some(code) = via_daemon::set(&root, &request, args.date.as_deref())
    {
        return Ok(code);
    }
    let purpose = format!("taskmark set {} {}", args.task, args.status);
    write::under_lock(&root, &purpose, args.dry_run, |lock| {
        let workspace = load(lock.root())?;
        write::set(&workspace, lock, &request)
    })
}

fn fix(args: FixArgs) -> anyhow::Result<u8> {
    // Renumbering is no restatement of what the files say: only when asked, and on its own.
    if args.codes.iter().any(|it| it == crate::engine::diagnostic::RuleCode::DuplicateTask.as_str()) {
        if args.codes.len() > 1 {
            eprintln!("taskmark: error: `--code duplicate-task` renumbers tasks: run it on its own");
            return Ok(exit::FAILURE);
        }
        let root = find_root(args.root.as_deref(), &[])?.path;
        return lifecycle::renumber(&root, args.dry_run);
    }
    let mut codes = Vec::new();
    for code in &args.codes {
        match crate::engine::diagnostic::RuleCode::parse(code).filter(|it| write::FIXABLE.contains(it)) {
            Some(code) => codes.push(code),
            None => {
                let fixable = write::FIXABLE.map(|it| it.as_str()).join(", ");
                eprintln!(
                    "taskmark: error: `{code}` has no fix `taskmark fix` applies on its own; those are {fixable}"
                );
                return Ok(exit::FAILURE);
            }
        }
    }
    if codes.is_empty() {
        codes = write::FIXABLE.to_vec();
    }
    let found = find_root(args.root.as_deref(), &[])?;
    let root = found.path.clone();
    #[cfg(unix)]
    if !args.dry_run
        && !args.no_daemon
        && let Some(code) = via_daemon::fix(&root, &codes)
    {
        return Ok(code);
    }
    let request = crate::service::fixing::FixRequest { codes, now: workspace::now() };
    write::under_lock(&root, "taskmark fix", args.dry_run, |lock| {
        let workspace = load(lock.root())?;
        if let Some(code) = no_tracker(&workspace, Some(&found)) {
            return Ok(code);
        }
        // Fixes are checked against what `check` compares with, so `fix && check` passes.
        let baseline = baseline_of(&workspace, None, false)?;
        write::fix(&workspace, baseline, lock, &request)
    })
}

/// `taskmark config --init`: a commented `.taskmark.toml` for the trackers found, created
/// through the transaction (never over a file that is there), or printed for a dry run.
fn config_init(root: &Path, dry_run: bool) -> anyhow::Result<u8> {
    use crate::engine::config::{DetectedTracker, FILE_NAME, starter};
    write::under_lock(root, "taskmark config --init", dry_run, |lock| {
        let path = lock.root().join(FILE_NAME);
        if std::fs::symlink_metadata(&path).is_ok() {
            eprintln!(
                "taskmark: refused: {} exists, and config --init never overwrites it (edit it, or move it away first); nothing was written",
                path.display()
            );
            return Ok(exit::REFUSED);
        }
        let workspace = load(lock.root())?;
        let vocabularies = &workspace.config.vocabularies;
        let trackers: Vec<DetectedTracker> = workspace
            .index
            .trackers()
            .iter()
            .map(|it| DetectedTracker {
                root: it.root.clone(),
                family: it.family.as_str().to_string(),
                profile: vocabularies.profile_name(it.family, &it.root).to_string(),
                vocabulary: vocabulary_summary(&it.choice),
            })
            .collect();
        let text = starter(&trackers);
        if lock.dry_run() {
            out!("{text}");
            return Ok(exit::CLEAN);
        }
        let transaction = crate::transaction::Transaction::new(
            "config --init",
            vec![crate::transaction::FileWrite::create(FILE_NAME.to_string(), text)],
        );
        match lock.commit(&transaction) {
            write::Commit::Written(_) => {
                outln!(
                    "wrote {} for {} (every setting at its default: it changes nothing until edited)",
                    path.display(),
                    match trackers.len() {
                        1 => "1 tracker".to_string(),
                        many => format!("{many} trackers"),
                    }
                );
                Ok(exit::CLEAN)
            }
            write::Commit::Failed(code) => Ok(code),
            write::Commit::DryRun => Ok(exit::CLEAN),
        }
    })
}

/// One table cell saying where a tracker's vocabulary comes from.
fn vocabulary_summary(choice: &crate::engine::conventions::VocabularyChoice) -> String {
    use crate::engine::config::ProfileSource;
    use crate::engine::conventions::{BaseSource, StandardUse};
    let mut parts = vec![match &choice.base {
        BaseSource::Profile(ProfileSource::BuiltIn) => "built-in".to_string(),
        BaseSource::Profile(ProfileSource::EditedBuiltIn | ProfileSource::Configured(_)) => {
            ".taskmark.toml".to_string()
        }
        BaseSource::BacklogConfig(path) => format!("`{path}`"),
    }];
    match &choice.standard {
        StandardUse::Applied { path, line, .. } => parts.push(format!("standard `{path}:{line}`")),
        StandardUse::Ambiguous(paths) => parts.push(format!("{} standards, none applied", paths.len())),
        StandardUse::None => {}
    }
    if !choice.learned.is_empty() {
        let places: usize = choice.learned.iter().map(|it| it.places).sum();
        let shown: Vec<String> = choice.learned.iter().flat_map(|it| it.shown()).map(|it| format!("`{it}`")).collect();
        parts.push(format!("learned from {places} places: {}", shown.join(" ")));
    }
    parts.join(" + ")
}

fn config(args: ConfigArgs) -> anyhow::Result<u8> {
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    if args.init {
        return config_init(&root, args.dry_run);
    }
    let config = workspace::load_config(&root)?;
    let mut stdout = crate::cli::output::stdout();
    if !args.explain {
        let path = root.join(crate::engine::config::FILE_NAME);
        if std::fs::symlink_metadata(&path).is_ok() {
            writeln!(stdout, "{}: configuration is valid", path.display())?;
        } else {
            writeln!(
                stdout,
                "no .taskmark.toml in {}; built-in profiles (`taskmark config --init` writes one to edit)",
                root.display()
            )?;
        }
        return Ok(exit::CLEAN);
    }
    if let Some(name) = &args.profile {
        let profile = config.vocabularies.profiles.get(name).ok_or_else(|| {
            anyhow::format_err!(
                "unknown profile `{name}`; known profiles: {}",
                config.vocabularies.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        write!(stdout, "{}", explain::explain(profile))?;
        return Ok(exit::CLEAN);
    }
    let workspace = workspace::load(&root, config, &|_, _| {})?;
    let trackers = workspace.index.trackers();
    if trackers.is_empty() {
        writeln!(stdout, "No trackers found under {}; the default profile is:\n", root.display())?;
        if let Some(profile) = workspace.config.vocabularies.profiles.get("spec-folder") {
            write!(stdout, "{}", explain::explain(profile))?;
        }
        return Ok(exit::CLEAN);
    }
    writeln!(stdout, "# Trackers\n")?;
    writeln!(stdout, "| root | family | profile | vocabulary |\n|---|---|---|---|")?;
    for tracker in trackers {
        let root = if tracker.root.is_empty() { "." } else { tracker.root.as_str() };
        writeln!(
            stdout,
            "| {root} | {} | {} | {} |",
            tracker.family.as_str(),
            tracker.profile.name,
            vocabulary_summary(&tracker.choice)
        )?;
    }
    // Trackers that read their files in the same vocabulary share one table.
    let mut explained: Vec<(&crate::engine::vocabulary::Profile, &str)> = Vec::new();
    for tracker in trackers {
        let root = if tracker.root.is_empty() { "." } else { tracker.root.as_str() };
        writeln!(stdout)?;
        write!(
            stdout,
            "{}",
            explain::explain_choice(
                &tracker.root,
                tracker.family.as_str(),
                &tracker.profile,
                &tracker.base,
                &tracker.choice
            )
        )?;
        if let Some((_, first)) = explained.iter().find(|(profile, _)| **profile == *tracker.profile) {
            writeln!(stdout, "\nIts vocabulary is the one of `{first}` above.")?;
            continue;
        }
        explained.push((&tracker.profile, root));
        writeln!(stdout)?;
        write!(stdout, "{}", explain::explain(&tracker.profile))?;
    }
    Ok(exit::CLEAN)
}
