import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, htpasswd, LoginRequired, VerifyPassword, type HookRequest, type Htpasswd, type HtpasswdOptions } from '../../src';
import { basicHeader, DRIVERS, recordingLogger } from '../helpers';
import { describeWithApacheUtils, htpasswdTool, tempDirs } from './apache-utils';

/** Issue 14 §7: per-tenant password files stay in their folder, and only regular files of bounded size are read. */

const newDir = tempDirs();
const opened: Htpasswd[] = [];
afterEach(() => opened.splice(0).forEach((files) => files.close()));

// {SHA} of "pw": written by hand where apache2-utils is not needed.
const SHA_LINE = (user: string) => `${user}:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n`;

@JsonController('/tenant')
class TenantController {
  @Get('/') @LoginRequired() index(@CurrentUser() user: unknown) {
    return { user };
  }
}

function authFor(files: Htpasswd) {
  @BasicAuth({ realm: 'tenants' })
  class TenantUsers {
    @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
      return files.verify(username, password, request);
    }
  }
  return new TenantUsers();
}

/** The naive tenant function the issue worries about: the header, as it came. */
const fromHeader = (request: HookRequest) => request.header('x-tenant') ?? '';

/**
 * root/ a.htpasswd (alice), alias.htpasswd -> shared/carol.htpasswd (inside root), fifo.htpasswd
 * (a FIFO nobody writes), zero.htpasswd -> /dev/zero, planted.htpasswd -> ../uploads/planted,
 * big.htpasswd (alice, over 1 MiB); uploads/planted (mallory), outside root.
 */
function tenantTree() {
  const base = newDir();
  const root = join(base, 'root');
  mkdirSync(join(root, 'shared'), { recursive: true });
  mkdirSync(join(base, 'uploads'));
  writeFileSync(join(root, 'a.htpasswd'), SHA_LINE('alice'));
  writeFileSync(join(root, 'shared', 'carol.htpasswd'), SHA_LINE('carol'));
  symlinkSync(join(root, 'shared', 'carol.htpasswd'), join(root, 'alias.htpasswd'));
  execFileSync('mkfifo', [join(root, 'fifo.htpasswd')]);
  symlinkSync('/dev/zero', join(root, 'zero.htpasswd'));
  writeFileSync(join(base, 'uploads', 'planted'), SHA_LINE('mallory'));
  symlinkSync('../uploads/planted', join(root, 'planted.htpasswd'));
  writeFileSync(join(root, 'big.htpasswd'), SHA_LINE('alice') + `#${'x'.repeat(1024 * 1024)}\n`);
  return { base, root };
}

