import { resolveBasicOptions, type BasicAuthOptions } from '../authenticators/basic';
import { resolveTokenOptions, type TokenAuthOptions } from '../authenticators/token';
import { resolveDigestOptions, type DigestAuthOptions } from '../authenticators/digest';
import { resolveJwtOptions, type JwtAuthOptions } from '../authenticators/jwt-options';
import { resolveClientCertOptions, type ClientCertAuthOptions } from '../authenticators/client-cert';
import { resolveIntrospectionOptions, type IntrospectionAuthOptions } from '../authenticators/introspection-options';
import { HOOK_DECORATOR, recordHook, recordScheme, SCHEME_DECORATOR, type HookKind, type SchemeKind } from '../registry';
import type {
  ErrorHandlerFn,
  GenerateNonceFn,
  GetPasswordFn,
  GetUsernameByHashFn,
  GetUserRolesFn,
  HashPasswordFn,
  VerifyNonceFn,
  VerifyPasswordFn,
  VerifyCertificateFn,
  VerifyClaimsFn,
  VerifyTokenFn,
} from '../types';
import { describeTarget, dualForm } from './dual-form';

/**
 * What `@VerifyPassword()` (and every hook decorator called with parentheses) returns: a method
 * decorator that only compiles on a method assignable to the hook's signature `F`.
 * @example
 * ```ts
 * const verifyPassword: HookMethodDecorator<VerifyPasswordFn> = VerifyPassword();
 * @BasicAuth() class UserAuth { @verifyPassword verify(username: string, password: string) { return users.check(username, password); } }
 * ```
 */
export type HookMethodDecorator<F> = <M extends F>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>) => void;

/**
 * The type of every hook decorator (`@VerifyPassword`, `@GetUserRoles`, …), usable bare or with
 * `()` — both mean the same; `F` is the signature the decorated method is checked against. Name
 * it to wrap a hook decorator in one of your own.
 * @example
 * ```ts
 * const Verify: HookDecorator<VerifyPasswordFn> = VerifyPassword; // an alias for a team's style
 * @BasicAuth() class UserAuth { @Verify verify(username: string, password: string) { return users.check(username, password); } }
 * ```
 */
export interface HookDecorator<F> {
  (): HookMethodDecorator<F>;
  <M extends F>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void;
}

/**
 * The type of the scheme decorators `@BasicAuth`, `@DigestAuth` and `@TokenAuth`: bare, with `()`
 * or with options `O`, all recording the class as an auth class. Name it to write a preset.
 * @example
 * ```ts
 * const withRealm = <O extends { realm?: string }>(scheme: SchemeDecorator<O>, realm: string) => scheme({ realm } as O);
 * @withRealm(BasicAuth, 'Admin area')
 * class AdminAuth { @VerifyPassword() verify(username: string, password: string) { return admins.check(username, password); } }
 * ```
 */
export interface SchemeDecorator<O> {
  // The options form comes first, so that an argument typed `any` is read as options.
  (options?: O): <C extends abstract new (...args: never[]) => object>(target: C) => void;
  <C extends abstract new (...args: never[]) => object>(target: C): void;
}

/**
 * Builds a hook decorator. `F` is the hook's signature: the decorated method is checked against
 * it at compile time (a `@VerifyPassword` method taking a number does not compile).
 */
function hookDecorator<F>(kind: HookKind): HookDecorator<F> {
  const name = HOOK_DECORATOR[kind];
  return dualForm<unknown>(name, (options) => {
    if (options !== undefined) throw new TypeError(`http-auth: ${name} takes no options; write ${name} or ${name}()`);
    return (target, key, descriptor) => {
      const where = `${name} on ${describeTarget(target, key)}`;
      if (key === undefined) {
        throw new TypeError(`http-auth: ${where}: it decorates a method of an auth class; put it on one`);
      }
      if (typeof target === 'function') {
        throw new TypeError(`http-auth: ${name} on static method ${describeTarget(target, key)}; put it on an instance method`);
      }
      if (typeof (descriptor as PropertyDescriptor | undefined)?.value !== 'function') {
        throw new TypeError(`http-auth: ${where}, which is not a method; put it on a method`);
      }
      recordHook(target.constructor, kind, key);
    };
  }) as HookDecorator<F>;
}

