import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { DeadlineError } from '../../src/internal/deadline';
import { RedisNonceStore, fromNodeRedis, type RedisLikeClient } from '../../src/stores/redis-nonce-store';

import { describeWithRedis, REDIS_URL } from '../redis';

const LIFETIME = 60_000;

/** A client that records its calls and answers with `reply()`. */
function fakeClient(reply: () => Promise<unknown>): { client: RedisLikeClient; calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    client: {
      eval: (...args: unknown[]) => {
        calls.push(args);
        return reply();
      },
    },
  };
}

const never = () => new Promise<never>(() => undefined);

describe('RedisNonceStore without a server', () => {
  it('refuses a nonce that has already expired without calling Redis', async () => {
    const { client, calls } = fakeClient(async () => 1);
    const offline = new RedisNonceStore(client, { now: () => 1_000 });
    await expect(offline.use('n', '00000001', 1_000)).resolves.toBe(false);
    await expect(offline.use('n', '00000001', Number.NaN)).resolves.toBe(false);
    expect(calls).toEqual([]);
  });

  it('records a nonce without expiry for maxNonceLifetime at most: every key gets a TTL', async () => {
    const { client, calls } = fakeClient(async () => 1);
    const store = new RedisNonceStore(client, { prefix: 'p:', now: () => 5_000, maxNonceLifetime: 60_000, maxUsesPerNonce: 7 });
    await expect(store.use('n', '00000001', Infinity)).resolves.toBe(true);
    await expect(store.use('n', '00000002', 5_000 + 3_600_000)).resolves.toBe(true);
    expect(calls.map((call) => call.slice(1))).toEqual([
      [1, 'p:n', '00000001', 65_000, 5_000, 7],
      [1, 'p:n', '00000002', 65_000, 5_000, 7],
    ]);
  });

  it.each([
    ['an ioredis-shaped client', (evaluate: () => Promise<unknown>) => fakeClient(evaluate).client],
    ['a node-redis client through fromNodeRedis', (evaluate: () => Promise<unknown>) => fromNodeRedis({ eval: evaluate })],
  ])('rejects with a DeadlineError when %s does not answer within the timeout', async (_label, clientOf) => {
    const store = new RedisNonceStore(clientOf(never), { timeout: 20 });
    await expect(store.use('n', '00000001', Date.now() + LIFETIME)).rejects.toThrow(DeadlineError);
    await expect(store.use('n', '00000002', Infinity)).rejects.toThrow(/did not answer within 20 ms/);
  });

  it.each([0, -1, Number.NaN, Infinity, '250'])('throws a TypeError for timeout %p', (timeout) => {
    const { client } = fakeClient(async () => 1);
    expect(() => new RedisNonceStore(client, { timeout: timeout as number })).toThrow(/RedisNonceStore: timeout must be a positive number of milliseconds/);
  });

  it.each([
    ['maxUsesPerNonce', 0],
    ['maxUsesPerNonce', 1.5],
    ['maxNonceLifetime', -1],
    ['maxNonceLifetime', Infinity],
  ])('throws a TypeError for %s %p', (name, value) => {
    const { client } = fakeClient(async () => 1);
    expect(() => new RedisNonceStore(client, { [name]: value })).toThrow(new RegExp(`RedisNonceStore: ${name} must be a positive integer`));
  });

  it('throws a TypeError for a client without eval (a node-redis client not wrapped)', () => {
    expect(() => new RedisNonceStore({ set: async () => 'OK' } as unknown as RedisLikeClient)).toThrow(/fromNodeRedis/);
  });

  it('adapts a node-redis client to the same command', async () => {
    const evaluate = jest.fn(async (_script: string, _options: { keys: string[]; arguments: string[] }) => 0);
    const adapted = new RedisNonceStore(fromNodeRedis({ eval: evaluate }), { prefix: 'p:', now: () => 0 });
    await expect(adapted.use('n', '00000001', 1_500.2)).resolves.toBe(false);
    expect(evaluate).toHaveBeenCalledWith(expect.stringContaining('HSET'), { keys: ['p:n'], arguments: ['00000001', '1501', '0', '10000'] });
  });
});

