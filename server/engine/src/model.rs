//! What parsing a file yields: the places that state a status, the checkbox items under them,
//! links, dependencies and counters, each with exact byte ranges into the file's text.

use smol_str::SmolStr;
use std::fmt;

use crate::text::TextRange;
use crate::vocabulary::{Kind, Origin, Profile, Scope, Spelling, StatusId, Unknown};

/// A file of the index, by its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One place of a task: a file and the place's index in that file's parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceRef {
    pub file: FileId,
    pub index: usize,
}

/// A task's identity: its id inside the tracker (`scope`) that defines it. Scopes keep
/// `1.0` of one compozy PRD apart from `1.0` of another, and let one workspace hold several
/// trackers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey {
    /// The tracker root, relative to the workspace root (`specs`, `.opencode/specs`, `process`).
    /// Kept inline (no allocation) up to 23 bytes, as every root and id in practice is: a
    /// workspace holds a key per place, mention, link and diagnostic.
    pub scope: SmolStr,
    /// The normalized id (`221`, `BACK-200`, `1.0`, `T001`).
    pub id: SmolStr,
}

impl TaskKey {
    pub fn new(scope: impl AsRef<str>, id: impl AsRef<str>) -> TaskKey {
        TaskKey { scope: SmolStr::new(scope), id: SmolStr::new(id) }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A phase of a plan (or of a PIDEA task), identified by the file that lists the phases and its
/// number there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhaseKey {
    pub task: Option<TaskKey>,
    /// Shared by the phases of one file: a plan holds several, a workspace tens of thousands.
    pub container: std::sync::Arc<str>,
    /// Short (`2`, `2.1`): kept inline.
    pub number: SmolStr,
}

/// What a place states the status of.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Task(TaskKey),
    Phase(PhaseKey),
}

impl Subject {
    pub fn task(&self) -> Option<&TaskKey> {
        match self {
            Subject::Task(task) => Some(task),
            Subject::Phase(phase) => phase.task.as_ref(),
        }
    }
}

/// The kinds of places, in the order a task's places are listed to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceKind {
    /// `### 221. Title` with `- **Status**: [COMPLETED]` in TODO.md.
    TodoSection,
    /// `- **58** [BLOCKED] — title` in TODO.md's `## Task Order`.
    TaskOrderLine,
    /// An `active_projects` entry of `specs/state.json`.
    StateJson,
    /// A `completed_projects` entry, or an entry of an archive state.json: archived on purpose.
    ArchivedStateJson,
    /// `specs/NNN_slug/state.json`.
    TaskStateJson,
    /// The metadata `**Status**` (or frontmatter `status:`) of a plan.
    PlanHeader,
    /// `### Phase 2: Title [COMPLETED]`.
    PlanPhase,
    /// A line of a checkbox index that names a task (minsky, compozy `_tasks.md`).
    IndexLine,
    /// A row of an index table that names a task and its status word (compozy's newer
    /// `_tasks.md`: `| 01 | Title | completed | ... |`).
    IndexRow,
    /// A spec file's `## Status` section.
    SpecStatus,
    /// YAML frontmatter `status:` of a task file (Backlog.md, compozy).
    Frontmatter,
    /// A PIDEA index file's `**Status**`.
    IndexStatus,
    /// A row of a PIDEA phase table.
    PhaseTableRow,
    /// A PIDEA phase file's own `**Status**`.
    PhaseFile,
    /// A PIDEA status folder (`pending/`, `in-progress/`, `completed/`).
    StatusFolder,
    /// A checkbox item that names a task by id (spec-kit `T001`).
    ChecklistTask,
    /// A task's (or subtask's) object in a JSON task list: Task Master's `tasks.json`.
    TaskJson,
    /// A task's generated file: Task Master's `task_NNN.txt` (`# Status:`, and a subtask's
    /// `## 1. Title [done]`) or `task_NNN.md` (`**Status:** done`, under each subtask's
    /// `### 1.1. Title` too).
    TaskText,
    /// A track's `metadata.json` `status` (Conductor).
    TrackMetadata,
    /// What a plan's boxes say of its task, counted (Conductor's plan.md): none checked, some,
    /// or all. Read only: the boxes are ticked as the work is done, not to match a status.
    PlanProgress,
    /// A plan's summary file (GSD's `13-01-SUMMARY.md`): written when the plan was executed,
    /// so the plan is done. Read only.
    SummaryFile,
    /// The phase GSD's `STATE.md` says is current, with how far it is (`Phase: 59`,
    /// `Plan: Not started`, `Status: Executing`). Read only: GSD rewrites it as it works.
    StatePosition,
    /// What taskmaster-sync last pushed of a task to a GitHub project
    /// (`.taskmaster/sync-state-master.json`). Read only: the sync rewrites it.
    SyncRecord,
}

