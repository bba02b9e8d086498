//! Markdown block structure and the small line scanners the parsers share.
//!
//! pulldown-cmark decides what is a heading, a list item, a table or code (so a `- [ ]` in a
//! fenced block is never a task). Status markers themselves are found by hand on the lines it
//! points at: it only knows `[ ]`/`[x]` task markers and would split `[-]`, `[~]` and
//! `[COMPLETED]` into text events without exact ranges.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::text::{Change, TextRange, TextSize, range, size};

mod simple_sections;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    /// The heading's first line, without its line break.
    pub line: TextRange,
    /// The heading text: no `#`s, no closing `#`s, trimmed.
    pub content: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// From the bullet to the end of the item (nested items included).
    pub range: TextRange,
    /// Nesting depth among lists (0 = a top-level list).
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub range: TextRange,
    pub cells: Vec<TextRange>,
    pub is_head: bool,
}

/// The block structure of a markdown document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub headings: Vec<Heading>,
    /// Code blocks, HTML blocks, the frontmatter and unparsed pieces, sorted: no status is read
    /// there.
    pub code: Vec<TextRange>,
    pub items: Vec<ListItem>,
    pub table_rows: Vec<TableRow>,
    /// Pieces too big to parse within bounded memory (see [`PIECE_NODE_LIMIT`]): treated as
    /// code, and reported.
    pub unparsed: Vec<TextRange>,
    /// Whether a heading's line holds a lone carriage return (see [`Outline::reparse`]): known
    /// from the parse, so that a keystroke need not read every heading's line again (25,000 of
    /// them in a big TODO.md).
    heading_returns: bool,
}

/// The most parser tree nodes taskmark lets one piece take. pulldown-cmark keeps a node (about
/// 50 bytes) for each inline punctuation byte (`[`, `]`, `*`, `_`, `` ` ``, `<`, `!`, `\`, `&`)
/// and about three for each line of a piece until the piece is parsed, so a 30 MB line of `[`
/// would take 2 GB: a piece estimated over this (about 200 MB of nodes) is not parsed. No real
/// tracker comes near it: pieces end at headings.
pub const PIECE_NODE_LIMIT: usize = 4 << 20;

/// Pieces are at least this long, so a file of many short sections starts few parsers.
const MIN_PIECE: usize = 64 << 10;

impl Outline {
    /// The outline of `text`, parsed in pieces between headings (sync points, as for
    /// [`Outline::reparse`]), so the parser's memory is bounded by the largest piece, not the file.
    pub fn new(text: &str) -> Outline {
        Outline::new_in_pieces(text, MIN_PIECE)
    }

    /// [`Outline::new`] with every piece parsed by pulldown-cmark, none read by lines: the
    /// reference the line reader is checked against (on the corpus too).
    pub fn new_by_parser_only(text: &str) -> Outline {
        Outline::pieces(text, MIN_PIECE, pulldown_slice)
    }

    /// [`Outline::new`] with pieces of at least `min_piece` bytes (tests use small ones).
    pub(crate) fn new_in_pieces(text: &str, min_piece: usize) -> Outline {
        Outline::pieces(text, min_piece, parse_slice)
    }

    fn pieces(text: &str, min_piece: usize, parse_slice: fn(&str, usize, usize) -> Outline) -> Outline {
        let mut outline = Outline::default();
        let body_start = match frontmatter_block(text) {
            Some((block, body_start)) => {
                outline.code.push(block);
                body_start
            }
            None => 0,
        };
        // The parser takes a lone carriage return for a line break, the line scanners do not:
        // such a text is parsed whole.
        let min_piece =
            if crate::text::lone_carriage_return(text.as_bytes()).is_some() { usize::MAX } else { min_piece.max(1) };
        let bytes = text.as_bytes();
        let mut start = body_start;
        while start < text.len() || start == body_start {
            let mut candidate = next_sync_candidate(text, start.saturating_add(min_piece));
            // Each retry skips twice as many candidates as the one before (see `reparse`).
            let mut skip = 1;
            // Whether the piece already ends at the first sync point: a piece too big to parse
            // is cut there, so the sections before the flood are read.
            let mut shortest = false;
            let (piece, end) = loop {
                let end = candidate.unwrap_or(text.len());
                let mut piece = parse_slice(text, start, candidate.map_or(text.len(), |it| line_end(bytes, it)));
                if !piece.unparsed.is_empty() {
                    let first = next_sync_candidate(text, line_end(bytes, start));
                    if !shortest && first.is_some_and(|it| it < end) {
                        (candidate, shortest) = (first, true);
                        continue;
                    }
                    // It cannot tell whether a heading ends it; it ends at the candidate all
                    // the same, its text read as nothing.
                    piece.unparsed = vec![range(start, end)];
                    piece.code = vec![range(start, end)];
                    break (piece, end);
                }
                let Some(end) = candidate else { break (piece, text.len()) };
                // Still a heading there: nothing was left open.
                if piece.headings.last().is_some_and(|it| usize::from(it.line.start()) == end) {
                    piece.headings.pop();
                    break (piece, end);
                }
                for _ in 0..skip {
                    candidate = candidate.and_then(|it| next_sync_candidate(text, line_end(bytes, it)));
                }
                skip *= 2;
            };
            outline.append(piece);
            if end >= text.len() {
                break;
            }
            start = end;
        }
        outline.heading_returns = heading_returns(text, &outline.headings);
        outline
    }

