//! From a file's text to its places: one module per tracker format.
//!
//! Parsing never fails. A file that is not what its path promised (a `TODO.md` without task
//! sections, a plan without phases) yields fewer places; JSON or YAML that does not parse
//! yields a [`FileProblem`] and whatever could be read.

pub(crate) mod backlog;
pub(crate) mod checklist;
mod compozy;
pub(crate) mod conductor;
pub(crate) mod gsd;
mod json;
mod minsky;
mod openspec;
mod pidea;
mod plan;
mod prose;
pub(crate) mod state_json;
pub(crate) mod taskmaster;
pub(crate) mod todo;
mod todo_folder;

use std::collections::HashMap;

use crate::layout::{Classification, Role};
use crate::markdown::{self, Outline};
use crate::model::{
    Children, Dependency, Editability, Field, Item, Link, Marker, ParsedFile, Place, PlaceKind, Slot, Subject, TaskKey,
};
use crate::text::{TextRange, range};
use crate::vocabulary::{Lookup, Profile, Scope, Spelling};

pub use todo::has_spec_sections;

/// What a parser needs besides the text.
pub struct ParseContext<'a> {
    pub path: &'a str,
    pub class: &'a Classification,
    pub profile: &'a Profile,
    /// The scope (tracker root) task ids of this file belong to.
    pub scope: &'a str,
    /// Task Master: the tag the untagged task files (`task_NNN.txt`, `.md`) belong to, when not `master`
    /// ([`crate::index::Tracker::untagged_tag`]).
    pub untagged_tag: Option<&'a str>,
}

pub fn parse(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut parsed = parse_role(cx, text);
    if !matches!(
        cx.class.role,
        Role::StateJson
            | Role::ArchiveStateJson
            | Role::TaskStateJson { .. }
            | Role::BacklogConfig
            | Role::TaskMasterTasks
            | Role::TaskMasterText
            | Role::TaskMasterSync
            | Role::TaskMasterState
            | Role::ConductorMetadata { .. }
    ) {
        for piece in markdown::unparsed_pieces(text) {
            parsed.problems.push(crate::model::FileProblem {
                range: crate::text::line_range_at(text, usize::from(piece.start())),
                message: format!(
                    "the {} bytes from here to the next heading are too many lines and markdown punctuation to parse in bounded memory (over {} parser nodes); statuses there are not read: split the file with headings",
                    u32::from(piece.len()),
                    markdown::PIECE_NODE_LIMIT
                ),
            });
        }
    }
    parsed
}

fn parse_role(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    match cx.class.role {
        Role::Todo => {
            if cx.class.family == Some(crate::layout::Family::SpecFolder) {
                todo::parse(cx, text)
            } else {
                checklist::parse(cx, text)
            }
        }
        Role::StateJson => state_json::parse(cx, text, state_json::Kind::Main),
        Role::ArchiveStateJson => state_json::parse(cx, text, state_json::Kind::Archive),
        Role::TaskStateJson { archived } => state_json::parse(cx, text, state_json::Kind::Task { archived }),
        Role::Plan { .. } => plan::parse(cx, text),
        Role::MinskyIndex => minsky::parse_index(cx, text),
        Role::MinskySpec => minsky::parse_spec(cx, text),
        Role::CompozyIndex => compozy::parse_index(cx, text),
        Role::CompozyTask => compozy::parse_task(cx, text),
        Role::CompozyMeta => compozy::parse_meta(text),
        Role::SpecKitTasks => checklist::parse_spec_kit(cx, text),
        Role::BacklogTask => backlog::parse(cx, text),
        Role::PideaIndex => pidea::parse_index(cx, text),
        Role::PideaPhase => pidea::parse_phase(cx, text),
        Role::Prose => prose(text),
        Role::BacklogConfig | Role::TaskMasterState => ParsedFile::default(),
        Role::TaskMasterTasks => taskmaster::parse_tasks(cx, text),
        Role::TaskMasterText => taskmaster::parse_text(cx, text),
        Role::TaskMasterSync => taskmaster::parse_sync_state(cx, text),
        Role::OpenSpecTasks { archived } => openspec::parse_tasks(cx, text, archived),
        Role::TodoFolderTask => todo_folder::parse_task(cx, text),
        Role::ConductorTracks => conductor::parse_tracks(cx, text),
        Role::ConductorMetadata { .. } => conductor::parse_metadata(cx, text),
        Role::ConductorPlan { archived } => conductor::parse_plan(cx, text, archived),
        Role::ConductorIndex { .. } => conductor::parse_index(cx, text),
        Role::GsdRoadmap => gsd::parse_roadmap(cx, text),
        Role::GsdSummary => gsd::parse_summary(cx, text),
        Role::GsdState => gsd::parse_state(cx, text),
    }
}

