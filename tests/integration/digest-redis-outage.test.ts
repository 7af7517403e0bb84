import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { createAuthCheckers, DigestAuth, GetPassword, LoginRequired, RedisNonceStore } from '../../src';
import { DRIVERS, recordingLogger, type AppBuilder } from '../helpers';
import { digestAuthorization, digestChallenge, type DigestChallenge } from '../digest-client';
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../private-redis';

@JsonController('/outage')
class OutageController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

function digestClass(store: RedisNonceStore) {
  @DigestAuth({ secret: 'outage-test-secret', store })
  class OutageUsers {
    @GetPassword() password(username: string) {
      return username === 'john' ? 'bye' : undefined;
    }
  }
  return OutageUsers;
}

type App = ReturnType<AppBuilder>;

const headerFor = (challenge: DigestChallenge, nc: number) =>
  digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/outage', nc }).header;

const get = (app: App, header?: string) => (header ? request(app).get('/outage').set('Authorization', header) : request(app).get('/outage'));

async function ready(client: Redis): Promise<void> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}

describeWithRedisServer.each(DRIVERS)('Digest with RedisNonceStore while Redis is down (%s)', (_driver, makeApp) => {
  let server: PrivateRedis;
  let client: Redis;

  beforeEach(async () => {
    server = await startPrivateRedis();
    // The documentation's client, with ioredis's defaults: offline queue on, 20 retries per command.
    client = new Redis(server.url);
    // Connection errors are expected here; without a listener ioredis prints each one.
    client.on('error', () => undefined);
    await ready(client);
  });

  afterEach(async () => {
    client.disconnect();
    await server.kill();
  });

  it('answers a correct login with 503 in under a second, logs one line, and admits again once Redis is back', async () => {
    const logger = recordingLogger();
    const store = new RedisNonceStore(client, { prefix: `httpauth-test:outage:${randomBytes(6).toString('hex')}:` });
    const app = makeApp([OutageController], createAuthCheckers([new (digestClass(store))()], { logger }));
    const challenge = digestChallenge(await get(app));
    expect((await get(app, headerFor(challenge, 1))).status).toBe(200);

    await server.kill();
    for (const nc of [2, 3]) {
      const started = Date.now();
      const res = await get(app, headerFor(challenge, nc));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
    }
    // Asking for credentials needs no Redis.
    expect((await get(app)).status).toBe(401);
    expect(logger.lines()).toEqual([expect.stringMatching(/OutageUsers: the Digest nonce store failed \(Redis .* did not answer within 250 ms\); refusing Digest requests with 503/)]);

    await server.restart();
    await ready(client);
    const back = await get(app, headerFor(challenge, 4));
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ user: 'john' });
    expect((await get(app, headerFor(challenge, 4))).status).toBe(401);
  });
});
