import type { Action, HttpError } from 'routing-controllers';
import type { Authenticator, Refusal } from '../authenticators/authenticator';
import type { AuthenticationFailure, HttpAuthError } from '../errors';
import type { Throttle } from '../internal/throttle';
import type { SchemeKind } from '../registry';
import type { AuthFailureStatus, Awaitable, Credentials, HookRequest } from '../types';

/**
 * The vocabulary of the flow: an auth class bound for one app, and what deciding a request
 * yields. Types only (and one guard), below both the flow and the integrations that run it.
 */

/** One auth class bound to its instance for one app: its scheme plus the role and error hooks. */
export interface BoundAuth {
  readonly name: string;
  readonly scheme: SchemeKind;
  readonly authenticator: Authenticator;
  readonly getUserRoles?: (user: unknown, credentials: Credentials | undefined, request?: HookRequest) => Awaitable<unknown>;
  readonly errorHandler?: (status: AuthFailureStatus, action: Action, failure: AuthenticationFailure | undefined) => unknown;
  readonly throttle?: Throttle;
  /** A proxy class (without `keepProxyAuthorization`): `Proxy-Authorization` goes once it is used. */
  readonly dropsProxyAuthorization?: boolean;
}

/** What the flow notes while it decides, for the audit event: passed only when events are on. */
export interface DecisionNote {
  /** The member the flow picked. */
  selected?: BoundAuth;
  /** The username the credentials were verified for. */
  verifiedUsername?: string;
  /** The refusal the flow answered (before any `@ErrorHandler`). */
  refusal?: Refusal;
  /** What the flow threw, before it became the answer. */
  thrown?: unknown;
  /** The library's own 429 or 503, before an `@ErrorHandler` shaped it. */
  unavailable?: HttpAuthError;
  /** The 503 was a hook that did not settle within `hookTimeout`. */
  hookTimedOut?: boolean;
}

/** Where the flow writes response headers: a Node `ServerResponse` fits. */
export interface HeaderTarget {
  setHeader(name: string, value: string | readonly string[]): unknown;
  hasHeader(name: string): boolean;
  /**
   * Node's flag: the response has started (an `@ErrorHandler` or another middleware answered
   * while a hook ran). A header written then would throw, so none is.
   */
  readonly headersSent?: boolean;
}

/** The outcome of a request that may proceed. `hasUser` is false for anonymous optional access. */
export type Admission = { readonly hasUser: true; readonly user: unknown; readonly username?: string } | { readonly hasUser: false };

/**
 * A refused request: the `HttpError` to answer with, its challenge headers already written. The
 * flow returns refusals rather than throwing them (an exception costs more than the whole check);
 * `authorizationChecker` throws it, since routing-controllers expects a throw.
 */
export interface Refused {
  readonly hasUser: false;
  readonly refused: HttpError;
}

/** What the flow decides: admitted (with or without a user) or refused. */
export type Decision = Admission | Refused;

export const isRefused = (decision: Decision): decision is Refused => (decision as Partial<Refused>).refused !== undefined;

/** Reports a configuration problem that only a request could reveal: one log line, a generic 500. */
export type MisconfigurationReporter = (message: string) => HttpAuthError;
