//! Plan files: the metadata status, `### Phase N: Title [STATUS]` headings, phase timestamps
//! in their three forms, and the checkbox tasks under each phase.

use crate::layout;
use crate::markdown::{self, Outline};
use crate::model::{
    Children, Editability, Field, FieldInsert, FieldStyle, ParsedFile, PhaseKey, Place, PlaceKind, Subject, TaskKey,
};
use crate::parse::{
    ParseContext, collect_items, contains_ignore_case, field_from_line, is_timestamp_field, place, split_status_value,
};
use crate::text::{TextRange, lines_with_offsets, range, size};
use crate::vocabulary::{Lookup, Scope, Spelling};
use crate::yaml;
use smol_str::SmolStr;

pub fn parse(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let front = markdown::frontmatter(text).map(|block| {
        let (yaml, problem) = yaml::parse_lenient(text, block.body);
        out.problems.extend(problem);
        yaml
    });
    let phases: Vec<(usize, PhaseHeading<'_>)> = outline
        .headings
        .iter()
        .enumerate()
        .filter_map(|(index, heading)| phase_heading(&text[heading.content]).map(|it| (index, it)))
        .collect();
    let first_phase = phases.first().map_or(size(text.len()), |(index, _)| outline.headings[*index].line.start());

    // The preamble: metadata before the first section, and any `## Metadata` section.
    let mut preamble_fields: Vec<(Field, &str)> = Vec::new();
    let mut in_metadata = true;
    let mut heading_cursor = 0;
    for (offset, line_text) in lines_with_offsets(&text[..usize::from(first_phase)]) {
        while heading_cursor < outline.headings.len()
            && usize::from(outline.headings[heading_cursor].line.start()) <= offset
        {
            let heading = &outline.headings[heading_cursor];
            if usize::from(heading.line.start()) == offset && heading.level >= 2 {
                in_metadata = contains_ignore_case(&text[heading.content], "metadata");
            }
            heading_cursor += 1;
        }
        if !in_metadata || outline.in_code(size(offset)) {
            continue;
        }
        if let Some(field) = markdown::field_line(line_text)
            && field.indent <= 1
        {
            preamble_fields.push((field_from_line(range(offset, offset + line_text.len()), &field), field.prefix));
        }
    }

    let metadata_id = front
        .as_ref()
        .and_then(|it| it.get("task_number").or_else(|| it.get("task")))
        .and_then(|it| it.as_scalar())
        .and_then(|it| markdown::leading_number(&it.value).map(|(_, digits)| markdown::numeric_id(digits)))
        .or_else(|| {
            preamble_fields.iter().find_map(|(field, _)| {
                ["Task", "Task Number", "Project Number", "Project", "Task ID"]
                    .iter()
                    .any(|it| field.name.eq_ignore_ascii_case(it))
                    .then(|| markdown::leading_number(&field.value).map(|(_, digits)| markdown::numeric_id(digits)))
                    .flatten()
            })
        });
    let task = layout::task_folder_id(cx.path).or(metadata_id).map(|id| TaskKey::new(cx.scope, id));

    // Phases first, so the header can list them as children.
    let mut parenthesized_style = false;
    let mut markdown_prefix: Option<String> = None;
    let first_phase_place = out.places.len();
    let container: std::sync::Arc<str> = std::sync::Arc::from(cx.path);
    for (heading_index, phase) in &phases {
        let heading = &outline.headings[*heading_index];
        let Some(marker) = phase.marker else { continue };
        let end = outline.section_end(*heading_index, text.len());
        let body = TextRange::new(heading.line.end().min(end), end);
        let base = usize::from(heading.content.start());
        let marker_range = range(base + marker.0, base + marker.1);
        let subject =
            Subject::Phase(PhaseKey { task: task.clone(), container: container.clone(), number: phase.number.into() });
        let mut place = place(cx, subject, PlaceKind::PlanPhase, text, marker_range, Spelling::Bracket, Scope::Phase);
        place.title = Some(text[heading.content][..marker.0].trim_end().into());
        place.extent = TextRange::new(heading.line.start(), body.end());
        let mut last_timestamp: Option<TextRange> = None;
        for (line, line_text) in outline.prose_lines(text, body) {
            let offset = usize::from(line.start());
            if let Some(field) = markdown::field_line(line_text)
                && field.indent <= 4
            {
                if is_timestamp_field(field.name) {
                    last_timestamp = Some(line);
                    markdown_prefix.get_or_insert_with(|| field.prefix.to_string());
                }
                if cx.keeps_field(field.name) {
                    place.fields.push(field_from_line(line, &field));
                }
            } else if let Some(field) = parenthesized_field(line_text, offset) {
                if is_timestamp_field(&field.name) || field.name.to_ascii_lowercase().contains("reason") {
                    last_timestamp = Some(line);
                    parenthesized_style = true;
                }
                place.fields.push(field);
            }
        }
        place.field_insert = Some(FieldInsert {
            at: last_timestamp.unwrap_or(heading.line).end(),
            style: FieldStyle::Markdown { prefix: SmolStr::default(), date_only: false },
        });
        let index = out.places.len();
        out.places.push(place);
        let items = collect_items(cx, text, &outline, body, Some(index), &mut out.items);
        out.places[index].child_items = items;
    }
    // The phases are the places pushed so far, one after another.
    let phase_places = Children::new(first_phase_place..out.places.len());
    let style = if parenthesized_style {
        FieldStyle::Parenthesized
    } else {
        FieldStyle::Markdown { prefix: markdown_prefix.map_or_else(|| "- ".into(), SmolStr::from), date_only: false }
    };
    for index in phase_places {
        if let Some(insert) = out.places[index].field_insert.as_mut() {
            insert.style = style.clone();
        }
    }

    // The header: frontmatter `status:` or the first `**Status**` of the preamble.
    let header = if let Some(status) = front.as_ref().and_then(|it| it.get("status")).and_then(|it| it.as_scalar()) {
        task.clone().map(|key| {
            let mut place = header_place(cx, key, text, status.range, Spelling::Json);
            if !status.exact {
                place.editable = Editability::ReadOnly("the frontmatter status is not a single-line value");
            }
            place
        })
    } else {
        preamble_fields.iter().find(|(field, _)| field.name.eq_ignore_ascii_case("Status")).and_then(
            |(field, prefix)| {
                let key = task.clone()?;
                let (marker_range, trailing) = split_status_value(&field.value, usize::from(field.value_range.start()));
                let mut place = header_place(cx, key, text, marker_range, Spelling::Bracket);
                place.trailing = trailing;
                place.field_insert = Some(FieldInsert {
                    at: field.line.end(),
                    style: FieldStyle::Markdown { prefix: (*prefix).into(), date_only: false },
                });
                Some(place)
            },
        )
    };
    if let Some(mut header) = header {
        header.fields =
            preamble_fields.into_iter().map(|(field, _)| field).filter(|field| cx.keeps_field(&field.name)).collect();
        header.child_places = phase_places;
        header.title = outline.headings.first().filter(|it| it.level == 1).map(|it| text[it.content].into());
        out.places.push(header);
    }
    out
}

/// A plan header accepts both the task and the phase vocabulary (`[PLANNED]`, `[IN PROGRESS]`).
fn header_place(cx: &ParseContext<'_>, task: TaskKey, text: &str, marker: TextRange, spelling: Spelling) -> Place {
    let mut place = place(cx, Subject::Task(task), PlaceKind::PlanHeader, text, marker, spelling, Scope::Task);
    if place.unknown.is_some()
        && let Lookup::Known(id) = cx.profile.lookup(spelling, &place.marker.text, Scope::Phase)
    {
        place.status = Some(id);
        place.unknown = None;
    }
    place
}

struct PhaseHeading<'a> {
    number: &'a str,
    /// The `[STATUS]` at the end of the heading content, if any.
    marker: Option<(usize, usize)>,
}

