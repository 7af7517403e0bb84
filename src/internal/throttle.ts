import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import { configError } from '../config';

/** `throttle` option of the auth-class decorators. */
export interface ThrottleOptions {
  /** Failed attempts allowed per username and per client address within `window`. */
  failures: number;
  /** Seconds over which failures are counted. */
  window: number;
  /** Seconds a username or address stays blocked once it reached `failures`. */
  block: number;
  /**
   * A Redis client (ioredis or node-redis) shared by every instance behind a load balancer.
   * When Redis cannot be reached, counting falls back to this process's memory: throttling stays
   * on, per instance, and requests are never refused or crashed because of Redis.
   */
  redis?: object;
  /** Key prefix in Redis. @default "httpauth:throttle" */
  keyPrefix?: string;
}

export interface ThrottleConfig {
  readonly failures: number;
  readonly windowSeconds: number;
  readonly blockSeconds: number;
  readonly redis?: object;
  readonly keyPrefix: string;
}

const positiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

export function resolveThrottleOption(value: unknown, where: string): ThrottleConfig | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') configError(where, 'throttle must be { failures, window, block }');
  const { failures, window, block, redis, keyPrefix = 'httpauth:throttle', ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) configError(where, `unknown throttle option "${Object.keys(rest)[0]}" (allowed: failures, window, block, redis, keyPrefix)`);
  if (!positiveInteger(failures)) configError(where, 'throttle.failures must be a positive integer');
  if (!positiveInteger(window)) configError(where, 'throttle.window must be a positive whole number of seconds');
  if (!positiveInteger(block)) configError(where, 'throttle.block must be a positive whole number of seconds');
  if (redis !== undefined && (redis === null || typeof redis !== 'object')) configError(where, 'throttle.redis must be a Redis client (ioredis or node-redis)');
  if (typeof keyPrefix !== 'string' || keyPrefix === '') configError(where, 'throttle.keyPrefix must be a non-empty string');
  return Object.freeze({ failures, windowSeconds: window, blockSeconds: block, redis: redis as object | undefined, keyPrefix });
}

const isRateLimiterRes = (value: unknown): value is RateLimiterRes =>
  typeof value === 'object' && value !== null && 'consumedPoints' in value;

/**
 * Counts failed logins per username and per client address and blocks either once it reaches
 * the limit. One instance per bound auth class, so two apps never share counts unless they share
 * a Redis.
 */
export class Throttle {
  readonly #limiter: RateLimiterAbstract;
  readonly #config: ThrottleConfig;

  constructor(config: ThrottleConfig) {
    this.#config = config;
    const limits = { points: config.failures, duration: config.windowSeconds, keyPrefix: config.keyPrefix };
    this.#limiter = config.redis
      ? new RateLimiterRedis({ ...limits, storeClient: config.redis, insuranceLimiter: new RateLimiterMemory(limits) })
      : new RateLimiterMemory(limits);
  }

  /** Milliseconds until the username or the address may try again; 0 when neither is blocked. */
  async blockedFor(username: string | undefined, address: string | undefined): Promise<number> {
    const keys = this.#keys(username, address);
    const states = await Promise.all(keys.map((key) => this.#limiter.get(key)));
    let wait = 0;
    for (const state of states) {
      if (state && state.consumedPoints > this.#config.failures) wait = Math.max(wait, state.msBeforeNext);
    }
    return wait;
  }

  async failed(username: string | undefined, address: string | undefined): Promise<void> {
    await Promise.all(
      this.#keys(username, address).map(async (key) => {
        const state = await this.#limiter.consume(key).catch((rejection: unknown) => {
          if (isRateLimiterRes(rejection)) return rejection;
          throw rejection;
        });
        // The limit is reached on the failure that uses the last allowed attempt.
        if (state.consumedPoints >= this.#config.failures) await this.#limiter.block(key, this.#config.blockSeconds);
      }),
    );
  }

  async succeeded(username: string | undefined): Promise<void> {
    if (username !== undefined) await this.#limiter.delete(`u:${username}`);
  }

  #keys(username: string | undefined, address: string | undefined): string[] {
    const keys: string[] = [];
    if (username !== undefined && username !== '') keys.push(`u:${username}`);
    if (address) keys.push(`a:${address}`);
    return keys;
  }
}
