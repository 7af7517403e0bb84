import { resolveTimeoutMs, withDeadline } from '../internal/deadline';
import type { RedisLikeClient } from './redis-nonce-store';
import type { AccessTokenState, NewLogin, NewRefreshToken, RefreshTokenRecord, RotateResult, TokenStore } from './token-store';

/**
 * Options of {@link RedisTokenStore}.
 * @example
 * ```ts
 * const store = new RedisTokenStore(redis, { keyPrefix: 'shop:tokens:', timeout: 100 });
 * ```
 */
export interface RedisTokenStoreOptions {
  /**
   * Prepended to every key. With Redis Cluster, put a hash tag in it (`'{tokens}:'`): one
   * operation reads a token's family and subject, whose keys must share a slot. @default "httpauth:tokens:"
   */
  keyPrefix?: string;
  /**
   * Milliseconds a call may take before it is abandoned and the issuer answers 503: a client that
   * queues commands while it reconnects would otherwise hold the request for minutes. @default 250
   */
  timeout?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

// Keys: <prefix>r:<hash of a refresh token> (hash: f family, s subject, o scope, c client_id,
// m claims, e expiry in epoch ms, u consumed "0"/"1"); <prefix>f:<family> (hash: k subject key,
// p the subject's epoch at login, x revoked "0"/"1"); <prefix>s:<subject key> (string: the
// subject's epoch); <prefix>j:<jti> (a revoked access token). Every key is written with a TTL.
// The family and subject keys are derived inside the scripts, so the prefix needs a hash tag on
// Redis Cluster.

/** KEYS: subject, family, refresh token. ARGV: epoch, keep ms, token ms, subject key, family, sub, scope, client_id, claims, expiry. */
const CREATE_LOGIN = `
local keep = tonumber(ARGV[2])
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch, 'PX', keep)
elseif redis.call('PTTL', KEYS[1]) < keep then
  redis.call('PEXPIRE', KEYS[1], keep)
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[2], 'k', ARGV[4], 'p', epoch, 'x', '0')
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('HSET', KEYS[3], 'f', ARGV[5], 's', ARGV[6], 'o', ARGV[7], 'c', ARGV[8], 'm', ARGV[9], 'e', ARGV[10], 'u', '0')
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`;

/** KEYS: refresh token. */
const FIND = `return redis.call('HMGET', KEYS[1], 'f', 's', 'o', 'c', 'm', 'e', 'u')`;

/**
 * The check and the consumption in one script: of concurrent calls with one token, exactly one
 * finds 'u' = '0'. Anything but '0' in a flag counts as set (fail closed).
 * KEYS: the presented token, the next one. ARGV: prefix, now, keep ms, next token ms, sub, scope, client_id, claims, expiry.
 */
const ROTATE = `
local r = redis.call('HMGET', KEYS[1], 'f', 'e', 'u')
if not r[1] then return 'unknown' end
local fk = ARGV[1] .. 'f:' .. r[1]
local f = redis.call('HMGET', fk, 'k', 'p', 'x')
if not f[1] or f[3] ~= '0' then return 'revoked' end
local sk = ARGV[1] .. 's:' .. f[1]
if redis.call('GET', sk) ~= f[2] then return 'revoked' end
if r[3] ~= '0' then
  redis.call('HSET', fk, 'x', '1')
  return 'reused'
end
if tonumber(r[2]) <= tonumber(ARGV[2]) then return 'expired' end
redis.call('HSET', KEYS[1], 'u', '1')
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'f', r[1], 's', ARGV[5], 'o', ARGV[6], 'c', ARGV[7], 'm', ARGV[8], 'e', ARGV[9], 'u', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local keep = tonumber(ARGV[3])
if redis.call('PTTL', fk) < keep then redis.call('PEXPIRE', fk, keep) end
if redis.call('PTTL', sk) < keep then redis.call('PEXPIRE', sk, keep) end
return 'rotated'
`;

/** KEYS: refresh token. ARGV: prefix. */
const REVOKE_FAMILY_OF = `
local family = redis.call('HGET', KEYS[1], 'f')
if not family then return 0 end
local fk = ARGV[1] .. 'f:' .. family
if redis.call('EXISTS', fk) == 1 then redis.call('HSET', fk, 'x', '1') end
return 1
`;

/** KEYS: the jti's key. ARGV: ms to keep it. */
const REVOKE_ACCESS = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`;

/** KEYS: subject. ARGV: the new epoch. The subject's TTL already covers its families; it is kept. */
const REVOKE_SUBJECT = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl == -1 then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(ttl, 1)) end
return 1
`;

/** KEYS: the jti's key, the family. ARGV: prefix. 1 active, 0 revoked. */
const STATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = redis.call('HMGET', KEYS[2], 'k', 'p', 'x')
if not f[1] or f[3] ~= '0' then return 0 end
if redis.call('GET', ARGV[1] .. 's:' .. f[1]) ~= f[2] then return 0 end
return 1
`;

const ROTATE_RESULTS: ReadonlySet<string> = new Set<RotateResult>(['rotated', 'reused', 'revoked', 'expired', 'unknown']);

/**
 * A {@link TokenStore} shared by every instance that talks to the same Redis: a revocation is
 * seen by all of them at the next request. Each operation is one Lua script, so it is atomic
 * (of concurrent refreshes with one token, exactly one succeeds, whichever instance runs it), and
 * every key has a TTL (at most the refresh token lifetime plus a few minutes). Keep Redis's default
 * `maxmemory-policy noeviction`, so that a full Redis refuses writes (503) rather than evicting a
 * revocation.
 *
 * ioredis clients fit as they are; wrap a node-redis client with `fromNodeRedis`. Every call has a
 * deadline (`timeout`); a failure or a late answer rejects, and the issuer answers 503 — never an
 * unchecked acceptance.
 * @example
 * ```ts
 * const store = new RedisTokenStore(new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false }), { keyPrefix: 'shop:tokens:' });
 * const tokens = createTokenIssuer({ issuer: 'https://api.example.com', audience: 'https://api.example.com', privateKey, store });
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #now: () => number;

  constructor(client: RedisLikeClient, options: RedisTokenStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.eval !== 'function') {
      throw new TypeError('http-auth: RedisTokenStore needs a client with eval (ioredis), or a node-redis client wrapped in fromNodeRedis(client)');
    }
    if (options === null || typeof options !== 'object') throw new TypeError('http-auth: RedisTokenStore: options must be an object such as { keyPrefix, timeout }');
    const prefix = options.keyPrefix ?? 'httpauth:tokens:';
    if (typeof prefix !== 'string') throw new TypeError('http-auth: RedisTokenStore: keyPrefix must be a string such as "myapp:tokens:"');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('http-auth: RedisTokenStore: now must be a function returning epoch ms');
    this.#client = client;
    this.#prefix = prefix;
    this.#timeout = resolveTimeoutMs(options.timeout, 'RedisTokenStore', 'timeout');
    this.#now = options.now ?? Date.now;
  }

  async createLogin(login: NewLogin): Promise<void> {
    const { record } = login;
    await this.#eval('createLogin', CREATE_LOGIN, [`s:${login.subjectKey}`, `f:${record.family}`, `r:${login.hash}`], [
      login.epoch, this.#ms(login.keepUntil), this.#ms(record.expiresAt), login.subjectKey, record.family, record.subject, record.scope, record.clientId, record.claims, record.expiresAt,
    ]);
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    const reply = await this.#eval('findRefreshToken', FIND, [`r:${hash}`], []);
    if (!Array.isArray(reply) || reply.length !== 7) throw new Error('RedisTokenStore: unexpected reply to HMGET');
    const [family, subject, scope, clientId, claims, expiresAt, consumed] = reply as (string | null)[];
    if (family === null || family === undefined) return undefined;
    const expiry = Number(expiresAt);
    if (!(expiry > this.#now())) return undefined;
    return Object.freeze({ family, subject: subject ?? '', scope: scope ?? '', clientId: clientId ?? '', claims: claims ?? '', expiresAt: expiry, consumed: consumed !== '0' });
  }

  async rotateRefreshToken(hash: string, next: NewRefreshToken): Promise<RotateResult> {
    const now = this.#now();
    const { record } = next;
    const reply = String(
      await this.#eval('rotateRefreshToken', ROTATE, [`r:${hash}`, `r:${next.hash}`], [
        this.#prefix, Math.floor(now), this.#ms(next.keepUntil, now), this.#ms(record.expiresAt, now), record.subject, record.scope, record.clientId, record.claims, record.expiresAt,
      ]),
    );
    if (!ROTATE_RESULTS.has(reply)) throw new Error('RedisTokenStore: unexpected reply to the rotation script');
    return reply as RotateResult;
  }

  async revokeFamilyOf(hash: string): Promise<boolean> {
    return Number(await this.#eval('revokeFamilyOf', REVOKE_FAMILY_OF, [`r:${hash}`], [this.#prefix])) === 1;
  }

  async revokeAccessToken(jti: string, until: number): Promise<void> {
    await this.#eval('revokeAccessToken', REVOKE_ACCESS, [`j:${jti}`], [this.#ms(until)]);
  }

  async revokeSubject(subjectKey: string, epoch: string): Promise<boolean> {
    return Number(await this.#eval('revokeSubject', REVOKE_SUBJECT, [`s:${subjectKey}`], [epoch])) === 1;
  }

  async accessTokenState(jti: string, family: string): Promise<AccessTokenState> {
    const reply = Number(await this.#eval('accessTokenState', STATE, [`j:${jti}`, `f:${family}`], [this.#prefix]));
    // Only an explicit 1 means active: any other reply refuses.
    return reply === 1 ? 'active' : 'revoked';
  }

  /** Milliseconds from now until `until`, at least 1 (PEXPIRE and SET PX refuse 0), whole (they take integers). */
  #ms(until: number, now = this.#now()): number {
    return Math.max(1, Math.ceil(until - now));
  }

  #eval(what: string, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const reply = this.#client.eval(script, keys.length, ...keys.map((key) => `${this.#prefix}${key}`), ...args);
    return withDeadline(reply, this.#timeout, `Redis (RedisTokenStore ${what})`);
  }
}
