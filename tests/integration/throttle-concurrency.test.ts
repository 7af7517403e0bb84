import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import Redis from 'ioredis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword, type BasicAuthOptions } from '../../src';
import { basicHeader, DRIVERS, recordingLogger, fromAddress } from '../helpers';
import { REDIS_URL, describeWithRedis } from '../redis';

const RUN = randomBytes(8).toString('hex');
const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };
const HOOK_MS = 30;
const THROTTLE = { failures: 3, window: 60, block: 300 } as const;

let sharedRedis: Redis | undefined;
const redis = (): Redis => (sharedRedis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));

afterAll(async () => {
  if (!sharedRedis) return;
  const keys = await sharedRedis.keys(`httpauth-test:${RUN}:*`);
  if (keys.length > 0) await sharedRedis.del(...keys);
  await sharedRedis.quit();
});

@JsonController('/slow')
class SlowController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

/** A verify hook that takes 30 ms, as a password hash does, and counts its calls per username. */
function slowClass(options: BasicAuthOptions) {
  @BasicAuth(options)
  class SlowUsers {
    readonly calls: Record<string, number> = {};
    @VerifyPassword() async verify(username: string, password: string) {
      this.calls[username] = (this.calls[username] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, HOOK_MS));
      return USERS[username] === password ? { name: username } : null;
    }
  }
  return SlowUsers;
}


/** Holds hook calls open until `release`; `entered(n)` resolves once n calls are waiting. */
function holdOpen() {
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  let inside = 0;
  const watchers: (() => void)[] = [];
  return {
    async enter() {
      inside++;
      for (const watch of watchers.splice(0)) watch();
      await open;
    },
    async entered(n: number) {
      while (inside < n) await new Promise<void>((resolve) => watchers.push(resolve));
    },
    release,
  };
}


const login = (app: RequestListener, user: string, password: string) =>
  request(app).get('/slow').set('Authorization', basicHeader(user, password)).then((res) => res.status);

const together = (n: number, attempt: () => Promise<number>) => Promise.all(Array.from({ length: n }, attempt));

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

type StoreOptions = () => Pick<BasicAuthOptions['throttle'] & object, 'redis' | 'keyPrefix' | 'timeout'>;
let prefixes = 0;
const STORES: [string, jest.Describe, StoreOptions][] = [
  ['memory', describe, () => ({})],
  // A generous deadline: this suite is about concurrency, and on a loaded machine a 250 ms deadline
  // missed would fall back to memory counting (throttle-outage.test.ts covers that path).
  ['redis', describeWithRedis, () => ({ redis: redis(), keyPrefix: `httpauth-test:${RUN}:${++prefixes}`, timeout: 5_000 })],
];

