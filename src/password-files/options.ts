import { configError } from '../config';
import { rateLimitedLog, type AuthLogger, type LimitedLog } from '../internal/log';

/**
 * Options shared by `htpasswd()` and `htdigest()`.
 * @example
 * ```ts
 * const options: PasswordFileOptions = { maxFiles: 100, checkIntervalMs: 2000 };
 * ```
 */
export interface PasswordFileOptions {
  /** Where the few lines about the files go (parse errors, deletion). @default console */
  logger?: AuthLogger;
  /** Milliseconds to wait after a change is seen before reloading, so a file is read once it is written. @default 100 */
  debounceMs?: number;
  /** At most this often (ms), a request checks the file's size, time and inode, for changes a watcher missed. @default 2000 */
  checkIntervalMs?: number;
  /** Files kept loaded at once (per tenant paths); the least recently used is closed past it. @default 1000 */
  maxFiles?: number;
}

export interface ResolvedFileOptions {
  readonly log: LimitedLog;
  readonly debounceMs: number;
  readonly checkIntervalMs: number;
  readonly maxFiles: number;
}

const COMMON = ['logger', 'debounceMs', 'checkIntervalMs', 'maxFiles'];

export function resolveFileOptions(path: unknown, options: object | undefined, extra: readonly string[], where: string): ResolvedFileOptions {
  if (!((typeof path === 'string' && path !== '') || typeof path === 'function')) {
    configError(where, 'path must be a file path, or a function of the request returning one (per tenant)');
  }
  if (options !== undefined && (options === null || typeof options !== 'object')) configError(where, 'options must be an object');
  const o = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!COMMON.includes(key) && !extra.includes(key)) configError(where, `unknown option "${key}" (allowed: ${[...extra, ...COMMON].join(', ')})`);
  const count = (name: string, fallback: number, min: number): number => {
    const value = o[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) configError(where, `${name} must be an integer of at least ${min}`);
    return value;
  };
  const logger = (o.logger ?? console) as AuthLogger;
  if (typeof logger?.error !== 'function' || typeof logger.warn !== 'function') configError(where, 'logger must have warn and error methods');
  return Object.freeze({
    log: rateLimitedLog(logger),
    debounceMs: count('debounceMs', 100, 0),
    checkIntervalMs: count('checkIntervalMs', 2000, 0),
    maxFiles: count('maxFiles', 1000, 1),
  });
}
