//! The one write path of every change to a workspace (a status change, a fix, a new task, an
//! edit, an archive), whichever front door it comes from: an editor's command, the command line
//! through the daemon, an agent through `taskmark mcp` (the last two reach the daemon as its
//! commands). It knows nothing of LSP or JSON-RPC: the front door is a [`Desk`] that plans
//! against its view of the workspace, applies the editor's part of a change, and tells the other
//! editors; this module decides the order of it all.
//!
//! A change, in order:
//! 1. waits for its turn: one change at a time per workspace, from any editor or agent; planned
//!    in an editor, it first waits, without the turn, until that editor has every change made
//!    before ([`Desk::settled`]): the other editors take a change in their own time, in order,
//!    and an editor slow to take them holds up no one;
//! 2. takes the workspace lock (finishing first a transaction a crash left behind), so no other
//!    process writes in between;
//! 3. is planned against the latest state, and planned again when a file it would write
//!    changed on disk since the desk read it (another writer finished just before);
//! 4. writes its closed files in two phases around the editor's part: prepared (temporary
//!    files written and checked) before the editor is asked, committed only once every
//!    document the editor's part edits holds its new text, rolled back if one does not or the
//!    editor took too long; the editor's documents are then set back to their text before
//!    (and checked) before the change answers, so it is written whole or not at all;
//! 5. has the desk read what it wrote before the next change is planned, tells the other
//!    editors (without waiting for them), and remembers who changed which task, for the
//!    refusals of later changes.

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::engine::text::same_but_final_line_break;
use crate::transaction::{
    self, CommittedJournal, FileWrite, PathMove, Prepared, Recovery, Transaction, TransactionError, WorkspaceLock,
};

/// What a change's planning, writing or editor may fail with, as each front door says it.
pub trait ChangeError: Sized + Send {
    /// The path's own failures, in this front door's words.
    fn from_write(error: WriteError) -> Self;
    fn message(&self) -> String;
    /// Adds to the message (who changed the task last, when that explains a refusal).
    fn add_note(&mut self, note: &str);
    /// The files a plan found changed on disk since the desk read them: read them again and
    /// plan anew, rather than refuse a race that is already over.
    fn changed_on_disk(&self) -> Option<Vec<String>>;
}

/// The failures of the path itself, not of a plan.
#[derive(Debug)]
pub enum WriteError {
    /// The transaction refused the change or could not write it (names the file and reason).
    Transaction(TransactionError),
    /// The change held the turn longer than [`turn_timeout`] (its editor did not apply its part):
    /// it is dropped, rolled back, and the next change goes ahead.
    TimedOut(Duration),
    /// A task of the path itself failed (a panic on a blocking thread).
    Internal(String),
    /// The editor answered that it applied its part, but these documents (as the desk names
    /// them) do not hold their new text. Nothing was written on disk.
    NotHeld { label: String, documents: Vec<String>, set_back: SetBack },
}

/// What setting the editor's documents back to their text before did, after a failed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetBack {
    /// Every document holds its text before (none had changed, or they were set back).
    Done,
    /// These documents still hold some of the change: the editor did not take it back.
    Left(Vec<String>),
}

impl SetBack {
    /// The words a failed change ends with.
    fn said(&self) -> String {
        match self {
            SetBack::Done => "nothing was changed".into(),
            SetBack::Left(documents) => format!(
                "nothing was written on disk, but setting the editor's buffers back failed: {} still {} part of the change (undo it there)",
                documents.join(", "),
                if documents.len() == 1 { "holds" } else { "hold" }
            ),
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Transaction(error) => write!(f, "taskmark: {error}"),
            WriteError::TimedOut(limit) => write!(
                f,
                "the editor did not apply the change within {:.1} s; nothing was written, and the next change on the workspace goes ahead",
                limit.as_secs_f64()
            ),
            WriteError::Internal(message) => write!(f, "taskmark: internal error: {message}"),
            WriteError::NotHeld { label, documents, set_back } => write!(
                f,
                "the editor reported \"{label}\" applied, but {} {} not hold it; {}{}",
                documents.join(", "),
                if documents.len() == 1 { "does" } else { "do" },
                set_back.said(),
                if *set_back == SetBack::Done { "; run it again" } else { "" }
            ),
        }
    }
}

/// A change as planned: the editor's part (in the desk's own form, opaque here) and what this
/// process writes itself.
pub struct Write<P> {
    pub label: String,
    /// What the desk's editor applies: its open documents, or every file when the editor takes
    /// the closed ones too. `None` when the editor has nothing to do.
    pub editor: Option<P>,
    /// The documents the editor's part edits, with their texts before and after: what is
    /// checked once the editor says it applied its part, and set back when the change fails.
    pub documents: Vec<EditorDocument>,
    /// The closed and new files, written crash-safe by the transaction.
    pub disk: Vec<FileWrite>,
    /// The files and folders moved, in the same transaction.
    pub moves: Vec<PathMove>,
    pub warnings: Vec<String>,
}

/// A document the editor's part of a change edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorDocument {
    /// As the desk names it (a URI).
    pub name: String,
    /// Its text when the change was planned; `None` for a document the change creates.
    pub before: Option<String>,
    /// The text it must hold once the editor applied its part.
    pub after: String,
}

/// A change as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub label: String,
    /// The documents the editor's part reached (as the desk names them).
    pub reached: Vec<String>,
    /// The workspace-relative paths written on disk.
    pub written: Vec<String>,
    pub warnings: Vec<String>,
}

/// A task's status as a change left it: the refusals of later changes name it.
#[derive(Debug, Clone)]
pub struct StatusSet {
    /// As commands name it (`14` or `specs:14`).
    pub task: String,
    pub from: Option<String>,
    pub to: String,
    /// Workspace-relative paths of the files it changed.
    pub files: Vec<String>,
}

/// What a plan decided: its answer, and the change to write (none when there is nothing to
/// change, or for a dry run).
pub struct Plan<P, A, X> {
    pub answer: X,
    pub change: Option<Change<P, A>>,
}

pub struct Change<P, A> {
    pub write: Write<P>,
    /// What the other editors are told, in the desk's form.
    pub announcement: A,
    /// The status the change set, when it set one.
    pub status: Option<StatusSet>,
}

/// The front door a change comes through: its view of the workspace, its editor and the
/// editors it tells.
pub trait Desk: Sync {
    /// The workspace as this desk sees it (its index, open documents and settings).
    type World;
    /// The editor's part of a change, as this desk's editor takes it.
    type Part: Send;
    /// What the other editors are told of a change.
    type Announcement: Send;
    type Error: ChangeError;

