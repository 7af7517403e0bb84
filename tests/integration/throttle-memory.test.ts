import { Agent, createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader, DRIVERS, recordingLogger } from '../helpers';

// A full collection before each reading, without starting jest with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ATTEMPTS = 20_000;
const NAME_LENGTH = 8_000;
/** Today's store kept every name whole: about 170 MB for these attempts. */
const BOUND_MB = 40;

@JsonController('/memory')
class MemoryController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
}

@BasicAuth({ throttle: { failures: 3, window: 600, block: 600 } })
class NobodyAuth {
  @VerifyPassword() verify() {
    return null;
  }
}

/** Serves the app with each request's client address taken from a test header (one address per attempt). */
function serve(app: RequestListener): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    Object.defineProperty(req.socket, 'remoteAddress', { value: req.headers['x-test-address'], configurable: true });
    app(req, res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function send(port: number, agent: Agent, address: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', path: '/memory', agent, headers: { authorization, 'x-test-address': address } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

describe.each(DRIVERS)('throttle memory (%s)', (_driver, makeApp) => {
  it(`${ATTEMPTS} failed logins with distinct ${NAME_LENGTH}-character usernames from distinct addresses add less than ${BOUND_MB} MB`, async () => {
    const app = makeApp([MemoryController], createAuthCheckers([new NobodyAuth()], { logger: recordingLogger() })) as RequestListener;
    const server = await serve(app);
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const padding = 'x'.repeat(NAME_LENGTH - 8);
    const attempt = (i: number) =>
      send(port, agent, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, basicHeader(`${String(i).padStart(8, '0')}${padding}`, 'guess'));
    const run = async (from: number, to: number) => {
      const statuses = new Map<number, number>();
      for (let i = from; i < to; i += 64) {
        const batch = await Promise.all(Array.from({ length: Math.min(64, to - i) }, (_, j) => attempt(i + j)));
        for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      return statuses;
    };
    try {
      // Warm up (sockets, compiled code), with names that are counted too.
      await run(ATTEMPTS, ATTEMPTS + 500);
      const before = heapMb();
      const statuses = await run(0, ATTEMPTS);
      const grown = heapMb() - before;
      // Every attempt was a counted failure: each name and address was new.
      expect(Object.fromEntries(statuses)).toEqual({ 401: ATTEMPTS });
      expect(grown).toBeLessThan(BOUND_MB);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 120_000);
});