impl PlaceKind {
    /// A place held to its task by a rule of its own, never one of the places that must agree:
    /// what a plan's boxes count and GSD STATE.md's position, both judged against the plans by
    /// `open-children`. STATE.md's position moves with every step GSD takes, often before
    /// ROADMAP.md does: compared with the phase's box and row, each step would be drift.
    pub fn stands_apart(self) -> bool {
        self.judged_apart().is_some()
    }

    /// How a place that stands apart is judged instead, for people reading its row.
    pub fn judged_apart(self) -> Option<&'static str> {
        match self {
            PlaceKind::PlanProgress | PlaceKind::StatePosition => Some("open-children judges it against the plans"),
            // A cache of the last sync: behind between syncs by design.
            PlaceKind::SyncRecord => Some("taskmaster-sync's next sync writes it"),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            PlaceKind::TodoSection => "TODO.md section",
            PlaceKind::TaskOrderLine => "Task Order line",
            PlaceKind::StateJson => "state.json",
            PlaceKind::ArchivedStateJson => "archived state.json entry",
            PlaceKind::TaskStateJson => "task state.json",
            PlaceKind::PlanHeader => "plan header",
            PlaceKind::PlanPhase => "plan phase",
            PlaceKind::IndexLine => "checkbox index",
            PlaceKind::IndexRow => "index table row",
            PlaceKind::SpecStatus => "spec file status",
            PlaceKind::Frontmatter => "frontmatter status",
            PlaceKind::IndexStatus => "status line",
            PlaceKind::PhaseTableRow => "phase table row",
            PlaceKind::PhaseFile => "phase file status",
            PlaceKind::StatusFolder => "status folder",
            PlaceKind::ChecklistTask => "checklist item",
            PlaceKind::TaskJson => "tasks.json entry",
            PlaceKind::TaskText => "task file",
            PlaceKind::TrackMetadata => "metadata.json",
            PlaceKind::PlanProgress => "plan's boxes",
            PlaceKind::SummaryFile => "summary file",
            PlaceKind::StatePosition => "current position in STATE.md",
            PlaceKind::SyncRecord => "GitHub sync record",
        }
    }

    /// Places that write the task vocabulary itself, compared exactly with each other. The
    /// rest (plan headers, checkboxes, spec words, folders) are another vocabulary and agree by
    /// the profile's mapping.
    pub fn task_vocabulary(self) -> bool {
        matches!(
            self,
            PlaceKind::TodoSection
                | PlaceKind::TaskOrderLine
                | PlaceKind::StateJson
                | PlaceKind::ArchivedStateJson
                | PlaceKind::TaskStateJson
                | PlaceKind::Frontmatter
                | PlaceKind::IndexStatus
                | PlaceKind::PhaseFile
                | PlaceKind::TaskJson
                | PlaceKind::TaskText
                | PlaceKind::TrackMetadata
                | PlaceKind::IndexRow
        )
    }

    /// Places a tool writes from another of the task's places, and only when asked (Task
    /// Master's task files, from tasks.json): when they disagree, the copy is behind.
    pub fn is_generated_copy(self) -> bool {
        self == PlaceKind::TaskText
    }

    /// Whether a place of this kind defines its task (the rest refer to a task defined
    /// elsewhere). Used by `duplicate-task`. A Task Order line only summarises: a task listed
    /// twice (in two groups, or in a dependency tree, "see above") is not defined twice. A
    /// generated copy repeats its source: Task Master's `task-master generate` writes
    /// `task_001.md` since eyaltoledano/claude-task-master#1446 and leaves the `task_001.txt`
    /// an older version wrote, so one task has two files, the older one behind, not a second
    /// task (whose fix would renumber it).
    pub fn defines_task(self) -> bool {
        !self.is_generated_copy()
            && !matches!(
                self,
                PlaceKind::TaskOrderLine
                    | PlaceKind::PlanHeader
                    | PlaceKind::PlanPhase
                    | PlaceKind::StatusFolder
                    | PlaceKind::PhaseTableRow
                    | PlaceKind::PhaseFile
                    | PlaceKind::PlanProgress
                    | PlaceKind::SummaryFile
                    | PlaceKind::StatePosition
            )
    }
}

