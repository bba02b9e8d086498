//! `taskmark new`: a task written into every store its tracker keeps, in the tracker's own
//! style, learned from the tasks it already has (field names and order, timestamp form, link
//! form, Task Order line shape, zero padding, id prefix), planned as one [`WorkspaceChange`].

use crate::change::{NewFile, Refusal, WorkspaceChange, user_text};
use crate::index::{FileId, Tracker, WorkspaceIndex};
use crate::layout::{self, Family, Role};
use crate::lifecycle::ids::{IdShape, UsedIds, id_number};
use crate::lifecycle::json_text;
use crate::model::{Place, PlaceKind, TaskKey};
use crate::rules::counters;
use crate::text::{TextEdit, line_ending, lines_with_offsets, size};
use crate::timestamp::Now;
use crate::vocabulary::{Profile, Scope, Spelling, StatusId};

/// What `taskmark new` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    /// A status of the tracker's vocabulary (default: its first not-started status).
    pub status: Option<String>,
    pub priority: Option<String>,
    pub depends_on: Vec<String>,
    pub description: Option<String>,
    /// A tracker root (`specs`) or family (`backlog`); needed when the workspace has several.
    pub tracker: Option<String>,
    /// Also write a plan skeleton in the task's folder (spec-folder).
    pub plan: bool,
    /// For a checklist: the heading the new box goes under.
    pub heading: Option<String>,
    /// Other fields the tracker's task standard asks for (`Language`, `Effort`), in order:
    /// written as the section's fields, and as the state.json entry's keys of the same name.
    pub fields: Vec<(String, String)>,
    /// Acceptance criteria, each an open box under `- **Acceptance Criteria**:`.
    pub acceptance_criteria: Vec<String>,
    pub now: Now,
}

impl NewTask {
    pub fn new(title: impl Into<String>, now: Now) -> NewTask {
        NewTask {
            title: title.into(),
            status: None,
            priority: None,
            depends_on: Vec::new(),
            description: None,
            tracker: None,
            plan: false,
            heading: None,
            fields: Vec::new(),
            acceptance_criteria: Vec::new(),
            now,
        }
    }
}

/// A planned new task: its id (none for a checklist box) and the change that writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    pub task: Option<TaskKey>,
    /// Whether the id is a number allocated above the tracker's (reserved across worktrees);
    /// a Conductor track's id is its title and date.
    pub numbered: bool,
    pub tracker: String,
    pub change: WorkspaceChange,
}

/// Whether `new` can write to trackers of this family.
fn writable(family: Family) -> bool {
    matches!(
        family,
        Family::SpecFolder
            | Family::Backlog
            | Family::SpecKit
            | Family::Checklist
            | Family::Minsky
            | Family::Compozy
            | Family::Conductor
    )
}

/// Which tracker the request names, or the only one there is.
pub fn choose_tracker<'i>(index: &'i WorkspaceIndex, wanted: Option<&str>) -> Result<&'i Tracker, Refusal> {
    let candidates: Vec<&Tracker> = index
        .trackers()
        .iter()
        .filter(|it| wanted.is_none_or(|wanted| super::list::names_tracker(index, it, wanted)))
        .collect();
    let names = |trackers: &[&Tracker]| trackers.iter().map(|it| described(it)).collect::<Vec<_>>();
    match candidates.as_slice() {
        [] if wanted.is_some() => Err(Refusal::BadRequest(format!(
            "no tracker `{}` in this workspace; its trackers are {}",
            wanted.unwrap_or_default(),
            names(&index.trackers().iter().collect::<Vec<_>>()).join(", ")
        ))),
        [] => Err(Refusal::BadRequest("this workspace has no tracker to add a task to".into())),
        [one] if writable(one.family) => Ok(one),
        [one] => Err(Refusal::BadRequest(format!(
            "taskmark cannot add tasks to {} trackers yet ({})",
            one.family.as_str(),
            shown_root(&one.root)
        ))),
        many => {
            let writable: Vec<&Tracker> = many.iter().copied().filter(|it| writable(it.family)).collect();
            // A folder that is a structured tracker and also holds loose checklists is the
            // structured tracker.
            let structured: Vec<&Tracker> =
                writable.iter().copied().filter(|it| it.family != Family::Checklist).collect();
            let same_root = writable.iter().all(|it| it.root == writable[0].root);
            match writable.as_slice() {
                [one] => Ok(one),
                _ if same_root && structured.len() == 1 => Ok(structured[0]),
                _ => Err(Refusal::BadRequest(format!(
                    "this workspace has several trackers: {}; name the one to add the task to (its folder or family)",
                    names(many).join(", ")
                ))),
            }
        }
    }
}

/// A tracker as refusals name it: `.opencode/specs (spec-folder)`.
pub(crate) fn described(tracker: &Tracker) -> String {
    format!("{} ({})", shown_root(&tracker.root), tracker.family.as_str())
}

fn shown_root(root: &str) -> &str {
    if root.is_empty() { "." } else { root }
}

/// Plans the new task: checks the request, allocates the id above everything in `used`, and
/// writes every store of the tracker. Validated like any change; the caller re-checks it.
pub fn plan_new_task(index: &WorkspaceIndex, request: &NewTask, used: &UsedIds) -> Result<PlannedTask, Refusal> {
    let title = user_text::title(&request.title)?.to_string();
    let description = user_text::description(request.description.as_deref())?;
    let priority = request.priority.as_deref().map(str::trim).filter(|it| !it.is_empty());
    let priority = priority.map(|it| user_text::one_line("priority", it)).transpose()?.map(str::to_string);
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in &request.fields {
        let (name, value) = user_text::field(name, value)?;
        if fields.iter().any(|(it, _)| it.eq_ignore_ascii_case(name)) {
            return Err(Refusal::BadRequest(format!("the field {name:?} is given twice")));
        }
        fields.push((name.to_string(), value.to_string()));
    }
    // The tracker's own order places the fields it knows; the others follow by name, whatever
    // order a front door passed them in.
    fields.sort_by_key(|(name, _)| name.to_lowercase());
    let acceptance_criteria = request
        .acceptance_criteria
        .iter()
        .map(|it| user_text::list_item("acceptance criterion", it).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let tracker = choose_tracker(index, request.tracker.as_deref())?;
    if (!fields.is_empty() || !acceptance_criteria.is_empty()) && tracker.family != Family::SpecFolder {
        return Err(Refusal::BadRequest(format!(
            "fields and acceptance criteria are written to spec-folder trackers only, not yet to {} ({})",
            tracker.family.as_str(),
            shown_root(&tracker.root)
        )));
    }
    if let Some((path, problem)) = index.unparsed_store(&tracker.root, None) {
        return Err(Refusal::NotEditable { path: path.to_string(), reason: format!("it does not parse ({problem})") });
    }
    let profile = &tracker.profile;
    let status = match &request.status {
        Some(wanted) => crate::change::task_status(profile, wanted)?,
        None => default_status(profile)
            .ok_or_else(|| Refusal::BadRequest("the tracker's vocabulary has no not-started status".into()))?,
    };
    let mut dependencies = Vec::new();
    for wanted in &request.depends_on {
        let found = index.find_tasks(&format!("{}:{}", tracker.root, wanted.trim()));
        let Some(task) = found.first() else {
            return Err(Refusal::BadRequest(format!(
                "unknown dependency `{wanted}`: no task of that id in {}",
                shown_root(&tracker.root)
            )));
        };
        if !dependencies.iter().any(|it| *it == task.id) {
            dependencies.push(task.id.to_string());
        }
    }
    let new = Request {
        title,
        description,
        status,
        priority,
        dependencies,
        plan: request.plan,
        heading: request.heading.clone(),
        now: request.now.clone(),
        fields,
        acceptance_criteria,
    };
    let mut change = WorkspaceChange::default();
    let task = match tracker.family {
        Family::SpecFolder => Some(spec_folder::plan(index, tracker, &new, used, &mut change)?),
        Family::Backlog => Some(backlog::plan(index, tracker, &new, used, &mut change)?),
        Family::SpecKit => Some(spec_kit::plan(index, tracker, &new, used, &mut change)?),
        Family::Minsky => Some(minsky::plan(index, tracker, &new, used, &mut change)?),
        Family::Compozy => Some(compozy::plan(index, tracker, &new, used, &mut change)?),
        Family::Conductor => Some(conductor::plan(index, tracker, &new, &mut change)?),
        Family::Checklist => {
            checklist::plan(index, tracker, &new, &mut change)?;
            None
        }
        other => {
            return Err(Refusal::BadRequest(format!("taskmark cannot add tasks to {} trackers yet", other.as_str())));
        }
    };
    change.label = match &task {
        Some(task) => format!("new {} {}", task.id, new.title),
        None => format!("new box {}", new.title),
    };
    let change = change.finish();
    change.validate(index)?;
    let numbered = tracker.family != Family::Conductor;
    Ok(PlannedTask { task, numbered, tracker: tracker.root.clone(), change })
}

/// `high` -> `High`, as TODO.md writes priorities.
pub(super) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}

