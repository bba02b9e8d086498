//! Rules of the dependency graph: `dependency-not-done` (a task under way or done before what
//! it depends on) and `dependency-dead` (a task that waits, directly or through other open
//! tasks, on one that was abandoned or cancelled, and so can never be done as planned).

use crate::diagnostic::{Related, RuleCode, diagnostic};
use crate::index::{PlaceRef, TaskEntry, WorkspaceIndex};
use crate::model::TaskKey;
use crate::rules::Sink;
use crate::vocabulary::{Kind, Profile, StatusId};

/// `agreeing` are the task's agreeing places ([`WorkspaceIndex::agreeing_places`]), `status`
/// what they say.
pub(super) fn not_done(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    agreeing: &[PlaceRef],
    status: Option<(PlaceRef, StatusId)>,
    sink: &mut Sink<'_>,
) {
    let Some((speaker, status)) = status else { return };
    let kind = profile.kind(status);
    // Not for a task closed by `[EXPANDED]`: its work went to its subtasks.
    if !matches!(kind, Kind::Active | Kind::Done) || profile.hands_off(status) {
        return;
    }
    // A vocabulary without phases (Backlog.md, compozy, Task Master) has one done status for
    // a task whose places may lag behind one another (compozy's table rows behind their task
    // files): a task done there is judged only where its own places and the dependency's agree,
    // or the warning only repeats the `status-mismatch` of one of them (30 such on the corpus
    // before this rule asked).
    let definition = profile.status(status);
    let task_only_done = kind == Kind::Done && definition.task && !definition.phase;
    if task_only_done && !places_agree(index, profile, agreeing) {
        return;
    }
    for (id, place_ref, range) in index.dependency_ids(task) {
        let Some(target) = index.resolve_dependency(task, id) else { continue };
        // A task without a status (archived, or none of its places read) has nothing to wait on.
        let target_agreeing = index.agreeing_places(&target);
        let Some((target_place, target_status)) = index.speaker(&target_agreeing) else { continue };
        let target_profile = index.task_profile(&target).unwrap_or(profile);
        let target_kind = target_profile.kind(target_status);
        // Work on a task may start while what it depends on is under way (teams and agents
        // work ahead all the time); not before that has started, and a task is not done
        // before its dependencies are.
        if target_kind == Kind::Done || (kind == Kind::Active && target_kind == Kind::Active) {
            continue;
        }
        // An open task waiting on an abandoned one can never be done: `dependency-dead`
        // says so, with the chain.
        if kind == Kind::Active && target_kind == Kind::Cancelled {
            continue;
        }
        if task_only_done && !places_agree(index, target_profile, &target_agreeing) {
            continue;
        }
        // A subtask that lists its own parent (`TASK-27.1.1` on `TASK-27.1`, as Backlog.md
        // subtasks do): a parent is done after its subtasks, never before; no order to report.
        if is_ancestor(&target.id, &task.id) {
            continue;
        }
        let mut it = diagnostic(
            RuleCode::DependencyNotDone,
            place_ref.file,
            range,
            format!(
                "task {task} is `{}` but depends on task {target}, which is `{}` ({})",
                index.place(speaker).shown(),
                index.place(target_place).shown(),
                index.location(target_place)
            ),
        );
        it.task = Some(task.clone());
        it.related.push(Related {
            file: target_place.file,
            range: index.place(target_place).marker.range,
            message: format!("task {target} is `{}`", index.place(target_place).shown()),
        });
        sink.push(it);
    }
}

/// Whether `ancestor` is an outline prefix of `id`: `27.1` of `27.1.1`, `TASK-3` of
/// `TASK-3.2` (a subtask's id extends its parent's in every family that numbers subtasks).
fn is_ancestor(ancestor: &str, id: &str) -> bool {
    id.len() > ancestor.len()
        && id.get(..ancestor.len()).is_some_and(|head| head.eq_ignore_ascii_case(ancestor))
        && id.as_bytes()[ancestor.len()] == b'.'
}

/// Whether the places that speak for a task's status (its agreeing places) agree with one
/// another.
fn places_agree(index: &WorkspaceIndex, profile: &Profile, places: &[PlaceRef]) -> bool {
    places.iter().all(|a| places.iter().all(|b| index.place(*a).agrees_with(index.place(*b), profile)))
}

/// An open task (not started, under way or blocked) one of whose dependencies is abandoned or
/// cancelled, or waits through other open tasks on one that is: reported at the dependency,
/// with the chain. Done and closed tasks are left alone: what they waited on no longer matters.
pub(super) fn dead(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    entry: &TaskEntry,
    status: Option<(PlaceRef, StatusId)>,
    sink: &mut Sink<'_>,
) {
    let Some((_, status)) = status else { return };
    if !matches!(profile.kind(status), Kind::Todo | Kind::Active | Kind::Blocked) || entry.archived {
        return;
    }
    for (id, place_ref, range) in index.dependency_ids(task) {
        let Some(dead_end) = index.dead_end(task, id) else { continue };
        let mut related = Vec::new();
        for (link, next) in dead_end.chain.iter().zip(dead_end.chain.iter().skip(1)) {
            if let Some((place, _)) = index.task_status(link) {
                related.push(Related {
                    file: place.file,
                    range: index.place(place).marker.range,
                    message: format!("task {link} is `{}` and depends on task {next}", index.status_shown(link)),
                });
            }
        }
        if let Some(last) = dead_end.chain.last() {
            related.push(Related {
                file: dead_end.place.file,
                range: index.place(dead_end.place).marker.range,
                message: format!("task {last} is `{}`", index.status_shown(last)),
            });
        }
        let mut it = diagnostic(
            RuleCode::DependencyDead,
            place_ref.file,
            range,
            format!("task {task} can never be done as planned: it depends on {}", dead_end.words(index, true)),
        );
        it.task = Some(task.clone());
        it.related = related;
        sink.push(it);
    }
}
