//! Crash-safe multi-file writes: a status change or a batch of fixes lands in every file or in
//! none, keeps every byte outside the planned edits, and never overwrites a change it did not
//! see.
//!
//! The engine plans new texts; this module is the IO edge that writes them. One
//! [`Transaction`] at a time per workspace (a [`WorkspaceLock`]); each one:
//!
//! 1. checks every target: inside the workspace root (symlinks resolved, the target written),
//!    a writable regular file, valid UTF-8, still the bytes the plan was made from;
//! 2. records a *prepared* journal naming the temporary files, in the workspace's private
//!    state folder outside the work tree ([`state_dir`]);
//! 3. writes each new text to a temporary file beside its target, with the target's
//!    permissions, and fsyncs it;
//! 4. checks again that no target changed while it worked (an editor saved, git checked out);
//! 5. marks the journal *committed*: from here on the transaction will complete;
//! 6. renames every temporary file over its target and fsyncs the directories;
//! 7. removes the journal.
//!
//! [`recover`] runs before the next write to the workspace (never from a read-only command): a
//! prepared journal is rolled back (its temporary files removed, no target was changed yet), a
//! committed one is rolled forward (the remaining renames done). Either way every file ends all
//! old or all new, unless someone changed a file after the crash: that change is kept and named
//! (recovery never renames over content it did not replace), and recovery still ends, so a
//! workspace is never stuck. Recovery acts only on what it can verify it wrote itself.

pub mod fault;
mod journal;
mod lock;
pub use taskmark_io::state_dir;
pub(crate) use taskmark_io::{private_dir, read};

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

pub use journal::{Journal, JournalFile, JournalMove, JournalState, Left};
pub use lock::WorkspaceLock;

/// More files than any status change or fix batch touches: a bigger plan is a bug.
pub const MAX_FILES: usize = 512;
/// The total new bytes one transaction may write.
pub const MAX_BYTES: usize = 256 << 20;

/// One file's planned change: the text the plan was made from and the text to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    /// Relative to the workspace root, `/`-separated, as the index names it.
    pub path: String,
    pub before: String,
    pub after: String,
    /// A new file (`before` is empty): nothing may be at `path` yet, missing folders are
    /// created, and the file is moved into place without ever replacing one that appeared.
    pub create: bool,
}

impl FileWrite {
    pub fn replace(path: impl Into<String>, before: impl Into<String>, after: impl Into<String>) -> FileWrite {
        FileWrite { path: path.into(), before: before.into(), after: after.into(), create: false }
    }

    pub fn create(path: impl Into<String>, text: impl Into<String>) -> FileWrite {
        FileWrite { path: path.into(), before: String::new(), after: text.into(), create: true }
    }
}

/// A file or folder the transaction moves (an archived task's folder, a Backlog.md task file
/// moved to `completed/`). Moves happen after every file is written, and never replace
/// anything at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMove {
    /// Relative to the workspace root, `/`-separated.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transaction {
    /// What the change is, for the journal and messages: `set 221 completed`.
    pub label: String,
    pub files: Vec<FileWrite>,
    pub moves: Vec<PathMove>,
}

impl Transaction {
    pub fn new(label: impl Into<String>, files: Vec<FileWrite>) -> Transaction {
        Transaction { label: label.into(), files, moves: Vec::new() }
    }
}

/// Why a transaction wrote nothing.
#[derive(Debug)]
pub enum TransactionError {
    /// A target it must not write: outside the root, read-only, not UTF-8, not a regular file,
    /// or a plan over the size limits.
    Refused { path: String, reason: String },
    /// A target changed since the plan read it.
    Conflict { path: String, reason: String },
    /// The file system failed. `path` names the file being written.
    Io { path: String, error: io::Error },
}

impl fmt::Display for TransactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionError::Refused { path, reason } => write!(f, "refusing to write {path}: {reason}"),
            TransactionError::Conflict { path, reason } => write!(f, "conflict on {path}: {reason}"),
            TransactionError::Io { path, error } => write!(f, "cannot write {path}: {error}"),
        }
    }
}

impl std::error::Error for TransactionError {}