    /// The outline of `new`, which is `old` (whose outline `self` is) with `change` applied:
    /// equal to `Outline::new(new)`, but only the part of the text between two sync points
    /// around the change is parsed again.
    ///
    /// A sync point is an ATX heading line at column 0: it closes every open list, quote, table
    /// and paragraph, and nothing before it looks past it (metadata blocks, the one construct
    /// that scans ahead, are only recognized as frontmatter), so the parser's state there is the
    /// same whatever follows. The slice is parsed on its own; if it ends inside a code or HTML
    /// block (an opened fence now swallows what follows), the slice grows to the next sync point.
    pub fn reparse(&self, old: &str, new: &str, change: Change) -> Outline {
        self.reparse_with_region(old, new, change).0
    }

    /// [`Outline::reparse`], also returning the region that was parsed again: outside it, the
    /// new outline is the old one moved by the length difference.
    pub fn reparse_with_region(&self, old: &str, new: &str, change: Change) -> (Outline, Change) {
        let everything = Change { start: 0, old_end: old.len(), new_end: new.len() };
        if change.is_empty() {
            return (self.clone(), change);
        }
        // Unparsed pieces are decided piece by piece, as only a whole parse cuts them.
        if !self.unparsed.is_empty() {
            return (Outline::new(new), everything);
        }
        let body_start = match (frontmatter_block(old), frontmatter_block(new)) {
            (None, None) => 0,
            (Some(before), Some(after)) if before == after && change.start >= before.1 => before.1,
            // Only the frontmatter's inside changed (a counter rewritten: every status change and
            // new task of a tracker that counts its tasks there), and the block still ends where
            // its text does: the body is the same text moved, its outline this one moved, and
            // nothing of it is read again.
            (Some(before), Some(after))
                if change.old_end <= usize::from(before.0.end())
                    && u32::from(after.0.end()) as i64 == u32::from(before.0.end()) as i64 + change.delta() =>
            {
                return (self.moved(change), change);
            }
            // The frontmatter appeared, vanished or changed where it ends: it decides where
            // everything starts.
            _ => return (Outline::new(new), everything),
        };
        // A lone carriage return is a line break to the parser but not to the line scanners, so
        // a heading's line can then start before the heading: such texts are parsed whole.
        if self.heading_returns || (body_start > 0 && !new[..body_start].ends_with('\n')) {
            return (Outline::new(new), everything);
        }
        // The headings a parse may start or stop at, found near the change only: a keystroke in
        // a TODO.md of 25,000 sections looks at a few of them, not at every one.
        let sync_point = |heading: &Heading| {
            let start = usize::from(heading.line.start());
            (is_atx_heading_line(&old[start..]) && can_sync(old, heading)).then_some(start)
        };
        // The last sync point whose whole line, break included, comes before the change.
        let before_change = self.headings.partition_point(|it| usize::from(it.line.start()) < change.start);
        let slice_start = self.headings[..before_change]
            .iter()
            .rev()
            .filter_map(sync_point)
            .find(|start| old[*start..].find('\n').is_some_and(|newline| *start + newline < change.start))
            .unwrap_or(body_start)
            .max(body_start);
        let delta = change.delta();
        let to_new = |old_offset: usize| (old_offset as i64 + delta) as usize;
        // The sync points after the change whose preceding line break is unchanged too.
        let after_change = self.headings.partition_point(|it| usize::from(it.line.start()) <= change.old_end);
        let mut later_sync_points = self.headings[after_change..].iter().filter_map(sync_point);
        // Each retry skips twice as many sync points as the one before, so that a fence opened
        // above a thousand sections costs a few parses of the tail, not a thousand.
        let mut skip = 1;
        let mut next_sync = later_sync_points.next();
        let (slice, old_slice_end) = loop {
            let Some(old_slice_end) = next_sync else {
                break (parse_slice(new, slice_start, new.len()), old.len());
            };
            let new_slice_end = to_new(old_slice_end);
            // The sync heading's own line is parsed too: what comes before it ends differently at
            // the end of the text (a list item takes the trailing blank lines) than at a heading.
            let heading_end = line_end(new.as_bytes(), new_slice_end);
            let mut slice = parse_slice(new, slice_start, heading_end);
            // Still a heading there: nothing was left open (an unclosed fence would have taken it).
            if slice.headings.last().is_some_and(|it| usize::from(it.line.start()) == new_slice_end) {
                slice.headings.pop();
                break (slice, old_slice_end);
            }
            next_sync = later_sync_points.nth(skip - 1);
            skip *= 2;
        };
        if heading_returns(new, &slice.headings) || !slice.unparsed.is_empty() {
            return (Outline::new(new), everything);
        }
        let before = |range: TextRange| usize::from(range.start()) < slice_start;
        let after = |range: TextRange| usize::from(range.start()) >= old_slice_end;
        let shift = |range: TextRange| range_shifted(range, delta);
        let headings = splice(&self.headings, slice.headings, |it| it.line, before, after, |it| it.moved(shift));
        let code = splice(&self.code, slice.code, |it| *it, before, after, |it| shift(*it));
        let items = splice(&self.items, slice.items, |it| it.range, before, after, |it| it.moved(shift));
        let table_rows = splice(&self.table_rows, slice.table_rows, |it| it.range, before, after, |it| it.moved(shift));
        let region = Change { start: slice_start, old_end: old_slice_end, new_end: to_new(old_slice_end) };
        // No heading line before or after the slice had a lone carriage return (else the text
        // was parsed whole above), nor has one in it.
        (Outline { headings, code, items, table_rows, unparsed: Vec::new(), heading_returns: false }, region)
    }

