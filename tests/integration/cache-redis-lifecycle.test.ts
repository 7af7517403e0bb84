import Redis from 'ioredis';
import request from 'supertest';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, TokenAuth, VerifyPassword, VerifyToken } from '../../src';
import { BusController, builder, cached, settle, status, uniquePrefix, usersClass, type App } from '../cache-bus';
import { recordingLogger, tokenHeader } from '../helpers';
import { REDIS_URL, describeWithRedis } from '../redis';
import { CLIENT_KINDS, connectClient, until, type ClientKind, type TestClient } from '../redis-clients';

// Redis round trips (and child processes) on a busy machine: more than jest's 5 s default.
jest.setTimeout(30_000);

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
    const passwords: Record<string, string> = { alice: 'old', canary: 'canary' };
    const keyPrefix = uniquePrefix();
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    toClose.push(release);
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
    const callsA: string[] = [];
    const a = await checkers([new (usersClass(passwords, callsA, { redis: redisA.client, keyPrefix }))()], redisA);
    const b = await checkers([new SlowUsers()], redisB);
    const canary = (app: App, made: string[]) => ({ send: () => status(app, 'canary', 'canary'), calls: made });
    await settle([canary(a.app, callsA), canary(b.app, calls)], () => a.auth.clearCache('canary'));
    calls.length = 0;
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
    const passwords: Record<string, string> = { alice: 'old', canary: 'canary' };
    const [usersA, usersB, adminCalls, adminsC] = [[], [], [], []] as string[][];
    // No keyPrefix: httpauth:cache:<class name> (names unique to this file). Each instance has
    // its own BusUsers class, as each process would.
    const adminsClass = (calls: string[]) => {
      @BasicAuth({ cache: { ttl: 300, redis: redis.client } })
      class CacheBusAdmins {
        @VerifyPassword() verify(username: string, password: string) {
          calls.push(username);
          return passwords[username] === password ? { name: username } : null;
        }
      }
      return CacheBusAdmins;
    };
    const AdminsB = adminsClass(adminCalls);
    @JsonController('/bus-admin')
    class BusAdminController {
      @Get('/') @LoginRequired({ auth: AdminsB }) index() {
        return {};
      }
    }
    const a = await checkers([new (usersClass(passwords, usersA, { redis: redis.client }))()], redis);
    const b = await checkers([new (usersClass(passwords, usersB, { redis: redis.client }))(), new AdminsB()], redis, [BusController, BusAdminController]);
    // A third instance with only the admins class, to settle B's subscription to that class.
    const c = await checkers([new (adminsClass(adminsC))()], redis);
    await settle(
      [
        { send: () => status(a.app, 'canary', 'canary'), calls: usersA },
        { send: () => status(b.app, 'canary', 'canary'), calls: usersB },
      ],
      () => a.auth.clearCache('canary'),
    );
    await settle([{ send: () => status(b.app, 'canary', 'canary', '/bus-admin'), calls: adminCalls }], () => c.auth.clearCache('canary'));
    await cached(() => status(b.app, 'alice', 'old'), usersB);
    await cached(() => status(b.app, 'alice', 'old', '/bus-admin'), adminCalls);
    const [usersBefore, adminsBefore] = [usersB.length, adminCalls.length];
    await a.auth.clearCache('alice');
    await until(async () => (await status(b.app, 'alice', 'old')) === 200 && usersB.length > usersBefore, 'B to forget alice');
    expect(await status(b.app, 'alice', 'old', '/bus-admin')).toBe(200);
    expect(adminCalls.length).toBe(adminsBefore);
  });

  it('@TokenAuth: a clear on A forgets every token cached on B', async () => {
    const keyPrefix = uniquePrefix();
    const tokens: Record<string, string> = { 'token-a': 'alice', canary: 'canary' };
    const tokensClass = (redis: object, calls: string[]) => {
      @TokenAuth({ cache: { ttl: 300, redis, keyPrefix } })
      class BusTokens {
        @VerifyToken() verify(token: string) {
          calls.push(token);
          return tokens[token] ? { name: tokens[token] } : null;
        }
      }
      return BusTokens;
    };
    const [callsA, callsB] = [[], []] as string[][];
    const redisA = await client();
    const redisB = await client('node-redis');
    const a = await checkers([new (tokensClass(redisA.client, callsA))()], redisA);
    const b = await checkers([new (tokensClass(redisB.client, callsB))()], redisB);
    const bearer = (app: App, token: string) => request(app).get('/bus').set('Authorization', tokenHeader(token)).then((res) => res.status);
    await settle(
      [
        { send: () => bearer(a.app, 'canary'), calls: callsA },
        { send: () => bearer(b.app, 'canary'), calls: callsB },
      ],
      () => a.auth.clearCache(),
    );
    await cached(() => bearer(b.app, 'token-a'), callsB);
    delete tokens['token-a'];
    // Control: B still has it.
    expect(await bearer(b.app, 'token-a')).toBe(200);
    await a.auth.clearCache('alice');
    await until(async () => (await bearer(b.app, 'token-a')) === 401, 'B to forget the token', 1_000);
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
