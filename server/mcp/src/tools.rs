//! The MCP tools, each a `taskmark.*` command of the language server: the tool's arguments
//! mapped onto the command's typed parameters (`lsp::ext`, so a renamed field fails to
//! compile here rather than being dropped on the way), the answer passed back as structured
//! content, a refusal as a tool error whose structured content carries the same `data`
//! editors get.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, JsonObject, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, ResourceContents, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::LanguageServer;
use crate::lsp::ext;
use crate::lsp_client::Failure;
use crate::resources::{self, Read};

const INSTRUCTIONS: &str = "taskmark keeps this repository's task trackers (TODO.md, state.json, plans, task files) \
consistent: one task's status is written in several files, and taskmark changes every one of them at once. \
Change a task's status, create, edit or archive tasks with these tools (set_status, new_task, edit_task, \
archive_tasks) instead of editing tracker files by hand, read tasks with list_tasks and show_task, pick the \
next one with next_tasks, and claim_task a task before working on it when other agents share the repository. \
After editing any tracker file yourself, call check and fix what it reports.";

/// How many tasks `list_tasks` gives when not told, and at most.
const TASKS_SHOWN: usize = 100;
const TASKS_MOST: usize = 2000;

/// A task as agents name it: `"221"`, `221` (agents send ids as JSON numbers as often as
/// strings) or `"specs:221"`. Passed on to the language server as text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum TaskName {
    Text(String),
    Number(u64),
}

impl std::fmt::Display for TaskName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskName::Text(text) => f.write_str(text),
            TaskName::Number(number) => write!(f, "{number}"),
        }
    }
}

impl serde::Serialize for TaskName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A task name as the language server's commands take it (as text, as agents' numbers were).
fn id(name: TaskName) -> ext::Id {
    ext::Id::Text(name.to_string())
}

fn ids(names: Vec<TaskName>) -> Vec<ext::Id> {
    names.into_iter().map(id).collect()
}