    /// This outline for the text `change` made of its own, where `change` reads nothing again (it
    /// is inside the frontmatter): what starts or ends after it moves with the text, the
    /// frontmatter's own range ends where its text now does.
    fn moved(&self, change: Change) -> Outline {
        let delta = change.delta();
        let offset = |at: TextSize| match usize::from(at) >= change.old_end {
            true => size((i64::from(u32::from(at)) + delta) as usize),
            false => at,
        };
        let shift = |range: TextRange| TextRange::new(offset(range.start()), offset(range.end()));
        Outline {
            headings: self.headings.iter().map(|it| it.moved(shift)).collect(),
            code: self.code.iter().map(|it| shift(*it)).collect(),
            items: self.items.iter().map(|it| it.moved(shift)).collect(),
            table_rows: self.table_rows.iter().map(|it| it.moved(shift)).collect(),
            unparsed: Vec::new(),
            heading_returns: self.heading_returns,
        }
    }

    /// Adds what `later`, an outline of the text after this one's, holds (its `heading_returns`
    /// is the caller's to set, for the whole text).
    fn append(&mut self, later: Outline) {
        self.headings.extend(later.headings);
        self.code.extend(later.code);
        self.items.extend(later.items);
        self.table_rows.extend(later.table_rows);
        self.unparsed.extend(later.unparsed);
    }

    /// Where the section under heading `index` ends: at the next heading of its level or
    /// above, or at the end of the text (`text_len`).
    pub fn section_end(&self, index: usize, text_len: usize) -> TextSize {
        let level = self.headings[index].level;
        self.headings[index + 1..]
            .iter()
            .find(|next| next.level <= level)
            .map_or(size(text_len), |next| next.line.start())
    }

    /// Whether `offset` is inside a code block, an HTML block or the frontmatter.
    pub fn in_code(&self, offset: TextSize) -> bool {
        let after = self.code.partition_point(|it| it.start() <= offset);
        after > 0 && self.code[after - 1].contains(offset)
    }

    /// The lines of `text[within]` outside code, as `(line range, line text)`.
    pub fn prose_lines<'a>(
        &'a self,
        text: &'a str,
        within: TextRange,
    ) -> impl Iterator<Item = (TextRange, &'a str)> + 'a {
        let base = usize::from(within.start());
        crate::text::lines_with_offsets(&text[within]).filter_map(move |(offset, line)| {
            let start = base + offset;
            (!self.in_code(size(start))).then(|| (range(start, start + line.len()), line))
        })
    }

    /// List items outside code whose first line starts with a checkbox, with that line.
    pub fn checkboxes<'a>(
        &'a self,
        text: &'a str,
        within: TextRange,
    ) -> impl Iterator<Item = (&'a ListItem, TextRange, CheckboxLine<'a>)> + 'a {
        // `- [ ]* text` is a box only where Kiro's optional tasks are read
        // ([`Outline::checkboxes_and_optional`]); GitHub renders it as text.
        self.checkboxes_and_optional(text, within).filter(|(_, _, it)| !it.optional)
    }

    /// [`Outline::checkboxes`] and Kiro's optional ones (`- [ ]* 1.2 ...`).
    pub fn checkboxes_and_optional<'a>(
        &'a self,
        text: &'a str,
        within: TextRange,
    ) -> impl Iterator<Item = (&'a ListItem, TextRange, CheckboxLine<'a>)> + 'a {
        let first = self.items.partition_point(|it| it.range.start() < within.start());
        self.items[first..]
            .iter()
            .take_while(move |it| it.range.start() < within.end())
            .filter(|it| !self.in_code(it.range.start()))
            .filter_map(move |item| {
                let line = crate::text::line_range_at(text, usize::from(item.range.start()));
                Some((item, line, checkbox_line(&text[line])?))
            })
    }
}

/// Parses `text[start..end]` on its own, with offsets into `text`. The slice must start where
/// the parser's state is clean (the start of the body or a sync point).
fn parse_slice(text: &str, start: usize, end: usize) -> Outline {
    let mut outline = Outline::default();
    if parser_nodes(&text.as_bytes()[start..end]) > PIECE_NODE_LIMIT {
        outline.code.push(range(start, end));
        outline.unparsed.push(range(start, end));
        return outline;
    }
    let mut at = start;
    while at < end {
        at = match simple_sections::read_into(text, at, end, &mut outline) {
            Some(section_end) => section_end,
            None => parse_until_sync_point(text, at, end, &mut outline),
        };
    }
    outline
}

/// Parses `text[start..]` with pulldown-cmark up to the first sync point after its first line
/// that the parse confirms (or `end`), adding what it finds to `outline`; returns where it
/// stopped.
fn parse_until_sync_point(text: &str, start: usize, end: usize, outline: &mut Outline) -> usize {
    let bytes = text.as_bytes();
    let mut candidate = next_sync_candidate(&text[..end], line_end(bytes, start));
    // Each retry skips twice as many candidates as the one before (see `Outline::reparse`).
    let mut skip = 1;
    loop {
        let Some(sync) = candidate else {
            outline.append(pulldown_slice(text, start, end));
            return end;
        };
        let mut piece = pulldown_slice(text, start, line_end(bytes, sync));
        if piece.headings.last().is_some_and(|it| usize::from(it.line.start()) == sync) {
            piece.headings.pop();
            outline.append(piece);
            return sync;
        }
        for _ in 0..skip {
            candidate = candidate.and_then(|it| next_sync_candidate(&text[..end], line_end(bytes, it)));
        }
        skip *= 2;
    }
}

