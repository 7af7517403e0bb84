import Redis from 'ioredis';
import { createAuthCheckers, type AuthCheckers } from '../../src';
import { BusController, builder, cached, settle, status, uniquePrefix, usersClass, type App } from '../cache-bus';
import { recordingLogger } from '../helpers';
import { REDIS_URL, describeWithRedis } from '../redis';
import { connectClient, until, type ClientKind, type TestClient } from '../redis-clients';

// Redis round trips (and child processes) on a busy machine: more than jest's 5 s default.
jest.setTimeout(30_000);

interface Instance {
  readonly auth: AuthCheckers<unknown>;
  readonly app: App;
  readonly calls: string[];
  readonly redis: TestClient;
  readonly logger: ReturnType<typeof recordingLogger>;
}

// [client of A, client of B, driver of A, driver of B]: both clients, both drivers, and A and B
// on different clients (the messages are the same whichever client sent them).
const PAIRS: [ClientKind, ClientKind, string, string][] = [
  ['ioredis', 'ioredis', 'express', 'koa'],
  ['node-redis', 'node-redis', 'koa', 'express'],
  ['ioredis', 'node-redis', 'express', 'express'],
];

describeWithRedis.each(PAIRS)('cache.redis: instance A on %s, B on %s (%s / %s)', (clientA, clientB, driverA, driverB) => {
  let opened: Instance[] = [];
  let passwords: Record<string, string>;
  let keyPrefix: string;

  async function instance(kind: ClientKind, driver: string): Promise<Instance> {
    const redis = await connectClient(kind, REDIS_URL);
    const calls: string[] = [];
    const logger = recordingLogger();
    const auth = createAuthCheckers([new (usersClass(passwords, calls, { redis: redis.client, keyPrefix }))()], { logger });
    const made = { auth, app: builder(driver)([BusController], auth), calls, redis, logger };
    opened.push(made);
    return made;
  }

  /** A and B, subscribed, with alice and bob cached on both. */
  async function twoInstances() {
    const a = await instance(clientA, driverA);
    const b = await instance(clientB, driverB);
    const canary = ({ app, calls }: Instance) => ({ send: () => status(app, 'canary', 'canary'), calls });
    await settle([canary(a), canary(b)], () => a.auth.clearCache('canary'));
    for (const { app, calls } of [a, b]) {
      await cached(() => status(app, 'alice', 'old'), calls);
      await cached(() => status(app, 'bob', 'builder'), calls);
    }
    return { a, b };
  }

  beforeEach(() => {
    passwords = { alice: 'old', bob: 'builder', canary: 'canary' };
    keyPrefix = uniquePrefix();
  });

  afterEach(async () => {
    for (const { auth, redis } of opened) {
      await auth.close();
      redis.end();
    }
    opened = [];
  });

  it('a password change + clearCache(user) on A makes B refuse the old password within 100 ms; other users stay cached on B', async () => {
    const { a, b } = await twoInstances();
    passwords.alice = 'new';
    // Control: without the clear, B answers the old password from its cache.
    expect(await status(b.app, 'alice', 'old')).toBe(200);
    const before = b.calls.length;
    const started = Date.now();
    await a.auth.clearCache('alice');
    let refusedSentAt = 0;
    await until(async () => {
      const sentAt = Date.now();
      if ((await status(b.app, 'alice', 'old')) !== 401) return false;
      refusedSentAt = sentAt;
      return true;
    }, 'B to refuse the old password', 1_000);
    expect(refusedSentAt - started).toBeLessThan(100);
    expect(await status(a.app, 'alice', 'old')).toBe(401);
    expect(await status(b.app, 'alice', 'new')).toBe(200);
    // bob is still answered from B's cache: no hook call for him.
    expect(await status(b.app, 'bob', 'builder')).toBe(200);
    expect(b.calls.slice(before)).toEqual(['alice', 'alice']);
  });

  it.each([
    ['a predicate (which cannot travel)', (auth: AuthCheckers<unknown>) => auth.clearCache((name) => name === 'alice')],
    ['no argument', (auth: AuthCheckers<unknown>) => auth.clearCache()],
  ])('clearCache with %s on A makes B forget every user', async (_what, clear) => {
    const { a, b } = await twoInstances();
    const before = b.calls.length;
    await clear(a.auth);
    await until(async () => (await status(b.app, 'bob', 'builder')) === 200 && b.calls.length > before, 'B to verify bob again');
    expect(b.calls.slice(before)).toEqual(['bob']);
  });

  it.each([
    [0, 'forgets only the user named'],
    [1, 'forgets every user'],
  ])('a message after %i skipped generation(s) (a lost message): B %s', async (skipped, _what) => {
    const { a, b } = await twoInstances();
    const probe = new Redis(REDIS_URL);
    try {
      // A clear whose message never arrived: the counter moved, nothing was published.
      for (let i = 0; i < skipped; i++) await probe.incr(`${keyPrefix}:generation`);
    } finally {
      probe.disconnect();
    }
    const before = b.calls.length;
    await a.auth.clearCache('carol');
    await a.auth.clearCache('bob');
    // Messages arrive in order: once B verified bob again, it has handled the one for carol.
    await until(async () => (await status(b.app, 'bob', 'builder')) === 200 && b.calls.length > before, 'B to forget bob');
    expect(await status(b.app, 'alice', 'old')).toBe(200);
    expect(b.calls.slice(before)).toEqual(skipped === 0 ? ['bob'] : ['bob', 'alice']);
  });

  it('an unreadable message on the channel clears the whole cache, with a warning', async () => {
    const { b } = await twoInstances();
    const probe = new Redis(REDIS_URL);
    try {
      await probe.publish(`${keyPrefix}:clear`, '{"generation":"x"}');
    } finally {
      probe.disconnect();
    }
    const before = b.calls.length;
    await until(async () => (await status(b.app, 'alice', 'old')) === 200 && b.calls.length > before, 'B to verify alice again');
    expect(b.logger.warn).toHaveBeenCalledWith(expect.stringMatching(/^http-auth: BusUsers: cache: an unreadable message on .*:clear; cleared the whole cache$/));
  });
});
