//! The rules: pure functions from the index (and a baseline) to diagnostics.
//!
//! Every rule has a stable kebab-case code, a default severity that configuration can change
//! or turn off, and produces diagnostics that carry the task, the related places and enough
//! data for the edit planner to build its fix.

pub(crate) mod children;
mod consistency;
pub(crate) mod counters;
mod dependencies;
mod dependents;
mod fields;
pub(crate) mod links;
mod markers;
mod transitions;

use std::ops::Range;

use crate::config::Config;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, FixHint, Parent, RuleCode, Severity};
use crate::index::{FileEdit, FileId, TaskEntry, Update, WorkspaceIndex};
use crate::model::TaskKey;
use crate::parse::todo::Splice;
use crate::text::TextRange;

/// What the rules compare against to find transitions: the workspace at git HEAD (or
/// `--since REV`), indexed like the working tree.
pub struct Baseline<'a> {
    pub index: &'a WorkspaceIndex,
    /// A name for messages: `HEAD`, `main~3`.
    pub label: String,
}

/// Answers whether a workspace-relative path exists. The adapter knows the disk; tests use a
/// set.
pub trait PathOracle: Sync {
    /// Whether the path is among the files the adapter already listed: cheap.
    fn known(&self, path: &str) -> bool;
    /// Whether the path exists at all: may ask the file system.
    fn exists(&self, path: &str) -> bool;
}

impl PathOracle for std::collections::HashSet<String> {
    fn known(&self, path: &str) -> bool {
        self.contains(path)
    }

    fn exists(&self, path: &str) -> bool {
        self.contains(path)
    }
}

/// Runs every enabled rule over the whole index: the per-file rules for each file and the
/// per-task rules for each task, in parallel.
pub fn check(
    index: &WorkspaceIndex,
    config: &Config,
    baseline: Option<&Baseline<'_>>,
    paths: &dyn PathOracle,
) -> Vec<Diagnostic> {
    // A one-off check needs none of what a store keeps to follow later updates (the history,
    // the dependents, the counted files: 5% of a check of 50,000 files).
    Computed::new(index, config, baseline, paths).into_all(index)
}

/// Every rule's diagnostics over a whole index, as a store holds them.
struct Computed {
    files: FxHashMap<FileId, Arc<FileDiagnostics>>,
    tasks: BTreeMap<TaskKey, Vec<Diagnostic>>,
    phases: Vec<Diagnostic>,
    shape: consistency::Shape,
    mirror: consistency::Mirror,
}

impl Computed {
    fn new(
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
    ) -> Computed {
        let files: Vec<FileId> = index.entries().map(|(file, _)| file).collect();
        let files: FxHashMap<FileId, Arc<FileDiagnostics>> = files
            .par_iter()
            .map(|file| (*file, FileDiagnostics::compute(index, config, baseline, paths, *file).shared()))
            .collect();
        let mirror = consistency::Mirror::of(index);
        let cx = consistency::context(index, &mirror);
        let tasks: Vec<(&TaskKey, &TaskEntry)> = index.tasks().iter().map(|(key, entry)| (key, &**entry)).collect();
        let tasks: BTreeMap<TaskKey, Vec<Diagnostic>> = tasks
            .par_iter()
            .map(|(task, entry)| ((*task).clone(), check_task(index, config, &cx, baseline, task, entry)))
            .filter(|(_, diagnostics)| !diagnostics.is_empty())
            .collect();
        let mut sink = Sink { config, out: Vec::new() };
        consistency::phases(index, &mut sink);
        let shape = consistency::shape(&cx);
        Computed { files, tasks, phases: sink.out, shape, mirror }
    }

    /// Every diagnostic, sorted, moved out rather than copied: a one-off check keeps nothing.
    fn into_all(self, index: &WorkspaceIndex) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = Vec::new();
        for file in self.files.into_values() {
            match Arc::try_unwrap(file) {
                Ok(file) => out.extend(file.into_diagnostics()),
                Err(shared) => out.extend(shared.iter().cloned()),
            }
        }
        out.extend(self.tasks.into_values().flatten());
        out.extend(self.phases);
        sort(&mut out, |file| index.path(file));
        out
    }
}

/// Every diagnostic of the three parts of a store, sorted.
fn all(
    files: &FxHashMap<FileId, Arc<FileDiagnostics>>,
    tasks: &BTreeMap<TaskKey, Vec<Diagnostic>>,
    phases: &[Diagnostic],
    index: &WorkspaceIndex,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> =
        files.values().flat_map(|it| it.iter()).chain(tasks.values().flatten()).chain(phases.iter()).cloned().collect();
    sort(&mut out, |file| index.path(file));
    out
}

