//! Fixes for diagnostics, as edit plans. Each fix hint offers one or more choices; the LSP
//! shows them as code actions, `taskmark fix` applies the first safe one.

use crate::engine::edit::{Refusal, StatusChangeOptions, WorkspaceChange, plan_status_change};
use crate::engine::index::{PlaceRef, WorkspaceIndex};
use crate::engine::model::{FieldInsert, FieldStyle};
use crate::engine::parse::is_timestamp_field;
use crate::engine::rules::{Diagnostic, FixHint, counters};
use crate::engine::text::{TextEdit, line_ending, range};
use crate::engine::vocabulary::Kind;

/// The titles of the choices a diagnostic's fix offers, in order.
pub fn fix_titles(index: &WorkspaceIndex, diagnostic: &Diagnostic) -> Vec<String> {
    let Some(fix) = &diagnostic.fix else { return Vec::new() };
    let profile = index.profile(diagnostic.file);
    match fix {
        FixHint::ReplaceMarker { replacements } => replacements.iter().map(|it| format!("Replace with `{it}`")).collect(),
        FixHint::AlignTask { task, candidates } => match index.task_profile(task) {
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
        FixHint::CloseChildren { .. } => vec!["Check the remaining boxes and close open phases".into(), "Demote the parent to an active status".into()],
        FixHint::AddField { field, .. } => vec![format!("Add the **{field}** field")],
        FixHint::RecomputeCounters => vec!["Recompute the counters".into()],
        FixHint::RemoveTrailing { .. } => vec!["Remove the text after the marker".into()],
    }
}

/// Plans choice `choice` of the diagnostic's fix.
pub fn plan_fix(
    index: &WorkspaceIndex,
    diagnostic: &Diagnostic,
    choice: usize,
    options: &StatusChangeOptions,
) -> Result<WorkspaceChange, Refusal> {
    let fix = diagnostic.fix.as_ref().ok_or_else(|| Refusal::NoFix(format!("{} has no automatic fix", diagnostic.code)))?;
    let file = diagnostic.file;
    let title = fix_titles(index, diagnostic).get(choice).cloned().ok_or_else(|| Refusal::NoFix(format!("no fix choice {choice}")))?;
    let mut change = WorkspaceChange { label: title, ..Default::default() };
    let profile = index.profile(file).ok_or_else(|| Refusal::NoFix("the file belongs to no tracker".into()))?;
    match fix {
        FixHint::ReplaceMarker { replacements } => {
            change.edit(index, file, TextEdit::replace(diagnostic.range, replacements[choice].clone()));
        }
        FixHint::AlignTask { task, candidates } => {
            let status = &profile.status(candidates[choice]).id;
            let options = StatusChangeOptions { force: true, restamp: false, ..options.clone() };
            let mut aligned = plan_status_change(index, task, status, &options)?;
            aligned.label = change.label;
            return Ok(aligned);
        }
        FixHint::DeriveHeader { place, status } => {
            let place = &index.parsed(file).places[*place];
            let text = profile.status(*status).spelled(place.marker.spelling).ok_or_else(|| Refusal::NoFix("the header cannot spell that status".into()))?;
            change.edit(index, file, TextEdit::replace(place.marker.range, text));
        }
        FixHint::CloseChildren { place } => {
            let parsed = index.parsed(file);
            let parent = &parsed.places[*place];
            if choice == 0 {
                let done_box = profile.ids().find(|it| profile.kind(*it) == Kind::Done && !profile.status(*it).checkbox.is_empty());
                for item in parent.child_items.iter().filter_map(|it| parsed.items.get(*it)) {
                    if item.status.is_some_and(|it| !profile.kind(it).is_closed())
                        && let Some(done) = done_box.and_then(|it| profile.status(it).spelled(crate::engine::vocabulary::Spelling::Checkbox))
                    {
                        change.edit(index, file, TextEdit::replace(item.marker.range, done));
                    }
                }
                for child in parent.child_places.iter().filter_map(|it| parsed.places.get(*it)) {
                    if child.status.is_some_and(|it| !profile.kind(it).is_closed())
                        && let Some(done) = profile.ids().find(|it| {
                            profile.kind(*it) == Kind::Done && profile.status(*it).in_scope(child.marker.scope) && profile.status(*it).has_spelling(child.marker.spelling)
                        })
                        && let Some(text) = profile.status(done).spelled(child.marker.spelling)
                    {
                        change.edit(index, file, TextEdit::replace(child.marker.range, text));
                    }
                }
            } else {
                let active = profile
                    .ids()
                    .find(|it| {
                        profile.kind(*it) == Kind::Active
                            && profile.status(*it).in_scope(parent.marker.scope)
                            && profile.status(*it).has_spelling(parent.marker.spelling)
                    })
                    .ok_or_else(|| Refusal::NoFix("the vocabulary has no active status for this place".into()))?;
                if parent.kind.task_vocabulary()
                    && let Some(task) = parent.task()
                {
                    // Demoting a task demotes it everywhere.
                    let options = StatusChangeOptions { force: true, restamp: false, ..options.clone() };
                    let mut demoted = plan_status_change(index, task, &profile.status(active).id, &options)?;
                    demoted.label = change.label;
                    return Ok(demoted);
                }
                let text = profile.status(active).spelled(parent.marker.spelling).unwrap_or_default();
                change.edit(index, file, TextEdit::replace(parent.marker.range, text));
            }
        }
        FixHint::AddField { place, field } => {
            let place_ref = PlaceRef { file, index: *place };
            let place = index.place(place_ref);
            let Some(FieldInsert { at, style: FieldStyle::Markdown { prefix, date_only } }) = &place.field_insert else {
                return Err(Refusal::NoFix("no place for a new field here".into()));
            };
            let value = if is_timestamp_field(field) {
                if *date_only { options.now.date.clone() } else { options.now.timestamp.clone() }
            } else {
                options.reason.clone().ok_or_else(|| Refusal::NeedsReason { status: place.marker.text.clone(), field: field.clone() })?
            };
            let eol = line_ending(index.text(file));
            change.edit(index, file, TextEdit::insert(*at, format!("{eol}{prefix}**{field}**: {value}")));
        }
        FixHint::RecomputeCounters => {
            for expectation in counters::expectations(index, file) {
                if expectation.is_stale() {
                    change.edit(index, file, TextEdit::replace(expectation.counter.range, expectation.expected.to_string()));
                }
            }
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
