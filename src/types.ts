import type { Action } from 'routing-controllers';
import type { DigestAlgorithm } from './schemes/digest';
import type { AuthenticationFailure } from './errors';

/** A value or a promise of it: every hook may be sync or async. */
export type Awaitable<T> = T | PromiseLike<T>;

/** Any class; auth classes are matched by identity. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AuthClass<T extends object = object> = abstract new (...args: any[]) => T;

/**
 * A role requirement, in Flask-HTTPAuth's language:
 * `'admin'` one role; `['a', 'b']` any of them; `[['a', 'b']]` all of them; `['a', ['b', 'c']]`
 * a mix ("a, or both b and c"); `[]` nobody.
 */
export type RoleSpec = string | readonly (string | readonly string[])[];

/** Roles per HTTP method: `{ GET: 'reader', '*': 'writer' }`. HEAD falls back to GET. */
export type MethodRoleSpec = { readonly [method: string]: RoleSpec };

/** What `@LoginRequired`, `auth.guard()` and `auth.koaGuard()` accept. */
export interface LoginRequiredOptions {
  /** Roles the user must have (see {@link RoleSpec}); omitted means any authenticated user. */
  role?: RoleSpec | MethodRoleSpec;
  /** Let requests without credentials through with no current user. Wrong credentials still get 401. @default false */
  optional?: boolean;
  /** The auth class to use, or several (MultiAuth). @default the first one given to createAuthCheckers */
  auth?: AuthClass | readonly AuthClass[];
}

/** What a verify callback and `@GetUserRoles` learn about the credentials that were sent. */
export interface Credentials {
  /** The scheme word as configured, e.g. `'Basic'`, `'Bearer'`, `'Digest'`. */
  scheme: string;
  username?: string;
  token?: string;
}

/** The statuses an `@ErrorHandler` can be called with. */
export type AuthFailureStatus = 400 | 401 | 403;

/**
 * The request as a verify, password or roles hook sees it: read-only and frozen. Built only for
 * hooks that declare the parameter, once per request.
 */
export interface HookRequest {
  /** Upper-case method the router dispatched on. */
  readonly method: string;
  /** The request-target as received (path and query). */
  readonly url: string;
  /** A header by name (case-insensitive); repeated fields joined by ", ". */
  header(name: string): string | undefined;
  /** The client's address as the framework reports it (Express `req.ip`, Koa `ctx.ip`). */
  readonly clientAddress: string | undefined;
  /** The routing-controllers action; `undefined` under `auth.guard()` / `auth.koaGuard()`. */
  readonly action: Action | undefined;
}

export type VerifyPasswordFn = (username: string, password: string, request: HookRequest) => unknown;
// Basic calls `(username, request)`; Digest `(username, algorithm, request)`, the algorithm the
// client chose being needed for HA1 storage. Method-style, so that either shape is accepted.
/** Basic: `(username, request)`; Digest: `(username, algorithm, request)`. The request is optional to declare. */
export type GetPasswordFn = {
  get(username: string, algorithmOrRequest: DigestAlgorithm | HookRequest, request: HookRequest): Awaitable<string | null | undefined>;
}['get'];
export type GetUsernameByHashFn = (userhash: string, algorithm: DigestAlgorithm) => Awaitable<string | null | undefined>;
export type GenerateNonceFn = () => Awaitable<string>;
export type VerifyNonceFn = (value: string) => unknown;
/** `(password)` or `(username, password)`, chosen by the method's declared arity. */
export type HashPasswordFn = (usernameOrPassword: string, password: string) => Awaitable<string | null | undefined>;
export type VerifyTokenFn = (token: string, request: HookRequest) => unknown;
// The user parameter is `never` so that a method typed with the app's own user type is accepted.
export type GetUserRolesFn = (user: never, credentials: Credentials, request: HookRequest) => Awaitable<string | readonly string[] | null | undefined>;
// Method-style signature: parameters are checked bivariantly, so a handler declared with the
// narrower `(status: 401 | 403, action)` from the README still compiles.
// `failure` is what a hook threw as `AuthenticationFailure`, when it did.
export type ErrorHandlerFn = { handle(status: AuthFailureStatus, action: Action, failure?: AuthenticationFailure): unknown }['handle'];

export type { Action };