/// A prose document: statuses written with emoji, for information only. Needs no vocabulary.
pub fn prose(text: &str) -> ParsedFile {
    prose::parse(text)
}

/// Reads the status list of a Backlog.md `config.yml`.
pub fn backlog_statuses(text: &str) -> Result<Vec<String>, crate::model::FileProblem> {
    backlog::statuses(text)
}

impl ParseContext<'_> {
    /// Whether a place keeps a metadata field: the rules and the planner read timestamps and the
    /// fields statuses require; descriptions and the like are not copied.
    pub(crate) fn keeps_field(&self, name: &str) -> bool {
        is_timestamp_key(name) || self.profile.names_field(name) || contains_ignore_case(name, "reason")
    }
}

/// Builds a place, resolving its marker against the profile.
#[allow(clippy::too_many_arguments)]
/// A task's status said by where its file is (a status folder, the archive, a `DONE-` name): a
/// place without text in the file, read only, since only moving or renaming the file changes
/// it (`why` says so).
pub(crate) fn location_place(
    cx: &ParseContext<'_>,
    task: crate::model::TaskKey,
    text: &str,
    said: &str,
    why: &'static str,
) -> Place {
    let mut it =
        place(cx, Subject::Task(task), PlaceKind::StatusFolder, text, range(0, 0), Spelling::Word, Scope::Task);
    it.marker.text = said.into();
    match cx.profile.lookup(Spelling::Word, said, Scope::Task) {
        Lookup::Known(id) => {
            it.status = Some(id);
            it.unknown = None;
        }
        Lookup::Unknown(unknown) => it.unknown = Some(Box::new(unknown)),
    }
    it.editable = crate::model::Editability::ReadOnly(why);
    it
}

/// What a run of boxes says of the task they are the work of (Conductor's plan.md, a GSD phase's
/// deliverables in ROADMAP.md): none checked, some (or one under way), all. A read-only place
/// at `at` speaking for `extent`, in the vocabulary's three plan statuses; `None` without boxes,
/// or in a vocabulary without those statuses (a configured one: the boxes are still items).
pub(crate) fn counted_boxes<'a>(
    cx: &ParseContext<'_>,
    text: &str,
    task: &TaskKey,
    mut items: impl Iterator<Item = &'a Item> + Clone,
    at: TextRange,
    extent: TextRange,
) -> Option<Place> {
    use crate::profiles::{PLAN_ALL_DONE, PLAN_NOT_BEGUN, PLAN_UNDER_WAY};
    use crate::vocabulary::Kind;
    let total = items.clone().count();
    if total == 0 {
        return None;
    }
    let kind = |it: &Item| it.status.map(|status| cx.profile.kind(status));
    let done = items.clone().filter(|it| matches!(kind(it), Some(Kind::Done | Kind::Cancelled))).count();
    let started = items.any(|it| kind(it) == Some(Kind::Active));
    let (id, said) = match done {
        0 if !started => (PLAN_NOT_BEGUN, format!("0 of {total} boxes checked")),
        done if done == total => (PLAN_ALL_DONE, format!("all {total} boxes checked")),
        done => (PLAN_UNDER_WAY, format!("{done} of {total} boxes checked")),
    };
    let status = cx.profile.by_id(id)?;
    let mut it = place(cx, Subject::Task(task.clone()), PlaceKind::PlanProgress, text, at, Spelling::Word, Scope::Task);
    it.marker.text = said.into();
    it.status = Some(status);
    it.unknown = None;
    it.editable = Editability::ReadOnly("the plan's boxes say how far the work is: tick them as it is done");
    it.extent = extent;
    Some(it)
}

pub(crate) fn place(
    cx: &ParseContext<'_>,
    subject: Subject,
    kind: PlaceKind,
    text: &str,
    marker_range: TextRange,
    spelling: Spelling,
    scope: Scope,
) -> Place {
    let marker_text = smol_str::SmolStr::new(&text[marker_range]);
    let (status, unknown) = match cx.profile.lookup(spelling, &marker_text, scope) {
        Lookup::Known(id) => (Some(id), None),
        // A marker with one certain reading keeps it, so the place stays in every check.
        Lookup::Unknown(unknown) => (unknown.stands_for, Some(unknown)),
    };
    Place {
        subject,
        kind,
        marker: Marker { range: marker_range, text: marker_text, spelling, scope },
        status,
        unknown: unknown.map(Box::new),
        trailing: None,
        tag: None,
        line: crate::text::line_range_at(text, usize::from(marker_range.start())),
        title: None,
        fields: Vec::new(),
        field_insert: None,
        dependencies: Vec::new(),
        child_places: Children::default(),
        child_items: Children::default(),
        editable: Editability::Editable,
        done_mark: None,
        heading_number: None,
        extent: crate::text::line_range_at(text, usize::from(marker_range.start())),
    }
}

