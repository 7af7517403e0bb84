/**
 * Target (issue 4): "Without the cache, while 200 clients log in at once, event-loop delay p99
 * stays under 20 ms (hashing never blocks the loop)."
 *
 * Starts the basic-scrypt server (werkzeug scrypt hashes, no cache) with
 * `perf_hooks.monitorEventLoopDelay` (1 ms resolution) exposed on the unauthenticated `GET /__eld`,
 * fires `--clients` (200) concurrent Basic logins on separate connections, each a different user,
 * while a probe asks `/__eld?` every 20 ms to show the server stays responsive; then reads the
 * delay histogram of exactly that window. Repeated `--repeat` (3) times.
 *
 *   ts-node --transpile-only bench/event-loop.ts [--clients 200] [--repeat 3] [--no-pin]
 */
import { Agent, request } from 'node:http';
import { join, relative } from 'node:path';
import { basicHeader, PASSWORD, PATH } from './lib/fixtures';
import { percentile } from './lib/loop';
import { BENCH_DIR, hasTaskset, machineLine, memoryKiB, NPROC, pinSelf, REPO_DIR, runMain, sleep, startServer, writeReport } from './lib/proc';
import type { EldStats } from './lib/server';
import { fmt } from './lib/stats';

interface Reply {
  status: number;
  body: string;
  ms: number;
}

function get(port: number, path: string, agent: Agent, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<Reply> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    const n = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isFinite(n) || n < 1 || n > 2000) throw new Error(`${name} must be 1–2000`);
    return Math.round(n);
  };
  const clients = opt('--clients', 200);
  const repeat = opt('--repeat', 3);
  if (clients > 200) throw new Error('the scrypt server knows user0…user199: --clients is at most 200');
  const pinned = !argv.includes('--no-pin') && hasTaskset && NPROC >= 2;
  const machine = machineLine();
  if (pinned) pinSelf(1);

  const started = await startServer('event-loop-basic-scrypt', 'basic-scrypt.ts', {
    cpu: pinned ? 0 : undefined,
    env: { BENCH_ELD: '1' },
    logDir: join(BENCH_DIR, 'results', 'logs'),
  });
  if (!started.ok) throw new Error(`basic-scrypt server did not start: ${started.reason}`);
  const server = started.server;
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });

  // Warm up: one login, so the first measured window does not include compiling the route.
  const warm = await get(server.port, PATH, probeAgent, { authorization: basicHeader('user0', PASSWORD) });
  if (warm.status !== 200) throw new Error(`warm-up login answered ${warm.status}`);

  const runs: { eld: EldStats; ok: number; failed: number; wallMs: number; loginP50: number; loginMax: number; probeP99: number; probeMax: number; probes: number }[] = [];
  for (let r = 0; r < repeat; r++) {
    await sleep(500);
    await get(server.port, '/__eld?reset', probeAgent);
    const agent = new Agent({ keepAlive: true, maxSockets: clients });
    const t0 = performance.now();
    let done = false;
    const probeTimes: number[] = [];
    const probe = (async () => {
      // Bounded: stops when the logins are done, or after 10 minutes.
      while (!done && performance.now() - t0 < 600_000) {
        probeTimes.push((await get(server.port, '/__eld', probeAgent)).ms);
        await sleep(20);
      }
    })();
    const logins = await Promise.all(
      Array.from({ length: clients }, (_, i) =>
        get(server.port, PATH, agent, { authorization: basicHeader(`user${i}`, PASSWORD) }).catch(() => ({ status: 0, body: '', ms: NaN })),
      ),
    );
    const wallMs = performance.now() - t0;
    done = true;
    await probe;
    const eld = JSON.parse((await get(server.port, '/__eld', probeAgent)).body) as EldStats;
    agent.destroy();
    const ms = Float64Array.from(logins.map((l) => l.ms).filter(Number.isFinite)).sort();
    const probeSorted = Float64Array.from(probeTimes).sort();
    runs.push({
      eld,
      ok: logins.filter((l) => l.status === 200).length,
      failed: logins.filter((l) => l.status !== 200).length,
      wallMs,
      loginP50: percentile(ms, 50),
      loginMax: percentile(ms, 100),
      probeP99: percentile(probeSorted, 99),
      probeMax: percentile(probeSorted, 100),
      probes: probeTimes.length,
    });
    process.stderr.write(`run ${r + 1}/${repeat}: ELD p99 ${eld.p99} ms, ${runs[r].ok}/${clients} logins in ${fmt(wallMs)} ms\n`);
  }
  const peakMiB = memoryKiB(server.pid).hwm / 1024;
  server.stop();
  probeAgent.destroy();

  const worst = Math.max(...runs.map((r) => r.eld.p99));
  const out: string[] = [];
  out.push('# Event-loop delay while 200 clients log in at once (basic-scrypt, no cache)', '');
  out.push(`- Machine: ${machine}`);
  const command = `ts-node --transpile-only ${relative(REPO_DIR, __filename)} ${argv.join(' ')}`.trim();
  out.push(`- Command: \`${command}\``);
  out.push(`- Date: ${new Date().toISOString()}`);
  out.push(`- ${clients} concurrent logins, each a different user, on ${clients} connections; werkzeug scrypt:32768:8:1 hashes checked with checkPasswordHash; server ${pinned ? 'pinned to CPU 0 (its libuv pool too), client to CPU 1' : 'not pinned'}; UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default (4)'}; peak server RSS ${fmt(peakMiB)} MiB.`, '');
  out.push('| run | logins ok | failed | all done in ms | login p50 ms | login max ms | ELD p50 ms | ELD p99 ms | ELD max ms | probe p99 ms (n) |');
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  runs.forEach((r, i) => out.push(`| ${i + 1} | ${r.ok} | ${r.failed} | ${fmt(r.wallMs)} | ${fmt(r.loginP50)} | ${fmt(r.loginMax)} | ${r.eld.p50} | ${r.eld.p99} | ${r.eld.max} | ${fmt(r.probeP99, 1)} (${r.probes}) |`));
  out.push('', `Target: ELD p99 < 20 ms — **${worst < 20 ? 'MET' : 'MISSED'}** (worst run p99 ${worst} ms).`, '');
  writeReport('event-loop.md', out.join('\n'));
}

runMain(main);
