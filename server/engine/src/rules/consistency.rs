//! Rules across the places of a task: `status-mismatch`, `duplicate-task`, `id-reused`,
//! and `orphan-task`.

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;

use crate::diagnostic::{FixHint, Related, RuleCode, diagnostic};
use crate::index::{PlaceRef, TaskEntry, WorkspaceIndex, authority};
use crate::layout::{Family, Role};
use crate::model::{PhaseKey, Place, PlaceKind, Subject, TaskKey};
use crate::rules::{Baseline, Sink};
use crate::timestamp::{self, Moment};
use crate::vocabulary::{Kind, Profile, Scope, StatusId};

/// What the per-task rules share, computed once per check.
pub(super) struct Context {
    /// Which roles each tracker has files for: orphan detection asks per task.
    roles: HashSet<(usize, Role)>,
    /// The spec-folder trackers whose state.json lists their not-started tasks too (most of
    /// them have an entry): only there is a not-started task missing from it an orphan. Many
    /// trackers add a task to state.json only when work on it starts.
    mirrored: HashSet<usize>,
}

/// What, when it changes, changes every task's orphan check.
pub(super) type Shape = (HashSet<(usize, Role)>, HashSet<usize>);

pub(super) fn shape(cx: &Context) -> Shape {
    (cx.roles.clone(), cx.mirrored.clone())
}

/// The context of an index whose tracker roles are known not to have changed.
pub(super) fn context_with_roles(roles: HashSet<(usize, Role)>, mirror: &Mirror) -> Context {
    Context { roles, mirrored: mirror.mirrored() }
}

pub(super) fn context(index: &WorkspaceIndex, mirror: &Mirror) -> Context {
    let mut roles = HashSet::new();
    let mut last = None;
    for (_, file) in index.entries() {
        // Neighbouring files mostly share their tracker and role: hashed once per run of them.
        let role = file.tracker.map(|tracker| (tracker, file.class.role));
        if role != last
            && let Some(role) = role
        {
            roles.insert(role);
        }
        last = role;
    }
    context_with_roles(roles, mirror)
}

/// Which spec-folder trackers list their not-started tasks in state.json, counted task by task
/// so that an update recounts only the tasks whose places changed.
#[derive(Debug, Default, Clone)]
pub(super) struct Mirror {
    /// Each not-started task with a TODO.md section: its tracker, and whether state.json lists it.
    tasks: std::collections::HashMap<TaskKey, (usize, bool)>,
    /// Per tracker: how many of those state.json lists, and how many there are.
    counts: BTreeMap<usize, (usize, usize)>,
}

impl Mirror {
    pub(super) fn of(index: &WorkspaceIndex) -> Mirror {
        // Counted in parallel: each task's places are read from all over the index.
        let tasks: Vec<(&TaskKey, (usize, bool))> =
            index.tasks().par_iter().filter_map(|(task, entry)| Some((task, counted(index, task, entry)?))).collect();
        let mut mirror = Mirror::default();
        for (task, (tracker, listed)) in tasks {
            mirror.count(task, tracker, listed);
        }
        mirror
    }

    /// Recounts `tasks` (their places changed, or they are gone).
    pub(super) fn update<'a>(&mut self, index: &WorkspaceIndex, tasks: impl Iterator<Item = &'a TaskKey>) {
        for task in tasks {
            if let Some((tracker, listed)) = self.tasks.remove(task)
                && let Some((with, all)) = self.counts.get_mut(&tracker)
            {
                *with -= usize::from(listed);
                *all -= 1;
                // A tracker left with no not-started task has no convention to count, as in a
                // count from scratch (kept at 0 of 0 it read as mirrored, and the next task
                // added unlisted became an orphan until a reload).
                if *all == 0 {
                    self.counts.remove(&tracker);
                }
            }
            if let Some((tracker, listed)) = index.task(task).and_then(|entry| counted(index, task, entry)) {
                self.count(task, tracker, listed);
            }
        }
    }

    fn count(&mut self, task: &TaskKey, tracker: usize, listed: bool) {
        let (with, all) = self.counts.entry(tracker).or_default();
        *with += usize::from(listed);
        *all += 1;
        self.tasks.insert(task.clone(), (tracker, listed));
    }

    /// The trackers whose state.json lists their not-started tasks as a rule: four in five at
    /// least. A bare majority is no convention: it flips when agents add a few listed tasks
    /// to a tracker that lists only tasks under way (issue 32's four agents, 8 new of 11), and
    /// every untouched task became an orphan.
    fn mirrored(&self) -> HashSet<usize> {
        self.counts
            .iter()
            .filter(|(_, (with, all))| *all > 0 && with * 5 >= all * 4)
            .map(|(tracker, _)| *tracker)
            .collect()
    }
}

