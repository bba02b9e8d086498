//! The task lifecycle in the editor: `taskmark.listTasks` with `taskmark list`'s filters, and
//! the commands that change a tracker beyond a status (`taskmark.newTask`, and the next ones
//! built the same way). Each plans one [`WorkspaceChange`] with the engine against the
//! session's world (open buffers included), and [`finish`] turns it into what the server
//! writes: re-checked for new drift like a status change, its open documents for the editor,
//! its closed and new files for the crash-safe transaction, its edits for the other editors.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::Uri;

use crate::broadcast::{Announcement, EditedFile};
use crate::commands::{self, PlannedEdit};
use crate::convert::{self, ClientProfile};
use crate::engine::lifecycle::{self, ListFilter, NewTask, TaskRow, UsedIds};
use crate::engine::model::TaskKey;
use crate::engine::timestamp::Now;
use crate::engine::vocabulary::Kind;
use crate::errors::{content_modified, invalid_params};
use crate::ext;
use crate::handlers::task_argument;
use crate::service::id_reservations::IdReservations;
use crate::service::lifecycle::{self as service, ArchiveTasksRequest, EditTaskRequest, PlannedLifecycle};
use crate::world::World;

/// The arguments' object (none: `{}`) read into its protocol type (lsp/ext.rs); `Err` is why
/// not, to follow the command's usage.
fn typed<T: serde::de::DeserializeOwned>(arguments: &[Value]) -> Result<T, String> {
    let object = match arguments.first() {
        // Lua's empty table goes out as `[]` (Neovim): no arguments.
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Array(items)) if items.is_empty() => Value::Object(Map::new()),
        Some(object @ Value::Object(_)) => object.clone(),
        Some(_) => return Err(String::new()),
    };
    serde_json::from_value(object).map_err(|error| format!(": {error}"))
}

/// A text argument, trimmed; blank is not given.
fn given(text: Option<String>) -> Option<String> {
    text.map(|it| it.trim().to_string()).filter(|it| !it.is_empty())
}

/// `taskmark.listTasks {filter?, status?, kind?, tracker?, blocked?, ready?, archived?}`: the
/// tasks `taskmark list` would print with those filters (archived ones only with `archived`),
/// ordered by how well id and title match `filter` (all, in tracker and id order, without it).
/// Each with where to jump (`uri`, `range` of its definition) and every place.
pub fn list_tasks(world: &World, client: &ClientProfile, arguments: &[Value]) -> Result<Value, jsonrpc::Error> {
    let params: ext::ListTasksParams = typed(arguments).map_err(|why| {
        invalid_params(format!(
            "taskmark.listTasks takes {{\"filter\"?, \"status\"?, \"kind\"?, \"tracker\"?: string, \"ready\"?, \"blocked\"?, \"archived\"?: bool}}{why}"
        ))
    })?;
    let kind = match given(params.kind) {
        Some(kind) => Some(Kind::parse(&kind).ok_or_else(|| {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|it| it.as_str()).collect();
            invalid_params(format!("`{kind}` is no kind of status; the kinds are {}", kinds.join(", ")))
        })?),
        None => None,
    };
    let filter = ListFilter {
        status: given(params.status),
        kind,
        tracker: given(params.tracker),
        blocked: params.blocked.unwrap_or(false),
        ready: params.ready.unwrap_or(false),
        archived: params.archived.unwrap_or(false),
    };
    lifecycle::check_filter(&world.index, &filter).map_err(|it| crate::commands::refusal(&it))?;
    let rows = lifecycle::list_tasks(&world.index, &filter);
    let by_task: HashMap<&TaskKey, &TaskRow> = rows.iter().map(|it| (&it.summary.task, it)).collect();
    let query = given(params.filter).unwrap_or_default();
    let table = world.symbols();
    let claims = world.claims.standing(std::time::SystemTime::now()).unwrap_or_else(|error| {
        // The list is still worth having; the claims' trouble is the server log's to tell.
        tracing::warn!("{error}");
        HashMap::new()
    });
    let tasks: Vec<ext::ListedTask> = table
        .search(&query, usize::MAX)
        .into_iter()
        .filter_map(|entry| {
            let row = by_task.get(&entry.task)?;
            let places: Vec<ext::ListedPlace> = world
                .index
                .task(&entry.task)
                .map(|it| it.places.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|place| {
                    let path = world.index.path(place.file);
                    ext::ListedPlace {
                        path: path.to_string(),
                        uri: world.uri(path).map(|it| it.as_str().to_string()),
                        kind: world.index.place(*place).kind.describe().to_string(),
                        value: world.index.place(*place).shown().to_string(),
                    }
                })
                .collect();
            let location = entry.location;
            let summary = &row.summary;
            let task = task_argument(&entry.task);
            let claim = claims.get(&task).map(crate::commands::claim_info);
            let range = convert::range(world, location.file, location.range, client.encoding);
            let position =
                |it: tower_lsp_server::ls_types::Position| ext::Position { line: it.line, character: it.character };
            Some(ext::ListedTask {
                task,
                id: entry.task.id.to_string(),
                scope: entry.task.scope.to_string(),
                title: Some(entry.title.clone()),
                status: Some(entry.status.clone()),
                kind: row.kind.map(|it| it.as_str().to_string()),
                family: row.family.map(|it| it.as_str().to_string()),
                agrees: summary.agrees(),
                archived: summary.archived,
                dependencies: summary
                    .dependencies
                    .iter()
                    .map(|it| ext::ListedDependency { id: it.id.clone(), status: it.status.clone(), done: it.done })
                    .collect(),
                progress: summary.progress.as_ref().map(crate::commands::progress_info),
                uri: world.uri(world.index.path(location.file)).map(|it| it.as_str().to_string()),
                range: ext::Range { start: position(range.start), end: position(range.end) },
                places,
                claim,
            })
        })
        .collect();
    crate::commands::answer(tasks, "taskmark.listTasks")
}

