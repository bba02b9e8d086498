//! The workspace's walk kept between runs: the first part of the kept index (issue 36).
//!
//! Walking a workspace lists every folder and matches every entry against the ignore rules; on
//! a 50,000-file workspace that is a third of a `check`. What the walk finds depends only on
//! the folders' listings, the ignore files it reads, git's `info/exclude`, the configured globs
//! and taskmark's own build. A folder's listing cannot change without its change time moving
//! (creating, removing or renaming an entry changes the folder; even a tool that sets the
//! folder's modification time back moves its change time), so the walk is kept with a stamp of
//! every folder it entered (taken before the folder was listed) and of every file it read
//! rules from, and reused while every stamp still matches. A stamp taken too close to the
//! walk's start cannot prove that nothing changed after it within the file system's timestamp
//! granularity: a walk that met one is not kept (a "racy" stamp, as git calls it).
//!
//! Kept in the user's cache folder, one file per workspace root and build, owner-only like the
//! state folder: never read from the work tree, never across users, checked whole (a hash of the
//! payload) and tied to the taskmark build that wrote it. A file that fails any of this is
//! ignored with a note and written again; the folder is safe to delete at any time.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::private_dir;

/// The first bytes of a kept walk; a new layout of the file gets a new one.
const MAGIC: &[u8; 8] = b"tmwalk01";
/// A kept walk larger than this is not read (a 50,000-file workspace of 75,002 folders keeps
/// about 8 MB).
const MAX_BYTES: u64 = 256 << 20;
/// Walks kept at most, and their bytes at most; the least recently written go first.
const MAX_KEPT: usize = 128;
const MAX_KEPT_BYTES: u64 = 512 << 20;
/// How close to the walk's start a stamp may be and still prove that nothing changed after it:
/// wider than any file system's timestamp granularity (FAT's is 2 s; ext4's is the kernel's
/// clock tick, a few milliseconds).
pub const RACY_MARGIN: Duration = Duration::from_secs(2);

/// Where kept walks are read from and written to, if anywhere.
#[derive(Debug, Clone)]
pub struct KeptWalks {
    dir: Option<PathBuf>,
    margin: Duration,
}

impl KeptWalks {
    /// This user's: `$TASKMARK_CACHE_DIR/walks`, else `$XDG_CACHE_HOME/taskmark/walks`, else
    /// `$HOME/.cache/taskmark/walks`; none when `TASKMARK_NO_CACHE` is set (to anything but
    /// the empty string) or no such folder can be named.
    pub fn for_user() -> KeptWalks {
        let disabled = std::env::var_os("TASKMARK_NO_CACHE").is_some_and(|it| !it.is_empty());
        let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|it| it.is_absolute());
        let home = absolute("TASKMARK_CACHE_DIR")
            .or_else(|| absolute("XDG_CACHE_HOME").map(|it| it.join("taskmark")))
            .or_else(|| absolute("HOME").map(|it| it.join(".cache/taskmark")));
        KeptWalks { dir: home.filter(|_| !disabled).map(|it| it.join("walks")), margin: RACY_MARGIN }
    }

    /// Kept in `dir`, taking stamps within `margin` of a walk's start as racy.
    pub fn at(dir: PathBuf, margin: Duration) -> KeptWalks {
        KeptWalks { dir: Some(dir), margin }
    }

    pub fn disabled() -> KeptWalks {
        KeptWalks { dir: None, margin: RACY_MARGIN }
    }

    /// Whether walks are kept at all.
    pub fn enabled(&self) -> bool {
        self.dir.is_some()
    }

    fn file_for(&self, key: &WalkKey) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let name = private_dir::name_for(&key.canonical_root, &key.identity());
        Some(dir.join(name))
    }

    /// The walk kept for `key` if every stamp in it still matches; a note when a kept walk was
    /// there and could not be used for a reason other than a change in the workspace.
    pub(crate) fn load(&self, key: &WalkKey, root: &Path) -> (Option<Listing>, Option<String>) {
        let Some(path) = self.file_for(key) else { return (None, None) };
        let Some(dir) = path.parent() else { return (None, None) };
        match fs::symlink_metadata(dir) {
            Err(_) => return (None, None),
            Ok(metadata) => {
                if let Err(problem) = private_dir::check_private_dir(dir, &metadata) {
                    return (None, Some(format!("kept walk not used: {problem}")));
                }
            }
        }
        let bytes = match private_dir::read_file(&path, MAX_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return (None, None),
            Err(error) => return (None, Some(format!("kept walk {} not used: {error}", path.display()))),
        };
        let kept = match decode(&bytes) {
            Ok(kept) => kept,
            Err(problem) => return (None, Some(format!("kept walk {} ignored: {problem}", path.display()))),
        };
        if let Some(problem) = kept.foreign(key) {
            return (None, Some(format!("kept walk {} ignored: {problem}", path.display())));
        }
        if !kept.settings_match(key) || !kept.still_matches(root) {
            return (None, None);
        }
        (Some(kept.into_listing()), None)
    }

    /// Keeps `listing`, found by a walk that `recording` followed, unless a stamp is racy or the
    /// walk could not be recorded whole; a note when the cache folder cannot be used.
    pub(crate) fn save(&self, key: &WalkKey, recording: Recording, listing: Listing) -> Option<String> {
        let path = self.file_for(key)?;
        let dir = path.parent()?;
        let kept = recording.finish(key, listing, self.margin)?;
        // A cache folder that cannot be made (no home, a read-only file system) only means no
        // kept walk, every run: not worth a note each time. One that is there and unsafe is.
        let existed = fs::symlink_metadata(dir).is_ok();
        if let Some(home) = dir.parent()
            && let Err(problem) = private_dir::ensure_unwritable(home).and_then(|()| private_dir::ensure(dir))
        {
            if !existed && problem.starts_with("cannot create") {
                tracing::debug!("walk not kept: {problem}");
                return None;
            }
            return Some(format!("walk not kept: {problem}"));
        }
        let bytes = match encode(&kept) {
            Ok(bytes) => bytes,
            Err(problem) => return Some(format!("walk not kept: {problem}")),
        };
        if let Err(error) = write_replacing(&path, &bytes) {
            return Some(format!("walk not kept in {}: {error}", path.display()));
        }
        evict(dir, MAX_KEPT, MAX_KEPT_BYTES);
        None
    }
}

