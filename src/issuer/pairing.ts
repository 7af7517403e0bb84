import type { MaybePromise } from '../internal/steps';
import type { JwtKeysConfig } from '../keys/key-source';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import type { AccessTokenState } from '../stores/token-store';

/**
 * What `@JwtAuth({ issuedBy: tokens })` takes from a token issuer (internal: not in the public
 * type of `TokenIssuer`). Everything is local: no network.
 */
export interface IssuerLink {
  /** The `iss` of its tokens: the one issuer to accept. */
  readonly issuer: string;
  /** The `aud` of its tokens: the one audience to accept. */
  readonly audience: string;
  /** The one algorithm it signs with. */
  readonly algorithms: readonly JwsAlgorithm[];
  /** Its public key (kind `keys`) or its HMAC secret (kind `secret`), as `createKeySource` takes them. */
  readonly keys: JwtKeysConfig;
  /**
   * Whether a token it issued (signature, `iss`, `aud`, `exp`, `typ` already verified) is still
   * honoured: `revoked` when its `jti` was revoked, its family (`sid`) revoked (refresh-token
   * reuse, `revoke(refreshToken)`) or its subject's tokens revoked by `revokeAll`, when it lacks
   * those claims, or when it expired more than the store's margin (5 minutes) ago. Synchronous
   * with a `MemoryTokenStore`; a promise with Redis. Throws (or rejects) an `HttpAuthError` 503
   * (`ERR_HTTP_AUTH_UNAVAILABLE`) when the store fails or misses its deadline: the request must
   * be refused, never admitted unchecked.
   */
  checkAccessToken(claims: Readonly<Record<string, unknown>>): MaybePromise<AccessTokenState>;
}

const LINK = Symbol('http-auth issuer link');

/** Attaches `link` to `issuer` (non-enumerable, read-only): invisible to JSON, spreads and the public type. */
export function attachIssuerLink<T extends object>(issuer: T, link: IssuerLink): T {
  Object.defineProperty(issuer, LINK, { value: Object.freeze(link), enumerable: false, writable: false, configurable: false });
  return issuer;
}

/** The link of a `TokenIssuer` made by `createTokenIssuer`; `undefined` for anything else. */
export function issuerLinkOf(value: unknown): IssuerLink | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  return Object.hasOwn(value, LINK) ? ((value as Record<symbol, IssuerLink>)[LINK]) : undefined;
}
