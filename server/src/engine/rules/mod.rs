//! The rules: pure functions from the index (and a baseline) to diagnostics.
//!
//! Every rule has a stable kebab-case code, a default severity that configuration can change
//! or turn off, and produces diagnostics that carry the task, the related places and enough
//! data for the edit planner to build its fix.

pub(crate) mod children;
mod consistency;
pub(crate) mod counters;
mod fields;
pub(crate) mod links;
mod markers;
mod transitions;

use std::fmt;

use crate::engine::config::Config;
use rayon::prelude::*;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::engine::index::{FileId, TaskEntry, Update, WorkspaceIndex};
use crate::engine::model::TaskKey;
use crate::engine::text::TextRange;
use crate::engine::vocabulary::StatusId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleCode {
    UnknownStatus,
    InvalidTransition,
    StatusMismatch,
    OpenChildren,
    PlanStatusStale,
    MissingField,
    BadTimestamp,
    BrokenLink,
    DuplicateTask,
    OrphanTask,
    StaleCounts,
    DependencyNotDone,
    /// A tracker file that does not parse (broken JSON or YAML).
    MalformedFile,
}

impl RuleCode {
    pub const ALL: [RuleCode; 13] = [
        RuleCode::UnknownStatus,
        RuleCode::InvalidTransition,
        RuleCode::StatusMismatch,
        RuleCode::OpenChildren,
        RuleCode::PlanStatusStale,
        RuleCode::MissingField,
        RuleCode::BadTimestamp,
        RuleCode::BrokenLink,
        RuleCode::DuplicateTask,
        RuleCode::OrphanTask,
        RuleCode::StaleCounts,
        RuleCode::DependencyNotDone,
        RuleCode::MalformedFile,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::UnknownStatus => "unknown-status",
            RuleCode::InvalidTransition => "invalid-transition",
            RuleCode::StatusMismatch => "status-mismatch",
            RuleCode::OpenChildren => "open-children",
            RuleCode::PlanStatusStale => "plan-status-stale",
            RuleCode::MissingField => "missing-field",
            RuleCode::BadTimestamp => "bad-timestamp",
            RuleCode::BrokenLink => "broken-link",
            RuleCode::DuplicateTask => "duplicate-task",
            RuleCode::OrphanTask => "orphan-task",
            RuleCode::StaleCounts => "stale-counts",
            RuleCode::DependencyNotDone => "dependency-not-done",
            RuleCode::MalformedFile => "malformed-file",
        }
    }

    pub fn parse(text: &str) -> Option<RuleCode> {
        RuleCode::ALL.into_iter().find(|it| it.as_str() == text)
    }

    pub fn default_severity(self) -> Severity {
        match self {
            RuleCode::UnknownStatus
            | RuleCode::InvalidTransition
            | RuleCode::StatusMismatch
            | RuleCode::DuplicateTask
            | RuleCode::MalformedFile => Severity::Error,
            RuleCode::OpenChildren
            | RuleCode::PlanStatusStale
            | RuleCode::MissingField
            | RuleCode::BadTimestamp
            | RuleCode::BrokenLink
            | RuleCode::OrphanTask
            | RuleCode::StaleCounts
            | RuleCode::DependencyNotDone => Severity::Warning,
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            RuleCode::UnknownStatus => "a status marker outside the vocabulary",
            RuleCode::InvalidTransition => "a status changed along an edge the vocabulary forbids",
            RuleCode::StatusMismatch => "the places of one task disagree",
            RuleCode::OpenChildren => "a done parent with open children, or everything done under an open parent",
            RuleCode::PlanStatusStale => "a plan header behind what its phases say",
            RuleCode::MissingField => "a status without the fields it requires",
            RuleCode::BadTimestamp => "an unparseable timestamp, or Started after Completed",
            RuleCode::BrokenLink => "a link to a file that does not exist, or an absolute local path",
            RuleCode::DuplicateTask => "one task id defined twice",
            RuleCode::OrphanTask => "a task present in some stores and missing from the others",
            RuleCode::StaleCounts => "derived counters that no longer match",
            RuleCode::DependencyNotDone => "a task active or done while a dependency is not done",
            RuleCode::MalformedFile => "a tracker file that does not parse",
        }
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        [Severity::Error, Severity::Warning, Severity::Info, Severity::Hint].into_iter().find(|it| it.as_str() == text)
    }
}

/// A parent in a file: a place (phase, plan, task) or a checkbox item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Place(usize),
    Item(usize),
}

/// Another place that explains a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
}