/// Splits a `**Status**:` value into its marker and trailing text. A bracketed marker ends at
/// its `]`; a bare word marker (`Completed`, legacy) is the whole value.
pub(crate) fn split_status_value(value: &str, value_start: usize) -> (TextRange, Option<TextRange>) {
    if value.starts_with('[')
        && let Some(close) = value.find(']')
    {
        let marker = range(value_start, value_start + close + 1);
        let rest = &value[close + 1..];
        let trailing_text = rest.trim();
        let trailing = (!trailing_text.is_empty()).then(|| {
            let start = value_start + close + 1 + (rest.len() - rest.trim_start().len());
            range(start, start + trailing_text.len())
        });
        return (marker, trailing);
    }
    (range(value_start, value_start + value.len()), None)
}

/// Checkbox list items inside `within`, with their nesting and owner.
pub(crate) fn collect_items(
    cx: &ParseContext<'_>,
    text: &str,
    outline: &Outline,
    within: TextRange,
    owner: Option<usize>,
    items: &mut Vec<Item>,
) -> Children {
    let first = items.len();
    // Open checkbox ancestors: (depth, item index, end of its range).
    let mut stack: Vec<(u32, usize, crate::text::TextSize)> = Vec::new();
    // Items numbered as an outline (`2.`, `2.5`), by number, for subtasks written flat.
    let mut numbered: HashMap<&str, usize> = HashMap::new();
    for (list_item, line, checkbox) in outline.checkboxes_and_optional(text, within) {
        // Optional boxes are Kiro's (read where its numbered tasks are), text elsewhere.
        if checkbox.optional && !cx.profile.numbered_tasks {
            continue;
        }
        let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) else { continue };
        while stack.last().is_some_and(|(depth, _, end)| *depth >= list_item.depth || *end <= list_item.range.start()) {
            stack.pop();
        }
        let index = items.len();
        let number = outline_number(&text[item.text]);
        // Nested as written; else, numbered `2.5` right after `2.` at the same depth (Kiro
        // writes subtasks flat at column 0 as often as indented), its number's parent.
        let parent = stack.last().map(|it| it.1).or_else(|| {
            let (parent, _) = number?.rsplit_once('.')?;
            numbered.get(parent).copied().filter(|it| items[*it].depth <= list_item.depth)
        });
        items.push(Item { parent_item: parent.map(Slot::new), owner: owner.map(Slot::new), ..item });
        if let Some(number) = number {
            numbered.insert(number, index);
        }
        stack.push((list_item.depth, index, list_item.range.end()));
    }
    Children::new(first..items.len())
}

/// The outline number an item's text starts with: `2` for `2. Title`, `2.5` for `2.5 Title` or
/// `2.5. Title`; none for text that does not start with one followed by a space.
pub(crate) fn outline_number(text: &str) -> Option<&str> {
    let end = text.find(|it: char| !(it.is_ascii_digit() || it == '.')).unwrap_or(text.len());
    let number = text[..end].trim_end_matches('.');
    // `2 apples` is no outline number; `2.` and `2.5` are.
    let well_formed = text[..end].contains('.') && !number.is_empty() && number.split('.').all(|it| !it.is_empty());
    let spaced = text[end..].starts_with([' ', '\t']) || (end == text.len() && end > number.len());
    (well_formed && spaced && end > 0).then_some(number)
}

