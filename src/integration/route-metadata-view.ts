import { getMetadataArgsStorage } from 'routing-controllers';
import { inheritedMethodValue, isProtectedAction } from './actions';
import { earlyMiddlewareFor } from './before-body';
import { withBodyCapture } from './raw-body';

/**
 * What routing-controllers reads about protected actions while it builds the routes, whenever
 * that is.
 *
 * routing-controllers looks up an action's `@Authorized` value, its `@UseBefore` middlewares and
 * its parameters by the serving controller alone, so a subclass serving a base class's protected
 * action got an open route. Recording the inherited value on each subclass ahead of time cannot
 * work for every app: `controllers: ['…/*.ts']` is imported by routing-controllers itself, after
 * `createAuthCheckers` ran, and nothing of this library runs between that import and the build.
 * So the lookups routing-controllers makes while it builds are answered through a view that adds
 * what the class chain declares: the merged requirement, the before-body middleware of every
 * protected action, and the raw-body capture on its `@Body()` (Digest auth-int). The view keeps no
 * state (it reads the storage on each call) and never changes the records it reads; it is
 * installed once per storage, by whichever copy of this library gets there first.
 */

type Storage = ReturnType<typeof getMetadataArgsStorage>;
type Lookup = (this: Storage, target: Function, method?: string) => unknown[];

const INSTALLED = Symbol.for('routing-controllers-httpauth: route metadata view');

/**
 * routing-controllers reads an `@Authorized` value with `value || []`, so `@Authorized('')`,
 * `(0)`, `(false)` or `(null)` would reach the checker as "no roles": kept as a role entry
 * instead, the checker refuses it rather than admitting any user. `undefined` is `@Authorized()`.
 */
function keepingFalsyValues(entries: unknown[]): unknown[] {
  return entries.map((h) => {
    const { type, value } = h as { type?: string; value?: unknown };
    return type === 'authorized' && value !== undefined && !value ? { ...(h as object), value: [value] } : h;
  });
}

const LOOKUPS: Readonly<Record<string, (own: unknown[], storage: Storage, target: Function, method: string | undefined) => unknown[]>> = {
  filterResponseHandlersWithTarget: (own) => keepingFalsyValues(own),
  filterResponseHandlersWithTargetAndMethod(own, storage, target, method) {
    const entries = keepingFalsyValues(own);
    const value = method === undefined ? undefined : inheritedMethodValue(target, method, storage);
    if (value === undefined) return entries;
    // routing-controllers takes the first `authorized` entry of an action.
    return [{ type: 'authorized', target, method, value }, ...entries.filter((h) => (h as { type?: string }).type !== 'authorized')];
  },
  filterUsesWithTargetAndMethod(own, storage, target, method) {
    if (method === undefined || !isProtectedAction(target, method, storage)) return own;
    // First among the action's middlewares, so that it runs before any body parser.
    return [{ target, method, middleware: earlyMiddlewareFor(target, method), afterAction: false }, ...own];
  },
  filterParamsWithTargetAndMethod(own, storage, target, method) {
    if (method === undefined || !isProtectedAction(target, method, storage)) return own;
    return own.map((param) => ((param as { type?: string }).type === 'body' ? withBodyCapture(param as { extraOptions?: unknown }) : param));
  },
};

/** Installs the view on routing-controllers' metadata storage, if it is not there yet. Cheap to call again. */
export function enforceClassChainRequirements(): void {
  const storage = getMetadataArgsStorage() as Storage & { [INSTALLED]?: true };
  if (storage[INSTALLED]) return;
  Object.defineProperty(storage, INSTALLED, { value: true });
  for (const [name, answer] of Object.entries(LOOKUPS)) {
    const lookup = (storage as unknown as Record<string, Lookup>)[name];
    Object.defineProperty(storage, name, {
      configurable: true,
      writable: true,
      value(this: Storage, target: Function, method?: string): unknown[] {
        return answer(lookup.call(this, target, method), this, target, method);
      },
    });
  }
}
