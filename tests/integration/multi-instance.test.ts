import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { basicHeader } from '../helpers';
import { digestAuthorization, parseChallenge, type DigestChallenge } from '../digest-client';
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../private-redis';
import { until } from '../redis-clients';

// Redis round trips (and child processes) on a busy machine: more than jest's 5 s default.
jest.setTimeout(30_000);

/**
 * Three app processes behind one imaginary load balancer, sharing one Redis and one Digest
 * secret (issue 10 §2), driven by this one client. A and C are Express on ioredis, B is Koa on
 * node-redis (cache, throttle and nonce store). See tests/fixtures/cluster-instance.ts.
 */

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = 'tests/fixtures/cluster-instance.ts';

interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
}

const INSTANCES = [
  { name: 'A', driver: 'express', redisClient: 'ioredis' },
  { name: 'B', driver: 'koa', redisClient: 'node-redis' },
  { name: 'C', driver: 'express', redisClient: 'ioredis' },
] as const;

function start(name: string, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env, INSTANCE: name, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance ${name} did not start: ${output}`)), 45_000);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^\{"port":(\d+)\}$/m.exec(output);
      if (!line) return;
      clearTimeout(timer);
      resolve({ name, child, url: `http://127.0.0.1:${line[1]}` });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${name} exited (${code}): ${output}`));
    });
  });
}

/** One request: its status, the time it took, its challenge and its body. */
async function send(instance: Instance, pathname: string, headers: Record<string, string> = {}, method = 'GET') {
  const started = Date.now();
  const res = await fetch(`${instance.url}${pathname}`, { method, headers });
  const body = await res.text();
  return { status: res.status, ms: Date.now() - started, header: res.headers.get('www-authenticate'), body };
}

let addresses = 0;
/** A client address of its own, so that only the username's count can reach the limit. */
const newAddress = () => ({ 'X-Forwarded-For': `10.10.${Math.floor(++addresses / 250)}.${addresses % 250}` });

const basic = (instance: Instance, user: string, password: string) =>
  send(instance, '/cluster/basic', { Authorization: basicHeader(user, password), ...newAddress() });

async function verifyCalls(instance: Instance, user: string): Promise<number> {
  const calls = JSON.parse((await send(instance, '/admin/calls')).body) as Record<string, number>;
  return calls[user] ?? 0;
}

/** Sends until answered 200 without a verify-hook call: cached on that instance. */
async function cache(instance: Instance, user: string, password: string): Promise<void> {
  await until(async () => {
    expect((await basic(instance, user, password)).status).toBe(200);
    const before = await verifyCalls(instance, user);
    return (await basic(instance, user, password)).status === 200 && (await verifyCalls(instance, user)) === before;
  }, `${user} to be cached on ${instance.name}`);
}

async function setPassword(instance: Instance, user: string, password: string, clear: boolean): Promise<unknown> {
  const query = new URLSearchParams({ user, password, ...(clear ? { clear: '1' } : {}) });
  return JSON.parse((await send(instance, `/admin/password?${query}`, {}, 'POST')).body);
}

async function digestChallengeOf(instance: Instance): Promise<DigestChallenge> {
  const res = await send(instance, '/cluster/digest');
  expect(res.status).toBe(401);
  return parseChallenge(res.header!);
}

const digestHeader = (challenge: DigestChallenge, nc: number) =>
  digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/cluster/digest', nc }).header;

const digest = (instance: Instance, header: string) => send(instance, '/cluster/digest', { Authorization: header });