function schemeDecorator<O>(kind: SchemeKind, resolve: (options: O | undefined, where: string) => unknown): SchemeDecorator<O> {
  const name = SCHEME_DECORATOR[kind];
  return dualForm<O>(name, (options) => (target, key, descriptorOrIndex) => {
    if (key !== undefined || descriptorOrIndex !== undefined || typeof target !== 'function') {
      throw new TypeError(`http-auth: ${name} on ${describeTarget(target, key)}: it decorates an auth class, not a member; put it on the class`);
    }
    recordScheme(target, kind, resolve(options, `${name} on ${target.name}`));
  }) as SchemeDecorator<O>;
}

/**
 * Marks a class as an HTTP Basic auth scheme (RFC 7617), Flask-HTTPAuth's `HTTPBasicAuth`. Its
 * methods are the hooks: `@VerifyPassword`, or `@GetPassword` (with `@HashPassword`).
 * @see [Basic and Token authentication](../../docs/basic-and-token.md)
 * @example
 * ```ts
 * @BasicAuth({ realm: 'Users' })
 * class UserAuth {
 *   @VerifyPassword() async verify(username: string, password: string) {
 *     if (!username) return null; // nothing sent: no password hash to compute
 *     return users.check(username, password); // the user, or null
 *   }
 * }
 * ```
 */
export const BasicAuth = schemeDecorator<BasicAuthOptions>('basic', resolveBasicOptions);

/**
 * Marks a class as a token scheme: `Authorization: Bearer <token>` (RFC 6750), another scheme
 * word, or a raw key in a custom header; Flask-HTTPAuth's `HTTPTokenAuth`.
 * @see [Basic and Token authentication](../../docs/basic-and-token.md)
 * @example
 * ```ts
 * @TokenAuth({ header: 'X-API-Key', scheme: 'ApiKey' })
 * class ApiKeyAuth {
 *   @VerifyToken() verify(token: string) { return apiKeys.get(token) ?? null; }
 * }
 * ```
 */
export const TokenAuth = schemeDecorator<TokenAuthOptions>('token', resolveTokenOptions);

/**
 * Marks a class as an HTTP Digest auth scheme (RFC 7616): MD5, SHA-256 and SHA-512-256, their
 * `-sess` variants, qop auth / auth-int, userhash, stateless signed nonces and replay protection.
 * Flask-HTTPAuth's `HTTPDigestAuth`; it needs a `@GetPassword` method.
 * @see [Digest authentication](../../docs/digest.md)
 * @example
 * ```ts
 * @DigestAuth({ realm: 'api@example.org', algorithm: ['SHA-256', 'MD5'], secret: process.env.DIGEST_SECRET })
 * class DigestUsers {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 * }
 * ```
 */
export const DigestAuth = schemeDecorator<DigestAuthOptions>('digest', resolveDigestOptions);

/**
 * Marks a class as an OAuth 2.0 resource server's scheme: JWT access tokens (RFC 9068) in
 * `Authorization: Bearer`, verified strictly against the issuer's keys (a JWKS URL, discovery,
 * local keys or a shared secret). Its optional `@VerifyClaims` method turns the claims into the
 * user; routes may require scopes with `@LoginRequired({ scope })`.
 * @see [JWT access tokens](../../docs/jwt.md)
 * @example
 * ```ts
 * @JwtAuth({ issuer: 'https://id.example.com/realms/main', audience: 'https://api.example.com', discovery: true })
 * class ApiAuth {
 *   @VerifyClaims() verify(claims: JwtClaims) { return { id: claims.sub, roles: claims.roles }; }
 * }
 * ```
 */