/// A YAML scalar for `text`: plain when that reads back the same, else single-quoted.
pub(super) fn yaml_string(text: &str) -> String {
    let plain = !text.contains([':', '#', '\'', '"', '{', '}', ',', '&', '*', '!', '%', '@', '`'])
        && !text.starts_with(['?', ' ', '-'])
        && !text.ends_with(' ');
    if plain { text.to_string() } else { format!("'{}'", text.replace('\'', "''")) }
}

/// The request after its checks.
struct Request {
    title: String,
    description: Option<String>,
    status: StatusId,
    priority: Option<String>,
    dependencies: Vec<String>,
    plan: bool,
    heading: Option<String>,
    now: Now,
    /// Other fields (`Language`): the section's, and values for the state.json entry's keys
    /// of the same name.
    fields: Vec<(String, String)>,
    acceptance_criteria: Vec<String>,
}

/// A spec-folder task that has a TODO.md section and no state.json entry gets its entry, as
/// the tracker's status-sync-manager adds it when the task is first worked on: shaped like the
/// newest entry, with the section's title, priority and dependencies, `status` and the task's
/// folder (the one it has, else the one `taskmark new` would make). Nothing when the tracker
/// keeps no state.json, the task has an entry, or `status` is the vocabulary's first
/// not-started status (a task not started yet needs none).
pub(crate) fn complete_state_json(
    index: &WorkspaceIndex,
    task: &TaskKey,
    status: StatusId,
    now: &Now,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    let Some(tracker) = index.trackers().iter().find(|it| it.root == *task.scope) else { return Ok(()) };
    if tracker.family != Family::SpecFolder || default_status(&tracker.profile) == Some(status) {
        return Ok(());
    }
    let Some(entry) = index.task(task) else { return Ok(()) };
    let places: Vec<(FileId, &Place)> = entry.places.iter().map(|it| (it.file, index.place(*it))).collect();
    if places.iter().any(|(_, it)| it.kind == PlaceKind::StateJson) {
        return Ok(());
    }
    let Some(&(section_file, section)) = places.iter().find(|(_, it)| it.kind == PlaceKind::TodoSection) else {
        return Ok(());
    };
    let Some(state) = files_with_role(index, tracker, Role::StateJson).into_iter().next() else { return Ok(()) };
    let Some(number) = id_number(&task.id) else { return Ok(()) };
    let title = section.title.as_deref().unwrap_or_default().trim().to_string();
    let existing = index.tracker_paths(&tracker.root).find_map(|path| {
        let folder = layout::task_folder(path)?;
        (layout::task_folder_id(path).as_deref() == Some(&*task.id)).then(|| folder.to_string())
    });
    let name = existing.unwrap_or_else(|| {
        let width = spec_folder::folder_width(index, tracker);
        format!("{number:0width$}_{}", slug(&title, '_', 50))
    });
    let folder = if tracker.root.is_empty() { name } else { format!("{}/{name}", tracker.root) };
    let fields = section_fields(index.text(section_file), section);
    let priority = fields.iter().find(|(it, _)| it.eq_ignore_ascii_case("Priority")).map(|(_, value)| value.clone());
    let request = Request {
        title,
        description: None,
        status,
        priority,
        dependencies: section.dependencies.iter().map(|it| it.id.to_string()).collect(),
        plan: false,
        heading: None,
        now: now.clone(),
        fields,
        acceptance_criteria: Vec::new(),
    };
    spec_folder::state_entry(index, state, tracker, &request, number, &folder, change)
}

/// A TODO.md section's `- **Name**: value` fields (top level, non-empty values), in order.
fn section_fields(text: &str, section: &Place) -> Vec<(String, String)> {
    text[section.extent]
        .lines()
        .filter_map(crate::markdown::field_line)
        .filter(|it| it.indent <= 1 && !it.value.trim().is_empty())
        .map(|it| (it.name.trim().to_string(), it.value.trim().to_string()))
        .collect()
}

/// The keys of the newest entry of `state` whose values are strings, other than those every
/// entry is given anyway, each with whether its value is written in lower case.
fn newest_entry_text_keys(index: &WorkspaceIndex, state: FileId) -> Vec<(String, bool)> {
    const GIVEN: [&str; 6] = ["project_number", "project_name", "status", "priority", "description", "dependencies"];
    let text = index.text(state);
    let entries = index.parsed(state).places.iter().filter(|it| it.kind == PlaceKind::StateJson);
    let Some(template) = newest(entries) else { return Vec::new() };
    let template_text = &text[template.extent];
    json_text::properties(template_text)
        .iter()
        .filter(|it| !GIVEN.contains(&it.key.as_str()) && !crate::parse::is_timestamp_key(&it.key))
        .filter_map(|it| {
            let raw = it.raw(template_text);
            let value = raw.strip_prefix('"')?.strip_suffix('"')?;
            Some((it.key.clone(), value == value.to_lowercase()))
        })
        .collect()
}

/// The vocabulary's first task status of kind todo (`not_started`, `To Do`, `pending`).
fn default_status(profile: &Profile) -> Option<StatusId> {
    profile.first_todo(Scope::Task)
}

/// The files of `tracker` with `role`, in path order.
pub(super) fn files_with_role(index: &WorkspaceIndex, tracker: &Tracker, role: Role) -> Vec<FileId> {
    let mut files: Vec<FileId> = index
        .entries()
        .filter(|(_, entry)| entry.class.root == tracker.root && entry.class.role == role)
        .map(|(file, _)| file)
        .collect();
    files.sort_by(|a, b| index.path(*a).cmp(index.path(*b)));
    files
}

/// `Sync engine, v2!` -> `sync_engine_v2`: lower-case words joined by `separator`, at most
/// `max` bytes, cut at a word.
fn slug(title: &str, separator: char, max: usize) -> String {
    let mut out = String::new();
    for word in title.split(|it: char| !it.is_ascii_alphanumeric()).filter(|it| !it.is_empty()) {
        if !out.is_empty() && out.len() + 1 + word.len() > max {
            break;
        }
        if !out.is_empty() {
            out.push(separator);
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() { "task".to_string() } else { out }
}

/// The timestamp in the form `example` has: a date, or an instant.
fn stamp_like(example: Option<&str>, now: &Now) -> String {
    match example {
        Some(it) if it.trim().len() <= 10 => now.date.clone(),
        Some(_) => now.timestamp.clone(),
        None => now.date.clone(),
    }
}

/// The place with the highest numeric id: the tracker's most recent task, whose style a new
/// one follows.
fn newest<'p>(places: impl Iterator<Item = &'p Place>) -> Option<&'p Place> {
    places.max_by_key(|it| it.task().and_then(|task| id_number(&task.id)).unwrap_or(0))
}

