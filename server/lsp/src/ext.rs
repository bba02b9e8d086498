//! taskmark's extension of LSP, as types: the arguments and answers of every `taskmark.*`
//! command and the `taskmark/taskChanged` notification, exactly as they travel (field names,
//! which fields may be null, which may be absent).
//!
//! Three things keep this the protocol and not a description of it: the end-to-end tests
//! deserialize every answer of the real server into these types and serialize them back to the
//! same JSON (a field these types lack, or name differently, fails); the VS Code extension's `src/lsp_ext.ts` is generated
//! from them (ts-rs) and a test fails when it is stale; the extension's unit tests run on
//! answers recorded from the real server.

use serde::{Deserialize, Serialize};

#[cfg(test)]
use ts_rs::TS;

/// A position range, as LSP has it (zero-based lines, characters in the negotiated encoding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct Range {
    pub start: Position,
    pub end: Position,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

// ---- arguments ------------------------------------------------------------------------------

/// Task ids: a list (`["12", 14]`) or one text of ids separated by commas (`"12, 14"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(untagged)]
pub enum IdList {
    Text(String),
    List(Vec<Id>),
}

/// One task id, as text or as a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(untagged)]
pub enum Id {
    Text(String),
    Number(u64),
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Text(text) => f.write_str(text),
            Id::Number(number) => write!(f, "{number}"),
        }
    }
}

impl IdList {
    /// The ids, trimmed, blanks left out.
    pub fn ids(&self) -> Vec<String> {
        let all: Vec<String> = match self {
            IdList::Text(text) => text.split(',').map(str::to_string).collect(),
            IdList::List(ids) => ids.iter().map(Id::to_string).collect(),
        };
        all.iter().map(|it| it.trim()).filter(|it| !it.is_empty()).map(str::to_string).collect()
    }
}

/// `taskmark.setStatus` (also `[task, status]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct SetStatusParams {
    /// `221`, or `specs:221` when several trackers have that id.
    pub task: String,
    /// A status id (`implementing`) or the tracker's marker (`[IMPLEMENTING]`).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub force: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reason: Option<String>,
    /// Compare-and-swap: only if the status is this one now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub expect_from: Option<String>,
    /// The day or instant for timestamp fields, instead of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub date: Option<String>,
    /// The agent asking: refused while another agent claims the task, unless forced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub agent: Option<String>,
    /// The agent's session (its MCP server's process): a claim that session holds is its own,
    /// whatever name either was made under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub holder_pid: Option<u32>,
}

/// `taskmark.taskInfo`, `taskmark.pickStatus` (also `[task]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TaskParams {
    pub task: String,
}

/// `taskmark.claimTask` and `taskmark.releaseTask` (`minutes` only for a claim: 1 to 1440,
/// 30 unless given). `holderPid` names the process the claim ends with (an agent's MCP server
/// on this machine): its claims are its session's, which another session renews or releases
/// only with `force`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ClaimParams {
    pub task: String,
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub minutes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub holder_pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub force: Option<bool>,
}

/// `taskmark.listTasks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ListTasksParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub status: Option<String>,
    /// todo, active, blocked, done or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tracker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub blocked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub archived: Option<bool>,
    /// Fuzzy text over id and title, as workspace symbols match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub filter: Option<String>,
}

/// `taskmark.taskAt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TaskAtParams {
    pub uri: String,
    pub position: Position,
}

/// `taskmark.diagnostics`: files or folders relative to the root, rule codes, at most `limit`
/// (50 unless given, 1000 at most).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DiagnosticsParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub codes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub limit: Option<u64>,
}

/// A file the task produced, to link from it: `{kind: "research", path:
/// "specs/302_x/reports/research-001.md"}` (the path from the workspace root).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ArtifactLink {
    pub kind: String,
    pub path: String,
}

/// `taskmark.board`: every tracker's columns, every task as a card, the dependency graph's
/// dead chains and critical path (the answer is the service's `BoardAnswer`), for the board.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct BoardParams {
    /// A tracker's folder or family; every tracker when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tracker: Option<String>,
    /// The `generation` of the board the asker holds: when it is still this session's last
    /// board, the answer holds only the cards that changed since (`since` says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub since: Option<String>,
}

