//! Conductor (Gemini CLI's spec-driven workflow): `conductor/tracks.md` lists the tracks with
//! a box each (`[ ]` new, `[~]` under way, `[x]` done), as a list line, a `## [ ] Track:`
//! heading over a `*Link: ...*` line, or a table row; each track's folder,
//! `conductor/tracks/<id>/`, holds `metadata.json` (`"status": "new"`), `plan.md` (phases of
//! boxes: the work) and often `index.md` (`**Status:** ...`). `/conductor:archive` moves the
//! folder to `conductor/archive/<id>/`.
//!
//! The track's id is its folder's name. Its status is stated by the tracks.md box, the
//! metadata and the index; the plan's boxes say how far the work is (none, some or all
//! checked), a place of its own that taskmark reads and never writes. An archived track's
//! files are its history, and its folder says it was archived.

use crate::markdown::{self, Outline};
use crate::model::{Editability, Item, ParsedFile, PlaceKind, Subject, TaskKey};
use jsonc_parser::ParseOptions;

use crate::parse::json;
use crate::parse::{ParseContext, collect_items, counted_boxes, link, location_place, pidea, place};
use crate::text::{TextRange, lines_with_offsets, range};
use crate::vocabulary::{Kind, Profile, Scope, Spelling};

/// `conductor/tracks.md`: one place per box that names a track's folder.
pub fn parse_tracks(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let lines: Vec<(usize, &str)> =
        lines_with_offsets(text).filter(|(offset, _)| !outline.in_code(crate::text::size(*offset))).collect();
    for (at, (offset, line)) in lines.iter().enumerate() {
        let Some(entry) = entry_box(line) else { continue };
        // A heading's or a list line's link may be on the lines under it (`*Link:
        // [...](./conductor/tracks/<id>/)*`), up to the next entry, heading or rule; a table
        // row's is in the row.
        let block_end = if entry.table {
            at + 1
        } else {
            lines[at + 1..]
                .iter()
                .position(|(_, it)| it.trim_start().starts_with('#') || it.trim() == "---" || entry_box(it).is_some())
                .map_or(lines.len(), |it| at + 1 + it)
        };
        let block = &lines[at..block_end];
        let Some(id) = block.iter().find_map(|(_, it)| track_link(it)) else { continue };
        let key = TaskKey::new(cx.scope, id);
        let marker = range(offset + entry.state, offset + entry.state + 1);
        let mut track =
            place(cx, Subject::Task(key.clone()), PlaceKind::IndexLine, text, marker, Spelling::Checkbox, Scope::Task);
        track.title = Some(entry.title(line).into());
        // The block ends at its last line with text: the blank lines after it separate it from
        // the next entry (`new` copies the separation).
        if let Some((last_offset, last)) = block.iter().rev().find(|(_, it)| !it.trim().is_empty()) {
            track.extent = range(*offset, last_offset + last.len());
        }
        for (offset, line) in block {
            for (start, end, target) in markdown::file_links(line) {
                out.links.push(link(target, range(offset + start, offset + end), Some(key.clone())));
            }
        }
        out.places.push(track);
    }
    out
}

/// A box of tracks.md and where it sits.
struct EntryBox {
    /// The byte of the box's state character in the line.
    state: usize,
    heading: bool,
    table: bool,
}

impl EntryBox {
    /// The track's title as the line gives it: a heading's text after `Track:`, a table's
    /// title cell, a list line's link text.
    fn title<'a>(&self, line: &'a str) -> &'a str {
        let after = line[self.state + 2..].trim();
        // `## [ ] Track: Title` and `- [ ] **Track: Title**`.
        let unbolded = after.trim_matches('*').trim();
        if let Some(title) = unbolded.strip_prefix("Track:") {
            return title.trim().trim_matches('*').trim();
        }
        if self.heading {
            return after;
        }
        if self.table {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            return cells.iter().skip(1).find(|it| !it.is_empty() && !it.starts_with('[')).copied().unwrap_or(after);
        }
        // A list line: `- [ ] Title (…)` with the box first, or `- [Title](link) [ ]` with it
        // last: the title is the link's text where the line starts with a link.
        let leading = line[..self.state - 1].trim_start().len() <= 2;
        let content = if leading { after } else { line.trim_start().trim_start_matches(['-', '*', '+']).trim_start() };
        if let Some(text) = content.strip_prefix('[')
            && let Some(close) = text.find("](")
        {
            return text[..close].trim();
        }
        let end = content.find(" (").or_else(|| content.find(" [")).unwrap_or(content.len());
        content[..end].trim()
    }
}

