import { assertPlainOptions, configError, resolveHookTimeout, resolveKeepProxyAuthorization, resolveOpenApiName, resolveProxy, resolveRealm, resolveScheme } from '../config';
import { cacheScope, CredentialCache, resolveCacheOption, type CacheConfig, type CacheOptions } from '../internal/credential-cache';
import { resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from '../internal/throttle';
import { isToken } from '../internal/auth-params';
import type { Steps } from '../internal/steps';
import { tokenChallenge, type BearerError } from '../schemes/token';
import { ANONYMOUS_OUTCOME, isAccepted, refusalOutcome, wantsRequest, type Authenticator, type Outcome, type RequestView } from './authenticator';
import { createTokenReader, CROSS_SITE, resolveCookie, type TokenCookieConfig, type TokenCookieOptions } from './token-reader';
import type { HookRequest } from '../types';

export type { TokenCookieOptions } from './token-reader';

/**
 * Options of `@TokenAuth(...)`; all optional: by default the token is read from
 * `Authorization: Bearer <token>`.
 * @example
 * ```ts
 * @TokenAuth({ scheme: 'Bearer', query: 'access_token', cache: { ttl: 60 } })
 * class BearerAuth { @VerifyToken() verify(token: string) { return tokens.get(token) ?? null; } }
 * ```
 */
export interface TokenAuthOptions {
  /** The scheme word read from `Authorization` and sent in the challenge. @default "Bearer" */
  scheme?: string;
  /** The realm named in the challenge. @default "Authentication Required" */
  realm?: string;
  /**
   * Read the whole value of this header as the token (e.g. `'X-API-Key'`) instead of
   * `Authorization: <scheme> <token>`; `Authorization` is then ignored. The challenge still
   * names `scheme`.
   */
  header?: string;
  /**
   * Also accept the token from this query parameter, e.g. `'access_token'` (RFC 6750 §2.3) — for
   * clients that cannot set headers. Off by default: URLs end up in logs, histories and Referer
   * headers. A response to such a request gets `Cache-Control: private`. A header, when present,
   * takes precedence.
   */
  query?: string;
  /**
   * Also accept the token from this cookie (browser apps): its name, e.g. `'session'`, or
   * `{ name, allowedOrigins, crossSite }`. A browser attaches a cookie to requests other sites
   * make, so a cookie token is refused (403) for unsafe methods (anything but GET, HEAD, OPTIONS,
   * TRACE) and for Socket.IO handshakes unless the request comes from the server's own origin
   * (`Sec-Fetch-Site: same-origin` or `none`, else an `Origin` naming the `Host`) or from one of
   * `allowedOrigins`. A request with neither `Sec-Fetch-Site` nor `Origin` is not a browser's and
   * is accepted. A header or the query parameter, when present, takes precedence.
   */
  cookie?: string | TokenCookieOptions;
  /** Remember verified tokens for `ttl` seconds (only a keyed hash of each token is kept). */
  cache?: CacheOptions;
  /** Block a client address after too many rejected tokens (429 + Retry-After). */
  throttle?: ThrottleOptions;
  /** The name of this class's security scheme in OpenAPI documents. @default the class name */
  openApiName?: string;
  /** OpenAPI `bearerFormat` of a Bearer scheme, a hint for documentation only, e.g. `'JWT'`. */
  bearerFormat?: string;
  /**
   * Proxy authentication: read the token from `Proxy-Authorization: <scheme> <token>` and answer
   * 407 with `Proxy-Authenticate`. Not with `header`, `query` or `cookie`. @default false
   */
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

export interface TokenConfig {
  readonly scheme: string;
  readonly realm: string;
  /** Lower-case header name, when the token comes from a custom header. */
  readonly header?: string;
  /** That header's name as configured, for documents and `Vary`. */
  readonly headerName?: string;
  readonly query?: string;
  readonly cookie?: TokenCookieConfig;
  readonly cache?: CacheConfig;
  readonly throttle?: ThrottleConfig;
  readonly openApiName?: string;
  readonly bearerFormat?: string;
  readonly proxy: boolean;
  readonly keepProxyAuthorization: boolean;
  readonly hookTimeout: number;
}

export function resolveTokenOptions(options: TokenAuthOptions | undefined, where: string): TokenConfig {
  const o = assertPlainOptions(options, ['scheme', 'realm', 'header', 'query', 'cookie', 'cache', 'throttle', 'openApiName', 'bearerFormat', 'proxy', 'keepProxyAuthorization', 'hookTimeout'], where);
  const scheme = resolveScheme(o.scheme, 'Bearer', where);
  const realm = resolveRealm(o.realm, where);
  let header: string | undefined;
  if (o.header !== undefined) {
    if (typeof o.header !== 'string' || !isToken(o.header)) configError(where, 'header must be a header name such as "X-API-Key"');
    header = o.header.toLowerCase();
    if (header === 'authorization') configError(where, 'to read Authorization, leave out "header" and set "scheme"');
  }
  if (o.query !== undefined && (typeof o.query !== 'string' || o.query === '')) configError(where, 'query must name a query parameter, e.g. "access_token"');
  const cookie = o.cookie === undefined ? undefined : resolveCookie(o.cookie, where);
  const proxy = resolveProxy(o.proxy, where);
  // A proxy's credentials are hop-by-hop, in Proxy-Authorization: a custom header, the URL or a
  // cookie would be the origin server's to read.
  const other = proxy && (['header', 'query', 'cookie'] as const).find((name) => o[name] !== undefined);
  if (other) configError(where, `proxy reads the token from Proxy-Authorization only; remove "${other}" (or proxy)`);
  return Object.freeze({
    scheme,
    realm,
    ...(header ? { header, headerName: o.header as string } : {}),
    ...(o.query !== undefined ? { query: o.query as string } : {}),
    ...(cookie ? { cookie } : {}),
    cache: resolveCacheOption(o.cache, where),
    throttle: resolveThrottleOption(o.throttle, where),
    openApiName: resolveOpenApiName(o.openApiName, where),
    bearerFormat: resolveBearerFormat(o.bearerFormat, scheme, header, where),
    proxy,
    keepProxyAuthorization: resolveKeepProxyAuthorization(o.keepProxyAuthorization, proxy, where),
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
  });
}

function resolveBearerFormat(value: unknown, scheme: string, header: string | undefined, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') configError(where, 'bearerFormat must be a non-empty string such as "JWT"');
  if (header !== undefined || scheme.toLowerCase() !== 'bearer') configError(where, 'bearerFormat documents a Bearer scheme; remove it (or the header/scheme option)');
  return value;
}

const INVALID_TOKEN = refusalOutcome({ status: 401, bearerError: 'invalid_token' });

export function createTokenAuthenticator(config: TokenConfig, verifyToken: (token: string, request?: HookRequest) => unknown): Authenticator {
  const { scheme, realm } = config;
  const cache = config.cache && new CredentialCache(config.cache);
  const verifyWantsRequest = wantsRequest(verifyToken, 1);
  const keyFor = (request: RequestView, token: string): string => cache!.keyFor('', token, cacheScope(config.cache!, () => request.hookRequest()));
  const challenges = new Map<BearerError | undefined, string[]>(
    ([undefined, 'invalid_request', 'invalid_token', 'insufficient_scope'] as const).map((e) => [e, [tokenChallenge(scheme, realm, e)]]),
  );
  const reader = createTokenReader(config);
  const readToken = reader.read;

  const verify = (token: string, request: RequestView): unknown => (verifyWantsRequest ? verifyToken(token, request.hookRequest()) : verifyToken(token));
  // RFC 6750 §3.1: a malformed request is invalid_request, answered with 400.
  const MALFORMED = refusalOutcome({ status: scheme.toLowerCase() === 'bearer' ? 400 : 401, bearerError: 'invalid_request', reason: 'malformed' });

  function* authentication(request: RequestView): Steps<Outcome> {
    const sent = readToken(request);
    // Before anything else: another site's request never reaches the hook, the cache or a 400.
    if (sent?.source === 'cookie' && !reader.cookieUsable(request)) return CROSS_SITE;
    const token = sent?.token;
    if (token === null) return MALFORMED;
    let verified: unknown;
    if (cache && token !== undefined) {
      const key = keyFor(request, token);
      const hit = cache.hit(key);
      verified = hit ? hit.verified : yield cache.verify(key, () => verify(token, request), isAccepted);
    } else {
      verified = yield verify(token ?? '', request);
    }
    if (!isAccepted(verified)) return token === undefined ? ANONYMOUS_OUTCOME : INVALID_TOKEN;
    const headers = sent ? reader.headersFor(sent.source) : undefined;
    return { kind: 'authenticated', verified, credentials: token === undefined ? undefined : { scheme, token }, headers };
  }

  return {
    scheme,
    proxy: config.proxy,
    presents: (request) => readToken(request) !== undefined,

    authenticate: authentication,

    challenges: (refusal) => {
      // A 401 for a request that sent nothing carries no error code (RFC 6750 §3.1); nor does a
      // cross-site refusal, which no token would fix.
      const error = refusal.status === 403 && refusal.reason !== 'cross-site' ? 'insufficient_scope' : refusal.bearerError;
      // RFC 6750 §3: a hook's reason travels as error_description.
      if (refusal.failure && error) return [tokenChallenge(scheme, realm, error, refusal.failure.message)];
      return challenges.get(error) ?? [];
    },
    knownGood(request) {
      const token = cache && readToken(request)?.token;
      return typeof token === 'string' && cache!.has(keyFor(request, token));
    },
    // Cached tokens carry no username, so forgetting a user's credentials forgets every token:
    // the token that user held cannot be told apart from the others.
    clearCache: () => cache?.clear(),
  };
}
