import { constants, createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

/** Test keys, made once per test file. */
export function makeKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    rsa,
    rsa2: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    rsaSmall: generateKeyPairSync('rsa', { modulusLength: 1024 }),
    ec,
    ec2: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    ec384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    ec521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
    ed25519: generateKeyPairSync('ed25519'),
    ed448: generateKeyPairSync('ed448'),
  };
}

export type Keys = ReturnType<typeof makeKeys>;

/** A public JWK with kid (and alg, when given). */
export function publicJwk(key: KeyObject, kid?: string, alg?: string): Record<string, unknown> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return { ...pub.export({ format: 'jwk' }), ...(kid !== undefined ? { kid } : {}), ...(alg !== undefined ? { alg } : {}), use: 'sig' };
}

export const b64 = (value: string | Buffer | object): string =>
  Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString('base64url');

/** Signs `header.payload` (already-encoded segments) by hand, for tokens no library would produce. */
export function signSegments(alg: string, key: KeyObject | Buffer, headerSegment: string, payloadSegment: string): string {
  const input = Buffer.from(`${headerSegment}.${payloadSegment}`);
  let signature: Buffer;
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('HS')) signature = createHmac(hash, key).update(input).digest();
  else if (alg.startsWith('RS')) signature = sign(hash, input, key as KeyObject);
  else if (alg.startsWith('PS')) signature = sign(hash, input, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  else if (alg.startsWith('ES')) signature = sign(hash, input, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign(null, input, key as KeyObject);
  return `${headerSegment}.${payloadSegment}.${signature.toString('base64url')}`;
}

/** Signs JSON header and payload objects by hand. */
export function signRaw(key: KeyObject | Buffer, header: Record<string, unknown>, payload: unknown): string {
  return signSegments(header.alg as string, key, b64(header), b64(payload as object));
}

export const ISSUER = 'https://id.example.test';
export const AUDIENCE = 'https://api.example.test';

/** Claims of a valid access token at `now` (seconds). */
export function accessClaims(now: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'client-1', client_id: 'client-1', iat: now, exp: now + 300, jti: 'id-1', scope: 'articles:read', ...extra };
}

/** A token signed by jose, an independent implementation. */
export async function joseToken(key: KeyObject | Uint8Array, header: { alg: string; kid?: string; typ?: string; [name: string]: unknown }, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ typ: 'at+jwt', ...header }).sign(key);
}
