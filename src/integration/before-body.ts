import type { IncomingMessage, ServerResponse } from 'node:http';
import { getMetadataArgsStorage } from 'routing-controllers';
import { rolesOf, type ServedAction } from './actions';

/**
 * routing-controllers parses request bodies before its authorization check: on Express the body
 * parser of a `@Body()` action runs first, on Koa koa-bodyparser runs globally before routing. An
 * anonymous client could make the server read and parse a large body before it is refused.
 * `@LoginRequired` therefore also puts a middleware *before* those parsers on each action it
 * protects (inheritance.ts adds it as routing-controllers builds the routes). Once
 * `auth.useExpress(app)` / `auth.useKoa(app)` registered the app's checkers, that middleware
 * authenticates there, and the later authorization check only confirms it. The same middleware
 * tells `useExpress`/`useKoa` which routes of an app are protected, for start-up checks.
 */

/** The action an early middleware guards. */
export interface EarlyAction extends ServedAction {
  /** The merged roles routing-controllers passes for it. */
  roles(): readonly unknown[];
  /** Whether it has a `@CurrentUser()` parameter (routing-controllers then needs `currentUserChecker`). */
  usesCurrentUser(): boolean;
}

/** What `useExpress` registers for an app: runs the whole flow for an action's merged roles. */
export type EarlyRunner = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void, action: EarlyAction) => void;

/** What `useKoa` registers: authenticates, then parses the body it deferred. */
export type KoaEarlyRunner = (ctx: object, next: () => Promise<unknown>, action: EarlyAction) => Promise<unknown>;

// Keyed by app object: inert, per app, gone with the app.
const runners = new WeakMap<object, EarlyRunner>();
const koaRunners = new WeakMap<object, KoaEarlyRunner>();
// Marks a Koa context whose body parsing was put off until after authentication. A property,
// not a WeakSet entry per request: those are only cleared by full garbage collections.
const DEFERRED = Symbol('http-auth: body parsing deferred');

export function registerEarlyRunner(app: object, runner: EarlyRunner): void {
  runners.set(app, runner);
}

export function hasEarlyRunner(app: object): boolean {
  return runners.has(app);
}

export function registerKoaEarlyRunner(app: object, runner: KoaEarlyRunner): void {
  koaRunners.set(app, runner);
}

export function hasKoaEarlyRunner(app: object): boolean {
  return koaRunners.has(app);
}

/** Tells the action's early middleware that koa-bodyparser was held back for this request. */
export function markBodyDeferred(ctx: object): void {
  (ctx as Record<symbol, boolean>)[DEFERRED] = true;
}

const EARLY = Symbol('http-auth: authenticate before body');

/** The action an early middleware guards, or undefined for any other middleware. */
export function earlyActionOf(middleware: unknown): EarlyAction | undefined {
  return typeof middleware === 'function' ? (middleware as { [EARLY]?: EarlyAction })[EARLY] : undefined;
}

function earlyMiddleware(controller: Function, method: string) {
  let roles: unknown[] | undefined;
  let currentUser: boolean | undefined;
  // Read on first use: by then every decorator (and inherited requirement) has been recorded.
  const action: EarlyAction = {
    controller,
    method,
    roles: () => (roles ??= rolesOf(controller, method)),
    usesCurrentUser: () => (currentUser ??= hasCurrentUserParam(controller, method)),
  };
  // Express calls (req, res, next); Koa calls (ctx, next).
  const middleware = function authenticateBeforeBody(a: unknown, b: unknown, c?: unknown): unknown {
    if (typeof c !== 'function') {
      const ctx = a as { app?: object };
      const koaRunner = ctx.app && (ctx as Record<symbol, unknown>)[DEFERRED] ? koaRunners.get(ctx.app) : undefined;
      if (!koaRunner) return (b as () => unknown)();
      return koaRunner(ctx, b as () => Promise<unknown>, action);
    }
    const req = a as IncomingMessage & { app?: object };
    // Also for actions without a body: answering a refusal here skips routing-controllers' error
    // path, which costs more than the check itself.
    const runner = req.app ? runners.get(req.app) : undefined;
    if (!runner) return (c as () => void)();
    runner(req, b as ServerResponse, c as (error?: unknown) => void, action);
    return undefined;
  };
  return Object.assign(middleware, { [EARLY]: action });
}

// One middleware per action, whichever app and however often routing-controllers asks for it:
// useExpress/useKoa recognise it by identity among an app's route handlers.
const middlewares = new WeakMap<Function, Map<string, Function>>();

/** The early middleware of one action a controller serves. */
export function earlyMiddlewareFor(controller: Function, method: string): Function {
  let byMethod = middlewares.get(controller);
  if (!byMethod) middlewares.set(controller, (byMethod = new Map()));
  let middleware = byMethod.get(method);
  if (!middleware) byMethod.set(method, (middleware = earlyMiddleware(controller, method)));
  return middleware;
}

/** A `@CurrentUser()` parameter on the action, declared on the controller or a base class it inherits the action from. */
function hasCurrentUserParam(controller: Function, method: string): boolean {
  const prototype = controller.prototype as object;
  return getMetadataArgsStorage().params.some(
    (p) => p.type === 'current-user' && p.method === method && (p.object === prototype || Object.prototype.isPrototypeOf.call(p.object, prototype)),
  );
}
