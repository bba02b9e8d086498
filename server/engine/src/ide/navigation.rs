//! Finding tasks: the task under the cursor, where a task is defined and referenced, the
//! outline of a file, the workspace's task table and the links a file makes.

use crate::index::{FileId, WorkspaceIndex, authority, natural_cmp};
use crate::model::{Place, Subject, TaskKey};
use crate::rules::PathOracle;
use crate::text::{TextRange, TextSize, line_range_at};

/// A task named at some spot of a file, and the range that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTarget {
    pub task: TaskKey,
    pub range: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileId,
    pub range: TextRange,
}

/// The task at `offset`: a dependency id names the task it depends on; a status line, a task
/// heading, a Task Order line or a mention names its own task; anywhere else inside a place
/// (a state.json entry, a section's body, a phase) names the place's task.
pub fn task_at(index: &WorkspaceIndex, file: FileId, offset: TextSize) -> Option<TaskTarget> {
    let parsed = index.parsed(file);
    for place in &parsed.places {
        let Some(owner) = place.task() else { continue };
        for dependency in &place.dependencies {
            if dependency.range.contains_inclusive(offset)
                && let Some(task) = index.resolve_dependency(owner, &dependency.id)
            {
                return Some(TaskTarget { task, range: dependency.range });
            }
        }
    }
    let text = index.text(file);
    for place in &parsed.places {
        let Some(task) = place.task() else { continue };
        let named = [Some(place.line), heading_line(text, place)]
            .into_iter()
            .flatten()
            .find(|it| it.contains_inclusive(offset));
        if let Some(range) = named {
            return Some(TaskTarget { task: task.clone(), range: trim(text, range) });
        }
    }
    if let Some(mention) = parsed.mentions.iter().find(|it| it.range.contains_inclusive(offset)) {
        return Some(TaskTarget { task: mention.task.clone(), range: mention.range });
    }
    parsed
        .places
        .iter()
        .filter(|it| it.extent.contains_inclusive(offset))
        .filter_map(|place| Some((place.task()?, place.extent)))
        .min_by_key(|(_, extent)| extent.len())
        .map(|(task, _)| TaskTarget { task: task.clone(), range: trim(text, line_range_at(text, usize::from(offset))) })
}

/// The heading line of a TODO.md section (the status is on a line below it).
fn heading_line(text: &str, place: &Place) -> Option<TextRange> {
    let number = place.heading_number.or(place.done_mark)?;
    Some(line_range_at(text, usize::from(number.start())))
}

/// The range without the line's leading and trailing blanks.
fn trim(text: &str, range: TextRange) -> TextRange {
    let Some(slice) = text.get(std::ops::Range::<usize>::from(range)) else { return range };
    let start = usize::from(range.start()) + (slice.len() - slice.trim_start().len());
    crate::text::range(start, start + slice.trim().len())
}

/// The spot that names `place`'s subject: a section's heading, else the status line.
pub fn name_range(text: &str, place: &Place) -> TextRange {
    trim(text, heading_line(text, place).unwrap_or(place.line))
}

/// Where a task is defined: its most authoritative place (the TODO.md section before
/// state.json, a defining place before a plan header). Its other places are references.
pub fn definition(index: &WorkspaceIndex, task: &TaskKey) -> Vec<Location> {
    let Some(entry) = index.task(task) else { return Vec::new() };
    let best = entry.places.iter().min_by_key(|it| {
        let kind = index.place(**it).kind;
        (!kind.defines_task(), authority(kind), index.path(it.file))
    });
    best.map(|it| Location { file: it.file, range: name_range(index.text(it.file), index.place(*it)) })
        .into_iter()
        .collect()
}

/// Every spot that names `task`: its places, the files that mention it, and the dependency
/// lists of other tasks that name it.
pub fn references(index: &WorkspaceIndex, task: &TaskKey) -> Vec<Location> {
    let mut out: Vec<Location> = Vec::new();
    if let Some(entry) = index.task(task) {
        for place in &entry.places {
            out.push(Location { file: place.file, range: name_range(index.text(place.file), index.place(*place)) });
        }
    }
    for (file, entry) in index.entries() {
        for mention in entry.parsed.mentions.iter().filter(|it| it.task == *task) {
            out.push(Location { file, range: mention.range });
        }
        for place in &entry.parsed.places {
            let Some(owner) = place.task().filter(|it| it.scope == task.scope) else { continue };
            for dependency in &place.dependencies {
                if index.resolve_dependency(owner, &dependency.id).as_ref() == Some(task) {
                    out.push(Location { file, range: dependency.range });
                }
            }
        }
    }
    out.sort_by(|a, b| index.path(a.file).cmp(index.path(b.file)).then(a.range.start().cmp(&b.range.start())));
    out.dedup();
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Task,
    Phase,
}

/// An entry of a file's outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    /// The status as written.
    pub detail: String,
    pub kind: SymbolKind,
    /// Everything the entry speaks for.
    pub range: TextRange,
    /// The heading or status line, inside `range`.
    pub selection_range: TextRange,
    pub children: Vec<DocumentSymbol>,
}

