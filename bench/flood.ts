/**
 * Target (issue 4): "one million distinct Digest nonces (or failed attempts, or unauthenticated
 * requests) leave the server's RSS within 64 MB of its idle RSS, and the per-request cost does not
 * grow with the flood".
 *
 * For each target a fresh server is started (pinned to CPU 0), warmed up, left idle for its idle
 * RSS, then sent `--n` units over 32 keep-alive connections from 127.0.0.1 (bounded by
 * `--max-seconds` too). RSS is sampled every second; server CPU per unit and units/s are measured
 * over the first and the last 10 % of the flood.
 *
 *   ts-node --transpile-only bench/flood.ts [--n 1000000] [--targets basic-fail,basic-anon,digest-nonces]
 *       [--max-seconds 900] [--connections 32] [--no-pin]
 *
 * Targets: basic-fail (Basic, a new random username and a wrong password per request),
 * basic-anon (no Authorization header), digest-nonces (this library's Digest: every unit gets a
 * fresh challenge and answers it once, so each unit is one more distinct nonce the server has
 * seen), http-auth-digest-nonces (the same against http-auth, for comparison; not in the default
 * set — it slows down as its nonce array grows, so give it a small --n or --max-seconds).
 */
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { basicHeader, PASSWORD, PATH, USER } from './lib/fixtures';
import { runLoop, type LoopMode } from './lib/loop';
import { BENCH_DIR, cpuMicros, hasTaskset, machineLine, memoryKiB, NPROC, pinSelf, REPO_DIR, residentKiB, runMain, settle, sleep, startServer, writeReport } from './lib/proc';
import type { MemoryBreakdown } from './lib/server';
import { fmt } from './lib/stats';

interface Target {
  name: string;
  file: string;
  what: string;
  mode: LoopMode;
  expect: number;
}

const prefix = randomBytes(4).toString('hex');
const TARGETS: Target[] = [
  { name: 'basic-fail', file: 'basic.ts', what: 'Basic, random unknown username + wrong password per request → 401', expect: 401,
    mode: { kind: 'plain', headers: (i) => ({ authorization: basicHeader(`u${prefix}${i.toString(36)}`, 'wrong') }) } },
  { name: 'basic-anon', file: 'basic.ts', what: 'Basic, no credentials → 401', expect: 401, mode: { kind: 'plain' } },
  { name: 'digest-nonces', file: 'digest.ts', what: '@DigestAuth: fresh challenge + one answered request per unit (distinct nonces)', expect: 200,
    mode: { kind: 'digest-fresh', username: USER, password: PASSWORD } },
  { name: 'http-auth-digest-nonces', file: 'http-auth-digest.ts', what: 'http-auth digest(): same flow, for comparison', expect: 200,
    mode: { kind: 'digest-fresh', username: USER, password: PASSWORD } },
];
const DEFAULT_TARGETS = ['basic-fail', 'basic-anon', 'digest-nonces'];

interface Window {
  units: number;
  seconds: number;
  cpuMicros: number;
  rssMiB: number;
}

interface FloodResult {
  target: Target;
  skipped?: string;
  units?: number;
  ok?: number;
  statusCounts?: Record<string, number>;
  errors?: number;
  seconds?: number;
  startRssMiB?: number;
  idleRssMiB?: number;
  maxRssMiB?: number;
  endRssMiB?: number;
  afterRssMiB?: number;
  idleHeapMiB?: number;
  afterHeapMiB?: number;
  first?: Window;
  last?: Window;
  /** Where the memory is at idle, at the end of the flood (under load, no GC) and after it. */
  breakdown?: Record<'idle' | 'end' | 'after', Snapshot>;
  stoppedBy?: 'count' | 'time';
}

/** The server's own figures (V8, external) next to what the kernel says it holds (KiB). */
interface Snapshot {
  memory: MemoryBreakdown;
  resident: ReturnType<typeof residentKiB>;
}

