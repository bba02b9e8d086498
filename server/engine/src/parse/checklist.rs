//! Plain checklists (GitHub, Obsidian, [x]it!) and spec-kit `tasks.md`.

use crate::markdown::Outline;
use crate::model::{Item, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, collect_items, item_from_checkbox, place};
use crate::text::{TextRange, range};
use crate::vocabulary::{Kind, Profile, Scope, Spelling, StatusId, Suggestion, SuggestionSource, UnknownReason};

/// Every checkbox of the document, nested as written.
pub fn parse(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    collect_items(cx, text, &outline, range(0, text.len()), None, &mut out.items);
    if cx.profile.numbered_tasks {
        out.places = numbered_tasks(cx, text, &out.items);
    }
    out
}

/// Kiro's `- [ ] 2. Title` and `- [x] 2.5 Subtask`: each numbered box is also a task of its own
/// (`2`, `2.5`), so that `list`, `show` and `set` reach it; its nesting stays the items'. A
/// number written twice with the same title is one task written twice (a line an agent left
/// behind when it rewrote the box: `duplicate-task` names both). A number written twice with
/// two titles in a file that numbers two lists from 1 (a `1.` again after later numbers) is the
/// second list's, and the file's boxes stay items rather than report tasks defined twice; in a
/// file numbered once through, it is one number given to two tasks (a `6.` inserted before the
/// old `6.`), both read and named by `duplicate-task`, rather than every task of the file
/// going unread without a word.
fn numbered_tasks(cx: &ParseContext<'_>, text: &str, items: &[Item]) -> Vec<crate::model::Place> {
    let restarts = numbering_restarts(items.iter().filter_map(|item| crate::parse::outline_number(&text[item.text])));
    let mut titles: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut places = Vec::new();
    for item in items {
        let words = &text[item.text];
        let Some(number) = crate::parse::outline_number(words) else { continue };
        let title = words[number.len()..].trim_start_matches('.').trim();
        if titles.insert(number, title).is_some_and(|first| !same_title(first, title)) && restarts {
            return Vec::new();
        }
        let key = TaskKey::new(cx.scope, number);
        let mut place = place(
            cx,
            Subject::Task(key),
            PlaceKind::ChecklistTask,
            text,
            item.marker_range,
            Spelling::Checkbox,
            Scope::Task,
        );
        place.title = Some(title.into());
        places.push(place);
    }
    places
}

/// Whether a file's numbered boxes number more than one list: a `1` again, or a task number
/// lower than the one before it (a second list copied in without its first tasks: `9.`, then
/// `2.2`, `3.`). Subtask numbers (`2.2`) are left out; a number written twice in a row is not
/// a new list.
fn numbering_restarts<'a>(numbers: impl Iterator<Item = &'a str>) -> bool {
    let mut tasks = numbers.filter_map(|it| it.parse::<u64>().ok());
    let Some(mut last) = tasks.next() else { return false };
    for number in tasks {
        if number == 1 || number < last {
            return true;
        }
        last = number;
    }
    false
}