/// `taskmark.openBoard`'s answer: where the daemon serves the workspace's board (a loopback
/// address with this user's token; the address opens it in a browser).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct OpenBoardAnswer {
    pub url: String,
}

/// `taskmark.nextTasks`: the tasks ready to start, ranked, and what holds the others back
/// (the answer is the service's `NextAnswer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct NextTasksParams {
    /// A tracker's folder or family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tracker: Option<String>,
    /// How many ready tasks (and held ones) to give: 10 unless given, 200 at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub limit: Option<u32>,
    /// Also propose this many ready tasks that touch no file in common, to run at once (20 at
    /// most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub parallel: Option<u32>,
}

/// `taskmark.fix`: only these rules' safe fixes (every safe fix unless given); with `dryRun`,
/// what it would do, written nowhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct FixParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub codes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub dry_run: Option<bool>,
}

/// `taskmark.newTask` (also `[title]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct NewTaskParams {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tracker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub depends_on: Option<IdList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub plan: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub heading: Option<String>,
    /// Other fields the tracker's task standard asks for, by name (`{"Language": "lean"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// Acceptance criteria, each written as an open box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub acceptance_criteria: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub dry_run: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub no_branches: Option<bool>,
    /// The workspace folder to create it in, in a window of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub uri: Option<String>,
}

/// `taskmark.editTask`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct EditTaskParams {
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub add_dependencies: Option<IdList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub remove_dependencies: Option<IdList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub description: Option<String>,
    /// Boxes to tick: numbers from 1, pieces of their text (commas and all), or `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tick: Option<Vec<Id>>,
    /// Boxes to open again, named the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub untick: Option<Vec<Id>>,
    /// Whose boxes: that phase of the task's current plan (default: the task's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub phase: Option<Id>,
    /// A status for that phase (`completed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub phase_status: Option<String>,
    /// Files to link from the task as its artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub artifacts: Option<Vec<ArtifactLink>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub dry_run: Option<bool>,
}

/// `taskmark.archiveTasks`: the tasks named, or with `done` every finished one (of `tracker`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ArchiveTasksParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tasks: Option<IdList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub done: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tracker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub dry_run: Option<bool>,
}

// ---- answers --------------------------------------------------------------------------------

/// An agent's claim on a task (RFC 3339 times).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct Claim {
    pub agent: String,
    pub since: String,
    pub until: String,
    /// The process the claim ends with (an agent's session), when one holds it.
    #[serde(rename = "holderPid", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub holder_pid: Option<u32>,
}

/// A plan's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct Progress {
    pub plan: String,
    pub phases: u32,
    pub phases_done: u32,
    pub checkboxes: u32,
    pub checkboxes_done: u32,
}

/// A place of a task in `taskmark.listTasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ListedPlace {
    pub path: String,
    pub uri: Option<String>,
    /// What kind of place: `TODO.md section`, `state.json entry`, ...
    pub kind: String,
    pub value: String,
}

/// A dependency in `taskmark.listTasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ListedDependency {
    pub id: String,
    pub status: Option<String>,
    pub done: bool,
}

/// One entry of `taskmark.listTasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ListedTask {
    /// `specs:12`: what to pass back.
    pub task: String,
    pub id: String,
    pub scope: String,
    pub title: Option<String>,
    pub status: Option<String>,
    /// todo, active, blocked, done or cancelled.
    pub kind: Option<String>,
    pub family: Option<String>,
    pub agrees: bool,
    pub archived: bool,
    pub dependencies: Vec<ListedDependency>,
    pub progress: Option<Progress>,
    pub uri: Option<String>,
    pub range: Range,
    pub places: Vec<ListedPlace>,
    pub claim: Option<Claim>,
}

/// `taskmark.taskAt`: the task under the cursor (`null` when there is none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TaskAt {
    pub task: String,
    pub id: String,
    pub title: Option<String>,
    pub status: Option<String>,
}