/// Whether a box's own words set it aside: deferred (`Deferred: dark mode`, `... (deferred
/// to task_08)`), optional (`11.3* (Optional)`), or a placeholder that names no work (`None at
/// this stage`, `N/A`, `TBD`). Such a box left open under a finished parent is no unfinished
/// work.
pub fn is_set_aside(text: &str) -> bool {
    // Asked of every box under a parent: most are long and name neither, and are answered
    // without a lower-case copy (placeholders are short).
    let trimmed = text.trim();
    if noted_in_chinese(trimmed) {
        return true;
    }
    let named = |word: &str| crate::text::contains_ignore_case(trimmed, word);
    if trimmed.len() > 24
        && !named("defer")
        && !named("optional")
        && !named("cancel")
        && !named("skipped")
        && !named("won't do")
    {
        return false;
    }
    let lower = trimmed.trim_matches(['*', '_']).trim().to_lowercase();
    let words: Vec<&str> =
        lower.split(|it: char| !it.is_alphanumeric() && it != '/').filter(|it| !it.is_empty()).collect();
    let placeholder = matches!(
        words.as_slice(),
        ["none"]
            | ["n/a"]
            | ["na"]
            | ["tbd"]
            | ["nothing"]
            | ["not", "applicable"]
            | ["none", "yet" | "needed" | "required"]
            | ["none", "for", "now"]
            | ["none", "at", "this", "stage" | "time" | "point"]
    );
    // `Deferred: dark mode` and `Optional - benchmarks`, not `Deferred rendering` or an
    // `Optional/Advanced section` to edit.
    let labelled =
        |label: &str| lower.strip_prefix(label).is_some_and(|rest| rest.trim_start().starts_with([':', '-', '—', ')']));
    // A note after the item's words that drops it: `... - Cancelled: not needed for MVP`,
    // `... *(deviation: skipped - reason)*` (an agent's record of a box left open on purpose).
    let noted = |word: &str| {
        lower.match_indices(word).any(|(at, _)| {
            let before = lower[..at].trim_end_matches([' ', '*', '_']);
            let after = lower[at + word.len()..].trim_start();
            (before.ends_with(['-', '—', '–', '(', '[', ';', ',']) || before.ends_with("deviation:"))
                && (after.is_empty() || after.starts_with([':', '-', '—', '–', ')', ']', '(']))
        })
    };
    placeholder
        || labelled("deferred")
        || labelled("optional")
        || labelled("cancelled")
        || labelled("canceled")
        || labelled("skipped")
        || labelled("won't do")
        || lower.contains("(deferred")
        || ["(optional)", "(optional;", "(optional,", "(optional -"].iter().any(|it| lower.contains(it))
        || lower.contains("deferred to ")
        || lower.contains("[deferred]")
        || lower.contains("[optional]")
        || ["cancelled", "canceled", "skipped", "deferred", "won't do", "wontfix", "not applicable"]
            .iter()
            .any(|it| noted(it))
}

/// Whether a box's words end in a note, in Chinese, that sets it aside: `（用户确认本 change
/// 已归档，验证步骤暂不执行）` ("not carried out for now"), `（可选）`, `（已取消）`. Only
/// in a parenthesised note (full-width or ASCII brackets), and only phrases that say the work
/// is dropped, put off or optional: a bare `取消` or `跳过` is as often the name of a button
/// the work builds (`实现对话框（确定/取消）`).
fn noted_in_chinese(text: &str) -> bool {
    const SET_ASIDE: [&str; 13] = [
        "暂不执行",
        "不再执行",
        "暂不实现",
        "不再需要",
        "已跳过",
        "已取消",
        "已废弃",
        "暂缓",
        "延后",
        "推迟",
        "搁置",
        "不做",
        "可选",
    ];
    // Most boxes are ASCII: answered by one scan for the first byte of a CJK character.
    if text.is_ascii() {
        return false;
    }
    let Some(open) = text.rfind(['（', '(']) else { return false };
    let note = &text[open..];
    let note = note.find(['）', ')']).map_or(note, |close| &note[..close]);
    SET_ASIDE.iter().any(|it| note.contains(it))
}

