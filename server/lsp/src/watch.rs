//! Watching the disk ourselves, for clients that cannot watch files for us
//! (`workspace/didChangeWatchedFiles` without dynamic registration).
//!
//! One watcher per workspace root serves every session on it that needs one (in the daemon,
//! twenty Neovims share one set of inotify watches); it stops once the root's host is gone.
//!
//! Each folder the walk saw is watched on its own (a recursive watch of the root would also
//! watch `node_modules/` and `target/`, and run into inotify's limits); a folder that appears
//! later is added when it does (with the folders under it), and the files already in it are
//! reported. A folder removed loses its watch, so one made again at its path is watched again;
//! the root's own replacement cannot be heard (its parent is not watched): the watcher looks
//! at the folder at the root every [`LIVENESS_CHECK`], after every change and when the host
//! asks ([`Control::check`]), and when it is another one, watches that one and has the host
//! tell every session to read it again.

use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};

use crate::folder_events::{FolderEvent, FolderHost, Listener};
use crate::saved::FolderIdentity;
use crate::workspace::PathFilter;

/// Folders never worth watching: version control, our own state, dependency and build trees.
const SKIPPED: [&str; 5] = [".git", ".taskmark", "node_modules", "target", ".venv"];

/// The sessions told of each change: analysis threads' inboxes.
pub type Subscribers = Arc<Mutex<Vec<Listener>>>;

/// How often an idle watcher checks whether anyone still needs it, and whether the folder at
/// the root is still the one it watches.
const LIVENESS_CHECK: Duration = Duration::from_secs(2);

/// How often, at most, a busy watcher looks at the folder at the root (a checkout is thousands
/// of changes).
const ROOT_LOOK: Duration = Duration::from_millis(250);

/// What the watcher thread hears: the disk, or the host.
enum Message {
    Event(notify::Result<notify::Event>),
    /// The host found the folder at the root replaced.
    Check,
}

/// The host's hold on its watcher.
pub struct Control(Sender<Message>);

impl Control {
    /// Has the watcher look at the folder at the root now (rather than at its next check).
    pub fn check(&self) {
        let _ = self.0.send(Message::Check);
    }
}

/// The folders watched, and the watcher watching them.
struct Watches {
    watcher: notify::RecommendedWatcher,
    /// Sorted, so that the folders under one are together (paths compare by component).
    watched: BTreeSet<PathBuf>,
}

impl Watches {
    fn new(messages: Sender<Message>) -> notify::Result<Watches> {
        let watcher = notify::recommended_watcher(move |event| {
            let _ = messages.send(Message::Event(event));
        })?;
        Ok(Watches { watcher, watched: BTreeSet::new() })
    }

    fn add(&mut self, path: PathBuf) {
        if !self.watched.insert(path.clone()) {
            return;
        }
        if let Err(error) = self.watcher.watch(&path, RecursiveMode::NonRecursive) {
            tracing::warn!("cannot watch {}: {error}", path.display());
            self.watched.remove(&path);
        }
    }

    /// Watches `folder` and the folders under it (but those never watched, left out by the
    /// walk, or watched already), each before it is listed, so that a file is either listed or
    /// heard of; returns the files listed.
    fn add_tree(&mut self, root: &Path, filter: Option<&PathFilter>, folder: PathBuf) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![folder];
        while let Some(next) = stack.pop() {
            self.add(next.clone());
            let Ok(entries) = std::fs::read_dir(&next) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => {
                        if !skipped(root, &path) && !left_out(root, filter, &path) && !self.watched.contains(&path) {
                            stack.push(path);
                        }
                    }
                    Ok(_) => files.push(path),
                    Err(_) => {}
                }
            }
        }
        files
    }

    /// A folder (or file) removed: its watches died with it, so a folder made again at its
    /// path (or under it) is watched again. (A file costs a lookup: a removed tree is thousands.)
    fn forget(&mut self, path: &Path) {
        let under: Vec<PathBuf> = self
            .watched
            .range::<Path, _>((Bound::Included(path), Bound::Unbounded))
            .take_while(|it| it.starts_with(path))
            .cloned()
            .collect();
        for folder in under {
            self.watched.remove(&folder);
        }
    }
}

/// A session is left to tell: `Err` once none is.
type Told = Result<(), ()>;

/// The watcher thread's state.
struct Watcher {
    root: PathBuf,
    /// The folder at the root the watches are of.
    identity: Option<FolderIdentity>,
    watches: Watches,
    /// For a new watcher when the root is replaced.
    messages: Sender<Message>,
    jobs: Subscribers,
    host: Weak<dyn FolderHost>,
    /// When it last looked at the folder at the root.
    looked: Instant,
}

