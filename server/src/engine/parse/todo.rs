//! The spec-folder `TODO.md`: task sections, the Task Order summary and frontmatter counters.

use crate::engine::markdown::{self, Outline};
use crate::engine::model::{Counter, Counters, FieldInsert, FieldStyle, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::engine::parse::{
    ParseContext, collect_items, field_from_line, is_artifact_field, is_timestamp_field, link, numeric_dependencies,
    place, split_status_value,
};
use crate::engine::text::{TextRange, range, size};
use crate::engine::vocabulary::{Scope, Spelling};
use crate::engine::yaml::{self, Yaml};

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
    let outline = Outline::new(text);
    let mut problems = Vec::new();
    let counters = counters(text, &mut problems);
    let mut out = ParsedFile { counters, problems, ..ParsedFile::default() };
    let section_end = |index: usize| {
        let level = outline.headings[index].level;
        outline.headings[index + 1..]
            .iter()
            .find(|next| next.level <= level)
            .map_or(size(text.len()), |next| next.line.start())
    };
    // A task section is a `### N. Title` heading with a status field under it; inside the Task
    // Order, `### 0.`-style headings without one are groupings.
    let sections: Vec<Option<TaskHeading>> = outline
        .headings
        .iter()
        .enumerate()
        .map(|(index, heading)| {
            let task = task_heading(&text[heading.content]).filter(|_| heading.level >= 2)?;
            let body = TextRange::new(heading.line.end().min(section_end(index)), section_end(index));
            has_status_field(&text[body]).then_some(task)
        })
        .collect();
    for (index, heading) in outline.headings.iter().enumerate() {
        let end = section_end(index);
        let body = TextRange::new(heading.line.end().min(end), end);
        if text[heading.content].trim().trim_end_matches(':').eq_ignore_ascii_case("task order") {
            // The summary ends where the first task section starts, even one nested under it.
            let order_end = sections[index + 1..]
                .iter()
                .zip(&outline.headings[index + 1..])
                .find(|(section, next)| section.is_some() && next.line.start() < end)
                .map_or(end, |(_, next)| next.line.start());
            parse_task_order(cx, text, &outline, TextRange::new(body.start(), order_end.max(body.start())), &mut out);
            continue;
        }
        if let Some(task) = &sections[index] {
            parse_section(cx, text, &outline, heading, task, body, &mut out);
        }
    }
    out
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
    place.title = Some(content[task.title_start..].trim().to_string());
    let date_only = !fields
        .iter()
        .filter(|it| is_timestamp_field(&it.name))
        .any(|it| it.value.len() > 10 && it.value.as_bytes().get(10) == Some(&b'T'));
    let insert_after =
        last_timestamp_line.filter(|it| it.start() > status_field.line.start()).unwrap_or(status_field.line);
    place.field_insert =
        Some(FieldInsert { at: insert_after.end(), style: FieldStyle::Markdown { prefix, date_only } });
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

/// `- **58** [BLOCKED] — title` and `152 [NOT STARTED] — title` lines.
fn parse_task_order(cx: &ParseContext<'_>, text: &str, outline: &Outline, body: TextRange, out: &mut ParsedFile) {
    for (line, line_text) in outline.prose_lines(text, body) {
        let offset = usize::from(line.start());
        let Some((id, marker, title)) = task_order_line(line_text) else { continue };
        let key = TaskKey::new(cx.scope, markdown::numeric_id(&line_text[id.0..id.1]));
        let marker_range = range(offset + marker.0, offset + marker.1);
        let mut place =
            place(cx, Subject::Task(key), PlaceKind::TaskOrderLine, text, marker_range, Spelling::Bracket, Scope::Task);
        place.title = Some(title.to_string());
        out.places.push(place);
    }
}

type Span = (usize, usize);

fn task_order_line(line: &str) -> Option<(Span, Span, &str)> {
    let mut at = line.len() - line.trim_start().len();
    if line[at..].starts_with(['-', '*', '+']) && line[at + 1..].starts_with([' ', '\t']) {
        at += 1;
        at += line[at..].len() - line[at..].trim_start().len();
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

/// `next_project_number` and `task_counts` from the frontmatter.
fn counters(text: &str, problems: &mut Vec<crate::engine::model::FileProblem>) -> Option<Counters> {
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
    (next_project_number.is_some() || !task_counts.is_empty()).then_some(Counters { next_project_number, task_counts })
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
    }
}
