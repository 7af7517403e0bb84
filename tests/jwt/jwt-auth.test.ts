import request from 'supertest';
import { CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import { AuthenticationFailure, BasicAuth, createAuthCheckers, ErrorHandler, GetUserRoles, JwtAuth, LoginRequired, VerifyClaims, VerifyPassword, type Action, type AuthFailureStatus, type JwtClaims } from '../../src';
import { basicHeader, challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { accessClaims, AUDIENCE, ISSUER, joseToken, makeKeys, publicJwk } from '../schemes/jwt/tokens';

const keys = makeKeys();
const now = () => Math.floor(Date.now() / 1000);
const token = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  joseToken(keys.ec.privateKey, { alg: 'ES256', kid: 'k1', ...header }, accessClaims(now(), extra) as never);

@JwtAuth({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [publicJwk(keys.ec.publicKey, 'k1', 'ES256')] } as never, realm: 'api' })
class ApiAuth {}

@JwtAuth({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [publicJwk(keys.ec.publicKey, 'k1', 'ES256')] } as never, realm: 'api', resource: 'https://api.example.test/v1' })
class HookedApiAuth {
  seen: JwtClaims[] = [];
  @VerifyClaims() verify(claims: JwtClaims) {
    this.seen.push(claims);
    if (claims.sub === 'banned') throw new AuthenticationFailure('this client is suspended', { code: 'suspended' });
    if (claims.sub === 'nobody') return null;
    return { id: claims.sub, roles: claims.roles ?? [] };
  }
  @GetUserRoles() roles(user: { roles: string[] }) {
    return user.roles;
  }
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    return { status, reason: failure?.code ?? null };
  }
}

@BasicAuth()
class Staff {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'alice' && password === 'pw' ? username : null;
  }
}

@JsonController('/jwt')
class JwtController {
  @Get('/claims') @LoginRequired({ auth: ApiAuth }) claims(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub, frozen: Object.isFrozen(user) };
  }
  @Get('/articles') @LoginRequired({ auth: HookedApiAuth, scope: 'articles:read' }) read(@CurrentUser() user: { id: string }) {
    return { user };
  }
  @Post('/articles') @LoginRequired({ auth: HookedApiAuth, scope: { GET: 'articles:read', '*': ['articles:read', 'articles:write'] } }) write() {
    return { written: true };
  }
  @Get('/admin') @LoginRequired({ auth: HookedApiAuth, scope: 'articles:read', role: 'admin' }) admin() {
    return { admin: true };
  }
  @Post('/password') @LoginRequired({ auth: HookedApiAuth, fresh: true }) changePassword() {
    return { changed: true };
  }
  @Get('/either') @LoginRequired({ auth: [Staff, ApiAuth] }) either(@CurrentUser() user: unknown) {
    return { user: typeof user === 'string' ? user : (user as JwtClaims).sub };
  }
}

