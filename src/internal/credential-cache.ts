import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { configError } from '../config';
import type { HookRequest } from '../types';
import { resolvePubSubRedis, type PubSubRedis } from './redis-pubsub';

/**
 * `cache` option of `@BasicAuth` / `@TokenAuth`: remember verified credentials so a slow password
 * hash or token lookup runs once per `ttl`; only a keyed hash of each secret is kept, and failures
 * are never cached. With `redis`, `clearCache` clears every instance.
 * @example
 * ```ts
 * @BasicAuth({ cache: { ttl: 300, max: 10_000, redis: new Redis(process.env.REDIS_URL!) } })
 * class UserAuth { @VerifyPassword() verify(username: string, password: string) { return users.check(username, password); } }
 * ```
 */
export interface CacheOptions {
  /** Seconds a verified credential is remembered. */
  ttl: number;
  /** Most credentials remembered at once; the least recently used go first. @default 10000 */
  max?: number;
  /**
   * What else a cached answer depends on, e.g. `(request) => tenantOf(request)`: its result is
   * part of the cache key. Needed when the verify hook's answer depends on the request, or one
   * tenant's cached success would be served to another tenant sending the same credentials.
   */
  key?: (request: HookRequest) => string;
  /**
   * A Redis client (ioredis, or node-redis v4/v5) shared by every instance behind a load balancer:
   * `clearCache` on one instance then clears the others too, through Redis pub/sub. The client is
   * used for `INCR`, `GET` and `PUBLISH`; a `duplicate()` of it subscribes. When Redis cannot be
   * reached the cache keeps working in this process, and each instance clears it when it
   * reconnects.
   */
  redis?: object;
  /**
   * Prefix of the channel and counter in Redis: the same on every instance of one auth class, and
   * different for each auth class. Set it when a build step may rename classes (minifiers), so
   * that two versions running side by side during a deployment still share it.
   * @default "httpauth:cache:<class name>"
   */
  keyPrefix?: string;
}

export interface CacheConfig {
  readonly ttlMs: number;
  readonly max: number;
  readonly key?: (request: HookRequest) => string;
  readonly redis?: PubSubRedis;
  /** Undefined: `httpauth:cache:<class name>`, filled in by `createAuthCheckers`. */
  readonly keyPrefix?: string;
}

const CACHE_OPTIONS = ['ttl', 'max', 'key', 'redis', 'keyPrefix'];

export function resolveCacheOption(value: unknown, where: string): CacheConfig | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') configError(where, 'cache must be { ttl: seconds, max?: entries, key?: (request) => string, redis?: client }');
  const { ttl, max = 10_000, key, redis, keyPrefix, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) configError(where, `unknown cache option "${Object.keys(rest)[0]}" (allowed: ${CACHE_OPTIONS.join(', ')})`);
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) configError(where, 'cache.ttl must be a positive number of seconds');
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) configError(where, 'cache.max must be a positive integer');
  if (key !== undefined && typeof key !== 'function') configError(where, 'cache.key must be a function of the request returning a string, e.g. (request) => request.header("x-tenant") ?? ""');
  if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || keyPrefix === '')) configError(where, 'cache.keyPrefix must be a non-empty string');
  if (keyPrefix !== undefined && redis === undefined) configError(where, 'cache.keyPrefix names keys in Redis; add cache.redis (or remove keyPrefix)');
  return Object.freeze({
    ttlMs: Math.round(ttl * 1000),
    max,
    ...(key ? { key: key as (request: HookRequest) => string } : {}),
    ...(redis !== undefined ? { redis: resolvePubSubRedis(redis, where) } : {}),
    ...(keyPrefix !== undefined ? { keyPrefix: keyPrefix as string } : {}),
  });
}

/** The part of the cache key `cache.key` adds for a request; '' without one. */
export function cacheScope(config: CacheConfig, hookRequest: () => HookRequest): string {
  if (!config.key) return '';
  const scope: unknown = config.key(hookRequest());
  if (typeof scope !== 'string' && typeof scope !== 'number') throw new TypeError(`http-auth: cache.key returned ${scope === null ? 'null' : typeof scope}; return a string`);
  return String(scope);
}

/**
 * Which users `clearCache` forgets: one username, or a test of usernames (for apps whose
 * usernames are case-insensitive: `(name) => name.toLowerCase() === 'alice'`).
 * @example
 * ```ts
 * const changed: UsernameFilter = (name) => name.toLowerCase() === username.toLowerCase();
 * auth.clearCache(changed); // after a password change
 * ```
 */
