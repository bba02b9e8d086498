//! What a planned change edits in each file, in a few words (`specs/TODO.md: status, Task Order
//! line, started`): read back from the change's edits and the places, fields and counters of
//! the files as indexed, so that it says what the change does, not what a planner meant to do.

use crate::change::WorkspaceChange;
use crate::index::WorkspaceIndex;
use crate::model::{FieldStyle, ParsedFile, Place, PlaceKind};
use crate::text::{TextEdit, TextRange};

/// The parts of one file a change edits (or that it creates the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    /// What it edits there, most telling first: `status`, `Task Order line`, `header`, then
    /// the fields it writes (`started`, `last_updated`), then counters (`task_counts`).
    pub parts: Vec<String>,
}

/// The order parts are listed in: the status itself first, counters and the unexplained last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Status,
    OtherPlace,
    Mark,
    Field,
    Counter,
    Other,
}

/// Each file `change` edits or creates, with what it edits there, in the change's file order.
pub fn describe_change(index: &WorkspaceIndex, change: &WorkspaceChange) -> Vec<ChangedFile> {
    let mut out: Vec<ChangedFile> = change
        .files
        .iter()
        .filter(|it| !it.edits.is_empty())
        .map(|file| {
            let parsed = index.parsed(file.file);
            let text = index.text(file.file);
            let mut parts: Vec<(Rank, String)> = Vec::new();
            for edit in &file.edits {
                for part in parts_of(parsed, text, edit) {
                    if !parts.contains(&part) {
                        parts.push(part);
                    }
                }
            }
            // Stable: within a rank, in the order of the file.
            parts.sort_by_key(|(rank, _)| *rank);
            ChangedFile { path: file.path.clone(), parts: parts.into_iter().map(|(_, name)| name).collect() }
        })
        .collect();
    out.extend(change.created.iter().map(|it| ChangedFile { path: it.path.clone(), parts: vec!["new file".into()] }));
    out
}

/// What one edit touches in a file: every place marker, tag, done mark, field or counter it
/// overlaps (or inserts at), else the line it is on.
fn parts_of(parsed: &ParsedFile, text: &str, edit: &TextEdit) -> Vec<(Rank, String)> {
    let mut parts = Vec::new();
    for place in &parsed.places {
        if touches(edit, place.marker.range) {
            parts.push(marker_part(place));
        }
        let tag_added =
            place.kind == PlaceKind::IndexLine && edit.range.is_empty() && edit.range.start() == place.line.end();
        if place.tag.as_ref().is_some_and(|tag| touches(edit, tag.range)) || tag_added {
            parts.push((Rank::Mark, "tag".into()));
        }
        let at_heading =
            place.heading_number.is_some_and(|it| edit.range.is_empty() && edit.range.start() == it.start());
        if place.done_mark.is_some_and(|it| touches(edit, it)) || at_heading {
            parts.push((Rank::Mark, "done mark".into()));
        }
        for field in &place.fields {
            if touches(edit, field.value_range) {
                parts.push((Rank::Field, field_part(&field.name)));
            }
        }
        if let Some(insert) = &place.field_insert {
            let at = match &insert.style {
                FieldStyle::Json { after, .. } => *after,
                FieldStyle::Markdown { .. } | FieldStyle::Parenthesized => insert.at,
            };
            if edit.range.is_empty() && edit.range.start() == at {
                parts.extend(inserted_fields(&edit.new_text, &insert.style).into_iter().map(|it| (Rank::Field, it)));
            }
        }
    }
    for field in &parsed.timestamps {
        if touches(edit, field.value_range) {
            parts.push((Rank::Field, field_part(&field.name)));
        }
    }
    if let Some(counters) = &parsed.counters {
        for counter in counters.next_project_number.iter().chain(&counters.task_counts) {
            if touches(edit, counter.range) {
                let name = if counters.task_counts.contains(counter) { "task_counts" } else { counter.key.as_str() };
                parts.push((Rank::Counter, name.to_string()));
            }
        }
        for count in &counters.tag_counts {
            if touches(edit, count.counter.range) {
                parts.push((Rank::Counter, format!("{} {}", count.tag, count.counter.key)));
            }
        }
        for count in &counters.folder_counts {
            if touches(edit, count.counter.range) {
                parts.push((Rank::Counter, count.counter.key.clone()));
            }
        }
    }
    if parts.is_empty() {
        let line = text.get(..usize::from(edit.range.start())).map_or(0, |it| it.matches('\n').count()) + 1;
        parts.push((Rank::Other, format!("line {line}")));
    }
    parts
}

