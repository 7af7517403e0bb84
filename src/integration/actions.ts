import { getMetadataArgsStorage } from 'routing-controllers';

/**
 * What routing-controllers knows about protected actions, read from its metadata storage.
 *
 * routing-controllers serves a parent class's actions on a subclass `@Controller`, but looks up
 * `@Authorized` (which `@LoginRequired` records through) by the subclass alone: a requirement
 * declared on a base CRUD controller, on the class or on the method, silently does not apply to
 * the routes the subclass serves. `applyInheritedRequirements` closes that hole by recording the
 * inherited requirement on the subclass itself, before routing-controllers builds the routes.
 */

interface AuthorizedArgs {
  type: string;
  target: Function;
  method?: string;
  value?: unknown;
  [INHERITED]?: true;
}

const INHERITED = Symbol('http-auth: inherited requirement');

function authorizedEntries(): AuthorizedArgs[] {
  return (getMetadataArgsStorage().responseHandlers as AuthorizedArgs[]).filter((h) => h.type === 'authorized');
}

/** The roles routing-controllers passes for an action: the class's value, then the method's (first entry of each wins). */
export function rolesOf(target: Function, method: string): unknown[] {
  const entries = authorizedEntries();
  const classValue = entries.find((h) => h.target === target && !h.method)?.value;
  const methodValue = entries.find((h) => h.target === target && h.method === method)?.value;
  return ([] as unknown[]).concat(classValue ?? [], methodValue ?? []);
}

/** The class and its ancestors, nearest first. */
function chainOf(target: Function): Function[] {
  const chain: Function[] = [];
  for (let c: unknown = target; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.push(c as Function);
  return chain;
}

/** An action a controller serves: its own, or the nearest ancestor's for that method name. */
export interface ServedAction {
  readonly controller: Function;
  readonly method: string;
}

/** The method names of the actions a controller serves, inherited ones included. */
export function actionsServedBy(controller: Function, chain: readonly Function[] = chainOf(controller)): string[] {
  const actions = getMetadataArgsStorage().actions;
  const methods = new Set<string>();
  for (const cls of chain) for (const a of actions) if (a.target === cls) methods.add(a.method);
  return [...methods];
}

/**
 * Records on every subclass controller the requirements its ancestors declared for the actions
 * it serves, merged in the usual order (classes before methods, ancestors before descendants, so
 * the method and the subclass win key by key). Idempotent. Returns the protected actions of
 * subclasses, so the caller can add the before-body check to them, and those whose inherited
 * requirement was recorded only now (`late`).
 */
export function applyInheritedRequirements(): { protectedActions: ServedAction[]; late: ServedAction[] } {
  const storage = getMetadataArgsStorage();
  const original = authorizedEntries().filter((h) => !h[INHERITED]);
  const first = (cls: Function, method?: string) => original.find((h) => h.target === cls && h.method === method)?.value;
  const protectedActions: ServedAction[] = [];
  const late: ServedAction[] = [];
  for (const { target: controller } of storage.controllers) {
    const chain = chainOf(controller);
    if (chain.length < 2) continue;
    const ancestors = chain.slice(1);
    const farthestFirst = [...chain].reverse();
    for (const method of actionsServedBy(controller, chain)) {
      const fromAncestors = ancestors.some((cls) => first(cls) !== undefined || first(cls, method) !== undefined);
      if (!fromAncestors) {
        if (first(controller) !== undefined || first(controller, method) !== undefined) protectedActions.push({ controller, method });
        continue;
      }
      protectedActions.push({ controller, method });
      // routing-controllers puts the subclass's own class value in front of this one; it comes
      // again after the ancestors' class values so that it still overrides them.
      const value = ([] as unknown[]).concat(
        ...farthestFirst.map((cls) => first(cls) ?? []),
        ...farthestFirst.map((cls) => first(cls, method) ?? []),
      );
      const existing = (storage.responseHandlers as AuthorizedArgs[]).find((h) => h[INHERITED] && h.target === controller && h.method === method);
      if (existing) {
        existing.value = value;
        continue;
      }
      // In front, because routing-controllers takes the first entry for an action.
      (storage.responseHandlers as AuthorizedArgs[]).unshift({ type: 'authorized', target: controller, method, value, [INHERITED]: true });
      late.push({ controller, method });
    }
  }
  return { protectedActions, late };
}
