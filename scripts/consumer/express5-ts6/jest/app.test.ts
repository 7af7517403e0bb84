// A consumer's own test of its app: jest 30 + ts-jest with the jest.config.js of docs/setup.md,
// supertest against the routing-controllers app, Basic and JWT routes. Nothing is mocked.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { buildApp } from './app.js';
import { mintToken } from './jwt.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Basic', () => {
  it.each([
    { name: 'no credentials', authorization: undefined, status: 401, body: undefined },
    { name: 'wrong password', authorization: basic('alice', 'wrong'), status: 401, body: undefined },
    { name: 'right password', authorization: basic('alice', 'alice-pw'), status: 200, body: { user: 'alice' } },
  ])('$name → $status', async ({ authorization, status, body }) => {
    const app = await buildApp();
    const req = request(app).get('/api/me');
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.status).toBe(status);
    if (body) expect(res.body).toEqual(body);
    if (status === 401) expect(res.headers['www-authenticate']).toBe('Basic realm="consumer"');
  });

  it('a role the user lacks → 403, and one the user has → 200', async () => {
    const app = await buildApp();
    await request(app).get('/api/admin').set('Authorization', basic('bob', 'bob-pw')).expect(403);
    await request(app).get('/api/admin').set('Authorization', basic('alice', 'alice-pw')).expect(200, { admin: 'alice' });
  });
});

describe('JWT', () => {
  it('no token → 401 with a Bearer challenge', async () => {
    const res = await request(await buildApp()).get('/api/jwt');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="consumer-jwt"/);
  });

  it('a good token → 200 with its claims as @CurrentUser', async () => {
    const app = await buildApp();
    const token = mintToken();
    for (let i = 0; i < 2; i++) { // the second answer comes from the verified-token cache
      await request(app).get('/api/jwt').set('Authorization', `Bearer ${token}`).expect(200, { sub: 'svc-reports', client: 'reports' });
    }
  });

  it.each([
    ['another audience', { aud: 'https://other-api.consumer.test' }],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 120 }],
  ])('%s → 401 invalid_token', async (_name, claims) => {
    const res = await request(await buildApp()).get('/api/jwt').set('Authorization', `Bearer ${mintToken(claims)}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('a token without the route scope → 403 insufficient_scope', async () => {
    const res = await request(await buildApp()).get('/api/jwt').set('Authorization', `Bearer ${mintToken({ scope: 'orders:write' })}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope", scope="orders:read"');
  });

  it('Basic credentials do not open the JWT route', async () => {
    await request(await buildApp()).get('/api/jwt').set('Authorization', basic('alice', 'alice-pw')).expect(401);
  });
});
