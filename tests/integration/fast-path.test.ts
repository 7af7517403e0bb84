import type { RequestListener } from 'node:http';
import request from 'supertest';
import { Ctx, CurrentUser, Get, JsonController, Req, Res } from 'routing-controllers';
import {
  AuthenticationFailure,
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  GetPassword,
  GetUserRoles,
  HashPassword,
  LoginRequired,
  LoginRequirement,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
} from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, recordingLogger, tokenHeader, type AppBuilder } from '../helpers';

/**
 * The flow runs synchronously when the hooks answer with plain values and through promises when
 * they answer with promises (src/internal/steps.ts). Both modes must give every request the same
 * answer: each case below runs against the same auth classes with synchronous and with async
 * hooks, on both drivers, with and without useExpress/useKoa, and must get the status it expects,
 * the challenge of a refusal, the user of an admission, and exactly one verification per request.
 */
type Mode = 'sync' | 'async';
const answer = <T>(mode: Mode, value: T): T | Promise<T> => (mode === 'sync' ? value : Promise.resolve(value));
const fail = (mode: Mode, error: Error): never | Promise<never> => {
  if (mode === 'sync') throw error;
  return Promise.reject(error);
};

const PASSWORDS: Record<string, string> = { john: 'hello', admin: 'root' };
const ROLES: Record<string, string[]> = { admin: ['admin'] };

function buildApp(mode: Mode, makeApp: AppBuilder) {
  const calls = { verify: 0 };
  // A password that makes a hook throw (a broken user store) or refuse with a reason.
  const special = (password: string): unknown => {
    if (password === 'explode') return fail(mode, new Error('db connection string postgres://secret'));
    if (password === 'locked') return fail(mode, new AuthenticationFailure('account locked'));
    return undefined;
  };

  @BasicAuth({ realm: 'fast' })
  class Verified {
    @VerifyPassword() verify(username: string, password: string) {
      calls.verify += 1;
      return special(password) ?? answer(mode, PASSWORDS[username] === password && username !== '' ? { name: username } : null);
    }
    @GetUserRoles() roles(user: { name: string }) {
      return answer(mode, ROLES[user.name] ?? []);
    }
  }

  @BasicAuth({ realm: 'stored' })
  class Stored {
    @GetPassword() password(username: string) {
      calls.verify += 1;
      return answer(mode, PASSWORDS[username] === undefined ? undefined : `h:${PASSWORDS[username]}`);
    }
    @HashPassword() hash(password: string) {
      return answer(mode, `h:${password}`);
    }
  }

  @TokenAuth()
  class Tokens {
    @VerifyToken() verify(token: string) {
      calls.verify += 1;
      return special(token) ?? answer(mode, token === 'good-token' ? { name: 'token-user' } : null);
    }
  }

  @DigestAuth({ realm: 'digest' })
  class Digest {
    @GetPassword() password(username: string) {
      calls.verify += 1;
      return answer(mode, PASSWORDS[username]);
    }
  }

  const checkers: AuthCheckers<unknown> = createAuthCheckers([Verified, Stored, Tokens, Digest], { logger: recordingLogger() });
  const probeRequirement = [new LoginRequirement({ auth: Verified }, 'fast-path probe')];

  @JsonController('/fp')
  class FastController {
    @Get('/basic') @LoginRequired({ auth: Verified }) basic(@CurrentUser() user: unknown) {
      return { user };
    }
    @Get('/admin') @LoginRequired({ auth: Verified, role: 'admin' }) admin(@CurrentUser() user: unknown) {
      return { user };
    }
    @Get('/optional') @LoginRequired({ auth: Verified, optional: true }) optional(@CurrentUser() user: unknown) {
      return { user: user ?? null };
    }
    @Get('/stored') @LoginRequired({ auth: Stored }) stored(@CurrentUser() user: unknown) {
      return { user };
    }
    @Get('/token') @LoginRequired({ auth: Tokens }) token(@CurrentUser() user: unknown) {
      return { user };
    }
    @Get('/digest') @LoginRequired({ auth: Digest }) digest(@CurrentUser() user: unknown) {
      return { user };
    }
    /** Open: asks the checker directly whether it answered with a value or a promise. */
    @Get('/probe') probe(@Req() req: object, @Res() res: object, @Ctx() context?: object) {
      let result: unknown;
      try {
        result = checkers.authorizationChecker({ request: req, response: res, ...(context ? { context } : {}) }, probeRequirement);
      } catch (error) {
        return { answered: 'thrown', status: (error as { httpCode?: number }).httpCode };
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => ({ answered: 'promise', value }),
          (error: { httpCode?: number }) => ({ answered: 'rejected promise', status: error.httpCode }),
        );
      }
      return { answered: 'value', value: result };
    }
  }

  return { app: makeApp([FastController], checkers) as RequestListener, calls };
}

interface Case {
  name: string;
  path: string;
  authorization?: string;
  status: number;
  challenge?: RegExp;
  body?: unknown;
  /** Verifications one request may run: none when it is refused before any hook. */
  verifications: number;
}

