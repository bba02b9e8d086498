//! The server's state: the indexed workspace with its diagnostics (written by the analysis
//! thread, read by request handlers) and the open documents (written by the notification
//! handlers, in arrival order, before any `.await`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tower_lsp_server::ls_types::Uri;

use crate::claims::ClaimStore;
use crate::documents::Documents;
use crate::engine::config::{Config, ConfigError};
use crate::engine::diagnostic::Diagnostic;
use crate::engine::ide::SymbolTable;
use crate::engine::index::{FileId, WorkspaceIndex};
use crate::engine::lifecycle::across::{OtherWorktree, elsewhere_diagnostics};
use crate::engine::rules::{DiagnosticStore, PathOracle};
use crate::saved::FolderIdentity;
use crate::settings::Settings;
use crate::workspace::{DiskPaths, PathFilter};

/// The workspace as indexed.
pub struct World {
    pub root: PathBuf,
    /// `.taskmark.toml` as read.
    pub file_config: Config,
    /// The effective configuration: `.taskmark.toml` with the editor's settings over it.
    pub config: Config,
    /// Why `.taskmark.toml` was not used, shown in that file.
    pub config_error: Option<(ConfigError, String)>,
    pub settings: Settings,
    pub index: WorkspaceIndex,
    pub store: DiagnosticStore,
    /// The git baseline `store` was computed with (the files at HEAD, for invalid transitions),
    /// once found: `taskmark.fix` checks its change against it, as `taskmark fix` does.
    pub baseline: Option<crate::saved::HeadBaseline>,
    /// The generation of the host's saved state this world is, when it is that state (no
    /// document open, caught up): a change planned on it can hand the host the index the
    /// change's re-check made ([`crate::host::Host::expect_written`]).
    pub saved_generation: Option<u64>,
    /// Every file the walk saw (link targets), shared with the host's saved state and the other
    /// sessions until a file comes or goes.
    pub known: Arc<HashSet<String>>,
    /// Tracker files that could not be read, with the reason.
    pub skipped: HashMap<String, String>,
    /// The document version each indexed file's text has, for files the editor has open.
    pub versions: HashMap<String, i32>,
    /// The whole workspace has been indexed (not only the open documents).
    pub indexed: bool,
    /// The folder at the root the index was read from.
    pub identity: Option<FolderIdentity>,
    /// Which paths the workspace's walk takes (`None` before the load, or without one): a file
    /// it leaves out is none of the workspace's, even when a change names it.
    pub filter: Option<Arc<PathFilter>>,
    symbols: Mutex<Option<Arc<SymbolTable>>>,
    /// Whether paths the walk did not list exist: a link to a missing file is checked on every
    /// keystroke in its document, and should not cost a file system lookup each time. Emptied
    /// whenever the disk is known to have changed.
    pub exists: Mutex<HashMap<String, bool>>,
    /// The agents' claims on the root's tasks (the host's handle on the file every process and
    /// worktree shares).
    pub claims: Arc<ClaimStore>,
    /// The repository's other worktrees as saved there (the host follows them).
    pub elsewhere: Arc<Vec<OtherWorktree>>,
    /// What this session's last board was computed from (see `taskmark.board`): the next one
    /// computes again only the trackers that changed since.
    pub board_memo: Arc<Mutex<Option<Arc<crate::service::board::BoardMemo>>>>,
}

impl World {
    pub fn new(root: PathBuf, config: Config, settings: Settings, claims: Arc<ClaimStore>) -> World {
        let index = WorkspaceIndex::default();
        let known = Arc::new(HashSet::new());
        let exists = Mutex::new(HashMap::new());
        let store =
            DiagnosticStore::new(&index, &config, None, &CachedPaths { root: &root, known: &known, exists: &exists });
        World {
            root,
            file_config: config.clone(),
            config,
            config_error: None,
            settings,
            index,
            store,
            baseline: None,
            saved_generation: None,
            known,
            skipped: HashMap::new(),
            versions: HashMap::new(),
            indexed: false,
            identity: None,
            filter: None,
            symbols: Mutex::new(None),
            exists,
            claims,
            elsewhere: Arc::new(Vec::new()),
            board_memo: Arc::default(),
        }
    }

    /// Whether the folder at the root is another one than the index was read from (deleted and
    /// made again since).
    pub fn root_replaced(&self) -> bool {
        self.indexed && FolderIdentity::replaced(self.identity, &self.root)
    }

    /// Whether the walk takes `path` (relative to the root).
    pub fn walks(&self, path: &str) -> bool {
        self.filter.as_ref().is_none_or(|it| it.accepts(&self.root, path))
    }

