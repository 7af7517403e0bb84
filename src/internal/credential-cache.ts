import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { configError } from '../config';

/** `cache` option of `@BasicAuth` / `@TokenAuth`. */
export interface CacheOptions {
  /** Seconds a verified credential is remembered. */
  ttl: number;
  /** Most credentials remembered at once; the least recently used go first. @default 10000 */
  max?: number;
}

export interface CacheConfig {
  readonly ttlMs: number;
  readonly max: number;
}

export function resolveCacheOption(value: unknown, where: string): CacheConfig | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') configError(where, 'cache must be { ttl: seconds, max?: entries }');
  const { ttl, max = 10_000, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) configError(where, `unknown cache option "${Object.keys(rest)[0]}" (allowed: ttl, max)`);
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) configError(where, 'cache.ttl must be a positive number of seconds');
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) configError(where, 'cache.max must be a positive integer');
  return Object.freeze({ ttlMs: Math.round(ttl * 1000), max });
}

const SEPARATOR = '\u0000';

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
  readonly #pending = new Map<string, Promise<unknown>>();

  constructor(config: CacheConfig) {
    this.#entries = new LRUCache({ max: config.max, ttl: config.ttlMs });
  }

  /** The entry key: the username in clear (so it can be evicted by name) and a MAC of both. */
  keyFor(username: string, secret: string): string {
    const mac = createHmac('sha256', this.#key).update(username).update(SEPARATOR).update(secret).digest('base64');
    return `${username}${SEPARATOR}${mac}`;
  }

  /**
   * What `verify` answers for these credentials: from the cache, from a verification of the same
   * credentials already under way, or by calling it (an accepted answer is then remembered).
   */
  async verify(key: string, verify: () => unknown, accepted: (verified: unknown) => boolean): Promise<unknown> {
    const hit = this.#entries.get(key);
    if (hit) return hit.verified;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const verified = await verify();
          if (accepted(verified)) this.#entries.set(key, { verified });
          return verified;
        } finally {
          this.#pending.delete(key);
        }
      })();
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** Forgets one user's entries (after a password change), or everything. */
  clear(username?: string): void {
    if (username === undefined) {
      this.#entries.clear();
      return;
    }
    const prefix = `${username}${SEPARATOR}`;
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
