import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  archiveConfirmation,
  ListedTask,
  NewTaskResult,
  TaskChanged,
  TaskInfo,
  TaskListEntry,
  TrackerInfo,
  listFilterRows,
  listTaskRows,
  nextTaskRows,
  nothingReadyMessage,
  boardAddress,
  newTaskArguments,
  newTaskStatusRows,
  newTaskSummary,
  priorityRows,
  titleProblem,
  trackerPickRows,
  allowedFromRefusal,
  checkSummaryMessage,
  forceConfirmation,
  neededField,
  renderTaskMarkdown,
  setStatusArguments,
  setStatusSummary,
  statusBarText,
  statusPickRows,
  statusPickTitle,
  taskChangedMessage,
  taskArgument,
  taskPickRows,
} from '../src/logic/tasks';

// Answers recorded from `taskmark lsp --standalone` on tests/fixtures/example.
const fixture = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', name), 'utf8'));
const tasks: TaskListEntry[] = fixture('listTasks.json');
const info12: TaskInfo = fixture('taskInfo-12.json');
const info10: TaskInfo = fixture('taskInfo-10.json');

test('task picker: the task under the cursor comes first, in its own section, and only once', () => {
  const rows = taskPickRows(tasks, fixture('taskAt.json'));
  assert.equal(rows[0].separator, true);
  assert.equal(rows[1].value?.task, 'specs:12');
  assert.equal(rows[1].picked, true);
  assert.match(rows[1].description ?? '', /\[IMPLEMENTING\].*under the cursor/);
  assert.equal(rows[2].separator, true);
  const values = rows.filter((it) => !it.separator).map((it) => it.value?.task);
  assert.equal(values.length, tasks.length);
  assert.equal(values.filter((it) => it === 'specs:12').length, 1);
  assert.equal(rows.filter((it) => it.picked).length, 1);
});

test('task picker rows show id, title, status and the files that state the task', () => {
  const rows = taskPickRows(tasks, null);
  assert.ok(rows.every((it) => !it.separator && !it.picked));
  const row12 = rows.find((it) => it.value?.id === '12')!;
  assert.equal(row12.label, '12  Sync engine with retry queue');
  assert.equal(row12.description, '[IMPLEMENTING]');
  assert.match(row12.detail ?? '', /3 files: .*specs\/TODO\.md.*specs\/state\.json/);
  assert.deepEqual(rows.map((it) => it.value?.id), tasks.map((it) => it.id));
});

test('status picker: allowed statuses first, forbidden ones in a separate forced section', () => {
  const rows = statusPickRows(info12);
  const separators = rows.map((it, i) => (it.separator ? i : -1)).filter((i) => i >= 0);
  assert.equal(separators.length, 2);
  const allowed = rows.slice(separators[0] + 1, separators[1]);
  const forced = rows.slice(separators[1] + 1);
  assert.deepEqual(allowed.map((it) => it.label), ['[PARTIAL]', '[BLOCKED]', '[ABANDONED]', '[COMPLETED]', '[EXPANDED]']);
  assert.ok(allowed.every((it) => it.value?.force === false));
  assert.ok(forced.length > 0 && forced.every((it) => it.value?.force === true && it.label.includes('Force')));
  assert.ok(forced.some((it) => it.value?.status === 'not_started'));
  assert.match(rows[separators[1]].label, /not allowed from \[IMPLEMENTING\]/);
});

test('status picker of a terminal task has only the forced section', () => {
  const rows = statusPickRows(info10);
  assert.equal(rows.filter((it) => it.separator).length, 1);
  assert.ok(rows.filter((it) => !it.separator).every((it) => it.value?.force));
});

test('titles and confirmations name the task and both statuses', () => {
  assert.equal(statusPickTitle(info12), 'Task 12 (Sync engine with retry queue) is [IMPLEMENTING]. Set it to:');
  assert.equal(
    forceConfirmation(info12, { status: 'planned', display: '[PLANNED]', force: true }),
    '[IMPLEMENTING] → [PLANNED] is not an allowed transition for task 12. Force it?',
  );
});