/// A workspace's diagnostics, kept by what they were computed from (a file's places, items and
/// links, a task, the phases), so that after an index update only the rules whose inputs
/// changed run again, and diagnostics of an edited file that did not change are moved.
#[derive(Debug, Default, Clone)]
pub struct DiagnosticStore {
    /// Each file's behind an `Arc`: the copy a change's re-check makes shares every file's but
    /// the few the change edits, and finding what is new compares only those. The map too is
    /// shared between copies (every editor's on one saved state) until one changes it.
    files: Arc<FxHashMap<FileId, Arc<FileDiagnostics>>>,
    /// The tasks that have diagnostics (most have none). Shared between copies (a re-check's,
    /// every editor's on one saved state) until one changes it.
    tasks: Arc<BTreeMap<TaskKey, Vec<Diagnostic>>>,
    /// For each file, the tasks of `tasks` with a diagnostic in it or pointing into it: what a
    /// file's diagnostics and an edit of the file look at, instead of every task's (a tracker
    /// of 5,000 tasks with thousands of mismatched plans has thousands of them). Kept with
    /// `tasks`, and shared like it.
    task_files: Arc<FxHashMap<FileId, BTreeSet<TaskKey>>>,
    /// For each file, the tasks of `tasks` with a diagnostic in it: what the file's own
    /// diagnostics are gathered from. A subset of `task_files`, which also holds the tasks whose
    /// diagnostics only point into the file (a TODO.md of 25,000 tasks: 229 diagnostics in it,
    /// 15,000 tasks pointing into it). Kept and shared like `task_files`.
    task_homes: Arc<FxHashMap<FileId, BTreeSet<TaskKey>>>,
    phases: Vec<Diagnostic>,
    /// Which stores each tracker has and whether its state.json lists not-started tasks: when
    /// it changes, every task's orphan check changes.
    shape: consistency::Shape,
    /// What the `mirrored` half of the shape is counted from (shared like `tasks`).
    mirror: Arc<consistency::Mirror>,
    /// Files of history (see [`WorkspaceIndex::is_history`]), which the per-place rules leave
    /// alone. An edit elsewhere (a new plan, a TODO.md plan link) can make a plan history.
    history: BTreeSet<FileId>,
    /// Whose per-task rules a change to a task runs again besides its own.
    dependents: Arc<dependents::Dependents>,
    /// The files with counters (which count their tracker's tasks across its files): a change
    /// to a task checks its tracker's, without a look at every file.
    counted: Arc<BTreeSet<FileId>>,
}

/// What the steps of one change left for [`DiagnosticStore::settle`]: the union of their
/// [`Update`]s, and the files whose diagnostics they already changed.
#[derive(Debug)]
pub struct Pending {
    rebuilt: bool,
    /// No step changed a file's role or tracker: the trackers' roles are as they were.
    roles_kept: bool,
    added_or_removed: bool,
    phases: bool,
    /// The tasks whose places changed.
    changed: BTreeSet<TaskKey>,
    /// Those, and the tasks whose diagnostics in an updated file could not be moved.
    tasks: BTreeSet<TaskKey>,
    /// The updated files.
    files: BTreeSet<FileId>,
    /// Edited files whose whole-file rules wait for the last step: they look at the whole
    /// file, and at the tracker's other files (counters).
    whole: BTreeSet<FileId>,
    /// The file the last step updated: its diagnostics were computed (or followed, its
    /// whole-file rules aside) on the final index.
    last: Option<FileId>,
    touched: BTreeSet<FileId>,
}

impl Pending {
    /// A step rebuilt the index (file ids changed): everything is computed again.
    pub fn rebuilt(&self) -> bool {
        self.rebuilt
    }
}

impl Default for Pending {
    fn default() -> Pending {
        Pending {
            rebuilt: false,
            roles_kept: true,
            added_or_removed: false,
            phases: false,
            changed: BTreeSet::new(),
            tasks: BTreeSet::new(),
            files: BTreeSet::new(),
            whole: BTreeSet::new(),
            last: None,
            touched: BTreeSet::new(),
        }
    }
}

/// The per-file rules' diagnostics of one file, by what each was computed from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct FileDiagnostics {
    /// From the file as a whole: parse problems, file timestamps, counters (which count across
    /// files), transitions (which match places by order).
    whole: Vec<Diagnostic>,
    /// With the index of the place, item or link each came from, sorted by it: most have none,
    /// so only the diagnostics are stored.
    places: Part,
    items: Part,
    links: Part,
    /// The required fields the file's task sections write anywhere (what `missing-field`
    /// enforces): when an edit changes them, every place is checked again.
    followed: BTreeSet<String>,
    /// What `followed` is decided from, followed by difference across edits.
    requirements: fields::RequirementTally,
}

/// The diagnostics of one kind of origin (places, items or links) and how many origins there
/// were, which an edit's splice must agree with.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Part {
    origins: usize,
    diagnostics: Vec<(usize, Diagnostic)>,
}

impl Part {
    /// Replaces the diagnostics of the origins in the splice with `fresh` and moves those after
    /// it. `false` when one cannot be moved.
    fn follow(&mut self, splice: Splice, fresh: Vec<(usize, Diagnostic)>, file: FileId, edit: &FileEdit) -> bool {
        let first = self.diagnostics.partition_point(|(origin, _)| *origin < splice.start);
        let after = self.diagnostics.partition_point(|(origin, _)| *origin < splice.old_end);
        for (origin, diagnostic) in &mut self.diagnostics[after..] {
            *origin = (*origin as i64 + splice.delta()) as usize;
            if !moved(diagnostic, file, edit) {
                return false;
            }
        }
        self.diagnostics.splice(first..after, fresh);
        self.origins = (self.origins as i64 + splice.delta()) as usize;
        true
    }
}

impl FileDiagnostics {
    fn is_empty(&self) -> bool {
        self.whole.is_empty() && [&self.places, &self.items, &self.links].iter().all(|it| it.diagnostics.is_empty())
    }

    fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        let parts = [&self.places, &self.items, &self.links];
        self.whole
            .iter()
            .chain(parts.into_iter().flat_map(|it| it.diagnostics.iter().map(|(_, diagnostic)| diagnostic)))
    }

    fn into_diagnostics(self) -> impl Iterator<Item = Diagnostic> {
        let parts = [self.places, self.items, self.links];
        self.whole.into_iter().chain(parts.into_iter().flat_map(|it| it.diagnostics.into_iter().map(|(_, it)| it)))
    }

    /// Behind an `Arc`: most files have no diagnostics, and share one empty value rather than
    /// holding one each (changing a shared one copies it first, as any shared file's does).
    fn shared(self) -> Arc<FileDiagnostics> {
        static EMPTY: std::sync::LazyLock<Arc<FileDiagnostics>> = std::sync::LazyLock::new(Arc::default);
        if self == FileDiagnostics::default() { Arc::clone(&EMPTY) } else { Arc::new(self) }
    }

    fn compute(
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
        file: FileId,
    ) -> FileDiagnostics {
        let Some(entry) = index.entry(file) else { return FileDiagnostics::default() };
        let parsed = &entry.parsed;
        let part = |origins: usize, diagnostics| Part { origins, diagnostics };
        let requirements = fields::RequirementTally::of_file(index, file);
        let followed = requirements.followed();
        // Asked once: whether a plan is history looks up its task's current plan and status.
        let history = index.is_history(file);
        FileDiagnostics {
            whole: check_whole_file(index, config, baseline, file, history),
            places: part(
                parsed.places.len(),
                in_chunks(parsed.places.len(), |range| check_places(index, config, file, history, &followed, range)),
            ),
            items: part(parsed.items.len(), check_items(index, config, file, history, 0..parsed.items.len())),
            links: part(
                parsed.links.len(),
                in_chunks(parsed.links.len(), |range| check_links(index, config, paths, file, history, range)),
            ),
            followed,
            requirements,
        }
    }

    /// Follows an edit of the file: the diagnostics of the replaced places, items and links are
    /// computed again, those after them moved. `false` when one cannot be moved or the stored
    /// diagnostics are not of the parse the edit started from (the caller then computes
    /// everything again).
    fn follow(
        &mut self,
        index: &WorkspaceIndex,
        config: &Config,
        paths: &dyn PathOracle,
        file: FileId,
        edit: &FileEdit,
    ) -> bool {
        let parsed = index.parsed(file);
        let agrees = |part: &Part, splice: Splice, now: usize| {
            splice.old_end <= part.origins && part.origins as i64 + splice.delta() == now as i64
        };
        if !(agrees(&self.places, edit.places, parsed.places.len())
            && agrees(&self.items, edit.items, parsed.items.len())
            && agrees(&self.links, edit.links, parsed.links.len()))
        {
            return false;
        }
        let replacing = &parsed.places[edit.places.start..edit.places.new_end];
        let requirements = self.requirements.replaced(index, file, &edit.replaced_places, replacing);
        if requirements != self.requirements {
            // The sections follow other requirements now: every place is checked again.
            if requirements.followed() != self.followed {
                return false;
            }
            self.requirements = requirements;
        }
        let history = index.is_history(file);
        let fresh = check_places(index, config, file, history, &self.followed, edit.places.start..edit.places.new_end);
        if !self.places.follow(edit.places, fresh, file, edit) {
            return false;
        }
        let fresh = check_items(index, config, file, history, edit.items.start..edit.items.new_end);
        if !self.items.follow(edit.items, fresh, file, edit) {
            return false;
        }
        let fresh = check_links(index, config, paths, file, history, edit.links.start..edit.links.new_end);
        self.links.follow(edit.links, fresh, file, edit)
    }
}

/// Moves a diagnostic that was computed before `edit` of `file` to where it is after it, when
/// what it was computed from is outside the edit: its ranges in that file and the place and
/// item indices of its fix. `false` when a range overlaps the changed text or an index was
/// replaced (then it must be computed again).
fn moved(diagnostic: &mut Diagnostic, file: FileId, edit: &FileEdit) -> bool {
    let shift = |range: &mut TextRange| match edit.change.shift_range(*range) {
        Some(moved) => {
            *range = moved;
            true
        }
        None => false,
    };
    let index = |index: &mut usize, splice: &Splice| {
        if *index < splice.start {
            true
        } else if *index >= splice.old_end {
            *index = (*index as i64 + splice.delta()) as usize;
            true
        } else {
            false
        }
    };
    if diagnostic.file == file && !shift(&mut diagnostic.range) {
        return false;
    }
    for related in &mut diagnostic.related {
        if related.file == file && !shift(&mut related.range) {
            return false;
        }
    }
    // Every hint is named, no `_` arm: a new hint with a position of its own fails to compile
    // here until it is shifted too (a wildcard once left such hints pointing at old offsets).
    let in_file = diagnostic.file == file;
    match &mut diagnostic.fix {
        None => true,
        // Positions in the diagnostic's own file: another file's edit moves none of them.
        Some(FixHint::RemoveTrailing { range }) => !in_file || shift(range),
        Some(FixHint::AddField { place, .. } | FixHint::DeriveHeader { place, .. }) => {
            !in_file || index(place, &edit.places)
        }
        Some(FixHint::CloseChildren { parent: Parent::Place(place) }) => !in_file || index(place, &edit.places),
        Some(FixHint::CloseChildren { parent: Parent::Item(item) }) => !in_file || index(item, &edit.items),
        // Places in any file, this one's among them.
        Some(FixHint::AlignPlaces { places, .. }) => {
            places.iter_mut().filter(|it| it.file == file).all(|it| index(&mut it.index, &edit.places))
        }
        // No position of their own: they act on the diagnostic's range (shifted above), on a
        // task by its key, or on the file's counters found again when applied.
        Some(
            FixHint::ReplaceMarker { .. }
            | FixHint::Replace { .. }
            | FixHint::AlignTask { .. }
            | FixHint::RecomputeCounters,
        ) => true,
    }
}

