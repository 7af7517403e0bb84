import type { MethodRoleSpec, RoleSpec } from './types';

/** Alternatives, each a list of roles that must all be held: `[['a'], ['b', 'c']]` = a, or b and c. */
export type RoleGroups = readonly (readonly string[])[];

/** A role requirement after validation: the same for every method, or chosen per HTTP method. */
export type ResolvedRole =
  | { readonly perMethod: false; readonly groups: RoleGroups }
  | { readonly perMethod: true; readonly byMethod: ReadonlyMap<string, RoleGroups> };

const fail = (where: string, what: string): never => {
  throw new TypeError(`http-auth: ${where}: ${what}`);
};

function toGroups(spec: unknown, where: string): RoleGroups {
  if (typeof spec === 'string') {
    if (spec === '') fail(where, 'a role must be a non-empty string');
    return Object.freeze([Object.freeze([spec])]);
  }
  if (!Array.isArray(spec)) return fail(where, 'role must be a string, an array of roles, or an object keyed by HTTP method');
  const groups = spec.map((entry: unknown) => {
    if (typeof entry === 'string' && entry !== '') return Object.freeze([entry]);
    if (Array.isArray(entry) && entry.length > 0 && entry.every((r) => typeof r === 'string' && r !== '')) {
      return Object.freeze([...(entry as string[])]);
    }
    return fail(where, 'each role entry must be a non-empty string or a non-empty array of strings (all of them required)');
  });
  return Object.freeze(groups);
}

const METHOD_KEY = /^(?:\*|[A-Za-z]+)$/;

/**
 * A requirement given per HTTP method (`{ GET: …, '*': … }`), validated: keys are methods or `'*'`,
 * case-insensitive, each once; `resolveValue` checks each value. Shared by `role` and `scope`.
 */
export function resolveMethodMap<T>(
  spec: Record<string, unknown>,
  where: string,
  name: string,
  resolveValue: (value: unknown, where: string) => T,
  /** What to write instead of an empty map, when a value can say "nobody". */
  nobody = '',
): ReadonlyMap<string, T> {
  const byMethod = new Map<string, T>();
  for (const [key, value] of Object.entries(spec)) {
    if (!METHOD_KEY.test(key)) fail(where, `${name} key "${key}" is not an HTTP method or "*"`);
    const method = key.toUpperCase();
    if (byMethod.has(method)) fail(where, `${name} lists method ${method} twice`);
    byMethod.set(method, resolveValue(value, `${where} (${name} for ${method})`));
  }
  // An empty map would deny every method; [] says that on purpose, {} is more likely a slip.
  if (byMethod.size === 0) fail(where, `${name} names no HTTP method; name at least one (or '*')${nobody}`);
  return byMethod;
}

/**
 * The entry of a per-method map that applies to a request method, or `undefined` when the method
 * has no entry and no `'*'` (such requests are denied). HEAD is answered like GET unless it has
 * its own entry.
 */
export function entryForMethod<T>(byMethod: ReadonlyMap<string, T>, method: string): T | undefined {
  const m = method.toUpperCase();
  return byMethod.get(m) ?? (m === 'HEAD' ? byMethod.get('GET') : undefined) ?? byMethod.get('*');
}

/** Validates a role option once, when it is declared, and freezes the result. */
export function resolveRole(spec: RoleSpec | MethodRoleSpec, where: string): ResolvedRole {
  if (typeof spec === 'string' || Array.isArray(spec)) return Object.freeze({ perMethod: false, groups: toGroups(spec, where) });
  if (!isPlainObject(spec)) return fail(where, 'role must be a string, an array of roles, or an object keyed by HTTP method');
  return Object.freeze({ perMethod: true, byMethod: resolveMethodMap(spec, where, 'role', toGroups, ', or write role: [] to admit nobody') });
}

// A Map, a Set or a class instance has no own method keys to read, so it would read as {}.
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The groups that apply to a request method, or `undefined` when the method is denied (see `entryForMethod`). */
export function groupsForMethod(role: ResolvedRole, method: string): RoleGroups | undefined {
  return role.perMethod ? entryForMethod(role.byMethod, method) : role.groups;
}

/** Flask-HTTPAuth's rule: any group whose roles the user all holds. `[]` admits nobody. */
export function hasRequiredRoles(groups: RoleGroups, userRoles: ReadonlySet<string>): boolean {
  return groups.some((group) => group.every((role) => userRoles.has(role)));
}

/** What a `@GetUserRoles` hook returned, as a set; anything but strings is ignored. */
export function toRoleSet(value: unknown): ReadonlySet<string> {
  if (typeof value === 'string') return new Set([value]);
  if (Array.isArray(value)) return new Set(value.filter((r): r is string => typeof r === 'string'));
  return new Set();
}

/** A value equal for equal requirements, so that one requirement reached two ways is one plan. */
export function roleKey(role: ResolvedRole | undefined): unknown {
  if (!role) return null;
  return role.perMethod ? { byMethod: [...role.byMethod].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) } : { groups: role.groups };
}
