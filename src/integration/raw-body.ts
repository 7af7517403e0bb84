import type { IncomingMessage } from 'node:http';

/**
 * Digest `auth-int` hashes the request body as sent, but on Express routing-controllers parses
 * a `@Body()` before the authorization check runs, and the bytes are gone. body-parser offers a
 * `verify(req, res, buf)` callback that sees the raw buffer; the body parameters of protected
 * actions get one (see route-metadata-view.ts). It keeps the bytes only for requests whose
 * Authorization asks for auth-int, so other requests pay nothing.
 */
const captured = new WeakMap<IncomingMessage, Buffer>();

const AUTH_INT = /^\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s[\s\S]*qop\s*=\s*"?auth-int/i;

/** Whether a request's Authorization asks for Digest auth-int, which hashes the body. */
export function requestsAuthInt(req: IncomingMessage): boolean {
  const authorization = req.headers.authorization;
  return authorization !== undefined && AUTH_INT.test(authorization);
}

function captureAuthIntBody(req: IncomingMessage, buf: Buffer): void {
  if (requestsAuthInt(req)) captured.set(req, buf);
}

type Verify = ((req: IncomingMessage, res: unknown, buf: Buffer, encoding: string) => void) & { capturesAuthInt?: true };

/**
 * A `@Body()` parameter's options with the capture added to body-parser's `verify` (the app's own
 * `verify`, if any, still runs). A copy: routing-controllers' records are left as declared.
 */
export function withBodyCapture<P extends { extraOptions?: unknown }>(param: P): P {
  const options = (param.extraOptions ?? {}) as { verify?: Verify };
  if (options.verify?.capturesAuthInt) return param;
  const userVerify = options.verify;
  const verify: Verify = (req, res, buf, encoding) => {
    captureAuthIntBody(req, buf);
    userVerify?.(req, res, buf, encoding);
  };
  verify.capturesAuthInt = true;
  return { ...param, extraOptions: { ...options, verify } };
}

// Bodies of requests no parser consumed (no @Body on the route) are read here, up to this size.
const MAX_UNPARSED_BODY = 1024 * 1024;

/**
 * The raw body for auth-int: captured by body-parser's verify, Koa's `rawBody`, or read now when
 * nothing has consumed the stream. `undefined` when the bytes can no longer be had.
 */
export async function rawBodyOf(req: IncomingMessage, koaRawBody?: unknown): Promise<Uint8Array | undefined> {
  const saved = captured.get(req);
  if (saved) return saved;
  if (typeof koaRawBody === 'string') return Buffer.from(koaRawBody, 'utf8');
  if (req.readableEnded || req.readableFlowing !== null) return req.readableEnded && !hasBody(req) ? Buffer.alloc(0) : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_UNPARSED_BODY) return undefined;
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  captured.set(req, body);
  return body;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}
