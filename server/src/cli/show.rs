//! `taskmark show TASK`: a task's places and progress.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::cli::render::Paths;
use crate::engine::index::WorkspaceIndex;
use crate::engine::model::{PlaceKind, TaskKey};
use crate::engine::text::line_number;
use crate::engine::vocabulary::{Kind, Scope};

pub struct PlaceRow {
    pub kind: &'static str,
    pub path: String,
    pub line: u32,
    pub value: String,
    pub agrees: bool,
    pub current: bool,
}

pub struct Progress {
    pub plan: String,
    pub phases_done: usize,
    pub phases: usize,
    pub boxes_done: usize,
    pub boxes: usize,
}

pub struct TaskView {
    pub task: TaskKey,
    pub title: Option<String>,
    pub status: Option<String>,
    pub places: Vec<PlaceRow>,
    pub progress: Option<Progress>,
    pub dependencies: Vec<(String, Option<String>)>,
    pub next: Vec<String>,
    pub archived: bool,
}

pub fn task_view(index: &WorkspaceIndex, task: &TaskKey) -> TaskView {
    let entry = index.task(task).cloned().unwrap_or_default();
    let profile = index.task_profile(task);
    let speaker = index.task_status(task);
    let agreeing = index.agreeing_places(task);
    let mut places = Vec::new();
    let mut title = None;
    let mut ordered = entry.places.clone();
    ordered.sort_by_key(|it| (crate::engine::index::authority(index.place(*it).kind), index.path(it.file).to_string()));
    for place_ref in &ordered {
        let place = index.place(*place_ref);
        if title.is_none() {
            title = place.title.clone().filter(|it| !it.is_empty());
        }
        let agrees = match (profile, speaker, place.status) {
            (Some(profile), Some((speaker_ref, status)), Some(own)) => {
                let same = place.kind.task_vocabulary() && index.place(speaker_ref).kind.task_vocabulary();
                profile.agree(own, status, same)
            }
            (_, _, None) => false,
            _ => true,
        };
        let line = index.entry(place_ref.file).map_or(1, |it| line_number(it.line_index(), place.marker.range.start()));
        places.push(PlaceRow {
            kind: place.kind.describe(),
            path: index.path(place_ref.file).to_string(),
            line,
            value: place.shown(),
            agrees,
            current: agreeing.contains(place_ref) || place.status.is_none(),
        });
    }
    let progress = entry.current_plan.map(|plan| {
        let parsed = index.parsed(plan);
        let kind_of =
            |status: Option<crate::engine::vocabulary::StatusId>| status.and_then(|it| profile.map(|p| p.kind(it)));
        let phases: Vec<_> = parsed.places.iter().filter(|it| it.kind == PlaceKind::PlanPhase).collect();
        Progress {
            plan: index.path(plan).to_string(),
            phases_done: phases.iter().filter(|it| kind_of(it.status) == Some(Kind::Done)).count(),
            phases: phases.len(),
            boxes_done: parsed.items.iter().filter(|it| kind_of(it.status) == Some(Kind::Done)).count(),
            boxes: parsed.items.len(),
        }
    });
    let mut dependencies: Vec<(String, Option<String>)> = Vec::new();
    for place_ref in &entry.places {
        for dependency in &index.place(*place_ref).dependencies {
            if dependencies.iter().any(|(id, _)| *id == dependency.id) {
                continue;
            }
            let key = TaskKey::new(task.scope.clone(), dependency.id.clone());
            let status = index.task_status(&key).map(|(place, _)| index.place(place).shown());
            dependencies.push((dependency.id.clone(), status));
        }
    }
    let next = match (profile, speaker) {
        (Some(profile), Some((_, status))) => {
            profile.next(Scope::Task, status).into_iter().map(|it| profile.display(it)).collect()
        }
        _ => Vec::new(),
    };
    TaskView {
        task: task.clone(),
        title,
        status: speaker.map(|(place, _)| index.place(place).shown()),
        places,
        progress,
        dependencies,
        next,
        archived: entry.archived,
    }
}

pub fn human(view: &TaskView, paths: &Paths) -> String {
    let mut out = String::new();
    let scope = if view.task.scope.is_empty() { ".".to_string() } else { view.task.scope.clone() };
    let _ = writeln!(out, "task {} — {} ({scope})", view.task.id, view.title.as_deref().unwrap_or("(untitled)"));
    let agree = view.places.iter().filter(|it| it.current).all(|it| it.agrees);
    let _ = writeln!(
        out,
        "status: {}{}{}",
        view.status.as_deref().unwrap_or("unknown"),
        if agree { "" } else { "  (places disagree)" },
        if view.archived { "  (archived)" } else { "" }
    );
    let width =
        view.places.iter().map(|it| paths.show(&it.path).len() + it.line.to_string().len() + 1).max().unwrap_or(0);
    let _ = writeln!(out, "places:");
    for place in &view.places {
        let location = format!("{}:{}", paths.show(&place.path), place.line);
        let note = if !place.current {
            "  (superseded plan)"
        } else if place.agrees {
            ""
        } else {
            "  ✗ disagrees"
        };
        let _ = writeln!(out, "  {:<18} {location:<width$}  {}{note}", place.kind, place.value);
    }
    if let Some(progress) = &view.progress {
        let _ = writeln!(
            out,
            "plan: {} — {}/{} phases done, {}/{} checkboxes done",
            paths.show(&progress.plan),
            progress.phases_done,
            progress.phases,
            progress.boxes_done,
            progress.boxes
        );
    }
    if !view.dependencies.is_empty() {
        let deps: Vec<String> = view
            .dependencies
            .iter()
            .map(|(id, status)| format!("{id} {}", status.as_deref().unwrap_or("(not found)")))
            .collect();
        let _ = writeln!(out, "dependencies: {}", deps.join(", "));
    }
    if view.status.is_some() {
        let next = if view.next.is_empty() { "none (terminal)".to_string() } else { view.next.join(", ") };
        let _ = writeln!(out, "next: {next}");
    }
    out
}

pub fn json(view: &TaskView, paths: &Paths) -> Value {
    json!({
        "task": view.task.id,
        "scope": view.task.scope,
        "title": view.title,
        "status": view.status,
        "archived": view.archived,
        "places": view.places.iter().map(|it| json!({
            "kind": it.kind,
            "file": paths.show(&it.path),
            "line": it.line,
            "value": it.value,
            "agrees": it.agrees,
            "current": it.current,
        })).collect::<Vec<_>>(),
        "progress": view.progress.as_ref().map(|it| json!({
            "plan": paths.show(&it.plan),
            "phases_done": it.phases_done,
            "phases": it.phases,
            "checkboxes_done": it.boxes_done,
            "checkboxes": it.boxes,
        })),
        "dependencies": view.dependencies.iter().map(|(id, status)| json!({"task": id, "status": status})).collect::<Vec<_>>(),
        "next": view.next,
    })
}
