//! `workspace/executeCommand` and the planning behind code actions: naming tasks, planning a
//! change safely, and the JSON the editors' pickers read.

use std::collections::HashSet;
use std::time::SystemTime;

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::analysis::WHOLE_WORKSPACE;
use crate::broadcast::StatusChange;
use crate::claims::{self, Claim, Holder};
use crate::convert::{self, ClientProfile};
use crate::engine::edit::{Checked, Override, Refusal, WorkspaceChange};
use crate::engine::ide;
use crate::engine::model::TaskKey;
use crate::engine::text::apply_edits;
use crate::engine::timestamp::Now;
use crate::errors::{
    DeskError, changed_on_disk, changed_since_read, content_modified, ext_override, internal_error, invalid_params,
    refusal_data, write_failed,
};
use crate::ext;
use crate::handlers::task_argument;
use crate::moves::ExpectedMove;
use crate::saved::CheckedWith;
use crate::service::claiming::{self, ClaimRequest, ReleaseRequest};
use crate::service::status_change::{self, Refused, SetStatusRequest, TaskWorkspace};
use crate::settings::{ClosedFiles, OpenElsewhere};
use crate::transaction::{FileWrite, PathMove};
use crate::views::Paths;
use crate::workspace;
use crate::world::World;
use crate::write_path::EditorDocument;

pub const SET_STATUS: &str = "taskmark.setStatus";
pub const PICK_STATUS: &str = "taskmark.pickStatus";
pub const LIST_TASKS: &str = "taskmark.listTasks";
pub const TASK_INFO: &str = "taskmark.taskInfo";
pub const REINDEX: &str = "taskmark.reindex";
pub const TASK_AT: &str = "taskmark.taskAt";
pub const FIX: &str = "taskmark.fix";
pub const DIAGNOSTICS: &str = "taskmark.diagnostics";
pub const CLAIM_TASK: &str = "taskmark.claimTask";
pub const RELEASE_TASK: &str = "taskmark.releaseTask";
pub const NEXT_TASKS: &str = "taskmark.nextTasks";
pub const NEW_TASK: &str = "taskmark.newTask";
pub const TRACKERS: &str = "taskmark.trackers";
pub const EDIT_TASK: &str = "taskmark.editTask";
pub const ARCHIVE_TASKS: &str = "taskmark.archiveTasks";
pub const BOARD: &str = "taskmark.board";
pub const OPEN_BOARD: &str = "taskmark.openBoard";
pub const ALL: [&str; 17] = [
    SET_STATUS,
    PICK_STATUS,
    LIST_TASKS,
    TASK_INFO,
    REINDEX,
    TASK_AT,
    FIX,
    DIAGNOSTICS,
    CLAIM_TASK,
    RELEASE_TASK,
    NEXT_TASKS,
    NEW_TASK,
    TRACKERS,
    EDIT_TASK,
    ARCHIVE_TASKS,
    BOARD,
    OPEN_BOARD,
];

/// A change ready to send, with what every file must say once it is applied.
pub struct PlannedEdit {
    pub label: String,
    /// The editor's part: every file, or only the open ones when closed files go to disk.
    pub edit: lsp::WorkspaceEdit,
    /// The documents the editor's part edits, with their texts before and after.
    pub documents: Vec<EditorDocument>,
    /// The files the server writes itself (closed in this editor), through a transaction.
    pub disk: Vec<FileWrite>,
    /// The files and folders the server moves itself, in the same transaction.
    pub moves: Vec<PathMove>,
    pub warnings: Vec<String>,
    /// The files another editor has open that [`Self::disk`] writes (a session whose changes
    /// go to disk, [`OpenElsewhere::Disk`]), with the text they had: that editor's buffer
    /// follows the disk when it held that text (see [`crate::broadcast`]).
    pub under_editors: Vec<(String, std::sync::Arc<str>)>,
    /// The saved state's move once this is written, as the change's re-check made it: for the
    /// host (see [`crate::host::Host::expect_written`]) when the change is planned.
    pub expected: Option<ExpectedMove>,
}

impl PlannedEdit {
    pub fn has_editor_part(&self) -> bool {
        !self.documents.is_empty() || self.renames_in_editor()
    }

    /// Whether the editor's part moves paths (it then has no text to check for them).
    pub fn renames_in_editor(&self) -> bool {
        match &self.edit.document_changes {
            Some(lsp::DocumentChanges::Operations(operations)) => {
                operations.iter().any(|it| matches!(it, lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Rename(_))))
            }
            _ => false,
        }
    }
}

