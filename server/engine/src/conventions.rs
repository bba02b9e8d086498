//! A tracker's own vocabulary: the status standard its repository publishes, and the markers it
//! uses consistently.
//!
//! Real trackers disagree with the built-in profiles: ProofChecker's `status-markers.md` makes
//! `[IN PROGRESS]` a task status, a compozy project writes `status: done` on every finished task.
//! Reporting those as unknown markers is a false alarm, and worse, a place whose marker is
//! unknown drops out of the agreement and dependency checks. So the index reads the vocabulary
//! a tracker really uses from files it already holds, in three layers: the profile
//! (`profiles.rs` or `.taskmark.toml`), then the repository's standard document if one applies
//! to the tracker, then what the tracker's own files use consistently. Nothing here does IO.

use std::collections::{BTreeMap, HashSet};

use crate::model::{StandardMarker, StatusStandard, Subject};
use crate::vocabulary::{
    Convention, Kind, Lookup, Origin, Profile, Scope, Spelling, StatusDef, StatusId, SuggestionSource, UnknownReason,
    normalize_word,
};

/// Fewer marker definitions than this is an example or a remark, not a standard.
const MIN_DEFINED_MARKERS: usize = 3;

/// More than this is a list of something else (or a hostile file), not a vocabulary; reading
/// stops there, so a document of a million marker headings costs one pass.
const MAX_DEFINED_MARKERS: usize = 64;
const MAX_JSON_VALUES: usize = 256;

/// Whether `text` holds `# [`, `# `[`, `| [` or `| `[` (a marker defined in a heading or a
/// table row), found in one pass over its brackets rather than one search per pattern.
fn may_define_markers(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'[', bytes).any(|at| {
        let before = &bytes[..at];
        let before = before.strip_suffix(b"`").unwrap_or(before);
        before.ends_with(b"# ") || before.ends_with(b"| ")
    })
}

/// Reads a prose document as a status standard. Conservative: at least three distinct
/// bracketed upper-case markers defined by headings (`### `[NOT STARTED]``, `## [BLOCKED]`) or
/// by the first column of a table about markers; definition bullets (``- `[PLANNING]`: ...``)
/// add markers to a document that qualifies, never make one qualify.
pub fn detect_standard(text: &str) -> Option<StatusStandard> {
    // Most prose defines nothing: skip it without looking at lines.
    if !may_define_markers(text) {
        return None;
    }
    let mut defined: Vec<(StandardMarker, bool)> = Vec::new();
    let mut json_values: Vec<String> = Vec::new();
    let mut titled = false;
    let mut seen_title = false;
    let mut fence: Option<&str> = None;
    let mut table: Option<TableHeader> = None;
    let define =
        |defined: &mut Vec<(StandardMarker, bool)>, marker: String, json: Option<String>, line: u32, primary| {
            match defined.iter_mut().find(|(it, _)| it.marker == marker) {
                Some((existing, was_primary)) => {
                    *was_primary |= primary;
                    if existing.json.is_none() {
                        existing.json = json;
                    }
                }
                None => defined.push((StandardMarker { marker, json, line }, primary)),
            }
        };
    for (number, line) in text.lines().enumerate() {
        if defined.len() > MAX_DEFINED_MARKERS {
            return None;
        }
        let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_start();
        if json_values.len() < MAX_JSON_VALUES
            && let Some(value) = json_status_value(line)
        {
            json_values.push(value);
        }
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            table = None;
            continue;
        }
        if let Some(content) = heading(trimmed) {
            table = None;
            let (level, content) = content;
            let folded = content.to_lowercase();
            if level == 1 && !seen_title {
                seen_title = true;
                titled |= folded.contains("status");
            } else if folded.contains("status")
                && ["marker", "value", "standard", "vocabular", "convention", "definition"]
                    .iter()
                    .any(|it| folded.contains(it))
            {
                titled = true;
            }
            if (2..=4).contains(&level)
                && let Some(marker) = bracket_marker(content)
            {
                define(&mut defined, marker, None, number, true);
            }
            continue;
        }
        if let Some(row) = trimmed.strip_prefix('|') {
            let cells: Vec<&str> = row.trim_end().trim_end_matches('|').split('|').map(str::trim).collect();
            match &table {
                None => table = Some(TableHeader::new(&cells)),
                Some(header) => {
                    if header.defines_markers
                        && let Some(marker) = cells.first().and_then(|it| bracket_marker(it))
                    {
                        let json = header.json_column.and_then(|it| cells.get(it)).and_then(|it| json_word(it));
                        define(&mut defined, marker, json, number, true);
                    }
                }
            }
            continue;
        }
        table = None;
        if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* "))
            && let Some(end) = item.find("`:").or_else(|| item.find("` -")).or_else(|| item.find("` —"))
            && let Some(marker) = bracket_marker(&item[..=end])
        {
            define(&mut defined, marker, None, number, false);
        }
    }
    if defined.len() > MAX_DEFINED_MARKERS
        || defined.iter().filter(|(_, primary)| *primary).count() < MIN_DEFINED_MARKERS
    {
        return None;
    }
    let mut markers: Vec<StandardMarker> = defined.into_iter().map(|(it, _)| it).collect();
    for marker in &mut markers {
        if marker.json.is_none() {
            let wanted = normalize_word(&marker.marker);
            marker.json = json_values.iter().find(|it| normalize_word(it) == wanted).cloned();
        }
    }
    let line = markers.iter().map(|it| it.line).min().unwrap_or(1);
    Some(StatusStandard { line, titled, markers })
}

