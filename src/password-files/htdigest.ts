import type { HookRequest } from '../types';
import { FileSet } from './file-set';
import { resolveFileOptions, type PasswordFileOptions } from './options';
import { FileParseError } from './watched-file';

/**
 * Options of `htdigest()`: those every password file takes.
 * @example
 * ```ts
 * const ha1s = htdigest('/etc/app/users.htdigest', { checkIntervalMs: 5000 });
 * ```
 */
export type HtdigestOptions = PasswordFileOptions;

/**
 * An Apache digest password file, kept current; use it inside `@GetPassword` with `useHa1Password: true`.
 * @example
 * ```ts
 * const ha1s: Htdigest = htdigest('/etc/app/users.htdigest');
 * @DigestAuth({ realm: 'api', useHa1Password: true })
 * class FileUsers { @GetPassword() ha1(username: string, algorithm: DigestAlgorithm, request: HookRequest) { return ha1s.ha1(username, 'api', request); } }
 * ```
 */
export interface Htdigest<R = HookRequest> {
  /**
   * The stored MD5 HA1 = MD5(username:realm:password), or `undefined` for an unknown user or
   * realm. Pass the hook's `request`: it picks the file when the path is a function of the
   * request, and links the file to the app, whose logger it then uses.
   */
  ha1(username: string, realm: string, request?: R): Promise<string | undefined>;
  /** Stops watching every file. */
  close(): void;
}

type Parsed = ReadonlyMap<string, string>;

const SEPARATOR = '\u0000';

/**
 * Reads an Apache `htdigest` file (`username:realm:HA1` lines, MD5), reloaded as `htpasswd()`'s.
 * @see [Apache password files](../../docs/password-files.md)
 * @example
 * const digestUsers = htdigest('/etc/app/users.htdigest');
 * @DigestAuth({ realm: 'api', useHa1Password: true }) class DigestUsers {
 *   @GetPassword() ha1(username: string, algorithm: DigestAlgorithm, request: HookRequest) { return algorithm === 'MD5' ? digestUsers.ha1(username, 'api', request) : undefined; }
 * }
 */
export function htdigest<R = HookRequest>(path: string, options?: HtdigestOptions): Htdigest<R>;
/**
 * A file per tenant: `fileName` returns one file name in `options.root` for the request.
 * @see [Apache password files](../../docs/password-files.md)
 * @example
 * const digestUsers = htdigest((request) => `${tenantOf(request)}.htdigest`, { root: '/etc/app/tenants' });
 */
export function htdigest<R = HookRequest>(fileName: (request: R) => string, options: HtdigestOptions & { root: string }): Htdigest<R>;
export function htdigest<R = HookRequest>(path: string | ((request: R) => string), options?: HtdigestOptions): Htdigest<R> {
  const resolved = resolveFileOptions(path, options, [], 'htdigest()');

  const parse = (text: string): Parsed => {
    const entries = new Map<string, string>();
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const match = /^([^:]+):([^:]*):([0-9a-fA-F]{32})$/.exec(line);
      if (!match) throw new FileParseError(index + 1, 'expected "username:realm:32 hex digits of MD5"');
      const key = `${match[1]}${SEPARATOR}${match[2]}`;
      if (!entries.has(key)) entries.set(key, match[3].toLowerCase());
    });
    return entries;
  };

  const changedUsers = (before: Parsed, after: Parsed): ReadonlySet<string> => {
    const changed = new Set<string>();
    for (const [key, ha1] of before) if (after.get(key) !== ha1) changed.add(key.slice(0, key.indexOf(SEPARATOR)));
    return changed;
  };

  const files = new FileSet<Parsed, R>(path, { what: 'htdigest', parse, empty: new Map(), changedUsers }, resolved);

  return Object.freeze({
    // A tenant without a file and an unknown user both end in the same lookup: the Digest flow
    // then checks a stand-in HA1, so neither costs less than a known user.
    async ha1(username: string, realm: string, request?: R): Promise<string | undefined> {
      const entries = await files.get(request);
      return entries.get(`${username}${SEPARATOR}${realm}`);
    },
    close: () => files.close(),
  });
}
