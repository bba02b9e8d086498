//! Byte ranges, line indexes and the conversion to editor positions.
//!
//! The engine speaks byte offsets everywhere; editors speak `(line, character)` in UTF-16 or
//! UTF-8 code units. The conversion lives here so every adapter does it the same way, and it
//! clamps rather than panics: an out-of-range position from a client is a fact of life.

mod lines;

pub use line_index::{TextRange, TextSize};
use lines::LineCol;
pub use lines::LineIndex;

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
            Position { line: line_col.line, character: index.to_utf16(line_col).unwrap_or(line_col.col) }
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
        PositionEncoding::Utf16 => index.from_utf16(position.line, position.character).unwrap_or(u32::MAX),
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
    let bytes = text.as_bytes();
    let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |it| it + 1);
    let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(text.len(), |it| offset + it);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' { end - 1 } else { end };
    range(start, end)
}

/// The line (one-based, counting either as a break) of the first carriage return not followed by
/// a line feed: a line break to the markdown parser, but not to taskmark's line scanners.
pub fn lone_carriage_return(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\r', bytes)?;
    let mut line = 1;
    for (at, byte) in bytes.iter().enumerate() {
        match byte {
            b'\n' => line += 1,
            b'\r' if bytes.get(at + 1) != Some(&b'\n') => return Some(line),
            _ => {}
        }
    }
    None
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
        let (line, advance) = match memchr::memchr(b'\n', rest.as_bytes()) {
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

/// How far each offset of a text moved when some of its regions were replaced: the sum of the
/// growth of every replaced region that ends at or before it. An offset inside a replaced region
/// has no true counterpart; it gets the growth of the regions before it, and whatever it
/// belonged to compares as changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// The end of each replaced region in the old text, in order, and the growth of the text
    /// up to and including it.
    ends: Vec<(usize, i64)>,
    /// Where each region starts in the old text.
    starts: Vec<usize>,
}

impl Shift {
    /// The shift of `edits` (planned against one text, apart from one another).
    pub fn of_edits(edits: &[TextEdit]) -> Shift {
        let mut regions: Vec<(usize, usize, usize)> = edits
            .iter()
            .map(|it| (usize::from(it.range.start()), usize::from(it.range.end()), it.new_text.len()))
            .collect();
        regions.sort_unstable();
        Shift::of_regions(regions)
    }

    /// The shift of one replaced region.
    pub fn of_change(change: &Change) -> Shift {
        Shift::of_regions(vec![(change.start, change.old_end, change.new_end - change.start)])
    }

    fn of_regions(regions: Vec<(usize, usize, usize)>) -> Shift {
        let mut growth = 0i64;
        let starts = regions.iter().map(|it| it.0).collect();
        let ends = regions
            .into_iter()
            .map(|(start, old_end, new_len)| {
                growth += new_len as i64 - (old_end - start) as i64;
                (old_end, growth)
            })
            .collect();
        Shift { ends, starts }
    }

    /// The replaced regions, as ranges of the old text, in order.
    pub fn regions(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.starts.iter().zip(&self.ends).map(|(start, (end, _))| *start..*end)
    }

    /// The one replaced region as a [`Change`], when there is exactly one.
    pub fn as_change(&self) -> Option<Change> {
        match (self.starts.as_slice(), self.ends.as_slice()) {
            ([start], [(end, growth)]) => {
                Some(Change { start: *start, old_end: *end, new_end: (*end as i64 + growth) as usize })
            }
            _ => None,
        }
    }

    /// How far the text at `offset` (in the old text) moved.
    pub fn at(&self, offset: TextSize) -> i64 {
        let offset = usize::from(offset);
        let before = self.ends.partition_point(|(end, _)| *end <= offset);
        before.checked_sub(1).map_or(0, |last| self.ends[last].1)
    }
}

/// The stretches of lines a rewrite of `old` into `new` changed, as edits of `old`, when
/// `change` (their one region from the first difference to the last) holds several apart: a
/// status change edits a TODO.md section and its Task Order line, hundreds of lines apart. One
/// edit (the region) when the lines do not tell them apart.
pub fn line_edits(old: &str, new: &str, change: Change) -> Vec<TextEdit> {
    // Whole lines around the region, so that lines compare as lines.
    let start = old[..change.start].rfind('\n').map_or(0, |it| it + 1);
    let old_end = old[change.old_end..].find('\n').map_or(old.len(), |it| change.old_end + it + 1);
    let new_end = (old_end as i64 + change.new_end as i64 - change.old_end as i64) as usize;
    let whole = || vec![TextEdit::replace(range(start, old_end), &new[start..new_end])];
    if !new.is_char_boundary(new_end) || new_end < start || new_end > new.len() {
        return whole();
    }
    let old_lines: Vec<&str> = old[start..old_end].split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new[start..new_end].split_inclusive('\n').collect();
    let offsets = |lines: &[&str]| -> Vec<usize> {
        let mut at = start;
        let mut out = Vec::with_capacity(lines.len() + 1);
        out.push(at);
        for line in lines {
            at += line.len();
            out.push(at);
        }
        out
    };
    let (old_at, new_at) = (offsets(&old_lines), offsets(&new_lines));
    // The changed stretches in line numbers, old and new; touching or overlapping ones are one
    // (edits of one text must be apart), whatever order the diff gives them in.
    let mut stretches = nearby_stretches(&old_lines, &new_lines).unwrap_or_else(|| {
        similar::capture_diff_slices(similar::Algorithm::Patience, &old_lines, &new_lines)
            .into_iter()
            .map(|op| op.as_tag_tuple())
            .filter(|(tag, _, _)| *tag != similar::DiffTag::Equal)
            .map(|(_, old, new)| (old.start, old.end, new.start, new.end))
            .collect()
    });
    stretches.sort_unstable();
    let mut merged: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(stretches.len());
    for stretch in stretches {
        match merged.last_mut() {
            Some(last) if stretch.0 <= last.1 => {
                last.1 = last.1.max(stretch.1);
                last.2 = last.2.min(stretch.2);
                last.3 = last.3.max(stretch.3);
            }
            _ => merged.push(stretch),
        }
    }
    let edits: Vec<TextEdit> = merged
        .into_iter()
        .map(|(old_start, old_end, new_start, new_end)| {
            TextEdit::replace(range(old_at[old_start], old_at[old_end]), &new[new_at[new_start]..new_at[new_end]])
        })
        .collect();
    // A diff is only as good as its rebuild: anything else is the one region.
    if edits.is_empty() || apply_edits(old, &edits) != new {
        return whole();
    }
    edits
}

/// The changed stretches of lines (old start and end, new start and end) when every change is
/// small and the lines after it agree again within a few lines, found by walking both sides
/// once: what a status change does, and cheaper than a diff that hashes every line of a
/// thousand-line region. `None` when a change is larger (the caller diffs).
fn nearby_stretches(old: &[&str], new: &[&str]) -> Option<Vec<(usize, usize, usize, usize)>> {
    /// How many lines a side may skip before the two agree again.
    const WINDOW: usize = 8;
    // Two lines in a row agree (or one agrees and both sides end there): an anchor, not a blank
    // line by chance. Both sides ending is one too (a changed last line).
    let anchored = |a: usize, b: usize| {
        old.get(a).is_some_and(|line| new.get(b) == Some(line))
            && (old.get(a + 1).zip(new.get(b + 1)).is_some_and(|(x, y)| x == y)
                || (a + 1 == old.len() && b + 1 == new.len()))
    };
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            (i, j) = (i + 1, j + 1);
            continue;
        }
        if i == old.len() || j == new.len() {
            out.push((i, old.len(), j, new.len()));
            break;
        }
        let skip = (1..=2 * WINDOW)
            .flat_map(|distance| (0..=distance.min(WINDOW)).map(move |a| (a, distance - a)))
            .find(|(a, b)| *b <= WINDOW && (anchored(i + a, j + b) || (i + a == old.len() && j + b == new.len())))?;
        out.push((i, i + skip.0, j, j + skip.1));
        (i, j) = (i + skip.0, j + skip.1);
    }
    Some(out)
}