fn io_error(path: &Path, error: io::Error) -> TransactionError {
    TransactionError::Io { path: path.display().to_string(), error }
}

/// A target checked and ready: where the bytes go and what they replace.
#[derive(Debug)]
struct Target<'a> {
    write: &'a FileWrite,
    /// The file to replace: the symlink's target when `write.path` is a symlink.
    real: PathBuf,
    temp: PathBuf,
    /// The replaced file's mode, kept; `None` for a new file.
    permissions: Option<fs::Permissions>,
}

/// What [`Transaction::commit`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub id: String,
    pub paths: Vec<String>,
}

impl Transaction {
    /// Writes every file or none, in the workspace whose lock the caller holds. `path`s are
    /// relative to that workspace's root.
    pub fn commit(&self, lock: &WorkspaceLock) -> Result<Committed, TransactionError> {
        self.prepare(lock)?.commit()
    }

    /// Whether every file still holds the text the plan read (and no file is yet where one is
    /// to be created), as far as reading them says; [`Transaction::prepare`] checks for real.
    /// For a writer that read before it took the lock and plans again if another writer went
    /// in between.
    pub fn unchanged_since_read(&self, root: &Path) -> bool {
        self.files.iter().all(|write| {
            match crate::read::regular_file(&root.join(&write.path), MAX_BYTES as u64, true) {
                Ok((_, bytes)) => !write.create && bytes == write.before.as_bytes(),
                Err(crate::read::ReadError::Io(error)) => write.create && error.kind() == io::ErrorKind::NotFound,
                Err(_) => false,
            }
        })
    }

    /// The first phase: checks every target, writes and syncs the temporary files, and checks
    /// again that no target changed. Nothing is replaced yet: [`Prepared::commit`] does that,
    /// [`Prepared::abort`] (or dropping it) leaves every file as it was. The language server
    /// prepares the files no editor has open, has the editor apply its part, and commits only
    /// if the editor did.
    pub fn prepare<'l>(&self, lock: &'l WorkspaceLock) -> Result<Prepared<'l>, TransactionError> {
        let files: Vec<&FileWrite> = self.files.iter().filter(|it| it.create || it.before != it.after).collect();
        let id = transaction_id();
        let empty = Journal {
            id: id.clone(),
            label: self.label.clone(),
            root: lock.root().to_path_buf(),
            state: JournalState::Prepared,
            files: Vec::new(),
            folders: Vec::new(),
            moves: Vec::new(),
        };
        if files.is_empty() && self.moves.is_empty() {
            return Ok(Prepared { lock, journal: empty, paths: Vec::new(), finished: true });
        }
        if files.len() > MAX_FILES {
            return Err(TransactionError::Refused {
                path: files[0].path.clone(),
                reason: format!("the change touches {} files, over the limit of {MAX_FILES}", files.len()),
            });
        }
        let total: usize = files.iter().map(|it| it.after.len()).sum();
        if total > MAX_BYTES {
            return Err(TransactionError::Refused {
                path: files[0].path.clone(),
                reason: format!("the change writes {} MiB, over the limit of {} MiB", total >> 20, MAX_BYTES >> 20),
            });
        }
        let mut targets = Vec::with_capacity(files.len());
        let mut folders: Vec<PathBuf> = Vec::new();
        for (number, write) in files.iter().enumerate() {
            let target = if write.create {
                check_new_target(lock.root(), write, &id, number, &mut folders)?
            } else {
                check_target(lock.root(), write, &id, number)?
            };
            targets.push(target);
        }
        let moves = check_moves(lock.root(), &self.moves, &files, &mut folders)?;
        let journal = Journal {
            root: lock.root().to_path_buf(),
            files: targets
                .iter()
                .map(|it| JournalFile {
                    path: it.write.path.clone(),
                    target: it.real.clone(),
                    temp: it.temp.clone(),
                    after_hash: journal::hash(it.write.after.as_bytes()),
                    before_hash: (!it.write.create).then(|| journal::hash(it.write.before.as_bytes())),
                    created: it.write.create,
                })
                .collect(),
            folders,
            moves,
            ..empty.clone()
        };
        journal.store(lock.state_dir())?;
        fault::point("prepared");
        let prepared = Prepared {
            lock,
            journal,
            paths: targets
                .iter()
                .map(|it| it.write.path.clone())
                .chain(self.moves.iter().flat_map(|it| [it.from.clone(), it.to.clone()]))
                .collect(),
            finished: false,
        };
        // The journal names the folders before they exist, so a crash from here on removes them.
        prepared.journal.create_folders()?;
        write_temps(&targets)?;
        // The window for a lost update is from here to the renames: keep it short.
        for target in &targets {
            ensure_unchanged(target)?;
        }
        for (planned, checked) in self.moves.iter().zip(&prepared.journal.moves) {
            ensure_movable(planned, checked)?;
        }
        fault::point("checked");
        Ok(prepared)
    }
}

