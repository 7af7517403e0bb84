import { execFile } from 'node:child_process';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientCert, TestPki } from './certs';

/** One answer as a test reads it, whatever client sent the request. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** The `WWW-Authenticate` fields, one entry per field as sent. */
  readonly challenges: readonly string[];
}

/** What to send: a client certificate (or none), headers, and the local address to connect from. */
export interface Sent {
  readonly client?: ClientCert;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Connect from this loopback address (e.g. 127.0.0.2, the "trusted proxy"). @default 127.0.0.1 */
  readonly from?: string;
}

/**
 * The app as an `https` server that asks for a client certificate and lets the library decide
 * (`requestCert: true, rejectUnauthorized: false, ca`), listening on 127.0.0.1 on a free port.
 */
export async function listenHttps(pki: TestPki, app: RequestListener): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca, requestCert: true, rejectUnauthorized: false }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Node's `https.request`, one fresh TLS connection per request (no agent). */
export function nodeGet(pki: TestPki, port: number, path: string, sent: Sent = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: pki.ca,
        ...(sent.client ? { cert: sent.client.cert, key: sent.client.key } : {}),
        headers: sent.headers as Record<string, string | string[]> | undefined,
        localAddress: sent.from ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const challenges: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i].toLowerCase() === 'www-authenticate') challenges.push(res.rawHeaders[i + 1]);
          resolve({ status: res.statusCode ?? 0, body: parse(Buffer.concat(chunks).toString('utf8')), challenges });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The same request with Debian's curl: `--cert/--key`, `--interface` for the address. */
export function curlGet(pki: TestPki, port: number, path: string, sent: Sent = {}): Promise<Answer> {
  const args = ['-sS', '--cacert', `${pki.dir}/ca.crt`, '--interface', sent.from ?? '127.0.0.1', '-D', '-', '-o', '-'];
  if (sent.client) args.push('--cert', sent.client.certFile, '--key', sent.client.keyFile);
  for (const [name, value] of Object.entries(sent.headers ?? {})) for (const one of typeof value === 'string' ? [value] : value) args.push('-H', `${name}: ${one}`);
  args.push(`https://127.0.0.1:${port}${path}`);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`curl failed: ${stderr || error.message}`));
      const end = stdout.indexOf('\r\n\r\n');
      const head = stdout.slice(0, end).split('\r\n');
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0])?.[1]);
      const challenges = head.slice(1).filter((line) => /^www-authenticate:/i.test(line)).map((line) => line.slice(line.indexOf(':') + 1).trim());
      resolve({ status, body: parse(stdout.slice(end + 4)), challenges });
    });
  });
}

export const CLIENTS = [
  ['https.request', nodeGet],
  ['curl', curlGet],
] as const;