describeWithRedisServer('three instances sharing one Redis and one Digest secret', () => {
  let server: PrivateRedis;
  let instances: Instance[] = [];
  let A: Instance, B: Instance, C: Instance;

  beforeAll(async () => {
    server = await startPrivateRedis();
    const secret = randomBytes(32).toString('hex');
    instances = await Promise.all(
      INSTANCES.map(({ name, driver, redisClient }) => start(name, { REDIS_URL: server.url, DIGEST_SECRET: secret, DRIVER: driver, REDIS_CLIENT: redisClient })),
    );
    [A, B, C] = instances;
    // Every instance subscribed, and done with the cache clear that follows subscribing (as
    // settle() in tests/cache-bus.ts): john cached everywhere, then forgotten everywhere.
    for (const instance of instances) await cache(instance, 'john', 'bye');
    const before = await Promise.all(instances.map((instance) => verifyCalls(instance, 'john')));
    expect(await setPassword(A, 'john', 'bye', true)).toEqual({ published: true });
    for (const [i, instance] of instances.entries()) {
      await until(async () => (await basic(instance, 'john', 'bye')).status === 200 && (await verifyCalls(instance, 'john')) > before[i], `${instance.name} to subscribe`);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      instances.map(({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        return exited.finally(() => clearTimeout(timer));
      }),
    );
    await server?.kill();
  });

  it('a Digest nonce issued by A is accepted by B and C; a request accepted by one instance and replayed to another gets 401', async () => {
    const challenge = await digestChallengeOf(A);
    const [first, second, third] = [1, 2, 3].map((nc) => digestHeader(challenge, nc));
    expect((await digest(B, first)).status).toBe(200);
    expect((await digest(C, second)).status).toBe(200);
    expect((await digest(A, third)).status).toBe(200);
    // Replays: each header once more, on the other instances.
    expect((await digest(A, first)).status).toBe(401);
    expect((await digest(C, first)).status).toBe(401);
    expect((await digest(B, third)).status).toBe(401);
    expect((await digest(C, third)).status).toBe(401);
  });

  it('throttling counts failures across instances: 9 concurrent guesses spread over A, B and C, only 3 reach the hook', async () => {
    const before = await Promise.all(instances.map((instance) => verifyCalls(instance, 'bob')));
    const guesses = await Promise.all(instances.flatMap((instance) => [1, 2, 3].map((i) => basic(instance, 'bob', `guess-${instance.name}-${i}`))));
    const after = await Promise.all(instances.map((instance) => verifyCalls(instance, 'bob')));
    const reachedHook = after.reduce((sum, n, i) => sum + n - before[i], 0);
    expect(reachedHook).toBe(3);
    expect(guesses.map((r) => r.status).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429]);
    // bob is now blocked everywhere, even with his password.
    for (const instance of instances) expect((await basic(instance, 'bob', 'builder')).status).toBe(429);
  });

  it('a password change + clearCache(user) on A makes B and C refuse the old password on the next request', async () => {
    for (const instance of instances) await cache(instance, 'alice', 'old');
    // One database: the new password is there for every instance; only A is told to clear.
    for (const instance of [B, C]) await setPassword(instance, 'alice', 'new', false);
    expect(await setPassword(A, 'alice', 'new', true)).toEqual({ published: true });
    for (const instance of instances) {
      expect((await basic(instance, 'alice', 'old')).status).toBe(401);
      expect((await basic(instance, 'alice', 'new')).status).toBe(200);
    }
  });

  it('with Redis killed every instance answers within 1 s (Digest 503, throttling in memory per instance) and recovers when Redis returns', async () => {
    for (const instance of instances) await cache(instance, 'alice', 'new');
    const callsBefore = await Promise.all(instances.map((instance) => verifyCalls(instance, 'alice')));
    const challenges = await Promise.all(instances.map(digestChallengeOf));

    await server.kill();
    for (const [i, instance] of instances.entries()) {
      const answers = [await digest(instance, digestHeader(challenges[i], 1)), await basic(instance, 'alice', 'new'), await basic(instance, 'carol', 'guess')];
      expect(answers.map((r) => r.status)).toEqual([503, 200, 401]);
      for (const { ms } of answers) expect(ms).toBeLessThan(1_000);
    }
    // Counting falls back to each instance's memory: A blocks eve after 3 failures, B does not know.
    for (let i = 0; i < 3; i++) expect((await basic(A, 'eve', 'guess')).status).toBe(401);
    expect((await basic(A, 'eve', 'guess')).status).toBe(429);
    expect((await basic(B, 'eve', 'guess')).status).toBe(401);

    await server.restart();
    // Digest is answered again on every instance.
    for (const [i, instance] of instances.entries()) {
      await until(async () => (await digest(instance, digestHeader(challenges[i], 2))).status === 200, `Digest on ${instance.name} to recover`, 15_000);
    }
    // Each instance cleared its cache when its subscriber reconnected: alice is verified again.
    for (const [i, instance] of instances.entries()) {
      await until(async () => (await basic(instance, 'alice', 'new')).status === 200 && (await verifyCalls(instance, 'alice')) > callsBefore[i], `${instance.name} to clear its cache`, 15_000);
      await cache(instance, 'alice', 'new');
    }
    // And clears travel again, this time from B.
    for (const instance of [A, C]) await setPassword(instance, 'alice', 'newer', false);
    expect(await setPassword(B, 'alice', 'newer', true)).toEqual({ published: true });
    for (const instance of instances) expect((await basic(instance, 'alice', 'new')).status).toBe(401);
  }, 40_000);
});
