//! `open-children` and `plan-status-stale`: a parent and what is under it.

use crate::engine::index::{FileEntry, FileId, WorkspaceIndex};
use crate::engine::model::{ParsedFile, Place, PlaceKind};
use crate::engine::rules::{FixHint, Parent, Related, RuleCode, Severity, Sink, diagnostic};
use crate::engine::text::TextRange;
use crate::engine::vocabulary::{Kind, Profile, Scope, StatusId};

pub(super) fn file(index: &WorkspaceIndex, file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    let Some(profile) = index.profile(file) else { return };
    let parsed = &entry.parsed;
    for (place_index, place) in parsed.places.iter().enumerate() {
        let Some(status) = place.status else { continue };
        let under = under_place(&entry.text, parsed, place, profile);
        let parent = ParentView {
            parent: Parent::Place(place_index),
            range: place.marker.range,
            shown: place.shown(),
            what: describe_parent(place),
            task: place.task().cloned(),
            has_phases: !place.child_places.is_empty(),
            // A plan header behind its phases is `plan-status-stale`'s to report.
            hint: place.kind != PlaceKind::PlanHeader,
        };
        report(file, &parent, profile.kind(status), &under, sink);
        if place.kind == PlaceKind::PlanHeader {
            stale_header(file, parsed, place_index, place, profile, status, sink);
        }
    }
    // Nested checkboxes: a checked box over unchecked ones, as org-mode checks them.
    let mut nested: Vec<Vec<usize>> = vec![Vec::new(); parsed.items.len()];
    for (position, item) in parsed.items.iter().enumerate() {
        if let Some(parent) = item.parent_item.filter(|it| *it < nested.len()) {
            nested[parent].push(position);
        }
    }
    for (position, item) in parsed.items.iter().enumerate() {
        let Some(status) = item.status else { continue };
        if nested[position].is_empty() {
            continue;
        }
        let under = summarize(nested[position].iter().filter_map(|it| parsed.items.get(*it)).filter_map(|child| {
            Some((
                &child.line,
                format!("[{}] {}", child.marker.text, &entry.text[child.text]),
                profile.kind(child.status?),
            ))
        }));
        let parent = ParentView {
            parent: Parent::Item(position),
            range: item.marker.range,
            shown: format!("[{}]", item.marker.text),
            what: "checkbox",
            task: None,
            has_phases: false,
            hint: true,
        };
        report(file, &parent, profile.kind(status), &under, sink);
    }
}

/// What is under a parent: the open children, and how many are done out of how many.
struct Children<'a> {
    open: Vec<(&'a TextRange, String)>,
    done: usize,
    total: usize,
}

fn summarize<'a>(children: impl Iterator<Item = (&'a TextRange, String, Kind)>) -> Children<'a> {
    let mut out = Children { open: Vec::new(), done: 0, total: 0 };
    for (line, text, kind) in children {
        out.total += 1;
        match kind {
            Kind::Done => out.done += 1,
            Kind::Cancelled => {}
            _ => out.open.push((line, text)),
        }
    }
    out
}

fn under_place<'a>(text: &str, parsed: &'a ParsedFile, place: &Place, profile: &Profile) -> Children<'a> {
    let phases = place.child_places.iter().filter_map(|it| parsed.places.get(*it)).filter_map(|child| {
        Some((
            &child.line,
            format!("{} {}", child.title.as_deref().unwrap_or("phase"), child.shown()),
            profile.kind(child.status?),
        ))
    });
    let items = place.child_items.iter().filter_map(|it| parsed.items.get(*it)).filter_map(|item| {
        Some((&item.line, format!("[{}] {}", item.marker.text, &text[item.text]), profile.kind(item.status?)))
    });
    summarize(phases.chain(items))
}

struct ParentView {
    parent: Parent,
    range: TextRange,
    shown: String,
    what: &'static str,
    task: Option<crate::engine::model::TaskKey>,
    has_phases: bool,
    hint: bool,
}

fn report(file: FileId, parent: &ParentView, kind: Kind, under: &Children<'_>, sink: &mut Sink<'_>) {
    if under.total == 0 {
        return;
    }
    if kind.is_closed() && !under.open.is_empty() {
        let what = if parent.has_phases { "items and phases" } else { "items" };
        let summary = if under.total == 1 {
            "the only item under it is still open".to_string()
        } else {
            format!(
                "{} of the {} {what} under it {} still open",
                under.open.len(),
                under.total,
                if under.open.len() == 1 { "is" } else { "are" }
            )
        };
        let mut it = diagnostic(
            RuleCode::OpenChildren,
            file,
            parent.range,
            format!("{} is `{}` but {summary}", parent.what, parent.shown),
        );
        it.task = parent.task.clone();
        it.related = under
            .open
            .iter()
            .take(20)
            .map(|(range, text)| Related { file, range: **range, message: format!("open: {text}") })
            .collect();
        it.fix = Some(FixHint::CloseChildren { parent: parent.parent });
        sink.push(it);
    } else if !kind.is_closed() && under.done == under.total && parent.hint {
        // Everything under it is done: a hint, not a warning (the parent may have work of its own).
        let mut it = diagnostic(
            RuleCode::OpenChildren,
            file,
            parent.range,
            if under.total == 1 {
                format!("the only item under this {} is done, but it is still `{}`", parent.what, parent.shown)
            } else {
                format!(
                    "all {} items under this {} are done, but it is still `{}`",
                    under.total, parent.what, parent.shown
                )
            },
        );
        it.task = parent.task.clone();
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
    let Some(mut derived) = derived_kind(phases.iter().map(|(_, kind)| *kind)) else { return };
    // A phase whose marker cannot be read may still be open: never claim more than "under way".
    let unreadable = place.child_places.iter().filter_map(|it| parsed.places.get(*it)).any(|it| it.status.is_none());
    if unreadable && derived.is_closed() {
        derived = Kind::Active;
    }
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
        return Some(if kinds.iter().all(|it| *it == Kind::Blocked || it.is_closed()) {
            Kind::Blocked
        } else {
            Kind::Active
        });
    }
    Some(Kind::Todo)
}

/// The status that stands for `kind` on a plan header written in `spelling`.
pub(crate) fn representative(
    profile: &Profile,
    kind: Kind,
    spelling: crate::engine::vocabulary::Spelling,
) -> Option<StatusId> {
    profile
        .ids()
        .find(|it| {
            profile.kind(*it) == kind
                && profile.status(*it).in_scope(Scope::Phase)
                && profile.status(*it).has_spelling(spelling)
        })
        .or_else(|| profile.ids().find(|it| profile.kind(*it) == kind && profile.status(*it).has_spelling(spelling)))
}