test('the server refusal and reason messages are understood', () => {
  assert.deepEqual(allowedFromRefusal(fixture('refusal.json').message), ['[REVISING]', '[IMPLEMENTING]', '[BLOCKED]', '[EXPANDED]']);
  assert.equal(allowedFromRefusal('no task `99` in this workspace'), undefined);
  assert.equal(neededField(fixture('needsReason.json').message), 'Blocking Reason');
  assert.equal(neededField(fixture('refusal.json').message), undefined);
  // Servers that send `data` are read from it, whatever the message says.
  assert.equal(neededField({ message: 'x', data: { kind: 'needsReason', status: '[BLOCKED]', field: 'Blocking Reason' } }), 'Blocking Reason');
  assert.deepEqual(allowedFromRefusal({ message: 'x', data: { kind: 'invalidTransition', allowed: ['revising', 'implementing'] } }), ['revising', 'implementing']);
  assert.equal(neededField({ message: 'x', data: { kind: 'invalidTransition', allowed: [] } }), undefined);
});

test('setStatus arguments: force and reason only when given', () => {
  assert.deepEqual(setStatusArguments('specs:12', 'completed', false), { task: 'specs:12', status: 'completed' });
  assert.deepEqual(setStatusArguments('12', 'planned', true, ' '), { task: '12', status: 'planned', force: true });
  assert.deepEqual(setStatusArguments('15', 'blocked', false, 'waiting on API'), {
    task: '15',
    status: 'blocked',
    reason: 'waiting on API',
  });
});

test('setStatus summary counts the files', () => {
  assert.equal(setStatusSummary(fixture('setStatus.json'), '14', 'implementing'), 'Set status of 14 to [IMPLEMENTING] (3 files)');
  assert.equal(setStatusSummary(null, '14', 'implementing'), 'Set status of 14 to implementing (0 files)');
});

test('taskChanged: other editors are shown with task, from → to, origin; this window is not', () => {
  const recorded = fixture('taskChanged.json');
  assert.equal(recorded.mine, true);
  assert.equal(taskChangedMessage(recorded), undefined);
  assert.equal(
    taskChangedMessage({ ...recorded, mine: false, origin: 'Neovim (session 3)' }),
    'taskmark: task specs:14 [PLANNED] → [IMPLEMENTING] in 3 files by Neovim (session 3)',
  );
  assert.equal(taskChangedMessage({ task: '7', to: '[x]', mine: false, files: [], origin: '' }), 'taskmark: task 7 ? → [x]');
  assert.equal(
    taskChangedMessage({ task: '', action: 'fixed', title: 'Fix 1 stale-counts', mine: false, files: ['specs/TODO.md'], origin: 'taskmark fix' }),
    'taskmark: Fix 1 stale-counts in 1 file by taskmark fix',
  );
  assert.equal(taskChangedMessage(null), undefined);
});

test('status bar text', () => {
  assert.equal(statusBarText(fixture('taskAt.json')), '$(tasklist) 12 [IMPLEMENTING]');
  assert.equal(statusBarText(null), undefined);
});