/// What the watches must cover: the folders to watch (workspace-relative, `""` for the root),
/// the files the workspace was read from (the saved state's own set, shared), and when that
/// reading began.
pub struct Watched {
    pub folders: Vec<String>,
    pub files: Arc<HashSet<String>>,
    pub read_since: SystemTime,
}

/// How far before a read a change may be stamped and still have been missed by it: wider than
/// any file system's timestamp granularity.
const CATCH_UP_MARGIN: Duration = Duration::from_secs(2);

/// Starts a watcher thread for `watched` of the folder `identity` at `root`, telling every
/// subscriber. It lives as long as `host` does.
///
/// The watches are put in place on the watcher's own thread (75,002 folders take inotify
/// seconds, and the first diagnostics must not wait for them); once they are, every file changed
/// since the workspace was read, and every file of a folder changed since, is reported: a
/// change between the read and its folder's watch is heard that way.
pub fn spawn(
    root: PathBuf,
    identity: Option<FolderIdentity>,
    watched: Watched,
    jobs: Subscribers,
    host: Weak<dyn FolderHost>,
) -> anyhow::Result<Control> {
    let (messages, received) = std::sync::mpsc::channel::<Message>();
    let watches = Watches::new(messages.clone())?;
    let control = Control(messages.clone());
    let mut watcher = Watcher { root, identity, watches, messages, jobs, host, looked: Instant::now() };
    std::thread::Builder::new().name("taskmark-watcher".into()).spawn(move || {
        for folder in &watched.folders {
            watcher.watches.add(watcher.root.join(folder));
        }
        tracing::info!("watching {} folders for changes made outside the editor", watcher.watches.watched.len());
        if watcher.catch_up(&watched.files, watched.read_since).is_err() {
            return;
        }
        loop {
            let (told, look) = match received.recv_timeout(LIVENESS_CHECK) {
                Ok(Message::Event(Ok(event))) => (watcher.changed(event), watcher.looked.elapsed() >= ROOT_LOOK),
                Ok(Message::Event(Err(error))) => {
                    tracing::warn!("file watcher: {error}");
                    (Ok(()), false)
                }
                Ok(Message::Check) => (Ok(()), true),
                Err(RecvTimeoutError::Timeout) if watcher.host.strong_count() > 0 => (Ok(()), true),
                Err(_) => {
                    tracing::info!("no session watches {} any more: watcher stopped", watcher.root.display());
                    return;
                }
            };
            let told = if look { told.and_then(|()| watcher.follow_a_replaced_root()) } else { told };
            if told.is_err() {
                return;
            }
        }
    })?;
    Ok(control)
}

impl Watcher {
    /// Reports what changed since `since` (when the workspace began to be read) in the files
    /// read and in the folders now watched: what changed before a folder's watch was in place
    /// was not heard. A file whose times are that recent may be unchanged: the sessions compare
    /// it with what they hold, and nothing changes for them.
    fn catch_up(&mut self, files: &HashSet<String>, since: SystemTime) -> Told {
        let limit = since.checked_sub(CATCH_UP_MARGIN).unwrap_or(SystemTime::UNIX_EPOCH);
        let recent = |metadata: &std::fs::Metadata| changed_at(metadata).is_none_or(|it| it >= limit);
        let mut reported = 0usize;
        for file in files {
            let path = self.root.join(file);
            if std::fs::symlink_metadata(&path).map_or(true, |it| recent(&it)) {
                send(&self.root, &path, &self.jobs)?;
                reported += 1;
            }
        }
        let filter = self.host.upgrade().and_then(|it| it.filter());
        let folders: Vec<PathBuf> = self.watches.watched.iter().cloned().collect();
        for folder in folders {
            if !std::fs::symlink_metadata(&folder).is_ok_and(|it| recent(&it)) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => reported += self.watch_new_folder(filter.as_deref(), path)?,
                    Ok(_) => {
                        send(&self.root, &path, &self.jobs)?;
                        reported += 1;
                    }
                    Err(_) => {}
                }
            }
        }
        tracing::debug!("{reported} files changed between the workspace's read and its watches reported");
        Ok(())
    }

    /// Watches a folder that appeared (and the folders under it), unless the walk leaves it out
    /// or it is watched already, and reports the files in it: they may have landed before the
    /// watch did (a checkout, an unpacked folder, a folder deleted and made again). How many.
    fn watch_new_folder(&mut self, filter: Option<&PathFilter>, folder: PathBuf) -> Result<usize, ()> {
        if skipped(&self.root, &folder)
            || left_out(&self.root, filter, &folder)
            || self.watches.watched.contains(&folder)
        {
            return Ok(0);
        }
        let files = self.watches.add_tree(&self.root, filter, folder);
        for file in &files {
            send(&self.root, file, &self.jobs)?;
        }
        Ok(files.len())
    }

    /// Tells the subscribers of what `event` changed.
    fn changed(&mut self, event: notify::Event) -> Told {
        if matches!(event.kind, EventKind::Access(_)) {
            return Ok(());
        }
        let removed =
            matches!(event.kind, EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)));
        for path in event.paths {
            if removed {
                self.watches.forget(&path);
            }
            if path.is_dir() {
                let filter = self.host.upgrade().and_then(|it| it.filter());
                self.watch_new_folder(filter.as_deref(), path)?;
                continue;
            }
            send(&self.root, &path, &self.jobs)?;
        }
        Ok(())
    }

    /// When the folder at the root is another one than the watches are of (deleted and made
    /// again): watches the new one (as the walk would have it), has the host tell every
    /// session to read it again, and reports its files (a session may have read it before the
    /// watches were there).
    fn follow_a_replaced_root(&mut self) -> Told {
        self.looked = Instant::now();
        if !FolderIdentity::replaced(self.identity, &self.root) {
            return Ok(());
        }
        let Some(host) = self.host.upgrade() else { return Ok(()) };
        self.identity = FolderIdentity::of(&self.root);
        // The old folder's watches are dropped with their watcher.
        match Watches::new(self.messages.clone()) {
            Ok(watches) => self.watches = watches,
            Err(error) => tracing::warn!("file watcher: {error}"),
        }
        let files = self.watches.add_tree(&self.root, host.filter().as_deref(), self.root.clone());
        tracing::info!("watching {} folders of the new {}", self.watches.watched.len(), self.root.display());
        host.tell_replaced();
        drop(host);
        for file in files {
            send(&self.root, &file, &self.jobs)?;
        }
        Ok(())
    }
}