/// Whether `edit` changes `target`: overlaps it, or inserts into it (at its start, inside, or
/// anywhere in an empty one). An insertion just after a value is the next line's, not its.
fn touches(edit: &TextEdit, target: TextRange) -> bool {
    let at = edit.range.start();
    if edit.range.is_empty() {
        return target.start() <= at && (at < target.end() || target.is_empty());
    }
    at < target.end() && target.start() < edit.range.end()
}

/// A place's marker as the summary names it: the status of the task's own record, the line or
/// header that repeats it elsewhere.
fn marker_part(place: &Place) -> (Rank, String) {
    let name = match place.kind {
        PlaceKind::TodoSection
        | PlaceKind::StateJson
        | PlaceKind::ArchivedStateJson
        | PlaceKind::TaskStateJson
        | PlaceKind::SpecStatus
        | PlaceKind::Frontmatter
        | PlaceKind::IndexStatus
        | PlaceKind::PhaseFile
        | PlaceKind::TaskJson
        | PlaceKind::TaskText
        | PlaceKind::TrackMetadata => return (Rank::Status, "status".into()),
        PlaceKind::IndexRow => "index row",
        PlaceKind::TaskOrderLine => "Task Order line",
        PlaceKind::PlanHeader => return (Rank::Status, "header".into()),
        PlaceKind::PlanPhase => "phase",
        PlaceKind::IndexLine | PlaceKind::ChecklistTask => "checkbox",
        PlaceKind::PhaseTableRow => "phase table row",
        PlaceKind::StatusFolder => "status folder",
        PlaceKind::PlanProgress => "plan's boxes",
        PlaceKind::SummaryFile => "summary file",
        PlaceKind::StatePosition => "current position",
        PlaceKind::SyncRecord => "sync record",
    };
    (Rank::OtherPlace, name.into())
}

/// A field's name as people say it in a summary: `Started` and `"started"` are both `started`.
fn field_part(name: &str) -> String {
    name.to_lowercase()
}

/// The names of the fields an inserted text adds, as the file's style writes them:
/// `**Name**: value` lines, a `"key": value` property, `(Name: value)` lines.
fn inserted_fields(text: &str, style: &FieldStyle) -> Vec<String> {
    let name = |line: &str| -> Option<String> {
        let line = line.trim_start();
        let name = match style {
            FieldStyle::Markdown { .. } => {
                let item = ["- ", "* ", "+ "].iter().find_map(|it| line.strip_prefix(it)).unwrap_or(line);
                item.trim_start().strip_prefix("**")?.split_once("**:")?.0
            }
            FieldStyle::Json { .. } => {
                line.trim_start_matches([',', ' ', '\t', '\r', '\n']).strip_prefix('"')?.split_once("\":")?.0
            }
            FieldStyle::Parenthesized => line.strip_prefix('(')?.split_once(':')?.0,
        };
        Some(field_part(name.trim())).filter(|it| !it.is_empty())
    };
    match style {
        // One property per insertion: its value may hold anything.
        FieldStyle::Json { .. } => name(text).into_iter().collect(),
        _ => text.lines().filter_map(name).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_fields_are_named_in_every_style() {
        let markdown = FieldStyle::Markdown { prefix: "- ".into(), date_only: true };
        let json = FieldStyle::Json { indent: "  ".into(), after: crate::text::size(0), inline: false };
        assert_eq!(
            inserted_fields("\n- **Blocked**: 2026-01-01\n- **Blocking Reason**: waits on A: B, C", &markdown),
            ["blocked", "blocking reason"]
        );
        assert_eq!(inserted_fields(",\n      \"completed\": \"2026-01-01T00:00:00Z\"", &json), ["completed"]);
        assert_eq!(inserted_fields(", \"started\": \"a, \\\"b\\\": c\"", &json), ["started"]);
        assert_eq!(inserted_fields("\n(Completed: 2026-01-01)", &FieldStyle::Parenthesized), ["completed"]);
    }
}
