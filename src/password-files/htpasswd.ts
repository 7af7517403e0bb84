import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import apacheMd5 from 'apache-md5';
import apacheCrypt from 'apache-crypt';
import type { LimitedLog } from '../internal/log';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import type { HookRequest } from '../types';
import { FileSet } from './file-set';
import { resolveFileOptions, type PasswordFileOptions } from './options';
import { FileParseError } from './watched-file';

/**
 * Options of `htpasswd()`.
 * @example
 * ```ts
 * const legacy = htpasswd('/etc/app/legacy.htpasswd', { allowPlain: true });
 * ```
 */
export interface HtpasswdOptions extends PasswordFileOptions {
  /**
   * Accept plain-text entries (`htpasswd -p`). Off by default: anyone who reads the file has the
   * passwords. Without it such users are refused, and the file's load logs one line saying so.
   */
  allowPlain?: boolean;
}

/**
 * An Apache password file, kept current; use it inside `@VerifyPassword`.
 * @example
 * ```ts
 * const file: Htpasswd = htpasswd('/etc/app/users.htpasswd');
 * @BasicAuth()
 * class FileUsers { @VerifyPassword() async verify(u: string, p: string, r: HookRequest) { return (await file.verify(u, p, r)) ? u : null; } }
 * ```
 */
export interface Htpasswd<R = HookRequest> {
  /**
   * Whether the file has this user with this password; the file is loaded on first use. Pass the
   * hook's `request`: it picks the file when the path is a function of the request, and links
   * the file to the app, whose logger it then uses and whose cached logins of a changed or
   * removed user it forgets on reload.
   */
  verify(username: string, password: string, request?: R): Promise<boolean>;
  /** Stops watching every file (e.g. on shutdown or in tests). */
  close(): void;
}

type Format = 'bcrypt' | 'apr1' | 'sha1' | 'crypt' | 'plain';
interface Entry {
  readonly format: Format;
  readonly hash: string;
}
interface Parsed {
  readonly users: ReadonlyMap<string, Entry>;
  /** Checked for an unknown user, so that costs what a known user of the file costs. */
  readonly standIn: Entry | undefined;
}

// What Apache's htpasswd writes (apr_password_validate reads the same prefixes).
const FORMATS: readonly (readonly [Format, RegExp])[] = [
  ['bcrypt', /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/],
  ['apr1', /^\$apr1\$[./0-9A-Za-z]{0,8}\$[./0-9A-Za-z]{22}$/],
  ['sha1', /^\{SHA\}[A-Za-z0-9+/]{27}=$/],
  // crypt(3) DES: 2 salt characters and 11 of hash. A 13-character plain-text password of these
  // characters is read as a DES hash, as Apache does on Unix.
  ['crypt', /^[./0-9A-Za-z]{13}$/],
];
// How costly a check of each format is: the stand-in for unknown users is the costliest entry.
const RANK: Readonly<Record<Format, number>> = { bcrypt: 4, apr1: 3, crypt: 2, sha1: 1, plain: 0 };
const bcryptRounds = (hash: string): number => Number(hash.slice(4, 6));
const costlier = (a: Entry, b: Entry | undefined): boolean =>
  b === undefined || RANK[a.format] > RANK[b.format] || (a.format === 'bcrypt' && b.format === 'bcrypt' && bcryptRounds(a.hash) > bcryptRounds(b.hash));

/**
 * Checked for a tenant without a file before any file of the set was loaded: bcrypt at cost 5,
 * the cost `htpasswd -B` uses by default. Its password is random and was never kept.
 */
const DEFAULT_STAND_IN: Entry = Object.freeze({ format: 'bcrypt', hash: '$2y$05$MtdI41RbarkeRJ2T6f59hubnTugRBNCO02p4o.FiKbyqU8S7gmn0G' });

function formatOf(hash: string, line: number): Format {
  for (const [format, pattern] of FORMATS) if (pattern.test(hash)) return format;
  if (/^(\$2[aby]?\$|\$apr1\$|\{SHA\})/.test(hash)) throw new FileParseError(line, 'a malformed bcrypt, APR1-MD5 or {SHA} hash');
  if (/^\$[0-9a-z]+\$/.test(hash)) throw new FileParseError(line, `a hash format htpasswd() does not read (${hash.slice(0, hash.indexOf('$', 1) + 1)})`);
  return 'plain';
}

