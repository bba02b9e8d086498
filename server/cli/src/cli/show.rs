//! `taskmark show TASK`: a task's places and progress, within [`WIDTH`] columns.

use crate::engine::ide::TaskSummary;
use crate::views::Paths;

/// The widest a line of `show` gets: a long path wraps after a `/`, a long sentence at a space.
pub const WIDTH: usize = 100;

/// The narrowest the location column gets when values and notes are wide: narrower, a path
/// would take more lines than it saves.
const MIN_LOCATION: usize = 30;

pub fn human(view: &TaskSummary, paths: &Paths) -> String {
    let mut lines: Vec<String> = Vec::new();
    let scope = if view.task.scope.is_empty() { ".".to_string() } else { view.task.scope.to_string() };
    lines.push(format!("task {} — {} ({scope})", view.task.id, view.title.as_deref().unwrap_or("(untitled)")));
    lines.push(format!(
        "status: {}{}{}",
        view.status.as_deref().unwrap_or("unknown"),
        if view.agrees() { "" } else { "  (places disagree)" },
        if view.archived { "  (archived)" } else { "" }
    ));
    lines.push("places:".to_string());
    lines.extend(place_rows(view, paths));
    if let Some(progress) = &view.progress {
        lines.push(format!(
            "plan: {} — {}/{} phases done, {}/{} checkboxes done",
            paths.show(&progress.plan),
            progress.phases_done,
            progress.phases,
            progress.boxes_done,
            progress.boxes
        ));
    }
    if !view.dependencies.is_empty() {
        let deps: Vec<String> = view
            .dependencies
            .iter()
            .map(|it| format!("{} {}", it.id, it.status.as_deref().unwrap_or("(not found)")))
            .collect();
        lines.push(format!("dependencies: {}", deps.join(", ")));
    }
    if view.status.is_some() {
        let next = if !view.settable {
            "none taskmark writes (every place of its status is its own tool's to write: a folder it moves, a file it rewrites)".to_string()
        } else if view.next.is_empty() {
            "none (terminal)".to_string()
        } else {
            view.next.iter().map(|it| it.display.as_str()).collect::<Vec<_>>().join(", ")
        };
        lines.push(format!("next: {next}"));
    }
    let mut out = String::new();
    for line in lines {
        for piece in wrap(&line, WIDTH, "  ") {
            out.push_str(&piece);
            out.push('\n');
        }
    }
    out
}

/// One row per place: kind, `path:line`, value and a note. A location wider than its column
/// continues on the next lines after a `/`; a note that does not fit beside the value goes on
/// the next line, under it.
fn place_rows(view: &TaskSummary, paths: &Paths) -> Vec<String> {
    let rows: Vec<(&str, String, &str, String)> = view
        .places
        .iter()
        .map(|place| {
            let note = if place.counted {
                if place.agrees { String::new() } else { format!("✗ differs from the status ({})", place.judged_by) }
            } else if place.as_created {
                if place.agrees {
                    String::new()
                } else {
                    "(as the track was made; Conductor does not update it)".into()
                }
            } else if !place.current {
                "(history: superseded or handed over, not compared)".into()
            } else if !place.known {
                "? not a status of its vocabulary".into()
            } else if place.agrees {
                String::new()
            } else {
                "✗ disagrees".into()
            };
            (place.kind, format!("{}:{}", paths.show(&place.path), place.line), place.value.as_str(), note)
        })
        .collect();
    let kind_width = rows.iter().map(|it| columns(it.0)).max().unwrap_or(0).max(18);
    // Room for each value with its note beside it, where the location column can spare it.
    let value_width = rows
        .iter()
        .map(|(_, _, value, note)| columns(value) + if note.is_empty() { 0 } else { 2 + columns(note) })
        .max()
        .unwrap_or(0);
    let indent = 2 + kind_width + 1;
    let location_width = rows
        .iter()
        .map(|it| columns(&it.1))
        .max()
        .unwrap_or(0)
        .min(WIDTH.saturating_sub(indent + 2 + value_width).max(MIN_LOCATION));
    let mut out = Vec::new();
    for (kind, location, value, note) in rows {
        let mut pieces = split_path(&location, location_width).into_iter();
        let first = pieces.next().unwrap_or_default();
        let mut line = format!("  {}{}  {}", pad(kind, kind_width + 1), pad(&first, location_width), value);
        let mut note = (!note.is_empty()).then_some(note.as_str());
        if let Some(text) = note
            && columns(&line) + 2 + columns(text) <= WIDTH
        {
            line = format!("{line}  {text}");
            note = None;
        }
        out.push(line);
        for piece in pieces {
            let mut line = format!("{}{}", " ".repeat(indent), piece);
            if let Some(text) = note.take() {
                line = format!("{}  {text}", pad(&line, indent + location_width));
            }
            out.push(line);
        }
        if let Some(text) = note {
            out.push(format!("{}{text}", " ".repeat(indent + location_width + 2)));
        }
    }
    out.into_iter().map(|it| it.trim_end().to_string()).collect()
}

/// Columns a string takes in a terminal: one per character (the marks `show` prints, `—`, `✗`,
/// `≠`, are one column wide).
fn columns(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

/// `path` in pieces of at most `width` columns, each ending after a `/` where one falls in
/// range, else after a `_`, `-` or `.` of a long name (else where it must).
fn split_path(path: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = path.chars().collect();
    while rest.len() > width {
        let after = |marks: &[char]| rest[..width].iter().rposition(|it| marks.contains(it)).map(|at| at + 1);
        let cut = after(&['/']).or_else(|| after(&['_', '-', '.'])).unwrap_or(width);
        pieces.push(rest[..cut].iter().collect());
        rest.drain(..cut);
    }
    pieces.push(rest.into_iter().collect());
    pieces
}

/// `line` in lines of at most `width` columns, broken at spaces (a word wider than a line, a
/// path, after its slashes); the lines after the first start with `indent`.
fn wrap(line: &str, width: usize, indent: &str) -> Vec<String> {
    if columns(line) <= width {
        return vec![line.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    // Every line but the first starts with the indent: a word cut to fit one fits any.
    let room = width.saturating_sub(columns(indent));
    for word in line.split(' ') {
        let pieces = if columns(word) > room { split_path(word, room) } else { vec![word.to_string()] };
        for piece in pieces {
            let joined = if current.is_empty() { piece.clone() } else { format!("{current} {piece}") };
            let limit = if out.is_empty() { width } else { room };
            if columns(&joined) <= limit || current.is_empty() {
                current = joined;
            } else {
                out.push(std::mem::take(&mut current));
                current = piece;
            }
        }
    }
    out.push(current);
    out.into_iter().enumerate().map(|(at, it)| if at == 0 { it } else { format!("{indent}{it}") }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_and_sentences_wrap_within_the_width() {
        assert_eq!(split_path("specs/a/b.md:4", 100), ["specs/a/b.md:4"]);
        assert_eq!(
            split_path("specs/012_sync/plans/implementation-001.md:4", 24),
            ["specs/012_sync/plans/", "implementation-001.md:4"]
        );
        let line = format!("plan: specs/{}/plans/implementation-001.md — 2/3 phases done", "x".repeat(120));
        let wrapped = wrap(&line, 100, "  ");
        assert!(wrapped.iter().all(|it| columns(it) <= 100), "{wrapped:#?}");
        assert_eq!(wrapped.concat().replace(' ', ""), line.replace(' ', ""), "nothing lost");
        assert_eq!(wrap("short", 100, "  "), ["short"]);
    }
}
