//! One side of a merge as the merge sees it: the file parsed by the engine, the values the
//! semantics decide (status markers, done marks, counters, file timestamps) found by their
//! exact ranges, the lines each task owns, and the stretches of lines that belong to one task
//! (a TODO.md section, a Task Order line, a state.json entry, a phase, an index line).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::config::Vocabularies;
use crate::index::{FileId, SourceFile, WorkspaceIndex, authority};
use crate::layout::Role;
use crate::model::{Editability, PlaceKind, Subject};
use crate::text::TextRange;
use crate::vocabulary::{Profile, Scope, Spelling};

/// What a value of the file is, the same on every side.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SlotKey {
    /// The `n`-th status marker of a subject at places of one kind.
    Marker { subject: String, kind: PlaceKind, n: usize },
    /// The status tag after an index line's title (`[DEFERRED]`).
    Tag { subject: String, kind: PlaceKind, n: usize },
    /// The done mark of a TODO.md heading (`✓ `), empty where there is none.
    DoneMark { subject: String, n: usize },
    /// `next_project_number`, `task_counts.*`.
    Counter(String),
    /// A timestamp of the file as a whole (`_last_updated`).
    Timestamp { name: String, n: usize },
}

impl SlotKey {
    pub fn subject(&self) -> Option<&str> {
        match self {
            SlotKey::Marker { subject, .. } | SlotKey::Tag { subject, .. } | SlotKey::DoneMark { subject, .. } => {
                Some(subject)
            }
            SlotKey::Counter(_) | SlotKey::Timestamp { .. } => None,
        }
    }
}

/// A value found on one side.
#[derive(Debug, Clone)]
pub struct Slot {
    pub key: SlotKey,
    pub range: TextRange,
    pub value: String,
    /// How the marker is spelled, for a status marker.
    pub spelling: Option<(Spelling, Scope)>,
}

/// What one side says of a subject (a task, a phase, a checkbox).
#[derive(Debug, Clone)]
pub struct SubjectView {
    /// The status of its most authoritative place, by the vocabulary's id (`implementing`).
    pub status: Option<String>,
    pub scope: Scope,
    pub title: Option<String>,
    /// The status as written there, for reports.
    pub shown: String,
}

/// Lines of one subject that belong together.
#[derive(Debug, Clone)]
pub struct Segment {
    pub subject: String,
    /// The kind of its place; state.json entries are one group wherever they are (an archived
    /// entry is the same entry moved).
    pub group: &'static str,
    pub n: usize,
    pub lines: Range<usize>,
}

pub struct Side {
    pub text: String,
    pub index: WorkspaceIndex,
    pub file: FileId,
    pub slots: Vec<Slot>,
    pub subjects: HashMap<String, SubjectView>,
    /// For each line, the subject whose status it speaks of (its marker line, its timestamp and
    /// reason fields): such lines follow the decision about the subject.
    pub owner: Vec<Option<String>>,
    pub segments: Vec<Segment>,
    pub json: bool,
}

impl Side {
    pub fn profile(&self) -> Option<&Profile> {
        self.index.profile(self.file)
    }

    pub fn role(&self) -> Option<Role> {
        self.index.role(self.file)
    }
}

/// The subject key of a place.
fn subject_key(subject: &Subject) -> String {
    match subject {
        Subject::Task(task) => format!("task {}", task.id),
        Subject::Phase(phase) => format!(
            "phase {} {}",
            phase.task.as_ref().map_or_else(|| phase.container.to_string(), |it| it.id.to_string()),
            phase.number
        ),
    }
}

fn group(kind: PlaceKind) -> Option<&'static str> {
    Some(match kind {
        PlaceKind::TodoSection => "section",
        PlaceKind::TaskOrderLine => "task order",
        PlaceKind::StateJson | PlaceKind::ArchivedStateJson | PlaceKind::TaskJson | PlaceKind::SyncRecord => "entry",
        PlaceKind::PlanPhase => "phase",
        PlaceKind::IndexLine | PlaceKind::IndexRow => "index line",
        PlaceKind::ChecklistTask => "checklist task",
        PlaceKind::PhaseTableRow => "phase row",
        // One task per file, or places that are the file itself: nothing to keep together.
        PlaceKind::TaskStateJson
        | PlaceKind::PlanHeader
        | PlaceKind::SpecStatus
        | PlaceKind::Frontmatter
        | PlaceKind::IndexStatus
        | PlaceKind::PhaseFile
        | PlaceKind::StatusFolder
        | PlaceKind::TaskText
        | PlaceKind::TrackMetadata
        | PlaceKind::PlanProgress
        | PlaceKind::SummaryFile
        | PlaceKind::StatePosition => return None,
    })
}