/// A not-started task with a TODO.md section: its tracker and whether state.json lists it.
fn counted(index: &WorkspaceIndex, task: &TaskKey, entry: &TaskEntry) -> Option<(usize, bool)> {
    let profile = index.task_profile(task)?;
    let mut section = None;
    let mut listed = false;
    for place_ref in &entry.places {
        let place = index.place(*place_ref);
        match place.kind {
            PlaceKind::TodoSection => section = Some((place_ref.file, place.status)),
            PlaceKind::StateJson => listed = true,
            _ => {}
        }
    }
    let (file, Some(status)) = section? else { return None };
    let tracker = index.entry(file)?.tracker?;
    (profile.kind(status) == Kind::Todo).then_some((tracker, listed))
}

pub(super) fn task(
    index: &WorkspaceIndex,
    cx: &Context,
    baseline: Option<&Baseline<'_>>,
    task: &TaskKey,
    entry: &TaskEntry,
    sink: &mut Sink<'_>,
) {
    let Some(profile) = index.profile_of(entry) else { return };
    // An archived task's superseded plans are history (agreeing places leave them out); its
    // current plan still says what became of the task. Found once for the task's rules.
    let agreeing = index.agreeing_places_of(task, entry);
    let status = index.speaker(&agreeing);
    let (history, live): (Vec<PlaceRef>, Vec<PlaceRef>) =
        agreeing.iter().copied().partition(|it| index.is_history_place(*it));
    mismatch(index, profile, task, &live, baseline, sink);
    // What the history is compared with: the live places' status, or an archived task's first
    // record.
    let reference = index.speaker(if live.is_empty() { &history } else { &live }).map(|(it, _)| it);
    if let Some(reference) = reference {
        history_contradicts(index, profile, task, reference, &history, sink);
        behind_as_created(index, profile, task, entry, reference, sink);
    }
    super::children::plan_progress(index, profile, task, entry, &live, sink);
    sync_record(index, profile, task, entry, &live, sink);
    reused_id(index, task, entry, sink);
    duplicates(index, task, &entry.places, sink);
    live_and_archived(index, task, entry, sink);
    if !entry.archived {
        orphan(index, cx, profile, task, entry, status, sink);
    }
    super::dependencies::not_done(index, profile, task, &agreeing, status, sink);
    super::dependencies::dead(index, profile, task, entry, status, sink);
}

/// taskmaster-sync's record of what it last pushed of a task to the GitHub project, against the
/// task's live status. The record is behind until the next sync by design, so a hint: the
/// project shows the old status meanwhile. Not a place that must agree, or every `set` would
/// be drift until someone ran the sync.
fn sync_record(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    entry: &TaskEntry,
    live: &[PlaceRef],
    sink: &mut Sink<'_>,
) {
    let Some((speaker, status)) = index.speaker(live) else { return };
    for record in entry.places.iter().copied().filter(|it| index.place(*it).kind == PlaceKind::SyncRecord) {
        let place = index.place(record);
        if place.status.is_none_or(|pushed| profile.agree(pushed, status, true)) {
            continue;
        }
        let said = index.place(speaker);
        let mut it = diagnostic(
            RuleCode::StatusMismatch,
            record.file,
            place.marker.range,
            format!(
                "the GitHub project still has task {task} `{}` (taskmaster-sync's record); its {} says `{}` since: the next sync pushes it",
                place.shown(),
                said.kind.describe(),
                said.shown()
            ),
        );
        it.task = Some(task.clone());
        it.related =
            vec![Related { file: speaker.file, range: said.marker.range, message: format!("`{}` here", said.shown()) }];
        sink.push_capped(it, crate::diagnostic::Severity::Hint);
    }
}

