/**
 * Issue 17 §3 end to end: a real authorization server (oidc-provider, tests/oauth/provider.ts)
 * issues OPAQUE access tokens (client credentials, a resource indicator) to a real client
 * (oauth4webapi, in a child process), and routing-controllers apps on Express and Koa protected
 * by `@IntrospectionAuth` check them at the provider's real introspection endpoint, authenticating
 * as a resource-server client with each of client_secret_basic, client_secret_post and
 * private_key_jwt. Then the token is revoked at the provider: refused once `clearCache` forgot it.
 */
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AuthenticationFailure,
  createAuthCheckers,
  ErrorHandler,
  IntrospectionAuth,
  LoginRequired,
  VerifyClaims,
  type Action,
  type AuthEvent,
  type AuthFailureStatus,
  type IntrospectionAuthOptions,
  type JwtClaims,
} from '../../src';
import { challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { sleep } from '../keys/jwks-server';
import { startProvider, type TestProvider } from '../oauth/provider';

jest.setTimeout(120_000);

const RS_SECRET = 'resource-server-secret: with a colon & spaces +';
const rsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsPublicJwk = { ...rsKey.publicKey.export({ format: 'jwk' }), kid: 'rs-key-1', alg: 'ES256', use: 'sig' };
const rsPrivateJwk = { ...rsKey.privateKey.export({ format: 'jwk' }), kid: 'rs-key-1', alg: 'ES256' };

type ClientOptions = Pick<IntrospectionAuthOptions, 'clientId' | 'clientSecret' | 'clientAuth' | 'privateKey'>;
const CLIENTS: readonly (readonly [string, ClientOptions])[] = [
  ['client_secret_basic', { clientId: 'rs-basic', clientSecret: RS_SECRET }],
  ['client_secret_post', { clientId: 'rs-post', clientSecret: RS_SECRET, clientAuth: 'client_secret_post' }],
  ['private_key_jwt', { clientId: 'rs-jwt', clientAuth: 'private_key_jwt', privateKey: rsPrivateJwk }],
];

function build(makeApp: (typeof DRIVERS)[number][1], op: TestProvider, client: ClientOptions, extra: Partial<IntrospectionAuthOptions> = {}) {
  @IntrospectionAuth({ endpoint: op.introspectionEndpoint, ...client, issuer: op.issuer, audience: op.resource, realm: 'api', resource: op.resource, ...extra })
  class ApiAuth {
    @VerifyClaims() verify(response: JwtClaims) {
      return { client: response.client_id, scope: response.scope };
    }
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }

  @JsonController('/articles')
  class ArticlesController {
    @Get('/') @LoginRequired({ auth: ApiAuth, scope: 'articles:read' }) list(@CurrentUser() user: { client: string; scope: string }) {
      return user;
    }
    @Get('/write') @LoginRequired({ auth: ApiAuth, scope: 'articles:write' }) write() {
      return { ok: true };
    }
  }
  const logger = recordingLogger();
  const events: AuthEvent[] = [];
  const auth = createAuthCheckers([ApiAuth], { logger, onEvent: (event) => void events.push(event), controllers: [ArticlesController] });
  return { app: makeApp([ArticlesController], auth), auth, logger, events };
}

describe('opaque access tokens from oidc-provider, introspected through HTTP', () => {
  let op: TestProvider;

  beforeAll(async () => {
    op = await startProvider({
      accessTokenFormat: 'opaque',
      resourceServers: [
        { client_id: 'rs-basic', client_secret: RS_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
        { client_id: 'rs-post', client_secret: RS_SECRET, token_endpoint_auth_method: 'client_secret_post' },
        { client_id: 'rs-jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsPublicJwk] } },
      ],
    });
  });
  afterAll(() => op?.stop());

  it('issues opaque tokens (not a JWT)', async () => {
    const token = await op.clientCredentialsToken({ scope: 'articles:read' });
    expect(token.split('.')).toHaveLength(1);
  });

  describe.each(DRIVERS)('%s', (_driver, makeApp) => {
    it.each(CLIENTS)('%s: admits the real token with its scope; @VerifyClaims gets the response; another scope is 403', async (_method, client) => {
      const token = await op.clientCredentialsToken({ scope: 'articles:read' });
      const { app, events, logger } = build(makeApp, op, client);
      const res = await request(app).get('/articles').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ client: op.clientId, scope: 'articles:read' });
      const denied = await request(app).get('/articles/write').set('Authorization', `Bearer ${token}`);
      expect(denied.status).toBe(403);
      expect(challengeFields(denied)).toEqual(['Bearer realm="api", error="insufficient_scope", scope="articles:write"']);
      await sleep(10);
      expect(events[0]).toEqual(expect.objectContaining({ type: 'authenticated', kind: 'introspection', scheme: 'Bearer', authClass: 'ApiAuth' }));
      expect(logger.lines()).toEqual([]);
    });

    it('a wrong client secret is an outage for the app (503, one log line naming the fix), never an admission', async () => {
      const token = await op.clientCredentialsToken({ scope: 'articles:read' });
      const { app, logger } = build(makeApp, op, { clientId: 'rs-basic', clientSecret: 'wrong' });
      const res = await request(app).get('/articles').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(503);
      expect(logger.lines()).toEqual([expect.stringContaining('answered HTTP 401 (check clientId and the client credentials)')]);
      expect(logger.lines().join('\n')).not.toContain(token);
    });

    it('refuses a token of another resource (aud) and an unknown token (active: false) with 401 invalid_token', async () => {
      const other = await op.clientCredentialsToken({ scope: 'articles:read', resource: 'https://other.example.test' });
      const { app } = build(makeApp, op, CLIENTS[0][1]);
      const wrongAud = await request(app).get('/articles').set('Authorization', `Bearer ${other}`);
      expect(wrongAud.status).toBe(401);
      expect(wrongAud.body).toEqual({ status: 401, reason: 'audience_not_allowed' });
      const unknown = await request(app).get('/articles').set('Authorization', 'Bearer made-up-token-value');
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual({ status: 401, reason: 'inactive' });
      expect(challengeFields(unknown)).toEqual([
        'Bearer realm="api", error="invalid_token", error_description="the token is not active", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"',
      ]);
    });

    it('a token revoked at the provider is refused once clearCache(token) forgot it (cached until then)', async () => {
      const token = await op.clientCredentialsToken({ scope: 'articles:read' });
      const { app, auth } = build(makeApp, op, CLIENTS[0][1], { cache: { ttl: 300, max: 100 } });
      expect((await request(app).get('/articles').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      await op.revoke(token);
      // The cached answer still admits: that is what the cache is for, and why clearCache exists.
      expect((await request(app).get('/articles').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      await auth.clearCache(token);
      const refused = await request(app).get('/articles').set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ status: 401, reason: 'inactive' });
    });
  });
});
