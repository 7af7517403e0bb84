import { performance } from 'node:perf_hooks';
import { HttpError } from 'routing-controllers';
import type { Refusal, RequestView } from '../authenticators/authenticator';
import { HookFailure } from '../flow/hook-errors';
import { HttpAuthError, PreflightAnswer } from '../errors';
import type { Admission, DecisionNote } from '../flow/decision';
import type { LimitedLog } from '../internal/log';
import { answerHintsOf } from '../internal/answer-hints';
import { isPromiseLike } from '../internal/steps';
import type { SchemeKind } from '../registry';
import { describeThrown } from './failures';

/**
 * What a decision was; see {@link AuthEvent}.
 * @example const level = (type: AuthEventType) => (type === 'error' ? 'error' : type === 'rejected' ? 'warn' : 'info');
 */
export type AuthEventType = 'authenticated' | 'anonymous' | 'rejected' | 'forbidden' | 'throttled' | 'error';

/**
 * One authentication decision, for an audit trail or metrics: what `onEvent` receives. It never
 * holds a password, token, hash, nonce or `Authorization` value.
 *
 * | type | when | `status` | `reason` | `username` |
 * |---|---|---|---|---|
 * | `authenticated` | the request may proceed with a user | — | — | the verified username (Basic, Digest) |
 * | `anonymous` | no credentials on an optional route | — | — | — |
 * | `rejected` | 401, 407 (proxy) or 400; 403 for a cookie token another site sent | the answer's | see below | the claimed username (Basic, Digest without userhash), unverified |
 * | `forbidden` | authenticated, but 403 | the answer's | `'role'`, or the `AuthenticationFailure` `@GetUserRoles` threw | the verified username |
 * | `throttled` | 429 (throttle) | 429, or what an `@ErrorHandler` answered instead | `'too-many-attempts'` | the claimed username |
 * | `error` | any 5xx | 500 or 503 (or what an `@ErrorHandler` answered instead of the 503) | `'hook-error'`, `'hook-timeout'` (a hook did not settle within `hookTimeout`), `'misconfigured'`, `'store-unavailable'`, `'keys_unavailable'` (`@JwtAuth`: no key could be had), `'introspection_unavailable'` (`@IntrospectionAuth`: the endpoint failed), `'internal'` | the verified username, if it got that far |
 *
 * `reason` of `rejected`: `'no-credentials'`, `'malformed'`, `'foreign-scheme'` (credentials of a
 * scheme the route does not accept), `'bad-credentials'`, `'stale-nonce'`, `'replay'` (Digest),
 * `'cross-site'` (a cookie token on an unsafe request or a handshake from another origin), or
 * the `code` (else the `message`) of an `AuthenticationFailure` a verify hook threw; `'http-error'`
 * when a hook threw a routing-controllers `HttpError` itself.
 *
 * @example
 * createAuthCheckers(UserAuth, { onEvent: (event: AuthEvent) => log.info({ auth: event }, `auth ${event.type}`) });
 */
export interface AuthEvent {
  /** What was decided: admitted with a user, admitted anonymously, refused (401/407/400), refused for a role (403), throttled (429), or a 5xx. */
  readonly type: AuthEventType;
  /** The auth class that decided (in a MultiAuth, the one the credentials were meant for). */
  readonly authClass: string;
  /**
   * The scheme word as the class configured it, the same word as `Credentials.scheme`: `'Basic'`,
   * `'Digest'`, `'Bearer'`, or a class's own `scheme` option (e.g. `'ApiKey'`).
   */
  readonly scheme: string;
  /** The class's scheme decorator: `@BasicAuth` (`'basic'`), `@DigestAuth` (`'digest'`), `@TokenAuth` (`'token'`), `@JwtAuth` (`'jwt'`) `@ClientCertAuth` (`'clientCert'`, scheme `'mTLS'`) or `@IntrospectionAuth` (`'introspection'`). */
  readonly kind: SchemeKind;
  /**
   * Basic and Digest only: the verified username, or on `rejected`/`throttled` the one claimed
   * (unverified, possibly a mistyped password); never from a token scheme, never a userhash.
   */
  readonly username?: string;
  /** Why, for a refusal or an error: e.g. `bad-credentials`, `foreign-scheme`, `replay`, `role`, an `AuthenticationFailure`'s code. */
  readonly reason?: string;
  /** The status answered for a refusal; absent when the request went on to the handler. */
  readonly status?: number;
  /** Upper-case; after any method override, as the router dispatched it. */
  readonly method: string;
  /** The request path without the query string (a query may hold `access_token`); for a Socket.IO handshake, the engine's path (`/socket.io/`). */
  readonly path: string;
  /** Socket.IO handshakes only: the namespace the client connected to, e.g. `'/chat'`. */
  readonly namespace?: string;
  /** The client address as the framework reports it (Express `req.ip`, Koa `ctx.ip`: mind the proxy settings). */
  readonly clientAddress: string | undefined;
  /** From the start of the decision to its end (hooks, throttling and stores included). */
  readonly durationMs: number;
}

