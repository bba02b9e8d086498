//! Fixes for diagnostics, as edit plans. Each fix hint offers one or more choices; the LSP
//! shows them as code actions, `taskmark fix` applies the first safe one.

use std::collections::{BTreeMap, HashSet};

use crate::diagnostic::{Diagnostic, FixHint, Parent, RuleCode};
use crate::edit::{FileChange, FixCheck, Refusal, StatusChangeOptions, WorkspaceChange, plan_status_change};
use crate::index::{PlaceRef, WorkspaceIndex};
use crate::model::{FieldInsert, FieldStyle, PlaceKind, TaskKey};
use crate::parse::is_timestamp_field;
use crate::rules::{DiagnosticStore, counters};
use crate::text::{Change, TextEdit, line_edits, line_ending, range};
use crate::vocabulary::{Kind, Spelling, StatusId};

/// The titles of the choices a diagnostic's fix offers, in order.
pub fn fix_titles(index: &WorkspaceIndex, diagnostic: &Diagnostic) -> Vec<String> {
    let Some(fix) = &diagnostic.fix else { return Vec::new() };
    let profile = index.profile(diagnostic.file);
    match fix {
        FixHint::ReplaceMarker { replacements, .. } => {
            replacements.iter().map(|it| format!("Replace with `{it}`")).collect()
        }
        FixHint::AlignTask { task, candidates, .. } => match index.task_profile(task) {
            Some(profile) => candidates
                .iter()
                .map(|it| format!("Make every place of task {task} say `{}`", profile.display(*it)))
                .collect(),
            None => Vec::new(),
        },
        FixHint::DeriveHeader { status, .. } => match profile {
            Some(profile) => vec![format!("Set the plan header to `{}` from its phases", profile.display(*status))],
            None => Vec::new(),
        },
        FixHint::AlignPlaces { places, candidates } => match (profile, places.first()) {
            (Some(profile), Some(first)) => {
                let subject = match &index.place(*first).subject {
                    crate::model::Subject::Phase(phase) => format!("phase {}", phase.number),
                    crate::model::Subject::Task(task) => format!("task {task}"),
                };
                candidates
                    .iter()
                    .map(|it| format!("Make every place of {subject} say `{}`", profile.display(*it)))
                    .collect()
            }
            _ => Vec::new(),
        },
        FixHint::CloseChildren { parent } => {
            let parent_place = match parent {
                Parent::Place(place) => index.parsed(diagnostic.file).places.get(*place),
                Parent::Item(_) => None,
            };
            let close = match parent_place {
                Some(place) if place.has_subtasks() => "Close the open subtasks",
                Some(place) if !place.child_places.is_empty() => "Check the remaining boxes and close the open phases",
                _ => "Check the remaining boxes",
            };
            // Named, so that the fixes of several parents in one selection tell apart.
            let parent = parent_name(index, diagnostic.file, parent);
            vec![format!("{close} under {parent}"), format!("Demote {parent} to an open status")]
        }
        FixHint::AddField { field, .. } => vec![format!("Add the **{field}** field")],
        FixHint::RecomputeCounters => vec!["Recompute the counters".into()],
        FixHint::RemoveTrailing { .. } => vec!["Remove the text after the marker".into()],
        FixHint::Replace { title, .. } => vec![title.clone()],
    }
}

/// Whether the diagnostic's first fix choice only restates what the files already say (a
/// marker's standard spelling, recounted counters, a plan header derived from its phases), so
/// `taskmark fix` may apply it without asking.
pub fn is_safe_fix(diagnostic: &Diagnostic) -> bool {
    matches!(
        diagnostic.fix,
        Some(
            FixHint::ReplaceMarker { certain: true, .. }
                | FixHint::RecomputeCounters
                | FixHint::DeriveHeader { .. }
                | FixHint::AlignTask { regenerates: true, .. }
        )
    )
}

/// Plans choice `choice` of the diagnostic's fix.
pub fn plan_fix(
    index: &WorkspaceIndex,
    diagnostic: &Diagnostic,
    choice: usize,
    options: &StatusChangeOptions,
) -> Result<WorkspaceChange, Refusal> {
    let change = plan(index, diagnostic, choice, options)?;
    change.validate(index)?;
    Ok(change)
}