test('task view markdown: places table with agreement marks and links, progress, dependencies, next', () => {
  const markdown = renderTaskMarkdown(info12, (place) => place.uri && `open:${place.line}`);
  assert.match(markdown, /^# Task 12 — Sync engine with retry queue$/m);
  assert.match(markdown, /\*\*Status:\*\* `\[IMPLEMENTING\]` · tracker `specs` · ⚠ 1 place disagrees/);
  assert.match(markdown, /^\| ✗ \| \[specs\/012_sync_engine\/plans\/implementation-001\.md:4\]\(open:4\) \| plan header \| `\[NOT STARTED\]` \|$/m);
  assert.match(markdown, /^\| ✓ \| \[specs\/TODO\.md:24\]\(open:24\) \| TODO\.md section \| `\[IMPLEMENTING\]` \|$/m);
  assert.equal((markdown.match(/^\| [✓✗·] \|/gm) ?? []).length, info12.places!.length);
  assert.match(markdown, /- Phases: 2\/3 `█+░+`/);
  assert.match(markdown, /- Checkboxes: 5\/7/);
  assert.match(markdown, /^- 11: `\[COMPLETED\]`$/m);
  assert.match(markdown, /## Next\n\n`\[PARTIAL\]`, `\[BLOCKED\]`/);
});

test('task view markdown: empty task, terminal status, pipes escaped', () => {
  const markdown = renderTaskMarkdown({
    task: 'x',
    id: 'x',
    scope: '',
    title: 'a | b',
    status: '[DONE]',
    archived: false,
    places: [],
    progress: null,
    dependencies: [],
    next: [],
    choices: [],
    claim: null,
  });
  assert.match(markdown, /# Task x — a \\\| b/);
  assert.match(markdown, /_No place states this task\._/);
  assert.match(markdown, /_None: the status is terminal\._/);
  assert.doesNotMatch(markdown, /## Progress/);
  assert.match(renderTaskMarkdown(info10), /archived/);
});

test('check summary', () => {
  assert.equal(
    checkSummaryMessage({ errors: 3, warnings: 5, infos: 0, hints: 0, files: 9, tasks: 7, trackers: 1 }),
    'taskmark check: 3 errors, 5 warnings in 9 files (7 tasks, 1 tracker)',
  );
  assert.equal(checkSummaryMessage({ files: 1, tasks: 1, trackers: 1 }), 'taskmark check: no problems in 1 file (1 task, 1 tracker)');
});

test('the task of a command\'s arguments', () => {
  assert.equal(taskArgument([{ task: 'specs:12' }]), 'specs:12');
  assert.equal(taskArgument(['221']), '221');
  assert.equal(taskArgument([]), null);
  assert.equal(taskArgument(undefined), null);
  assert.equal(taskArgument([{ status: 'x' }]), null);
  assert.equal(taskArgument(['  ']), null);
});

const trackers: TrackerInfo[] = fixture('trackers.json');
const ready: ListedTask[] = fixture('listTasks-ready.json');
const created: NewTaskResult = fixture('newTask.json');

test('new task: trackers that can take it, statuses with the default first, priorities', () => {
  const rows = trackerPickRows([...trackers, { tracker: 'process', family: 'minsky', folder: null, writable: false, statuses: [] }]);
  assert.deepEqual(rows.map((it) => it.label), ['specs']);
  assert.equal(rows[0].description, 'spec-folder');
  const statuses = newTaskStatusRows(trackers[0]);
  assert.equal(statuses[0].label, '[NOT STARTED]');
  assert.equal(statuses[0].value, '', 'the default is the server\'s choice');
  assert.equal(statuses[0].picked, true);
  assert.ok(statuses.slice(1).every((it) => it.label !== '[NOT STARTED]'), 'the default once');
  assert.ok(statuses.some((it) => it.value === 'planned'));
  const kinds = statuses.slice(1).map((it) => it.description);
  assert.ok(kinds.lastIndexOf('todo') < kinds.indexOf('active'), `not-started statuses first: ${kinds}`);
  assert.deepEqual(priorityRows().map((it) => it.value), ['', 'high', 'medium', 'low']);
});

test('new task: titles the server would refuse are caught while typing', () => {
  assert.equal(titleProblem('Webhooks for status changes'), undefined);
  assert.match(titleProblem('Two\nlines') ?? '', /one line/);
  assert.match(titleProblem('Use [brackets]') ?? '', /markdown/);
  assert.match(titleProblem('**bold**') ?? '', /markdown/);
  assert.match(titleProblem('# heading') ?? '', /heading/);
  assert.match(titleProblem('  ') ?? '', /needed/);
  assert.match(titleProblem('x'.repeat(201)) ?? '', /200/);
});

test('new task: arguments leave out the empty choices; the summary names id, status and files', () => {
  assert.deepEqual(newTaskArguments({ title: ' Webhooks ', tracker: 'specs', status: '', priority: '' }), {
    title: 'Webhooks',
    tracker: 'specs',
  });
  assert.deepEqual(
    newTaskArguments({ title: 'W', tracker: '', status: 'planned', priority: 'high', uri: 'file:///w', plan: true }),
    { title: 'W', tracker: '', status: 'planned', priority: 'high', uri: 'file:///w', plan: true },
  );
  assert.equal(
    newTaskSummary(created),
    'taskmark: new task 17 [NOT STARTED] — Webhooks for status changes (2 files: specs/TODO.md, specs/state.json)',
  );
});

test('taskChanged: a task created elsewhere is announced as new; this window\'s own is not', () => {
  const notice: TaskChanged = fixture('taskCreated.json');
  assert.equal(taskChangedMessage(notice), undefined);
  assert.equal(
    taskChangedMessage({ ...notice, mine: false }),
    'taskmark: new task specs:17 — Webhooks for status changes [NOT STARTED] in 2 files by taskmark-tests (session 1)',
  );
  assert.equal(
    taskChangedMessage({ action: 'edited', task: 'specs:14', title: 'Conflict screen', files: ['specs/TODO.md'], mine: false, origin: 'Neovim' }),
    'taskmark: task specs:14 edited — Conflict screen in 1 file by Neovim',
  );
});

test('list tasks: filters as taskmark list\'s flags, rows with status, disagreement, dependencies and progress', () => {
  const filters = listFilterRows();
  assert.deepEqual(filters[0].value?.filter, {});
  assert.equal(filters[0].picked, true);
  assert.deepEqual(filters.find((it) => it.label === 'Ready')?.value?.filter, { ready: true });
  assert.deepEqual(filters.find((it) => it.label === 'Active')?.value?.filter, { kind: 'active' });
  const rows = listTaskRows(ready);
  assert.deepEqual(rows.map((it) => it.value?.id), ['13', '15', '16']);
  assert.equal(rows[0].label, '13  Background upload throttling');
  assert.match(rows[0].description ?? '', /^\[RESEARCHED\] ≠/);
  assert.equal(rows[2].detail, '0/2 phases · 0/2 boxes');
  const waiting = listTaskRows([{ ...ready[1], dependencies: [{ id: '12', status: '[PLANNED]', done: false }, { id: '11', status: '[COMPLETED]', done: true }] }]);
  assert.equal(waiting[0].detail, 'waits on 12');
  assert.ok(ready.every((it) => it.uri && it.range), 'every task says where it is');
});

test('archive: the confirmation names the tasks, the files and the folders that move; the notice names the tasks', () => {
  const { message, detail } = archiveConfirmation({
    dryRun: true,
    label: 'archive 10, 16',
    created: [],
    warnings: [],
    tasks: ['specs:10', 'specs:16'],
    files: ['specs/TODO.md', 'specs/state.json', 'specs/016_audit_log', 'specs/archive/016_audit_log'],
    moved: [{ from: 'specs/016_audit_log', to: 'specs/archive/016_audit_log' }],
  });
  assert.equal(message, 'Archive 2 finished tasks (10, 16)?');
  assert.equal(detail, 'Files changed: specs/TODO.md, specs/state.json.\nMoved: specs/016_audit_log → specs/archive/016_audit_log');
  assert.equal(
    taskChangedMessage({ action: 'archived', task: 'specs:10', tasks: ['specs:10', 'specs:16'], files: ['specs/TODO.md'], mine: false, origin: 'Neovim' }),
    'taskmark: archived specs:10, specs:16 in 1 file by Neovim',
  );
});

test('next task: the ready tasks best first with why, and what holds the first held one', () => {
  const answer = {
    ready: [
      { task: 'specs:13', id: '13', title: 'Background upload throttling', status: '[RESEARCHED]', priority: 'Medium', why: ['priority Medium', 'no open task waits on it'] },
      { task: 'specs:16', id: '16', title: null, status: '[NOT STARTED]', priority: null, why: [] },
    ],
    held: [{ task: 'specs:14', id: '14', why: ['depends on 12, which is `[IMPLEMENTING]`'] }],
    readyCount: 2,
    heldCount: 1,
  };
  const rows = nextTaskRows(answer);
  assert.deepEqual(rows.map((it) => it.label), ['1. 13  Background upload throttling', '2. 16  (untitled)']);
  assert.equal(rows[0].description, '[RESEARCHED] · priority Medium');
  assert.equal(rows[0].detail, 'priority Medium · no open task waits on it');
  assert.equal(rows[0].picked, true);
  assert.equal(rows[1].detail, undefined);
  assert.equal(
    nothingReadyMessage({ ready: [], held: answer.held, heldCount: 3 }),
    'taskmark: no task is ready to start (3 tasks held back: 14 depends on 12, which is `[IMPLEMENTING]`).',
  );
  assert.equal(nothingReadyMessage({}), 'taskmark: no task is ready to start (0 tasks held back).');
});


test('Open Board hands the browser only the daemon\'s loopback board address', () => {
  const url = `http://127.0.0.1:40123/board/1/?token=${'ab'.repeat(32)}`;
  assert.deepEqual(boardAddress({ url }), { url });
  for (const answer of [
    null,
    {},
    { url: 42 },
    { url: `https://127.0.0.1:40123/board/1/?token=${'ab'.repeat(32)}` },
    { url: `http://evil.example:40123/board/1/?token=${'ab'.repeat(32)}` },
    { url: `http://127.0.0.1:40123/board/1/?token=${'ab'.repeat(32)}&next=http://evil.example` },
    { url: 'http://127.0.0.1:40123/board/1/' },
    { url: 'javascript:alert(1)' },
  ]) {
    assert.ok('problem' in boardAddress(answer), JSON.stringify(answer));
  }
});
