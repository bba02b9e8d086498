//! compozy: `_tasks.md` (`- [x] 1.0 Title`, an optional `[DEFERRED]` tag, `Depends on: 1.0`)
//! and `N_task.md` files with a frontmatter `status:`.

use crate::layout::leading_digits;
use crate::markdown::{self, Outline};
use crate::model::{Dependency, Editability, Marker, Mention, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, collect_items, item_from_checkbox, place};
use crate::text::{lines_with_offsets, range};
use crate::vocabulary::{Lookup, Scope, Spelling};
use crate::yaml;

/// compozy writes `1.0` in the index and `1_task.md` on disk: both are task `1`.
pub fn task_id(raw: &str) -> String {
    raw.strip_suffix(".0").unwrap_or(raw).to_string()
}

/// `1.0`, `12.3`: the length of a compozy id at the start of `text`.
fn id_len(text: &str) -> usize {
    let digits = leading_digits(text);
    if digits == 0 {
        return 0;
    }
    let mut len = digits;
    if let Some(rest) = text[len..].strip_prefix('.') {
        let more = leading_digits(rest);
        if more > 0 {
            len += 1 + more;
        }
    }
    if text[len..].is_empty() || text[len..].starts_with([' ', '\t']) { len } else { 0 }
}

/// The newer layout writes `01` and `05a` in its table and `task_01.md` on disk: tasks `1`
/// and `5a`.
pub fn table_id(raw: &str) -> String {
    let raw = raw.trim();
    let digits = leading_digits(raw);
    let number = raw[..digits].trim_start_matches('0');
    format!("{}{}", if number.is_empty() && digits > 0 { "0" } else { number }, &raw[digits..])
}