/// Updates `next_project_number` and `task_counts` of `file` for one more task of `status`.
fn bump_counters(
    index: &WorkspaceIndex,
    file: FileId,
    profile: &Profile,
    status: StatusId,
    next: u64,
    change: &mut WorkspaceChange,
) {
    let Some(counters) = index.parsed(file).counters.as_ref() else { return };
    if let Some(counter) = &counters.next_project_number
        && counter.value < next
    {
        change.edit(index, file, TextEdit::replace(counter.range, next.to_string()));
    }
    let def = profile.status(status);
    for counter in &counters.task_counts {
        let key = counter.key.as_str();
        let counts = key == "total"
            || (key == "active" && !profile.kind(status).is_closed())
            || def.json.as_deref() == Some(key)
            || def.id == key;
        if counts {
            change.edit(index, file, TextEdit::replace(counter.range, (counter.value + 1).to_string()));
        }
    }
}

/// Refuses when the tracker's counters already disagree with each other or with its ids: the
/// numbers and the fix are in the message.
fn refuse_stale_counters(index: &WorkspaceIndex, files: &[FileId]) -> Result<(), Refusal> {
    let mut values: Vec<(String, u64)> = Vec::new();
    for file in files {
        if let Some(counter) = index.parsed(*file).counters.as_ref().and_then(|it| it.next_project_number.as_ref()) {
            values.push((index.path(*file).to_string(), counter.value));
        }
        for expectation in counters::expectations(index, *file) {
            if expectation.counter.key == "next_project_number" && expectation.is_stale() {
                return Err(Refusal::InconsistentTracker {
                    detail: format!("{}: {}", index.path(*file), expectation.reason),
                });
            }
        }
    }
    if let [(first, a), (second, b), ..] = values.as_slice()
        && a != b
    {
        return Err(Refusal::InconsistentTracker {
            detail: format!("{first} says next_project_number {a} but {second} says {b}"),
        });
    }
    Ok(())
}

pub(crate) mod spec_folder {
    use super::*;

