// The server's task JSON, turned into what the pickers, the task view, the status bar and the
// notifications show. No `vscode` import: unit-tested with plain node.

import type { LifecycleResult, ListedTask, StatusChoice, TaskAt, TaskChanged, TaskInfo, TrackerInfo } from '../lsp_ext';

// The protocol's types, generated from the server (src/lsp_ext.ts).
export type { ListedTask, StatusChoice, TaskAt, TaskChanged, TaskInfo, TrackerInfo };

/** `taskmark.newTask`'s answer. */
export type NewTaskResult = LifecycleResult;
/** `taskmark.archiveTasks`'s answer (a dry run's too). */
export type ArchiveResult = LifecycleResult;

/** What the status picker needs of an entry of `taskmark.listTasks`. */
export type TaskListEntry = Pick<ListedTask, 'task' | 'id' | 'scope' | 'title' | 'status' | 'places'>;



export interface Place {
  file?: string;
  line?: number;
  kind?: string;
  value?: string;
  agrees?: boolean;
  /** False for a marker outside the vocabulary: it neither agrees nor disagrees. */
  known?: boolean;
  current?: boolean;
  uri?: string;
}



/** A quick pick row, in the shape of vscode.QuickPickItem plus what was picked. */
export interface PickRow<T> {
  label: string;
  description?: string;
  detail?: string;
  /** A separator row (vscode.QuickPickItemKind.Separator). */
  separator?: boolean;
  picked?: boolean;
  value?: T;
}

function plural(count: number, one: string, many = one + 's'): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The task picker: the task under the cursor first (marked), then the others in the server's
 * order. Each row shows the id, the title and the status, and which files state it.
 */
export function taskPickRows(tasks: TaskListEntry[], current?: TaskAt | null): PickRow<TaskListEntry>[] {
  const rows: PickRow<TaskListEntry>[] = [];
  const here = current ? tasks.find((it) => it.task === current.task) : undefined;
  const row = (entry: TaskListEntry, isCurrent: boolean): PickRow<TaskListEntry> => {
    const files = [...new Set((entry.places ?? []).map((it) => it.path))];
    return {
      label: `${entry.id}  ${entry.title ?? '(untitled)'}`,
      description: `${entry.status ?? '(no status)'}${isCurrent ? '  · under the cursor' : ''}`,
      detail: files.length ? `${entry.scope ? entry.scope + ' · ' : ''}${plural(files.length, 'file')}: ${files.join(', ')}` : undefined,
      picked: isCurrent,
      value: entry,
    };
  };
  if (here) {
    rows.push({ label: 'under the cursor', separator: true });
    rows.push(row(here, true));
    rows.push({ label: 'all tasks', separator: true });
  }
  for (const entry of tasks) {
    if (entry !== here) rows.push(row(entry, false));
  }
  return rows;
}

export interface StatusPick {
  status: string;
  display: string;
  /** Not an allowed transition: needs a confirmation, then `force: true`. */
  force: boolean;
}

/** The status picker: allowed next statuses, then the forbidden ones in their own section. */
export function statusPickRows(info: TaskInfo): PickRow<StatusPick>[] {
  const choices = info.choices ?? [];
  const allowed = choices.filter((it) => it.allowed);
  const forced = choices.filter((it) => !it.allowed);
  const rows: PickRow<StatusPick>[] = [];
  if (allowed.length) {
    rows.push({ label: 'allowed next statuses', separator: true });
    for (const choice of allowed) {
      rows.push({
        label: choice.display,
        description: choice.status,
        value: { status: choice.status, display: choice.display, force: false },
      });
    }
  }
  if (forced.length) {
    rows.push({ label: 'not allowed from ' + (info.status ?? 'here') + ' (force, asks first)', separator: true });
    for (const choice of forced) {
      rows.push({
        label: `$(warning) Force ${choice.display}`,
        description: choice.status,
        detail: `${info.status ?? '?'} → ${choice.display} is not an allowed transition`,
        value: { status: choice.status, display: choice.display, force: true },
      });
    }
  }
  return rows;
}

/** The title of the status picker. */
export function statusPickTitle(info: TaskInfo): string {
  return `Task ${info.id ?? info.task ?? '?'}${info.title ? ` (${info.title})` : ''} is ${info.status ?? 'without status'}. Set it to:`;
}

