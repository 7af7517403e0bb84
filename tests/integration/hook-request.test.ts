import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { Body, CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  GetPassword,
  GetUserRoles,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type Credentials,
  type DigestAlgorithm,
  type HookRequest,
} from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, recordingLogger, tokenHeader } from '../helpers';

/** Issue 9 §1: verify, password and roles hooks get a read-only view of the request. */

type Seen = { hook: string; request: HookRequest; args: number };
const seen: Seen[] = [];
const record = (hook: string, request: HookRequest, args: number) => seen.push({ hook, request, args });
beforeEach(() => (seen.length = 0));

@BasicAuth({ realm: 'verify' })
class VerifyUsers {
  @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
    record('verifyPassword', request, arguments.length);
    return username === 'alice' && password === 'pw' ? { name: username } : null;
  }
  @GetUserRoles() roles(_user: unknown, _credentials: Credentials, request: HookRequest) {
    record('getUserRoles', request, arguments.length);
    return ['reader'];
  }
}

@BasicAuth({ realm: 'stored' })
class StoredUsers {
  @GetPassword() password(username: string, request: HookRequest) {
    record('getPassword', request, arguments.length);
    return username === 'alice' ? 'pw' : undefined;
  }
}

@TokenAuth()
class Tokens {
  @VerifyToken() verify(token: string, request: HookRequest) {
    record('verifyToken', request, arguments.length);
    return token === 'good' ? { name: 'token' } : null;
  }
}

@DigestAuth({ realm: 'digest' })
class DigestUsers {
  @GetPassword() password(username: string, algorithm: DigestAlgorithm, request: HookRequest) {
    record(`digest getPassword ${algorithm}`, request, arguments.length);
    return username === 'alice' ? 'pw' : undefined;
  }
}

/** Hooks that do not declare the request are called exactly as before. */
@BasicAuth()
class Unaware {
  @VerifyPassword() verify(username: string, password: string) {
    seen.push({ hook: 'unaware', request: undefined as never, args: arguments.length });
    return username === 'alice' && password === 'pw';
  }
  @GetUserRoles() roles(user: unknown) {
    expect(user).toBe('alice');
    seen.push({ hook: 'unaware roles', request: undefined as never, args: arguments.length });
    return ['reader'];
  }
}

@JsonController('/hooks')
class HooksController {
  @Post('/verify') @LoginRequired({ auth: VerifyUsers, role: 'reader' }) verify(@CurrentUser() user: unknown) {
    return { user };
  }
  @Get('/stored') @LoginRequired({ auth: StoredUsers }) stored(@CurrentUser() user: unknown) {
    return { user };
  }
  @Get('/token') @LoginRequired({ auth: Tokens }) token(@CurrentUser() user: unknown) {
    return { user };
  }
  @Get('/digest') @LoginRequired({ auth: DigestUsers }) digest(@CurrentUser() user: unknown) {
    return { user };
  }
  @Get('/unaware') @LoginRequired({ auth: Unaware, role: 'reader' }) unaware(@CurrentUser() user: unknown) {
    return { user };
  }
}

const checkersFor = () => createAuthCheckers([new VerifyUsers(), new StoredUsers(), new Tokens(), new DigestUsers(), new Unaware()], { logger: recordingLogger() });

function expectView(view: HookRequest, method: string, url: string, driver: string) {
  expect(Object.isFrozen(view)).toBe(true);
  expect(view.method).toBe(method);
  expect(view.url).toBe(url);
  expect(view.header('X-Tenant')).toBe('acme');
  expect(view.header('x-tenant')).toBe('acme');
  expect(view.header('x-missing')).toBeUndefined();
  expect(view.clientAddress).toMatch(/127\.0\.0\.1|::1/);
  // The routing-controllers action: on Koa it carries the context.
  expect(view.action).toBeDefined();
  if (driver === 'koa') expect((view.action!.context as { originalUrl: string }).originalUrl).toBe(url);
  else expect((view.action!.request as { originalUrl: string }).originalUrl).toBe(url);
  expect(() => ((view as { method: string }).method = 'DELETE')).toThrow(TypeError);
}

