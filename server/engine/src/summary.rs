//! A task at a glance: its places and whether they agree, its plan's progress, its timestamps,
//! dependencies and the statuses it may move to. `taskmark show`, hover and the editors'
//! task pickers all read this.

use crate::index::{PlaceRef, WorkspaceIndex, authority};
use crate::model::{PlaceKind, TaskKey};
use crate::parse::is_timestamp_field;
use crate::text::line_number;
use crate::vocabulary::{Kind, Origin, Profile, Scope, StatusId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceRow {
    pub place: PlaceRef,
    pub kind: &'static str,
    pub path: String,
    /// 1-based.
    pub line: u32,
    pub value: String,
    /// Whether the marker names a status of the vocabulary; an unknown one is `unknown-status`'s
    /// business, and neither agrees nor disagrees.
    pub known: bool,
    /// Whether it says what the task's status says (false for an unknown marker).
    pub agrees: bool,
    /// False for a plan header that is history (a superseded plan, or the plan of a task that
    /// handed its work over), which no longer has to agree.
    pub current: bool,
    /// What a plan's boxes count (Conductor's plan.md), or GSD STATE.md's position: compared
    /// with the plans by `open-children`, never a disagreement of the places
    /// ([`PlaceKind::stands_apart`]).
    pub counted: bool,
    /// For a place that is `counted`, how it is judged instead ([`PlaceKind::judged_apart`]).
    pub judged_by: &'static str,
    /// A Conductor metadata.json as the track was made, never updated since: behind whatever
    /// the track says now, by the tool's own way, so never a disagreement of the places.
    pub as_created: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub plan: String,
    pub phases_done: usize,
    pub phases: usize,
    pub boxes_done: usize,
    pub boxes: usize,
}

impl Progress {
    /// `3/7 phases · 12/20 boxes`, leaving out what the plan does not have.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if self.phases > 0 {
            parts.push(format!("{}/{} phases", self.phases_done, self.phases));
        }
        if self.boxes > 0 {
            parts.push(format!("{}/{} boxes", self.boxes_done, self.boxes));
        }
        parts.join(" · ")
    }
}

/// A status the task can be set to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChoice {
    /// The vocabulary's id (`in_progress`), what `taskmark.setStatus` takes.
    pub id: String,
    /// As users read it (`[IN PROGRESS]`).
    pub display: String,
    /// Whether the vocabulary allows the transition from the current status; the others need
    /// `force`.
    pub allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub id: String,
    /// The dependency's status as its authoritative place writes it; `None` when no task of
    /// that id exists.
    pub status: Option<String>,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    pub task: TaskKey,
    pub title: Option<String>,
    pub status: Option<String>,
    pub places: Vec<PlaceRow>,
    pub progress: Option<Progress>,
    /// Timestamp fields (`Started`, `Completed`) of the authoritative place, as written.
    pub timestamps: Vec<(String, String)>,
    pub dependencies: Vec<Dependency>,
    /// The statuses the vocabulary allows next, in vocabulary order.
    pub next: Vec<StatusChoice>,
    pub archived: bool,
    /// Whether taskmark may write any of its places (an OpenSpec change's status is where its
    /// folder is, which `openspec archive` moves).
    pub settable: bool,
}

impl TaskSummary {
    /// Whether every place that has to agree does.
    pub fn agrees(&self) -> bool {
        self.places.iter().filter(|it| it.current && it.known && !it.counted && !it.as_created).all(|it| it.agrees)
    }
}

