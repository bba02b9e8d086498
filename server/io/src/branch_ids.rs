//! The ids a tracker has used on the other branches and in the other worktrees of its
//! repository, read from git objects ([`crate::git`]), with a cache by tree id in the
//! workspace's private state folder ([`crate::state_dir`]): what `new` adds to the checkout's
//! own ids before it allocates one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::git::tracker_trees;

/// Every id the tracker at `scope` has used on the other branches and in the other worktrees
/// of `root`'s git repository ([`crate::git::tracker_versions`], each indexed with `vocabularies`): what
/// `taskmark new` and the language server's `taskmark.newTask` add to the ids of the checkout
/// itself before allocating one. Empty outside a git repository. Blocking: git runs here.
pub fn used_ids_elsewhere(
    root: &Path,
    scope: &str,
    vocabularies: &crate::engine::config::Vocabularies,
) -> anyhow::Result<crate::engine::lifecycle::UsedIds> {
    use crate::engine::lifecycle::UsedIds;
    let mut used = UsedIds::default();
    let Some((top, trees)) = tracker_trees(root, scope)? else { return Ok(used) };
    let mut cache = IdCache::load(root);
    for tree in trees {
        let key = format!("{}\t{scope}\t{}", env!("CARGO_PKG_VERSION"), tree.oid);
        let ids = match cache.get(&key) {
            Some(ids) => ids,
            None => {
                let index = crate::engine::index::WorkspaceIndex::build(tree.files(&top, scope)?, vocabularies);
                let ids = UsedIds::from_index(&index, scope, "");
                let cached = CachedIds {
                    key,
                    numbers: ids.numbers.keys().copied().collect(),
                    counter: ids.counter.as_ref().map(|it| it.0),
                };
                cache.insert(cached.clone());
                cached
            }
        };
        for number in &ids.numbers {
            used.add(*number, &tree.label);
        }
        if let Some(counter) = ids.counter {
            used.add_counter(counter, &tree.label);
        }
    }
    cache.store();
    Ok(used)
}

/// The ids of one version of a tracker, by the git tree id of its folder (and taskmark's
/// version, which reads them): a tree id names its content, so an entry is never stale.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct CachedIds {
    key: String,
    numbers: Vec<u64>,
    counter: Option<u64>,
}

/// The branch scan's cache, `ids.json` in the workspace's private state folder: a tree already
/// read is not listed, read and parsed again. It is read if it is there and readable, and
/// written only where that folder exists already (taskmark never creates it for a cache);
/// anything wrong with it is ignored, at the cost of reading the trees.
struct IdCache {
    path: Option<PathBuf>,
    entries: Vec<CachedIds>,
    changed: bool,
}

impl IdCache {
    const FILE_NAME: &'static str = "ids.json";
    /// Enough for every branch of a busy repository; the oldest go first.
    const MAX_ENTRIES: usize = 256;

    fn load(root: &Path) -> IdCache {
        let folder = crate::state_dir::home()
            .ok()
            .zip(std::fs::canonicalize(root).ok())
            .map(|(home, root)| crate::state_dir::path_for(&home, &root))
            .filter(|it| it.is_dir());
        let path = folder.map(|it| it.join(IdCache::FILE_NAME));
        let entries = path
            .as_deref()
            .and_then(|path| crate::private_dir::read_file(path, 4 << 20).ok().flatten())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        IdCache { path, entries, changed: false }
    }

    fn get(&self, key: &str) -> Option<CachedIds> {
        self.entries.iter().find(|it| it.key == key).cloned()
    }

    fn insert(&mut self, ids: CachedIds) {
        self.entries.retain(|it| it.key != ids.key);
        self.entries.push(ids);
        let excess = self.entries.len().saturating_sub(IdCache::MAX_ENTRIES);
        self.entries.drain(..excess);
        self.changed = true;
    }

    /// Best effort: a cache that cannot be written is only a slower next scan.
    fn store(&self) {
        let Some(path) = self.path.as_deref().filter(|_| self.changed) else { return };
        let Ok(text) = serde_json::to_vec(&self.entries) else { return };
        let temp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let written = crate::private_dir::create_new_file(&temp)
            .and_then(|mut file| file.write_all(&text).and_then(|()| file.sync_all()))
            .and_then(|()| std::fs::rename(&temp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }
}
