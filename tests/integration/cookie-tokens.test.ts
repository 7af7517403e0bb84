/**
 * `@TokenAuth({ cookie })` is not usable cross-site: a browser attaches the cookie to requests
 * other sites make (cross-site request forgery), so a cookie token is refused (403) for unsafe
 * methods and Socket.IO handshakes unless the request is same-origin or from an allowed origin.
 * And the answers to credentials a shared cache cannot see in the URL (a cookie, a custom header)
 * are `Cache-Control: private` and vary on their source; a query token's also keep out of Referer.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import methodOverride from 'method-override';
import request from 'supertest';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { All, CurrentUser, Delete, Get, JsonController, Patch, Post, Put, useExpressServer, useKoaServer } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
  type AuthEvent,
  type SocketIoRefusal,
} from '../../src';
import { basicHeader, DRIVERS, recordingLogger, tokenHeader, type AppBuilder } from '../helpers';
import { socketIoCleanup } from '../socket-io-cleanup';

const verified: string[] = [];
let handled = 0;

const verifySession = (token: string) => {
  verified.push(token);
  return token === 'good' ? { name: 'session-user' } : null;
};

@TokenAuth({ cookie: 'session' })
class Sessions {
  @VerifyToken() verify(token: string) {
    return verifySession(token);
  }
}

@TokenAuth({ cookie: { name: 'session', allowedOrigins: ['https://admin.example.com', 'HTTP://Partner.Example:8080/'] } })
class PartnerSessions {
  @VerifyToken() verify(token: string) {
    return verifySession(token);
  }
}

// An app that checks CSRF tokens itself and says so.
@TokenAuth({ cookie: { name: 'session', crossSite: true } })
class CrossSiteSessions {
  @VerifyToken() verify(token: string) {
    return verifySession(token);
  }
}

@TokenAuth({ cookie: 'session' })
class PoliteSessions {
  @VerifyToken() verify(token: string) {
    return verifySession(token);
  }
  @ErrorHandler() onError(status: number) {
    return { error: status };
  }
}

@TokenAuth({ header: 'X-API-Key', query: 'api_key' })
class ApiKeys {
  @VerifyToken() verify(token: string) {
    return token === 'good' ? { name: 'key-user' } : null;
  }
}

@TokenAuth({ query: 'access_token' })
class Bearers {
  @VerifyToken() verify(token: string) {
    return token === 'good' ? { name: 'bearer-user' } : null;
  }
}

@BasicAuth()
class Users {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? { name: username } : null;
  }
}

type User = { name: string };
const done = (user: User | undefined) => {
  handled++;
  return { user: user?.name ?? null };
};

@JsonController('/c')
class CookieController {
  @Get('/read') @LoginRequired({ auth: Sessions }) read(@CurrentUser() user: User) {
    return done(user);
  }
  @Post('/transfer') @LoginRequired({ auth: Sessions }) transfer(@CurrentUser() user: User) {
    return done(user);
  }
  @Put('/transfer') @LoginRequired({ auth: Sessions }) put(@CurrentUser() user: User) {
    return done(user);
  }
  @Patch('/transfer') @LoginRequired({ auth: Sessions }) patch(@CurrentUser() user: User) {
    return done(user);
  }
  @Delete('/transfer') @LoginRequired({ auth: Sessions }) remove(@CurrentUser() user: User) {
    return done(user);
  }
  @Post('/comment') @LoginRequired({ auth: Sessions, optional: true }) comment(@CurrentUser() user?: User) {
    return done(user);
  }
  @Post('/partner') @LoginRequired({ auth: PartnerSessions }) partner(@CurrentUser() user: User) {
    return done(user);
  }
  @Post('/csrf-checked') @LoginRequired({ auth: CrossSiteSessions }) csrfChecked(@CurrentUser() user: User) {
    return done(user);
  }
  @Post('/polite') @LoginRequired({ auth: PoliteSessions }) polite(@CurrentUser() user: User) {
    return done(user);
  }
  @Post('/multi') @LoginRequired({ auth: [Users, Sessions] }) multi(@CurrentUser() user: User) {
    return done(user);
  }
  @Get('/key') @LoginRequired({ auth: ApiKeys }) key(@CurrentUser() user: User) {
    return done(user);
  }
  @Get('/bearer') @LoginRequired({ auth: Bearers }) bearer(@CurrentUser() user: User) {
    return done(user);
  }
}

const ALL_CLASSES = [Sessions, PartnerSessions, CrossSiteSessions, PoliteSessions, ApiKeys, Bearers, Users];

beforeEach(() => {
  verified.length = 0;
  handled = 0;
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));


const COOKIE = { Cookie: 'theme=dark; session=good' };
const CROSS_SITE = { ...COOKIE, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' };

describe.each(DRIVERS)('cookie tokens and cross-site requests (%s)', (_driver, makeApp) => {
  let events: AuthEvent[];
  const app = () => {
    events = [];
    return makeApp([CookieController], createAuthCheckers(ALL_CLASSES, { logger: recordingLogger(), onEvent: (event) => events.push(event) }));
  };

  type Method = 'post' | 'put' | 'patch' | 'delete' | 'get';
  const send = (method: Method, path: string, headers: Record<string, string>) => request(app())[method](path).set(headers);

  it.each<[string, Method, string, Record<string, string>]>([
    ['a form another site posts (Sec-Fetch-Site: cross-site)', 'post', '/c/transfer', CROSS_SITE],
    ['a form posted from a sibling origin of the same site (Sec-Fetch-Site: same-site)', 'post', '/c/transfer', { ...COOKIE, 'Sec-Fetch-Site': 'same-site', Origin: 'http://other.example.com' }],
    ['PUT from another site', 'put', '/c/transfer', CROSS_SITE],
    ['PATCH from another site', 'patch', '/c/transfer', CROSS_SITE],
    ['DELETE from another site', 'delete', '/c/transfer', CROSS_SITE],
    ['an older browser: no Sec-Fetch-Site, an Origin that is not the Host', 'post', '/c/transfer', { ...COOKIE, Origin: 'https://evil.example' }],
    ['an opaque origin (Origin: null, a sandboxed frame)', 'post', '/c/transfer', { ...COOKIE, Origin: 'null' }],
    ['an unknown Sec-Fetch-Site value', 'post', '/c/transfer', { ...COOKIE, 'Sec-Fetch-Site': 'elsewhere' }],
    ['an optional route: a cross-site cookie is refused, not made anonymous', 'post', '/c/comment', CROSS_SITE],
    ['an origin that is not in allowedOrigins', 'post', '/c/partner', { ...COOKIE, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://admin.example.com.evil.example' }],
    ['MultiAuth: the cookie member is chosen and refuses', 'post', '/c/multi', CROSS_SITE],
  ])('refuses %s with 403, before the hook and the handler', async (_label, method, path, headers) => {
    const res = await send(method, path, headers);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ name: 'CrossSiteError', message: 'cross-site request refused', code: 'ERR_HTTP_AUTH_CROSS_SITE' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required"');
    expect(verified).toEqual([]);
    expect(handled).toBe(0);
    await nextTurn();
    expect(events).toEqual([expect.objectContaining({ type: 'rejected', status: 403, reason: 'cross-site', authClass: expect.stringMatching(/Sessions$/) })]);
  });

  it.each<[string, Method, string, Record<string, string>]>([
    ['a same-origin POST (Sec-Fetch-Site: same-origin)', 'post', '/c/transfer', { ...COOKIE, 'Sec-Fetch-Site': 'same-origin', Origin: 'http://app.example' }],
    ['a user-initiated request (Sec-Fetch-Site: none)', 'post', '/c/transfer', { ...COOKIE, 'Sec-Fetch-Site': 'none' }],
    ['a client that is no browser (neither Sec-Fetch-Site nor Origin, as curl)', 'post', '/c/transfer', COOKIE],
    ['an older browser whose Origin is the Host', 'post', '/c/transfer', { ...COOKIE, Host: 'app.example:8443', Origin: 'https://app.example:8443' }],
    ['a GET from another site (a safe method)', 'get', '/c/read', CROSS_SITE],
    ['an allowed origin', 'post', '/c/partner', { ...COOKIE, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://admin.example.com' }],
    ['an allowed origin written with capitals, a default-less port and a slash', 'post', '/c/partner', { ...COOKIE, 'Sec-Fetch-Site': 'same-site', Origin: 'http://partner.example:8080' }],
    ['crossSite: true (the app checks CSRF tokens itself)', 'post', '/c/csrf-checked', CROSS_SITE],
    ['MultiAuth: Basic credentials from anywhere (not a cookie)', 'post', '/c/multi', { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example', Authorization: basicHeader('alice', 'pw') }],
  ])('admits %s', async (_label, method, path, headers) => {
    const res = await send(method, path, headers);
    expect(res.status).toBe(200);
    expect(handled).toBe(1);
  });

  it('serves a cross-site request without the cookie to an optional route anonymously', async () => {
    const anonymous = await send('post', '/c/comment', { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ user: null });
  });

  it('hands the 403 to @ErrorHandler like a role refusal', async () => {
    const res = await send('post', '/c/polite', CROSS_SITE);
    expect({ status: res.status, body: res.body }).toEqual({ status: 403, body: { error: 403 } });
    expect(handled).toBe(0);
  });

  describe('response headers by where the credentials came from', () => {
    it.each([
      ['a cookie', '/c/read', COOKIE, { 'cache-control': 'private', vary: 'Cookie' }],
      ['a custom header, named as configured', '/c/key', { 'X-API-Key': 'good' }, { 'cache-control': 'private', vary: 'X-API-Key' }],
      ['a query parameter of a custom-header class', '/c/key?api_key=good', {}, { 'cache-control': 'private', 'referrer-policy': 'no-referrer' }],
      ['a query parameter (access_token)', '/c/bearer?access_token=good', {}, { 'cache-control': 'private', 'referrer-policy': 'no-referrer' }],
    ])('%s: Cache-Control: private and what varies', async (_label, path, headers, expected) => {
      const res = await send('get', path, headers);
      expect(res.status).toBe(200);
      expect(res.headers).toMatchObject(expected);
      if (!('vary' in expected)) expect(res.headers.vary ?? '').not.toMatch(/cookie|x-api-key/i);
      if (!('referrer-policy' in expected)) expect(res.headers['referrer-policy']).toBeUndefined();
    });

    it('Authorization needs neither: shared caches do not store its answers (RFC 9111 §3.5)', async () => {
      const res = await send('get', '/c/bearer', { Authorization: tokenHeader('good') });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBeUndefined();
      expect(res.headers['referrer-policy']).toBeUndefined();
    });
  });
});

/** An app with a middleware in front of the routes that already set Vary and Cache-Control (as `cors` and API defaults do). */
const withHeadersFirst: [string, (headers: Record<string, string>) => RequestListener, ][] = [
  [
    'express',
    (headers) => {
      const auth = createAuthCheckers(ALL_CLASSES, { logger: recordingLogger() });
      const app = express();
      app.use((_req, res, next) => {
        res.set(headers);
        next();
      });
      useExpressServer(app, { controllers: [CookieController], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker });
      auth.useExpress(app);
      return app as RequestListener;
    },
  ],
  [
    'koa',
    (headers) => {
      const auth = createAuthCheckers(ALL_CLASSES, { logger: recordingLogger() });
      const app = new Koa();
      app.use((ctx, next) => {
        ctx.set(headers);
        return next();
      });
      useKoaServer(app, { controllers: [CookieController], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker });
      auth.useKoa(app as never);
      return app.callback();
    },
  ],
];

