/**
 * The benchmark runner (`npm run bench`). Starts every selected server as its own process
 * (pinned to CPU 0), pins itself, the load generator, to CPU 1, keeps all servers running and
 * measures them in interleaved short slices: A B C … A B C …, so machine drift hits every variant
 * alike. Each variant is compared with its baseline *in the same round*; the table reports the
 * median of those per-round ratios with their spread.
 *
 *   ts-node --transpile-only bench/run.ts [--only basic,bare] [--slices 16] [--duration 2]
 *       [--connections 32] [--warmup 1] [--slice-warmup 0.5] [--no-pin] [--out bench/results/latest.md]
 *
 * All traffic goes to 127.0.0.1; every slice is bounded in time; every server is killed on exit,
 * Ctrl-C or error.
 */
import autocannon from 'autocannon';
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { PATH } from './lib/fixtures';
import { runLoop } from './lib/loop';
import { VARIANTS, type Group, type Variant } from './lib/variants';
import { startJwksServer } from './lib/jwks-server';
import { JWKS_URL_ENV } from './lib/jwt-fixtures';
import { request } from 'node:http';
import {
  BENCH_DIR, cpuMicros, ensureDir, hasTaskset, installCleanup, machineLine, memoryKiB, nproc, pinSelf, runMain,
  REPO_DIR, settle, sleep, startServer, type ServerProcess,
} from './lib/proc';
import { fmt, maxOf, median, minOf, quantile, ratioCell } from './lib/stats';

/** Variants a target compares with besides the baselines: they are added to a filtered run. */
const COMPARE_WITH: Record<string, string[]> = {
  'basic-scrypt-cache': ['basic'],
  'jwt-local': ['oauth2-jwt-bearer-local', 'express-jwt-local'],
  'jwt-remote': ['oauth2-jwt-bearer-remote', 'express-jwt-jwks'],
};

/** One request, before any load: the server answers as the variant expects (and a remote-JWKS server has fetched its keys: warm). */
function prime(v: Variant, port: number): Promise<void> {
  if (v.load.kind !== 'autocannon') return Promise.resolve();
  const headers = v.load.headers;
  return new Promise((resolvePrime, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => {
        if (res.statusCode === v.expect) resolvePrime();
        else reject(new Error(`${v.name}: first request answered ${res.statusCode}, expected ${v.expect}: ${body.slice(0, 300)} ${res.headers['www-authenticate'] ?? ''}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${v.name}: first request timed out`)));
    req.on('error', reject);
    req.end();
  });
}

interface Args {
  only?: string[];
  slices: number;
  duration: number;
  connections: number;
  warmup: number;
  /** Unmeasured load right before each slice, so that no server is measured cold after sitting idle. */
  sliceWarmup: number;
  pin: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { slices: 16, duration: 2, connections: 32, warmup: 1, sliceWarmup: 0.5, pin: true, out: join(BENCH_DIR, 'results', 'latest.md') };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    const num = (name: string, min: number, max: number) => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}`);
      return n;
    };
    switch (flag) {
      case '--only': args.only = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--slices': args.slices = Math.round(num('--slices', 1, 1000)); break;
      case '--duration': args.duration = num('--duration', 0.2, 60); break;
      case '--connections': args.connections = Math.round(num('--connections', 1, 256)); break;
      case '--warmup': args.warmup = num('--warmup', 0, 60); break;
      case '--slice-warmup': args.sliceWarmup = num('--slice-warmup', 0, 60); break;
      case '--no-pin': args.pin = false; break;
      case '--out': args.out = resolve(value()); break;
      case '--help': case '-h':
        process.stdout.write(`usage: npm run bench -- [--only a,b] [--slices 16] [--duration 2] [--connections 32] [--warmup 1] [--slice-warmup 0.5] [--no-pin] [--out file]\nvariants: ${VARIANTS.map((v) => v.name).join(', ')}\n`);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${argv[i]} (try --help)`);
    }
  }
  return args;
}

