//! GSD (get-shit-done): `.planning/ROADMAP.md` lists the phases with a box each
//! (`- [x] **Phase 13: Quick Fixes** - ...`), repeats each phase's plans under its
//! `### Phase 13: ...` section (`- [x] 13-01-PLAN.md -- ...`) and sums them up in a progress
//! table (`| 13. Quick Fixes | v1.2 | 2/2 | Complete | 2026-04-22 |`); a plan is done when
//! GSD wrote its `.planning/phases/13-quick-fixes/13-01-SUMMARY.md`.
//!
//! A phase is a task (`13`, `4.2`: the number without leading zeros) whose places are its box
//! and its table row, with its plans' boxes under it; a plan is a task (`13-01`) whose places
//! are its box and, once written, its summary file (read only: GSD writes it when the plan is
//! executed). A table status GSD's vocabulary does not know is left unread rather than
//! reported: the table is a summary people reword.

use crate::markdown::Outline;
use crate::model::{Children, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, counted_boxes, item_from_checkbox, link, location_place, place};
use crate::text::{TextRange, range};
use crate::vocabulary::{Kind, Lookup, Scope, Spelling};

/// `.planning/ROADMAP.md`.
pub fn parse_roadmap(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    // The phase each `### Phase N:` section is about, by where the section starts.
    let sections: Vec<(usize, Option<String>)> = outline
        .headings
        .iter()
        .map(|it| (usize::from(it.line.start()), phase_named(&text[it.content]).map(|(number, _)| number)))
        .collect();
    let section_at = |offset: usize| -> Option<&str> {
        let after = sections.partition_point(|(start, _)| *start <= offset);
        after.checked_sub(1).and_then(|it| sections[it].1.as_deref())
    };
    // Phase boxes by place index, and each plan box with the section it is under.
    let mut phases: Vec<(usize, String)> = Vec::new();
    let mut plans: Vec<(usize, Option<String>)> = Vec::new();
    for (list_item, line, checkbox) in outline.checkboxes(text, range(0, text.len())) {
        let base = usize::from(line.start());
        let after = &text[line][checkbox.text_start..];
        let marker = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
        let (id, title, kind) = if let Some((number, title)) = phase_named(after) {
            (number, title, PlaceKind::IndexLine)
        } else if let Some((id, title)) = plan_named(after) {
            (id.to_string(), title, PlaceKind::ChecklistTask)
        } else {
            if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                out.items.push(item);
            }
            continue;
        };
        let mut it =
            place(cx, Subject::Task(TaskKey::new(cx.scope, &id)), kind, text, marker, Spelling::Checkbox, Scope::Task);
        it.title = (!title.is_empty()).then(|| title.into());
        it.extent = list_item.range;
        let at = out.places.len();
        if kind == PlaceKind::IndexLine {
            phases.push((at, id));
        } else {
            plans.push((at, section_at(base).map(str::to_string)));
        }
        out.places.push(it);
    }
    // A phase's plans are the plan boxes of its own section, one run of places.
    for (phase_at, number) in &phases {
        let mine: Vec<usize> =
            plans.iter().filter(|(_, section)| section.as_deref() == Some(number)).map(|(at, _)| *at).collect();
        if let (Some(first), Some(last)) = (mine.first(), mine.last())
            && last - first + 1 == mine.len()
        {
            out.places[*phase_at].child_places = Children::new(*first..last + 1);
        }
    }
    deliverables(cx, text, &outline, &mut out);
    progress_table(cx, text, &outline, &mut out, false);
    out
}

/// Older ROADMAPs list no plans: a `## Phase 1: Foundation` section ticks its deliverables
/// (`### Deliverables` over `- [x] ...`) as the work is done. Those boxes say how far the phase
/// is, counted as Conductor's plan is: a read-only place at the heading, held to the phase's
/// status by `open-children`. A section with a phase's or a plan's box of its own is read by
/// those boxes instead.
fn deliverables(cx: &ParseContext<'_>, text: &str, outline: &Outline, out: &mut ParsedFile) {
    let headings: Vec<(usize, String)> = outline
        .headings
        .iter()
        .enumerate()
        .filter_map(|(at, it)| phase_named(&text[it.content]).map(|(number, _)| (at, number)))
        .collect();
    let mut counted = Vec::new();
    for (position, (at, number)) in headings.iter().enumerate() {
        let start = outline.headings[*at].line.start();
        let mut end = outline.section_end(*at, text.len());
        if let Some((next, _)) = headings.get(position + 1) {
            end = end.min(outline.headings[*next].line.start());
        }
        let within = |offset: crate::text::TextSize| start <= offset && offset < end;
        if out.places.iter().any(|it| within(it.line.start())) {
            continue;
        }
        let first = out.items.partition_point(|it| it.marker_range.start() < start);
        let last = out.items.partition_point(|it| it.marker_range.start() < end);
        let task = TaskKey::new(cx.scope, number);
        let at = range(usize::from(start), usize::from(start));
        let extent = TextRange::new(start, end);
        if let Some(mut progress) = counted_boxes(cx, text, &task, out.items[first..last].iter(), at, extent) {
            progress.child_items = Children::new(first..last);
            counted.push(progress);
        }
    }
    out.places.extend(counted);
}

