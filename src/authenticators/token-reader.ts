import { assertPlainOptions, configError } from '../config';
import { AuthenticationFailure } from '../errors';
import { isToken } from '../internal/auth-params';
import { isSafeMethod, isSameOriginRequest, serializedOrigin } from '../schemes/cross-site';
import { tokenFromCookie, tokenFromQuery } from '../schemes/token-sources';
import { bearerChallenge } from '../schemes/token';
import { refusalOutcome, type Refusal, type RequestView } from './authenticator';
import { readAuthorization } from './basic';

/**
 * Where a token is read from, for every token scheme (`@TokenAuth`, `@JwtAuth`): the
 * `Authorization` header (or a custom header), a query parameter, a cookie; and what the answer to
 * each source must carry. One reader, so that both schemes refuse cross-site cookies and mark
 * their answers the same way.
 */

/**
 * `@TokenAuth({ cookie: { … } })`: the cookie, and which other sites' pages may use it.
 * @example
 * ```ts
 * @TokenAuth({ cookie: { name: 'session', allowedOrigins: ['https://admin.example.com'] } })
 * class SessionAuth { @VerifyToken() verify(token: string) { return sessions.get(token) ?? null; } }
 * ```
 */
export interface TokenCookieOptions {
  /** The cookie's name. */
  name: string;
  /**
   * Origins (`scheme://host[:port]`) besides the server's own whose pages may send requests with
   * unsafe methods, and open Socket.IO connections, with the cookie. @default []
   */
  allowedOrigins?: readonly string[];
  /**
   * Accept the cookie from any site, unsafe methods included. Only for an app that defends
   * against cross-site request forgery itself (a CSRF token checked on every unsafe route).
   * @default false
   */
  crossSite?: boolean;
}

export interface TokenCookieConfig {
  readonly name: string;
  /** Serialized origins, as browsers send them. */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly crossSite: boolean;
}

export function resolveCookie(value: unknown, where: string): TokenCookieConfig {
  const named = typeof value === 'string' ? { name: value } : value;
  if (named === null || typeof named !== 'object' || Array.isArray(named)) configError(where, 'cookie must name a cookie, e.g. "session", or be { name, allowedOrigins, crossSite }');
  const o = assertPlainOptions(named, ['name', 'allowedOrigins', 'crossSite'], `${where} cookie`);
  if (typeof o.name !== 'string' || !isToken(o.name)) configError(where, 'cookie must name a cookie, e.g. "session"');
  const origins = o.allowedOrigins ?? [];
  if (!Array.isArray(origins)) configError(where, 'cookie.allowedOrigins must be an array of origins, e.g. ["https://admin.example.com"]');
  const allowedOrigins = new Set<string>();
  for (const origin of origins as unknown[]) {
    const serialized = typeof origin === 'string' ? serializedOrigin(origin) : undefined;
    if (serialized === undefined) {
      configError(where, `cookie.allowedOrigins: ${JSON.stringify(origin)} is not an origin; write scheme, host and port only, e.g. "https://admin.example.com"`);
    }
    allowedOrigins.add(serialized);
  }
  if (o.crossSite !== undefined && typeof o.crossSite !== 'boolean') configError(where, 'cookie.crossSite must be true or false');
  return Object.freeze({ name: o.name, allowedOrigins, crossSite: o.crossSite === true });
}

/** Where a token scheme reads its token from: the parts of its options that say so. */
export interface TokenSourceConfig {
  readonly scheme: string;
  /** Lower-case header name, when the token comes from a custom header. */
  readonly header?: string;
  /** That header's name as configured, for `Vary`. */
  readonly headerName?: string;
  readonly query?: string;
  readonly cookie?: TokenCookieConfig;
  readonly proxy: boolean;
}

export type TokenSource = 'authorization' | 'header' | 'query' | 'cookie';

/** A token as sent: `null` when its source is present but unusable (empty, given twice: RFC 6750 §3.1 malformed). */
export interface SentToken {
  readonly token: string | null;
  readonly source: TokenSource;
}

type ResponseHeaders = readonly (readonly [string, string])[];

const frozenHeaders = (...headers: [string, string][]): ResponseHeaders => Object.freeze(headers.map((h) => Object.freeze(h)));

// Cross-site request forgery: a cookie the browser attached to another site's request.
export const CROSS_SITE = refusalOutcome({ status: 403, reason: 'cross-site' });

// The Bearer refusals every reader of `Authorization: Bearer` tokens shares (`@JwtAuth`,
// `@IntrospectionAuth`). RFC 6750 §3.1: a request that sends the token twice, or in two ways, is
// malformed (400).
export const SENT_TWICE = refusalOutcome({
  status: 400,
  bearerError: 'invalid_request',
  reason: 'malformed',
  failure: new AuthenticationFailure('the token was sent more than once', { code: 'token_sent_twice' }),
});
export const MALFORMED = refusalOutcome({ status: 400, bearerError: 'invalid_request', reason: 'malformed' });
/** A `@VerifyClaims` hook that refused (null, false, undefined). */
export const REFUSED_BY_HOOK = refusalOutcome({ status: 401, bearerError: 'invalid_token' });