/// Two titles of one numbered box, as a rewrite leaves them: the same words, whatever the
/// spacing, case and emphasis.
fn same_title(a: &str, b: &str) -> bool {
    let words = |it: &str| -> Vec<String> {
        it.split(|c: char| c.is_whitespace() || matches!(c, '*' | '_' | '`'))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    words(a) == words(b)
}

/// `- [X] T001 [P] [US1] Description`: a line with a task id is a place of that task; other
/// checkboxes are plain items.
pub fn parse_spec_kit(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let known = |state: char| cx.profile.statuses.iter().any(|it| it.checkbox.contains(&state));
    for list_item in outline.items.iter().filter(|it| !outline.in_code(it.range.start())) {
        let line = crate::text::line_range_at(text, usize::from(list_item.range.start()));
        let line_text = &text[line];
        // The box's character in the line, the task id and the title.
        let (char_start, state, id, title) = match crate::markdown::checkbox_line(line_text) {
            // `- [ ]* text` is a box only in Kiro's files ([`Outline::checkboxes`]).
            Some(checkbox) if checkbox.optional => continue,
            Some(checkbox) => {
                let Some((id, title)) = spec_kit_id(&line_text[checkbox.text_start..]) else {
                    if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                        out.items.push(item);
                    }
                    continue;
                };
                let state = checkbox.state.chars().next().unwrap_or(' ');
                if !known(state) && state.is_alphanumeric() && !matches!(state, 'x' | 'X') {
                    continue;
                }
                (checkbox.char_start, state, id, title)
            }
            // `1.  **T018**: [x] Create ...`: the id before the box.
            None => {
                let Some((id, char_start, state, title)) = spec_kit_id_then_box(line_text) else { continue };
                if !known(state) {
                    continue;
                }
                (char_start, state, id, title)
            }
        };
        let marker_start = usize::from(line.start()) + char_start;
        let marker = range(marker_start, marker_start + state.len_utf8());
        let key = TaskKey::new(cx.scope, id);
        let mut place =
            place(cx, Subject::Task(key), PlaceKind::ChecklistTask, text, marker, Spelling::Checkbox, Scope::Task);
        place.title = Some(title.into());
        out.places.push(place);
    }
    out
}

/// A list item written with its spec-kit id before its box: `1.  **T018**: [x] Create`,
/// `- T018: [ ] Create`. The id, the offset of the box's character in the line, that character,
/// and the title after the box.
fn spec_kit_id_then_box(line: &str) -> Option<(&str, usize, char, String)> {
    let words = crate::markdown::list_item_words(line)?;
    let bold = words.starts_with("**");
    let inner = if bold { &words[2..] } else { words };
    let id_end = inner.find([':', '*', ' ', '\t']).unwrap_or(inner.len());
    let (id, _) = spec_kit_id(&inner[..id_end])?;
    // Past the id, its bold and a colon (inside the bold or after it): nothing else may stand
    // before the box.
    let mut after_id = &inner[id_end..];
    after_id = after_id.strip_prefix(':').unwrap_or(after_id);
    if bold {
        after_id = after_id.strip_prefix("**")?;
    }
    let after_id = after_id.strip_prefix(':').unwrap_or(after_id);
    let boxed = after_id.trim_start_matches([' ', '\t']).strip_prefix('[')?;
    let mut chars = boxed.chars();
    let state = chars.next()?;
    let after_box = chars.as_str().strip_prefix(']')?;
    if !after_box.starts_with([' ', '\t']) || matches!(state, '[' | ']') {
        return None;
    }
    let char_start = line.len() - boxed.len();
    Some((id, char_start, state, after_box.trim().to_string()))
}

/// What an item's text says about its box, beyond the box's character. A box struck through
/// as a whole (`- [ ] ~~only if the cache is cold~~ — not applicable`) is cancelled, so it no
/// longer holds its finished parent open; an unknown `[~]` whose text says it is under way
/// (`- [~] refactor - Phases 1-4 complete (85%)`) is read as in progress, with a hint.
pub(crate) fn read_item_text(profile: &Profile, text: &str, item: &mut Item) {
    let words = &text[item.text];
    let open = item.status.is_none_or(|it| !profile.kind(it).is_closed());
    if open && struck_through_item(text, item.text) {
        if let Some(cancelled) = status_of_kind(profile, Kind::Cancelled) {
            item.status = Some(cancelled);
            item.unknown = None;
        }
        return;
    }
    if item.status.is_some() || item.state != '~' || !says_progress(words) {
        return;
    }
    let (Some(unknown), Some(active)) = (item.unknown.as_mut(), status_of_kind(profile, Kind::Active)) else {
        return;
    };
    unknown.reason = UnknownReason::Inferred;
    unknown.stands_for = Some(active);
    // The vocabulary's own box for it, offered but never applied without asking.
    unknown.suggestions = profile
        .status(active)
        .spelled(Spelling::Checkbox)
        .map(|text| Suggestion { status: active, text, why: SuggestionSource::SameKind })
        .into_iter()
        .collect();
    item.status = Some(active);
}

