import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  generateUserhash,
  GetPassword,
  GetUsernameByHash,
  LoginRequired,
  VerifyPassword,
  type BasicAuthOptions,
  type DigestAlgorithm,
} from '../../src';
import { basicHeader, challengeFields, DRIVERS, fromAddress, recordingLogger, type AppBuilder } from '../helpers';
import { digestAuthorization, digestChallenges } from '../digest-client';
import { itWithRedis, REDIS_URL } from '../redis';

// Issue 14 items 3 and 4: throttling counts the account, whatever its spelling, per tenant and per
// auth class; and a blocked address still gets what needs no credentials.

const RUN = randomBytes(6).toString('hex');
const THROTTLE = { failures: 3, window: 60, block: 300 } as const;
const PASSWORDS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

type App = ReturnType<AppBuilder>;

@JsonController('/accounts')
class AccountsController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
  @Get('/optional') @LoginRequired({ optional: true }) optional(@CurrentUser() user?: unknown) {
    return { user: user ?? null };
  }
}

function basicClass(options: BasicAuthOptions) {
  @BasicAuth(options)
  class CaseMappedUsers {
    // The accounts are case-insensitive, as most are: the hook folds the name itself.
    @VerifyPassword() verify(username: string, password: string) {
      const account = username.normalize('NFKC').toLowerCase();
      return PASSWORDS[account] !== undefined && PASSWORDS[account] === password ? { name: account } : null;
    }
  }
  return CaseMappedUsers;
}

const basic = (app: App, user: string, password: string, address: string, path = '/accounts') =>
  request(fromAddress(app, address)).get(path).set('Authorization', basicHeader(user, password));