export type UsernameFilter = string | ((username: string) => boolean);

const SEPARATOR = '\u0000';

const usernameOf = (key: string): string => key.slice(0, key.lastIndexOf(SEPARATOR));

interface Pending {
  readonly promise: Promise<unknown>;
  /** Set by `clear`: the answer is still given to the requests that waited for it, never remembered. */
  cleared: boolean;
}

/**
 * Remembers credentials that verified successfully, so an expensive password hash is computed
 * once per `ttl` rather than on every request (the way Elasticsearch caches realm logins). Only
 * a keyed hash of the secret is kept, under a key made at start-up and never stored, so a memory
 * dump does not reveal passwords or tokens and cannot be checked offline. Failures are never
 * cached, and the secret is part of the key: a wrong password can never hit an entry.
 */
export class CredentialCache {
  readonly #key = randomBytes(32);
  readonly #entries: LRUCache<string, { verified: unknown }>;
  // Verifications under way, so that when an entry expires under load the many requests carrying
  // the same credentials wait for one slow hash instead of each starting their own.
  readonly #pending = new Map<string, Pending>();

  readonly #ttlMs: number;

  constructor(config: CacheConfig) {
    this.#ttlMs = config.ttlMs;
    this.#entries = new LRUCache({ max: config.max, ttl: config.ttlMs });
  }

  /**
   * The entry key: the username in clear (so it can be evicted by name) and a MAC of both and of
   * the `cache.key` scope. The scope goes first, length-prefixed, so that no choice of secret can
   * make one scope's input equal another's.
   */
  keyFor(username: string, secret: string, scope = ''): string {
    const mac = createHmac('sha256', this.#key).update(`${scope.length}:${scope}`).update(username).update(SEPARATOR).update(secret).digest('base64');
    return `${username}${SEPARATOR}${mac}`;
  }

  /** The remembered answer for these credentials, synchronously; `undefined` when there is none. */
  hit(key: string): { readonly verified: unknown } | undefined {
    return this.#entries.get(key);
  }

  /** Whether these credentials are remembered as verified; runs nothing. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * What `verify` answers for these credentials: from the cache, from a verification of the same
   * credentials already under way, or by calling it (an accepted answer is then remembered,
   * unless `clear` forgot these credentials while it ran, for `ttl` or `maxTtlMs` of it if less).
   */
  async verify(key: string, verify: () => unknown, accepted: (verified: unknown) => boolean, maxTtlMs?: (verified: unknown) => number): Promise<unknown> {
    const hit = this.#entries.get(key);
    if (hit) return hit.verified;
    const pending = this.#pending.get(key);
    if (pending) return pending.promise;
    const record: { promise?: Promise<unknown>; cleared: boolean } = { cleared: false };
    record.promise = (async () => {
      try {
        const verified = await verify();
        if (!record.cleared && accepted(verified)) this.#remember(key, verified, maxTtlMs?.(verified));
        return verified;
      } finally {
        if (this.#pending.get(key) === record) this.#pending.delete(key);
      }
    })();
    this.#pending.set(key, record as Pending);
    return record.promise;
  }

  /** Remembers an accepted answer for the configured `ttl`, or less when the credentials expire sooner (`maxTtlMs`). */
  #remember(key: string, verified: unknown, maxTtlMs: number | undefined): void {
    if (maxTtlMs === undefined) this.#entries.set(key, { verified });
    else if (maxTtlMs > 0) this.#entries.set(key, { verified }, { ttl: Math.min(maxTtlMs, this.#ttlMs) });
  }

  /**
   * Forgets the entries of one user, of the users a test matches, or of everyone. Verifications
   * already under way for them will not be remembered when they end (they may have checked the
   * old password), and requests arriving from now on do not wait for them.
   */
  clear(which?: UsernameFilter): void {
    const matches = which === undefined ? () => true : typeof which === 'string' ? (name: string) => name === which : which;
    for (const [key, pending] of this.#pending) {
      if (!matches(usernameOf(key))) continue;
      pending.cleared = true;
      this.#pending.delete(key);
    }
    if (which === undefined) {
      this.#entries.clear();
      return;
    }
    for (const key of [...this.#entries.keys()]) if (matches(usernameOf(key))) this.#entries.delete(key);
  }
}
