//! A planned change to the workspace ([`WorkspaceChange`]: the files it edits, creates and
//! moves, its warnings) and what every planner shares: the refusals, the checks that a change
//! leaves no new drift, the user's text checked once, a change described in a few words, and
//! the fields a status is written with. The status and fix planners (`edit`) and the task
//! lifecycle (`lifecycle`) both plan changes; this sits below both. Nothing is written here.

mod described;
pub(crate) mod fields;
pub mod user_text;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, RuleCode, Severity};
use crate::index::{FileId, WorkspaceIndex};
use crate::model::TaskKey;
use crate::rules::{Baseline, DiagnosticStore, PathOracle};
use crate::text::{TextEdit, apply_edits};
use crate::timestamp::Now;
use crate::vocabulary::{NamedStatus, Profile, StatusId};

pub use described::{ChangedFile, describe_change};
pub(crate) use fields::stamp_phase;

/// The edits to one file, planned against its text as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub file: FileId,
    pub path: String,
    pub edits: Vec<TextEdit>,
}

/// A file a change creates (a new task's file, a plan skeleton).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: String,
    pub text: String,
}

/// A file or folder a change moves: an archived task's folder, a Backlog.md task file moved to
/// `completed/`. Moves never replace anything and happen after every file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedPath {
    pub from: String,
    pub to: String,
}

impl MovedPath {
    /// Where `path` is after the move, if the move takes it along.
    pub fn relocate(&self, path: &str) -> Option<String> {
        if path == self.from {
            return Some(self.to.clone());
        }
        let rest = path.strip_prefix(&self.from)?.strip_prefix('/')?;
        Some(format!("{}/{rest}", self.to))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkspaceChange {
    pub label: String,
    pub files: Vec<FileChange>,
    /// Files that do not exist yet. Writing one refuses if anything is there by then.
    pub created: Vec<NewFile>,
    /// Files and folders moved once every file is written.
    pub moved: Vec<MovedPath>,
    /// Things the user should know: open phases left under a completed task, a folder that
    /// would have to move.
    pub warnings: Vec<String>,
}

impl WorkspaceChange {
    pub fn is_empty(&self) -> bool {
        self.files.iter().all(|it| it.edits.is_empty()) && self.created.is_empty() && self.moved.is_empty()
    }

    /// The indexed files the moves take along: each one's path before and after.
    pub fn relocated(&self, index: &WorkspaceIndex) -> Vec<(String, String)> {
        index
            .entries()
            .filter_map(|(_, entry)| {
                self.moved.iter().find_map(|it| it.relocate(&entry.path)).map(|to| (entry.path.clone(), to))
            })
            .collect()
    }

    /// The workspace's index after the change (edited texts, created files, moved files),
    /// calling `updated` after each step.
    pub fn applied_to(
        &self,
        index: &WorkspaceIndex,
        mut updated: impl FnMut(&WorkspaceIndex, &crate::index::Update),
    ) -> WorkspaceIndex {
        let mut after = index.clone();
        for file in self.files.iter().filter(|it| !it.edits.is_empty()) {
            after.edit_file(&file.path, &file.edits, &mut updated);
        }
        let mut step = |after: &mut WorkspaceIndex, path: &str, text: Option<std::sync::Arc<str>>| {
            let update = after.set_file(path, text);
            updated(after, &update);
        };
        for created in &self.created {
            step(&mut after, &created.path, Some(std::sync::Arc::from(created.text.as_str())));
        }
        for (from, to) in self.relocated(index) {
            let Some(text) = after.text_at(&from).cloned() else { continue };
            step(&mut after, &from, None);
            step(&mut after, &to, Some(text));
        }
        after
    }

    /// The new text of every changed or created file.
    pub fn apply(&self, index: &WorkspaceIndex) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter(|it| !it.edits.is_empty())
            .map(|it| (it.path.clone(), apply_edits(index.text(it.file), &it.edits)))
            .chain(self.created.iter().map(|it| (it.path.clone(), it.text.clone())))
            .collect()
    }

    pub(crate) fn edit(&mut self, index: &WorkspaceIndex, file: FileId, edit: TextEdit) {
        match self.files.iter_mut().find(|it| it.file == file) {
            Some(change) => {
                if !change.edits.contains(&edit) {
                    change.edits.push(edit);
                }
            }
            None => self.files.push(FileChange { file, path: index.path(file).to_string(), edits: vec![edit] }),
        }
    }

    /// Checks that the change applies as planned: in every file each edit lies within the text
    /// it was planned against and on character boundaries, and no two edits overlap or start at
    /// the same place (their order would be a guess: `999` and `82` planned on one number gave
    /// `99982`). A change that fails is a bug in a planner; it is refused, never applied.
    pub fn validate(&self, index: &WorkspaceIndex) -> Result<(), Refusal> {
        for new in &self.created {
            let plain = !new.path.is_empty()
                && new.path.split('/').all(|it| !it.is_empty() && it != "." && it != ".." && !it.contains('\\'));
            if !plain || index.file_id(&new.path).is_some() || self.files.iter().any(|it| it.path == new.path) {
                return Err(Refusal::UnsafePlan {
                    path: new.path.clone(),
                    detail: "a new file must be a relative path of plain names where no file is".into(),
                });
            }
        }
        for moved in &self.moved {
            let plain = |path: &str| {
                !path.is_empty()
                    && path.split('/').all(|it| !it.is_empty() && it != "." && it != ".." && !it.contains('\\'))
            };
            let unsafe_move =
                |detail: &str| Refusal::UnsafePlan { path: moved.from.clone(), detail: detail.to_string() };
            if !plain(&moved.from) || !plain(&moved.to) || moved.relocate(&moved.to).is_some() {
                return Err(unsafe_move("a move must be between relative paths of plain names, not into itself"));
            }
            let taken = |path: &str| {
                index.entries().any(|(_, entry)| entry.path == path || entry.path.starts_with(&format!("{path}/")))
            };
            if taken(&moved.to) || self.created.iter().any(|it| moved.relocate(&it.path).is_some()) {
                return Err(unsafe_move("something is already where it would move"));
            }
            if self.files.iter().any(|it| !it.edits.is_empty() && moved.relocate(&it.path).is_some()) {
                return Err(unsafe_move("a file is both edited and moved"));
            }
        }
        for file in &self.files {
            let text = index.text(file.file);
            let mut edits: Vec<&TextEdit> = file.edits.iter().collect();
            edits.sort_by_key(|it| (it.range.start(), it.range.end()));
            let unsafe_plan = |detail: String| Refusal::UnsafePlan { path: file.path.clone(), detail };
            for (at, edit) in edits.iter().enumerate() {
                let (start, end) = (usize::from(edit.range.start()), usize::from(edit.range.end()));
                if end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                    return Err(unsafe_plan(format!(
                        "bytes {start}..{end} are not a range of its {}-byte text",
                        text.len()
                    )));
                }
                if let Some(previous) = at.checked_sub(1).map(|it| edits[it])
                    && (edit.range.start() < previous.range.end() || edit.range.start() == previous.range.start())
                {
                    return Err(unsafe_plan(format!(
                        "edits of bytes {}..{} and {start}..{end} overlap",
                        usize::from(previous.range.start()),
                        usize::from(previous.range.end())
                    )));
                }
            }
        }
        Ok(())
    }

