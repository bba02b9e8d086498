// taskmark for VS Code: starts `taskmark lsp`, restarts it when it crashes, and adds the
// palette commands, the status bar item and the notifications. Everything it shows comes
// from the server; the logic that does not need VS Code lives in ./logic (unit-tested).
import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandlerResult,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  Message,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { RestartBackoff } from './logic/backoff';
import { Resolution, bundledName, resolveServerBinary } from './logic/binary';
import { installInstructions } from './logic/install';
import { ExtensionSettings, needsRestart, readSettings, serverArgs, serverSettings } from './logic/settings';
import {
  ArchiveResult,
  archiveConfirmation,
  CheckSummary,
  ListedTask,
  NewTaskResult,
  TrackerInfo,
  listFilterRows,
  listTaskRows,
  NextAnswer,
  boardAddress,
  nextTaskRows,
  nothingReadyMessage,
  newTaskArguments,
  newTaskStatusRows,
  newTaskSummary,
  priorityRows,
  titleProblem,
  trackerLabel,
  trackerPickRows,
  taskArgument,
  PickRow,
  StatusPick,
  TaskAt,
  TaskChanged,
  TaskInfo,
  TaskListEntry,
  checkSummaryMessage,
  forceConfirmation,
  neededField,
  renderTaskMarkdown,
  setStatusArguments,
  setStatusSummary,
  statusBarText,
  statusBarTooltip,
  statusPickRows,
  statusPickTitle,
  taskChangedMessage,
  taskPickRows,
} from './logic/tasks';

const SECTION = 'taskmark';
/** A server that ran this long without crashing starts the backoff afresh. */
const HEALTHY_AFTER_MS = 60_000;

let extension: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Extension> {
  extension = new Extension(context);
  await extension.start();
  return extension;
}

export async function deactivate(): Promise<void> {
  await extension?.dispose();
  extension = undefined;
}

function settings(): ExtensionSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return readSettings((key) => config.get(key));
}

