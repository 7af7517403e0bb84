import type { IncomingMessage, ServerResponse } from 'node:http';
import { getFromContainer, getMetadataArgsStorage, HttpError, type Action } from 'routing-controllers';
import { bindAuth, validateAuthClass } from '../bind';
import { HttpAuthError } from '../errors';
import { admit, missingRolesHook, type Admission, type BoundAuth } from '../http-auth';
import { readAuthClass, type AuthClassMeta } from '../registry';
import { LoginRequirement, mergeRequirements, type EffectiveRequirement } from '../requirement';
import type { AuthClass, LoginRequiredOptions } from '../types';
import type { KoaRouterLike } from './before-body';
import { deferBodyParsing, registerEarlyRunner, registerKoaEarlyRunner } from './before-body';
import { requestsAuthInt } from './raw-body';
import { rateLimitedLog, type AuthLogger } from '../internal/log';
import type { UsernameFilter } from '../internal/credential-cache';
import { viewOfExpress, viewOfKoa, nodeRequestOf, viewOfAction, type NodeRequestView, type RequestSource } from './request';

export interface AuthCheckersOptions {
  /**
   * The app's controllers. When given, every `@LoginRequired` on them is checked at start-up
   * (auth classes that were not passed here, roles on a class without `@GetUserRoles`) instead of
   * on the first request that reaches it.
   */
  controllers?: readonly Function[];
  /** @default console */
  logger?: AuthLogger;
}

/** A Koa app, as far as `useKoa` needs one. */
export interface KoaAppLike {
  middleware: Function[];
}

/** An Express app, as far as `useExpress` needs one. */
export interface ExpressAppLike {
  use(handler: (error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void): unknown;
}

export type ExpressGuard = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The parts of a Koa context a guard uses. */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl: string;
  ip?: string;
  request: object;
  response: object;
  status: number;
  body: unknown;
}
export type KoaGuard = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/** What `createAuthCheckers` returns: everything per app lives here. */
export interface AuthCheckers<User> {
  /** routing-controllers' `authorizationChecker`. */
  authorizationChecker(action: Action, roles: readonly unknown[]): Promise<boolean>;
  /** routing-controllers' `currentUserChecker`: reads what the authorization step recorded. */
  currentUserChecker(action: Action): User | undefined;
  /** The user of a request (an Action, an Express request or a Koa context), like Flask's `auth.current_user()`. */
  currentUser(source: RequestSource): User | undefined;
  /**
   * Installs, after the routes, the Express error middleware that ends a request whose 4xx
   * answer routing-controllers already sent. Without it Express's final handler logs each one
   * and destroys the keep-alive connection. 5xx errors still go on to Express's handlers.
   */
  useExpress(app: ExpressAppLike): void;
  /**
   * Koa: call after `createKoaServer` / `useKoaServer` (before `listen`). Protected routes are then
   * authenticated before koa-bodyparser reads the body.
   */
  useKoa(app: KoaAppLike): void;
  /** Express middleware for routes that are not controllers (static files, API docs). */
  guard(options?: LoginRequiredOptions): ExpressGuard;
  /** Koa middleware for routes that are not controllers. */
  koaGuard(options?: LoginRequiredOptions): KoaGuard;
  /**
   * Forgets cached verified credentials (`cache` option): one user's, e.g. after a password
   * change; those of the usernames a test matches (`(name) => name.toLowerCase() === 'alice'`
   * where usernames are case-insensitive); or all of them. A verification already running for
   * them is not remembered when it ends. `@TokenAuth` caches carry no usernames: any call
   * forgets every cached token.
   */
  clearCache(which?: UsernameFilter): void;
}

type AuthInput = object | AuthClass;

interface Member {
  readonly cls: Function;
  readonly meta: AuthClassMeta;
  bound?: BoundAuth;
  readonly instance?: object;
}

interface Plan {
  readonly requirement: EffectiveRequirement;
  readonly members: readonly Member[];
  /** The members bound to their instances, on first use. */
  bound?: readonly BoundAuth[];
}

