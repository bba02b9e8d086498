//! `next --parallel N`: tasks that can be worked on at once because they do not touch the same
//! files. A task touches the files it names (in its TODO.md section or its task file, and in its
//! plan: inline code, links and bare paths such as `src/parser.rs:42` or
//! `Theories/Logic/Basic.lean`) and its own tracker files (its plan, reports, task file, its own
//! state.json). The files every task of a tracker shares (TODO.md, state.json, tasks.json) do not
//! count: a status change goes through taskmark's write path, which keeps them whole.
//!
//! The picks follow the ranking: each ready task in turn is taken when it shares no file with
//! the ones taken before, else set aside naming the files and the tasks it shares them with.

use std::collections::{BTreeSet, HashMap};

use crate::index::WorkspaceIndex;
use crate::model::{FileId, Link, TaskKey};
use crate::rules::{PathOracle, links};
use crate::text::TextRange;

/// The most tasks `--parallel` proposes.
pub const MOST_PARALLEL: usize = 20;

/// A task's files are read in its first this many bytes of each text: plans name their files
/// near the top, and a hostile file does not make `next` slow.
const MOST_BYTES_READ: usize = 256 * 1024;

/// A task proposed to run alongside the others, with the files it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParallelPick {
    pub task: TaskKey,
    pub files: Vec<String>,
}

/// A ready task left out because it shares files with one taken before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub task: TaskKey,
    /// The files it shares with the tasks taken, and which tasks those are.
    pub shared: Vec<String>,
    pub with: Vec<TaskKey>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParallelPlan {
    pub picked: Vec<ParallelPick>,
    pub set_aside: Vec<SetAside>,
}

/// Up to `count` of `ranked` (best first) that share no file, and the ones set aside on the way.
pub fn pick_parallel(index: &WorkspaceIndex, paths: &dyn PathOracle, ranked: &[TaskKey], count: usize) -> ParallelPlan {
    let mut plan = ParallelPlan::default();
    let mut taken: HashMap<String, TaskKey> = HashMap::new();
    for task in ranked {
        if plan.picked.len() >= count.min(MOST_PARALLEL) {
            break;
        }
        let files = footprint(index, paths, task);
        let shared: Vec<String> = files.iter().filter(|it| taken.contains_key(*it)).cloned().collect();
        if shared.is_empty() {
            for file in &files {
                taken.insert(file.clone(), task.clone());
            }
            plan.picked.push(ParallelPick { task: task.clone(), files: files.into_iter().collect() });
            continue;
        }
        let mut with: Vec<TaskKey> = shared.iter().filter_map(|it| taken.get(it).cloned()).collect();
        with.sort();
        with.dedup();
        plan.set_aside.push(SetAside { task: task.clone(), shared, with });
    }
    plan
}

/// The files `task` touches, workspace-relative, sorted.
pub fn footprint(index: &WorkspaceIndex, paths: &dyn PathOracle, task: &TaskKey) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let Some(entry) = index.task(task) else { return files };
    let mut read: BTreeSet<FileId> = BTreeSet::new();
    for place_ref in &entry.places {
        let file = place_ref.file;
        let Some(file_entry) = index.entry(file) else { continue };
        let text = index.text(file);
        if file_entry.parsed.places.iter().all(|other| other.task() == Some(task)) {
            // Its own file: touched, and what it says counts whole (once).
            files.insert(file_entry.path.clone());
            if read.insert(file) {
                named_paths(index, paths, &file_entry.path, bounded(text), &mut files);
            }
        } else {
            // Its part of a shared file: a TODO.md section, a state.json entry.
            let extent = index.place(*place_ref).extent;
            let part = text.get(usize::from(extent.start())..usize::from(extent.end())).unwrap_or_default();
            named_paths(index, paths, &file_entry.path, bounded(part), &mut files);
        }
    }
    files
}

