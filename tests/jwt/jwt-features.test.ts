/**
 * Issue 16 §1 through HTTP, on both drivers: `@JwtAuth` with every habit a scheme class has —
 * MultiAuth, `guard()`/`koaGuard()`, audit events, `optional`, throttling by address, the
 * verified-token cache, the `typ` log line, `@VerifyClaims` and `@GetUserRoles`, start-up errors,
 * and an `error_description` that never repeats what a client sent. Socket.IO is in
 * jwt-socket-io.test.ts.
 */
import express from 'express';
import Koa from 'koa';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  createAuthCheckers,
  GetUserRoles,
  JwtAuth,
  LoginRequired,
  VerifyClaims,
  VerifyPassword,
  type AuthCheckers,
  type AuthEvent,
  type Credentials,
  type JwtClaims,
  type LoginRequiredOptions,
} from '../../src';
import { basicHeader, challengeFields, DRIVERS, fromAddress, recordingLogger } from '../helpers';
import { sleep } from '../keys/jwks-server';
import { accessClaims, AUDIENCE, ISSUER, makeKeys, publicJwk, signRaw } from '../schemes/jwt/tokens';

const keys = makeKeys();
const JWKS = { keys: [publicJwk(keys.ec.publicKey, 'k1', 'ES256')] };
const base = { issuer: ISSUER, audience: AUDIENCE, keys: JWKS as never };
const now = () => Math.floor(Date.now() / 1000);
const token = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signRaw(keys.ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header }, accessClaims(now(), extra));
const bearer = (t: string) => `Bearer ${t}`;
const invalidToken = (description: string, realm = 'api') => `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`;

@JwtAuth({ ...base, realm: 'api' })
class ApiAuth {
  seen: Credentials[] = [];
  @GetUserRoles() roles(user: JwtClaims, credentials: Credentials) {
    this.seen.push(credentials);
    return (user.roles as string[] | undefined) ?? [];
  }
}

@BasicAuth({ realm: 'staff' })
class Staff {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'alice' && password === 'pw' ? { name: 'alice' } : null;
  }
}

/** `@VerifyClaims` answering each way the issue lists, chosen by the token's `sub`. */
@JwtAuth({ ...base, realm: 'hooked' })
class HookedAuth {
  @VerifyClaims() async verify(claims: JwtClaims) {
    switch (claims.sub) {
      case 'as-claims':
        return true;
      case 'refused-null':
        return null;
      case 'refused-false':
        return false;
      case 'suspended':
        throw new AuthenticationFailure('this client is suspended', { code: 'suspended' });
      case 'echo':
        // An app that puts client text in its failure: the header still cannot be broken by it.
        throw new AuthenticationFailure(`unknown client "${String(claims.client_id)}"\r\nX-Injected: 1`, { code: 'unknown-client' });
      default:
        return { id: claims.sub, via: 'lookup' };
    }
  }
}

@JwtAuth({ ...base, realm: 'cached', clockTolerance: 0, cache: { ttl: 300 } })
class CachedAuth {
  calls = 0;
  @VerifyClaims() verify(claims: JwtClaims) {
    this.calls++;
    return claims;
  }
}

@JwtAuth({ ...base, realm: 'throttled', throttle: { failures: 2, window: 60, block: 60 } })
class ThrottledAuth {}