/// Arguments of `taskmark.newTask`: `{title, tracker?, status?, priority?, dependsOn?,
/// description?, plan?, heading?, date?, dryRun?, noBranches?, uri?}` or `[title]`.
#[derive(Debug, Clone)]
pub struct NewTaskArgs {
    pub request: NewTask,
    pub dry_run: bool,
    /// Read the other branches' and worktrees' trackers for ids in use (`taskmark new` without
    /// `--no-branches`).
    pub branches: bool,
    /// A document of the workspace folder to add the task to (a window of several folders).
    pub uri: Option<Uri>,
}

impl NewTaskArgs {
    pub fn parse(arguments: &[Value], now: Now) -> Result<NewTaskArgs, jsonrpc::Error> {
        let usage = |why: String| {
            invalid_params(format!(
                "taskmark.newTask takes {{\"title\": \"…\", \"tracker\"?: \"specs\", \"status\"?: string, \"priority\"?: string, \"dependsOn\"?: [\"12\"], \"description\"?: string, \"plan\"?: bool, \"heading\"?: string, \"date\"?: string, \"dryRun\"?: bool, \"noBranches\"?: bool, \"uri\"?: string}}{why}"
            ))
        };
        if let [Value::String(title), ..] = arguments {
            return Ok(NewTaskArgs {
                request: NewTask::new(title.clone(), now),
                dry_run: false,
                branches: true,
                uri: None,
            });
        }
        let params: ext::NewTaskParams = typed(arguments).map_err(usage)?;
        let now = match given(params.date) {
            Some(date) => Now::parse(&date).map_err(invalid_params)?,
            None => now,
        };
        let uri = match given(params.uri) {
            Some(uri) => Some(uri.parse().map_err(|_| invalid_params(format!("`{uri}` is not a URI")))?),
            None => None,
        };
        // The title as given: the engine refuses a blank one or one with a line break by name.
        let request = NewTask {
            status: given(params.status),
            priority: given(params.priority),
            depends_on: params.depends_on.map(|it| it.ids()).unwrap_or_default(),
            description: params.description,
            tracker: given(params.tracker),
            plan: params.plan.unwrap_or(false),
            heading: given(params.heading),
            fields: params.fields.unwrap_or_default().into_iter().collect(),
            acceptance_criteria: params.acceptance_criteria.unwrap_or_default(),
            ..NewTask::new(params.title, now)
        };
        Ok(NewTaskArgs {
            request,
            dry_run: params.dry_run.unwrap_or(false),
            branches: !params.no_branches.unwrap_or(false),
            uri,
        })
    }

