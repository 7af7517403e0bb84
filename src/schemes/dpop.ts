import { createHash, createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import { isJwsAlgorithm, isSymmetric, keyFitsAlgorithm, verifySignature, type JwsAlgorithm } from './jwt/algorithms';
import { isNumericDate } from './jwt/claims';
import { isJsonObject, parseCompactJws, type JsonObject } from './jwt/compact';
import { normalizeTyp } from './jwt/header';
import { errorDescription } from './token';

/**
 * OAuth 2.0 Demonstrating Proof of Possession (DPoP), the resource server's side: the proof JWT,
 * its checks, the JWK thumbprint a token is bound to, `htu` normalisation, and the challenge.
 * Pure protocol: no framework, no store, no clock of its own.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 *
 *   Authorization: DPoP <access token>          (RFC 9449 §7.1, the syntax of RFC 6750 §2.1)
 *   DPoP: <proof JWT>                           (§4.1: one header field, one compact JWS)
 *
 *   proof header   = { "typ": "dpop+jwt", "alg": <asymmetric>, "jwk": <public JWK> }
 *   proof claims   = { "jti", "htm", "htu", "iat" [, "ath"] [, "nonce"] }   (§4.2)
 */

/** Why a proof, or the binding of a token to it, was refused: stable codes, as `JwtReasonCode`. */
export type DpopReasonCode =
  /** `Authorization: DPoP` without a `DPoP` header. */
  | 'dpop_proof_missing'
  /** More than one `DPoP` header field (§4.3 check 1). */
  | 'dpop_proof_twice'
  /** Not a compact JWS with JSON header and claims, longer than 8192 characters, or with `crit`. */
  | 'dpop_proof_malformed'
  | 'dpop_typ_invalid'
  | 'dpop_alg_not_allowed'
  /** No `jwk`, or one that is not a public key fitting `alg`. */
  | 'dpop_jwk_invalid'
  /** The `jwk` holds private key members (§4.3 check 7). */
  | 'dpop_jwk_private'
  | 'dpop_signature_invalid'
  /** A required claim (`jti`, `htm`, `htu`, `iat`) missing or of the wrong type. */
  | 'dpop_claims_invalid'
  | 'dpop_htm_mismatch'
  | 'dpop_htu_mismatch'
  | 'dpop_iat_too_old'
  | 'dpop_iat_in_future'
  | 'dpop_ath_mismatch'
  /** Server nonces are on and the proof has none, an unknown one or an expired one (§9). */
  | 'dpop_nonce_required'
  /** A proof `jti` seen before within the window. */
  | 'dpop_replay'
  /** The proof's key is not the one the token is bound to (`cnf.jkt`). */
  | 'dpop_key_mismatch'
  /** A DPoP-bound token sent as a bearer token (§7.2). */
  | 'dpop_bound_as_bearer'
  /** `dpop: 'required'` and the token is not DPoP-bound, or was sent as `Bearer`. */
  | 'dpop_required'
  /** A Socket.IO handshake: it has no request URL to prove. */
  | 'dpop_handshake';

const DESCRIPTIONS: Readonly<Record<DpopReasonCode, string>> = {
  dpop_proof_missing: 'a DPoP proof is required',
  dpop_proof_twice: 'more than one DPoP proof was sent',
  dpop_proof_malformed: 'the DPoP proof is not a well-formed JWT',
  dpop_typ_invalid: 'the DPoP proof type (typ) must be dpop+jwt',
  dpop_alg_not_allowed: 'the DPoP proof is signed with an algorithm that is not accepted',
  dpop_jwk_invalid: 'the DPoP proof key (jwk) is invalid',
  dpop_jwk_private: 'the DPoP proof key (jwk) must not contain a private key',
  dpop_signature_invalid: 'the DPoP proof signature is invalid',
  dpop_claims_invalid: 'the DPoP proof lacks a valid jti, htm, htu or iat',
  dpop_htm_mismatch: 'the DPoP proof is for another HTTP method (htm)',
  dpop_htu_mismatch: 'the DPoP proof is for another URL (htu)',
  dpop_iat_too_old: 'the DPoP proof is too old (iat)',
  dpop_iat_in_future: 'the DPoP proof was issued in the future (iat)',
  dpop_ath_mismatch: 'the DPoP proof is for another access token (ath)',
  // RFC 9449 §9, Figure 20: the exact text of the example.
  dpop_nonce_required: 'Resource server requires nonce in DPoP proof',
  dpop_replay: 'the DPoP proof has been used before (jti)',
  // RFC 9449 §7.1, Figure 16: the exact text of the example.
  dpop_key_mismatch: 'Invalid DPoP key binding',
  dpop_bound_as_bearer: 'the token is DPoP-bound; send it with the DPoP scheme and a proof',
  dpop_required: 'a DPoP-bound token and a DPoP proof are required',
  dpop_handshake: 'a Socket.IO handshake cannot carry a DPoP proof',
};

/** The `error_description` of each code: fixed text, never anything taken from the request. */
export function dpopDescription(code: DpopReasonCode): string {
  return DESCRIPTIONS[code];
}

/** The challenge's `error` for a code: the proof itself, the nonce, or the token (§7.1). */
export function dpopError(code: DpopReasonCode): 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token' {
  if (code === 'dpop_nonce_required') return 'use_dpop_nonce';
  if (code === 'dpop_key_mismatch' || code === 'dpop_bound_as_bearer' || code === 'dpop_required' || code === 'dpop_handshake') return 'invalid_token';
  return 'invalid_dpop_proof';
}

