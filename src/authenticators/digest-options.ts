import { assertPlainOptions, configError, resolveCharset, resolveHookTimeout, resolveKeepProxyAuthorization, resolveOpenApiName, resolveProxy, resolveRealm, resolveScheme } from '../config';
import { resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from '../internal/throttle';
import { normalizeAlgorithm, DIGEST_ALGORITHMS, type DigestAlgorithm, type DigestQop } from '../schemes/digest';
import type { NonceStore } from '../stores/nonce-store';

/**
 * Options of `@DigestAuth(...)`. Defaults follow Flask-HTTPAuth where it has the option.
 * @example
 * ```ts
 * @DigestAuth({ realm: 'api@example.org', algorithm: ['SHA-256', 'MD5'], secret: process.env.DIGEST_SECRET, store: new RedisNonceStore(redis) })
 * class DigestUsers { @GetPassword() password(username: string) { return passwords.get(username); } }
 * ```
 */
export interface DigestAuthOptions {
  /** The realm named in the challenge and hashed into HA1, so changing it invalidates stored HA1 values. @default "Authentication Required" */
  realm?: string;
  /** The scheme word read from `Authorization` and sent in the challenge. @default "Digest" */
  scheme?: string;
  /** One algorithm or several; several send one challenge each, in this order (strongest first). @default "MD5" */
  algorithm?: DigestAlgorithmName | readonly DigestAlgorithmName[];
  /** `'auth'`, `'auth-int'`, both, or `null` for RFC 2069 clients. @default "auth" */
  qop?: DigestQop | readonly DigestQop[] | null;
  /** `@GetPassword` returns HA1 = H(username:realm:password) for the requested algorithm, not the password. @default false */
  useHa1Password?: boolean;
  /** Offer `userhash=true` (RFC 7616 §3.4.4); needs a `@GetUsernameByHash` method. @default false */
  userhash?: boolean;
  /** Adds `charset=UTF-8` to the challenge. @default false */
  charset?: 'UTF-8';
  /** Seconds a built-in nonce stays valid; a custom `@VerifyNonce` decides for its own nonces. @default 300 */
  nonceLifetime?: number;
  /** Key for nonces and opaque; share it between instances so any of them accepts the others' nonces. @default a random key per app */
  secret?: string | Uint8Array;
  /** Where used nonce counts are remembered (replay protection). @default a bounded in-memory store per app */
  store?: NonceStore;
  /** Block a username or address after too many failed attempts (429 + Retry-After). */
  throttle?: ThrottleOptions;
  /** The name of this class's security scheme in OpenAPI documents. @default the class name */
  openApiName?: string;
  /**
   * Proxy authentication: read `Proxy-Authorization`, answer 407 with `Proxy-Authenticate`, and
   * send `Proxy-Authentication-Info` on success (RFC 7616 §3.5). @default false
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

/**
 * Algorithm names as written in the `algorithm` option: canonical or all lower-case, matched
 * case-insensitively.
 * @example
 * ```ts
 * const algorithm: DigestAlgorithmName[] = ['sha-256', 'MD5'];
 * ```
 */
export type DigestAlgorithmName = DigestAlgorithm | Lowercase<DigestAlgorithm>;

export interface DigestConfig {
  readonly realm: string;
  readonly scheme: string;
  readonly algorithms: readonly DigestAlgorithm[];
  readonly qop: readonly DigestQop[] | null;
  readonly useHa1Password: boolean;
  readonly userhash: boolean;
  readonly charset: boolean;
  readonly nonceLifetime: number;
  readonly secret?: string | Uint8Array;
  readonly store?: NonceStore;
  readonly throttle?: ThrottleConfig;
  readonly openApiName?: string;
  readonly proxy: boolean;
  readonly keepProxyAuthorization: boolean;
  readonly hookTimeout: number;
}

const DIGEST_OPTIONS = ['realm', 'scheme', 'algorithm', 'qop', 'useHa1Password', 'userhash', 'charset', 'nonceLifetime', 'secret', 'store', 'throttle', 'openApiName', 'proxy', 'keepProxyAuthorization', 'hookTimeout'];

export function resolveDigestOptions(options: DigestAuthOptions | undefined, where: string): DigestConfig {
  const o = assertPlainOptions(options, DIGEST_OPTIONS, where);
  const algorithmList = o.algorithm === undefined ? ['MD5'] : Array.isArray(o.algorithm) ? o.algorithm : [o.algorithm];
  if (algorithmList.length === 0) configError(where, 'algorithm must name at least one algorithm');
  const algorithms = algorithmList.map((a: unknown) => {
    const algorithm = typeof a === 'string' ? normalizeAlgorithm(a) : undefined;
    if (!algorithm) configError(where, `algorithm ${String(a)} is not supported (supported: ${DIGEST_ALGORITHMS.join(', ')})`);
    return algorithm;
  });
  if (new Set(algorithms).size !== algorithms.length) configError(where, 'algorithm lists the same algorithm twice');

  let qop: DigestQop[] | null;
  if (o.qop === null) qop = null;
  else {
    const qopList = o.qop === undefined ? ['auth'] : Array.isArray(o.qop) ? o.qop : [o.qop];
    qop = qopList.map((q: unknown) => {
      const value = typeof q === 'string' ? q.toLowerCase() : q;
      if (value !== 'auth' && value !== 'auth-int') configError(where, `qop ${String(q)} is not supported (use "auth", "auth-int", both, or null)`);
      return value as DigestQop;
    });
    if (qop.length === 0) configError(where, 'qop must list "auth" and/or "auth-int", or be null for RFC 2069 clients');
    if (new Set(qop).size !== qop.length) configError(where, 'qop lists the same value twice');
  }

  const flag = (name: string): boolean => {
    const value = o[name];
    if (value !== undefined && typeof value !== 'boolean') configError(where, `${name} must be true or false`);
    return value === true;
  };
  const nonceLifetime = o.nonceLifetime ?? 300;
  if (typeof nonceLifetime !== 'number' || !Number.isFinite(nonceLifetime) || nonceLifetime <= 0) {
    configError(where, 'nonceLifetime must be a positive number of seconds');
  }
  const secret = o.secret;
  if (secret !== undefined && !((typeof secret === 'string' || secret instanceof Uint8Array) && secret.length > 0)) {
    configError(where, 'secret must be a non-empty string or Uint8Array');
  }
  const store = o.store as NonceStore | undefined;
  if (store !== undefined && (store === null || typeof store.use !== 'function')) {
    configError(where, 'store must implement NonceStore (a use(nonce, use, expiresAt, issuedAt) method), e.g. new RedisNonceStore(redis)');
  }
  const proxy = resolveProxy(o.proxy, where);
  return Object.freeze({
    realm: resolveRealm(o.realm, where),
    scheme: resolveScheme(o.scheme, 'Digest', where),
    algorithms: Object.freeze(algorithms),
    qop: qop && Object.freeze(qop),
    useHa1Password: flag('useHa1Password'),
    userhash: flag('userhash'),
    charset: resolveCharset(o.charset, where, 'RFC 7616 §3.3') !== undefined,
    nonceLifetime,
    secret: secret as string | Uint8Array | undefined,
    store,
    throttle: resolveThrottleOption(o.throttle, where),
    openApiName: resolveOpenApiName(o.openApiName, where),
    proxy,
    keepProxyAuthorization: resolveKeepProxyAuthorization(o.keepProxyAuthorization, proxy, where),
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
  });
}

