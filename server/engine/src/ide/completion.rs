//! Completion: status markers where a status is written, checkbox characters in checkbox
//! lists, task ids in dependency lists.

use crate::ide::navigation::task_at;
use crate::index::{FileId, WorkspaceIndex, natural_cmp};
use crate::markdown::{checkbox_line, field_line};
use crate::model::TaskKey;
use crate::text::{TextRange, TextSize, line_range_at, range};
use crate::vocabulary::{Profile, Scope, Spelling, StatusId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Status,
    Checkbox,
    Task,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub detail: Option<String>,
    pub kind: CompletionKind,
    /// What the completion replaces, on the cursor's line.
    pub replace: TextRange,
    pub insert: String,
    /// Orders the list: allowed next statuses before the rest.
    pub sort: String,
    pub preselect: bool,
}

pub fn completions(index: &WorkspaceIndex, file: FileId, offset: TextSize) -> Vec<Completion> {
    let Some(profile) = index.profile(file) else { return Vec::new() };
    let text = index.text(file);
    let cursor = usize::from(offset).min(text.len());
    if !text.is_char_boundary(cursor) {
        return Vec::new();
    }
    let line = line_range_at(text, cursor);
    let line_start = usize::from(line.start());
    let line_text = &text[line];
    let before = &text[line_start..cursor];
    let after = &text[cursor..usize::from(line.end())];
    let context = Context { index, file, profile, line_start, line_text, before, after, offset };
    if let Some(field) = field_line(before) {
        let name = field.name.to_ascii_lowercase();
        if name.contains("depend") || name == "blocked by" {
            return context.task_ids();
        }
        if name == "status" {
            let value_start = line_start + field.value_start;
            return context.statuses(value_start);
        }
    }
    if let Some(open) = before.rfind('[').filter(|at| !before[*at..].contains(']')) {
        // Whatever was typed inside the box so far, the line up to `[` must start a checkbox item.
        if checkbox_line(&format!("{} ]", &before[..=open])).is_some_and(|it| it.char_start == open + 1) {
            return context.checkbox_chars(line_start + open + 1);
        }
        if index.parsed(file).places.iter().any(|it| it.line == line && it.marker.spelling == Spelling::Bracket) {
            return context.statuses(line_start + open);
        }
    }
    Vec::new()
}

struct Context<'a> {
    index: &'a WorkspaceIndex,
    file: FileId,
    profile: &'a Profile,
    line_start: usize,
    line_text: &'a str,
    before: &'a str,
    after: &'a str,
    offset: TextSize,
}

