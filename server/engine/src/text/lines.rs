//! Where each line of a text starts and where its multi-byte characters are, to turn byte
//! offsets into editor positions and back ([`crate::text::position`], [`crate::text::offset`]).
//!
//! The same answers as the `line-index` crate (rust-analyzer's), which the tests hold it to,
//! with one thing more: an index can follow an edit ([`LineIndex::edited`]) in time
//! proportional to the lines and characters it holds, without reading the text again. A
//! keystroke in a 3 MB TODO.md otherwise builds its index anew (a quarter of the keystroke's
//! analysis, measured), because every diagnostic sent to the editor needs one.

use line_index::{TextRange, TextSize};

use super::Change;

/// A line and a column in bytes from the line's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// The lines and multi-byte characters of one text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineIndex {
    /// The offset just after each `\n`: where every line but the first starts.
    line_starts: Vec<u32>,
    /// Each character of more than one byte, in text order: its offset and its length in bytes.
    wide: Vec<(u32, u8)>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut index = LineIndex { line_starts: Vec::new(), wide: Vec::new(), len: length(text.len()) };
        scan(text.as_bytes(), 0, &mut index.line_starts, &mut index.wide);
        index
    }

    /// The index of `new_text`, which is this index's text with `change` applied.
    pub fn edited(&self, new_text: &str, change: Change) -> LineIndex {
        let Change { start, old_end, new_end } = change;
        let (start, old_end, new_end) = (length(start), length(old_end), length(new_end));
        let moved = |at: u32| (i64::from(at) + i64::from(new_end) - i64::from(old_end)) as u32;
        // A line start at `at` follows the `\n` at `at - 1`: kept up to the change's start,
        // moved after its old end, found again in between.
        let kept = self.line_starts.partition_point(|it| *it <= start);
        let after = self.line_starts.partition_point(|it| *it <= old_end);
        let mut line_starts = Vec::with_capacity(self.line_starts.len() + 8);
        line_starts.extend_from_slice(&self.line_starts[..kept]);
        let mut wide = Vec::with_capacity(self.wide.len() + 8);
        let wide_kept = self.wide.partition_point(|it| it.0 < start);
        let wide_after = self.wide.partition_point(|it| it.0 < old_end);
        wide.extend_from_slice(&self.wide[..wide_kept]);
        let replaced = new_text.as_bytes().get(start as usize..new_end as usize).unwrap_or_default();
        scan(replaced, start, &mut line_starts, &mut wide);
        line_starts.extend(self.line_starts[after..].iter().map(|it| moved(*it)));
        wide.extend(self.wide[wide_after..].iter().map(|(at, len)| (moved(*at), *len)));
        LineIndex { line_starts, wide, len: length(new_text.len()) }
    }

    /// The line and column of `offset`; `None` past the end of the text or inside a
    /// multi-byte character.
    pub fn try_line_col(&self, offset: TextSize) -> Option<LineCol> {
        let offset = u32::from(offset);
        if offset > self.len {
            return None;
        }
        let line = self.line_starts.partition_point(|it| *it <= offset);
        let start = self.start(line)?;
        let inside = self.wide.partition_point(|it| it.0 < offset).checked_sub(1).map(|at| self.wide[at]);
        if inside.is_some_and(|(at, len)| at < offset && offset < at + u32::from(len)) {
            return None;
        }
        Some(LineCol { line: line as u32, col: offset - start })
    }

    /// The line's range, its line break included; `None` past the last line.
    pub fn line(&self, line: u32) -> Option<TextRange> {
        let start = self.start(line as usize)?;
        let end = self.line_starts.get(line as usize).copied().unwrap_or(self.len);
        Some(TextRange::new(start.into(), end.into()))
    }

    /// A byte column as UTF-16 code units: each multi-byte character that ends before it
    /// counts its UTF-16 units instead of its bytes.
    pub fn to_utf16(&self, at: LineCol) -> Option<u32> {
        let mut col = at.col;
        for (start, len) in self.wide_on(at.line) {
            if start + u32::from(len) <= at.col {
                col = col.checked_sub(u32::from(len) - utf16_units(len))?;
            } else {
                break;
            }
        }
        Some(col)
    }

    /// A UTF-16 column as bytes: the inverse of [`LineIndex::to_utf16`].
    pub fn from_utf16(&self, line: u32, utf16_col: u32) -> Option<u32> {
        let mut col = utf16_col;
        for (start, len) in self.wide_on(line) {
            if col > start {
                col = col.checked_add(u32::from(len) - utf16_units(len))?;
            } else {
                break;
            }
        }
        Some(col)
    }

    fn start(&self, line: usize) -> Option<u32> {
        match line.checked_sub(1) {
            None => Some(0),
            Some(before) => self.line_starts.get(before).copied(),
        }
    }

    /// The multi-byte characters of `line`, as columns from its start and lengths.
    fn wide_on(&self, line: u32) -> impl Iterator<Item = (u32, u8)> + '_ {
        let start = self.start(line as usize).unwrap_or(self.len);
        let end = self.line_starts.get(line as usize).copied().unwrap_or(u32::MAX);
        let first = self.wide.partition_point(|it| it.0 < start);
        self.wide[first..].iter().take_while(move |it| it.0 < end).map(move |(at, len)| (at - start, *len))
    }
}

