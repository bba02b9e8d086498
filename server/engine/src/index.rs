//! The workspace index: every file's parse, the trackers and their vocabularies, and for each
//! task the places that state its status.
//!
//! Built from texts the adapter read; updated one file at a time. An edit of a spec-folder
//! TODO.md (the one large file people type into) is re-parsed in part: only the headings whose
//! text the change reaches are read again, the rest of the parse is moved, and the task table is
//! updated for the tasks whose places changed. Any other update re-parses the changed file (or,
//! when a vocabulary source such as `backlog/config.yml` changed, the files of that tracker) and
//! rebuilds the per-task tables, which is linear in the number of places.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::config::{StandardSetting, Vocabularies};
use crate::conventions::{self, BaseSource, StandardChoice, StandardUse, StatusStandard, VocabularyChoice, Written};
use crate::layout::{self, Classification, Family, Role};
pub use crate::model::{FileId, PlaceRef};
use crate::model::{Parsed, ParsedFile, Place, PlaceKind, Subject, TaskKey};
use crate::parse::todo::{self, TodoLayout};
use crate::parse::{self, ParseContext};
use crate::profiles;
use crate::text::{Change, LineIndex, Shift, TextEdit};
use crate::vocabulary::{Origin, Profile, Scope, Spelling};

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
}

/// The tasks a file's parse speaks of.
fn tasks_of(parsed: &ParsedFile) -> std::collections::BTreeSet<TaskKey> {
    parsed
        .places
        .iter()
        .filter_map(|it| it.task().cloned())
        .chain(parsed.mentions.iter().map(|it| it.task.clone()))
        .chain(parsed.archived.iter().cloned())
        .collect()
}

/// Every task a file names: [`tasks_of`] and the tasks of its section links (which choose
/// their current plans).
fn tasks_named(parsed: &ParsedFile) -> BTreeSet<TaskKey> {
    let mut tasks = tasks_of(parsed);
    tasks.extend(parsed.links.iter().filter_map(|it| it.task.clone()));
    tasks
}

/// A task's places and mentions in the order of their files' paths (then within the file), the
/// order an index built from scratch gives: files indexed later get later ids, and the order
/// decides which of two equally authoritative places speaks for a task, so the daemon (which
/// saw a file created) and `taskmark check` (which reads the workspace afresh) must agree.
fn in_path_order(files: &[Option<Arc<FileEntry>>], entry: &mut TaskEntry) {
    let path = |file: FileId| files.get(file.0 as usize).and_then(|it| it.as_deref()).map_or("", |it| it.path.as_str());
    entry.places.sort_by(|a, b| path(a.file).cmp(path(b.file)).then(a.index.cmp(&b.index)));
    entry.mentions.sort_by(|a, b| path(*a).cmp(path(*b)));
}

/// What a file says of a task, for the task table.
#[derive(Debug, Clone, Copy)]
enum Said {
    /// A place (`states`: a status of the task itself, not of one of its phases; `archives`: it
    /// puts the task away on purpose).
    Place {
        index: u32,
        states: bool,
        archives: bool,
    },
    Mention {
        archives: bool,
    },
    /// An archive entry that states nothing more (`completed_projects`).
    Archived,
}

/// What one file says of each task, in the file's order: its places (phases only name the
/// task), mentions and archive entries.
fn said_of(file: FileId, entry: &FileEntry) -> impl Iterator<Item = (&TaskKey, FileId, Said)> {
    let archived_file = matches!(
        entry.class.role,
        Role::Plan { archived: true } | Role::TaskStateJson { archived: true } | Role::ArchiveStateJson
    );
    // A place that only names a task the place before it named adds nothing (a plan's phases
    // name the plan's task; listing each would be most of the list).
    let mut named: Option<&TaskKey> = None;
    let places = entry.parsed.places.iter().enumerate().filter_map(move |(index, place)| {
        let task = place.task()?;
        let said = Said::Place {
            index: index as u32,
            states: matches!(place.subject, Subject::Task(_)),
            archives: archived_file || place.kind == PlaceKind::ArchivedStateJson,
        };
        let adds = !matches!(said, Said::Place { states: false, archives: false, .. }) || named != Some(task);
        named = Some(task);
        adds.then_some((task, file, said))
    });
    let mentions =
        entry.parsed.mentions.iter().map(move |it| (&it.task, file, Said::Mention { archives: archived_file }));
    let archived = entry.parsed.archived.iter().map(move |it| (it, file, Said::Archived));
    places.chain(mentions).chain(archived)
}

/// Adds what one file says of each task to the task table. Files must be added in id order.
fn add_to_tasks(tasks: &mut TaskTable, file: FileId, entry: &FileEntry) {
    for (task, file, said) in said_of(file, entry) {
        Arc::make_mut(tasks.entry(task.clone()).or_default()).add(file, said);
    }
}

impl TaskEntry {
    fn add(&mut self, file: FileId, said: Said) {
        match said {
            Said::Place { index, states, archives } => {
                if states {
                    self.places.push(PlaceRef { file, index: index as usize });
                }
                if archives {
                    self.archive(file);
                }
            }
            Said::Mention { archives } => {
                self.mentions.push(file);
                if archives {
                    self.archive(file);
                }
            }
            Said::Archived => self.archive(file),
        }
    }

    fn archive(&mut self, file: FileId) {
        if self.archived_in.last() != Some(&file) {
            self.archived_in.push(file);
        }
        self.archived = true;
    }
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
    by_path: Arc<HashMap<String, FileId>>,
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

impl WorkspaceIndex {
    /// Indexes `files`, parsing in parallel.
    pub fn build(files: Vec<SourceFile>, vocabularies: &Vocabularies) -> WorkspaceIndex {
        let texts: HashMap<String, Arc<str>> = files.into_iter().map(|it| (it.path, it.text)).collect();
        let paths: Vec<String> = texts.keys().cloned().collect();
        WorkspaceIndex::build_with(paths, vocabularies, |path| texts.get(path).cloned())
    }

    /// Indexes the files at `paths`, getting each one's text from `read` (the adapter's IO;
    /// `None` leaves the file out) and parsing it right after, in parallel on the current rayon
    /// pool: a file is parsed while it is still in the cache, and no more texts are held than
    /// the index keeps.
    pub fn build_with<R>(paths: Vec<String>, vocabularies: &Vocabularies, read: R) -> WorkspaceIndex
    where
        R: Fn(&str) -> Option<Arc<str>> + Sync,
    {
        let mut index = WorkspaceIndex::parse_all(paths, vocabularies, read);
        index.adapt_vocabularies(None);
        index.rebuild_tasks();
        index
    }

    /// Reads and parses every file, the tracker files in their profile with the repository's
    /// standard that applies to them; without learned conventions and without the task table.
    fn parse_all<R>(mut paths: Vec<String>, vocabularies: &Vocabularies, read: R) -> WorkspaceIndex
    where
        R: Fn(&str) -> Option<Arc<str>> + Sync,
    {
        paths.sort();
        paths.dedup();
        let mut index = WorkspaceIndex { vocabularies: vocabularies.clone(), ..WorkspaceIndex::default() };
        // The files whose content decides a vocabulary are read first: TODO.md (spec-folder
        // sections or a checklist) and Backlog.md's config.yml.
        let mut classes: Vec<Classification> = paths.iter().map(|path| layout::classify(path)).collect();
        let early: Vec<(usize, Option<Arc<str>>)> = classes
            .par_iter()
            .enumerate()
            .filter(|(_, class)| matches!(class.role, Role::Todo | Role::BacklogConfig))
            .map(|(position, _)| (position, read(&paths[position])))
            .collect();
        // Read once: a file that could not be read early is not read again.
        let mut early_texts: HashMap<usize, Option<Arc<str>>> = HashMap::new();
        for (position, text) in early {
            if let Some(text) = &text {
                classes[position] = classify(&paths[position], text);
            }
            early_texts.insert(position, text);
        }
        let spec_roots = spec_roots(paths.iter().map(String::as_str).zip(classes.iter()));
        let classes: Vec<Classification> =
            classes.into_iter().map(|class| adopt_spec_root(class, &spec_roots)).collect();
        let backlog_statuses = |class: &Classification| -> Option<Vec<String>> {
            if class.family != Some(Family::Backlog) {
                return None;
            }
            let position = classes.iter().position(|it| it.role == Role::BacklogConfig && it.root == class.root)?;
            parse::backlog_statuses(early_texts.get(&position)?.as_ref()?).ok()
        };
        // One tracker per family and root; a workspace can hold hundreds of checklists.
        let mut known: HashMap<(Family, &str), usize> = HashMap::new();
        let mut tracker_of: Vec<Option<usize>> = Vec::with_capacity(classes.len());
        for class in &classes {
            let Some(family) = class.family else {
                tracker_of.push(None);
                continue;
            };
            let tracker = match known.get(&(family, class.root.as_str())) {
                Some(it) => Some(*it),
                None => {
                    let statuses = backlog_statuses(class);
                    let it = index.tracker_for(class, &statuses);
                    if let Some(it) = it {
                        known.insert((family, class.root.as_str()), it);
                    }
                    it
                }
            };
            tracker_of.push(tracker);
        }
        // Prose first: the standards among its documents are part of the trackers'
        // vocabularies, so the tracker files are parsed once, in the vocabulary they end up in.
        let parse_at = |position: usize, path: &str, class: &Classification, tracker: Option<(usize, &Tracker)>| {
            let text = match early_texts.get(&position) {
                Some(early) => early.clone()?,
                None => read(path)?,
            };
            // Shared from the start: the entries are moved once, as pointers (a `FileEntry` is
            // hundreds of bytes, and two copies of every one would be the load's peak).
            Some(Arc::new(parse_entry(path.to_string(), text, class.clone(), tracker)))
        };
        let prose: Vec<(usize, Arc<FileEntry>)> = (0..paths.len())
            .into_par_iter()
            .filter(|it| classes[*it].role == Role::Prose)
            .filter_map(|it| Some((it, parse_at(it, &paths[it], &classes[it], None)?)))
            .collect();
        let standards = select_standards(
            prose.iter().filter_map(|(_, it)| Some((it.path.as_str(), it.parsed.standard.as_deref()?))),
            &index.vocabularies.standard,
        );
        for position in 0..index.trackers.len() {
            let (profile, standard) = index.with_standard(position, &standards);
            let tracker = &mut index.trackers[position];
            tracker.profile = profile;
            tracker.choice.standard = standard;
        }
        let trackers = &index.trackers;
        let parse_where = |wanted: &(dyn Fn(Role) -> bool + Sync)| -> Vec<(usize, Arc<FileEntry>)> {
            (0..paths.len())
                .into_par_iter()
                .filter(|it| wanted(classes[*it].role))
                .filter_map(|it| {
                    let tracker = tracker_of[it].map(|tracker| (tracker, &trackers[tracker]));
                    Some((it, parse_at(it, &paths[it], &classes[it], tracker)?))
                })
                .collect()
        };
        // A tracker's TODO.md and state.json files are its largest, and a state.json is parsed
        // through a syntax tree many times its size: parsed first, their transient memory is
        // gone before every other file's text is held, and no thread is left with one at the
        // end while the other waits.
        let largest = |role: Role| matches!(role, Role::Todo | Role::StateJson | Role::ArchiveStateJson);
        let mut entries = parse_where(&largest);
        entries.extend(parse_where(&|role| role != Role::Prose && !largest(role)));
        entries.extend(prose);
        entries.sort_unstable_by_key(|(position, _)| *position);
        for (_, entry) in entries {
            let id = FileId(index.files.len() as u32);
            Arc::make_mut(&mut index.by_path).insert(entry.path.clone(), id);
            Arc::make_mut(&mut index.files).push(Some(entry));
        }
        index
    }

