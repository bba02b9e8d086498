//! OpenSpec changes: `openspec/changes/<change>/tasks.md` (`## 1. Group` headings over
//! `- [ ] 1.1 ...` boxes); `openspec archive` moves a finished change to
//! `openspec/changes/archive/YYYY-MM-DD-<change>/`. The change is the task: its status is where
//! its folder is (a place without text, as PIDEA's status folders are), and every box of its
//! tasks.md is a child of it. An archived change with open boxes, and an active one whose boxes
//! are all checked, are what the children rule then says.

use crate::layout::openspec_change;
use crate::markdown::Outline;
use crate::model::{ParsedFile, TaskKey};
use crate::parse::{ParseContext, collect_items, location_place};
use crate::text::range;

pub fn parse_tasks(cx: &ParseContext<'_>, text: &str, archived: bool) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    let folder = cx.path.rsplit('/').nth(1).unwrap_or_default();
    let change = openspec_change(folder);
    let status = if archived { "archived" } else { "active" };
    let why = "an OpenSpec change is archived by `openspec archive`, which moves its folder";
    let mut folder_place = location_place(cx, TaskKey::new(cx.scope, change), text, status, why);
    folder_place.title = Some(change.replace('-', " ").into());
    out.places.push(folder_place);
    let children = collect_items(cx, text, &outline, range(0, text.len()), Some(0), &mut out.items);
    out.places[0].child_items = children;
    out
}

#[cfg(test)]
mod tests {
    use crate::fixture::index;
    use crate::model::{PlaceKind, TaskKey};

    #[test]
    fn a_change_is_a_task_with_its_folder_as_status_and_its_boxes_as_children() {
        let index = index(
            "%! openspec/changes/add-export/tasks.md\n## 1. Export\n- [x] 1.1 Write the exporter\n- [ ] 1.2 Test it\n%! openspec/changes/archive/2025-12-16-fix-auth/tasks.md\n## 1. Fix\n- [x] 1.1 Fix it\n",
        );
        let active = index.task(&TaskKey::new("openspec/changes", "add-export")).expect("the active change");
        let place = index.place(active.places[0]);
        assert_eq!((place.kind, place.shown().as_str()), (PlaceKind::StatusFolder, "active"));
        assert_eq!(place.title.as_deref(), Some("add export"));
        let file = active.places[0].file;
        assert_eq!(index.parsed(file).items.len(), 2);
        let archived = index.task(&TaskKey::new("openspec/changes", "fix-auth")).expect("the archived change");
        assert_eq!(index.place(archived.places[0]).shown(), "archived");
        // Moving a change is `openspec archive`'s: set refuses, and show offers no next step.
        let task = TaskKey::new("openspec/changes", "fix-auth");
        let options = crate::fixture::options_at("2026-11-22T05:33:43Z");
        let refused = crate::edit::plan_status_change(&index, &task, "active", &options).expect_err("read only");
        assert!(refused.to_string().contains("openspec archive"), "{refused}");
        assert!(crate::ide::task_summary(&index, &task).next.is_empty());
    }
}