fn length(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// A character's UTF-16 code units from its UTF-8 length.
fn utf16_units(utf8_len: u8) -> u32 {
    if utf8_len == 4 { 2 } else { 1 }
}

/// Records the line starts and multi-byte characters of `bytes`, which start at `base` in the
/// text. A character is recorded by its first byte, so a stretch that starts inside one (an
/// edit's bounds are bytes) records only the characters that start in it.
fn scan(bytes: &[u8], base: u32, line_starts: &mut Vec<u32>, wide: &mut Vec<(u32, u8)>) {
    // Eight bytes at a time where they are all ASCII and hold no line break (most of a
    // tracker), one at a time elsewhere.
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let newline = ONES * u64::from(b'\n');
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            let breaks = word ^ newline;
            let has_break = breaks.wrapping_sub(ONES) & !breaks & HIGH != 0;
            if word & HIGH == 0 && !has_break {
                at += 8;
                continue;
            }
        }
        let byte = bytes[at];
        if byte == b'\n' {
            line_starts.push(base + at as u32 + 1);
        } else if byte >= 0xC0 {
            let len = match byte {
                0xF0.. => 4,
                0xE0.. => 3,
                _ => 2,
            };
            wide.push((base + at as u32, len));
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply(text: &str, at: usize, removed: usize, inserted: &str) -> (String, Change) {
        let mut start = at.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + removed).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let new = format!("{}{inserted}{}", &text[..start], &text[end..]);
        (new, Change { start, old_end: end, new_end: start + inserted.len() })
    }

    proptest! {
        /// An index that followed edits is the index of the edited text, whether the change is
        /// the edit itself or the difference found by comparing the texts (which may start or
        /// end inside a character).
        #[test]
        fn an_edited_index_is_the_index_of_the_edited_text(
            text in "(a|é|日|😀|\n|\r\n|x){0,40}",
            edits in prop::collection::vec((0usize..60, 0usize..8, "(b|è|本|🚀|\n|\r){0,5}"), 1..6),
        ) {
            let mut text = text;
            let mut index = LineIndex::new(&text);
            for (at, removed, inserted) in edits {
                let (new, change) = apply(&text, at, removed, &inserted);
                let found = Change::between(&text, &new);
                prop_assert_eq!(index.edited(&new, found), LineIndex::new(&new));
                index = index.edited(&new, change);
                prop_assert_eq!(&index, &LineIndex::new(&new));
                text = new;
            }
        }

        /// Every answer is the `line-index` crate's.
        #[test]
        fn answers_as_the_line_index_crate(text in "(a|é|日|😀|\n|\r\n|x){0,30}", line in 0u32..8, col in 0u32..14) {
            use line_index::{WideEncoding, WideLineCol};
            let (ours, theirs) = (LineIndex::new(&text), line_index::LineIndex::new(&text));
            for offset in 0..=text.len() as u32 + 1 {
                let offset = TextSize::from(offset);
                let expected = theirs.try_line_col(offset);
                prop_assert_eq!(ours.try_line_col(offset).map(|it| (it.line, it.col)), expected.map(|it| (it.line, it.col)));
                if let Some(at) = expected {
                    let wide = theirs.to_wide(WideEncoding::Utf16, at).map(|it| it.col);
                    prop_assert_eq!(ours.to_utf16(LineCol { line: at.line, col: at.col }), wide);
                }
            }
            prop_assert_eq!(ours.line(line), theirs.line(line));
            let utf8 = theirs.to_utf8(WideEncoding::Utf16, WideLineCol { line, col }).map(|it| it.col);
            prop_assert_eq!(ours.from_utf16(line, col), utf8);
        }
    }
}
