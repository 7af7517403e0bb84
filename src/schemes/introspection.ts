import { createHash } from 'node:crypto';
import { confirmationState } from './confirmation';
import { checkClaims, checkIssuer } from './jwt/claims';
import type { JsonObject } from './jwt/compact';
import { jwtRefusal, type JwtReasonCode } from './jwt/refusals';
import { readScopes } from './jwt/scopes';

/**
 * OAuth 2.0 Token Introspection (RFC 7662), the protocol half: the request body, the client
 * authentication of RFC 6749 §2.3.1, and the checks of an introspection response. No I/O, no
 * clock of its own (the caller passes `now`).
 */

/**
 * The request (RFC 7662 §2.1), `application/x-www-form-urlencoded`:
 *
 *   token=<the token>&token_type_hint=access_token
 *
 * plus, for `client_secret_post`, `client_id` and `client_secret`, and for `private_key_jwt`
 * (RFC 7523 §2.2) `client_id`, `client_assertion_type` and `client_assertion`.
 */
export function introspectionRequestBody(token: string, client?: Readonly<Record<string, string>>): string {
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
  for (const [name, value] of Object.entries(client ?? {})) body.set(name, value);
  return body.toString();
}

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): "The client identifier is encoded using the
 * application/x-www-form-urlencoded encoding algorithm per Appendix B, and the encoded value is
 * used as the username; the client password is encoded using the same algorithm and used as the
 * password." Then Basic (RFC 7617): base64(username ":" password). Form encoding writes a space
 * as `+` and a `:` as `%3A`, so an id or secret with either survives.
 */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

/** The `client_assertion_type` of RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The claims of a `private_key_jwt` client assertion (RFC 7523 §3): `iss` and `sub` the client,
 * `aud` the authorization server (its introspection endpoint or issuer), a short `exp`, a unique
 * `jti` (the server refuses a replayed one). `now` in seconds.
 */
export function clientAssertionClaims(clientId: string, audience: string, now: number, jti: string, lifetimeSeconds = 60): JsonObject {
  return { iss: clientId, sub: clientId, aud: audience, iat: now, exp: now + lifetimeSeconds, jti };
}

/** Why an introspection response refuses the token: the `code` of the `AuthenticationFailure`. */
export type IntrospectionReasonCode =
  /** `active: false` (RFC 7662 §2.2): expired, revoked, unknown, or not for this client. */
  | 'inactive'
  /** Bound to a key (`cnf`, or `token_type: DPoP`) the class does not check: never accepted as a bearer token. */
  | 'token_bound'
  /** `token_type: DPoP` without `cnf.jkt`, or a `cnf` that is not an object: a binding no proof can meet. */
  | 'binding_invalid'
  /** A `token_type` other than Bearer (e.g. a refresh token sent as an access token). */
  | 'token_type_not_allowed'
  /** Longer than `MAX_TOKEN_LENGTH`: refused before any request (400 invalid_request). */
  | 'token_too_large'
  | Extract<JwtReasonCode, 'exp_missing' | 'exp_invalid' | 'expired' | 'nbf_invalid' | 'not_yet_valid' | 'iat_invalid' | 'iat_in_future' | 'issuer_not_allowed' | 'audience_not_allowed' | 'scope_invalid'>;

/** Longest token sent to the endpoint: an access token of any real server is far shorter. */
export const MAX_TOKEN_LENGTH = 8192;

const OWN_DESCRIPTIONS = {
  inactive: 'the token is not active',
  token_bound: 'the token is bound to a key and cannot be used as a bearer token',
  binding_invalid: "the token's key binding (cnf) is missing or malformed",
  token_type_not_allowed: 'the token is not an access token',
  token_too_large: `the token is larger than ${MAX_TOKEN_LENGTH} bytes`,
} as const;

/** For `error_description`: fixed text, never the token or anything of the response. */
export function introspectionDescription(code: IntrospectionReasonCode): string {
  return code in OWN_DESCRIPTIONS ? OWN_DESCRIPTIONS[code as keyof typeof OWN_DESCRIPTIONS] : jwtRefusal(code as JwtReasonCode).description;
}

/** What the checks of a response need from the configuration. Times in seconds. */
export interface IntrospectionPolicy {
  /** Accepted `iss` values; when absent, `iss` is not checked. */
  readonly issuers?: readonly string[];
  /** Accepted audiences; when absent, `aud` is not checked. */
  readonly audiences?: readonly string[];
  readonly clockTolerance: number;
  /**
   * The bindings the class checks itself on every request: `jkt` (DPoP, RFC 9449 §6.2) with
   * `dpop`, `x5t#S256` (RFC 8705 §3.2) with `mtlsBound`. Any other `cnf` member is refused.
   */
  readonly checksBinding?: { readonly jkt: boolean; readonly 'x5t#S256': boolean };
}

