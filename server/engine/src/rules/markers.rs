//! `unknown-status`, `mixed-spelling` and `malformed-file`.

use crate::diagnostic::{FixHint, RuleCode, Severity, diagnostic};
use crate::index::{FileEntry, FileId, WorkspaceIndex};
use crate::model::{Item, Marker, Place};
use crate::rules::Sink;
use crate::vocabulary::{Profile, Scope, Spelling, SuggestionSource, Unknown, UnknownReason};

/// `malformed-file`: what did not parse.
pub(super) fn whole(file: FileId, entry: &FileEntry, sink: &mut Sink<'_>) {
    for problem in &entry.parsed.problems {
        sink.push(diagnostic(RuleCode::MalformedFile, file, problem.range, problem.message.clone()));
    }
}

/// `unknown-status` of one place: its marker, and text after a bracketed marker.
pub(super) fn place(index: &WorkspaceIndex, file: FileId, entry: &FileEntry, place: &Place, sink: &mut Sink<'_>) {
    if !sink.enabled(RuleCode::UnknownStatus) {
        return;
    }
    let Some(profile) = index.profile(file) else { return };
    if let Some(unknown) = &place.unknown {
        let mut it = unknown_marker(file, profile, &place.marker, unknown, place.kind.describe());
        it.task = place.task().cloned();
        match read_anyway(unknown) {
            Some(cap) => sink.push_capped(it, cap),
            None => sink.push(it),
        }
    }
    if let Some(trailing) = place.trailing
        && place.status.is_some()
        && place.unknown.is_none()
        && place.marker.spelling == Spelling::Bracket
    {
        let text = &entry.text[trailing];
        let mut it = diagnostic(
            RuleCode::UnknownStatus,
            file,
            trailing,
            format!(
                "text after the status marker `{}`: `{text}`; a status field holds the marker alone, so tools read it exactly",
                place.marker.text
            ),
        );
        it.task = place.task().cloned();
        it.fix = Some(FixHint::RemoveTrailing { range: trailing });
        sink.push_capped(it, Severity::Warning);
    }
}

/// `mixed-spelling`: a status word the tracker writes otherwise at most places of this kind.
/// A hint: both words are valid, and the odd one may be a person's choice, but one status
/// spelled two ways is missed by every search and script that looks for the usual one.
pub(super) fn spelling(index: &WorkspaceIndex, file: FileId, entry: &FileEntry, place: &Place, sink: &mut Sink<'_>) {
    if !sink.enabled(RuleCode::MixedSpelling) {
        return;
    }
    let Some(tracker) = entry.tracker.and_then(|it| index.trackers().get(it)) else { return };
    let (Some(status), false) = (place.status, tracker.habits.is_empty()) else { return };
    let written = place.marker.text.trim();
    let Some(habit) = tracker.habits.iter().find(|it| {
        it.kind == place.kind
            && it.role == entry.class.role
            && it.status == status
            && it.others.iter().any(|other| other.eq_ignore_ascii_case(written))
    }) else {
        return;
    };
    let mut it = diagnostic(
        RuleCode::MixedSpelling,
        file,
        place.marker.range,
        format!(
            "`{written}` here, `{}` at {} other {} places of this tracker: one status spelled two ways, which a search for either misses",
            habit.usual,
            habit.places,
            place.kind.describe()
        ),
    );
    it.task = place.task().cloned();
    // History keeps the words it was written in.
    if !index.is_history(file) {
        it.fix = Some(FixHint::ReplaceMarker { replacements: vec![habit.usual.clone()], certain: false });
    }
    sink.push_capped(it, Severity::Hint);
}

/// `unknown-status` of one checkbox.
pub(super) fn item(index: &WorkspaceIndex, file: FileId, item: &Item, sink: &mut Sink<'_>) {
    if !sink.enabled(RuleCode::UnknownStatus) {
        return;
    }
    let Some(profile) = index.profile(file) else { return };
    if let Some(unknown) = &item.unknown {
        // A box that is also a task's place (Kiro's `- [?] 2. Title`) is reported once, as the
        // place's marker.
        let stated = index.entry(file).is_some_and(|entry| {
            entry.parsed.places.iter().any(|it| it.marker.range == item.marker_range && it.unknown.is_some())
        });
        if stated {
            return;
        }
        // A box is a sub-step, not a task's status, and checklists invent boxes freely: an
        // unknown one is worth a look, never a failed check.
        let cap = read_anyway(unknown).unwrap_or(Severity::Warning);
        sink.push_capped(unknown_marker(file, profile, &item.marker(), unknown, "checkbox"), cap);
    }
}