/**
 * `createAuthCheckers({ onEvent })`: called once per decision, after it, on a later turn.
 * @example const onEvent: AuthEventListener = (event) => decisions.inc({ type: event.type });
 */
export type AuthEventListener = (event: AuthEvent) => unknown;

/** The member that decided when the flow never picked one (an auth class that could not be built). */
export interface FallbackMember {
  readonly name: string;
  readonly kind: SchemeKind;
  /** Its resolved options: every scheme's carry its `scheme` word. */
  readonly config: unknown;
}

/** `onEvent` checked once at start-up. */
export function resolveEventListener(value: unknown): AuthEventListener | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new TypeError('http-auth: createAuthCheckers: onEvent must be a function, (event) => void; pass one or leave the option out');
  }
  return value as AuthEventListener;
}

/**
 * The audit side of one app. `start()` before the decision, `admitted`/`refused` after it: the
 * event is built at once (the request is still as it was) and delivered on a later turn, so
 * a listener can neither change the answer nor delay it; what it throws or rejects with is
 * logged, at most one line a minute.
 */
export function createAuditor(listener: AuthEventListener, log: LimitedLog) {
  const report = (error: unknown) => {
    log.error('onEvent', `http-auth: onEvent threw ${describeThrown(error)}; the answer was not affected`);
  };
  const deliver = (event: AuthEvent) => {
    setImmediate(() => {
      try {
        const result = listener(event);
        if (isPromiseLike(result)) Promise.resolve(result).then(undefined, report);
      } catch (error) {
        report(error);
      }
    });
  };

  const base = (note: DecisionNote, fallback: FallbackMember, request: RequestView, startedAt: number) => {
    const url = request.url;
    const query = url.indexOf('?');
    const { selected } = note;
    return {
      authClass: selected?.name ?? fallback.name,
      scheme: selected ? selected.authenticator.scheme : (fallback.config as { scheme: string }).scheme,
      kind: selected?.scheme ?? fallback.kind,
      method: request.method,
      path: query === -1 ? url : url.slice(0, query),
      ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
      clientAddress: request.clientAddress,
      durationMs: performance.now() - startedAt,
    };
  };

  return {
    start: (): number => performance.now(),

    admitted(admission: Admission, note: DecisionNote, fallback: FallbackMember, request: RequestView, startedAt: number): void {
      const event: AuthEvent = admission.hasUser
        ? { type: 'authenticated', ...optional('username', admission.username), ...base(note, fallback, request, startedAt) }
        : { type: 'anonymous', ...base(note, fallback, request, startedAt) };
      deliver(Object.freeze(event));
    },

    /** `answer` is what the client gets (after `toHttpError`); `note.thrown` what the flow threw. */
    refused(answer: HttpError, note: DecisionNote, fallback: FallbackMember, request: RequestView, startedAt: number): void {
      // A CORS preflight carries no credentials: nothing was decided about anyone.
      if (answer instanceof PreflightAnswer) return;
      const status = answer.httpCode || 500;
      // A 429 or 503 of the library keeps its meaning when an @ErrorHandler answered it with its own error.
      const code = answer instanceof HttpAuthError ? answer.code : note.unavailable?.code;
      let type: AuthEventType;
      let reason: string;
      let username: string | undefined = note.verifiedUsername;
      if (code === 'ERR_HTTP_AUTH_THROTTLED') {
        type = 'throttled';
        reason = 'too-many-attempts';
        username = claimedUsername(note, request);
      } else if (status >= 500 || code === 'ERR_HTTP_AUTH_UNAVAILABLE') {
        type = 'error';
        reason =
          code === 'ERR_HTTP_AUTH_MISCONFIGURED'
            ? 'misconfigured'
            : code === 'ERR_HTTP_AUTH_UNAVAILABLE'
              ? note.hookTimedOut
                ? 'hook-timeout'
                : (answerHintsOf(note.unavailable)?.reason ?? 'store-unavailable')
              : note.thrown instanceof HookFailure || (note.thrown instanceof HttpError && !(note.thrown instanceof HttpAuthError))
                ? 'hook-error'
                : 'internal';
      } else if (note.refusal) {
        // A cross-site cookie is a refused credential, not an authenticated user without a role.
        type = note.refusal.status === 403 && note.refusal.reason !== 'cross-site' ? 'forbidden' : 'rejected';
        reason = refusalReason(note.refusal);
        username ??= claimedUsername(note, request);
      } else {
        // An HttpError a hook threw as its own answer.
        type = status === 403 ? 'forbidden' : 'rejected';
        reason = 'http-error';
        username ??= claimedUsername(note, request);
      }
      deliver(Object.freeze({ type, ...optional('username', username), reason, status, ...base(note, fallback, request, startedAt) }));
    },
  };
}

function refusalReason(refusal: Refusal): string {
  if (refusal.failure) return refusal.failure.code ?? refusal.failure.message;
  if (refusal.reason) return refusal.reason;
  return refusal.status === 400 ? 'malformed' : refusal.status === 403 ? 'role' : 'bad-credentials';
}

function claimedUsername(note: DecisionNote, request: RequestView): string | undefined {
  try {
    return note.selected?.authenticator.auditUsername?.(request);
  } catch {
    return undefined;
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
