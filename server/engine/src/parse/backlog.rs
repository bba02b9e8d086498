//! Backlog.md task files: frontmatter `id`, `status`, `dependencies`, and the acceptance
//! criteria and definition-of-done checkboxes between their HTML comment markers.

use crate::markdown::{self, Outline};
use crate::model::{Dependency, Editability, Field, FileProblem, Mention, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, collect_items, place};
use crate::text::range;
use crate::vocabulary::{Scope, Spelling};
use crate::yaml::{self, Yaml};

/// The `statuses` list of `backlog/config.yml`.
pub fn statuses(text: &str) -> Result<Vec<String>, FileProblem> {
    let yaml = yaml::parse(text, range(0, text.len()))?;
    let list = match yaml.get("statuses") {
        Some(Yaml::Seq(items)) => {
            items.iter().filter_map(|it| it.as_scalar()).map(|it| it.value.clone()).collect::<Vec<_>>()
        }
        _ => Vec::new(),
    };
    if list.is_empty() {
        return Err(FileProblem { range: range(0, 0), message: "backlog/config.yml lists no `statuses`".into() });
    }
    Ok(list)
}

/// Backlog.md ids are case-insensitive (`back-200` in file names, `BACK-200` in frontmatter).
pub fn task_id(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

pub fn parse(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let file_name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    let name_id = file_name.split(" - ").next().map(|it| it.trim_end_matches(".md")).filter(|it| it.contains('-'));
    let Some(block) = markdown::frontmatter(text) else {
        if let Some(id) = name_id {
            out.mentions.push(Mention {
                task: TaskKey::new(cx.scope, task_id(id)),
                kind: PlaceKind::Frontmatter,
                range: range(0, 0),
            });
        }
        return out;
    };
    let (yaml, problem) = yaml::parse_lenient(text, block.body);
    out.problems.extend(problem);
    let id = yaml.get("id").and_then(|it| it.as_scalar()).map(|it| it.value.clone()).or(name_id.map(str::to_string));
    let Some(id) = id else { return out };
    let key = TaskKey::new(cx.scope, task_id(&id));
    let Some(status) = yaml.get("status").and_then(|it| it.as_scalar()) else {
        out.mentions.push(Mention { task: key, kind: PlaceKind::Frontmatter, range: block.body });
        return out;
    };
    let mut place =
        place(cx, Subject::Task(key), PlaceKind::Frontmatter, text, status.range, Spelling::Word, Scope::Task);
    if !status.exact {
        place.editable = Editability::ReadOnly("the frontmatter status is not a single-line value");
    }
    if let Yaml::Map(entries) = &yaml {
        place.fields = entries
            .iter()
            .filter(|(key, _)| crate::parse::is_timestamp_key(&key.value))
            .filter_map(|(key, value)| {
                let scalar = value.as_scalar()?;
                Some(Field {
                    name: key.value.clone().into(),
                    value: scalar.value.clone().into(),
                    value_range: scalar.range,
                    line: crate::text::line_range_at(text, usize::from(key.range.start())),
                })
            })
            .collect();
    }
    place.title = yaml.get("title").and_then(|it| it.as_scalar()).map(|it| it.value.as_str().into());
    place.dependencies = yaml
        .get("dependencies")
        .map(|it| it.scalars())
        .unwrap_or_default()
        .into_iter()
        .map(|it| Dependency { id: task_id(&it.value), range: it.range })
        .collect();
    let index = out.places.len();
    out.places.push(place);
    let outline = Outline::new(text);
    // Both blocks' boxes are the task's: pushed one block after the other, they are one run.
    let first_item = out.items.len();
    for (begin, end) in [("<!-- AC:BEGIN -->", "<!-- AC:END -->"), ("<!-- DOD:BEGIN -->", "<!-- DOD:END -->")] {
        if let Some(start) = text.find(begin) {
            let stop = text[start..].find(end).map_or(text.len(), |it| start + it);
            collect_items(cx, text, &outline, range(start, stop), Some(index), &mut out.items);
        }
    }
    out.places[index].child_items = crate::model::Children::new(first_item..out.items.len());
    out
}
