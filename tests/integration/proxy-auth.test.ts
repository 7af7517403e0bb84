import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { CurrentUser, Get, getMetadataArgsStorage, JsonController, Req } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  GetPassword,
  GetUserRoles,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthEvent,
  type AuthFailureStatus,
} from '../../src';
import { basicHeader, DRIVERS, tokenHeader, recordingLogger } from '../helpers';
import { digestAuthorization, parseChallenge, parseParams, rawHeaderFields } from '../digest-client';

const USERS: Record<string, string> = { alice: 'pw', bob: 'secret' };
const ROLES: Record<string, string[]> = { alice: ['admin'], bob: [] };

@BasicAuth({ proxy: true, realm: 'proxy' })
class ProxyBasic {
  @VerifyPassword() verify(username: string, password: string) {
    return USERS[username] !== undefined && USERS[username] === password ? username : null;
  }
  @GetUserRoles() roles(user: string) {
    return ROLES[user];
  }
}

@TokenAuth({ proxy: true })
class ProxyToken {
  @VerifyToken() verify(token: string) {
    return token === 'good-token' ? 'alice' : token === 'bob-token' ? 'bob' : null;
  }
  @GetUserRoles() roles(user: string) {
    return ROLES[user];
  }
}

@DigestAuth({ proxy: true, realm: 'proxy', secret: 'proxy-test-secret' })
class ProxyDigest {
  @GetPassword() password(username: string) {
    return USERS[username];
  }
  @GetUserRoles() roles(user: string) {
    return ROLES[user];
  }
}

@BasicAuth({ proxy: true, realm: 'proxy', keepProxyAuthorization: true })
class KeepingBasic {
  @VerifyPassword() verify(username: string, password: string) {
    return USERS[username] !== undefined && USERS[username] === password ? username : null;
  }
}

@TokenAuth({ proxy: true, keepProxyAuthorization: true })
class KeepingToken {
  @VerifyToken() verify(token: string) {
    return token === 'good-token' ? 'alice' : null;
  }
}

@DigestAuth({ proxy: true, realm: 'proxy', secret: 'proxy-test-secret', keepProxyAuthorization: true })
class KeepingDigest {
  @GetPassword() password(username: string) {
    return USERS[username];
  }
}

@BasicAuth()
class OriginBasic {
  @VerifyPassword() verify(username: string, password: string) {
    return USERS[username] === password ? username : null;
  }
}

