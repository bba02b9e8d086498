//! One workspace root as every session of this process sees it on disk: the saved files, read
//! and parsed once, and the git baseline. In the daemon, twenty editors on one workspace share
//! one host; each session's world is a copy-on-write fork of the host's index (cloning an index
//! shares its entries), so a file costs memory again only in the sessions whose editor changed
//! it in an unsaved buffer.
//!
//! The host follows the disk through its sessions: each file change any of them hears of (the
//! editor's watcher, our own watcher, a file the server wrote) is read here, and the text the
//! host keeps is handed out, so sessions share it instead of reading their own copy. A session
//! that starts later forks an index that already has those changes.
//!
//! The root is a path, and the folder at that path can be replaced whole (`rm -rf` and `git
//! clone`, `git worktree remove` and `add`, a restore from a backup): the watches die with the
//! old folder and what the host read of it says nothing of the new one. The host keeps the
//! identity of the folder it read ([`FolderIdentity`]); a load finds the folder replaced and
//! reads it again, and every session on the root is told to load it again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

use crate::claims::ClaimStore;
use crate::engine::config::{Config, Vocabularies};
use crate::engine::index::WorkspaceIndex;
use crate::engine::rules::DiagnosticStore;
use crate::folder_events::{FolderEvent, FolderHost, Listener};
use crate::git;
use crate::moves::{AnalysedMove, AnalysingTurn, ExpectedMove, Moves, NextMove};
use crate::saved::{CheckedWith, DiskFile, FolderIdentity, HeadBaseline, Saved, StoreKey, saved_file};
use crate::watch;
use crate::workspace::{self, PathFilter};
use crate::world::Shared;
use std::time::{Duration, Instant};

/// How long a session waits for another's analysis of the move it needs.
const WAIT_FOR_ANALYSIS: Duration = Duration::from_secs(2);
/// How long a file this process is writing is left to its writer to read back.
const WRITING_MARK: Duration = Duration::from_secs(2);

pub struct Host {
    root: PathBuf,
    /// Status changes and fixes on this root, one at a time: each is planned against the
    /// files and buffers the previous one left, and the recent ones explain a refusal.
    pub changes: Arc<tokio::sync::Mutex<crate::write_path::RecentChanges>>,
    /// The agents' claims on this root's tasks: a handle on the file in the state folder that
    /// every process and every worktree of the repository shares.
    pub claims: Arc<ClaimStore>,
    state: Mutex<State>,
    /// Signalled when a load finishes, for sessions that wait on one already running.
    load_finished: Condvar,
    /// The sessions the root's one disk watcher tells of changes (those whose editor cannot
    /// watch files for them).
    disk_subscribers: watch::Subscribers,
    /// The sessions told of the repository's other worktrees.
    elsewhere: crate::elsewhere::Subscribers,
    /// Signalled when a session ends its analysis of a move of the saved state, for the
    /// sessions waiting to take it (see [`crate::moves`]).
    move_analysed: Condvar,
    /// Files this process is replacing on disk, with when it said so: until the writer reads
    /// them back (all at once, one move of the saved state), a watcher's report of one of
    /// them does not move the saved state (see [`Host::writing`]).
    writing: Mutex<HashMap<String, Instant>>,
    /// Every session on the root (while its state lives, its analysis thread's inbox), told
    /// when the folder at the root was replaced.
    sessions: Mutex<Vec<(Weak<Shared>, Listener)>>,
}

#[derive(Default)]
struct State {
    saved: Option<Saved>,
    /// The count of changes to `saved` (see [`Saved::generation`]).
    generation: u64,
    /// The diagnostics the last session computed on the saved state: a session with the same
    /// key (state, rule settings, baseline) starts from a copy, which shares them all until it
    /// changes them (each session of a daemon held its own, computed again).
    store: Option<(StoreKey, DiagnosticStore)>,
    loading: bool,
    /// The disk watcher, once it runs (asked to look at the root when a load finds the folder
    /// there replaced).
    watcher: Option<watch::Control>,
    /// The replaced folder the sessions were last told of (each replacement is told once).
    told: Option<FolderIdentity>,
    /// The tracker files at git `HEAD`, indexed, with the commit they were read at.
    baseline: Option<HeadBaseline>,
    /// The changes to `saved` since it was read, and the sessions' analyses of them.
    moves: Moves,
    /// Each file a change of this process wrote as last read back, with the count of writes
    /// ([`writes`]) before that read: read after a write, it holds what that write wrote.
    read_back: HashMap<String, (u64, DiskFile)>,
    /// The next move of `saved` as changes planned on it left it, until their files are read
    /// back ([`Host::expect_written`]): a few, since two sessions can each plan a change on the
    /// same state before the first one's files are read back (the second then plans again).
    expected: VecDeque<ExpectedMove>,
    /// For each file a watcher reported, the newest report it was read for ([`Host::heard`]):
    /// every session is told of each report, and the first one to apply it reads the file for
    /// all of them.
    reports_read: HashMap<String, u64>,
}

/// How many files' reports read the host keeps ([`Host::heard`]); past that it forgets them all.
const REPORTS_KEPT: usize = 4096;

/// Whether the saved state holds `path`'s text as read (an indexed file other than prose,
/// whose text no index keeps).
fn holds_text_of(saved: Option<&Saved>, path: &str) -> bool {
    saved.is_some_and(|saved| {
        let entry = saved.index.file_id(path).and_then(|id| saved.index.entry(id));
        entry.is_some_and(|it| it.class.role != crate::engine::layout::Role::Prose)
    })
}

/// How many files' reads back the host keeps ([`Host::written`]); past that it forgets them all.
const READ_BACK_KEPT: usize = 256;

/// The writes this process committed, counted: a file read after the N-th holds what it wrote
/// (the writes of one root take turns, and each is read back after it is committed).
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Counts a write just committed; gives its number, for the sessions told to read its files
/// back ([`Host::written`]).
pub fn wrote() -> u64 {
    WRITES.fetch_add(1, Ordering::SeqCst) + 1
}

/// The count of writes committed so far: a session told of a write after it was committed
/// reads its files back after this one.
pub fn writes() -> u64 {
    WRITES.load(Ordering::SeqCst)
}