    /// Registers the tracker of `class` if new. `backlog_statuses` is the status list of the
    /// tracker's `config.yml`, when it has one.
    fn tracker_for(&mut self, class: &Classification, backlog_statuses: &Option<Vec<String>>) -> Option<usize> {
        let family = class.family?;
        if let Some(existing) = find_tracker(&self.trackers, class) {
            return Some(existing);
        }
        let name = self.vocabularies.profile_name(family, &class.root);
        let (profile, base) =
            match (family, backlog_statuses) {
                // Backlog.md's own statuses win unless the configuration names a profile for it.
                (Family::Backlog, Some(statuses)) if name == "backlog" => (
                    profiles::backlog(statuses),
                    BaseSource::BacklogConfig(if class.root.is_empty() {
                        "config.yml".to_string()
                    } else {
                        format!("{}/config.yml", class.root)
                    }),
                ),
                _ => (
                    self.vocabularies.profiles.get(name).cloned().unwrap_or_else(|| {
                        profiles::builtin(family.default_profile()).unwrap_or_else(profiles::github)
                    }),
                    BaseSource::Profile(self.vocabularies.profile_source(family, &class.root)),
                ),
            };
        let profile = Arc::new(profile);
        self.trackers.push(Tracker {
            family,
            root: class.root.clone(),
            profile: Arc::clone(&profile),
            base: profile,
            choice: VocabularyChoice { base, standard: StandardUse::None, learned: Vec::new() },
        });
        Some(self.trackers.len() - 1)
    }

    /// Adds, replaces (`Some`) or removes (`None`) one file, and says what that touched.
    pub fn set_file(&mut self, path: &str, text: Option<Arc<str>>) -> Update {
        self.replace_file(path, text, None)
    }

    /// Replaces one file's text (or adds the file), calling `updated` with the index and what
    /// each step touched. A TODO.md re-parsed in part whose text changed in stretches far apart
    /// (a status change another process wrote, read back from disk) takes each stretch as an
    /// edit of its own, as [`WorkspaceIndex::edit_file`] does with a change's edits.
    pub fn write_file(&mut self, path: &str, text: Arc<str>, mut updated: impl FnMut(&WorkspaceIndex, &Update)) {
        /// Below this, one region re-parses little enough.
        const SPLIT_ABOVE: usize = 4096;
        if let Some(entry) = self.by_path.get(path).and_then(|id| self.entry(*id))
            && entry.todo_layout.is_some()
            && entry.tracker.is_some()
        {
            let change = Change::between(&entry.text, &text);
            if change.old_end - change.start > SPLIT_ABOVE {
                let edits = crate::text::line_edits(&entry.text, &text, change);
                if edits.len() > 1 {
                    self.edit_file(path, &edits, updated);
                    return;
                }
            }
        }
        let update = self.set_file(path, Some(text));
        updated(self, &update);
    }

    /// Applies `edits` (planned against the file's text now, apart from one another) to one
    /// file, calling `updated` with the index and what each step touched. A TODO.md re-parsed
    /// in part takes them one at a time, each re-parsing only around itself: a status change
    /// edits a section and the Task Order line, and one region spanning both would re-parse
    /// every section between. Any other file takes them at once, re-parsed whole, and only the
    /// tasks whose places, mentions or links changed (not merely moved with the text) count as
    /// touched.
    pub fn edit_file(&mut self, path: &str, edits: &[TextEdit], mut updated: impl FnMut(&WorkspaceIndex, &Update)) {
        let Some(entry) = self.by_path.get(path).and_then(|id| self.entry(*id)) else { return };
        let text = entry.text.clone();
        if entry.todo_layout.is_some() && entry.tracker.is_some() && edits.len() > 1 {
            let mut sorted: Vec<&TextEdit> = edits.iter().collect();
            sorted.sort_by_key(|it| std::cmp::Reverse((it.range.start(), it.range.end())));
            let mut current = text.to_string();
            for edit in sorted {
                let (start, end) = (usize::from(edit.range.start()), usize::from(edit.range.end()));
                let in_place = end <= current.len() && current.is_char_boundary(start) && current.is_char_boundary(end);
                // Where the edit is known, neither the text is copied again to apply it nor
                // compared whole to find what changed.
                let shift = if in_place {
                    current.replace_range(start..end, &edit.new_text);
                    Some(Shift::of_edits(std::slice::from_ref(edit)))
                } else {
                    current = crate::text::apply_edits(&current, std::slice::from_ref(edit));
                    None
                };
                let update = self.replace_file(path, Some(Arc::from(current.as_str())), shift);
                updated(self, &update);
            }
            return;
        }
        let after = crate::text::apply_edits(&text, edits);
        let update = self.replace_file(path, Some(Arc::from(after)), Some(Shift::of_edits(edits)));
        updated(self, &update);
    }