/// The level and content of an ATX heading line.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|it| *it == b'#').count();
    if !(1..=6).contains(&level) || !line[level..].starts_with(' ') {
        return None;
    }
    Some((level, line[level..].trim().trim_end_matches('#').trim()))
}

struct TableHeader {
    /// The first column lists the markers being defined: `| TODO.md Marker | state.json Value |`,
    /// not `| From | To |` or `| Legacy Value | Standard Value |`.
    defines_markers: bool,
    json_column: Option<usize>,
}

impl TableHeader {
    fn new(cells: &[&str]) -> TableHeader {
        let first = cells.first().map(|it| it.to_lowercase()).unwrap_or_default();
        let defines_markers = (first.contains("marker") || first.contains("status"))
            && !["legacy", "old", "from", "invalid", "deprecated", "before"].iter().any(|it| first.contains(it));
        let json_column = cells.iter().skip(1).position(|it| {
            let it = it.to_lowercase();
            it.contains("json") || it.contains("value")
        });
        TableHeader { defines_markers, json_column: json_column.map(|it| it + 1) }
    }
}

/// `` `[IN PROGRESS]` ``, `[BLOCKED]` or `**[DONE]**` alone: the marker without brackets.
fn bracket_marker(text: &str) -> Option<String> {
    let text = text.trim().trim_matches('*').trim();
    let text = text.strip_prefix('`').and_then(|it| it.strip_suffix('`')).unwrap_or(text);
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let letters = inner.chars().filter(char::is_ascii_uppercase).count();
    let marker_like = inner.chars().all(|c| c.is_ascii_uppercase() || matches!(c, ' ' | '_' | '-'))
        && inner.starts_with(|c: char| c.is_ascii_uppercase())
        && inner.ends_with(|c: char| c.is_ascii_uppercase());
    (marker_like && letters >= 2 && inner.len() <= 40).then(|| inner.to_string())
}

/// `` `in_progress` `` or `"in_progress"` in a table cell: a state.json value.
fn json_word(cell: &str) -> Option<String> {
    let word = cell.trim().trim_matches('`').trim_matches('"');
    let valid = !word.is_empty()
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    valid.then(|| word.to_string())
}