export const JwtAuth = schemeDecorator<JwtAuthOptions>('jwt', resolveJwtOptions);

/**
 * Marks a class as an OAuth 2.0 resource server's scheme for opaque access tokens in
 * `Authorization: Bearer` (with `dpop`, also `Authorization: DPoP` and a proof), checked at the
 * authorization server's introspection endpoint (RFC 7662) with a deadline, one request per token
 * at a time, and an optional cache; DPoP- and certificate-bound answers meet `@JwtAuth`'s checks. Its
 * optional `@VerifyClaims` method turns the introspection response into the user; routes may
 * require scopes with `@LoginRequired({ scope })`.
 * @see [Opaque tokens (introspection)](../../docs/introspection.md)
 * @example
 * ```ts
 * @IntrospectionAuth({ endpoint: 'https://id.example.com/oauth/introspect', clientId: 'orders-api', clientSecret: process.env.INTROSPECTION_SECRET!, cache: { ttl: 60, max: 10_000 } })
 * class ApiAuth {
 *   @VerifyClaims() verify(response: JwtClaims) { return { id: response.sub, scopes: response.scope }; }
 * }
 * ```
 */
export const IntrospectionAuth = schemeDecorator<IntrospectionAuthOptions>('introspection', resolveIntrospectionOptions);

/**
 * `(username, password) => user | true | null | undefined | false`: the user, `true` for "valid
 * but no user object", `null`/`undefined`/`false` to refuse (anything else, `''` and `0` included,
 * is the user). Also called with `('', '')` when nothing was sent.
 * @see [Hook decorators](../../docs/auth-classes.md#hook-decorators)
 * @example
 * ```ts
 * @BasicAuth() class UserAuth {
 *   @VerifyPassword() async verify(username: string, password: string) { return username ? users.check(username, password) : null; }
 * }
 * ```
 */
export const VerifyPassword = hookDecorator<VerifyPasswordFn>('verifyPassword');

/**
 * `(username, algorithm?) => stored password | undefined`: the library compares it, in constant time, with the
 * (hashed) password the client sent. Used when there is no `@VerifyPassword`; required by Digest.
 * @see [Hook decorators](../../docs/auth-classes.md#hook-decorators)
 * @example
 * ```ts
 * @BasicAuth() class UserAuth {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 * }
 * ```
 */
// Annotated, unlike the other hooks: GetPasswordFn and ErrorHandlerFn are method-style (checked
// bivariantly). Inferred, the emitted .d.ts spells them out as plain function types, which
// strictFunctionTypes checks strictly, and a Digest `ha1(username, algorithm, request)` or a
// narrower `onError(status: 401 | 403)` stops compiling for users although it compiles against src/.
export const GetPassword: HookDecorator<GetPasswordFn> = hookDecorator<GetPasswordFn>('getPassword');

/**
 * `(password)` or `(username, password)` => what `@GetPassword` stores for that password.
 * @see [Hook decorators](../../docs/auth-classes.md#hook-decorators)
 * @example
 * ```ts
 * @BasicAuth() class UserAuth {
 *   @GetPassword() password(username: string) { return hashedPasswords.get(username); }
 *   @HashPassword() hash(username: string, password: string) { return createHash('sha256').update(`${username}:${password}`).digest('hex'); }
 * }
 * ```
 */
export const HashPassword = hookDecorator<HashPasswordFn>('hashPassword');

/**
 * `(token) => user | true | null | undefined | false`, read like `@VerifyPassword`'s; called with
 * `''` when no token was sent.
 * @see [Hook decorators](../../docs/auth-classes.md#hook-decorators)
 * @example
 * ```ts
 * @TokenAuth() class BearerAuth {
 *   @VerifyToken() verify(token: string) { return tokens.get(token) ?? null; }
 * }
 * ```
 */
