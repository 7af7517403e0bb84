import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword, type AuthCheckers } from '../../src';
import { basicHeader, makeExpressApp, makeKoaApp, recordingLogger, type AppBuilder } from '../helpers';
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../private-redis';
import { settle } from '../cache-bus';
import { CLIENT_KINDS, connectClient, until, type TestClient } from '../redis-clients';

@JsonController('/outage-cache')
class OutageCacheController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

type App = ReturnType<AppBuilder>;

/** Status and time of one request. */
async function timed(app: App, user: string, password: string) {
  const started = Date.now();
  const res = await request(app).get('/outage-cache').set('Authorization', basicHeader(user, password));
  return { status: res.status, ms: Date.now() - started };
}

describeWithRedisServer.each(CLIENT_KINDS)('cache.redis while Redis is down and after it restarts (%s)', (kind) => {
  let server: PrivateRedis;
  const clients: TestClient[] = [];
  const checkers: AuthCheckers<unknown>[] = [];
  const unhandled = jest.fn();

  beforeAll(async () => {
    server = await startPrivateRedis();
    process.on('unhandledRejection', unhandled);
  });

  afterAll(async () => {
    for (const auth of checkers) await auth.close();
    for (const client of clients) client.end();
    process.off('unhandledRejection', unhandled);
    await server.kill();
  });

  it('clearCache rejects within a second and nothing crashes; each instance keeps serving its cache and clears it when it reconnects', async () => {
    const passwords: Record<string, string> = { alice: 'old', bob: 'builder', canary: 'canary' };
    const instance = async (makeApp: AppBuilder) => {
      const redis = await connectClient(kind, server.url);
      clients.push(redis);
      const calls: string[] = [];
      @BasicAuth({ cache: { ttl: 300, redis: redis.client, keyPrefix: 'outage' } })
      class OutageUsers {
        @VerifyPassword() verify(username: string, password: string) {
          calls.push(username);
          return passwords[username] === password ? { name: username } : null;
        }
      }
      const logger = recordingLogger();
      const auth = createAuthCheckers([new OutageUsers()], { logger });
      checkers.push(auth);
      return { auth, app: makeApp([OutageCacheController], auth), calls, logger };
    };
    const a = await instance(makeExpressApp);
    const b = await instance(makeKoaApp);
    const canary = ({ app, calls }: typeof a) => ({ send: async () => (await timed(app, 'canary', 'canary')).status, calls });
    await settle([canary(a), canary(b)], () => a.auth.clearCache('canary'));
    /** Sends until answered 200 without a hook call: cached. */
    const cache = (app: App, calls: string[], user: string, password: string) =>
      until(async () => {
        expect((await timed(app, user, password)).status).toBe(200);
        const before = calls.length;
        return (await timed(app, user, password)).status === 200 && calls.length === before;
      }, `${user} to be cached`);
    await cache(b.app, b.calls, 'alice', 'old');
    await cache(b.app, b.calls, 'bob', 'builder');

    await server.kill();
    passwords.alice = 'new';
    const started = Date.now();
    await expect(a.auth.clearCache('alice')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
    // Not awaited: must not surface as an unhandled rejection.
    void a.auth.clearCache('alice');
    expect(a.logger.error.mock.calls.map(([line]) => line).join('\n')).toMatch(/^http-auth: OutageUsers: cache: Redis INCR \+ PUBLISH failed \(.+\); cached credentials are cleared on the other instances when they reconnect, or expire with the ttl$/m);
    // A forgot at once; B, cut off, serves its cache (the documented bound: the ttl), and both answer fast.
    const down = [await timed(a.app, 'alice', 'old'), await timed(a.app, 'alice', 'new'), await timed(b.app, 'alice', 'old'), await timed(b.app, 'bob', 'builder')];
    expect(down.map((r) => r.status)).toEqual([401, 200, 200, 200]);
    for (const { ms } of down) expect(ms).toBeLessThan(1_000);

    const callsBeforeRestart = b.calls.length;
    await server.restart();
    // B's subscriber reconnects and clears everything it may have missed.
    await until(async () => (await timed(b.app, 'alice', 'old')).status === 401, 'B to clear its cache on reconnecting', 15_000);
    expect((await timed(b.app, 'alice', 'new')).status).toBe(200);
    expect((await timed(b.app, 'bob', 'builder')).status).toBe(200);
    expect(b.calls.slice(callsBeforeRestart)).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect(b.logger.error.mock.calls.map(([line]) => line).join('\n')).toMatch(/cache: the Redis subscriber failed/);

    // Publishing works again: a new clear on A reaches B.
    await cache(b.app, b.calls, 'bob', 'builder');
    await until(() => a.auth.clearCache('bob').then(() => true, () => false), 'A to publish again', 15_000);
    const before = b.calls.length;
    await until(async () => (await timed(b.app, 'bob', 'builder')).status === 200 && b.calls.length > before, 'B to forget bob', 1_000);
    expect(unhandled).not.toHaveBeenCalled();
  }, 40_000);
});
