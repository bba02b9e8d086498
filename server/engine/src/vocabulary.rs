//! Statuses, their spellings, their kinds and the transitions between them.
//!
//! A [`Profile`] is the vocabulary of one tracker: the spec-folder workflow, minsky, GitHub
//! checkboxes, Backlog.md and so on. Nothing about a particular vocabulary is hard-coded
//! outside `profiles.rs`; rules only ask a profile questions ("what status does this marker
//! name?", "may A become B?", "do these two places agree?").

use std::collections::VecDeque;
use std::fmt;

/// The coarse meaning of a status, shared by every vocabulary. Agreement across vocabularies,
/// roll-ups and dependency checks are decided on kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Todo,
    Active,
    Blocked,
    Done,
    Cancelled,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Todo, Kind::Active, Kind::Blocked, Kind::Done, Kind::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Todo => "todo",
            Kind::Active => "active",
            Kind::Blocked => "blocked",
            Kind::Done => "done",
            Kind::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|it| it.as_str() == text)
    }

    /// Closed work: nothing more will happen to it.
    pub fn is_closed(self) -> bool {
        matches!(self, Kind::Done | Kind::Cancelled)
    }

    /// How far along work of this kind is: not begun, under way, finished. Used to tell a stale
    /// parent (behind its children) from an optimistic one (ahead of them).
    pub fn progress(self) -> u8 {
        match self {
            Kind::Todo => 0,
            Kind::Active | Kind::Blocked => 1,
            Kind::Done | Kind::Cancelled => 2,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Index of a status inside its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusId(pub u16);

/// Where a status may be written: on a task, on a phase of a plan, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Task,
    Phase,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Task => "task",
            Scope::Phase => "phase",
        }
    }
}

/// How a place writes its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Spelling {
    /// `[IN PROGRESS]` after a `**Status**:` field, on a phase heading or a Task Order line.
    Bracket,
    /// `"in_progress"` in state.json, or a plan's YAML `status:`.
    Json,
    /// A free word: YAML frontmatter (`status: To Do`), a spec file's `## Status` section, a
    /// `**Status**: In Progress` bullet.
    Word,
    /// The character inside a checkbox.
    Checkbox,
}

impl Spelling {
    /// A fixed order of spellings, so that markers sort the same way everywhere.
    pub fn rank(self) -> u8 {
        match self {
            Spelling::Bracket => 0,
            Spelling::Json => 1,
            Spelling::Word => 2,
            Spelling::Checkbox => 3,
        }
    }
}

/// A status field requirement: one of `any_of` must be present (`Blocking Reason` or
/// `Blocked by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub any_of: Vec<String>,
}

impl Requirement {
    pub fn describe(&self) -> String {
        self.any_of.iter().map(|it| format!("**{it}**")).collect::<Vec<_>>().join(" or ")
    }
}

/// Where a status of a tracker's vocabulary comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    /// The built-in profile or `.taskmark.toml`.
    #[default]
    Vocabulary,
    /// The repository's own status standard names it. `added` when the profile did not have it
    /// before: it then has no transition rows of its own, so any change to or from it is
    /// allowed.
    Standard { added: bool },
    /// Learned from the tracker's files: a marker used consistently enough to be a convention,
    /// not a typo. Any change to or from it is allowed (its graph is unknown).
    Learned,
}

