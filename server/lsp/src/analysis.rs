//! The analysis thread: the one writer of the world. It takes jobs (document changes, files
//! changed on disk, configuration, a finished workspace load), applies everything pending at
//! once, so a burst of keystrokes is analysed once at its latest text (the per-document
//! debounce, without a timer's latency), re-runs only the rules whose inputs changed, and
//! queues the diagnostics that changed for the connection to send.
//!
//! Loading the whole workspace runs on a thread of its own, so editing is never blocked
//! behind it: until it lands, the world holds the open documents only.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::{self as lsp, MessageType, Uri};

use crate::convert;
use crate::engine::config::{self, Config, ConfigError};
use crate::engine::diagnostic::{RuleCode, Severity};
use crate::engine::index::{Update, WorkspaceIndex};
use crate::engine::rules::{Baseline, DiagnosticStore, Pending};
use crate::engine::text::{Change, LineIndex, PositionEncoding, size};
use crate::folder_events::{FolderEvent, Listener};
use crate::host::{Host, Reading};
use crate::moves::{AnalysedMove, NextMove};
use crate::saved::{CheckedWith, DiskFile, HeadBaseline, Saved, StoreKey};
use crate::settings::{DiagnosticMode, Settings};
use crate::workspace::{self, DiskPaths, PathFilter};
use crate::world::{CachedPaths, Shared, World, lock};

pub enum Job {
    /// A document was opened, changed or closed; `sequence` numbers the change.
    Document {
        uri: Uri,
        sequence: u64,
    },
    /// A file changed on disk (or vanished): reported by the watcher (numbered), or by the
    /// editor.
    Disk {
        path: String,
        report: Option<u64>,
    },
    /// The server wrote these files itself; requests numbered after `sequence` must see them.
    Written {
        paths: Vec<String>,
        sequence: u64,
        /// The write they are read back after ([`crate::host::wrote`]).
        after_write: u64,
    },
    Settings(Settings),
    /// A change to several files is arriving in parts (an editor's buffers, files written on
    /// disk): analyse the parts as they come, but publish nothing until the matching `Release`,
    /// so the editor never shows the half-applied state as disagreements.
    Hold,
    Release,
    /// Walk, read and index everything again (also after `.taskmark.toml` changed).
    Reindex,
    /// The folder at the root may have been deleted and made again (see [`Host::tell_replaced`]).
    Replaced,
    Loaded(u64, Box<Result<Loaded, String>>),
    /// The git baseline, found after the load numbered so.
    Baseline(u64, Box<FoundBaseline>),
    /// The repository's other worktrees, as saved there now.
    Elsewhere(Arc<Vec<crate::engine::lifecycle::across::OtherWorktree>>),
    Stop,
}

/// A path a refusal of files changed on disk ([`crate::errors::changed_since_read`]) may name:
/// the whole workspace, to be walked and read again.
pub const WHOLE_WORKSPACE: &str = ".";

/// What the connection sends to its client, in order.
pub enum Outgoing {
    Diagnostics {
        uri: Uri,
        version: Option<i32>,
        diagnostics: Vec<lsp::Diagnostic>,
    },
    /// Lenses and hints may have changed, and diagnostics too when `diagnostics` (pull mode).
    Refresh {
        diagnostics: bool,
    },
    ProgressBegin {
        title: String,
    },
    ProgressReport {
        done: usize,
        total: usize,
    },
    ProgressEnd {
        message: String,
    },
    Log {
        level: MessageType,
        message: String,
    },
    Show {
        level: MessageType,
        message: String,
    },
}

/// How messages name the git baseline.
const BASELINE_LABEL: &str = "HEAD";

/// `baseline` as the rules take it.
pub(crate) fn rules_baseline(baseline: Option<&HeadBaseline>) -> Option<Baseline<'_>> {
    baseline.map(|(_, index)| Baseline { index, label: BASELINE_LABEL.to_string() })
}

/// What the diagnostics of the saved state `generation` depend on besides it.
fn store_key(generation: u64, rules: &[(RuleCode, Option<Severity>)], baseline: Option<&HeadBaseline>) -> StoreKey {
    StoreKey { generation, checked_with: CheckedWith::new(rules, baseline) }
}

/// The workspace as this session sees it once loaded: the host's saved state, with this
/// session's configuration and diagnostics.
pub struct Loaded {
    /// The saved state, its index with the editor's open documents written over it.
    saved: Saved,
    /// No open document differed from the saved state: the index is the saved one.
    pristine: bool,
    config: Config,
    /// The rule settings `config` and `store` were made with.
    rules: Vec<(RuleCode, Option<Severity>)>,
    /// The git baseline `store` was computed with (see [`Host::current_baseline`]).
    baseline: Option<HeadBaseline>,
    store: DiagnosticStore,
    elapsed: Duration,
}

/// The git baseline a load found after it, and, when the load had used another one, the loaded
/// index's diagnostics rechecked with it: on the loader thread, so that editing never waits
/// behind a whole-workspace recheck.
pub struct FoundBaseline {
    baseline: Option<HeadBaseline>,
    rechecked: Option<Rechecked>,
}

/// A load's diagnostics computed again (with a new baseline).
struct Rechecked {
    /// The loaded index they were computed on (the saved state's, with the open documents).
    index: WorkspaceIndex,
    /// The rule settings they were computed with.
    rules: Vec<(RuleCode, Option<Severity>)>,
    store: DiagnosticStore,
}

