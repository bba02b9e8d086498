//! PIDEA roadmap tasks (family 4): `slug/slug-index.md` with a free-word `**Status**`, a
//! phase table, and `slug/slug-phase-N.md` files with their own status; the status folder
//! (`pending/`, `in-progress/`, `completed/`) the task sits in is a third store.

use crate::layout::{leading_digits, pidea_status_folder};
use crate::markdown::{self, Outline};
use crate::model::{Field, ParsedFile, PhaseKey, Place, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, collect_items, field_from_line, location_place, place};
use crate::text::{TextRange, lines_with_offsets, range, size};
use crate::vocabulary::{Scope, Spelling};

fn folder_and_name(path: &str) -> (&str, &str, &str) {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let folder = dir.rsplit('/').next().unwrap_or(dir);
    (dir, folder, name)
}

pub fn parse_index(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let (_, slug, _) = folder_and_name(cx.path);
    let key = TaskKey::new(cx.scope, slug);
    let Some((mut index_place, _)) =
        status_place(cx, text, &outline, Subject::Task(key.clone()), PlaceKind::IndexStatus)
    else {
        return out;
    };

    // The phase table: rows after a header naming `Phase` and `Status` columns.
    let mut columns: Option<(usize, usize)> = None;
    let container: std::sync::Arc<str> = std::sync::Arc::from(cx.path);
    for row in &outline.table_rows {
        if outline.in_code(row.range.start()) {
            continue;
        }
        let cell_text = |cell: &TextRange| text[*cell].trim().trim_matches('|').trim().to_string();
        if row.is_head {
            let names: Vec<String> = row.cells.iter().map(|it| cell_text(it).to_ascii_lowercase()).collect();
            columns = names.iter().position(|it| it == "phase").zip(names.iter().position(|it| it == "status"));
            continue;
        }
        let Some((phase_column, status_column)) = columns else { continue };
        let (Some(phase_cell), Some(status_cell)) = (row.cells.get(phase_column), row.cells.get(status_column)) else {
            continue;
        };
        let phase_text = &text[*phase_cell];
        let number_at = phase_text.find(|c: char| c.is_ascii_digit());
        let Some(number_at) = number_at else { continue };
        let number = &phase_text[number_at..number_at + leading_digits(&phase_text[number_at..])];
        let raw = &text[*status_cell];
        let inner = raw.trim().trim_matches('|').trim();
        let Some(offset) = raw.find(inner) else { continue };
        let start = usize::from(status_cell.start()) + offset;
        let subject =
            Subject::Phase(PhaseKey { task: Some(key.clone()), container: container.clone(), number: number.into() });
        let row_place = place(
            cx,
            subject,
            PlaceKind::PhaseTableRow,
            text,
            range(start, start + inner.len()),
            Spelling::Word,
            Scope::Task,
        );
        out.places.push(row_place);
    }
    // The rows are the places pushed so far; the index place goes last.
    index_place.child_places = crate::model::Children::new(0..out.places.len());

    if let Some(folder) = cx.path.split('/').rev().skip(1).find_map(pidea_status_folder) {
        let why = "the status folder is changed by moving the task folder";
        out.places.push(location_place(cx, key.clone(), text, folder, why));
    }
    let index = out.places.len();
    out.places.push(index_place);
    let children = collect_items(cx, text, &outline, range(0, text.len()), Some(index), &mut out.items);
    out.places[index].child_items = children;
    out
}

pub fn parse_phase(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let (dir, slug, name) = folder_and_name(cx.path);
    let number = name.trim_end_matches(".md").rsplit('-').next().unwrap_or("").into();
    let container = format!("{dir}/{slug}-index.md").into();
    let subject = Subject::Phase(PhaseKey { task: Some(TaskKey::new(cx.scope, slug)), container, number });
    let Some((place, _)) = status_place(cx, text, &outline, subject, PlaceKind::PhaseFile) else { return out };
    let index = out.places.len();
    out.places.push(place);
    let children = collect_items(cx, text, &outline, range(0, text.len()), Some(index), &mut out.items);
    out.places[index].child_items = children;
    out
}

/// The first `**Status**:` field of the document and the fields beside it.
pub(crate) fn status_place(
    cx: &ParseContext<'_>,
    text: &str,
    outline: &Outline,
    subject: Subject,
    kind: PlaceKind,
) -> Option<(Place, usize)> {
    let mut fields: Vec<Field> = Vec::new();
    let mut status: Option<Field> = None;
    let mut section = 0usize;
    let mut status_section = None;
    let heading_starts: std::collections::HashSet<usize> =
        outline.headings.iter().map(|it| usize::from(it.line.start())).collect();
    for (offset, line_text) in lines_with_offsets(text) {
        if heading_starts.contains(&offset) {
            section += 1;
            if status_section.is_some() {
                break;
            }
        }
        if outline.in_code(size(offset)) {
            continue;
        }
        let Some(field) = markdown::field_line(line_text) else { continue };
        if field.indent > 1 {
            continue;
        }
        let parsed = field_from_line(range(offset, offset + line_text.len()), &field);
        if field.name.eq_ignore_ascii_case("Status") && status.is_none() {
            status = Some(parsed.clone());
            status_section = Some(section);
        }
        if cx.keeps_field(field.name) || field.name.eq_ignore_ascii_case("Status") {
            fields.push(parsed);
        }
    }
    let status = status?;
    let section_fields = fields
        .into_iter()
        .filter(|it| it.line.start() >= status.line.start() || status_section == Some(section))
        .collect();
    let mut place = place(cx, subject, kind, text, status.value_range, Spelling::Word, Scope::Task);
    place.fields = section_fields;
    place.title = outline.headings.first().map(|it| text[it.content].into());
    Some((place, section))
}
