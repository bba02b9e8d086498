//! `open-children` and `plan-status-stale`: a parent and what is under it.

use crate::engine::index::{FileId, WorkspaceIndex};
use crate::engine::model::{ParsedFile, Place, PlaceKind};
use crate::engine::rules::{FixHint, Related, RuleCode, Severity, Sink, diagnostic};
use crate::engine::vocabulary::{Kind, Profile, Scope, StatusId};

pub(super) fn run(index: &WorkspaceIndex, sink: &mut Sink<'_>) {
    for (file, entry) in index.entries() {
        let Some(profile) = index.profile(file) else { continue };
        for (place_index, place) in entry.parsed.places.iter().enumerate() {
            let Some(status) = place.status else { continue };
            open_children(file, &entry.parsed, place_index, place, profile, status, sink);
            if place.kind == PlaceKind::PlanHeader {
                stale_header(file, &entry.parsed, place_index, place, profile, status, sink);
            }
        }
    }
}

/// What is under a place: its child places and checkbox items, with their statuses.
struct Children<'a> {
    open: Vec<(&'a crate::engine::text::TextRange, String)>,
    done: usize,
    total: usize,
}

fn children<'a>(parsed: &'a ParsedFile, place: &Place, profile: &Profile) -> Children<'a> {
    let mut out = Children { open: Vec::new(), done: 0, total: 0 };
    for child in place.child_places.iter().filter_map(|it| parsed.places.get(*it)) {
        let Some(status) = child.status else { continue };
        out.total += 1;
        match profile.kind(status) {
            Kind::Done => out.done += 1,
            Kind::Cancelled => {}
            _ => out.open.push((&child.line, format!("{} {}", child.title.as_deref().unwrap_or("phase"), child.marker.text))),
        }
    }
    for item in place.child_items.iter().filter_map(|it| parsed.items.get(*it)) {
        let Some(status) = item.status else { continue };
        out.total += 1;
        match profile.kind(status) {
            Kind::Done => out.done += 1,
            Kind::Cancelled => {}
            _ => out.open.push((&item.line, format!("[{}] {}", item.marker.text, item.text))),
        }
    }
    out
}

fn open_children(
    file: FileId,
    parsed: &ParsedFile,
    place_index: usize,
    place: &Place,
    profile: &Profile,
    status: StatusId,
    sink: &mut Sink<'_>,
) {
    let kind = profile.kind(status);
    let under = children(parsed, place, profile);
    if under.total == 0 {
        return;
    }
    let what = describe_parent(place);
    if kind.is_closed() && !under.open.is_empty() {
        let mut it = diagnostic(
            RuleCode::OpenChildren,
            file,
            place.marker.range,
            format!(
                "{what} is `{}` but {} of {} items under it are still open",
                place.shown(),
                under.open.len(),
                under.total
            ),
        );
        it.task = place.task().cloned();
        it.related = under
            .open
            .iter()
            .take(20)
            .map(|(range, text)| Related { file, range: **range, message: format!("open: {text}") })
            .collect();
        it.fix = Some(FixHint::CloseChildren { place: place_index });
        sink.push(it);
    } else if !kind.is_closed() && under.done == under.total && place.kind != PlaceKind::PlanHeader {
        // Everything under it is done: a hint, not a warning (the parent may have work of its own).
        let mut it = diagnostic(
            RuleCode::OpenChildren,
            file,
            place.marker.range,
            format!("all {} items under this {what} are done, but it is still `{}`", under.total, place.shown()),
        );
        it.task = place.task().cloned();
        sink.push_capped(it, Severity::Hint);
    }
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
fn stale_header(
    file: FileId,
    parsed: &ParsedFile,
    place_index: usize,
    place: &Place,
    profile: &Profile,
    status: StatusId,
    sink: &mut Sink<'_>,
) {
    let phases: Vec<(&Place, Kind)> = place
        .child_places
        .iter()
        .filter_map(|it| parsed.places.get(*it))
        .filter_map(|phase| Some((phase, profile.kind(phase.status?))))
        .collect();
    let Some(derived) = derived_kind(phases.iter().map(|(_, kind)| *kind)) else { return };
    let header_kind = profile.kind(status);
    if header_kind.progress() >= derived.progress() {
        return;
    }
    let done = phases.iter().filter(|(_, kind)| *kind == Kind::Done).count();
    let started = phases.iter().filter(|(_, kind)| kind.progress() > 0).count();
    let summary = if derived.progress() == 2 {
        format!("all {} phases are closed ({done} done)", phases.len())
    } else {
        format!("{started} of {} phases are under way or done", phases.len())
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
    if let Some(target) = representative(profile, derived, place.marker.spelling) {
        it.fix = Some(FixHint::DeriveHeader { place: place_index, status: target });
    }
    sink.push(it);
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
        return Some(if kinds.iter().all(|it| *it == Kind::Blocked || it.is_closed()) { Kind::Blocked } else { Kind::Active });
    }
    Some(Kind::Todo)
}

/// The status that stands for `kind` on a plan header written in `spelling`.
pub(crate) fn representative(profile: &Profile, kind: Kind, spelling: crate::engine::vocabulary::Spelling) -> Option<StatusId> {
    profile
        .ids()
        .find(|it| profile.kind(*it) == kind && profile.status(*it).in_scope(Scope::Phase) && profile.status(*it).has_spelling(spelling))
        .or_else(|| profile.ids().find(|it| profile.kind(*it) == kind && profile.status(*it).has_spelling(spelling)))
}