describe.each(withHeadersFirst)('headers already set by an earlier middleware (%s)', (_driver, make) => {
  it.each([
    ['Vary: Origin stays, Cookie is added', { Vary: 'Origin' }, { vary: 'Origin, Cookie', 'cache-control': 'private' }],
    ['Vary: * already covers the cookie', { Vary: '*' }, { vary: '*' }],
    ['Cache-Control: no-store is not weakened', { 'Cache-Control': 'no-store' }, { 'cache-control': 'no-store' }],
    ['Cache-Control: public becomes private, the rest is kept', { 'Cache-Control': 'public, max-age=60' }, { 'cache-control': 'private, max-age=60' }],
  ])('%s', async (_label, before, expected) => {
    const res = await request(make(before)).get('/c/read').set(COOKIE);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject(expected);
  });
});

describe('a method override cannot make a cross-site form safe (express + method-override)', () => {
  const overridden = () => {
    const auth = createAuthCheckers(ALL_CLASSES, { logger: recordingLogger() });
    const app = express();
    // A form can set a query parameter: the dispatched method becomes GET, the request line stays POST.
    app.use(methodOverride((req) => (req.query as { _method?: string })._method ?? ''));
    useExpressServer(app, { controllers: [OverrideController], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker });
    auth.useExpress(app);
    return app;
  };

  it('refuses a cross-site POST dispatched as GET, and admits a same-origin one', async () => {
    const forged = await request(overridden()).post('/o/any?_method=GET').set(CROSS_SITE);
    expect(forged.status).toBe(403);
    expect(handled).toBe(0);
    const own = await request(overridden()).post('/o/any?_method=GET').set({ ...COOKIE, 'Sec-Fetch-Site': 'same-origin' });
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ method: 'GET' });
  });
});

