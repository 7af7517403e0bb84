/**
 * The harness every benchmark server runs in: listens on 127.0.0.1:$PORT, prints `READY <port>`,
 * and answers the runner's questions over the IPC channel (connections accepted so far, event-loop
 * delay). Per request it only counts (and, with BENCH_ELD=1, checks for /__eld), the same in every variant.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

export interface ServerStats {
  type: 'stats';
  /** TCP connections accepted since start-up. */
  connections: number;
  /** HTTP requests received since start-up. */
  requests: number;
  /** V8 heap in use, bytes (after a full GC when one was asked for and --expose-gc is on). */
  heapUsed: number;
  /** Whether a full GC ran before these figures. */
  gc: boolean;
  /** Where the memory is, bytes: what flood.ts reports to tell V8's heap from the rest. */
  memory: MemoryBreakdown;
  /** Event-loop delay in ms, when BENCH_ELD=1. */
  eld?: EldStats;
}

export interface MemoryBreakdown {
  /** process.memoryUsage(). */
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8 heap pages actually backed by memory (v8.getHeapStatistics().total_physical_size). */
  heapPhysical: number;
  /** What V8 itself has malloc'ed (zones, compiler): not in the heap figures. */
  v8Malloced: number;
  /** Per V8 heap space (new_space, old_space, large_object_space, …): committed and in use. */
  spaces: Record<string, { committed: number; used: number }>;
}

export interface EldStats {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Prints why this variant cannot run here and exits; the runner shows the line and carries on. */
export function skip(reason: string): never {
  process.stdout.write(`SKIP ${reason}\n`);
  process.exit(0);
}

function memoryBreakdown(): MemoryBreakdown {
  const usage = process.memoryUsage();
  const heap = getHeapStatistics();
  const spaces: MemoryBreakdown['spaces'] = {};
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = { committed: space.physical_space_size, used: space.space_used_size };
  }
  return {
    rss: usage.rss, heapTotal: usage.heapTotal, heapUsed: usage.heapUsed, external: usage.external,
    arrayBuffers: usage.arrayBuffers, heapPhysical: heap.total_physical_size, v8Malloced: heap.malloced_memory, spaces,
  };
}

function eldStats(h: IntervalHistogram): EldStats {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  return { count: h.count, min: ms(h.min), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) };
}

export function serve(app: RequestListener): Server {
  let requests = 0;
  // One counter per request, in every variant alike: the runner divides CPU time by it.
  const handler: RequestListener = (req, res) => {
    requests += 1;
    app(req, res);
  };
  let listener: RequestListener = handler;
  let eld: IntervalHistogram | undefined;
  if (process.env.BENCH_ELD === '1') {
    // 1 ms resolution: the timer fires every ms and records how late it was.
    eld = monitorEventLoopDelay({ resolution: 1 });
    eld.enable();
    const h = eld;
    // An unauthenticated side door for bench/event-loop.ts; `?reset` starts a fresh window.
    listener = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== undefined && req.url.startsWith('/__eld')) {
        const body = JSON.stringify(eldStats(h));
        if (req.url.includes('reset')) h.reset();
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      handler(req, res);
    };
  }

  const server = createServer(listener);
  // Longer than any pause between two slices of a run, so idle keep-alive sockets are not what we count.
  server.keepAliveTimeout = 30_000;
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });

  if (process.send) {
    process.on('message', (message: unknown) => {
      const m = message as { type?: string; gc?: boolean; file?: string } | null;
      if (m?.type === 'profile-start' || m?.type === 'profile-stop') return profile(m.type, m.file);
      if (m?.type !== 'stats') return;
      // Only flood.ts asks for a GC (and starts the server with --expose-gc); never during a slice.
      const gc = (globalThis as { gc?: () => void }).gc;
      const collected = m.gc === true && typeof gc === 'function';
      if (collected) gc();
      const memory = memoryBreakdown();
      const stats: ServerStats = {
        type: 'stats', connections, requests, heapUsed: memory.heapUsed, gc: collected, memory,
        ...(eld ? { eld: eldStats(eld) } : {}),
      };
      process.send?.(stats);
    });
    // The runner went away (even by SIGKILL): do not linger.
    process.on('disconnect', () => process.exit(0));
  }
  // bench/profile.ts: V8's CPU profiler over the measured load only (not start-up or warm-up).
  let session: Session | undefined;
  const profile = (what: 'profile-start' | 'profile-stop', file: string | undefined): void => {
    if (what === 'profile-start') {
      session = new Session();
      session.connect();
      session.post('Profiler.enable', () => session!.post('Profiler.start', () => process.send?.({ type: 'profile-started' })));
      return;
    }
    session?.post('Profiler.stop', (error, result) => {
      if (!error && file) writeFileSync(file, JSON.stringify(result.profile));
      process.send?.({ type: 'profile-stopped', error: error?.message });
    });
  };
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const port = Number(process.env.PORT ?? 0);
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    process.stdout.write(`READY ${actual}\n`);
  });
  return server;
}
