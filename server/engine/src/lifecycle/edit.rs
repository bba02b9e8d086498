//! `taskmark edit`: a task's title, priority, dependencies and description changed in every
//! store that keeps them, and its boxes (acceptance criteria, a plan phase's steps) ticked or
//! opened again, planned as one [`WorkspaceChange`]. Each store's edit covers only the
//! value it owns (a heading's title, a field's value, one JSON property, one YAML key); every
//! other byte, unknown keys and comments included, stays as it was.

use std::collections::{BTreeSet, VecDeque};

use crate::change::user_text;
use crate::change::{Refusal, WorkspaceChange};
use crate::index::{FileId, PlaceRef, WorkspaceIndex};
use crate::layout::Family;
use crate::lifecycle::create::{capitalized, yaml_string};
use crate::lifecycle::json_text;
use crate::markdown;
use crate::model::{Dependency, FieldInsert, FieldStyle, Item, Place, PlaceKind, Subject, TaskKey};
use crate::text::{TextEdit, TextRange, line_ending, line_range_at, lines_with_offsets, range, size};

/// What `taskmark edit` was asked to change. `None` and empty lists leave a field alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditTask {
    pub task: TaskKey,
    pub title: Option<String>,
    pub priority: Option<String>,
    pub add_dependencies: Vec<String>,
    pub remove_dependencies: Vec<String>,
    pub description: Option<String>,
    /// Boxes to tick: a position (`2`, counted from 1 in the task's boxes), a piece of the
    /// box's text, or `all`.
    pub tick: Vec<String>,
    /// Boxes to open again, named the same way.
    pub untick: Vec<String>,
    /// Whose boxes: the plan phase of that number in the task's current plan; by default the
    /// task's own (its acceptance criteria, its checklist).
    pub phase: Option<String>,
    /// A status for the phase named by `phase` (`completed`, `[IN PROGRESS]`).
    pub phase_status: Option<String>,
    /// When the edit happens: a phase status change stamps the phase with it.
    pub now: Option<crate::timestamp::Now>,
    /// Files of the workspace to link from the task as its artifacts.
    pub artifacts: Vec<Artifact>,
}

/// A file the task produced (a research report, a plan, a summary), linked from the task the
/// tracker's way: a `**Research**:` line in its TODO.md section, an `artifacts` entry in
/// state.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// `research`, `plan`, `summary`, or another one-word kind.
    pub kind: String,
    /// The file, from the workspace root (`specs/302_x/reports/research-001.md`).
    pub path: String,
}

impl EditTask {
    pub fn new(task: TaskKey) -> EditTask {
        EditTask {
            task,
            title: None,
            priority: None,
            add_dependencies: Vec::new(),
            remove_dependencies: Vec::new(),
            description: None,
            tick: Vec::new(),
            untick: Vec::new(),
            phase: None,
            phase_status: None,
            now: None,
            artifacts: Vec::new(),
        }
    }

    fn ticks(&self) -> bool {
        !self.tick.is_empty() || !self.untick.is_empty()
    }
}

/// The request after its checks: dependencies resolved to tasks of the tracker.
struct Checked {
    title: Option<String>,
    priority: Option<String>,
    add: Vec<TaskKey>,
    remove: Vec<TaskKey>,
    description: Option<String>,
    artifacts: Vec<Artifact>,
}

/// What each store did with the request, so a field no store keeps is refused, not ignored.
#[derive(Default)]
struct Taken {
    title: bool,
    priority: bool,
    dependencies: bool,
    description: bool,
    artifacts: bool,
}

/// Plans the edit. Refuses an unknown task or dependency, a dependency cycle, a value that is
/// not plain text, and a field none of the task's stores keeps.
pub fn plan_edit_task(index: &WorkspaceIndex, request: &EditTask) -> Result<WorkspaceChange, Refusal> {
    let task = &request.task;
    let Some(entry) = index.task(task) else {
        return Err(Refusal::UnknownTask { id: task.id.to_string(), similar: Vec::new() });
    };
    if let Some((path, problem)) = index.unparsed_store(&task.scope, Some(task)) {
        return Err(Refusal::NotEditable { path: path.to_string(), reason: format!("it does not parse ({problem})") });
    }
    let checked = check(index, request)?;
    let places: Vec<PlaceRef> = entry
        .places
        .iter()
        .copied()
        .filter(|it| !index.is_history(it.file) && index.place(*it).kind != PlaceKind::ArchivedStateJson)
        .collect();
    if places.is_empty() {
        return Err(Refusal::BadRequest(format!("task {task} is archived; archived tasks are not edited")));
    }
    // The title as the task's defining stores write it (a state.json `project_name` is a slug,
    // a plan's heading is the plan's).
    let old_title = [PlaceKind::TodoSection, PlaceKind::IndexLine, PlaceKind::ChecklistTask, PlaceKind::Frontmatter]
        .into_iter()
        .find_map(|kind| places.iter().map(|it| index.place(*it)).find(|it| it.kind == kind)?.title.clone());
    let mut change = WorkspaceChange::default();
    let mut taken = Taken::default();
    for place in &places {
        let file = place.file;
        let place = index.place(*place);
        let mut edits = Edits { index, file, place, task, checked: &checked, change: &mut change, taken: &mut taken };
        match place.kind {
            PlaceKind::TodoSection => edits.todo_section(),
            PlaceKind::StateJson | PlaceKind::TaskStateJson => edits.json_entry(),
            PlaceKind::Frontmatter => edits.frontmatter(),
            PlaceKind::IndexLine => {
                edits.line_title();
                edits.nested_dependencies();
            }
            PlaceKind::TaskOrderLine | PlaceKind::ChecklistTask => edits.line_title(),
            PlaceKind::PlanHeader => edits.plan_task_line(old_title.as_deref()),
            _ => {}
        }
    }
    // A spec or task file whose heading carries the title (`# Task #049: Title`).
    if let (Some(new), Some(old)) = (&checked.title, &old_title) {
        let files = entry.places.iter().map(|it| it.file).chain(entry.mentions.iter().copied());
        for mention in files.filter(|it| !index.is_history(*it)) {
            heading_title(index, mention, old, new, &mut change);
        }
    }
    if request.ticks() {
        tick_boxes(index, task, &places, request, &mut change)?;
    }
    match (&request.phase, &request.phase_status) {
        (Some(phase), Some(status)) => set_phase_status(index, task, phase, status, request.now.as_ref(), &mut change)?,
        (None, Some(_)) => return Err(Refusal::BadRequest("name the phase whose status to set".into())),
        (Some(_), None) if !request.ticks() => {
            return Err(Refusal::BadRequest("a phase is named only with boxes to tick or a status to set".into()));
        }
        _ => {}
    }
    let missing: Vec<&str> = [
        (checked.title.is_some() && !taken.title, "a title"),
        (checked.priority.is_some() && !taken.priority, "a priority"),
        ((!checked.add.is_empty() || !checked.remove.is_empty()) && !taken.dependencies, "dependencies"),
        (checked.description.is_some() && !taken.description, "a description"),
        (!checked.artifacts.is_empty() && !taken.artifacts, "artifact links"),
    ]
    .into_iter()
    .filter_map(|(missing, what)| missing.then_some(what))
    .collect();
    if !missing.is_empty() {
        return Err(Refusal::BadRequest(format!(
            "no store of task {task} keeps {}; nothing was changed",
            missing.join(" or ")
        )));
    }
    let named_after_title =
        |place: &PlaceRef| index.place(*place).kind == PlaceKind::Frontmatter && index.path(place.file).contains(" - ");
    if checked.title.is_some() && places.iter().any(named_after_title) {
        change.warnings.push("the task's file name still carries its old title".into());
    }
    change.label = format!("edit {task}");
    let change = change.finish();
    change.validate(index)?;
    Ok(change)
}