/// Parses `text[start..end]` on its own with pulldown-cmark, with offsets into `text`.
fn pulldown_slice(text: &str, start: usize, end: usize) -> Outline {
    let mut outline = Outline::default();
    let slice = &text[start..end];
    let mut list_depth: u32 = 0;
    let mut in_table_head = false;
    let mut current_row: Option<TableRow> = None;
    for (event, span) in Parser::new_ext(slice, Options::ENABLE_TABLES).into_offset_iter() {
        let span = range(start + span.start.min(slice.len()), start + span.end.min(slice.len()));
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let line = crate::text::line_range_at(text, usize::from(span.start()));
                outline.headings.push(Heading {
                    level: heading_level(level),
                    line,
                    content: heading_content(text, line),
                });
            }
            Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::HtmlBlock) | Event::Start(Tag::MetadataBlock(_)) => {
                outline.code.push(span)
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                outline.items.push(ListItem { range: span, depth: list_depth.saturating_sub(1) })
            }
            Event::Start(Tag::TableHead) => {
                in_table_head = true;
                current_row = Some(TableRow { range: span, cells: Vec::new(), is_head: true });
            }
            Event::End(TagEnd::TableHead) => {
                in_table_head = false;
                outline.table_rows.extend(current_row.take());
            }
            Event::Start(Tag::TableRow) => {
                current_row = Some(TableRow { range: span, cells: Vec::new(), is_head: in_table_head })
            }
            Event::End(TagEnd::TableRow) => outline.table_rows.extend(current_row.take()),
            Event::Start(Tag::TableCell) => {
                if let Some(row) = current_row.as_mut() {
                    row.cells.push(span);
                }
            }
            _ => {}
        }
    }
    outline.code.sort_by_key(|it| it.start());
    outline.items.sort_by_key(|it| it.range.start());
    outline
}

/// The pieces of `text` too big to parse (see [`PIECE_NODE_LIMIT`]), cheaply: only a text
/// estimated over the limit in all is parsed to find them.
pub fn unparsed_pieces(text: &str) -> Vec<TextRange> {
    if parser_nodes(text.as_bytes()) <= PIECE_NODE_LIMIT {
        return Vec::new();
    }
    Outline::new(text).unparsed
}

/// About how many tree nodes pulldown-cmark keeps while parsing `bytes` (an overestimate: a
/// run of `*` is one node, counted here once per byte).
fn parser_nodes(bytes: &[u8]) -> usize {
    // No byte counts for more than three.
    if bytes.len() * 3 <= PIECE_NODE_LIMIT {
        return 0;
    }
    bytes
        .iter()
        .map(|it| match it {
            b'\n' => 3,
            b'[' | b']' | b'*' | b'_' | b'`' | b'<' | b'!' | b'\\' | b'&' => 1,
            _ => 0,
        })
        .sum()
}

/// The start of the first line at or after `from` that may be a sync point: an ATX heading at
/// column 0 that [`can_sync`] would accept. Only a parse up to it tells whether it is one.
fn next_sync_candidate(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    // The start of the line holding `from`, unless `from` starts one.
    let mut line = if from == 0 || bytes.get(from.checked_sub(1)?) == Some(&b'\n') {
        from
    } else {
        line_end(bytes, from.min(bytes.len()))
    };
    while line < bytes.len() {
        if bytes[line] == b'#' && is_atx_heading_line(&text[line..]) {
            let line_range = crate::text::line_range_at(text, line);
            let heading = Heading { level: 0, line: line_range, content: heading_content(text, line_range) };
            if can_sync(text, &heading) {
                return Some(line);
            }
        }
        // The next line that starts with `#`.
        line = match bytes[line..].windows(2).position(|it| it == b"\n#") {
            Some(at) => line + at + 1,
            None => return None,
        };
    }
    None
}

/// The frontmatter as pulldown-cmark's YAML metadata blocks recognize it, but only at the start
/// of the text: a `---` line (trailing whitespace allowed), a first line that is neither blank
/// nor a closing line, and a closing `---` or `...` line (trailing spaces allowed). Returns the
/// block's range and where the body starts (after the closing line's break).
///
/// Metadata blocks further down are not recognized: pulldown-cmark would take a `---` line
/// anywhere followed by text as the opening of one whenever a closing line comes later,
/// however far, so one edit could turn half a file into YAML; and an outline that depends on
/// text that far ahead could not be re-parsed in pieces.
fn frontmatter_block(text: &str) -> Option<(TextRange, usize)> {
    let bytes = text.as_bytes();
    let opening_end = line_end(bytes, 0);
    if !bytes.starts_with(b"---") || !bytes[3..opening_end].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut line = opening_end;
    let mut first = true;
    while line < bytes.len() {
        let closing = closing_fence(&bytes[line..]);
        if first && (closing.is_some() || is_blank_line(&bytes[line..])) {
            return None;
        }
        first = false;
        if let Some(length) = closing {
            let block_end = line + length;
            let rest = &bytes[block_end..];
            let body_start = block_end + if rest.starts_with(b"\r\n") { 2 } else { usize::from(!rest.is_empty()) };
            return Some((range(0, block_end), body_start));
        }
        line = line_end(bytes, line);
    }
    None
}

/// Whether a heading's line in `text` holds a carriage return: a line break to the parser but
/// not to the line scanners, so that a heading's line can start before the heading.
fn heading_returns(text: &str, headings: &[Heading]) -> bool {
    headings.iter().any(|it| text[it.line].contains('\r'))
}

/// The offset after the line break of the line starting at `start` (or the end of the text).
fn line_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|it| *it == b'\n').map_or(bytes.len(), |it| start + it + 1)
}

/// `---` or `...` followed by spaces only: the length up to the line break.
fn closing_fence(line: &[u8]) -> Option<usize> {
    let fence = [b"---", b"..."].into_iter().find(|it| line.starts_with(*it))?;
    let spaces = line[fence.len()..].iter().take_while(|it| **it == b' ').count();
    let length = fence.len() + spaces;
    // A fourth fence character makes it no closing line; so does anything but a line break.
    matches!(line.get(length), None | Some(b'\n') | Some(b'\r')).then_some(length)
}

