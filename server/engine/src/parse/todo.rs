//! The spec-folder `TODO.md`: task sections, the Task Order summary and frontmatter counters.

use crate::markdown::{self, Outline};
use crate::model::{Counter, Counters, FieldInsert, FieldStyle, ParsedFile, Place, PlaceKind, Subject, TaskKey};
use crate::parse::{
    ParseContext, collect_items, field_from_line, is_artifact_field, is_timestamp_field, link, numeric_dependencies,
    place, split_status_value,
};
use crate::text::{TextRange, range};
use crate::vocabulary::{Scope, Spelling};
use crate::yaml::{self, Yaml};

/// Whether a TODO.md is written in the spec-folder style: `### N. Title` sections with
/// `**Status**` fields.
pub fn has_spec_sections(text: &str) -> bool {
    let mut heading = false;
    let mut status = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("##") && task_heading(trimmed.trim_start_matches('#').trim()).is_some() {
            heading = true;
        }
        if trimmed.contains("**Status**") || trimmed.contains("**Status:**") {
            status = true;
        }
        if heading && status {
            return true;
        }
    }
    false
}

/// `✓ 221. Title`: offsets into the heading content.
struct TaskHeading {
    done_mark: Option<(usize, usize)>,
    number: (usize, usize),
    title_start: usize,
}

fn task_heading(content: &str) -> Option<TaskHeading> {
    let mut at = 0;
    let mut done_mark = None;
    if let Some(first) = content.chars().next()
        && matches!(first, '✓' | '✅' | '✔' | '☑')
    {
        let end = first.len_utf8();
        done_mark = Some((0, end));
        at = end + (content[end..].len() - content[end..].trim_start().len());
        // `✅️` carries a variation selector.
        if content[at..].starts_with('\u{fe0f}') {
            at += '\u{fe0f}'.len_utf8();
            at += content[at..].len() - content[at..].trim_start().len();
        }
    }
    let digits = content[at..].len() - content[at..].trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let after = &content[at + digits..];
    let after = after.strip_prefix('.')?;
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let title_start = content.len() - after.trim_start().len();
    Some(TaskHeading { done_mark, number: (at, at + digits), title_start })
}

pub fn parse(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    parse_with_layout(cx, text).0
}

/// What an incremental re-parse of a TODO.md needs from the previous parse: its outline, and
/// for each heading whether it starts a task section and how many places, items and links its
/// part of the parse holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TodoLayout {
    outline: Outline,
    units: Vec<Unit>,
    /// The frontmatter's extent (its closing line included): counters live there.
    frontmatter_end: Option<usize>,
}

/// One heading's share of the parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Unit {
    /// A `### N. Title` heading with a status field under it.
    section: bool,
    places: usize,
    items: usize,
    links: usize,
}

/// Which part of a parse an incremental re-parse replaced: `old[start..old_end]` became
/// `new[start..new_end]`; what follows moved by the difference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Splice {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Splice {
    pub fn delta(&self) -> i64 {
        self.new_end as i64 - self.old_end as i64
    }
}

/// What [`reparse`] changed, for the index and the diagnostics to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reparsed {
    /// The text region whose parse was redone (old and new ends); outside it the text and its
    /// parse are the same, moved by the length difference.
    pub region: crate::text::Change,
    pub places: Splice,
    pub items: Splice,
    pub links: Splice,
    /// The places and links the splice removed, for comparison with the new ones.
    pub old_places: Vec<crate::model::Place>,
    pub old_links: Vec<crate::model::Link>,
}

pub fn parse_with_layout(cx: &ParseContext<'_>, text: &str) -> (ParsedFile, TodoLayout) {
    let outline = Outline::new(text);
    let mut problems = Vec::new();
    let counters = counters(text, &mut problems);
    let mut out = ParsedFile { counters, problems, ..ParsedFile::default() };
    let flags: Vec<bool> =
        (0..outline.headings.len()).map(|index| section_heading(text, &outline, index).is_some()).collect();
    let units =
        (0..outline.headings.len()).map(|index| parse_unit(cx, text, &outline, &flags, index, &mut out)).collect();
    let frontmatter_end = frontmatter_end(text);
    (out, TodoLayout { outline, units, frontmatter_end })
}

