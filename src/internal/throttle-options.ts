import { configError } from '../config';
import type { HookRequest } from '../types';
import { resolveTimeoutMs } from './deadline';

/**
 * `throttle` option of the auth-class decorators: after `failures` failed attempts within
 * `window` seconds, an account or client address gets 429 with `Retry-After` for `block` seconds.
 * @example
 * ```ts
 * @BasicAuth({ throttle: { failures: 10, window: 60, block: 300, redis, timeout: 250, key: (request) => request.header('x-tenant') ?? '' } })
 * class UserAuth { @VerifyPassword() verify(username: string, password: string) { return users.check(username, password); } }
 * ```
 */
export interface ThrottleOptions {
  /** Failed attempts allowed per account and per client address within `window`. */
  failures: number;
  /** Seconds over which failures are counted. */
  window: number;
  /** Seconds an account or address stays blocked once it reached `failures`. */
  block: number;
  /**
   * The account a username names, for counting: by default width mapping, NFKC and case folding
   * (close to RFC 8265's UsernameCaseMapped profile), so `Alice`, `ALICE` and `ａｌｉｃｅ` share one
   * budget. Give your own when your accounts are told apart differently, e.g. `(name) => name`
   * where `Alice` and `alice` are two accounts.
   */
  normalize?: (name: string) => string;
  /**
   * What else an account depends on, e.g. `(request) => tenantOf(request)`: its result is part of
   * every key, so one tenant's failures never block another tenant's user of the same name. Set it
   * when users are per tenant (as `cache.key`).
   */
  key?: (request: HookRequest) => string;
  /**
   * A Redis client (ioredis or node-redis) shared by every instance behind a load balancer.
   * When Redis cannot be reached, counting falls back to this process's memory: throttling stays
   * on, per instance, and requests are never refused or crashed because of Redis.
   */
  redis?: object;
  /**
   * Key prefix in Redis: the same on every instance of one auth class, and different for each
   * auth class (two classes sharing one would share their counts). Set it when a build step may
   * rename classes (minifiers). @default "httpauth:throttle:<class name>"
   */
  keyPrefix?: string;
  /** Milliseconds each Redis call may take before counting falls back to memory. @default 250 */
  timeout?: number;
  /**
   * Milliseconds an attempt may wait for a free slot while `failures` others for the same
   * account or address are being verified; after that it gets 429. @default 5000
   */
  maxWait?: number;
}

export interface ThrottleConfig {
  readonly failures: number;
  readonly windowSeconds: number;
  readonly blockSeconds: number;
  readonly normalize: (name: string) => string;
  readonly key?: (request: HookRequest) => string;
  readonly redis?: object;
  /** Undefined: `httpauth:throttle:<class name>`, filled in when the class is bound. */
  readonly keyPrefix?: string;
  readonly timeoutMs: number;
  readonly maxWaitMs: number;
}

/**
 * The default `normalize`: compatibility forms (full-width letters, ligatures) mapped by NFKC, then
 * case folded. JavaScript has no case folding; upper then lower case folds what lower case alone
 * misses (`ß` and `SS` both become `ss`).
 */
export const canonicalUsername = (name: string): string => name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');

const DEFAULT_MAX_WAIT_MS = 5_000;
const OPTIONS = ['failures', 'window', 'block', 'normalize', 'key', 'redis', 'keyPrefix', 'timeout', 'maxWait'];

const positiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

export function resolveThrottleOption(value: unknown, where: string): ThrottleConfig | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') configError(where, 'throttle must be { failures, window, block }');
  const { failures, window, block, normalize = canonicalUsername, key, redis, keyPrefix, timeout, maxWait = DEFAULT_MAX_WAIT_MS, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) configError(where, `unknown throttle option "${Object.keys(rest)[0]}" (allowed: ${OPTIONS.join(', ')})`);
  if (!positiveInteger(failures)) configError(where, 'throttle.failures must be a positive integer');
  if (!positiveInteger(window)) configError(where, 'throttle.window must be a positive whole number of seconds');
  if (!positiveInteger(block)) configError(where, 'throttle.block must be a positive whole number of seconds');
  if (typeof normalize !== 'function') configError(where, 'throttle.normalize must be a function from a username to the account it names, e.g. (name) => name.toLowerCase()');
  if (key !== undefined && typeof key !== 'function') configError(where, 'throttle.key must be a function of the request returning a string, e.g. (request) => request.header("x-tenant") ?? ""');
  if (redis !== undefined && (redis === null || typeof redis !== 'object')) configError(where, 'throttle.redis must be a Redis client (ioredis or node-redis)');
  if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || keyPrefix === '')) configError(where, 'throttle.keyPrefix must be a non-empty string');
  if (keyPrefix !== undefined && redis === undefined) configError(where, 'throttle.keyPrefix names keys in Redis; add throttle.redis (or remove keyPrefix)');
  const timeoutMs = resolveTimeoutMs(timeout, where, 'throttle.timeout');
  if (typeof maxWait !== 'number' || !Number.isFinite(maxWait) || maxWait < 0) configError(where, 'throttle.maxWait must be a number of milliseconds (0 or more)');
  return Object.freeze({
    failures,
    windowSeconds: window,
    blockSeconds: block,
    normalize: normalize as (name: string) => string,
    ...(key ? { key: key as (request: HookRequest) => string } : {}),
    redis: redis as object | undefined,
    ...(keyPrefix !== undefined ? { keyPrefix: keyPrefix as string } : {}),
    timeoutMs,
    maxWaitMs: maxWait,
  });
}
