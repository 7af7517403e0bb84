import SwaggerParser from '@apidevtools/swagger-parser';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../example-app/app';
import { openApiDocument } from '../example-app/openapi';
import { DEMO_API_KEY, DEMO_USERS } from '../example-app/users';

const { app, users } = createApp();
beforeAll(() => users.ready);

const password = (username: string): string => DEMO_USERS.find((u) => u.username === username)!.password;
const as = (username: string): [string, string] => [username, password(username)];

describe('example app: public and login', () => {
  it('answers GET / without credentials', async () => {
    const res = await request(app).get('/').expect(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body.demo.users.map((u: { username: string }) => u.username)).toEqual(['alice', 'bob', 'carol']);
    expect(res.body.demo.apiKey).toEqual({ header: 'X-API-Key', value: DEMO_API_KEY });
  });

  it.each(DEMO_USERS.map((u) => [u.username, u.roles] as const))('returns %s from /me', async (username, roles) => {
    const res = await request(app).get('/me').auth(...as(username)).expect(200);
    expect(res.body).toEqual({ kind: 'user', username, name: expect.any(String), roles });
    expect(JSON.stringify(res.body)).not.toMatch(/scrypt|secret/);
  });

  it.each([
    ['a wrong password', ['bob', 'nope']],
    ['an unknown user', ['mallory', 'bob-secret']],
  ] as const)('returns 401 with a Basic challenge for %s', async (_, [username, pass]) => {
    const res = await request(app).get('/me').auth(username, pass).expect(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Example API"');
    expect(res.body).toEqual({ error: 'unauthorized' });
  });

  it('returns 401 with a challenge for /me without credentials', async () => {
    const res = await request(app).get('/me').expect(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Example API"');
  });

  it('serves the guest feed without credentials and a personal one with them', async () => {
    const guest = await request(app).get('/feed').expect(200);
    expect(guest.body.greeting).toMatch(/guest/);
    expect(guest.body.yours).toBeUndefined();
    const alice = await request(app).get('/feed').auth(...as('alice')).expect(200);
    expect(alice.body.greeting).toBe('Hello, Alice.');
    expect(alice.body.yours).toEqual(expect.arrayContaining([expect.objectContaining({ title: 'Welcome' })]));
  });

  it('returns 401 on the optional feed when the credentials are wrong', async () => {
    await request(app).get('/feed').auth('carol', 'wrong').expect(401);
  });

  it('keeps a keep-alive connection open after 401, 400 and 404 answers', async () => {
    const server = app.listen(0);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      const send = (method: string, path: string, auth: string, body?: string) =>
        new Promise<string>((resolve, reject) => {
          const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
          const req = http.request({ port, method, path, agent, auth, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve(`${res.statusCode}${req.reusedSocket ? ' reused' : ''}`));
          });
          req.on('error', reject);
          req.end(body);
        });
      expect(await send('GET', '/me', 'bob:wrong')).toBe('401');
      expect(await send('GET', '/me', 'bob:bob-secret')).toBe('200 reused');
      expect(await send('POST', '/articles', 'bob:bob-secret', '{"title":""}')).toBe('400 reused');
      expect(await send('GET', '/articles/9999', 'bob:bob-secret')).toBe('404 reused');
      expect(await send('GET', '/me', 'bob:bob-secret')).toBe('200 reused');
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('example app: roles per endpoint', () => {
  const article = { title: 'Roles', body: 'Who may do what' };

  it.each([
    ['GET', '/articles', 'alice', 200],
    ['GET', '/articles', 'bob', 200],
    ['GET', '/articles', 'carol', 200],
    ['POST', '/articles', 'alice', 403],
    ['POST', '/articles', 'carol', 403],
    ['POST', '/articles', 'bob', 201],
    ['DELETE', '/articles/9999', 'carol', 403],
    ['DELETE', '/articles/9999', 'bob', 404],
    ['DELETE', '/articles/9999', 'alice', 404],
    ['GET', '/settings', 'carol', 200],
    ['PATCH', '/settings', 'carol', 403],
    ['PATCH', '/settings', 'bob', 403],
    ['PATCH', '/settings', 'alice', 200],
    ['GET', '/admin/', 'bob', 403],
    ['GET', '/admin/', 'alice', 200],
  ] as const)('%s %s as %s → %i', async (method, url, username, status) => {
    const body = method === 'POST' ? article : method === 'PATCH' ? {} : undefined;
    let req = request(app)[method === 'GET' ? 'get' : method === 'POST' ? 'post' : method === 'PATCH' ? 'patch' : 'delete'](url);
    req = req.auth(...as(username));
    if (body) req = req.send(body);
    const res = await req;
    expect(res.status).toBe(status);
    if (status === 403 && !url.startsWith('/articles/')) expect(res.body).toEqual({ error: 'forbidden' });
  });

  it('lets an owner delete only the articles they wrote', async () => {
    const bobs = await request(app).post('/articles').auth(...as('bob')).send({ title: 'Mine', body: 'x' }).expect(201);
    const welcome = (await request(app).get('/articles').auth(...as('carol')).expect(200)).body.find(
      (a: { title: string }) => a.title === 'Welcome',
    );
    await request(app).delete(`/articles/${welcome.id}`).auth(...as('bob')).expect(403);
    await request(app).delete(`/articles/${bobs.body.id}`).auth(...as('bob')).expect(204);
    await request(app).get(`/articles/${bobs.body.id}`).auth(...as('carol')).expect(404);
  });

  it('lets an admin delete any article', async () => {
    const created = await request(app).post('/articles').auth(...as('bob')).send({ title: 'Doomed', body: 'x' }).expect(201);
    await request(app).delete(`/articles/${created.body.id}`).auth(...as('alice')).expect(204);
  });

  it('guards the static docs: 401 with a challenge without credentials', async () => {
    const res = await request(app).get('/admin/').expect(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Example API"');
    expect(res.body).toEqual({ error: 'unauthorized' });
    const ok = await request(app).get('/admin/').auth(...as('alice')).expect(200);
    expect(ok.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('example app: validated bodies', () => {
  it('transforms the body with class-transformer before storing it', async () => {
    const res = await request(app)
      .post('/articles')
      .auth(...as('bob'))
      .send({ title: '  Trimmed  ', body: 'b', tags: ['t'] })
      .expect(201);
    expect(res.body).toMatchObject({ title: 'Trimmed', body: 'b', tags: ['t'], author: 'bob' });
  });

  it.each([
    ['an empty title', { title: '', body: 'x' }, 'title'],
    ['a blank title', { title: '   ', body: 'x' }, 'title'],
    ['a title over 200 characters', { title: 'x'.repeat(201), body: 'x' }, 'title'],
    ['a missing body', { title: 'ok' }, 'body'],
    ['a numeric tag', { title: 'ok', body: 'x', tags: [1] }, 'tags'],
  ])('returns 400 for %s', async (_, body, property) => {
    const res = await request(app).post('/articles').auth(...as('bob')).send(body).expect(400);
    expect(res.body.errors.map((e: { property: string }) => e.property)).toEqual([property]);
    expect(res.body.errors[0].target).toBeUndefined();
    expect(res.body.stack).toBeUndefined();
  });

  it('checks roles before it validates the body', async () => {
    const res = await request(app).post('/articles').auth(...as('carol')).send({ title: '' }).expect(403);
    expect(res.body).toEqual({ error: 'forbidden' });
  });

  it('validates the settings body', async () => {
    await request(app).patch('/settings').auth(...as('alice')).send({ commentsEnabled: 'yes' }).expect(400);
  });
});

describe('example app: issuing tokens (POST /auth/token, /auth/refresh, /auth/logout)', () => {
  const login = async (username: string) => (await request(app).post('/auth/token').auth(...as(username)).expect(200)).body;
  const whoami = (token: string) => request(app).get('/auth/whoami').set('Authorization', `Bearer ${token}`);

  it('logs in with Basic and answers a no-store token pair whose access token the API accepts', async () => {
    const res = await request(app).post('/auth/token').auth(...as('bob')).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'articles:read articles:write' });
    await whoami(res.body.access_token).expect(200, { sub: 'bob', scope: 'articles:read articles:write', fresh: true });
  });

  it('refreshes once: the new access token is not fresh, the used refresh token revokes the login when sent again', async () => {
    const pair = await login('carol');
    const next = (await request(app).post('/auth/refresh').send({ refresh_token: pair.refresh_token }).expect(200)).body;
    await whoami(next.access_token).expect(200, { sub: 'carol', scope: 'articles:read', fresh: false });
    await request(app).post('/auth/refresh').send({ refresh_token: pair.refresh_token }).expect(400, { error: 'invalid_grant', error_description: 'refresh token invalid, expired or revoked' });
    await whoami(next.access_token).expect(401);
  });

  it("logs out: the login's tokens stop working", async () => {
    const pair = await login('carol');
    await request(app).post('/auth/logout').send({ refresh_token: pair.refresh_token }).expect(200, { revoked: true });
    const res = await whoami(pair.access_token).expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Example API", error="invalid_token", error_description="the token has been revoked"');
    await request(app).post('/auth/refresh').send({ refresh_token: pair.refresh_token }).expect(400);
  });

  it('refuses without a token, with a wrong password, and a token without the scope', async () => {
    const res = await request(app).get('/auth/whoami').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Example API"');
    await request(app).post('/auth/token').auth('bob', 'not-the-password').expect(401);
    const alice = await login('alice'); // admin and reader
    await whoami(alice.access_token).expect(200);
    await request(app).post('/auth/refresh').send({}).expect(400);
  });
});

describe('example app: API key and MultiAuth', () => {
  it('accepts the API key on /machine/status', async () => {
    const res = await request(app).get('/machine/status').set('X-API-Key', DEMO_API_KEY).expect(200);
    expect(res.body).toMatchObject({ status: 'ok', caller: { kind: 'client', name: 'build-bot' } });
  });

  it('accepts a user on /machine/status', async () => {
    const res = await request(app).get('/machine/status').auth(...as('carol')).expect(200);
    expect(res.body.caller).toEqual({ kind: 'user', username: 'carol' });
  });

  it('rejects a wrong API key with 401 and a challenge in its own scheme, not Bearer', async () => {
    const res = await request(app).get('/machine/status').set('X-API-Key', 'wrong').expect(401);
    expect(res.headers['www-authenticate']).toBe('ApiKey realm="Example API", Basic realm="Example API"');
    expect(res.headers['www-authenticate']).not.toMatch(/Bearer/);
  });

  it('names both schemes when /machine/status gets no credentials', async () => {
    const res = await request(app).get('/machine/status').expect(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Example API", ApiKey realm="Example API"');
  });

  // Either member may answer a failure on the MultiAuth route; a client sees one body shape.
  it.each([
    ['no credentials', {}],
    ['a wrong API key', { 'X-API-Key': 'wrong' }],
    ['an empty API key', { 'X-API-Key': '' }],
    ['a wrong password', { Authorization: `Basic ${Buffer.from('bob:wrong').toString('base64')}` }],
    ['a scheme no member reads', { Authorization: 'Bearer demo-api-key' }],
  ])('answers %s on /machine/status with the same 401 body', async (_name, headers) => {
    const res = await request(app).get('/machine/status').set(headers).expect(401);
    expect(res.body).toEqual({ error: 'unauthorized' });
  });

  it('does not accept the API key on user-only routes', async () => {
    await request(app).get('/me').set('X-API-Key', DEMO_API_KEY).expect(401);
  });
});

describe('example app: no stack trace or HTML error page reaches a client', () => {
  it.each([
    ['a malformed JSON body', () => request(app).post('/articles').auth(...as('bob')).set('Content-Type', 'application/json').send('{"title":'), 400, { error: 'bad_request' }],
    ['a JSON body over the limit', () => request(app).post('/articles').auth(...as('bob')).set('Content-Type', 'application/json').send(JSON.stringify({ title: 'x'.repeat(200_000), body: 'x' })), 413, { error: 'payload_too_large' }],
    ['a path no route serves', () => request(app).get('/no-such-route'), 404, { error: 'not_found' }],
    ['a file missing under the guarded /admin', () => request(app).get('/admin/missing.html').auth(...as('alice')), 404, { error: 'not_found' }],
    ['a missing article (routing-controllers NotFoundError)', () => request(app).get('/articles/9999').auth(...as('bob')), 404, { name: 'NotFoundError', message: 'no such article' }],
    ['a parameter that is not a number', () => request(app).get('/articles/abc').auth(...as('bob')), 400, expect.objectContaining({ name: 'ParamNormalizationError' })],
  ] as const)('answers %s with JSON and no stack', async (_name, send, status, body) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(body);
    expect(res.body.stack).toBeUndefined();
    expect(res.text).not.toMatch(/<html|\bat .*\.[jt]s:\d+/i);
  });

  it('still answers a served path normally after the 404 handler was added', async () => {
    await request(app).get('/').expect(200);
    await request(app).get('/admin/').auth(...as('alice')).expect(200);
  });
});

describe('example app: audit log with pino', () => {
  function loggedApp() {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const example = createApp({ logger });
    const records = () => lines.map((line) => JSON.parse(line) as { level: number; msg: string; auth?: Record<string, unknown> });
    return { ...example, lines, records };
  }

  /** Events are logged on a later turn than the answer. */
  const settle = async (lines: string[], count: number) => {
    for (let turn = 0; turn < 50 && lines.length < count; turn++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('logs one line per decision: info for a login, warn for a refusal, never a password or key', async () => {
    const { app, users, lines, records } = loggedApp();
    await users.ready;
    await request(app).get('/me').auth(...as('bob')).expect(200);
    await request(app).get('/me?debug=1').auth('bob', 'wrong-password').expect(401);
    await request(app).post('/articles').auth(...as('carol')).send({ title: 'Hi', body: 'x' }).expect(403);
    await request(app).get('/machine/status').set('X-API-Key', DEMO_API_KEY).expect(200);
    await request(app).get('/').expect(200);
    await settle(lines, 4);
    expect(records().map(({ level, msg, auth }) => [level, msg, auth?.authClass, auth?.username, auth?.reason, auth?.path])).toEqual([
      [30, 'auth authenticated', 'UserAuth', 'bob', undefined, '/me'],
      [40, 'auth rejected', 'UserAuth', 'bob', 'bad-credentials', '/me'],
      [40, 'auth forbidden', 'UserAuth', 'carol', 'role', '/articles'],
      [30, 'auth authenticated', 'ApiKeyAuth', undefined, undefined, '/machine/status'],
    ]);
    const text = lines.join('');
    for (const secret of [password('bob'), password('carol'), 'wrong-password', DEMO_API_KEY, 'debug=1']) expect(text).not.toContain(secret);
  });

  it('is silent under jest by default', () => {
    expect(createApp().app).toBeDefined();
  });
});

describe('npm start', () => {
  const root = path.resolve(__dirname, '..');
  let child: ChildProcess | undefined;

  afterAll(() => {
    // detached: the child leads its own process group (npm, sh, ts-node), so one kill reaches all.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('listens on PORT, prints the URL and the demo credentials, answers GET /, and stops on SIGTERM', async () => {
    const port = await freePort();
    child = spawn('npm', ['start'], {
      cwd: root,
      env: { ...process.env, PORT: String(port) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));

    const url = await waitFor(() => /listening on (http:\/\/localhost:\d+\/)/.exec(output)?.[1], exited, 12_000, () => output);
    expect(url).toBe(`http://localhost:${port}/`);
    for (const { username, password } of DEMO_USERS) expect(output).toContain(`${username} / ${password}`);
    expect(output).toContain(DEMO_API_KEY);

    const res = await fetch(url);
    expect(res.status).toBe(200);
    const index = (await res.json()) as { demo: { apiKey: { value: string } } };
    expect(index.demo.apiKey.value).toBe(DEMO_API_KEY);

    process.kill(-child.pid!, 'SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    expect(output).toContain('SIGTERM received, closing the server');
  }, 20_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Polls `probe` until it returns a value; fails when the process exits first or time runs out. */
async function waitFor<T>(probe: () => T | undefined, exited: Promise<void>, timeoutMs: number, log: () => string): Promise<T> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (gone) throw new Error(`npm start exited before printing its URL:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`npm start printed no URL within ${timeoutMs} ms:\n${log()}`);
    await sleep(50);
  }
}

// Issue 9 §2: routing-controllers-openapi + applyOpenApiSecurity, validated with swagger-parser.
describe('the example app\'s OpenAPI document', () => {
  it('is valid, lists both schemes, and marks every protected operation', async () => {
    const { auth } = createApp();
    const { IndexController, MeController, FeedController, ArticlesController, SettingsController, MachineController } = await import('../example-app/controllers');
    const { TokenController } = await import('../example-app/tokens');
    const doc = openApiDocument(auth as never, [IndexController, MeController, FeedController, ArticlesController, SettingsController, MachineController, TokenController]) as unknown as { paths: Record<string, Record<string, Record<string, unknown>>>; components?: Record<string, unknown> };
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(Object.keys((doc.components as { securitySchemes: object }).securitySchemes)).toEqual(['UserAuth', 'ApiKeyAuth', 'AccessTokenAuth']);
    expect((doc.components as { securitySchemes: Record<string, object> }).securitySchemes.AccessTokenAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    // An http bearer scheme lists no scopes (OpenAPI 3.0: only oauth2 and openIdConnect do).
    expect(doc.paths['/auth/whoami'].get.security).toEqual([{ AccessTokenAuth: [] }]);
    expect(doc.paths['/auth/token'].post.security).toEqual([{ UserAuth: [] }]);
    expect(doc.paths['/machine/status'].get.security).toEqual([{ UserAuth: [] }, { ApiKeyAuth: [] }]);
    expect(doc.paths['/feed/'].get.security).toEqual([{ UserAuth: [] }, {}]);
    expect(doc.paths['/'].get.security).toBeUndefined();
  });

  it('is served at /openapi.json, and Swagger UI at /docs/', async () => {
    const { app } = createApp();
    const json = await request(app).get('/openapi.json').expect(200);
    expect(json.body.components.securitySchemes.UserAuth).toEqual({ type: 'http', scheme: 'basic', description: 'HTTP Basic (RFC 7617), realm "Example API"' });
    const ui = await request(app).get('/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });
});
