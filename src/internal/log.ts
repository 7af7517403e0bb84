/**
 * Where the checkers write their few log lines (`console` by default); no line ever contains a
 * password, token or hash.
 * @example
 * ```ts
 * const logger: AuthLogger = { warn: (message) => pino.warn(message), error: (message) => pino.error(message) };
 * const auth = createAuthCheckers([UserAuth], { logger });
 * ```
 */
export interface AuthLogger {
  /** A configuration that works but is probably not what was meant, found at start-up or by a first request. */
  warn(message: string): void;
  /** A request that failed on the server side (a hook threw, Redis timed out, a misconfiguration); each kind is logged rarely, not per request. */
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
