//! Byte ranges, line indexes and the conversion to editor positions.
//!
//! The engine speaks byte offsets everywhere; editors speak `(line, character)` in UTF-16 or
//! UTF-8 code units. The conversion lives here so every adapter does it the same way, and it
//! clamps rather than panics: an out-of-range position from a client is a fact of life.

use line_index::{LineCol, WideEncoding, WideLineCol};
pub use line_index::{LineIndex, TextRange, TextSize};

/// How a client counts the `character` of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
}

/// A zero-based `(line, character)` position in a client's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

/// A start/end pair of positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PositionRange {
    pub start: Position,
    pub end: Position,
}

/// Builds a `TextRange` from `usize` offsets. Callers pass offsets they got from slicing
/// the same text, which the adapter has already limited to well under 4 GiB.
pub fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(size(start), size(end.max(start)))
}

pub fn size(offset: usize) -> TextSize {
    TextSize::from(u32::try_from(offset).unwrap_or(u32::MAX))
}

/// Converts a byte offset to a position. Offsets past the end are clamped to the end, and an
/// offset inside a multi-byte character is moved back to that character's start.
pub fn position(text: &str, index: &LineIndex, offset: TextSize, encoding: PositionEncoding) -> Position {
    let mut offset = usize::from(offset).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_col = index.try_line_col(size(offset)).unwrap_or(LineCol { line: 0, col: 0 });
    match encoding {
        PositionEncoding::Utf8 => Position { line: line_col.line, character: line_col.col },
        PositionEncoding::Utf16 => {
            let wide = index
                .to_wide(WideEncoding::Utf16, line_col)
                .unwrap_or(WideLineCol { line: line_col.line, col: line_col.col });
            Position { line: wide.line, character: wide.col }
        }
    }
}

pub fn position_range(text: &str, index: &LineIndex, range: TextRange, encoding: PositionEncoding) -> PositionRange {
    PositionRange {
        start: position(text, index, range.start(), encoding),
        end: position(text, index, range.end(), encoding),
    }
}

/// Converts a client position to a byte offset. A line past the end maps to the end of the
/// text; a character past the end of its line maps to the end of that line (before its line
/// break), as LSP asks.
pub fn offset(text: &str, index: &LineIndex, position: Position, encoding: PositionEncoding) -> TextSize {
    let Some(line_range) = index.line(position.line) else {
        return size(text.len());
    };
    let line_text = &text[line_range];
    let content_len = line_text.trim_end_matches(['\n', '\r']).len();
    let col = match encoding {
        PositionEncoding::Utf8 => position.character,
        PositionEncoding::Utf16 => index
            .to_utf8(WideEncoding::Utf16, WideLineCol { line: position.line, col: position.character })
            .map(|it| it.col)
            .unwrap_or(u32::MAX),
    };
    let mut col = (col as usize).min(content_len);
    while !line_text.is_char_boundary(col) {
        col -= 1;
    }
    line_range.start() + size(col)
}

/// The range of the line that contains `offset`, without its line break.
pub fn line_range_at(text: &str, offset: usize) -> TextRange {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |it| it + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |it| offset + it);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' { end - 1 } else { end };
    range(start, end)
}

/// One-based line number of `offset`, for human output.
pub fn line_number(index: &LineIndex, offset: TextSize) -> u32 {
    index.try_line_col(offset).map_or(1, |it| it.line + 1)
}

/// Iterates over lines as `(start_offset, line_without_break)`; a final line without a line
/// break is included, CRLF is handled.
pub fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let rest = &text[start..];
        let (line, advance) = match rest.find('\n') {
            Some(newline) => (&rest[..newline], newline + 1),
            None => (rest, rest.len()),
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        let item = (start, line);
        start += advance;
        Some(item)
    })
}

/// Applies non-overlapping edits to `text`. Edits may come in any order.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|it| (it.range.start(), it.range.end()));
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0usize;
    for edit in sorted {
        let start = usize::from(edit.range.start()).clamp(cursor, text.len());
        let end = usize::from(edit.range.end()).clamp(start, text.len());
        out.push_str(&text[cursor..start]);
        out.push_str(&edit.new_text);
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// A replacement of one byte range with new text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

impl TextEdit {
    pub fn replace(range: TextRange, new_text: impl Into<String>) -> TextEdit {
        TextEdit { range, new_text: new_text.into() }
    }

    pub fn insert(at: TextSize, new_text: impl Into<String>) -> TextEdit {
        TextEdit { range: TextRange::empty(at), new_text: new_text.into() }
    }
}

/// The line break a file uses, so inserted lines match it.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(it) if it > 0 && text.as_bytes()[it - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_through_utf16() {
        let text = "# Tâsk 🚀\n- **Status**: [DONE]\n";
        let index = LineIndex::new(text);
        let marker = text.find("[DONE]").unwrap();
        let pos = position(text, &index, size(marker), PositionEncoding::Utf16);
        assert_eq!(pos, Position { line: 1, character: 14 });
        assert_eq!(offset(text, &index, pos, PositionEncoding::Utf16), size(marker));
        let rocket = text.find('🚀').unwrap();
        let pos = position(text, &index, size(rocket + 4), PositionEncoding::Utf16);
        assert_eq!(pos, Position { line: 0, character: 9 });
        let pos8 = position(text, &index, size(rocket + 4), PositionEncoding::Utf8);
        assert_eq!(pos8, Position { line: 0, character: 12 });
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(offset(text, &index, Position { line: 0, character: 99 }, PositionEncoding::Utf16), size(2));
        assert_eq!(offset(text, &index, Position { line: 9, character: 0 }, PositionEncoding::Utf16), size(6));
        assert_eq!(position(text, &index, size(99), PositionEncoding::Utf16), Position { line: 1, character: 2 });
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(position(text, &index, size(1), PositionEncoding::Utf8), Position { line: 0, character: 0 });
    }

    #[test]
    fn lines_and_edits_keep_crlf() {
        let text = "a\r\nbb\nc";
        let lines: Vec<_> = lines_with_offsets(text).collect();
        assert_eq!(lines, vec![(0, "a"), (3, "bb"), (6, "c")]);
        assert_eq!(line_ending(text), "\r\n");
        let edited = apply_edits(text, &[TextEdit::replace(range(3, 5), "X"), TextEdit::insert(size(0), ">")]);
        assert_eq!(edited, ">a\r\nX\nc");
        assert_eq!(line_range_at(text, 1), range(0, 1));
    }
}