/**
 * The `Bearer` challenges of a refusal for the OAuth classes (`@JwtAuth`, `@IntrospectionAuth`):
 * 403 `insufficient_scope` with the missing scopes (none for a cross-site cookie: no token would
 * fix it); otherwise the refusal's error, none when no credentials were sent (RFC 6750 §3.1), and
 * the RFC 9728 metadata URL on a 401.
 */
export function oauthBearerChallenges(realm: string, resourceMetadata: string | undefined): (refusal: Refusal) => string[] {
  return (refusal) => {
    if (refusal.status === 403) {
      if (refusal.reason === 'cross-site') return [bearerChallenge({ scheme: 'Bearer', realm })];
      return [bearerChallenge({ scheme: 'Bearer', realm, error: 'insufficient_scope', description: refusal.failure?.message, scope: refusal.scope })];
    }
    return [
      bearerChallenge({ scheme: 'Bearer', realm, error: refusal.bearerError, description: refusal.failure?.message, resourceMetadata: refusal.status === 401 ? resourceMetadata : undefined }),
    ];
  };
}

export interface TokenReader {
  /** The first source present decides: header, then query parameter, then cookie. */
  read(request: RequestView): SentToken | undefined;
  /** Every source present, in that order: a token sent in two of them is malformed for `@JwtAuth`. */
  sources(request: RequestView): readonly SentToken[];
  /**
   * Whether a cookie token may be used for this request: safe methods (both the dispatched one and
   * the one on the request line, so a method override cannot turn a form's POST safe) and
   * requests from the server's own origin or an allowed one. A Socket.IO handshake is unsafe.
   */
  cookieUsable(request: RequestView): boolean;
  /** What the answer to a token from this source must carry, so that no shared cache keeps or mixes it. */
  headersFor(source: TokenSource): ResponseHeaders | undefined;
}

export function createTokenReader(config: TokenSourceConfig): TokenReader {
  const { scheme, header } = config;

  /** From the header: `undefined` when nothing was sent, `null` when what was sent is malformed. */
  const fromHeader = (request: RequestView): string | null | undefined => {
    if (header) {
      const value = request.header(header)?.trim();
      return value ? value : undefined;
    }
    const sent = readAuthorization(request, scheme, config.proxy);
    if (!sent.present) return undefined;
    return sent.malformed || sent.rest === '' ? null : sent.rest;
  };
  const fromQuery = (request: RequestView) => (config.query === undefined ? undefined : tokenFromQuery(request.url, config.query));
  const fromCookie = (request: RequestView) => (config.cookie === undefined ? undefined : tokenFromCookie(request.header('cookie'), config.cookie.name));

  const headers: { readonly [S in TokenSource]?: ResponseHeaders } = {
    // RFC 6750 §2.3: a token in the URL must not let shared caches keep the answer, nor leak in Referer.
    query: frozenHeaders(['Cache-Control', 'private'], ['Referrer-Policy', 'no-referrer']),
    cookie: frozenHeaders(['Cache-Control', 'private'], ['Vary', 'Cookie']),
    ...(config.headerName ? { header: frozenHeaders(['Cache-Control', 'private'], ['Vary', config.headerName]) } : {}),
  };

  return {
    read(request) {
      const sent = fromHeader(request);
      if (sent !== undefined) return { token: sent, source: header ? 'header' : 'authorization' };
      const inQuery = fromQuery(request);
      if (inQuery !== undefined) return { token: inQuery, source: 'query' };
      const inCookie = fromCookie(request);
      return inCookie === undefined ? undefined : { token: inCookie, source: 'cookie' };
    },
    sources(request) {
      const found: SentToken[] = [];
      const sent = fromHeader(request);
      if (sent !== undefined) found.push({ token: sent, source: header ? 'header' : 'authorization' });
      const inQuery = fromQuery(request);
      if (inQuery !== undefined) found.push({ token: inQuery, source: 'query' });
      const inCookie = fromCookie(request);
      if (inCookie !== undefined) found.push({ token: inCookie, source: 'cookie' });
      return found;
    },
    cookieUsable(request) {
      const cookie = config.cookie!;
      if (cookie.crossSite) return true;
      if (request.namespace === undefined && isSafeMethod(request.method) && isSafeMethod(request.requestLineMethod)) return true;
      return isSameOriginRequest(
        { secFetchSite: request.header('sec-fetch-site'), origin: request.header('origin'), host: request.header('host') ?? request.header(':authority') },
        cookie.allowedOrigins,
      );
    },
    headersFor: (source) => headers[source],
  };
}
