import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader, DRIVERS, fromAddress, recordingLogger } from '../helpers';
import { REDIS_URL, describeWithRedis } from '../redis';
import { connectClient, type TestClient } from '../redis-clients';

@JsonController('/throttled')
class ThrottledController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

describeWithRedis.each(DRIVERS)('throttle.redis with a node-redis client (%s)', (_driver, makeApp) => {
  let redis: TestClient;
  beforeAll(async () => {
    redis = await connectClient('node-redis', REDIS_URL);
  });
  afterAll(() => redis.end());

  it('counts failures in Redis: two instances share them, and nothing falls back to memory', async () => {
    const keyPrefix = `httpauth-test:throttle-node-redis:${randomBytes(6).toString('hex')}`;
    @BasicAuth({ throttle: { failures: 3, window: 60, block: 60, redis: redis.client, keyPrefix } })
    class NodeRedisThrottled {
      @VerifyPassword() verify(username: string, password: string) {
        return username === 'bob' && password === 'builder' ? { name: username } : null;
      }
    }
    const loggers = [recordingLogger(), recordingLogger()];
    const [a, b] = loggers.map((logger) => makeApp([ThrottledController], createAuthCheckers([new NodeRedisThrottled()], { logger })));
    // Each attempt from its own address: only the username's count can reach the limit.
    const attempt = (app: typeof a, n: number, password: string) =>
      request(fromAddress(app, `10.9.0.${n}`)).get('/throttled').set('Authorization', basicHeader('bob', password)).then((res) => res.status);
    expect(await attempt(a, 1, 'builder')).toBe(200);
    expect([await attempt(a, 2, 'guess'), await attempt(b, 3, 'guess'), await attempt(a, 4, 'guess')]).toEqual([401, 401, 401]);
    // Blocked on both, the right password included: the count is shared.
    expect(await attempt(b, 5, 'builder')).toBe(429);
    expect(await attempt(a, 6, 'builder')).toBe(429);
    expect(loggers.flatMap((logger) => logger.lines())).toEqual([]);
    const keys = await (redis.client as { keys(pattern: string): Promise<string[]> }).keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
  });
});
