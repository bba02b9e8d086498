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
