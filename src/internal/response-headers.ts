/**
 * Response headers an authentication adds to what the app (or a middleware before it) already set:
 * `Vary` is a list to extend (a CORS middleware's `Origin` must stay), and `Cache-Control: private`
 * must never weaken a stricter `no-store`.
 */

/** A Node `ServerResponse`, or the collector of a Socket.IO handshake. */
export interface HeaderSink {
  setHeader(name: string, value: string | readonly string[]): unknown;
  getHeader?(name: string): unknown;
}

const listOf = (value: unknown): string[] => {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
};

/** Sets one header of an admission, merged with the value already there where it is a list. */
export function addResponseHeader(response: HeaderSink, name: string, value: string): void {
  const lower = name.toLowerCase();
  if (lower !== 'vary' && lower !== 'cache-control') {
    response.setHeader(name, value);
    return;
  }
  const existing = listOf(typeof response.getHeader === 'function' ? response.getHeader(name) : undefined);
  if (lower === 'vary') {
    // `*` already varies on everything.
    if (existing.includes('*') || existing.some((item) => item.toLowerCase() === value.toLowerCase())) return;
    response.setHeader(name, [...existing, value].join(', '));
    return;
  }
  // Cache-Control `no-store` (a DPoP-Nonce answer): it replaces `public` and `private`.
  if (value.toLowerCase() === 'no-store') {
    const others = existing.filter((item) => !/^(?:public|private|no-store)$/i.test(item));
    response.setHeader(name, ['no-store', ...others].join(', '));
    return;
  }
  // Cache-Control: otherwise only `private` is ever added; `public` is what it overrides.
  const directives = existing.filter((item) => item.toLowerCase() !== 'public');
  if (directives.some((item) => /^(?:private|no-store)$/i.test(item))) {
    if (directives.length !== existing.length) response.setHeader(name, directives.join(', '));
    return;
  }
  response.setHeader(name, [value, ...directives].join(', '));
}
