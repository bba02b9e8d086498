//! `broken-link`: plan, report and spec links whose file does not exist, and absolute local
//! paths that only work on one machine.

use crate::diagnostic::{RuleCode, diagnostic};
use crate::index::{FileEntry, FileId, WorkspaceIndex};
use crate::model::Link;
use crate::rules::{PathOracle, Sink};

/// `broken-link` of one link.
pub(super) fn link(
    index: &WorkspaceIndex,
    paths: &dyn PathOracle,
    file: FileId,
    entry: &FileEntry,
    link: &Link,
    sink: &mut Sink<'_>,
) {
    if !sink.enabled(RuleCode::BrokenLink) {
        return;
    }
    let message = if link.absolute {
        format!(
            "absolute local path `{}`: it only resolves on one machine; link relative to the repository",
            link.target
        )
    } else if resolve(index, paths, link, &entry.path).is_some() {
        return;
    } else {
        let folder = index.path(file).rsplit_once('/').map_or("", |(dir, _)| dir);
        let folder = if folder.is_empty() { "the workspace root".to_string() } else { format!("{folder}/") };
        format!("`{}` does not exist (tried relative to {folder} and every folder above it)", link.target)
    };
    let mut it = diagnostic(RuleCode::BrokenLink, file, link.range, message);
    it.task = link.task.clone();
    sink.push(it);
}

/// The first candidate of the link that exists, as a workspace path. Indexed and listed files
/// are asked first: the oracle's `exists` may cost a file system lookup per candidate.
pub(crate) fn resolve(index: &WorkspaceIndex, paths: &dyn PathOracle, link: &Link, from: &str) -> Option<String> {
    // Most links name an indexed file, and most of those the first or second candidate: the
    // rest are built only when no indexed file matches.
    if let Some(indexed) = link.find_candidate(from, |it| index.file_id(it).is_some()) {
        return Some(indexed);
    }
    let candidates: Vec<String> = link.candidates(from).collect();
    // A link to a folder (`./conductor/tracks/<id>/`) resolves where an indexed file is in it.
    if link.target.split('#').next().is_some_and(|it| it.ends_with('/'))
        && let Some(folder) = candidates.iter().find(|candidate| {
            let inside = format!("{candidate}/");
            index.entries().any(|(_, entry)| entry.path.starts_with(&inside))
        })
    {
        return Some(folder.clone());
    }
    let found = candidates.iter().find(|it| paths.known(it)).or_else(|| candidates.iter().find(|it| paths.exists(it)));
    found.cloned()
}
