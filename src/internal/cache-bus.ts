import { withDeadline } from './deadline';
import type { LimitedLog } from './log';
import { commandsOf, subscribe, type PubSubRedis } from './redis-pubsub';

/**
 * What one instance tells the others through Redis: forget `user`'s cached credentials, or
 * everyone's when `user` is absent. `generation` is the value the counter reached when the
 * message was sent, so a receiver that sees a number skipped knows it missed a message.
 */
interface ClearMessage {
  readonly generation: number;
  readonly user?: string;
}

function parseMessage(text: string): ClearMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { generation, user } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(generation) || (generation as number) < 1) return undefined;
  if (user !== undefined && typeof user !== 'string') return undefined;
  return { generation: generation as number, ...(user === undefined ? {} : { user }) };
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export interface CacheBusOptions {
  readonly redis: PubSubRedis;
  /** `<keyPrefix>:clear` is the channel, `<keyPrefix>:generation` the counter. */
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  /** The auth class, for log lines. */
  readonly name: string;
  /** Forgets this instance's cached credentials of `user`, or all of them. */
  clear(user?: string): void;
  readonly log: LimitedLog;
}

/** Cache invalidation shared by every instance of an auth class that uses the same Redis. */
export interface CacheBus {
  /** Tells every instance (this one included) to forget `user`, or everyone; resolves once Redis took it. */
  publish(user: string | undefined): Promise<void>;
  /** Ends the subscriber connection. */
  close(): Promise<void>;
}

/**
 * Each clear increments a counter in Redis and publishes the new value with the username. A
 * receiver forgets that user; when it sees a generation skipped, or when its subscription is set
 * up again after a disconnection, it cannot know what it missed and forgets everyone. Clearing
 * more than asked is always safe; serving a changed password is not. Between a lost message and
 * the reconnection the cache still answers, for at most its `ttl`.
 */
export function createCacheBus(options: CacheBusOptions): CacheBus {
  const { redis, timeoutMs, name, log } = options;
  const channel = `${options.keyPrefix}:clear`;
  const counter = `${options.keyPrefix}:generation`;
  const commands = commandsOf(redis);
  const logFailure = (what: string, error: unknown) =>
    log.error(`cache-redis:${name}`, `http-auth: ${name}: cache: Redis ${what} failed (${errorMessage(error)}); cached credentials are cleared on the other instances when they reconnect, or expire with the ttl`);

  /** The highest generation seen since the subscription was last set up; undefined while unknown. */
  let last: number | undefined;
  let closed = false;

  const receive = (text: string): void => {
    const message = parseMessage(text);
    if (!message) {
      options.clear();
      log.warn(`cache-message:${name}`, `http-auth: ${name}: cache: an unreadable message on ${channel}; cleared the whole cache`);
      return;
    }
    const { generation, user } = message;
    // Two instances clearing at once may publish out of order: an older generation still clears.
    if (last !== undefined && generation > last + 1) options.clear();
    else options.clear(user);
    if (last === undefined || generation > last) last = generation;
  };

  const resync = async (): Promise<void> => {
    // Whatever was published while this instance was not subscribed is lost.
    last = undefined;
    options.clear();
    try {
      const current = Number(await withDeadline(commands.get(counter), timeoutMs, 'Redis (cache GET generation)'));
      const known = Number.isSafeInteger(current) ? current : 0;
      // Messages that arrived meanwhile may be newer than what GET read.
      last = last === undefined ? known : Math.max(last, known);
    } catch (error) {
      // The next message sets `last` instead; nothing was missed since the clear above.
      logFailure('GET', error);
    }
  };

  const subscription = subscribe(redis, channel, timeoutMs, {
    message: (text) => {
      if (!closed) receive(text);
    },
    subscribed: () => {
      if (!closed) void resync();
    },
    error: (error) => log.error(`cache-subscriber:${name}`, `http-auth: ${name}: cache: the Redis subscriber failed (${errorMessage(error)}); this instance clears its cache when it reconnects`),
  });

  return {
    publish(user) {
      const work = (async () => {
        const generation = await commands.incr(counter);
        const message: ClearMessage = user === undefined ? { generation: Number(generation) } : { generation: Number(generation), user };
        await commands.publish(channel, JSON.stringify(message));
      })();
      return withDeadline(work, timeoutMs, 'Redis (cache INCR + PUBLISH)').catch((error: unknown) => {
        logFailure('INCR + PUBLISH', error);
        throw error;
      });
    },
    async close() {
      closed = true;
      await subscription.close();
    },
  };
}