describeWithRedis('RedisNonceStore', () => {
  let redis: Redis;
  let store: RedisNonceStore;
  const prefix = `httpauth-test:${randomBytes(8).toString('hex')}:`;
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new RedisNonceStore(redis, { prefix });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('accepts the first use and refuses its replay', async () => {
    const expiresAt = Date.now() + LIFETIME;
    await expect(store.use('n1', '00000001', expiresAt)).resolves.toBe(true);
    await expect(store.use('n1', '00000001', expiresAt)).resolves.toBe(false);
    await expect(store.use('n1', '00000002', expiresAt)).resolves.toBe(true);
    await expect(store.use('n2', '00000001', expiresAt)).resolves.toBe(true);
  });

  it('keeps one record per nonce, which outlives the nonce by one lifetime', async () => {
    await store.use('n3', '00000001', Date.now() + LIFETIME);
    await expect(redis.hget(`${prefix}n3`, 'u00000001')).resolves.toBe('1');
    const ttl = await redis.pttl(`${prefix}n3`);
    expect(ttl).toBeGreaterThan(2 * LIFETIME - 5_000);
    expect(ttl).toBeLessThanOrEqual(2 * LIFETIME);
  });

  it('uses the default prefix when none is given', async () => {
    const nonce = `default-prefix-${randomBytes(8).toString('hex')}`;
    await new RedisNonceStore(redis).use(nonce, '00000001', Date.now() + LIFETIME);
    const key = `httpauth:nonce:${nonce}`;
    await expect(redis.exists(key)).resolves.toBe(1);
    await redis.del(key);
  });

  it('accepts concurrent out-of-order uses exactly once each', async () => {
    const expiresAt = Date.now() + LIFETIME;
    const counts = [5, 3, 1, 4, 2, 3, 5, 1, 2, 4];
    const results = await Promise.all(counts.map((n) => store.use('n4', n.toString(16).padStart(8, '0'), expiresAt)));
    const accepted = counts.filter((_n, i) => results[i]);
    expect(accepted.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives the record of a nonce without expiry a TTL too (maxNonceLifetime), and refuses its replays', async () => {
    const bounded = new RedisNonceStore(redis, { prefix, maxNonceLifetime: 60_000 });
    await expect(bounded.use('n6', '00000001', Infinity)).resolves.toBe(true);
    const ttl = await redis.pttl(`${prefix}n6`);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    await expect(bounded.use('n6', '00000001', Infinity)).resolves.toBe(false);
    await expect(bounded.use('n6', '00000002', Infinity)).resolves.toBe(true);
  });

  it('accepts at most maxUsesPerNonce uses of one nonce', async () => {
    const capped = new RedisNonceStore(redis, { prefix, maxUsesPerNonce: 3 });
    const expiresAt = Date.now() + LIFETIME;
    const results = [];
    for (let nc = 1; nc <= 5; nc++) results.push(await capped.use('n7', nc.toString(16).padStart(8, '0'), expiresAt));
    expect(results).toEqual([true, true, true, false, false]);
  });

  it('never extends a record when a later use reports a later expiry, and refuses every use once the first expiry passed', async () => {
    let now = Date.now();
    const sliding = new RedisNonceStore(redis, { prefix, now: () => now });
    await expect(sliding.use('n8', '00000001', now + 200)).resolves.toBe(true);
    const ttl = await redis.pttl(`${prefix}n8`);
    await expect(sliding.use('n8', '00000002', now + 60_000)).resolves.toBe(true);
    expect(await redis.pttl(`${prefix}n8`)).toBeLessThanOrEqual(ttl);
    now += 250;
    // The hook still says "valid for a minute": the record says the nonce died at its first expiry.
    await expect(sliding.use('n8', '00000001', now + 60_000)).resolves.toBe(false);
    await expect(sliding.use('n8', '00000003', now + 60_000)).resolves.toBe(false);
    // Presenting the dead nonce keeps its record, so it cannot come back as new.
    expect(await redis.pttl(`${prefix}n8`)).toBeGreaterThan(0);
  });

  it('lets the record expire one lifetime after the nonce', async () => {
    await expect(store.use('n5', '00000001', Date.now() + 50)).resolves.toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(redis.exists(`${prefix}n5`)).resolves.toBe(0);
  });

  it('rejects, rather than accepting, when Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    try {
      await expect(new RedisNonceStore(down).use('n', '00000001', Date.now() + LIFETIME)).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  });
});
