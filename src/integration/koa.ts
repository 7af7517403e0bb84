import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type Action } from 'routing-controllers';
import { isRefused } from '../flow/decision';
import type { LoginRequiredOptions } from '../types';
import { earlyActionOf, markBodyDeferred, registerKoaEarlyRunner } from './before-body';
import { methodOf, viewOfKoa } from './request';
import type { Plan } from './plans';
import type { AppCore } from './app-core';
import { errorBody } from './tags';
import { METADATA_HEADERS, type ProtectedResource } from './protected-resource';

/**
 * A Koa app, as far as `useKoa` needs one: a structural type, so the library does not depend on
 * Koa's typings.
 * @example
 * ```ts
 * const app: KoaAppLike = createKoaServer({ controllers: [ItemController], ...auth });
 * auth.useKoa(app);
 * ```
 */
export interface KoaAppLike {
  /** Koa's middleware list: `useKoa` finds routing-controllers' router there and puts its own middleware in front. */
  middleware: Function[];
}

/**
 * The parts of a Koa context a guard uses; any real Koa `Context` fits.
 * @example
 * ```ts
 * router.get('/me', auth.koaGuard(), (ctx: KoaContextLike) => { ctx.body = auth.currentUser(ctx); });
 * ```
 */
export interface KoaContextLike {
  /** Node's request: where the credentials are read and the user is recorded. */
  req: IncomingMessage;
  /** Node's response: where the challenge header is set. */
  res: ServerResponse;
  /** The request-target as received, which Digest compares with the `uri` the client signed. */
  originalUrl: string;
  /** The client address (honours `app.proxy`), counted by `throttle`. */
  ip?: string;
  /** Koa's request, read for the raw body (Digest `auth-int`). */
  request: object;
  /** Koa's response. */
  response: object;
  /** Set by the guard to the answer's status when it refuses the request (e.g. 401, 403, 429). */
  status: number;
  /** Set by the guard to the answer's body. */
  body: unknown;
}
/**
 * The Koa middleware `auth.koaGuard()` returns, for routes that are not controllers: it answers
 * 401/403 itself, or awaits `next()` with the user recorded for `auth.currentUser(ctx)`.
 * @example
 * ```ts
 * const adminsOnly: KoaGuard = auth.koaGuard({ role: 'admin' });
 * router.get('/metrics', adminsOnly, async (ctx) => { ctx.body = await metrics.render(); });
 * ```
 */
export type KoaGuard = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

interface RouterLayer {
  methods: string[];
  stack: Function[];
}
interface KoaRouterLike {
  stack?: RouterLayer[];
  match(path: string, method: string): { pathAndMethod: RouterLayer[] };
}

type DeferrableContext = KoaContextLike & { path: string; method: string; disableBodyParser?: boolean };