pub fn parse_index(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    table_rows(cx, text, &outline, &mut out);
    for (list_item, line, checkbox) in outline.checkboxes(text, range(0, text.len())) {
        let line_text = &text[line];
        let after = &line_text[checkbox.text_start..];
        let len = id_len(after);
        if len == 0 || list_item.depth > 0 {
            if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                out.items.push(item);
            }
            continue;
        }
        let base = usize::from(line.start());
        let key = TaskKey::new(cx.scope, task_id(&after[..len]));
        let marker = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
        let mut place =
            place(cx, Subject::Task(key), PlaceKind::IndexLine, text, marker, Spelling::Checkbox, Scope::Task);
        let title = after[len..].trim();
        // A trailing `[DEFERRED]` refines the unchecked box.
        if title.ends_with(']')
            && let Some(open) = title.rfind('[')
        {
            let tag_text = &title[open..];
            if let Lookup::Known(id) = cx.profile.lookup(Spelling::Bracket, tag_text, Scope::Task) {
                let tag_start =
                    base + checkbox.text_start + len + (after[len..].len() - after[len..].trim_start().len()) + open;
                place.tag = Some(Box::new(Marker {
                    range: range(tag_start, tag_start + tag_text.len()),
                    text: tag_text.into(),
                    spelling: Spelling::Bracket,
                    scope: Scope::Task,
                }));
                place.status = Some(id);
                place.unknown = None;
            }
        }
        place.title = Some(title.into());
        place.extent = list_item.range;
        // `  - Depends on: 1.0, 2.0` under the item.
        let item_start = usize::from(list_item.range.start());
        for (offset, nested) in lines_with_offsets(&text[list_item.range]).skip(1) {
            let trimmed = nested.trim_start().trim_start_matches(['-', '*']).trim_start();
            let Some(value) = trimmed.strip_prefix("Depends on:").or_else(|| trimmed.strip_prefix("Dependencies:"))
            else {
                continue;
            };
            let value_start = item_start + offset + (nested.len() - value.len());
            let mut at = 0;
            while at < value.len() {
                let len = leading_digits(&value[at..]);
                if len == 0 {
                    at += value[at..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                let mut end = at + len;
                if let Some(rest) = value[end..].strip_prefix('.') {
                    end += 1 + leading_digits(rest);
                }
                place.dependencies.push(Dependency {
                    id: task_id(value[at..end].trim_end_matches('.')),
                    range: range(value_start + at, value_start + end),
                });
                at = end;
            }
        }
        out.places.push(place);
    }
    out
}

/// The columns of an index table: the id's, and the status, title and dependencies where the
/// table has them.
#[derive(Clone, Copy)]
struct Columns {
    id: usize,
    status: Option<usize>,
    title: Option<usize>,
    dependencies: Option<usize>,
}

/// The newer layout's table: `| # | Title | Status | Complexity | Dependencies |`. Its second
/// version (`schema_version: "compozy.tasks/v2"`) keeps the status in the task files only:
/// `| ID | Title | Type | Complexity |` with `task_01` in the id column, each row a mention of
/// its task (listed here, its status stated elsewhere).
fn table_rows(cx: &ParseContext<'_>, text: &str, outline: &Outline, out: &mut ParsedFile) {
    let mut columns: Option<Columns> = None;
    for row in &outline.table_rows {
        if outline.in_code(row.range.start()) {
            continue;
        }
        let cell = |at: usize| row.cells.get(at).map(|it| text[*it].trim().trim_matches('|').trim());
        if row.is_head {
            let named = |names: &[&str]| {
                (0..row.cells.len())
                    .find(|at| cell(*at).is_some_and(|it| names.iter().any(|name| it.eq_ignore_ascii_case(name))))
            };
            columns = named(&["#", "id", "task"]).map(|id| Columns {
                id,
                status: named(&["status"]),
                title: named(&["title", "name"]),
                dependencies: named(&["dependencies", "depends on"]),
            });
            continue;
        }
        let Some(Columns {
            id: id_column,
            status: status_column,
            title: title_column,
            dependencies: dependencies_column,
        }) = columns
        else {
            continue;
        };
        let Some(written_id) = cell(id_column) else { continue };
        // `01`, `05a`, or the file's own name, `task_01`.
        let raw_id = written_id.strip_prefix("task_").unwrap_or(written_id);
        if leading_digits(raw_id) == 0 || !raw_id.chars().all(|it| it.is_ascii_alphanumeric()) {
            continue;
        }
        let Some(status_cell) = status_column.and_then(|at| row.cells.get(at)) else {
            // A table without a status column lists tasks only when it names their files:
            // another table's `1`, `2` could number anything.
            if raw_id.len() < written_id.len()
                && let Some(id_cell) = row.cells.get(id_column)
            {
                let key = TaskKey::new(cx.scope, table_id(raw_id));
                out.mentions.push(Mention { task: key, kind: PlaceKind::IndexRow, range: *id_cell });
            }
            continue;
        };
        let raw = &text[*status_cell];
        let inner = raw.trim().trim_matches('|').trim();
        let Some(offset) = raw.find(inner).filter(|_| !inner.is_empty()) else { continue };
        let start = usize::from(status_cell.start()) + offset;
        let key = TaskKey::new(cx.scope, table_id(raw_id));
        let mut it = place(
            cx,
            Subject::Task(key),
            PlaceKind::IndexRow,
            text,
            range(start, start + inner.len()),
            Spelling::Word,
            Scope::Task,
        );
        it.title = title_column.and_then(cell).filter(|it| !it.is_empty()).map(Into::into);
        it.extent = row.range;
        if let Some(cell_range) = dependencies_column.and_then(|at| row.cells.get(at)) {
            let value = &text[*cell_range];
            let base = usize::from(cell_range.start());
            let mut at = 0;
            for part in value.split(',') {
                // `01` or `task_01`.
                let named = part.trim_start();
                let lead = part.len() - named.len() + if named.starts_with("task_") { "task_".len() } else { 0 };
                let trimmed = named.strip_prefix("task_").unwrap_or(named).trim_end();
                if leading_digits(trimmed) > 0 && trimmed.chars().all(|it| it.is_ascii_alphanumeric()) {
                    let start = base + at + lead;
                    it.dependencies
                        .push(Dependency { id: table_id(trimmed), range: range(start, start + trimmed.len()) });
                }
                at += part.len() + 1;
            }
        }
        out.places.push(it);
    }
}

/// `_meta.md`: the `## Summary` list compozy writes (`- Total: 14`, `- Completed: 14`,
/// `- Pending: 0`), as counters of the feature's task files. Nothing else is read.
pub fn parse_meta(text: &str) -> ParsedFile {
    use crate::model::{Counter, Counters, FolderCount, FolderCounted};
    let mut out = ParsedFile::default();
    let mut folder_counts = Vec::new();
    for (offset, line) in lines_with_offsets(text) {
        let Some(item) = line.trim_end_matches('\r').strip_prefix("- ") else { continue };
        let Some((name, value)) = item.split_once(':') else { continue };
        let counted = match name.trim() {
            "Total" => FolderCounted::Tasks,
            "Completed" => FolderCounted::Done,
            "Pending" => FolderCounted::NotBegun,
            _ => continue,
        };
        let digits = value.trim_start();
        let Ok(number) = digits.parse::<u64>() else { continue };
        let start = offset + 2 + name.len() + 1 + (value.len() - digits.len());
        let counter =
            Counter { key: name.trim().to_string(), value: number, range: range(start, start + digits.len()) };
        folder_counts.push(FolderCount { counted, counter });
    }
    if !folder_counts.is_empty() {
        out.counters = Some(Counters { folder_counts, ..Counters::default() });
    }
    out
}

pub fn parse_task(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let file_name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let id = match file_name.strip_prefix("task_").and_then(|it| it.strip_suffix(".md")) {
        Some(number) => table_id(number),
        None => task_id(&file_name[..leading_digits(file_name)]),
    };
    let key = TaskKey::new(cx.scope, id);
    let front = markdown::frontmatter(text);
    let yaml = front.as_ref().map(|block| {
        let (yaml, problem) = yaml::parse_lenient(text, block.body);
        out.problems.extend(problem);
        yaml
    });
    let Some(status) = yaml.as_ref().and_then(|it| it.get("status")).and_then(|it| it.as_scalar()) else {
        out.mentions.push(Mention { task: key, kind: PlaceKind::Frontmatter, range: range(0, 0) });
        return out;
    };
    let mut place =
        place(cx, Subject::Task(key), PlaceKind::Frontmatter, text, status.range, Spelling::Word, Scope::Task);
    if !status.exact {
        place.editable = Editability::ReadOnly("the frontmatter status is not a single-line value");
    }
    place.title = outline.headings.first().map(|it| text[it.content].into());
    let index = out.places.len();
    out.places.push(place);
    let body_start = front.map_or(0, |it| usize::from(it.body.end()));
    let children = collect_items(cx, text, &outline, range(body_start, text.len()), Some(index), &mut out.items);
    out.places[index].child_items = children;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::RuleCode;
    use crate::fixture::diagnostics;

    /// The newer layout: a row and a task file per task (`01` and `task_01.md` are task 1), a
    /// row behind its file, a file without a row, and `set` writing both in compozy's words.
    #[test]
    fn the_table_layout() {
        let fixture = "%! .compozy/tasks/chat/_tasks.md\n# Chat\n\n## Tasks\n\n| #   | Title | Status    | Complexity | Dependencies |\n| --- | ----- | --------- | ---------- | ------------ |\n| 01  | Hook  | completed | high       | —            |\n| 02  | View  | pending   | low        | 01           |\n| 05a | Split | pending   | low        | 01, task_02  |\n%! .compozy/tasks/chat/task_01.md\n---\nstatus: completed\n---\n# Task 01: Hook\n%! .compozy/tasks/chat/task_02.md\n---\nstatus: completed\n---\n# Task 02: View\n%! .compozy/tasks/chat/task_05a.md\n---\nstatus: pending\n---\n# Task 05a: Split\n%! .compozy/tasks/chat/task_06.md\n---\nstatus: pending\n---\n# Task 06: Extra\n";
        let (index, found) = diagnostics(fixture, None);
        let seen: Vec<(RuleCode, String)> = found
            .iter()
            .map(|it| (it.code, it.task.as_ref().map(|task| task.id.to_string()).unwrap_or_default()))
            .collect();
        assert_eq!(seen, [(RuleCode::StatusMismatch, "2".into()), (RuleCode::OrphanTask, "6".into())], "{found:#?}");
        let split = index.task(&TaskKey::new(".compozy/tasks/chat", "5a")).expect("task 5a");
        let row = index.place(split.places[0]);
        assert_eq!((row.kind, row.title.as_deref()), (PlaceKind::IndexRow, Some("Split")));
        let cited: Vec<&str> = row.dependencies.iter().map(|it| it.id.as_str()).collect();
        assert_eq!(cited, ["1", "2"]);
        let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
        let task = TaskKey::new(".compozy/tasks/chat", "5a");
        let change = crate::edit::plan_status_change(&index, &task, "in_progress", &options).expect("a plan");
        let after = crate::fixture::apply(fixture, &index, &change);
        assert!(after.contains("| 05a | Split | in-progress   | low"), "{after}");
        assert!(after.contains("---\nstatus: in-progress\n---\n# Task 05a"), "{after}");
    }

    /// compozy's v2 index (andreustimm/master-jobs, a fourth hold-out review): the table names
    /// each task's file and states no status, which lives in the task files only. A listed task
    /// with its file is no orphan; a file without a row still is; a row without a file states
    /// nothing to hold it to (not reported); a plain numbered table beside it lists nothing.
    #[test]
    fn the_v2_index_lists_tasks_without_their_status() {
        let fixture = "%! .compozy/tasks/menu/_tasks.md\n---\nschema_version: \"compozy.tasks/v2\"\nworkflow: menu\n---\n\n# Menu\n\n| ID | Title | Type | Complexity |\n|----|-------|------|------------|\n| task_01 | Close menu | bugfix | low |\n| task_02 | Focus trap | bugfix | low |\n\n| ID | Risk |\n|----|------|\n| 7 | Flaky e2e |\n%! .compozy/tasks/menu/task_01.md\n---\nstatus: completed\ntitle: \"Close menu\"\n---\n# Task 1: Close menu\n%! .compozy/tasks/menu/task_03.md\n---\nstatus: pending\n---\n# Task 3: Extra\n";
        let (index, found) = diagnostics(fixture, None);
        let seen: Vec<(RuleCode, String)> = found
            .iter()
            .map(|it| (it.code, it.task.as_ref().map(|task| task.id.to_string()).unwrap_or_default()))
            .collect();
        assert_eq!(seen, [(RuleCode::OrphanTask, "3".into())], "{found:#?}");
        let listed = index.task(&TaskKey::new(".compozy/tasks/menu", "1")).expect("task 1");
        assert_eq!((listed.places.len(), listed.mentions.len()), (1, 1), "its file's status, the index's row");
        assert!(index.task(&TaskKey::new(".compozy/tasks/menu", "7")).is_none(), "the risk table lists no task");
        // `set` writes the task file, the one place that states the status.
        let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
        let task = TaskKey::new(".compozy/tasks/menu", "1");
        let change = crate::edit::plan_status_change(&index, &task, "in_progress", &options).expect("a plan");
        let after = crate::fixture::apply(fixture, &index, &change);
        assert!(after.contains("---\nstatus: in-progress\ntitle: \"Close menu\"\n---"), "{after}");
        assert!(after.contains("| task_01 | Close menu | bugfix | low |"), "{after}");
    }

    #[test]
    fn ids() {
        assert_eq!(id_len("1.0 Backend"), 3);
        assert_eq!(id_len("12.3 x"), 4);
        assert_eq!(id_len("2026 was"), 4);
        assert_eq!(id_len("v1"), 0);
        assert_eq!(task_id("10.0"), "10");
        assert_eq!(task_id("10.1"), "10.1");
        assert_eq!(table_id("01"), "1");
        assert_eq!(table_id("05a"), "5a");
        assert_eq!(table_id("10"), "10");
        assert_eq!(table_id("00"), "0");
    }
}