/// `Phase 2: Title [COMPLETED]`, `Phase 3 - Title [IN PROGRESS] ✅`.
fn phase_heading(content: &str) -> Option<PhaseHeading<'_>> {
    let rest = content.strip_prefix("Phase ").or_else(|| content.strip_prefix("PHASE "))?;
    let number_len = rest
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '.')
        .last()
        .map(|(at, c)| at + c.len_utf8())?;
    let number = rest[..number_len].trim_end_matches('.');
    if !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let trimmed = content.trim_end_matches(|c: char| !c.is_alphanumeric() && c != ']');
    let marker = if trimmed.ends_with(']') {
        trimmed.rfind('[').filter(|open| *open > "Phase ".len()).map(|open| (open, trimmed.len()))
    } else {
        None
    };
    Some(PhaseHeading { number, marker })
}

/// `(Started: 2025-12-28T18:00:00Z)` lines.
fn parenthesized_field(line: &str, offset: usize) -> Option<Field> {
    let trimmed = line.trim();
    let inner = trimmed.strip_prefix('(')?.strip_suffix(')')?;
    let (name, value) = inner.split_once(':')?;
    if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_alphabetic() || c == ' ') {
        return None;
    }
    let value_trimmed = value.trim();
    let start =
        offset + (line.len() - line.trim_start().len()) + 1 + name.len() + 1 + (value.len() - value.trim_start().len());
    Some(Field {
        name: SmolStr::new(name.trim()),
        value: SmolStr::new(value_trimmed),
        value_range: range(start, start + value_trimmed.len()),
        line: range(offset, offset + line.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_headings() {
        let it = phase_heading("Phase 2: Implement Parsing [COMPLETED]").unwrap();
        assert_eq!(it.number, "2");
        let (start, end) = it.marker.unwrap();
        assert_eq!(&"Phase 2: Implement Parsing [COMPLETED]"[start..end], "[COMPLETED]");
        let content = "Phase 3: Testing [COMPLETED] ✅";
        let (start, end) = phase_heading(content).unwrap().marker.unwrap();
        assert_eq!(&content[start..end], "[COMPLETED]");
        let it = phase_heading("Phase 1.5: Setup").unwrap();
        assert_eq!((it.number, it.marker), ("1.5", None));
        assert!(phase_heading("Phases 2-4: Not Applicable").is_none());
        assert!(phase_heading("Phase Dependencies").is_none());
    }

    #[test]
    fn parenthesized_fields() {
        let line = "(Started: 2025-12-28T18:00:00Z)";
        let field = parenthesized_field(line, 100).unwrap();
        assert_eq!((field.name.as_str(), field.value.as_str()), ("Started", "2025-12-28T18:00:00Z"));
        assert_eq!(field.value_range, range(110, 130));
        assert!(parenthesized_field("(see above)", 0).is_none());
    }
}
