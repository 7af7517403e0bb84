/** What TypeScript's legacy (`experimentalDecorators`) decorators are called with. */
export type LegacyDecorator = (target: object, key?: string | symbol, descriptorOrIndex?: unknown) => void;

/**
 * Turns a decorator factory into a decorator that also works without parentheses: `@X` and `@X()`
 * mean the same. Written bare, the factory itself is called as the decorator, with what legacy
 * decorators pass: `(constructor)` on a class, `(prototype, key, descriptor)` on a member
 * (`undefined` for a property, a parameter index for a parameter). Flask users write
 * `@auth.login_required` bare, and under transpile-only (ts-node, SWC) nothing stops them, so a
 * bare call must decorate, never silently return an unused decorator. Anything else is the
 * factory's options.
 */
export function dualForm<O>(name: string, factory: (options: O | undefined) => LegacyDecorator): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    if (isDecoration(name, args)) {
      factory(undefined)(...(args as Parameters<LegacyDecorator>));
      return undefined;
    }
    if (args.length > 1) throw new TypeError(`http-auth: ${name} takes at most one argument (an options object); got ${args.length}`);
    const decorate = factory(args[0] as O | undefined);
    return (...decoratorArgs: unknown[]) => {
      assertLegacy(name, decoratorArgs);
      decorate(...(decoratorArgs as Parameters<LegacyDecorator>));
    };
  };
}

function isDecoration(name: string, args: readonly unknown[]): boolean {
  assertLegacy(name, args);
  if (args.length === 1) return typeof args[0] === 'function';
  if (args.length !== 2 && args.length !== 3) return false;
  const [target, key, third] = args;
  const isTarget = (typeof target === 'object' && target !== null) || typeof target === 'function';
  // A constructor parameter is decorated with key `undefined` and its index.
  return isTarget && (typeof key === 'string' || typeof key === 'symbol' || (key === undefined && typeof third === 'number'));
}

// TC39 decorators (TypeScript without experimentalDecorators) pass (value, context). The library
// and routing-controllers rely on the legacy protocol, so say how to switch instead of misreading it.
function assertLegacy(name: string, args: readonly unknown[]): void {
  const context = args[1];
  if (args.length === 2 && typeof context === 'object' && context !== null && 'kind' in context) {
    throw new TypeError(
      `http-auth: ${name} needs legacy decorators; set "experimentalDecorators": true in tsconfig.json (routing-controllers needs it too)`,
    );
  }
}

/** `Class` or `Class.member`, for messages. */
export function describeTarget(target: object, key: string | symbol | undefined): string {
  if (key === undefined) return typeof target === 'function' ? target.name : String(target);
  const owner = typeof target === 'function' ? target.name : target.constructor.name;
  return `${owner}.${String(key)}`;
}
