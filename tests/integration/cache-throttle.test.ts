import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import Redis from 'ioredis';
import { itWithRedis, REDIS_URL } from '../redis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  GetPassword,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type BasicAuthOptions,
  type ThrottleOptions,
} from '../../src';
import { basicHeader, DRIVERS, recordingLogger, tokenHeader, type AppBuilder, fromAddress } from '../helpers';
import { digestAuthorization, digestChallenge } from '../digest-client';

const RUN = randomBytes(8).toString('hex');
const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };
const TOKENS: Record<string, string> = { 'token-a': 'alice' };

// Created on first use, so a machine without Redis can skip the suites that need it.
let sharedRedis: Redis | undefined;
const redis = (): Redis => (sharedRedis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
const deadClients: Redis[] = [];
function deadRedis(): Redis {
  const client = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // Connection errors are expected here; without a listener ioredis prints each one.
  client.on('error', () => {});
  deadClients.push(client);
  return client;
}

afterAll(async () => {
  if (sharedRedis) {
    const keys = await sharedRedis.keys(`httpauth-test:${RUN}:*`);
    if (keys.length > 0) await sharedRedis.del(...keys);
    await sharedRedis.quit();
  }
  // disconnect() on a client that already ended leaves ioredis's 2 s connector timer behind.
  for (const client of deadClients) if (client.status !== 'end') client.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function basicClass(options: BasicAuthOptions) {
  @BasicAuth(options)
  class Users {
    @VerifyPassword() verify(username: string, password: string) {
      return USERS[username] !== undefined && USERS[username] === password ? { name: username } : null;
    }
  }
  return Users;
}

function tokenClass(ttl: number) {
  @TokenAuth({ cache: { ttl, max: 100 } })
  class Tokens {
    @VerifyToken() verify(token: string) {
      return TOKENS[token] ? { name: TOKENS[token] } : null;
    }
  }
  return Tokens;
}

@JsonController('/cached')
class CachedController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

type App = ReturnType<AppBuilder>;


const THROTTLE = { failures: 3, window: 60, block: 300 } as const;

describe.each(DRIVERS)('credential cache and throttling (%s)', (_driver, makeApp) => {
  const build = (auth: object) => makeApp([CachedController], createAuthCheckers([auth], { logger: recordingLogger() }));
  const basic = (app: App | RequestListener, user: string, password: string) =>
    request(app).get('/cached').set('Authorization', basicHeader(user, password));

  describe('@BasicAuth({ cache })', () => {
    function cachedApp(ttl = 300) {
      const auth = new (basicClass({ cache: { ttl, max: 100 } }))();
      const spy = jest.spyOn(auth, 'verify');
      const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
      return { app: makeApp([CachedController], checkers), spy, checkers };
    }

    it('calls @VerifyPassword once for three identical requests', async () => {
      const { app, spy } = cachedApp();
      for (let i = 0; i < 3; i++) {
        const res = await basic(app, 'alice', 'wonderland');
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ user: { name: 'alice' } });
      }
      expect(spy).toHaveBeenCalledTimes(1);
    });

    it('runs one verification for concurrent requests with the same credentials (no stampede)', async () => {
      @BasicAuth({ cache: { ttl: 300, max: 100 } })
      class SlowUsers {
        calls = 0;
        @VerifyPassword() async verify(username: string, password: string) {
          this.calls++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          return username === 'alice' && password === 'wonderland' ? { name: username } : null;
        }
      }
      const auth = new SlowUsers();
      const app = makeApp([CachedController], createAuthCheckers([auth], { logger: recordingLogger() }));
      const statuses = await Promise.all(Array.from({ length: 8 }, () => basic(app, 'alice', 'wonderland').then((r) => r.status)));
      expect(statuses).toEqual(Array(8).fill(200));
      expect(auth.calls).toBe(1);
      // Failures are shared while in flight too, but never remembered.
      const wrong = await Promise.all(Array.from({ length: 4 }, () => basic(app, 'alice', 'nope').then((r) => r.status)));
      expect(wrong).toEqual(Array(4).fill(401));
      expect(auth.calls).toBe(2);
      expect((await basic(app, 'alice', 'nope')).status).toBe(401);
      expect(auth.calls).toBe(3);
    });

    it('never serves a wrong password from the cache, and never caches a failure', async () => {
      const { app, spy } = cachedApp();
      expect((await basic(app, 'alice', 'wonderland')).status).toBe(200);
      expect((await basic(app, 'alice', 'wrong')).status).toBe(401);
      expect((await basic(app, 'alice', 'wrong')).status).toBe(401);
      expect(spy).toHaveBeenCalledTimes(3);
      expect(spy).toHaveBeenLastCalledWith('alice', 'wrong');
    });

    it('forgets one user with clearCache(username)', async () => {
      const { app, spy, checkers } = cachedApp();
      await basic(app, 'alice', 'wonderland');
      await basic(app, 'bob', 'builder');
      checkers.clearCache('alice');
      await basic(app, 'alice', 'wonderland');
      await basic(app, 'bob', 'builder');
      expect(spy.mock.calls.map(([user]) => user)).toEqual(['alice', 'bob', 'alice']);
    });

    it('forgets everyone with clearCache()', async () => {
      const { app, spy, checkers } = cachedApp();
      await basic(app, 'alice', 'wonderland');
      await basic(app, 'bob', 'builder');
      checkers.clearCache();
      await basic(app, 'alice', 'wonderland');
      await basic(app, 'bob', 'builder');
      expect(spy).toHaveBeenCalledTimes(4);
    });

    it('verifies again once the ttl has passed', async () => {
      // lru-cache reads the clock through a reference to `performance` taken at load time, so
      // jest's fake timers do not move it; this waits for real.
      const { app, spy } = cachedApp(1);
      await basic(app, 'alice', 'wonderland');
      await basic(app, 'alice', 'wonderland');
      expect(spy).toHaveBeenCalledTimes(1);
      await sleep(1_100);
      expect((await basic(app, 'alice', 'wonderland')).status).toBe(200);
      expect(spy).toHaveBeenCalledTimes(2);
    });
  });

  describe('@TokenAuth({ cache })', () => {
    function cachedTokenApp(ttl = 300) {
      const auth = new (tokenClass(ttl))();
      const spy = jest.spyOn(auth, 'verify');
      const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
      return { app: makeApp([CachedController], checkers), spy, checkers };
    }
    const bearer = (app: App, token: string) => request(app).get('/cached').set('Authorization', tokenHeader(token));

    it('calls @VerifyToken once for three identical requests', async () => {
      const { app, spy } = cachedTokenApp();
      for (let i = 0; i < 3; i++) expect((await bearer(app, 'token-a')).body).toEqual({ user: { name: 'alice' } });
      expect(spy).toHaveBeenCalledTimes(1);
    });

    it('never caches a failure', async () => {
      const { app, spy } = cachedTokenApp();
      expect((await bearer(app, 'token-b')).status).toBe(401);
      expect((await bearer(app, 'token-b')).status).toBe(401);
      expect(spy).toHaveBeenCalledTimes(2);
    });

    it('verifies again after clearCache()', async () => {
      const { app, spy, checkers } = cachedTokenApp();
      await bearer(app, 'token-a');
      checkers.clearCache();
      await bearer(app, 'token-a');
      expect(spy).toHaveBeenCalledTimes(2);
    });

    it('verifies again once the ttl has passed', async () => {
      const { app, spy } = cachedTokenApp(1);
      await bearer(app, 'token-a');
      await bearer(app, 'token-a');
      await sleep(1_100);
      await bearer(app, 'token-a');
      expect(spy).toHaveBeenCalledTimes(2);
    });
  });

  describe('@BasicAuth({ throttle })', () => {
    function throttledApp(throttle: ThrottleOptions = THROTTLE) {
      const auth = new (basicClass({ throttle }))();
      const spy = jest.spyOn(auth, 'verify');
      return { app: build(auth), spy };
    }

    it('answers 429 with Retry-After after three failures, even to the right password, without calling the hook', async () => {
      const { app, spy } = throttledApp();
      for (let i = 0; i < 3; i++) expect((await basic(app, 'alice', 'wrong')).status).toBe(401);
      expect(spy).toHaveBeenCalledTimes(3);
      const res = await basic(app, 'alice', 'wonderland');
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(300);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_THROTTLED' });
      expect(spy).toHaveBeenCalledTimes(3);
    });

    it('answers an unknown user exactly like a wrong password for a known one', async () => {
      const trace = async (user: string) => {
        const { app } = throttledApp();
        const out = [];
        for (let i = 0; i < 5; i++) {
          const res = await basic(app, user, 'wrong');
          const headers = { ...res.headers };
          delete headers.date;
          out.push({ status: res.status, headers, body: res.body, text: res.text });
        }
        return out;
      };
      const known = await trace('alice');
      const unknown = await trace('mallory');
      expect(unknown).toEqual(known);
      expect(known.map((r) => r.status)).toEqual([401, 401, 401, 429, 429]);
    });

    it('resets the username count on a success before the limit', async () => {
      const { app } = throttledApp();
      // A new address per request, so only the username is counted.
      let n = 0;
      const attempt = (password: string) => basic(fromAddress(app, `10.0.0.${++n}`), 'alice', password);
      expect((await attempt('wrong')).status).toBe(401);
      expect((await attempt('wrong')).status).toBe(401);
      expect((await attempt('wonderland')).status).toBe(200);
      expect((await attempt('wrong')).status).toBe(401);
      expect((await attempt('wrong')).status).toBe(401);
      expect((await attempt('wonderland')).status).toBe(200);
    });

    it('blocks a username after failures from many addresses', async () => {
      const { app } = throttledApp();
      for (let i = 1; i <= 3; i++) expect((await basic(fromAddress(app, `10.0.1.${i}`), 'alice', 'wrong')).status).toBe(401);
      expect((await basic(fromAddress(app, '10.0.1.9'), 'alice', 'wonderland')).status).toBe(429);
      expect((await basic(fromAddress(app, '10.0.1.9'), 'bob', 'builder')).status).toBe(200);
    });

    it('blocks an address after failures spread over many usernames', async () => {
      const { app, spy } = throttledApp();
      const client = fromAddress(app, '10.0.2.1');
      for (const user of ['u1', 'u2', 'u3']) expect((await basic(client, user, 'wrong')).status).toBe(401);
      const res = await basic(client, 'bob', 'builder');
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(spy).toHaveBeenCalledTimes(3);
      expect((await basic(fromAddress(app, '10.0.2.2'), 'bob', 'builder')).status).toBe(200);
    });

    itWithRedis('shares counts across two apps through Redis', async () => {
      const throttle = { ...THROTTLE, redis: redis(), keyPrefix: `httpauth-test:${RUN}:${_driver}:shared` };
      const Users = basicClass({ throttle });
      const one = build(new Users());
      const two = build(new Users());
      expect((await basic(one, 'alice', 'wrong')).status).toBe(401);
      expect((await basic(two, 'alice', 'wrong')).status).toBe(401);
      expect((await basic(one, 'alice', 'wrong')).status).toBe(401);
      const res = await basic(two, 'alice', 'wonderland');
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect((await basic(one, 'alice', 'wonderland')).status).toBe(429);
    });

    it('keeps throttling from memory when Redis is unreachable, never 500', async () => {
      const throttle = { ...THROTTLE, redis: deadRedis(), keyPrefix: `httpauth-test:${RUN}:${_driver}:dead` };
      const { app, spy } = throttledApp(throttle);
      expect((await basic(app, 'bob', 'builder')).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await basic(app, 'alice', 'wrong')).status).toBe(401);
      const res = await basic(app, 'alice', 'wonderland');
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(spy).toHaveBeenCalledTimes(4);
    });
  });

  describe('@DigestAuth({ throttle })', () => {
    @DigestAuth({ secret: 'throttle-secret', throttle: THROTTLE })
    class DigestUsers {
      @GetPassword() password(username: string) {
        return USERS[username];
      }
    }

    async function digest(app: App, user: string, password: string) {
      const challenge = digestChallenge(await request(app).get('/cached'));
      const auth = digestAuthorization({ challenge, username: user, password, method: 'GET', uri: '/cached' });
      return request(app).get('/cached').set('Authorization', auth.header);
    }

    it('answers 429 after three wrong passwords, and the same to an unknown user', async () => {
      for (const user of ['alice', 'mallory']) {
        const app = build(new DigestUsers());
        // One challenge up front: once the address is blocked, even a bare request gets 429.
        const challenge = digestChallenge(await request(app).get('/cached'));
        const attempt = (password: string, nc: number) =>
          request(app)
            .get('/cached')
            .set('Authorization', digestAuthorization({ challenge, username: user, password, method: 'GET', uri: '/cached', nc }).header);
        for (let nc = 1; nc <= 3; nc++) expect((await attempt('wrong', nc)).status).toBe(401);
        const res = await attempt(USERS[user] ?? 'wrong', 4);
        expect(res.status).toBe(429);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
    });

    it('does not count a replayed (stale) request as a failure', async () => {
      const app = build(new DigestUsers());
      const first = await request(app).get('/cached');
      const auth = digestAuthorization({ challenge: digestChallenge(first), username: 'alice', password: 'wonderland', method: 'GET', uri: '/cached' });
      expect((await request(app).get('/cached').set('Authorization', auth.header)).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await request(app).get('/cached').set('Authorization', auth.header)).status).toBe(401);
      expect((await digest(app, 'alice', 'wonderland')).status).toBe(200);
    });
  });
});
