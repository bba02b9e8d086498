//! The dependency graph as its tasks' places write it: which ids a task depends on, and where a
//! chain of open tasks ends at an abandoned or cancelled one, so that the tasks along it can
//! never be done as planned (`dependency-dead`, and what `next` says holds a task back).

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::vocabulary::Kind;

/// How many tasks one search looks at, at most: far more than any real chain, and a bound on a
/// hostile or generated tracker with thousands of dependencies.
const MOST_TASKS_SEARCHED: usize = 4_096;

/// A chain from a dependency to the task that closed it for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadEnd {
    /// The dependency first, then each task it waits on in turn; the last one is abandoned or
    /// cancelled, every other one is open (not started, under way or blocked).
    pub chain: Vec<TaskKey>,
    /// Where the last one's status is written.
    pub place: PlaceRef,
}

impl DeadEnd {
    /// The chain in words, from the dependency on: "task 11 (`[NOT STARTED]`), which waits on
    /// task 10, which is `[ABANDONED]`", with where the last status is written when
    /// `located`.
    pub fn words(&self, index: &WorkspaceIndex, located: bool) -> String {
        let Some((last, through)) = self.chain.split_last() else { return String::new() };
        let mut words = String::new();
        for link in through {
            words.push_str(&format!("task {link} (`{}`), which waits on ", index.status_shown(link)));
        }
        words.push_str(&format!("task {last}, which is `{}`", index.status_shown(last)));
        if located {
            words.push_str(&format!(" ({})", index.location(self.place)));
        }
        words
    }
}

impl WorkspaceIndex {
    /// The ids `task` depends on, as its places write them, once each and in the order first
    /// written (a task naming itself is left out). Each with the first place and range naming it.
    pub fn dependency_ids(&self, task: &TaskKey) -> Vec<(&str, PlaceRef, crate::text::TextRange)> {
        let Some(entry) = self.task(task) else { return Vec::new() };
        let mut out: Vec<(&str, PlaceRef, crate::text::TextRange)> = Vec::new();
        for place_ref in &entry.places {
            for dependency in &self.place(*place_ref).dependencies {
                if dependency.id != task.id && !out.iter().any(|(id, _, _)| *id == dependency.id) {
                    out.push((dependency.id.as_str(), *place_ref, dependency.range));
                }
            }
        }
        out
    }

    /// The kind of a task's status, in its own tracker's vocabulary (`None`: no status read).
    pub fn task_kind(&self, task: &TaskKey) -> Option<(PlaceRef, Kind)> {
        let (place, status) = self.task_status(task)?;
        Some((place, self.task_profile(task)?.kind(status)))
    }

    /// The shortest chain from `dependency` (an id `task` depends on) through open tasks to an
    /// abandoned or cancelled one, if there is one. A done task ends a chain: what it waited on
    /// no longer matters. Ids that name no task are not followed.
    pub fn dead_end(&self, task: &TaskKey, dependency: &str) -> Option<DeadEnd> {
        let first = self.resolve_dependency(task, dependency)?;
        // Breadth first, each task once, remembering where it was reached from.
        let mut reached_from: HashMap<TaskKey, Option<TaskKey>> = HashMap::from([(first.clone(), None)]);
        let mut queue = VecDeque::from([first]);
        while let Some(current) = queue.pop_front() {
            let Some((place, kind)) = self.task_kind(&current) else { continue };
            match kind {
                Kind::Cancelled => {
                    let mut chain = vec![current.clone()];
                    while let Some(Some(previous)) = chain.last().and_then(|it| reached_from.get(it)) {
                        chain.push(previous.clone());
                    }
                    chain.reverse();
                    return Some(DeadEnd { chain, place });
                }
                Kind::Done => continue,
                Kind::Todo | Kind::Active | Kind::Blocked => {}
            }
            for (id, _, _) in self.dependency_ids(&current) {
                if reached_from.len() >= MOST_TASKS_SEARCHED {
                    return None;
                }
                let Some(next) = self.resolve_dependency(&current, id) else { continue };
                // The task asked about is not followed through: a cycle back to it is not a
                // dead end of its own.
                if next == *task || reached_from.contains_key(&next) {
                    continue;
                }
                reached_from.insert(next.clone(), Some(current.clone()));
                queue.push_back(next);
            }
        }
        None
    }
}

