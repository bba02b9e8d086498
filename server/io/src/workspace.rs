//! Loading a workspace from disk: its root, its configuration, its files. Shared by the command
//! line and the language server.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, format_err};

use crate::engine::config::{self, Config};
use crate::engine::index::WorkspaceIndex;
use crate::engine::layout::{self, Role};
use crate::engine::rules::PathOracle;
use crate::kept_walk::{self, KeptWalks};
use rayon::prelude::*;

/// Files larger than this are not tracker files anyone edits by hand; they are skipped with a
/// note rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// A file that was found but could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
    /// Whether the file would have been a tracker file, so skipping it matters.
    pub tracker: bool,
}

pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    pub index: WorkspaceIndex,
    /// Every file the walk saw, read or not, for link checks.
    pub known: HashSet<String>,
    pub skipped: Vec<Skipped>,
    /// Files read with a note (not valid UTF-8: read with replacement characters, never
    /// written), as `Skipped` entries whose reason is the note.
    pub noted: Vec<Skipped>,
    pub bytes_read: u64,
    /// What git tracks, as the walk found it ([`Walked::tracked`]).
    pub tracked: Option<HashSet<String>>,
    /// Notes about the workspace as a whole ([`Walked::notes`]).
    pub notes: Vec<String>,
}

/// A workspace root that has no `.git` or `.taskmark.toml` at or above it is a guess; past this
/// many files the guess is refused rather than indexed (`taskmark check` run in a downloads
/// folder or a home without a marker read 10,000 files and reported thousands of errors).
pub const UNMARKED_ROOT_MAX_FILES: usize = 5_000;

/// Why a folder is the workspace root: the command line says it, so a surprising root is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootReason {
    /// `--root DIR`.
    Given,
    /// The nearest folder at or above the start holding `.taskmark.toml`.
    Configured,
    /// The nearest folder at or above the current one holding `.git`.
    Repository,
    /// No `.git` and no `.taskmark.toml` at or above the start: the folder the search started
    /// from (the PATH's, or the current one), bounded by [`UNMARKED_ROOT_MAX_FILES`].
    Unmarked { from_path: bool },
}

/// The workspace root and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub path: PathBuf,
    pub reason: RootReason,
}

impl Root {
    /// Why this folder, in a few words: `the folder holding .git`.
    pub fn why(&self) -> &'static str {
        match self.reason {
            RootReason::Given => "--root",
            RootReason::Configured => "the folder holding .taskmark.toml",
            RootReason::Repository => "the folder holding .git",
            RootReason::Unmarked { from_path: true } => "the folder given; no .git or .taskmark.toml at or above it",
            RootReason::Unmarked { from_path: false } => "the current folder; no .git or .taskmark.toml at or above it",
        }
    }

    /// `root /x (the folder holding .git)`.
    pub fn describe(&self) -> String {
        format!("root {} ({})", self.path.display(), self.why())
    }
}

/// Picks the workspace root: `--root`, else the nearest folder at or above the first path (or,
/// with no path, the current folder) that holds `.taskmark.toml` or `.git`, else that folder
/// itself.
///
/// A root found by neither marker (nor given) is refused when it is `/` or the user's home
/// folder, or holds more than [`UNMARKED_ROOT_MAX_FILES`] files: the message names `--root`,
/// which takes any folder.
pub fn find_root(explicit: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<Root> {
    if let Some(root) = explicit {
        let path =
            std::fs::canonicalize(root).with_context(|| format!("cannot open workspace root {}", root.display()))?;
        return Ok(Root { path, reason: RootReason::Given });
    }
    // The nearest folder holding `.taskmark.toml` or `.git`: one root whichever door a person
    // comes in by (the current folder, a PATH, an editor's file), so that a PATH narrows what is
    // reported and never moves the root (its links, its standard, its other trackers).
    let marked = |start: &Path| -> Option<Root> {
        let found = start.ancestors().find(|dir| dir.join(config::FILE_NAME).is_file() || dir.join(".git").exists())?;
        let reason =
            if found.join(config::FILE_NAME).is_file() { RootReason::Configured } else { RootReason::Repository };
        Some(Root { path: found.to_path_buf(), reason })
    };
    let root = if let Some(first) = paths.first() {
        let first = std::fs::canonicalize(first).with_context(|| format!("cannot open {}", first.display()))?;
        let start =
            if first.is_dir() { first.clone() } else { first.parent().map_or(first.clone(), Path::to_path_buf) };
        marked(&start).unwrap_or(Root { path: start, reason: RootReason::Unmarked { from_path: true } })
    } else {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
        marked(&cwd).unwrap_or(Root { path: cwd, reason: RootReason::Unmarked { from_path: false } })
    };
    if let RootReason::Unmarked { .. } = root.reason {
        refuse_unmarked(&root.path, home().as_deref(), UNMARKED_ROOT_MAX_FILES)?;
    }
    Ok(root)
}

/// The user's home folder, as the root guard compares it.
fn home() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|it| !it.is_empty())?;
    Some(std::fs::canonicalize(&home).unwrap_or_else(|_| PathBuf::from(home)))
}

/// Refuses a root chosen without a marker that is `/`, `home`, or a folder of more than `limit`
/// files (counted until the limit, so `/` or a huge folder costs a bounded walk, not minutes).
fn refuse_unmarked(root: &Path, home: Option<&Path>, limit: usize) -> anyhow::Result<()> {
    let refuse = |what: String| {
        anyhow::format_err!(
            "no .git or .taskmark.toml in {root} or any folder above it, and {what}: not indexing it as a workspace. Run taskmark inside a project (a git repository, or a folder with a .taskmark.toml), or pass --root {root} to index it anyway",
            root = root.display()
        )
    };
    if root.parent().is_none() {
        return Err(refuse("it is the file system's root".to_string()));
    }
    if home == Some(root) {
        return Err(refuse("it is your home folder".to_string()));
    }
    let mut files = 0usize;
    let canonical_root = std::fs::canonicalize(root).with_context(|| format!("cannot open {}", root.display()))?;
    refuse_unsafe_ignore_files(&canonical_root, &canonical_root, &kept_walk::Recording::off(&canonical_root))?;
    let mut walk = ignore::WalkBuilder::new(root);
    // A folder whose ignore files cannot be read safely is not counted (nor indexed, later).
    walk.hidden(false).filter_entry(move |entry| {
        let special = matches!(entry.file_name().to_str(), Some(".git" | ".taskmark"));
        let unsafe_folder = entry.file_type().is_some_and(|it| it.is_dir())
            && ignore_files_problem(entry.path(), Some(&canonical_root)).is_some();
        !special && !unsafe_folder
    });
    for entry in walk.build().flatten() {
        if entry.file_type().is_some_and(|it| it.is_file()) {
            files += 1;
            if files > limit {
                return Err(refuse(format!("it holds more than {limit} files")));
            }
        }
    }
    Ok(())
}

/// The clock the engine's timestamps come from (the engine itself has none).
pub fn now() -> crate::engine::timestamp::Now {
    crate::engine::timestamp::Now::from_timestamp(jiff::Timestamp::now())
}

/// Reads `.taskmark.toml` at the root, if there is one.
pub fn load_config(root: &Path) -> anyhow::Result<Config> {
    let Some(text) = read_config_text(root).map_err(|reason| format_err!("{reason}"))? else {
        return Ok(Config::default());
    };
    Config::parse(&text).map_err(|error| format_err!("{}: {}", root.display(), error))
}

