//! `invalid-transition`: a place whose status changed since the baseline to one no path of
//! allowed steps leads to.

use std::collections::HashMap;

use crate::diagnostic::{Related, RuleCode, diagnostic};
use crate::index::{FileEntry, FileId, WorkspaceIndex};
use crate::model::{Place, PlaceKind, Subject};
use crate::rules::{Baseline, Sink};
use crate::vocabulary::{Lookup, Profile, Scope, StatusId};

pub(super) fn file(
    index: &WorkspaceIndex,
    baseline: &Baseline<'_>,
    file: FileId,
    entry: &FileEntry,
    sink: &mut Sink<'_>,
) {
    if !sink.enabled(RuleCode::InvalidTransition) {
        return;
    }
    let Some(profile) = index.profile(file) else { return };
    let Some(old_file) = baseline.index.file_id(&entry.path) else { return };
    // Places are matched by what they are about, in order, so a moved section still
    // matches itself.
    let mut old_places: HashMap<(&Subject, PlaceKind), Vec<&Place>> = HashMap::new();
    for place in &baseline.index.parsed(old_file).places {
        old_places.entry((&place.subject, place.kind)).or_default().push(place);
    }
    let mut seen: HashMap<(&Subject, PlaceKind), usize> = HashMap::new();
    // What each baseline status reaches, walked the first time a place asks: one workflow run
    // over a file of 25,000 tasks asks the same few questions thousands of times.
    let mut reachable: HashMap<(Scope, StatusId), Vec<bool>> = HashMap::new();
    for place in &entry.parsed.places {
        let key = (&place.subject, place.kind);
        let nth = seen.entry(key).or_insert(0);
        let old = old_places.get(&key).and_then(|it| it.get(*nth)).copied();
        *nth += 1;
        let (Some(old), Some(to)) = (old, place.status) else { continue };
        // Read the old marker with today's vocabulary.
        let Some(from) = read(profile, old) else { continue };
        if from == to {
            continue;
        }
        let Some(scope) = transition_scope(profile, place, from, to) else { continue };
        if profile.allows(scope, from, to) || summarises_its_phases(entry, place, profile, to) {
            continue;
        }
        // Several allowed steps may lie between the baseline and now (`set 1 researching`,
        // `set 1 researched`, no commit between): only a status no path reaches is a jump.
        let reached = reachable.entry((scope, from)).or_insert_with(|| profile.reachable(scope, from));
        if reached.get(usize::from(to.0)).is_some_and(|it| *it) {
            continue;
        }
        let allowed = profile.next(scope, from);
        // A terminal status says it by allowing none; otherwise say the allowed steps lead
        // elsewhere, so nobody looks for a path through them.
        let no_path = if allowed.is_empty() {
            String::new()
        } else {
            format!("; no path of allowed steps leads to `{}`", place.shown())
        };
        let mut it = diagnostic(
            RuleCode::InvalidTransition,
            file,
            place.marker.range,
            format!(
                "`{}` -> `{}` is not an allowed transition (since {}); from `{}` the {} vocabulary allows {}{no_path}",
                show(profile, from, &old.marker.text),
                place.shown(),
                baseline.label,
                show(profile, from, &old.marker.text),
                profile.name,
                profile.display_list(&allowed),
            ),
        );
        it.task = place.task().cloned();
        it.related.push(Related {
            file,
            range: place.marker.range,
            message: format!("was `{}` at {}", old.shown(), baseline.label),
        });
        sink.push(it);
    }
}

/// Whether a plan header now says what its phases add up to: a header summarises its phases,
/// whose own transitions are checked, so catching it up (by hand, or by `taskmark fix`) is no
/// forbidden jump, however far it moves.
fn summarises_its_phases(entry: &FileEntry, place: &Place, profile: &Profile, to: StatusId) -> bool {
    if place.kind != PlaceKind::PlanHeader || place.child_places.is_empty() {
        return false;
    }
    let phases: Option<Vec<_>> = place
        .child_places
        .iter()
        .map(|it| entry.parsed.places.get(it).and_then(|phase| phase.status).map(|it| profile.kind(it)))
        .collect();
    phases.and_then(|kinds| super::children::derived_kind(kinds.into_iter())) == Some(profile.kind(to))
}

fn read(profile: &Profile, place: &Place) -> Option<StatusId> {
    match profile.lookup(place.marker.spelling, &place.marker.text, place.marker.scope) {
        Lookup::Known(id) => Some(id),
        Lookup::Unknown(_) => {
            // A plan header may hold either vocabulary.
            let other = if place.marker.scope == Scope::Task { Scope::Phase } else { Scope::Task };
            match profile.lookup(place.marker.spelling, &place.marker.text, other) {
                Lookup::Known(id) if place.kind == PlaceKind::PlanHeader => Some(id),
                _ => None,
            }
        }
    }
}

fn show(profile: &Profile, id: StatusId, written: &str) -> String {
    if written.starts_with('[') { written.to_string() } else { profile.display(id) }
}

/// Which table judges the change: a plan header takes the table both statuses belong to.
fn transition_scope(profile: &Profile, place: &Place, from: StatusId, to: StatusId) -> Option<Scope> {
    if place.kind != PlaceKind::PlanHeader {
        return Some(place.marker.scope);
    }
    let (from, to) = (profile.status(from), profile.status(to));
    if from.task && to.task {
        Some(Scope::Task)
    } else if from.phase && to.phase {
        Some(Scope::Phase)
    } else {
        None
    }
}
