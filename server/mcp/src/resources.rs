//! The MCP resources, for clients that read context rather than call tools: the workspace's
//! trackers, its tasks, and each task (`taskmark://task/{task}`), as JSON. Each is read from
//! the same `taskmark.*` commands as the tools, so it is as fresh as the editors' view.

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rmcp::model::{Resource, ResourceTemplate};
use serde_json::{Value, json};

pub const TRACKERS: &str = "taskmark://trackers";
pub const TASKS: &str = "taskmark://tasks";
const TASK_PREFIX: &str = "taskmark://task/";
pub const TASK_TEMPLATE: &str = "taskmark://task/{task}";
const JSON: &str = "application/json";

pub fn listed() -> Vec<Resource> {
    vec![
        Resource::new(TRACKERS, "trackers")
            .with_title("The workspace's trackers")
            .with_description("Each tracker: its folder, family, whether it can be written, and its statuses.")
            .with_mime_type(JSON),
        Resource::new(TASKS, "tasks")
            .with_title("The workspace's tasks")
            .with_description(
                "Every task: id, title, status, whether every file agrees, kind, dependencies, claim. The list_tasks tool filters.",
            )
            .with_mime_type(JSON),
    ]
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(TASK_TEMPLATE, "task")
            .with_title("One task")
            .with_description(
                "A task as show_task gives it: every place its status is written, progress, dependencies, next statuses, claim. `task` is `221` or `specs:221` (percent-encoded).",
            )
            .with_mime_type(JSON),
    ]
}

/// The URI of one task's resource.
pub fn task_uri(task: &str) -> String {
    format!("{TASK_PREFIX}{}", utf8_percent_encode(task, NON_ALPHANUMERIC))
}

/// What reading `uri` takes: the command and its arguments, and how to shape the answer.
#[derive(Debug, PartialEq)]
pub enum Read {
    Trackers,
    Tasks,
    Task(String),
}

pub fn parse(uri: &str) -> Result<Read, String> {
    match uri {
        TRACKERS => Ok(Read::Trackers),
        TASKS => Ok(Read::Tasks),
        _ => {
            let Some(task) = uri.strip_prefix(TASK_PREFIX) else {
                return Err(format!("no resource `{uri}`: taskmark's are {TRACKERS}, {TASKS} and {TASK_TEMPLATE}"));
            };
            let task =
                percent_decode_str(task).decode_utf8().map_err(|_| format!("`{uri}` does not name a task in UTF-8"))?;
            if task.is_empty() {
                return Err(format!("`{uri}` names no task: {TASK_TEMPLATE}"));
            }
            Ok(Read::Task(task.into_owned()))
        }
    }
}

/// The task list without what an agent does not need from a resource (ranges, URIs of
/// places): one line per task would be the tool's job.
pub fn compact_tasks(listed: &Value) -> Value {
    let tasks: Vec<Value> = listed
        .as_array()
        .into_iter()
        .flatten()
        .map(|task| {
            let field = |key: &str| task.get(key).cloned().unwrap_or(Value::Null);
            json!({
                "task": field("task"), "title": field("title"), "status": field("status"), "kind": field("kind"),
                "agrees": field("agrees"), "dependencies": field("dependencies"), "claim": field("claim"),
                "resource": task.get("task").and_then(Value::as_str).map(task_uri),
            })
        })
        .collect();
    json!({ "count": tasks.len(), "tasks": tasks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_uris_round_trip_scoped_ids_and_path_characters() {
        for task in ["221", "specs:221", "../etc/passwd", "a b/c?d#e"] {
            let uri = task_uri(task);
            assert!(!uri[TASK_PREFIX.len()..].contains('/'), "{uri}");
            assert_eq!(parse(&uri), Ok(Read::Task(task.to_string())));
        }
        assert_eq!(parse("taskmark://task/specs:12"), Ok(Read::Task("specs:12".to_string())));
    }

    #[test]
    fn unknown_and_empty_resources_are_refused_with_the_known_ones_named() {
        assert!(parse("taskmark://nothing").unwrap_err().contains(TASK_TEMPLATE));
        assert!(parse("taskmark://task/").is_err());
        assert!(parse("taskmark://task/%FF").is_err());
        assert_eq!(parse(TRACKERS), Ok(Read::Trackers));
    }
}
