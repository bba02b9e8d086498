//! The outline of simple sections, read line by line without pulldown-cmark.
//!
//! Most of a tracker is simple markdown: headings at column 0, paragraphs, lists of checkboxes
//! and fields (flat, or with one list nested in an item, as a plan phase's `- **Tasks**:` holds
//! its indented checkboxes), fenced code. Running the full CommonMark parser over it (its first
//! pass builds a node for every inline punctuation byte, and the events walk every inline) costs
//! most of indexing. A section (from a sync point to the next ATX heading at column 0 outside a
//! fence) made only of such lines is read here, exactly as the parser would read it; anything
//! else (other indentation, deeper nesting, quotes, HTML, tables, setext underlines, link
//! reference definitions, lone carriage returns) gives up, and the caller parses that section
//! with pulldown-cmark. Equality with the parser is a tested property (on generated markdown, the
//! fixtures and every corpus file), not an assumption.

use crate::text::{TextRange, range};

use super::{Heading, ListItem, Outline, heading_content};

/// Where a simple section's headings, code blocks and list items go, in text order: the
/// outline being built, so that a section's findings are not gathered apart and copied over.
struct Section<'a> {
    headings: &'a mut Vec<Heading>,
    code: &'a mut Vec<TextRange>,
    items: &'a mut Vec<ListItem>,
}

/// An open list item: where it starts, what kind of list it belongs to, where its content
/// starts after the marker (a line indented that far is inside it) and its place among the
/// section's items (pushed when it opens, so that an item comes before the items nested in it,
/// as the parser gives them; its end is set when it closes).
#[derive(Debug, Clone, Copy)]
struct OpenItem {
    start: usize,
    marker: Marker,
    content_offset: usize,
    slot: usize,
}

impl OpenItem {
    fn open(section: &mut Section<'_>, start: usize, marker: Marker, content_offset: usize, depth: u32) -> OpenItem {
        let slot = section.items.len();
        section.items.push(ListItem { range: range(start, start), depth });
        OpenItem { start, marker, content_offset, slot }
    }

    fn close(self, section: &mut Section<'_>, end: usize) {
        section.items[self.slot].range = range(self.start, end);
    }
}

/// The open items: a top-level one, and one of a list nested directly in it (a phase's
/// `- **Tasks**:` and its indented checkboxes).
#[derive(Debug, Default)]
struct OpenItems {
    top: Option<OpenItem>,
    nested: Option<OpenItem>,
}