/** The modal confirmation before a forced status change. */
export function forceConfirmation(info: TaskInfo, pick: StatusPick): string {
  return `${info.status ?? '?'} → ${pick.display} is not an allowed transition for task ${info.id ?? info.task ?? '?'}. Force it?`;
}

/** A refusal's `data` (`{kind, ...}`), which servers from this version on send. */
function refusalData(refusal: unknown): Record<string, unknown> | undefined {
  const data = typeof refusal === 'object' && refusal !== null ? (refusal as { data?: unknown }).data : undefined;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
}

function refusalMessage(refusal: unknown): string | undefined {
  if (typeof refusal === 'string') return refusal;
  const message = typeof refusal === 'object' && refusal !== null ? (refusal as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}

/** The allowed statuses of a refused transition (ids from its `data`, else the display forms its message names). */
export function allowedFromRefusal(refusal: unknown): string[] | undefined {
  const data = refusalData(refusal);
  if (data?.kind === 'invalidTransition' && Array.isArray(data.allowed)) return data.allowed.filter((it): it is string => typeof it === 'string');
  const message = refusalMessage(refusal);
  if (message === undefined) return undefined;
  const match = /the vocabulary allows (.*?) \(set `force` to override\)/.exec(message);
  if (!match) return undefined;
  return match[1] === 'nothing' || match[1].trim() === '' ? [] : match[1].split(/,\s*/).map((it) => it.trim()).filter(Boolean);
}

/** The field a status needs: from the refusal's `data` (`{kind: "needsReason", field}`), else from its message
 * `` `[BLOCKED]` needs a **Blocking Reason**; pass it as `reason` ``. */
export function neededField(refusal: unknown): string | undefined {
  const data = refusalData(refusal);
  if (data?.kind === 'needsReason' && typeof data.field === 'string') return data.field;
  const message = refusalMessage(refusal);
  return message === undefined ? undefined : /needs a \*\*(.+?)\*\*/.exec(message)?.[1];
}

/** Arguments of `taskmark.setStatus`. */
export function setStatusArguments(task: string, status: string, force: boolean, reason?: string): Record<string, unknown> {
  const args: Record<string, unknown> = { task, status };
  if (force) args.force = true;
  if (reason && reason.trim()) args.reason = reason;
  return args;
}

/** The message after a status change this window made. */
export function setStatusSummary(result: { label?: string; files?: string[]; written?: string[] } | null | undefined, task: string, status: string): string {
  const label = result?.label ?? `Set status of ${task} to ${status}`;
  const count = (result?.files ?? []).length;
  return `${label} (${plural(count, 'file')})`;
}

/** The notification for another editor's status change, or undefined for this window's own. */
export function taskChangedMessage(params: TaskChanged | null | undefined): string | undefined {
  if (!params || typeof params !== 'object' || params.mine === true) return undefined;
  const files = params.files ?? [];
  const where = files.length ? ` in ${plural(files.length, 'file')}` : '';
  const origin = params.origin ? ` by ${params.origin}` : '';
  if (params.action === 'archived') {
    const tasks = (params.tasks ?? [params.task ?? '?']).join(', ');
    return `taskmark: archived ${tasks}${where}${origin}`;
  }
  if (params.action === 'fixed') {
    return `taskmark: ${params.title ?? 'fixed'}${where}${origin}`;
  }
  if (params.action === 'edited') {
    return `taskmark: task ${params.task ?? '?'} edited${params.title ? ` — ${params.title}` : ''}${where}${origin}`;
  }
  if (params.action === 'created') {
    return `taskmark: new task ${params.task ?? '?'}${params.title ? ` — ${params.title}` : ''} ${params.to ?? ''}${where}${origin}`;
  }
  return `taskmark: task ${params.task ?? '?'} ${params.from ?? '?'} → ${params.to ?? '?'}${where}${origin}`;
}

/** The status bar text for the task under the cursor (`$(tasklist)` is a codicon). */
export function statusBarText(at: TaskAt | null | undefined): string | undefined {
  if (!at) return undefined;
  return `$(tasklist) ${at.id} ${at.status ?? '(no status)'}`;
}

export function statusBarTooltip(at: TaskAt): string {
  return `taskmark: task ${at.task}${at.title ? ` — ${at.title}` : ''} is ${at.status ?? 'without status'}. Click to set its status.`;
}

function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}

