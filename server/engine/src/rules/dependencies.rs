//! Rules of the dependency graph: `dependency-not-done` (a task under way or done before what
//! it depends on) and `dependency-dead` (a task that waits, directly or through other open
//! tasks, on one that was abandoned or cancelled, and so can never be done as planned).

use crate::diagnostic::{Related, RuleCode, diagnostic};
use crate::index::{PlaceRef, TaskEntry, WorkspaceIndex};
use crate::model::TaskKey;
use crate::rules::Sink;
use crate::vocabulary::{Kind, Profile, StatusId};

pub(super) fn not_done(
    index: &WorkspaceIndex,
    profile: &Profile,
    task: &TaskKey,
    status: Option<(PlaceRef, StatusId)>,
    sink: &mut Sink<'_>,
) {
    let Some((speaker, status)) = status else { return };
    let kind = profile.kind(status);
    // Not for a task closed by a task-only done status: `[EXPANDED]`, whose work went to its
    // subtasks, and any done status of a vocabulary without phases (Backlog.md, compozy, Task
    // Master). Checking those too found 30 warnings on the corpus that only repeated a
    // disagreement of the dependency's own places (compozy rows behind their task files).
    let definition = profile.status(status);
    if !matches!(kind, Kind::Active | Kind::Done) || (kind == Kind::Done && definition.task && !definition.phase) {
        return;
    }
    for (id, place_ref, range) in index.dependency_ids(task) {
        let Some(target) = index.resolve_dependency(task, id) else { continue };
        // A task without a status (archived, or none of its places read) has nothing to wait on.
        let Some((target_place, target_status)) = index.task_status(&target) else { continue };
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
