/**
 * Compile-only type tests: `npm test` runs `tsc --noEmit -p tsconfig.json`, which includes this
 * file; jest does not run it (it does not end in `.test.ts`). Every `@ts-expect-error` must hit
 * a real error, or tsc reports the directive as unused.
 */
import type { Action } from 'routing-controllers';
import type { Server as SocketIoServer, Socket as SocketIoSocket } from 'socket.io';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetPassword,
  GetUserRoles,
  HashPassword,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
  type Credentials,
  type LoginRequiredOptions,
  type HookRequest,
  type DigestAlgorithm,
  DigestAuth,
  htpasswd,
  htdigest,
  ClientCertAuth,
  VerifyCertificate,
  JwtAuth,
  IntrospectionAuth,
} from '../../src';

/** jose-style zero-dependency type equality. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

interface User {
  id: number;
  roles: string[];
}

// --- hook signatures --------------------------------------------------------------------------

@BasicAuth({ realm: 'Users' })
export class GoodBasic {
  @VerifyPassword() async verify(username: string, password: string): Promise<User | null> {
    return username && password ? { id: 1, roles: [] } : null;
  }
  @GetUserRoles() roles(user: User) {
    return user.roles;
  }
  @ErrorHandler() onError(status: 401 | 403, action: Action) {
    return { error: status, url: (action.request as { url?: string }).url };
  }
}

@BasicAuth()
export class GoodGetPassword {
  @GetPassword() password(username: string): string | undefined {
    return username;
  }
  @HashPassword() hash(password: string) {
    return password;
  }
}

@BasicAuth()
export class GoodTwoArgHash {
  @GetPassword() async password(username: string) {
    return username;
  }
  @HashPassword() async hash(username: string, password: string) {
    return username + password;
  }
}

@TokenAuth({ header: 'X-API-Key' })
export class GoodToken {
  @VerifyToken() verify(token: string) {
    return token === 'x' ? { id: 2, roles: ['machine'] } : null;
  }
  @GetUserRoles() roles(user: User, credentials: Credentials) {
    return credentials.token ? user.roles : null;
  }
  @ErrorHandler() onError(status: 400 | 401 | 403) {
    return String(status);
  }
}

// --- hooks that take the request (issue 9) ------------------------------------------------------

const tenantUsers = htpasswd((request) => `${request.header('x-tenant') ?? 'none'}.htpasswd`, { root: '/etc/app/tenants' });
// @ts-expect-error a file per tenant needs root, the folder its names are in
htpasswd((request: HookRequest) => `${request.header('x-tenant')}.htpasswd`);
const digestUsers = htdigest('/etc/app/users.htdigest');

@BasicAuth({ cache: { ttl: 60, key: (request) => request.header('x-tenant') ?? '' } })
export class RequestAwareBasic {
  @VerifyPassword() verify(username: string, password: string, request: HookRequest) {
    assertType<Equals<typeof request.action, Action | undefined>>();
    return tenantUsers.verify(username, password, request);
  }
  @GetUserRoles() roles(user: User, credentials: Credentials, request: HookRequest) {
    return request.method === 'GET' ? user.roles : [];
  }
}

@BasicAuth()
export class RequestAwareGetPassword {
  @GetPassword() password(username: string, request: HookRequest) {
    return request.header('x-tenant') === 'a' ? username : undefined;
  }
}

// The documentation's Digest signature. The consumer test (scripts/consumer.sh) compiles this file against
// the shipped .d.ts too, where GetPasswordFn once became a plain function type and refused it.
@DigestAuth({ useHa1Password: true })
export class RequestAwareDigest {
  @GetPassword() ha1(username: string, algorithm: DigestAlgorithm, request: HookRequest) {
    return algorithm === 'MD5' ? digestUsers.ha1(username, 'realm', request) : undefined;
  }
}

@TokenAuth()
export class RequestAwareToken {
  @VerifyToken() verify(token: string, request: HookRequest) {
    return token === request.header('x-expected') ? true : null;
  }
}

export class WrongRequestParameter {
  // @ts-expect-error the third parameter is the request, not a number
  @VerifyPassword() verify(username: string, password: string, request: number) {
    return username && password && request;
  }
}

// @ts-expect-error cache.key is a function of the request
@BasicAuth({ cache: { ttl: 60, key: 'tenant' } })
export class WrongCacheKey {}

export class WrongVerifyPassword {
  // @ts-expect-error the username is a string, not a number
  @VerifyPassword() verify(username: number, password: string) {
    return username > 0 && password !== '';
  }
}

export class WrongVerifyTokenTarget {
  // @ts-expect-error @VerifyToken decorates methods, not properties
  @VerifyToken() token = 'not a method';
}

export class WrongGetPassword {
  // @ts-expect-error @GetPassword must return the stored password (a string), not a number
  @GetPassword() password(username: string) {
    return username.length;
  }
}

export class WrongVerifyToken {
  // @ts-expect-error the token is a string
  @VerifyToken() verify(token: Buffer) {
    return token.length > 0;
  }
}

export class WrongRoles {
  // @ts-expect-error roles are strings
  @GetUserRoles() roles(user: User) {
    return user.id;
  }
}

// --- bare forms: `@X` means `@X()`, with the same signature checks ---------------------------

@BasicAuth
export class BareBasic {
  @VerifyPassword async verify(username: string, password: string): Promise<User | null> {
    return username && password ? { id: 1, roles: [] } : null;
  }
  @GetUserRoles roles(user: User) {
    return user.roles;
  }
  @ErrorHandler onError(status: 401 | 403) {
    return { error: status };
  }
}

@BasicAuth
export class BareGetPassword {
  @GetPassword password(username: string) {
    return username;
  }
  @HashPassword hash(username: string, password: string) {
    return username + password;
  }
}

@TokenAuth
export class BareToken {
  @VerifyToken verify(token: string) {
    return token === 'x';
  }
}

@LoginRequired
export class BareController {
  @LoginRequired action() {
    return 'ok';
  }
}

export class BareWrongVerifyPassword {
  // @ts-expect-error the username is a string, not a number, with or without parentheses
  @VerifyPassword verify(username: number, password: string) {
    return username > 0 && password !== '';
  }
}

export class BareWrongGetPassword {
  // @ts-expect-error @GetPassword must return the stored password (a string), not a number
  @GetPassword password(username: string) {
    return username.length;
  }
}

export class BareWrongTarget {
  // @ts-expect-error a hook decorates methods, not properties
  @VerifyToken token = 'not a method';
  // @ts-expect-error @LoginRequired decorates actions and controllers, not properties
  @LoginRequired flag = true;
}

// @ts-expect-error @VerifyPassword decorates methods, not classes
@VerifyPassword
export class HookOnClass {}

export class SchemeOnMethod {
  // @ts-expect-error @BasicAuth decorates classes, not methods
  @BasicAuth method() {}
}

// @ts-expect-error the auth class goes into { auth }; LoginRequired(UserAuth) is not a decorator
@LoginRequired(GoodBasic)
export class AuthClassAsOptions {}

// --- options ----------------------------------------------------------------------------------

// @ts-expect-error charset can only be UTF-8
BasicAuth({ charset: 'latin1' });
// @ts-expect-error unknown option
TokenAuth({ headr: 'X-API-Key' });
// @ts-expect-error optional is a boolean
LoginRequired({ optional: 'yes' });

const options: LoginRequiredOptions[] = [
  { role: 'admin' },
  { role: ['admin', 'editor'] },
  { role: [['editor', 'verified']] },
  { role: ['admin', ['editor', 'verified']] },
  { role: [] },
  { role: { GET: 'reader', '*': 'writer' } },
  { optional: true },
  { auth: GoodBasic },
  { auth: [GoodBasic, GoodToken] },
];
void options;

// --- createAuthCheckers -----------------------------------------------------------------------

const auth = createAuthCheckers<User>([new GoodBasic(), GoodToken]);
declare const source: Parameters<typeof auth.currentUser>[0];
assertType<Equals<ReturnType<typeof auth.currentUser>, User | undefined>>();
assertType<Equals<ReturnType<typeof auth.currentUserChecker>, User | undefined>>();
assertType<Equals<typeof auth, AuthCheckers<User>>>();
const user: User | undefined = auth.currentUser(source);
void user;
// @ts-expect-error the user may be undefined
const notNullable: User = auth.currentUser(source);

// Socket.IO: the structural middleware fits socket.io's own types, and a socket is a request source.
declare const socketServer: SocketIoServer;
declare const socket: SocketIoSocket;
socketServer.use(auth.socketIo({ role: 'admin', optional: true }));
socketServer.of('/admin').use(auth.socketIo({ auth: GoodToken }));
const socketUser: User | undefined = auth.currentUser(socket);
// @ts-expect-error socketIo takes LoginRequired options
auth.socketIo({ roles: 'admin' });
void notNullable;
void socketUser;

const untyped = createAuthCheckers(GoodBasic);
assertType<Equals<ReturnType<typeof untyped.currentUser>, string | undefined>>();

auth.clearCache();
auth.clearCache('alice');
auth.clearCache((username) => username.toLowerCase() === 'alice');
// @ts-expect-error the predicate receives a username and answers a boolean
auth.clearCache((username: number) => username > 0);
assertType<Equals<Parameters<typeof auth.clearCache>[0], import('../../src').UsernameFilter | undefined>>();
// Resolves once Redis took the message (at once without cache.redis); a call left floating still compiles.
assertType<Equals<ReturnType<typeof auth.clearCache>, Promise<void>>>();
assertType<Equals<ReturnType<typeof auth.close>, Promise<void>>>();
// @ts-expect-error close takes no arguments
void auth.close(true);

declare const ioredisClient: import('ioredis').default;
declare const nodeRedisClient: ReturnType<typeof import('redis').createClient>;
BasicAuth({ cache: { ttl: 60, redis: ioredisClient } });
BasicAuth({ cache: { ttl: 60, redis: nodeRedisClient, keyPrefix: 'shop:cache:users' } });
TokenAuth({ cache: { ttl: 60, redis: ioredisClient } });
// @ts-expect-error cache.keyPrefix is a string
BasicAuth({ cache: { ttl: 60, redis: ioredisClient, keyPrefix: 1 } });

// Issue 14: the cookie option, the audit event's words, the route params of HookRequest.
TokenAuth({ cookie: 'session' });
TokenAuth({ cookie: { name: 'session', allowedOrigins: ['https://admin.example.com'], crossSite: false } });
// @ts-expect-error a cookie object needs its name
TokenAuth({ cookie: { allowedOrigins: ['https://admin.example.com'] } });
// @ts-expect-error crossSite is true or false
TokenAuth({ cookie: { name: 'session', crossSite: 'yes' } });
assertType<Equals<import('../../src').AuthEvent['scheme'], string>>();
assertType<Equals<import('../../src').AuthEvent['kind'], 'basic' | 'digest' | 'token' | 'jwt' | 'clientCert' | 'introspection'>>();
assertType<Equals<import('../../src').AuthEvent['namespace'], string | undefined>>();
assertType<Equals<HookRequest['params'], { readonly [name: string]: string }>>();

BasicAuth({ throttle: { failures: 3, window: 60, block: 300, timeout: 100, maxWait: 2_000 } });
// @ts-expect-error throttle.timeout is a number of milliseconds
BasicAuth({ throttle: { failures: 3, window: 60, block: 300, timeout: '1s' } });

// Issue 17 §3: @IntrospectionAuth.
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's3cret', audience: 'api', cache: { ttl: 60, max: 1000, redis: ioredisClient } });
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's3cret', clientAuth: 'client_secret_post' });
declare const introspectionKey: import('node:crypto').KeyObject;
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientAuth: 'private_key_jwt', privateKey: introspectionKey });
// @ts-expect-error clientAuth names one of the three methods
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', clientAuth: 'client_secret_jwt' });
// @ts-expect-error endpoint and clientId are required
IntrospectionAuth({ clientSecret: 's' });
const introspectionOptions: import('../../src').IntrospectionAuthOptions = { endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', cache: { ttl: 60, negativeTtl: 5 } };
const introspectionCache: import('../../src').IntrospectionCacheOptions | undefined = introspectionOptions.cache;
void introspectionCache;
// Bound answers: DPoP (the options of @JwtAuth) and certificate-bound tokens.
declare const sharedNonceStore: import('../../src').NonceStore;
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', resource: 'https://api.example.com', issuer: 'https://id.example.com', dpop: 'required', dpopNonce: { secret: 'x'.repeat(32) }, store: sharedNonceStore });
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', mtlsBound: 'allowed' });
// Behind a TLS-terminating proxy: the same header options as @ClientCertAuth's `from`.
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', mtlsBound: 'allowed', mtlsFrom: { header: 'x-forwarded-client-cert', trustedProxies: ['10.0.0.0/8'] } });
JwtAuth({ issuer: 'https://id.example.com', audience: 'https://api.example.com', discovery: true, mtlsBound: 'required', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'], format: 'escaped-pem' } });
// @ts-expect-error mtlsFrom needs trustedProxies
JwtAuth({ issuer: 'https://id.example.com', audience: 'https://api.example.com', discovery: true, mtlsBound: 'required', mtlsFrom: { header: 'x-ssl-client-cert' } });
assertType<Equals<NonNullable<import('../../src').JwtAuthOptions['mtlsFrom']>, import('../../src').ClientCertHeaderOptions>>();
// @ts-expect-error dpop is 'allowed' or 'required'
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', dpop: true });
// @ts-expect-error mtlsBound is 'allowed' or 'required'
IntrospectionAuth({ endpoint: 'https://id.example.com/introspect', clientId: 'api', clientSecret: 's', mtlsBound: 'on' });

// --- the barrel: exactly these value exports --------------------------------------------------

type ValueExports = keyof typeof import('../../src');
/** Issue #2 (Basic, Token, roles, MultiAuth). */
type BasicTokenExports =
  | 'BasicAuth'
  | 'TokenAuth'
  | 'VerifyPassword'
  | 'GetPassword'
  | 'HashPassword'
  | 'VerifyToken'
  | 'GetUserRoles'
  | 'ErrorHandler'
  | 'LoginRequired'
  | 'createAuthCheckers'
  | 'HttpAuthError'
  | 'AuthenticationError'
  | 'RoleError'
  | 'LoginRequirement';