    /// TODO.md section (and Task Order line), state.json entry, both counters, and with `plan`
    /// the task folder with a plan skeleton linked from the section.
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        used: &UsedIds,
        change: &mut WorkspaceChange,
    ) -> Result<TaskKey, Refusal> {
        let todo = files_with_role(index, tracker, Role::Todo).into_iter().next();
        let state = files_with_role(index, tracker, Role::StateJson).into_iter().next();
        if todo.is_none() && state.is_none() {
            return Err(Refusal::BadRequest(format!("{} has neither TODO.md nor state.json", tracker.root)));
        }
        let stores: Vec<FileId> = todo.into_iter().chain(state).collect();
        refuse_stale_counters(index, &stores)?;
        let number = used.next();
        let folder_width = folder_width(index, tracker);
        let id = number.to_string();
        let key = TaskKey::new(tracker.root.clone(), id.clone());
        let name = format!("{number:0folder_width$}_{}", slug(&request.title, '_', 50));
        let folder = if tracker.root.is_empty() { name } else { format!("{}/{name}", tracker.root) };
        let plan_path = request.plan.then(|| format!("{folder}/plans/{}", plan_file_name(index, tracker)));
        if let Some(todo) = todo {
            section(index, todo, tracker, request, &id, plan_path.as_deref(), change);
            task_order_line(index, todo, tracker, request, &id, change);
            bump_counters(index, todo, &tracker.profile, request.status, number + 1, change);
        }
        if let Some(state) = state {
            state_entry(index, state, tracker, request, number, &folder, change)?;
            bump_counters(index, state, &tracker.profile, request.status, number + 1, change);
        }
        if let Some(path) = plan_path {
            change.created.push(NewFile { path, text: plan_skeleton(tracker, request, &id) });
        }
        Ok(key)
    }

    /// The zero padding of the tracker's task folders (`058_x`: 3), 3 when it has none yet.
    pub(super) fn folder_width(index: &WorkspaceIndex, tracker: &Tracker) -> usize {
        let widths: Vec<usize> = index
            .tracker_paths(&tracker.root)
            .filter_map(layout::task_folder)
            .map(|folder| {
                let digits = layout::leading_digits(folder);
                if folder.starts_with('0') { digits } else { 0 }
            })
            .collect();
        match widths.iter().max() {
            Some(0) => 0,
            Some(width) => *width,
            None => 3,
        }
    }

    /// `implementation-001.md`, or `01_slug.md` when most plans of the tracker are named so.
    fn plan_file_name(index: &WorkspaceIndex, tracker: &Tracker) -> String {
        let names: Vec<&str> = index
            .tracker_paths(&tracker.root)
            .filter(|path| matches!(layout::classify(path).role, Role::Plan { .. }))
            .filter_map(|path| path.rsplit('/').next())
            .collect();
        let numbered = names.iter().filter(|it| layout::leading_digits(it) > 0).count();
        if numbered * 2 > names.len() { "01_plan.md".to_string() } else { "implementation-001.md".to_string() }
    }

    fn plan_skeleton(tracker: &Tracker, request: &Request, id: &str) -> String {
        let marker = tracker.profile.status(request.status).spelled(Spelling::Bracket).unwrap_or_default();
        let phase = tracker
            .profile
            .first_todo(crate::vocabulary::Scope::Phase)
            .and_then(|it| tracker.profile.status(it).spelled(Spelling::Bracket))
            .unwrap_or_else(|| marker.clone());
        format!(
            "# Implementation Plan: Task #{id}: {title}\n\n- **Task**: {id} - {title}\n- **Status**: {marker}\n- **Created**: {date}\n\n## Phases\n\n### Phase 1: {title} {phase}\n",
            title = request.title,
            date = request.now.date,
        )
    }

    /// The TODO.md section, placed in the group (`## High Priority`) the priority names or the
    /// newest task's, at the end the group grows from.
    fn section(
        index: &WorkspaceIndex,
        todo: FileId,
        tracker: &Tracker,
        request: &Request,
        id: &str,
        plan_path: Option<&str>,
        change: &mut WorkspaceChange,
    ) {
        let text = index.text(todo);
        let newline = line_ending(text);
        let sections: Vec<&Place> =
            index.parsed(todo).places.iter().filter(|it| it.kind == PlaceKind::TodoSection).collect();
        let template = newest(sections.iter().copied());
        let prefix = template
            .and_then(|it| match &it.field_insert {
                Some(crate::model::FieldInsert {
                    style: crate::model::FieldStyle::Markdown { prefix, .. }, ..
                }) => Some(prefix.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "- ".into());
        let field_name = |wanted: &[&str], default: &str| -> String {
            sections
                .iter()
                .rev()
                .flat_map(|it| it.fields.iter())
                .map(|it| it.name.as_str())
                .find(|name| wanted.iter().any(|it| name.eq_ignore_ascii_case(it)))
                .unwrap_or(default)
                .to_string()
        };
        let all_fields = |place: &Place| -> Vec<String> {
            lines_with_offsets(&text[place.extent])
                .filter_map(|(_, line)| crate::markdown::field_line(line).map(|it| it.name.to_string()))
                .collect()
        };
        let with_created = sections.iter().filter(|it| all_fields(it).iter().any(|name| name == "Created")).count();
        let status_name = field_name(&["Status"], "Status");
        let mut fields: Vec<(String, String)> =
            vec![(status_name, tracker.profile.status(request.status).spelled(Spelling::Bracket).unwrap_or_default())];
        // The fields given by name, spelled as the tracker's sections spell them.
        let spelled = |wanted: &str| -> String {
            sections
                .iter()
                .rev()
                .flat_map(|it| all_fields(it))
                .find(|name| name.eq_ignore_ascii_case(wanted))
                .unwrap_or_else(|| wanted.to_string())
        };
        fields.extend(request.fields.iter().map(|(name, value)| (spelled(name), value.clone())));
        let criteria_name = spelled("Acceptance Criteria");
        if !request.acceptance_criteria.is_empty() {
            // Its items follow on their own lines (below).
            fields.push((criteria_name.clone(), String::new()));
        }
        if let Some(priority) = &request.priority {
            fields.push((field_name(&["Priority"], "Priority"), capitalized(priority)));
        }
        if with_created * 2 >= sections.len().max(1) {
            let example = template.and_then(|it| it.field("Created")).map(|it| it.value.as_str());
            fields.push(("Created".to_string(), stamp_like(example, &request.now)));
        }
        if !request.dependencies.is_empty() {
            fields.push((
                field_name(&["Dependencies", "Depends On", "Depends on"], "Dependencies"),
                request.dependencies.join(", "),
            ));
        }
        if let Some(plan) = plan_path {
            let file = plan.rsplit('/').next().unwrap_or(plan);
            fields.push(("Plan".to_string(), link(index, todo, template, plan, file)));
        }
        // The description as the tracker's tasks write it: a field of the list
        // (`- **Description**: ...`) or a paragraph after it (`**Description**: ...`).
        let (mut as_field, mut as_paragraph) = (0, 0);
        for section in &sections {
            for (_, line) in lines_with_offsets(&text[section.extent]) {
                let trimmed = line.trim_start();
                let listed = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* "));
                match listed {
                    Some(rest) if rest.starts_with("**Description**") => as_field += 1,
                    None if trimmed.starts_with("**Description**") => as_paragraph += 1,
                    _ => {}
                }
            }
        }
        let description_as_field = as_field > as_paragraph;
        if let (Some(description), true) = (&request.description, description_as_field) {
            fields.push(("Description".to_string(), description.clone()));
        }
        // The template's order, the rest after the status.
        let order = template.map(all_fields).unwrap_or_default();
        let position = |name: &str| order.iter().position(|it| it.eq_ignore_ascii_case(name));
        let status_at = position("Status").unwrap_or(0);
        fields.sort_by_key(|(name, _)| position(name).map_or((status_at, 1), |it| (it, 0)));

        let heading = template
            .map(|it| {
                let line = &text[crate::text::line_range_at(text, usize::from(it.extent.start()))];
                let hashes = line.len() - line.trim_start_matches('#').len();
                let number = line[hashes..].trim_start().trim_start_matches(|c: char| !c.is_ascii_digit());
                let digits = layout::leading_digits(number);
                let width = if number.starts_with('0') { digits } else { 0 };
                ("#".repeat(hashes.max(2)), width)
            })
            .unwrap_or_else(|| ("###".to_string(), 0));
        let separated =
            template.is_some_and(|it| lines_with_offsets(&text[it.extent]).any(|(_, line)| line.trim() == "---"));
        let number: u64 = id.parse().unwrap_or(0);
        let mut block = format!("{} {:0width$}. {}{newline}", heading.0, number, request.title, width = heading.1);
        for (name, value) in &fields {
            if value.is_empty() && *name == criteria_name {
                block.push_str(&format!("{prefix}**{name}**:{newline}"));
                for item in &request.acceptance_criteria {
                    block.push_str(&format!("  - [ ] {item}{newline}"));
                }
            } else {
                block.push_str(&format!("{prefix}**{name}**: {value}{newline}"));
            }
        }
        if let (Some(description), false) = (&request.description, description_as_field) {
            block.push_str(&format!("{newline}**Description**: {description}{newline}"));
        }
        block.push_str(newline);
        if separated {
            block.push_str(&format!("---{newline}{newline}"));
        }

        let groups = groups(text, &sections);
        let wanted_group = request
            .priority
            .as_deref()
            .and_then(|priority| {
                groups.iter().position(|(heading, _)| {
                    heading.to_ascii_lowercase().contains(&priority.to_ascii_lowercase())
                        && heading.to_ascii_lowercase().contains("priority")
                })
            })
            .or_else(|| {
                let template = template?;
                groups.iter().position(|(_, members)| members.iter().any(|it| std::ptr::eq(*it, template)))
            });
        let at = match wanted_group.map(|it| &groups[it].1) {
            Some(members) if !members.is_empty() => {
                let ids: Vec<u64> =
                    members.iter().filter_map(|it| it.task().and_then(|task| id_number(&task.id))).collect();
                let descending = ids.len() > 1 && ids.first() > ids.last();
                if descending {
                    usize::from(members[0].extent.start())
                } else {
                    usize::from(members[members.len() - 1].extent.end())
                }
            }
            _ => sections.last().map_or(text.len(), |it| usize::from(it.extent.end())),
        };
        let lead = if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
            format!("{newline}{newline}")
        } else if at > 0 && !text[..at].ends_with(&format!("{newline}{newline}")) && at == text.len() {
            newline.to_string()
        } else {
            String::new()
        };
        change.edit(index, todo, TextEdit::insert(size(at), format!("{lead}{block}")));
    }

    /// A link to `target` written the way the template's links are: `[name](path)` or a bare
    /// `[path]`, with paths from the repository root, from `specs/` or from the file.
    pub(crate) fn link(
        index: &WorkspaceIndex,
        todo: FileId,
        template: Option<&Place>,
        target: &str,
        name: &str,
    ) -> String {
        let root_of_tracker = index.entry(todo).map(|it| it.class.root.clone()).unwrap_or_default();
        let example = template.and_then(|place| {
            let links = &index.parsed(todo).links;
            links.iter().find(|it| place.extent.contains_range(it.range) && !it.absolute)
        });
        let Some(example) = example else { return format!("[{name}]({target})") };
        // A link's range is its target: `](` just before it is the `[name](path)` form.
        let inline = index.text(todo)[..usize::from(example.range.start())].trim_end().ends_with("](");
        // The example's folder part (`specs/012_x/plans/a.md` -> prefix `specs/`) says where
        // links start from.
        let relative_to_tracker = !example.target.starts_with(&format!("{root_of_tracker}/"));
        let path = if relative_to_tracker && !root_of_tracker.is_empty() {
            target.strip_prefix(&format!("{root_of_tracker}/")).unwrap_or(target).to_string()
        } else {
            target.to_string()
        };
        if inline { format!("[{name}]({path})") } else { format!("[{path}]") }
    }

    /// TODO.md's `## ` groups and the sections in each, in file order.
    fn groups<'p>(text: &str, sections: &[&'p Place]) -> Vec<(String, Vec<&'p Place>)> {
        let mut out: Vec<(String, usize, Vec<&'p Place>)> = Vec::new();
        let mut in_fence = false;
        for (offset, line) in lines_with_offsets(text) {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if !in_fence && line.starts_with("## ") {
                out.push((line[3..].trim().to_string(), offset, Vec::new()));
            }
        }
        for section in sections {
            let at = usize::from(section.extent.start());
            if let Some(group) = out.iter_mut().rev().find(|(_, offset, _)| *offset <= at) {
                group.2.push(section);
            }
        }
        out.into_iter()
            .filter(|(_, _, members)| !members.is_empty())
            .map(|(name, _, members)| (name, members))
            .collect()
    }

    /// A Task Order line shaped like the tracker's first top-level one, after its last line.
    fn task_order_line(
        index: &WorkspaceIndex,
        todo: FileId,
        tracker: &Tracker,
        request: &Request,
        id: &str,
        change: &mut WorkspaceChange,
    ) {
        let text = index.text(todo);
        let lines: Vec<&Place> =
            index.parsed(todo).places.iter().filter(|it| it.kind == PlaceKind::TaskOrderLine).collect();
        let Some(last) = lines.last() else { return };
        let Some(template) = lines.iter().find(|it| !text[it.line].starts_with([' ', '\t'])) else { return };
        let line = &text[template.line];
        let marker_start = usize::from(template.marker.range.start()) - usize::from(template.line.start());
        let marker_end = usize::from(template.marker.range.end()) - usize::from(template.line.start());
        let before = &line[..marker_start];
        let Some(task) = template.task() else { return };
        // The task's number in the text before the marker: the last run of digits there.
        let Some(end) = before.rfind(|it: char| it.is_ascii_digit()).map(|it| it + 1) else { return };
        let start = before[..end].rfind(|it: char| !it.is_ascii_digit()).map_or(0, |it| it + 1);
        if id_number(&before[start..end]) != id_number(&task.id) {
            return;
        }
        let mut head = format!("{}{id}{}", &before[..start], &before[end..]);
        // A numbered list (`1. **67** [PLANNED]`) goes on counting.
        let list_number = layout::leading_digits(head.trim_start());
        if list_number > 0 && head.trim_start()[list_number..].starts_with(". ") {
            let last_line = &text[last.line];
            let count = layout::leading_digits(last_line.trim_start());
            let next = last_line.trim_start()[..count].parse::<u64>().map_or(1, |it| it + 1);
            let indent = head.len() - head.trim_start().len();
            head = format!("{}{next}{}", &head[..indent], &head[indent + list_number..]);
        }
        let after = &line[marker_end..];
        let separator_len = after.find(|it: char| it.is_alphanumeric()).unwrap_or(after.len());
        let marker = tracker.profile.status(request.status).spelled(Spelling::Bracket).unwrap_or_default();
        let new_line = format!("{head}{marker}{}{}", &after[..separator_len], request.title);
        change.edit(index, todo, TextEdit::insert(last.line.end(), format!("{}{new_line}", line_ending(text))));
    }

    /// The state.json entry, shaped like the newest one (key order, indentation, value forms),
    /// at the end of `active_projects` the tracker grows from.
    pub(super) fn state_entry(
        index: &WorkspaceIndex,
        state: FileId,
        tracker: &Tracker,
        request: &Request,
        number: u64,
        folder: &str,
        change: &mut WorkspaceChange,
    ) -> Result<(), Refusal> {
        let text = index.text(state);
        let newline = line_ending(text);
        let entries: Vec<&Place> =
            index.parsed(state).places.iter().filter(|it| it.kind == PlaceKind::StateJson).collect();
        let template = newest(entries.iter().copied());
        let def = tracker.profile.status(request.status);
        let status = def.json.clone().unwrap_or_else(|| def.id.clone());
        let name = folder.rsplit('/').next().and_then(|it| it.split_once('_')).map_or("", |(_, it)| it).to_string();
        let template_text = template.map_or("", |it| &text[it.extent]);
        let keys = json_text::properties(template_text);
        let has = |key: &str| keys.iter().any(|it| it.key == key);
        let value_of = |key: &str| keys.iter().find(|it| it.key == key).map(|it| it.raw(template_text));
        let quoted = json_text::string;
        let mut pairs: Vec<(&str, String)> = vec![
            (
                "project_number",
                if value_of("project_number").is_some_and(|it| it.starts_with('"')) {
                    quoted(&number.to_string())
                } else {
                    number.to_string()
                },
            ),
            ("project_name", quoted(&name)),
            ("status", quoted(&status)),
        ];
        if let Some(priority) = &request.priority {
            pairs.push(("priority", quoted(&priority.to_ascii_lowercase())));
        }
        if let Some(description) = &request.description {
            pairs.push(("description", quoted(description)));
        }
        // The newest entry's other text keys the request's fields name too (ProofChecker's
        // `language`), written as the entries write them.
        let entry_values: Vec<(String, String)> = newest_entry_text_keys(index, state)
            .into_iter()
            .filter_map(|(key, lower)| {
                let (_, value) =
                    request.fields.iter().find(|(name, _)| name.replace(' ', "_").eq_ignore_ascii_case(&key))?;
                Some((key, if lower { value.to_lowercase() } else { value.clone() }))
            })
            .collect();
        pairs.extend(entry_values.iter().map(|(key, value)| (key.as_str(), quoted(value))));
        if !request.dependencies.is_empty() || has("dependencies") {
            pairs.push(("dependencies", json_text::id_array(&request.dependencies)));
        }
        for key in ["created", "last_updated"] {
            if has(key) || (template.is_none() && key == "created") {
                let example = value_of(key).map(|it| it.trim_matches('"'));
                pairs.push((key, quoted(&stamp_like(example.or(Some("2000-01-01T00:00:00Z")), &request.now))));
            }
        }
        let order = |key: &str| keys.iter().position(|it| it.key == key).unwrap_or(usize::MAX);
        pairs.sort_by_key(|(key, _)| order(key));

        match template {
            Some(template) => {
                let entry_text = &text[template.extent];
                let inline = !entry_text.contains('\n');
                let entry_indent = json_text::indentation_before(text, usize::from(template.extent.start()));
                let key_indent = keys.first().map_or_else(|| format!("{entry_indent}  "), |it| it.indent.clone());
                let object = render_object(&pairs, inline, &entry_indent, &key_indent, newline);
                let first = entries.first().map(|it| it.extent).unwrap_or(template.extent);
                let last = entries.last().map(|it| it.extent).unwrap_or(template.extent);
                let ids: Vec<u64> =
                    entries.iter().filter_map(|it| it.task().and_then(|task| id_number(&task.id))).collect();
                let descending = ids.len() > 1 && ids.first() > ids.last();
                // Entries each on their own line (even one-line ones) stay so.
                let between = if inline && entry_indent.is_empty() {
                    " ".to_string()
                } else {
                    format!("{newline}{entry_indent}")
                };
                if descending {
                    change.edit(index, state, TextEdit::insert(first.start(), format!("{object},{between}")));
                } else {
                    change.edit(index, state, TextEdit::insert(last.end(), format!(",{between}{object}")));
                }
            }
            None => {
                let Some(at) = text.find("\"active_projects\"") else {
                    return Err(Refusal::NotEditable {
                        path: index.path(state).to_string(),
                        reason: "it has no `active_projects` list to add the task to".into(),
                    });
                };
                let Some(open) = text[at..].find('[').map(|it| at + it) else {
                    return Err(Refusal::NotEditable {
                        path: index.path(state).to_string(),
                        reason: "its `active_projects` is not a list".into(),
                    });
                };
                let outer = json_text::indentation_before(text, at);
                let entry_indent = format!("{outer}  ");
                let object = render_object(&pairs, false, &entry_indent, &format!("{entry_indent}  "), newline);
                let empty = text[open + 1..].trim_start().starts_with(']');
                let insert = if empty {
                    let close = open + 1 + text[open + 1..].find(']').unwrap_or(0);
                    change.edit(
                        index,
                        state,
                        TextEdit::replace(
                            crate::text::range(open + 1, close),
                            format!("{newline}{entry_indent}{object}{newline}{outer}"),
                        ),
                    );
                    return Ok(());
                } else {
                    format!("{newline}{entry_indent}{object},")
                };
                change.edit(index, state, TextEdit::insert(size(open + 1), insert));
            }
        }
        Ok(())
    }

    fn render_object(
        pairs: &[(&str, String)],
        inline: bool,
        entry_indent: &str,
        key_indent: &str,
        newline: &str,
    ) -> String {
        if inline {
            let body: Vec<String> = pairs.iter().map(|(key, value)| format!("\"{key}\": {value}")).collect();
            return format!("{{{}}}", body.join(", "));
        }
        let body: Vec<String> = pairs.iter().map(|(key, value)| format!("{key_indent}\"{key}\": {value}")).collect();
        format!("{{{newline}{}{newline}{entry_indent}}}", body.join(&format!(",{newline}")))
    }
}

