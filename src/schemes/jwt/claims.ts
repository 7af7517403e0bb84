import type { JsonObject } from './compact';
import type { JwtReasonCode } from './refusals';

/** What the claim checks need from the configuration. Times in seconds. */
export interface ClaimsPolicy {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly clockTolerance: number;
  readonly maxTokenAge?: number;
}

/**
 * The `iss` claim (RFC 7519 §4.1.1; RFC 9068 §4: "MUST exactly match"): a string equal to one
 * configured issuer, compared exactly (no trailing-slash or case folding). Checked on the decoded
 * claims before any key lookup, so an issuer an attacker made up never causes a fetch.
 */
export function checkIssuer(claims: JsonObject, issuers: readonly string[]): string | 'issuer_not_allowed' {
  const { iss } = claims;
  return typeof iss === 'string' && issuers.includes(iss) ? iss : 'issuer_not_allowed';
}

/**
 * A NumericDate (RFC 7519 §2): "A JSON numeric value representing the number of seconds from
 * 1970-01-01T00:00:00Z UTC until the specified UTC date/time, ignoring leap seconds." Required
 * here to be finite, not negative and within the safe-integer range: `1e400` parses as Infinity,
 * and an `exp` of Infinity would never expire.
 */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
}

/**
 * The time and audience claims, checked after the signature (so a forged token is reported as
 * forged, not as expired). `now` in seconds.
 *
 * - `exp` (RFC 7519 §4.1.4) is REQUIRED (RFC 9068 §2.2): refused unless `now < exp + tolerance`.
 * - `nbf` (§4.1.5), when present: refused while `now + tolerance < nbf`.
 * - `iat` (§4.1.6), when present: refused when more than `tolerance` in the future; required
 *   with `maxTokenAge`, and then refused when `now - iat > maxTokenAge + tolerance`.
 * - `aud` (§4.1.3; RFC 9068 §4): a string or an array of strings containing a configured audience.
 */
export function checkClaims(claims: JsonObject, policy: ClaimsPolicy, now: number): JwtReasonCode | undefined {
  const { exp, nbf, iat, aud } = claims;
  const tolerance = policy.clockTolerance;
  if (exp === undefined) return 'exp_missing';
  if (!isNumericDate(exp)) return 'exp_invalid';
  if (now >= exp + tolerance) return 'expired';
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return 'nbf_invalid';
    if (now + tolerance < nbf) return 'not_yet_valid';
  }
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return 'iat_invalid';
    if (iat > now + tolerance) return 'iat_in_future';
  }
  if (policy.maxTokenAge !== undefined) {
    if (iat === undefined) return 'iat_missing';
    if (now - (iat as number) > policy.maxTokenAge + tolerance) return 'too_old';
  }
  if (!audienceMatches(aud, policy.audiences)) return 'audience_not_allowed';
  return undefined;
}

function audienceMatches(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  if (!Array.isArray(aud) || !aud.every((value) => typeof value === 'string')) return false;
  return aud.some((value) => audiences.includes(value as string));
}
