/**
 * Issue 16 §3 through HTTP, on both drivers: a routing-controllers app protected by
 * `@JwtAuth({ jwksUri })` (or `discovery`) against a JWKS server the test controls
 * (tests/keys/jwks-server.ts). One fetch for a cold stampede, an unknown-kid flood that neither
 * multiplies fetches nor holds back a real rotation, stale keys through an outage, 503 fast when no
 * key can be had, and an app that starts without network.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, JwtAuth, LoginRequired, type Action, type AuthEvent, type AuthFailureStatus, type JwtAuthOptions, type JwtClaims } from '../../src';
import { challengeFields, DRIVERS, recordingLogger } from '../helpers';
import { sleep, startServer, type TestServer } from '../keys/jwks-server';
import { accessClaims, AUDIENCE, ISSUER, publicJwk, signRaw } from '../schemes/jwt/tokens';

jest.setTimeout(60_000);

const k1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const k2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const J1 = publicJwk(k1.publicKey, 'k1', 'ES256');
const J2 = publicJwk(k2.publicKey, 'k2', 'ES256');

const now = () => Math.floor(Date.now() / 1000);
const tokenWith = (key: typeof k1, kid: string, extra: Record<string, unknown> = {}) => signRaw(key.privateKey, { alg: 'ES256', typ: 'at+jwt', kid }, accessClaims(now(), extra));
const randomKid = () => signRaw(k1.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: randomUUID() }, accessClaims(now()));

let jwksServer: TestServer;
beforeEach(async () => {
  jwksServer = await startServer();
  jwksServer.jwks = { keys: [J1] };
});
afterEach(() => jwksServer.close());

const listening: Server[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  agents.splice(0).forEach((agent) => agent.destroy());
  for (const server of listening.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

type Keys = Pick<JwtAuthOptions, 'jwksUri' | 'discovery' | 'jwks' | 'cache'> & { issuer?: string };

function build(makeApp: (typeof DRIVERS)[number][1], keys: Keys) {
  @JwtAuth({ audience: AUDIENCE, realm: 'api', ...keys, issuer: keys.issuer ?? ISSUER })
  class RemoteAuth {
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }
  @JsonController()
  class Controller {
    @Get('/me') @LoginRequired({ auth: RemoteAuth }) me(@CurrentUser() user: JwtClaims) {
      return { sub: user.sub };
    }
  }
  const logger = recordingLogger();
  const events: AuthEvent[] = [];
  const app = makeApp([Controller], createAuthCheckers([RemoteAuth], { logger, onEvent: (event) => void events.push(event) }));
  return { app, logger, events };
}

/** The app on a real port, for many requests over kept-alive connections. */
async function serve(app: unknown): Promise<(token: string) => Promise<{ status: number; ms: number }>> {
  const server = createServer(app as RequestListener);
  listening.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  agents.push(agent);
  return (token) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = httpRequest({ host: '127.0.0.1', port, path: '/me', agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - started }));
      });
      req.on('error', reject);
      req.end();
    });
}

const bearer = (token: string) => `Bearer ${token}`;

