import type { Action } from 'routing-controllers';
import type { UsernameFilter } from '../internal/credential-cache';
import type { AuthLogger } from '../internal/log';
import type { AuthClass, LoginRequiredOptions } from '../types';
import type { ProtectedResourceMetadata } from '../schemes/resource-metadata';
import type { AuthEventListener } from './audit';
import type { ExpressAppLike, ExpressGuard } from './express';
import type { KoaAppLike, KoaGuard } from './koa';
import type { OpenApiDocument, OpenApiSecurityScheme } from './openapi';
import type { RequestSource } from './request';
import type { SocketIoMiddleware } from './socket-io-types';

/** The public shape of what `createAuthCheckers` takes and returns. */

/**
 * The second argument of {@link createAuthCheckers}: what is checked at start-up, where the few
 * log lines go, and the default auth class of routes that name none.
 * @example
 * ```ts
 * const auth = createAuthCheckers<User>([UserAuth, ApiKeyAuth], {
 *   controllers: [ItemController],
 *   defaultAuth: [UserAuth, ApiKeyAuth],
 *   logger: { warn: (m) => log.warn(m), error: (m) => log.error(m) },
 * });
 * ```
 */
export interface AuthCheckersOptions {
  /**
   * The app's controllers. When given, every `@LoginRequired` on them is checked at start-up
   * (auth classes that were not passed here, roles on a class without `@GetUserRoles`) instead of
   * on the first request that reaches it.
   */
  controllers?: readonly Function[];
  /** Where start-up warnings and the rate-limited error lines go; nothing secret is ever logged. @default console */
  logger?: AuthLogger;
  /**
   * The auth class (or classes: MultiAuth) of routes whose `@LoginRequired` names none, and of
   * plain `@Authorized()`. Each must also be passed as `auth`.
   * @default the first auth class passed
   * @example
   * ```ts
   * createAuthCheckers([UserAuth, ApiKeyAuth], { defaultAuth: [UserAuth, ApiKeyAuth] })
   * ```
   */
  defaultAuth?: AuthClass | readonly AuthClass[];
  /**
   * Called once per authentication decision with an {@link AuthEvent} (who, which class, why,
   * how long), for audit logs and metrics. It runs after the decision, on a later turn: it cannot
   * change or delay the answer, and what it throws or rejects with is logged (one line a minute).
   * CORS preflights produce no event.
   * @example createAuthCheckers(UserAuth, { onEvent: (event) => logger.info(event, 'auth') })
   */
  onEvent?: AuthEventListener;
  /**
   * Auth classes passed as classes are built by the container given to routing-controllers'
   * `useContainer()`, which supplies their constructor's parameters. Without it, a class whose
   * constructor declares parameters is refused at start-up: routing-controllers' default container
   * would build it with none, and every request would fail on the missing dependency.
   * @default false
   * @example
   * ```ts
   * useContainer(Container); // typedi
   * const auth = createAuthCheckers([UserAuth], { container: true });
   * ```
   */
  container?: boolean;
}


/**
 * What `createAuthCheckers` returns: everything per app lives here (Flask-HTTPAuth's `auth`
 * object). Spread it into routing-controllers' options for the two checkers.
 * @example
 * ```ts
 * const auth: AuthCheckers<User> = createAuthCheckers<User>([UserAuth]);
 * const app = createExpressServer({ controllers: [ItemController], ...auth });
 * auth.useExpress(app);
 * app.get('/whoami', auth.guard(), (req: Request, res: Response) => res.json(auth.currentUser(req)));
 * ```
 */