/// How a text changed, as one replaced region: `old[start..old_end]` became
/// `new[start..new_end]`, everything before `start` and after the ends is the same. Found by
/// comparing the texts (common prefix and suffix), so it needs no help from the editor; the
/// offsets fall on character boundaries of both texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Change {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

/// Compared a block at a time first: slice equality is a `memcmp`, many times faster than
/// comparing byte by byte over a megabyte.
const BLOCK: usize = 256;

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let length = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= length && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..length].iter().zip(&b[at..length]).take_while(|(x, y)| x == y).count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let length = a.len().min(b.len());
    let (a, b) = (&a[a.len() - length..], &b[b.len() - length..]);
    let mut matched = 0;
    while matched + BLOCK <= length
        && a[length - matched - BLOCK..length - matched] == b[length - matched - BLOCK..length - matched]
    {
        matched += BLOCK;
    }
    matched
        + a[..length - matched].iter().rev().zip(b[..length - matched].iter().rev()).take_while(|(x, y)| x == y).count()
}

impl Change {
    pub fn between(old: &str, new: &str) -> Change {
        let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
        let mut start = common_prefix(old_bytes, new_bytes);
        // The prefix is common, so a boundary in one text is a boundary in the other.
        while !old.is_char_boundary(start) {
            start -= 1;
        }
        let room = old.len().min(new.len()) - start;
        let mut suffix = common_suffix(&old_bytes[old.len() - room..], &new_bytes[new.len() - room..]);
        while !old.is_char_boundary(old.len() - suffix) {
            suffix -= 1;
        }
        Change { start, old_end: old.len() - suffix, new_end: new.len() - suffix }
    }