    pub fn paths(&self) -> CachedPaths<'_> {
        CachedPaths { root: &self.root, known: &self.known, exists: &self.exists }
    }

    /// The workspace-relative path of a `file:` URI inside the root.
    pub fn relative(&self, uri: &Uri) -> Option<String> {
        relative_path(&self.root, uri)
    }

    pub fn file(&self, uri: &Uri) -> Option<FileId> {
        self.index.file_id(&self.relative(uri)?)
    }

    pub fn uri(&self, path: &str) -> Option<Uri> {
        Uri::from_file_path(self.root.join(path))
    }

    /// The task table for workspace symbols, built at most once per index change.
    pub fn symbols(&self) -> Arc<SymbolTable> {
        let mut cached = lock(&self.symbols);
        cached.get_or_insert_with(|| Arc::new(SymbolTable::new(&self.index))).clone()
    }

    /// Forgets derived tables after the index changed.
    /// A file's diagnostics: the rules', and what the other worktrees say of its tasks.
    pub fn diagnostics_of(&self, file: FileId) -> Vec<Diagnostic> {
        let mut out = self.store.file(file);
        out.extend(self.elsewhere_found(Some(file)));
        out
    }

    /// Every file's diagnostics, as [`World::diagnostics_of`] gives them.
    pub fn diagnostics_by_file(&self) -> HashMap<FileId, Vec<Diagnostic>> {
        let mut out = self.store.by_file();
        for found in self.elsewhere_found(None) {
            out.entry(found.file).or_default().push(found);
        }
        out
    }

    /// The `*-elsewhere` diagnostics, at the severity the configuration gives them.
    fn elsewhere_found(&self, file: Option<FileId>) -> Vec<Diagnostic> {
        elsewhere_diagnostics(&self.index, &self.elsewhere, file)
            .into_iter()
            .filter_map(|mut it| {
                it.severity = self.config.severity(it.code)?;
                Some(it)
            })
            .collect()
    }

    pub fn invalidate(&self) {
        *lock(&self.symbols) = None;
    }
}

/// The disk as the rules see it: the walk's list first, then the file system, remembered.
pub struct CachedPaths<'a> {
    pub root: &'a Path,
    pub known: &'a HashSet<String>,
    pub exists: &'a Mutex<HashMap<String, bool>>,
}

impl PathOracle for CachedPaths<'_> {
    fn known(&self, path: &str) -> bool {
        self.known.contains(path)
    }

    fn exists(&self, path: &str) -> bool {
        if self.known.contains(path) {
            return true;
        }
        if let Some(found) = lock(self.exists).get(path) {
            return *found;
        }
        let found = DiskPaths { root: self.root, known: self.known }.exists(path);
        lock(self.exists).insert(path.to_string(), found);
        found
    }
}

/// `path` relative to `root` for a `file:` URI, with `/` separators; `None` for other schemes
/// and for files outside the root.
pub fn relative_path(root: &Path, uri: &Uri) -> Option<String> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    let path = uri.to_file_path()?;
    let relative = path.strip_prefix(root).ok()?;
    let relative = crate::workspace::slash_path(relative)?;
    (!relative.is_empty()).then_some(relative)
}

/// What every handler of one workspace shares.
pub struct Shared {
    pub world: RwLock<World>,
    pub documents: Mutex<Documents>,
    /// Document changes handed to the analysis thread so far.
    submitted: AtomicU64,
    /// Document changes the analysis thread has applied to the world.
    applied: tokio::sync::watch::Sender<u64>,
    /// The whole workspace is in the world (not only the documents opened before it was read).
    indexed: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    pub fn new(world: World) -> Shared {
        Shared {
            world: RwLock::new(world),
            documents: Mutex::new(Documents::default()),
            submitted: AtomicU64::new(0),
            applied: tokio::sync::watch::Sender::new(0),
            indexed: tokio::sync::watch::Sender::new(false),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn documents(&self) -> MutexGuard<'_, Documents> {
        lock(&self.documents)
    }

    /// Numbers a document change handed to the analysis thread.
    pub fn submit(&self) -> u64 {
        self.submitted.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Called by the analysis thread once changes up to `sequence` are in the world.
    pub fn mark_applied(&self, sequence: u64) {
        self.applied.send_if_modified(|applied| {
            let newer = sequence > *applied;
            if newer {
                *applied = sequence;
            }
            newer
        });
    }

    /// Called by the analysis thread once the whole workspace is in the world.
    pub fn mark_indexed(&self) {
        self.indexed.send_if_modified(|indexed| !std::mem::replace(indexed, true));
    }

    /// Waits until the whole workspace is in the world: a command about the workspace (its
    /// tasks, a task's places) answered from the documents opened before it was read would
    /// answer wrong, not only less. `false` when `limit` passed first.
    pub async fn indexed(&self, limit: Duration) -> bool {
        let mut indexed = self.indexed.subscribe();
        tokio::time::timeout(limit, indexed.wait_for(|it| *it)).await.is_ok_and(|it| it.is_ok())
    }

    /// Waits (briefly) until the world holds every document change submitted before this call,
    /// so a request right after a keystroke sees that keystroke. Never fails: after the timeout
    /// the request is answered from what is there.
    pub async fn caught_up(&self) {
        let wanted = self.submitted.load(Ordering::SeqCst);
        let mut applied = self.applied.subscribe();
        let waiting = applied.wait_for(|it| *it >= wanted);
        if tokio::time::timeout(Duration::from_secs(2), waiting).await.is_err() {
            tracing::warn!("answering from an index still behind the editor (change {wanted} not applied after 2 s)");
        }
    }
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
