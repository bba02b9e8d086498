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
    pub bytes_read: u64,
}

/// Picks the workspace root: `--root`, else the nearest folder at or above the first path that
/// holds a `.taskmark.toml`, else that path itself; with no path, the nearest folder above the
/// current one holding `.taskmark.toml` or `.git`, else the current folder.
pub fn find_root(explicit: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<PathBuf> {
    if let Some(root) = explicit {
        return std::fs::canonicalize(root).with_context(|| format!("cannot open workspace root {}", root.display()));
    }
    if let Some(first) = paths.first() {
        let first = std::fs::canonicalize(first).with_context(|| format!("cannot open {}", first.display()))?;
        let start =
            if first.is_dir() { first.clone() } else { first.parent().map_or(first.clone(), Path::to_path_buf) };
        let configured = start.ancestors().find(|dir| dir.join(config::FILE_NAME).is_file());
        return Ok(configured.unwrap_or(&start).to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let found = cwd.ancestors().find(|dir| dir.join(config::FILE_NAME).is_file() || dir.join(".git").exists());
    Ok(found.unwrap_or(&cwd).to_path_buf())
}

/// The clock the engine's timestamps come from (the engine itself has none).
pub fn now() -> crate::engine::timestamp::Now {
    crate::engine::timestamp::Now::from_timestamp(jiff::Timestamp::now())
}

/// Reads `.taskmark.toml` at the root, if there is one.
pub fn load_config(root: &Path) -> anyhow::Result<Config> {
    let path = root.join(config::FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Config::parse(&text).map_err(|error| format_err!("{}: {}", root.display(), error)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Whether the engine reads this file: markdown, `state.json`, Backlog.md's `config.yml`.
pub fn wanted(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    lower.ends_with(".md")
        || lower.ends_with(".markdown")
        || lower == "state.json"
        || layout::classify(path).role == Role::BacklogConfig
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

/// Lists the workspace's files, honouring `.gitignore` and the configured globs.
pub fn walk(root: &Path, config: &Config) -> anyhow::Result<Vec<String>> {
    let overrides = overrides(root, config)?;
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_ignore(config.respect_gitignore)
        .git_exclude(config.respect_gitignore)
        .git_global(false)
        .ignore(config.respect_gitignore)
        .parents(config.respect_gitignore)
        .overrides(overrides)
        .threads(io_threads())
        .filter_entry(|entry| !matches!(entry.file_name().to_str(), Some(".git" | ".taskmark")));
    let found: Mutex<Vec<String>> = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            // An unreadable folder is reported by the read step if it matters; keep walking.
            if let Ok(entry) = entry
                && entry.file_type().is_some_and(|it| it.is_file() || it.is_symlink())
                && let Ok(relative) = entry.path().strip_prefix(root)
                && let Some(relative) = relative.to_str()
            {
                let relative = relative.replace('\\', "/");
                found.lock().unwrap_or_else(PoisonError::into_inner).push(relative);
            }
            ignore::WalkState::Continue
        })
    });
    let mut paths = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    paths.sort();
    Ok(paths)
}

/// Reads a file for the index: refuses huge, binary and non-UTF-8 files with a reason.
pub fn read_text(path: &Path) -> Result<Arc<str>, String> {
    let size = std::fs::metadata(path).map_err(|error| format!("cannot open: {error}"))?.len();
    if size > MAX_FILE_BYTES {
        return Err(too_large(size));
    }
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read: {error}"))?;
    // It may have grown since.
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err("binary file (contains NUL bytes)".into());
    }
    String::from_utf8(bytes)
        .map(Arc::from)
        .map_err(|error| format!("not valid UTF-8 (first bad byte at offset {})", error.utf8_error().valid_up_to()))
}

fn too_large(size: u64) -> String {
    format!("{} MiB is over the {} MiB limit for tracker files", size >> 20, MAX_FILE_BYTES >> 20)
}

/// Walks, reads and indexes the workspace at `root`. Files are read on the IO threads and
/// parsed as soon as they are read.
pub fn load(root: &Path, config: Config, progress: &(dyn Fn(usize, usize) + Sync)) -> anyhow::Result<Workspace> {
    let paths = walk(root, &config)?;
    let to_read: Vec<String> = paths.iter().filter(|it| wanted(it)).cloned().collect();
    let known: HashSet<String> = paths.into_iter().collect();
    let total = to_read.len();
    let done = AtomicUsize::new(0);
    let bytes_read = AtomicU64::new(0);
    let skipped: Mutex<Vec<Skipped>> = Mutex::new(Vec::new());
    let read = |path: &str| {
        let result = read_text(&root.join(path));
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if finished.is_multiple_of(256) || finished == total {
            progress(finished, total);
        }
        match result {
            Ok(text) => {
                bytes_read.fetch_add(text.len() as u64, Ordering::Relaxed);
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
    let index = readers.install(|| WorkspaceIndex::build_with(to_read, &config.vocabularies, read));
    let mut skipped = skipped.into_inner().unwrap_or_else(PoisonError::into_inner);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Workspace { root: root.to_path_buf(), config, index, known, skipped, bytes_read: bytes_read.into_inner() })
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
        self.known.contains(path) || (!path.is_empty() && self.root.join(path).exists())
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
    /// Each folder's own `.gitignore`, read when a path under it is first asked about (`None`:
    /// it has none). A changed ignore file makes the server walk the workspace again, with a new
    /// filter.
    nested: Mutex<HashMap<PathBuf, Option<Arc<ignore::gitignore::Gitignore>>>>,
}

impl PathFilter {
    pub fn new(root: &Path, config: &Config) -> anyhow::Result<PathFilter> {
        let overrides = overrides(root, config)?;
        let respect_gitignore = config.respect_gitignore && root.ancestors().any(|folder| folder.join(".git").exists());
        let gitignore = respect_gitignore.then(|| {
            let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
            // Missing files are fine; a malformed line only loses that line.
            let _ = builder.add(root.join(".gitignore"));
            let _ = builder.add(root.join(".git/info/exclude"));
            builder.build().unwrap_or_else(|_| ignore::gitignore::Gitignore::empty())
        });
        Ok(PathFilter { overrides, respect_gitignore, gitignore, nested: Mutex::new(HashMap::new()) })
    }

    pub fn accepts(&self, root: &Path, relative: &str) -> bool {
        if relative.split('/').any(|part| part == ".git" || part == ".taskmark") {
            return false;
        }
        let absolute = root.join(relative);
        if self.overrides.matched(&absolute, false).is_ignore() {
            return false;
        }
        if !self.respect_gitignore {
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
                    let _ = builder.add(&file);
                    Arc::new(builder.build().unwrap_or_else(|_| ignore::gitignore::Gitignore::empty()))
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
