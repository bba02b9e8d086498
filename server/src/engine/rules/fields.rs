//! `missing-field` and `bad-timestamp`.

use crate::engine::index::{FileEntry, FileId, WorkspaceIndex};
use crate::engine::model::{Field, Place, PlaceKind};
use crate::engine::parse::is_timestamp_key;
use crate::engine::rules::{FixHint, Related, RuleCode, Sink, diagnostic};
use crate::engine::timestamp;

/// `bad-timestamp` of the file-level timestamps (`_last_updated`).
pub(super) fn whole(file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    if !entry.class.role.is_tracker() {
        return;
    }
    for timestamp_field in &entry.parsed.timestamps {
        check_timestamp(file, timestamp_field, sink);
    }
}

/// `bad-timestamp` and `missing-field` of one place.
pub(super) fn place(
    index: &WorkspaceIndex,
    file: FileId,
    entry: &FileEntry,
    place_index: usize,
    place: &Place,
    sink: &mut Sink<'_>,
) {
    if !entry.class.role.is_tracker() {
        return;
    }
    for field in place.fields.iter().filter(|it| is_timestamp_key(&it.name)) {
        check_timestamp(file, field, sink);
    }
    check_order(file, &place.fields, sink);
    // Required fields are a convention of the task sections, where the standard
    // defines them; state.json and plan phases carry their own timestamps.
    if place.kind != PlaceKind::TodoSection {
        return;
    }
    let (Some(profile), Some(status)) = (index.profile(file), place.status) else { return };
    for requirement in &profile.status(status).requires {
        let present =
            requirement.any_of.iter().any(|name| place.field(name).is_some_and(|it| !it.value.trim().is_empty()));
        if present {
            continue;
        }
        let mut it = diagnostic(
            RuleCode::MissingField,
            file,
            place.marker.range,
            format!("`{}` needs {}", place.marker.text, requirement.describe()),
        );
        it.task = place.task().cloned();
        it.fix = Some(FixHint::AddField { place: place_index, field: requirement.any_of[0].clone() });
        sink.push(it);
    }
}

fn check_timestamp(file: FileId, field: &Field, sink: &mut Sink<'_>) {
    let value = field.value.trim();
    if value.is_empty() {
        return;
    }
    if let Err(error) = timestamp::parse(value) {
        let mut it = diagnostic(
            RuleCode::BadTimestamp,
            file,
            field.value_range,
            format!("{}: {}", field.name, error.describe(value)),
        );
        if error == timestamp::TimestampError::OffsetAndZulu
            && let Some(repaired) = field.value.trim_end().strip_suffix('Z')
        {
            it.fix = Some(FixHint::Replace {
                replacement: repaired.to_string(),
                title: "Remove the `Z` after the UTC offset".into(),
            });
        }
        sink.push(it);
    }
}

/// Started before Completed.
fn check_order(file: FileId, fields: &[Field], sink: &mut Sink<'_>) {
    let find = |name: &str| {
        fields
            .iter()
            .find(|it| it.name.eq_ignore_ascii_case(name))
            .and_then(|it| timestamp::parse(&it.value).ok().map(|moment| (it, moment)))
    };
    let (Some((started, started_at)), Some((completed, completed_at))) = (find("Started"), find("Completed")) else {
        return;
    };
    // A date-only Started on the day of a timed Completed is in order.
    let later = if started_at.date_only || completed_at.date_only {
        started_at.at.date() > completed_at.at.date()
    } else {
        started_at.at > completed_at.at
    };
    if later {
        let mut it = diagnostic(
            RuleCode::BadTimestamp,
            file,
            completed.value_range,
            format!("Completed `{}` is before Started `{}`", completed.value, started.value),
        );
        it.related.push(Related { file, range: started.value_range, message: format!("Started: {}", started.value) });
        sink.push(it);
    }
}
