//! `missing-field` and `bad-timestamp`.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{FixHint, Related, RuleCode, diagnostic};
use crate::index::{FileEntry, FileId, WorkspaceIndex};
use crate::model::{Field, Place, PlaceKind};
use crate::parse::is_timestamp_key;
use crate::rules::Sink;
use crate::timestamp;
use crate::vocabulary::Profile;

/// `bad-timestamp` of the file-level timestamps (`_last_updated`).
pub(super) fn whole(file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    if !entry.class.role.is_tracker() {
        return;
    }
    for timestamp_field in &entry.parsed.timestamps {
        check_timestamp(file, timestamp_field, &timestamp::parse(&timestamp_field.value), sink);
    }
}

/// For each requirement (by its first field name), how many of a file's task sections its
/// status asks for it, and how many of them write it: what [`RequirementTally::followed`]
/// decides from. Kept with the file's diagnostics and followed by difference across an edit,
/// so that a status change in a TODO.md of 25,000 sections counts the sections it replaced,
/// not every one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct RequirementTally(BTreeMap<String, (usize, usize)>);

impl RequirementTally {
    pub(super) fn of_file(index: &WorkspaceIndex, file: FileId) -> RequirementTally {
        let (Some(entry), Some(profile)) = (index.entry(file), index.profile(file)) else {
            return RequirementTally::default();
        };
        let mut tally = RequirementTally::default();
        tally.count(profile, &entry.parsed.places, 1);
        tally
    }

    /// The requirements the file's task sections follow: written on at least half of the
    /// sections whose status asks for them. A requirement is a convention only where the
    /// tracker follows it: a TODO.md that writes **Completed** on one finished task in ten
    /// keeps its dates elsewhere (its state.json), and is not missing it on the other nine.
    pub(super) fn followed(&self) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|(_, (asked, wrote))| *wrote > 0 && wrote * 2 >= *asked)
            .map(|(it, _)| it.clone())
            .collect()
    }

    /// This tally after an edit of the file replaced the places `before` with `after`.
    pub(super) fn replaced(
        &self,
        index: &WorkspaceIndex,
        file: FileId,
        before: &[Place],
        after: &[Place],
    ) -> RequirementTally {
        let Some(profile) = index.profile(file) else { return RequirementTally::default() };
        let mut tally = self.clone();
        tally.count(profile, before, -1);
        tally.count(profile, after, 1);
        // As a count from scratch holds them: only requirements some section is asked for.
        tally.0.retain(|_, (asked, _)| *asked > 0);
        tally
    }

    /// Adds (`sign` 1) or takes away (-1) what the task sections among `places` ask for and write.
    fn count(&mut self, profile: &Profile, places: &[Place], sign: isize) {
        for place in places.iter().filter(|it| it.kind == PlaceKind::TodoSection) {
            let Some(status) = place.status else { continue };
            for requirement in &profile.status(status).requires {
                let Some(first) = requirement.any_of.first() else { continue };
                let written = requirement
                    .any_of
                    .iter()
                    .any(|name| place.field(name).is_some_and(|it| !it.value.trim().is_empty()));
                let counts = match self.0.get_mut(first.as_str()) {
                    Some(counts) => counts,
                    None => self.0.entry(first.clone()).or_default(),
                };
                counts.0 = counts.0.saturating_add_signed(sign);
                if written {
                    counts.1 = counts.1.saturating_add_signed(sign);
                }
            }
        }
    }
}

