/**
 * One GET of a JSON document from an authorization server (a JWK Set, a discovery document),
 * with the limits every such fetch has: a deadline for the whole exchange (headers and body), no
 * redirects (a JWKS URL that redirects elsewhere is a configuration to fix, not to follow: RFC
 * 8414 §3.2 and RFC 9728 §3.2 expect a 200), and a byte cap enforced while reading, so a huge
 * or endless body is cut off rather than buffered.
 *
 * Failures reject with an `Error` whose message is a short fixed text safe for a log line: it
 * never contains the response body.
 */

export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** The `Accept` header sent. */
  readonly accept: string;
  /** Node's global `fetch` by default. */
  readonly fetch?: typeof fetch;
}

export interface FetchedJson {
  readonly json: unknown;
  /** The response's `Cache-Control` header, if any. */
  readonly cacheControl: string | null;
}

/** A failure that involved no answer at all (timeout, connection refused): trying another URL of the same host is pointless. */
export class TransportError extends Error {
  override name = 'TransportError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function fetchJson(url: string, limits: FetchLimits): Promise<FetchedJson> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const failed = (reason: string) => (signal.aborted ? new TransportError(`timed out after ${limits.timeoutMs} ms`) : new TransportError(reason));
  let response: Response;
  try {
    response = await (limits.fetch ?? fetch)(url, { redirect: 'manual', signal, headers: { accept: limits.accept } });
  } catch {
    throw failed('could not be reached');
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const redirect = response.status >= 300 && response.status < 400;
    throw new Error(`answered HTTP ${response.status}${redirect ? ' (redirects are not followed)' : ''}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`is larger than ${limits.maxBytes} bytes`);
  }
  const bytes = await readAtMost(response, limits.maxBytes, failed);
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new Error('is not JSON');
  }
  return { json, cacheControl: response.headers.get('cache-control') };
}

/**
 * The body of `response`, read chunk by chunk up to `maxBytes`: past the cap the rest is never read
 * (`tooLarge`), and a body that breaks off rejects with `failed`.
 */
export async function readAtMost(
  response: Response,
  maxBytes: number,
  failed: (reason: string) => Error,
  tooLarge: () => Error = () => new Error(`is larger than ${maxBytes} bytes`),
): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await reader.read().catch(() => {
      throw failed('broke off while sending its body');
    });
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > maxBytes) {
      // Stop at the cap: the rest is never read.
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks);
}