/// The text of `.taskmark.toml` at the root (`None`: there is none), read as every workspace
/// file is ([`read_workspace_file`]: a named pipe, a device or a link out of the root is not
/// read); the error names the file and why. The command line and the language server both
/// read it here.
pub fn read_config_text(root: &Path) -> Result<Option<Arc<str>>, String> {
    let path = root.join(config::FILE_NAME);
    if std::fs::symlink_metadata(&path).is_err_and(|error| error.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    let file = read_workspace_file(root, config::FILE_NAME)
        .map_err(|reason| format!("cannot read {}: {reason}", path.display()))?;
    match file.lossy {
        Some(note) => Err(format!("cannot read {}: {note}", path.display())),
        None => Ok(Some(file.text)),
    }
}

/// Whether the engine reads this file: markdown, `state.json` (Task Master's among them),
/// Backlog.md's `config.yml`, Task Master's `tasks.json`, `task_NNN.txt` (its `.md` ones are
/// markdown) and GitHub sync
/// record, a Conductor track's `metadata.json`.
pub fn wanted(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    lower.ends_with(".md")
        || lower.ends_with(".markdown")
        || lower == "state.json"
        || matches!(
            layout::classify(path).role,
            Role::BacklogConfig
                | Role::TaskMasterTasks
                | Role::TaskMasterText
                | Role::TaskMasterSync
                | Role::ConductorMetadata { .. }
        )
}

/// Threads for walking and reading: IO-bound work that wants many requests in flight (a cold
/// walk of 10,000 files took 0.74 s on one thread and 0.11 s on sixteen here), unlike parsing,
/// which gets one thread per core.
pub fn io_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |it| it.get());
    (cores * 4).clamp(16, 64)
}

/// The configured include and exclude globs as one matcher.
fn overrides(root: &Path, config: &Config) -> anyhow::Result<ignore::overrides::Override> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for pattern in &config.include {
        overrides.add(pattern).with_context(|| format!("bad include glob `{pattern}`"))?;
    }
    for pattern in &config.exclude {
        overrides.add(&format!("!{pattern}")).with_context(|| format!("bad exclude glob `{pattern}`"))?;
    }
    overrides.build().context("bad include/exclude globs")
}

/// A relative path as taskmark names workspace files: its components joined by `/`. A
/// backslash is a separator only where the system says so (Windows); elsewhere it is a
/// character of a name like any other, kept. `None` when the path is not UTF-8.
pub fn slash_path(path: &Path) -> Option<String> {
    path.to_str().map(with_slashes)
}

/// [`slash_path`] for showing a path: what is not UTF-8 shown as replacement characters.
pub fn slash_path_lossy(path: &Path) -> String {
    with_slashes(&path.to_string_lossy())
}

fn with_slashes(text: &str) -> String {
    if std::path::MAIN_SEPARATOR == '/' { text.to_string() } else { text.replace(std::path::MAIN_SEPARATOR, "/") }
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every file (and symlink) under the root, relative, sorted.
    pub paths: Vec<String>,
    /// Those of `paths` that are symlinks.
    pub links: HashSet<String>,
    /// Folders it could not list, with the reason.
    pub unlisted: Vec<Skipped>,
    /// The files git tracks under the root (`None` outside git, or when the walk did not read
    /// ignore files): kept for the file watcher's [`PathFilter`], so git is asked once.
    pub tracked: Option<HashSet<String>>,
    /// Why a kept walk could not be used or kept, other than a change in the workspace (a
    /// corrupt file, another user's, a cache folder that is a link).
    pub notes: Vec<String>,
    /// The listing is a kept walk's, every stamp in it matched.
    pub from_kept: bool,
}

/// Lists the workspace's files, honouring `.gitignore` and the configured globs. Symlinked
/// folders are not entered (a folder inside the root is walked where it really is).
pub fn walk(root: &Path, config: &Config) -> anyhow::Result<Walked> {
    walk_under(root, config, None)
}

/// [`walk`] of the folder `under` (relative to the root) only, with the root's ignore rules and
/// globs; paths stay relative to the root.
pub fn walk_under(root: &Path, config: &Config, under: Option<&str>) -> anyhow::Result<Walked> {
    walk_under_kept(root, config, under, &KeptWalks::for_user())
}

/// [`walk_under`], reusing the walk kept in `kept` while every folder and ignore file it
/// depends on is as it was (see [`kept_walk`]), else walking and keeping the walk.
pub fn walk_under_kept(root: &Path, config: &Config, under: Option<&str>, kept: &KeptWalks) -> anyhow::Result<Walked> {
    let start = under.map_or_else(|| root.to_path_buf(), |it| root.join(it));
    let canonical_root = std::fs::canonicalize(root).with_context(|| format!("cannot open {}", root.display()))?;
    let reads_ignore_files = config.respect_gitignore;
    // Started before anything is looked at: the stamps taken from here on prove what the walk saw.
    let recording =
        Arc::new(if kept.enabled() { kept_walk::Recording::start(root) } else { kept_walk::Recording::off(root) });
    if reads_ignore_files {
        let canonical_start =
            std::fs::canonicalize(&start).with_context(|| format!("cannot open {}", start.display()))?;
        refuse_unsafe_ignore_files(&canonical_start, &canonical_root, &recording)?;
    }
    let mut settings: Vec<&str> = vec![if reads_ignore_files { "ignore files" } else { "no ignore files" }];
    settings.extend(config.include.iter().map(String::as_str));
    settings.push("\0exclude");
    settings.extend(config.exclude.iter().map(String::as_str));
    let key = kept_walk::WalkKey::new(&canonical_root, under, &settings);
    let (found, note) = match &key {
        Some(key) => kept.load(key, root),
        None => (None, None),
    };
    let mut notes: Vec<String> = note.into_iter().collect();
    let mut walked = match found {
        Some(listing) => Walked {
            paths: listing.paths,
            links: listing.links.into_iter().collect(),
            unlisted: listing
                .unlisted
                .into_iter()
                .map(|(path, reason)| Skipped { path, reason, tracker: true })
                .collect(),
            from_kept: true,
            ..Walked::default()
        },
        None => {
            let walked = walk_listing(root, &start, config, &canonical_root, &recording)?;
            // The walk's threads are gone, and with them every other hold on the recording.
            if let Some(key) = &key
                && let Ok(recording) = Arc::try_unwrap(recording)
            {
                let mut links: Vec<String> = walked.links.iter().cloned().collect();
                links.sort_unstable();
                let listing = kept_walk::Listing {
                    paths: walked.paths.clone(),
                    links,
                    unlisted: walked.unlisted.iter().map(|it| (it.path.clone(), it.reason.clone())).collect(),
                };
                notes.extend(kept.save(key, recording, listing));
            }
            walked
        }
    };
    for note in &notes {
        tracing::warn!("{note}");
    }
    walked.notes = notes;
    if reads_ignore_files {
        add_tracked_but_ignored(root, config, under, &mut walked)?;
    }
    walked.paths.sort();
    walked.unlisted.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(walked)
}