/// A transaction whose temporary files are written and checked, waiting for its commit.
#[derive(Debug)]
pub struct Prepared<'l> {
    lock: &'l WorkspaceLock,
    journal: Journal,
    paths: Vec<String>,
    /// Committed, aborted, or nothing to do: dropping it does nothing more.
    finished: bool,
}

impl Prepared<'_> {
    /// The files it will replace, as the plan named them.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Replaces every target. Once the journal says committed, the transaction completes even
    /// if this process dies: the next command rolls it forward.
    pub fn commit(self) -> Result<Committed, TransactionError> {
        let (committed, journal) = self.commit_keeping_journal()?;
        journal.remove()?;
        Ok(committed)
    }

    /// [`Prepared::commit`] up to the sync of the renames and the removal of the journal,
    /// which the caller does with [`CommittedJournal::remove`] while it still holds the lock.
    /// Every target is replaced when this returns (what a reader sees), and the change is
    /// durable: the journal says committed, so a crash before the renames reach the disk leaves
    /// it for recovery to complete. An answer need not wait for the rest.
    pub fn commit_keeping_journal(mut self) -> Result<(Committed, CommittedJournal), TransactionError> {
        if self.paths.is_empty() {
            self.finished = true;
            let nothing = CommittedJournal { state_dir: None, directories: Vec::new() };
            return Ok((Committed { id: String::new(), paths: Vec::new() }, nothing));
        }
        // If this fails, dropping `self` rolls back: nothing was replaced yet.
        self.journal.mark_committed(self.lock.state_dir())?;
        self.journal.state = JournalState::Committed;
        // From here on the transaction only goes forward, now or at the next start.
        self.finished = true;
        fault::point("committed");
        let directories = self.journal.move_into_place()?;
        Ok((
            Committed { id: self.journal.id.clone(), paths: std::mem::take(&mut self.paths) },
            CommittedJournal { state_dir: Some(self.lock.state_dir().to_path_buf()), directories },
        ))
    }

    /// Removes the temporary files and the journal: every target stays as it was.
    pub fn abort(mut self) {
        self.roll_back();
    }

    fn roll_back(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        // Best effort on an error path: whatever stays behind, the journal still names, and
        // the next write's recovery removes it.
        if self.journal.roll_back().is_ok() {
            let _ = Journal::remove(self.lock.state_dir());
        }
    }
}

/// The journal of a transaction whose files are all in place: to remove under the lock, once
/// the renames are durable. Until then a crash leaves the journal committed, and recovery
/// completes what the disk may have lost.
#[derive(Debug)]
#[must_use = "the journal stays until removed"]
pub struct CommittedJournal {
    state_dir: Option<PathBuf>,
    /// The folders whose renames are still to be synced.
    directories: Vec<PathBuf>,
}

impl CommittedJournal {
    /// Syncs the folders of the renames, then removes the journal.
    pub fn remove(self) -> Result<(), TransactionError> {
        let Some(state_dir) = &self.state_dir else { return Ok(()) };
        sync_directories(&self.directories)?;
        Journal::remove(state_dir)
    }
}