interface Slice {
  round: number;
  /** Units per second: responses (autocannon, loop) or completed logins (digest-fresh). */
  rps: number;
  units: number;
  /** Server CPU (user + system, all threads) per HTTP request the server received, µs. */
  cpuPerReq: number;
  cpuPerUnit: number;
  p99ms: number;
  non2xx: number;
  unexpected: number;
  errors: number;
  reconnects: number;
  logLines: number;
}

async function measure(v: Variant, server: ServerProcess, seconds: number, connections: number): Promise<Slice & { round: -1 }> {
  const before = await server.stats();
  const cpu0 = cpuMicros(server.pid);
  const t0 = Date.now();
  let units: number;
  let duration: number;
  let p99ms: number;
  let non2xx: number;
  let unexpected: number;
  let errors: number;
  if (v.load.kind === 'autocannon') {
    const res = await autocannon({
      url: `http://127.0.0.1:${server.port}${PATH}`,
      connections,
      duration: seconds,
      headers: v.load.headers,
      timeout: 10,
    });
    units = res.requests.total;
    duration = res.duration;
    p99ms = res.latency.p99;
    non2xx = res.non2xx;
    unexpected = units - ((res.statusCodeStats as Record<string, { count: number }> | undefined)?.[String(v.expect)]?.count ?? 0);
    errors = res.errors + res.timeouts;
  } else {
    const res = await runLoop({ port: server.port, path: PATH, connections, durationMs: seconds * 1000, mode: v.load.mode });
    units = res.units;
    duration = res.durationSec;
    p99ms = res.p99ms;
    non2xx = res.non2xx;
    unexpected = res.units - res.ok;
    errors = res.errors + res.timeouts;
  }
  await settle(server.pid);
  const cpu1 = cpuMicros(server.pid);
  const after = await server.stats();
  const received = after.requests - before.requests;
  return {
    round: -1,
    rps: units / duration,
    units,
    cpuPerReq: received > 0 ? (cpu1 - cpu0) / received : NaN,
    cpuPerUnit: units > 0 ? (cpu1 - cpu0) / units : NaN,
    p99ms,
    non2xx,
    unexpected,
    errors,
    // Each slice opens `connections` keep-alive connections; any more means the server closed one.
    reconnects: Math.max(0, after.connections - before.connections - connections),
    logLines: server.logLines.filter((t) => t >= t0).length,
  };
}

interface Summary {
  variant: Variant;
  slices: Slice[];
  rps: number;
  rcRatios: number[];
  ownRatios: number[];
  addedCpu: number[];
  addedWall: number[];
  cpuPerReq: number;
  cpuPerUnit: number;
  p99ms: number;
  peakRssMiB: number;
  non2xx: number;
  unexpected: number;
  errors: number;
  reconnects: number;
  logLines: number;
}

function summarize(v: Variant, all: Map<string, Slice[]>, peakRss: Map<string, number>): Summary {
  const slices = all.get(v.name) ?? [];
  const byRound = (name: string) => new Map((all.get(name) ?? []).map((s) => [s.round, s]));
  const rc = byRound(v.rcBase);
  const own = byRound(v.ownBase);
  const pair = (base: Map<number, Slice>, f: (s: Slice, b: Slice) => number) =>
    slices.filter((s) => base.has(s.round)).map((s) => f(s, base.get(s.round)!));
  const sum = (f: (s: Slice) => number) => slices.reduce((a, s) => a + f(s), 0);
  return {
    variant: v,
    slices,
    rps: median(slices.map((s) => s.rps)),
    rcRatios: pair(rc, (s, b) => s.rps / b.rps),
    ownRatios: pair(own, (s, b) => s.rps / b.rps),
    addedCpu: pair(own, (s, b) => s.cpuPerReq - b.cpuPerReq),
    addedWall: pair(own, (s, b) => 1e6 / s.rps - 1e6 / b.rps),
    cpuPerReq: median(slices.map((s) => s.cpuPerReq)),
    cpuPerUnit: median(slices.map((s) => s.cpuPerUnit)),
    p99ms: median(slices.map((s) => s.p99ms)),
    peakRssMiB: (peakRss.get(v.server) ?? NaN) / 1024,
    non2xx: sum((s) => s.non2xx),
    unexpected: sum((s) => s.unexpected),
    errors: sum((s) => s.errors),
    reconnects: sum((s) => s.reconnects),
    logLines: sum((s) => s.logLines),
  };
}

