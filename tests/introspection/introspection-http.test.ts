/**
 * Issue 17 §3 through HTTP on both drivers: the red-team rows against an introspection endpoint
 * the test controls (a local HTTP server: down, slow, HTML, nonsense, huge, expired, bound…), the
 * cache (never past exp, negative answers, single flight, clearCache, Redis-shared clearing), and
 * what @IntrospectionAuth shares with the other classes: scopes, roles, optional, MultiAuth with
 * Basic, audit events, OpenAPI, the Bearer challenge and RFC 9728 metadata.
 */
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetUserRoles,
  IntrospectionAuth,
  LoginRequired,
  VerifyClaims,
  VerifyPassword,
  type Action,
  type AuthEvent,
  type AuthFailureStatus,
  type IntrospectionAuthOptions,
  type JwtClaims,
} from '../../src';
import { basicHeader, challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { sleep, type TestServer } from '../keys/jwks-server';
import { endpoint, json, type Reply } from './endpoint';
import { connectClient, until } from '../redis-clients';
import { describeWithRedis, REDIS_URL } from '../redis';

jest.setTimeout(30_000);

const ISSUER = 'https://id.example.test';
const AUDIENCE = 'orders-api';
const RESOURCE = 'https://api.example.test';
const METADATA = 'https://api.example.test/.well-known/oauth-protected-resource';
const TOKEN = 'opaque-token-Zq8xV3kP0wL2mN7rT5yU';
const now = () => Math.floor(Date.now() / 1000);

/** A valid active response for TOKEN, with `extra` merged in. */
const active = (extra: Record<string, unknown> = {}) => ({ active: true, iss: ISSUER, aud: AUDIENCE, exp: now() + 300, iat: now(), scope: 'orders:read', sub: 'alice', client_id: 'shop', token_type: 'Bearer', ...extra });

function build(makeApp: (typeof DRIVERS)[number][1], url: string, extra: Partial<IntrospectionAuthOptions> = {}) {
  @IntrospectionAuth({ endpoint: url, clientId: 'orders-api', clientSecret: 'rs secret:1', issuer: ISSUER, audience: AUDIENCE, realm: 'api', resource: RESOURCE, ...extra })
  class ApiAuth {
    @VerifyClaims() verify(response: JwtClaims) {
      return response.sub === 'mallory' ? null : { sub: response.sub, roles: response.roles };
    }
    @GetUserRoles() roles(user: { roles?: string[] }) {
      return user.roles ?? [];
    }
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }

  @BasicAuth({ realm: 'users' })
  class UserAuth {
    @VerifyPassword() verify(username: string, password: string) {
      return username === 'bob' && password === 'pw' ? { sub: 'bob' } : null;
    }
  }

  @JsonController('/orders')
  class OrdersController {
    @Get('/') @LoginRequired({ auth: ApiAuth, scope: 'orders:read' }) list(@CurrentUser() user: { sub: string }) {
      return { sub: user.sub };
    }
    @Get('/write') @LoginRequired({ auth: ApiAuth, scope: 'orders:write' }) write() {
      return { ok: true };
    }
    @Get('/admin') @LoginRequired({ auth: ApiAuth, role: 'admin' }) admin() {
      return { ok: true };
    }
    @Get('/maybe') @LoginRequired({ auth: ApiAuth, optional: true }) maybe(@CurrentUser() user?: { sub: string }) {
      return { sub: user?.sub ?? null };
    }
    @Get('/either') @LoginRequired({ auth: [ApiAuth, UserAuth] }) either(@CurrentUser() user: { sub: string }) {
      return { sub: user.sub };
    }
  }
  const logger = recordingLogger();
  const events: AuthEvent[] = [];
  const auth = createAuthCheckers([ApiAuth, UserAuth], { logger, onEvent: (event) => void events.push(event), controllers: [OrdersController] });
  return { app: makeApp([OrdersController], auth), auth, logger, events, ApiAuth, OrdersController };
}

const invalidToken = (description: string) => `Bearer realm="api", error="invalid_token", error_description="${description}", resource_metadata="${METADATA}"`;

/** One red-team row: what the endpoint answers, and what the client must get. */
interface Row {
  readonly name: string;
  readonly reply: Reply;
  readonly status: number;
  readonly reason?: string;
  readonly challenge?: string;
  readonly token?: string;
  /** Whether the endpoint is asked at all. */
  readonly asked?: boolean;
}

const ROWS: readonly Row[] = [
  { name: 'control: an active token for this audience and issuer', reply: json(active()), status: 200 },
  { name: 'active: false', reply: json({ active: false }), status: 401, reason: 'inactive', challenge: invalidToken('the token is not active') },
  { name: 'active: true with an expired exp', reply: json(active({ exp: now() - 60 })), status: 401, reason: 'expired', challenge: invalidToken('the token has expired') },
  { name: 'active: true without exp', reply: json(active({ exp: undefined })), status: 401, reason: 'exp_missing' },
  { name: 'active: true with nbf in the future', reply: json(active({ nbf: now() + 600 })), status: 401, reason: 'not_yet_valid' },
  { name: 'a wrong aud', reply: json(active({ aud: 'another-api' })), status: 401, reason: 'audience_not_allowed', challenge: invalidToken('the token is not meant for this resource (aud)') },
  { name: 'no aud', reply: json(active({ aud: undefined })), status: 401, reason: 'audience_not_allowed' },
  { name: 'a wrong iss', reply: json(active({ iss: 'https://evil.example.test' })), status: 401, reason: 'issuer_not_allowed' },
  { name: 'DPoP-bound (cnf.jkt)', reply: json(active({ cnf: { jkt: 'x4-thumbprint' } })), status: 401, reason: 'token_bound', challenge: invalidToken('the token is bound to a key and cannot be used as a bearer token') },
  { name: 'token_type: DPoP', reply: json(active({ token_type: 'DPoP' })), status: 401, reason: 'token_bound' },
  { name: 'certificate-bound (cnf["x5t#S256"])', reply: json(active({ cnf: { 'x5t#S256': 'cert-thumbprint' } })), status: 401, reason: 'token_bound' },
  { name: 'token_type: refresh_token', reply: json(active({ token_type: 'refresh_token' })), status: 401, reason: 'token_type_not_allowed' },
  { name: 'a scope that is not a string', reply: json(active({ scope: 42 })), status: 401, reason: 'scope_invalid' },
  { name: '@VerifyClaims refuses the response', reply: json(active({ sub: 'mallory' })), status: 401, reason: null as unknown as string },
  { name: 'active: "true" (a string)', reply: json({ ...active(), active: 'true' }), status: 503 },
  { name: 'no active member', reply: json({ ...active(), active: undefined }), status: 503 },
  { name: 'an array', reply: json([active()]), status: 503 },
  { name: 'HTML (text/html)', reply: json('<html><body>Login</body></html>', 200, 'text/html'), status: 503 },
  { name: 'HTML labelled application/json', reply: json('<html><body>Login</body></html>'), status: 503 },
  { name: 'HTTP 500', reply: json({ error: 'server_error' }, 500), status: 503 },
  { name: 'HTTP 401 (the client credentials are wrong)', reply: json({ error: 'invalid_client' }, 401), status: 503 },
  {
    name: 'a redirect',
    reply: (_req, res) => {
      res.writeHead(302, { location: 'https://evil.example.test/introspect' });
      res.end();
    },
    status: 503,
  },
  { name: 'a 10 KB token', reply: json(active()), status: 400, reason: 'token_too_large', token: 'a'.repeat(10_240), asked: false },
];

describe.each(DRIVERS)('@IntrospectionAuth through HTTP (%s)', (_driver, makeApp) => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  async function withEndpoint(reply: Reply) {
    const ep = await endpoint(reply);
    servers.push(ep.server);
    return ep;
  }

  describe('red team', () => {
    it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const ep = await withEndpoint(row.reply);
      const { app, logger, events } = build(makeApp, ep.url);
      const token = row.token ?? TOKEN;
      const res = await request(app).get('/orders').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(row.status);
      if (row.status === 200) expect(res.body).toEqual({ sub: 'alice' });
      if (row.reason !== undefined) expect(res.body).toEqual({ status: row.status, reason: row.reason });
      if (row.challenge) expect(challengeFields(res)).toEqual([row.challenge]);
      if (row.status === 503) {
        expect(challengeFields(res)).toEqual([]);
        expect(res.headers['retry-after']).toBe('1');
        expect(logger.lines()).toEqual([expect.stringMatching(/^http-auth: ApiAuth: the introspection endpoint http:\/\/127\.0\.0\.1:\d+\/introspect .+; bearer tokens are refused with 503 until it answers$/)]);
        await sleep(10);
        expect(events).toEqual([expect.objectContaining({ type: 'error', kind: 'introspection', reason: 'introspection_unavailable', status: 503 })]);
      } else {
        expect(logger.lines()).toEqual([]);
      }
      if (row.status === 401 && row.reason) {
        await sleep(10);
        expect(events).toEqual([expect.objectContaining({ type: 'rejected', kind: 'introspection', reason: row.reason, status: 401 })]);
      }
      expect(ep.seen).toHaveLength(row.asked === false ? 0 : 1);
      // The token goes to the endpoint, and nowhere else: not into a log line, not into an event.
      if (row.asked !== false) expect(new URLSearchParams(ep.seen[0].body).get('token')).toBe(token);
      expect(logger.lines().join('\n')).not.toContain(token);
      expect(JSON.stringify(events)).not.toContain(token);
    });

    it('endpoint down (connection refused): 503 in well under 1 s, one log line for many requests', async () => {
      const ep = await withEndpoint(json(active()));
      await ep.server.close();
      servers.splice(servers.indexOf(ep.server), 1);
      const { app, logger } = build(makeApp, ep.url);
      const started = Date.now();
      const answers = await Promise.all([1, 2, 3].map(() => request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)));
      expect(Date.now() - started).toBeLessThan(1000);
      expect(answers.map((res) => res.status)).toEqual([503, 503, 503]);
      expect(logger.lines()).toEqual([expect.stringContaining('introspect could not be reached; bearer tokens are refused with 503 until it answers')]);
      expect(logger.lines().join('\n')).not.toContain(TOKEN);
    });

    it('endpoint slow (never answers): 503 at the 1 s default deadline, never an admission; a late answer changes nothing', async () => {
      const held: ServerResponse[] = [];
      const ep = await withEndpoint((_req, res) => void held.push(res));
      const { app, logger } = build(makeApp, ep.url);
      const started = Date.now();
      const res = await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(1500);
      expect(logger.lines()).toEqual([expect.stringContaining('did not answer within 1000 ms')]);
      // Answering now, after the deadline, admits nobody: the next request asks again.
      for (const response of held) json(active())(undefined as never, response, '');
      ep.set(json({ active: false }));
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
    });

    it('a huge answer is cut off at maxBytes, never buffered whole: 503', async () => {
      let written = 0;
      let closed = false;
      const ep = await withEndpoint((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        res.write('{"active":true,"pad":"');
        const pump = () => {
          while (!closed && written < 512 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        res.on('close', () => (closed = true));
        pump();
      });
      const { app } = build(makeApp, ep.url);
      const res = await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(503);
      await until(() => closed, 'the endpoint connection closed', 5_000);
      // The default cap is 64 KiB; what the server pushed before the socket closed is bounded by buffers.
      expect(written).toBeLessThan(16 * 1024 * 1024);
    });

    it('a huge answer with Content-Length beyond maxBytes is refused before reading', async () => {
      const ep = await withEndpoint((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) });
        res.write('{"active":true');
      });
      const { app, logger } = build(makeApp, ep.url, { maxBytes: 1024 });
      const res = await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(503);
      expect(logger.lines()).toEqual([expect.stringContaining('answered a body larger than 1024 bytes')]);
    });
  });

  describe('the request sent', () => {
    it('client_secret_basic: id and secret form-urlencoded before base64 (RFC 6749 §2.3.1); token_type_hint=access_token', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url);
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect(ep.seen[0].authorization).toBe(`Basic ${Buffer.from('orders-api:rs+secret%3A1').toString('base64')}`);
      expect(Object.fromEntries(new URLSearchParams(ep.seen[0].body))).toEqual({ token: TOKEN, token_type_hint: 'access_token' });
    });

    it('client_secret_post: id and secret in the body, no Authorization', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url, { clientAuth: 'client_secret_post' });
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect(ep.seen[0].authorization).toBeUndefined();
      expect(Object.fromEntries(new URLSearchParams(ep.seen[0].body))).toEqual({ token: TOKEN, token_type_hint: 'access_token', client_id: 'orders-api', client_secret: 'rs secret:1' });
    });
  });

  describe('the cache', () => {
    it('single flight: concurrent requests with one token cause one introspection', async () => {
      const ep = await withEndpoint((req, res, body) => setTimeout(() => json(active())(req, res, body), 150));
      const { app } = build(makeApp, ep.url);
      const answers = await Promise.all(Array.from({ length: 8 }, () => request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)));
      expect(answers.map((res) => res.status)).toEqual(Array(8).fill(200));
      expect(ep.seen).toHaveLength(1);
    });

    it('without cache: every request asks', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url);
      for (let i = 0; i < 3; i++) expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect(ep.seen).toHaveLength(3);
    });

    it('a positive answer is kept for min(ttl, exp − now): never past exp', async () => {
      const exp = now() + 2;
      const ep = await withEndpoint(json(active({ exp })));
      const { app } = build(makeApp, ep.url, { cache: { ttl: 300, max: 100 }, clockTolerance: 0 });
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect(ep.seen).toHaveLength(1);
      ep.set(json({ active: false }));
      await sleep(exp * 1000 - Date.now() + 50);
      const after = await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      expect(after.status).toBe(401);
      expect(ep.seen).toHaveLength(2);
    });

    it('a positive answer is kept for ttl when exp is later', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url, { cache: { ttl: 0.3, max: 100 } });
      await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      expect(ep.seen).toHaveLength(1);
      await sleep(350);
      await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      expect(ep.seen).toHaveLength(2);
    });

    it('a negative answer is kept for negativeTtl (default 5 s), an outage never', async () => {
      const ep = await withEndpoint(json({ active: false }));
      const { app } = build(makeApp, ep.url, { cache: { ttl: 60, max: 100, negativeTtl: 0.3 } });
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect(ep.seen).toHaveLength(1);
      await sleep(350);
      ep.set(json('<html>', 502, 'text/html'));
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(503);
      ep.set(json(active()));
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect(ep.seen).toHaveLength(3);

      const defaults = await withEndpoint(json({ active: false }));
      const second = build(makeApp, defaults.url, { cache: { ttl: 60, max: 100 } });
      await request(second.app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      await sleep(1000);
      defaults.set(json(active()));
      expect((await request(second.app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect(defaults.seen).toHaveLength(1);
    });

    it('clearCache(token) forgets that token only; clearCache() forgets every answer', async () => {
      const ep = await withEndpoint(json(active()));
      const { app, auth } = build(makeApp, ep.url, { cache: { ttl: 60, max: 100 } });
      const other = `${TOKEN}-other`;
      await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`);
      await request(app).get('/orders').set('Authorization', `Bearer ${other}`);
      expect(ep.seen).toHaveLength(2);
      ep.set(json({ active: false }));
      await auth.clearCache(TOKEN);
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${other}`)).status).toBe(200);
      await auth.clearCache();
      expect((await request(app).get('/orders').set('Authorization', `Bearer ${other}`)).status).toBe(401);
      expect(ep.seen).toHaveLength(4);
    });
  });

  describe('as the other classes', () => {
    it('scopes: 403 insufficient_scope names the scope (no resource_metadata on a 403)', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url);
      const res = await request(app).get('/orders/write').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(403);
      expect(challengeFields(res)).toEqual(['Bearer realm="api", error="insufficient_scope", scope="orders:write"']);
      ep.set(json(active({ scope: 'orders:read orders:write' })));
      expect((await request(app).get('/orders/write').set('Authorization', `Bearer ${TOKEN}-2`)).status).toBe(200);
    });

    it('roles from the response through @GetUserRoles', async () => {
      const ep = await withEndpoint(json(active()));
      const { app, events } = build(makeApp, ep.url);
      expect((await request(app).get('/orders/admin').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(403);
      ep.set(json(active({ roles: ['admin'] })));
      expect((await request(app).get('/orders/admin').set('Authorization', `Bearer ${TOKEN}-2`)).status).toBe(200);
      await sleep(10);
      expect(events.map((event) => [event.type, event.kind])).toEqual([
        ['forbidden', 'introspection'],
        ['authenticated', 'introspection'],
      ]);
    });

    it('optional: no token passes anonymously (no introspection); a refused token is still 401', async () => {
      const ep = await withEndpoint(json({ active: false }));
      const { app } = build(makeApp, ep.url);
      const anonymous = await request(app).get('/orders/maybe');
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ sub: null });
      expect(ep.seen).toHaveLength(0);
      expect((await request(app).get('/orders/maybe').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
    });

    it('MultiAuth with Basic: either credential passes; without any, both challenges', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url);
      const bearer = await request(app).get('/orders/either').set('Authorization', `Bearer ${TOKEN}`);
      expect(bearer.body).toEqual({ sub: 'alice' });
      const basic = await request(app).get('/orders/either').set('Authorization', basicHeader('bob', 'pw'));
      expect(basic.body).toEqual({ sub: 'bob' });
      expect(ep.seen).toHaveLength(1);
      const none = await request(app).get('/orders/either');
      expect(none.status).toBe(401);
      expect(challengeFields(none)).toEqual([`Bearer realm="api", resource_metadata="${METADATA}"`, 'Basic realm="users"']);
    });

    it('an empty Bearer token is malformed (400), never introspected', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url);
      const res = await request(app).get('/orders').set('Authorization', 'Bearer');
      expect(res.status).toBe(400);
      expect(ep.seen).toHaveLength(0);
    });

    it('serves RFC 9728 metadata with the issuer as authorization server', async () => {
      const ep = await withEndpoint(json(active()));
      const { app } = build(makeApp, ep.url);
      const res = await request(app).get('/.well-known/oauth-protected-resource');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ resource: RESOURCE, authorization_servers: [ISSUER], scopes_supported: ['orders:read', 'orders:write'], bearer_methods_supported: ['header'] });
    });
  });
});