/// The places of phase `wanted` (`2`, `P2`) in the task's current plan.
fn phase_places(index: &WorkspaceIndex, task: &TaskKey, wanted: &str) -> Result<Vec<PlaceRef>, Refusal> {
    let wanted = wanted.trim().trim_start_matches(['P', 'p']);
    let plan = index
        .task(task)
        .and_then(|it| it.current_plan)
        .ok_or_else(|| Refusal::BadRequest(format!("task {task} has no plan, so no phase {wanted}")))?;
    let phases = index.parsed(plan).places.iter().enumerate().filter(|(_, it)| it.kind == PlaceKind::PlanPhase);
    let found: Vec<PlaceRef> = phases
        .filter(|(_, it)| matches!(&it.subject, Subject::Phase(phase) if phase.number == wanted))
        .map(|(position, _)| PlaceRef { file: plan, index: position })
        .collect();
    if found.is_empty() {
        return Err(Refusal::BadRequest(format!(
            "the plan of task {task} ({}) has no phase {wanted}",
            index.path(plan)
        )));
    }
    Ok(found)
}

/// Gives phase `phase` of the task's current plan the phase status `wanted`, spelled as its
/// marker is, stamped at `now` (the change is checked like any: a phase done over open steps is
/// refused).
fn set_phase_status(
    index: &WorkspaceIndex,
    task: &TaskKey,
    phase: &str,
    wanted: &str,
    now: Option<&crate::timestamp::Now>,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    for place_ref in phase_places(index, task, phase)? {
        let Some(profile) = index.profile(place_ref.file) else { continue };
        let status = profile.phase_status_named(wanted).ok_or_else(|| {
            let known: Vec<String> =
                profile.ids().filter(|it| profile.status(*it).phase).map(|it| profile.display(it)).collect();
            Refusal::BadRequest(format!(
                "`{wanted}` is no status of plan phases here; they are {}",
                crate::vocabulary::shown_list(&known)
            ))
        })?;
        let place = index.place(place_ref);
        let spelled = profile.status(status).spelled(place.marker.spelling).ok_or_else(|| {
            Refusal::BadRequest(format!("`{wanted}` cannot be written where phase {phase} keeps its status"))
        })?;
        if place.marker.text != spelled {
            change.edit(index, place_ref.file, TextEdit::replace(place.marker.range, spelled));
            if let Some(now) = now {
                crate::change::stamp_phase(index, place_ref, profile, status, now, change)?;
            }
        }
    }
    Ok(())
}

/// A box of a task: its file, and the item.
type TaskBox<'i> = (FileId, &'i Item);

