//! `plan_status_change`: one task's new status written at every place that states it.

use crate::change::fields::Planner;
use crate::change::{Refusal, StatusChangeOptions, WorkspaceChange};
use crate::index::WorkspaceIndex;
use crate::model::{Editability, PlaceKind, Subject};
use crate::parse::is_timestamp_field;
use crate::vocabulary::Scope;

/// Plans setting `task` to `status` (an id, marker, JSON value or word of its vocabulary).
pub fn plan_status_change(
    index: &WorkspaceIndex,
    task: &crate::model::TaskKey,
    status: &str,
    options: &StatusChangeOptions,
) -> Result<WorkspaceChange, Refusal> {
    let change = plan(index, task, status, options)?;
    change.validate(index)?;
    Ok(change)
}

fn plan(
    index: &WorkspaceIndex,
    task: &crate::model::TaskKey,
    status: &str,
    options: &StatusChangeOptions,
) -> Result<WorkspaceChange, Refusal> {
    // The reason as written: checked to be one line (every front door gives it as received),
    // trimmed, and an empty one is none.
    let given = options.reason.as_deref().filter(|it| !it.trim().is_empty());
    let reason = given.map(crate::change::user_text::reason).transpose()?;
    let checked;
    let options = if reason == options.reason.as_deref() {
        options
    } else {
        checked = StatusChangeOptions { reason: reason.map(str::to_string), ..options.clone() };
        &checked
    };
    let unknown = || Refusal::UnknownTask { id: task.id.to_string(), similar: Vec::new() };
    let entry = index.task(task).ok_or_else(unknown)?;
    let profile = index.task_profile(task).ok_or_else(unknown)?;
    let target = crate::change::task_status(profile, status)?;
    // A task whose every status place is written by another tool (an OpenSpec change is
    // archived by moving its folder): refused, not answered with "nothing to change".
    let stated: Vec<&crate::model::Place> =
        entry.places.iter().map(|it| index.place(*it)).filter(|it| matches!(it.subject, Subject::Task(_))).collect();
    if !index.status_is_writable(entry)
        && let Some(Editability::ReadOnly(reason)) = stated.first().map(|it| &it.editable)
        && stated.iter().any(|it| it.status.is_none_or(|own| !profile.agree(own, target, false)))
    {
        let path = entry.places.first().map(|it| index.path(it.file).to_string()).unwrap_or_default();
        return Err(Refusal::NotEditable {
            path,
            reason: format!("task {task}'s status is not written in a file: {reason}"),
        });
    }
    if let Some((speaker, from)) = index.task_status(task)
        && from != target
        && !options.force
        && !profile.allows(Scope::Task, from, target)
    {
        return Err(Refusal::InvalidTransition {
            task: task.clone(),
            from: index.place(speaker).shown(),
            to: profile.display(target),
            allowed: profile
                .next(Scope::Task, from)
                .into_iter()
                .map(|it| (profile.status(it).id.clone(), profile.display(it)))
                .collect(),
        });
    }

    // A reason the status requires must be given before anything is planned.
    if options.reason.is_none() && !options.force {
        for place_ref in &entry.places {
            let place = index.place(*place_ref);
            if place.kind != PlaceKind::TodoSection {
                continue;
            }
            for requirement in &profile.status(target).requires {
                let first = &requirement.any_of[0];
                let present = requirement
                    .any_of
                    .iter()
                    .any(|name| place.field(name).is_some_and(|it| !it.value.trim().is_empty()));
                if !present && !is_timestamp_field(first) {
                    return Err(Refusal::NeedsReason { status: profile.display(target), field: first.clone() });
                }
            }
        }
    }
    let mut change =
        WorkspaceChange { label: format!("Set status of {task} to {}", profile.display(target)), ..Default::default() };
    let mut planner = Planner { index, profile, options, change: &mut change };
    for place_ref in &entry.places {
        let place = index.place(*place_ref);
        match place.kind {
            PlaceKind::PlanHeader if entry.current_plan != Some(place_ref.file) => continue,
            PlaceKind::ArchivedStateJson
            | PlaceKind::StatusFolder
            | PlaceKind::PlanProgress
            | PlaceKind::SummaryFile
            | PlaceKind::StatePosition
            | PlaceKind::SyncRecord => {
                if place.status.is_some_and(|it| !profile.agree(it, target, false)) {
                    planner.change.warnings.push(format!(
                        "{} at {} still says `{}`; taskmark does not change it",
                        place.kind.describe(),
                        index.path(place_ref.file),
                        place.shown()
                    ));
                }
                continue;
            }
            _ => {}
        }
        planner.place(*place_ref, target)?;
    }
    // A mirror the tracker keeps and the task lacks is completed, not left to be an orphan.
    crate::lifecycle::create::complete_state_json(index, task, target, &options.now, planner.change)?;
    planner.warn_about_children(task, target);
    planner.warn_about_dependencies(task, target);
    Ok(change.finish())
}
