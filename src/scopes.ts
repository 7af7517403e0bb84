import { entryForMethod, isPlainObject, resolveMethodMap } from './roles';
import type { MethodScopeSpec, ScopeSpec } from './types';

/**
 * `@LoginRequired({ scope })`: OAuth 2.0 scopes a token must have been granted. A list means all of
 * them (the OAuth convention, unlike `role`, where a list means any of them).
 */

/** A scope requirement after validation: the same for every method, or chosen per HTTP method. */
export type ResolvedScope =
  | { readonly perMethod: false; readonly scopes: readonly string[] }
  | { readonly perMethod: true; readonly byMethod: ReadonlyMap<string, readonly string[]> };

const fail = (where: string, what: string): never => {
  throw new TypeError(`http-auth: ${where}: ${what}`);
};

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function toScopes(spec: unknown, where: string): readonly string[] {
  const list = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(list) || list.length === 0) return fail(where, "scope must be a scope, an array of scopes (all of them required) or an object keyed by HTTP method, e.g. 'articles:write'");
  for (const scope of list) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      fail(where, `scope ${JSON.stringify(scope)} is not a scope token (RFC 6749 §3.3: printable ASCII without spaces, " or \\)`);
    }
  }
  return Object.freeze([...new Set(list as string[])]);
}

/** Validates a scope option once, when it is declared, and freezes the result. */
export function resolveScope(spec: ScopeSpec | MethodScopeSpec, where: string): ResolvedScope {
  if (typeof spec === 'string' || Array.isArray(spec)) return Object.freeze({ perMethod: false, scopes: toScopes(spec, where) });
  if (!isPlainObject(spec)) return fail(where, 'scope must be a scope, an array of scopes, or an object keyed by HTTP method');
  return Object.freeze({ perMethod: true, byMethod: resolveMethodMap(spec, where, 'scope', toScopes) });
}

/** The scopes a request method needs, or `undefined` when the method has no entry and no `'*'` (denied). */
export function scopesForMethod(scope: ResolvedScope, method: string): readonly string[] | undefined {
  return scope.perMethod ? entryForMethod(scope.byMethod, method) : scope.scopes;
}

/** Every scope a requirement names, for `scopes_supported` and documents. */
export function scopesNamedBy(scope: ResolvedScope | undefined): readonly string[] {
  if (!scope) return [];
  return scope.perMethod ? [...scope.byMethod.values()].flat() : scope.scopes;
}

/** A value equal for equal requirements (see `roleKey`). */
export function scopeKey(scope: ResolvedScope | undefined): unknown {
  if (!scope) return null;
  return scope.perMethod ? { byMethod: [...scope.byMethod].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) } : { scopes: scope.scopes };
}