fn id_list(names: Vec<TaskName>) -> ext::IdList {
    ext::IdList::List(ids(names))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct NextTasks {
    /// Only this tracker: its folder (`specs`, `.opencode/specs`) or family (`backlog`).
    pub tracker: Option<String>,
    /// How many ready tasks (and as many held ones) to give: 10 unless given, 200 at most.
    pub limit: Option<u32>,
    /// Also propose this many ready tasks that touch no file in common, so that as many agents
    /// can work at once (20 at most); the answer's `parallel` has them, with their files.
    pub parallel: Option<u32>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListTasks {
    /// Only tasks with this status (an id such as `implementing`, or the tracker's marker).
    pub status: Option<String>,
    /// Only tasks whose status is of this kind: todo, active, blocked, done or cancelled.
    pub kind: Option<String>,
    /// Only tasks of this tracker (its folder, such as `specs`, or its family).
    pub tracker: Option<String>,
    /// Only tasks not started whose dependencies are all done.
    pub ready: Option<bool>,
    /// Only tasks started or done with a dependency not done.
    pub blocked: Option<bool>,
    /// Also archived tasks.
    pub archived: Option<bool>,
    /// Only tasks whose id or title contains this text (any case).
    pub query: Option<String>,
    /// At most this many tasks (100 unless told, 2000 at most).
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ShowTask {
    /// The task: `221`, or `specs:221` when several trackers have that id.
    pub task: TaskName,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SetStatus {
    /// The task: `221`, or `specs:221` when several trackers have that id.
    pub task: TaskName,
    /// The new status: an id such as `implementing`, or the tracker's marker (`[IMPLEMENTING]`).
    pub status: String,
    /// Why, for statuses that need a reason (blocked, abandoned).
    pub reason: Option<String>,
    /// Compare-and-swap: change the status only if it is still this one.
    pub expect_from: Option<String>,
    /// Allow a transition the vocabulary does not allow, leaving new problems behind, or
    /// overruling another agent's claim.
    pub force: Option<bool>,
    /// Who asks (default: this MCP session): refused while another agent claims the task.
    pub agent: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ClaimTask {
    /// The task: `221`, or `specs:221`.
    pub task: TaskName,
    /// Who claims it (default: this MCP session). Another agent's set_status is refused while
    /// the claim stands.
    pub agent: Option<String>,
    /// How long the claim lasts unless renewed (claim again) or released: 30 minutes unless
    /// told, at most 1440. It ends sooner if this session ends.
    pub minutes: Option<u64>,
    /// Take the task over from another agent or another session.
    pub force: Option<bool>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReleaseTask {
    /// The task: `221`, or `specs:221`.
    pub task: TaskName,
    /// Who releases it (default: this MCP session): only the agent and session holding the
    /// claim can, unless forced.
    pub agent: Option<String>,
    /// End another agent's or another session's claim.
    pub force: Option<bool>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Check {
    /// Only diagnostics in these files or folders (relative to the workspace root).
    pub paths: Option<Vec<String>>,
    /// Only these rules (`status-mismatch`, `unknown-status`, ...).
    pub codes: Option<Vec<String>>,
    /// At most this many diagnostics, most severe first (50 unless told, 1000 at most).
    pub limit: Option<u64>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Fix {
    /// Only these rules' safe fixes (default: every safe fix).
    pub codes: Option<Vec<String>>,
    /// Say what would be fixed and write nothing.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewTask {
    /// The title: one line of plain text.
    pub title: String,
    /// The tracker to add it to (its folder), when the workspace has several.
    pub tracker: Option<String>,
    /// The first status (default: the tracker's first not-started status).
    pub status: Option<String>,
    pub priority: Option<String>,
    /// Tasks this one depends on.
    pub depends_on: Option<Vec<String>>,
    pub description: Option<String>,
    /// Also write a plan skeleton (spec-folder trackers).
    pub plan: Option<bool>,
    /// The heading to add the box under (checklists).
    pub heading: Option<String>,
    /// Other fields the tracker's task standard asks for, by name: `{"Language": "lean",
    /// "Effort": "3 hours"}` (spec-folder trackers; also the state.json entry's keys of the same
    /// name).
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// Acceptance criteria, each written as an open box (spec-folder trackers).
    pub acceptance_criteria: Option<Vec<String>>,
    /// Say what would be written and write nothing.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EditTask {
    /// The task: `221`, or `specs:221`.
    pub task: TaskName,
    pub title: Option<String>,
    pub priority: Option<String>,
    pub add_dependencies: Option<Vec<TaskName>>,
    pub remove_dependencies: Option<Vec<TaskName>>,
    /// A new description (replaces the old one).
    pub description: Option<String>,
    /// Boxes to tick (acceptance criteria, checklist items, a phase's steps): numbers from 1,
    /// pieces of their text, or "all".
    pub tick: Option<Vec<TaskName>>,
    /// Boxes to open again, named the same way.
    pub untick: Option<Vec<TaskName>>,
    /// Whose boxes: this phase of the task's current plan (default: the task's own).
    pub phase: Option<TaskName>,
    /// A status for that phase (`completed`, `in_progress`), set with its boxes.
    pub phase_status: Option<String>,
    /// Files the task produced, to link from it the tracker's way (written first).
    pub artifacts: Option<Vec<ArtifactLink>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ArtifactLink {
    /// `research`, `plan`, `summary`, or another one-word kind.
    pub kind: String,
    /// The file, from the workspace root: `specs/302_x/reports/research-001.md`.
    pub path: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ArchiveTasks {
    /// The finished tasks to archive.
    pub tasks: Option<Vec<TaskName>>,
    /// Every finished task instead.
    pub done: Option<bool>,
    /// Only this tracker's (with `done`).
    pub tracker: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Clone)]
pub struct Taskmark {
    server: Arc<LanguageServer>,
    tool_router: ToolRouter<Taskmark>,
}

/// The agent an MCP session is when it names none: its client's name and this server's
/// process, which lives as long as the session (one agent's, over stdio).
fn this_session(context: &RequestContext<RoleServer>) -> String {
    let client = context.peer.peer_info().map(|it| it.client_info.name.clone()).unwrap_or_default();
    let client = client.chars().filter(|it| !it.is_control()).take(60).collect::<String>();
    let client = if client.trim().is_empty() { "mcp client".to_string() } else { client.trim().to_string() };
    format!("{client} (session {})", std::process::id())
}

fn schema(properties: Value) -> Arc<JsonObject> {
    let mut object = Map::new();
    object.insert("type".into(), json!("object"));
    object.insert("properties".into(), properties);
    Arc::new(object)
}

fn tasks_schema() -> Arc<JsonObject> {
    schema(json!({
        "tasks": { "type": "array", "items": { "type": "object" } },
        "count": { "type": "integer", "description": "tasks that matched" },
        "shown": { "type": "integer" },
    }))
}

fn next_schema() -> Arc<JsonObject> {
    let task = json!({ "type": "object", "properties": {
        "task": { "type": "string", "description": "the task with its tracker: `specs:12`" },
        "id": { "type": "string" },
        "tracker": { "type": "string" },
        "title": { "type": ["string", "null"] },
        "status": { "type": ["string", "null"] },
        "priority": { "type": ["string", "null"] },
        "unblocks": { "type": "array", "items": { "type": "string" }, "description": "open tasks that wait on it" },
        "why": { "type": "array", "items": { "type": "string" }, "description": "why it ranks where it does, or what holds it back" },
    } });
    schema(json!({
        "ready": { "type": "array", "items": task, "description": "ready to start, best first" },
        "held": { "type": "array", "items": task, "description": "not ready, with what holds each back" },
        "readyCount": { "type": "integer" },
        "heldCount": { "type": "integer" },
        "parallel": {
            "type": "object",
            "description": "with `parallel`: ready tasks, best first, that touch no file in common (the files each one's section, task file or plan names, and its own files)",
            "properties": {
                "asked": { "type": "integer" },
                "tasks": { "type": "array", "items": { "type": "object", "properties": {
                    "task": { "type": "string" },
                    "title": { "type": ["string", "null"] },
                    "files": { "type": "array", "items": { "type": "string" } },
                } } },
                "setAside": { "type": "array", "description": "ready tasks passed over: they share files with tasks above", "items": { "type": "object", "properties": {
                    "task": { "type": "string" },
                    "title": { "type": ["string", "null"] },
                    "shares": { "type": "array", "items": { "type": "string" } },
                    "with": { "type": "array", "items": { "type": "string" } },
                } } },
            },
        },
        "warnings": { "type": "array", "items": { "type": "string" } },
    }))
}

fn task_schema() -> Arc<JsonObject> {
    schema(json!({
        "task": { "type": "string", "description": "the task with its tracker: `specs:12`" },
        "id": { "type": "string" },
        "scope": { "type": "string" },
        "title": { "type": ["string", "null"] },
        "status": { "type": ["string", "null"] },
        "places": { "type": "array", "items": { "type": "object" } },
        "progress": { "type": ["object", "null"] },
        "dependencies": { "type": "array" },
        "next": { "type": "array", "items": { "type": "string" } },
        "claim": { "type": ["object", "null"], "description": "the agent claiming the task, and until when" },
        "elsewhere": {
            "type": "array",
            "description": "the task in the repository's other worktrees (other sessions' branches), when any has it",
            "items": { "type": "object", "properties": {
                "worktree": { "type": "string" },
                "status": { "type": ["string", "null"] },
                "kind": { "type": ["string", "null"] },
                "archived": { "type": "boolean" },
            } },
        },
    }))
}

fn change_schema() -> Arc<JsonObject> {
    schema(json!({
        "applied": { "type": "boolean" },
        "files": { "type": "array", "items": { "type": "string" }, "description": "every file the change writes" },
        "written": { "type": "array", "items": { "type": "string" } },
        "warnings": { "type": "array", "items": { "type": "string" } },
    }))
}

fn claim_schema() -> Arc<JsonObject> {
    schema(json!({
        "task": { "type": "string" },
        "agent": { "type": "string" },
        "since": { "type": "string", "description": "when the claim began (RFC 3339)" },
        "until": { "type": "string", "description": "when it ends unless renewed (RFC 3339)" },
        "renewed": { "type": "boolean", "description": "the agent held it already" },
        "released": { "type": "boolean", "description": "release_task: the agent held a claim" },
    }))
}

fn fix_schema() -> Arc<JsonObject> {
    schema(json!({
        "fixed": { "type": "object", "description": "how many problems of each rule were fixed" },
        "heldBack": { "type": "array", "items": { "type": "object" }, "description": "the safe fixes left out (file, line, code, message) and why: each would make a new problem appear" },
        "files": { "type": "array", "items": { "type": "string" } },
        "written": { "type": "array", "items": { "type": "string" } },
        "diff": { "type": "string", "description": "with dry_run: the change as a unified diff (nothing written)" },
    }))
}

fn check_schema() -> Arc<JsonObject> {
    schema(json!({
        "summary": {
            "type": "object",
            "properties": {
                "errors": { "type": "integer" }, "warnings": { "type": "integer" }, "infos": { "type": "integer" },
                "hints": { "type": "integer" }, "total": { "type": "integer" }, "shown": { "type": "integer" },
            },
        },
        "diagnostics": { "type": "array", "items": { "type": "object" } },
    }))
}

impl Taskmark {
    pub fn new(server: LanguageServer) -> Taskmark {
        Taskmark { server: Arc::new(server), tool_router: Self::tool_router() }
    }

    /// Runs `command` off the runtime's threads (the link is blocking) and answers in MCP's
    /// terms: the result as structured content, a refusal as a tool error carrying the
    /// command's `message`, `code` and `data`, a lost connection as an internal error.
    async fn run(
        &self,
        command: &'static str,
        arguments: &impl Serialize,
    ) -> Result<Value, Result<CallToolResult, ErrorData>> {
        let server = self.server.clone();
        let arguments = serde_json::to_value(arguments)
            .map_err(|error| Err(ErrorData::internal_error(format!("{command}: {error}"), None)))?;
        let outcome = tokio::task::spawn_blocking(move || server.command(command, arguments))
            .await
            .map_err(|error| Err(ErrorData::internal_error(format!("{command}: {error}"), None)))?;
        match outcome {
            Ok(value) => Ok(value),
            Err(Failure::Refused(error)) => Err(Ok(ToolRefusal {
                error: error.get("message").cloned().unwrap_or(Value::Null),
                code: error.get("code").cloned().unwrap_or(Value::Null),
                data: error.get("data").cloned().unwrap_or(Value::Null),
            }
            .into_result())),
            Err(Failure::Lost(reason)) => {
                Err(Err(ErrorData::internal_error(format!("the taskmark language server: {reason}"), None)))
            }
        }
    }

    async fn answer(&self, command: &'static str, arguments: &impl Serialize) -> Result<CallToolResult, ErrorData> {
        match self.run(command, arguments).await {
            Ok(Value::Object(object)) => Ok(CallToolResult::structured(Value::Object(object))),
            // MCP's structured content is an object: any other answer goes under `result`.
            Ok(other) => {
                Ok(CallToolResult::structured(serde_json::to_value(Wrapped { result: other }).unwrap_or_default()))
            }
            Err(answer) => answer,
        }
    }
}

#[tool_router]
impl Taskmark {
    #[tool(
        description = "List the workspace's tasks: id, title, status (and whether every file agrees), kind, dependencies, plan progress. Filters: status, kind, tracker, ready, blocked, archived, query.",
        output_schema = tasks_schema(),
        annotations(read_only_hint = true)
    )]
    async fn list_tasks(&self, Parameters(request): Parameters<ListTasks>) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::ListTasksParams {
            status: request.status,
            kind: request.kind,
            tracker: request.tracker,
            ready: request.ready,
            blocked: request.blocked,
            archived: request.archived,
            filter: None,
        };
        let listed = match self.run(crate::lsp::LIST_TASKS, &arguments).await {
            Ok(listed) => listed,
            Err(answer) => return answer,
        };
        let query = request.query.map(|it| it.to_lowercase()).filter(|it| !it.is_empty());
        let matches = |task: &Value| {
            query.as_deref().is_none_or(|query| {
                ["id", "title"].iter().any(|key| {
                    task.get(*key).and_then(Value::as_str).is_some_and(|it| it.to_lowercase().contains(query))
                })
            })
        };
        let tasks: Vec<Value> = listed.as_array().into_iter().flatten().filter(|it| matches(it)).cloned().collect();
        let limit = request.limit.map_or(TASKS_SHOWN, |it| usize::try_from(it).unwrap_or(usize::MAX).min(TASKS_MOST));
        let count = tasks.len();
        let shown: Vec<Value> = tasks.into_iter().take(limit).collect();
        let answer = TaskList { count, shown: shown.len(), tasks: shown };
        Ok(CallToolResult::structured(serde_json::to_value(answer).unwrap_or(Value::Null)))
    }

    #[tool(
        description = "The tasks ready to start, best first: not started, every dependency done, not claimed by another agent, not taken up in another worktree; ranked by priority, then how many open tasks wait on it, then age, each with the reasons for its place (why). Also the tasks held back, each with what holds it (a dependency not done, a claim, another worktree, a blocked status). Take the first ready one and claim_task it. With parallel N, also N ready tasks that touch no file in common, for N agents at once.",
        output_schema = next_schema(),
        annotations(read_only_hint = true)
    )]
    async fn next_tasks(&self, Parameters(request): Parameters<NextTasks>) -> Result<CallToolResult, ErrorData> {
        let arguments =
            ext::NextTasksParams { tracker: request.tracker, limit: request.limit, parallel: request.parallel };
        match self.run(crate::lsp::NEXT_TASKS, &arguments).await {
            Ok(answer) => Ok(CallToolResult::structured(answer)),
            Err(answer) => answer,
        }
    }

    #[tool(
        description = "Show one task: every place its status is written (file, line, value, whether it agrees), plan progress, dependencies and the statuses it may move to next.",
        output_schema = task_schema(),
        annotations(read_only_hint = true)
    )]
    async fn show_task(&self, Parameters(request): Parameters<ShowTask>) -> Result<CallToolResult, ErrorData> {
        self.answer(crate::lsp::TASK_INFO, &ext::TaskParams { task: request.task.to_string() }).await
    }

    #[tool(
        description = "Set a task's status in every file that records it, at once, in each file's own spelling. expect_from makes it a compare-and-swap. Refused (a tool error with the reason and, in data, the allowed statuses) for a transition the tracker's vocabulary does not allow, a status that needs a reason, an unknown status, or a change that would leave new problems; force overrides.",
        output_schema = change_schema(),
        annotations(destructive_hint = false, idempotent_hint = true)
    )]
    async fn set_status(
        &self,
        Parameters(request): Parameters<SetStatus>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::SetStatusParams {
            task: request.task.to_string(),
            status: request.status,
            force: request.force,
            reason: request.reason,
            expect_from: request.expect_from,
            date: None,
            agent: Some(request.agent.unwrap_or_else(|| this_session(&context))),
            holder_pid: Some(std::process::id()),
        };
        self.answer(crate::lsp::SET_STATUS, &arguments).await
    }

    #[tool(
        description = "Claim a task for an agent for a while (a lease, default 30 minutes, ended at once if this session ends): granted unless another agent or session holds it (then a tool error naming the holder and when its claim ends; force takes it over); claiming again renews it. While it stands, other agents' set_status on the task is refused unless forced, and editors show the claim.",
        output_schema = claim_schema()
    )]
    async fn claim_task(
        &self,
        Parameters(request): Parameters<ClaimTask>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        // The claim is this session's: it ends with this process (the agent's connection).
        let arguments = ext::ClaimParams {
            task: request.task.to_string(),
            agent: request.agent.unwrap_or_else(|| this_session(&context)),
            minutes: request.minutes,
            holder_pid: Some(std::process::id()),
            force: request.force,
        };
        self.answer(crate::lsp::CLAIM_TASK, &arguments).await
    }

    #[tool(
        description = "Release an agent's claim on a task (released: false when it held none). Refused when another agent or session holds it, unless forced.",
        output_schema = claim_schema(),
        annotations(idempotent_hint = true)
    )]
    async fn release_task(
        &self,
        Parameters(request): Parameters<ReleaseTask>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::ClaimParams {
            task: request.task.to_string(),
            agent: request.agent.unwrap_or_else(|| this_session(&context)),
            minutes: None,
            holder_pid: Some(std::process::id()),
            force: request.force,
        };
        self.answer(crate::lsp::RELEASE_TASK, &arguments).await
    }

    #[tool(
        description = "The workspace's problems (statuses that disagree between files, invalid markers and transitions, stale counters, broken links...), most severe first, with a summary and each one's fixes. Bounded by limit.",
        output_schema = check_schema(),
        annotations(read_only_hint = true)
    )]
    async fn check(&self, Parameters(request): Parameters<Check>) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::DiagnosticsParams { paths: request.paths, codes: request.codes, limit: request.limit };
        self.answer(crate::lsp::DIAGNOSTICS, &arguments).await
    }

    #[tool(
        description = "Apply the safe fixes (the ones that change no meaning: aliases of a status, counters, stale plan headers...) in every file at once, as many passes as it takes. Says how many of each rule it fixed and names each fix it held back, with why. dry_run says the same and gives the diff, writing nothing.",
        output_schema = fix_schema(),
        annotations(destructive_hint = false)
    )]
    async fn fix(&self, Parameters(request): Parameters<Fix>) -> Result<CallToolResult, ErrorData> {
        self.answer(crate::lsp::FIX, &ext::FixParams { codes: request.codes, dry_run: request.dry_run }).await
    }

    #[tool(
        description = "Create a task in every store its tracker keeps (TODO.md section and Task Order line, state.json entry and counters, task file...), in the tracker's own style, with an id no branch or worktree has used. Answers with the new id.",
        output_schema = change_schema()
    )]
    async fn new_task(&self, Parameters(request): Parameters<NewTask>) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::NewTaskParams {
            title: request.title,
            tracker: request.tracker,
            status: request.status,
            priority: request.priority,
            depends_on: request.depends_on.map(|it| ext::IdList::List(it.into_iter().map(ext::Id::Text).collect())),
            description: request.description,
            plan: request.plan,
            heading: request.heading,
            fields: request.fields,
            acceptance_criteria: request.acceptance_criteria,
            date: None,
            dry_run: request.dry_run,
            no_branches: None,
            uri: None,
        };
        self.answer(crate::lsp::NEW_TASK, &arguments).await
    }

    #[tool(
        description = "Change a task's title, priority, dependencies or description in every store, keeping every byte it does not own; or tick (untick) its boxes: acceptance criteria and checklist items, or with phase the steps of a phase of its plan, by number from 1, a piece of their text, or \"all\"; phase_status sets that phase's status (stamped); artifacts links files the task produced (a research report, a plan, a summary; write them first) in every store the tracker's way. Tick the acceptance criteria and complete the plan's phases before completing a task.",
        output_schema = change_schema()
    )]
    async fn edit_task(&self, Parameters(request): Parameters<EditTask>) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::EditTaskParams {
            task: request.task.to_string(),
            title: request.title,
            priority: request.priority,
            add_dependencies: request.add_dependencies.map(id_list),
            remove_dependencies: request.remove_dependencies.map(id_list),
            description: request.description,
            tick: request.tick.map(ids),
            untick: request.untick.map(ids),
            phase: request.phase.map(id),
            phase_status: request.phase_status,
            artifacts: request.artifacts.map(|artifacts| {
                artifacts.into_iter().map(|it| ext::ArtifactLink { kind: it.kind, path: it.path }).collect()
            }),
            dry_run: request.dry_run,
        };
        self.answer(crate::lsp::EDIT_TASK, &arguments).await
    }

    #[tool(
        description = "Move finished tasks to the tracker's archive the way the tracker does it (archive state, folders, links and counters follow). Give tasks, or done for every finished task.",
        output_schema = change_schema()
    )]
    async fn archive_tasks(&self, Parameters(request): Parameters<ArchiveTasks>) -> Result<CallToolResult, ErrorData> {
        let arguments = ext::ArchiveTasksParams {
            tasks: request.tasks.map(id_list),
            done: request.done,
            tracker: request.tracker,
            date: None,
            dry_run: request.dry_run,
        };
        self.answer(crate::lsp::ARCHIVE_TASKS, &arguments).await
    }
}

