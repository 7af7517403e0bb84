import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, TokenAuth, VerifyPassword, VerifyToken, type AuthCheckers } from '../../src';
import { basicHeader, DRIVERS, recordingLogger, tokenHeader, type AppBuilder } from '../helpers';
import { REDIS_URL, describeWithRedis } from '../redis';
import { CLIENT_KINDS, connectClient, until, type ClientKind, type TestClient } from '../redis-clients';

@JsonController('/bus')
class BusController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

type App = ReturnType<AppBuilder>;
const builder = (name: string): AppBuilder => DRIVERS.find(([driver]) => driver === name)![1];
const uniquePrefix = () => `httpauth-test:cache-bus:${randomBytes(6).toString('hex')}`;
const status = (app: App, user: string, password: string, path = '/bus') =>
  request(app).get(path).set('Authorization', basicHeader(user, password)).then((res) => res.status);

/**
 * Sends the request until it is answered 200 without a hook call: the credentials are cached.
 * (A subscriber's first subscription clears the cache once, whenever it lands.)
 */
async function cached(send: () => Promise<number>, calls: readonly unknown[]): Promise<void> {
  await until(async () => {
    expect(await send()).toBe(200);
    const before = calls.length;
    return (await send()) === 200 && calls.length === before;
  }, 'the credentials to be cached');
}

/** The password table every instance reads: one database behind the load balancer. */
function usersClass(passwords: Record<string, string>, calls: string[], cache: object) {
  @BasicAuth({ cache: { ttl: 300, ...cache } })
  class BusUsers {
    @VerifyPassword() verify(username: string, password: string) {
      calls.push(username);
      return passwords[username] !== undefined && passwords[username] === password ? { name: username } : null;
    }
  }
  return BusUsers;
}

interface Instance {
  readonly auth: AuthCheckers<unknown>;
  readonly app: App;
  readonly calls: string[];
  readonly redis: TestClient;
  readonly logger: ReturnType<typeof recordingLogger>;
}

// [client of A, client of B, driver of A, driver of B]: both clients, both drivers, and A and B
// on different clients (the messages are the same whichever client sent them).
const PAIRS: [ClientKind, ClientKind, string, string][] = [
  ['ioredis', 'ioredis', 'express', 'koa'],
  ['node-redis', 'node-redis', 'koa', 'express'],
  ['ioredis', 'node-redis', 'express', 'express'],
];

