//! `broken-link`: plan, report and spec links whose file does not exist, and absolute local
//! paths that only work on one machine.

use crate::engine::index::{FileEntry, FileId, WorkspaceIndex};
use crate::engine::rules::{PathOracle, RuleCode, Sink, diagnostic};

pub(super) fn file(
    index: &WorkspaceIndex,
    paths: &dyn PathOracle,
    file: FileId,
    entry: &FileEntry,
    sink: &mut Sink<'_>,
) {
    if !sink.enabled(RuleCode::BrokenLink) {
        return;
    }
    for link in &entry.parsed.links {
        let message = if link.absolute {
            format!(
                "absolute local path `{}`: it only resolves on one machine; link relative to the repository",
                link.target
            )
        } else if link
            .candidates(&entry.path)
            .any(|candidate| index.file_id(&candidate).is_some() || paths.exists(&candidate))
        {
            continue;
        } else {
            let folder = index.path(file).rsplit_once('/').map_or("", |(dir, _)| dir);
            let folder = if folder.is_empty() { "the workspace root".to_string() } else { format!("{folder}/") };
            format!("`{}` does not exist (tried relative to {folder} and every folder above it)", link.target)
        };
        let mut it = diagnostic(RuleCode::BrokenLink, file, link.range, message);
        it.task = link.task.clone();
        sink.push(it);
    }
}