/// Re-parses `new`, which is `old` with `change` applied, reusing `parsed` and `layout` (the
/// parse and layout of `old`, updated in place): only the headings whose part of the text
/// overlaps the re-parsed region are read again. Equal to [`parse_with_layout`] of `new`.
pub fn reparse(
    cx: &ParseContext<'_>,
    old: &str,
    new: &str,
    change: crate::text::Change,
    parsed: &mut ParsedFile,
    layout: &mut TodoLayout,
) -> Reparsed {
    let (outline, region) = layout.outline.reparse_with_region(old, new, change);
    if let Some(reparsed) = reparse_task_order_line(cx, old, new, change, parsed, layout, &outline, region) {
        layout.outline = outline;
        return reparsed;
    }
    let old_outline = &layout.outline;
    // Headings from `last` on start after the region in the old text.
    let last = old_outline.headings.partition_point(|it| usize::from(it.line.start()) < region.old_end);
    let new_last = outline.headings.partition_point(|it| usize::from(it.line.start()) < region.new_end);
    // Headings before the region whose part reaches into it (a section with subheadings, the
    // Task Order over the sections) are read again when they can hold anything.
    let first_inside = old_outline.headings.partition_point(|it| usize::from(it.line.start()) < region.start);
    let mut first = first_inside;
    let mut lowest_after = u8::MAX;
    for index in (0..first_inside).rev() {
        let heading = &old_outline.headings[index];
        if lowest_after <= 1 {
            break;
        }
        if heading.level < lowest_after {
            let reaches = old_outline.section_end(index, old.len()) > crate::text::size(region.start);
            if reaches && can_hold_places(old, heading) {
                first = index;
            }
        }
        lowest_after = lowest_after.min(heading.level);
    }
    let mut flags: Vec<bool> = Vec::with_capacity(outline.headings.len());
    flags.extend(layout.units[..first].iter().map(|it| it.section));
    for index in first..new_last {
        flags.push(section_heading(new, &outline, index).is_some());
    }
    flags.extend(layout.units[last..].iter().map(|it| it.section));
    let sum = |units: &[Unit]| {
        units
            .iter()
            .fold((0, 0, 0), |(places, items, links), it| (places + it.places, items + it.items, links + it.links))
    };
    let (place_start, item_start, link_start) = sum(&layout.units[..first]);
    let (old_places, old_items, old_links) = sum(&layout.units[first..last]);
    // The window's parse, with indices as if the parse before it were there.
    let mut fresh = ParsedFile::default();
    let mut window_units = Vec::with_capacity(new_last - first);
    for index in first..new_last {
        window_units.push(parse_unit(cx, new, &outline, &flags, index, &mut fresh));
    }
    let before = crate::model::Moved { bytes: 0, places: place_start as i64, items: item_start as i64 };
    for place in &mut fresh.places {
        before.place(place);
    }
    for item in &mut fresh.items {
        before.item(item);
    }
    let places =
        Splice { start: place_start, old_end: place_start + old_places, new_end: place_start + fresh.places.len() };
    let items = Splice { start: item_start, old_end: item_start + old_items, new_end: item_start + fresh.items.len() };
    let links = Splice { start: link_start, old_end: link_start + old_links, new_end: link_start + fresh.links.len() };
    let after = crate::model::Moved { bytes: change.delta(), places: places.delta(), items: items.delta() };
    for place in &mut parsed.places[places.old_end..] {
        after.place(place);
    }
    for item in &mut parsed.items[items.old_end..] {
        after.item(item);
    }
    for link in &mut parsed.links[links.old_end..] {
        after.link(link);
    }
    let old_places: Vec<_> = parsed.places.splice(places.start..places.old_end, fresh.places).collect();
    parsed.items.splice(items.start..items.old_end, fresh.items);
    let old_links: Vec<_> = parsed.links.splice(links.start..links.old_end, fresh.links).collect();
    // The counters live in the frontmatter: read again when the change reaches it (or a new
    // first line could start one).
    let new_frontmatter_end = frontmatter_end(new);
    let frontmatter_changed =
        new_frontmatter_end != layout.frontmatter_end || layout.frontmatter_end.is_some_and(|end| change.start <= end);
    if frontmatter_changed {
        parsed.problems.clear();
        parsed.counters = self::counters(new, &mut parsed.problems);
    }
    layout.units.splice(first..last, window_units);
    layout.outline = outline;
    layout.frontmatter_end = new_frontmatter_end;
    Reparsed { region, places, items, links, old_places, old_links }
}