/// What the edit planner can do about a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixHint {
    /// Replace the marker with one of these texts (alias table first, then closest spelling).
    ReplaceMarker {
        replacements: Vec<String>,
        /// The marker is another spelling of exactly one status (a documented alias, other
        /// case or padding): the replacement changes no meaning, so `taskmark fix` applies it.
        certain: bool,
    },
    /// Make every place of the task agree on one of these statuses.
    AlignTask { task: TaskKey, candidates: Vec<StatusId> },
    /// Make these places (a phase written in two files) agree on one of these statuses.
    AlignPlaces { places: Vec<crate::engine::index::PlaceRef>, candidates: Vec<StatusId> },
    /// Set a plan header to what its phases say.
    DeriveHeader { place: usize, status: StatusId },
    /// Check the open boxes under a done parent, or demote the parent.
    CloseChildren { parent: Parent },
    /// Add the missing field with today's date (or a placeholder reason).
    AddField { place: usize, field: String },
    /// Recompute the counters of this file.
    RecomputeCounters,
    /// Remove the text after the marker.
    RemoveTrailing { range: TextRange },
    /// Replace the diagnostic's range with this text (a malformed timestamp's repair).
    Replace { replacement: String, title: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: RuleCode,
    pub severity: Severity,
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
    pub task: Option<TaskKey>,
    pub related: Vec<Related>,
    pub fix: Option<FixHint>,
}

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
    DiagnosticStore::new(index, config, baseline, paths).all(index)
}

/// A workspace's diagnostics, kept by what they were computed from (a file, a task, the
/// phases), so that after an index update only the rules whose inputs changed run again.
#[derive(Debug, Default)]
pub struct DiagnosticStore {
    files: HashMap<FileId, Vec<Diagnostic>>,
    tasks: BTreeMap<TaskKey, Vec<Diagnostic>>,
    phases: Vec<Diagnostic>,
    /// Which stores each tracker has: when it changes, every task's orphan check changes.
    roles: HashSet<(usize, crate::engine::layout::Role)>,
}

impl DiagnosticStore {
    pub fn new(
        index: &WorkspaceIndex,
        config: &Config,
        baseline: Option<&Baseline<'_>>,
        paths: &dyn PathOracle,
    ) -> DiagnosticStore {
        let files: Vec<FileId> = index.entries().map(|(file, _)| file).collect();
        let files: HashMap<FileId, Vec<Diagnostic>> =
            files.par_iter().map(|file| (*file, check_file(index, config, baseline, paths, *file))).collect();
        let cx = consistency::context(index);
        let tasks: Vec<(&TaskKey, &TaskEntry)> = index.tasks().iter().collect();
        let tasks: BTreeMap<TaskKey, Vec<Diagnostic>> = tasks
            .par_iter()
            .map(|(task, entry)| ((*task).clone(), check_task(index, config, &cx, task, entry)))
            .collect();
        let mut sink = Sink { config, out: Vec::new() };
        consistency::phases(index, &mut sink);
        DiagnosticStore { files, tasks, phases: sink.out, roles: consistency::roles(&cx).clone() }
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
        let cx = consistency::context(index);
        if update.rebuilt || *consistency::roles(&cx) != self.roles {
            let before: BTreeSet<FileId> = self.located().collect();
            *self = DiagnosticStore::new(index, config, baseline, paths);
            return before.into_iter().chain(index.entries().map(|(file, _)| file)).collect();
        }
        let mut touched: BTreeSet<FileId> = BTreeSet::new();
        // Per-file rules: the file itself; when a file came or went, every file with links
        // (they may resolve now, or not); counters, which count tasks across files.
        self.files.retain(|file, _| index.entry(*file).is_some());
        let mut files: BTreeSet<FileId> = update.file.into_iter().collect();
        for (file, entry) in index.entries() {
            let links = update.added_or_removed && !entry.parsed.links.is_empty();
            if links || entry.parsed.counters.is_some() {
                files.insert(file);
            }
        }
        for file in files {
            let fresh = check_file(index, config, baseline, paths, file);
            if self.files.get(&file) != Some(&fresh) {
                touched.insert(file);
                self.files.insert(file, fresh);
            }
        }
        // Per-task rules: the tasks the file spoke of, and the tasks that depend on them.
        let mut tasks = update.tasks.clone();
        let changed: HashSet<(&str, DependencyKey)> =
            update.tasks.iter().flat_map(|it| DependencyKey::of(&it.id).map(|key| (it.scope.as_str(), key))).collect();
        for (task, entry) in index.tasks() {
            let depends = entry.places.iter().any(|place| {
                index.place(*place).dependencies.iter().any(|it| {
                    DependencyKey::of(&it.id).into_iter().any(|key| changed.contains(&(task.scope.as_str(), key)))
                })
            });
            if depends {
                tasks.insert(task.clone());
            }
        }
        for task in tasks {
            let old = self.tasks.remove(&task).unwrap_or_default();
            let fresh = match index.task(&task) {
                Some(entry) => check_task(index, config, &cx, &task, entry),
                None => Vec::new(),
            };
            if old != fresh {
                touched.extend(old.iter().chain(fresh.iter()).map(|it| it.file));
            }
            if !fresh.is_empty() || index.task(&task).is_some() {
                self.tasks.insert(task, fresh);
            }
        }
        let mut sink = Sink { config, out: Vec::new() };
        consistency::phases(index, &mut sink);
        if sink.out != self.phases {
            touched.extend(self.phases.iter().chain(sink.out.iter()).map(|it| it.file));
            self.phases = sink.out;
        }
        if let Some(file) = update.file {
            touched.insert(file);
        }
        touched
    }