/// The value of a `"status": "in_progress"` on the line, if any.
fn json_status_value(line: &str) -> Option<String> {
    let at = line.find("\"status\"")?;
    let rest = line[at + "\"status\"".len()..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    json_word(&rest[..rest.find('"')?])
}

/// The documented conversion from a marker to its state.json value: lower case, underscores.
pub fn json_spelling(marker: &str) -> String {
    normalize_word(marker).replace(' ', "_")
}

/// Which standard a tracker follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandardChoice<'a> {
    /// The standard at this path: the nearest to the tracker.
    Chosen(&'a str, &'a StatusStandard),
    /// Several standards are equally near; none is applied.
    Ambiguous(Vec<&'a str>),
    None,
}

/// Whether a document at `path` may be a repository's standard: not a report, plan or summary
/// of one task (those discuss statuses, they do not define them), nor archived.
pub fn may_be_standard(path: &str) -> bool {
    let folders: Vec<&str> = path.split('/').collect();
    let folders = &folders[..folders.len().saturating_sub(1)];
    !folders.iter().any(|folder| {
        *folder == "archive"
            || (folder.starts_with(|c: char| c.is_ascii_digit())
                && folder.trim_start_matches(|c: char| c.is_ascii_digit()).starts_with(['_', '-']))
    })
}

/// The standard among `candidates` (path, standard) that a tracker rooted at `root` follows.
/// A standard speaks for its project: only documents inside the tracker's project folder count
/// (the root without its tracker folders, `specs/`, `tasks/prd-x/`, and agent folders such as
/// `.opencode/`), so one project's standard never reaches a sibling project's tracker. Of
/// those, the one whose folder shares the most leading folders with the root wins
/// (`.opencode/context/...` for `.opencode/specs`); a project with a single standard thus
/// applies it to all its trackers, and two equally near ones (`.opencode/` and `.claude/`
/// copies beside a root `specs/`) cancel out rather than one winning by accident.
pub fn choose_standard<'a>(root: &str, candidates: &'a [(String, StatusStandard)]) -> StandardChoice<'a> {
    let root: Vec<&str> = root.split('/').filter(|it| !it.is_empty()).collect();
    let project = project_folders(&root);
    let folders = |path: &'a str| -> Vec<&'a str> {
        let mut folders: Vec<&str> = path.split('/').collect();
        folders.pop();
        folders
    };
    let eligible: Vec<&(String, StatusStandard)> =
        candidates.iter().filter(|(path, _)| folders(path).starts_with(project)).collect();
    let shared = |path: &'a str| folders(path).iter().zip(&root).take_while(|(a, b)| a == b).count();
    let Some(best) = eligible.iter().map(|(path, _)| shared(path)).max() else { return StandardChoice::None };
    let nearest: Vec<&&(String, StatusStandard)> = eligible.iter().filter(|(path, _)| shared(path) == best).collect();
    match nearest.as_slice() {
        [(path, standard)] => StandardChoice::Chosen(path, standard),
        many => StandardChoice::Ambiguous(many.iter().map(|(path, _)| path.as_str()).collect()),
    }
}

/// The project folder of the tracker rooted at `root` (`proj-0` for `proj-0/specs`, empty for
/// `specs` or `.opencode/specs`): only documents inside it may be the tracker's standard.
pub fn project_of(root: &str) -> String {
    let root: Vec<&str> = root.split('/').filter(|it| !it.is_empty()).collect();
    project_folders(&root).join("/")
}

/// The folders of a tracker root that make its project: the root without the folders trackers
/// live in (`specs`, `tasks`, `process`, `backlog`, `prd-*`, and hidden agent folders).
fn project_folders<'a, 'b>(root: &'b [&'a str]) -> &'b [&'a str] {
    let mut end = root.len();
    while end > 0 {
        let folder = root[end - 1];
        let tracker_folder = matches!(folder, "specs" | "tasks" | "process" | "backlog")
            || folder.starts_with("prd-")
            || folder.starts_with('.');
        if !tracker_folder {
            break;
        }
        end -= 1;
    }
    &root[..end]
}

/// `profile` with the standard's markers as known statuses. A marker the profile spells already
/// becomes valid on tasks (`[IN PROGRESS]`, a phase status of the spec-folder profile, moves
/// through the task table as the status that lists it as an alias, `[IMPLEMENTING]`); a marker
/// that is an alias of one status becomes that status's spelling; any other is a new status of
/// the kind its name says (or of no known kind).
pub fn apply_standard(profile: &Profile, standard: &StatusStandard) -> Profile {
    let mut profile = profile.clone();
    for defined in &standard.markers {
        let json = defined.json.clone().unwrap_or_else(|| json_spelling(&defined.marker));
        let bracketed = format!("[{}]", defined.marker);
        if let Some(position) = profile.statuses.iter().position(|it| it.marker.as_deref() == Some(&defined.marker)) {
            let id = StatusId(position as u16);
            if !profile.statuses[position].task {
                if let Some(like) = task_twin(&profile, id) {
                    adopt_for_tasks(&mut profile, id, like);
                }
                profile.statuses[position].task = true;
            }
            let def = &mut profile.statuses[position];
            if def.json.is_none() {
                def.json = Some(json.clone());
            } else if def.json.as_deref() != Some(json.as_str()) {
                profile.conventions.push(Convention { spelling: Spelling::Json, text: json, status: id });
            }
            profile.statuses[position].origin = Origin::Standard { added: false };
            continue;
        }
        if let Lookup::Unknown(unknown) = profile.lookup(Spelling::Bracket, &bracketed, Scope::Task)
            && let [only] = unknown.suggestions.as_slice()
            && only.why == SuggestionSource::Alias
        {
            let status = only.status;
            profile.conventions.push(Convention { spelling: Spelling::Bracket, text: bracketed, status });
            if profile.status(status).json.as_deref() != Some(json.as_str()) {
                profile.conventions.push(Convention { spelling: Spelling::Json, text: json, status });
            }
            continue;
        }
        let kind = guess_kind(&defined.marker);
        let mut def = StatusDef::new(&unique_id(&profile, &json), kind.unwrap_or(Kind::Todo));
        def.marker = Some(defined.marker.clone());
        def.json = Some(json);
        def.phase = true;
        def.origin = Origin::Standard { added: true };
        def.opaque = kind.is_none();
        add_status(&mut profile, def);
    }
    profile
}

