import { HttpError } from 'routing-controllers';

/**
 * Stable codes for `switch (err.code)`: unlike messages, they never change between versions.
 * @example
 * ```ts
 * const retryable = (code: HttpAuthErrorCode) => code === 'ERR_HTTP_AUTH_THROTTLED' || code === 'ERR_HTTP_AUTH_UNAVAILABLE';
 * ```
 */
export type HttpAuthErrorCode =
  | 'ERR_HTTP_AUTH_UNAUTHENTICATED'
  | 'ERR_HTTP_AUTH_PROXY_UNAUTHENTICATED'
  | 'ERR_HTTP_AUTH_FORBIDDEN'
  | 'ERR_HTTP_AUTH_CROSS_SITE'
  | 'ERR_HTTP_AUTH_BAD_REQUEST'
  | 'ERR_HTTP_AUTH_THROTTLED'
  | 'ERR_HTTP_AUTH_UNAVAILABLE'
  | 'ERR_HTTP_AUTH_MISCONFIGURED'
  | 'ERR_HTTP_AUTH_INTERNAL'
  | 'ERR_HTTP_AUTH_PREFLIGHT';

/**
 * Base of every error the checkers throw for a request. It extends routing-controllers'
 * `HttpError` because the Koa driver only honours `httpCode` on `instanceof HttpError`.
 * `toJSON()` decides the whole response body, so nothing else on the object can leak into it.
 * @see [Errors and the error handler](../docs/errors.md)
 *
 * @example
 * ```ts
 * @Middleware({ type: 'after' })
 * class AuthMetrics implements ExpressErrorMiddlewareInterface {
 *   error(error: unknown, _req: Request, _res: Response, next: (error?: unknown) => void) {
 *     if (error instanceof HttpAuthError) metrics.increment(error.code); // e.g. 'ERR_HTTP_AUTH_THROTTLED'
 *     next(error);
 *   }
 * }
 * ```
 */
export class HttpAuthError extends HttpError {
  /** The class name, sent in the default body as `name`. */
  override name = 'HttpAuthError';
  /** Why the request was refused, stable across versions (see {@link HttpAuthErrorCode}). */
  readonly code: HttpAuthErrorCode;
  readonly #body: unknown;

  constructor(httpCode: number, code: HttpAuthErrorCode, message: string, body?: unknown) {
    // These errors are answers to clients, not bugs: a stack trace is never useful and would be
    // sent as the text body by routing-controllers in development mode. Skipping its capture
    // also keeps rejections as cheap as successes.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(httpCode, bodyAsText(body) ?? message);
    } finally {
      Error.stackTraceLimit = limit;
    }
    // routing-controllers' HttpError resets the prototype to its own; restore the subclass's.
    Object.setPrototypeOf(this, new.target.prototype);
    delete (this as { stack?: string }).stack;
    this.code = code;
    this.#body = body;
  }

  /** The response body: what an `@ErrorHandler` returned, else `{ name, message, code }`. */
  toJSON(): unknown {
    return this.#body !== undefined && this.#body !== null ? this.#body : { name: this.name, message: this.message, code: this.code };
  }
}

// routing-controllers sends `message` as the body of non-JSON controllers, so a custom body
// must travel there too.
function bodyAsText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body);
  } catch {
    return undefined;
  }
}

/**
 * 401: credentials missing, malformed or wrong (also 400 for RFC-defined malformed requests, and
 * 407 where a `proxy: true` auth class answers).
 * @example
 * ```ts
 * const isFailedLogin = (error: unknown) => error instanceof AuthenticationError && error.httpCode === 401;
 * ```
 */
export class AuthenticationError extends HttpAuthError {
  /** The class name, sent in the default body as `name`. */
  override name = 'AuthenticationError';
  constructor(body?: unknown, httpCode: 400 | 401 | 407 = 401) {
    super(
      httpCode,
      httpCode === 400 ? 'ERR_HTTP_AUTH_BAD_REQUEST' : httpCode === 407 ? 'ERR_HTTP_AUTH_PROXY_UNAUTHENTICATED' : 'ERR_HTTP_AUTH_UNAUTHENTICATED',
      httpCode === 400 ? 'malformed credentials' : httpCode === 407 ? 'proxy authentication required' : 'authentication required',
      body,
    );
  }
}

/**
 * 403: authenticated, but the role check failed.
 * @example
 * ```ts
 * const isForbidden = (error: unknown): error is RoleError => error instanceof RoleError;
 * ```
 */
export class RoleError extends HttpAuthError {
  /** The class name, sent in the default body as `name`. */
  override name = 'RoleError';
  constructor(body?: unknown) {
    super(403, 'ERR_HTTP_AUTH_FORBIDDEN', 'insufficient role', body);
  }
}

/**
 * 403: a token from a cookie (`@TokenAuth({ cookie })`) on a request with an unsafe method, or a
 * Socket.IO handshake, that another site's page sent (cross-site request forgery).
 * @example
 * ```ts
 * const isForgery = (error: unknown) => error instanceof CrossSiteError; // code 'ERR_HTTP_AUTH_CROSS_SITE'
 * ```
 */
export class CrossSiteError extends HttpAuthError {
  /** The class name, sent in the default body as `name`. */
  override name = 'CrossSiteError';
  constructor(body?: unknown) {
    super(403, 'ERR_HTTP_AUTH_CROSS_SITE', 'cross-site request refused', body);
  }
}

/**
 * 204 for a CORS preflight that reached a protected action: thrown so that the handler never runs;
 * both drivers send it without a body. An app's own error middleware sees it too: leave it out of error reports.
 * @example
 * ```ts
 * @Middleware({ type: 'after' })
 * class ReportErrors implements ExpressErrorMiddlewareInterface {
 *   error(error: unknown, _req: Request, _res: Response, next: (error?: unknown) => void) {
 *     if (!(error instanceof PreflightAnswer)) errorTracker.capture(error); // a preflight is no error
 *     next(error);
 *   }
 * }
 * ```
 */
export class PreflightAnswer extends HttpAuthError {
  /** The class name (never sent: the answer has no body). */
  override name = 'PreflightAnswer';
  constructor() {
    super(204, 'ERR_HTTP_AUTH_PREFLIGHT', 'CORS preflight answered without running the handler');
  }
}

/**
 * Why a login failed, thrown by a verify hook (`@VerifyPassword`, `@VerifyToken`, `@GetPassword`,
 * …) instead of returning `null`: the request gets the same 401, and the reason reaches
 * `@ErrorHandler(status, action, failure)` and, with Bearer, the challenge's `error_description`.
 * Thrown by `@GetUserRoles`, it is a 403 with that reason. Not an `HttpError`: the library decides
 * the answer, and the default body stays the generic one (no reason leaks unless you send it).
 * @see [Why a login failed](../docs/errors.md#why-a-login-failed)
 *
 * @example
 * ```ts
 * @VerifyToken() verify(token: string) {
 *   const session = sessions.get(token);
 *   if (session && session.expiresAt < Date.now()) throw new AuthenticationFailure('token expired', { code: 'expired' });
 *   return session?.user ?? null;
 * }
 * ```
 */
export class AuthenticationFailure extends Error {
  /** Always `'AuthenticationFailure'`, so it can be told apart after crossing realms or bundles. */
  override name = 'AuthenticationFailure';
  /** Your own code for the reason, e.g. `'expired'`, for `switch` in an `@ErrorHandler`. */
  readonly code?: string;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.code !== undefined) this.code = options.code;
  }
}
