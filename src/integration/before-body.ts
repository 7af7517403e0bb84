import type { IncomingMessage, ServerResponse } from 'node:http';
import { getMetadataArgsStorage, UseBefore } from 'routing-controllers';

/**
 * On Express, routing-controllers runs the body parser (and multer) before the authorization
 * check, so an anonymous client can make the server read and parse a large body before it is
 * refused. `@LoginRequired` therefore also puts a middleware *before* those parsers on each
 * action it protects; once `auth.useExpress(app)` has registered the app's checkers, that
 * middleware authenticates the request there and the later authorization check only confirms it.
 */

/** What `useExpress` registers for an app: runs the whole flow for an action's merged roles. */
export type EarlyRunner = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void, roles: readonly unknown[]) => void;

// Keyed by Express app object: inert, per app, gone with the app.
const runners = new WeakMap<object, EarlyRunner>();

export function registerEarlyRunner(app: object, runner: EarlyRunner): void {
  runners.set(app, runner);
}

const installed = new WeakMap<Function, Set<string>>();

/** The roles routing-controllers will pass for this action: class value, then method value. */
function rolesOf(target: Function, method: string): unknown[] {
  const authorized = getMetadataArgsStorage().responseHandlers.filter((h) => h.type === 'authorized' && h.target === target);
  const classValue = authorized.find((h) => !h.method)?.value;
  const methodValue = authorized.find((h) => h.method === method)?.value;
  return ([] as unknown[]).concat(classValue ?? [], methodValue ?? []);
}

function earlyMiddleware(target: Function, method: string) {
  let roles: unknown[] | undefined;
  // Express calls (req, res, next); Koa calls (ctx, next), where the body parser already ran
  // globally, so there is nothing to gain and the request passes through.
  return function authenticateBeforeBody(a: unknown, b: unknown, c?: unknown): unknown {
    if (typeof c !== 'function') return (b as () => unknown)();
    const req = a as IncomingMessage & { app?: object };
    const runner = req.app && runners.get(req.app);
    if (!runner) return (c as () => void)();
    roles ??= rolesOf(target, method);
    runner(req, b as ServerResponse, c as (error?: unknown) => void, roles);
    return undefined;
  };
}

/** Adds the early middleware to one action, or to every action a controller has so far. */
export function authenticateBeforeBody(target: Function, method?: string | symbol): void {
  const methods = method !== undefined ? [String(method)] : getMetadataArgsStorage().actions.filter((a) => a.target === target).map((a) => a.method);
  let done = installed.get(target);
  if (!done) installed.set(target, (done = new Set()));
  for (const m of methods) {
    if (done.has(m)) continue;
    done.add(m);
    UseBefore(earlyMiddleware(target, m))(target.prototype as object, m);
  }
}
