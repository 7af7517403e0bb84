import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { CurrentUser, Get, JsonController, Req, type Action } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  GetPassword,
  GetUserRoles,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
} from '../../src';
import type { AuthFailureStatus } from '../../src';
import type { AuthCheckers } from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, recordingLogger, tokenHeader } from '../helpers';

// Flask-HTTPAuth habits (issue 8 §3): auth.username(), a default MultiAuth, tokens from the query
// string or a cookie.

@BasicAuth()
class Users {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' && username !== '' ? { name: username } : null;
  }
}

@DigestAuth({ secret: 'flask-habits' })
class DigestUsers {
  @GetPassword() password(username: string) {
    return username === 'susan' ? 'pw' : undefined;
  }
}

@TokenAuth({ header: 'X-API-Key', scheme: 'ApiKey' })
class ApiKeys {
  @VerifyToken() verify(token: string) {
    return token === 'key-1' ? { name: 'robot' } : null;
  }
}

@TokenAuth({ query: 'access_token', cookie: 'session' })
class Sessions {
  @VerifyToken() verify(token: string) {
    return token === 'good' ? { name: 'session-user' } : null;
  }
}

let checkers: AuthCheckers<{ name: string } | string>;

@JsonController('/who')
class WhoController {
  @Get('/') @LoginRequired({ optional: true }) who(@Req() req: object, @CurrentUser() user?: { name: string } | string) {
    return { username: checkers.username(req as never) ?? null, user: user ?? null };
  }
  @Get('/digest') @LoginRequired({ auth: DigestUsers }) digest(@Req() req: object) {
    return { username: checkers.username(req as never) ?? null };
  }
  @Get('/token') @LoginRequired({ auth: ApiKeys }) token(@Req() req: object) {
    return { username: checkers.username(req as never) ?? null };
  }
}

describe.each(DRIVERS)('auth.username(source), like Flask\'s auth.username() (%s)', (_driver, makeApp) => {
  const app = () => {
    checkers = createAuthCheckers([new Users(), new DigestUsers(), new ApiKeys()], { logger: recordingLogger() });
    return makeApp([WhoController], checkers as AuthCheckers<unknown>);
  };
  // Koa's @Req() is the Koa request, whose `.req` is the Node request: both are accepted sources.

  it('is the Basic username of an authenticated request', async () => {
    const res = await request(app()).get('/who').set('Authorization', basicHeader('john', 'pw'));
    expect(res.body).toEqual({ username: 'john', user: { name: 'john' } });
  });

  it('is the Digest username', async () => {
    const a = app();
    const challenge = digestChallenge(await request(a).get('/who/digest'));
    const header = digestAuthorization({ challenge, username: 'susan', password: 'pw', method: 'GET', uri: '/who/digest' }).header;
    const res = await request(a).get('/who/digest').set('Authorization', header);
    expect(res.body).toEqual({ username: 'susan' });
  });

  it('is undefined for an anonymous request', async () => {
    const res = await request(app()).get('/who');
    expect(res.body).toEqual({ username: null, user: null });
  });

  it('is undefined for a token scheme, which has no username', async () => {
    const res = await request(app()).get('/who/token').set('X-API-Key', 'key-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ username: null });
  });

  it('never reports a username that did not authenticate', async () => {
    const res = await request(app()).get('/who').set('Authorization', basicHeader('john', 'wrong'));
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('john');
  });
});

@JsonController('/default')
class DefaultAuthController {
  @Get('/') @LoginRequired() any(@CurrentUser() user?: { name: string }) {
    return { user: user?.name };
  }
  @Get('/basic-only') @LoginRequired({ auth: Users }) basicOnly(@CurrentUser() user?: { name: string }) {
    return { user: user?.name };
  }
}

describe.each(DRIVERS)('createAuthCheckers({ defaultAuth }): routes without auth accept any of the listed classes (%s)', (_driver, makeApp) => {
  const app = () => makeApp([DefaultAuthController], createAuthCheckers([new Users(), new ApiKeys()], { defaultAuth: [Users, ApiKeys] }));

  it.each([
    ['Basic', { Authorization: basicHeader('john', 'pw') }, 'john'],
    ['an API key', { 'X-API-Key': 'key-1' }, 'robot'],
  ])('admits %s on a route that names no auth class', async (_label, headers, user) => {
    const res = await request(app()).get('/default').set(headers);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user });
  });

  it('refuses without credentials, with both challenges', async () => {
    const res = await request(app()).get('/default');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Basic realm=');
    expect(res.headers['www-authenticate']).toContain('ApiKey realm=');
  });

  it('leaves a route that names its auth class to that class', async () => {
    const res = await request(app()).get('/default/basic-only').set('X-API-Key', 'key-1');
    expect(res.status).toBe(401);
  });

  it.each([
    ['a class that was not passed', { defaultAuth: DigestUsers }, /defaultAuth names DigestUsers, which was not passed as auth/],
    ['an empty list', { defaultAuth: [] }, /defaultAuth must name at least one auth class/],
    ['the same class twice', { defaultAuth: [Users, Users] }, /defaultAuth lists the same class twice/],
  ])('throws at start-up for %s', (_label, options, message) => {
    expect(() => createAuthCheckers([new Users(), new ApiKeys()], options as never)).toThrow(message);
  });
});