/** Added by later issues (Digest, nonce stores, password hashing), as of this writing; extend it with each new export. */
type LaterExports =
  | 'DigestAuth'
  | 'GenerateNonce'
  | 'VerifyNonce'
  | 'GenerateOpaque'
  | 'VerifyOpaque'
  | 'GetUsernameByHash'
  | 'generateHa1'
  | 'generateUserhash'
  | 'MemoryNonceStore'
  | 'RedisNonceStore'
  | 'fromNodeRedis'
  | 'generatePasswordHash'
  | 'checkPasswordHash'
  // Issue 7 (security) and 8 (adoption).
  | 'PreflightAnswer'
  | 'AuthenticationFailure'
  // Issue 9: Apache password files.
  | 'htpasswd'
  | 'htdigest'
  // Issue 14: cookie tokens refused cross-site.
  | 'CrossSiteError'
  // Issue 16: JWT access tokens (OAuth 2.0 resource server).
  | 'JwtAuth'
  | 'VerifyClaims'
  // Issue 18: issuing tokens.
  | 'createTokenIssuer'
  | 'TokenGrantError'
  | 'MemoryTokenStore'
  | 'RedisTokenStore'
  // Issue 17: client certificates (mTLS).
  | 'ClientCertAuth'
  | 'VerifyCertificate'
  // Issue 17 §3: opaque tokens by introspection.
  | 'IntrospectionAuth';
