// Generated from server/lsp/src/ext.rs by `cargo test` (ts-rs): do not edit.
// `TASKMARK_UPDATE_FIXTURES=1 cargo test -p taskmark --lib lsp_ext` writes it again.

export type Position = { line: number, character: number, };

/**
 * One task id, as text or as a number.
 */
export type Id = string | bigint;

/**
 * Task ids: a list (`["12", 14]`) or one text of ids separated by commas (`"12, 14"`).
 */
export type IdList = string | Array<Id>;

/**
 * A position range, as LSP has it (zero-based lines, characters in the negotiated encoding).
 */
export type Range = { start: Position, end: Position, };

/**
 * `taskmark.setStatus` (also `[task, status]`).
 */
export type SetStatusParams = { 
/**
 * `221`, or `specs:221` when several trackers have that id.
 */
task: string, 
/**
 * A status id (`implementing`) or the tracker's marker (`[IMPLEMENTING]`).
 */
status: string, force?: boolean, reason?: string, 
/**
 * Compare-and-swap: only if the status is this one now.
 */
expectFrom?: string, 
/**
 * The day or instant for timestamp fields, instead of now.
 */
date?: string, 
/**
 * The agent asking: refused while another agent claims the task, unless forced.
 */
agent?: string, 
/**
 * The agent's session (its MCP server's process): a claim that session holds is its own,
 * whatever name either was made under.
 */
holderPid?: number, };

/**
 * `taskmark.taskInfo`, `taskmark.pickStatus` (also `[task]`).
 */
export type TaskParams = { task: string, };

/**
 * `taskmark.claimTask` and `taskmark.releaseTask` (`minutes` only for a claim: 1 to 1440,
 * 30 unless given). `holderPid` names the process the claim ends with (an agent's MCP server
 * on this machine): its claims are its session's, which another session renews or releases
 * only with `force`.
 */
export type ClaimParams = { task: string, agent: string, minutes?: number, holderPid?: number, force?: boolean, };

/**
 * `taskmark.listTasks`.
 */
export type ListTasksParams = { status?: string, 
/**
 * todo, active, blocked, done or cancelled.
 */
kind?: string, tracker?: string, ready?: boolean, blocked?: boolean, archived?: boolean, 
/**
 * Fuzzy text over id and title, as workspace symbols match.
 */
filter?: string, };

/**
 * `taskmark.taskAt`.
 */
export type TaskAtParams = { uri: string, position: Position, };

/**
 * `taskmark.diagnostics`: files or folders relative to the root, rule codes, at most `limit`
 * (50 unless given, 1000 at most).
 */
export type DiagnosticsParams = { paths?: Array<string>, codes?: Array<string>, limit?: number, };

/**
 * `taskmark.nextTasks`: the tasks ready to start, ranked, and what holds the others back
 * (the answer is the service's `NextAnswer`).
 */
export type NextTasksParams = { 
/**
 * A tracker's folder or family.
 */
tracker?: string, 
/**
 * How many ready tasks (and held ones) to give: 10 unless given, 200 at most.
 */
limit?: number, 
/**
 * Also propose this many ready tasks that touch no file in common, to run at once (20 at
 * most).
 */
parallel?: number, };

/**
 * `taskmark.board`: every tracker's columns, every task as a card, the dependency graph's
 * dead chains and critical path (the answer is the service's `BoardAnswer`), for the board.
 */
export type BoardParams = { 
/**
 * A tracker's folder or family; every tracker when not given.
 */
tracker?: string, 
/**
 * The `generation` of the board the asker holds: when it is still this session's last
 * board, the answer holds only the cards that changed since (`since` says so).
 */
since?: string, };

/**
 * `taskmark.openBoard`'s answer: where the daemon serves the workspace's board (a loopback
 * address with this user's token; the address opens it in a browser).
 */
export type OpenBoardAnswer = { url: string, };

/**
 * `taskmark.fix`: only these rules' safe fixes (every safe fix unless given); with `dryRun`,
 * what it would do, written nowhere.
 */
export type FixParams = { codes?: Array<string>, dryRun?: boolean, };

/**
 * `taskmark.newTask` (also `[title]`).
 */
export type NewTaskParams = { title: string, tracker?: string, status?: string, priority?: string, dependsOn?: IdList, description?: string, plan?: boolean, heading?: string, 
/**
 * Other fields the tracker's task standard asks for, by name (`{"Language": "lean"}`).
 */
fields?: { [key in string]?: string }, 
/**
 * Acceptance criteria, each written as an open box.
 */
acceptanceCriteria?: Array<string>, date?: string, dryRun?: boolean, noBranches?: boolean, 
/**
 * The workspace folder to create it in, in a window of several.
 */
uri?: string, };

/**
 * A file the task produced, to link from it: `{kind: "research", path:
 * "specs/302_x/reports/research-001.md"}` (the path from the workspace root).
 */
