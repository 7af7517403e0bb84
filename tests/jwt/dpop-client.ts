import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProvider } from '../oauth/provider';

/** One call of the real DPoP client, as its report gives it. */
export interface DpopCall {
  status: number;
  body?: unknown;
  nonceError?: boolean;
  challenges?: { scheme: string; parameters: Record<string, string> }[];
  dpopNonce: string | null;
}

/** What `dpop-client-process.mjs` reports: the token it obtained, its key, and each call's answers (two after a nonce retry). */
export interface DpopReport {
  tokenType: string;
  accessToken: string;
  publicJwk: Record<string, string>;
  results: DpopCall[][];
}

const run = promisify(execFile);

/**
 * oauth4webapi, in a child process (it is ESM-only): obtains a DPoP-bound token from `op` with the
 * client credentials grant, then makes each call with its own proofs (see dpop-client-process.mjs).
 */
export async function dpopClient(op: TestProvider, calls: { method: string; url: string }[]): Promise<DpopReport> {
  const args = JSON.stringify({ issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, scope: 'articles:read', resource: op.resource, calls });
  const { stdout } = await run(process.execPath, [join(__dirname, 'dpop-client-process.mjs'), args], { timeout: 30_000 });
  return JSON.parse(stdout) as DpopReport;
}

/**
 * A server on a free port whose app is given later: each class's `resource` (the origin of every
 * proof's `htu`) must name the port before the app is built. `serve(app)` sets it.
 */
export async function listenFirst(): Promise<{ base: string; serve(app: unknown): void; close(): Promise<void> }> {
  let handler: RequestListener = (_req, res) => res.end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (app) => void (handler = app as RequestListener),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
