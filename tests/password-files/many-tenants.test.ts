import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, htpasswd, LoginRequired, VerifyPassword, type HookRequest, type Htpasswd } from '../../src';
import { basicHeader, DRIVERS, recordingLogger } from '../helpers';
import { tempDirs } from './apache-utils';

/**
 * Issue 14 §7/§8: requests naming 10,000 distinct tenants (made-up names, names that are not file
 * names, files that do not parse, files of plain-text entries) give a bounded number of log lines,
 * and leave no lasting heap growth.
 */

// A full collection before each reading, without starting jest with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const TENANTS = 10_000;
/** Enough distinct tenants to fill both caches (maxFiles each) before the heap is measured. */
const WARM_UP = 2_400;
const MAX_FILES = 500;
/** Per-tenant state is two caches of at most maxFiles small entries; the log limiter holds fixed kinds. */
const BOUND_MB = 8;

const newDir = tempDirs();

@JsonController('/many')
class ManyController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
}

function authFor(files: Htpasswd) {
  @BasicAuth({ realm: 'many' })
  class ManyTenants {
    @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
      return files.verify(username, password, request);
    }
  }
  return new ManyTenants();
}

function serve(app: RequestListener): Promise<Server> {
  const server = createServer(app);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function send(port: number, agent: Agent, tenant: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: basicHeader('alice', 'pw'), 'x-tenant': tenant };
    const req = httpRequest({ port, host: '127.0.0.1', path: '/many', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * root/real.htpasswd (alice, {SHA} of "pw"), and for each i, a tenant the flood names: one in four
 * has no file, one in four is not a file name, one in four links to a file that does not parse,
 * one in four to a file of plain-text entries (refused without allowPlain).
 */
function tenantRoot(count: number, offset: number, root = newDir()) {
  mkdirSync(join(root, 'shared'), { recursive: true });
  writeFileSync(join(root, 'real.htpasswd'), 'alice:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n');
  writeFileSync(join(root, 'shared', 'broken'), 'alice:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\nno colon here\n');
  writeFileSync(join(root, 'shared', 'plain'), 'alice:pw\n');
  const names: string[] = [];
  for (let i = offset; i < offset + count; i++) {
    switch (i % 4) {
      case 0:
        names.push(`missing-${i}.htpasswd`);
        break;
      case 1:
        names.push(`../elsewhere/${i}`);
        break;
      case 2:
        symlinkSync(join(root, 'shared', 'broken'), join(root, `broken-${i}.htpasswd`));
        names.push(`broken-${i}.htpasswd`);
        break;
      default:
        symlinkSync(join(root, 'shared', 'plain'), join(root, `plain-${i}.htpasswd`));
        names.push(`plain-${i}.htpasswd`);
    }
  }
  return { root, names };
}

// One driver: the flood lands in the file set, after either integration did the same (measured
// about 0.5 MB of growth on both; each run takes half a minute).
describe.each(DRIVERS.slice(0, 1))('10,000 distinct tenants (%s)', (_driver, makeApp) => {
  it(`${TENANTS} requests naming distinct tenants: at most one line per kind, heap bounded, the real tenant unaffected`, async () => {
    const started = Date.now();
    const { root, names: first } = tenantRoot(WARM_UP, 0);
    const { names: second } = tenantRoot(TENANTS, WARM_UP, root);
    const files = htpasswd((request: HookRequest) => request.header('x-tenant') ?? '', { root, maxFiles: MAX_FILES });
    const logger = recordingLogger();
    const app = makeApp([ManyController], createAuthCheckers([authFor(files)], { logger })) as RequestListener;
    const server = await serve(app);
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const run = async (names: readonly string[]) => {
      const statuses = new Map<number, number>();
      for (let i = 0; i < names.length; i += 64) {
        const batch = await Promise.all(names.slice(i, i + 64).map((name) => send(port, agent, name)));
        for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      return Object.fromEntries(statuses);
    };
    try {
      expect(await send(port, agent, 'real.htpasswd')).toBe(200);
      // The first flood fills the caches (maxFiles each); the second must add nothing lasting.
      expect(await run(first)).toEqual({ 401: WARM_UP });
      const before = heapMb();
      expect(await run(second)).toEqual({ 401: TENANTS });
      const grown = heapMb() - before;
      expect(grown).toBeLessThan(BOUND_MB);
      // One line per kind per minute, the log's window (a run on a loaded machine may take longer
      // than one): none names what a client sent outside root.
      const windows = 1 + Math.floor((Date.now() - started) / 60_000);
      const lines = logger.lines();
      const kinds = lines.map((line) => /does not exist|not one file name|line 2:|plain-text/.exec(line)?.[0] ?? 'other');
      expect([...new Set(kinds)].filter((k) => k !== 'other').sort()).toEqual(['does not exist', 'line 2:', 'not one file name', 'plain-text']);
      for (const kind of new Set(kinds)) expect(kinds.filter((k) => k === kind).length).toBeLessThanOrEqual(windows);
      for (const line of lines) expect(line).not.toContain('elsewhere');
      // Control: the real tenant still gets in.
      expect(await send(port, agent, 'real.htpasswd')).toBe(200);
    } finally {
      files.close();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 180_000);
});