impl OpenItems {
    /// Closes every open item at `end`.
    fn close(&mut self, section: &mut Section<'_>, end: usize) {
        if let Some(nested) = self.nested.take() {
            nested.close(section, end);
        }
        if let Some(top) = self.top.take() {
            top.close(section, end);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Bullet(u8),
    /// The delimiter, `.` or `)`.
    Ordered(u8),
}

/// What the line before the current one was, as far as the next line's meaning depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// The start of the section, a blank line, a heading, a fence's end or a thematic break.
    Break,
    /// Paragraph text (at the top level or in a list item).
    Text,
}

/// Reads `text[start..end]` as the parser would read that slice on its own, up to the first ATX
/// heading at column 0 after its first line (outside code), or `end`, adding what it finds to
/// `outline`. Returns where the section ends, or `None` when the section holds anything this
/// reader does not know exactly (then `outline` is as it was).
pub(super) fn read_into(text: &str, start: usize, end: usize, outline: &mut Outline) -> Option<usize> {
    let lengths = (outline.headings.len(), outline.code.len(), outline.items.len());
    let section = Section { headings: &mut outline.headings, code: &mut outline.code, items: &mut outline.items };
    let read = read_section(text, start, end, section);
    if read.is_none() {
        outline.headings.truncate(lengths.0);
        outline.code.truncate(lengths.1);
        outline.items.truncate(lengths.2);
    }
    read
}

/// [`read_into`] of an outline of its own.
#[cfg(test)]
pub(super) fn read(text: &str, start: usize, end: usize) -> Option<(Outline, usize)> {
    let mut outline = Outline::default();
    read_into(text, start, end, &mut outline).map(|end| (outline, end))
}

fn read_section(text: &str, start: usize, end: usize, mut section: Section<'_>) -> Option<usize> {
    let bytes = &text.as_bytes()[..end];
    let mut items = OpenItems::default();
    let mut previous = Previous::Break;
    // An open fence: where it starts, its character and its length.
    let mut fence: Option<(usize, u8, usize)> = None;
    let mut line_start = start;
    while line_start < end {
        // A pipe may make a table row (and a carriage return a line break of its own): one
        // search finds the line's end or either of them.
        let (line_end, content) = match memchr::memchr3(b'\n', b'|', b'\r', &bytes[line_start..]) {
            Some(at) if bytes[line_start + at] == b'\n' => (line_start + at + 1, &bytes[line_start..line_start + at]),
            Some(_) if fence.is_none() => return None,
            Some(_) => {
                let line_end = memchr::memchr(b'\n', &bytes[line_start..]).map_or(end, |it| line_start + it + 1);
                let content = &bytes[line_start..line_end];
                if content.contains(&b'\r') {
                    return None;
                }
                (line_end, content.strip_suffix(b"\n").unwrap_or(content))
            }
            None => (end, &bytes[line_start..end]),
        };
        if let Some((fence_start, character, length)) = fence {
            if closes_fence(content, character, length) {
                section.code.push(range(fence_start, line_start + content.len()));
                fence = None;
                previous = Previous::Break;
            }
            line_start = line_end;
            continue;
        }
        if is_blank(content) {
            previous = Previous::Break;
            line_start = line_end;
            continue;
        }
        if matches!(content[0], b' ' | b'\t') {
            // Only an item of a list nested in the open item, its marker exactly where the open
            // item's content starts; any other indented line is left to the parser.
            let top = items.top?;
            let inner = content.get(top.content_offset..)?;
            if !content[..top.content_offset].iter().all(|it| *it == b' ') || is_thematic_break(inner) {
                return None;
            }
            let (marker, rest, number) = list_marker(inner)?;
            let offset = top.content_offset + item_opening(inner, (marker, rest, number), items.nested, previous)?;
            if let Some(nested) = items.nested.take() {
                nested.close(&mut section, line_start);
            }
            items.nested = Some(OpenItem::open(&mut section, line_start + top.content_offset, marker, offset, 1));
            previous = Previous::Text;
            line_start = line_end;
            continue;
        }
        if content[0] == b'#' && is_atx_heading(content) {
            if line_start > start {
                items.close(&mut section, line_start);
                return Some(line_start);
            }
            let line_range = range(line_start, line_start + content.len());
            let level = content.iter().take_while(|it| **it == b'#').count() as u8;
            section.headings.push(Heading { level, line: line_range, content: heading_content(text, line_range) });
            previous = Previous::Break;
        } else if let Some((character, length)) = opens_fence(content) {
            items.close(&mut section, line_start);
            fence = Some((line_start, character, length));
        } else if is_thematic_break(content) || (previous == Previous::Text && is_setext_underline(content)) {
            // Under paragraph text, `---` makes a setext heading; `--` under an item's text is
            // neither a break nor an underline. Both are left to the parser.
            if previous == Previous::Text && is_setext_underline(content) {
                return None;
            }
            // A break closes the list: the item takes the blank lines before it.
            items.close(&mut section, line_start);
            previous = Previous::Break;
        } else if let Some((marker, rest, number)) = list_marker(content) {
            let offset = item_opening(content, (marker, rest, number), items.top, previous)?;
            items.close(&mut section, line_start);
            items.top = Some(OpenItem::open(&mut section, line_start, marker, offset, 0));
            previous = Previous::Text;
        } else {
            if starts_block(content) {
                return None;
            }
            match (items.top, previous) {
                // A lazy continuation line of the open paragraph (the nested item's, if any).
                (Some(_), Previous::Text) => {}
                (Some(_), Previous::Break) => items.close(&mut section, line_start),
                (None, _) => {}
            }
            previous = Previous::Text;
        }
        line_start = line_end;
    }
    if let Some((fence_start, _, _)) = fence {
        section.code.push(range(fence_start, end));
    }
    items.close(&mut section, end);
    Some(end)
}

/// Where the content of the item that `line` opens starts in it (after the marker and the
/// spaces), `marker` being what [`list_marker`] read of it and `open` the open item of the
/// same depth. `None` (left to the parser) for an empty item or one of indented code, one whose
/// content starts another block, and an ordered list starting at another number than 1 where
/// it would interrupt a paragraph (the line is then paragraph text, unless it continues an
/// ordered list).
fn item_opening(
    line: &[u8],
    (marker, rest, number): (Marker, &[u8], Option<u64>),
    open: Option<OpenItem>,
    previous: Previous,
) -> Option<usize> {
    let content_start = item_content(rest)?;
    let continues = open.is_some_and(|open| open.marker == marker);
    if previous == Previous::Text && number.is_some_and(|it| it != 1) && !continues {
        return None;
    }
    if starts_block(content_start) {
        return None;
    }
    Some(line.len() - content_start.len())
}

/// One to six `#`s at column 0, then whitespace or the end of the line.
fn is_atx_heading(content: &[u8]) -> bool {
    let hashes = content.iter().take_while(|it| **it == b'#').count();
    (1..=6).contains(&hashes) && matches!(content.get(hashes), None | Some(b' ' | b'\t'))
}

fn is_blank(content: &[u8]) -> bool {
    content.iter().all(|it| matches!(it, b' ' | b'\t'))
}

/// A line that is a block of its own or changes how the lines around it read, at the start of a
/// paragraph line or of a list item's content: all of these are left to the parser. Also a line
/// starting a link reference definition, which can take the lines after it. (Lines holding `|`
/// never get here.)
fn starts_block(content: &[u8]) -> bool {
    match content.first() {
        None => false,
        Some(b'>' | b'<' | b' ' | b'\t') => true,
        Some(b'#') if is_atx_heading(content) => true,
        Some(b'`' | b'~') if opens_fence(content).is_some() => true,
        Some(b'[') if memchr::memmem::find(content, b"]:").is_some() => true,
        Some(b'=') if is_setext_underline(content) => true,
        _ => list_marker(content).is_some() || is_thematic_break(content),
    }
}

/// `#{1,6}` is checked by the caller; this is a fence opening: three or more backticks (with no
/// backtick in the info string) or tildes.
fn opens_fence(content: &[u8]) -> Option<(u8, usize)> {
    let character = *content.first()?;
    if !matches!(character, b'`' | b'~') {
        return None;
    }
    let length = content.iter().take_while(|it| **it == character).count();
    if length < 3 {
        return None;
    }
    if character == b'`' && content[length..].contains(&b'`') {
        return None;
    }
    Some((character, length))
}

/// A closing fence for one opened with `length` `character`s: up to three spaces, at least as
/// many of the character, then only spaces or tabs.
fn closes_fence(content: &[u8], character: u8, length: usize) -> bool {
    let indent = content.iter().take_while(|it| **it == b' ').count();
    if indent > 3 {
        return false;
    }
    let rest = &content[indent..];
    let run = rest.iter().take_while(|it| **it == character).count();
    run >= length && is_blank(&rest[run..])
}

/// Three or more of one of `-`, `*`, `_`, with spaces or tabs between and nothing else.
fn is_thematic_break(content: &[u8]) -> bool {
    let Some(&character) = content.iter().find(|it| !matches!(it, b' ' | b'\t')) else { return false };
    if !matches!(character, b'-' | b'*' | b'_') {
        return false;
    }
    let mut count = 0;
    for byte in content {
        match *byte {
            b' ' | b'\t' => {}
            it if it == character => count += 1,
            _ => return false,
        }
    }
    count >= 3
}

/// A line of `=`s or `-`s (trailing spaces allowed): under paragraph text, a setext heading's
/// underline.
fn is_setext_underline(content: &[u8]) -> bool {
    let Some(&character) = content.first() else { return false };
    if !matches!(character, b'=' | b'-') {
        return false;
    }
    let run = content.iter().take_while(|it| **it == character).count();
    is_blank(&content[run..])
}

/// A list marker at the start of `content`: `-`, `*`, `+` or one to nine digits and `.` or `)`,
/// then a space, a tab or the end of the line. Returns the marker with what follows it, and the
/// number of an ordered item.
fn list_marker(content: &[u8]) -> Option<(Marker, &[u8], Option<u64>)> {
    let (marker, width, number) = match content.first()? {
        character @ (b'-' | b'*' | b'+') => (Marker::Bullet(*character), 1, None),
        b'0'..=b'9' => {
            let digits = content.iter().take_while(|it| it.is_ascii_digit()).count();
            let delimiter = *content.get(digits)?;
            if digits > 9 || !matches!(delimiter, b'.' | b')') {
                return None;
            }
            let number = std::str::from_utf8(&content[..digits]).ok()?.parse().ok()?;
            (Marker::Ordered(delimiter), digits + 1, Some(number))
        }
        _ => return None,
    };
    let rest = &content[width..];
    matches!(rest.first(), None | Some(b' ' | b'\t')).then_some((marker, rest, number))
}

/// The item's content after its marker: one to four spaces and then text. An empty item, a tab
/// or five spaces (indented code in the item) are left to the parser.
fn item_content(rest: &[u8]) -> Option<&[u8]> {
    let spaces = rest.iter().take_while(|it| **it == b' ').count();
    let content = &rest[spaces..];
    if !(1..=4).contains(&spaces) || content.is_empty() || matches!(content[0], b'\t') {
        return None;
    }
    Some(content)
}