    /// [`WorkspaceIndex::set_file`], where `shift` says how the text moved (when the caller
    /// knows the edits; else it is found by comparing the texts).
    fn replace_file(&mut self, path: &str, text: Option<Arc<str>>, shift: Option<Shift>) -> Update {
        let previous_id = self.by_path.get(path).copied();
        if let Some(id) = previous_id
            && let Some(text) = &text
        {
            if let Some(update) = self.edit_todo(id, path, text, shift.as_ref()) {
                return update;
            }
            if let Some(update) = self.edit_json(id, path, text, shift.as_ref()) {
                return update;
            }
        }
        let previous_entry = previous_id.and_then(|id| self.files.get(id.0 as usize).cloned().flatten());
        let mut tasks = previous_id.map(|id| tasks_of(self.parsed(id))).unwrap_or_default();
        let named_before = previous_id.map(|id| tasks_named(self.parsed(id))).unwrap_or_default();
        let Some(text) = text else {
            let mut rebuilt = false;
            if let Some(id) = Arc::make_mut(&mut self.by_path).remove(path) {
                let roots_before = spec_roots(self.entries().map(|(_, it)| (it.path.as_str(), &it.class)));
                let was_config =
                    self.files[id.0 as usize].as_ref().is_some_and(|it| it.class.role == Role::BacklogConfig);
                // A standard that goes away changes the vocabulary of the trackers it applied to.
                let was_standard = self.files[id.0 as usize].as_ref().is_some_and(|it| it.parsed.standard.is_some());
                let tracker = self.files[id.0 as usize].as_ref().and_then(|it| it.tracker);
                Arc::make_mut(&mut self.files)[id.0 as usize] = None;
                let roots_after = spec_roots(self.entries().map(|(_, it)| (it.path.as_str(), &it.class)));
                if was_config || was_standard || roots_before != roots_after {
                    self.rebuild_trackers();
                    rebuilt = true;
                } else if let Some(tracker) = tracker {
                    // Its markers no longer count towards the tracker's conventions.
                    rebuilt = self.adapt_vocabularies(Some(tracker));
                }
            }
            match previous_id {
                _ if rebuilt => self.rebuild_tasks(),
                Some(id) => self.retask_file(id, named_before),
                None => {}
            }
            return Update {
                rebuilt,
                file: None,
                tasks,
                added_or_removed: previous_id.is_some(),
                edit: None,
                phases: true,
                roles_kept: false,
            };
        };
        let mut class = classify(path, &text);
        // A new (or vanished) `specs/` folder can move other TODO.md files into or out of a
        // tracker: then every file is classified again. A file that names the same `specs/`
        // folder as before (or none, before and after) changes no folder, and only a TODO.md
        // outside one needs the folders to know its tracker: the others skip the walks.
        let unmoved = previous_entry.as_ref().is_some_and(|it| spec_root_of(&it.class) == spec_root_of(&class));
        let roots_changed = if unmoved && !may_adopt_spec_root(&class) {
            false
        } else {
            let others =
                || self.entries().filter(|(_, it)| it.path != path).map(|(_, it)| (it.path.as_str(), &it.class));
            let roots_before = spec_roots(self.entries().map(|(_, it)| (it.path.as_str(), &it.class)));
            let roots = spec_roots(others().chain(std::iter::once((path, &class))));
            class = adopt_spec_root(class, &roots);
            roots != roots_before
        };
        let is_config = class.role == Role::BacklogConfig;
        let previous = previous_id.and_then(|id| self.entry(id)).map(|it| it.class.clone());
        let old_config = previous.as_ref().is_some_and(|it| it.role == Role::BacklogConfig);
        // A file that changes tracker (a TODO.md that gained task sections) leaves its old one.
        let moved = previous.is_some_and(|it| it.family != class.family || it.root != class.root);
        let statuses = if class.family == Some(Family::Backlog) {
            self.backlog_statuses(&class.root, Some((path, &text)))
        } else {
            None
        };
        let tracker = self.tracker_for(&class, &statuses);
        let entry = parse_entry(path.to_string(), text, class, tracker.map(|it| (it, &self.trackers[it])));
        tasks.extend(tasks_of(&entry.parsed));
        let standard_changed = previous_id.map_or(entry.parsed.standard.is_some(), |id| {
            self.entry(id).map(|it| &it.parsed.standard) != Some(&entry.parsed.standard)
        });
        match previous_id {
            Some(id) => Arc::make_mut(&mut self.files)[id.0 as usize] = Some(Arc::new(entry)),
            None => {
                let id = FileId(self.files.len() as u32);
                Arc::make_mut(&mut self.by_path).insert(path.to_string(), id);
                Arc::make_mut(&mut self.files).push(Some(Arc::new(entry)));
            }
        }
        let mut rebuilt = is_config || old_config || roots_changed || moved || standard_changed;
        if rebuilt {
            self.rebuild_trackers();
        } else if let Some(tracker) = tracker {
            // The file's markers may make (or unmake) a convention of its tracker, and a new
            // tracker has yet to read its standard.
            rebuilt = self.adapt_vocabularies(Some(tracker));
        }
        let file = self.by_path.get(path).copied();
        match file {
            Some(file) if !rebuilt => self.retask_file(file, named_before),
            _ => self.rebuild_tasks(),
        }
        if let (Some(previous), Some(entry), false) = (&previous_entry, file.and_then(|it| self.entry(it)), rebuilt) {
            let shift = shift.unwrap_or_else(|| Shift::of_change(&Change::between(&previous.text, &entry.text)));
            tasks = changed_tasks(&previous.parsed, &entry.parsed, &shift);
        }
        let phases = rebuilt
            || previous_entry.as_ref().is_some_and(|it| has_phases_of_two_files(&it.parsed.places))
            || file.and_then(|it| self.entry(it)).is_some_and(|it| has_phases_of_two_files(&it.parsed.places));
        let roles_kept = !rebuilt
            && previous_entry.as_ref().zip(file.and_then(|it| self.entry(it))).is_some_and(|(before, after)| {
                before.class.role == after.class.role && before.tracker == after.tracker
            });
        Update { rebuilt, file, tasks, added_or_removed: previous_id.is_none(), edit: None, phases, roles_kept }
    }

    /// An edit of a spec-folder TODO.md that stays one: re-parsed in part, and the task table
    /// updated for the tasks whose places changed. `None` when the edit needs the general path
    /// (the file changes class).
    fn edit_todo(&mut self, id: FileId, path: &str, text: &Arc<str>, shift: Option<&Shift>) -> Option<Update> {
        let shared = Arc::make_mut(&mut self.files).get_mut(id.0 as usize)?.as_mut()?;
        shared.tracker?;
        shared.todo_layout.as_ref()?;
        // Another view of the workspace may share this entry: it keeps the old one.
        let entry = Arc::make_mut(shared);
        let tracker_id = entry.tracker?;
        // The class comes from the path and, for a TODO.md, whether it has spec sections; the
        // tracker root from the path and the spec roots, which this file keeps as it was.
        let class = classify(path, text);
        if class.role != entry.class.role || class.family != entry.class.family {
            return None;
        }
        let layout = entry.todo_layout.as_mut()?;
        let old_text = std::mem::replace(&mut entry.text, text.clone());
        entry.line_index = OnceLock::new();
        let change = shift.and_then(Shift::as_change).unwrap_or_else(|| Change::between(&old_text, text));
        let tracker = &self.trackers[tracker_id];
        let cx = ParseContext { path, class: &entry.class, profile: &tracker.profile, scope: &tracker.root };
        let reparsed = todo::reparse(&cx, &old_text, text, change, &mut entry.parsed, layout);
        let has_phase = |places: &[Place]| places.iter().any(|it| matches!(it.subject, Subject::Phase(_)));
        let phases = has_phase(&reparsed.old_places)
            || has_phase(&entry.parsed.places[reparsed.places.start..reparsed.places.new_end]);
        let line_breaks = |text: &str| text.bytes().filter(|it| *it == b'\n').count();
        let lines_moved =
            line_breaks(&old_text[change.start..change.old_end]) != line_breaks(&text[change.start..change.new_end]);
        let edit =
            FileEdit { change, places: reparsed.places, items: reparsed.items, links: reparsed.links, lines_moved };
        let new_places = &entry.parsed.places[reparsed.places.start..reparsed.places.new_end];
        let new_links = &entry.parsed.links[reparsed.links.start..reparsed.links.new_end];
        // Tasks whose places or links in the file changed, not just moved.
        let mut changed: BTreeSet<TaskKey> = BTreeSet::new();
        let mut touched: BTreeSet<TaskKey> = BTreeSet::new();
        let moved = crate::model::Moved { bytes: change.delta(), places: 0, items: 0 };
        let (old_by_task, new_by_task) = (places_by_task(&reparsed.old_places), places_by_task(new_places));
        let same_place = |old: &Place, new: &Place| {
            old == new
                || (usize::from(old.extent.start()) >= change.old_end && {
                    let mut shifted = old.clone();
                    moved.place(&mut shifted);
                    shifted == *new
                })
        };
        // The task table holds references to a task's places by index: only the tasks whose
        // references into the window differ need it updated (editing one line of a Task Order
        // re-reads all of it, and all of its tasks but one keep their places).
        fn references(places: &[Place]) -> BTreeMap<&TaskKey, Vec<usize>> {
            let mut out: BTreeMap<&TaskKey, Vec<usize>> = BTreeMap::new();
            for (at, place) in places.iter().enumerate() {
                if let Some(task) = place.task()
                    && matches!(place.subject, Subject::Task(_))
                {
                    out.entry(task).or_default().push(at);
                }
            }
            out
        }
        let (old_references, new_references) = (references(&reparsed.old_places), references(new_places));
        for task in old_by_task.keys().chain(new_by_task.keys()) {
            if old_references.get(task) != new_references.get(task) {
                touched.insert(task.clone());
            }
            let (old, new) = (old_by_task.get(task), new_by_task.get(task));
            let same = match (old, new) {
                (Some(old), Some(new)) => old.len() == new.len() && old.iter().zip(new).all(|(a, b)| same_place(a, b)),
                _ => false,
            };
            if !same {
                changed.insert(task.clone());
            }
        }
        let same_link = |old: &crate::model::Link, new: &crate::model::Link| {
            old == new
                || (usize::from(old.range.start()) >= change.old_end && {
                    let mut shifted = old.clone();
                    moved.link(&mut shifted);
                    shifted == *new
                })
        };
        let links_same = reparsed.old_links.len() == new_links.len()
            && reparsed.old_links.iter().zip(new_links).all(|(a, b)| same_link(a, b));
        if !links_same {
            for link in reparsed.old_links.iter().chain(new_links) {
                if let Some(task) = &link.task {
                    changed.insert(task.clone());
                    touched.insert(task.clone());
                }
            }
        }
        // A marker the tracker's conventions count came or went: learn again, and when that
        // changes the vocabulary, every file of the tracker is read in the new one. A keystroke
        // in the text of a section with such a marker leaves the markers as they were.
        let profile = &self.trackers[tracker_id].profile;
        let new_items =
            self.entry(id).map_or(&[][..], |it| &it.parsed.items[reparsed.items.start..reparsed.items.new_end]);
        // Items the re-parse replaced are gone: a new candidate box, or any learned box, counts.
        let counts = learning_candidates(profile, &reparsed.old_places)
            != learning_candidates(profile, new_places_of(self, id, &reparsed.places))
            || new_items.iter().any(|it| {
                counts_for_conventions(profile, it.status, it.unknown.is_some(), it.state.encode_utf8(&mut [0; 4]))
            })
            || profile.statuses.iter().any(|it| it.origin == Origin::Learned && !it.checkbox.is_empty());
        self.update_tasks(id, &reparsed.places, &touched);
        if counts && self.adapt_vocabularies(Some(tracker_id)) {
            self.rebuild_tasks();
            return Some(Update {
                rebuilt: true,
                file: Some(id),
                tasks: changed,
                added_or_removed: false,
                edit: None,
                phases: true,
                roles_kept: false,
            });
        }
        Some(Update {
            rebuilt: false,
            file: Some(id),
            tasks: changed,
            added_or_removed: false,
            edit: Some(edit),
            phases,
            roles_kept: true,
        })
    }