mod backlog {
    use super::*;

    /// `backlog/tasks/<prefix>-N - Title.md` with frontmatter shaped like the newest task's.
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        used: &UsedIds,
        change: &mut WorkspaceChange,
    ) -> Result<TaskKey, Refusal> {
        let mut files = files_with_role(index, tracker, Role::BacklogTask);
        // Live tasks show the current style; completed ones may be years old.
        if files.iter().any(|it| !index.is_history(*it)) {
            files.retain(|it| !index.is_history(*it));
        }
        let places: Vec<&Place> = files
            .iter()
            .flat_map(|file| index.parsed(*file).places.iter())
            .filter(|it| it.kind == PlaceKind::Frontmatter)
            .collect();
        let config_prefix = index
            .entries()
            .find(|(_, entry)| entry.class.root == tracker.root && entry.class.role == Role::BacklogConfig)
            .and_then(|(_, entry)| {
                entry.text.lines().find_map(|line| {
                    let value = line.strip_prefix("task_prefix:")?.trim().trim_matches(['"', '\'']);
                    (!value.is_empty()).then(|| format!("{}-", value.to_ascii_uppercase()))
                })
            });
        let learned = IdShape::learn(index.tasks_in(&tracker.root).map(|(it, _)| it.id.as_str()));
        let shape = IdShape {
            prefix: config_prefix.unwrap_or_else(|| {
                if learned.prefix.is_empty() { "TASK-".to_string() } else { learned.prefix.clone() }
            }),
            width: learned.width,
            suffix: String::new(),
        };
        let number = used.next();
        let id = shape.format(number);
        let template = newest(places.iter().copied());
        let template_file = template.and_then(|place| {
            files.iter().copied().find(|file| index.parsed(*file).places.iter().any(|it| std::ptr::eq(it, place)))
        });
        let template_text = template_file.map(|it| index.text(it)).unwrap_or("");
        let frontmatter_keys: Vec<&str> = template_text
            .strip_prefix("---")
            .and_then(|rest| rest.split("\n---").next())
            .map(|block| {
                block
                    .lines()
                    .filter(|line| !line.starts_with([' ', '\t', '-']) && line.contains(':'))
                    .filter_map(|line| line.split(':').next())
                    .collect()
            })
            .unwrap_or_default();
        let created_example = template.and_then(|it| it.field("created_date")).map(|it| it.value.clone());
        let created = match created_example.as_deref().map(|it| it.trim_matches(['\'', '"']).len()) {
            Some(16) => format!("'{} {}'", request.now.date, request.now.timestamp.get(11..16).unwrap_or("00:00")),
            Some(10) | None => format!("'{}'", request.now.date),
            Some(_) => format!("'{}'", request.now.timestamp),
        };
        let status = tracker.profile.status(request.status).spelled(Spelling::Word).unwrap_or_default();
        let mut pairs: Vec<(&str, String)> = vec![
            ("id", id.clone()),
            ("title", yaml_string(&request.title)),
            ("status", status),
            ("assignee", "[]".into()),
            ("created_date", created),
            ("labels", "[]".into()),
            (
                "dependencies",
                if request.dependencies.is_empty() {
                    "[]".into()
                } else {
                    format!("[{}]", request.dependencies.join(", "))
                },
            ),
        ];
        if let Some(priority) = &request.priority {
            pairs.push(("priority", priority.to_ascii_lowercase()));
        }
        let order = |key: &str| frontmatter_keys.iter().position(|it| *it == key).unwrap_or(usize::MAX);
        pairs.retain(|(key, _)| {
            frontmatter_keys.is_empty()
                || order(key) != usize::MAX
                || matches!(*key, "id" | "title" | "status")
                || (*key == "priority" && request.priority.is_some())
                || (*key == "dependencies" && !request.dependencies.is_empty())
        });
        pairs.sort_by_key(|(key, _)| order(key));
        let mut text = String::from("---\n");
        for (key, value) in &pairs {
            text.push_str(&format!("{key}: {value}\n"));
        }
        text.push_str("---\n");
        if let Some(description) = request.description.as_deref().map(user_text::paragraph) {
            if template_text.contains("<!-- SECTION:DESCRIPTION:BEGIN -->") {
                text.push_str(&format!(
                    "\n## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\n{description}\n<!-- SECTION:DESCRIPTION:END -->\n"
                ));
            } else {
                text.push_str(&format!("\n## Description\n\n{description}\n"));
            }
        }
        let file_title: String = request
            .title
            .chars()
            .map(|it| if it.is_alphanumeric() || it == '-' || it == '_' || it == '.' { it } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|it| !it.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let folder = format!("{}/tasks", tracker.root);
        let path = format!("{folder}/{} - {}.md", id.to_ascii_lowercase(), file_title);
        change.created.push(NewFile { path, text });
        Ok(TaskKey::new(tracker.root.clone(), crate::parse::backlog::task_id(&id)))
    }
}