/// Converts a planned change to a workspace edit, refusing when a file the editor does not
/// have open changed on disk since it was indexed: the edit's ranges would land in the wrong
/// place.
pub fn prepare(
    world: &World,
    client: &ClientProfile,
    change: &WorkspaceChange,
    forced: bool,
    closed_files: ClosedFiles,
    open_elsewhere: &HashSet<String>,
) -> Result<PlannedEdit, jsonrpc::Error> {
    if change.is_empty() {
        return Err(invalid_params("nothing to change: every place already says that"));
    }
    let mut drifted = Vec::new();
    for file_change in change.files.iter().filter(|it| !it.edits.is_empty()) {
        if world.versions.contains_key(&file_change.path) {
            continue;
        }
        match workspace::read_workspace_file(&world.root, &file_change.path) {
            Ok(workspace::FileText { lossy: Some(note), .. }) => {
                return Err(jsonrpc::Error {
                    data: refusal_data(ext::Refusal::Unreadable { path: Some(file_change.path.clone()) }),
                    // In the command line's words for the same refusal (`write::refuse_lossy`).
                    ..write_failed(format!("refusing to write {}: {note}; nothing was changed", file_change.path))
                });
            }
            Ok(file) if *file.text == *world.index.text(file_change.file) => {}
            Ok(_) => drifted.push(file_change.path.clone()),
            // Gone since it was read (its folder deleted, made again without it): read again.
            Err(_) if std::fs::symlink_metadata(world.root.join(&file_change.path)).is_err() => {
                drifted.push(file_change.path.clone());
            }
            Err(reason) => {
                return Err(write_failed(format!("cannot change {}: {reason}; nothing was changed", file_change.path)));
            }
        }
    }
    if !drifted.is_empty() {
        return Err(changed_since_read(drifted, false));
    }
    // A file to create must not be there yet (the transaction checks again when it writes).
    for file in &change.created {
        if world.index.file_id(&file.path).is_some()
            || world.versions.contains_key(&file.path)
            || std::fs::symlink_metadata(world.root.join(&file.path)).is_ok()
        {
            return Err(jsonrpc::Error {
                data: refusal_data(ext::Refusal::Exists { path: file.path.clone() }),
                ..write_failed(format!("cannot create {}: it already exists; nothing was changed", file.path))
            });
        }
    }
    let (mut for_editor, mut disk, mut under_editors) = (change.clone(), Vec::new(), Vec::new());
    if closed_files == ClosedFiles::Disk {
        let (open, closed): (Vec<_>, Vec<_>) =
            change.files.iter().cloned().partition(|it| world.versions.contains_key(&it.path));
        for_editor.files = open;
        let to_disk = world.settings.open_elsewhere == OpenElsewhere::Disk;
        if to_disk {
            under_editors = closed
                .iter()
                .filter(|it| !it.edits.is_empty() && open_elsewhere.contains(&it.path))
                .filter_map(|it| Some((it.path.clone(), world.index.text_at(&it.path)?.clone())))
                .collect();
        }
        disk = closed
            .into_iter()
            .filter(|it| !it.edits.is_empty() && (to_disk || !open_elsewhere.contains(&it.path)))
            .map(|it| {
                let before = world.index.text(it.file);
                FileWrite::replace(it.path, before, apply_edits(before, &it.edits))
            })
            .collect();
    }
    // New files are closed files: the editor creates them only when it is given the closed
    // files (`closedFiles: "editor"`) and can create files in a workspace edit; otherwise they
    // are written on disk, crash-safe, with the rest.
    if closed_files == ClosedFiles::Disk || !client.create_files {
        disk.extend(for_editor.created.drain(..).map(|it| FileWrite::create(it.path, it.text)));
    }
    // A moved path holding a document open in this editor moves in the editor (its buffer goes
    // along); one open in another editor is refused (that editor's buffer would be left at the
    // old path); the others move on disk with the rest, or in the editor with the closed files.
    let mut moves = Vec::new();
    for moved in std::mem::take(&mut for_editor.moved) {
        let open_here = world.versions.keys().any(|path| moved.relocate(path).is_some());
        if let Some(path) = open_elsewhere.iter().find(|path| moved.relocate(path).is_some()) {
            return Err(jsonrpc::Error {
                data: refusal_data(ext::Refusal::OpenElsewhere { path: path.clone() }),
                ..write_failed(format!(
                    "{path} is open in another editor and would move to {}; close it there first; nothing was changed",
                    moved.relocate(path).unwrap_or_default()
                ))
            });
        }
        let in_editor = client.rename_files && (open_here || closed_files == ClosedFiles::Editor);
        if open_here && !in_editor {
            return Err(jsonrpc::Error {
                data: refusal_data(ext::Refusal::OpenMoved { path: moved.from.clone() }),
                ..write_failed(format!(
                    "{} would move to {} while a file of it is open here, and {} cannot move files in a workspace edit; close it first; nothing was changed",
                    moved.from, moved.to, client.name
                ))
            });
        }
        if in_editor {
            for_editor.moved.push(moved);
        } else {
            moves.push(PathMove { from: moved.from, to: moved.to });
        }
    }
    let edit = convert::workspace_edit(world, &for_editor, client, forced).map_err(invalid_params)?;
    let documents = for_editor
        .apply(&world.index)
        .into_iter()
        .filter_map(|(path, after)| {
            let before = world.index.file_id(&path).map(|file| world.index.text(file).to_string());
            Some(EditorDocument { name: world.uri(&path)?.as_str().to_string(), before, after })
        })
        .collect();
    Ok(PlannedEdit {
        label: change.label.clone(),
        edit,
        documents,
        disk,
        moves,
        warnings: change.warnings.clone(),
        under_editors,
        expected: None,
    })
}

/// Checks the files an answer rests on without writing them (nothing to change, a refusal, or
/// the task's files a change leaves alone) against the disk before it is given: a watcher misses changes (a folder deleted and cloned
/// again, a restore while no editor watched), and an answer from what was read before would be
/// false. Files that differ from the world's, and a root folder replaced since the world was
/// read, are a `changedOnDisk` error: the write path has the session read them again (the
/// whole folder, when it was replaced) and plans anew. Open documents are the editor's.
pub fn revalidate<'a>(world: &World, paths: impl IntoIterator<Item = &'a str>) -> Result<(), jsonrpc::Error> {
    let replaced = world.root_replaced();
    let differing: Vec<String> = paths
        .into_iter()
        .filter(|path| !world.versions.contains_key(*path) && (replaced || differs_on_disk(world, path)))
        .map(str::to_string)
        .collect();
    if replaced || !differing.is_empty() { Err(changed_since_read(differing, replaced)) } else { Ok(()) }
}

/// [`revalidate`] for an answer that rests on the whole workspace (`taskmark.fix`: "nothing
/// to fix" is said of every file): walks and reads it all, and has the files that differ from
/// the world's, appeared or went since it was read, read again. A file saved a moment ago that
/// no watcher has reported yet (an agent's write, then `taskmark fix` at once) is then fixed
/// too. Open documents are the editor's, and a file the world knows of without indexing it
/// (unreadable, over the limit) is not read again for this.
fn revalidate_workspace(world: &World) -> Result<(), jsonrpc::Error> {
    revalidate(world, [])?;
    let changes = workspace::changed_files(&world.root, &world.config, &world.index, None)
        .map_err(|error| internal_error(format!("cannot read the workspace again: {error:#}")))?;
    let differing: Vec<String> = changes
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| {
            !world.versions.contains_key(path) && (world.index.file_id(path).is_some() || !world.known.contains(path))
        })
        .collect();
    if differing.is_empty() { Ok(()) } else { Err(changed_since_read(differing, false)) }
}

