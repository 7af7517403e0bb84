/**
 * What the JWT variants agree on: one ES256 key (a bench-only key, committed on purpose), the
 * issuer and audience, and the access token every JWT variant is loaded with. The token is signed
 * here with node:crypto (no library of the comparison), as an `at+jwt` (RFC 9068) valid for a day
 * from when the runner loads this module. The servers only need the public half.
 */
import { createPrivateKey, createPublicKey, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

export const JWT_ISSUER = 'https://issuer.bench.test/';
export const JWT_AUDIENCE = 'https://api.bench.test';
export const JWT_KID = 'bench-es256';

const PRIVATE_JWK: JsonWebKey = {
  kty: 'EC',
  crv: 'P-256',
  x: 'pG_5xed594j85G9M4L-xpyf1n8y7gX9uAu2T1bBbQVo',
  y: 'adBm_vl219LE90_izCyErgN_0XH3c39Q0VVS2HvCy_w',
  d: 'v6G6I5l8varsHH8HI5_9eemBTurD00cUICobzoFYpuA',
};

/** The public key as a JWK, with the `kid`, `alg` and `use` an issuer's JWK Set carries. */
export const PUBLIC_JWK: JsonWebKey = { kty: 'EC', crv: 'P-256', x: PRIVATE_JWK.x, y: PRIVATE_JWK.y, kid: JWT_KID, alg: 'ES256', use: 'sig' };
export const PUBLIC_KEY: KeyObject = createPublicKey({ key: PUBLIC_JWK, format: 'jwk' });
/** What the JWKS server of the remote variants answers (bench/lib/jwks-server.ts). */
export const JWKS = { keys: [PUBLIC_JWK] };

/** Env variable through which the runner tells the servers where its JWKS server listens. */
export const JWKS_URL_ENV = 'BENCH_JWKS_URL';

export function jwksUrl(): string {
  const url = process.env[JWKS_URL_ENV];
  if (!url) throw new Error(`${JWKS_URL_ENV} is not set: the runner starts the JWKS server and sets it`);
  return url;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `claims` as a compact JWS, ES256 with the bench key. */
export function signJwt(claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: JWT_KID })}.${b64(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey({ key: PRIVATE_JWK, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const now = Math.floor(Date.now() / 1000);
/** The token of every JWT variant: one client repeating its token, as an API client does. */
export const JWT_TOKEN = signJwt({
  iss: JWT_ISSUER, aud: JWT_AUDIENCE, sub: 'client-7', client_id: 'client-7', scope: 'hello:read',
  iat: now, exp: now + 86_400, jti: randomUUID(),
});
