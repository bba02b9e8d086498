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

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::cli::exit;
use crate::cli::lifecycle::{Moved, WrittenAnswer};
use crate::cli::write::{ChangedFileAnswer, SetAnswer, SetRequest, override_in_command_line_words};
use crate::engine::edit::Override;
use crate::lsp::ext;
use crate::lsp_client::{Connection, Failure};
use crate::service::lifecycle::LifecycleAnswer;

/// A connection to the daemon, initialized for `root`; `None` when no daemon runs, or when
/// the one found is not used (the note printed says why). Nothing about the change has been
/// sent when this returns `None`, so the caller may write the files itself.
fn connect(root: &Path, name: &str) -> Option<Connection<UnixStream, UnixStream>> {
    connect_for(root, name, Fallback::Write)
}

/// Whether the command writes or only reads: what it does itself when the daemon is not used
/// (for the note that says so), and how an answer that does not read is reported (a write's
/// is lost, a read's failed).
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
    initialized(stream, root, name).inspect_err(|reason| not_used(reason, fallback)).ok()
}

/// `stream` to the daemon as a session on `root`, initialized.
fn initialized(stream: UnixStream, root: &Path, name: &str) -> Result<Connection<UnixStream, UnixStream>, String> {
    let mut connection =
        Connection::over_socket(stream).map_err(|error| format!("cannot set up its connection: {error}"))?;
    // The command's next step (a commit, a script) reads the disk: files other editors have
    // open are written there too, and their buffers follow.
    let initialize = crate::lsp::client::initialize_params(root, name, json!({}), json!({ "openElsewhere": "disk" }))?;
    connection.request("initialize", initialize).map_err(|failure| failure.to_string())?;
    connection.notify("initialized", json!({}));
    Ok(connection)
}

/// `taskmark board`: the address of `root`'s board, from this user's daemon, started if none
/// runs (the board is the daemon's to serve).
pub fn open_board(root: &Path) -> Result<String, String> {
    let stream = crate::daemon::connect_or_start()?;
    let mut connection = initialized(stream, root, "taskmark board")?;
    let outcome = connection.command(crate::lsp::OPEN_BOARD, json!([{}]));
    connection.close();
    let answer = outcome.map_err(|failure| failure.to_string())?;
    serde_json::from_value::<ext::OpenBoardAnswer>(answer.clone())
        .map(|it| it.url)
        .map_err(|error| format!("the daemon's answer does not read ({error}): {answer}"))
}

fn not_used(reason: &str, fallback: Fallback) {
    let instead = match fallback {
        Fallback::Write => "writing the files from this command",
        Fallback::Read => "reading the files from this command",
    };
    eprintln!("taskmark: note: not using the taskmark daemon ({reason}); {instead}");
}

/// Runs the editor command `command` with its typed `params` (`lsp::ext`, the editors' own
/// shapes, so a renamed field fails to compile here rather than being dropped on the way)
/// through the daemon serving `root`, as the client `name` (how the editors are told who
/// changed their files: `taskmark new`). `Some(exit code)` when a daemon took the request:
/// `answer` prints its typed result, and a refusal is reported as the command would report
/// it; `None` when no daemon answers on the socket (or the one found is not used), and nothing
/// was sent.
pub fn run<P: Serialize, A: DeserializeOwned>(
    root: &Path,
    name: &str,
    command: &str,
    params: &P,
    answer: impl FnOnce(A) -> u8,
) -> Option<u8> {
    let arguments = arguments(command, params)?;
    Some(command_through(connect(root, name)?, command, arguments, Fallback::Write, answer))
}

/// A reading command through the daemon serving `root` (which already follows the other
/// worktrees), as [`run`] does a writing one: `None` when no daemon answers.
pub fn query<P: Serialize, A: DeserializeOwned>(
    root: &Path,
    name: &str,
    command: &str,
    params: &P,
    answer: impl FnOnce(A) -> u8,
) -> Option<u8> {
    let arguments = arguments(command, params)?;
    Some(command_through(connect_for(root, name, Fallback::Read)?, command, arguments, Fallback::Read, answer))
}

/// A command's arguments, its params alone. Cannot fail for the `ext` types (no map has keys
/// other than strings); were it to, nothing is sent and the command does the work itself.
fn arguments<P: Serialize>(command: &str, params: &P) -> Option<Value> {
    match serde_json::to_value([params]) {
        Ok(arguments) => Some(arguments),
        Err(error) => {
            eprintln!("taskmark: note: not using the taskmark daemon (`{command}`'s arguments: {error})");
            None
        }
    }
}

fn command_through<A: DeserializeOwned>(
    mut connection: Connection<UnixStream, UnixStream>,
    command: &str,
    arguments: Value,
    kind: Fallback,
    answer: impl FnOnce(A) -> u8,
) -> u8 {
    let outcome = connection.command(command, arguments);
    connection.close();
    let result = match outcome {
        Ok(result) => result,
        Err(failure) => return report(&failure),
    };
    let error = match A::deserialize(&result) {
        Ok(result) => return answer(result),
        Err(error) => error,
    };
    let unread = format!("its answer to `{command}` does not read ({error}): {result}");
    match kind {
        // Sent and answered, but not in the shape asked for: a change is as good as lost.
        Fallback::Write => report(&Failure::Lost(unread)),
        Fallback::Read => {
            output::refusal("error", "failed", &format!("the taskmark daemon's {unread}"));
            exit::FAILURE
        }
    }
}