fn is_blank_line(line: &[u8]) -> bool {
    let spaces = line.iter().take_while(|it| matches!(it, b' ' | b'\t' | 0x0b | 0x0c)).count();
    matches!(line.get(spaces), None | Some(b'\n') | Some(b'\r'))
}

/// Whether a line is an ATX heading starting at column 0: one to six `#`s and then whitespace
/// or the end of the line.
fn is_atx_heading_line(line: &str) -> bool {
    let hashes = line.bytes().take_while(|it| *it == b'#').count();
    (1..=6).contains(&hashes) && matches!(line.as_bytes().get(hashes), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

/// Whether a heading can be a sync point beyond being an ATX line at column 0. Not an empty
/// one, or one that reads as a link destination and title (`# "t"`): it could end a link
/// reference definition that an edit opens on the line above. Not one with a lone carriage
/// return, which the parser takes for a line break where the line scanners do not.
fn can_sync(text: &str, heading: &Heading) -> bool {
    let content = &text[heading.content];
    !content.is_empty() && !content.starts_with(['"', '\'', '(', '<']) && !text[heading.line].contains('\r')
}

fn range_shifted(range: TextRange, delta: i64) -> TextRange {
    let shift = |offset: TextSize| size((i64::from(u32::from(offset)) + delta) as usize);
    TextRange::new(shift(range.start()), shift(range.end()))
}

impl Heading {
    /// The heading with its ranges mapped by `shift` (the text around it moved).
    fn moved(&self, shift: impl Fn(TextRange) -> TextRange) -> Heading {
        Heading { level: self.level, line: shift(self.line), content: shift(self.content) }
    }
}

impl ListItem {
    fn moved(&self, shift: impl Fn(TextRange) -> TextRange) -> ListItem {
        ListItem { range: shift(self.range), depth: self.depth }
    }
}

impl TableRow {
    fn moved(&self, shift: impl Fn(TextRange) -> TextRange) -> TableRow {
        TableRow {
            range: shift(self.range),
            cells: self.cells.iter().map(|cell| shift(*cell)).collect(),
            is_head: self.is_head,
        }
    }
}

/// `old` with its elements inside the re-parsed region replaced by `fresh`: those `before` it
/// are kept, those `after` it are moved by `moved`.
fn splice<T>(
    old: &[T],
    fresh: Vec<T>,
    span: impl Fn(&T) -> TextRange,
    before: impl Fn(TextRange) -> bool,
    after: impl Fn(TextRange) -> bool,
    moved: impl Fn(&T) -> T,
) -> Vec<T>
where
    T: Clone,
{
    let kept = old.partition_point(|it| before(span(it)));
    let resumed = old.partition_point(|it| !after(span(it)));
    let mut out = Vec::with_capacity(kept + fresh.len() + old.len() - resumed.max(kept));
    out.extend_from_slice(&old[..kept]);
    out.extend(fresh);
    out.extend(old[resumed.max(kept)..].iter().map(moved));
    out
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The text of an ATX heading line without its `#`s; a setext heading's line as it is.
fn heading_content(text: &str, line: TextRange) -> TextRange {
    let line_text = &text[line];
    let indent = line_text.len() - line_text.trim_start().len();
    let rest = &line_text[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if hashes == 0 {
        let trimmed = line_text.trim();
        let start = usize::from(line.start()) + (line_text.len() - line_text.trim_start().len());
        return range(start, start + trimmed.len());
    }
    let mut start = indent + hashes;
    start += line_text[start..].len() - line_text[start..].trim_start().len();
    let mut end = line_text.trim_end().len();
    // A closing sequence of #s preceded by a space is not part of the content.
    let body = &line_text[start..end.max(start)];
    let closing = body.len() - body.trim_end_matches('#').len();
    if closing > 0 && (closing == body.len() || body[..body.len() - closing].ends_with([' ', '\t'])) {
        end -= closing;
        end = start + line_text[start..end.max(start)].trim_end().len();
    }
    let base = usize::from(line.start());
    range(base + start, base + end.max(start))
}

/// A `**Name**: value` line, as written in TODO.md sections, plan metadata and PIDEA files:
/// with or without a list bullet, with the colon inside or outside the bold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLine<'a> {
    /// Everything before `**`: indentation and bullet (`- `, `  - `, ` `).
    pub prefix: &'a str,
    pub name: &'a str,
    pub value: &'a str,
    /// Offset of `value` in the line.
    pub value_start: usize,
    pub has_bullet: bool,
    pub indent: usize,
}

/// Where `text` first has `**`: the same as `text.find("**")`, without building a substring
/// searcher for every line read.
pub fn find_double_star(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'*', bytes).find(|at| bytes.get(at + 1) == Some(&b'*'))
}

pub fn field_line(line: &str) -> Option<FieldLine<'_>> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let mut rest = &line[indent..];
    let mut has_bullet = false;
    if let Some(after) = rest.strip_prefix(['-', '*', '+'])
        && after.starts_with([' ', '\t'])
    {
        has_bullet = true;
        rest = after.trim_start_matches([' ', '\t']);
    }
    let prefix_len = line.len() - rest.len();
    let after_open = rest.strip_prefix("**")?;
    let close = find_double_star(after_open)?;
    let raw_name = &after_open[..close];
    let mut after_close = &after_open[close + 2..];
    let name = if let Some(name) = raw_name.strip_suffix(':') {
        name
    } else {
        after_close = after_close.strip_prefix(':')?;
        raw_name
    };
    let name = name.trim();
    if name.is_empty() || name.len() > 60 || name.contains('*') {
        return None;
    }
    let value_offset_in_rest = rest.len() - after_close.len();
    let leading = after_close.len() - after_close.trim_start().len();
    let value_start = prefix_len + value_offset_in_rest + leading;
    let value = line[value_start..].trim_end();
    Some(FieldLine { prefix: &line[..prefix_len], name, value, value_start, has_bullet, indent })
}

/// The checkbox at the start of a list item line: `- [x] text`, `* [ ] text`, `1. [-] text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckboxLine<'a> {
    /// Offset of the character between the brackets.
    pub char_start: usize,
    pub state: &'a str,
    /// Offset of the text after the box.
    pub text_start: usize,
    pub indent: usize,
    /// Kiro's optional task: `- [ ]* 1.2 Write property tests` (a box and a star).
    pub optional: bool,
}

