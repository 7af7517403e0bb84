import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { All, CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  GetPassword,
  GetUserRoles,
  GetUsernameByHash,
  generateUserhash,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckersOptions,
  type AuthEvent,
  type AuthCheckers,
  type Credentials,
} from '../../src';
import { basicHeader, DRIVERS, fromAddress, recordingLogger, tokenHeader, type AppBuilder } from '../helpers';
import { digestAuthorization, digestChallenge } from '../digest-client';

// Distinctive secrets, so that any trace of them in an event is found by a plain search.
const PASSWORD = 'pw-Secret-7781';
const WRONG = 'wrong-Secret-5523';
const TOKEN = 'tok-Secret-9904';
const BAD_TOKEN = 'badtok-Secret-1287';
const CLIENT = '203.0.113.7';
const ROLES: Record<string, string[]> = { alice: ['admin'], bob: ['reader'] };

type User = { name: string };

@BasicAuth({ realm: 'Audit' })
class UserAuth {
  @VerifyPassword() verify(username: string, password: string) {
    if (username === 'boom') throw new Error('database down');
    if (username === 'expired') throw new AuthenticationFailure('password expired', { code: 'expired' });
    return username in ROLES && password === PASSWORD ? { name: username } : null;
  }
  @GetUserRoles() roles(user: User) {
    return ROLES[user.name];
  }
}

@TokenAuth()
class ApiKeyAuth {
  @VerifyToken() verify(token: string) {
    return token === TOKEN ? { name: 'build-bot' } : null;
  }
}

@BasicAuth({ realm: 'Throttled', throttle: { failures: 1, window: 60, block: 60 } })
class ThrottledAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return password === PASSWORD ? { name: username } : null;
  }
}

@DigestAuth({ realm: 'Audit', secret: 'audit-events-secret' })
class DigestUsers {
  @GetPassword() password(username: string) {
    return username === 'john' ? PASSWORD : undefined;
  }
}

@JsonController('/audit')
class AuditController {
  @Get('/me') @LoginRequired() me(@CurrentUser() user: User) {
    return { user };
  }
  @Get('/maybe') @LoginRequired({ optional: true }) maybe(@CurrentUser() user?: User) {
    return { user: user ?? null };
  }
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return { ok: true };
  }
  @Get('/key') @LoginRequired({ auth: ApiKeyAuth }) key(@CurrentUser() user: User) {
    return { user };
  }
  @Get('/limited') @LoginRequired({ auth: ThrottledAuth }) limited() {
    return { ok: true };
  }
  @Get('/digest') @LoginRequired({ auth: DigestUsers }) digest() {
    return { ok: true };
  }
  @All('/any') @LoginRequired() any() {
    return { ok: true };
  }
}

@DigestAuth({ realm: 'Hashed', secret: 'audit-events-secret', userhash: true })
class HashUsers {
  @GetPassword() password(username: string) {
    return username === 'john' ? PASSWORD : undefined;
  }
  @GetUsernameByHash() byHash(hash: string) {
    return hash === generateUserhash('john', 'Hashed') ? 'john' : undefined;
  }
}

@JsonController('/hashed')
class HashedController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
}

const CONTROLLERS = [AuditController];
const AUTH = () => [new UserAuth(), new ApiKeyAuth(), new ThrottledAuth(), new DigestUsers()];

/** Resolves once `events` holds `count` events; they are delivered on a later turn than the answer. */
async function eventsAfter(events: AuthEvent[], count = 1): Promise<AuthEvent[]> {
  for (let turn = 0; turn < 50 && events.length < count; turn++) await new Promise((resolve) => setImmediate(resolve));
  // One more turn: an extra event (a decision made twice) would show up too.
  await new Promise((resolve) => setImmediate(resolve));
  return events;
}

/** Every secret a request may have carried, none of which may appear in an event. */
function expectNoSecrets(event: AuthEvent, ...extra: string[]): void {
  const text = JSON.stringify(event);
  for (const secret of [PASSWORD, WRONG, TOKEN, BAD_TOKEN, basicHeader('alice', PASSWORD), basicHeader('alice', WRONG), ...extra]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/Secret-/);
}

const common = { method: 'GET', clientAddress: CLIENT, durationMs: expect.any(Number) };
const basic = { authClass: 'UserAuth', scheme: 'Basic', kind: 'basic' } as const;