/// An edit inside one line of the Task Order that leaves it a Task Order line (a status change
/// rewrites its marker): only that line's place is read again, not the hundreds of lines of a
/// long Task Order, whose parse is line by line. `None` for any other edit.
#[allow(clippy::too_many_arguments)]
fn reparse_task_order_line(
    cx: &ParseContext<'_>,
    old: &str,
    new: &str,
    change: crate::text::Change,
    parsed: &mut ParsedFile,
    layout: &TodoLayout,
    outline: &Outline,
    region: crate::text::Change,
) -> Option<Reparsed> {
    let (old_changed, new_changed) = (&old[change.start..change.old_end], &new[change.start..change.new_end]);
    if old_changed.contains('\n') || new_changed.contains('\n') || change.start == 0 {
        return None;
    }
    // Same headings (the edit is in one line that is no heading before or after).
    if outline.headings.len() != layout.outline.headings.len() {
        return None;
    }
    let line_start = old[..change.start].rfind('\n').map_or(0, |it| it + 1);
    let line_end = |text: &str, from: usize| text[from..].find('\n').map_or(text.len(), |it| from + it);
    // As `prose_lines` gives them: without a CRLF file's `\r`.
    let (old_line, new_line) =
        (&old[line_start..line_end(old, change.old_end)], &new[line_start..line_end(new, change.new_end)]);
    let (old_line, new_line) =
        (old_line.strip_suffix('\r').unwrap_or(old_line), new_line.strip_suffix('\r').unwrap_or(new_line));
    if outline.in_code(crate::text::size(line_start)) || layout.frontmatter_end.is_some_and(|end| line_start < end) {
        return None;
    }
    // The heading whose part holds the line must be the Task Order, and the line one of its
    // places.
    let heading = layout.outline.headings.partition_point(|it| usize::from(it.line.start()) <= line_start);
    let heading = heading.checked_sub(1)?;
    if !is_task_order(&old[layout.outline.headings[heading].content]) {
        return None;
    }
    let unit_start: usize = layout.units[..heading].iter().map(|it| it.places).sum();
    let unit = unit_start..unit_start + layout.units[heading].places;
    let on_line =
        |place: &Place| (line_start..line_start + old_line.len()).contains(&usize::from(place.extent.start()));
    let at = unit.clone().find(|it| on_line(&parsed.places[*it]))?;
    if parsed.places[at].kind != PlaceKind::TaskOrderLine
        || unit.clone().filter(|it| on_line(&parsed.places[*it])).count() != 1
    {
        return None;
    }
    task_order_line(old_line)?;
    let mut place = task_order_place(cx, new, crate::text::range(line_start, line_start + new_line.len()), new_line)?;
    // An item's marker is on its line, after the line's start.
    let items_before = parsed.items.partition_point(|it| usize::from(it.marker_range.start()) < line_start);
    let links_before = parsed.links.partition_point(|it| usize::from(it.range.start()) < line_start);
    crate::model::Moved { bytes: 0, places: at as i64, items: items_before as i64 }.place(&mut place);
    let after = crate::model::Moved { bytes: change.delta(), places: 0, items: 0 };
    for place in &mut parsed.places[at + 1..] {
        after.place(place);
    }
    for item in &mut parsed.items[items_before..] {
        after.item(item);
    }
    for link in &mut parsed.links[links_before..] {
        after.link(link);
    }
    let old_place = std::mem::replace(&mut parsed.places[at], place);
    let unchanged = |start: usize| Splice { start, old_end: start, new_end: start };
    Some(Reparsed {
        region,
        places: Splice { start: at, old_end: at + 1, new_end: at + 1 },
        items: unchanged(items_before),
        links: unchanged(links_before),
        old_places: vec![old_place],
        old_links: Vec::new(),
    })
}

