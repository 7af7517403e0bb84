import { createSecretKey, KeyObject } from 'node:crypto';
import { configError } from '../config';
import { candidateKeys, importJwk, publicKeyProblem, type VerifyKey } from '../schemes/jwt/jwk';
import type { KeySource } from '../schemes/jwt/verify';

/** HMAC secrets shorter than this are refused (RFC 7518 §3.2: at least the hash size, 256 bits for HS256). */
export const MIN_SECRET_BYTES = 32;

/**
 * The `keys` option: a JWK Set (`{ keys: [...] }`), one JWK, a `KeyObject`, or an array of JWKs
 * and `KeyObject`s — public keys only. Every key is checked now (type, size, curve, `use`), so a
 * mistake fails at start-up rather than on the first request.
 */
export function resolveLocalKeys(value: unknown, where: string): readonly VerifyKey[] {
  let list: unknown[];
  let label: (index: number) => string;
  if (Array.isArray(value)) {
    list = value;
    label = (index) => `keys[${index}]`;
  } else if (value !== null && typeof value === 'object' && !(value instanceof KeyObject) && 'keys' in value) {
    const set = (value as { keys: unknown }).keys;
    if (!Array.isArray(set)) configError(where, 'keys must be a JWK Set ({ keys: [...] }), a JWK, a KeyObject or an array of them');
    list = set;
    label = (index) => `keys.keys[${index}]`;
  } else {
    list = [value];
    label = () => 'keys';
  }
  if (list.length === 0) configError(where, 'keys is empty; give at least one public key');
  const keys = list.map((item, index) => {
    const imported = item instanceof KeyObject ? fromKeyObject(item) : importJwk(item);
    if (typeof imported === 'string') configError(where, `${label(index)} cannot verify tokens: ${imported}`);
    return imported;
  });
  return Object.freeze(keys);
}

function fromKeyObject(key: KeyObject): VerifyKey | string {
  const problem = publicKeyProblem(key);
  return problem ?? Object.freeze({ key });
}

/** The `secret` option: a string (its UTF-8 bytes), bytes, or a secret `KeyObject`, of at least 32 bytes. */
export function resolveSecret(value: unknown, where: string): VerifyKey {
  let key: KeyObject;
  if (value instanceof KeyObject) {
    if (value.type !== 'secret') configError(where, 'secret must be a shared secret (string, bytes or a secret KeyObject); give public keys as the keys option');
    key = value;
  } else if (typeof value === 'string' || value instanceof Uint8Array) {
    key = createSecretKey(typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value));
  } else {
    configError(where, 'secret must be a string, a Buffer/Uint8Array or a secret KeyObject');
  }
  if ((key.symmetricKeySize ?? 0) < MIN_SECRET_BYTES) configError(where, `secret must be at least ${MIN_SECRET_BYTES} bytes (e.g. crypto.randomBytes(32).toString('base64url'))`);
  return Object.freeze({ key });
}

/** Keys held in memory: every lookup is answered synchronously, whatever the issuer. */
export function createLocalKeySource(keys: readonly VerifyKey[]): KeySource {
  return { keysFor: (_issuer, kid, alg) => candidateKeys(keys, kid, alg) };
}
