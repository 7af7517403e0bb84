import { resolveTimeoutMs, withDeadline } from '../internal/deadline';
import type { NonceStore } from './nonce-store';

/**
 * The Redis commands the store needs, in ioredis's argument form: `SET key value PX ms NX` for a
 * nonce with an expiry and `SET key value NX` for one without, resolving `'OK'` when the key was
 * set and `null` when it already existed. An ioredis `Redis` or `Cluster` fits as is; wrap a
 * node-redis v4 client with {@link fromNodeRedis}.
 *
 * The parameters are spelled out (rather than `...args`) because ioredis's overloads are only
 * assignable to an exact shape.
 * @example
 * ```ts
 * const client: RedisLikeClient = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false });
 * const store = new RedisNonceStore(client);
 * ```
 */
export interface RedisLikeClient {
  /** `SET key value PX ms NX`: records a use of a nonce that expires in `milliseconds`. */
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<unknown>;
  /** `SET key value NX`: records a use of a nonce without an expiry. */
  set(key: string, value: string, nx: 'NX'): Promise<unknown>;
}

/**
 * The node-redis v4 shape of `SET`, options as an object; adapt it with {@link fromNodeRedis}.
 * @example
 * ```ts
 * const client: NodeRedisLikeClient = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisNonceStore(fromNodeRedis(client));
 * ```
 */
export interface NodeRedisLikeClient {
  /** node-redis's `SET`, resolving `'OK'` when the key was set and `null` when it already existed. */
  set(key: string, value: string, options: { PX?: number; NX: true }): Promise<unknown>;
}

/**
 * Adapts a node-redis v4 client (`createClient()` from `redis`) to {@link RedisLikeClient}.
 * @example
 * ```ts
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisNonceStore(fromNodeRedis(client));
 * ```
 */
export function fromNodeRedis(client: NodeRedisLikeClient): RedisLikeClient {
  return {
    set: (key: string, value: string, ...rest: ['PX', number, 'NX'] | ['NX']) =>
      client.set(key, value, rest.length === 3 ? { PX: rest[1], NX: true } : { NX: true }),
  };
}

/**
 * Options of {@link RedisNonceStore}: the key prefix (to share a Redis with other apps) and how
 * long a `SET` may take.
 * @example
 * ```ts
 * const store = new RedisNonceStore(redis, { prefix: 'shop:nonce:', timeout: 100 });
 * ```
 */
export interface RedisNonceStoreOptions {
  /** Prepended to every key. @default "httpauth:nonce:" */
  prefix?: string;
  /**
   * Milliseconds a `SET` may take before the request is refused with 503: a client that queues
   * commands while it reconnects would otherwise hold the request for minutes. @default 250
   */
  timeout?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

/**
 * A nonce store shared by every instance that talks to the same Redis. Each use costs one atomic
 * `SET prefix+nonce+":"+use 1 PX <ms left> NX`, so two instances racing on the same use cannot
 * both win, and keys expire with their nonce. A nonce without an expiry (a custom `@VerifyNonce`
 * returning `true`) gets keys without a TTL: only Redis's memory bounds them. Keep Redis's default
 * `maxmemory-policy noeviction`, so that a full Redis refuses writes (Digest answers 503) instead
 * of evicting a key early and letting its request be replayed.
 *
 * Client errors and calls slower than `timeout` are not swallowed: `use` rejects, and the caller
 * must refuse the request rather than skip the replay check.
 * @example
 * ```ts
 * const store = new RedisNonceStore(new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false }), { timeout: 250 });
 * @DigestAuth({ realm: 'api', secret: process.env.DIGEST_SECRET, store })
 * class DigestUsers { @GetPassword() password(username: string) { return passwords.get(username); } }
 * ```
 */
export class RedisNonceStore implements NonceStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #now: () => number;

  constructor(client: RedisLikeClient, options: RedisNonceStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'httpauth:nonce:';
    this.#timeout = resolveTimeoutMs(options.timeout, 'RedisNonceStore', 'timeout');
    this.#now = options.now ?? Date.now;
  }

  async use(nonce: string, use: string, expiresAt: number): Promise<boolean> {
    const key = `${this.#prefix}${nonce}:${use}`;
    let reply: Promise<unknown>;
    if (expiresAt === Infinity) {
      reply = this.#client.set(key, '1', 'NX');
    } else {
      // PX needs a positive integer; rounding up keeps the key at least as long as the nonce lives.
      const ttl = Math.ceil(expiresAt - this.#now());
      if (!Number.isSafeInteger(ttl) || ttl <= 0) return false;
      reply = this.#client.set(key, '1', 'PX', ttl, 'NX');
    }
    return (await withDeadline(reply, this.#timeout, 'Redis (RedisNonceStore SET)')) === 'OK';
  }
}
