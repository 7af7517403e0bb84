/**
 * Where else a bearer token may travel than the `Authorization` header.
 *
 * A result of `undefined` means the source is absent, `null` that it is present but unusable
 * (empty, or given twice): a malformed request in RFC 6750 §3.1's terms.
 */

/**
 * The token in a query parameter (RFC 6750 §2.3: `access_token`, form-urlencoded).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.3
 *
 *   GET /resource?access_token=mF_9.B5f-4.1JqM HTTP/1.1
 *
 * A parameter given twice is refused (§3.1: "includes the same parameter more than once").
 */
export function tokenFromQuery(url: string, name: string): string | null | undefined {
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  const end = url.indexOf('#', start);
  const values = new URLSearchParams(url.slice(start + 1, end < 0 ? undefined : end)).getAll(name);
  if (values.length === 0) return undefined;
  return values.length === 1 && values[0] !== '' ? values[0] : null;
}

/**
 * The value of a cookie in a `Cookie` header.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-4.2.1
 *
 *   cookie-string = cookie-pair *( ";" SP cookie-pair )
 *   cookie-pair   = cookie-name "=" cookie-value
 *   cookie-value  = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
 *
 * Parsed leniently about spaces, as browsers send it. With several cookies of that name (set for
 * different paths) the first is taken: user agents send the one with the longest path first
 * (RFC 6265 §5.4).
 */
export function tokenFromCookie(header: string | undefined, name: string): string | null | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value === '' ? null : value;
  }
  return undefined;
}
