import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { basicHeader } from '../helpers';

/**
 * Attack A2: once something else has answered (an @ErrorHandler that sends the response itself, a
 * timeout middleware) or the client has gone while an async hook ran, nothing the library does may
 * throw: one such request used to end an Express process (ERR_HTTP_HEADERS_SENT in a promise
 * continuation). The app runs in a process of its own (tests/fixtures/late-answer-app.ts) that
 * records unhandled rejections and uncaught exceptions instead of dying, and reports them.
 */
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'late-answer-app.ts');

interface App {
  readonly url: string;
  readonly child: ChildProcess;
}

function start(driver: string, useLibraryMiddleware: boolean): Promise<App> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], {
    env: { ...process.env, DRIVER: driver, USE_LIBRARY_MIDDLEWARE: useLibraryMiddleware ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^\{.*\}$/m.exec(out);
      if (line) resolve({ url: `http://127.0.0.1:${(JSON.parse(line[0]) as { port: number }).port}`, child });
    });
    child.once('exit', (code) => reject(new Error(`late-answer-app exited with ${code} before listening`)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const GOOD = basicHeader('a', 'b');
const BAD = basicHeader('a', 'wrong');

async function get(app: App, route: string, authorization?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(app.url + route, { headers: authorization ? { authorization } : {} });
  return { status: res.status, body: await res.text() };
}

/** Sends a request and hangs up before the (300 ms) verification is over. */
function hangUp(app: App, route: string): Promise<void> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET ${route} HTTP/1.1\r\nHost: x\r\nAuthorization: ${GOOD}\r\n\r\n`);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 30);
    });
    socket.once('error', reject);
  });
}

describe.each([
  ['express', true],
  ['express', false],
  ['koa', true],
  ['koa', false],
] as const)('a response answered by somebody else, on %s (useExpress/useKoa: %s)', (driver, useLibraryMiddleware) => {
  let app: App;
  beforeAll(async () => {
    app = await start(driver, useLibraryMiddleware);
  }, 30_000);
  afterAll(() => {
    app?.child.kill('SIGTERM');
  });

  it('survives every case, answers the next request, and runs no handler after the answer', async () => {
    // An @ErrorHandler that answered itself, after an async verify: its answer stands.
    expect(await get(app, '/self', BAD)).toEqual({ status: 401, body: '{"error":"mine"}' });
    expect(await get(app, '/self')).toEqual({ status: 401, body: '{"error":"mine"}' });
    expect((await get(app, '/self', GOOD)).status).toBe(200);
    // A timeout middleware answered 503 while the 300 ms hook ran, for good and bad credentials.
    for (const route of ['/slow', '/guard-slow']) {
      expect((await get(app, route, GOOD)).status).toBe(503);
      expect((await get(app, route, BAD)).status).toBe(503);
    }
    // The same for a query token, whose admission adds headers of its own (Cache-Control, Vary).
    expect((await get(app, '/slow-query?token=t')).status).toBe(503);
    expect((await get(app, '/slow-query?token=wrong')).status).toBe(503);
    // The client hangs up mid-verification, twice.
    await hangUp(app, '/disconnect');
    await hangUp(app, '/disconnect');
    await sleep(500);
    expect(app.child.exitCode).toBeNull();
    const report = JSON.parse((await get(app, '/__report')).body) as { events: string[]; ran: Record<string, number>; logs: string[] };
    expect(report.events).toEqual([]);
    expect(report.logs.filter((line) => /headers|ERR_HTTP/i.test(line))).toEqual([]);
    // The client got 503 (or left): the handler never runs after that.
    expect(report.ran).toEqual({ self: 1, slow: 0, disconnect: 0, guard: 0, slowQuery: 0 });
    // And the process still answers.
    expect((await get(app, '/self', GOOD)).status).toBe(200);
  }, 30_000);
});