/// The progress table's rows: `| Phase | ... | Status | ... |` with `13. Quick Fixes` in the
/// phase column.
/// `links`: the rows' links are read too (STATE.md's table links each phase's verification).
fn progress_table(cx: &ParseContext<'_>, text: &str, outline: &Outline, out: &mut ParsedFile, links: bool) {
    let mut status_column: Option<usize> = None;
    for row in &outline.table_rows {
        if outline.in_code(row.range.start()) {
            continue;
        }
        let cell = |at: usize| row.cells.get(at).map(|it| text[*it].trim().trim_matches('|').trim());
        if row.is_head {
            let first = cell(0).unwrap_or_default();
            status_column = (first.eq_ignore_ascii_case("phase"))
                .then(|| (0..row.cells.len()).find(|at| cell(*at).is_some_and(|it| it.eq_ignore_ascii_case("status"))))
                .flatten();
            continue;
        }
        let Some(column) = status_column else { continue };
        let (Some(phase), Some(status_cell)) = (cell(0), row.cells.get(column)) else { continue };
        let Some((number, title)) = leading_number(phase) else { continue };
        let raw = &text[*status_cell];
        let inner = cell_status(raw);
        let Some(offset) = raw.find(inner).filter(|_| !inner.is_empty()) else { continue };
        let start = usize::from(status_cell.start()) + offset;
        // A status the vocabulary does not know is a remark, not a disagreement.
        if !matches!(cx.profile.lookup(Spelling::Word, inner, Scope::Task), Lookup::Known(_)) {
            continue;
        }
        let mut it = place(
            cx,
            Subject::Task(TaskKey::new(cx.scope, &number)),
            PlaceKind::PhaseTableRow,
            text,
            range(start, start + inner.len()),
            Spelling::Word,
            Scope::Task,
        );
        // `13. Quick Fixes`, or (STATE.md's older table) the number alone and the name beside it.
        let title = title.trim_start_matches(['.', ':']).trim();
        let title = if title.is_empty() && column != 1 { cell(1).unwrap_or_default() } else { title };
        it.title = (!title.is_empty()).then(|| title.into());
        it.extent = row.range;
        if links {
            let start = usize::from(row.range.start());
            for (from, to, target) in crate::markdown::file_links(&text[row.range]) {
                out.links.push(link(target, range(start + from, start + to), it.task().cloned()));
            }
        }
        out.places.push(it);
    }
}

/// The status a table cell states, without the note its author wrote after it: `**Complete**`,
/// `**Complete** (wake bug open)`, `Complete (2 plans left)` and STATE.md's older `✅ Verified`
/// state `Complete` and `Verified`; the note is the author's and stays as it is.
fn cell_status(cell: &str) -> &str {
    let cell = cell.trim().trim_matches('|').trim();
    let cell = cell.strip_prefix("**").and_then(|rest| rest.find("**").map(|end| &rest[..end])).unwrap_or(cell);
    let cell = cell.trim_matches('*').trim();
    let cell = cell.trim_start_matches(|c: char| !c.is_alphanumeric()).trim();
    cell.find(" (").map_or(cell, |at| cell[..at].trim_end())
}

/// `Phase 13: Quick Fixes** - ...` (bold or not): the phase number without leading zeros, and
/// the title.
fn phase_named(text: &str) -> Option<(String, &str)> {
    let rest = text.trim_start_matches('*').trim_start().strip_prefix("Phase ")?;
    let (number, after) = leading_number(rest)?;
    let after = after.strip_prefix(':')?;
    let title = after.split(" - ").next().unwrap_or(after).split(" -- ").next().unwrap_or(after);
    Some((number, title.trim().trim_matches('*').trim()))
}

/// `13-01-PLAN.md -- title`, `42-01: TBD`, `01.2-01a-PLAN.md`: the plan's id and its title.
fn plan_named(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start().trim_start_matches('*');
    let phase = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).filter(|it| *it > 0)?;
    let rest = text[phase..].strip_prefix('-')?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    if digits == 0 {
        return None;
    }
    let letters = rest[digits..].find(|c: char| !c.is_ascii_lowercase()).unwrap_or(rest.len() - digits);
    let end = phase + 1 + digits + letters;
    let after = &text[end..];
    let after = after.strip_prefix("-PLAN.md").unwrap_or(after).trim_start_matches('*');
    if !(after.is_empty() || after.starts_with([' ', ':'])) {
        return None;
    }
    let title = after.trim_start_matches([':', ' ']).trim_start_matches(['-', '—', '–']).trim();
    Some((&text[..end], title))
}

/// A phase number at the start (`13`, `04.2`, `38.1`) without leading zeros, and what follows.
fn leading_number(text: &str) -> Option<(String, &str)> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let written = text[..end].trim_end_matches('.');
    if written.is_empty() || !written.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((crate::markdown::dotted_numeric_id(written), &text[written.len()..]))
}

/// The first and last phase of a milestone's range, as dotted numbers (`6` to `7.1`).
pub(crate) type PhaseRange = (Vec<u32>, Vec<u32>);

/// A milestone of a ROADMAP.md: its name, the phases it spans and what it says of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Milestone {
    pub name: String,
    pub range: PhaseRange,
    /// The range as written (`1-9`, `48-54`).
    pub range_text: String,
    /// Done (shipped, complete), active (in progress) or todo (planned, not started).
    pub said: Kind,
    /// Where what it says is: its emoji or its word.
    pub status: (usize, usize),
}

/// The milestones a ROADMAP.md lists with a phase range: GSD's template's list under a
/// `## Milestones` heading (`- ✅ **v1.0 MVP** - Phases 1-9 (shipped 2026-03-03)`), and tables
/// whose header has a version or milestone column, a phase column and a status column.
pub(crate) fn milestones(text: &str) -> Vec<Milestone> {
    let mut out = Vec::new();
    let mut in_milestones = false;
    let mut in_fence = false;
    // A table's phase and status columns, once its header is read.
    let mut columns: Option<(usize, usize)> = None;
    for (offset, line) in crate::text::lines_with_offsets(text) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix('#') {
            in_milestones = heading.trim_start_matches('#').trim().to_ascii_lowercase().starts_with("milestone");
            columns = None;
            continue;
        }
        if trimmed.starts_with('|') {
            let cells = table_cells(line, offset);
            if columns.is_none() {
                columns = milestone_columns(&cells);
                continue;
            }
            if let Some((phase, status)) = columns
                && let Some(it) = milestone_row(&cells, phase, status)
            {
                out.push(it);
            }
            continue;
        }
        columns = None;
        if in_milestones && let Some(it) = milestone_line(line, offset) {
            out.push(it);
        }
    }
    out
}