@JsonController('/sessions')
class SessionController {
  @Get('/') @LoginRequired({ auth: Sessions }) me(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/multi') @LoginRequired({ auth: [Users, Sessions] }) multi(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
}

describe.each(DRIVERS)('@TokenAuth({ query, cookie }): where the token comes from (%s)', (_driver, makeApp) => {
  const app = () => makeApp([SessionController], createAuthCheckers([new Users(), new Sessions()]));

  it.each([
    ['the query parameter', '/sessions?access_token=good', {}, 'private'],
    ['the cookie', '/sessions', { Cookie: 'theme=dark; session=good' }, 'private'],
    ['a quoted cookie', '/sessions', { Cookie: 'session="good"' }, 'private'],
    ['the header, which takes precedence over a bad query and cookie', '/sessions?access_token=bad', { Authorization: tokenHeader('good'), Cookie: 'session=bad' }, undefined],
  ])('admits a good token from %s', async (_label, path, headers, cacheControl) => {
    const res = await request(app()).get(path).set(headers);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'session-user' });
    expect(res.headers['cache-control']).toBe(cacheControl);
  });

  it.each([
    ['a bad token in the query', '/sessions?access_token=bad', {}, 401],
    ['a bad cookie', '/sessions', { Cookie: 'session=bad' }, 401],
    ['a bad header before a good query parameter', '/sessions?access_token=good', { Authorization: tokenHeader('bad') }, 401],
    ['a query parameter given twice (RFC 6750 §3.1)', '/sessions?access_token=good&access_token=good', {}, 400],
    ['an empty query parameter', '/sessions?access_token=', {}, 400],
    ['nothing', '/sessions', { Cookie: 'other=good' }, 401],
  ])('refuses %s', async (_label, path, headers, status) => {
    const res = await request(app()).get(path).set(headers);
    expect(res.status).toBe(status);
    expect(res.body).not.toHaveProperty('user');
  });

  it.each([
    ['the query parameter', '/sessions/multi?access_token=good', {}, 'session-user'],
    ['the cookie', '/sessions/multi', { Cookie: 'session=good' }, 'session-user'],
    ['Basic', '/sessions/multi', { Authorization: basicHeader('john', 'pw') }, 'john'],
  ])('MultiAuth selects the member whose source is present: %s', async (_label, path, headers, user) => {
    const res = await request(app()).get(path).set(headers);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user });
  });

  it('throws at decoration for a query or cookie name that cannot be one', () => {
    expect(() => TokenAuth({ query: '' })(class A {})).toThrow(/query must name a query parameter/);
    expect(() => TokenAuth({ cookie: 'bad name' })(class B {})).toThrow(/cookie must name a cookie/);
  });
});

describe('@TokenAuth({ query, cookie }) behind auth.guard() and auth.koaGuard()', () => {
  const express4 = () => {
    const auth = createAuthCheckers([new Sessions()]);
    const app = express();
    app.use('/docs', auth.guard(), (_req, res) => res.json({ docs: true }));
    return app;
  };
  const koa = () => {
    const auth = createAuthCheckers([new Sessions()]);
    const app = new Koa();
    app.use(auth.koaGuard() as never);
    app.use((ctx) => (ctx.body = { docs: true }));
    return app.callback();
  };

  it.each([
    ['express', express4],
    ['koa', koa],
  ])('%s: admits a query or cookie token, refuses without', async (_driver, make) => {
    expect((await request(make()).get('/docs')).status).toBe(401);
    const viaQuery = await request(make()).get('/docs?access_token=good');
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.headers['cache-control']).toBe('private');
    expect((await request(make()).get('/docs').set('Cookie', 'session=good')).status).toBe(200);
    expect((await request(make()).get('/docs').set('Cookie', 'session=bad')).status).toBe(401);
  });
});