/// The later of a file's modification and change times (`None` when neither can be told).
#[cfg(unix)]
fn changed_at(metadata: &std::fs::Metadata) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let nanos = u32::try_from(metadata.ctime_nsec()).unwrap_or(0);
    let changed =
        u64::try_from(metadata.ctime()).ok().map(|seconds| SystemTime::UNIX_EPOCH + Duration::new(seconds, nanos));
    changed.max(metadata.modified().ok())
}

#[cfg(not(unix))]
fn changed_at(metadata: &std::fs::Metadata) -> Option<SystemTime> {
    metadata.modified().ok()
}

/// The watchers' reports of changed files, counted (across hosts: each host compares only its
/// own watcher's numbers, which grow).
static REPORTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Tells every live subscriber; `Err` once none is left.
fn send(root: &Path, path: &Path, jobs: &Subscribers) -> Result<(), ()> {
    let Some(relative) = path.strip_prefix(root).ok().and_then(Path::to_str) else { return Ok(()) };
    let relative = relative.replace('\\', "/");
    if relative.is_empty() {
        return Ok(());
    }
    // One number for every session told: the first to read the file reads it for all.
    let report = REPORTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let mut jobs = jobs.lock().unwrap_or_else(PoisonError::into_inner);
    jobs.retain(|it| it.tell(FolderEvent::Disk { path: relative.clone(), report }));
    if jobs.is_empty() { Err(()) } else { Ok(()) }
}

fn skipped(root: &Path, path: &Path) -> bool {
    path.strip_prefix(root)
        .map_or(true, |relative| relative.components().any(|it| SKIPPED.iter().any(|skip| it.as_os_str() == *skip)))
}

/// Whether the workspace's walk leaves `folder` out (`.gitignore`, the configured globs). A
/// path inside it is asked about: a folder pattern (`build/`) matches a folder as the parent of
/// a path.
fn left_out(root: &Path, filter: Option<&PathFilter>, folder: &Path) -> bool {
    let Some(filter) = filter else { return false };
    let Some(relative) = folder.strip_prefix(root).ok().and_then(Path::to_str) else { return false };
    !relative.is_empty() && !filter.accepts(root, &format!("{}/-", relative.replace('\\', "/")))
}

