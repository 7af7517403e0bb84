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
      set: (...args: unknown[]) => {
        calls.push(args);
        return reply();
      },
    },
  };
}

const never = () => new Promise<never>(() => undefined);

describe('RedisNonceStore without a server', () => {
  it('refuses a nonce that has already expired without calling Redis', async () => {
    const { client, calls } = fakeClient(async () => 'OK');
    const offline = new RedisNonceStore(client, { now: () => 1_000 });
    await expect(offline.use('n', '00000001', 1_000)).resolves.toBe(false);
    await expect(offline.use('n', '00000001', Number.NaN)).resolves.toBe(false);
    expect(calls).toEqual([]);
  });

  it('sets a key without a TTL for a nonce without expiry', async () => {
    const { client, calls } = fakeClient(async () => 'OK');
    await expect(new RedisNonceStore(client, { prefix: 'p:' }).use('n', '00000001', Infinity)).resolves.toBe(true);
    expect(calls).toEqual([['p:n:00000001', '1', 'NX']]);
  });

  it.each([
    ['an ioredis-shaped client', (set: () => Promise<unknown>) => fakeClient(set).client],
    ['a node-redis client through fromNodeRedis', (set: () => Promise<unknown>) => fromNodeRedis({ set })],
  ])('rejects with a DeadlineError when %s does not answer within the timeout', async (_label, clientOf) => {
    const store = new RedisNonceStore(clientOf(never), { timeout: 20 });
    await expect(store.use('n', '00000001', Date.now() + LIFETIME)).rejects.toThrow(DeadlineError);
    await expect(store.use('n', '00000002', Infinity)).rejects.toThrow(/did not answer within 20 ms/);
  });

  it.each([0, -1, Number.NaN, Infinity, '250'])('throws a TypeError for timeout %p', (timeout) => {
    const { client } = fakeClient(async () => 'OK');
    expect(() => new RedisNonceStore(client, { timeout: timeout as number })).toThrow(/RedisNonceStore: timeout must be a positive number of milliseconds/);
  });

  it('adapts a node-redis v4 client to the same commands', async () => {
    const set = jest.fn(async (_key: string, _value: string, _options: { PX?: number; NX: true }) => null);
    const adapted = new RedisNonceStore(fromNodeRedis({ set }), { prefix: 'p:', now: () => 0 });
    await expect(adapted.use('n', '00000001', 1_500.2)).resolves.toBe(false);
    expect(set).toHaveBeenCalledWith('p:n:00000001', '1', { PX: 1_501, NX: true });
    await adapted.use('n', '00000002', Infinity);
    expect(set).toHaveBeenLastCalledWith('p:n:00000002', '1', { NX: true });
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

  it('stores one key per use that expires with the nonce', async () => {
    await store.use('n3', '00000001', Date.now() + LIFETIME);
    await expect(redis.get(`${prefix}n3:00000001`)).resolves.toBe('1');
    const ttl = await redis.pttl(`${prefix}n3:00000001`);
    expect(ttl).toBeGreaterThan(LIFETIME - 5_000);
    expect(ttl).toBeLessThanOrEqual(LIFETIME);
  });

  it('uses the default prefix when none is given', async () => {
    const nonce = `default-prefix-${randomBytes(8).toString('hex')}`;
    await new RedisNonceStore(redis).use(nonce, '00000001', Date.now() + LIFETIME);
    const key = `httpauth:nonce:${nonce}:00000001`;
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

  it('keeps the keys of a nonce without expiry without a TTL, and refuses their replay', async () => {
    await expect(store.use('n6', '00000001', Infinity)).resolves.toBe(true);
    await expect(redis.pttl(`${prefix}n6:00000001`)).resolves.toBe(-1);
    await expect(store.use('n6', '00000001', Infinity)).resolves.toBe(false);
    await expect(store.use('n6', '00000002', Infinity)).resolves.toBe(true);
  });

  it('lets a key expire when the nonce does', async () => {
    await expect(store.use('n5', '00000001', Date.now() + 50)).resolves.toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    await expect(redis.exists(`${prefix}n5:00000001`)).resolves.toBe(0);
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