/// What a kept walk must have been made for: the same workspace, walk settings and build.
#[derive(Debug, Clone)]
pub(crate) struct WalkKey {
    pub canonical_root: PathBuf,
    pub under: Option<String>,
    /// A hash of the settings the walk follows (ignore files read or not, the globs).
    pub settings: String,
    pub build: String,
    pub uid: u32,
}

impl WalkKey {
    /// `None` when this build cannot be identified (its executable cannot be looked at): a walk
    /// kept by another build could follow other rules.
    pub fn new(canonical_root: &Path, under: Option<&str>, settings: &[&str]) -> Option<WalkKey> {
        let mut hasher = blake3::Hasher::new();
        for setting in settings {
            hasher.update(&(setting.len() as u64).to_le_bytes());
            hasher.update(setting.as_bytes());
        }
        Some(WalkKey {
            canonical_root: canonical_root.to_path_buf(),
            under: under.map(str::to_string),
            settings: hasher.finalize().to_hex().to_string(),
            build: build_identity()?,
            uid: private_dir::current_uid(),
        })
    }

    /// What names the file: the workspace, the folder walked and the build, so that two builds
    /// in use at once (an editor's bundled server and the command line) each keep their own
    /// walk instead of replacing each other's at every run.
    fn identity(&self) -> Vec<u8> {
        let mut identity = self.canonical_root.as_os_str().as_encoded_bytes().to_vec();
        identity.push(0);
        identity.extend_from_slice(self.under.as_deref().unwrap_or("").as_bytes());
        identity.push(0);
        identity.extend_from_slice(self.build.as_bytes());
        identity
    }
}

/// This build: its version and its executable's stamp (a rebuilt binary is another build).
/// Taken once per process: a daemon whose binary is replaced while it runs is still the old
/// build, and must not take walks the new one kept, nor keep its own under the new one's name.
fn build_identity() -> Option<String> {
    static BUILD: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BUILD
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let stamp = Stamp::of(&fs::metadata(exe).ok()?);
            Some(format!("{} {stamp:?}", env!("CARGO_PKG_VERSION")))
        })
        .clone()
}