/// A tool error rmcp made itself (arguments that do not fit the tool's schema: a list where a
/// task id goes, a negative limit) carries its reason as text only; agents read every refusal
/// from the structured content, so it gets the same shape as taskmark's own:
/// `{error, code: -32602, data: {kind: "badArguments"}}`.
fn structured(result: CallToolResult) -> CallToolResult {
    if result.is_error != Some(true) || result.structured_content.is_some() {
        return result;
    }
    let text: Vec<&str> = result.content.iter().filter_map(|it| it.as_text()).map(|it| it.text.as_str()).collect();
    ToolRefusal {
        error: Value::String(text.join("\n")),
        code: ErrorData::invalid_params("", None).code.0.into(),
        data: serde_json::to_value(Kind { kind: "badArguments" }).unwrap_or_default(),
    }
    .into_result()
}

/// A refusal as agents read it, the structured content of a tool error: the language server's
/// `message`, `code` and `data` (`data.kind` names the refusal, the same through every front
/// door).
#[derive(Debug, Serialize)]
struct ToolRefusal {
    error: Value,
    code: Value,
    data: Value,
}

/// A refusal's `data` that says only its kind.
#[derive(Serialize)]
struct Kind {
    kind: &'static str,
}

/// An answer that is not an object, as structured content.
#[derive(Serialize)]
struct Wrapped {
    result: Value,
}

