/**
 * What every benchmark server and load generator agrees on: the endpoint, the users, the realm.
 * All variants run the same user callback (`checkUser`) so only the auth layer around it differs.
 */
import { createHash } from 'node:crypto';

export const PATH = '/hello';
export const BODY = { hello: 'world' } as const;
export const REALM = 'Users';

export const USER = 'john';
export const PASSWORD = 'hello';
export const WRONG_PASSWORD = 'wrong';
export const TOKEN = 'bench-token-3f9a1c';

/** In-memory user table: a handful of users, so a lookup is a real Map lookup. */
export const USERS: ReadonlyMap<string, string> = new Map([
  [USER, PASSWORD],
  ['susan', 'bye'],
  ['admin', 'admin-secret'],
]);
export const TOKENS: ReadonlyMap<string, string> = new Map([[TOKEN, USER]]);

/** The in-memory password check all Basic variants run. */
export function checkUser(username: string, password: string): boolean {
  const stored = USERS.get(username);
  return stored !== undefined && stored === password;
}

/**
 * werkzeug 3.1.8 `generate_password_hash('hello')` (scrypt, N=32768, r=8, p=1), produced by
 * Python, so the scrypt variants check a hash written by werkzeug itself.
 */
export const WERKZEUG_SCRYPT_HELLO =
  'scrypt:32768:8:1$bR0RCNjg20NpSb16$625a1fd660dd33335e1a60b7eba092de261e435f7e5b83f77a01aa6ab6bc3213c0c41cfb6750caeca488df84a871fc972692192a00e49f218417098b471a2562';

/** Users of the scrypt servers: `john` plus `user0`…`user199` (for the 200-logins test), all with password `hello`. */
export const SCRYPT_USERS: ReadonlyMap<string, string> = new Map([
  [USER, WERKZEUG_SCRYPT_HELLO],
  ...Array.from({ length: 200 }, (_, i) => [`user${i}`, WERKZEUG_SCRYPT_HELLO] as [string, string]),
]);

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