fn plan(
    index: &WorkspaceIndex,
    diagnostic: &Diagnostic,
    choice: usize,
    options: &StatusChangeOptions,
) -> Result<WorkspaceChange, Refusal> {
    let fix =
        diagnostic.fix.as_ref().ok_or_else(|| Refusal::NoFix(format!("{} has no automatic fix", diagnostic.code)))?;
    let file = diagnostic.file;
    let title = fix_titles(index, diagnostic)
        .get(choice)
        .cloned()
        .ok_or_else(|| Refusal::NoFix(format!("no fix choice {choice}")))?;
    let mut change = WorkspaceChange { label: title, ..Default::default() };
    let profile = index.profile(file).ok_or_else(|| Refusal::NoFix("the file belongs to no tracker".into()))?;
    match fix {
        FixHint::ReplaceMarker { replacements, .. } => {
            change.edit(index, file, TextEdit::replace(diagnostic.range, replacements[choice].clone()));
        }
        FixHint::AlignTask { task, candidates, .. } => {
            let status = &profile.status(candidates[choice]).id;
            let options = StatusChangeOptions { force: true, restamp: false, ..options.clone() };
            let mut aligned = plan_status_change(index, task, status, &options)?;
            aligned.label = change.label;
            return Ok(aligned);
        }
        FixHint::DeriveHeader { place, status } => {
            let place = &index.parsed(file).places[*place];
            let text = profile
                .status(*status)
                .spelled(place.marker.spelling)
                .ok_or_else(|| Refusal::NoFix("the header cannot spell that status".into()))?;
            change.edit(index, file, TextEdit::replace(place.marker.range, text));
        }
        FixHint::AlignPlaces { places, candidates } => {
            let target = candidates[choice];
            for place_ref in places {
                let place = index.place(*place_ref);
                let Some(want) = profile.equivalent(target, place.marker.spelling, place.marker.scope) else {
                    continue;
                };
                if place.status == Some(want) {
                    continue;
                }
                if let Some(text) = profile.status(want).spelled(place.marker.spelling) {
                    change.edit(index, place_ref.file, TextEdit::replace(place.marker.range, text));
                }
            }
        }
        FixHint::CloseChildren { parent } => {
            let parsed = index.parsed(file);
            let (items, places, marker): (Vec<usize>, Vec<usize>, crate::model::Marker) = match parent {
                Parent::Place(position) => {
                    let place = &parsed.places[*position];
                    (place.child_items.iter().collect(), place.child_places.iter().collect(), place.marker.clone())
                }
                Parent::Item(position) => (
                    parsed
                        .items
                        .iter()
                        .enumerate()
                        .filter(|(_, it)| it.parent() == Some(*position))
                        .map(|(at, _)| at)
                        .collect(),
                    Vec::new(),
                    parsed.items[*position].marker(),
                ),
            };
            if choice == 0 {
                let done_box = profile
                    .ids()
                    .find(|it| profile.kind(*it) == Kind::Done && !profile.status(*it).checkbox.is_empty())
                    .and_then(|it| profile.status(it).spelled(Spelling::Checkbox));
                for item in items.iter().filter_map(|it| parsed.items.get(*it)) {
                    if item.status.is_some_and(|it| !profile.kind(it).is_closed())
                        && let Some(done) = &done_box
                    {
                        change.edit(index, file, TextEdit::replace(item.marker_range, done.clone()));
                    }
                }
                for child in places.iter().filter_map(|it| parsed.places.get(*it)) {
                    if child.status.is_none_or(|it| profile.kind(it).is_closed()) {
                        continue;
                    }
                    let Some(done) = profile.ids().find(|it| {
                        let def = profile.status(*it);
                        def.kind == Kind::Done
                            && def.in_scope(child.marker.scope)
                            && def.has_spelling(child.marker.spelling)
                    }) else {
                        continue;
                    };
                    // A subtask (Task Master's) is a task of its own, written in every place
                    // that states it: closed as a status change, not in this file alone.
                    if child.kind.task_vocabulary()
                        && let Some(subtask) = child.task()
                    {
                        let options = StatusChangeOptions { force: true, restamp: false, ..options.clone() };
                        let closed = plan_status_change(index, subtask, &profile.status(done).id, &options)?;
                        merge(index, &mut change, &closed);
                    } else if let Some(text) = profile.status(done).spelled(child.marker.spelling) {
                        change.edit(index, file, TextEdit::replace(child.marker.range, text));
                    }
                }
            } else {
                // Demote to the first open status the place can spell: under way if it can say so.
                let open = [Kind::Active, Kind::Todo]
                    .into_iter()
                    .find_map(|kind| {
                        profile.ids().find(|it| {
                            let def = profile.status(*it);
                            def.kind == kind && def.in_scope(marker.scope) && def.has_spelling(marker.spelling)
                        })
                    })
                    .ok_or_else(|| Refusal::NoFix("the vocabulary has no open status for this place".into()))?;
                if let Parent::Place(position) = parent
                    && parsed.places[*position].kind.task_vocabulary()
                    && let Some(task) = parsed.places[*position].task()
                {
                    // Demoting a task demotes it everywhere.
                    let options = StatusChangeOptions { force: true, restamp: false, ..options.clone() };
                    let mut demoted = plan_status_change(index, task, &profile.status(open).id, &options)?;
                    demoted.label = change.label;
                    return Ok(demoted);
                }
                let text = profile.status(open).spelled(marker.spelling).unwrap_or_default();
                change.edit(index, file, TextEdit::replace(marker.range, text));
            }
        }
        FixHint::AddField { place, field } => {
            let place_ref = PlaceRef { file, index: *place };
            let place = index.place(place_ref);
            let Some(FieldInsert { at, style: FieldStyle::Markdown { prefix, date_only } }) = &place.field_insert
            else {
                return Err(Refusal::NoFix("no place for a new field here".into()));
            };
            let value = if is_timestamp_field(field) {
                if *date_only { options.now.date.clone() } else { options.now.timestamp.clone() }
            } else {
                options.reason.clone().ok_or_else(|| Refusal::NeedsReason {
                    status: place.marker.text.to_string(),
                    field: field.clone(),
                })?
            };
            let eol = line_ending(index.text(file));
            change.edit(index, file, TextEdit::insert(*at, format!("{eol}{prefix}**{field}**: {value}")));
        }
        FixHint::RecomputeCounters => {
            for expectation in counters::expectations(index, file) {
                // A counter two readings give two values for is held back with its diagnostic.
                if expectation.is_stale() && expectation.has_one_value() {
                    change.edit(
                        index,
                        file,
                        TextEdit::replace(expectation.counter.range, expectation.expected.to_string()),
                    );
                }
            }
        }
        FixHint::Replace { replacement, .. } => {
            change.edit(index, file, TextEdit::replace(diagnostic.range, replacement.clone()));
        }
        FixHint::RemoveTrailing { range: trailing } => {
            let text = index.text(file);
            let start = usize::from(trailing.start());
            let spaces = text[..start].len() - text[..start].trim_end_matches([' ', '\t']).len();
            change.edit(index, file, TextEdit::replace(range(start - spaces, usize::from(trailing.end())), ""));
        }
    }
    Ok(change.finish())
}

