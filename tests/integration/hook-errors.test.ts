import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { ForbiddenError, Get, JsonController } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  GenerateNonce,
  GenerateOpaque,
  GetPassword,
  GetUserRoles,
  GetUsernameByHash,
  HashPassword,
  LoginRequired,
  TokenAuth,
  VerifyNonce,
  VerifyOpaque,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
} from '../../src';
import { digestAuthorization } from '../digest-client';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, recordingLogger, tokenHeader, type AppBuilder } from '../helpers';

/** What a failing hook says; it must reach the log and never the client. */
const FAILURE = 'database exploded at row 42';
const GENERIC = { name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_INTERNAL' };

type Mode = 'works' | 'sync' | 'async';

/** A hook body that returns `value`, throws, or rejects, as the row asks. */
function behave<T>(mode: Mode, value: T): T | Promise<T> {
  if (mode === 'sync') throw new Error(FAILURE);
  if (mode === 'async') return Promise.reject(new Error(FAILURE));
  return value;
}

@JsonController('/hooked')
class HookedController {
  @Get('/plain') @LoginRequired() plain() {
    return { ok: true };
  }
}

@JsonController('/hooked')
class AdminController {
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return { admin: true };
  }
}

/** The controller serving a row's path (a role route needs a class with @GetUserRoles). */
const controllersFor = (row: { path: string }) => [row.path === '/hooked/admin' ? AdminController : HookedController];

const NONCE = 'fixed-nonce-0123456789';
const OPAQUE = 'fixed-opaque-abcdef';
const REALM = 'Hooks';

interface Row {
  /** The auth class, or (container rows) the class itself handed to createAuthCheckers. */
  auth: object;
  /** `Class.method` the log line names (or the class, for the container). */
  names: string;
  decorator: string;
  path: string;
  header?: string;
}

type Kind =
  | 'verifyPassword'
  | 'getPassword'
  | 'hashPassword'
  | 'getUserRoles'
  | 'errorHandler'
  | 'verifyToken'
  | 'digestGetPassword'
  | 'getUsernameByHash'
  | 'generateNonce'
  | 'verifyNonce'
  | 'generateOpaque'
  | 'verifyOpaque'
  | 'container';

/** Builds the auth class of a row: every hook works except the one named by `failing`. */
function rowFor(kind: Kind, failing: Mode): Row {
  const m = (k: Kind) => (k === kind ? failing : 'works');
  switch (kind) {
    case 'verifyPassword':
    case 'getUserRoles':
    case 'errorHandler': {
      @BasicAuth({ realm: REALM })
      class VerifyingAuth {
        @VerifyPassword() checkPassword(username: string, password: string) {
          return behave(m('verifyPassword'), password === 'pw' ? { name: username } : null);
        }
        @GetUserRoles() rolesOf() {
          return behave(m('getUserRoles'), ['admin']);
        }
        @ErrorHandler() onRefusal() {
          return behave(m('errorHandler'), { refused: true });
        }
      }
      const method = { verifyPassword: 'checkPassword', getUserRoles: 'rolesOf', errorHandler: 'onRefusal' }[kind];
      const decorator = { verifyPassword: '@VerifyPassword', getUserRoles: '@GetUserRoles', errorHandler: '@ErrorHandler' }[kind];
      return {
        auth: new VerifyingAuth(),
        names: `VerifyingAuth.${method}`,
        decorator,
        path: kind === 'getUserRoles' ? '/hooked/admin' : '/hooked/plain',
        // The error handler runs for a refusal: the control row then expects the refusal.
        header: basicHeader('john', kind === 'errorHandler' ? 'wrong' : 'pw'),
      };
    }
    case 'getPassword':
    case 'hashPassword': {
      @BasicAuth({ realm: REALM })
      class StoredAuth {
        @GetPassword() storedPassword() {
          return behave(m('getPassword'), 'hashed:pw');
        }
        @HashPassword() hash(password: string) {
          return behave(m('hashPassword'), `hashed:${password}`);
        }
      }
      return {
        auth: new StoredAuth(),
        names: kind === 'getPassword' ? 'StoredAuth.storedPassword' : 'StoredAuth.hash',
        decorator: kind === 'getPassword' ? '@GetPassword' : '@HashPassword',
        path: '/hooked/plain',
        header: basicHeader('john', 'pw'),
      };
    }
    case 'verifyToken': {
      @TokenAuth()
      class Tokens {
        @VerifyToken() checkToken(token: string) {
          return behave(m('verifyToken'), token === 'good' ? { name: 'token' } : null);
        }
      }
      return { auth: new Tokens(), names: 'Tokens.checkToken', decorator: '@VerifyToken', path: '/hooked/plain', header: tokenHeader('good') };
    }
    case 'container': {
      @BasicAuth({ realm: REALM })
      class UnbuildableAuth {
        constructor() {
          if (failing !== 'works') throw new Error(FAILURE);
        }
        @VerifyPassword() check(_username: string, password: string) {
          return password === 'pw';
        }
      }
      return { auth: UnbuildableAuth, names: 'UnbuildableAuth', decorator: 'container', path: '/hooked/plain', header: basicHeader('john', 'pw') };
    }
    default: {
      @DigestAuth({ realm: REALM, userhash: true, secret: 'a-test-secret-of-enough-length' })
      class DigestHooks {
        @GetPassword() passwordOf(username: string) {
          return behave(m('digestGetPassword'), username === 'john' ? 'pw' : null);
        }
        @GetUsernameByHash() nameOf() {
          return behave(m('getUsernameByHash'), 'john');
        }
        @GenerateNonce() newNonce() {
          return behave(m('generateNonce'), NONCE);
        }
        @VerifyNonce() checkNonce(nonce: string) {
          return behave(m('verifyNonce'), nonce === NONCE);
        }
        @GenerateOpaque() newOpaque() {
          return behave(m('generateOpaque'), OPAQUE);
        }
        @VerifyOpaque() checkOpaque(opaque: string) {
          return behave(m('verifyOpaque'), opaque === OPAQUE);
        }
      }
      const method = {
        digestGetPassword: ['passwordOf', '@GetPassword'],
        getUsernameByHash: ['nameOf', '@GetUsernameByHash'],
        generateNonce: ['newNonce', '@GenerateNonce'],
        verifyNonce: ['checkNonce', '@VerifyNonce'],
        generateOpaque: ['newOpaque', '@GenerateOpaque'],
        verifyOpaque: ['checkOpaque', '@VerifyOpaque'],
      }[kind as 'verifyNonce'];
      // Generating runs for the challenge of a request without credentials; the rest for a signed request.
      const challengeOnly = kind === 'generateNonce' || kind === 'generateOpaque';
      return { auth: new DigestHooks(), names: `DigestHooks.${method[0]}`, decorator: method[1], path: '/hooked/plain', header: challengeOnly ? undefined : 'digest' };
    }
  }
}