    /// The tracker the task goes to (its root), refused as `taskmark new` refuses.
    pub fn tracker(&self, world: &World) -> Result<String, jsonrpc::Error> {
        if !world.indexed {
            return Err(content_modified("no new task yet: the workspace is still being indexed"));
        }
        let paths = world.paths();
        service::tracker_for_new_task(&commands::task_workspace(world, &paths), &self.request).map_err(|refusal| {
            let mut error = commands::status_refusal(&refusal);
            let writable = writable_trackers(world);
            // Several could take it and none was named: the editor asks which.
            if self.request.tracker.is_none() && writable.len() > 1 {
                error.data = crate::errors::refusal_data(ext::Refusal::ChooseTracker { trackers: writable });
            }
            error
        })
    }

    /// Plans the task against the world, with ids above every id the tracker has used here
    /// (open buffers included) and `elsewhere` (the other branches and worktrees).
    pub fn plan(
        &self,
        world: &World,
        client: &ClientProfile,
        elsewhere: &UsedIds,
        open_elsewhere: &HashSet<String>,
    ) -> Result<Planned, jsonrpc::Error> {
        self.tracker(world)?;
        let paths = world.paths();
        let view = commands::task_workspace(world, &paths);
        // A dry run keeps no id from the other worktrees.
        let reservations = if self.dry_run { None } else { IdReservations::for_workspace(&world.root) };
        let planned = service::plan_new_task(&view, &self.request, Some(elsewhere.clone()), reservations.as_ref())
            .map_err(|it| commands::status_refusal(&it))?;
        let notice = ext::TaskChanged {
            title: planned.answer.title.clone(),
            to: planned.answer.status.clone(),
            ..ext::TaskChanged::lifecycle("created", planned.answer.task.clone().unwrap_or_default())
        };
        finish(world, client, planned, Some(notice), self.dry_run, open_elsewhere)
    }
}

/// Arguments of `taskmark.editTask`: `{task, title?, priority?, addDependencies?,
/// removeDependencies?, description?, dryRun?}`; only the fields named change.
#[derive(Debug, Clone)]
pub struct EditTaskArgs {
    pub request: EditTaskRequest,
    pub dry_run: bool,
}

impl EditTaskArgs {
    pub fn parse(arguments: &[Value]) -> Result<EditTaskArgs, jsonrpc::Error> {
        let usage = |why: String| {
            invalid_params(format!(
                "taskmark.editTask takes {{\"task\": \"221\", \"title\"?: string, \"priority\"?: string, \"addDependencies\"?: [\"12\"], \"removeDependencies\"?: [\"12\"], \"description\"?: string, \"dryRun\"?: bool}}{why}"
            ))
        };
        let params: ext::EditTaskParams = typed(arguments).map_err(usage)?;
        // The fields as given: the engine refuses a blank title by name.
        Ok(EditTaskArgs {
            request: EditTaskRequest {
                task: given(Some(params.task)).ok_or_else(|| usage(": no task".into()))?,
                title: params.title,
                priority: params.priority,
                add_dependencies: params.add_dependencies.map(|it| it.ids()).unwrap_or_default(),
                remove_dependencies: params.remove_dependencies.map(|it| it.ids()).unwrap_or_default(),
                description: params.description,
                tick: params.tick.unwrap_or_default().iter().map(ext::Id::to_string).collect(),
                untick: params.untick.unwrap_or_default().iter().map(ext::Id::to_string).collect(),
                phase: params.phase.map(|it| it.to_string()),
                phase_status: params.phase_status,
                artifacts: params
                    .artifacts
                    .unwrap_or_default()
                    .into_iter()
                    .map(|it| crate::engine::lifecycle::Artifact { kind: it.kind, path: it.path })
                    .collect(),
            },
            dry_run: params.dry_run.unwrap_or(false),
        })
    }