export type IntrospectionCheck =
  | { readonly ok: true; readonly claims: Readonly<JsonObject>; readonly scopes: readonly string[]; readonly exp: number }
  | { readonly ok: false; readonly code: IntrospectionReasonCode };

/** A response that is no introspection response at all: the server is broken, the token not to blame. */
export class IntrospectionResponseError extends Error {
  override name = 'IntrospectionResponseError';
}

// Stands for "any audience" when none is configured, so that the JWT claim checks run unchanged.
const ANY_AUDIENCE = '\u0000any';

/**
 * The checks of an introspection response (RFC 7662 §2.2), all of them fail closed:
 *
 * - It must be a JSON object whose `active` is the boolean `true` or `false` ("REQUIRED. Boolean
 *   indicator"); anything else (a string "true", HTML parsed by mistake, an array) throws
 *   `IntrospectionResponseError`: answered 503, never an admission.
 * - `active: false` → `inactive`.
 * - A bound token — a `cnf` (RFC 7800 §3.1: `jkt` for DPoP, RFC 9449 §6.2; `x5t#S256` for mTLS,
 *   RFC 8705 §3.2) or `token_type: DPoP` — passes only when every member of its `cnf` is one the
 *   class checks (`checksBinding`); the caller then checks the proof or the certificate. Any other
 *   binding is refused: accepting it would make a stolen sender-constrained token a bearer token.
 * - `token_type`, when present, must be `Bearer` or, with a `cnf.jkt` the class checks, `DPoP`
 *   (case-insensitive).
 * - `exp` (required, as for a JWT access token), `nbf`, `iat` and `aud`, `iss` exactly as
 *   `schemes/jwt/claims.ts` checks a JWT's; `scope` (RFC 7662: a space-separated string) as
 *   `schemes/jwt/scopes.ts` reads it.
 *
 * @param now seconds since the epoch.
 */
export function checkIntrospectionResponse(json: unknown, policy: IntrospectionPolicy, now: number): IntrospectionCheck {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new IntrospectionResponseError('is not a JSON object');
  const response = json as JsonObject;
  if (typeof response.active !== 'boolean') throw new IntrospectionResponseError('has no boolean "active" member');
  if (!response.active) return refused('inactive');
  const binding = bindingRefusal(response, policy);
  if (binding) return refused(binding);
  if (response.token_type !== undefined) {
    if (typeof response.token_type !== 'string') return refused('token_type_not_allowed');
    const type = response.token_type.toLowerCase();
    if (type !== 'bearer' && type !== 'dpop') return refused('token_type_not_allowed');
  }
  if (policy.issuers && checkIssuer(response, policy.issuers) === 'issuer_not_allowed') return refused('issuer_not_allowed');
  const timesAndAudience = policy.audiences
    ? checkClaims(response, { issuers: [], audiences: policy.audiences, clockTolerance: policy.clockTolerance }, now)
    : checkClaims({ ...response, aud: ANY_AUDIENCE }, { issuers: [], audiences: [ANY_AUDIENCE], clockTolerance: policy.clockTolerance }, now);
  if (timesAndAudience) return refused(timesAndAudience as IntrospectionReasonCode);
  const scopes = readScopes(response, 'scope');
  if (!scopes) return refused('scope_invalid');
  return { ok: true, claims: deepFreeze(response), scopes, exp: response.exp as number };
}

/** RFC 9449 §6.2: an introspection answer for a DPoP-bound token has `cnf.jkt` and `token_type: DPoP`. */
function bindingRefusal(response: JsonObject, policy: IntrospectionPolicy): IntrospectionReasonCode | undefined {
  const checks = policy.checksBinding ?? NOTHING_CHECKED;
  const dpopType = typeof response.token_type === 'string' && response.token_type.toLowerCase() === 'dpop';
  switch (confirmationState(response, checks)) {
    case 'unbound':
      return dpopType ? (checks.jkt ? 'binding_invalid' : 'token_bound') : undefined;
    case 'invalid':
      return 'binding_invalid';
    case 'unchecked':
      return 'token_bound';
    case 'checked':
      return dpopType && (response.cnf as JsonObject).jkt === undefined ? 'binding_invalid' : undefined;
  }
}

const NOTHING_CHECKED = Object.freeze({ jkt: false, 'x5t#S256': false });

const REFUSED = new Map<IntrospectionReasonCode, IntrospectionCheck>();
function refused(code: IntrospectionReasonCode): IntrospectionCheck {
  let refusal = REFUSED.get(code);
  if (!refusal) REFUSED.set(code, (refusal = Object.freeze({ ok: false, code })));
  return refusal;
}

/**
 * What leaves the process for a token `clearCache` forgets (over Redis, to the other instances):
 * its SHA-256, never the token. The in-memory cache keys by a keyed hash of this digest.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