@JsonController('/o')
class OverrideController {
  @All('/any') @LoginRequired({ auth: Sessions }) any(@CurrentUser() user: User) {
    done(user);
    return { method: 'GET' };
  }
}

describe('start-up checks of the cookie option', () => {
  it.each([
    ['a name that is no cookie name', { cookie: 'bad name' }, /cookie must name a cookie/],
    ['an object without a name', { cookie: { allowedOrigins: [] } }, /cookie must name a cookie/],
    ['an unknown key', { cookie: { name: 'session', crossOrigin: true } }, /unknown option "crossOrigin"/],
    ['an origin with a path', { cookie: { name: 'session', allowedOrigins: ['https://a.example/app'] } }, /"https:\/\/a\.example\/app" is not an origin/],
    ['a bare host', { cookie: { name: 'session', allowedOrigins: ['a.example'] } }, /"a\.example" is not an origin/],
    ['the opaque origin', { cookie: { name: 'session', allowedOrigins: ['null'] } }, /"null" is not an origin/],
    ['allowedOrigins that is not an array', { cookie: { name: 'session', allowedOrigins: 'https://a.example' } }, /allowedOrigins must be an array/],
    ['crossSite that is not a boolean', { cookie: { name: 'session', crossSite: 'yes' } }, /crossSite must be true or false/],
  ])('throws at decoration for %s', (_label, options, message) => {
    expect(() => TokenAuth(options as never)(class Decorated {})).toThrow(message);
    expect(() => TokenAuth(options as never)(class Decorated {})).toThrow(/^http-auth: /);
  });
});