describeWithRedis.each(PAIRS)('cache.redis: instance A on %s, B on %s (%s / %s)', (clientA, clientB, driverA, driverB) => {
  let opened: Instance[] = [];
  let passwords: Record<string, string>;
  let keyPrefix: string;

  async function instance(kind: ClientKind, driver: string): Promise<Instance> {
    const redis = await connectClient(kind, REDIS_URL);
    const calls: string[] = [];
    const logger = recordingLogger();
    const auth = createAuthCheckers([new (usersClass(passwords, calls, { redis: redis.client, keyPrefix }))()], { logger });
    const made = { auth, app: builder(driver)([BusController], auth), calls, redis, logger };
    opened.push(made);
    // Subscribed: the library's duplicate is connected.
    await until(() => redis.duplicates.length === 1 && redis.isOpen(redis.duplicates[0]), 'the subscriber to connect');
    return made;
  }

  /** A and B with alice and bob cached on both. */
  async function twoInstances() {
    const a = await instance(clientA, driverA);
    const b = await instance(clientB, driverB);
    for (const { app, calls } of [a, b]) {
      await cached(() => status(app, 'alice', 'old'), calls);
      await cached(() => status(app, 'bob', 'builder'), calls);
    }
    return { a, b };
  }

  beforeEach(() => {
    passwords = { alice: 'old', bob: 'builder' };
    keyPrefix = uniquePrefix();
  });

  afterEach(async () => {
    for (const { auth, redis } of opened) {
      await auth.close();
      redis.end();
    }
    opened = [];
  });

  it('a password change + clearCache(user) on A makes B refuse the old password within 100 ms; other users stay cached on B', async () => {
    const { a, b } = await twoInstances();
    passwords.alice = 'new';
    // Control: without the clear, B answers the old password from its cache.
    expect(await status(b.app, 'alice', 'old')).toBe(200);
    const before = b.calls.length;
    const started = Date.now();
    await a.auth.clearCache('alice');
    let refusedSentAt = 0;
    await until(async () => {
      const sentAt = Date.now();
      if ((await status(b.app, 'alice', 'old')) !== 401) return false;
      refusedSentAt = sentAt;
      return true;
    }, 'B to refuse the old password', 1_000);
    expect(refusedSentAt - started).toBeLessThan(100);
    expect(await status(a.app, 'alice', 'old')).toBe(401);
    expect(await status(b.app, 'alice', 'new')).toBe(200);
    // bob is still answered from B's cache: no hook call for him.
    expect(await status(b.app, 'bob', 'builder')).toBe(200);
    expect(b.calls.slice(before)).toEqual(['alice', 'alice']);
  });

  it.each([
    ['a predicate (which cannot travel)', (auth: AuthCheckers<unknown>) => auth.clearCache((name) => name === 'alice')],
    ['no argument', (auth: AuthCheckers<unknown>) => auth.clearCache()],
  ])('clearCache with %s on A makes B forget every user', async (_what, clear) => {
    const { a, b } = await twoInstances();
    const before = b.calls.length;
    await clear(a.auth);
    await until(async () => (await status(b.app, 'bob', 'builder')) === 200 && b.calls.length > before, 'B to verify bob again');
    expect(b.calls.slice(before)).toEqual(['bob']);
  });

  it.each([
    [0, 'forgets only the user named'],
    [1, 'forgets every user'],
  ])('a message after %i skipped generation(s) (a lost message): B %s', async (skipped, _what) => {
    const { a, b } = await twoInstances();
    const probe = new Redis(REDIS_URL);
    try {
      // A clear whose message never arrived: the counter moved, nothing was published.
      for (let i = 0; i < skipped; i++) await probe.incr(`${keyPrefix}:generation`);
    } finally {
      probe.disconnect();
    }
    const before = b.calls.length;
    await a.auth.clearCache('carol');
    await a.auth.clearCache('bob');
    // Messages arrive in order: once B verified bob again, it has handled the one for carol.
    await until(async () => (await status(b.app, 'bob', 'builder')) === 200 && b.calls.length > before, 'B to forget bob');
    expect(await status(b.app, 'alice', 'old')).toBe(200);
    expect(b.calls.slice(before)).toEqual(skipped === 0 ? ['bob'] : ['bob', 'alice']);
  });

  it('an unreadable message on the channel clears the whole cache, with a warning', async () => {
    const { b } = await twoInstances();
    const probe = new Redis(REDIS_URL);
    try {
      await probe.publish(`${keyPrefix}:clear`, '{"generation":"x"}');
    } finally {
      probe.disconnect();
    }
    const before = b.calls.length;
    await until(async () => (await status(b.app, 'alice', 'old')) === 200 && b.calls.length > before, 'B to verify alice again');
    expect(b.logger.warn).toHaveBeenCalledWith(expect.stringMatching(/^http-auth: BusUsers: cache: an unreadable message on .*:clear; cleared the whole cache$/));
  });
});

