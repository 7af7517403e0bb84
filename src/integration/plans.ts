import type { BoundAuth } from '../http-auth';
import { missingRolesHook } from '../http-auth';
import type { AuthClassMeta } from '../registry';
import type { EffectiveRequirement } from '../requirement';
import { roleKey } from '../roles';

/** One auth class given to `createAuthCheckers`, bound to its instance on first use. */
export interface Member {
  readonly cls: Function;
  readonly meta: AuthClassMeta;
  bound?: BoundAuth;
  readonly instance?: object;
}

/** How one requirement is served: which members, bound on first use. One per distinct requirement. */
export interface Plan {
  readonly requirement: EffectiveRequirement;
  readonly members: readonly Member[];
  /** The members bound to their instances, on first use. */
  bound?: readonly BoundAuth[];
}

/**
 * The plan for a requirement, or why these checkers cannot serve it (naming the fix). One plan per
 * distinct requirement, however it was reached (the early middleware and routing-controllers build
 * their roles arrays separately): the checker confirms an early admission by identity.
 */
export function createPlanner(members: readonly Member[], defaultAuth: readonly Function[]): (requirement: EffectiveRequirement) => Plan | string {
  const memberFor = (cls: Function): Member | undefined =>
    members.find((m) => m.cls === cls) ?? members.find((m) => m.cls.prototype instanceof cls);

  const problemWith = (requirement: EffectiveRequirement): string | undefined => {
    const chosen: Member[] = [];
    for (const cls of requirement.auth ?? defaultAuth) {
      const member = memberFor(cls);
      if (!member) return `${cls.name} is named in @LoginRequired({ auth }) but was not passed to createAuthCheckers; add it there`;
      chosen.push(member);
    }
    // One answer per route: a 407 with Proxy-Authenticate cannot also be a 401 with WWW-Authenticate.
    const isProxy = (m: Member) => (m.meta.config as { proxy?: boolean } | undefined)?.proxy === true;
    const proxy = chosen.find(isProxy);
    const origin = chosen.find((m) => !isProxy(m));
    if (proxy && origin) {
      return `${proxy.meta.name} is a proxy (proxy: true) but ${origin.meta.name} is not, and one route cannot ask for both Proxy-Authorization and Authorization; give them the same proxy option or protect the route with only one of them`;
    }
    if (requirement.role) {
      const lacking = chosen.find((m) => !m.meta.hooks.has('getUserRoles'));
      if (lacking) return missingRolesHook(lacking.meta.name);
    }
    return undefined;
  };

  const classIds = new Map<Function, number>();
  const idOf = (cls: Function) => {
    let id = classIds.get(cls);
    if (id === undefined) classIds.set(cls, (id = classIds.size));
    return id;
  };
  const plansByKey = new Map<string, Plan | string>();
  return (requirement) => {
    const key = JSON.stringify([roleKey(requirement.role), requirement.optional, requirement.auth?.map(idOf) ?? null]);
    let plan = plansByKey.get(key);
    if (plan === undefined) {
      plan = problemWith(requirement) ?? { requirement, members: (requirement.auth ?? defaultAuth).map((cls) => memberFor(cls)!) };
      plansByKey.set(key, plan);
    }
    return plan;
  };
}

/** The `defaultAuth` option: classes among those passed, each once; the first one when unset. */
export function resolveDefaultAuth(value: unknown, members: readonly { readonly cls: Function }[]): readonly Function[] {
  if (value === undefined) return [members[0].cls];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new TypeError('http-auth: createAuthCheckers: defaultAuth must name at least one auth class');
  for (const cls of list) {
    if (typeof cls !== 'function' || !members.some((m) => m.cls === cls)) {
      const name = typeof cls === 'function' ? cls.name : String(cls);
      throw new TypeError(`http-auth: createAuthCheckers: defaultAuth names ${name}, which was not passed as auth; pass it in the first argument too`);
    }
  }
  if (new Set(list).size !== list.length) throw new TypeError('http-auth: createAuthCheckers: defaultAuth lists the same class twice');
  return Object.freeze(list as Function[]);
}