const CASES: readonly [string, string, Record<string, string>, number, Partial<AuthEvent>][] = [
  ['authenticated (Basic)', '/audit/me?access_token=x', { authorization: basicHeader('alice', PASSWORD) }, 200,
    { type: 'authenticated', ...basic, username: 'alice', path: '/audit/me' }],
  ['authenticated (Bearer): no username', `/audit/key?access_token=${TOKEN}`, { authorization: tokenHeader(TOKEN) }, 200,
    { type: 'authenticated', authClass: 'ApiKeyAuth', scheme: 'Bearer', kind: 'token', path: '/audit/key' }],
  ['anonymous on an optional route', '/audit/maybe', {}, 200, { type: 'anonymous', ...basic, path: '/audit/maybe' }],
  ['rejected: wrong password, with the claimed username', '/audit/me', { authorization: basicHeader('alice', WRONG) }, 401,
    { type: 'rejected', ...basic, username: 'alice', reason: 'bad-credentials', status: 401, path: '/audit/me' }],
  ['rejected: no credentials', '/audit/me', {}, 401, { type: 'rejected', ...basic, reason: 'no-credentials', status: 401, path: '/audit/me' }],
  ['rejected: malformed Basic', '/audit/me', { authorization: `Basic ${PASSWORD}` }, 401,
    { type: 'rejected', ...basic, reason: 'malformed', status: 401, path: '/audit/me' }],
  ['rejected: a scheme the route does not accept', '/audit/me', { authorization: `Negotiate ${TOKEN}` }, 401,
    { type: 'rejected', ...basic, reason: 'foreign-scheme', status: 401, path: '/audit/me' }],
  ['rejected: the code of an AuthenticationFailure', '/audit/me', { authorization: basicHeader('expired', PASSWORD) }, 401,
    { type: 'rejected', ...basic, username: 'expired', reason: 'expired', status: 401, path: '/audit/me' }],
  ['rejected: wrong token, no username', '/audit/key', { authorization: tokenHeader(BAD_TOKEN) }, 401,
    { type: 'rejected', authClass: 'ApiKeyAuth', scheme: 'Bearer', kind: 'token', reason: 'bad-credentials', status: 401, path: '/audit/key' }],
  ['rejected: malformed Bearer (400)', '/audit/key', { authorization: 'Bearer' }, 400,
    { type: 'rejected', authClass: 'ApiKeyAuth', scheme: 'Bearer', kind: 'token', reason: 'malformed', status: 400, path: '/audit/key' }],
  ['forbidden: a user without the role', '/audit/admin', { authorization: basicHeader('bob', PASSWORD) }, 403,
    { type: 'forbidden', ...basic, username: 'bob', reason: 'role', status: 403, path: '/audit/admin' }],
  ['error: a hook that throws', '/audit/me', { authorization: basicHeader('boom', PASSWORD) }, 500,
    { type: 'error', ...basic, reason: 'hook-error', status: 500, path: '/audit/me' }],
];

