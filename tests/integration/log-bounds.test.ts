import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import request from 'supertest';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, htpasswd, LoginRequired, TokenAuth, VerifyPassword, VerifyToken, type HookRequest } from '../../src';
import { MAX_KINDS } from '../../src/internal/log';
import { basicHeader, DRIVERS, recordingLogger } from '../helpers';

// Issue 14 item 8: client data never becomes a log kind or an unescaped line; the limiter's own
// memory is bounded.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

@JsonController('/logged')
class LoggedController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
}

@TokenAuth({ header: 'X-API-Key' })
class ChattyKeys {
  // An app that puts what it was given into its error: common, and the value is the client's.
  @VerifyToken() verify(token: string) {
    if (token === '') return null;
    throw new Error(`no key ${token}`);
  }
}

describe.each(DRIVERS)('log lines a client can shape (%s)', (_driver, makeApp) => {
  it('escapes what a client put in a line: a header value with a C1 line break (NEL) stays on one line', async () => {
    const logger = recordingLogger();
    const app = makeApp([LoggedController], createAuthCheckers([new ChattyKeys()], { logger }));
    // Byte 0x85 is NEL once read as ISO-8859-1, which is how Node reads header bytes above 0x7f.
    const res = await request(app).get('/logged').set('X-API-Key', 'abc\u0085FAKE: admin logged in');
    expect(res.status).toBe(500);
    const lines = logger.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('abc\\u0085FAKE: admin logged in');
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  describe('10,000 requests naming distinct tenants', () => {
    const TENANTS = 10_000;
    const WARM_UP = 1_500;
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'httpauth-log-bounds-'));
      // Each tenant's "file" is a directory: it cannot be read, and each failure names its path.
      for (let i = 0; i < TENANTS + WARM_UP; i++) mkdirSync(join(dir, `t${i}`));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it(`write at most ${MAX_KINDS + 1} lines and leave no lasting heap growth`, async () => {
      let lines = 0;
      const logger = { warn: () => void lines++, error: () => void lines++ };
      const users = htpasswd((request: HookRequest) => request.header('x-tenant') ?? 'none', { root: dir, logger, maxFiles: 100 });
      @BasicAuth()
      class TenantUsers {
        @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
          return users.verify(username, password, request);
        }
      }
      const app = makeApp([LoggedController], createAuthCheckers([new TenantUsers()], { logger })) as RequestListener;
      const server: Server = await new Promise((resolve) => {
        const s = createServer(app);
        s.listen(0, '127.0.0.1', () => resolve(s));
      });
      const { port } = server.address() as AddressInfo;
      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      const send = (tenant: number) =>
        new Promise<number>((resolve, reject) => {
          const headers = { authorization: basicHeader('alice', 'pw'), 'x-tenant': `t${tenant}` };
          const req = httpRequest({ port, host: '127.0.0.1', path: '/logged', agent, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
      const run = async (from: number, to: number) => {
        const statuses = new Set<number>();
        for (let i = from; i < to; i += 64) {
          for (const status of await Promise.all(Array.from({ length: Math.min(64, to - i) }, (_, j) => send(i + j)))) statuses.add(status);
        }
        return statuses;
      };
      try {
        await run(TENANTS, TENANTS + WARM_UP);
        const before = heapMb();
        const linesBefore = lines;
        expect(await run(0, TENANTS)).toEqual(new Set([401]));
        const grown = heapMb() - before;
        // The warm-up filled the limiter; none of these 10,000 tenants got a line of its own.
        expect(lines - linesBefore).toBeLessThanOrEqual(1);
        expect(lines).toBeLessThanOrEqual(MAX_KINDS + 1);
        expect(grown).toBeLessThan(4);
      } finally {
        users.close();
        agent.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    }, 120_000);
  });
});