    pub fn plan(
        &self,
        world: &World,
        client: &ClientProfile,
        open_elsewhere: &HashSet<String>,
    ) -> Result<Planned, jsonrpc::Error> {
        // Said as the editors say it while the workspace is still being indexed.
        commands::resolve_task(world, &self.request.task)?;
        let paths = world.paths();
        let planned = service::plan_edit_task(&commands::task_workspace(world, &paths), &self.request)
            .map_err(|it| commands::status_refusal(&it))?;
        let notice = ext::TaskChanged {
            title: planned.answer.title.clone(),
            ..ext::TaskChanged::lifecycle("edited", planned.answer.task.clone().unwrap_or_default())
        };
        finish(world, client, planned, Some(notice), self.dry_run, open_elsewhere)
    }
}

/// Arguments of `taskmark.archiveTasks`: `{tasks?: ["12"], done?: bool, tracker?, date?,
/// dryRun?}` (`taskmark archive TASK...` or `--done`).
#[derive(Debug, Clone)]
pub struct ArchiveArgs {
    pub request: ArchiveTasksRequest,
    pub dry_run: bool,
}

impl ArchiveArgs {
    pub fn parse(arguments: &[Value]) -> Result<ArchiveArgs, jsonrpc::Error> {
        let usage = |why: String| {
            invalid_params(format!(
                "taskmark.archiveTasks takes {{\"tasks\"?: [\"12\"], \"done\"?: bool, \"tracker\"?: string, \"date\"?: string, \"dryRun\"?: bool}}, with tasks or done{why}"
            ))
        };
        let params: ext::ArchiveTasksParams = typed(arguments).map_err(usage)?;
        let tasks = params.tasks.map(|it| it.ids()).unwrap_or_default();
        let done = params.done.unwrap_or(false);
        if tasks.is_empty() != done {
            return Err(usage(String::new()));
        }
        let date = given(params.date).map(|it| Now::parse(&it)).transpose().map_err(invalid_params)?;
        let request = ArchiveTasksRequest { tasks, done, tracker: given(params.tracker), date };
        Ok(ArchiveArgs { request, dry_run: params.dry_run.unwrap_or(false) })
    }

    pub fn plan(
        &self,
        world: &World,
        client: &ClientProfile,
        now: Now,
        open_elsewhere: &HashSet<String>,
    ) -> Result<Planned, jsonrpc::Error> {
        if !world.indexed {
            return Err(content_modified("nothing archived yet: the workspace is still being indexed"));
        }
        let paths = world.paths();
        let planned = service::plan_archive_tasks(&commands::task_workspace(world, &paths), &self.request, now)
            .map_err(|it| commands::status_refusal(&it))?;
        let names = planned.answer.tasks.clone().unwrap_or_default();
        let first = names.first().cloned().unwrap_or_default();
        let notice = ext::TaskChanged { tasks: Some(names), ..ext::TaskChanged::lifecycle("archived", first) };
        finish(world, client, planned, Some(notice), self.dry_run, open_elsewhere)
    }
}

/// The roots of the trackers `taskmark new` can add tasks to.
fn writable_trackers(world: &World) -> Vec<String> {
    world
        .index
        .trackers()
        .iter()
        .filter(|it| lifecycle::choose_tracker(&world.index, Some(&it.root)).is_ok())
        .map(|it| it.root.clone())
        .collect()
}

