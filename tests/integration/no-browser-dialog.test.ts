/**
 * The recipe "API clients without the browser's login dialog" (docs/errors.md; Flask-HTTPAuth's most-asked
 * question). Browsers show their login dialog for a 401 whose `WWW-Authenticate` names Basic (or
 * Digest); a challenge in a scheme they do not know shows none. Two ways, both through HTTP:
 * an `@ErrorHandler` that writes its own challenge (clients keep sending `Authorization: Basic`),
 * or the `scheme` option (clients must then send that scheme: it also changes what is read).
 */
import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { Body, CurrentUser, Get, JsonController, Post, type Action } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetUserRoles,
  LoginRequired,
  VerifyPassword,
  type AuthCheckers,
  type AuthFailureStatus,
} from '../../src';
import { basicHeader, challengeFields, DRIVERS } from '../helpers';

const verify = (username: string, password: string) => (username === 'john' && password === 'hello' ? { name: 'john' } : null);

@BasicAuth({ realm: 'api' })
class SilentApiAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return verify(username, password);
  }
  @GetUserRoles() roles() {
    return 'reader';
  }
  @ErrorHandler() onError(status: AuthFailureStatus, action: Action) {
    // As in the documentation: Express's res.set and Koa's ctx.response.set take the same arguments.
    action.response.set('WWW-Authenticate', 'xBasic realm="api"');
    return { error: status === 403 ? 'forbidden' : 'unauthorized' };
  }
}

@BasicAuth({ realm: 'api', scheme: 'SilentBasic' })
class SilentSchemeAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return verify(username, password);
  }
  @GetUserRoles() roles() {
    return 'reader';
  }
}

@JsonController('/api')
@LoginRequired()
class ApiController {
  @Get('/me') me(@CurrentUser() user: { name: string }) {
    return user;
  }
  @Post('/items') add(@Body() body: { name: string }, @CurrentUser() user: { name: string }) {
    return { added: body.name, by: user.name };
  }
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return { secret: true };
  }
}

const sendsBasic = (fields: string[]) => fields.some((f) => /^\s*(basic|digest)\b/i.test(f));

describe.each(DRIVERS)('no browser login dialog (%s)', (_driver, makeApp) => {
  describe('an @ErrorHandler that writes its own challenge', () => {
    const app = () => makeApp([ApiController], createAuthCheckers([new SilentApiAuth()]) as AuthCheckers<unknown>);

    it.each([
      ['no credentials', undefined],
      ['a wrong password', basicHeader('john', 'wrong')],
      ['an unknown user', basicHeader('mallory', 'hello')],
    ])('answers %s with 401 and a challenge no browser shows a dialog for', async (_name, authorization) => {
      const req = request(app()).get('/api/me');
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      expect(res.status).toBe(401);
      expect(challengeFields(res)).toEqual(['xBasic realm="api"']);
      expect(sendsBasic(challengeFields(res))).toBe(false);
      expect(res.body).toEqual({ error: 'unauthorized' });
    });

    it('answers a request with a body the same way before reading it, and admits the right password', async () => {
      const refused = await request(app()).post('/api/items').send({ name: 'x' });
      expect(refused.status).toBe(401);
      expect(challengeFields(refused)).toEqual(['xBasic realm="api"']);
      const ok = await request(app()).post('/api/items').set('Authorization', basicHeader('john', 'hello')).send({ name: 'x' });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ added: 'x', by: 'john' });
    });

    it('still admits a client that sends Authorization: Basic (curl -u, fetch with a header)', async () => {
      const res = await request(app()).get('/api/me').set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'john' });
    });

    it('answers a role failure with 403 and the same silent challenge', async () => {
      const res = await request(app()).get('/api/admin').set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'forbidden' });
      expect(challengeFields(res)).toEqual(['xBasic realm="api"']);
    });
  });

  describe('the scheme option, which also changes what is read', () => {
    const app = () => makeApp([ApiController], createAuthCheckers([new SilentSchemeAuth()]) as AuthCheckers<unknown>);

    it('challenges with its own scheme', async () => {
      const res = await request(app()).get('/api/me');
      expect(res.status).toBe(401);
      expect(challengeFields(res)).toEqual(['SilentBasic realm="api"']);
    });

    it('admits Authorization: SilentBasic and refuses the same credentials sent as Basic', async () => {
      const silent = basicHeader('john', 'hello').replace(/^Basic /, 'SilentBasic ');
      const ok = await request(app()).get('/api/me').set('Authorization', silent);
      expect(ok.status).toBe(200);
      const plain = await request(app()).get('/api/me').set('Authorization', basicHeader('john', 'hello'));
      expect(plain.status).toBe(401);
    });
  });
});

// The same handler on plain routes behind auth.guard() / auth.koaGuard().
const GUARDED = [
  [
    'express guard',
    (auth: AuthCheckers<unknown>): RequestListener | express.Express => {
      const app = express();
      app.use('/plain', auth.guard(), (_req, res) => res.json({ ok: true }));
      return app;
    },
  ],
  [
    'koa guard',
    (auth: AuthCheckers<unknown>): RequestListener | express.Express => {
      const app = new Koa();
      const guard = auth.koaGuard();
      app.use(async (ctx, next) => guard(ctx, async () => {
        ctx.body = { ok: true };
        await next();
      }));
      return app.callback();
    },
  ],
] as const;

describe.each(GUARDED)('no browser login dialog (%s)', (_name, makeGuarded) => {
  it('answers 401 with the handler\'s own challenge and admits Authorization: Basic', async () => {
    const app = makeGuarded(createAuthCheckers([new SilentApiAuth()]) as AuthCheckers<unknown>);
    const refused = await request(app).get('/plain').set('Authorization', basicHeader('john', 'wrong'));
    expect(refused.status).toBe(401);
    expect(challengeFields(refused)).toEqual(['xBasic realm="api"']);
    expect(refused.body).toEqual({ error: 'unauthorized' });
    const ok = await request(app).get('/plain').set('Authorization', basicHeader('john', 'hello'));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true });
  });
});