describe.each(DRIVERS)('remote keys through HTTP (%s)', (_driver, makeApp) => {
  it('starts without network: nothing is fetched until the first token needs a key', async () => {
    // An issuer whose discovery host does not answer at all, and a JWKS server that counts.
    const unreachable = build(makeApp, { issuer: 'http://127.0.0.1:9', discovery: true });
    const counted = build(makeApp, { jwksUri: jwksServer.jwksUrl });
    await sleep(50);
    expect(jwksServer.hits()).toBe(0);
    expect((await request(counted.app).get('/me')).status).toBe(401);
    expect(jwksServer.hits()).toBe(0);
    expect((await request(counted.app).get('/me').set('Authorization', bearer(tokenWith(k1, 'k1')))).status).toBe(200);
    expect(jwksServer.hits()).toBe(1);
    expect((await request(unreachable.app).get('/me')).status).toBe(401);
  });

  it('50 concurrent requests on a cold cache cause one fetch, and all are admitted', async () => {
    // A slow endpoint, so that every request arrives while the one fetch is under way.
    jwksServer.route('/jwks', (_req, res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [J1] })), 200));
    const { app } = build(makeApp, { jwksUri: jwksServer.jwksUrl });
    const send = await serve(app);
    const token = tokenWith(k1, 'k1');
    const answers = await Promise.all(Array.from({ length: 50 }, () => send(token)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(jwksServer.hits()).toBe(1);
  });

  it('1,000 requests with random kids within a second: at most 2 fetches, every one answered 401 within the second', async () => {
    const { app, events } = build(makeApp, { jwksUri: jwksServer.jwksUrl });
    const send = await serve(app);
    // Warm up the HTTP stack (anonymous requests need no key), then the keys (one fetch).
    await Promise.all(Array.from({ length: 20 }, async () => {
      for (let i = 0; i < 15; i++) await send('');
    }));
    expect(jwksServer.hits()).toBe(0);
    expect((await send(tokenWith(k1, 'k1'))).status).toBe(200);
    const tokens = Array.from({ length: 1000 }, randomKid);
    const answers: { status: number; ms: number }[] = [];
    // 20 clients, each sending its 50 requests one after the other.
    await Promise.all(Array.from({ length: 20 }, async (_, client) => {
      for (let i = client; i < tokens.length; i += 20) answers.push(await send(tokens[i]));
    }));
    expect(answers).toHaveLength(1000);
    expect(answers.filter((a) => a.status !== 401)).toEqual([]);
    // None waited for a fetch or a cooldown: every one was answered within the second.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1000);
    expect(jwksServer.hits()).toBeLessThanOrEqual(2);
    await sleep(20);
    expect(new Set(events.filter((e) => e.type === 'rejected').map((e) => e.reason))).toEqual(new Set(['key_not_found', 'no-credentials']));
  });

  it('a flood of unknown kids cannot hold back a real rotation: the new key is accepted within unknownKidInterval + 1 s', async () => {
    const { app } = build(makeApp, { jwksUri: jwksServer.jwksUrl, jwks: { unknownKidInterval: 1 } });
    const send = await serve(app);
    expect((await send(tokenWith(k1, 'k1'))).status).toBe(200);
    let flooding = true;
    const flood = (async () => {
      let sent = 0;
      while (flooding) {
        await Promise.all(Array.from({ length: 5 }, () => send(randomKid())));
        sent += 5;
      }
      return sent;
    })();
    await sleep(300);
    // The issuer publishes k2 and starts signing with it.
    jwksServer.jwks = { keys: [J2, J1] };
    const published = performance.now();
    const fresh = tokenWith(k2, 'k2');
    let status = 0;
    while (performance.now() - published < 4000 && (status = (await send(fresh)).status) !== 200) await sleep(50);
    const waited = performance.now() - published;
    flooding = false;
    const sent = await flood;
    expect(status).toBe(200);
    expect(waited).toBeLessThan(1000 + 1000);
    expect(sent).toBeGreaterThan(20);
    // One fetch at the start, then at most one per interval whatever the flood.
    const seconds = (performance.now() - published + 300) / 1000;
    expect(jwksServer.hits()).toBeLessThanOrEqual(2 + Math.ceil(seconds));
  });

  it('endpoint down after expiry: known keys keep working (one log line), unknown kids 401 fast, the first successful fetch replaces the keys', async () => {
    const { app, logger } = build(makeApp, { jwksUri: jwksServer.jwksUrl, jwks: { maxAge: 1, unknownKidInterval: 1, timeout: 300 } });
    const send = await serve(app);
    const known = tokenWith(k1, 'k1');
    expect((await send(known)).status).toBe(200);
    // Down: the endpoint accepts connections and never answers.
    jwksServer.route('/jwks', () => undefined);
    await sleep(1100);
    for (let i = 0; i < 3; i++) {
      const answer = await send(known);
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(250);
      const unknown = await send(tokenWith(k2, 'k2'));
      expect(unknown.status).toBe(401);
      expect(unknown.ms).toBeLessThan(1000);
      await sleep(400);
    }
    const failures = logger.error.mock.calls.map(([line]) => line);
    expect(failures).toEqual([expect.stringMatching(/^http-auth: RemoteAuth: the signing keys of http:\/\/127\.0\.0\.1:\d+\/jwks could not be fetched: timed out after 300 ms; the 1 key already known stay in use until .* \(retried at most every 1 s\)$/)]);
    // Back, with k1 withdrawn and k2 published: the first successful fetch replaces the set.
    jwksServer.route('/jwks', undefined);
    jwksServer.jwks = { keys: [J2] };
    let status = 0;
    const started = performance.now();
    while (performance.now() - started < 4000 && (status = (await send(tokenWith(k2, 'k2'))).status) !== 200) await sleep(100);
    expect(status).toBe(200);
    expect((await send(known)).status).toBe(401);
  });

  it.each([
    ['connection refused', (server: TestServer) => server.close()],
    ['no answer (timeout)', (server: TestServer) => server.route('/jwks', () => undefined)],
    ['HTTP 500', (server: TestServer) => server.route('/jwks', (_req, res) => res.writeHead(500).end('down'))],
    ['a redirect', (server: TestServer) => server.route('/jwks', (_req, res) => res.writeHead(302, { location: `${server.base}/other` }).end())],
    ['not JSON', (server: TestServer) => server.route('/jwks', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>'))],
    ['over maxBytes', (server: TestServer) => server.route('/jwks', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [J1], pad: 'x'.repeat(600_000) })))],
    ['keys of the wrong type only', (server: TestServer) => void (server.jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'k1' }] })],
  ])('no keys at all and the endpoint fails (%s): 503 fast, never a hang, never a 500', async (_how, breakIt) => {
    await breakIt(jwksServer);
    const { app, logger, events } = build(makeApp, { jwksUri: jwksServer.jwksUrl, jwks: { timeout: 300 } });
    const token = tokenWith(k1, 'k1');
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await request(app).get('/me').set('Authorization', bearer(token));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 503, reason: null });
      // Not the client's fault: no invalid_token that would make it throw its token away.
      expect(challengeFields(res)).toEqual([]);
      expect(res.headers['retry-after']).toBe('5'); // unknownKidInterval: when a fetch may be tried again
    }
    await sleep(20);
    expect(logger.error.mock.calls).toEqual([[expect.stringMatching(/^http-auth: RemoteAuth: the signing keys of .* could not be fetched: .*; tokens are refused until a fetch succeeds \(retried at most every 5 s\)$/)]]);
    expect(events.map((e) => [e.type, e.status, e.reason])).toEqual(Array(3).fill(['error', 503, 'keys_unavailable']));
  });

  it('a discovery document that fails is retried after the cooldown, then its keys verify', async () => {
    let documentUp = false;
    jwksServer.route('/.well-known/openid-configuration', (_req, res) => {
      if (!documentUp) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: jwksServer.base, jwks_uri: jwksServer.jwksUrl }));
    });
    const { app } = build(makeApp, { issuer: jwksServer.base, discovery: true, jwks: { unknownKidInterval: 1 } });
    const token = signRaw(k1.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, accessClaims(now(), { iss: jwksServer.base }));
    expect((await request(app).get('/me').set('Authorization', bearer(token))).status).toBe(503);
    // Within the cooldown: no new attempt.
    expect((await request(app).get('/me').set('Authorization', bearer(token))).status).toBe(503);
    expect(jwksServer.hits('/.well-known/openid-configuration')).toBe(1);
    documentUp = true;
    await sleep(1050);
    expect((await request(app).get('/me').set('Authorization', bearer(token))).status).toBe(200);
    expect(jwksServer.hits('/.well-known/openid-configuration')).toBe(2);
    expect(jwksServer.hits('/jwks')).toBe(1);
  });

  it('never fetches a jku, x5u or jwk a token names, even with remote keys', async () => {
    const { app } = build(makeApp, { jwksUri: jwksServer.jwksUrl });
    const forged = signRaw(k2.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1', jku: `${jwksServer.base}/evil`, x5u: `${jwksServer.base}/evil.pem`, jwk: J2 }, accessClaims(now()));
    const res = await request(app).get('/me').set('Authorization', bearer(forged));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ status: 401, reason: 'signature_invalid' });
    expect(jwksServer.hits('/evil') + jwksServer.hits('/evil.pem')).toBe(0);
  });

  it('refuses a token of an issuer it does not know without any fetch', async () => {
    const { app } = build(makeApp, { jwksUri: jwksServer.jwksUrl });
    const res = await request(app).get('/me').set('Authorization', bearer(tokenWith(k1, 'k1', { iss: `${jwksServer.base}/attacker` })));
    expect(res.body).toEqual({ status: 401, reason: 'issuer_not_allowed' });
    expect(jwksServer.hits()).toBe(0);
  });

  it('serving only cached tokens still learns of a removed key: a hit refreshes a stale key set, and the removal clears the cache', async () => {
    const { app } = build(makeApp, { jwksUri: jwksServer.jwksUrl, jwks: { maxAge: 1, unknownKidInterval: 1 }, cache: { ttl: 300 } });
    const cached = tokenWith(k1, 'k1');
    expect((await request(app).get('/me').set('Authorization', bearer(cached))).status).toBe(200);
    expect(jwksServer.hits('/jwks')).toBe(1);
    // The issuer drops k1 (compromised, say). Only the cached token keeps arriving.
    jwksServer.jwks = { keys: [J2] };
    await sleep(1_100);
    let status = 200;
    for (let i = 0; i < 30 && status === 200; i++) {
      status = (await request(app).get('/me').set('Authorization', bearer(cached))).status;
      if (status === 200) await sleep(50);
    }
    expect(status).toBe(401);
    expect(jwksServer.hits('/jwks')).toBe(2);
  });
});
