//! `taskmark show TASK`: a task's places and progress.

use std::fmt::Write;

use crate::engine::ide::TaskSummary;
use crate::views::Paths;

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