/// `taskmark.trackers`: the workspace folder's trackers, for the editors' New Task pickers:
/// `{tracker, family, folder, writable, statuses: [{status, display, kind, default}]}`, the
/// task statuses of its vocabulary in its order (the one a new task gets unless told is
/// `default`).
pub fn trackers(world: &World) -> Vec<ext::TrackerInfo> {
    let writable = writable_trackers(world);
    let folder = Uri::from_file_path(&world.root).map(|it| it.as_str().to_string());
    world
        .index
        .trackers()
        .iter()
        .map(|tracker| {
            let profile = &tracker.profile;
            let default = status_shown(world, &tracker.root, None);
            let statuses = profile
                .ids()
                .filter(|it| profile.status(*it).task)
                .map(|it| ext::TrackerStatus {
                    status: profile.status(it).id.clone(),
                    display: profile.display(it),
                    kind: profile.kind(it).as_str().to_string(),
                    default: default.as_deref() == Some(profile.display(it).as_str()),
                })
                .collect();
            ext::TrackerInfo {
                tracker: tracker.root.to_string(),
                family: tracker.family.as_str().to_string(),
                folder: folder.clone(),
                writable: writable.contains(&tracker.root),
                statuses,
            }
        })
        .collect()
}

/// How the tracker shows the status a new task gets (its vocabulary's default when none is asked for).
fn status_shown(world: &World, tracker: &str, wanted: Option<&str>) -> Option<String> {
    let paths = world.paths();
    service::status_of_new_task(&commands::task_workspace(world, &paths), tracker, wanted)
}

/// A lifecycle change planned and checked: the answer, and what to write unless a dry run.
pub struct Planned {
    pub answer: ext::LifecycleResult,
    pub write: Option<Write>,
}

/// What the server writes and tells for a planned change.
pub struct Write {
    pub edit: PlannedEdit,
    pub announcement: Announcement,
}

/// Splits a change the service planned and checked as a status change is split: the documents
/// open in this editor for its `workspace/applyEdit`, the closed and new files for the
/// transaction (see [`commands::prepare`]), the edits for the other editors, and `notice` for
/// every editor. A dry run stops before, with each file's unified diff in the answer.
pub fn finish(
    world: &World,
    client: &ClientProfile,
    planned: PlannedLifecycle,
    notice: Option<ext::TaskChanged>,
    dry_run: bool,
    open_elsewhere: &HashSet<String>,
) -> Result<Planned, jsonrpc::Error> {
    let PlannedLifecycle { change, answer: planned, checked } = planned;
    if change.is_empty() {
        // Said only while the world is still the folder's.
        commands::revalidate(world, [])?;
        return Err(invalid_params("nothing to change"));
    }
    let edited_paths: Vec<String> =
        change.files.iter().filter(|it| !it.edits.is_empty()).map(|it| it.path.clone()).collect();
    let created: Vec<String> = change.created.iter().map(|it| it.path.clone()).collect();
    let mut files = edited_paths.clone();
    files.extend(created.iter().cloned());
    files.extend(change.moved.iter().flat_map(|it| [it.from.clone(), it.to.clone()]));
    let mut answer = ext::LifecycleResult {
        applied: None,
        dry_run,
        label: change.label.clone(),
        files,
        created: created.clone(),
        moved: change.moved.iter().map(|it| ext::Moved { from: it.from.clone(), to: it.to.clone() }).collect(),
        warnings: change.warnings.clone(),
        written: None,
        uris: None,
        diff: None,
        task: planned.task,
        id: planned.id,
        title: planned.title,
        status: planned.status,
        tracker: planned.tracker,
        tasks: planned.tasks,
    };
    if dry_run {
        answer.diff = Some(commands::change_diff(world, &change));
        if let Some(checked) = checked {
            rayon::spawn(move || drop(checked));
        }
        return Ok(Planned { answer, write: None });
    }
    let edited: Vec<EditedFile> = change
        .files
        .iter()
        .filter(|it| !it.edits.is_empty())
        .map(|it| EditedFile {
            path: it.path.clone(),
            before: world.index.text(it.file).into(),
            edits: it.edits.clone(),
        })
        .collect();
    let mut edit = commands::prepare(world, client, &change, false, world.settings.closed_files, open_elsewhere)?;
    edit.expected = checked.and_then(|it| commands::expected_move(world, &change, it));
    let moved = change.moved.iter().map(|it| (it.from.clone(), it.to.clone())).collect();
    let announcement = Announcement {
        label: change.label.clone(),
        files: edited,
        created,
        moved,
        notice,
        under_editors: edit.under_editors.clone(),
    };
    Ok(Planned { answer, write: Some(Write { edit, announcement }) })
}