/// `taskmark set` through the daemon: `taskmark.setStatus`.
pub fn set(root: &Path, request: &SetRequest<'_>, date: Option<&str>) -> Option<u8> {
    let params = ext::SetStatusParams {
        task: request.task.to_string(),
        status: request.status.to_string(),
        force: Some(request.force),
        reason: request.reason.clone(),
        expect_from: request.expect_from.map(str::to_string),
        date: date.map(str::to_string),
        agent: request.agent.clone(),
        holder_pid: None,
    };
    run(root, "taskmark set", crate::lsp::SET_STATUS, &params, |result: ext::ChangeResult| {
        for warning in &result.warnings {
            crate::cli::output::say("warning", warning);
        }
        let unchanged = result.unchanged == Some(true);
        let changed = result.changed.unwrap_or_default();
        if request.format == crate::cli::ShowFormat::Json {
            let answer = SetAnswer {
                label: result.label,
                unchanged,
                files: changed.into_iter().map(|it| ChangedFileAnswer { path: it.path, changed: it.changed }).collect(),
                written: result.written,
                dry_run: false,
                warnings: result.warnings,
            };
            outln!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
            return exit::CLEAN;
        }
        if unchanged {
            outln!("{}", result.label);
            return exit::CLEAN;
        }
        outln!(
            "{}: wrote {} (through the taskmark daemon, which tells open editors)",
            result.label,
            written(&result.written)
        );
        for file in changed {
            outln!("  {}: {}", file.path, file.changed.join(", "));
        }
        exit::CLEAN
    })
}

/// `taskmark new`, `edit` or `archive` through the daemon (`taskmark.newTask`, `editTask`,
/// `archiveTasks`), printed as the command prints a change it writes itself: the notes, then
/// the label and the files written, or, in JSON, the same answer (the command's own fields:
/// `id`, `task`, `tracker`, `title`, `status`, `tasks`, with `files`, the files the change
/// edits or creates whether the daemon wrote them or an editor's buffer took them, `moved`,
/// `written`, what is on disk now, and `dry_run`).
pub fn lifecycle<P: Serialize>(
    root: &Path,
    (name, command): (&str, &str),
    params: &P,
    format: crate::cli::ShowFormat,
) -> Option<u8> {
    run(root, name, command, params, |result: ext::LifecycleResult| {
        for warning in &result.warnings {
            crate::cli::output::say("note", warning);
        }
        let written_now = result.written.unwrap_or_default();
        if format == crate::cli::ShowFormat::Human {
            outln!(
                "{}: wrote {} (through the taskmark daemon, which tells open editors)",
                result.label,
                written(&written_now)
            );
            return exit::CLEAN;
        }
        let is_moved = |path: &str| result.moved.iter().any(|it| it.from == path || it.to == path);
        let answer = WrittenAnswer {
            answer: LifecycleAnswer {
                id: result.id,
                task: result.task.map(scoped),
                tracker: result.tracker,
                title: result.title,
                status: result.status,
                tasks: result.tasks.map(|tasks| tasks.into_iter().map(scoped).collect()),
            },
            // The answer's `files` also names each moved path, where it was and where it goes.
            files: result.files.iter().filter(|it| !is_moved(it)).cloned().collect(),
            written: written_now,
            moved: result.moved.into_iter().map(|it| Moved { from: it.from, to: it.to }).collect(),
            dry_run: false,
        };
        outln!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
        exit::CLEAN
    })
}

/// A task as the command line names it in JSON, `SCOPE:ID`: the daemon's answers leave out
/// the scope of a tracker at the workspace root.
fn scoped(task: String) -> String {
    if task.contains(':') { task } else { format!(":{task}") }
}

/// `taskmark fix` through the daemon: the service's fixes, every pass as one change, written by
/// the daemon so that the editors' open buffers follow.
pub fn fix(root: &Path, codes: &[crate::engine::diagnostic::RuleCode]) -> Option<u8> {
    let params =
        ext::FixParams { codes: Some(codes.iter().map(|it| it.as_str().to_string()).collect()), dry_run: None };
    run(root, "taskmark fix", crate::lsp::FIX, &params, |result: ext::ChangeResult| {
        let answer = crate::service::fixing::FixAnswer {
            fixed: result.fixed.unwrap_or_default(),
            held_back: result.held_back.unwrap_or_default(),
        };
        let held_back = crate::cli::write::held_back_said(&answer.held_back_lines());
        if answer.fixed.is_empty() {
            outln!("taskmark: nothing to fix{held_back}");
            return exit::CLEAN;
        }
        outln!(
            "{}: wrote {} (through the taskmark daemon, which tells open editors)",
            result.label,
            written(&result.written)
        );
        if !held_back.is_empty() {
            outln!("{}", held_back.trim_start_matches("; "));
        }
        exit::CLEAN
    })
}

fn written(written: &[String]) -> String {
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
