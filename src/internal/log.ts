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
 *
 * A `kind` must be a fixed word chosen by the code (`'nonce-store'`, `UserAuth:hook-timeout`),
 * never text a client chose (a path, a username, a header): the limiter tracks at most
 * {@link MAX_KINDS} kinds, and lines of further kinds share one budget.
 */
export interface LimitedLog {
  error(kind: string, message: string): void;
  warn(kind: string, message: string): void;
}

const LOG_INTERVAL_MS = 60_000;
/** Kinds tracked at once: with fixed kinds an app has a few dozen; more means client text leaked into one. */
export const MAX_KINDS = 256;
/** The longest line written, before the "(N more …)" note: a value from a request can be any length. */
export const MAX_LINE_CHARS = 1_000;

// C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional overrides and
// isolates: each can end a line or disguise one in a log viewer or terminal.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line, whatever it quotes: unsafe characters escaped as `\uXXXX`, at most {@link MAX_LINE_CHARS}. */
export function safeLine(message: string): string {
  const escaped = message.replace(UNSAFE, escapeChar);
  return escaped.length > MAX_LINE_CHARS ? `${escaped.slice(0, MAX_LINE_CHARS)}…` : escaped;
}

interface KindState {
  last: number;
  suppressed: number;
}

export function rateLimitedLog(logger: AuthLogger, intervalMs = LOG_INTERVAL_MS, now: () => number = Date.now): LimitedLog {
  const kinds = new Map<string, KindState>();
  // Where lines of kinds beyond MAX_KINDS are counted: one budget for all of them.
  const overflow: KindState = { last: -Infinity, suppressed: 0 };
  let sweptAt = -Infinity;

  /**
   * Frees the slots of kinds whose interval is over (their next line would be written anyway; a
   * count of left-out lines they still held is lost): a burst of kinds cannot hold the slots.
   */
  const sweep = (t: number) => {
    sweptAt = t;
    for (const [kind, state] of kinds) if (t - state.last >= intervalMs) kinds.delete(kind);
  };

  const stateOf = (kind: string, t: number): KindState | undefined => {
    const state = kinds.get(kind);
    if (state || kinds.size < MAX_KINDS) return state;
    // At most one sweep per interval, so a flood of new kinds costs no scan per line.
    if (t - sweptAt >= intervalMs) sweep(t);
    return kinds.size < MAX_KINDS ? undefined : overflow;
  };

  const write = (level: 'warn' | 'error', kind: string, message: string) => {
    const t = now();
    const state = stateOf(kind, t);
    if (state && t - state.last < intervalMs) {
      state.suppressed++;
      return;
    }
    const line = safeLine(message);
    if (!state) {
      kinds.set(kind, { last: t, suppressed: 0 });
      logger[level](line);
      return;
    }
    const { suppressed, last } = state;
    state.last = t;
    state.suppressed = 0;
    if (suppressed === 0) {
      logger[level](line);
      return;
    }
    const what = state === overflow ? 'lines of other kinds' : 'more like this';
    logger[level](`${line} (${suppressed} ${what} in the last ${Math.round((t - last) / 1000)} s were not logged)`);
  };
  return {
    error: (kind, message) => write('error', kind, message),
    warn: (kind, message) => write('warn', kind, message),
  };
}