/// The rules whose fixes `taskmark fix` applies on its own (see [`is_safe_fix`]).
pub const SAFE_FIX_CODES: [RuleCode; 4] =
    [RuleCode::UnknownStatus, RuleCode::StaleCounts, RuleCode::PlanStatusStale, RuleCode::StatusMismatch];

/// How many passes [`run_safe_fixes`] makes at most: one fix can make another (a counter
/// recounted after a marker fix), but two fixes that undo each other must not loop.
pub const MAX_FIX_PASSES: usize = 8;

/// What `taskmark fix` does to a workspace: its passes run to the end, as one change.
#[derive(Debug, Clone)]
pub struct SafeFixes {
    /// One change from the workspace as given to the workspace after every pass: in each file,
    /// the stretches of lines the passes changed (an editor applying it keeps its cursor).
    pub change: WorkspaceChange,
    /// The workspace after the change.
    pub index: WorkspaceIndex,
    /// How many problems of each rule the passes fixed.
    pub fixed: BTreeMap<RuleCode, usize>,
    /// The safe fixes of `codes` left out, positioned in `index`: what `check` counts as
    /// fixable and `fix` did not fix, each with the reason.
    pub held_back: Vec<HeldBack>,
}

/// A safe fix `taskmark fix` left out, and why: applying it would make a problem appear that
/// was not there (its own problem is then the user's to judge), or it could not be planned.
#[derive(Debug, Clone)]
pub struct HeldBack {
    pub diagnostic: Diagnostic,
    pub why: String,
    /// It was planned and checked, and refused; `false` for one not tried at all while the
    /// task's status is the user's to settle (its problem is then still there, still fixable).
    pub tried: bool,
}

