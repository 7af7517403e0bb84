import { constants, createHmac, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { timingSafeEqual } from '../../internal/timing-safe-equal';

/**
 * The JWS algorithms this library verifies, with `node:crypto` only.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1 (the "alg" values)
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1 (EdDSA)
 * @see https://www.rfc-editor.org/rfc/rfc9864 (the fully specified "Ed25519")
 *
 * `none` is not in the table: it can never be allowed. Names are case-sensitive (RFC 7515
 * §4.1.1), so `NONE`, `noNE` or `rs256` are simply unknown.
 */
export type JwsAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519';

type Family = 'hmac' | 'rsa' | 'rsa-pss' | 'ec' | 'eddsa';

interface AlgorithmSpec {
  readonly family: Family;
  /** Node's digest name; none for EdDSA, which hashes internally. */
  readonly hash?: 'sha256' | 'sha384' | 'sha512';
  /** Digest length in bytes: the PSS salt length (RFC 7518 §3.5) and the least HMAC key size (§3.2). */
  readonly hashBytes?: number;
  /** ECDSA: Node's curve name and the length of R || S (RFC 7518 §3.4). */
  readonly curve?: string;
  readonly signatureBytes?: number;
  /** EdDSA: the key types it accepts. */
  readonly okp?: readonly string[];
}

const ALGORITHMS: ReadonlyMap<string, AlgorithmSpec> = new Map<JwsAlgorithm, AlgorithmSpec>([
  ['HS256', { family: 'hmac', hash: 'sha256', hashBytes: 32 }],
  ['HS384', { family: 'hmac', hash: 'sha384', hashBytes: 48 }],
  ['HS512', { family: 'hmac', hash: 'sha512', hashBytes: 64 }],
  ['RS256', { family: 'rsa', hash: 'sha256', hashBytes: 32 }],
  ['RS384', { family: 'rsa', hash: 'sha384', hashBytes: 48 }],
  ['RS512', { family: 'rsa', hash: 'sha512', hashBytes: 64 }],
  ['PS256', { family: 'rsa-pss', hash: 'sha256', hashBytes: 32 }],
  ['PS384', { family: 'rsa-pss', hash: 'sha384', hashBytes: 48 }],
  ['PS512', { family: 'rsa-pss', hash: 'sha512', hashBytes: 64 }],
  ['ES256', { family: 'ec', hash: 'sha256', curve: 'prime256v1', signatureBytes: 64 }],
  ['ES384', { family: 'ec', hash: 'sha384', curve: 'secp384r1', signatureBytes: 96 }],
  ['ES512', { family: 'ec', hash: 'sha512', curve: 'secp521r1', signatureBytes: 132 }],
  ['EdDSA', { family: 'eddsa', okp: ['ed25519', 'ed448'] }],
  ['Ed25519', { family: 'eddsa', okp: ['ed25519'] }],
]);

/** Every supported name, in table order. */
export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze([...ALGORITHMS.keys()] as JwsAlgorithm[]);

/** RSA keys below this size are refused (RFC 7518 §3.3: "2048 bits or larger MUST be used"). */
export const MIN_RSA_BITS = 2048;

/** Exact, case-sensitive membership; never reads inherited properties such as `constructor`. */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && ALGORITHMS.has(value);
}

/** HS256/384/512: the key is a shared secret, never a public key. */
export function isSymmetric(alg: JwsAlgorithm): boolean {
  return ALGORITHMS.get(alg)!.family === 'hmac';
}

/** The least HMAC key size for `alg`, in bytes (RFC 7518 §3.2: at least the hash output). */
export function minimumSecretBytes(alg: JwsAlgorithm): number {
  return ALGORITHMS.get(alg)!.hashBytes!;
}

/**
 * Whether `key` may verify `alg`: the key type matches the algorithm family (an RSA public key
 * is never an HMAC secret, an EC key never verifies RS256), RSA keys have at least 2048 bits, EC
 * keys are on the algorithm's curve, HMAC secrets are at least as long as the hash.
 */
export function keyFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  const spec = ALGORITHMS.get(alg);
  if (!spec) return false;
  if (spec.family === 'hmac') return key.type === 'secret' && (key.symmetricKeySize ?? 0) >= spec.hashBytes!;
  if (key.type !== 'public') return false;
  const details = key.asymmetricKeyDetails;
  switch (spec.family) {
    case 'rsa':
    case 'rsa-pss':
      return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'ec':
      return key.asymmetricKeyType === 'ec' && details?.namedCurve === spec.curve;
    case 'eddsa':
      return spec.okp!.includes(key.asymmetricKeyType ?? '');
  }
}

/**
 * Whether `signature` is `alg`'s signature of `signingInput` under `key`. Refuses a key that does
 * not fit `alg` (the HS256-with-an-RSA-public-key confusion), never throws.
 */
export function verifySignature(alg: JwsAlgorithm, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  if (!keyFitsAlgorithm(key, alg)) return false;
  const spec = ALGORITHMS.get(alg)!;
  try {
    switch (spec.family) {
      case 'hmac':
        return timingSafeEqual(signature, createHmac(spec.hash!, key).update(signingInput).digest());
      case 'rsa':
        return verify(spec.hash!, signingInput, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return verify(spec.hash!, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes! }, signature);
      case 'ec':
        // JWS carries R || S of fixed length (RFC 7518 §3.4), not DER: any other length is not a signature.
        return signature.length === spec.signatureBytes && verify(spec.hash!, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'eddsa':
        return verify(null, signingInput, key, signature);
    }
  } catch {
    return false;
  }
}

/**
 * Whether `key` may sign `alg` (for the token issuer): a secret of at least the hash size for
 * HS*, else a private key whose public half fits `alg` as {@link keyFitsAlgorithm} says (RSA
 * of 2048 bits or more, the algorithm's curve, Ed25519/Ed448 for EdDSA).
 */
export function signingKeyFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  if (isSymmetric(alg)) return keyFitsAlgorithm(key, alg);
  return key.type === 'private' && keyFitsAlgorithm(createPublicKey(key), alg);
}

/**
 * `alg`'s signature of `signingInput` under `key`, in the form JWS carries (R || S for ECDSA,
 * RFC 7518 §3.4). The key must fit (checked once, when the issuer is created).
 */
export function createSignature(alg: JwsAlgorithm, key: KeyObject, signingInput: Buffer): Buffer {
  const spec = ALGORITHMS.get(alg)!;
  switch (spec.family) {
    case 'hmac':
      return createHmac(spec.hash!, key).update(signingInput).digest();
    case 'rsa':
      return sign(spec.hash!, signingInput, { key, padding: constants.RSA_PKCS1_PADDING });
    case 'rsa-pss':
      return sign(spec.hash!, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes! });
    case 'ec':
      return sign(spec.hash!, signingInput, { key, dsaEncoding: 'ieee-p1363' });
    case 'eddsa':
      return sign(null, signingInput, key);
  }
}