/// Parses one side. `context` are files that shape its vocabulary (Backlog.md's config.yml).
pub fn read(path: &str, text: String, vocabularies: &Vocabularies, context: &[SourceFile]) -> Side {
    let mut files: Vec<SourceFile> = context.iter().filter(|it| it.path != path).cloned().collect();
    files.push(SourceFile { path: path.to_string(), text: Arc::from(text.as_str()) });
    let index = WorkspaceIndex::build(files, vocabularies);
    let file = index.file_id(path).unwrap_or(FileId(0));
    let json = matches!(index.role(file), Some(Role::StateJson | Role::ArchiveStateJson | Role::TaskStateJson { .. }));
    let lines = super::lines::split(&text).len();
    let mut side = Side {
        text,
        index,
        file,
        slots: Vec::new(),
        subjects: HashMap::new(),
        owner: vec![None; lines],
        segments: Vec::new(),
        json,
    };
    side.collect();
    side
}

impl Side {
    fn collect(&mut self) {
        let Some(profile) = self.index.profile(self.file).cloned() else {
            self.counters_and_timestamps();
            return;
        };
        // Taken out while the side's tables are filled in from them (no copy of a large parse).
        let index = std::mem::take(&mut self.index);
        let text = std::mem::take(&mut self.text);
        self.collect_from(&profile, index.parsed(self.file), &text);
        self.index = index;
        self.text = text;
        self.counters_and_timestamps();
    }

