/**
 * Issue 17 §3 with real components: oidc-provider (DPoP on, opaque access tokens) issues a
 * DPoP-bound opaque token to oauth4webapi (tests/jwt/dpop-client-process.mjs), which calls
 * routing-controllers apps on Express and Koa with its own proofs — including the server nonce
 * dance. The apps check the token at the provider's real introspection endpoint, whose answer
 * carries `cnf.jkt` and `token_type: DPoP` (RFC 9449 §6.2), and then the proof. The apps listen on
 * real ports, since each proof names the URL the client called.
 */
import request from 'supertest';
import { CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, IntrospectionAuth, LoginRequired, VerifyClaims, type Action, type AuthFailureStatus, type JwtClaims } from '../../src';
import { jwkThumbprint } from '../../src/schemes/dpop';
import { DRIVERS } from '../helpers';
import { dpopClient, listenFirst } from '../jwt/dpop-client';
import { startProvider, type TestProvider } from '../oauth/provider';

jest.setTimeout(120_000);

const RS_SECRET = 'resource-server-secret-for-dpop';

class ReasonHandler {
  @VerifyClaims() verify(response: JwtClaims) {
    return { client: response.client_id, jkt: (response.cnf as { jkt: string }).jkt, tokenType: response.token_type };
  }
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    return { status, reason: failure?.code ?? null };
  }
}

describe('DPoP-bound opaque tokens from oidc-provider, introspected, with oauth4webapi as the client', () => {
  let op: TestProvider;
  const servers: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    op = await startProvider({
      dpop: true,
      accessTokenFormat: 'opaque',
      resourceServers: [{ client_id: 'rs-dpop', client_secret: RS_SECRET, token_endpoint_auth_method: 'client_secret_basic' }],
    });
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await op?.stop();
  });

  describe.each(DRIVERS)('%s', (_driver, makeApp) => {
    it('the introspection answer binds the key; proofs and the nonce dance pass; the token without its proof does not', async () => {
      const server = await listenFirst();
      servers.push(server);
      const { base } = server;
      const common = { endpoint: op.introspectionEndpoint, clientId: 'rs-dpop', clientSecret: RS_SECRET, issuer: op.issuer, audience: op.resource };

      @IntrospectionAuth({ ...common, resource: `${base}/required`, dpop: 'required', cache: { ttl: 60 } })
      class RequiredAuth extends ReasonHandler {}
      @IntrospectionAuth({ ...common, resource: `${base}/nonce`, dpop: 'allowed', dpopNonce: true })
      class NonceAuth extends ReasonHandler {}

      @JsonController('/real')
      class RealController {
        @Get('/required') @LoginRequired({ auth: RequiredAuth, scope: 'articles:read' }) read(@CurrentUser() user: object) {
          return user;
        }
        @Post('/required') @LoginRequired({ auth: RequiredAuth }) write() {
          return { written: true };
        }
        @Get('/nonce') @LoginRequired({ auth: NonceAuth }) nonce(@CurrentUser() user: object) {
          return user;
        }
      }
      const app = makeApp([RealController], createAuthCheckers([RequiredAuth, NonceAuth], { controllers: [RealController] }));
      server.serve(app);

      const report = await dpopClient(op, [
        { method: 'GET', url: `${base}/real/required?page=1` },
        { method: 'POST', url: `${base}/real/required` },
        { method: 'GET', url: `${base}/real/nonce` },
      ]);
      const jkt = jwkThumbprint(report.publicJwk);
      expect(report.tokenType.toLowerCase()).toBe('dpop');
      // Opaque: nothing to read in it; the binding comes from the introspection answer alone.
      expect(report.accessToken.split('.')).toHaveLength(1);

      const [get, post, nonce] = report.results;
      expect(get).toEqual([{ status: 200, body: { client: op.clientId, jkt, tokenType: 'DPoP' }, dpopNonce: null }]);
      expect(post).toEqual([{ status: 200, body: { written: true }, dpopNonce: null }]);
      expect(nonce).toHaveLength(2);
      expect(nonce[0]).toMatchObject({
        status: 401,
        nonceError: true,
        challenges: expect.arrayContaining([{ scheme: 'dpop', parameters: { error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' } }]),
      });
      expect(nonce[1]).toEqual({ status: 200, body: { client: op.clientId, jkt, tokenType: 'DPoP' }, dpopNonce: null });

      // Without its proof the real token is refused: as Bearer (§7.2), and by 'required' before any introspection.
      const asBearer = await request(app).get('/real/nonce').set('Authorization', `Bearer ${report.accessToken}`);
      expect(asBearer.body).toEqual({ status: 401, reason: 'dpop_bound_as_bearer' });
      const required = await request(app).get('/real/required').set('Authorization', `Bearer ${report.accessToken}`);
      expect(required.body).toEqual({ status: 401, reason: 'dpop_required' });
      const noProof = await request(app).get('/real/required').set('Authorization', `DPoP ${report.accessToken}`);
      expect(noProof.body).toEqual({ status: 401, reason: 'dpop_proof_missing' });
    });
  });
});