describe.each(DRIVERS)('%s: audit events (createAuthCheckers({ onEvent }))', (_name, makeApp) => {
  function build(options: AuthCheckersOptions = {}) {
    const events: AuthEvent[] = [];
    const logger = recordingLogger();
    const auth = createAuthCheckers<User>(AUTH(), { logger, onEvent: (event) => void events.push(event), ...options });
    const app = fromAddress(makeApp(CONTROLLERS, auth as AuthCheckers<unknown>), CLIENT);
    return { app, events, logger };
  }

  it.each(CASES)('reports %s', async (_title, path, headers, status, expected) => {
    const { app, events, logger } = build();
    const res = await request(app).get(path).set(headers);
    expect(res.status).toBe(status);
    await eventsAfter(events);
    expect(events).toEqual([{ ...common, ...expected }]);
    expect(events[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(Object.isFrozen(events[0])).toBe(true);
    // A bare scheme word (`Authorization: Bearer`) is no secret: the event names the scheme.
    expectNoSecrets(events[0], ...Object.values(headers).filter((value) => value !== events[0].scheme));
    // Only the throwing hook is logged; the events themselves are not.
    if (status !== 500) expect(logger.error).not.toHaveBeenCalled();
  });

  it('reports throttled after a rejection, with the claimed username and never the password', async () => {
    const { app, events } = build();
    expect((await request(app).get('/audit/limited').set('Authorization', basicHeader('carol', WRONG))).status).toBe(401);
    const res = await request(app).get('/audit/limited').set('Authorization', basicHeader('carol', PASSWORD));
    expect(res.status).toBe(429);
    await eventsAfter(events, 2);
    const limited = { authClass: 'ThrottledAuth', scheme: 'Basic', kind: 'basic', username: 'carol', path: '/audit/limited', ...common };
    expect(events).toEqual([
      { type: 'rejected', reason: 'bad-credentials', status: 401, ...limited },
      { type: 'throttled', reason: 'too-many-attempts', status: 429, ...limited },
    ]);
    for (const event of events) expectNoSecrets(event, basicHeader('carol', WRONG), basicHeader('carol', PASSWORD));
  });

  it('reports Digest logins and replays without the nonce, response or cnonce', async () => {
    const { app, events } = build();
    const first = await request(app).get('/audit/digest');
    expect(first.status).toBe(401);
    const challenge = digestChallenge(first);
    const authorization = digestAuthorization({ challenge, username: 'john', password: PASSWORD, method: 'GET', uri: '/audit/digest', nc: 1, cnonce: 'cnonce-Secret-4242' });
    expect((await request(app).get('/audit/digest').set('Authorization', authorization.header)).status).toBe(200);
    expect((await request(app).get('/audit/digest').set('Authorization', authorization.header)).status).toBe(401);
    await eventsAfter(events, 3);
    const digest = { authClass: 'DigestUsers', scheme: 'Digest', kind: 'digest', path: '/audit/digest', ...common };
    expect(events).toEqual([
      { type: 'rejected', reason: 'no-credentials', status: 401, ...digest },
      { type: 'authenticated', username: 'john', ...digest },
      { type: 'rejected', reason: 'replay', status: 401, username: 'john', ...digest },
    ]);
    for (const event of events) expectNoSecrets(event, challenge.nonce, challenge.opaque!, authorization.response, authorization.ha1, authorization.header);
  });

  it('reports error 503 store-unavailable when the Digest nonce store fails', async () => {
    @DigestAuth({ realm: 'Audit', secret: 'audit-events-secret', store: { use: () => Promise.reject(new Error('redis down')) } })
    class BrokenStore {
      @GetPassword() password(username: string) {
        return username === 'john' ? PASSWORD : undefined;
      }
    }
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers(new BrokenStore(), { logger: recordingLogger(), onEvent: (event) => void events.push(event) });
    const app = fromAddress(makeApp([HashedController], auth), CLIENT);
    const challenge = digestChallenge(await request(app).get('/hashed'));
    const header = digestAuthorization({ challenge, username: 'john', password: PASSWORD, method: 'GET', uri: '/hashed' }).header;
    expect((await request(app).get('/hashed').set('Authorization', header)).status).toBe(503);
    await eventsAfter(events, 2);
    expect(events[1]).toEqual({
      type: 'error', reason: 'store-unavailable', status: 503, authClass: 'BrokenStore', scheme: 'Digest', kind: 'digest', path: '/hashed', ...common,
    });
    expectNoSecrets(events[1], challenge.nonce, header);
  });

  it('never reports a Digest userhash as the username; the verified name once it is resolved', async () => {
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers(new HashUsers(), { logger: recordingLogger(), onEvent: (event) => void events.push(event) });
    const app = fromAddress(makeApp([HashedController], auth), CLIENT);
    const challenge = digestChallenge(await request(app).get('/hashed'));
    const login = (password: string) =>
      digestAuthorization({ challenge, username: 'john', password, method: 'GET', uri: '/hashed', userhash: true }).header;
    expect((await request(app).get('/hashed').set('Authorization', login(WRONG))).status).toBe(401);
    expect((await request(app).get('/hashed').set('Authorization', login(PASSWORD))).status).toBe(200);
    await eventsAfter(events, 3);
    const hashed = { authClass: 'HashUsers', scheme: 'Digest', kind: 'digest', path: '/hashed', ...common };
    expect(events).toEqual([
      { type: 'rejected', reason: 'no-credentials', status: 401, ...hashed },
      { type: 'rejected', reason: 'bad-credentials', status: 401, ...hashed },
      { type: 'authenticated', username: 'john', ...hashed },
    ]);
    for (const event of events) expectNoSecrets(event, generateUserhash('john', 'Hashed'), challenge.nonce);
  });

  it('reports nothing for a CORS preflight, which is answered without authentication', async () => {
    const { app, events } = build();
    const res = await request(app).options('/audit/any').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'DELETE');
    expect(res.status).toBe(204);
    await eventsAfter(events);
    // The control: a plain OPTIONS to the same route is authenticated, and reported.
    expect((await request(app).options('/audit/any')).status).toBe(401);
    await eventsAfter(events);
    expect(events.map((e) => e.type)).toEqual(['rejected']);
  });

  const REQUESTS: readonly [string, Record<string, string>][] = [
    ['/audit/me', { authorization: basicHeader('alice', PASSWORD) }],
    ['/audit/maybe', {}],
    ['/audit/me', { authorization: basicHeader('alice', WRONG) }],
    ['/audit/admin', { authorization: basicHeader('bob', PASSWORD) }],
    ['/audit/me', { authorization: basicHeader('boom', PASSWORD) }],
  ];

  /** Status, body and auth headers of each request, as the client sees them. */
  async function answers(app: RequestListener | express.Express) {
    const out: unknown[] = [];
    for (const [path, headers] of REQUESTS) {
      const res = await request(app).get(path).set(headers);
      out.push([res.status, res.body, res.headers['www-authenticate']]);
    }
    return out;
  }

  it('answers exactly as without onEvent when onEvent throws, and logs that once for many throws', async () => {
    const plain = fromAddress(makeApp(CONTROLLERS, createAuthCheckers(AUTH(), { logger: recordingLogger() }) as AuthCheckers<unknown>), CLIENT);
    const expected = await answers(plain);
    let calls = 0;
    const { app, logger } = build({
      onEvent: () => {
        calls++;
        throw new Error('audit sink is down');
      },
    });
    expect(await answers(app)).toEqual(expected);
    expect(await answers(app)).toEqual(expected);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2 * REQUESTS.length);
    const lines = logger.error.mock.calls.map(([line]) => line).filter((line) => line.includes('onEvent'));
    expect(lines).toEqual(['http-auth: onEvent threw Error: audit sink is down; the answer was not affected']);
  });

  it('answers while an async onEvent has not settled, and logs its later rejection once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pending: AuthEvent[] = [];
    const { app, logger } = build({
      onEvent: async (event) => {
        pending.push(event);
        await gate;
        throw new Error('too late');
      },
    });
    const res = await request(app).get('/audit/me').set('Authorization', basicHeader('alice', PASSWORD));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { name: 'alice' } });
    await eventsAfter(pending);
    // The listener is still waiting: the answer did not wait for it.
    expect(pending.map((e) => e.type)).toEqual(['authenticated']);
    expect(logger.error).not.toHaveBeenCalled();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.error.mock.calls.map(([line]) => line)).toEqual(['http-auth: onEvent threw Error: too late; the answer was not affected']);
  });

  it('answers while an async onEvent never settles', async () => {
    let calls = 0;
    const { app } = build({
      onEvent: () => {
        calls++;
        return new Promise(() => {});
      },
    });
    const res = await request(app).get('/audit/admin').set('Authorization', basicHeader('bob', PASSWORD));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_FORBIDDEN' });
    const ok = await request(app).get('/audit/admin').set('Authorization', basicHeader('alice', PASSWORD));
    expect(ok.status).toBe(200);
    expect(calls).toBe(2);
  });
});