pub(super) fn phases(index: &WorkspaceIndex, sink: &mut Sink<'_>) {
    // Phases written in two places (a PIDEA phase table row and the phase's own file).
    let mut phases: BTreeMap<&PhaseKey, Vec<PlaceRef>> = BTreeMap::new();
    for (file, entry) in index.entries() {
        for (position, place) in entry.parsed.places.iter().enumerate() {
            // Phases written in two files; two headings of one plan with the same number are
            // two phases, not two places of one.
            if let Subject::Phase(phase) = &place.subject
                && place.status.is_some()
                && place.is_phase_across_files()
            {
                phases.entry(phase).or_default().push(PlaceRef { file, index: position });
            }
        }
    }
    for (phase, mut places) in phases {
        if places.len() < 2 {
            continue;
        }
        // In path order, as a task's places are: file ids follow the order files were read in,
        // and the diagnostics must not depend on it.
        places.sort_by(|a, b| index.path(a.file).cmp(index.path(b.file)).then(a.index.cmp(&b.index)));
        if let (Some(task), Some(profile)) = (phase.task.as_ref(), index.profile(places[0].file)) {
            mismatch(index, profile, task, &places, None, sink);
        }
    }
}

fn agree(profile: &Profile, a: &Place, b: &Place) -> bool {
    a.agrees_with(b, profile)
}

/// The task status a place states that a fix may write everywhere: a task vocabulary's
/// word, or a box or spec status that is one of the task's statuses spelled in words too
/// (Conductor's `[~]` is `in_progress` in metadata.json, minsky's `ON HOLD` a task status).
/// Not a plan's own words, not what its boxes count.
fn stated_task_status(profile: &Profile, place: &Place) -> Option<StatusId> {
    let status = place.status?;
    let definition = profile.status(status);
    // A PIDEA phase row states a phase's status, which its phase file writes in words.
    let states_a_task = match place.kind {
        PlaceKind::IndexLine | PlaceKind::SpecStatus | PlaceKind::ChecklistTask | PlaceKind::SummaryFile => true,
        PlaceKind::PhaseTableRow => matches!(place.subject, Subject::Task(_)),
        _ => false,
    };
    let named = place.kind.task_vocabulary()
        || (states_a_task
            && definition.in_scope(Scope::Task)
            && (!definition.words.is_empty() || definition.json.is_some()));
    named.then_some(status)
}