pub struct Analysis {
    shared: Arc<Shared>,
    /// The saved workspace this session's world forks, shared with the process's other
    /// sessions on the same root.
    host: Arc<Host>,
    jobs: Receiver<Job>,
    /// For the loader threads to report back.
    jobs_sender: Sender<Job>,
    outgoing: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    encoding: PositionEncoding,
    /// Paths whose last published diagnostics were not empty (push mode), with what was
    /// published: a file whose diagnostics did not change is not sent again.
    published: HashMap<String, Published>,
    /// The newest load started; older ones finishing late are dropped.
    load_generation: u64,
    /// Files heard changed on disk while a load runs on its thread (`Some` then): its walk may
    /// have read them before they changed (a clone still writing the folder), so they are read
    /// again once it is in.
    heard_while_loading: Option<BTreeSet<String>>,
    /// The git baseline for invalid transitions.
    baseline: Option<HeadBaseline>,
    /// The generation of the saved state this session's world still is (nothing written to
    /// it since it was installed): its diagnostics are the same as any other session's on
    /// that state, and are shared through the host.
    pristine: Option<u64>,
    /// The last text written to each file since the last load was installed, kept until its
    /// baseline arrives: rechecked on the loaded index, the diagnostics are brought up to this
    /// session's world by writing them again.
    written: Option<HashMap<String, Option<Arc<str>>>>,
    /// Watch the disk ourselves (the client cannot); started after the first load.
    watch_disk: bool,
    /// This session hears of the repository's other worktrees (asked once, after the first load).
    follows_elsewhere: bool,
    /// `Hold`s not yet released, and what changed meanwhile: these paths, or everything.
    held: u32,
    held_changes: Option<BTreeSet<String>>,
    held_everything: bool,
    /// Documents this batch opened as saved, whose first edit would copy what the world shares
    /// with the saved state (see [`WorkspaceIndex::own_for_editing`]).
    opened_as_saved: Vec<String>,
    /// The text this session last gave the index for each open document (or found there, the
    /// document opened as saved): the document's next change applies to the index only while
    /// the index still has this very text.
    document_texts: HashMap<String, Arc<str>>,
}

/// What was last published for a file.
#[derive(PartialEq, Eq)]
struct Published {
    version: Option<i32>,
    fingerprint: u64,
}

/// A hash of `diagnostics` as the client receives them (keyed per process, so a repository
/// cannot choose its collisions).
fn fingerprint(diagnostics: &[lsp::Diagnostic]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static KEYS: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    struct Writer<H>(H);
    impl<H: Hasher> std::io::Write for Writer<H> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = Writer(KEYS.get_or_init(std::hash::RandomState::new).build_hasher());
    // Serializing diagnostics into a sink that cannot fail does not fail.
    let _ = serde_json::to_writer(&mut writer, diagnostics);
    writer.0.finish()
}

/// Holds a session's diagnostics back while it lives (see [`Job::Hold`]); dropping it (also
/// when a delivery times out) releases them.
pub struct Hold(Sender<Job>);

impl Hold {
    pub fn new(jobs: &Sender<Job>) -> Hold {
        let _ = jobs.send(Job::Hold);
        Hold(jobs.clone())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let _ = self.0.send(Job::Release);
    }
}

impl From<FolderEvent> for Job {
    fn from(event: FolderEvent) -> Job {
        match event {
            FolderEvent::Disk { path, report } => Job::Disk { path, report: Some(report) },
            FolderEvent::Replaced => Job::Replaced,
            FolderEvent::Elsewhere(views) => Job::Elsewhere(views),
        }
    }
}

impl Analysis {
    /// This session's inbox, for the root's watcher, follower and host.
    fn listener(&self) -> Listener {
        let jobs = self.jobs_sender.clone();
        Listener::new(move |event| jobs.send(Job::from(event)).is_ok())
    }

    pub fn new(
        shared: Arc<Shared>,
        host: Arc<Host>,
        jobs: Receiver<Job>,
        jobs_sender: Sender<Job>,
        outgoing: tokio::sync::mpsc::UnboundedSender<Outgoing>,
        encoding: PositionEncoding,
        watch_disk: bool,
    ) -> Analysis {
        Analysis {
            shared,
            host,
            jobs,
            jobs_sender,
            outgoing,
            encoding,
            published: HashMap::new(),
            load_generation: 0,
            heard_while_loading: None,
            baseline: None,
            pristine: None,
            written: None,
            watch_disk,
            follows_elsewhere: false,
            held: 0,
            held_changes: None,
            held_everything: false,
            opened_as_saved: Vec::new(),
            document_texts: HashMap::new(),
        }
    }