// "Why a login failed" (Flask-HTTPAuth issues #57, #93, #153).
const seen: { status: number; failure?: { message: string; code?: string } }[] = [];

@TokenAuth()
class ExpiringTokens {
  @VerifyToken() verify(token: string) {
    if (token === 'expired') throw new AuthenticationFailure('token expired', { code: 'expired' });
    if (token === 'nasty') throw new AuthenticationFailure('bad "quote" \\ and\r\nnewline é');
    if (token === 'broken') throw new Error('database down');
    return token === 'good' || token === 'suspended' ? { name: token } : null;
  }
  @GetUserRoles() roles(user: { name: string }) {
    if (user.name === 'suspended') throw new AuthenticationFailure('account suspended', { code: 'suspended' });
    return ['admin'];
  }
  @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
    seen.push({ status, failure: failure && { message: failure.message, code: failure.code } });
    return { error: failure?.code ?? 'denied' };
  }
}

@BasicAuth()
class LockedUsers {
  @VerifyPassword() verify(username: string, password: string) {
    if (username === 'locked') throw new AuthenticationFailure('account locked', { code: 'locked' });
    return password === 'pw' ? username : null;
  }
}

@JsonController('/why')
class WhyController {
  @Get('/token') @LoginRequired({ auth: ExpiringTokens, role: 'admin' }) token(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/basic') @LoginRequired({ auth: LockedUsers }) basic(@CurrentUser() user: string) {
    return { user };
  }
}

describe.each(DRIVERS)('AuthenticationFailure: why a login failed (%s)', (_driver, makeApp) => {
  const logger = () => ({ warn: jest.fn(), error: jest.fn() });
  const app = (log = logger()) => makeApp([WhyController], createAuthCheckers([new LockedUsers(), new ExpiringTokens()], { logger: log }));
  beforeEach(() => (seen.length = 0));

  it('answers 401 like a null return, with the reason in the Bearer challenge and in the error handler', async () => {
    const res = await request(app()).get('/why/token').set('Authorization', tokenHeader('expired'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="invalid_token", error_description="token expired"');
    expect(res.body).toEqual({ error: 'expired' });
    expect(seen).toEqual([{ status: 401, failure: { message: 'token expired', code: 'expired' } }]);
  });

  it('keeps the error_description within RFC 6750 NQSCHAR', async () => {
    const res = await request(app()).get('/why/token').set('Authorization', tokenHeader('nasty'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="Authentication Required", error="invalid_token", error_description="bad 'quote' / andnewline"`);
  });

  it('gives the error handler no failure for a plain refusal (control)', async () => {
    const res = await request(app()).get('/why/token').set('Authorization', tokenHeader('wrong'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="invalid_token"');
    expect(seen).toEqual([{ status: 401, failure: undefined }]);
  });

  it('answers 403 with the reason when @GetUserRoles throws it', async () => {
    const res = await request(app()).get('/why/token').set('Authorization', tokenHeader('suspended'));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="insufficient_scope", error_description="account suspended"');
    expect(seen).toEqual([{ status: 403, failure: { message: 'account suspended', code: 'suspended' } }]);
  });

  it('answers 401 for Basic with the generic body: the reason is only for the error handler', async () => {
    const res = await request(app()).get('/why/basic').set('Authorization', basicHeader('locked', 'pw'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    expect(res.body).toEqual({ name: 'AuthenticationError', message: 'authentication required', code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    expect(res.text).not.toContain('locked');
  });

  it('still answers any other thrown error with the generic 500', async () => {
    const log = logger();
    const res = await request(app(log)).get('/why/token').set('Authorization', tokenHeader('broken'));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_INTERNAL' });
    expect(log.error).toHaveBeenCalledTimes(1);
  });

  it('serves a good token (control)', async () => {
    const res = await request(app()).get('/why/token').set('Authorization', tokenHeader('good'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'good' });
  });
});
