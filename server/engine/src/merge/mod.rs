//! The merge driver's logic: three versions of one tracker file in (the common ancestor, ours,
//! theirs), one merged text and what could not be decided out. Nothing here reads or writes a
//! file; `taskmark merge-driver` does that.
//!
//! How a tracker file is merged:
//!
//! 1. Each side is parsed by the engine's own parser for the file's role (from its path and, for
//!    a TODO.md, its content). A file that is not text, or a side that does not parse (JSON that
//!    is not JSON, broken frontmatter), is not merged at all: ours stays, and the file is a
//!    conflict, as git leaves a binary file. One that is not a tracker file is merged as plain
//!    lines instead ([`diff3::merge_bytes`]).
//! 2. Every task's status is decided once for the file ([`decide`]): the side that changed it
//!    wins; when both did, the one further along the vocabulary's transition graph; otherwise
//!    it is a conflict. The same goes for phases and checkboxes.
//! 3. The values the semantics decide (status markers, heading done marks, counters, the file's
//!    timestamps) are replaced on every side by placeholders, so that a status changed on one
//!    side and a title changed on the other are changes of different things; the lines of a
//!    task (a TODO.md section, a Task Order line, a state.json entry) become one token each, so
//!    that tasks added on both sides at the same place are both kept.
//! 4. The token sequences are merged as lines are (diff3); a stretch both sides changed is
//!    decided task by task where it holds only tasks; each task's own lines are merged the same
//!    way, the lines that state its status (its marker line, timestamps, reasons) following the
//!    decision. Lines both sides wrote at one place are all kept where they are a list's items;
//!    a field (`**Priority**:`, a JSON property) each side wrote its own way, prose each side
//!    wrote, or a status left undecided is a conflict (`fields.rs`). Every diff is paid from one
//!    cost budget for the whole merge (`diff.rs`).
//! 5. The placeholders get their decided values back; counters that either side changed are
//!    computed again from the merged tasks; state.json gets its commas back and must parse.
//! 6. Whatever either side added must still be there, unless it was a status (or its
//!    timestamps) the merge decided against: otherwise the plain line merge is used instead.

mod decide;
mod diff;
pub mod diff3;
mod fields;
mod lines;
mod lists;
mod side;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub use decide::{Because, Decision, decide, reachable};
pub use diff::Budget;
pub use diff3::Markers;

use crate::config::Vocabularies;
use crate::index::{SourceFile, WorkspaceIndex};
use crate::layout::Role;
use crate::lifecycle::collisions::{OtherVersion, id_collisions};
use crate::vocabulary::{Lookup, Profile};
use diff3::Outcome;
use lines::LineBreaks;
use side::{Side, SlotKey};

/// The characters the placeholders are made of (Unicode's private use area): a file that holds
/// them is merged as plain lines.
pub(crate) const SLOT_START: char = '\u{E000}';
pub(crate) const SLOT_END: char = '\u{E001}';

/// Past this size a side is not parsed: the line merge alone is used. Past [`MAX_LINES`] lines,
/// not even that (its cost grows with the product of the differences): the two sides are shown
/// whole, as one conflict.
const MAX_SEMANTIC_BYTES: usize = 16 << 20;
const MAX_LINES: usize = 500_000;

/// The three versions of a file and what the merge needs to read them.
pub struct MergeInput<'a> {
    /// The file's path in the repository (`%P`), `/`-separated: it decides the parser.
    pub path: &'a str,
    pub base: &'a [u8],
    pub ours: &'a [u8],
    pub theirs: &'a [u8],
    pub vocabularies: &'a Vocabularies,
    /// Files that shape the file's vocabulary (Backlog.md's `config.yml`), as the work tree has
    /// them.
    pub context: &'a [SourceFile],
    pub markers: Markers,
}

#[derive(Debug, Clone)]
pub struct MergeOutcome {
    pub text: Vec<u8>,
    /// The conflict blocks left in `text` (or 1 where the file was not merged at all); 0 means
    /// merged cleanly.
    pub conflicts: usize,
    /// Subjects whose status both sides changed, and what became of each.
    pub statuses: Vec<StatusMerge>,
    /// Ids both sides allocated for different tasks: both tasks are kept.
    pub collisions: Vec<Collision>,
    /// Why the file was merged as plain lines, or not merged at all, when it was.
    pub fallback: Option<String>,
    /// Not merged at all (a side is not text, or does not parse): `text` is ours as it was, and
    /// the file is one conflict, as git leaves a binary file.
    pub kept_ours: bool,
    /// The diffs ran out of their cost limit: what they could not line up is merged in larger
    /// stretches (a conflict where both sides changed one).
    pub cost_limited: bool,
}

impl MergeOutcome {
    fn new(text: Vec<u8>, conflicts: usize, fallback: Option<String>) -> MergeOutcome {
        MergeOutcome {
            text,
            conflicts,
            statuses: Vec::new(),
            collisions: Vec::new(),
            fallback,
            kept_ours: false,
            cost_limited: false,
        }
    }

    /// Ours as it was, and the file one conflict: git's way with a file it cannot merge.
    pub fn kept_ours(ours: &[u8], reason: String) -> MergeOutcome {
        MergeOutcome { kept_ours: true, ..MergeOutcome::new(ours.to_vec(), 1, Some(reason)) }
    }