    pub fn run(mut self) {
        self.host.join(&self.shared, self.listener());
        self.start_loading(false);
        while let Ok(first) = self.jobs.recv() {
            let mut batch = vec![first];
            batch.extend(self.jobs.try_iter());
            if batch.iter().any(|it| matches!(it, Job::Stop)) {
                return;
            }
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| self.process(batch)));
            if let Err(panic) = outcome {
                let message = panic_message(&panic);
                tracing::error!("analysis failed: {message}; re-indexing the workspace");
                self.send(Outgoing::Log {
                    level: MessageType::ERROR,
                    message: format!("taskmark: internal error while analysing ({message}); re-indexing"),
                });
                // This session's view may be broken; the saved state it forked is not.
                self.start_loading(false);
            }
        }
    }

    fn send(&self, message: Outgoing) {
        // The connection is gone: nothing to tell anyone.
        let _ = self.outgoing.send(message);
    }

    fn process(&mut self, batch: Vec<Job>) {
        let started = Instant::now();
        let mut sequence = 0;
        let mut documents: Vec<Uri> = Vec::new();
        let mut disk: BTreeSet<String> = BTreeSet::new();
        // The watcher's newest report of each, while every report of it is the watcher's.
        let mut reports: HashMap<String, Option<u64>> = HashMap::new();
        // Of those, the files a change of this process wrote (read back), as against reported.
        let mut written: BTreeSet<String> = BTreeSet::new();
        // The newest write of those this batch reads back after.
        let mut after_write = 0;
        let mut settings = None;
        let mut reindex = false;
        // Files changed on disk, or were written: the folder at the root may be another one.
        let mut heard_of_disk = false;
        // A change found the world missing what the disk has: walk and read it all again.
        let mut read_whole = false;
        let mut loaded = None;
        let mut baseline = None;
        let mut elsewhere = None;
        for job in batch {
            match job {
                Job::Document { uri, sequence: it } => {
                    sequence = sequence.max(it);
                    if !documents.contains(&uri) {
                        documents.push(uri);
                    }
                }
                // Which files belong to the workspace may have changed: walk it again.
                Job::Disk { path, .. } if path == config::FILE_NAME || is_ignore_file(&path) => reindex = true,
                Job::Disk { path, report } => {
                    heard_of_disk = true;
                    let newest = reports.entry(path.clone()).or_insert(report);
                    *newest = newest.zip(report).map(|(a, b)| a.max(b));
                    disk.insert(path);
                }
                Job::Written { paths, sequence: it, after_write: at } => {
                    heard_of_disk = true;
                    sequence = sequence.max(it);
                    after_write = after_write.max(at);
                    read_whole |= paths.iter().any(|it| it == WHOLE_WORKSPACE);
                    let paths = paths.into_iter().filter(|it| it != WHOLE_WORKSPACE);
                    written.extend(paths.clone());
                    disk.extend(paths);
                }
                Job::Replaced => heard_of_disk = true,
                Job::Settings(it) => settings = Some(it),
                Job::Hold => self.held += 1,
                Job::Release => self.held = self.held.saturating_sub(1),
                Job::Reindex => reindex = true,
                Job::Loaded(generation, result) if generation == self.load_generation => loaded = Some(*result),
                Job::Baseline(generation, result) if generation == self.load_generation => baseline = Some(result),
                Job::Elsewhere(views) => elsewhere = Some(views),
                Job::Loaded(..) | Job::Baseline(..) | Job::Stop => {}
            }
        }
        if read_whole {
            // The change that asked waits for this batch: read now, not on a loader thread.
            loaded = Some(self.load_now(Reading::AgainFromNow));
        } else if reindex {
            self.start_loading(true);
        } else if heard_of_disk && self.root_replaced() {
            // Applied to the old folder's world, the new folder's files would mix the two; a
            // write planned next (it waits for this batch) must see the new folder whole.
            loaded = Some(self.load_now(Reading::Shared));
        }
        let shared = self.shared.clone();
        let mut world = shared.write();
        let mut everything = false;
        let mut touched: BTreeSet<String> = BTreeSet::new();
        if let Some(heard) = &mut self.heard_while_loading {
            heard.extend(disk.iter().cloned());
        }
        if let Some(loaded) = loaded {
            everything = true;
            // Read again on top of the load: what changed while it walked.
            disk.extend(self.heard_while_loading.take().unwrap_or_default());
            match loaded {
                Ok(loaded) => self.install(&mut world, loaded),
                Err(message) => self.send(Outgoing::Show {
                    level: MessageType::ERROR,
                    message: format!("taskmark could not index {}: {message}", world.root.display()),
                }),
            }
        }
        if let Some(found) = baseline {
            everything |= self.found_baseline(&mut world, *found);
        }
        if let Some(views) = elsewhere {
            world.elsewhere = views;
            everything = true;
        }
        if let Some(settings) = settings {
            let mode_changed = settings.diagnostics != world.settings.diagnostics;
            if mode_changed {
                self.send(Outgoing::Log {
                    level: MessageType::WARNING,
                    message: "taskmark: the diagnostics mode (push or pull) is fixed when the editor connects; restart the server to change it".into(),
                });
            }
            let mode = world.settings.diagnostics;
            let rules_changed = settings.rules != world.settings.rules;
            world.settings = Settings { diagnostics: mode, ..settings };
            everything = true;
            // Only the rule settings change what the rules find (the rest changes how it is
            // shown, which the delivery of everything below takes care of).
            if rules_changed {
                let mut config = world.file_config.clone();
                world.settings.apply(&mut config);
                world.config = config;
                self.recheck(&mut world);
            }
        }
        let closed = {
            let open = self.shared.documents();
            documents.iter().any(|uri| open.get(uri.as_str()).is_none())
        };
        let mut pending = None;
        for uri in &documents {
            self.apply_document(&mut world, uri, &mut touched, &mut pending);
        }
        if !disk.is_empty() {
            lock(&world.exists).clear();
        }
        // A world that is the saved state (no document open) moves with it, analysed once for
        // every such session; any other applies what it heard of.
        let mut followed = false;
        if self.pristine.is_some() && world.versions.is_empty() && !disk.is_empty() {
            let wanted = disk.iter().map(String::as_str).filter(|it| disk_wanted(&world, it));
            let (read_back, heard): (Vec<&str>, Vec<&str>) = wanted.partition(|it| written.contains(*it));
            self.host.written(&read_back, after_write);
            let heard: Vec<(&str, Option<u64>)> =
                heard.into_iter().map(|path| (path, reports.get(path).copied().flatten())).collect();
            self.host.heard(&heard);
            followed = self.follow_saved(&mut world, &mut touched, &mut everything);
        }
        if !followed {
            for path in &disk {
                let read_back = written.contains(path).then_some(after_write);
                let report = reports.get(path).copied().flatten();
                self.apply_disk(&mut world, path, read_back, report, &mut touched, &mut pending);
            }
        }
        self.settle(&mut world, pending, &mut touched, &mut everything);
        world.saved_generation = self.pristine;
        world.invalidate();
        if self.held > 0 {
            self.held_everything |= everything;
            self.held_changes.get_or_insert_with(BTreeSet::new).extend(std::mem::take(&mut touched));
        } else {
            everything |= std::mem::take(&mut self.held_everything);
            touched.extend(self.held_changes.take().unwrap_or_default());
            self.deliver(&world, if everything { None } else { Some(&touched) });
        }
        for path in std::mem::take(&mut self.opened_as_saved) {
            world.index.own_for_editing(&path);
            if let Some(file) = world.index.file_id(&path) {
                world.store.own_for_editing(file);
            }
        }
        drop(world);
        if closed {
            crate::release_freed_memory();
        }
        self.shared.mark_applied(sequence);
        tracing::debug!(
            documents = documents.len(),
            disk = disk.len(),
            touched = if everything { usize::MAX } else { touched.len() },
            elapsed_us = started.elapsed().as_micros() as u64,
            "analysed"
        );
    }

    /// Recomputes every diagnostic (configuration or baseline changed): on the saved state,
    /// through the host, so that the other sessions on it share them.
    fn recheck(&self, world: &mut World) {
        let baseline = self.baseline();
        let compute = || DiagnosticStore::new(&world.index, &world.config, baseline.as_ref(), &world.paths());
        let store = match self.pristine {
            Some(generation) => {
                self.host.store(store_key(generation, &world.settings.rules, self.baseline.as_ref()), compute)
            }
            None => compute(),
        };
        world.store = store;
    }

    fn baseline(&self) -> Option<Baseline<'_>> {
        rules_baseline(self.baseline.as_ref())
    }

    /// Takes the baseline the last load found after it; says whether the diagnostics changed.
    fn found_baseline(&mut self, world: &mut World, found: FoundBaseline) -> bool {
        let written = self.written.take().unwrap_or_default();
        let FoundBaseline { baseline, rechecked } = found;
        // The baseline the load already used (or no baseline after none: outside git, in a
        // repository without a commit) changes nothing: the diagnostics of the load stand.
        if baseline.as_ref().map(|it| &it.0) == self.baseline.as_ref().map(|it| &it.0) {
            return false;
        }
        self.baseline = baseline;
        world.baseline = self.baseline.clone();
        match rechecked {
            // Rechecked with the rule settings the session has now: what it wrote since the
            // load is written again over the loaded index, as an edit would be (a keystroke's
            // worth of work, where a recheck is the whole workspace's).
            Some(rechecked) if rechecked.rules == world.settings.rules => {
                world.index = rechecked.index;
                world.store = rechecked.store;
                let mut written: Vec<(String, Option<Arc<str>>)> = written.into_iter().collect();
                written.sort_by(|a, b| a.0.cmp(&b.0));
                tracing::debug!(
                    "baseline rechecked off the analysis thread; {} files written since the load",
                    written.len()
                );
                let mut pending = None;
                for (path, text) in written {
                    self.write(world, &path, text, None, &mut pending);
                }
                self.settle(world, pending, &mut BTreeSet::new(), &mut true);
            }
            _ => self.recheck(world),
        }
        true
    }

    /// Puts `text` (`None`: the file is gone) into the world's index and follows each of its
    /// steps (a TODO.md rewritten in several places takes them one at a time) in the
    /// diagnostics. What looks across the workspace waits in `pending` for
    /// [`Analysis::settle`], once for every file of a batch: a change written to state.json and
    /// a plan is one change, and its per-task and counter rules run once, on the final index.
    /// Writes `text` (`None`: the file is gone) to the world's index; `change` is how it
    /// differs from the text there, when the caller knows.
    fn write(
        &mut self,
        world: &mut World,
        path: &str,
        text: Option<Arc<str>>,
        change: Option<Change>,
        pending: &mut Option<Pending>,
    ) {
        if let Some(written) = &mut self.written {
            written.insert(path.to_string(), text.clone());
        }
        let baseline = self.baseline();
        let World { index, config, root, known, store, exists, .. } = world;
        let paths = CachedPaths { root, known, exists };
        let pending = pending.get_or_insert_with(Pending::default);
        let mut follow = |index: &WorkspaceIndex, update: &Update| {
            store.follow(index, config, baseline.as_ref(), &paths, update, pending);
        };
        match text {
            Some(text) => index.write_file_changed(path, text, change, &mut follow),
            None => {
                let update = index.set_file(path, None);
                follow(index, &update);
            }
        }
    }

    /// Brings the diagnostics up to date with what [`Analysis::write`] followed, adding the
    /// files whose diagnostics may have changed to `touched`.
    fn settle(
        &self,
        world: &mut World,
        pending: Option<Pending>,
        touched: &mut BTreeSet<String>,
        everything: &mut bool,
    ) {
        let Some(pending) = pending else { return };
        *everything |= pending.rebuilt();
        let baseline = self.baseline();
        let World { index, config, root, known, store, exists, .. } = world;
        let paths = CachedPaths { root, known, exists };
        let files = store.settle(index, config, baseline.as_ref(), &paths, pending);
        touched.extend(files.into_iter().map(|it| index.path(it).to_string()));
    }

    fn apply_document(
        &mut self,
        world: &mut World,
        uri: &Uri,
        touched: &mut BTreeSet<String>,
        pending: &mut Option<Pending>,
    ) {
        let Some(path) = world.relative(uri) else { return };
        if path == config::FILE_NAME || !workspace::wanted(&path) {
            return;
        }
        // The text is copied once, straight into the index's shared string (a keystroke in a
        // large file should not copy it twice), and not at all when it is over the limit.
        let (document, change) = {
            let mut documents = self.shared.documents();
            match documents.take_change(uri.as_str()) {
                Some((it, change)) => {
                    let oversized = it.text.len() as u64 > workspace::MAX_FILE_BYTES;
                    (
                        Some((it.version, it.text.len(), (!oversized).then(|| Arc::<str>::from(it.text.as_str())))),
                        change,
                    )
                }
                None => (None, None),
            }
        };
        // What the document's edits changed, when the index has the text they were made to
        // (the last this session took from the document, or the saved text it opened as): the
        // texts need not be compared.
        let base = self.document_texts.remove(&path);
        let known = change.filter(|_| {
            base.as_ref().zip(world.index.text_at(&path)).is_some_and(|(base, indexed)| Arc::ptr_eq(base, indexed))
        });
        let text = match document {
            Some((version, length, None)) => {
                // Too large to be a tracker anyone edits by hand: say so instead of parsing it on
                // every keystroke.
                let reason = format!(
                    "{} MiB is over the {} MiB limit for tracker files",
                    length >> 20,
                    workspace::MAX_FILE_BYTES >> 20
                );
                world.versions.insert(path.clone(), version);
                world.skipped.insert(path.clone(), reason);
                None
            }
            Some((version, _, Some(text))) => {
                world.versions.insert(path.clone(), version);
                let unchanged = match known {
                    Some(change) => change.is_empty(),
                    None => world.index.text_at(&path).is_some_and(|it| **it == *text),
                };
                if unchanged && !world.skipped.contains_key(&path) {
                    if let Some(indexed) = world.index.text_at(&path) {
                        self.document_texts.insert(path.clone(), indexed.clone());
                    }
                    // Opened as saved: the view keeps sharing the saved parse until the batch's
                    // diagnostics are out, and then takes its own copy, before anyone types.
                    self.opened_as_saved.push(path);
                    return;
                }
                world.skipped.remove(&path);
                self.document_texts.insert(path.clone(), text.clone());
                Some(text)
            }
            // Closed: the disk has the truth again (unsaved changes were dropped).
            None => {
                world.versions.remove(&path);
                if world.index.file_id(&path).is_none() && !world.root.join(&path).exists() {
                    return;
                }
                self.disk_text(world, &path, self.host.disk(&path))
            }
        };
        touched.insert(path.clone());
        // The world is no longer the saved state: an open document differs from it.
        self.pristine = None;
        self.write(world, &path, text, known, pending);
    }

    fn apply_disk(
        &mut self,
        world: &mut World,
        path: &str,
        read_back: Option<u64>,
        report: Option<u64>,
        touched: &mut BTreeSet<String>,
        pending: &mut Option<Pending>,
    ) {
        if !disk_wanted(world, path) {
            return;
        }
        // The saved state follows the disk even for a file open here: other sessions, and
        // this one once the document closes, read it from there.
        let file = match read_back {
            Some(after_write) => self.host.written(&[path], after_write),
            None => self.host.heard(&[(path, report)]),
        };
        let file = file.into_iter().next().unwrap_or(DiskFile::Missing);
        // The world is no longer the saved state: it now holds files the saved state may not
        // (or an open document that is not the disk).
        self.pristine = None;
        if world.versions.contains_key(path) {
            // The editor's buffer wins over the disk while the document is open.
            return;
        }
        self.apply_file(world, path, file, touched, pending);
    }

    /// Puts a file as the disk has it into the world, unless the world already has that text.
    fn apply_file(
        &mut self,
        world: &mut World,
        path: &str,
        file: DiskFile,
        touched: &mut BTreeSet<String>,
        pending: &mut Option<Pending>,
    ) {
        if matches!(file, DiskFile::Missing) && world.index.file_id(path).is_none() && !world.skipped.contains_key(path)
        {
            if world.known.contains(path) {
                Arc::make_mut(&mut world.known).remove(path);
            }
            return;
        }
        // The watcher reports a file this session already read (it wrote the file and read it
        // back, or another session's change reached it first): the same text parses the same.
        if let DiskFile::Text(text) = &file
            && !world.skipped.contains_key(path)
            && world.index.text_at(path).is_some_and(|it| Arc::ptr_eq(it, text) || **it == **text)
        {
            return;
        }
        let text = self.disk_text(world, path, file);
        touched.insert(path.to_string());
        self.write(world, path, text, None, pending);
    }

    /// Brings a world that is the saved state (no document open) up to the saved state now,
    /// sharing the analysis of each move with the other sessions on the same state (see
    /// [`crate::moves`]). Returns `false` when what changed is no longer known: the caller
    /// applies what it heard of itself.
    fn follow_saved(&mut self, world: &mut World, touched: &mut BTreeSet<String>, everything: &mut bool) -> bool {
        let key = CheckedWith::new(&world.settings.rules, self.baseline.as_ref());
        while let Some(from) = self.pristine {
            match self.host.next_move(from, &key) {
                NextMove::Current => return true,
                NextMove::Unknown => return false,
                NextMove::Analysed(analysed) => {
                    world.index = analysed.index.clone();
                    world.known = analysed.known.clone();
                    world.skipped = analysed.skipped.clone();
                    world.store = analysed.store.clone();
                    touched.extend(analysed.touched.iter().cloned());
                    *everything |= analysed.everything;
                    if let Some(written) = &mut self.written {
                        written.extend(analysed.files.iter().cloned());
                    }
                    tracing::debug!(from, to = analysed.to, "the saved state's move taken from another session");
                    self.pristine = Some(analysed.to);
                }
                NextMove::Analyse { to, files, turn } => {
                    let (mut moved, mut all, mut pending) = (BTreeSet::new(), false, None);
                    let changed: Vec<(String, Option<Arc<str>>)> =
                        files.iter().map(|(path, file)| (path.clone(), file.text())).collect();
                    for (path, file) in files {
                        self.apply_file(world, &path, file, &mut moved, &mut pending);
                    }
                    self.settle(world, pending, &mut moved, &mut all);
                    self.host.analysed(AnalysedMove {
                        from,
                        to,
                        key: key.clone(),
                        index: world.index.clone(),
                        known: world.known.clone(),
                        skipped: world.skipped.clone(),
                        store: world.store.clone(),
                        touched: moved.clone(),
                        everything: all,
                        files: changed,
                    });
                    drop(turn);
                    tracing::debug!(from, to, "the saved state's move analysed for the sessions on it");
                    touched.extend(moved);
                    *everything |= all;
                    self.pristine = Some(to);
                }
            }
        }
        false
    }

    /// The text a file has on disk (`None`: gone or unreadable), with the world's record of
    /// which files exist and which were skipped following it.
    fn disk_text(&self, world: &mut World, path: &str, file: DiskFile) -> Option<Arc<str>> {
        file.record(path, &mut world.known, &mut world.skipped);
        file.text()
    }

    /// Puts a finished load in place, with the open documents' texts over the disk's.
    fn install(&mut self, world: &mut World, loaded: Loaded) {
        let Loaded { saved, pristine, config, rules, baseline, store, elapsed } = loaded;
        let files = saved.index.len();
        world.file_config = saved.file_config;
        world.config = config;
        world.config_error = saved.config_error;
        world.index = saved.index;
        world.identity = saved.identity;
        world.known = saved.known;
        world.skipped = saved.skipped;
        world.store = store;
        world.baseline = baseline.clone();
        self.baseline = baseline;
        self.pristine = pristine.then_some(saved.generation);
        self.written = Some(HashMap::new());
        lock(&world.exists).clear();
        if rules != world.settings.rules {
            // The rule settings changed while the workspace loaded.
            let mut config = world.file_config.clone();
            world.settings.apply(&mut config);
            world.config = config;
            self.recheck(world);
        }
        world.versions.clear();
        world.indexed = true;
        self.shared.mark_indexed();
        world.filter = saved.filter;
        // The other worktrees as already followed for this root, before anything is published
        // or answered.
        if !std::mem::replace(&mut self.follows_elsewhere, true)
            && let Some(latest) = self.host.follow_elsewhere(&world.file_config, self.listener())
        {
            world.elsewhere = latest;
        }
        let mut pending = None;
        // The documents' edits so far are in the loaded index now: their next ones apply to it.
        for OpenDocument { path, version, differing } in open_documents(&self.shared, &world.root, &world.index, true) {
            world.versions.insert(path.clone(), version);
            match differing {
                Some(text) => {
                    self.document_texts.insert(path.clone(), text.clone());
                    self.write(world, &path, Some(text), None, &mut pending);
                }
                None => {
                    if let Some(indexed) = world.index.text_at(&path) {
                        self.document_texts.insert(path.clone(), indexed.clone());
                    }
                    self.opened_as_saved.push(path);
                }
            }
        }
        // Everything is published after a load: which files changed does not matter.
        self.settle(world, pending, &mut BTreeSet::new(), &mut true);
        if let Some((error, _)) = &world.config_error {
            let message = format!("taskmark: {error}; using the defaults until it is fixed");
            self.send(Outgoing::Log { level: MessageType::WARNING, message: message.clone() });
            self.send(Outgoing::Show { level: MessageType::WARNING, message });
        }
        if std::mem::take(&mut self.watch_disk) {
            let folders = crate::watch::folders_of(world.known.iter());
            if let Err(error) = self.host.watch_disk(folders, world.known.clone(), self.listener()) {
                self.send(Outgoing::Log {
                    level: MessageType::WARNING,
                    message: format!("taskmark cannot watch the disk ({error}); changes made outside the editor are seen when files are opened"),
                });
            }
        }
        let message = format!("indexed {files} files in {} ms", elapsed.as_millis());
        tracing::info!("{message}");
        self.send(Outgoing::ProgressEnd { message });
        self.send(Outgoing::Refresh { diagnostics: true });
    }

    /// Queues the diagnostics of `paths` (every file when `None`) that changed.
    fn deliver(&mut self, world: &World, paths: Option<&BTreeSet<String>>) {
        let changed = paths.is_none_or(|it| !it.is_empty());
        if world.settings.diagnostics == DiagnosticMode::Pull {
            if changed {
                self.send(Outgoing::Refresh { diagnostics: true });
            }
            return;
        }
        let mut by_path: HashMap<String, Vec<lsp::Diagnostic>> = HashMap::new();
        match paths {
            None => {
                for (file, diagnostics) in world.diagnostics_by_file() {
                    let converted =
                        diagnostics.iter().map(|it| convert::diagnostic(world, it, self.encoding)).collect();
                    by_path.insert(world.index.path(file).to_string(), converted);
                }
                for path in world.skipped.keys() {
                    by_path.entry(path.clone()).or_default();
                }
            }
            Some(paths) => {
                for path in paths {
                    let converted = match world.index.file_id(path) {
                        Some(file) => world
                            .diagnostics_of(file)
                            .iter()
                            .map(|it| convert::diagnostic(world, it, self.encoding))
                            .collect(),
                        None => Vec::new(),
                    };
                    by_path.insert(path.clone(), converted);
                }
            }
        }
        for (path, reason) in &world.skipped {
            if let Some(list) = by_path.get_mut(path) {
                list.push(skipped_diagnostic(reason));
            }
        }
        if paths.is_none() {
            // Files that had diagnostics and have none now (or are gone).
            for path in self.published.keys() {
                by_path.entry(path.clone()).or_default();
            }
            by_path.insert(config::FILE_NAME.to_string(), config_diagnostics(world, self.encoding));
        }
        let mut ordered: Vec<(String, Option<i32>, Vec<lsp::Diagnostic>)> = by_path
            .into_iter()
            .map(|(path, diagnostics)| {
                let version = world.versions.get(&path).copied();
                (path, version, diagnostics)
            })
            .collect();
        // The documents being edited first: their diagnostics are the ones someone is waiting for;
        // then each tracker's own list (its TODO.md, its state.json: what a person opens first,
        // and where most of a big tracker's diagnostics are), then the files of single tasks.
        let main_file = |path: &str| {
            world.index.file_id(path).and_then(|it| world.index.entry(it)).is_some_and(|it| {
                matches!(it.class.role, crate::engine::layout::Role::Todo | crate::engine::layout::Role::StateJson)
            })
        };
        ordered.sort_by_cached_key(|(path, version, _)| (version.is_none(), !main_file(path), path.clone()));
        for (path, version, diagnostics) in ordered {
            if diagnostics.is_empty() {
                if self.published.remove(&path).is_none() {
                    continue;
                }
            } else {
                // A document's every version gets its diagnostics (editors drop the ones of
                // an older version); any other file only when they changed.
                let published = Published { version, fingerprint: fingerprint(&diagnostics) };
                if self.published.get(&path) == Some(&published) {
                    continue;
                }
                self.published.insert(path.clone(), published);
            }
            let Some(uri) = world.uri(&path) else { continue };
            self.send(Outgoing::Diagnostics { uri, version, diagnostics });
        }
        if changed {
            // Progress lenses and hints follow the statuses, in every editor on the workspace.
            self.send(Outgoing::Refresh { diagnostics: false });
        }
    }

    /// Whether this session's world was read from another folder than the one at the root now.
    fn root_replaced(&self) -> bool {
        self.shared.read().root_replaced()
    }

    /// Loads the workspace on this thread (the host reads it once for every session), for a
    /// batch that must not be applied to the world it has; the git baseline follows as a job.
    fn load_now(&mut self, reading: Reading) -> Result<Loaded, String> {
        self.load_generation += 1;
        let generation = self.load_generation;
        let settings = self.shared.read().settings.clone();
        let (host, shared, outgoing) = (&self.host, &self.shared, &self.outgoing);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| load(host, shared, reading, &settings, outgoing)))
            .unwrap_or_else(|panic| Err(format!("internal error: {}", panic_message(&panic))));
        if let Ok(loaded) = &result {
            let (after, host, jobs) = (After::of(loaded), self.host.clone(), self.jobs_sender.clone());
            let spawned = std::thread::Builder::new()
                .name("taskmark-loader".into())
                .spawn(move || send_baseline(&host, &jobs, generation, after));
            if let Err(error) = spawned {
                tracing::error!("cannot start the loader thread: {error}");
            }
        }
        result
    }

    /// Starts reading the workspace on a thread of its own; the result comes back as a job.
    /// Unless `fresh`, the host's saved state is used when another session already read it.
    fn start_loading(&mut self, fresh: bool) {
        let reading = if fresh { Reading::Again } else { Reading::Shared };
        self.heard_while_loading.get_or_insert_with(BTreeSet::new);
        self.load_generation += 1;
        let generation = self.load_generation;
        let settings = self.shared.read().settings.clone();
        let host = self.host.clone();
        let shared = self.shared.clone();
        let jobs = self.jobs_sender.clone();
        let outgoing = self.outgoing.clone();
        let spawned = std::thread::Builder::new().name("taskmark-loader".into()).spawn(move || {
            let _ = outgoing.send(Outgoing::ProgressBegin { title: "Indexing tasks".into() });
            test_loader_delay();
            let result =
                std::panic::catch_unwind(AssertUnwindSafe(|| load(&host, &shared, reading, &settings, &outgoing)))
                    .unwrap_or_else(|panic| Err(format!("internal error: {}", panic_message(&panic))));
            let after = result.as_ref().ok().map(After::of);
            if jobs.send(Job::Loaded(generation, Box::new(result))).is_err() {
                return;
            }
            // The git baseline (for invalid transitions) comes after: the first diagnostics do
            // not wait for it.
            if let Some(after) = after {
                send_baseline(&host, &jobs, generation, after);
            }
        });
        if let Err(error) = spawned {
            tracing::error!("cannot start the loader thread: {error}");
        }
    }
}