/// Whether the saved state has `file` at `path`.
fn holds(saved: Option<&Saved>, path: &str, file: &DiskFile) -> bool {
    saved.is_some() && saved_file(saved, path) == *file
}

/// Notes what a read of `paths` after write `at` gave.
fn remember_read(read_back: &mut HashMap<String, (u64, DiskFile)>, at: u64, paths: &[&str], files: &[DiskFile]) {
    if read_back.len() > READ_BACK_KEPT {
        read_back.clear();
    }
    for (path, file) in paths.iter().zip(files) {
        read_back.insert(path.to_string(), (at, file.clone()));
    }
}

/// How many planned moves the host keeps waiting for their files (each holds an index and
/// diagnostics alive).
const EXPECTED_KEPT: usize = 4;

/// The hosts of one [`crate::Hub`], by root. Weak: a host lives as long as one of its sessions.
#[derive(Default)]
pub struct Hosts(Mutex<HashMap<PathBuf, Weak<Host>>>);

impl Hosts {
    /// The host of `root`, shared with every other session of the hub on that root.
    pub fn for_root(&self, root: &Path) -> Arc<Host> {
        let mut hosts = lock(&self.0);
        hosts.retain(|_, host| host.strong_count() > 0);
        if let Some(host) = hosts.get(root).and_then(Weak::upgrade) {
            return host;
        }
        let host = Arc::new(Host {
            root: root.to_path_buf(),
            changes: Arc::new(tokio::sync::Mutex::new(crate::write_path::RecentChanges::default())),
            claims: Arc::new(ClaimStore::for_workspace(root)),
            state: Mutex::new(State::default()),
            load_finished: Condvar::new(),
            disk_subscribers: Default::default(),
            elsewhere: Default::default(),
            move_analysed: Condvar::new(),
            writing: Mutex::new(HashMap::new()),
            sessions: Mutex::new(Vec::new()),
        });
        hosts.insert(root.to_path_buf(), Arc::downgrade(&host));
        host
    }
}

impl Host {
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Tells `jobs` of every file changed under the root, starting the root's watcher (over
    /// `folders`, and reporting what changed in them and in `files` since the saved state was
    /// read) unless it runs.
    pub fn watch_disk(
        self: &Arc<Host>,
        folders: Vec<String>,
        files: Arc<std::collections::HashSet<String>>,
        jobs: Listener,
    ) -> anyhow::Result<()> {
        lock(&self.disk_subscribers).push(jobs);
        let mut state = lock(&self.state);
        if state.watcher.is_none() {
            let identity = state.saved.as_ref().and_then(|it| it.identity);
            // Without a saved state nothing says when the files were read: every one is reported.
            let read_since = state.saved.as_ref().map_or(std::time::SystemTime::UNIX_EPOCH, |it| it.read_since);
            let control = watch::spawn(
                self.root.clone(),
                identity,
                watch::Watched { folders, files, read_since },
                self.disk_subscribers.clone(),
                Arc::downgrade(self) as Weak<dyn FolderHost>,
            )?;
            state.watcher = Some(control);
        }
        Ok(())
    }

    /// Counts the session whose state is `shared` and inbox `jobs` among the sessions on the
    /// root (see [`Host::tell_replaced`]) while its state lives.
    pub fn join(&self, shared: &Arc<Shared>, jobs: Listener) {
        let mut sessions = lock(&self.sessions);
        sessions.retain(|(alive, _)| alive.strong_count() > 0);
        sessions.push((Arc::downgrade(shared), jobs));
    }

    /// The folder at the root was replaced: tells every session on the root to load it again
    /// (once per replacement; the first load reads it, the others share that read).
    pub fn tell_replaced(&self) {
        let Some(now) = FolderIdentity::of(&self.root) else { return };
        {
            let mut state = lock(&self.state);
            if state.told == Some(now) {
                return;
            }
            state.told = Some(now);
        }
        tracing::info!("{}: the folder was deleted and made again; every session reads it again", self.root.display());
        lock(&self.sessions).retain(|(_, jobs)| jobs.tell(FolderEvent::Replaced));
    }

    /// Has `jobs` told of every change in the repository's other worktrees (read with
    /// `config`) from now on; answers the newest view of them, when there is one yet.
    pub fn follow_elsewhere(
        self: &Arc<Host>,
        config: &Config,
        jobs: Listener,
    ) -> Option<Arc<Vec<crate::engine::lifecycle::across::OtherWorktree>>> {
        crate::elsewhere::subscribe(
            &self.root,
            config,
            &self.elsewhere,
            jobs,
            Arc::downgrade(self) as Weak<dyn FolderHost>,
        )
    }

    /// The saved workspace: the one already read unless `fresh` (then `load` reads it again).
    /// A session that asks while another one's load runs waits for that load instead of
    /// walking the disk a second time.
    ///
    /// The saved state is read again when the folder at the root is another one than it was
    /// read from, and the other sessions are told to load it.
    pub fn saved(&self, reading: Reading, load: impl FnOnce() -> Result<Saved, String>) -> Result<Saved, String> {
        let mut state = lock(&self.state);
        let mut fresh = reading != Reading::Shared;
        loop {
            if state.loading {
                state = self.load_finished.wait(state).unwrap_or_else(PoisonError::into_inner);
                // A read another session finished meanwhile serves a session that only wants
                // one newer than its request; it may have walked the folder before this request
                // was made, so it does not serve one that found the disk ahead of it.
                fresh = reading == Reading::AgainFromNow;
                continue;
            }
            match &state.saved {
                Some(saved) if !fresh && FolderIdentity::replaced(saved.identity, &self.root) => {
                    tracing::info!("{}: another folder than the one read: reading it", self.root.display());
                    break;
                }
                Some(saved) if !fresh => {
                    tracing::info!("{}: the files as saved, already read for another session", self.root.display());
                    return Ok(saved.clone());
                }
                _ => break,
            }
        }
        state.loading = true;
        let read_before = state.saved.as_ref().and_then(|it| it.identity);
        drop(state);
        // A panicking load must not leave every later session waiting for it.
        let finished = FinishLoad(self);
        // Taken before the walk: a folder replaced during it is found replaced next time.
        let identity = FolderIdentity::of(&self.root);
        let mut result = load();
        let mut state = lock(&self.state);
        let mut replaced = false;
        if let Ok(saved) = &mut result {
            state.generation += 1;
            saved.generation = state.generation;
            saved.identity = identity;
            state.store = None;
            state.moves.forget();
            // Read whole again: what was read back before may be older than the load's read.
            state.read_back.clear();
            state.saved = Some(saved.clone());
            // The configuration may have changed the vocabularies the baseline was parsed with.
            state.baseline = None;
            replaced = read_before.is_some() && identity.is_some() && read_before != identity;
            if replaced && let Some(watcher) = &state.watcher {
                // The old folder's watches died with it.
                watcher.check();
            }
        }
        drop(state);
        drop(finished);
        if replaced {
            self.tell_replaced();
        }
        result
    }

