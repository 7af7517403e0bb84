import Redis from 'ioredis';
import request from 'supertest';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, TokenAuth, VerifyPassword, VerifyToken } from '../../src';
import { BusController, builder, cached, status, uniquePrefix, usersClass } from '../cache-bus';
import { recordingLogger, tokenHeader } from '../helpers';
import { REDIS_URL, describeWithRedis } from '../redis';
import { CLIENT_KINDS, connectClient, until, type ClientKind, type TestClient } from '../redis-clients';

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