@JsonController()
class ProxiedController {
  @Get('/hello') @LoginRequired() hello(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** What the handler sees of the proxy credentials: the header, and any raw copy of it. */
@JsonController()
class ForwardingController {
  @Get('/forward') @LoginRequired() forward(@Req() req: { headers: IncomingHttpHeaders; rawHeaders?: string[]; req?: { rawHeaders: string[] } }) {
    const raw = req.req?.rawHeaders ?? req.rawHeaders ?? [];
    return { header: req.headers['proxy-authorization'] ?? null, raw: raw.some((name) => name.toLowerCase() === 'proxy-authorization') };
  }
}

@JsonController()
class AdminController {
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin(@CurrentUser() user: unknown) {
    return { user };
  }
}

type Client = { cls: Function; name: string; right: (path: string, res?: object) => string; wrong: string };

/** The first Digest challenge of a 407, from Proxy-Authenticate. */
const proxyChallenge = (res: object) => parseChallenge(rawHeaderFields(res, 'proxy-authenticate')[0]);

describe.each(DRIVERS)('%s', (_name, makeApp) => {
  // Each class with the credentials that must pass and a set that must not.
  const CLIENTS: Client[] = [
    { cls: ProxyBasic, name: 'Basic', right: () => basicHeader('alice', 'pw'), wrong: basicHeader('alice', 'nope') },
    { cls: ProxyToken, name: 'Bearer', right: () => tokenHeader('good-token'), wrong: tokenHeader('bad-token') },
    {
      cls: ProxyDigest,
      name: 'Digest',
      right: (path, res) => digestAuthorization({ challenge: proxyChallenge(res!), username: 'alice', password: 'pw', method: 'GET', uri: path }).header,
      wrong: 'Digest username="alice", realm="proxy", nonce="x", uri="/hello", response="00000000000000000000000000000000", opaque="y"',
    },
  ];

  /** Answers a challenge: Digest needs the 407's nonce first. */
  async function authorized(app: ReturnType<typeof makeApp>, client: Client, path: string, header: 'Proxy-Authorization' | 'Authorization') {
    const first = client.name === 'Digest' ? await request(app).get(path) : undefined;
    return request(app).get(path).set(header, client.right(path, first));
  }

  describe.each(CLIENTS.map((c) => [c.name, c] as const))('proxy: true with %s', (scheme, client) => {
    const app = () => makeApp([ProxiedController, AdminController], createAuthCheckers([client.cls], { logger: recordingLogger() }));

    it('answers no credentials with 407 and Proxy-Authenticate, never WWW-Authenticate', async () => {
      const res = await request(app()).get('/hello');
      expect(res.status).toBe(407);
      expect(res.body).toEqual({ name: 'AuthenticationError', message: 'proxy authentication required', code: 'ERR_HTTP_AUTH_PROXY_UNAUTHENTICATED' });
      expect(res.headers['proxy-authenticate']).toMatch(new RegExp(`^${scheme} `));
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('refuses wrong Proxy-Authorization with 407 and admits the right one', async () => {
      const a = app();
      const wrong = await request(a).get('/hello').set('Proxy-Authorization', client.wrong);
      expect(wrong.status).toBe(407);
      expect(wrong.headers['proxy-authenticate']).toMatch(new RegExp(`^${scheme} `));
      const right = await authorized(a, client, '/hello', 'Proxy-Authorization');
      expect(right.status).toBe(200);
      expect(right.body).toEqual({ user: 'alice' });
    });

    it('does not take right credentials in Authorization: they are the origin server’s', async () => {
      const a = app();
      const res = await authorized(a, client, '/hello', 'Authorization');
      expect(res.status).toBe(407);
      expect(res.headers['proxy-authenticate']).toBeDefined();
    });

    it('answers a failed role check with 403, and admits the role', async () => {
      const a = app();
      const bob: Record<string, () => Promise<string>> = {
        Basic: async () => basicHeader('bob', 'secret'),
        Bearer: async () => tokenHeader('bob-token'),
        Digest: async () => digestAuthorization({ challenge: proxyChallenge(await request(a).get('/admin')), username: 'bob', password: 'secret', method: 'GET', uri: '/admin' }).header,
      };
      const forbidden = await request(a).get('/admin').set('Proxy-Authorization', await bob[client.name]());
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.code).toBe('ERR_HTTP_AUTH_FORBIDDEN');
      // The role challenge goes where the client looks for a proxy's: Proxy-Authenticate.
      expect(forbidden.headers['www-authenticate']).toBeUndefined();
      expect(forbidden.headers['proxy-authenticate']).toMatch(new RegExp(`^${scheme} `));
      const admitted = await authorized(a, client, '/admin', 'Proxy-Authorization');
      expect(admitted.status).toBe(200);
    });
  });

  // Issue 14 item 17: the proxy's credentials are for this hop; a handler forwarding the request must not pass them on.
  describe.each(CLIENTS.map((c) => [c.name, c] as const))('Proxy-Authorization after a successful %s proxy authentication', (_scheme, client) => {
    it('is removed before the handler sees it (headers and rawHeaders)', async () => {
      const app = makeApp([ForwardingController], createAuthCheckers([client.cls], { logger: recordingLogger() }));
      const res = await authorized(app, client, '/forward', 'Proxy-Authorization');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ header: null, raw: false });
    });

    it('is kept with keepProxyAuthorization: true', async () => {
      const Keeping = { Basic: KeepingBasic, Bearer: KeepingToken, Digest: KeepingDigest }[client.name]!;
      const app = makeApp([ForwardingController], createAuthCheckers([Keeping], { logger: recordingLogger() }));
      const res = await authorized(app, client, '/forward', 'Proxy-Authorization');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ header: expect.stringMatching(new RegExp(`^${client.name} `)), raw: true });
    });
  });

  it('Digest: success carries Proxy-Authentication-Info with the right rspauth, not Authentication-Info', async () => {
    const app = makeApp([ProxiedController], createAuthCheckers([ProxyDigest], { logger: recordingLogger() }));
    const challenged = await request(app).get('/hello');
    const auth = digestAuthorization({ challenge: proxyChallenge(challenged), username: 'alice', password: 'pw', method: 'GET', uri: '/hello' });
    const res = await request(app).get('/hello').set('Proxy-Authorization', auth.header);
    expect(res.status).toBe(200);
    expect(rawHeaderFields(res, 'authentication-info')).toEqual([]);
    const [info] = rawHeaderFields(res, 'proxy-authentication-info');
    expect(parseParams(info, false).params).toMatchObject({ rspauth: auth.expectedRspauth, qop: 'auth', nc: auth.nc, cnonce: auth.cnonce });
  });

