import request from 'supertest';
import { Controller, Get, HttpError, JsonController, NotFoundError, UnauthorizedError, type Action } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetUserRoles,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
} from '../../src';
import { basicHeader, challengeFields, DRIVERS, tokenHeader } from '../helpers';

type Respond = (status: 400 | 401 | 403, action: Action) => unknown;

/** A Basic auth whose @ErrorHandler does whatever the test sets in `respond`. */
@BasicAuth()
class HandledAuth {
  respond: Respond = () => undefined;
  checkers?: AuthCheckers<unknown>;
  seen: { status: number; method: unknown; user: unknown }[] = [];

  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? { name: username } : null;
  }
  @GetUserRoles() roles(user: { name: string }) {
    return user.name === 'admin' ? 'admin' : [];
  }
  @ErrorHandler() onError(status: 401 | 403, action: Action) {
    this.seen.push({ status, method: (action.request as { method?: string }).method, user: this.checkers?.currentUser(action) });
    return this.respond(status, action);
  }
}

@TokenAuth()
class HandledTokens {
  respond: Respond = () => undefined;
  @VerifyToken() verify(token: string) {
    return token === 'good';
  }
  @ErrorHandler() onError(status: 400 | 401 | 403, action: Action) {
    return this.respond(status, action);
  }
}

@Controller('/text')
@LoginRequired()
class TextController {
  @Get('/') index() {
    return 'index';
  }
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return 'admin';
  }
}

@JsonController('/json')
@LoginRequired()
class JsonController_ {
  @Get('/') index() {
    return { index: true };
  }
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return { admin: true };
  }
  @Get('/token') @LoginRequired({ auth: HandledTokens }) token() {
    return { token: true };
  }
  @Get('/multi') @LoginRequired({ auth: [HandledAuth, HandledTokens] }) multi() {
    return { multi: true };
  }
}

const CHALLENGE = 'Basic realm="Authentication Required"';
const failures = [
  ['401 (wrong password)', '', basicHeader('foo', 'bar'), 401],
  ['403 (role check)', '/admin', basicHeader('john', 'pw'), 403],
] as const;

// --- test_error_responses.py ------------------------------------------------------------------

describe.each(DRIVERS)('test_error_responses.py (%s)', (_driver, makeApp) => {
  const setup = (respond: Respond) => {
    const auth = new HandledAuth();
    const tokens = new HandledTokens();
    auth.respond = respond;
    tokens.respond = respond;
    auth.checkers = createAuthCheckers([auth, tokens]);
    const app = makeApp([TextController, JsonController_], auth.checkers);
    return { auth, app };
  };

  describe.each(failures)('for a %s', (_label, path, header, status) => {
    it('sends a string the handler returns as the body, with the failure\'s status and the challenge', async () => {
      const { app } = setup(() => 'error');
      const res = await request(app).get(`/text${path}`).set('Authorization', header);
      expect(res.status).toBe(status);
      expect(res.text).toBe('error');
      expect(challengeFields(res)).toEqual([CHALLENGE]);
    });

    it('sends an object the handler returns as the JSON body, with the failure\'s status and the challenge', async () => {
      const { app } = setup((s) => ({ error: 'custom', status: s }));
      const res = await request(app).get(`/json${path}`).set('Authorization', header);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: 'custom', status });
      expect(challengeFields(res)).toEqual([CHALLENGE]);
    });

    it('keeps the default body when the handler returns nothing', async () => {
      const { app } = setup(() => undefined);
      const res = await request(app).get(`/json${path}`).set('Authorization', header);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code: status === 401 ? 'ERR_HTTP_AUTH_UNAUTHENTICATED' : 'ERR_HTTP_AUTH_FORBIDDEN' });
    });

    it('is called with the status and the action, and sees no current user', async () => {
      const { app, auth } = setup(() => 'error');
      await request(app).get(`/json${path}`).set('Authorization', header);
      expect(auth.seen).toEqual([{ status, method: 'GET', user: undefined }]);
    });

    it.each(['WWW-Authenticate', 'www-authenticate', 'Www-Authenticate'])(
      'sends only the handler\'s challenge when it sets %s itself',
      async (name) => {
        const { app } = setup((_s, action) => {
          (action.response as { set(name: string, value: string): void }).set(name, 'Basic realm="Foo"');
          return { error: 'custom' };
        });
        const res = await request(app).get(`/json${path}`).set('Authorization', header);
        expect(res.status).toBe(status);
        expect(challengeFields(res)).toEqual(['Basic realm="Foo"']);
        expect(res.body).toEqual({ error: 'custom' });
      },
    );

    it.each([
      ['NotFoundError', () => new NotFoundError('gone'), 404],
      ['HttpError(418)', () => new HttpError(418, 'teapot'), 418],
    ])('sends the status of a %s the handler throws, without a challenge', async (_name, make, thrownStatus) => {
      const { app } = setup(() => {
        throw make();
      });
      const res = await request(app).get(`/json${path}`).set('Authorization', header);
      expect(res.status).toBe(thrownStatus);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('adds the challenge to a 401 HttpError the handler throws', async () => {
      const { app } = setup(() => {
        throw new UnauthorizedError('log in');
      });
      const res = await request(app).get(`/json${path}`).set('Authorization', header);
      expect(res.status).toBe(401);
      expect(challengeFields(res)).toEqual([CHALLENGE]);
    });
  });

  it('answers a handled 401 on a MultiAuth route with the handler\'s own challenge only (test_multi error handler)', async () => {
    const { app } = setup((_s, action) => {
      (action.response as { set(name: string, value: string): void }).set('WWW-Authenticate', 'MyToken realm="Foo"');
      return 'error';
    });
    const res = await request(app).get('/json/multi').set('Authorization', tokenHeader('bad'));
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual(['MyToken realm="Foo"']);
  });

  it('calls a token @ErrorHandler with 400 for "Bearer" without a token and keeps the 400', async () => {
    const statuses: number[] = [];
    const { app } = setup((s) => {
      statuses.push(s);
      return { error: 'bad request' };
    });
    const res = await request(app).get('/json/token').set('Authorization', 'Bearer');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'bad request' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="invalid_request"');
    expect(statuses).toEqual([400]);
  });

  it('does not call @ErrorHandler when the request is admitted', async () => {
    const { app, auth } = setup(() => 'error');
    const res = await request(app).get('/json').set('Authorization', basicHeader('john', 'pw'));
    expect(res.status).toBe(200);
    expect(auth.seen).toEqual([]);
  });

  it('answers an async handler the same way', async () => {
    const { app } = setup(async (s) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { error: 'async', status: s };
    });
    const res = await request(app).get('/json').set('Authorization', basicHeader('foo', 'bar'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'async', status: 401 });
  });
});