/// A place of a task in `taskmark.taskInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct InfoPlace {
    pub file: String,
    /// One-based.
    pub line: u32,
    pub kind: String,
    pub value: String,
    pub agrees: bool,
    /// False for a marker outside the vocabulary: it neither agrees nor disagrees.
    pub known: bool,
    /// False for a plan that is not the task's current one.
    pub current: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct InfoDependency {
    pub task: String,
    pub status: Option<String>,
}

/// A status the picker offers; `allowed` is false for one only force can reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct StatusChoice {
    pub status: String,
    pub display: String,
    pub allowed: bool,
}

/// `taskmark.taskInfo`: what `taskmark show --format json` prints, with URIs, choices and the
/// claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TaskInfo {
    pub task: String,
    pub id: String,
    pub scope: String,
    pub title: Option<String>,
    pub status: Option<String>,
    pub archived: bool,
    pub places: Vec<InfoPlace>,
    pub progress: Option<Progress>,
    pub dependencies: Vec<InfoDependency>,
    /// The statuses the vocabulary allows next (displayed).
    pub next: Vec<String>,
    pub choices: Vec<StatusChoice>,
    pub claim: Option<Claim>,
    /// What the repository's other worktrees say of the task (absent when none has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub elsewhere: Option<Vec<ElsewhereStatus>>,
}

/// A task as another worktree of the repository has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ElsewhereStatus {
    /// Its branch (or folder, when its HEAD is detached).
    pub worktree: String,
    pub status: Option<String>,
    /// todo, active, blocked, done or cancelled.
    pub kind: Option<String>,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TrackerStatus {
    pub status: String,
    pub display: String,
    pub kind: String,
    /// The status `taskmark.newTask` gives unless told.
    pub default: bool,
}

/// One entry of `taskmark.trackers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TrackerInfo {
    pub tracker: String,
    pub family: String,
    /// The workspace folder's URI.
    pub folder: Option<String>,
    pub writable: bool,
    pub statuses: Vec<TrackerStatus>,
}

/// What `taskmark.setStatus` and `taskmark.fix` answer once applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ChangeResult {
    pub applied: bool,
    /// Every place already said it: nothing was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub unchanged: Option<bool>,
    pub label: String,
    /// URIs of every document the change reached.
    pub files: Vec<String>,
    /// Workspace-relative paths the server wrote on disk.
    pub written: Vec<String>,
    pub warnings: Vec<String>,
    /// `taskmark.fix`: how many problems of each rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "Record<string, number>"))]
    pub fixed: Option<std::collections::BTreeMap<String, usize>>,
    /// `taskmark.fix`: the safe fixes it left out, and why.
    #[serde(default, rename = "heldBack", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        test,
        ts(optional, type = "Array<{ file: string, line: number, code: string, message: string, why: string }>")
    )]
    pub held_back: Option<Vec<crate::service::fixing::HeldBackFix>>,
    /// `taskmark.fix` with `dryRun`: the change as a unified diff (nothing was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub diff: Option<String>,
    /// `taskmark.setStatus`: what the change edited in each file (workspace-relative paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub changed: Option<Vec<ChangedFile>>,
}

/// One file a status change edited, and what it edited there: `status`, `Task Order line`,
/// `header`, the fields it wrote (`started`), counters (`task_counts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ChangedFile {
    pub path: String,
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct Moved {
    pub from: String,
    pub to: String,
}

/// What `taskmark.newTask`, `taskmark.editTask` and `taskmark.archiveTasks` answer (a dry run:
/// `dryRun` and the `diff`, nothing written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct LifecycleResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub applied: Option<bool>,
    pub dry_run: bool,
    pub label: String,
    /// Workspace-relative paths changed.
    pub files: Vec<String>,
    pub created: Vec<String>,
    pub moved: Vec<Moved>,
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub written: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub uris: Option<Vec<String>>,
    /// A dry run's unified diff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub diff: Option<String>,
    /// `newTask`, `editTask`: the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub task: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub id: Option<String>,
    /// `newTask`: what it created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tracker: Option<String>,
    /// `archiveTasks`: the tasks archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tasks: Option<Vec<String>>,
}

