/**
 * Process plumbing shared by the runner, event-loop.ts and flood.ts: start a benchmark server as
 * its own process (optionally pinned with taskset), talk to it over IPC, read its CPU time and
 * memory from /proc, and make sure every child dies with us.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ServerStats } from './server';

export const BENCH_DIR = resolve(__dirname, '..');
export const REPO_DIR = resolve(BENCH_DIR, '..');

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const hasTaskset: boolean = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins this process (all its threads, and the threads it starts later) to one CPU. */
export function pinSelf(cpu: number): boolean {
  if (!hasTaskset) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** CPUs this process may use (nproc); read once, before pinSelf narrows it. */
export const NPROC: number = (() => {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return cpus().length;
  }
})();

export function nproc(): number {
  return NPROC;
}

export function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return `${nproc()} CPUs (nproc), ${model}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** utime + stime of a process (all threads), in µs. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": fields[0] is state (field 3), so utime (14) and stime (15) are 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

/** VmRSS and VmHWM (peak RSS) of a process, in KiB. */
export function memoryKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: read('VmRSS'), hwm: read('VmHWM') };
}

/**
 * A process's resident memory by kind, in KiB (/proc/<pid>/status and smaps): anonymous (V8's heap,
 * malloc, thread stacks) vs file-backed (the node binary, shared libraries), and how much of the
 * anonymous part is malloc's main arena (the `[heap]` mapping grown with brk).
 */
export function residentKiB(pid: number): { rss: number; anon: number; file: number; brk: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  let brk = 0;
  try {
    const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    const at = smaps.search(/ \[heap\]\n/);
    if (at >= 0) brk = Number(/^Rss:\s*(\d+)/m.exec(smaps.slice(at))?.[1] ?? 0);
  } catch {
    brk = NaN;
  }
  return { rss: read('VmRSS'), anon: read('RssAnon'), file: read('RssFile') + read('RssShmem'), brk };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until the process has used no CPU for a while (at /proc's 10 ms tick resolution), so the
 * work of requests still in flight when the load stopped is charged to this slice and does not
 * run on CPU 0 during the next one. Bounded by `maxMs`.
 */
export async function settle(pid: number, maxMs = 5_000): Promise<void> {
  const end = Date.now() + maxMs;
  let last = cpuMicros(pid);
  while (Date.now() < end) {
    await sleep(40);
    const now = cpuMicros(pid);
    if (now === last) return;
    last = now;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface ServerProcess {
  key: string;
  file: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Lines the server wrote to stderr, or to stdout besides READY, with the time they arrived. */
  logLines: number[];
  logPath: string;
  /** Asks the server for its counters; `gc` runs a full GC first (server started with --expose-gc). */
  stats(gc?: boolean): Promise<ServerStats>;
  /** Sends a message over the IPC channel and resolves with the first reply of type `reply`. */
  ask(message: object, reply: string): Promise<{ type: string; error?: string }>;
  stop(): void;
}

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Kills every server we started: on normal exit, on Ctrl-C / SIGTERM, and on a crash. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark servers\n`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    killAll();
    process.exit(1);
  });
}

export type StartResult = { ok: true; server: ServerProcess } | { ok: false; reason: string };

/**
 * Starts `ts-node --transpile-only bench/servers/<file>` with PORT set, NODE_ENV=production,
 * pinned to `cpu` when taskset exists; resolves once it prints `READY <port>` (or `SKIP …`).
 */
export async function startServer(
  key: string,
  file: string,
  options: { cpu?: number; env?: Record<string, string>; logDir: string; timeoutMs?: number; nodeFlags?: string[] },
): Promise<StartResult> {
  installCleanup();
  const port = await freePort();
  const tsNode = require.resolve('ts-node/dist/bin.js', { paths: [REPO_DIR] });
  const script = join(BENCH_DIR, 'servers', file);
  const nodeArgs = [...(options.nodeFlags ?? []), tsNode, '--transpile-only', script];
  const pin = options.cpu !== undefined && hasTaskset;
  const command = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', String(options.cpu), process.execPath, ...nodeArgs] : nodeArgs;
  mkdirSync(options.logDir, { recursive: true });
  const logPath = join(options.logDir, `${key}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(command, args, {
    cwd: REPO_DIR,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const logLines: number[] = [];

  let pendingStats: ((s: ServerStats) => void)[] = [];
  const replies: { type: string; resolve: (m: { type: string }) => void }[] = [];
  child.on('message', (message: unknown) => {
    const type = (message as { type?: string } | null)?.type;
    const waiter = replies.findIndex((r) => r.type === type);
    if (waiter >= 0) replies.splice(waiter, 1)[0].resolve(message as { type: string });
    if (type === 'stats') {
      const waiting = pendingStats;
      pendingStats = [];
      for (const w of waiting) w(message as ServerStats);
    }
  });

  return new Promise<StartResult>((resolveStart) => {
    let settled = false;
    const finish = (result: StartResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolveStart(result);
    };
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      finish({ ok: false, reason: `no READY line within ${(options.timeoutMs ?? 60_000) / 1000} s (log: ${logPath})` });
    }, options.timeoutMs ?? 60_000);

    const onLine = (stream: 'out' | 'err') => {
      let buffered = '';
      return (chunk: Buffer) => {
        log.write(chunk);
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (stream === 'out' && /^READY \d+$/.test(line)) {
            finish({
              ok: true,
              server: {
                key, file, port, pid: child.pid!, child, logLines, logPath,
                stats: (gc = false) =>
                  new Promise<ServerStats>((resolveStats, rejectStats) => {
                    const t = setTimeout(() => rejectStats(new Error(`${key}: no stats reply`)), 5_000);
                    pendingStats.push((s) => {
                      clearTimeout(t);
                      resolveStats(s);
                    });
                    child.send({ type: 'stats', gc });
                  }),
                ask: (message, reply) =>
                  new Promise((resolveReply, rejectReply) => {
                    const t = setTimeout(() => rejectReply(new Error(`${key}: no ${reply} reply`)), 30_000);
                    replies.push({ type: reply, resolve: (m) => { clearTimeout(t); resolveReply(m); } });
                    child.send(message);
                  }),
                stop: () => {
                  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
                },
              },
            });
          } else if (stream === 'out' && line.startsWith('SKIP ')) {
            finish({ ok: false, reason: line.slice(5) });
          } else if (line.trim() !== '') {
            logLines.push(Date.now());
          }
        }
      };
    };
    child.stdout!.on('data', onLine('out'));
    child.stderr!.on('data', onLine('err'));
    child.on('exit', (code, signal) => {
      log.end();
      finish({ ok: false, reason: `exited with ${code ?? signal} before READY (log: ${logPath})` });
    });
  });
}

export function ensureDir(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
}

/** Writes a finished report to bench/results/<name> and prints it. */
export function writeReport(name: string, markdown: string): void {
  const file = resolve(BENCH_DIR, 'results', name);
  ensureDir(file);
  writeFileSync(file, markdown);
  process.stdout.write(markdown);
}

/** Runs a script's main: exit 0 when it resolves, the stack and exit 1 when it fails. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