/// The walk itself: every folder from `start` listed, stamped into `recording` before it is.
fn walk_listing(
    root: &Path,
    start: &Path,
    config: &Config,
    canonical_root: &Path,
    recording: &Arc<kept_walk::Recording>,
) -> anyhow::Result<Walked> {
    let overrides = overrides(root, config)?;
    let reads_ignore_files = config.respect_gitignore;
    recording.folder(start);
    // Folders left out because their ignore files cannot be read safely, with the reason.
    let unsafe_folders: Arc<Mutex<Vec<(PathBuf, String)>>> = Arc::default();
    let mut builder = ignore::WalkBuilder::new(start);
    builder
        .hidden(false)
        .git_ignore(reads_ignore_files)
        .git_exclude(reads_ignore_files)
        .git_global(false)
        .ignore(reads_ignore_files)
        .parents(reads_ignore_files)
        .overrides(overrides)
        .threads(io_threads())
        .filter_entry({
            let unsafe_folders = unsafe_folders.clone();
            let recording = recording.clone();
            let canonical_root = canonical_root.to_path_buf();
            move |entry| {
                if matches!(entry.file_name().to_str(), Some(".git" | ".taskmark")) {
                    return false;
                }
                if !entry.file_type().is_some_and(|it| it.is_dir()) {
                    return true;
                }
                // Stamped before it is listed: a change after this moves the stamp.
                recording.folder(entry.path());
                // The walk reads a folder's ignore files before anything in it: a folder it
                // cannot read them from safely is not entered (it is unlisted, its files unknown).
                if reads_ignore_files
                    && let Some(problem) =
                        ignore_files_problem_recorded(entry.path(), Some(&canonical_root), Some((&recording, true)))
                {
                    unsafe_folders.lock().unwrap_or_else(PoisonError::into_inner).push((entry.path().into(), problem));
                    return false;
                }
                true
            }
        });
    let found: Mutex<Walked> = Mutex::new(Walked::default());
    let relative = |path: &Path| -> Option<String> { slash_path(path.strip_prefix(root).ok()?) };
    builder.build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let Some(kind) = entry.file_type() else { return ignore::WalkState::Continue };
                    if (kind.is_file() || kind.is_symlink())
                        && let Some(path) = relative(entry.path())
                    {
                        let mut found = found.lock().unwrap_or_else(PoisonError::into_inner);
                        if kind.is_symlink() {
                            found.links.insert(path.clone());
                        }
                        found.paths.push(path);
                    }
                }
                // A folder it cannot list: its files are unknown, never "missing".
                Err(error) => {
                    if let Some((path, reason)) = unlisted_folder(&error)
                        && let Some(path) = relative(path)
                    {
                        let skip = Skipped { path, reason: format!("cannot list the folder: {reason}"), tracker: true };
                        found.lock().unwrap_or_else(PoisonError::into_inner).unlisted.push(skip);
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut walked = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    for (folder, problem) in std::mem::take(&mut *unsafe_folders.lock().unwrap_or_else(PoisonError::into_inner)) {
        if let Some(path) = relative(&folder) {
            walked.unlisted.push(Skipped { path, reason: format!("not walked: {problem}"), tracker: true });
        }
    }
    // Its filter holds the recording: let go of it.
    drop(builder);
    walked.paths.sort();
    walked.unlisted.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(walked)
}

/// How long git may take to list the files it tracks, and how much it may say: a repository is
/// untrusted input (its index could be a named pipe), and the walk must end.
const TRACKED_LIST_TIME: std::time::Duration = std::time::Duration::from_secs(5);
const TRACKED_LIST_BYTES: u64 = 64 << 20;

/// The files git tracks under `root`, relative to it, from git's index alone (`git ls-files
/// --cached`: no ignore file is read, so one that is a pipe or a link out cannot hold or feed
/// it, and `core.fsmonitor` is off, so the repository's configuration runs nothing). `None`
/// outside git, when git fails, or past its time or size bound.
fn tracked_files(root: &Path) -> Option<HashSet<String>> {
    use std::io::Read;
    if !root.ancestors().any(|folder| folder.join(".git").exists()) {
        return None;
    }
    let mut child = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "core.fsmonitor=false", "ls-files", "-z", "--cached", "--", "."])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.take(TRACKED_LIST_BYTES).read_to_end(&mut bytes).map(|_| bytes)
    });
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < TRACKED_LIST_TIME => {
                std::thread::sleep(std::time::Duration::from_millis(2))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    let bytes = reader.join().ok()?.ok()?;
    if !status.success() || bytes.len() as u64 >= TRACKED_LIST_BYTES {
        return None;
    }
    Some(
        bytes
            .split(|byte| *byte == 0)
            .filter(|it| !it.is_empty())
            .filter_map(|it| std::str::from_utf8(it).ok())
            .map(str::to_string)
            .collect(),
    )
}

/// The files git tracks that the walk left out for its ignore rules: git applies `.gitignore`
/// to untracked files only, and a repository that committed its tracker under an ignored folder
/// holds it all the same (five of nineteen real repositories tried did). `.taskmark/`, the
/// configured globs and the folders the walk could not enter safely still apply, and a file
/// under a linked folder is not reached through the link.
fn add_tracked_but_ignored(
    root: &Path,
    config: &Config,
    under: Option<&str>,
    walked: &mut Walked,
) -> anyhow::Result<()> {
    let Some(tracked) = tracked_files(root) else { return Ok(()) };
    let overrides = overrides(root, config)?;
    let known: HashSet<&str> = walked.paths.iter().map(String::as_str).collect();
    let prefix = under.map(|it| format!("{}/", it.trim_end_matches('/')));
    let unwalked: Vec<String> =
        walked.unlisted.iter().map(|it| format!("{}/", it.path.trim_end_matches('/'))).collect();
    let mut added: Vec<String> = Vec::new();
    for path in &tracked {
        if known.contains(path.as_str())
            || prefix.as_ref().is_some_and(|it| !path.starts_with(it.as_str()))
            || unwalked.iter().any(|it| path.starts_with(it.as_str()))
            || path.split('/').any(|part| part == ".git" || part == ".taskmark")
            || overrides.matched(root.join(path), false).is_ignore()
        {
            continue;
        }
        // Every folder on the way is a folder, not a link (the walk does not follow them).
        let mut folder = root.to_path_buf();
        let parts: Vec<&str> = path.split('/').collect();
        let real_folders = parts[..parts.len() - 1].iter().all(|part| {
            folder.push(part);
            std::fs::symlink_metadata(&folder).is_ok_and(|it| it.is_dir())
        });
        if !real_folders {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(root.join(path)) else { continue };
        if meta.file_type().is_symlink() {
            walked.links.insert(path.clone());
        } else if !meta.is_file() {
            continue;
        }
        added.push(path.clone());
    }
    walked.tracked = Some(tracked);
    if !added.is_empty() {
        walked.paths.extend(added);
        walked.paths.sort();
        walked.paths.dedup();
    }
    Ok(())
}

/// The ignore files the walk reads in a folder (through the `ignore` crate, which opens each
/// as it is): a named pipe there would hold the walk forever, a device would never end, and a
/// link out of the root would read a file elsewhere. So each is looked at first.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// Why the walk cannot read the ignore files of `folder` safely (its `.gitignore`, `.ignore`,
/// and its git folder's `info/exclude`), or `None`. A link out of `canonical_root` counts only
/// for folders inside the root (`Some`): the folders above it are not the workspace's.
fn ignore_files_problem(folder: &Path, canonical_root: Option<&Path>) -> Option<String> {
    ignore_files_problem_recorded(folder, canonical_root, None)
}

/// [`ignore_files_problem`], stamping what it looks at into `recording` for a kept walk: every
/// file whose presence or content decides the walk's rules. `listed` says whether the walk lists
/// `folder` itself, whose stamp then covers its ignore files' coming and going (only those
/// present are stamped); for a folder above the walk, absent ones are stamped too.
fn ignore_files_problem_recorded(
    folder: &Path,
    canonical_root: Option<&Path>,
    recording: Option<(&kept_walk::Recording, bool)>,
) -> Option<String> {
    let record = |path: &Path, metadata: Option<&std::fs::Metadata>| {
        if let Some((recording, listed)) = recording
            && (metadata.is_some() || !listed)
        {
            recording.file(path, metadata);
        }
    };
    for name in IGNORE_FILES {
        let path = folder.join(name);
        match safe_to_open(&path, canonical_root) {
            Ok(metadata) => record(&path, metadata.as_ref()),
            Err(reason) => return Some(format!("{} is {reason}", path.display())),
        }
    }
    // The crate reads `.git/info/exclude`, or, for a `.git` file (a worktree, a submodule), the
    // `info/exclude` of the folder its `gitdir:` and then `commondir` name.
    let git = folder.join(".git");
    let git_metadata = std::fs::metadata(&git).ok();
    if recording.is_some_and(|(_, listed)| !listed) || git_metadata.as_ref().is_some_and(|it| it.is_file()) {
        record(&git, git_metadata.as_ref());
    }
    let exclude = match git_metadata {
        Some(it) if it.is_dir() => git.join("info/exclude"),
        Some(it) if it.is_file() => match linked_git_folder(&git, &|path| record_absent(recording, path)) {
            Ok(Some(common)) => common.join("info/exclude"),
            Ok(None) => return None,
            Err(reason) => return Some(format!("{} names {reason}", git.display())),
        },
        _ => return None,
    };
    match safe_to_open(&exclude, None) {
        Ok(metadata) => {
            if let Some((recording, _)) = recording {
                recording.file(&exclude, metadata.as_ref());
            }
            None
        }
        Err(reason) => Some(format!("{} is {reason}", exclude.display())),
    }
}

/// Stamps a file a `.git` file's resolution reads (present or not) into a kept walk's recording.
fn record_absent(recording: Option<(&kept_walk::Recording, bool)>, path: &Path) {
    if let Some((recording, _)) = recording {
        recording.file(path, std::fs::metadata(path).ok().as_ref());
    }
}

/// The common git folder a `.git` file leads to, found the way the `ignore` crate finds it
/// (the `gitdir:` line as it is, then that folder's `commondir`); `None` where it finds none.
fn linked_git_folder(git_file: &Path, read: &dyn Fn(&Path)) -> Result<Option<PathBuf>, String> {
    const SMALL: u64 = 64 * 1024;
    let first_line = |path: &Path| -> Result<Option<String>, String> {
        read(path);
        match crate::read::regular_file(path, SMALL, true) {
            Ok((_, bytes)) => Ok(String::from_utf8_lossy(&bytes).lines().next().map(str::to_string)),
            Err(crate::read::ReadError::Io(_)) => Ok(None),
            Err(problem) => Err(format!("{}, which is {problem}", path.display())),
        }
    };
    let Some(git_dir) = first_line(git_file)?.and_then(|it| it.strip_prefix("gitdir: ").map(PathBuf::from)) else {
        return Ok(None);
    };
    let Some(common) = first_line(&git_dir.join("commondir"))? else { return Ok(None) };
    Ok(Some(if common.starts_with('.') { git_dir.join(common) } else { PathBuf::from(common) }))
}

/// Whether a reader that opens `path` as it is (following links) would read a regular file of
/// at most [`MAX_FILE_BYTES`], inside `canonical_root` when given; absent is fine too. The
/// file's metadata (through links) when it is there.
fn safe_to_open(path: &Path, canonical_root: Option<&Path>) -> Result<Option<std::fs::Metadata>, String> {
    // A file that cannot be looked at cannot be opened either: nothing is read.
    let Ok(metadata) = std::fs::metadata(path) else { return Ok(None) };
    if !metadata.is_file() {
        return Err(format!("not a regular file (a {})", crate::read::kind(&metadata.file_type())));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!("{} MiB long, over the {} MiB limit", metadata.len() >> 20, MAX_FILE_BYTES >> 20));
    }
    if let Some(root) = canonical_root
        && std::fs::symlink_metadata(path).is_ok_and(|it| it.is_symlink())
        && let Some(reason) = outside_root(root, path)
    {
        return Err(reason);
    }
    Ok(Some(metadata))
}