/// `taskmark.claimTask` (`renewed`) and `taskmark.releaseTask` (`released`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ClaimResult {
    pub task: String,
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub renewed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub released: Option<bool>,
    /// `claimTask`: the process the claim ends with (an agent's session), when one holds it.
    #[serde(rename = "holderPid", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub holder_pid: Option<u32>,
    /// `claimTask`: what the claimant should know (another worktree took the task up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DiagnosticsSummary {
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    pub hints: u32,
    /// Every diagnostic that matched.
    pub total: u32,
    /// How many are in `diagnostics`.
    pub shown: u32,
}

/// `taskmark.diagnostics`, most severe first. Each diagnostic is `taskmark check --format
/// json`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DiagnosticsResult {
    pub summary: DiagnosticsSummary,
    #[cfg_attr(test, ts(type = "Array<Record<string, unknown>>"))]
    pub diagnostics: Vec<crate::views::DiagnosticView>,
}

/// What makes a refused request go through when it is asked again: `force: true`, a
/// `reason`, or `noBranches: true` (a refusal's `override`; absent where nothing does, and
/// from servers older than it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub enum Override {
    Force,
    Reason,
    NoBranches,
}

/// The `data` of a refused command: why, in terms an editor or agent can act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Refusal {
    InvalidTransition {
        task: String,
        from: String,
        to: String,
        allowed: Vec<String>,
        #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        way_out: Option<Override>,
    },
    NeedsReason {
        status: String,
        field: String,
        #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        way_out: Option<Override>,
    },
    UnknownStatus {
        status: String,
        known: Vec<String>,
    },
    /// A compare-and-swap that lost (`task`, `expected`, `current`), or a file that changed
    /// on disk while it was being written (`path`).
    Conflict {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        task: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        expected: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        current: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        path: Option<String>,
    },
    /// Another agent (or another session) claims the task; `holderPid` is the process the
    /// claim ends with, when one holds it.
    Claimed {
        task: String,
        agent: String,
        since: String,
        until: String,
        #[serde(rename = "holderPid", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional, type = "number"))]
        holder_pid: Option<u32>,
        #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        way_out: Option<Override>,
    },
    PlanAhead {
        task: String,
        path: String,
        #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        way_out: Option<Override>,
    },
    /// `override` for a status change (forced, it goes through); none for a new task, an edit
    /// or an archive, which can only be asked for otherwise.
    LeavesDrift {
        found: Vec<String>,
        #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        way_out: Option<Override>,
    },
    ChangedOnDisk {
        paths: Vec<String>,
    },
    OpenElsewhere {
        path: String,
    },
    OpenMoved {
        path: String,
    },
    Exists {
        path: String,
    },
    /// `newTask` without a tracker where several could take it: which.
    ChooseTracker {
        trackers: Vec<String>,
    },
    /// The other branches' ids could not be read (`newTask`).
    OtherBranches {
        #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        way_out: Option<Override>,
    },
    /// A file of the task's tracker cannot be read (binary, not a regular file, a store that
    /// does not parse), or holds bytes that are not its text (`path`): nothing could be
    /// written there.
    Unreadable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        path: Option<String>,
    },
    Refused {},
}

/// `taskmark/taskChanged`: a change every editor on the workspace hears of. A status change has
/// `from`/`to`; a lifecycle change has `action` (`created`, `edited`, `archived`); `fixed` is
/// `taskmark fix` (no one task: `task` is empty and `title` says what was fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct TaskChanged {
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub action: Option<String>,
    /// The status before a status change (absent for lifecycle changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub title: Option<String>,
    /// `archived`: every task the archive moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tasks: Option<Vec<String>>,
    pub files: Vec<String>,
    /// The files of `files` the origin wrote on disk that the receiving editor has open with no
    /// unsaved change: the editor reads those again from disk, and gets no edit for them. Every
    /// other open file of the change comes as an edit, so reading it again would race that
    /// edit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub reload: Vec<String>,
    /// Who changed it: the editor or agent, and its session.
    pub origin: String,
    /// The receiving editor made it.
    pub mine: bool,
}