    fn root(&self) -> PathBuf;
    /// The folder the workspace's lock and journal live in: the user's state folder, unless the
    /// desk keeps its own (tests do).
    fn state_home(&self) -> Option<PathBuf> {
        None
    }
    /// Who makes the changes: the editor or agent and its session, as refusals name it.
    fn name(&self) -> String;
    /// The turn every change on this desk's workspace takes, shared by every desk on it.
    fn turn(&self) -> Arc<tokio::sync::Mutex<RecentChanges>>;
    /// The workspace-relative paths open in the other editors on the workspace (the
    /// announcement changes those buffers; the plan must not write the files under them).
    fn open_elsewhere(&self) -> HashSet<String>;
    /// Runs `plan` on the desk's world once it holds every change made before.
    fn plan<T>(
        &self,
        what: &str,
        plan: impl FnOnce(&Self::World) -> Result<T, Self::Error> + Send,
    ) -> impl Future<Output = Result<T, Self::Error>> + Send;
    /// Has the desk read `paths` again from disk before it plans anything else.
    fn read_again(&self, paths: Vec<String>);
    /// `paths` are about to be replaced on disk, and [`Desk::read_again`] follows: the desk
    /// may take them in then, all at once, rather than as a file watcher reports each.
    fn writing(&self, _paths: &[String]) {}
    /// Keeps the desk from publishing what it reads until the guard is dropped: the editor's
    /// part and the written files reach it apart, and must be seen together.
    fn hold(&self) -> impl Send + 'static;
    /// Has the desk's editor apply its part: done when the editor answers that it did (the
    /// write path then checks what its documents hold), an error when it says it did not.
    fn apply(&self, part: Self::Part) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// Has `look` see the text a document (as the desk names it) holds now: the editor's
    /// buffer as its last change reported it, or the file on disk when the editor does not have
    /// it open; `None` when there is neither.
    fn held<T>(&self, document: &str, look: impl FnOnce(Option<&str>) -> T) -> T;
    /// Has the desk's editor set each document back to the text given, from what it holds now:
    /// done when the editor answers that it did (the write path checks it).
    fn set_back(
        &self,
        label: &str,
        documents: Vec<(String, String)>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// How long the editor may take to report the changes it made to its documents once it
    /// answered (Neovim sends them after its answer, up to 150 ms later).
    fn follow_timeout(&self) -> Duration {
        Duration::from_secs(3)
    }
    /// Tells the user what recovering an interrupted transaction did.
    fn recovered(&self, recovery: &Recovery) -> impl Future<Output = ()> + Send;
    /// Waits until every change announced to this desk before has reached it (its editor's
    /// buffers edited, the written files read): what it plans next sees them. Bounded by the
    /// desk (each delivery has a timeout).
    fn settled(&self) -> impl Future<Output = ()> + Send;
    /// Tells every other editor on the workspace, each in the order the changes were written:
    /// the workspace's next change does not wait for them ([`Desk::settled`] does, for the
    /// desk that plans it).
    fn announce(&self, announcement: Self::Announcement);
}

/// How long one change may hold its workspace's turn (mostly: its editor applying its part):
/// 60 s, or `TASKMARK_TURN_TIMEOUT_MS` (for tests). Dropping the change then rolls back what it
/// prepared on disk.
pub fn turn_timeout() -> Duration {
    static TIMEOUT: OnceLock<Duration> = OnceLock::new();
    *TIMEOUT.get_or_init(|| {
        std::env::var("TASKMARK_TURN_TIMEOUT_MS")
            .ok()
            .and_then(|it| it.parse().ok())
            .map_or(Duration::from_secs(60), Duration::from_millis)
    })
}

/// Plans and writes one change through `desk`, in turn with every other change on its
/// workspace. `task` names the task a refusal is explained for (`""` for none).
pub async fn change<D: Desk, X: Send>(
    desk: &D,
    label: &str,
    task: &str,
    plan: impl Fn(&D::World, &HashSet<String>, &Early<'_>) -> Result<Plan<D::Part, D::Announcement, X>, D::Error>
    + Send
    + Sync,
) -> Result<(X, Option<Written>), D::Error> {
    let arrived = Instant::now();
    let mut turn = turn_once_settled(desk).await;
    let turn_waited = arrived.elapsed();
    let me = desk.name();
    let elsewhere = desk.open_elsewhere();
    let started = Instant::now();
    let outcome = async {
        // What the changes before left in this desk's editor is what this one is planned on
        // (waited for inside the turn only when the workspace gave it no pause outside); the
        // other editors' deliveries go on beside it.
        desk.settled().await;
        let lock = lock_for_write(desk, label).await?;
        let locked = started.elapsed();
        let early = Early { lock: &lock, prepared: std::sync::Mutex::new(None) };
        let planned = plan_against_disk(desk, label, |world| plan(world, &elsewhere, &early)).await?;
        let planned_in = started.elapsed();
        // Dropped with the plan when it changes nothing: rolled back.
        let early = early.into_prepared();
        let Some(change) = planned.change else { return Ok((planned.answer, None)) };
        let (written, journal) = write(desk, change.write, &lock, early).await?;
        // Every file is in place and the change is durable (its journal says committed): the
        // answer does not wait for the renames to be synced and the journal to go, the lock does.
        let label_for_log = label.to_string();
        tokio::task::spawn_blocking(move || {
            if let Some(Err(error)) = journal.map(CommittedJournal::remove) {
                tracing::warn!("{label_for_log}: the transaction is complete but its journal stays: {error}");
            }
            drop(lock);
        });
        tracing::debug!(
            change = label,
            turn_us = turn_waited.as_micros() as u64,
            locked_us = locked.as_micros() as u64,
            planned_us = planned_in.as_micros() as u64,
            written_us = started.elapsed().as_micros() as u64,
            "written, from its turn"
        );
        Ok((planned.answer, Some((written, change.announcement, change.status))))
    };
    let (answer, done) = in_turn(outcome).await.map_err(|mut error: D::Error| {
        if let Some(note) = turn.explain(task, &error.message(), &me) {
            error.add_note(&note);
        }
        error
    })?;
    let Some((written, announcement, status)) = done else { return Ok((answer, None)) };
    if let Some(status) = status {
        turn.record(RecentChange {
            task: status.task,
            from: status.from,
            to: status.to,
            origin: me,
            files: status.files,
            at: Instant::now(),
        });
    }
    // The answer goes now, and the workspace's next change may start: each editor takes this
    // one in its own time, in order, and a change planned in an editor waits until it has.
    desk.announce(announcement);
    drop(turn);
    Ok((answer, Some(written)))
}

/// How many times a desk waits, outside the turn, for the changes announced to it while it
/// waited for the turn, before it waits for them inside (a workspace changing without pause).
const SETTLE_OUTSIDE_THE_TURN: usize = 4;

/// The workspace's turn, taken once this desk has every change announced to it. A desk behind
/// on earlier changes (its editor slow to apply their edits, or not answering at all, each
/// delivery timing out) waits for them without the turn: the other editors' and agents' changes
/// go ahead meanwhile. Deliveries announced while it waited for the turn are waited for outside
/// it again, a few times; after that inside it, each delivery bounded by its own timeout.
async fn turn_once_settled<D: Desk>(desk: &D) -> tokio::sync::OwnedMutexGuard<RecentChanges> {
    for _ in 0..SETTLE_OUTSIDE_THE_TURN {
        desk.settled().await;
        let turn = desk.turn().lock_owned().await;
        // Polled once: a desk with nothing left to take is settled at once.
        if tokio::time::timeout(Duration::ZERO, desk.settled()).await.is_ok() {
            return turn;
        }
        drop(turn);
    }
    desk.turn().lock_owned().await
}

async fn in_turn<T, E: ChangeError>(work: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    within(turn_timeout(), work).await
}

async fn within<T, E: ChangeError>(limit: Duration, work: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| Err(E::from_write(WriteError::TimedOut(limit))))
}

/// Takes the workspace lock for a change, finishing first a transaction a crash left behind
/// (and telling the user), so the change is planned and written with no other writer between.
async fn lock_for_write<D: Desk>(desk: &D, label: &str) -> Result<WorkspaceLock, D::Error> {
    let (root, home) = (desk.root(), desk.state_home());
    let purpose = format!("language server: {label}");
    let (lock, recovery) = tokio::task::spawn_blocking(move || match home {
        Some(home) => transaction::begin_in(&home, &root, &purpose, transaction::lock_timeout()),
        None => transaction::begin(&root, &purpose, transaction::lock_timeout()),
    })
    .await
    .map_err(|error| D::Error::from_write(WriteError::Internal(format!("{label}: {error}"))))?
    .map_err(|error| D::Error::from_write(WriteError::Transaction(error)))?;
    if let Some(recovery) = recovery {
        desk.recovered(&recovery).await;
        if let Recovery::Completed { paths, .. } = recovery {
            desk.read_again(paths);
        }
    }
    Ok(lock)
}

/// Plans with `plan`; when a file it would write changed on disk since the desk read it, has
/// the desk read those files again and plans anew (three times at most). Also what a change
/// the editor applies itself (a code action) is planned with.
pub async fn plan_against_disk<D: Desk, T>(
    desk: &D,
    what: &str,
    plan: impl Fn(&D::World) -> Result<T, D::Error> + Send + Sync,
) -> Result<T, D::Error> {
    let mut attempts = 0;
    loop {
        match desk.plan(what, &plan).await {
            Err(error)
                if attempts < 3
                    && let Some(paths) = error.changed_on_disk() =>
            {
                attempts += 1;
                desk.read_again(paths);
            }
            other => return other,
        }
    }
}

/// A change's closed files prepared on disk by its plan while the plan still checks the change
/// ([`Early::prepare_while`]): [`change`] then commits them instead of preparing them itself.
pub struct Early<'l> {
    lock: &'l WorkspaceLock,
    /// At most one: the workspace has one journal, and one transaction under its lock.
    prepared: std::sync::Mutex<Option<Prepared<'l>>>,
}