describe.each(DRIVERS)('@JwtAuth through HTTP (%s)', (_driver, makeApp) => {
  const app = () => makeApp([JwtController], createAuthCheckers([ApiAuth, new HookedApiAuth(), Staff], { logger: recordingLogger() }));

  it('admits a valid token; without @VerifyClaims the user is the frozen claims', async () => {
    const res = await request(app()).get('/jwt/claims').set('Authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'client-1', frozen: true });
  });

  it('answers a request without credentials with the plain challenge (no error attribute)', async () => {
    const res = await request(app()).get('/jwt/claims');
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual(['Bearer realm="api"']);
  });

  it.each([
    ['an expired token', { exp: now() - 3600 }, 'expired'],
    ['another audience', { aud: 'https://other.example.test' }, 'audience_not_allowed'],
    ['another issuer', { iss: 'https://evil.example.test' }, 'issuer_not_allowed'],
  ])('refuses %s with 401 invalid_token and its reason', async (_what, extra, code) => {
    const res = await request(app()).get('/jwt/claims').set('Authorization', `Bearer ${await token(extra)}`);
    expect(res.status).toBe(401);
    expect(challengeFields(res)[0]).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    expect(code).toBeTruthy();
  });

  it('answers a token over 8 KiB with 400 invalid_request', async () => {
    const res = await request(app()).get('/jwt/claims').set('Authorization', `Bearer ${'a'.repeat(9000)}`);
    expect(res.status).toBe(400);
    expect(challengeFields(res)[0]).toMatch(/^Bearer realm="api", error="invalid_request"/);
  });

  it('gives @VerifyClaims the claims and @ErrorHandler the reason code', async () => {
    const good = await request(app()).get('/jwt/articles').set('Authorization', `Bearer ${await token()}`);
    expect(good.body).toEqual({ user: { id: 'client-1', roles: [] } });
    const suspended = await request(app()).get('/jwt/articles').set('Authorization', `Bearer ${await token({ sub: 'banned' })}`);
    expect(suspended.status).toBe(401);
    expect(suspended.body).toEqual({ status: 401, reason: 'suspended' });
    expect(challengeFields(suspended)[0]).toBe('Bearer realm="api", error="invalid_token", error_description="this client is suspended", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/v1"');
    const refused = await request(app()).get('/jwt/articles').set('Authorization', `Bearer ${await token({ sub: 'nobody' })}`);
    expect(refused.status).toBe(401);
    const expired = await request(app()).get('/jwt/articles').set('Authorization', `Bearer ${await token({ exp: now() - 3600 })}`);
    expect(expired.body).toEqual({ status: 401, reason: 'expired' });
  });

  it('answers a missing scope with 403 insufficient_scope naming the scopes, per method', async () => {
    const readOnly = `Bearer ${await token({ scope: 'articles:read' })}`;
    const noScope = `Bearer ${await token({ scope: 'profile' })}`;
    const both = `Bearer ${await token({ scope: 'articles:read articles:write' })}`;
    const denied = await request(app()).get('/jwt/articles').set('Authorization', noScope);
    expect(denied.status).toBe(403);
    expect(challengeFields(denied)).toEqual(['Bearer realm="api", error="insufficient_scope", scope="articles:read"']);
    expect((await request(app()).post('/jwt/articles').set('Authorization', readOnly)).status).toBe(403);
    const writeChallenge = challengeFields(await request(app()).post('/jwt/articles').set('Authorization', readOnly));
    expect(writeChallenge).toEqual(['Bearer realm="api", error="insufficient_scope", scope="articles:read articles:write"']);
    expect((await request(app()).post('/jwt/articles').set('Authorization', both)).status).toBe(200);
    // scp as an array (Okta) is read too.
    expect((await request(app()).get('/jwt/articles').set('Authorization', `Bearer ${await token({ scope: undefined, scp: ['articles:read'] })}`)).status).toBe(200);
  });

  it('needs both scope and role', async () => {
    expect((await request(app()).get('/jwt/admin').set('Authorization', `Bearer ${await token({ roles: ['admin'], scope: 'profile' })}`)).status).toBe(403);
    expect((await request(app()).get('/jwt/admin').set('Authorization', `Bearer ${await token({ roles: ['user'] })}`)).status).toBe(403);
    expect((await request(app()).get('/jwt/admin').set('Authorization', `Bearer ${await token({ roles: ['admin'] })}`)).status).toBe(200);
  });

  it('works in a MultiAuth with Basic; a 401 offers both challenges', async () => {
    expect((await request(app()).get('/jwt/either').set('Authorization', basicHeader('alice', 'pw'))).body).toEqual({ user: 'alice' });
    expect((await request(app()).get('/jwt/either').set('Authorization', `Bearer ${await token()}`)).body).toEqual({ user: 'client-1' });
    expect(challengeFields(await request(app()).get('/jwt/either'))).toEqual(['Basic realm="Authentication Required"', 'Bearer realm="api"']);
  });

  it('requires a fresh token where fresh: true, with the fresh_required reason', async () => {
    const stale = await request(app()).post('/jwt/password').set('Authorization', `Bearer ${await token()}`);
    expect(stale.status).toBe(401);
    expect(stale.body).toEqual({ status: 401, reason: 'fresh_required' });
    expect(challengeFields(stale)[0]).toMatch(/^Bearer realm="api", error="invalid_token", error_description="fresh token required"/);
    expect((await request(app()).post('/jwt/password').set('Authorization', `Bearer ${await token({ fresh: 'yes' })}`)).status).toBe(401);
    expect((await request(app()).post('/jwt/password').set('Authorization', `Bearer ${await token({ fresh: true })}`)).status).toBe(200);
  });

  it('refuses a token sent twice: two Authorization fields', async () => {
    const t = await token();
    const res = await request(app()).get('/jwt/claims').set('Authorization', [`Bearer ${t}`, `Bearer ${t}`] as unknown as string);
    expect(res.status).toBe(400);
  });
});

describe.each(DRIVERS)('RFC 9728 protected-resource metadata (%s)', (_driver, makeApp) => {
  const build = () => {
    const auth = createAuthCheckers([ApiAuth, new HookedApiAuth(), Staff], { logger: recordingLogger() });
    return { auth, app: makeApp([JwtController], auth) };
  };

  it('is served at the path-inserted well-known URL, with the scopes the routes require', async () => {
    const { app, auth } = build();
    const res = await request(app).get('/.well-known/oauth-protected-resource/v1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    const expected = {
      resource: 'https://api.example.test/v1',
      authorization_servers: [ISSUER],
      scopes_supported: ['articles:read', 'articles:write'],
      bearer_methods_supported: ['header'],
    };
    expect(res.body).toEqual(expected);
    expect(auth.protectedResourceMetadata()).toEqual(expected);
    expect(auth.protectedResourceMetadata(HookedApiAuth)).toEqual(expected);
    expect(() => auth.protectedResourceMetadata(ApiAuth)).toThrow(/^http-auth: protectedResourceMetadata\(\): ApiAuth has a resource/);
  });

  it('names it in every 401, whatever Host or X-Forwarded-Host the request forges', async () => {
    const { app } = build();
    const res = await request(app).get('/jwt/articles').set('Host', 'evil.example').set('X-Forwarded-Host', 'evil.example');
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual(['Bearer realm="api", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/v1"']);
  });
});

describe('requirements only an access token can meet', () => {
  it.each([
    ['scope', { scope: 'articles:read' }, /a route requires a scope, which only an OAuth access token carries, but none of its auth classes \(Staff\) is a @JwtAuth class/],
    ['fresh', { fresh: true }, /a route requires a fresh token, which only an OAuth access token carries/],
  ] as const)('throws at decoration for %s on a route without a @JwtAuth class', (_what, options, message) => {
    expect(() => {
      @JsonController('/no-jwt')
      class NoJwt {
        @Get('/') @LoginRequired({ auth: Staff, ...options }) index() {
          return {};
        }
      }
      return NoJwt;
    }).toThrow(message);
  });
});
