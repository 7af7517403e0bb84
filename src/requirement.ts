import { assertPlainOptions, configError } from './config';
import { isAuthClass, readAuthClass, type AuthClassMeta } from './registry';
import { resolveRole, type ResolvedRole } from './roles';
import { resolveScope, type ResolvedScope } from './scopes';
import type { AuthClass, LoginRequiredOptions } from './types';

/** The fix for a role requirement on an auth class that cannot tell roles. */
export const missingRolesHook = (className: string): string =>
  `${className} has no @GetUserRoles method, but a route requires a role; add one that returns the user's roles`;

/** What a route asks of its auth classes beyond authentication. */
export interface RouteNeeds {
  readonly role: boolean;
  readonly scope: boolean;
  readonly fresh?: boolean;
}

/**
 * Why these auth classes cannot serve one route together (with what it `needs`), naming the fix;
 * `undefined` when they can. Checked when a requirement names its classes, and again for the
 * classes an app's default puts on a route.
 */
export function authClassesProblem(classes: readonly AuthClassMeta[], needs: RouteNeeds): string | undefined {
  // One answer per route: a 407 with Proxy-Authenticate cannot also be a 401 with WWW-Authenticate.
  const isProxy = (m: AuthClassMeta) => (m.config as { proxy?: boolean } | undefined)?.proxy === true;
  const proxy = classes.find(isProxy);
  const origin = classes.find((m) => !isProxy(m));
  if (proxy && origin) {
    return `${proxy.name} is a proxy (proxy: true) but ${origin.name} is not, and one route cannot ask for both Proxy-Authorization and Authorization; give them the same proxy option or protect the route with only one of them`;
  }
  if (needs.role) {
    const lacking = classes.find((m) => !m.hooks.has('getUserRoles'));
    if (lacking) return missingRolesHook(lacking.name);
  }
  // Scopes and freshness come with access tokens; a route whose classes read none could never be served.
  const needed = needs.scope ? 'a scope' : needs.fresh ? 'a fresh token' : undefined;
  if (needed && !classes.some((m) => m.kind === 'jwt' || (m.kind === 'introspection' && !needs.fresh))) {
    return `a route requires ${needed}, which only an OAuth access token carries, but none of its auth classes (${classes.map((m) => m.name).join(', ')}) is a @JwtAuth class${needs.fresh ? '' : ' (or an @IntrospectionAuth class)'}; add one to its auth (or to createAuthCheckers' defaultAuth)`;
  }
  return undefined;
}

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
  /**
   * The `scope` option, validated and frozen (an internal form of {@link ScopeSpec} / {@link MethodScopeSpec}).
   * @internal
   */
  readonly scope?: ResolvedScope;
  /** The `optional` option when it was given: let requests without credentials through. */
  readonly optional?: boolean;
  /** The `fresh` option when it was given: only an access token issued fresh (a login just now) passes. */
  readonly fresh?: boolean;
  /** The `auth` option when it was given, always as a frozen list (MultiAuth when longer than one). */
  readonly auth?: readonly AuthClass[];

  constructor(options: LoginRequiredOptions | undefined, where: string) {
    const o = assertPlainOptions(options, ['role', 'scope', 'fresh', 'optional', 'auth'], where);
    if (o.role !== undefined) this.role = resolveRole(o.role as LoginRequiredOptions['role'] & object, where);
    if (o.scope !== undefined) this.scope = resolveScope(o.scope as LoginRequiredOptions['scope'] & object, where);
    if (o.optional !== undefined) {
      if (typeof o.optional !== 'boolean') configError(where, 'optional must be true or false');
      this.optional = o.optional;
    }
    if (o.fresh !== undefined) {
      if (typeof o.fresh !== 'boolean') configError(where, 'fresh must be true or false');
      this.fresh = o.fresh;
    }
    if (o.auth !== undefined) {
      const list = Array.isArray(o.auth) ? o.auth : [o.auth];
      if (list.length === 0) configError(where, 'auth must name at least one auth class');
      for (const cls of list) {
        if (!isAuthClass(cls)) {
          const name = typeof cls === 'function' ? cls.name : String(cls);
          configError(where, `auth: ${name} is not an auth class; decorate it with @BasicAuth, @DigestAuth, @TokenAuth or @JwtAuth`);
        }
      }
      if (new Set(list).size !== list.length) configError(where, 'auth lists the same class twice');
      this.auth = Object.freeze([...list] as AuthClass[]);
      // Known now, so said now rather than by the route's first request.
      const problem = authClassesProblem(
        list.map((cls) => readAuthClass(cls as Function)!),
        { role: this.role !== undefined, scope: this.scope !== undefined, fresh: this.fresh === true },
      );
      if (problem) configError(where, problem);
    }
    Object.freeze(this);
  }
}

