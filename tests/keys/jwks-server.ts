import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A local HTTP server the test controls: `/jwks` serves `keys` (with `headers`), any path can be
 * given its own handler, and every request is counted per path. Listens on a free port.
 */
export interface TestServer {
  readonly base: string;
  readonly jwksUrl: string;
  /** The JWK Set served at /jwks. */
  jwks: { keys: unknown[] } | unknown;
  /** Extra response headers of /jwks. */
  headers: Record<string, string>;
  /** Replaces the handler of a path (or of /jwks). */
  route(path: string, handler: Handler | undefined): void;
  /** Requests seen per path. */
  hits(path?: string): number;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const state = {
    jwks: { keys: [] } as unknown,
    headers: {} as Record<string, string>,
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler) return handler(request, response);
    if (path === '/jwks') {
      response.writeHead(200, { 'content-type': 'application/json', ...state.headers });
      response.end(JSON.stringify(state.jwks));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    jwksUrl: `${base}/jwks`,
    get jwks() {
      return state.jwks;
    },
    set jwks(value) {
      state.jwks = value;
    },
    get headers() {
      return state.headers;
    },
    set headers(value) {
      state.headers = value;
    },
    route(path, handler) {
      if (handler) routes.set(path, handler);
      else routes.delete(path);
    },
    hits: (path = '/jwks') => counts.get(path) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A clock for `now` injection: starts at a fixed time, moves only when told. */
export function fakeClock(start = Date.UTC(2030, 0, 1)) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms), set: (ms: number) => (time = ms) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects `log(kind, message)` lines. */
export function recordingLog() {
  const lines: { kind: string; message: string }[] = [];
  return { lines, log: (kind: string, message: string) => void lines.push({ kind, message }) };
}