    /// An edit of a state.json inside one of its entries (a status change writes the entry's
    /// status and stamps): that entry is read again, the rest of the parse moved, and the task
    /// table updated for the entry's tasks. `None` when the edit needs the general path (it
    /// reaches outside an entry or into two, the entry no longer parses, or it names another
    /// task).
    fn edit_json(&mut self, id: FileId, path: &str, text: &Arc<str>, shift: Option<&Shift>) -> Option<Update> {
        let shared = self.files.get(id.0 as usize)?.as_ref()?;
        let (tracker_id, layout) = (shared.tracker?, shared.json_layout.as_ref()?);
        if classify(path, text).role != shared.class.role {
            return None;
        }
        let found;
        let shift = match shift {
            Some(shift) => shift,
            None => {
                found = Shift::of_change(&Change::between(&shared.text, text));
                &found
            }
        };
        // Every replaced region strictly inside one entry, between its braces.
        let mut regions = shift.regions();
        let first = regions.next()?;
        let at = layout
            .entries
            .iter()
            .position(|it| usize::from(it.range.start()) < first.start && first.end < usize::from(it.range.end()))?;
        let span = layout.entries[at].clone();
        if regions.any(|it| !(usize::from(span.range.start()) < it.start && it.end < usize::from(span.range.end()))) {
            return None;
        }
        let growth = shift.at(span.range.end());
        let new_range = crate::text::range(
            usize::from(span.range.start()),
            (i64::from(u32::from(span.range.end())) + growth) as usize,
        );
        let tracker = &self.trackers[tracker_id];
        let cx = ParseContext { path, class: &shared.class, profile: &tracker.profile, scope: &tracker.root };
        let fresh = parse::state_json::reparse_entry(&cx, text, new_range, span.kind)?;
        let old = &shared.parsed;
        // The same tasks: a changed `project_number` moves places between tasks, read whole.
        let keys = |places: &[Place], archived: &[TaskKey]| -> (BTreeSet<TaskKey>, Vec<TaskKey>) {
            (places.iter().filter_map(|it| it.task().cloned()).collect(), archived.to_vec())
        };
        if keys(&old.places[span.places.clone()], &old.archived[span.archived.clone()])
            != keys(&fresh.places, &fresh.archived)
        {
            return None;
        }
        let profile = &tracker.profile;
        let counts = learning_candidates(profile, &old.places[span.places.clone()])
            != learning_candidates(profile, &fresh.places);
        let mut tasks: BTreeSet<TaskKey> = old.places[span.places.clone()]
            .iter()
            .filter_map(|it| it.task().cloned())
            .chain(old.links[span.links.clone()].iter().filter_map(|it| it.task.clone()))
            .chain(fresh.links.iter().filter_map(|it| it.task.clone()))
            .collect();
        tasks.extend(fresh.places.iter().filter_map(|it| it.task().cloned()));
        let old_text = shared.text.clone();
        let splice = |range: &std::ops::Range<usize>, fresh: usize| todo::Splice {
            start: range.start,
            old_end: range.end,
            new_end: range.start + fresh,
        };
        let (places, links) = (splice(&span.places, fresh.places.len()), splice(&span.links, fresh.links.len()));
        let archived = splice(&span.archived, fresh.archived.len());
        // Another view of the workspace may share this entry: it keeps the old one.
        let entry = Arc::make_mut(Arc::make_mut(&mut self.files).get_mut(id.0 as usize)?.as_mut()?);
        let after = span.range.end();
        let moved = crate::model::Moved { bytes: growth, places: 0, items: 0 };
        let moves = |range: crate::text::TextRange| range.start() >= after;
        let parsed = &mut entry.parsed;
        for place in parsed.places.iter_mut().filter(|it| moves(it.extent)) {
            moved.place(place);
        }
        for link in parsed.links.iter_mut().filter(|it| moves(it.range)) {
            moved.link(link);
        }
        for field in parsed.timestamps.iter_mut().filter(|it| moves(it.line)) {
            field.value_range = moved.range(field.value_range);
            field.line = moved.range(field.line);
        }
        if let Some(counters) = &mut parsed.counters {
            for counter in counters.next_project_number.iter_mut().chain(counters.task_counts.iter_mut()) {
                if moves(counter.range) {
                    counter.range = moved.range(counter.range);
                }
            }
        }
        parsed.places.splice(span.places.clone(), fresh.places);
        parsed.links.splice(span.links.clone(), fresh.links);
        parsed.archived.splice(span.archived.clone(), fresh.archived);
        let layout = entry.json_layout.as_mut()?;
        for (index, other) in layout.entries.iter_mut().enumerate() {
            if index == at {
                other.range = new_range;
                other.places = places.start..places.new_end;
                other.links = links.start..links.new_end;
                other.archived = archived.start..archived.new_end;
                continue;
            }
            if other.range.start() >= after {
                other.range = moved.range(other.range);
            }
            if index > at {
                let by = |range: &mut std::ops::Range<usize>, splice: todo::Splice| {
                    *range =
                        (range.start as i64 + splice.delta()) as usize..(range.end as i64 + splice.delta()) as usize;
                };
                by(&mut other.places, places);
                by(&mut other.links, links);
                by(&mut other.archived, archived);
            }
        }
        entry.text = text.clone();
        entry.line_index = OnceLock::new();
        let change = Change {
            start: usize::from(span.range.start()),
            old_end: usize::from(span.range.end()),
            new_end: usize::from(new_range.end()),
        };
        let line_breaks = |text: &str| text.bytes().filter(|it| *it == b'\n').count();
        let lines_moved =
            line_breaks(&old_text[change.start..change.old_end]) != line_breaks(&text[change.start..change.new_end]);
        self.update_tasks(id, &places, &tasks);
        if counts && self.adapt_vocabularies(Some(tracker_id)) {
            self.rebuild_tasks();
            return Some(Update {
                rebuilt: true,
                file: Some(id),
                tasks,
                added_or_removed: false,
                edit: None,
                phases: true,
                roles_kept: false,
            });
        }
        let items = todo::Splice { start: 0, old_end: 0, new_end: 0 };
        let edit = FileEdit { change, places, items, links, lines_moved };
        Some(Update {
            rebuilt: false,
            file: Some(id),
            tasks,
            added_or_removed: false,
            edit: Some(edit),
            phases: false,
            roles_kept: true,
        })
    }

    /// Replaces the file's places in the splice `places` in the task table, moves the indices of
    /// the places after it, and computes the current plan again for `tasks` (the tasks of the
    /// replaced and the new places).
    fn update_tasks(&mut self, file: FileId, places: &todo::Splice, tasks: &BTreeSet<TaskKey>) {
        let Some(parsed) = self.entry(file).map(|it| &it.parsed) else { return };
        let mut added: BTreeMap<TaskKey, Vec<PlaceRef>> = BTreeMap::new();
        for index in places.start..places.new_end {
            let place = &parsed.places[index];
            if let Some(task) = place.task()
                && matches!(place.subject, Subject::Task(_))
            {
                added.entry(task.clone()).or_default().push(PlaceRef { file, index });
            }
        }
        // Only the tasks of the replaced places have references into the splice.
        for task in tasks {
            if let Some(entry) = self.tasks_mut().get_mut(task).map(Arc::make_mut) {
                entry.places.retain(|it| it.file != file || !(places.start..places.old_end).contains(&it.index));
            }
        }
        if places.delta() != 0 {
            let moves = |it: &PlaceRef| it.file == file && it.index >= places.old_end;
            for entry in self.tasks_mut().values_mut().filter(|it| it.places.iter().any(moves)) {
                for place in Arc::make_mut(entry).places.iter_mut().filter(|it| moves(it)) {
                    place.index = (place.index as i64 + places.delta()) as usize;
                }
            }
        }
        let mut gone = Vec::new();
        for task in tasks {
            let new_refs = added.remove(task).unwrap_or_default();
            let entry = Arc::make_mut(Arc::make_mut(&mut self.tasks).entry(task.clone()).or_default());
            entry.places.extend(new_refs);
            in_path_order(&self.files, entry);
            // Without places here, the task stays only if something else names it: a mention,
            // an archive entry, or a phase of it (a TODO.md neither archives nor mentions).
            if entry.places.is_empty() && entry.mentions.is_empty() && !entry.archived {
                gone.push(task);
            }
        }
        if !gone.is_empty() {
            // One pass over every place, however many tasks went (a fence opened above hundreds
            // of sections).
            let named: std::collections::HashSet<&TaskKey> =
                self.entries().flat_map(|(_, entry)| entry.parsed.places.iter().filter_map(Place::task)).collect();
            let gone: Vec<TaskKey> = gone.into_iter().filter(|it| !named.contains(it)).cloned().collect();
            for task in gone {
                self.tasks_mut().remove(&task);
            }
        }
        if tasks.is_empty() {
            return;
        }
        let links = self.section_links(Some(tasks));
        let plans: Vec<(TaskKey, Option<FileId>)> =
            tasks.iter().map(|task| (task.clone(), self.current_plan(task, &links))).collect();
        for (task, plan) in plans {
            if let Some(entry) = self.tasks_mut().get_mut(&task).map(Arc::make_mut) {
                entry.current_plan = plan;
            }
        }
    }

