import type { X509Certificate } from 'node:crypto';
import type { Action as RoutingControllersAction } from 'routing-controllers';
import type { DigestAlgorithm } from './schemes/digest';
import type { AuthenticationFailure } from './errors';

/**
 * A value or a promise of it: every hook may be sync or async.
 * @example
 * ```ts
 * const load = (name: string): Awaitable<User | null> => cache.get(name) ?? db.findUser(name);
 * ```
 */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * Any class. Auth classes are matched by identity: an `auth` option names the very class that was
 * given to `createAuthCheckers` (or whose instance was).
 * @example
 * ```ts
 * const members: AuthClass[] = [UserAuth, ApiKeyAuth];
 * @LoginRequired({ auth: members }) class ReportController {}
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AuthClass<T extends object = object> = abstract new (...args: any[]) => T;

/**
 * A role requirement, in Flask-HTTPAuth's language:
 * `'admin'` one role; `['a', 'b']` any of them; `[['a', 'b']]` all of them; `['a', ['b', 'c']]`
 * a mix ("a, or both b and c"); `[]` nobody.
 * @example
 * ```ts
 * const editors: RoleSpec = ['admin', ['editor', 'verified']]; // admin, or editor and verified
 * @LoginRequired({ role: editors }) class ArticleController {}
 * ```
 */
export type RoleSpec = string | readonly (string | readonly string[])[];

/**
 * Roles per HTTP method, keys case-insensitive; `'*'` covers the methods not listed, and HEAD
 * falls back to GET.
 * @example
 * ```ts
 * @LoginRequired({ role: { GET: 'reader', '*': 'writer' } }) class DocumentController {}
 * ```
 */
export type MethodRoleSpec = { readonly [method: string]: RoleSpec };

/**
 * What `@LoginRequired`, `auth.guard()` and `auth.koaGuard()` accept; `{}` means "any
 * authenticated user, through the default auth class".
 * @example
 * ```ts
 * const adminsOnly: LoginRequiredOptions = { role: 'admin', auth: [UserAuth, ApiKeyAuth] };
 * app.use('/docs', auth.guard(adminsOnly));
 * ```
 */
export interface LoginRequiredOptions {
  /** Roles the user must have (see {@link RoleSpec}); omitted means any authenticated user. */
  role?: RoleSpec | MethodRoleSpec;
  /**
   * OAuth 2.0 scopes the access token must have been granted (see {@link ScopeSpec}); a route
   * with `scope` needs a `@JwtAuth` class among its `auth`. Combined with `role`: both must hold.
   * A token without them gets 403 with `error="insufficient_scope"`.
   */
  scope?: ScopeSpec | MethodScopeSpec;
  /**
   * Only an access token issued fresh passes (Flask-JWT-Extended's `fresh=True`): one from
   * `tokens.issue(subject, { fresh: true })`, i.e. a login just now, not a refresh. Others get 401
   * `invalid_token` with `error_description="fresh token required"` (code `fresh_required`).
   * Needs a `@JwtAuth` class among the route's `auth`.
   * @default false
   */
  fresh?: boolean;
  /** Let requests without credentials through with no current user. Wrong credentials still get 401. @default false */
  optional?: boolean;
  /** The auth class to use, or several (MultiAuth). @default the first one given to createAuthCheckers */
  auth?: AuthClass | readonly AuthClass[];
}

/**
 * A scope requirement, in OAuth's language: `'articles:write'` one scope; `['a', 'b']` all of
 * them (unlike `role`, where a list means any of them).
 * @example
 * ```ts
 * @LoginRequired({ scope: ['articles:read', 'articles:write'] }) class ArticleController {}
 * ```
 */
export type ScopeSpec = string | readonly string[];

/**
 * Scopes per HTTP method, keys case-insensitive; `'*'` covers the methods not listed, and HEAD
 * falls back to GET (as for `role`).
 * @example
 * ```ts
 * @LoginRequired({ scope: { GET: 'articles:read', '*': 'articles:write' } }) class ArticleController {}
 * ```
 */
export type MethodScopeSpec = { readonly [method: string]: ScopeSpec };

/**
 * The claims of a verified JWT access token (RFC 9068), frozen: what `@VerifyClaims` receives, and
 * the current user of a `@JwtAuth` class without that hook.
 * @example
 * ```ts
 * const subjectOf = (claims: JwtClaims) => claims.sub;
 * ```
 */
export interface JwtClaims {
  /** The issuer, one of the class's `issuer` values. */
  readonly iss: string;
  /** The subject: the user, or the client of a client-credentials token. */
  readonly sub?: string;
  /** The audience, containing one of the class's `audience` values. */
  readonly aud: string | readonly string[];
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issued at, seconds since the epoch. */
  readonly iat?: number;
  /** Not before, seconds since the epoch. */
  readonly nbf?: number;
  /** The token's identifier, for a revocation list. */
  readonly jti?: string;
  /** The OAuth client the token was issued to. */
  readonly client_id?: string;
  /** Granted scopes, space-separated (also read from `scp`). */
  readonly scope?: string;
  /** Every other claim, as the authorization server sent it (`acr`, `amr`, `roles`, …). */
  readonly [claim: string]: unknown;
}

/**
 * What `@GetUserRoles` learns about the credentials that were sent, so roles can depend on how
 * the user logged in.
 * @example
 * ```ts
 * @GetUserRoles() roles(user: User, credentials: Credentials) {
 *   return credentials.scheme === 'Bearer' ? ['api'] : user.roles;
 * }
 * ```
 */
export interface Credentials {
  /** The scheme word as configured, e.g. `'Basic'`, `'Bearer'`, `'Digest'`. */
  scheme: string;
  /** The username the client authenticated as (Basic, Digest); absent for token schemes. */
  username?: string;
  /** The token that was accepted (token schemes); absent for Basic and Digest. */
  token?: string;
  /** `@JwtAuth`: the verified claims of the access token. */
  claims?: JwtClaims;
  /** `@JwtAuth`: the scopes the token was granted (`scope` or `scp`). */
  scopes?: readonly string[];
  /** `@ClientCertAuth` (scheme `'mTLS'`): the client certificate `@VerifyCertificate` accepted. */
  certificate?: X509Certificate;
}

/**
 * The statuses an `@ErrorHandler` can be called with: 400 malformed credentials, 401 missing or
 * wrong ones (407 on a `proxy: true` class), 403 a failed role check (or a cookie token another
 * site's page sent: `@TokenAuth({ cookie })`), 429 throttled (`Retry-After` is set), 503 a store
 * that is down or a hook that did not settle within `hookTimeout`.
 * @example
 * ```ts
 * @ErrorHandler() onError(status: AuthFailureStatus) {
 *   return { error: status === 403 ? 'forbidden' : status === 429 ? 'slow_down' : status === 503 ? 'unavailable' : 'unauthorized' };
 * }
 * ```
 */
export type AuthFailureStatus = 400 | 401 | 403 | 407 | 429 | 503;

/**
 * The request as a verify, password or roles hook sees it: read-only and frozen. Built only for
 * hooks that declare the parameter, once per request.
 * @see [Hooks that see the request](../docs/auth-classes.md#hooks-that-see-the-request)
 * @example
 * ```ts
 * @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
 *   return users.check(tenantOf(request.header('host')), username, password);
 * }
 * ```
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
  /**
   * The route's parameters, decoded and frozen: `/tenants/:tenant/items` gives `{ tenant: 'acme' }`
   * (Express `req.params`, Koa `ctx.params`; an Express 5 wildcard's segments joined with "/").
   * Set on every `@LoginRequired` route, the check before the body included (it runs as the
   * route's own middleware, once the router matched); under a guard, the parameters of the path it
   * is mounted on; `{}` where there are none, and for Socket.IO handshakes.
   */
  readonly params: { readonly [name: string]: string };
  /** The routing-controllers action; `undefined` under `auth.guard()` / `auth.koaGuard()`. */
  readonly action: Action | undefined;
}

/**
 * The signature a `@VerifyPassword` method is checked against: it returns the user, `true`, or
 * `null`/`undefined`/`false` to refuse (also called with `('', '')` when nothing was sent). The
 * request is an optional last parameter.
 * @example
 * ```ts
 * const verify: VerifyPasswordFn = (username, password) => (username ? users.check(username, password) : null);
 * ```
 */
export type VerifyPasswordFn = (username: string, password: string, request: HookRequest) => unknown;
/**
 * The signature of a `@GetPassword` method, which returns the stored password (or HA1) for the
 * library to compare. Basic calls it with `(username, request)`; Digest with `(username,
 * algorithm, request)`, the algorithm the client chose being needed for HA1 storage. Method-style,
 * so that either shape is accepted; the request is optional to declare.
 * @example
 * ```ts
 * const getPassword: GetPasswordFn = (username, algorithm) => ha1Table.get(`${String(algorithm)}:${username}`);
 * ```
 */
export type GetPasswordFn = {
  /** `(username, request)` for Basic, `(username, algorithm, request)` for Digest. */
  get(username: string, algorithmOrRequest: DigestAlgorithm | HookRequest, request: HookRequest): Awaitable<string | null | undefined>;
}['get'];
/**
 * The signature of a `@GetUsernameByHash` method (Digest with `userhash: true`): maps the hashed
 * username a client sent back to the username, `undefined` when unknown.
 * @example
 * ```ts
 * const byHash: GetUsernameByHashFn = (userhash, algorithm) => usersByHash.get(`${algorithm}:${userhash}`);
 * ```
 */
export type GetUsernameByHashFn = (userhash: string, algorithm: DigestAlgorithm) => Awaitable<string | null | undefined>;
/**
 * The signature of `@GenerateNonce` and `@GenerateOpaque` methods: a fresh value for the next
 * Digest challenge, replacing the built-in signed one.
 * @example
 * ```ts
 * const nonce: GenerateNonceFn = () => randomUUID();
 * ```
 */
export type GenerateNonceFn = () => Awaitable<string>;
/**
 * The signature of `@VerifyNonce` and `@VerifyOpaque` methods: whether a value from the matching
 * generator is still acceptable (`@VerifyNonce` may return its expiry as a `Date` or epoch ms).
 * @example
 * ```ts
 * const verifyNonce: VerifyNonceFn = (nonce) => issuedNonces.get(nonce) ?? false; // expiry in epoch ms
 * ```
 */
export type VerifyNonceFn = (value: string) => unknown;
/**
 * The signature of a `@HashPassword` method: `(password)` or `(username, password)`, chosen by
 * the method's declared arity; its result is compared with what `@GetPassword` returned.
 * @example
 * ```ts
 * const hash: HashPasswordFn = (username, password) => createHash('sha256').update(`${username}:${password}`).digest('hex');
 * ```
 */
export type HashPasswordFn = (usernameOrPassword: string, password: string) => Awaitable<string | null | undefined>;
/**
 * The signature a `@VerifyToken` method is checked against: it returns the user, `true`, or
 * `null`/`undefined`/`false` to refuse (called with `''` when no token was sent). The request is
 * an optional last parameter.
 * @example
 * ```ts
 * const verifyToken: VerifyTokenFn = (token) => (token ? apiKeys.get(token) ?? null : null);
 * ```
 */
export type VerifyTokenFn = (token: string, request: HookRequest) => unknown;
/**
 * The signature a `@VerifyClaims` method is checked against: it gets the verified claims of a JWT
 * access token (`@JwtAuth`) or the checked introspection response (`@IntrospectionAuth`) and returns the user, `true` (the user is then the claims), or `null`/`false` to
 * refuse with 401 `invalid_token`; it may throw `AuthenticationFailure`, whose message becomes the
 * `error_description`. The request is an optional last parameter.
 * @example
 * ```ts
 * const verifyClaims: VerifyClaimsFn = (claims) => (revoked.has(String(claims.jti)) ? null : { id: claims.sub });
 * ```
 */
export type VerifyClaimsFn = (claims: JwtClaims, request: HookRequest) => unknown;
/**
 * The signature a `@VerifyCertificate` method is checked against: it gets the client certificate
 * (already verified by the TLS layer, or forwarded by a trusted proxy) and returns the user, `true`,
 * or `null`/`undefined`/`false` to refuse with 401; it may throw `AuthenticationFailure`. The
 * request is an optional last parameter.
 * @example
 * ```ts
 * const verifyCertificate: VerifyCertificateFn = (cert) => devices.get(cert.fingerprint256) ?? null;
 * ```
 */
export type VerifyCertificateFn = (certificate: X509Certificate, request: HookRequest) => unknown;
/**
 * The signature of a `@GetUserRoles` method: the roles of the user a verify hook returned, checked
 * against `@LoginRequired({ role })`. The user parameter is `never` so that a method typed with
 * the app's own user type is accepted; the request is an optional last parameter.
 * @example
 * ```ts
 * const roles: GetUserRolesFn = (user: User) => user.roles;
 * ```
 */
export type GetUserRolesFn = (user: never, credentials: Credentials, request: HookRequest) => Awaitable<string | readonly string[] | null | undefined>;
// Method-style signature: parameters are checked bivariantly, so a handler declared with the
// narrower `(status: 401 | 403, action)` from the documentation still compiles.
/**
 * The signature of an `@ErrorHandler` method: `(status, action, failure?) => body`, where
 * `failure` is the `AuthenticationFailure` a hook threw, when it did. The returned body replaces
 * the default `{ name, message, code }`, for every status the library answers but a 500.
 * @example
 * ```ts
 * const onError: ErrorHandlerFn = (status, _action, failure) => ({ status, reason: failure?.code ?? 'unauthorized' });
 * ```
 */
export type ErrorHandlerFn = {
  /** Builds the response body for a 400, 401, 403, 407, 429 or 503 answer. */
  handle(status: AuthFailureStatus, action: Action, failure?: AuthenticationFailure): unknown;
}['handle'];

/**
 * routing-controllers' `Action` (its request, response and, on Koa, context), re-exported so an
 * `@ErrorHandler` can be typed without importing routing-controllers.
 * @example
 * ```ts
 * @ErrorHandler() onError(status: AuthFailureStatus, action: Action) {
 *   return { status, path: (action.request as { url?: string }).url };
 * }
 * ```
 */
export type Action = RoutingControllersAction;