/// `bad-timestamp` and `missing-field` of one place; `followed` is what
/// [`RequirementTally::followed`] found in its file.
pub(super) fn place(
    index: &WorkspaceIndex,
    file: FileId,
    entry: &FileEntry,
    place_index: usize,
    place: &Place,
    followed: &BTreeSet<String>,
    sink: &mut Sink<'_>,
) {
    if !entry.class.role.is_tracker() {
        return;
    }
    // Each timestamp is parsed once, for both checks.
    let stamps: Vec<Stamp> =
        place.fields.iter().map(|it| is_timestamp_key(&it.name).then(|| timestamp::parse(&it.value))).collect();
    for (field, stamp) in place.fields.iter().zip(&stamps) {
        if let Some(parsed) = stamp {
            check_timestamp(file, field, parsed, sink);
        }
    }
    check_order(file, &place.fields, &stamps, sink);
    // Required fields are a convention of the task sections, where the standard
    // defines them; state.json and plan phases carry their own timestamps.
    if place.kind != PlaceKind::TodoSection {
        return;
    }
    let (Some(profile), Some(status)) = (index.profile(file), place.status) else { return };
    for requirement in &profile.status(status).requires {
        let present =
            requirement.any_of.iter().any(|name| place.field(name).is_some_and(|it| !it.value.trim().is_empty()));
        if present || requirement.any_of.first().is_none_or(|it| !followed.contains(it)) {
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

/// A field's value read as a timestamp, when its name says it holds one.
type Stamp = Option<Result<timestamp::Moment, timestamp::TimestampError>>;

fn check_timestamp(
    file: FileId,
    field: &Field,
    parsed: &Result<timestamp::Moment, timestamp::TimestampError>,
    sink: &mut Sink<'_>,
) {
    let value = field.value.trim();
    if value.is_empty() {
        return;
    }
    if let Err(error) = parsed {
        let mut it = diagnostic(
            RuleCode::BadTimestamp,
            file,
            field.value_range,
            format!("{}: {}", field.name, error.describe(value)),
        );
        if *error == timestamp::TimestampError::OffsetAndZulu
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

/// Timestamps that contradict each other, and a creation or completion written twice with two
/// values. Research, planning
/// and work may be redone after a later step (a second research round stamps `Researched` again
/// after `Planned`), so only what cannot be redone is checked: nothing happens to a task after it
/// was `Completed`, nor on a day before it was `Created`.
fn check_order(file: FileId, fields: &[Field], stamps: &[Stamp], sink: &mut Sink<'_>) {
    // Research, planning, work and revisions may happen more than once and be logged each
    // time; a task is created once and completed once.
    let once = |name: &str| ["Created", "Completed"].iter().any(|it| it.eq_ignore_ascii_case(name));
    for (position, field) in fields.iter().enumerate() {
        if let Some(first) = fields[..position].iter().find(|it| it.name.eq_ignore_ascii_case(&field.name))
            && once(&field.name)
            && first.value.trim() != field.value.trim()
        {
            let mut it = diagnostic(
                RuleCode::BadTimestamp,
                file,
                field.value_range,
                format!(
                    "{} is written twice: `{}` here, `{}` before",
                    field.name,
                    field.value.trim(),
                    first.value.trim()
                ),
            );
            it.related.push(Related {
                file,
                range: first.value_range,
                message: format!("{}: {}", first.name, first.value),
            });
            sink.push(it);
            return;
        }
    }
    let stamp = |name: &str| {
        let position = fields.iter().position(|it| it.name.eq_ignore_ascii_case(name))?;
        let parsed = stamps.get(position)?.as_ref()?.as_ref().ok()?;
        Some((&fields[position], *parsed))
    };
    let (created, completed) = (stamp("Created"), stamp("Completed"));
    if created.is_none() && completed.is_none() {
        return;
    }
    // Each stamp parsed once.
    let stamped: Vec<(&Field, timestamp::Moment)> =
        ["Researched", "Planned", "Started", "Blocked", "Abandoned"].iter().filter_map(|name| stamp(name)).collect();
    // A date-only stamp on the day of a timed one is in order.
    let after = |a: &timestamp::Moment, b: &timestamp::Moment| {
        if a.date_only || b.date_only { a.at.date() > b.at.date() } else { a.at > b.at }
    };
    let contradiction = match (created, completed) {
        (_, Some(completed)) if let Some(later) = stamped.iter().find(|(_, at)| after(at, &completed.1)) => {
            Some((completed, *later))
        }
        (Some(created), _)
            if let Some(earlier) =
                stamped.iter().copied().chain(completed).find(|(_, at)| at.at.date() < created.1.at.date()) =>
        {
            Some((earlier, created))
        }
        _ => None,
    };
    if let Some(((early, _), (late, _))) = contradiction {
        let mut it = diagnostic(
            RuleCode::BadTimestamp,
            file,
            early.value_range,
            format!("{} `{}` is before {} `{}`", early.name, early.value.trim(), late.name, late.value.trim()),
        );
        it.related.push(Related { file, range: late.value_range, message: format!("{}: {}", late.name, late.value) });
        sink.push(it);
    }
}
