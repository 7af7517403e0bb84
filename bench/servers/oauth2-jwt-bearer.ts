/**
 * oauth2-jwt-bearer-*: Auth0's express-oauth2-jwt-bearer `auth()` on the routing-controllers app
 * (`@UseBefore`), ES256, the same issuer and audience, with the bench key given as `publicKey`
 * (BENCH_JWT_KEYS=local) or fetched from the runner's JWKS server (remote; warm).
 */
import 'reflect-metadata';
import { auth } from 'express-oauth2-jwt-bearer';
import { JWKS, JWT_AUDIENCE, JWT_ISSUER, jwksUrl } from '../lib/jwt-fixtures';
import { serveWithMiddleware } from '../lib/middleware-app';

const remote = process.env.BENCH_JWT_KEYS === 'remote';
serveWithMiddleware(
  auth({
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    tokenSigningAlg: 'ES256',
    ...(remote ? { jwksUri: jwksUrl() } : { publicKey: JWKS }),
  }),
);