impl Origin {
    /// Whether the status has no transition graph of its own: every edge to or from it passes.
    pub fn unconstrained(self) -> bool {
        matches!(self, Origin::Learned | Origin::Standard { added: true })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDef {
    /// Stable identifier used in configuration and on the command line (`not_started`).
    pub id: String,
    pub kind: Kind,
    /// The bracket spelling without brackets (`NOT STARTED`).
    pub marker: Option<String>,
    /// The machine spelling (`not_started`).
    pub json: Option<String>,
    /// Word spellings, canonical first (`To Do`).
    pub words: Vec<String>,
    /// Checkbox characters, canonical first.
    pub checkbox: Vec<char>,
    /// Other spellings that mean this status but are not standard (`COMPLETE`, `Finished`).
    pub aliases: Vec<String>,
    pub task: bool,
    pub phase: bool,
    /// Kinds of other vocabularies this status agrees with. An unchecked box agrees with any
    /// open kind, for instance. Always contains `kind`.
    pub agrees_with: Vec<Kind>,
    pub requires: Vec<Requirement>,
    /// The timestamp field written when a task enters this status (`Completed`, `Started`);
    /// state.json uses its lower-case form.
    pub stamp: Option<String>,
    pub origin: Origin,
    /// Its kind is a guess taskmark could not make (a learned `[PR READY]`): among a task's own
    /// statuses it agrees only with itself, across vocabularies with anything; it counts as
    /// open work.
    pub opaque: bool,
}

impl StatusDef {
    pub fn new(id: &str, kind: Kind) -> StatusDef {
        StatusDef {
            id: id.to_string(),
            kind,
            marker: None,
            json: None,
            words: Vec::new(),
            checkbox: Vec::new(),
            aliases: Vec::new(),
            task: true,
            phase: false,
            agrees_with: vec![kind],
            requires: Vec::new(),
            stamp: None,
            origin: Origin::Vocabulary,
            opaque: false,
        }
    }

    pub fn in_scope(&self, scope: Scope) -> bool {
        match scope {
            Scope::Task => self.task,
            Scope::Phase => self.phase,
        }
    }

    pub fn has_spelling(&self, spelling: Spelling) -> bool {
        match spelling {
            Spelling::Bracket => self.marker.is_some(),
            Spelling::Json => self.json.is_some(),
            Spelling::Word => !self.words.is_empty(),
            Spelling::Checkbox => !self.checkbox.is_empty(),
        }
    }

    /// The canonical text of this status in `spelling`, as it appears in a file: brackets
    /// included for [`Spelling::Bracket`].
    pub fn spelled(&self, spelling: Spelling) -> Option<String> {
        match spelling {
            Spelling::Bracket => self.marker.as_ref().map(|it| format!("[{it}]")),
            Spelling::Json => self.json.clone(),
            Spelling::Word => self.words.first().cloned(),
            Spelling::Checkbox => self.checkbox.first().map(|it| it.to_string()),
        }
    }

    /// A short human name: the bracket marker if there is one, else the first spelling.
    pub fn display(&self) -> String {
        self.spelled(Spelling::Bracket)
            .or_else(|| self.words.first().cloned())
            .or_else(|| self.json.clone())
            .or_else(|| self.checkbox.first().map(|it| format!("[{it}]")))
            .unwrap_or_else(|| self.id.clone())
    }
}

/// Allowed transitions for one scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransitionTable {
    /// `None` means any status may follow any other (Backlog.md has no graph).
    pub edges: Option<Vec<Vec<StatusId>>>,
    /// Statuses reachable from every status whose kind is not closed (`EXPANDED <- any
    /// non-terminal status`).
    pub from_any_open: Vec<StatusId>,
}

/// How places in two different vocabularies (a TODO.md task status and a plan header phase
/// status) are compared. Places in the same vocabulary always compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Agreement {
    #[default]
    Kind,
    Exact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub statuses: Vec<StatusDef>,
    pub task_transitions: TransitionTable,
    pub phase_transitions: TransitionTable,
    pub agreement: Agreement,
    /// Spellings a tracker uses for one of these statuses, learned from its files or named by
    /// its standard (`[COMPLETE]` written on every finished task): read as that status, never
    /// reported.
    pub conventions: Vec<Convention>,
    /// A checklist's numbered boxes (`- [ ] 2. Title`, `- [ ] 2.1 ...`) are tasks of their own,
    /// as Kiro's specs write them (`numbered_tasks` in `.taskmark.toml`).
    pub numbered_tasks: bool,
}

/// A spelling that means a status in one tracker, exactly as written (`[COMPLETE]`, `done`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convention {
    pub spelling: Spelling,
    pub text: String,
    pub status: StatusId,
}