/// Whether the disk's `path` is not what the world holds.
fn differs_on_disk(world: &World, path: &str) -> bool {
    match workspace::read_workspace_file(&world.root, path) {
        Ok(file) => world.index.text_at(path).is_none_or(|text| **text != *file.text),
        Err(_) => world.index.file_id(path).is_some(),
    }
}

/// The task a command names: `221`, `058`, `BACK-7` or `SCOPE:ID`.
pub fn resolve_task(world: &World, name: &str) -> Result<TaskKey, jsonrpc::Error> {
    let found = world.index.find_tasks(name.trim());
    match found.as_slice() {
        [task] => Ok(task.clone()),
        [] if !world.indexed => {
            Err(content_modified(format!("no task `{name}` yet: the workspace is still being indexed")))
        }
        [] => Err(invalid_params(
            Refusal::UnknownTask {
                id: name.to_string(),
                similar: crate::engine::edit::similar_task_ids(&world.index, name.trim()),
            }
            .to_string(),
        )),
        many => {
            Err(invalid_params(Refusal::AmbiguousTask { id: name.to_string(), candidates: many.to_vec() }.to_string()))
        }
    }
}

/// How an editor or agent overrides a refusal, in the words of its arguments (`force`,
/// `reason`, `noBranches`), said after the refusal's own: the engine's refusals name no front
/// door's words, and the command line says its flags instead.
pub fn override_in_editor_words(how: Override) -> &'static str {
    match how {
        Override::Force => " (set `force` to override)",
        Override::Reason => "; pass it as `reason`",
        Override::SkipBranches => " (`noBranches` skips them)",
    }
}

/// A refusal as an error answer: the message for people, with how to override it in the
/// editor's words, and `data` for editors' pickers and agents
/// (`{kind: "invalidTransition", from, to, allowed: [ids], override: "force"}`, `{kind:
/// "needsReason", status, field, override: "reason"}`, `{kind: "unknownStatus", known}`,
/// `{kind: "planAhead"}`, `{kind: "leavesDrift", found}`, `{kind: "refused"}`); `override`
/// names the argument that makes the request go through, when one does.
pub fn refusal(refusal: &Refusal) -> jsonrpc::Error {
    if let Refusal::UnsafePlan { .. } = refusal {
        return write_failed(format!("taskmark: {refusal}"));
    }
    let way_out = refusal.way_out();
    let ids = |statuses: &[(String, String)]| statuses.iter().map(|(id, _)| id.clone()).collect();
    let data = match refusal {
        Refusal::InvalidTransition { task, from, to, allowed } => ext::Refusal::InvalidTransition {
            task: task_argument(task),
            from: from.clone(),
            to: to.clone(),
            allowed: ids(allowed),
            way_out: ext_override(way_out),
        },
        Refusal::NeedsReason { status, field } => {
            ext::Refusal::NeedsReason { status: status.clone(), field: field.clone(), way_out: ext_override(way_out) }
        }
        Refusal::UnknownStatus { status, known, .. } => {
            ext::Refusal::UnknownStatus { status: status.clone(), known: ids(known) }
        }
        Refusal::PlanAhead { task, path, .. } => {
            ext::Refusal::PlanAhead { task: task_argument(task), path: path.clone(), way_out: ext_override(way_out) }
        }
        Refusal::LeavesDrift { found, .. } => {
            ext::Refusal::LeavesDrift { found: found.clone(), way_out: ext_override(way_out) }
        }
        _ => ext::Refusal::Refused {},
    };
    let message = format!("{refusal}{}", way_out.map_or("", override_in_editor_words));
    jsonrpc::Error { data: refusal_data(data), ..invalid_params(message) }
}

/// A status change as planned: the edit, the change as the other editors are told of it, and
/// what it changes in each file.
pub type PlannedStatus = (PlannedEdit, StatusChange, Vec<crate::engine::edit::ChangedFile>);

