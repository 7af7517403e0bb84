/**
 * Certificate-bound opaque tokens (RFC 8705 §3) on `@IntrospectionAuth({ mtlsBound })`, through
 * real TLS: certificates made by openssl, an `https` server with `requestCert: true` around a
 * routing-controllers app on both drivers, Node's `https.request` and curl as clients, and an
 * introspection endpoint answering `cnf["x5t#S256"]` for the tokens the test binds. The binding is
 * checked against the certificate of the connection, on every request, cached answers included.
 */
import { randomBytes } from 'node:crypto';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, IntrospectionAuth, LoginRequired, type Action, type AuthFailureStatus, type JwtClaims } from '../../src';
import { DRIVERS, recordingLogger, tokenHeader } from '../helpers';
import type { TestServer } from '../keys/jwks-server';
import { makePki, nginxEscaped, type ClientName, type TestPki } from '../mtls/certs';
import { CLIENTS, listenHttps, nodeGet, type Sent } from '../mtls/https-clients';
import { endpoint, perToken } from './endpoint';

jest.setTimeout(60_000);

const pki: TestPki = makePki();
const ISSUER = 'https://id.example.test';
const RESOURCE = 'https://api.example.test';
const PROXY = '127.0.0.2';
const now = () => Math.floor(Date.now() / 1000);

const answers = new Map<string, unknown>();
/** An opaque token whose introspection answer binds it to a client's certificate, or to nothing. */
function issue(boundTo?: ClientName): string {
  const token = `op-${randomBytes(16).toString('base64url')}`;
  answers.set(token, { active: true, iss: ISSUER, aud: 'orders-api', exp: now() + 300, sub: 'device-7', ...(boundTo ? { cnf: { 'x5t#S256': pki.clients[boundTo].thumbprint } } : {}) });
  return token;
}

let introspection: { server: TestServer; url: string; seen: { body: string }[] };
beforeAll(async () => {
  introspection = await endpoint(perToken(answers));
});
afterAll(async () => {
  await introspection.server.close();
  pki.remove();
});

function build(makeApp: (typeof DRIVERS)[number][1], logger = recordingLogger()) {
  const common = { endpoint: introspection.url, clientId: 'orders-api', clientSecret: 'rs-secret', issuer: ISSUER, audience: 'orders-api', realm: 'api' };
  class ReasonHandler {
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }
  @IntrospectionAuth({ ...common, mtlsBound: 'allowed', resource: `${RESOURCE}/allowed`, cache: { ttl: 60 } })
  class AllowedAuth extends ReasonHandler {}
  @IntrospectionAuth({ ...common, mtlsBound: 'required', resource: `${RESOURCE}/required` })
  class RequiredAuth extends ReasonHandler {}
  @IntrospectionAuth({ ...common, resource: `${RESOURCE}/plain` })
  class PlainAuth extends ReasonHandler {}
  /** Behind a TLS-terminating proxy at 127.0.0.2, which forwards the client certificate as nginx does. */
  @IntrospectionAuth({ ...common, mtlsBound: 'allowed', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: [PROXY] }, resource: `${RESOURCE}/proxied` })
  class ProxiedAuth extends ReasonHandler {}

  @JsonController('/opaque')
  class DeviceController {
    @Get('/allowed') @LoginRequired({ auth: AllowedAuth }) allowed(@CurrentUser() claims: JwtClaims) {
      return { user: claims.sub };
    }
    @Get('/required') @LoginRequired({ auth: RequiredAuth }) required(@CurrentUser() claims: JwtClaims) {
      return { user: claims.sub };
    }
    @Get('/plain') @LoginRequired({ auth: PlainAuth }) plain(@CurrentUser() claims: JwtClaims) {
      return { user: claims.sub };
    }
    @Get('/proxied') @LoginRequired({ auth: ProxiedAuth }) proxied(@CurrentUser() claims: JwtClaims) {
      return { user: claims.sub };
    }
  }
  return makeApp([DeviceController], createAuthCheckers([AllowedAuth, RequiredAuth, PlainAuth, ProxiedAuth], { controllers: [DeviceController], logger }));
}

const challenge = (path: string, description: string) =>
  `Bearer realm="api", error="invalid_token", error_description="${description}", resource_metadata="${RESOURCE}/.well-known/oauth-protected-resource/${path}"`;

interface Row {
  readonly path: string;
  readonly sent: () => Sent;
  readonly status: number;
  readonly reason?: string;
  readonly challenge?: string;
}
const bearer = (token: string) => ({ authorization: tokenHeader(token) });

