//! `taskmark set` and `taskmark fix`: plan with the engine, write with [`crate::transaction`].

use crate::cli::output::{self, out, outln};
use std::io::Write;
use std::path::Path;

use crate::cli::exit;
use crate::engine::edit::{Override, Refusal, WorkspaceChange};
use crate::engine::index::{FileId, WorkspaceIndex};
use crate::engine::rules::{self};
use crate::engine::text::{TextEdit, apply_edits};
use crate::engine::timestamp::Now;
use crate::service::fixing::{self, FixRequest};
use crate::service::status_change::{self, Refused, SetStatusRequest, TaskWorkspace};
use crate::transaction::{self, FileWrite, Transaction, TransactionError, WorkspaceLock};
use crate::workspace::{DiskPaths, Workspace};

pub use crate::engine::edit::SAFE_FIX_CODES as FIXABLE;

pub struct SetRequest<'a> {
    pub task: &'a str,
    pub status: &'a str,
    pub force: bool,
    pub reason: Option<String>,
    pub now: Now,
    /// The status the task must have now (compare and swap), as an id, marker or word.
    pub expect_from: Option<&'a str>,
    /// The agent asking: refused while another agent claims the task, unless forced.
    pub agent: Option<String>,
    pub format: crate::cli::ShowFormat,
}

/// How `new`, `edit` and `archive` reach the files: through the taskmark daemon when one
/// serves the workspace, as `taskmark set` does, so that the editors' open buffers change in
/// the editors and every editor on the daemon follows; from this process with `--no-daemon`,
/// for a dry run (which never needs the daemon), or when no daemon is used.
pub(crate) struct Route {
    pub dry_run: bool,
    pub no_daemon: bool,
}

impl Route {
    /// `Some(exit code)` when the daemon took the change (written, or refused with the
    /// command's exit code and words): the editor command `command` (its client named `name`)
    /// with `params`, the command's flags in the editors' shape; its answer printed as the
    /// command prints a change it writes. `None` when the command writes the files itself.
    pub fn lifecycle(
        &self,
        root: &Path,
        (name, command): (&str, &str),
        params: &impl serde::Serialize,
        format: crate::cli::ShowFormat,
    ) -> Option<u8> {
        if self.dry_run || self.no_daemon {
            return None;
        }
        through_daemon(root, (name, command), params, format)
    }
}

#[cfg(unix)]
use crate::cli::via_daemon::lifecycle as through_daemon;

#[cfg(not(unix))]
fn through_daemon(_: &Path, _: (&str, &str), _: &impl serde::Serialize, _: crate::cli::ShowFormat) -> Option<u8> {
    None
}

/// The workspace lock a writing command writes under, taken only once there is something to
/// write: a dry run or a refused change creates nothing, not even the lock file in taskmark's
/// state folder. The plan is safe without it: the transaction writes a file only if it still
/// holds the text the plan was made from. Taken before anything is read when a crash left a
/// transaction behind, so that it is finished (or rolled back) first.
///
/// A lock taken late can find that another writer changed a file between the read and the
/// lock; [`under_lock`] then plans once more, with the lock held from the start, so writers
/// that meet still take turns instead of refusing each other.
pub struct LazyLock {
    root: std::path::PathBuf,
    purpose: String,
    dry_run: bool,
    held: Option<WorkspaceLock>,
    /// Another writer changed a file the plan read before the lock was taken: plan again.
    replan: bool,
    /// This is the second plan, made under the lock.
    replanned: bool,
}

/// What [`LazyLock::commit`] did.
pub enum Commit {
    DryRun,
    Written(Vec<String>),
    /// Nothing written; the exit code (the reason is already on stderr).
    Failed(u8),
}

impl LazyLock {
    fn new(root: &Path, purpose: &str, dry_run: bool) -> Result<LazyLock, u8> {
        let mut lazy = LazyLock {
            root: root.to_path_buf(),
            purpose: purpose.to_string(),
            dry_run,
            held: None,
            replan: false,
            replanned: false,
        };
        if dry_run {
            note_pending(root);
        } else if matches!(transaction::pending(root), Ok(Some(_)) | Err(_)) {
            lazy.held = Some(lock(root, purpose)?);
        }
        Ok(lazy)
    }