/// The files that say something of `task` (where its status is written, where it is mentioned,
/// its current plan), and its tracker's stores (TODO.md, state.json), whether the world holds
/// them as places of the task or not: what an answer about it rests on. A store the world read
/// while git was rewriting it (gone for an instant, or empty) holds no place of the task there,
/// and a change planned without it would leave it saying the old status.
fn task_files(world: &World, task: &TaskKey) -> Vec<String> {
    let mut paths: Vec<String> = match world.index.task(task) {
        Some(entry) => {
            let files =
                entry.places.iter().map(|it| it.file).chain(entry.mentions.iter().copied()).chain(entry.current_plan);
            files.map(|it| world.index.path(it).to_string()).collect()
        }
        None => Vec::new(),
    };
    let stores = ["TODO.md", "state.json"].map(|name| match task.scope.as_ref() {
        "" => name.to_string(),
        scope => format!("{scope}/{name}"),
    });
    // Only the stores the workspace reads (one it ignores on purpose is no part of the
    // answer), and also one this world holds as gone: read while a checkout replaced it, it
    // was missing for an instant, and nobody may tell of it again.
    paths.extend(stores.into_iter().filter(|path| {
        let role = crate::engine::layout::classify(path).role;
        matches!(role, crate::engine::layout::Role::Todo | crate::engine::layout::Role::StateJson)
            && (world.index.file_id(path).is_some() || world.known.contains(path) || world.walks(path))
    }));
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// `taskmark.setStatus`'s arguments, `{task, status, force?, reason?, expectFrom?, date?,
/// agent?}` or `[task, status]`, as the service's request.
pub fn parse_set_status(arguments: &[Value]) -> Result<SetStatusRequest, jsonrpc::Error> {
    const USAGE: &str = "taskmark.setStatus takes {\"task\": \"221\", \"status\": \"completed\", \"force\"?: bool, \"reason\"?: string, \"expectFrom\"?: string, \"date\"?: string, \"agent\"?: string}";
    let params = match arguments {
        [object @ Value::Object(_)] => serde_json::from_value::<ext::SetStatusParams>(object.clone())
            .map_err(|error| invalid_params(format!("{USAGE}: {error}")))?,
        [Value::String(task), Value::String(status), ..] => {
            ext::SetStatusParams { task: task.clone(), status: status.clone(), ..Default::default() }
        }
        _ => return Err(invalid_params(USAGE)),
    };
    let date = params.date.map(|it| Now::parse(&it)).transpose().map_err(invalid_params)?;
    let agent = params.agent.map(|it| claims::agent_name(&it)).transpose().map_err(invalid_params)?;
    // A session that is gone holds nothing: the change is checked as its agent's name alone.
    let holder = params.holder_pid.and_then(Holder::process);
    Ok(SetStatusRequest {
        holder,
        task: params.task,
        status: params.status,
        force: params.force.unwrap_or(false),
        reason: params.reason.filter(|it| !it.trim().is_empty()),
        expect_from: params.expect_from,
        date,
        agent,
    })
}

/// The edit, and the change as the other editors will be told of it; `Ok(None)` when every
/// place already says the status. An answer that writes nothing (that, or a refusal) is
/// given only once the task's files are found as the world has them ([`revalidate`]).
pub fn plan_status(
    request: &SetStatusRequest,
    world: &World,
    client: &ClientProfile,
    now: Now,
    open_elsewhere: &HashSet<String>,
    early: &crate::write_path::Early<'_>,
    read_whole: &std::sync::atomic::AtomicBool,
) -> Result<Option<PlannedStatus>, jsonrpc::Error> {
    let task = resolve_task(world, &request.task).map_err(|error| {
        if let Err(changed) = revalidate(world, []) {
            return changed;
        }
        // No such task here: the world may have been read while the folder was being written
        // (a clone), with no watcher to tell of the rest. Read all of it again, once, before
        // saying so.
        let unknown = world.indexed && world.index.find_tasks(request.task.trim()).is_empty();
        if unknown && !read_whole.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return changed_since_read(vec![WHOLE_WORKSPACE.to_string()], false);
        }
        error
    })?;
    match plan_task(request, world, client, now, open_elsewhere, early) {
        Ok(Some(planned)) => {
            // The transaction checks the files it writes; the task's other files are left
            // alone because the world says they already agree, which is only true if the
            // world still holds them as they are (a restore the editor reported in part
            // left state.json stale, and the change wrote TODO.md and the plan only).
            let written: HashSet<&str> = planned.1.files.iter().map(String::as_str).collect();
            let files = task_files(world, &task);
            revalidate(world, files.iter().map(String::as_str).filter(|it| !written.contains(it)))?;
            Ok(Some(planned))
        }
        Err(error) if changed_on_disk(&error).is_some() => Err(error),
        answer => {
            revalidate(world, task_files(world, &task).iter().map(String::as_str))?;
            answer
        }
    }
}

/// The service's fixes planned on a session's world, checked against what its diagnostics
/// compare with (as `taskmark fix` checks against what `taskmark check` compares with): for
/// `taskmark.fix` and its dry run alike. What is fixed (and "nothing to fix") is said of every
/// file: the world must hold the disk's, watcher or not ([`revalidate_workspace`]).
pub fn plan_fixes(
    world: &World,
    request: &crate::service::fixing::FixRequest,
) -> Result<crate::service::fixing::PlannedFixes, jsonrpc::Error> {
    if !world.indexed {
        return Err(content_modified("no fixes yet: the workspace is still being indexed"));
    }
    revalidate_workspace(world)?;
    let paths = world.paths();
    let baseline = crate::analysis::rules_baseline(world.baseline.as_ref());
    crate::service::fixing::plan_fixes(&task_workspace(world, &paths), baseline.as_ref(), request)
        .map_err(|it| status_refusal(&it))
}

/// A planned change as a dry run shows it: each edited file's and each new file's unified diff,
/// then the paths it moves. Written nowhere.
pub fn change_diff(world: &World, change: &WorkspaceChange) -> String {
    change
        .files
        .iter()
        .filter(|it| !it.edits.is_empty())
        .map(|it| {
            let before = world.index.text(it.file);
            FileWrite::replace(it.path.clone(), before, apply_edits(before, &it.edits))
        })
        .chain(change.created.iter().map(|it| FileWrite::create(it.path.clone(), it.text.clone())))
        .map(|it| crate::views::unified_diff(&it))
        .chain(change.moved.iter().map(|it| format!("rename from {}\nrename to {}\n", it.from, it.to)))
        .collect()
}

/// The world as the service's use cases read it.
pub fn task_workspace<'w>(world: &'w World, paths: &'w dyn crate::engine::rules::PathOracle) -> TaskWorkspace<'w> {
    TaskWorkspace {
        index: &world.index,
        config: &world.config,
        paths,
        store: Some(&world.store),
        baseline: crate::analysis::rules_baseline(world.baseline.as_ref()),
        unreadable: world.skipped.iter().map(|(path, reason)| (path.as_str(), reason.as_str())).collect(),
        claims: &world.claims,
        elsewhere: &world.elsewhere,
        listed: &world.known,
    }
}