const ROWS: Record<string, Row> = {
  'control: a bound token with its certificate': { path: 'allowed', sent: () => ({ client: pki.clients.alice, headers: bearer(issue('alice')) }), status: 200 },
  'a bound token without a certificate': {
    path: 'allowed', sent: () => ({ headers: bearer(issue('alice')) }), status: 401, reason: 'certificate_binding_missing',
    challenge: challenge('allowed', 'the token is bound to a client certificate, and this connection presented none'),
  },
  'a bound token with another certificate of the same CA': {
    path: 'allowed', sent: () => ({ client: pki.clients.bob, headers: bearer(issue('alice')) }), status: 401, reason: 'certificate_binding_mismatch',
    challenge: challenge('allowed', 'the token is bound to another client certificate'),
  },
  "a bound token with another CA's certificate of the same subject": { path: 'allowed', sent: () => ({ client: pki.clients.otherCa, headers: bearer(issue('alice')) }), status: 401, reason: 'certificate_binding_mismatch' },
  'control: allowed, an unbound token without a certificate': { path: 'allowed', sent: () => ({ headers: bearer(issue()) }), status: 200 },
  'required: an unbound token': {
    path: 'required', sent: () => ({ client: pki.clients.alice, headers: bearer(issue()) }), status: 401, reason: 'certificate_binding_required',
    challenge: challenge('required', 'the token is not bound to a client certificate'),
  },
  'control: required, a bound token with its certificate': { path: 'required', sent: () => ({ client: pki.clients.bob, headers: bearer(issue('bob')) }), status: 200 },
  'no mtlsBound: a bound token is refused, even with its certificate': {
    path: 'plain', sent: () => ({ client: pki.clients.alice, headers: bearer(issue('alice')) }), status: 401, reason: 'token_bound',
    challenge: challenge('plain', 'the token is bound to a key and cannot be used as a bearer token'),
  },
  'control: no mtlsBound, an unbound token': { path: 'plain', sent: () => ({ headers: bearer(issue()) }), status: 200 },
  'control: mtlsFrom, the certificate forwarded by the trusted proxy': {
    path: 'proxied', sent: () => ({ headers: { ...bearer(issue('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) }, from: PROXY }), status: 200,
  },
  'mtlsFrom: another certificate forwarded by the trusted proxy': {
    path: 'proxied', sent: () => ({ headers: { ...bearer(issue('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.mallory.cert) }, from: PROXY }), status: 401, reason: 'certificate_binding_mismatch',
  },
  'mtlsFrom: the header sent directly by a client': {
    path: 'proxied', sent: () => ({ headers: { ...bearer(issue('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) } }), status: 401, reason: 'certificate_header_untrusted',
    challenge: challenge('proxied', 'a client certificate header is accepted only from a trusted proxy'),
  },
  'control: mtlsFrom, a direct TLS client with its own certificate': { path: 'proxied', sent: () => ({ client: pki.clients.alice, headers: bearer(issue('alice')) }), status: 200 },
};

describe.each(DRIVERS)('%s over TLS', (_driver, makeApp) => {
  let port: number;
  let close: () => Promise<void>;
  const logger = recordingLogger();
  beforeAll(async () => {
    ({ port, close } = await listenHttps(pki, build(makeApp, logger) as never));
  });
  afterAll(() => close());

  describe.each(CLIENTS)('%s', (_client, get) => {
    it.each(Object.entries(ROWS))('%s', async (_name, row) => {
      const answer = await get(pki, port, `/opaque/${row.path}`, row.sent());
      expect(answer.status).toBe(row.status);
      if (row.status === 200) return expect(answer.body).toEqual({ user: 'device-7' });
      expect(answer.body).toEqual({ status: row.status, reason: row.reason });
      if (row.challenge) expect(answer.challenges).toEqual([row.challenge]);
    });
  });

  it('a forwarded-certificate header from an untrusted address is logged with the address, never the certificate', async () => {
    await nodeGet(pki, port, '/opaque/proxied', { headers: { ...bearer(issue('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) } });
    const lines = logger.lines().join('\n');
    expect(lines).toMatch(/ProxiedAuth: refused a request carrying x-ssl-client-cert from (::ffff:)?127\.0\.0\.1, which is not in trustedProxies/);
    expect(lines).not.toMatch(/BEGIN|MII|op-/);
  });

  it("a cached answer is checked against each connection's certificate: the token's owner passes, a thief with another certificate does not", async () => {
    const token = issue('alice');
    const asked = () => introspection.seen.filter((s) => new URLSearchParams(s.body).get('token') === token).length;
    expect((await nodeGet(pki, port, '/opaque/allowed', { client: pki.clients.alice, headers: bearer(token) })).status).toBe(200);
    const stolen = await nodeGet(pki, port, '/opaque/allowed', { client: pki.clients.mallory, headers: bearer(token) });
    expect(stolen.body).toEqual({ status: 401, reason: 'certificate_binding_mismatch' });
    const bare = await nodeGet(pki, port, '/opaque/allowed', { headers: bearer(token) });
    expect(bare.body).toEqual({ status: 401, reason: 'certificate_binding_missing' });
    expect((await nodeGet(pki, port, '/opaque/allowed', { client: pki.clients.alice, headers: bearer(token) })).status).toBe(200);
    expect(asked()).toBe(1);
  });
});
