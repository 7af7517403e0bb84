import { createHash, createPublicKey, createSecretKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { HttpAuthError } from '../../src';
import { createTokenIssuer } from '../../src/issuer/create-token-issuer';
import { issuerLinkOf } from '../../src/issuer/pairing';
import { createKeySource } from '../../src/keys/key-source';
import { createJwtVerifier } from '../../src/schemes/jwt/verify';
import { MemoryTokenStore } from '../../src/stores/memory-token-store';
import { AUDIENCE, claimsOf, headerOf, ISSUER, linkOf, makeIssuer, newEcKey, quietLogger } from './fixtures';

const verifyWithJose = (token: string, jwks: unknown, typ = 'at+jwt') =>
  jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), { issuer: ISSUER, audience: AUDIENCE, typ, requiredClaims: ['exp', 'iat', 'jti', 'sub'] });

describe('tokens.issue: RFC 9068 access tokens, verified by jose against tokens.jwks()', () => {
  it('signs an ES256 at+jwt with iss, sub, aud, exp, iat, jti, sid, csrf; jose verifies it with the published key', async () => {
    const tokens = makeIssuer();
    const before = Math.floor(Date.now() / 1000);
    const pair = await tokens.issue('alice');
    const { payload, protectedHeader } = await verifyWithJose(pair.access_token, tokens.jwks());
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: tokens.jwks().keys[0].kid });
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'alice',
      aud: AUDIENCE,
      exp: (payload.iat as number) + 900,
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      sid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      csrf: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(pair).toEqual({ access_token: pair.access_token, refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), token_type: 'Bearer', expires_in: 900 });
    expect(Object.isFrozen(pair)).toBe(true);
  });

  it('adds client_id, scope and fresh when given, and the app\'s claims; the pair carries the scope', async () => {
    const tokens = makeIssuer();
    const pair = await tokens.issue('alice', { clientId: 'web-app', scope: ['articles:read', 'articles:write'], fresh: true, claims: { roles: ['editor'], tenant: 't1' } });
    const { payload } = await verifyWithJose(pair.access_token, tokens.jwks());
    expect(payload).toMatchObject({ client_id: 'web-app', scope: 'articles:read articles:write', fresh: true, roles: ['editor'], tenant: 't1' });
    expect(pair.scope).toBe('articles:read articles:write');
    // A space-separated string is the same grant.
    expect(claimsOf((await tokens.issue('alice', { scope: 'a b a' })).access_token).scope).toBe('a b');
  });

  it('never marks a token fresh unless asked: fresh: false and no option give no fresh claim', async () => {
    const tokens = makeIssuer();
    expect(claimsOf((await tokens.issue('alice')).access_token)).not.toHaveProperty('fresh');
    expect(claimsOf((await tokens.issue('alice', { fresh: false })).access_token)).not.toHaveProperty('fresh');
  });

  it('gives each token its own jti, sid, csrf and refresh token', async () => {
    const tokens = makeIssuer();
    const [a, b] = [await tokens.issue('alice'), await tokens.issue('alice')];
    for (const claim of ['jti', 'sid', 'csrf']) expect(claimsOf(a.access_token)[claim]).not.toBe(claimsOf(b.access_token)[claim]);
    expect(a.refresh_token).not.toBe(b.refresh_token);
  });

  it('uses the accessTtl option for exp and expires_in', async () => {
    const tokens = makeIssuer({ accessTtl: 60 });
    const pair = await tokens.issue('alice');
    const claims = claimsOf(pair.access_token);
    expect(claims.exp).toBe((claims.iat as number) + 60);
    expect(pair.expires_in).toBe(60);
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { id: 1 }],
    ['an empty string', ''],
  ])('refuses %s as the subject with a TypeError (sub is a string: RFC 7519)', async (_label, subject) => {
    const tokens = makeIssuer();
    await expect(tokens.issue(subject as string)).rejects.toThrow(TypeError);
    await expect(tokens.issue(subject as string)).rejects.toThrow(/^http-auth: tokens\.issue: the subject must be a/);
  });

  it.each(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'scp', 'sid', 'fresh', 'csrf', 'cnf', 'act'])(
    'refuses the reserved claim %s in claims with a TypeError',
    async (name) => {
      const tokens = makeIssuer();
      await expect(tokens.issue('alice', { claims: { [name]: 'x' } })).rejects.toThrow(new RegExp(`^http-auth: tokens\\.issue: claims cannot set "${name}"`));
    },
  );

  it.each([
    ['a function', { f: () => 1 }],
    ['a Date', { when: new Date() }],
    ['Infinity', { n: Infinity }],
    ['a class instance', new (class Claims {})()],
    ['too much JSON', { big: 'x'.repeat(3000) }],
    ['an array', ['a']],
  ])('refuses claims holding %s with a TypeError', async (_label, claims) => {
    await expect(makeIssuer().issue('alice', { claims: claims as Record<string, unknown> })).rejects.toThrow(TypeError);
  });

  it.each([
    ['scope with a quote', { scope: 'a"b' }],
    ['scope of numbers', { scope: [1] }],
    ['fresh as a string', { fresh: 'yes' }],
    ['an empty clientId', { clientId: '' }],
    ['an unknown option', { ttl: 5 }],
  ])('refuses %s with a TypeError', async (_label, options) => {
    await expect(makeIssuer().issue('alice', options as never)).rejects.toThrow(/^http-auth: tokens\.issue: /);
  });

  it('issues nothing when the store fails: 503 HttpAuthError, logged once without the token', async () => {
    const logger = quietLogger();
    const store = new MemoryTokenStore();
    store.createLogin = () => {
      throw new Error('disk on fire');
    };
    const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: newEcKey(), store, logger });
    const error = await tokens.issue('alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpAuthError);
    expect(error).toMatchObject({ httpCode: 503, code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
    expect(logger.error.mock.calls).toEqual([[expect.stringMatching(/token store failed \(disk on fire\); answering 503/)]]);
  });
});