/// What `taskmark fix` does to the workspace: [`plan_safe_fixes`] passes, each applied to the
/// index the last one left, until one fixes nothing; then the whole as one change against
/// `index`, so that every front door writes (or shows an editor) one change, whatever number of
/// passes it took. `check` counts without running them, which would cost it a third of its time.
pub fn run_safe_fixes(
    index: &WorkspaceIndex,
    check: &FixCheck<'_>,
    codes: &[RuleCode],
    options: &StatusChangeOptions,
) -> Result<SafeFixes, Refusal> {
    let mut current = index.clone();
    let mut fixed: BTreeMap<RuleCode, usize> = BTreeMap::new();
    let mut held_back = Vec::new();
    for _pass in 0..MAX_FIX_PASSES {
        let pass = safe_fix_pass(&current, check, codes, options)?;
        if pass.change.is_empty() {
            held_back = pass.held_back(&current, check, options);
            break;
        }
        for (code, count) in pass.fixed {
            *fixed.entry(code).or_default() += count;
        }
        current = pass.change.applied_to(&current, |_, _| {});
    }
    let mut change = one_change(index, &current);
    if !fixed.is_empty() {
        let summary: Vec<String> = fixed.iter().map(|(code, count)| format!("{count} {code}")).collect();
        change.label = format!("Fixed {}", summary.join(", "));
    }
    change.validate(index)?;
    Ok(SafeFixes { change, index: current, fixed, held_back })
}

/// The change that turns `before` into `after` (safe fixes only edit files): each file's
/// changed lines, as one edit per stretch.
fn one_change(before: &WorkspaceIndex, after: &WorkspaceIndex) -> WorkspaceChange {
    let mut change = WorkspaceChange { label: "Fix".into(), ..Default::default() };
    for (file, entry) in before.entries() {
        let Some(new) = after.text_at(&entry.path) else { continue };
        if *new == entry.text {
            continue;
        }
        let edits = line_edits(&entry.text, new, Change::between(&entry.text, new));
        change.files.push(FileChange { file, path: entry.path.clone(), edits });
    }
    change.finish()
}

/// The diagnostics of `codes` whose safe fix `taskmark fix` tries: what `check` counts as
/// fixable. (A fix it finds would make something appear is left out when it runs, and named
/// then; `check` counts without running the passes, which would cost it a third of its time.)
pub fn safe_fix_candidates<'d>(
    index: &WorkspaceIndex,
    diagnostics: &'d [Diagnostic],
    codes: &[RuleCode],
) -> Vec<&'d Diagnostic> {
    fix_candidates(index, diagnostics, codes).0
}

/// The diagnostics of `codes` whose safe fix `taskmark fix` tries, and those it holds back
/// before trying. A plan header derived from its phases restates what the plan says; while the
/// task's places disagree (a status-mismatch of the task) it restates it only if the task's
/// other places say the same kind of status. Otherwise it would move the disagreement rather
/// than settle it (a header caught up to completed while state.json says not started), and the
/// task's status is the user's to settle first.
fn fix_candidates<'d>(
    index: &WorkspaceIndex,
    diagnostics: &'d [Diagnostic],
    codes: &[RuleCode],
) -> (Vec<&'d Diagnostic>, Vec<HeldBack>) {
    let disputed: HashSet<&TaskKey> =
        diagnostics.iter().filter(|it| it.code == RuleCode::StatusMismatch).filter_map(|it| it.task.as_ref()).collect();
    let mut tried = Vec::new();
    let mut held = Vec::new();
    for diagnostic in diagnostics.iter().filter(|it| codes.contains(&it.code) && is_safe_fix(it)) {
        let (Some(FixHint::DeriveHeader { status, .. }), Some(task)) = (&diagnostic.fix, &diagnostic.task) else {
            tried.push(diagnostic);
            continue;
        };
        let settles = || {
            let profile = index.task_profile(task)?;
            let (_, said) = index.task_status(task)?;
            Some(profile.kind(said) == profile.kind(*status))
        };
        if !disputed.contains(task) {
            // A header caught up with its phases while the task's other places still say
            // otherwise (`[PLANNED]` in TODO.md, the phases under way) would only move the
            // disagreement into a status-mismatch: held back before trying, so that `check`
            // counts what `fix` applies.
            match header_would_disagree(index, task, *status) {
                Some(why) => held.push(HeldBack { diagnostic: diagnostic.clone(), why, tried: false }),
                None => tried.push(diagnostic),
            }
            continue;
        }
        if settles() == Some(true) {
            tried.push(diagnostic);
            continue;
        }
        let why = match (index.task_profile(task), index.task_status(task)) {
            (Some(profile), Some((_, said))) => format!(
                "task {task}'s places disagree and its phases say `{}` where the task says `{}`: settle its status first",
                profile.display(*status),
                profile.display(said)
            ),
            _ => format!("task {task}'s places disagree: settle its status first"),
        };
        held.push(HeldBack { diagnostic: diagnostic.clone(), why, tried: false });
    }
    (tried, held)
}

