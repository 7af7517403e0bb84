/**
 * The claims an issued access token carries besides the app's own, and the checks on what the
 * app and the client give.
 *
 * RFC 9068 §2.2 (the JWT profile for OAuth 2.0 access tokens): `iss`, `exp`, `aud`, `sub`,
 * `client_id`, `iat`, `jti` (and `scope` when granted). Added here: `sid` (the login the token
 * descends from, for revocation), `fresh` (issued by a login, not by a refresh), `csrf` (the
 * double-submit value of the cookie flow).
 */

/**
 * Claims the issuer sets: `claims` cannot override them. Besides the registered ones, `scp` (read
 * as scopes by verifiers when `scope` is absent: a custom `scp` would grant scopes), `cnf`
 * (RFC 7800 key binding), and `act` / `may_act` (RFC 8693 delegation) are refused too.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope', 'scp', 'sid', 'fresh', 'csrf', 'cnf', 'act', 'may_act',
]);

/** The JSON of the app's claims is bounded: the token travels in every request (and in a 4 KiB cookie). */
export const MAX_CLAIMS_BYTES = 2048;
const MAX_DEPTH = 8;

export function checkSubject(value: unknown, where: string): string {
  // Flask-JWT-Extended 4.7 began refusing non-string `sub` values (RFC 7519 §4.1.2: a StringOrURI)
  // after years of issuing them: refusing at issue time keeps every token valid everywhere.
  if (typeof value !== 'string') throw new TypeError(`http-auth: ${where}: the subject must be a string (RFC 7519 "sub"), got ${value === null ? 'null' : typeof value}; convert ids with String(id)`);
  if (value === '' || value.length > 1024) throw new TypeError(`http-auth: ${where}: the subject must be a non-empty string of at most 1024 characters`);
  return value;
}

/** The app's claims as JSON (`''` for none), after checking every name and value. */
export function customClaims(value: unknown, where: string): string {
  if (value === undefined) return '';
  if (!isPlainObject(value)) throw new TypeError(`http-auth: ${where}: claims must be a plain object such as { roles: ['admin'] }`);
  const reserved = Object.keys(value).find((name) => RESERVED_CLAIMS.has(name));
  if (reserved !== undefined) throw new TypeError(`http-auth: ${where}: claims cannot set "${reserved}": the issuer sets it (reserved: ${[...RESERVED_CLAIMS].join(', ')}); use the issue options (scope, fresh, clientId) or another claim name`);
  checkJson(value, 0, where);
  if (Object.keys(value).length === 0) return '';
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > MAX_CLAIMS_BYTES) throw new TypeError(`http-auth: ${where}: claims take more than ${MAX_CLAIMS_BYTES} bytes of JSON; keep the token small (look large data up by sub)`);
  return json;
}

function checkJson(value: unknown, depth: number, where: string): void {
  if (depth > MAX_DEPTH) throw new TypeError(`http-auth: ${where}: claims nest deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`http-auth: ${where}: claims contain a number JSON cannot carry (${String(value)})`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((item) => checkJson(item, depth + 1, where));
  if (isPlainObject(value)) return Object.values(value).forEach((item) => checkJson(item, depth + 1, where));
  throw new TypeError(`http-auth: ${where}: claims must hold JSON values only (strings, numbers, booleans, null, arrays, plain objects), not ${typeof value === 'object' ? 'a ' + ((value as object).constructor?.name ?? 'object') : 'a ' + typeof value}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * scope = scope-token *( SP scope-token )
 * scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_SCOPE_CHARS = 4096;

/**
 * Scopes given as a space-separated string or an array of scope tokens, deduplicated in order;
 * `undefined` when `value` is not one (the caller decides: TypeError for the app, `invalid_scope`
 * for a client).
 */
export function parseScope(value: unknown): readonly string[] | undefined {
  const list = typeof value === 'string' ? value.split(' ').filter((token) => token !== '') : value;
  if (!Array.isArray(list)) return undefined;
  if (list.reduce((length: number, token: unknown) => length + (typeof token === 'string' ? token.length + 1 : 0), 0) > MAX_SCOPE_CHARS) return undefined;
  if (!list.every((token) => typeof token === 'string' && SCOPE_TOKEN.test(token))) return undefined;
  return Object.freeze([...new Set(list as string[])]);
}