pub(crate) fn item_from_checkbox(
    cx: &ParseContext<'_>,
    text: &str,
    line: TextRange,
    checkbox: &markdown::CheckboxLine<'_>,
    depth: u32,
) -> Option<Item> {
    let mut chars = checkbox.state.chars();
    let state_char = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let known = cx.profile.statuses.iter().any(|it| it.checkbox.contains(&state_char));
    // `- [P] tasks = ...` and `- [1] footnote`: a letter or digit that is no status of this
    // vocabulary is a tag, not a checkbox.
    if !known && state_char.is_alphanumeric() && !matches!(state_char, 'x' | 'X') {
        return None;
    }
    let base = usize::from(line.start());
    let marker_range = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
    let (status, unknown) = match cx.profile.lookup(Spelling::Checkbox, checkbox.state, Scope::Task) {
        Lookup::Known(id) => (Some(id), None),
        // A marker with one certain reading keeps it, so the place stays in every check.
        Lookup::Unknown(unknown) => (unknown.stands_for, Some(unknown)),
    };
    let mut item = Item {
        state: state_char,
        marker_range,
        status,
        unknown: unknown.map(Box::new),
        depth,
        parent_item: None,
        owner: None,
        optional: checkbox.optional,
        text: {
            let after = &text[line][checkbox.text_start..];
            let start = usize::from(line.start()) + checkbox.text_start;
            range(start, start + after.trim_end().len())
        },
    };
    checklist::read_item_text(cx.profile, text, &mut item);
    Some(item)
}

/// A field read from a `**Name**: value` line.
pub(crate) fn field_from_line(line: TextRange, field: &markdown::FieldLine<'_>) -> Field {
    let base = usize::from(line.start());
    Field {
        name: smol_str::SmolStr::new(field.name),
        value: smol_str::SmolStr::new(field.value),
        value_range: range(base + field.value_start, base + field.value_start + field.value.len()),
        line,
    }
}

/// Task numbers in a `**Dependencies**:` value: `529, 530`, `Task 499`, `#12`. `None` and
/// `N/A` mean no dependencies.
pub(crate) fn numeric_dependencies(value: &str, value_start: usize) -> Vec<Dependency> {
    let folded = value.trim().to_ascii_lowercase();
    if folded.is_empty() || folded.starts_with("none") || folded.starts_with("n/a") || folded == "-" {
        return Vec::new();
    }
    let mut deps = Vec::new();
    let bytes = value.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit() && (at == 0 || !bytes[at - 1].is_ascii_alphanumeric() && bytes[at - 1] != b'.') {
            let end = at + value[at..].len() - value[at..].trim_start_matches(|c: char| c.is_ascii_digit()).len();
            // `2.5 hours`, `v1`, `3rd`: not task numbers.
            let next = bytes.get(end).copied();
            if !matches!(next, Some(b'.') if bytes.get(end + 1).is_some_and(|it| it.is_ascii_digit()))
                && !next.is_some_and(|it| it.is_ascii_alphabetic())
            {
                deps.push(Dependency {
                    id: markdown::numeric_id(&value[at..end]),
                    range: range(value_start + at, value_start + end),
                });
            }
            at = end;
        } else {
            at += 1;
        }
    }
    deps
}

/// A link from a tracker place, with whether it is an absolute local path.
pub(crate) fn link(target: &str, link_range: TextRange, task: Option<crate::model::TaskKey>) -> Link {
    let clean = target.split('#').next().unwrap_or(target);
    let absolute = clean.starts_with('/') || clean.starts_with('~') || clean.get(1..3) == Some(":\\");
    Link { target: target.to_string(), range: link_range, task, absolute }
}

/// Field names that hold timestamps, as the spec-folder standard names them.
pub(crate) const TIMESTAMP_FIELDS: [&str; 12] = [
    "Created",
    "Started",
    "Researched",
    "Planned",
    "Revised",
    "Implemented",
    "Completed",
    "Blocked",
    "Abandoned",
    "Expanded",
    "Last Updated",
    "Partial",
];

pub fn is_timestamp_field(name: &str) -> bool {
    TIMESTAMP_FIELDS.iter().any(|it| it.eq_ignore_ascii_case(name))
}

/// Keys of JSON and YAML that hold timestamps: the state names (`completed`), `*_at`,
/// `*_date`, `last_updated`, `_last_updated`, `last_sync`.
pub(crate) fn is_timestamp_key(name: &str) -> bool {
    // Called for every field of every place: compare without allocating.
    // Bytes, not characters: a suffix of a name may start inside a multi-byte character.
    let name = name.trim_start_matches('_').as_bytes();
    let same = |a: &[u8], b: &str| {
        a.len() == b.len()
            && a.iter().zip(b.bytes()).all(|(x, y)| {
                let fold = |c: u8| if c == b'_' || c == b'-' { b' ' } else { c.to_ascii_lowercase() };
                fold(*x) == fold(y)
            })
    };
    let ends = |suffix: &str| name.len() > suffix.len() && same(&name[name.len() - suffix.len()..], suffix);
    TIMESTAMP_FIELDS.iter().any(|it| same(name, it))
        || ends(" at")
        || ends(" date")
        || name.windows("updated".len()).any(|window| window.eq_ignore_ascii_case(b"updated"))
        || same(name, "last sync")
        || same(name, "archived")
}