describe('@IntrospectionAuth in OpenAPI', () => {
  it('is an http bearer scheme; operations list their required scopes as for @JwtAuth', () => {
    const { auth, OrdersController } = build(DRIVERS[0][1], 'https://id.example.test/introspect');
    void OrdersController;
    expect(auth.openApiSecuritySchemes().ApiAuth).toEqual({ type: 'http', scheme: 'bearer', description: 'Opaque OAuth 2.0 access tokens, checked by introspection (RFC 7662) at https://id.example.test/introspect' });
    const spec = auth.applyOpenApiSecurity({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: { '/orders/write': { get: { operationId: 'OrdersController.write', responses: {} } } } }) as unknown as {
      paths: Record<string, Record<string, { security: unknown; 'x-required-scopes': string[]; responses: Record<string, unknown> }>>;
    };
    const operation = spec.paths['/orders/write'].get;
    expect(operation.security).toEqual([{ ApiAuth: [] }]);
    expect(operation['x-required-scopes']).toEqual(['orders:write']);
    expect(Object.keys(operation.responses).sort()).toEqual(['401', '403']);
  });

  it.each([
    ['allowed', [{ ApiAuth: [] }, { ApiAuthDPoP: [] }]],
    ['required', [{ ApiAuth: [] }]],
  ] as const)('with dpop: %s, an http dpop scheme beside bearer or alone, as for @JwtAuth', (mode, security) => {
    const { auth } = build(DRIVERS[0][1], 'https://id.example.test/introspect', { dpop: mode, dpopAlgorithms: ['ES256'] });
    const description = 'Opaque OAuth 2.0 access tokens, checked by introspection (RFC 7662) at https://id.example.test/introspect';
    const dpop = { type: 'http', scheme: 'dpop', description: `${description}, DPoP-bound (RFC 9449): Authorization: DPoP <token> and a DPoP proof header signed with ES256` };
    const schemes = auth.openApiSecuritySchemes();
    expect(schemes.ApiAuth).toEqual(mode === 'allowed' ? { type: 'http', scheme: 'bearer', description } : dpop);
    expect(schemes.ApiAuthDPoP).toEqual(mode === 'allowed' ? dpop : undefined);
    const spec = auth.applyOpenApiSecurity({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: { '/orders/write': { get: { operationId: 'OrdersController.write', responses: {} } } } }) as unknown as {
      paths: Record<string, Record<string, { security: unknown }>>;
    };
    expect(spec.paths['/orders/write'].get.security).toEqual(security);
  });
});

