import { resolveTimeoutMs, withDeadline } from '../internal/deadline';
import type { NonceStore } from './nonce-store';

/**
 * The one Redis command the store needs, in ioredis's argument form: `EVAL script numkeys key
 * arg…`, resolving the script's integer reply. An ioredis `Redis` or `Cluster` fits as is; wrap a
 * node-redis client with {@link fromNodeRedis}.
 *
 * The parameters are spelled out (rather than `...args: unknown[]`) because ioredis's overloads
 * are only assignable to an exact shape.
 * @example
 * ```ts
 * const client: RedisLikeClient = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false });
 * const store = new RedisNonceStore(client);
 * ```
 */
export interface RedisLikeClient {
  /** `EVAL script numkeys key… arg…`: runs the store's Lua script (one key per nonce). */
  eval(script: string, numkeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

/**
 * The node-redis (v4, v5) shape of `EVAL`, keys and arguments as an object; adapt it with
 * {@link fromNodeRedis}.
 * @example
 * ```ts
 * const client: NodeRedisLikeClient = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisNonceStore(fromNodeRedis(client));
 * ```
 */
export interface NodeRedisLikeClient {
  /** node-redis's `EVAL`, resolving the script's reply. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Adapts a node-redis client (`createClient()` from `redis`, v4 or v5) to {@link RedisLikeClient}.
 * @example
 * ```ts
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisNonceStore(fromNodeRedis(client));
 * ```
 */
export function fromNodeRedis(client: NodeRedisLikeClient): RedisLikeClient {
  return {
    eval: (script, numkeys, ...keysAndArgs) =>
      client.eval(script, { keys: keysAndArgs.slice(0, numkeys).map(String), arguments: keysAndArgs.slice(numkeys).map(String) }),
  };
}

/**
 * Options of {@link RedisNonceStore}: the key prefix (to share a Redis with other apps), the
 * bounds of each nonce's record, and how long a call may take.
 * @example
 * ```ts
 * const store = new RedisNonceStore(redis, { prefix: 'shop:nonce:', timeout: 100, maxUsesPerNonce: 1_000 });
 * ```
 */
export interface RedisNonceStoreOptions {
  /** Prepended to every key. @default "httpauth:nonce:" */
  prefix?: string;
  /**
   * Milliseconds a call may take before the request is refused with 503: a client that queues
   * commands while it reconnects would otherwise hold the request for minutes. @default 250
   */
  timeout?: number;
  /** Most uses accepted per nonce (as `MemoryNonceStore`); after that the client needs a fresh nonce. @default 10_000 */
  maxUsesPerNonce?: number;
  /**
   * Milliseconds a nonce is honoured at most, counted from its first use: a nonce without an
   * expiry (a custom `@VerifyNonce` returning `true`), or with a later one, is refused (the client
   * gets `stale=true` and a fresh nonce) after this long, so that every record has a TTL.
   * @default 86_400_000 (one day)
   */
  maxNonceLifetime?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

/**
 * One record per nonce: a hash holding the expiry it was first recorded with (`e`), that lifetime
 * (`l`), and one field per accepted use. The expiry never moves: a `@VerifyNonce` that later
 * reports a later one (a sliding expiry) does not extend it, and once it has passed every use is
 * refused. The record outlives it by one lifetime, and each use presented after it keeps the
 * record for another lifetime, so a nonce that a sliding hook keeps accepting never looks new.
 *
 * KEYS[1] the record; ARGV: the use, the expiry (epoch ms), now (epoch ms), the use cap.
 * Returns 1 for a new use, 0 for a replay, an expired nonce or one past its cap.
 */
const USE_SCRIPT = `
local record, use = KEYS[1], 'u' .. ARGV[1]
local expiresAt, now, maxUses = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local recorded = redis.call('HGET', record, 'e')
if not recorded then
  local lifetime = expiresAt - now
  redis.call('HSET', record, 'e', expiresAt, 'l', lifetime, use, 1)
  redis.call('PEXPIRE', record, lifetime * 2)
  return 1
end
if tonumber(recorded) <= now then
  redis.call('PEXPIRE', record, redis.call('HGET', record, 'l'))
  return 0
end
if redis.call('HEXISTS', record, use) == 1 then return 0 end
if redis.call('HLEN', record) - 2 >= maxUses then return 0 end
redis.call('HSET', record, use, 1)
return 1
`;

const positiveInteger = (value: unknown, fallback: number, name: string): number => {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !Number.isSafeInteger(resolved) || resolved < 1) throw new TypeError(`http-auth: RedisNonceStore: ${name} must be a positive integer`);
  return resolved;
};

/**
 * A nonce store shared by every instance that talks to the same Redis. Each use costs one atomic
 * Lua script on the nonce's own key, so two instances racing on the same use cannot both win.
 * Every key has a TTL: a nonce's record lives until the expiry of its first use plus one lifetime
 * (at most {@link RedisNonceStoreOptions.maxNonceLifetime} each), and each nonce accepts at most
 * `maxUsesPerNonce` uses. Keep Redis's default `maxmemory-policy noeviction`, so that a full Redis
 * refuses writes (Digest answers 503) instead of evicting a record early.
 *
 * Client errors and calls slower than `timeout` are not swallowed: `use` rejects, and the caller
 * must refuse the request rather than skip the replay check.
 * @see [Running several instances](../../docs/production.md#running-several-instances)
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
  readonly #maxUses: number;
  readonly #maxLifetime: number;
  readonly #now: () => number;

  constructor(client: RedisLikeClient, options: RedisNonceStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.eval !== 'function') {
      throw new TypeError('http-auth: RedisNonceStore needs a client with eval (ioredis), or a node-redis client wrapped in fromNodeRedis(client)');
    }
    this.#client = client;
    this.#prefix = options.prefix ?? 'httpauth:nonce:';
    this.#timeout = resolveTimeoutMs(options.timeout, 'RedisNonceStore', 'timeout');
    this.#maxUses = positiveInteger(options.maxUsesPerNonce, 10_000, 'maxUsesPerNonce');
    this.#maxLifetime = positiveInteger(options.maxNonceLifetime, 86_400_000, 'maxNonceLifetime');
    this.#now = options.now ?? Date.now;
  }

  async use(nonce: string, use: string, expiresAt: number): Promise<boolean> {
    const now = Math.floor(this.#now());
    if (!(expiresAt > now)) return false;
    // PEXPIRE needs whole milliseconds; rounding up keeps the record at least as long as the nonce lives.
    const until = Math.ceil(Math.min(expiresAt, now + this.#maxLifetime));
    const reply = this.#client.eval(USE_SCRIPT, 1, `${this.#prefix}${nonce}`, use, until, now, this.#maxUses);
    return Number(await withDeadline(reply, this.#timeout, 'Redis (RedisNonceStore EVAL)')) === 1;
  }
}