/**
 * Turns auth classes (instances, or classes resolved through routing-controllers' container) into
 * routing-controllers' `authorizationChecker` and `currentUserChecker`. The first one is the
 * default for routes that do not name one.
 *
 * @example
 * const auth = createAuthCheckers<User>([new UserAuth(store), ApiKeyAuth]);
 * const app = createExpressServer({ controllers: [ItemController], ...auth });
 * auth.useExpress(app);
 */
export function createAuthCheckers<User = string>(
  auth: AuthInput | readonly AuthInput[],
  options: AuthCheckersOptions = {},
): AuthCheckers<User> {
  const inputs: readonly AuthInput[] = Array.isArray(auth) ? auth : [auth];
  if (inputs.length === 0) throw new TypeError('http-auth: createAuthCheckers needs at least one auth class or instance');
  const logger = options.logger ?? console;
  const limitedLog = rateLimitedLog(logger);

  const members: Member[] = inputs.map((input) => {
    const isClass = typeof input === 'function';
    const cls = isClass ? input : (input as object).constructor;
    const meta = readAuthClass(cls);
    if (!meta) {
      throw new TypeError(
        `http-auth: createAuthCheckers got ${cls?.name || String(input)}, which is not an auth class; decorate it with @BasicAuth, @DigestAuth or @TokenAuth`,
      );
    }
    for (const warning of validateAuthClass(meta)) logger.warn(`http-auth: ${warning}`);
    return isClass ? { cls, meta } : { cls, meta, instance: input as object };
  });
  if (new Set(members.map((m) => m.cls)).size !== members.length) {
    throw new TypeError('http-auth: createAuthCheckers got the same auth class twice; pass each once');
  }

  const bound = (member: Member): BoundAuth => {
    // Classes are resolved on first use, so useContainer() may be called after createAuthCheckers.
    member.bound ??= bindAuth(member.meta, member.instance ?? (getFromContainer(member.cls as new () => object) as object), {
      logError: (kind, message) => limitedLog.error(`${member.meta.name}:${kind}`, `http-auth: ${member.meta.name}: ${message}`),
    });
    return member.bound;
  };

  const memberFor = (cls: Function): Member | undefined =>
    members.find((m) => m.cls === cls) ?? members.find((m) => m.cls.prototype instanceof cls);

  /** Why a requirement cannot be served by these checkers, naming the fix; undefined when it can. */
  const problemWith = (requirement: EffectiveRequirement): string | undefined => {
    const chosen: Member[] = [];
    for (const cls of requirement.auth ?? [members[0].cls]) {
      const member = memberFor(cls);
      if (!member) return `${cls.name} is named in @LoginRequired({ auth }) but was not passed to createAuthCheckers; add it there`;
      chosen.push(member);
    }
    if (requirement.role) {
      const lacking = chosen.find((m) => !m.meta.hooks.has('getUserRoles'));
      if (lacking) return missingRolesHook(lacking.meta.name);
    }
    return undefined;
  };

  // Per-request facts live on the request (and error) objects under symbols private to this app:
  // a WeakMap keyed by every request would only be emptied by full garbage collections, and
  // under load its tables grow into hundreds of megabytes.
  const tags = createTags();

  const reported = new Set<string>();
  const misconfigured = (message: string): HttpAuthError => {
    if (!reported.has(message)) {
      reported.add(message);
      logger.error(`http-auth: ${message}`);
    }
    const error = new HttpAuthError(500, 'ERR_HTTP_AUTH_MISCONFIGURED', 'internal server error');
    // Logged once above; Express's final handler must not log it again or drop the connection.
    tags.markAnswered(error);
    return error;
  };

  const planFor = (requirement: EffectiveRequirement): Plan | string => {
    const problem = problemWith(requirement);
    if (problem) return problem;
    return { requirement, members: (requirement.auth ?? [members[0].cls]).map((cls) => memberFor(cls)!) };
  };

  // routing-controllers passes the same roles array for every request to an action.
  const plans = new WeakMap<readonly unknown[], Plan | string>();
  const planForRoles = (roles: readonly unknown[]): Plan => {
    let plan = plans.get(roles);
    if (plan === undefined) {
      plan = planFor(mergeRequirements(roles));
      plans.set(roles, plan);
    }
    if (typeof plan === 'string') throw misconfigured(plan);
    return plan;
  };

  const startupPlan = (options: LoginRequiredOptions | undefined, where: string): Plan => {
    const plan = planFor(mergeRequirements([new LoginRequirement(options, where)]));
    if (typeof plan === 'string') throw new TypeError(`http-auth: ${where}: ${plan}`);
    return plan;
  };

  if (options.controllers) checkControllers(options.controllers, (roles, where) => {
    const plan = planFor(mergeRequirements(roles));
    if (typeof plan === 'string') throw new TypeError(`http-auth: ${where}: ${plan}`);
  });

  const run = async (plan: Plan, action: Action, parts: NodeRequestView): Promise<Admission> => {
    try {
      plan.bound ??= plan.members.map(bound);
      const admission = await admit(plan.bound, plan.requirement, parts, action, parts.res, misconfigured);
      if (admission.hasUser) tags.setUser(parts.req, admission.user);
      return admission;
    } catch (error) {
      if (error instanceof HttpError) tags.markAnswered(error);
      throw error;
    }
  };

  /** Runs the flow for an Express request outside routing-controllers; answers a failure itself. */
  const runExpress = (planOf: () => Plan, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void, admitted: () => void): void => {
    const fail = (error: unknown) => (error instanceof HttpError ? sendError(res, error) : next(error));
    let plan: Plan;
    try {
      plan = planOf();
    } catch (error) {
      return fail(error);
    }
    run(plan, { request: req, response: res, next }, viewOfExpress(req, res)).then(admitted, fail);
  };

  /** Runs the flow for a Koa context; answers a failure itself and returns whether to go on. */
  const runKoa = async (planOf: () => Plan, ctx: KoaContextLike, next: () => Promise<unknown>): Promise<boolean> => {
    try {
      await run(planOf(), { request: ctx.request, response: ctx.response, context: ctx, next }, viewOfKoa(ctx));
      return true;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      ctx.status = error.httpCode || 500;
      ctx.body = errorBody(error);
      return false;
    }
  };

  const currentUser = (source: RequestSource): User | undefined => {
    const req = nodeRequestOf(source);
    return req ? (tags.user(req) as User | undefined) : undefined;
  };

  return {
    async authorizationChecker(action, roles) {
      // Admitted before the body was parsed (see before-body.ts): the checker only confirms it.
      const req = ((action.context as { req?: IncomingMessage } | undefined)?.req ?? action.request) as IncomingMessage;
      if (tags.admittedEarly(req)) return true;
      await run(planForRoles(roles), action, viewOfAction(action));
      return true;
    },

    currentUserChecker: (action) => currentUser(action),
    currentUser,

    clearCache(username) {
      for (const member of members) member.bound?.authenticator.clearCache?.(username);
    },

    useExpress(app) {
      registerEarlyRunner(app, (req, res, next, roles) => {
        // auth-int hashes the body, so such a request can only be checked after it was read.
        if (requestsAuthInt(req)) return next();
        runExpress(() => planForRoles(roles), req, res, next, () => {
          tags.markAdmittedEarly(req);
          next();
        });
      });
      app.use((error, _req, res, next) => {
        // routing-controllers calls next(error) after it has written the response; an answered
        // client error needs nothing more, and the connection may be kept alive.
        const alreadyAnswered =
          res.headersSent &&
          typeof error === 'object' &&
          error !== null &&
          (tags.answered(error) || (error instanceof HttpError && error.httpCode >= 400 && error.httpCode < 500));
        if (!alreadyAnswered) next(error);
      });
    },

    useKoa(app) {
      const dispatch = app.middleware.find((m) => typeof (m as { router?: KoaRouterLike }).router?.match === 'function') as
        | { router: KoaRouterLike }
        | undefined;
      if (!dispatch) throw new TypeError('http-auth: call auth.useKoa(app) after createKoaServer/useKoaServer has registered the routes');
      // koa-bodyparser is what routing-controllers' Koa driver itself loads.
      const parseBody = (require('koa-bodyparser') as () => (ctx: object, next: () => Promise<unknown>) => Promise<unknown>)();
      registerKoaEarlyRunner(app, async (ctx, next, roles) => {
        const koaCtx = ctx as KoaContextLike & { disableBodyParser?: boolean };
        if (!(await runKoa(() => planForRoles(roles), koaCtx, next))) return;
        tags.markAdmittedEarly(koaCtx.req);
        koaCtx.disableBodyParser = false;
        return parseBody(koaCtx, next);
      });
      app.middleware.unshift(deferBodyParsing(dispatch.router, (ctx) => requestsAuthInt(ctx.req)));
    },

    guard(guardOptions) {
      const plan = startupPlan(guardOptions, 'auth.guard()');
      return (req, res, next) => runExpress(() => plan, req, res, next, () => next());
    },

    koaGuard(guardOptions) {
      const plan = startupPlan(guardOptions, 'auth.koaGuard()');
      return async (ctx, next) => {
        if (await runKoa(() => plan, ctx, next)) await next();
      };
    },
  };
}

