/**
 * HTTP Basic, Digest and Token authentication for routing-controllers (Express and Koa), in the
 * spirit of Flask-HTTPAuth. This reference has every export with an example. The guides, listed
 * among its documents, explain each feature: start with [Setup](../docs/setup.md) and
 * [Auth classes and hooks](../docs/auth-classes.md), or, coming from Flask,
 * [Migrating from Flask-HTTPAuth](../docs/migrating-from-flask-httpauth.md).
 * @packageDocumentation
 */
export {
  BasicAuth,
  DigestAuth,
  TokenAuth,
  JwtAuth,
  IntrospectionAuth,
  VerifyPassword,
  GetPassword,
  HashPassword,
  VerifyToken,
  GetUserRoles,
  ErrorHandler,
  GenerateNonce,
  VerifyNonce,
  GenerateOpaque,
  VerifyOpaque,
  GetUsernameByHash,
  VerifyClaims,
  ClientCertAuth,
  VerifyCertificate,
} from './decorators/auth-class';
export { generateHa1, generateUserhash } from './schemes/digest';
export { MemoryNonceStore } from './stores/memory-nonce-store';
export { RedisNonceStore, fromNodeRedis } from './stores/redis-nonce-store';
export { LoginRequired } from './decorators/login-required';
export { createAuthCheckers } from './integration/create-auth-checkers';
export { HttpAuthError, AuthenticationError, AuthenticationFailure, RoleError, CrossSiteError, PreflightAnswer } from './errors';
export { LoginRequirement } from './requirement';
export { generatePasswordHash, checkPasswordHash } from './passwords';
export { htpasswd, htdigest } from './password-files';
export { createTokenIssuer } from './issuer/create-token-issuer';
export { TokenGrantError } from './issuer/token-error';
export { MemoryTokenStore } from './stores/memory-token-store';
export { RedisTokenStore } from './stores/redis-token-store';

export type { HookDecorator, HookMethodDecorator, SchemeDecorator } from './decorators/auth-class';
export type { LoginRequiredDecorator } from './decorators/login-required';
export type { SchemeKind } from './registry';
export type { AuthCheckers, AuthCheckersOptions, AuthInput } from './integration/auth-checkers';
export type { ExpressAppLike, ExpressGuard } from './integration/express';
export type { KoaAppLike, KoaContextLike, KoaGuard } from './integration/koa';
export type { SocketIoMiddleware, SocketIoRefusal, SocketIoSocketLike } from './integration/socket-io-types';
export type { RequestSource } from './integration/request';
export type { OpenApiDocument, OpenApiHttpScheme, OpenApiKeyScheme, OpenApiMutualTlsScheme, OpenApiOpenIdConnectScheme, OpenApiSecurityScheme } from './integration/openapi';
export type { AuthEvent, AuthEventType, AuthEventListener } from './integration/audit';
export type { AuthLogger } from './internal/log';
export type { HttpAuthErrorCode } from './errors';
export type { PasswordHashOptions } from './passwords';
export type { Htpasswd, HtpasswdOptions, Htdigest, HtdigestOptions, PasswordFileOptions, PathSource } from './password-files';
export type { BasicAuthOptions } from './authenticators/basic';
export type { TokenAuthOptions, TokenCookieOptions } from './authenticators/token';
export type { JwtAuthOptions, JwksOptions, JwtKeysInput } from './authenticators/jwt-options';
export type { ClientCertAuthOptions, ClientCertHeaderOptions } from './authenticators/client-cert';
export type { DpopNonceOptions, JwtDpopOptions } from './authenticators/jwt-dpop-options';
export type { MtlsBindingOptions } from './authenticators/jwt-mtls';
export type { IntrospectionAuthOptions, IntrospectionCacheOptions } from './authenticators/introspection-options';
export type { ProtectedResourceMetadata } from './schemes/resource-metadata';
export type { TokenIssuer, TokenPair, IssueOptions, RefreshOptions, JsonWebKeySet } from './issuer/types';
export type { TokenIssuerOptions } from './issuer/options';
export type { IssuerCookieOptions, CookieTarget } from './issuer/cookies';
export type { PublicJwk } from './issuer/signing-key';
export type { TokenGrantErrorCode, TokenGrantFailure } from './issuer/token-error';
export type { TokenStore, RefreshTokenRecord, NewRefreshToken, NewLogin, RotateResult, AccessTokenState } from './stores/token-store';
export type { MemoryTokenStoreOptions } from './stores/memory-token-store';
export type { RedisTokenStoreOptions } from './stores/redis-token-store';
export type { DigestAuthOptions, DigestAlgorithmName } from './authenticators/digest';
export type { DigestAlgorithm, DigestQop } from './schemes/digest';
export type { NonceStore } from './stores/nonce-store';
export type { MemoryNonceStoreOptions } from './stores/memory-nonce-store';
export type { RedisLikeClient, NodeRedisLikeClient, RedisNonceStoreOptions } from './stores/redis-nonce-store';
export type { CacheOptions, UsernameFilter } from './internal/credential-cache';
export type { ThrottleOptions } from './internal/throttle';
export type {
  Action,
  AuthClass,
  AuthFailureStatus,
  Awaitable,
  Credentials,
  ErrorHandlerFn,
  GenerateNonceFn,
  GetPasswordFn,
  GetUsernameByHashFn,
  GetUserRolesFn,
  HashPasswordFn,
  HookRequest,
  JwtClaims,
  LoginRequiredOptions,
  MethodRoleSpec,
  MethodScopeSpec,
  RoleSpec,
  ScopeSpec,
  VerifyCertificateFn,
  VerifyClaimsFn,
  VerifyNonceFn,
  VerifyPasswordFn,
  VerifyTokenFn,
} from './types';