@JsonController('/f')
class FeatureController {
  @Get('/claims') @LoginRequired({ auth: ApiAuth }) claims(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/admin') @LoginRequired({ auth: ApiAuth, role: 'admin', scope: 'articles:read' }) admin(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/either') @LoginRequired({ auth: [Staff, ApiAuth] }) either(@CurrentUser() user: { name?: string; sub?: string }) {
    return { who: user.name ?? user.sub };
  }
  @Get('/maybe') @LoginRequired({ auth: ApiAuth, optional: true }) maybe(@CurrentUser() user?: JwtClaims) {
    return { sub: user?.sub ?? null };
  }
  @Get('/hooked') @LoginRequired({ auth: HookedAuth }) hooked(@CurrentUser() user: unknown) {
    return { user, frozen: Object.isFrozen(user) };
  }
  @Get('/cached') @LoginRequired({ auth: CachedAuth }) cached(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/throttled') @LoginRequired({ auth: ThrottledAuth }) throttled(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
}

describe.each(DRIVERS)('@JwtAuth habits through HTTP (%s)', (_driver, makeApp) => {
  function build() {
    const apiAuth = new ApiAuth();
    const cachedAuth = new CachedAuth();
    const logger = recordingLogger();
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers([apiAuth, Staff, HookedAuth, cachedAuth, ThrottledAuth], { logger, onEvent: (event) => void events.push(event), controllers: [FeatureController] });
    return { app: makeApp([FeatureController], auth), auth, apiAuth, cachedAuth, logger, events };
  }

  it('MultiAuth with Basic: each scheme admits its own credentials; a 401 offers both challenges', async () => {
    const { app } = build();
    expect((await request(app).get('/f/either').set('Authorization', basicHeader('alice', 'pw'))).body).toEqual({ who: 'alice' });
    expect((await request(app).get('/f/either').set('Authorization', bearer(token()))).body).toEqual({ who: 'client-1' });
    const refused = await request(app).get('/f/either').set('Authorization', bearer(token({ exp: now() - 3600 })));
    expect(refused.status).toBe(401);
    // The member the credentials were meant for answers first, with its error; the other still offers itself.
    expect(challengeFields(refused)).toEqual([invalidToken('the token has expired'), 'Basic realm="staff"']);
    expect(challengeFields(await request(app).get('/f/either'))).toEqual(['Basic realm="staff"', 'Bearer realm="api"']);
  });

  it('audit events: kind jwt, scheme Bearer, the JWT reason code; never the token', async () => {
    const { app, events } = build();
    const good = token();
    const expired = token({ exp: now() - 3600 });
    await request(app).get('/f/claims').set('Authorization', bearer(good));
    await request(app).get('/f/claims').set('Authorization', bearer(expired));
    await request(app).get('/f/claims').set('Authorization', bearer(token({}, { typ: 'JWT' })));
    await request(app).get('/f/claims');
    await request(app).get('/f/claims').set('Authorization', bearer('a'.repeat(9000)));
    await request(app).get('/f/claims').set('Authorization', bearer(good)).query({ access_token: good });
    await request(app).get('/f/admin').set('Authorization', bearer(token({ roles: ['admin'], scope: 'profile' })));
    await request(app).get('/f/admin').set('Authorization', bearer(token({ roles: ['user'] })));
    await sleep(20);
    const common = { kind: 'jwt', scheme: 'Bearer', authClass: 'ApiAuth', method: 'GET' };
    expect(events).toEqual([
      expect.objectContaining({ ...common, type: 'authenticated', path: '/f/claims' }),
      expect.objectContaining({ ...common, type: 'rejected', status: 401, reason: 'expired' }),
      expect.objectContaining({ ...common, type: 'rejected', status: 401, reason: 'typ_not_allowed' }),
      expect.objectContaining({ ...common, type: 'rejected', status: 401, reason: 'no-credentials' }),
      expect.objectContaining({ ...common, type: 'rejected', status: 400, reason: 'token_too_large' }),
      // The query parameter is not this class's (no `query` option): the header alone is read.
      expect.objectContaining({ ...common, type: 'authenticated' }),
      expect.objectContaining({ ...common, type: 'forbidden', status: 403, reason: 'insufficient-scope', path: '/f/admin' }),
      expect.objectContaining({ ...common, type: 'forbidden', status: 403, reason: 'role', path: '/f/admin' }),
    ]);
    expect(events.every((e) => e.username === undefined)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(good.split('.')[2]);
  });

  it('optional: no token is anonymous, a bad token is still refused, a good one gives the user', async () => {
    const { app } = build();
    expect((await request(app).get('/f/maybe')).body).toEqual({ sub: null });
    const bad = await request(app).get('/f/maybe').set('Authorization', bearer(token({ aud: 'https://other.example.test' })));
    expect(bad.status).toBe(401);
    expect(challengeFields(bad)).toEqual([invalidToken('the token is not meant for this resource (aud)')]);
    expect((await request(app).get('/f/maybe').set('Authorization', bearer(token()))).body).toEqual({ sub: 'client-1' });
  });

  it('throttles by address: after 2 refused tokens an address gets 429 with Retry-After; other addresses go on', async () => {
    const { app } = build();
    const attacker = fromAddress(app, '203.0.113.7');
    const other = fromAddress(app, '198.51.100.1');
    for (let i = 0; i < 2; i++) expect((await request(attacker).get('/f/throttled').set('Authorization', bearer(token({ exp: now() - 3600 })))).status).toBe(401);
    const blocked = await request(attacker).get('/f/throttled').set('Authorization', bearer(token({ exp: now() - 3600 })));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(other).get('/f/throttled').set('Authorization', bearer(token()))).status).toBe(200);
  });

  it('@VerifyClaims: true → the frozen claims, an object → that user, null/false → 401, AuthenticationFailure → its text', async () => {
    const { app } = build();
    const get = (sub: string) => request(app).get('/f/hooked').set('Authorization', bearer(token({ sub })));
    const asClaims = await get('as-claims');
    expect(asClaims.body).toEqual({ user: expect.objectContaining({ sub: 'as-claims', iss: ISSUER, aud: AUDIENCE }), frozen: true });
    expect((await get('u-42')).body).toEqual({ user: { id: 'u-42', via: 'lookup' }, frozen: false });
    for (const sub of ['refused-null', 'refused-false']) {
      const res = await get(sub);
      expect(res.status).toBe(401);
      expect(challengeFields(res)).toEqual(['Bearer realm="hooked", error="invalid_token"']);
    }
    const suspended = await get('suspended');
    expect(suspended.status).toBe(401);
    expect(challengeFields(suspended)).toEqual([invalidToken('this client is suspended', 'hooked')]);
  });

  it('@GetUserRoles receives credentials { scheme: "Bearer", claims, scopes }', async () => {
    const { app, apiAuth } = build();
    const t = token({ roles: ['admin'], scope: 'articles:read profile' });
    expect((await request(app).get('/f/admin').set('Authorization', bearer(t))).status).toBe(200);
    expect(apiAuth.seen).toEqual([{ scheme: 'Bearer', token: t, claims: expect.objectContaining({ sub: 'client-1', roles: ['admin'] }), scopes: ['articles:read', 'profile'] }]);
    expect(Object.isFrozen(apiAuth.seen[0].claims)).toBe(true);
    expect(Object.isFrozen(apiAuth.seen[0].scopes)).toBe(true);
  });

  it('the verified-token cache: a hit skips verification; clearCache() clears it', async () => {
    const { app, auth, cachedAuth } = build();
    const t = token();
    for (let i = 0; i < 3; i++) expect((await request(app).get('/f/cached').set('Authorization', bearer(t))).status).toBe(200);
    expect(cachedAuth.calls).toBe(1);
    await auth.clearCache();
    expect((await request(app).get('/f/cached').set('Authorization', bearer(t))).status).toBe(200);
    expect(cachedAuth.calls).toBe(2);
    // Another spelling of the same token (a non-zero unused bit) is another key, and is refused.
    const last = t[t.length - 1];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = t.slice(0, -1) + alphabet[alphabet.indexOf(last) | 1];
    expect((await request(app).get('/f/cached').set('Authorization', bearer(respelled))).status).toBe(401);
  });

  it('the verified-token cache never outlives exp', async () => {
    const { app, cachedAuth } = build();
    const t = token({ exp: now() + 2 });
    expect((await request(app).get('/f/cached').set('Authorization', bearer(t))).status).toBe(200);
    expect((await request(app).get('/f/cached').set('Authorization', bearer(t))).status).toBe(200);
    expect(cachedAuth.calls).toBe(1);
    await sleep((now() + 2) * 1000 - Date.now() + 1100);
    const late = await request(app).get('/f/cached').set('Authorization', bearer(t));
    expect(late.status).toBe(401);
    expect(challengeFields(late)).toEqual([invalidToken('the token has expired', 'cached')]);
  });

  it('logs a refused typ once (rate-limited), naming the typ and the option to set', async () => {
    const { app, logger } = build();
    for (let i = 0; i < 3; i++) await request(app).get('/f/claims').set('Authorization', bearer(token({}, { typ: 'JWT' })));
    expect(logger.warn.mock.calls).toEqual([
      ['http-auth: ApiAuth: refused an access token: typ "JWT" is not accepted; if this issuer\'s access tokens carry it, add it to the typ option: @JwtAuth({ typ: [...] })'],
    ]);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('never echoes what the client sent in error_description, nor lets it break the header', async () => {
    const { app, logger } = build();
    const marker = 'ATTACKER-TEXT';
    const attempts = [
      token({}, { typ: `${marker}"\r\nX-Injected: 1` }),
      token({}, { kid: `${marker}"kid` }),
      token({ iss: `${marker}"` }),
      token({ aud: `${marker}"` }),
      token({ exp: `${marker}"` }),
      token({ scope: { [marker]: 1 } }),
    ];
    for (const t of attempts) {
      const res = await request(app).get('/f/claims').set('Authorization', bearer(t));
      expect(res.status).toBe(401);
      expect(challengeFields(res)).toEqual([expect.stringMatching(/^Bearer realm="api", error="invalid_token", error_description="[a-z (),;]+"$/)]);
      expect(JSON.stringify(res.headers) + JSON.stringify(res.body)).not.toContain(marker);
    }
    // An app's own AuthenticationFailure that embeds client text: quotes and line breaks cannot escape.
    const echoed = await request(app).get('/f/hooked').set('Authorization', bearer(token({ sub: 'echo', client_id: 'x"y' })));
    expect(challengeFields(echoed)).toEqual([invalidToken("unknown client 'x'y'X-Injected: 1", 'hooked')]);
    expect(echoed.headers['x-injected']).toBeUndefined();
    // The log line names the typ, reduced to safe characters.
    expect(logger.lines().join('\n')).not.toMatch(/["\r\n]X-Injected|\r/);
  });
});

describe('start-up errors', () => {
  it('a route whose scope no member of its auth can carry throws at decoration, naming the route', () => {
    expect(() => {
      @JsonController('/s')
      class ScopeWithoutJwt {
        @Get('/x') @LoginRequired({ auth: Staff, scope: 'articles:read' }) x() {
          return {};
        }
      }
      return ScopeWithoutJwt;
    }).toThrow(/^http-auth: @LoginRequired on ScopeWithoutJwt\.x: a route requires a scope, which only an OAuth access token carries, but none of its auth classes \(Staff\) is a @JwtAuth class/);
  });

  it('…and at createAuthCheckers when the auth comes from defaultAuth', () => {
    @JsonController('/s')
    class ScopeFromDefault {
      @Get('/y') @LoginRequired({ scope: 'articles:read' }) y() {
        return {};
      }
    }
    expect(() => createAuthCheckers([Staff], { controllers: [ScopeFromDefault] })).toThrow(/^http-auth: .*ScopeFromDefault\.y.*a route requires a scope.*\(Staff\) is a @JwtAuth class/);
    expect(() => createAuthCheckers([ApiAuth, Staff], { controllers: [ScopeFromDefault] })).not.toThrow();
  });

  it.each([
    ['none', { algorithms: ['none'] }, /^http-auth: @JwtAuth on Bad: algorithms must not contain "none"/],
    ['NONE', { algorithms: ['NONE'] }, /^http-auth: @JwtAuth on Bad: algorithms must not contain "none"/],
    ['HS256 with public keys', { algorithms: ['HS256'] }, /^http-auth: @JwtAuth on Bad: algorithms: HS256 verifies with a shared secret, never with public keys/],
    ['no keys at all', { keys: undefined }, /^http-auth: @JwtAuth on Bad: keys are required/],
    ['two key sources', { jwksUri: 'https://id.example.test/jwks' }, /^http-auth: @JwtAuth on Bad: jwksUri and keys are alternatives/],
    ['a plain-http JWKS URL', { keys: undefined, jwksUri: 'http://id.example.test/jwks' }, /^http-auth: @JwtAuth on Bad: jwksUri must be an https URL/],
  ])('refuses %s at decoration', (_name, options, message) => {
    expect(() => {
      @JwtAuth({ ...base, ...(options as object) } as never)
      class Bad {}
      return Bad;
    }).toThrow(message);
  });
});

/** guard()/koaGuard(): @JwtAuth in front of routes that are not controllers. */
@JwtAuth({ ...base, realm: 'docs', resource: 'https://api.example.test/docs' })
class DocsAuth {}

type GuardApp = (auth: AuthCheckers<unknown>, options: LoginRequiredOptions) => RequestListener | express.Express;
const expressDocs: GuardApp = (auth, options) => {
  const app = express();
  app.use('/docs', auth.guard(options), (req, res) => void res.json({ sub: (auth.currentUser(req) as JwtClaims).sub }));
  auth.useExpress(app);
  return app;
};
/** A plain Koa app (no routing-controllers): it serves the metadata itself, from protectedResourceMetadata(). */
const koaDocs: GuardApp = (auth, options) => {
  const app = new Koa();
  const guard = auth.koaGuard(options);
  app.use(async (ctx, next) => {
    if (ctx.path === '/.well-known/oauth-protected-resource/docs') {
      ctx.body = auth.protectedResourceMetadata();
      return;
    }
    await (ctx.path.startsWith('/docs') ? guard(ctx, next) : next());
  });
  app.use((ctx) => {
    ctx.body = { sub: (auth.currentUser(ctx) as JwtClaims).sub };
  });
  return app.callback();
};

describe.each([
  ['express auth.guard()', expressDocs],
  ['koa auth.koaGuard()', koaDocs],
] as const)('@JwtAuth behind %s', (_name, makeApp) => {
  const app = () => makeApp(createAuthCheckers([DocsAuth], { logger: recordingLogger() }), { auth: DocsAuth, scope: 'docs:read' });
  const metadata = 'https://api.example.test/.well-known/oauth-protected-resource/docs';

  it('asks for a token, refuses a bad one, needs the scope, admits a good one', async () => {
    const none = await request(app()).get('/docs/a');
    expect(none.status).toBe(401);
    expect(challengeFields(none)).toEqual([`Bearer realm="docs", resource_metadata="${metadata}"`]);
    const bad = await request(app()).get('/docs/a').set('Authorization', bearer(token({ exp: now() - 3600 })));
    expect(challengeFields(bad)).toEqual([`Bearer realm="docs", error="invalid_token", error_description="the token has expired", resource_metadata="${metadata}"`]);
    const noScope = await request(app()).get('/docs/a').set('Authorization', bearer(token()));
    expect(noScope.status).toBe(403);
    expect(challengeFields(noScope)).toEqual(['Bearer realm="docs", error="insufficient_scope", scope="docs:read"']);
    const good = await request(app()).get('/docs/a').set('Authorization', bearer(token({ scope: 'docs:read' })));
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ sub: 'client-1' });
  });

  it('serves the metadata with the guard\'s scope', async () => {
    const res = await request(app()).get('/.well-known/oauth-protected-resource/docs');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource: 'https://api.example.test/docs', scopes_supported: ['docs:read'] });
  });
});