/// Why a plan header set to `derived` would disagree with another live place of `task`: the
/// first such place, named; `None` when every other place agrees with it (or there is none).
fn header_would_disagree(index: &WorkspaceIndex, task: &TaskKey, derived: StatusId) -> Option<String> {
    let profile = index.task_profile(task)?;
    index.agreeing_places(task).into_iter().find_map(|it| {
        let place = index.place(it);
        let own = place.status?;
        let same_vocabulary = place.kind.task_vocabulary() && PlaceKind::PlanHeader.task_vocabulary();
        let agrees = place.kind == PlaceKind::PlanHeader || profile.agree(derived, own, same_vocabulary);
        (!agrees).then(|| {
            format!(
                "it would leave status-mismatch: its phases say `{}` where the {} says `{}` ({}): set task \
                 {task}'s status everywhere instead",
                profile.display(derived),
                place.kind.describe(),
                place.shown(),
                index.location(it)
            )
        })
    })
}

/// One pass of `taskmark fix`: the safe fixes of the workspace's diagnostics whose codes are in
/// `codes`, merged into one change (a fix whose edits overlap one already taken waits for the
/// next pass), and how many of each code it fixes. Counters count statuses, so they are
/// recounted only in a pass that fixes nothing else; callers run passes until one is empty.
///
/// A fix must not create drift: the pass is checked by applying it to a copy of the index and
/// running the rules again. If any diagnostic appears that was not there (a respelled marker
/// that now disagrees with its task's other places, say), the fixes are taken one at a time and
/// each one that makes something appear is left out, its diagnostic left for the user.
pub fn plan_safe_fixes(
    index: &WorkspaceIndex,
    check: &FixCheck<'_>,
    codes: &[RuleCode],
    options: &StatusChangeOptions,
) -> Result<(WorkspaceChange, BTreeMap<RuleCode, usize>), Refusal> {
    let pass = safe_fix_pass(index, check, codes, options)?;
    Ok((pass.change, pass.fixed))
}

/// One pass of [`plan_safe_fixes`], with what it read: the workspace's diagnostics, and which
/// of them it was asked to fix.
struct SafeFixPass {
    change: WorkspaceChange,
    fixed: BTreeMap<RuleCode, usize>,
    store: DiagnosticStore,
    /// The fixes the pass tried.
    fixable: Vec<Diagnostic>,
    /// The fixes it held back without trying them.
    waiting: Vec<HeldBack>,
}

fn safe_fix_pass(
    index: &WorkspaceIndex,
    check: &FixCheck<'_>,
    codes: &[RuleCode],
    options: &StatusChangeOptions,
) -> Result<SafeFixPass, Refusal> {
    let store = DiagnosticStore::new(index, check.config, check.baseline, check.paths);
    let all = store.all(index);
    let (tried, waiting) = fix_candidates(index, &all, codes);
    let fixable: Vec<Diagnostic> = tried.into_iter().cloned().collect();
    let creates_nothing = |change: &WorkspaceChange| check.left_behind(index, &store, change, true).1.is_empty();
    let of_kind = |counters: bool| fixable.iter().filter(move |it| (it.code == RuleCode::StaleCounts) == counters);
    let mut accepted = safe_pass(index, of_kind(false), options, &creates_nothing);
    if accepted.is_empty() {
        accepted = safe_pass(index, of_kind(true), options, &creates_nothing);
    }
    let mut merged = WorkspaceChange { label: "Fix".into(), ..Default::default() };
    let mut fixed: BTreeMap<RuleCode, usize> = BTreeMap::new();
    for (code, change) in &accepted {
        merge(index, &mut merged, change);
        *fixed.entry(*code).or_default() += 1;
    }
    if !fixed.is_empty() {
        let summary: Vec<String> = fixed.iter().map(|(code, count)| format!("{count} {code}")).collect();
        merged.label = format!("Fixed {}", summary.join(", "));
    }
    // Each fix was checked alone and none overlaps another, so the merge holds as well; checked
    // all the same, since a corrupt merge would be applied to every file at once.
    merged.validate(index)?;
    Ok(SafeFixPass { change: merged.finish(), fixed, store, fixable, waiting })
}