export const DPOP_REASON_CODES: readonly DpopReasonCode[] = Object.freeze(Object.keys(DESCRIPTIONS) as DpopReasonCode[]);

/** The proof algorithms accepted by default (RFC 9449 §4.3 check 5: asymmetric only). */
export const DEFAULT_DPOP_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['ES256', 'EdDSA', 'PS256', 'RS256'] as JwsAlgorithm[]);

/** Whether `alg` may sign a proof: a known, asymmetric algorithm (never `none`, never HS*). */
export function isProofAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return isJwsAlgorithm(alg) && !isSymmetric(alg);
}

/**
 * `ath` (§4.2): "the base64url encoding of the SHA-256 hash of the ASCII encoding of the
 * associated access token's value".
 */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * The JWK SHA-256 thumbprint (RFC 7638 §3): the required members of the key type, in
 * lexicographic order, as JSON without whitespace, hashed with SHA-256, base64url-encoded.
 *
 *   EC:  {"crv","kty","x","y"}     RSA: {"e","kty","n"}     OKP: {"crv","kty","x"}  (RFC 8037 §2)
 *
 * `undefined` for another key type, or a required member that is not a string.
 */
export function jwkThumbprint(jwk: unknown): string | undefined {
  if (!isJsonObject(jwk)) return undefined;
  const members = typeof jwk.kty === 'string' ? THUMBPRINT_MEMBERS.get(jwk.kty) : undefined;
  if (!members) return undefined;
  const canonical: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') return undefined;
    canonical[name] = value;
  }
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('base64url');
}

const THUMBPRINT_MEMBERS: ReadonlyMap<string, readonly string[]> = new Map([
  ['EC', ['crv', 'kty', 'x', 'y']],
  ['RSA', ['e', 'kty', 'n']],
  ['OKP', ['crv', 'kty', 'x']],
]);

// RFC 7517 §9.2 / RFC 7518 §6.2.2, §6.3.2, §6.4 / RFC 8037 §2: members only a private (or secret) key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/*
 * `htu` (§4.2: "The HTTP target URI, without query and fragment parts"), compared after
 * syntax-based and scheme-based normalisation (§4.3 check 9, RFC 3986 §6.2.2–6.2.3):
 *
 *   - case:             scheme and host in lower case, percent-encodings in upper case (%2f → %2F)
 *   - percent-encoding: an encoded unreserved character is decoded (%7E → ~, %41 → A)
 *                         unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
 *   - path segments:    "." and ".." removed
 *   - scheme-based:     the default port dropped (:443 for https, :80 for http), an empty path is "/"
 *
 * The WHATWG URL parser does the case of scheme and host, the dot segments, the default port and
 * the empty path; the percent-encodings are done here. Only http and https URLs without user
 * information are accepted; anything else is `undefined` (never equal to a request's URI).
 */
export function normalizeHtu(value: string): string | undefined {
  if (typeof value !== 'string' || value.length > 8192) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const normalizePercentEncoding = (path: string): string =>
  path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const character = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });

/**
 * The `htu` a request must carry: the configured origin (from the `resource` option) and the path
 * of the request-target as received, normalised. Never the `Host` or `X-Forwarded-Host` header: a
 * client names those, so a proof for another server could be made to match. An absolute-form
 * target (a request meant for a proxy) contributes its path only.
 */
export function requestHtu(origin: string, requestTarget: string): string | undefined {
  let path: string;
  if (requestTarget.startsWith('/')) {
    const end = requestTarget.search(/[?#]/);
    path = end < 0 ? requestTarget : requestTarget.slice(0, end);
  } else {
    try {
      path = new URL(requestTarget).pathname;
    } catch {
      return undefined;
    }
  }
  return normalizeHtu(`${origin}${path}`);
}

/** What a proof must match: the request and the policy. Times in seconds. */
export interface ProofExpectations {
  readonly algorithms: readonly JwsAlgorithm[];
  /** The request line's method, upper case as sent. */
  readonly method: string;
  /** `requestHtu(...)` of the request; `undefined` matches nothing. */
  readonly htu: string | undefined;
  /** Seconds since the epoch. */
  readonly now: number;
  /** How old a proof may be, in seconds (`dpopWindow`). */
  readonly window: number;
  /** Clock skew allowed either way, in seconds (`clockTolerance`). */
  readonly tolerance: number;
  /** The access token the proof must be for (its `ath`). */
  readonly accessToken: string;
}

/** A proof that passed every check that needs no store and no server nonce. */
export interface CheckedProof {
  readonly ok: true;
  /** RFC 7638 thumbprint of the proof's key: what `cnf.jkt` must equal. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  /** The `nonce` claim, when the proof has one. */
  readonly nonce?: string;
}

/**
 * RFC 9449 §4.3 checks 2–9, 11 and 12 (the `ath`) on one proof; check 1 (one header field) is the
 * caller's, as are check 10 (the server nonce), the `cnf.jkt` binding and the `jti` replay record.
 * The order: size and syntax, the header (`typ`, `alg`, `jwk`) and the signature, then the claims;
 * nothing in an unsigned proof is compared with the request. Never throws.
 */
export function checkProof(proof: string, expected: ProofExpectations): CheckedProof | DpopReasonCode {
  const jws = parseCompactJws(proof);
  if (typeof jws === 'string') return 'dpop_proof_malformed';
  const { header, payload } = jws;
  if (header.crit !== undefined) return 'dpop_proof_malformed';
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'application/dpop+jwt') return 'dpop_typ_invalid';
  const alg = header.alg;
  if (!isProofAlgorithm(alg) || !expected.algorithms.includes(alg)) return 'dpop_alg_not_allowed';
  const key = proofKey(header.jwk, alg);
  if (typeof key === 'string') return key;
  if (!verifySignature(alg, key.key, jws.signingInput, jws.signature)) return 'dpop_signature_invalid';
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || typeof htm !== 'string' || typeof htu !== 'string' || !isNumericDate(iat)) return 'dpop_claims_invalid';
  if (nonce !== undefined && typeof nonce !== 'string') return 'dpop_claims_invalid';
  if (htm !== expected.method) return 'dpop_htm_mismatch';
  const proven = normalizeHtu(htu);
  if (proven === undefined || expected.htu === undefined || proven !== expected.htu) return 'dpop_htu_mismatch';
  if (iat > expected.now + expected.tolerance) return 'dpop_iat_in_future';
  if (expected.now - iat > expected.window + expected.tolerance) return 'dpop_iat_too_old';
  if (typeof ath !== 'string' || !timingSafeEqual(ath, accessTokenHash(expected.accessToken))) return 'dpop_ath_mismatch';
  return Object.freeze({ ok: true, jkt: key.jkt, jti, iat, ...(nonce !== undefined ? { nonce: nonce as string } : {}) });
}

