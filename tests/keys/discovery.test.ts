import { generateKeyPairSync } from 'node:crypto';
import { resolveJwtOptions } from '../../src/authenticators/jwt-options';
import { createDiscovery, discoveryUrls } from '../../src/keys/discovery';
import { createKeySource } from '../../src/keys/key-source';
import { createJwtVerifier } from '../../src/schemes/jwt/verify';
import { accessClaims, AUDIENCE, publicJwk, signRaw } from '../schemes/jwt/tokens';
import { fakeClock, recordingLog, sleep, startServer, type TestServer } from './jwks-server';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWK = publicJwk(key.publicKey, 'k1');

describe('discoveryUrls', () => {
  it.each([
    ['https://id.example.test', 'https://id.example.test/.well-known/openid-configuration', 'https://id.example.test/.well-known/oauth-authorization-server'],
    ['https://id.example.test/', 'https://id.example.test/.well-known/openid-configuration', 'https://id.example.test/.well-known/oauth-authorization-server'],
    ['https://kc.example.test/realms/main', 'https://kc.example.test/realms/main/.well-known/openid-configuration', 'https://kc.example.test/.well-known/oauth-authorization-server/realms/main'],
    ['https://id.example.test/tenant/v2.0/', 'https://id.example.test/tenant/v2.0/.well-known/openid-configuration', 'https://id.example.test/.well-known/oauth-authorization-server/tenant/v2.0'],
    ['http://127.0.0.1:8080/issuer1', 'http://127.0.0.1:8080/issuer1/.well-known/openid-configuration', 'http://127.0.0.1:8080/.well-known/oauth-authorization-server/issuer1'],
  ])('%s', (issuer, openid, oauth) => {
    expect(discoveryUrls(issuer)).toEqual([openid, oauth]);
  });
});

describe('discovery', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
    server.jwks = { keys: [JWK] };
  });
  afterEach(() => server.close());

  const json = (body: unknown, status = 200) => (request: unknown, response: import('node:http').ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  function verifierFor(issuer: string, jwks: Record<string, number> = {}) {
    const clock = fakeClock(Date.now());
    const { lines, log } = recordingLog();
    const config = resolveJwtOptions({ issuer, audience: AUDIENCE, discovery: true, jwks: { timeout: 300, ...jwks } }, '@JwtAuth on Test');
    const verify = createJwtVerifier(config, createKeySource(config, { now: clock.now, log }), clock.now);
    const token = signRaw(key.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, accessClaims(Math.floor(clock.now() / 1000), { iss: issuer }));
    return { verify, token, clock, lines };
  }

  it('finds jwks_uri in the issuer openid-configuration on first use, once', async () => {
    const issuer = `${server.base}/realms/main`;
    server.route('/realms/main/.well-known/openid-configuration', json({ issuer, jwks_uri: server.jwksUrl }));
    const { verify, token, clock } = verifierFor(issuer);
    await sleep(30);
    expect(server.hits('/realms/main/.well-known/openid-configuration')).toBe(0);
    const answers = await Promise.all(Array.from({ length: 50 }, () => verify(token)));
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(server.hits('/realms/main/.well-known/openid-configuration')).toBe(1);
    expect(server.hits('/jwks')).toBe(1);
    // A later refresh of the keys does not fetch the document again.
    clock.advance(600_000);
    verify(token);
    await sleep(50);
    expect(server.hits('/jwks')).toBe(2);
    expect(server.hits('/realms/main/.well-known/openid-configuration')).toBe(1);
  });

  it('falls back to RFC 8414 metadata, path-inserted, when there is no openid-configuration', async () => {
    const issuer = `${server.base}/tenant1`;
    server.route('/.well-known/oauth-authorization-server/tenant1', json({ issuer, jwks_uri: server.jwksUrl }));
    const { verify, token } = verifierFor(issuer);
    await expect(verify(token)).resolves.toMatchObject({ ok: true });
    expect(server.hits('/tenant1/.well-known/openid-configuration')).toBe(1);
    expect(server.hits('/.well-known/oauth-authorization-server/tenant1')).toBe(1);
  });

  it.each([
    ['another issuer', (issuer: string, s: TestServer) => ({ issuer: `${issuer}/`, jwks_uri: s.jwksUrl }), 'names another issuer'],
    ['no issuer', (_: string, s: TestServer) => ({ jwks_uri: s.jwksUrl }), 'names another issuer'],
    ['no jwks_uri', (issuer: string) => ({ issuer }), 'has a jwks_uri that must be a URL string'],
    ['an http jwks_uri off loopback', (issuer: string) => ({ issuer, jwks_uri: 'http://keys.example.test/jwks' }), 'has a jwks_uri that must be an https URL (http only for localhost, 127.0.0.1 or [::1])'],
    ['an array', () => [], 'is not a JSON object'],
  ])('refuses a document with %s (and its fallback), retrying after the cooldown', async (_, body, reason) => {
    const issuer = `${server.base}/x`;
    server.route('/x/.well-known/openid-configuration', json(body(issuer, server)));
    const { verify, token, clock, lines } = verifierFor(issuer);
    await expect(verify(token)).resolves.toMatchObject({ code: 'keys_unavailable' });
    expect(verify(token)).toMatchObject({ code: 'keys_unavailable' }); // within the cooldown: at once, no fetch
    expect(server.hits('/x/.well-known/openid-configuration')).toBe(1);
    expect(server.hits('/jwks')).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0].kind).toBe('keys-fetch-failed');
    expect(lines[0].message).toContain(`the discovery document ${issuer}/.well-known/openid-configuration ${reason}, and ${server.base}/.well-known/oauth-authorization-server/x answered HTTP 404`);
    // Fixed on the server: the next attempt after the cooldown succeeds.
    server.route('/x/.well-known/openid-configuration', json({ issuer, jwks_uri: server.jwksUrl }));
    clock.advance(5000);
    await expect(verify(token)).resolves.toMatchObject({ ok: true });
    expect(server.hits('/x/.well-known/openid-configuration')).toBe(2);
  });

  it('gives the discovery fetch the same deadline, without trying the fallback on the silent host', async () => {
    const issuer = `${server.base}/slow`;
    server.route('/slow/.well-known/openid-configuration', () => undefined);
    const { verify, token, lines } = verifierFor(issuer, { timeout: 200 });
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => verify(token)));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answers.every((answer) => !answer.ok && answer.code === 'keys_unavailable')).toBe(true);
    expect(server.hits('/slow/.well-known/openid-configuration')).toBe(1);
    expect(server.hits('/.well-known/oauth-authorization-server/slow')).toBe(0);
    expect(lines[0].message).toContain(`the discovery document ${issuer}/.well-known/openid-configuration timed out after 200 ms`);
  });

  it('createDiscovery keeps the jwks_uri once found', async () => {
    const issuer = `${server.base}/once`;
    server.route('/once/.well-known/openid-configuration', json({ issuer, jwks_uri: server.jwksUrl }));
    const find = createDiscovery(issuer, { timeoutMs: 300, maxBytes: 65_536 });
    expect(await find()).toBe(server.jwksUrl);
    expect(await find()).toBe(server.jwksUrl);
    expect(server.hits('/once/.well-known/openid-configuration')).toBe(1);
  });
});
