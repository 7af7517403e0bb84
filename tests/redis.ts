import { spawnSync } from 'node:child_process';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// Decided once, synchronously, so suites can choose describe or describe.skip at load time.
function redisReachable(): boolean {
  const { hostname, port } = new URL(REDIS_URL);
  const probe = `const s=require('net').connect(${Number(port) || 6379},${JSON.stringify(hostname || '127.0.0.1')});` +
    `s.setTimeout(1000,()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

/**
 * `describe` for suites that need a real Redis. Without one they are skipped on a developer's
 * machine (npm test stays green with only Node), but never in CI, where a missing Redis must fail.
 */
const redisAvailable = redisReachable() || Boolean(process.env.CI);
export const describeWithRedis: jest.Describe = redisAvailable ? describe : describe.skip;
export const itWithRedis: jest.It = redisAvailable ? it : it.skip;
