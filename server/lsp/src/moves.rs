//! The saved state's changes analysed once for every session that has no document open.
//!
//! An agent's MCP server, `taskmark set` through the daemon and a CI hook are sessions with
//! no open documents: their worlds are the saved state itself. When a change is written, each
//! of them used to read the written files back and re-check them on its own, the same work
//! once per session (five times with four agents and an editor, each re-parsing a 350 KB
//! TODO.md). Now the host keeps the paths each change to the saved state moved ([`Moves`]),
//! and the first such session to catch up from one state analyses the move; the others on the
//! same state, with the same rule settings and baseline, take its index and diagnostics (both
//! copy-on-write, shared until one changes them) instead.
//!
//! A session with an open document keeps its own analysis: its buffers are not the disk.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::engine::index::WorkspaceIndex;
use crate::engine::rules::DiagnosticStore;
use crate::saved::{CheckedWith, DiskFile};

/// How many changed paths the host remembers: a session further behind reads its batch itself.
const CHANGES_KEPT: usize = 256;
/// How many analysed moves the host keeps (each holds an index and diagnostics alive).
const MOVES_KEPT: usize = 4;

/// A session's world brought from one saved state to a later one, for the other sessions on
/// the first state to take.
pub struct AnalysedMove {
    pub from: u64,
    pub to: u64,
    pub key: CheckedWith,
    pub index: WorkspaceIndex,
    pub known: Arc<HashSet<String>>,
    pub skipped: HashMap<String, String>,
    pub store: DiagnosticStore,
    /// The files whose diagnostics may have changed, and whether all may have.
    pub touched: BTreeSet<String>,
    pub everything: bool,
    /// Each file the move changed, with its text (`None`: gone or unreadable).
    pub files: Vec<(String, Option<Arc<str>>)>,
}

/// A change planned on a session's world that is saved state `from`, as its re-check left
/// the world: the saved state's next move once the change's files are on disk, unless the disk
/// then holds something else ([`crate::host::Host::expect_written`]). The files are indexed
/// once, by the re-check, instead of again by the host reading them back and by a session
/// analysing the move.
pub struct ExpectedMove {
    pub from: u64,
    pub key: CheckedWith,
    pub index: WorkspaceIndex,
    pub store: DiagnosticStore,
    /// Every file the change writes, each with its new text in `index`.
    pub paths: BTreeSet<String>,
    /// The files whose diagnostics may have changed, and whether all may have.
    pub touched: BTreeSet<String>,
    pub everything: bool,
}

impl ExpectedMove {
    /// Whether `read` (the files at `paths`, as just read back) is exactly what this move
    /// writes: the same paths, each a text the index holds, none new to the saved state.
    pub fn is_what_was_read(
        &self,
        paths: &[&str],
        read: &[DiskFile],
        known: &HashSet<String>,
        skipped: &HashMap<String, String>,
    ) -> bool {
        let mut named: Vec<&str> = paths.to_vec();
        named.sort_unstable();
        named.dedup();
        named.len() == self.paths.len()
            && named.iter().all(|it| self.paths.contains(*it) && known.contains(*it) && !skipped.contains_key(*it))
            && paths.iter().zip(read).all(|(path, file)| match (file, self.index.text_at(path)) {
                (DiskFile::Text(text), Some(planned)) => **text == **planned,
                _ => false,
            })
    }
}

/// What a session on saved state `from` does to catch up with the saved state now.
pub enum NextMove {
    /// Nothing to do: the saved state is still `from`.
    Current,
    /// Another session analysed the move: take it.
    Analysed(Arc<AnalysedMove>),
    /// Analyse it: these files changed since `from` (as the saved state `to` has them); the
    /// other sessions on `from` wait for it while the session holds `turn`.
    Analyse { to: u64, files: Vec<(String, DiskFile)>, turn: AnalysingTurn },
    /// What changed since `from` is no longer known (the state was read again, or too much
    /// changed): the session applies what it heard of itself.
    Unknown,
}

/// The changes to one root's saved state, and the analyses of them made so far.
#[derive(Default)]
pub struct Moves {
    /// The path each change to the saved state changed, by the generation it made, oldest
    /// first: consecutive generations, since the last time the state was read whole.
    changes: VecDeque<(u64, String)>,
    /// Each of those paths as its newest change left it (a prose file's text is not in the
    /// index, yet its mentions are read from it).
    latest: HashMap<String, DiskFile>,
    analysed: VecDeque<Arc<AnalysedMove>>,
    /// The state and key some session is analysing a move from.
    analysing: Option<(u64, CheckedWith)>,
}

impl Moves {
    /// The saved state was read whole again: no change before it can be caught up with.
    pub fn forget(&mut self) {
        self.changes.clear();
        self.latest.clear();
        self.analysed.clear();
    }