mod spec_kit {
    use super::*;

    /// The next `T0NN` line of a `tasks.md`, after its last task line.
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        used: &UsedIds,
        change: &mut WorkspaceChange,
    ) -> Result<TaskKey, Refusal> {
        let Some(file) = files_with_role(index, tracker, Role::SpecKitTasks).into_iter().next() else {
            return Err(Refusal::BadRequest(format!("{} has no tasks.md", tracker.root)));
        };
        let text = index.text(file);
        let places: Vec<&Place> =
            index.parsed(file).places.iter().filter(|it| it.kind == PlaceKind::ChecklistTask).collect();
        let shape = IdShape::learn(places.iter().filter_map(|it| it.task()).map(|it| it.id.as_str()));
        let shape = if shape.prefix.is_empty() {
            IdShape { prefix: "T".into(), width: 3, suffix: String::new() }
        } else {
            shape
        };
        let id = shape.format(used.next());
        let marker = tracker.profile.status(request.status).spelled(Spelling::Checkbox).unwrap_or_else(|| " ".into());
        let newline = line_ending(text);
        let (at, indent) = match places.last() {
            Some(last) => {
                let line = &text[last.line];
                (usize::from(last.line.end()), line[..line.len() - line.trim_start().len()].to_string())
            }
            None => (text.trim_end().len(), String::new()),
        };
        let line = format!("{newline}{indent}- [{marker}] {id} {}", request.title);
        change.edit(index, file, TextEdit::insert(size(at), line));
        Ok(TaskKey::new(tracker.root.clone(), id))
    }
}

mod checklist {
    use super::*;

    /// A new box under the heading the request names (or at the end of the list), after the
    /// last box there.
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        change: &mut WorkspaceChange,
    ) -> Result<(), Refusal> {
        let Some(file) = files_with_role(index, tracker, Role::Todo).into_iter().next() else {
            return Err(Refusal::BadRequest(format!("{} has no checklist file", shown_root(&tracker.root))));
        };
        let text = index.text(file);
        let newline = line_ending(text);
        let headings: Vec<(usize, usize, &str)> = lines_with_offsets(text)
            .filter(|(_, line)| line.starts_with('#'))
            .map(|(offset, line)| (offset, offset + line.len(), line.trim_start_matches('#').trim()))
            .collect();
        let (start, end) = match &request.heading {
            Some(wanted) => {
                let Some(position) = headings.iter().position(|(_, _, name)| name.eq_ignore_ascii_case(wanted.trim()))
                else {
                    let names: Vec<&str> = headings.iter().map(|it| it.2).collect();
                    return Err(Refusal::BadRequest(format!(
                        "{} has no heading `{wanted}`; its headings are {}",
                        index.path(file),
                        names.join(", ")
                    )));
                };
                let end = headings.get(position + 1).map_or(text.len(), |it| it.0);
                (headings[position].1, end)
            }
            None => (0, text.len()),
        };
        let items = &index.parsed(file).items;
        let mut last = items.iter().filter(|it| {
            let at = usize::from(it.line(text).start());
            at >= start && at < end && it.depth == 0
        });
        let last = last.next_back();
        let marker = tracker.profile.status(request.status).spelled(Spelling::Checkbox).unwrap_or_else(|| " ".into());
        let (at, lead) = match last {
            Some(item) => {
                // After the item and anything nested under it.
                let nested_end = items
                    .iter()
                    .filter(|it| {
                        it.line(text).start() > item.line(text).start()
                            && usize::from(it.line(text).start()) < end
                            && it.depth > 0
                    })
                    .map(|it| it.line(text).end())
                    .max()
                    .unwrap_or(item.line(text).end())
                    .max(item.line(text).end());
                let line = &text[item.line(text)];
                let bullet_end = line.find("[").unwrap_or(0);
                (usize::from(nested_end), format!("{newline}{}", &line[..bullet_end]))
            }
            None => (start, format!("{newline}{newline}- ")),
        };
        let new_line = format!("{lead}[{marker}] {}", request.title);
        change.edit(index, file, TextEdit::insert(size(at), new_line));
        Ok(())
    }
}