fn mismatch(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    places: &[PlaceRef],
    baseline: Option<&Baseline<'_>>,
    sink: &mut Sink<'_>,
) {
    if places.len() < 2 {
        return;
    }
    // A plan header behind its own phases is stale whatever the other places say: it never
    // tells the task's status, and `plan-status-stale` gives the one help at its position.
    let (behind, speaking): (Vec<PlaceRef>, Vec<PlaceRef>) =
        places.iter().copied().partition(|it| super::children::header_behind_phases(index, *it));
    // Clusters of places that agree with the cluster's first member.
    let mut clusters: Vec<Vec<PlaceRef>> = Vec::new();
    for place in &speaking {
        let it = index.place(*place);
        match clusters.iter_mut().find(|cluster| agree(profile, index.place(cluster[0]), it)) {
            Some(cluster) => cluster.push(*place),
            None => clusters.push(vec![*place]),
        }
    }
    let Some(first) = clusters.first() else { return };
    if clusters.len() == 1 && behind.iter().all(|it| agree(profile, index.place(first[0]), index.place(*it))) {
        return;
    }
    let mut candidates: Vec<StatusId> = Vec::new();
    for place in speaking.iter().chain(&behind) {
        let it = index.place(*place);
        if let Some(status) = stated_task_status(profile, it)
            && !candidates.contains(&status)
        {
            candidates.push(status);
        }
    }
    let told = match clusters.len() {
        1 => Some((0, "its other places agree".to_string())),
        _ => truth(index, profile, task, &speaking, &clusters, baseline),
    };
    // Only generated copies disagree with their source: regenerating them settles the task.
    let regenerates = told.as_ref().is_some_and(|(truth, _)| {
        clusters.len() > 1
            && clusters[*truth].iter().any(|it| !index.place(*it).kind.is_generated_copy())
            && clusters
                .iter()
                .enumerate()
                .filter(|(at, _)| at != truth)
                .all(|(_, cluster)| cluster.iter().all(|it| index.place(*it).kind.is_generated_copy()))
            && behind.is_empty()
    });
    // The first fix aligns every place with the one that tells the status now.
    if let Some((truth, _)) = &told
        && let Some(status) = clusters[*truth].iter().find_map(|it| stated_task_status(profile, index.place(*it)))
        && let Some(at) = candidates.iter().position(|it| *it == status)
    {
        candidates[..=at].rotate_right(1);
    }
    let all: Vec<PlaceRef> = speaking.iter().chain(&behind).copied().collect();
    let fix = |place: &Place| match &place.subject {
        Subject::Task(_) => FixHint::AlignTask { task: task.clone(), candidates: candidates.clone(), regenerates },
        Subject::Phase(_) => FixHint::AlignPlaces { places: all.clone(), candidates: candidates.clone() },
    };
    let subject = |place: &Place| match &place.subject {
        Subject::Task(_) => format!("task {task}"),
        Subject::Phase(phase) => format!("phase {} of task {task}", phase.number),
    };
    let described = |it: PlaceRef| {
        format!("`{}` in the {} ({})", index.place(it).shown(), index.place(it).kind.describe(), index.location(it))
    };
    let Some((truth, why)) = told else {
        // Nothing says which is newer: one diagnostic for the task, at its most authoritative
        // place, listing them all.
        let Some(at) = speaking.iter().copied().min_by_key(|it| authority(index.place(*it).kind)) else { return };
        let place = index.place(at);
        let listed: Vec<String> = all.iter().map(|it| described(*it)).collect();
        let mut it = diagnostic(
            RuleCode::StatusMismatch,
            at.file,
            place.marker.range,
            format!("{}'s places disagree: {}; nothing says which is newer", subject(place), listed.join(", ")),
        );
        it.task = Some(task.clone());
        it.related = related(index, &all, at);
        it.fix = Some(fix(place));
        sink.push(it);
        return;
    };
    let newer: Vec<String> = clusters[truth].iter().map(|it| described(*it)).collect();
    let stale_headers: Vec<PlaceRef> = behind
        .iter()
        .copied()
        .filter(|it| !agree(profile, index.place(clusters[truth][0]), index.place(*it)))
        .collect();
    let behind_truth = clusters.iter().enumerate().filter(|(position, _)| *position != truth).flat_map(|(_, it)| it);
    for place_ref in behind_truth.chain(&stale_headers) {
        let place = index.place(*place_ref);
        let header = stale_headers.contains(place_ref);
        let mut it = diagnostic(
            RuleCode::StatusMismatch,
            place_ref.file,
            place.marker.range,
            format!(
                "{} is `{}` in this {} but {} ({why}{})",
                subject(place),
                place.shown(),
                place.kind.describe(),
                newer.join(" and "),
                if header { "; the header is behind its own phases too" } else { "" }
            ),
        );
        it.task = Some(task.clone());
        it.related = related(index, &clusters[truth], *place_ref);
        // plan-status-stale's help catches the header up with its phases; a second help at the
        // same position would contradict it.
        it.fix = (!header).then(|| fix(place));
        sink.push(it);
    }
}