impl Drop for Prepared<'_> {
    /// A prepared transaction dropped on an error path (or by a panic) is rolled back.
    fn drop(&mut self) {
        self.roll_back();
    }
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The transaction had not committed: its temporary files are gone and no file changed.
    RolledBack { id: String, label: String, left: Vec<String> },
    /// The transaction had committed: the remaining files were renamed into place, but those
    /// in `kept` (each with why), which were left as they are now.
    Completed { id: String, label: String, paths: Vec<String>, kept: Vec<Left> },
    /// The journal was forgotten on request (`taskmark recover --discard`): no file was touched.
    Discarded { id: String, label: String },
}

impl Recovery {
    /// The files the recovery may have changed, which anything that indexed them reads again.
    pub fn paths(&self) -> &[String] {
        match self {
            Recovery::Completed { paths, .. } => paths,
            Recovery::RolledBack { .. } | Recovery::Discarded { .. } => &[],
        }
    }
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let notes =
            |f: &mut fmt::Formatter<'_>, notes: &[String]| notes.iter().try_for_each(|note| write!(f, "; {note}"));
        match self {
            Recovery::RolledBack { id, label, left } => {
                write!(
                    f,
                    "rolled back an interrupted transaction ({label}, {id}): it stopped before committing, no file was changed"
                )?;
                notes(f, left)
            }
            Recovery::Completed { id, label, paths, kept } => {
                write!(f, "completed an interrupted transaction ({label}, {id}): ")?;
                let done = paths.iter().filter(|path| !kept.iter().any(|it| it.path == **path));
                let done: Vec<&str> = done.map(String::as_str).collect();
                match done.as_slice() {
                    [] => write!(f, "no file needed its new content")?,
                    done => write!(f, "{} now hold its new content", done.join(", "))?,
                }
                kept.iter().try_for_each(|it| write!(f, "; {}", it.note))
            }
            Recovery::Discarded { id, label } => write!(
                f,
                "discarded the journal of an interrupted transaction ({label}, {id}) without touching any file: run `taskmark check` to see where its files stand"
            ),
        }
    }
}

/// Whether the workspace under `lock` has a journal marked committed: a commit that failed
/// after that mark still goes forward (the next write's recovery completes it), one that failed
/// before it left every target as it was.
pub fn committed_journal(lock: &WorkspaceLock) -> bool {
    Journal::load(lock.state_dir()).ok().flatten().is_some_and(|it| it.state == JournalState::Committed)
}

/// Finishes or undoes a transaction a crash left behind. The caller holds the lock. It always
/// ends: what it finds changed since the crash, or not as it left it, it leaves as it is and
/// names (see [`Journal::roll_forward`]). Only a journal it cannot trust (another workspace's,
/// unreadable, naming paths outside the root) or a failing file system stops it, and the error
/// says that `taskmark recover --discard` forgets the journal.
pub fn recover(lock: &WorkspaceLock) -> Result<Option<Recovery>, TransactionError> {
    let state_dir = lock.state_dir();
    let discard_hint = |error: TransactionError| match error {
        TransactionError::Refused { path, reason } => {
            TransactionError::Refused { path, reason: with_discard_hint(reason) }
        }
        TransactionError::Conflict { path, reason } => {
            TransactionError::Conflict { path, reason: with_discard_hint(reason) }
        }
        TransactionError::Io { path, error } => {
            TransactionError::Io { path, error: io::Error::new(error.kind(), with_discard_hint(error.to_string())) }
        }
    };
    let Some(journal) = Journal::load(state_dir).map_err(discard_hint)? else { return Ok(None) };
    journal
        .check(lock.root())
        .map_err(|reason| discard_hint(journal::untrusted(&state_dir.join(journal::FILE_NAME), reason)))?;
    if journal.finished() {
        // Its renames may not be synced yet if its process was killed right after them: what
        // its own process would have done next.
        CommittedJournal { state_dir: Some(state_dir.to_path_buf()), directories: journal.directories() }
            .remove()
            .map_err(discard_hint)?;
        tracing::debug!(id = journal.id, label = journal.label, "removed the journal of a finished transaction");
        return Ok(None);
    }
    let (id, label) = (journal.id.clone(), journal.label.clone());
    let recovery = match journal.state {
        JournalState::Prepared => Recovery::RolledBack { id, label, left: journal.roll_back().map_err(discard_hint)? },
        JournalState::Committed => Recovery::Completed {
            id,
            label,
            paths: journal.files.iter().map(|it| it.path.clone()).collect(),
            kept: journal.roll_forward().map_err(discard_hint)?,
        },
    };
    Journal::remove(state_dir).map_err(discard_hint)?;
    Ok(Some(recovery))
}