    /// Sorts edits by position and files by path, so output and tests are stable.
    pub(crate) fn finish(mut self) -> WorkspaceChange {
        for file in &mut self.files {
            file.edits.sort_by_key(|it| (it.range.start(), it.range.end()));
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.created.sort_by(|a, b| a.path.cmp(&b.path));
        self.moved.sort_by(|a, b| a.from.cmp(&b.from));
        self
    }
}

/// What a change is checked against before it is written: the rules as the workspace
/// configures them, the baseline of its transitions (if the check it must pass has one) and
/// what exists on disk. Every write must leave no diagnostic that was not there.
pub struct FixCheck<'a> {
    pub config: &'a Config,
    pub baseline: Option<&'a Baseline<'a>>,
    pub paths: &'a dyn PathOracle,
}

impl FixCheck<'_> {
    /// The diagnostics `change` would leave that were not there before (`store` holds the
    /// workspace's diagnostics now), with the index they are positioned in: compared by [`drift_key`]. Hints are suggestions,
    /// not drift: they count only with `with_hints` (fixes must not create even those).
    pub fn left_behind(
        &self,
        index: &WorkspaceIndex,
        store: &DiagnosticStore,
        change: &WorkspaceChange,
        with_hints: bool,
    ) -> (Checked, Vec<Diagnostic>) {
        let mut after_store = store.clone();
        let moved = MovedPaths { inner: self.paths, moved: &change.moved };
        let mut pending = crate::rules::Pending::default();
        let after = change.applied_to(index, |after, update| {
            after_store.follow(after, self.config, self.baseline, &moved, update, &mut pending);
        });
        let everything = pending.rebuilt();
        let mut touched = after_store.settle(&after, self.config, self.baseline, &moved, pending);
        touched.extend(change.files.iter().filter(|it| !it.edits.is_empty()).filter_map(|it| after.file_id(&it.path)));
        touched.extend(change.created.iter().filter_map(|it| after.file_id(&it.path)));
        let counted = |it: &&Diagnostic| with_hints || it.severity != Severity::Hint;
        // The files whose diagnostics the copy still shares are the same on both sides.
        let (before_list, after_list) = store.unshared(index, &after_store, &after);
        let mut before: BTreeMap<DriftKey, usize> = BTreeMap::new();
        for it in before_list.into_iter().filter(counted) {
            *before.entry(drift_key(index, it)).or_insert(0) += 1;
        }
        let mut out = Vec::new();
        for it in after_list.into_iter().filter(counted) {
            let key = drift_key(&after, it);
            match before.get_mut(&key) {
                Some(left) if *left > 0 => *left -= 1,
                _ => out.push(it.clone()),
            }
        }
        (Checked { index: after, store: after_store, touched, everything }, out)
    }
}

