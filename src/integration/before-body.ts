import type { IncomingMessage, ServerResponse } from 'node:http';
import { getMetadataArgsStorage, UseBefore } from 'routing-controllers';

/**
 * routing-controllers parses request bodies before its authorization check: on Express the body
 * parser of a `@Body()` action runs first, on Koa koa-bodyparser runs globally before routing. An
 * anonymous client could make the server read and parse a large body before it is refused.
 * `@LoginRequired` therefore also puts a middleware *before* those parsers on each action it
 * protects. Once `auth.useExpress(app)` / `auth.useKoa(app)` registered the app's checkers, that
 * middleware authenticates there, and the later authorization check only confirms it.
 */

/** What `useExpress` registers for an app: runs the whole flow for an action's merged roles. */
export type EarlyRunner = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void, roles: readonly unknown[]) => void;

/** What `useKoa` registers: authenticates, then parses the body it deferred. */
export type KoaEarlyRunner = (ctx: object, next: () => Promise<unknown>, roles: readonly unknown[]) => Promise<unknown>;

// Keyed by app object: inert, per app, gone with the app.
const runners = new WeakMap<object, EarlyRunner>();
const koaRunners = new WeakMap<object, KoaEarlyRunner>();
// Marks a Koa context whose body parsing was put off until after authentication. A property,
// not a WeakSet entry per request: those are only cleared by full garbage collections.
const DEFERRED = Symbol('http-auth: body parsing deferred');

export function registerEarlyRunner(app: object, runner: EarlyRunner): void {
  runners.set(app, runner);
}

export function registerKoaEarlyRunner(app: object, runner: KoaEarlyRunner): void {
  koaRunners.set(app, runner);
}

const EARLY = Symbol('http-auth: authenticate before body');

interface RouterLayer {
  stack: Function[];
}
export interface KoaRouterLike {
  match(path: string, method: string): { pathAndMethod: RouterLayer[] };
}

/**
 * A Koa middleware for the front of the app: when the route about to be matched is protected by
 * `@LoginRequired`, it tells koa-bodyparser to wait (`ctx.disableBodyParser`); the action's early
 * middleware parses the body once the request is authenticated.
 */
export function deferBodyParsing(router: KoaRouterLike, keepsBody: (ctx: { req: IncomingMessage }) => boolean) {
  return function deferBodyParsingUntilAuthenticated(ctx: { req: IncomingMessage; path: string; method: string; disableBodyParser?: boolean }, next: () => Promise<unknown>) {
    if (!keepsBody(ctx)) {
      const { pathAndMethod } = router.match(ctx.path, ctx.method);
      if (pathAndMethod.some((layer) => layer.stack.some((fn) => (fn as { [EARLY]?: true })[EARLY]))) {
        ctx.disableBodyParser = true;
        (ctx as unknown as Record<symbol, boolean>)[DEFERRED] = true;
      }
    }
    return next();
  };
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
  // Express calls (req, res, next); Koa calls (ctx, next).
  const middleware = function authenticateBeforeBody(a: unknown, b: unknown, c?: unknown): unknown {
    if (typeof c !== 'function') {
      const ctx = a as { app?: object };
      const koaRunner = ctx.app && (ctx as Record<symbol, unknown>)[DEFERRED] ? koaRunners.get(ctx.app) : undefined;
      if (!koaRunner) return (b as () => unknown)();
      roles ??= rolesOf(target, method);
      return koaRunner(ctx, b as () => Promise<unknown>, roles);
    }
    const req = a as IncomingMessage & { app?: object };
    // Also for actions without a body: answering a refusal here skips routing-controllers' error
    // path, which costs more than the check itself.
    const runner = req.app ? runners.get(req.app) : undefined;
    if (!runner) return (c as () => void)();
    roles ??= rolesOf(target, method);
    runner(req, b as ServerResponse, c as (error?: unknown) => void, roles);
    return undefined;
  };
  return Object.assign(middleware, { [EARLY]: true as const });
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
