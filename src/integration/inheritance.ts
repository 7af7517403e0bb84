import { getMetadataArgsStorage } from 'routing-controllers';
import { inheritedMethodValue, isProtectedAction } from './actions';
import { earlyMiddlewareFor } from './before-body';

/**
 * Makes routing-controllers see requirements along a controller's class chain when it builds the
 * routes, whenever that is.
 *
 * routing-controllers looks up an action's `@Authorized` value and its `@UseBefore` middlewares
 * by the serving controller alone, so a subclass serving a base class's protected action got an
 * open route. Recording the inherited value on each subclass ahead of time cannot work for every
 * app: `controllers: ['…/*.ts']` is imported by routing-controllers itself, after
 * `createAuthCheckers` ran, and nothing of this library runs between that import and the build.
 * So the lookups routing-controllers makes while it builds are answered through a view that adds
 * what the class chain declares: the merged requirement, and the before-body middleware of every
 * protected action. The view holds no state of its own (it reads the storage each time) and
 * is installed once per storage, by whichever copy of this library gets there first.
 */

type Storage = ReturnType<typeof getMetadataArgsStorage>;
type FilterByTargetAndMethod = (target: Function, method: string | undefined) => unknown[];

const INSTALLED = Symbol.for('routing-controllers-httpauth: class-chain requirements');

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

/** Installs the view on routing-controllers' metadata storage, if it is not there yet. Cheap to call again. */
export function enforceClassChainRequirements(): void {
  const storage = getMetadataArgsStorage() as Storage & { [INSTALLED]?: true };
  if (storage[INSTALLED]) return;
  const responseHandlers = storage.filterResponseHandlersWithTargetAndMethod as FilterByTargetAndMethod;
  const classResponseHandlers = storage.filterResponseHandlersWithTarget as (target: Function) => unknown[];
  const uses = storage.filterUsesWithTargetAndMethod as FilterByTargetAndMethod;
  Object.defineProperties(storage, {
    [INSTALLED]: { value: true },
    filterResponseHandlersWithTargetAndMethod: {
      configurable: true,
      writable: true,
      value: function withInheritedRequirement(this: Storage, target: Function, method: string | undefined): unknown[] {
        const own = keepingFalsyValues(responseHandlers.call(this, target, method));
        const value = method === undefined ? undefined : inheritedMethodValue(target, method, this);
        if (value === undefined) return own;
        // routing-controllers takes the first `authorized` entry of an action.
        return [{ type: 'authorized', target, method, value }, ...own.filter((h) => (h as { type?: string }).type !== 'authorized')];
      },
    },
    filterResponseHandlersWithTarget: {
      configurable: true,
      writable: true,
      value: function withFalsyValuesKept(this: Storage, target: Function): unknown[] {
        return keepingFalsyValues(classResponseHandlers.call(this, target));
      },
    },
    filterUsesWithTargetAndMethod: {
      configurable: true,
      writable: true,
      value: function withEarlyAuthentication(this: Storage, target: Function, method: string | undefined): unknown[] {
        const own = uses.call(this, target, method);
        if (method === undefined || !isProtectedAction(target, method, this)) return own;
        // First among the action's middlewares, so that it runs before any body parser.
        return [{ target, method, middleware: earlyMiddlewareFor(target, method), afterAction: false }, ...own];
      },
    },
  });
}
