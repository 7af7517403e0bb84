/**
 * Issue 16 §4 end to end: a real authorization server (oidc-provider, tests/oauth/provider.ts)
 * issues JWT access tokens (`typ: at+jwt`, client credentials, a resource indicator) to a real
 * client (oauth4webapi), and routing-controllers apps on Express and Koa protected by
 * `@JwtAuth({ discovery: true })` and `@JwtAuth({ jwksUri })` verify them through the provider's
 * real discovery and JWKS endpoints — scopes, audiences, and key rotation, all through HTTP.
 */
import request from 'supertest';
import { Body, CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, JwtAuth, LoginRequired, type Action, type AuthEvent, type AuthFailureStatus, type JwtAuthOptions, type JwtClaims } from '../../src';
import { challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { sleep } from '../keys/jwks-server';
import { signingKey, startProvider, type TestProvider } from '../oauth/provider';

jest.setTimeout(120_000);

type KeyOptions = Pick<JwtAuthOptions, 'discovery' | 'jwksUri' | 'jwks' | 'cache'>;
const SOURCES: readonly (readonly [string, (op: TestProvider) => KeyOptions])[] = [
  ['discovery: true', () => ({ discovery: true })],
  ['jwksUri', (op) => ({ jwksUri: op.jwksUri })],
];

/** Auth class and controller for one provider, made once its issuer (a free port) is known. */
function appParts(op: TestProvider, keys: KeyOptions) {
  @JwtAuth({ issuer: op.issuer, audience: op.resource, ...keys, realm: 'api', resource: op.resource })
  class ApiAuth {
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }

  @JsonController('/articles')
  class ArticlesController {
    @Get('/') @LoginRequired({ auth: ApiAuth, scope: 'articles:read' }) list(@CurrentUser() user: JwtClaims) {
      return { client: user.client_id, sub: user.sub };
    }
    @Post('/') @LoginRequired({ auth: ApiAuth, scope: ['articles:read', 'articles:write'] }) create(@Body() body: { title: string }) {
      return { created: body.title };
    }
  }
  return { ApiAuth, ArticlesController };
}

function build(makeApp: (typeof DRIVERS)[number][1], op: TestProvider, keys: KeyOptions) {
  const { ApiAuth, ArticlesController } = appParts(op, keys);
  const logger = recordingLogger();
  const events: AuthEvent[] = [];
  const auth = createAuthCheckers([ApiAuth], { logger, onEvent: (event) => void events.push(event), controllers: [ArticlesController] });
  return { app: makeApp([ArticlesController], auth), auth, logger, events };
}

const metadataUrl = (op: TestProvider) => `${op.resource}/.well-known/oauth-protected-resource`.replace(/(https?:\/\/[^/]+)\/(.*)\/\.well-known\/oauth-protected-resource$/, '$1/.well-known/oauth-protected-resource/$2');

describe('JWT access tokens from oidc-provider, through HTTP', () => {
  let op: TestProvider;
  let readToken: string;
  let writeToken: string;
  let otherAudience: string;

  beforeAll(async () => {
    op = await startProvider({ keys: [signingKey('ES256', 'key-a')] });
    [readToken, writeToken, otherAudience] = await Promise.all([
      op.clientCredentialsToken({ scope: 'articles:read' }),
      op.clientCredentialsToken({ scope: 'articles:read articles:write' }),
      op.clientCredentialsToken({ scope: 'articles:read', resource: 'https://other.example.test' }),
    ]);
  });
  afterAll(() => op?.stop());

  it('issues what the issue describes: typ at+jwt, the resource as aud, the granted scopes', () => {
    const header = JSON.parse(Buffer.from(readToken.split('.')[0], 'base64url').toString());
    const claims = JSON.parse(Buffer.from(writeToken.split('.')[1], 'base64url').toString());
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: 'key-a' });
    expect(claims).toMatchObject({ iss: op.issuer, aud: op.resource, client_id: op.clientId, scope: 'articles:read articles:write' });
  });

  describe.each(DRIVERS)('%s', (_driver, makeApp) => {
    describe.each(SOURCES)('@JwtAuth({ %s })', (_source, keys) => {
      it('admits the real token on a route whose scope it was granted, with its claims as the user', async () => {
        const { app, events } = build(makeApp, op, keys(op));
        const res = await request(app).get('/articles').set('Authorization', `Bearer ${readToken}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ client: op.clientId, sub: op.clientId });
        await sleep(10);
        expect(events).toEqual([expect.objectContaining({ type: 'authenticated', kind: 'jwt', scheme: 'Bearer', authClass: 'ApiAuth' })]);
      });

      it('answers 403 insufficient_scope naming every scope the route needs; a token with both passes', async () => {
        const { app } = build(makeApp, op, keys(op));
        const denied = await request(app).post('/articles').set('Authorization', `Bearer ${readToken}`).send({ title: 'x' });
        expect(denied.status).toBe(403);
        expect(challengeFields(denied)).toEqual(['Bearer realm="api", error="insufficient_scope", scope="articles:read articles:write"']);
        const created = await request(app).post('/articles').set('Authorization', `Bearer ${writeToken}`).send({ title: 'x' });
        expect(created.status).toBe(200);
        expect(created.body).toEqual({ created: 'x' });
      });

      it('refuses the provider\'s token for another resource (aud), and names the metadata on 401s', async () => {
        const { app } = build(makeApp, op, keys(op));
        const res = await request(app).get('/articles').set('Authorization', `Bearer ${otherAudience}`);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ status: 401, reason: 'audience_not_allowed' });
        expect(challengeFields(res)).toEqual([
          `Bearer realm="api", error="invalid_token", error_description="the token is not meant for this resource (aud)", resource_metadata="${metadataUrl(op)}"`,
        ]);
        const anonymous = await request(app).get('/articles');
        expect(challengeFields(anonymous)).toEqual([`Bearer realm="api", resource_metadata="${metadataUrl(op)}"`]);
      });

      it('serves RFC 9728 metadata pointing at the provider', async () => {
        const { app } = build(makeApp, op, keys(op));
        const res = await request(app).get(new URL(metadataUrl(op)).pathname);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ resource: op.resource, authorization_servers: [op.issuer], scopes_supported: ['articles:read', 'articles:write'], bearer_methods_supported: ['header'] });
      });
    });
  });
});

/** Calls `attempt` every 100 ms until `done` holds or `ms` pass; the last result and when it came. */
async function eventually<T>(attempt: () => Promise<T>, done: (result: T) => boolean, ms: number): Promise<{ result: T; elapsed: number }> {
  const started = Date.now();
  for (;;) {
    const result = await attempt();
    if (done(result) || Date.now() - started > ms) return { result, elapsed: Date.now() - started };
    await sleep(100);
  }
}

describe.each(DRIVERS)('key rotation at oidc-provider, through HTTP (%s)', (_driver, makeApp) => {
  // unknownKidInterval 1 s: a token with the new key is accepted within 1 s + 1 s; maxAge 1 s: the
  // removal is learned by the first refresh after a second.
  const jwks = { unknownKidInterval: 1, maxAge: 1 };

  it.each(SOURCES)('@JwtAuth({ %s }): a new key is accepted at once, a removed key refused once the cache has learned it', async (_source, keys) => {
    const keyA = signingKey('ES256', 'key-a');
    const keyB = signingKey('RS256', 'key-b');
    const op = await startProvider({ keys: [keyA] });
    try {
      const { app, logger, events } = build(makeApp, op, { ...keys(op), jwks });
      const get = (token: string) => request(app).get('/articles').set('Authorization', `Bearer ${token}`);
      const oldToken = await op.clientCredentialsToken({ scope: 'articles:read' });
      expect((await get(oldToken)).status).toBe(200);

      // A new key is published beside the old one, and signs from now on.
      await op.restart({ keys: [keyB, keyA] });
      const newToken = await op.clientCredentialsToken({ scope: 'articles:read' });
      expect(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: 'key-b' });
      const accepted = await eventually(() => get(newToken), (res) => res.status === 200, 5_000);
      expect(accepted.result.status).toBe(200);
      expect(accepted.elapsed).toBeLessThan(jwks.unknownKidInterval * 1000 + 1000);
      expect((await get(oldToken)).status).toBe(200);

      // The old key is withdrawn: once a refresh has seen that, its tokens are refused.
      await op.restart({ keys: [keyB] });
      const refused = await eventually(() => get(oldToken), (res) => res.status === 401, 5_000);
      expect(refused.result.status).toBe(401);
      expect(refused.result.body).toEqual({ status: 401, reason: 'key_not_found' });
      expect((await get(newToken)).status).toBe(200);
      // A fresh token of the provider is accepted with the new key too.
      expect((await get(await op.clientCredentialsToken({ scope: 'articles:read' }))).status).toBe(200);

      await sleep(10);
      expect(events.filter((e) => e.type === 'rejected').map((e) => e.reason)).toContain('key_not_found');
      expect(logger.warn.mock.calls.map(([line]) => line)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^http-auth: ApiAuth: the signing keys of .* changed: 1 \("key-b"\) added, none removed$/)]),
      );
    } finally {
      await op.stop();
    }
  });

  it('with a verified-token cache: the key\'s removal clears it, so a cached token of the removed key is refused', async () => {
    const keyA = signingKey('ES256', 'key-a');
    const keyB = signingKey('ES256', 'key-b');
    const op = await startProvider({ keys: [keyA] });
    try {
      const { app, logger } = build(makeApp, op, { jwksUri: op.jwksUri, jwks, cache: { ttl: 300 } });
      const get = (token: string) => request(app).get('/articles').set('Authorization', `Bearer ${token}`);
      const oldToken = await op.clientCredentialsToken({ scope: 'articles:read' });
      expect((await get(oldToken)).status).toBe(200);
      await op.restart({ keys: [keyB] });
      // Only the cache answers for the old token; other clients' tokens make the key set refresh.
      const refused = await eventually(
        async () => {
          await get(await op.clientCredentialsToken({ scope: 'articles:read' }));
          return get(oldToken);
        },
        (res) => res.status === 401,
        8_000,
      );
      expect(refused.result.body).toEqual({ status: 401, reason: 'key_not_found' });
      expect(logger.warn.mock.calls.map(([line]) => line)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^http-auth: ApiAuth: the signing keys of .* changed: 1 \("key-b"\) added, 1 \("key-a"\) removed$/)]),
      );
    } finally {
      await op.stop();
    }
  });
});