/// The vocabulary's status of `kind` for a box: one spelled as a box first, else any task status.
fn status_of_kind(profile: &Profile, kind: Kind) -> Option<StatusId> {
    let of_kind = |id: &StatusId| profile.kind(*id) == kind && !profile.status(*id).opaque;
    profile
        .ids()
        .filter(of_kind)
        .find(|it| profile.status(*it).has_spelling(Spelling::Checkbox))
        .or_else(|| profile.ids().filter(of_kind).find(|it| profile.status(*it).task))
}

/// Whether an item (its words at `words` in `text`) is struck through as a whole, on its own
/// line or over the lines that continue it.
pub(crate) fn struck_through_item(text: &str, words: TextRange) -> bool {
    struck_through(&text[words]) || struck_through_over_lines(text, words)
}

/// `~~the whole item~~`, optionally followed by a note after a dash, colon or parenthesis.
fn struck_through(words: &str) -> bool {
    let Some(rest) = words.trim().strip_prefix("~~") else { return false };
    let Some(end) = rest.find("~~") else { return false };
    if rest[..end].trim().is_empty() {
        return false;
    }
    let after = rest[end + 2..].trim();
    after.is_empty() || after.starts_with(['—', '–', '-', ':', '(', '→', '[']) || after.starts_with("->")
}

/// How many lines after an item's first one a strikethrough it opened may close on.
const MOST_CONTINUATION_LINES: usize = 8;

/// [`struck_through`] for an item whose `~~` opens on its first line and closes on a line that
/// continues it (a long item wrapped by an editor or a formatter): the lines up to the next
/// blank line, item, heading, table or fence, read as one.
fn struck_through_over_lines(text: &str, first_line: TextRange) -> bool {
    let words = text[first_line].trim();
    if !words.starts_with("~~") || words[2..].contains("~~") {
        return false;
    }
    let mut joined = words.to_string();
    let rest = &text[usize::from(first_line.end())..];
    // The first piece is what is left of the item's own line.
    for line in rest.split_inclusive('\n').skip(1).take(MOST_CONTINUATION_LINES) {
        let line = line.trim();
        // A line may begin with inline code (`` `MANIFEST.in`~~ ``); only a fence starts a block.
        let starts_block = line.is_empty()
            || line.starts_with(['-', '*', '+', '#', '|', '>'])
            || line.starts_with("```")
            || line.split_once(". ").is_some_and(|(number, _)| number.chars().all(|it| it.is_ascii_digit()));
        if starts_block {
            return false;
        }
        joined.push(' ');
        joined.push_str(line);
        if line.contains("~~") {
            return struck_through(&joined);
        }
    }
    false
}

/// Whether an item's text says the work is under way: a percentage, or words saying so.
fn says_progress(words: &str) -> bool {
    let folded = words.to_lowercase();
    let percentage = folded.match_indices('%').any(|(at, _)| folded[..at].ends_with(|c: char| c.is_ascii_digit()));
    percentage
        || [
            "in progress",
            "in-progress",
            "wip",
            "partial",
            "partly",
            "ongoing",
            "underway",
            "under way",
            "started",
            "halfway",
            "half done",
        ]
        .iter()
        .any(|it| folded.contains(it))
}

