import type { ServerResponse } from 'node:http';
import { isToken } from '../internal/auth-params';

/**
 * The cookies of `tokens.setCookies(...)`: names and attributes. Given to `createTokenIssuer`
 * (`cookies`), and optionally per call (merged over those).
 * @example
 * ```ts
 * const tokens = createTokenIssuer({ ...keys, cookies: { refreshPath: '/auth', accessCookie: '__Host-access_token' } });
 * ```
 */
export interface IssuerCookieOptions {
  /** The access token's cookie (HttpOnly). @default 'access_token' */
  accessCookie?: string;
  /** The refresh token's cookie (HttpOnly, sent to `refreshPath` only). @default 'refresh_token' */
  refreshCookie?: string;
  /** The CSRF value's cookie, readable by the page's scripts (not HttpOnly). @default 'csrf_token' */
  csrfCookie?: string;
  /** Path of the access and CSRF cookies. @default '/' */
  path?: string;
  /** Path of the refresh cookie: the browser sends it to the refresh route (and below) only. @default '/auth/refresh' */
  refreshPath?: string;
  /** `Domain` attribute; left out by default (the cookies go to this host only, the safest). */
  domain?: string;
  /** `SameSite` attribute of the three cookies. @default 'Lax' */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /**
   * `Secure` attribute: the browser sends the cookies over HTTPS only. `false` (for local HTTP
   * development) is logged as a warning. @default true
   */
  secure?: boolean;
}

/**
 * Where cookies are written: an Express `res` or Node `ServerResponse`, a Koa `ctx` or `ctx.response`.
 * @example
 * ```ts
 * router.post('/auth/token', async (ctx) => { const pair = await tokens.issue(ctx.state.user.name); tokens.setCookies(ctx, pair); ctx.body = pair; });
 * ```
 */
export type CookieTarget =
  | ServerResponse
  | {
      /** The Node response under a Koa `ctx` or `ctx.response`. */
      readonly res: ServerResponse;
    };

export interface CookieConfig {
  readonly accessCookie: string;
  readonly refreshCookie: string;
  readonly csrfCookie: string;
  readonly path: string;
  readonly refreshPath: string;
  readonly domain?: string;
  readonly sameSite: 'Strict' | 'Lax' | 'None';
  readonly secure: boolean;
}

const DEFAULTS: CookieConfig = Object.freeze({
  accessCookie: 'access_token',
  refreshCookie: 'refresh_token',
  csrfCookie: 'csrf_token',
  path: '/',
  refreshPath: '/auth/refresh',
  sameSite: 'Lax',
  secure: true,
});

const OPTIONS = Object.keys(DEFAULTS).concat('domain');

// RFC 6265 §4.1.1: path-value = <any CHAR except CTLs or ";">; spaces and commas are left out too.
const PATH = /^\/[\x21-\x2b\x2d-\x3a\x3c-\x7e]*$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DOMAIN = new RegExp(`^\\.?${LABEL}(?:\\.${LABEL})*$`);
const SAME_SITE: Readonly<Record<string, CookieConfig['sameSite']>> = { strict: 'Strict', lax: 'Lax', none: 'None' };

