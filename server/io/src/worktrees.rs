//! The repository's other worktrees, read once: each one's copy of the workspace folder as
//! saved there, and where its history and this one's parted (their merge base), for the
//! warnings about work another worktree has taken up. The language server keeps them followed
//! (its `elsewhere` module watches them after this first read); the command line reads them
//! for one command. Only reads: each worktree stays the owner of its files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::config::Config;
use crate::engine::index::{SourceFile, WorkspaceIndex};
use crate::engine::layout::Role;
use crate::engine::lifecycle::across::OtherWorktree;
use crate::{git, workspace};

/// More worktrees than this are not read (each costs its index in memory).
pub const MAX_WORKTREES: usize = 8;

/// Another worktree: where the workspace folder is in it, and its index as saved.
#[derive(Debug, Clone)]
pub struct WorktreeRead {
    pub root: PathBuf,
    pub view: OtherWorktree,
}

/// [`read_all`]'s views alone, or none (said in the log) when they cannot be read: what a
/// command that only warns about the other worktrees needs.
pub fn views(root: &Path, config: &Config, saved: Option<&WorkspaceIndex>) -> Vec<OtherWorktree> {
    match read_all(root, config, saved) {
        Ok(read) => read.into_iter().map(|it| it.view).collect(),
        Err(reason) => {
            tracing::debug!("no view of other worktrees for {}: {reason}", root.display());
            Vec::new()
        }
    }
}

/// The other worktrees with the workspace folder in them, each read as saved. Their indexes
/// (and the merge bases') start from `saved`, this workspace's index as saved, when given: the
/// files that are the same in both share their entries, so each further worktree costs about
/// what differs in it.
pub fn read_all(root: &Path, config: &Config, saved: Option<&WorkspaceIndex>) -> Result<Vec<WorktreeRead>, String> {
    let top = git::toplevel(root).ok_or("not in a git repository")?;
    let inside = root.strip_prefix(&top).unwrap_or(Path::new("")).to_path_buf();
    let here = git::commit_of(root, "HEAD");
    // Worktrees branched from one commit share their merge base: read each base once.
    let mut bases: std::collections::HashMap<String, Option<Arc<WorkspaceIndex>>> = Default::default();
    let mut followed = Vec::new();
    let listed = git::worktrees(root).map_err(|error| error.to_string())?;
    for (path, why) in &listed.skipped {
        tracing::info!("not following the worktree {}: {why}", path.display());
    }
    for worktree in listed.found {
        let Ok(path) = std::fs::canonicalize(&worktree.path) else { continue };
        if path == top {
            continue;
        }
        let view_root = path.join(&inside);
        if !view_root.is_dir() {
            continue;
        }
        if followed.len() == MAX_WORKTREES {
            tracing::warn!("more than {MAX_WORKTREES} other worktrees: only the first {MAX_WORKTREES} are followed");
            break;
        }
        let name = worktree.branch.clone().unwrap_or_else(|| {
            path.file_name().map_or_else(|| path.display().to_string(), |it| it.to_string_lossy().into_owned())
        });
        // Where the two histories parted, read from git objects, as this workspace reads it.
        let base = match (&here, &worktree.head) {
            (Some(here), Some(there)) => git::merge_base(root, here, there).and_then(|commit| {
                bases
                    .entry(commit.clone())
                    .or_insert_with(|| match git::files_at(root, &commit) {
                        Ok(files) => Some(Arc::new(at_commit(saved, files, config))),
                        Err(error) => {
                            tracing::warn!("cannot read the trackers at {commit}: {error:#}");
                            None
                        }
                    })
                    .clone()
            }),
            _ => None,
        };
        // Each worktree as it is configured there (its `.taskmark.toml` may differ), else as here.
        let its_config = workspace::load_config(&view_root).unwrap_or_else(|_| config.clone());
        let shared = saved.and_then(|saved| workspace::load_like(&view_root, &its_config, saved, root));
        let index = match shared {
            Some(index) => index,
            None => match workspace::load(&view_root, its_config, &|_, _| {}) {
                Ok(loaded) => loaded.index,
                Err(error) => {
                    tracing::warn!("cannot read the worktree {}: {error:#}", view_root.display());
                    continue;
                }
            },
        };
        followed.push(WorktreeRead { root: view_root, view: OtherWorktree { name, index: Arc::new(index), base } });
    }
    Ok(followed)
}

/// The index of the tracker files at a commit: `here` with the files that differ there
/// replaced (and the tracker files it lacks removed; the documents it reads as prose, the
/// repository's standards among them, kept), or built from the files when too many differ.
fn at_commit(here: Option<&WorkspaceIndex>, files: Vec<SourceFile>, config: &Config) -> WorkspaceIndex {
    let Some(here) = here.filter(|it| it.vocabularies() == &config.vocabularies) else {
        return WorkspaceIndex::build(files, &config.vocabularies);
    };
    let at: BTreeSet<&str> = files.iter().map(|it| it.path.as_str()).collect();
    let gone: Vec<String> = here
        .entries()
        .filter(|(_, entry)| entry.class.role != Role::Prose && !at.contains(entry.path.as_str()))
        .map(|(_, entry)| entry.path.clone())
        .collect();
    let differing: Vec<&SourceFile> =
        files.iter().filter(|it| here.text_at(&it.path).is_none_or(|text| **text != *it.text)).collect();
    if !workspace::few_changes(gone.len() + differing.len(), here.len()) {
        return WorkspaceIndex::build(files, &config.vocabularies);
    }
    let mut index = here.clone();
    for path in gone {
        index.set_file(&path, None);
    }
    for file in differing {
        index.set_file(&file.path, Some(file.text.clone()));
    }
    index
}