/// A table row's cells, trimmed, with where each starts.
fn table_cells(line: &str, offset: usize) -> Vec<(usize, &str)> {
    let inner = line.trim_end().trim_start();
    let start = offset + (line.len() - line.trim_start().len());
    let mut cells = Vec::new();
    let mut at = 0;
    for piece in inner.split('|') {
        let lead = piece.len() - piece.trim_start().len();
        cells.push((start + at + lead, piece.trim()));
        at += piece.len() + 1;
    }
    // The pieces before the first bar and after the last are not cells.
    if cells.len() >= 2 {
        cells.remove(0);
        cells.pop();
    }
    cells
}

/// The phase and status columns of a milestone table's header.
fn milestone_columns(cells: &[(usize, &str)]) -> Option<(usize, usize)> {
    let name = |at: usize| cells.get(at).map(|it| it.1.trim_matches('*').trim().to_ascii_lowercase());
    let first = name(0)?;
    if !(first.starts_with("version") || first.starts_with("milestone")) {
        return None;
    }
    let find = |wanted: &[&str]| (1..cells.len()).find(|at| name(*at).is_some_and(|it| wanted.contains(&it.as_str())));
    Some((find(&["phase", "phases"])?, find(&["status"])?))
}

fn milestone_row(cells: &[(usize, &str)], phase: usize, status: usize) -> Option<Milestone> {
    let name = cells.first()?.1.trim_matches('*').trim();
    let (range, range_text) = phase_range(cells.get(phase)?.1)?;
    let (at, cell) = *cells.get(status)?;
    let word = cell.trim_start_matches('*');
    let start = at + (cell.len() - word.len());
    let word = word.trim_end_matches('*').trim();
    let said = milestone_word(word)?;
    Some(Milestone { name: name.to_string(), range, range_text, said, status: (start, start + word.len()) })
}

/// `- ✅ **v1.0 MVP** - Phases 1-9 (shipped 2026-03-03)`, `- **v1.1 UI Polish** - Phases 8-12 (in
/// progress)`.
fn milestone_line(line: &str, offset: usize) -> Option<Milestone> {
    let indent = line.len() - line.trim_start().len();
    let rest = line.trim_start().strip_prefix("- ").or_else(|| line.trim_start().strip_prefix("* "))?;
    let base = offset + indent + 2;
    let open = rest.find("**")?;
    let close = open + 2 + rest[open + 2..].find("**")?;
    let name = rest[open + 2..close].trim();
    let after = &rest[close + 2..];
    let phases = after.find("Phase")?;
    let (range, range_text) = phase_range(after[phases + 5..].trim_start_matches('s').trim_start())?;
    let prefix = rest[..open].trim();
    let at = base + (open - rest[..open].trim_start().len());
    let (said, status) = match prefix {
        "✅" => (Kind::Done, (at, at + prefix.len())),
        "🚧" => (Kind::Active, (at, at + prefix.len())),
        "📋" => (Kind::Todo, (at, at + prefix.len())),
        _ => {
            let paren = after.find('(')?;
            let paren_end = paren + after[paren..].find(')')?;
            let inside = &after[paren + 1..paren_end];
            let word = inside.split(|c: char| c.is_ascii_digit()).next().unwrap_or(inside).trim();
            // `after` starts just past the name's closing `**`.
            let start = base + close + 2 + paren + 1 + (inside.len() - inside.trim_start().len());
            (milestone_word(word)?, (start, start + word.len()))
        }
    };
    Some(Milestone { name: name.to_string(), range, range_text, said, status })
}

/// What a milestone's status word says: `Shipped 2026-03-01`, `complete`, `In Progress`,
/// `Partially Complete`, `planned`, `Not started`, `Defined`.
fn milestone_word(word: &str) -> Option<Kind> {
    let lower = word.to_ascii_lowercase();
    let starts = |it: &str| lower.starts_with(it);
    if starts("partially") || starts("in progress") {
        Some(Kind::Active)
    } else if starts("shipped") || starts("complete") || starts("done") {
        Some(Kind::Done)
    } else if starts("planned") || starts("not started") || starts("defined") {
        Some(Kind::Todo)
    } else {
        None
    }
}

/// `1-9`, `48-54 (7 phases)`, `6-7.1`, `22`: the first and last phase, and the range as written.
fn phase_range(text: &str) -> Option<(PhaseRange, String)> {
    let number = |it: &str| -> Option<Vec<u32>> {
        let id = crate::markdown::dotted_numeric_id(it);
        id.split('.').map(|part| part.parse::<u32>().ok()).collect()
    };
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '–')).unwrap_or(text.len());
    let written = text[..end].trim_end_matches(['.', '-', '–']);
    let (first, last) = match written.split_once(['-', '–']) {
        Some((first, last)) => (first, last),
        None => (written, written),
    };
    if first.is_empty() || last.is_empty() {
        return None;
    }
    Some(((number(first)?, number(last)?), written.to_string()))
}

/// Whether the phase `id` (`7.1`) is within a milestone's range.
pub(crate) fn in_range(id: &str, (first, last): &PhaseRange) -> bool {
    let Some(number) = id.split('.').map(|part| part.parse::<u32>().ok()).collect::<Option<Vec<u32>>>() else {
        return false;
    };
    *first <= number && number <= *last
}