/// Where a diagnostic is (its range and its related ones'), to tell what moving it changed.
struct Positions {
    range: TextRange,
    related: Vec<TextRange>,
}

impl Positions {
    fn of(diagnostic: &Diagnostic) -> Positions {
        Positions { range: diagnostic.range, related: diagnostic.related.iter().map(|it| it.range).collect() }
    }

    /// Whether a reader sees `after`, this diagnostic moved with an edit of `file` that added
    /// or removed no line, elsewhere than before: a position moved on the lines from `below`
    /// on keeps its line and column, which is all an editor gets. Fix hints are not shown;
    /// they are read from the store when a fix is asked for.
    fn seen_moved(&self, after: &Diagnostic, file: FileId, below: usize) -> bool {
        let seen = |before: TextRange, after: TextRange, in_file: FileId| {
            before != after && !(in_file == file && usize::from(after.start()) >= below)
        };
        seen(self.range, after.range, after.file)
            || self.related.len() != after.related.len()
            || self.related.iter().zip(&after.related).any(|(before, after)| seen(*before, after.range, after.file))
    }
}

/// The files `diagnostics` are in or point into.
fn files_of(diagnostics: &[Diagnostic]) -> impl Iterator<Item = FileId> + '_ {
    diagnostics.iter().flat_map(|it| std::iter::once(it.file).chain(it.related.iter().map(|related| related.file)))
}

/// The files `diagnostics` are in.
fn homes_of(diagnostics: &[Diagnostic]) -> impl Iterator<Item = FileId> + '_ {
    diagnostics.iter().map(|it| it.file)
}

