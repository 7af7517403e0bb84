/**
 * Issue 17 §3: "A DPoP-bound introspection response (`cnf.jkt`, `token_type: DPoP`) gets the DPoP
 * checks of §1." Through HTTP on both drivers, against an introspection endpoint the test controls
 * (each opaque token has its own answer): every proof row of the JWT red team, on cache misses and
 * cache hits; the server nonces; the replay store shared by two apps; the challenges and metadata.
 * Proofs are signed by hand with node:crypto.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { CurrentUser, Get, JsonController, Post } from 'routing-controllers';
import {
  AuthenticationFailure,
  createAuthCheckers,
  ErrorHandler,
  IntrospectionAuth,
  LoginRequired,
  MemoryNonceStore,
  VerifyClaims,
  type Action,
  type AuthEvent,
  type AuthFailureStatus,
  type IntrospectionAuthOptions,
  type JwtClaims,
} from '../../src';
import { challengeFields, DRIVERS, recordingLogger } from '../helpers';
import type { TestServer } from '../keys/jwks-server';
import { client, dpopHeaders, JKT, now, OTHER_JWK, other, PROOF_DESCRIPTIONS, proofMaker } from '../jwt/dpop-fixtures';
import { endpoint, perToken } from './endpoint';

jest.setTimeout(30_000);

const ISSUER = 'https://id.example.test';
const ORIGIN = 'https://api.example.test';
const METADATA = `${ORIGIN}/.well-known/oauth-protected-resource`;
const NONCE_SECRET = 'an-introspection-dpop-nonce-secret-32b';

/** The endpoint's answers, one per opaque token. */
const answers = new Map<string, unknown>();
/** A fresh opaque token whose introspection answer is an active response with `extra`. */
function issue(extra: Record<string, unknown> = { token_type: 'DPoP', cnf: { jkt: JKT } }): string {
  const token = `op-${randomBytes(16).toString('base64url')}`;
  answers.set(token, { active: true, iss: ISSUER, aud: 'orders-api', exp: now() + 300, iat: now(), scope: 'orders:read', sub: 'alice', client_id: 'shop', token_type: 'Bearer', ...extra });
  return token;
}
const unbound = () => issue({});

/** A proof for `method url` (a path on ORIGIN, or an absolute URL). */
const proof = proofMaker(ORIGIN, '/opaque/items');

function build(makeApp: (typeof DRIVERS)[number][1], url: string, store = new MemoryNonceStore()) {
  const common: IntrospectionAuthOptions = { endpoint: url, clientId: 'orders-api', clientSecret: 'rs-secret', issuer: ISSUER, audience: 'orders-api', realm: 'api', resource: ORIGIN };

  class ReasonHandler {
    @VerifyClaims() verify(response: JwtClaims) {
      verified.push(response.sub as string);
      return { sub: response.sub, jkt: (response.cnf as { jkt?: string } | undefined)?.jkt ?? null };
    }
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }
  const verified: string[] = [];

  /** The cache on: every proof check below must also hold for an answer served from it. */
  @IntrospectionAuth({ ...common, dpop: 'allowed', dpopAlgorithms: ['ES256'], cache: { ttl: 60 }, store })
  class AllowedAuth extends ReasonHandler {}

  @IntrospectionAuth({ ...common, resource: `${ORIGIN}/required`, dpop: 'required', store })
  class RequiredAuth extends ReasonHandler {}

  @IntrospectionAuth({ ...common, resource: `${ORIGIN}/nonce`, dpop: 'allowed', dpopAlgorithms: ['ES256'], dpopNonce: { secret: NONCE_SECRET }, store })
  class NonceAuth extends ReasonHandler {}

  /** No dpop: a DPoP-bound answer is refused, never taken as a bearer token. */
  @IntrospectionAuth({ ...common, resource: `${ORIGIN}/plain` })
  class PlainAuth extends ReasonHandler {}

  @JsonController('/opaque')
  class OpaqueController {
    @Get('/items') @LoginRequired({ auth: AllowedAuth }) items(@CurrentUser() user: object) {
      return user;
    }
    @Post('/items') @LoginRequired({ auth: AllowedAuth }) create(@CurrentUser() user: object) {
      return user;
    }
    @Get('/scoped') @LoginRequired({ auth: AllowedAuth, scope: 'orders:write' }) scoped() {
      return { ok: true };
    }
    @Get('/required') @LoginRequired({ auth: RequiredAuth }) required(@CurrentUser() user: object) {
      return user;
    }
    @Get('/nonce') @LoginRequired({ auth: NonceAuth }) nonce(@CurrentUser() user: object) {
      return user;
    }
    @Get('/plain') @LoginRequired({ auth: PlainAuth }) plain(@CurrentUser() user: object) {
      return user;
    }
  }
  const events: AuthEvent[] = [];
  const logger = recordingLogger();
  const auth = createAuthCheckers([AllowedAuth, RequiredAuth, NonceAuth, PlainAuth], { logger, onEvent: (event) => void events.push(event), controllers: [OpaqueController] });
  return { app: makeApp([OpaqueController], auth), events, logger, verified };
}