/// The workspace as a change would leave it, made for the change's re-check: the index and the
/// diagnostics after it. Dropping it frees the copy's own parts (the files the change edited,
/// the task tables), which an adapter may rather do off the path of its answer. An adapter that
/// keeps the workspace as saved may instead take it as the saved state once the change is
/// written (the files indexed once, not again when read back).
pub struct Checked {
    pub index: WorkspaceIndex,
    pub store: DiagnosticStore,
    /// The files whose diagnostics may differ from before the change (of `index`), and whether
    /// all may (the diagnostics were computed again whole).
    pub touched: BTreeSet<FileId>,
    pub everything: bool,
}

/// What exists once a change's moves are done: nothing at a moved path, and at its new place
/// what was at the old one.
struct MovedPaths<'a> {
    inner: &'a dyn PathOracle,
    moved: &'a [MovedPath],
}

impl MovedPaths<'_> {
    fn before(&self, path: &str) -> Option<String> {
        if self.moved.iter().any(|it| it.relocate(path).is_some()) {
            return None;
        }
        let back =
            self.moved.iter().find_map(|it| MovedPath { from: it.to.clone(), to: it.from.clone() }.relocate(path));
        Some(back.unwrap_or_else(|| path.to_string()))
    }
}

impl PathOracle for MovedPaths<'_> {
    fn known(&self, path: &str) -> bool {
        self.before(path).is_some_and(|it| self.inner.known(&it))
    }

    fn exists(&self, path: &str) -> bool {
        self.before(path).is_some_and(|it| self.inner.exists(&it))
    }
}

/// What "nothing new" compares diagnostics by: code, file and task, since positions move when
/// a change edits a file.
pub type DriftKey = (RuleCode, String, Option<TaskKey>);

/// A diagnostic's [`DriftKey`]. A task's disagreement is one problem wherever it is reported
/// (which place is behind moves as places change: a plan header caught up with its phases
/// disagrees on its own account, a tie is reported at the task's first place), so a task's
/// status-mismatch leaves the file out.
pub fn drift_key(index: &WorkspaceIndex, diagnostic: &Diagnostic) -> DriftKey {
    let file = match (diagnostic.code, &diagnostic.task) {
        (RuleCode::StatusMismatch, Some(_)) => String::new(),
        _ => index.path(diagnostic.file).to_string(),
    };
    (diagnostic.code, file, diagnostic.task.clone())
}

/// Refuses a status change that would leave a diagnostic that was not there (a dependent now
/// done before its dependency, boxes checked under a reopened task, a status folder that would
/// have to move): the user asked for a status, not for new drift, and forcing it says otherwise.
/// `store` holds the workspace's diagnostics now.
pub fn refuse_new_drift(
    index: &WorkspaceIndex,
    store: &DiagnosticStore,
    check: &FixCheck<'_>,
    change: &WorkspaceChange,
) -> Result<Checked, Refusal> {
    refuse_new_drift_but(index, store, check, change, &[]).map(|(checked, _)| checked)
}