/// `.planning/STATE.md`: the phase its Current Position names, as a read-only place of that
/// phase whose status is how far the position says it is, and the phase table older projects
/// keep there (`| 1 | Foundation | ✅ Verified | ... |`), read as the ROADMAP's table is.
///
/// The position is GSD's own fields (`Phase: 15 (name) — EXECUTING`, `Plan: 5 of 5` or
/// `Plan: Not started`, `Status: Ready to plan`; in older files `**Current Phase**: 9.2` and
/// `**Phase Status**: ✅ Verified`). `Plan: Not started` says the most (no plan of the phase was
/// executed); else the status line, else the phase line's own word. A position whose words say
/// nothing GSD's vocabulary knows gives no place.
pub fn parse_state(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    progress_table(cx, text, &outline, &mut out, true);
    // The Current Position section, or the whole body where there is none.
    let section = outline
        .headings
        .iter()
        .position(|it| text[it.content].eq_ignore_ascii_case("current position"))
        .map(|at| usize::from(outline.headings[at].line.end())..usize::from(outline.section_end(at, text.len())))
        .unwrap_or(0..text.len());
    let mut phase: Option<(String, TextRange)> = None;
    let mut plan: Option<TextRange> = None;
    let mut status: Option<TextRange> = None;
    for (offset, line) in crate::text::lines_with_offsets(&text[section.clone()]) {
        let start = section.start + offset;
        if outline.in_code(crate::text::size(start)) {
            continue;
        }
        let Some((key, value)) = position_field(line) else { continue };
        let value_range = range(start + value.0, start + value.1);
        match key.to_ascii_lowercase().as_str() {
            "phase" | "current phase" if phase.is_none() => {
                let written = &text[value_range];
                if let Some((number, _)) = leading_number(written) {
                    phase = Some((number, value_range));
                }
            }
            "plan" | "current plan" if plan.is_none() => plan = Some(value_range),
            "status" | "phase status" if status.is_none() => status = Some(value_range),
            _ => {}
        }
    }
    let Some((number, phase_range)) = phase else { return out };
    let not_started = plan.filter(|it| text[*it].trim().to_ascii_lowercase().starts_with("not started"));
    // The phase line's own word: `15 (name) — EXECUTING`.
    let phase_word = {
        let written = &text[phase_range];
        written.rfind(['—', '–']).map(|dash| {
            let after = &written[dash..];
            let word = after.trim_start_matches(['—', '–']).trim_start();
            let begin = usize::from(phase_range.start()) + dash + (after.len() - word.len());
            range(begin, begin + word.trim_end().len())
        })
    };
    let Some((said, marker)) = not_started
        .map(|it| ("Not started", it))
        .or_else(|| status.and_then(|it| position_status(&text[it]).map(|said| (said, it))))
        .or_else(|| phase_word.and_then(|it| position_status(&text[it]).map(|said| (said, it))))
    else {
        return out;
    };
    let mut it = place(
        cx,
        Subject::Task(TaskKey::new(cx.scope, &number)),
        PlaceKind::StatePosition,
        text,
        marker,
        Spelling::Word,
        Scope::Task,
    );
    if let Lookup::Known(id) = cx.profile.lookup(Spelling::Word, said, Scope::Task) {
        it.status = Some(id);
        it.unknown = None;
    } else {
        return out;
    }
    it.editable = crate::model::Editability::ReadOnly("GSD rewrites STATE.md's position as it works");
    it.extent = crate::text::line_range_at(text, usize::from(marker.start()));
    out.places.push(it);
    out
}

/// `Phase: 15`, `- **Current Phase**: 9.2 (...)`, `**Status:** Executing`: the key and where
/// its value is in the line.
fn position_field(line: &str) -> Option<(&str, (usize, usize))> {
    let body = line.trim_end_matches(['\r', '\n']);
    let lead = body.len() - body.trim_start_matches([' ', '-', '*']).len();
    let rest = &body[lead..];
    let colon = rest.find(':')?;
    let key = rest[..colon].trim_end_matches('*').trim();
    if key.is_empty() || key.len() > 20 || !key.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') {
        return None;
    }
    let after = &rest[colon + 1..];
    let value = after.trim_start_matches('*').trim();
    if value.is_empty() {
        return None;
    }
    let start = lead + colon + 1 + after.find(value)?;
    Some((key, (start, start + value.len())))
}

/// What a position's words say in GSD's vocabulary: `Executing Phase 59`, `EXECUTING`, `Ready
/// to plan`, `Phase complete — ready for verification`, `✅ Verified`.
fn position_status(words: &str) -> Option<&'static str> {
    let lower = words.to_lowercase();
    let has = |it: &str| lower.contains(it);
    if has("complete") || has("verified") || has("shipped") {
        Some("Complete")
    } else if has("executing") || has("in progress") {
        Some("In Progress")
    } else if has("blocked") {
        Some("Blocked")
    } else if has("ready to plan") || has("not started") {
        Some("Not started")
    } else {
        // `Ready to execute` is written before the first plan and again after each one (GSD's
        // advance-plan): it says nothing of how far the phase is.
        None
    }
}

/// `.planning/phases/13-quick-fixes/13-01-SUMMARY.md`: GSD wrote it when it executed plan
/// `13-01`, which is then done.
pub fn parse_summary(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let mut parts = cx.path.rsplit('/');
    let name = parts.next().unwrap_or_default();
    let folder = parts.next().unwrap_or_default();
    let Some(plan) = summarized_plan(folder, name) else { return out };
    let mut it = location_place(
        cx,
        TaskKey::new(cx.scope, plan),
        text,
        "complete",
        "GSD writes a plan's summary when it executes the plan",
    );
    it.kind = PlaceKind::SummaryFile;
    out.places.push(it);
    out
}