/// For each file, the tasks with a diagnostic `files` names it for ([`files_of`]: in it or
/// pointing into it; [`homes_of`]: in it).
fn task_files<'a, I: Iterator<Item = FileId> + 'a>(
    tasks: &'a BTreeMap<TaskKey, Vec<Diagnostic>>,
    files: impl Fn(&'a [Diagnostic]) -> I,
) -> FxHashMap<FileId, BTreeSet<TaskKey>> {
    let mut out: FxHashMap<FileId, BTreeSet<TaskKey>> = FxHashMap::default();
    for (task, diagnostics) in tasks {
        for file in files(diagnostics) {
            out.entry(file).or_default().insert(task.clone());
        }
    }
    out
}

/// Moves `task` in `table` from the files `old` names to those `fresh` names.
fn refile_task(
    table: &mut FxHashMap<FileId, BTreeSet<TaskKey>>,
    task: &TaskKey,
    old: impl Iterator<Item = FileId>,
    fresh: impl Iterator<Item = FileId>,
) {
    for file in old {
        if let Some(tasks) = table.get_mut(&file) {
            tasks.remove(task);
            if tasks.is_empty() {
                table.remove(&file);
            }
        }
    }
    for file in fresh {
        table.entry(file).or_default().insert(task.clone());
    }
}

impl DiagnosticStore {
    pub fn new(
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
    ) -> DiagnosticStore {
        let Computed { files, tasks, phases, shape, mirror } = Computed::new(index, config, baseline, paths);
        DiagnosticStore {
            files: Arc::new(files),
            task_files: Arc::new(task_files(&tasks, files_of)),
            task_homes: Arc::new(task_files(&tasks, homes_of)),
            tasks: Arc::new(tasks),
            phases,
            shape,
            mirror: Arc::new(mirror),
            history: index.history(),
            dependents: Arc::new(dependents::Dependents::of(index)),
            counted: Arc::new(index.entries().filter(|(_, it)| it.reads_its_tracker()).map(|(file, _)| file).collect()),
        }
    }

    /// Recomputes what `update` touched. Returns the files whose diagnostics may have changed.
    pub fn update(
        &mut self,
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
        update: &Update,
    ) -> BTreeSet<FileId> {
        let mut pending = Pending::default();
        self.follow(index, config, baseline, paths, update, &mut pending);
        self.settle(index, config, baseline, paths, pending)
    }

    /// Makes this store own what an edit of `file` changes (the tables of files, tasks and
    /// their files, the mirror counts, the file's own diagnostics), copying what it shares with
    /// another store: see [`WorkspaceIndex::own_for_editing`].
    pub fn own_for_editing(&mut self, file: FileId) {
        if let Some(stored) = self.files_mut().get_mut(&file) {
            Arc::make_mut(stored);
        }
        Arc::make_mut(&mut self.tasks);
        Arc::make_mut(&mut self.task_files);
        Arc::make_mut(&mut self.task_homes);
        Arc::make_mut(&mut self.mirror);
    }

    /// The part of [`DiagnosticStore::update`] that needs the index as `update` left it: the
    /// updated file's own diagnostics, and the other tasks' diagnostics in it moved with its
    /// text. What looks across the workspace (the per-task rules, counters, phases) waits in
    /// `pending` for [`DiagnosticStore::settle`], once after all the steps of one change.
    pub fn follow(
        &mut self,
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
        update: &Update,
        pending: &mut Pending,
    ) {
        pending.rebuilt |= update.rebuilt;
        pending.roles_kept &= update.roles_kept;
        pending.added_or_removed |= update.added_or_removed;
        pending.phases |= update.phases;
        pending.changed.extend(update.tasks.iter().cloned());
        pending.tasks.extend(update.tasks.iter().cloned());
        pending.files.extend(update.file);
        pending.last = update.file;
        if pending.rebuilt {
            return;
        }
        if update.added_or_removed {
            self.files_mut().retain(|file, _| index.entry(*file).is_some());
        }
        if let Some(file) = update.file {
            let counted = index.entry(file).is_some_and(|it| it.reads_its_tracker());
            if counted != self.counted.contains(&file) {
                let all = Arc::make_mut(&mut self.counted);
                if counted {
                    all.insert(file)
                } else {
                    all.remove(&file)
                };
            }
        }
        // The edited file: its changed part, or all of it.
        let edited = update.file.zip(update.edit.as_ref());
        if let Some((file, edit)) = edited {
            let stored = Arc::make_mut(self.files_mut().entry(file).or_default());
            if stored.follow(index, config, paths, file, edit) {
                pending.whole.insert(file);
            } else {
                *stored = FileDiagnostics::compute(index, config, baseline, paths, file);
                pending.whole.remove(&file);
            }
            pending.touched.insert(file);
        } else if let Some(file) = update.file {
            let fresh = FileDiagnostics::compute(index, config, baseline, paths, file);
            if self.files.get(&file).map(|it| &**it) != Some(&fresh) {
                pending.touched.insert(file);
                self.files_mut().insert(file, fresh.shared());
            }
        }
        // The other tasks' diagnostics in the edited file moved with the text. Their messages
        // name line numbers, so when lines came or went they are computed again; so are they
        // all after a re-parse of the whole file, which says where nothing moved to.
        let touches = |file: FileId| {
            move |it: &Diagnostic| it.file == file || it.related.iter().any(|related| related.file == file)
        };
        if let (Some(file), None) = (update.file, &update.edit) {
            for task in self.task_files.get(&file).into_iter().flatten() {
                if !pending.tasks.contains(task) {
                    pending.tasks.insert(task.clone());
                }
            }
        }
        if let Some((file, edit)) = edited {
            let touches = touches(file);
            // Where the lines below the edited ones start, in the text after the edit (read as
            // bytes, which hold whatever the change's bounds are).
            let below = index.entry(file).map_or(usize::MAX, |entry| {
                let after = entry.text.as_bytes().get(edit.change.new_end..).unwrap_or_default();
                memchr::memchr(b'\n', after).map_or(usize::MAX, |it| edit.change.new_end + it + 1)
            });
            let Some(touching) = self.task_files.get(&file) else { return };
            let mut recompute: Vec<TaskKey> = Vec::new();
            let mut follow_task =
                |task: &TaskKey, diagnostics: &mut Vec<Diagnostic>, touched: &mut BTreeSet<FileId>| {
                    if !diagnostics.iter().any(&touches) {
                        return;
                    }
                    if edit.lines_moved {
                        recompute.push(task.clone());
                        return;
                    }
                    // Moved in place (a copy of thousands of diagnostics at every keystroke cost
                    // more than the move); when one cannot be, the task is computed again, which
                    // replaces them all.
                    for diagnostic in diagnostics.iter_mut() {
                        let before = Positions::of(diagnostic);
                        if !moved(diagnostic, file, edit) {
                            recompute.push(task.clone());
                            break;
                        }
                        // Only what really moved is news to the file it is in, and only where a
                        // reader sees it: with no line come or gone, a position on a line below
                        // the edited ones keeps its line and column (a keystroke in a big TODO.md
                        // moves the bytes of every place after it, which thousands of plans
                        // point to).
                        if before.seen_moved(diagnostic, file, below) {
                            touched.insert(diagnostic.file);
                        }
                    }
                };
            // Moved diagnostics stay in the files they were in: `task_files` still holds. In
            // place: the table copied first (once) while another copy of the store shares it.
            let tasks = Arc::make_mut(&mut self.tasks);
            let Pending { tasks: pending_tasks, touched, .. } = pending;
            if touching.len() * 8 < tasks.len() {
                for task in touching.iter().filter(|it| !pending_tasks.contains(*it)) {
                    if let Some(diagnostics) = tasks.get_mut(task) {
                        follow_task(task, diagnostics, touched);
                    }
                }
            } else {
                // Most tasks with diagnostics point into the file (a TODO.md that thousands of
                // plans disagree with): one walk of the table beside the set, both in key
                // order, instead of a search of the table for each.
                let mut wanted = touching.iter().peekable();
                for (task, diagnostics) in tasks.iter_mut() {
                    while wanted.next_if(|it| *it < task).is_some() {}
                    if wanted.next_if(|it| *it == task).is_some() && !pending_tasks.contains(task) {
                        follow_task(task, diagnostics, touched);
                    }
                }
            }
            pending_tasks.extend(recompute);
        }
    }

    /// Finishes what [`DiagnosticStore::follow`] left pending, on the index as the last step
    /// left it. Returns the files whose diagnostics may have changed.
    pub fn settle(
        &mut self,
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
        pending: Pending,
    ) -> BTreeSet<FileId> {
        let Pending {
            rebuilt,
            roles_kept,
            added_or_removed,
            phases,
            changed,
            mut tasks,
            files,
            mut whole,
            last,
            mut touched,
        } = pending;
        if !rebuilt && !changed.is_empty() {
            Arc::make_mut(&mut self.mirror).update(index, changed.iter());
        }
        let cx = if roles_kept {
            consistency::context_with_roles(self.shape.0.clone(), &self.mirror)
        } else {
            consistency::context(index, &self.mirror)
        };
        if rebuilt || consistency::shape(&cx) != self.shape {
            let before: BTreeSet<FileId> = self.located().collect();
            *self = DiagnosticStore::new(index, config, baseline, paths);
            return before.into_iter().chain(index.entries().map(|(file, _)| file)).collect();
        }
        if added_or_removed {
            self.files_mut().retain(|file, _| index.entry(*file).is_some());
        }
        // Plans that became history, or current again: only the files of tasks whose places
        // changed can have (a file's history depends on its role, which an edit in place keeps,
        // and on its task's current plan and status).
        let mut history = self.history.clone();
        history.retain(|it| index.entry(*it).is_some());
        let candidates: BTreeSet<FileId> = changed
            .iter()
            .filter_map(|it| index.task(it))
            .flat_map(|it| it.places.iter().map(|place| place.file))
            .chain(files.iter().copied())
            .collect();
        for file in candidates {
            if index.is_history(file) {
                history.insert(file);
            } else {
                history.remove(&file);
            }
        }
        // A file updated by an earlier step is computed again too: a later step may have
        // changed its history, added the file a link names or changed what counters count.
        for file in history.symmetric_difference(&self.history) {
            if Some(*file) != last && index.entry(*file).is_some() {
                Arc::make_mut(&mut self.files)
                    .insert(*file, FileDiagnostics::compute(index, config, baseline, paths, *file).shared());
                touched.insert(*file);
            }
        }
        self.history = history;
        // A plan header's staleness depends on its task's other places (`children`'s
        // `task_agrees_with_header`): a task whose places changed has its plans' files computed
        // again, whichever file the change was in.
        let plans: BTreeSet<FileId> = changed
            .iter()
            .filter_map(|it| index.task(it))
            .flat_map(|entry| entry.places.iter())
            .filter(|place| index.place(**place).kind == crate::model::PlaceKind::PlanHeader)
            .map(|place| place.file)
            .filter(|file| Some(*file) != last)
            .collect();
        for file in plans {
            let fresh = FileDiagnostics::compute(index, config, baseline, paths, file);
            if self.files.get(&file).map(|it| &**it) != Some(&fresh) {
                touched.insert(file);
                self.files_mut().insert(file, fresh.shared());
            }
        }
        // Other files: when a file came or went, every file with links (they may resolve now,
        // or not); counters, which count their tracker's tasks across its files (every tracker's
        // when a file came or went: a removed file's tracker is not known any more). With the
        // edited files, their whole-file rules run once, on the final index.
        let scope_of = |entry: &crate::index::FileEntry| entry.tracker.map(|it| index.trackers()[it].root.as_str());
        let scopes: HashSet<&str> = changed
            .iter()
            .map(|it| it.scope.as_str())
            .chain(files.iter().filter_map(|it| index.entry(*it)).filter_map(scope_of))
            .collect();
        let in_scope = |file: &FileId| index.entry(*file).and_then(scope_of).is_some_and(|it| scopes.contains(it));
        if added_or_removed {
            let mut counted = BTreeSet::new();
            for (file, entry) in index.entries() {
                if entry.reads_its_tracker() {
                    counted.insert(file);
                }
                if Some(file) == last {
                    continue;
                }
                if !entry.parsed.links.is_empty() {
                    let fresh = FileDiagnostics::compute(index, config, baseline, paths, file);
                    whole.remove(&file);
                    if self.files.get(&file).map(|it| &**it) != Some(&fresh) {
                        touched.insert(file);
                        self.files_mut().insert(file, fresh.shared());
                    }
                } else if entry.reads_its_tracker() {
                    whole.insert(file);
                }
            }
            self.counted = Arc::new(counted);
        } else {
            whole.extend(self.counted.iter().filter(|it| Some(**it) != last && in_scope(it)));
        }
        for file in whole {
            if index.entry(file).is_none() {
                continue;
            }
            let fresh = check_whole_file(index, config, baseline, file, index.is_history(file));
            let stored = self.files_mut().entry(file).or_default();
            if stored.whole != fresh {
                touched.insert(file);
                Arc::make_mut(stored).whole = fresh;
            }
        }
        // Per-task rules: the tasks whose places changed, and the tasks that depend on them,
        // through others too (a chain to an abandoned task is `dependency-dead`).
        dependents::Dependents::follow(&mut self.dependents, index, &changed);
        tasks.extend(self.dependents.of_tasks_transitively(&changed).into_iter().cloned());
        for task in tasks {
            let fresh = match index.task(&task) {
                Some(entry) => check_task(index, config, &cx, baseline, &task, entry),
                None => Vec::new(),
            };
            let old = self.tasks.get(&task).map_or(&[][..], Vec::as_slice);
            if old == fresh.as_slice() {
                continue;
            }
            touched.extend(old.iter().chain(fresh.iter()).map(|it| it.file));
            refile_task(Arc::make_mut(&mut self.task_files), &task, files_of(old), files_of(&fresh));
            refile_task(Arc::make_mut(&mut self.task_homes), &task, homes_of(old), homes_of(&fresh));
            let stored = Arc::make_mut(&mut self.tasks);
            if fresh.is_empty() {
                stored.remove(&task);
            } else {
                stored.insert(task, fresh);
            }
        }
        // Phases written in two files: only a file that has or had phases changes them.
        if phases {
            let mut sink = Sink { config, out: Vec::new() };
            consistency::phases(index, &mut sink);
            if sink.out != self.phases {
                touched.extend(self.phases.iter().chain(sink.out.iter()).map(|it| it.file));
                self.phases = sink.out;
            }
        }
        touched.extend(files);
        touched
    }

    /// The diagnostics located in `file`, sorted by position.
    pub fn file(&self, file: FileId) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self.files.get(&file).map(|it| it.iter().cloned().collect()).unwrap_or_default();
        let tasks = self.task_homes.get(&file).into_iter().flatten().filter_map(|it| self.tasks.get(it));
        out.extend(tasks.flatten().chain(self.phases.iter()).filter(|it| it.file == file).cloned());
        sort(&mut out, |_| "");
        out
    }

    /// Every diagnostic, grouped by file.
    pub fn by_file(&self) -> HashMap<FileId, Vec<Diagnostic>> {
        let mut out: HashMap<FileId, Vec<Diagnostic>> = HashMap::new();
        for it in
            self.files.values().flat_map(|it| it.iter()).chain(self.tasks.values().flatten()).chain(self.phases.iter())
        {
            out.entry(it.file).or_default().push(it.clone());
        }
        for list in out.values_mut() {
            sort(list, |_| "");
        }
        out
    }

    /// Every diagnostic, sorted by path and position.
    pub fn all(&self, index: &WorkspaceIndex) -> Vec<Diagnostic> {
        all(&self.files, &self.tasks, &self.phases, index)
    }

    /// The diagnostics of this store and of `after` (a copy of it that followed a change to the
    /// index `after_index`), as [`DiagnosticStore::all`] sorts them, leaving out on both sides
    /// the files whose diagnostics the two still share: what is left is all a change can have
    /// changed, found without going through every file's diagnostics.
    pub fn unshared<'a>(
        &'a self,
        index: &WorkspaceIndex,
        after: &'a DiagnosticStore,
        after_index: &WorkspaceIndex,
    ) -> (Vec<&'a Diagnostic>, Vec<&'a Diagnostic>) {
        fn side<'a>(
            store: &'a DiagnosticStore,
            other: &DiagnosticStore,
            index: &WorkspaceIndex,
        ) -> Vec<&'a Diagnostic> {
            let shares = |file: &FileId, it: &Arc<FileDiagnostics>| {
                other.files.get(file).is_some_and(|other| Arc::ptr_eq(it, other))
            };
            let shared = |file: &FileId| store.files.get(file).filter(|it| shares(file, it));
            let mut out: Vec<&Diagnostic> = store
                .files
                .iter()
                // Compared by address first: most files are shared, and their diagnostics are
                // not looked at.
                .filter(|(file, it)| !shares(file, it) && !it.is_empty())
                .flat_map(|(_, it)| it.iter())
                .chain(store.tasks.values().flatten())
                .chain(store.phases.iter())
                // What `all` would drop as a duplicate of a shared file's diagnostic.
                .filter(|it| !shared(&it.file).is_some_and(|file| file.iter().any(|same| same == *it)))
                .collect();
            sort(&mut out, |file| index.path(file));
            out
        }
        (side(self, after, index), side(after, self, after_index))
    }

    /// The per-file diagnostics to change: copied first while another copy shares them.
    fn files_mut(&mut self) -> &mut FxHashMap<FileId, Arc<FileDiagnostics>> {
        Arc::make_mut(&mut self.files)
    }

    /// Files that have diagnostics.
    fn located(&self) -> impl Iterator<Item = FileId> + '_ {
        self.files
            .iter()
            .filter(|(_, it)| !it.is_empty())
            .map(|(file, _)| *file)
            .chain(self.tasks.values().flatten().chain(self.phases.iter()).map(|it| it.file))
    }
}

