/**
 * express-jwt-*: express-jwt (jsonwebtoken) on the routing-controllers app (`@UseBefore`), ES256,
 * the same issuer and audience, with the bench key as a `KeyObject` (BENCH_JWT_KEYS=local) or
 * through jwks-rsa's `expressJwtSecret` from the runner's JWKS server (remote; its cache on, warm).
 */
import 'reflect-metadata';
import { expressjwt } from 'express-jwt';
import { expressJwtSecret } from 'jwks-rsa';
import { JWT_AUDIENCE, JWT_ISSUER, jwksUrl, PUBLIC_KEY } from '../lib/jwt-fixtures';
import { serveWithMiddleware } from '../lib/middleware-app';

const remote = process.env.BENCH_JWT_KEYS === 'remote';
serveWithMiddleware(
  expressjwt({
    secret: remote ? expressJwtSecret({ jwksUri: jwksUrl(), cache: true, rateLimit: true }) : PUBLIC_KEY,
    algorithms: ['ES256'],
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
  }),
);