  it('Digest: accepts the absolute-form uri a client sends to a forward proxy', async () => {
    const app = makeApp([ProxiedController], createAuthCheckers([ProxyDigest], { logger: recordingLogger() }));
    const challenged = await request(app).get('/hello');
    const uri = 'http://example.test/hello';
    const auth = digestAuthorization({ challenge: proxyChallenge(challenged), username: 'alice', password: 'pw', method: 'GET', uri });
    const res = await request(app).get('/hello').set('Proxy-Authorization', auth.header);
    expect(res.status).toBe(200);
  });

  describe('absolute-form request targets (what a forward proxy receives)', () => {
    /** One request with `target` in the request line, as curl -x sends it; supertest cannot. */
    async function send(app: ReturnType<typeof makeApp>, target: string, headers: Record<string, string> = {}) {
      const server = createServer(app as RequestListener);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        return await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port, path: target, headers: { ...headers, Connection: 'close' } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
          });
          req.on('error', reject).end();
        });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
    const challengeOf = (headers: IncomingHttpHeaders) => parseChallenge(String(headers['proxy-authenticate']).split(/, (?=Digest )/)[0]);

    it('routes them and checks Basic credentials', async () => {
      const app = makeApp([ProxiedController], createAuthCheckers([ProxyBasic]));
      expect((await send(app, 'http://example.test/hello')).status).toBe(407);
      const ok = await send(app, 'http://example.test/hello', { 'Proxy-Authorization': basicHeader('alice', 'pw') });
      expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { user: 'alice' }]);
    });

    it.each([
      ['the origin form (curl --proxy-digest)', '/hello', 200],
      ['the same absolute form', 'http://example.test/hello', 200],
      ['another host', 'http://other.test/hello', 400],
      ['another path', '/admin', 400],
    ])('Digest: a uri in %s (%s) answers %s', async (_what, uri, status) => {
      const app = makeApp([ProxiedController], createAuthCheckers([ProxyDigest], { logger: recordingLogger() }));
      const challenged = await send(app, 'http://example.test/hello');
      expect(challenged.status).toBe(407);
      const auth = digestAuthorization({ challenge: challengeOf(challenged.headers), username: 'alice', password: 'pw', method: 'GET', uri });
      const res = await send(app, 'http://example.test/hello', { 'Proxy-Authorization': auth.header });
      expect(res.status).toBe(status);
      if (status === 200) expect(parseParams(String(res.headers['proxy-authentication-info']), false).params.rspauth).toBe(auth.expectedRspauth);
    });
  });

  it('passes 407 to @ErrorHandler and to audit events', async () => {
    @BasicAuth({ proxy: true })
    class Handled {
      @VerifyPassword() verify(username: string, password: string) {
        return USERS[username] === password ? username : null;
      }
      @ErrorHandler() onError(status: AuthFailureStatus) {
        return { status };
      }
    }
    const events: AuthEvent[] = [];
    const app = makeApp([ProxiedController], createAuthCheckers([Handled], { onEvent: (e) => void events.push(e) }));
    const res = await request(app).get('/hello').set('Proxy-Authorization', basicHeader('alice', 'nope'));
    expect(res.status).toBe(407);
    expect(res.body).toEqual({ status: 407 });
    expect(res.headers['proxy-authenticate']).toBe('Basic realm="Authentication Required"');
    const ok = await request(app).get('/hello').set('Proxy-Authorization', basicHeader('alice', 'pw'));
    expect(ok.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => [e.type, e.status])).toEqual([
      ['rejected', 407],
      ['authenticated', undefined],
    ]);
  });

  it('throttles and caches proxy credentials like origin ones', async () => {
    let calls = 0;
    @BasicAuth({ proxy: true, cache: { ttl: 60 }, throttle: { failures: 2, window: 60, block: 60 } })
    class Throttled {
      @VerifyPassword() verify(username: string, password: string) {
        calls += 1;
        return USERS[username] === password ? username : null;
      }
    }
    const app = makeApp([ProxiedController], createAuthCheckers([Throttled]));
    for (let i = 0; i < 2; i++) expect((await request(app).get('/hello').set('Proxy-Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
    expect(calls).toBe(1);
    for (let i = 0; i < 2; i++) expect((await request(app).get('/hello').set('Proxy-Authorization', basicHeader('bob', 'nope'))).status).toBe(407);
    const blocked = await request(app).get('/hello').set('Proxy-Authorization', basicHeader('bob', 'secret'));
    expect(blocked.status).toBe(429);
  });

  it('an origin class on the same app still answers 401 with WWW-Authenticate', async () => {
    const app = makeApp([ProxiedController], createAuthCheckers([OriginBasic]));
    const res = await request(app).get('/hello').set('Proxy-Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBeDefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect((await request(app).get('/hello').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
  });
});

describe('mixing proxy and origin classes', () => {
  @JsonController()
  class ProxyOnlyController {
    @Get('/p') @LoginRequired({ auth: [ProxyBasic, ProxyDigest] }) p() {
      return {};
    }
  }

  it('throws when a route names both, at its decoration, naming the route and the fix', () => {
    expect(() => {
      @JsonController()
      class MixedController {
        @Get('/mixed') @LoginRequired({ auth: [ProxyBasic, OriginBasic] }) mixed() {
          return {};
        }
      }
      return MixedController;
    }).toThrow(/^http-auth: @LoginRequired on MixedController\.mixed: ProxyBasic is a proxy.*OriginBasic is not.*same proxy option/);
  });

  it('throws at start-up for a defaultAuth that mixes them', () => {
    expect(() => createAuthCheckers([ProxyBasic, OriginBasic], { defaultAuth: [ProxyBasic, OriginBasic], controllers: [ProxiedController] })).toThrow(
      /ProxyBasic is a proxy.*OriginBasic is not/,
    );
  });

  it('accepts several proxy classes on one route', () => {
    expect(() => createAuthCheckers([ProxyBasic, ProxyDigest], { controllers: [ProxyOnlyController], logger: recordingLogger() })).not.toThrow();
  });
});

describe('proxy option', () => {
  it.each([
    ['a non-boolean', () => BasicAuth({ proxy: 'yes' as unknown as boolean }), /proxy must be true or false/],
    ['Token with header', () => TokenAuth({ proxy: true, header: 'X-API-Key' }), /proxy reads the token from Proxy-Authorization only; remove "header"/],
    ['Token with query', () => TokenAuth({ proxy: true, query: 'access_token' }), /remove "query"/],
    ['Digest non-boolean', () => DigestAuth({ proxy: 1 as unknown as boolean }), /proxy must be true or false/],
    ['Basic keepProxyAuthorization without proxy', () => BasicAuth({ keepProxyAuthorization: true }), /^http-auth: @BasicAuth on X: keepProxyAuthorization applies to proxy authentication; add proxy: true/],
    ['Token keepProxyAuthorization without proxy', () => TokenAuth({ keepProxyAuthorization: true }), /keepProxyAuthorization applies to proxy authentication/],
    ['Digest keepProxyAuthorization without proxy', () => DigestAuth({ keepProxyAuthorization: true }), /keepProxyAuthorization applies to proxy authentication/],
    ['a non-boolean keepProxyAuthorization', () => BasicAuth({ proxy: true, keepProxyAuthorization: 'yes' as unknown as boolean }), /keepProxyAuthorization must be true or false/],
  ])('rejects %s', (_what, make, message) => {
    expect(() => make()(class X {})).toThrow(message);
  });
});

describe('OpenAPI for proxy classes', () => {
  @JsonController('/proxied-docs')
  class DocsController {
    @Get('/') @LoginRequired({ auth: ProxyBasic, role: 'admin' }) proxied() {
      return {};
    }
    @Get('/origin') @LoginRequired({ auth: OriginBasic }) origin() {
      return {};
    }
  }

  it('documents 407 with Proxy-Authenticate for a proxy route, 401 with WWW-Authenticate for an origin route', () => {
    // This file also declares a controller that mixes proxy and origin classes: document only this one.
    const storage = getMetadataArgsStorage();
    const only = Object.assign(Object.create(storage) as typeof storage, {
      controllers: storage.controllers.filter((c) => c.target === DocsController),
      actions: storage.actions.filter((a) => a.target === DocsController),
    });
    const spec = routingControllersToSpec(only, { controllers: [DocsController] }, { info: { title: 'Docs', version: '1' } });
    const out = createAuthCheckers([ProxyBasic, OriginBasic]).applyOpenApiSecurity(spec) as unknown as {
      paths: Record<string, { get: { responses: Record<string, { headers?: Record<string, unknown> }> } }>;
    };
    const proxied = out.paths['/proxied-docs/'].get.responses;
    expect(proxied['401']).toBeUndefined();
    expect(proxied['407'].headers).toHaveProperty('Proxy-Authenticate');
    expect(proxied['403'].headers).toHaveProperty('Proxy-Authenticate');
    const origin = out.paths['/proxied-docs/origin'].get.responses;
    expect(origin['407']).toBeUndefined();
    expect(origin['401'].headers).toHaveProperty('WWW-Authenticate');
  });
});