pub fn checkbox_line(line: &str) -> Option<CheckboxLine<'_>> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let spaced = list_item_words(line)?;
    let inner = spaced.strip_prefix('[')?;
    let mut chars = inner.char_indices();
    let (_, state_char) = chars.next()?;
    let (close_at, close) = chars.next()?;
    if close != ']' || state_char == ']' || state_char == '[' {
        return None;
    }
    let after_box = &inner[close_at + 1..];
    // Kiro marks an optional task with a star after its box.
    let (after_box, optional) = match after_box.strip_prefix('*') {
        Some(rest) => (rest, true),
        None => (after_box, false),
    };
    // `[x]` must be followed by whitespace or the end of the line, as in GFM.
    if !(after_box.is_empty() || after_box.starts_with([' ', '\t'])) {
        return None;
    }
    let char_start = line.len() - inner.len();
    let text_start = line.len() - after_box.trim_start().len();
    Some(CheckboxLine { char_start, state: &inner[..close_at], text_start, indent, optional })
}

/// The words of a list item's first line, after its bullet (`-`, `*`, `+`, `1.`, `1)`) and the
/// space that must follow it; `None` for a line that is no list item.
pub fn list_item_words(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches([' ', '\t']);
    let after_bullet = match rest.strip_prefix(['-', '*', '+']) {
        Some(after) => after,
        None => {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 || digits > 9 {
                return None;
            }
            rest[digits..].strip_prefix(['.', ')'])?
        }
    };
    if !after_bullet.starts_with([' ', '\t']) {
        return None;
    }
    Some(after_bullet.trim_start_matches([' ', '\t']))
}

/// Link targets on a line: `[text](target)` and bare `[path/to/file.md]` references. Web
/// links and in-page anchors are not file links.
pub fn file_links(line: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut at = 0;
    while let Some(open) = line[at..].find('[').map(|it| it + at) {
        let Some(close) = find_closing_bracket(line, open) else { break };
        let after = close + 1;
        if bytes.get(after) == Some(&b'(') {
            if let Some(end) = line[after + 1..].find(')').map(|it| it + after + 1) {
                let target = line[after + 1..end].trim();
                // `(path "title")`: drop the title.
                let target = target.split_once(" \"").map_or(target, |(path, _)| path).trim_matches(['<', '>']);
                if is_file_target(target) {
                    let start = after + 1 + (line[after + 1..end].len() - line[after + 1..end].trim_start().len());
                    found.push((start, start + target.len(), target));
                }
                at = end + 1;
                continue;
            }
        } else {
            let inner = &line[open + 1..close];
            let inner_trimmed = inner.trim();
            let looks_like_path = !inner_trimmed.contains(' ')
                && (inner_trimmed.ends_with(".md") || inner_trimmed.ends_with(".json"))
                && inner_trimmed.contains('/');
            if looks_like_path && is_file_target(inner_trimmed) && bytes.get(after) != Some(&b'[') {
                let start = open + 1 + (inner.len() - inner.trim_start().len());
                found.push((start, start + inner_trimmed.len(), inner_trimmed));
            }
        }
        at = close + 1;
    }
    found
}

fn find_closing_bracket(line: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, c) in line[open..].char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + offset);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_file_target(target: &str) -> bool {
    !(target.is_empty()
        || target.starts_with('#')
        || target.contains("://")
        || target.starts_with("mailto:")
        || target.contains('{')
        || target.contains('*'))
}

/// The YAML frontmatter of a document: `---` on the first line up to the next `---` or `...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontmatterBlock {
    /// The YAML text between the fences.
    pub body: TextRange,
}

pub fn frontmatter(text: &str) -> Option<FrontmatterBlock> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let first_break = rest.find('\n')?;
    if rest[..first_break].trim_end() != "---" {
        return None;
    }
    let body_start = start + first_break + 1;
    let mut offset = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Some(FrontmatterBlock { body: range(body_start, offset) });
        }
        offset += line.len();
    }
    None
}

/// The leading unsigned integer of `text` (`221 - title`, `#196`), with its offset.
pub fn leading_number(text: &str) -> Option<(usize, &str)> {
    let trimmed = text.trim_start();
    let skip = text.len() - trimmed.len();
    let trimmed_hash = trimmed.trim_start_matches('#');
    let skip = skip + (trimmed.len() - trimmed_hash.len());
    let digits = trimmed_hash.len() - trimmed_hash.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    (digits > 0).then(|| (skip, &trimmed_hash[..digits]))
}

/// Normalizes a numeric task id: `058` and `58` are the same task.
pub fn numeric_id(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() }
}

