import type { JsonObject } from './compact';
import { isJwsAlgorithm, type JwsAlgorithm } from './algorithms';
import { MAX_KID_LENGTH } from './jwk';
import { jwtRefusal, type JwtRefusal } from './refusals';

/** What the header checks need from the configuration. */
export interface HeaderPolicy {
  readonly algorithms: readonly JwsAlgorithm[];
  /** Accepted `typ` values, normalised by `normalizeTyp`; `false`: the header is not checked. */
  readonly typ: readonly string[] | false;
}

export interface CheckedHeader {
  readonly alg: JwsAlgorithm;
  readonly kid?: string;
}

/**
 * A `typ` value in the one form compared: lower case, with `application/` added when the value
 * has no `/`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.9
 *
 *   It is RECOMMENDED that the "application/" prefix be omitted when no other '/' appears in the
 *   media type value. A recipient using the media type value MUST treat it as if "application/"
 *   were prepended to any "typ" value not containing a '/'.
 *
 * Media types compare case-insensitively (RFC 2045 §5.1), so `at+jwt`, `AT+JWT` and
 * `application/at+jwt` are one value (RFC 9068 §4; RFC 8725 §3.11). Parameters such as
 * `; charset=...` are not stripped: a typ with parameters is another value and is refused.
 */
export function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

// For the log line only: the typ reduced to characters that cannot forge a log or header.
const forLog = (typ: unknown): string => (typeof typ === 'string' ? `"${typ.replace(/[^A-Za-z0-9+.\/_-]/g, '').slice(0, 40)}"` : typ === undefined ? 'missing' : `a ${typeof typ}`);

/**
 * The JOSE header checks, before any key lookup.
 *
 * - `alg` (RFC 7515 §4.1.1, RFC 8725 §3.1): in the allow-list, compared exactly.
 * - `crit` (RFC 7515 §4.1.11): "If any of the listed extension Header Parameters are not
 *   understood and supported by the recipient, then the JWS is invalid." No extension is
 *   supported, so any `crit` is refused; a malformed one (not a non-empty array of distinct
 *   strings, or naming a parameter the JWS spec defines) is malformed.
 * - `kid` (RFC 7515 §4.1.4): a string of 1 to 256 characters, else refused before any lookup.
 * - `typ` (RFC 9068 §4): one of the accepted values, after `normalizeTyp`.
 *
 * `jku`, `x5u`, `x5c` and `jwk` are not read at all: keys come from the configuration only.
 */
export function checkHeader(header: JsonObject, policy: HeaderPolicy): CheckedHeader | JwtRefusal {
  const { alg, crit, kid, typ } = header;
  if (!isJwsAlgorithm(alg) || !policy.algorithms.includes(alg)) return jwtRefusal('alg_not_allowed');
  if (crit !== undefined) return jwtRefusal(wellFormedCrit(crit) ? 'crit_unsupported' : 'malformed');
  if (kid !== undefined && (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH)) return jwtRefusal('kid_invalid');
  if (policy.typ !== false && (typeof typ !== 'string' || !policy.typ.includes(normalizeTyp(typ)))) {
    return jwtRefusal('typ_not_allowed', `typ ${forLog(typ)} is not accepted; if this issuer's access tokens carry it, add it to the typ option: @JwtAuth({ typ: [...] })`);
  }
  return kid === undefined ? { alg } : { alg, kid };
}

const JWS_PARAMETERS = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit']);

function wellFormedCrit(crit: unknown): boolean {
  return (
    Array.isArray(crit) &&
    crit.length > 0 &&
    crit.every((name) => typeof name === 'string' && name !== '' && !JWS_PARAMETERS.has(name)) &&
    new Set(crit).size === crit.length
  );
}