/// `status-mismatch` once per task for its history (`history`: one voice per kind of record,
/// see [`WorkspaceIndex::agreeing_places`]): the records that do not agree with `speaker` (the
/// live places' speaker, or an archived task's first record), at the first of them,
/// naming the others. Without a fix: taskmark never rewrites history, and whether the live
/// places or the record are behind is for a person to say.
fn history_contradicts(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    speaker: PlaceRef,
    history: &[PlaceRef],
    sink: &mut Sink<'_>,
) {
    let contradicting: Vec<PlaceRef> =
        history.iter().copied().filter(|it| !agree(profile, index.place(speaker), index.place(*it))).collect();
    let Some(first) = contradicting.first().copied() else { return };
    let place = index.place(first);
    let said = |it: PlaceRef| {
        format!("`{}` in the {} ({})", index.place(it).shown(), index.place(it).kind.describe(), index.location(it))
    };
    let others: Vec<String> = contradicting[1..].iter().map(|it| said(*it)).collect();
    let mut it = diagnostic(
        RuleCode::StatusMismatch,
        first.file,
        place.marker.range,
        format!(
            "task {task}'s history says `{}` in this {}{} but {} says `{}` ({}); history is left as it is",
            place.shown(),
            place.kind.describe(),
            if others.is_empty() { String::new() } else { format!(" (and {})", others.join(", ")) },
            if index.is_history_place(speaker) { "its first archive record" } else { "the task" },
            index.place(speaker).shown(),
            index.location(speaker)
        ),
    );
    it.task = Some(task.clone());
    it.related = related(index, &[speaker], first);
    sink.push(it);
}

/// A hint at a Conductor metadata.json left as `newTrack` wrote it while the track moved on
/// ([`WorkspaceIndex::is_as_created`]): Conductor's `implement` moves only the tracks.md box,
/// so this is the tool's way, not a disagreement; the help writes the file up to date.
fn behind_as_created(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    entry: &TaskEntry,
    reference: PlaceRef,
    sink: &mut Sink<'_>,
) {
    let said = index.place(reference);
    // A track under way whose metadata.json as made agrees with a plan none of whose boxes was
    // begun: the status ahead of both is the one `plan_progress` points at, not the file behind.
    if said.status.is_some_and(|it| profile.kind(it) == Kind::Active)
        && super::children::live_plan_not_begun(index, profile, entry)
    {
        return;
    }
    for place_ref in entry.places.iter().copied().filter(|it| index.is_as_created(*it)) {
        let place = index.place(place_ref);
        if agree(profile, said, place) {
            continue;
        }
        let mut it = diagnostic(
            RuleCode::StatusMismatch,
            place_ref.file,
            place.marker.range,
            format!(
                "task {task}'s metadata.json still says `{}` as the track was made, never updated since, while the {} says `{}` ({}): Conductor moves only the tracks.md box; `taskmark set` writes both",
                place.shown(),
                said.kind.describe(),
                said.shown(),
                index.location(reference)
            ),
        );
        it.task = Some(task.clone());
        it.related = related(index, &[reference], place_ref);
        if let Some(status) = stated_task_status(profile, said) {
            it.fix = Some(FixHint::AlignTask { task: task.clone(), candidates: vec![status], regenerates: false });
        }
        sink.push_capped(it, crate::diagnostic::Severity::Hint);
    }
}

fn related(index: &WorkspaceIndex, places: &[PlaceRef], except: PlaceRef) -> Vec<Related> {
    places
        .iter()
        .filter(|it| **it != except)
        .map(|other| {
            let place = index.place(*other);
            Related {
                file: other.file,
                range: place.marker.range,
                message: format!("{}: `{}`", place.kind.describe(), place.shown()),
            }
        })
        .collect()
}

