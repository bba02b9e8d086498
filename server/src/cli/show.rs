//! `taskmark show TASK`: a task's places and progress.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::cli::render::Paths;
use crate::engine::ide::TaskSummary;

pub fn human(view: &TaskSummary, paths: &Paths) -> String {
    let mut out = String::new();
    let scope = if view.task.scope.is_empty() { ".".to_string() } else { view.task.scope.clone() };
    let _ = writeln!(out, "task {} — {} ({scope})", view.task.id, view.title.as_deref().unwrap_or("(untitled)"));
    let agree = view.agrees();
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
            "  (history: superseded or handed over, not compared)"
        } else if !place.known {
            "  ? not a status of its vocabulary"
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
            .map(|it| format!("{} {}", it.id, it.status.as_deref().unwrap_or("(not found)")))
            .collect();
        let _ = writeln!(out, "dependencies: {}", deps.join(", "));
    }
    if view.status.is_some() {
        let next = if view.next.is_empty() {
            "none (terminal)".to_string()
        } else {
            view.next.iter().map(|it| it.display.as_str()).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(out, "next: {next}");
    }
    out
}

pub fn json(view: &TaskSummary, paths: &Paths) -> Value {
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
            "known": it.known,
            "current": it.current,
        })).collect::<Vec<_>>(),
        "progress": view.progress.as_ref().map(|it| progress_json(it, paths)),
        "dependencies": view.dependencies.iter().map(|it| json!({"task": it.id, "status": it.status})).collect::<Vec<_>>(),
        "next": view.next.iter().map(|it| &it.display).collect::<Vec<_>>(),
    })
}

/// A plan's progress as `show` and `list` print it in JSON.
pub fn progress_json(progress: &crate::engine::ide::Progress, paths: &Paths) -> Value {
    json!({
        "plan": paths.show(&progress.plan),
        "phases_done": progress.phases_done,
        "phases": progress.phases,
        "checkboxes_done": progress.boxes_done,
        "checkboxes": progress.boxes,
    })
}
