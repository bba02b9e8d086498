//! `open-children` and `plan-status-stale`: a parent and what is under it.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{FixHint, Parent, Related, RuleCode, Severity, diagnostic};
use crate::index::{FileEntry, FileId, PlaceRef, TaskEntry, WorkspaceIndex};
use crate::model::{Item, ParsedFile, Place, PlaceKind, TaskKey};
use crate::rules::Sink;
use crate::text::TextRange;
use crate::vocabulary::{Kind, Profile, Scope, Spelling, StatusId};

/// `open-children` and `plan-status-stale` of one place.
pub(super) fn place(
    index: &WorkspaceIndex,
    file: FileId,
    entry: &FileEntry,
    place_index: usize,
    place: &Place,
    sink: &mut Sink<'_>,
) {
    let Some(profile) = index.profile(file) else { return };
    let parsed = &entry.parsed;
    let Some(status) = place.status else { return };
    // A task that handed its work to subtasks (`[EXPANDED]`) leaves its boxes to them: they are
    // open while the subtasks are.
    if profile.hands_off(status) {
        return;
    }
    // A generated copy (Task Master's task file) repeats its source's subtasks: the source is
    // checked, and where the copy differs, status-mismatch says so. What a plan's boxes count
    // is compared with the task's status by `plan_progress`.
    if place.kind.is_generated_copy() || place.kind == PlaceKind::PlanProgress {
        return;
    }
    let owner = children_owner(parsed, place, profile);
    let phases = owner
        .child_places
        .iter()
        .filter_map(|it| parsed.places.get(it))
        .map(|child| Child::Place(child, summarized(index, child)));
    let items = owner.child_items.iter().filter_map(|it| parsed.items.get(it)).map(Child::Item);
    let under = summarize(phases.chain(items), profile, &entry.text);
    // A plan header behind its phases is `plan-status-stale`'s to report; a table row's plans
    // are its phase box's, which gives the hints.
    let hint = !matches!(place.kind, PlaceKind::PlanHeader | PlaceKind::PhaseTableRow);
    report(
        file,
        &entry.text,
        Parent::Place(place_index),
        Child::Place(place, None),
        (profile.kind(status), profile.says_not_begun(status)),
        &under,
        hint,
        sink,
    );
    if place.kind == PlaceKind::PlanHeader {
        let agrees = task_agrees_with_header(index, place, profile, status);
        stale_header(file, parsed, place_index, place, profile, status, agrees, sink);
    }
}

/// The status a child's summary file gives it (GSD writes a plan's summary when it executes
/// the plan): such a plan is done under its phase whatever its box says, and the box that lags
/// is `status-mismatch`'s to report, once.
fn summarized(index: &WorkspaceIndex, child: &Place) -> Option<StatusId> {
    let entry = index.task(child.task()?)?;
    entry.places.iter().map(|it| index.place(*it)).find(|it| it.kind == PlaceKind::SummaryFile)?.status
}

/// Whose children a place is held to: its own, or for a GSD progress-table row (which has none
/// of its own) its phase box's plans, while that box does not say done (a box that does
/// answers for them itself: one report per phase). A row `Complete` over open plans is then
/// reported at the row, whatever its box says.
fn children_owner<'a>(parsed: &'a ParsedFile, place: &'a Place, profile: &Profile) -> &'a Place {
    if place.kind != PlaceKind::PhaseTableRow || !place.child_places.is_empty() {
        return place;
    }
    parsed
        .places
        .iter()
        .find(|it| {
            it.kind == PlaceKind::IndexLine
                && it.task() == place.task()
                && !it.child_places.is_empty()
                && it.status.is_some_and(|status| profile.kind(status) != Kind::Done)
        })
        .unwrap_or(place)
}

/// Nested checkboxes: a checked box over unchecked ones, as org-mode checks them. `nested`
/// are the positions of the item's direct children.
pub(super) fn item(
    index: &WorkspaceIndex,
    file: FileId,
    entry: &FileEntry,
    position: usize,
    nested: &[usize],
    sink: &mut Sink<'_>,
) {
    let Some(profile) = index.profile(file) else { return };
    let parsed = &entry.parsed;
    let Some(item) = parsed.items.get(position) else { return };
    let Some(status) = item.status else { return };
    if nested.is_empty() {
        return;
    }
    let nested = nested
        .iter()
        .filter_map(|it| parsed.items.get(*it))
        .filter(|child| !done_with_its_task(entry, child, profile))
        .map(Child::Item);
    let under = summarize(nested, profile, &entry.text);
    let status = (profile.kind(status), profile.says_not_begun(status));
    report(file, &entry.text, Parent::Item(position), Child::Item(item), status, &under, true, sink);
}

/// Whether a box is left open under a done task line of a Conductor plan, which Conductor's
/// workflow never ticks ([`crate::parse::conductor::done_with_its_task`]): done with its task,
/// neither open work nor an open child.
fn done_with_its_task(entry: &FileEntry, item: &Item, profile: &Profile) -> bool {
    matches!(entry.class.role, crate::layout::Role::ConductorPlan { .. })
        && crate::parse::conductor::done_with_its_task(&entry.parsed.items, item, profile)
}

