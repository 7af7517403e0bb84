import { createHash, createPrivateKey, createPublicKey, hkdfSync, KeyObject, type JsonWebKey } from 'node:crypto';
import { configError } from '../config';
import type { JwtKeysConfig } from '../keys/key-source';
import { resolveSecret } from '../keys/local';
import { isJwsAlgorithm, isSymmetric, JWS_ALGORITHMS, minimumSecretBytes, signingKeyFitsAlgorithm, type JwsAlgorithm } from '../schemes/jwt/algorithms';
import { MAX_KID_LENGTH } from '../schemes/jwt/jwk';

/**
 * A public JWK as `jwks()` publishes it: the key type and public members, and these three.
 * @example
 * ```ts
 * const [key]: readonly PublicJwk[] = tokens.jwks().keys; // { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' }
 * ```
 */
export interface PublicJwk extends JsonWebKey {
  /** The key id, as in the tokens' `kid` header. */
  readonly kid: string;
  /** The one algorithm the key signs with. */
  readonly alg: string;
  /** Always `'sig'`: a signing key. */
  readonly use: 'sig';
}

/** The signing side of the issuer, resolved once. */
export interface SigningKey {
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
  readonly kid?: string;
  /** The public JWK (asymmetric keys only). */
  readonly publicJwk?: PublicJwk;
  /** What `createKeySource` needs to verify the issuer's tokens: the public key, or the secret. */
  readonly verification: JwtKeysConfig;
  /** Input keying material for the keys derived with HKDF (refresh-token hashes, subject keys). */
  readonly material: Buffer;
}

const ASYMMETRIC = JWS_ALGORITHMS.filter((alg) => !isSymmetric(alg));
const SYMMETRIC = JWS_ALGORITHMS.filter((alg) => isSymmetric(alg));

/**
 * `privateKey` (+ `alg`, `kid`) or `secret` (+ `alg`, `kid`): exactly one, checked against the
 * algorithm now, so a mistake fails at start-up.
 */
export function resolveSigningKey(o: Record<string, unknown>, where: string): SigningKey {
  if ((o.privateKey === undefined) === (o.secret === undefined)) {
    configError(where, o.privateKey === undefined ? 'a signing key is required: set privateKey (a private JWK or KeyObject) or secret (HS256, at least 32 bytes)' : 'privateKey and secret are alternatives; set only one of them');
  }
  if (o.kid !== undefined && (typeof o.kid !== 'string' || o.kid === '' || o.kid.length > MAX_KID_LENGTH)) configError(where, `kid must be a string of 1 to ${MAX_KID_LENGTH} characters`);
  return o.secret !== undefined ? fromSecret(o, where) : fromPrivateKey(o, where);
}

function fromSecret(o: Record<string, unknown>, where: string): SigningKey {
  const alg = resolveAlg(o.alg, 'HS256', SYMMETRIC, where, 'with secret');
  const verifyKey = resolveSecret(o.secret, where);
  if (verifyKey.key.symmetricKeySize! < minimumSecretBytes(alg)) configError(where, `${alg} needs a secret of at least ${minimumSecretBytes(alg)} bytes`);
  const kid = o.kid as string | undefined;
  const key = verifyKey.key;
  return Object.freeze({
    alg,
    key,
    ...(kid !== undefined ? { kid } : {}),
    verification: Object.freeze({ kind: 'secret', key: Object.freeze({ key, alg, ...(kid !== undefined ? { kid } : {}) }) }),
    material: key.export(),
  });
}

function fromPrivateKey(o: Record<string, unknown>, where: string): SigningKey {
  const { key, jwk } = importPrivateKey(o.privateKey, where);
  if (jwk?.alg !== undefined && o.alg !== undefined && jwk.alg !== o.alg) configError(where, `alg is ${String(o.alg)} but the JWK says ${String(jwk.alg)}; make them agree`);
  const alg = resolveAlg(o.alg ?? jwk?.alg, 'ES256', ASYMMETRIC, where, 'with privateKey');
  if (!signingKeyFitsAlgorithm(key, alg)) {
    configError(where, `privateKey cannot sign ${alg} (ES256: a P-256 key, ES384: P-384, ES512: P-521, RS*/PS*: RSA of at least 2048 bits, EdDSA: Ed25519 or Ed448); give a matching key or alg`);
  }
  const publicKey = createPublicKey(key);
  const exported = publicKey.export({ format: 'jwk' });
  const kidOption = (o.kid as string | undefined) ?? (typeof jwk?.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined);
  const kid = kidOption ?? thumbprint(exported);
  const publicJwk: PublicJwk = Object.freeze({ ...exported, kid, alg, use: 'sig' as const });
  const privateJwk = key.export({ format: 'jwk' });
  return Object.freeze({
    alg,
    key,
    kid,
    publicJwk,
    verification: Object.freeze({ kind: 'keys', keys: Object.freeze([Object.freeze({ key: publicKey, kid, alg })]) }),
    // The private JWK's members, not a DER export: instances loading one key from PEM and from a
    // JWK get different DER bytes, but the same JWK, so they derive the same hash keys.
    material: Buffer.from(JSON.stringify([privateJwk.kty, privateJwk.crv ?? '', privateJwk.d]), 'utf8'),
  });
}

function importPrivateKey(value: unknown, where: string): { key: KeyObject; jwk?: Record<string, unknown> } {
  if (value instanceof KeyObject) {
    if (value.type !== 'private') configError(where, value.type === 'public' ? 'privateKey is a public key; the issuer signs, so it needs the private key' : 'privateKey is a secret key; give HMAC secrets as the secret option');
    return { key: value };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) configError(where, 'privateKey must be a private JWK (an object with "d") or a private KeyObject (crypto.createPrivateKey)');
  const jwk = value as Record<string, unknown>;
  if (jwk.kty === 'oct') configError(where, 'privateKey is a symmetric ("oct") JWK; give HMAC secrets as the secret option');
  if (typeof jwk.d !== 'string') configError(where, 'privateKey is a JWK without "d": a public key; the issuer needs the private key');
  if (jwk.use !== undefined && jwk.use !== 'sig') configError(where, 'privateKey: the JWK\'s use is not "sig"');
  if (jwk.key_ops !== undefined && (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes('sign'))) configError(where, 'privateKey: the JWK\'s key_ops do not include "sign"');
  try {
    return { key: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }), jwk };
  } catch {
    return configError(where, 'privateKey is not a valid private JWK');
  }
}

function resolveAlg(value: unknown, fallback: JwsAlgorithm, allowed: readonly JwsAlgorithm[], where: string, context: string): JwsAlgorithm {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && value.toLowerCase() === 'none') configError(where, 'alg must not be "none": the tokens would be unsigned');
  if (!isJwsAlgorithm(value) || !allowed.includes(value)) configError(where, `alg ${JSON.stringify(value)} is not available ${context} (one of ${allowed.join(', ')})`);
  return value;
}

/** The JWK thumbprint (RFC 7638 §3): SHA-256 of the required public members in lexicographic order. */
function thumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

// Fixed, public labels: the keys differ per purpose (RFC 5869 §3.2, "info").
const SALT = Buffer.from('routing-controllers-httpauth token issuer v1', 'utf8');

/** A 256-bit key for one purpose, the same on every instance holding the same signing key or secret. */
export function deriveKey(material: Buffer, purpose: 'refresh-token' | 'subject'): Buffer {
  return Buffer.from(hkdfSync('sha256', material, SALT, purpose, 32));
}
