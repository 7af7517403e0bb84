import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { resolveJwtOptions } from '../../src/authenticators/jwt-options';
import { isPromiseLike } from '../../src/internal/steps';
import { createKeySource } from '../../src/keys/key-source';
import { createRemoteJwks, freshFor, type RemoteJwksOptions } from '../../src/keys/remote-jwks';
import { createJwtVerifier, type KeyLookup } from '../../src/schemes/jwt/verify';
import { accessClaims, AUDIENCE, ISSUER, publicJwk, signRaw } from '../schemes/jwt/tokens';
import { fakeClock, recordingLog, sleep, startServer, type TestServer } from './jwks-server';

const k1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const k2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const J1 = publicJwk(k1.publicKey, 'k1');
const J2 = publicJwk(k2.publicKey, 'k2');

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
  server.jwks = { keys: [J1] };
});
afterEach(() => server.close());

function remote(overrides: Partial<RemoteJwksOptions> = {}) {
  const clock = fakeClock();
  const { lines, log } = recordingLog();
  const removed: (readonly string[])[] = [];
  const jwks = createRemoteJwks({
    uri: server.jwksUrl,
    label: server.jwksUrl,
    timeoutMs: 300,
    unknownKidIntervalMs: 5000,
    maxAgeMs: 600_000,
    staleIfErrorMs: 3_600_000,
    maxBytes: 524_288,
    now: clock.now,
    log,
    onKeysRemoved: (kids) => removed.push(kids),
    ...overrides,
  });
  return { jwks, clock, lines, removed };
}

const kids = (lookup: KeyLookup) => (typeof lookup === 'string' ? lookup : lookup.map((key) => key.kid));