impl<'l> Early<'l> {
    fn into_prepared(self) -> Option<Prepared<'l>> {
        self.prepared.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Prepares `disk` (the temporary files written and synced, nothing replaced) on another
    /// thread while `check` runs on this one: the one waits on the disk, the other on the
    /// processor, and the change waits for the slower instead of both. When `check` refuses
    /// (or the files cannot be prepared), what was prepared is rolled back.
    pub fn prepare_while<T, E: ChangeError>(
        &self,
        label: &str,
        disk: Vec<FileWrite>,
        check: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        // An earlier attempt's files (the plan ran again) go first: rolling them back removes
        // the journal, which must not be the new one.
        drop(self.prepared.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take());
        let transaction = Transaction::new(label, disk);
        let lock = self.lock;
        let (prepared, checked) = std::thread::scope(|scope| {
            let preparing = scope.spawn(|| transaction.prepare(lock));
            let checked = check();
            (preparing.join(), checked)
        });
        let prepared = prepared
            .map_err(|_| E::from_write(WriteError::Internal(format!("{label}: preparing its files panicked"))))
            .and_then(|it| it.map_err(|error| E::from_write(WriteError::Transaction(error))));
        let checked = checked?;
        *self.prepared.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(prepared?);
        Ok(checked)
    }
}

/// Writes a planned change under the workspace `lock`: the editor's part through the desk,
/// the closed and new files (and moves) through the transaction, prepared before the editor is
/// asked (by the plan itself when `early` has them) and committed only once every document the
/// editor's part edits holds its new text. A change that fails on either side is undone on the
/// other before the error is returned: written whole or not at all. Gives back the journal
/// (none when nothing was written on disk), for the caller to remove while it still holds the
/// lock.
async fn write<'l, D: Desk>(
    desk: &D,
    write: Write<D::Part>,
    lock: &'l WorkspaceLock,
    early: Option<Prepared<'l>>,
) -> Result<(Written, Option<CommittedJournal>), D::Error> {
    let Write { label, editor, documents, disk, moves, warnings } = write;
    let reached: Vec<String> = documents.iter().map(|it| it.name.clone()).collect();
    let (prepared, moved) = match early {
        Some(_) if !disk.is_empty() || !moves.is_empty() => {
            let message = format!("{label}: planned files both prepared early and to prepare");
            return Err(D::Error::from_write(WriteError::Internal(message)));
        }
        Some(prepared) => (prepared, Vec::new()),
        None if disk.is_empty() && moves.is_empty() => {
            // Every file is open: in this editor (it applies its part), or in others (the
            // announcement edits their buffers).
            if let Some(part) = editor {
                apply_whole(desk, &label, part, &documents).await?;
            }
            return Ok((Written { label, reached, written: Vec::new(), warnings }, None));
        }
        None => {
            let moved: Vec<(String, String)> = moves.iter().map(|it| (it.from.clone(), it.to.clone())).collect();
            let prepared = Transaction { label: label.clone(), files: disk, moves }
                .prepare(lock)
                .map_err(|error| D::Error::from_write(WriteError::Transaction(error)))?;
            (prepared, moved)
        }
    };
    let written: Vec<String> = prepared.paths().to_vec();
    let hold = desk.hold();
    let in_editor = editor.is_some();
    if let Some(part) = editor {
        // On an error the prepared transaction is dropped: rolled back, nothing written.
        apply_whole(desk, &label, part, &documents).await?;
    }
    desk.writing(&written);
    let journal = match prepared.commit_keeping_journal() {
        Ok((_, journal)) => journal,
        Err(error) => {
            // Some files may have been replaced before it failed: the desk reads what is there.
            desk.read_again(written.clone());
            let mut error = D::Error::from_write(WriteError::Transaction(error));
            if in_editor {
                if transaction::committed_journal(lock) {
                    error.add_note("the editor has the change, and the files on disk get it when the interrupted transaction is finished: by the next change, or `taskmark recover`");
                } else {
                    // Nothing was replaced on disk: the editor's documents go back too.
                    error.add_note(&set_back(desk, &label, &documents).await.said());
                }
            }
            return Err(error);
        }
    };
    // The next change must plan against what was just written: each file written, and each
    // file a move took along, where it was and where it is.
    let mut paths: Vec<String> =
        written.iter().filter(|it| !moved.iter().any(|(from, to)| *it == from || *it == to)).cloned().collect();
    paths.extend(moved_files(&desk.root(), &moved));
    desk.read_again(paths);
    drop(hold);
    Ok((Written { label, reached, written, warnings }, Some(journal)))
}