export const VerifyToken = hookDecorator<VerifyTokenFn>('verifyToken');

/**
 * `(user, credentials) => role | roles | null`: the roles checked by `@LoginRequired({ role })`.
 * @see [Hook decorators](../../docs/auth-classes.md#hook-decorators)
 * @example
 * ```ts
 * @BasicAuth() class UserAuth {
 *   @VerifyPassword() verify(username: string, password: string) { return users.check(username, password); }
 *   @GetUserRoles() roles(user: User) { return user.roles; }
 * }
 * ```
 */
export const GetUserRoles = hookDecorator<GetUserRolesFn>('getUserRoles');

/**
 * `(status, action, failure?) => body`: replaces the body of 400/401/403/407 answers, and of the 429
 * (throttled) and 503 (a store down, a hook past `hookTimeout`) ones, so one error format covers them
 * all; the challenge is added to a 401/403/407 unless the handler set `WWW-Authenticate`
 * (`Proxy-Authenticate` for a proxy class) itself, and `Retry-After` is kept on a 429 whatever the
 * handler answers. Throw an `HttpError` to answer differently.
 * @see [Errors and the error handler](../../docs/errors.md#the-error-handler)
 * @example
 * ```ts
 * @BasicAuth() class UserAuth {
 *   @VerifyPassword() verify(username: string, password: string) { return users.check(username, password); }
 *   @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
 *     return { error: status === 403 ? 'forbidden' : 'login required', reason: failure?.code };
 *   }
 * }
 * ```
 */
// Annotated for its .d.ts, as GetPassword is.
export const ErrorHandler: HookDecorator<ErrorHandlerFn> = hookDecorator<ErrorHandlerFn>('errorHandler');

/**
 * Digest: `() => nonce`, replacing the built-in signed nonce; needs `@VerifyNonce` too.
 * @see [Custom nonces](../../docs/digest.md#custom-nonces)
 * @example
 * ```ts
 * @DigestAuth() class DigestUsers {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 *   @GenerateNonce() nonce() { const n = randomUUID(); issued.set(n, Date.now() + 300_000); return n; }
 *   @VerifyNonce() checkNonce(nonce: string) { return issued.get(nonce) ?? false; }
 * }
 * ```
 */
export const GenerateNonce = hookDecorator<GenerateNonceFn>('generateNonce');

/**
 * Digest: `(nonce) => boolean | Date | epoch ms`, whether a nonce from `@GenerateNonce` is still
 * acceptable; return its fixed expiry rather than `true`, so its replay record lasts exactly as long.
 * @see [Custom nonces](../../docs/digest.md#custom-nonces)
 * @example
 * ```ts
 * @DigestAuth() class DigestUsers {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 *   @GenerateNonce() nonce() { const n = randomUUID(); issued.set(n, Date.now() + 300_000); return n; }
 *   @VerifyNonce() checkNonce(nonce: string) { return issued.get(nonce) ?? false; } // its expiry in epoch ms
 * }
 * ```
 */
export const VerifyNonce = hookDecorator<VerifyNonceFn>('verifyNonce');

/**
 * Digest: `() => opaque`, replacing the built-in one; needs `@VerifyOpaque` too.
 * @see [Custom nonces](../../docs/digest.md#custom-nonces)
 * @example
 * ```ts
 * @DigestAuth() class DigestUsers {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 *   @GenerateOpaque() opaque() { return 'server-1'; }
 *   @VerifyOpaque() checkOpaque(opaque: string) { return opaque === 'server-1'; }
 * }
 * ```
 */
export const GenerateOpaque = hookDecorator<GenerateNonceFn>('generateOpaque');

/**
 * Digest: `(opaque) => boolean`.
 * @see [Custom nonces](../../docs/digest.md#custom-nonces)
 * @example
 * ```ts
 * @DigestAuth() class DigestUsers {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 *   @GenerateOpaque() opaque() { return 'server-1'; }
 *   @VerifyOpaque() checkOpaque(opaque: string) { return opaque === 'server-1'; }
 * }
 * ```
 */