impl TaskChanged {
    /// A lifecycle change's notice; `files`, `origin` and `mine` are set per editor.
    pub fn lifecycle(action: &str, task: String) -> TaskChanged {
        TaskChanged {
            task,
            action: Some(action.to_string()),
            from: None,
            to: None,
            title: None,
            tasks: None,
            files: Vec::new(),
            reload: Vec::new(),
            origin: String::new(),
            mine: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type of the protocol, in the order `lsp_ext.ts` declares them.
    fn declarations() -> Vec<(Option<String>, String)> {
        fn of<T: TS>() -> (Option<String>, String) {
            (T::docs(), T::decl())
        }
        vec![
            of::<Position>(),
            of::<Id>(),
            of::<IdList>(),
            of::<Range>(),
            of::<SetStatusParams>(),
            of::<TaskParams>(),
            of::<ClaimParams>(),
            of::<ListTasksParams>(),
            of::<TaskAtParams>(),
            of::<DiagnosticsParams>(),
            of::<NextTasksParams>(),
            of::<BoardParams>(),
            of::<OpenBoardAnswer>(),
            of::<FixParams>(),
            of::<NewTaskParams>(),
            of::<ArtifactLink>(),
            of::<EditTaskParams>(),
            of::<ArchiveTasksParams>(),
            of::<Claim>(),
            of::<Progress>(),
            of::<ListedPlace>(),
            of::<ListedDependency>(),
            of::<ListedTask>(),
            of::<TaskAt>(),
            of::<InfoPlace>(),
            of::<InfoDependency>(),
            of::<StatusChoice>(),
            of::<TaskInfo>(),
            of::<ElsewhereStatus>(),
            of::<TrackerStatus>(),
            of::<TrackerInfo>(),
            of::<ChangeResult>(),
            of::<ChangedFile>(),
            of::<Moved>(),
            of::<LifecycleResult>(),
            of::<ClaimResult>(),
            of::<DiagnosticsSummary>(),
            of::<DiagnosticsResult>(),
            of::<Override>(),
            of::<Refusal>(),
            of::<TaskChanged>(),
        ]
    }

    fn generated() -> String {
        let mut out = String::from(
            "// Generated from server/lsp/src/ext.rs by `cargo test` (ts-rs): do not edit.\n\
             // `TASKMARK_UPDATE_FIXTURES=1 cargo test -p taskmark --lib lsp_ext` writes it again.\n",
        );
        for (docs, declaration) in declarations() {
            out.push('\n');
            if let Some(docs) = docs {
                out.push_str(&docs);
                if !docs.ends_with('\n') {
                    out.push('\n');
                }
            }
            out.push_str("export ");
            out.push_str(&declaration);
            out.push('\n');
        }
        out
    }

    /// The VS Code extension's types are these: `editors/vscode/src/lsp_ext.ts` is generated
    /// from this module and must be current.
    #[test]
    fn lsp_ext_ts_is_generated_from_this_module() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/vscode/src/lsp_ext.ts");
        let expected = generated();
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != expected {
            if std::env::var_os("TASKMARK_UPDATE_FIXTURES").is_some() {
                std::fs::write(&path, &expected).expect("lsp_ext.ts written");
            } else {
                panic!(
                    "{} is not what lsp/ext.rs generates; rerun with TASKMARK_UPDATE_FIXTURES=1, then `bash editors/vscode/ci.sh`",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn id_lists_are_lists_or_comma_separated_text() {
        let read = |json: serde_json::Value| serde_json::from_value::<IdList>(json).map(|it| it.ids());
        assert_eq!(read(serde_json::json!(["12", 14, " "])).ok(), Some(vec!["12".to_string(), "14".to_string()]));
        assert_eq!(read(serde_json::json!("12, 14,")).ok(), Some(vec!["12".to_string(), "14".to_string()]));
        assert!(read(serde_json::json!([true])).is_err());
    }

    #[test]
    fn refusals_are_tagged_by_kind() {
        let refusal = Refusal::NeedsReason {
            status: "[BLOCKED]".into(),
            field: "Blocking Reason".into(),
            way_out: Some(Override::Reason),
        };
        let json = serde_json::to_value(&refusal).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({ "kind": "needsReason", "status": "[BLOCKED]", "field": "Blocking Reason", "override": "reason" })
        );
        assert!(serde_json::from_value::<Refusal>(serde_json::json!({ "kind": "nope" })).is_err());
    }
}
