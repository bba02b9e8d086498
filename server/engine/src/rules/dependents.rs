//! Which tasks depend on which. The per-task rules of a task's dependents run again when the
//! task changes; finding them must cost what the change touches, not a look at every place of
//! every task in the workspace.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::index::{TaskEntry, WorkspaceIndex};
use crate::model::TaskKey;

/// A dependency names a task of its own tracker when the two ids are equal but for ASCII
/// case, or when their last `-`-separated parts are equal (`task-24` and `24`). Each id gives
/// a key for each, hashed with the tracker's scope, and two ids may match when they share one.
/// Hashes (in one space for both kinds) keep the table small in every editor's session; two
/// ids that share one by chance only make a task's rules run again for nothing.
fn keys_of_id(scope: &str, id: &str) -> [u64; 2] {
    let key = |text: &str| {
        let mut hasher = std::hash::DefaultHasher::new();
        (scope, text).hash(&mut hasher);
        hasher.finish()
    };
    [key(&id.to_ascii_lowercase()), key(id.rsplit('-').next().unwrap_or(id))]
}

#[derive(Debug, Clone, Default)]
pub(super) struct Dependents {
    /// The keys of the ids each task with dependencies depends on, sorted, once each.
    keys: HashMap<TaskKey, Box<[u64]>>,
    /// By a key of an id they depend on: the dependents (a few each).
    by_key: HashMap<u64, Vec<TaskKey>>,
}

impl Dependents {
    pub(super) fn of(index: &WorkspaceIndex) -> Dependents {
        let mut out = Dependents::default();
        for (task, entry) in index.tasks() {
            out.set(task, keys_of(index, task, Some(entry)));
        }
        out
    }

    /// Follows the tasks whose places changed (gone ones among them). Nothing is written when
    /// their dependencies stayed as they were, as a status change leaves them: a copy of the
    /// store made to re-check the change then still shares this with the original.
    pub(super) fn follow<'a>(
        this: &mut Arc<Dependents>,
        index: &WorkspaceIndex,
        changed: impl IntoIterator<Item = &'a TaskKey>,
    ) {
        let moved: Vec<(&TaskKey, Vec<u64>)> = changed
            .into_iter()
            .map(|task| (task, keys_of(index, task, index.task(task))))
            .filter(|(task, keys)| this.keys.get(*task).map_or(&[][..], |it| &it[..]) != keys.as_slice())
            .collect();
        if moved.is_empty() {
            return;
        }
        let this = Arc::make_mut(this);
        for (task, keys) in moved {
            this.set(task, keys);
        }
    }

    /// The tasks that depend on any of `tasks` (and, rarely, a few that do not).
    pub(super) fn of_tasks<'a>(&'a self, tasks: impl IntoIterator<Item = &'a TaskKey>) -> BTreeSet<&'a TaskKey> {
        let mut out = BTreeSet::new();
        for task in tasks {
            for key in keys_of_id(&task.scope, &task.id) {
                out.extend(self.by_key.get(&key).into_iter().flatten());
            }
        }
        out
    }

    /// The tasks that depend on any of `tasks` directly or through others (`dependency-dead`
    /// follows chains), each once, without `tasks` themselves unless a cycle leads back.
    pub(super) fn of_tasks_transitively<'a>(
        &'a self,
        tasks: impl IntoIterator<Item = &'a TaskKey>,
    ) -> BTreeSet<&'a TaskKey> {
        let mut out = BTreeSet::new();
        let mut frontier: Vec<&TaskKey> = tasks.into_iter().collect();
        while !frontier.is_empty() {
            let found = self.of_tasks(frontier.iter().copied());
            frontier = found.into_iter().filter(|it| out.insert(*it)).collect();
        }
        out
    }

    fn set(&mut self, task: &TaskKey, keys: Vec<u64>) {
        for key in self.keys.remove(task).into_iter().flatten() {
            if let Some(dependents) = self.by_key.get_mut(&key) {
                dependents.retain(|it| it != task);
                if dependents.is_empty() {
                    self.by_key.remove(&key);
                }
            }
        }
        if keys.is_empty() {
            return;
        }
        // Each key once, and the task's old entries are gone: no dependent is listed twice.
        for key in &keys {
            self.by_key.entry(*key).or_default().push(task.clone());
        }
        self.keys.insert(task.clone(), keys.into_boxed_slice());
    }
}

