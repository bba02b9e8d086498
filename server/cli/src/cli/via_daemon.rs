//! The writing commands (`taskmark set`, `fix`, `new`, `edit`, `archive`) through a running
//! daemon, so that the editors it serves update live: the command connects to the daemon's
//! socket as one more LSP client with no open documents and runs the editor command that does
//! the same (`taskmark.setStatus`, `taskmark.fix`, `taskmark.newTask`, `taskmark.editTask`,
//! `taskmark.archiveTasks`); the daemon writes the files (the same transaction path) and
//! broadcasts the change. With no daemon running, [`run`] says so and the caller writes the
//! files itself.
//!
//! Only this user's own daemon is trusted with the workspace's path and the change, and only
//! its answer is printed: a socket in a runtime folder that is not private, that someone else
//! owns, or that another user answers on is left alone (with a note saying why), and the
//! command writes the files itself. An answer is read with bounds, so a broken or hostile one
//! is an error, never a crash. A refusal is printed in the command line's words and with its
//! exit code, as the command would give it writing the files itself.

use crate::cli::output::{self, outln};
use std::os::unix::net::UnixStream;
use std::path::Path;

use serde_json::{Value, json};

use crate::cli::exit;
use crate::cli::write::{SetRequest, override_in_command_line_words};
use crate::engine::edit::Override;
use crate::lsp_client::{Connection, Failure};

/// A connection to the daemon, initialized for `root`; `None` when no daemon runs, or when
/// the one found is not used (the note printed says why). Nothing about the change has been
/// sent when this returns `None`, so the caller may write the files itself.
fn connect(root: &Path, name: &str) -> Option<Connection<UnixStream, UnixStream>> {
    connect_for(root, name, Fallback::Write)
}

/// What the command does itself when the daemon is not used, for the note that says so.
#[derive(Debug, Clone, Copy)]
enum Fallback {
    Write,
    Read,
}

fn connect_for(root: &Path, name: &str, fallback: Fallback) -> Option<Connection<UnixStream, UnixStream>> {
    let stream = match crate::daemon::connect_trusted() {
        Ok(stream) => stream?,
        Err(reason) => {
            not_used(&reason, fallback);
            return None;
        }
    };
    let mut connection = match Connection::over_socket(stream) {
        Ok(connection) => connection,
        Err(error) => {
            not_used(&format!("cannot set up its connection: {error}"), fallback);
            return None;
        }
    };
    let uri = tower_lsp_server::ls_types::Uri::from_file_path(root)?;
    let initialized = connection.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "clientInfo": { "name": name, "version": env!("CARGO_PKG_VERSION") },
            "rootUri": uri.as_str(),
            "workspaceFolders": [{ "uri": uri.as_str(), "name": "workspace" }],
            "capabilities": {},
            // The command's next step (a commit, a script) reads the disk: files other editors
            // have open are written there too, and their buffers follow.
            "initializationOptions": { "openElsewhere": "disk" },
        }),
    );
    if let Err(failure) = initialized {
        not_used(&failure.to_string(), fallback);
        return None;
    }
    connection.notify("initialized", json!({}));
    Some(connection)
}

fn not_used(reason: &str, fallback: Fallback) {
    let instead = match fallback {
        Fallback::Write => "writing the files from this command",
        Fallback::Read => "reading the files from this command",
    };
    eprintln!("taskmark: note: not using the taskmark daemon ({reason}); {instead}");
}

/// Runs the editor command `command` with `arguments` through the daemon serving `root`, as the
/// client `name` (how the editors are told who changed their files: `taskmark new`).
/// `Some(exit code)` when a daemon took the request: `answer` prints its result, and a refusal
/// is reported as the command would report it; `None` when no daemon answers on the socket (or
/// the one found is not used), and nothing was sent.
pub fn run(root: &Path, name: &str, command: &str, arguments: Value, answer: impl FnOnce(&Value) -> u8) -> Option<u8> {
    Some(command_through(connect(root, name)?, command, arguments, answer))
}

fn command_through(
    mut connection: Connection<UnixStream, UnixStream>,
    command: &str,
    arguments: Value,
    answer: impl FnOnce(&Value) -> u8,
) -> u8 {
    let outcome = connection.command(command, arguments);
    connection.close();
    match outcome {
        Ok(result) => answer(&result),
        Err(failure) => report(&failure),
    }
}