type KoaMiddleware = (ctx: object, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * The body parsers of an app that wait when told to (`ctx.disableBodyParser`): koa-bodyparser and
 * @koa/bodyparser, both of which name their middleware `bodyParser`. routing-controllers adds one
 * with its defaults; an app that parses with limits of its own puts its own in front. The
 * deferred body is later parsed by these very middlewares, never by one with other options.
 */
function bodyParsersOf(app: KoaAppLike): KoaMiddleware[] {
  const parsers = app.middleware.filter((m): m is KoaMiddleware => typeof m === 'function' && m.name === 'bodyParser');
  if (parsers.length === 0) {
    throw new TypeError(
      "http-auth: useKoa found no koa-bodyparser (or @koa/bodyparser) middleware in the app, so it cannot hold the body back until the request is authenticated and then parse it as the app does; register the app's body parser with app.use(bodyParser(options)) before useKoaServer, or leave routing-controllers' own",
    );
  }
  return parsers;
}

function answer(ctx: KoaContextLike, error: HttpError): void {
  ctx.status = error.httpCode || 500;
  ctx.body = ctx.status === 204 ? null : errorBody(error);
}

/** RFC 9728 §3: the metadata documents, at their paths only (GET and HEAD): no Host decides them. */
function serveProtectedResources(resources: readonly ProtectedResource[]) {
  return function protectedResourceMetadata(ctx: KoaContextLike & { path: string; method: string; set(headers: Record<string, string>): void }, next: () => Promise<unknown>) {
    const resource = (ctx.method === 'GET' || ctx.method === 'HEAD') && resources.find((r) => r.path === ctx.path);
    if (!resource) return next();
    ctx.status = 200;
    ctx.set({ ...METADATA_HEADERS });
    ctx.body = JSON.stringify(resource.metadata());
    return undefined;
  };
}

export function koaIntegration(core: AppCore) {
  /**
   * Runs the flow for a Koa context; answers a failure itself and returns the admitting plan.
   * `undefined` when the request must not go on: refused, or answered by somebody else while a
   * hook ran (see response-state.ts).
   */
  const runKoa = async (planOf: () => Plan, ctx: KoaContextLike, next: () => Promise<unknown>, isRoute = false): Promise<Plan | undefined> => {
    let decided: Plan | HttpError;
    try {
      const plan = planOf();
      const action: Action = { request: ctx.request, response: ctx.response, context: ctx, next };
      const view = viewOfKoa(ctx);
      // Before the body: the action routing-controllers will build has these same parts.
      if (isRoute) view.action = action;
      const decision = await core.run(plan, action, view);
      decided = isRefused(decision) ? decision.refused : plan;
    } catch (error) {
      // planOf() throws the generic 500 for a misconfigured route; run() never throws a refusal.
      if (!(error instanceof HttpError)) throw error;
      decided = error;
    }
    if (core.answeredElsewhere(ctx.res)) return undefined;
    if (decided instanceof HttpError) {
      answer(ctx, decided);
      return undefined;
    }
    return decided;
  };

  /**
   * A middleware for the front of the app: when the route koa-router will dispatch to is
   * protected by `@LoginRequired`, koa-bodyparser waits (`ctx.disableBodyParser`) and the action's
   * early middleware parses the body once the request is authenticated. routing-controllers runs
   * only the first matching route, so only that one decides: an open route matched first gets its
   * body as usual.
   */
  const deferBodyParsing = (router: KoaRouterLike) =>
    function deferBodyParsingUntilAuthenticated(ctx: DeferrableContext, next: () => Promise<unknown>) {
      const route = router.match(ctx.path, ctx.method).pathAndMethod.find((layer) => layer.methods.length > 0);
      const early = route?.stack.map(earlyActionOf).find((action) => action !== undefined);
      if (early) {
        let plan: Plan | undefined;
        try {
          plan = core.planForRoles(early.roles());
        } catch {
          // Misconfigured: the early middleware answers with the 500; the body is not needed.
        }
        // auth-int hashes the body, so such a request can only be checked after it was read.
        if (!plan || !core.needsBody(plan, viewOfKoa(ctx))) {
          ctx.disableBodyParser = true;
          markBodyDeferred(ctx);
        }
      }
      return next();
    };

  return {
    useKoa(app: KoaAppLike): void {
      const dispatch = app.middleware.find((m) => typeof (m as { router?: KoaRouterLike }).router?.match === 'function') as
        | { router: KoaRouterLike }
        | undefined;
      if (!dispatch) throw new TypeError('http-auth: call auth.useKoa(app) after createKoaServer/useKoaServer has registered the routes');
      core.checkRoutes((dispatch.router.stack ?? []).flatMap((layer) => layer.stack));
      const parsers = bodyParsersOf(app);
      registerKoaEarlyRunner(app, async (ctx, next, early) => {
        const koaCtx = ctx as DeferrableContext;
        const plan = await runKoa(() => core.planForRoles(early.roles()), koaCtx, next, true);
        if (!plan) return;
        core.tags.markAdmittedEarly(koaCtx.req, plan, methodOf(koaCtx.req));
        core.wiring.admittedEarly(koaCtx.res, 'koa', early);
        koaCtx.disableBodyParser = false;
        // The app's own parsers, in their order and with their options: the first that applies
        // parses, the others see a parsed body and pass.
        return parsers.reduceRight<() => Promise<unknown>>((rest, parser) => () => parser(koaCtx, rest), next)();
      });
      app.middleware.unshift(deferBodyParsing(dispatch.router));
      if (core.protectedResources.length > 0) app.middleware.unshift(serveProtectedResources(core.protectedResources));
    },

    koaGuard(options?: LoginRequiredOptions): KoaGuard {
      const plan = core.startupPlan(options, 'auth.koaGuard()');
      return async (ctx, next) => {
        if (await runKoa(() => plan, ctx, next)) await next();
      };
    },
  };
}
