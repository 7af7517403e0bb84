import { getMetadataArgsStorage } from 'routing-controllers';

/**
 * What routing-controllers knows about protected actions, read from its metadata storage.
 *
 * routing-controllers serves a parent class's actions on a subclass `@Controller`, but looks up
 * `@Authorized` (which `@LoginRequired` records through) and `@UseBefore` by the subclass alone: a
 * requirement declared on a base CRUD controller, on the class or on the method, does not apply to
 * the routes the subclass serves. `inheritance.ts` closes that hole when the routes are built;
 * this file computes what it answers.
 */

type Storage = ReturnType<typeof getMetadataArgsStorage>;

interface AuthorizedArgs {
  type: string;
  target: Function;
  method?: string;
  value?: unknown;
}

/**
 * The `@Authorized` value declared on exactly this class (no `method`) or this method, as a list
 * of roles entries; first entry wins, as in routing-controllers. `@Authorized()` is `[]`; a falsy
 * value is kept as an entry (see inheritance.ts). `undefined` when nothing is declared.
 */
function declared(storage: Storage, cls: Function, method?: string): unknown[] | undefined {
  for (const h of storage.responseHandlers as AuthorizedArgs[]) {
    if (h.type === 'authorized' && h.target === cls && h.method === method) return h.value === undefined ? [] : ([] as unknown[]).concat(h.value);
  }
  return undefined;
}

/** The class and its ancestors, nearest first. */
export function chainOf(target: Function): Function[] {
  const chain: Function[] = [];
  for (let c: unknown = target; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.push(c as Function);
  return chain;
}

/**
 * The method-level `@Authorized` value routing-controllers should see for an action a controller
 * serves, when an ancestor declares a requirement for it: every class value and then every method
 * value along the chain, farthest first, so the method and the subclass win key by key once
 * `mergeRequirements` reads them. The subclass's own class value comes again after its ancestors'
 * (routing-controllers also puts it in front) so that it still overrides them. `undefined` when no
 * ancestor declares one: routing-controllers' own lookup is then complete.
 */
export function inheritedMethodValue(target: Function, method: string, storage: Storage = getMetadataArgsStorage()): unknown[] | undefined {
  const chain = chainOf(target);
  if (chain.length < 2) return undefined;
  const fromAncestors = chain.slice(1).some((cls) => declared(storage, cls) !== undefined || declared(storage, cls, method) !== undefined);
  if (!fromAncestors) return undefined;
  const farthestFirst = chain.reverse();
  return ([] as unknown[]).concat(
    ...farthestFirst.map((cls) => declared(storage, cls) ?? []),
    ...farthestFirst.map((cls) => declared(storage, cls, method) ?? []),
  );
}

/** Whether a requirement applies to an action a controller serves: declared on it or anywhere in its class chain. */
export function isProtectedAction(target: Function, method: string, storage: Storage = getMetadataArgsStorage()): boolean {
  return chainOf(target).some((cls) => declared(storage, cls) !== undefined || declared(storage, cls, method) !== undefined);
}

/** The roles routing-controllers passes for an action: the class's value, then the method's, inherited ones included. */
export function rolesOf(target: Function, method: string, storage: Storage = getMetadataArgsStorage()): unknown[] {
  const methodValue = inheritedMethodValue(target, method, storage) ?? declared(storage, target, method);
  return ([] as unknown[]).concat(declared(storage, target) ?? [], methodValue ?? []);
}

/** An action a controller serves: its own, or the nearest ancestor's for that method name. */
export interface ServedAction {
  readonly controller: Function;
  readonly method: string;
}

/** The method names of the actions a controller serves, inherited ones included. */
export function actionsServedBy(controller: Function): string[] {
  const actions = getMetadataArgsStorage().actions;
  const methods = new Set<string>();
  for (const cls of chainOf(controller)) for (const a of actions) if (a.target === cls) methods.add(a.method);
  return [...methods];
}