/// Which cluster of agreeing places tells the task's status now, and why: the one whose status
/// was entered last by the task's own timestamps (`Started` after `Researched`); else the one
/// most places agree on; else the one whose places changed since the baseline while the others
/// did not. `None` when nothing tells.
fn truth(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    places: &[PlaceRef],
    clusters: &[Vec<PlaceRef>],
    baseline: Option<&Baseline<'_>>,
) -> Option<(usize, String)> {
    // A generated copy never outvotes its source: Task Master writes task_NNN.txt (.md) from
    // tasks.json, and only when asked, so a text file that disagrees is behind.
    let generated = |cluster: &Vec<PlaceRef>| cluster.iter().all(|it| index.place(*it).kind.is_generated_copy());
    let sources: Vec<usize> = (0..clusters.len()).filter(|it| !generated(&clusters[*it])).collect();
    if let [source] = sources.as_slice()
        && clusters.len() > 1
    {
        return Some((*source, "the task files are generated from tasks.json, which says so".into()));
    }
    // A plan's summary exists only once GSD executed the plan: the plan is done, whatever its
    // box still says.
    let summarized: Vec<usize> = (0..clusters.len())
        .filter(|it| clusters[*it].iter().any(|place| index.place(*place).kind == PlaceKind::SummaryFile))
        .collect();
    if let [done] = summarized.as_slice() {
        return Some((*done, "GSD wrote its summary when it executed it".into()));
    }
    let unique_max = |scores: &[Option<Moment>]| -> Option<usize> {
        let best = scores.iter().flatten().max()?;
        let winners: Vec<usize> = (0..scores.len()).filter(|it| scores[*it].as_ref() == Some(best)).collect();
        (winners.len() == 1).then(|| winners[0])
    };
    // When each cluster's status was entered, by the stamp that status writes, looked up in the
    // task's places (state.json writes `started` where TODO.md writes `**Started**`).
    let entered = |place: PlaceRef| -> Option<Moment> {
        let stamp = profile.status(index.place(place).status?).stamp.clone()?;
        places
            .iter()
            .filter_map(|it| index.place(*it).field(&stamp))
            .filter_map(|it| timestamp::parse(&it.value).ok())
            .max()
    };
    let scores: Vec<Option<Moment>> =
        clusters.iter().map(|it| it.iter().filter_map(|place| entered(*place)).max()).collect();
    // Only when every side has a stamp: a status that writes none (`[BLOCKED]`) may be newer.
    if scores.iter().all(Option::is_some)
        && let Some(newest) = unique_max(&scores)
    {
        let stamp = clusters[newest]
            .iter()
            .find_map(|it| profile.status(index.place(*it).status?).stamp.clone())
            .unwrap_or_default();
        return Some((newest, format!("newer, by the task's {stamp} timestamp")));
    }
    let largest = clusters.iter().map(Vec::len).max().unwrap_or(0);
    let majority: Vec<usize> = (0..clusters.len()).filter(|it| clusters[*it].len() == largest).collect();
    if let [only] = majority.as_slice() {
        return Some((*only, "what most of its places say".into()));
    }
    let baseline = baseline?;
    let old = baseline.index.task(task);
    let changed = |place: PlaceRef| {
        let now = index.place(place);
        let before = old.into_iter().flat_map(|it| &it.places).find(|it| {
            baseline.index.path(it.file) == index.path(place.file) && baseline.index.place(**it).kind == now.kind
        });
        before.is_none_or(|it| baseline.index.place(*it).marker.text != now.marker.text)
    };
    let moved: Vec<usize> =
        (0..clusters.len()).filter(|it| clusters[*it].iter().any(|place| changed(*place))).collect();
    match moved.as_slice() {
        [only] => Some((*only, format!("changed since {}", baseline.label))),
        _ => None,
    }
}

/// A Conductor track with a folder both in `conductor/tracks/` and in `conductor/archive/`:
/// archiving moves the folder, so one of the two is left over. Once per task, a warning.
fn live_and_archived(index: &WorkspaceIndex, task: &TaskKey, entry: &TaskEntry, sink: &mut Sink<'_>) {
    let folder_place = |archived: bool| {
        entry.places.iter().copied().find(|it| {
            matches!(
                index.role(it.file),
                Some(Role::ConductorMetadata { archived: a } | Role::ConductorPlan { archived: a } | Role::ConductorIndex { archived: a })
                    if a == archived
            )
        })
    };
    let (Some(live), Some(archived)) = (folder_place(false), folder_place(true)) else { return };
    let folder = |place: PlaceRef| index.path(place.file).rsplit_once('/').map_or("", |it| it.0).to_string();
    let mut it = diagnostic(
        RuleCode::DuplicateTask,
        live.file,
        index.place(live).marker.range,
        format!(
            "track {task} has a folder in conductor/tracks/ ({}) and in conductor/archive/ ({}): archiving moves the folder, so one of them is left over",
            folder(live),
            folder(archived)
        ),
    );
    it.task = Some(task.clone());
    it.related = related(index, &[archived], live);
    sink.push_capped(it, crate::diagnostic::Severity::Warning);
}

