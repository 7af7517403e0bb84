/**
 * Why a JWT access token was refused: one stable code per check. These are the `code` of the
 * `AuthenticationFailure` an `@ErrorHandler` sees and the `reason` of audit events, so they never
 * change meaning once released.
 */
export type JwtReasonCode =
  /** Longer than 8192 characters: refused before any parsing (400 invalid_request). */
  | 'token_too_large'
  /** Not a canonical compact JWS with JSON-object header and claims (or a malformed `crit`). */
  | 'malformed'
  | 'alg_not_allowed'
  | 'typ_not_allowed'
  | 'crit_unsupported'
  /** A `kid` that is not a string of 1 to 256 characters. */
  | 'kid_invalid'
  | 'issuer_not_allowed'
  /** No configured or published key has the token's `kid` (or fits its `alg`). */
  | 'key_not_found'
  /** The issuer's keys could not be fetched, and none are cached. */
  | 'keys_unavailable'
  | 'signature_invalid'
  | 'exp_missing'
  | 'exp_invalid'
  | 'expired'
  | 'nbf_invalid'
  | 'not_yet_valid'
  | 'iat_invalid'
  /** `maxTokenAge` is set and the token has no `iat`. */
  | 'iat_missing'
  | 'iat_in_future'
  /** Older than `maxTokenAge`. */
  | 'too_old'
  | 'audience_not_allowed'
  /** `scope` / `scp` is neither a space-separated string nor an array of strings. */
  | 'scope_invalid';

export interface JwtRefusal {
  readonly ok: false;
  readonly status: 400 | 401;
  readonly error: 'invalid_request' | 'invalid_token';
  readonly code: JwtReasonCode;
  /** For `error_description`: fixed text, never the token or anything taken from it. */
  readonly description: string;
  /**
   * For the server's log only, when a fix is likely on the server side (`typ_not_allowed` names
   * the token's `typ`, reduced to safe characters, and the option to set).
   */
  readonly detail?: string;
}

const DESCRIPTIONS: Readonly<Record<JwtReasonCode, string>> = {
  token_too_large: 'the token is larger than 8192 bytes',
  malformed: 'the token is not a well-formed JWT',
  alg_not_allowed: 'the token is signed with an algorithm that is not accepted',
  typ_not_allowed: 'the token type (typ) is not accepted; an access token is expected',
  crit_unsupported: 'the token requires an extension (crit) that is not supported',
  kid_invalid: 'the key id (kid) of the token is invalid',
  issuer_not_allowed: 'the token issuer is not accepted',
  key_not_found: 'no key is known for the token',
  keys_unavailable: 'the keys of the token issuer are unavailable',
  signature_invalid: 'the token signature is invalid',
  exp_missing: 'the token has no expiration time (exp)',
  exp_invalid: 'the expiration time (exp) of the token is invalid',
  expired: 'the token has expired',
  nbf_invalid: 'the not-before time (nbf) of the token is invalid',
  not_yet_valid: 'the token is not valid yet',
  iat_invalid: 'the issue time (iat) of the token is invalid',
  iat_missing: 'the token has no issue time (iat)',
  iat_in_future: 'the token was issued in the future',
  too_old: 'the token is too old',
  audience_not_allowed: 'the token is not meant for this resource (aud)',
  scope_invalid: 'the scope claim of the token is invalid',
};

const REFUSALS = new Map<JwtReasonCode, JwtRefusal>(
  (Object.keys(DESCRIPTIONS) as JwtReasonCode[]).map((code) => {
    const tooLarge = code === 'token_too_large';
    return [code, Object.freeze({ ok: false, status: tooLarge ? 400 : 401, error: tooLarge ? 'invalid_request' : 'invalid_token', code, description: DESCRIPTIONS[code] } as const)];
  }),
);

/** The frozen refusal for `code`, shared by every request. */
export function jwtRefusal(code: JwtReasonCode, detail?: string): JwtRefusal {
  const refusal = REFUSALS.get(code)!;
  return detail === undefined ? refusal : Object.freeze({ ...refusal, detail });
}

/** Every reason code, for tests and documentation. */
export const JWT_REASON_CODES: readonly JwtReasonCode[] = Object.freeze(Object.keys(DESCRIPTIONS) as JwtReasonCode[]);
