// The extension's settings, the server's command line and its initializationOptions.
// No `vscode` import: unit-tested with plain node.

export type Mode = 'daemon' | 'standalone';
export type DiagnosticMode = 'push' | 'pull';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ExtensionSettings {
  path: string;
  extraArgs: string[];
  mode: Mode;
  logLevel: LogLevel;
  diagnostics: DiagnosticMode;
  codeLens: boolean;
  inlayHints: boolean;
  closedFiles: 'disk' | 'editor';
  rules: Record<string, string>;
}

/** Reads a setting by its key under `taskmark.` (for example `server.path`). */
export type Getter = (key: string) => unknown;

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** The settings with every bad or missing value replaced by its default. */
export function readSettings(get: Getter): ExtensionSettings {
  const extra = get('server.extraArgs');
  const rules = get('rules');
  return {
    path: typeof get('server.path') === 'string' ? (get('server.path') as string) : '',
    extraArgs: Array.isArray(extra) ? extra.filter((it): it is string => typeof it === 'string') : [],
    mode: oneOf(get('server.mode'), ['daemon', 'standalone'] as const, 'daemon'),
    logLevel: oneOf(get('server.logLevel'), LOG_LEVELS, 'info'),
    diagnostics: oneOf(get('diagnostics'), ['push', 'pull'] as const, 'push'),
    codeLens: typeof get('codeLens') === 'boolean' ? (get('codeLens') as boolean) : true,
    inlayHints: typeof get('inlayHints') === 'boolean' ? (get('inlayHints') as boolean) : false,
    closedFiles: oneOf(get('closedFiles'), ['disk', 'editor'] as const, 'disk'),
    rules:
      rules && typeof rules === 'object' && !Array.isArray(rules)
        ? Object.fromEntries(Object.entries(rules as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>
        : {},
  };
}

/** `taskmark lsp …`: the arguments after the executable. */
export function serverArgs(settings: ExtensionSettings): string[] {
  const args = ['lsp', '--log-level', settings.logLevel];
  if (settings.mode === 'standalone') args.push('--standalone');
  return args.concat(settings.extraArgs);
}

/** What the server reads from `initializationOptions` and `workspace/didChangeConfiguration`. */
export function serverSettings(settings: ExtensionSettings): Record<string, unknown> {
  return {
    diagnostics: settings.diagnostics,
    codeLens: settings.codeLens,
    inlayHints: settings.inlayHints,
    closedFiles: settings.closedFiles,
    rules: settings.rules,
  };
}

/** Settings whose change needs a new server process (the others are sent to the running one). */
export const RESTART_KEYS = ['server.path', 'server.extraArgs', 'server.mode', 'server.logLevel', 'diagnostics'];

/** True when the two settings differ in something only a restart applies. */
export function needsRestart(before: ExtensionSettings, after: ExtensionSettings): boolean {
  return (
    before.path !== after.path ||
    before.mode !== after.mode ||
    before.logLevel !== after.logLevel ||
    before.diagnostics !== after.diagnostics ||
    JSON.stringify(before.extraArgs) !== JSON.stringify(after.extraArgs)
  );
}
