//! Which tasks depend on which. The per-task rules of a task's dependents run again when the
//! task changes; finding them must cost what the change touches, not a look at every place of
//! every task in the workspace.

use std::collections::{BTreeSet, HashMap};

use smol_str::SmolStr;

use crate::index::{TaskEntry, WorkspaceIndex};
use crate::model::TaskKey;

/// What a dependency's id is matched on. It names a task of its own tracker when the two ids
/// are equal but for ASCII case, or when their last `-`-separated parts are equal (`task-24`
/// and `24`): each id gives both keys, and two ids match when they share one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Folded(SmolStr),
    Suffix(SmolStr),
}

impl Key {
    fn of(id: &str) -> [Key; 2] {
        [Key::Folded(id.to_ascii_lowercase().into()), Key::Suffix(id.rsplit('-').next().unwrap_or(id).into())]
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Dependents {
    /// The keys of the ids each task with dependencies depends on, sorted.
    keys: HashMap<TaskKey, Vec<Key>>,
    /// By a dependent's scope and a key of an id it depends on: the dependents.
    by_key: HashMap<(SmolStr, Key), BTreeSet<TaskKey>>,
}

impl Dependents {
    pub(super) fn of(index: &WorkspaceIndex) -> Dependents {
        let mut out = Dependents::default();
        for (task, entry) in index.tasks() {
            out.set(task, keys_of(index, Some(entry)));
        }
        out
    }

    /// Follows the tasks whose places changed (gone ones among them). Nothing is written when
    /// their dependencies stayed as they were, as a status change leaves them: a copy of the
    /// store made to re-check the change then still shares this with the original.
    pub(super) fn follow<'a>(
        this: &mut std::sync::Arc<Dependents>,
        index: &WorkspaceIndex,
        changed: impl IntoIterator<Item = &'a TaskKey>,
    ) {
        let moved: Vec<(&TaskKey, Vec<Key>)> = changed
            .into_iter()
            .map(|task| (task, keys_of(index, index.task(task))))
            .filter(|(task, keys)| this.keys.get(*task).map_or(&[][..], Vec::as_slice) != keys.as_slice())
            .collect();
        if moved.is_empty() {
            return;
        }
        let this = std::sync::Arc::make_mut(this);
        for (task, keys) in moved {
            this.set(task, keys);
        }
    }

    /// The tasks that depend on any of `tasks`.
    pub(super) fn of_tasks<'a>(&'a self, tasks: impl IntoIterator<Item = &'a TaskKey>) -> BTreeSet<&'a TaskKey> {
        let mut out = BTreeSet::new();
        for task in tasks {
            for key in Key::of(&task.id) {
                if let Some(dependents) = self.by_key.get(&(task.scope.clone(), key)) {
                    out.extend(dependents);
                }
            }
        }
        out
    }

    fn set(&mut self, task: &TaskKey, keys: Vec<Key>) {
        if let Some(old) = self.keys.remove(task) {
            for key in old {
                let slot = (task.scope.clone(), key);
                if let Some(dependents) = self.by_key.get_mut(&slot) {
                    dependents.remove(task);
                    if dependents.is_empty() {
                        self.by_key.remove(&slot);
                    }
                }
            }
        }
        if keys.is_empty() {
            return;
        }
        for key in &keys {
            self.by_key.entry((task.scope.clone(), key.clone())).or_default().insert(task.clone());
        }
        self.keys.insert(task.clone(), keys);
    }
}

/// The keys of every id the task's places depend on, sorted and once each.
fn keys_of(index: &WorkspaceIndex, entry: Option<&TaskEntry>) -> Vec<Key> {
    let Some(entry) = entry else { return Vec::new() };
    let mut keys: Vec<Key> = entry
        .places
        .iter()
        .flat_map(|place| index.place(*place).dependencies.iter())
        .flat_map(|it| Key::of(&it.id))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