fn bounded(text: &str) -> &str {
    if text.len() <= MOST_BYTES_READ {
        return text;
    }
    let mut end = MOST_BYTES_READ;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The paths `text` (the file at `path`) names: inline code and bare words that look like a
/// path, from the workspace root; link targets as the tracker's links resolve (the file's
/// folder first, then each folder above it: the first that exists, else the first).
fn named_paths(index: &WorkspaceIndex, paths: &dyn PathOracle, path: &str, text: &str, out: &mut BTreeSet<String>) {
    let mut rest = String::with_capacity(text.len());
    let mut last = 0;
    for (at, target) in link_targets(text) {
        // A `](` inside the target before (`[a](x](y)`) is part of it.
        if at < last {
            continue;
        }
        if let Some(target) = as_path(target) {
            let link = Link { target: target.to_string(), range: TextRange::default(), task: None, absolute: false };
            // Where the tracker's own links resolve (`broken-link` asks the same), else, for a
            // file not there yet: from the root when the link starts where the file's own path
            // does (`specs/014_y/new.md` from `specs/TODO.md`), else from its folder.
            let found = links::resolve(index, paths, &link, path).or_else(|| {
                let from_root = path.split('/').next().is_some_and(|top| target.split('/').next() == Some(top));
                let mut candidates = link.candidates(path).filter(|it| !it.is_empty());
                if from_root { candidates.last() } else { candidates.next() }
            });
            if let Some(found) = found {
                out.insert(found);
            }
        }
        // The words outside links are read as paths from the root; a link's target is not.
        rest.push_str(&text[last..at]);
        last = at + target.len();
    }
    rest.push_str(&text[last..]);
    let separators = |c: char| c.is_whitespace() || matches!(c, '`' | '(' | ')' | '[' | ']' | '"' | '\'' | ',' | ';');
    for word in rest.split(separators) {
        if word.contains('/')
            && let Some(found) = as_path(word).and_then(|it| joined("", it))
        {
            out.insert(found);
        }
    }
}

/// Where each markdown link's target starts (after `](`), and the target.
fn link_targets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.match_indices("](").filter_map(move |(at, _)| {
        let start = at + 2;
        let rest = &text[start..];
        let end = rest.find(')')?;
        let target = rest[..end].split_whitespace().next().unwrap_or_default();
        Some((start + rest[..end].find(target).unwrap_or(0), target))
    })
}

/// `word` as a file path, if it looks like one: no scheme, a file name with an extension, and
/// no line number or anchor after it.
fn as_path(word: &str) -> Option<&str> {
    let word = word.trim_start_matches(['*', '<', '{']).trim_end_matches(['.', ':', '*', '>', '}']);
    if word.is_empty() || word.contains("://") || word.starts_with("mailto:") || word.starts_with('#') {
        return None;
    }
    let word = word.split('#').next().unwrap_or(word);
    // `src/parser.rs:42`, `src/parser.rs:42:7`.
    let word = match word.split_once(':') {
        Some((path, rest)) if rest.split(':').all(|it| !it.is_empty() && it.bytes().all(|b| b.is_ascii_digit())) => {
            path
        }
        Some(_) => return None,
        None => word,
    };
    let name = word.rsplit('/').next().unwrap_or(word);
    let (stem, extension) = name.rsplit_once('.')?;
    let plausible = !stem.is_empty()
        && (1..=10).contains(&extension.len())
        && extension.chars().all(|c| c.is_ascii_alphanumeric())
        && extension.chars().any(|c| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '@'))
        && word.split('/').all(|part| !part.is_empty());
    plausible.then_some(word)
}

