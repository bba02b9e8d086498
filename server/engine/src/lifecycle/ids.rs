//! Allocating a task id that no store, archive, branch or worktree has used: the numbers a
//! tracker has ever handed out, its counters, and its id shape (`T001`, `BACK-12`, `1.0`).

use std::collections::BTreeMap;

use crate::index::WorkspaceIndex;
use crate::layout::{self, Family};
use crate::rules::counters::{SortedIds, newest_id};

/// The numbers one tracker has used and where each was seen first (for messages), and the
/// highest `next_project_number` any of its copies states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsedIds {
    pub numbers: BTreeMap<u64, String>,
    pub counter: Option<(u64, String)>,
}

/// The number part of a task id: `221`, `058` -> 58, `BACK-200` -> 200, `T001` -> 1, `1.0` ->
/// 1, `task-24.1` -> 24.
pub fn id_number(id: &str) -> Option<u64> {
    let start = id.find(|it: char| it.is_ascii_digit())?;
    let digits: &str = &id[start..];
    let end = digits.find(|it: char| !it.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse().ok()
}

impl UsedIds {
    /// The ids the tracker at `scope` uses in `index` (live, archived, mentioned, and named by
    /// task folders), and its counters; `source` says where (`this worktree`, `branch x`).
    pub fn from_index(index: &WorkspaceIndex, scope: &str, source: &str) -> UsedIds {
        let mut used = UsedIds::default();
        for (key, _) in index.tasks_in(scope) {
            if let Some(number) = id_number(&key.id) {
                used.add(number, source);
            }
        }
        let family = index.trackers().iter().find(|it| it.root == scope).map(|it| it.family);
        // A task folder with no tracker file in it yet (reports only) still holds its id.
        if family == Some(Family::SpecFolder) {
            for path in index.tracker_paths(scope) {
                if let Some(number) = layout::task_folder_id(path).as_deref().and_then(id_number) {
                    used.add(number, source);
                }
            }
        }
        for (_, entry) in index.entries() {
            if entry.class.root != scope {
                continue;
            }
            for archived in &entry.parsed.archived {
                if let Some(number) = id_number(&archived.id) {
                    used.add(number, source);
                }
            }
            if let Some(counter) = entry.parsed.counters.as_ref().and_then(|it| it.next_project_number.as_ref()) {
                used.add_counter(counter.value, &format!("{} ({source})", entry.path));
            }
        }
        used
    }

    /// The ids of the tasks and drafts Backlog.md's `backlog task archive` put away under the
    /// tracker at `scope` (`backlog/archive/tasks/task-12 - Title.md`), from the workspace's
    /// file list: the archive is history, not indexed (its tasks may share ids with live ones),
    /// but its ids were handed out.
    pub fn add_backlog_archive<'p>(&mut self, scope: &str, listed: impl IntoIterator<Item = &'p str>) {
        let archive = if scope.is_empty() { "archive/".to_string() } else { format!("{scope}/archive/") };
        for path in listed {
            let Some(rest) = path.strip_prefix(&archive) else { continue };
            let Some(("tasks" | "drafts", name)) = rest.split_once('/') else { continue };
            let is_markdown = name.to_ascii_lowercase().ends_with(".md") && !name.contains('/');
            if let Some(number) = name.split(" - ").next().filter(|_| is_markdown).and_then(id_number) {
                self.add(number, path);
            }
        }
    }

    pub fn add(&mut self, number: u64, source: &str) {
        self.numbers.entry(number).or_insert_with(|| source.to_string());
    }

    pub fn add_counter(&mut self, value: u64, source: &str) {
        if self.counter.as_ref().is_none_or(|(it, _)| value > *it) {
            self.counter = Some((value, source.to_string()));
        }
    }

    pub fn merge(&mut self, other: UsedIds) {
        for (number, source) in other.numbers {
            self.add(number, &source);
        }
        if let Some((value, source)) = other.counter {
            self.add_counter(value, &source);
        }
    }

    /// The next number: above every number used and at least the counter. A tracker whose ids
    /// wrapped at a power of ten (tasks 953 to 998, then 1 to 68, counter 69) continues after
    /// its young block, wraps again at the same modulus, and skips every number still known
    /// anywhere (archived ones included: a reused id confuses every store that remembers it).
    pub fn next(&self) -> u64 {
        let ids = SortedIds::of(self.numbers.keys().copied());
        let numbers = ids.as_slice();
        let counter = self.counter.as_ref().map_or(0, |(it, _)| *it);
        let Some(highest) = numbers.last().copied() else { return counter.max(1) };
        // The counter says where the young block ends when it reads as wrapped. Else other
        // branches may have grown the young block past this tracker's counter: a counter below
        // the old block still says the ids wrapped.
        let newest = match newest_id(&ids, counter) {
            Some(newest) if newest < highest => newest,
            _ => {
                let above_gap = numbers.windows(2).max_by_key(|pair| pair[1] - pair[0]).map(|pair| (pair[0], pair[1]));
                let detection = match above_gap {
                    Some((below, above)) if counter > 0 && counter < above => counter.max(below + 1),
                    _ => counter,
                };
                newest_id(&ids, detection).unwrap_or(highest)
            }
        };
        let wrapped = newest < highest;
        let mut candidate = (newest + 1).max(counter).max(1);
        if !wrapped {
            return candidate.max(highest + 1);
        }
        let modulus = highest.checked_ilog10().and_then(|it| 10u64.checked_pow(it + 1)).unwrap_or(u64::MAX);
        for _ in 0..modulus {
            if candidate >= modulus {
                candidate = 1;
            }
            if !self.numbers.contains_key(&candidate) {
                return candidate;
            }
            candidate += 1;
        }
        // Every number below the modulus is taken: go past it rather than reuse one.
        modulus.max(highest + 1)
    }
}