    fn collect_from(&mut self, profile: &Profile, parsed: &crate::model::ParsedFile, text: &str) {
        let starts = line_starts(text);
        let line_of = |offset: usize| starts.partition_point(|it| *it <= offset).saturating_sub(1);
        let mut seen: HashMap<(String, PlaceKind), usize> = HashMap::new();
        let mut segments: HashMap<(String, &'static str), usize> = HashMap::new();
        let mut best: HashMap<String, u8> = HashMap::new();
        for place in &parsed.places {
            let subject = subject_key(&place.subject);
            let n = {
                let count = seen.entry((subject.clone(), place.kind)).or_default();
                *count += 1;
                *count - 1
            };
            // The most authoritative place speaks for the subject.
            let rank = authority(place.kind);
            if best.get(&subject).is_none_or(|it| rank < *it) {
                best.insert(subject.clone(), rank);
                self.subjects.insert(
                    subject.clone(),
                    SubjectView {
                        status: place.status.map(|it| profile.status(it).id.clone()),
                        scope: place.marker.scope,
                        title: place.title.as_deref().map(str::to_string),
                        shown: place.shown(),
                    },
                );
            }
            if let Some(group) = group(place.kind) {
                let count = segments.entry((subject.clone(), group)).or_default();
                if let Some(lines) = whole_lines(text, &starts, place.extent) {
                    self.segments.push(Segment { subject: subject.clone(), group, n: *count, lines });
                }
                *count += 1;
            }
            // A place whose marker is not text of its own (an archived entry read as completed
            // by where it is) or cannot be rewritten keeps its bytes as they are.
            if place.editable != Editability::Editable {
                continue;
            }
            self.slots.push(Slot {
                key: SlotKey::Marker { subject: subject.clone(), kind: place.kind, n },
                range: place.marker.range,
                value: text[place.marker.range].to_string(),
                spelling: Some((place.marker.spelling, place.marker.scope)),
            });
            if let Some(tag) = &place.tag {
                self.slots.push(Slot {
                    key: SlotKey::Tag { subject: subject.clone(), kind: place.kind, n },
                    range: tag.range,
                    value: text[tag.range].to_string(),
                    spelling: Some((tag.spelling, tag.scope)),
                });
            }
            if let Some(number) = place.heading_number {
                let start = place.done_mark.map_or(number.start(), |it| it.start());
                let range = TextRange::new(start, number.start());
                self.slots.push(Slot {
                    key: SlotKey::DoneMark { subject: subject.clone(), n },
                    range,
                    value: text[range].to_string(),
                    spelling: None,
                });
            }
            let owned = std::iter::once(place.line).chain(place.fields.iter().map(|it| it.line));
            for line in owned {
                let at = line_of(usize::from(line.start()));
                if let Some(slot) = self.owner.get_mut(at) {
                    *slot = Some(subject.clone());
                }
            }
        }
        // Checkboxes: a subject each, named by what they say and where, so that the same box is
        // the same subject on every side as long as its words did not change.
        let mut boxes: HashMap<String, usize> = HashMap::new();
        for item in &parsed.items {
            let owner = item.owner_place().and_then(|it| parsed.places.get(it)).map(|it| subject_key(&it.subject));
            let words = format!(
                "{}{}",
                &text[TextRange::new(item.line(text).start(), item.marker_range.start())],
                &text[TextRange::new(item.marker_range.end(), item.line(text).end())]
            );
            let name = format!("box {} {}", owner.unwrap_or_default(), words.trim());
            let count = boxes.entry(name.clone()).or_default();
            let subject = format!("{name} #{count}");
            *count += 1;
            self.subjects.insert(
                subject.clone(),
                SubjectView {
                    status: item.status.map(|it| profile.status(it).id.clone()),
                    scope: Scope::Task,
                    title: None,
                    shown: format!("[{}]", item.state),
                },
            );
            self.slots.push(Slot {
                key: SlotKey::Marker { subject: subject.clone(), kind: PlaceKind::ChecklistTask, n: 0 },
                range: item.marker_range,
                value: text[item.marker_range].to_string(),
                spelling: Some((Spelling::Checkbox, Scope::Task)),
            });
        }
    }

    fn counters_and_timestamps(&mut self) {
        let parsed = self.index.parsed(self.file);
        let text = &self.text;
        if let Some(counters) = &parsed.counters {
            for counter in counters.next_project_number.iter().chain(&counters.task_counts) {
                self.slots.push(Slot {
                    key: SlotKey::Counter(counter.key.clone()),
                    range: counter.range,
                    value: text[counter.range].to_string(),
                    spelling: None,
                });
            }
        }
        let mut names: HashMap<&str, usize> = HashMap::new();
        for field in &parsed.timestamps {
            let count = names.entry(field.name.as_str()).or_default();
            self.slots.push(Slot {
                key: SlotKey::Timestamp { name: field.name.clone().to_string(), n: *count },
                range: field.value_range,
                value: text[field.value_range].to_string(),
                spelling: None,
            });
            *count += 1;
        }
    }
}

pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).filter(|it| *it <= text.len()).collect()
}

/// The lines an extent covers, when it covers them whole: nothing but indentation before it on
/// its first line, nothing but a comma or spaces after it on its last.
fn whole_lines(text: &str, starts: &[usize], extent: TextRange) -> Option<Range<usize>> {
    let (start, end) = (usize::from(extent.start()), usize::from(extent.end()));
    if end <= start || end > text.len() {
        return None;
    }
    let first = starts.partition_point(|it| *it <= start).saturating_sub(1);
    let last = starts.partition_point(|it| *it < end).saturating_sub(1);
    if !text[starts[first]..start].trim().is_empty() {
        return None;
    }
    let line_end = starts.get(last + 1).copied().unwrap_or(text.len());
    if !text.get(end..line_end)?.trim().trim_start_matches(',').trim().is_empty() {
        return None;
    }
    // Blank lines at its end separate it from what follows: they are not the task's (a task
    // added after it gives it one more, which is no change of the task).
    let mut end_line = last + 1;
    while end_line > first + 1
        && text[starts[end_line - 1]..starts.get(end_line).copied().unwrap_or(text.len())].trim().is_empty()
    {
        end_line -= 1;
    }
    Some(first..end_line)
}
