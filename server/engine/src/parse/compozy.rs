//! compozy: `_tasks.md` (`- [x] 1.0 Title`, an optional `[DEFERRED]` tag, `Depends on: 1.0`)
//! and `N_task.md` files with a frontmatter `status:`.

use crate::layout::leading_digits;
use crate::markdown::{self, Outline};
use crate::model::{Dependency, Editability, Marker, Mention, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, collect_items, item_from_checkbox, place};
use crate::text::{lines_with_offsets, range};
use crate::vocabulary::{Lookup, Scope, Spelling};
use crate::yaml;

/// compozy writes `1.0` in the index and `1_task.md` on disk: both are task `1`.
pub fn task_id(raw: &str) -> String {
    raw.strip_suffix(".0").unwrap_or(raw).to_string()
}

/// `1.0`, `12.3`: the length of a compozy id at the start of `text`.
fn id_len(text: &str) -> usize {
    let digits = leading_digits(text);
    if digits == 0 {
        return 0;
    }
    let mut len = digits;
    if let Some(rest) = text[len..].strip_prefix('.') {
        let more = leading_digits(rest);
        if more > 0 {
            len += 1 + more;
        }
    }
    if text[len..].is_empty() || text[len..].starts_with([' ', '\t']) { len } else { 0 }
}

pub fn parse_index(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    for (list_item, line, checkbox) in outline.checkboxes(text, range(0, text.len())) {
        let line_text = &text[line];
        let after = &line_text[checkbox.text_start..];
        let len = id_len(after);
        if len == 0 || list_item.depth > 0 {
            if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                out.items.push(item);
            }
            continue;
        }
        let base = usize::from(line.start());
        let key = TaskKey::new(cx.scope, task_id(&after[..len]));
        let marker = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
        let mut place =
            place(cx, Subject::Task(key), PlaceKind::IndexLine, text, marker, Spelling::Checkbox, Scope::Task);
        let title = after[len..].trim();
        // A trailing `[DEFERRED]` refines the unchecked box.
        if title.ends_with(']')
            && let Some(open) = title.rfind('[')
        {
            let tag_text = &title[open..];
            if let Lookup::Known(id) = cx.profile.lookup(Spelling::Bracket, tag_text, Scope::Task) {
                let tag_start =
                    base + checkbox.text_start + len + (after[len..].len() - after[len..].trim_start().len()) + open;
                place.tag = Some(Box::new(Marker {
                    range: range(tag_start, tag_start + tag_text.len()),
                    text: tag_text.into(),
                    spelling: Spelling::Bracket,
                    scope: Scope::Task,
                }));
                place.status = Some(id);
                place.unknown = None;
            }
        }
        place.title = Some(title.into());
        place.extent = list_item.range;
        // `  - Depends on: 1.0, 2.0` under the item.
        let item_start = usize::from(list_item.range.start());
        for (offset, nested) in lines_with_offsets(&text[list_item.range]).skip(1) {
            let trimmed = nested.trim_start().trim_start_matches(['-', '*']).trim_start();
            let Some(value) = trimmed.strip_prefix("Depends on:").or_else(|| trimmed.strip_prefix("Dependencies:"))
            else {
                continue;
            };
            let value_start = item_start + offset + (nested.len() - value.len());
            let mut at = 0;
            while at < value.len() {
                let len = leading_digits(&value[at..]);
                if len == 0 {
                    at += value[at..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                let mut end = at + len;
                if let Some(rest) = value[end..].strip_prefix('.') {
                    end += 1 + leading_digits(rest);
                }
                place.dependencies.push(Dependency {
                    id: task_id(value[at..end].trim_end_matches('.')),
                    range: range(value_start + at, value_start + end),
                });
                at = end;
            }
        }
        out.places.push(place);
    }
    out
}

pub fn parse_task(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let file_name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let digits = leading_digits(file_name);
    let key = TaskKey::new(cx.scope, task_id(&file_name[..digits]));
    let front = markdown::frontmatter(text);
    let yaml = front.as_ref().map(|block| {
        let (yaml, problem) = yaml::parse_lenient(text, block.body);
        out.problems.extend(problem);
        yaml
    });
    let Some(status) = yaml.as_ref().and_then(|it| it.get("status")).and_then(|it| it.as_scalar()) else {
        out.mentions.push(Mention { task: key, kind: PlaceKind::Frontmatter, range: range(0, 0) });
        return out;
    };
    let mut place =
        place(cx, Subject::Task(key), PlaceKind::Frontmatter, text, status.range, Spelling::Word, Scope::Task);
    if !status.exact {
        place.editable = Editability::ReadOnly("the frontmatter status is not a single-line value");
    }
    place.title = outline.headings.first().map(|it| text[it.content].into());
    let index = out.places.len();
    out.places.push(place);
    let body_start = front.map_or(0, |it| usize::from(it.body.end()));
    let children = collect_items(cx, text, &outline, range(body_start, text.len()), Some(index), &mut out.items);
    out.places[index].child_items = children;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(id_len("1.0 Backend"), 3);
        assert_eq!(id_len("12.3 x"), 4);
        assert_eq!(id_len("2026 was"), 4);
        assert_eq!(id_len("v1"), 0);
        assert_eq!(task_id("10.0"), "10");
        assert_eq!(task_id("10.1"), "10.1");
    }
}