/// `target` under `folder`, with `.` and `..` resolved; `None` when it leaves the workspace or
/// is absolute.
fn joined(folder: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = folder.split('/').filter(|it| !it.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use std::collections::HashSet;

    fn key(id: &str) -> TaskKey {
        TaskKey { scope: "specs".into(), id: id.into() }
    }

    const WORKSPACE: &str = "%! specs/TODO.md
### 1. Parser speed
- **Status**: [NOT STARTED]
- **Description**: make `src/parser.rs` faster; see src/lexer.rs:120.

### 2. Lexer tokens
- **Status**: [NOT STARTED]
- **Plan**: [implementation-001.md](002_lexer_tokens/plans/implementation-001.md)

### 3. Docs
- **Status**: [NOT STARTED]
- **Description**: write [the guide](../docs/guide.md) (not https://example.com/a.md)

### 4. Nothing named
- **Status**: [NOT STARTED]
%! specs/002_lexer_tokens/plans/implementation-001.md
# Implementation Plan: Lexer tokens
- **Task**: 2 - Lexer tokens
- **Status**: [NOT STARTED]

## Files
- `./src/lexer.rs`
";

    #[test]
    fn a_task_touches_the_files_its_section_and_its_plan_name_and_its_own_files() {
        let index = fixture::index(WORKSPACE);
        let paths = HashSet::new();
        let files = |id: &str| -> Vec<String> { footprint(&index, &paths, &key(id)).into_iter().collect() };
        assert_eq!(files("1"), ["src/lexer.rs", "src/parser.rs"]);
        assert_eq!(files("2"), ["specs/002_lexer_tokens/plans/implementation-001.md", "src/lexer.rs"]);
        assert_eq!(files("3"), ["docs/guide.md"]);
        assert!(files("4").is_empty());
    }

    #[test]
    fn tasks_sharing_a_file_are_not_proposed_together() {
        let index = fixture::index(WORKSPACE);
        let ranked = [key("1"), key("2"), key("3"), key("4")];
        let plan = pick_parallel(&index, &HashSet::new(), &ranked, 3);
        let picked: Vec<&str> = plan.picked.iter().map(|it| it.task.id.as_str()).collect();
        assert_eq!(picked, ["1", "3", "4"]);
        assert_eq!(
            plan.set_aside,
            [SetAside { task: key("2"), shared: vec!["src/lexer.rs".to_string()], with: vec![key("1")] }]
        );
        assert_eq!(pick_parallel(&index, &HashSet::new(), &ranked, 1).picked.len(), 1);
    }

    #[test]
    fn only_what_reads_as_a_path_is_a_file() {
        for (word, path) in [
            ("src/parser.rs:42:7", Some("src/parser.rs")),
            ("Theories/Logic/Basic.lean", Some("Theories/Logic/Basic.lean")),
            ("docs/guide.md#setup", Some("docs/guide.md")),
            ("https://example.com/a.md", None),
            ("and/or", None),
            ("v1.2", None),
            ("1.5", None),
            ("src/", None),
            ("src//a.rs", None),
        ] {
            assert_eq!(as_path(word), path, "{word}");
        }
        assert_eq!(joined("specs", "../../etc/passwd"), None);
        // Odd links never split a character or read before a target.
        let mut found = BTreeSet::new();
        named_paths(&WorkspaceIndex::default(), &HashSet::new(), "specs/TODO.md", "[a](x](y) [é](ü.md) ](", &mut found);
        assert_eq!(found, BTreeSet::from(["specs/ü.md".to_string()]));
        // A link written from the repository root, as ProofChecker's TODO.md writes them, is
        // the file that exists; one that exists nowhere yet is taken from the file's folder.
        let known = HashSet::from(["specs/013_x/reports/r.md".to_string()]);
        let mut found = BTreeSet::new();
        let text = "[r](specs/013_x/reports/r.md) [n](014_y/new.md) [m](specs/015_z/new.md)";
        named_paths(&WorkspaceIndex::default(), &known, "specs/TODO.md", text, &mut found);
        let expected = ["specs/013_x/reports/r.md", "specs/014_y/new.md", "specs/015_z/new.md"];
        assert_eq!(found, expected.into_iter().map(str::to_string).collect::<BTreeSet<_>>());
        assert_eq!(joined("specs/002", "../notes/a.md"), Some("specs/notes/a.md".to_string()));
    }

    proptest::proptest! {
        /// Any text, links half written and multibyte characters included, is read without a
        /// panic, and every path found stays inside the workspace.
        #[test]
        fn any_text_is_read_and_every_path_stays_inside(text in "([a-zé/._:#()\\[\\]` -]|\\]\\(|\\.\\./){0,80}") {
            let mut found = BTreeSet::new();
            named_paths(&WorkspaceIndex::default(), &HashSet::new(), "specs/sub/TODO.md", &text, &mut found);
            for path in found {
                proptest::prop_assert!(!path.starts_with('/') && !path.split('/').any(|it| it == ".." || it.is_empty()), "{}", path);
            }
        }
    }
}
