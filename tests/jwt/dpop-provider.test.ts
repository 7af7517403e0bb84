/**
 * DPoP end to end with real components: oidc-provider (DPoP enabled, tests/oauth/provider.ts)
 * issues a DPoP-bound JWT access token to oauth4webapi (tests/jwt/dpop-client-process.mjs), which
 * then calls routing-controllers apps on Express and Koa with its own proofs — including the server
 * nonce dance (401 use_dpop_nonce, retry with the nonce, 200). The apps listen on real ports, since
 * each proof names the URL the client called.
 */
import request from 'supertest';
import { CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, JwtAuth, LoginRequired, type Action, type AuthFailureStatus, type JwtClaims } from '../../src';
import { jwkThumbprint } from '../../src/schemes/dpop';
import { DRIVERS } from '../helpers';
import { dpopClient, listenFirst } from './dpop-client';
import { signingKey, startProvider, type TestProvider } from '../oauth/provider';

jest.setTimeout(120_000);

class ReasonHandler {
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    return { status, reason: failure?.code ?? null };
  }
}

describe('DPoP with oidc-provider and oauth4webapi, through HTTP', () => {
  let op: TestProvider;
  const servers: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    op = await startProvider({ keys: [signingKey('ES256', 'key-a')], dpop: true });
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await op?.stop();
  });

  describe.each(DRIVERS)('%s', (_driver, makeApp) => {
    it('a DPoP-bound token, its proofs and the nonce dance; the same token as Bearer is refused', async () => {
      // The port first: each class's resource (the origin of every htu) names it.
      const server = await listenFirst();
      servers.push(server);
      const { base } = server;
      const keys = { issuer: op.issuer, audience: op.resource, jwksUri: op.jwksUri };

      @JwtAuth({ ...keys, resource: `${base}/required`, dpop: 'required' })
      class RequiredAuth extends ReasonHandler {}
      @JwtAuth({ ...keys, resource: `${base}/nonce`, dpop: 'allowed', dpopNonce: true })
      class NonceAuth extends ReasonHandler {}

      @JsonController('/real')
      class RealController {
        @Get('/required') @LoginRequired({ auth: RequiredAuth, scope: 'articles:read' }) read(@CurrentUser() user: JwtClaims) {
          return { client: user.client_id, jkt: (user.cnf as { jkt: string }).jkt };
        }
        @Post('/required') @LoginRequired({ auth: RequiredAuth }) write() {
          return { written: true };
        }
        @Get('/nonce') @LoginRequired({ auth: NonceAuth }) nonce(@CurrentUser() user: JwtClaims) {
          return { client: user.client_id };
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
      const claims = JSON.parse(Buffer.from(report.accessToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ iss: op.issuer, aud: op.resource, cnf: { jkt } });

      const [get, post, nonce] = report.results;
      expect(get).toEqual([{ status: 200, body: { client: op.clientId, jkt }, dpopNonce: null }]);
      expect(post).toEqual([{ status: 200, body: { written: true }, dpopNonce: null }]);
      // The nonce dance: use_dpop_nonce with a DPoP-Nonce, then the retry with it is admitted.
      expect(nonce).toHaveLength(2);
      expect(nonce[0]).toMatchObject({
        status: 401,
        nonceError: true,
        challenges: expect.arrayContaining([{ scheme: 'dpop', parameters: { error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' } }]),
      });
      expect(nonce[0].dpopNonce).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(nonce[1]).toEqual({ status: 200, body: { client: op.clientId }, dpopNonce: null });

      // The same real token without its proof: as Bearer it is refused (RFC 9449 §7.2), and
      // 'required' refuses it before verification.
      const asBearer = await request(app).get('/real/nonce').set('Authorization', `Bearer ${report.accessToken}`);
      expect(asBearer.status).toBe(401);
      expect(asBearer.body).toEqual({ status: 401, reason: 'dpop_bound_as_bearer' });
      const required = await request(app).get('/real/required').set('Authorization', `Bearer ${report.accessToken}`);
      expect(required.body).toEqual({ status: 401, reason: 'dpop_required' });
    });
  });
});