/// The folders holding the files the walk saw, the root included.
pub fn folders_of<'a>(paths: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut folders: HashSet<String> = HashSet::from([String::new()]);
    for path in paths {
        let mut current = path.as_str();
        while let Some((parent, _)) = current.rsplit_once('/') {
            if !folders.insert(parent.to_string()) {
                break;
            }
            current = parent;
        }
    }
    let mut out: Vec<String> = folders.into_iter().collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoHost;

    impl FolderHost for NoHost {
        fn filter(&self) -> Option<Arc<PathFilter>> {
            None
        }
        fn tell_replaced(&self) {}
        fn saved_index(&self) -> Option<crate::engine::index::WorkspaceIndex> {
            None
        }
    }

    #[test]
    fn what_changed_after_the_read_and_before_the_watches_is_reported_once_they_are_in_place() {
        let dir = tempfile::tempdir().expect("a folder");
        let root = dir.path().to_path_buf();
        for path in ["specs/TODO.md", "specs/1_a/plan.md", "specs/2_b/plan.md"] {
            std::fs::create_dir_all(root.join(path).parent().expect("a parent")).expect("folders");
            std::fs::write(root.join(path), "# text\n").expect("a file");
        }
        // The workspace is read well after those files were written...
        std::thread::sleep(CATCH_UP_MARGIN + Duration::from_millis(300));
        let read_since = SystemTime::now();
        let files: Arc<HashSet<String>> =
            Arc::new(["specs/TODO.md", "specs/1_a/plan.md", "specs/2_b/plan.md"].map(String::from).into());
        let folders = folders_of(files.iter());
        // ...and these changes land before the watches do: none is heard as it happens.
        std::fs::write(root.join("specs/TODO.md"), "# changed\n").expect("a change");
        std::fs::remove_file(root.join("specs/2_b/plan.md")).expect("a removal");
        std::fs::create_dir_all(root.join("specs/3_c")).expect("a new folder");
        std::fs::write(root.join("specs/3_c/plan.md"), "# new\n").expect("a new file");
        let heard: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let jobs: Subscribers = Arc::new(Mutex::new(vec![crate::folder_events::Listener::new({
            let heard = heard.clone();
            move |event| {
                if let FolderEvent::Disk { path, .. } = event {
                    heard.lock().unwrap_or_else(PoisonError::into_inner).insert(path);
                }
                true
            }
        })]));
        let host: Arc<dyn FolderHost> = Arc::new(NoHost);
        let _control = spawn(root.clone(), None, Watched { folders, files, read_since }, jobs, Arc::downgrade(&host))
            .expect("a watcher");
        let wanted: BTreeSet<String> =
            ["specs/TODO.md", "specs/2_b/plan.md", "specs/3_c/plan.md"].map(String::from).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !wanted.is_subset(&heard.lock().unwrap_or_else(PoisonError::into_inner)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let heard = heard.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert!(wanted.is_subset(&heard), "{heard:?}");
        assert!(!heard.contains("specs/1_a/plan.md"), "a file untouched since the read is not reported: {heard:?}");
    }

    #[test]
    fn a_removed_folder_forgets_the_folders_under_it_and_nothing_else() {
        let dir = tempfile::tempdir().expect("a folder");
        let folders = ["a", "a/b", "a/b/c", "a2", "ab", "b"];
        for folder in folders {
            std::fs::create_dir_all(dir.path().join(folder)).expect("a folder");
        }
        let (messages, _received) = std::sync::mpsc::channel();
        let mut watches = Watches::new(messages).expect("a watcher");
        for folder in folders {
            watches.add(dir.path().join(folder));
        }
        watches.forget(&dir.path().join("a/b/c/file.md"));
        assert_eq!(watches.watched.len(), folders.len(), "a file is no watched folder");
        watches.forget(&dir.path().join("a"));
        let left: Vec<&Path> = watches.watched.iter().filter_map(|it| it.strip_prefix(dir.path()).ok()).collect();
        assert_eq!(left, [Path::new("a2"), Path::new("ab"), Path::new("b")]);
    }

    #[test]
    fn folders_the_walk_leaves_out_are_not_watched() {
        let dir = tempfile::tempdir().expect("a folder");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).expect("a repository");
        std::fs::write(root.join(".gitignore"), "build/\n").expect(".gitignore");
        let mut config = crate::engine::config::Config::default();
        config.exclude = vec!["drafts/**".into()];
        let filter = PathFilter::new(root, &config).expect("a filter");
        for (folder, out) in [("build", true), ("drafts", true), ("specs", false), ("specs/build", true), ("", false)] {
            assert_eq!(left_out(root, Some(&filter), &root.join(folder)), out, "{folder}");
        }
        for folder in ["specs/014/plans", "build/out", "drafts/x"] {
            std::fs::create_dir_all(root.join(folder)).expect("a folder");
        }
        std::fs::write(root.join("specs/014/plans/plan.md"), "# Plan\n").expect("a plan");
        let (messages, _received) = std::sync::mpsc::channel();
        let mut watches = Watches::new(messages).expect("a watcher");
        let mut files = watches.add_tree(root, Some(&filter), root.to_path_buf());
        files.sort();
        assert_eq!(files, [root.join(".gitignore"), root.join("specs/014/plans/plan.md")]);
        let found: Vec<&Path> = watches.watched.iter().filter_map(|it| it.strip_prefix(root).ok()).collect();
        let expected = ["", "specs", "specs/014", "specs/014/plans"].map(Path::new);
        assert_eq!(found, expected, "neither .git nor the folders left out");
    }
}