fn duplicates(index: &WorkspaceIndex, task: &TaskKey, places: &[PlaceRef], sink: &mut Sink<'_>) {
    // One live definition per kind of place. History may record a task as often as it likes:
    // archived in state.json's completed_projects and in the archive's state.json, archived
    // again, re-recorded by a tool's bookkeeping.
    let mut first: BTreeMap<PlaceKind, PlaceRef> = BTreeMap::new();
    for place_ref in places {
        let place = index.place(*place_ref);
        if !place.kind.defines_task() || index.is_history_place(*place_ref) {
            continue;
        }
        let store = place.kind;
        match first.get(&store) {
            None => {
                first.insert(store, *place_ref);
            }
            Some(original) => {
                let at = place.heading_number.map_or(place.line, |it| {
                    crate::text::line_range_at(index.text(place_ref.file), usize::from(it.start()))
                });
                let mut it = diagnostic(
                    RuleCode::DuplicateTask,
                    place_ref.file,
                    at,
                    format!(
                        "task {task} is defined twice: another {} defines it at {}",
                        place.kind.describe(),
                        index.location(*original)
                    ),
                );
                it.task = Some(task.clone());
                it.related.push(Related {
                    file: original.file,
                    range: index.place(*original).line,
                    message: "first definition".into(),
                });
                sink.push(it);
            }
        }
    }
}

/// `id-reused` for an id handed out again (see [`WorkspaceIndex::reused_id`]).
fn reused_id(index: &WorkspaceIndex, task: &TaskKey, entry: &TaskEntry, sink: &mut Sink<'_>) {
    let Some(reused) = index.reused_id_of(task, entry) else { return };
    let Some(first) = reused.archived.first() else { return };
    let place = index.place(*first);
    let mut it = diagnostic(
        RuleCode::IdReused,
        reused.live.file,
        index.place(reused.live).line,
        format!(
            "task {task}'s id is used twice: folder `{}` holds a new task, and `{}` was archived under the same id ({})",
            reused.folder,
            place.title.as_deref().unwrap_or_default(),
            index.location(*first)
        ),
    );
    it.task = Some(task.clone());
    it.related = related(index, &reused.archived, reused.live);
    sink.push(it);
}