/// Refuses a walk from `start` whose own ignore files, or those of a folder above it (which the
/// walk reads too), cannot be read safely.
fn refuse_unsafe_ignore_files(
    start: &Path,
    canonical_root: &Path,
    recording: &kept_walk::Recording,
) -> anyhow::Result<()> {
    for folder in start.ancestors() {
        let inside = folder.starts_with(canonical_root).then_some(canonical_root);
        if let Some(problem) = ignore_files_problem_recorded(folder, inside, Some((recording, false))) {
            let whose = if inside.is_some() { "the folders it walks" } else { "the folders above the workspace" };
            anyhow::bail!(
                "cannot walk {}: {problem}, and the walk reads the ignore files of {whose}; remove or replace it",
                start.display()
            );
        }
    }
    Ok(())
}

/// The folder and IO error of a walk error that is a folder it could not read.
fn unlisted_folder(error: &ignore::Error) -> Option<(&Path, &std::io::Error)> {
    match error {
        ignore::Error::WithPath { path, err } => match err.as_ref() {
            ignore::Error::Io(io) => Some((path.as_path(), io)),
            other => unlisted_folder(other),
        },
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => unlisted_folder(err),
        _ => None,
    }
}

/// A file's text as taskmark reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    pub text: Arc<str>,
    /// Set when the bytes were not valid UTF-8: the text has U+FFFD in place of each bad sequence
    /// (the note says where). Such a file is read, never written: its bytes are not its text.
    pub lossy: Option<String>,
}

/// Reads a file for the index: only a regular file (a FIFO would block, a device never ends),
/// never more than [`MAX_FILE_BYTES`] (it stops reading there), not binary, with line breaks
/// taskmark reads. A file with a few stray bytes is still a tracker: a NUL here and there is
/// text, and bytes that are not UTF-8 are read as replacement characters, with a note. A file
/// with more than one such byte in ten is binary.
pub fn read_text(path: &Path) -> Result<FileText, String> {
    let bytes = read_bounded(path, MAX_FILE_BYTES)?;
    // Stray bytes, as a mangled character leaves them, against binary content: more than one
    // NUL or byte that is not UTF-8 in ten (UTF-16 text has a NUL in every two, compressed data
    // is mostly not UTF-8; the real plans with mangled box drawing have 3 in a thousand).
    let nuls = match memchr::memchr(0, &bytes) {
        None => 0,
        Some(first) => memchr::memchr_iter(0, &bytes[first..]).count(),
    };
    // Valid UTF-8 (almost every file) is told by the fast check alone, done once.
    let utf8 = match simdutf8::basic::from_utf8(&bytes) {
        Ok(_) => Ok(()),
        // Where it goes wrong is asked of the standard check only then.
        Err(_) => std::str::from_utf8(&bytes).map(|_| ()).map_err(|error| error.valid_up_to()),
    };
    let invalid: usize = match utf8 {
        Ok(()) => 0,
        Err(_) => bytes.utf8_chunks().map(|it| it.invalid().len()).sum(),
    };
    if (nuls + invalid) * 10 > bytes.len() {
        return Err(if nuls > 0 { "binary file (contains NUL bytes)" } else { "binary file (mostly not UTF-8)" }.into());
    }
    if let Some(line) = crate::engine::text::lone_carriage_return(&bytes) {
        return Err(format!(
            "a carriage return without a line feed at line {line} (classic Mac OS line breaks), which taskmark does not read; convert the file to LF or CRLF line breaks"
        ));
    }
    match utf8 {
        // SAFETY: the bytes are valid UTF-8 (checked above), and `str` has the layout of `[u8]`:
        // the text is the buffer the file was read into, not a copy of it.
        Ok(()) => Ok(FileText { text: unsafe { Arc::from_raw(Arc::into_raw(bytes) as *const str) }, lossy: None }),
        Err(at) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let line = bytes[..at].iter().filter(|it| **it == b'\n').count() + 1;
            Ok(FileText {
                text: Arc::from(text),
                lossy: Some(format!(
                    "not valid UTF-8 (first bad byte at offset {at}, line {line}): read with replacement characters, and never written"
                )),
            })
        }
    }
}

/// Reads a regular file of at most `limit` bytes, stopping at the limit rather than after.
fn read_bounded(path: &Path, limit: u64) -> Result<Arc<[u8]>, String> {
    match crate::read::regular_file_shared(path, limit, true) {
        Ok(bytes) => Ok(bytes),
        Err(crate::read::ReadError::Io(error)) => Err(format!("cannot read: {error}")),
        Err(crate::read::ReadError::TooLarge(size)) => Err(too_large(size, limit)),
        Err(not_regular) => Err(not_regular.to_string()),
    }
}

fn too_large(size: u64, limit: u64) -> String {
    format!("{} MiB is over the {} MiB limit for tracker files", size >> 20, limit >> 20)
}

/// Whether files reached through symlinks that lead out of the workspace are read: only when
/// the user says so (`TASKMARK_FOLLOW_OUTSIDE_LINKS=1`), never because a repository does.
fn follow_outside_links() -> bool {
    std::env::var_os("TASKMARK_FOLLOW_OUTSIDE_LINKS").is_some_and(|it| it == "1")
}

