import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Body, createExpressServer, createKoaServer, CurrentUser, JsonController, Post } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader } from '../helpers';

@BasicAuth()
class UploadAuth {
  calls = 0;
  @VerifyPassword() verify(username: string, password: string) {
    this.calls++;
    return username === 'alice' && password === 'secret' ? { name: username } : null;
  }
}

@JsonController('/upload')
@LoginRequired()
class UploadController {
  // A generous limit, so only authentication can stop a large body from being read and parsed.
  @Post('/') upload(@Body({ options: { limit: '100mb' } }) body: { data: string }, @CurrentUser() user: { name: string }) {
    return { user: user.name, size: body.data.length };
  }
}

@JsonController('/open')
class OpenController {
  @Post('/') @LoginRequired({ optional: true }) open(@Body({ options: { limit: '100mb' } }) body: { data: string }, @CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null, size: body.data.length };
  }
}

function build() {
  const auth = new UploadAuth();
  const checkers = createAuthCheckers([auth]);
  const app = createExpressServer({ controllers: [UploadController, OpenController], authorizationChecker: checkers.authorizationChecker, currentUserChecker: checkers.currentUserChecker });
  checkers.useExpress(app);
  return { app, auth };
}

const BODY_BYTES = 50 * 1024 * 1024;
const bigJson = () => Buffer.from(`{"data":"${'x'.repeat(BODY_BYTES)}"}`);

/** POSTs a large body over a real socket (supertest copies large bodies slowly). */
function postLarge(app: http.RequestListener, body: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; challenge?: string }> {
  const server = http.createServer(app);
  return new Promise((resolve, reject) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers } },
        (res) => {
          res.resume();
          res.on('end', () => {
            server.close();
            resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] });
          });
        },
      );
      // The server may answer and close before the whole body is written.
      req.on('error', (error) => (server.close(), reject(error)));
      req.end(body);
    });
  });
}

describe('authentication before the body parser (Express)', () => {
  it('answers an unauthenticated 50 MB POST with 401 without parsing the body', async () => {
    const { app } = build();
    const body = bigJson();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const res = await postLarge(app, body);
    const grown = process.memoryUsage().heapUsed - before;
    expect(res.status).toBe(401);
    expect(res.challenge).toBe('Basic realm="Authentication Required"');
    // Parsing would put a 50 MB string on the heap.
    expect(grown).toBeLessThan(BODY_BYTES / 2);
  });

  it('verifies once and then parses the body for an authenticated POST', async () => {
    const { app, auth } = build();
    const res = await request(app)
      .post('/upload')
      .set('Authorization', basicHeader('alice', 'secret'))
      .send({ data: 'hello' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'alice', size: 5 });
    expect(auth.calls).toBe(1);
  });

  it('refuses wrong credentials before reading the body', async () => {
    const { app, auth } = build();
    const res = await postLarge(app, bigJson(), { Authorization: basicHeader('alice', 'nope') });
    expect(res.status).toBe(401);
    expect(auth.calls).toBe(1);
  });

  it('lets an optional route parse the body of an anonymous request', async () => {
    const { app } = build();
    const res = await request(app).post('/open').send({ data: 'abc' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null, size: 3 });
  });
});

describe('authentication before the body parser (Koa)', () => {
  function buildKoa(withUseKoa: boolean) {
    const auth = new UploadAuth();
    const checkers = createAuthCheckers([auth]);
    const app = createKoaServer({ controllers: [UploadController, OpenController], authorizationChecker: checkers.authorizationChecker, currentUserChecker: checkers.currentUserChecker }) as {
      middleware: Function[];
      callback(): http.RequestListener;
    };
    if (withUseKoa) checkers.useKoa(app);
    return { app: app.callback(), auth };
  }
  // Over koa-bodyparser's 1 MB JSON limit: if it read the body first, the answer would be 413.
  const fiveMegabytes = () => Buffer.from(`{"data":"${'x'.repeat(5 * 1024 * 1024)}"}`);

  it('answers an unauthenticated large POST with 401 before koa-bodyparser reads it', async () => {
    const res = await postLarge(buildKoa(true).app, fiveMegabytes());
    expect(res.status).toBe(401);
    expect(res.challenge).toBe('Basic realm="Authentication Required"');
  });

  it('is what makes the difference: without useKoa the parser answers first', async () => {
    const res = await postLarge(buildKoa(false).app, fiveMegabytes());
    expect(res.status).toBe(413);
  });

  it('parses the body after authenticating, verifying once', async () => {
    const { app, auth } = buildKoa(true);
    const res = await request(app).post('/upload').set('Authorization', basicHeader('alice', 'secret')).send({ data: 'hello' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'alice', size: 5 });
    expect(auth.calls).toBe(1);
  });

  it('parses the body of an anonymous request to an optional route', async () => {
    const res = await request(buildKoa(true).app).post('/open').send({ data: 'abc' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null, size: 3 });
  });

  it('refuses useKoa before the routes exist', () => {
    const checkers = createAuthCheckers([new UploadAuth()]);
    expect(() => checkers.useKoa({ middleware: [] })).toThrow('http-auth: call auth.useKoa(app) after createKoaServer/useKoaServer has registered the routes');
  });
});