/// Stores of a tracker that every live task should appear in.
fn orphan(
    index: &WorkspaceIndex,
    cx: &Context,
    profile: &Profile,
    task: &TaskKey,
    entry: &TaskEntry,
    status: Option<(PlaceRef, StatusId)>,
    sink: &mut Sink<'_>,
) {
    let roles = &cx.roles;
    let Some(first) = entry.places.first().map(|it| it.file).or(entry.mentions.first().copied()) else { return };
    let Some(tracker_id) = index.entry(first).and_then(|it| it.tracker) else { return };
    let tracker = &index.trackers()[tracker_id];
    let has_role = |role: Role| roles.contains(&(tracker_id, role));
    let kinds: Vec<PlaceKind> = entry.places.iter().map(|it| index.place(*it).kind).collect();
    let mention_roles: Vec<Role> = entry.mentions.iter().filter_map(|it| index.role(*it)).collect();
    let has = |kind: PlaceKind| kinds.contains(&kind);
    let report = |sink: &mut Sink<'_>, at: Option<PlaceRef>, message: String| {
        let (file, range) = match at {
            Some(place) => (place.file, index.place(place).marker.range),
            None => (first, crate::text::range(0, 0)),
        };
        let mut it = diagnostic(RuleCode::OrphanTask, file, range, message);
        it.task = Some(task.clone());
        sink.push(it);
    };
    let place_of = |kind: PlaceKind| entry.places.iter().copied().find(|it| index.place(*it).kind == kind);
    match tracker.family {
        Family::SpecFolder => {
            let todo_exists = has_role(Role::Todo);
            let state_exists = has_role(Role::StateJson);
            let (in_todo, in_state) = (has(PlaceKind::TodoSection), has(PlaceKind::StateJson));
            let not_started = status.is_some_and(|(_, status)| profile.kind(status) == Kind::Todo);
            let expected_in_state = !not_started || cx.mirrored.contains(&tracker_id);
            if todo_exists && state_exists && in_todo && !in_state && expected_in_state {
                report(
                    sink,
                    place_of(PlaceKind::TodoSection),
                    format!("task {task} has a TODO.md section but no entry in state.json"),
                );
            } else if todo_exists && state_exists && in_state && !in_todo {
                report(
                    sink,
                    place_of(PlaceKind::StateJson),
                    format!("task {task} is in state.json but has no section in TODO.md"),
                );
            } else if !in_todo && !in_state && (todo_exists || state_exists) {
                let at = place_of(PlaceKind::TaskOrderLine)
                    .or_else(|| place_of(PlaceKind::PlanHeader))
                    .or_else(|| place_of(PlaceKind::TaskStateJson));
                let what = if has(PlaceKind::TaskOrderLine) { "a Task Order line" } else { "files" };
                if at.is_some() || mention_roles.iter().any(|it| matches!(it, Role::Plan { .. })) {
                    report(
                        sink,
                        at,
                        format!("task {task} has {what} but is in neither TODO.md nor state.json, nor archived"),
                    );
                }
            }
        }
        Family::Minsky
            if !has(PlaceKind::IndexLine)
                && (has(PlaceKind::SpecStatus) || mention_roles.contains(&Role::MinskySpec))
                && has_role(Role::MinskyIndex) =>
        {
            report(
                sink,
                place_of(PlaceKind::SpecStatus),
                format!("task {task} has a spec file but no line in the task index"),
            );
        }
        // Conductor's newTrack appends every track to tracks.md; archiving removes the line.
        Family::Conductor if has_role(Role::ConductorTracks) && !has(PlaceKind::IndexLine) => {
            let at = place_of(PlaceKind::TrackMetadata)
                .or_else(|| place_of(PlaceKind::IndexStatus))
                .or_else(|| place_of(PlaceKind::PlanProgress));
            report(sink, at, format!("track {task} has a folder in conductor/tracks/ but no entry in tracks.md"));
        }
        Family::Compozy => {
            // A v2 index lists a task without its status (a mention).
            let in_index =
                has(PlaceKind::IndexLine) || has(PlaceKind::IndexRow) || mention_roles.contains(&Role::CompozyIndex);
            let in_file = has(PlaceKind::Frontmatter) || mention_roles.contains(&Role::CompozyTask);
            if in_file && !in_index && has_role(Role::CompozyIndex) {
                report(
                    sink,
                    place_of(PlaceKind::Frontmatter),
                    format!("task {task} has a task file but no line in _tasks.md"),
                );
            } else if in_index && !in_file && has_role(Role::CompozyTask) {
                report(
                    sink,
                    place_of(if has(PlaceKind::IndexRow) { PlaceKind::IndexRow } else { PlaceKind::IndexLine }),
                    format!("task {task} is listed in _tasks.md but has no task file"),
                );
            }
        }
        // A task the GitHub sync record holds that tasks.json no longer has: still in the
        // project until the next sync removes it, so a hint.
        Family::TaskMaster
            if !has(PlaceKind::TaskJson) && !has(PlaceKind::TaskText) && has_role(Role::TaskMasterTasks) =>
        {
            if let Some(record) = place_of(PlaceKind::SyncRecord) {
                let mut it = diagnostic(
                    RuleCode::OrphanTask,
                    record.file,
                    index.place(record).marker.range,
                    format!(
                        "task {task} is in taskmaster-sync's record of the GitHub project but not in tasks.json: the project keeps it until the next sync"
                    ),
                );
                it.task = Some(task.clone());
                sink.push_capped(it, crate::diagnostic::Severity::Hint);
            }
        }
        // A task file for no task of tasks.json: one warning per file, at its task (its
        // subtasks go with it). Asked of the tracker's roles only, which the store follows: a
        // tasks.json that does not parse says so itself, and its tasks come back with it.
        Family::TaskMaster
            if !has(PlaceKind::TaskJson)
                && has(PlaceKind::TaskText)
                && !task.id.contains('.')
                && has_role(Role::TaskMasterTasks) =>
        {
            report(
                sink,
                place_of(PlaceKind::TaskText),
                format!(
                    "task {task} has a task file but no entry in tasks.json: the file is left from a task since removed or renumbered (`task-master generate` writes the files again)"
                ),
            );
        }
        _ => {}
    }
}
