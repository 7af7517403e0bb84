import type { CookieTarget, IssuerCookieOptions } from './cookies';
import type { PublicJwk } from './signing-key';

/**
 * What `issue` puts in the access token besides the subject.
 * @example
 * ```ts
 * const pair = await tokens.issue(user.name, { fresh: true, scope: ['articles:read'], claims: { roles: user.roles }, clientId: 'web-app' });
 * ```
 */
export interface IssueOptions {
  /** The app's own claims (e.g. `{ roles: ['admin'] }`); JSON values only, at most 2 KiB, none of the claims the issuer sets. Kept for the tokens refreshes yield. */
  claims?: Record<string, unknown>;
  /** The granted scopes: a space-separated string or an array; the `scope` claim and the pair's `scope`. */
  scope?: string | readonly string[];
  /** Mark the access token fresh (`fresh: true`): it comes from a login just now, for `@LoginRequired({ fresh: true })`. Tokens from `refresh` never are. @default false */
  fresh?: boolean;
  /** The `client_id` claim (RFC 9068 requires it; strict verifiers refuse tokens without it). */
  clientId?: string;
}

/**
 * What `refresh` may change.
 * @example
 * ```ts
 * const pair = await tokens.refresh(body.refresh_token, { scope: 'articles:read' }); // narrower than the login's
 * ```
 */
export interface RefreshOptions {
  /**
   * The scopes the new access token should carry, from the client (RFC 6749 §6): a subset of
   * those granted at login; more is refused (`invalid_scope`). Left out (or `''`): the granted
   * scopes. The new refresh token keeps the granted scopes.
   */
  scope?: string | readonly string[] | null;
}

/**
 * The answer of a token endpoint (RFC 6749 §5.1), ready to send as JSON.
 * @example
 * ```ts
 * const { access_token, refresh_token, expires_in }: TokenPair = await tokens.issue('alice');
 * ```
 */
export interface TokenPair {
  /** A signed JWT (RFC 9068, `typ: at+jwt`). */
  readonly access_token: string;
  /** An opaque random value (256 bits, base64url), good for one exchange. */
  readonly refresh_token: string;
  /** Always `'Bearer'` (RFC 6750). */
  readonly token_type: 'Bearer';
  /** Seconds the access token is valid. */
  readonly expires_in: number;
  /** The access token's scopes, space-separated, when it has any. */
  readonly scope?: string;
}

/**
 * A JWK Set (RFC 7517 §5) of public keys.
 * @example
 * ```ts
 * app.get('/.well-known/jwks.json', (_req, res) => res.json(tokens.jwks() satisfies JsonWebKeySet));
 * ```
 */
export interface JsonWebKeySet {
  /** The public keys: one with `privateKey`, none with `secret`. */
  readonly keys: readonly PublicJwk[];
}

/**
 * Issues, refreshes and revokes tokens for one API (see `createTokenIssuer`). Pass it to
 * `@JwtAuth({ issuedBy: tokens })` to verify what it issues.
 * @example
 * ```ts
 * const tokens: TokenIssuer = createTokenIssuer({ issuer, audience, privateKey, store: new RedisTokenStore(redis) });
 * await tokens.revokeAll('alice'); // after a password change
 * ```
 */
export interface TokenIssuer {
  /**
   * A login: an access token and a refresh token for `subject` (a string, e.g. the user name).
   * Records the login in the store first (rejects with a 503 `HttpAuthError` when the store
   * fails). Throws a `TypeError` for a subject that is not a non-empty string, and for claims
   * the issuer sets itself.
   */
  issue(subject: string, options?: IssueOptions): Promise<TokenPair>;
  /**
   * Exchanges a refresh token (from the request body or its cookie) for a new pair; the token
   * is consumed. Presenting a consumed token again revokes its whole login (every token it led
   * to) and fails, as do all later uses of any of them (RFC 9700 §4.14.2). Of concurrent calls
   * with one token exactly one succeeds. The new access token is never fresh. Rejects with a
   * `TokenGrantError` (400, RFC 6749 §5.2 body) for a missing, unknown, expired, consumed or
   * revoked token, or a wider scope; with a 503 `HttpAuthError` when the store fails.
   */
  refresh(refreshToken: unknown, options?: RefreshOptions): Promise<TokenPair>;
  /**
   * Revokes one token, on every instance sharing the store: an access token until its `exp`; a
   * refresh token with its whole login (every refresh and access token of it). Resolves `false`
   * when the value is no valid token of this issuer (nothing to revoke, as RFC 7009 answers).
   */
  revoke(token: unknown): Promise<boolean>;
  /** Revokes every token of `subject` issued before now (e.g. after a password change), on every instance sharing the store. */
  revokeAll(subject: string): Promise<void>;
  /**
   * The public JWK Set (public members, `kid`, `alg`, `use: 'sig'`), to serve at a URL of the
   * app's choosing for other services. With `secret` there is no public key: `{ keys: [] }`.
   */
  jwks(): JsonWebKeySet;
  /**
   * Writes the pair as cookies: the access token (`HttpOnly; Secure; SameSite=Lax; Path=/`), the
   * refresh token (`HttpOnly`, `Path` = `refreshPath`) and the access token's `csrf` claim in a
   * cookie the page can read, to send back as `X-CSRF-Token`. `Max-Age` is each token's lifetime.
   */
  setCookies(response: CookieTarget, pair: TokenPair, options?: IssuerCookieOptions): void;
  /** Expires the three cookies (logout). */
  clearCookies(response: CookieTarget, options?: IssuerCookieOptions): void;
}
