/**
 * DPoP (RFC 9449) on `@JwtAuth`, through HTTP on both drivers: the red-team rows of issue 17 §1,
 * one table, each row a request that must not get through (with its exact status, challenge and
 * reason code) or a control that must. Tokens and proofs are signed by hand with node:crypto.
 */
import request from 'supertest';
import { CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  JwtAuth,
  LoginRequired,
  MemoryNonceStore,
  type Action,
  type AuthEvent,
  type AuthFailureStatus,
  type JwtClaims,
  VerifyClaims,
  VerifyPassword,
} from '../../src';
import { accessTokenHash, jwkThumbprint } from '../../src/schemes/dpop';
import { client, CLIENT_JWK, dpopHeaders, JKT, now, other, OTHER_JWK, PROOF_DESCRIPTIONS, proofMaker } from './dpop-fixtures';
import { challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { accessClaims, AUDIENCE, ISSUER, makeKeys, publicJwk, signRaw } from '../schemes/jwt/tokens';

const keys = makeKeys();
const JWKS = { keys: [publicJwk(keys.ec.publicKey, 'ec-1', 'ES256')] };
const METADATA = 'https://api.example.test/.well-known/oauth-protected-resource';
const ORIGIN = 'https://api.example.test';

const token = (extra: Record<string, unknown> = {}) => signRaw(keys.ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' }, accessClaims(now(), { cnf: { jkt: JKT }, ...extra }));
const unboundToken = () => token({ cnf: undefined });

/** A proof for `method url` (a path on the configured origin, or an absolute URL). */
const proof = proofMaker(ORIGIN, '/dpop/items');

class ReasonHandler {
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    return { status, reason: failure?.code ?? null };
  }
}

const common = { issuer: ISSUER, audience: AUDIENCE, keys: JWKS as never, realm: 'api', resource: AUDIENCE };

/** `dpopAlgorithms` as in the RFC's examples, so that its challenges are the expected values. */
@JwtAuth({ ...common, dpop: 'allowed', dpopAlgorithms: ['ES256', 'PS256'] })
class AllowedAuth extends ReasonHandler {}

@JwtAuth({ ...common, dpop: 'required', resource: `${ORIGIN}/required` })
class RequiredAuth extends ReasonHandler {}

@JwtAuth({ ...common, dpop: 'allowed', dpopAlgorithms: ['ES256'], dpopNonce: { secret: 'a-dpop-nonce-secret-of-32-bytes!!', lifetime: 300 }, resource: `${ORIGIN}/nonce` })
class NonceAuth extends ReasonHandler {}

/** Two apps (two instances) sharing one store, as they would share a RedisNonceStore. */
const shared = new MemoryNonceStore();
@JwtAuth({ ...common, dpop: 'allowed', store: shared, resource: `${ORIGIN}/shared` })
class SharedAuth extends ReasonHandler {}

/** No `dpop` at all: a bound token is refused, never taken as a bearer token. */
@JwtAuth({ ...common, resource: `${ORIGIN}/plain` })
class PlainAuth extends ReasonHandler {}

/** Nonces of 9 s: a fresh one is sent on a 200 in the last 3 s. */
@JwtAuth({ ...common, dpop: 'allowed', dpopNonce: { secret: 'another-dpop-nonce-secret-32-bytes', lifetime: 9 }, resource: `${ORIGIN}/short` })
class ShortNonceAuth extends ReasonHandler {}

@JsonController('/dpop')
class DpopController {
  @Get('/items') @LoginRequired({ auth: AllowedAuth }) items(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Post('/items') @LoginRequired({ auth: AllowedAuth }) create(@CurrentUser() user: JwtClaims) {
    return { created: user.sub };
  }
  @Get('/scoped') @LoginRequired({ auth: AllowedAuth, scope: 'admin' }) scoped() {
    return { ok: true };
  }
  @Get('/required') @LoginRequired({ auth: RequiredAuth }) required(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/nonce') @LoginRequired({ auth: NonceAuth }) nonce(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/shared') @LoginRequired({ auth: SharedAuth }) shared(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/plain') @LoginRequired({ auth: PlainAuth }) plain(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
  @Get('/short') @LoginRequired({ auth: ShortNonceAuth }) short(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
}

const BEARER = `Bearer realm="api", resource_metadata="${METADATA}"`;
const ALGS = 'DPoP algs="ES256 PS256"';
/** The challenge pair of a refused proof: Bearer without error, DPoP with it (RFC 9449 §7.2). */
const badProof = (code: string) => [BEARER, `DPoP error="invalid_dpop_proof", error_description="${PROOF_DESCRIPTIONS[code]}", algs="ES256 PS256"`];

type Headers = Record<string, string | string[]>;
interface Row {
  readonly name: string;
  /** Builds the request: path, method and headers. */
  readonly send: () => { method?: 'get' | 'post'; path?: string; headers: Headers };
  readonly status: number;
  readonly challenges?: string[];
  readonly reason?: string | null;
}


const ROWS: Row[] = [
  { name: 'control: a bound token with its proof', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; }, status: 200 },
  { name: 'control: POST with a POST proof', send: () => { const t = token(); return { method: 'post', headers: dpopHeaders(t, proof({ method: 'POST', accessToken: t })) }; }, status: 200 },
  { name: 'control: another query (htu ignores the query, RFC 9449 §4.3 check 9)', send: () => { const t = token(); return { path: '/dpop/items?page=2', headers: dpopHeaders(t, proof({ url: '/dpop/items?page=1', accessToken: t })) }; }, status: 200 },
  { name: 'control: a forged Host is ignored (htu comes from resource)', send: () => { const t = token(); return { headers: { ...dpopHeaders(t, proof({ accessToken: t })), Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } }; }, status: 200 },
  { name: 'control: an unbound token as Bearer (dpop: allowed)', send: () => ({ headers: { Authorization: `Bearer ${unboundToken()}` } }), status: 200 },
  { name: 'a proof for another method', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ method: 'POST', accessToken: t })) }; }, status: 401, challenges: badProof('dpop_htm_mismatch'), reason: 'dpop_htm_mismatch' },
  { name: 'a proof for another path', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ url: '/dpop/other', accessToken: t })) }; }, status: 401, challenges: badProof('dpop_htu_mismatch'), reason: 'dpop_htu_mismatch' },
  { name: 'a proof for another origin', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ url: 'https://other.example/dpop/items', accessToken: t })) }; }, status: 401, challenges: badProof('dpop_htu_mismatch'), reason: 'dpop_htu_mismatch' },
  {
    name: 'a proof for the forged Host (the htu check does not follow Host / X-Forwarded-Host)',
    send: () => { const t = token(); return { headers: { ...dpopHeaders(t, proof({ url: 'https://evil.example/dpop/items', accessToken: t })), Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } }; },
    status: 401, challenges: badProof('dpop_htu_mismatch'), reason: 'dpop_htu_mismatch',
  },
  { name: 'the ath of another token', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: token({ jti: 'other' }) })) }; }, status: 401, challenges: badProof('dpop_ath_mismatch'), reason: 'dpop_ath_mismatch' },
  {
    name: 'a bound token as Bearer (§7.2)',
    send: () => ({ headers: { Authorization: `Bearer ${token()}` } }),
    status: 401,
    challenges: [`Bearer realm="api", error="invalid_token", error_description="the token is DPoP-bound; send it with the DPoP scheme and a proof", resource_metadata="${METADATA}"`, ALGS],
    reason: 'dpop_bound_as_bearer',
  },
  { name: 'control: an unbound token as Bearer on a class without dpop', send: () => ({ path: '/dpop/plain', headers: { Authorization: `Bearer ${unboundToken()}` } }), status: 200 },
  {
    name: 'a bound token as Bearer on a class without dpop (fail closed, as for certificate-bound tokens)',
    send: () => ({ path: '/dpop/plain', headers: { Authorization: `Bearer ${token()}` } }),
    status: 401,
    challenges: [`Bearer realm="api", error="invalid_token", error_description="the token is bound to a DPoP key, which this resource does not check", resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/plain"`],
    reason: 'dpop_bound_token_not_accepted',
  },
  { name: 'two DPoP headers', send: () => { const t = token(); return { headers: dpopHeaders(t, [proof({ accessToken: t }), proof({ accessToken: t })] as never) }; }, status: 401, challenges: badProof('dpop_proof_twice'), reason: 'dpop_proof_twice' },
  { name: 'no DPoP header', send: () => ({ headers: { Authorization: `DPoP ${token()}` } }), status: 401, challenges: badProof('dpop_proof_missing'), reason: 'dpop_proof_missing' },
  { name: 'a private key in jwk', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t, header: { jwk: client.privateKey.export({ format: 'jwk' }) } })) }; }, status: 401, challenges: badProof('dpop_jwk_private'), reason: 'dpop_jwk_private' },
  {
    name: 'an HS256 proof',
    send: () => { const t = token(); return { headers: dpopHeaders(t, signRaw(Buffer.alloc(32, 7), { typ: 'dpop+jwt', alg: 'HS256', jwk: CLIENT_JWK }, { jti: 'h', htm: 'GET', htu: `${ORIGIN}/dpop/items`, iat: now(), ath: accessTokenHash(t) })) }; },
    status: 401, challenges: badProof('dpop_alg_not_allowed'), reason: 'dpop_alg_not_allowed',
  },
  {
    name: 'an alg none proof',
    send: () => {
      const t = token();
      const b = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      return { headers: dpopHeaders(t, `${b({ typ: 'dpop+jwt', alg: 'none', jwk: CLIENT_JWK })}.${b({ jti: 'n', htm: 'GET', htu: `${ORIGIN}/dpop/items`, iat: now(), ath: accessTokenHash(t) })}.`) };
    },
    status: 401, challenges: badProof('dpop_alg_not_allowed'), reason: 'dpop_alg_not_allowed',
  },
  { name: 'typ: JWT', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t, header: { typ: 'JWT' } })) }; }, status: 401, challenges: badProof('dpop_typ_invalid'), reason: 'dpop_typ_invalid' },
  { name: 'iat 10 minutes old', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t, claims: { iat: now() - 600 } })) }; }, status: 401, challenges: badProof('dpop_iat_too_old'), reason: 'dpop_iat_too_old' },
  { name: 'iat 10 minutes ahead', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t, claims: { iat: now() + 600 } })) }; }, status: 401, challenges: badProof('dpop_iat_in_future'), reason: 'dpop_iat_in_future' },
  { name: 'a 10 KB jti', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t, claims: { jti: 'j'.repeat(10_240) } })) }; }, status: 401, challenges: badProof('dpop_proof_malformed'), reason: 'dpop_proof_malformed' },
  { name: 'a proof signed by another key than its jwk', send: () => { const t = token(); return { headers: dpopHeaders(t, proof({ accessToken: t, key: other.privateKey })) }; }, status: 401, challenges: badProof('dpop_signature_invalid'), reason: 'dpop_signature_invalid' },
  {
    name: 'a valid proof by another key than the token is bound to (Figure 16)',
    send: () => { const t = token({ cnf: { jkt: jwkThumbprint(other.publicKey.export({ format: 'jwk' })) } }); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; },
    status: 401, challenges: [BEARER, 'DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256 PS256"'], reason: 'dpop_key_mismatch',
  },
  {
    name: 'an unbound token with the DPoP scheme',
    send: () => { const t = unboundToken(); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; },
    status: 401, challenges: [BEARER, 'DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256 PS256"'], reason: 'dpop_key_mismatch',
  },
  {
    name: 'an invalid token with the DPoP scheme: invalid_token in the DPoP challenge',
    send: () => { const t = token({ exp: now() - 3600 }); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; },
    status: 401, challenges: [BEARER, 'DPoP error="invalid_token", error_description="the token has expired", algs="ES256 PS256"'], reason: 'expired',
  },
  {
    name: 'both schemes in two Authorization fields (Figure 19)',
    send: () => { const t = token(); return { headers: { Authorization: [`Bearer ${t}`, `DPoP ${t}`] as never, DPoP: proof({ accessToken: t }) } }; },
    status: 400,
    challenges: [
      'Bearer realm="api", error="invalid_request", error_description="Multiple methods used to include access token"',
      'DPoP algs="ES256 PS256", error="invalid_request", error_description="Multiple methods used to include access token"',
    ],
    reason: 'token_sent_twice',
  },
  { name: 'no credentials (Figure 17)', send: () => ({ headers: {} }), status: 401, challenges: [BEARER, ALGS], reason: null },
  {
    name: 'a DPoP token without the scope: insufficient_scope in the DPoP challenge',
    send: () => { const t = token(); return { path: '/dpop/scoped', headers: dpopHeaders(t, proof({ url: '/dpop/scoped', accessToken: t })) }; },
    status: 403,
    challenges: [BEARER, 'DPoP error="insufficient_scope", algs="ES256 PS256", scope="admin"'],
    reason: null,
  },
  // dpop: 'required'
  { name: "required: control", send: () => { const t = token(); return { path: '/dpop/required', headers: dpopHeaders(t, proof({ url: '/dpop/required', accessToken: t })) }; }, status: 200 },
  {
    name: 'required: an unbound token as Bearer',
    send: () => ({ path: '/dpop/required', headers: { Authorization: `Bearer ${unboundToken()}` } }),
    status: 401,
    challenges: [`DPoP error="invalid_token", error_description="a DPoP-bound token and a DPoP proof are required", algs="ES256 EdDSA PS256 RS256", resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/required"`],
    reason: 'dpop_required',
  },
  {
    name: 'required: an unbound token with a proof',
    send: () => { const t = unboundToken(); return { path: '/dpop/required', headers: dpopHeaders(t, proof({ url: '/dpop/required', accessToken: t })) }; },
    status: 401,
    challenges: [`DPoP error="invalid_token", error_description="a DPoP-bound token and a DPoP proof are required", algs="ES256 EdDSA PS256 RS256", resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/required"`],
    reason: 'dpop_required',
  },
  {
    name: 'required: no credentials',
    send: () => ({ path: '/dpop/required', headers: {} }),
    status: 401,
    challenges: [`DPoP algs="ES256 EdDSA PS256 RS256", resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/required"`],
    reason: null,
  },
];

