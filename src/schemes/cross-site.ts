/**
 * Whether a request was sent by a page of the server's own origin: what a credential a browser
 * attaches by itself (a cookie) needs before it may change anything. Pure protocol code.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.2.1 (safe methods)
 *
 *   GET, HEAD, OPTIONS and TRACE are safe; every other method is unsafe.
 *
 * @see https://www.w3.org/TR/fetch-metadata/#sec-fetch-site-header
 *
 *   Sec-Fetch-Site = sf-token ; "cross-site" / "same-origin" / "same-site" / "none"
 *
 * @see https://www.rfc-editor.org/rfc/rfc6454#section-7.1
 *
 *   origin              = "Origin:" OWS origin-list-or-null OWS
 *   origin-list-or-null = %x6E %x75 %x6C %x6C / origin-list
 *   serialized-origin   = scheme "://" host [ ":" port ]
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method);

/** What the decision reads of a request; header values as received, `undefined` when absent. */
export interface OriginHeaders {
  readonly secFetchSite: string | undefined;
  readonly origin: string | undefined;
  readonly host: string | undefined;
}

/**
 * The rules of Go's `net/http.CrossOriginProtection`, which browsers make sound:
 * - an `Origin` the app allows: yes;
 * - `Sec-Fetch-Site: same-origin` or `none` (typed in the address bar, a bookmark): yes; any
 *   other value (`same-site`, `cross-site`): no;
 * - no `Sec-Fetch-Site` (a browser older than 2023, or no browser at all): an `Origin` whose host
 *   is the `Host` the request was sent to: yes; any other `Origin` (`null` included): no; no
 *   `Origin` at all: yes, since every browser sends `Origin` with a cross-site request whose
 *   method is unsafe, and a client that sends neither (curl, a server) carries no one else's cookie.
 */
export function isSameOriginRequest(headers: OriginHeaders, allowedOrigins: ReadonlySet<string>): boolean {
  const { secFetchSite, origin, host } = headers;
  if (origin !== undefined && allowedOrigins.has(origin.trim())) return true;
  if (secFetchSite !== undefined) {
    const site = secFetchSite.trim().toLowerCase();
    return site === 'same-origin' || site === 'none';
  }
  if (origin === undefined) return true;
  const originHost = hostOf(origin.trim());
  return originHost !== undefined && host !== undefined && originHost === host.trim().toLowerCase();
}

/** The `host[:port]` of a serialized origin, lower-case; `undefined` for `null` or anything else. */
function hostOf(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  return url.origin === origin.toLowerCase() ? url.host : undefined;
}

/**
 * An origin as a browser serializes it (`https://app.example.com`, `http://localhost:8080`), or
 * `undefined` when the value is not one: a path, a query, credentials, `null`, another scheme.
 */
export function serializedOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  return url.origin;
}
