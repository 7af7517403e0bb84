import { createHash } from 'node:crypto';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { withDeadline } from './deadline';
import { MemoryCounters, type Count } from './memory-counters';
import { isNodeRedis } from './redis-pubsub';
import type { ThrottleConfig } from './throttle-options';

export { canonicalUsername, resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from './throttle-options';

/** How an attempt ended, for the counts: only `failed` keeps its point. */
export type AttemptResult = 'failed' | 'succeeded' | 'other';

/** The answer to `reserve`: go ahead (and report the result with `end`), or 429 for so long. */
export type Reservation =
  | { readonly refused: true; readonly retryAfterMs: number }
  | ThrottleAttempt;

/** A slot held while the hooks run (or none needed); `end` gives it back or keeps it as a failure. */
export interface ThrottleAttempt {
  readonly refused: false;
  end(result: AttemptResult): Promise<void>;
}

type Store = 'redis' | 'memory';

/** A point taken in one store, in a window that ends at `endsAt` (this process's clock). */
interface Held {
  readonly key: string;
  readonly store: Store;
  readonly value: number;
  readonly endsAt: number;
}

/** Keys longer than this are replaced by their SHA-256, so a client cannot make one key cost kilobytes. */
const MAX_KEY_PART = 64;
/** Live keys the memory counters keep: roughly 200 bytes each. */
const MEMORY_KEYS = 100_000;
/** How long Redis is left alone after it failed, so an outage costs one deadline per interval, not per call. */
const REDIS_RETRY_MS = 1_000;
/** Waiters look again this often, for slots freed by other instances or by a window's end. */
const POLL_MS = 50;
/** Releases this close to their window's end are dropped (see `release`). */
const RELEASE_MARGIN_MS = 50;

const BUSY_RETRY_AFTER_MS = 1_000;

/**
 * Who an attempt is counted as: the account (the canonical username, see `throttle.normalize`)
 * and the client address, both within `scope` (what `throttle.key` returned).
 */
export interface ThrottleIdentity {
  readonly account?: string;
  readonly address?: string;
  readonly scope?: string;
}

// The scope's length goes first, so no scope and value can be cut into another pair.
const keyPart = (kind: string, value: string, scope: string | undefined): string => {
  const scoped = scope === undefined ? value : `${scope.length}.${scope}:${value}`;
  return scoped.length <= MAX_KEY_PART ? `${kind}:${scoped}` : `${kind}#:${createHash('sha256').update(scoped).digest('base64url')}`;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const FREE: Reservation = Object.freeze({ refused: false as const, end: async () => {} });

/**
 * Counts failed logins per account and per client address and blocks either once it reaches
 * the limit. One instance per bound auth class, so two apps never share counts unless they share
 * a Redis, and two classes never do unless they are given the same `keyPrefix`.
 *
 * Two counters per key: `f:` the failures of the window (set to `failures + 1` while blocked) and
 * `r:` the attempts being verified now. An attempt with credentials reserves a point in `r:`
 * before any hook runs and goes ahead only while reserved + failed ≤ `failures`, so no
 * concurrency lets more than `failures` guesses per key and window reach the hook. A failure is
 * added to `f:` before its reservation is given back, and a reservation is taken before `f:` is
 * read, so every attempt is always seen in one of the two. A reservation belongs to the window
 * of its `r:` key: in Redis, where that key lives for `window` seconds, one still being verified
 * when the key expires is not seen by the next window (its failure is still counted in `f:`).
 */
export class Throttle {
  readonly config: ThrottleConfig;
  readonly #memory = new MemoryCounters(MEMORY_KEYS);
  readonly #redis?: RateLimiterRedis;
  readonly #logError: (kind: string, message: string) => void;
  #redisIdleUntil = 0;
  readonly #waiters = new Map<string, Set<() => void>>();

  /** `className` names the default Redis prefix, `httpauth:throttle:<class name>`. */
  constructor(config: ThrottleConfig, className: string, logError: (kind: string, message: string) => void = () => {}) {
    this.config = config;
    this.#logError = logError;
    if (config.redis) {
      this.#redis = new RateLimiterRedis({
        storeClient: config.redis,
        // rate-limiter-flexible speaks ioredis unless told the client is node-redis (v4+).
        useRedisPackage: isNodeRedis(config.redis),
        points: config.failures,
        duration: config.windowSeconds,
        keyPrefix: config.keyPrefix ?? `httpauth:throttle:${className}`,
      });
    }
  }

  /**
   * Checks the blocks and, when `needsSlot` (credentials that will reach a hook), reserves a
   * slot, waiting up to `maxWait` for one while others are being verified.
   */
  async reserve({ account, address, scope }: ThrottleIdentity, needsSlot: boolean): Promise<Reservation> {
    const keys: string[] = [];
    if (account !== undefined && account !== '') keys.push(keyPart('u', account, scope));
    if (address) keys.push(keyPart('a', address, scope));
    if (keys.length === 0) return FREE;
    const limit = this.config.failures;
    const giveUpAt = Date.now() + this.config.maxWaitMs;
    for (;;) {
      const held = needsSlot ? await Promise.all(keys.map((key) => this.#add(`r:${key}`, 1))) : [];
      const failed = await Promise.all(keys.map((key) => this.#failures(key)));
      const blockedMs = Math.max(0, ...failed.map((count) => (count && count.value >= limit ? count.msLeft : 0)));
      if (blockedMs === 0 && held.every((h, i) => h.value + (failed[i]?.value ?? 0) <= limit)) {
        const userHadFailures = account !== undefined && account !== '' && (failed[0]?.value ?? 0) > 0;
        return this.#attempt(keys, held, userHadFailures ? `f:${keys[0]}` : undefined);
      }
      // Not a slot that was used, so waking the other waiters would only make them spin.
      await this.#release(held, false);
      if (blockedMs > 0) return { refused: true, retryAfterMs: blockedMs };
      const left = giveUpAt - Date.now();
      if (left <= 0) return { refused: true, retryAfterMs: BUSY_RETRY_AFTER_MS };
      await this.#waitForRelease(keys, Math.min(left, POLL_MS));
    }
  }

  #attempt(keys: readonly string[], held: readonly Held[], resetOnSuccess: string | undefined): Reservation {
    let ended = false;
    return {
      refused: false,
      end: async (result) => {
        if (ended) return;
        ended = true;
        if (result === 'failed') await Promise.all(keys.map((key) => this.#countFailure(`f:${key}`)));
        await this.#release(held, true);
        // A success resets the username's failures (the address keeps its own).
        if (result === 'succeeded' && resetOnSuccess) await this.#delete(resetOnSuccess);
      },
    };
  }

  async #countFailure(key: string): Promise<void> {
    const count = await this.#add(key, 1);
    // The limit is reached on the failure that uses the last allowed attempt.
    if (count.value >= this.config.failures) await this.#block(key, count.store);
  }

  /**
   * Gives reservations back to the store that holds them. One taken in a window that has ended
   * (or is about to) is dropped instead: giving it back would lower the next window's count.
   */
  async #release(held: readonly Held[], wakeWaiters: boolean): Promise<void> {
    if (held.length === 0) return;
    const now = Date.now();
    await Promise.all(
      held.map(async ({ key, store, endsAt }) => {
        if (endsAt - RELEASE_MARGIN_MS <= now) return;
        if (store === 'memory') {
          this.#memory.add(key, -1, this.config.windowSeconds);
          return;
        }
        await this.#callRedis('reward', (redis) => redis.reward(key, 1)).catch(() => {});
      }),
    );
    if (!wakeWaiters) return;
    for (const { key } of held) {
      const waiting = this.#waiters.get(key.slice(2));
      if (waiting) for (const wake of [...waiting]) wake();
    }
  }

  #waitForRelease(keys: readonly string[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        for (const key of keys) {
          const set = this.#waiters.get(key);
          set?.delete(wake);
          if (set?.size === 0) this.#waiters.delete(key);
        }
        resolve();
      };
      const timer = setTimeout(wake, ms);
      for (const key of keys) {
        let set = this.#waiters.get(key);
        if (!set) this.#waiters.set(key, (set = new Set()));
        set.add(wake);
      }
    });
  }

  /** Adds to a counter in Redis, or in memory when Redis does not answer in time. */
  async #add(key: string, delta: number): Promise<Held> {
    const started = Date.now();
    if (this.#redis && started >= this.#redisIdleUntil) {
      const call = this.#redis.penalty(key, delta);
      try {
        const res = await this.#callRedis('penalty', () => call);
        return { key, store: 'redis', value: res.consumedPoints, endsAt: started + Math.max(res.msBeforeNext, 0) };
      } catch {
        // The command may still run once Redis is back (an offline queue): take the point back then.
        call.then(() => this.#redis!.reward(key, delta).catch(() => {}), () => {});
      }
    }
    const count = this.#memory.add(key, delta, this.config.windowSeconds, started);
    return { key, store: 'memory', value: count.value, endsAt: started + count.msLeft };
  }

  /** The failures of a key: the larger of Redis's count and the memory's (kept during an outage). */
  async #failures(key: string): Promise<Count | null> {
    const memory = this.#memory.get(`f:${key}`);
    if (!this.#redis || Date.now() < this.#redisIdleUntil) return memory;
    const res = await this.#callRedis('get', (redis) => redis.get(`f:${key}`)).catch(() => null);
    const redis = res && { value: res.consumedPoints, msLeft: res.msBeforeNext };
    if (!redis || (memory && memory.value > redis.value)) return memory;
    return redis;
  }

  async #block(key: string, store: Store): Promise<void> {
    if (store === 'redis') {
      const blocked = await this.#callRedis('block', (redis) => redis.block(key, this.config.blockSeconds)).then(() => true, () => false);
      if (blocked) return;
    }
    this.#memory.set(key, this.config.failures + 1, this.config.blockSeconds);
  }

  async #delete(key: string): Promise<void> {
    this.#memory.delete(key);
    if (this.#redis && Date.now() >= this.#redisIdleUntil) await this.#callRedis('delete', (redis) => redis.delete(key)).catch(() => {});
  }

  /** One Redis call under the deadline; a failure is logged and leaves Redis alone for a while. */
  async #callRedis<T>(what: string, call: (redis: RateLimiterRedis) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(call(this.#redis!), this.config.timeoutMs, `Redis (throttle ${what})`);
    } catch (error) {
      this.#redisIdleUntil = Date.now() + REDIS_RETRY_MS;
      this.#logError('throttle-redis', `throttle: Redis failed (${errorMessage(error)}); counting in this process's memory until it answers again`);
      throw error;
    }
  }
}