describe.each(DRIVERS)('DPoP red team (%s)', (_driver, makeApp) => {
  const build = () => {
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers([AllowedAuth, RequiredAuth, NonceAuth, SharedAuth, ShortNonceAuth, PlainAuth], { logger: recordingLogger(), onEvent: (event) => void events.push(event), controllers: [DpopController] });
    return { app: makeApp([DpopController], auth), events };
  };
  const send = (app: ReturnType<typeof build>['app'], method: 'get' | 'post', path: string, headers: Headers) => {
    let req = request(app)[method](path);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value as string);
    return req;
  };

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const { app } = build();
    const { method = 'get', path = '/dpop/items', headers } = row.send();
    const res = await send(app, method, path, headers);
    expect(res.status).toBe(row.status);
    if (row.status === 200) return;
    expect(challengeFields(res)).toEqual(row.challenges);
    expect(res.body).toEqual({ status: row.status, reason: row.reason });
  });

  it('the same proof twice: the replay is refused', async () => {
    const { app, events } = build();
    const t = token();
    const headers = dpopHeaders(t, proof({ accessToken: t }));
    expect((await send(app, 'get', '/dpop/items', headers)).status).toBe(200);
    const replay = await send(app, 'get', '/dpop/items', headers);
    expect(replay.status).toBe(401);
    expect(challengeFields(replay)).toEqual(badProof('dpop_replay'));
    expect(replay.body).toEqual({ status: 401, reason: 'dpop_replay' });
    // A fresh proof for the same token is fine.
    expect((await send(app, 'get', '/dpop/items', dpopHeaders(t, proof({ accessToken: t })))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.map((e) => [e.kind, e.type, e.reason])).toEqual([
      ['jwt', 'authenticated', undefined],
      ['jwt', 'rejected', 'dpop_replay'],
      ['jwt', 'authenticated', undefined],
    ]);
    expect(JSON.stringify(events)).not.toContain(t.split('.')[2]);
  });

  it('the same proof at another instance sharing the store: refused', async () => {
    const a = build().app;
    const b = build().app;
    const t = token();
    const headers = dpopHeaders(t, proof({ url: '/dpop/shared', accessToken: t }));
    expect((await send(a, 'get', '/dpop/shared', headers)).status).toBe(200);
    const replay = await send(b, 'get', '/dpop/shared', headers);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ status: 401, reason: 'dpop_replay' });
  });

  it('server nonces: use_dpop_nonce with one DPoP-Nonce and no-store, then accepted with it; never again without one', async () => {
    const { app } = build();
    const t = token();
    const first = await send(app, 'get', '/dpop/nonce', dpopHeaders(t, proof({ url: '/dpop/nonce', accessToken: t })));
    expect(first.status).toBe(401);
    expect(challengeFields(first)).toEqual([
      `Bearer realm="api", resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/nonce"`,
      'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
    ]);
    expect(first.body).toEqual({ status: 401, reason: 'dpop_nonce_required' });
    const raw = (first as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
    const nonces = raw.filter((_, i) => i % 2 === 0 && raw[i].toLowerCase() === 'dpop-nonce');
    expect(nonces).toHaveLength(1);
    expect(first.headers['cache-control']).toBe('no-store');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/);

    const second = await send(app, 'get', '/dpop/nonce', dpopHeaders(t, proof({ url: '/dpop/nonce', accessToken: t, claims: { nonce } })));
    expect(second.status).toBe(200);
    // A fresh nonce only once this one is in the last third of its life.
    expect(second.headers['dpop-nonce']).toBeUndefined();

    for (const bad of [undefined, 'made-up', `${nonce}x`]) {
      const res = await send(app, 'get', '/dpop/nonce', dpopHeaders(t, proof({ url: '/dpop/nonce', accessToken: t, claims: bad === undefined ? {} : { nonce: bad } })));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ status: 401, reason: 'dpop_nonce_required' });
      expect(res.headers['dpop-nonce']).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('server nonces: a fresh one rides on a 200 before the old one expires, and both are accepted meanwhile', async () => {
    const { app } = build();
    const t = token();
    const first = await send(app, 'get', '/dpop/short', dpopHeaders(t, proof({ url: '/dpop/short', accessToken: t })));
    const nonce = first.headers['dpop-nonce'];
    const early = await send(app, 'get', '/dpop/short', dpopHeaders(t, proof({ url: '/dpop/short', accessToken: t, claims: { nonce } })));
    expect(early.status).toBe(200);
    expect(early.headers['dpop-nonce']).toBeUndefined();
    await new Promise((r) => setTimeout(r, 6_300));
    const late = await send(app, 'get', '/dpop/short', dpopHeaders(t, proof({ url: '/dpop/short', accessToken: t, claims: { nonce } })));
    expect(late.status).toBe(200);
    const fresh = late.headers['dpop-nonce'];
    expect(fresh).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fresh).not.toBe(nonce);
    expect(late.headers['cache-control']).toBe('no-store');
    const next = await send(app, 'get', '/dpop/short', dpopHeaders(t, proof({ url: '/dpop/short', accessToken: t, claims: { nonce: fresh } })));
    expect(next.status).toBe(200);
  }, 30_000);

  it('a flood of fresh proofs past the store bound, then the replay of an early one: refused', async () => {
    // The store's bound, small here (the default 100,000 is flooded in tests/schemes/dpop.test.ts): what it
    // forgets it refuses, so an evicted proof can never be replayed.
    @JwtAuth({ ...common, dpop: 'allowed', store: new MemoryNonceStore({ maxNonces: 8 }), resource: `${ORIGIN}/shared` })
    class SmallStoreAuth extends ReasonHandler {}
    @JsonController('/dpop')
    class SmallController {
      @Get('/shared') @LoginRequired({ auth: SmallStoreAuth }) shared() {
        return { ok: true };
      }
    }
    const app = makeApp([SmallController], createAuthCheckers([SmallStoreAuth], { controllers: [SmallController] }));
    const t = token();
    // The early proof's window ends first (its iat is older), as a captured proof's would.
    // (Records are told apart by when their window ends: proofs of the same second that the bound
    // forgot make the others of that second fail closed, so the flood's iat climbs a second a proof.)
    const early = dpopHeaders(t, proof({ url: '/dpop/shared', accessToken: t, claims: { iat: now() - 40 } }));
    expect((await send(app, 'get', '/dpop/shared', early)).status).toBe(200);
    for (let i = 0; i < 20; i++) {
      expect((await send(app, 'get', '/dpop/shared', dpopHeaders(t, proof({ url: '/dpop/shared', accessToken: t, claims: { iat: now() - 30 + i } })))).status).toBe(200);
    }
    const replay = await send(app, 'get', '/dpop/shared', early);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ status: 401, reason: 'dpop_replay' });
  }, 30_000);

  it('MultiAuth: a DPoP request picks the DPoP class, a Basic one the Basic class', async () => {
    @BasicAuth({ realm: 'staff' })
    class StaffAuth {
      @VerifyPassword() verify(username: string, password: string) {
        return username === 'ann' && password === 'pw' ? { name: 'ann' } : null;
      }
    }
    @JsonController('/dpop')
    class MultiController {
      @Get('/items') @LoginRequired({ auth: [StaffAuth, AllowedAuth] }) items(@CurrentUser() user: { sub?: string; name?: string }) {
        return { who: user.sub ?? user.name };
      }
    }
    const app = makeApp([MultiController], createAuthCheckers([StaffAuth, AllowedAuth], { controllers: [MultiController] }));
    const t = token();
    expect((await send(app, 'get', '/dpop/items', dpopHeaders(t, proof({ accessToken: t })))).body).toEqual({ who: 'client-1' });
    expect((await send(app, 'get', '/dpop/items', { Authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` })).body).toEqual({ who: 'ann' });
    const refused = await send(app, 'get', '/dpop/items', dpopHeaders(t, proof({ method: 'POST', accessToken: t })));
    expect(refused.status).toBe(401);
    expect(challengeFields(refused)).toEqual([...badProof('dpop_htm_mismatch'), 'Basic realm="staff"']);
  });

  it('protected-resource metadata names the proof algorithms and whether DPoP is required', async () => {
    const { app } = build();
    const allowed = await request(app).get('/.well-known/oauth-protected-resource');
    expect(allowed.body).toMatchObject({ dpop_signing_alg_values_supported: ['ES256', 'PS256'], dpop_bound_access_tokens_required: false });
    const required = await request(app).get('/.well-known/oauth-protected-resource/required');
    expect(required.body).toMatchObject({ dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'PS256', 'RS256'], dpop_bound_access_tokens_required: true });
  });

  it.each([
    ['without a cache', {}],
    ['with the verified-token cache', { cache: { ttl: 60 } }],
  ])('@VerifyClaims never sees a DPoP-bound token whose proof fails, and runs for each good proof (%s)', async (_name, cache) => {
    const seen: string[] = [];
    @JwtAuth({ ...common, dpop: 'allowed', resource: `${ORIGIN}/hooked`, ...cache })
    class HookedAuth extends ReasonHandler {
      @VerifyClaims() verify(claims: JwtClaims) {
        seen.push(claims.jti as string);
        return claims;
      }
    }
    @JsonController('/dpop')
    class HookedController {
      @Get('/hooked') @LoginRequired({ auth: HookedAuth }) hooked(@CurrentUser() user: JwtClaims) {
        return { sub: user.sub };
      }
    }
    const app = makeApp([HookedController], createAuthCheckers([HookedAuth], { logger: recordingLogger(), controllers: [HookedController] }));
    const t = token({ jti: 'hooked-token' });
    const url = '/dpop/hooked';
    // A thief's attempts first, so that with the cache the token is verified by a refused request.
    const refused = [
      { Authorization: `DPoP ${t}` },
      dpopHeaders(t, proof({ url, accessToken: t, key: other.privateKey, jwk: OTHER_JWK })),
      dpopHeaders(t, proof({ url, method: 'POST', accessToken: t })),
      { Authorization: `Bearer ${t}` },
    ];
    const reasons = [];
    for (const headers of refused) reasons.push((await send(app, 'get', url, headers)).body.reason);
    expect(reasons).toEqual(['dpop_proof_missing', 'dpop_key_mismatch', 'dpop_htm_mismatch', 'dpop_bound_as_bearer']);
    expect(seen).toEqual([]);
    // Controls: the owner's proofs, each one seen by the hook.
    for (let i = 0; i < 2; i++) expect((await send(app, 'get', url, dpopHeaders(t, proof({ url, accessToken: t })))).body).toEqual({ sub: 'client-1' });
    expect(seen).toEqual(['hooked-token', 'hooked-token']);
    // An unbound token keeps the cached user: its hook runs once with the cache, per request without.
    const u = unboundToken();
    for (let i = 0; i < 2; i++) expect((await send(app, 'get', url, { Authorization: `Bearer ${u}` })).status).toBe(200);
    expect(seen).toHaveLength('cache' in cache ? 3 : 4);
  });
});