    /// The diagnostics of the saved state `key` names: a copy of those another session
    /// computed for the same key, else `compute`'s, kept for the next session while the state
    /// lasts (one key at a time: the sessions of a daemon mostly agree on settings).
    pub fn store(&self, key: StoreKey, compute: impl FnOnce() -> DiagnosticStore) -> DiagnosticStore {
        if let Some((kept, store)) = &lock(&self.state).store
            && *kept == key
        {
            tracing::info!("diagnostics of state {}: copied from another session's", key.generation);
            return store.clone();
        }
        tracing::info!("diagnostics of state {}: computed", key.generation);
        let store = compute();
        let mut state = lock(&self.state);
        if state.generation == key.generation {
            state.store = Some((key, store.clone()));
        }
        store
    }

    /// The git baseline for `invalid-transition`: the tracker files at `HEAD`, indexed once per
    /// commit for every session, with that commit. `None` outside a git repository.
    pub fn baseline(&self, vocabularies: &Vocabularies) -> Option<HeadBaseline> {
        // Fails outside a git repository too.
        let commit = git::commit_of(&self.root, "HEAD")?;
        if let Some(cached) = self.cached_baseline(&commit) {
            return Some(cached);
        }
        let files = git::files_at(&self.root, &commit).ok()?;
        let index = Arc::new(WorkspaceIndex::build(files, vocabularies));
        lock(&self.state).baseline = Some((commit.clone(), index.clone()));
        Some((commit, index))
    }

    /// The baseline another session already indexed, when `HEAD` is still at its commit: a
    /// session can start with it, and with the diagnostics computed with it.
    pub fn current_baseline(&self) -> Option<HeadBaseline> {
        // Nothing indexed yet: the first session does not wait for git.
        lock(&self.state).baseline.as_ref()?;
        self.cached_baseline(&git::commit_of(&self.root, "HEAD")?)
    }

    fn cached_baseline(&self, commit: &str) -> Option<HeadBaseline> {
        let state = lock(&self.state);
        let (cached, index) = state.baseline.as_ref()?;
        (cached == commit).then(|| (cached.clone(), index.clone()))
    }

    /// Which paths the saved state's walk takes (`None` before it is read, or without one).
    pub fn filter(&self) -> Option<Arc<PathFilter>> {
        lock(&self.state).saved.as_ref().and_then(|it| it.filter.clone())
    }

    /// The index of the files as saved, once read (a copy: its entries are shared).
    pub fn saved_index(&self) -> Option<WorkspaceIndex> {
        lock(&self.state).saved.as_ref().map(|it| it.index.clone())
    }

    /// Reads `path` (relative to the root) as the disk has it now, and moves the saved state
    /// to it (see [`Host::disk_all`]).
    pub fn disk(&self, path: &str) -> DiskFile {
        self.disk_all(&[path]).pop().unwrap_or(DiskFile::Missing)
    }

    /// `paths` are about to be replaced by a change of this process, which reads them back
    /// once written ([`Host::written`]). Meanwhile a watcher's report of one of them leaves the
    /// saved state as it is ([`Host::heard`]): the files of one change are one move of the
    /// saved state, analysed once, instead of one move per file as the watcher reports them
    /// (each analysed, each a state no one wrote). A mark lasts [`WRITING_MARK`] at most, for
    /// a writer that never reads back.
    pub fn writing(&self, paths: &[String]) {
        let now = Instant::now();
        self.marks().extend(paths.iter().map(|it| (it.clone(), now)));
    }

    /// The marks of [`Host::writing`] that still stand.
    fn marks(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        let mut writing = lock(&self.writing);
        writing.retain(|_, since| since.elapsed() < WRITING_MARK);
        writing
    }

    /// The files a change of this process wrote, read back: [`Host::disk_all`], and the marks
    /// of [`Host::writing`] cleared. `after_write` is the write ([`wrote`]) the files are read
    /// back after: when this host already read each of them back since, as the change's writer
    /// or another session told of it did, that read is given again instead of the disk read a
    /// sixth time (a later change to one of them by anyone else is a watcher's report, which is
    /// read: [`Host::heard`]).
    pub fn written(&self, paths: &[&str], after_write: u64) -> Vec<DiskFile> {
        {
            let mut writing = lock(&self.writing);
            for path in paths {
                writing.remove(*path);
            }
        }
        {
            let state = lock(&self.state);
            // Only while the saved state still has it: a watcher's report of a later change may
            // have been read in since.
            let again: Option<Vec<DiskFile>> = paths
                .iter()
                .map(|path| match state.read_back.get(*path) {
                    Some((at, file)) if *at >= after_write && holds(state.saved.as_ref(), path, file) => {
                        Some(file.clone())
                    }
                    _ => None,
                })
                .collect();
            if let Some(files) = again {
                return files;
            }
        }
        self.read_into_saved(paths, true)
    }