const MiB = (kib: number) => kib / 1024;

async function flood(target: Target, n: number, maxSeconds: number, connections: number, pinned: boolean): Promise<FloodResult> {
  const started = await startServer(`flood-${target.name}`, target.file, {
    cpu: pinned ? 0 : undefined, logDir: join(BENCH_DIR, 'results', 'logs'), nodeFlags: ['--expose-gc'],
  });
  if (!started.ok) return { target, skipped: started.reason };
  const server = started.server;
  try {
    const startRss = memoryKiB(server.pid).rss;
    // Warm-up: JIT and first allocations, so "idle" means a server that has served traffic.
    await runLoop({ port: server.port, path: PATH, connections, durationMs: 3_000, maxUnits: 5_000, mode: target.mode, recordLatency: false });
    await settle(server.pid);
    await sleep(2_000);
    // Idle = after a full GC, so what remains after the flood can be compared like for like.
    const idleHeap = (await server.stats(true)).heapUsed;
    await sleep(500);
    const idleRss = memoryKiB(server.pid).rss;
    const idle: Snapshot = { memory: (await server.stats()).memory, resident: residentKiB(server.pid) };

    // Sampled every 500 ms: units done, time, server CPU and RSS; the windows are cut from these.
    type Sample = { units: number; t: number; cpu: number; rss: number };
    const samples: Sample[] = [];
    let done = 0;
    const sample = () => samples.push({ units: done, t: performance.now(), cpu: cpuMicros(server.pid), rss: memoryKiB(server.pid).rss });
    let lastReport = Date.now();
    sample();
    const sampler = setInterval(() => {
      sample();
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        process.stderr.write(`  ${target.name}: ${fmt(done)} / ${fmt(n)}, RSS ${fmt(MiB(samples[samples.length - 1].rss))} MiB\n`);
      }
    }, 500);
    const res = await runLoop({
      port: server.port, path: PATH, connections, durationMs: maxSeconds * 1000, maxUnits: n, mode: target.mode, recordLatency: false,
      onUnit: (units) => {
        done = units;
      },
    });
    clearInterval(sampler);
    sample();
    const endRss = memoryKiB(server.pid).rss;
    const end: Snapshot = { memory: (await server.stats()).memory, resident: residentKiB(server.pid) };
    await settle(server.pid);
    await sleep(3_000);
    const afterHeap = (await server.stats(true)).heapUsed;
    await sleep(500);
    const afterRss = memoryKiB(server.pid).rss;
    const after: Snapshot = { memory: (await server.stats()).memory, resident: residentKiB(server.pid) };

    const total = res.units;
    const window = (a: Sample, b: Sample): Window => ({
      units: b.units - a.units, seconds: (b.t - a.t) / 1000, cpuMicros: b.cpu - a.cpu, rssMiB: MiB(b.rss),
    });
    // First window: start → first sample past 10 % of the units; last: last sample before 90 % → end.
    const firstEnd = samples.find((x) => x.units >= total / 10) ?? samples[samples.length - 1];
    const lastStart = [...samples].reverse().find((x) => x.units <= (total * 9) / 10) ?? samples[0];
    return {
      target,
      units: res.units,
      ok: res.ok,
      statusCounts: res.statusCounts,
      errors: res.errors + res.timeouts,
      seconds: res.durationSec,
      startRssMiB: MiB(startRss),
      idleRssMiB: MiB(idleRss),
      maxRssMiB: MiB(Math.max(idleRss, ...samples.map((x) => x.rss))),
      endRssMiB: MiB(endRss),
      afterRssMiB: MiB(afterRss),
      idleHeapMiB: idleHeap / 2 ** 20,
      afterHeapMiB: afterHeap / 2 ** 20,
      first: window(samples[0], firstEnd),
      last: window(lastStart, samples[samples.length - 1]),
      breakdown: { idle, end, after },
      stoppedBy: res.units >= n ? 'count' : 'time',
    };
  } finally {
    server.stop();
  }
}