/// A status change's refusal as an error answer, in the editors' words ([`refusal`] for the
/// engine's).
pub fn status_refusal(refused: &Refused) -> jsonrpc::Error {
    match refused {
        Refused::Plan(it) => refusal(it),
        Refused::Unreadable(message) => jsonrpc::Error {
            data: refusal_data(ext::Refusal::Unreadable { path: None }),
            ..write_failed(message.clone())
        },
        Refused::Claimed { task, holder, .. } => claimed(task, holder, &refused.message(), refused.way_out()),
        Refused::ClaimsUnusable { .. } => write_failed(format!(
            "taskmark: {}{}",
            refused.message(),
            refused.way_out().map_or("", override_in_editor_words)
        )),
        Refused::Conflict(conflict) => jsonrpc::Error {
            data: refusal_data(ext::Refusal::Conflict {
                task: Some(task_argument(&conflict.task)),
                expected: Some(conflict.expected.clone()),
                current: conflict.current.clone(),
                path: None,
            }),
            ..content_modified(format!("{}; nothing was changed", conflict.message))
        },
    }
}

fn plan_task(
    request: &SetStatusRequest,
    world: &World,
    client: &ClientProfile,
    now: Now,
    open_elsewhere: &HashSet<String>,
    early: &crate::write_path::Early<'_>,
) -> Result<Option<PlannedStatus>, jsonrpc::Error> {
    let paths = world.paths();
    let view = task_workspace(world, &paths);
    let planned = status_change::plan_set_status(&view, request, now).map_err(|it| status_refusal(&it))?;
    if planned.is_unchanged() {
        return Ok(None);
    }
    let change = &planned.change;
    let mut prepared = prepare(world, client, change, request.force, world.settings.closed_files, open_elsewhere)?;
    if planned.check_drift {
        let recheck = || planned.leaves_no_new_drift(&view).map_err(|it| status_refusal(&it));
        // The closed files are written (not yet in place) while the change is re-checked.
        let checked = if prepared.disk.is_empty() || !prepared.moves.is_empty() {
            recheck()?
        } else {
            early
                .prepare_while(&prepared.label, std::mem::take(&mut prepared.disk), || recheck().map_err(DeskError))
                .map_err(|it| it.0)?
        };
        prepared.expected = expected_move(world, change, checked);
    }
    let announced = StatusChange {
        task: task_argument(&planned.task),
        from: planned.from.clone(),
        to: planned.to.clone(),
        status: planned.status.clone(),
        files: planned.edited_files(),
        now: planned.now.clone(),
        reason: request.reason.clone(),
        under_editors: prepared.under_editors.clone(),
    };
    Ok(Some((prepared, announced, planned.described)))
}

/// What a change's re-check made of the world, for the host to take when the change is read
/// back (see [`crate::host::Host::expect_written`]): when the world is the saved state and the
/// change only edits files. Otherwise it is freed off the path of the answer.
pub fn expected_move(world: &World, change: &WorkspaceChange, checked: Checked) -> Option<ExpectedMove> {
    match world.saved_generation {
        Some(from) if change.created.is_empty() && change.moved.is_empty() => {
            let Checked { index, store, touched, everything } = checked;
            let paths = change.files.iter().filter(|it| !it.edits.is_empty()).map(|it| it.path.clone()).collect();
            let touched = touched.into_iter().map(|it| index.path(it).to_string()).collect();
            let key = CheckedWith::new(&world.settings.rules, world.baseline.as_ref());
            Some(ExpectedMove { from, key, index, store, paths, touched, everything })
        }
        _ => {
            rayon::spawn(move || drop(checked));
            None
        }
    }
}

fn task_at_usage() -> jsonrpc::Error {
    invalid_params("taskmark.taskAt takes {\"uri\": \"file:///…\", \"position\": {\"line\": 0, \"character\": 0}}")
}

/// The document `taskmark.taskAt` asks about (which workspace folder answers).
pub fn task_at_uri(arguments: &[Value]) -> Result<Uri, jsonrpc::Error> {
    let params = task_at_params(arguments)?;
    params.uri.parse().map_err(|_| task_at_usage())
}

/// `taskmark.taskAt`'s argument object read into its protocol type.
fn task_at_params(arguments: &[Value]) -> Result<ext::TaskAtParams, jsonrpc::Error> {
    let object = arguments.first().filter(|it| it.is_object()).ok_or_else(task_at_usage)?;
    serde_json::from_value(object.clone())
        .map_err(|error| invalid_params(format!("{}: {error}", task_at_usage().message)))
}

/// `taskmark.taskAt {uri, position}`: the task under an editor's cursor (what its pickers start
/// from), as `{task, title, status}`, or null.
pub fn task_at(
    world: &World,
    client: &ClientProfile,
    arguments: &[Value],
) -> Result<Option<ext::TaskAt>, jsonrpc::Error> {
    let uri = task_at_uri(arguments)?;
    let at = task_at_params(arguments)?.position;
    let position = lsp::Position { line: at.line, character: at.character };
    let Some(file) = world.file(&uri) else { return Ok(None) };
    let offset = convert::offset(world, file, position, client.encoding);
    let Some(target) = ide::task_at(&world.index, file, offset) else { return Ok(None) };
    let summary = ide::task_summary(&world.index, &target.task);
    Ok(Some(ext::TaskAt {
        task: task_argument(&target.task),
        id: target.task.id.to_string(),
        title: summary.title,
        status: summary.status,
    }))
}

/// The results of one command run in each folder of a window, as one: the lists (`files`,
/// `written`, `warnings`, `tasks`, `moved`, `uris`, `created`, `heldBack`) and dry runs' `diff`s joined, the `fixed` counts
/// added; `refused` (folders' refusals while others succeeded) go to `warnings`.
pub fn merge_results(results: Vec<Value>, refused: &[String]) -> Value {
    let mut results = results.into_iter();
    let Some(mut merged) = results.next() else { return json!({ "fixed": {}, "files": [], "written": [] }) };
    let mut join = |key: &str, more: Vec<Value>| {
        if more.is_empty() {
            return;
        }
        if let Some(list) = merged.get_mut(key).and_then(Value::as_array_mut) {
            list.extend(more);
        } else if let Some(object) = merged.as_object_mut() {
            object.insert(key.into(), Value::Array(more));
        }
    };
    let mut fixed: Vec<(String, Value)> = Vec::new();
    let mut diffs: Vec<String> = Vec::new();
    for result in results {
        for key in ["files", "written", "warnings", "tasks", "moved", "uris", "created", "heldBack"] {
            join(key, result.get(key).and_then(Value::as_array).cloned().unwrap_or_default());
        }
        fixed.extend(result.get("fixed").and_then(Value::as_object).cloned().unwrap_or_default());
        diffs.extend(result.get("diff").and_then(Value::as_str).map(str::to_string));
    }
    join("warnings", refused.iter().map(|it| json!(it)).collect());
    if let Some(Value::String(diff)) = merged.get_mut("diff") {
        diffs.iter().for_each(|it| diff.push_str(it));
    }
    for (code, count) in fixed {
        let sum = merged["fixed"][&code].as_u64().unwrap_or(0) + count.as_u64().unwrap_or(0);
        if let Some(object) = merged.get_mut("fixed").and_then(Value::as_object_mut) {
            object.insert(code, json!(sum));
        }
    }
    merged
}

