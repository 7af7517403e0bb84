export {
  BasicAuth,
  TokenAuth,
  VerifyPassword,
  GetPassword,
  HashPassword,
  VerifyToken,
  GetUserRoles,
  ErrorHandler,
} from './decorators/auth-class';
export { LoginRequired } from './decorators/login-required';
export { createAuthCheckers } from './integration/routing-controllers';
export { HttpAuthError, AuthenticationError, RoleError } from './errors';
export { LoginRequirement } from './requirement';
export { generatePasswordHash, checkPasswordHash } from './passwords';

export type {
  AuthCheckers,
  AuthCheckersOptions,
  AuthLogger,
  ExpressAppLike,
  ExpressGuard,
  KoaContextLike,
  KoaGuard,
} from './integration/routing-controllers';
export type { RequestSource } from './integration/request';
export type { HttpAuthErrorCode } from './errors';
export type { PasswordHashOptions } from './passwords';
export type { BasicAuthOptions } from './authenticators/basic';
export type { TokenAuthOptions } from './authenticators/token';
export type {
  Action,
  AuthClass,
  AuthFailureStatus,
  Awaitable,
  Credentials,
  ErrorHandlerFn,
  GetPasswordFn,
  GetUserRolesFn,
  HashPasswordFn,
  LoginRequiredOptions,
  MethodRoleSpec,
  RoleSpec,
  VerifyPasswordFn,
  VerifyTokenFn,
} from './types';
