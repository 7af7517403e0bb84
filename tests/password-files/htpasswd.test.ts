import { appendFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, htpasswd, LoginRequired, VerifyPassword, type HookRequest, type Htpasswd, type HtpasswdOptions } from '../../src';
import { basicHeader, DRIVERS, recordingLogger } from '../helpers';
import { describeWithApacheUtils, eventually, htpasswdTool, tempDirs } from './apache-utils';

/** Issue 9 §4: Apache htpasswd files, per tenant, kept current. */

const newDir = tempDirs();
const opened: { close(): void }[] = [];
afterEach(() => opened.splice(0).forEach((files) => files.close()));
const open = (path: string, options?: HtpasswdOptions) => {
  const files = htpasswd(path, options);
  opened.push(files);
  return files;
};

@JsonController('/files')
class FilesController {
  @Get('/') @LoginRequired() index(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** A @BasicAuth class whose users are an htpasswd file (or one per tenant). */
function authFor(files: Htpasswd) {
  @BasicAuth({ realm: 'files' })
  class FileUsers {
    @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
      return files.verify(username, password, request);
    }
  }
  return new FileUsers();
}

const FORMATS = [
  ['bcrypt (-B)', '-B', 'bea', 'b-secret'],
  ['APR1-MD5 (-m)', '-m', 'max', 'm-secret'],
  ['SHA-1 (-s)', '-s', 'sam', 's-secret'],
  ['crypt DES (-d)', '-d', 'dee', 'dsecret'],
  ['non-ASCII user, bcrypt', '-B', 'jöhn', 'pässwörd'],
] as const;

describeWithApacheUtils.each(DRIVERS)('htpasswd() in a @BasicAuth class (%s)', (_driver, makeApp) => {
  const get = (app: ReturnType<typeof makeApp>, user: string, password: string, tenant?: string) => {
    const req = request(app).get('/files').set('Authorization', basicHeader(user, password));
    return (tenant ? req.set('X-Tenant', tenant) : req).then((res) => res.status);
  };

  function appWithEveryFormat(options: { allowPlain?: boolean } = {}) {
    const file = join(newDir(), 'users.htpasswd');
    htpasswdTool(file, '-B', 'first', 'first-secret', true);
    for (const [, flag, user, password] of FORMATS) htpasswdTool(file, flag, user, password);
    htpasswdTool(file, '-p', 'pat', 'p-secret');
    const logger = recordingLogger();
    const app = makeApp([FilesController], createAuthCheckers([authFor(open(file, { ...options, logger }))], { logger: recordingLogger() }));
    return { app, logger };
  }

  it.each(FORMATS)('reads %s written by htpasswd: the right password in, a wrong one out', async (_name, _flag, user, password) => {
    const { app } = appWithEveryFormat();
    expect(await get(app, user, password)).toBe(200);
    expect(await get(app, user, `${password}x`)).toBe(401);
    expect(await get(app, user, '')).toBe(401);
  });

  it('refuses unknown users and plain-text entries unless allowPlain, and says so once', async () => {
    const { app, logger } = appWithEveryFormat();
    expect(await get(app, 'nobody', 'b-secret')).toBe(401);
    expect(await get(app, 'pat', 'p-secret')).toBe(401);
    expect(logger.warn.mock.calls.map(([line]) => line)).toEqual([expect.stringMatching(/users\.htpasswd has 1 plain-text entry, refused/)]);
    // Control: a known user of the same file gets in.
    expect(await get(app, 'first', 'first-secret')).toBe(200);
  });

  it('accepts plain-text entries (-p) with allowPlain: true', async () => {
    const { app } = appWithEveryFormat({ allowPlain: true });
    expect(await get(app, 'pat', 'p-secret')).toBe(200);
    expect(await get(app, 'pat', 'p-secretx')).toBe(401);
  });

  it('a file per tenant: the path is a function of the request, returning a file name in root', async () => {
    const dir = newDir();
    htpasswdTool(join(dir, 'a.htpasswd'), '-B', 'alice', 'pw-a', true);
    htpasswdTool(join(dir, 'b.htpasswd'), '-m', 'alice', 'pw-b', true);
    const logger = recordingLogger();
    const files = htpasswd((request: HookRequest) => `${request.header('x-tenant')}.htpasswd`, { root: dir, logger });
    opened.push(files);
    const app = makeApp([FilesController], createAuthCheckers([authFor(files)], { logger: recordingLogger() }));
    expect(await get(app, 'alice', 'pw-a', 'a')).toBe(200);
    expect(await get(app, 'alice', 'pw-b', 'b')).toBe(200);
    expect(await get(app, 'alice', 'pw-a', 'b')).toBe(401);
    expect(await get(app, 'alice', 'pw-b', 'a')).toBe(401);
    // A tenant without a file: nobody gets in, one line says why.
    expect(await get(app, 'alice', 'pw-a', 'c')).toBe(401);
    expect(logger.error.mock.calls.map(([line]) => line)).toEqual([expect.stringMatching(/c\.htpasswd does not exist; everyone is refused/)]);
  });

  it('reloads a file changed while requests are running: every answer is the old or the new password, never an error', async () => {
    const file = join(newDir(), 'users.htpasswd');
    htpasswdTool(file, '-B', 'alice', 'old', true);
    htpasswdTool(file, '-m', 'bob', 'builder');
    const app = makeApp([FilesController], createAuthCheckers([authFor(open(file, { debounceMs: 20, logger: recordingLogger() }))], { logger: recordingLogger() }));
    expect(await get(app, 'alice', 'old')).toBe(200);

    let running = true;
    const statuses: number[] = [];
    const bobStatuses: number[] = [];
    const load = (async () => {
      while (running) {
        const [a, b] = await Promise.all([get(app, 'alice', 'old'), get(app, 'bob', 'builder')]);
        statuses.push(a);
        bobStatuses.push(b);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    htpasswdTool(file, '-B', 'alice', 'new');
    await eventually(async () => (await get(app, 'alice', 'new')) === 200);
    running = false;
    await load;
    expect(await get(app, 'alice', 'old')).toBe(401);
    expect(statuses[0]).toBe(200);
    expect(statuses.every((s) => s === 200 || s === 401)).toBe(true);
    // Bob's line was not touched. (htpasswd rewrites the file in place, so a read that races the
    // write could see it half-written; the debounce makes that rare, and it fails closed.)
    expect(bobStatuses.every((s) => s === 200 || s === 401)).toBe(true);
    expect(bobStatuses.filter((s) => s === 200).length).toBeGreaterThan(0);
  });
});

describeWithApacheUtils('htpasswd(): keeping the file current', () => {
  const fileWithAlice = () => {
    const file = join(newDir(), 'users.htpasswd');
    htpasswdTool(file, '-B', 'alice', 'pw', true);
    return file;
  };

  it('a file that no longer parses keeps its last good version and logs one line naming the file and the line', async () => {
    const file = fileWithAlice();
    const logger = recordingLogger();
    const files = open(file, { logger, debounceMs: 10, checkIntervalMs: 20 });
    expect(await files.verify('alice', 'pw')).toBe(true);
    appendFileSync(file, 'this line has no colon\n');
    await eventually(async () => {
      await files.verify('alice', 'pw');
      return logger.error.mock.calls.length > 0;
    });
    expect(logger.error.mock.calls.map(([line]) => line)).toEqual([`http-auth: htpasswd ${file} line 2: expected "username:hash"; keeping the last good version`]);
    expect(await files.verify('alice', 'pw')).toBe(true);
    expect(await files.verify('alice', 'nope')).toBe(false);
    // Fixed: the new contents are read.
    htpasswdTool(file, '-m', 'carol', 'pw2', true);
    await eventually(async () => (await files.verify('carol', 'pw2')) === true);
    expect(await files.verify('alice', 'pw')).toBe(false);
  });

  it('a deleted file refuses everyone and logs one line; it is read again when it is back', async () => {
    const file = fileWithAlice();
    const logger = recordingLogger();
    const files = open(file, { logger, debounceMs: 10, checkIntervalMs: 20 });
    expect(await files.verify('alice', 'pw')).toBe(true);
    unlinkSync(file);
    await eventually(async () => (await files.verify('alice', 'pw')) === false);
    expect(logger.error.mock.calls.map(([line]) => line)).toEqual([`http-auth: htpasswd ${file} was deleted; everyone is refused until it is back`]);
    htpasswdTool(file, '-m', 'alice', 'again', true);
    await eventually(async () => (await files.verify('alice', 'again')) === true);
    expect(await files.verify('alice', 'pw')).toBe(false);
  });

  it('notices a file replaced by rename (a new inode) through the stat check', async () => {
    const file = fileWithAlice();
    const files = open(file, { debounceMs: 10, checkIntervalMs: 20, logger: recordingLogger() });
    expect(await files.verify('alice', 'pw')).toBe(true);
    const next = `${file}.next`;
    htpasswdTool(next, '-s', 'alice', 'renamed', true);
    require('node:fs').renameSync(next, file);
    await eventually(async () => (await files.verify('alice', 'renamed')) === true);
    expect(await files.verify('alice', 'pw')).toBe(false);
  });

  it('an unknown user costs a check against a stand-in entry, like a known user', async () => {
    const file = fileWithAlice();
    const bcrypt = require('bcryptjs') as { compare: (...args: unknown[]) => Promise<boolean> };
    const files = open(file, { logger: recordingLogger() });
    const compare = jest.spyOn(bcrypt, 'compare');
    try {
      expect(await files.verify('mallory', 'pw')).toBe(false);
      expect(compare).toHaveBeenCalledTimes(1);
      expect(await files.verify('alice', 'pw')).toBe(true);
      expect(compare).toHaveBeenCalledTimes(2);
    } finally {
      compare.mockRestore();
    }
  });

  it('misuse is a TypeError naming the fix', async () => {
    expect(() => htpasswd('')).toThrow(/http-auth: htpasswd\(\): path must be a file path, or a function of the request/);
    expect(() => htpasswd('/x', { allowPlain: 'yes' as never })).toThrow(/allowPlain must be true or false/);
    expect(() => htpasswd('/x', { watch: true } as never)).toThrow(/unknown option "watch"/);
    expect(() => htpasswd(() => 'x.htpasswd', undefined as never)).toThrow(/http-auth: htpasswd\(\): a path function needs root, the folder of the per-tenant files/);
    expect(() => htpasswd('/x', { root: '/etc' } as never)).toThrow(/root is for a path function/);
    expect(() => htpasswd(() => 'x', { root: '' })).toThrow(/root must be the path of a folder/);
    expect(() => htpasswd('/x', { maxFileBytes: 0 })).toThrow(/maxFileBytes must be an integer of at least 1/);
    expect(() => htpasswd('/x', { readTimeoutMs: 1.5 })).toThrow(/readTimeoutMs must be an integer of at least 1/);
    const perTenant = htpasswd(() => 'x.htpasswd', { root: '/nonexistent' });
    opened.push(perTenant);
    await expect(perTenant.verify('a', 'b')).rejects.toThrow(/the path is a function of the request; pass the hook's request/);
  });
});

// Written by hand, so it runs without apache2-utils: the parser's line numbers and comments.
describe('htpasswd(): file syntax', () => {
  it('skips comments and blank lines, and names the line of a malformed hash', async () => {
    const file = join(newDir(), 'users.htpasswd');
    writeFileSync(file, '# users\n\nalice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\nbob:$apr1$broken\n');
    const logger = recordingLogger();
    const files = open(file, { logger });
    expect(await files.verify('alice', 'secret')).toBe(false);
    expect(logger.error.mock.calls.map(([line]) => line)).toEqual([expect.stringContaining('users.htpasswd line 4: a malformed bcrypt, APR1-MD5 or {SHA} hash')]);
  });
});