describe('createAuthCheckers({ onEvent }) validation', () => {
  it.each([['a string', 'log'], ['an object', { info() {} }], ['null', null]])('throws a TypeError naming the fix for %s', (_title, value) => {
    expect(() => createAuthCheckers(new UserAuth(), { onEvent: value as never })).toThrow(
      new TypeError('http-auth: createAuthCheckers: onEvent must be a function, (event) => void; pass one or leave the option out'),
    );
  });

  it('accepts a function, and no option at all', () => {
    expect(() => createAuthCheckers(new UserAuth(), { onEvent: () => {} })).not.toThrow();
    expect(() => createAuthCheckers(new UserAuth())).not.toThrow();
  });
});

type GuardApp = (auth: AuthCheckers<User>) => RequestListener | express.Express;

const GUARDS: readonly [string, GuardApp][] = [
  [
    'express auth.guard()',
    (auth) => {
      const app = express();
      app.use('/docs', auth.guard({ role: 'admin' }), (_req, res) => void res.send('docs'));
      return app;
    },
  ],
  [
    'koa auth.koaGuard()',
    (auth) => {
      const app = new Koa();
      const guard = auth.koaGuard({ role: 'admin' });
      app.use(guard);
      app.use((ctx) => void (ctx.body = 'docs'));
      return app.callback();
    },
  ],
];

