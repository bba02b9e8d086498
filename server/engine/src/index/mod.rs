//! The workspace index: every file's parse, the trackers and their vocabularies, and for each
//! task the places that state its status.
//!
//! Built from texts the adapter read; updated one file at a time. An edit of a spec-folder
//! TODO.md (the one large file people type into) is re-parsed in part: only the headings whose
//! text the change reaches are read again, the rest of the parse is moved, and the task table is
//! updated for the tasks whose places changed. Any other update re-parses the changed file (or,
//! when a vocabulary source such as `backlog/config.yml` changed, the files of that tracker) and
//! rebuilds the per-task tables, which is linear in the number of places.
//!
//! One job per module: `build` (from scratch), `incremental` (one file's change), `learning`
//! (each tracker's vocabulary), `tasks` (the task table) and `queries` (what the rules, the
//! planner and the editor questions ask). This module holds the types they share.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::config::{StandardSetting, Vocabularies};
use crate::conventions::{self, BaseSource, StandardChoice, StandardUse, VocabularyChoice, Written};
use crate::layout::{self, Classification, Family, Role};
use crate::model::StatusStandard;
pub use crate::model::{FileId, PlaceRef};
use crate::model::{Parsed, ParsedFile, Place, PlaceKind, Subject, TaskKey};
use crate::parse::todo::{self, TodoLayout};
use crate::parse::{self, ParseContext};
use crate::profiles;
use crate::text::{Change, LineIndex, Shift, TextEdit};
use crate::vocabulary::{Origin, Profile, Scope, Spelling};

mod build;
mod changes;
mod dependencies;
mod incremental;
mod learning;
mod queries;
mod tasks;

use build::*;
pub use dependencies::{DeadEnd, longest_chain};
pub use learning::Habit;
use learning::*;
pub use queries::{authority, natural_cmp};
use tasks::*;

/// A file handed to the index.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: String,
    pub class: Classification,
    pub tracker: Option<usize>,
    /// The text, kept for tracker files (edits and messages need it); prose keeps none.
    pub text: Arc<str>,
    line_index: OnceLock<Arc<LineIndex>>,
    pub parsed: Parsed,
    /// For a spec-folder TODO.md, what an incremental re-parse of the next edit needs.
    todo_layout: Option<Box<TodoLayout>>,
    /// For a state.json, where its entries are: an edit inside one re-reads only that entry.
    json_layout: Option<Box<parse::state_json::Layout>>,
}

impl FileEntry {
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| Arc::new(LineIndex::new(&self.text)))
    }

    /// The line index if one was built (or followed an edit), without building one.
    #[cfg(test)]
    pub(crate) fn built_line_index(&self) -> Option<&LineIndex> {
        self.line_index.get().map(|it| &**it)
    }

    /// Whether the file's whole-file rules read its tracker's tasks, so run again when any of
    /// them changes: counters count them; GSD's STATE.md (its position and its phase table) is
    /// held to its phases' plans. Known from the parse's counters and the file's role, with no
    /// look at its places: asked of the edited file at every keystroke.
    pub fn reads_its_tracker(&self) -> bool {
        self.parsed.counters.is_some() || self.class.role == crate::layout::Role::GsdState
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracker {
    pub family: Family,
    pub root: String,
    /// The vocabulary the tracker's files are read in: `base` with the repository's status
    /// standard and the markers the tracker uses consistently.
    pub profile: Arc<Profile>,
    /// The profile alone: built-in, from `.taskmark.toml`, or Backlog.md's `config.yml`.
    pub base: Arc<Profile>,
    pub choice: VocabularyChoice,
    /// Statuses its files write two ways at one kind of place, with the usual way
    /// (`mixed-spelling`). Empty for nearly every tracker.
    pub habits: Vec<learning::Habit>,
    /// What its last learning read beyond each file's own markers (a cache, not part of how
    /// the tracker reads: see [`learning::LastLearning`]).
    pub(crate) last_learning: learning::LastLearning,
    /// Task Master: the tag its untagged task files (`task_NNN.txt`, `.md`) belong to when tasks.json has no
    /// `master` (its only tag, or state.json's `currentTag` among several); `None` is `master`.
    pub untagged_tag: Option<String>,
}

impl Tracker {
    /// What a parser of the file at `path` (of class `class`) in this tracker needs.
    pub(crate) fn context<'a>(&'a self, path: &'a str, class: &'a Classification) -> ParseContext<'a> {
        ParseContext {
            path,
            class,
            profile: &self.profile,
            scope: &self.root,
            untagged_tag: self.untagged_tag.as_deref(),
        }
    }
}