/// The box of a tracks.md line: `## [x] Track: ...`, `- [ ] ...`, `- [Title](link) [ ]`, or
/// `| [x] | [id](link) | ...`.
fn entry_box(line: &str) -> Option<EntryBox> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let boxed = |at: usize| -> bool {
        let bytes = line.as_bytes();
        bytes.get(at) == Some(&b'[')
            && bytes.get(at + 2) == Some(&b']')
            && line.is_char_boundary(at + 1)
            && line.is_char_boundary(at + 2)
            && matches!(line.as_bytes()[at + 1], b' ' | b'~' | b'x' | b'X')
    };
    if trimmed.starts_with('#') {
        let hashes = trimmed.len() - trimmed.trim_start_matches('#').len();
        let at = indent + hashes + (trimmed[hashes..].len() - trimmed[hashes..].trim_start().len());
        return boxed(at).then_some(EntryBox { state: at + 1, heading: true, table: false });
    }
    if let Some(row) = trimmed.strip_prefix('|') {
        let at = indent + 1 + (row.len() - row.trim_start().len());
        return (boxed(at) && line[at + 3..].trim_start().starts_with('|')).then_some(EntryBox {
            state: at + 1,
            heading: false,
            table: true,
        });
    }
    let bullet = trimmed.strip_prefix(['-', '*', '+']).filter(|it| it.starts_with(' '))?;
    let at = indent + 1 + (bullet.len() - bullet.trim_start().len());
    if boxed(at) {
        return Some(EntryBox { state: at + 1, heading: false, table: false });
    }
    // `- [/verify backups](conductor/tracks/verify-backups/) [ ]`: the box after the link.
    let end = line.trim_end().len();
    (end >= 3 && boxed(end - 3) && !line[..end - 3].ends_with(']')).then_some(EntryBox {
        state: end - 2,
        heading: false,
        table: false,
    })
}

/// The track a line's link names: the folder after `tracks/` or `archive/` in its target
/// (`./conductor/tracks/<id>/`, `./tracks/<id>/index.md`).
fn track_link(line: &str) -> Option<String> {
    let mut at = 0;
    while let Some(open) = line[at..].find("](").map(|it| it + at) {
        let target_start = open + 2;
        let Some(close) = line[target_start..].find(')').map(|it| it + target_start) else { break };
        let parts: Vec<&str> = line[target_start..close].trim().split('/').collect();
        if let Some(folder) = parts.iter().rposition(|it| matches!(*it, "tracks" | "archive"))
            && let Some(id) = parts.get(folder + 1).filter(|it| !it.is_empty() && !it.ends_with(".md"))
        {
            return Some((*id).to_string());
        }
        at = close + 1;
    }
    None
}

/// The track a file in `conductor/{tracks,archive}/<id>/` belongs to.
fn track_of(cx: &ParseContext<'_>) -> TaskKey {
    TaskKey::new(cx.scope, cx.path.rsplit('/').nth(1).unwrap_or_default())
}

/// A track's `metadata.json`: its `status`.
pub fn parse_metadata(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let Some((root, shift)) = json::object_or_problem(text, &ParseOptions::default(), &mut out) else { return out };
    let Some(jsonc_parser::ast::Value::StringLit(status)) = root.get("status").map(|it| &it.value) else {
        return out;
    };
    let marker = json::string_span(shift, status.range);
    let mut it =
        place(cx, Subject::Task(track_of(cx)), PlaceKind::TrackMetadata, text, marker, Spelling::Word, Scope::Task);
    if text[marker] != *status.value {
        it.editable = Editability::ReadOnly("the status string contains escapes");
    }
    // When it was made and when it changed: `set` brings the latter up to date, and a file
    // never changed since it was made says nothing of the track now.
    for key in ["updated_at", "updated", "created_at", "created"] {
        if let Some(field) = root.get(key).and_then(|prop| json::string_field(text, shift, prop))
            && text[field.value_range] == *field.value
        {
            it.fields.push(field);
        }
    }
    it.title =
        ["name", "title", "description"].iter().find_map(|key| root.get_string(key)).map(|title| (*title.value).into());
    out.places.push(it);
    out
}