describe('remote JWK Set', () => {
  it('fetches nothing until a key is needed (the app starts without network)', async () => {
    remote();
    const config = resolveJwtOptions({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.jwksUrl }, '@JwtAuth on Test');
    createKeySource(config);
    createJwtVerifier(config, createKeySource(config));
    await sleep(50);
    expect(server.hits()).toBe(0);
  });

  it('50 concurrent requests on a cold cache cause one fetch, then answers synchronously', async () => {
    const { jwks } = remote();
    const answers = await Promise.all(Array.from({ length: 50 }, () => jwks.keysFor('k1', 'ES256')));
    expect(answers.map(kids)).toEqual(Array(50).fill(['k1']));
    expect(server.hits()).toBe(1);
    const warm = jwks.keysFor('k1', 'ES256');
    expect(isPromiseLike(warm)).toBe(false);
    expect(kids(warm as KeyLookup)).toEqual(['k1']);
    expect(server.hits()).toBe(1);
  });

  it('gives every fetch a deadline: a silent endpoint is refused after timeout, logged once, never thrown', async () => {
    server.route('/jwks', () => undefined); // never answers
    const { jwks, clock, lines } = remote({ timeoutMs: 200 });
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => jwks.keysFor('k1', 'ES256')));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answers).toEqual(Array(10).fill('keys_unavailable'));
    expect(server.hits()).toBe(1);
    // Within the cooldown, no new fetch: refused at once, synchronously.
    expect(jwks.keysFor('k1', 'ES256')).toBe('keys_unavailable');
    clock.advance(5000);
    await expect(jwks.keysFor('k1', 'ES256')).resolves.toBe('keys_unavailable');
    expect(server.hits()).toBe(2);
    expect(lines).toEqual([{ kind: 'keys-fetch-failed', message: expect.stringContaining('could not be fetched: timed out after 200 ms; tokens are refused until a fetch succeeds (retried at most every 5 s)') }]);
  });

  it('an unknown kid fetches at most once per unknownKidInterval; others in that interval fail fast, those during a fetch wait for it', async () => {
    const { jwks, clock } = remote();
    await jwks.keysFor('k1', 'ES256');
    expect(server.hits()).toBe(1);
    // Right after a fetch: unknown kids are refused at once, without a fetch.
    for (let i = 0; i < 100; i++) expect(jwks.keysFor(randomUUID(), 'ES256')).toBe('key_not_found');
    expect(server.hits()).toBe(1);
    clock.advance(4999);
    expect(jwks.keysFor('unknown', 'ES256')).toBe('key_not_found');
    expect(server.hits()).toBe(1);
    clock.advance(1);
    server.jwks = { keys: [J1, J2] };
    const first = jwks.keysFor('k2', 'ES256');
    const during = jwks.keysFor(randomUUID(), 'ES256'); // waits for the fetch in flight
    const k2During = jwks.keysFor('k2', 'ES256');
    expect(isPromiseLike(first) && isPromiseLike(during) && isPromiseLike(k2During)).toBe(true);
    expect(kids(await first)).toEqual(['k2']);
    expect(await during).toBe('key_not_found');
    expect(kids(await k2During)).toEqual(['k2']);
    expect(server.hits()).toBe(2);
    expect(jwks.keysFor(randomUUID(), 'ES256')).toBe('key_not_found');
    expect(server.hits()).toBe(2);
  });

  it('a token without kid and no fitting key counts as an unknown kid', async () => {
    const { jwks } = remote();
    await jwks.keysFor('k1', 'ES256');
    expect(jwks.keysFor(undefined, 'RS256')).toBe('key_not_found');
    expect(kids(jwks.keysFor(undefined, 'ES256') as KeyLookup)).toEqual(['k1']);
    expect(server.hits()).toBe(1);
  });

  it('1,000 random-kid requests within one second cause at most 2 fetches and all answer within that second', async () => {
    const { jwks } = remote({ now: Date.now });
    const started = Date.now();
    const answers: Promise<KeyLookup>[] = [];
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 100; i++) answers.push(Promise.resolve(jwks.keysFor(randomUUID(), 'ES256')));
      await sleep(80);
    }
    const results = await Promise.all(answers);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(new Set(results)).toEqual(new Set(['key_not_found']));
    expect(server.hits()).toBeLessThanOrEqual(2);
  });

  it('a random-kid flood cannot hold back a real rotation: the new key is accepted within unknownKidInterval + 1 s (real time)', async () => {
    const { jwks } = remote({ now: Date.now, unknownKidIntervalMs: 1000 });
    await jwks.keysFor('k1', 'ES256');
    let flooding = true;
    const flood = (async () => {
      let sent = 0;
      while (flooding) {
        for (let i = 0; i < 20; i++) void Promise.resolve(jwks.keysFor(randomUUID(), 'ES256'));
        sent += 20;
        await sleep(10);
      }
      return sent;
    })();
    await sleep(300);
    server.jwks = { keys: [J1, J2] };
    const published = Date.now();
    let acceptedAt: number | undefined;
    while (acceptedAt === undefined && Date.now() - published < 3000) {
      const found = await jwks.keysFor('k2', 'ES256');
      if (typeof found !== 'string') acceptedAt = Date.now();
      else await sleep(50);
    }
    flooding = false;
    const sent = await flood;
    expect(sent).toBeGreaterThan(500);
    expect(acceptedAt).toBeDefined();
    expect(acceptedAt! - published).toBeLessThanOrEqual(2000);
    // The flood caused at most one fetch per interval.
    const elapsed = Date.now() - published + 300;
    expect(server.hits()).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 1000) + 1);
  });

  it.each([
    ['max-age=120', 120_000],
    ['public, max-age=300, must-revalidate', 300_000],
    ['max-age=5 (clamped up to 60 s)', 60_000],
    ['max-age=100000 (clamped down to maxAge)', 600_000],
    ['no-store', 60_000],
    ['no-cache, max-age=300', 60_000],
    ['(none)', 600_000],
    ['max-age=abc (ignored)', 600_000],
  ])('honours Cache-Control %s', async (header, freshMs) => {
    const cacheControl = header.split(' (')[0];
    if (cacheControl !== '(none)') server.headers = { 'cache-control': cacheControl };
    const { jwks, clock } = remote();
    await jwks.keysFor('k1', 'ES256');
    clock.advance(freshMs - 1);
    expect(kids(jwks.keysFor('k1', 'ES256') as KeyLookup)).toEqual(['k1']);
    await sleep(20);
    expect(server.hits()).toBe(1);
    clock.advance(1);
    // Expired: still answered synchronously from the known keys, refreshed in the background.
    expect(kids(jwks.keysFor('k1', 'ES256') as KeyLookup)).toEqual(['k1']);
    await sleep(50);
    expect(server.hits()).toBe(2);
  });

  it('freshFor clamps to [min(60 s, maxAge), maxAge]', () => {
    expect(freshFor('max-age=10', 30_000)).toBe(30_000);
    expect(freshFor('max-age=10', 600_000)).toBe(60_000);
    expect(freshFor('max-age=45', 600_000)).toBe(60_000);
    expect(freshFor('max-age=61', 600_000)).toBe(61_000);
    expect(freshFor('MAX-AGE=61', 600_000)).toBe(61_000);
    expect(freshFor('max-age="90"', 600_000)).toBe(90_000);
    expect(freshFor(null, 600_000)).toBe(600_000);
  });

  it('when the endpoint is down after expiry, known keys verify for staleIfError (one log line), unknown kids fail fast, and the first success replaces them', async () => {
    const { jwks, clock, lines, removed } = remote({ maxAgeMs: 60_000, staleIfErrorMs: 120_000 });
    await jwks.keysFor('k1', 'ES256');
    server.route('/jwks', (request, response) => {
      response.writeHead(503);
      response.end();
    });
    clock.advance(60_000);
    expect(kids(jwks.keysFor('k1', 'ES256') as KeyLookup)).toEqual(['k1']); // refresh starts in the background
    await sleep(50);
    expect(server.hits()).toBe(2);
    for (let i = 0; i < 20; i++) {
      clock.advance(5000);
      expect(kids(jwks.keysFor('k1', 'ES256') as KeyLookup)).toEqual(['k1']);
      const unknown = jwks.keysFor(randomUUID(), 'ES256');
      const started = Date.now();
      expect(await unknown).toBe('key_not_found');
      expect(Date.now() - started).toBeLessThan(400);
    }
    expect(lines).toEqual([{ kind: 'keys-fetch-failed', message: expect.stringMatching(/could not be fetched: answered HTTP 503; the 1 key already known stay in use until .* \(retried at most every 5 s\)/) }]);
    // staleIfError is over: the known key is no longer used.
    clock.set(clock.now() + 60_000);
    const late = await jwks.keysFor('k1', 'ES256');
    expect(late).toBe('keys_unavailable');
    // The endpoint is back with a new key only: the first success replaces the set.
    server.route('/jwks', undefined);
    server.jwks = { keys: [J2] };
    clock.advance(5000);
    expect(kids(await jwks.keysFor('k2', 'ES256'))).toEqual(['k2']);
    expect(jwks.keysFor('k1', 'ES256')).toBe('key_not_found');
    expect(removed).toEqual([['k1']]);
    expect(lines.map((line) => line.kind)).toEqual(['keys-fetch-failed', 'keys-rotated']);
    expect(lines[1].message).toContain('changed: 1 ("k2") added, 1 ("k1") removed');
  });

  it('a slow endpoint after expiry never delays requests with known keys', async () => {
    const { jwks, clock } = remote({ timeoutMs: 500 });
    await jwks.keysFor('k1', 'ES256');
    server.route('/jwks', () => undefined);
    clock.advance(600_000);
    const started = Date.now();
    for (let i = 0; i < 100; i++) expect(kids(jwks.keysFor('k1', 'ES256') as KeyLookup)).toEqual(['k1']);
    expect(Date.now() - started).toBeLessThan(100);
  });

  describe('refuses a bad response and keeps the keys it had, logged once', () => {
    const cases: [string, (server: TestServer) => void, string][] = [
      [
        'a redirect',
        (s) => {
          s.route('/jwks', (request, response) => {
            response.writeHead(302, { location: `${s.base}/elsewhere` });
            response.end();
          });
          s.route('/elsewhere', (request, response) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ keys: [J2] }));
          });
        },
        'answered HTTP 302 (redirects are not followed)',
      ],
      [
        'an HTML page',
        (s) =>
          s.route('/jwks', (request, response) => {
            response.writeHead(200, { 'content-type': 'text/html' });
            response.end('<html>login</html>');
          }),
        'is not JSON',
      ],
      [
        'a body over maxBytes (declared)',
        (s) =>
          s.route('/jwks', (request, response) => {
            response.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
            response.end(JSON.stringify({ keys: [J2], pad: 'x'.repeat(5000) }).slice(0, 5000));
          }),
        'is larger than 4096 bytes',
      ],
      [
        'an endless body (read up to the cap only)',
        (s) =>
          s.route('/jwks', (request, response) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            const timer = setInterval(() => response.write('x'.repeat(1024)), 5);
            response.on('close', () => clearInterval(timer));
          }),
        'is larger than 4096 bytes',
      ],
      [
        'keys of the wrong type',
        (s) => {
          s.jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' }, { ...J2, use: 'enc' }] };
        },
        'has no usable signing key (2 keys skipped)',
      ],
      ['no keys array', (s) => void (s.jwks = { keys: { k2: J2 } }), 'is not a JWK Set (no "keys" array)'],
      ['a JSON array', (s) => void (s.jwks = [J2]), 'is not a JWK Set (no "keys" array)'],
      ['private keys', (s) => void (s.jwks = { keys: [{ ...k2.privateKey.export({ format: 'jwk' }), kid: 'k2' }] }), 'has no usable signing key (1 key skipped)'],
    ];

    it.each(cases)('%s', async (_, breakIt, reason) => {
      const { jwks, clock, lines } = remote({ maxBytes: 4096, timeoutMs: 3000 });
      await jwks.keysFor('k1', 'ES256');
      breakIt(server);
      clock.advance(5000);
      const started = Date.now();
      expect(await jwks.keysFor('k2', 'ES256')).toBe('key_not_found');
      // Refused on what was read, not by the deadline.
      expect(Date.now() - started).toBeLessThan(1500);
      expect(kids(jwks.keysFor('k1', 'ES256') as KeyLookup)).toEqual(['k1']);
      clock.advance(5000);
      expect(await jwks.keysFor('k2', 'ES256')).toBe('key_not_found');
      expect(server.hits('/elsewhere')).toBe(0);
      expect(lines).toEqual([{ kind: 'keys-fetch-failed', message: expect.stringContaining(`could not be fetched: ${reason}; the 1 key already known stay in use`) }]);
    });
  });

  it('skips unusable keys in a set that also has usable ones', async () => {
    server.jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0' }, { ...J2, use: 'enc' }, { ...J1, alg: 'XX999' }, J1, { kty: 'AKP', alg: 'ML-DSA-44', pub: 'x' }] };
    const { jwks, lines } = remote();
    expect(kids(await jwks.keysFor('k1', 'ES256'))).toEqual(['k1']);
    expect(lines).toEqual([]);
  });

  it('reports removed keys (for a verified-token cache) and rotations, with fixed log kinds', async () => {
    server.jwks = { keys: [J1, J2] };
    const { jwks, clock, lines, removed } = remote();
    await jwks.keysFor('k1', 'ES256');
    server.jwks = { keys: [J2] };
    clock.advance(600_000);
    jwks.keysFor('k2', 'ES256');
    await sleep(50);
    expect(removed).toEqual([['k1']]);
    expect(jwks.keysFor('k1', 'ES256')).toBe('key_not_found');
    server.jwks = { keys: [J2] };
    clock.advance(600_000);
    jwks.keysFor('k2', 'ES256');
    await sleep(50);
    expect(removed).toEqual([['k1']]); // nothing changed the second time
    expect(lines).toEqual([{ kind: 'keys-rotated', message: `the signing keys of ${server.jwksUrl} changed: none added, 1 ("k1") removed` }]);
  });

  it('never fetches the jku, x5u or jwk a token names; only the configured JWKS URL is used', async () => {
    const config = resolveJwtOptions({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.jwksUrl, algorithms: ['ES256'] }, '@JwtAuth on Test');
    const verify = createJwtVerifier(config, createKeySource(config));
    const now = Math.floor(Date.now() / 1000);
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    server.route('/attacker', (request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [publicJwk(attacker.publicKey, 'evil')] }));
    });
    const results = await Promise.all(
      [{ jku: `${server.base}/attacker` }, { x5u: `${server.base}/attacker` }, { jwk: publicJwk(attacker.publicKey, 'evil') }].map((extra) =>
        verify(signRaw(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'evil', ...extra }, accessClaims(now))),
      ),
    );
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual(['key_not_found', 'key_not_found', 'key_not_found']);
    expect(server.hits('/attacker')).toBe(0);
    expect(server.hits('/jwks')).toBe(1);
    await expect(verify(signRaw(k1.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1', jku: `${server.base}/attacker` }, accessClaims(now)))).toMatchObject({ ok: true });
    expect(server.hits('/attacker')).toBe(0);
  });

  it('an issuer that is not listed never causes a fetch', async () => {
    const config = resolveJwtOptions({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.jwksUrl }, '@JwtAuth on Test');
    const verify = createJwtVerifier(config, createKeySource(config));
    const now = Math.floor(Date.now() / 1000);
    for (const iss of ['https://evil.example.test', `${server.base}`, undefined]) {
      const result = verify(signRaw(k1.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, accessClaims(now, { iss })));
      expect(isPromiseLike(result)).toBe(false);
      expect(result).toMatchObject({ code: 'issuer_not_allowed' });
    }
    await sleep(30);
    expect(server.hits()).toBe(0);
  });
});
