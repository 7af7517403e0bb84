/**
 * `npm run bench:profile`: where a variant's server spends its CPU. Starts the variant's server
 * (pinned to CPU 0 like the runner), warms it up, then runs V8's CPU profiler (through
 * `node:inspector`, so start-up and warm-up stay out) while it loads the server for `--duration`
 * seconds from CPU 1, and prints the functions with the most self time: overall, and those of this
 * library (`src/`). The `.cpuprofile` stays in bench/results/profiles/ for Chrome DevTools
 * (Performance → Load profile).
 *
 *   ts-node --transpile-only bench/profile.ts [--variant basic] [--duration 10] [--top 15]
 */
import autocannon from 'autocannon';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PATH } from './lib/fixtures';
import { runLoop } from './lib/loop';
import { BENCH_DIR, hasTaskset, machineLine, pinSelf, REPO_DIR, runMain, startServer, writeReport } from './lib/proc';
import { VARIANTS } from './lib/variants';
import { startJwksServer } from './lib/jwks-server';
import { JWKS_URL_ENV } from './lib/jwt-fixtures';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

interface Args {
  variant: string;
  duration: number;
  top: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { variant: 'basic', duration: 10, top: 15 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--variant': args.variant = value(); break;
      case '--duration': args.duration = Number(value()); break;
      case '--top': args.top = Number(value()); break;
      default: throw new Error(`unknown argument ${argv[i]} (usage: --variant basic --duration 10 --top 15)`);
    }
  }
  if (!VARIANTS.some((v) => v.name === args.variant)) throw new Error(`unknown variant ${args.variant}; one of ${VARIANTS.map((v) => v.name).join(', ')}`);
  if (!(args.duration > 0) || !(args.top > 0)) throw new Error('--duration and --top must be positive');
  return args;
}

/** Self time per function (name + file + line), in ms, heaviest first. */
function selfTimes(profile: CpuProfile): { fn: string; where: string; ms: number }[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const totals = new Map<string, { fn: string; where: string; ms: number }>();
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)!;
    const file = frame.url.startsWith('file://') ? relative(REPO_DIR, frame.url.slice('file://'.length)) : frame.url;
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const fn = frame.functionName || '(anonymous)';
    const key = `${fn} ${where}`;
    const entry = totals.get(key) ?? { fn, where, ms: 0 };
    entry.ms += (profile.timeDeltas[i] ?? 0) / 1000;
    totals.set(key, entry);
  });
  return [...totals.values()].sort((a, b) => b.ms - a.ms);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const variant = VARIANTS.find((v) => v.name === args.variant)!;
  const pin = hasTaskset && pinSelf(1);
  const dir = join(BENCH_DIR, 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${variant.name}.cpuprofile`);
  if (variant.jwks) process.env[JWKS_URL_ENV] = (await startJwksServer()).url;
  const started = await startServer(variant.server, variant.file, { cpu: pin ? 0 : undefined, env: variant.env, logDir: join(BENCH_DIR, 'results', 'logs') });
  if (!started.ok) throw new Error(`${variant.name}: ${started.reason}`);
  const { server } = started;
  const load = async (seconds: number): Promise<number> => {
    if (variant.load.kind === 'autocannon') {
      const url = `http://127.0.0.1:${server.port}${PATH}`;
      return (await autocannon({ url, connections: variant.connections ?? 32, duration: seconds, headers: variant.load.headers })).requests.total;
    }
    return (await runLoop({ port: server.port, path: PATH, connections: 32, durationMs: seconds * 1000, mode: variant.load.mode })).units;
  };
  await load(2); // warm-up: JIT and caches settle before the profile starts
  await server.ask({ type: 'profile-start' }, 'profile-started');
  const requests = await load(args.duration);
  const stopped = await server.ask({ type: 'profile-stop', file }, 'profile-stopped');
  server.stop();
  if (stopped.error) throw new Error(`profiler: ${stopped.error}`);
  const times = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const total = times.reduce((sum, t) => sum + t.ms, 0);
  const library = times.filter((t) => t.where.startsWith('src/'));
  const libraryMs = library.reduce((sum, t) => sum + t.ms, 0);
  const row = (t: { fn: string; where: string; ms: number }) => `| ${t.fn} | ${t.where || '(native)'} | ${t.ms.toFixed(0)} | ${((100 * t.ms) / total).toFixed(1)} % |`;
  const table = (rows: typeof times) => ['| function | where | self ms | share |', '|---|---|---|---|', ...rows.slice(0, args.top).map(row)].join('\n');
  writeReport(
    `profile-${variant.name}.md`,
    [
      `# CPU profile: ${variant.name} (${variant.what})`,
      '',
      `Command: \`npm run bench:profile -- --variant ${variant.name} --duration ${args.duration}\`; ${machineLine()}.`,
      `${requests} requests profiled in ${args.duration} s, after a 2 s warm-up; profile ${relative(REPO_DIR, file)}.`,
      `Self time in the library (src/): ${libraryMs.toFixed(0)} ms of ${total.toFixed(0)} ms sampled (${((100 * libraryMs) / total).toFixed(1)} %), ` +
        `${((1000 * libraryMs) / requests).toFixed(1)} µs per request (under the profiler, which slows everything down). Self time only: ` +
        `what the library's functions call (hashing, Express's next middleware) is not counted, and V8 charges inlined functions to their caller.`,
      '',
      '## Top self time, all code',
      '',
      table(times),
      '',
      '## Top self time in the library (src/)',
      '',
      table(library),
      '',
    ].join('\n'),
  );
}

runMain(main);