/** The requirement in force for one request: defaults filled in. */
export interface EffectiveRequirement {
  readonly role?: ResolvedRole;
  readonly scope?: ResolvedScope;
  readonly fresh?: boolean;
  readonly optional: boolean;
  readonly auth?: readonly AuthClass[];
}

const NO_REQUIREMENT: EffectiveRequirement = Object.freeze({ optional: false });

// Marks requirements of every copy of this library, so that one made by another copy (two
// versions installed side by side) is named as such rather than reported as an unknown value.
const BRAND = Symbol.for('routing-controllers-httpauth: LoginRequirement');
Object.defineProperty(LoginRequirement.prototype, BRAND, { value: true });

/** A developer's value, for a start-up message: its type and a bounded rendering. */
function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'object' && value !== null ? (JSON.stringify(value) ?? String(value)) : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  if (text.length > 80) text = `${text.slice(0, 80)}…`;
  return typeof value === 'string' ? JSON.stringify(text) : `${text} (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;
}

/** A role entry routing-controllers' `@Authorized` can pass: a role, or a list of roles all required. */
function isRoleEntry(entry: unknown): entry is string | readonly string[] {
  return typeof entry === 'string' || (Array.isArray(entry) && entry.every((r) => typeof r === 'string'));
}

/**
 * Merges what routing-controllers passes as `roles`: class-level entries come before
 * method-level ones, so later requirements override earlier ones key by key. routing-controllers'
 * own forms, `@Authorized('admin')`, `@Authorized(['a', 'b'])` (any of them) and
 * `@Authorized([['a', 'b']])` (all of them, as in `RoleSpec`), form the lowest layer. Anything
 * else is a requirement this library cannot read, and dropping it would let any user in: the
 * answer is then why (a message naming the fix), which the callers turn into a start-up error or
 * the generic 500.
 */
export function mergeRequirements(roles: readonly unknown[]): EffectiveRequirement | string {
  if (roles.length === 0) return NO_REQUIREMENT;
  const plain: (string | readonly string[])[] = [];
  let merged: { role?: ResolvedRole; scope?: ResolvedScope; fresh?: boolean; optional: boolean; auth?: readonly AuthClass[] } = { optional: false };
  for (const r of roles) {
    if (r instanceof LoginRequirement) continue;
    if (isRoleEntry(r)) {
      plain.push(r);
      continue;
    }
    if ((r as { [BRAND]?: unknown } | null)?.[BRAND] === true) {
      return 'a requirement made by another copy of routing-controllers-httpauth reached these checkers (two versions are installed); install one version (npm dedupe) so that @LoginRequired and createAuthCheckers come from the same package';
    }
    return `@Authorized(${describeValue(r)}) is not a role this library understands, and ignoring it would admit any user; write @LoginRequired({ role: … }), or give @Authorized a role name, an array of role names (any of them) or an array of such arrays (all of them)`;
  }
  if (plain.length > 0) {
    try {
      merged.role = resolveRole(plain, '@Authorized');
    } catch (error) {
      return (error as Error).message.replace(/^http-auth: /, '');
    }
  }
  for (const r of roles) {
    if (!(r instanceof LoginRequirement)) continue;
    merged = {
      role: r.role ?? merged.role,
      scope: r.scope ?? merged.scope,
      fresh: r.fresh ?? merged.fresh,
      optional: r.optional ?? merged.optional,
      auth: r.auth ?? merged.auth,
    };
  }
  return merged;
}