fn with_discard_hint(reason: String) -> String {
    format!(
        "{reason} (`taskmark recover --discard` forgets the interrupted transaction and leaves every file as it is now)"
    )
}

/// Forgets the journal a crash left behind without acting on it: what `taskmark recover
/// --discard` does for a journal recovery cannot act on. No workspace file is touched (not
/// even a temporary file it names: the journal is not trusted). The caller holds the lock.
pub fn discard(lock: &WorkspaceLock) -> Result<Option<Recovery>, TransactionError> {
    let state_dir = lock.state_dir();
    let (id, label) = match Journal::load(state_dir) {
        Ok(Some(journal)) => (journal.id, journal.label),
        Ok(None) => return Ok(None),
        // Unreadable: named by its file.
        Err(_) => (state_dir.join(journal::FILE_NAME).display().to_string(), "a journal taskmark cannot read".into()),
    };
    Journal::remove(state_dir)?;
    Ok(Some(Recovery::Discarded { id, label }))
}

/// Takes the workspace lock for a write, finishing first any transaction a crash left behind.
pub fn begin(
    root: &Path,
    purpose: &str,
    timeout: std::time::Duration,
) -> Result<(WorkspaceLock, Option<Recovery>), TransactionError> {
    let lock = WorkspaceLock::acquire(root, purpose, timeout)?;
    let recovery = recover(&lock)?;
    Ok((lock, recovery))
}

/// [`begin`] with the state folder given (tests use their own).
pub fn begin_in(
    home: &Path,
    root: &Path,
    purpose: &str,
    timeout: std::time::Duration,
) -> Result<(WorkspaceLock, Option<Recovery>), TransactionError> {
    let lock = WorkspaceLock::acquire_in(home, root, purpose, timeout)?;
    let recovery = recover(&lock)?;
    Ok((lock, recovery))
}

/// A transaction a crash left behind, as read-only commands and the language server report it:
/// they never act on it (that would write), the next write does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub label: String,
    pub committed: bool,
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an interrupted transaction ({}, {}) is pending in this workspace: ", self.label, self.id)?;
        if self.committed {
            write!(f, "it committed, so some of its files may still hold their old content")?;
        } else {
            write!(f, "it stopped before committing (no file was changed, its temporary files remain)")?;
        }
        write!(
            f,
            "; `taskmark recover` finishes it, as does the next `taskmark set` or `fix` or status change from an editor"
        )
    }
}

/// The transaction pending in the workspace at `root`, read without taking the lock or
/// creating anything.
pub fn pending(root: &Path) -> Result<Option<Pending>, TransactionError> {
    let Ok(home) = state_dir::home() else { return Ok(None) };
    pending_in(&home, root)
}

/// [`pending`] with the state folder given (tests use their own).
pub fn pending_in(home: &Path, root: &Path) -> Result<Option<Pending>, TransactionError> {
    let Ok(root) = fs::canonicalize(root) else { return Ok(None) };
    let state_dir = state_dir::path_for(home, &root);
    // A journal under a held lock belongs to a transaction under way, not an interrupted one.
    if WorkspaceLock::is_held(&state_dir) {
        return Ok(None);
    }
    let Some(journal) = Journal::load(&state_dir)? else { return Ok(None) };
    // Only a journal the root's own checks accept is looked into; any other is reported.
    if journal.check(&root).is_ok() && journal.finished() {
        return Ok(None);
    }
    Ok(Some(Pending { id: journal.id, label: journal.label, committed: journal.state == JournalState::Committed }))
}