/** Symbol-keyed tags for one app: invisible to Object.keys and JSON, so nothing leaks into bodies. */
function createTags() {
  // One property per request: adding properties to an Express request is not free.
  const state = Symbol('http-auth: request');
  const answered = Symbol('http-auth: answered');
  type Tagged = Record<symbol, unknown>;
  type RequestState = { user: unknown; early: boolean };
  // Express keeps a dictionary object per response (res.locals), where a new key costs little;
  // Express's request objects are slow to grow. Elsewhere (Koa) the request itself holds it.
  const holderOf = (req: IncomingMessage): Tagged =>
    ((req as IncomingMessage & { res?: { locals?: Tagged } }).res?.locals ?? req) as unknown as Tagged;
  const peek = (req: IncomingMessage) => holderOf(req)[state] as RequestState | undefined;
  const stateOf = (req: IncomingMessage): RequestState => {
    const holder = holderOf(req);
    return ((holder[state] as RequestState | undefined) ??= { user: undefined, early: false });
  };
  return {
    setUser: (req: IncomingMessage, value: unknown) => (stateOf(req).user = value),
    user: (req: IncomingMessage) => peek(req)?.user,
    markAdmittedEarly: (req: IncomingMessage) => (stateOf(req).early = true),
    admittedEarly: (req: IncomingMessage) => peek(req)?.early === true,
    markAnswered: (error: object) => ((error as Tagged)[answered] = true),
    answered: (error: object) => (error as Tagged)[answered] === true,
  };
}

function errorBody(error: HttpError): unknown {
  const withJson = error as HttpError & { toJSON?: () => unknown };
  return typeof withJson.toJSON === 'function' ? withJson.toJSON() : { name: error.name, message: error.message };
}

function sendError(res: ServerResponse, error: HttpError): void {
  const body = errorBody(error);
  res.statusCode = error.httpCode || 500;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.setHeader('Content-Type', typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Calls `check` with the merged roles of every action of the given controllers. */
function checkControllers(controllers: readonly Function[], check: (roles: readonly unknown[], where: string) => void): void {
  const storage = getMetadataArgsStorage();
  const authorized = storage.responseHandlers.filter((h) => h.type === 'authorized');
  for (const controller of controllers) {
    const classValue = authorized.find((h) => h.target === controller && !h.method)?.value;
    for (const action of storage.actions.filter((a) => a.target === controller)) {
      const methodValue = authorized.find((h) => h.target === controller && h.method === action.method)?.value;
      if (classValue === undefined && methodValue === undefined) continue;
      const roles = ([] as unknown[]).concat(classValue ?? [], methodValue ?? []);
      check(roles, `${controller.name}.${action.method}`);
    }
  }
}
