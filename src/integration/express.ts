import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type Action } from 'routing-controllers';
import { HttpAuthError } from '../errors';
import { isRefused, type Decision } from '../flow/decision';
import { isPromiseLike, type MaybePromise } from '../internal/steps';
import type { LoginRequiredOptions } from '../types';
import { registerEarlyRunner, type EarlyAction } from './before-body';
import { viewOfExpress, type NodeRequestView } from './request';
import type { Plan } from './plans';
import type { AppCore } from './app-core';
import { errorBody } from './tags';
import { METADATA_HEADERS } from './protected-resource';

/**
 * An Express app (4 or 5), as far as `useExpress` needs one: a structural type, so the library
 * does not depend on Express's typings.
 * @example
 * ```ts
 * const app: ExpressAppLike = useExpressServer(express(), { controllers: [ItemController], ...auth });
 * auth.useExpress(app);
 * ```
 */
export interface ExpressAppLike {
  /** Express's `app.use`: `useExpress` adds one error middleware, after the routes. */
  use(handler: (error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void): unknown;
}

/**
 * The Express middleware `auth.guard()` returns, for routes that are not controllers: it
 * answers 401/403 itself, or calls `next()` with the user recorded for `auth.currentUser(req)`.
 * @example
 * ```ts
 * const adminsOnly: ExpressGuard = auth.guard({ role: 'admin' });
 * app.use('/docs', adminsOnly, swaggerUi.serve);
 * ```
 */
export type ExpressGuard = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

type Next = (error?: unknown) => void;

interface RouterLike {
  stack?: { route?: { stack?: { handle?: unknown }[] } }[];
}

/** Every route handler of an app: Express 4 keeps its router in `_router`, Express 5 in `router`. */
function* routeHandlersOf(app: object): Generator<unknown> {
  let router = (app as { _router?: RouterLike })._router;
  if (!router) {
    try {
      router = (app as { router?: RouterLike }).router;
    } catch {
      // Express 4 throws on `app.router`; it has no routes yet then.
    }
  }
  for (const layer of router?.stack ?? []) for (const handler of layer.route?.stack ?? []) yield handler.handle;
}

/** Answers an error the flow threw: a 204 preflight has no body; everything else is JSON. */
function sendError(res: ServerResponse, error: HttpError): void {
  res.statusCode = error.httpCode || 500;
  if (res.statusCode === 204) {
    res.end();
    return;
  }
  const body = errorBody(error);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.setHeader('Content-Type', typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function expressIntegration(core: AppCore) {
  /** Answers a refusal, unless somebody else already answered (see response-state.ts). */
  const answer = (res: ServerResponse, error: HttpError): void => {
    if (!core.answeredElsewhere(res)) sendError(res, error);
  };

  /** What a failure of the library itself becomes: Express's error path, while the response is open. */
  const failed = (res: ServerResponse, next: Next, error: unknown): void => {
    if (core.answeredElsewhere(res)) core.logInternalError(error);
    else next(error);
  };

  /**
   * Runs the flow outside routing-controllers' own check and answers a failure itself. An
   * admitted request goes on (`next()`) in this same call when the flow decided synchronously.
   * `early`: the action whose before-body middleware this is, whose admission is recorded.
   */
  const runExpress = (plan: Plan, view: NodeRequestView, next: Next, early?: EarlyAction): void => {
    const action: Action = { request: view.req, response: view.res, next };
    // Before the body: the action routing-controllers will build has these same parts.
    if (early) view.action = action;
    let decided: MaybePromise<Decision>;
    try {
      decided = core.run(plan, action, view);
    } catch (error) {
      // run() answers refusals and hook failures itself; only a bug in the library gets here.
      return failed(view.res, next, error);
    }
    if (!isPromiseLike(decided)) return proceed(plan, view, next, early, decided);
    // Every continuation ends in a handler: nothing here may become an unhandled rejection.
    decided.then((decision) => proceed(plan, view, next, early, decision)).then(undefined, (error: unknown) => failed(view.res, next, error));
  };

  /** Answers a refusal, or lets an admitted request go on (recording an early admission). */
  const proceed = (plan: Plan, view: NodeRequestView, next: Next, early: EarlyAction | undefined, decision: Decision): void => {
    // Answered by somebody else while a hook ran: the handler must not run after the client got its answer.
    if (core.answeredElsewhere(view.res)) return;
    if (isRefused(decision)) return sendError(view.res, decision.refused);
    if (early) {
      core.tags.markAdmittedEarly(view.req, plan, view.method);
      core.wiring.admittedEarly(view.res, 'express', early);
    }
    next();
  };

  const fail = (res: ServerResponse, next: Next, error: unknown) => (error instanceof HttpError ? answer(res, error) : failed(res, next, error));

  return {
    useExpress(app: ExpressAppLike): void {
      core.checkRoutes(routeHandlersOf(app));
      for (const resource of core.protectedResources) {
        // RFC 9728 §3: GET (and HEAD) of the metadata path, at the path only: no Host decides it.
        (app as ExpressAppLike & { get(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): unknown }).get(resource.path, (_req, res) => {
          const body = JSON.stringify(resource.metadata());
          res.writeHead(200, { ...METADATA_HEADERS, 'Content-Length': Buffer.byteLength(body) }).end(body);
        });
      }
      registerEarlyRunner(app, (req, res, next, early) => {
        let plan: Plan;
        try {
          plan = core.planForRoles(early.roles());
        } catch (error) {
          return fail(res, next, error);
        }
        const view = viewOfExpress(req, res);
        // auth-int hashes the body, so such a request can only be checked after it was read.
        if (core.needsBody(plan, view)) return next();
        runExpress(plan, view, next, early);
      });
      app.use((error, _req, res, next) => {
        // A refusal of the library's, which routing-controllers has written and passes on: it needs
        // nothing more, and the connection may be kept alive. Every other error goes on to the
        // app's own error middleware (which may log or count class-validator's 400s, say).
        if (res.headersSent && typeof error === 'object' && error !== null && core.tags.answered(error)) return;
        // Thrown by routing-controllers, before any answer, when it was given no authorizationChecker:
        // the generic 500 (the wiring check logs the fix) instead of Express's page with a stack.
        if (!res.headersSent && (error as { name?: unknown } | null)?.name === 'AuthorizationCheckerNotDefinedError') {
          answer(res, new HttpAuthError(500, 'ERR_HTTP_AUTH_MISCONFIGURED', 'internal server error'));
          return;
        }
        next(error);
      });
    },

    guard(options?: LoginRequiredOptions): ExpressGuard {
      const plan = core.startupPlan(options, 'auth.guard()');
      return (req, res, next) => runExpress(plan, viewOfExpress(req, res), next);
    },
  };
}