    /// The links of TODO.md sections, by task (only of `tasks`, when given).
    fn section_links(&self, tasks: Option<&BTreeSet<TaskKey>>) -> SectionLinks<'_> {
        let mut out: SectionLinks<'_> = HashMap::new();
        for (file, entry) in self.entries() {
            if entry.class.role != Role::Todo {
                continue;
            }
            for link in &entry.parsed.links {
                if let Some(task) = &link.task
                    && tasks.is_none_or(|it| it.contains(task))
                {
                    out.entry(task.clone()).or_default().push((file, link));
                }
            }
        }
        out
    }

    /// Recomputes every tracker's vocabulary and re-parses all tracker files: needed when a
    /// vocabulary source changed.
    fn rebuild_trackers(&mut self) {
        let texts: HashMap<String, Arc<str>> =
            self.entries().map(|(_, it)| (it.path.clone(), it.text.clone())).collect();
        let prose: Vec<(String, Parsed)> = self
            .entries()
            .filter(|(_, it)| it.class.role == Role::Prose)
            .map(|(_, it)| (it.path.clone(), it.parsed.clone()))
            .collect();
        let paths: Vec<String> = texts.keys().cloned().collect();
        let mut rebuilt = WorkspaceIndex::parse_all(paths, &self.vocabularies, |path| texts.get(path).cloned());
        // Prose texts are not kept; their parse does not depend on vocabularies (and holds the
        // standards the trackers read next).
        for (path, parsed) in prose {
            if let Some(id) = rebuilt.by_path.get(&path).copied()
                && let Some(entry) = Arc::make_mut(&mut rebuilt.files)[id.0 as usize].as_mut()
            {
                Arc::make_mut(entry).parsed = parsed;
            }
        }
        rebuilt.adapt_vocabularies(None);
        rebuilt.rebuild_tasks();
        *self = rebuilt;
    }

    /// The status standards the configuration lets trackers follow, with their paths.
    fn standards(&self) -> Vec<(String, StatusStandard)> {
        select_standards(
            self.entries().filter_map(|(_, it)| Some((it.path.as_str(), it.parsed.standard.as_deref()?))),
            &self.vocabularies.standard,
        )
    }

    /// Reads the vocabulary of each tracker (of `only`, when given) from its repository's
    /// standard and its own files, over its profile; re-parses the files of every tracker whose
    /// vocabulary changed. Returns whether one did. Nothing is re-parsed when no tracker has a
    /// standard or a convention, which is most workspaces.
    fn adapt_vocabularies(&mut self, only: Option<usize>) -> bool {
        let standards = self.standards();
        // Each tracker's files, in one pass over the workspace (it may hold hundreds of
        // checklist trackers).
        let mut files_of: Vec<Vec<&FileEntry>> = vec![Vec::new(); self.trackers.len()];
        for (_, entry) in self.entries() {
            if let Some(tracker) = entry.tracker.filter(|it| only.is_none_or(|only| only == *it)) {
                files_of[tracker].push(entry);
            }
        }
        // Trackers learn their vocabularies apart from one another.
        let adapted: Vec<_> = files_of
            .par_iter()
            .enumerate()
            .filter(|(position, _)| only.is_none_or(|it| it == *position))
            .map(|(position, files)| (position, self.own_vocabulary(position, files, &standards)))
            .collect();
        let mut changed: Vec<usize> = Vec::new();
        for (position, (profile, standard, learned)) in adapted {
            let tracker = &mut self.trackers[position];
            tracker.choice.standard = standard;
            tracker.choice.learned = learned;
            // Most trackers have neither a standard nor a convention: their profile is still
            // their base, the same allocation, and nothing is compared.
            if !Arc::ptr_eq(&tracker.profile, &profile) && *tracker.profile != *profile {
                tracker.profile = profile;
                changed.push(position);
            }
        }
        if changed.is_empty() {
            return false;
        }
        let trackers = &self.trackers;
        let jobs: Vec<(FileId, Arc<FileEntry>)> = self
            .entries()
            .filter(|(_, it)| it.tracker.is_some_and(|tracker| changed.contains(&tracker)))
            .filter_map(|(id, _)| Some((id, Arc::clone(self.files[id.0 as usize].as_ref()?))))
            .collect();
        let parsed: Vec<(FileId, FileEntry)> = jobs
            .into_par_iter()
            .map(|(id, old)| {
                let tracker = old.tracker.map(|it| (it, &trackers[it]));
                (id, parse_entry(old.path.clone(), old.text.clone(), old.class.clone(), tracker))
            })
            .collect();
        for (id, entry) in parsed {
            Arc::make_mut(&mut self.files)[id.0 as usize] = Some(Arc::new(entry));
        }
        true
    }

    /// A tracker's profile with the standard that applies to it, and which one that is.
    fn with_standard(&self, position: usize, standards: &[(String, StatusStandard)]) -> (Arc<Profile>, StandardUse) {
        let base = &self.trackers[position].base;
        // A standard of bracketed markers says nothing to a tracker of checkboxes or words.
        let brackets = base.statuses.iter().any(|it| it.marker.is_some());
        let choice = match (&self.vocabularies.standard, standards) {
            (_, _) if !brackets => StandardChoice::None,
            (StandardSetting::Path(_), [(path, standard), ..]) => StandardChoice::Chosen(path, standard),
            _ => conventions::choose_standard(&self.trackers[position].root, standards),
        };
        match choice {
            StandardChoice::Chosen(path, standard) => (
                Arc::new(conventions::apply_standard(base, standard)),
                StandardUse::Applied {
                    path: path.to_string(),
                    line: standard.line,
                    markers: standard.markers.iter().map(|it| format!("[{}]", it.marker)).collect(),
                },
            ),
            StandardChoice::Ambiguous(paths) => {
                (Arc::clone(base), StandardUse::Ambiguous(paths.into_iter().map(str::to_string).collect()))
            }
            StandardChoice::None => (Arc::clone(base), StandardUse::None),
        }
    }

    /// A tracker's profile with the standard that applies to it and the markers it uses
    /// consistently.
    fn own_vocabulary(
        &self,
        position: usize,
        files: &[&FileEntry],
        standards: &[(String, StatusStandard)],
    ) -> (Arc<Profile>, StandardUse, Vec<conventions::Learned>) {
        let (with_standard, standard) = self.with_standard(position, standards);
        let tracker = &self.trackers[position];
        let Some(min_places) = self.vocabularies.learn_min_places else { return (with_standard, standard, Vec::new()) };
        // Only markers the current vocabulary does not know plainly can be conventions: the
        // rest are read the same with or without them.
        let current = &tracker.profile;
        let mut written: Vec<Written<'_>> = Vec::new();
        for entry in files {
            for it in &entry.parsed.places {
                if counts_for_conventions(current, it.status, it.unknown.is_some(), &it.marker.text) {
                    let marker = &it.marker;
                    let (spelling, text, scope) = (marker.spelling, marker.text.as_str(), marker.scope);
                    written.push(Written { spelling, text, scope, subject: Some(&it.subject) });
                }
            }
            // A box's character is read from the item itself: its text is taken from the file
            // (another memory access per item) only for the few boxes that count.
            for it in &entry.parsed.items {
                if counts_for_conventions(current, it.status, it.unknown.is_some(), it.state.encode_utf8(&mut [0; 4])) {
                    let text = it.state_text(&entry.text);
                    written.push(Written { spelling: Spelling::Checkbox, text, scope: Scope::Task, subject: None });
                }
            }
        }
        // How many places write a status in one of its own spellings, for an alias that might
        // be a habit rather than drift.
        let standard_uses = |status: crate::vocabulary::StatusId, spellings: &[Spelling]| {
            let def = with_standard.status(status);
            let own = |spelling: Spelling, text: &str| match spelling {
                Spelling::Bracket => {
                    def.marker.as_deref().is_some_and(|it| text.get(1..text.len().saturating_sub(1)) == Some(it))
                }
                Spelling::Json => def.json.as_deref() == Some(text),
                Spelling::Word => def.words.iter().any(|it| it.eq_ignore_ascii_case(text)),
                Spelling::Checkbox => text.chars().next().is_some_and(|it| def.checkbox.contains(&it)),
            };
            let boxes = spellings.contains(&Spelling::Checkbox);
            files
                .iter()
                .map(|entry| {
                    let places = entry.parsed.places.iter().filter(|it| {
                        it.status == Some(status)
                            && spellings.contains(&it.marker.spelling)
                            && own(it.marker.spelling, &it.marker.text)
                    });
                    let items = entry
                        .parsed
                        .items
                        .iter()
                        .filter(|it| boxes && it.status == Some(status) && def.checkbox.contains(&it.state));
                    places.count() + items.count()
                })
                .sum()
        };
        let learned = conventions::learn(&with_standard, written.into_iter(), min_places, standard_uses);
        if learned.is_empty() {
            return (with_standard, standard, learned);
        }
        let profile = conventions::apply_learned(Arc::unwrap_or_clone(with_standard), &learned);
        (Arc::new(profile), standard, learned)
    }

    fn backlog_statuses(&self, root: &str, replacing: Option<(&str, &str)>) -> Option<Vec<String>> {
        let config_path = format!("{}config.yml", if root.is_empty() { String::new() } else { format!("{root}/") });
        let text = match replacing {
            Some((path, text)) if path == config_path => text.to_string(),
            _ => self.by_path.get(&config_path).and_then(|id| self.entry(*id)).map(|it| it.text.to_string())?,
        };
        parse::backlog_statuses(&text).ok()
    }