/// The literal status text at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Exactly the bytes an edit replaces: `[COMPLETED]`, `completed` inside its quotes, `x`
    /// inside `[x]`, `To Do` after `status: `.
    pub range: TextRange,
    /// Inline for every status spelling in practice: no allocation per checkbox.
    pub text: smol_str::SmolStr,
    pub spelling: Spelling,
    pub scope: Scope,
}

/// A `**Name**: value` metadata field, a JSON property or a YAML key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Short names and values (`Started`, a date) are kept inline, without an allocation.
    pub name: SmolStr,
    pub value: SmolStr,
    pub value_range: TextRange,
    /// The whole line, without its line break.
    pub line: TextRange,
}

/// Why a place cannot be edited by the planner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editability {
    Editable,
    ReadOnly(&'static str),
}

/// One spot in one file that states a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub subject: Subject,
    pub kind: PlaceKind,
    pub marker: Marker,
    /// `None` when the marker is outside the vocabulary; `unknown` then says why (boxed: few
    /// places have one, and every place would pay for its room).
    pub status: Option<StatusId>,
    pub unknown: Option<Box<Unknown>>,
    /// Text after the marker on its line (`[COMPLETED] -- all 7 phases COMPLETED`).
    pub trailing: Option<TextRange>,
    /// A status tag after an index line's title (`- [ ] 6.0 Title [DEFERRED]`) that refines the
    /// checkbox; when present and known it is the place's status.
    pub tag: Option<Box<Marker>>,
    /// The marker's line, without its line break.
    pub line: TextRange,
    pub title: Option<Box<str>>,
    /// Metadata fields that belong to this place: timestamps, reasons.
    pub fields: Vec<Field>,
    /// Where a new field line goes (just after the last metadata line), and the prefix new
    /// field lines use (`- `, `  - `, or nothing).
    pub field_insert: Option<FieldInsert>,
    pub dependencies: Vec<Dependency>,
    /// Child places in the same file (the phases under a plan header).
    pub child_places: Children,
    /// Checkbox items under this place.
    pub child_items: Children,
    pub editable: Editability,
    /// For a heading that carries a done mark before its number (`### ✓ 221.`), the mark's range.
    pub done_mark: Option<TextRange>,
    /// The heading that starts a TODO.md section, for inserting a done mark.
    pub heading_number: Option<TextRange>,
    /// All the text the place speaks for: a TODO.md section from its heading to the next, a
    /// state.json entry's object, a phase with its body, an index line with its nested lines.
    /// The marker's line when there is nothing more.
    pub extent: TextRange,
}

impl Place {
    pub fn task(&self) -> Option<&TaskKey> {
        self.subject.task()
    }

    /// Whether this place and `other` say the same of their task (a place without a status
    /// says nothing to disagree with). `check`, `show` and hover ask this one question.
    pub fn agrees_with(&self, other: &Place, profile: &Profile) -> bool {
        match (self.status, other.status) {
            (Some(a), Some(b)) => {
                profile.agree(a, b, self.kind.task_vocabulary() && other.kind.task_vocabulary())
                    || self.refines_summary(other, profile)
                    || other.refines_summary(self, profile)
            }
            _ => true,
        }
    }

    /// GSD writes a plan's summary when it executes the plan, and ticks its box `[x]`; it never
    /// writes an under-way box. A box the tracker marks with an under-way marker of its own
    /// (`[~]`, learned, defined by one tracker's legend as "code-complete, verification
    /// pending") beside the summary says more than the summary, not something else: the plan
    /// ran and the tracker holds it open for a gate of its own. A box left `[ ]` beside a
    /// summary is still behind it.
    fn refines_summary(&self, summary: &Place, profile: &Profile) -> bool {
        let (Some(done), Some(own)) = (summary.status, self.status) else { return false };
        let own = profile.status(own);
        summary.kind == PlaceKind::SummaryFile
            && profile.kind(done) == Kind::Done
            && own.origin == Origin::Learned
            && own.kind == Kind::Active
            && own.checkbox.len() == 1
    }