/// What a marker names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Known(StatusId),
    /// Outside the vocabulary (or in the wrong scope); the suggestions are ordered: alias
    /// table first, then statuses of the same kind from the right scope, then the closest
    /// spellings.
    Unknown(Unknown),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub reason: UnknownReason,
    pub suggestions: Vec<Suggestion>,
    /// The status the marker is read as although it is not spelled right: a legacy spelling
    /// (`[IN PROGRESS]` on a task), a documented alias or a case variant of exactly one status.
    /// The place keeps this status, so it stays in the agreement and dependency checks.
    pub stands_for: Option<StatusId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownReason {
    /// Not a spelling of anything.
    NotInVocabulary,
    /// A known status spelled differently: case, inner padding, a legacy form.
    Misspelled,
    /// A status of the other scope (`[IMPLEMENTING]` on a phase). With `stands_for`, a legacy
    /// spelling: the other scope's status is a documented alias of one status of this scope
    /// (`[IN PROGRESS]` on a task, read as `[IMPLEMENTING]`).
    WrongScope(StatusId),
    /// Not a spelling of anything, but the text beside it says what it means (`- [~] refactor
    /// (85%)`, read as in progress): `stands_for` is that reading.
    Inferred,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub status: StatusId,
    /// Replacement text for the marker, in the place's spelling.
    pub text: String,
    pub why: SuggestionSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionSource {
    Alias,
    Normalized,
    SameKind,
    Similar,
}

impl Profile {
    /// Whether the task status closes a task without its plan being carried out: a done
    /// status no plan or phase can be in (`[EXPANDED]`: the work went to new tasks). Such a
    /// task's plan and dependencies are handed over with the work.
    /// Only a vocabulary whose phases can be done tells such a status apart: where no status is
    /// a phase's (Backlog.md, a checklist), every done status is task-only and hands nothing off.
    pub fn hands_off(&self, status: StatusId) -> bool {
        let it = self.status(status);
        it.kind == Kind::Done
            && it.task
            && !it.phase
            && self.statuses.iter().any(|other| other.phase && other.kind == Kind::Done)
    }

    /// Whether `task_counts.active` counts a task of this status: an open one, or one that
    /// handed its work to subtasks (`[EXPANDED]`), whose work goes on in them (ProofChecker's
    /// total = active + completed + abandoned).
    pub fn counts_as_active(&self, status: StatusId) -> bool {
        !self.kind(status).is_closed() || self.hands_off(status)
    }

    pub fn status(&self, id: StatusId) -> &StatusDef {
        &self.statuses[usize::from(id.0)]
    }

    /// Whether a status says work has not begun: the vocabulary's first todo status of its
    /// scope (`not_started`, Kiro's `[ ]` beside its `[-]`, `To Do`, a phase's
    /// `[NOT STARTED]`), not a later one (`[RESEARCHED]`, `Planning`: work on the task began).
    /// A plain unchecked box agrees with work under way and says nothing of the kind.
    pub fn says_not_begun(&self, status: StatusId) -> bool {
        let def = self.status(status);
        if def.kind != Kind::Todo || def.agrees_with.contains(&Kind::Active) {
            return false;
        }
        self.first_todo(if def.task { Scope::Task } else { Scope::Phase }) == Some(status)
    }

    /// The vocabulary's first todo status of `scope`: where work starts (`not_started`, `To
    /// Do`, `pending`; a phase's `[NOT STARTED]`), the status a new task or phase is given.
    pub fn first_todo(&self, scope: Scope) -> Option<StatusId> {
        self.ids().find(|it| self.kind(*it) == Kind::Todo && self.status(*it).in_scope(scope))
    }

    pub fn ids(&self) -> impl Iterator<Item = StatusId> + '_ {
        (0..self.statuses.len()).map(|it| StatusId(it as u16))
    }

    pub fn by_id(&self, id: &str) -> Option<StatusId> {
        let wanted = normalize_word(id);
        self.ids().find(|it| {
            let def = self.status(*it);
            normalize_word(&def.id) == wanted
                || def.marker.as_deref().is_some_and(|m| normalize_word(m) == wanted)
                || def.json.as_deref().is_some_and(|m| normalize_word(m) == wanted)
                || def.words.iter().any(|w| normalize_word(w) == wanted)
        })
    }

    pub fn kind(&self, id: StatusId) -> Kind {
        self.status(id).kind
    }

    /// Looks up the status a marker names. `text` is the marker as written: `[COMPLETED]` for
    /// brackets, `completed` for JSON, `To Do` for words, `x` for checkboxes.
    pub fn lookup(&self, spelling: Spelling, text: &str, scope: Scope) -> Lookup {
        if let Some(convention) = self
            .conventions
            .iter()
            .find(|it| it.spelling == spelling && it.text == text && self.status(it.status).in_scope(scope))
        {
            return Lookup::Known(convention.status);
        }
        if let Some(id) = self.exact(spelling, text) {
            if self.status(id).in_scope(scope) {
                return Lookup::Known(id);
            }
            // Statuses of the right scope that list this spelling as an alias come first
            // (`[IN PROGRESS]` on a task means `[IMPLEMENTING]`), then the same kind.
            let folded = normalize_word(text.trim().trim_start_matches('[').trim_end_matches(']'));
            let mut suggestions: Vec<Suggestion> = self
                .ids()
                .filter(|it| {
                    let def = self.status(*it);
                    def.in_scope(scope) && def.aliases.iter().any(|alias| normalize_word(alias) == folded)
                })
                .filter_map(|it| {
                    Some(Suggestion {
                        status: it,
                        text: self.status(it).spelled(spelling)?,
                        why: SuggestionSource::Alias,
                    })
                })
                .collect();
            // Only an alias names the status the marker stands for: the same kind alone is a
            // guess (`[IMPLEMENTING]` on a phase could be `[IN PROGRESS]` or `[PARTIAL]`).
            let stands_for = match suggestions.as_slice() {
                [only] => Some(only.status),
                _ => None,
            };
            if suggestions.is_empty() {
                suggestions = self.same_kind_in_scope(id, spelling, scope);
            }
            return Lookup::Unknown(Unknown { reason: UnknownReason::WrongScope(id), suggestions, stands_for });
        }
        let inner = match spelling {
            Spelling::Bracket => text.trim().trim_start_matches('[').trim_end_matches(']'),
            _ => text,
        };
        let normalized = normalize_word(inner);
        let mut suggestions: Vec<Suggestion> = Vec::new();
        let mut reason = UnknownReason::NotInVocabulary;
        let push = |suggestions: &mut Vec<Suggestion>, id: StatusId, why: SuggestionSource| {
            if let Some(text) = self.status(id).spelled(spelling)
                && !suggestions.iter().any(|it| it.status == id)
            {
                suggestions.push(Suggestion { status: id, text, why });
            }
        };
        // Alias table first (documented legacy spellings), then a known status spelled with
        // other case, padding or separators. A match outside the place's scope only stands
        // for statuses of its kind when nothing in scope matched.
        let mut out_of_scope: Vec<StatusId> = Vec::new();
        for (source, matches) in [
            (
                SuggestionSource::Alias,
                Box::new(|def: &StatusDef| def.aliases.iter().any(|alias| normalize_word(alias) == normalized))
                    as Box<dyn Fn(&StatusDef) -> bool>,
            ),
            (
                SuggestionSource::Normalized,
                Box::new(|def: &StatusDef| {
                    def.marker
                        .iter()
                        .chain(def.json.iter())
                        .chain(def.words.iter())
                        .chain(std::iter::once(&def.id))
                        .any(|name| normalize_word(name) == normalized)
                }),
            ),
        ] {
            for id in self.ids() {
                let def = self.status(id);
                if !matches(def) {
                    continue;
                }
                reason = UnknownReason::Misspelled;
                if def.in_scope(scope) && def.has_spelling(spelling) {
                    push(&mut suggestions, id, source);
                } else if !out_of_scope.contains(&id) {
                    out_of_scope.push(id);
                }
            }
        }
        if suggestions.is_empty() {
            for id in out_of_scope {
                for it in self.same_kind_in_scope(id, spelling, scope) {
                    push(&mut suggestions, it.status, SuggestionSource::SameKind);
                }
            }
        }
        // Then the closest spellings.
        if suggestions.is_empty() && !normalized.is_empty() {
            let mut scored: Vec<(f64, StatusId)> = self
                .ids()
                .filter(|id| self.status(*id).in_scope(scope) && self.status(*id).has_spelling(spelling))
                .filter_map(|id| {
                    let def = self.status(id);
                    let names =
                        def.marker.iter().chain(def.json.iter()).chain(def.words.iter()).chain(def.aliases.iter());
                    names
                        .map(|name| strsim::normalized_damerau_levenshtein(&normalize_word(name), &normalized))
                        .fold(None, |best: Option<f64>, it| Some(best.map_or(it, |b| b.max(it))))
                        .map(|score| (score, id))
                })
                .filter(|(score, _)| *score >= 0.7)
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, id) in scored.into_iter().take(3) {
                push(&mut suggestions, id, SuggestionSource::Similar);
            }
        }
        Lookup::Unknown(Unknown { stands_for: certain_reading(&suggestions), reason, suggestions })
    }

    fn exact(&self, spelling: Spelling, text: &str) -> Option<StatusId> {
        self.ids().find(|id| {
            let def = self.status(*id);
            match spelling {
                Spelling::Bracket => def.marker.as_deref().is_some_and(|m| {
                    text.len() == m.len() + 2
                        && text.starts_with('[')
                        && text.ends_with(']')
                        && &text[1..text.len() - 1] == m
                }),
                Spelling::Json => def.json.as_deref() == Some(text),
                // Word vocabularies (Backlog.md, minsky specs) are case-insensitive by design.
                Spelling::Word => def.words.iter().any(|w| normalize_word(w) == normalize_word(text)),
                Spelling::Checkbox => {
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => def.checkbox.contains(&c),
                        _ => false,
                    }
                }
            }
        })
    }

    /// Statuses of the same kind as `id` that are valid in `scope` and have `spelling`.
    fn same_kind_in_scope(&self, id: StatusId, spelling: Spelling, scope: Scope) -> Vec<Suggestion> {
        let kind = self.kind(id);
        self.ids()
            .filter(|it| *it != id)
            .filter(|it| {
                let def = self.status(*it);
                def.kind == kind && def.in_scope(scope) && def.has_spelling(spelling)
            })
            .filter_map(|it| {
                Some(Suggestion {
                    status: it,
                    text: self.status(it).spelled(spelling)?,
                    why: SuggestionSource::SameKind,
                })
            })
            .collect()
    }

    pub fn transitions(&self, scope: Scope) -> &TransitionTable {
        match scope {
            Scope::Task => &self.task_transitions,
            Scope::Phase => &self.phase_transitions,
        }
    }

    /// Whether a place of `scope` may go from `from` to `to`. Staying put is always allowed.
    pub fn allows(&self, scope: Scope, from: StatusId, to: StatusId) -> bool {
        if from == to {
            return true;
        }
        if self.status(from).origin.unconstrained() || self.status(to).origin.unconstrained() {
            return true;
        }
        let table = self.transitions(scope);
        let Some(edges) = &table.edges else { return true };
        if edges.get(usize::from(from.0)).is_some_and(|next| next.contains(&to)) {
            return true;
        }
        !self.kind(from).is_closed() && table.from_any_open.contains(&to)
    }

    /// Which statuses a place of `scope` can reach from `from` in one or more allowed steps,
    /// indexed by status id (`from` itself only through a cycle). Several steps may happen
    /// between a baseline and now (`set 1 researching`, then `set 1 researched`, no commit
    /// between), so the baseline is compared with where some path leads, not with one step.
    /// Only the table's own edges are walked: a status without a graph of its own (learned,
    /// new in a standard) is reached by any edge into it but leads nowhere known, else it
    /// would make every status reachable from every other and `[COMPLETED]` no longer terminal.
    /// A breadth-first walk with a visited set: tables have a few dozen statuses and cycles
    /// (`REVISING` <-> `REVISED`).
    pub fn reachable(&self, scope: Scope, from: StatusId) -> Vec<bool> {
        let table = self.transitions(scope);
        let Some(edges) = &table.edges else { return vec![true; self.statuses.len()] };
        let mut seen = vec![false; self.statuses.len()];
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            let any_open: &[StatusId] = if self.kind(at).is_closed() { &[] } else { &table.from_any_open };
            let row = edges.get(usize::from(at.0)).map(Vec::as_slice).unwrap_or_default();
            for &to in row.iter().chain(any_open) {
                let Some(visited) = seen.get_mut(usize::from(to.0)) else { continue };
                if *visited {
                    continue;
                }
                *visited = true;
                let def = self.status(to);
                if def.in_scope(scope) && !def.origin.unconstrained() {
                    queue.push_back(to);
                }
            }
        }
        seen
    }

    /// Whether a place of `scope` may have gone from `from` to `to` through allowed steps: one
    /// ([`Profile::allows`]) or several ([`Profile::reachable`]). For many questions about one
    /// profile, keep `reachable`'s answer per `from` instead.
    pub fn reaches(&self, scope: Scope, from: StatusId, to: StatusId) -> bool {
        self.allows(scope, from, to) || self.reachable(scope, from).get(usize::from(to.0)).is_some_and(|it| *it)
    }

    /// Statuses allowed after `from`, in vocabulary order. A status without a graph of its own
    /// (learned, new in a standard) is never refused, but only offered from another such status:
    /// `[COMPLETED]` stays terminal when a tracker has learned `[PR READY]`.
    pub fn next(&self, scope: Scope, from: StatusId) -> Vec<StatusId> {
        let from_unconstrained = self.status(from).origin.unconstrained();
        self.ids()
            .filter(|to| *to != from && self.status(*to).in_scope(scope) && self.allows(scope, from, *to))
            .filter(|to| from_unconstrained || !self.status(*to).origin.unconstrained())
            .collect()
    }

    /// Whether two statuses agree. `same_vocabulary` is true when both places write task
    /// statuses (TODO.md and state.json) and false across vocabularies (a task status and a
    /// plan header, a checkbox and a spec file's word).
    pub fn agree(&self, a: StatusId, b: StatusId, same_vocabulary: bool) -> bool {
        if a == b {
            return true;
        }
        let (a, b) = (self.status(a), self.status(b));
        // A status of no known kind (`[PR READY]`) differs from every other task status, but
        // gives no ground to say a plan header or a checkbox disagrees with it.
        if a.opaque || b.opaque {
            return !same_vocabulary && self.agreement == Agreement::Kind;
        }
        // A learned status is the tracker's own word for its kind (`[SHIPPED]` for done): the
        // mirrors that write the vocabulary's word for that kind say the same thing.
        let learned = a.origin == Origin::Learned || b.origin == Origin::Learned;
        if (same_vocabulary && !learned) || self.agreement == Agreement::Exact {
            return false;
        }
        a.agrees_with.contains(&b.kind) || b.agrees_with.contains(&a.kind)
    }

    /// The status to write at a place of `spelling`/`scope` so that it agrees with `target`:
    /// `target` itself when the place can spell it, otherwise the closest status of the same
    /// kind, otherwise one that agrees with it.
    pub fn equivalent(&self, target: StatusId, spelling: Spelling, scope: Scope) -> Option<StatusId> {
        let fits = |id: StatusId| self.status(id).in_scope(scope) && self.status(id).has_spelling(spelling);
        if fits(target) {
            return Some(target);
        }
        let kind = self.kind(target);
        self.ids()
            .find(|it| fits(*it) && self.kind(*it) == kind)
            .or_else(|| self.ids().find(|it| fits(*it) && self.agree(*it, target, false)))
    }

    /// Whether a field of this name means something to the vocabulary: a status requires it or
    /// stamps it.
    pub fn names_field(&self, name: &str) -> bool {
        self.statuses.iter().any(|def| {
            def.stamp.as_deref().is_some_and(|it| it.eq_ignore_ascii_case(name))
                || def.requires.iter().any(|it| it.any_of.iter().any(|field| field.eq_ignore_ascii_case(name)))
        })
    }

    pub fn display(&self, id: StatusId) -> String {
        self.status(id).display()
    }

    /// The task status a person or an agent names (`taskmark set 39 STATUS`, `--from`, `new
    /// --status`), read as generously as it can be read without a guess: an id, marker, JSON
    /// value or word of a task status (`planned`, `[PLANNED]`, `Planned`); else a documented
    /// alias of exactly one task status (`in-progress` for `[IMPLEMENTING]`, `done` for
    /// `[COMPLETED]`); else a kind with exactly one task status (`cancelled`). What fits several
    /// statuses is [`NamedStatus::Ambiguous`]; what fits none comes with the closest spellings.
    /// A status of plan phases by any of its names (`completed`, `[COMPLETED]`), or the first
    /// phase status of the kind a task status so named has (`implementing`: the phase's
    /// `[IN PROGRESS]`).
    pub fn phase_status_named(&self, name: &str) -> Option<StatusId> {
        let wanted = normalize_word(name);
        let phases = || self.ids().filter(|it| self.status(*it).phase);
        let named = |id: &StatusId| {
            let def = self.status(*id);
            std::iter::once(&def.id)
                .chain(def.marker.iter())
                .chain(def.json.iter())
                .chain(def.words.iter())
                .any(|it| normalize_word(it) == wanted)
        };
        if let Some(found) = phases().find(named) {
            return Some(found);
        }
        let kind = match self.task_status_named(name) {
            NamedStatus::Found(task) => self.kind(task),
            _ => Kind::parse(&wanted)?,
        };
        // The vocabulary's first phase status of that kind (`[IN PROGRESS]` before `[PARTIAL]`).
        phases().find(|it| self.kind(*it) == kind)
    }

    pub fn task_status_named(&self, name: &str) -> NamedStatus {
        let wanted = normalize_word(name);
        let task_statuses = || self.ids().filter(|it| self.status(*it).task);
        let spellings = |def: &StatusDef| -> Vec<String> {
            std::iter::once(&def.id)
                .chain(def.marker.iter())
                .chain(def.json.iter())
                .chain(def.words.iter())
                .map(|it| normalize_word(it))
                .collect()
        };
        if let Some(found) = task_statuses().find(|it| spellings(self.status(*it)).contains(&wanted)) {
            return NamedStatus::Found(found);
        }
        let aliased: Vec<StatusId> = task_statuses()
            .filter(|it| self.status(*it).aliases.iter().any(|alias| normalize_word(alias) == wanted))
            .collect();
        let of_kind: Vec<StatusId> = match Kind::parse(&wanted.replace("canceled", "cancelled")) {
            Some(kind) => task_statuses().filter(|it| self.kind(*it) == kind).collect(),
            None => Vec::new(),
        };
        for candidates in [aliased, of_kind] {
            match candidates.as_slice() {
                [] => {}
                [one] => return NamedStatus::Found(*one),
                several => return NamedStatus::Ambiguous(several.to_vec()),
            }
        }
        // A status of phases only (`in_progress` where tasks say `implementing`): the task
        // statuses of its kind are what was meant.
        if let Some(phase) = self.ids().find(|it| spellings(self.status(*it)).contains(&wanted)) {
            let kind = self.kind(phase);
            return NamedStatus::Unknown(task_statuses().filter(|it| self.kind(*it) == kind).collect());
        }
        let mut scored: Vec<(f64, StatusId)> = task_statuses()
            .filter_map(|id| {
                let def = self.status(id);
                let aliases = def.aliases.iter().map(|it| normalize_word(it));
                spellings(def)
                    .into_iter()
                    .chain(aliases)
                    .map(|it| strsim::normalized_damerau_levenshtein(&it, &wanted))
                    .max_by(f64::total_cmp)
                    .map(|score| (score, id))
            })
            .filter(|(score, _)| *score >= 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        NamedStatus::Unknown(scored.into_iter().take(3).map(|(_, id)| id).collect())
    }

    pub fn display_list(&self, ids: &[StatusId]) -> String {
        shown_list(&ids.iter().map(|it| self.display(*it)).collect::<Vec<_>>())
    }
}