/// The tracker's checkbox index (`role`) and the task lines in it.
fn index_lines<'i>(
    index: &'i WorkspaceIndex,
    tracker: &Tracker,
    role: Role,
    name: &str,
) -> Result<(FileId, Vec<&'i Place>), Refusal> {
    let Some(file) = files_with_role(index, tracker, role).into_iter().next() else {
        return Err(Refusal::BadRequest(format!("{} has no {name}", shown_root(&tracker.root))));
    };
    Ok((file, index.parsed(file).places.iter().filter(|it| it.kind == PlaceKind::IndexLine).collect()))
}

/// After the last of `places` (an index line and the lines nested under it), the separator the
/// index puts between items (a blank line or none) and the bullet of the last line.
fn after_last_item(text: &str, places: &[&Place]) -> Option<(usize, String, String)> {
    let last = places.last()?;
    let newline = line_ending(text);
    let end = usize::from(last.extent.end().max(last.line.end()));
    // The extent may end after its line break: the insertion goes before it.
    let end = if text[..end].ends_with('\n') { end - newline.len() } else { end };
    // Items separated by a blank line (between an item's nested lines and the next item).
    let spaced = places.len() > 1 && {
        let previous = places[places.len() - 2];
        let between = &text[usize::from(previous.line.end())..usize::from(last.line.start())];
        let lines: Vec<&str> = between.split('\n').collect();
        lines.len() > 2 && lines[1..lines.len() - 1].iter().any(|it| it.trim().is_empty())
    };
    let separator = if spaced { format!("{newline}{newline}") } else { newline.to_string() };
    let line = &text[last.line];
    let bullet = line[..line.find('[').unwrap_or(0)].to_string();
    Some((end, separator, bullet))
}

mod minsky {
    use super::*;

    /// An index line `- [ ] Title [#NNN](process/tasks/NNN-slug.md)` after the last one, and the
    /// spec file it links, shaped like the newest spec.
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        used: &UsedIds,
        change: &mut WorkspaceChange,
    ) -> Result<TaskKey, Refusal> {
        let (file, places) = index_lines(index, tracker, Role::MinskyIndex, "tasks.md index")?;
        let text = index.text(file);
        let newline = line_ending(text);
        let width = places
            .iter()
            .filter_map(|it| {
                let line = &text[it.line];
                let at = line.find("[#")? + 2;
                Some(layout::leading_digits(&line[at..]))
            })
            .max()
            .unwrap_or(3);
        let number = used.next();
        let id = format!("{number:0width$}");
        let folder = format!("{}/tasks", tracker.root);
        let path = format!("{folder}/{id}-{}.md", slug(&request.title, '-', 80));
        let marker = tracker.profile.status(request.status).spelled(Spelling::Checkbox).unwrap_or_else(|| " ".into());
        // Links in the index are written from the repository root or from the index's folder.
        let from_root = places.iter().any(|it| text[it.line].contains(&format!("]({folder}/")));
        let target = if from_root || places.is_empty() {
            path.clone()
        } else {
            path.trim_start_matches(&format!("{}/", tracker.root)).to_string()
        };
        match after_last_item(text, &places) {
            Some((at, separator, bullet)) => {
                let line = format!("{separator}{bullet}[{marker}] {} [#{id}]({target})", request.title);
                change.edit(index, file, TextEdit::insert(size(at), line));
            }
            None => {
                let lead = if text.is_empty() || text.ends_with('\n') { "" } else { newline };
                let line = format!("{lead}- [{marker}] {} [#{id}]({target}){newline}", request.title);
                change.edit(index, file, TextEdit::insert(size(text.len()), line));
            }
        }
        let word = tracker.profile.status(request.status).spelled(Spelling::Word).unwrap_or_else(|| "TODO".into());
        let hash = newest_heading_has_hash(index, tracker);
        let mut spec =
            format!("# Task {}{id}: {}\n\n## Status\n\n{word}\n", if hash { "#" } else { "" }, request.title);
        if let Some(priority) = &request.priority {
            spec.push_str(&format!("\n## Priority\n\n{}\n", priority.to_ascii_uppercase()));
        }
        if !request.dependencies.is_empty() {
            let ids: Vec<String> = request.dependencies.iter().map(|it| format!("#{it:0>width$}")).collect();
            spec.push_str(&format!("\n## Dependencies\n\n{}\n", ids.join(", ")));
        }
        if let Some(description) = request.description.as_deref().map(user_text::paragraph) {
            spec.push_str(&format!("\n## Description\n\n{description}\n"));
        }
        change.created.push(NewFile { path, text: spec });
        Ok(TaskKey::new(tracker.root.clone(), number.to_string()))
    }

    /// Whether the tracker's newest spec writes `# Task #049:` (else `# Task 049:`).
    fn newest_heading_has_hash(index: &WorkspaceIndex, tracker: &Tracker) -> bool {
        let specs: Vec<&Place> = files_with_role(index, tracker, Role::MinskySpec)
            .into_iter()
            .flat_map(|file| index.parsed(file).places.iter())
            .filter(|it| it.kind == PlaceKind::SpecStatus)
            .collect();
        newest(specs.into_iter()).and_then(|it| it.title.as_deref()).is_none_or(|it| it.starts_with("Task #"))
    }
}

mod conductor {
    use super::*;

