import type { BoundAuth } from '../flow/decision';
import type { AuthClassMeta } from '../registry';
import { authClassesProblem, type EffectiveRequirement } from '../requirement';
import { roleKey } from '../roles';
import { scopeKey } from '../scopes';

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
  // By identity only: a subclass may verify differently (other users, other roles), so a route
  // naming the base class is never served by it.
  const memberFor = (cls: Function): Member | undefined => members.find((m) => m.cls === cls);

  const problemWith = (requirement: EffectiveRequirement): string | undefined => {
    const chosen: Member[] = [];
    for (const cls of requirement.auth ?? defaultAuth) {
      const member = memberFor(cls);
      if (member) {
        chosen.push(member);
        continue;
      }
      const subclass = members.find((m) => m.cls.prototype instanceof cls);
      if (subclass) {
        return `${cls.name} is named in @LoginRequired({ auth }) but only its subclass ${subclass.meta.name} was passed to createAuthCheckers; name ${subclass.meta.name} in the route, or pass ${cls.name} to createAuthCheckers too`;
      }
      return `${cls.name} is named in @LoginRequired({ auth }) but was not passed to createAuthCheckers; add it there`;
    }
    return authClassesProblem(
      chosen.map((m) => m.meta),
      { role: requirement.role !== undefined, scope: requirement.scope !== undefined, fresh: requirement.fresh === true },
    );
  };

  const classIds = new Map<Function, number>();
  const idOf = (cls: Function) => {
    let id = classIds.get(cls);
    if (id === undefined) classIds.set(cls, (id = classIds.size));
    return id;
  };
  const plansByKey = new Map<string, Plan | string>();
  return (requirement) => {
    const key = JSON.stringify([roleKey(requirement.role), scopeKey(requirement.scope), requirement.fresh === true, requirement.optional, requirement.auth?.map(idOf) ?? null]);
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