assertType<Equals<ValueExports, BasicTokenExports | LaterExports>>();
// Each issue's exports are really there (the union check above could not tell which side is missing).
assertType<Equals<Extract<ValueExports, BasicTokenExports>, BasicTokenExports>>();

// The public types are importable by name.
export type PublicTypes = [
  import('../../src').AuthCheckers<User>,
  import('../../src').AuthCheckersOptions,
  import('../../src').AuthLogger,
  import('../../src').ExpressAppLike,
  import('../../src').ExpressGuard,
  import('../../src').KoaContextLike,
  import('../../src').KoaGuard,
  import('../../src').SocketIoMiddleware,
  import('../../src').SocketIoRefusal,
  import('../../src').SocketIoSocketLike,
  import('../../src').RequestSource,
  import('../../src').AuthEvent,
  import('../../src').AuthEventType,
  import('../../src').AuthEventListener,
  import('../../src').HttpAuthErrorCode,
  import('../../src').BasicAuthOptions,
  import('../../src').TokenAuthOptions,
  import('../../src').TokenCookieOptions,
  import('../../src').UsernameFilter,
  import('../../src').OpenApiDocument,
  import('../../src').OpenApiSecurityScheme,
  import('../../src').OpenApiHttpScheme,
  import('../../src').OpenApiKeyScheme,
  import('../../src').Action,
  import('../../src').AuthClass,
  import('../../src').AuthFailureStatus,
  import('../../src').Awaitable<User>,
  import('../../src').Credentials,
  import('../../src').ErrorHandlerFn,
  import('../../src').GetPasswordFn,
  import('../../src').GetUserRolesFn,
  import('../../src').HashPasswordFn,
  import('../../src').LoginRequiredOptions,
  import('../../src').MethodRoleSpec,
  import('../../src').RoleSpec,
  import('../../src').VerifyPasswordFn,
  import('../../src').VerifyTokenFn,
  // The decorator types (issue 8: every type the API reference shows is exported).
  import('../../src').HookDecorator<import('../../src').VerifyPasswordFn>,
  import('../../src').HookMethodDecorator<import('../../src').VerifyTokenFn>,
  import('../../src').SchemeDecorator<import('../../src').BasicAuthOptions>,
  import('../../src').LoginRequiredDecorator,
  import('../../src').AuthInput,
  import('../../src').HookRequest,
  import('../../src').Htpasswd,
  import('../../src').HtpasswdOptions,
  import('../../src').Htdigest,
  import('../../src').HtdigestOptions,
  import('../../src').PasswordFileOptions,
  import('../../src').PathSource<HookRequest>,
  // Issue 17: client certificates (mTLS).
  import('../../src').ClientCertAuthOptions,
  import('../../src').ClientCertHeaderOptions,
  import('../../src').VerifyCertificateFn,
  import('../../src').OpenApiMutualTlsScheme,
];
// Issue 17: @ClientCertAuth options and the hook's signature.
ClientCertAuth({ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5', '10.1.0.0/16'] } });
ClientCertAuth({ from: { header: 'x-forwarded-client-cert', trustedProxies: ['::1'], format: 'xfcc' } });
// @ts-expect-error from needs trustedProxies
ClientCertAuth({ from: { header: 'x-ssl-client-cert' } });
// @ts-expect-error format is 'escaped-pem' or 'xfcc'
ClientCertAuth({ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'], format: 'der' } });
assertType<Equals<typeof ClientCertAuth, import('../../src').SchemeDecorator<import('../../src').ClientCertAuthOptions>>>();
assertType<Equals<typeof VerifyCertificate, import('../../src').HookDecorator<import('../../src').VerifyCertificateFn>>>();
assertType<Equals<Parameters<import('../../src').VerifyCertificateFn>[0], import('node:crypto').X509Certificate>>();
assertType<Equals<import('../../src').Credentials['certificate'], import('node:crypto').X509Certificate | undefined>>();
JwtAuth({ issuer: 'https://id.example.com', audience: 'https://api.example.com', discovery: true, mtlsBound: 'required' });
// @ts-expect-error mtlsBound is 'allowed' or 'required'
JwtAuth({ issuer: 'https://id.example.com', audience: 'https://api.example.com', discovery: true, mtlsBound: true });
// They are the types of the exported decorators, not look-alikes.
// The method-style hook signatures keep their names (and so their bivariance) in the .d.ts.
assertType<Equals<typeof GetPassword, import('../../src').HookDecorator<import('../../src').GetPasswordFn>>>();
assertType<Equals<typeof ErrorHandler, import('../../src').HookDecorator<import('../../src').ErrorHandlerFn>>>();
assertType<Equals<typeof BasicAuth, import('../../src').SchemeDecorator<import('../../src').BasicAuthOptions>>>();
assertType<Equals<typeof TokenAuth, import('../../src').SchemeDecorator<import('../../src').TokenAuthOptions>>>();
assertType<Equals<typeof VerifyPassword, import('../../src').HookDecorator<import('../../src').VerifyPasswordFn>>>();
assertType<Equals<typeof LoginRequired, import('../../src').LoginRequiredDecorator>>();
assertType<Equals<Parameters<typeof createAuthCheckers>[0], import('../../src').AuthInput | readonly import('../../src').AuthInput[]>>();
// The re-exported Action is routing-controllers' own.
assertType<Equals<import('../../src').Action, Action>>();