    /// Where the workspace is (the lock's canonical root once taken).
    pub fn root(&self) -> &Path {
        self.held.as_ref().map_or(&self.root, |it| it.root())
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Writes `transaction` under the lock, taken now if it was not yet; nothing for a dry run.
    pub fn commit(&mut self, transaction: &Transaction) -> Commit {
        if self.dry_run {
            return Commit::DryRun;
        }
        if self.held.is_none() {
            let lock = match lock(&self.root, &self.purpose) {
                Ok(lock) => lock,
                Err(code) => return Commit::Failed(code),
            };
            if !self.replanned && !transaction.unchanged_since_read(lock.root()) {
                self.held = Some(lock);
                self.replan = true;
                return Commit::Failed(exit::CONFLICT);
            }
            self.held = Some(lock);
        }
        let Some(lock) = self.held.as_ref() else { return Commit::Failed(exit::WRITE_FAILED) };
        match transaction.commit(lock) {
            Ok(committed) => Commit::Written(committed.paths),
            Err(error) => Commit::Failed(report_write_error(error)),
        }
    }
}

/// Runs a writing command's `attempt` (read, plan, [`LazyLock::commit`]) without the lock, and
/// once more with it held from the start when another writer changed a file in between.
pub fn under_lock(
    root: &Path,
    purpose: &str,
    dry_run: bool,
    mut attempt: impl FnMut(&mut LazyLock) -> anyhow::Result<u8>,
) -> anyhow::Result<u8> {
    let mut lock = match LazyLock::new(root, purpose, dry_run) {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let code = attempt(&mut lock)?;
    if !lock.replan {
        return Ok(code);
    }
    lock.replan = false;
    lock.replanned = true;
    attempt(&mut lock)
}

/// Takes the workspace lock, finishing any transaction a crash left behind first.
pub fn lock(root: &Path, purpose: &str) -> Result<WorkspaceLock, u8> {
    note_ignored_journal(root);
    let (lock, recovery) =
        transaction::begin(root, purpose, transaction::lock_timeout()).map_err(report_write_error)?;
    if let Some(recovery) = recovery {
        eprintln!("taskmark: {recovery}");
    }
    Ok(lock)
}

/// What read-only commands say instead of recovering: a pending transaction and which command
/// finishes it, and a journal in the work tree that taskmark ignores.
pub fn note_pending(root: &Path) {
    note_ignored_journal(root);
    match transaction::pending(root) {
        Ok(Some(pending)) => eprintln!("taskmark: note: {pending}"),
        Ok(None) => {}
        Err(error) => eprintln!("taskmark: note: {error}"),
    }
}

fn note_ignored_journal(root: &Path) {
    if let Some(note) = transaction::ignored_journal_in_tree(root) {
        eprintln!("taskmark: note: {note}");
    }
}

/// `taskmark recover`: finishes (or rolls back) what a crash left behind, and says what it did;
/// with `discard`, forgets it without touching a file.
pub fn recover(root: &Path, discard: bool) -> u8 {
    note_ignored_journal(root);
    let recovered = if discard {
        transaction::WorkspaceLock::acquire(root, "taskmark recover --discard", transaction::lock_timeout())
            .and_then(|lock| transaction::discard(&lock).map(|it| (lock, it)))
    } else {
        transaction::begin(root, "taskmark recover", transaction::lock_timeout())
    };
    match recovered {
        Ok((_, Some(recovery))) => {
            outln!("taskmark: {recovery}");
            exit::CLEAN
        }
        Ok((_, None)) => {
            outln!("taskmark: no interrupted transaction is pending in {}", root.display());
            exit::CLEAN
        }
        Err(error) => report_write_error(error),
    }
}

pub fn set(workspace: &Workspace, lock: &mut LazyLock, request: &SetRequest<'_>) -> anyhow::Result<u8> {
    let index = &workspace.index;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let claims = crate::claims::ClaimStore::for_workspace(&workspace.root);
    // A task another worktree has taken up is said, as the daemon says it.
    let elsewhere = other_worktrees(workspace);
    let view = task_workspace(workspace, &paths, &claims, &elsewhere);
    let asked = SetStatusRequest {
        task: request.task.to_string(),
        status: request.status.to_string(),
        force: request.force,
        reason: request.reason.clone(),
        expect_from: request.expect_from.map(str::to_string),
        agent: request.agent.clone(),
        holder: None,
        date: None,
    };
    let planned = match status_change::plan_set_status(&view, &asked, request.now.clone()) {
        Ok(planned) => planned,
        Err(refusal) => {
            if matches!(refusal, Refused::Plan(Refusal::UnknownTask { .. })) {
                crate::cli::note_no_tracker(workspace);
            }
            return Ok(refused_status(&refusal));
        }
    };
    if planned.check_drift
        && let Err(refusal) = planned.leaves_no_new_drift(&view)
    {
        return Ok(refused_status(&refusal));
    }
    let change = &planned.change;
    for warning in &change.warnings {
        crate::cli::output::say("warning", warning);
    }
    let json = request.format == crate::cli::ShowFormat::Json;
    if planned.is_unchanged() {
        let label = format!("task {} already says `{}` everywhere; nothing to change", request.task, request.status);
        if json {
            let answer = SetAnswer {
                label,
                unchanged: true,
                files: Vec::new(),
                written: Vec::new(),
                dry_run: lock.dry_run(),
                warnings: change.warnings.clone(),
            };
            outln!("{}", serde_json::to_string_pretty(&answer)?);
        } else {
            outln!("{label}");
        }
        return Ok(exit::CLEAN);
    }
    let transaction = Transaction {
        label: format!("set {} {}", request.task, request.status),
        files: writes(index, change.files.iter().map(|it| (it.file, it.edits.as_slice()))),
        moves: Vec::new(),
    };
    if let Some(code) = refuse_lossy(workspace, &transaction) {
        return Ok(code);
    }
    if !json {
        let code = finish(&transaction, &change.label, lock)?;
        if code == exit::CLEAN {
            out!("{}", changed_lines(&planned.described));
        }
        return Ok(code);
    }
    let dry_run = lock.dry_run();
    let written = match lock.commit(&transaction) {
        Commit::Written(paths) => paths,
        Commit::DryRun => Vec::new(),
        Commit::Failed(code) => return Ok(code),
    };
    let answer = SetAnswer {
        label: change.label.clone(),
        unchanged: false,
        files: changed_files(&planned.described),
        written,
        dry_run,
        warnings: change.warnings.clone(),
    };
    outln!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(exit::CLEAN)
}

/// `taskmark set --format json`'s answer.
#[derive(serde::Serialize)]
pub(crate) struct SetAnswer {
    pub label: String,
    pub unchanged: bool,
    pub files: Vec<ChangedFileAnswer>,
    pub written: Vec<String>,
    pub dry_run: bool,
    pub warnings: Vec<String>,
}

/// A file a change edits and what it edits there: `{"path", "changed": [...]}`.
#[derive(serde::Serialize)]
pub(crate) struct ChangedFileAnswer {
    pub path: String,
    pub changed: Vec<String>,
}

pub(crate) fn changed_files(described: &[crate::engine::edit::ChangedFile]) -> Vec<ChangedFileAnswer> {
    described.iter().map(|it| ChangedFileAnswer { path: it.path.clone(), changed: it.parts.clone() }).collect()
}

/// The command line's workspace as the service's use cases read it.
pub(crate) fn task_workspace<'a>(
    workspace: &'a Workspace,
    paths: &'a DiskPaths<'a>,
    claims: &'a crate::claims::ClaimStore,
    elsewhere: &'a [crate::engine::lifecycle::across::OtherWorktree],
) -> TaskWorkspace<'a> {
    TaskWorkspace {
        index: &workspace.index,
        config: &workspace.config,
        paths,
        store: None,
        baseline: None,
        unreadable: workspace
            .skipped
            .iter()
            .filter(|it| it.tracker)
            .map(|it| (it.path.as_str(), it.reason.as_str()))
            .collect(),
        claims,
        elsewhere,
        listed: &workspace.known,
    }
}

