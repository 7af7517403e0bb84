import type { HookRequest } from '../types';
import { resolveFileOptions, type PasswordFileOptions } from './options';
import { FileParseError, FileSet, type PathSource } from './watched-file';

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
 * class FileUsers { @GetPassword() ha1(username: string) { return ha1s.ha1(username, 'api'); } }
 * ```
 */
export interface Htdigest<R = HookRequest> {
  /**
   * The stored MD5 HA1 = MD5(username:realm:password), or `undefined` for an unknown user or
   * realm. `request` picks the file when the path is a function of the request.
   */
  ha1(username: string, realm: string, request?: R): Promise<string | undefined>;
  /** Stops watching every file. */
  close(): void;
}

type Parsed = ReadonlyMap<string, string>;

const SEPARATOR = '\u0000';

/**
 * Reads an Apache `htdigest` file (`username:realm:HA1` lines, MD5). `path` may be a function of
 * the request, for a file per tenant; files are reloaded as `htpasswd()` does.
 * @example
 * const digestUsers = htdigest('/etc/app/users.htdigest');
 * @DigestAuth({ realm: 'api', useHa1Password: true }) class DigestUsers {
 *   @GetPassword() ha1(username: string, algorithm: DigestAlgorithm) { return algorithm === 'MD5' ? digestUsers.ha1(username, 'api') : undefined; }
 * }
 */
export function htdigest<R = HookRequest>(path: PathSource<R>, options?: HtdigestOptions): Htdigest<R> {
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

  const files = new FileSet<Parsed, R>(path, { ...resolved, parse, empty: new Map(), what: 'htdigest' }, resolved.maxFiles);

  return Object.freeze({
    async ha1(username: string, realm: string, request?: R): Promise<string | undefined> {
      const entries = await files.get(request);
      return entries.get(`${username}${SEPARATOR}${realm}`);
    },
    close: () => files.close(),
  });
}