    /// Whether the file is merged: no conflict left in it, no status left undecided, not ours
    /// kept instead of a merge. What the merge driver's exit status says.
    pub fn resolved(&self) -> bool {
        self.conflicts == 0 && !self.kept_ours && self.statuses.iter().all(|it| it.decision != Decision::Conflict)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMerge {
    /// `task 12`, `phase 12 2`, `box ... #0`.
    pub subject: String,
    pub base: Option<String>,
    pub ours: String,
    pub theirs: String,
    pub decision: Decision,
    pub because: Because,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    pub id: String,
    pub ours: String,
    pub theirs: String,
}

pub fn merge(input: &MergeInput<'_>) -> MergeOutcome {
    let (base, ours, theirs) = (input.base, input.ours, input.theirs);
    if ours == theirs || theirs == base {
        return taken(ours);
    }
    if ours == base {
        return taken(theirs);
    }
    // A file that is not text is not merged, as git does not merge a binary file: ours stays as
    // it was and the file is a conflict.
    for (name, bytes) in SIDE_NAMES.into_iter().zip([base, ours, theirs]) {
        if memchr::memchr(0, bytes).is_some() {
            return kept_ours(input, format!("{name} holds NUL bytes, so it is not text"));
        }
        if std::str::from_utf8(bytes).is_err() {
            return kept_ours(input, format!("{name} is not UTF-8 text"));
        }
    }
    let line_count = |text: &[u8]| memchr::memchr_iter(b'\n', text).count();
    if [base, ours, theirs].iter().any(|it| line_count(it) > MAX_LINES) {
        return whole_conflict(input, format!("more than {MAX_LINES} lines: both sides are shown whole"));
    }
    let plain = |reason: String| {
        let budget = Budget::default();
        let (text, conflicts) = diff3::merge_bytes(base, ours, theirs, &input.markers, &budget);
        if conflicts == 0
            && text.len() <= MAX_SEMANTIC_BYTES
            && let Some(problem) = std::str::from_utf8(&text).ok().and_then(|it| parse_problem(input, it))
        {
            return kept_ours(input, format!("{reason}, but the merged lines would not parse ({problem})"));
        }
        MergeOutcome {
            cost_limited: budget.spent(),
            ..MergeOutcome::new(text, conflicts, Some(format!("{reason}: merged as plain lines")))
        }
    };
    if [base, ours, theirs].iter().any(|it| it.len() > MAX_SEMANTIC_BYTES) {
        return plain(format!("larger than {} MiB", MAX_SEMANTIC_BYTES >> 20));
    }
    let [Ok(base), Ok(ours), Ok(theirs)] = [base, ours, theirs].map(std::str::from_utf8) else {
        return kept_ours(input, "a side is not UTF-8 text".into());
    };
    match semantic(input, base, ours, theirs) {
        Ok(outcome) => outcome,
        Err(Fallback::Plain(reason)) => plain(reason),
        Err(Fallback::Unreadable(reason)) => kept_ours(input, reason),
        Err(Fallback::Whole(reason)) => whole_conflict(input, format!("{reason}: both sides are shown whole")),
    }
}

const SIDE_NAMES: [&str; 3] = ["the common ancestor", "ours", "theirs"];

/// Why the task-by-task merge gave way.
enum Fallback {
    /// To the plain line merge, git's own for text.
    Plain(String),
    /// To no merge at all: a side the file's parser cannot read.
    Unreadable(String),
    /// To the two sides shown whole, as one conflict.
    Whole(String),
}

impl From<String> for Fallback {
    fn from(reason: String) -> Fallback {
        Fallback::Plain(reason)
    }
}

fn taken(text: &[u8]) -> MergeOutcome {
    MergeOutcome::new(text.to_vec(), 0, None)
}

fn kept_ours(input: &MergeInput<'_>, reason: String) -> MergeOutcome {
    MergeOutcome::kept_ours(input.ours, reason)
}

fn whole_conflict(input: &MergeInput<'_>, reason: String) -> MergeOutcome {
    let mut text = Vec::with_capacity(input.ours.len() + input.theirs.len() + 64);
    let end_line = |text: &mut Vec<u8>| {
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
    };
    text.extend_from_slice(input.markers.start().as_bytes());
    text.push(b'\n');
    text.extend_from_slice(input.ours);
    end_line(&mut text);
    text.extend_from_slice(input.markers.middle().as_bytes());
    text.push(b'\n');
    text.extend_from_slice(input.theirs);
    end_line(&mut text);
    text.extend_from_slice(input.markers.end().as_bytes());
    text.push(b'\n');
    MergeOutcome::new(text, 1, Some(reason))
}

/// The file's text in a one-file workspace (with the files that shape its vocabulary).
fn index_of(input: &MergeInput<'_>, text: &str) -> WorkspaceIndex {
    let mut files: Vec<SourceFile> = input.context.iter().filter(|it| it.path != input.path).cloned().collect();
    files.push(SourceFile { path: input.path.to_string(), text: Arc::from(text) });
    WorkspaceIndex::build(files, input.vocabularies)
}

/// What keeps the file's parser from reading `text`, if anything does.
fn parse_problem(input: &MergeInput<'_>, text: &str) -> Option<String> {
    let index = index_of(input, text);
    let file = index.file_id(input.path)?;
    index.parsed(file).problems.first().map(|it| it.message.to_string())
}

const BOM: &str = "\u{feff}";

fn semantic(input: &MergeInput<'_>, base: &str, ours: &str, theirs: &str) -> Result<MergeOutcome, Fallback> {
    if [base, ours, theirs].iter().any(|it| it.contains(SLOT_START) || it.contains(SLOT_END)) {
        return Err(Fallback::Plain("holds the private-use characters U+E000/U+E001 the merge works with".into()));
    }
    let boms = [base, ours, theirs].map(|it| it.starts_with(BOM));
    let bom = if boms[1] == boms[0] { boms[2] } else { boms[1] };
    let [base, ours, theirs] = [base, ours, theirs].map(|it| it.strip_prefix(BOM).unwrap_or(it));
    let breaks = [base, ours, theirs].map(LineBreaks::of);
    let normalize = !breaks.contains(&LineBreaks::Mixed);
    let line_breaks = LineBreaks::merged(breaks[0], breaks[1], breaks[2]);
    let texts = [base, ours, theirs].map(|it| if normalize { it.replace("\r\n", "\n") } else { it.to_string() });
    let [base_text, ours_text, theirs_text] = texts;
    let read = |text: String| side::read(input.path, text, input.vocabularies, input.context);
    let sides = [read(base_text), read(ours_text), read(theirs_text)];
    let role = sides[1].role();
    if !role.is_some_and(Role::is_tracker) || sides[1].profile().is_none() {
        return Err(Fallback::Plain("not a tracker file taskmark reads".into()));
    }
    for (name, side) in SIDE_NAMES.iter().zip(&sides) {
        if let Some(problem) = side.index.parsed(side.file).problems.first() {
            return Err(Fallback::Unreadable(format!("{name} does not parse ({})", problem.message)));
        }
    }
    let mut merger = Merger::new(input, sides)?;
    let merged = merger.run()?;
    let mut text = if normalize && line_breaks == LineBreaks::Crlf { merged.replace('\n', "\r\n") } else { merged };
    if bom {
        text.insert_str(0, BOM);
    }
    Ok(MergeOutcome {
        statuses: merger.reports,
        collisions: merger.collisions,
        cost_limited: merger.budget.spent(),
        ..MergeOutcome::new(text.into_bytes(), merger.conflicts, None)
    })
}

/// A token of the skeleton: a line outside every task, or the lines of one task (its segment
/// id, and 1 where a side changed a task the other removed: see [`Merger::tokens`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Token<'a> {
    Line(&'a str),
    Segment(usize, u64),
}

/// A segment's lines on one side, and which of them state its subject's status.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SegmentLines {
    subject: String,
    lines: Vec<String>,
    owned: Vec<bool>,
}

/// One side after the placeholders went in.
struct Normalized {
    lines: Vec<String>,
    tokens: Vec<TokenSpec>,
    segments: HashMap<usize, SegmentLines>,
    /// The value of each placeholder on this side.
    values: HashMap<usize, String>,
}

#[derive(Debug, Clone, Copy)]
enum TokenSpec {
    Line(usize),
    Segment(usize),
}

const BASE: usize = 0;
const OURS: usize = 1;
const THEIRS: usize = 2;

struct Merger<'a> {
    input: &'a MergeInput<'a>,
    sides: [Side; 3],
    profile: Profile,
    decisions: HashMap<String, Decision>,
    reports: Vec<StatusMerge>,
    collisions: Vec<Collision>,
    collided: HashSet<String>,
    slots: Vec<SlotKey>,
    slot_ids: HashMap<SlotKey, usize>,
    spellings: HashMap<usize, (crate::vocabulary::Spelling, crate::vocabulary::Scope)>,
    normalized: Vec<Normalized>,
    json: bool,
    conflicts: usize,
    merged_segments: HashMap<usize, Vec<(String, bool)>>,
    /// What every diff of this merge may cost, together.
    budget: Budget,
}

