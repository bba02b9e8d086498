//! `specs/state.json` (`active_projects`, `completed_projects`), archive state files and the
//! per-task `specs/NNN_slug/state.json`.

use jsonc_parser::ast::{Object, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use crate::markdown;
use crate::model::{
    Counter, Counters, Dependency, Editability, Field, FieldInsert, FieldStyle, ParsedFile, Place, PlaceKind, Subject,
    TaskKey,
};
use crate::parse::json::{self, array_objects};
use crate::parse::{ParseContext, is_timestamp_key, link, place};
use crate::text::{TextRange, line_range_at};
use crate::vocabulary::{self, Scope, Spelling, StatusId};

pub enum Kind {
    Main,
    Archive,
    Task { archived: bool },
}

/// state.json is plain JSON; comments or trailing commas are errors worth reporting.
fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Where each task entry of a `state.json` (or archive state file) is, and what it gave the
/// parse, so that an edit inside one entry re-reads only that entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// In the order the parse read them (its places, links and archived tasks are in this
    /// order too, each entry's together).
    pub entries: Vec<EntrySpan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySpan {
    /// The entry's object, braces included.
    pub range: TextRange,
    pub kind: PlaceKind,
    pub places: std::ops::Range<usize>,
    pub links: std::ops::Range<usize>,
    pub archived: std::ops::Range<usize>,
}

pub fn parse(cx: &ParseContext<'_>, text: &str, kind: Kind) -> ParsedFile {
    parse_with_layout(cx, text, kind).0
}

/// [`parse`], with where its entries are (none for a per-task state file, small enough to read
/// whole, or for a file that does not parse).
pub fn parse_with_layout(cx: &ParseContext<'_>, text: &str, kind: Kind) -> (ParsedFile, Option<Layout>) {
    let mut layout = Layout { entries: Vec::new() };
    let out = read(cx, text, kind, &mut layout);
    let whole = out.problems.is_empty() && !layout.entries.is_empty();
    (out, whole.then_some(layout))
}

/// Re-reads one entry after an edit inside it: `range` is the entry's object in the new
/// `text`, braces included. `None` when the text there is no longer one JSON object (the file
/// is then read whole).
pub fn reparse_entry(cx: &ParseContext<'_>, text: &str, range: TextRange, kind: PlaceKind) -> Option<ParsedFile> {
    let slice = text.get(std::ops::Range::<usize>::from(range))?;
    let ast = parse_to_ast(slice, &CollectOptions::default(), &strict()).ok()?;
    let Some(Value::Object(object)) = ast.value else { return None };
    if object.range.start != 0 || object.range.end != slice.len() {
        return None;
    }
    let mut out = ParsedFile::default();
    Reader { cx, text, shift: usize::from(range.start()), status_or_phase: false }.entry(&object, kind, &mut out);
    Some(out)
}

fn read(cx: &ParseContext<'_>, text: &str, kind: Kind, layout: &mut Layout) -> ParsedFile {
    let mut out = ParsedFile::default();
    let Some((root, shift)) = json::object_or_problem(text, &strict(), &mut out) else { return out };
    let reader = Reader { cx, text, shift, status_or_phase: false };
    for object in std::iter::once(&root).chain(root.get_object("metadata")) {
        for prop in object.properties.iter().filter(|prop| is_timestamp_key(prop.name.as_str())) {
            out.timestamps.extend(json::string_field(text, shift, prop));
        }
    }
    match kind {
        Kind::Main => {
            // Older trees keep tasks no command has touched yet in `pending_tasks`.
            for key in ["active_projects", "pending_tasks"] {
                for entry in array_objects(&root, key) {
                    reader.spanned_entry(entry, PlaceKind::StateJson, &mut out, layout);
                }
            }
            for entry in array_objects(&root, "completed_projects") {
                reader.spanned_entry(entry, PlaceKind::ArchivedStateJson, &mut out, layout);
            }
            let number = |value: &Value<'_>, key: &str| match value {
                Value::NumberLit(number) => Some(Counter {
                    key: key.into(),
                    value: number.value.parse::<u64>().ok()?,
                    range: reader.range(number.range),
                }),
                _ => None,
            };
            let next_project_number =
                root.get("next_project_number").and_then(|it| number(&it.value, "next_project_number"));
            // `task_counts` as TODO.md's frontmatter keeps it (`active`, `total`, one per status).
            let task_counts: Vec<Counter> = match root.get("task_counts").map(|it| &it.value) {
                Some(Value::Object(counts)) => {
                    counts.properties.iter().filter_map(|it| number(&it.value, it.name.as_str())).collect()
                }
                _ => Vec::new(),
            };
            if next_project_number.is_some() || !task_counts.is_empty() {
                out.counters = Some(Counters { next_project_number, task_counts, ..Counters::default() });
            }
        }
        Kind::Archive => {
            for key in ["archived_projects", "completed_projects", "active_projects"] {
                for entry in array_objects(&root, key) {
                    reader.spanned_entry(entry, PlaceKind::ArchivedStateJson, &mut out, layout);
                }
            }
        }
        Kind::Task { archived } => {
            let kind = if archived { PlaceKind::ArchivedStateJson } else { PlaceKind::TaskStateJson };
            let reader = Reader { status_or_phase: true, ..reader };
            reader.entry(&root, kind, &mut out);
        }
    }
    out
}

