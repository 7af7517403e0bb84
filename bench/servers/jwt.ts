/**
 * jwt-*: this library, `@JwtAuth` (ES256, `at+jwt`) with the bench key given locally
 * (BENCH_JWT_KEYS=local) or fetched from the runner's JWKS server (BENCH_JWT_KEYS=remote; warm:
 * the runner sends one request before measuring). BENCH_CACHE=1 adds the verified-token cache.
 */
import 'reflect-metadata';
import { JwtAuth, type JwtAuthOptions } from '../../src';
import { JWT_AUDIENCE, JWT_ISSUER, jwksUrl, PUBLIC_JWK } from '../lib/jwt-fixtures';
import { serveProtected } from '../lib/protected-app';

const remote = process.env.BENCH_JWT_KEYS === 'remote';
const options: JwtAuthOptions = {
  issuer: JWT_ISSUER,
  audience: JWT_AUDIENCE,
  algorithms: ['ES256'],
  ...(remote ? { jwksUri: jwksUrl() } : { keys: { keys: [PUBLIC_JWK] } }),
  ...(process.env.BENCH_CACHE === '1' ? { cache: { ttl: 300, max: 10_000 } } : {}),
};

@JwtAuth(options)
class ApiAuth {}

serveProtected(new ApiAuth());
