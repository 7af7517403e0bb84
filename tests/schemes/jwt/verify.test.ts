import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { resolveJwtOptions, type JwtAuthOptions } from '../../../src/authenticators/jwt-options';
import { createKeySource } from '../../../src/keys/key-source';
import { isPromiseLike } from '../../../src/internal/steps';
import { JWT_REASON_CODES, jwtRefusal } from '../../../src/schemes/jwt/refusals';
import { createJwtVerifier, type JwtVerification, type KeySource } from '../../../src/schemes/jwt/verify';
import { accessClaims, AUDIENCE, b64, ISSUER, joseToken, makeKeys, publicJwk, signRaw, signSegments } from './tokens';

const keys = makeKeys();
const NOW = 1_800_000_000;
const now = () => NOW * 1000;
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const JWKS = { keys: [publicJwk(keys.rsa.publicKey, 'r1'), publicJwk(keys.ec.publicKey, 'e1'), publicJwk(keys.ed25519.publicKey, 'd1')] };

function verifierFor(options: Partial<JwtAuthOptions> = {}) {
  const config = resolveJwtOptions({ issuer: ISSUER, audience: AUDIENCE, keys: JWKS, ...options } as JwtAuthOptions, '@JwtAuth on Test');
  return createJwtVerifier(config, createKeySource(config), now);
}

const verify = verifierFor();
const EC = { alg: 'ES256', typ: 'at+jwt', kid: 'e1' };
const ecToken = (claims: unknown, header: Record<string, unknown> = EC) => signRaw(keys.ec.privateKey, header, claims);
const claims = (extra: Record<string, unknown> = {}) => accessClaims(NOW, extra);

function refused(result: JwtVerification | Promise<JwtVerification>) {
  expect(isPromiseLike(result)).toBe(false);
  expect((result as JwtVerification).ok).toBe(false);
  return result as Exclude<JwtVerification, { ok: true }>;
}