impl ToolRefusal {
    fn into_result(self) -> CallToolResult {
        CallToolResult::structured_error(serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

/// What `list_tasks` answers: how many tasks matched, how many are shown, and those.
#[derive(Debug, Serialize)]
struct TaskList {
    count: usize,
    shown: usize,
    tasks: Vec<Value>,
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Taskmark {
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, ErrorData> {
        let call = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        Ok(match self.tool_router.call(call).await? {
            rmcp::model::CallToolResponse::Complete(result) => structured(result).into(),
            other => other,
        })
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(rmcp::model::Implementation::new("taskmark", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::listed()))
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(resources::templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let read = resources::parse(&request.uri).map_err(|it| ErrorData::resource_not_found(it, None))?;
        let answer = match &read {
            Read::Trackers => self.run(crate::lsp::TRACKERS, &Map::new()).await,
            Read::Tasks => self
                .run(crate::lsp::LIST_TASKS, &ext::ListTasksParams::default())
                .await
                .map(|it| resources::compact_tasks(&it)),
            Read::Task(task) => self.run(crate::lsp::TASK_INFO, &ext::TaskParams { task: task.clone() }).await,
        };
        let value = match answer {
            Ok(value) => value,
            // A task the workspace does not have is a resource that does not exist.
            Err(Ok(refused)) => {
                let detail = refused.structured_content.unwrap_or(Value::Null);
                let message = detail.get("error").and_then(Value::as_str).unwrap_or("refused").to_string();
                return Err(ErrorData::resource_not_found(message, Some(detail)));
            }
            Err(Err(error)) => return Err(error),
        };
        let text = serde_json::to_string_pretty(&value)
            .map_err(|error| ErrorData::internal_error(format!("{}: {error}", request.uri), None))?;
        let contents = ResourceContents::text(text, request.uri).with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_named_by_a_json_number_is_the_same_as_by_text() {
        let by_number: SetStatus = serde_json::from_value(json!({ "task": 220, "status": "planned" })).expect("parsed");
        let by_text: SetStatus = serde_json::from_value(json!({ "task": "220", "status": "planned" })).expect("parsed");
        assert_eq!(json!({ "task": by_number.task }), json!({ "task": "220" }));
        assert_eq!(by_number.task.to_string(), by_text.task.to_string());
        let archive: ArchiveTasks = serde_json::from_value(json!({ "tasks": [7, "specs:8"] })).expect("parsed");
        assert_eq!(json!(archive.tasks), json!(["7", "specs:8"]));
        assert!(serde_json::from_value::<SetStatus>(json!({ "task": -1, "status": "x" })).is_err());
        assert!(serde_json::from_value::<SetStatus>(json!({ "task": 1.5, "status": "x" })).is_err());
    }

    #[test]
    fn the_task_s_schema_offers_text_and_whole_numbers() {
        let schema = serde_json::to_value(schemars::schema_for!(SetStatus)).expect("JSON");
        let text = schema.to_string();
        assert!(text.contains("\"integer\"") && text.contains("\"string\""), "{text}");
    }
}
