import type { KeyObject } from 'node:crypto';
import { createSignature, type JwsAlgorithm } from './algorithms';
import type { JsonObject } from './compact';

/**
 * A JWS in the Compact Serialization (RFC 7515 §7.1), the form `parseCompactJws` reads back:
 *
 *   BASE64URL(UTF8(JWS Protected Header)) || '.' || BASE64URL(JWS Payload) || '.' || BASE64URL(JWS Signature)
 *
 * Node's base64url encoder writes the canonical spelling (no padding, no line breaks), so the
 * issuer's tokens pass the verifier's canonical-form check.
 */
export function signCompactJws(header: JsonObject, payload: JsonObject, alg: JwsAlgorithm, key: KeyObject): string {
  const signingInput = `${encode(header)}.${encode(payload)}`;
  return `${signingInput}.${createSignature(alg, key, Buffer.from(signingInput, 'latin1')).toString('base64url')}`;
}

const encode = (value: JsonObject): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
