//! The values the rules produce and everything else consumes: a rule's code and severity, a
//! diagnostic with its related places, and the hint the edit planner builds a fix from. They
//! sit below the rules (configuration names codes and severities; the index knows nothing of
//! either), so that configuration, the rules and the adapters depend on them and not on one
//! another.

use std::fmt;

use crate::model::{FileId, PlaceRef, TaskKey};
use crate::text::TextRange;
use crate::vocabulary::StatusId;

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
    /// An id allocated again after the task that had it was archived or completed.
    IdReused,
    /// An id this checkout allocated that another branch or worktree allocated for another
    /// task (`check --against-branches`).
    IdCollision,
    OrphanTask,
    StaleCounts,
    DependencyNotDone,
    DependencyDead,
    /// A tracker file that does not parse (broken JSON or YAML).
    MalformedFile,
    /// A task active here and in another worktree of the repository at once (the language
    /// server's view of the other worktrees).
    ClaimedElsewhere,
    /// A task another worktree has moved further along than this one.
    BehindElsewhere,
    /// A status word written one way at most places of a kind and another way at a few.
    MixedSpelling,
}

impl RuleCode {
    pub const ALL: [RuleCode; 19] = [
        RuleCode::UnknownStatus,
        RuleCode::InvalidTransition,
        RuleCode::StatusMismatch,
        RuleCode::OpenChildren,
        RuleCode::PlanStatusStale,
        RuleCode::MissingField,
        RuleCode::BadTimestamp,
        RuleCode::BrokenLink,
        RuleCode::DuplicateTask,
        RuleCode::IdReused,
        RuleCode::IdCollision,
        RuleCode::OrphanTask,
        RuleCode::StaleCounts,
        RuleCode::DependencyNotDone,
        RuleCode::DependencyDead,
        RuleCode::MalformedFile,
        RuleCode::ClaimedElsewhere,
        RuleCode::BehindElsewhere,
        RuleCode::MixedSpelling,
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
            RuleCode::IdReused => "id-reused",
            RuleCode::IdCollision => "id-collision",
            RuleCode::OrphanTask => "orphan-task",
            RuleCode::StaleCounts => "stale-counts",
            RuleCode::DependencyNotDone => "dependency-not-done",
            RuleCode::DependencyDead => "dependency-dead",
            RuleCode::MalformedFile => "malformed-file",
            RuleCode::ClaimedElsewhere => "claimed-elsewhere",
            RuleCode::BehindElsewhere => "behind-elsewhere",
            RuleCode::MixedSpelling => "mixed-spelling",
        }
    }

    pub fn parse(text: &str) -> Option<RuleCode> {
        RuleCode::ALL.into_iter().find(|it| it.as_str() == text)
    }

    /// The code a misspelling most likely meant (`brokn-link`), if one is close.
    pub fn closest(text: &str) -> Option<RuleCode> {
        let wanted = text.trim().to_lowercase().replace('_', "-");
        RuleCode::ALL
            .into_iter()
            .map(|it| (strsim::normalized_damerau_levenshtein(it.as_str(), &wanted), it))
            .filter(|(similarity, _)| *similarity >= 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, it)| it)
    }

    pub fn default_severity(self) -> Severity {
        match self {
            RuleCode::UnknownStatus
            | RuleCode::InvalidTransition
            | RuleCode::StatusMismatch
            | RuleCode::DuplicateTask
            | RuleCode::IdReused
            | RuleCode::IdCollision
            | RuleCode::MalformedFile => Severity::Error,
            RuleCode::OpenChildren
            | RuleCode::PlanStatusStale
            | RuleCode::MissingField
            | RuleCode::BadTimestamp
            | RuleCode::BrokenLink
            | RuleCode::OrphanTask
            | RuleCode::StaleCounts
            | RuleCode::DependencyNotDone
            | RuleCode::DependencyDead
            | RuleCode::ClaimedElsewhere
            | RuleCode::BehindElsewhere => Severity::Warning,
            RuleCode::MixedSpelling => Severity::Hint,
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
            RuleCode::IdReused => "an id allocated again after its task was archived or completed",
            RuleCode::IdCollision => "an id another branch or worktree allocated for another task",
            RuleCode::OrphanTask => "a task present in some stores and missing from the others",
            RuleCode::StaleCounts => "derived counters that no longer match",
            RuleCode::DependencyNotDone => "a task active or done while a dependency is not done",
            RuleCode::DependencyDead => "an open task waiting, directly or through others, on an abandoned one",
            RuleCode::MalformedFile => "a tracker file that does not parse",
            RuleCode::ClaimedElsewhere => "a task active here and in another worktree at once",
            RuleCode::BehindElsewhere => "a task another worktree has moved further along",
            RuleCode::MixedSpelling => "a status word spelled otherwise than at the tracker's other places of its kind",
        }
    }

    /// The rule's documentation, in markdown: what it reports and why, what its fix does, and
    /// an example workspace whose fenced blocks name their files (`file=PATH`, with `committed`,
    /// `branch=NAME` or `worktree=NAME` for what git holds elsewhere). The user guide's page of
    /// the rule is generated from it, with what `taskmark check` and `fix` print for the example
    /// (tests/docs.rs), and `taskmark rule CODE` prints it.
    pub fn documentation(self) -> &'static str {
        match self {
            RuleCode::UnknownStatus => include_str!("rules/docs/unknown-status.md"),
            RuleCode::InvalidTransition => include_str!("rules/docs/invalid-transition.md"),
            RuleCode::StatusMismatch => include_str!("rules/docs/status-mismatch.md"),
            RuleCode::OpenChildren => include_str!("rules/docs/open-children.md"),
            RuleCode::PlanStatusStale => include_str!("rules/docs/plan-status-stale.md"),
            RuleCode::MissingField => include_str!("rules/docs/missing-field.md"),
            RuleCode::BadTimestamp => include_str!("rules/docs/bad-timestamp.md"),
            RuleCode::BrokenLink => include_str!("rules/docs/broken-link.md"),
            RuleCode::DuplicateTask => include_str!("rules/docs/duplicate-task.md"),
            RuleCode::IdReused => include_str!("rules/docs/id-reused.md"),
            RuleCode::IdCollision => include_str!("rules/docs/id-collision.md"),
            RuleCode::OrphanTask => include_str!("rules/docs/orphan-task.md"),
            RuleCode::StaleCounts => include_str!("rules/docs/stale-counts.md"),
            RuleCode::DependencyNotDone => include_str!("rules/docs/dependency-not-done.md"),
            RuleCode::DependencyDead => include_str!("rules/docs/dependency-dead.md"),
            RuleCode::MalformedFile => include_str!("rules/docs/malformed-file.md"),
            RuleCode::ClaimedElsewhere => include_str!("rules/docs/claimed-elsewhere.md"),
            RuleCode::BehindElsewhere => include_str!("rules/docs/behind-elsewhere.md"),
            RuleCode::MixedSpelling => include_str!("rules/docs/mixed-spelling.md"),
        }
    }
}

/// What the rules have in common (fixes, severities, history), before the list of rules in the
/// user guide and `taskmark rule`.
pub const RULES_INTRODUCTION: &str = include_str!("rules/docs/index.md");

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
    AlignTask {
        task: TaskKey,
        candidates: Vec<StatusId>,
        /// The places behind are copies a family's tool generates from the first candidate's
        /// place (Task Master's task files from tasks.json): writing them is what the tool's
        /// own `generate` does, so `taskmark fix` applies it.
        regenerates: bool,
    },
    /// Make these places (a phase written in two files) agree on one of these statuses.
    AlignPlaces { places: Vec<PlaceRef>, candidates: Vec<StatusId> },
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

/// A diagnostic with the rule's default severity; the sink applies the configured one.
pub fn diagnostic(code: RuleCode, file: FileId, range: TextRange, message: String) -> Diagnostic {
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