/// [`refuse_new_drift`], where new diagnostics of the codes `expected` are no refusal: a step
/// of a workflow that leaves them for its next step to settle (a plan phase completed before
/// the task is: the plan header lags until the task's status changes). They are given back.
pub fn refuse_new_drift_but(
    index: &WorkspaceIndex,
    store: &DiagnosticStore,
    check: &FixCheck<'_>,
    change: &WorkspaceChange,
    expected: &[RuleCode],
) -> Result<(Checked, Vec<Diagnostic>), Refusal> {
    let (checked, all) = check.left_behind(index, store, change, false);
    // A status's step is judged by the plan, from the status now and the vocabulary; a check
    // with a baseline (so that what it leaves is the front door's own diagnostics, to keep)
    // does not judge it again from the baseline's status.
    let (tolerated, left): (Vec<Diagnostic>, Vec<Diagnostic>) =
        all.into_iter().filter(|it| it.code != RuleCode::InvalidTransition).partition(|it| expected.contains(&it.code));
    if left.is_empty() {
        return Ok((checked, tolerated));
    }
    let after = &checked.index;
    let found = left
        .iter()
        .take(3)
        .map(|it| {
            let line =
                after.entry(it.file).map_or(1, |entry| crate::text::line_number(entry.line_index(), it.range.start()));
            format!("{} at {}:{line}: {}", it.code, after.path(it.file), it.message)
        })
        .chain((left.len() > 3).then(|| format!("and {} more", left.len() - 3)))
        .collect();
    Err(Refusal::LeavesDrift { change: change.label.clone(), found, forcible: false })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChangeOptions {
    /// Allow a transition the vocabulary forbids.
    pub force: bool,
    pub now: Now,
    /// The reason BLOCKED and ABANDONED ask for.
    pub reason: Option<String>,
    /// Re-stamp an existing timestamp field of the target status (a `set`), or only add
    /// missing ones (aligning places that disagree).
    pub restamp: bool,
}

impl StatusChangeOptions {
    pub fn new(now: Now) -> StatusChangeOptions {
        StatusChangeOptions { force: false, now, reason: None, restamp: true }
    }
}

/// Why the task's current status is not `expected` (an id, marker or word), if it is not: the
/// compare-and-swap of `taskmark set --from` and of `expectFrom` in the editor command, so that
/// two scripts racing to move one task cannot both win.
pub fn status_differs(index: &WorkspaceIndex, task: &TaskKey, expected: &str) -> Option<String> {
    let profile = index.task_profile(task)?;
    let wanted = match task_status(profile, expected) {
        Ok(wanted) => wanted,
        Err(refusal) => return Some(format!("the status expected: {refusal}")),
    };
    match index.task_status(task) {
        Some((_, current)) if current == wanted => None,
        Some((place, _)) => Some(format!(
            "task {task} is `{}` now, not `{}` as expected",
            index.place(place).shown(),
            profile.display(wanted)
        )),
        None => Some(format!("task {task} has no status now, not `{}` as expected", profile.display(wanted))),
    }
}

/// The one task `id` names (`221`, `specs:221`), or why there is none (with the ids close to
/// it, for a typo).
pub fn resolve_task(index: &WorkspaceIndex, id: &str) -> Result<TaskKey, Refusal> {
    let keys = index.find_tasks(id);
    match keys.as_slice() {
        [] => Err(Refusal::UnknownTask { id: id.to_string(), similar: similar_task_ids(index, id) }),
        [one] => Ok(one.clone()),
        many => Err(Refusal::AmbiguousTask { id: id.to_string(), candidates: many.to_vec() }),
    }
}

/// The ids of the workspace's tasks one or two edits away from `id` (two for ids longer than
/// four characters), closest first, at most five: `BACK-20` for `BACK-200`, `125` for `152`.
/// Each as the command line can name it: `SCOPE:ID` when several trackers have the id.
pub fn similar_task_ids(index: &WorkspaceIndex, id: &str) -> Vec<String> {
    let (scopes, wanted) = match id.rsplit_once(':') {
        Some((scope, id)) => (Some(index.scopes_named(scope)), id),
        None => (None, id),
    };
    let scope = scopes.as_ref();
    let fold = |id: &str| {
        let lower = id.to_lowercase();
        // `058` is task 58: zero padding is not a difference.
        if lower.bytes().all(|it| it.is_ascii_digit()) && lower.len() > 1 {
            let trimmed = lower.trim_start_matches('0');
            return if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() };
        }
        lower
    };
    let wanted = fold(wanted);
    if wanted.is_empty() {
        return Vec::new();
    }
    let most = if wanted.chars().count() > 4 { 2 } else { 1 };
    let mut close: Vec<(usize, &TaskKey)> = index
        .tasks()
        .keys()
        .filter(|key| scope.is_none_or(|scopes| scopes.contains(&key.scope.as_str())))
        .map(|key| (strsim::damerau_levenshtein(&fold(&key.id), &wanted), key))
        .filter(|(distance, _)| (1..=most).contains(distance))
        .collect();
    close.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.len().cmp(&b.1.id.len())).then_with(|| a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, key) in close {
        let shown = if scope.is_some() || index.find_tasks(&key.id).len() > 1 {
            format!("{}:{}", key.scope, key.id)
        } else {
            key.id.to_string()
        };
        if !out.contains(&shown) {
            out.push(shown);
        }
        if out.len() == 5 {
            break;
        }
    }
    out
}

