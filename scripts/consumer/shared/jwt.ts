// The consumer app's @JwtAuth class, with a local ES256 key made at start-up by node:crypto, and
// the access tokens the consumer test sends, signed here with node:crypto as an authorization
// server would (RFC 9068 `at+jwt`): the package verifies tokens it did not make, with no `jose`
// anywhere in the project.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { JwtAuth } from 'routing-controllers-httpauth';

export const JWT_ISSUER = 'https://issuer.consumer.test';
export const JWT_AUDIENCE = 'https://api.consumer.test';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

@JwtAuth({ issuer: JWT_ISSUER, audience: JWT_AUDIENCE, keys: publicKey, algorithms: ['ES256'], realm: 'consumer-jwt', cache: { ttl: 60 } })
export class ServiceAuth {}

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS, ES256 with this app's key, carrying `claims` over the defaults of a good token. */
export function mintToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: JWT_ISSUER, aud: JWT_AUDIENCE, sub: 'svc-reports', client_id: 'reports', scope: 'orders:read',
    iat: now, exp: now + 600, jti: randomUUID(), ...claims,
  };
  const input = `${segment({ alg: 'ES256', typ: 'at+jwt' })}.${segment(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** The tokens the consumer test sends with curl: one per line, `name token`. */
export function writeTokens(file: string): void {
  const tokens = {
    good: mintToken(),
    'wrong-audience': mintToken({ aud: 'https://other-api.consumer.test' }),
    'no-scope': mintToken({ scope: 'orders:write' }),
  };
  writeFileSync(file, Object.entries(tokens).map(([name, token]) => `${name} ${token}\n`).join(''));
}