/// What identifies one version of a file or folder: its device and inode, its size, and its
/// modification and change times to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    pub fn of(metadata: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: metadata.dev(),
            ino: metadata.ino(),
            size: metadata.size(),
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
            ctime: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    pub fn of(metadata: &fs::Metadata) -> Stamp {
        let nanos = |time: std::io::Result<SystemTime>| {
            time.ok()
                .and_then(|it| it.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or((0, 0), |it| (it.as_secs() as i64, it.subsec_nanos() as i64))
        };
        Stamp {
            dev: 0,
            ino: 0,
            size: metadata.len(),
            mtime: nanos(metadata.modified()),
            ctime: nanos(metadata.created()),
        }
    }

    /// The stamp of `folder` itself (a link is not followed), relative to `within` when given.
    /// Folders are stamped this one way when recorded and when checked, so the two agree.
    #[cfg(unix)]
    fn of_folder(within: Option<&Folder>, folder: &Path) -> Option<Stamp> {
        use rustix::fs::{AtFlags, CWD, statat};
        let stat = match within {
            Some(within) => statat(&within.0, folder, AtFlags::SYMLINK_NOFOLLOW),
            None => statat(CWD, folder, AtFlags::SYMLINK_NOFOLLOW),
        }
        .ok()?;
        #[allow(clippy::unnecessary_cast, reason = "the stat fields' types differ between platforms")]
        Some(Stamp {
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
            size: stat.st_size as u64,
            mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
            ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
        })
    }

    #[cfg(not(unix))]
    fn of_folder(within: Option<&Folder>, folder: &Path) -> Option<Stamp> {
        let path = within.map_or_else(|| folder.to_path_buf(), |it| it.0.join(folder));
        fs::symlink_metadata(path).ok().map(|it| Stamp::of(&it))
    }

    /// Whether this version may have been followed by a change that kept the stamp: one of its
    /// times is within `margin` of `since` (or later).
    fn racy(&self, since: SystemTime, margin: Duration) -> bool {
        let limit = since.checked_sub(margin).unwrap_or(SystemTime::UNIX_EPOCH);
        let Ok(limit) = limit.duration_since(SystemTime::UNIX_EPOCH) else { return true };
        let limit = (limit.as_secs() as i64, i64::from(limit.subsec_nanos()));
        self.mtime >= limit || self.ctime >= limit
    }
}

/// The stamps a walk takes as it goes, from many threads.
pub(crate) struct Recording {
    /// Whether to take them at all: not for a walk that will not be kept.
    on: bool,
    started: SystemTime,
    root: PathBuf,
    folders: Mutex<Vec<(Vec<u8>, Stamp)>>,
    files: Mutex<Vec<(PathBuf, Option<Stamp>)>>,
    /// Something it needed could not be stamped (a folder vanished while walked, or lay outside
    /// the root): the walk is not kept.
    incomplete: AtomicBool,
}

impl Recording {
    /// Starts recording a walk under `root` (before anything is looked at).
    pub fn start(root: &Path) -> Recording {
        Recording {
            on: true,
            started: SystemTime::now(),
            root: root.to_path_buf(),
            folders: Mutex::default(),
            files: Mutex::default(),
            incomplete: AtomicBool::new(false),
        }
    }

    /// A recording that takes nothing, for a walk that will not be kept.
    pub fn off(root: &Path) -> Recording {
        Recording { on: false, ..Recording::start(root) }
    }

    /// Stamps a folder the walk is about to list.
    pub fn folder(&self, folder: &Path) {
        if !self.on {
            return;
        }
        let relative = folder.strip_prefix(&self.root).ok().map(|it| it.as_os_str().as_encoded_bytes().to_vec());
        match (relative, Stamp::of_folder(None, folder)) {
            (Some(relative), Some(stamp)) => {
                self.folders.lock().unwrap_or_else(PoisonError::into_inner).push((relative, stamp))
            }
            _ => self.incomplete.store(true, Ordering::Relaxed),
        }
    }

    /// Stamps a file the walk reads rules from (`None`: it is not there), as it is when read
    /// through links.
    pub fn file(&self, path: &Path, metadata: Option<&fs::Metadata>) {
        if !self.on {
            return;
        }
        self.files.lock().unwrap_or_else(PoisonError::into_inner).push((path.to_path_buf(), metadata.map(Stamp::of)));
    }

    fn finish(self, key: &WalkKey, listing: Listing, margin: Duration) -> Option<Kept> {
        if !self.on || self.incomplete.into_inner() {
            return None;
        }
        let mut folders = self.folders.into_inner().unwrap_or_else(PoisonError::into_inner);
        let mut files = self.files.into_inner().unwrap_or_else(PoisonError::into_inner);
        let racy = folders.iter().map(|(_, stamp)| stamp).chain(files.iter().filter_map(|(_, stamp)| stamp.as_ref()));
        if racy.into_iter().any(|it| it.racy(self.started, margin)) {
            tracing::debug!("walk not kept: a folder or ignore file changed within {margin:?} of the walk");
            return None;
        }
        folders.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        folders.dedup_by(|a, b| a.0 == b.0);
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        Some(Kept {
            build: key.build.clone(),
            uid: key.uid,
            root: key.canonical_root.as_os_str().as_encoded_bytes().to_vec(),
            under: key.under.clone(),
            settings: key.settings.clone(),
            folders,
            files: files
                .into_iter()
                .map(|(path, stamp)| (path.as_os_str().as_encoded_bytes().to_vec(), stamp))
                .collect(),
            paths: listing.paths,
            links: listing.links,
            unlisted: listing.unlisted,
        })
    }
}

