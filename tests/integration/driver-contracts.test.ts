import type { RequestListener } from 'node:http';
import Koa from 'koa';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { IsString, MinLength } from 'class-validator';
import { Body, Ctx, JsonController, Post, Req, UseBefore, useExpressServer, useKoaServer } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, GetUserRoles, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader, recordingLogger } from '../helpers';

const ROLES: Record<string, string[]> = { alice: ['admin', 'writer'], walt: ['writer'] };

@BasicAuth()
class ContractUsers {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' && username in ROLES ? username : null;
  }
  @GetUserRoles() roles(user: string) {
    return ROLES[user];
  }
}

// --- B9: on Koa, the body held back until authentication is parsed as the app parses bodies ---

@JsonController('/koa-body')
class KoaBodyController {
  @Post('/') @LoginRequired() echo(@Body() body: unknown) {
    return { body: body ?? null };
  }
}

// koa-bodyparser ships no types; the part used here.
const bodyParser = require('koa-bodyparser') as (options: { jsonLimit?: string; enableTypes?: string[] }) => Koa.Middleware;

/** The app parses JSON only, up to 1 kB, with its own koa-bodyparser in front of routing-controllers' default one. */
function koaWithOwnParser(useKoa: boolean): RequestListener {
  const auth = createAuthCheckers([ContractUsers], { logger: recordingLogger() });
  const app = new Koa();
  app.use(bodyParser({ jsonLimit: '1kb', enableTypes: ['json'] }));
  useKoaServer(app, { controllers: [KoaBodyController], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker });
  if (useKoa) auth.useKoa(app as unknown as { middleware: Function[] });
  return app.callback();
}

describe.each([true, false])("Koa body parsing is the app's own (useKoa: %s)", (useKoa) => {
  const post = () => request(koaWithOwnParser(useKoa)).post('/koa-body').set('Authorization', basicHeader('walt', 'pw'));

  it('answers 413 for 50 kB of JSON over the 1 kB limit', async () => {
    const res = await post().set('Content-Type', 'application/json').send(JSON.stringify({ data: 'x'.repeat(50_000) }));
    expect(res.status).toBe(413);
    expect(res.text).not.toContain('xxxx');
  });

  it('does not parse a form, since the app parses only JSON', async () => {
    const res = await post().type('form').send('planted=1');
    expect(res.body).toEqual({ body: {} });
  });

  it('parses JSON within the limit (control)', async () => {
    const res = await post().send({ data: 'ok' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: { data: 'ok' } });
  });

  if (useKoa) {
    it('still refuses an anonymous large body before any parser reads it', async () => {
      const res = await request(koaWithOwnParser(true))
        .post('/koa-body')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ data: 'x'.repeat(50_000) }));
      expect(res.status).toBe(401);
    });
  }
});

describe('useKoa without a body parser it can defer', () => {
  it('refuses to install, naming the fix', () => {
    const auth = createAuthCheckers([ContractUsers], { logger: recordingLogger() });
    const app = useKoaServer(new Koa(), { controllers: [KoaBodyController], ...auth }) as unknown as { middleware: Function[] };
    // The app's parsers replaced by one useKoa cannot tell to wait (koa-body, say).
    app.middleware = app.middleware.filter((m) => m.name !== 'bodyParser');
    expect(() => auth.useKoa(app)).toThrow(/^http-auth: useKoa found no koa-bodyparser \(or @koa\/bodyparser\) middleware in the app.*register the app's body parser/);
  });
});

// --- B11: useExpress passes on every error it did not answer itself ---

class Article {
  @IsString() @MinLength(3) title!: string;
}

@JsonController('/articles')
class ArticleController {
  @Post('/') @LoginRequired() create(@Body() article: Article) {
    return { created: article.title };
  }
}

describe("useExpress's error middleware", () => {
  function app() {
    const seen: unknown[] = [];
    const auth = createAuthCheckers([ContractUsers], { logger: recordingLogger() });
    const server = express();
    useExpressServer(server, { controllers: [ArticleController], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker });
    auth.useExpress(server);
    // The app's own error middleware, after the library's.
    server.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => {
      seen.push(error);
      next(error);
    });
    return { server, seen };
  }

  it("passes class-validator's 400, which routing-controllers answered, on to the app's error middleware", async () => {
    const { server, seen } = app();
    const res = await request(server).post('/articles').set('Authorization', basicHeader('walt', 'pw')).send({ title: 'x' });
    expect(res.status).toBe(400);
    expect(seen).toHaveLength(1);
    expect((seen[0] as { httpCode?: number }).httpCode).toBe(400);
  });

  it('keeps its own refusals (control): the 401 is answered and not passed on', async () => {
    const { server, seen } = app();
    const res = await request(server).post('/articles').send({ title: 'xyz' });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });
});

// --- C12: an early admission holds only for the method it was decided for ---

/** A middleware of the action that turns a POST into a DELETE (as a method-override header would). */
function overrideToDelete(req: { method: string; headers: Record<string, unknown> }, _res: unknown, next: () => void) {
  if (req.headers['x-override'] === 'DELETE') req.method = 'DELETE';
  next();
}
async function koaOverrideToDelete(ctx: { method: string; get(name: string): string }, next: () => Promise<unknown>) {
  if (ctx.get('x-override') === 'DELETE') ctx.method = 'DELETE';
  return next();
}

@JsonController('/documents')
class DocumentController {
  @Post('/express') @UseBefore(overrideToDelete) @LoginRequired({ role: { POST: 'writer', DELETE: 'admin' } }) expressAction(@Req() req: Request) {
    return { method: req.method };
  }
  @Post('/koa') @UseBefore(koaOverrideToDelete) @LoginRequired({ role: { POST: 'writer', DELETE: 'admin' } }) koaAction(@Ctx() ctx: Koa.Context) {
    return { method: ctx.method };
  }
}

describe.each(['express', 'koa'] as const)('a method changed after the early admission (%s)', (driver) => {
  const build = (): RequestListener => {
    const auth = createAuthCheckers([ContractUsers], { logger: recordingLogger() });
    const options = { controllers: [DocumentController], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker };
    if (driver === 'express') {
      const server = useExpressServer(express(), options);
      auth.useExpress(server);
      return server;
    }
    const koa = useKoaServer(new Koa(), options) as unknown as Koa & { middleware: Function[] };
    auth.useKoa(koa);
    return koa.callback();
  };

  it.each([
    ['walt', undefined, 200, 'POST'],
    ['walt', 'DELETE', 403, undefined],
    ['alice', 'DELETE', 200, 'DELETE'],
  ])('%s with override %s gets %s', async (user, override, status, method) => {
    const req = request(build()).post(`/documents/${driver}`).set('Authorization', basicHeader(user, 'pw'));
    const res = await (override ? req.set('X-Override', override) : req);
    expect(res.status).toBe(status);
    if (method) expect(res.body).toEqual({ method });
  });
});