    /// Files a watcher (numbered reports) or an editor (`None`) reported changed:
    /// [`Host::disk_all`], but a file this process is writing is given as the saved state has
    /// it, until the writer reads it back, and so is a file already read for the same report
    /// or a later one (each session is told of every report: four agents and an editor read
    /// state.json five times per change).
    pub fn heard(&self, reported: &[(&str, Option<u64>)]) -> Vec<DiskFile> {
        let paths: Vec<&str> = reported.iter().map(|(path, _)| *path).collect();
        let being_written: HashSet<&str> = {
            let writing = self.marks();
            paths.iter().copied().filter(|it| writing.contains_key(*it)).collect()
        };
        let read_already: HashSet<&str> = {
            let state = lock(&self.state);
            reported
                .iter()
                .filter(|(path, report)| {
                    report.is_some_and(|report| state.reports_read.get(*path).is_some_and(|read| *read >= report))
                        && holds_text_of(state.saved.as_ref(), path)
                })
                .map(|(path, _)| *path)
                .collect()
        };
        if !read_already.is_empty() {
            tracing::debug!(files = read_already.len(), "a watcher's report already read for another session");
        }
        let read: Vec<&str> =
            paths.iter().copied().filter(|it| !being_written.contains(it) && !read_already.contains(it)).collect();
        let mut read_now = self.disk_all(&read).into_iter();
        // A checkout is thousands of reports in one batch.
        let was_read: HashSet<&str> = read.iter().copied().collect();
        let mut state = lock(&self.state);
        if state.reports_read.len() > REPORTS_KEPT {
            state.reports_read.clear();
        }
        for (path, report) in reported {
            if let Some(report) = report.filter(|_| was_read.contains(path)) {
                let newest = state.reports_read.entry(path.to_string()).or_default();
                *newest = (*newest).max(report);
            }
        }
        paths
            .iter()
            .map(|path| match being_written.contains(path) || read_already.contains(path) {
                false => read_now.next().unwrap_or(DiskFile::Missing),
                true => saved_file(state.saved.as_ref(), path),
            })
            .collect()
    }

    /// A change planned on a session's world that is the saved state is about to be written:
    /// when its files are read back ([`Host::written`]) holding what it planned, the saved state
    /// takes its re-check's index and diagnostics, and the sessions on the state before take
    /// them as the move's analysis. Anything else (another file read first, the state moved
    /// meanwhile, a text not the one planned) drops it, and the files are indexed as read.
    pub fn expect_written(&self, expected: ExpectedMove) {
        let mut state = lock(&self.state);
        if state.expected.len() == EXPECTED_KEPT {
            state.expected.pop_front();
        }
        state.expected.push_back(expected);
    }

    /// Reads `paths` (relative to the root) as the disk has them now, and moves the saved state
    /// to them, in one step: the files one change wrote are one move of the state, which the
    /// sessions without documents analyse once (see [`crate::moves`]). Where the saved state
    /// already holds a file's text, its copy is returned, so the sessions that apply the change
    /// share one text.
    pub fn disk_all(&self, paths: &[&str]) -> Vec<DiskFile> {
        self.read_into_saved(paths, false)
    }

    /// [`Host::disk_all`]; `written`: the files are a change of this process read back, which
    /// may be the move [`Host::expect_written`] expects.
    fn read_into_saved(&self, paths: &[&str], written: bool) -> Vec<DiskFile> {
        // Every session reads a change's files back (told by the change's announcement), some
        // only a part of them (an editor's open documents are its own): whichever comes first
        // reads the rest of an expected move too, and moves the saved state by all of it.
        let rest = if written { self.rest_of_expected(paths) } else { Vec::new() };
        let read_at = writes();
        let all: Vec<&str> = paths.iter().copied().chain(rest.iter().map(String::as_str)).collect();
        let mut read: Vec<DiskFile> = all
            .iter()
            .map(|path| match workspace::read_workspace_file(&self.root, path) {
                Ok(file) => DiskFile::Text(file.text),
                Err(_) if std::fs::symlink_metadata(self.root.join(path)).is_err() => DiskFile::Missing,
                Err(reason) => DiskFile::Unreadable(reason),
            })
            .collect();
        let mut state = lock(&self.state);
        let State { saved, generation, store, moves, expected, read_back, .. } = &mut *state;
        let Some(saved) = saved.as_mut() else {
            read.truncate(paths.len());
            return read;
        };
        if written {
            // Planned on a state before this one: never the move from this one.
            expected.retain(|it| it.from >= saved.generation);
            let found = expected.iter().position(|it| {
                it.from == saved.generation && it.is_what_was_read(&all, &read, &saved.known, &saved.skipped)
            });
            if let Some(expected) = found.and_then(|at| expected.remove(at)) {
                let mut files = take_expected(saved, generation, store, moves, expected, &all);
                remember_read(read_back, read_at, &all, &files);
                files.truncate(paths.len());
                return files;
            }
        }
        read.truncate(paths.len());
        let mut files = Vec::with_capacity(read.len());
        let mut moved = Vec::new();
        for (path, file) in paths.iter().zip(read) {
            let mut changed = file.record(path, &mut saved.known, &mut saved.skipped);
            let file = match file {
                DiskFile::Text(text) => match saved.index.text_at(path) {
                    Some(current) if **current == *text => DiskFile::Text(current.clone()),
                    _ => {
                        tracing::debug!("{path} changed on disk");
                        saved.index.write_file(path, text.clone(), |_, _| {});
                        changed = true;
                        DiskFile::Text(text)
                    }
                },
                DiskFile::Unreadable(_) | DiskFile::Missing => {
                    if saved.index.file_id(path).is_some() {
                        saved.index.set_file(path, None);
                        changed = true;
                    }
                    file
                }
            };
            if changed {
                moved.push((*path, file.clone()));
            }
            files.push(file);
        }
        // Every session reads the same change: only the first one moves the state on, and the
        // diagnostics kept for it stay good for the next session as long as it does not move.
        if !moved.is_empty() {
            *generation += 1;
            saved.generation = *generation;
            *store = None;
            for (path, file) in &moved {
                moves.changed(*generation, path, file);
            }
        }
        if written {
            remember_read(read_back, read_at, paths, &files);
        }
        files
    }

    /// What a session whose world is saved state `from` (no document open, see
    /// [`crate::moves`]) does to catch up with the saved state now. While another session
    /// analyses the same move, waits for it (a few seconds at most: then analyses it too).
    pub fn next_move(self: &Arc<Host>, from: u64, key: &CheckedWith) -> NextMove {
        let deadline = Instant::now() + WAIT_FOR_ANALYSIS;
        let mut state = lock(&self.state);
        while state.saved.as_ref().is_some_and(|it| it.generation != from) && state.moves.being_analysed(from, key) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = match self.move_analysed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let State { saved, moves, .. } = &mut *state;
        let Some(now) = saved.as_ref().map(|it| it.generation) else { return NextMove::Unknown };
        let host = Arc::downgrade(self);
        let ending = key.clone();
        moves.next(from, key, now, move || AnalysingTurn {
            end: Some(Box::new(move || {
                if let Some(host) = host.upgrade() {
                    lock(&host.state).moves.finished(from, &ending);
                    host.move_analysed.notify_all();
                }
            })),
        })
    }