impl Context<'_> {
    /// The place whose status line the cursor is on, if any.
    fn place(&self) -> Option<&crate::model::Place> {
        let line = range(self.line_start, self.line_start + self.line_text.len());
        self.index.parsed(self.file).places.iter().find(|it| it.line == line)
    }

    /// Markers replacing `[start, end of the marker after the cursor)`.
    fn statuses(&self, start: usize) -> Vec<Completion> {
        let place = self.place();
        let scope = place.map_or(Scope::Task, |it| it.marker.scope);
        let spelling = place.map_or(Spelling::Bracket, |it| it.marker.spelling);
        let spelling = if spelling == Spelling::Checkbox { Spelling::Bracket } else { spelling };
        let typed = &self.before[start - self.line_start..];
        if spelling != Spelling::Bracket && typed.starts_with('[') {
            return Vec::new();
        }
        // Replace through the end of a marker already written after the cursor.
        let end = match spelling {
            Spelling::Bracket if typed.starts_with('[') || typed.is_empty() => {
                let closing = self.after.find(']').filter(|at| !self.after[..*at].contains('['));
                closing.map_or(self.offset_usize(), |at| self.offset_usize() + at + 1)
            }
            // A word or machine spelling: the rest of the value.
            _ => self.offset_usize() + self.after.trim_end().len(),
        };
        let task = task_at(self.index, self.file, self.offset).map(|it| it.task);
        let current = task.as_ref().and_then(|it| self.index.task_status(it)).map(|(_, status)| status);
        let ordered = ordered_statuses(self.profile, scope, current);
        ordered
            .into_iter()
            .enumerate()
            .filter_map(|(position, (status, group))| {
                let def = self.profile.status(status);
                let insert = def.spelled(spelling)?;
                let detail = match group {
                    Group::Allowed => format!("{} · allowed next", def.kind),
                    Group::Current => format!("{} · current", def.kind),
                    Group::Other => def.kind.to_string(),
                };
                Some(Completion {
                    label: insert.clone(),
                    detail: Some(detail),
                    kind: CompletionKind::Status,
                    replace: range(start, end.max(start)),
                    insert,
                    sort: format!("{}{position:04}", group as u8),
                    preselect: position == 0 && group == Group::Allowed,
                })
            })
            .collect()
    }

    /// Checkbox characters for the box whose inside starts at `inside`.
    fn checkbox_chars(&self, inside: usize) -> Vec<Completion> {
        let scope = self.place().map_or(Scope::Task, |it| it.marker.scope);
        let end = if self.after.starts_with(']') {
            self.offset_usize()
        } else {
            self.offset_usize() + self.after.chars().next().filter(|it| *it != ']').map_or(0, char::len_utf8)
        };
        let mut out = Vec::new();
        for status in self.profile.ids() {
            let def = self.profile.status(status);
            for (position, character) in def.checkbox.iter().enumerate() {
                let label = format!("[{character}]");
                let name = def.words.first().or(def.marker.as_ref()).unwrap_or(&def.id);
                out.push(Completion {
                    label: label.clone(),
                    detail: Some(format!("{name} · {}", def.kind)),
                    kind: CompletionKind::Checkbox,
                    replace: range(inside, end.max(inside)),
                    insert: character.to_string(),
                    sort: format!("{}{:04}{position:02}", u8::from(!def.in_scope(scope)), status.0),
                    preselect: false,
                });
            }
        }
        out
    }

    /// Task ids of the file's tracker, for a dependency list.
    fn task_ids(&self) -> Vec<Completion> {
        let token_start =
            self.before.trim_end_matches(|c: char| c.is_alphanumeric() || c == '-' || c == '.' || c == '_').len();
        let typed = &self.before[token_start..];
        let start = self.line_start + token_start;
        let Some(scope) =
            self.index.entry(self.file).and_then(|it| it.tracker).map(|it| &self.index.trackers()[it].root)
        else {
            return Vec::new();
        };
        let own = task_at(self.index, self.file, self.offset).map(|it| it.task);
        let mut tasks: Vec<&TaskKey> = self
            .index
            .tasks()
            .keys()
            .filter(|it| it.scope == *scope && Some(*it) != own.as_ref())
            .filter(|it| typed.is_empty() || it.id.to_lowercase().starts_with(&typed.to_lowercase()))
            .collect();
        tasks.sort_by(|a, b| natural_cmp(&a.id, &b.id));
        tasks
            .into_iter()
            .enumerate()
            .map(|(position, task)| {
                let summary = self.index.task_status(task).map(|(place, _)| self.index.place(place));
                let title = summary.and_then(|it| it.title.clone()).unwrap_or_default();
                let status = summary.map(|it| it.shown()).unwrap_or_default();
                Completion {
                    label: task.id.to_string(),
                    detail: Some(format!("{status} {title}").trim().to_string()),
                    kind: CompletionKind::Task,
                    replace: range(start, self.offset_usize()),
                    insert: task.id.to_string(),
                    sort: format!("{position:06}"),
                    preselect: false,
                }
            })
            .collect()
    }

    fn offset_usize(&self) -> usize {
        usize::from(self.offset)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Allowed = 0,
    Other = 1,
    Current = 2,
}

/// The statuses of `scope`: those the vocabulary allows after `current` first, then the rest,
/// the current one last.
fn ordered_statuses(profile: &Profile, scope: Scope, current: Option<StatusId>) -> Vec<(StatusId, Group)> {
    let mut out: Vec<(StatusId, Group)> = profile
        .ids()
        .filter(|it| profile.status(*it).in_scope(scope))
        .map(|it| {
            let group = match current {
                Some(from) if from == it => Group::Current,
                Some(from) if profile.allows(scope, from, it) => Group::Allowed,
                Some(_) => Group::Other,
                None => Group::Allowed,
            };
            (it, group)
        })
        .collect();
    out.sort_by_key(|(_, group)| *group as u8);
    out
}
