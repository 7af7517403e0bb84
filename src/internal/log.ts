/** Where the checkers write their few log lines. */
export interface AuthLogger {
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The log a client can reach: a client decides how often a hook throws, a body goes uncaptured
 * or Redis times out, so each kind of line is written at most once per interval, and the next
 * one written says how many were left out. Lines are never built from secrets.
 */
export interface LimitedLog {
  error(kind: string, message: string): void;
  warn(kind: string, message: string): void;
}

const LOG_INTERVAL_MS = 60_000;

export function rateLimitedLog(logger: AuthLogger, intervalMs = LOG_INTERVAL_MS, now: () => number = Date.now): LimitedLog {
  const kinds = new Map<string, { last: number; suppressed: number }>();
  const write = (level: 'warn' | 'error', kind: string, message: string) => {
    const t = now();
    const state = kinds.get(kind);
    if (state && t - state.last < intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    kinds.set(kind, { last: t, suppressed: 0 });
    logger[level](suppressed > 0 ? `${message} (${suppressed} more like this in the last ${Math.round((t - state!.last) / 1000)} s were not logged)` : message);
  };
  return {
    error: (kind, message) => write('error', kind, message),
    warn: (kind, message) => write('warn', kind, message),
  };
}