    /// A phase the phase rule compares with its places in other files (a PIDEA phase table
    /// row, a phase's own file); a plan's phase headings speak only for themselves.
    pub fn is_phase_across_files(&self) -> bool {
        matches!(self.subject, Subject::Phase(_)) && self.kind != PlaceKind::PlanPhase
    }

    /// Whether the places under it are subtasks (tasks of their own, Task Master's) rather
    /// than phases.
    pub fn has_subtasks(&self) -> bool {
        matches!(self.kind, PlaceKind::TaskJson | PlaceKind::TaskText) && !self.child_places.is_empty()
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|it| it.name.eq_ignore_ascii_case(name))
    }

    /// The marker as people read it: `[x]` for a checkbox, with its tag (`[ ] [DEFERRED]`).
    pub fn shown(&self) -> String {
        let marker = match self.marker.spelling {
            crate::vocabulary::Spelling::Checkbox => format!("[{}]", self.marker.text),
            _ => self.marker.text.to_string(),
        };
        match &self.tag {
            Some(tag) => format!("{marker} {}", tag.text),
            None => marker,
        }
    }
}

/// A place's children among its file's places or items, by index: always a run of consecutive
/// ones (the phases of a plan follow one another, as do the boxes under a section), kept as its
/// bounds rather than a list of every index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Children {
    start: u32,
    end: u32,
}

impl Children {
    /// No children is one value, wherever the run would have started: a place compares equal
    /// however its file was parsed (whole, or in part after an edit).
    pub fn new(indices: std::ops::Range<usize>) -> Children {
        if indices.is_empty() {
            return Children::default();
        }
        let bound = |it: usize| u32::try_from(it).unwrap_or(u32::MAX);
        Children { start: bound(indices.start), end: bound(indices.end) }
    }

    pub fn iter(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The same children after the indices before them moved: each index through `moved`.
    fn moved(self, moved: impl Fn(usize) -> usize) -> Children {
        if self.is_empty() {
            return self;
        }
        let start = moved(self.start as usize);
        Children::new(start..start + self.len())
    }
}

impl IntoIterator for Children {
    type Item = usize;
    type IntoIter = std::ops::Range<usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInsert {
    pub at: crate::text::TextSize,
    pub style: FieldStyle,
}

/// How a file writes its fields, so inserted ones look like their neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldStyle {
    /// `{prefix}**{Name}**: {value}` lines. The prefix and indentation are a few spaces and a
    /// dash, kept inline: nearly every task's place has one.
    Markdown { prefix: SmolStr, date_only: bool },
    /// A JSON property inserted after the last one, on its own line with this indentation, or
    /// on the same line when the object is written on one line.
    Json { indent: SmolStr, after: crate::text::TextSize, inline: bool },
    /// A `(Name: value)` line under a phase heading.
    Parenthesized,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The id as written (`529`, `task-24.1`, `1.0`).
    pub id: String,
    pub range: TextRange,
}

/// A checkbox list item. A workspace holds hundreds of thousands (ten per plan phase), so it
/// keeps only positions and small numbers: its marker is the one character between the
/// brackets, and [`Item::marker`] builds the [`Marker`] when one is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The character between the brackets (a checkbox holds exactly one).
    pub state: char,
    /// Where that character is.
    pub marker_range: TextRange,
    pub status: Option<StatusId>,
    /// Boxed, as in [`Place`]: few items have one.
    pub unknown: Option<Box<Unknown>>,
    /// Nesting depth among checkbox items (0 = top level).
    pub depth: u32,
    /// The checkbox item this one is nested in.
    pub parent_item: Option<Slot>,
    /// The place this item belongs to (a phase, a task section), if any.
    pub owner: Option<Slot>,
    /// The item's text after the box.
    pub text: TextRange,
    /// Kiro's optional task (`- [ ]* 1.2 ...`): left open, it is no unfinished work.
    pub optional: bool,
}

impl Item {
    /// The index of the checkbox item this one is nested in.
    pub fn parent(&self) -> Option<usize> {
        self.parent_item.map(Slot::index)
    }

    /// The index of the place this item belongs to.
    pub fn owner_place(&self) -> Option<usize> {
        self.owner.map(Slot::index)
    }

    /// The item's line, without its line break (`text` is the file's text).
    pub fn line(&self, text: &str) -> TextRange {
        crate::text::line_range_at(text, usize::from(self.marker_range.start()))
    }

