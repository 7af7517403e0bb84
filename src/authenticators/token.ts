import { assertPlainOptions, configError, resolveRealm, resolveScheme } from '../config';
import { CredentialCache, resolveCacheOption, type CacheConfig, type CacheOptions } from '../internal/credential-cache';
import { resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from '../internal/throttle';
import { isToken } from '../internal/auth-params';
import { tokenChallenge, type BearerError } from '../schemes/token';
import { isAccepted, type Authenticator, type Outcome, type RequestView } from './authenticator';
import { readAuthorization } from './basic';

/** Options of `@TokenAuth(...)`. */
export interface TokenAuthOptions {
  /** The scheme word read from `Authorization` and sent in the challenge. @default "Bearer" */
  scheme?: string;
  /** @default "Authentication Required" */
  realm?: string;
  /**
   * Read the whole value of this header as the token (e.g. `'X-API-Key'`) instead of
   * `Authorization: <scheme> <token>`; `Authorization` is then ignored. The challenge still
   * names `scheme`.
   */
  header?: string;
  /** Remember verified tokens for `ttl` seconds (only a keyed hash of each token is kept). */
  cache?: CacheOptions;
  /** Block a client address after too many rejected tokens (429 + Retry-After). */
  throttle?: ThrottleOptions;
}

export interface TokenConfig {
  readonly scheme: string;
  readonly realm: string;
  /** Lower-case header name, when the token comes from a custom header. */
  readonly header?: string;
  readonly cache?: CacheConfig;
  readonly throttle?: ThrottleConfig;
}

export function resolveTokenOptions(options: TokenAuthOptions | undefined, where: string): TokenConfig {
  const o = assertPlainOptions(options, ['scheme', 'realm', 'header', 'cache', 'throttle'], where);
  const scheme = resolveScheme(o.scheme, 'Bearer', where);
  const realm = resolveRealm(o.realm, where);
  let header: string | undefined;
  if (o.header !== undefined) {
    if (typeof o.header !== 'string' || !isToken(o.header)) configError(where, 'header must be a header name such as "X-API-Key"');
    header = o.header.toLowerCase();
    if (header === 'authorization') configError(where, 'to read Authorization, leave out "header" and set "scheme"');
  }
  return Object.freeze({
    scheme,
    realm,
    ...(header ? { header } : {}),
    cache: resolveCacheOption(o.cache, where),
    throttle: resolveThrottleOption(o.throttle, where),
  });
}

export function createTokenAuthenticator(config: TokenConfig, verifyToken: (token: string) => unknown): Authenticator {
  const { scheme, realm, header } = config;
  const cache = config.cache && new CredentialCache(config.cache);
  const challenges = new Map<BearerError | undefined, string[]>(
    ([undefined, 'invalid_request', 'invalid_token', 'insufficient_scope'] as const).map((e) => [e, [tokenChallenge(scheme, realm, e)]]),
  );

  /** `undefined` when nothing was sent, `null` when what was sent is malformed. */
  const readToken = (request: RequestView): string | null | undefined => {
    if (header) {
      const value = request.header(header)?.trim();
      return value ? value : undefined;
    }
    const sent = readAuthorization(request, scheme);
    if (!sent.present) return undefined;
    return sent.malformed || sent.rest === '' ? null : sent.rest;
  };

  return {
    presents: (request) => readToken(request) !== undefined,

    async authenticate(request): Promise<Outcome> {
      const token = readToken(request);
      // RFC 6750 §3.1: a malformed request is invalid_request, answered with 400.
      if (token === null) return { kind: 'rejected', refusal: { status: scheme.toLowerCase() === 'bearer' ? 400 : 401, bearerError: 'invalid_request' } };
      const check = () => verifyToken(token ?? '');
      const verified = cache && token !== undefined ? await cache.verify(cache.keyFor('', token), check, isAccepted) : await check();
      if (!isAccepted(verified)) {
        return token === undefined ? { kind: 'anonymous' } : { kind: 'rejected', refusal: { status: 401, bearerError: 'invalid_token' } };
      }
      return { kind: 'authenticated', verified, credentials: token === undefined ? undefined : { scheme, token } };
    },

    challenges: (refusal) => {
      // A 401 for a request that sent nothing carries no error code (RFC 6750 §3.1).
      const error = refusal.status === 403 ? 'insufficient_scope' : refusal.bearerError;
      return challenges.get(error) ?? [];
    },
    knownGood(request) {
      const token = cache && readToken(request);
      return typeof token === 'string' && cache!.has(cache!.keyFor('', token));
    },
    // Cached tokens carry no username, so forgetting a user's credentials forgets every token:
    // the token that user held cannot be told apart from the others.
    clearCache: () => cache?.clear(),
  };
}