/// `name` as a task status of `profile` ([`Profile::task_status_named`]), or the refusal that
/// says what it could have meant.
pub fn task_status(profile: &Profile, name: &str) -> Result<StatusId, Refusal> {
    let (suggestions, ambiguous) = match profile.task_status_named(name) {
        NamedStatus::Found(id) => return Ok(id),
        NamedStatus::Ambiguous(several) => (several, true),
        NamedStatus::Unknown(closest) => (closest, false),
    };
    Err(Refusal::UnknownStatus {
        status: name.to_string(),
        known: profile
            .ids()
            .filter(|it| profile.status(*it).task)
            .map(|it| (profile.status(it).id.clone(), profile.display(it)))
            .collect(),
        suggestions: suggestions.into_iter().map(|it| profile.display(it)).collect(),
        ambiguous,
    })
}

/// The allowed statuses of a refused transition as a sentence shows them.
pub fn allowed_list(allowed: &[(String, String)]) -> String {
    crate::vocabulary::shown_list(&allowed.iter().map(|(_, shown)| shown).collect::<Vec<_>>())
}

/// How a refused request can be made all the same, named by what to ask, not in any front
/// door's words: the command line says `--force`, an editor's or agent's arguments `force`.
/// The engine's refusals say why in words every front door can show, and leave this to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// Ask again with force (a forbidden transition, a plan left behind, new drift).
    Force,
    /// Ask again with a reason (a status that asks for one).
    Reason,
    /// Ask again without reading the other branches (a new task's id).
    SkipBranches,
}

impl Override {
    /// The name protocols carry it by (`data.override` of an editor's refusal).
    pub fn as_str(self) -> &'static str {
        match self {
            Override::Force => "force",
            Override::Reason => "reason",
            Override::SkipBranches => "noBranches",
        }
    }

    pub fn parse(name: &str) -> Option<Override> {
        [Override::Force, Override::Reason, Override::SkipBranches].into_iter().find(|it| it.as_str() == name)
    }
}

/// Why a change was not planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownTask {
        id: String,
        /// Ids close to it (a typo's likely meaning), closest first.
        similar: Vec<String>,
    },
    AmbiguousTask {
        id: String,
        candidates: Vec<TaskKey>,
    },
    UnknownStatus {
        status: String,
        /// The task statuses of the vocabulary: the id a change names (`planned`) and how it is
        /// shown (`[PLANNED]`).
        known: Vec<(String, String)>,
        /// What it may have meant, as shown: the closest spellings, or (`ambiguous`) every
        /// status the name fits.
        suggestions: Vec<String>,
        ambiguous: bool,
    },
    InvalidTransition {
        task: TaskKey,
        from: String,
        to: String,
        /// The statuses the vocabulary allows from `from`: the id a change names (`revising`)
        /// and how it is shown (`[REVISING]`).
        allowed: Vec<(String, String)>,
    },
    NotEditable {
        path: String,
        reason: String,
    },
    /// The plan's phases are further along than the requested status.
    PlanAhead {
        task: TaskKey,
        path: String,
        phases: String,
    },
    NeedsReason {
        status: String,
        field: String,
    },
    NoFix(String),
    /// What was asked for cannot be written as given (a title with a line break, an unknown
    /// dependency, a tracker that cannot take new tasks).
    BadRequest(String),
    /// The tracker's own numbers disagree, so no id can be allocated safely.
    InconsistentTracker {
        detail: String,
    },
    /// The change would leave diagnostics that were not there (see [`refuse_new_drift`]).
    LeavesDrift {
        change: String,
        found: Vec<String>,
        /// Whether the request can be forced through (a status change), or only asked for
        /// otherwise (a lifecycle change): the use case says, not the change's label.
        forcible: bool,
    },
    /// A planner produced edits that cannot be applied safely (see [`WorkspaceChange::validate`]).
    UnsafePlan {
        path: String,
        detail: String,
    },
}

