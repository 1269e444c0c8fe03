/**
 * Rate-limited warnings: a flood of the same kind of event (unknown users, bad webhook signatures)
 * must not turn into a line per request. Each event name may log `burst` lines per window; the rest
 * are counted, and the count is logged as one `warnings_suppressed` line when the window ends (or at
 * close), so nothing is hidden, only summed. The one home for every repeated warning of the service.
 */
import type { Logger } from 'pino';

export interface LogLimits {
  /** Length of a window in ms (default 60 s). */
  windowMs?: number;
  /** Lines per event name and window (default 10). */
  burst?: number;
}

interface Window {
  started: number;
  logged: number;
  suppressed: number;
}

export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  readonly windowMs: number;
  readonly burst: number;

  constructor(
    private readonly log: Logger,
    limits: LogLimits = {},
  ) {
    this.windowMs = limits.windowMs ?? 60_000;
    this.burst = limits.burst ?? 10;
  }

  /** `log.warn(fields, msg)` unless `fields.event` already used its lines in this window. */
  warn(fields: { event: string } & Record<string, unknown>, msg: string): void {
    const now = Date.now();
    let w = this.windows.get(fields.event);
    if (w && now - w.started >= this.windowMs) {
      this.report(fields.event, w);
      w = undefined;
    }
    if (!w) {
      w = { started: now, logged: 0, suppressed: 0 };
      this.windows.set(fields.event, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      this.log.warn(fields, msg);
      return;
    }
    w.suppressed++;
    // The count is due at the end of this window even if no further event comes to trigger it.
    this.timer ??= setTimeout(() => this.flushDue(), w.started + this.windowMs - now).unref();
  }

  /** Logs every pending count now (at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [event, w] of this.windows) this.report(event, w);
    this.windows.clear();
  }

  private flushDue(): void {
    this.timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (const [event, w] of this.windows) {
      if (now - w.started >= this.windowMs) {
        this.report(event, w);
        this.windows.delete(event);
      } else if (w.suppressed > 0) next = Math.min(next, w.started + this.windowMs - now);
    }
    if (next !== Infinity) this.timer = setTimeout(() => this.flushDue(), next).unref();
  }

  private report(event: string, w: Window): void {
    if (w.suppressed === 0) return;
    this.log.warn(
      { event: 'warnings_suppressed', of: event, suppressed: w.suppressed, window_ms: this.windowMs },
      `${w.suppressed} more "${event}" warnings in ${Math.round(this.windowMs / 1000)} s were not logged`,
    );
  }
}