/// How a tracker writes its ids, learned from the ones it has: a prefix (`T`, `BACK-`), zero
/// padding, and a suffix (compozy's `.0`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdShape {
    pub prefix: String,
    pub width: usize,
    pub suffix: String,
}

impl IdShape {
    /// The most common shape among `ids` (the first one written that way as the tie-break).
    pub fn learn<'a>(ids: impl IntoIterator<Item = &'a str>) -> IdShape {
        let mut counts: Vec<(IdShape, usize)> = Vec::new();
        for id in ids {
            let Some(start) = id.find(|it: char| it.is_ascii_digit()) else { continue };
            let rest = &id[start..];
            let end = rest.find(|it: char| !it.is_ascii_digit()).unwrap_or(rest.len());
            let digits = &rest[..end];
            let shape = IdShape {
                prefix: id[..start].to_string(),
                width: if digits.len() > 1 && digits.starts_with('0') { digits.len() } else { 0 },
                suffix: rest[end..].to_string(),
            };
            match counts.iter_mut().find(|(it, _)| *it == shape) {
                Some((_, count)) => *count += 1,
                None => counts.push((shape, 1)),
            }
        }
        // Subtask ids (`1.1`, `task-24.1`) are not the shape of a new task: prefer suffixes
        // that are not sub-numbers unless every id has one (compozy's `1.0`).
        let top_level = |shape: &IdShape| shape.suffix.is_empty() || shape.suffix == ".0";
        counts.sort_by_key(|(shape, count)| (!top_level(shape), std::cmp::Reverse(*count)));
        counts.into_iter().next().map(|(it, _)| it).unwrap_or_default()
    }

    pub fn format(&self, number: u64) -> String {
        format!("{}{:0width$}{}", self.prefix, number, self.suffix, width = self.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(numbers: impl IntoIterator<Item = u64>, counter: Option<u64>) -> UsedIds {
        let mut it = UsedIds::default();
        for number in numbers {
            it.add(number, "here");
        }
        if let Some(counter) = counter {
            it.add_counter(counter, "TODO.md");
        }
        it
    }

    #[test]
    fn the_next_id_is_above_every_id_and_the_counter() {
        assert_eq!(used([1, 2, 3], Some(4)).next(), 4);
        assert_eq!(used([1, 2, 3], Some(17)).next(), 17, "archived ids the workspace no longer holds");
        assert_eq!(used([1, 2, 30], Some(4)).next(), 31, "a stale counter never hands out a used id");
        assert_eq!(used([], Some(5)).next(), 5);
        assert_eq!(used([], None).next(), 1);
    }

    #[test]
    fn a_wrapped_tracker_continues_its_young_block_and_skips_ids_in_use() {
        let mut ids = used((953..=998).chain(1..=68), Some(69));
        assert_eq!(ids.next(), 69);
        ids.add(69, "branch other");
        ids.add(70, "archive");
        assert_eq!(ids.next(), 71, "taken on another branch or archived");
        let near_the_end = used((1..=5).chain(990..=999), Some(6));
        assert_eq!(near_the_end.next(), 6);
        let stray = used((953..=998).chain(1..=80).chain([350]), Some(82));
        assert_eq!(stray.next(), 82, "a stray id between the blocks: the counter says where the young block ends");
        let full = used((2..=999).chain([1]), Some(1000));
        assert_eq!(full.next(), 1000, "nothing wrapped: every number is taken, go on past 999");
    }

    /// Issue 33: `new` in a Backlog.md tracker handed out the id of a task `backlog task
    /// archive` had put away (the archive is not indexed: its tasks may share ids with live ones).
    #[test]
    fn a_backlog_archive_s_file_names_hold_their_ids() {
        let mut ids = used([1, 2], None);
        let listed = [
            "backlog/archive/tasks/task-7 - Dropped.md",
            "backlog/archive/drafts/draft-9 - Idea.md",
            "backlog/archive/notes/task-30 - Not a task.md",
            "backlog/archive/tasks/readme.txt",
            "other/archive/tasks/task-40 - Elsewhere.md",
        ];
        ids.add_backlog_archive("backlog", listed);
        assert_eq!(ids.numbers.keys().copied().collect::<Vec<_>>(), [1, 2, 7, 9]);
        assert_eq!(ids.next(), 10);
    }

    #[test]
    fn merging_keeps_the_first_source_and_the_highest_counter() {
        let mut here = used([1, 2], Some(3));
        let mut branch = used([3], Some(4));
        branch.numbers.insert(3, "branch feature".into());
        here.merge(branch);
        assert_eq!(here.next(), 4);
        assert_eq!(here.numbers[&3], "branch feature");
    }

    #[test]
    fn id_shapes_are_learned_from_the_ids_written() {
        let shape = IdShape::learn(["T001", "T002", "T010"]);
        assert_eq!(shape.format(11), "T011");
        assert_eq!(IdShape::learn(["BACK-1", "BACK-20", "task-3"]).format(21), "BACK-21");
        assert_eq!(IdShape::learn(["1.0", "1.1", "2.0"]).format(3), "3.0");
        assert_eq!(IdShape::learn(["task-24", "task-24.1"]).format(25), "task-25");
        assert_eq!(IdShape::learn(["221", "58"]).format(222), "222");
        assert_eq!(IdShape::learn(Vec::<&str>::new()).format(1), "1");
        assert_eq!(id_number("task-24.1"), Some(24));
        assert_eq!(id_number("058"), Some(58));
        assert_eq!(id_number("none"), None);
    }
}