describe.each(DRIVERS)('per-tenant files stay in root (%s)', (_driver, makeApp) => {
  function setUp(options: Omit<HtpasswdOptions, 'root'> = {}) {
    const { base, root } = tenantTree();
    const files = htpasswd(fromHeader, { root, ...options });
    opened.push(files);
    const logger = recordingLogger();
    const app = makeApp([TenantController], createAuthCheckers([authFor(files)], { logger }));
    const get = (tenant: string, user: string) =>
      request(app).get('/tenant').set('X-Tenant', tenant).set('Authorization', basicHeader(user, 'pw')).timeout(4000).then((res) => res.status);
    return { base, root, get, logger };
  }

  it('admits a tenant file and a symbolic link that stays inside root (controls)', async () => {
    const { get } = setUp();
    expect(await get('a.htpasswd', 'alice')).toBe(200);
    expect(await get('alias.htpasswd', 'carol')).toBe(200);
    expect(await get('a.htpasswd', 'carol')).toBe(401);
  });

  it.each([
    ['a path out of root', '../uploads/planted', 'mallory'],
    ['a symbolic link out of root', 'planted.htpasswd', 'mallory'],
    ['a FIFO nobody writes', 'fifo.htpasswd', 'alice'],
    ['a link to /dev/zero', 'zero.htpasswd', 'alice'],
    ['a file over 1 MiB', 'big.htpasswd', 'alice'],
    ['a hidden file', '.a.htpasswd', 'alice'],
    ['a subfolder path', 'shared/carol.htpasswd', 'carol'],
    ['a name over 128 characters', `${'a'.repeat(120)}.htpasswd`, 'alice'],
    ['a folder', 'shared', 'alice'],
  ])('%s never becomes a user list: 401 at once', async (_name, tenant, user) => {
    const { get, base, logger } = setUp();
    const started = Date.now();
    expect(await get(tenant, user)).toBe(401);
    // Twice: the second request must not hang on what the first one left behind.
    expect(await get(tenant, user)).toBe(401);
    expect(Date.now() - started).toBeLessThan(3000);
    // The same header names a real tenant once it is one file name in root.
    expect(await get('a.htpasswd', 'alice')).toBe(200);
    // Lines go to createAuthCheckers' logger, and never repeat what the client sent.
    for (const line of logger.lines()) {
      expect(line).not.toContain('../');
      expect(line).not.toContain(join(base, 'uploads'));
    }
  });

  it('says why in one line, naming root or the limit', async () => {
    const { get, root, logger } = setUp();
    await get('../uploads/planted', 'mallory');
    await get('planted.htpasswd', 'mallory');
    await get('fifo.htpasswd', 'alice');
    await get('big.htpasswd', 'alice');
    expect(logger.lines()).toEqual([
      expect.stringMatching(/^http-auth: htpasswd\(\): the path function returned a string that is not one file name; it must return a file name in .*root \(1 to 128 characters/),
      `http-auth: htpasswd ${join(root, 'planted.htpasswd')} leads out of ${root} (a symbolic link); it is not read, and everyone is refused`,
      `http-auth: htpasswd ${join(root, 'fifo.htpasswd')} is not a regular file; it is not read, and everyone is refused`,
      `http-auth: htpasswd ${join(root, 'big.htpasswd')} is larger than maxFileBytes (1048576); it is not read, keeping the last good version`,
    ]);
  });

  it('maxFileBytes: a file at the limit is read, one byte more is not', async () => {
    const { get, root } = setUp({ maxFileBytes: 200 });
    const line = SHA_LINE('dora');
    writeFileSync(join(root, 'exact.htpasswd'), line + `#${'x'.repeat(200 - line.length - 1)}`);
    writeFileSync(join(root, 'over.htpasswd'), line + `#${'x'.repeat(200 - line.length)}`);
    expect(await get('exact.htpasswd', 'dora')).toBe(200);
    expect(await get('over.htpasswd', 'dora')).toBe(401);
  });
});

describe('fixed paths are read only as regular files of bounded size, within a deadline', () => {
  const open = (path: string, options: HtpasswdOptions = {}) => {
    const files = htpasswd(path, { logger: recordingLogger(), ...options });
    opened.push(files);
    return files;
  };

  it('a FIFO nobody writes is refused at once', async () => {
    const fifo = join(newDir(), 'users.htpasswd');
    execFileSync('mkfifo', [fifo]);
    const logger = recordingLogger();
    const started = Date.now();
    expect(await open(fifo, { logger }).verify('alice', 'pw')).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(logger.lines()).toEqual([`http-auth: htpasswd ${fifo} is not a regular file; it is not read, and everyone is refused`]);
  });

  it('/dev/zero is refused at once, without reading a byte', async () => {
    const logger = recordingLogger();
    const started = Date.now();
    expect(await open('/dev/zero', { logger }).verify('alice', 'pw')).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(logger.lines()).toEqual(['http-auth: htpasswd /dev/zero is not a regular file; it is not read, and everyone is refused']);
  });

  it('a file over maxFileBytes is not read; its last good version stays', async () => {
    const file = join(newDir(), 'users.htpasswd');
    writeFileSync(file, SHA_LINE('alice'));
    const logger = recordingLogger();
    const files = open(file, { logger, maxFileBytes: 100, debounceMs: 10, checkIntervalMs: 20 });
    expect(await files.verify('alice', 'pw')).toBe(true);
    writeFileSync(file, SHA_LINE('alice') + SHA_LINE('bob') + `#${'x'.repeat(100)}\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await files.verify('bob', 'pw')).toBe(false);
    expect(await files.verify('alice', 'pw')).toBe(true);
    expect(logger.lines()).toEqual([`http-auth: htpasswd ${file} is larger than maxFileBytes (100); it is not read, keeping the last good version`]);
  });

  it('a read that never ends is given up after readTimeoutMs: refused in bounded time, read again later', async () => {
    const file = join(newDir(), 'users.htpasswd');
    writeFileSync(file, SHA_LINE('alice'));
    const fsp = require('node:fs/promises') as typeof import('node:fs/promises');
    const realOpen = fsp.open;
    // A stalled network file system: the file opens, and its read returns only when the file
    // system is back (with an error).
    const stalledReads: (() => void)[] = [];
    const stalled = jest.spyOn(fsp, 'open').mockImplementation(async (path, flags) => {
      const handle = await realOpen(path, flags);
      await handle.close();
      return {
        stat: () => fsp.stat(path),
        read: () => new Promise((_, reject) => stalledReads.push(() => reject(Object.assign(new Error('EIO'), { code: 'EIO' })))),
        close: async () => {},
      } as unknown as import('node:fs/promises').FileHandle;
    });
    const logger = recordingLogger();
    const files = open(file, { logger, readTimeoutMs: 200, checkIntervalMs: 0 });
    try {
      const started = Date.now();
      expect(await files.verify('alice', 'pw')).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(logger.lines()).toEqual([`http-auth: htpasswd ${file} was not read within readTimeoutMs (200 ms); keeping the last good version`]);
    } finally {
      stalled.mockRestore();
      stalledReads.forEach((end) => end());
    }
    // The file system is back: the next check reads it.
    expect(await files.verify('alice', 'pw')).toBe(true);
  });
});

describeWithApacheUtils.each(DRIVERS)('a tenant without a file costs what a tenant with one does (%s)', (_driver, makeApp) => {
  it('known user, unknown user, missing tenant and a refused name each run one bcrypt check of the same cost', async () => {
    const root = newDir();
    htpasswdTool(join(root, 'a.htpasswd'), '-B', 'alice', 'pw', true);
    htpasswdTool(join(root, 'a.htpasswd'), '-B', 'bob', 'pw');
    const files = htpasswd(fromHeader, { root });
    opened.push(files);
    const app = makeApp([TenantController], createAuthCheckers([authFor(files)], { logger: recordingLogger() }));
    const bcrypt = require('bcryptjs') as { compare: (password: string, hash: string) => Promise<boolean> };
    const compare = jest.spyOn(bcrypt, 'compare');
    const checks = async (tenant: string, user: string, password: string) => {
      compare.mockClear();
      const res = await request(app).get('/tenant').set('X-Tenant', tenant).set('Authorization', basicHeader(user, password));
      return { status: res.status, costs: compare.mock.calls.map(([, hash]) => hash.slice(0, 7)) };
    };
    try {
      expect(await checks('a.htpasswd', 'alice', 'pw')).toEqual({ status: 200, costs: ['$2y$04$'] });
      expect(await checks('a.htpasswd', 'alice', 'wrong')).toEqual({ status: 401, costs: ['$2y$04$'] });
      expect(await checks('a.htpasswd', 'mallory', 'pw')).toEqual({ status: 401, costs: ['$2y$04$'] });
      expect(await checks('b.htpasswd', 'alice', 'pw')).toEqual({ status: 401, costs: ['$2y$04$'] });
      expect(await checks('../a.htpasswd', 'alice', 'pw')).toEqual({ status: 401, costs: ['$2y$04$'] });
    } finally {
      compare.mockRestore();
    }
  });

  it('before any file was read, a missing tenant still costs a bcrypt check', async () => {
    const files = htpasswd(fromHeader, { root: newDir() });
    opened.push(files);
    const app = makeApp([TenantController], createAuthCheckers([authFor(files)], { logger: recordingLogger() }));
    const bcrypt = require('bcryptjs') as { compare: (password: string, hash: string) => Promise<boolean> };
    const compare = jest.spyOn(bcrypt, 'compare');
    try {
      expect((await request(app).get('/tenant').set('X-Tenant', 'nobody').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(401);
      expect(compare).toHaveBeenCalledTimes(1);
    } finally {
      compare.mockRestore();
    }
  });
});