impl SafeFixPass {
    /// Why each fix this pass was asked for was left out: a pass that fixed nothing left every
    /// one of them out. Each it tried is tried alone to say what it would make appear.
    fn held_back(self, index: &WorkspaceIndex, check: &FixCheck<'_>, options: &StatusChangeOptions) -> Vec<HeldBack> {
        let mut held: Vec<HeldBack> = self
            .fixable
            .iter()
            .map(|diagnostic| {
                let why = match plan_fix(index, diagnostic, 0, options) {
                    Err(refusal) => format!("it cannot be planned: {refusal}"),
                    Ok(change) => {
                        let appeared = check.left_behind(index, &self.store, &change, true).1;
                        match appeared.first() {
                            Some(first) => {
                                let more = match appeared.len() {
                                    1 => String::new(),
                                    n => format!(" (and {} more)", n - 1),
                                };
                                format!("it would leave {}: {}{more}", first.code, first.message)
                            }
                            None => "it edits the same text as another fix".to_string(),
                        }
                    }
                };
                HeldBack { diagnostic: diagnostic.clone(), why, tried: true }
            })
            .collect();
        held.extend(self.waiting);
        held.sort_by_key(|it| (index.path(it.diagnostic.file).to_string(), it.diagnostic.range.start()));
        held
    }
}

/// The fixes of `diagnostics` one pass applies: each planned, none overlapping another, and
/// together creating no diagnostic (else each one that does is left out).
fn safe_pass<'d>(
    index: &WorkspaceIndex,
    diagnostics: impl Iterator<Item = &'d Diagnostic>,
    options: &StatusChangeOptions,
    creates_nothing: &dyn Fn(&WorkspaceChange) -> bool,
) -> Vec<(RuleCode, WorkspaceChange)> {
    let mut candidates: Vec<(RuleCode, WorkspaceChange)> = Vec::new();
    let mut taken = WorkspaceChange::default();
    for diagnostic in diagnostics {
        let Ok(change) = plan_fix(index, diagnostic, 0, options) else { continue };
        if overlaps(&taken, &change) {
            continue;
        }
        merge(index, &mut taken, &change);
        candidates.push((diagnostic.code, change));
    }
    if candidates.is_empty() || creates_nothing(&taken) {
        return candidates;
    }
    let mut accepted = Vec::new();
    let mut merged = WorkspaceChange::default();
    for candidate in candidates {
        let mut trial = merged.clone();
        merge(index, &mut trial, &candidate.1);
        if creates_nothing(&trial) {
            merged = trial;
            accepted.push(candidate);
        }
    }
    accepted
}

fn merge(index: &WorkspaceIndex, into: &mut WorkspaceChange, change: &WorkspaceChange) {
    for file in &change.files {
        for edit in &file.edits {
            into.edit(index, file.file, edit.clone());
        }
    }
}

fn overlaps(planned: &WorkspaceChange, change: &WorkspaceChange) -> bool {
    change.files.iter().any(|file| {
        planned.files.iter().filter(|it| it.file == file.file).any(|taken| {
            taken.edits.iter().any(|a| {
                file.edits.iter().any(|b| {
                    let (a, b) = (a.range, b.range);
                    (a.start() < b.end() && b.start() < a.end()) || a.start() == b.start()
                })
            })
        })
    })
}

/// A done parent as a fix's title names it: `phase 2`, `task 14`, or its box's text.
fn parent_name(index: &WorkspaceIndex, file: crate::index::FileId, parent: &Parent) -> String {
    let parsed = index.parsed(file);
    match parent {
        Parent::Place(place) => match parsed.places.get(*place).map(|it| &it.subject) {
            Some(crate::model::Subject::Phase(phase)) => format!("phase {}", phase.number),
            Some(crate::model::Subject::Task(task)) => format!("task {task}"),
            None => "the parent".into(),
        },
        Parent::Item(item) => {
            let text =
                parsed.items.get(*item).and_then(|it| index.text(file).get(std::ops::Range::<usize>::from(it.text)));
            match text.map(str::trim).filter(|it| !it.is_empty()) {
                Some(text) if text.chars().count() > 40 => format!("`{}…`", text.chars().take(40).collect::<String>()),
                Some(text) => format!("`{text}`"),
                None => "the parent box".into(),
            }
        }
    }
}