export const VerifyOpaque = hookDecorator<VerifyNonceFn>('verifyOpaque');

/**
 * Digest with `userhash: true`: `(userhash, algorithm) => username | undefined`, mapping
 * H(username:realm) back to a user (store `generateUserhash(...)` next to each user).
 * @see [userhash](../../docs/digest.md#userhash)
 * @example
 * ```ts
 * @DigestAuth({ realm: 'api', algorithm: 'SHA-256', userhash: true }) class DigestUsers {
 *   @GetPassword() password(username: string) { return passwords.get(username); }
 *   // filled with usersByHash.set(generateUserhash(name, 'api', 'SHA-256'), name)
 *   @GetUsernameByHash() byHash(userhash: string) { return usersByHash.get(userhash); }
 * }
 * ```
 */
export const GetUsernameByHash = hookDecorator<GetUsernameByHashFn>('getUsernameByHash');

/**
 * `@JwtAuth` and `@IntrospectionAuth`: `(claims, request?) => user | true | null | false`: the user of a verified access
 * token (for `@IntrospectionAuth`, `claims` is the introspection response) (`true`: the claims themselves; `null`/`false`: 401 `invalid_token`). Throw
 * `AuthenticationFailure` to refuse with a reason, e.g. a revoked `jti` or a missing `acr`.
 * @see [JWT access tokens](../../docs/jwt.md)
 * @example
 * ```ts
 * @JwtAuth({ issuer: 'https://id.example.com', audience: 'https://api.example.com', jwksUri: 'https://id.example.com/jwks' })
 * class ApiAuth {
 *   @VerifyClaims() async verify(claims: JwtClaims) { return (await revoked.has(String(claims.jti))) ? null : claims; }
 * }
 * ```
 */
export const VerifyClaims = hookDecorator<VerifyClaimsFn>('verifyClaims');

/**
 * Marks a class as a client-certificate scheme (mutual TLS): the credentials are the TLS client
 * certificate of the connection, verified by the TLS layer against the server's `ca` (an `https`
 * server with `requestCert: true`), or forwarded by a trusted TLS-terminating proxy (`from`). Its
 * `@VerifyCertificate` method turns the certificate into the user. TLS has no `WWW-Authenticate`
 * scheme: a 401 carries the other members' challenges, or none.
 * @see [Client certificates and certificate-bound tokens](../../docs/sender-constrained-tokens.md#client-certificates-and-certificate-bound-tokens-mtls-rfc-8705)
 * @example
 * ```ts
 * @ClientCertAuth()
 * class DeviceAuth {
 *   @VerifyCertificate() verify(cert: X509Certificate) { return devices.get(cert.fingerprint256) ?? null; }
 * }
 * ```
 */
export const ClientCertAuth = schemeDecorator<ClientCertAuthOptions>('clientCert', resolveClientCertOptions);

/**
 * `@ClientCertAuth`: `(cert, request?) => user | true | null | undefined | false`: the user of a
 * client certificate (a `node:crypto` `X509Certificate`) the TLS layer or a trusted proxy verified;
 * `null`/`undefined`/`false` answer 401. Throw `AuthenticationFailure` to refuse with a reason.
 * @see [Client certificates and certificate-bound tokens](../../docs/sender-constrained-tokens.md#client-certificates-and-certificate-bound-tokens-mtls-rfc-8705)
 * @example
 * ```ts
 * @ClientCertAuth() class DeviceAuth {
 *   @VerifyCertificate() verify(cert: X509Certificate) { return cert.checkHost('sensor-7.devices.example.com') ? { id: 'sensor-7' } : null; }
 * }
 * ```
 */
export const VerifyCertificate = hookDecorator<VerifyCertificateFn>('verifyCertificate');