/// The task status a phase-only status moves like once it is valid on tasks: the one that lists
/// its marker as an alias, else the first of its kind.
fn task_twin(profile: &Profile, id: StatusId) -> Option<StatusId> {
    let def = profile.status(id);
    let folded = def.marker.as_deref().map(normalize_word).unwrap_or_default();
    let on_tasks = |it: &StatusId| profile.status(*it).task && *it != id;
    profile
        .ids()
        .filter(on_tasks)
        .find(|it| profile.status(*it).aliases.iter().any(|alias| normalize_word(alias) == folded))
        .or_else(|| profile.ids().filter(on_tasks).find(|it| profile.kind(*it) == def.kind))
}

/// Gives `id` the task transitions of `like`: the same next statuses, reachable from wherever
/// `like` is, and the two interchangeable (they are two spellings of one step).
fn adopt_for_tasks(profile: &mut Profile, id: StatusId, like: StatusId) {
    if profile.status(id).stamp.is_none() {
        profile.statuses[usize::from(id.0)].stamp = profile.status(like).stamp.clone();
    }
    if profile.status(id).requires.is_empty() {
        profile.statuses[usize::from(id.0)].requires = profile.status(like).requires.clone();
    }
    let table = &mut profile.task_transitions;
    if let Some(edges) = &mut table.edges {
        let mut next = edges[usize::from(like.0)].clone();
        next.push(like);
        for row in edges.iter_mut() {
            if row.contains(&like) && !row.contains(&id) {
                row.push(id);
            }
        }
        edges[usize::from(id.0)] = next;
        edges[usize::from(like.0)].push(id);
    }
    if table.from_any_open.contains(&like) {
        table.from_any_open.push(id);
    }
}

/// An id for a new status that no other status of the profile has.
fn unique_id(profile: &Profile, wanted: &str) -> String {
    let taken = |id: &str| profile.statuses.iter().any(|it| it.id == id);
    if !taken(wanted) {
        return wanted.to_string();
    }
    (2..).map(|n| format!("{wanted}_{n}")).find(|it| !taken(it)).unwrap_or_else(|| wanted.to_string())
}

/// Adds a status with no transition rows (its origin makes it unconstrained).
fn add_status(profile: &mut Profile, def: StatusDef) {
    profile.statuses.push(def);
    for table in [&mut profile.task_transitions, &mut profile.phase_transitions] {
        if let Some(edges) = &mut table.edges {
            edges.push(Vec::new());
        }
    }
}

/// The kind a status's name says, for names people use across trackers. `None` for a name
/// that says nothing taskmark can rely on (`PR READY`).
pub fn guess_kind(name: &str) -> Option<Kind> {
    const DONE: &[&str] = &[
        "done",
        "complete",
        "completed",
        "finished",
        "implemented",
        "closed",
        "merged",
        "shipped",
        "resolved",
        "fixed",
        "verified",
        "delivered",
        "released",
        "accepted",
    ];
    const CANCELLED: &[&str] = &[
        "skipped",
        "skip",
        "not applicable",
        "n a",
        "na",
        "obsolete",
        "cancelled",
        "canceled",
        "wontfix",
        "wont fix",
        "won t fix",
        "dropped",
        "superseded",
        "deprecated",
        "removed",
        "duplicate",
        "rejected",
        "excluded",
        "not needed",
        "out of scope",
        "abandoned",
    ];
    const BLOCKED: &[&str] = &["blocked", "on hold", "hold", "waiting", "paused", "stalled", "suspended"];
    const ACTIVE: &[&str] = &[
        "in progress",
        "wip",
        "doing",
        "ongoing",
        "started",
        "active",
        "in review",
        "review",
        "reviewing",
        "testing",
        "in testing",
        "implementing",
        "working",
    ];
    const TODO: &[&str] = &[
        "todo",
        "to do",
        "pending",
        "planned",
        "backlog",
        "new",
        "open",
        "deferred",
        "later",
        "queued",
        "draft",
        "proposed",
        "idea",
        "ready",
        "not started",
    ];
    let folded = normalize_word(name);
    [
        (DONE, Kind::Done),
        (CANCELLED, Kind::Cancelled),
        (BLOCKED, Kind::Blocked),
        (ACTIVE, Kind::Active),
        (TODO, Kind::Todo),
    ]
    .into_iter()
    .find(|(names, _)| names.contains(&folded.as_str()))
    .map(|(_, kind)| kind)
}

