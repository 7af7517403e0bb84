import { assertPlainOptions, configError } from './config';
import { isAuthClass } from './registry';
import { resolveRole, type ResolvedRole } from './roles';
import type { AuthClass, LoginRequiredOptions } from './types';

/**
 * A validated `@LoginRequired` (or guard) declaration. Instances travel to the authorization
 * checker as the value given to routing-controllers' `@Authorized`, the only channel it has; only
 * the keys that were given are set, so a method's declaration can override its class's key by key.
 * Apps rarely build one: `@LoginRequired` does; it is exported so that a requirement can also be
 * given to routing-controllers' `@Authorized` directly. The constructor validates the options and
 * throws a `TypeError` naming `where` when they are wrong.
 * @example
 * ```ts
 * @Authorized(new LoginRequirement({ role: 'admin' }, 'AdminController'))
 * @JsonController('/admin')
 * class AdminController {}
 * ```
 */
export class LoginRequirement {
  /**
   * The `role` option, validated and frozen (an internal form of {@link RoleSpec} / {@link MethodRoleSpec}).
   * @internal
   */
  readonly role?: ResolvedRole;
  /** The `optional` option when it was given: let requests without credentials through. */
  readonly optional?: boolean;
  /** The `auth` option when it was given, always as a frozen list (MultiAuth when longer than one). */
  readonly auth?: readonly AuthClass[];

  constructor(options: LoginRequiredOptions | undefined, where: string) {
    const o = assertPlainOptions(options, ['role', 'optional', 'auth'], where);
    if (o.role !== undefined) this.role = resolveRole(o.role as LoginRequiredOptions['role'] & object, where);
    if (o.optional !== undefined) {
      if (typeof o.optional !== 'boolean') configError(where, 'optional must be true or false');
      this.optional = o.optional;
    }
    if (o.auth !== undefined) {
      const list = Array.isArray(o.auth) ? o.auth : [o.auth];
      if (list.length === 0) configError(where, 'auth must name at least one auth class');
      for (const cls of list) {
        if (!isAuthClass(cls)) {
          const name = typeof cls === 'function' ? cls.name : String(cls);
          configError(where, `auth: ${name} is not an auth class; decorate it with @BasicAuth, @DigestAuth or @TokenAuth`);
        }
      }
      if (new Set(list).size !== list.length) configError(where, 'auth lists the same class twice');
      this.auth = Object.freeze([...list] as AuthClass[]);
    }
    Object.freeze(this);
  }
}

/** The requirement in force for one request: defaults filled in. */
export interface EffectiveRequirement {
  readonly role?: ResolvedRole;
  readonly optional: boolean;
  readonly auth?: readonly AuthClass[];
}

const NO_REQUIREMENT: EffectiveRequirement = Object.freeze({ optional: false });

/**
 * Merges what routing-controllers passes as `roles`: class-level entries come before
 * method-level ones, so later entries override earlier ones key by key. Plain strings from
 * `@Authorized('admin')` mean "these roles, any of" and form the lowest layer.
 */
export function mergeRequirements(roles: readonly unknown[]): EffectiveRequirement {
  if (roles.length === 0) return NO_REQUIREMENT;
  const plain = roles.filter((r): r is string => typeof r === 'string');
  let merged: { role?: ResolvedRole; optional: boolean; auth?: readonly AuthClass[] } = { optional: false };
  if (plain.length > 0) merged.role = resolveRole(plain, '@Authorized');
  for (const r of roles) {
    if (!(r instanceof LoginRequirement)) continue;
    merged = {
      role: r.role ?? merged.role,
      optional: r.optional ?? merged.optional,
      auth: r.auth ?? merged.auth,
    };
  }
  return merged;
}