    /// This change followed by `next` (a change of the text this one made), as one change of
    /// the text before both: the region either replaced, and whatever lies between them.
    pub fn then(self, next: Change) -> Change {
        // Where the replaced region ends in the text between the two changes.
        let end = self.new_end.max(next.old_end);
        Change {
            start: self.start.min(next.start),
            old_end: self.old_end + (end - self.new_end),
            new_end: end + next.new_end - next.old_end,
        }
    }

    /// Whether the texts are the same.
    pub fn is_empty(&self) -> bool {
        self.old_end == self.start && self.new_end == self.start
    }

    /// Bytes added (negative: removed).
    pub fn delta(&self) -> i64 {
        self.new_end as i64 - self.old_end as i64
    }

    /// Where an offset of the old text at or after `old_end` is in the new text.
    pub fn shift(&self, offset: TextSize) -> TextSize {
        let offset = usize::from(offset);
        size(if offset >= self.old_end { offset - self.old_end + self.new_end } else { offset })
    }

    /// A range of the old text that lies wholly before or after the changed region, moved to
    /// where it is in the new text; `None` for a range that overlaps or touches the region.
    pub fn shift_range(&self, range: TextRange) -> Option<TextRange> {
        let (start, end) = (usize::from(range.start()), usize::from(range.end()));
        if end < self.start || (end == self.start && start < end) {
            Some(range)
        } else if start > self.old_end || (start == self.old_end && self.old_end > self.start) {
            Some(TextRange::new(self.shift(range.start()), self.shift(range.end())))
        } else {
            None
        }
    }
}

/// Whether `needle` (ASCII) occurs in `haystack`, ignoring ASCII case, without a lower-case copy.
/// Asked of every long box under a parent (is it set aside?): the first byte is looked for in
/// either case with `memchr`, and only there is the rest compared.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else { return true };
    let mut from = 0;
    while let Some(at) = memchr::memchr2(first.to_ascii_lowercase(), first.to_ascii_uppercase(), &hay[from..]) {
        let start = from + at + 1;
        if hay.get(start..start + rest.len()).is_some_and(|it| it.eq_ignore_ascii_case(rest)) {
            return true;
        }
        from = start;
    }
    false
}

/// Whether `bytes` start with a `YYYY-MM-DD` date.
pub fn starts_with_date(bytes: &[u8]) -> bool {
    bytes.len() >= 10
        && bytes[..10]
            .iter()
            .enumerate()
            .all(|(at, it)| if at == 4 || at == 7 { *it == b'-' } else { it.is_ascii_digit() })
}

/// The line break a file uses, so inserted lines match it.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(it) if it > 0 && text.as_bytes()[it - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The line break a text ends with (`\r\n` or `\n`), if any.
fn final_line_break(text: &str) -> Option<&'static str> {
    if text.ends_with("\r\n") {
        Some("\r\n")
    } else if text.ends_with('\n') {
        Some("\n")
    } else {
        None
    }
}

