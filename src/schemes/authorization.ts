import { isTchar } from '../internal/auth-params';

/**
 * Splits an `Authorization` field value into its scheme and the rest.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.4
 *
 *   credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-scheme = token
 *
 * Returns `undefined` when the value does not start with a token followed by end or spaces.
 */
export function splitAuthorization(value: string | undefined): { scheme: string; rest: string } | undefined {
  if (value === undefined) return undefined;
  // A scan rather than a regular expression: this runs on every request.
  const trimmed = value.trim();
  let end = 0;
  while (end < trimmed.length && isTchar(trimmed.charCodeAt(end))) end++;
  if (end === 0) return undefined;
  if (end === trimmed.length) return { scheme: trimmed, rest: '' };
  const separator = trimmed.charCodeAt(end);
  if (separator !== 0x20 && separator !== 0x09) return undefined;
  return { scheme: trimmed.slice(0, end), rest: trimmed.slice(end).trim() };
}

/** Scheme names are case-insensitive (RFC 9110 §11.1). */
export function sameScheme(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
