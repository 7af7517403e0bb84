import { assertPlainOptions, resolveCharset, resolveHookTimeout, resolveKeepProxyAuthorization, resolveOpenApiName, resolveProxy, resolveRealm, resolveScheme } from '../config';
import { cacheScope, CredentialCache, resolveCacheOption, type CacheConfig, type CacheOptions } from '../internal/credential-cache';
import { resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from '../internal/throttle';
import { runSteps, type Steps } from '../internal/steps';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import { basicChallenge, parseBasicCredentials, type BasicCredentials } from '../schemes/basic';
import { sameScheme, splitAuthorization } from '../schemes/authorization';
import type { Awaitable, HookRequest } from '../types';
import { ANONYMOUS_OUTCOME, BAD_CREDENTIALS, isAccepted, MALFORMED_CREDENTIALS, wantsRequest, type Authenticator, type Outcome, type RequestView } from './authenticator';

/**
 * Options of `@BasicAuth(...)`; all optional.
 * @example
 * ```ts
 * @BasicAuth({ realm: 'Users', charset: 'UTF-8', cache: { ttl: 300 }, throttle: { failures: 10, window: 60, block: 300 } })
 * class UserAuth { @VerifyPassword() verify(username: string, password: string) { return users.check(username, password); } }
 * ```
 */
export interface BasicAuthOptions {
  /** The realm named in the challenge (browsers show it in the login dialog). @default "Authentication Required" */
  realm?: string;
  /** The scheme word, matched case-insensitively; e.g. `'CustomBasic'`. @default "Basic" */
  scheme?: string;
  /** Adds `charset="UTF-8"` to the challenge (RFC 7617 §2.1). Credentials are read as UTF-8 either way. */
  charset?: 'UTF-8';
  /** Remember verified credentials for `ttl` seconds, so a slow password hash runs once per ttl. */
  cache?: CacheOptions;
  /** Block a username or client address after too many failed attempts (429 + Retry-After). */
  throttle?: ThrottleOptions;
  /** The name of this class's security scheme in OpenAPI documents. @default the class name */
  openApiName?: string;
  /** Proxy authentication: read `Proxy-Authorization`, answer 407 with `Proxy-Authenticate`. @default false */
  proxy?: boolean;
  /**
   * With `proxy`: leave `Proxy-Authorization` on the request after a successful authentication.
   * By default it is removed before the handler runs, so a handler that forwards the request's
   * headers does not pass the client's proxy credentials on. @default false
   */
  keepProxyAuthorization?: boolean;
  /**
   * Milliseconds any hook of this class (verify, password, roles, nonce, error handler) may take to
   * settle; one that takes longer answers 503 and gives back its throttle slot. @default 10000
   */
  hookTimeout?: number;
}

export interface BasicConfig {
  readonly realm: string;
  readonly scheme: string;
  readonly challenge: string;
  readonly cache?: CacheConfig;
  readonly throttle?: ThrottleConfig;
  readonly openApiName?: string;
  readonly proxy: boolean;
  readonly keepProxyAuthorization: boolean;
  readonly hookTimeout: number;
}

export function resolveBasicOptions(options: BasicAuthOptions | undefined, where: string): BasicConfig {
  const o = assertPlainOptions(options, ['realm', 'scheme', 'charset', 'cache', 'throttle', 'openApiName', 'proxy', 'keepProxyAuthorization', 'hookTimeout'], where);
  const realm = resolveRealm(o.realm, where);
  const scheme = resolveScheme(o.scheme, 'Basic', where);
  const charset = resolveCharset(o.charset, where, 'RFC 7617 §2.1');
  const proxy = resolveProxy(o.proxy, where);
  return Object.freeze({
    realm,
    scheme,
    challenge: basicChallenge(scheme, realm, charset),
    cache: resolveCacheOption(o.cache, where),
    throttle: resolveThrottleOption(o.throttle, where),
    openApiName: resolveOpenApiName(o.openApiName, where),
    proxy,
    keepProxyAuthorization: resolveKeepProxyAuthorization(o.keepProxyAuthorization, proxy, where),
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
  });
}

export interface BasicHooks {
  readonly verifyPassword?: (username: string, password: string, request?: HookRequest) => unknown;
  readonly getPassword?: (username: string, request?: HookRequest) => Awaitable<string | null | undefined>;
  /** Called as `(password)` or `(username, password)` depending on `arity`. */
  readonly hashPassword?: { readonly fn: (...args: string[]) => Awaitable<string | null | undefined>; readonly arity: number };
}

/** The header credentials are read from: a proxy's own, or the origin server's. */
export const credentialsHeader = (proxy: boolean | undefined): string => (proxy ? 'proxy-authorization' : 'authorization');

/** What a request carries for a scheme read from `Authorization` (or `Proxy-Authorization`). */
export type SchemeCredentials = { present: false } | { present: true; malformed: boolean; rest: string };

/**
 * Reads `Authorization` for one scheme. A missing, blank or foreign-scheme header is "nothing
 * sent" (Flask-HTTPAuth then still calls the verify hook with empty strings); a value that is not
 * even `scheme [SP ...]` counts as malformed credentials. With `proxy`, `Authorization` is not
 * read at all: it is meant for the origin server behind the proxy.
 */
export function readAuthorization(request: RequestView, scheme: string, proxy = false): SchemeCredentials {
  const header = request.header(credentialsHeader(proxy));
  if (header === undefined || header.trim() === '') return { present: false };
  const split = splitAuthorization(header);
  if (!split) return { present: true, malformed: true, rest: '' };
  if (!sameScheme(split.scheme, scheme)) return { present: false };
  return { present: true, malformed: false, rest: split.rest };
}

export function createBasicAuthenticator(config: BasicConfig, hooks: BasicHooks): Authenticator {
  const { scheme, proxy } = config;
  const cache = config.cache && new CredentialCache(config.cache);

  const parse = (request: RequestView): BasicCredentials | undefined | null => {
    const sent = readAuthorization(request, scheme, proxy);
    if (!sent.present) return null;
    return sent.malformed ? undefined : parseBasicCredentials(sent.rest);
  };

  const verifyWantsRequest = wantsRequest(hooks.verifyPassword, 2);
  const getWantsRequest = wantsRequest(hooks.getPassword, 1);
  const verifyPassword = (username: string, password: string, request: RequestView): unknown =>
    verifyWantsRequest ? hooks.verifyPassword!(username, password, request.hookRequest()) : hooks.verifyPassword!(username, password);
  const keyFor = (request: RequestView, { username, password }: BasicCredentials): string =>
    cache!.keyFor(username, password, cacheScope(config.cache!, () => request.hookRequest()));

  function* checkStoredPassword(username: string, password: string, request: RequestView): Steps<boolean> {
    const { getPassword, hashPassword } = hooks;
    if (!getPassword) return false;
    const stored = yield getWantsRequest ? getPassword(username, request.hookRequest()) : getPassword(username);
    const offered = hashPassword ? yield hashPassword.arity >= 2 ? hashPassword.fn(username, password) : hashPassword.fn(password) : password;
    // Compare even when the user is unknown, so both cases take the same path and time.
    const same = timingSafeEqual(typeof offered === 'string' ? offered : '', typeof stored === 'string' ? stored : '');
    return same && typeof stored === 'string' && typeof offered === 'string';
  }

  /** What the hooks answer for these credentials: the user, `true`, or a refusal (`null`, `false`…). */
  function* check(username: string, password: string, request: RequestView): Steps<unknown> {
    if (hooks.verifyPassword) return yield verifyPassword(username, password, request);
    return (yield* checkStoredPassword(username, password, request)) && username;
  }

  function* authentication(request: RequestView): Steps<Outcome> {
    const parsed = parse(request);
    if (parsed === null) {
      if (!hooks.verifyPassword) return ANONYMOUS_OUTCOME;
      const verified = yield verifyPassword('', '', request);
      return isAccepted(verified) ? { kind: 'authenticated', verified, credentials: undefined } : ANONYMOUS_OUTCOME;
    }
    if (!parsed) return MALFORMED_CREDENTIALS;
    const { username, password } = parsed;
    let verified: unknown;
    if (cache) {
      const key = keyFor(request, parsed);
      const hit = cache.hit(key);
      verified = hit ? hit.verified : yield cache.verify(key, () => runSteps(check(username, password, request)), isAccepted);
    } else {
      verified = yield* check(username, password, request);
    }
    if (!isAccepted(verified)) return BAD_CREDENTIALS;
    return { kind: 'authenticated', verified, credentials: { scheme, username } };
  }

  return {
    scheme,
    proxy,
    presents: (request) => readAuthorization(request, scheme, proxy).present,
    authenticate: authentication,
    challenges: () => [config.challenge],
    claimedUsername: (request) => parse(request)?.username,
    auditUsername: (request) => parse(request)?.username,
    knownGood(request) {
      if (!cache) return false;
      const parsed = parse(request);
      return Boolean(parsed) && cache.has(keyFor(request, parsed!));
    },
    clearCache: (which) => cache?.clear(which),
  };
}