/// A note for a workspace that holds `.taskmark/journal`: taskmark before 0.2 kept its journal
/// there. It is never acted on (a repository could ship one), only mentioned.
pub fn ignored_journal_in_tree(root: &Path) -> Option<String> {
    let path = root.join(".taskmark").join(journal::FILE_NAME);
    fs::symlink_metadata(&path).ok().map(|_| {
        format!(
            "ignoring {}: taskmark keeps its journal outside the work tree and never acts on one found in a workspace (a repository could ship it); delete it",
            path.display()
        )
    })
}

/// How long a write waits for another one to finish its transaction: 30 s, or
/// `TASKMARK_LOCK_TIMEOUT_MS` (tests).
pub fn lock_timeout() -> std::time::Duration {
    std::env::var("TASKMARK_LOCK_TIMEOUT_MS")
        .ok()
        .and_then(|it| it.parse().ok())
        .map_or(std::time::Duration::from_secs(30), std::time::Duration::from_millis)
}

/// `pid-nanoseconds`: unique among the transactions of one workspace, which run one at a time.
fn transaction_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |it| it.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The checks before anything is written, in the order a user would want to hear them.
fn check_target<'a>(
    canonical_root: &Path,
    write: &'a FileWrite,
    id: &str,
    number: usize,
) -> Result<Target<'a>, TransactionError> {
    let refuse = |reason: String| TransactionError::Refused { path: write.path.clone(), reason };
    let relative = Path::new(&write.path);
    if relative.components().any(|it| !matches!(it, Component::Normal(_) | Component::CurDir)) {
        return Err(refuse("the path leaves the workspace root".into()));
    }
    let lexical = canonical_root.join(relative);
    let real = match fs::canonicalize(&lexical) {
        Ok(it) => it,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(TransactionError::Conflict {
                path: write.path.clone(),
                reason: "the file was deleted since it was read".into(),
            });
        }
        Err(error) => return Err(io_error(&lexical, error)),
    };
    if !real.starts_with(canonical_root) {
        return Err(refuse(format!(
            "it resolves to {}, outside the workspace root {}",
            real.display(),
            canonical_root.display()
        )));
    }
    let metadata = fs::metadata(&real).map_err(|error| io_error(&real, error))?;
    if !metadata.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    // Renaming over a file needs only the folder's permission: honour the file's own mode
    // (even as root, who may write anything) and its owner's, the way an editor saving it would.
    if metadata.permissions().readonly() {
        return Err(refuse("the file is read-only".into()));
    }
    match fs::OpenOptions::new().write(true).open(&real) {
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            return Err(refuse("no permission to write the file".into()));
        }
        Err(error) => return Err(io_error(&real, error)),
    }
    let Some(temp) = journal::temp_path(&real, id, number) else {
        return Err(refuse("the path has no parent folder".into()));
    };
    let target = Target { write, real, temp, permissions: Some(metadata.permissions()) };
    ensure_unchanged(&target)?;
    Ok(target)
}

/// The checks for a file the transaction creates: a path of plain names inside the root, no
/// file there yet, and every folder on the way either a real folder inside the root (no
/// symlink may lead elsewhere) or missing, in which case it is added to `folders`, to be created
/// after the journal names it.
fn check_new_target<'a>(
    canonical_root: &Path,
    write: &'a FileWrite,
    id: &str,
    number: usize,
    folders: &mut Vec<PathBuf>,
) -> Result<Target<'a>, TransactionError> {
    let refuse = |reason: String| TransactionError::Refused { path: write.path.clone(), reason };
    let relative = Path::new(&write.path);
    if relative.as_os_str().is_empty() || relative.components().any(|it| !matches!(it, Component::Normal(_))) {
        return Err(refuse("the path leaves the workspace root".into()));
    }
    let target = canonical_root.join(relative);
    let mut folder = canonical_root.to_path_buf();
    let parts: Vec<Component<'_>> = relative.components().collect();
    for part in &parts[..parts.len() - 1] {
        folder.push(part);
        if folders.contains(&folder) {
            continue;
        }
        match fs::symlink_metadata(&folder) {
            Ok(metadata) if metadata.file_type().is_dir() => {}
            Ok(_) => {
                return Err(refuse(format!(
                    "{} is not a folder (a file or a symlink is in the way)",
                    folder.display()
                )));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => folders.push(folder.clone()),
            Err(error) => return Err(io_error(&folder, error)),
        }
    }
    match fs::symlink_metadata(&target) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Ok(_) => {
            return Err(TransactionError::Conflict {
                path: write.path.clone(),
                reason: "a file already exists there; nothing was written".into(),
            });
        }
        Err(error) => return Err(io_error(&target, error)),
    }
    let Some(temp) = journal::temp_path(&target, id, number) else {
        return Err(refuse("the path has no parent folder".into()));
    };
    // A new file gets the mode the user's umask gives any new file, as an editor's would.
    Ok(Target { write, real: target, temp, permissions: None })
}