/// A reading command through the daemon serving `root` (which already follows the other
/// worktrees), as [`run`] does a writing one: `None` when no daemon answers.
pub fn query(
    root: &Path,
    name: &str,
    command: &str,
    arguments: Value,
    answer: impl FnOnce(&Value) -> u8,
) -> Option<u8> {
    Some(command_through(connect_for(root, name, Fallback::Read)?, command, arguments, answer))
}

/// `taskmark set` through the daemon: `taskmark.setStatus`.
pub fn set(root: &Path, request: &SetRequest<'_>, date: Option<&str>) -> Option<u8> {
    let arguments = json!([{
        "task": request.task,
        "status": request.status,
        "force": request.force,
        "reason": request.reason,
        "expectFrom": request.expect_from,
        "date": date,
        "agent": request.agent,
    }]);
    run(root, "taskmark set", "taskmark.setStatus", arguments, |result| {
        for warning in strings(&result["warnings"]) {
            eprintln!("taskmark: warning: {warning}");
        }
        if request.format == crate::cli::ShowFormat::Json {
            let answer = json!({
                "label": result["label"],
                "unchanged": result["unchanged"] == true,
                "files": result.get("changed").cloned().unwrap_or_else(|| json!([])),
                "written": result["written"],
                "dry_run": false,
                "warnings": result["warnings"],
            });
            outln!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
            return exit::CLEAN;
        }
        if result["unchanged"] == true {
            outln!("{}", result["label"].as_str().unwrap_or("nothing to change"));
            return exit::CLEAN;
        }
        outln!(
            "{}: wrote {} (through the taskmark daemon; open editors were updated)",
            result["label"].as_str().unwrap_or("status changed"),
            written(result)
        );
        for file in result["changed"].as_array().into_iter().flatten() {
            let parts: Vec<&str> = strings(&file["changed"]).collect();
            outln!("  {}: {}", file["path"].as_str().unwrap_or("?"), parts.join(", "));
        }
        exit::CLEAN
    })
}

/// `taskmark new`, `edit` or `archive` through the daemon (`taskmark.newTask`, `editTask`,
/// `archiveTasks`), printed as the command prints a change it writes itself: the notes, then
/// the label and the files written, or, in JSON, the answer's `fields` (the command's own:
/// `id`, `task`, `tracker`, `tasks`) with `files` (the files the change edits or creates,
/// whether the daemon wrote them or an editor's buffer took them), `moved`, `written` (what is
/// on disk now) and `dry_run`.
pub fn lifecycle(
    root: &Path,
    name: &str,
    command: &str,
    arguments: Value,
    format: crate::cli::ShowFormat,
    fields: &[&str],
) -> Option<u8> {
    run(root, name, command, json!([arguments]), |result| {
        for warning in strings(&result["warnings"]) {
            eprintln!("taskmark: note: {warning}");
        }
        if format == crate::cli::ShowFormat::Human {
            outln!(
                "{}: wrote {} (through the taskmark daemon; open editors were updated)",
                result["label"].as_str().unwrap_or("changed"),
                written(result)
            );
            return exit::CLEAN;
        }
        let moved = result["moved"].as_array().cloned().unwrap_or_default();
        let is_moved = |path: &str| moved.iter().any(|it| it["from"] == path || it["to"] == path);
        let mut out = serde_json::Map::new();
        for field in fields {
            let value = match &result[*field] {
                Value::Array(tasks) => Value::Array(tasks.iter().map(scoped).collect()),
                task if *field == "task" => scoped(task),
                other => other.clone(),
            };
            out.insert(field.to_string(), value);
        }
        // The answer's `files` also names each moved path, where it was and where it goes.
        out.insert("files".into(), json!(strings(&result["files"]).filter(|it| !is_moved(it)).collect::<Vec<_>>()));
        out.insert("moved".into(), json!(moved));
        out.insert("written".into(), json!(strings(&result["written"]).collect::<Vec<_>>()));
        out.insert("dry_run".into(), json!(false));
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        exit::CLEAN
    })
}

/// A task as the command line names it in JSON, `SCOPE:ID`: the daemon's answers leave out
/// the scope of a tracker at the workspace root.
fn scoped(task: &Value) -> Value {
    match task.as_str() {
        Some(name) if !name.contains(':') => json!(format!(":{name}")),
        _ => task.clone(),
    }
}

