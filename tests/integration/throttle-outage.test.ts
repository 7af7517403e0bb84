import type { RequestListener } from 'node:http';
import Redis from 'ioredis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader, DRIVERS, recordingLogger, fromAddress } from '../helpers';
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../private-redis';

const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

@JsonController('/outage')
class OutageController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}



async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWithRedisServer.each(DRIVERS)('throttling through Redis that goes down (%s)', (driver, makeApp) => {
  let server: PrivateRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await startPrivateRedis();
    // The documentation's `new Redis(url)`: ioredis defaults, offline queue and retries included.
    client = new Redis(server.url);
    client.on('error', () => {});
    await until(() => client.status === 'ready', 'the client to connect');
  });

  afterAll(async () => {
    client.disconnect();
    await server.kill();
  });

  /** Status and time of one login. */
  async function timed(app: RequestListener, user: string, password: string) {
    const started = Date.now();
    const res = await request(app).get('/outage').set('Authorization', basicHeader(user, password));
    return { status: res.status, ms: Date.now() - started };
  }

  it('answers within a second while Redis is down, keeps counting in memory, and counts in Redis again once it is back', async () => {
    const keyPrefix = `outage:${driver}`;
    @BasicAuth({ throttle: { failures: 3, window: 60, block: 300, redis: client, keyPrefix } })
    class Users {
      @VerifyPassword() verify(username: string, password: string) {
        return USERS[username] === password ? { name: username } : null;
      }
    }
    const logger = recordingLogger();
    const app = makeApp([OutageController], createAuthCheckers([new Users()], { logger }));
    const failuresInRedis = async (user: string) => {
      const probe = new Redis(server.url, { maxRetriesPerRequest: 0 });
      try {
        // The largest count kept for the user (failures; reservations are back to 0 by then).
        const keys = await probe.keys(`${keyPrefix}:*u:${user}`);
        const values = keys.length > 0 ? await probe.mget(...keys) : [];
        return Math.max(0, ...values.map(Number));
      } finally {
        probe.disconnect();
      }
    };

    // Up: failures are counted in Redis.
    expect((await timed(fromAddress(app, '10.7.0.1'), 'carol', 'guess')).status).toBe(401);
    expect(await failuresInRedis('carol')).toBe(1);

    await server.kill();
    const down = [
      await timed(fromAddress(app, '10.7.1.1'), 'bob', 'builder'),
      await timed(fromAddress(app, '10.7.1.2'), 'alice', 'guess'),
      await timed(fromAddress(app, '10.7.1.3'), 'alice', 'guess'),
      await timed(fromAddress(app, '10.7.1.4'), 'alice', 'guess'),
      await timed(fromAddress(app, '10.7.1.5'), 'alice', 'wonderland'),
      await timed(fromAddress(app, '10.7.1.6'), 'bob', 'builder'),
    ];
    // Right password 200, wrong 401, and after three failures (counted in memory) 429.
    expect(down.map((r) => r.status)).toEqual([200, 401, 401, 401, 429, 200]);
    for (const { ms } of down) expect(ms).toBeLessThan(1000);
    expect(logger.error.mock.calls.map(([line]) => line).join('\n')).toMatch(/Redis failed/);

    await server.restart();
    await until(() => client.status === 'ready', 'the client to reconnect');
    // Back: new failures reach Redis again (after the short pause the throttle leaves a failed Redis).
    let tries = 0;
    await until(async () => {
      const user = `dave${++tries}`;
      expect((await timed(fromAddress(app, `10.7.2.${tries}`), user, 'guess')).status).toBe(401);
      return (await failuresInRedis(user)) > 0;
    }, 'failures to be counted in Redis again');
    // The memory counts of the outage still hold alice's block.
    expect((await timed(fromAddress(app, '10.7.3.1'), 'alice', 'wonderland')).status).toBe(429);
    expect((await timed(fromAddress(app, '10.7.3.2'), 'bob', 'builder')).status).toBe(200);
  }, 30_000);
});
