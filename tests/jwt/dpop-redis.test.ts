/**
 * DPoP proof replay across instances: three apps share one RedisNonceStore on the real Redis, and
 * a proof accepted by one is refused by the two others. Then the outage: with a private
 * redis-server killed, a valid proof is answered 503 in under a second (never accepted), and
 * accepted again once Redis is back. For both classes that check proofs: `@JwtAuth` (a bound JWT)
 * and `@IntrospectionAuth` (an opaque token whose introspection answer carries `cnf.jkt`).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { createAuthCheckers, LoginRequired, RedisNonceStore, type AuthEvent, type JwtClaims } from '../../src';
import { DRIVERS, recordingLogger } from '../helpers';
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../private-redis';
import { AUDIENCE } from '../schemes/jwt/tokens';
import { proofMaker } from './dpop-fixtures';
import { KINDS, startDpopKinds, type DpopKinds, type Kind } from './dpop-kinds';

let kinds: DpopKinds;
beforeAll(async () => {
  kinds = await startDpopKinds();
});
afterAll(() => kinds.close());

const token = (kind: Kind) => kinds.boundToken(kind);
const makeProof = proofMaker(AUDIENCE, '/cluster');
const proof = (accessToken: string) => makeProof({ accessToken });

function appWith(kind: Kind, store: RedisNonceStore, makeApp: (typeof DRIVERS)[number][1], logger = recordingLogger(), events: AuthEvent[] = []) {
  class ClusterAuth {}
  kinds.decorate(kind, ClusterAuth, { resource: AUDIENCE, dpop: 'required', store });
  @JsonController('/cluster')
  class ClusterController {
    @Get('/') @LoginRequired({ auth: ClusterAuth }) index(@CurrentUser() user: JwtClaims) {
      return { sub: user.sub };
    }
  }
  return makeApp([ClusterController], createAuthCheckers([ClusterAuth], { logger, onEvent: (event) => void events.push(event), controllers: [ClusterController] }));
}

const get = (app: ReturnType<typeof appWith>, t: string, p: string) => request(app).get('/cluster').set('Authorization', `DPoP ${t}`).set('DPoP', p);

const CASES = KINDS.flatMap((kind) => DRIVERS.map(([driver, makeApp]) => [kind, driver, makeApp] as const));

describe.each(CASES)('DPoP replay across three instances sharing Redis (%s, %s)', (kind, _driver, makeApp) => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false });
  });
  afterAll(() => redis.disconnect());

  it('a proof accepted by one instance is refused by the others (and by itself)', async () => {
    const prefix = `httpauth-test:dpop:${randomBytes(6).toString('hex')}:`;
    await new Promise((resolve) => (redis.status === 'ready' ? resolve(undefined) : redis.once('ready', resolve)));
    // Three instances: each its own app and its own store object, one Redis.
    const apps = [0, 1, 2].map(() => appWith(kind, new RedisNonceStore(redis, { prefix }), makeApp));
    const t = token(kind);
    const p = proof(t);
    expect((await get(apps[0], t, p)).status).toBe(200);
    for (const app of [apps[1], apps[2], apps[0]]) {
      const replay = await get(app, t, p);
      expect(replay.status).toBe(401);
      expect(replay.headers['www-authenticate']).toContain('error="invalid_dpop_proof", error_description="the DPoP proof has been used before (jti)"');
    }
    // A fresh proof is accepted anywhere; its record is a hash, with a TTL.
    expect((await get(apps[2], t, proof(t))).status).toBe(200);
    const stored = await redis.keys(`${prefix}*`);
    expect(stored).toHaveLength(2);
    for (const key of stored) {
      expect(key).toMatch(new RegExp(`^${prefix}dpop:[A-Za-z0-9_-]{43}$`));
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
    await redis.del(...stored);
  });
});

describeWithRedisServer.each(CASES)('DPoP with RedisNonceStore while Redis is down (%s, %s)', (kind, _driver, makeApp) => {
  let server: PrivateRedis;
  let redis: Redis;
  beforeEach(async () => {
    server = await startPrivateRedis();
    // ioredis's defaults: offline queue on, retries; the store's deadline is what answers.
    redis = new Redis(server.url);
    redis.on('error', () => undefined);
    await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterEach(async () => {
    redis.disconnect();
    await server.kill();
  });

  it('503 in under a second, never acceptance; one log line; accepted again once Redis is back', async () => {
    const logger = recordingLogger();
    const events: AuthEvent[] = [];
    const app = appWith(kind, new RedisNonceStore(redis), makeApp, logger, events);
    const t = token(kind);
    expect((await get(app, t, proof(t))).status).toBe(200);

    await server.kill();
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const res = await get(app, t, proof(t));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.status === 503).map((e) => [e.kind, e.reason])).toEqual([
      [kind, 'dpop_store_unavailable'],
      [kind, 'dpop_store_unavailable'],
    ]);
    expect(logger.lines()).toEqual([expect.stringMatching(/ClusterAuth: the DPoP replay store failed \(Redis .* did not answer within 250 ms\); refusing DPoP requests with 503/)]);

    await server.restart();
    await new Promise((resolve) => (redis.status === 'ready' ? resolve(undefined) : redis.once('ready', resolve)));
    const p = proof(t);
    expect((await get(app, t, p)).status).toBe(200);
    expect((await get(app, t, p)).status).toBe(401);
  });
});
