/**
 * Issue 17 §2: client certificates (`@ClientCertAuth`) and certificate-bound tokens
 * (`@JwtAuth({ mtlsBound })`, RFC 8705), through real TLS: certificates made by openssl in a temp
 * directory, an `https` server with `requestCert: true` around a routing-controllers app on both
 * drivers, and Node's `https.request` and curl as clients. Every check has a row that must not
 * get through and a control that must.
 */
import { generateKeyPairSync, type X509Certificate } from 'node:crypto';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  ClientCertAuth,
  createAuthCheckers,
  ErrorHandler,
  GetUserRoles,
  JwtAuth,
  LoginRequired,
  VerifyCertificate,
  VerifyPassword,
  type Action,
  type AuthEvent,
  type AuthFailureStatus,
  type Credentials,
  type HookRequest,
  type JwtClaims,
} from '../../src';
import { basicHeader, DRIVERS, recordingLogger, tokenHeader } from '../helpers';
import { accessClaims, AUDIENCE, ISSUER, publicJwk, signRaw } from '../schemes/jwt/tokens';
import { commonName, makePki, nginxEscaped, xfcc, type ClientName, type TestPki } from './certs';
import { CLIENTS, listenHttps, type Answer, type Sent } from './https-clients';

const pki: TestPki = makePki();
afterAll(() => pki.remove());

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWKS = { keys: [publicJwk(signingKey.publicKey, 'ec-1', 'ES256')] };
const now = () => Math.floor(Date.now() / 1000);
/** An access token, bound to a client's certificate (`cnf["x5t#S256"]`) when one is named. */
const token = (boundTo?: ClientName, cnf?: unknown) =>
  signRaw(signingKey.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' }, accessClaims(now(), boundTo ? { cnf: { 'x5t#S256': pki.clients[boundTo].thumbprint } } : cnf === undefined ? {} : { cnf }));

const USERS: Record<string, { name: string; roles: string[] }> = {
  alice: { name: 'alice', roles: ['admin'] },
  bob: { name: 'bob', roles: [] },
};

class ReasonHandler {
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    return { status, reason: failure?.code ?? null, message: failure?.message ?? null };
  }
}

/** Users by the certificate's common name; mallory's certificate is the CA's, but no user. */
class CertUsers extends ReasonHandler {
  @VerifyCertificate() verify(cert: X509Certificate) {
    return USERS[commonName(cert) ?? ''] ?? null;
  }
  @GetUserRoles() roles(user: { roles: string[] }, credentials: Credentials) {
    // The certificate reaches the roles hook too.
    return credentials.certificate ? user.roles : [];
  }
}

@ClientCertAuth()
class DeviceAuth extends CertUsers {}

/** A hook that declares the request gets it (frozen, as for every hook). */
@ClientCertAuth()
class RequestAwareAuth extends ReasonHandler {
  @VerifyCertificate() verify(cert: X509Certificate, request?: HookRequest) {
    return request && Object.isFrozen(request) ? { name: `${commonName(cert)} via ${request.method} ${request.url}` } : null;
  }
}

const PROXY = '127.0.0.2';

@ClientCertAuth({ from: { header: 'x-ssl-client-cert', trustedProxies: [PROXY] } })
class NginxAuth extends CertUsers {}

@ClientCertAuth({ from: { header: 'x-forwarded-client-cert', trustedProxies: ['127.0.0.2/32'] } })
class EnvoyAuth extends CertUsers {}

@BasicAuth({ realm: 'users' })
class UserAuth extends ReasonHandler {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'carol' && password === 'secret' ? { name: 'carol', roles: [] } : null;
  }
}

const jwtCommon = { issuer: ISSUER, audience: AUDIENCE, keys: JWKS as never, realm: 'api', algorithms: ['ES256'] };

@JwtAuth({ ...jwtCommon, mtlsBound: 'allowed', resource: `${AUDIENCE}/allowed` })
class AllowedJwt extends ReasonHandler {}

@JwtAuth({ ...jwtCommon, mtlsBound: 'required', resource: `${AUDIENCE}/required`, cache: { ttl: 60 } })
class RequiredJwt extends ReasonHandler {}

@JwtAuth({ ...jwtCommon, resource: `${AUDIENCE}/plain` })
class PlainJwt extends ReasonHandler {}