/// A kept walk as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    build: String,
    uid: u32,
    root: Vec<u8>,
    under: Option<String>,
    settings: String,
    /// Every folder the walk listed, relative to the root as it was given (empty: the root),
    /// as the platform encodes the path.
    folders: Vec<(Vec<u8>, Stamp)>,
    /// Every file it read rules from outside those listings, or found present in them.
    files: Vec<(Vec<u8>, Option<Stamp>)>,
    paths: Vec<String>,
    links: Vec<String>,
    unlisted: Vec<(String, String)>,
}

impl Kept {
    /// Why a kept walk that decoded is not this user's or this build's, or `None`.
    fn foreign(&self, key: &WalkKey) -> Option<String> {
        if self.uid != key.uid {
            return Some(format!("written for user {}, not this user ({})", self.uid, key.uid));
        }
        if self.build != key.build {
            return Some(format!("written by another build of taskmark ({})", self.build));
        }
        if self.root != key.canonical_root.as_os_str().as_encoded_bytes() || self.under != key.under {
            return Some("written for another workspace".into());
        }
        None
    }

    fn settings_match(&self, key: &WalkKey) -> bool {
        self.settings == key.settings
    }

    /// Whether every folder and file stamped is as it was.
    fn still_matches(&self, root: &Path) -> bool {
        let Some(root_folder) = Folder::open(root) else { return false };
        let folder_same = |(relative, stamp): &(Vec<u8>, Stamp)| {
            let found = if relative.is_empty() {
                Stamp::of_folder(None, root)
            } else {
                Stamp::of_folder(Some(&root_folder), Path::new(os_str(relative)))
            };
            found == Some(*stamp)
        };
        let file_same = |(path, stamp): &(Vec<u8>, Option<Stamp>)| {
            fs::metadata(os_str(path)).ok().map(|it| Stamp::of(&it)) == *stamp
        };
        self.files.iter().all(file_same) && self.folders.par_iter().with_min_len(256).all(folder_same)
    }

    fn into_listing(self) -> Listing {
        Listing { paths: self.paths, links: self.links, unlisted: self.unlisted }
    }
}

/// A folder held open, to look up paths relative to it.
#[cfg(unix)]
struct Folder(std::os::fd::OwnedFd);

#[cfg(not(unix))]
struct Folder(PathBuf);

impl Folder {
    #[cfg(unix)]
    fn open(path: &Path) -> Option<Folder> {
        use rustix::fs::{Mode, OFlags, open};
        open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok().map(Folder)
    }

    #[cfg(not(unix))]
    fn open(path: &Path) -> Option<Folder> {
        Some(Folder(path.to_path_buf()))
    }
}

/// A path from the bytes `as_encoded_bytes` gave for it.
fn os_str(bytes: &[u8]) -> &std::ffi::OsStr {
    // SAFETY: the bytes came from `as_encoded_bytes` of a path on this platform, written by this
    // very build (the kept walk names it) and read back whole (its hash matched).
    unsafe { std::ffi::OsStr::from_encoded_bytes_unchecked(bytes) }
}

/// What a walk found, as kept: the files (and symlinks) under the root, relative and sorted,
/// those that are symlinks, and the folders it could not list with the reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub paths: Vec<String>,
    pub links: Vec<String>,
    pub unlisted: Vec<(String, String)>,
}