/// Where the frontmatter ends, its closing line included.
fn frontmatter_end(text: &str) -> Option<usize> {
    let block = markdown::frontmatter(text)?;
    let end = usize::from(block.body.end());
    Some(text[end..].find('\n').map_or(text.len(), |it| end + it + 1))
}

/// Whether a heading's part of the parse can hold places: the Task Order, or a task heading.
fn can_hold_places(text: &str, heading: &markdown::Heading) -> bool {
    let content = &text[heading.content];
    is_task_order(content) || (heading.level >= 2 && task_heading(content).is_some())
}

fn is_task_order(content: &str) -> bool {
    content.trim().trim_end_matches(':').eq_ignore_ascii_case("task order")
}

/// A task section is a `### N. Title` heading with a status field under it; inside the Task
/// Order, `### 0.`-style headings without one are groupings.
fn section_heading(text: &str, outline: &Outline, index: usize) -> Option<TaskHeading> {
    let heading = &outline.headings[index];
    let task = task_heading(&text[heading.content]).filter(|_| heading.level >= 2)?;
    let end = outline.section_end(index, text.len());
    let body = TextRange::new(heading.line.end().min(end), end);
    has_status_field(&text[body]).then_some(task)
}

/// Parses one heading's part: the Task Order's lines or a task section. `sections` says which
/// headings are task sections.
fn parse_unit(
    cx: &ParseContext<'_>,
    text: &str,
    outline: &Outline,
    sections: &[bool],
    index: usize,
    out: &mut ParsedFile,
) -> Unit {
    let (places, items, links) = (out.places.len(), out.items.len(), out.links.len());
    let heading = &outline.headings[index];
    let end = outline.section_end(index, text.len());
    let body = TextRange::new(heading.line.end().min(end), end);
    let section = sections[index];
    if is_task_order(&text[heading.content]) {
        // The summary ends where the first task section starts, even one nested under it.
        let order_end = sections[index + 1..]
            .iter()
            .zip(&outline.headings[index + 1..])
            .find(|(section, next)| **section && next.line.start() < end)
            .map_or(end, |(_, next)| next.line.start());
        parse_task_order(cx, text, outline, TextRange::new(body.start(), order_end.max(body.start())), out);
    } else if section && let Some(task) = task_heading(&text[heading.content]) {
        parse_section(cx, text, outline, heading, &task, body, out);
    }
    Unit { section, places: out.places.len() - places, items: out.items.len() - items, links: out.links.len() - links }
}

fn parse_section(
    cx: &ParseContext<'_>,
    text: &str,
    outline: &Outline,
    heading: &markdown::Heading,
    task: &TaskHeading,
    body: TextRange,
    out: &mut ParsedFile,
) {
    let content = &text[heading.content];
    let base = usize::from(heading.content.start());
    let key = TaskKey::new(cx.scope, markdown::numeric_id(&content[task.number.0..task.number.1]));
    let mut fields = Vec::new();
    let mut status = None;
    let mut dependencies = Vec::new();
    let mut links = Vec::new();
    let mut last_timestamp_line: Option<TextRange> = None;
    let mut in_artifact_field = false;
    for (line, line_text) in outline.prose_lines(text, body) {
        let offset = usize::from(line.start());
        if let Some(field) = markdown::field_line(line_text)
            && field.indent <= 1
        {
            let parsed = field_from_line(line, &field);
            in_artifact_field = is_artifact_field(field.name);
            if field.name.eq_ignore_ascii_case("Status") && status.is_none() {
                status = Some((parsed.clone(), field.prefix.to_string()));
            }
            if ["Dependencies", "Depends on", "Depends On"].iter().any(|it| field.name.eq_ignore_ascii_case(it)) {
                dependencies.extend(numeric_dependencies(field.value, usize::from(parsed.value_range.start())));
            }
            if is_timestamp_field(field.name) {
                last_timestamp_line = Some(line);
            }
            if in_artifact_field {
                for (start, end, target) in markdown::file_links(line_text) {
                    links.push(link(target, range(offset + start, offset + end), Some(key.clone())));
                }
            }
            if cx.keeps_field(field.name) {
                fields.push(parsed);
            }
        } else if in_artifact_field && line_text.starts_with([' ', '\t']) && !line_text.trim().is_empty() {
            // Nested list under `- **Plan**:` or `- **Research Artifacts**:`.
            for (start, end, target) in markdown::file_links(line_text) {
                links.push(link(target, range(offset + start, offset + end), Some(key.clone())));
            }
        } else if !line_text.trim().is_empty() && !line_text.starts_with([' ', '\t']) {
            in_artifact_field = false;
        }
    }
    out.links.extend(links);
    let Some((status_field, prefix)) = status else { return };
    let (marker_range, trailing) =
        split_status_value(&status_field.value, usize::from(status_field.value_range.start()));
    let mut place =
        place(cx, Subject::Task(key), PlaceKind::TodoSection, text, marker_range, Spelling::Bracket, Scope::Task);
    place.trailing = trailing;
    place.title = Some(content[task.title_start..].trim().into());
    let date_only = !fields
        .iter()
        .filter(|it| is_timestamp_field(&it.name))
        .any(|it| it.value.len() > 10 && it.value.as_bytes().get(10) == Some(&b'T'));
    let insert_after =
        last_timestamp_line.filter(|it| it.start() > status_field.line.start()).unwrap_or(status_field.line);
    place.field_insert =
        Some(FieldInsert { at: insert_after.end(), style: FieldStyle::Markdown { prefix: prefix.into(), date_only } });
    place.fields = fields;
    place.dependencies = dependencies;
    place.done_mark = task.done_mark.map(|(start, end)| range(base + start, base + end));
    place.extent = TextRange::new(heading.line.start(), body.end());
    place.heading_number = Some(range(base + task.number.0, base + task.number.1));
    let index = out.places.len();
    out.places.push(place);
    let items = collect_items(cx, text, outline, body, Some(index), &mut out.items);
    out.places[index].child_items = items;
}