/// A read-only command's refusal (a filter that names nothing), in the command line's words,
/// exit 3: as [`refused_status`] says a plan's, with nothing about writing.
pub(crate) fn refused_query(refusal: &Refusal) -> u8 {
    output::refusal("refused", refusal.kind(), &in_command_line_words(refusal));
    exit::REFUSED
}

/// A use case's refusal as the command line says it: on stderr (or as `{"error"}` with
/// `--format json`), in its flags' words, with its exit code. (The command line's one refusal
/// renderer: an engine refusal outside the service is `Refused::Plan`.)
pub(crate) fn refused_status(refusal: &Refused) -> u8 {
    let forced = refusal.way_out().map_or("", override_in_command_line_words);
    match refusal {
        Refused::Plan(refusal) => {
            let message = format!("{}; nothing was written", in_command_line_words(refusal));
            if let Refusal::UnsafePlan { .. } = refusal {
                output::refusal("error", "unsafePlan", &message);
                return exit::WRITE_FAILED;
            }
            output::refusal("refused", refusal.kind(), &message);
            exit::REFUSED
        }
        Refused::Unreadable(message) => {
            output::refusal("error", refusal.kind(), message);
            exit::WRITE_FAILED
        }
        Refused::ClaimsUnusable { .. } => {
            output::refusal("error", refusal.kind(), &format!("{}{forced}", refusal.message()));
            exit::WRITE_FAILED
        }
        Refused::Claimed { .. } => {
            output::refusal("refused", refusal.kind(), &format!("{}{forced}", refusal.message()));
            exit::REFUSED
        }
        Refused::Conflict(conflict) => {
            let message = format!("{} (--from); nothing was written", conflict.message);
            output::refusal("conflict", refusal.kind(), &message);
            exit::CONFLICT
        }
    }
}

