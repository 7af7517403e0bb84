import { configError } from '../config';
import { withDeadline } from './deadline';

/**
 * The two Redis clients the cache accepts, told apart by what they have: node-redis (v4, v5) has
 * `connect()` and `isOpen` / `isReady` flags; ioredis has a `status` string. Both have
 * `duplicate()`, which gives the subscriber its own connection with the caller's settings.
 */
export type RedisClientKind = 'ioredis' | 'node-redis';

/** A validated `cache.redis`: the caller's client, used for INCR, GET and PUBLISH and duplicated to subscribe. */
export interface PubSubRedis {
  readonly kind: RedisClientKind;
  readonly client: object;
}

type Fn = (...args: unknown[]) => unknown;
type Loose = Record<string, unknown>;

const REQUIRED = ['duplicate', 'incr', 'get', 'publish', 'subscribe', 'on'] as const;

/** A node-redis (v4+) client or cluster, whose commands take options objects rather than ioredis's word lists. */
export function isNodeRedis(client: object): boolean {
  return typeof (client as Loose).connect === 'function' && typeof (client as Loose).isOpen === 'boolean';
}

function kindOf(client: Loose): RedisClientKind | 'node-redis-cluster' | undefined {
  if (!REQUIRED.every((name) => typeof client[name] === 'function')) return undefined;
  if (isNodeRedis(client)) {
    // A node-redis cluster has no isReady, and no 'ready' event to subscribe again on.
    return typeof client.isReady === 'boolean' ? 'node-redis' : 'node-redis-cluster';
  }
  if (typeof client.status === 'string') return 'ioredis';
  return undefined;
}

/** Checks `cache.redis` once, at decoration time. */
export function resolvePubSubRedis(value: unknown, where: string): PubSubRedis {
  const kind = value !== null && typeof value === 'object' ? kindOf(value as Loose) : undefined;
  if (kind === 'node-redis-cluster') {
    configError(where, 'cache.redis cannot be a node-redis cluster (createCluster); pass a createClient() client, or an ioredis client');
  }
  if (!kind) {
    configError(
      where,
      'cache.redis must be an ioredis or node-redis (v4/v5) client: it needs duplicate(), incr(), get(), publish() and subscribe(); pass e.g. new Redis(url) or createClient({ url })',
    );
  }
  return Object.freeze({ kind, client: value as object });
}

/** The three commands the cache sends through the caller's own client. */
export interface CacheCommands {
  incr(key: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
}

export function commandsOf({ client }: PubSubRedis): CacheCommands {
  // Both clients name these commands alike and take the same arguments.
  const call = (name: string, ...args: string[]) => (client as Record<string, Fn>)[name](...args) as Promise<unknown>;
  return {
    incr: (key) => call('incr', key),
    get: (key) => call('get', key),
    publish: (channel, message) => call('publish', channel, message),
  };
}

/** What a subscription reports. */
export interface SubscriptionEvents {
  message(text: string): void;
  /**
   * The subscription is in place, after the first connection and after every reconnection:
   * messages published from now on arrive, those published while it was not may have been lost.
   */
  subscribed(): void;
  error(error: unknown): void;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * Subscribes to `channel` on a duplicate of the caller's client. The duplicate reconnects with the
 * caller's settings; after each connection the channel is subscribed again (a no-op when the client
 * already did it) and `subscribed` is reported once Redis confirmed. Nothing here ever rejects or
 * throws into the caller: failures go to `error`.
 */
export function subscribe(redis: PubSubRedis, channel: string, timeoutMs: number, events: SubscriptionEvents): Subscription {
  const sub = (redis.client as { duplicate(): Loose }).duplicate();
  const method = (name: string) => (sub[name] as Fn).bind(sub);
  let closed = false;
  const report = (error: unknown) => {
    if (!closed) events.error(error);
  };
  method('on')('error', report);

  let confirm: () => Promise<unknown>;
  if (redis.kind === 'ioredis') {
    method('on')('message', (from: unknown, text: unknown) => {
      if (from === channel && typeof text === 'string') events.message(text);
    });
    confirm = () => method('subscribe')(channel) as Promise<unknown>;
  } else {
    const listener = (text: unknown) => {
      if (typeof text === 'string') events.message(text);
    };
    confirm = async () => method('subscribe')(channel, listener);
  }

  // ioredis reports ready before it subscribes again; node-redis after. Asking on every ready
  // covers both, and a subscription that arrives late still counts when it arrives.
  method('on')('ready', () => {
    if (closed) return;
    const confirmed = Promise.resolve().then(confirm);
    confirmed.then(() => {
      if (!closed) events.subscribed();
    }, () => {});
    withDeadline(confirmed, timeoutMs, 'Redis (cache SUBSCRIBE)').catch(report);
  });

  // node-redis duplicates wait for connect(); an ioredis one made with lazyConnect does too.
  if (redis.kind === 'node-redis' || sub.status === 'wait') {
    Promise.resolve()
      .then(() => (closed ? undefined : method('connect')()))
      .catch(report);
  }

  return {
    async close() {
      if (closed) return;
      closed = true;
      // Ends the connection without waiting for Redis, and its reconnection attempts: ioredis
      // disconnect(), node-redis v5 destroy() (v4: disconnect()).
      if (redis.kind === 'ioredis') {
        // Its socket closes on a later turn; resolve once it did ('end'), or after the deadline.
        const ended = sub.status === 'end' ? undefined : new Promise((resolve) => method('once')('end', resolve));
        method('disconnect')();
        if (ended) await withDeadline(ended, timeoutMs, 'Redis (cache subscriber close)').catch(() => {});
        return;
      }
      if (sub.isOpen !== true) return;
      try {
        await Promise.resolve(method(typeof sub.destroy === 'function' ? 'destroy' : 'disconnect')()).catch(() => {});
      } catch {
        // Already closed by its own failure: nothing left to end.
      }
    },
  };
}