/// Finds the git baseline after the load numbered `generation`, and sends it as a job.
fn send_baseline(host: &Host, jobs: &Sender<Job>, generation: u64, after: After) {
    test_loader_delay();
    match std::panic::catch_unwind(AssertUnwindSafe(|| after.find_baseline(host))) {
        Ok(found) => {
            let _ = jobs.send(Job::Baseline(generation, Box::new(found)));
        }
        Err(panic) => tracing::error!("cannot read the git baseline: {}", panic_message(&panic)),
    }
}

/// `TASKMARK_TEST_LOADER_DELAY_MS`: the tests make the loader wait this long before it loads
/// (to open documents while it does) and again before it reads the git baseline (to edit while
/// it does). Only with the `test-hooks` feature (the tests' builds).
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
fn test_loader_delay() {}

#[cfg(feature = "test-hooks")]
fn test_loader_delay() {
    static DELAY: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    let delay = DELAY
        .get_or_init(|| std::env::var("TASKMARK_TEST_LOADER_DELAY_MS").ok()?.parse().ok().map(Duration::from_millis));
    if let Some(delay) = delay {
        std::thread::sleep(*delay);
    }
}

/// What finding the baseline after a load needs of it.
struct After {
    generation: u64,
    /// The index is the saved state's (no open document written over it): the recheck is
    /// shared with the other sessions on it.
    pristine: bool,
    index: WorkspaceIndex,
    known: Arc<HashSet<String>>,
    config: Config,
    rules: Vec<(RuleCode, Option<Severity>)>,
    /// The commit of the baseline the load used.
    used: Option<String>,
}

