/**
 * The pure DPoP protocol (src/schemes/dpop.ts) against RFC 9449's own examples: the `ath` and the
 * thumbprint of §7.1 (Figures 13–14), the proof of Figure 13 checked as a resource server would,
 * the challenges of Figures 15, 16, 19 and 20, and RFC 3986 §6.2.2–6.2.3 normalisation of `htu`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { accessTokenHash, checkProof, dpopChallenge, jwkThumbprint, normalizeHtu, requestHtu, replayKey, type ProofExpectations } from '../../src/schemes/dpop';
import { signRaw } from './jwt/tokens';

const RFC_TOKEN = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
const RFC_ATH = 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo';
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const RFC_JWK = { kty: 'EC', x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs', y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA', crv: 'P-256' };
// RFC 9449 Figure 13, the "\" line wrapping undone.
const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19' +
  '.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9' +
  '.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA';

const RFC_EXPECT: ProofExpectations = {
  algorithms: ['ES256'],
  method: 'GET',
  htu: requestHtu('https://resource.example.org', '/protectedresource'),
  now: 1562262618,
  window: 60,
  tolerance: 0,
  accessToken: RFC_TOKEN,
};

describe('RFC 9449 vectors', () => {
  it('ath of the §7.1 token', () => expect(accessTokenHash(RFC_TOKEN)).toBe(RFC_ATH));
  it('the RFC 7638 thumbprint of the example key is the cnf.jkt of §6.1', () => expect(jwkThumbprint(RFC_JWK)).toBe(RFC_JKT));
  it('the thumbprint ignores members outside the required ones, and their order', () =>
    expect(jwkThumbprint({ crv: 'P-256', y: RFC_JWK.y, x: RFC_JWK.x, kty: 'EC', kid: 'k', use: 'sig', alg: 'ES256' })).toBe(RFC_JKT));

  it('the proof of Figure 13 passes every check at its iat', () => {
    expect(checkProof(RFC_PROOF, RFC_EXPECT)).toEqual({ ok: true, jkt: RFC_JKT, jti: 'e1j3V_bKic8-LAEB', iat: 1562262618 });
  });

  it.each<[string, Partial<ProofExpectations>, string]>([
    ['another method', { method: 'POST' }, 'dpop_htm_mismatch'],
    ['a lower-case method (htm is exact)', { method: 'get' }, 'dpop_htm_mismatch'],
    ['another path', { htu: requestHtu('https://resource.example.org', '/other') }, 'dpop_htu_mismatch'],
    ['another origin', { htu: requestHtu('https://evil.example.org', '/protectedresource') }, 'dpop_htu_mismatch'],
    ['another token', { accessToken: `${RFC_TOKEN}x` }, 'dpop_ath_mismatch'],
    ['61 s later', { now: 1562262618 + 61 }, 'dpop_iat_too_old'],
    ['61 s later with 5 s of tolerance: accepted', { now: 1562262618 + 61, tolerance: 5 }, 'ok'],
    ['10 minutes earlier (iat ahead)', { now: 1562262618 - 600 }, 'dpop_iat_in_future'],
    ['ES256 not accepted', { algorithms: ['EdDSA'] }, 'dpop_alg_not_allowed'],
  ])('%s', (_, change, expected) => {
    const result = checkProof(RFC_PROOF, { ...RFC_EXPECT, ...change });
    expect(typeof result === 'string' ? result : 'ok').toBe(expected);
  });

  it('the query is not part of htu (§4.3 check 9): another query matches', () => {
    expect(checkProof(RFC_PROOF, { ...RFC_EXPECT, htu: requestHtu('https://resource.example.org', '/protectedresource?page=2#x') })).toMatchObject({ ok: true });
  });
});

describe('challenges: the RFC examples are the exact output', () => {
  it.each([
    ['Figure 15', { algorithms: ['ES256', 'PS256'] }, 'DPoP algs="ES256 PS256"'],
    ['Figure 16', { algorithms: ['ES256'], error: 'invalid_token', description: 'Invalid DPoP key binding' }, 'DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256"'],
    [
      'Figure 19',
      { algorithms: ['ES256', 'PS256'], error: 'invalid_request', description: 'Multiple methods used to include access token' },
      'DPoP algs="ES256 PS256", error="invalid_request", error_description="Multiple methods used to include access token"',
    ],
    ['§9 Figure 20', { algorithms: ['ES256'], error: 'use_dpop_nonce', description: 'Resource server requires nonce in DPoP proof' }, 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'],
  ])('%s', (_, params, expected) => expect(dpopChallenge(params)).toBe(expected));

  it('a description is reduced to NQSCHAR', () => {
    expect(dpopChallenge({ algorithms: ['ES256'], error: 'invalid_token', description: 'a "quoted" \\ text\r\n' })).toBe(`DPoP error="invalid_token", error_description="a 'quoted' / text", algs="ES256"`);
  });
});

describe('htu normalisation (RFC 3986 §6.2.2–6.2.3)', () => {
  it.each([
    ['HTTPS://API.Example.COM/a', 'https://api.example.com/a'],
    ['https://api.example.com:443/a', 'https://api.example.com/a'],
    ['http://api.example.com:80/a', 'http://api.example.com/a'],
    ['https://api.example.com:8443/a', 'https://api.example.com:8443/a'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://api.example.com/%7euser/%2fx', 'https://api.example.com/~user/%2Fx'],
    ['https://api.example.com/%41%62c', 'https://api.example.com/Abc'],
    ['https://api.example.com/a?q=1#f', 'https://api.example.com/a'],
  ])('%s → %s', (input, expected) => expect(normalizeHtu(input)).toBe(expected));

  it.each(['ftp://api.example.com/a', 'https://user:pw@api.example.com/a', 'not a url', '/relative'])('%s is refused', (input) => expect(normalizeHtu(input)).toBeUndefined());

  it('the request side: the configured origin and the request path, never a Host', () => {
    expect(requestHtu('https://api.example.com', '/items/1?x=1')).toBe('https://api.example.com/items/1');
    expect(requestHtu('https://api.example.com', 'http://evil.example/items/1')).toBe('https://api.example.com/items/1');
    expect(requestHtu('https://api.example.com', '//evil.example/items')).toBe('https://api.example.com//evil.example/items');
  });
});

describe('proof checks', () => {
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = client.publicKey.export({ format: 'jwk' });
  const now = 1_800_000_000;
  const expect0: ProofExpectations = { algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'], method: 'GET', htu: 'https://api.example.com/a', now, window: 60, tolerance: 0, accessToken: 'tok' };
  const claims = { jti: 'j1', htm: 'GET', htu: 'https://api.example.com/a', iat: now, ath: accessTokenHash('tok') };
  const proof = (header: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => signRaw(client.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk, ...header }, { ...claims, ...payload });
  const code = (token: string) => {
    const result = checkProof(token, expect0);
    return typeof result === 'string' ? result : 'ok';
  };

  it.each<[string, () => string, string]>([
    ['a valid proof', () => proof(), 'ok'],
    ['typ: JWT', () => proof({ typ: 'JWT' }), 'dpop_typ_invalid'],
    ['no typ', () => proof({ typ: undefined }), 'dpop_typ_invalid'],
    ['a private key in jwk', () => proof({ jwk: client.privateKey.export({ format: 'jwk' }) }), 'dpop_jwk_private'],
    ['no jwk', () => proof({ jwk: undefined }), 'dpop_jwk_invalid'],
    ['a jwk of another key', () => proof({ jwk: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) }), 'dpop_signature_invalid'],
    ['an RSA jwk under ES256', () => proof({ jwk: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) }), 'dpop_jwk_invalid'],
    ['HS256', () => signRaw(Buffer.alloc(32, 1), { typ: 'dpop+jwt', alg: 'HS256', jwk }, claims), 'dpop_alg_not_allowed'],
    ['alg none', () => `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`, 'dpop_alg_not_allowed'],
    ['crit', () => proof({ crit: ['x'], x: 1 }), 'dpop_proof_malformed'],
    ['no jti', () => proof({}, { jti: undefined }), 'dpop_claims_invalid'],
    ['a numeric nonce', () => proof({}, { nonce: 5 }), 'dpop_claims_invalid'],
    ['no ath', () => proof({}, { ath: undefined }), 'dpop_ath_mismatch'],
    ['a 10 KB jti (refused for its size, before anything else)', () => proof({}, { jti: 'j'.repeat(10_240) }), 'dpop_proof_malformed'],
    ['not a JWT', () => 'garbage', 'dpop_proof_malformed'],
  ])('%s', (_, make, expected) => expect(code(make())).toBe(expected));

  it('the replay key is a fixed-size hash, whatever the jti', () => {
    expect(replayKey('jkt', 'j'.repeat(10_240))).toMatch(/^dpop:[A-Za-z0-9_-]{43}$/);
    expect(replayKey('jkt', 'a')).not.toBe(replayKey('jkt2', 'a'));
  });
});

describe('replay records in the default MemoryNonceStore', () => {
  it('a flood of 100,000 fresh proofs, then the replay of an early one: refused, and memory stays bounded', () => {
    const { MemoryNonceStore } = jest.requireActual<typeof import('../../src/stores/memory-nonce-store')>('../../src/stores/memory-nonce-store');
    // The default bounds; a fixed clock, so that a slow machine cannot let the records expire mid-flood.
    const now = Date.now();
    const store = new MemoryNonceStore({ now: () => now });
    // A proof's record lives until iat + window + tolerance; the early proof is a little older.
    const early = replayKey('jkt', 'early-jti');
    expect(store.use(early, '00000001', now + 60_000)).toBe(true);
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) if (store.use(replayKey('jkt', `flood-${i}`), '00000001', now + 90_000)) accepted++;
    expect(accepted).toBe(100_000);
    expect(store.size).toBeLessThanOrEqual(100_000);
    expect(store.use(early, '00000001', now + 60_000)).toBe(false);
    // And a recent one is still known as used.
    expect(store.use(replayKey('jkt', 'flood-99999'), '00000001', now + 90_000)).toBe(false);
  });
});

describe('bad input never throws', () => {
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = client.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const now = 1_800_000_000;
  const expectations: ProofExpectations = { algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'], method: 'GET', htu: 'https://api.example.com/a', now, window: 60, tolerance: 0, accessToken: 'tok' };
  const claims = { jti: 'j1', htm: 'GET', htu: 'https://api.example.com/a', iat: now, ath: accessTokenHash('tok') };
  const withJwk = (value: unknown) => signRaw(client.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk: value }, claims);

  it.each<[string, unknown, string]>([
    ['a tiny RSA key', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }, 'dpop_jwk_invalid'],
    ['an unknown curve', { ...jwk, crv: 'P-999' }, 'dpop_jwk_invalid'],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0' }, 'dpop_jwk_private'],
    ['x that is not base64url', { ...jwk, x: '!!!' }, 'dpop_jwk_invalid'],
    ['x a number', { ...jwk, x: 5 }, 'dpop_jwk_invalid'],
    ['an array', [jwk], 'dpop_jwk_invalid'],
    ['a string', 'jwk', 'dpop_jwk_invalid'],
    ['__proto__ members', JSON.parse('{"__proto__": {"kty": "EC"}, "crv": "P-256"}'), 'dpop_jwk_invalid'],
  ])('jwk: %s', (_name, value, expected) => expect(checkProof(withJwk(value), expectations)).toBe(expected));

  it('2,000 mutated proofs: each answered with a reason code, none throws', () => {
    const good = signRaw(client.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk }, claims);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u0000\u00ff';
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 2_000; i++) {
      const chars = [...good];
      for (let k = 0; k <= random(4); k++) chars[random(chars.length)] = alphabet[random(alphabet.length)];
      const result = checkProof(chars.join(''), expectations);
      expect(typeof result === 'string' || result.ok).toBe(true);
    }
  });
});
