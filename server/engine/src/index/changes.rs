//! What changed between two states of one workspace's index, for views that keep what they
//! computed from the earlier one (the board's cards) and compute again only what may differ.
//!
//! The unit is the tracker: a task reads its own places, its plans, its tracker's vocabulary
//! and the tasks it depends on, which are always of its own tracker (a dependency resolves in
//! the depending task's scope). So a tracker none of whose files and none of whose task
//! entries changed reads exactly as before. Clones of an index share every file and task entry
//! they did not change (`Arc`), which makes the comparison a walk over pointers.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::WorkspaceIndex;

impl WorkspaceIndex {
    /// The trackers (their roots, which are their tasks' scopes) whose tasks may read
    /// differently here than in `earlier`, an earlier state of this index: each tracker one of
    /// whose files changed, and each whose task entries did.
    ///
    /// `None` when more changed than the contents of trackers' files, and every task must be
    /// read again: a file added or removed, the trackers or the vocabularies, the set of tasks,
    /// or a file outside every tracker (nothing is assumed of what prose may feed).
    pub fn trackers_changed_since(&self, earlier: &WorkspaceIndex) -> Option<BTreeSet<String>> {
        let same_paths = Arc::ptr_eq(&self.by_path, &earlier.by_path) || self.by_path == earlier.by_path;
        if !same_paths
            || self.files.len() != earlier.files.len()
            || self.trackers != earlier.trackers
            || self.vocabularies != earlier.vocabularies
            || self.listed != earlier.listed
            || self.tasks.len() != earlier.tasks.len()
        {
            return None;
        }
        let mut changed = BTreeSet::new();
        if !Arc::ptr_eq(&self.files, &earlier.files) {
            for (now, before) in self.files.iter().zip(earlier.files.iter()) {
                let (now, before) = match (now, before) {
                    (Some(now), Some(before)) if Arc::ptr_eq(now, before) => continue,
                    (Some(now), Some(before)) => (now, before),
                    (None, None) => continue,
                    _ => return None,
                };
                if now.path != before.path {
                    return None;
                }
                for tracker in [now.tracker, before.tracker] {
                    let tracker = self.trackers.get(tracker?)?;
                    changed.insert(tracker.root.clone());
                }
            }
        }
        if !Arc::ptr_eq(&self.tasks, &earlier.tasks) {
            for ((key, now), (key_before, before)) in self.tasks.iter().zip(earlier.tasks.iter()) {
                if key != key_before {
                    return None;
                }
                if !Arc::ptr_eq(now, before) {
                    changed.insert(key.scope.to_string());
                }
            }
        }
        Some(changed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::fixture;

    const WORKSPACE: &str = "\
%! specs/TODO.md
## Tasks

### 1. One
- **Status**: [NOT STARTED]

### 2. Two
- **Status**: [NOT STARTED]
- **Dependencies**: 1
%! backlog/tasks/task-1 - First.md
---
id: task-1
title: First
status: To Do
---
%! README.md
Read me.
";

    fn changed(index: &crate::index::WorkspaceIndex, earlier: &crate::index::WorkspaceIndex) -> Option<Vec<String>> {
        index.trackers_changed_since(earlier).map(|it| it.into_iter().collect())
    }

    #[test]
    fn names_the_trackers_whose_files_changed_and_gives_up_on_wider_changes() {
        let earlier = fixture::index(WORKSPACE);
        let backlog = earlier.trackers().iter().find(|it| it.root != "specs").map(|it| it.root.clone());
        assert_eq!(changed(&earlier.clone(), &earlier), Some(vec![]), "a clone changed nothing");

        let todo = earlier.text_at("specs/TODO.md").map(|it| it.to_string()).unwrap_or_default();
        let mut one_status = earlier.clone();
        one_status.set_file("specs/TODO.md", Some(Arc::from(todo.replacen("[NOT STARTED]", "[RESEARCHING]", 1))));
        assert_eq!(changed(&one_status, &earlier), Some(vec!["specs".to_string()]));

        let mut both = one_status.clone();
        let task = both.text_at("backlog/tasks/task-1 - First.md").map(|it| it.to_string()).unwrap_or_default();
        both.set_file("backlog/tasks/task-1 - First.md", Some(Arc::from(task.replace("To Do", "In Progress"))));
        let mut expected = vec!["specs".to_string()];
        expected.extend(backlog);
        expected.sort();
        assert_eq!(changed(&both, &earlier), Some(expected));

        let mut prose = earlier.clone();
        prose.set_file("README.md", Some(Arc::from("Read me again.\n")));
        assert_eq!(changed(&prose, &earlier), None, "a file outside every tracker");

        let mut added = earlier.clone();
        added
            .set_file("specs/TODO.md", Some(Arc::from(format!("{todo}\n### 3. Three\n- **Status**: [NOT STARTED]\n"))));
        assert_eq!(changed(&added, &earlier), None, "a task added");

        let mut new_file = earlier.clone();
        new_file.set_file("NOTES.md", Some(Arc::from("notes\n")));
        assert_eq!(changed(&new_file, &earlier), None, "a file added");
    }
}