    /// A track: its tracks.md entry shaped like the last one (a `## [ ] Track:` block, a list
    /// line or a table row; Conductor's own block when there is none), and its folder with
    /// metadata.json (keyed like the tracker's others), spec.md and an empty plan.md. The id is
    /// the title's slug, with the date where the tracker's ids have one (`login_20251223`).
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        change: &mut WorkspaceChange,
    ) -> Result<TaskKey, Refusal> {
        let (file, entries) = index_lines(index, tracker, Role::ConductorTracks, "tracks.md")?;
        let text = index.text(file);
        let newline = line_ending(text);
        let ids: Vec<&str> = entries.iter().filter_map(|it| it.task()).map(|it| &*it.id).collect();
        let id = new_id(&ids, &request.title, &request.now);
        if index.tasks().keys().any(|it| it.scope == tracker.root && *it.id == id) {
            return Err(Refusal::BadRequest(format!("a track `{id}` exists already: give the new one another title")));
        }
        let marker = tracker.profile.status(request.status).spelled(Spelling::Checkbox).unwrap_or_else(|| " ".into());
        let entry = match entries.last() {
            Some(last) => {
                let (start, end) = (usize::from(last.extent.start()), usize::from(last.extent.end()));
                let old_id = last.task().map(|it| it.id.to_string()).unwrap_or_default();
                let old_title = last.title.as_deref().unwrap_or_default();
                let box_at = usize::from(last.marker.range.start()) - start;
                let mut block = text[start..end].to_string();
                block.replace_range(box_at..box_at + usize::from(last.marker.range.len()), &marker);
                if !old_title.is_empty() {
                    block = block.replacen(old_title, &request.title, 1);
                }
                block = block.replace(&old_id, &id);
                let block = replace_dates(&block, &request.now.date);
                let separator = match entries.len() {
                    1 => newline.to_string(),
                    n => {
                        let previous = entries[n - 2].extent.end();
                        let between = &text[usize::from(previous)..start];
                        if between.is_empty() { newline.to_string() } else { between.to_string() }
                    }
                };
                // The entry goes after the last one's block and its line break, separated as
                // the last two are.
                let block = block.trim_end_matches(['\r', '\n']);
                let (at, lead) = match text[end..].strip_prefix(newline) {
                    _ if text[..end].ends_with('\n') => (end, ""),
                    Some(_) => (end + newline.len(), ""),
                    None => (end, newline),
                };
                let separator = separator.strip_prefix(newline).unwrap_or(&separator).to_string();
                (at, format!("{lead}{separator}{block}{newline}"))
            }
            None => {
                let lead = if text.is_empty() || text.ends_with('\n') { "" } else { newline };
                let block = format!(
                    "{lead}{newline}---{newline}{newline}## [{marker}] Track: {}{newline}*Link: [./conductor/tracks/{id}/](./conductor/tracks/{id}/)*{newline}",
                    request.title
                );
                (text.len(), block)
            }
        };
        change.edit(index, file, TextEdit::insert(size(entry.0), entry.1));
        let folder = format!("{}/tracks/{id}", tracker.root);
        let status = tracker.profile.status(request.status).spelled(Spelling::Word).unwrap_or_else(|| "new".into());
        let metadata = metadata(index, tracker, &id, &request.title, &status, &request.now.timestamp);
        change.created.push(NewFile { path: format!("{folder}/metadata.json"), text: metadata });
        let mut spec = format!("# Specification: {}{newline}", request.title);
        if let Some(description) = request.description.as_deref().map(user_text::paragraph) {
            spec.push_str(&format!("{newline}## Overview{newline}{newline}{description}{newline}"));
        }
        change.created.push(NewFile { path: format!("{folder}/spec.md"), text: spec });
        change.created.push(NewFile {
            path: format!("{folder}/plan.md"),
            text: format!("# Implementation Plan: {}{newline}", request.title),
        });
        // Where the tracker's tracks have an index.md (the tracks.md table links it).
        if !files_with_role(index, tracker, Role::ConductorIndex { archived: false }).is_empty() {
            change.created.push(NewFile {
                path: format!("{folder}/index.md"),
                text: format!(
                    "# Track: {}{newline}{newline}**ID:** {id}{newline}**Status:** {}{newline}{newline}## Documents{newline}{newline}- [Specification](./spec.md){newline}- [Implementation Plan](./plan.md){newline}",
                    request.title,
                    capitalized(&status)
                ),
            });
        }
        Ok(TaskKey::new(tracker.root.clone(), id))
    }

    /// `export_to_csv_20261127` where the tracker's ids end in a date, else `export-to-csv`
    /// (the separator its ids use).
    fn new_id(ids: &[&str], title: &str, now: &Now) -> String {
        let dated = |id: &str| undated(id).len() != id.len();
        // Conductor's own ids end in the date the track was made; a tracker without one does
        // as Conductor does.
        let with_date = ids.is_empty() || ids.iter().filter(|it| dated(it)).count() * 2 >= ids.len();
        fn undated(id: &str) -> &str {
            match id.rsplit_once('_') {
                Some((slug, date)) if date.len() == 8 && date.bytes().all(|it| it.is_ascii_digit()) => slug,
                _ => id,
            }
        }
        let hyphens = ids.iter().filter(|it| undated(it).contains('-')).count();
        let underscores = ids.iter().filter(|it| undated(it).contains('_')).count();
        let separator = if hyphens > underscores { '-' } else { '_' };
        let slug = slug(title, separator, 48);
        if with_date { format!("{slug}_{}", now.date.replace('-', "")) } else { slug }
    }

    /// Every `YYYY-MM-DD` of `text` as `date`.
    fn replace_dates(text: &str, date: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        while at < text.len() {
            if crate::text::starts_with_date(&bytes[at..]) {
                out.push_str(date);
                at += 10;
            } else {
                let next = text[at..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[at..at + next]);
                at += next;
            }
        }
        out
    }

    /// A metadata.json keyed as the tracker's others are (`track_id`/`id`, `name`/`title`/
    /// `description`, `created_at`/`created`, `updated_at`/`updated`).
    fn metadata(index: &WorkspaceIndex, tracker: &Tracker, id: &str, title: &str, status: &str, now: &str) -> String {
        let sample = files_with_role(index, tracker, Role::ConductorMetadata { archived: false })
            .into_iter()
            .chain(files_with_role(index, tracker, Role::ConductorMetadata { archived: true }))
            .map(|file| index.text(file))
            .next()
            .unwrap_or_default();
        let has = |key: &str| sample.contains(&format!("\"{key}\""));
        let pick = |keys: &[&'static str], default: &'static str| -> &'static str {
            keys.iter().copied().find(|it| has(it)).unwrap_or(default)
        };
        let quoted = json_text::string;
        let mut pairs: Vec<(&str, String)> = vec![
            (pick(&["track_id", "id"], "track_id"), quoted(id)),
            (pick(&["name", "title", "description"], "description"), quoted(title)),
        ];
        if has("type") || sample.is_empty() {
            pairs.push(("type", quoted("feature")));
        }
        pairs.push(("status", quoted(status)));
        pairs.push((pick(&["created_at", "created"], "created_at"), quoted(now)));
        pairs.push((pick(&["updated_at", "updated"], "updated_at"), quoted(now)));
        let lines: Vec<String> = pairs.iter().map(|(key, value)| format!("  {}: {value}", quoted(key))).collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }
}

mod compozy {
    use super::*;

    /// A `- [ ] N.0 Title` line (with its `Depends on:` line where the index writes them) after
    /// the last one, and the task file `N_task.md` with its frontmatter.
    pub(super) fn plan(
        index: &WorkspaceIndex,
        tracker: &Tracker,
        request: &Request,
        used: &UsedIds,
        change: &mut WorkspaceChange,
    ) -> Result<TaskKey, Refusal> {
        let (file, places) = index_lines(index, tracker, Role::CompozyIndex, "_tasks.md")?;
        let text = index.text(file);
        let newline = line_ending(text);
        let Some((at, separator, bullet)) = after_last_item(text, &places) else {
            return Err(Refusal::BadRequest(format!(
                "taskmark cannot add tasks to {} yet: it has no `- [ ] 1.0 Title` line to take the shape of (a table of tasks is not written yet)",
                index.path(file)
            )));
        };
        let number = used.next();
        let marker = tracker.profile.status(request.status).spelled(Spelling::Checkbox).unwrap_or_else(|| " ".into());
        let mut block = format!("{separator}{bullet}[{marker}] {number}.0 {}", request.title);
        let writes_dependencies = places.iter().any(|it| text[it.extent].to_ascii_lowercase().contains("depends on:"));
        if writes_dependencies {
            let ids: Vec<String> = request.dependencies.iter().map(|it| format!("{it}.0")).collect();
            let value = if ids.is_empty() { "none".to_string() } else { ids.join(", ") };
            let indent = &bullet[..bullet.len() - bullet.trim_start().len()];
            block.push_str(&format!("{newline}{indent}  - Depends on: {value}"));
        }
        change.edit(index, file, TextEdit::insert(size(at), block));
        let status = tracker.profile.status(request.status).spelled(Spelling::Word).unwrap_or_else(|| "pending".into());
        let mut task = format!("---\nstatus: {status}\n---\n\n# Task {number}.0: {}\n", request.title);
        if let Some(description) = request.description.as_deref().map(user_text::paragraph) {
            task.push_str(&format!("\n## Overview\n\n{description}\n"));
        }
        let folder = index.path(file).rsplit_once('/').map_or("", |it| it.0);
        let name = format!("{number}_task.md");
        let path = if folder.is_empty() { name } else { format!("{folder}/{name}") };
        change.created.push(NewFile { path, text: task });
        Ok(TaskKey::new(tracker.root.clone(), number.to_string()))
    }
}