function pairedRatios(all: Map<string, Slice[]>, a: string, b: string): number[] {
  const base = new Map((all.get(b) ?? []).map((s) => [s.round, s]));
  return (all.get(a) ?? []).filter((s) => base.has(s.round)).map((s) => s.rps / base.get(s.round)!.rps);
}

const spread = (xs: number[]) => `median ${fmt(median(xs), 2)}, IQR ${fmt(quantile(xs, 0.25), 2)}–${fmt(quantile(xs, 0.75), 2)}, min–max ${fmt(minOf(xs), 2)}–${fmt(maxOf(xs), 2)}, n=${xs.length}`;

function targets(sums: Map<string, Summary>, all: Map<string, Slice[]>): string[] {
  const lines: string[] = [];
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '**NOT MEASURED**' : ok ? '**MET**' : '**MISSED**');
  const has = (...names: string[]) => names.every((n) => (sums.get(n)?.slices.length ?? 0) > 0);
  const medRc = (n: string) => median(sums.get(n)!.rcRatios);
  const added = (n: string) => median(sums.get(n)!.addedCpu);

  for (const name of ['basic', 'token']) {
    if (!has(name, 'bare')) { lines.push(`- ${name} ≥ 0.93× bare: ${verdict(undefined)} (not run)`); continue; }
    const s = sums.get(name)!;
    const hook = has('bare-authorized') ? ` of which routing-controllers' own @Authorized hook (bare-authorized) ${fmt(added('bare-authorized'), 1)} µs;` : '';
    lines.push(`- ${name} ≥ 0.93× bare routing-controllers: ${verdict(medRc(name) >= 0.93)} — ratio ${spread(s.rcRatios)}; added server CPU ${fmt(added(name), 1)} µs/req over bare,${hook} total ${fmt(s.cpuPerReq, 1)} µs/req (target ≈ ≤ 20 µs added).`);
  }
  const peersFor: Record<string, string[]> = { basic: ['express-basic-auth', 'passport-basic', 'http-auth-basic'], token: ['passport-bearer'] };
  for (const [name, peers] of Object.entries(peersFor)) {
    const present = peers.filter((p) => has(p, 'express-bare'));
    if (!has(name, 'bare') || present.length === 0) continue;
    const ours = added(name);
    const parts = present.map((p) => `${p} ${fmt(added(p), 1)} µs (wall ${fmt(median(sums.get(p)!.addedWall), 1)} µs)`);
    const ok = present.every((p) => ours < added(p));
    lines.push(`- ${name}: less added cost per request than the peers add to their own baseline: ${verdict(ok)} — ${name} adds ${fmt(ours, 1)} µs CPU (wall ${fmt(median(sums.get(name)!.addedWall), 1)} µs) to bare routing-controllers; ${parts.join('; ')} to bare Express.`);
  }
  for (const name of ['basic-401', 'basic-401-none']) {
    if (!has(name, 'bare')) continue;
    const s = sums.get(name)!;
    const ok = medRc(name) >= 0.9 && s.reconnects === 0 && s.errors === 0 && s.logLines === 0 && s.unexpected === 0;
    lines.push(`- ${name}: 401s ≥ 0.90× bare, 0 resets, no log lines: ${verdict(ok)} — ratio ${spread(s.rcRatios)}; reconnects ${s.reconnects}, connection errors ${s.errors}, server log lines ${s.logLines}, responses other than 401: ${s.unexpected}.`);
  }
  if (has('digest-reuse', 'bare-loop')) {
    const s = sums.get('digest-reuse')!;
    lines.push(`- digest-reuse ≥ 0.85× bare (same loop): ${verdict(medRc('digest-reuse') >= 0.85 && s.unexpected === 0)} — ratio ${spread(s.rcRatios)}; non-2xx ${s.non2xx}.`);
  } else lines.push(`- digest-reuse ≥ 0.85× bare: ${verdict(undefined)} (variant not available or not selected)`);
  if (has('digest-fresh')) {
    const peers = ['passport-digest-fresh', 'http-auth-digest-fresh'].filter((p) => has(p));
    const parts = peers.map((p) => `vs ${p}: ${spread(pairedRatios(all, 'digest-fresh', p))}`);
    const ok = peers.length === 2 ? peers.every((p) => median(pairedRatios(all, 'digest-fresh', p)) > 1) : undefined;
    lines.push(`- digest-fresh ahead of passport-http and http-auth Digest (logins/s, same round): ${verdict(ok)} — ${parts.join('; ')}.`);
  } else lines.push(`- digest-fresh ahead of passport-http and http-auth Digest: ${verdict(undefined)} (variant not available or not selected)`);
  if (has('basic-scrypt-cache', 'basic')) {
    const r = pairedRatios(all, 'basic-scrypt-cache', 'basic');
    lines.push(`- basic-scrypt-cache ≥ 0.90× in-memory basic: ${verdict(median(r) >= 0.9)} — ratio ${spread(r)}.`);
  } else lines.push(`- basic-scrypt-cache ≥ 0.90× in-memory basic: ${verdict(undefined)} (variant not available or not selected)`);
  // Issue 16: @JwtAuth adds less CPU per request than each peer on the same routing-controllers app; cached tokens ≥ 0.90× bare.
  const jwtPeers: Record<string, string[]> = {
    'jwt-local': ['oauth2-jwt-bearer-local', 'express-jwt-local'],
    'jwt-remote': ['oauth2-jwt-bearer-remote', 'express-jwt-jwks'],
  };
  for (const [name, peers] of Object.entries(jwtPeers)) {
    const present = peers.filter((p) => has(p, 'bare'));
    if (!has(name, 'bare') || present.length === 0) {
      lines.push(`- ${name}: less added CPU per request than ${peers.join(' and ')}: ${verdict(undefined)} (not selected)`);
      continue;
    }
    const ours = added(name);
    const ok = present.length === peers.length ? present.every((p) => ours < added(p)) : undefined;
    const parts = present.map((p) => `${p} ${fmt(added(p), 1)} µs (${fmt(medRc(p), 2)}× bare)`);
    lines.push(`- ${name}: less added CPU per request than ${peers.join(' and ')} (all on routing-controllers, over bare): ${verdict(ok)} — ${name} adds ${fmt(ours, 1)} µs (${fmt(medRc(name), 2)}× bare); ${parts.join('; ')}.`);
  }
  for (const name of ['jwt-local-cache', 'jwt-remote-cache']) {
    if (!has(name, 'bare')) { lines.push(`- ${name} ≥ 0.90× bare: ${verdict(undefined)} (not selected)`); continue; }
    const s = sums.get(name)!;
    lines.push(`- ${name} (a repeated token, verified-token cache) ≥ 0.90× bare routing-controllers: ${verdict(medRc(name) >= 0.9 && s.unexpected === 0)} — ratio ${spread(s.rcRatios)}; added CPU ${fmt(added(name), 1)} µs/req.`);
  }
  lines.push('- Event-loop delay p99 < 20 ms during 200 concurrent scrypt logins: measured by `bench/event-loop.ts`.');
  lines.push('- RSS within 64 MB of idle and flat per-request cost under a 1,000,000-request flood: measured by `bench/flood.ts`.');
  return lines;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  installCleanup();
  const command = process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
    : `ts-node --transpile-only ${relative(REPO_DIR, __filename)} ${process.argv.slice(2).join(' ')}`.trim();

  let selected = VARIANTS;
  const notes: string[] = [];
  if (args.only) {
    // A family name (`jwt`) stands for all its variants.
    args.only = args.only.flatMap((n) => (VARIANTS.some((v) => v.family === n) ? VARIANTS.filter((v) => v.family === n).map((v) => v.name) : [n]));
    const unknown = args.only.filter((n) => !VARIANTS.some((v) => v.name === n));
    if (unknown.length) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
    const want = new Set(args.only);
    for (const v of VARIANTS) {
      if (!want.has(v.name)) continue;
      for (const extra of [v.rcBase, v.ownBase, ...(COMPARE_WITH[v.name] ?? [])]) {
        if (!want.has(extra)) notes.push(`added ${extra} (baseline of ${v.name})`);
        want.add(extra);
      }
    }
    selected = VARIANTS.filter((v) => want.has(v.name));
  }

  const pinned = args.pin && hasTaskset && nproc() >= 2;
  if (pinned) pinSelf(1);
  else notes.push(args.pin ? 'not pinned: taskset missing or fewer than 2 CPUs' : 'not pinned (--no-pin)');

  // Start every server up front and keep them all running.
  const logDir = join(BENCH_DIR, 'results', 'logs');
  const servers = new Map<string, ServerProcess>();
  const skipped = new Map<string, string>();
  const byServer = new Map<string, Variant>();
  for (const v of selected) if (!byServer.has(v.server)) byServer.set(v.server, v);
  // The issuer's JWK Set endpoint of the remote-JWKS variants: in this process (pinned with the load generator).
  const jwks = selected.some((v) => v.jwks) ? await startJwksServer() : undefined;
  if (jwks) process.env[JWKS_URL_ENV] = jwks.url;
  process.stderr.write(`starting ${byServer.size} servers…\n`);
  await Promise.all([...byServer.values()].map(async (v) => {
    const started = await startServer(v.server, v.file, { cpu: pinned ? 0 : undefined, env: v.env, logDir, timeoutMs: 180_000 });
    if (started.ok) servers.set(v.server, started.server);
    else skipped.set(v.server, started.reason);
  }));
  const runnable = selected.filter((v) => servers.has(v.server));
  for (const v of selected) {
    if (!servers.has(v.server)) {
      const line = `skipped ${v.name}: ${skipped.get(v.server)}`;
      notes.push(line);
      process.stderr.write(`${line}\n`);
    }
  }
  if (runnable.length === 0) throw new Error('no variant could start');

  const connectionsOf = (v: Variant) => v.connections ?? args.connections;
  for (const v of runnable) await prime(v, servers.get(v.server)!.port);
  const jwksPrimed = jwks?.fetches() ?? 0;
  if (args.warmup > 0) {
    process.stderr.write(`warm-up: ${args.warmup} s per variant\n`);
    for (const v of runnable) await measure(v, servers.get(v.server)!, args.warmup, connectionsOf(v));
  }
  const all = new Map<string, Slice[]>(runnable.map((v) => [v.name, []]));
  const started = Date.now();
  for (let round = 0; round < args.slices; round++) {
    for (const v of runnable) {
      // Each server sits idle while the others are measured (about 40 s a round in a full run);
      // a short unmeasured burst first means every slice measures a server under steady load.
      if (args.sliceWarmup > 0) await measure(v, servers.get(v.server)!, args.sliceWarmup, connectionsOf(v));
      const slice = await measure(v, servers.get(v.server)!, args.duration, connectionsOf(v));
      all.get(v.name)!.push({ ...slice, round });
    }
    const bare = all.get('bare')?.[round]?.rps;
    process.stderr.write(`round ${round + 1}/${args.slices} done (${fmt((Date.now() - started) / 1000)} s)${bare ? `, bare ${fmt(bare)} req/s` : ''}\n`);
  }
  await sleep(100);
  if (jwks) notes.push(`JWKS server: ${jwksPrimed} fetch(es) before measuring (the first request of each remote-JWKS server), ${jwks.fetches() - jwksPrimed} during the run`);
  const peakRss = new Map<string, number>();
  for (const [key, s] of servers) peakRss.set(key, memoryKiB(s.pid).hwm);
  for (const s of servers.values()) s.stop();

  const sums = new Map(runnable.map((v) => [v.name, summarize(v, all, peakRss)]));
  const md = report(args, command, notes, pinned, sums, all);
  ensureDir(args.out);
  writeFileSync(args.out, md);
  writeFileSync(args.out.replace(/\.md$/, '') + '.json', JSON.stringify({ args, command, machine: machineLine(), slices: Object.fromEntries(all) }, null, 1));
  process.stdout.write(md);
  process.stderr.write(`\nwritten to ${relative(REPO_DIR, args.out)}\n`);
  process.exit(0);
}