/// The kind a checkbox character says in the checklist conventions people share (Obsidian,
/// [x]it!, GitHub): `~` half-done, `>` and `<` moved or scheduled, `?` in question.
pub fn guess_box_kind(c: char) -> Option<Kind> {
    match c {
        '~' => Some(Kind::Active),
        '>' | '<' | '?' => Some(Kind::Todo),
        _ => None,
    }
}

/// A marker as a tracker file writes it, for learning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written<'a> {
    pub spelling: Spelling,
    pub text: &'a str,
    pub scope: Scope,
    /// The task or phase the place states; `None` for a checkbox item (each its own subject).
    pub subject: Option<&'a Subject>,
}

/// A marker a tracker uses consistently: its convention, not a typo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// Its spellings as written, sorted (`[PR READY]` and `pr_ready` are one status).
    pub spellings: Vec<(Spelling, String)>,
    /// How many places and items write it.
    pub places: usize,
    /// How many tasks, phases and items: the places of one task count once.
    pub subjects: usize,
    /// Written on tasks (and checkboxes), on phases.
    pub on_tasks: bool,
    pub on_phases: bool,
    pub reading: Reading,
}

/// What a learned marker is read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A documented alias of this status (`[COMPLETE]` for `[COMPLETED]`).
    Status(String),
    /// A status of its own, of the kind its name says (`[NOT APPLICABLE]`: cancelled).
    Kind(Kind),
    /// A status of its own whose kind taskmark cannot tell (`[PR READY]`): the task's other
    /// statuses must write the same word, a plan or a box is not compared with it, and it
    /// counts as open.
    Opaque,
}

impl Learned {
    /// The spellings as people read them: `[PR READY]`, `pr_ready`, `[~]`.
    pub fn shown(&self) -> Vec<String> {
        self.spellings
            .iter()
            .map(|(spelling, text)| match spelling {
                Spelling::Checkbox => format!("[{text}]"),
                _ => text.clone(),
            })
            .collect()
    }
}

