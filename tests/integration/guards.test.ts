import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetUserRoles,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
  type LoginRequiredOptions,
} from '../../src';
import { basicHeader, tokenHeader } from '../helpers';

const ROLES: Record<string, string[]> = { admin: ['admin'], reader: ['reader'], writer: ['writer'] };

@BasicAuth({ realm: 'Docs' })
class DocsAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return username in ROLES && password === 'pw' ? { name: username } : null;
  }
  @GetUserRoles() roles(user: { name: string }) {
    return ROLES[user.name];
  }
}

@TokenAuth()
class DocsTokens {
  @VerifyToken() verify(token: string) {
    return token === 'good' ? { name: 'token' } : null;
  }
  @ErrorHandler() onError() {
    return { error: 'token refused' };
  }
}

type User = { name: string };
type GuardApp = (auth: AuthCheckers<User>, options?: LoginRequiredOptions) => RequestListener | express.Express;

/** A plain Express app (not routing-controllers) serving /docs like express.static would. */
const expressDocs: GuardApp = (auth, options) => {
  const app = express();
  app.use('/docs', auth.guard(options), (req, res) => {
    res.type('text/plain').send(`docs for ${auth.currentUser(req)?.name ?? 'nobody'}`);
  });
  app.get('/public', (_req, res) => res.send('public'));
  return app;
};

/** A plain Koa app: the guard in front of a static-like handler. */
const koaDocs: GuardApp = (auth, options) => {
  const app = new Koa();
  const guard = auth.koaGuard(options);
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/docs')) {
      ctx.body = 'public';
      return;
    }
    await guard(ctx, next);
  });
  app.use((ctx) => {
    ctx.type = 'text/plain';
    ctx.body = `docs for ${auth.currentUser(ctx)?.name ?? 'nobody'}`;
  });
  return app.callback();
};

const GUARDS = [
  ['express auth.guard()', expressDocs],
  ['koa auth.koaGuard()', koaDocs],
] as const;

describe.each(GUARDS)('%s on routes that are not controllers', (_name, makeApp) => {
  const auth = () => createAuthCheckers<User>([new DocsAuth(), new DocsTokens()]);

  it('returns 401 with the challenge when nothing is sent', async () => {
    const res = await request(makeApp(auth(), { role: 'admin' })).get('/docs/index.html');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Docs"');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
  });

  it('serves the route to a user with the role, who is the current user there', async () => {
    const res = await request(makeApp(auth(), { role: 'admin' })).get('/docs/index.html').set('Authorization', basicHeader('admin', 'pw'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('docs for admin');
  });

  it('returns 403 with the challenge to a user without the role', async () => {
    const res = await request(makeApp(auth(), { role: 'admin' })).get('/docs').set('Authorization', basicHeader('reader', 'pw'));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Docs"');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_FORBIDDEN' });
  });

  it('returns 401 for a wrong password', async () => {
    const res = await request(makeApp(auth(), { role: 'admin' })).get('/docs').set('Authorization', basicHeader('admin', 'nope'));
    expect(res.status).toBe(401);
  });

  it('authenticates OPTIONS, and answers a CORS preflight with 204 without reaching the route', async () => {
    const app = makeApp(auth(), { role: 'admin' });
    const anonymous = await request(app).options('/docs');
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toContain('docs for');
    const preflight = await request(app).options('/docs').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'GET');
    expect(preflight.status).toBe(204);
    expect(preflight.text).toBe('');
    expect(preflight.headers['www-authenticate']).toBeUndefined();
    const admin = await request(app).options('/docs').set('Authorization', basicHeader('admin', 'pw'));
    expect(admin.status).toBe(200);
  });

  it('does not let HEAD through without authentication', async () => {
    const app = makeApp(auth(), { role: 'admin' });
    expect((await request(app).head('/docs')).status).toBe(401);
    expect((await request(app).head('/docs').set('Authorization', basicHeader('admin', 'pw'))).status).toBe(200);
  });

  it('leaves other routes alone', async () => {
    const res = await request(makeApp(auth(), { role: 'admin' })).get('/public');
    expect(res.status).toBe(200);
  });

  it('admits any authenticated user when given no options', async () => {
    const res = await request(makeApp(auth())).get('/docs').set('Authorization', basicHeader('reader', 'pw'));
    expect(res.status).toBe(200);
  });

  it('lets requests through with no user when optional', async () => {
    const res = await request(makeApp(auth(), { optional: true })).get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toBe('docs for nobody');
  });

  it.each([
    ['get', 'reader', 200],
    ['head', 'reader', 200],
    ['post', 'reader', 403],
    ['post', 'writer', 200],
    ['put', 'writer', 200],
  ] as const)('applies per-method roles: %s by a %s answers %i', async (method, user, status) => {
    const app = makeApp(auth(), { role: { GET: 'reader', '*': 'writer' } });
    const res = await request(app)[method]('/docs').set('Authorization', basicHeader(user, 'pw'));
    expect(res.status).toBe(status);
  });

  it('uses the auth class it names, with its @ErrorHandler', async () => {
    const app = makeApp(auth(), { auth: DocsTokens });
    const ok = await request(app).get('/docs').set('Authorization', tokenHeader('good'));
    expect(ok.text).toBe('docs for token');
    const refused = await request(app).get('/docs').set('Authorization', tokenHeader('bad'));
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'token refused' });
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="invalid_token"');
  });

  it('sends one challenge per member for a MultiAuth guard', async () => {
    const app = makeApp(auth(), { auth: [DocsAuth, DocsTokens] });
    const res = await request(app).get('/docs');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Docs", Bearer realm="Authentication Required"');
  });

  it('throws at creation for invalid options', () => {
    expect(() => makeApp(auth(), { rol: 'admin' } as never)).toThrow(/unknown option "rol"/);
  });
});