class Extension {
  readonly output = vscode.window.createOutputChannel('taskmark');
  private client: LanguageClient | undefined;
  private readonly backoff = new RestartBackoff();
  private restartTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private current: ExtensionSettings = settings();
  private readonly statusItem = vscode.window.createStatusBarItem('taskmark.task', vscode.StatusBarAlignment.Left, 10);
  private statusTimer: NodeJS.Timeout | undefined;
  private statusSequence = 0;
  private taskView: vscode.WebviewPanel | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.statusItem.name = 'taskmark task';
    const register = (id: string, run: (...args: any[]) => unknown) =>
      context.subscriptions.push(vscode.commands.registerCommand(id, run));
    register('taskmark.setStatusPicker', (arg?: { task?: string }) => this.setStatus(typeof arg === 'object' ? arg?.task : undefined));
    register('taskmark.showTask', (arg?: { task?: string }) => this.showTask(typeof arg === 'object' ? arg?.task : undefined));
    register('taskmark.newTaskPicker', () => this.newTask());
    register('taskmark.listTasksPicker', () => this.listTasks());
    register('taskmark.nextTask', () => this.nextTask());
    register('taskmark.openBoardInBrowser', () => this.openBoard());
    register('taskmark.archiveDoneTasks', () => this.archiveDone());
    register('taskmark.checkWorkspace', () => this.checkWorkspace());
    register('taskmark.restartServer', () => this.restart(true));
    register('taskmark.showLog', () => this.output.show(true));
    register('taskmark.openPlace', (uri: string, line?: number) => this.openPlace(uri, line));
    context.subscriptions.push(
      this.output,
      this.statusItem,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SECTION)) void this.configurationChanged();
      }),
      vscode.window.onDidChangeTextEditorSelection(() => this.scheduleStatus()),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleStatus(0)),
      // The text under the cursor changed without the cursor moving: a file read again from
      // disk (a change from the command line or an agent), an edit from another editor.
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === vscode.window.activeTextEditor?.document) this.scheduleStatus();
      }),
    );
  }

  // ---- the server process -------------------------------------------------------------

  /**
   * The server binary: the setting, else the one a platform vsix carries in `server/`, else
   * PATH, else ~/.cargo/bin (see logic/binary.ts).
   */
  private resolveBinary(): Resolution {
    const bundled = path.join(this.context.extensionPath, 'server', bundledName(process.platform));
    if (process.platform !== 'win32' && fs.existsSync(bundled)) {
      // An unpacker that dropped the executable bit: give it back (the file is ours).
      try {
        fs.accessSync(bundled, fs.constants.X_OK);
      } catch {
        try {
          fs.chmodSync(bundled, 0o755);
        } catch (error) {
          this.output.appendLine(`cannot make ${bundled} executable: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    return resolveServerBinary(this.current.path, {
      pathEnv: process.env.PATH,
      home: process.env.HOME ?? process.env.USERPROFILE,
      bundled,
      isExecutable: (file) => {
        try {
          fs.accessSync(file, fs.constants.X_OK);
          return fs.statSync(file).isFile();
        } catch {
          return false;
        }
      },
    });
  }

  async start(): Promise<void> {
    this.current = settings();
    const resolution = this.resolveBinary();
    if (!resolution.ok) {
      this.output.appendLine(`taskmark.server.path as VS Code sees it: ${JSON.stringify(vscode.workspace.getConfiguration(SECTION).inspect('server.path'))}`);
      this.output.appendLine(`${resolution.message} Tried: ${resolution.tried.join(', ') || '(nothing)'}`);
      void this.missingServer(resolution.message, resolution.tried);
      return;
    }
    const args = serverArgs(this.current);
    this.output.appendLine(`starting ${resolution.path} ${args.join(' ')} (from ${resolution.source === 'bundled' ? 'this extension' : resolution.source})`);
    const serverOptions: ServerOptions = { command: resolution.path, args, options: { env: process.env } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'markdown' },
        { scheme: 'file', language: 'json' },
        { scheme: 'file', language: 'jsonc' },
        // Task Master's generated task files in plain text, a second place of each task (its
        // task_NNN.md ones are markdown, above).
        { scheme: 'file', pattern: '**/.taskmaster/tasks/task_*.txt' },
      ],
      initializationOptions: serverSettings(this.current),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      markdown: { isTrusted: true, supportHtml: false },
      middleware: {
        // The code lens `set status…` runs taskmark.pickStatus, which the server answers with
        // message buttons; the extension's picker (forced statuses behind a confirmation) is better.
        executeCommand: (command, args, next) =>
          command === 'taskmark.pickStatus' ? this.setStatus(taskArgument(args) ?? undefined) : next(command, args),
      },
      errorHandler: {
        error: (error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult => {
          this.output.appendLine(`connection error (${count ?? 1}): ${error.message}`);
          return { action: (count ?? 1) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
        },
        closed: (): CloseHandlerResult => {
          // The restart is ours (bounded backoff), not the client's own.
          if (!this.stopping) this.crashed();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      initializationFailedHandler: (error) => {
        this.output.appendLine(`the server failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
    };
    const client = new LanguageClient('taskmark', 'taskmark', serverOptions, clientOptions);
    this.client = client;
    client.onNotification('taskmark/taskChanged', (params: TaskChanged) => this.taskChanged(params));
    try {
      await client.start();
    } catch (error) {
      this.output.appendLine(`the server did not start: ${error instanceof Error ? error.message : String(error)}`);
      if (this.client === client && !this.stopping) this.crashed();
      return;
    }
    try {
      const info = await client.sendRequest<{ pid: number; mode: string; version: string }>('taskmark/serverInfo');
      this.output.appendLine(`taskmark ${info.version}, ${info.mode}, process ${info.pid}`);
    } catch (error) {
      this.output.appendLine(`taskmark/serverInfo failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    clearTimeout(this.healthyTimer);
    this.healthyTimer = setTimeout(() => this.backoff.reset(), HEALTHY_AFTER_MS);
    this.scheduleStatus(0);
  }

  private async missingServer(message: string, tried: string[]): Promise<void> {
    const install = 'Install instructions';
    const configure = 'Set taskmark.server.path';
    const choice = await vscode.window.showErrorMessage(message, install, configure);
    if (choice === install) {
      const page = await vscode.workspace.openTextDocument({ language: 'markdown', content: installInstructions(message, tried) });
      await vscode.commands.executeCommand('markdown.showPreview', page.uri).then(undefined, () => vscode.window.showTextDocument(page));
    } else if (choice === configure) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'taskmark.server.path');
    }
  }

  private crashed(): void {
    clearTimeout(this.healthyTimer);
    this.statusItem.hide();
    const decision = this.backoff.onCrash(Date.now());
    if (!decision.restart) {
      this.output.appendLine(`the server stopped ${decision.crashes} times in a few minutes; not restarting it`);
      void vscode.window
        .showErrorMessage(
          `The taskmark server crashed ${decision.crashes} times in a few minutes and was not restarted.`,
          'Show Log',
          'Restart Server',
        )
        .then((choice) => {
          if (choice === 'Show Log') this.output.show(true);
          if (choice === 'Restart Server') void this.restart(true);
        });
      return;
    }
    this.output.appendLine(`the server stopped; restarting it in ${decision.delayMs} ms (attempt ${decision.attempt})`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(false), decision.delayMs);
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    this.stopping = true;
    try {
      if (client.state === State.Running) await client.stop(2000);
      else await client.dispose(2000).catch(() => undefined);
    } catch (error) {
      this.output.appendLine(`stopping the server: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.stopping = false;
    }
  }

  async restart(manual: boolean): Promise<void> {
    clearTimeout(this.restartTimer);
    if (manual) this.backoff.reset();
    await this.stopClient();
    await this.start();
    if (manual && this.client) void vscode.window.setStatusBarMessage('taskmark: server restarted', 3000);
  }

  private async configurationChanged(): Promise<void> {
    const next = settings();
    if (needsRestart(this.current, next)) {
      this.output.appendLine('settings changed; restarting the server');
      await this.restart(true);
      return;
    }
    this.current = next;
    await this.client
      ?.sendNotification(DidChangeConfigurationNotification.type, { settings: { taskmark: serverSettings(next) } })
      .catch((error) => this.output.appendLine(`didChangeConfiguration: ${error}`));
  }

  async dispose(): Promise<void> {
    clearTimeout(this.restartTimer);
    clearTimeout(this.healthyTimer);
    clearTimeout(this.statusTimer);
    await this.stopClient();
  }

  // ---- talking to the server ----------------------------------------------------------

  private running(): LanguageClient | undefined {
    return this.client && this.client.state === State.Running ? this.client : undefined;
  }

  private async execute<T>(command: string, args: Record<string, unknown>): Promise<T> {
    const client = this.running();
    if (!client) throw new Error('the taskmark server is not running (Taskmark: Show Log says why)');
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }) as Promise<T>;
  }

  private async taskAtCursor(): Promise<TaskAt | undefined> {
    const editor = vscode.window.activeTextEditor;
    const client = this.running();
    if (!editor || !client || editor.document.uri.scheme !== 'file') return undefined;
    if (!['markdown', 'json', 'jsonc'].includes(editor.document.languageId)) return undefined;
    const position = editor.selection.active;
    try {
      const at = await this.execute<TaskAt | null>('taskmark.taskAt', {
        uri: client.code2ProtocolConverter.asUri(editor.document.uri),
        position: { line: position.line, character: position.character },
      });
      return at ?? undefined;
    } catch {
      return undefined;
    }
  }

  private async pickTask(placeholder: string): Promise<string | undefined> {
    const [current, tasks] = await Promise.all([
      this.taskAtCursor(),
      this.execute<TaskListEntry[]>('taskmark.listTasks', {}),
    ]);
    if (!tasks || tasks.length === 0) {
      void vscode.window.showWarningMessage('taskmark: no tasks in this workspace (yet).');
      return undefined;
    }
    const picked = await this.quickPick(taskPickRows(tasks, current), placeholder, 'Taskmark: pick a task');
    return picked?.task;
  }

  /** A quick pick of `rows` (separators included), the `picked` row active; resolves to its value. */
  private quickPick<T>(rows: PickRow<T>[], placeholder: string, title: string): Promise<T | undefined> {
    type Item = vscode.QuickPickItem & { value?: T };
    const items: Item[] = rows.map((row) =>
      row.separator
        ? { label: row.label, kind: vscode.QuickPickItemKind.Separator }
        : { label: row.label, description: row.description, detail: row.detail, value: row.value },
    );
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = title;
    quickPick.placeholder = placeholder;
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.items = items;
    const active = rows.findIndex((row) => row.picked);
    if (active >= 0) quickPick.activeItems = [items[active]];
    return new Promise((resolve) => {
      let done = false;
      quickPick.onDidAccept(() => {
        done = true;
        resolve(quickPick.selectedItems[0]?.value ?? quickPick.activeItems[0]?.value);
        quickPick.hide();
      });
      quickPick.onDidHide(() => {
        if (!done) resolve(undefined);
        quickPick.dispose();
      });
      quickPick.show();
    });
  }

  // ---- commands -----------------------------------------------------------------------

  async setStatus(task?: string): Promise<void> {
    try {
      const id = task ?? (await this.pickTask('Set the status of which task? (the one under the cursor is first)'));
      if (!id) return;
      const info = await this.execute<TaskInfo>('taskmark.taskInfo', { task: id });
      const pick = await this.quickPick(statusPickRows(info), statusPickTitle(info), `Taskmark: set the status of ${info.id ?? id}`);
      if (!pick) return;
      if (pick.force) {
        const force = 'Force it';
        const answer = await vscode.window.showWarningMessage(forceConfirmation(info, pick), { modal: true }, force);
        if (answer !== force) return;
      }
      await this.applyStatus(info.task ?? id, pick.status, pick.force);
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  private async applyStatus(task: string, status: string, force: boolean, reason?: string): Promise<void> {
    let result: { label?: string; files?: string[]; written?: string[]; warnings?: string[] } | null;
    try {
      result = await this.execute('taskmark.setStatus', setStatusArguments(task, status, force, reason));
    } catch (error) {
      const message = errorMessage(error);
      const field = neededField(error);
      if (field && !reason) {
        const input = await vscode.window.showInputBox({ title: `Taskmark: ${status} needs a ${field}`, prompt: field, ignoreFocusOut: true });
        if (input && input.trim()) await this.applyStatus(task, status, force, input);
        return;
      }
      void vscode.window.showErrorMessage(`taskmark: ${message}`);
      return;
    }
    for (const warning of result?.warnings ?? []) void vscode.window.showWarningMessage(`taskmark: ${warning}`);
    const dirty = vscode.workspace.textDocuments.filter(
      (doc) => doc.isDirty && (result?.files ?? []).includes(doc.uri.toString()),
    );
    const summary = setStatusSummary(result, task, status);
    if (dirty.length === 0) {
      void vscode.window.showInformationMessage(summary);
      return;
    }
    const save = 'Save them';
    const names = dirty.map((doc) => vscode.workspace.asRelativePath(doc.uri)).join(', ');
    void vscode.window.showInformationMessage(`${summary}; unsaved: ${names}`, save).then(async (choice) => {
      if (choice === save) await Promise.all(dirty.map((doc) => doc.save()));
    });
  }

  /** New Task…: the tracker (asked when several can take it), the title, the status and the priority, then `taskmark.newTask`. */
  async newTask(): Promise<void> {
    try {
      const trackers = (await this.execute<TrackerInfo[]>('taskmark.trackers', {})).filter((it) => it.writable);
      if (trackers.length === 0) {
        void vscode.window.showWarningMessage('taskmark: no tracker in this workspace can take new tasks (yet).');
        return;
      }
      const tracker =
        trackers.length === 1
          ? trackers[0]
          : await this.quickPick(trackerPickRows(trackers), 'Add the task to which tracker?', 'Taskmark: New Task');
      if (!tracker) return;
      const title = await vscode.window.showInputBox({
        title: `Taskmark: New Task in ${trackerLabel(tracker)}`,
        prompt: 'The title of the new task (one line of plain text)',
        placeHolder: 'Title',
        ignoreFocusOut: true,
        validateInput: (value) => (value.trim() ? titleProblem(value) : undefined),
      });
      if (!title || !title.trim()) return;
      const status = await this.quickPick(newTaskStatusRows(tracker), 'Its status (Enter: the default)', `Taskmark: New Task "${title.trim()}"`);
      if (status === undefined) return;
      const priority = await this.quickPick(priorityRows(), 'Its priority', `Taskmark: New Task "${title.trim()}"`);
      if (priority === undefined) return;
      const result = await this.execute<NewTaskResult>(
        'taskmark.newTask',
        newTaskArguments({ title, tracker: tracker.tracker, status, priority, uri: tracker.folder }),
      );
      for (const warning of result?.warnings ?? []) void vscode.window.showWarningMessage(`taskmark: ${warning}`);
      const summary = newTaskSummary(result);
      this.output.appendLine(summary);
      const dirty = vscode.workspace.textDocuments.filter((doc) => doc.isDirty && (result?.uris ?? []).includes(doc.uri.toString()));
      const show = 'Show Task';
      const save = 'Save them';
      const buttons = dirty.length ? [save, show] : [show];
      const names = dirty.map((doc) => vscode.workspace.asRelativePath(doc.uri)).join(', ');
      void vscode.window
        .showInformationMessage(dirty.length ? `${summary}; unsaved: ${names}` : summary, ...buttons)
        .then(async (choice) => {
          if (choice === save) await Promise.all(dirty.map((doc) => doc.save()));
          if (choice === show && result?.task) await this.showTask(result.task);
        });
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  /** List Tasks: a filter (as `taskmark list`'s flags), then the tasks it selects; the one picked opens at its definition. */
  async listTasks(): Promise<void> {
    try {
      const choice = await this.quickPick(listFilterRows(), 'Which tasks?', 'Taskmark: List Tasks');
      if (!choice) return;
      const tasks = await this.execute<ListedTask[]>('taskmark.listTasks', choice.filter);
      if (!tasks || tasks.length === 0) {
        void vscode.window.showInformationMessage(`taskmark: no task is ${choice.label.toLowerCase()}.`);
        return;
      }
      const task = await this.quickPick(listTaskRows(tasks), `${tasks.length} tasks: type to search, Enter to open`, `Taskmark: ${choice.label}`);
      if (!task?.uri) return;
      const client = this.running();
      const uri = client ? client.protocol2CodeConverter.asUri(task.uri) : vscode.Uri.parse(task.uri);
      const start = task.range?.start ?? { line: 0, character: 0 };
      const position = new vscode.Position(start.line, start.character);
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position) });
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  /**
   * Next Task: the tasks ready to start, best first (`taskmark.nextTasks`: priority, what waits
   * on them, age; none another agent claims or another worktree took up), each with why; the
   * one picked opens where its status is written.
   */
  async nextTask(): Promise<void> {
    try {
      const answer = await this.execute<NextAnswer>('taskmark.nextTasks', {});
      for (const warning of answer?.warnings ?? []) void vscode.window.showWarningMessage(`taskmark: ${warning}`);
      if (!answer?.ready?.length) {
        void vscode.window.showInformationMessage(nothingReadyMessage(answer ?? {}));
        return;
      }
      const of = (answer.readyCount ?? 0) > answer.ready.length ? ` (${answer.ready.length} of ${answer.readyCount})` : '';
      const task = await this.quickPick(nextTaskRows(answer), 'Ready to start, best first: Enter to open', `Taskmark: Next Task${of}`);
      if (!task) return;
      const info = await this.execute<TaskInfo>('taskmark.taskInfo', { task: task.task });
      const place = (info?.places ?? []).find((it) => it.uri);
      if (!place?.uri) {
        void vscode.window.showErrorMessage(`taskmark: no place of task ${task.task} to open`);
        return;
      }
      await this.openPlace(place.uri, place.line);
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  /**
   * Open Board: the workspace's board, which the taskmark daemon serves on loopback
   * (`taskmark.openBoard`), in the browser. A server running on its own has none and says so.
   */
  async openBoard(): Promise<void> {
    try {
      const address = boardAddress(await this.execute<unknown>('taskmark.openBoard', {}));
      if ('problem' in address) throw new Error(address.problem);
      const opened = await vscode.env.openExternal(vscode.Uri.parse(address.url, true));
      if (!opened) void vscode.window.showInformationMessage(`taskmark: the board is at ${address.url}`);
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  /** Archive Done Tasks: what `taskmark archive --done` would do, confirmed first, then done. */
  async archiveDone(): Promise<void> {
    try {
      let plan: ArchiveResult;
      try {
        plan = await this.execute<ArchiveResult>('taskmark.archiveTasks', { done: true, dryRun: true });
      } catch (error) {
        const message = errorMessage(error);
        if (/no finished task/.test(message)) {
          void vscode.window.showInformationMessage(`taskmark: ${message}.`);
          return;
        }
        throw error;
      }
      const { message, detail } = archiveConfirmation(plan);
      const archive = 'Archive';
      if ((await vscode.window.showWarningMessage(message, { modal: true, detail }, archive)) !== archive) return;
      const result = await this.execute<ArchiveResult>('taskmark.archiveTasks', { tasks: plan.tasks ?? [] });
      for (const warning of result?.warnings ?? []) void vscode.window.showWarningMessage(`taskmark: ${warning}`);
      const dirty = vscode.workspace.textDocuments.filter((doc) => doc.isDirty && (result?.uris ?? []).includes(doc.uri.toString()));
      const summary = `taskmark: archived ${(result.tasks ?? []).join(', ')} (${(result.files ?? []).length} paths)`;
      this.output.appendLine(summary);
      const save = 'Save them';
      const names = dirty.map((doc) => vscode.workspace.asRelativePath(doc.uri)).join(', ');
      void vscode.window
        .showInformationMessage(dirty.length ? `${summary}; unsaved: ${names}` : summary, ...(dirty.length ? [save] : []))
        .then(async (choice) => {
          if (choice === save) await Promise.all(dirty.map((doc) => doc.save()));
        });
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  async showTask(task?: string): Promise<void> {
    try {
      const id = task ?? (await this.taskAtCursor())?.task ?? (await this.pickTask('Show which task?'));
      if (!id) return;
      const info = await this.execute<TaskInfo>('taskmark.taskInfo', { task: id });
      const markdown = renderTaskMarkdown(info, (place) =>
        place.uri ? `command:taskmark.openPlace?${encodeURIComponent(JSON.stringify([place.uri, place.line ?? 1]))}` : undefined,
      );
      let html: string;
      try {
        html = await vscode.commands.executeCommand<string>('markdown.api.render', markdown);
      } catch {
        html = `<pre>${escapeHtml(markdown)}</pre>`;
      }
      if (!this.taskView) {
        this.taskView = vscode.window.createWebviewPanel('taskmark.task', 'Task', vscode.ViewColumn.Beside, {
          enableCommandUris: ['taskmark.openPlace'],
          enableScripts: false,
        });
        this.taskView.onDidDispose(() => (this.taskView = undefined));
      }
      this.taskView.title = `Task ${info.id ?? id}`;
      this.taskView.webview.html = taskPage(this.taskView.webview, html);
      this.taskView.reveal(vscode.ViewColumn.Beside, true);
    } catch (error) {
      void vscode.window.showErrorMessage(`taskmark: ${errorMessage(error)}`);
    }
  }

  private async openPlace(uri: string, line?: number): Promise<void> {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position), viewColumn: vscode.ViewColumn.One });
  }

  async checkWorkspace(): Promise<void> {
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    const folder = vscode.workspace.workspaceFolders?.[0];
    const resolution = this.resolveBinary();
    if (!folder || folder.uri.scheme !== 'file' || !resolution.ok) return;
    const summary = await new Promise<CheckSummary | undefined>((resolve) => {
      cp.execFile(
        resolution.path,
        ['check', '--format', 'json', folder.uri.fsPath],
        { cwd: folder.uri.fsPath, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
        (error, stdout, stderr) => {
          try {
            resolve(JSON.parse(stdout).summary as CheckSummary);
          } catch {
            this.output.appendLine(`taskmark check failed: ${error?.message ?? ''} ${stderr}`);
            resolve(undefined);
          }
        },
      );
    });
    if (summary) {
      const message = checkSummaryMessage(summary);
      this.output.appendLine(message);
      void vscode.window.showInformationMessage(message);
    }
  }

  // ---- status bar and notifications ---------------------------------------------------

  private scheduleStatus(delayMs = 250): void {
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => void this.updateStatus(), delayMs);
  }

  private async updateStatus(): Promise<void> {
    const sequence = ++this.statusSequence;
    const at = await this.taskAtCursor();
    if (sequence !== this.statusSequence) return; // a newer cursor move won
    const text = statusBarText(at);
    if (!at || !text) {
      this.statusItem.hide();
      return;
    }
    this.statusItem.text = text;
    this.statusItem.tooltip = statusBarTooltip(at);
    this.statusItem.command = { title: 'Set status', command: 'taskmark.setStatusPicker', arguments: [{ task: at.task }] };
    this.statusItem.show();
  }

  private taskChanged(params: TaskChanged): void {
    this.scheduleStatus(0);
    const message = taskChangedMessage(params);
    if (!message) return;
    this.output.appendLine(message);
    void vscode.window.setStatusBarMessage(`$(sync) ${message}`, 8000);
    void vscode.window.showInformationMessage(message);
  }
}

function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function taskPage(webview: vscode.Webview, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${webview.cspSource}; img-src ${webview.cspSource} https: data:;">
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 1em; }
table { border-collapse: collapse; } th, td { border: 1px solid var(--vscode-panel-border); padding: 2px 8px; text-align: left; }
code { font-family: var(--vscode-editor-font-family); }
</style></head><body>${body}</body></html>`;
}