    /// The task table from scratch. What each file says of each task is listed in parallel, in
    /// file order, and grouped by task in that order (a hash table numbers the tasks as they
    /// come); each task's entry is built from its group, in parallel, and the table from the
    /// entries sorted once by task, rather than by a tree search, with its string comparisons,
    /// for every place on one thread.
    fn rebuild_tasks(&mut self) {
        let said: Vec<(&TaskKey, FileId, Said)> = self
            .files
            .par_iter()
            .enumerate()
            .filter_map(|(id, entry)| Some((FileId(id as u32), entry.as_deref()?)))
            .flat_map_iter(|(file, entry)| said_of(file, entry))
            .collect();
        let mut numbers: HashMap<&TaskKey, u32> = HashMap::new();
        let mut groups: Vec<Vec<(FileId, Said)>> = Vec::new();
        for (task, file, said) in said {
            let next = groups.len() as u32;
            let number = *numbers.entry(task).or_insert(next);
            if number == next {
                groups.push(Vec::new());
            }
            groups[number as usize].push((file, said));
        }
        let mut keys: Vec<(&TaskKey, u32)> = numbers.into_iter().collect();
        keys.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
        let files = &self.files;
        let tasks: Vec<(TaskKey, Arc<TaskEntry>)> = keys
            .par_iter()
            .map(|(task, number)| {
                let mut entry = TaskEntry::default();
                for (file, said) in &groups[*number as usize] {
                    entry.add(*file, *said);
                }
                in_path_order(files, &mut entry);
                ((*task).clone(), Arc::new(entry))
            })
            .collect();
        drop(groups);
        // Sorted: built at once, without a search per key.
        let tasks: TaskTable = tasks.into_iter().collect();
        self.tasks = Arc::new(tasks);
        let links = self.section_links(None);
        let keys: Vec<&TaskKey> = self.tasks.keys().collect();
        let plans: Vec<Option<FileId>> = keys.par_iter().map(|task| self.current_plan(task, &links)).collect();
        for (task_entry, plan) in self.tasks_mut().values_mut().zip(plans) {
            Arc::make_mut(task_entry).current_plan = plan;
        }
    }

    /// The task table after `file` was replaced, added or removed (its entry already holds the
    /// new parse, or none), when no tracker's vocabulary changed: only the tasks it named before
    /// (`before`: places, mentions, archive entries and section links) or names now are
    /// recomputed, so writing a file costs what the file holds, not what the workspace holds.
    fn retask_file(&mut self, file: FileId, mut touched: BTreeSet<TaskKey>) {
        for task in &touched {
            if let Some(entry) = self.tasks_mut().get_mut(task).map(Arc::make_mut) {
                entry.places.retain(|it| it.file != file);
                entry.mentions.retain(|it| *it != file);
                entry.archived_in.retain(|it| *it != file);
            }
        }
        if let Some(entry) = self.files.get(file.0 as usize).cloned().flatten() {
            touched.extend(tasks_named(&entry.parsed));
            add_to_tasks(self.tasks_mut(), file, &entry);
        }
        let mut gone = Vec::new();
        for task in &touched {
            let Some(entry) = Arc::make_mut(&mut self.tasks).get_mut(task).map(Arc::make_mut) else { continue };
            in_path_order(&self.files, entry);
            entry.archived = !entry.archived_in.is_empty();
            if entry.places.is_empty() && entry.mentions.is_empty() && !entry.archived {
                gone.push(task);
            }
        }
        if !gone.is_empty() {
            // A task with only phases left is still named.
            let named: HashSet<&TaskKey> =
                self.entries().flat_map(|(_, entry)| entry.parsed.places.iter().filter_map(Place::task)).collect();
            let gone: Vec<TaskKey> = gone.into_iter().filter(|it| !named.contains(it)).cloned().collect();
            for task in gone {
                self.tasks_mut().remove(&task);
            }
        }
        let links = self.section_links(Some(&touched));
        let plans: Vec<(TaskKey, Option<FileId>)> =
            touched.iter().map(|task| (task.clone(), self.current_plan(task, &links))).collect();
        for (task, plan) in plans {
            if let Some(entry) = self.tasks_mut().get_mut(&task).map(Arc::make_mut) {
                entry.current_plan = plan;
            }
        }
    }

    /// The plan whose header counts for a task: the last plan its TODO.md section links, else
    /// the highest-numbered one.
    fn current_plan(&self, task: &TaskKey, section_links: &SectionLinks<'_>) -> Option<FileId> {
        let task_entry = self.tasks.get(task)?;
        let plans: Vec<FileId> = task_entry
            .places
            .iter()
            .filter(|it| self.place(**it).kind == PlaceKind::PlanHeader)
            .map(|it| it.file)
            .chain(task_entry.mentions.iter().copied().filter(|it| matches!(self.role(*it), Some(Role::Plan { .. }))))
            .collect();
        if plans.is_empty() {
            return None;
        }
        let linked = section_links
            .get(task)
            .into_iter()
            .flatten()
            .filter_map(|(file, link)| {
                let mut found = None;
                link.find_candidate(self.path(*file), |candidate| {
                    found = self.by_path.get(candidate).copied();
                    found.is_some()
                });
                found
            })
            .rfind(|file| plans.contains(file));
        linked.or_else(|| {
            plans
                .iter()
                .filter(|it| !matches!(self.role(**it), Some(Role::Plan { archived: true })))
                .max_by(|a, b| natural_cmp(self.path(**a), self.path(**b)))
                .copied()
        })
    }

    pub fn entries(&self) -> impl Iterator<Item = (FileId, &FileEntry)> {
        self.files.iter().enumerate().filter_map(|(index, it)| it.as_deref().map(|entry| (FileId(index as u32), entry)))
    }

    /// Records the files listed but not read (see `listed`); they are never entries.
    pub fn set_listed(&mut self, paths: Vec<String>) {
        self.listed = paths.into_iter().filter(|it| !self.by_path.contains_key(it)).collect();
    }

    /// The paths of the tracker at `root`: its indexed files, then the ones listed unread.
    pub fn tracker_paths<'a>(&'a self, root: &'a str) -> impl Iterator<Item = &'a str> {
        let indexed =
            self.entries().filter(move |(_, entry)| entry.class.root == root).map(|(_, entry)| entry.path.as_str());
        let listed = self.listed.iter().filter(move |path| layout::classify(path).root == root).map(String::as_str);
        indexed.chain(listed)
    }

    pub fn entry(&self, file: FileId) -> Option<&FileEntry> {
        self.files.get(file.0 as usize).and_then(Option::as_deref)
    }

    /// The configured vocabularies the index reads its trackers in.
    pub fn vocabularies(&self) -> &Vocabularies {
        &self.vocabularies
    }

    /// The indexed text of the file at `path`.
    pub fn text_at(&self, path: &str) -> Option<&Arc<str>> {
        self.entry(self.file_id(path)?).map(|it| &it.text)
    }

    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn path(&self, file: FileId) -> &str {
        self.entry(file).map_or("", |it| it.path.as_str())
    }

    pub fn text(&self, file: FileId) -> &str {
        self.entry(file).map_or("", |it| &it.text)
    }

    pub fn role(&self, file: FileId) -> Option<Role> {
        self.entry(file).map(|it| it.class.role)
    }

    pub fn parsed(&self, file: FileId) -> &ParsedFile {
        static EMPTY: OnceLock<ParsedFile> = OnceLock::new();
        self.entry(file).map_or_else(|| EMPTY.get_or_init(ParsedFile::default), |it| &*it.parsed)
    }

    pub fn place(&self, place: PlaceRef) -> &Place {
        &self.parsed(place.file).places[place.index]
    }

    pub fn tasks(&self) -> &TaskTable {
        &self.tasks
    }

    /// The task table to change: copied first while another clone of the index shares it.
    fn tasks_mut(&mut self) -> &mut TaskTable {
        Arc::make_mut(&mut self.tasks)
    }

    pub fn task(&self, task: &TaskKey) -> Option<&TaskEntry> {
        self.tasks.get(task).map(|it| &**it)
    }

    pub fn trackers(&self) -> &[Tracker] {
        &self.trackers
    }

    /// The vocabulary a file's places are written in.
    pub fn profile(&self, file: FileId) -> Option<&Profile> {
        let tracker = self.entry(file)?.tracker?;
        Some(&self.trackers[tracker].profile)
    }

    /// The vocabulary of the tracker that defines `task`.
    pub fn task_profile(&self, task: &TaskKey) -> Option<&Profile> {
        self.profile_of(self.tasks.get(task)?)
    }

    /// [`WorkspaceIndex::task_profile`] of a task entry already at hand.
    pub fn profile_of(&self, entry: &TaskEntry) -> Option<&Profile> {
        entry.places.first().and_then(|it| self.profile(it.file))
    }

    /// A file of the tracker at `scope` that did not parse, whole or in part, and could hold a
    /// place of `task` (of any task, for `None`): a store the tracker's tasks share, or a file of
    /// the task's own. A write to the tracker could not reach a place there, so writes refuse
    /// while there is one. Returns the file's path and its first problem.
    pub fn unparsed_store(&self, scope: &str, task: Option<&TaskKey>) -> Option<(&str, &str)> {
        self.entries().find_map(|(_, entry)| {
            let problem = entry.parsed.problems.first()?;
            if entry.class.root != scope || !entry.class.role.is_tracker() {
                return None;
            }
            let shared = matches!(
                entry.class.role,
                Role::Todo
                    | Role::StateJson
                    | Role::ArchiveStateJson
                    | Role::MinskyIndex
                    | Role::CompozyIndex
                    | Role::PideaIndex
                    | Role::SpecKitTasks
            );
            let its_own = task.is_some_and(|task| {
                entry.parsed.places.iter().any(|it| it.task() == Some(task)) || folder_names_task(&entry.path, task)
            });
            (shared || its_own).then_some((entry.path.as_str(), problem.message.as_str()))
        })
    }