/** The proof's public key and its thumbprint, or why the `jwk` header cannot be one. */
function proofKey(jwk: unknown, alg: JwsAlgorithm): { key: KeyObject; jkt: string } | DpopReasonCode {
  if (!isJsonObject(jwk)) return 'dpop_jwk_invalid';
  if (PRIVATE_MEMBERS.some((name) => Object.prototype.hasOwnProperty.call(jwk, name))) return 'dpop_jwk_private';
  const jkt = jwkThumbprint(jwk);
  if (jkt === undefined) return 'dpop_jwk_invalid';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    return 'dpop_jwk_invalid';
  }
  // A key of another type or curve than alg (an RSA key under ES256), or RSA below 2048 bits.
  return key.type === 'public' && keyFitsAlgorithm(key, alg) ? { key, jkt } : 'dpop_jwk_invalid';
}

/** The `cnf.jkt` a token is bound to (RFC 9449 §6.1): a string, `undefined` when unbound, `null` when `cnf` is malformed. */
export function boundThumbprint(claims: JsonObject): string | undefined | null {
  const { cnf } = claims;
  if (cnf === undefined) return undefined;
  if (!isJsonObject(cnf)) return null;
  if (cnf.jkt === undefined) return undefined;
  return typeof cnf.jkt === 'string' && cnf.jkt !== '' ? cnf.jkt : null;
}

/**
 * The replay record's key for a proof: a SHA-256 of the key thumbprint and the `jti`, so that a
 * `jti` of any length costs the store the same 48 characters and never reaches it as sent.
 */
export function replayKey(jkt: string, jti: string): string {
  return `dpop:${createHash('sha256').update(jkt).update('\0').update(jti).digest('base64url')}`;
}

/**
 * The key of the server-nonce MAC, derived from the configured secret so that a secret also used
 * elsewhere (a Digest secret) never makes the two kinds of nonce interchangeable.
 */
export function nonceKey(secret: string | Uint8Array): Buffer {
  return createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret).update('routing-controllers-httpauth dpop nonce v1').digest();
}

/**
 * A `DPoP` challenge (RFC 9449 §7.1). Its parameters are written in the order of the RFC's
 * examples, so that those examples are this function's exact output:
 *
 *   DPoP algs="ES256 PS256"                                                         (Figure 15)
 *   DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256"   (Figure 16)
 *   DPoP algs="ES256 PS256", error="invalid_request", error_description="…"         (Figure 19)
 *   DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"   (§9, Figure 20)
 *
 * `scope` (RFC 6750 §3) and `resource_metadata` (RFC 9728 §5.1) follow, when given.
 */
export function dpopChallenge(params: {
  readonly algorithms: readonly string[];
  readonly error?: string;
  readonly description?: string;
  readonly scope?: readonly string[];
  readonly resourceMetadata?: string;
}): string {
  const algs = `algs="${params.algorithms.join(' ')}"`;
  const error = params.error === undefined ? [] : [`error="${params.error}"`, ...(params.description ? [`error_description="${errorDescription(params.description)}"`] : [])];
  let parts: string[];
  if (params.error === undefined) parts = [algs];
  else if (params.error === 'use_dpop_nonce') parts = error;
  else if (params.error === 'invalid_request') parts = [algs, ...error];
  else parts = [...error, algs];
  if (params.scope !== undefined && params.scope.length > 0) parts.push(`scope="${params.scope.join(' ')}"`);
  if (params.resourceMetadata !== undefined) parts.push(`resource_metadata="${params.resourceMetadata}"`);
  return `DPoP ${parts.join(', ')}`;
}