/// What a change edits, one file a line under its label: `  specs/TODO.md: status, Task
/// Order line, started`.
pub(crate) fn changed_lines(described: &[crate::engine::edit::ChangedFile]) -> String {
    described.iter().map(|it| format!("  {}: {}\n", it.path, it.parts.join(", "))).collect()
}

/// `taskmark fix` writing the files itself: the service's fixes, one change, one transaction.
pub fn fix(
    workspace: &Workspace,
    baseline: Option<(String, WorkspaceIndex)>,
    lock: &mut LazyLock,
    request: &FixRequest,
) -> anyhow::Result<u8> {
    let baseline = baseline.as_ref().map(|(label, index)| rules::Baseline { index, label: label.clone() });
    let planned = match with_task_workspace(workspace, |view| fixing::plan_fixes(view, baseline.as_ref(), request)) {
        Ok(planned) => planned,
        Err(refusal) => return Ok(refused_status(&refusal)),
    };
    let held_back = planned.answer.held_back_lines();
    let files = writes(&workspace.index, planned.change.files.iter().map(|it| (it.file, it.edits.as_slice())));
    if files.is_empty() {
        outln!("taskmark: nothing to fix{}", held_back_said(&held_back));
        return Ok(exit::CLEAN);
    }
    let transaction = Transaction::new("fix", files);
    if let Some(code) = refuse_lossy(workspace, &transaction) {
        return Ok(code);
    }
    // The change's label says what was done (`Fixed 1 stale-counts`); a dry run did nothing.
    let label = match planned.change.label.strip_prefix("Fixed ") {
        Some(what) if lock.dry_run() => format!("Would fix {what}"),
        _ => planned.change.label.clone(),
    };
    let code = finish(&transaction, &label, lock)?;
    if code == exit::CLEAN && !held_back.is_empty() {
        outln!("{}", held_back_said(&held_back).trim_start_matches("; "));
    }
    Ok(code)
}

/// The fixes `fix` held back, after what it says it did: `; 1 safe fix held back:` and a line
/// each (empty when none).
pub(crate) fn held_back_said(lines: &[String]) -> String {
    match lines.len() {
        0 => String::new(),
        1 => format!("; 1 safe fix held back:\n  {}", lines[0]),
        n => format!("; {n} safe fixes held back:\n  {}", lines.join("\n  ")),
    }
}