    /// The paths of the move [`Host::expect_written`] expects from the saved state now that
    /// `paths` are part of, besides them.
    fn rest_of_expected(&self, paths: &[&str]) -> Vec<String> {
        let state = lock(&self.state);
        let Some(now) = state.saved.as_ref().map(|it| it.generation) else { return Vec::new() };
        let expected =
            state.expected.iter().find(|it| it.from == now && paths.iter().all(|path| it.paths.contains(*path)));
        expected.map_or_else(Vec::new, |it| {
            it.paths.iter().filter(|path| !paths.contains(&path.as_str())).cloned().collect()
        })
    }

    /// A session's analysis of a move, for the others on the state it started from.
    pub fn analysed(&self, analysed: AnalysedMove) {
        lock(&self.state).moves.analysed(analysed);
    }
}

/// Moves the saved state by a change whose files were read back as its re-check planned them
/// (see [`Host::expect_written`]): its index becomes the saved state's, and its analysis the
/// move's, for the sessions on the state before. Gives the files as the index holds them.
fn take_expected(
    saved: &mut Saved,
    generation: &mut u64,
    store: &mut Option<(StoreKey, DiagnosticStore)>,
    moves: &mut Moves,
    expected: ExpectedMove,
    paths: &[&str],
) -> Vec<DiskFile> {
    let ExpectedMove { from, key, index, store: diagnostics, touched, everything, .. } = expected;
    let files: Vec<DiskFile> = paths
        .iter()
        .map(|path| index.text_at(path).map_or(DiskFile::Missing, |it| DiskFile::Text(it.clone())))
        .collect();
    saved.index = index.clone();
    *generation += 1;
    saved.generation = *generation;
    for (path, file) in paths.iter().zip(&files) {
        moves.changed(*generation, path, file);
    }
    *store = Some((StoreKey { generation: *generation, checked_with: key.clone() }, diagnostics.clone()));
    let changed = paths.iter().zip(&files).map(|(path, file)| (path.to_string(), file.text())).collect();
    tracing::debug!(from, to = *generation, "the saved state moved as the change's re-check planned it");
    moves.analysed(AnalysedMove {
        from,
        to: *generation,
        key,
        index,
        known: saved.known.clone(),
        skipped: saved.skipped.clone(),
        store: diagnostics,
        touched,
        everything,
        files: changed,
    });
    files
}

impl FolderHost for Host {
    fn filter(&self) -> Option<Arc<PathFilter>> {
        Host::filter(self)
    }

    fn tell_replaced(&self) {
        Host::tell_replaced(self);
    }

    fn saved_index(&self) -> Option<WorkspaceIndex> {
        Host::saved_index(self)
    }
}

/// How a session wants the files as saved ([`Host::saved`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// What another session read, while the folder is still the one it read.
    Shared,
    /// Read again (the configuration changed); a read another session finishes meanwhile will do.
    Again,
    /// Read again by a walk that starts after the request: the session found its view missing
    /// what the disk has (read while a clone was still writing the folder).
    AgainFromNow,
}

/// Ends a load on drop, even one that panicked, and wakes the sessions waiting for it.
struct FinishLoad<'a>(&'a Host);

