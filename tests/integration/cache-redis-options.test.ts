import Redis from 'ioredis';
import { createClient, createCluster } from 'redis';
import { BasicAuth, VerifyPassword } from '../../src';
import { REDIS_URL } from '../redis';

describe('cache.redis: configuration errors', () => {
  it.each([
    ['an object that is no client', { ttl: 60, redis: {} }, /@BasicAuth on Misconfigured: cache\.redis must be an ioredis or node-redis \(v4\/v5\) client: it needs duplicate\(\).*new Redis\(url\) or createClient/],
    ['a look-alike with the commands but neither status nor isOpen', { ttl: 60, redis: { duplicate() {}, incr() {}, get() {}, publish() {}, subscribe() {}, on() {} } }, /cache\.redis must be an ioredis or node-redis/],
    ['a URL instead of a client', { ttl: 60, redis: 'redis://127.0.0.1' }, /cache\.redis must be an ioredis or node-redis/],
    ['a node-redis cluster', { ttl: 60, redis: createCluster({ rootNodes: [{ url: REDIS_URL }] }) }, /@BasicAuth on Misconfigured: cache\.redis cannot be a node-redis cluster \(createCluster\); pass a createClient\(\) client/],
    ['keyPrefix without redis', { ttl: 60, keyPrefix: 'x' }, /@BasicAuth on Misconfigured: cache\.keyPrefix names keys in Redis; add cache\.redis/],
    ['an empty keyPrefix', { ttl: 60, redis: new Redis({ lazyConnect: true }), keyPrefix: '' }, /cache\.keyPrefix must be a non-empty string/],
    // Accepted as they are, never connected here: the check reads their shape only.
    ['a keyPrefix that is no string', { ttl: 60, redis: createClient(), keyPrefix: 7 }, /cache\.keyPrefix must be a non-empty string/],
    ['an unknown option', { ttl: 60, channel: 'x' }, /unknown cache option "channel" \(allowed: ttl, max, key, redis, keyPrefix\)/],
  ])('%s is refused at decoration, naming the class and the fix', (_what, cache, message) => {
    expect(() => {
      @BasicAuth({ cache: cache as never })
      class Misconfigured {
        @VerifyPassword() verify() {
          return true;
        }
      }
      return Misconfigured;
    }).toThrow(message);
  });
});

describe('cache.redis: accepted clients', () => {
  it.each([
    ['an ioredis client', () => new Redis({ lazyConnect: true })],
    ['a node-redis client', () => createClient()],
  ])('%s is accepted at decoration, and nothing connects before createAuthCheckers', (_what, make) => {
    const redis = make();
    @BasicAuth({ cache: { ttl: 60, redis, keyPrefix: 'accepted' } })
    class Accepted {
      @VerifyPassword() verify() {
        return true;
      }
    }
    expect(Accepted).toBeDefined();
    expect(redis instanceof Redis ? redis.status : redis.isOpen).toBe(redis instanceof Redis ? 'wait' : false);
  });
});