/// The most a marker that is read anyway deserves: a legacy spelling (`[IN PROGRESS]` on a
/// task, which keeps its status) is a warning; a box read from the text beside it is a hint.
/// `None` for a marker that is simply wrong.
fn read_anyway(unknown: &Unknown) -> Option<Severity> {
    match (&unknown.reason, unknown.stands_for) {
        (UnknownReason::WrongScope(_), Some(_)) => Some(Severity::Warning),
        (UnknownReason::Inferred, _) => Some(Severity::Hint),
        _ => None,
    }
}

fn unknown_marker(
    file: FileId,
    profile: &Profile,
    marker: &Marker,
    unknown: &Unknown,
    place: &str,
) -> crate::diagnostic::Diagnostic {
    let shown = match marker.spelling {
        Spelling::Checkbox => format!("[{}]", marker.text),
        _ => marker.text.to_string(),
    };
    let suggestions: Vec<String> = unknown.suggestions.iter().map(|it| it.text.clone()).collect();
    let did_you_mean = match suggestions.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean `{}`?", show(marker.spelling, one)),
        many => format!(
            "; did you mean {}?",
            many.iter().map(|it| format!("`{}`", show(marker.spelling, it))).collect::<Vec<_>>().join(" or ")
        ),
    };
    let message = match &unknown.reason {
        UnknownReason::WrongScope(_) if unknown.stands_for.is_some() => {
            let read = reading(profile, marker, unknown);
            let other = if marker.scope == Scope::Task { "phases" } else { "tasks" };
            format!(
                "`{shown}` on a {} is a legacy spelling of `{read}` (the {} vocabulary keeps `{shown}` for {other}); it counts as `{read}` in the agreement and dependency checks",
                marker.scope.as_str(),
                profile.name,
            )
        }
        UnknownReason::Inferred => {
            let read = reading(profile, marker, unknown);
            format!(
                "`{shown}` is not in the {} vocabulary; the text beside it says the work is under way, so it counts as `{read}`",
                profile.name
            )
        }
        UnknownReason::WrongScope(_) => {
            let other = if marker.scope == Scope::Task { "phase" } else { "task" };
            format!(
                "`{shown}` is a {other} status in the {} vocabulary, not a {} status{did_you_mean}",
                profile.name,
                marker.scope.as_str()
            )
        }
        UnknownReason::Misspelled => {
            format!("`{shown}` is not the standard spelling of a {} status{did_you_mean}", profile.name)
        }
        UnknownReason::NotInVocabulary => {
            if did_you_mean.is_empty() {
                format!(
                    "unknown status `{shown}` in a {place}; the {} vocabulary has {}",
                    profile.name,
                    valid_list(profile, marker)
                )
            } else {
                format!("unknown status `{shown}` in a {place}{did_you_mean}")
            }
        }
    };
    let mut it = diagnostic(RuleCode::UnknownStatus, file, marker.range, message);
    if !suggestions.is_empty() {
        let certain = matches!(
            unknown.suggestions.as_slice(),
            [only] if matches!(only.why, SuggestionSource::Alias | SuggestionSource::Normalized)
        );
        it.fix = Some(FixHint::ReplaceMarker { replacements: suggestions, certain });
    }
    it
}

/// The status an unknown marker is read as, spelled the way its place spells statuses.
fn reading(profile: &Profile, marker: &Marker, unknown: &Unknown) -> String {
    let Some(status) = unknown.stands_for else { return String::new() };
    match profile.status(status).spelled(marker.spelling) {
        Some(text) => show(marker.spelling, &text),
        None => profile.display(status),
    }
}

fn show(spelling: Spelling, text: &str) -> String {
    match spelling {
        Spelling::Checkbox => format!("[{text}]"),
        _ => text.to_string(),
    }
}

/// The valid spellings for a marker of this kind, for messages.
fn valid_list(profile: &Profile, marker: &Marker) -> String {
    let names: Vec<String> = profile
        .statuses
        .iter()
        .filter(|it| it.in_scope(marker.scope) && it.has_spelling(marker.spelling))
        .filter_map(|it| match marker.spelling {
            Spelling::Checkbox => Some(it.checkbox.iter().map(|c| format!("[{c}]")).collect::<Vec<_>>().join(" ")),
            spelling => it.spelled(spelling),
        })
        .collect();
    names.join(", ")
}