    /// Whether `file` is history: a file of the archive (tasks put away on purpose), or a plan
    /// its task has moved on from (a later plan is the current one). No one edits history, and
    /// the per-place, per-item and per-link rules leave it alone; how it compares with the live
    /// files (a task archived as abandoned but still active) is still checked.
    pub fn is_history(&self, file: FileId) -> bool {
        let Some(entry) = self.entry(file) else { return false };
        match entry.class.role {
            Role::ArchiveStateJson | Role::TaskStateJson { archived: true } | Role::Plan { archived: true } => true,
            // Backlog.md moves finished tasks to backlog/completed/ (`backlog cleanup`).
            Role::BacklogTask => entry.path.rsplit('/').nth(1) == Some("completed"),
            Role::Plan { archived: false } => {
                let task = entry
                    .parsed
                    .places
                    .iter()
                    .find_map(|it| (it.kind == PlaceKind::PlanHeader).then(|| it.task()).flatten());
                let Some(task) = task else { return false };
                // A plan the task has moved on from; or any plan of a task that handed its work
                // to others (`[EXPANDED]`), which nobody carries out any more.
                let superseded = self.task(task).and_then(|it| it.current_plan).is_some_and(|current| current != file);
                superseded
                    || self.task_status(task).is_some_and(|(_, status)| {
                        self.task_profile(task).is_some_and(|profile| profile.hands_off(status))
                    })
            }
            _ => false,
        }
    }

    /// Every file of history (see [`WorkspaceIndex::is_history`]).
    pub fn history(&self) -> std::collections::BTreeSet<FileId> {
        self.entries().map(|(file, _)| file).filter(|file| self.is_history(*file)).collect()
    }

    /// Tasks whose id is `id` (`221`, `058`, `BACK-200`, `specs:221`) in any tracker.
    pub fn find_tasks(&self, id: &str) -> Vec<TaskKey> {
        let (scope, id) = match id.rsplit_once(':') {
            Some((scope, id)) => (Some(crate::layout::tracker_root_named(scope)), id),
            None => (None, id),
        };
        // Compozy writes `2.0` for its task 2.
        let id =
            id.strip_suffix(".0").filter(|it| !it.is_empty() && it.bytes().all(|b| b.is_ascii_digit())).unwrap_or(id);
        let numeric = crate::markdown::leading_number(id)
            .filter(|(skip, digits)| skip + digits.len() == id.len())
            .map(|(_, digits)| crate::markdown::numeric_id(digits));
        self.tasks
            .keys()
            .filter(|key| scope.is_none_or(|scope| key.scope == scope))
            .filter(|key| key.id.eq_ignore_ascii_case(id) || numeric.as_deref() == Some(key.id.as_str()))
            .cloned()
            .collect()
    }

    /// Resolves a dependency id in the task's tracker. Backlog.md ids changed prefix over time
    /// (`task-24` for `BACK-24`), so a unique match on the number counts too.
    pub fn resolve_dependency(&self, task: &TaskKey, id: &str) -> Option<TaskKey> {
        let exact = TaskKey::new(task.scope.clone(), id);
        if self.task(&exact).is_some() {
            return Some(exact);
        }
        let tail = id.rsplit('-').next()?;
        if tail == id {
            return None;
        }
        let mut matches = self
            .tasks
            .keys()
            .filter(|key| key.scope == task.scope && key.id.rsplit('-').next() == Some(tail) && key.id.contains('-'));
        let first = matches.next()?.clone();
        matches.next().is_none().then_some(first)
    }

    /// An id handed out again: archived entries (`completed_projects`, the archive) whose
    /// `project_name` shares no word with the name of the live task folder of the same id
    /// (`190_meta_system_optimization` against an archived `improve_maintenance_md_documentation`).
    /// Those entries are another task's, and are left out of this one's agreement.
    pub fn reused_id(&self, task: &TaskKey) -> Option<ReusedId> {
        self.reused_id_of(task, self.tasks.get(task)?)
    }

    /// [`WorkspaceIndex::reused_id`] of a task entry already at hand.
    pub fn reused_id_of(&self, task: &TaskKey, entry: &TaskEntry) -> Option<ReusedId> {
        if !entry.places.iter().any(|it| self.place(*it).kind == PlaceKind::ArchivedStateJson) {
            return None;
        }
        let words = |text: &str| -> HashSet<String> {
            text.split(|it: char| !it.is_alphanumeric())
                .filter(|it| it.len() > 2 && it.chars().any(char::is_alphabetic))
                .map(str::to_ascii_lowercase)
                .collect()
        };
        // The live folder `NNN_slug` one of the task's places sits in.
        let (folder, live) = entry.places.iter().find_map(|it| {
            let path = self.path(it.file);
            if path.split('/').any(|part| part == "archive") {
                return None;
            }
            let folder = crate::layout::task_folder(path)?;
            (crate::layout::task_folder_id(path)? == task.id).then(|| (folder.to_string(), *it))
        })?;
        let slug = words(folder.split_once('_').map_or("", |(_, it)| it));
        if slug.is_empty() {
            return None;
        }
        let archived: Vec<PlaceRef> = entry
            .places
            .iter()
            .copied()
            .filter(|it| {
                let place = self.place(*it);
                place.kind == PlaceKind::ArchivedStateJson
                    && place.title.as_deref().is_some_and(|title| {
                        let title = words(title);
                        !title.is_empty() && title.is_disjoint(&slug)
                    })
            })
            .collect();
        (!archived.is_empty()).then_some(ReusedId { folder, live, archived })
    }

    /// The places of `task` whose statuses must agree: every task place, but of the plans only
    /// the current one, and only places whose marker is known.
    pub fn agreeing_places(&self, task: &TaskKey) -> Vec<PlaceRef> {
        let Some(entry) = self.tasks.get(task) else { return Vec::new() };
        self.agreeing_places_of(task, entry)
    }

    /// [`WorkspaceIndex::agreeing_places`] of a task entry already at hand.
    pub fn agreeing_places_of(&self, task: &TaskKey, entry: &TaskEntry) -> Vec<PlaceRef> {
        let mut places: Vec<PlaceRef> = entry
            .places
            .iter()
            .copied()
            .filter(|it| {
                let place = self.place(*it);
                place.status.is_some() && (place.kind != PlaceKind::PlanHeader || entry.current_plan == Some(it.file))
            })
            .collect();
        if let Some(reused) = self.reused_id_of(task, entry) {
            places.retain(|it| !reused.archived.contains(it));
        }
        // A task that handed its work to others (`[EXPANDED]`) leaves its plan as it was.
        let speaker = places.iter().min_by_key(|it| authority(self.place(**it).kind)).map(|it| self.place(*it));
        if let Some(speaker) = speaker
            && speaker.kind != PlaceKind::PlanHeader
            && let (Some(status), Some(profile)) = (speaker.status, self.profile_of(entry))
            && profile.hands_off(status)
        {
            places.retain(|it| self.place(*it).kind != PlaceKind::PlanHeader);
        }
        places
    }

    /// The status that speaks for a task: its TODO.md section, index line or frontmatter first,
    /// mirrors after.
    pub fn task_status(&self, task: &TaskKey) -> Option<(PlaceRef, crate::vocabulary::StatusId)> {
        self.speaker(&self.agreeing_places(task))
    }

    /// The place that speaks for a task among its agreeing places, and its status: what
    /// [`WorkspaceIndex::task_status`] gives, from agreeing places already at hand.
    pub fn speaker(&self, agreeing: &[PlaceRef]) -> Option<(PlaceRef, crate::vocabulary::StatusId)> {
        agreeing
            .iter()
            .min_by_key(|it| authority(self.place(**it).kind))
            .and_then(|it| Some((*it, self.place(*it).status?)))
    }

    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

/// Which place speaks for a task when several do: the lower, the more authoritative.
pub fn authority(kind: PlaceKind) -> u8 {
    match kind {
        PlaceKind::TodoSection => 0,
        PlaceKind::IndexLine => 1,
        PlaceKind::Frontmatter => 2,
        PlaceKind::IndexStatus => 3,
        PlaceKind::ChecklistTask => 4,
        PlaceKind::StateJson => 5,
        PlaceKind::TaskStateJson => 6,
        PlaceKind::SpecStatus => 7,
        PlaceKind::TaskOrderLine => 8,
        PlaceKind::ArchivedStateJson => 9,
        PlaceKind::PlanHeader => 10,
        PlaceKind::StatusFolder => 11,
        PlaceKind::PlanPhase | PlaceKind::PhaseTableRow | PlaceKind::PhaseFile => 12,
    }
}

fn classify(path: &str, text: &str) -> Classification {
    let mut class = layout::classify(path);
    if class.role == Role::Todo {
        class.family = Some(if parse::has_spec_sections(text) { Family::SpecFolder } else { Family::Checklist });
    }
    class
}

/// The roots of spec-folder trackers that have a `specs/` directory.
fn spec_roots<'a>(classes: impl Iterator<Item = (&'a str, &'a Classification)>) -> Vec<String> {
    let mut roots: Vec<String> = classes.filter_map(|(_, class)| spec_root_of(class)).map(str::to_string).collect();
    roots.sort();
    roots.dedup();
    roots
}