/// A dotted numeric id, each part as [`numeric_id`] reads it: `01.10` is `1.10`, `00` is `0`
/// (GSD writes phase `13` as `13` in ROADMAP.md and as `013`-less `13` in plan ids `13-01`).
pub fn dotted_numeric_id(number: &str) -> String {
    number.split('.').map(numeric_id).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of every kind the simple-section reader reads or must give up on.
    const LINE_KINDS: &[&str] = &[
        "",
        "   ",
        "# Title",
        "## Phase 1: Setup [COMPLETED]",
        "#",
        "#tag",
        "####### seven",
        "# h #",
        "- [ ] task",
        "- [x] done",
        "* item",
        "+ item",
        "1. one",
        "2. two",
        "3) three",
        "0. zero",
        "-",
        "- ",
        "-  two spaces",
        "-     five spaces",
        "-\ttab",
        "  - nested",
        "    code",
        "\tTab",
        "text",
        "**Bold**: value",
        "- **Status**: [PLANNED]",
        "more `code` and [link](x.md)",
        "| a | b |",
        "|---|---|",
        "a | b",
        "```",
        "```rust",
        "~~~",
        "````",
        "  ```",
        "``` a`b",
        "---",
        "***",
        "___",
        "- - -",
        "* * *",
        "===",
        "--",
        "> quote",
        "<div>",
        "<!-- note -->",
        "[ref]: /url",
        "[ref]: /url \"title\"",
        "'title'",
        "text\r",
        "- # heading in item",
        "- > quoted",
        "- ```",
        "1. - nested",
        "2024 was a year",
        "1.5 hours",
        "10. ten",
        "- [ ] box with | pipe",
        "  continued",
        "   ```",
        "Setext",
        "- 1. x",
        "*emphasis*",
        "  - [x] nested box",
        "   - three spaces",
        "  * star",
        "  1. one",
        "  2. two",
        "   1. three spaces",
        "  1) paren",
        "    - deeper",
        "      - deepest",
        "  text",
        "  ***",
        "  - - -",
        "  -",
        "  - > quoted",
        "  - # heading",
        "  - ```",
        "  -\ttab",
        " \t- tab inside",
        "10. ten",
    ];

    /// The lines of `table` that `kinds` picks, one per line.
    fn kinds_to_text(table: &[&str], kinds: &[usize], trailing_newline: bool) -> String {
        let mut text = kinds.iter().map(|it| table[*it]).collect::<Vec<_>>().join("\n");
        if trailing_newline {
            text.push('\n');
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Reading simple sections by lines gives exactly what pulldown-cmark gives.
        #[test]
        fn simple_sections_read_as_the_parser_does(
            kinds in proptest::collection::vec(0..LINE_KINDS.len(), 0..24),
            trailing_newline in proptest::bool::ANY,
        ) {
            let text = kinds_to_text(LINE_KINDS, &kinds, trailing_newline);
            proptest::prop_assert_eq!(parse_slice(&text, 0, text.len()), pulldown_slice(&text, 0, text.len()), "{:?}", text);
            proptest::prop_assert_eq!(Outline::new_in_pieces(&text, 1), Outline::pieces(&text, 1, pulldown_slice), "{:?}", text);
            proptest::prop_assert_eq!(Outline::new(&text), Outline::new_by_parser_only(&text), "{:?}", text);
        }
    }

    /// The kinds of line the reader reads itself, so that long texts are read by it whole.
    const SIMPLE_KINDS: &[&str] = &[
        "",
        "   ",
        "# Title",
        "## Phase 1: Setup [COMPLETED]",
        "#",
        "#tag",
        "# h #",
        "- [ ] task",
        "- [x] done",
        "* item",
        "+ item",
        "1. one",
        "2. two",
        "3) three",
        "0. zero",
        "-  two spaces",
        "text",
        "**Bold**: value",
        "- **Status**: [PLANNED]",
        "more `code` and [link](x.md)",
        "```",
        "```rust",
        "~~~",
        "````",
        "  ```",
        "---",
        "***",
        "2024 was a year",
        "1.5 hours",
        "10. ten",
        "*emphasis*",
        "- [ ] `a` **b** [c](d)",
        "  - [x] nested box",
        "  - nested",
        "  * star",
        "  1. one",
        "  2. two",
        "   - three spaces",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn long_simple_texts_read_as_the_parser_does(
            kinds in proptest::collection::vec(0..SIMPLE_KINDS.len(), 0..60),
            trailing_newline in proptest::bool::ANY,
        ) {
            let text = kinds_to_text(SIMPLE_KINDS, &kinds, trailing_newline);
            proptest::prop_assert_eq!(parse_slice(&text, 0, text.len()), pulldown_slice(&text, 0, text.len()), "{:?}", text);
        }
    }

    #[test]
    fn a_plan_is_read_without_the_parser_except_its_table() {
        let text = "# Plan\n\n- **Status**: [PLANNED]\n- **Effort**: 2 hours\n\n## Risks\n\n| Risk | Impact |\n|---|---|\n| a | b |\n\n### Phase 1: Setup [NOT STARTED]\n\n**Tasks**:\n- [ ] one\n- [x] two\n\n```sh\n- [ ] not a task\n```\n";
        let (first, end) = simple_sections::read(text, 0, text.len()).expect("the preamble is simple");
        assert_eq!(&text[end..end + 8], "## Risks");
        assert_eq!(first.items.len(), 2);
        assert!(simple_sections::read(text, end, text.len()).is_none(), "the table section is left to the parser");
        let phase = text.find("### Phase").unwrap();
        let (last, _) = simple_sections::read(text, phase, text.len()).expect("the phase is simple");
        assert_eq!((last.items.len(), last.code.len()), (2, 1));
        assert_eq!(parse_slice(text, 0, text.len()), pulldown_slice(text, 0, text.len()));
        assert_eq!(Outline::new(text).table_rows.len(), 2);
    }

    #[test]
    fn a_phase_with_nested_checkboxes_is_read_without_the_parser() {
        let text = "### Phase 1: Setup [COMPLETED]\n- **Goal**: ready\n- **Tasks**:\n  - [x] one\n  - [ ] two\nlazy\n- **Timing**: 1 hour\n\n1. first\n   - under it\n";
        let (outline, end) = simple_sections::read(text, 0, text.len()).expect("nested checkboxes are simple");
        assert_eq!(end, text.len());
        let depths: Vec<u32> = outline.items.iter().map(|it| it.depth).collect();
        assert_eq!(depths, [0, 0, 1, 1, 0, 0, 1]);
        assert_eq!(&text[outline.items[2].range], "- [x] one\n");
        assert_eq!(parse_slice(text, 0, text.len()), pulldown_slice(text, 0, text.len()));
        // Indented any other way, or deeper, the section is left to the parser.
        for other in ["- a\n - b\n", "- a\n    - b\n", "- a\n  - b\n    - c\n", "- a\n  text\n"] {
            assert!(simple_sections::read(other, 0, other.len()).is_none(), "{other:?}");
        }
    }

    #[test]
    fn double_stars_are_found_where_find_finds_them() {
        for text in ["", "*", "**", "a*b**c", "***", "* * **", "é**", "no stars", "*a*"] {
            assert_eq!(find_double_star(text), text.find("**"), "{text:?}");
        }
    }

    #[test]
    fn field_lines_in_every_written_form() {
        let it = field_line("- **Status**: [COMPLETED]").unwrap();
        assert_eq!((it.name, it.value, it.value_start, it.has_bullet), ("Status", "[COMPLETED]", 14, true));
        let it = field_line(" **Status**: [BLOCKED]").unwrap();
        assert_eq!((it.prefix, it.value, it.has_bullet), (" ", "[BLOCKED]", false));
        let it = field_line("**Status:** Completed  ").unwrap();
        assert_eq!((it.name, it.value), ("Status", "Completed"));
        let it = field_line("  - **Plan**:").unwrap();
        assert_eq!((it.name, it.value, it.indent), ("Plan", "", 2));
        assert!(field_line("- **bold** text").is_none());
        assert!(field_line("plain: text").is_none());
    }

    #[test]
    fn checkbox_lines_take_any_single_character() {
        let it = checkbox_line("- [x] done").unwrap();
        assert_eq!((it.state, it.char_start, it.text_start), ("x", 3, 6));
        assert_eq!(checkbox_line("  * [/] half").unwrap().state, "/");
        assert_eq!(checkbox_line("1. [ ] first").unwrap().state, " ");
        assert_eq!(checkbox_line("- [ ]").unwrap().state, " ");
        assert_eq!(checkbox_line("- [é] accent").unwrap().state, "é");
        assert!(checkbox_line("- [US#] story").is_none());
        assert!(checkbox_line("- [x]glued").is_none());
        assert!(checkbox_line("- [link](x.md)").is_none());
        assert!(checkbox_line("[x] no bullet").is_none());
        let optional = checkbox_line("  - [ ]* 1.2 Write property tests").unwrap();
        assert!(optional.optional && !checkbox_line("- [ ] 1.2 Tests").unwrap().optional);
        assert_eq!(&"  - [ ]* 1.2 Write property tests"[optional.text_start..], "1.2 Write property tests");
        assert!(checkbox_line("- [ ]*bold*").is_none());
    }

    #[test]
    fn file_links_in_both_forms() {
        let line = "- **Plan**: [impl.md](specs/1_a/plans/impl.md) and [specs/1_a/reports/r.md] [web](https://x.y)";
        let links: Vec<&str> = file_links(line).into_iter().map(|it| it.2).collect();
        assert_eq!(links, vec!["specs/1_a/plans/impl.md", "specs/1_a/reports/r.md"]);
        let (start, end, _) = file_links(line)[0];
        assert_eq!(&line[start..end], "specs/1_a/plans/impl.md");
        assert!(file_links("[COMPLETED] and [x]").is_empty());
    }

    #[test]
    fn outline_skips_code_and_finds_headings_items_tables() {
        let text = "---\ntitle: x\n---\n# Title #\n\n```\n- [ ] not a task\n```\n- [ ] a\n  - [x] b\n\n| A | B |\n|---|---|\n| 1 | Done |\n";
        let outline = Outline::new(text);
        assert_eq!(outline.headings.len(), 1);
        assert_eq!(&text[outline.headings[0].content], "Title");
        assert!(outline.in_code(size(text.find("not a task").unwrap())));
        assert!(outline.in_code(size(text.find("title").unwrap())));
        assert!(!outline.in_code(size(text.find("- [ ] a").unwrap())));
        assert_eq!(outline.items.iter().map(|it| it.depth).collect::<Vec<_>>(), vec![0, 1]);
        let body_rows: Vec<_> = outline.table_rows.iter().filter(|it| !it.is_head).collect();
        assert_eq!(body_rows.len(), 1);
        assert_eq!(text[body_rows[0].cells[1]].trim(), "Done");
    }

    #[test]
    fn frontmatter_and_numbers() {
        let text = "---\nid: BACK-1\n---\nbody";
        let block = frontmatter(text).unwrap();
        assert_eq!(&text[block.body], "id: BACK-1\n");
        assert!(frontmatter("no\n---\n").is_none());
        assert_eq!(leading_number("221 - title"), Some((0, "221")));
        assert_eq!(leading_number(" #196"), Some((2, "196")));
        assert_eq!(numeric_id("058"), "58");
    }
}
