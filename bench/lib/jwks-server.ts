/**
 * The issuer's JWK Set endpoint of the remote-JWKS variants: a local HTTP server in the runner's
 * process (pinned with the load generator, not with the servers), answering every GET with the
 * bench key's JWK Set and `Cache-Control: max-age=600`. It counts what it served, so the report
 * can tell how many fetches the servers made (a warm server makes none during a run).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JWKS } from './jwt-fixtures';

export interface JwksServer {
  url: string;
  fetches(): number;
  close(): void;
}

export function startJwksServer(): Promise<JwksServer> {
  const body = JSON.stringify(JWKS);
  let fetches = 0;
  const server = createServer((req, res) => {
    fetches += 1;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=600', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.unref();
      resolve({ url: `http://127.0.0.1:${port}/.well-known/jwks.json`, fetches: () => fetches, close: () => server.close() });
    });
  });
}