/**
 * Where the RSS is, per target, at idle, at the end of the flood and after it: V8's heap (what is
 * backed by memory, per space), what V8 keeps outside it, external memory, malloc's main arena and
 * the file-backed pages, so a growth can be told apart as live objects, heap V8 keeps, or malloc.
 */
function breakdownSection(results: FloodResult[]): string[] {
  const out: string[] = ['## Memory breakdown (MiB)', ''];
  out.push('Heap spaces: committed (in use). "other anonymous": RssAnon minus V8\'s physical heap and malloc\'s main arena: other malloc arenas (threads), external memory outside the main arena, stacks.', '');
  const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);
  const space = (m: MemoryBreakdown, name: string) => {
    const s = m.spaces[name];
    return s ? `${mib(s.committed)} (${mib(s.used)})` : '–';
  };
  const spaces = ['new_space', 'old_space', 'code_space', 'large_object_space', 'new_large_object_space'];
  for (const r of results) {
    if (!r.breakdown) continue;
    out.push(`### ${r.target.name}`, '');
    out.push(`| when | RSS | file-backed | anonymous | V8 heap physical | ${spaces.join(' | ')} | V8 malloced | external (array buffers) | malloc main arena (brk) | other anonymous |`);
    out.push('|' + '---|'.repeat(10 + spaces.length));
    for (const when of ['idle', 'end', 'after'] as const) {
      const { memory: m, resident: k } = r.breakdown[when];
      const other = k.anon * 1024 - m.heapPhysical - k.brk * 1024;
      out.push(`| ${when} | ${fmt(MiB(k.rss), 1)} | ${fmt(MiB(k.file), 1)} | ${fmt(MiB(k.anon), 1)} | ${mib(m.heapPhysical)} | ${spaces.map((x) => space(m, x)).join(' | ')} | ${mib(m.v8Malloced)} | ${mib(m.external)} (${mib(m.arrayBuffers)}) | ${fmt(MiB(k.brk), 1)} | ${mib(other)} |`);
    }
    out.push('');
  }
  return out;
}

