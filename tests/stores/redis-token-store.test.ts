import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { HttpAuthError } from '../../src';
import { createTokenIssuer } from '../../src/issuer/create-token-issuer';
import type { TokenIssuer } from '../../src/issuer/types';
import { DeadlineError } from '../../src/internal/deadline';
import { fromNodeRedis, type RedisLikeClient } from '../../src/stores/redis-nonce-store';
import { RedisTokenStore } from '../../src/stores/redis-token-store';
import { AUDIENCE, claimsOf, ISSUER, linkOf, newEcKey, quietLogger, stateOf } from '../issuer/fixtures';
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../private-redis';
import { describeWithRedis, REDIS_URL } from '../redis';

const never = () => new Promise<never>(() => undefined);
const fake = (reply: () => Promise<unknown>): RedisLikeClient => ({ eval: () => reply() });
const login = { hash: 'h', record: { family: 'f', subject: 'alice', scope: '', clientId: '', claims: '', expiresAt: Date.now() + 60_000 }, keepUntil: Date.now() + 120_000, subjectKey: 's', epoch: 'e' };

describe('RedisTokenStore without a server', () => {
  it.each([
    ['an ioredis-shaped client', (reply: () => Promise<unknown>) => fake(reply)],
    ['a node-redis client through fromNodeRedis', (reply: () => Promise<unknown>) => fromNodeRedis({ eval: reply })],
  ])('rejects every operation with a DeadlineError when %s does not answer within the timeout', async (_label, clientOf) => {
    const store = new RedisTokenStore(clientOf(never), { timeout: 20 });
    const started = Date.now();
    const calls = [
      store.createLogin(login),
      store.findRefreshToken('h'),
      store.rotateRefreshToken('h', login),
      store.revokeFamilyOf('h'),
      store.revokeAccessToken('j', Date.now() + 1_000),
      store.revokeSubject('s', 'e2'),
      store.accessTokenState('j', 'f'),
    ];
    for (const call of calls) await expect(call).rejects.toThrow(DeadlineError);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('fails closed on replies it does not understand', async () => {
    const store = new RedisTokenStore(fake(async () => 'OK'));
    await expect(store.accessTokenState('j', 'f')).resolves.toBe('revoked');
    await expect(store.rotateRefreshToken('h', login)).rejects.toThrow(/unexpected reply/);
    await expect(store.findRefreshToken('h')).rejects.toThrow(/unexpected reply/);
  });

  it.each([
    [null, undefined, /needs a client with eval/],
    [{}, undefined, /needs a client with eval/],
    [fake(async () => 1), { timeout: 0 }, /timeout must be a positive number of milliseconds/],
    [fake(async () => 1), { keyPrefix: 5 }, /keyPrefix must be a string/],
    [fake(async () => 1), { now: 'x' }, /now must be a function/],
  ])('throws a TypeError for a bad client or options (%#)', (client, options, message) => {
    expect(() => new RedisTokenStore(client as never, options as never)).toThrow(TypeError);
    expect(() => new RedisTokenStore(client as never, options as never)).toThrow(message);
  });
});

describeWithRedis('RedisTokenStore keys', () => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(() => client.disconnect());

  it('gives every key a TTL no longer than the refresh lifetime plus the 5-minute margin', async () => {
    const keyPrefix = `httpauth-test:tokens:${randomBytes(6).toString('hex')}:`;
    const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: newEcKey(), store: new RedisTokenStore(client, { keyPrefix }), refreshTtl: 3_600, accessTtl: 60, logger: quietLogger() });
    const pair = await tokens.issue('alice', { claims: { roles: ['a'] } });
    const next = await tokens.refresh(pair.refresh_token);
    await tokens.revoke(next.access_token);
    await tokens.revokeAll('alice');
    const keys = await client.keys(`${keyPrefix}*`);
    // subject, family, two refresh tokens, one revoked jti
    expect(keys.map((key) => key.slice(keyPrefix.length, keyPrefix.length + 2)).sort()).toEqual(['f:', 'j:', 'r:', 'r:', 's:']);
    for (const key of keys) {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual((3_600 + 300) * 1_000);
    }
    const jti = keys.find((key) => key.startsWith(`${keyPrefix}j:`))!;
    expect(jti).toBe(`${keyPrefix}j:${claimsOf(next.access_token).jti}`);
    expect(await client.pttl(jti)).toBeLessThanOrEqual((60 + 300) * 1_000);
    // Only keyed hashes of the refresh tokens are stored, never the tokens.
    const dump = JSON.stringify(await Promise.all(keys.filter((key) => key.includes(':r:')).map((key) => client.hgetall(key))));
    expect(keys.join(' ') + dump).not.toContain(pair.refresh_token);
    expect(keys.join(' ') + dump).not.toContain(next.refresh_token);
  });
});