describe.each(DRIVERS)('hooks see the request (%s)', (driver, makeApp) => {
  const app = makeApp([HooksController], checkersFor());

  it('@VerifyPassword and @GetUserRoles get the same frozen view: method, url, header(), clientAddress, action', async () => {
    const res = await request(app).post('/hooks/verify?page=2').set('X-Tenant', 'acme').set('Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.hook, s.args])).toEqual([
      ['verifyPassword', 3],
      ['getUserRoles', 3],
    ]);
    expectView(seen[0].request, 'POST', '/hooks/verify?page=2', driver);
    // Built once per request.
    expect(seen[1].request).toBe(seen[0].request);
    // Control: a wrong password still gets nowhere, with the request shown to the hook.
    const refused = await request(app).post('/hooks/verify').set('X-Tenant', 'acme').set('Authorization', basicHeader('alice', 'nope'));
    expect(refused.status).toBe(401);
  });

  it('Basic @GetPassword gets (username, request)', async () => {
    const res = await request(app).get('/hooks/stored').set('X-Tenant', 'acme').set('Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.hook, s.args])).toEqual([['getPassword', 2]]);
    expectView(seen[0].request, 'GET', '/hooks/stored', driver);
    expect((await request(app).get('/hooks/stored').set('Authorization', basicHeader('alice', 'x'))).status).toBe(401);
  });

  it('@VerifyToken gets (token, request)', async () => {
    const res = await request(app).get('/hooks/token').set('X-Tenant', 'acme').set('Authorization', tokenHeader('good'));
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.hook, s.args])).toEqual([['verifyToken', 2]]);
    expectView(seen[0].request, 'GET', '/hooks/token', driver);
    expect((await request(app).get('/hooks/token').set('Authorization', tokenHeader('bad'))).status).toBe(401);
  });

  it('Digest @GetPassword gets (username, algorithm, request)', async () => {
    const challengeRes = await request(app).get('/hooks/digest');
    expect(challengeRes.status).toBe(401);
    const challenge = digestChallenge(challengeRes);
    const good = digestAuthorization({ challenge, username: 'alice', password: 'pw', method: 'GET', uri: '/hooks/digest' });
    const res = await request(app).get('/hooks/digest').set('X-Tenant', 'acme').set('Authorization', good.header);
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.hook, s.args])).toEqual([['digest getPassword MD5', 3]]);
    expectView(seen[0].request, 'GET', '/hooks/digest', driver);
    const bad = digestAuthorization({ challenge, username: 'alice', password: 'wrong', method: 'GET', uri: '/hooks/digest', nc: 2 });
    expect((await request(app).get('/hooks/digest').set('Authorization', bad.header)).status).toBe(401);
  });

  it('hooks that do not declare the request are called with their own arguments only', async () => {
    const res = await request(app).get('/hooks/unaware').set('Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.hook, s.args])).toEqual([
      ['unaware', 2],
      ['unaware roles', 2],
    ]);
  });
});

