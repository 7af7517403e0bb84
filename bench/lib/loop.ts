/**
 * A small closed-loop load generator over `http.Agent({ keepAlive: true })`, for the flows
 * autocannon cannot express (Digest: read a challenge, answer it, count nc up; random credentials
 * per request). Each of `connections` workers sends one request at a time. Bounded by
 * `durationMs` and by `maxUnits`, whichever comes first; stops by itself.
 */
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { challengeFields, DigestSession, pickChallenge } from './digest-client';

export type LoopMode =
  /** One request per unit; `headers(i)` gives the request's headers (e.g. random credentials). */
  | { kind: 'plain'; headers?: (i: number) => OutgoingHttpHeaders }
  /** One nonce per worker, fetched before the clock starts; nc counts up; re-challenged on a 401. */
  | { kind: 'digest-reuse'; username: string; password: string }
  /** Each unit is a login: request without credentials → 401 challenge → answered request → 2xx. */
  | { kind: 'digest-fresh'; username: string; password: string };

export interface LoopOptions {
  port: number;
  path: string;
  connections: number;
  durationMs: number;
  mode: LoopMode;
  /** Stop after this many units have been started. */
  maxUnits?: number;
  timeoutMs?: number;
  /** Record each unit's latency (for p99); off for floods. */
  recordLatency?: boolean;
  /** Called after each completed unit with the number completed so far. */
  onUnit?: (completed: number) => void;
}

export interface LoadResult {
  /** Completed units: requests for plain/digest-reuse, logins (401 + 2xx) for digest-fresh. */
  units: number;
  /** Units that ended in a 2xx. */
  ok: number;
  /** HTTP exchanges completed. */
  requests: number;
  /** Responses that were not 2xx, challenges of digest-fresh excluded. */
  non2xx: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  /** TCP connections the client opened (one per worker when nothing was reset). */
  socketsOpened: number;
  rechallenges: number;
  p99ms: number;
  durationSec: number;
}

interface Reply {
  status: number;
  rawHeaders: string[];
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function runLoop(options: LoopOptions): Promise<LoadResult> {
  const { port, path, connections, mode } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxUnits = options.maxUnits ?? Number.POSITIVE_INFINITY;
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const seen = new WeakSet<Socket>();
  const latencies: number[] = [];
  const r: LoadResult = {
    units: 0, ok: 0, requests: 0, non2xx: 0, statusCounts: {}, errors: 0, timeouts: 0,
    socketsOpened: 0, rechallenges: 0, p99ms: NaN, durationSec: 0,
  };

  const send = (headers: OutgoingHttpHeaders | undefined): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request({ agent, host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders }));
        res.resume();
      });
      req.on('socket', (socket: Socket) => {
        if (!seen.has(socket)) {
          seen.add(socket);
          r.socketsOpened += 1;
        }
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });

  const count = (status: number, challenge = false) => {
    r.requests += 1;
    r.statusCounts[status] = (r.statusCounts[status] ?? 0) + 1;
    if ((status < 200 || status > 299) && !challenge) r.non2xx += 1;
  };

  const challenge = async (): Promise<DigestSession> => {
    const reply = await send(undefined);
    count(reply.status, true);
    const c = pickChallenge(challengeFields(reply.rawHeaders));
    if (reply.status !== 401 || !c) throw new Error(`expected a Digest challenge, got ${reply.status}`);
    if (mode.kind === 'plain') throw new Error('unreachable');
    return new DigestSession(c, mode.username, mode.password);
  };

  // digest-reuse: every worker gets its nonce before the clock starts.
  const sessions: (DigestSession | undefined)[] = [];
  if (mode.kind === 'digest-reuse') {
    for (let w = 0; w < connections; w++) sessions.push(await challenge().catch(() => undefined));
    r.requests = 0;
    r.statusCounts = {};
  }

  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + options.durationMs;

  const unit = async (w: number, i: number): Promise<boolean> => {
    if (mode.kind === 'plain') {
      const reply = await send(mode.headers?.(i));
      count(reply.status);
      return reply.status >= 200 && reply.status <= 299;
    }
    if (mode.kind === 'digest-fresh') {
      const session = await challenge();
      const reply = await send({ authorization: session.header('GET', path) });
      count(reply.status);
      return reply.status >= 200 && reply.status <= 299;
    }
    let session = sessions[w];
    if (!session) session = sessions[w] = await challenge();
    const reply = await send({ authorization: session.header('GET', path) });
    count(reply.status);
    if (reply.status === 401) {
      // Expired (stale) or refused nonce: take the new challenge from this 401.
      r.rechallenges += 1;
      const c = pickChallenge(challengeFields(reply.rawHeaders));
      sessions[w] = c ? new DigestSession(c, mode.username, mode.password) : undefined;
    }
    return reply.status >= 200 && reply.status <= 299;
  };

  const worker = async (w: number) => {
    while (started < maxUnits && performance.now() < deadline) {
      const i = started++;
      const t = performance.now();
      try {
        const ok = await unit(w, i);
        r.units += 1;
        if (ok) r.ok += 1;
        if (options.recordLatency !== false) latencies.push(performance.now() - t);
        options.onUnit?.(r.units);
      } catch (error) {
        if ((error as { code?: string }).code === 'ETIMEDOUT') r.timeouts += 1;
        else r.errors += 1;
        sessions[w] = undefined;
        // Do not spin on a dead server.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };

  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  r.durationSec = (performance.now() - t0) / 1000;
  agent.destroy();
  if (latencies.length > 0) {
    const sorted = Float64Array.from(latencies).sort();
    r.p99ms = percentile(sorted, 99);
  }
  return r;
}