/// Ticks and unticks the boxes `request` names among the task's (or its plan phase's).
fn tick_boxes(
    index: &WorkspaceIndex,
    task: &TaskKey,
    places: &[PlaceRef],
    request: &EditTask,
    change: &mut WorkspaceChange,
) -> Result<(), Refusal> {
    let owners: Vec<PlaceRef> = match &request.phase {
        Some(wanted) => phase_places(index, task, wanted)?,
        None => places
            .iter()
            .copied()
            .filter(|it| !matches!(index.place(*it).kind, PlaceKind::PlanHeader | PlaceKind::PlanPhase))
            .collect(),
    };
    let boxes: Vec<TaskBox<'_>> = owners
        .iter()
        .flat_map(|owner| {
            let parsed = index.parsed(owner.file);
            let children = &parsed.places[owner.index].child_items;
            children.iter().filter_map(move |it| parsed.items.get(it)).map(move |item| (owner.file, item))
        })
        .collect();
    let whose = match &request.phase {
        Some(phase) => format!("phase {} of task {task}", phase.trim()),
        None => format!("task {task}"),
    };
    if boxes.is_empty() {
        return Err(Refusal::BadRequest(format!("{whose} has no boxes to tick")));
    }
    let listed = || {
        boxes
            .iter()
            .enumerate()
            .map(|(at, (file, item))| format!("{}. [{}] {}", at + 1, item.state, index.text(*file)[item.text].trim()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let chosen = |wanted: &str| -> Result<Vec<usize>, Refusal> {
        let wanted = wanted.trim();
        if wanted.eq_ignore_ascii_case("all") {
            return Ok((0..boxes.len()).collect());
        }
        if let Ok(position) = wanted.parse::<usize>() {
            return match position {
                1.. if position <= boxes.len() => Ok(vec![position - 1]),
                _ => Err(Refusal::BadRequest(format!(
                    "{whose} has {} boxes, no box {position}: {}",
                    boxes.len(),
                    listed()
                ))),
            };
        }
        let lower = wanted.to_lowercase();
        let matching: Vec<usize> = (0..boxes.len())
            .filter(|at| {
                let (file, item) = boxes[*at];
                index.text(file)[item.text].to_lowercase().contains(&lower)
            })
            .collect();
        match matching.len() {
            1 => Ok(matching),
            0 => Err(Refusal::BadRequest(format!("no box of {whose} says {wanted:?}: {}", listed()))),
            _ => Err(Refusal::BadRequest(format!(
                "{} boxes of {whose} say {wanted:?}; name one by its number: {}",
                matching.len(),
                listed()
            ))),
        }
    };
    let mut states: Vec<Option<char>> = vec![None; boxes.len()];
    for (selectors, state) in [(&request.tick, 'x'), (&request.untick, ' ')] {
        for selector in selectors {
            for at in chosen(selector)? {
                if states[at].is_some_and(|it| it != state) {
                    return Err(Refusal::BadRequest(format!("box {} is both ticked and unticked", at + 1)));
                }
                states[at] = Some(state);
            }
        }
    }
    for ((file, item), state) in boxes.iter().zip(states) {
        let Some(state) = state else { continue };
        // `[X]` is ticked already; `[-]` or `[~]` (cancelled, in progress) is not.
        if !item.state.eq_ignore_ascii_case(&state) {
            change.edit(index, *file, TextEdit::replace(item.marker_range, state.to_string()));
        }
    }
    Ok(())
}

fn check(index: &WorkspaceIndex, request: &EditTask) -> Result<Checked, Refusal> {
    let task = &request.task;
    let title = request.title.as_deref().map(|it| user_text::one_line("title", it)).transpose()?.map(str::to_string);
    let priority =
        request.priority.as_deref().map(|it| user_text::one_line("priority", it)).transpose()?.map(str::to_string);
    let description = match &request.description {
        Some(text) => Some(user_text::description(Some(text))?.ok_or_else(|| {
            Refusal::BadRequest("the description is empty; an edit does not remove descriptions".into())
        })?),
        None => None,
    };
    let resolve = |wanted: &str| -> Result<TaskKey, Refusal> {
        let in_tracker = index.find_tasks(&format!("{}:{}", task.scope, wanted.trim()));
        in_tracker.into_iter().next().or_else(|| index.resolve_dependency(task, wanted.trim())).ok_or_else(|| {
            Refusal::BadRequest(format!("unknown dependency `{wanted}`: no task of that id in {}", task.scope))
        })
    };
    let current = current_dependencies(index, task);
    let mut add = Vec::new();
    for wanted in &request.add_dependencies {
        let dependency = resolve(wanted)?;
        if &dependency == task {
            return Err(Refusal::BadRequest(format!("task {task} cannot depend on itself")));
        }
        if let Some(path) = path_between(index, &dependency, task) {
            return Err(Refusal::BadRequest(format!(
                "task {task} cannot depend on {dependency}: that would make a cycle ({task} -> {})",
                path.iter().map(|it| it.id.as_str()).collect::<Vec<_>>().join(" -> ")
            )));
        }
        if !current.contains(&dependency) && !add.contains(&dependency) {
            add.push(dependency);
        }
    }
    let mut remove = Vec::new();
    for wanted in &request.remove_dependencies {
        let dependency = resolve(wanted)?;
        if !current.contains(&dependency) {
            return Err(Refusal::BadRequest(format!("task {task} does not depend on {dependency}")));
        }
        if add.contains(&dependency) {
            return Err(Refusal::BadRequest(format!("dependency {dependency} is both added and removed")));
        }
        remove.push(dependency);
    }
    let artifacts = checked_artifacts(index, &request.artifacts)?;
    let nothing = title.is_none() && priority.is_none() && add.is_empty() && remove.is_empty() && artifacts.is_empty();
    if nothing && description.is_none() && !request.ticks() && request.phase_status.is_none() {
        let asked = !request.add_dependencies.is_empty();
        return Err(Refusal::BadRequest(if asked {
            format!("task {task} already has every dependency named; nothing to change")
        } else {
            "nothing to change: name a title, priority, dependency to add or remove, description, boxes to tick or untick, a phase's status, or an artifact to link".into()
        }));
    }
    Ok(Checked { title, priority, add, remove, description, artifacts })
}

/// The artifacts to link: a one-word kind, a file the workspace has (written first, linked
/// next), named from the root; one already linked from the task is said, not linked twice.
fn checked_artifacts(index: &WorkspaceIndex, wanted: &[Artifact]) -> Result<Vec<Artifact>, Refusal> {
    let mut out: Vec<Artifact> = Vec::new();
    for artifact in wanted {
        let kind = artifact.kind.trim().to_ascii_lowercase();
        if kind.is_empty() || !kind.chars().all(|it| it.is_ascii_alphanumeric() || it == '_' || it == '-') {
            return Err(Refusal::BadRequest(format!(
                "`{}` is no artifact kind: one word such as research, plan or summary",
                artifact.kind
            )));
        }
        let path = artifact.path.trim().trim_start_matches("./").replace('\\', "/");
        if !crate::model::plain(&path) {
            return Err(Refusal::BadRequest(format!(
                "`{}` is no file of the workspace: give its path from the workspace root",
                artifact.path
            )));
        }
        if index.file_id(&path).is_none() {
            return Err(Refusal::BadRequest(format!(
                "no file `{path}` in the workspace: write the artifact first, then link it"
            )));
        }
        if !out.iter().any(|it| it.path == path) {
            out.push(Artifact { kind, path });
        }
    }
    Ok(out)
}

/// The field name this TODO.md uses most for an artifact of one of `names` (its sections may
/// say `**Research Report**` where others say `**Research**`), else the usual one.
fn learned_field_name(text: &str, names: &[String]) -> String {
    let mut counts: Vec<usize> = vec![0; names.len()];
    for line in text.lines() {
        if let Some(field) = markdown::field_line(line)
            && let Some(at) = names.iter().position(|it| it.eq_ignore_ascii_case(field.name))
        {
            counts[at] += 1;
        }
    }
    let best = counts.iter().enumerate().max_by_key(|(at, count)| (**count, std::cmp::Reverse(*at))).map(|it| it.0);
    names[best.filter(|it| counts[*it] > 0).unwrap_or(0)].clone()
}

/// A link to `path` from the TODO.md section `place`, written as this file's links are: the
/// section's own, else the newest section's that has one.
fn artifact_link(index: &WorkspaceIndex, file: FileId, place: &Place, path: &str) -> String {
    let parsed = index.parsed(file);
    let linked =
        |candidate: &Place| parsed.links.iter().any(|it| candidate.extent.contains_range(it.range) && !it.absolute);
    let template = if linked(place) {
        Some(place)
    } else {
        parsed.places.iter().rev().filter(|it| it.kind == PlaceKind::TodoSection).find(|it| linked(it))
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    crate::lifecycle::create::spec_folder::link(index, file, template, path, name)
}

/// The field names a TODO.md section gives an artifact of `kind`, the usual one first.
fn artifact_field_names(kind: &str) -> Vec<String> {
    let known: &[&str] = match kind {
        "research" => &["Research", "Research Report", "Research Reports", "Research Artifacts"],
        "plan" => &["Plan", "Implementation Plan"],
        "summary" => &["Summary", "Implementation Summary"],
        _ => &[],
    };
    if known.is_empty() { vec![capitalized(kind)] } else { known.iter().map(|it| it.to_string()).collect() }
}

/// The tasks `task` depends on, by any of its live stores.
fn current_dependencies(index: &WorkspaceIndex, task: &TaskKey) -> BTreeSet<TaskKey> {
    let Some(entry) = index.task(task) else { return BTreeSet::new() };
    entry
        .places
        .iter()
        .flat_map(|it| index.place(*it).dependencies.iter())
        .filter_map(|it| index.resolve_dependency(task, &it.id))
        .collect()
}

/// A chain of dependencies from `from` to `to` (both included), if there is one.
fn path_between(index: &WorkspaceIndex, from: &TaskKey, to: &TaskKey) -> Option<Vec<TaskKey>> {
    let mut came_from: std::collections::BTreeMap<TaskKey, TaskKey> = std::collections::BTreeMap::new();
    let mut queue = VecDeque::from([from.clone()]);
    let mut seen = BTreeSet::from([from.clone()]);
    while let Some(at) = queue.pop_front() {
        if &at == to {
            let mut path = vec![at.clone()];
            let mut step = &at;
            while let Some(previous) = came_from.get(step) {
                path.push(previous.clone());
                step = previous;
            }
            path.reverse();
            return Some(path);
        }
        for next in current_dependencies(index, &at) {
            if seen.insert(next.clone()) {
                came_from.insert(next.clone(), at.clone());
                queue.push_back(next);
            }
        }
    }
    None
}

/// The edits one place of the task contributes.
struct Edits<'a> {
    index: &'a WorkspaceIndex,
    file: FileId,
    place: &'a Place,
    task: &'a TaskKey,
    checked: &'a Checked,
    change: &'a mut WorkspaceChange,
    taken: &'a mut Taken,
}

impl Edits<'_> {
    fn text(&self) -> &str {
        self.index.text(self.file)
    }

    fn edit(&mut self, edit: TextEdit) {
        self.change.edit(self.index, self.file, edit);
    }

    /// The dependencies of the place that stay, as written, and the ids to add, as `write`
    /// shapes them.
    fn kept_dependencies(&self, tokens: &[(String, Option<&Dependency>)]) -> Vec<String> {
        tokens
            .iter()
            .filter(|(_, dependency)| {
                dependency.is_none_or(|it| {
                    self.index
                        .resolve_dependency(self.task, &it.id)
                        .is_none_or(|key| !self.checked.remove.contains(&key))
                })
            })
            .map(|(raw, _)| raw.clone())
            .collect()
    }

    fn wants_dependencies(&self) -> bool {
        !self.checked.add.is_empty() || !self.checked.remove.is_empty()
    }

    /// `### 221. Title` and its `**Priority**`, `**Dependencies**`, `**Description**` fields.
    fn todo_section(&mut self) {
        let (index, file, place) = (self.index, self.file, self.place);
        let text = index.text(file);
        if let (Some(new), Some(old)) = (&self.checked.title, &place.title) {
            let heading = line_range_at(text, usize::from(place.extent.start()));
            let after = place.heading_number.map_or(heading.start(), |it| it.end());
            if let Some(at) = find_in(text, TextRange::new(after, heading.end()), old) {
                self.edit(TextEdit::replace(at, new.clone()));
                self.taken.title = true;
            }
        }
        let fields = markdown_fields(text, place.extent);
        let find =
            |names: &[&str]| fields.iter().find(|it| names.iter().any(|name| it.name.eq_ignore_ascii_case(name)));
        let mut new_lines: Vec<String> = Vec::new();
        let prefix = match &place.field_insert {
            Some(FieldInsert { style: FieldStyle::Markdown { prefix, .. }, .. }) => prefix.clone(),
            _ => "- ".into(),
        };
        if let Some(priority) = &self.checked.priority {
            let written = |old: &str| {
                if old.chars().any(char::is_uppercase) { capitalized(priority) } else { priority.to_ascii_lowercase() }
            };
            match find(&["Priority"]) {
                Some(field) => {
                    let value = written(&text[field.value]);
                    self.edit(TextEdit::replace(field.value, value));
                }
                None => new_lines.push(format!("{prefix}**Priority**: {}", capitalized(priority))),
            }
            self.taken.priority = true;
        }
        if self.wants_dependencies() {
            let names = ["Dependencies", "Depends On", "Depends on"];
            match find(&names) {
                Some(field) => {
                    let value = &text[field.value];
                    let tokens = comma_tokens(text, field.value, &place.dependencies);
                    let mut kept = self.kept_dependencies(&tokens);
                    kept.extend(self.checked.add.iter().map(|it| it.id.to_string()));
                    let joined = if kept.is_empty() {
                        if value.trim().is_empty() { String::new() } else { "None".to_string() }
                    } else {
                        kept.join(", ")
                    };
                    self.edit(TextEdit::replace(field.value, joined));
                }
                None if !self.checked.add.is_empty() => {
                    let ids: Vec<&str> = self.checked.add.iter().map(|it| it.id.as_str()).collect();
                    new_lines.push(format!("{prefix}**Dependencies**: {}", ids.join(", ")));
                }
                None => {}
            }
            self.taken.dependencies = true;
        }
        let newline = line_ending(text);
        for artifact in &self.checked.artifacts {
            let names = artifact_field_names(&artifact.kind);
            let link = artifact_link(index, file, place, &artifact.path);
            // Linked already, in whatever form: nothing to add.
            let root = index.entry(file).map(|it| format!("{}/", it.class.root)).unwrap_or_default();
            let tracker_relative = artifact.path.strip_prefix(&root).unwrap_or(&artifact.path);
            let section = &text[place.extent];
            if [&artifact.path, tracker_relative]
                .iter()
                .any(|path| section.contains(&format!("]({path})")) || section.contains(&format!("[{path}]")))
            {
                self.taken.artifacts = true;
                continue;
            }
            let named: Vec<&str> = names.iter().map(String::as_str).collect();
            match find(&named) {
                Some(field) if text[field.value].trim().is_empty() => {
                    // `- **Research**:` with the links listed under it: one more item.
                    match nested_items_end(text, field.line.end(), place.extent.end()) {
                        Some((end, indent)) => {
                            self.edit(TextEdit::insert(end, format!("{newline}{indent}- {link}")));
                        }
                        None => self.edit(TextEdit::replace(field.value, link)),
                    }
                }
                Some(field) => self.edit(TextEdit::insert(field.value.end(), format!(", {link}"))),
                None => new_lines.push(format!("{prefix}**{}**: {link}", learned_field_name(text, &names))),
            }
            self.taken.artifacts = true;
        }
        if let Some(description) = &self.checked.description {
            match find(&["Description"]) {
                Some(field) => {
                    let end = paragraph_end(text, field.line.end(), place.extent.end());
                    self.edit(TextEdit::replace(TextRange::new(field.value.start(), end), description.clone()));
                }
                None => {
                    // After the metadata block, as its own paragraph (as `new` writes it).
                    let block_end = metadata_end(text, &fields, place);
                    self.edit(TextEdit::insert(
                        block_end,
                        format!(
                            "{}{newline}{newline}**Description**: {description}",
                            lines_joined(&new_lines, newline)
                        ),
                    ));
                    new_lines.clear();
                }
            }
            self.taken.description = true;
        }
        if !new_lines.is_empty() {
            let at = metadata_end(text, &fields, place);
            self.edit(TextEdit::insert(at, lines_joined(&new_lines, newline)));
        }
    }

    /// A state.json entry: `title`, `priority`, `dependencies`, `description` where the entry
    /// has them, or where the file's other entries do.
    fn json_entry(&mut self) {
        let (index, file, place) = (self.index, self.file, self.place);
        let text = index.text(file);
        let base = usize::from(place.extent.start());
        let object = &text[place.extent];
        let properties = json_text::properties(object);
        let neighbours_have = |key: &str| {
            index
                .parsed(file)
                .places
                .iter()
                .filter(|it| it.kind == place.kind && !std::ptr::eq(*it, place))
                .any(|it| json_text::properties(&text[it.extent]).iter().any(|property| property.key == key))
        };
        let mut added: Vec<(String, String)> = Vec::new();
        let mut set = |edits: &mut Self, key: &str, value: String, add_if_missing: bool| -> bool {
            match properties.iter().find(|it| it.key == key) {
                Some(property) => {
                    edits.edit(TextEdit::replace(range(base + property.value.0, base + property.value.1), value));
                    true
                }
                None if add_if_missing && neighbours_have(key) => {
                    added.push((key.to_string(), value));
                    true
                }
                None => false,
            }
        };
        if let Some(title) = &self.checked.title
            && set(self, "title", json_text::string(title), false)
        {
            self.taken.title = true;
        }
        if let Some(priority) = &self.checked.priority
            && set(self, "priority", json_text::string(&priority.to_ascii_lowercase()), true)
        {
            self.taken.priority = true;
        }
        if self.wants_dependencies() {
            let current: Vec<(String, Option<&Dependency>)> = properties
                .iter()
                .find(|it| it.key == "dependencies")
                .map(|property| {
                    array_items(object, property.value)
                        .into_iter()
                        .map(|(start, end)| {
                            let dependency = place.dependencies.iter().find(|it| {
                                usize::from(it.range.start()) >= base + start
                                    && usize::from(it.range.end()) <= base + end
                            });
                            (object[start..end].to_string(), dependency)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut kept = self.kept_dependencies(&current);
            let numeric = current.iter().all(|(raw, _)| !raw.starts_with('"'));
            kept.extend(self.checked.add.iter().map(|it| {
                if numeric && it.id.bytes().all(|b| b.is_ascii_digit()) {
                    it.id.to_string()
                } else {
                    json_text::string(&it.id)
                }
            }));
            let value = format!("[{}]", kept.join(", "));
            if set(self, "dependencies", value, !self.checked.add.is_empty()) {
                self.taken.dependencies = true;
            }
        }
        if let Some(description) = &self.checked.description
            && set(self, "description", json_text::string(description), true)
        {
            self.taken.description = true;
        }
        if !self.checked.artifacts.is_empty() {
            self.json_artifacts(&properties, &mut added);
        }
        if !added.is_empty() {
            let Some(last) = properties.last() else { return };
            let inline = !object.contains('\n');
            let newline = line_ending(text);
            let inserted: String = added
                .iter()
                .map(|(key, value)| {
                    if inline {
                        format!(", \"{key}\": {value}")
                    } else {
                        format!(",{newline}{}\"{key}\": {value}", last.indent)
                    }
                })
                .collect();
            self.edit(TextEdit::insert(size(base + last.value.1), inserted));
        }
    }

    /// The `artifacts` list of a state.json entry (`{"type": "research", "path": ...}`), its
    /// objects shaped like the file's others. The spec-folder format keeps a task's artifacts
    /// there, so an entry without the list gets one.
    fn json_artifacts(&mut self, properties: &[json_text::Property], added: &mut Vec<(String, String)>) {
        let (index, file, place) = (self.index, self.file, self.place);
        let text = index.text(file);
        let base = usize::from(place.extent.start());
        let object = &text[place.extent];
        let existing = properties.iter().find(|it| it.key == "artifacts");
        // The key order of the file's artifact objects (`type` first, or `path`).
        let path_first = text.find("\"artifacts\"").and_then(|at| {
            let after = &text[at..];
            Some(after.find("\"path\"")? < after.find("\"type\"")?)
        });
        let newline = line_ending(text);
        // One artifact object, its properties at `inner`, its closing brace at `indent`.
        let artifact_object = |artifact: &Artifact, indent: &str, inner: &str| {
            let path = format!("\"path\": {}", json_text::string(&artifact.path));
            let kind = format!("\"type\": {}", json_text::string(&artifact.kind));
            let [first, second] = if path_first == Some(true) { [path, kind] } else { [kind, path] };
            format!("{{{newline}{inner}{first},{newline}{inner}{second}{newline}{indent}}}")
        };
        match existing {
            Some(property) => {
                let items = array_items(object, property.value);
                let already = |artifact: &Artifact| {
                    items.iter().any(|(start, end)| object[*start..*end].contains(&json_text::string(&artifact.path)))
                };
                let new: Vec<&Artifact> = self.checked.artifacts.iter().filter(|it| !already(it)).collect();
                self.taken.artifacts = true;
                if new.is_empty() {
                    return;
                }
                let (indent, inner) = match items.last() {
                    Some((start, _)) => {
                        let indent = json_text::indentation_before(object, *start);
                        let inner = object[*start..]
                            .lines()
                            .nth(1)
                            .map(|line| line[..line.len() - line.trim_start().len()].to_string());
                        (indent.clone(), inner.unwrap_or_else(|| format!("{indent}  ")))
                    }
                    None => {
                        let indent = format!("{}  ", property.indent);
                        (indent.clone(), format!("{indent}  "))
                    }
                };
                let shaped: Vec<String> =
                    new.iter().map(|artifact| artifact_object(artifact, &indent, &inner)).collect();
                let (at, inserted) = match items.last() {
                    Some((_, end)) => {
                        (*end, shaped.iter().map(|it| format!(",{newline}{indent}{it}")).collect::<String>())
                    }
                    None => (
                        property.value.0 + 1,
                        format!(
                            "{newline}{indent}{}{newline}{}",
                            shaped.join(&format!(",{newline}{indent}")),
                            property.indent
                        ),
                    ),
                };
                self.edit(TextEdit::insert(size(base + at), inserted));
            }
            None => {
                let Some(last) = properties.last() else { return };
                let indent = format!("{}  ", last.indent);
                let inner = format!("{indent}  ");
                let shaped: Vec<String> = self
                    .checked
                    .artifacts
                    .iter()
                    .map(|artifact| format!("{indent}{}", artifact_object(artifact, &indent, &inner)))
                    .collect();
                added.push((
                    "artifacts".to_string(),
                    format!("[{newline}{}{newline}{}]", shaped.join(&format!(",{newline}")), last.indent),
                ));
                self.taken.artifacts = true;
            }
        }
    }

    /// A task file's frontmatter (`title:`, `priority:`, `dependencies:`) and its
    /// `## Description` section.
    fn frontmatter(&mut self) {
        let (index, file) = (self.index, self.file);
        let text = index.text(file);
        let Some(block) = markdown::frontmatter(text) else { return };
        let keys = yaml_keys(text, block.body);
        let newline = line_ending(text);
        // A key this file lacks is added where the tracker's other task files write it
        // (Backlog.md knows both keys whatever its files hold).
        let backlog = index.trackers().iter().any(|it| it.root == self.task.scope && it.family == Family::Backlog);
        let neighbours_have = |key: &str| {
            backlog
                || index.entries().any(|(other, entry)| {
                    other != file
                        && entry.class.root == self.task.scope
                        && index.parsed(other).places.iter().any(|it| it.kind == PlaceKind::Frontmatter)
                        && markdown::frontmatter(&entry.text)
                            .is_some_and(|block| yaml_keys(&entry.text, block.body).iter().any(|it| it.name == key))
                })
        };
        let mut added: Vec<String> = Vec::new();
        if let Some(title) = &self.checked.title
            && let Some(key) = keys.iter().find(|it| it.name == "title")
        {
            self.edit(TextEdit::replace(key.value, yaml_string(title)));
            self.taken.title = true;
        }
        if let Some(priority) = &self.checked.priority {
            let value = priority.to_ascii_lowercase();
            match keys.iter().find(|it| it.name == "priority") {
                Some(key) => {
                    self.edit(TextEdit::replace(key.value, value));
                    self.taken.priority = true;
                }
                None if neighbours_have("priority") => {
                    added.push(format!("priority: {value}"));
                    self.taken.priority = true;
                }
                None => {}
            }
        }
        if self.wants_dependencies() {
            let place = self.place;
            let key = keys.iter().find(|it| it.name == "dependencies");
            let current: Vec<(String, Option<&Dependency>)> = key
                .map(|key| {
                    yaml_list_items(text, key)
                        .into_iter()
                        .map(|item| {
                            let dependency = place.dependencies.iter().find(|it| item.contains_range(it.range));
                            (text[item].to_string(), dependency)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let lower = current.iter().any(|(raw, _)| raw.chars().any(|it| it.is_ascii_lowercase()));
            let mut kept = self.kept_dependencies(&current);
            kept.extend(
                self.checked.add.iter().map(|it| if lower { it.id.to_ascii_lowercase() } else { it.id.to_string() }),
            );
            let value = format!("[{}]", kept.join(", "));
            match key {
                Some(key) if key.value.is_empty() && key.end > key.value.end() => {
                    // A block list (`- TASK-1` lines below the key) stays one.
                    let first_item = line_range_at(text, usize::from(key.end));
                    let item_line = &text[first_item];
                    let indent = &item_line[..item_line.len() - item_line.trim_start().len()];
                    let block: String = if kept.is_empty() {
                        " []".to_string()
                    } else {
                        kept.iter().map(|it| format!("{newline}{indent}- {it}")).collect()
                    };
                    self.edit(TextEdit::replace(TextRange::new(key.value.start(), key.end), block));
                    self.taken.dependencies = true;
                }
                Some(key) => {
                    self.edit(TextEdit::replace(TextRange::new(key.value.start(), key.end), value));
                    self.taken.dependencies = true;
                }
                None if !self.checked.add.is_empty() && neighbours_have("dependencies") => {
                    added.push(format!("dependencies: {value}"));
                    self.taken.dependencies = true;
                }
                None => {}
            }
        }
        if !added.is_empty() {
            let at = keys.last().map_or(block.body.start(), |it| it.end);
            let lead = if keys.is_empty() { "" } else { newline };
            let tail = if keys.is_empty() { newline } else { "" };
            self.edit(TextEdit::insert(at, format!("{lead}{}{tail}", added.join(newline))));
        }
        if let Some(description) = &self.checked.description
            && backlog
        {
            description_section(self, block.body.end(), description);
        }
    }

    /// A plan's `- **Task**: 14 - Title` line, when it carries the old title.
    fn plan_task_line(&mut self, old: Option<&str>) {
        let (Some(new), Some(old)) = (&self.checked.title, old) else { return };
        let text = self.text();
        let extent = TextRange::new(size(0), self.place.line.end().max(self.place.extent.end()));
        let fields = markdown_fields(text, extent);
        let Some(field) = fields.iter().find(|it| it.name.eq_ignore_ascii_case("Task")) else { return };
        if let Some(at) = find_in(text, field.value, old) {
            self.edit(TextEdit::replace(at, new.clone()));
        }
    }

    /// An index line's nested `- Depends on: 1.0, 2.0` line (compozy).
    fn nested_dependencies(&mut self) {
        if !self.wants_dependencies() {
            return;
        }
        let (text, place) = (self.index.text(self.file), self.place);
        let nested = lines_with_offsets(&text[place.extent]).find_map(|(offset, line)| {
            let item = line.trim_start().strip_prefix("- ")?;
            let (name, value) = item.split_once(':')?;
            name.trim().eq_ignore_ascii_case("depends on").then(|| {
                let start = usize::from(place.extent.start()) + offset + (line.len() - value.len());
                let lead = value.len() - value.trim_start().len();
                range(start + lead, start + lead + value.trim().len())
            })
        });
        let Some(value) = nested else { return };
        let tokens = comma_tokens(text, value, &place.dependencies);
        let mut kept = self.kept_dependencies(&tokens);
        kept.extend(self.checked.add.iter().map(|it| it.id.to_string()));
        let joined = if kept.is_empty() { "none".to_string() } else { kept.join(", ") };
        self.edit(TextEdit::replace(value, joined));
        self.taken.dependencies = true;
    }

    /// The title in a Task Order line, an index line or a checklist item.
    fn line_title(&mut self) {
        let (Some(new), Some(old)) = (&self.checked.title, &self.place.title) else { return };
        // Tags before the title (`[P] [US1]` of spec-kit) are not the title.
        let mut old = &**old;
        while let Some(rest) = old.strip_prefix('[').and_then(|it| it.split_once(']')).map(|it| it.1.trim_start()) {
            old = rest;
        }
        let after = self.place.marker.range.end();
        if !old.is_empty()
            && let Some(at) = find_in(self.text(), TextRange::new(after, self.place.line.end()), old)
        {
            self.edit(TextEdit::replace(at, new.clone()));
            self.taken.title = true;
        }
    }
}

/// A Backlog.md `## Description` section (with its `SECTION:DESCRIPTION` markers when the file
/// has them), replaced, or added after the frontmatter.
fn description_section(edits: &mut Edits<'_>, body_start: crate::text::TextSize, description: &str) {
    let description = user_text::paragraph(description);
    let text = edits.text();
    let newline = line_ending(text);
    let begin = "<!-- SECTION:DESCRIPTION:BEGIN -->";
    let end = "<!-- SECTION:DESCRIPTION:END -->";
    let edit = if let (Some(start), Some(stop)) = (text.find(begin), text.find(end))
        && start < stop
    {
        let inner = range(start + begin.len(), stop);
        TextEdit::replace(inner, format!("{newline}{description}{newline}"))
    } else if let Some(heading) = lines_with_offsets(text).find(|(_, line)| line.trim_end() == "## Description") {
        let body = heading.0 + heading.1.len();
        let next = lines_with_offsets(&text[body..])
            .find(|(_, line)| line.starts_with("## "))
            .map_or(text.len(), |(offset, _)| body + offset);
        let tail = if next == text.len() { newline.to_string() } else { format!("{newline}{newline}") };
        TextEdit::replace(range(body, next), format!("{newline}{newline}{description}{tail}"))
    } else {
        // After the frontmatter's closing line.
        let closing = line_range_at(text, usize::from(body_start));
        let at = closing.end();
        TextEdit::insert(at, format!("{newline}{newline}## Description{newline}{newline}{description}"))
    };
    edits.edit(edit);
    edits.taken.description = true;
}

/// The first `needle` in `text[within]`.
fn find_in(text: &str, within: TextRange, needle: &str) -> Option<TextRange> {
    let haystack = text.get(usize::from(within.start())..usize::from(within.end()))?;
    let at = usize::from(within.start()) + haystack.find(needle)?;
    Some(range(at, at + needle.len()))
}

/// Replaces the title in the first heading of `file`, when it carries `old`.
fn heading_title(index: &WorkspaceIndex, file: FileId, old: &str, new: &str, change: &mut WorkspaceChange) {
    let text = index.text(file);
    let mut in_frontmatter = markdown::frontmatter(text).map(|it| it.body);
    let Some((offset, line)) = lines_with_offsets(text).find(|(offset, line)| {
        if let Some(body) = in_frontmatter
            && *offset <= usize::from(body.end())
        {
            return false;
        }
        in_frontmatter = None;
        line.starts_with("# ")
    }) else {
        return;
    };
    if let Some(at) = find_in(text, range(offset + 2, offset + line.len()), old)
        && !change.files.iter().any(|it| it.file == file && it.edits.iter().any(|edit| edit.range == at))
    {
        change.edit(index, file, TextEdit::replace(at, new.to_string()));
    }
}

/// A `**Name**: value` line of a section.
struct MarkdownField {
    name: String,
    /// The line without its break.
    line: TextRange,
    value: TextRange,
}

fn markdown_fields(text: &str, extent: TextRange) -> Vec<MarkdownField> {
    let base = usize::from(extent.start());
    lines_with_offsets(&text[extent])
        .filter_map(|(offset, line)| {
            let field = markdown::field_line(line).filter(|it| it.indent <= 1)?;
            let start = base + offset;
            Some(MarkdownField {
                name: field.name.to_string(),
                line: range(start, start + line.len()),
                value: range(start + field.value_start, start + field.value_start + field.value.len()),
            })
        })
        .collect()
}

/// The end of the list nested under a field line ending at `after` (its last item's line end)
/// and the items' indentation, when such a list follows.
fn nested_items_end(
    text: &str,
    after: crate::text::TextSize,
    limit: crate::text::TextSize,
) -> Option<(crate::text::TextSize, String)> {
    let start = usize::from(after);
    let rest = text.get(start..usize::from(limit))?;
    let mut found = None;
    for (offset, line) in lines_with_offsets(rest).skip(1) {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if indent.is_empty() || !(trimmed.starts_with("- ") || trimmed.starts_with("* ")) {
            break;
        }
        found = Some((size(start + offset + line.trim_end_matches(['\r', '\n']).len()), indent.to_string()));
    }
    found
}

/// The end of the metadata block that holds the status line: the last field line of the run
/// of field lines the status line is in, and the list nested under that last field (the boxes
/// under `- **Acceptance Criteria**:` belong to it: a field added after it goes below them).
fn metadata_end(text: &str, fields: &[MarkdownField], place: &Place) -> crate::text::TextSize {
    let end = field_run_end(fields, place);
    nested_items_end(text, end, place.extent.end()).map_or(end, |(end, _)| end)
}

fn field_run_end(fields: &[MarkdownField], place: &Place) -> crate::text::TextSize {
    let mut end = place.line.end();
    for field in fields.iter().filter(|it| it.line.start() > place.line.start()) {
        // A field line right after the block's end continues it.
        if usize::from(field.line.start()) <= usize::from(end) + 2 {
            end = field.line.end();
        } else {
            break;
        }
    }
    end
}

/// Where a field's paragraph ends: the next blank line, field line, heading or list item.
fn paragraph_end(text: &str, line_end: crate::text::TextSize, limit: crate::text::TextSize) -> crate::text::TextSize {
    let mut end = line_end;
    let rest = range(usize::from(line_end), usize::from(limit));
    for (offset, line) in lines_with_offsets(&text[rest]).skip(1) {
        let trimmed = line.trim();
        if trimmed.is_empty()
            || markdown::field_line(line).is_some()
            || trimmed.starts_with(['#', '-', '*', '+'])
            || trimmed == "---"
        {
            break;
        }
        end = size(usize::from(rest.start()) + offset + line.len());
    }
    end
}

fn lines_joined(lines: &[String], newline: &str) -> String {
    lines.iter().map(|it| format!("{newline}{it}")).collect()
}

/// A comma-separated value's items as written, each with the dependency it names.
fn comma_tokens<'d>(
    text: &str,
    value: TextRange,
    dependencies: &'d [Dependency],
) -> Vec<(String, Option<&'d Dependency>)> {
    let written = &text[value];
    if matches!(written.trim().to_ascii_lowercase().as_str(), "" | "none" | "-" | "n/a") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = usize::from(value.start());
    for part in written.split(',') {
        let token = range(start, start + part.len());
        start += part.len() + 1;
        if part.trim().is_empty() {
            continue;
        }
        let dependency = dependencies.iter().find(|it| token.contains_range(it.range));
        out.push((part.trim().to_string(), dependency));
    }
    out
}

/// The items of a JSON array value (ranges relative to the object text).
fn array_items(object: &str, value: (usize, usize)) -> Vec<(usize, usize)> {
    let inner_start = value.0 + 1;
    let inner_end = value.1.saturating_sub(1);
    let Some(inner) = object.get(inner_start..inner_end) else { return Vec::new() };
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut depth = 0i32;
    let mut in_string = false;
    let bytes = inner.as_bytes();
    let mut at = 0;
    while at <= bytes.len() {
        let byte = bytes.get(at).copied();
        match byte {
            Some(b'\\') if in_string => at += 1,
            Some(b'"') => in_string = !in_string,
            Some(b'[' | b'{') if !in_string => depth += 1,
            Some(b']' | b'}') if !in_string => depth -= 1,
            Some(b',') | None if !in_string && depth == 0 => {
                let part = &inner[start..at.min(inner.len())];
                let lead = part.len() - part.trim_start().len();
                let trimmed = part.trim();
                if !trimmed.is_empty() {
                    out.push((inner_start + start + lead, inner_start + start + lead + trimmed.len()));
                }
                start = at + 1;
            }
            _ => {}
        }
        at += 1;
    }
    out
}

/// A top-level key of a YAML frontmatter block.
struct YamlKey {
    name: String,
    /// The value on the key's line (empty at the line's end when the value is a block below).
    value: TextRange,
    /// The end of the key's last line (its block list included), without the line break.
    end: crate::text::TextSize,
}

fn yaml_keys(text: &str, body: TextRange) -> Vec<YamlKey> {
    let base = usize::from(body.start());
    let mut keys: Vec<YamlKey> = Vec::new();
    for (offset, line) in lines_with_offsets(&text[body]) {
        let start = base + offset;
        let content = line.trim_end_matches('\r');
        if content.starts_with([' ', '\t', '-']) {
            if let Some(last) = keys.last_mut()
                && !content.trim().is_empty()
            {
                last.end = size(start + content.len());
            }
            continue;
        }
        let Some((name, value)) = content.split_once(':') else { continue };
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        let value_start = start + name.len() + 1 + (value.len() - value.trim_start().len());
        let value_end = start + content.trim_end().len();
        keys.push(YamlKey {
            name: name.to_string(),
            value: range(value_start, value_end.max(value_start)),
            end: size(value_end.max(value_start)),
        });
    }
    keys
}

/// The items of a YAML list value: `[a, b]` on the key's line or `- a` lines below it.
fn yaml_list_items(text: &str, key: &YamlKey) -> Vec<TextRange> {
    let written = &text[key.value];
    if let Some(inner) = written.strip_prefix('[').and_then(|it| it.strip_suffix(']')) {
        let base = usize::from(key.value.start()) + 1;
        let mut out = Vec::new();
        let mut start = 0;
        for part in inner.split(',') {
            let lead = part.len() - part.trim_start().len();
            let trimmed = part.trim();
            if !trimmed.is_empty() {
                out.push(range(base + start + lead, base + start + lead + trimmed.len()));
            }
            start += part.len() + 1;
        }
        return out;
    }
    let block = range(usize::from(key.value.end()), usize::from(key.end));
    lines_with_offsets(&text[block])
        .filter_map(|(offset, line)| {
            let item = line.trim_start().strip_prefix("- ")?;
            let start = usize::from(block.start()) + offset + (line.len() - item.len());
            let item = item.trim_end();
            Some(range(start, start + item.len()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_items_keep_their_text() {
        let object = "{\"dependencies\": [1, \"a,b\", 3]}";
        let value = json_text::properties(object)[0].value;
        let items: Vec<&str> = array_items(object, value).into_iter().map(|(s, e)| &object[s..e]).collect();
        assert_eq!(items, ["1", "\"a,b\"", "3"]);
        let empty = "{\"dependencies\": []}";
        assert!(array_items(empty, json_text::properties(empty)[0].value).is_empty());
    }

    #[test]
    fn yaml_lists_in_both_forms() {
        let text = "---\nid: A-1\ndependencies:\n  - a-2\n  - a-3\nlabels: [x, y]\n---\n";
        let block = markdown::frontmatter(text).unwrap();
        let keys = yaml_keys(text, block.body);
        let names: Vec<&str> = keys.iter().map(|it| it.name.as_str()).collect();
        assert_eq!(names, ["id", "dependencies", "labels"]);
        let items = |key: &YamlKey| -> Vec<String> {
            yaml_list_items(text, key).into_iter().map(|it| text[it].to_string()).collect()
        };
        assert_eq!(items(&keys[1]), ["a-2", "a-3"]);
        assert_eq!(items(&keys[2]), ["x", "y"]);
    }
}