/// The checks for the moves: each source a real file or folder inside the root (a symlink is
/// refused: moving it would move only the link), nothing at its destination, whose missing
/// folders join `folders`; no write inside a moved path, no move inside another.
fn check_moves(
    canonical_root: &Path,
    moves: &[PathMove],
    files: &[&FileWrite],
    folders: &mut Vec<PathBuf>,
) -> Result<Vec<JournalMove>, TransactionError> {
    let mut out = Vec::with_capacity(moves.len());
    for planned in moves {
        let refuse = |reason: String| TransactionError::Refused { path: planned.from.clone(), reason };
        let plain =
            |path: &str| !path.is_empty() && Path::new(path).components().all(|it| matches!(it, Component::Normal(_)));
        if !plain(&planned.from) || !plain(&planned.to) {
            return Err(refuse(format!("moving it to {} would leave the workspace root", planned.to)));
        }
        let under = |path: &str, folder: &str| path == folder || path.starts_with(&format!("{folder}/"));
        if under(&planned.to, &planned.from) {
            return Err(refuse(format!("it cannot move into itself ({})", planned.to)));
        }
        if let Some(write) = files.iter().find(|it| under(&it.path, &planned.from) || under(&it.path, &planned.to)) {
            return Err(refuse(format!("{} is written by the same change that moves it", write.path)));
        }
        if let Some(other) = moves
            .iter()
            .find(|it| !std::ptr::eq(*it, planned) && (under(&it.from, &planned.from) || under(&it.to, &planned.to)))
        {
            return Err(refuse(format!("it overlaps another move ({} -> {})", other.from, other.to)));
        }
        let from = canonical_root.join(&planned.from);
        let parent = from.parent().map(fs::canonicalize);
        match &parent {
            Some(Ok(real)) if real.starts_with(canonical_root) && Some(real.as_path()) == from.parent() => {}
            Some(Err(error)) if error.kind() == io::ErrorKind::NotFound => {
                return Err(TransactionError::Conflict {
                    path: planned.from.clone(),
                    reason: "it was deleted since it was read".into(),
                });
            }
            _ => return Err(refuse("its folder is not a real folder inside the workspace root".into())),
        }
        match fs::symlink_metadata(&from) {
            Ok(metadata) if metadata.is_file() || metadata.is_dir() => {}
            Ok(_) => {
                return Err(refuse(
                    "it is a symlink or special file; taskmark moves only real files and folders".into(),
                ));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(TransactionError::Conflict {
                    path: planned.from.clone(),
                    reason: "it was deleted since it was read".into(),
                });
            }
            Err(error) => return Err(io_error(&from, error)),
        }
        // The destination is checked like a new file's path.
        let probe = FileWrite::create(planned.to.clone(), String::new());
        let target = check_new_target(canonical_root, &probe, "0-0", 0, folders)?;
        out.push(JournalMove { from, to: target.real });
    }
    Ok(out)
}

/// Fails unless a move's source is still there and nothing is at its destination.
fn ensure_movable(planned: &PathMove, checked: &JournalMove) -> Result<(), TransactionError> {
    if fs::symlink_metadata(&checked.from).is_err() {
        return Err(TransactionError::Conflict {
            path: planned.from.clone(),
            reason: "it was moved or deleted while taskmark worked; nothing was written, run the command again".into(),
        });
    }
    if fs::symlink_metadata(&checked.to).is_ok() {
        return Err(TransactionError::Conflict {
            path: planned.to.clone(),
            reason: "something appeared there while taskmark worked; nothing was written, run the command again".into(),
        });
    }
    Ok(())
}