/// The `specs/` folder a file is a spec-folder tracker's file in, if it is.
fn spec_root_of(class: &Classification) -> Option<&str> {
    (class.family == Some(Family::SpecFolder) && class.root.rsplit('/').next() == Some("specs"))
        .then_some(class.root.as_str())
}

/// Whether the `specs/` folders decide the file's tracker: a spec-folder TODO.md outside one.
fn may_adopt_spec_root(class: &Classification) -> bool {
    class.role == Role::Todo && class.family == Some(Family::SpecFolder) && spec_root_of(class).is_none()
}

/// A spec-folder TODO.md next to a `specs/` directory belongs to that tracker.
fn adopt_spec_root(mut class: Classification, spec_roots: &[String]) -> Classification {
    if may_adopt_spec_root(&class) {
        let candidate = if class.root.is_empty() { "specs".to_string() } else { format!("{}/specs", class.root) };
        if spec_roots.binary_search(&candidate).is_ok() {
            class.root = candidate;
        }
    }
    class
}

/// The documents among `documents` the configuration lets trackers follow as standards: the
/// one it names, or (by default) every one that says what it is and is no task's own report.
fn select_standards<'a>(
    documents: impl Iterator<Item = (&'a str, &'a StatusStandard)>,
    setting: &StandardSetting,
) -> Vec<(String, StatusStandard)> {
    let chosen = |path: &str, standard: &StatusStandard| match setting {
        StandardSetting::Off => false,
        StandardSetting::Path(wanted) => path == wanted,
        StandardSetting::Auto => standard.titled && conventions::may_be_standard(path),
    };
    let mut out: Vec<(String, StatusStandard)> =
        documents.filter(|(path, it)| chosen(path, it)).map(|(path, it)| (path.to_string(), it.clone())).collect();
    // In path order, whichever order the documents came in.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Whether a marker read in `profile` could be, or is, one of the tracker's learned conventions:
/// unknown to it, or known only through what was learned.
fn counts_for_conventions(
    profile: &Profile,
    status: Option<crate::vocabulary::StatusId>,
    unknown: bool,
    text: &str,
) -> bool {
    unknown
        || status.is_some_and(|it| profile.status(it).origin == Origin::Learned)
        || profile.conventions.iter().any(|it| it.text == text)
}

/// What learning reads of the places that could be conventions: their markers and what they
/// state the status of, sorted.
fn learning_candidates<'a>(profile: &Profile, places: &'a [Place]) -> Vec<(u8, bool, &'a str, &'a Subject)> {
    let mut out: Vec<(u8, bool, &str, &Subject)> = places
        .iter()
        .filter(|it| counts_for_conventions(profile, it.status, it.unknown.is_some(), &it.marker.text))
        .map(|it| (it.marker.spelling.rank(), it.marker.scope == Scope::Phase, it.marker.text.as_str(), &it.subject))
        .collect();
    out.sort();
    out
}

/// The places an incremental re-parse of the file added.
fn new_places_of<'a>(index: &'a WorkspaceIndex, file: FileId, splice: &todo::Splice) -> &'a [Place] {
    index.entry(file).map_or(&[], |it| &it.parsed.places[splice.start..splice.new_end])
}

fn find_tracker(trackers: &[Tracker], class: &Classification) -> Option<usize> {
    let family = class.family?;
    trackers.iter().position(|it| it.family == family && it.root == class.root)
}

/// TODO.md section links by task, with the file they are in.
type SectionLinks<'a> = HashMap<TaskKey, Vec<(FileId, &'a crate::model::Link)>>;

/// The tasks whose places, mentions, links or archived state differ between two parses of one
/// file, where `shift` says how the text moved: what only moved with the text is the same.
fn changed_tasks(old: &ParsedFile, new: &ParsedFile, shift: &Shift) -> BTreeSet<TaskKey> {
    fn differ<T: PartialEq + Clone>(
        old: &BTreeMap<TaskKey, Vec<&T>>,
        new: &BTreeMap<TaskKey, Vec<&T>>,
        moved: impl Fn(&mut T),
        out: &mut BTreeSet<TaskKey>,
    ) {
        for task in old.keys().chain(new.keys()) {
            let same = match (old.get(task), new.get(task)) {
                (Some(old), Some(new)) => {
                    old.len() == new.len()
                        && old.iter().zip(new).all(|(old, new)| {
                            let mut shifted = (*old).clone();
                            moved(&mut shifted);
                            shifted == **new
                        })
                }
                _ => false,
            };
            if !same {
                out.insert(task.clone());
            }
        }
    }
    let by = |offset: crate::text::TextSize| crate::model::Moved { bytes: shift.at(offset), places: 0, items: 0 };
    let mut out = BTreeSet::new();
    differ(&places_by_task(&old.places), &places_by_task(&new.places), |it| by(it.extent.start()).place(it), &mut out);
    fn grouped<T>(items: &[T], task: impl Fn(&T) -> Option<&TaskKey>) -> BTreeMap<TaskKey, Vec<&T>> {
        let mut out: BTreeMap<TaskKey, Vec<&T>> = BTreeMap::new();
        for item in items {
            if let Some(task) = task(item) {
                out.entry(task.clone()).or_default().push(item);
            }
        }
        out
    }
    fn mention_task(mention: &crate::model::Mention) -> Option<&TaskKey> {
        Some(&mention.task)
    }
    fn link_task(link: &crate::model::Link) -> Option<&TaskKey> {
        link.task.as_ref()
    }
    differ(
        &grouped(&old.mentions, mention_task),
        &grouped(&new.mentions, mention_task),
        |it| it.range = by(it.range.start()).range(it.range),
        &mut out,
    );
    differ(
        &grouped(&old.links, link_task),
        &grouped(&new.links, link_task),
        |it| by(it.range.start()).link(it),
        &mut out,
    );
    let (archived_before, archived_after): (BTreeSet<&TaskKey>, BTreeSet<&TaskKey>) =
        (old.archived.iter().collect(), new.archived.iter().collect());
    out.extend(archived_before.symmetric_difference(&archived_after).map(|it| (*it).clone()));
    out
}

/// Whether `places` hold a phase the phase rule compares across files.
fn has_phases_of_two_files(places: &[Place]) -> bool {
    places.iter().any(Place::is_phase_across_files)
}

fn places_by_task(places: &[Place]) -> BTreeMap<TaskKey, Vec<&Place>> {
    let mut out: BTreeMap<TaskKey, Vec<&Place>> = BTreeMap::new();
    for place in places {
        if let Some(task) = place.task() {
            out.entry(task.clone()).or_default().push(place);
        }
    }
    out
}

fn parse_entry(path: String, text: Arc<str>, class: Classification, tracker: Option<(usize, &Tracker)>) -> FileEntry {
    let (mut todo_layout, mut json_layout) = (None, None);
    let parsed = match (&tracker, class.role) {
        (_, Role::Prose) => parse::prose(&text),
        (Some((_, tracker)), Role::Todo) if class.family == Some(Family::SpecFolder) => {
            let cx = ParseContext { path: &path, class: &class, profile: &tracker.profile, scope: &tracker.root };
            let (parsed, layout) = todo::parse_with_layout(&cx, &text);
            todo_layout = Some(Box::new(layout));
            parsed
        }
        (Some((_, tracker)), Role::StateJson | Role::ArchiveStateJson) => {
            use parse::state_json::{Kind, parse_with_layout};
            let cx = ParseContext { path: &path, class: &class, profile: &tracker.profile, scope: &tracker.root };
            let kind = if class.role == Role::StateJson { Kind::Main } else { Kind::Archive };
            let (parsed, layout) = parse_with_layout(&cx, &text, kind);
            json_layout = layout.map(Box::new);
            parsed
        }
        (Some((_, tracker)), _) => parse::parse(
            &ParseContext { path: &path, class: &class, profile: &tracker.profile, scope: &tracker.root },
            &text,
        ),
        (None, _) => ParsedFile::default(),
    };
    let mut parsed = parsed;
    // Kept for as long as the file is indexed: no room grown for more (a place's first field
    // grows room for four, 256 bytes, where most places keep one or two).
    for place in &mut parsed.places {
        place.fields.shrink_to_fit();
        place.dependencies.shrink_to_fit();
    }
    parsed.places.shrink_to_fit();
    parsed.items.shrink_to_fit();
    parsed.links.shrink_to_fit();
    parsed.mentions.shrink_to_fit();
    let text = if class.role == Role::Prose { Arc::from("") } else { text };
    FileEntry {
        path,
        class,
        tracker: tracker.map(|it| it.0),
        text,
        line_index: OnceLock::new(),
        parsed: parsed.into(),
        todo_layout,
        json_layout,
    }
}

/// Orders `implementation-010.md` after `implementation-009.md` and `10_x.md` after `9_x.md`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| -> Vec<(String, u64)> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else {
                if !digits.is_empty() {
                    parts.push((std::mem::take(&mut text), digits.parse().unwrap_or(u64::MAX)));
                    digits.clear();
                }
                text.push(c);
            }
        }
        parts.push((text, digits.parse().unwrap_or(0)));
        parts
    };
    key(a).cmp(&key(b))
}

/// Whether a folder of `path` is the task's own (`015_slug`, `15-slug` for task 15).
fn folder_names_task(path: &str, task: &TaskKey) -> bool {
    path.split('/').any(|folder| {
        crate::markdown::leading_number(folder).is_some_and(|(skip, digits)| {
            skip == 0
                && matches!(folder.as_bytes().get(digits.len()), Some(b'_' | b'-'))
                && crate::markdown::numeric_id(digits) == task.id
        })
    })
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