describeWithRedisServer('token issuer while Redis is down (private redis-server)', () => {
  let server: PrivateRedis;
  let client: Redis;
  let tokens: TokenIssuer;
  let logger: ReturnType<typeof quietLogger>;

  beforeEach(async () => {
    server = await startPrivateRedis();
    // ioredis's defaults: offline queue on, 20 retries per command. The store's deadline decides.
    client = new Redis(server.url);
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('ready', resolve));
    logger = quietLogger();
    tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: newEcKey(), store: new RedisTokenStore(client), logger });
  });

  afterEach(async () => {
    client.disconnect();
    await server.kill();
  });

  it('answers every operation with a 503 HttpAuthError in under a second, never an acceptance, and works again once Redis is back', async () => {
    const pair = await tokens.issue('alice');
    const claims = claimsOf(pair.access_token);
    expect(await linkOf(tokens).checkAccessToken(claims)).toBe('active');

    await server.kill();
    const attempts: [string, () => unknown][] = [
      ['checkAccessToken', () => linkOf(tokens).checkAccessToken(claims)],
      ['issue', () => tokens.issue('alice')],
      ['refresh', () => tokens.refresh(pair.refresh_token)],
      ['revoke (access)', () => tokens.revoke(pair.access_token)],
      ['revoke (refresh)', () => tokens.revoke(pair.refresh_token)],
      ['revokeAll', () => tokens.revokeAll('alice')],
    ];
    for (const [what, attempt] of attempts) {
      const started = Date.now();
      const error = await Promise.resolve()
        .then(attempt)
        .then(
          (value) => ({ accepted: value }),
          (e: unknown) => e,
        );
      expect([what, Date.now() - started < 1_000]).toEqual([what, true]);
      expect([what, error]).toEqual([what, expect.any(HttpAuthError)]);
      expect([what, error]).toEqual([what, expect.objectContaining({ httpCode: 503, code: 'ERR_HTTP_AUTH_UNAVAILABLE' })]);
    }
    // One line for the outage (rate-limited), naming the deadline, no token in it.
    expect(logger.error.mock.calls).toEqual([[expect.stringMatching(/^http-auth: token issuer: the token store failed \(Redis \(RedisTokenStore \w+\) did not answer within 250 ms\); answering 503$/)]]);
    expect(logger.error.mock.calls[0][0]).not.toContain(pair.refresh_token);

    await server.restart();
    await new Promise((resolve) => (client.status === 'ready' ? resolve(undefined) : client.once('ready', resolve)));
    // The restarted server is empty (no persistence): what it forgot is refused (fail closed), new logins work.
    expect(await stateOf(tokens, pair.access_token)).toBe('revoked');
    await expect(tokens.refresh(pair.refresh_token)).rejects.toMatchObject({ httpCode: 400, reason: 'unknown' });
    const again = await tokens.issue('alice');
    expect(await stateOf(tokens, again.access_token)).toBe('active');
    await expect(tokens.refresh(again.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });
});
