import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
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
  type AuthFailureStatus,
} from '../../src';
import { basicHeader, DRIVERS, fromAddress, recordingLogger, tokenHeader } from '../helpers';

// Issue 14 item 16: a hook that never settles answers 503 within hookTimeout, gives its throttle
// slot back, and is logged once.

const never = () => new Promise<never>(() => undefined);

@JsonController('/slow')
class SlowController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return { ok: true };
  }
}

@JsonController('/plain')
class PlainController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

@BasicAuth({ hookTimeout: 100, throttle: { failures: 1, window: 60, block: 60, maxWait: 300 } })
class HangingUsers {
  // The password 'hang' stands for a database that stopped answering.
  @VerifyPassword() verify(username: string, password: string) {
    if (password === 'hang') return never();
    return Promise.resolve(password === 'pw' ? { name: username } : null);
  }
  @GetUserRoles() roles(user: { name: string }) {
    return user.name === 'stuck' ? never() : ['admin'];
  }
}

describe.each(DRIVERS)('hookTimeout (%s)', (_driver, makeApp) => {
  it('answers 503 when a hook never settles, gives the throttle slot back, and logs one line', async () => {
    const logger = recordingLogger();
    const app = fromAddress(makeApp([SlowController], createAuthCheckers([new HangingUsers()], { logger })), '10.50.0.1');
    const started = Date.now();
    const hung = await request(app).get('/slow').set('Authorization', basicHeader('alice', 'hang')).timeout(3_000);
    expect(hung.status).toBe(503);
    expect(hung.body).toEqual({ name: 'HttpAuthError', message: 'authentication temporarily unavailable', code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
    expect(hung.headers['www-authenticate']).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    // failures: 1 — a slot still held (or a failure counted) would make this 429.
    const next = await request(app).get('/slow').set('Authorization', basicHeader('alice', 'pw')).timeout(3_000);
    expect(next.status).toBe(200);
    expect((await request(app).get('/slow').set('Authorization', basicHeader('bob', 'hang')).timeout(3_000)).status).toBe(503);
    expect(logger.lines()).toEqual([expect.stringMatching(/^http-auth: HangingUsers: HangingUsers\.verify \(@VerifyPassword\) did not settle within 100 ms \(hookTimeout\); answered 503$/)]);
  });

  it('answers 503 for a roles hook that never settles', async () => {
    const app = makeApp([SlowController], createAuthCheckers([new HangingUsers()], { logger: recordingLogger() }));
    const res = await request(app).get('/slow/admin').set('Authorization', basicHeader('stuck', 'pw')).timeout(3_000);
    expect(res.status).toBe(503);
    expect((await request(app).get('/slow/admin').set('Authorization', basicHeader('alice', 'pw')).timeout(3_000)).status).toBe(200);
  });

  it('lets @ErrorHandler shape the 503, and answers it plainly when the handler itself never settles', async () => {
    @TokenAuth({ hookTimeout: 50 })
    class HangingTokens {
      @VerifyToken() verify(token: string) {
        if (token === '') return null;
        return token === 'good' ? Promise.resolve({ name: 'svc' }) : never();
      }
      @ErrorHandler() onError(status: AuthFailureStatus) {
        return status === 401 ? never() : { error: status };
      }
    }
    const app = makeApp([PlainController], createAuthCheckers([new HangingTokens()], { logger: recordingLogger() }));
    const shaped = await request(app).get('/plain').set('Authorization', tokenHeader('hang')).timeout(3_000);
    expect(shaped.status).toBe(503);
    expect(shaped.body).toEqual({ error: 503 });
    // No credentials: the 401's handler hangs, so the 503 is the library's own.
    const plain = await request(app).get('/plain').timeout(3_000);
    expect(plain.status).toBe(503);
    expect(plain.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
    expect((await request(app).get('/plain').set('Authorization', tokenHeader('good')).timeout(3_000)).status).toBe(200);
  });

  it('answers 503 for a Digest @GetPassword that never settles', async () => {
    @DigestAuth({ secret: 'hook-timeout', hookTimeout: 50 })
    class HangingDigest {
      @GetPassword() password() {
        return never();
      }
    }
    const app = makeApp([PlainController], createAuthCheckers([new HangingDigest()], { logger: recordingLogger() }));
    const { digestAuthorization, digestChallenge } = await import('../digest-client');
    const challenge = digestChallenge(await request(app).get('/plain'));
    const header = digestAuthorization({ challenge, username: 'alice', password: 'pw', method: 'GET', uri: '/plain' }).header;
    expect((await request(app).get('/plain').set('Authorization', header).timeout(3_000)).status).toBe(503);
  });

  it('leaves a slow hook alone within the default 10 s', async () => {
    @BasicAuth()
    class SlowUsers {
      @VerifyPassword() async verify(username: string) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { name: username };
      }
    }
    const app = makeApp([PlainController], createAuthCheckers([new SlowUsers()], { logger: recordingLogger() }));
    expect((await request(app).get('/plain').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
  });
});

describe('hookTimeout is checked at decoration', () => {
  it.each([
    ['@BasicAuth', (hookTimeout: unknown) => BasicAuth({ hookTimeout } as never)],
    ['@DigestAuth', (hookTimeout: unknown) => DigestAuth({ hookTimeout } as never)],
    ['@TokenAuth', (hookTimeout: unknown) => TokenAuth({ hookTimeout } as never)],
  ])('%s refuses a hookTimeout that is not a positive number of milliseconds', (_name, decorate) => {
    for (const value of [0, -5, Number.NaN, Infinity, '1000', 3_000_000_000]) {
      expect(() => decorate(value)(class Users {})).toThrow(/^http-auth: .*hookTimeout must be a positive number of milliseconds/);
    }
    expect(() => decorate(250)(class Users {})).not.toThrow();
  });
});
