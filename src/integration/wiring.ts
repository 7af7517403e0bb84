import type { ServerResponse } from 'node:http';
import type { Action } from 'routing-controllers';
import type { AuthLogger } from '../internal/log';
import { hasEarlyRunner, hasKoaEarlyRunner, type EarlyAction } from './before-body';

export type Driver = 'express' | 'koa';

const SERVER: Record<Driver, string> = { express: 'createExpressServer/useExpressServer', koa: 'createKoaServer/useKoaServer' };

/**
 * Finds the wiring a new user forgets, on the first requests that show it, and says the exact fix
 * once per kind. A forgotten checker never opens a route (routing-controllers answers 500 without
 * running the action), but nothing in that answer says why. Each check stops at its first
 * confirmation, so the steady state costs a boolean.
 */
export function createWiringCheck(logger: AuthLogger) {
  let authorizationCheckerRan = false;
  let currentUserCheckerRan = false;
  let appChecked = false;
  const reported = new Set<string>();
  const report = (level: 'warn' | 'error', kind: string, message: string) => {
    if (reported.has(kind)) return;
    reported.add(kind);
    logger[level](`http-auth: ${message}`);
  };

  /** On Express, `req.app` is the app routing-controllers registered the route on; on Koa, `ctx.app`. */
  const checkApp = (action: Action) => {
    const koaApp = (action.context as { app?: { middleware?: unknown } } | undefined)?.app;
    if (koaApp !== undefined) {
      if (Array.isArray(koaApp.middleware) && !hasKoaEarlyRunner(koaApp)) {
        report(
          'warn',
          'useKoa',
          'auth.useKoa(app) was not called for this Koa app, so koa-bodyparser reads every request body before it is authenticated; call auth.useKoa(app) after createKoaServer/useKoaServer, before listen',
        );
      }
      return;
    }
    const expressApp = (action.request as { app?: unknown } | undefined)?.app;
    if (typeof expressApp === 'function' && !hasEarlyRunner(expressApp)) {
      report(
        'warn',
        'useExpress',
        "auth.useExpress(app) was not called for this Express app, so request bodies are parsed before authentication and every refusal also reaches Express's final handler (which logs it and drops the connection); call auth.useExpress(app) after createExpressServer/useExpressServer",
      );
    }
  };

  return {
    /** The authorization checker ran; on its first request, was the app wired to the early path? */
    authorizationCheckerRan(action: Action): void {
      if (appChecked) return;
      appChecked = authorizationCheckerRan = true;
      checkApp(action);
    },

    currentUserCheckerRan(): void {
      currentUserCheckerRan = true;
    },

    /**
     * The early path admitted a request. Until the checkers have shown up, a 5xx answer to it
     * without them means routing-controllers was not given them: it throws
     * `AuthorizationCheckerNotDefinedError` / `CurrentUserCheckerNotDefinedError` for the action.
     */
    admittedEarly(res: ServerResponse, driver: Driver, early: EarlyAction): void {
      const checkerUnseen = !authorizationCheckerRan && !reported.has('authorizationChecker');
      const userCheckerUnseen = early.usesCurrentUser() && !currentUserCheckerRan && !reported.has('currentUserChecker');
      if (!checkerUnseen && !userCheckerUnseen) return;
      res.once('finish', () => {
        if (res.statusCode < 500) return;
        if (!authorizationCheckerRan) {
          report(
            'error',
            'authorizationChecker',
            `a request admitted by @LoginRequired got ${res.statusCode} because routing-controllers has no authorizationChecker; pass authorizationChecker: auth.authorizationChecker to ${SERVER[driver]}`,
          );
        } else if (!currentUserCheckerRan && early.usesCurrentUser()) {
          report(
            'error',
            'currentUserChecker',
            `a request to an action with @CurrentUser() got ${res.statusCode} because routing-controllers has no currentUserChecker; pass currentUserChecker: auth.currentUserChecker to ${SERVER[driver]}`,
          );
        }
      });
    },
  };
}

export type WiringCheck = ReturnType<typeof createWiringCheck>;