impl WorkspaceIndex {
    /// The longest chain of open tasks among `tasks` in which each waits on the next: the work
    /// that has to happen one step after another before the first of them can be done (the
    /// critical path of a board's graph). The task that waits is first; the one to start first
    /// is last. Dependencies outside `tasks`, done ones and cycles are not followed. Empty when
    /// no open task waits on another open task.
    pub fn critical_path(&self, tasks: &[TaskKey]) -> Vec<TaskKey> {
        let open =
            |task: &TaskKey| matches!(self.task_kind(task), Some((_, Kind::Todo | Kind::Active | Kind::Blocked)));
        let order: Vec<&TaskKey> = tasks.iter().filter(|it| open(it)).collect();
        let members: HashMap<&TaskKey, usize> = order.iter().enumerate().map(|(at, task)| (*task, at)).collect();
        let waits_on: Vec<Vec<usize>> = order
            .iter()
            .map(|task| {
                self.dependency_ids(task)
                    .into_iter()
                    .filter_map(|(id, _, _)| self.resolve_dependency(task, id))
                    .filter_map(|it| members.get(&it).copied())
                    .collect()
            })
            .collect();
        longest_chain(&waits_on).into_iter().map(|it| order[it].clone()).collect()
    }
}

/// The longest chain in a graph whose node `a` waits on each node of `waits_on[a]`, as
/// [`WorkspaceIndex::critical_path`] takes it (for a view that already holds each task's open
/// dependencies): the node that waits first, the one to start with last; the first node in
/// order among chains as long; empty when no node waits on another. Cycles are not followed.
pub fn longest_chain(waits_on: &[Vec<usize>]) -> Vec<usize> {
    // Longest chain from each node, depth first without recursion (a generated tracker may
    // chain thousands of tasks); a node met again while on the stack closes a cycle and adds
    // nothing.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Finished,
    }
    let count = waits_on.len();
    let mut marks = vec![Mark::New; count];
    let mut length = vec![0usize; count];
    let mut next_step: Vec<Option<usize>> = vec![None; count];
    for start in 0..count {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        marks[start] = Mark::OnStack;
        while let Some((at, edge)) = stack.pop() {
            if let Some(&child) = waits_on[at].get(edge) {
                stack.push((at, edge + 1));
                if child < count && marks[child] == Mark::New {
                    marks[child] = Mark::OnStack;
                    stack.push((child, 0));
                }
                continue;
            }
            let best = waits_on[at]
                .iter()
                .filter(|it| marks.get(**it) == Some(&Mark::Finished))
                .max_by_key(|it| (length[**it], std::cmp::Reverse(**it)));
            length[at] = 1 + best.map_or(0, |it| length[*it]);
            next_step[at] = best.copied();
            marks[at] = Mark::Finished;
        }
    }
    let Some(first) = (0..count).max_by_key(|it| (length[*it], std::cmp::Reverse(*it))) else {
        return Vec::new();
    };
    if length[first] < 2 {
        return Vec::new();
    }
    let mut chain = vec![first];
    let mut at = first;
    while let Some(step) = next_step[at] {
        chain.push(step);
        at = step;
    }
    chain
}

#[cfg(test)]
mod tests {
    use crate::fixture;
    use crate::model::TaskKey;

    fn keys(ids: &[&str]) -> Vec<TaskKey> {
        ids.iter().map(|it| TaskKey::new("specs", it)).collect()
    }

    #[test]
    fn the_critical_path_is_the_longest_chain_of_open_tasks_waiting_on_each_other() {
        // 5 waits on 4 on 3 on 1 (done: not on the path); 7 waits on 6; 8 and 9 wait on each other.
        let index = fixture::index(
            "%! specs/TODO.md\n## Tasks\n\n\
             ### 1. Base\n- **Status**: [COMPLETED]\n\n\
             ### 3. Keystone\n- **Status**: [IMPLEMENTING]\n- **Dependencies**: 1\n\n\
             ### 4. Next\n- **Status**: [NOT STARTED]\n- **Dependencies**: 3\n\n\
             ### 5. Last\n- **Status**: [NOT STARTED]\n- **Dependencies**: 4, 6\n\n\
             ### 6. Side\n- **Status**: [NOT STARTED]\n\n\
             ### 7. Other\n- **Status**: [NOT STARTED]\n- **Dependencies**: 6\n\n\
             ### 8. Loop\n- **Status**: [NOT STARTED]\n- **Dependencies**: 9\n\n\
             ### 9. Loop back\n- **Status**: [NOT STARTED]\n- **Dependencies**: 8\n",
        );
        let all = keys(&["1", "3", "4", "5", "6", "7", "8", "9"]);
        assert_eq!(index.critical_path(&all), keys(&["5", "4", "3"]));
        // Only among the tasks asked about.
        assert_eq!(index.critical_path(&keys(&["5", "6", "7"])), keys(&["5", "6"]));
        assert_eq!(index.critical_path(&keys(&["1", "6"])), Vec::<TaskKey>::new());
    }
}