impl After {
    fn of(loaded: &Loaded) -> After {
        After {
            generation: loaded.saved.generation,
            pristine: loaded.pristine,
            index: loaded.saved.index.clone(),
            known: loaded.saved.known.clone(),
            config: loaded.config.clone(),
            rules: loaded.rules.clone(),
            used: loaded.baseline.as_ref().map(|it| it.0.clone()),
        }
    }

    /// The baseline at `HEAD` now, with the loaded index rechecked with it if the load used
    /// another (through the host when that index is the saved state's, so that the other
    /// sessions on it share them).
    fn find_baseline(self, host: &Host) -> FoundBaseline {
        let baseline = host.baseline(&self.config.vocabularies);
        let rechecked = match &baseline {
            Some(found) if Some(&found.0) != self.used.as_ref() => {
                let After { generation, pristine, index, known, config, rules, .. } = self;
                let compute = || {
                    let paths = DiskPaths { root: host.root(), known: &known };
                    DiagnosticStore::new(&index, &config, rules_baseline(Some(found)).as_ref(), &paths)
                };
                let store = match pristine {
                    true => host.store(store_key(generation, &rules, Some(found)), compute),
                    false => compute(),
                };
                Some(Rechecked { index, rules, store })
            }
            _ => None,
        };
        FoundBaseline { baseline, rechecked }
    }
}