/// How a status name given by a person reads in a vocabulary: [`Profile::task_status_named`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedStatus {
    Found(StatusId),
    /// The name fits each of these task statuses (an alias two share, a kind several have).
    Ambiguous(Vec<StatusId>),
    /// The name fits none; these are the closest (best first), maybe none.
    Unknown(Vec<StatusId>),
}

/// The one status a misspelled marker can only mean: a documented alias or another case or
/// padding of exactly one status. A closest spelling is a guess, never a reading.
fn certain_reading(suggestions: &[Suggestion]) -> Option<StatusId> {
    match suggestions {
        [only] if matches!(only.why, SuggestionSource::Alias | SuggestionSource::Normalized) => Some(only.status),
        _ => None,
    }
}

/// Statuses as shown, listed the way messages name the allowed next ones.
pub fn shown_list<S: AsRef<str>>(shown: &[S]) -> String {
    if shown.is_empty() {
        return "none (terminal)".to_string();
    }
    shown.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ")
}

/// Folds a spelling to compare loosely: case, surrounding emoji and punctuation, `**bold**`,
/// separators (`in-progress`, `in_progress`, `In Progress`) and trailing remarks
/// (`In Progress (75%)`, `ON HOLD - waiting for 141`) all fold away.
pub fn normalize_word(text: &str) -> String {
    // Most words have neither bold markers nor a remark after them: no copy, no searches.
    let unbolded;
    let text = if crate::markdown::find_double_star(text).is_some() {
        unbolded = text.replace("**", "");
        unbolded.as_str()
    } else {
        text
    };
    let mut text = text.trim();
    if text.contains(' ') {
        for cut in [" (", " - ", " — ", " -- ", " – "] {
            if let Some(at) = text.find(cut) {
                text = &text[..at];
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() || c == '-' || c == '_' {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles;

    #[test]
    fn a_status_named_by_a_person_is_read_without_guessing() {
        let profile = profiles::spec_folder();
        let id = |name: &str| profile.by_id(name).unwrap_or_else(|| panic!("{name}"));
        let named = |name: &str| profile.task_status_named(name);
        for name in ["planned", "[PLANNED]", "Planned", " PLANNED "] {
            assert_eq!(named(name), NamedStatus::Found(id("planned")), "{name}");
        }
        // The tracker's own legacy spelling on a task, and kind names with one status.
        for name in ["[IN PROGRESS]", "In Progress", "in-progress", "in_progress"] {
            assert_eq!(named(name), NamedStatus::Found(id("implementing")), "{name}");
        }
        assert_eq!(named("done"), NamedStatus::Found(id("completed")));
        assert_eq!(named("cancelled"), NamedStatus::Found(id("abandoned")));
        assert_eq!(named("canceled"), NamedStatus::Found(id("abandoned")));
        // What fits several statuses is never picked.
        assert_eq!(named("failed"), NamedStatus::Ambiguous(vec![id("blocked"), id("abandoned")]));
        assert!(matches!(named("active"), NamedStatus::Ambiguous(several) if several.len() == 5));
        // A misspelling gets the closest spellings, and nothing far from it.
        assert_eq!(named("plannedd"), NamedStatus::Unknown(vec![id("planned")]));
        assert_eq!(named("implmenting"), NamedStatus::Unknown(vec![id("implementing")]));
        assert_eq!(named("shipped"), NamedStatus::Unknown(vec![]));

        let backlog = profiles::backlog(&["To Do".into(), "In Progress".into(), "Done".into()]);
        let found = |name: &str| match backlog.task_status_named(name) {
            NamedStatus::Found(it) => backlog.display(it),
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(found("done"), "Done");
        assert_eq!(found("in-progress"), "In Progress");
    }

    fn lookup(text: &str, scope: Scope) -> Lookup {
        profiles::spec_folder().lookup(Spelling::Bracket, text, scope)
    }

    fn suggestion_texts(lookup: Lookup) -> Vec<String> {
        match lookup {
            Lookup::Known(_) => panic!("expected an unknown marker"),
            Lookup::Unknown(unknown) => unknown.suggestions.into_iter().map(|it| it.text).collect(),
        }
    }

    #[test]
    fn exact_markers_are_known_in_their_scope() {
        let profile = profiles::spec_folder();
        let Lookup::Known(id) = lookup("[IMPLEMENTING]", Scope::Task) else { panic!() };
        assert_eq!(profile.status(id).id, "implementing");
        assert!(matches!(lookup("[IN PROGRESS]", Scope::Phase), Lookup::Known(_)));
    }

    #[test]
    fn misspellings_suggest_the_standard_marker() {
        assert_eq!(suggestion_texts(lookup("[IN PROGRES]", Scope::Phase)), vec!["[IN PROGRESS]"]);
        assert_eq!(suggestion_texts(lookup("[ IN PROGRESS ]", Scope::Phase)), vec!["[IN PROGRESS]"]);
        assert_eq!(suggestion_texts(lookup("[completed]", Scope::Task)), vec!["[COMPLETED]"]);
        assert_eq!(suggestion_texts(lookup("[COMPLETE]", Scope::Task)), vec!["[COMPLETED]"]);
        assert_eq!(suggestion_texts(lookup("Not Started", Scope::Task)), vec!["[NOT STARTED]"]);
        assert_eq!(suggestion_texts(lookup("[FAILED]", Scope::Task)), vec!["[BLOCKED]", "[ABANDONED]"]);
        assert!(suggestion_texts(lookup("[SKIPPED]", Scope::Phase)).is_empty());
    }

    #[test]
    fn wrong_scope_suggests_the_same_kind() {
        let Lookup::Unknown(unknown) = lookup("[IN PROGRESS]", Scope::Task) else { panic!() };
        assert!(matches!(unknown.reason, UnknownReason::WrongScope(_)));
        assert_eq!(suggestion_texts(Lookup::Unknown(unknown)), vec!["[IMPLEMENTING]"]);
        // A task-only status on a phase suggests the phase statuses of its kind.
        assert_eq!(suggestion_texts(lookup("[IMPLEMENTING]", Scope::Phase)), vec!["[IN PROGRESS]", "[PARTIAL]"]);
    }

    #[test]
    fn strict_table_forbids_backward_and_skipping_edges() {
        let profile = profiles::spec_folder();
        let id = |name: &str| profile.by_id(name).unwrap();
        assert!(!profile.allows(Scope::Task, id("completed"), id("not_started")));
        assert!(!profile.allows(Scope::Task, id("not_started"), id("completed")));
        assert!(profile.allows(Scope::Task, id("implementing"), id("completed")));
        assert!(profile.allows(Scope::Task, id("planned"), id("expanded")));
        assert!(!profile.allows(Scope::Task, id("completed"), id("expanded")));
        assert_eq!(profile.display_list(&profile.next(Scope::Task, id("completed"))), "none (terminal)");
    }

    #[test]
    fn reachability_follows_allowed_steps_through_cycles_and_stops_at_terminals() {
        let mut profile = profiles::spec_folder();
        let id = |profile: &Profile, name: &str| profile.by_id(name).unwrap();
        let reaches =
            |profile: &Profile, from: &str, to: &str| profile.reaches(Scope::Task, id(profile, from), id(profile, to));
        assert!(reaches(&profile, "not_started", "researched"), "researching between");
        assert!(reaches(&profile, "not_started", "completed"), "implementing between");
        assert!(reaches(&profile, "planned", "revised"), "revising between");
        assert!(!reaches(&profile, "implementing", "not_started"), "nothing leads back to the start");
        assert!(!reaches(&profile, "completed", "implementing"), "terminal");
        assert!(!reaches(&profile, "abandoned", "researching"), "terminal for tasks");
        // A cycle leads back to where it starts, and the walk ends.
        let revised = id(&profile, "revised");
        assert!(profile.reachable(Scope::Task, revised)[usize::from(revised.0)]);
        assert!(profile.reaches(Scope::Phase, id(&profile, "abandoned"), id(&profile, "completed")));
        assert!(!profile.reaches(Scope::Phase, id(&profile, "completed"), id(&profile, "in_progress")));

        // A learned status is reached from anywhere and leads anywhere in one step, but is no
        // way through: `[COMPLETED]` stays terminal.
        let mut learned = profile.status(id(&profile, "implementing")).clone();
        learned.id = "shipped".to_string();
        learned.marker = Some("SHIPPED".to_string());
        learned.origin = Origin::Learned;
        profile.statuses.push(learned);
        for table in [&mut profile.task_transitions, &mut profile.phase_transitions] {
            if let Some(edges) = &mut table.edges {
                edges.push(Vec::new());
            }
        }
        assert!(reaches(&profile, "completed", "shipped"));
        assert!(reaches(&profile, "shipped", "not_started"));
        assert!(!reaches(&profile, "completed", "not_started"));
        assert!(!reaches(&profile, "implementing", "not_started"));

        // No table at all: every status follows every other.
        let minsky = profiles::minsky();
        assert!(minsky.task_transitions.edges.is_none());
        assert!(minsky.ids().all(|from| minsky.ids().all(|to| minsky.reaches(Scope::Task, from, to))));
    }

    #[test]
    fn agreement_is_exact_within_a_vocabulary_and_by_kind_across() {
        let profile = profiles::spec_folder();
        let id = |name: &str| profile.by_id(name).unwrap();
        assert!(!profile.agree(id("researched"), id("planned"), true));
        assert!(profile.agree(id("implementing"), id("in_progress"), false));
        assert!(profile.agree(id("planned"), id("not_started"), false));
        assert!(!profile.agree(id("completed"), id("not_started"), false));
    }

    #[test]
    fn normalize_folds_decoration() {
        assert_eq!(normalize_word("🔄 In Progress (75%)"), "in progress");
        assert_eq!(normalize_word("**ON HOLD** - Waiting for 141"), "on hold");
        assert_eq!(normalize_word("in-progress"), "in progress");
        assert_eq!(normalize_word("✅ Complete"), "complete");
    }
}