describeWithRedis('@IntrospectionAuth: clearCache shared over Redis', () => {
  it('clearCache(token) on one instance makes another forget it; only the digest is published', async () => {
    const ep = await endpoint(json(active()));
    const clients = await Promise.all([connectClient('ioredis', REDIS_URL), connectClient('ioredis', REDIS_URL), connectClient('ioredis', REDIS_URL)]);
    const keyPrefix = `test:introspection:${Date.now()}:${Math.random()}`;
    const published: string[] = [];
    const spy = (clients[2].client as import('ioredis').default).duplicate();
    await spy.psubscribe(`${keyPrefix}:*`);
    spy.on('pmessage', (_pattern, _channel, message) => published.push(message));
    try {
      const a = build(DRIVERS[0][1], ep.url, { cache: { ttl: 60, max: 100, redis: clients[0].client, keyPrefix } });
      const b = build(DRIVERS[1][1], ep.url, { cache: { ttl: 60, max: 100, redis: clients[1].client, keyPrefix } });
      await sleep(200);
      expect((await request(a.app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect((await request(b.app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
      expect(ep.seen).toHaveLength(2);
      ep.set(json({ active: false }));
      await a.auth.clearCache(TOKEN);
      await until(() => published.length > 0, 'the clear message');
      await sleep(50);
      expect((await request(b.app).get('/orders').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect(ep.seen).toHaveLength(3);
      expect(published.join('\n')).not.toContain(TOKEN);
      expect(published.join('\n')).toContain(require('node:crypto').createHash('sha256').update(TOKEN).digest('base64url'));
      await Promise.all([a.auth.close(), b.auth.close()]);
    } finally {
      spy.disconnect();
      for (const client of clients) client.end();
      await ep.server.close();
    }
  });
});
