import { HttpAuthError } from '../errors';

/**
 * The OAuth 2.0 token-endpoint error (RFC 6749 §5.2) a failed refresh answers with.
 * @example
 * ```ts
 * const mustLogIn = (code: TokenGrantErrorCode) => code === 'invalid_grant';
 * ```
 */
export type TokenGrantErrorCode = 'invalid_request' | 'invalid_grant' | 'invalid_scope';

/**
 * Why a refresh failed, for logs and audit (never sent): `missing` (no token given), `malformed`
 * (not a refresh token of this issuer: e.g. an access token), `unknown`, `expired`, `reused` (a
 * consumed token presented again: its whole family is now revoked), `revoked`, `scope_invalid`
 * (the requested scope is not a scope string), `scope_widened` (it asks for a scope the login
 * did not grant).
 * @example
 * ```ts
 * const suspicious = (reason: TokenGrantFailure) => reason === 'reused';
 * ```
 */
export type TokenGrantFailure = 'missing' | 'malformed' | 'unknown' | 'expired' | 'reused' | 'revoked' | 'scope_invalid' | 'scope_widened';

const DESCRIPTIONS: Readonly<Record<TokenGrantErrorCode, string>> = {
  invalid_request: 'refresh token missing',
  invalid_grant: 'refresh token invalid, expired or revoked',
  invalid_scope: 'requested scope exceeds the granted scope',
};

const ERRORS: Readonly<Record<TokenGrantFailure, TokenGrantErrorCode>> = {
  missing: 'invalid_request',
  malformed: 'invalid_grant',
  unknown: 'invalid_grant',
  expired: 'invalid_grant',
  reused: 'invalid_grant',
  revoked: 'invalid_grant',
  scope_invalid: 'invalid_scope',
  scope_widened: 'invalid_scope',
};

/**
 * 400 from `tokens.refresh(...)`: the body is the OAuth 2.0 token error (RFC 6749 §5.2),
 * `{ "error": "invalid_grant", "error_description": "…" }`, so a refresh route can let it
 * propagate: routing-controllers answers with its status and body on both drivers. `reason`
 * says why, for the server's logs only; the client learns no more than `error`.
 * @example
 * ```ts
 * try {
 *   return await tokens.refresh(body.refresh_token);
 * } catch (error) {
 *   if (error instanceof TokenGrantError && error.reason === 'reused') audit.warn('refresh token reuse: session revoked');
 *   throw error;
 * }
 * ```
 */
export class TokenGrantError extends HttpAuthError {
  /** The class name. */
  override name = 'TokenGrantError';
  /** The OAuth error code sent in the body. */
  readonly error: TokenGrantErrorCode;
  /** Why, for logs; never sent. */
  readonly reason: TokenGrantFailure;

  constructor(reason: TokenGrantFailure) {
    const error = ERRORS[reason];
    super(400, 'ERR_HTTP_AUTH_BAD_REQUEST', error, { error, error_description: DESCRIPTIONS[error] });
    this.error = error;
    this.reason = reason;
  }
}