/// The plan a summary file in phase folder `folder` is of: `13-01-SUMMARY.md` is plan `13-01`;
/// some GSD versions name it after the phase folder, `11-tick-facade-01-SUMMARY.md` in
/// `11-tick-facade/`, which is plan `11-01` too (the phase's number, then the plan's).
fn summarized_plan(folder: &str, name: &str) -> Option<String> {
    let stem = name.strip_suffix("-SUMMARY.md")?;
    if plan_named(stem).is_some() {
        return Some(stem.to_string());
    }
    let plan = stem.strip_prefix(folder)?.strip_prefix('-')?;
    let phase = folder.split('-').next().filter(|it| !it.is_empty())?;
    let plan = format!("{phase}-{plan}");
    plan_named(&plan).filter(|(named, title)| named.len() == plan.len() && title.is_empty())?;
    Some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{RuleCode, Severity};
    use crate::fixture::diagnostics;

    const ROADMAP: &str = "%! .planning/ROADMAP.md\n# Roadmap\n\n## Phases\n\n- [x] **Phase 1: Foundation** - Scaffold\n- [ ] **Phase 2: Import** - Wizard\n- [x] **Phase 3: Export** - CSV\n\n## Phase Details\n\n### Phase 1: Foundation\nPlans:\n- [x] 01-01-PLAN.md -- Scaffold\n\n### Phase 2: Import\nPlans:\n- [x] 02-01-PLAN.md -- Parser\n- [x] 02-02-PLAN.md -- Wizard\n\n### Phase 3: Export\nPlans:\n- [x] 03-01-PLAN.md -- Writer\n- [ ] 03-02-PLAN.md -- Dialog\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status | Completed |\n|---|---|---|---|---|\n| 1. Foundation | v1.0 | 1/1 | Complete | 2026-04-19 |\n| 2. Import | v1.0 | 2/2 | Complete | 2026-04-22 |\n| 3. Export | v1.0 | 1/2 | In Progress | - |\n%! .planning/phases/03-export/03-02-SUMMARY.md\n# Summary\n";

    /// The drift of get-shit-done #956, each kind once: a phase box behind its table row and
    /// its plans, a plan box behind its summary file. The phase done over that box is not
    /// held to it: GSD wrote the plan's summary, so the plan is done and only its box lags.
    #[test]
    fn phases_and_plans_of_a_roadmap() {
        let (index, found) = diagnostics(ROADMAP, None);
        let expected = [
            (RuleCode::StatusMismatch, Severity::Error, "2"),
            (RuleCode::OpenChildren, Severity::Hint, "2"),
            (RuleCode::StatusMismatch, Severity::Error, "3"),
            (RuleCode::StatusMismatch, Severity::Error, "03-02"),
        ];
        crate::fixture::assert_diagnostics(&found, &expected);
        // The summary says the plan was executed: the box is the place behind.
        let behind = found.iter().find(|it| it.task.as_ref().is_some_and(|task| &*task.id == "03-02"));
        assert!(behind.is_some_and(|it| it.message.contains("GSD wrote its summary")), "{behind:?}");
        let plan = crate::ide::task_summary(&index, &TaskKey::new(".planning", "03-02"));
        assert_eq!(plan.title.as_deref(), Some("Dialog"));
        assert!(!plan.agrees());
        let phase = crate::ide::task_summary(&index, &TaskKey::new(".planning", "1"));
        assert!(phase.agrees(), "{phase:?}");
        assert_eq!(phase.places.len(), 2);
    }

    /// agent-workforce's phase 37: its table row says `4/4 | Complete` while its box and every
    /// plan line are open. The row is held to the plans (its box does not answer for them, as
    /// it does not say done): reported at the row, besides the box and row disagreeing.
    /// A summary named after its phase folder (`11-tick-facade-01-SUMMARY.md` in
    /// `11-tick-facade/`, as some GSD versions write it) is plan `11-01`'s: the box left open
    /// beside it is behind (the third hold-out review found the phase blamed instead).
    #[test]
    fn a_summary_named_after_its_phase_folder() {
        assert_eq!(summarized_plan("11-tick-facade", "11-tick-facade-01-SUMMARY.md").as_deref(), Some("11-01"));
        assert_eq!(summarized_plan("11-tick-facade", "11-02-SUMMARY.md").as_deref(), Some("11-02"));
        assert_eq!(summarized_plan("11-tick-facade", "11-tick-facade-SUMMARY.md"), None);
        assert_eq!(summarized_plan("11-tick-facade", "notes-01-SUMMARY.md"), None);
        let fixture = "%! .planning/ROADMAP.md\n# Roadmap\n\n## Phases\n\n- [x] **Phase 11: Tick facade** - Extract\n\n## Phase Details\n\n### Phase 11: Tick facade\nPlans:\n- [ ] 11-01-PLAN.md - First half\n- [x] 11-02-PLAN.md - Second half\n%! .planning/phases/11-tick-facade/11-tick-facade-01-SUMMARY.md\n# Summary\n%! .planning/phases/11-tick-facade/11-tick-facade-02-SUMMARY.md\n# Summary\n";
        let (_, found) = diagnostics(fixture, None);
        let codes: Vec<(RuleCode, String)> = found
            .iter()
            .map(|it| (it.code, it.task.as_ref().map(|task| task.id.to_string()).unwrap_or_default()))
            .collect();
        assert_eq!(codes, [(RuleCode::StatusMismatch, "11-01".to_string())], "{found:?}");
    }

    /// A tracker that marks a plan `[~]` once it ran and a gate of its own is outstanding
    /// (GSD writes `[ ]` and `[x]` only): the summary beside such a box is no disagreement,
    /// in `check` and `show` alike; a `[ ]` box beside its summary is still behind it.
    #[test]
    fn a_plan_held_open_by_the_tracker_beside_its_summary() {
        let fixture = "%! .planning/ROADMAP.md\n# Roadmap\n\n> `[~]` — code-complete, human-verify pending\n\n## Phases\n\n- [~] **Phase 1: Cookbooks** - Households\n\n## Phase Details\n\n### Phase 1: Cookbooks\nPlans:\n- [~] 01-01: Schema — code-complete, human-verify pending\n- [~] 01-02: Switcher — code-complete, human-verify pending\n- [~] 01-03: Invites — code-complete, human-verify pending\n- [ ] 01-04: Rename\n%! .planning/phases/01-cookbooks/01-01-SUMMARY.md\n# Summary\n%! .planning/phases/01-cookbooks/01-02-SUMMARY.md\n# Summary\n%! .planning/phases/01-cookbooks/01-03-SUMMARY.md\n# Summary\n%! .planning/phases/01-cookbooks/01-04-SUMMARY.md\n# Summary\n";
        let (index, found) = diagnostics(fixture, None);
        let mismatched: Vec<&str> = found
            .iter()
            .filter(|it| it.code == RuleCode::StatusMismatch)
            .filter_map(|it| it.task.as_ref().map(|task| &*task.id))
            .collect();
        assert_eq!(mismatched, ["01-04"], "{}", crate::fixture::render(&index, &found));
        let held = crate::ide::task_summary(&index, &TaskKey::new(".planning", "01-02"));
        assert!(held.agrees(), "{held:?}");
        assert!(!crate::ide::task_summary(&index, &TaskKey::new(".planning", "01-04")).agrees());
    }

    #[test]
    fn a_table_row_done_over_open_plans() {
        let roadmap = "%! .planning/ROADMAP.md\n# Roadmap\n\n- [ ] **Phase 37: HITL Approval** - Gates\n- [x] **Phase 38: Audit** - Log\n\n### Phase 37: HITL Approval\nPlans:\n- [ ] 37-01-PLAN.md -- Gate\n- [ ] 37-02-PLAN.md -- Inbox\n\n### Phase 38: Audit\nPlans:\n- [x] 38-01-PLAN.md -- Log\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status | Completed |\n|---|---|---|---|---|\n| 37. HITL Approval | V3.0 | 2/2 | Complete | 2026-03-23 |\n| 38. Audit | V3.0 | 1/1 | Complete | 2026-03-24 |\n";
        let (_, found) = diagnostics(roadmap, None);
        let expected =
            [(RuleCode::StatusMismatch, Severity::Error, "37"), (RuleCode::OpenChildren, Severity::Warning, "37")];
        crate::fixture::assert_diagnostics(&found, &expected);
        let open = found.iter().find(|it| it.code == RuleCode::OpenChildren).expect("open-children");
        assert!(open.message.contains("`Complete` but 2 of the 2"), "{}", open.message);
        assert_eq!(open.related.len(), 2);
    }

    /// glyph's older ROADMAP: no plan lines, each `## Phase N:` section ticks its deliverables
    /// as the work is done. STATE.md's table says phase 1 `Verified` over seven open boxes (a
    /// warning at the row) and phase 2 `Verified` over ticked ones (nothing); a phase under way
    /// with some ticked, and one not begun, say nothing either. A section with plan lines is
    /// read by its plans, never counted.
    #[test]
    fn deliverables_of_an_older_roadmap_against_the_state_table() {
        let files = "%! .planning/ROADMAP.md
# Roadmap

## Phase 1: Foundation

### Deliverables
- [ ] Monorepo
- [ ] CI pipeline

### Success Criteria
- builds

## Phase 2: Core Domain ✅

### Deliverables
- [x] Models
- [x] Schema

## Phase 3: Auth

### Deliverables
- [x] JWT
- [ ] RBAC

## Phase 4: Teams

- [ ] 04-01-PLAN.md -- Users
- [ ] Invite flow
%! .planning/STATE.md
# State

## Phase Summary

| Phase | Name | Status | Plans |
|---|---|---|---|
| 1 | Foundation | ✅ Verified | — |
| 2 | Core Domain | ✅ Verified | — |
| 3 | Auth | 🔄 In Progress | — |
| 4 | Teams | ⚪ Blocked | — |
";
        let (index, found) = diagnostics(files, None);
        crate::fixture::assert_diagnostics(&found, &[(RuleCode::OpenChildren, Severity::Warning, "1")]);
        let open = found.iter().find(|it| it.code == RuleCode::OpenChildren).expect("open-children");
        assert!(
            open.message.contains("`Verified` in the phase table row (.planning/STATE.md:7) but all 2 boxes of its section (.planning/ROADMAP.md:3)"),
            "{}",
            open.message
        );
        let counted = |task: &str| {
            index
                .task(&TaskKey::new(".planning", task))
                .map(|it| it.places.iter().filter(|place| index.place(**place).kind == PlaceKind::PlanProgress).count())
        };
        assert_eq!([counted("1"), counted("2"), counted("3")], [Some(1), Some(1), Some(1)]);
        assert_eq!(counted("4"), Some(0), "phase 4's section has a plan line");
    }

    /// GSD's milestones against the phase boxes of their range: a shipped milestone over an open
    /// phase is a warning; one planned over done phases, or in progress over all done, a hint
    /// (agent-workforce's `| V7.0 | 48-54 (7 phases) | 0/TBD | **Not started** |`). A milestone
    /// whose range holds a phase boxed twice (numbers reused) is not judged.
    #[test]
    fn milestones_against_their_phases() {
        let roadmap = "%! .planning/ROADMAP.md\n# Roadmap\n\n## Milestones\n\n-  ✅  **v1.0 MVP** - Phases 1-2 (shipped 2026-03-03)\n- 🚧 **v1.1 Polish** - Phases 3-3.1 (in progress)\n- **v1.2 Later** - Phases 4-5 (planned)\n- 📋 **v1.3 Reused** - Phases 6-7 (planned)\n\n## Phases\n\n- [x] **Phase 1: Base** - a\n- [ ] **Phase 2: Auth** - b\n- [x] **Phase 3: Look** - c\n- [x] **Phase 3.1: Fix** - d\n- [x] **Phase 4: More** - e\n- [ ] **Phase 5: Rest** - f\n- [x] **Phase 6: One** - g\n- [ ] **Phase 6: Again** - h\n\n## Progress Summary\n\n| Version | Phase | Plans Complete | Status | Completed |\n|---|---|---|---|---|\n| v1.0 | 1-2 (2 phases) | 3/3 | **Shipped** | 2026-03-03 |\n";
        let (index, found) = diagnostics(roadmap, None);
        let said: Vec<(Severity, String, String)> = found
            .iter()
            .filter(|it| it.message.starts_with("milestone"))
            .map(|it| (it.severity, it.message.clone(), index.text(it.file)[it.range].to_string()))
            .collect();
        let expected = [
            (Severity::Warning, "milestone v1.0 MVP is `✅` (phases 1-2), but phase 2 is still open", "✅"),
            (
                Severity::Hint,
                "milestone v1.1 Polish is `🚧` (phases 3-3.1), but all 2 of its phases in this roadmap are done",
                "🚧",
            ),
            (Severity::Hint, "milestone v1.2 Later is `planned` (phases 4-5), but phase 4 is done", "planned"),
            (Severity::Warning, "milestone v1.0 is `Shipped` (phases 1-2), but phase 2 is still open", "Shipped"),
        ];
        let expected: Vec<(Severity, String, String)> =
            expected.iter().map(|(severity, message, at)| (*severity, message.to_string(), at.to_string())).collect();
        assert_eq!(said, expected);
    }

    /// ganka: STATE.md's session record says it stopped after 15-04 while 15-05's summary is
    /// written (and its box ticked): a hint at the record, naming the later plan. A record of
    /// the last plan done, or of no plan at all (`Phase 55 context gathered`), says nothing.
    #[test]
    fn a_session_record_behind_a_later_plan() {
        let roadmap = "%! .planning/ROADMAP.md
# Roadmap

### Phase 15: Dashboard
Plans:
- [x] 15-04-PLAN.md -- Queue
- [x] 15-05-PLAN.md -- Polish
- [ ] 16-01-PLAN.md -- Elsewhere
%! .planning/phases/15-dashboard/15-05-SUMMARY.md
# Summary
";
        let stopped = |record: &str| -> Vec<(Severity, String, String)> {
            let fixture = format!(
                "{roadmap}%! .planning/STATE.md
---
stopped_at: {record}
---

# Project State

## Session Continuity

Stopped at: {record}
"
            );
            let (index, found) = diagnostics(&fixture, None);
            found
                .iter()
                .filter(|it| it.message.contains("session"))
                .map(|it| (it.severity, it.message.clone(), index.text(it.file)[it.range].to_string()))
                .collect()
        };
        let behind = stopped("Completed 15-04-PLAN.md");
        assert_eq!(behind.len(), 1, "{behind:?}");
        assert_eq!(behind[0].0, Severity::Hint);
        assert_eq!(
            behind[0].1,
            "STATE.md says the last session stopped after plan 15-04, but plan 15-05 of phase 15 is done since: the session record was not taken after it"
        );
        assert_eq!(behind[0].2, "15-04");
        assert_eq!(stopped("\"Completed 15-05-PLAN.md\""), vec![]);
        assert_eq!(stopped("Phase 55 context gathered — ready for /gsd:plan-phase 55"), vec![]);
    }

    /// STATE.md's position is a read-only place of the phase it names, held to that phase's
    /// plans: agent-workforce's `Phase: 59` / `Plan: Not started` over three summarized plans
    /// (a warning), ganka's `Phase: 15 (...) — EXECUTING` over five (a hint). A position that
    /// agrees with its plans says nothing; neither does a STATE.md without a position.
    #[test]
    fn state_md_position_against_the_phase_s_plans() {
        let roadmap = "%! .planning/ROADMAP.md\n# Roadmap\n\n### Phase 59: Fan-out\nPlans:\n- [x] 59-01-PLAN.md -- Batch\n- [ ] 59-02-PLAN.md -- Refetch\n\n### Phase 60: Next\nPlans:\n- [ ] 60-01-PLAN.md -- One\n%! .planning/phases/59-fan-out/59-02-SUMMARY.md\n# Summary\n";
        let state = |position: &str| {
            format!(
                "{roadmap}%! .planning/STATE.md\n---\nstatus: executing\n---\n\n# Project State\n\n## Current Position\n\n{position}\n\n## Session\n\nStatus: Ready to plan\n"
            )
        };
        let of_state = |fixture: &str| -> Vec<(Severity, String)> {
            let (_, found) = diagnostics(fixture, None);
            found
                .iter()
                .filter(|it| it.message.starts_with("STATE.md"))
                .map(|it| (it.severity, it.message.clone()))
                .collect()
        };
        let behind = of_state(&state("Phase: 59\nPlan: Not started\nStatus: Executing Phase 59"));
        assert_eq!(behind.len(), 1, "{behind:?}");
        assert_eq!(behind[0].0, Severity::Warning);
        assert!(
            behind[0].1.contains("phase 59 has not begun (`Not started`), but all 2 of its plans are done"),
            "{behind:?}"
        );
        let waiting = of_state(&state("Phase: 59 (fan-out) — EXECUTING\nPlan: 2 of 2"));
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert_eq!(waiting[0].0, Severity::Hint);
        assert!(waiting[0].1.contains("phase 59 is under way (`EXECUTING`)"), "{waiting:?}");
        assert_eq!(of_state(&state("Phase: 60 of 61 (Next)\nPlan: Not started\nStatus: Ready to plan")), vec![]);
        assert_eq!(of_state(&state("Last activity: 2026-04-26")), vec![]);
        // GSD's advance-plan writes `Ready to execute` between plans: no claim.
        assert_eq!(of_state(&state("Phase: 59 (fan-out)\nPlan: 2 of 2\nStatus: Ready to execute")), vec![]);
        // Nor is it compared with the phase's box: GSD moves the position before ROADMAP.md.
        let boxed = "%! .planning/ROADMAP.md\n# Roadmap\n\n- [ ] **Phase 7: Sync** - Pull\n%! .planning/STATE.md\n# State\n\n## Current Position\n\nPhase: 7\nStatus: Phase complete — ready for verification\n";
        let (index, found) = diagnostics(boxed, None);
        assert!(!found.iter().any(|it| it.code == RuleCode::StatusMismatch), "{found:#?}");
        assert!(crate::ide::task_summary(&index, &TaskKey::new(".planning", "7")).agrees());
        // The place is read only: `set` leaves it and says so.
        let index = crate::fixture::index(&state("Phase: 60\nPlan: Not started"));
        let phase = crate::ide::task_summary(&index, &TaskKey::new(".planning", "60"));
        assert_eq!(phase.places.len(), 1, "{phase:?}");
        // An older STATE.md's phase table is read as ROADMAP's is, its emoji left out.
        let table = "%! .planning/STATE.md\n# State\n\n- **Overall Progress**: 50% (1/2 phases)\n\n| Phase | Name | Status | Plans |\n|---|---|---|---|\n| 1 | Foundation | ✅ Verified | — |\n| 10 | Quality | ⚪ Blocked | — |\n";
        let index = crate::fixture::index(table);
        let one = crate::ide::task_summary(&index, &TaskKey::new(".planning", "1"));
        assert_eq!(one.title.as_deref(), Some("Foundation"));
        let (_, status) = index.task_status(&TaskKey::new(".planning", "10")).expect("phase 10 has a status");
        assert_eq!(
            index.task_profile(&TaskKey::new(".planning", "10")).map(|it| it.kind(status)),
            Some(crate::vocabulary::Kind::Blocked)
        );
        // glyph: phases `✅ Verified` whose PLAN files have no SUMMARY (GSD: a plan is done once
        // its summary is written). A phase all of whose plans are summarized is left alone.
        let plans = format!(
            "{table}%! .planning/phases/01-foundation/01-01-PLAN.md\n# Plan\n%! .planning/phases/01-foundation/01-01-SUMMARY.md\n# Summary\n%! .planning/phases/01-foundation/01-02-PLAN.md\n# Plan\n%! .planning/phases/10-quality/10-01-PLAN.md\n# Plan\n"
        );
        let found = of_state(&plans);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Severity::Warning);
        assert!(found[0].1.contains("phase 1 is done (`Verified`), but 1 of its 2 plans is not done"), "{found:?}");
        // glyph's `94% (15/16 phases)` over a table of 21 phases, 16 of them verified.
        let stale = table.replace("50% (1/2 phases)", "94% (15/16 phases)");
        let (_, found) = diagnostics(&stale, None);
        let counts: Vec<&str> =
            found.iter().filter(|it| it.code == RuleCode::StaleCounts).map(|it| it.message.as_str()).collect();
        assert_eq!(
            counts,
            ["STATE.md's progress says 15 of 16 phases, but its phase table lists 2 phases, 1 of them done"]
        );
        let (_, found) = diagnostics(table, None);
        assert!(!found.iter().any(|it| it.code == RuleCode::StaleCounts), "{found:#?}");
        let all_summarized = plans.replace(
            "01-02-PLAN.md\n# Plan\n",
            "01-02-PLAN.md\n# Plan\n%! .planning/phases/01-foundation/01-02-SUMMARY.md\n# Summary\n",
        );
        assert_eq!(of_state(&all_summarized), vec![]);
    }

    /// `set` ticks a plan's box and writes a phase's box and table row in GSD's words; the
    /// summary file is never touched.
    #[test]
    fn set_writes_the_boxes_and_the_table() {
        let index = crate::fixture::index(ROADMAP);
        let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
        let plan = crate::edit::plan_status_change(&index, &TaskKey::new(".planning", "03-02"), "complete", &options)
            .expect("a plan");
        let after = crate::fixture::apply(ROADMAP, &index, &plan);
        assert!(after.contains("- [x] 03-02-PLAN.md -- Dialog"), "{after}");
        let index = crate::fixture::index(&after);
        let phase = crate::edit::plan_status_change(&index, &TaskKey::new(".planning", "3"), "complete", &options)
            .expect("a plan");
        let after = crate::fixture::apply(&after, &index, &phase);
        assert!(after.contains("| 3. Export | v1.0 | 1/2 | Complete | - |"), "{after}");
        let (_, found) = diagnostics(&after, None);
        let left: Vec<String> =
            found.iter().filter_map(|it| it.task.as_ref().map(|task| task.id.to_string())).collect();
        assert_eq!(left, ["2", "2"], "{found:#?}");
    }

    /// Xentient (a fourth hold-out review): `**Complete** (PIR wake bug 9id open)` is the status
    /// `Complete` with its author's note, not a second spelling of it; a status change writes the
    /// word and keeps the note.
    #[test]
    fn a_table_cell_s_status_and_the_note_after_it() {
        let roadmap = "%! .planning/ROADMAP.md\n# Roadmap\n\n| Phase | Goal | Status |\n|---|---|---|\n| 1: Base | Firmware | **Complete** (wake bug open) |\n| 2: Docs | Docs | Complete (two notes left) |\n| 3: Layers | Core | Complete |\n| 4: Sync | Sync | Not started |\n";
        let (_, found) = diagnostics(roadmap, None);
        assert!(found.is_empty(), "{found:#?}");
        let index = crate::fixture::index(roadmap);
        let phase_1 = index.task(&TaskKey::new(".planning", "1")).expect("phase 1");
        let statuses: Vec<&str> = phase_1.places.iter().map(|it| index.place(*it).marker.text.as_str()).collect();
        assert_eq!(statuses, ["Complete"]);
        let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
        let plan = crate::edit::plan_status_change(&index, &TaskKey::new(".planning", "1"), "in_progress", &options)
            .expect("a plan");
        let after = crate::fixture::apply(roadmap, &index, &plan);
        assert!(after.contains("| 1: Base | Firmware | **In Progress** (wake bug open) |"), "{after}");
        assert_eq!(cell_status(" ✅ Verified "), "Verified");
        assert_eq!(cell_status("**Complete**"), "Complete");
    }

    #[test]
    fn phases_plans_and_numbers() {
        assert_eq!(phase_named("**Phase 13: Quick Fixes** - Certificate skip"), Some(("13".into(), "Quick Fixes")));
        assert_eq!(phase_named("Phase 04.2: Tool Selection -- resolver"), Some(("4.2".into(), "Tool Selection")));
        assert_eq!(phase_named("Phase one"), None);
        assert_eq!(plan_named("13-01-PLAN.md -- Connection reliability"), Some(("13-01", "Connection reliability")));
        assert_eq!(plan_named("42-01: TBD"), Some(("42-01", "TBD")));
        assert_eq!(plan_named("01.2-01a-PLAN.md -- Install"), Some(("01.2-01a", "Install")));
        assert_eq!(plan_named("13-01"), Some(("13-01", "")));
        assert_eq!(plan_named("2026-04-22 release"), None);
        assert_eq!(plan_named("GitHub Actions CI"), None);
        assert_eq!(leading_number("13. Quick Fixes"), Some(("13".into(), ". Quick Fixes")));
        assert_eq!(leading_number("38.1 Full Pipeline"), Some(("38.1".into(), " Full Pipeline")));
        assert_eq!(leading_number("01.10"), Some(("1.10".into(), "")));
    }
}