fn sort<'a, D: std::borrow::Borrow<Diagnostic> + PartialEq>(
    diagnostics: &mut Vec<D>,
    path: impl Fn(FileId) -> &'a str,
) {
    diagnostics.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        path(a.file)
            .cmp(path(b.file))
            .then(a.file.cmp(&b.file))
            .then(a.range.start().cmp(&b.range.start()))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
    });
    diagnostics.dedup();
}

/// The rules that look at one task.
fn check_task(
    index: &WorkspaceIndex,
    config: &Config,
    cx: &consistency::Context,
    baseline: Option<&Baseline<'_>>,
    task: &TaskKey,
    entry: &TaskEntry,
) -> Vec<Diagnostic> {
    let mut sink = Sink { config, out: Vec::new() };
    consistency::task(index, cx, baseline, task, entry, &mut sink);
    sink.out
}

/// The rules that look at one file.
pub fn check_file(
    index: &WorkspaceIndex,
    config: &Config,
    baseline: Option<&Baseline<'_>>,
    paths: &dyn PathOracle,
    file: FileId,
) -> Vec<Diagnostic> {
    FileDiagnostics::compute(index, config, baseline, paths, file).iter().cloned().collect()
}

/// The per-file rules that look at the file as a whole.
fn check_whole_file(
    index: &WorkspaceIndex,
    config: &Config,
    baseline: Option<&Baseline<'_>>,
    file: FileId,
    history: bool,
) -> Vec<Diagnostic> {
    let mut sink = Sink { config, out: Vec::new() };
    let Some(entry) = index.entry(file) else { return sink.out };
    markers::whole(file, entry, &mut sink);
    if !history {
        fields::whole(file, entry, &mut sink);
        counters::file(index, file, &mut sink);
        children::state_position(index, file, entry, &mut sink);
        children::checkpoints(index, file, entry, &mut sink);
        children::milestones(index, file, entry, &mut sink);
    }
    if let Some(baseline) = baseline {
        transitions::file(index, baseline, file, entry, &mut sink);
    }
    sink.out
}