fn has_status_field(section: &str) -> bool {
    section.lines().any(|line| {
        markdown::field_line(line).is_some_and(|it| it.indent <= 1 && it.name.eq_ignore_ascii_case("Status"))
    })
}

/// `- **58** [BLOCKED] — title`, `1. **58** [BLOCKED] — title`, `152 [NOT STARTED] — title` and
/// dependency-tree lines such as `  └─ 153 [NOT STARTED] — title`.
fn parse_task_order(cx: &ParseContext<'_>, text: &str, outline: &Outline, body: TextRange, out: &mut ParsedFile) {
    for (line, line_text) in outline.prose_lines(text, body) {
        out.places.extend(task_order_place(cx, text, line, line_text));
    }
}

/// The place a Task Order line states, if it is one.
fn task_order_place(cx: &ParseContext<'_>, text: &str, line: TextRange, line_text: &str) -> Option<Place> {
    let offset = usize::from(line.start());
    let (id, marker, title) = task_order_line(line_text)?;
    let key = TaskKey::new(cx.scope, markdown::numeric_id(&line_text[id.0..id.1]));
    let marker_range = range(offset + marker.0, offset + marker.1);
    let mut place =
        place(cx, Subject::Task(key), PlaceKind::TaskOrderLine, text, marker_range, Spelling::Bracket, Scope::Task);
    place.title = Some(title.into());
    Some(place)
}

type Span = (usize, usize);

fn task_order_line(line: &str) -> Option<(Span, Span, &str)> {
    let mut at = line.len() - line.trim_start().len();
    // A tree drawn with box characters: `└─ `, `├── `, `│  └─ `.
    let tree = line[at..].len() - line[at..].trim_start_matches(['└', '├', '│', '─', ' ', '\t']).len();
    if tree > 0 && line[at..at + tree].trim().chars().any(|it| it != '│') {
        at += tree;
    }
    if line[at..].starts_with(['-', '*', '+']) && line[at + 1..].starts_with([' ', '\t']) {
        at += 1;
        at += line[at..].len() - line[at..].trim_start().len();
    } else if let Some(marker) = ordered_list_marker(&line[at..]) {
        at += marker;
    }
    let bold = line[at..].starts_with("**");
    if bold {
        at += 2;
    }
    let digits = line[at..].len() - line[at..].trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let id = (at, at + digits);
    at += digits;
    if bold {
        at += line[at..].starts_with("**").then_some(2)?;
    }
    if line[at..].starts_with('.') {
        at += 1;
    }
    let spaces = line[at..].len() - line[at..].trim_start().len();
    if spaces == 0 {
        return None;
    }
    at += spaces;
    if !line[at..].starts_with('[') {
        return None;
    }
    let close = at + line[at..].find(']')?;
    let marker = (at, close + 1);
    let title = line[close + 1..].trim_start().trim_start_matches(['—', '–', '-', ':']).trim();
    Some((id, marker, title))
}

