import { HttpError, type Action } from 'routing-controllers';
import { wantsRequest, type Authenticator, type Outcome, type Refusal, type RequestView } from '../authenticators/authenticator';
import { credentialsHeader } from '../authenticators/basic';
import { AuthenticationError, AuthenticationFailure, CrossSiteError, HttpAuthError, PreflightAnswer, RoleError } from '../errors';
import { answerHintsOf, unavailableError } from '../internal/answer-hints';
import { addResponseHeader } from '../internal/response-headers';
import type { Steps } from '../internal/steps';
import { missingRolesHook, type EffectiveRequirement } from '../requirement';
import { groupsForMethod, hasRequiredRoles, toRoleSet } from '../roles';
import { scopesForMethod } from '../scopes';
import type { AuthFailureStatus } from '../types';
import type { Admission, BoundAuth, Decision, DecisionNote, HeaderTarget, MisconfigurationReporter, Refused } from './decision';
import { HookTimeout } from './hook-errors';
import { reserveAttempt } from './throttle-step';

function setHeaderWhileOpen(response: HeaderTarget, name: string, value: string | readonly string[]): void {
  if (response.headersSent !== true) response.setHeader(name, value);
}

const NOT_FRESH: Refusal = Object.freeze({
  status: 401,
  bearerError: 'invalid_token',
  failure: new AuthenticationFailure('fresh token required', { code: 'fresh_required' }),
});

const refuse = (answer: HttpError): Refused => ({ hasUser: false, refused: answer });

const ANONYMOUS: Admission = Object.freeze({ hasUser: false });

/**
 * Flask-HTTPAuth's `login_required`, once for every scheme: pick the member, authenticate,
 * authorize, then either admit the request or answer with a challenge. A refusal is returned as
 * its `HttpAuthError` (or whatever `HttpError` an `@ErrorHandler` threw) after the challenge header
 * has been written; what a hook throws otherwise is thrown. With `note` (audit events on), it also
 * notes what the event needs.
 *
 * Written as steps (see internal/steps.ts): run by `runSteps`, it decides synchronously when
 * every hook answers synchronously, and returns a promise of the same otherwise.
 */
export function* admit(
  members: readonly BoundAuth[],
  requirement: EffectiveRequirement,
  request: RequestView,
  action: Action,
  response: HeaderTarget,
  misconfigured: MisconfigurationReporter,
  note?: DecisionNote,
): Steps<Decision> {
  // The Fetch standard sends CORS preflights without credentials, so they cannot be
  // authenticated; they are answered here and never reach the handler. Any other OPTIONS request
  // is authenticated like every other method (Flask-HTTPAuth lets all of them through).
  if (request.method === 'OPTIONS' && isCorsPreflight(request)) return refuse(new PreflightAnswer());

  const selected = members.length === 1 ? members[0] : (members.find((m) => m.authenticator.presents(request)) ?? members[0]);
  if (note) note.selected = selected;
  try {
    return yield* decide(selected, members, requirement, request, action, response, misconfigured, note);
  } catch (error) {
    // A hook that never settled, or a store that is down: 503, shaped by the class's
    // @ErrorHandler like any refusal (unless it was the handler that did not settle).
    if (error instanceof HookTimeout) {
      if (note) note.hookTimedOut = true;
      return yield* unavailableAnswer(error.kind === 'errorHandler' ? undefined : selected.errorHandler, unavailableError(), action, response, undefined, note);
    }
    if (error instanceof HttpAuthError && error.code === 'ERR_HTTP_AUTH_UNAVAILABLE') {
      const retryAfter = answerHintsOf(error)?.retryAfterSeconds;
      return yield* unavailableAnswer(selected.errorHandler, error, action, response, retryAfter === undefined ? undefined : String(retryAfter), note);
    }
    throw error;
  }
}