    /// The character between the brackets, as the file has it (`text` is the file's text).
    pub fn state_text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.marker_range.start().into()..self.marker_range.end().into()).unwrap_or_default()
    }

    /// The box's marker, as a place's is kept (a one-character text is held inline: building
    /// one allocates nothing).
    pub fn marker(&self) -> Marker {
        Marker {
            range: self.marker_range,
            text: SmolStr::new(self.state.encode_utf8(&mut [0; 4])),
            spelling: Spelling::Checkbox,
            scope: Scope::Task,
        }
    }
}

/// An index into a file's items or places as an item keeps it: one more than the index, so that
/// an absent one takes no room of its own (`Option<Slot>` is four bytes, and a file's text, and
/// so its count of either, is under 4 GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot(std::num::NonZeroU32);

impl Slot {
    pub fn new(index: usize) -> Slot {
        let stored = u32::try_from(index).ok().and_then(|it| it.checked_add(1)).unwrap_or(u32::MAX);
        Slot(std::num::NonZeroU32::new(stored).unwrap_or(std::num::NonZeroU32::MAX))
    }

    pub fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

/// A link from a tracker place to a plan, report or spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub range: TextRange,
    pub task: Option<TaskKey>,
    pub absolute: bool,
}

impl Link {
    /// Where a relative link from the file at `from` may point, in the order to try: the file's
    /// folder first, then each folder above it (links are written relative to the repository
    /// root, to `specs/`, or to the file). An absolute link has none.
    pub fn candidates<'a>(&'a self, from: &'a str) -> impl Iterator<Item = String> + 'a {
        let target = self.target.split('#').next().unwrap_or(&self.target);
        let folders = from.rmatch_indices('/').map(|(at, _)| &from[..at]).chain(std::iter::once(""));
        let mut seen: Vec<String> = Vec::new();
        folders.filter(|_| !self.absolute).filter_map(move |folder| {
            let joined = join(folder, target)?;
            (!seen.contains(&joined)).then(|| {
                seen.push(joined.clone());
                joined
            })
        })
    }

    /// The first of [`Link::candidates`] that `accepts`. A plain target's candidates are built
    /// one after the other in one buffer, and only the accepted one is kept: resolving the links
    /// of a large tracker built and dropped several paths per link.
    pub fn find_candidate(&self, from: &str, mut accepts: impl FnMut(&str) -> bool) -> Option<String> {
        if self.absolute {
            return None;
        }
        let target = self.target.split('#').next().unwrap_or(&self.target);
        let folder = from.rsplit_once('/').map_or("", |(folder, _)| folder);
        if !(plain(target) && (folder.is_empty() || plain(folder))) {
            return self.candidates(from).find(|it| accepts(it));
        }
        // The file's folder, then each folder above it, as `candidates` gives them.
        let folders = from.rmatch_indices('/').map(|(at, _)| &from[..at]).chain(std::iter::once(""));
        let mut candidate = String::with_capacity(from.len() + target.len() + 1);
        for folder in folders {
            candidate.clear();
            if !folder.is_empty() {
                candidate.push_str(folder);
                candidate.push('/');
            }
            candidate.push_str(target);
            if accepts(&candidate) {
                return Some(candidate);
            }
        }
        None
    }
}

/// Whether a path is made of plain names only: no empty, `.` or `..` part. Nearly every link
/// target and workspace path is, and joins as it is written.
pub(crate) fn plain(path: &str) -> bool {
    path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

/// `folder/target` with `.` and `..` resolved; `None` when `..` climbs above the root.
fn join(folder: &str, target: &str) -> Option<String> {
    if plain(target) && (folder.is_empty() || plain(folder)) {
        return Some(if folder.is_empty() { target.to_string() } else { format!("{folder}/{target}") });
    }
    let mut parts: Vec<&str> = folder.split('/').filter(|it| !it.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            it => parts.push(it),
        }
    }
    Some(parts.join("/"))
}

/// Derived counters: a TODO.md frontmatter's and state.json's, and Task Master's per tag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counters {
    pub next_project_number: Option<Counter>,
    pub task_counts: Vec<Counter>,
    pub tag_counts: Vec<TagCount>,
    /// compozy's `_meta.md`: counts of the task files beside it.
    pub folder_counts: Vec<FolderCount>,
}

