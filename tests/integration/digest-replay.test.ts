import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { itWithRedis, REDIS_URL } from '../redis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  createAuthCheckers,
  DigestAuth,
  GenerateNonce,
  GetPassword,
  LoginRequired,
  MemoryNonceStore,
  RedisNonceStore,
  VerifyNonce,
  type DigestAuthOptions,
  type NonceStore,
} from '../../src';
import { challengeFields, DRIVERS, recordingLogger, type AppBuilder } from '../helpers';
import { authenticationInfo, digestAuthorization, digestChallenge, type DigestChallenge } from '../digest-client';

const PREFIX = `httpauth-test:replay:${randomBytes(8).toString('hex')}:`;
const SECRET = 'replay-test-secret';
const USERS: Record<string, string> = { john: 'bye' };

// Created on first use, so a machine without Redis can skip the suites that need it.
let sharedRedis: Redis | undefined;
const redis = (): Redis => (sharedRedis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
function deadRedis(): Redis {
  const client = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // Connection errors are expected here; without a listener ioredis prints each one.
  client.on('error', () => {});
  return client;
}
const deadClients: Redis[] = [];

afterAll(async () => {
  if (sharedRedis) {
    const keys = await sharedRedis.keys(`${PREFIX}*`);
    if (keys.length > 0) await sharedRedis.del(...keys);
    await sharedRedis.quit();
  }
  // disconnect() on a client that already ended leaves ioredis's 2 s connector timer behind.
  for (const client of deadClients) if (client.status !== 'end') client.disconnect();
});

function digestClass(options: DigestAuthOptions = {}) {
  @DigestAuth({ secret: SECRET, ...options })
  class ReplayUsers {
    @GetPassword() password(username: string) {
      return USERS[username];
    }
  }
  return ReplayUsers;
}

@JsonController('/replay')
class ReplayController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

type App = ReturnType<AppBuilder>;

async function challengeOf(app: App): Promise<DigestChallenge> {
  const res = await request(app).get('/replay');
  expect(res.status).toBe(401);
  return digestChallenge(res);
}

const headerFor = (challenge: DigestChallenge, nc: number, options: { qop?: null; cnonce?: string } = {}) =>
  digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/replay', nc, cnonce: 'fixed-cnonce', ...options }).header;

const get = (app: App, header: string) => request(app).get('/replay').set('Authorization', header);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Flask-HTTPAuth's custom-nonce pattern: the hook accepts every nonce it issued, for as long as
 * it remembers it (here: forever), whatever `nonceLifetime` says.
 */
function issuedForeverClass(store: NonceStore) {
  @DigestAuth({ secret: SECRET, store, nonceLifetime: 0.1 })
  class IssuedForever {
    readonly issued = new Set<string>();
    @GetPassword() password(username: string) {
      return USERS[username];
    }
    @GenerateNonce() nonce() {
      const nonce = randomBytes(16).toString('hex');
      this.issued.add(nonce);
      return nonce;
    }
    @VerifyNonce() verify(nonce: string) {
      return this.issued.has(nonce);
    }
  }
  return IssuedForever;
}

/** The documented hook that expires its nonces (docs/digest.md): @VerifyNonce returns the expiry it issued them with. */
function expiringClass(store: NonceStore) {
  @DigestAuth({ secret: SECRET, store, nonceLifetime: 0.1 })
  class ExpiringNonces {
    readonly issued = new Map<string, number>();
    @GetPassword() password(username: string) {
      return USERS[username];
    }
    @GenerateNonce() nonce() {
      const nonce = randomBytes(16).toString('hex');
      this.issued.set(nonce, Date.now() + 10 * 60_000);
      return nonce;
    }
    @VerifyNonce() verify(nonce: string) {
      return this.issued.get(nonce) ?? false;
    }
  }
  return ExpiringNonces;
}

describe.each(DRIVERS)('Digest replay protection (%s)', (driver, makeApp) => {
  const appFor = (auth: object, logger = recordingLogger()) => makeApp([ReplayController], createAuthCheckers([auth], { logger }));

  it('refuses the same Authorization header sent twice, with stale=true', async () => {
    const app = appFor(new (digestClass())());
    const header = headerFor(await challengeOf(app), 1);
    expect((await get(app, header)).status).toBe(200);
    const replay = await get(app, header);
    expect(replay.status).toBe(401);
    expect(digestChallenge(replay).stale).toBe(true);
    expect(challengeFields(replay)[0]).toMatch(/, stale=true$/);
    expect(authenticationInfo(replay)).toBeUndefined();
  });

  it('admits nc counting up on one nonce', async () => {
    const app = appFor(new (digestClass())());
    const challenge = await challengeOf(app);
    for (const nc of [1, 2, 3, 4, 5]) {
      const res = await get(app, headerFor(challenge, nc));
      expect(res.status).toBe(200);
      expect(authenticationInfo(res)).toMatchObject({ nc: nc.toString(16).padStart(8, '0') });
    }
  });

  it('admits concurrent requests with out-of-order nc exactly once each', async () => {
    const app = appFor(new (digestClass())());
    const challenge = await challengeOf(app);
    const order = [3, 1, 2];
    const first = await Promise.all(order.map((nc) => get(app, headerFor(challenge, nc))));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
    const again = await Promise.all(order.map((nc) => get(app, headerFor(challenge, nc))));
    expect(again.map((r) => r.status)).toEqual([401, 401, 401]);
  });

  it('admits a racing duplicate only once', async () => {
    const app = appFor(new (digestClass())());
    const header = headerFor(await challengeOf(app), 1);
    const results = await Promise.all([get(app, header), get(app, header), get(app, header)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it('refuses the same header twice in RFC 2069 mode (no qop, no nc)', async () => {
    const app = appFor(new (digestClass({ qop: null }))());
    const header = headerFor(await challengeOf(app), 1, { qop: null });
    expect((await get(app, header)).status).toBe(200);
    expect((await get(app, header)).status).toBe(401);
  });

  it('refuses a replay with custom nonce hooks too', async () => {
    @DigestAuth({ secret: SECRET })
    class CustomNonce {
      @GetPassword() password(username: string) {
        return USERS[username];
      }
      @GenerateNonce() nonce() {
        return `custom-${randomBytes(8).toString('hex')}`;
      }
      @VerifyNonce() verify(nonce: string) {
        return nonce.startsWith('custom-');
      }
    }
    const app = appFor(new CustomNonce());
    const challenge = await challengeOf(app);
    expect(challenge.nonce).toMatch(/^custom-/);
    const header = headerFor(challenge, 1);
    expect((await get(app, header)).status).toBe(200);
    expect((await get(app, header)).status).toBe(401);
    expect((await get(app, headerFor(challenge, 2))).status).toBe(200);
  });

  it('keeps replay state per createAuthCheckers, unless the apps share a store', async () => {
    const Separate = digestClass();
    const one = appFor(new Separate());
    const two = appFor(new Separate());
    const header = headerFor(await challengeOf(one), 1);
    expect((await get(one, header)).status).toBe(200);
    // Same secret, so the nonce is valid on both; nothing is shared, so both accept it once.
    expect((await get(two, header)).status).toBe(200);
    expect((await get(two, header)).status).toBe(401);

    const Shared = digestClass({ store: new MemoryNonceStore() });
    const a = appFor(new Shared());
    const b = appFor(new Shared());
    const shared = headerFor(await challengeOf(a), 1);
    expect((await get(a, shared)).status).toBe(200);
    expect((await get(b, shared)).status).toBe(401);
  });

  describe('with custom nonce hooks, for as long as the hook accepts the nonce', () => {
    const redisStore = () => new RedisNonceStore(redis(), { prefix: `${PREFIX}${driver}:${randomBytes(4).toString('hex')}:` });

    // nonceLifetime is 0.1 s: the store used to keep a custom nonce's record that long from its
    // first use, and took the same captured request again afterwards.
    const replayAfterLifetime = async (store: NonceStore) => {
      const app = appFor(new (issuedForeverClass(store))());
      const challenge = await challengeOf(app);
      const header = headerFor(challenge, 1);
      expect((await get(app, header)).status).toBe(200);
      expect((await get(app, header)).status).toBe(401);
      await sleep(250);
      const replays = [await get(app, header), await get(app, header)];
      expect(replays.map((r) => r.status)).toEqual([401, 401]);
      expect(digestChallenge(replays[1]).stale).toBe(true);
      // The hook still accepts the nonce, so a fresh count on it is a new request.
      expect((await get(app, headerFor(challenge, 2))).status).toBe(200);
      expect((await get(app, headerFor(challenge, 2))).status).toBe(401);
    };
    it('refuses a replay after nonceLifetime and admits a fresh nc (MemoryNonceStore)', () => replayAfterLifetime(new MemoryNonceStore()));
    itWithRedis('refuses a replay after nonceLifetime and admits a fresh nc (RedisNonceStore)', () => replayAfterLifetime(redisStore()));

    const expiringHook = async (store: NonceStore) => {
      const auth = new (expiringClass(store))();
      const app = appFor(auth);
      const challenge = await challengeOf(app);
      const header = headerFor(challenge, 1);
      expect((await get(app, header)).status).toBe(200);
      expect((await get(app, header)).status).toBe(401);
      expect((await get(app, headerFor(challenge, 2))).status).toBe(200);
      // Once the hook reports the expiry as past, a correct response gets stale=true and a new nonce.
      auth.issued.set(challenge.nonce, Date.now() - 1);
      const expired = await get(app, headerFor(challenge, 3));
      expect(expired.status).toBe(401);
      expect(digestChallenge(expired).stale).toBe(true);
      expect(digestChallenge(expired).nonce).not.toBe(challenge.nonce);
      return challenge;
    };
    it('keeps the record until the expiry @VerifyNonce returns (MemoryNonceStore)', () => expiringHook(new MemoryNonceStore()));
    itWithRedis('keeps the record until the expiry @VerifyNonce returns (RedisNonceStore: a key TTL of that expiry plus one lifetime)', async () => {
      const prefix = `${PREFIX}${driver}:expiring:`;
      const challenge = await expiringHook(new RedisNonceStore(redis(), { prefix }));
      const ttl = await redis().pttl(`${prefix}${challenge.nonce}`);
      expect(ttl).toBeGreaterThan(10 * 60_000);
      expect(ttl).toBeLessThanOrEqual(20 * 60_000);
    });
  });

  // Issue 14 item 15: every key has a TTL, a use cap per nonce, and a sliding expiry never reopens replay.
  describe('RedisNonceStore records: TTL, use cap, fixed expiry', () => {
    const storeFor = (options: { maxUsesPerNonce?: number } = {}) => {
      const prefix = `${PREFIX}${driver}:${randomBytes(4).toString('hex')}:`;
      return { prefix, store: new RedisNonceStore(redis(), { prefix, ...options }) };
    };

    itWithRedis('gives the record of a nonce @VerifyNonce accepts without expiry a TTL', async () => {
      const { prefix, store } = storeFor();
      const app = appFor(new (issuedForeverClass(store))());
      const challenge = await challengeOf(app);
      expect((await get(app, headerFor(challenge, 1))).status).toBe(200);
      const keys = await redis().keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await redis().pttl(key)).toBeGreaterThan(0);
      expect((await get(app, headerFor(challenge, 1))).status).toBe(401);
    });

    itWithRedis('accepts at most maxUsesPerNonce counts of one nonce, then asks for a fresh nonce (stale=true)', async () => {
      const { store } = storeFor({ maxUsesPerNonce: 2 });
      const app = appFor(new (digestClass({ store }))());
      const challenge = await challengeOf(app);
      expect((await get(app, headerFor(challenge, 1))).status).toBe(200);
      expect((await get(app, headerFor(challenge, 2))).status).toBe(200);
      const capped = await get(app, headerFor(challenge, 3));
      expect(capped.status).toBe(401);
      expect(digestChallenge(capped).stale).toBe(true);
      // The fresh nonce works.
      expect((await get(app, headerFor(digestChallenge(capped), 1))).status).toBe(200);
    });

    itWithRedis('does not let a sliding @VerifyNonce expiry reopen a captured request after the first expiry', async () => {
      const { store } = storeFor();
      @DigestAuth({ secret: SECRET, store })
      class SlidingNonces {
        readonly lastSeen = new Map<string, number>();
        @GetPassword() password(username: string) {
          return USERS[username];
        }
        @GenerateNonce() nonce() {
          const nonce = randomBytes(16).toString('hex');
          this.lastSeen.set(nonce, Date.now());
          return nonce;
        }
        // A sliding expiry: valid until 1 s after it was last presented. The margins are wide (the
        // replays come 500 ms inside the slid expiry and 100 ms past the first), so that a loaded
        // machine cannot move a request across either edge.
        @VerifyNonce() verify(nonce: string) {
          const seen = this.lastSeen.get(nonce);
          if (seen === undefined || Date.now() - seen >= 1000) return false;
          this.lastSeen.set(nonce, Date.now());
          return Date.now() + 1000;
        }
      }
      const app = appFor(new SlidingNonces());
      const challenge = await challengeOf(app);
      const captured = headerFor(challenge, 1);
      expect((await get(app, captured)).status).toBe(200);
      await sleep(600);
      expect((await get(app, headerFor(challenge, 2))).status).toBe(200);
      await sleep(500);
      // Past the expiry of the first use, though the hook would slide it on: refused, stale=true.
      const replays = [await get(app, captured), await get(app, headerFor(challenge, 2)), await get(app, headerFor(challenge, 3))];
      expect(replays.map((r) => r.status)).toEqual([401, 401, 401]);
      expect(digestChallenge(replays[0]).stale).toBe(true);
      // Replayed again and again (each presentation slides the hook on): refused every time.
      for (let i = 0; i < 3; i++) {
        await sleep(200);
        expect((await get(app, captured)).status).toBe(401);
      }
    });
  });

  describe('with a RedisNonceStore', () => {
    itWithRedis('refuses a replay across two instances sharing Redis and the secret', async () => {
      const store = new RedisNonceStore(redis(), { prefix: `${PREFIX}${driver}:` });
      const Clustered = digestClass({ store });
      const one = appFor(new Clustered());
      const two = appFor(new Clustered());
      const challenge = await challengeOf(one);
      const header = headerFor(challenge, 1);
      expect((await get(one, header)).status).toBe(200);
      const replay = await get(two, header);
      expect(replay.status).toBe(401);
      expect(digestChallenge(replay).stale).toBe(true);
      expect((await get(one, header)).status).toBe(401);
      // The next count is fine on either instance: the load balancer may send it anywhere.
      expect((await get(two, headerFor(challenge, 2))).status).toBe(200);
      expect((await get(one, headerFor(challenge, 3))).status).toBe(200);
      expect(await redis().hexists(`${PREFIX}${driver}:${challenge.nonce}`, 'u00000001')).toBe(1);
    });

    it('answers 503 with one log line when Redis is unreachable, never 200 and never a crash', async () => {
      const dead = deadRedis();
      deadClients.push(dead);
      const logger = recordingLogger();
      const app = appFor(new (digestClass({ store: new RedisNonceStore(dead, { prefix: PREFIX }) }))(), logger);
      const challenge = await challengeOf(app);
      const res = await get(app, headerFor(challenge, 1));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
      expect((await get(app, headerFor(challenge, 2))).status).toBe(503);
      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(logger.error.mock.calls[0][0]).toMatch(/nonce store failed/);
      // A wrong password is still a plain 401: the store is only asked about correct responses.
      const wrong = digestAuthorization({ challenge, username: 'john', password: 'wrong', method: 'GET', uri: '/replay', nc: 3 });
      expect((await get(app, wrong.header)).status).toBe(401);
    });
  });
});

describe('start-up warning for a Digest secret with an in-memory nonce store', () => {
  const unusedRedis = { eval: async () => 1 };
  const SHARED = /ReplayUsers sets a Digest secret but keeps used nonces in memory: every other instance sharing the secret, and this one after a restart, accepts a captured request once more.*store: new RedisNonceStore\(redis\).*or store: new MemoryNonceStore\(\) if this app runs as one process/;

  it.each([
    ['the default store', {}, [expect.stringMatching(SHARED)]],
    // Chosen knowingly (one process): the warning is acknowledged and silenced.
    ['an explicit MemoryNonceStore', { store: new MemoryNonceStore() }, []],
    ['a RedisNonceStore', { store: new RedisNonceStore(unusedRedis) }, []],
  ] as const)('with %s', (_label, options, expected) => {
    const logger = recordingLogger();
    createAuthCheckers([new (digestClass(options))()], { logger });
    expect(logger.warn.mock.calls.map(([line]) => line)).toEqual(expected);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('is not given without a secret (that set-up has its own warning)', () => {
    const logger = recordingLogger();
    createAuthCheckers([new (digestClass({ secret: undefined }))()], { logger });
    expect(logger.lines()).toEqual([expect.stringMatching(/no Digest secret/)]);
  });
});