/// The markers among `written` that `profile` does not know and that the tracker uses at
/// `min_places` places or more. A near miss of a known marker (`[IN PROGRES]`, `[completed]`,
/// `[ IN PROGRESS ]`) is a typo however often it is copied; a status of the other scope and a
/// legacy spelling are reported as such; only a marker with no close known spelling, or a
/// documented alias of exactly one status, is learned. An alias is the tracker's habit only
/// where it outnumbers the status's own spelling (`standard_uses` counts the places that write
/// a status in its standard spelling; it is told how many places write the alias, for a caller
/// that keeps the weighing): five `[COMPLETE]` among two hundred `[COMPLETED]` are drift.
pub fn learn<'a>(
    profile: &Profile,
    written: impl Iterator<Item = Written<'a>>,
    min_places: usize,
    standard_uses: impl Fn(StatusId, &[Spelling], usize) -> usize,
) -> Vec<Learned> {
    struct Group<'a> {
        spellings: Vec<(Spelling, String)>,
        places: usize,
        subjects: HashSet<&'a Subject>,
        items: usize,
        alias_of: Option<StatusId>,
        scopes: (bool, bool),
    }
    let mut groups: BTreeMap<(bool, String), Group<'a>> = BTreeMap::new();
    for it in written {
        let Lookup::Unknown(unknown) = profile.lookup(it.spelling, it.text, it.scope) else { continue };
        let alias_of = match (&unknown.reason, unknown.suggestions.as_slice()) {
            (UnknownReason::NotInVocabulary, []) => None,
            (UnknownReason::Misspelled, [only]) if only.why == SuggestionSource::Alias => Some(only.status),
            _ => continue,
        };
        let inner = match it.spelling {
            Spelling::Bracket => it.text.trim_start_matches('[').trim_end_matches(']'),
            _ => it.text,
        };
        let key = match it.spelling {
            Spelling::Checkbox => (true, it.text.to_string()),
            _ => (false, normalize_word(inner)),
        };
        let says_something = match it.spelling {
            Spelling::Checkbox => it.text.chars().any(|c| !c.is_whitespace()),
            _ => !key.1.is_empty() && inner.chars().any(char::is_alphabetic),
        };
        if !says_something {
            continue;
        }
        let group = groups.entry(key).or_insert_with(|| Group {
            spellings: Vec::new(),
            places: 0,
            subjects: HashSet::new(),
            items: 0,
            alias_of: None,
            scopes: (false, false),
        });
        group.places += 1;
        match it.subject {
            Some(subject) => {
                group.subjects.insert(subject);
            }
            None => group.items += 1,
        }
        group.alias_of = group.alias_of.or(alias_of);
        match it.scope {
            Scope::Task => group.scopes.0 = true,
            Scope::Phase => group.scopes.1 = true,
        }
        let spelled = (it.spelling, it.text.to_string());
        if !group.spellings.contains(&spelled) {
            group.spellings.push(spelled);
        }
    }
    let learned: Vec<Learned> = groups
        .into_iter()
        .filter(|(_, group)| group.places >= min_places)
        .filter(|(_, group)| {
            let Some(status) = group.alias_of else { return true };
            let spellings: Vec<Spelling> = group.spellings.iter().map(|(spelling, _)| *spelling).collect();
            group.places > standard_uses(status, &spellings, group.places)
        })
        .map(|((checkbox, key), mut group)| {
            group.spellings.sort_by(|a, b| (a.0.rank(), &a.1).cmp(&(b.0.rank(), &b.1)));
            let reading = match group.alias_of {
                Some(status) => Reading::Status(profile.status(status).id.clone()),
                None => {
                    let kind = if checkbox { key.chars().next().and_then(guess_box_kind) } else { guess_kind(&key) };
                    kind.map_or(Reading::Opaque, Reading::Kind)
                }
            };
            Learned {
                spellings: group.spellings,
                places: group.places,
                subjects: group.subjects.len() + group.items,
                on_tasks: group.scopes.0,
                on_phases: group.scopes.1,
                reading,
            }
        })
        .collect();
    most_used(learned)
}

/// A tracker has a handful of conventions; past this many, the most used are kept (a file of
/// thousands of invented markers must not make every lookup slow).
const MAX_LEARNED: usize = 32;

/// The `MAX_LEARNED` most used of `learned`, in their original (key) order.
fn most_used(mut learned: Vec<Learned>) -> Vec<Learned> {
    if learned.len() <= MAX_LEARNED {
        return learned;
    }
    let mut by_use: Vec<usize> = (0..learned.len()).collect();
    by_use.sort_by(|a, b| learned[*b].places.cmp(&learned[*a].places).then(a.cmp(b)));
    let mut kept: Vec<usize> = by_use.into_iter().take(MAX_LEARNED).collect();
    kept.sort_unstable();
    let mut position = 0;
    learned.retain(|_| {
        let keep = kept.binary_search(&position).is_ok();
        position += 1;
        keep
    });
    learned
}

/// `profile` with the learned markers: aliases become conventions of their status, the rest
/// statuses of their own (origin [`Origin::Learned`], valid where they were seen).
pub fn apply_learned(mut profile: Profile, learned: &[Learned]) -> Profile {
    for it in learned {
        if let Reading::Status(id) = &it.reading
            && let Some(status) = profile.by_id(id)
        {
            for (spelling, text) in &it.spellings {
                profile.conventions.push(Convention { spelling: *spelling, text: text.clone(), status });
            }
            continue;
        }
        let kind = match it.reading {
            Reading::Kind(kind) => Some(kind),
            _ => None,
        };
        let name = it.spellings.first().map(|(spelling, text)| match spelling {
            Spelling::Checkbox => format!("box {text}"),
            Spelling::Bracket => text.trim_start_matches('[').trim_end_matches(']').to_string(),
            _ => text.clone(),
        });
        let mut def = StatusDef::new(&unique_id(&profile, &json_spelling(&name.unwrap_or_default())), Kind::Todo);
        def.kind = kind.unwrap_or(Kind::Todo);
        def.agrees_with = vec![def.kind];
        def.opaque = kind.is_none();
        def.origin = Origin::Learned;
        def.task = false;
        for (spelling, text) in &it.spellings {
            match spelling {
                Spelling::Bracket if def.marker.is_none() => {
                    def.marker = Some(text.trim_start_matches('[').trim_end_matches(']').to_string());
                }
                Spelling::Json if def.json.is_none() => def.json = Some(text.clone()),
                Spelling::Word => def.words.push(text.clone()),
                Spelling::Checkbox => def.checkbox.extend(text.chars().next()),
                _ => {}
            }
        }
        // Valid where it was seen.
        def.task = it.on_tasks;
        def.phase = it.on_phases;
        add_status(&mut profile, def);
    }
    profile
}