function* decide(
  selected: BoundAuth,
  members: readonly BoundAuth[],
  requirement: EffectiveRequirement,
  request: RequestView,
  action: Action,
  response: HeaderTarget,
  misconfigured: MisconfigurationReporter,
  note: DecisionNote | undefined,
): Steps<Decision> {
  // Credentials that none of the route's schemes can read are wrong credentials, not absent ones:
  // an optional route must not serve them the anonymous view, nor may a hook see them as ''.
  // A proxy reads only Proxy-Authorization: Authorization is for the origin server behind it.
  if (!selected.authenticator.presents(request) && request.header(credentialsHeader(selected.authenticator.proxy))?.trim()) {
    return yield* refusalAnswer(selected, members, { status: 401, reason: 'foreign-scheme' }, request, action, response, note);
  }
  const { authenticator } = selected;
  // Before any hook runs: a blocked client costs no password hash and learns nothing, and
  // credentials that will reach a hook hold one of the `failures` slots while they do.
  const reservation = yield* reserveAttempt(selected, request, misconfigured);
  if (reservation?.refused) {
    const retryAfter = String(Math.ceil(reservation.retryAfterMs / 1000));
    return yield* unavailableAnswer(selected.errorHandler, throttled(), action, response, retryAfter, note);
  }
  const attempt = reservation;
  let outcome: Outcome;
  try {
    outcome = yield* authenticator.authenticate(request);
  } catch (error) {
    // A hook that said why it refused: the same 401 as a `null`, with the reason attached.
    if (!(error instanceof AuthenticationFailure)) {
      if (attempt) yield attempt.end('other');
      throw error;
    }
    outcome = { kind: 'rejected', refusal: { status: 401, bearerError: 'invalid_token', failure: error } };
  }
  if (attempt) {
    yield attempt.end(
      outcome.kind === 'authenticated' ? 'succeeded' : outcome.kind === 'rejected' && outcome.refusal.status === 401 && !outcome.refusal.stale ? 'failed' : 'other',
    );
  }

  if (outcome.kind === 'anonymous') {
    if (requirement.optional) return ANONYMOUS;
    return yield* refusalAnswer(selected, members, { status: 401, reason: 'no-credentials' }, request, action, response, note);
  }
  if (outcome.kind === 'rejected') return yield* refusalAnswer(selected, members, outcome.refusal, request, action, response, note);

  const { verified, credentials } = outcome;
  const user = verified === true ? credentials?.username : verified;
  if (note) note.verifiedUsername = credentials?.username;

  // A token from a login just now, not a refresh (its issuer marks it `fresh`).
  if (requirement.fresh === true && credentials?.claims?.fresh !== true) {
    return yield* refusalAnswer(selected, members, NOT_FRESH, request, action, response, note);
  }

  // OAuth scopes, then roles: both must hold. A token that lacks a scope learns which it needs.
  if (requirement.scope) {
    const needed = scopesForMethod(requirement.scope, request.method);
    const granted = credentials?.scopes;
    if (!needed || !granted || !needed.every((scope) => granted.includes(scope))) {
      const refusal: Refusal = { status: 403, bearerError: 'insufficient_scope', reason: 'insufficient-scope', scope: needed ?? [] };
      return yield* refusalAnswer(selected, members, refusal, request, action, response, note);
    }
  }

  if (requirement.role) {
    const groups = groupsForMethod(requirement.role, request.method);
    if (!groups) return yield* refusalAnswer(selected, members, { status: 403, reason: 'role' }, request, action, response, note);
    const { getUserRoles } = selected;
    if (!getUserRoles) throw misconfigured(missingRolesHook(selected.name));
    let roles: ReadonlySet<string>;
    try {
      roles = toRoleSet(yield wantsRequest(getUserRoles, 2) ? getUserRoles(user, credentials, request.hookRequest()) : getUserRoles(user, credentials));
    } catch (error) {
      if (error instanceof AuthenticationFailure) return yield* refusalAnswer(selected, members, { status: 403, failure: error }, request, action, response, note);
      throw error;
    }
    if (!hasRequiredRoles(groups, roles)) return yield* refusalAnswer(selected, members, { status: 403, reason: 'role' }, request, action, response, note);
  }

  // After an async hook something else may have answered (a timeout middleware): the admission's
  // headers are then moot, and setting one would throw.
  if (outcome.headers && response.headersSent !== true) for (const [name, value] of outcome.headers) addResponseHeader(response, name, value);
  // The proxy's credentials were for this hop: a handler that forwards the request's headers
  // must not pass them on to the origin server.
  if (selected.dropsProxyAuthorization && credentials) request.removeHeader?.('proxy-authorization');
  return { hasUser: true, user, username: credentials?.username };
}