export type ArtifactLink = { kind: string, path: string, };

/**
 * `taskmark.editTask`.
 */
export type EditTaskParams = { task: string, title?: string, priority?: string, addDependencies?: IdList, removeDependencies?: IdList, description?: string, 
/**
 * Boxes to tick: numbers from 1, pieces of their text (commas and all), or `all`.
 */
tick?: Array<Id>, 
/**
 * Boxes to open again, named the same way.
 */
untick?: Array<Id>, 
/**
 * Whose boxes: that phase of the task's current plan (default: the task's own).
 */
phase?: Id, 
/**
 * A status for that phase (`completed`).
 */
phaseStatus?: string, 
/**
 * Files to link from the task as its artifacts.
 */
artifacts?: Array<ArtifactLink>, dryRun?: boolean, };

/**
 * `taskmark.archiveTasks`: the tasks named, or with `done` every finished one (of `tracker`).
 */
export type ArchiveTasksParams = { tasks?: IdList, done?: boolean, tracker?: string, date?: string, dryRun?: boolean, };

/**
 * An agent's claim on a task (RFC 3339 times).
 */
export type Claim = { agent: string, since: string, until: string, 
/**
 * The process the claim ends with (an agent's session), when one holds it.
 */
holderPid?: number, };

/**
 * A plan's progress.
 */
export type Progress = { plan: string, phases: number, phases_done: number, checkboxes: number, checkboxes_done: number, };

/**
 * A place of a task in `taskmark.listTasks`.
 */
export type ListedPlace = { path: string, uri: string | null, 
/**
 * What kind of place: `TODO.md section`, `state.json entry`, ...
 */
kind: string, value: string, };

/**
 * A dependency in `taskmark.listTasks`.
 */
export type ListedDependency = { id: string, status: string | null, done: boolean, };

/**
 * One entry of `taskmark.listTasks`.
 */
export type ListedTask = { 
/**
 * `specs:12`: what to pass back.
 */
task: string, id: string, scope: string, title: string | null, status: string | null, 
/**
 * todo, active, blocked, done or cancelled.
 */
kind: string | null, family: string | null, agrees: boolean, archived: boolean, dependencies: Array<ListedDependency>, progress: Progress | null, uri: string | null, range: Range, places: Array<ListedPlace>, claim: Claim | null, };

/**
 * `taskmark.taskAt`: the task under the cursor (`null` when there is none).
 */
export type TaskAt = { task: string, id: string, title: string | null, status: string | null, };

/**
 * A place of a task in `taskmark.taskInfo`.
 */
export type InfoPlace = { file: string, 
/**
 * One-based.
 */
line: number, kind: string, value: string, agrees: boolean, 
/**
 * False for a marker outside the vocabulary: it neither agrees nor disagrees.
 */
known: boolean, 
/**
 * False for a plan that is not the task's current one.
 */
current: boolean, uri?: string, };

export type InfoDependency = { task: string, status: string | null, };

/**
 * A status the picker offers; `allowed` is false for one only force can reach.
 */
export type StatusChoice = { status: string, display: string, allowed: boolean, };

/**
 * `taskmark.taskInfo`: what `taskmark show --format json` prints, with URIs, choices and the
 * claim.
 */
export type TaskInfo = { task: string, id: string, scope: string, title: string | null, status: string | null, archived: boolean, places: Array<InfoPlace>, progress: Progress | null, dependencies: Array<InfoDependency>, 
/**
 * The statuses the vocabulary allows next (displayed).
 */
next: Array<string>, choices: Array<StatusChoice>, claim: Claim | null, 
/**
 * What the repository's other worktrees say of the task (absent when none has it).
 */
elsewhere?: Array<ElsewhereStatus>, };

/**
 * A task as another worktree of the repository has it.
 */
export type ElsewhereStatus = { 
/**
 * Its branch (or folder, when its HEAD is detached).
 */
worktree: string, status: string | null, 
/**
 * todo, active, blocked, done or cancelled.
 */
kind: string | null, archived: boolean, };

export type TrackerStatus = { status: string, display: string, kind: string, 
/**
 * The status `taskmark.newTask` gives unless told.
 */
default: boolean, };

/**
 * One entry of `taskmark.trackers`.
 */
export type TrackerInfo = { tracker: string, family: string, 
/**
 * The workspace folder's URI.
 */
folder: string | null, writable: boolean, statuses: Array<TrackerStatus>, };

/**
 * What `taskmark.setStatus` and `taskmark.fix` answer once applied.
 */