fn strings(list: &Value) -> impl Iterator<Item = &str> {
    list.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// `taskmark fix` through the daemon: the service's fixes, every pass as one change, written by
/// the daemon so that the editors' open buffers follow.
pub fn fix(root: &Path, codes: &[crate::engine::diagnostic::RuleCode]) -> Option<u8> {
    let mut connection = connect(root, "taskmark fix")?;
    let codes: Vec<&str> = codes.iter().map(|it| it.as_str()).collect();
    let outcome = connection.command("taskmark.fix", json!([{ "codes": codes }]));
    connection.close();
    let result = match outcome {
        Ok(result) => result,
        Err(failure) => return Some(report(&failure)),
    };
    let answer: crate::service::fixing::FixAnswer = match serde_json::from_value(result.clone()) {
        Ok(answer) => answer,
        Err(error) => {
            let message = format!("the taskmark daemon's answer to `fix` does not read ({error}): {result}");
            output::refusal("error", "lost", &message);
            return Some(exit::WRITE_FAILED);
        }
    };
    let held_back = crate::cli::write::held_back_said(&answer.held_back_lines());
    if answer.fixed.is_empty() {
        outln!("taskmark: nothing to fix{held_back}");
        return Some(exit::CLEAN);
    }
    let label = result["label"].as_str().unwrap_or_default();
    outln!("{label}: wrote {} (through the taskmark daemon; open editors were updated)", written(&result));
    if !held_back.is_empty() {
        outln!("{}", held_back.trim_start_matches("; "));
    }
    Some(exit::CLEAN)
}

fn written(result: &Value) -> String {
    let written: Vec<&str> = strings(&result["written"]).collect();
    if written.is_empty() { "nothing on disk".to_string() } else { written.join(", ") }
}

/// The daemon's error, with the exit code the direct path would give.
fn report(failure: &Failure) -> u8 {
    let error = match failure {
        Failure::Refused(error) => error,
        Failure::Lost(reason) => {
            // The request was sent: the daemon may have applied it before the answer broke, so
            // writing the files from here could apply it twice.
            let message = format!(
                "the taskmark daemon's answer was lost ({reason}); the change may or may not have been applied: check with `taskmark show` or `taskmark check` before trying again"
            );
            output::refusal("error", "lost", &message);
            return exit::FAILURE;
        }
    };
    let code = error["code"].as_i64().unwrap_or(0);
    let message = command_line_message(error);
    let kind = error["data"]["kind"].as_str();
    if kind == Some("claimed") || message.contains("the agents' claims") {
        // Said as `taskmark set --agent` says it when it reads the claims itself: exit 3 for
        // another agent's claim, 5 for a claims file that cannot be used, with this command's
        // flag for forcing.
        let force = crate::engine::edit::Override::Force;
        let message = message.replacen(
            crate::lsp::override_in_editor_words(force),
            crate::cli::write::override_in_command_line_words(force),
            1,
        );
        if kind == Some("claimed") {
            output::refusal("refused", "claimed", &message);
            return exit::REFUSED;
        }
        output::refusal("error", "writeFailed", &message);
        return exit::WRITE_FAILED;
    }
    if kind == Some("otherBranches") {
        // Exit 2, as `taskmark new` says it when it reads the branches itself.
        output::refusal("error", "otherBranches", &message);
        return exit::FAILURE;
    }
    match code {
        -32801 => {
            output::refusal("conflict", kind.unwrap_or("conflict"), &message);
            exit::CONFLICT
        }
        -32803 => {
            output::refusal("error", kind.unwrap_or("writeFailed"), &message);
            exit::WRITE_FAILED
        }
        -32602 => {
            output::refusal("refused", kind.unwrap_or("refused"), &format!("{message}; nothing was written"));
            exit::REFUSED
        }
        _ => {
            output::refusal("error", kind.unwrap_or("failed"), &message);
            exit::FAILURE
        }
    }
}

/// The daemon's refusal (an editor's answer) as the command would say it writing the files
/// itself: without the `taskmark: ` the editors are shown, with this command's flags where the
/// editors are told their arguments (the answer's `data.override` says which), "(--from)"
/// after a compare-and-swap that lost, and "nothing was written" where a change that failed
/// says "nothing was changed" (not a refusal's own words: the engine's refusals, `-32602`,
/// get the command's "; nothing was written" after them).
fn command_line_message(error: &Value) -> String {
    let message = error["message"].as_str().unwrap_or("the daemon refused the change");
    let message = message.strip_prefix("taskmark: ").unwrap_or(message);
    // The override the editors are told, said with this command's flag instead (a note of
    // who changed the task last may follow it).
    let message = match error["data"]["override"].as_str().and_then(Override::parse) {
        Some(how) => {
            message.replacen(crate::lsp::override_in_editor_words(how), override_in_command_line_words(how), 1)
        }
        None => message.to_string(),
    };
    let code = error["code"].as_i64().unwrap_or(0);
    match (code, error["data"]["kind"].as_str()) {
        // The flag that asked for the compare-and-swap, before what the write path may add.
        (-32801, Some("conflict")) => message.replacen("; nothing was changed", " (--from); nothing was written", 1),
        (-32602, _) => message,
        _ => message.replace("; nothing was changed", "; nothing was written"),
    }
}

/// A minimal JSON-RPC client over the socket: answers what the server asks with "nothing"
/// (this client has no documents, no UI), skips notifications.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::edit::Refusal;
    use crate::engine::model::TaskKey;

    /// A refusal through the daemon says what the command says writing the files itself, and
    /// the editors get their own words (the VS Code extension reads the allowed statuses out
    /// of `(set \`force\` to override)`).
    #[test]
    fn refusals_come_back_in_the_command_lines_words() {
        let task = TaskKey::new("specs", "14");
        let cases = [
            (
                Refusal::InvalidTransition {
                    task: task.clone(),
                    from: "[PLANNED]".into(),
                    to: "[RESEARCHING]".into(),
                    allowed: vec![("implementing".into(), "[IMPLEMENTING]".into())],
                },
                "task 14: `[PLANNED]` -> `[RESEARCHING]` is not an allowed transition; from `[PLANNED]` the vocabulary allows [IMPLEMENTING] (set `force` to override)",
            ),
            (
                Refusal::NeedsReason { status: "[BLOCKED]".into(), field: "Blocking Reason".into() },
                "`[BLOCKED]` needs a **Blocking Reason**; pass it as `reason`",
            ),
            (
                Refusal::PlanAhead { task: task.clone(), path: "plan.md".into(), phases: "2/3".into() },
                "task 14: the phases of plan.md are further along (2/3); setting the task back would leave its plan header stale (set `force` to override)",
            ),
            (
                Refusal::LeavesDrift { change: "new 17".into(), found: vec!["a".into(), "b".into()], forcible: false },
                "new 17 would leave new problems: a; b (change the request, or fix those first)",
            ),
            (
                Refusal::LeavesDrift { change: "set 14 completed".into(), found: vec!["a".into()], forcible: true },
                "set 14 completed would leave new problems: a (set `force` to override)",
            ),
            (
                Refusal::BadRequest("no store of task 14 keeps a priority; nothing was changed".into()),
                "no store of task 14 keeps a priority; nothing was changed",
            ),
        ];
        for (refusal, editor) in cases {
            let error = crate::lsp::refusal_error(&refusal);
            assert_eq!(error.message, editor);
            let answer = json!({ "code": error.code.code(), "message": error.message, "data": error.data });
            assert_eq!(command_line_message(&answer), crate::cli::write::in_command_line_words(&refusal));
        }
        let failed = json!({
            "code": -32803,
            "message": "taskmark: cannot read the other branches' trackers (x); nothing was changed (`noBranches` skips them)",
            "data": { "kind": "otherBranches", "override": "noBranches" },
        });
        assert_eq!(
            command_line_message(&failed),
            "cannot read the other branches' trackers (x); nothing was written (--no-branches skips them)"
        );
        let lost = json!({
            "code": -32801,
            "message": "task 14 is `[PLANNED]` now, not `[COMPLETED]` as expected; nothing was changed",
            "data": { "kind": "conflict", "task": "14", "expected": "completed", "current": "[PLANNED]" },
        });
        assert_eq!(
            command_line_message(&lost),
            "task 14 is `[PLANNED]` now, not `[COMPLETED]` as expected (--from); nothing was written"
        );
    }
}