describe('tokens.jwks()', () => {
  it('publishes the public key only, with kid (the RFC 7638 thumbprint by default), alg and use', () => {
    const privateKey = newEcKey();
    const tokens = makeIssuer({ privateKey });
    const { keys } = tokens.jwks();
    expect(keys).toHaveLength(1);
    const pub = createPublicKey(privateKey).export({ format: 'jwk' });
    const thumbprint = createHash('sha256').update(JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y })).digest('base64url');
    expect(keys[0]).toEqual({ kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y, kid: thumbprint, alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
    expect(JSON.parse(JSON.stringify(tokens.jwks()))).toEqual({ keys: [keys[0]] });
  });

  it.each([
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, ['n', 'e']],
    ['PS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, ['n', 'e']],
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, ['crv', 'x', 'y']],
    ['EdDSA', () => generateKeyPairSync('ed25519').privateKey, ['crv', 'x']],
  ] as const)('signs %s tokens that jose verifies with the published key', async (alg, key, members) => {
    const tokens = makeIssuer({ privateKey: key(), alg, kid: 'k1' });
    const [jwk] = tokens.jwks().keys;
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'kid', 'kty', 'use', ...members].sort());
    expect(jwk).toMatchObject({ kid: 'k1', alg, use: 'sig' });
    const { access_token } = await tokens.issue('alice');
    expect(decodeProtectedHeader(access_token)).toEqual({ alg, typ: 'at+jwt', kid: 'k1' });
    await expect(verifyWithJose(access_token, tokens.jwks())).resolves.toMatchObject({ payload: { sub: 'alice' } });
  });

  it('takes kid and alg from a private JWK', async () => {
    const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'from-jwk', alg: 'ES256' };
    const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: jwk });
    expect(tokens.jwks().keys[0]).toMatchObject({ kid: 'from-jwk', alg: 'ES256' });
    expect(tokens.jwks().keys[0]).not.toHaveProperty('d');
    await expect(verifyWithJose((await tokens.issue('alice')).access_token, tokens.jwks())).resolves.toBeDefined();
  });

  it('is empty with secret (HS256 has no public key); the token verifies with the secret', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!';
    const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, secret, kid: 'hs' });
    expect(tokens.jwks()).toEqual({ keys: [] });
    const { access_token } = await tokens.issue('alice');
    expect(headerOf(access_token)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'hs' });
    const { payload } = await jwtVerify(access_token, Buffer.from(secret), { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['HS256'] });
    expect(payload.sub).toBe('alice');
  });
});

