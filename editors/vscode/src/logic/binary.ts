// Finds the taskmark executable. No `vscode` import: unit-tested with plain node.
import * as path from 'path';

export interface ResolveEnv {
  /** The PATH variable. */
  pathEnv: string | undefined;
  /** The user's home folder, for `~` in the setting and the cargo fallback. */
  home: string | undefined;
  /** True when `file` exists and can be executed. */
  isExecutable(file: string): boolean;
  /** The binary shipped inside a platform vsix (`<extension>/server/taskmark`), if any. */
  bundled?: string;
}

/** Where the executable came from: the setting, the platform vsix, PATH or ~/.cargo/bin. */
export type Source = 'setting' | 'bundled' | 'PATH' | 'cargo';

export type Resolution =
  | { ok: true; path: string; source: Source }
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

/** The bundled binary's name in a platform vsix's `server/` folder. */
export function bundledName(platform: string): string {
  return platform === 'win32' ? `${DEFAULT_NAME}.exe` : DEFAULT_NAME;
}

/**
 * The executable to start: the `taskmark.server.path` setting (a path, or a bare name looked up
 * on PATH), else the binary the platform vsix ships (`server/taskmark`), else `taskmark` on
 * PATH, else `~/.cargo/bin/taskmark` (where `cargo install` puts it).
 */
export function resolveServerBinary(setting: string | undefined, env: ResolveEnv): Resolution {
  const configured = (setting ?? '').trim();
  if (configured) {
    const expanded = expandHome(configured, env.home);
    if (expanded.includes('/') || expanded.includes('\\')) {
      if (env.isExecutable(expanded)) return { ok: true, path: expanded, source: 'setting' };
      return {
        ok: false,
        tried: [expanded],
        message: `taskmark.server.path is "${configured}", but ${expanded} is not an executable file.`,
      };
    }
    const { found, tried } = searchPath(expanded, env);
    if (found) return { ok: true, path: found, source: 'setting' };
    return {
      ok: false,
      tried,
      message: `taskmark.server.path is "${configured}", but no executable of that name is on PATH.`,
    };
  }
  const bundled: string[] = [];
  if (env.bundled) {
    bundled.push(env.bundled);
    if (env.isExecutable(env.bundled)) return { ok: true, path: env.bundled, source: 'bundled' };
  }
  const { found, tried } = searchPath(DEFAULT_NAME, env);
  tried.unshift(...bundled);
  if (found) return { ok: true, path: found, source: 'PATH' };
  if (env.home) {
    const cargo = path.join(env.home, '.cargo', 'bin', DEFAULT_NAME);
    tried.push(cargo);
    if (env.isExecutable(cargo)) return { ok: true, path: cargo, source: 'cargo' };
  }
  return {
    ok: false,
    tried,
    message:
      'The taskmark language server was not found: `taskmark` is not on PATH and taskmark.server.path is not set.',
  };
}