/// Whether an editor's buffer holds `expected`, as its file would be written: the same text,
/// or one final line break more or less. Editors keep whether the last line ends with a line
/// break apart from the lines (Neovim's 'eol', and 'fixeol', which adds it on write), so the
/// text they report can gain or lose that one line break and mean the same file.
pub fn same_but_final_line_break(held: &str, expected: &str) -> bool {
    let (shorter, longer) = if held.len() <= expected.len() { (held, expected) } else { (expected, held) };
    match longer.strip_prefix(shorter) {
        Some(rest) => rest.is_empty() || final_line_break(longer) == Some(rest),
        None => false,
    }
}

/// `edits` of `text` with each insertion after its final line break moved before that line
/// break (`X\n` inserted at the end becomes `\nX` inserted before the last `\n`), and an empty
/// one there dropped: the same result, with no edit on the line after the last. An editor that
/// takes an insertion there as whole lines (Neovim does) would otherwise end the text with one
/// blank line more. Left as they are when another edit reaches into the final line break or an
/// insertion there does not end with one.
pub fn insertions_before_final_line_break(text: &str, mut edits: Vec<TextEdit>) -> Vec<TextEdit> {
    let Some(line_break) = final_line_break(text) else { return edits };
    let before_it = text.len() - line_break.len();
    edits.retain(|edit| usize::from(edit.range.start()) < text.len() || !edit.new_text.is_empty());
    let at_end = |edit: &TextEdit| usize::from(edit.range.start()) >= text.len();
    let movable = edits.iter().all(|edit| match at_end(edit) {
        true => edit.new_text.ends_with(line_break),
        false => usize::from(edit.range.end()) <= before_it,
    });
    if !movable {
        return edits;
    }
    for edit in edits.iter_mut().filter(|it| at_end(it)) {
        let kept = &edit.new_text[..edit.new_text.len() - line_break.len()];
        *edit = TextEdit::insert(size(before_it), format!("{line_break}{kept}"));
    }
    edits
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Found as a lower-cased copy would find it, at the start, the end, after a false start,
    /// in non-ASCII text, and never past the end.
    #[test]
    fn contains_ignore_case_finds_what_a_lower_case_copy_finds() {
        let naive = |hay: &str, needle: &str| hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase());
        let hays =
            ["", "d", "Deferred: dark mode", "a (DEFERRED to 3)", "ddefer", "Übersicht — deFer", "optiona", "OPTIONAL"];
        for hay in hays {
            for needle in ["defer", "optional", "d", "progress"] {
                assert_eq!(contains_ignore_case(hay, needle), naive(hay, needle), "{hay:?} {needle:?}");
            }
        }
        assert!(contains_ignore_case("anything", ""));
    }

    proptest! {
        /// The stretches a rewrite changed, applied to the old text, give the new one, and
        /// they are apart (edits of one text never touch).
        #[test]
        fn line_edits_rebuild_the_new_text(
            old in prop::collection::vec("[ab]{0,3}(\n|\r\n)?", 0..30),
            new in prop::collection::vec("[ab]{0,3}(\n|\r\n)?", 0..30),
        ) {
            let (old, new) = (old.concat(), new.concat());
            let edits = line_edits(&old, &new, Change::between(&old, &new));
            prop_assert_eq!(apply_edits(&old, &edits), new);
            for pair in edits.windows(2) {
                prop_assert!(pair[0].range.end() < pair[1].range.start(), "{:?}", edits);
            }
        }
    }

    proptest! {
        /// Edits one after another, taken as one change, leave the text before the change's
        /// start and after its ends as it was.
        #[test]
        fn changes_one_after_another_are_one_change_that_covers_them(
            text in "[ab\n]{0,30}",
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, "[abc\n]{0,3}"), 1..5),
        ) {
            let mut edited = text.clone();
            let mut covering: Option<Change> = None;
            for (at, remove, insert) in &edits {
                let start = at.index(edited.len() + 1);
                let end = (start + remove).min(edited.len());
                edited.replace_range(start..end, insert);
                let change = Change { start, old_end: end, new_end: start + insert.len() };
                covering = Some(covering.map_or(change, |it| it.then(change)));
            }
            let Some(covering) = covering else { return Ok(()) };
            prop_assert_eq!(&text[..covering.start], &edited[..covering.start]);
            prop_assert_eq!(&text[covering.old_end..], &edited[covering.new_end..]);
            prop_assert_eq!(covering.old_end as i64 - text.len() as i64, covering.new_end as i64 - edited.len() as i64);
        }
    }

    proptest! {
        /// The walk that finds nearby stretches, when it answers, answers right: the old lines
        /// with its stretches replaced are the new lines.
        #[test]
        fn nearby_stretches_rebuild_the_new_lines(
            old in prop::collection::vec("[abc]{0,2}", 0..40),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..3, prop::collection::vec("[abcd]{0,2}", 0..3)), 0..4),
        ) {
            let mut new = old.clone();
            for (at, remove, insert) in &edits {
                let at = at.index(new.len() + 1);
                let end = (at + remove).min(new.len());
                new.splice(at..end, insert.iter().cloned());
            }
            let (old, new): (Vec<&str>, Vec<&str>) =
                (old.iter().map(String::as_str).collect(), new.iter().map(String::as_str).collect());
            if let Some(stretches) = nearby_stretches(&old, &new) {
                let mut rebuilt: Vec<&str> = Vec::new();
                let mut at = 0;
                for (old_start, old_end, new_start, new_end) in stretches {
                    prop_assert!(old_start >= at);
                    rebuilt.extend(&old[at..old_start]);
                    rebuilt.extend(&new[new_start..new_end]);
                    at = old_end;
                }
                rebuilt.extend(&old[at..]);
                prop_assert_eq!(rebuilt, new);
            }
        }
    }

    #[test]
    fn line_edits_find_the_stretches_of_a_status_change() {
        let body: String = (0..200).map(|it| format!("line {it}\n")).collect();
        let old = format!("- **Status**: [PLANNED]\n{body}- **1** [PLANNED] — title\n");
        let new =
            format!("- **Status**: [IMPLEMENTING]\n- **Started**: 2026-11-25\n{body}- **1** [IMPLEMENTING] — title\n");
        let edits = line_edits(&old, &new, Change::between(&old, &new));
        assert_eq!(edits.len(), 2, "{edits:?}");
        assert_eq!(apply_edits(&old, &edits), new);
        assert!(edits.iter().all(|it| it.range.len() < size(40)), "{edits:?}");
    }

    #[test]
    fn a_shift_moves_each_offset_by_the_regions_replaced_before_it() {
        let text = "aaaa bbbb cccc dddd";
        let edits = [
            TextEdit::replace(TextRange::new(size(15), size(19)), "D"),
            TextEdit::replace(TextRange::new(size(0), size(4)), "AAAAAA"),
            TextEdit::insert(size(10), "++"),
        ];
        let after = apply_edits(text, &edits);
        assert_eq!(after, "AAAAAA bbbb ++cccc D");
        let shift = Shift::of_edits(&edits);
        for (word, old) in [("bbbb", 5), ("cccc", 10)] {
            let moved = (old as i64 + shift.at(size(old))) as usize;
            assert_eq!(&after[moved..moved + 4], word, "{word}");
        }
        assert_eq!(shift.at(size(0)), 0);
        assert_eq!(shift.at(size(19)), 2 + 2 - 3);
        let one = Shift::of_change(&Change::between(text, &after));
        assert_eq!(one.at(size(0)), 0);
        assert_eq!(one.at(size(19)), 1);
        // One region reads back as the change it came from; several are no one change.
        assert_eq!(one.as_change(), Some(Change::between(text, &after)));
        assert_eq!(shift.as_change(), None);
        let single = Shift::of_edits(&edits[..1]);
        assert_eq!(single.as_change(), Some(Change { start: 15, old_end: 19, new_end: 16 }));
    }

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

    #[test]
    fn changes_are_the_region_between_common_prefix_and_suffix() {
        let change = Change::between("abcdef", "abXYdef");
        assert_eq!(change, Change { start: 2, old_end: 3, new_end: 4 });
        assert_eq!(change.shift(size(4)), size(5));
        assert_eq!(change.shift_range(range(0, 1)), Some(range(0, 1)));
        assert_eq!(change.shift_range(range(3, 5)), Some(range(4, 6)));
        assert_eq!(change.shift_range(range(1, 4)), None);
        // `é` and `è` share their first byte: the region starts at the character, not inside it.
        let change = Change::between("aéb", "aèb");
        assert_eq!(change, Change { start: 1, old_end: 3, new_end: 3 });
        assert!(Change::between("same", "same").is_empty());
        // An insertion into a run of equal characters: prefix and suffix do not overlap.
        assert_eq!(Change::between("aa", "aaa"), Change { start: 2, old_end: 2, new_end: 3 });
        // Longer than a comparison block, on both sides of the change.
        let long = "ab".repeat(400);
        let edited = format!("{}X{}", &long[..333], &long[333..]);
        assert_eq!(Change::between(&long, &edited), Change { start: 333, old_end: 333, new_end: 334 });
        assert_eq!(Change::between(&edited, &long), Change { start: 333, old_end: 334, new_end: 333 });
    }

    proptest! {
        /// Moving the insertions at the end before the final line break changes nothing in the
        /// result, and leaves no edit after it when every one there can move.
        #[test]
        fn insertions_moved_before_the_final_line_break_give_the_same_text(
            lines in prop::collection::vec("[ab]{0,3}(\n|\r\n)?", 0..8),
            insertions in prop::collection::vec("[ab\n]{0,4}(\n|\r\n)?", 0..3),
            replaced in prop::option::of((0usize..40, 0usize..4, "[ab\n]{0,3}")),
        ) {
            let text = lines.concat();
            let mut edits: Vec<TextEdit> =
                insertions.iter().map(|it| TextEdit::insert(size(text.len()), it.clone())).collect();
            if let Some((start, length, new_text)) = replaced {
                let start = start.min(text.len());
                let end = (start + length).min(text.len());
                if text.is_char_boundary(start) && text.is_char_boundary(end) && end < text.len() {
                    edits.insert(0, TextEdit::replace(range(start, end), new_text));
                }
            }
            let moved = insertions_before_final_line_break(&text, edits.clone());
            prop_assert_eq!(apply_edits(&text, &moved), apply_edits(&text, &edits));
            // Every insertion at the end ends with the final line break, and no other edit
            // reaches into it: none is left after it.
            let at_end = |it: &TextEdit| usize::from(it.range.start()) >= text.len();
            if let Some(line_break) = final_line_break(&text)
                && edits.iter().all(|it| match at_end(it) {
                    true => it.new_text.is_empty() || it.new_text.ends_with(line_break),
                    false => usize::from(it.range.end()) <= text.len() - line_break.len(),
                })
            {
                prop_assert!(!moved.iter().any(at_end), "{:?}", moved);
            }
        }
    }

    #[test]
    fn an_insertion_at_the_end_moves_before_the_final_line_break() {
        let edits = insertions_before_final_line_break("a\nb\n", vec![TextEdit::insert(size(4), "\n### 2\n")]);
        assert_eq!(edits, [TextEdit::insert(size(3), "\n\n### 2")]);
        let crlf = insertions_before_final_line_break("a\r\n", vec![TextEdit::insert(size(3), "b\r\n")]);
        assert_eq!(crlf, [TextEdit::insert(size(1), "\r\nb")]);
        // Not without a final line break, nor for an insertion without one, nor when another
        // edit takes the final line break.
        let kept = |text: &str, edits: Vec<TextEdit>| insertions_before_final_line_break(text, edits.clone()) == edits;
        assert!(kept("a", vec![TextEdit::insert(size(1), "\nb\n")]));
        assert!(kept("a\n", vec![TextEdit::insert(size(2), "b")]));
        assert!(kept("a\n", vec![TextEdit::replace(range(0, 2), "c\n"), TextEdit::insert(size(2), "b\n")]));
    }

    #[test]
    fn a_final_line_break_more_or_less_is_the_same_text_once_written() {
        assert!(same_but_final_line_break("a\n", "a\n"));
        assert!(same_but_final_line_break("a\n\n", "a\n"));
        assert!(same_but_final_line_break("a", "a\n"));
        assert!(same_but_final_line_break("a\r\n", "a"));
        assert!(same_but_final_line_break("", "\n"));
        assert!(!same_but_final_line_break("a\n\n\n", "a\n"));
        assert!(!same_but_final_line_break("a\nb\n", "a\n"));
        assert!(!same_but_final_line_break("a \n", "a\n"));
        assert!(!same_but_final_line_break("a\r", "a"));
    }
}
