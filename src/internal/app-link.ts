import type { UsernameFilter } from './credential-cache';
import type { AuthLogger } from './log';

/**
 * What a helper used inside hooks (`htpasswd()`, `htdigest()`) may use of the app whose hook
 * called it: that app's logger, and its credential caches. It travels on the `HookRequest` the
 * hook passes on, so a module-level password file shared by several apps reaches each of them,
 * and nothing global is needed.
 */
export interface AppLink {
  /** The `logger` given to `createAuthCheckers` (`console` by default). */
  readonly logger: AuthLogger;
  /** Forgets the cached credentials of these users in the app's classes, in this process only. */
  clearCache(which: UsernameFilter): void;
}

/** A symbol, not a field: hooks see a plain, frozen request, and JSON/inspection does not show it. */
const APP_LINK = Symbol('http-auth app link');

/** The request as hooks get it, carrying its app's link (not enumerable). */
export function attachAppLink<T extends object>(hookRequest: T, link: AppLink | undefined): T {
  if (link) Object.defineProperty(hookRequest, APP_LINK, { value: link });
  return hookRequest;
}

/** The link of the app whose hook passed this request on; `undefined` for anything else. */
export function appLinkOf(request: unknown): AppLink | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  return (request as { [APP_LINK]?: AppLink })[APP_LINK];
}
