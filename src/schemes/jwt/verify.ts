import { isPromiseLike, type MaybePromise } from '../../internal/steps';
import { verifySignature, type JwsAlgorithm } from './algorithms';
import { checkClaims, checkIssuer, type ClaimsPolicy } from './claims';
import { parseCompactJws, type CompactJws, type JsonObject } from './compact';
import { checkHeader, type HeaderPolicy } from './header';
import type { VerifyKey } from './jwk';
import { jwtRefusal, type JwtRefusal } from './refusals';
import { readScopes } from './scopes';

/**
 * Where a verifier gets keys: local keys, a secret, or remote JWK Sets (`src/keys/`).
 *
 * `keysFor` answers with the keys that may have signed a token of `issuer` with this `kid`
 * (`undefined`: the token has none) and `alg` — already filtered by `kid`, JWK `alg`/`use` and
 * key type — or a reason code. It answers with a plain value whenever it can do so without I/O,
 * with a promise only when it must fetch, and its promises never reject.
 */
export interface KeySource {
  keysFor(issuer: string, kid: string | undefined, alg: JwsAlgorithm): MaybePromise<KeyLookup>;
}

export type KeyLookup = readonly VerifyKey[] | 'key_not_found' | 'keys_unavailable';

/** Everything the verifier checks; `JwtConfig` (from `resolveJwtOptions`) is one. */
export interface JwtPolicy extends HeaderPolicy, ClaimsPolicy {
  readonly scopeClaim?: 'scope' | 'scp';
}

export interface JwtVerified {
  readonly ok: true;
  /** The JWT claims, deeply frozen. */
  readonly claims: Readonly<JsonObject>;
  /** The JOSE header, deeply frozen. */
  readonly header: Readonly<JsonObject>;
  /** The granted scopes (`scope` or `scp`), frozen. */
  readonly scopes: readonly string[];
}

export type JwtVerification = JwtVerified | JwtRefusal;

/**
 * A token is tried against every key that may have signed it (usually one: the key with its
 * `kid`; without a `kid`, every key that fits its `alg`), up to this many; with more it is
 * refused, so one request never costs dozens of signature checks. Issuers with several keys set
 * `kid`.
 */
export const MAX_CANDIDATE_KEYS = 4;

/**
 * A verifier for JWT access tokens (RFC 9068, RFC 8725). The order of the checks matters:
 * size first (400, before anything is decoded), then the compact syntax, the header (`alg`,
 * `crit`, `kid`, `typ`) and `iss` — all without a key, so nothing a client invents can cause a
 * key fetch — then the key lookup, the signature, and last the time and audience claims.
 *
 * Answers synchronously when the key source does (local keys, a warm cache), else with a promise
 * that never rejects. Refusals are values, never exceptions.
 *
 * @param now milliseconds since the epoch, `Date.now` by default.
 */
export function createJwtVerifier(policy: JwtPolicy, keys: KeySource, now: () => number = Date.now): (token: string) => MaybePromise<JwtVerification> {
  const finish = (jws: CompactJws, alg: JwsAlgorithm, found: KeyLookup): JwtVerification => {
    if (typeof found === 'string') return jwtRefusal(found);
    if (found.length === 0 || found.length > MAX_CANDIDATE_KEYS) return jwtRefusal('key_not_found');
    if (!found.some((candidate) => verifySignature(alg, candidate.key, jws.signingInput, jws.signature))) return jwtRefusal('signature_invalid');
    const problem = checkClaims(jws.payload, policy, now() / 1000);
    if (problem) return jwtRefusal(problem);
    const scopes = readScopes(jws.payload, policy.scopeClaim);
    if (!scopes) return jwtRefusal('scope_invalid');
    return Object.freeze({ ok: true, claims: deepFreeze(jws.payload), header: deepFreeze(jws.header), scopes });
  };

  return (token) => {
    const jws = parseCompactJws(token);
    if (typeof jws === 'string') return jwtRefusal(jws);
    const header = checkHeader(jws.header, policy);
    if ('ok' in header) return header;
    const issuer = checkIssuer(jws.payload, policy.issuers);
    if (issuer === 'issuer_not_allowed') return jwtRefusal(issuer);
    let found: MaybePromise<KeyLookup>;
    try {
      found = keys.keysFor(issuer, header.kid, header.alg);
    } catch {
      return jwtRefusal('keys_unavailable');
    }
    if (!isPromiseLike(found)) return finish(jws, header.alg, found);
    return Promise.resolve(found).then(
      (lookup) => finish(jws, header.alg, lookup),
      () => jwtRefusal('keys_unavailable'),
    );
  };
}

/** Freezes a freshly parsed JSON value and everything in it (it is ours: nobody else holds it). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