const throttled = () => new HttpAuthError(429, 'ERR_HTTP_AUTH_THROTTLED', 'too many failed attempts');

/**
 * A 429 (throttled) or 503 (a store down, a hook that never settled): nothing is wrong with the
 * credentials, so there is no challenge, but the class's `@ErrorHandler` shapes the body as for
 * any refusal, so an app's error format covers every answer. `Retry-After` is kept whatever the
 * handler answers.
 */
function* unavailableAnswer(
  errorHandler: BoundAuth['errorHandler'],
  answer: HttpAuthError,
  action: Action,
  response: HeaderTarget,
  retryAfter: string | undefined,
  note: DecisionNote | undefined,
): Steps<Refused> {
  if (note) note.unavailable = answer;
  const keepRetryAfter = () => {
    if (retryAfter !== undefined) setHeaderWhileOpen(response, 'Retry-After', retryAfter);
  };
  keepRetryAfter();
  if (!errorHandler) return refuse(answer);
  let body: unknown;
  try {
    body = yield errorHandler(answer.httpCode as AuthFailureStatus, action, undefined);
  } catch (error) {
    // A handler that did not settle: the answer as it would be without one.
    if (error instanceof HookTimeout) return refuse(answer);
    if (!(error instanceof HttpError)) throw error;
    keepRetryAfter();
    return refuse(error);
  }
  keepRetryAfter();
  return refuse(new HttpAuthError(answer.httpCode, answer.code, answer.message, body));
}

/** OPTIONS with `Origin` and `Access-Control-Request-Method`: a browser asking before the real request. */
function isCorsPreflight(request: RequestView): boolean {
  return request.header('origin') !== undefined && request.header('access-control-request-method') !== undefined;
}

/**
 * Writes the challenges for a refusal and returns the error that answers it. A 401 tells the
 * client every scheme it may use, the one it tried first (RFC 9110 §11.6.1). A proxy route (its
 * members are all proxies, see plans.ts) answers 407 with `Proxy-Authenticate` instead (§11.7).
 */
function* refusalAnswer(
  selected: BoundAuth,
  members: readonly BoundAuth[],
  refusal: Refusal,
  request: RequestView,
  action: Action,
  response: HeaderTarget,
  note: DecisionNote | undefined,
): Steps<Refused> {
  if (note) note.refusal = refusal;
  if (refusal.headers) for (const [name, value] of refusal.headers) setHeaderWhileOpen(response, name, value);
  const challenges = [...((yield selected.authenticator.challenges(refusal, request)) as string[])];
  if (refusal.status === 401) {
    for (const member of members) if (member !== selected) challenges.push(...((yield member.authenticator.challenges({ status: 401 }, request)) as string[]));
  }
  const proxy = selected.authenticator.proxy === true;
  const challengeHeader = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  const status = proxy && refusal.status === 401 ? 407 : refusal.status;
  const setChallenge = () => {
    if (response.headersSent !== true && !response.hasHeader(challengeHeader) && challenges.length > 0) response.setHeader(challengeHeader, challenges);
  };
  let body: unknown;
  if (selected.errorHandler) {
    try {
      body = yield selected.errorHandler(status, action, refusal.failure);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (error.httpCode === 401 || error.httpCode === 403 || error.httpCode === 407) setChallenge();
      return refuse(error);
    }
  }
  setChallenge();
  return refuse(status === 403 ? (refusal.reason === 'cross-site' ? new CrossSiteError(body) : new RoleError(body)) : new AuthenticationError(body, status));
}