/// The length of an ordered list marker and the space after it (`1. `, `12) `), if `line` starts
/// with one whose item goes on with a bold id: `1. 58 [X]` is a number, not a list item.
fn ordered_list_marker(line: &str) -> Option<usize> {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if !(1..=9).contains(&digits) || !line[digits..].starts_with(['.', ')']) {
        return None;
    }
    let rest = &line[digits + 1..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    (spaces > 0 && rest[spaces..].starts_with("**")).then_some(digits + 1 + spaces)
}

/// `next_project_number` and `task_counts` from the frontmatter.
fn counters(text: &str, problems: &mut Vec<crate::model::FileProblem>) -> Option<Counters> {
    let block = markdown::frontmatter(text)?;
    let yaml = match yaml::parse(text, block.body) {
        Ok(it) => it,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let number = |value: &Yaml, key: &str| -> Option<Counter> {
        let scalar = value.as_scalar()?;
        Some(Counter { key: key.to_string(), value: scalar.value.parse().ok()?, range: scalar.range })
    };
    let next_project_number = yaml.get("next_project_number").and_then(|it| number(it, "next_project_number"));
    let task_counts = match yaml.get("task_counts") {
        Some(Yaml::Map(entries)) => entries.iter().filter_map(|(key, value)| number(value, &key.value)).collect(),
        _ => Vec::new(),
    };
    (next_project_number.is_some() || !task_counts.is_empty()).then_some(Counters {
        next_project_number,
        task_counts,
        ..Counters::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_headings() {
        let it = task_heading("✓ 221. Fix status").unwrap();
        assert_eq!((it.done_mark, it.number, it.title_start), (Some((0, 3)), (4, 7), 9));
        let it = task_heading("529. Unify").unwrap();
        assert_eq!((it.done_mark, it.number), (None, (0, 3)));
        assert!(task_heading("✅ 522. Improve").is_some());
        assert!(task_heading("Decidability").is_none());
        assert!(task_heading("2.0 release").is_none());
        assert!(task_heading("Phase 1: x").is_none());
    }

    #[test]
    fn task_order_lines() {
        let line = "- **58** [BLOCKED] — Bundle coherence";
        let (id, marker, title) = task_order_line(line).unwrap();
        assert_eq!((&line[id.0..id.1], &line[marker.0..marker.1], title), ("58", "[BLOCKED]", "Bundle coherence"));
        let line = "152 [NOT STARTED] — title";
        let (id, marker, _) = task_order_line(line).unwrap();
        assert_eq!((&line[id.0..id.1], &line[marker.0..marker.1]), ("152", "[NOT STARTED]"));
        assert!(task_order_line("- plain text").is_none());
        assert!(task_order_line("2026 was a year").is_none());
        let line = "2. **68** [RESEARCHED] — Prove dense completeness";
        let (id, marker, title) = task_order_line(line).unwrap();
        assert_eq!(
            (&line[id.0..id.1], &line[marker.0..marker.1], title),
            ("68", "[RESEARCHED]", "Prove dense completeness")
        );
        let line = "      └─ 153 [NOT STARTED] — Sub-PR 2.9";
        let (id, marker, title) = task_order_line(line).unwrap();
        assert_eq!((&line[id.0..id.1], &line[marker.0..marker.1], title), ("153", "[NOT STARTED]", "Sub-PR 2.9"));
        let line = "│  ├── **7** [PLANNED] - nested";
        let (id, marker, _) = task_order_line(line).unwrap();
        assert_eq!((&line[id.0..id.1], &line[marker.0..marker.1]), ("7", "[PLANNED]"));
        // An ordered list item whose text starts with a number is not a task's line.
        assert!(task_order_line("1. 2026 [was] a year").is_none());
        assert!(task_order_line("│ plain").is_none());
    }
}