/// A count of the task files in the counter's own folder (compozy's `_meta.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderCount {
    pub counted: FolderCounted,
    pub counter: Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderCounted {
    /// `Total`: every task file.
    Tasks,
    /// `Completed`: those done.
    Done,
    /// `Pending`: those not begun.
    NotBegun,
}

/// A count in a Task Master tag's `metadata` (`taskCount`, `completedCount`), of the tag's
/// tasks in the same file (subtasks aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub tag: String,
    pub counted: TagCounted,
    pub counter: Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagCounted {
    /// `taskCount`: every task of the tag.
    Tasks,
    /// `completedCount`: those done.
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub value: u64,
    pub range: TextRange,
}

/// A status stated in prose (family 5): informational only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProseStatus {
    pub line: TextRange,
    pub outcome: ProseOutcome,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProseOutcome {
    Done,
    Failed,
}

/// A file's mention of a task that states no status (a spec file without `## Status`, a plan
/// without a header status): enough to know the task exists in that store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub task: TaskKey,
    pub kind: PlaceKind,
    pub range: TextRange,
}

/// Something wrong with a file as a whole: JSON that does not parse, broken frontmatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub range: TextRange,
    pub message: String,
}

/// Everything the engine knows about one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedFile {
    pub places: Vec<Place>,
    pub mentions: Vec<Mention>,
    pub items: Vec<Item>,
    pub links: Vec<Link>,
    pub counters: Option<Counters>,
    pub prose: Vec<ProseStatus>,
    /// File-level timestamps outside any place (`_last_updated` in state.json).
    pub timestamps: Vec<Field>,
    pub problems: Vec<FileProblem>,
    /// Task ids this file mentions as archived (state.json `completed_projects`): known on
    /// purpose, not orphans.
    pub archived: Vec<TaskKey>,
    /// For a prose document that defines status markers, what it defines: the repository's own
    /// status standard (kept here because prose texts are not kept).
    pub standard: Option<Box<StatusStandard>>,
    /// For Task Master's tasks.json, its tags (`master`, `data`), whatever their tasks: which
    /// one the untagged task files (`task_NNN.txt`, `task_NNN.md`) belong to depends on them.
    pub tags: Vec<String>,
}

/// A file's parse as the index keeps it: boxed, and a parse that found nothing (most prose
/// documents, half the files of a large workspace) is no allocation at all, but the one empty
/// parse every such file shares. Reads as a [`ParsedFile`]; writing to it boxes it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Parsed(Option<Box<ParsedFile>>);

/// What every file with an empty parse reads.
static EMPTY: ParsedFile = ParsedFile {
    places: Vec::new(),
    mentions: Vec::new(),
    items: Vec::new(),
    links: Vec::new(),
    counters: None,
    prose: Vec::new(),
    timestamps: Vec::new(),
    problems: Vec::new(),
    archived: Vec::new(),
    standard: None,
    tags: Vec::new(),
};

impl From<ParsedFile> for Parsed {
    fn from(parsed: ParsedFile) -> Parsed {
        Parsed((parsed != EMPTY).then(|| Box::new(parsed)))
    }
}

impl std::ops::Deref for Parsed {
    type Target = ParsedFile;