/// Runs `use_case` on the command line's workspace as the service reads it.
pub(crate) fn with_task_workspace<T>(workspace: &Workspace, use_case: impl FnOnce(&TaskWorkspace<'_>) -> T) -> T {
    with_view(workspace, &[], use_case)
}

/// [`with_task_workspace`] with the repository's other worktrees read, for the use cases that
/// say what another worktree has taken up (a claim, the next task).
pub(crate) fn with_other_worktrees<T>(workspace: &Workspace, use_case: impl FnOnce(&TaskWorkspace<'_>) -> T) -> T {
    with_view(workspace, &other_worktrees(workspace), use_case)
}

fn with_view<T>(
    workspace: &Workspace,
    elsewhere: &[crate::engine::lifecycle::across::OtherWorktree],
    use_case: impl FnOnce(&TaskWorkspace<'_>) -> T,
) -> T {
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let claims = crate::claims::ClaimStore::for_workspace(&workspace.root);
    use_case(&task_workspace(workspace, &paths, &claims, elsewhere))
}

/// The other worktrees of the repository as saved there, read once for this command (none
/// outside git or with none); the daemon follows them instead.
fn other_worktrees(workspace: &Workspace) -> Vec<crate::engine::lifecycle::across::OtherWorktree> {
    crate::worktrees::views(&workspace.root, &workspace.config, Some(&workspace.index))
}

/// Refuses (exit 5) a change to a file read with replacement characters: its bytes are not its
/// text, so no edit of the text can be written back.
pub(crate) fn refuse_lossy(workspace: &Workspace, transaction: &Transaction) -> Option<u8> {
    let noted = workspace.noted.iter().find(|note| transaction.files.iter().any(|it| it.path == note.path))?;
    let message = format!("refusing to write {}: {}; nothing was written", noted.path, noted.reason);
    output::refusal("error", "unreadable", &message);
    Some(exit::WRITE_FAILED)
}

/// Refuses (exit 3) a change that would leave a diagnostic that was not there, checked against
/// the workspace as read (the service's new-drift guard).
pub(crate) fn refuse_drift(workspace: &Workspace, change: &WorkspaceChange) -> Option<u8> {
    with_task_workspace(workspace, |view| status_change::leaves_no_new_drift(view, change))
        .err()
        .map(|it| refused_status(&it))
}

pub(crate) fn writes<'a>(
    index: &WorkspaceIndex,
    files: impl Iterator<Item = (FileId, &'a [TextEdit])>,
) -> Vec<FileWrite> {
    files
        .filter(|(_, edits)| !edits.is_empty())
        .map(|(file, edits)| {
            let before = index.text(file);
            FileWrite::replace(index.path(file), before, apply_edits(before, edits))
        })
        .collect()
}

/// Writes the transaction under the lock (taken now), or, for a dry run, prints it as a diff.
pub(crate) fn finish(transaction: &Transaction, label: &str, lock: &mut LazyLock) -> anyhow::Result<u8> {
    let mut stdout = crate::cli::output::stdout();
    match lock.commit(transaction) {
        Commit::Written(paths) => {
            writeln!(stdout, "{label}: wrote {}", paths.join(", "))?;
            Ok(exit::CLEAN)
        }
        Commit::Failed(code) => Ok(code),
        Commit::DryRun => {
            for file in &transaction.files {
                write!(stdout, "{}", crate::views::unified_diff(file))?;
            }
            for moved in &transaction.moves {
                writeln!(stdout, "move {} -> {}", moved.from, moved.to)?;
            }
            let moves = match transaction.moves.len() {
                0 => String::new(),
                1 => ", 1 move".to_string(),
                many => format!(", {many} moves"),
            };
            let count = crate::cli::output::plural(transaction.files.len(), "file");
            writeln!(stdout, "{label} (dry run: {count} would change{moves}, nothing written)")?;
            Ok(exit::CLEAN)
        }
    }
}

/// The engine's refusal as the command line says it: its neutral words, then how to override
/// it with this command's flags.
pub(crate) fn in_command_line_words(refusal: &Refusal) -> String {
    format!("{refusal}{}", refusal.way_out().map_or("", override_in_command_line_words))
}

/// How the command line overrides a refusal: its flags, where an editor names its arguments
/// (`crate::lsp::override_in_editor_words`).
pub(crate) fn override_in_command_line_words(how: Override) -> &'static str {
    match how {
        Override::Force => " (use --force to override)",
        Override::Reason => "; give one with --reason",
        Override::SkipBranches => " (--no-branches skips them)",
    }
}

pub(crate) fn report_write_error(error: TransactionError) -> u8 {
    let (kind, code) = match error {
        TransactionError::Conflict { .. } => ("conflict", exit::CONFLICT),
        TransactionError::Refused { .. } | TransactionError::Io { .. } => ("writeFailed", exit::WRITE_FAILED),
    };
    output::refusal("error", kind, &error.to_string());
    code
}