describe('createTokenIssuer options', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE };
  const key = newEcKey();

  it.each([
    ['no options', undefined, /options are required/],
    ['no issuer', { audience: AUDIENCE, privateKey: key }, /issuer is required/],
    ['no audience', { issuer: ISSUER, privateKey: key }, /audience is required/],
    ['no key', { ...base }, /a signing key is required: set privateKey .* or secret/],
    ['both keys', { ...base, privateKey: key, secret: 'x'.repeat(32) }, /privateKey and secret are alternatives/],
    ['a public key', { ...base, privateKey: createPublicKey(key) }, /privateKey is a public key/],
    ['a public JWK', { ...base, privateKey: createPublicKey(key).export({ format: 'jwk' }) }, /JWK without "d"/],
    ['a secret KeyObject as privateKey', { ...base, privateKey: createSecretKey(Buffer.alloc(32)) }, /privateKey is a secret key/],
    ['a key that does not fit alg', { ...base, privateKey: key, alg: 'RS256' }, /privateKey cannot sign RS256/],
    ['a short RSA key', { ...base, privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, alg: 'RS256' }, /cannot sign RS256/],
    ['alg none', { ...base, privateKey: key, alg: 'none' }, /alg must not be "none"/],
    ['HS256 with a private key', { ...base, privateKey: key, alg: 'HS256' }, /alg "HS256" is not available with privateKey/],
    ['a short secret', { ...base, secret: 'too-short' }, /secret must be at least 32 bytes/],
    ['HS512 with a 32-byte secret', { ...base, secret: 'x'.repeat(32), alg: 'HS512' }, /HS512 needs a secret of at least 64 bytes/],
    ['ES256 with a secret', { ...base, secret: 'x'.repeat(32), alg: 'ES256' }, /alg "ES256" is not available with secret/],
    ['accessTtl 0', { ...base, privateKey: key, accessTtl: 0 }, /accessTtl must be a whole number of seconds/],
    ['refreshTtl 1.5', { ...base, privateKey: key, refreshTtl: 1.5 }, /refreshTtl must be a whole number of seconds/],
    ['a store without methods', { ...base, privateKey: key, store: {} }, /store must be a TokenStore .* no createLogin method/],
    ['a logger without error', { ...base, privateKey: key, logger: { warn() {} } }, /logger must have warn\(message\) and error\(message\)/],
    ['an unknown option', { ...base, privateKey: key, expiresIn: 60 }, /unknown option "expiresIn"/],
    ['a bad cookie name', { ...base, privateKey: key, cookies: { accessCookie: 'a b' } }, /accessCookie must be a cookie name/],
    ['SameSite=None without Secure', { ...base, privateKey: key, cookies: { sameSite: 'None', secure: false } }, /sameSite "None" needs secure: true/],
    ['a __Host- cookie on another path', { ...base, privateKey: key, cookies: { refreshCookie: '__Host-refresh' } }, /"__Host-refresh" needs Path=\/ and no domain/],
    ['a kid of 300 characters', { ...base, privateKey: key, kid: 'k'.repeat(300) }, /kid must be a string of 1 to 256 characters/],
  ])('throws a TypeError naming the fix for %s', (_label, options, message) => {
    expect(() => createTokenIssuer(options as never)).toThrow(TypeError);
    expect(() => createTokenIssuer(options as never)).toThrow(/^http-auth: createTokenIssuer: /);
    expect(() => createTokenIssuer(options as never)).toThrow(message);
  });

  it('does not touch the caller\'s options, and freezes the issuer', () => {
    const options = { issuer: ISSUER, audience: AUDIENCE, privateKey: key, cookies: { refreshPath: '/auth' } };
    const copy = { ...options, cookies: { ...options.cookies } };
    const tokens = createTokenIssuer(options);
    expect(options).toEqual(copy);
    expect(Object.keys(options)).toEqual(Object.keys(copy));
    expect(Object.isFrozen(tokens)).toBe(true);
    expect(Object.keys(tokens).sort()).toEqual(['clearCookies', 'issue', 'jwks', 'refresh', 'revoke', 'revokeAll', 'setCookies']);
  });

  it('warns at start-up when cookies.secure is false, and not otherwise', () => {
    const logger = quietLogger();
    createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, logger });
    expect(logger.warn).not.toHaveBeenCalled();
    createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, logger, cookies: { secure: false } });
    expect(logger.warn.mock.calls).toEqual([[expect.stringMatching(/^http-auth: createTokenIssuer: cookies\.secure is false: .*local development only$/)]]);
  });
});

