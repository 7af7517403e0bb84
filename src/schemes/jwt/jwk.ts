import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { isJwsAlgorithm, keyFitsAlgorithm, MIN_RSA_BITS, type JwsAlgorithm } from './algorithms';
import { isJsonObject } from './compact';

/**
 * A key that verifies signatures, with the JWK metadata that restricts its use.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4 (kty, use, key_ops, alg, kid)
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-6 (the members of each key type)
 */
export interface VerifyKey {
  readonly key: KeyObject;
  /** Tokens naming another `kid` are not verified with this key. A key without one serves any `kid`. */
  readonly kid?: string;
  /** The only algorithm this key may verify, when its JWK named one. */
  readonly alg?: string;
}

/** Longest `kid` looked up: a real key id is short; a long one is an attack on the lookup or the logs. */
export const MAX_KID_LENGTH = 256;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

// Only the public members reach createPublicKey, so extra members (x5c, x5u, ...) are never read.
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };
const CURVES: Readonly<Record<string, readonly string[]>> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519', 'Ed448'] };

/**
 * A public signing JWK as a `VerifyKey`, or the reason it cannot be one (a short fixed text for a
 * log or a configuration error; it never quotes the key). A JWK with private members is refused:
 * a verifier has no use for a private key, and one published in a JWK Set means the issuer leaked
 * it. Symmetric (`oct`) keys never come from a JWK; they are the `secret` option.
 */
export function importJwk(jwk: unknown): VerifyKey | string {
  if (!isJsonObject(jwk)) return 'a JWK must be a JSON object';
  const { kty, use, key_ops: ops, alg, kid } = jwk;
  if (kty === 'oct') return 'a symmetric ("oct") key; give HMAC secrets as the secret option';
  if (typeof kty !== 'string' || !Object.hasOwn(PUBLIC_MEMBERS, kty)) return 'kty must be "RSA", "EC" or "OKP"';
  if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(jwk, name))) return 'a private key; give the public key';
  // RFC 7517 §4.2–4.3: a key marked for encryption, or for operations other than verify, is not ours to use.
  if (use !== undefined && use !== 'sig') return 'use is not "sig"';
  if (ops !== undefined && (!Array.isArray(ops) || !ops.includes('verify'))) return 'key_ops does not include "verify"';
  if (alg !== undefined && typeof alg !== 'string') return 'alg must be a string';
  if (kid !== undefined && (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH)) return `kid must be a string of 1 to ${MAX_KID_LENGTH} characters`;
  const members: Record<string, unknown> = { kty };
  for (const name of PUBLIC_MEMBERS[kty]) {
    if (typeof jwk[name] !== 'string') return `member "${name}" is missing`;
    members[name] = jwk[name];
  }
  if (CURVES[kty] && !CURVES[kty].includes(members.crv as string)) return `crv must be one of ${CURVES[kty].join(', ')}`;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
  } catch {
    return 'not a valid public key';
  }
  const problem = publicKeyProblem(key);
  if (problem) return problem;
  return Object.freeze({ key, ...(kid !== undefined ? { kid: kid as string } : {}), ...(alg !== undefined ? { alg: alg as string } : {}) });
}

/** Why a public `KeyObject` cannot verify JWS signatures, or `undefined` when it can. */
export function publicKeyProblem(key: KeyObject): string | undefined {
  if (key.type !== 'public') return key.type === 'private' ? 'a private key; give the public key (createPublicKey(privateKey))' : 'a secret key; give HMAC secrets as the secret option';
  const type = key.asymmetricKeyType;
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return `an RSA key shorter than ${MIN_RSA_BITS} bits`;
  if (type === 'rsa' || type === 'ed25519' || type === 'ed448') return undefined;
  if (type === 'ec' && ['prime256v1', 'secp384r1', 'secp521r1'].includes(key.asymmetricKeyDetails?.namedCurve ?? '')) return undefined;
  return 'not an RSA, P-256/P-384/P-521 or Ed25519/Ed448 public key';
}

/** Whether `candidate` may verify a token signed with `alg`: its JWK `alg`, if any, is that one, and the key fits it. */
export function keyUsableFor(candidate: VerifyKey, alg: JwsAlgorithm): boolean {
  return (candidate.alg === undefined || candidate.alg === alg) && keyFitsAlgorithm(candidate.key, alg);
}

/** The JWK `alg` of a key names an algorithm this library knows (keys for others are never used). */
export function hasKnownAlgorithm(candidate: VerifyKey): boolean {
  return candidate.alg === undefined || isJwsAlgorithm(candidate.alg);
}

/**
 * The keys among `keys` that may have signed a token with this `kid` and `alg`: those with that
 * `kid`, or, when none has it, those without a `kid` (a key given without one serves any token);
 * for a token without `kid`, every key that fits.
 */
export function candidateKeys(keys: readonly VerifyKey[], kid: string | undefined, alg: JwsAlgorithm): readonly VerifyKey[] {
  const usable = keys.filter((candidate) => keyUsableFor(candidate, alg));
  if (kid === undefined) return usable;
  const named = usable.filter((candidate) => candidate.kid === kid);
  return named.length > 0 ? named : usable.filter((candidate) => candidate.kid === undefined);
}