struct Reader<'a> {
    cx: &'a ParseContext<'a>,
    text: &'a str,
    shift: usize,
    /// A task folder's own state.json, where an older layout kept the workflow's status in
    /// `phase` and a lifecycle word (`active`) in `status`: see [`Reader::status_value`].
    status_or_phase: bool,
}

impl Reader<'_> {
    fn range(&self, it: jsonc_parser::common::Range) -> TextRange {
        json::span(self.shift, it)
    }

    /// The inside of a string literal, without its quotes.
    fn string_range(&self, it: jsonc_parser::common::Range) -> TextRange {
        json::string_span(self.shift, it)
    }

    /// A `completed_projects` entry without a `status` says "completed" by where it is: a
    /// place of the task at its `project_number`, read as completed, never rewritten (there is
    /// no status to rewrite; moving the entry is the user's call).
    fn implied_completion(&self, object: &Object<'_>, key: TaskKey, out: &mut ParsedFile) {
        let Some(Value::NumberLit(number)) = object.get("project_number").map(|it| &it.value) else { return };
        let statuses = &self.cx.profile.statuses;
        let completed = statuses.iter().position(|it| it.json.as_deref() == Some("completed"));
        let Some(completed) = completed.or_else(|| {
            statuses.iter().position(|it| it.kind == vocabulary::Kind::Done && it.task && it.json.is_some())
        }) else {
            return;
        };
        let id = StatusId(completed as u16);
        let Some(json) = self.cx.profile.status(id).json.clone() else { return };
        let mut place = place(
            self.cx,
            Subject::Task(key),
            PlaceKind::ArchivedStateJson,
            self.text,
            self.range(number.range),
            Spelling::Json,
            Scope::Task,
        );
        place.marker.text = smol_str::SmolStr::new(format!("{json} (in completed_projects)"));
        place.status = Some(id);
        place.unknown = None;
        place.editable =
            Editability::ReadOnly("the completed_projects entry has no status to change: move the entry by hand");
        place.title = entry_title(object);
        place.extent = self.range(object.range);
        out.places.push(place);
    }

    /// [`Reader::entry`], recording where the entry is and what it gave.
    fn spanned_entry(&self, object: &Object<'_>, kind: PlaceKind, out: &mut ParsedFile, layout: &mut Layout) {
        let (places, links, archived) = (out.places.len(), out.links.len(), out.archived.len());
        self.entry(object, kind, out);
        layout.entries.push(EntrySpan {
            range: self.range(object.range),
            kind,
            places: places..out.places.len(),
            links: links..out.links.len(),
            archived: archived..out.archived.len(),
        });
    }

    fn entry(&self, object: &Object<'_>, kind: PlaceKind, out: &mut ParsedFile) {
        let id = match object.get("project_number").map(|it| &it.value) {
            Some(Value::NumberLit(number)) => number.value.to_string(),
            Some(Value::StringLit(string)) => string.value.to_string(),
            _ => return,
        };
        let Some((_, digits)) = markdown::leading_number(&id) else { return };
        let key = TaskKey::new(self.cx.scope, markdown::numeric_id(digits));
        // Only timestamps are fields of a state.json place: descriptions and summaries are not
        // read, so they are not copied.
        let fields: Vec<Field> = object
            .properties
            .iter()
            .filter(|prop| is_timestamp_key(prop.name.as_str()))
            .filter_map(|prop| json::string_field(self.text, self.shift, prop))
            .collect();
        self.links(object, &key, out);
        let Some(status) = self.status_value(object) else {
            if kind == PlaceKind::ArchivedStateJson {
                out.archived.push(key.clone());
                self.implied_completion(object, key, out);
            }
            return;
        };
        let marker_range = self.string_range(status.range);
        let mut place: Place =
            place(self.cx, Subject::Task(key.clone()), kind, self.text, marker_range, Spelling::Json, Scope::Task);
        if self.text[marker_range] != *status.value {
            place.editable = Editability::ReadOnly("the status string contains escapes");
        }
        place.title = entry_title(object);
        place.extent = self.range(object.range);
        place.dependencies = object
            .get_array("dependencies")
            .into_iter()
            .flat_map(|it| it.elements.iter())
            .filter_map(|element| {
                let (raw, element_range) = match element {
                    Value::NumberLit(number) => (number.value.to_string(), self.range(number.range)),
                    Value::StringLit(string) => (string.value.to_string(), self.string_range(string.range)),
                    _ => return None,
                };
                let (_, digits) = markdown::leading_number(&raw)?;
                Some(Dependency { id: markdown::numeric_id(digits), range: element_range })
            })
            .collect();
        if let Some(last) = object.properties.last() {
            let line = line_range_at(self.text, self.shift + last.range.start);
            let line_text = &self.text[line];
            let indent = line_text[..line_text.len() - line_text.trim_start().len()].to_string();
            let inline = line.contains(crate::text::size(self.shift + object.range.start));
            place.field_insert = Some(FieldInsert {
                at: self.range(last.range).end(),
                style: FieldStyle::Json { indent: indent.into(), after: self.range(last.range).end(), inline },
            });
        }
        place.fields = fields;
        if kind == PlaceKind::ArchivedStateJson {
            out.archived.push(key);
        }
        out.places.push(place);
    }

    /// The string that holds an entry's status: its `status`, except in a task folder's
    /// state.json of the older layout (`"phase": "planning"` beside `"status": "active"`),
    /// where `status` holds no word of the vocabulary and `phase` holds one: there `phase`
    /// is what the workflow writes and what must agree with the task's other places.
    fn status_value<'o>(&self, object: &'o Object<'_>) -> Option<&'o jsonc_parser::ast::StringLit<'o>> {
        let status = object.get_string("status");
        if !self.status_or_phase {
            return status;
        }
        let known = |it: &jsonc_parser::ast::StringLit<'_>| {
            matches!(self.cx.profile.lookup(Spelling::Json, &it.value, Scope::Task), vocabulary::Lookup::Known(_))
        };
        match (status, object.get_string("phase")) {
            (Some(status), Some(phase)) if !known(status) && known(phase) => Some(phase),
            (status, _) => status,
        }
    }

    /// `plan_path`, `artifacts` (strings or `{path}` objects), and `reports`/`plans`/`summaries`.
    fn links(&self, object: &Object<'_>, key: &TaskKey, out: &mut ParsedFile) {
        let mut push = |string: &jsonc_parser::ast::StringLit<'_>| {
            let target = string.value.as_ref();
            if target.ends_with('/') || target.contains("://") || target.is_empty() {
                return;
            }
            out.links.push(link(target, self.string_range(string.range), Some(key.clone())));
        };
        if let Some(path) = object.get_string("plan_path") {
            push(path);
        }
        for name in ["artifacts", "reports", "plans", "summaries"] {
            for element in object.get_array(name).into_iter().flat_map(|it| it.elements.iter()) {
                match element {
                    Value::StringLit(string) => push(string),
                    Value::Object(inner) => {
                        if let Some(path) = inner.get_string("path") {
                            push(path);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// An entry's name: `project_name` as the status-sync-manager writes it, else `title`, which
/// some entries carry instead (ProofChecker's tasks 195 and 198 had none shown otherwise).
fn entry_title(object: &Object<'_>) -> Option<Box<str>> {
    ["project_name", "title"]
        .iter()
        .find_map(|key| object.get_string(key).filter(|it| !it.value.trim().is_empty()).map(|it| Box::from(&*it.value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout;
    use crate::profiles;

    fn parse_main(text: &str) -> ParsedFile {
        let class = layout::classify("specs/state.json");
        let profile = profiles::spec_folder();
        let cx = ParseContext {
            path: "specs/state.json",
            class: &class,
            profile: &profile,
            scope: "specs",
            untagged_tag: None,
        };
        parse(&cx, text, Kind::Main)
    }

    #[test]
    fn entries_with_exact_marker_ranges() {
        let text = "{\n  \"next_project_number\": 12,\n  \"active_projects\": [\n    {\n      \"project_number\": 7,\n      \"status\": \"researched\",\n      \"dependencies\": [5],\n      \"plan_path\": \"specs/007_x/plans/implementation-001.md\"\n    }\n  ],\n  \"completed_projects\": [{\"project_number\": 3, \"completed\": \"2026-01-01\"}]\n}\n";
        let parsed = parse_main(text);
        assert!(parsed.problems.is_empty());
        let place = &parsed.places[0];
        assert_eq!(&text[place.marker.range], "researched");
        assert!(place.status.is_some());
        assert_eq!(place.dependencies[0].id, "5");
        assert_eq!(parsed.links[0].target, "specs/007_x/plans/implementation-001.md");
        assert_eq!(parsed.archived, vec![TaskKey::new("specs", "3")]);
        assert_eq!(parsed.counters.unwrap().next_project_number.unwrap().value, 12);
        let Some(FieldInsert { style: FieldStyle::Json { indent, inline, .. }, .. }) = &place.field_insert else {
            panic!()
        };
        assert_eq!((indent.as_str(), *inline), ("      ", false));
    }

    #[test]
    fn broken_json_is_reported_with_its_line() {
        let parsed = parse_main("{\n  \"active_projects\": [\n    {\"project_number\": 1,}\n  ]\n}\n");
        assert_eq!(parsed.problems.len(), 1);
        assert!(parsed.problems[0].message.starts_with("not valid JSON"), "{}", parsed.problems[0].message);
        assert!(parsed.places.is_empty());
    }
}