pub fn task_summary(index: &WorkspaceIndex, task: &TaskKey) -> TaskSummary {
    let entry = index.task(task).cloned().unwrap_or_default();
    let profile = index.task_profile(task);
    let speaker = index.task_status(task);
    let agreeing = index.agreeing_places(task);
    let mut places = Vec::new();
    let mut title = None;
    let mut timestamps = Vec::new();
    let mut ordered = entry.places.clone();
    ordered.sort_by_key(|it| (authority(index.place(*it).kind), index.path(it.file).to_string()));
    for place_ref in &ordered {
        let place = index.place(*place_ref);
        if title.is_none() {
            title = place.title.as_deref().filter(|it| !it.is_empty()).map(str::to_string);
        }
        if timestamps.is_empty() {
            timestamps = place
                .fields
                .iter()
                .filter(|it| is_timestamp_field(&it.name) && !it.value.trim().is_empty())
                .map(|it| (it.name.to_string(), it.value.trim().to_string()))
                .collect();
        }
        let counted = place.kind.stands_apart();
        let as_created = index.is_as_created(*place_ref);
        let agrees = match (profile, speaker, place.status) {
            (Some(profile), Some((speaker_ref, _)), Some(_)) => place.agrees_with(index.place(speaker_ref), profile),
            (_, _, None) => false,
            _ => true,
        };
        let line = index.entry(place_ref.file).map_or(1, |it| line_number(it.line_index(), place.marker.range.start()));
        places.push(PlaceRow {
            place: *place_ref,
            kind: place.kind.describe(),
            path: index.path(place_ref.file).to_string(),
            line,
            value: place.shown(),
            known: place.status.is_some(),
            agrees,
            current: agreeing.contains(place_ref) || place.status.is_none() || counted || as_created,
            counted,
            judged_by: place.kind.judged_apart().unwrap_or_default(),
            as_created,
        });
    }
    let progress = entry.current_plan.map(|plan| plan_progress(index, plan, profile));
    let mut dependencies: Vec<Dependency> = Vec::new();
    for place_ref in &entry.places {
        for dependency in &index.place(*place_ref).dependencies {
            if dependencies.iter().any(|it| it.id == dependency.id) || dependency.id == task.id {
                continue;
            }
            let target = index.resolve_dependency(task, &dependency.id);
            let status = target.as_ref().and_then(|it| index.task_status(it));
            let done = match (&target, status) {
                (Some(target), Some((_, status))) => {
                    index.task_profile(target).is_some_and(|profile| profile.kind(status) == Kind::Done)
                }
                _ => false,
            };
            dependencies.push(Dependency {
                id: dependency.id.clone(),
                status: status.map(|(place, _)| index.place(place).shown()),
                done,
            });
        }
    }
    // A task no place of which taskmark may write (an OpenSpec change, moved by its own tool)
    // has no next step to offer.
    let settable = index.status_is_writable(&entry);
    let next = match (profile, speaker) {
        (Some(profile), Some((_, status))) if settable => {
            // A learned status is a tracker's own word that taskmark read in its files (a tool's
            // bookkeeping `orphan_archived` among them): allowed when written, never offered.
            // The choice's id is the vocabulary's own id, compared as it is (`by_id` would
            // normalize every spelling of every status for each choice of each task).
            let learned = |choice: &StatusChoice| {
                profile.statuses.iter().any(|it| it.id == choice.id && it.origin == Origin::Learned)
            };
            status_choices(profile, Some(status)).into_iter().filter(|it| it.allowed && !learned(it)).collect()
        }
        _ => Vec::new(),
    };
    TaskSummary {
        task: task.clone(),
        title,
        status: speaker.map(|(place, _)| index.place(place).shown()),
        places,
        progress,
        timestamps,
        dependencies,
        next,
        archived: entry.archived,
        settable,
    }
}

/// The phases and checkboxes of a plan (or any file with phases and boxes) done so far.
pub fn plan_progress(index: &WorkspaceIndex, plan: crate::index::FileId, profile: Option<&Profile>) -> Progress {
    let parsed = index.parsed(plan);
    let kind_of = |status: Option<StatusId>| status.and_then(|it| profile.map(|p| p.kind(it)));
    let phases: Vec<_> = parsed.places.iter().filter(|it| it.kind == PlaceKind::PlanPhase).collect();
    Progress {
        plan: index.path(plan).to_string(),
        phases_done: phases.iter().filter(|it| kind_of(it.status) == Some(Kind::Done)).count(),
        phases: phases.len(),
        boxes_done: parsed.items.iter().filter(|it| kind_of(it.status) == Some(Kind::Done)).count(),
        boxes: parsed.items.len(),
    }
}

/// Every task status of the vocabulary other than `current`: the allowed ones first, then the
/// ones only a forced change reaches, each group in vocabulary order.
pub fn status_choices(profile: &Profile, current: Option<StatusId>) -> Vec<StatusChoice> {
    let mut choices: Vec<StatusChoice> = profile
        .ids()
        .filter(|it| profile.status(*it).task && Some(*it) != current)
        .map(|it| StatusChoice {
            id: profile.status(it).id.clone(),
            display: profile.display(it),
            allowed: current.is_none_or(|from| profile.allows(Scope::Task, from, it)),
        })
        .collect();
    choices.sort_by_key(|it| !it.allowed);
    choices
}