fn encode(kept: &Kept) -> Result<Vec<u8>, String> {
    let payload = postcard::to_stdvec(kept).map_err(|error| format!("cannot encode it: {error}"))?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(blake3::hash(&payload).as_bytes());
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

fn decode(bytes: &[u8]) -> Result<Kept, String> {
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or("not a kept walk of this version")?;
    let (hash, payload) = rest.split_at_checked(32).ok_or("cut short")?;
    if blake3::hash(payload).as_bytes() != hash {
        return Err("corrupt (its hash does not match)".into());
    }
    postcard::from_bytes(payload).map_err(|error| format!("corrupt ({error})"))
}

/// Writes `bytes` over `path` through a temporary file of this process's own (several may
/// keep walks at once), created new and never through a symlink. Not synced: a kept walk lost
/// or cut short by a crash fails its hash and is walked again.
fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".{}.{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let temp = PathBuf::from(temp);
    let written = private_dir::create_new_file(&temp)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Removes the least recently written kept walks past `keep` of them or `bytes` in all (and
/// temporary files a killed writer left an hour ago or more).
fn evict(dir: &Path, keep: usize, bytes: u64) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut kept: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
    let hour_ago = SystemTime::now().checked_sub(Duration::from_secs(3600)).unwrap_or(SystemTime::UNIX_EPOCH);
    for entry in entries.flatten().take(100_000) {
        let Ok(metadata) = entry.metadata() else { continue };
        if !metadata.is_file() {
            continue;
        }
        let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if entry.file_name().to_string_lossy().ends_with(".tmp") {
            if modified < hour_ago {
                let _ = fs::remove_file(entry.path());
            }
            continue;
        }
        kept.push((modified, metadata.len(), entry.path()));
    }
    kept.sort_unstable_by_key(|it| std::cmp::Reverse(it.0));
    let mut total = 0u64;
    for (position, (_, size, path)) in kept.into_iter().enumerate() {
        total = total.saturating_add(size);
        if position >= keep || total > bytes {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use crate::engine::config::Config;
    use crate::workspace::{Walked, walk_under_kept};
    use proptest::prelude::*;

    /// Short enough for tests, longer than this machine's timestamp granularity; each test
    /// waits past it before a walk, so that the walk's stamps are not racy.
    const MARGIN: Duration = Duration::from_millis(40);

    fn settle() {
        std::thread::sleep(MARGIN + Duration::from_millis(15));
    }

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        fs::write(path, text).expect("written");
    }

    /// The parts of a walk that a kept one must reproduce.
    fn seen(walked: &Walked) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
        let mut links: Vec<String> = walked.links.iter().cloned().collect();
        links.sort();
        let unlisted = walked.unlisted.iter().map(|it| (it.path.clone(), it.reason.clone())).collect();
        (walked.paths.clone(), links, unlisted)
    }

    fn workspace() -> (tempfile::TempDir, PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("ws");
        fs::create_dir_all(root.join(".git/info")).expect("git folder");
        write(&root, "TODO.md", "# TODO\n");
        write(&root, "specs/1_a/plans/implementation-001.md", "# Plan\n");
        let cache = tempfile::tempdir().expect("cache dir");
        (dir, root, cache)
    }

    fn kept_in(cache: &tempfile::TempDir) -> KeptWalks {
        KeptWalks::at(cache.path().join("walks"), MARGIN)
    }

    /// Walks with `kept` and without, checks they agree, and says whether the kept walk was used.
    fn walk_both(root: &Path, config: &Config, kept: &KeptWalks) -> bool {
        let with = walk_under_kept(root, config, None, kept).expect("walked");
        let without = walk_under_kept(root, config, None, &KeptWalks::disabled()).expect("walked");
        assert_eq!(seen(&with), seen(&without), "a kept walk differs from a fresh one");
        assert!(with.notes.is_empty(), "{:?}", with.notes);
        with.from_kept
    }

    #[test]
    fn a_walk_is_kept_and_used_until_a_folder_or_ignore_file_changes() {
        let (_dir, root, cache) = workspace();
        let kept = kept_in(&cache);
        let config = Config::default();
        settle();
        assert!(!walk_both(&root, &config, &kept), "nothing kept yet");
        assert!(walk_both(&root, &config, &kept), "the second walk is the kept one");
        // A file's content is not the walk's business.
        write(&root, "TODO.md", "# TODO\n\n- [ ] more\n");
        settle();
        assert!(walk_both(&root, &config, &kept));
        // A new file deep down, an ignore file's new rule, a folder's time set back: walked again.
        write(&root, "specs/1_a/plans/implementation-002.md", "# Plan 2\n");
        settle();
        assert!(!walk_both(&root, &config, &kept));
        assert!(walk_both(&root, &config, &kept));
        let folder = root.join("specs");
        let before = fs::metadata(&folder).and_then(|it| it.modified()).expect("a time");
        write(&root, "specs/2_b/TODO.md", "# TODO\n");
        fs::File::open(&folder).and_then(|it| it.set_modified(before)).expect("time set back");
        settle();
        assert!(!walk_both(&root, &config, &kept), "the change time moved");
        assert!(walk_both(&root, &config, &kept));
        // Whether the walk after writing `text` at `path` is a kept one.
        let kept_after = |path: &str, text: &str| {
            write(&root, path, text);
            settle();
            walk_both(&root, &config, &kept)
        };
        // An ignore file below the root, rewritten in place: its folder does not change.
        assert!(!kept_after("specs/.gitignore", ""));
        assert!(!kept_after("specs/.gitignore", "1_a/\n"), "the rewritten ignore file is read again");
        assert!(!kept_after(".gitignore", ""));
        assert!(!kept_after(".gitignore", "specs/\n"), "a changed ignore file is read again");
        assert!(!kept_after(".git/info/exclude", "TODO.md\n"), "a new exclude file is read");
        // Other settings are another walk.
        let mut excluding = Config::default();
        excluding.exclude = vec!["specs/**".into()];
        assert!(!walk_both(&root, &excluding, &kept));
        assert!(walk_both(&root, &excluding, &kept));
    }

    #[test]
    fn a_walk_with_a_stamp_too_recent_to_prove_anything_is_not_kept() {
        let (_dir, root, cache) = workspace();
        let kept = KeptWalks::at(cache.path().join("walks"), Duration::from_secs(3600));
        let config = Config::default();
        assert!(!walk_both(&root, &config, &kept));
        assert!(!walk_both(&root, &config, &kept), "folders made within the margin are racy");
        assert!(
            !cache.path().join("walks").exists()
                || fs::read_dir(cache.path().join("walks")).expect("a folder").next().is_none()
        );
    }

    /// The one kept walk in `cache`.
    fn kept_file(cache: &tempfile::TempDir) -> PathBuf {
        let mut files: Vec<PathBuf> =
            fs::read_dir(cache.path().join("walks")).expect("a folder").map(|it| it.expect("entry").path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.remove(0)
    }

    /// Rewrites the kept walk in `cache` through `change`, with a hash that matches.
    fn rewrite(cache: &tempfile::TempDir, change: impl FnOnce(&mut Kept)) {
        let path = kept_file(cache);
        let mut kept = decode(&fs::read(&path).expect("read")).expect("decoded");
        change(&mut kept);
        fs::write(&path, encode(&kept).expect("encoded")).expect("written");
    }

    fn walk_noting(root: &Path, kept: &KeptWalks) -> Walked {
        let walked = walk_under_kept(root, &Config::default(), None, kept).expect("walked");
        let fresh = walk_under_kept(root, &Config::default(), None, &KeptWalks::disabled()).expect("walked");
        assert_eq!(seen(&walked), seen(&fresh));
        walked
    }

    #[test]
    fn a_corrupt_foreign_or_other_builds_kept_walk_is_ignored_with_a_note_and_replaced() {
        let (_dir, root, cache) = workspace();
        let kept = kept_in(&cache);
        settle();
        walk_noting(&root, &kept);
        // Bytes flipped in the payload: its hash fails.
        let path = kept_file(&cache);
        let mut bytes = fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&path, &bytes).expect("written");
        let walked = walk_noting(&root, &kept);
        assert!(!walked.from_kept);
        assert!(walked.notes.iter().any(|it| it.contains("corrupt")), "{:?}", walked.notes);
        assert!(walk_noting(&root, &kept).from_kept, "written again, whole");
        // Cut short, and not a kept walk at all.
        fs::write(&path, &bytes[..20]).expect("written");
        assert!(walk_noting(&root, &kept).notes.iter().any(|it| it.contains("cut short")));
        fs::write(&path, b"{\"paths\": []}").expect("written");
        assert!(walk_noting(&root, &kept).notes.iter().any(|it| it.contains("not a kept walk")));
        // Another user's, another build's: each named, none used.
        rewrite(&cache, |it| it.uid += 1);
        let walked = walk_noting(&root, &kept);
        assert!(!walked.from_kept && walked.notes.iter().any(|it| it.contains("for user")), "{:?}", walked.notes);
        rewrite(&cache, |it| it.build = "taskmark 0.0.1".into());
        let walked = walk_noting(&root, &kept);
        assert!(!walked.from_kept && walked.notes.iter().any(|it| it.contains("another build")), "{:?}", walked.notes);
        // One that lists a file that is not there, with every stamp right, is still refused
        // when a stamp is off: the listing is never trusted without them.
        rewrite(&cache, |it| {
            it.paths.push("planted.md".into());
            it.folders[0].1.ctime.1 += 1;
        });
        let walked = walk_noting(&root, &kept);
        assert!(!walked.from_kept && !walked.paths.contains(&"planted.md".to_string()));
    }

    #[test]
    fn a_kept_walk_owned_by_another_user_or_reached_through_a_link_is_not_read() {
        let (_dir, root, cache) = workspace();
        let real = kept_in(&cache);
        settle();
        walk_noting(&root, &real);
        let path = kept_file(&cache);
        // Planted: the kept walk says there is a file the walk does not find.
        rewrite(&cache, |it| it.paths.push("planted.md".into()));
        let linked_home = cache.path().join("linked");
        std::os::unix::fs::symlink(cache.path().join("walks"), &linked_home).expect("a link");
        let through_link = KeptWalks::at(linked_home, MARGIN);
        let walked = walk_noting(&root, &through_link);
        assert!(!walked.from_kept && !walked.paths.contains(&"planted.md".to_string()));
        assert!(walked.notes.iter().any(|it| it.contains("not a folder")), "{:?}", walked.notes);
        // The folder open to others: refused too.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(cache.path().join("walks"), fs::Permissions::from_mode(0o777)).expect("chmod");
        let walked = walk_noting(&root, &real);
        assert!(
            !walked.from_kept && walked.notes.iter().any(|it| it.contains("lets other users in")),
            "{:?}",
            walked.notes
        );
        fs::set_permissions(cache.path().join("walks"), fs::Permissions::from_mode(0o700)).expect("chmod");
        // Another user's file (only root can make one).
        if private_dir::current_uid() == 0 {
            std::os::unix::fs::chown(&path, Some(12345), None).expect("chown");
            let walked = walk_noting(&root, &real);
            assert!(
                !walked.from_kept && walked.notes.iter().any(|it| it.contains("belongs to user 12345")),
                "{:?}",
                walked.notes
            );
        } else {
            // A file that is a link to a kept walk elsewhere is refused the same way.
            fs::rename(&path, cache.path().join("elsewhere")).expect("moved");
            std::os::unix::fs::symlink(cache.path().join("elsewhere"), &path).expect("a link");
            let walked = walk_noting(&root, &real);
            assert!(!walked.from_kept && walked.notes.iter().any(|it| it.contains("symlink")), "{:?}", walked.notes);
        }
    }

    #[test]
    fn a_cache_folder_that_cannot_be_made_costs_no_note() {
        let (_dir, root, cache) = workspace();
        // A file where the cache's parent folder would be: nothing can be made under it.
        let blocked = cache.path().join("file");
        fs::write(&blocked, "not a folder").expect("written");
        settle();
        let walked =
            walk_under_kept(&root, &Config::default(), None, &KeptWalks::at(blocked.join("taskmark/walks"), MARGIN))
                .expect("walked all the same");
        assert!(!walked.from_kept && walked.notes.is_empty(), "{:?}", walked.notes);
    }

    #[test]
    fn old_kept_walks_are_evicted_past_the_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        for number in 0..5 {
            let path = dir.path().join(format!("ws-{number}"));
            fs::write(&path, b"x").expect("written");
            let time = SystemTime::now() - Duration::from_secs(100 - number);
            fs::File::options().write(true).open(&path).and_then(|it| it.set_modified(time)).expect("time");
        }
        let left = |dir: &Path| {
            let mut names: Vec<String> = fs::read_dir(dir)
                .expect("a folder")
                .map(|it| it.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        evict(dir.path(), 3, u64::MAX);
        assert_eq!(left(dir.path()), ["ws-2", "ws-3", "ws-4"]);
        // Past the bytes: the newest that fit stay.
        evict(dir.path(), 3, 2);
        assert_eq!(left(dir.path()), ["ws-3", "ws-4"]);
    }

    /// One change a person, an agent or a tool makes to a work tree.
    #[derive(Debug, Clone)]
    enum Step {
        Write(usize, usize),
        Remove(usize, usize),
        Rename(usize, usize, usize),
        RemoveFolder(usize),
        Ignore(usize, usize),
        Exclude(usize),
        Link(usize, usize),
        TimeBack(usize, usize),
        Settings(usize),
    }

    const FOLDERS: [&str; 5] = ["", "specs", "specs/1_a", "specs/1_a/plans", "docs/notes"];
    const NAMES: [&str; 4] = ["TODO.md", "state.json", "plan.md", "keep.md"];
    const RULES: [&str; 5] = ["", "*.md\n", "plans/\n", "*.md\n!keep.md\n", "state.json\n"];
    const EXCLUDES: [&[&str]; 3] = [&[], &["docs/**"], &["**/plan.md"]];

    fn step() -> impl Strategy<Value = Step> {
        let folder = 0..FOLDERS.len();
        let name = 0..NAMES.len();
        prop_oneof![
            4 => (folder.clone(), name.clone()).prop_map(|(f, n)| Step::Write(f, n)),
            2 => (folder.clone(), name.clone()).prop_map(|(f, n)| Step::Remove(f, n)),
            2 => (folder.clone(), name.clone(), 0..FOLDERS.len()).prop_map(|(f, n, to)| Step::Rename(f, n, to)),
            1 => (1..FOLDERS.len()).prop_map(Step::RemoveFolder),
            2 => (folder.clone(), 0..RULES.len()).prop_map(|(f, r)| Step::Ignore(f, r)),
            1 => (0..RULES.len()).prop_map(Step::Exclude),
            1 => (folder.clone(), name.clone()).prop_map(|(f, n)| Step::Link(f, n)),
            1 => (folder, name).prop_map(|(f, n)| Step::TimeBack(f, n)),
            1 => (0..EXCLUDES.len()).prop_map(Step::Settings),
        ]
    }

    fn apply(root: &Path, step: &Step, config: &mut Config) {
        let at = |folder: usize, name: &str| {
            let folder = FOLDERS[folder];
            if folder.is_empty() { name.to_string() } else { format!("{folder}/{name}") }
        };
        match *step {
            Step::Write(folder, name) => write(root, &at(folder, NAMES[name]), "# text\n"),
            Step::Remove(folder, name) => {
                let _ = fs::remove_file(root.join(at(folder, NAMES[name])));
            }
            Step::Rename(folder, name, to) => {
                let target = root.join(at(to, NAMES[(name + 1) % NAMES.len()]));
                let _ = fs::create_dir_all(target.parent().expect("a parent"));
                let _ = fs::rename(root.join(at(folder, NAMES[name])), target);
            }
            Step::RemoveFolder(folder) => {
                let _ = fs::remove_dir_all(root.join(FOLDERS[folder]));
            }
            Step::Ignore(folder, rule) => write(root, &at(folder, ".gitignore"), RULES[rule]),
            Step::Exclude(rule) => write(root, ".git/info/exclude", RULES[rule]),
            Step::Link(folder, name) => {
                let link = root.join(at(folder, &format!("link-{}", NAMES[name])));
                let _ = fs::create_dir_all(link.parent().expect("a parent"));
                let _ = fs::remove_file(&link);
                let _ = std::os::unix::fs::symlink(NAMES[name], link);
            }
            // rsync and archive tools put a folder's time back after adding to it.
            Step::TimeBack(folder, name) => {
                let dir = root.join(FOLDERS[folder]);
                let Ok(before) = fs::metadata(&dir).and_then(|it| it.modified()) else { return };
                write(root, &at(folder, &format!("new-{}", NAMES[name])), "# new\n");
                let _ = fs::File::open(&dir).and_then(|it| it.set_modified(before));
            }
            Step::Settings(excludes) => {
                config.exclude = EXCLUDES[excludes].iter().map(|it| it.to_string()).collect();
            }
        }
    }

    /// After any sequence of changes, a walk that may use the kept one finds exactly what a
    /// fresh walk finds; and with nothing changed since the last, it is the kept one.
    ///
    /// Each case takes real time (the stamps must age past the racy margin before every walk),
    /// so it runs a fixed number of cases, whatever `PROPTEST_CASES` asks of the property tests
    /// that cost nothing (CI asks 2,048: ten minutes here); the seed and the regressions file are
    /// proptest's as usual.
    #[test]
    fn a_kept_walk_after_any_changes_is_the_fresh_walk() {
        let config = ProptestConfig {
            cases: 24,
            source_file: Some(file!()),
            test_name: Some(concat!(module_path!(), "::a_kept_walk_after_any_changes_is_the_fresh_walk")),
            failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::SourceParallel(
                "proptest-regressions",
            ))),
            ..proptest::test_runner::contextualize_config(ProptestConfig::default())
        };
        let batches = proptest::collection::vec(proptest::collection::vec(step(), 0..3), 1..6);
        let mut runner = proptest::test_runner::TestRunner::new(config);
        let outcome = runner.run(&batches, |steps| {
            let (_dir, root, cache) = workspace();
            let kept = kept_in(&cache);
            let mut config = Config::default();
            settle();
            walk_both(&root, &config, &kept);
            for batch in &steps {
                for step in batch {
                    apply(&root, step, &mut config);
                }
                settle();
                walk_both(&root, &config, &kept);
                prop_assert!(walk_both(&root, &config, &kept), "nothing changed since: the kept walk is used");
            }
            Ok(())
        });
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
    }
}