describe.each(GUARDS)('%s: audit events', (_name, makeGuarded) => {
  it.each([
    ['authenticated', 'alice', PASSWORD, 200, { type: 'authenticated', username: 'alice' }],
    ['rejected', 'alice', WRONG, 401, { type: 'rejected', username: 'alice', reason: 'bad-credentials', status: 401 }],
    ['forbidden', 'bob', PASSWORD, 403, { type: 'forbidden', username: 'bob', reason: 'role', status: 403 }],
  ] as const)('reports %s', async (_type, username, password, status, expected) => {
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers<User>(new UserAuth(), { onEvent: (event) => void events.push(event) });
    const res = await request(fromAddress(makeGuarded(auth), CLIENT)).get('/docs/index.html?q=1').set('Authorization', basicHeader(username, password));
    expect(res.status).toBe(status);
    await eventsAfter(events);
    expect(events).toEqual([{ ...expected, ...basic, ...common, path: '/docs/index.html' }]);
    expectNoSecrets(events[0]);
  });
});

// Issue 14 item 22: one word, one meaning. The event's `scheme` is `Credentials.scheme`.
const credentialsSeen: Credentials[] = [];

@BasicAuth({ scheme: 'CustomBasic' })
class CustomBasicUsers {
  @VerifyPassword() verify(username: string, password: string) {
    return password === PASSWORD ? { name: username } : null;
  }
  @GetUserRoles() roles(_user: User, credentials: Credentials) {
    credentialsSeen.push(credentials);
    return [];
  }
}

@TokenAuth({ scheme: 'ApiKey', header: 'X-API-Key' })
class HeaderKeys {
  @VerifyToken() verify(token: string) {
    return token === TOKEN ? { name: 'bot' } : null;
  }
  @GetUserRoles() roles(_user: User, credentials: Credentials) {
    credentialsSeen.push(credentials);
    return [];
  }
}

@JsonController('/words')
class WordsController {
  @Get('/basic') @LoginRequired({ auth: CustomBasicUsers, role: [] as string[] }) basic() {
    return { ok: true };
  }
  @Get('/key') @LoginRequired({ auth: HeaderKeys, role: [] as string[] }) key() {
    return { ok: true };
  }
}

describe.each(DRIVERS)('%s: the event names the scheme with the words of Credentials.scheme', (_name, makeApp) => {
  it.each([
    ['a Basic class with its own scheme word', '/words/basic', { authorization: `CustomBasic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` }, 'CustomBasic', 'basic'],
    ['a token class read from a custom header', '/words/key', { 'x-api-key': TOKEN }, 'ApiKey', 'token'],
  ])('%s', async (_title, path, headers, scheme, kind) => {
    credentialsSeen.length = 0;
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers<User>([new CustomBasicUsers(), new HeaderKeys()], { logger: recordingLogger(), onEvent: (event) => void events.push(event) });
    const app = makeApp([WordsController], auth as AuthCheckers<unknown>);
    // `role: []` admits nobody, so @GetUserRoles sees the credentials and the event is `forbidden`.
    expect((await request(app).get(path).set(headers)).status).toBe(403);
    const refused = await request(app).get(path);
    expect(refused.status).toBe(401);
    await eventsAfter(events, 2);
    expect(credentialsSeen.map((c) => c.scheme)).toEqual([scheme]);
    expect(events.map((e) => [e.type, e.scheme, e.kind])).toEqual([
      ['forbidden', scheme, kind],
      ['rejected', scheme, kind],
    ]);
  });
});
