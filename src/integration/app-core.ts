import type { ServerResponse } from 'node:http';
import type { Action, HttpError } from 'routing-controllers';
import type { RequestView } from '../authenticators/authenticator';
import type { Decision, HeaderTarget } from '../flow/decision';
import type { MaybePromise } from '../internal/steps';
import type { LoginRequiredOptions } from '../types';
import type { Plan } from './plans';
import type { ProtectedResource } from './protected-resource';
import type { NodeRequestView } from './request';
import type { Tags } from './tags';
import type { WiringCheck } from './wiring';

/**
 * What the drivers (express.ts, koa.ts, socket-io.ts) get of an app's checkers. It sits below
 * them and below create-auth-checkers.ts, which builds it and hands it to each driver: the
 * drivers depend on this, never on the file that assembles them.
 */

/** A request as the flow runs it: `req` keys the recorded user, `res` takes the challenge. */
export type FlowView = RequestView & { readonly req: object; readonly res: HeaderTarget };

/** What the Express, Koa and Socket.IO integrations use of an app's checkers. */
export interface AppCore {
  readonly tags: Tags<Plan>;
  readonly wiring: WiringCheck;
  /** The plan for the roles routing-controllers passes (or the early middleware computed). */
  planForRoles(roles: readonly unknown[]): Plan;
  /** The plan of a guard, checked at start-up. */
  startupPlan(options: LoginRequiredOptions | undefined, where: string): Plan;
  /** Start-up check of an app's routes: the handlers of every route it serves. */
  checkRoutes(handlers: Iterable<unknown>): void;
  /**
   * Decides a request: admitted, or refused with the `HttpError` to answer (never a throw or a
   * rejection); synchronous when the hooks are, else a promise of the same (see internal/steps.ts).
   */
  run(plan: Plan, action: Action, view: FlowView): MaybePromise<Decision>;
  /** Whether the request can only be authenticated once its body was read (Digest auth-int). */
  needsBody(plan: Plan, view: NodeRequestView): boolean;
  /** Whether the response can no longer take an answer (see response-state.ts); logged when somebody else answered. */
  answeredElsewhere(res: ServerResponse): boolean;
  /** Logs, rate-limited, a failure of the library itself that reached a driver's last resort. */
  logInternalError(error: unknown): void;
  /** The RFC 9728 metadata documents of the app's `@JwtAuth` classes with a `resource`. */
  readonly protectedResources: readonly ProtectedResource[];
  /** The generic 500 for a misconfiguration only a request reveals; each message logged once. */
  misconfigured(message: string): HttpError;
}
