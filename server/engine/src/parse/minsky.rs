//! minsky: `process/tasks.md` (`- [+] Title [#049](process/tasks/049-slug.md)`) and its spec
//! files (`# Task NNN: Title`, `## Status` followed by a free word).

use crate::layout::leading_digits;
use crate::markdown::{self, Outline};
use crate::model::{Mention, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, item_from_checkbox, link, place};
use crate::text::{TextRange, lines_with_offsets, range, size};
use crate::vocabulary::{Scope, Spelling};

pub fn parse_index(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    for (list_item, line, checkbox) in outline.checkboxes(text, range(0, text.len())) {
        let line_text = &text[line];
        let base = usize::from(line.start());
        let Some((id, title)) = task_reference(line_text, checkbox.text_start) else {
            if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                out.items.push(item);
            }
            continue;
        };
        let key = TaskKey::new(cx.scope, markdown::numeric_id(id));
        let marker = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
        let mut place =
            place(cx, Subject::Task(key.clone()), PlaceKind::IndexLine, text, marker, Spelling::Checkbox, Scope::Task);
        place.title = Some(title.into());
        place.extent = list_item.range;
        for (start, end, target) in markdown::file_links(line_text) {
            out.links.push(link(target, range(base + start, base + end), Some(key.clone())));
        }
        out.places.push(place);
    }
    out
}

/// `Title [#049](path)`: the id digits and the title before the reference.
fn task_reference(line: &str, text_start: usize) -> Option<(&str, &str)> {
    let at = line[text_start..].find("[#")? + text_start;
    let digits_start = at + 2;
    let digits = leading_digits(&line[digits_start..]);
    if digits == 0 || !line[digits_start + digits..].starts_with(']') {
        return None;
    }
    Some((&line[digits_start..digits_start + digits], line[text_start..at].trim()))
}

pub fn parse_spec(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let file_name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let digits = leading_digits(file_name);
    let title_id = outline.headings.first().and_then(|heading| {
        let content = &text[heading.content];
        let rest = content.strip_prefix("Task ")?.trim_start_matches('#');
        let n = leading_digits(rest);
        (n > 0).then(|| markdown::numeric_id(&rest[..n]))
    });
    let id = if digits > 0 { Some(markdown::numeric_id(&file_name[..digits])) } else { title_id };
    let Some(id) = id else { return out };
    let key = TaskKey::new(cx.scope, id);
    let title_line = outline.headings.first().map_or(range(0, 0), |it| it.line);
    let status_heading =
        outline.headings.iter().position(|it| it.level >= 2 && text[it.content].trim().eq_ignore_ascii_case("status"));
    let Some(heading_index) = status_heading else {
        out.mentions.push(Mention { task: key, kind: PlaceKind::SpecStatus, range: title_line });
        return out;
    };
    let heading = &outline.headings[heading_index];
    let end = outline.headings.get(heading_index + 1).map_or(size(text.len()), |it| it.line.start());
    let body = TextRange::new(heading.line.end().min(end), end);
    let body_start = usize::from(body.start());
    let word_line = lines_with_offsets(&text[body]).find(|(_, line)| !line.trim().is_empty());
    let Some((offset, line_text)) = word_line else {
        out.mentions.push(Mention { task: key, kind: PlaceKind::SpecStatus, range: title_line });
        return out;
    };
    let offset = body_start + offset;
    let (marker_start, marker_end, trailing) = status_word(line_text);
    let mut place = place(
        cx,
        Subject::Task(key),
        PlaceKind::SpecStatus,
        text,
        range(offset + marker_start, offset + marker_end),
        Spelling::Word,
        Scope::Task,
    );
    place.trailing = trailing.map(|(start, end)| range(offset + start, offset + end));
    place.title = outline.headings.first().map(|it| text[it.content].into());
    out.places.push(place);
    out
}

/// The status word of a `## Status` paragraph: `NEW`, `**ON HOLD** - waiting for 141`.
fn status_word(line: &str) -> (usize, usize, Option<(usize, usize)>) {
    let start = line.len() - line.trim_start().len();
    let rest = &line[start..];
    let (start, word) = if let Some(inner) = rest.strip_prefix("**")
        && let Some(close) = inner.find("**")
    {
        (start + 2, &inner[..close])
    } else {
        let end =
            [" - ", " — ", " (", ": "].iter().filter_map(|it| rest.find(it)).min().unwrap_or(rest.trim_end().len());
        (start, &rest[..end])
    };
    let end = start + word.trim_end().len();
    let after = &line[end..];
    let after_trimmed = after.trim_start_matches('*').trim();
    let trailing = (!after_trimmed.is_empty()).then(|| {
        let trailing_start = line.len() - after.trim_start_matches('*').trim_start().len();
        (trailing_start, trailing_start + after_trimmed.len())
    });
    (start, end, trailing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_status_words() {
        let line = "- [+] Implement MCP [#049](process/tasks/049-x.md)";
        assert_eq!(task_reference(line, 6), Some(("049", "Implement MCP")));
        assert_eq!(task_reference("- [x] no ref", 6), None);
        let line = "**ON HOLD** - Waiting for completion of task 141";
        let (start, end, trailing) = status_word(line);
        assert_eq!(&line[start..end], "ON HOLD");
        let (ts, te) = trailing.unwrap();
        assert_eq!(&line[ts..te], "- Waiting for completion of task 141");
        let (start, end, trailing) = status_word("NEW");
        assert_eq!((start, end, trailing), (0, 3, None));
    }
}