/** Behind nginx: the certificate of a bound token is the one the trusted proxy forwarded. */
@JwtAuth({ ...jwtCommon, mtlsBound: 'required', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: [PROXY] }, resource: `${AUDIENCE}/proxied`, cache: { ttl: 60 } })
class ProxiedJwt extends ReasonHandler {}

@JsonController()
class MtlsController {
  @Get('/cert') @LoginRequired({ auth: DeviceAuth }) cert(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/cert/request') @LoginRequired({ auth: RequestAwareAuth }) withRequest(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/cert/admin') @LoginRequired({ auth: DeviceAuth, role: 'admin' }) admin(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/cert/optional') @LoginRequired({ auth: DeviceAuth, optional: true }) optional(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
  @Get('/multi') @LoginRequired({ auth: [DeviceAuth, UserAuth] }) multi(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/nginx') @LoginRequired({ auth: NginxAuth }) nginx(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/envoy') @LoginRequired({ auth: EnvoyAuth }) envoy(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/jwt/allowed') @LoginRequired({ auth: AllowedJwt }) allowed(@CurrentUser() claims: JwtClaims) {
    return { user: claims.sub };
  }
  @Get('/jwt/required') @LoginRequired({ auth: RequiredJwt }) required(@CurrentUser() claims: JwtClaims) {
    return { user: claims.sub };
  }
  @Get('/jwt/plain') @LoginRequired({ auth: PlainJwt }) plain(@CurrentUser() claims: JwtClaims) {
    return { user: claims.sub };
  }
  @Get('/jwt/proxied') @LoginRequired({ auth: ProxiedJwt }) proxied(@CurrentUser() claims: JwtClaims) {
    return { user: claims.sub };
  }
}

const BASIC_CHALLENGE = 'Basic realm="users"';
const bearer = (resource: string, code?: string, description?: string) =>
  code === undefined
    ? `Bearer realm="api", resource_metadata="${AUDIENCE.replace('example.test', 'example.test/.well-known/oauth-protected-resource')}/${resource}"`
    : `Bearer realm="api", error="invalid_token", error_description="${description}", resource_metadata="${AUDIENCE.replace('example.test', 'example.test/.well-known/oauth-protected-resource')}/${resource}"`;

interface Row {
  readonly path: string;
  readonly sent: () => Sent;
  readonly status: number;
  /** The AuthenticationFailure code @ErrorHandler got (`null`: none); for 200, the user. */
  readonly reason?: string | null;
  readonly user?: string | null;
  /** The exact WWW-Authenticate fields. @default [] */
  readonly challenges?: readonly string[];
  readonly message?: string;
}

const as = (client: ClientName, extra: Omit<Sent, 'client'> = {}) => () => ({ client: pki.clients[client], ...extra });
const none = (extra: Sent = {}) => () => extra;
const viaProxy = (header: string, value: () => string | readonly string[], from = PROXY) => () => ({ headers: { [header]: value() }, from });

const ROWS: Record<string, Row> = {
  // The TLS socket.
  'no certificate: 401 with no challenge (TLS has no WWW-Authenticate scheme)': { path: '/cert', sent: none(), status: 401, reason: null },
  'control: a certificate of the CA': { path: '/cert', sent: as('alice'), status: 200, user: 'alice' },
  'a certificate of another CA (same subject)': {
    path: '/cert', sent: as('otherCa'), status: 401, reason: 'certificate_not_verified',
    message: 'the client certificate was not verified by the TLS layer (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
  },
  'an expired certificate of the CA': {
    path: '/cert', sent: as('expired'), status: 401, reason: 'certificate_not_verified',
    message: 'the client certificate was not verified by the TLS layer (CERT_HAS_EXPIRED)',
  },
  'control: @VerifyCertificate(cert, request) gets the request': { path: '/cert/request', sent: as('bob'), status: 200, user: 'bob via GET /cert/request' },
  'a certificate @VerifyCertificate does not know': { path: '/cert', sent: as('mallory'), status: 401, reason: null },
  'a forwarded-certificate header is not read by a class without from': {
    path: '/cert', sent: none({ headers: { 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) }, from: PROXY }), status: 401, reason: null,
  },
  // Roles and optional.
  'roles: a user without the role': { path: '/cert/admin', sent: as('bob'), status: 403, reason: null },
  'control: roles from @GetUserRoles': { path: '/cert/admin', sent: as('alice'), status: 200, user: 'alice' },
  'optional: no certificate is anonymous': { path: '/cert/optional', sent: none(), status: 200, user: null },
  'optional: an unverified certificate is still refused': { path: '/cert/optional', sent: as('otherCa'), status: 401, reason: 'certificate_not_verified' },
  'control: optional with a certificate': { path: '/cert/optional', sent: as('bob'), status: 200, user: 'bob' },
  // MultiAuth: the 401 carries the other members' challenges.
  'multi: nothing sent, the Basic challenge only': { path: '/multi', sent: none(), status: 401, reason: null, challenges: [BASIC_CHALLENGE] },
  'multi: an expired certificate, the Basic challenge only': { path: '/multi', sent: as('expired'), status: 401, reason: 'certificate_not_verified', challenges: [BASIC_CHALLENGE] },
  'control: multi by certificate': { path: '/multi', sent: as('alice'), status: 200, user: 'alice' },
  'control: multi by password': { path: '/multi', sent: none({ headers: { authorization: basicHeader('carol', 'secret') } }), status: 200, user: 'carol' },
  // A TLS-terminating proxy's header.
  'nginx header sent directly by a client (not from a trusted proxy)': {
    path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => nginxEscaped(pki.clients.alice.cert), '127.0.0.1'), status: 401, reason: 'certificate_header_untrusted',
  },
  'nginx header sent directly, with a valid certificate on the socket too': {
    path: '/nginx', sent: as('alice', { headers: { 'x-ssl-client-cert': nginxEscaped(pki.clients.bob.cert) } }), status: 401, reason: 'certificate_header_untrusted',
  },
  'control: nginx header from the trusted proxy': { path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => nginxEscaped(pki.clients.alice.cert)), status: 200, user: 'alice' },
  'control: a direct client without the header uses its own TLS certificate': { path: '/nginx', sent: as('bob'), status: 200, user: 'bob' },
  'the trusted proxy without the header: its own certificate is not the client': { path: '/nginx', sent: as('alice', { from: PROXY }), status: 401, reason: null },
  'the trusted proxy sends the header empty: no certificate': { path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => ''), status: 401, reason: null },
  'nginx header: not a certificate': { path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => 'hello'), status: 401, reason: 'certificate_malformed' },
  'nginx header: bad percent-encoding': { path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => '%E0%A4%A'), status: 401, reason: 'certificate_malformed' },
  'nginx header: truncated base64': {
    path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => nginxEscaped(pki.clients.alice.cert.replace(/\n[^\n]+\n-----END/, '\n-----END'))), status: 401, reason: 'certificate_malformed',
  },
  'nginx header: two certificates in one value': {
    path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => nginxEscaped(pki.clients.alice.cert + pki.clients.bob.cert)), status: 401, reason: 'certificate_malformed',
  },
  'nginx header: sent twice': {
    path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => [nginxEscaped(pki.clients.alice.cert), nginxEscaped(pki.clients.alice.cert)]), status: 401, reason: 'certificate_malformed',
  },
  'nginx header: a private key': { path: '/nginx', sent: viaProxy('x-ssl-client-cert', () => nginxEscaped(pki.clients.alice.key)), status: 401, reason: 'certificate_malformed' },
  'envoy XFCC sent directly by a client': { path: '/envoy', sent: viaProxy('x-forwarded-client-cert', () => xfcc(pki.clients.alice.cert), '127.0.0.1'), status: 401, reason: 'certificate_header_untrusted' },
  'control: envoy XFCC from the trusted proxy': { path: '/envoy', sent: viaProxy('x-forwarded-client-cert', () => xfcc(pki.clients.alice.cert)), status: 200, user: 'alice' },
  'envoy XFCC: two elements (which one is the client?)': {
    path: '/envoy', sent: viaProxy('x-forwarded-client-cert', () => `${xfcc(pki.clients.bob.cert)},${xfcc(pki.clients.alice.cert)}`), status: 401, reason: 'certificate_malformed',
  },
  'envoy XFCC: unterminated quote': { path: '/envoy', sent: viaProxy('x-forwarded-client-cert', () => 'Hash=abc;Cert="%2D%2D'), status: 401, reason: 'certificate_malformed' },
  'envoy XFCC: no Cert': { path: '/envoy', sent: viaProxy('x-forwarded-client-cert', () => 'By=spiffe://a;Hash=abc;Subject="CN=alice"'), status: 401, reason: 'certificate_malformed' },
  // Certificate-bound tokens (RFC 8705 §3).
  'bound token without a certificate': {
    path: '/jwt/allowed', sent: () => ({ headers: { authorization: tokenHeader(token('alice')) } }), status: 401, reason: 'certificate_binding_missing',
    challenges: [bearer('allowed', 'invalid_token', 'the token is bound to a client certificate, and this connection presented none')],
  },
  'bound token with another certificate': {
    path: '/jwt/allowed', sent: () => ({ client: pki.clients.bob, headers: { authorization: tokenHeader(token('alice')) } }), status: 401, reason: 'certificate_binding_mismatch',
    challenges: [bearer('allowed', 'invalid_token', 'the token is bound to another client certificate')],
  },
  'bound token with the same subject from another CA': {
    path: '/jwt/allowed', sent: () => ({ client: pki.clients.otherCa, headers: { authorization: tokenHeader(token('alice')) } }), status: 401, reason: 'certificate_binding_mismatch',
    challenges: [bearer('allowed', 'invalid_token', 'the token is bound to another client certificate')],
  },
  'bound token whose cnf thumbprint is not a string': {
    path: '/jwt/allowed', sent: () => ({ client: pki.clients.alice, headers: { authorization: tokenHeader(token(undefined, { 'x5t#S256': 42 })) } }), status: 401, reason: 'certificate_binding_mismatch',
    challenges: [bearer('allowed', 'invalid_token', 'the token is bound to another client certificate')],
  },
  'control: bound token with its certificate': { path: '/jwt/allowed', sent: () => ({ client: pki.clients.alice, headers: { authorization: tokenHeader(token('alice')) } }), status: 200, user: 'client-1' },
  'control: allowed takes an unbound token': { path: '/jwt/allowed', sent: () => ({ headers: { authorization: tokenHeader(token()) } }), status: 200, user: 'client-1' },
  'required: an unbound token': {
    path: '/jwt/required', sent: () => ({ client: pki.clients.alice, headers: { authorization: tokenHeader(token()) } }), status: 401, reason: 'certificate_binding_required',
    challenges: [bearer('required', 'invalid_token', 'the token is not bound to a client certificate')],
  },
  'required (cached): bound token without a certificate': {
    path: '/jwt/required', sent: () => ({ headers: { authorization: tokenHeader(token('bob')) } }), status: 401, reason: 'certificate_binding_missing',
    challenges: [bearer('required', 'invalid_token', 'the token is bound to a client certificate, and this connection presented none')],
  },
  'control: required, bound token with its certificate': { path: '/jwt/required', sent: () => ({ client: pki.clients.bob, headers: { authorization: tokenHeader(token('bob')) } }), status: 200, user: 'client-1' },
  'no mtlsBound: a bound token is refused, not accepted as a bearer token': {
    path: '/jwt/plain', sent: () => ({ client: pki.clients.alice, headers: { authorization: tokenHeader(token('alice')) } }), status: 401, reason: 'certificate_bound_token_not_accepted',
    challenges: [bearer('plain', 'invalid_token', 'the token is bound to a client certificate, which this resource does not check')],
  },
  'control: no mtlsBound, an unbound token': { path: '/jwt/plain', sent: () => ({ headers: { authorization: tokenHeader(token()) } }), status: 200, user: 'client-1' },
  // mtlsFrom: a bound token behind a TLS-terminating proxy.
  'control: mtlsFrom, a bound token with its certificate forwarded by the trusted proxy': {
    path: '/jwt/proxied', sent: () => ({ headers: { authorization: tokenHeader(token('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) }, from: PROXY }), status: 200, user: 'client-1',
  },
  'mtlsFrom: another certificate forwarded by the trusted proxy': {
    path: '/jwt/proxied', sent: () => ({ headers: { authorization: tokenHeader(token('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.bob.cert) }, from: PROXY }), status: 401, reason: 'certificate_binding_mismatch',
    challenges: [bearer('proxied', 'invalid_token', 'the token is bound to another client certificate')],
  },
  'mtlsFrom: the header with the right certificate, sent directly by a client': {
    path: '/jwt/proxied', sent: () => ({ headers: { authorization: tokenHeader(token('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) } }), status: 401, reason: 'certificate_header_untrusted',
    challenges: [bearer('proxied', 'invalid_token', 'a client certificate header is accepted only from a trusted proxy')],
  },
  'mtlsFrom: from the trusted proxy without the header, whose own TLS certificate is not the client\'s': {
    path: '/jwt/proxied', sent: () => ({ client: pki.clients.alice, headers: { authorization: tokenHeader(token('alice')) }, from: PROXY }), status: 401, reason: 'certificate_binding_missing',
    challenges: [bearer('proxied', 'invalid_token', 'the token is bound to a client certificate, and this connection presented none')],
  },
  'mtlsFrom: a malformed forwarded certificate': {
    path: '/jwt/proxied', sent: () => ({ headers: { authorization: tokenHeader(token('alice')), 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.key) }, from: PROXY }), status: 401, reason: 'certificate_malformed',
    challenges: [bearer('proxied', 'invalid_token', 'the forwarded client certificate cannot be read')],
  },
  'control: mtlsFrom, a direct TLS client with its own certificate': {
    path: '/jwt/proxied', sent: () => ({ client: pki.clients.bob, headers: { authorization: tokenHeader(token('bob')) } }), status: 200, user: 'client-1',
  },
};

describe.each(DRIVERS)('%s over TLS', (_driver, makeApp) => {
  const logger = recordingLogger();
  let port: number;
  let close: () => Promise<void>;
  const events: AuthEvent[] = [];
  beforeAll(async () => {
    const checkers = createAuthCheckers([DeviceAuth, RequestAwareAuth, NginxAuth, EnvoyAuth, UserAuth, AllowedJwt, RequiredJwt, PlainJwt, ProxiedJwt], { logger, onEvent: (event) => events.push(event) });
    ({ port, close } = await listenHttps(pki, makeApp([MtlsController], checkers) as never));
  });
  afterAll(() => close());

  describe.each(CLIENTS)('%s', (_client, get) => {
    it.each(Object.entries(ROWS))('%s', async (_name, row) => {
      const answer: Answer = await get(pki, port, row.path, row.sent());
      expect({ status: answer.status, challenges: answer.challenges }).toEqual({ status: row.status, challenges: row.challenges ?? [] });
      if (row.status === 200) expect(answer.body).toEqual({ user: row.user });
      else expect(answer.body).toMatchObject({ status: row.status, reason: row.reason, ...(row.message ? { message: row.message } : {}) });
    });
  });

  it('a header from an untrusted address is logged, naming the address, never the certificate', async () => {
    await CLIENTS[0][1](pki, port, '/nginx', { headers: { 'x-ssl-client-cert': nginxEscaped(pki.clients.alice.cert) } });
    // Rate-limited per kind: the table's first such request wrote the line.
    expect(logger.lines().join('\n')).toMatch(/NginxAuth: refused a request carrying x-ssl-client-cert from (::ffff:)?127\.0\.0\.1, which is not in trustedProxies/);
    // The same for the certificate of a bound token (mtlsFrom): the table's direct row wrote it.
    expect(logger.lines().join('\n')).toMatch(/ProxiedJwt: refused a request carrying x-ssl-client-cert from (::ffff:)?127\.0\.0\.1, which is not in trustedProxies/);
    expect(logger.lines().join('\n')).not.toMatch(/BEGIN|MII/);
  });

  it('audit events name the class, the kind and the reason', async () => {
    events.length = 0;
    await CLIENTS[0][1](pki, port, '/cert', { client: pki.clients.expired });
    await CLIENTS[0][1](pki, port, '/cert', { client: pki.clients.alice });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map(({ type, authClass, kind, scheme, reason, status }) => ({ type, authClass, kind, scheme, reason, status }))).toEqual([
      { type: 'rejected', authClass: 'DeviceAuth', kind: 'clientCert', scheme: 'mTLS', reason: 'certificate_not_verified', status: 401 },
      { type: 'authenticated', authClass: 'DeviceAuth', kind: 'clientCert', scheme: 'mTLS', reason: undefined, status: undefined },
    ]);
  });
});