/// Fails unless the target still holds exactly the text the plan was made from (for a new
/// file: unless nothing is there yet).
fn ensure_unchanged(target: &Target<'_>) -> Result<(), TransactionError> {
    if target.write.create {
        return match fs::symlink_metadata(&target.real) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            _ => Err(TransactionError::Conflict {
                path: target.write.path.clone(),
                reason: "a file appeared there while taskmark worked; nothing was written, run the command again"
                    .into(),
            }),
        };
    }
    // Through the guarded reader: a target swapped for a pipe since it was checked must not
    // block the write, nor a device fill memory.
    let bytes = match crate::read::regular_file(&target.real, MAX_BYTES as u64, false) {
        Ok((_, bytes)) => bytes,
        Err(crate::read::ReadError::Io(error)) => return Err(io_error(&target.real, error)),
        Err(other) => {
            return Err(TransactionError::Conflict {
                path: target.write.path.clone(),
                reason: format!("it is now {other}; nothing was written"),
            });
        }
    };
    if bytes == target.write.before.as_bytes() {
        return Ok(());
    }
    if std::str::from_utf8(&bytes).is_err() {
        return Err(TransactionError::Refused {
            path: target.write.path.clone(),
            reason: "the file is not valid UTF-8".into(),
        });
    }
    Err(TransactionError::Conflict {
        path: target.write.path.clone(),
        reason: "the file changed since taskmark read it; nothing was written, run the command again".into(),
    })
}

fn write_temps(targets: &[Target<'_>]) -> Result<(), TransactionError> {
    let mut files = Vec::with_capacity(targets.len());
    for target in targets {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target.temp)
            .map_err(|error| io_error(&target.temp, error))?;
        file.write_all(target.write.after.as_bytes()).map_err(|error| io_error(&target.temp, error))?;
        if let Some(permissions) = &target.permissions {
            file.set_permissions(permissions.clone()).map_err(|error| io_error(&target.temp, error))?;
        }
        files.push(file);
    }
    // Synced together: the file system can flush them in one journal commit, where one after
    // the other each waits for its own (most of a status change's write time on a VM disk).
    // Nothing goes on until every one is durable, as before.
    let synced = together(&files, |file| file.sync_all());
    for ((number, target), outcome) in targets.iter().enumerate().zip(synced) {
        outcome.map_err(|error| io_error(&target.temp, error))?;
        fault::point(&format!("temp:{number}"));
    }
    Ok(())
}

/// Runs `work` on every item, up to 16 at once (a fix batch may write hundreds of files), and
/// gives each outcome in order once every one is done.
fn together<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> io::Result<R> + Sync) -> Vec<io::Result<R>> {
    const AT_ONCE: usize = 16;
    let mut outcomes = Vec::with_capacity(items.len());
    for group in items.chunks(AT_ONCE) {
        std::thread::scope(|scope| {
            let running: Vec<_> = group.iter().map(|item| scope.spawn(|| work(item))).collect();
            outcomes.extend(
                running
                    .into_iter()
                    .map(|it| it.join().unwrap_or_else(|_| Err(io::Error::other("a sync thread panicked")))),
            );
        });
    }
    outcomes
}

/// Makes the renames and removals in `directories` durable, together.
fn sync_directories(directories: &[PathBuf]) -> Result<(), TransactionError> {
    #[cfg(unix)]
    for (directory, outcome) in directories.iter().zip(together(directories, |it| fs::File::open(it)?.sync_all())) {
        outcome.map_err(|error| io_error(directory, error))?;
    }
    #[cfg(not(unix))]
    let _ = directories;
    fault::point("synced");
    Ok(())
}

/// Makes a rename or removal in `directory` durable. Windows has no directory handles to
/// sync; there the rename itself is what NTFS journals.
fn sync_directory(directory: &Path) -> Result<(), TransactionError> {
    #[cfg(unix)]
    {
        fs::File::open(directory).and_then(|it| it.sync_all()).map_err(|error| io_error(directory, error))
    }
    #[cfg(not(unix))]
    {
        let _ = directory;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