/// The per-place rules for the places at `positions`, with the index of the place each came
/// from; `followed` is what [`fields::RequirementTally::followed`] found in the file.
/// The per-origin diagnostics of `0..len`, computed in chunks on the thread pool when there are
/// many: the rules of one place or link do not depend on the others', and a task-dense TODO.md
/// of thousands of sections would otherwise be one thread's work while the others wait.
fn in_chunks(len: usize, check: impl Fn(Range<usize>) -> Vec<(usize, Diagnostic)> + Sync) -> Vec<(usize, Diagnostic)> {
    const CHUNK: usize = 512;
    if len <= CHUNK {
        return check(0..len);
    }
    let chunks: Vec<Range<usize>> = (0..len).step_by(CHUNK).map(|start| start..(start + CHUNK).min(len)).collect();
    let parts: Vec<Vec<(usize, Diagnostic)>> = chunks.into_par_iter().map(&check).collect();
    parts.into_iter().flatten().collect()
}

fn check_places(
    index: &WorkspaceIndex,
    config: &Config,
    file: FileId,
    history: bool,
    followed: &BTreeSet<String>,
    positions: Range<usize>,
) -> Vec<(usize, Diagnostic)> {
    let Some(entry) = index.entry(file) else { return Vec::new() };
    if history {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (place, position) in entry.parsed.places[positions.clone()].iter().zip(positions) {
        let mut sink = Sink { config, out: Vec::new() };
        markers::place(index, file, entry, place, &mut sink);
        markers::spelling(index, file, entry, place, &mut sink);
        fields::place(index, file, entry, position, place, followed, &mut sink);
        children::place(index, file, entry, position, place, &mut sink);
        out.extend(sink.out.into_iter().map(|it| (position, it)));
    }
    out
}

/// The per-item rules for the items at `positions`. An item's children follow it among the
/// items its parse added with it, so they are within the same positions.
fn check_items(
    index: &WorkspaceIndex,
    config: &Config,
    file: FileId,
    history: bool,
    positions: Range<usize>,
) -> Vec<(usize, Diagnostic)> {
    let Some(entry) = index.entry(file) else { return Vec::new() };
    if history {
        return Vec::new();
    }
    let items = &entry.parsed.items;
    let mut nested: Vec<Vec<usize>> = vec![Vec::new(); positions.len()];
    for position in positions.clone() {
        if let Some(parent) = items[position].parent().filter(|it| positions.contains(it)) {
            nested[parent - positions.start].push(position);
        }
    }
    let mut out = Vec::new();
    for (position, nested) in positions.zip(nested) {
        let mut sink = Sink { config, out: Vec::new() };
        markers::item(index, file, &items[position], &mut sink);
        children::item(index, file, entry, position, &nested, &mut sink);
        out.extend(sink.out.into_iter().map(|it| (position, it)));
    }
    out
}

/// The per-link rules for the links at `positions`.
fn check_links(
    index: &WorkspaceIndex,
    config: &Config,
    paths: &dyn PathOracle,
    file: FileId,
    history: bool,
    positions: Range<usize>,
) -> Vec<(usize, Diagnostic)> {
    let Some(entry) = index.entry(file) else { return Vec::new() };
    if history {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (link, position) in entry.parsed.links[positions.clone()].iter().zip(positions) {
        let mut sink = Sink { config, out: Vec::new() };
        links::link(index, paths, file, entry, link, &mut sink);
        out.extend(sink.out.into_iter().map(|it| (position, it)));
    }
    out
}

/// Collects diagnostics, applying configured severities; a rule turned off drops its output.
pub(crate) struct Sink<'a> {
    config: &'a Config,
    out: Vec<Diagnostic>,
}

impl Sink<'_> {
    pub(crate) fn enabled(&self, code: RuleCode) -> bool {
        self.config.severity(code).is_some()
    }

    /// Adds a diagnostic at the rule's configured severity.
    pub(crate) fn push(&mut self, mut diagnostic: Diagnostic) {
        if let Some(severity) = self.config.severity(diagnostic.code) {
            diagnostic.severity = severity;
            self.out.push(diagnostic);
        }
    }

    /// Adds a diagnostic whose severity is at most `cap` (a hint stays a hint even when the
    /// rule is configured as an error).
    pub(crate) fn push_capped(&mut self, diagnostic: Diagnostic, cap: Severity) {
        if let Some(severity) = self.config.severity(diagnostic.code) {
            self.out.push(Diagnostic { severity: severity.max(cap), ..diagnostic });
        }
    }
}