async function matches(entry: Entry, password: string): Promise<boolean> {
  switch (entry.format) {
    case 'bcrypt':
      return bcrypt.compare(password, entry.hash);
    case 'apr1':
      return timingSafeEqual(apacheMd5(password, entry.hash), entry.hash);
    case 'crypt':
      // DES reads only the first 8 characters of a password: a property of the format.
      return timingSafeEqual(apacheCrypt(password, entry.hash), entry.hash);
    case 'sha1':
      return timingSafeEqual(`{SHA}${createHash('sha1').update(password, 'utf8').digest('base64')}`, entry.hash);
    case 'plain':
      return timingSafeEqual(password, entry.hash);
  }
}

/**
 * Reads an Apache `htpasswd` file: bcrypt (`-B`), APR1-MD5 (`-m`, the default), SHA-1 (`-s`),
 * crypt(3) DES (`-d`) and, with `allowPlain`, plain text (`-p`). The file is loaded once,
 * reloaded when it changes; a file that no longer parses keeps its last good version, a deleted
 * one refuses everyone.
 * @see [Apache password files](../../docs/password-files.md)
 * @example
 * const users = htpasswd('/etc/app/users.htpasswd');
 * @BasicAuth() class FileUsers {
 *   @VerifyPassword() verify(username: string, password: string, request: HookRequest) { return users.verify(username, password, request); }
 * }
 */
export function htpasswd<R = HookRequest>(path: string, options?: HtpasswdOptions): Htpasswd<R>;
/**
 * A file per tenant: `fileName` returns one file name in `options.root` for the request.
 * @see [Apache password files](../../docs/password-files.md)
 * @example
 * const users = htpasswd((request) => `${tenantOf(request)}.htpasswd`, { root: '/etc/app/tenants' });
 * @BasicAuth() class TenantUsers {
 *   @VerifyPassword() verify(username: string, password: string, request: HookRequest) { return users.verify(username, password, request); }
 * }
 */
export function htpasswd<R = HookRequest>(fileName: (request: R) => string, options: HtpasswdOptions & { root: string }): Htpasswd<R>;
export function htpasswd<R = HookRequest>(path: string | ((request: R) => string), options?: HtpasswdOptions): Htpasswd<R> {
  const where = 'htpasswd()';
  const resolved = resolveFileOptions(path, options, ['allowPlain'], where);
  const allowPlain = options?.allowPlain ?? false;
  if (typeof allowPlain !== 'boolean') throw new TypeError(`http-auth: ${where}: allowPlain must be true or false`);
  // The costliest stand-in of the files loaded so far: what a tenant without a file costs.
  let costliest: Entry | undefined;

  const parse = (text: string, file: string, log: LimitedLog): Parsed => {
    const users = new Map<string, Entry>();
    let plainRefused = 0;
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new FileParseError(index + 1, 'expected "username:hash"');
      const username = line.slice(0, colon);
      // Apache reads the hash up to the next colon: anything after it is a comment field.
      const rest = line.slice(colon + 1);
      const hash = rest.includes(':') ? rest.slice(0, rest.indexOf(':')) : rest;
      if (hash === '') throw new FileParseError(index + 1, 'an empty hash');
      const format = formatOf(hash, index + 1);
      if (format === 'plain' && !allowPlain) plainRefused++;
      // Apache uses a user's first line.
      if (!users.has(username)) users.set(username, { format, hash });
    });
    if (plainRefused > 0) {
      log.warn('plain', `http-auth: htpasswd ${file} has ${plainRefused} plain-text entr${plainRefused === 1 ? 'y' : 'ies'}, refused; rewrite them with htpasswd -B (or set allowPlain: true)`);
    }
    const usable = [...users.values()].filter((e) => e.format !== 'plain' || allowPlain);
    const standIn = usable.reduce<Entry | undefined>((best, entry) => (costlier(entry, best) ? entry : best), undefined);
    if (standIn && costlier(standIn, costliest)) costliest = standIn;
    return { users, standIn };
  };

  const changedUsers = (before: Parsed, after: Parsed): ReadonlySet<string> => {
    const changed = new Set<string>();
    for (const [name, entry] of before.users) if (after.users.get(name)?.hash !== entry.hash) changed.add(name);
    return changed;
  };

  const files = new FileSet<Parsed, R>(path, { what: 'htpasswd', parse, empty: { users: new Map(), standIn: undefined }, changedUsers }, resolved);

  return Object.freeze({
    async verify(username: string, password: string, request?: R): Promise<boolean> {
      if (typeof username !== 'string' || typeof password !== 'string') return false;
      const { users, standIn } = await files.get(request);
      const entry = users.get(username);
      if (!entry || (entry.format === 'plain' && !allowPlain)) {
        // The answer is thrown away: this only makes an unknown user, or a tenant without a file,
        // cost what a known user does.
        await matches(standIn ?? costliest ?? DEFAULT_STAND_IN, password);
        return false;
      }
      return matches(entry, password);
    },
    close: () => files.close(),
  });
}
