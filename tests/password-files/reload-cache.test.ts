import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { execFileSync } from 'node:child_process';
import { BasicAuth, createAuthCheckers, DigestAuth, GetPassword, htdigest, htpasswd, LoginRequired, VerifyPassword, type DigestAlgorithm, type HookRequest, type Htdigest, type Htpasswd } from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, recordingLogger } from '../helpers';
import { describeWithApacheUtils, eventually, htpasswdTool, tempDirs } from './apache-utils';

/** Issue 14 §18: a reload forgets the cached logins it invalidated, and logs through the app's logger. */

const newDir = tempDirs();
const opened: (Htpasswd | Htdigest)[] = [];
afterEach(() => opened.splice(0).forEach((files) => files.close()));

@JsonController('/cached')
class CachedController {
  @Get('/') @LoginRequired() index(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** A cached @BasicAuth class over `files`, counting how often its hook really runs, per user. */
function cachedAuthFor(files: Htpasswd) {
  const runs = new Map<string, number>();
  @BasicAuth({ realm: 'cached', cache: { ttl: 300, key: (request) => request.header('x-tenant') ?? '' } })
  class CachedFileUsers {
    @VerifyPassword() async verify(username: string, password: string, request: HookRequest) {
      runs.set(username, (runs.get(username) ?? 0) + 1);
      return (await files.verify(username, password, request)) ? username : null;
    }
  }
  return { auth: new CachedFileUsers(), runs: (user: string) => runs.get(user) ?? 0 };
}

describeWithApacheUtils.each(DRIVERS)('htpasswd reloads clear the credential cache (%s)', (_driver, makeApp) => {
  function setUp(options: { perTenant?: boolean; maxFiles?: number } = {}) {
    const dir = newDir();
    const file = join(dir, 'a.htpasswd');
    htpasswdTool(file, '-B', 'alice', 'pw', true);
    htpasswdTool(file, '-B', 'bob', 'pw');
    htpasswdTool(join(dir, 'b.htpasswd'), '-B', 'alice', 'pw', true);
    const files = options.perTenant
      ? htpasswd((request: HookRequest) => `${request.header('x-tenant')}.htpasswd`, { root: dir, debounceMs: 10, maxFiles: options.maxFiles })
      : htpasswd(file, { debounceMs: 10 });
    opened.push(files);
    const { auth, runs } = cachedAuthFor(files);
    const logger = recordingLogger();
    const app = makeApp([CachedController], createAuthCheckers([auth], { logger }));
    const get = (user: string, password: string, tenant = 'a') =>
      request(app).get('/cached').set('X-Tenant', tenant).set('Authorization', basicHeader(user, password)).then((res) => res.status);
    return { file, dir, get, runs, logger };
  }

  it('a user deleted with htpasswd -D stops working at once, not after ttl; the others stay cached', async () => {
    const { file, get, runs } = setUp();
    expect(await get('alice', 'pw')).toBe(200);
    expect(await get('bob', 'pw')).toBe(200);
    // Control: both are now answered from the cache, without the hook.
    expect(await get('alice', 'pw')).toBe(200);
    expect(await get('bob', 'pw')).toBe(200);
    expect([runs('alice'), runs('bob')]).toEqual([1, 1]);

    execFileSync('htpasswd', ['-D', file, 'alice'], { stdio: 'pipe' });
    await eventually(async () => (await get('alice', 'pw')) === 401, 3000);
    expect(await get('alice', 'pw')).toBe(401);
    // Bob's entry did not change: still answered from the cache.
    expect(await get('bob', 'pw')).toBe(200);
    expect(runs('bob')).toBe(1);
  });

  it('a changed password: the old one stops working at once, the new one works', async () => {
    const { file, get } = setUp();
    expect(await get('alice', 'pw')).toBe(200);
    htpasswdTool(file, '-B', 'alice', 'new-pw');
    await eventually(async () => (await get('alice', 'pw')) === 401, 3000);
    expect(await get('alice', 'new-pw')).toBe(200);
  });

  it('per tenant: a user removed from one tenant file is refused there, and still admitted where they remain', async () => {
    const { file, get } = setUp({ perTenant: true });
    expect(await get('alice', 'pw', 'a')).toBe(200);
    expect(await get('alice', 'pw', 'b')).toBe(200);
    execFileSync('htpasswd', ['-D', file, 'alice'], { stdio: 'pipe' });
    await eventually(async () => (await get('alice', 'pw', 'a')) === 401, 3000);
    expect(await get('alice', 'pw', 'b')).toBe(200);
  });

  it('a tenant file closed past maxFiles (no longer watched) no longer vouches for its cached logins', async () => {
    const { get, runs } = setUp({ perTenant: true, maxFiles: 1 });
    expect(await get('alice', 'pw', 'a')).toBe(200);
    expect(await get('alice', 'pw', 'a')).toBe(200);
    expect(runs('alice')).toBe(1);
    // Loading tenant b closes tenant a's file: a's logins are checked against the file again.
    expect(await get('bob', 'pw', 'b')).toBe(401);
    expect(await get('alice', 'pw', 'a')).toBe(200);
    expect(runs('alice')).toBe(2);
  });

  it("logs through createAuthCheckers' logger, not console", async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const warnings = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { file, get, logger } = setUp();
      expect(await get('alice', 'pw')).toBe(200);
      appendFileSync(file, 'no colon on this line\n');
      await eventually(() => logger.error.mock.calls.length > 0, 3000);
      expect(logger.lines()).toEqual([`http-auth: htpasswd ${file} line 3: expected "username:hash"; keeping the last good version`]);
      // The last good version stays, and so does the cached login (nothing changed for alice).
      expect(await get('alice', 'pw')).toBe(200);
      expect(errors).not.toHaveBeenCalled();
      expect(warnings).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
      warnings.mockRestore();
    }
  });
});

describe.each(DRIVERS)('htdigest logs through the app (%s)', (_driver, makeApp) => {
  it("a missing htdigest file is reported to createAuthCheckers' logger", async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const file = join(newDir(), 'missing.htdigest');
      const files = htdigest(file);
      opened.push(files);
      @DigestAuth({ realm: 'r', useHa1Password: true })
      class DigestFileUsers {
        @GetPassword() ha1(username: string, algorithm: DigestAlgorithm, request: HookRequest) {
          return algorithm === 'MD5' ? files.ha1(username, 'r', request) : undefined;
        }
      }
      const logger = recordingLogger();
      const app = makeApp([CachedController], createAuthCheckers([new DigestFileUsers()], { logger }));
      const challenge = digestChallenge(await request(app).get('/cached'));
      const { header } = digestAuthorization({ challenge, username: 'alice', password: 'pw', method: 'GET', uri: '/cached' });
      const res = await request(app).get('/cached').set('Authorization', header);
      expect(res.status).toBe(401);
      // (The other line is the start-up warning about Digest's random secret.)
      expect(logger.lines().filter((line) => line.includes('htdigest'))).toEqual([`http-auth: htdigest ${file} does not exist; everyone is refused until it does`]);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });
});