/// Has the editor apply its part, then waits until every document it edits holds its new text
/// (one final line break more or less is the same text: [`same_but_final_line_break`]). An
/// editor can answer that it applied an edit and not hold it: Neovim skips an edit older than
/// its buffer, and inserts lines after the last one differently. When a document does not hold
/// it in time, or the editor says it did not apply the part, the documents are set back to
/// their text before, and checked, before the error is returned.
async fn apply_whole<D: Desk>(
    desk: &D,
    label: &str,
    part: D::Part,
    documents: &[EditorDocument],
) -> Result<(), D::Error> {
    let mut error = match desk.apply(part).await {
        Ok(()) => {
            let holds_after = |it: &EditorDocument| {
                desk.held(&it.name, |held| held.is_some_and(|held| same_but_final_line_break(held, &it.after)))
            };
            let missing = wait_until(desk, documents.iter().collect(), holds_after).await;
            if missing.is_empty() {
                return Ok(());
            }
            let set_back = set_back(desk, label, documents).await;
            return Err(D::Error::from_write(WriteError::NotHeld {
                label: label.into(),
                documents: missing,
                set_back,
            }));
        }
        Err(error) => error,
    };
    // An editor that says no may have changed some documents before it stopped, and reports
    // those changes after its answer.
    tokio::time::sleep(desk.follow_timeout() / 10).await;
    if let left @ SetBack::Left(_) = set_back(desk, label, documents).await {
        error.add_note(&left.said());
    }
    Err(error)
}

