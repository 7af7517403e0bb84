import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import type { TokenIssuer } from '../../src/issuer/types';
import { startServer, type TestServer } from '../keys/jwks-server';
import { AUDIENCE, ISSUER, makeIssuer } from './fixtures';

/**
 * The issuer's tokens, checked by verifiers this library did not write, each fetching the keys
 * from a local JWKS endpoint that serves `tokens.jwks()`: jose (panva), and Auth0's
 * express-oauth2-jwt-bearer in strict RFC 9068 mode (it checks `typ: at+jwt` and requires
 * `iss`, `sub`, `aud`, `exp`, `iat`, `jti` and `client_id`).
 */
describe.each([
  ['ES256', () => makeIssuer()],
  ['RS256', () => makeIssuer({ privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, alg: 'RS256' })],
  ['PS256', () => makeIssuer({ privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, alg: 'PS256' })],
] as const)('%s tokens from createTokenIssuer, verified by third-party RFC 9068 verifiers', (alg, makeTokens) => {
  let server: TestServer;
  let tokens: TokenIssuer;

  beforeAll(async () => {
    tokens = makeTokens();
    server = await startServer();
    server.jwks = tokens.jwks();
  });
  afterAll(() => server.close());

  /** An Express app protected by express-oauth2-jwt-bearer, echoing what it accepted. */
  const protectedApp = (strict: boolean) => {
    const app = express();
    app.use(auth({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.jwksUrl, tokenSigningAlg: alg, strict }));
    app.get('/api', (req, res) => {
      res.json({ sub: req.auth!.payload.sub, typ: req.auth!.header.typ, scope: req.auth!.payload.scope });
    });
    return app;
  };

  it('express-oauth2-jwt-bearer (strict) accepts a token with client_id, and sees typ at+jwt', async () => {
    const { access_token: token } = await tokens.issue('alice', { clientId: 'web-app', scope: 'read' });
    const res = await request(protectedApp(true)).get('/api').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'alice', typ: 'at+jwt', scope: 'read' });
  });

  it('express-oauth2-jwt-bearer accepts a refreshed token too (non-strict without client_id; strict needs client_id, which RFC 9068 requires)', async () => {
    const login = await tokens.issue('alice');
    const refreshed = await tokens.refresh(login.refresh_token);
    expect((await request(protectedApp(false)).get('/api').set('Authorization', `Bearer ${refreshed.access_token}`)).status).toBe(200);
    expect((await request(protectedApp(true)).get('/api').set('Authorization', `Bearer ${refreshed.access_token}`)).status).toBe(401);
  });

  it('express-oauth2-jwt-bearer refuses a refresh token, a token of another key, and no token', async () => {
    const pair = await tokens.issue('alice', { clientId: 'web-app' });
    const foreign = await makeIssuer().issue('alice', { clientId: 'web-app' });
    const app = protectedApp(true);
    expect((await request(app).get('/api').set('Authorization', `Bearer ${pair.refresh_token}`)).status).toBe(401);
    expect((await request(app).get('/api').set('Authorization', `Bearer ${foreign.access_token}`)).status).toBe(401);
    expect((await request(app).get('/api')).status).toBe(401);
  });

  it('jose with a remote JWK Set verifies it as an at+jwt access token', async () => {
    const { access_token: token } = await tokens.issue('alice', { clientId: 'web-app', fresh: true });
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(server.jwksUrl)), {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: [alg],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    });
    expect(protectedHeader).toMatchObject({ alg, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'web-app', fresh: true });
  });
});
