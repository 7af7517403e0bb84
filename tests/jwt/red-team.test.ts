/**
 * The red-team table of issue 16 §4: one row per attack, sent through HTTP to a routing-controllers
 * app on both drivers, each asserting the status, the exact `WWW-Authenticate` field and the
 * reason code `@ErrorHandler` receives. Tokens are signed by hand (tests/schemes/jwt/tokens.ts),
 * since no JWT library produces most of them.
 *
 * The clock is fixed (`Date.now` at S + 0.5 s) so that the `exp` = now / now + 1 rows are exact.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, JwtAuth, LoginRequired, type Action, type AuthFailureStatus, type JwtClaims } from '../../src';
import { challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { accessClaims, AUDIENCE, b64, ISSUER, makeKeys, publicJwk, signRaw, signSegments } from '../schemes/jwt/tokens';

const keys = makeKeys();
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWKS = { keys: [publicJwk(keys.rsa.publicKey, 'rsa-1', 'RS256'), publicJwk(keys.ec.publicKey, 'ec-1', 'ES256')] };
const METADATA = 'https://api.example.test/.well-known/oauth-protected-resource';

/** The fixed "now", in seconds: every row is computed against it. */
const S = Math.floor(Date.now() / 1000);

const common = { issuer: ISSUER, audience: AUDIENCE, keys: JWKS as never, realm: 'api', resource: AUDIENCE, query: 'access_token' };

class ReasonHandler {
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    return { status, reason: failure?.code ?? null };
  }
}

@JwtAuth({ ...common, clockTolerance: 0 })
class StrictAuth extends ReasonHandler {}

/** The default tolerance (30 s), for the boundary row. */
@JwtAuth({ ...common, openApiName: 'TolerantAuth', resource: 'https://api.example.test/tolerant' })
class TolerantAuth extends ReasonHandler {}

/** A class that accepts `typ: JWT` (as some providers need): `aud` must still refuse an ID token. */
@JwtAuth({ ...common, typ: ['JWT', 'at+jwt'], resource: 'https://api.example.test/lenient' })
class LenientTypAuth extends ReasonHandler {}