impl<'a> Merger<'a> {
    fn new(input: &'a MergeInput<'a>, sides: [Side; 3]) -> Result<Merger<'a>, String> {
        let profile = sides[OURS].profile().cloned().ok_or("no vocabulary for the file")?;
        let json = sides.iter().all(|it| it.json);
        let mut merger = Merger {
            input,
            sides,
            profile,
            decisions: HashMap::new(),
            reports: Vec::new(),
            collisions: Vec::new(),
            collided: HashSet::new(),
            slots: Vec::new(),
            slot_ids: HashMap::new(),
            spellings: HashMap::new(),
            normalized: Vec::new(),
            json,
            conflicts: 0,
            merged_segments: HashMap::new(),
            budget: Budget::default(),
        };
        merger.find_collisions();
        merger.decide_statuses();
        merger.normalize()?;
        Ok(merger)
    }

    /// Ids new on both sides that name different tasks: the existing `id-collision` rule,
    /// with theirs as the other branch and the common ancestor as where they parted.
    fn find_collisions(&mut self) {
        let [base, ours, theirs] = &self.sides;
        let Some(entry) = ours.index.entry(ours.file) else { return };
        let scope = entry.class.root.clone();
        let other = OtherVersion { label: "theirs", index: &theirs.index, ancestor: Some(&base.index) };
        for found in id_collisions(&ours.index, &scope, &[other]) {
            let Some(task) = found.task else { continue };
            let subject = format!("task {}", task.id);
            let title = |side: &Side| side.subjects.get(&subject).and_then(|it| it.title.clone()).unwrap_or_default();
            self.collisions.push(Collision { id: task.id.to_string(), ours: title(ours), theirs: title(theirs) });
            self.collided.insert(subject);
        }
    }

    fn decide_statuses(&mut self) {
        let [base, ours, theirs] = &self.sides;
        let mut subjects: Vec<&String> = ours.subjects.keys().filter(|it| theirs.subjects.contains_key(*it)).collect();
        subjects.sort();
        for subject in subjects {
            if self.collided.contains(subject) {
                continue;
            }
            let (Some(o), Some(t)) = (ours.subjects.get(subject), theirs.subjects.get(subject)) else { continue };
            let b = base.subjects.get(subject);
            let id = |status: Option<&String>| status.and_then(|it| self.profile.by_id(it));
            let (b_status, o_status, t_status) =
                (id(b.and_then(|it| it.status.as_ref())), id(o.status.as_ref()), id(t.status.as_ref()));
            let (mut decision, mut because) = decide(&self.profile, o.scope, b_status, o_status, t_status);
            let b_shown = b.map(|it| it.shown.as_str());
            let both_rewrote =
                o.shown != t.shown && Some(o.shown.as_str()) != b_shown && Some(t.shown.as_str()) != b_shown;
            // Two markers the vocabulary does not know, each rewritten: nothing to go by.
            if decision == Decision::Agreed && both_rewrote && o_status.is_none() {
                (decision, because) = (Decision::Conflict, Because::Undecided);
            }
            let both_changed = o_status != b_status && t_status != b_status && o_status != t_status;
            if both_changed || decision == Decision::Conflict {
                self.reports.push(StatusMerge {
                    subject: subject.clone(),
                    base: b.map(|it| it.shown.clone()),
                    ours: o.shown.clone(),
                    theirs: t.shown.clone(),
                    decision,
                    because,
                });
            }
            self.decisions.insert(subject.clone(), decision);
        }
    }

    /// Whether a value's placeholder goes in: those of subjects decided (not in conflict, on
    /// both sides, not a collision), and every counter and timestamp.
    fn placeholder(&self, key: &SlotKey) -> bool {
        match key.subject() {
            Some(subject) => self.decisions.get(subject).is_some_and(|it| *it != Decision::Conflict),
            None => true,
        }
    }

    fn normalize(&mut self) -> Result<(), String> {
        let mut normalized = Vec::with_capacity(3);
        let mut segment_ids: HashMap<(String, &'static str, usize), usize> = HashMap::new();
        let mut faithful = true;
        let mut originals: Vec<Vec<String>> = Vec::new();
        for which in [BASE, OURS, THEIRS] {
            let side = &self.sides[which];
            let mut replacements: Vec<(usize, usize, String, usize)> = Vec::new();
            for slot in &side.slots {
                if !self.placeholder(&slot.key) || side.text[slot.range].contains('\n') {
                    continue;
                }
                let next = self.slot_ids.len();
                let id = *self.slot_ids.entry(slot.key.clone()).or_insert(next);
                if id == self.slots.len() {
                    self.slots.push(slot.key.clone());
                }
                if let Some(spelling) = slot.spelling {
                    self.spellings.entry(id).or_insert(spelling);
                }
                replacements.push((
                    usize::from(slot.range.start()),
                    usize::from(slot.range.end()),
                    slot.value.clone(),
                    id,
                ));
            }
            replacements.sort_by_key(|it| (it.0, it.1));
            let mut text = String::with_capacity(side.text.len());
            let mut values = HashMap::new();
            let mut at = 0;
            for (start, end, value, id) in replacements {
                if start < at {
                    continue;
                }
                text.push_str(&side.text[at..start]);
                text.push(SLOT_START);
                text.push_str(&id.to_string());
                text.push(SLOT_END);
                values.insert(id, value);
                at = end;
            }
            text.push_str(&side.text[at..]);
            let mut lines: Vec<String> = lines::split(&text).into_iter().map(str::to_string).collect();
            if lines.len() != side.owner.len() {
                return Err("the placeholders changed the lines".into());
            }
            if self.json {
                let stripped = lines::strip_commas(&lines);
                let markers = &self.input.markers;
                faithful &= lines::restore_commas(&stripped, &|line| markers.is_marker(line)) == lines;
                originals.push(std::mem::replace(&mut lines, stripped));
            }
            normalized.push((lines, values));
        }
        // The commas come off only if they come back exactly on every side; otherwise the
        // entries are merged with their commas (and the result must still parse).
        if self.json && !faithful {
            self.json = false;
            for (side, original) in normalized.iter_mut().zip(originals) {
                side.0 = original;
            }
        }
        for (which, (lines, values)) in normalized.into_iter().enumerate() {
            let side = &self.sides[which];
            // The outermost segments, in order, never overlapping.
            let mut candidates: Vec<&side::Segment> = side.segments.iter().collect();
            candidates.sort_by_key(|it| (it.lines.start, std::cmp::Reverse(it.lines.end)));
            let mut chosen: Vec<&side::Segment> = Vec::new();
            for segment in candidates {
                if chosen.last().is_none_or(|it| segment.lines.start >= it.lines.end) {
                    chosen.push(segment);
                }
            }
            let mut tokens = Vec::new();
            let mut segments = HashMap::new();
            let mut line = 0;
            for segment in chosen {
                tokens.extend((line..segment.lines.start).map(TokenSpec::Line));
                let subject = if which == THEIRS && self.collided.contains(&segment.subject) {
                    format!("{} (theirs)", segment.subject)
                } else {
                    segment.subject.clone()
                };
                let next = segment_ids.len();
                let id = *segment_ids.entry((subject, segment.group, segment.n)).or_insert(next);
                let content: Vec<String> = lines[segment.lines.clone()].to_vec();
                let owned: Vec<bool> = segment
                    .lines
                    .clone()
                    .map(|it| side.owner.get(it).and_then(|it| it.as_ref()) == Some(&segment.subject))
                    .collect();
                tokens.push(TokenSpec::Segment(id));
                segments.insert(id, SegmentLines { subject: segment.subject.clone(), lines: content, owned });
                line = segment.lines.end;
            }
            tokens.extend((line..lines.len()).map(TokenSpec::Line));
            self.normalized.push(Normalized { lines, tokens, segments, values });
        }
        Ok(())
    }

    /// A side's skeleton. A task is the same token wherever it is and whatever it holds (its
    /// content is merged on its own), except where this side changed a task the other side
    /// removed: that token differs from the ancestor's, so that the line merge sees both sides
    /// changing the same place, and the conflict shows.
    fn tokens(&self, which: usize) -> Vec<Token<'_>> {
        let side = &self.normalized[which];
        let removed_and_changed = |id: usize| which != BASE && self.removed_and_changed(id);
        side.tokens
            .iter()
            .map(|it| match *it {
                TokenSpec::Line(line) => Token::Line(&side.lines[line]),
                TokenSpec::Segment(id) => Token::Segment(id, u64::from(removed_and_changed(id))),
            })
            .collect()
    }

    fn run(&mut self) -> Result<String, Fallback> {
        let tokens = [self.tokens(BASE), self.tokens(OURS), self.tokens(THEIRS)];
        let chunks = diff3::merge(&tokens[BASE], &tokens[OURS], &tokens[THEIRS], &self.budget);
        let owned_tokens: [Vec<OwnedToken>; 3] = tokens.map(|side| side.into_iter().map(OwnedToken::from).collect());
        let mut out = Output::default();
        let mut emitted: HashSet<usize> = HashSet::new();
        // The lines outside tasks the merge took (not those in conflicts).
        let mut free: Vec<String> = Vec::new();
        let mut pieces: Vec<(Option<Vec<OwnedToken>>, diff3::Chunk)> = Vec::new();
        for chunk in chunks {
            let pick = |which: usize, range: std::ops::Range<usize>| owned_tokens[which][range].to_vec();
            let resolved = match chunk.outcome {
                Outcome::Unchanged | Outcome::Ours | Outcome::Both => Some(pick(OURS, chunk.ours.clone())),
                Outcome::Theirs => Some(pick(THEIRS, chunk.theirs.clone())),
                Outcome::Conflict => self.resolve_stretch(
                    &owned_tokens[BASE][chunk.base.clone()],
                    &owned_tokens[OURS][chunk.ours.clone()],
                    &owned_tokens[THEIRS][chunk.theirs.clone()],
                ),
            };
            pieces.push((resolved, chunk));
        }
        if self.json && pieces.iter().all(|(resolved, _)| resolved.is_some()) {
            // Stretches merged apart can leave an entry in another list than the one its side
            // put it in (an entry moved to `completed_projects` on one side, entries added
            // after it on the other): each goes back to its list.
            let merged: Vec<OwnedToken> = pieces.iter().flat_map(|(it, _)| it.iter().flatten().cloned()).collect();
            let relocated = lists::relocate(merged, &owned_tokens)
                .ok_or_else(|| Fallback::Plain("an entry's list could not be told after the merge".into()))?;
            if let Some((_, chunk)) = pieces.first() {
                pieces = vec![(Some(relocated), chunk.clone())];
            }
        }
        for (resolved, chunk) in pieces {
            match resolved {
                Some(tokens) => {
                    for token in tokens {
                        if let OwnedToken::Line(line) = &token {
                            free.push(line.clone());
                        }
                        self.emit(&token, &mut out, &mut |id| emitted.insert(id));
                    }
                }
                None => {
                    // Each side of the conflict shows its tasks that are not already out.
                    let mut sides =
                        [(OURS, chunk.ours.clone()), (THEIRS, chunk.theirs.clone())].map(|(which, range)| {
                            let mut lines = Output::default();
                            let mut seen = HashSet::new();
                            for token in &owned_tokens[which][range] {
                                self.emit(token, &mut lines, &mut |id| !emitted.contains(&id) && seen.insert(id));
                            }
                            (lines, seen)
                        });
                    for (_, seen) in &mut sides {
                        emitted.extend(seen.drain());
                    }
                    let [(ours, _), (theirs, _)] = sides;
                    out.conflict(ours, theirs, &self.input.markers);
                }
            }
        }
        if emitted != self.expected_segments() {
            return Err(Fallback::Plain("the task-by-task merge lost track of a task".into()));
        }
        self.check_nothing_lost(&out)?;
        // Lines outside tasks (a plan's header, a task file's fields) merged apart can still say
        // two things of one field: then neither side's version is taken over the other's.
        let [ours_free, theirs_free] = [OURS, THEIRS].map(|which| self.free_lines(which));
        let merged = free.iter().map(|it| (it.as_str(), false));
        if let Some(name) = fields::written_twice(merged, &ours_free, &theirs_free, self.json) {
            return Err(Fallback::Whole(format!("each side wrote `{name}` its own way")));
        }
        self.conflicts =
            out.marker.iter().zip(&out.lines).filter(|(marker, line)| **marker && line.starts_with('<')).count();
        let values = self.values();
        let mut lines: Vec<String> = out.lines.iter().map(|line| fill(line, &values)).collect();
        if self.json {
            let markers = &self.input.markers;
            lines = lines::restore_commas(&lines, &|line| markers.is_marker(line));
        }
        let mut text = lines.concat();
        if self.conflicts == 0 {
            // One parse of the merge serves both: recounting changes digits only, which cannot
            // make the file stop parsing.
            let index = index_of(self.input, &text);
            if let Some(problem) = index.file_id(self.input.path).and_then(|it| index.parsed(it).problems.first()) {
                return Err(Fallback::Plain(format!("the merged file would not parse ({})", problem.message)));
            }
            text = self.recount(text, &index);
        }
        Ok(text)
    }

    /// A side's lines outside tasks.
    fn free_lines(&self, which: usize) -> Vec<String> {
        let side = &self.normalized[which];
        side.tokens
            .iter()
            .filter_map(|it| if let TokenSpec::Line(line) = it { side.lines.get(*line).cloned() } else { None })
            .collect()
    }

    /// Writes a token's lines; `first` says whether a task is written here for the first time
    /// (and notes that it is).
    fn emit(&mut self, token: &OwnedToken, out: &mut Output, first: &mut dyn FnMut(usize) -> bool) {
        // However the line merge lined the tasks up, one removed on one side and left alone on
        // the other is gone.
        if let OwnedToken::Segment(id, _) | OwnedToken::Joined(id) = token
            && self.removed_unchanged(*id)
        {
            return;
        }
        match token {
            OwnedToken::Line(line) => out.push(line.clone(), false),
            OwnedToken::Segment(id, _) | OwnedToken::Joined(id) if self.removed_and_changed(*id) => {
                // Changed on one side, removed on the other: a conflict between the task and
                // nothing.
                if !first(*id) {
                    return;
                }
                let mut changed = Output::default();
                for (line, marker) in self.segment(*id) {
                    changed.push(line, marker);
                }
                let removed = Output::default();
                if self.segment_on(THEIRS, *id).is_none() {
                    out.conflict(changed, removed, &self.input.markers);
                } else {
                    out.conflict(removed, changed, &self.input.markers);
                }
            }
            OwnedToken::Segment(id, _) | OwnedToken::Joined(id) => {
                // A task both sides moved, to different places, is kept at the first.
                if !first(*id) {
                    return;
                }
                let lines = self.segment(*id);
                // A section added beside one the other side added is set apart as sections are.
                let heading = lines.first().is_some_and(|(line, _)| line.starts_with('#'));
                if matches!(token, OwnedToken::Joined(_))
                    && heading
                    && out.lines.last().is_some_and(|it| !it.trim().is_empty())
                {
                    out.end_line();
                    out.push("\n".to_string(), false);
                }
                for (line, marker) in lines {
                    out.push(line, marker);
                }
            }
        }
    }

    /// Whether one side removed the segment and the other left it as it was.
    fn removed_unchanged(&self, id: usize) -> bool {
        let Some(base) = self.segment_on(BASE, id) else { return false };
        match (self.segment_on(OURS, id), self.segment_on(THEIRS, id)) {
            (Some(kept), None) | (None, Some(kept)) => kept.lines == base.lines,
            _ => false,
        }
    }

    /// Every segment either side has, but those one side removed and the other left alone.
    fn expected_segments(&self) -> HashSet<usize> {
        let mut out: HashSet<usize> = HashSet::new();
        for which in [OURS, THEIRS] {
            out.extend(self.normalized[which].segments.keys().copied().filter(|id| !self.removed_unchanged(*id)));
        }
        out
    }

    /// Whether one side removed the segment and the other changed it.
    fn removed_and_changed(&self, id: usize) -> bool {
        let Some(base) = self.segment_on(BASE, id) else { return false };
        match (self.segment_on(OURS, id), self.segment_on(THEIRS, id)) {
            (Some(kept), None) | (None, Some(kept)) => kept.lines != base.lines,
            _ => false,
        }
    }

    fn segment_on(&self, which: usize, id: usize) -> Option<&SegmentLines> {
        self.normalized[which].segments.get(&id)
    }

    /// A stretch both sides changed: decided when what differs is which tasks are there (tasks
    /// added on both sides, moved, removed) and the lines around them changed on one side at
    /// most. `None` leaves it a conflict.
    fn resolve_stretch(
        &self,
        base: &[OwnedToken],
        ours: &[OwnedToken],
        theirs: &[OwnedToken],
    ) -> Option<Vec<OwnedToken>> {
        let free = |tokens: &[OwnedToken]| -> Vec<String> {
            tokens
                .iter()
                .filter_map(|it| if let OwnedToken::Line(line) = it { Some(line.clone()) } else { None })
                .collect()
        };
        let ids = |tokens: &[OwnedToken]| -> Vec<usize> {
            tokens
                .iter()
                .filter_map(|it| match it {
                    OwnedToken::Segment(id, _) | OwnedToken::Joined(id) => Some(*id),
                    OwnedToken::Line(_) => None,
                })
                .collect()
        };
        let (free_base, free_ours, free_theirs) = (free(base), free(ours), free(theirs));
        let (here_base, here_ours, here_theirs) = (ids(base), ids(ours), ids(theirs));
        if here_ours.is_empty() && here_theirs.is_empty() {
            return None;
        }
        // Looked up once per task: sets, so that a stretch of many tasks costs no more than it holds.
        let set = |ids: &[usize]| -> HashSet<usize> { ids.iter().copied().collect() };
        let (in_base_here, in_ours_here, in_theirs_here) = (set(&here_base), set(&here_ours), set(&here_theirs));
        let anywhere = |which: usize, id: usize| self.segment_on(which, id).is_some();
        // Whether a segment of `side`'s stretch stays here, given what the other side did to it.
        let keeps = |side: usize, other: usize, here_other: &HashSet<usize>, id: usize| -> Option<bool> {
            let in_base_here = in_base_here.contains(&id);
            if anywhere(BASE, id) && !anywhere(other, id) {
                // The other side removed it: gone if this side left it as it was, else kept, to
                // be shown as a conflict with nothing (see `emit`).
                let same =
                    self.segment_on(side, id).map(|it| &it.lines) == self.segment_on(BASE, id).map(|it| &it.lines);
                return Some(!same);
            }
            if in_base_here && !here_other.contains(&id) && anywhere(other, id) {
                // The other side moved it away from here.
                return Some(false);
            }
            Some(true)
        };
        let mut kept_ours = Vec::new();
        for id in &here_ours {
            if keeps(OURS, THEIRS, &in_theirs_here, *id)? {
                kept_ours.push(*id);
            }
        }
        let mut kept_theirs = Vec::new();
        for id in here_theirs.iter().filter(|it| !in_ours_here.contains(it)) {
            if keeps(THEIRS, OURS, &in_ours_here, *id)? {
                kept_theirs.push(*id);
            }
        }
        // Lines outside tasks: one side's, when the other left them as they were. Blank lines
        // between tasks only set them apart (each task a side adds brings one, so two sides that
        // added different numbers of tasks differ in them, issue 32): a side that changed no
        // other line outside tasks left them as they were, and the tasks the other side's lines
        // go without are set apart again as they are written (`emit`). Ours is the template
        // whenever it can be, so that the tasks both sides added come ours first, as they do
        // wherever the sides differ in nothing else.
        let (prose_base, prose_ours, prose_theirs) = (prose(&free_base), prose(&free_ours), prose(&free_theirs));
        let (template, others) = if free_theirs == free_base
            || free_theirs == free_ours
            || prose_theirs == prose_base
            || prose_theirs == prose_ours
        {
            (ours, kept_theirs.clone())
        } else if prose_ours == prose_base {
            (theirs, kept_ours.iter().filter(|it| !in_theirs_here.contains(it)).copied().collect::<Vec<_>>())
        } else {
            return None;
        };
        let kept: HashSet<usize> = kept_ours.iter().chain(&kept_theirs).copied().collect();
        let keep = |id: &usize| kept.contains(id);
        let mut out: Vec<OwnedToken> = Vec::new();
        let mut last_segment = None;
        for token in template {
            match token {
                OwnedToken::Line(_) => out.push(token.clone()),
                OwnedToken::Segment(id, _) | OwnedToken::Joined(id) if keep(id) => {
                    out.push(token.clone());
                    last_segment = Some(out.len());
                }
                OwnedToken::Segment(..) | OwnedToken::Joined(_) => {}
            }
        }
        let at = last_segment.unwrap_or(out.len());
        let inserted: Vec<OwnedToken> = others.iter().map(|id| OwnedToken::Joined(*id)).collect();
        out.splice(at..at, inserted);
        Some(out)
    }

    /// A segment's merged lines (with whether each is a conflict marker).
    fn segment(&mut self, id: usize) -> Vec<(String, bool)> {
        if let Some(done) = self.merged_segments.get(&id) {
            return done.clone();
        }
        let merged = self.merge_segment(id);
        self.merged_segments.insert(id, merged.clone());
        merged
    }

    fn merge_segment(&self, id: usize) -> Vec<(String, bool)> {
        let lines_of = |it: &SegmentLines| it.lines.iter().map(|line| (line.clone(), false)).collect();
        let (base, ours, theirs) = (self.segment_on(BASE, id), self.segment_on(OURS, id), self.segment_on(THEIRS, id));
        let (ours, theirs) = match (ours, theirs) {
            (Some(ours), Some(theirs)) => (ours, theirs),
            (Some(one), None) | (None, Some(one)) => return lines_of(one),
            (None, None) => return base.map(lines_of).unwrap_or_default(),
        };
        // Most tasks are the same on every side, or changed on one.
        if ours.lines == theirs.lines || base.is_some_and(|it| it.lines == theirs.lines) {
            return lines_of(ours);
        }
        if base.is_some_and(|it| it.lines == ours.lines) {
            return lines_of(theirs);
        }
        let empty = SegmentLines { subject: ours.subject.clone(), lines: Vec::new(), owned: Vec::new() };
        let base = base.unwrap_or(&empty);
        let decision = self.decisions.get(&ours.subject).copied().unwrap_or(Decision::Conflict);
        let mut out = Output::default();
        let take = |out: &mut Output, side: &SegmentLines, range: std::ops::Range<usize>| {
            for line in &side.lines[range] {
                out.push(line.clone(), false);
            }
        };
        for chunk in diff3::merge(&base.lines, &ours.lines, &theirs.lines, &self.budget) {
            match chunk.outcome {
                Outcome::Unchanged | Outcome::Ours | Outcome::Both => take(&mut out, ours, chunk.ours),
                Outcome::Theirs => take(&mut out, theirs, chunk.theirs),
                Outcome::Conflict => match self.resolve_lines(decision, base, ours, theirs, &chunk) {
                    Some(lines) => {
                        for line in lines {
                            out.push(line.clone(), false);
                        }
                    }
                    None => {
                        let mut mine = Output::default();
                        take(&mut mine, ours, chunk.ours);
                        let mut other = Output::default();
                        take(&mut other, theirs, chunk.theirs);
                        out.conflict(mine, other, &self.input.markers);
                    }
                },
            }
        }
        // Lines merged apart can still say two things of one task (a priority each side added
        // at a different place): then the task is one conflict.
        let merged = out.lines.iter().map(String::as_str).zip(out.marker.iter().copied());
        if fields::written_twice(merged, &ours.lines, &theirs.lines, self.json).is_some() {
            return whole_conflict_of(&ours.lines, &theirs.lines, &self.input.markers);
        }
        out.lines.into_iter().zip(out.marker).collect()
    }

    /// The lines of a stretch of a task both sides changed, when the merge can decide them: the
    /// lines that state the status follow the decision, with what else the losing side added
    /// after them; lines both sides only added are all kept. Unless, either way, the two sides
    /// wrote one field differently, or each its own prose, or the status is undecided: `None`,
    /// a conflict.
    fn resolve_lines<'s>(
        &self,
        decision: Decision,
        base: &'s SegmentLines,
        ours: &'s SegmentLines,
        theirs: &'s SegmentLines,
        chunk: &diff3::Chunk,
    ) -> Option<Vec<&'s String>> {
        let base_owned = base.owned[chunk.base.clone()].iter().all(|it| *it);
        let status_lines = ours.owned[chunk.ours.clone()].iter().any(|it| *it)
            || theirs.owned[chunk.theirs.clone()].iter().any(|it| *it);
        let decided = decision != Decision::Conflict;
        if !decided && status_lines {
            return None;
        }
        let (won, won_range, lost, lost_range) = if decision == Decision::Theirs {
            (theirs, chunk.theirs.clone(), ours, chunk.ours.clone())
        } else {
            (ours, chunk.ours.clone(), theirs, chunk.theirs.clone())
        };
        let unowned = |side: &'s SegmentLines, range: std::ops::Range<usize>| {
            range.filter(move |it| !side.owned[*it]).map(move |it| &side.lines[it])
        };
        // The lines taken as they are, the lines of the other side added after them, and the
        // lines of each side that must not say two things of one field.
        let (first, added, compared): (&[String], Vec<&String>, [Vec<&String>; 2]) =
            if decided && base_owned && status_lines {
                let won_lines = &won.lines[won_range.clone()];
                let known: HashSet<&String> = won_lines.iter().chain(&base.lines[chunk.base.clone()]).collect();
                let added: Vec<&String> = unowned(lost, lost_range).filter(|line| !known.contains(line)).collect();
                (won_lines, added.clone(), [unowned(won, won_range).collect(), added])
            } else if chunk.base.is_empty() {
                // Both only added lines at the same place: ours, then what theirs has besides.
                let (ours_lines, theirs_lines) = (&ours.lines[chunk.ours.clone()], &theirs.lines[chunk.theirs.clone()]);
                let known: HashSet<&String> = ours_lines.iter().collect();
                let added: Vec<&String> = theirs_lines.iter().filter(|line| !known.contains(line)).collect();
                (ours_lines, added, [ours_lines.iter().collect(), theirs_lines.iter().collect()])
            } else {
                return None;
            };
        let [one, other] = compared.map(|lines| lines.into_iter().map(String::as_str));
        fields::both_kept(one, other, self.json).then(|| first.iter().chain(added).collect())
    }

    /// Every line either side added is in the merge, unless it states a status the merge
    /// decided against (or one of that status' timestamps).
    fn check_nothing_lost(&self, out: &Output) -> Result<(), String> {
        let present: HashSet<&str> = out.lines.iter().map(|it| lines::content(it)).collect();
        // Added: written more often on the side than in the ancestor (by count, not by where a
        // line diff puts it, which can take a moved line for an added one).
        let mut in_base: HashMap<&str, usize> = HashMap::new();
        for line in &self.normalized[BASE].lines {
            *in_base.entry(lines::content(line)).or_default() += 1;
        }
        for which in [OURS, THEIRS] {
            let owner = &self.sides[which].owner;
            let mut in_side: HashMap<&str, usize> = HashMap::new();
            for line in &self.normalized[which].lines {
                *in_side.entry(lines::content(line)).or_default() += 1;
            }
            for (index, line) in self.normalized[which].lines.iter().enumerate() {
                let line = lines::content(line);
                if line.trim().is_empty()
                    || present.contains(line)
                    || in_side.get(line).copied().unwrap_or(0) <= in_base.get(line).copied().unwrap_or(0)
                {
                    continue;
                }
                let lost_decision = owner.get(index).and_then(|it| it.as_ref()).is_some_and(|subject| {
                    match self.decisions.get(subject) {
                        Some(Decision::Ours) | Some(Decision::Agreed) => which == THEIRS,
                        Some(Decision::Theirs) => which == OURS,
                        Some(Decision::Conflict) | None => false,
                    }
                });
                if !lost_decision {
                    return Err(format!(
                        "the task-by-task merge would drop a line {} added ({})",
                        if which == OURS { "ours" } else { "theirs" },
                        line.trim()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The decided value of each placeholder.
    fn values(&self) -> HashMap<usize, String> {
        let mut out = HashMap::new();
        for (id, key) in self.slots.iter().enumerate() {
            let [b, o, t] = [BASE, OURS, THEIRS].map(|which| self.normalized[which].values.get(&id));
            let three_way = |tie: Option<&'_ String>| -> Option<String> {
                let it = if o == t {
                    o
                } else if o == b {
                    t
                } else if t == b {
                    o
                } else {
                    tie
                };
                it.or(o).or(t).or(b).cloned()
            };
            let value = match key {
                SlotKey::Counter(name) => {
                    if o != b && t != b && o != t {
                        let number = |it: Option<&String>| it.and_then(|it| it.trim().parse::<i128>().ok());
                        match (number(b), number(o), number(t)) {
                            (_, Some(o), Some(t)) if name == "next_project_number" => Some(o.max(t).to_string()),
                            (Some(b), Some(o), Some(t)) => Some((o + t - b).max(0).to_string()),
                            _ => three_way(o),
                        }
                    } else {
                        three_way(o)
                    }
                }
                SlotKey::Timestamp { .. } => three_way(o.max(t)),
                _ => {
                    let subject = key.subject().unwrap_or_default();
                    match self.decisions.get(subject) {
                        Some(Decision::Ours) if o.is_some() => o.cloned(),
                        Some(Decision::Theirs) if t.is_some() => t.cloned(),
                        Some(decision) => self.respelled(id, key, three_way(o), *decision),
                        None => three_way(o),
                    }
                }
            };
            out.insert(id, value.unwrap_or_default());
        }
        out
    }

    /// A marker only the losing side has (a Task Order line it added) spelled in the winning
    /// status, so that the task's places agree after the merge.
    fn respelled(&self, id: usize, key: &SlotKey, value: Option<String>, decision: Decision) -> Option<String> {
        let winner = match decision {
            Decision::Ours => OURS,
            Decision::Theirs => THEIRS,
            Decision::Agreed | Decision::Conflict => return value,
        };
        let (SlotKey::Marker { subject, .. }, Some((spelling, scope)), Some(current)) =
            (key, self.spellings.get(&id), value.as_ref())
        else {
            return value;
        };
        let wanted = self.sides[winner].subjects.get(subject).and_then(|it| it.status.as_ref());
        let Some(wanted) = wanted.and_then(|it| self.profile.by_id(it)) else { return value };
        if let Lookup::Known(it) = self.profile.lookup(*spelling, current, *scope)
            && it == wanted
        {
            return value;
        }
        let def = self.profile.status(wanted);
        if def.in_scope(*scope) { def.spelled(*spelling).or(value) } else { value }
    }

    /// Counters either side changed, computed again from the merged tasks (`task_counts` exactly,
    /// `next_project_number` at least above every id).
    fn recount(&self, text: String, index: &WorkspaceIndex) -> String {
        let changed: HashSet<&str> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(id, key)| {
                let SlotKey::Counter(name) = key else { return None };
                let [b, o, t] = [BASE, OURS, THEIRS].map(|which| self.normalized[which].values.get(&id));
                (o != b || t != b).then_some(name.as_str())
            })
            .collect();
        if changed.is_empty() {
            return text;
        }
        let Some(file) = index.file_id(self.input.path) else { return text };
        let mut edits: Vec<(crate::text::TextRange, String)> = crate::rules::counters::expectations(index, file)
            .into_iter()
            .filter(|it| changed.contains(it.counter.key.as_str()))
            // A counter two readings give two values for keeps what the merge gave it.
            .filter(|it| !it.is_stale() || it.has_one_value())
            .filter_map(|it| {
                let value = if it.at_least { it.counter.value.max(it.expected) } else { it.kept() };
                (value != it.counter.value).then(|| (it.counter.range, value.to_string()))
            })
            .collect();
        edits.sort_by_key(|it| std::cmp::Reverse(it.0.start()));
        let mut text = text;
        for (range, value) in edits {
            text.replace_range(std::ops::Range::<usize>::from(range), &value);
        }
        text
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedToken {
    Line(String),
    Segment(usize, u64),
    /// A segment the other side added where this one added others.
    Joined(usize),
}

impl From<Token<'_>> for OwnedToken {
    fn from(token: Token<'_>) -> OwnedToken {
        match token {
            Token::Line(line) => OwnedToken::Line(line.to_string()),
            Token::Segment(id, hash) => OwnedToken::Segment(id, hash),
        }
    }
}

/// Merged lines, each with whether it is a conflict marker.
#[derive(Debug, Default)]
struct Output {
    lines: Vec<String>,
    marker: Vec<bool>,
}

impl Output {
    fn push(&mut self, line: String, marker: bool) {
        self.lines.push(line);
        self.marker.push(marker);
    }

    fn end_line(&mut self) {
        if let Some(last) = self.lines.last_mut()
            && !last.ends_with('\n')
        {
            last.push('\n');
        }
    }

    fn conflict(&mut self, ours: Output, theirs: Output, markers: &Markers) {
        self.end_line();
        self.push(format!("{}\n", markers.start()), true);
        self.lines.extend(ours.lines);
        self.marker.extend(ours.marker);
        self.end_line();
        self.push(format!("{}\n", markers.middle()), true);
        self.lines.extend(theirs.lines);
        self.marker.extend(theirs.marker);
        self.end_line();
        self.push(format!("{}\n", markers.end()), true);
    }
}

/// Two versions of a task as one conflict, with the lines they begin and end with alike outside
/// it.
fn whole_conflict_of(ours: &[String], theirs: &[String], markers: &Markers) -> Vec<(String, bool)> {
    let prefix = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let rest = ours.len().min(theirs.len()) - prefix;
    let suffix = ours.iter().rev().zip(theirs.iter().rev()).take(rest).take_while(|(a, b)| a == b).count();
    let lines = |side: &[String]| {
        let mut out = Output::default();
        for line in side {
            out.push(line.clone(), false);
        }
        out
    };
    let mut out = lines(&ours[..prefix]);
    out.conflict(lines(&ours[prefix..ours.len() - suffix]), lines(&theirs[prefix..theirs.len() - suffix]), markers);
    let end = lines(&ours[ours.len() - suffix..]);
    out.lines.extend(end.lines);
    out.marker.extend(end.marker);
    out.lines.into_iter().zip(out.marker).collect()
}

/// The lines outside tasks that say something: all but the blank ones.
fn prose(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).filter(|it| !it.trim().is_empty()).collect()
}

/// A line with its placeholders replaced by their values.
fn fill(line: &str, values: &HashMap<usize, String>) -> String {
    if !line.contains(SLOT_START) {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(SLOT_START) {
        out.push_str(&rest[..start]);
        let after = &rest[start + SLOT_START.len_utf8()..];
        let Some(end) = after.find(SLOT_END) else {
            out.push_str(&rest[start..]);
            return out;
        };
        match after[..end].parse::<usize>().ok().and_then(|id| values.get(&id)) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + SLOT_START.len_utf8() + end + SLOT_END.len_utf8()]),
        }
        rest = &after[end + SLOT_END.len_utf8()..];
    }
    out.push_str(rest);
    out
}