/// The workspace for one session: the host's saved state (read now if no session did, or if
/// `fresh`), with the session's settings over its configuration, and its diagnostics.
fn load(
    host: &Host,
    shared: &Shared,
    reading: Reading,
    settings: &Settings,
    outgoing: &tokio::sync::mpsc::UnboundedSender<Outgoing>,
) -> Result<Loaded, String> {
    let started = Instant::now();
    let mut saved = host.saved(reading, || read_saved(host.root(), outgoing))?;
    let mut config = saved.file_config.clone();
    settings.apply(&mut config);
    // A later session starts with the baseline (and so the diagnostics) of the first.
    let baseline = host.current_baseline();
    let mut store = host.store(store_key(saved.generation, &settings.rules, baseline.as_ref()), || {
        let paths = DiskPaths { root: host.root(), known: &saved.known };
        DiagnosticStore::new(&saved.index, &config, rules_baseline(baseline.as_ref()).as_ref(), &paths)
    });
    // The editor's open documents are written over the saved state here, not on the analysis
    // thread (which then catches up only with what changed since): a large TODO.md edited in
    // many places while the workspace loaded costs a keystroke's work per place edited.
    let documents: Vec<(String, Arc<str>)> = open_documents(shared, host.root(), &saved.index, false)
        .into_iter()
        .filter_map(|it| Some((it.path, it.differing?)))
        .collect();
    let pristine = documents.is_empty();
    if !pristine {
        let paths = DiskPaths { root: host.root(), known: &saved.known };
        let rules_view = rules_baseline(baseline.as_ref());
        let mut pending = Pending::default();
        for (path, text) in documents {
            saved.index.write_file(&path, text, |index, update| {
                store.follow(index, &config, rules_view.as_ref(), &paths, update, &mut pending);
            });
        }
        store.settle(&saved.index, &config, rules_view.as_ref(), &paths, pending);
        tracing::debug!("the loader wrote the open documents over the files as saved");
    }
    let rules = settings.rules.clone();
    Ok(Loaded { saved, pristine, config, rules, baseline, store, elapsed: started.elapsed() })
}