describe.each(DRIVERS)('throttling counts the account (%s)', (driver, makeApp) => {
  const appOf = (...auth: object[]) => makeApp([AccountsController], createAuthCheckers(auth, { logger: recordingLogger() }));

  it('counts Alice, ALICE and full-width ａｌｉｃｅ as one account: the fourth attempt is blocked', async () => {
    const app = appOf(new (basicClass({ throttle: THROTTLE }))());
    const spellings = ['Alice', 'ALICE', 'ａｌｉｃｅ'];
    // Each from its own address, so only the account can add them up.
    for (const [i, name] of spellings.entries()) expect((await basic(app, name, 'guess', `10.31.0.${i + 1}`)).status).toBe(401);
    const blocked = await basic(app, 'alice', 'wonderland', '10.31.0.9');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Control: another account is not blocked.
    expect((await basic(app, 'bob', 'builder', '10.31.0.10')).status).toBe(200);
  });

  it('lets throttle.normalize say how accounts are told apart', async () => {
    const app = appOf(new (basicClass({ throttle: { ...THROTTLE, normalize: (name: string) => name } }))());
    for (const [i, name] of ['Alice', 'ALICE', 'ａｌｉｃｅ'].entries()) expect((await basic(app, name, 'guess', `10.32.0.${i + 1}`)).status).toBe(401);
    expect((await basic(app, 'alice', 'wonderland', '10.32.0.9')).status).toBe(200);
  });

  it('counts a Digest userhash as its account, whatever algorithm hashed it, and username* too', async () => {
    const realm = 'accounts';
    const algorithms: DigestAlgorithm[] = ['SHA-256', 'SHA-512-256', 'MD5'];
    @DigestAuth({ realm, algorithm: algorithms, userhash: true, secret: 'accounts', throttle: THROTTLE })
    class HashedUsers {
      @GetPassword() password(username: string) {
        return PASSWORDS[username];
      }
      @GetUsernameByHash() byHash(hash: string, algorithm: DigestAlgorithm) {
        return Object.keys(PASSWORDS).find((name) => generateUserhash(name, realm, algorithm) === hash);
      }
    }
    const app = appOf(new HashedUsers());
    const attempt = async (address: string, input: { username: string; password: string; algorithm: DigestAlgorithm; userhash?: boolean; usernameStar?: boolean }) => {
      const client = fromAddress(app, address);
      const challenge = digestChallenges(await request(client).get('/accounts')).find((c) => c.algorithm === input.algorithm)!;
      return request(client)
        .get('/accounts')
        .set('Authorization', digestAuthorization({ challenge, method: 'GET', uri: '/accounts', ...input }).header);
    };
    for (const [i, algorithm] of algorithms.entries()) {
      expect((await attempt(`10.33.0.${i + 1}`, { username: 'alice', password: 'guess', algorithm, userhash: true })).status).toBe(401);
    }
    const blocked = await attempt('10.33.0.9', { username: 'alice', password: 'wonderland', algorithm: 'SHA-256', usernameStar: true });
    expect(blocked.status).toBe(429);
    expect((await attempt('10.33.0.10', { username: 'alice', password: 'wonderland', algorithm: 'MD5' })).status).toBe(429);
    // Control: bob, by userhash, is not blocked.
    expect((await attempt('10.33.0.11', { username: 'bob', password: 'builder', algorithm: 'SHA-512-256', userhash: true })).status).toBe(200);
  });

  it('keeps tenants apart with throttle.key: tenant A failures never lock out tenant B’s alice', async () => {
    const key = (req: { header(name: string): string | undefined }) => req.header('x-tenant') ?? '';
    const app = appOf(new (basicClass({ throttle: { ...THROTTLE, key } }))());
    const tenant = (name: string, user: string, password: string, address: string) =>
      request(fromAddress(app, address)).get('/accounts').set('X-Tenant', name).set('Authorization', basicHeader(user, password));
    for (let i = 1; i <= 3; i++) expect((await tenant('a', 'alice', 'guess', `10.34.0.${i}`)).status).toBe(401);
    expect((await tenant('b', 'alice', 'wonderland', '10.34.0.9')).status).toBe(200);
    // The same address too: the block is tenant A's.
    expect((await tenant('b', 'alice', 'wonderland', '10.34.0.3')).status).toBe(200);
    expect((await tenant('a', 'alice', 'wonderland', '10.34.0.10')).status).toBe(429);
  });

  it('refuses a throttle.key or normalize that is not a function at decoration', () => {
    expect(() => basicClass({ throttle: { ...THROTTLE, key: 'tenant' as never } })).toThrow(/^http-auth: .*throttle\.key must be a function/);
    expect(() => basicClass({ throttle: { ...THROTTLE, normalize: true as never } })).toThrow(/^http-auth: .*throttle\.normalize must be a function/);
  });

  it('answers the generic 500, logged once, when throttle.key returns no string or throws', async () => {
    const logger = recordingLogger();
    const Broken = basicClass({ throttle: { ...THROTTLE, key: (req) => (req.header('x-throw') ? (JSON.parse('{') as string) : (undefined as unknown as string)) } });
    const app = makeApp([AccountsController], createAuthCheckers([new Broken()], { logger }));
    for (let i = 0; i < 2; i++) {
      const res = await basic(app, 'alice', 'wonderland', '10.35.0.1');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_MISCONFIGURED' });
    }
    const thrown = await request(fromAddress(app, '10.35.0.2')).get('/accounts').set('X-Throw', '1').set('Authorization', basicHeader('alice', 'wonderland'));
    expect(thrown.status).toBe(500);
    expect(logger.lines()).toEqual([
      expect.stringMatching(/CaseMappedUsers throttle\.key returned undefined; return a string/),
      expect.stringMatching(/CaseMappedUsers throttle\.key threw SyntaxError/),
    ]);
  });

  describe('two auth classes on one Redis', () => {
    let client: Redis | undefined;
    const redis = () => (client ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
    afterAll(async () => {
      if (!client) return;
      const keys = await client.keys(`httpauth:throttle:*${RUN}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    });

    itWithRedis('never share counts: the default prefix is per class', async () => {
      @BasicAuth({ throttle: { ...THROTTLE, redis: redis() } })
      class StaffUsers {
        @VerifyPassword() verify(username: string, password: string) {
          return password === 'right' ? { name: username } : null;
        }
      }
      @BasicAuth({ throttle: { ...THROTTLE, redis: redis() } })
      class CustomerUsers {
        @VerifyPassword() verify(username: string, password: string) {
          return password === 'right' ? { name: username } : null;
        }
      }
      @JsonController('/two-classes')
      class TwoClassesController {
        @Get('/staff') @LoginRequired({ auth: StaffUsers }) staff() {
          return { ok: 'staff' };
        }
        @Get('/customers') @LoginRequired({ auth: CustomerUsers }) customers() {
          return { ok: 'customers' };
        }
      }
      const app = makeApp([TwoClassesController], createAuthCheckers([new StaffUsers(), new CustomerUsers()], { logger: recordingLogger() }));
      // A name and addresses of this run only: Redis keeps counts between runs.
      const user = `${driver}-${RUN}`;
      const net = `10.${36 + (driver === 'koa' ? 1 : 0)}.${parseInt(RUN.slice(0, 2), 16)}`;
      for (let i = 1; i <= 3; i++) expect((await basic(app, user, 'wrong', `${net}.${i}`, '/two-classes/staff')).status).toBe(401);
      expect((await basic(app, user, 'right', `${net}.9`, '/two-classes/staff')).status).toBe(429);
      expect((await basic(app, user, 'right', `${net}.10`, '/two-classes/customers')).status).toBe(200);
      expect(await redis().keys(`httpauth:throttle:StaffUsers:*${RUN}*`)).not.toEqual([]);
      expect(await redis().keys(`httpauth:throttle:CustomerUsers:*${RUN}*`)).not.toEqual([]);
    });
  });
});

describe.each(DRIVERS)('a blocked client still gets what needs no credentials (%s)', (_driver, makeApp) => {
  const blockedApp = async (address: string) => {
    const app = makeApp([AccountsController], createAuthCheckers([new (basicClass({ throttle: THROTTLE }))()], { logger: recordingLogger() }));
    for (let i = 0; i < 3; i++) await basic(app, `guess${i}`, 'guess', address);
    expect((await basic(app, 'alice', 'wonderland', address)).status).toBe(429);
    return app;
  };

  it('serves the anonymous view on an optional route to a request without credentials', async () => {
    const app = await blockedApp('10.40.0.1');
    const anonymous = await request(fromAddress(app, '10.40.0.1')).get('/accounts/optional');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ user: null });
    // Credentials from that address are still blocked, on the optional route too.
    expect((await basic(app, 'alice', 'wonderland', '10.40.0.1', '/accounts/optional')).status).toBe(429);
  });

  it('answers the normal 401 with its challenge on a protected route to a request without credentials', async () => {
    const app = await blockedApp('10.40.0.2');
    const res = await request(fromAddress(app, '10.40.0.2')).get('/accounts');
    expect(res.status).toBe(401);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(challengeFields(res)).toEqual(['Basic realm="Authentication Required"']);
  });
});
