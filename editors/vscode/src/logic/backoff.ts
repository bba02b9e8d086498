// Restart-on-crash policy. No `vscode` import: unit-tested with plain node.

export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** Each further crash within the window multiplies the delay by this. */
  factor: number;
  /** The delay never exceeds this. */
  maxMs: number;
  /** More crashes than this within `windowMs` and the extension stops restarting. */
  maxRestarts: number;
  /** Crashes older than this are forgotten. */
  windowMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  factor: 2,
  maxMs: 30_000,
  maxRestarts: 5,
  windowMs: 3 * 60_000,
};

export type Decision = { restart: true; delayMs: number; attempt: number } | { restart: false; crashes: number };

/** Decides, crash after crash, whether and when to start the server again. */
export class RestartBackoff {
  private crashes: number[] = [];

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {
    if (options.initialMs < 0 || options.factor < 1 || options.maxMs < options.initialMs || options.maxRestarts < 0) {
      throw new Error('invalid backoff options');
    }
  }

  /** Records a crash at `now` (ms) and says what to do. */
  onCrash(now: number): Decision {
    this.crashes = this.crashes.filter((at) => now - at < this.options.windowMs);
    this.crashes.push(now);
    const attempt = this.crashes.length;
    if (attempt > this.options.maxRestarts) {
      return { restart: false, crashes: attempt };
    }
    const delayMs = Math.min(this.options.maxMs, this.options.initialMs * Math.pow(this.options.factor, attempt - 1));
    return { restart: true, delayMs, attempt };
  }

  /** Crashes remembered within the window ending at `now`. */
  recentCrashes(now: number): number {
    return this.crashes.filter((at) => now - at < this.options.windowMs).length;
  }

  /** Forgets every crash: after a manual restart, or once the server has run well for a while. */
  reset(): void {
    this.crashes = [];
  }
}
