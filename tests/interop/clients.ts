/**
 * Finds the real clients the interop tests drive, and decides what a missing one means:
 * a skipped test with a clear message, or — with `INTEROP_REQUIRED=1` (CI) — a failed one.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const INTEROP_REQUIRED = Boolean(process.env.INTEROP_REQUIRED && process.env.INTEROP_REQUIRED !== '0');

export interface ClientProbe {
  /** What the tests call it, e.g. "curl". */
  readonly name: string;
  /** The executable to run; set when found. */
  readonly command?: string;
  /** The version found, for the log. */
  readonly version?: string;
  /** Why it cannot be used; undefined when it can. */
  readonly problem?: string;
  /** How to get it on Debian. */
  readonly install: string;
}

const run = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const message = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0] : String(error));

export function probeCurl(): ClientProbe {
  const install = 'apt-get install -y curl';
  try {
    const first = run('curl', ['--version']).split('\n')[0];
    return { name: 'curl', command: 'curl', version: first.split(' ')[1], install };
  } catch (error) {
    return { name: 'curl', install, problem: `curl --version failed: ${message(error)}` };
  }
}

/** `/usr/bin/python3` when it can import requests (Debian's python3-requests), else `python3` from PATH. */
export function probePythonRequests(): ClientProbe {
  const install = 'apt-get install -y python3-requests';
  const problems: string[] = [];
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      const version = run(python, ['-c', 'import requests, sys; print(requests.__version__, sys.version.split()[0])']);
      const [requestsVersion, pythonVersion] = version.split(' ');
      return { name: 'python requests', command: python, version: `requests ${requestsVersion} (python ${pythonVersion}, ${python})`, install };
    } catch (error) {
      problems.push(`${python}: ${message(error)}`);
    }
  }
  return { name: 'python requests', install, problem: problems.join('; ') };
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function probeChromium(): ClientProbe {
  const install = 'apt-get install -y chromium';
  if (!existsSync(CHROMIUM_PATH)) return { name: 'chromium', install, problem: `${CHROMIUM_PATH} does not exist` };
  try {
    require.resolve('playwright-core');
  } catch {
    return { name: 'chromium', install: 'npm ci (playwright-core is a devDependency)', problem: 'playwright-core is not installed' };
  }
  let version: string | undefined;
  try {
    version = /(\d+(?:\.\d+)+)/.exec(run(CHROMIUM_PATH, ['--version']))?.[1];
  } catch {
    // The version is only for the log; launching is the real check.
  }
  return { name: 'chromium', command: CHROMIUM_PATH, version, install };
}

type TestFn = () => Promise<unknown>;
export type InteropIt = (name: string, fn: TestFn, timeout?: number) => void;

/**
 * `it` when the client is there; otherwise `it.skip` with the reason in the test name, or — with
 * INTEROP_REQUIRED — a test that fails with the reason.
 */
export function itWith(probe: ClientProbe): InteropIt {
  if (!probe.problem) return (name, fn, timeout) => it(name, fn, timeout);
  const why = `${probe.name} is missing (${probe.problem}); install: ${probe.install}`;
  if (INTEROP_REQUIRED) {
    return (name) =>
      it(name, () => {
        throw new Error(`INTEROP_REQUIRED is set but ${why}`);
      });
  }
  let warned = false;
  return (name) => {
    if (!warned) {
      warned = true;
      // eslint-disable-next-line no-console
      console.warn(`interop: skipping ${probe.name} tests: ${why} (set INTEROP_REQUIRED=1 to make this an error)`);
    }
    it.skip(`${name} [skipped: ${probe.name} missing]`, () => undefined);
  };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never rejects for a non-zero exit. */
export function execFileResult(command: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 10 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' } }, (error, stdout, stderr) => {
      if (error && typeof (error as { code?: unknown }).code !== 'number') return reject(error);
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}