impl Refusal {
    /// How the request could be made anyway, if it can: each front door says it in its own
    /// words after the refusal's.
    pub fn way_out(&self) -> Option<Override> {
        match self {
            Refusal::InvalidTransition { .. } | Refusal::PlanAhead { .. } => Some(Override::Force),
            Refusal::NeedsReason { .. } => Some(Override::Reason),
            Refusal::LeavesDrift { forcible: true, .. } => Some(Override::Force),
            _ => None,
        }
    }

    /// The kind of refusal, one name for every front door (the editors' and agents'
    /// `data.kind`, the command line's `error.kind` in JSON); `refused` for the kinds no
    /// client acts on differently.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::InvalidTransition { .. } => "invalidTransition",
            Refusal::NeedsReason { .. } => "needsReason",
            Refusal::UnknownStatus { .. } => "unknownStatus",
            Refusal::PlanAhead { .. } => "planAhead",
            Refusal::LeavesDrift { .. } => "leavesDrift",
            _ => "refused",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownTask { id, similar } => {
                write!(f, "no task `{id}` in this workspace")?;
                match similar.as_slice() {
                    [] => Ok(()),
                    [one] => write!(f, "; did you mean `{one}`?"),
                    several => write!(f, "; did you mean one of {}?", quoted(several).join(", ")),
                }
            }
            Refusal::AmbiguousTask { id, candidates } => write!(
                f,
                "task `{id}` exists in several trackers: {}; write it as SCOPE:ID",
                candidates.iter().map(|it| format!("{}:{}", it.scope, it.id)).collect::<Vec<_>>().join(", ")
            ),
            Refusal::UnknownStatus { status, known, suggestions, ambiguous } => match suggestions.as_slice() {
                several if *ambiguous => {
                    write!(f, "status `{status}` could be {}; name one of them", quoted(several).join(" or "))
                }
                [] => write!(
                    f,
                    "unknown status `{status}`; the task statuses here are {}",
                    known.iter().map(|(_, shown)| shown.as_str()).collect::<Vec<_>>().join(", ")
                ),
                [one] => write!(f, "unknown status `{status}`; did you mean `{one}`?"),
                several => write!(f, "unknown status `{status}`; did you mean {}?", quoted(several).join(" or ")),
            },
            Refusal::InvalidTransition { task, from, to, allowed } => write!(
                f,
                "task {task}: `{from}` -> `{to}` is not an allowed transition; from `{from}` the vocabulary allows {}",
                allowed_list(allowed)
            ),
            Refusal::NotEditable { path, reason } => write!(f, "cannot edit {path}: {reason}"),
            Refusal::PlanAhead { task, path, phases } => write!(
                f,
                "task {task}: the phases of {path} are further along ({phases}); setting the task back would leave its plan header stale"
            ),
            Refusal::NeedsReason { status, field } => {
                write!(f, "`{status}` needs a **{field}**")
            }
            Refusal::NoFix(why) | Refusal::BadRequest(why) => write!(f, "{why}"),
            Refusal::InconsistentTracker { detail } => write!(
                f,
                "{detail}; no id can be allocated safely until they agree (`taskmark fix --code stale-counts` aligns the counters)"
            ),
            Refusal::LeavesDrift { change, found, .. } => {
                write!(f, "{change} would leave new problems: {}", found.join("; "))?;
                // A status change can be forced (its front door says how); a lifecycle change
                // can only be asked for otherwise.
                match self.way_out() {
                    Some(_) => Ok(()),
                    None => write!(f, " (change the request, or fix those first)"),
                }
            }
            Refusal::UnsafePlan { path, detail } => write!(
                f,
                "refusing a change that would corrupt {path}: {detail} (a bug in taskmark's planner; please report it)"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

fn quoted(items: &[String]) -> Vec<String> {
    items.iter().map(|it| format!("`{it}`")).collect()
}
