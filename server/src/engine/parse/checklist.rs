//! Plain checklists (GitHub, Obsidian, [x]it!) and spec-kit `tasks.md`.

use crate::engine::markdown::Outline;
use crate::engine::model::{ParsedFile, PlaceKind, Subject, TaskKey};
use crate::engine::parse::{ParseContext, collect_items, item_from_checkbox, place};
use crate::engine::text::range;
use crate::engine::vocabulary::{Scope, Spelling};

/// Every checkbox of the document, nested as written.
pub fn parse(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    collect_items(cx, text, &outline, range(0, text.len()), None, &mut out.items);
    out
}

/// `- [X] T001 [P] [US1] Description`: a line with a task id is a place of that task; other
/// checkboxes are plain items.
pub fn parse_spec_kit(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    for (list_item, line, checkbox) in outline.checkboxes(text, range(0, text.len())) {
        let line_text = &text[line];
        let after = &line_text[checkbox.text_start..];
        let id_len = spec_kit_id(after);
        if id_len == 0 {
            if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                out.items.push(item);
            }
            continue;
        }
        let base = usize::from(line.start());
        let key = TaskKey::new(cx.scope, &after[..id_len]);
        let marker = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
        let state_char = checkbox.state.chars().next().unwrap_or(' ');
        let known = cx.profile.statuses.iter().any(|it| it.checkbox.contains(&state_char));
        if !known && state_char.is_alphanumeric() && !matches!(state_char, 'x' | 'X') {
            continue;
        }
        let mut place =
            place(cx, Subject::Task(key), PlaceKind::ChecklistTask, text, marker, Spelling::Checkbox, Scope::Task);
        place.title = Some(after[id_len..].trim().to_string());
        out.places.push(place);
    }
    out
}

/// Length of a `T001`-style id at the start of `text`, followed by a space or the end.
fn spec_kit_id(text: &str) -> usize {
    let Some(rest) = text.strip_prefix('T') else { return 0 };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || !(rest[digits..].is_empty() || rest[digits..].starts_with([' ', '\t'])) {
        return 0;
    }
    1 + digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_kit_ids() {
        assert_eq!(spec_kit_id("T001 [P] Create"), 4);
        assert_eq!(spec_kit_id("T12"), 3);
        assert_eq!(spec_kit_id("Tasks"), 0);
        assert_eq!(spec_kit_id("tasks = different"), 0);
    }
}