describe('Socket.IO handshakes with a cookie token', () => {
  const { servers, clients } = socketIoCleanup();

  const start = async (auth: AuthCheckers<User>, authClass: Function) => {
    const httpServer = createServer();
    const io = new Server(httpServer);
    servers.push(io);
    io.of('/live').use(auth.socketIo({ auth: authClass as never }));
    io.of('/live').on('connection', (socket) => socket.emit('whoami', auth.currentUser(socket) ?? null));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    return (httpServer.address() as AddressInfo).port;
  };

  const connect = (port: number, headers: Record<string, string>) =>
    new Promise<{ user: unknown } | { refused: SocketIoRefusal }>((resolve) => {
      // Polling: its requests carry extraHeaders exactly as given, Origin included.
      const client = connectClient(`http://127.0.0.1:${port}/live`, { transports: ['polling'], reconnection: false, forceNew: true, extraHeaders: headers });
      clients.push(client);
      client.on('whoami', (user) => resolve({ user }));
      client.on('connect_error', (error) => resolve({ refused: (error as Error & { data: SocketIoRefusal }).data }));
    });

  it.each([
    ['another site', Sessions, { ...CROSS_SITE }, 403],
    ['an older browser on another origin', Sessions, { ...COOKIE, Origin: 'https://evil.example' }, 403],
    ['the same origin', Sessions, { ...COOKIE, 'Sec-Fetch-Site': 'same-origin' }, 200],
    ['a client that is no browser', Sessions, COOKIE, 200],
    ['an allowed origin', PartnerSessions, { ...COOKIE, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://admin.example.com' }, 200],
    ['another site, with crossSite: true', CrossSiteSessions, CROSS_SITE, 200],
  ] as const)('a handshake from %s', async (_label, authClass, headers, status) => {
    const events: AuthEvent[] = [];
    const auth = createAuthCheckers<User>(ALL_CLASSES, { logger: recordingLogger(), onEvent: (event) => events.push(event) });
    const port = await start(auth, authClass);
    const seen = await connect(port, headers);
    if (status === 200) expect(seen).toEqual({ user: { name: 'session-user' } });
    else {
      expect(seen).toMatchObject({ refused: { status: 403, body: { code: 'ERR_HTTP_AUTH_CROSS_SITE' } } });
      expect(verified).toEqual([]);
      await nextTurn();
      expect(events).toMatchObject([{ type: 'rejected', status: 403, reason: 'cross-site', namespace: '/live' }]);
    }
  });
});
