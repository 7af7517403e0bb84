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
  const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]+([\s\S]*))?$/.exec(value.trim());
  if (!match) return undefined;
  return { scheme: match[1], rest: (match[2] ?? '').trim() };
}

/** Scheme names are case-insensitive (RFC 9110 §11.1). */
export function sameScheme(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