/// Why a path that leads out of the workspace root is not read, if it does.
fn outside_root(canonical_root: &Path, full: &Path) -> Option<String> {
    let real = std::fs::canonicalize(full).ok()?;
    if real.starts_with(canonical_root) || follow_outside_links() {
        return None;
    }
    Some(format!(
        "a link to {}, outside the workspace root: not read (TASKMARK_FOLLOW_OUTSIDE_LINKS=1 reads such files)",
        real.display()
    ))
}

/// Reads one workspace file, as [`read_text`] does, refusing a path that leads out of the root
/// through a symlink.
pub fn read_workspace_file(root: &Path, relative: &str) -> Result<FileText, String> {
    let full = root.join(relative);
    let canonical_root =
        std::fs::canonicalize(root).map_err(|error| format!("cannot open the workspace root: {error}"))?;
    if let Some(reason) = outside_root(&canonical_root, &full) {
        return Err(reason);
    }
    read_text(&full)
}

/// A file git reads from the work tree (`.gitattributes`), read as git reads it there: never
/// through a symlink (git does not follow one since 2.32, so a linked file says nothing to it),
/// only a regular file (a named pipe would hang, a device never end), at most
/// [`MAX_FILE_BYTES`], as UTF-8 text. `Ok(None)`: there is none. The error says why, in words.
pub fn read_git_file(folder: &Path, name: &str) -> Result<Option<String>, String> {
    let path = folder.join(name);
    match crate::read::regular_file(&path, MAX_FILE_BYTES, false) {
        Ok((_, bytes)) => String::from_utf8(bytes).map(Some).map_err(|_| "not UTF-8 text".to_string()),
        Err(crate::read::ReadError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(crate::read::ReadError::Io(_)) if std::fs::symlink_metadata(&path).is_ok_and(|it| it.is_symlink()) => {
            Err("a symbolic link, which git does not follow there either: not read".to_string())
        }
        Err(crate::read::ReadError::Io(error)) => Err(format!("cannot read: {error}")),
        Err(crate::read::ReadError::TooLarge(size)) => {
            Err(format!("{} MiB is over the {} MiB limit", size >> 20, MAX_FILE_BYTES >> 20))
        }
        Err(not_regular) => Err(not_regular.to_string()),
    }
}

/// Walks, reads and indexes the workspace at `root`. Files are read on the IO threads and
/// parsed as soon as they are read, until the configured limit on indexed text.
pub fn load(root: &Path, config: Config, progress: &(dyn Fn(usize, usize) + Sync)) -> anyhow::Result<Workspace> {
    load_selected(root, config, progress, None, |paths| paths.to_vec())
}

/// Like [`load`], but walks only the folder `under` (when given) and reads and indexes only the
/// files `select` picks from those the walk found: a command that works on one tracker need
/// not read the others. Every walked path counts as known; a link to a path outside them is
/// resolved by asking the file system, as for any path not listed.
pub fn load_selected(
    root: &Path,
    config: Config,
    progress: &(dyn Fn(usize, usize) + Sync),
    under: Option<&str>,
    select: impl FnOnce(&[String]) -> Vec<String>,
) -> anyhow::Result<Workspace> {
    let canonical_root = std::fs::canonicalize(root).with_context(|| format!("cannot open {}", root.display()))?;
    let walked = walk_under(root, &config, under)?;
    let wanted_paths: Vec<String> = walked.paths.iter().filter(|it| wanted(it)).cloned().collect();
    let to_read = select(&wanted_paths);
    let total = to_read.len();
    let done = AtomicUsize::new(0);
    let bytes_read = AtomicU64::new(0);
    let limit = config.index_limit_bytes;
    let skipped: Mutex<Vec<Skipped>> = Mutex::new(walked.unlisted);
    let noted: Mutex<Vec<Skipped>> = Mutex::new(Vec::new());
    let read = |path: &str| {
        let full = root.join(path);
        let result = match walked.links.contains(path).then(|| outside_root(&canonical_root, &full)).flatten() {
            Some(reason) => Err(reason),
            None => read_text(&full),
        };
        let result = result.and_then(|file| {
            let size = file.text.len() as u64;
            if bytes_read.fetch_add(size, Ordering::Relaxed) + size > limit {
                bytes_read.fetch_sub(size, Ordering::Relaxed);
                return Err(format!(
                    "not read: the workspace's files passed the {} MiB limit on indexed text (`index_limit_mib` in {})",
                    limit >> 20,
                    config::FILE_NAME
                ));
            }
            Ok(file)
        });
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if finished.is_multiple_of(256) || finished == total {
            progress(finished, total);
        }
        match result {
            Ok(FileText { text, lossy }) => {
                if let Some(reason) = lossy {
                    let tracker = layout::classify(path).role.is_tracker();
                    noted.lock().unwrap_or_else(PoisonError::into_inner).push(Skipped {
                        path: path.to_string(),
                        reason,
                        tracker,
                    });
                }
                Some(text)
            }
            Err(reason) => {
                let skip =
                    Skipped { path: path.to_string(), reason, tracker: layout::classify(path).role.is_tracker() };
                skipped.lock().unwrap_or_else(PoisonError::into_inner).push(skip);
                None
            }
        }
    };
    let readers =
        rayon::ThreadPoolBuilder::new().num_threads(io_threads()).build().context("cannot start reader threads")?;
    let read_paths: HashSet<&str> = to_read.iter().map(String::as_str).collect();
    let listed: Vec<String> = wanted_paths.iter().filter(|it| !read_paths.contains(it.as_str())).cloned().collect();
    drop(read_paths);
    let mut index = readers.install(|| WorkspaceIndex::build_with(to_read, &config.vocabularies, read));
    index.set_listed(listed);
    let mut skipped = skipped.into_inner().unwrap_or_else(PoisonError::into_inner);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let mut noted = noted.into_inner().unwrap_or_else(PoisonError::into_inner);
    noted.sort_by(|a, b| a.path.cmp(&b.path));
    let known: HashSet<String> = walked.paths.into_iter().collect();
    let bytes_read = bytes_read.into_inner();
    let tracked = walked.tracked;
    let notes = walked.notes;
    Ok(Workspace { root: root.to_path_buf(), config, index, known, skipped, noted, bytes_read, tracked, notes })
}

/// More files than this differing from the index a copy starts from (or a tenth of its files,
/// if more), and indexing them one by one costs more than indexing the workspace afresh.
const FEW_CHANGES: usize = 64;

/// Whether `changes` files differing out of `files` are few enough to index one by one.
pub fn few_changes(changes: usize, files: usize) -> bool {
    changes <= FEW_CHANGES.max(files / 10)
}

/// The workspace at `root` indexed as a copy of `like`, the index of the same folder in
/// another checkout of the repository (at `like_root`): the entries of the files that are the
/// same in both are shared (their texts and parses), and only the files that differ are indexed.
/// Several worktrees of one repository then cost little more memory than one. `None` when the
/// configurations read the trackers differently or too many files differ (the caller loads the
/// workspace afresh).
pub fn load_like(root: &Path, config: &Config, like: &WorkspaceIndex, like_root: &Path) -> Option<WorkspaceIndex> {
    if like.vocabularies() != &config.vocabularies {
        return None;
    }
    let changes = changed_files(root, config, like, Some(like_root)).ok()?;
    if !few_changes(changes.len(), like.len()) {
        return None;
    }
    let mut index = like.clone();
    for (path, text) in changes {
        index.set_file(&path, text);
    }
    Some(index)
}

/// The files the disk at `root` has other than `like` holds them: each with its text now
/// (`None`: gone or unreadable), files that appeared included. `like` is the index of the same
/// folder in another checkout at `like_root`, or (`None`) of this very folder, read earlier:
/// then a prose file (whose text no index keeps) counts as unchanged, for its text cannot
/// change what any rule says. A file that is not valid UTF-8 is compared as it is indexed,
/// with its bad bytes replaced.
pub fn changed_files(
    root: &Path,
    config: &Config,
    like: &WorkspaceIndex,
    like_root: Option<&Path>,
) -> anyhow::Result<Vec<(String, Option<Arc<str>>)>> {
    let canonical_root = std::fs::canonicalize(root).with_context(|| format!("cannot open {}", root.display()))?;
    let walked = walk_under(root, config, None)?;
    let read = |path: &str| -> Option<Arc<str>> {
        let full = root.join(path);
        if walked.links.contains(path) && outside_root(&canonical_root, &full).is_some() {
            return None;
        }
        read_text(&full).ok().map(|it| it.text)
    };
    let paths: Vec<&String> = walked.paths.iter().filter(|it| wanted(it)).collect();
    let there: HashSet<&str> = paths.iter().map(|it| it.as_str()).collect();
    let mut changes: Vec<(String, Option<Arc<str>>)> = paths
        .par_iter()
        .filter_map(|path| {
            let entry = like.file_id(path).and_then(|it| like.entry(it));
            let prose = entry.is_some_and(|it| it.class.role == layout::Role::Prose);
            if prose && like_root.is_none() {
                return None;
            }
            let text = read(path);
            let same = match (entry, &text) {
                (Some(entry), Some(text)) if !prose => *entry.text == **text,
                // Prose keeps no text: compare with the file where `like` was read.
                (Some(_), Some(text)) => like_root.is_some_and(|like_root| {
                    read_text(&like_root.join(path.as_str())).is_ok_and(|it| *it.text == **text)
                }),
                (Some(_), None) => false,
                (None, text) => text.is_none(),
            };
            (!same).then(|| (path.to_string(), text))
        })
        .collect();
    changes.extend(
        like.entries()
            .filter(|(_, entry)| !there.contains(entry.path.as_str()))
            .map(|(_, entry)| (entry.path.clone(), None)),
    );
    Ok(changes)
}

/// The first file of the tracker at `scope` that could not be read (or folder that may hold
/// one), from a workspace's `(path, reason)` list of files it could not read.
pub fn unreadable_in_tracker<'a>(
    skipped: impl IntoIterator<Item = (&'a str, &'a str)>,
    scope: &str,
) -> Option<(&'a str, &'a str)> {
    let under =
        |inner: &str, outer: &str| outer.is_empty() || inner == outer || inner.starts_with(&format!("{outer}/"));
    skipped.into_iter().find(|(path, _)| {
        if wanted(path) {
            let class = layout::classify(path);
            class.role.is_tracker() && class.root == scope
        } else {
            // A folder the walk could not list.
            under(path, scope) || under(scope, path)
        }
    })
}