/// The tasks and phases of a file, phases nested under the place that lists them.
pub fn document_symbols(index: &WorkspaceIndex, file: FileId) -> Vec<DocumentSymbol> {
    let parsed = index.parsed(file);
    let text = index.text(file);
    let nested: std::collections::HashSet<usize> = parsed.places.iter().flat_map(|it| it.child_places.iter()).collect();
    let symbol = |place: &Place| -> DocumentSymbol {
        let (name, kind) = match &place.subject {
            Subject::Task(task) => match place.title.as_deref().filter(|it| !it.is_empty()) {
                Some(title) => (format!("{}. {title}", task.id), SymbolKind::Task),
                None => (format!("Task {}", task.id), SymbolKind::Task),
            },
            Subject::Phase(phase) => match place.title.as_deref().filter(|it| !it.is_empty()) {
                // Plans title their phases `Phase 2: Test` already; PIDEA tables do not.
                Some(title) if title.to_lowercase().starts_with("phase") => (title.to_string(), SymbolKind::Phase),
                Some(title) => (format!("Phase {}: {title}", phase.number), SymbolKind::Phase),
                None => (format!("Phase {}", phase.number), SymbolKind::Phase),
            },
        };
        let selection_range = name_range(text, place);
        DocumentSymbol {
            name,
            detail: place.shown(),
            kind,
            range: place.extent.cover(selection_range),
            selection_range,
            children: Vec::new(),
        }
    };
    let mut out = Vec::new();
    for (position, place) in parsed.places.iter().enumerate() {
        // The Task Order repeats the sections below it: one entry per task is enough.
        if nested.contains(&position) || place.kind == crate::model::PlaceKind::TaskOrderLine {
            continue;
        }
        let mut parent = symbol(place);
        for child in place.child_places {
            if let Some(child) = parsed.places.get(child) {
                let child = symbol(child);
                parent.range = parent.range.cover(child.range);
                parent.children.push(child);
            }
        }
        out.push(parent);
    }
    out
}

/// One task of the workspace table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolEntry {
    pub task: TaskKey,
    pub title: String,
    pub status: String,
    pub location: Location,
    /// Id and title, lower-cased, for matching.
    haystack: String,
}

/// Every task of the workspace with its title and defining spot, built once per index change
/// so that `workspace/symbol` answers each keystroke of a search without walking the index.
#[derive(Debug, Clone, Default)]
pub struct SymbolTable {
    entries: Vec<SymbolEntry>,
}

impl SymbolTable {
    pub fn new(index: &WorkspaceIndex) -> SymbolTable {
        let mut entries: Vec<SymbolEntry> = index
            .tasks()
            .keys()
            .filter_map(|task| {
                let location = *definition(index, task).first()?;
                let mut places = index.task(task)?.places.clone();
                places.sort_by_key(|it| authority(index.place(*it).kind));
                let place = index.place(*places.first()?);
                let title = places
                    .iter()
                    .find_map(|it| index.place(*it).title.as_deref().filter(|it| !it.is_empty()).map(str::to_string))
                    .unwrap_or_default();
                let haystack = format!("{} {}", task.id, title).to_lowercase();
                Some(SymbolEntry { task: task.clone(), title, status: place.shown(), location, haystack })
            })
            .collect();
        entries.sort_by(|a, b| natural_cmp(&a.task.id, &b.task.id).then_with(|| a.task.scope.cmp(&b.task.scope)));
        SymbolTable { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Tasks matching `query`, best first: the id itself, ids starting with it, titles with a
    /// word starting with it, titles containing it, then titles holding its characters in order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&SymbolEntry> {
        let query = query.trim().to_lowercase();
        let mut scored: Vec<(u8, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(position, entry)| Some((score(entry, &query)?, position)))
            .collect();
        scored.sort();
        scored.into_iter().take(limit).map(|(_, position)| &self.entries[position]).collect()
    }
}

fn score(entry: &SymbolEntry, query: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(0);
    }
    let id = entry.task.id.to_lowercase();
    let id = id.as_str();
    let unpadded = query.trim_start_matches('0');
    if id == query || (!unpadded.is_empty() && id == unpadded) {
        return Some(0);
    }
    if id.starts_with(query) {
        return Some(1);
    }
    let title = &entry.haystack[id.len()..];
    if title.split(|c: char| !c.is_alphanumeric()).any(|word| word.starts_with(query)) {
        return Some(2);
    }
    if entry.haystack.contains(query) {
        return Some(3);
    }
    let mut rest = entry.haystack.chars();
    query.chars().filter(|it| !it.is_whitespace()).all(|wanted| rest.any(|it| it == wanted)).then_some(4)
}

/// A link a file makes to another file of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLink {
    pub range: TextRange,
    /// Workspace-relative path of the target.
    pub target: String,
}

/// The file's plan, report and spec links that resolve.
pub fn document_links(index: &WorkspaceIndex, file: FileId, paths: &dyn PathOracle) -> Vec<DocumentLink> {
    let from = index.path(file);
    index
        .parsed(file)
        .links
        .iter()
        .filter(|it| !it.absolute)
        .filter_map(|link| {
            let target = crate::rules::links::resolve(index, paths, link, from)?;
            Some(DocumentLink { range: link.range, target })
        })
        .collect()
}