type Headers = Record<string, string | string[]>;

const BEARER = `Bearer realm="api", resource_metadata="${METADATA}"`;
/** RFC 9449 §7.2: a refused proof's error goes in the DPoP challenge; the Bearer one carries none. */
const badProof = (code: string) => [BEARER, `DPoP error="invalid_dpop_proof", error_description="${PROOF_DESCRIPTIONS[code]}", algs="ES256"`];
const badToken = (description: string) => [BEARER, `DPoP error="invalid_token", error_description="${description}", algs="ES256"`];

interface Row {
  readonly name: string;
  readonly send: () => { method?: 'get' | 'post'; path?: string; headers: Headers };
  readonly status: number;
  readonly challenges?: string[];
  readonly reason?: string | null;
  /** Whether `@VerifyClaims` may run: never for a request refused before the app's own check. */
  readonly hookRuns?: boolean;
}

const bound = (f: (t: string) => Omit<ReturnType<Row['send']>, 'headers'> & { headers: Headers }) => () => f(issue());

const ROWS: readonly Row[] = [
  { name: 'control: a DPoP-bound answer (cnf.jkt, token_type DPoP) with its proof', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t })) })), status: 200, hookRuns: true },
  { name: 'control: cnf.jkt without token_type', send: () => { const t = issue({ token_type: undefined, cnf: { jkt: JKT } }); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; }, status: 200, hookRuns: true },
  { name: 'control: POST with a POST proof', send: bound((t) => ({ method: 'post', headers: dpopHeaders(t, proof({ method: 'POST', accessToken: t })) })), status: 200, hookRuns: true },
  { name: 'control: another query (htu ignores it)', send: bound((t) => ({ path: '/opaque/items?page=2', headers: dpopHeaders(t, proof({ url: '/opaque/items?page=1', accessToken: t })) })), status: 200, hookRuns: true },
  { name: 'control: a forged Host is ignored (htu comes from resource)', send: bound((t) => ({ headers: { ...dpopHeaders(t, proof({ accessToken: t })), Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } })), status: 200, hookRuns: true },
  { name: 'control: an unbound answer as Bearer (dpop: allowed)', send: () => ({ headers: { Authorization: `Bearer ${unbound()}` } }), status: 200, hookRuns: true },
  { name: 'no DPoP proof', send: bound((t) => ({ headers: { Authorization: `DPoP ${t}` } })), status: 401, challenges: badProof('dpop_proof_missing'), reason: 'dpop_proof_missing' },
  { name: 'two DPoP proofs', send: bound((t) => ({ headers: dpopHeaders(t, [proof({ accessToken: t }), proof({ accessToken: t })]) })), status: 401, challenges: badProof('dpop_proof_twice'), reason: 'dpop_proof_twice' },
  { name: 'a proof for another method', send: bound((t) => ({ headers: dpopHeaders(t, proof({ method: 'POST', accessToken: t })) })), status: 401, challenges: badProof('dpop_htm_mismatch'), reason: 'dpop_htm_mismatch' },
  { name: 'a proof for another path', send: bound((t) => ({ headers: dpopHeaders(t, proof({ url: '/opaque/other', accessToken: t })) })), status: 401, challenges: badProof('dpop_htu_mismatch'), reason: 'dpop_htu_mismatch' },
  {
    name: 'a proof for the forged Host (the htu check does not follow Host / X-Forwarded-Host)',
    send: bound((t) => ({ headers: { ...dpopHeaders(t, proof({ url: 'https://evil.example/opaque/items', accessToken: t })), Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } })),
    status: 401, challenges: badProof('dpop_htu_mismatch'), reason: 'dpop_htu_mismatch',
  },
  { name: 'the ath of another token', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: issue() })) })), status: 401, challenges: badProof('dpop_ath_mismatch'), reason: 'dpop_ath_mismatch' },
  { name: 'a proof without ath', send: bound((t) => ({ headers: dpopHeaders(t, proof()) })), status: 401, challenges: badProof('dpop_ath_mismatch'), reason: 'dpop_ath_mismatch' },
  { name: 'a private key in jwk', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, jwk: client.privateKey.export({ format: 'jwk' }) })) })), status: 401, challenges: badProof('dpop_jwk_private'), reason: 'dpop_jwk_private' },
  { name: 'typ: JWT', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, header: { typ: 'JWT' } })) })), status: 401, challenges: badProof('dpop_typ_invalid'), reason: 'dpop_typ_invalid' },
  { name: 'alg none', send: bound((t) => ({ headers: dpopHeaders(t, `${proof({ accessToken: t, header: { alg: 'none' } }).split('.').slice(0, 2).join('.')}.`) })), status: 401, challenges: badProof('dpop_alg_not_allowed'), reason: 'dpop_alg_not_allowed' },
  { name: 'iat 10 minutes old', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, claims: { iat: now() - 600 } })) })), status: 401, challenges: badProof('dpop_iat_too_old'), reason: 'dpop_iat_too_old' },
  { name: 'iat 10 minutes ahead', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, claims: { iat: now() + 600 } })) })), status: 401, challenges: badProof('dpop_iat_in_future'), reason: 'dpop_iat_in_future' },
  { name: 'a 10 KB jti', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, claims: { jti: 'j'.repeat(10_240) } })) })), status: 401, challenges: badProof('dpop_proof_malformed'), reason: 'dpop_proof_malformed' },
  { name: 'a proof signed by another key than its jwk', send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, key: other.privateKey })) })), status: 401, challenges: badProof('dpop_signature_invalid'), reason: 'dpop_signature_invalid' },
  {
    name: 'a valid proof by another key than the answer binds (a thief with his own key)',
    send: bound((t) => ({ headers: dpopHeaders(t, proof({ accessToken: t, key: other.privateKey, jwk: OTHER_JWK })) })),
    status: 401, challenges: badToken('Invalid DPoP key binding'), reason: 'dpop_key_mismatch',
  },
  { name: 'an unbound answer with the DPoP scheme', send: () => { const t = unbound(); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; }, status: 401, challenges: badToken('Invalid DPoP key binding'), reason: 'dpop_key_mismatch' },
  {
    name: 'token_type: DPoP without cnf.jkt',
    send: () => { const t = issue({ token_type: 'DPoP' }); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; },
    status: 401, challenges: badToken("the token's key binding (cnf) is missing or malformed"), reason: 'binding_invalid',
  },
  {
    name: 'a certificate-bound answer on a class that checks DPoP only',
    send: () => { const t = issue({ cnf: { 'x5t#S256': 'A'.repeat(43) } }); return { headers: dpopHeaders(t, proof({ accessToken: t })) }; },
    status: 401, challenges: badToken('the token is bound to a key and cannot be used as a bearer token'), reason: 'token_bound',
  },
  { name: 'an inactive token with the DPoP scheme', send: () => ({ headers: dpopHeaders('op-unknown', proof({ accessToken: 'op-unknown' })) }), status: 401, challenges: badToken('the token is not active'), reason: 'inactive' },
  {
    name: 'the bound token as Bearer (RFC 9449 §7.2)',
    send: bound((t) => ({ headers: { Authorization: `Bearer ${t}` } })),
    status: 401,
    challenges: [`Bearer realm="api", error="invalid_token", error_description="the token is DPoP-bound; send it with the DPoP scheme and a proof", resource_metadata="${METADATA}"`, 'DPoP algs="ES256"'],
    reason: 'dpop_bound_as_bearer',
  },
  {
    name: 'the bound token as Bearer with its proof beside it',
    send: bound((t) => ({ headers: { Authorization: `Bearer ${t}`, DPoP: proof({ accessToken: t }) } })),
    status: 401,
    challenges: [`Bearer realm="api", error="invalid_token", error_description="the token is DPoP-bound; send it with the DPoP scheme and a proof", resource_metadata="${METADATA}"`, 'DPoP algs="ES256"'],
    reason: 'dpop_bound_as_bearer',
  },
  {
    name: 'both schemes in two Authorization fields',
    send: bound((t) => ({ headers: { Authorization: [`Bearer ${t}`, `DPoP ${t}`], DPoP: proof({ accessToken: t }) } })),
    status: 400,
    challenges: [
      'Bearer realm="api", error="invalid_request", error_description="Multiple methods used to include access token"',
      'DPoP algs="ES256", error="invalid_request", error_description="Multiple methods used to include access token"',
    ],
    reason: 'token_sent_twice',
  },
  { name: 'Authorization: DPoP without a token', send: () => ({ headers: { Authorization: 'DPoP', DPoP: proof() } }), status: 400, reason: null },
  { name: 'no credentials: both challenges, no error', send: () => ({ headers: {} }), status: 401, challenges: [BEARER, 'DPoP algs="ES256"'], reason: null },
  {
    name: 'a bound token and proof without the scope: insufficient_scope in the DPoP challenge',
    send: bound((t) => ({ path: '/opaque/scoped', headers: dpopHeaders(t, proof({ url: '/opaque/scoped', accessToken: t })) })),
    status: 403, challenges: [BEARER, 'DPoP error="insufficient_scope", algs="ES256", scope="orders:write"'], reason: null, hookRuns: true,
  },
  // dpop: 'required'
  { name: 'required: control', send: bound((t) => ({ path: '/opaque/required', headers: dpopHeaders(t, proof({ url: '/opaque/required', accessToken: t })) })), status: 200, hookRuns: true },
  {
    name: 'required: an unbound token as Bearer is refused before introspection',
    send: () => ({ path: '/opaque/required', headers: { Authorization: `Bearer ${unbound()}` } }),
    status: 401,
    challenges: [`DPoP error="invalid_token", error_description="a DPoP-bound token and a DPoP proof are required", algs="ES256 EdDSA PS256 RS256", resource_metadata="${METADATA}/required"`],
    reason: 'dpop_required',
  },
  {
    name: 'required: an unbound answer with a proof',
    send: () => { const t = unbound(); return { path: '/opaque/required', headers: dpopHeaders(t, proof({ url: '/opaque/required', accessToken: t })) }; },
    status: 401,
    challenges: [`DPoP error="invalid_token", error_description="a DPoP-bound token and a DPoP proof are required", algs="ES256 EdDSA PS256 RS256", resource_metadata="${METADATA}/required"`],
    reason: 'dpop_required',
  },
  // No dpop: fail closed.
  { name: 'no dpop: control, an unbound answer as Bearer', send: () => ({ path: '/opaque/plain', headers: { Authorization: `Bearer ${unbound()}` } }), status: 200, hookRuns: true },
  {
    name: 'no dpop: a DPoP-bound answer as Bearer is refused',
    send: bound((t) => ({ path: '/opaque/plain', headers: { Authorization: `Bearer ${t}` } })),
    status: 401,
    challenges: [`Bearer realm="api", error="invalid_token", error_description="the token is bound to a key and cannot be used as a bearer token", resource_metadata="${METADATA}/plain"`],
    reason: 'token_bound',
  },
  { name: 'no dpop: the DPoP scheme is no scheme of the class', send: bound((t) => ({ path: '/opaque/plain', headers: dpopHeaders(t, proof({ url: '/opaque/plain', accessToken: t })) })), status: 401, challenges: [`Bearer realm="api", resource_metadata="${METADATA}/plain"`], reason: null },
];