/// Which vocabulary a tracker reads its files in, and why: for `config --explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabularyChoice {
    pub base: BaseSource,
    pub standard: StandardUse,
    /// Markers learned from the tracker's own files.
    pub learned: Vec<Learned>,
}

/// Where the profile under the standard and the learned markers comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSource {
    Profile(crate::config::ProfileSource),
    /// Backlog.md's own `backlog/config.yml` at this path.
    BacklogConfig(String),
}

/// Whether the repository's standard applies to a tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandardUse {
    /// None found, turned off, or the tracker writes no bracketed markers.
    None,
    /// The document at `path`, its definitions starting at `line`, defining `markers`.
    Applied { path: String, line: u32, markers: Vec<String> },
    /// Several standards are equally near the tracker; none is applied.
    Ambiguous(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_prefilter_finds_what_the_four_patterns_find() {
        let patterns = ["# `[", "# [", "| `[", "| ["];
        for text in [
            "",
            "[x]",
            "# [DONE]",
            "## `[DONE]`",
            "| [DONE] |",
            "| `[x]` |",
            "#[x]",
            "# ``[x]",
            "|[x]",
            "a # [x]",
            "`[x]",
            "# `",
            "text [link](x.md) | `code` [a]",
            "||`[",
            "# `` [",
        ] {
            let expected = patterns.iter().any(|it| text.contains(it));
            assert_eq!(may_define_markers(text), expected, "{text:?}");
        }
        proptest::proptest!(|(text in "[#| `\\[a]{0,12}")| {
            let expected = patterns.iter().any(|it| text.contains(it));
            proptest::prop_assert_eq!(may_define_markers(&text), expected);
        });
    }

    const DOCUMENT: &str = "# Workflow Conventions\n\n## Status markers\n\n#### `[QUEUED]`\nWaiting.\n\n#### **[RUNNING]**\nUnder way.\n\n```markdown\n### `[NOT A DEFINITION]`\n{\"status\": \"running\"}\n```\n\n| Marker | state.json value | Meaning |\n|---|---|---|\n| `[FINISHED]` | `finished_ok` | done |\n\n| From | To |\n|---|---|\n| `[QUEUED]` | `[STUCK]` |\n\n| Legacy Value | Standard Value |\n|---|---|\n| `[OLD]` | `[FINISHED]` |\n\n- `[STUCK]`: waiting on someone\n- `[ELSEWHERE]` mentioned in passing\n";

    #[test]
    fn standards_are_read_from_headings_tables_and_definition_bullets() {
        let standard = detect_standard(DOCUMENT).expect("a standard");
        assert!(standard.titled);
        assert_eq!(standard.line, 5);
        let markers: Vec<(&str, Option<&str>)> =
            standard.markers.iter().map(|it| (it.marker.as_str(), it.json.as_deref())).collect();
        // The fenced example, the transition table's second column, the legacy table and a
        // marker merely mentioned are not definitions; a json value from the document is used.
        assert_eq!(
            markers,
            vec![("QUEUED", None), ("RUNNING", Some("running")), ("FINISHED", Some("finished_ok")), ("STUCK", None)]
        );
    }

    #[test]
    fn a_standard_needs_three_defined_markers_and_says_what_it_is() {
        assert_eq!(detect_standard("# Status\n### `[A1]`\n### `[DONE]`\n### `[OPEN]`\n"), None, "not a marker");
        assert_eq!(detect_standard("# Status\n### `[DONE]`\n### `[OPEN]`\n- `[HELD]`: a bullet\n"), None);
        let untitled = detect_standard("# Glossary\n## [DONE]\n## [OPEN]\n## [HELD]\n").expect("markers");
        assert!(!untitled.titled);
        let titled = detect_standard("# Glossary\n## Status values\n## [DONE]\n## [OPEN]\n## [HELD]\n");
        assert!(titled.is_some_and(|it| it.titled));
        assert_eq!(detect_standard("no markers here [DONE] [OPEN] [HELD]\n"), None);
        // A document of many marker headings is a list of something else, read in one pass.
        let many: String = (0..100_000).map(|it| format!("## [M{}]\n", to_letters(it))).collect();
        assert_eq!(detect_standard(&format!("# Status\n{many}")), None);
    }

    /// `0` as `A`, `26` as `BA`: distinct upper-case marker names.
    fn to_letters(mut n: usize) -> String {
        let mut out = Vec::new();
        loop {
            out.push(b'A' + (n % 26) as u8);
            n /= 26;
            if n == 0 {
                break;
            }
        }
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn the_nearest_standard_applies_and_equals_cancel_out() {
        let standard = || detect_standard("# Status\n## [DONE]\n## [OPEN]\n## [HELD]\n").expect("a standard");
        let at = |paths: &[&str]| -> Vec<(String, StatusStandard)> {
            paths.iter().map(|it| (it.to_string(), standard())).collect()
        };
        let chosen = |root: &str, candidates: &[(String, StatusStandard)]| match choose_standard(root, candidates) {
            StandardChoice::Chosen(path, _) => Some(path.to_string()),
            _ => None,
        };
        let two = at(&[".opencode/context/status.md", ".claude/context/status.md"]);
        assert_eq!(chosen(".opencode/specs", &two).as_deref(), Some(".opencode/context/status.md"));
        assert_eq!(chosen(".claude/specs", &two).as_deref(), Some(".claude/context/status.md"));
        assert!(matches!(choose_standard("specs", &two), StandardChoice::Ambiguous(paths) if paths.len() == 2));
        // One standard in a project applies to every tracker of it, and to no other project's.
        let one = at(&["docs/status.md"]);
        assert_eq!(chosen("specs", &one).as_deref(), Some("docs/status.md"));
        assert_eq!(chosen(".claude/specs", &one).as_deref(), Some("docs/status.md"));
        let sibling = at(&["web/docs/status.md"]);
        assert_eq!(chosen("web/.agents/specs", &sibling).as_deref(), Some("web/docs/status.md"));
        assert_eq!(choose_standard("api/specs", &sibling), StandardChoice::None);
        assert_eq!(choose_standard("specs", &[]), StandardChoice::None);
        assert!(may_be_standard(".opencode/context/common/system/status-markers.md"));
        assert!(!may_be_standard("specs/221_fix_status/reports/research-001.md"));
        assert!(!may_be_standard("specs/archive/status-markers.md"));
        assert!(!may_be_standard("specs/012-kit/status.md"));
    }

    #[test]
    fn a_tracker_keeps_its_most_used_conventions_only() {
        let profile = crate::profiles::spec_folder();
        let subject = Subject::Task(crate::model::TaskKey::new("specs", "1"));
        let markers: Vec<String> = (0..200).map(|it| format!("[Q{}]", to_letters(it))).collect();
        let written = markers.iter().enumerate().flat_map(|(n, text)| {
            let uses = if n == 7 { 5 } else { 3 };
            std::iter::repeat_n(
                Written { spelling: Spelling::Bracket, text, scope: Scope::Task, subject: Some(&subject) },
                uses,
            )
        });
        let learned = learn(&profile, written, 3, |_, _, _| 0);
        assert_eq!(learned.len(), MAX_LEARNED);
        assert!(learned.iter().any(|it| it.places == 5), "the most used is kept");
    }

    #[test]
    fn names_say_their_kind_when_people_agree_on_it() {
        assert_eq!(guess_kind("NOT APPLICABLE"), Some(Kind::Cancelled));
        assert_eq!(guess_kind("On Hold"), Some(Kind::Blocked));
        assert_eq!(guess_kind("shipped"), Some(Kind::Done));
        assert_eq!(guess_kind("in-review"), Some(Kind::Active));
        assert_eq!(guess_kind("PR READY"), None);
        assert_eq!(guess_box_kind('~'), Some(Kind::Active));
        assert_eq!(guess_box_kind('*'), None);
        assert_eq!(json_spelling("IN PROGRESS"), "in_progress");
    }
}