    /// `path` changed to `file`, making saved state `generation`.
    pub fn changed(&mut self, generation: u64, path: &str, file: &DiskFile) {
        // The oldest move goes whole (a move is known only with every path it changed).
        while self.changes.len() >= CHANGES_KEPT
            && let Some(&(oldest, _)) = self.changes.front()
        {
            while self.changes.front().is_some_and(|(at, _)| *at == oldest) {
                let Some((_, forgotten)) = self.changes.pop_front() else { break };
                if !self.changes.iter().any(|(_, it)| *it == forgotten) {
                    self.latest.remove(&forgotten);
                }
            }
        }
        self.changes.push_back((generation, path.to_string()));
        self.latest.insert(path.to_string(), file.clone());
    }

    /// Whether a session on `from` with `key` should wait for the analysis running from there.
    pub fn being_analysed(&self, from: u64, key: &CheckedWith) -> bool {
        self.analysing.as_ref().is_some_and(|(at, analysing)| *at == from && analysing == key)
    }

    /// What a session on `from` does next (see [`NextMove`]), the saved state being `now`.
    /// `turn` is made for the session that analyses.
    pub fn next(&mut self, from: u64, key: &CheckedWith, now: u64, turn: impl FnOnce() -> AnalysingTurn) -> NextMove {
        if now == from {
            return NextMove::Current;
        }
        if let Some(analysed) = self.analysed.iter().rev().find(|it| it.from == from && it.key == *key) {
            return NextMove::Analysed(analysed.clone());
        }
        // Every change after `from` must be known: the oldest kept is the one right after it.
        let known = self.changes.front().is_some_and(|(first, _)| *first <= from + 1) && from < now;
        if !known {
            return NextMove::Unknown;
        }
        let mut paths: Vec<&str> =
            self.changes.iter().filter(|(generation, _)| *generation > from).map(|(_, path)| path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        let files = paths
            .into_iter()
            .map(|path| (path.to_string(), self.latest.get(path).cloned().unwrap_or(DiskFile::Missing)))
            .collect();
        self.analysing = Some((from, key.clone()));
        NextMove::Analyse { to: now, files, turn: turn() }
    }

    /// A session's analysis of a move, for the others.
    pub fn analysed(&mut self, analysed: AnalysedMove) {
        if self.analysed.len() == MOVES_KEPT {
            self.analysed.pop_front();
        }
        self.analysed.push_back(Arc::new(analysed));
    }

    /// The analysis from `from` with `key` ended (recorded or not).
    pub fn finished(&mut self, from: u64, key: &CheckedWith) {
        if self.being_analysed(from, key) {
            self.analysing = None;
        }
    }
}

/// Held by the session analysing a move: dropping it (also when the analysis panics) lets the
/// sessions waiting for it go on.
pub struct AnalysingTurn {
    pub(crate) end: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for AnalysingTurn {
    fn drop(&mut self) {
        if let Some(end) = self.end.take() {
            end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CheckedWith {
        CheckedWith::new(&[], None)
    }

    fn turn() -> AnalysingTurn {
        AnalysingTurn { end: None }
    }

    fn paths(next: NextMove) -> Option<Vec<String>> {
        match next {
            NextMove::Analyse { files, .. } => Some(files.into_iter().map(|(path, _)| path).collect()),
            _ => None,
        }
    }

    #[test]
    fn a_move_names_each_path_changed_since_once_and_the_oldest_moves_are_forgotten_whole() {
        let mut moves = Moves::default();
        let text = |it: &str| DiskFile::Text(Arc::from(it));
        // Generation 1 changed two files (one change's write), 2 and 3 one each.
        moves.changed(1, "specs/TODO.md", &text("a"));
        moves.changed(1, "specs/state.json", &text("{}"));
        moves.changed(2, "specs/TODO.md", &text("b"));
        moves.changed(3, "specs/plan.md", &DiskFile::Missing);
        assert_eq!(
            paths(moves.next(0, &key(), 3, turn)),
            Some(vec!["specs/TODO.md".into(), "specs/plan.md".into(), "specs/state.json".into()])
        );
        assert_eq!(paths(moves.next(2, &key(), 3, turn)), Some(vec!["specs/plan.md".into()]));
        let NextMove::Analyse { files, .. } = moves.next(1, &key(), 3, turn) else { panic!("a move") };
        let todo = files.iter().find(|(path, _)| path == "specs/TODO.md").map(|(_, file)| file);
        assert!(matches!(todo, Some(DiskFile::Text(text)) if &**text == "b"), "the newest text of a path");
        assert!(matches!(moves.next(3, &key(), 3, turn), NextMove::Current));

        // Many more moves: the oldest are forgotten, a move at a time.
        for generation in 4..4 + CHANGES_KEPT as u64 {
            moves.changed(generation, &format!("specs/{generation}.md"), &text("x"));
        }
        let now = 3 + CHANGES_KEPT as u64;
        assert!(matches!(moves.next(0, &key(), now, turn), NextMove::Unknown), "what changed since is forgotten");
        assert_eq!(paths(moves.next(now - 1, &key(), now, turn)), Some(vec![format!("specs/{now}.md")]));
        assert!(!moves.latest.contains_key("specs/state.json"), "a forgotten path's text is let go");
    }
}