export type ChangeResult = { applied: boolean, 
/**
 * Every place already said it: nothing was written.
 */
unchanged?: boolean, label: string, 
/**
 * URIs of every document the change reached.
 */
files: Array<string>, 
/**
 * Workspace-relative paths the server wrote on disk.
 */
written: Array<string>, warnings: Array<string>, 
/**
 * `taskmark.fix`: how many problems of each rule.
 */
fixed?: Record<string, number>, 
/**
 * `taskmark.fix`: the safe fixes it left out, and why.
 */
heldBack?: Array<{ file: string, line: number, code: string, message: string, why: string }>, 
/**
 * `taskmark.fix` with `dryRun`: the change as a unified diff (nothing was written).
 */
diff?: string, 
/**
 * `taskmark.setStatus`: what the change edited in each file (workspace-relative paths).
 */
changed?: Array<ChangedFile>, };

/**
 * One file a status change edited, and what it edited there: `status`, `Task Order line`,
 * `header`, the fields it wrote (`started`), counters (`task_counts`).
 */
export type ChangedFile = { path: string, changed: Array<string>, };

export type Moved = { from: string, to: string, };

/**
 * What `taskmark.newTask`, `taskmark.editTask` and `taskmark.archiveTasks` answer (a dry run:
 * `dryRun` and the `diff`, nothing written).
 */
export type LifecycleResult = { applied?: boolean, dryRun: boolean, label: string, 
/**
 * Workspace-relative paths changed.
 */
files: Array<string>, created: Array<string>, moved: Array<Moved>, warnings: Array<string>, written?: Array<string>, uris?: Array<string>, 
/**
 * A dry run's unified diff.
 */
diff?: string, 
/**
 * `newTask`, `editTask`: the task.
 */
task?: string, id?: string, 
/**
 * `newTask`: what it created.
 */
title?: string, status?: string, tracker?: string, 
/**
 * `archiveTasks`: the tasks archived.
 */
tasks?: Array<string>, };

/**
 * `taskmark.claimTask` (`renewed`) and `taskmark.releaseTask` (`released`).
 */
export type ClaimResult = { task: string, agent: string, since?: string, until?: string, renewed?: boolean, released?: boolean, 
/**
 * `claimTask`: the process the claim ends with (an agent's session), when one holds it.
 */
holderPid?: number, 
/**
 * `claimTask`: what the claimant should know (another worktree took the task up).
 */
warnings?: Array<string>, };

export type DiagnosticsSummary = { errors: number, warnings: number, infos: number, hints: number, 
/**
 * Every diagnostic that matched.
 */
total: number, 
/**
 * How many are in `diagnostics`.
 */
shown: number, };

/**
 * `taskmark.diagnostics`, most severe first. Each diagnostic is `taskmark check --format
 * json`'s.
 */
export type DiagnosticsResult = { summary: DiagnosticsSummary, diagnostics: Array<Record<string, unknown>>, };

/**
 * What makes a refused request go through when it is asked again: `force: true`, a
 * `reason`, or `noBranches: true` (a refusal's `override`; absent where nothing does, and
 * from servers older than it).
 */
export type Override = "force" | "reason" | "noBranches";

/**
 * The `data` of a refused command: why, in terms an editor or agent can act on.
 */
export type Refusal = { "kind": "invalidTransition", task: string, from: string, to: string, allowed: Array<string>, override?: Override, } | { "kind": "needsReason", status: string, field: string, override?: Override, } | { "kind": "unknownStatus", status: string, known: Array<string>, } | { "kind": "conflict", task?: string, expected?: string, current?: string, path?: string, } | { "kind": "claimed", task: string, agent: string, since: string, until: string, holderPid?: number, override?: Override, } | { "kind": "planAhead", task: string, path: string, override?: Override, } | { "kind": "leavesDrift", found: Array<string>, override?: Override, } | { "kind": "changedOnDisk", paths: Array<string>, } | { "kind": "openElsewhere", path: string, } | { "kind": "openMoved", path: string, } | { "kind": "exists", path: string, } | { "kind": "chooseTracker", trackers: Array<string>, } | { "kind": "otherBranches", override?: Override, } | { "kind": "unreadable", path?: string, } | { "kind": "refused", };

/**
 * `taskmark/taskChanged`: a change every editor on the workspace hears of. A status change has
 * `from`/`to`; a lifecycle change has `action` (`created`, `edited`, `archived`); `fixed` is
 * `taskmark fix` (no one task: `task` is empty and `title` says what was fixed).
 */
export type TaskChanged = { task: string, action?: string, 
/**
 * The status before a status change (absent for lifecycle changes).
 */
from?: string, to?: string, title?: string, 
/**
 * `archived`: every task the archive moved.
 */
tasks?: Array<string>, files: Array<string>, 
/**
 * The files of `files` the origin wrote on disk that the receiving editor has open with no
 * unsaved change: the editor reads those again from disk, and gets no edit for them. Every
 * other open file of the change comes as an edit, so reading it again would race that
 * edit.
 */
reload?: Array<string>, 
/**
 * Who changed it: the editor or agent, and its session.
 */
origin: string, 
/**
 * The receiving editor made it.
 */
mine: boolean, };
