import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's apache2-utils: installed by .ci/run; a local machine without it skips these tests, CI never does. */
const installed = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
export const HAVE_APACHE_UTILS = installed('htpasswd') && installed('htdigest');
export const describeWithApacheUtils = HAVE_APACHE_UTILS || process.env.CI ? describe : describe.skip;

/** `htpasswd -b [-c] <flag> file user password`: the file as Apache's own tool writes it. */
export function htpasswdTool(file: string, flag: '-B' | '-m' | '-s' | '-d' | '-p', user: string, password: string, create = false): void {
  // -C 4: the lowest bcrypt cost htpasswd accepts, to keep the suite quick.
  const args = [...(create ? ['-c'] : []), '-b', flag, ...(flag === '-B' ? ['-C', '4'] : []), file, user, password];
  execFileSync('htpasswd', args, { stdio: 'pipe' });
}

/** `htdigest [-c] file realm user`, answering its two password prompts on stdin. */
export function htdigestTool(file: string, realm: string, user: string, password: string, create = false): void {
  execFileSync('htdigest', [...(create ? ['-c'] : []), file, realm, user], { input: `${password}\n${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh directory per test, removed afterwards. */
export function tempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-auth-files-'));
    made.push(dir);
    return dir;
  };
}

/** Polls until `check` holds (file watching is asynchronous); fails after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