function bar(done: number, total: number, width = 20): string {
  if (total <= 0) return '';
  const filled = Math.round((done / total) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/**
 * The Show Task view (markdown): status, the places table (file, line, kind, value, agrees),
 * plan progress, dependencies and the allowed next statuses. `link(place)` gives a place's
 * link target (a `file:` URI with the line), or undefined for none.
 */
export function renderTaskMarkdown(info: TaskInfo, link: (place: Place) => string | undefined = () => undefined): string {
  const id = info.id ?? info.task ?? '?';
  const lines: string[] = [];
  lines.push(`# Task ${escapeCell(id)} — ${escapeCell(info.title ?? '(untitled)')}`);
  lines.push('');
  const places = info.places ?? [];
  const disagree = places.filter((it) => it.current !== false && it.known !== false && it.agrees === false).length;
  const scope = info.scope ? ` · tracker ${code(info.scope)}` : '';
  const archived = info.archived ? ' · archived' : '';
  lines.push(
    `**Status:** ${info.status ? code(info.status) : 'unknown'}${scope}${archived}` +
      (disagree ? ` · ⚠ ${plural(disagree, 'place disagrees', 'places disagree')}` : places.length ? ' · all places agree' : ''),
  );
  lines.push('');
  lines.push('## Places');
  lines.push('');
  if (places.length === 0) {
    lines.push('_No place states this task._');
  } else {
    lines.push('| | Where | Kind | Value |');
    lines.push('|---|---|---|---|');
    for (const place of places) {
      const mark = place.current === false ? '·' : place.known === false ? '?' : place.agrees === false ? '✗' : '✓';
      const where = `${place.file ?? '?'}:${place.line ?? '?'}`;
      const target = link(place);
      const cell = target ? `[${escapeCell(where)}](${target})` : escapeCell(where);
      lines.push(`| ${mark} | ${cell} | ${escapeCell(place.kind ?? '')} | ${place.value ? code(place.value) : ''} |`);
    }
  }
  const progress = info.progress;
  if (progress && (progress.phases || progress.checkboxes)) {
    lines.push('');
    lines.push('## Progress');
    lines.push('');
    if (progress.plan) lines.push(`Plan: ${code(progress.plan)}`, '');
    const phases = progress.phases ?? 0;
    const boxes = progress.checkboxes ?? 0;
    if (phases) lines.push(`- Phases: ${progress.phases_done ?? 0}/${phases} \`${bar(progress.phases_done ?? 0, phases)}\``);
    if (boxes) lines.push(`- Checkboxes: ${progress.checkboxes_done ?? 0}/${boxes} \`${bar(progress.checkboxes_done ?? 0, boxes)}\``);
  }
  const dependencies = info.dependencies ?? [];
  lines.push('');
  lines.push('## Dependencies');
  lines.push('');
  if (dependencies.length === 0) {
    lines.push('_None._');
  } else {
    for (const dependency of dependencies) {
      lines.push(`- ${escapeCell(dependency.task)}: ${dependency.status ? code(dependency.status) : '_not found_'}`);
    }
  }
  lines.push('');
  lines.push('## Next');
  lines.push('');
  const next = info.next ?? (info.choices ?? []).filter((it) => it.allowed).map((it) => it.display);
  lines.push(next.length ? next.map(code).join(', ') : '_None: the status is terminal._');
  lines.push('');
  return lines.join('\n');
}

/** `taskmark check --format json`'s `summary`. */
export interface CheckSummary {
  errors?: number;
  warnings?: number;
  infos?: number;
  hints?: number;
  files?: number;
  tasks?: number;
  trackers?: number;
}

/** One line about a `taskmark check` run. */
export function checkSummaryMessage(summary: CheckSummary): string {
  const counts = [
    plural(summary.errors ?? 0, 'error'),
    plural(summary.warnings ?? 0, 'warning'),
  ];
  if (summary.infos) counts.push(plural(summary.infos, 'info', 'infos'));
  if (summary.hints) counts.push(plural(summary.hints, 'hint'));
  const clean = !summary.errors && !summary.warnings && !summary.infos && !summary.hints;
  return `taskmark check: ${clean ? 'no problems' : counts.join(', ')} in ${plural(summary.files ?? 0, 'file')} (${plural(summary.tasks ?? 0, 'task')}, ${plural(summary.trackers ?? 0, 'tracker')})`;
}

/** The task a command's arguments name: `[{task: "221"}]` or `["221"]`; null if none. */
export function taskArgument(args: unknown[] | undefined): string | null {
  const first = args?.[0];
  if (typeof first === 'string' && first.trim()) return first;
  if (first && typeof first === 'object' && typeof (first as { task?: unknown }).task === 'string') {
    return (first as { task: string }).task;
  }
  return null;
}

// ---- the task lifecycle: New Task…, List Tasks -------------------------------------------



/** The confirmation before Archive Done Tasks: which tasks, which files, which folders move. */
export function archiveConfirmation(plan: ArchiveResult): { message: string; detail: string } {
  const tasks = (plan.tasks ?? []).map((it) => it.replace(/^.*:/, ''));
  const moved = plan.moved ?? [];
  const edited = (plan.files ?? []).filter((file) => !moved.some((it) => it.from === file || it.to === file));
  const lines = [`Files changed: ${edited.join(', ') || 'none'}.`];
  for (const it of moved) lines.push(`Moved: ${it.from} → ${it.to}`);
  return {
    message: `Archive ${plural(tasks.length, 'finished task')} (${tasks.join(', ')})?`,
    detail: lines.join('\n'),
  };
}


/** How a tracker is named in pickers: its folder (`.` for the workspace root) and family. */
export function trackerLabel(tracker: TrackerInfo): string {
  return tracker.tracker === '' ? '.' : tracker.tracker;
}

/** The tracker picker of New Task…: the trackers that can take new tasks. */
export function trackerPickRows(trackers: TrackerInfo[]): PickRow<TrackerInfo>[] {
  return trackers
    .filter((it) => it.writable !== false)
    .map((it) => ({ label: trackerLabel(it), description: it.family, value: it }));
}

/**
 * Why a title would be refused, before asking the server (which checks it again): one line of
 * plain text, no markdown the stores would read as structure. Undefined when it is fine.
 */
export function titleProblem(title: string): string | undefined {
  const trimmed = title.trim();
  if (!trimmed) return 'A title is needed.';
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'A title is one line.';
  if (/[[\]`<>|]/.test(trimmed) || trimmed.includes('**')) return 'No markdown in a title: [ ] ` ** < > | are read as structure.';
  if (/^[#\-*+>]/.test(trimmed)) return 'A title cannot start like a heading or a list item.';
  if ([...trimmed].length > 200) return 'Over 200 characters: put the detail in the description.';
  return undefined;
}

/** The status picker of New Task…: the tracker's default first (value `''`: let the server choose), then its other not-started statuses, then the rest. */
export function newTaskStatusRows(tracker: TrackerInfo): PickRow<string>[] {
  const statuses = tracker.statuses ?? [];
  const fallback = statuses.find((it) => it.default);
  const rows: PickRow<string>[] = [
    { label: fallback ? fallback.display : '(the tracker\'s default)', description: 'default', value: '', picked: true },
  ];
  const rest = statuses.filter((it) => !it.default);
  const todo = rest.filter((it) => it.kind === 'todo');
  const other = rest.filter((it) => it.kind !== 'todo');
  for (const status of [...todo, ...other]) rows.push({ label: status.display, description: status.kind, value: status.status });
  return rows;
}

/** The priority picker of New Task… (the value goes to `priority`; `''` for none). */
export function priorityRows(): PickRow<string>[] {
  return [
    { label: '(no priority)', value: '', picked: true },
    { label: 'High', value: 'high' },
    { label: 'Medium', value: 'medium' },
    { label: 'Low', value: 'low' },
  ];
}

/** Arguments of `taskmark.newTask`, without the empty choices. */
export function newTaskArguments(choice: {
  title: string;
  tracker?: string;
  status?: string;
  priority?: string;
  uri?: string | null;
  plan?: boolean;
}): Record<string, unknown> {
  const args: Record<string, unknown> = { title: choice.title.trim() };
  if (choice.tracker !== undefined) args.tracker = choice.tracker;
  if (choice.status) args.status = choice.status;
  if (choice.priority) args.priority = choice.priority;
  if (choice.uri) args.uri = choice.uri;
  if (choice.plan) args.plan = true;
  return args;
}

/** The message after New Task… */
export function newTaskSummary(result: NewTaskResult | null | undefined): string {
  const id = result?.id ?? result?.task ?? '?';
  const files = result?.files ?? [];
  const status = result?.status ? ` ${result.status}` : '';
  return `taskmark: new task ${id}${status} — ${result?.title ?? ''} (${plural(files.length, 'file')}: ${files.join(', ')})`;
}

/** One filter of List Tasks: the `taskmark.listTasks` arguments it sends. */
export interface ListFilterChoice {
  filter: Record<string, unknown>;
  label: string;
}

/** The filter picker of List Tasks, as `taskmark list`'s flags. */
export function listFilterRows(): PickRow<ListFilterChoice>[] {
  const choices: [string, string, Record<string, unknown>][] = [
    ['All tasks', 'every task not archived', {}],
    ['Ready', 'not started, every dependency done (--ready)', { ready: true }],
    ['Blocked', 'started or finished while a dependency is not done (--blocked)', { blocked: true }],
    ['To do', 'kind todo', { kind: 'todo' }],
    ['Active', 'kind active', { kind: 'active' }],
    ['Blocked status', 'kind blocked', { kind: 'blocked' }],
    ['Done', 'kind done', { kind: 'done' }],
    ['Cancelled', 'kind cancelled', { kind: 'cancelled' }],
    ['Everything, archived too', '--archived', { archived: true }],
  ];
  return choices.map(([label, description, filter], index) => ({
    label,
    description,
    value: { label, filter },
    picked: index === 0,
  }));
}


/** The rows of List Tasks: id and title, status (`≠` when places disagree), what it waits on and its progress. */
export function listTaskRows(tasks: ListedTask[]): PickRow<ListedTask>[] {
  return tasks.map((task) => {
    const waits = (task.dependencies ?? []).filter((it) => !it.done).map((it) => it.id);
    const parts: string[] = [];
    if (waits.length) parts.push(`waits on ${waits.join(', ')}`);
    const progress = task.progress;
    if (progress?.phases) parts.push(`${progress.phases_done ?? 0}/${progress.phases} phases`);
    if (progress?.checkboxes) parts.push(`${progress.checkboxes_done ?? 0}/${progress.checkboxes} boxes`);
    return {
      label: `${task.id}  ${task.title ?? '(untitled)'}`,
      description: `${task.status ?? '(no status)'}${task.agrees === false ? ' ≠' : ''}${task.scope ? ` · ${task.scope}` : ''}`,
      detail: parts.length ? parts.join(' · ') : undefined,
      value: task,
    };
  });
}

/** A task of `taskmark.nextTasks`'s answer (the service's `NextTask`). */
export interface NextTask {
  task: string;
  id: string;
  title?: string | null;
  status?: string | null;
  priority?: string | null;
  /** Why it ranks where it does, or what holds it back. */
  why?: string[];
}

/** `taskmark.nextTasks`'s answer (the service's `NextAnswer`). */
export interface NextAnswer {
  ready?: NextTask[];
  held?: NextTask[];
  readyCount?: number;
  heldCount?: number;
  warnings?: string[];
}

/** The rows of Next Task: the ready tasks best first, each with why it ranks there. */
export function nextTaskRows(answer: NextAnswer): PickRow<NextTask>[] {
  return (answer.ready ?? []).map((task, rank) => ({
    label: `${rank + 1}. ${task.id}  ${task.title ?? '(untitled)'}`,
    description: `${task.status ?? '(no status)'}${task.priority ? ` · priority ${task.priority}` : ''}`,
    detail: (task.why ?? []).join(' · ') || undefined,
    picked: rank === 0,
    value: task,
  }));
}

/** What Next Task says when nothing is ready: how many are held, and what holds the first. */
export function nothingReadyMessage(answer: NextAnswer): string {
  const held = answer.held?.[0];
  const count = answer.heldCount ?? answer.held?.length ?? 0;
  const first = held ? `: ${held.id} ${(held.why ?? []).join('; ')}` : '';
  return `taskmark: no task is ready to start (${plural(count, 'task')} held back${first}).`;
}


/**
 * The address of `taskmark.openBoard`'s answer, if it is one the extension may hand the browser:
 * the daemon's board on loopback over plain HTTP, with its token. Anything else (a server that
 * is not ours, a broken answer) is refused with why.
 */
export function boardAddress(answer: unknown): { url: string } | { problem: string } {
  const url = typeof answer === 'object' && answer !== null ? (answer as { url?: unknown }).url : undefined;
  if (typeof url !== 'string') return { problem: 'the server gave no board address' };
  if (!/^http:\/\/127\.0\.0\.1:\d{1,5}\/board\/\d+\/\?token=[0-9a-f]{64}$/.test(url)) {
    return { problem: `the server gave an address that is not the daemon's board on loopback: ${url}` };
  }
  return { url };
}