describe.each(DRIVERS)('@IntrospectionAuth with DPoP (%s)', (_driver, makeApp) => {
  let server: TestServer;
  let url: string;
  let seen: { body: string }[];
  beforeAll(async () => {
    const started = await endpoint(perToken(answers));
    ({ server, url, seen } = started);
  });
  afterAll(() => server.close());

  const send = (app: ReturnType<typeof build>['app'], method: 'get' | 'post', path: string, headers: Headers) => {
    let req = request(app)[method](path);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value as string);
    return req;
  };

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const { app, verified } = build(makeApp, url);
    const { method = 'get', path = '/opaque/items', headers } = row.send();
    const res = await send(app, method, path, headers);
    expect(res.status).toBe(row.status);
    // A proof that fails never lets the app's own hook see the answer.
    expect(verified.length > 0).toBe(row.hookRuns === true);
    if (row.status === 200) {
      expect(res.body.sub).toBe('alice');
      return;
    }
    if (row.challenges) expect(challengeFields(res)).toEqual(row.challenges);
    if (row.reason !== undefined && row.status !== 400) expect(res.body).toEqual({ status: row.status, reason: row.reason });
  });

  it('cached answers: one introspection, and every proof is checked again on each hit (a replay of the first is refused)', async () => {
    const { app, events } = build(makeApp, url);
    const t = issue();
    const asked = () => seen.filter((s) => new URLSearchParams(s.body).get('token') === t).length;
    const first = proof({ accessToken: t });
    expect((await send(app, 'get', '/opaque/items', dpopHeaders(t, first))).body).toEqual({ sub: 'alice', jkt: JKT });
    expect((await send(app, 'get', '/opaque/items', dpopHeaders(t, proof({ accessToken: t })))).status).toBe(200);
    expect(asked()).toBe(1);
    // From the cache, the binding still holds: a replay, another key, another method, no proof.
    const refused = [
      dpopHeaders(t, first),
      dpopHeaders(t, proof({ accessToken: t, key: other.privateKey, jwk: OTHER_JWK })),
      dpopHeaders(t, proof({ method: 'POST', accessToken: t })),
      { Authorization: `DPoP ${t}` },
      { Authorization: `Bearer ${t}` },
    ];
    const reasons = [];
    for (const headers of refused) reasons.push((await send(app, 'get', '/opaque/items', headers)).body.reason);
    expect(reasons).toEqual(['dpop_replay', 'dpop_key_mismatch', 'dpop_htm_mismatch', 'dpop_proof_missing', 'dpop_bound_as_bearer']);
    expect(asked()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Audit events name the class's scheme word, as for @JwtAuth; refusals carry the proof's reason code.
    expect(events.map((e) => [e.type, e.kind, e.scheme, e.reason])).toEqual([
      ['authenticated', 'introspection', 'Bearer', undefined],
      ['authenticated', 'introspection', 'Bearer', undefined],
      ...reasons.map((reason) => ['rejected', 'introspection', 'Bearer', reason]),
    ]);
  });

  it('a proof is accepted once: by this app, and by another instance sharing its store', async () => {
    const store = new MemoryNonceStore();
    const a = build(makeApp, url, store).app;
    const b = build(makeApp, url, store).app;
    const t = issue();
    const headers = dpopHeaders(t, proof({ accessToken: t }));
    expect((await send(a, 'get', '/opaque/items', headers)).status).toBe(200);
    for (const app of [a, b]) {
      const replay = await send(app, 'get', '/opaque/items', headers);
      expect(replay.status).toBe(401);
      expect(challengeFields(replay)).toEqual(badProof('dpop_replay'));
    }
    // Control: a fresh proof of the same key passes on the other instance.
    expect((await send(b, 'get', '/opaque/items', dpopHeaders(t, proof({ accessToken: t })))).status).toBe(200);
  });

  it('server nonces: use_dpop_nonce with one DPoP-Nonce and no-store, then accepted with it; never without one', async () => {
    const { app, verified } = build(makeApp, url);
    const t = issue();
    const first = await send(app, 'get', '/opaque/nonce', dpopHeaders(t, proof({ url: '/opaque/nonce', accessToken: t })));
    expect(first.status).toBe(401);
    expect(challengeFields(first)).toEqual([
      `Bearer realm="api", resource_metadata="${METADATA}/nonce"`,
      'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
    ]);
    expect(first.body).toEqual({ status: 401, reason: 'dpop_nonce_required' });
    const raw = (first as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
    expect(raw.filter((_, i) => i % 2 === 0 && raw[i].toLowerCase() === 'dpop-nonce')).toHaveLength(1);
    expect(first.headers['cache-control']).toBe('no-store');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verified).toEqual([]);

    const second = await send(app, 'get', '/opaque/nonce', dpopHeaders(t, proof({ url: '/opaque/nonce', accessToken: t, claims: { nonce } })));
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ sub: 'alice', jkt: JKT });
    for (const bad of [undefined, 'made-up', `${nonce}x`]) {
      const res = await send(app, 'get', '/opaque/nonce', dpopHeaders(t, proof({ url: '/opaque/nonce', accessToken: t, claims: bad === undefined ? {} : { nonce: bad } })));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ status: 401, reason: 'dpop_nonce_required' });
    }
    // Another instance with the same dpopNonce.secret accepts the nonce (stateless HMAC).
    const { app: elsewhere } = build(makeApp, url);
    expect((await send(elsewhere, 'get', '/opaque/nonce', dpopHeaders(t, proof({ url: '/opaque/nonce', accessToken: t, claims: { nonce } })))).status).toBe(200);
  });

  it('publishes the DPoP members of its RFC 9728 metadata', async () => {
    const { app } = build(makeApp, url);
    const allowed = await request(app).get('/.well-known/oauth-protected-resource');
    expect(allowed.body).toMatchObject({ resource: ORIGIN, dpop_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: false });
    const required = await request(app).get('/.well-known/oauth-protected-resource/required');
    expect(required.body).toMatchObject({ resource: `${ORIGIN}/required`, dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'PS256', 'RS256'], dpop_bound_access_tokens_required: true });
    const plain = await request(app).get('/.well-known/oauth-protected-resource/plain');
    expect(plain.body).not.toHaveProperty('dpop_signing_alg_values_supported');
  });
});
