import { resolve } from 'node:path';
import { configError } from '../config';
import type { AuthLogger } from '../internal/log';

/**
 * Options shared by `htpasswd()` and `htdigest()`.
 * @example
 * ```ts
 * const options: PasswordFileOptions = { root: '/etc/app/tenants', maxFiles: 100, checkIntervalMs: 2000 };
 * ```
 */
export interface PasswordFileOptions {
  /**
   * The folder of the per-tenant files: required when the path is a function of the request, which
   * then returns one file name in it. Names outside `[A-Za-z0-9._-]`, starting with `.` or longer
   * than 128 characters are refused, and so is a file whose real path (after symbolic links) is
   * outside this folder.
   */
  root?: string;
  /**
   * Where the few lines about the files go (parse errors, deletion). By default, the `logger` of
   * the `createAuthCheckers` whose hooks pass their request to `verify()` / `ha1()`; `console`
   * for a file not used that way.
   */
  logger?: AuthLogger;
  /** Milliseconds to wait after a change is seen before reloading, so a file is read once it is written. @default 100 */
  debounceMs?: number;
  /** At most this often (ms), a request checks the file's size, time and inode, for changes a watcher missed. @default 2000 */
  checkIntervalMs?: number;
  /** Files kept loaded at once (per tenant paths); the least recently used is closed past it. @default 1000 */
  maxFiles?: number;
  /** The largest file read, in bytes; a larger one is not read. @default 1048576 (1 MiB) */
  maxFileBytes?: number;
  /** Milliseconds a read may take before it is given up (a stalled network file system). @default 1000 */
  readTimeoutMs?: number;
}

export interface ResolvedFileOptions {
  /** Absolute; set exactly when the path is a function. */
  readonly root: string | undefined;
  readonly logger: AuthLogger | undefined;
  readonly debounceMs: number;
  readonly checkIntervalMs: number;
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  readonly readTimeoutMs: number;
}

const COMMON = ['root', 'logger', 'debounceMs', 'checkIntervalMs', 'maxFiles', 'maxFileBytes', 'readTimeoutMs'];

export function resolveFileOptions(path: unknown, options: object | undefined, extra: readonly string[], where: string): ResolvedFileOptions {
  if (!((typeof path === 'string' && path !== '') || typeof path === 'function')) {
    configError(where, 'path must be a file path, or a function of the request returning a file name in options.root (per tenant)');
  }
  if (options !== undefined && (options === null || typeof options !== 'object')) configError(where, 'options must be an object');
  const o = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!COMMON.includes(key) && !extra.includes(key)) configError(where, `unknown option "${key}" (allowed: ${[...extra, ...COMMON].join(', ')})`);
  const count = (name: string, fallback: number, min: number): number => {
    const value = o[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) configError(where, `${name} must be an integer of at least ${min}`);
    return value;
  };
  const { root, logger } = o;
  if (typeof path === 'function' && root === undefined) {
    configError(where, 'a path function needs root, the folder of the per-tenant files; the function then returns one file name in it, e.g. (request) => `${tenantOf(request)}.htpasswd` with { root: "/etc/app/tenants" }');
  }
  if (typeof path === 'string' && root !== undefined) configError(where, 'root is for a path function (a file per tenant); with one fixed path, remove root');
  if (root !== undefined && (typeof root !== 'string' || root === '')) configError(where, 'root must be the path of a folder');
  if (logger !== undefined && (logger === null || typeof (logger as AuthLogger).error !== 'function' || typeof (logger as AuthLogger).warn !== 'function')) {
    configError(where, 'logger must have warn and error methods');
  }
  return Object.freeze({
    root: root === undefined ? undefined : resolve(root as string),
    logger: logger as AuthLogger | undefined,
    debounceMs: count('debounceMs', 100, 0),
    checkIntervalMs: count('checkIntervalMs', 2000, 0),
    maxFiles: count('maxFiles', 1000, 1),
    maxFileBytes: count('maxFileBytes', 1024 * 1024, 1),
    readTimeoutMs: count('readTimeoutMs', 1000, 1),
  });
}