@JsonController('/rt')
class RedTeamController {
  @Get('/strict') @LoginRequired({ auth: StrictAuth }) strict(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/tolerant') @LoginRequired({ auth: TolerantAuth }) tolerant(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/lenient') @LoginRequired({ auth: LenientTypAuth }) lenient(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
}

const DESCRIPTIONS: Record<string, string> = {
  malformed: 'the token is not a well-formed JWT',
  alg_not_allowed: 'the token is signed with an algorithm that is not accepted',
  typ_not_allowed: 'the token type (typ) is not accepted; an access token is expected',
  crit_unsupported: 'the token requires an extension (crit) that is not supported',
  kid_invalid: 'the key id (kid) of the token is invalid',
  key_not_found: 'no key is known for the token',
  signature_invalid: 'the token signature is invalid',
  exp_missing: 'the token has no expiration time (exp)',
  exp_invalid: 'the expiration time (exp) of the token is invalid',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  iat_in_future: 'the token was issued in the future',
  audience_not_allowed: 'the token is not meant for this resource (aud)',
  bound_token_not_accepted: 'the token is bound to a key (cnf) that this resource cannot check',
  binding_invalid: "the token's key binding (cnf) is malformed",
};

/** The exact challenge of a 401 `invalid_token` refusal. */
const invalidToken = (code: string, metadata = METADATA) =>
  `Bearer realm="api", error="invalid_token", error_description="${DESCRIPTIONS[code]}", resource_metadata="${metadata}"`;

const claims = (extra: Record<string, unknown> = {}) => accessClaims(S, extra);
const es256 = (header: Record<string, unknown> = {}, payload: unknown = claims()) => signRaw(keys.ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1', ...header }, payload);
const rs256 = (header: Record<string, unknown> = {}, payload: unknown = claims()) => signRaw(keys.rsa.privateKey, { alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1', ...header }, payload);
const segments = (token: string) => token.split('.');
/** An ES256 token whose payload segment is this exact JSON text (for what JSON.stringify cannot write). */
const es256Text = (json: string | Buffer) => signSegments('ES256', keys.ec.privateKey, b64({ alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' }), Buffer.from(json).toString('base64url'));

/** Flips one bit in the middle of the signature bytes (the encoding stays canonical). */
function flipSignatureBit(token: string): string {
  const [h, p, s] = segments(token);
  const bytes = Buffer.from(s, 'base64url');
  bytes[10] ^= 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

/** Sets an unused low bit of the signature's last character: the same bytes, another spelling. */
function nonCanonicalSignature(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = token[token.length - 1];
  return token.slice(0, -1) + alphabet[alphabet.indexOf(last) | 0x01];
}

// The attacker's server: jku / x5u point here; a verifier that followed them would make it count.
let attackerServer: Server;
let attackerHits = 0;
let attackerUrl = '';

beforeAll(async () => {
  jest.spyOn(Date, 'now').mockImplementation(() => S * 1000 + 500);
  attackerServer = createServer((_req, res) => {
    attackerHits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk(attacker.publicKey, 'ec-1', 'ES256')] }));
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  jest.restoreAllMocks();
  attackerServer.closeAllConnections();
  await new Promise((resolve) => attackerServer.close(resolve));
});

const attackerKeyDer = () => createPublicKey(attacker.privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
/** Signed by the attacker's key, with the server's kid and a header that names where "the right key" is. */
const attackerToken = (header: Record<string, unknown>) => signRaw(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1', ...header }, claims());

type Send = (req: request.Test, token: string) => request.Test;
const bearer: Send = (req, token) => req.set('Authorization', `Bearer ${token}`);

interface Row {
  readonly row: string;
  readonly token: () => string;
  readonly path?: string;
  readonly send?: Send;
  readonly status: number;
  /** The exact WWW-Authenticate fields. */
  readonly challenge?: readonly string[];
  readonly reason?: string | null;
}

const refused = (row: string, token: () => string, code: string, extra: Partial<Row> = {}): Row => ({ row, token, status: 401, challenge: [invalidToken(code)], reason: code, ...extra });

const ROWS: readonly Row[] = [
  { row: 'control: a valid ES256 token', token: () => es256(), status: 200 },
  { row: 'control: a valid RS256 token', token: () => rs256(), status: 200 },
  refused('alg: none, empty signature', () => `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.`, 'alg_not_allowed'),
  refused('alg: NONE, empty signature', () => `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${b64(claims())}.`, 'alg_not_allowed'),
  refused('alg: noNE, empty signature', () => `${b64({ alg: 'noNE', typ: 'at+jwt' })}.${b64(claims())}.`, 'alg_not_allowed'),
  refused('alg: ES256 with an empty signature', () => segments(es256()).slice(0, 2).join('.') + '.', 'signature_invalid'),
  refused('HS256 signed with the RSA public key (PEM) as the HMAC secret', () => signRaw(Buffer.from(createPublicKey(keys.rsa.privateKey).export({ format: 'pem', type: 'spki' })), { alg: 'HS256', typ: 'at+jwt', kid: 'rsa-1' }, claims()), 'alg_not_allowed'),
  refused('HS256 signed with the RSA public key (JWK n) as the HMAC secret', () => signRaw(Buffer.from(JWKS.keys[0].n as string), { alg: 'HS256', typ: 'at+jwt', kid: 'rsa-1' }, claims()), 'alg_not_allowed'),
  refused('ES256 with an all-zero signature (CVE-2022-21449)', () => segments(es256()).slice(0, 2).join('.') + '.' + Buffer.alloc(64).toString('base64url'), 'signature_invalid'),
  refused('exp = now (clockTolerance 0)', () => es256({}, claims({ exp: S })), 'expired'),
  { row: 'exp = now + 1 (clockTolerance 0): still valid', token: () => es256({}, claims({ exp: S + 1 })), status: 200 },
  refused('exp = now - 30 (default tolerance 30 s)', () => es256({}, claims({ exp: S - 30 })), 'expired', {
    path: '/rt/tolerant',
    challenge: [invalidToken('expired', 'https://api.example.test/.well-known/oauth-protected-resource/tolerant')],
  }),
  { row: 'exp = now - 29 (default tolerance 30 s): still valid', token: () => es256({}, claims({ exp: S - 29 })), path: '/rt/tolerant', status: 200 },
  refused('no exp', () => es256({}, claims({ exp: undefined })), 'exp_missing'),
  refused('exp as a string', () => es256({}, claims({ exp: String(S + 300) })), 'exp_invalid'),
  refused('exp: 1e400 (Infinity once parsed)', () => es256Text(JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400')), 'exp_invalid'),
  refused('exp: 2^53 (beyond the safe integers)', () => es256({}, claims({ exp: 2 ** 53 })), 'exp_invalid'),
  refused('nbf in the future', () => es256({}, claims({ nbf: S + 60 })), 'not_yet_valid'),
  refused('iat one day ahead', () => es256({}, claims({ iat: S + 86_400 })), 'iat_in_future'),
  refused('an unknown crit extension', () => es256({ crit: ['x-must-understand'], 'x-must-understand': true }), 'crit_unsupported'),
  refused('a payload that is a JSON array', () => es256({}, [claims()]), 'malformed'),
  refused('a payload that is not valid UTF-8', () => es256Text(Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1) + ',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])), 'malformed'),
  refused('a padded signature (=)', () => `${es256()}==`, 'malformed'),
  refused('a bit-flipped signature', () => flipSignatureBit(es256()), 'signature_invalid'),
  refused('a signature with a non-zero unused bit (another spelling of a valid token)', () => nonCanonicalSignature(es256()), 'malformed'),
  refused('2 segments', () => segments(es256()).slice(0, 2).join('.'), 'malformed'),
  refused('4 segments', () => `${es256()}.${segments(es256())[2]}`, 'malformed'),
  refused('kid "../../dev/null"', () => es256({ kid: '../../dev/null' }), 'key_not_found'),
  {
    row: 'kid of 10 KB (the token passes 8 KiB: refused before any parsing)',
    token: () => es256({ kid: 'k'.repeat(10_240) }),
    status: 400,
    challenge: ['Bearer realm="api", error="invalid_request", error_description="the token is larger than 8192 bytes"'],
    reason: 'token_too_large',
  },
  refused('kid of 1 KB', () => es256({ kid: 'k'.repeat(1024) }), 'kid_invalid'),
  refused('kid that is a number', () => es256({ kid: 42 }), 'kid_invalid'),
  refused('jku naming the attacker\'s JWKS (signed by the attacker)', () => attackerToken({ jku: `${attackerUrl}/jwks.json` }), 'signature_invalid'),
  refused('x5u naming the attacker\'s certificate', () => attackerToken({ x5u: `${attackerUrl}/cert.pem` }), 'signature_invalid'),
  refused('x5c carrying the attacker\'s key', () => attackerToken({ x5c: [attackerKeyDer()], x5u: `${attackerUrl}/chain.pem` }), 'signature_invalid'),
  refused('an embedded jwk (the attacker\'s key)', () => attackerToken({ jwk: publicJwk(attacker.publicKey), jku: `${attackerUrl}/jwk` }), 'signature_invalid'),
  refused('an ID token (typ JWT, aud = the client id)', () => es256({ typ: 'JWT' }, claims({ aud: 'client-1', nonce: 'n-1', auth_time: S - 10 })), 'typ_not_allowed'),
  refused('an ID token to a class that accepts typ JWT: aud still refuses it', () => es256({ typ: 'JWT' }, claims({ aud: 'client-1', nonce: 'n-1' })), 'audience_not_allowed', {
    path: '/rt/lenient',
    challenge: [invalidToken('audience_not_allowed', 'https://api.example.test/.well-known/oauth-protected-resource/lenient')],
  }),
  // RFC 7800: a proof-of-possession token this resource cannot check is no bearer token.
  refused('a token bound to a key by cnf.jwk (RFC 7800 §3.2)', () => es256({}, claims({ cnf: { jwk: publicJwk(attacker.publicKey) } })), 'bound_token_not_accepted'),
  refused('a token bound by cnf.kid', () => es256({}, claims({ cnf: { kid: 'pop-key-1' } })), 'bound_token_not_accepted'),
  refused('a cnf that names no method', () => es256({}, claims({ cnf: {} })), 'binding_invalid'),
  refused('a cnf that is not an object', () => es256({}, claims({ cnf: 'jkt' })), 'binding_invalid'),
  refused('an access token for another audience', () => es256({}, claims({ aud: ['https://other.example.test', 'client-1'] })), 'audience_not_allowed'),
  refused('a forged Host on a 401: the metadata URL is unchanged', () => es256({}, claims({ exp: S - 3600 })), 'expired', {
    send: (req, token) => req.set('Authorization', `Bearer ${token}`).set('Host', 'evil.example').set('X-Forwarded-Host', 'evil.example').set('X-Forwarded-Proto', 'http').set('Forwarded', 'host=evil.example;proto=http'),
  }),
  {
    row: 'a forged Host with no token: the plain challenge names the same metadata URL',
    token: () => '',
    send: (req) => req.set('Host', 'evil.example').set('X-Forwarded-Host', 'evil.example'),
    status: 401,
    challenge: [`Bearer realm="api", resource_metadata="${METADATA}"`],
    reason: null,
  },
  {
    row: 'a token sent twice: header and query',
    token: () => es256(),
    send: (req, token) => req.set('Authorization', `Bearer ${token}`).query({ access_token: token }),
    status: 400,
    challenge: ['Bearer realm="api", error="invalid_request", error_description="the token was sent more than once"'],
    reason: 'token_sent_twice',
  },
  {
    row: 'a token sent twice: two Authorization fields',
    token: () => es256(),
    send: (req, token) => req.set('Authorization', [`Bearer ${token}`, `Bearer ${token}`] as unknown as string),
    status: 400,
    challenge: ['Bearer realm="api", error="invalid_request", error_description="the token was sent more than once"'],
    reason: 'token_sent_twice',
  },
  { row: 'control: the token in the query alone', token: () => es256(), send: (req, token) => req.query({ access_token: token }), status: 200 },
  {
    row: 'a token of 8193 characters',
    token: () => 'a'.repeat(8193),
    status: 400,
    challenge: ['Bearer realm="api", error="invalid_request", error_description="the token is larger than 8192 bytes"'],
    reason: 'token_too_large',
  },
  refused('a token of exactly 8192 characters is parsed (and is not a JWT)', () => 'a'.repeat(8192), 'malformed'),
];

describe.each(DRIVERS)('red-team table through HTTP (%s)', (_driver, makeApp) => {
  let app: ReturnType<typeof makeApp>;
  const logger = recordingLogger();
  beforeAll(() => {
    app = makeApp([RedTeamController], createAuthCheckers([StrictAuth, TolerantAuth, LenientTypAuth], { logger }));
  });

  it.each(ROWS.map((r) => [r.row, r] as const))('%s', async (_row, row) => {
    const token = row.token();
    const req = request(app).get(row.path ?? '/rt/strict');
    const res = await (row.send ?? bearer)(req, token);
    expect(res.status).toBe(row.status);
    if (row.status === 200) {
      expect(res.body).toEqual({ sub: 'client-1' });
      expect(challengeFields(res)).toEqual([]);
      return;
    }
    expect(challengeFields(res)).toEqual(row.challenge);
    expect(res.body).toEqual({ status: row.status, reason: row.reason });
    // Nothing an attacker sent is echoed: the description is fixed text.
    expect(res.headers['www-authenticate']).not.toContain(attackerUrl);
  });

  it('never fetched anything the tokens named (jku, x5u, x5c, jwk): 0 hits', () => {
    expect(attackerHits).toBe(0);
  });

  it('logged nothing but rate-limited typ lines (no token, no attacker text)', () => {
    for (const line of logger.lines()) {
      expect(line).not.toContain(attackerUrl);
      expect(line).toMatch(/typ/);
    }
  });
});
