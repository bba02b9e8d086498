//! Hover: a task's state across files, as markdown.

use std::fmt::Write;

use crate::ide::navigation::task_at;
use crate::index::{FileId, WorkspaceIndex};
use crate::model::TaskKey;
use crate::summary::{TaskSummary, task_summary};
use crate::text::{TextRange, TextSize};

/// Where hover text may link. The adapter knows URIs and command syntax; tests link nowhere.
pub trait HoverLinks {
    /// A link target that opens `path` (workspace-relative) at 1-based `line`.
    fn file(&self, path: &str, line: u32) -> Option<String>;
    /// A link target that sets `task` to `status` (a status id).
    fn set_status(&self, task: &TaskKey, status: &str) -> Option<String>;
    /// Whether the client draws markdown tables. Neovim's hover shows them as raw pipes that
    /// break across lines: the places become a list there.
    fn tables(&self) -> bool {
        true
    }
}

/// Plain text, no links.
pub struct NoLinks;

impl HoverLinks for NoLinks {
    fn file(&self, _: &str, _: u32) -> Option<String> {
        None
    }

    fn set_status(&self, _: &TaskKey, _: &str) -> Option<String> {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverInfo {
    /// The task hovered, for adapters that add what only they know (an agent's claim).
    pub task: TaskKey,
    pub range: TextRange,
    pub markdown: String,
}

pub fn hover(index: &WorkspaceIndex, file: FileId, offset: TextSize, links: &dyn HoverLinks) -> Option<HoverInfo> {
    let target = task_at(index, file, offset)?;
    let summary = task_summary(index, &target.task);
    Some(HoverInfo { range: target.range, markdown: render(&summary, links), task: target.task })
}

/// The summary as markdown: a heading line, the places table, then progress, timestamps,
/// dependencies and the next statuses.
pub fn render(summary: &TaskSummary, links: &dyn HoverLinks) -> String {
    let mut out = String::new();
    let title = summary.title.as_deref().unwrap_or("(untitled)");
    let _ = write!(out, "**Task {} — {}**", summary.task.id, escape(title));
    if let Some(status) = &summary.status {
        let _ = write!(out, " · {}", code(status));
    }
    if summary.archived {
        out.push_str(" · archived");
    }
    out.push_str("\n\n");
    if !summary.agrees() {
        out.push_str("⚠ **The places of this task disagree.**\n\n");
    }
    if !summary.places.is_empty() {
        let tables = links.tables();
        if tables {
            out.push_str("| place | file | status | |\n|---|---|---|:-:|\n");
        }
        for place in &summary.places {
            let location = format!("{}:{}", place.path, place.line);
            let location = match links.file(&place.path, place.line) {
                Some(target) => format!("[{}]({target})", escape(&location)),
                None if tables => escape(&location),
                None => code(&location),
            };
            let verdict = if place.counted {
                if place.agrees { "✓" } else { "open-children" }
            } else if place.as_created {
                if place.agrees { "✓" } else { "as made" }
            } else if !place.current {
                "history"
            } else if !place.known {
                "?"
            } else if place.agrees {
                "✓"
            } else {
                "✗"
            };
            if tables {
                let _ = writeln!(out, "| {} | {location} | {} | {verdict} |", place.kind, code(&place.value));
            } else {
                let _ = writeln!(out, "- {} {verdict} {}: {location}", code(&place.value), place.kind);
            }
        }
        out.push('\n');
    }
    let mut facts: Vec<String> = Vec::new();
    if let Some(progress) = &summary.progress {
        let label = progress.label();
        let plan_name = progress.plan.rsplit('/').next().unwrap_or(&progress.plan);
        let plan = match links.file(&progress.plan, 1) {
            Some(target) => format!("[{}]({target})", escape(plan_name)),
            None => escape(plan_name),
        };
        if label.is_empty() {
            facts.push(format!("**Plan**: {plan}"));
        } else {
            facts.push(format!("**Progress**: {label} in {plan}"));
        }
    }
    if !summary.timestamps.is_empty() {
        let stamps: Vec<String> =
            summary.timestamps.iter().map(|(name, value)| format!("**{}** {}", escape(name), escape(value))).collect();
        facts.push(stamps.join(" · "));
    }
    if !summary.dependencies.is_empty() {
        let deps: Vec<String> = summary
            .dependencies
            .iter()
            .map(|it| match &it.status {
                Some(status) => format!("{} {}{}", escape(&it.id), code(status), if it.done { " ✓" } else { "" }),
                None => format!("{} (not found)", escape(&it.id)),
            })
            .collect();
        facts.push(format!("**Depends on**: {}", deps.join(", ")));
    }
    if summary.status.is_some() {
        if summary.next.is_empty() {
            facts.push("**Next**: none (terminal status)".into());
        } else {
            let next: Vec<String> = summary
                .next
                .iter()
                .map(|it| match links.set_status(&summary.task, &it.id) {
                    Some(target) => format!(
                        "[{}]({target} \"Set status of {} to {}\")",
                        code(&it.display),
                        summary.task.id,
                        it.display
                    ),
                    None => code(&it.display),
                })
                .collect();
            facts.push(format!("**Next**: {}", next.join(" · ")));
        }
    }
    out.push_str(&facts.join("  \n"));
    out.trim_end().to_string()
}

/// Inline code, with a fence long enough for any backticks inside.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Escapes what markdown (and a table cell) would read as syntax. An underscore inside a word
/// (`fix_verbose_output`) is no emphasis in CommonMark and stays as it is: a renderer that
/// shows escapes (Neovim's hover) would show `fix\_verbose\_output`.
fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (at, c) in chars.iter().copied().enumerate() {
        let word = |index: Option<usize>| index.and_then(|it| chars.get(it)).is_some_and(|it| it.is_alphanumeric());
        let inside_word = c == '_' && word(at.checked_sub(1)) && word(Some(at + 1));
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '<' | '>' | '#') && !inside_word {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