describe('the pairing link for @JwtAuth({ issuedBy })', () => {
  it('is attached out of sight, and gives issuer, audience, algorithm and keys that verify the tokens locally', async () => {
    const tokens = makeIssuer();
    const link = linkOf(tokens);
    expect(JSON.stringify(tokens)).toBe('{}');
    expect(Object.getOwnPropertySymbols(tokens).map((symbol) => Object.getOwnPropertyDescriptor(tokens, symbol))).toEqual([expect.objectContaining({ enumerable: false, writable: false })]);
    expect(link).toMatchObject({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: { kind: 'keys' } });
    const verify = createJwtVerifier(
      { algorithms: link.algorithms, typ: ['application/at+jwt'], issuers: [link.issuer], audiences: [link.audience], clockTolerance: 30 },
      createKeySource({ issuers: [link.issuer], keys: link.keys }),
    );
    const pair = await tokens.issue('alice');
    const verified = verify(pair.access_token);
    expect(verified).toMatchObject({ ok: true, claims: { sub: 'alice' } });
    expect(link.checkAccessToken((verified as { claims: Record<string, unknown> }).claims)).toBe('active');
    // The keys carry the public key only.
    expect(link.keys.kind === 'keys' && link.keys.keys.every(({ key }) => key instanceof KeyObject && key.type === 'public')).toBe(true);
  });

  it('gives the secret with HS256', () => {
    const link = issuerLinkOf(createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, secret: 'x'.repeat(32) }))!;
    expect(link.algorithms).toEqual(['HS256']);
    expect(link.keys.kind).toBe('secret');
  });

  it('is undefined for anything that is not an issuer', () => {
    for (const value of [undefined, null, 1, 'x', {}, { ...makeIssuer() }, () => undefined]) expect(issuerLinkOf(value)).toBeUndefined();
  });

  it('checkAccessToken refuses claims without the issuer\'s ids, of another issuer, or expired past the margin', async () => {
    const tokens = makeIssuer();
    const link = linkOf(tokens);
    const claims = claimsOf((await tokens.issue('alice')).access_token);
    expect(link.checkAccessToken(claims)).toBe('active');
    for (const changed of [{ jti: undefined }, { sid: undefined }, { sid: 'x' }, { jti: 42 }, { iss: 'https://other.example' }, { exp: Math.floor(Date.now() / 1000) - 301 }, { exp: '9999999999' }]) {
      expect(link.checkAccessToken({ ...claims, ...changed })).toBe('revoked');
    }
  });
});