/// The task table: each task's entry behind an `Arc`, so that a clone of the index shares them.
pub type TaskTable = BTreeMap<TaskKey, Arc<TaskEntry>>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskEntry {
    /// Every place that states this task's status (phases excluded), in file order.
    pub places: Vec<PlaceRef>,
    /// Files that mention the task without stating a status.
    pub mentions: Vec<FileId>,
    /// Archived on purpose (a `completed_projects` entry, an archive state file, a plan under
    /// `archive/`).
    pub archived: bool,
    /// The files that archive it (`archived` is whether there is one), so that replacing one
    /// file can tell whether another still does.
    archived_in: Vec<FileId>,
    /// The plan whose header counts for this task: the last one TODO.md links, else the
    /// highest-numbered one in the task folder.
    pub current_plan: Option<FileId>,
}

/// See [`WorkspaceIndex::reused_id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReusedId {
    /// The live task folder's name.
    pub folder: String,
    /// A place of the live task in that folder.
    pub live: PlaceRef,
    /// The archived entries of the task that had the id before.
    pub archived: Vec<PlaceRef>,
}

/// What one [`WorkspaceIndex::set_file`] touched, so diagnostics can be recomputed for just that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The whole index was rebuilt (a vocabulary source or the trackers' layout changed): file
    /// ids changed and everything must be recomputed.
    pub rebuilt: bool,
    /// The file, unless it was removed.
    pub file: Option<FileId>,
    /// Tasks whose places, mentions, links or archived state changed: their per-task rules run
    /// again. After an edit re-parsed in part, only the tasks whose places really changed (not
    /// those that merely moved); otherwise every task the file stated or mentioned, before or
    /// after.
    pub tasks: std::collections::BTreeSet<TaskKey>,
    /// A path appeared or disappeared: links elsewhere may now resolve or break.
    pub added_or_removed: bool,
    /// The file was edited and re-parsed in part: how its text and parse moved, so that
    /// diagnostics located in it can be moved instead of computed again.
    pub edit: Option<FileEdit>,
    /// The file has or had phase places (written in two files): the phase rule runs again.
    pub phases: bool,
    /// The file was there before and kept its role and tracker, so the trackers' roles across
    /// the workspace are as they were (an edit that keeps the file's class, as most do). Never
    /// with `rebuilt`.
    pub roles_kept: bool,
}

/// How an edited file's text and parse changed: `places`, `items` and `links` in the replaced
/// ranges are new; those after moved by the splices' differences and the text change's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    pub change: Change,
    pub places: todo::Splice,
    pub items: todo::Splice,
    pub links: todo::Splice,
    /// The change added or removed line breaks: line numbers after it moved.
    pub lines_moved: bool,
    /// The places the edit replaced (those of `places`' old range), for rules that keep a
    /// tally over the file's places and can follow it by what left and what came.
    pub replaced_places: Vec<Place>,
}

/// Cloning an index is cheap: its entries are shared (an edit of a clone copies the one entry it
/// changes), which is how every editor's view of a workspace shares one parse of its files.
#[derive(Debug, Default, Clone)]
pub struct WorkspaceIndex {
    /// Shared between clones until one changes a file: each editor's view of a saved state
    /// holds one pointer, not a copy of the list.
    files: Arc<Vec<Option<Arc<FileEntry>>>>,
    /// Shared between clones (a what-if copy for a re-check, each editor's view) until one adds
    /// or removes a file.
    by_path: Arc<PathTable>,
    trackers: Vec<Tracker>,
    /// The table, and each task's entry in it, shared between clones until one changes them:
    /// the views of many editors on one saved state hold one table, and a copy of the index
    /// made to re-check a change copies the table and the few entries the change touches.
    tasks: Arc<TaskTable>,
    vocabularies: Vocabularies,
    /// Files the adapter listed and chose not to read (a command that needs only some of a
    /// tracker's files): their paths still count where only a path does (task folders and their
    /// ids, file names), their contents do not.
    listed: Arc<[String]>,
}

/// The indexed paths with their files' ids, and which of those files are named as a TODO.md
/// (role [`Role::Todo`], which the path alone decides: the text only tells its family, the
/// `specs/` folders its root). The counters rule looks for a tracker's TODO.md at every status
/// change: among these, not among every file of the workspace.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PathTable {
    ids: HashMap<String, FileId>,
    todo_files: BTreeSet<FileId>,
}