describe('guards have no action', () => {
  const checkers = () => createAuthCheckers([new VerifyUsers()], { logger: recordingLogger() });

  it('auth.guard(): the view has method, url, header and clientAddress, and action undefined', async () => {
    const auth = checkers();
    const app = express();
    app.use('/docs', auth.guard({ role: 'reader' }), (_req, res) => res.send('docs'));
    const res = await request(app).get('/docs/a?b=1').set('X-Tenant', 'acme').set('Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(200);
    expect(seen.map((s) => s.hook)).toEqual(['verifyPassword', 'getUserRoles']);
    const view = seen[0].request;
    expect([view.method, view.url, view.header('x-tenant'), view.action]).toEqual(['GET', '/docs/a?b=1', 'acme', undefined]);
    expect(view.clientAddress).toMatch(/127\.0\.0\.1|::1/);
    expect((await request(app).get('/docs/a').set('Authorization', basicHeader('alice', 'x'))).status).toBe(401);
  });

  it('auth.koaGuard(): the same, action undefined', async () => {
    const auth = checkers();
    const app = new Koa();
    const guard = auth.koaGuard();
    app.use(guard);
    app.use((ctx) => (ctx.body = 'docs'));
    const res = await request(app.callback()).delete('/docs').set('X-Tenant', 'acme').set('Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(200);
    const view = seen[0].request;
    expect([view.method, view.url, view.header('x-tenant'), view.action]).toEqual(['DELETE', '/docs', 'acme', undefined]);
    expect((await request(app.callback()).delete('/docs').set('Authorization', basicHeader('alice', 'x'))).status).toBe(401);
  });
});

/** Tenant A knows alice; tenant B does not. The hook's answer depends on the request. */
const TENANT_USERS: Record<string, Record<string, string>> = { a: { alice: 'pw' }, b: {} };
function tenantUsers(cache: object) {
  @BasicAuth({ cache: cache as { ttl: number } })
  class TenantUsers {
    calls = 0;
    @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
      this.calls++;
      return TENANT_USERS[request.header('x-tenant') ?? '']?.[username] === password;
    }
  }
  return new TenantUsers();
}

@JsonController('/tenant')
class TenantController {
  @Get('/') @LoginRequired() index(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(DRIVERS)('credential cache and request-dependent hooks (%s)', (_driver, makeApp) => {
  const as = (app: ReturnType<typeof makeApp>, tenant: string) =>
    request(app).get('/tenant').set('X-Tenant', tenant).set('Authorization', basicHeader('alice', 'pw')).then((res) => res.status);

  it('cache: { key } keeps tenants apart: tenant A\'s cached success is not served to tenant B', async () => {
    const auth = tenantUsers({ ttl: 60, key: (request: HookRequest) => request.header('x-tenant') ?? '' });
    const app = makeApp([TenantController], createAuthCheckers([auth], { logger: recordingLogger() }));
    expect(await as(app, 'a')).toBe(200);
    expect(await as(app, 'a')).toBe(200);
    expect(auth.calls).toBe(1); // the cache works within a tenant
    expect(await as(app, 'b')).toBe(401);
    expect(auth.calls).toBe(2);
  });

  it('documents the failure mode: without key, a request-dependent hook behind the cache lets tenant B in with tenant A\'s success', async () => {
    const auth = tenantUsers({ ttl: 60 });
    const app = makeApp([TenantController], createAuthCheckers([auth], { logger: recordingLogger() }));
    expect(await as(app, 'a')).toBe(200);
    // Wrong, and why the documentation says to add `key`: the hook is never asked about tenant B.
    expect(await as(app, 'b')).toBe(200);
    expect(auth.calls).toBe(1);
  });

  it.each([
    ['a string', 'tenant'],
    ['a number', 1],
  ])('rejects cache.key that is %s at start-up', (_what, key) => {
    expect(() => tenantUsers({ ttl: 60, key })).toThrow(/cache\.key must be a function of the request/);
  });

  it('a cache.key that returns no string answers the generic 500, never a cached success', async () => {
    const auth = tenantUsers({ ttl: 60, key: () => undefined });
    const logger = recordingLogger();
    const app = makeApp([TenantController], createAuthCheckers([auth], { logger }));
    expect(await as(app, 'a')).toBe(500);
    expect(auth.calls).toBe(0);
  });
});

/** Issue 14 item 22: the route's parameters, for per-tenant hooks and cache keys. */
@BasicAuth({ realm: 'params', cache: { ttl: 60, key: (request) => request.params.tenant ?? '' } })
class ParamUsers {
  @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
    record('verifyPassword', request, arguments.length);
    return TENANT_USERS[request.params.tenant]?.[username] === password ? { name: username, tenant: request.params.tenant } : null;
  }
}

@JsonController('/tenants')
class ParamsController {
  // A body: on both drivers the check runs before the body parser, as the route's own middleware.
  @Post('/:tenant/items/:id') @LoginRequired({ auth: ParamUsers }) create(@Body() body: unknown, @CurrentUser() user: unknown) {
    return { user, body };
  }
  @Get('/:tenant/items') @LoginRequired({ auth: ParamUsers }) list(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each([...DRIVERS.map(([name, make]) => [`${name}, with use`, make] as const), ...DRIVERS_WITHOUT_USE.map(([name, make]) => [`${name}, without use`, make] as const)])(
  'hooks see the route params (%s)',
  (_label, makeApp) => {
    const app = () => makeApp([ParamsController], createAuthCheckers([new ParamUsers()], { logger: recordingLogger() }));

    it('request.params holds the decoded, frozen params of the route, before the body is read', async () => {
      const res = await request(app()).post('/tenants/a/items/4%202').send({ name: 'widget' }).set('Authorization', basicHeader('alice', 'pw'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { name: 'alice', tenant: 'a' }, body: { name: 'widget' } });
      const { params } = seen[0].request;
      expect(params).toEqual({ tenant: 'a', id: '4 2' });
      expect(Object.isFrozen(params)).toBe(true);
      expect(() => ((params as Record<string, string>).tenant = 'b')).toThrow(TypeError);
    });

    it('a hook keyed by a route param keeps tenants apart, cache included', async () => {
      const server = app();
      const as = (tenant: string) => request(server).get(`/tenants/${tenant}/items`).set('Authorization', basicHeader('alice', 'pw'));
      expect((await as('a')).status).toBe(200);
      // Tenant b does not know alice: neither the hook nor tenant a's cached success lets her in.
      expect((await as('b')).status).toBe(401);
      expect((await as('a')).status).toBe(200);
      expect(seen.map((s) => s.request.params.tenant)).toEqual(['a', 'b']);
    });
  },
);

describe('guards and Socket.IO: params where the framework has them, else {}', () => {
  it('auth.guard() mounted on a path with params sees them', async () => {
    const auth = createAuthCheckers([new VerifyUsers()], { logger: recordingLogger() });
    const app = express();
    app.use('/t/:tenant/docs', auth.guard(), (_req, res) => res.send('docs'));
    app.use('/docs', auth.guard(), (_req, res) => res.send('docs'));
    expect((await request(app).get('/t/acme/docs/x').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
    expect((await request(app).get('/docs/x').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
    expect(seen.map((s) => s.request.params)).toEqual([{ tenant: 'acme' }, {}]);
    expect(Object.isFrozen(seen[1].request.params)).toBe(true);
  });

  it('auth.koaGuard() without a router: {}', async () => {
    const auth = createAuthCheckers([new VerifyUsers()], { logger: recordingLogger() });
    const app = new Koa();
    app.use(auth.koaGuard());
    app.use((ctx) => (ctx.body = 'docs'));
    expect((await request(app.callback()).get('/docs').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
    expect(seen[0].request.params).toEqual({});
    expect(Object.isFrozen(seen[0].request.params)).toBe(true);
  });

  it('a Socket.IO handshake: {}', async () => {
    const auth = createAuthCheckers([new Tokens()], { logger: recordingLogger() });
    const httpServer = createServer();
    const io = new Server(httpServer);
    io.of('/live').use(auth.socketIo());
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const client = connectClient(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/live`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: 'good' } });
    try {
      await new Promise((resolve, reject) => {
        client.on('connect', () => resolve(undefined));
        client.on('connect_error', reject);
      });
      expect(seen[0].request.params).toEqual({});
      expect(Object.isFrozen(seen[0].request.params)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => {
        client.io.engine.once('close', () => resolve());
        client.disconnect();
      });
      await new Promise((resolve) => io.close(resolve));
    }
  });
});
