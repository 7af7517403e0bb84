import type { JsonObject } from './compact';

/**
 * The scopes a token grants, from `scope` or `scp`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3 (`scope`, as in RFC 8693 §4.2)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 *
 *   scope       = scope-token *( SP scope-token )
 *   scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
 *
 * Providers differ: Entra ID sends `scp` as a space-separated string, Okta `scp` as an array, most
 * others `scope` as a string. Both shapes are read from either claim. Runs of spaces are
 * tolerated (scopes only ever grant, so leniency here cannot let a request through that lacks
 * one); anything that is not a string or an array of non-empty strings without spaces is refused,
 * since a claim that cannot be read must not silently mean "no scopes" or "some scopes".
 *
 * @param claim the claim to read; by default `scope` when present, else `scp`.
 * @returns the scopes (frozen, possibly empty), or `undefined` when the claim is malformed.
 */
export function readScopes(claims: JsonObject, claim?: 'scope' | 'scp'): readonly string[] | undefined {
  const name = claim ?? (claims.scope !== undefined ? 'scope' : 'scp');
  const value = claims[name];
  if (value === undefined) return EMPTY;
  if (typeof value === 'string') return Object.freeze(value.split(' ').filter((scope) => scope !== ''));
  if (Array.isArray(value) && value.every((scope) => typeof scope === 'string' && scope !== '' && !scope.includes(' '))) {
    return Object.freeze([...(value as string[])]);
  }
  return undefined;
}

const EMPTY: readonly string[] = Object.freeze([]);

/** The required scopes `granted` lacks (OAuth's convention: every required scope must be granted). */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((scope) => !granted.includes(scope));
}