/** `options` over `base` (the defaults first), checked; throws a TypeError naming the fix. */
export function resolveCookieOptions(options: unknown, base: CookieConfig | undefined, where: string): CookieConfig {
  const fail = (message: string): never => {
    throw new TypeError(`http-auth: ${where}: ${message}`);
  };
  if (options === undefined) return base ?? DEFAULTS;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail('cookie options must be an object such as { refreshPath: "/auth/refresh" }');
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).find((name) => !OPTIONS.includes(name));
  if (unknown !== undefined) fail(`unknown cookie option "${unknown}" (allowed: ${OPTIONS.join(', ')})`);
  const merged: Record<string, unknown> = { ...(base ?? DEFAULTS) };
  for (const [name, value] of Object.entries(o)) if (value !== undefined) merged[name] = value;
  for (const name of ['accessCookie', 'refreshCookie', 'csrfCookie'] as const) {
    if (typeof merged[name] !== 'string' || !isToken(merged[name] as string)) fail(`${name} must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~), e.g. "${DEFAULTS[name]}"`);
  }
  if (new Set([merged.accessCookie, merged.refreshCookie, merged.csrfCookie]).size !== 3) fail('accessCookie, refreshCookie and csrfCookie must be three different names');
  for (const name of ['path', 'refreshPath'] as const) {
    if (typeof merged[name] !== 'string' || !PATH.test(merged[name] as string)) fail(`${name} must be a URL path starting with "/", without spaces, commas or semicolons, e.g. "${DEFAULTS[name]}"`);
  }
  if (merged.domain !== undefined && (typeof merged.domain !== 'string' || !DOMAIN.test(merged.domain))) fail('domain must be a host name such as "example.com"');
  const sameSite = typeof merged.sameSite === 'string' ? SAME_SITE[merged.sameSite.toLowerCase()] : undefined;
  if (!sameSite) fail('sameSite must be "Strict", "Lax" or "None"');
  if (typeof merged.secure !== 'boolean') fail('secure must be true or false');
  // Browsers drop a SameSite=None cookie without Secure.
  if (sameSite === 'None' && merged.secure === false) fail('sameSite "None" needs secure: true (browsers refuse the cookie otherwise)');
  const config = { ...merged, sameSite } as unknown as CookieConfig;
  // Cookie prefixes (RFC 6265bis §4.1.3): browsers refuse a __Secure- cookie without Secure, and
  // a __Host- cookie unless it is Secure, has Path=/ and no Domain.
  const cookies: readonly [string, string][] = [[config.accessCookie, config.path], [config.refreshCookie, config.refreshPath], [config.csrfCookie, config.path]];
  for (const [name, path] of cookies) {
    const lower = name.toLowerCase();
    if ((lower.startsWith('__secure-') || lower.startsWith('__host-')) && !config.secure) fail(`the cookie "${name}" needs secure: true (its prefix says so)`);
    if (lower.startsWith('__host-') && (path !== '/' || config.domain !== undefined)) fail(`the cookie "${name}" needs Path=/ and no domain (its __Host- prefix says so)`);
  }
  return Object.freeze(config);
}

/** One Set-Cookie value. `value` is base64url or a JWT: cookie-octets, no quoting needed. */
export function serializeCookie(name: string, value: string, maxAge: number, path: string, httpOnly: boolean, config: CookieConfig): string {
  let line = `${name}=${value}; Max-Age=${maxAge}`;
  if (config.domain !== undefined) line += `; Domain=${config.domain}`;
  line += `; Path=${path}`;
  // An expired date too, when clearing: for clients that ignore Max-Age.
  if (maxAge === 0) line += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (httpOnly) line += '; HttpOnly';
  if (config.secure) line += '; Secure';
  return `${line}; SameSite=${config.sameSite}`;
}

/**
 * Adds `lines` to the response's `Set-Cookie` field, replacing earlier cookies of the same names
 * (a second `setCookies` in one response wins). Written on the Node response itself: Express's
 * `res` is one, and Koa's `ctx.res` is what Koa sends from; Koa's `ctx.cookies.set` would throw
 * for a Secure cookie on a connection it does not see as TLS (behind a proxy without `app.proxy`).
 */
export function appendSetCookie(target: unknown, names: readonly string[], lines: readonly string[], where: string): void {
  const response = nodeResponse(target);
  if (!response) throw new TypeError(`http-auth: ${where}: the response must be an Express res (or Node ServerResponse), a Koa ctx or ctx.response`);
  if (response.headersSent) throw new TypeError(`http-auth: ${where}: the response was already sent; set the cookies before answering`);
  const existing = response.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  const kept = list.filter((line) => !names.includes(line.slice(0, line.indexOf('=')).trim()));
  response.setHeader('Set-Cookie', [...kept, ...lines]);
}

function nodeResponse(target: unknown): ServerResponse | undefined {
  const isNode = (value: unknown): value is ServerResponse =>
    value !== null && typeof value === 'object' && typeof (value as ServerResponse).setHeader === 'function' && typeof (value as ServerResponse).getHeader === 'function';
  if (isNode(target)) return target;
  if (target !== null && typeof target === 'object' && isNode((target as { res?: unknown }).res)) return (target as { res: ServerResponse }).res;
  return undefined;
}
