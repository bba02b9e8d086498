// Finds the taskmark executable. No `vscode` import: unit-tested with plain node.
import * as path from 'path';

export interface ResolveEnv {
  /** The PATH variable. */
  pathEnv: string | undefined;
  /** The user's home folder, for `~` in the setting and the cargo fallback. */
  home: string | undefined;
  /** True when `file` exists and can be executed. */
  isExecutable(file: string): boolean;
}

export type Resolution =
  | { ok: true; path: string }
  | { ok: false; message: string; tried: string[] };

export const DEFAULT_NAME = 'taskmark';

/** Expands a leading `~` or `${userHome}` in a configured path. */
export function expandHome(value: string, home: string | undefined): string {
  if (!home) return value;
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  return value.replace(/\$\{userHome\}/g, home);
}

function searchPath(name: string, env: ResolveEnv): { found?: string; tried: string[] } {
  const tried: string[] = [];
  for (const dir of (env.pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    tried.push(candidate);
    if (env.isExecutable(candidate)) return { found: candidate, tried };
  }
  return { tried };
}

/**
 * The executable to start: the `taskmark.server.path` setting (a path, or a bare name looked up
 * on PATH), else `taskmark` on PATH, else `~/.cargo/bin/taskmark` (where `cargo install` puts it).
 */
export function resolveServerBinary(setting: string | undefined, env: ResolveEnv): Resolution {
  const configured = (setting ?? '').trim();
  if (configured) {
    const expanded = expandHome(configured, env.home);
    if (expanded.includes('/') || expanded.includes('\\')) {
      if (env.isExecutable(expanded)) return { ok: true, path: expanded };
      return {
        ok: false,
        tried: [expanded],
        message: `taskmark.server.path is "${configured}", but ${expanded} is not an executable file.`,
      };
    }
    const { found, tried } = searchPath(expanded, env);
    if (found) return { ok: true, path: found };
    return {
      ok: false,
      tried,
      message: `taskmark.server.path is "${configured}", but no executable of that name is on PATH.`,
    };
  }
  const { found, tried } = searchPath(DEFAULT_NAME, env);
  if (found) return { ok: true, path: found };
  if (env.home) {
    const cargo = path.join(env.home, '.cargo', 'bin', DEFAULT_NAME);
    tried.push(cargo);
    if (env.isExecutable(cargo)) return { ok: true, path: cargo };
  }
  return {
    ok: false,
    tried,
    message:
      'The taskmark language server was not found: `taskmark` is not on PATH and taskmark.server.path is not set.',
  };
}