    fn deref(&self) -> &ParsedFile {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl std::ops::DerefMut for Parsed {
    fn deref_mut(&mut self) -> &mut ParsedFile {
        self.0.get_or_insert_with(Box::default)
    }
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// How a part of a parse moves when the text before it grew or shrank by `bytes` and the places
/// and items before it grew or shrank in number: an incremental re-parse moves what it keeps
/// after the changed region instead of parsing it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moved {
    pub bytes: i64,
    pub places: i64,
    pub items: i64,
}

impl Moved {
    pub fn offset(&self, offset: crate::text::TextSize) -> crate::text::TextSize {
        crate::text::size((i64::from(u32::from(offset)) + self.bytes).max(0) as usize)
    }

    pub fn range(&self, range: TextRange) -> TextRange {
        TextRange::new(self.offset(range.start()), self.offset(range.end()))
    }

    pub fn place_index(&self, index: usize) -> usize {
        (index as i64 + self.places).max(0) as usize
    }

    pub fn item_index(&self, index: usize) -> usize {
        (index as i64 + self.items).max(0) as usize
    }

    fn marker(&self, marker: &mut Marker) {
        marker.range = self.range(marker.range);
    }

    /// Moves a place in place. Every field is named so that a new one cannot be forgotten.
    pub fn place(&self, place: &mut Place) {
        let Place {
            subject: _,
            kind: _,
            marker,
            status: _,
            unknown: _,
            trailing,
            tag,
            line,
            title: _,
            fields,
            field_insert,
            dependencies,
            child_places,
            child_items,
            editable: _,
            done_mark,
            heading_number,
            extent,
        } = place;
        self.marker(marker);
        *trailing = trailing.map(|it| self.range(it));
        if let Some(tag) = tag {
            self.marker(tag);
        }
        *line = self.range(*line);
        for field in fields {
            field.value_range = self.range(field.value_range);
            field.line = self.range(field.line);
        }
        if let Some(insert) = field_insert {
            insert.at = self.offset(insert.at);
            if let FieldStyle::Json { after, .. } = &mut insert.style {
                *after = self.offset(*after);
            }
        }
        for dependency in dependencies {
            dependency.range = self.range(dependency.range);
        }
        *child_places = child_places.moved(|it| self.place_index(it));
        *child_items = child_items.moved(|it| self.item_index(it));
        *done_mark = done_mark.map(|it| self.range(it));
        *heading_number = heading_number.map(|it| self.range(it));
        *extent = self.range(*extent);
    }

    pub fn item(&self, item: &mut Item) {
        let Item { state: _, marker_range, status: _, unknown: _, depth: _, parent_item, owner, text, optional: _ } =
            item;
        *marker_range = self.range(*marker_range);
        *parent_item = parent_item.map(|it| Slot::new(self.item_index(it.index())));
        *owner = owner.map(|it| Slot::new(self.place_index(it.index())));
        *text = self.range(*text);
    }

    pub fn link(&self, link: &mut Link) {
        link.range = self.range(link.range);
    }
}

/// A markdown document that defines status markers, as its parse found it: `### `[BLOCKED]``
/// headings, or a table whose rows start with `[MARKER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusStandard {
    /// One-based line of the first marker definition: where `config --explain` points.
    pub line: u32,
    /// The document says what it is: its title, or a heading, is about status markers. Only a
    /// titled document is taken as a standard without being named in `.taskmark.toml`.
    pub titled: bool,
    pub markers: Vec<StandardMarker>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardMarker {
    /// Without brackets: `IN PROGRESS`.
    pub marker: String,
    /// The state.json value the document gives it (`in_progress`), when it gives one.
    pub json: Option<String>,
    pub line: u32,
}

#[cfg(test)]
mod set_aside_tests {
    use super::is_set_aside;

    #[test]
    fn boxes_set_aside_by_their_words() {
        for text in [
            "Deferred: dark mode",
            "Export PDF (deferred to task_08)",
            "11.3* (Optional) Property test",
            "Manual: open the menu (optional; covered in Vitest)",
            "Optional: benchmarks",
            "None at this stage",
            "N/A",
            "**TBD**",
            "Dark mode [DEFERRED]",
            "3.5 Prefetch adjacent week data (optional optimization) - Cancelled: not needed for MVP",
            "Update tests/export.py *(deviation: deferred — existing tests still pass)*",
            "Port the fixtures *(deviation: skipped — covered by task 12)*",
            "Phase 7: Implementation Divergence Audit [OPTIONAL] [NOT STARTED]",
            "Cancelled: the old importer",
            "Benchmark the cache (skipped)",
            "`npm run check` + manual flows。（用户确认本 change 已归档，验证步骤暂不执行）",
            "4.2 `openspec validate x --strict`。(验证步骤不再执行)",
            "性能基准测试（可选）",
            "导出 PDF（已取消）",
        ] {
            assert!(is_set_aside(text), "{text}");
        }
        for text in [
            "None of the endpoints leak data",
            "Write the exporter",
            "Add optional flags",
            "Nothing breaks on reload",
            "Optional/Advanced section: change Alt to Opt",
            "Deferred rendering pipeline",
            "Add minimal labels (optional: \"past\", \"future\")",
            "Skip the header row when parsing",
            "Handle cancelled orders in the refund flow",
            "Show skipped tests in the report - with their reason",
            "Cancel the subscription - from the settings page",
            "实现对话框（确定/取消）",
            "可选参数的校验（必填项）",
            "添加跳过按钮",
        ] {
            assert!(!is_set_aside(text), "{text}");
        }
    }
}