describe.each(DRIVERS)('throttling under concurrency (%s)', (_driver, makeApp) => {
  describe.each(STORES.map(([name, d, store]) => [name, d, store] as const))('%s store', (_store, describeStore, store) => {
    describeStore('with a 30 ms verify hook and failures: 3', () => {
      function throttledApp(extra: Partial<BasicAuthOptions> = {}) {
        const auth = new (slowClass({ throttle: { ...THROTTLE, ...store() }, ...extra }))();
        const app = makeApp([SlowController], createAuthCheckers([auth], { logger: recordingLogger() }));
        return { auth, app };
      }

      it('lets at most 3 of 60 concurrent wrong passwords reach the hook; the rest get 429, and the user stays blocked', async () => {
        const { auth, app } = throttledApp();
        const attacker = fromAddress(app, '10.5.0.1');
        const statuses = await together(60, () => login(attacker, 'alice', 'guess'));
        expect(auth.calls.alice).toBeLessThanOrEqual(THROTTLE.failures);
        expect(count(statuses, 401)).toBe(auth.calls.alice);
        expect(count(statuses, 429)).toBe(60 - auth.calls.alice);
        // Blocked: the right password from elsewhere gets 429 and runs no hook; bob is untouched.
        expect(await login(fromAddress(app, '10.5.0.2'), 'alice', 'wonderland')).toBe(429);
        expect(auth.calls.alice).toBeLessThanOrEqual(THROTTLE.failures);
        expect(await login(fromAddress(app, '10.5.0.2'), 'bob', 'builder')).toBe(200);
      });

      it('spreads over many usernames: the address lets at most 3 guesses through', async () => {
        const { auth, app } = throttledApp();
        const attacker = fromAddress(app, '10.5.1.1');
        const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => login(attacker, `user${i}`, 'guess')));
        const hookCalls = Object.values(auth.calls).reduce((a, b) => a + b, 0);
        expect(hookCalls).toBeLessThanOrEqual(THROTTLE.failures);
        expect(count(statuses, 429)).toBe(60 - hookCalls);
        expect(await login(fromAddress(app, '10.5.1.2'), 'bob', 'builder')).toBe(200);
      });

      it('answers 20 concurrent correct logins with 200 each (the extra ones wait for a slot)', async () => {
        const { auth, app } = throttledApp();
        const statuses = await together(20, () => login(fromAddress(app, '10.5.2.1'), 'alice', 'wonderland'));
        expect(statuses).toEqual(Array(20).fill(200));
        expect(auth.calls.alice).toBe(20);
      });

      it('answers cached credentials without a slot: 20 concurrent cached logins pass while 3 guesses hold every slot', async () => {
        const gate = holdOpen();
        @BasicAuth({ throttle: { ...THROTTLE, ...store() }, cache: { ttl: 300 } })
        class Cached {
          calls = 0;
          @VerifyPassword() async verify(username: string, password: string) {
            this.calls++;
            if (USERS[username] !== password) await gate.enter();
            return USERS[username] === password ? { name: username } : null;
          }
        }
        const auth = new Cached();
        const app = makeApp([SlowController], createAuthCheckers([auth], { logger: recordingLogger() }));
        const client = fromAddress(app, '10.5.3.1');
        expect(await together(20, () => login(client, 'alice', 'wonderland'))).toEqual(Array(20).fill(200));
        expect(auth.calls).toBe(1);
        const guesses = Promise.all(['a', 'b', 'c'].map((guess) => login(client, 'alice', guess)));
        await gate.entered(3);
        expect(await together(20, () => login(client, 'alice', 'wonderland'))).toEqual(Array(20).fill(200));
        expect(auth.calls).toBe(4);
        gate.release();
        expect(await guesses).toEqual([401, 401, 401]);
        // The three failures blocked alice and the address: cached or not, 429 now.
        expect(await login(client, 'alice', 'wonderland')).toBe(429);
      });

      it('mixed: 40 concurrent guesses on alice never hold up bob, and never reach the hook more than 3 times', async () => {
        const { auth, app } = throttledApp();
        const attacker = fromAddress(app, '10.5.4.1');
        const [guesses, honest] = await Promise.all([
          together(40, () => login(attacker, 'alice', 'guess')),
          together(10, () => login(fromAddress(app, '10.5.4.2'), 'bob', 'builder')),
        ]);
        expect(honest).toEqual(Array(10).fill(200));
        expect(auth.calls.bob).toBe(10);
        expect(auth.calls.alice).toBeLessThanOrEqual(THROTTLE.failures);
        expect(count(guesses, 401) + count(guesses, 429)).toBe(40);
      });

      it('gives the slot back when the hook throws, so a broken hook does not block the user', async () => {
        @BasicAuth({ throttle: { ...THROTTLE, ...store() } })
        class Flaky {
          calls = 0;
          @VerifyPassword() async verify(username: string, password: string) {
            if (++this.calls <= 5) throw new Error('database down');
            return USERS[username] === password ? { name: username } : null;
          }
        }
        // The hook's error is logged by the framework; keep it out of the test output.
        const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
        const auth = new Flaky();
        const app = makeApp([SlowController], createAuthCheckers([auth], { logger: recordingLogger() }));
        const client = fromAddress(app, '10.5.5.1');
        for (let i = 0; i < 5; i++) expect(await login(client, 'alice', 'wonderland')).toBe(500);
        expect(await login(client, 'alice', 'wonderland')).toBe(200);
        quiet.mockRestore();
      });

      it('refuses with 429 an attempt that found no free slot within maxWait', async () => {
        const gate = holdOpen();
        @BasicAuth({ throttle: { ...THROTTLE, ...store(), maxWait: 100 } })
        class Held {
          @VerifyPassword() async verify(username: string, password: string) {
            await gate.enter();
            return USERS[username] === password ? { name: username } : null;
          }
        }
        const app = makeApp([SlowController], createAuthCheckers([new Held()], { logger: recordingLogger() }));
        const client = fromAddress(app, '10.5.6.1');
        const first = together(3, () => login(client, 'alice', 'wonderland'));
        await gate.entered(3);
        const res = await request(client).get('/slow').set('Authorization', basicHeader('alice', 'wonderland'));
        expect(res.status).toBe(429);
        expect(res.headers['retry-after']).toBe('1');
        gate.release();
        expect(await first).toEqual([200, 200, 200]);
        expect(await login(client, 'alice', 'wonderland')).toBe(200);
      });
    });
  });
});

describe('throttle options', () => {
  it.each([
    [{ timeout: 0 }, /throttle\.timeout must be a positive number of milliseconds/],
    [{ timeout: '250' }, /throttle\.timeout must be a positive number of milliseconds/],
    [{ maxWait: -1 }, /throttle\.maxWait must be a number of milliseconds/],
    [{ maxWait: Number.POSITIVE_INFINITY }, /throttle\.maxWait must be a number of milliseconds/],
    [{ wait: 100 }, /unknown throttle option "wait" \(allowed: .*timeout, maxWait\)/],
  ])('%p is refused at decoration time', (extra, message) => {
    const decorate = () => BasicAuth({ throttle: { ...THROTTLE, ...(extra as object) } } as BasicAuthOptions)(class Users {});
    expect(decorate).toThrow(TypeError);
    expect(decorate).toThrow(message);
  });

  it('accepts timeout and maxWait in milliseconds', () => {
    expect(() => BasicAuth({ throttle: { ...THROTTLE, timeout: 100, maxWait: 0 } })(class Users {})).not.toThrow();
  });
});