function report(args: Args, command: string, notes: string[], pinned: boolean, sums: Map<string, Summary>, all: Map<string, Slice[]>): string {
  const out: string[] = [];
  out.push('# routing-controllers-httpauth benchmark', '');
  out.push(`- Machine: ${machineLine()}`);
  out.push(`- Command: \`${command}\``);
  out.push(`- Date: ${new Date().toISOString()}`);
  out.push(`- ${args.slices} interleaved rounds × ${args.duration} s per variant (after ${args.warmup} s warm-up each, and ${args.sliceWarmup} s of unmeasured load right before every slice), ${args.connections} keep-alive connections (scrypt without cache: 4), servers ${pinned ? 'pinned to CPU 0, load generator to CPU 1 (taskset)' : 'not pinned'}, NODE_ENV=production.`);
  for (const n of notes) out.push(`- Note: ${n}`);
  out.push('');
  out.push('`× bare rc`: per-round ratio of req/s to bare routing-controllers measured with the same load generator in the same round, median [IQR]. `× own`: the same against the variant\'s own baseline (bare Express for the peers). `+CPU µs`: server CPU per request minus the own baseline\'s, median over rounds. digest-fresh rows count completed logins (401 challenge + authorized request) per second; their CPU µs/req is per HTTP request.', '');
  const header = '| variant | what | load | req/s | × bare rc | × own | +CPU µs/req | CPU µs/req | p99 ms | peak RSS MiB | non-2xx | errors | reconnects | log lines |';
  out.push(header, '|' + '---|'.repeat(14));
  const order: Group[] = ['baseline', 'library', 'peer'];
  const rows = [...sums.values()].sort((a, b) => order.indexOf(a.variant.group) - order.indexOf(b.variant.group));
  for (const s of rows) {
    const v = s.variant;
    const isOwnBase = v.ownBase === v.name;
    const load = v.load.kind === 'autocannon' ? 'autocannon' : `loop:${v.load.mode.kind}`;
    out.push(`| ${v.name} | ${v.what} | ${load} | ${fmt(s.rps)} | ${v.rcBase === v.name ? '1' : ratioCell(s.rcRatios)} | ${isOwnBase ? '1' : ratioCell(s.ownRatios)} | ${isOwnBase ? '—' : fmt(median(s.addedCpu), 1)} | ${fmt(s.cpuPerReq, 1)} | ${fmt(s.p99ms, 1)} | ${fmt(s.peakRssMiB, 0)} | ${s.non2xx} | ${s.errors} | ${s.reconnects} | ${s.logLines} |`);
  }
  out.push('', '## Targets (issues 10 and 16)', '', ...targets(sums, all), '');
  return out.join('\n');
}

runMain(main);
