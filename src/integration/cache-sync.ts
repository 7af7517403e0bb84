import { createCacheBus, type CacheBus } from '../internal/cache-bus';
import type { CacheConfig, UsernameFilter } from '../internal/credential-cache';
import { DEFAULT_REDIS_TIMEOUT_MS } from '../internal/deadline';
import type { LimitedLog } from '../internal/log';
import { tokenDigest } from '../schemes/introspection';
import type { Member } from './plans';

/** `clearCache` and `close` of one app's checkers. */
export interface CacheSync {
  clear(which?: UsernameFilter): Promise<void>;
  close(): Promise<void>;
}

const DONE = Promise.resolve();

/**
 * One cache bus per member whose `cache` has `redis`, set up with the checkers (not on first
 * use): an instance that has served nothing yet must still pass a clear on, and receive them.
 * A message for a member not bound yet finds no cache to clear, and none is needed.
 */
export function createCacheSync(members: readonly Member[], log: LimitedLog): CacheSync {
  const buses: { bus: CacheBus; message: (which: string) => string | undefined }[] = [];
  // With an @IntrospectionAuth class, a string given to clearCache may be a token: it must never
  // reach Redis. That class publishes the token's digest; the others forget every user instead
  // of naming it (clearing more is always safe).
  const mayBeToken = members.some((member) => member.meta.kind === 'introspection');
  for (const member of members) {
    const cache = (member.meta.config as { cache?: Pick<CacheConfig, 'redis' | 'keyPrefix'> }).cache;
    if (!cache?.redis) continue;
    const introspection = member.meta.kind === 'introspection';
    const bus = createCacheBus({
      redis: cache.redis,
      keyPrefix: cache.keyPrefix ?? `httpauth:cache:${member.meta.name}`,
      timeoutMs: DEFAULT_REDIS_TIMEOUT_MS,
      name: member.meta.name,
      log,
      clear: (user) => {
        const authenticator = member.bound?.authenticator;
        if (authenticator?.clearPublished) authenticator.clearPublished(user);
        else authenticator?.clearCache?.(user);
      },
    });
    buses.push({ bus, message: (which) => (introspection ? tokenDigest(which) : mayBeToken ? undefined : which) });
  }

  return {
    clear(which) {
      for (const member of members) member.bound?.authenticator.clearCache?.(which);
      if (buses.length === 0) return DONE;
      // A predicate cannot be sent: the other instances forget every user.
      const published = Promise.all(buses.map(({ bus, message }) => bus.publish(typeof which === 'string' ? message(which) : undefined))).then(() => undefined);
      // A caller that does not await must not get an unhandled rejection; the failure is logged.
      published.catch(() => {});
      return published;
    },
    async close() {
      await Promise.all(buses.map(({ bus }) => bus.close()));
    },
  };
}