/// Refuses a write to the tracker at `scope` while one of its files could not be read, or did
/// not parse, where a place of `task` (any task, for `None`) could be: the change could not
/// reach that place, and would leave the tracker disagreeing with itself. `skipped` is the
/// workspace's `(path, reason)` list of files it could not read; `what` names the change.
pub fn refuse_if_unreadable<'a>(
    index: &WorkspaceIndex,
    skipped: impl IntoIterator<Item = (&'a str, &'a str)>,
    scope: &str,
    task: Option<&crate::engine::model::TaskKey>,
    what: &str,
) -> Result<(), String> {
    if let Some((path, reason)) = unreadable_in_tracker(skipped, scope) {
        return Err(format!("refusing to {what}: {path}, a file of its tracker, cannot be read ({reason})"));
    }
    if let Some((path, problem)) = index.unparsed_store(scope, task) {
        return Err(format!("refusing to {what}: {path}, a file of its tracker, does not parse ({problem})"));
    }
    Ok(())
}

/// Link targets exist if the walk saw them, or (for ignored or unread files) if the disk has them.
pub struct DiskPaths<'a> {
    pub root: &'a Path,
    pub known: &'a HashSet<String>,
}

impl PathOracle for DiskPaths<'_> {
    fn known(&self, path: &str) -> bool {
        self.known.contains(path)
    }

    fn exists(&self, path: &str) -> bool {
        // A path in a folder taskmark may not read (permission denied) is not known to be
        // missing: say nothing rather than call a link broken.
        self.known.contains(path) || (!path.is_empty() && self.root.join(path).try_exists().unwrap_or(true))
    }
}

/// Decides whether a path reported by a file watcher belongs to the workspace as the walk
/// sees it: not under `.git` or `.taskmark`, within the configured globs, and, inside a git
/// repository (where the walk honours them, as ripgrep does), not ignored by the `.gitignore`
/// files of its folder and the folders above it up to the root (the deepest one that has a say
/// wins, as in git) or by `.git/info/exclude`.
pub struct PathFilter {
    overrides: ignore::overrides::Override,
    respect_gitignore: bool,
    /// The root's `.gitignore` with `.git/info/exclude`.
    gitignore: Option<ignore::gitignore::Gitignore>,
    canonical_root: PathBuf,
    /// Each folder's own `.gitignore`, read when a path under it is first asked about (`None`:
    /// it has none). A changed ignore file makes the server walk the workspace again, with a new
    /// filter.
    nested: Mutex<HashMap<PathBuf, Option<Arc<ignore::gitignore::Gitignore>>>>,
    /// The files git tracks, which the walk lists whatever the ignore files say
    /// ([`add_tracked_but_ignored`]).
    tracked: HashSet<String>,
}

impl PathFilter {
    pub fn new(root: &Path, config: &Config) -> anyhow::Result<PathFilter> {
        PathFilter::with_tracked(root, config, None)
    }

    /// [`PathFilter::new`] with the files git tracks as a walk of the same root just listed them
    /// ([`Workspace::tracked`]): git is not asked again.
    pub fn with_tracked(root: &Path, config: &Config, tracked: Option<HashSet<String>>) -> anyhow::Result<PathFilter> {
        let overrides = overrides(root, config)?;
        let respect_gitignore = config.respect_gitignore && root.ancestors().any(|folder| folder.join(".git").exists());
        let canonical_root = std::fs::canonicalize(root).with_context(|| format!("cannot open {}", root.display()))?;
        let gitignore = respect_gitignore.then(|| {
            let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
            add_ignore_file(&mut builder, &root.join(".gitignore"), Some(&canonical_root));
            add_ignore_file(&mut builder, &root.join(".git/info/exclude"), None);
            builder.build().unwrap_or_else(|_| ignore::gitignore::Gitignore::empty())
        });
        let tracked = match tracked {
            _ if !respect_gitignore => HashSet::new(),
            Some(tracked) => tracked,
            None => tracked_files(root).unwrap_or_default(),
        };
        Ok(PathFilter {
            overrides,
            respect_gitignore,
            gitignore,
            canonical_root,
            nested: Mutex::new(HashMap::new()),
            tracked,
        })
    }

    pub fn accepts(&self, root: &Path, relative: &str) -> bool {
        if relative.split('/').any(|part| part == ".git" || part == ".taskmark") {
            return false;
        }
        let absolute = root.join(relative);
        if self.overrides.matched(&absolute, false).is_ignore() {
            return false;
        }
        if !self.respect_gitignore || self.tracked.contains(relative) {
            return true;
        }
        // The folders between the root and the file, deepest first.
        let mut folders: Vec<&str> = Vec::new();
        let mut rest = relative;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            folders.push(parent);
            rest = parent;
        }
        for folder in folders {
            let Some(ignore) = self.folder_ignore(&root.join(folder)) else { continue };
            let matched = ignore.matched_path_or_any_parents(&absolute, false);
            if matched.is_ignore() {
                return false;
            }
            if matched.is_whitelist() {
                return true;
            }
        }
        !self.gitignore.as_ref().is_some_and(|it| it.matched_path_or_any_parents(&absolute, false).is_ignore())
    }

    fn folder_ignore(&self, folder: &Path) -> Option<Arc<ignore::gitignore::Gitignore>> {
        let mut nested = self.nested.lock().unwrap_or_else(PoisonError::into_inner);
        nested
            .entry(folder.to_path_buf())
            .or_insert_with(|| {
                let file = folder.join(".gitignore");
                file.is_file().then(|| {
                    let mut builder = ignore::gitignore::GitignoreBuilder::new(folder);
                    add_ignore_file(&mut builder, &file, Some(&self.canonical_root));
                    Arc::new(builder.build().unwrap_or_else(|_| ignore::gitignore::Gitignore::empty()))
                })
            })
            .clone()
    }
}