/// A phase or a checkbox under a parent (or the parent itself).
#[derive(Clone, Copy)]
enum Child<'a> {
    /// A place under a parent, with the status its task's summary file gives it where the
    /// place itself lags (a GSD plan box left open after GSD wrote the plan's summary).
    Place(&'a Place, Option<StatusId>),
    Item(&'a Item),
}

impl Child<'_> {
    fn status(&self) -> Option<StatusId> {
        match self {
            Child::Place(place, summarized) => summarized.or(place.status),
            Child::Item(item) => item.status,
        }
    }

    /// How its status is written: a box, a bracketed marker, a word.
    fn spelling(&self) -> Spelling {
        match self {
            Child::Place(place, _) => place.marker.spelling,
            Child::Item(_) => Spelling::Checkbox,
        }
    }

    fn line(&self, text: &str) -> TextRange {
        match self {
            Child::Place(place, _) => place.line,
            Child::Item(item) => item.line(text),
        }
    }

    fn marker(&self) -> TextRange {
        match self {
            Child::Place(place, _) => place.marker.range,
            Child::Item(item) => item.marker_range,
        }
    }

    fn shown(&self) -> String {
        match self {
            Child::Place(place, _) => place.shown(),
            Child::Item(item) => format!("[{}]", item.state),
        }
    }

    /// How a child is listed in a related note; built only for diagnostics that are reported.
    fn describe(&self, text: &str) -> String {
        match self {
            Child::Place(place, _) => format!("{} {}", place.title.as_deref().unwrap_or("phase"), place.shown()),
            Child::Item(item) => format!("[{}] {}", item.state, &text[item.text]),
        }
    }
}

/// A child left out on purpose: one deferred by its status (Task Master's `deferred`), or a box
/// whose own words set it aside ([`crate::model::is_set_aside`]: `Deferred: ...`,
/// `(optional)`, a `None at this stage` placeholder). Neither open nor done.
fn set_aside(child: &Child<'_>, profile: &Profile, text: &str) -> bool {
    match child {
        // A phase or task tagged aside in its title (`### Phase 7: Audit [OPTIONAL]`); not one
        // whose long title only mentions a part deferred elsewhere.
        Child::Place(place, _) => {
            place.status.is_some_and(|it| profile.status(it).id == "deferred")
                || place.title.as_deref().is_some_and(|title| {
                    ["[optional]", "(optional)", "[deferred]", "[skipped]"]
                        .iter()
                        .any(|tag| crate::text::contains_ignore_case(title, tag))
                })
        }
        // Struck through as a whole: cancelled where the vocabulary has no cancelled box for
        // the parse to read it as (Kiro, OpenSpec).
        Child::Item(item) => {
            item.optional
                || text.get(item.text.start().into()..item.text.end().into()).is_some_and(|words| {
                    crate::model::is_set_aside(words) || crate::parse::checklist::struck_through_item(text, item.text)
                })
        }
    }
}

/// What is under a parent: the open children, how many are done out of how many, and the
/// children whose own status says work on them began (under way or done).
struct Children<'a> {
    open: Vec<Child<'a>>,
    begun: Vec<Child<'a>>,
    done: usize,
    total: usize,
}