/// Waits until every one of `documents` passes `holds`, for the desk's follow timeout at most,
/// and gives the names of those that do not.
async fn wait_until<D: Desk>(
    desk: &D,
    documents: Vec<&EditorDocument>,
    holds: impl Fn(&EditorDocument) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + desk.follow_timeout();
    loop {
        let missing: Vec<String> = documents.iter().filter(|it| !holds(it)).map(|it| it.name.clone()).collect();
        if missing.is_empty() || Instant::now() >= deadline {
            return missing;
        }
        // The editor reports its changes right after answering: usually a millisecond away.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Sets the documents of a failed change back to their text before, through the desk's editor,
/// and checks that they hold it again (twice at most: a change the editor reports late can
/// land after the first). A document that holds its text before already is left alone; one
/// the change created cannot be set back, and is named if the editor has it.
async fn set_back<D: Desk>(desk: &D, label: &str, documents: &[EditorDocument]) -> SetBack {
    let holds_before = |it: &EditorDocument| {
        desk.held(&it.name, |held| match (&it.before, held) {
            (Some(before), Some(held)) => same_but_final_line_break(held, before),
            (None, held) => held.is_none_or(str::is_empty),
            // Neither open nor on disk: nothing of the change is there.
            (Some(_), None) => true,
        })
    };
    for _ in 0..2 {
        let changed: Vec<&EditorDocument> =
            documents.iter().filter(|it| it.before.is_some() && !holds_before(it)).collect();
        if changed.is_empty() {
            break;
        }
        let texts = changed.iter().filter_map(|it| Some((it.name.clone(), it.before.clone()?))).collect();
        if let Err(error) = desk.set_back(label, texts).await {
            tracing::warn!("{label}: the editor did not set its documents back: {}", error.message());
            break;
        }
        if wait_until(desk, changed, holds_before).await.is_empty() {
            break;
        }
    }
    let left: Vec<String> = documents.iter().filter(|it| !holds_before(it)).map(|it| it.name.clone()).collect();
    if left.is_empty() { SetBack::Done } else { SetBack::Left(left) }
}

/// Every file under the moved paths, where it was and where it is now (read from the disk
/// after the move): what the sessions read again after a change that moved paths.
pub fn moved_files(root: &std::path::Path, moved: &[(String, String)]) -> Vec<String> {
    fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let relative = format!("{prefix}/{name}");
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => walk(&entry.path(), &relative, out),
                Ok(kind) if kind.is_file() => out.push(relative),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for (from, to) in moved {
        let target = root.join(to);
        let mut found = Vec::new();
        if target.is_dir() {
            walk(&target, to, &mut found);
        } else {
            found.push(to.clone());
        }
        for path in found {
            if let Some(rest) = path.strip_prefix(to.as_str()) {
                out.push(format!("{from}{rest}"));
            }
            out.push(path);
        }
    }
    out
}

/// The status changes made on a root lately, newest last, so that a refused change can say
/// who changed what before it.
#[derive(Default)]
pub struct RecentChanges {
    list: std::collections::VecDeque<RecentChange>,
}

pub struct RecentChange {
    /// The task as commands name it (`specs:14`).
    pub task: String,
    pub from: Option<String>,
    pub to: String,
    /// Who made it: the editor's name and session.
    pub origin: String,
    pub files: Vec<String>,
    pub at: Instant,
}

/// How long a change is worth mentioning in a refusal.
const RECENT: Duration = Duration::from_secs(120);

impl RecentChanges {
    pub fn record(&mut self, change: RecentChange) {
        self.list.retain(|it| it.at.elapsed() < RECENT);
        if self.list.len() >= 64 {
            self.list.pop_front();
        }
        self.list.push_back(change);
    }

    /// What happened lately to `task` (as the request named it: `14` or `specs:14`), or to a
    /// file `message` names: the words a refusal ends with.
    pub fn explain(&self, task: &str, message: &str, asker: &str) -> Option<String> {
        let same_task = |it: &RecentChange| it.task == task || it.task.rsplit(':').next() == Some(task);
        let names_file = |it: &RecentChange| it.files.iter().any(|file| message.contains(file.as_str()));
        let change = self
            .list
            .iter()
            .rev()
            .filter(|it| it.at.elapsed() < RECENT && it.origin != asker)
            .find(|it| same_task(it) || names_file(it))?;
        let from = change.from.as_deref().map(|it| format!(" from {it}")).unwrap_or_default();
        Some(format!(
            "{} set task {}{from} to {} {} ago",
            change.origin,
            change.task.rsplit(':').next().unwrap_or(&change.task),
            change.to,
            ago(change.at.elapsed())
        ))
    }
}

fn ago(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format!("{} s", elapsed.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A front door with a real workspace on disk and a scripted editor.
    struct FakeDesk {
        root: tempfile::TempDir,
        name: String,
        turn: Arc<tokio::sync::Mutex<RecentChanges>>,
        /// What the editor does with its part.
        editor: Editor,
        /// Whether the editor sets its documents back when asked.
        sets_back: bool,
        /// The editor's documents, by name.
        buffers: Mutex<std::collections::HashMap<String, String>>,
        /// What the editor was asked to set back, each time.
        set_back: Mutex<Vec<Vec<(String, String)>>>,
        /// Runs when the editor applies its part, given the workspace root.
        on_apply: Option<fn(&std::path::Path)>,
        /// What the next plans find changed on disk, one entry per plan.
        stale: Mutex<Vec<Vec<String>>>,
        plans: Mutex<usize>,
        read_again: Mutex<Vec<Vec<String>>>,
        applied: Mutex<Vec<String>>,
        announced: Mutex<Vec<String>>,
        /// This desk's editor has every change announced to it while a permit is there.
        delivered: Arc<tokio::sync::Semaphore>,
    }

    /// What the fake editor does with its part.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Editor {
        /// Its documents hold exactly the text planned.
        Applies,
        /// It answers that it applied the part, and its documents hold the text planned with
        /// one line break more at the end (as Neovim did with an insertion after the last line).
        AddsAFinalLineBreak,
        /// It answers that it applied the part, and its documents hold something else.
        Garbles,
        /// It changes its documents, then answers that it did not apply the part.
        Refuses,
    }

    /// The fake editor's part: its label, and the text each document gets.
    type FakePart = (String, Vec<(String, String)>);

    /// The document the editor has open in every change of these tests.
    const OPEN: &str = "file:///open.md";
    const OPEN_BEFORE: &str = "- [ ] a [PLANNED]\n";

    #[derive(Debug)]
    struct TestError {
        message: String,
        stale: Option<Vec<String>>,
    }

    impl ChangeError for TestError {
        fn from_write(error: WriteError) -> TestError {
            TestError { message: error.to_string(), stale: None }
        }
        fn message(&self) -> String {
            self.message.clone()
        }
        fn add_note(&mut self, note: &str) {
            self.message = format!("{} ({note})", self.message);
        }
        fn changed_on_disk(&self) -> Option<Vec<String>> {
            self.stale.clone()
        }
    }

    fn state_home() -> PathBuf {
        static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
        HOME.get_or_init(|| tempfile::tempdir().expect("a temporary state folder")).path().to_path_buf()
    }

    fn desk(name: &str, todo: &str) -> FakeDesk {
        let root = tempfile::tempdir().expect("a workspace folder");
        std::fs::write(root.path().join("TODO.md"), todo).expect("TODO.md");
        FakeDesk {
            root,
            name: name.into(),
            turn: Default::default(),
            editor: Editor::Applies,
            sets_back: true,
            buffers: Mutex::new([(OPEN.to_string(), OPEN_BEFORE.to_string())].into()),
            set_back: Default::default(),
            on_apply: None,
            stale: Default::default(),
            plans: Default::default(),
            read_again: Default::default(),
            applied: Default::default(),
            announced: Default::default(),
            delivered: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    impl Desk for FakeDesk {
        type World = PathBuf;
        type Part = FakePart;
        type Announcement = String;
        type Error = TestError;

        fn root(&self) -> PathBuf {
            self.root.path().to_path_buf()
        }
        fn state_home(&self) -> Option<PathBuf> {
            Some(state_home())
        }
        fn name(&self) -> String {
            self.name.clone()
        }
        fn turn(&self) -> Arc<tokio::sync::Mutex<RecentChanges>> {
            self.turn.clone()
        }
        fn open_elsewhere(&self) -> HashSet<String> {
            HashSet::new()
        }
        async fn plan<T>(
            &self,
            _: &str,
            plan: impl FnOnce(&PathBuf) -> Result<T, TestError> + Send,
        ) -> Result<T, TestError> {
            *self.plans.lock().expect("plans") += 1;
            let mut stale = self.stale.lock().expect("stale");
            if !stale.is_empty() {
                let paths = stale.remove(0);
                return Err(TestError { message: format!("{} changed on disk", paths.join(", ")), stale: Some(paths) });
            }
            drop(stale);
            plan(&self.root())
        }
        fn read_again(&self, paths: Vec<String>) {
            self.read_again.lock().expect("read again").push(paths);
        }
        fn hold(&self) -> impl Send + 'static {}
        async fn apply(&self, (part, texts): FakePart) -> Result<(), TestError> {
            if let Some(on_apply) = self.on_apply {
                on_apply(self.root.path());
            }
            let mut buffers = self.buffers.lock().expect("buffers");
            for (document, text) in texts {
                let held = match self.editor {
                    Editor::Applies | Editor::Refuses => text,
                    Editor::AddsAFinalLineBreak => format!("{text}\n"),
                    Editor::Garbles => format!("{text}garbled\n"),
                };
                buffers.insert(document, held);
            }
            if self.editor == Editor::Refuses {
                return Err(TestError { message: format!("the editor did not apply {part}"), stale: None });
            }
            self.applied.lock().expect("applied").push(part);
            Ok(())
        }
        fn held<T>(&self, document: &str, look: impl FnOnce(Option<&str>) -> T) -> T {
            look(self.buffers.lock().expect("buffers").get(document).map(String::as_str))
        }
        async fn set_back(&self, _: &str, documents: Vec<(String, String)>) -> Result<(), TestError> {
            self.set_back.lock().expect("set back").push(documents.clone());
            if !self.sets_back {
                return Err(TestError { message: "the editor did not set it back".into(), stale: None });
            }
            self.buffers.lock().expect("buffers").extend(documents);
            Ok(())
        }
        fn follow_timeout(&self) -> Duration {
            Duration::from_millis(200)
        }
        async fn recovered(&self, _: &Recovery) {}
        async fn settled(&self) {
            let _ = self.delivered.acquire().await;
        }
        fn announce(&self, announcement: String) {
            self.announced.lock().expect("announced").push(announcement);
        }
    }

    /// A plan that sets `TODO.md` to `after`, with an editor part and the status it sets.
    fn set_todo(
        after: &'static str,
        task: &'static str,
    ) -> impl Fn(&PathBuf, &HashSet<String>, &Early<'_>) -> Result<Plan<FakePart, String, ()>, TestError> + Send + Sync
    {
        move |root, _, _| {
            let before = std::fs::read_to_string(root.join("TODO.md")).expect("TODO.md");
            Ok(Plan {
                answer: (),
                change: Some(Change {
                    write: Write {
                        label: format!("set {task}"),
                        editor: Some((format!("open part of {task}"), vec![(OPEN.into(), after.into())])),
                        documents: vec![EditorDocument {
                            name: OPEN.into(),
                            before: Some(OPEN_BEFORE.into()),
                            after: after.into(),
                        }],
                        disk: vec![FileWrite::replace("TODO.md", before, after)],
                        moves: Vec::new(),
                        warnings: Vec::new(),
                    },
                    announcement: format!("announce {task}"),
                    status: Some(StatusSet {
                        task: task.into(),
                        from: Some("[PLANNED]".into()),
                        to: "[COMPLETED]".into(),
                        files: vec!["TODO.md".into()],
                    }),
                }),
            })
        }
    }

    fn todo(desk: &FakeDesk) -> String {
        std::fs::read_to_string(desk.root.path().join("TODO.md")).expect("TODO.md")
    }

    fn temporary_files(desk: &FakeDesk) -> Vec<String> {
        std::fs::read_dir(desk.root.path())
            .expect("the workspace")
            .flatten()
            .map(|it| it.file_name().to_string_lossy().into_owned())
            .filter(|it| it.contains(".taskmark-"))
            .collect()
    }

    #[tokio::test]
    async fn a_change_is_written_read_again_and_announced() {
        let desk = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        let (_, written) = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect("written");
        let written = written.expect("a change");
        assert_eq!(written.written, ["TODO.md"]);
        assert_eq!(written.reached, ["file:///open.md"]);
        assert_eq!(todo(&desk), "- [x] a [COMPLETED]\n");
        assert_eq!(*desk.applied.lock().expect("applied"), ["open part of 1"]);
        assert_eq!(*desk.read_again.lock().expect("read"), [vec!["TODO.md".to_string()]]);
        assert_eq!(*desk.announced.lock().expect("announced"), ["announce 1"]);
        assert!(temporary_files(&desk).is_empty());
    }

    /// A plan that prepares TODO.md's new text early while `check` runs, and then fails if
    /// `fail_after` says so.
    fn set_todo_early(
        after: &'static str,
        check: impl Fn() -> Result<(), TestError> + Send + Sync,
        fail_after: bool,
    ) -> impl Fn(&PathBuf, &HashSet<String>, &Early<'_>) -> Result<Plan<FakePart, String, ()>, TestError> + Send + Sync
    {
        let plan = set_todo(after, "1");
        move |root, elsewhere, early| {
            let mut planned = plan(root, elsewhere, early)?;
            let change = planned.change.as_mut().expect("a change");
            let disk = std::mem::take(&mut change.write.disk);
            early.prepare_while("set 1", disk, &check)?;
            if fail_after {
                return Err(TestError { message: "the plan failed after preparing".into(), stale: None });
            }
            Ok(planned)
        }
    }

    /// Asserts that TODO.md says `todo` and that the change left nothing behind: no temporary
    /// file, and no journal (its removal is not on the answer's path: waited for a while).
    async fn assert_left(desk: &FakeDesk, todo_text: &str) {
        assert_eq!(todo(desk), todo_text);
        assert!(temporary_files(desk).is_empty(), "{:?}", temporary_files(desk));
        let canonical = desk.root.path().canonicalize().expect("a canonical root");
        let journal = transaction::state_dir::path_for(&state_home(), &canonical).join("journal");
        for _ in 0..200 {
            if !journal.exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the journal stays: {}", journal.display());
    }

    #[tokio::test]
    async fn files_prepared_while_the_plan_checks_are_committed_with_the_change() {
        let desk = desk("taskmark mcp (session 1)", "- [ ] a [PLANNED]\n");
        let plan = set_todo_early("- [x] a [COMPLETED]\n", || Ok(()), false);
        let (_, written) = change(&desk, "set 1", "1", plan).await.expect("written");
        let written = written.expect("a change");
        assert_eq!(written.written, ["TODO.md"]);
        assert_eq!(*desk.applied.lock().expect("applied"), ["open part of 1"]);
        assert_eq!(*desk.read_again.lock().expect("read"), [vec!["TODO.md".to_string()]]);
        assert_left(&desk, "- [x] a [COMPLETED]\n").await;
    }

    #[tokio::test]
    async fn a_check_that_refuses_rolls_back_the_files_prepared_beside_it() {
        let desk = desk("taskmark mcp (session 1)", "- [ ] a [PLANNED]\n");
        let refuse = || Err(TestError { message: "the change leaves drift".into(), stale: None });
        let error = change(&desk, "set 1", "1", set_todo_early("- [x] a [COMPLETED]\n", refuse, false))
            .await
            .expect_err("refused");
        assert_eq!(error.message, "the change leaves drift");
        assert_left(&desk, "- [ ] a [PLANNED]\n").await;
        assert!(desk.announced.lock().expect("announced").is_empty());

        // A plan that fails after its files were prepared leaves nothing either.
        let error = change(&desk, "set 1", "1", set_todo_early("- [x] a [COMPLETED]\n", || Ok(()), true))
            .await
            .expect_err("failed");
        assert_eq!(error.message, "the plan failed after preparing");
        assert_left(&desk, "- [ ] a [PLANNED]\n").await;

        // And the workspace takes the next change.
        let plan = set_todo_early("- [x] a [COMPLETED]\n", || Ok(()), false);
        change(&desk, "set 1", "1", plan).await.expect("written");
        assert_eq!(todo(&desk), "- [x] a [COMPLETED]\n");
    }

    #[tokio::test]
    async fn a_plan_run_again_prepares_its_files_again_and_only_the_last_are_written() {
        let desk = desk("taskmark mcp (session 1)", "- [ ] a [PLANNED]\n");
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let plan = |root: &PathBuf, _: &HashSet<String>, early: &Early<'_>| {
            let attempt = attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let before = std::fs::read_to_string(root.join("TODO.md")).expect("TODO.md");
            let after = format!("- [x] a [COMPLETED] attempt {attempt}\n");
            early.prepare_while("set 1", vec![FileWrite::replace("TODO.md", before, after)], || Ok(()))?;
            if attempt == 0 {
                // Found stale after preparing: planned again.
                return Err(TestError {
                    message: "TODO.md changed on disk".into(),
                    stale: Some(vec!["TODO.md".into()]),
                });
            }
            Ok(Plan {
                answer: (),
                change: Some(Change {
                    write: Write {
                        label: "set 1".into(),
                        editor: None,
                        documents: Vec::new(),
                        disk: Vec::new(),
                        moves: Vec::new(),
                        warnings: Vec::new(),
                    },
                    announcement: "announce 1".into(),
                    status: None,
                }),
            })
        };
        let (_, written) = change(&desk, "set 1", "1", plan).await.expect("written");
        assert_eq!(written.expect("a change").written, ["TODO.md"]);
        assert_left(&desk, "- [x] a [COMPLETED] attempt 1\n").await;
    }

    #[tokio::test]
    async fn an_editor_that_refuses_its_part_leaves_the_disk_as_it_was_and_the_turn_free() {
        let mut desk = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        desk.editor = Editor::Refuses;
        let error = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect_err("refused");
        assert!(error.message.contains("did not apply open part of 1"), "{}", error.message);
        assert_eq!(todo(&desk), "- [ ] a [PLANNED]\n", "the prepared transaction was rolled back");
        // What the editor changed before it said no was set back.
        assert_eq!(buffer(&desk), OPEN_BEFORE);
        assert_eq!(*desk.set_back.lock().expect("set back"), [vec![(OPEN.to_string(), OPEN_BEFORE.to_string())]]);
        assert!(temporary_files(&desk).is_empty(), "{:?}", temporary_files(&desk));
        assert!(desk.announced.lock().expect("announced").is_empty(), "a refused change is not announced");
        desk.editor = Editor::Applies;
        let (_, written) = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect("next");
        assert!(written.is_some());
        assert_eq!(todo(&desk), "- [x] a [COMPLETED]\n");
    }

    fn buffer(desk: &FakeDesk) -> String {
        desk.buffers.lock().expect("buffers")[OPEN].clone()
    }

    #[tokio::test]
    async fn an_editor_whose_buffer_has_the_change_and_a_line_break_more_has_it_whole() {
        let mut desk = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        desk.editor = Editor::AddsAFinalLineBreak;
        let (_, written) = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect("written");
        assert_eq!(written.expect("a change").written, ["TODO.md"]);
        assert_eq!(buffer(&desk), "- [x] a [COMPLETED]\n\n");
        assert_left(&desk, "- [x] a [COMPLETED]\n").await;
        assert!(desk.set_back.lock().expect("set back").is_empty());
        assert_eq!(*desk.announced.lock().expect("announced"), ["announce 1"]);
    }

    #[tokio::test]
    async fn an_editor_that_says_applied_and_holds_something_else_is_set_back_and_the_disk_left() {
        let mut desk = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        desk.editor = Editor::Garbles;
        let error = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect_err("refused");
        assert_eq!(
            error.message,
            "the editor reported \"set 1\" applied, but file:///open.md does not hold it; nothing was changed; run it again"
        );
        assert_eq!(buffer(&desk), OPEN_BEFORE, "the buffer was set back");
        assert_eq!(*desk.set_back.lock().expect("set back"), [vec![(OPEN.to_string(), OPEN_BEFORE.to_string())]]);
        assert_left(&desk, "- [ ] a [PLANNED]\n").await;
        assert!(desk.announced.lock().expect("announced").is_empty());
        assert!(desk.read_again.lock().expect("read").is_empty());

        // An editor that does not set it back either: the answer says what is left where.
        desk.sets_back = false;
        desk.buffers.lock().expect("buffers").insert(OPEN.into(), OPEN_BEFORE.into());
        let error = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect_err("refused");
        assert_eq!(
            error.message,
            "the editor reported \"set 1\" applied, but file:///open.md does not hold it; nothing was written on disk, but setting the editor's buffers back failed: file:///open.md still holds part of the change (undo it there)"
        );
        assert_left(&desk, "- [ ] a [PLANNED]\n").await;

        // The workspace takes the next change, whole.
        desk.editor = Editor::Applies;
        desk.buffers.lock().expect("buffers").insert(OPEN.into(), OPEN_BEFORE.into());
        change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect("written");
        assert_eq!(buffer(&desk), "- [x] a [COMPLETED]\n");
        assert_left(&desk, "- [x] a [COMPLETED]\n").await;
    }

    #[tokio::test]
    async fn a_commit_that_fails_after_the_editor_applied_its_part_sets_the_editor_back() {
        let mut desk = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        // The journal gone before it is marked committed: the commit fails with nothing replaced.
        desk.on_apply = Some(|root| {
            let canonical = root.canonicalize().expect("a canonical root");
            let journal = transaction::state_dir::path_for(&state_home(), &canonical).join("journal");
            std::fs::remove_file(journal).expect("the prepared journal");
        });
        let error = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect_err("failed");
        assert!(error.message.ends_with("(nothing was changed)"), "{}", error.message);
        assert_eq!(buffer(&desk), OPEN_BEFORE, "the buffer was set back");
        assert_left(&desk, "- [ ] a [PLANNED]\n").await;
        assert!(desk.announced.lock().expect("announced").is_empty());
    }

    #[tokio::test]
    async fn a_plan_that_finds_its_files_changed_on_disk_reads_them_again_and_plans_anew() {
        let desk = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        *desk.stale.lock().expect("stale") = vec![vec!["TODO.md".into()], vec!["TODO.md".into()]];
        let (_, written) = change(&desk, "set 1", "1", set_todo("- [x] a [COMPLETED]\n", "1")).await.expect("written");
        assert!(written.is_some());
        assert_eq!(*desk.plans.lock().expect("plans"), 3);
        assert_eq!(
            desk.read_again.lock().expect("read")[..2],
            [vec!["TODO.md".to_string()], vec!["TODO.md".to_string()]]
        );

        // A file that keeps changing is refused, not planned forever.
        *desk.stale.lock().expect("stale") = vec![vec!["TODO.md".into()]; 10];
        let error = change(&desk, "set 1", "1", set_todo("x\n", "1")).await.expect_err("refused");
        assert!(error.message.contains("TODO.md changed on disk"), "{}", error.message);
        assert_eq!(*desk.plans.lock().expect("plans"), 3 + 4);
        assert_eq!(todo(&desk), "- [x] a [COMPLETED]\n");
    }

    #[tokio::test]
    async fn a_refusal_says_who_changed_the_task_last() {
        let neovim = desk("Neovim (session 1)", "- [ ] a [PLANNED]\n");
        let mut agent = desk("taskmark mcp (session 2)", "");
        agent.turn = neovim.turn.clone();
        change(&neovim, "set 1", "specs:1", set_todo("- [x] a [COMPLETED]\n", "specs:1")).await.expect("written");
        let refuse =
            |_: &PathBuf, _: &HashSet<String>, _: &Early<'_>| -> Result<Plan<FakePart, String, ()>, TestError> {
                Err(TestError { message: "cannot go from [COMPLETED] to [IN PROGRESS]".into(), stale: None })
            };
        let error = change(&agent, "set 1", "1", refuse).await.expect_err("refused");
        assert!(
            error.message.contains("(Neovim (session 1) set task 1 from [PLANNED] to [COMPLETED] "),
            "{}",
            error.message
        );
        // One's own change explains nothing.
        let error = change(&neovim, "set 1", "1", refuse).await.expect_err("refused");
        assert!(!error.message.contains("set task"), "{}", error.message);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_waits_without_the_turn_until_its_own_editor_has_the_last_one() {
        // An agent and an editor on one workspace; the editor has not taken the agent's change
        // (its client is slow to apply edits) and asks for a change of its own: it waits for its
        // delivery, and the agent's next change goes ahead meanwhile.
        let agent = desk("taskmark mcp (session 1)", "- [ ] a [PLANNED]\n- [ ] b [PLANNED]\n");
        let mut editor = desk("Neovim (session 2)", "- [ ] a [PLANNED]\n- [ ] b [PLANNED]\n");
        editor.turn = agent.turn.clone();
        editor.delivered = Arc::new(tokio::sync::Semaphore::new(0));
        let editor = Arc::new(editor);
        change(&agent, "set 1", "1", set_todo("- [x] a [COMPLETED]\n- [ ] b [PLANNED]\n", "1"))
            .await
            .expect("answered before the editor has it");
        let planning = editor.clone();
        let waiting = tokio::spawn(async move {
            change(&*planning, "set 2", "2", set_todo("- [ ] a [PLANNED]\n- [x] b [COMPLETED]\n", "2"))
                .await
                .map(|_| ())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let agents_next = change(&agent, "set 1", "1", set_todo("- [ ] a [PLANNED]\n- [ ] b [PLANNED]\n", "1"));
        tokio::time::timeout(Duration::from_secs(2), agents_next)
            .await
            .expect("the agent's change was held up by an editor waiting for its deliveries")
            .expect("written");
        assert_eq!(*agent.plans.lock().expect("plans"), 2);
        assert!(!waiting.is_finished(), "the editor planned before it had the last change");
        assert_eq!(*editor.plans.lock().expect("plans"), 0);
        editor.delivered.add_permits(1);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("its turn came")
            .expect("ran")
            .expect("written");
        assert_eq!(*editor.plans.lock().expect("plans"), 1);
        assert_eq!(todo(&editor), "- [ ] a [PLANNED]\n- [x] b [COMPLETED]\n");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_next_change_does_not_wait_for_the_other_editors() {
        let agent = desk("taskmark mcp (session 1)", "- [ ] a [PLANNED]\n");
        // An editor that never takes the change: its deliveries are its own affair.
        let mut editor = desk("Neovim (session 2)", "- [ ] a [PLANNED]\n");
        editor.turn = agent.turn.clone();
        editor.delivered = Arc::new(tokio::sync::Semaphore::new(0));
        for (step, text) in
            ["- [x] a [COMPLETED]\n", "- [ ] a [PLANNED]\n", "- [x] a [COMPLETED]\n"].into_iter().enumerate()
        {
            tokio::time::timeout(Duration::from_secs(10), change(&agent, "set 1", "1", set_todo(text, "1")))
                .await
                .unwrap_or_else(|_| panic!("change {step} waited for another editor"))
                .expect("written");
            assert_eq!(todo(&agent), text);
        }
        assert_eq!(*agent.announced.lock().expect("announced"), ["announce 1"; 3]);
    }

    #[tokio::test]
    async fn a_change_that_holds_the_turn_too_long_is_dropped() {
        let error = within(Duration::from_millis(20), std::future::pending::<Result<(), TestError>>())
            .await
            .expect_err("timed out");
        assert!(error.message.contains("did not apply the change within 0.0 s"), "{}", error.message);
    }

    #[test]
    fn a_refusal_names_the_last_change_of_its_task_or_file_by_someone_else() {
        let mut recent = RecentChanges::default();
        let change = |task: &str, to: &str, origin: &str| RecentChange {
            task: task.into(),
            from: Some("[PLANNED]".into()),
            to: to.into(),
            origin: origin.into(),
            files: vec!["specs/state.json".into()],
            at: Instant::now(),
        };
        recent.record(change("specs:14", "[IMPLEMENTING]", "Visual Studio Code (session 1)"));
        recent.record(change("specs:12", "[COMPLETED]", "Neovim (session 2)"));
        let said = recent.explain("14", "cannot go there", "taskmark set (session 3)").expect("explained");
        assert!(
            said.starts_with("Visual Studio Code (session 1) set task 14 from [PLANNED] to [IMPLEMENTING] "),
            "{said}"
        );
        let by_file =
            recent.explain("99", "conflict on specs/state.json: changed", "taskmark set (session 3)").expect("by file");
        assert!(by_file.starts_with("Neovim (session 2) set task 12"), "{by_file}");
        assert_eq!(recent.explain("14", "x", "Visual Studio Code (session 1)"), None, "not one's own change");
        assert_eq!(recent.explain("99", "no file named", "x"), None);
    }
}