/// `taskmark.fix {codes?, dryRun?}`: the rules whose safe fixes to apply (default: all of
/// them), and whether to write nothing.
pub fn fix_params(arguments: &[Value]) -> Result<(Vec<crate::engine::diagnostic::RuleCode>, bool), jsonrpc::Error> {
    let safe = crate::engine::edit::SAFE_FIX_CODES;
    let params: ext::FixParams = params(arguments, "taskmark.fix takes {\"codes\"?: [rule], \"dryRun\"?: bool}")?;
    let dry_run = params.dry_run.unwrap_or(false);
    let Some(codes) = params.codes else { return Ok((safe.to_vec(), dry_run)) };
    let codes = codes
        .iter()
        .map(|code| {
            crate::engine::diagnostic::RuleCode::parse(code).filter(|it| safe.contains(it)).ok_or_else(|| {
                let names: Vec<&str> = safe.iter().map(|it| it.as_str()).collect();
                invalid_params(format!("`{code}` has no fix applied on its own; those are {}", names.join(", ")))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((codes, dry_run))
}

/// A command's argument object read into its protocol type (`usage` and serde's reason when it
/// does not fit); no arguments, or `null`, are the type's defaults.
fn params<T: serde::de::DeserializeOwned + Default>(arguments: &[Value], usage: &str) -> Result<T, jsonrpc::Error> {
    match arguments.first() {
        // Lua's empty table goes out as `[]` (Neovim): no arguments.
        None | Some(Value::Null) => Ok(T::default()),
        Some(Value::Array(items)) if items.is_empty() => Ok(T::default()),
        Some(object @ Value::Object(_)) => {
            serde_json::from_value(object.clone()).map_err(|error| invalid_params(format!("{usage}: {error}")))
        }
        Some(_) => Err(invalid_params(usage.to_string())),
    }
}

/// The task of the commands that take only one: `{task}` ([`ext::TaskParams`]), or the task
/// alone as text.
pub fn task_of(arguments: &[Value], command: &str) -> Result<String, jsonrpc::Error> {
    let usage = format!("{command} takes {{\"task\": \"221\"}}");
    match arguments {
        [object @ Value::Object(_), ..] => serde_json::from_value::<ext::TaskParams>(object.clone())
            .map(|it| it.task)
            .map_err(|error| invalid_params(format!("{usage}: {error}"))),
        [Value::String(task), ..] => Ok(task.clone()),
        _ => Err(invalid_params(usage)),
    }
}

/// `taskmark.taskInfo`: what `taskmark show --format json` prints, with URIs for the places,
/// the statuses to pick from, the claim and what the other worktrees say.
pub fn task_info(world: &World, task: &TaskKey) -> ext::TaskInfo {
    let summary = ide::task_summary(&world.index, task);
    let places = summary
        .places
        .iter()
        .map(|it| ext::InfoPlace {
            file: it.path.clone(),
            line: it.line,
            kind: it.kind.to_string(),
            value: it.value.clone(),
            agrees: it.agrees,
            known: it.known,
            current: it.current,
            uri: world.uri(&it.path).map(|uri| uri.as_str().to_string()),
        })
        .collect();
    let choices = world
        .index
        .task_profile(task)
        .map(|profile| {
            let current = world.index.task_status(task).map(|(_, status)| status);
            ide::status_choices(profile, current)
                .into_iter()
                .map(|it| ext::StatusChoice { status: it.id, display: it.display, allowed: it.allowed })
                .collect()
        })
        .unwrap_or_default();
    let claim = world.claims.holder(&task_argument(task), SystemTime::now()).unwrap_or_else(|error| {
        tracing::warn!("{error}");
        None
    });
    let elsewhere: Vec<ext::ElsewhereStatus> = crate::engine::lifecycle::across::seen_elsewhere(task, &world.elsewhere)
        .into_iter()
        .map(|it| ext::ElsewhereStatus {
            worktree: it.worktree,
            status: it.status,
            kind: it.kind.map(|kind| kind.as_str().to_string()),
            archived: it.archived,
        })
        .collect();
    ext::TaskInfo {
        // As `listTasks` and `taskAt` name it: `task` to pass back, `id` to show.
        task: task_argument(task),
        id: task.id.to_string(),
        scope: task.scope.to_string(),
        title: summary.title.clone(),
        status: summary.status.clone(),
        archived: summary.archived,
        places,
        progress: summary.progress.as_ref().map(progress_info),
        dependencies: summary
            .dependencies
            .iter()
            .map(|it| ext::InfoDependency { task: it.id.clone(), status: it.status.clone() })
            .collect(),
        next: summary.next.iter().map(|it| it.display.clone()).collect(),
        choices,
        claim: claim.as_ref().map(claim_info),
        elsewhere: Some(elsewhere).filter(|it| !it.is_empty()),
    }
}

/// A command's typed answer as it travels.
pub fn answer(value: impl serde::Serialize, command: &str) -> Result<Value, jsonrpc::Error> {
    serde_json::to_value(value).map_err(|error| internal_error(format!("{command}: {error}")))
}

/// A plan's progress as the editors get it (the plan's path from the workspace root).
pub fn progress_info(progress: &ide::Progress) -> ext::Progress {
    let count = |it: usize| u32::try_from(it).unwrap_or(u32::MAX);
    ext::Progress {
        plan: progress.plan.clone(),
        phases: count(progress.phases),
        phases_done: count(progress.phases_done),
        checkboxes: count(progress.boxes),
        checkboxes_done: count(progress.boxes_done),
    }
}

/// A claim as the editors and agents get it: `{agent, since, until, holderPid?}`, instants in
/// RFC 3339.
pub fn claim_info(claim: &Claim) -> ext::Claim {
    ext::Claim {
        agent: claim.agent.clone(),
        since: claim.since_text().unwrap_or_default(),
        until: claim.until_text().unwrap_or_default(),
        holder_pid: claim.holder.map(|it| it.pid),
    }
}

/// A request refused because another agent claims the task: `data` names the holder and the
/// end of its lease. A refusal (-32602), as the command line's exit 3 says it: the request is
/// not allowed while the claim stands, whatever the files say.
fn claimed(task: &TaskKey, holder: &Claim, message: &str, way_out: Option<Override>) -> jsonrpc::Error {
    let holder = claim_info(holder);
    let data = ext::Refusal::Claimed {
        task: task_argument(task),
        agent: holder.agent,
        since: holder.since,
        until: holder.until,
        holder_pid: holder.holder_pid,
        way_out: ext_override(way_out),
    };
    let message = format!("{message}{}", way_out.map_or("", override_in_editor_words));
    jsonrpc::Error { data: refusal_data(data), ..invalid_params(message) }
}

/// `taskmark.claimTask` / `taskmark.releaseTask`'s arguments, checked: the lease within bounds,
/// the agent's name one short line.
fn claim_params(arguments: &[Value], command: &str) -> Result<ext::ClaimParams, jsonrpc::Error> {
    let usage = || {
        format!(
            "{command} takes {{\"task\": \"221\", \"agent\": \"your name\", \"minutes\"?: 1 to {}}}",
            claims::MOST_MINUTES
        )
    };
    let [object @ Value::Object(_), ..] = arguments else { return Err(invalid_params(usage())) };
    let mut params = serde_json::from_value::<ext::ClaimParams>(object.clone())
        .map_err(|error| invalid_params(format!("{}: {error}", usage())))?;
    if params.minutes.is_some_and(|it| !(1..=claims::MOST_MINUTES).contains(&it)) {
        return Err(invalid_params(usage()));
    }
    params.agent = claims::agent_name(&params.agent).map_err(invalid_params)?;
    Ok(params)
}

/// The process a claim request names as its holder, checked to be running.
fn holder(params: &ext::ClaimParams) -> Result<Option<Holder>, jsonrpc::Error> {
    params
        .holder_pid
        .map(|pid| Holder::process(pid).ok_or_else(|| invalid_params(format!("process {pid} is not running"))))
        .transpose()
}

/// `taskmark.claimTask {task, agent, minutes?, holderPid?, force?}`: the claim granted (or
/// renewed, for its holder), or a refusal naming the agent that holds the task.
pub fn claim_task(world: &World, arguments: &[Value]) -> Result<Value, jsonrpc::Error> {
    let params = claim_params(arguments, CLAIM_TASK)?;
    let request = ClaimRequest {
        holder: holder(&params)?,
        task: params.task,
        agent: params.agent,
        minutes: params.minutes,
        force: params.force.unwrap_or(false),
    };
    claims_answer(world, &request.task, |workspace| claiming::claim_task(workspace, &request))
}

/// `taskmark.releaseTask {task, agent, holderPid?, force?}`: ends the agent's claim
/// (`released: false` when it held none); refused when another agent or session holds it.
pub fn release_task(world: &World, arguments: &[Value]) -> Result<Value, jsonrpc::Error> {
    let params = claim_params(arguments, RELEASE_TASK)?;
    let request = ReleaseRequest {
        holder: holder(&params)?,
        task: params.task,
        agent: params.agent,
        force: params.force.unwrap_or(false),
    };
    claims_answer(world, &request.task, |workspace| claiming::release_task(workspace, &request))
}

/// A claims use case run on the world, answered as its JSON; `task` resolves first, as the
/// editors say it while the workspace is still being indexed.
fn claims_answer<T: serde::Serialize>(
    world: &World,
    task: &str,
    use_case: impl FnOnce(&TaskWorkspace<'_>) -> Result<(TaskKey, T), Refused>,
) -> Result<Value, jsonrpc::Error> {
    resolve_task(world, task)?;
    let paths = world.paths();
    let (_, answer) = use_case(&task_workspace(world, &paths)).map_err(|it| status_refusal(&it))?;
    serde_json::to_value(answer).map_err(|error| write_failed(error.to_string()))
}

/// `taskmark.nextTasks`: [`crate::service::next::next_tasks`] on this session's world, with its
/// claims and the other worktrees it follows.
pub fn next_tasks(world: &World, arguments: &[Value]) -> Result<Value, jsonrpc::Error> {
    if !world.indexed {
        return Err(content_modified("no ranking yet: the workspace is still being indexed"));
    }
    let params: ext::NextTasksParams = params(
        arguments,
        "taskmark.nextTasks takes {\"tracker\"?: folder or family, \"limit\"?: 1 to 200, \"parallel\"?: 1 to 20}",
    )?;
    let paths = world.paths();
    let request = crate::service::next::NextRequest {
        tracker: params.tracker,
        limit: params.limit.map(|it| usize::try_from(it).unwrap_or(usize::MAX)),
        parallel: params.parallel.map(|it| usize::try_from(it).unwrap_or(usize::MAX)),
    };
    let answer =
        crate::service::next::next_tasks(&task_workspace(world, &paths), &request, std::time::SystemTime::now())
            .map_err(|it| refusal(&it))?;
    serde_json::to_value(answer).map_err(|error| write_failed(error.to_string()))
}

/// What `taskmark.board` is computed from, taken out of the world under its lock. Cheap (the
/// index and the rest are shared, not copied), so that the board itself, a tenth of a second on
/// thousands of tasks, is computed without holding up the analysis thread, which is writing the
/// next change in while a page fetches the board after the last one.
pub struct BoardSnapshot {
    index: crate::engine::index::WorkspaceIndex,
    config: crate::engine::config::Config,
    claims: std::sync::Arc<crate::service::claims::ClaimStore>,
    elsewhere: std::sync::Arc<Vec<crate::engine::lifecycle::across::OtherWorktree>>,
    known: std::sync::Arc<HashSet<String>>,
    request: crate::service::board::BoardRequest,
    memo: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<crate::service::board::BoardMemo>>>>,
}

pub fn board_snapshot(world: &World, arguments: &[Value]) -> Result<BoardSnapshot, jsonrpc::Error> {
    if !world.indexed {
        return Err(content_modified("no board yet: the workspace is still being indexed"));
    }
    let params: ext::BoardParams = params(arguments, "taskmark.board takes {\"tracker\"?: folder or family}")?;
    Ok(BoardSnapshot {
        index: world.index.clone(),
        config: world.config.clone(),
        claims: world.claims.clone(),
        elsewhere: world.elsewhere.clone(),
        known: world.known.clone(),
        request: crate::service::board::BoardRequest { tracker: params.tracker, since: params.since },
        memo: world.board_memo.clone(),
    })
}

/// `taskmark.board`: [`crate::service::board::board`] on a snapshot of this session's world,
/// with its claims and the other worktrees it follows.
pub fn board(snapshot: &BoardSnapshot) -> Result<Value, jsonrpc::Error> {
    let workspace = TaskWorkspace {
        index: &snapshot.index,
        config: &snapshot.config,
        paths: &*snapshot.known,
        store: None,
        baseline: None,
        unreadable: Vec::new(),
        claims: &snapshot.claims,
        elsewhere: &snapshot.elsewhere,
        listed: &snapshot.known,
    };
    let earlier = crate::world::lock(&snapshot.memo).clone();
    let (answer, memo) = crate::service::board::board_after(
        &workspace,
        &snapshot.request,
        std::time::SystemTime::now(),
        earlier.as_deref(),
    )
    .map_err(|it| refusal(&it))?;
    // Boards asked for at once each start from the memo before them; the last one kept is as
    // good a start as any for the next.
    *crate::world::lock(&snapshot.memo) = Some(std::sync::Arc::new(memo));
    serde_json::to_value(answer).map_err(|error| write_failed(error.to_string()))
}

/// How many diagnostics `taskmark.diagnostics` gives when not told (an agent's context is
/// small), and at most.
const DIAGNOSTICS_SHOWN: usize = 50;
const DIAGNOSTICS_MOST: usize = 1000;

/// `taskmark.diagnostics {paths?, codes?, limit?}`: the workspace's diagnostics as the editors
/// have them, most severe first, at most `limit` of them (50 unless told, 1000 at most), with a
/// summary that counts every one that matched. `paths` are files or folders relative to the
/// workspace root; `codes` are rule codes.
pub fn diagnostics(world: &World, arguments: &[Value]) -> Result<Value, jsonrpc::Error> {
    use crate::engine::diagnostic::{RuleCode, Severity};
    if !world.indexed {
        return Err(content_modified("no diagnostics yet: the workspace is still being indexed"));
    }
    let params: ext::DiagnosticsParams = params(
        arguments,
        "taskmark.diagnostics takes {\"paths\"?: [file or folder], \"codes\"?: [rule], \"limit\"?: 1 to 1000}",
    )?;
    let paths: Vec<String> = params
        .paths
        .unwrap_or_default()
        .into_iter()
        .map(|it| it.trim_start_matches("./").trim_end_matches('/').to_string())
        .collect();
    let codes = params
        .codes
        .unwrap_or_default()
        .into_iter()
        .map(|code| {
            RuleCode::parse(&code).ok_or_else(|| {
                let known: Vec<&str> = RuleCode::ALL.iter().map(|it| it.as_str()).collect();
                invalid_params(format!("no rule `{code}`; the rules are {}", known.join(", ")))
            })
        })
        .collect::<Result<Vec<RuleCode>, _>>()?;
    let limit =
        params.limit.map_or(DIAGNOSTICS_SHOWN, |it| usize::try_from(it).unwrap_or(usize::MAX).min(DIAGNOSTICS_MOST));
    let under = |path: &str| {
        paths.is_empty()
            || paths.iter().any(|wanted| wanted.is_empty() || path == wanted || path.starts_with(&format!("{wanted}/")))
    };
    // What the editors show: the rules', and what the other worktrees say.
    let mut found: Vec<_> = world
        .diagnostics_by_file()
        .into_values()
        .flatten()
        .filter(|it| codes.is_empty() || codes.contains(&it.code))
        .filter(|it| under(world.index.path(it.file)))
        .collect();
    found.sort_by(|a, b| {
        (a.severity, world.index.path(a.file), a.range.start()).cmp(&(
            b.severity,
            world.index.path(b.file),
            b.range.start(),
        ))
    });
    let number = |count: usize| u32::try_from(count).unwrap_or(u32::MAX);
    let count = |severity: Severity| number(found.iter().filter(|it| it.severity == severity).count());
    let summary = ext::DiagnosticsSummary {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        hints: count(Severity::Hint),
        total: number(found.len()),
        shown: number(found.len().min(limit)),
    };
    let paths = Paths { prefix: String::new() };
    let diagnostics =
        found.iter().take(limit).map(|it| crate::views::diagnostic_view(&world.index, &paths, it)).collect();
    answer(ext::DiagnosticsResult { summary, diagnostics }, DIAGNOSTICS)
}
