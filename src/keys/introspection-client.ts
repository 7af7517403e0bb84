import { createHmac, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { MaybePromise } from '../internal/steps';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import { signCompactJws } from '../schemes/jwt/sign';
import { readAtMost } from './fetch-json';
import {
  checkIntrospectionResponse,
  clientAssertionClaims,
  clientSecretBasic,
  introspectionRequestBody,
  IntrospectionResponseError,
  JWT_BEARER_ASSERTION,
  tokenDigest,
  type IntrospectionCheck,
  type IntrospectionPolicy,
} from '../schemes/introspection';

/** How this resource server authenticates to the introspection endpoint (RFC 7662 §2.1). */
export type IntrospectionClientAuth =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly clientSecret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly key: KeyObject; readonly alg: JwsAlgorithm; readonly kid?: string; readonly audience: string };

export interface IntrospectionCacheTiming {
  /** Longest an active answer is used (never past the token's `exp`). */
  readonly ttlMs: number;
  readonly max: number;
  /** How long a refusal (`active: false`, a failed check) is used. */
  readonly negativeTtlMs: number;
}

export interface IntrospectionClientOptions {
  readonly endpoint: string;
  readonly auth: IntrospectionClientAuth;
  readonly policy: IntrospectionPolicy;
  /** Deadline of one exchange (headers and body). */
  readonly timeoutMs: number;
  /** Largest answer read; a longer one is cut off and counts as an outage. */
  readonly maxBytes: number;
  readonly cache?: IntrospectionCacheTiming;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** The endpoint could not give a usable answer in time: the request is answered 503, the token is not to blame. */
export class IntrospectionUnavailable extends Error {
  override name = 'IntrospectionUnavailable';
}

export interface IntrospectionClient {
  /**
   * The checked answer for a token: synchronously from the cache, else from the one request for
   * it under way (single flight), else from a new one. Rejects with `IntrospectionUnavailable`
   * (its message is safe to log: it never holds the token or the response body).
   */
  introspect(token: string): MaybePromise<IntrospectionCheck>;
  /** Forgets the answer for a token's digest (`tokenDigest`), or every answer. */
  clear(digest?: string): void;
}

interface Pending {
  readonly promise: Promise<IntrospectionCheck>;
  cleared: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A client of one introspection endpoint with the guarantees of issue 17 §3:
 *
 * - Every exchange has a deadline for headers and body together; a redirect, a status other
 *   than 200, a body that is not a JSON object with a boolean `active`, or one larger than
 *   `maxBytes` (cut off while reading, never buffered whole) is an outage: rejected, never an
 *   admission.
 * - One request per token at a time (single flight): concurrent requests with the same token wait
 *   for it.
 * - With a cache: an active answer is kept for `min(ttl, exp − now)`, never past `exp`; a refusal
 *   for `negativeTtl`; outages never. Entries are keyed by an HMAC, under a key made at start-up,
 *   of the token's SHA-256, so neither the token nor a digest that can be checked offline is kept.
 */
export function createIntrospectionClient(options: IntrospectionClientOptions): IntrospectionClient {
  const now = options.now ?? Date.now;
  const macKey = randomBytes(32);
  const entries = options.cache && new LRUCache<string, IntrospectionCheck>({ max: options.cache.max, ttl: options.cache.ttlMs, ttlAutopurge: false });
  const pending = new Map<string, Pending>();
  const keyOf = (digest: string) => createHmac('sha256', macKey).update(digest).digest('base64url');

  function remember(key: string, answer: IntrospectionCheck): void {
    if (!entries) return;
    const cache = options.cache!;
    const ttl = answer.ok ? Math.min(cache.ttlMs, Math.floor(answer.exp * 1000 - now())) : cache.negativeTtlMs;
    if (ttl > 0) entries.set(key, answer, { ttl });
  }

  async function exchange(token: string): Promise<IntrospectionCheck> {
    const json = await post(token, options);
    try {
      return checkIntrospectionResponse(json, options.policy, now() / 1000);
    } catch (error) {
      if (error instanceof IntrospectionResponseError) throw new IntrospectionUnavailable(`answered a body that ${error.message}`);
      throw error;
    }
  }

  return {
    introspect(token) {
      const key = keyOf(tokenDigest(token));
      const hit = entries?.get(key);
      if (hit) return hit;
      const running = pending.get(key);
      if (running) return running.promise;
      const record: { promise?: Promise<IntrospectionCheck>; cleared: boolean } = { cleared: false };
      record.promise = exchange(token).then(
        (answer) => {
          if (pending.get(key) === record) pending.delete(key);
          if (!record.cleared) remember(key, answer);
          return answer;
        },
        (error: unknown) => {
          if (pending.get(key) === record) pending.delete(key);
          throw error;
        },
      );
      pending.set(key, record as Pending);
      return record.promise;
    },
    clear(digest) {
      if (digest === undefined) {
        for (const record of pending.values()) record.cleared = true;
        pending.clear();
        entries?.clear();
        return;
      }
      const key = keyOf(digest);
      const record = pending.get(key);
      if (record) {
        record.cleared = true;
        pending.delete(key);
      }
      entries?.delete(key);
    },
  };
}

/** The client authentication of one request: headers and body parameters. */
function clientCredentials(auth: IntrospectionClientAuth, now: () => number): { header?: string; body?: Record<string, string> } {
  switch (auth.method) {
    case 'client_secret_basic':
      return { header: clientSecretBasic(auth.clientId, auth.clientSecret) };
    case 'client_secret_post':
      return { body: { client_id: auth.clientId, client_secret: auth.clientSecret } };
    case 'private_key_jwt': {
      const claims = clientAssertionClaims(auth.clientId, auth.audience, Math.floor(now() / 1000), randomUUID());
      const header = { alg: auth.alg, typ: 'JWT', ...(auth.kid !== undefined ? { kid: auth.kid } : {}) };
      return { body: { client_id: auth.clientId, client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: signCompactJws(header, claims, auth.alg, auth.key) } };
    }
  }
}

/** One POST to the endpoint within the deadline; the parsed JSON, or an `IntrospectionUnavailable`. */
async function post(token: string, options: IntrospectionClientOptions): Promise<unknown> {
  const { timeoutMs, maxBytes } = options;
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = (reason: string) => new IntrospectionUnavailable(signal.aborted ? `did not answer within ${timeoutMs} ms` : reason);
  const credentials = clientCredentials(options.auth, options.now ?? Date.now);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (credentials.header) headers.authorization = credentials.header;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(options.endpoint, { method: 'POST', redirect: 'manual', signal, headers, body: introspectionRequestBody(token, credentials.body) });
  } catch {
    throw failed('could not be reached');
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const hint = response.status === 401 || response.status === 403 ? ' (check clientId and the client credentials)' : response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
    throw new IntrospectionUnavailable(`answered HTTP ${response.status}${hint}`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
    await response.body?.cancel().catch(() => undefined);
    throw new IntrospectionUnavailable('answered a body that is not JSON (content-type)');
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new IntrospectionUnavailable(`answered a body larger than ${maxBytes} bytes`);
  }
  const bytes = await readAtMost(response, maxBytes, failed, () => new IntrospectionUnavailable(`answered a body larger than ${maxBytes} bytes`));
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new IntrospectionUnavailable('answered a body that is not JSON');
  }
}