/// The keys of every id the task's places depend on, sorted and once each.
fn keys_of(index: &WorkspaceIndex, task: &TaskKey, entry: Option<&TaskEntry>) -> Vec<u64> {
    let Some(entry) = entry else { return Vec::new() };
    let mut keys: Vec<u64> = entry
        .places
        .iter()
        .flat_map(|place| index.place(*place).dependencies.iter())
        .flat_map(|it| keys_of_id(&task.scope, &it.id))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    const TODO: &str = "%! specs/TODO.md
### 1. One
- **Status**: [PLANNED]
- **Dependencies**: 2

### 2. Two
- **Status**: [PLANNED]

### 3. Three
- **Status**: [PLANNED]
- **Dependencies**: TASK-2, 4

### 4. Four
- **Status**: [PLANNED]
%! other/specs/TODO.md
### 5. Five
- **Status**: [PLANNED]
- **Dependencies**: 2
";

    fn key(scope: &str, id: &str) -> TaskKey {
        TaskKey { scope: scope.into(), id: id.into() }
    }

    fn ids(tasks: BTreeSet<&TaskKey>) -> Vec<&str> {
        tasks.into_iter().map(|it| it.id.as_str()).collect()
    }

    #[test]
    fn a_task_s_dependents_are_the_tasks_of_its_tracker_that_name_its_id() {
        let index = fixture::index(TODO);
        let dependents = Dependents::of(&index);
        // `TASK-2` names 2 by its last part; the other tracker's 5 names its own 2.
        assert_eq!(ids(dependents.of_tasks([&key("specs", "2")])), ["1", "3"]);
        assert_eq!(ids(dependents.of_tasks([&key("specs", "4")])), ["3"]);
        assert_eq!(ids(dependents.of_tasks([&key("other/specs", "2")])), ["5"]);
        assert!(dependents.of_tasks([&key("specs", "1")]).is_empty());
    }

    #[test]
    fn dependents_through_others_are_found_once_each_even_round_a_cycle() {
        let index = fixture::index(
            "%! specs/TODO.md
### 1. One
- **Status**: [PLANNED]
- **Dependencies**: 2

### 2. Two
- **Status**: [PLANNED]
- **Dependencies**: 3

### 3. Three
- **Status**: [PLANNED]
- **Dependencies**: 1

### 4. Four
- **Status**: [PLANNED]
- **Dependencies**: 2
",
        );
        let dependents = Dependents::of(&index);
        assert_eq!(ids(dependents.of_tasks([&key("specs", "3")])), ["2"]);
        // 2 depends on 3; 1 and 4 on 2; 3 on 1, which leads back round the cycle.
        assert_eq!(ids(dependents.of_tasks_transitively([&key("specs", "3")])), ["1", "2", "3", "4"]);
        assert!(dependents.of_tasks_transitively([&key("specs", "4")]).is_empty());
    }

    #[test]
    fn changed_dependencies_are_followed_and_unchanged_ones_leave_the_table_shared() {
        let mut index = fixture::index(TODO);
        let mut dependents = Arc::new(Dependents::of(&index));
        let shared = dependents.clone();

        // A status change: no dependency moved, nothing is copied.
        let todo = index.text(index.file_id("specs/TODO.md").expect("TODO.md")).replacen("[PLANNED]", "[COMPLETED]", 1);
        index.write_file("specs/TODO.md", Arc::from(todo.as_str()), |_, _| {});
        Dependents::follow(&mut dependents, &index, [&key("specs", "1")]);
        assert!(Arc::ptr_eq(&dependents, &shared));

        // Task 1 now depends on 4 instead of 2, and task 3 is gone.
        let todo = todo.replacen("- **Dependencies**: 2", "- **Dependencies**: 4", 1);
        let cut = todo.find("### 3.").expect("task 3")..todo.find("### 4.").expect("task 4");
        let todo = format!("{}{}", &todo[..cut.start], &todo[cut.end..]);
        index.write_file("specs/TODO.md", Arc::from(todo.as_str()), |_, _| {});
        Dependents::follow(&mut dependents, &index, [&key("specs", "1"), &key("specs", "3")]);
        assert!(!Arc::ptr_eq(&dependents, &shared));
        assert!(dependents.of_tasks([&key("specs", "2")]).is_empty());
        assert_eq!(ids(dependents.of_tasks([&key("specs", "4")])), ["1"]);
        assert_eq!(ids(dependents.of_tasks([&key("other/specs", "2")])), ["5"]);
        // The copy made before still says what was.
        assert_eq!(ids(shared.of_tasks([&key("specs", "2")])), ["1", "3"]);
    }
}