export interface AuthCheckers<User> {
  /**
   * routing-controllers' `authorizationChecker`: `true` at once when the request is decided
   * synchronously (hooks returning plain values), a promise of `true` otherwise; a refusal is
   * thrown (or the promise rejects) with the answer's `HttpError`.
   */
  authorizationChecker(action: Action, roles: readonly unknown[]): boolean | Promise<boolean>;
  /** routing-controllers' `currentUserChecker`: reads what the authorization step recorded. */
  currentUserChecker(action: Action): User | undefined;
  /**
   * The user of a request (an Action, an Express request or a Koa context) or of a Socket.IO
   * socket admitted by `socketIo()`, like Flask's `auth.current_user()`.
   */
  currentUser(source: RequestSource): User | undefined;
  /**
   * The username the request authenticated with (Basic, Digest), like Flask's `auth.username()`;
   * `undefined` for token schemes, anonymous requests and requests not (yet) authenticated.
   */
  username(source: RequestSource): string | undefined;
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
   * Socket.IO middleware: the handshake authenticated like a request by `@LoginRequired(options)`,
   * from its headers or, for a token class, the client's `auth.token`. The user is
   * `socket.data.user` and `currentUser(socket)`. A refused connection gets an `Error` whose
   * `data` is a `SocketIoRefusal` (socket.io-client's `connect_error`). Digest classes throw here.
   * @example
   * ```ts
   * io.use(auth.socketIo());
   * io.of('/admin').use(auth.socketIo({ role: 'admin' }));
   * io.on('connection', (socket) => socket.emit('hello', auth.currentUser(socket)));
   * ```
   */
  socketIo(options?: LoginRequiredOptions): SocketIoMiddleware;
  /**
   * Forgets cached verified credentials (`cache` option): one user's, e.g. after a password
   * change; those of the usernames a test matches (`(name) => name.toLowerCase() === 'alice'`
   * where usernames are case-insensitive); or all of them. A verification already running for
   * them is not remembered when it ends. `@TokenAuth` caches carry no usernames: any call
   * forgets every cached token. For `@IntrospectionAuth` the string is a token: its cached answer
   * is forgotten (after a revocation); only its SHA-256 is sent to the other instances, and the
   * app's other classes then tell them to forget every user rather than name it.
   *
   * This instance forgets at once, before the call returns. With `cache.redis`, every other
   * instance is told through Redis too (a predicate cannot be sent: they forget every user); the
   * promise resolves once Redis took the message, and rejects when Redis failed or did not answer
   * within 250 ms (logged; a caller that does not await it gets no unhandled rejection). Without
   * `cache.redis` it is already resolved.
   * @example
   * ```ts
   * await users.setPassword('alice', newPassword);
   * await auth.clearCache('alice'); // on every instance
   * ```
   */
  clearCache(which?: UsernameFilter): Promise<void>;
  /**
   * Ends what the checkers keep open: the Redis subscriber connections of `cache.redis` (your own
   * clients are left alone). Call it on shutdown and at the end of tests, so the process can
   * exit; afterwards `clearCache` still clears this instance and publishes, but messages from
   * other instances no longer arrive.
   * @example
   * ```ts
   * process.on('SIGTERM', async () => {
   *   server.close();
   *   await auth.close();
   *   await redis.quit();
   * });
   * ```
   */
  close(): Promise<void>;
  /**
   * `components.securitySchemes` for every auth class passed: Basic and Digest as `http` schemes,
   * Bearer as `http` (with `bearerFormat`), a custom header, query parameter or cookie as `apiKey`.
   * Named after the class, or its `openApiName` option.
   */
  openApiSecuritySchemes(): { [name: string]: OpenApiSecurityScheme };
  /**
   * A copy of an OpenAPI document (e.g. from routing-controllers-openapi's `routingControllersToSpec`)
   * in which every operation of a `@LoginRequired` action has its `security`, required roles and
   * 401/403 responses, and `components.securitySchemes` lists the auth classes.
   */
  applyOpenApiSecurity<Spec extends OpenApiDocument>(spec: Spec): Spec;
  /**
   * The RFC 9728 protected-resource metadata of a `@JwtAuth` class with a `resource` (the first
   * such class, or `authClass`), for apps that serve it themselves; `useExpress`/`useKoa` serve it
   * at `/.well-known/oauth-protected-resource` (plus the resource's path). `scopes_supported`
   * lists every scope the app's routes require, as far as start-up checks have met them (the
   * `controllers` option, `useExpress`/`useKoa`, guards). Throws a `TypeError` when no class has a
   * `resource`.
   * @example
   * ```ts
   * app.get('/.well-known/oauth-protected-resource', (_req, res) => res.json(auth.protectedResourceMetadata()));
   * ```
   */
  protectedResourceMetadata(authClass?: AuthClass): ProtectedResourceMetadata;
}

/**
 * One member of {@link createAuthCheckers}' list: an auth class (built through routing-controllers'
 * container on first use, so `useContainer()` works) or an instance you built with its
 * dependencies.
 * @example
 * ```ts
 * const members: AuthInput[] = [new UserAuth(userRepository), ApiKeyAuth];
 * const auth = createAuthCheckers<User>(members);
 * ```
 */
export type AuthInput = object | AuthClass;