/// A track's `index.md`: its `**Status:**` line, where it has one.
pub fn parse_index(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    if let Some((place, _)) =
        pidea::status_place(cx, text, &outline, Subject::Task(track_of(cx)), PlaceKind::IndexStatus)
    {
        out.places.push(place);
    }
    out
}

/// A track's `plan.md`: its boxes, what they say of the track counted, and, archived, where
/// its folder is.
pub fn parse_plan(cx: &ParseContext<'_>, text: &str, archived: bool) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let track = track_of(cx);
    let children = collect_items(cx, text, &outline, range(0, text.len()), Some(0), &mut out.items);
    let whole = TextRange::new(0.into(), crate::text::size(text.len()));
    let counted = out.items.iter().filter(|it| !done_with_its_task(&out.items, it, cx.profile));
    if let Some(progress) = counted_boxes(cx, text, &track, counted, range(0, 0), whole) {
        out.places.push(progress);
        out.places[0].child_items = children;
    }
    if archived {
        out.places.push(location_place(
            cx,
            track,
            text,
            "archived",
            "a Conductor track is archived by moving its folder to conductor/archive/",
        ));
    }
    out
}

/// Whether a box of a plan.md is left open under a done task line, and so done with it:
/// Conductor's workflow marks the task line (`- [x] Task: ...` with its commit), the outermost
/// box, and never the boxes indented under it. Such a box is no open work of the track, nor an
/// open child of its task; under a task line still open or under way it is both.
pub(crate) fn done_with_its_task(items: &[Item], item: &Item, profile: &Profile) -> bool {
    let closed = |it: &Item| it.status.is_some_and(|status| profile.kind(status).is_closed());
    if closed(item) {
        return false;
    }
    let Some(mut task_line) = item.parent().and_then(|it| items.get(it)) else { return false };
    // A parent comes before its children, so the walk ends; the bound keeps it finite anyway.
    for _ in 0..items.len() {
        match task_line.parent().and_then(|it| items.get(it)) {
            Some(parent) => task_line = parent,
            None => break,
        }
    }
    task_line.status.is_some_and(|status| profile.kind(status) == Kind::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{RuleCode, Severity};
    use crate::fixture::diagnostics;

    const TRACKS: &str = "%! conductor/tracks.md\n# Project Tracks\n\n---\n\n## [x] Track: Login page\n*Link: [./conductor/tracks/login_20251223/](./conductor/tracks/login_20251223/)*\n\n---\n\n## [~] Track: Search\n*Link: [./conductor/tracks/search_20251223/](./conductor/tracks/search_20251223/)*\n\n---\n\n## [ ] Track: Export\n*Link: [./conductor/tracks/export_20251223/](./conductor/tracks/export_20251223/)*\n\n---\n\n- [x] **Track: Theme**\n  *Link: [./conductor/tracks/theme_20251224/](./conductor/tracks/theme_20251224/)*\n\n---\n\n## [x] Track: Moved\n*Link: [./conductor/tracks/moved_20251225/](./conductor/tracks/moved_20251225/)*\n";

    fn track(folder: &str, id: &str, status: &str, boxes: &str) -> String {
        format!(
            "%! conductor/{folder}/{id}/metadata.json\n{{\n  \"track_id\": \"{id}\",\n  \"status\": \"{status}\",\n  \"created_at\": \"2025-12-23T14:10:00Z\",\n  \"updated_at\": \"2025-12-23T14:10:00Z\"\n}}\n%! conductor/{folder}/{id}/plan.md\n# Plan\n\n## Phase 1: Build\n{boxes}"
        )
    }

    /// The three places of a track and what its plan's boxes say: a track done with its plan
    /// open, a metadata.json behind tracks.md, an archived track whose metadata never moved.
    #[test]
    fn a_track_is_its_box_its_metadata_and_its_plan() {
        let fixture = [
            TRACKS.to_string(),
            track("tracks", "login_20251223", "new", "- [ ] Task: Form\n  - [ ] Sub-task: Fields\n"),
            track("tracks", "search_20251223", "in_progress", "- [x] Task: Index\n- [~] Task: Query\n"),
            track("tracks", "export_20251223", "new", "- [ ] Task: CSV\n"),
            track("tracks", "theme_20251224", "completed", "- [x] Task: Colours\n"),
            // Updated since it was made, and still `new` while tracks.md says done: compared.
            track("tracks", "moved_20251225", "new", "- [x] Task: Move\n")
                .replace("\"updated_at\": \"2025-12-23T14:10:00Z\"", "\"updated_at\": \"2025-12-26T09:00:00Z\""),
            // A folder tracks.md does not list, and a track both live and archived.
            track("tracks", "loose_20251226", "new", "- [ ] Task: Loose\n"),
            track("archive", "export_20251223", "completed", "- [x] Task: CSV\n"),
            track("archive", "setup_20251220", "not started", "- [x] Task: Init\n"),
            track(
                "archive",
                "theme_20251221",
                "completed",
                "- [x] Task: Colours\n- [ ] Task: Fonts\n- [ ] Deferred: Dark mode\n",
            ),
        ]
        .concat();
        let (index, found) = diagnostics(&fixture, None);
        let expected = [
            (RuleCode::StatusMismatch, Severity::Hint, "login_20251223"),
            (RuleCode::OpenChildren, Severity::Warning, "login_20251223"),
            (RuleCode::StatusMismatch, Severity::Hint, "setup_20251220"),
            (RuleCode::OpenChildren, Severity::Warning, "theme_20251221"),
            (RuleCode::StatusMismatch, Severity::Error, "moved_20251225"),
            (RuleCode::OrphanTask, Severity::Warning, "loose_20251226"),
            (RuleCode::DuplicateTask, Severity::Warning, "export_20251223"),
            // Its archived copy says it was finished, the live one that it is new.
            (RuleCode::StatusMismatch, Severity::Error, "export_20251223"),
        ];
        crate::fixture::assert_diagnostics(&found, &expected);
        // The deferred box is set aside: one box of two is open.
        let theme = found.iter().find(|it| it.task.as_ref().is_some_and(|task| &*task.id == "theme_20251221"));
        assert!(theme.is_some_and(|it| it.message.contains("1 of the 2 boxes")), "{theme:?}");
        let login = index.task(&TaskKey::new("conductor", "login_20251223")).expect("the login track");
        let kinds: Vec<PlaceKind> = login.places.iter().map(|it| index.place(*it).kind).collect();
        assert_eq!(kinds, [PlaceKind::IndexLine, PlaceKind::TrackMetadata, PlaceKind::PlanProgress]);
        let shown: Vec<String> = login.places.iter().map(|it| index.place(*it).shown()).collect();
        assert_eq!(shown, ["[x]", "new", "0 of 2 boxes checked"]);
        let search = crate::ide::task_summary(&index, &TaskKey::new("conductor", "search_20251223"));
        assert!(search.agrees() && search.settable, "{search:?}");
        assert_eq!(search.title.as_deref(), Some("Search"));
        // `- [x] **Track: Theme**` over its `*Link:*` line.
        let theme = crate::ide::task_summary(&index, &TaskKey::new("conductor", "theme_20251224"));
        assert_eq!((theme.title.as_deref(), theme.places.len()), (Some("Theme"), 3), "{theme:?}");
    }

    /// Conductor's workflow marks a plan's task line `[~]` then `[x]` (with its commit) and
    /// never the boxes indented under it (50yas/PawPrintFind, BayState): those are part of the
    /// task, done with it. Under a task still open or under way, they are its open work.
    #[test]
    fn boxes_under_a_done_task_line_are_done_with_it() {
        let plan = "- [x] **Task: Update scorer** [eb3bbd3]\n    - [ ] Add unit tests for the scorer.\n    - [ ] Expand the scorer.\n- [x] **Task: Conductor - User Manual Verification 'Phase 1' (Protocol in workflow.md)** [560dee4]\n";
        let fixture = [
            "%! conductor/tracks.md\n- [x] **Track: Two**\n  *Link: [./tracks/two_20260102/](./tracks/two_20260102/)*\n"
                .to_string(),
            track("tracks", "two_20260102", "completed", plan),
            track("archive", "one_20260101", "completed", plan),
        ]
        .concat();
        let (index, found) = diagnostics(&fixture, None);
        assert!(found.is_empty(), "{found:#?}");
        let two = index.task(&TaskKey::new("conductor", "two_20260102")).expect("the live track");
        let shown: Vec<String> = two.places.iter().map(|it| index.place(*it).shown()).collect();
        assert_eq!(shown, ["[x]", "completed", "all 2 boxes checked"]);

        // Under a task under way, they are open: the track done counts them, and a box done
        // under that task over an open one is reported as any checkbox is.
        let plan = "- [x] Task: Index\n  - [ ] Sub-task: Stemming\n- [~] Task: Query\n  - [x] Sub-task: Parser\n    - [ ] Operators\n  - [ ] Sub-task: Ranking\n";
        let fixture = [
            "%! conductor/tracks.md\n- [x] **Track: Search**\n  *Link: [./tracks/search_20260103/](./tracks/search_20260103/)*\n"
                .to_string(),
            track("tracks", "search_20260103", "completed", plan),
        ]
        .concat();
        let (index, found) = diagnostics(&fixture, None);
        let messages: Vec<&str> = found.iter().map(|it| it.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "task search_20260103 is `[x]` in the checkbox index (conductor/tracks.md:1) but 3 of the 5 boxes of its plan (conductor/tracks/search_20260103/plan.md) are still open",
                "checkbox is `[x]` but the only item under it is still open",
            ],
            "{found:#?}"
        );
        let search = index.task(&TaskKey::new("conductor", "search_20260103")).expect("the track");
        let shown: Vec<String> = search.places.iter().map(|it| index.place(*it).shown()).collect();
        assert_eq!(shown, ["[x]", "completed", "2 of 5 boxes checked"]);
    }

    /// Vete's `[~]` tracks over plans of 0/25 with their metadata still `new` as made: the box
    /// is the one ahead of the other two, so the hint is at the box, not at the metadata.
    /// A track cancelled and then archived (Aalwattar/ParrotInk): the archive holds finished
    /// tracks, cancelled ones too, so the folder and the metadata agree.
    #[test]
    fn a_cancelled_track_in_the_archive_is_no_contradiction() {
        let fixture = track("archive", "cleanup_20260212", "cancelled", "- [x] Task: Audit\n");
        let (_, found) = diagnostics(&fixture, None);
        assert!(!found.iter().any(|it| it.code == RuleCode::StatusMismatch), "{found:#?}");
        let fixture = track("archive", "cleanup_20260212", "in_progress", "- [x] Task: Audit\n");
        let (_, found) = diagnostics(&fixture, None);
        assert!(found.iter().any(|it| it.code == RuleCode::StatusMismatch), "an unfinished one still contradicts it");
    }

    /// The other way round (the third hold-out review: `[ ]` and `new` over a plan 26 of 33
    /// boxes done): a track not begun in tracks.md while its plan has boxes done is behind it,
    /// a hint at its box; with none done it says what its plan says.
    #[test]
    fn a_track_not_begun_over_a_plan_with_boxes_done_is_a_hint_at_its_box() {
        let of_export = |boxes: &str| -> Vec<crate::diagnostic::Diagnostic> {
            let fixture = [TRACKS.to_string(), track("tracks", "export_20251223", "new", boxes)].concat();
            let (_, found) = diagnostics(&fixture, None);
            found.into_iter().filter(|it| it.task.as_ref().is_some_and(|task| &*task.id == "export_20251223")).collect()
        };
        let export = of_export("- [x] Task: Writer\n- [x] Task: Dialog\n- [ ] Task: Docs\n");
        assert_eq!(export.len(), 1, "{export:#?}");
        assert_eq!((export[0].code, export[0].severity), (RuleCode::OpenChildren, Severity::Hint));
        assert!(
            export[0].message.contains("is `[ ]` in the checkbox index (conductor/tracks.md:15), but 2 of the 3 boxes"),
            "{}",
            export[0].message
        );
        assert!(of_export("- [ ] Task: Writer\n- [ ] Task: Dialog\n").is_empty());
    }

    #[test]
    fn a_track_under_way_with_nothing_begun_is_a_hint_at_its_box() {
        let fixture =
            [TRACKS.to_string(), track("tracks", "search_20251223", "new", "- [ ] Task: Index\n- [ ] Task: Query\n")]
                .concat();
        // What is said of the search track.
        let of_search = |fixture: &str| -> Vec<crate::diagnostic::Diagnostic> {
            let (_, found) = diagnostics(fixture, None);
            found.into_iter().filter(|it| it.task.as_ref().is_some_and(|task| &*task.id == "search_20251223")).collect()
        };
        let search = of_search(&fixture);
        assert_eq!(search.len(), 1, "{search:#?}");
        assert_eq!((search[0].code, search[0].severity), (RuleCode::OpenChildren, Severity::Hint));
        assert!(
            search[0]
                .message
                .contains("is `[~]` in the checkbox index (conductor/tracks.md:10), but no box of its plan"),
            "{}",
            search[0].message
        );
        // Once a box is under way, the metadata left as made is the one behind.
        let search = of_search(&fixture.replace("- [ ] Task: Index", "- [~] Task: Index"));
        assert_eq!(search.len(), 1, "{search:#?}");
        assert!(search[0].message.contains("metadata.json still says `new`"), "{}", search[0].message);
    }

    /// `set` writes the box and the metadata, never the plan's boxes; a track just started
    /// with no box checked leaves nothing new, and its plan checked all through is a hint.
    #[test]
    fn set_writes_the_box_and_the_metadata() {
        let fixture = [TRACKS.to_string(), track("tracks", "export_20251223", "new", "- [ ] Task: CSV\n")].concat();
        let index = crate::fixture::index(&fixture);
        let task = TaskKey::new("conductor", "export_20251223");
        let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
        let change = crate::edit::plan_status_change(&index, &task, "in_progress", &options).expect("a plan");
        let written: Vec<&str> = change.files.iter().map(|it| it.path.as_str()).collect();
        assert_eq!(written, ["conductor/tracks.md", "conductor/tracks/export_20251223/metadata.json"]);
        let after = crate::fixture::apply(&fixture, &index, &change);
        let metadata = "\"status\": \"in_progress\",\n  \"created_at\": \"2025-12-23T14:10:00Z\",\n  \"updated_at\": \"2026-11-27T10:00:00Z\"";
        assert!(after.contains(metadata), "{after}");
        assert!(change.warnings.is_empty(), "{:?}", change.warnings);
        // The other tracks' folders are not in this fixture: their links are broken.
        let unlinked = |found: Vec<crate::diagnostic::Diagnostic>| -> Vec<crate::diagnostic::Diagnostic> {
            found.into_iter().filter(|it| it.code != RuleCode::BrokenLink).collect()
        };
        let (_, found) = diagnostics(&after, None);
        let found = unlinked(found);
        assert!(found.is_empty(), "{found:#?}");
        let ticked = after.replace("- [ ] Task: CSV", "- [x] Task: CSV");
        let (_, found) = diagnostics(&ticked, None);
        let found = unlinked(found);
        assert_eq!(
            found.iter().map(|it| (it.code, it.severity)).collect::<Vec<_>>(),
            [(RuleCode::OpenChildren, Severity::Hint)]
        );
    }

    #[test]
    fn boxes_of_the_three_layouts() {
        let heading = entry_box("## [~] Track: Fix Tenant Access Control").expect("a heading");
        assert!(heading.heading && heading.state == 4);
        assert_eq!(heading.title("## [~] Track: Fix Tenant Access Control"), "Fix Tenant Access Control");
        let row = "| [x]    | [setup_20260205](./tracks/setup_20260205/index.md) | Conductor Setup | 2026-02-05 |";
        let table = entry_box(row).expect("a row");
        assert_eq!((table.state, table.title(row)), (3, "Conductor Setup"));
        let list = "- [/verify backups](conductor/tracks/verify-backups/) [ ]";
        let trailing = entry_box(list).expect("a trailing box");
        assert_eq!((&list[trailing.state..trailing.state + 1], trailing.title(list)), (" ", "/verify backups"));
        let leading = "- [x] Login page ([link](./tracks/login/))";
        assert_eq!(entry_box(leading).map(|it| (it.state, it.title(leading))), Some((3, "Login page")));
        let linked = "- [ ] [Export](./conductor/tracks/export/)";
        assert_eq!(entry_box(linked).map(|it| it.title(linked)), Some("Export"));
        let bold = "- [x] **Track: Platform Adapter Expansion**";
        assert_eq!(entry_box(bold).map(|it| it.title(bold)), Some("Platform Adapter Expansion"));
        assert!(entry_box("- [Spec](./spec.md)").is_none());
        assert!(entry_box("## Track Status Legend").is_none());
        assert_eq!(track_link("*Link: [./conductor/tracks/a_1/](./conductor/tracks/a_1/)*").as_deref(), Some("a_1"));
        assert_eq!(track_link("| [x] | [id](./tracks/id/index.md) |").as_deref(), Some("id"));
        assert_eq!(track_link("[spec](./spec.md)"), None);
    }
}