pub(crate) use crate::text::contains_ignore_case;

/// Field names whose links point at plans, reports, summaries and specs.
pub(crate) fn is_artifact_field(name: &str) -> bool {
    // Asked of every field of every place: compared in place, without a lowercase copy.
    ["plan", "research", "report", "summar", "artifact", "spec"].iter().any(|it| contains_ignore_case(name, it))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_keys() {
        for key in
            ["completed", "Last Updated", "last_updated", "_last_updated", "created_at", "updated_date", "Started"]
        {
            assert!(is_timestamp_key(key), "{key}");
        }
        for key in ["status", "project_name", "Effort", "é at", "日本 date"] {
            assert_eq!(is_timestamp_key(key), key.ends_with(" at") || key.ends_with(" date"), "{key}");
        }
        assert!(!is_timestamp_key("Ü"));
    }

    #[test]
    fn dependency_numbers() {
        let ids = |value: &str| numeric_dependencies(value, 0).into_iter().map(|it| it.id).collect::<Vec<_>>();
        assert_eq!(ids("529, 530"), vec!["529", "530"]);
        assert_eq!(ids("Task 058 (blocked), #12"), vec!["58", "12"]);
        assert_eq!(ids("None"), Vec::<String>::new());
        assert_eq!(ids("2.5 hours of v1"), Vec::<String>::new());
    }

    #[test]
    fn link_candidates_climb_to_the_root() {
        let it = link("specs/1_x/plans/p.md", range(0, 1), None);
        let candidates: Vec<String> = it.candidates("a/specs/TODO.md").collect();
        assert_eq!(candidates, vec!["a/specs/specs/1_x/plans/p.md", "a/specs/1_x/plans/p.md", "specs/1_x/plans/p.md"]);
        let it = link("/home/u/p.md", range(0, 1), None);
        assert!(it.absolute && it.candidates("specs/TODO.md").next().is_none());
        let it = link("../reports/r.md#top", range(0, 1), None);
        assert_eq!(it.candidates("specs/1_x/plans/p.md").next().as_deref(), Some("specs/1_x/reports/r.md"));
        let it = link("../../../../x.md", range(0, 1), None);
        assert_eq!(it.candidates("a/b.md").count(), 0);
    }

    #[test]
    fn the_first_accepted_candidate_is_the_one_candidates_would_give() {
        let files = ["a/specs/1_x/plans/p.md", "specs/1_x/plans/p.md", "a/x.md", "x.md", "a/b/r.md"];
        let accepts = |it: &str| files.contains(&it);
        for target in
            ["specs/1_x/plans/p.md", "1_x/plans/p.md", "x.md#top", "../x.md", "./b/r.md", "b//r.md", "nowhere.md"]
        {
            for from in ["a/specs/TODO.md", "a/b/c.md", "TODO.md", "a//b/c.md"] {
                let it = link(target, range(0, 1), None);
                let expected = it.candidates(from).find(|it| accepts(it));
                assert_eq!(it.find_candidate(from, accepts), expected, "{target} from {from}");
            }
        }
        let absolute = link("/x.md", range(0, 1), None);
        assert_eq!(absolute.find_candidate("a/TODO.md", |_| true), None);
    }

    #[test]
    fn status_values_split_off_trailing_text() {
        let value = "[COMPLETED] -- all 7 phases";
        let (marker, trailing) = split_status_value(value, 10);
        assert_eq!((marker, trailing), (range(10, 21), Some(range(22, 37))));
        assert_eq!(split_status_value("Completed", 0), (range(0, 9), None));
    }

    #[test]
    fn outline_numbers_start_an_item_s_text() {
        assert_eq!(outline_number("2. Build the import"), Some("2"));
        assert_eq!(outline_number("2.5 Parse the sheet"), Some("2.5"));
        assert_eq!(outline_number("2.5. Parse"), Some("2.5"));
        assert_eq!(outline_number("10.2.1\tDeep"), Some("10.2.1"));
        assert_eq!(outline_number("2 apples"), None, "no dot: a count, not an outline");
        assert_eq!(outline_number("2.0release"), None);
        assert_eq!(outline_number("1..2 twice"), None);
        assert_eq!(outline_number("Title 2.5"), None);
        assert_eq!(outline_number(".5 half"), None);
    }
}