describe('createJwtVerifier with local keys', () => {
  it.each([
    ['RS256', keys.rsa.privateKey, 'r1'],
    ['PS256', keys.rsa.privateKey, 'r1'],
    ['ES256', keys.ec.privateKey, 'e1'],
    ['EdDSA', keys.ed25519.privateKey, 'd1'],
  ])('accepts a %s token signed by jose, synchronously, with frozen claims, header and scopes', async (alg, key, kid) => {
    const token = await joseToken(key, { alg, kid }, claims({ scope: 'articles:read articles:write', realm_access: { roles: ['admin'] } }));
    const result = verify(token);
    expect(isPromiseLike(result)).toBe(false);
    expect(result).toEqual({ ok: true, claims: claims({ scope: 'articles:read articles:write', realm_access: { roles: ['admin'] } }), header: { alg, kid, typ: 'at+jwt' }, scopes: ['articles:read', 'articles:write'] });
    const ok = result as Extract<JwtVerification, { ok: true }>;
    expect(Object.isFrozen(ok)).toBe(true);
    expect(Object.isFrozen(ok.claims)).toBe(true);
    expect(Object.isFrozen((ok.claims.realm_access as { roles: string[] }).roles)).toBe(true);
    expect(Object.isFrozen(ok.header)).toBe(true);
    expect(Object.isFrozen(ok.scopes)).toBe(true);
  });

  it('accepts a token without kid, tried against the keys that fit its alg', () => {
    expect(verify(ecToken(claims(), { alg: 'ES256', typ: 'at+jwt' }))).toMatchObject({ ok: true });
  });

  const valid = ecToken(claims());
  const [h, p, s] = valid.split('.');
  const flip = (segment: string, at: number) => {
    const bytes = Buffer.from(segment, 'base64url');
    bytes[at] ^= 0x01;
    return bytes.toString('base64url');
  };
  const publicPem = keys.rsa.publicKey.export({ format: 'pem', type: 'spki' });
  const hsWithPublicKey = signSegments('HS256', Buffer.from(publicPem), b64({ alg: 'HS256', typ: 'at+jwt', kid: 'r1' }), b64(claims()));

  // The red-team rows of issue 16 §4 that need no network, at the verifier level.
  it.each([
    ['alg none with an empty signature', `${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`, 'alg_not_allowed'],
    ['alg NONE', `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${p}.`, 'alg_not_allowed'],
    ['alg noNE', `${b64({ alg: 'noNE', typ: 'at+jwt' })}.${p}.`, 'alg_not_allowed'],
    ['an empty signature', `${h}.${p}.`, 'signature_invalid'],
    ['HS256 signed with the RSA public key', hsWithPublicKey, 'alg_not_allowed'],
    ['an ES256 all-zero signature', `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, 'signature_invalid'],
    ['no exp', ecToken(claims({ exp: undefined })), 'exp_missing'],
    ['exp as a string', ecToken(claims({ exp: String(NOW + 300) })), 'exp_invalid'],
    ['exp: 1e400', signSegments('ES256', keys.ec.privateKey, h, b64(JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400'))), 'exp_invalid'],
    ['exp long past', ecToken(claims({ exp: NOW - 3600 })), 'expired'],
    ['nbf in the future', ecToken(claims({ nbf: NOW + 3600 })), 'not_yet_valid'],
    ['iat one day ahead', ecToken(claims({ iat: NOW + 86_400 })), 'iat_in_future'],
    ['an unknown crit', ecToken(claims(), { ...EC, crit: ['urn:example:x'], 'urn:example:x': 1 }), 'crit_unsupported'],
    ['a malformed crit', ecToken(claims(), { ...EC, crit: 'exp' }), 'malformed'],
    ['claims that are a JSON array', signSegments('ES256', keys.ec.privateKey, h, b64('[{"exp":1900000000}]')), 'malformed'],
    ['invalid UTF-8', signSegments('ES256', keys.ec.privateKey, h, b64(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))), 'malformed'],
    ['a padded signature', `${valid}==`, 'malformed'],
    ['a signature with non-zero spare bits', `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`, valid.endsWith('A') ? 'malformed' : 'signature_invalid'],
    ['a bit-flipped signature', `${h}.${p}.${flip(s, 10)}`, 'signature_invalid'],
    ['a bit-flipped claim value', `${h}.${flip(p, Buffer.from(p, 'base64url').indexOf('read'))}.${s}`, 'signature_invalid'],
    ['a bit-flipped claims JSON', `${h}.${flip(p, 0)}.${s}`, 'malformed'],
    ['2 segments', `${h}.${p}`, 'malformed'],
    ['4 segments', `${valid}.${s}`, 'malformed'],
    ['kid ../../dev/null', ecToken(claims(), { ...EC, kid: '../../dev/null' }), 'key_not_found'],
    ['a kid of 10 KB', ecToken(claims(), { ...EC, kid: 'k'.repeat(10_240) }), 'token_too_large'],
    ['a kid of 1 KB', ecToken(claims(), { ...EC, kid: 'k'.repeat(1024) }), 'kid_invalid'],
    ['a numeric kid', ecToken(claims(), { ...EC, kid: 1 }), 'kid_invalid'],
    ['the key of another kid', ecToken(claims(), { ...EC, kid: 'r1' }), 'key_not_found'],
    ['a key nobody configured', signRaw(attacker.privateKey, EC, claims()), 'signature_invalid'],
    ['an embedded jwk of the signing key', signRaw(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', jwk: publicJwk(attacker.publicKey) }, claims()), 'signature_invalid'],
    ['an ID token (typ JWT, aud = the client id)', ecToken(claims({ aud: 'client-1', nonce: 'n' }), { ...EC, typ: 'JWT' }), 'typ_not_allowed'],
    ['a token for another audience', ecToken(claims({ aud: 'https://other.example.test' })), 'audience_not_allowed'],
    ['a token of another issuer', ecToken(claims({ iss: 'https://evil.example.test' })), 'issuer_not_allowed'],
    ['a malformed scope', ecToken(claims({ scope: 42 })), 'scope_invalid'],
  ])('refuses %s', (_, token, code) => {
    const refusal = refused(verify(token));
    expect(refusal).toMatchObject(jwtRefusal(code as never));
    expect(refusal.status).toBe(code === 'token_too_large' ? 400 : 401);
  });

  it('refuses a token over 8 KiB with 400 invalid_request, whatever it contains', () => {
    expect(refused(verify('x'.repeat(8193)))).toEqual({ ok: false, status: 400, error: 'invalid_request', code: 'token_too_large', description: 'the token is larger than 8192 bytes' });
    expect(refused(verify(ecToken(claims({ pad: 'x'.repeat(7000) }))))).toMatchObject({ status: 400, code: 'token_too_large' });
  });

  it('checks the signature before the claims: an expired forgery is a forgery', () => {
    expect(refused(verify(signRaw(attacker.privateKey, EC, claims({ exp: NOW - 3600 }))))).toMatchObject({ code: 'signature_invalid' });
  });

  it('exp = now and now + 1: accepted within the default 30 s tolerance; with clockTolerance 0, exp = now is expired', () => {
    expect(verify(ecToken(claims({ exp: NOW })))).toMatchObject({ ok: true });
    expect(verify(ecToken(claims({ exp: NOW + 1 })))).toMatchObject({ ok: true });
    const strict = verifierFor({ clockTolerance: 0 });
    expect(refused(strict(ecToken(claims({ exp: NOW }))))).toMatchObject({ code: 'expired' });
    expect(strict(ecToken(claims({ exp: NOW + 1 })))).toMatchObject({ ok: true });
  });

  it('accepts an ID-token-like typ only when configured, and still refuses its audience', () => {
    const idToken = ecToken(claims({ aud: 'client-1' }), { ...EC, typ: 'JWT' });
    expect(refused(verifierFor({ typ: ['JWT'] })(idToken))).toMatchObject({ code: 'audience_not_allowed' });
    expect(refused(verifierFor({ typ: false })(idToken))).toMatchObject({ code: 'audience_not_allowed' });
    expect(verifierFor({ typ: ['JWT'] })(ecToken(claims(), { ...EC, typ: 'JWT' }))).toMatchObject({ ok: true });
  });

  it('maxTokenAge: refuses an old token and one without iat', () => {
    const aged = verifierFor({ maxTokenAge: 60 });
    expect(aged(ecToken(claims({ iat: NOW - 60 })))).toMatchObject({ ok: true });
    expect(refused(aged(ecToken(claims({ iat: NOW - 600 }))))).toMatchObject({ code: 'too_old' });
    expect(refused(aged(ecToken(claims({ iat: undefined }))))).toMatchObject({ code: 'iat_missing' });
  });

  it('reads scp when asked to', () => {
    const result = verifierFor({ scopeClaim: 'scp' })(ecToken(claims({ scope: 'a', scp: ['b', 'c'] })));
    expect(result).toMatchObject({ ok: true, scopes: ['b', 'c'] });
  });

  it('never echoes the token or its contents in a refusal', () => {
    const marker = 'MARKER<script>';
    const tokens = [
      ecToken(claims({ iss: marker })),
      ecToken(claims({ aud: marker })),
      ecToken(claims(), { ...EC, typ: marker }),
      ecToken(claims(), { ...EC, kid: marker }),
      ecToken(claims(), { ...EC, alg: marker }),
      `${marker}.${marker}.${marker}`,
    ];
    const descriptions = new Set(JWT_REASON_CODES.map((code) => jwtRefusal(code).description));
    for (const token of tokens) {
      const refusal = refused(verify(token));
      expect(descriptions.has(refusal.description)).toBe(true);
      expect(JSON.stringify({ ...refusal, detail: undefined })).not.toContain('MARKER');
    }
  });
});

describe('createJwtVerifier and its key source', () => {
  const config = resolveJwtOptions({ issuer: [ISSUER, 'https://second.example.test'], audience: AUDIENCE, keys: JWKS }, '@JwtAuth on Test');

  function spySource(answer: (issuer: string) => ReturnType<KeySource['keysFor']>) {
    const calls: string[] = [];
    const source: KeySource = {
      keysFor: (issuer, kid, alg) => {
        calls.push(`${issuer} ${kid} ${alg}`);
        return answer(issuer);
      },
    };
    return { calls, verify: createJwtVerifier(config, source, now) };
  }

  it('never asks for keys for an issuer that is not listed, nor for a token refused by its header', () => {
    const { calls, verify } = spySource(() => 'key_not_found');
    refused(verify(ecToken(claims({ iss: 'https://evil.example.test' }))));
    refused(verify(ecToken(claims({ iss: undefined }))));
    refused(verify(ecToken(claims(), { ...EC, kid: 5 })));
    refused(verify(ecToken(claims(), { ...EC, alg: 'none' })));
    refused(verify(ecToken(claims(), { ...EC, typ: 'JWT' })));
    refused(verify(ecToken(claims(), { ...EC, jku: 'https://evil.example.test/jwks' })));
    expect(calls).toEqual(['https://id.example.test e1 ES256']);
  });

  it('asks with the token issuer, kid and alg', () => {
    const { calls, verify } = spySource(() => 'key_not_found');
    verify(ecToken(claims({ iss: 'https://second.example.test' })));
    verify(signRaw(keys.rsa.privateKey, { alg: 'PS256', typ: 'at+jwt' }, claims()));
    expect(calls).toEqual(['https://second.example.test e1 ES256', 'https://id.example.test undefined PS256']);
  });

  it('answers with a promise when the source does, and it resolves to the verification', async () => {
    const local = createKeySource(config);
    const { verify } = spySource((issuer) => Promise.resolve(local.keysFor(issuer, 'e1', 'ES256')) as never);
    const result = verify(ecToken(claims()));
    expect(isPromiseLike(result)).toBe(true);
    await expect(result).resolves.toMatchObject({ ok: true, scopes: ['articles:read'] });
  });

  it('maps the source reason codes, a rejection and a throw to refusals', async () => {
    expect(refused(spySource(() => 'keys_unavailable').verify(ecToken(claims())))).toMatchObject({ code: 'keys_unavailable', status: 401 });
    expect(refused(spySource(() => []).verify(ecToken(claims())))).toMatchObject({ code: 'key_not_found' });
    await expect(spySource(() => Promise.reject(new Error('boom'))).verify(ecToken(claims()))).resolves.toMatchObject({ code: 'keys_unavailable' });
    expect(
      refused(
        spySource(() => {
          throw new Error('boom');
        }).verify(ecToken(claims())),
      ),
    ).toMatchObject({ code: 'keys_unavailable' });
  });

  it('refuses a token without kid when more than 4 keys could have signed it', () => {
    const many = Array.from({ length: 5 }, () => ({ key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }));
    const verify = createJwtVerifier(config, { keysFor: () => many }, now);
    expect(refused(verify(ecToken(claims(), { alg: 'ES256', typ: 'at+jwt' })))).toMatchObject({ code: 'key_not_found' });
  });

  it('never verifies an HS256 token with a public key, even under a policy that allows HS256', () => {
    const loose = createJwtVerifier({ ...config, algorithms: ['HS256', 'RS256'] }, createKeySource(config), now);
    const pem = keys.rsa.publicKey.export({ format: 'pem', type: 'spki' });
    const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: 'r1' });
    const payload = b64(claims());
    const mac = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    expect(refused(loose(`${header}.${payload}.${mac}`))).toMatchObject({ code: 'key_not_found' });
  });
});

describe('key URLs in token headers', () => {
  let server: Server;
  let hits = 0;
  let base = '';

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [publicJwk(attacker.publicKey, 'evil')] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('never fetches or trusts jku, x5u, x5c or an embedded jwk (0 hits on the server they name)', async () => {
    const cert = 'MIIBszCCAVmgAwIBAgIUexample';
    const headers = [
      { alg: 'ES256', typ: 'at+jwt', kid: 'evil', jku: `${base}/jwks.json` },
      { alg: 'ES256', typ: 'at+jwt', kid: 'evil', x5u: `${base}/cert.pem` },
      { alg: 'ES256', typ: 'at+jwt', kid: 'evil', x5c: [cert], x5u: `${base}/chain` },
      { alg: 'ES256', typ: 'at+jwt', jwk: publicJwk(attacker.publicKey), jku: `${base}/jwks.json` },
      { alg: 'ES256', typ: 'at+jwt', kid: 'e1', jku: `${base}/jwks.json`, x5u: `${base}/cert.pem` },
    ];
    const results = await Promise.all(headers.map((header) => verify(signRaw(attacker.privateKey, header, claims()))));
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual(['key_not_found', 'key_not_found', 'key_not_found', 'signature_invalid', 'signature_invalid']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hits).toBe(0);
    // The server works: the test would see a fetch if one were made.
    await fetch(`${base}/jwks.json`).then((response) => response.text());
    expect(hits).toBe(1);
  });
});