fn summarize<'a>(children: impl Iterator<Item = Child<'a>>, profile: &Profile, text: &str) -> Children<'a> {
    let mut out = Children { open: Vec::new(), begun: Vec::new(), done: 0, total: 0 };
    for child in children {
        let Some(status) = child.status() else { continue };
        if set_aside(&child, profile, text) {
            continue;
        }
        out.total += 1;
        let kind = profile.kind(status);
        if matches!(kind, Kind::Active | Kind::Done) {
            out.begun.push(child);
        }
        match kind {
            Kind::Done => out.done += 1,
            Kind::Cancelled => {}
            _ => out.open.push(child),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn report(
    file: FileId,
    text: &str,
    parent: Parent,
    view: Child<'_>,
    status: (Kind, bool),
    under: &Children<'_>,
    hint: bool,
    sink: &mut Sink<'_>,
) {
    let (kind, not_begun) = status;
    if under.total == 0 {
        return;
    }
    let (what, task, children) = match view {
        Child::Place(place, _) if place.has_subtasks() => (describe_parent(place), place.task().cloned(), "subtasks"),
        Child::Place(place, _) if !place.child_places.is_empty() => {
            (describe_parent(place), place.task().cloned(), "items and phases")
        }
        Child::Place(place, _) => (describe_parent(place), place.task().cloned(), "items"),
        Child::Item(_) => ("checkbox", None, "items"),
    };
    // A place with no text of its own (an OpenSpec change's folder, a todo's folder) sits at
    // the file's first line, whatever that says: the message names the task and the folder.
    let by_folder = match view {
        Child::Place(place, _) if place.kind == PlaceKind::StatusFolder => place.task(),
        _ => None,
    };
    // A cancelled parent's open children are moot: nothing more will be done under it (the
    // vocabulary says so by the kind), so abandoning a task with open boxes leaves no problem.
    // A done parent over open children is one.
    if kind == Kind::Done && !under.open.is_empty() {
        let summary = if under.total == 1 {
            let only = if children == "subtasks" { "subtask" } else { "item" };
            format!("the only {only} under it is still open")
        } else {
            format!(
                "{} of the {} {children} under it {} still open",
                under.open.len(),
                under.total,
                if under.open.len() == 1 { "is" } else { "are" }
            )
        };
        let message = match by_folder {
            Some(task) => format!("task {task} is `{}` by its folder but {summary}", view.shown()),
            None => format!("{what} is `{}` but {summary}", view.shown()),
        };
        let mut it = diagnostic(RuleCode::OpenChildren, file, view.marker(), message);
        it.task = task;
        it.related = under
            .open
            .iter()
            .take(20)
            .map(|child| Related { file, range: child.line(text), message: format!("open: {}", child.describe(text)) })
            .collect();
        it.fix = Some(FixHint::CloseChildren { parent });
        sink.push(it);
    } else if !kind.is_closed() && under.done == under.total && hint {
        // Everything under it is done: a hint, not a warning (the parent may have work of its own).
        let message = match (by_folder, under.total) {
            (Some(task), 1) => {
                format!("the only item of task {task} is done, but its folder still says `{}`", view.shown())
            }
            (Some(task), total) => {
                format!("all {total} items of task {task} are done, but its folder still says `{}`", view.shown())
            }
            (None, 1) => format!("the only item under this {what} is done, but it is still `{}`", view.shown()),
            (None, total) => {
                format!("all {total} items under this {what} are done, but it is still `{}`", view.shown())
            }
        };
        let mut it = diagnostic(RuleCode::OpenChildren, file, view.marker(), message);
        it.task = task;
        sink.push_capped(it, Severity::Hint);
    } else if not_begun && hint {
        // Work began under a parent that says it has not, in the same notation, which could
        // have said so (Kiro's agent marks a task `[-]` when it starts one of its subtasks):
        // the parent is behind. Children in another notation are left alone: a `Planning`
        // task's ticked boxes are often the planning itself. A hint, as its mirror above.
        let begun: Vec<&Child<'_>> = under.begun.iter().filter(|it| it.spelling() == view.spelling()).collect();
        if begun.is_empty() {
            return;
        }
        let message = if begun.len() == 1 {
            format!("this {what} is `{}` (not begun), but an item under it is under way or done", view.shown())
        } else {
            format!(
                "this {what} is `{}` (not begun), but {} of the {} items under it are under way or done",
                view.shown(),
                begun.len(),
                under.total
            )
        };
        let mut it = diagnostic(RuleCode::OpenChildren, file, view.marker(), message);
        it.task = task;
        it.related = begun
            .iter()
            .take(20)
            .map(|child| Related { file, range: child.line(text), message: format!("begun: {}", child.describe(text)) })
            .collect();
        sink.push_capped(it, Severity::Hint);
    }
}

/// GSD's STATE.md held to the plans of the phases it names (a plan is done once its box is
/// ticked or GSD wrote its summary; a `NN-MM-PLAN.md` without either is not):
/// - its position says a phase has not started (`Plan: Not started`, `Ready to plan`) while
///   plans of it are done: a warning, STATE.md is behind;
/// - its position says a phase is under way (`EXECUTING`) while every plan is done: a hint (it
///   may be waiting for verification);
/// - its position or its phase table says a phase is done (`✅ Verified`) while plans of it
///   are not: a warning.
pub(super) fn state_position(index: &WorkspaceIndex, file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    if entry.class.role != crate::layout::Role::GsdState {
        return;
    }
    let Some(profile) = index.profile(file) else { return };
    state_progress_line(file, entry, profile, sink);
    let mut plans: Option<BTreeMap<String, BTreeMap<String, PlanSeen>>> = None;
    let tracker = entry.tracker.and_then(|it| index.trackers().get(it));
    if let (Some((id, at)), Some(tracker)) = (stopped_after(&entry.text), tracker) {
        let all = plans.get_or_insert_with(|| phase_plans(index, profile, &tracker.root));
        stopped_at(index, file, &tracker.root, (id, at), all, sink);
    }
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    let stating = |it: &&Place| matches!(it.kind, PlaceKind::StatePosition | PlaceKind::PhaseTableRow);
    for position in entry.parsed.places.iter().filter(stating) {
        let (Some(status), Some(phase)) = (position.status, position.task()) else { continue };
        let kind = profile.kind(status);
        // The table says done or not; only the position says how far an open phase is.
        let held = match position.kind {
            PlaceKind::StatePosition => matches!(kind, Kind::Todo | Kind::Active | Kind::Done),
            _ => kind == Kind::Done,
        };
        if !held {
            continue;
        }
        let all = plans.get_or_insert_with(|| phase_plans(index, profile, &phase.scope));
        let Some(mine) = all.get(&*phase.id) else { continue };
        let done: Vec<(&String, PlaceRef)> =
            mine.iter().filter_map(|(id, it)| it.done.map(|place| (id, place))).collect();
        let open: Vec<(&String, &PlanSeen)> = mine.iter().filter(|(_, it)| it.done.is_none()).collect();
        let total = mine.len();
        let (count, severity, related): (String, Severity, Vec<Related>) = match kind {
            Kind::Todo if !done.is_empty() => (
                plans_count(done.len(), total, "done"),
                Severity::Warning,
                done.iter().map(|(id, place)| plan_done(index, id, *place)).collect(),
            ),
            Kind::Active if open.is_empty() => (
                plans_count(total, total, "done"),
                Severity::Hint,
                done.iter().map(|(id, place)| plan_done(index, id, *place)).collect(),
            ),
            Kind::Done if !open.is_empty() => (
                plans_count(open.len(), total, "not done"),
                Severity::Warning,
                open.iter()
                    .map(|(id, seen)| Related {
                        file: seen.at.0,
                        range: seen.at.1,
                        message: format!("plan {id} not done: no summary"),
                    })
                    .collect(),
            ),
            _ => continue,
        };
        if !reported.insert(&phase.id) {
            continue;
        }
        let said = match kind {
            Kind::Todo => "has not begun",
            Kind::Active => "is under way",
            _ => "is done",
        };
        let message = format!("STATE.md says phase {} {said} (`{}`), but {count}", phase.id, position.shown());
        let mut it = diagnostic(RuleCode::OpenChildren, file, position.marker.range, message);
        it.task = Some(phase.clone());
        it.related = related.into_iter().take(20).collect();
        sink.push_capped(it, severity);
    }
}

/// GSD records the plan each session ended on (`stopped_at: Completed 15-04-PLAN.md` in the
/// frontmatter, copied from the body's `Stopped at:`), after every plan it executes. A later
/// plan of the same phase already done (its summary written, or its box ticked) means the
/// record was not taken after it: STATE.md is behind, and the next session resumes from the
/// wrong place (ganka's 15-05). A hint at the record.
fn stopped_at(
    index: &WorkspaceIndex,
    file: FileId,
    scope: &str,
    (id, at): (&str, TextRange),
    plans: &BTreeMap<String, BTreeMap<String, PlanSeen>>,
    sink: &mut Sink<'_>,
) {
    let Some(phase) = plan_phase(id) else { return };
    let Some(mine) = plans.get(&phase) else { return };
    let number = |plan: &str| plan.split_once('-').map(|(_, it)| it.to_ascii_lowercase());
    let Some(stopped) = number(id) else { return };
    let later: Vec<(&String, PlaceRef)> = mine
        .iter()
        .filter(|(plan, _)| number(plan).is_some_and(|it| crate::index::natural_cmp(&it, &stopped).is_gt()))
        .filter_map(|(plan, seen)| seen.done.map(|place| (plan, place)))
        .collect();
    let Some((last, _)) = later.last() else { return };
    let mut it = diagnostic(
        RuleCode::StaleCounts,
        file,
        at,
        format!(
            "STATE.md says the last session stopped after plan {id}, but plan {last} of phase {phase} is done since: the session record was not taken after it"
        ),
    );
    it.task = Some(TaskKey::new(scope, &phase));
    it.related = later.iter().take(20).map(|(plan, place)| plan_done(index, plan, *place)).collect();
    sink.push_capped(it, Severity::Hint);
}

/// The plan STATE.md's session record says was completed last (`stopped_at: Completed
/// 15-04-PLAN.md`, or the body's `Stopped at:` when the frontmatter has none), with where its
/// id is.
fn stopped_after(text: &str) -> Option<(&str, TextRange)> {
    // The frontmatter's copy comes first; the body's is the same record.
    for (offset, line) in crate::text::lines_with_offsets(text) {
        let trimmed = line.trim_start();
        let lower = trimmed.get(..11).map(str::to_ascii_lowercase);
        if !matches!(lower.as_deref(), Some("stopped_at:" | "stopped at:")) {
            continue;
        }
        let value = trimmed[11..].trim().trim_matches('"');
        let Some(rest) = value.get(..10).filter(|it| it.eq_ignore_ascii_case("completed ")).map(|_| &value[10..])
        else {
            continue;
        };
        let Some(id) = rest.split_whitespace().next().and_then(|it| it.strip_suffix("-PLAN.md")) else { continue };
        let start = offset + (line.len() - trimmed.len()) + 11 + trimmed[11..].find(id).unwrap_or(0);
        return Some((id, crate::text::range(start, start + id.len())));
    }
    None
}

/// An older STATE.md's `**Overall Progress**: 94% (15/16 phases)` against its own phase table
/// (glyph's lists 21 phases, 16 of them verified): the line is a count the table answers.
fn state_progress_line(file: FileId, entry: &FileEntry, profile: &Profile, sink: &mut Sink<'_>) {
    let rows: Vec<&Place> = entry.parsed.places.iter().filter(|it| it.kind == PlaceKind::PhaseTableRow).collect();
    if rows.is_empty() {
        return;
    }
    let done = rows.iter().filter(|it| it.status.is_some_and(|status| profile.kind(status) == Kind::Done)).count();
    let text = &entry.text;
    for (offset, line) in crate::text::lines_with_offsets(text) {
        if !crate::text::contains_ignore_case(line, "progress") {
            continue;
        }
        let Some((said_done, said_total, at)) = phases_count(line) else { continue };
        if (said_done, said_total) == (done, rows.len()) {
            return;
        }
        let mut it = diagnostic(
            RuleCode::StaleCounts,
            file,
            crate::text::range(offset + at.start, offset + at.end),
            format!(
                "STATE.md's progress says {said_done} of {said_total} phases, but its phase table lists {} phases, {done} of them done",
                rows.len()
            ),
        );
        it.related = rows
            .iter()
            .filter(|it| it.status.is_some_and(|status| profile.kind(status) != Kind::Done))
            .take(20)
            .map(|row| Related { file, range: row.line, message: format!("not done: {}", row.shown()) })
            .collect();
        sink.push_capped(it, Severity::Warning);
        return;
    }
}

/// `(15/16 phases)`, `15/16 phases complete`: the two numbers and where they are in the line.
fn phases_count(line: &str) -> Option<(usize, usize, std::ops::Range<usize>)> {
    let lower = line.to_ascii_lowercase();
    let phases = lower.find(" phases")?;
    let before = &line[..phases];
    // By bytes: the byte after the last one that is no digit starts a character, whatever
    // character that byte ended.
    let digits_from = |text: &str| text.bytes().rposition(|it| !it.is_ascii_digit()).map_or(0, |it| it + 1);
    let total_start = digits_from(before);
    let total: usize = before[total_start..].parse().ok()?;
    let slash = total_start.checked_sub(1).filter(|it| before.as_bytes().get(*it) == Some(&b'/'))?;
    let done_start = digits_from(&before[..slash]);
    let done: usize = before[done_start..slash].parse().ok()?;
    Some((done, total, done_start..phases))
}

/// What the rule knows of one GSD plan: the place that says it is done, if one does, and where
/// it is written (its box, its summary or its PLAN file).
struct PlanSeen {
    done: Option<PlaceRef>,
    at: (FileId, TextRange),
}

/// The plans of every phase of the GSD tracker at `scope`, by phase and plan id: the plan
/// tasks (ROADMAP boxes, SUMMARY files) and the `phases/*/NN-MM-PLAN.md` files.
fn phase_plans(index: &WorkspaceIndex, profile: &Profile, scope: &str) -> BTreeMap<String, BTreeMap<String, PlanSeen>> {
    let mut out: BTreeMap<String, BTreeMap<String, PlanSeen>> = BTreeMap::new();
    for (key, task) in index.tasks_in(scope) {
        let (Some(phase), Some(first)) = (plan_phase(&key.id), task.places.first()) else { continue };
        let said_done = |it: &&PlaceRef| index.place(**it).status.is_some_and(|it| profile.kind(it) == Kind::Done);
        let summary = task.places.iter().filter(said_done).find(|it| index.place(**it).kind == PlaceKind::SummaryFile);
        let done = summary.or_else(|| task.places.iter().find(said_done)).copied();
        let at = (first.file, index.place(*first).line);
        out.entry(phase).or_default().insert(key.id.to_string(), PlanSeen { done, at });
    }
    let folder = format!("{scope}/phases/");
    for (file, entry) in index.entries().filter(|(_, it)| it.path.starts_with(&folder)) {
        let name = entry.path.rsplit('/').next().unwrap_or_default();
        let Some(id) = name.strip_suffix("-PLAN.md") else { continue };
        let Some(phase) = plan_phase(id) else { continue };
        out.entry(phase)
            .or_default()
            .entry(id.to_string())
            .or_insert(PlanSeen { done: None, at: (file, TextRange::default()) });
    }
    out
}

fn plans_count(count: usize, total: usize, what: &str) -> String {
    match (count, total) {
        (1, 1) => format!("its only plan is {what}"),
        (count, total) if count == total => format!("all {total} of its plans are {what}"),
        (count, total) => format!("{count} of its {total} plans {} {what}", if count == 1 { "is" } else { "are" }),
    }
}

fn plan_done(index: &WorkspaceIndex, id: &str, place: PlaceRef) -> Related {
    let said = index.place(place);
    Related { file: place.file, range: said.line, message: format!("plan {id} done: {}", said.kind.describe()) }
}

/// GSD's milestones against the phase boxes of their range in the same ROADMAP.md: the list
/// GSD's roadmap template keeps (`- ✅ **v1.0 MVP** - Phases 1-9 (shipped 2026-03-03)`, `- 🚧
/// **v1.1** - Phases 10-12 (in progress)`) and a table with a phase range and a status
/// (`| V7.0 | 48-54 (7 phases) | 0/TBD | **Not started** | - |`).
/// - Shipped or complete while a phase of its range is open: a warning at the milestone.
/// - Planned or not started while a phase of it is done, or in progress while every phase of it
///   is: a hint (the list is a summary, rewritten when a milestone ships).
///
/// A phase the roadmap boxes twice (numbers reused by a later milestone) makes its milestone
/// unjudged; phases the roadmap no longer lists (archived with their milestone) are not counted.
pub(super) fn milestones(index: &WorkspaceIndex, file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    if entry.class.role != crate::layout::Role::GsdRoadmap || !sink.enabled(RuleCode::OpenChildren) {
        return;
    }
    let Some(profile) = index.profile(file) else { return };
    let mut boxes: BTreeMap<&str, Vec<Option<Kind>>> = BTreeMap::new();
    for place in entry.parsed.places.iter().filter(|it| it.kind == PlaceKind::IndexLine) {
        if let Some(task) = place.task() {
            boxes.entry(&task.id).or_default().push(place.status.map(|it| profile.kind(it)));
        }
    }
    if boxes.is_empty() {
        return;
    }
    let text = &entry.text;
    for milestone in crate::parse::gsd::milestones(text) {
        let mut phases: Vec<(&str, Option<Kind>)> = Vec::new();
        let mut ambiguous = false;
        for (id, kinds) in &boxes {
            if !crate::parse::gsd::in_range(id, &milestone.range) {
                continue;
            }
            match kinds.as_slice() {
                [kind] => phases.push((id, *kind)),
                _ => ambiguous = true,
            }
        }
        if ambiguous || phases.is_empty() {
            continue;
        }
        phases.sort_by(|a, b| crate::index::natural_cmp(a.0, b.0));
        let closed = |kind: &Option<Kind>| kind.is_some_and(|it| it.is_closed());
        let listed = |ids: Vec<&str>| match ids.as_slice() {
            [one] => format!("phase {one} is"),
            many => format!("phases {} are", many.join(", ")),
        };
        let (message, severity) = match milestone.said {
            Kind::Done => {
                let open: Vec<&str> = phases.iter().filter(|it| !closed(&it.1)).map(|it| it.0).collect();
                if open.is_empty() {
                    continue;
                }
                (format!("{} still open", listed(open)), Severity::Warning)
            }
            Kind::Todo => {
                let done: Vec<&str> = phases.iter().filter(|it| it.1 == Some(Kind::Done)).map(|it| it.0).collect();
                if done.is_empty() {
                    continue;
                }
                (format!("{} done", listed(done)), Severity::Hint)
            }
            Kind::Active if phases.iter().all(|it| closed(&it.1)) => {
                (format!("all {} of its phases in this roadmap are done", phases.len()), Severity::Hint)
            }
            _ => continue,
        };
        let at = crate::text::range(milestone.status.0, milestone.status.1);
        let said = text.get(milestone.status.0..milestone.status.1).unwrap_or_default();
        let message =
            format!("milestone {} is `{said}` (phases {}), but {message}", milestone.name, milestone.range_text);
        sink.push_capped(diagnostic(RuleCode::OpenChildren, file, at, message), severity);
    }
}

/// Kiro's checkpoints (`- [x] 5. Checkpoint - AOG Backend Complete`, `24. Final Checkpoint`):
/// Kiro's plans put one after a run of tasks, to stop and make sure all of them work, so a
/// checkpoint stands for the tasks before it.
/// - A checkpoint ticked while a task before it is still `[-]` under way: the task's marker is
///   stale or the checkpoint claims work that is not done. A warning, each such task named once,
///   at the first ticked checkpoint after it. A task before it left `[ ]` was skipped, which
///   Kiro allows (optional tasks), and is not reported.
/// - A checkpoint left `[-]` under way while a task after it is done was passed without being
///   ticked: a hint. One left `[ ]` was skipped, as a task may be.
pub(super) fn checkpoints(index: &WorkspaceIndex, file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    let Some(profile) = index.profile(file) else { return };
    if !profile.numbered_tasks {
        return;
    }
    let text = &entry.text;
    let kind_of = |place: &Place| place.status.map(|it| profile.kind(it));
    let is_checkpoint =
        |place: &Place| place.title.as_deref().is_some_and(|it| crate::text::contains_ignore_case(it, "checkpoint"));
    let top: Vec<&Place> = entry
        .parsed
        .places
        .iter()
        .filter(|it| it.kind == PlaceKind::ChecklistTask && it.task().is_some_and(|task| !task.id.contains('.')))
        .collect();
    // A task `[-]` whose subtasks are all done, but for Kiro's optional `- [ ]*` ones, did its
    // work: its own marker is behind, which `open-children` hints at.
    let optional: Vec<crate::text::TextRange> =
        entry.parsed.items.iter().filter(|it| it.optional).map(|it| it.marker_range).collect();
    let only_its_marker_is_behind = |task: &Place| {
        let Some(id) = task.task().map(|it| format!("{}.", it.id)) else { return false };
        let mut subtasks = entry
            .parsed
            .places
            .iter()
            .filter(|it| it.kind == PlaceKind::ChecklistTask && it.task().is_some_and(|sub| sub.id.starts_with(&id)))
            .filter(|it| !optional.contains(&it.marker.range))
            .peekable();
        subtasks.peek().is_some() && subtasks.all(|it| kind_of(it).is_some_and(Kind::is_closed))
    };
    let mut waiting: Vec<&Place> = Vec::new();
    for (at, place) in top.iter().copied().enumerate() {
        let Some(kind) = kind_of(place) else { continue };
        if !is_checkpoint(place) {
            let set_aside = place.title.as_deref().is_some_and(crate::model::is_set_aside);
            if kind == Kind::Active && !set_aside && !only_its_marker_is_behind(place) {
                waiting.push(place);
            }
            continue;
        }
        let id = place.task().map_or("", |it| &*it.id);
        if kind == Kind::Done {
            if waiting.is_empty() {
                continue;
            }
            let listed: Vec<String> = waiting
                .iter()
                .map(|it| format!("{} `{}`", it.task().map_or("", |task| &*task.id), it.shown()))
                .collect();
            let mut it = diagnostic(
                RuleCode::OpenChildren,
                file,
                place.marker.range,
                format!(
                    "checkpoint {id} is `{}` but {} before it {} still under way: {}",
                    place.shown(),
                    if waiting.len() == 1 { "a task" } else { "tasks" },
                    if waiting.len() == 1 { "is" } else { "are" },
                    listed.join(", ")
                ),
            );
            it.task = place.task().cloned();
            it.related = waiting
                .iter()
                .take(20)
                .map(|task| Related { file, range: task.line, message: format!("under way: {}", &text[task.line]) })
                .collect();
            sink.push_capped(it, Severity::Warning);
            waiting.clear();
        } else if kind == Kind::Active {
            let done_after =
                top[at + 1..].iter().filter(|it| !is_checkpoint(it) && kind_of(it) == Some(Kind::Done)).count();
            if done_after > 0 {
                let mut it = diagnostic(
                    RuleCode::OpenChildren,
                    file,
                    place.marker.range,
                    format!(
                        "checkpoint {id} is still `{}` but {done_after} {} after it {} done",
                        place.shown(),
                        if done_after == 1 { "task" } else { "tasks" },
                        if done_after == 1 { "is" } else { "are" },
                    ),
                );
                it.task = place.task().cloned();
                sink.push_capped(it, Severity::Hint);
            }
        }
    }
}

/// The phase a GSD plan id belongs to: `13-01` to `13`, `01.2-01a` to `1.2`.
fn plan_phase(id: &str) -> Option<String> {
    let (phase, _) = id.split_once('-')?;
    (!phase.is_empty() && phase.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then(|| crate::markdown::dotted_numeric_id(phase))
}

/// `open-children` of a task whose boxes are in a file of their own (Conductor's plan.md,
/// counted as a [`PlaceKind::PlanProgress`] place): a task done with boxes open is a warning,
/// at the place that says it is done; an open task whose boxes are all checked, a hint. A live
/// plan answers to the task's live places (`live`); an archived one to where its folder is.
pub(super) fn plan_progress(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    entry: &TaskEntry,
    live: &[PlaceRef],
    sink: &mut Sink<'_>,
) {
    for progress_ref in entry.places.iter().copied().filter(|it| index.place(*it).kind == PlaceKind::PlanProgress) {
        let reference = if index.is_history_place(progress_ref) {
            entry
                .places
                .iter()
                .copied()
                .find(|it| it.file == progress_ref.file && index.place(*it).kind == PlaceKind::StatusFolder)
        } else {
            index.speaker(live).map(|(it, _)| it)
        };
        let Some(reference) = reference else { continue };
        let (Some(status), Some(file)) = (index.place(reference).status, index.entry(progress_ref.file)) else {
            continue;
        };
        let progress = index.place(progress_ref);
        let boxes: Vec<&Item> = progress
            .child_items
            .iter()
            .filter_map(|it| file.parsed.items.get(it))
            .filter(|it| !crate::model::is_set_aside(&file.text[it.text]) && !done_with_its_task(file, it, profile))
            .collect();
        let open: Vec<&Item> = boxes
            .iter()
            .copied()
            .filter(|it| !it.status.is_some_and(|status| profile.kind(status).is_closed()))
            .collect();
        let said = index.place(reference);
        let place = format!("the {} ({})", said.kind.describe(), index.location(reference));
        // A plan file of its own (Conductor's plan.md), or a section of a file (a GSD phase's
        // deliverables in ROADMAP.md).
        let plan = if progress.extent.start() == 0.into() && usize::from(progress.extent.end()) == file.text.len() {
            format!("plan ({})", index.path(progress_ref.file))
        } else {
            format!("section ({})", index.location(progress_ref))
        };
        let hint = |message: String, sink: &mut Sink<'_>| {
            let mut it = diagnostic(RuleCode::OpenChildren, reference.file, said.marker.range, message);
            it.task = Some(task.clone());
            sink.push_capped(it, Severity::Hint);
        };
        if profile.kind(status) == Kind::Done && !open.is_empty() {
            let mut it = diagnostic(
                RuleCode::OpenChildren,
                reference.file,
                said.marker.range,
                format!(
                    "task {task} is `{}` in {place} but {} of its {plan} {} still open",
                    said.shown(),
                    match (open.len(), boxes.len()) {
                        (1, 1) => "the only box".to_string(),
                        (open, all) if open == all => format!("all {all} boxes"),
                        (open, all) => format!("{open} of the {all} boxes"),
                    },
                    if open.len() == 1 { "is" } else { "are" }
                ),
            );
            it.task = Some(task.clone());
            it.related = open
                .iter()
                .take(20)
                .map(|item| Related {
                    file: progress_ref.file,
                    range: crate::text::line_range_at(&file.text, usize::from(item.marker_range.start())),
                    message: format!("open: {}", file.text[item.text].trim()),
                })
                .collect();
            sink.push(it);
        } else if !profile.kind(status).is_closed() && open.is_empty() {
            hint(
                format!(
                    "all {} boxes of task {task}'s {plan} are checked, but it is still `{}` in {place}",
                    boxes.len(),
                    said.shown()
                ),
                sink,
            );
        } else if profile.says_not_begun(status) && open.len() < boxes.len() {
            // A status that says "not begun" (Conductor's `[ ]` and `new`, beside its `[~]`; not
            // GSD's `[ ]`, which says only "not done") over a plan some of whose boxes are done:
            // Conductor marks the track `[~]` as it starts its first task, so the track is
            // behind its plan.
            hint(
                format!(
                    "task {task} is `{}` in {place}, but {} of the {} boxes of its {plan} are done",
                    said.shown(),
                    boxes.len() - open.len(),
                    boxes.len()
                ),
                sink,
            );
        } else if profile.kind(status) == Kind::Active
            && plan_not_begun(profile, progress)
            && entry.places.iter().any(|it| index.is_as_created(*it))
        {
            // Conductor marks a plan's task `[~]` as it starts it: a track under way with no box
            // of its plan begun and its metadata.json as made says more than both do (Vete's
            // `[~]` tracks over plans of 0/25, their metadata still `new`). A track `set` under
            // way has its metadata written, and waits for its first box in peace.
            hint(
                format!(
                    "task {task} is `{}` in {place}, but no box of its {plan} is begun ({})",
                    said.shown(),
                    progress.shown()
                ),
                sink,
            );
        }
    }
}

/// Whether a counted plan says no box of it was begun (none checked, none under way).
fn plan_not_begun(profile: &Profile, progress: &Place) -> bool {
    progress.kind == PlaceKind::PlanProgress && progress.status.is_some_and(|it| profile.kind(it) == Kind::Todo)
}

/// Whether a task's live plan says no box of it was begun.
pub(super) fn live_plan_not_begun(index: &WorkspaceIndex, profile: &Profile, entry: &TaskEntry) -> bool {
    entry.places.iter().any(|it| !index.is_history_place(*it) && plan_not_begun(profile, index.place(*it)))
}

fn describe_parent(place: &Place) -> &'static str {
    match place.kind {
        PlaceKind::PlanPhase | PlaceKind::PhaseFile => "phase",
        PlaceKind::PlanHeader => "plan",
        _ => "task",
    }
}

/// A plan header behind its phases: `[NOT STARTED]` over seven `[COMPLETED]` phases. A header
/// ahead of its phases is `open-children`'s business.
/// Whether every other place of the plan's task (its TODO.md section, its state.json entry)
/// says a status of the header's kind: the plan's phases are then ahead of the whole task, not
/// of the header alone.
fn task_agrees_with_header(index: &WorkspaceIndex, header: &Place, profile: &Profile, status: StatusId) -> bool {
    let Some(entry) = header.task().and_then(|it| index.task(it)) else { return false };
    let others: Vec<Kind> = entry
        .places
        .iter()
        .map(|it| index.place(*it))
        .filter(|it| !matches!(it.kind, PlaceKind::PlanHeader | PlaceKind::PlanPhase))
        .filter_map(|it| Some(profile.kind(it.status?)))
        .collect();
    !others.is_empty() && others.iter().all(|it| *it == profile.kind(status))
}

#[allow(clippy::too_many_arguments)]
fn stale_header(
    file: FileId,
    parsed: &ParsedFile,
    place_index: usize,
    place: &Place,
    profile: &Profile,
    status: StatusId,
    task_agrees: bool,
    sink: &mut Sink<'_>,
) {
    let phases: Vec<(&Place, Kind)> = place
        .child_places
        .iter()
        .filter_map(|it| parsed.places.get(it))
        .filter_map(|phase| Some((phase, profile.kind(phase.status?))))
        .collect();
    let Some(derived) = derived_header_kind(parsed, place, profile) else { return };
    let header_kind = profile.kind(status);
    if header_kind.progress() >= derived.progress() {
        return;
    }
    let done = phases.iter().filter(|(_, kind)| *kind == Kind::Done).count();
    let started = phases.iter().filter(|(_, kind)| kind.progress() > 0).count();
    let total = place.child_places.len();
    let summary = if derived.progress() == 2 {
        format!("all {total} phases are closed ({done} done)")
    } else {
        format!("{started} of {total} phases are under way or done")
    };
    let mut it = diagnostic(
        RuleCode::PlanStatusStale,
        file,
        place.marker.range,
        format!("plan header says `{}` but {summary}", place.shown()),
    );
    it.task = place.task().cloned();
    it.related = phases
        .iter()
        .take(20)
        .map(|(phase, _)| Related {
            file,
            range: phase.marker.range,
            message: format!("{} {}", phase.title.as_deref().unwrap_or("phase"), phase.marker.text),
        })
        .collect();
    // Every phase closed under a header still under way, as the whole task is: the moment
    // before the task is completed (which moves the header), as a task over ticked boxes is.
    // A hint, as there. A task other places say is done (or not started) keeps the warning.
    if derived.progress() == 2 && header_kind.progress() == 1 && task_agrees {
        sink.push_capped(it, Severity::Hint);
        return;
    }
    if let Some(target) = representative(profile, derived, place.marker.spelling) {
        it.fix = Some(FixHint::DeriveHeader { place: place_index, status: target });
    }
    sink.push(it);
}

/// Whether the place is a plan header behind its phases (what `plan-status-stale` reports).
pub(crate) fn header_behind_phases(index: &WorkspaceIndex, place_ref: crate::index::PlaceRef) -> bool {
    let place = index.place(place_ref);
    if place.kind != PlaceKind::PlanHeader {
        return false;
    }
    let (Some(profile), Some(status)) = (index.profile(place_ref.file), place.status) else { return false };
    let parsed = index.parsed(place_ref.file);
    derived_header_kind(parsed, place, profile)
        .is_some_and(|derived| profile.kind(status).progress() < derived.progress())
}

/// What a plan header's phases add up to, never more than "under way" while a phase cannot be
/// read (it may still be open).
fn derived_header_kind(parsed: &ParsedFile, place: &Place, profile: &Profile) -> Option<Kind> {
    let phases = place.child_places.iter().filter_map(|it| parsed.places.get(it));
    let mut derived = derived_kind(phases.clone().filter_map(|phase| Some(profile.kind(phase.status?))))?;
    if phases.clone().any(|it| it.status.is_none()) && derived.is_closed() {
        derived = Kind::Active;
    }
    Some(derived)
}

/// The kind a set of phases adds up to: closed when all are closed (done if any is done),
/// under way when any has started, not started otherwise.
pub(crate) fn derived_kind(kinds: impl Iterator<Item = Kind>) -> Option<Kind> {
    let kinds: Vec<Kind> = kinds.collect();
    if kinds.is_empty() {
        return None;
    }
    if kinds.iter().all(|it| it.is_closed()) {
        return Some(if kinds.contains(&Kind::Done) { Kind::Done } else { Kind::Cancelled });
    }
    if kinds.iter().any(|it| it.progress() > 0) {
        return Some(if kinds.iter().all(|it| *it == Kind::Blocked || it.is_closed()) {
            Kind::Blocked
        } else {
            Kind::Active
        });
    }
    Some(Kind::Todo)
}

/// The status that stands for `kind` on a plan header written in `spelling`.
pub(crate) fn representative(profile: &Profile, kind: Kind, spelling: crate::vocabulary::Spelling) -> Option<StatusId> {
    profile
        .ids()
        .find(|it| {
            profile.kind(*it) == kind
                && profile.status(*it).in_scope(Scope::Phase)
                && profile.status(*it).has_spelling(spelling)
        })
        .or_else(|| profile.ids().find(|it| profile.kind(*it) == kind && profile.status(*it).has_spelling(spelling)))
}

#[cfg(test)]
mod tests {
    use super::phases_count;

    #[test]
    fn a_phases_count_is_read_whatever_is_before_it() {
        assert_eq!(phases_count("- **Overall Progress**: 94% (15/16 phases)"), Some((15, 16, 29..34)));
        assert_eq!(phases_count("Progress: 3/7 phases complete"), Some((3, 7, 10..13)));
        assert_eq!(phases_count("Progress: é3/7 phases"), Some((3, 7, 12..15)));
        assert_eq!(phases_count("Progress: ééé16 phases"), None);
        assert_eq!(phases_count("Progress: /16 phases"), None);
        assert_eq!(phases_count("Progress: 16 phases"), None);
    }
}