async function main() {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number, max: number) => {
    const n = Number(value(name) ?? fallback);
    if (!Number.isFinite(n) || n < 1 || n > max) throw new Error(`${name} must be 1–${max}`);
    return Math.round(n);
  };
  const n = num('--n', 1_000_000, 10_000_000);
  const maxSeconds = num('--max-seconds', 900, 3_600);
  const connections = num('--connections', 32, 256);
  const names = (value('--targets') ?? DEFAULT_TARGETS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((x) => !TARGETS.some((t) => t.name === x));
  if (unknown.length) throw new Error(`unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  const pinned = !argv.includes('--no-pin') && hasTaskset && NPROC >= 2;
  const machine = machineLine();
  if (pinned) pinSelf(1);

  const results: FloodResult[] = [];
  for (const name of names) {
    const target = TARGETS.find((t) => t.name === name)!;
    process.stderr.write(`flood ${name}: ${fmt(n)} units (at most ${maxSeconds} s)\n`);
    const r = await flood(target, n, maxSeconds, connections, pinned);
    if (r.skipped) process.stderr.write(`  skipped: ${r.skipped}\n`);
    results.push(r);
  }

  const out: string[] = [];
  out.push('# Flood: memory and per-request cost', '');
  out.push(`- Machine: ${machine}`);
  out.push(`- Command: \`${`ts-node --transpile-only ${relative(REPO_DIR, __filename)} ${argv.join(' ')}`.trim()}\``);
  out.push(`- Date: ${new Date().toISOString()}`);
  out.push(`- ${fmt(n)} units per target (at most ${maxSeconds} s), ${connections} keep-alive connections to 127.0.0.1, server ${pinned ? 'pinned to CPU 0, client to CPU 1' : 'not pinned'}, NODE_ENV=production. Idle RSS: after a 5,000-unit warm-up, 2 s idle and a full GC (the server runs with --expose-gc); "after": 3 s after the flood, again after a full GC; "end"/"max": under load. "first/last 10 %": units 0–10 % and 90–100 % of the flood. A digest unit is two HTTP requests (challenge + answer).`, '');
  out.push('| target | what | units | status counts | errors | s | idle RSS MiB | end RSS MiB | max RSS MiB | RSS after (GC) MiB | heap idle → after MiB | units/s first 10 % | units/s last 10 % | CPU µs/unit first 10 % | CPU µs/unit last 10 % | last/first CPU | verdict |');
  out.push('|' + '---|'.repeat(17));
  const verdicts: string[] = [];
  for (const r of results) {
    if (r.skipped) {
      out.push(`| ${r.target.name} | ${r.target.what} | skipped: ${r.skipped} |${' |'.repeat(14)}`);
      continue;
    }
    const growth = r.maxRssMiB! - r.idleRssMiB!;
    const left = r.afterRssMiB! - r.idleRssMiB!;
    const f = r.first;
    const l = r.last;
    const cpuF = f ? f.cpuMicros / f.units : NaN;
    const cpuL = l ? l.cpuMicros / l.units : NaN;
    const costRatio = cpuL / cpuF;
    // "Leave the server's RSS within 64 MB of its idle RSS": both measured after a full GC, so
    // heap head-room V8 keeps after any burst of traffic is not counted, only what the flood left.
    const memOk = left <= 64;
    // "Does not grow": the last tenth costs at most 25 % more server CPU per unit than the first.
    const costOk = Number.isFinite(costRatio) && costRatio <= 1.25 && r.stoppedBy === 'count';
    const verdict = memOk && costOk ? 'MET' : 'MISSED';
    verdicts.push(`- ${r.target.name}: ${verdict} — RSS idle (after GC) ${fmt(r.idleRssMiB!, 1)} MiB, after the flood (3 s idle + GC) ${fmt(r.afterRssMiB!, 1)} MiB (**+${fmt(left, 1)}**; V8 heap in use ${fmt(r.idleHeapMiB!, 1)} → ${fmt(r.afterHeapMiB!, 1)} MiB); under load: at the end ${fmt(r.endRssMiB!, 1)} MiB (+${fmt(r.endRssMiB! - r.idleRssMiB!, 1)}), highest sample ${fmt(r.maxRssMiB!, 1)} MiB (+${fmt(growth, 1)}); limit +64 MB. Server CPU per unit ${fmt(cpuF, 1)} → ${fmt(cpuL, 1)} µs (×${fmt(costRatio, 2)}, limit ×1.25); units/s ${fmt(f ? f.units / f.seconds : NaN)} → ${fmt(l ? l.units / l.seconds : NaN)}${r.stoppedBy === 'time' ? `; stopped by the time limit after ${fmt(r.units!)} units` : ''}.`);
    const statuses = Object.entries(r.statusCounts ?? {}).map(([k, v]) => `${k}: ${fmt(v)}`).join(', ');
    out.push(`| ${r.target.name} | ${r.target.what} | ${fmt(r.units!)} | ${statuses} | ${r.errors} | ${fmt(r.seconds!)} | ${fmt(r.idleRssMiB!, 1)} | ${fmt(r.endRssMiB!, 1)} | ${fmt(r.maxRssMiB!, 1)} | ${fmt(r.afterRssMiB!, 1)} | ${fmt(r.idleHeapMiB!, 1)} → ${fmt(r.afterHeapMiB!, 1)} | ${fmt(f ? f.units / f.seconds : NaN)} | ${fmt(l ? l.units / l.seconds : NaN)} | ${fmt(cpuF, 1)} | ${fmt(cpuL, 1)} | ${fmt(costRatio, 2)} | **${verdict}** |`);
  }
  out.push('', ...verdicts, '');
  out.push(...breakdownSection(results));
  writeReport('flood.md', out.join('\n'));
}

runMain(main);