impl PathTable {
    pub(crate) fn get(&self, path: &str) -> Option<&FileId> {
        self.ids.get(path)
    }

    pub(crate) fn contains_key(&self, path: &str) -> bool {
        self.ids.contains_key(path)
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds the file at `path`, whose role is `role`.
    pub(crate) fn insert(&mut self, path: String, id: FileId, role: Role) {
        if role == Role::Todo {
            self.todo_files.insert(id);
        }
        if let Some(replaced) = self.ids.insert(path, id) {
            self.todo_files.remove(&replaced);
        }
    }

    pub(crate) fn remove(&mut self, path: &str) -> Option<FileId> {
        let id = self.ids.remove(path)?;
        self.todo_files.remove(&id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_that_move_files_between_trackers_match_a_fresh_index() {
        let vocabularies = crate::config::Config::default().vocabularies;
        let todo = "### 5. Root section\n- **Status**: [PLANNED]\n";
        let state = "{\"active_projects\": [{\"project_number\": 5, \"status\": \"planned\"}]}";
        let source = |path: &str, text: &str| SourceFile { path: path.into(), text: Arc::from(text) };
        let mut index = WorkspaceIndex::build(vec![source("TODO.md", todo)], &vocabularies);
        assert!(index.task(&TaskKey::new("", "5")).is_some());
        // A specs/ folder appears: the root TODO.md joins its tracker.
        index.set_file("specs/state.json", Some(Arc::from(state)));
        let fresh =
            WorkspaceIndex::build(vec![source("TODO.md", todo), source("specs/state.json", state)], &vocabularies);
        assert_eq!(index.task(&TaskKey::new("specs", "5")).map(|it| it.places.len()), Some(2));
        assert!(index.task(&TaskKey::new("", "5")).is_none());
        assert_eq!(index.trackers(), fresh.trackers());
        // The TODO.md loses its sections: it becomes a checklist of its own.
        index.set_file("TODO.md", Some(Arc::from("- [ ] just a list\n")));
        assert_eq!(index.task(&TaskKey::new("specs", "5")).map(|it| it.places.len()), Some(1));
        let fresh = WorkspaceIndex::build(
            vec![source("TODO.md", "- [ ] just a list\n"), source("specs/state.json", state)],
            &vocabularies,
        );
        assert_eq!(index.trackers(), fresh.trackers());
        index.set_file("specs/state.json", None);
        assert_eq!(index.trackers().len(), 1);
        // Its last file gone, a tracker is gone as from a fresh build.
        index.set_file("TODO.md", None);
        assert_eq!(index.trackers(), WorkspaceIndex::build(Vec::new(), &vocabularies).trackers());
    }

    #[test]
    fn a_tracker_that_loses_its_last_file_goes_and_the_others_keep_their_files() {
        let vocabularies = crate::config::Config::default().vocabularies;
        let source = |path: &str, text: &str| SourceFile { path: path.into(), text: Arc::from(text) };
        let files = [("a/TODO.md", "- [ ] a one\n"), ("b/TODO.md", "- [ ] b one\n"), ("c/TODO.md", "- [x] c one\n")];
        let mut index =
            WorkspaceIndex::build(files.iter().map(|(path, text)| source(path, text)).collect(), &vocabularies);
        assert_eq!(index.trackers().len(), 3);
        // The middle one goes: the last one's files move down with it.
        index.set_file("b/TODO.md", None);
        let fresh =
            WorkspaceIndex::build(vec![source(files[0].0, files[0].1), source(files[2].0, files[2].1)], &vocabularies);
        assert_eq!(index.trackers(), fresh.trackers());
        for path in ["a/TODO.md", "c/TODO.md"] {
            let tracker = |index: &WorkspaceIndex| {
                let entry = index.entry(index.file_id(path)?)?;
                Some(index.trackers()[entry.tracker?].root.clone())
            };
            assert_eq!(tracker(&index), tracker(&fresh), "{path}");
        }
        let keys = |index: &WorkspaceIndex| index.tasks().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&index), keys(&fresh));
        // The last one goes too: `new` has one tracker to add to, not one and a ghost.
        index.set_file("c/TODO.md", None);
        let chosen = crate::lifecycle::create::choose_tracker(&index, None).map(|it| it.root.clone());
        assert_eq!(chosen.ok().as_deref(), Some("a"));
        // And a tracker made after that is one more, as any.
        index.set_file("d/TODO.md", Some(Arc::from("- [ ] d one\n")));
        assert_eq!(index.trackers().len(), 2);
    }

    #[test]
    fn a_view_that_owns_a_file_edits_it_without_copying_and_leaves_the_saved_state_alone() {
        let vocabularies = crate::config::Config::default().vocabularies;
        let todo = "# TODO\n\n## Tasks\n\n### 1. One\n- **Status**: [NOT STARTED]\n- **Description**: first\n\n### 2. Two\n- **Status**: [NOT STARTED]\n";
        let path = "specs/TODO.md";
        let saved = WorkspaceIndex::build(vec![SourceFile { path: path.into(), text: Arc::from(todo) }], &vocabularies);
        let mut view = saved.clone();
        let id = view.file_id(path).expect("indexed");
        let entry = |index: &WorkspaceIndex| index.files[id.0 as usize].as_ref().map(Arc::as_ptr).expect("an entry");
        view.own_for_editing(path);
        assert_ne!(entry(&view), entry(&saved), "the view has an entry of its own");
        assert!(!std::ptr::eq(saved.tasks(), view.tasks()), "and a task table of its own");
        let (owned, files, tasks) = (entry(&view), Arc::as_ptr(&view.files), view.tasks() as *const TaskTable);
        // A keystroke in a description and a status change: each edits in place.
        for edited in [
            todo.replace("first", "firsts"),
            todo.replace("firsts", "first").replacen("[NOT STARTED]", "[COMPLETED]", 1),
        ] {
            view.write_file(path, Arc::from(edited.as_str()), |_, _| {});
            assert_eq!(view.text_at(path).map(|it| &**it), Some(edited.as_str()));
            assert_eq!(entry(&view), owned, "nothing copied: {edited:?}");
            assert_eq!(Arc::as_ptr(&view.files), files);
            assert!(std::ptr::eq(view.tasks(), tasks));
        }
        assert_eq!(saved.text_at(path).map(|it| &**it), Some(todo), "the saved state is untouched");
        let status = |index: &WorkspaceIndex| {
            let entry = index.task(&TaskKey::new("specs", "1")).expect("task 1");
            index.place(entry.places[0]).marker.text.to_string()
        };
        assert_eq!((status(&saved), status(&view)), ("[NOT STARTED]".to_string(), "[COMPLETED]".to_string()));
    }

    #[test]
    fn clones_share_the_file_list_and_task_table_until_one_changes_them() {
        let vocabularies = crate::config::Config::default().vocabularies;
        let todo = "### 5. Root section\n- **Status**: [PLANNED]\n\n### 6. Next\n- **Status**: [PLANNED]\n";
        let saved =
            WorkspaceIndex::build(vec![SourceFile { path: "TODO.md".into(), text: Arc::from(todo) }], &vocabularies);
        let mut view = saved.clone();
        assert!(std::ptr::eq(saved.tasks(), view.tasks()), "a clone holds the same table");
        assert!(Arc::ptr_eq(&saved.files, &view.files), "and the same list of files");
        // A status change moves no place between tasks: the table stays shared.
        view.set_file("TODO.md", Some(Arc::from(todo.replacen("[PLANNED]", "[COMPLETED]", 1))));
        assert!(std::ptr::eq(saved.tasks(), view.tasks()));
        let status = |index: &WorkspaceIndex| {
            let entry = index.task(&TaskKey::new("", "5")).expect("task 5");
            index.place(entry.places[0]).marker.text.to_string()
        };
        assert_eq!(status(&saved), "[PLANNED]", "the original is untouched");
        assert_eq!(status(&view), "[COMPLETED]");
        assert!(!Arc::ptr_eq(&saved.files, &view.files), "the changed file has its own entry, in a list of its own");
        // A new task changes the table: the view's own copy, the original untouched, and the
        // entries the change did not touch still shared.
        view.set_file("TODO.md", Some(Arc::from(format!("{todo}\n### 7. Later\n- **Status**: [PLANNED]\n"))));
        assert!(!std::ptr::eq(saved.tasks(), view.tasks()));
        assert!(view.task(&TaskKey::new("", "7")).is_some() && saved.task(&TaskKey::new("", "7")).is_none());
        let six = |index: &WorkspaceIndex| index.tasks().get(&TaskKey::new("", "6")).map(Arc::as_ptr);
        assert_eq!(six(&saved), six(&view));
    }

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("implementation-010.md", "implementation-009.md"), std::cmp::Ordering::Greater);
        assert_eq!(natural_cmp("plans/9_x.md", "plans/10_x.md"), std::cmp::Ordering::Less);
    }
}