const CASES: Case[] = [
  // Flask-HTTPAuth asks @VerifyPassword about anonymous requests too, with empty strings.
  { name: 'no credentials', path: '/fp/basic', status: 401, challenge: /^Basic realm="fast"/, verifications: 1 },
  { name: 'right password', path: '/fp/basic', authorization: basicHeader('john', 'hello'), status: 200, body: { user: { name: 'john' } }, verifications: 1 },
  { name: 'wrong password', path: '/fp/basic', authorization: basicHeader('john', 'nope'), status: 401, challenge: /^Basic realm="fast"/, verifications: 1 },
  { name: 'unknown user', path: '/fp/basic', authorization: basicHeader('mallory', 'hello'), status: 401, challenge: /^Basic realm="fast"/, verifications: 1 },
  { name: 'malformed Basic', path: '/fp/basic', authorization: 'Basic %%%', status: 401, challenge: /^Basic/, verifications: 0 },
  { name: 'foreign scheme', path: '/fp/basic', authorization: tokenHeader('good-token'), status: 401, challenge: /^Basic/, verifications: 0 },
  { name: 'hook throws', path: '/fp/basic', authorization: basicHeader('john', 'explode'), status: 500, verifications: 1 },
  { name: 'hook refuses with a reason', path: '/fp/basic', authorization: basicHeader('john', 'locked'), status: 401, challenge: /^Basic/, verifications: 1 },
  { name: 'role missing', path: '/fp/admin', authorization: basicHeader('john', 'hello'), status: 403, verifications: 1 },
  { name: 'role present', path: '/fp/admin', authorization: basicHeader('admin', 'root'), status: 200, body: { user: { name: 'admin' } }, verifications: 1 },
  { name: 'optional, anonymous', path: '/fp/optional', status: 200, body: { user: null }, verifications: 1 },
  { name: 'optional, wrong password', path: '/fp/optional', authorization: basicHeader('john', 'nope'), status: 401, verifications: 1 },
  { name: 'stored hash, right', path: '/fp/stored', authorization: basicHeader('john', 'hello'), status: 200, body: { user: 'john' }, verifications: 1 },
  { name: 'stored hash, wrong', path: '/fp/stored', authorization: basicHeader('john', 'nope'), status: 401, challenge: /^Basic realm="stored"/, verifications: 1 },
  { name: 'token, right', path: '/fp/token', authorization: tokenHeader('good-token'), status: 200, body: { user: { name: 'token-user' } }, verifications: 1 },
  { name: 'token, wrong', path: '/fp/token', authorization: tokenHeader('bad-token'), status: 401, challenge: /^Bearer .*error="invalid_token"/, verifications: 1 },
  { name: 'token, hook throws', path: '/fp/token', authorization: tokenHeader('explode'), status: 500, verifications: 1 },
  { name: 'probe, right password', path: '/fp/probe', authorization: basicHeader('john', 'hello'), status: 200, verifications: 1 },
  { name: 'probe, wrong password', path: '/fp/probe', authorization: basicHeader('john', 'nope'), status: 200, verifications: 1 },
];

/** What the probe must report: the synchronous mode answers with values and throws. */
const PROBE: Record<string, Record<Mode, unknown>> = {
  'probe, right password': { sync: { answered: 'value', value: true }, async: { answered: 'promise', value: true } },
  'probe, wrong password': { sync: { answered: 'thrown', status: 401 }, async: { answered: 'rejected promise', status: 401 } },
};

const SETUPS = [
  ...DRIVERS.map(([name, make]) => [`${name} with use${name === 'express' ? 'Express' : 'Koa'}`, make] as const),
  ...DRIVERS_WITHOUT_USE.map(([name, make]) => [`${name}, checkers only`, make] as const),
];

describe.each(SETUPS)('%s', (_, makeApp) => {
  describe.each(['sync', 'async'] as const)('hooks answering %s', (mode) => {
    const built = buildApp(mode, makeApp as AppBuilder);

    it.each(CASES)('$name → $status', async ({ name, path, authorization, status, challenge, body, verifications }) => {
      const before = built.calls.verify;
      const req = request(built.app).get(path);
      if (authorization) req.set('Authorization', authorization);
      const res = await req;
      expect(res.status).toBe(status);
      if (challenge) expect(res.headers['www-authenticate']).toMatch(challenge);
      if (body !== undefined) expect(res.body).toEqual(body);
      if (PROBE[name]) expect(res.body).toEqual(PROBE[name][mode]);
      if (status === 500) expect(JSON.stringify(res.body)).not.toMatch(/secret|postgres/);
      expect(built.calls.verify - before).toBe(verifications);
    });

    it('Digest: a challenge, then an answer admitted once and its replay refused', async () => {
      const first = await request(built.app).get('/fp/digest');
      expect(first.status).toBe(401);
      const challenge = digestChallenge(first);
      const auth = digestAuthorization({ challenge, username: 'john', password: 'hello', method: 'GET', uri: '/fp/digest' });
      const before = built.calls.verify;
      const ok = await request(built.app).get('/fp/digest').set('Authorization', auth.header);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ user: 'john' });
      expect(built.calls.verify - before).toBe(1);
      const replay = await request(built.app).get('/fp/digest').set('Authorization', auth.header);
      expect(replay.status).toBe(401);
      expect(replay.headers['www-authenticate']).toMatch(/stale=true/);
      const wrong = digestAuthorization({ challenge, username: 'john', password: 'nope', method: 'GET', uri: '/fp/digest', nc: 2 });
      expect((await request(built.app).get('/fp/digest').set('Authorization', wrong.header)).status).toBe(401);
    });
  });
});