    /// The diagnostics located in `file`, sorted by position.
    pub fn file(&self, file: FileId) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self.files.get(&file).cloned().unwrap_or_default();
        out.extend(self.tasks.values().flatten().chain(self.phases.iter()).filter(|it| it.file == file).cloned());
        sort(&mut out, |_| "");
        out
    }

    /// Every diagnostic, grouped by file.
    pub fn by_file(&self) -> HashMap<FileId, Vec<Diagnostic>> {
        let mut out: HashMap<FileId, Vec<Diagnostic>> = HashMap::new();
        for it in self.files.values().flatten().chain(self.tasks.values().flatten()).chain(self.phases.iter()) {
            out.entry(it.file).or_default().push(it.clone());
        }
        for list in out.values_mut() {
            sort(list, |_| "");
        }
        out
    }

    /// Every diagnostic, sorted by path and position.
    pub fn all(&self, index: &WorkspaceIndex) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .files
            .values()
            .flatten()
            .chain(self.tasks.values().flatten())
            .chain(self.phases.iter())
            .cloned()
            .collect();
        sort(&mut out, |file| index.path(file));
        out
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

fn sort<'a>(diagnostics: &mut Vec<Diagnostic>, path: impl Fn(FileId) -> &'a str) {
    diagnostics.sort_by(|a, b| {
        path(a.file)
            .cmp(path(b.file))
            .then(a.file.cmp(&b.file))
            .then(a.range.start().cmp(&b.range.start()))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
    });
    diagnostics.dedup();
}

/// Whether a dependency id written in a file names the task `id` (`058` is `58`; Backlog.md's
/// `task-24` may name `BACK-24`).
/// How a written dependency (`task-24`, `BACK-7`, `221`) names a task, as hashable keys: it
/// names every task that shares either key (the same id ignoring case, or the same number
/// after the last `-`). Lets an update find the dependents of hundreds of changed tasks in one
/// pass.
#[derive(Debug, PartialEq, Eq, Hash)]
enum DependencyKey {
    Folded(String),
    Suffix(String),
}

impl DependencyKey {
    fn of(id: &str) -> [DependencyKey; 2] {
        [
            DependencyKey::Folded(id.to_ascii_lowercase()),
            DependencyKey::Suffix(id.rsplit('-').next().unwrap_or(id).to_string()),
        ]
    }
}

/// The rules that look at one task.
fn check_task(
    index: &WorkspaceIndex,
    config: &Config,
    cx: &consistency::Context,
    task: &TaskKey,
    entry: &TaskEntry,
) -> Vec<Diagnostic> {
    let mut sink = Sink { config, out: Vec::new() };
    consistency::task(index, cx, task, entry, &mut sink);
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
    let mut sink = Sink { config, out: Vec::new() };
    let Some(entry) = index.entry(file) else { return sink.out };
    markers::file(index, file, entry, &mut sink);
    fields::file(index, file, entry, &mut sink);
    links::file(index, paths, file, entry, &mut sink);
    children::file(index, file, entry, &mut sink);
    counters::file(index, file, &mut sink);
    if let Some(baseline) = baseline {
        transitions::file(index, baseline, file, entry, &mut sink);
    }
    sink.out
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

/// A diagnostic with the rule's default severity; the sink applies the configured one.
pub(crate) fn diagnostic(code: RuleCode, file: FileId, range: TextRange, message: String) -> Diagnostic {
    Diagnostic {
        code,
        severity: code.default_severity(),
        file,
        range,
        message,
        task: None,
        related: Vec::new(),
        fix: None,
    }
}