describeWithRedis('cache.redis: scope and lifecycle', () => {
  const toClose: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of toClose.splice(0)) await close();
  });
  async function client(kind: ClientKind = 'ioredis') {
    const made = await connectClient(kind, REDIS_URL);
    toClose.push(() => made.end());
    return made;
  }
  async function checkers(auth: object[], redis: TestClient, controllers: Function[] = [BusController]) {
    const made = createAuthCheckers(auth, { logger: recordingLogger() });
    toClose.push(() => made.close());
    await until(() => redis.duplicates.length > 0 && redis.duplicates.every((d) => redis.isOpen(d)), 'the subscribers to connect');
    return { auth: made, app: builder('express')(controllers, made) };
  }

  it('a verification in flight on B when the clear arrives answers its request but is not cached', async () => {
    const passwords: Record<string, string> = { alice: 'old' };
    const keyPrefix = uniquePrefix();
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let holdNext = false;
    const calls: string[] = [];
    const redisA = await client();
    const redisB = await client();
    @BasicAuth({ cache: { ttl: 300, redis: redisB.client, keyPrefix } })
    class SlowUsers {
      @VerifyPassword() async verify(username: string, password: string) {
        calls.push(username);
        // Reads the password first, then hashes slowly: it checks the password of when it started.
        const accepted = passwords[username] === password;
        if (holdNext) {
          holdNext = false;
          entered();
          await released;
        }
        return accepted ? { name: username } : null;
      }
    }
    const a = await checkers([new (usersClass(passwords, [], { redis: redisA.client, keyPrefix }))()], redisA);
    const b = await checkers([new SlowUsers()], redisB);
    holdNext = true;
    const first = status(b.app, 'alice', 'old');
    await inside;
    passwords.alice = 'new';
    const arrived = new Promise((resolve) => (redisB.duplicates[0] as Redis).once('message', resolve));
    await a.auth.clearCache('alice');
    await arrived;
    release();
    expect(await first).toBe(200);
    expect(await status(b.app, 'alice', 'old')).toBe(401);
    expect(calls).toEqual(['alice', 'alice']);
  });

  it('the default keyPrefix is per auth class: a clear of one class leaves another class cached', async () => {
    const redis = await client('node-redis');
    const passwords: Record<string, string> = { alice: 'old' };
    const userCalls: string[] = [];
    const adminCalls: string[] = [];
    // No keyPrefix: httpauth:cache:<class name> (names unique to this file).
    const Users = usersClass(passwords, userCalls, { redis: redis.client });
    @BasicAuth({ cache: { ttl: 300, redis: redis.client } })
    class CacheBusAdmins {
      @VerifyPassword() verify(username: string, password: string) {
        adminCalls.push(username);
        return passwords[username] === password ? { name: username } : null;
      }
    }
    @JsonController('/bus-admin')
    class BusAdminController {
      @Get('/') @LoginRequired({ auth: CacheBusAdmins }) index() {
        return {};
      }
    }
    const a = await checkers([new Users()], redis);
    const b = await checkers([new Users(), new CacheBusAdmins()], redis, [BusController, BusAdminController]);
    await cached(() => status(b.app, 'alice', 'old'), userCalls);
    await cached(() => status(b.app, 'alice', 'old', '/bus-admin'), adminCalls);
    const [usersBefore, adminsBefore] = [userCalls.length, adminCalls.length];
    await a.auth.clearCache('alice');
    await until(async () => (await status(b.app, 'alice', 'old')) === 200 && userCalls.length > usersBefore, 'B to forget alice');
    expect(await status(b.app, 'alice', 'old', '/bus-admin')).toBe(200);
    expect(adminCalls.length).toBe(adminsBefore);
  });

  it('@TokenAuth: a clear on A forgets every token cached on B', async () => {
    const keyPrefix = uniquePrefix();
    const tokens: Record<string, string> = { 'token-a': 'alice' };
    const calls: string[] = [];
    const tokensClass = (redis: object) => {
      @TokenAuth({ cache: { ttl: 300, redis, keyPrefix } })
      class BusTokens {
        @VerifyToken() verify(token: string) {
          calls.push(token);
          return tokens[token] ? { name: tokens[token] } : null;
        }
      }
      return BusTokens;
    };
    const redisA = await client();
    const redisB = await client('node-redis');
    const a = await checkers([new (tokensClass(redisA.client))()], redisA);
    const b = await checkers([new (tokensClass(redisB.client))()], redisB);
    const bearer = () => request(b.app).get('/bus').set('Authorization', tokenHeader('token-a')).then((res) => res.status);
    await cached(bearer, calls);
    delete tokens['token-a'];
    // Control: B still has it.
    expect(await bearer()).toBe(200);
    await a.auth.clearCache('alice');
    await until(async () => (await bearer()) === 401, 'B to forget the token', 1_000);
  });

  it.each(CLIENT_KINDS)("close() ends the subscriber connection (%s) and leaves the caller's client open; clearCache still clears locally", async (kind) => {
    const redis = await client(kind);
    const passwords: Record<string, string> = { alice: 'old' };
    const calls: string[] = [];
    const { auth, app } = await checkers([new (usersClass(passwords, calls, { redis: redis.client, keyPrefix: uniquePrefix() }))()], redis);
    await auth.close();
    expect(redis.duplicates.map((d) => redis.isOpen(d))).toEqual([false]);
    expect(redis.isOpen(redis.client)).toBe(true);
    // Twice is fine.
    await auth.close();
    await cached(() => status(app, 'alice', 'old'), calls);
    passwords.alice = 'new';
    await expect(auth.clearCache('alice')).resolves.toBeUndefined();
    expect(await status(app, 'alice', 'old')).toBe(401);
  });

  it.each(CLIENT_KINDS)('close() right after createAuthCheckers (%s) leaves no connection behind', async (kind) => {
    const redis = await client(kind);
    const auth = createAuthCheckers([new (usersClass({}, [], { redis: redis.client, keyPrefix: uniquePrefix() }))()], { logger: recordingLogger() });
    await auth.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(redis.duplicates.map((d) => redis.isOpen(d))).toEqual([false]);
  });

  it('without cache.redis, clearCache returns a resolved promise and close() has nothing to end', async () => {
    const auth = createAuthCheckers([new (usersClass({ alice: 'old' }, [], {}))()]);
    await expect(auth.clearCache('alice')).resolves.toBeUndefined();
    await expect(auth.close()).resolves.toBeUndefined();
  });
});