/** A fresh Digest header for each request (the store refuses a replayed nc). */
const digestHeaderFor = (path: string, nc: number) =>
  digestAuthorization({
    challenge: { realm: REALM, nonce: NONCE, opaque: OPAQUE, algorithm: 'MD5', qop: ['auth'] },
    username: 'john',
    password: 'pw',
    method: 'GET',
    uri: path,
    userhash: true,
    nc,
  }).header;

const KINDS: readonly Kind[] = [
  'verifyPassword',
  'getPassword',
  'hashPassword',
  'getUserRoles',
  'errorHandler',
  'verifyToken',
  'digestGetPassword',
  'getUsernameByHash',
  'generateNonce',
  'verifyNonce',
  'generateOpaque',
  'verifyOpaque',
  'container',
];

/** What the working control row answers for each kind's request. */
const CONTROL_STATUS = (kind: Kind) => (kind === 'errorHandler' || kind === 'generateNonce' || kind === 'generateOpaque' ? 401 : 200);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterEach(() => {
  unhandled.length = 0;
});
afterAll(() => process.off('unhandledRejection', onUnhandled));

/** Sends the row's request twice and checks every answer and the log. */
async function expectGenericFailure(app: RequestListener | express.Express, row: Row, logger: ReturnType<typeof recordingLogger>) {
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    for (let i = 1; i <= 3; i++) {
      const header = row.header === 'digest' ? digestHeaderFor(row.path, i) : row.header;
      const res = await (header ? request(app).get(row.path).set('Authorization', header) : request(app).get(row.path));
      expect(res.status).toBe(500);
      expect(res.body).toEqual(GENERIC);
      expect(res.headers['content-type']).toMatch(/json/);
      expect(res.text).not.toContain(FAILURE);
      expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expect(res.text).not.toContain('<');
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Neither Express's final handler nor Koa's default error listener wrote about it.
    expect(consoleError).not.toHaveBeenCalled();
  } finally {
    consoleError.mockRestore();
  }
  const lines = logger.error.mock.calls.map(([line]) => line);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(row.names);
  if (row.decorator !== 'container') expect(lines[0]).toContain(row.decorator);
  expect(lines[0]).toContain(FAILURE);
  expect(lines[0]).not.toMatch(/\n\s+at /);
  expect(unhandled).toEqual([]);
}