/// Adds the lines of the ignore file at `path` to `builder`, if it can be read safely (as
/// [`safe_to_open`] says); a missing file adds nothing, and a malformed line only loses itself.
fn add_ignore_file(builder: &mut ignore::gitignore::GitignoreBuilder, path: &Path, canonical_root: Option<&Path>) {
    if safe_to_open(path, canonical_root).is_err() {
        return;
    }
    let Ok((_, bytes)) = crate::read::regular_file(path, MAX_FILE_BYTES, true) else { return };
    let text = String::from_utf8_lossy(&bytes);
    for line in text.trim_start_matches('\u{feff}').lines() {
        let _ = builder.add_line(Some(path.to_path_buf()), line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("a folder");
        for entry in std::fs::read_dir(from).expect("a folder").flatten() {
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("a copy");
            }
        }
    }

    /// What a workspace's index says, for comparing two: every task's status and every
    /// diagnostic.
    fn said(root: &Path, index: &WorkspaceIndex) -> (Vec<String>, Vec<String>) {
        let known: HashSet<String> = index.entries().map(|(_, it)| it.path.clone()).collect();
        let paths = DiskPaths { root, known: &known };
        let statuses = index
            .tasks()
            .keys()
            .map(|task| format!("{task} {:?}", index.task_status(task).map(|(place, _)| index.place(place).shown())))
            .collect();
        let diagnostics = crate::engine::rules::check(index, &Config::default(), None, &paths)
            .iter()
            .map(|it| format!("{} {:?} {} {}", index.path(it.file), it.range, it.code, it.message))
            .collect();
        (statuses, diagnostics)
    }

    #[test]
    fn another_worktree_is_indexed_from_this_ones_index_sharing_what_is_the_same() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (here, there) = (dir.path().join("here"), dir.path().join("there"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example");
        copy_tree(&example, &here);
        copy_tree(&example, &there);
        // There, a task moved on, a plan was added and a report removed.
        let todo = there.join("specs/TODO.md");
        let text = std::fs::read_to_string(&todo).expect("TODO.md");
        std::fs::write(&todo, text.replacen("- **14** [PLANNED]", "- **14** [IMPLEMENTING]", 1)).expect("write");
        std::fs::write(
            there.join("specs/012_sync_engine/plans/implementation-002.md"),
            "# Plan\n- **Task**: 12 - Sync engine\n- **Status**: [NOT STARTED]\n",
        )
        .expect("write");
        std::fs::remove_file(there.join("specs/011_offline_cache/reports/research-001.md")).expect("remove");

        let config = Config::default();
        let here_index = load(&here, config.clone(), &|_, _| {}).expect("here").index;
        let like = load_like(&there, &config, &here_index, &here).expect("few files differ");
        let fresh = load(&there, config.clone(), &|_, _| {}).expect("there").index;
        assert_eq!(said(&there, &like), said(&there, &fresh));
        // The unchanged state.json is the same entry, text and parse, in both indexes.
        fn entry<'a>(index: &'a WorkspaceIndex, path: &str) -> &'a crate::engine::index::FileEntry {
            index.file_id(path).and_then(|it| index.entry(it)).expect("indexed")
        }
        assert!(std::ptr::eq(entry(&like, "specs/state.json"), entry(&here_index, "specs/state.json")));
        assert!(!std::ptr::eq(entry(&like, "specs/TODO.md"), entry(&here_index, "specs/TODO.md")));
        assert!(like.file_id("specs/011_offline_cache/reports/research-001.md").is_none());

        // Read in other vocabularies, the other worktree is indexed afresh.
        let mut other = config.clone();
        other.vocabularies.learn_min_places = None;
        assert!(load_like(&there, &other, &here_index, &here).is_none());
    }

    #[test]
    fn the_files_changed_since_a_folder_was_read_are_found_and_nothing_else() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().join("here");
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example");
        copy_tree(&example, &root);
        // A file that is not UTF-8 is indexed with its bad bytes replaced: not a change.
        std::fs::create_dir_all(root.join("specs/015_export_csv/plans")).expect("a folder");
        std::fs::write(root.join("specs/015_export_csv/plans/implementation-001.md"), b"# Plan \xff\n").expect("write");
        let config = Config::default();
        let index = load(&root, config.clone(), &|_, _| {}).expect("read").index;
        let unchanged = changed_files(&root, &config, &index, None).expect("compared");
        assert!(unchanged.is_empty(), "{unchanged:?}");

        let todo = root.join("specs/TODO.md");
        let text = std::fs::read_to_string(&todo).expect("TODO.md");
        std::fs::write(&todo, text.replacen("- **14** [PLANNED]", "- **14** [IMPLEMENTING]", 1)).expect("write");
        std::fs::write(root.join("specs/012_sync_engine/plans/implementation-002.md"), "# Plan\n").expect("write");
        std::fs::remove_file(root.join("specs/011_offline_cache/reports/research-001.md")).expect("remove");
        // Prose (the README) keeps no text in the index: its change says nothing to any rule.
        std::fs::write(root.join("README.md"), "# Another readme\n").expect("write");
        let mut changed: Vec<(String, bool)> = changed_files(&root, &config, &index, None)
            .expect("compared")
            .into_iter()
            .map(|(path, text)| (path, text.is_some()))
            .collect();
        changed.sort();
        assert_eq!(
            changed,
            [
                ("specs/011_offline_cache/reports/research-001.md".to_string(), false),
                ("specs/012_sync_engine/plans/implementation-002.md".to_string(), true),
                ("specs/TODO.md".to_string(), true),
            ]
        );
    }

    #[test]
    fn a_root_without_a_marker_is_bounded() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for name in ["a.md", "b.md", "c.md"] {
            std::fs::write(dir.path().join(name), "# x\n").expect("a file");
        }
        assert!(refuse_unmarked(dir.path(), None, 3).is_ok());
        let message = refuse_unmarked(dir.path(), None, 2).expect_err("over the bound").to_string();
        assert!(message.contains("it holds more than 2 files"), "{message}");
        assert!(message.contains(&format!("--root {}", dir.path().display())), "{message}");
        let message = refuse_unmarked(dir.path(), Some(dir.path()), 10).expect_err("home").to_string();
        assert!(message.contains("it is your home folder"), "{message}");
        let message = refuse_unmarked(Path::new("/"), None, 10).expect_err("the root").to_string();
        assert!(message.contains("it is the file system's root"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read_and_never_past_the_limit() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let fifo = dir.path().join("TODO.md");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("a path");
        // SAFETY: mkfifo(3) with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // Would block forever if it waited for a writer.
        assert_eq!(read_text(&fifo).expect_err("a FIFO"), "not a regular file (a named pipe)");
        assert_eq!(read_text(Path::new("/dev/zero")).expect_err("a device"), "not a regular file (a device)");
        let big = dir.path().join("big.md");
        std::fs::write(&big, "x".repeat(3000)).expect("a file");
        assert_eq!(read_bounded(&big, 1000).expect_err("over the limit"), too_large(3000, 1000));
        assert_eq!(read_bounded(&big, 3000).expect("at the limit").len(), 3000);
    }

    #[test]
    fn classic_mac_line_breaks_are_named_not_silently_misread() {
        use crate::engine::text::lone_carriage_return;
        assert_eq!(lone_carriage_return(b"a\r\nb\r\n"), None);
        assert_eq!(lone_carriage_return(b"### 1. Task\r- **Status**: [PLANNED]\r"), Some(1));
        assert_eq!(lone_carriage_return(b"one\ntwo\nthree\rfour"), Some(3));
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("TODO.md"), "# TODO\r- [ ] one\r").expect("a file");
        let reason = read_text(&dir.path().join("TODO.md")).expect_err("CR line breaks");
        assert!(reason.starts_with("a carriage return without a line feed at line 1"), "{reason}");
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_are_not_read_links_inside_are() {
        let outside = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(outside.path().join("secret.md"), "- [ ] secret\n").expect("a file");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        std::fs::create_dir_all(root.join("real")).expect("a folder");
        std::fs::write(root.join("real/TODO.md"), "- [ ] mine\n").expect("a file");
        std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("TODO.md")).expect("a link");
        std::os::unix::fs::symlink("real/TODO.md", root.join("tasks.md")).expect("a link");
        std::os::unix::fs::symlink(outside.path(), root.join("elsewhere")).expect("a folder link");
        let reason = read_workspace_file(root, "TODO.md").expect_err("outside");
        assert!(
            reason.starts_with("a link to ") && reason.contains("outside the workspace root: not read"),
            "{reason}"
        );
        assert_eq!(&*read_workspace_file(root, "tasks.md").expect("inside").text, "- [ ] mine\n");
        assert!(read_workspace_file(root, "elsewhere/secret.md").is_err(), "through a linked folder");

        let loaded = load(root, Config::default(), &|_, _| {}).expect("a workspace");
        let skipped: Vec<&str> = loaded.skipped.iter().map(|it| it.path.as_str()).collect();
        assert_eq!(skipped, ["TODO.md"]);
        assert!(loaded.index.file_id("tasks.md").is_some() && loaded.index.file_id("real/TODO.md").is_some());
        assert!(loaded.index.file_id("elsewhere/secret.md").is_none(), "a linked folder is not entered");
    }

    #[test]
    fn the_index_stops_at_its_limit_and_says_why() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for name in ["a", "b", "c"] {
            std::fs::write(dir.path().join(format!("{name}/TODO.md").replace('/', "-")), "- [ ] x\n".repeat(100_000))
                .expect("a file");
        }
        let mut config = Config::default();
        config.index_limit_bytes = 1 << 20;
        let loaded = load(dir.path(), config, &|_, _| {}).expect("a workspace");
        assert_eq!(loaded.index.len(), 1, "800 kB fit in 1 MiB once");
        assert_eq!(loaded.skipped.len(), 2);
        assert!(loaded.skipped.iter().all(|it| it.reason.contains("passed the 1 MiB limit on indexed text")));
        assert!(loaded.bytes_read <= 1 << 20);
    }

    #[test]
    fn a_write_is_refused_while_a_file_of_its_tracker_cannot_be_read_or_parsed() {
        use crate::engine::model::TaskKey;
        let index = WorkspaceIndex::build(
            vec![
                crate::engine::index::SourceFile {
                    path: "specs/TODO.md".into(),
                    text: Arc::from("### 15. Task\n- **Status**: [PLANNED]\n"),
                },
                crate::engine::index::SourceFile {
                    path: "specs/015_task/state.json".into(),
                    text: Arc::from("{ not json"),
                },
            ],
            &Config::default().vocabularies,
        );
        let task = TaskKey::new("specs", "15");
        let other = TaskKey::new("specs", "16");
        let skipped = [("specs/state.json", "binary file"), ("docs/notes.md", "binary")];
        let message =
            refuse_if_unreadable(&index, skipped, "specs", Some(&other), "change task 16").expect_err("refused");
        assert_eq!(
            message,
            "refusing to change task 16: specs/state.json, a file of its tracker, cannot be read (binary file)"
        );
        assert!(
            refuse_if_unreadable(&index, skipped, "process", None, "fix").is_ok(),
            "another tracker's file does not matter"
        );
        let folder = [("specs/012_sync", "cannot list the folder: permission denied")];
        assert!(
            refuse_if_unreadable(&index, folder, "specs", None, "fix").is_err(),
            "a folder of the tracker may hold a place"
        );
        let message = refuse_if_unreadable(&index, [], "specs", Some(&task), "change task 15").expect_err("its state");
        assert!(
            message.contains("specs/015_task/state.json, a file of its tracker, does not parse (not valid JSON"),
            "{message}"
        );
        assert!(
            refuse_if_unreadable(&index, [], "specs", Some(&other), "change task 16").is_ok(),
            "another task's file"
        );
    }

    #[test]
    fn the_watcher_filter_honours_nested_ignore_files_deepest_first() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        std::fs::create_dir_all(root.join("specs/drafts")).expect("folders");
        std::fs::write(root.join("specs/.gitignore"), "drafts/\n").expect("nested ignore");
        let outside_git = PathFilter::new(root, &Config::default()).expect("a filter");
        assert!(outside_git.accepts(root, "specs/drafts/TODO.md"), "outside git the walk reads ignored files too");
        std::fs::create_dir_all(root.join(".git")).expect("a repository");
        std::fs::create_dir_all(root.join("notes")).expect("folders");
        std::fs::write(root.join(".gitignore"), "*.tmp.md\nnotes/\n").expect("root ignore");
        std::fs::write(root.join("specs/.gitignore"), "drafts/\n!keep.tmp.md\n").expect("nested ignore");
        let filter = PathFilter::new(root, &Config::default()).expect("a filter");
        assert!(filter.accepts(root, "specs/TODO.md"));
        assert!(!filter.accepts(root, "specs/drafts/TODO.md"), "ignored by specs/.gitignore");
        assert!(!filter.accepts(root, "specs/other.tmp.md"), "ignored by the root's .gitignore");
        assert!(filter.accepts(root, "specs/keep.tmp.md"), "the deeper file re-includes it");
        assert!(!filter.accepts(root, "notes/TODO.md"));
        assert!(!filter.accepts(root, ".taskmark/journal"));
        let mut lenient = Config::default();
        lenient.respect_gitignore = false;
        let filter = PathFilter::new(root, &lenient).expect("a filter");
        assert!(filter.accepts(root, "specs/drafts/TODO.md"), "ignore files do not count when configured so");
    }

    /// Git ignores untracked files only: a file it tracks under an ignored folder is walked and
    /// watched; an untracked one beside it is not.
    #[test]
    fn files_git_tracks_are_read_though_ignored() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
                .args(args)
                .status()
                .expect("git runs");
            assert!(status.success(), "git {args:?}");
        };
        std::fs::create_dir_all(root.join(".planning")).expect("folders");
        std::fs::write(root.join(".planning/ROADMAP.md"), "- [ ] **Phase 1: One** - a\n").expect("roadmap");
        git(&["init", "-q"]);
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "roadmap"]);
        std::fs::write(root.join(".gitignore"), ".planning/\n").expect("ignore it");
        std::fs::write(root.join(".planning/STATE.md"), "# State\n").expect("untracked");
        let walked = walk(root, &Config::default()).expect("a walk");
        assert!(walked.paths.contains(&".planning/ROADMAP.md".to_string()), "{:?}", walked.paths);
        assert!(!walked.paths.contains(&".planning/STATE.md".to_string()), "{:?}", walked.paths);
        let asked_again = PathFilter::new(root, &Config::default()).expect("a filter");
        // The language server's filter takes the walk's list instead of asking git again.
        let tracked = walked.tracked.clone();
        assert!(tracked.as_ref().is_some_and(|it| it.contains(".planning/ROADMAP.md")), "{tracked:?}");
        let from_walk = PathFilter::with_tracked(root, &Config::default(), tracked).expect("a filter");
        for filter in [asked_again, from_walk] {
            assert!(filter.accepts(root, ".planning/ROADMAP.md"));
            assert!(!filter.accepts(root, ".planning/STATE.md"));
        }
    }
}