/// A document the editor has open, as the workspace's path.
struct OpenDocument {
    path: String,
    version: i32,
    /// Its text, when the index has another (copied only then).
    differing: Option<Arc<str>>,
}

/// The editor's open documents that are workspace tracker files, by path, each with its text
/// when `index` has another. With `take_changes`, what each changed so far is taken from it (see
/// [`crate::documents::Documents::take_change`]): the caller puts the documents as they are now
/// in its index, and their next changes apply to that.
fn open_documents(shared: &Shared, root: &Path, index: &WorkspaceIndex, take_changes: bool) -> Vec<OpenDocument> {
    let mut documents = shared.documents();
    let uris: Vec<String> = documents.uris().map(str::to_string).collect();
    let mut out: Vec<OpenDocument> = uris
        .iter()
        .filter_map(|uri| {
            let path = crate::world::relative_path(root, &uri.parse().ok()?)?;
            if path == config::FILE_NAME || !workspace::wanted(&path) {
                return None;
            }
            let document = match take_changes {
                true => documents.take_change(uri)?.0,
                false => documents.get(uri)?,
            };
            let differing =
                index.text_at(&path).is_none_or(|it| **it != *document.text).then(|| Arc::from(document.text.as_str()));
            Some(OpenDocument { path, version: document.version, differing })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Reads the configuration and the workspace from disk, reporting progress.
fn read_saved(root: &Path, outgoing: &tokio::sync::mpsc::UnboundedSender<Outgoing>) -> Result<Saved, String> {
    let read_since = std::time::SystemTime::now();
    // A `taskmark set` killed mid-commit leaves a journal. Opening a folder writes nothing:
    // say so, and let the next status change finish it.
    let pending = match crate::transaction::pending(root) {
        Ok(pending) => pending.map(|it| it.to_string()),
        Err(error) => Some(error.to_string()),
    };
    for message in pending.into_iter().chain(crate::transaction::ignored_journal_in_tree(root)) {
        let _ = outgoing.send(Outgoing::Show { level: MessageType::WARNING, message: format!("taskmark: {message}") });
    }
    let (file_config, config_error) = read_config(root);
    let last_report = Mutex::new(Instant::now());
    let progress = |done: usize, total: usize| {
        let mut last = lock(&last_report);
        if last.elapsed() >= Duration::from_millis(100) || done == total {
            *last = Instant::now();
            let _ = outgoing.send(Outgoing::ProgressReport { done, total });
        }
    };
    let loaded = workspace::load(root, file_config.clone(), &progress).map_err(|error| format!("{error:#}"))?;
    // The walk's list of what git tracks: git is asked once per load.
    let filter = PathFilter::with_tracked(root, &file_config, loaded.tracked).ok().map(Arc::new);
    let skipped = loaded.skipped.into_iter().filter(|it| it.tracker).map(|it| (it.path, it.reason)).collect();
    Ok(Saved {
        file_config,
        config_error,
        index: loaded.index,
        known: Arc::new(loaded.known),
        skipped,
        filter,
        generation: 0,
        identity: None,
        read_since,
    })
}

fn is_ignore_file(path: &str) -> bool {
    path == ".gitignore" || path.ends_with("/.gitignore")
}

/// `.taskmark.toml`, or the defaults with the reason when it cannot be used.
fn read_config(root: &Path) -> (Config, Option<(ConfigError, String)>) {
    // Read as the command line reads it: a named pipe there would hold the loader (and every
    // request waiting for the index) forever, and a link out of the root would publish another
    // file's text in the configuration's diagnostic.
    match workspace::read_config_text(root) {
        Ok(None) => (Config::default(), None),
        Ok(Some(text)) => match Config::parse(&text) {
            Ok(config) => (config, None),
            Err(error) => (Config::default(), Some((error, text.to_string()))),
        },
        Err(reason) => {
            let problem = ConfigError { line: 1, column: 1, key: String::new(), message: reason };
            (Config::default(), Some((problem, String::new())))
        }
    }
}

/// The configuration error as a diagnostic in `.taskmark.toml`.
fn config_diagnostics(world: &World, encoding: PositionEncoding) -> Vec<lsp::Diagnostic> {
    let Some((error, text)) = &world.config_error else { return Vec::new() };
    let index = LineIndex::new(text);
    // The error's column counts characters; find its byte offset on its line.
    let line_start =
        text.split_inclusive('\n').take(error.line.saturating_sub(1) as usize).map(str::len).sum::<usize>();
    let line = text[line_start.min(text.len())..].lines().next().unwrap_or("");
    let column = line.char_indices().nth(error.column.saturating_sub(1) as usize).map_or(line.len(), |(at, _)| at);
    let start = size(line_start + column);
    let end = size(line_start + line.len());
    let position = |offset| {
        let it = crate::engine::text::position(text, &index, offset, encoding);
        lsp::Position { line: it.line, character: it.character }
    };
    let message =
        if error.key.is_empty() { error.message.clone() } else { format!("`{}`: {}", error.key, error.message) };
    vec![lsp::Diagnostic {
        range: lsp::Range { start: position(start), end: position(end.max(start)) },
        severity: Some(lsp::DiagnosticSeverity::ERROR),
        code: Some(lsp::NumberOrString::String("config".into())),
        source: Some("taskmark".into()),
        message: format!("{message} (taskmark uses its defaults until this is fixed)"),
        ..Default::default()
    }]
}

fn skipped_diagnostic(reason: &str) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: lsp::Range::default(),
        severity: Some(lsp::DiagnosticSeverity::WARNING),
        code: Some(lsp::NumberOrString::String("malformed-file".into())),
        source: Some("taskmark".into()),
        message: format!("taskmark did not index this file: {reason}"),
        ..Default::default()
    }
}

pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|it| it.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Whether a file changed on disk is one the world holds: a tracker file the walk takes (or
/// one that is gone).
fn disk_wanted(world: &World, path: &str) -> bool {
    workspace::wanted(path) && (!world.root.join(path).exists() || world.walks(path))
}