impl Drop for FinishLoad<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).loading = false;
        self.0.load_finished.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diagnostic::{RuleCode, Severity};

    /// A workspace with a `specs/TODO.md` holding `TODO`, in a folder of its own (hosts are
    /// per root: each test gets its own).
    fn workspace() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("specs")).expect("temp folder");
        std::fs::write(root.join("specs/TODO.md"), TODO).expect("write");
        (dir, root)
    }

    fn saved_from(root: &Path) -> Result<Saved, String> {
        let loaded = workspace::load(root, Config::default(), &|_, _| {}).map_err(|it| it.to_string())?;
        Ok(Saved {
            file_config: Config::default(),
            config_error: None,
            index: loaded.index,
            known: Arc::new(loaded.known),
            skipped: HashMap::new(),
            filter: None,
            generation: 0,
            identity: None,
            read_since: std::time::SystemTime::now(),
        })
    }

    const STATE: &str = "{\"active_projects\": [{\"project_number\": 1, \"status\": \"planned\"}]}\n";
    const STATE_AFTER: &str = "{\"active_projects\": [{\"project_number\": 1, \"status\": \"completed\"}]}\n";

    const TODO: &str =
        "# TODO\n\n## Task Order\n\n- **1** [PLANNED] — First\n\n## Tasks\n\n### 1. First\n- **Status**: [PLANNED]\n";

    #[test]
    fn sessions_on_one_root_share_one_host_and_one_read_of_each_file() {
        let (_dir, root) = workspace();
        let hosts = Hosts::default();
        let host = hosts.for_root(&root);
        assert!(Arc::ptr_eq(&host, &hosts.for_root(&root)), "a second session finds the same host");
        let loads = std::sync::atomic::AtomicUsize::new(0);
        let load = || {
            loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            saved_from(&root)
        };
        let first = host.saved(Reading::Shared, load).expect("first load");
        let second =
            host.saved(Reading::Shared, || panic!("the second session must not walk the disk again")).expect("fork");
        assert_eq!(loads.into_inner(), 1);
        let id = first.index.file_id("specs/TODO.md").expect("indexed");
        let (a, b) = (first.index.entry(id).expect("entry"), second.index.entry(id).expect("entry"));
        assert!(std::ptr::eq(a, b), "both views share the parsed file");

        // A change on disk is read once; every session applying it gets the same text.
        std::fs::write(root.join("specs/TODO.md"), TODO.replace("PLANNED", "COMPLETED")).expect("write");
        let (DiskFile::Text(one), DiskFile::Text(two)) = (host.disk("specs/TODO.md"), host.disk("specs/TODO.md"))
        else {
            panic!("the file is there")
        };
        assert!(Arc::ptr_eq(&one, &two));
        // A session starting now forks the changed state.
        let later = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        let id = later.index.file_id("specs/TODO.md").expect("indexed");
        assert!(later.index.text(id).contains("[COMPLETED]"));

        std::fs::remove_file(root.join("specs/TODO.md")).expect("remove");
        assert!(matches!(host.disk("specs/TODO.md"), DiskFile::Missing));
        let after = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        assert!(after.index.file_id("specs/TODO.md").is_none());
        assert!(!after.known.contains("specs/TODO.md"));
    }

    #[test]
    fn sessions_on_one_state_share_its_diagnostics_until_the_state_changes() {
        let (_dir, root) = workspace();
        let hosts = Hosts::default();
        let host = hosts.for_root(&root);
        let computed = std::sync::atomic::AtomicUsize::new(0);
        let store_of = |saved: &Saved, rules: &[(RuleCode, Option<Severity>)]| {
            let key = StoreKey { generation: saved.generation, checked_with: CheckedWith::new(rules, None) };
            host.store(key, || {
                computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let paths = workspace::DiskPaths { root: &root, known: &saved.known };
                DiagnosticStore::new(&saved.index, &Config::default(), None, &paths)
            })
        };
        let count = || computed.load(std::sync::atomic::Ordering::SeqCst);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let one = store_of(&first, &[]);
        let second = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        let two = store_of(&second, &[]);
        assert_eq!(count(), 1, "the second session copies the first one's diagnostics");
        assert_eq!(one.all(&first.index), two.all(&second.index));
        store_of(&second, &[(RuleCode::StatusMismatch, None)]);
        assert_eq!(count(), 2, "other rule settings: computed for them");

        std::fs::write(root.join("specs/TODO.md"), TODO.replace("PLANNED", "COMPLETED")).expect("write");
        host.disk("specs/TODO.md");
        let third = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        store_of(&third, &[]);
        assert_eq!(count(), 3, "the changed state has diagnostics of its own");
        store_of(&first, &[]);
        assert_eq!(count(), 4, "a session still on the old state does not take the new state's");
        // Another session reading the same change from the disk moves nothing on.
        host.disk("specs/TODO.md");
        let fourth = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        assert_eq!(fourth.generation, third.generation);
        store_of(&fourth, &[]);
        assert_eq!(count(), 4, "the state the change made keeps its diagnostics");
    }

    #[test]
    fn an_edit_in_one_view_leaves_the_saved_state_and_other_views_alone() {
        let (_dir, root) = workspace();
        let hosts = Hosts::default();
        let host = hosts.for_root(&root);
        let mut first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let edited: Arc<str> = Arc::from(TODO.replace("First", "Renamed"));
        let update = first.index.set_file("specs/TODO.md", Some(edited));
        assert!(update.edit.is_some(), "edited in place (the copy-on-write path): {update:?}");
        let second = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        let id = second.index.file_id("specs/TODO.md").expect("indexed");
        assert!(second.index.text(id).contains("First"), "{}", second.index.text(id));
        let places = &second.index.parsed(id).places;
        assert!(!format!("{places:?}").contains("Renamed"));
    }

    #[test]
    fn a_fresh_load_reads_the_disk_again_and_a_failed_one_keeps_the_old_state() {
        let (_dir, root) = workspace();
        let hosts = Hosts::default();
        let host = hosts.for_root(&root);
        host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let error = host.saved(Reading::Again, || Err("disk on fire".into())).err();
        assert_eq!(error.as_deref(), Some("disk on fire"));
        let kept = host.saved(Reading::Shared, || panic!("the old state is kept")).expect("kept");
        assert!(kept.index.file_id("specs/TODO.md").is_some());
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| host.saved(Reading::Again, || panic!("loader bug"))));
        assert!(outcome.is_err());
        // The panicked load does not leave the next session waiting forever.
        assert!(host.saved(Reading::Shared, || panic!("the old state is still there")).is_ok());
    }

    /// `rm -rf` and a new folder at the same path (the file system often gives it the same
    /// inode number): the saved state is read again, once, rather than handed out.
    #[test]
    fn a_root_deleted_and_made_again_is_read_again_once() {
        let (_dir, root) = workspace();
        let hosts = Hosts::default();
        let host = hosts.for_root(&root);
        let read = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        assert_eq!(read.identity, FolderIdentity::of(&root));
        std::fs::remove_dir_all(&root).expect("rm -rf");
        assert!(!FolderIdentity::replaced(read.identity, &root), "a folder that is gone is not replaced yet");
        std::fs::create_dir_all(root.join("specs")).expect("the folder again");
        std::fs::write(root.join("specs/TODO.md"), TODO.replace("PLANNED", "COMPLETED")).expect("write");
        assert!(FolderIdentity::replaced(read.identity, &root));
        let again = host.saved(Reading::Shared, || saved_from(&root)).expect("read again");
        let id = again.index.file_id("specs/TODO.md").expect("indexed");
        assert!(again.index.text(id).contains("[COMPLETED]"), "{}", again.index.text(id));
        assert_eq!(again.identity, FolderIdentity::of(&root));
        host.saved(Reading::Shared, || panic!("the new folder is read once")).expect("kept");
    }

    fn no_rules() -> CheckedWith {
        CheckedWith::new(&[], None)
    }

    /// What a session that analysed the move from `from` to `to` leaves for the others.
    fn analysed_move(saved: &Saved, from: u64, to: u64, key: CheckedWith) -> AnalysedMove {
        AnalysedMove {
            from,
            to,
            key,
            index: saved.index.clone(),
            known: saved.known.clone(),
            skipped: saved.skipped.clone(),
            store: DiagnosticStore::default(),
            touched: ["specs/TODO.md".to_string()].into(),
            everything: false,
            files: Vec::new(),
        }
    }

    #[test]
    fn a_move_of_the_saved_state_is_analysed_once_for_the_sessions_on_the_state_before() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        assert!(matches!(host.next_move(first.generation, &no_rules()), NextMove::Current));

        std::fs::write(root.join("specs/TODO.md"), TODO.replace("PLANNED", "COMPLETED")).expect("write");
        host.disk("specs/TODO.md");
        std::fs::write(root.join("specs/notes.md"), "# Notes\n").expect("write");
        host.disk("specs/notes.md");
        let NextMove::Analyse { to, files, turn } = host.next_move(first.generation, &no_rules()) else {
            panic!("the first session on the old state analyses the move")
        };
        let now = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        assert_eq!(to, now.generation);
        let changed: Vec<(&str, Option<&str>)> = files
            .iter()
            .map(|(path, file)| (path.as_str(), if let DiskFile::Text(text) = file { Some(&**text) } else { None }))
            .collect();
        let todo = TODO.replace("PLANNED", "COMPLETED");
        assert_eq!(changed, [("specs/TODO.md", Some(todo.as_str())), ("specs/notes.md", Some("# Notes\n"))]);
        host.analysed(analysed_move(&now, first.generation, to, no_rules()));
        drop(turn);

        let NextMove::Analysed(taken) = host.next_move(first.generation, &no_rules()) else {
            panic!("a second session on the old state takes the analysis")
        };
        assert_eq!((taken.from, taken.to), (first.generation, to));
        assert!(matches!(host.next_move(to, &no_rules()), NextMove::Current));
        let other = CheckedWith::new(&[(RuleCode::StatusMismatch, None)], None);
        assert!(
            matches!(host.next_move(first.generation, &other), NextMove::Analyse { .. }),
            "other rule settings: analysed for them"
        );

        // Read whole again: the moves before it cannot be caught up with.
        host.saved(Reading::Again, || saved_from(&root)).expect("read again");
        assert!(matches!(host.next_move(to, &no_rules()), NextMove::Unknown));
    }

    #[test]
    fn a_session_waits_for_the_analysis_of_its_move_that_another_has_under_way() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        std::fs::write(root.join("specs/TODO.md"), TODO.replace("PLANNED", "COMPLETED")).expect("write");
        host.disk("specs/TODO.md");
        let NextMove::Analyse { to, turn, .. } = host.next_move(first.generation, &no_rules()) else {
            panic!("the first session analyses")
        };
        let waiting = {
            let host = host.clone();
            std::thread::spawn(move || match host.next_move(first.generation, &no_rules()) {
                NextMove::Analysed(taken) => Some(taken.to),
                _ => None,
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        let now = host.saved(Reading::Shared, || panic!("no second walk")).expect("fork");
        host.analysed(analysed_move(&now, first.generation, to, no_rules()));
        drop(turn);
        assert_eq!(
            waiting.join().expect("the waiting session"),
            Some(to),
            "it took the analysis instead of making its own"
        );

        // An analysis that ends without a result (it panicked) lets the next session analyse.
        std::fs::write(root.join("specs/TODO.md"), TODO).expect("write");
        host.disk("specs/TODO.md");
        let NextMove::Analyse { turn, .. } = host.next_move(to, &no_rules()) else { panic!("analyse") };
        drop(turn);
        assert!(matches!(host.next_move(to, &no_rules()), NextMove::Analyse { .. }));
    }

    #[test]
    fn files_this_process_writes_move_the_saved_state_once_when_read_back() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let changed = TODO.replace("PLANNED", "COMPLETED");
        let written = ["specs/TODO.md".to_string(), "specs/state.json".to_string()];
        host.writing(&written);
        std::fs::write(root.join("specs/TODO.md"), &changed).expect("write");
        std::fs::write(root.join("specs/state.json"), "{\"projects\": []}").expect("write");
        // The watcher reports TODO.md first: the saved state waits for the writer.
        let heard = host.heard(&[("specs/TODO.md", None)]);
        assert!(
            matches!(&heard[..], [DiskFile::Text(text)] if &**text == TODO),
            "the saved state's text, not the disk's"
        );
        assert!(matches!(host.next_move(first.generation, &no_rules()), NextMove::Current));
        // Read back by the writer: both files, one move.
        host.written(&["specs/TODO.md", "specs/state.json"], wrote());
        let NextMove::Analyse { to, files, .. } = host.next_move(first.generation, &no_rules()) else {
            panic!("one move to analyse")
        };
        assert_eq!(to, first.generation + 1, "one generation for the change's two files");
        assert_eq!(files.len(), 2);
        // The marks are gone: a later report is the disk's again.
        std::fs::write(root.join("specs/TODO.md"), TODO).expect("write");
        assert!(matches!(&host.heard(&[("specs/TODO.md", None)])[..], [DiskFile::Text(text)] if &**text == TODO));
        assert!(host.saved(Reading::Shared, || panic!("no walk")).expect("fork").generation > to);
    }

    /// Every session is told of each watcher report: the first to apply it reads the file for
    /// all, and the others take what the saved state read (a later report, or an editor's, is
    /// read again).
    #[test]
    fn a_watcher_report_is_read_once_for_every_session_told() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let text = |files: Vec<DiskFile>| match &files[..] {
            [DiskFile::Text(text)] => text.to_string(),
            other => panic!("one text, not {}", other.len()),
        };
        let first = TODO.replace("PLANNED", "COMPLETED");
        std::fs::write(root.join("specs/TODO.md"), &first).expect("write");
        assert_eq!(text(host.heard(&[("specs/TODO.md", Some(7))])), first, "the first session reads it");
        // The disk moves on before the next report: a session told of report 7 is given the read.
        let second = TODO.replace("PLANNED", "BLOCKED");
        std::fs::write(root.join("specs/TODO.md"), &second).expect("write");
        assert_eq!(text(host.heard(&[("specs/TODO.md", Some(7))])), first, "read once for report 7");
        assert_eq!(text(host.heard(&[("specs/TODO.md", Some(6))])), first, "an older report too");
        assert_eq!(text(host.heard(&[("specs/TODO.md", None)])), second, "an editor's report is read");
        std::fs::write(root.join("specs/TODO.md"), TODO).expect("write");
        assert_eq!(text(host.heard(&[("specs/TODO.md", Some(8))])), TODO, "a later report is read");
    }

    /// What a change's re-check leaves when it rewrites TODO.md as `text`, planned on `saved`.
    fn expected(saved: &Saved, text: &str) -> ExpectedMove {
        let mut index = saved.index.clone();
        index.write_file("specs/TODO.md", Arc::from(text), |_, _| {});
        let store = DiagnosticStore::new(&index, &Config::default(), None, &*saved.known);
        ExpectedMove {
            from: saved.generation,
            key: no_rules(),
            index,
            store,
            paths: ["specs/TODO.md".to_string()].into(),
            touched: ["specs/TODO.md".to_string()].into(),
            everything: false,
        }
    }

    #[test]
    fn a_change_read_back_as_its_recheck_planned_it_is_the_move_with_no_file_indexed_again() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let changed = TODO.replace("PLANNED", "COMPLETED");
        host.expect_written(expected(&first, &changed));
        std::fs::write(root.join("specs/TODO.md"), &changed).expect("write");
        let read = host.written(&["specs/TODO.md"], wrote());
        let NextMove::Analysed(taken) = host.next_move(first.generation, &no_rules()) else {
            panic!("the re-check's index is the move's analysis: no session analyses it again")
        };
        assert_eq!((taken.from, taken.to), (first.generation, first.generation + 1));
        let now = host.saved(Reading::Shared, || panic!("no walk")).expect("fork");
        let todo = now.index.text_at("specs/TODO.md").expect("indexed");
        assert_eq!(**todo, *changed);
        assert!(
            matches!(&read[..], [DiskFile::Text(text)] if Arc::ptr_eq(text, todo)),
            "the sessions share the index's text"
        );
        assert!(Arc::ptr_eq(taken.index.text_at("specs/TODO.md").expect("indexed"), todo));
    }

    #[test]
    fn a_session_reading_back_part_of_a_change_moves_the_saved_state_by_all_of_it() {
        let (_dir, root) = workspace();
        std::fs::write(root.join("specs/state.json"), STATE).expect("write");
        let host = Hosts::default().for_root(&root);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let changed = TODO.replace("PLANNED", "COMPLETED");
        let mut expected = expected(&first, &changed);
        expected.index.write_file("specs/state.json", Arc::from(STATE_AFTER), |_, _| {});
        expected.paths.insert("specs/state.json".to_string());
        host.expect_written(expected);
        std::fs::write(root.join("specs/TODO.md"), &changed).expect("write");
        std::fs::write(root.join("specs/state.json"), STATE_AFTER).expect("write");
        // An editor with TODO.md open reads back the other file alone, first.
        let read = host.written(&["specs/state.json"], wrote());
        assert!(matches!(&read[..], [DiskFile::Text(text)] if &**text == STATE_AFTER));
        let NextMove::Analysed(taken) = host.next_move(first.generation, &no_rules()) else {
            panic!("the whole change is one move, analysed by its re-check")
        };
        assert_eq!(taken.to, first.generation + 1);
        // The writer reads back both: nothing moves again.
        host.written(&["specs/TODO.md", "specs/state.json"], wrote());
        assert!(matches!(host.next_move(taken.to, &no_rules()), NextMove::Current));
        let now = host.saved(Reading::Shared, || panic!("no walk")).expect("fork");
        assert_eq!(**now.index.text_at("specs/TODO.md").expect("indexed"), *changed);
    }

    #[test]
    fn the_sessions_told_of_a_write_take_its_first_read_back_and_a_later_write_is_read() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let completed = TODO.replace("PLANNED", "COMPLETED");
        std::fs::write(root.join("specs/TODO.md"), &completed).expect("write");
        let first = wrote();
        let read = host.written(&["specs/TODO.md"], first);
        assert!(matches!(&read[..], [DiskFile::Text(text)] if **text == *completed));
        // The disk changes under the reads back; a session told of the first write (after it)
        // takes the read made after it, without reading the disk again.
        let blocked = TODO.replace("PLANNED", "BLOCKED");
        std::fs::write(root.join("specs/TODO.md"), &blocked).expect("write");
        let told = host.written(&["specs/TODO.md"], writes());
        assert!(matches!(&told[..], [DiskFile::Text(text)] if **text == *completed), "no second read");
        // A later write is read.
        let again = host.written(&["specs/TODO.md"], wrote());
        assert!(matches!(&again[..], [DiskFile::Text(text)] if **text == *blocked));

        // A watcher's report of a change by someone else, read in before a session is told of
        // the write it follows: that session reads the disk, not the older read back.
        std::fs::write(root.join("specs/TODO.md"), &completed).expect("write");
        let after = wrote();
        host.written(&["specs/TODO.md"], after);
        std::fs::write(root.join("specs/TODO.md"), TODO).expect("write");
        host.heard(&[("specs/TODO.md", None)]);
        let told = host.written(&["specs/TODO.md"], after);
        assert!(matches!(&told[..], [DiskFile::Text(text)] if **text == *TODO), "the newer text");
    }

    #[test]
    fn a_change_read_back_otherwise_than_planned_is_indexed_as_read() {
        let (_dir, root) = workspace();
        let host = Hosts::default().for_root(&root);
        let first = host.saved(Reading::Shared, || saved_from(&root)).expect("load");
        let planned = TODO.replace("PLANNED", "COMPLETED");
        // Another writer got there between the plan and the read.
        host.expect_written(expected(&first, &planned));
        let other = TODO.replace("PLANNED", "BLOCKED");
        std::fs::write(root.join("specs/TODO.md"), &other).expect("write");
        host.written(&["specs/TODO.md"], wrote());
        assert!(
            matches!(host.next_move(first.generation, &no_rules()), NextMove::Analyse { .. }),
            "analysed from the disk's text"
        );
        let now = host.saved(Reading::Shared, || panic!("no walk")).expect("fork");
        assert_eq!(**now.index.text_at("specs/TODO.md").expect("indexed"), *other);

        // Planned on a state that has moved since: dropped, even with the planned text.
        host.expect_written(expected(&first, &planned));
        std::fs::write(root.join("specs/TODO.md"), &planned).expect("write");
        host.written(&["specs/TODO.md"], wrote());
        assert!(matches!(host.next_move(now.generation, &no_rules()), NextMove::Analyse { .. }));

        // A file read back that the change does not write (or one it writes left out): dropped.
        let now = host.saved(Reading::Shared, || panic!("no walk")).expect("fork");
        host.expect_written(expected(&now, &other));
        std::fs::write(root.join("specs/TODO.md"), &other).expect("write");
        std::fs::write(root.join("specs/notes.md"), "# Notes\n").expect("write");
        host.written(&["specs/TODO.md", "specs/notes.md"], wrote());
        assert!(matches!(host.next_move(now.generation, &no_rules()), NextMove::Analyse { .. }));
    }

    use std::panic::AssertUnwindSafe;
}