/// A spec-kit task id at the start of an item's words, and the title after it: `T001 [P]
/// Create`, an id inserted later with a letter (`T010a`), or written bold (`**T001** Create`,
/// `**T002 [P]** Create`, as older spec-kit generations and many hand-written files do).
fn spec_kit_id(text: &str) -> Option<(&str, String)> {
    let bold = text.starts_with("**");
    let rest = if bold { &text[2..] } else { text };
    let digits = rest.strip_prefix('T')?;
    let number = digits.len() - digits.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if number == 0 {
        return None;
    }
    let mut end = 1 + number;
    if rest[end..].starts_with(|c: char| c.is_ascii_lowercase())
        && !rest[end + 1..].starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        end += 1;
    }
    let after = &rest[end..];
    if !(after.is_empty() || after.starts_with([' ', '\t']) || (bold && after.starts_with("**"))) {
        return None;
    }
    // The bold's closing marks go wherever they close (after the id or after its tags).
    let title = match bold {
        true => after.replacen("**", "", 1),
        false => after.to_string(),
    };
    Some((&rest[..end], title.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struck_items_and_progress_words() {
        assert!(struck_through("~~only if the cache is cold~~ — not applicable"));
        assert!(struck_through("~~gone~~"));
        assert!(!struck_through("~~gone~~ but the rest stays"));
        assert!(!struck_through("keep ~~this~~ part"));
        assert!(!struck_through("~~~~"));
        let over = |text: &str| {
            let first = text.find('\n').unwrap_or(text.len());
            struck_through_over_lines(text, range(0, first))
        };
        assert!(over("~~only if the mirror is\n  down~~ — not applicable\n"));
        assert!(over("~~a long item that goes\n  on and\n  on~~\n- [ ] next"));
        assert!(!over("~~never closed\n\n~~ later~~"), "a blank line ends the item");
        assert!(!over("~~opened\n- [ ] another item~~"), "another item ends it");
        assert!(!over("~~closed~~ on its line\n  more~~"), "one line struck in part");
        assert!(!over("~~struck\n  in part~~ but the rest stays\n"));
        // A continuation line may open with inline code; a fence still ends the item.
        assert!(over("~~If the cache is cold, add the rule to\n      `MANIFEST.in`~~ — not applicable; warm.\n"));
        assert!(!over("~~opened\n```\ncode~~\n"));
        assert!(says_progress("refactor - Phases 1-4 complete (85%)"));
        assert!(says_progress("WIP: parser"));
        assert!(!says_progress("Component optimization - could use refinement"));
        assert!(!says_progress("100 % sure"));
    }

    #[test]
    fn spec_kit_ids() {
        let id = |text: &str| spec_kit_id(text).map(|(id, title)| format!("{id}|{title}"));
        assert_eq!(id("T001 [P] Create").as_deref(), Some("T001|[P] Create"));
        assert_eq!(id("T12").as_deref(), Some("T12|"));
        assert_eq!(id("T010a [US1] Inserted later").as_deref(), Some("T010a|[US1] Inserted later"));
        assert_eq!(id("**T001** Create").as_deref(), Some("T001|Create"));
        assert_eq!(id("**T002 [P]** Create").as_deref(), Some("T002|[P] Create"));
        assert_eq!(id("Tasks"), None);
        assert_eq!(id("tasks = different"), None);
        assert_eq!(id("T1abc"), None);
        assert_eq!(id("T10ab later"), None);
        assert_eq!(id("**Total** time"), None);
        let then_box = |line: &str| {
            spec_kit_id_then_box(line).map(|(id, at, state, title)| format!("{id}|{}|{state}|{title}", &line[at..]))
        };
        assert_eq!(
            then_box("1.  **T018**: [x] Create a context").as_deref(),
            Some("T018|x] Create a context|x|Create a context")
        );
        assert_eq!(then_box("- **T019:** [ ] Wire it").as_deref(), Some("T019| ] Wire it| |Wire it"));
        assert_eq!(then_box("  - T020 [X] Test").as_deref(), Some("T020|X] Test|X|Test"));
        assert_eq!(then_box("1. **T039**: Initialize Supabase (Done by user)."), None, "no box");
        assert_eq!(then_box("1. **T040**: see [x] below"), None, "words before the box");
        assert_eq!(then_box("1. **T041**: [x]done"), None);
        assert_eq!(then_box("T042: [x] not a list item"), None);
    }
}