/** Express's final handler stays silent under NODE_ENV=test; in development it would log. */
const loud = (app: RequestListener | express.Express) => {
  if ('set' in app) app.set('env', 'development');
  return app;
};

const ROWS = KINDS.flatMap((kind) => (['sync', 'async'] as const).map((mode, i) => [kind, mode, i === 0] as const));

describe.each([...DRIVERS, ...DRIVERS_WITHOUT_USE.map(([name, make]) => [`${name} without use`, make] as const)] as const)(
  'a hook that throws answers a generic 500 (%s)',
  (driver, makeApp: AppBuilder) => {
    const withUse = !driver.includes('without');

    it.each(ROWS)('%s that fails (%s, development: %s)', async (kind, mode, development) => {
      const row = rowFor(kind, mode);
      const logger = recordingLogger();
      const app = makeApp(controllersFor(row), createAuthCheckers(row.auth, { logger }) as AuthCheckers<unknown>, { development });
      // Without useExpress, routing-controllers hands every answered error to Express's final
      // handler, which logs it outside NODE_ENV=test: the reason useExpress exists.
      await expectGenericFailure(withUse ? loud(app) : app, row, logger);
    });

    it.each(KINDS)('%s that works is the control', async (kind) => {
      const row = rowFor(kind, 'works');
      const logger = recordingLogger();
      const app = makeApp(controllersFor(row), createAuthCheckers(row.auth, { logger }) as AuthCheckers<unknown>, { development: true });
      const header = row.header === 'digest' ? digestHeaderFor(row.path, 1) : row.header;
      const res = await (header ? request(app).get(row.path).set('Authorization', header) : request(app).get(row.path));
      expect(res.status).toBe(CONTROL_STATUS(kind));
      expect(logger.error).not.toHaveBeenCalled();
      expect(unhandled).toEqual([]);
    });
  },
);

describe.each(DRIVERS)('a hook that deliberately throws an HttpError keeps its meaning (%s)', (_driver, makeApp) => {
  it.each(['sync', 'async'] as const)('sends the HttpError an @ErrorHandler throws (%s) and logs nothing', async (mode) => {
    @BasicAuth()
    class Deliberate {
      @VerifyPassword() check() {
        return null;
      }
      @ErrorHandler() onRefusal() {
        const error = new ForbiddenError('go away');
        if (mode === 'sync') throw error;
        return Promise.reject(error);
      }
    }
    const logger = recordingLogger();
    const app = makeApp([HookedController], createAuthCheckers(new Deliberate(), { logger }) as AuthCheckers<unknown>);
    const res = await request(app).get('/hooked/plain').set('Authorization', basicHeader('john', 'pw'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ name: 'ForbiddenError', message: 'go away' });
    expect(logger.lines()).toEqual([]);
  });
});

describe('a hook that throws behind a guard answers a generic 500', () => {
  @BasicAuth()
  class GuardedAuth {
    mode: Mode = 'sync';
    @VerifyPassword() guardCheck(_username: string, password: string) {
      return behave(this.mode, password === 'pw');
    }
  }

  const guarded = (kind: 'express' | 'koa', auth: AuthCheckers<unknown>): RequestListener | express.Express => {
    if (kind === 'express') {
      const app = express();
      app.set('env', 'development');
      app.use('/docs', auth.guard(), (_req, res) => {
        res.send('docs');
      });
      return app;
    }
    const app = new Koa();
    const guard = auth.koaGuard();
    app.use((ctx, next) => guard(ctx, async () => {
      ctx.body = 'docs';
      await next();
    }));
    return app.callback();
  };

  it.each([
    ['express', 'sync'],
    ['express', 'async'],
    ['koa', 'sync'],
    ['koa', 'async'],
  ] as const)('%s guard, %s failure', async (kind, mode) => {
    const instance = new GuardedAuth();
    instance.mode = mode;
    const logger = recordingLogger();
    const app = guarded(kind, createAuthCheckers(instance, { logger }) as AuthCheckers<unknown>);
    await expectGenericFailure(app, { auth: instance, names: 'GuardedAuth.guardCheck', decorator: '@VerifyPassword', path: '/docs', header: basicHeader('john', 'pw') }, logger);
  });

  it.each(['express', 'koa'] as const)('%s guard admits when the hook works (control)', async (kind) => {
    const instance = new GuardedAuth();
    instance.mode = 'works';
    const app = guarded(kind, createAuthCheckers(instance) as AuthCheckers<unknown>);
    const res = await request(app).get('/docs').set('Authorization', basicHeader('john', 'pw'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('docs');
  });
});
