import type { X509Certificate } from 'node:crypto';
import { HttpError, type Action } from 'routing-controllers';
import type { Authenticator } from '../authenticators/authenticator';
import { createBasicAuthenticator, type BasicConfig } from '../authenticators/basic';
import { createTokenAuthenticator, type TokenConfig } from '../authenticators/token';
import { createJwtAuthenticator } from '../authenticators/jwt';
import { createClientCertAuthenticator, type ClientCertConfig } from '../authenticators/client-cert';
import type { JwtConfig } from '../authenticators/jwt-options';
import { createIntrospectionAuthenticator } from '../authenticators/introspection';
import type { DpopConfig } from '../authenticators/jwt-dpop-options';
import type { IntrospectionConfig } from '../authenticators/introspection-options';
import { createDigestAuthenticator, defaultDigestRuntimeParts, type DigestConfig, type DigestHooks } from '../authenticators/digest';
import { DEFAULT_HOOK_TIMEOUT_MS } from '../config';
import { AuthenticationFailure } from '../errors';
import type { BoundAuth } from './decision';
import { HookFailure, HookTimeout } from './hook-errors';
import { withDeadline } from '../internal/deadline';
import { isPromiseLike } from '../internal/steps';
import { Throttle, type ThrottleConfig } from '../internal/throttle';
import { HOOK_DECORATOR, SCHEME_DECORATOR, type AuthClassMeta, type HookKind, type SchemeKind } from '../registry';
import type { AuthFailureStatus, Awaitable, Credentials, HookRequest, JwtClaims } from '../types';

type Hook = (...args: never[]) => unknown;
type HookReader = <F extends Hook = (...args: never[]) => unknown>(kind: HookKind) => F | undefined;

/** What a bound authenticator may use of its app. */
export interface BindContext {
  /** Rate-limited: at most one line per kind a minute (clients can trigger these); kinds are fixed words. */
  logError(kind: string, message: string): void;
  /** The same, for a line that is news rather than a failure (signing keys rotated). */
  logWarn(kind: string, message: string): void;
  /** The generic 500 for a hook that broke its contract at request time; each message is logged once. */
  misconfigured(message: string): Error;
}

interface SchemeBinding {
  readonly hooks: readonly HookKind[];
  /** A message naming the fix when the class lacks what the scheme needs. */
  missing(meta: AuthClassMeta): string | undefined;
  /** Start-up warnings about a working but fragile set-up. */
  warnings?(meta: AuthClassMeta): string[];
  create(config: unknown, hook: HookReader, meta: AuthClassMeta, context: BindContext): Authenticator;
}

/** Hooks that replace a default must come with their counterpart. */
function missingPair(meta: AuthClassMeta, a: HookKind, b: HookKind): string | undefined {
  if (meta.hooks.has(a) === meta.hooks.has(b)) return undefined;
  const [present, absent] = meta.hooks.has(a) ? [a, b] : [b, a];
  return `${meta.name} has ${HOOK_DECORATOR[present]} without ${HOOK_DECORATOR[absent]}; a custom nonce or opaque needs both (or neither, for the built-in signed ones)`;
}

const COMMON_HOOKS: readonly HookKind[] = ['getUserRoles', 'errorHandler'];

/** Per scheme: which hooks it accepts, which it needs, how to build its authenticator. */
const SCHEMES: Partial<Record<SchemeKind, SchemeBinding>> = {
  basic: {
    hooks: ['verifyPassword', 'getPassword', 'hashPassword', ...COMMON_HOOKS],
    missing: (meta) => {
      if (!meta.hooks.has('verifyPassword') && !meta.hooks.has('getPassword')) {
        return `${meta.name} uses @BasicAuth but has neither a @VerifyPassword nor a @GetPassword method; add one`;
      }
      // The authenticator calls @VerifyPassword when there is one, so a @GetPassword beside it
      // (and its @HashPassword) would never run: whatever it checks would silently be skipped.
      if (meta.hooks.has('verifyPassword') && meta.hooks.has('getPassword')) {
        return `${meta.name} has both @VerifyPassword (${String(meta.hooks.get('verifyPassword'))}) and @GetPassword (${String(meta.hooks.get('getPassword'))}); @BasicAuth uses one of them, so the other would never run. Keep @VerifyPassword (check the password yourself, e.g. with checkPasswordHash) or keep @GetPassword (with @HashPassword if stored passwords are hashed)`;
      }
      if (meta.hooks.has('hashPassword') && !meta.hooks.has('getPassword')) {
        return `${meta.name} has @HashPassword without @GetPassword; the hash is compared with what @GetPassword returns, so add it (or hash inside @VerifyPassword)`;
      }
      return undefined;
    },
    create: (config, hook) => {
      const hashPassword = hook<(...args: string[]) => Awaitable<string | null | undefined>>('hashPassword');
      return createBasicAuthenticator(config as BasicConfig, {
        verifyPassword: hook('verifyPassword'),
        getPassword: hook('getPassword'),
        hashPassword: hashPassword && { fn: hashPassword, arity: hashPassword.length },
      });
    },
  },
  token: {
    hooks: ['verifyToken', ...COMMON_HOOKS],
    missing: (meta) => (meta.hooks.has('verifyToken') ? undefined : `${meta.name} uses @TokenAuth but has no @VerifyToken method; add one`),
    create: (config, hook) => createTokenAuthenticator(config as TokenConfig, hook<(token: string, request?: unknown) => unknown>('verifyToken')!),
  },
  jwt: {
    // @VerifyClaims is optional: without it the user is the token's frozen claims.
    hooks: ['verifyClaims', ...COMMON_HOOKS],
    missing: () => undefined,
    warnings: (meta) => dpopStoreWarnings(meta, '@JwtAuth'),
    create: (config, hook, _meta, context) =>
      createJwtAuthenticator(config as JwtConfig, hook<(claims: JwtClaims, request?: HookRequest) => unknown>('verifyClaims'), context),
  },
  clientCert: {
    hooks: ['verifyCertificate', ...COMMON_HOOKS],
    missing: (meta) =>
      meta.hooks.has('verifyCertificate') ? undefined : `${meta.name} uses @ClientCertAuth but has no @VerifyCertificate method; add one returning the user of a certificate (or null)`,
    create: (config, hook, _meta, context) =>
      createClientCertAuthenticator(config as ClientCertConfig, hook<(certificate: X509Certificate, request?: HookRequest) => unknown>('verifyCertificate')!, context),
  },
  introspection: {
    // @VerifyClaims is optional: without it the user is the frozen introspection response.
    hooks: ['verifyClaims', ...COMMON_HOOKS],
    missing: () => undefined,
    warnings: (meta) => dpopStoreWarnings(meta, '@IntrospectionAuth'),
    create: (config, hook, _meta, context) =>
      createIntrospectionAuthenticator(config as IntrospectionConfig, hook<(claims: JwtClaims, request?: HookRequest) => unknown>('verifyClaims'), context),
  },
  digest: {
    hooks: ['getPassword', 'getUsernameByHash', 'generateNonce', 'verifyNonce', 'generateOpaque', 'verifyOpaque', ...COMMON_HOOKS],
    missing: (meta) => {
      if (!meta.hooks.has('getPassword')) return `${meta.name} uses @DigestAuth but has no @GetPassword method; add one returning the password (or HA1 with useHa1Password: true)`;
      if ((meta.config as DigestConfig).userhash && !meta.hooks.has('getUsernameByHash')) {
        return `${meta.name} sets userhash: true but has no @GetUsernameByHash method; add one that maps H(username:realm) back to the username`;
      }
      return missingPair(meta, 'generateNonce', 'verifyNonce') ?? missingPair(meta, 'generateOpaque', 'verifyOpaque');
    },
    warnings: (meta) => {
      const { secret, store } = meta.config as DigestConfig;
      if (secret === undefined) {
        return [`${meta.name} has no Digest secret: a random one is used, so nonces do not survive a restart and are not accepted by other instances; set @DigestAuth({ secret })`];
      }
      // A nonce signed with a shared or lasting secret is valid wherever that secret is, but the
      // memory store only knows the uses seen by this process since it started. (Custom nonces do
      // not depend on the secret; their hook decides where they are valid.) A store given
      // explicitly, even `new MemoryNonceStore()`, is a choice made knowingly: no warning.
      if (store === undefined && !meta.hooks.has('generateNonce')) {
        return [
          `${meta.name} sets a Digest secret but keeps used nonces in memory: every other instance sharing the secret, and this one after a restart, accepts a captured request once more while its nonce lives; use @DigestAuth({ secret, store: new RedisNonceStore(redis) }), or store: new MemoryNonceStore() if this app runs as one process`,
        ];
      }
      return [];
    },
    create: (config, hook, meta, context) => {
      const digestConfig = config as DigestConfig;
      const { secret, store } = defaultDigestRuntimeParts(digestConfig);
      const hooks: DigestHooks = {
        getPassword: hook<DigestHooks['getPassword']>('getPassword')!,
        getUsernameByHash: hook('getUsernameByHash'),
        generateNonce: hook('generateNonce'),
        verifyNonce: hook('verifyNonce'),
        generateOpaque: hook('generateOpaque'),
        verifyOpaque: hook('verifyOpaque'),
      };
      const describeHook = (kind: HookKind) => `${meta.name}.${String(meta.hooks.get(kind))} (${HOOK_DECORATOR[kind]})`;
      return createDigestAuthenticator(digestConfig, hooks, { secret, store, logError: context.logError, misconfigured: context.misconfigured, describeHook });
    },
  },
};

function bindingFor(meta: AuthClassMeta): SchemeBinding {
  const binding = SCHEMES[meta.kind];
  if (!binding) throw new TypeError(`http-auth: ${SCHEME_DECORATOR[meta.kind]} is not available`);
  return binding;
}

/** Start-up check of an auth class: throws a TypeError naming the class and the fix; returns warnings. */
export function validateAuthClass(meta: AuthClassMeta): string[] {
  const binding = bindingFor(meta);
  for (const kind of meta.hooks.keys()) {
    if (!binding.hooks.includes(kind)) {
      throw new TypeError(
        `http-auth: ${meta.name} uses ${SCHEME_DECORATOR[meta.kind]}, which does not use ${HOOK_DECORATOR[kind]} (${String(meta.hooks.get(kind))}); remove it or change the scheme`,
      );
    }
  }
  const problem = binding.missing(meta);
  if (problem) throw new TypeError(`http-auth: ${problem}`);
  return binding.warnings?.(meta) ?? [];
}

type Bound = (...args: unknown[]) => unknown;

/** How one hook is called: where it is (for messages), its kind, and its deadline. */
interface HookCall {
  readonly where: string;
  readonly kind: HookKind;
  readonly timeoutMs: number;
  /** Called once per hook call that ran out of time, before the request is answered. */
  readonly timedOut: (error: HookTimeout) => void;
}

/**
 * The method as the authenticators call it: an `HttpError` it throws keeps its meaning (that
 * answer is sent); anything else becomes a `HookFailure` naming it, and a thenable that has not
 * settled after `timeoutMs` a `HookTimeout`. The success path costs a try/catch, plus one handler
 * and a timer on a returned thenable; a sync result allocates nothing more.
 */
function guarded(method: (...args: unknown[]) => unknown, instance: object, { where, kind, timeoutMs, timedOut }: HookCall): Bound {
  const fail = (error: unknown): never => {
    throw error instanceof HttpError || error instanceof AuthenticationFailure ? error : new HookFailure(where, error);
  };
  const timeout = () => {
    const error = new HookTimeout(where, kind, timeoutMs);
    timedOut(error);
    return error;
  };
  const call: Bound = (...args) => {
    let result: unknown;
    try {
      result = method.apply(instance, args);
    } catch (error) {
      return fail(error);
    }
    // Promise.resolve returns a native promise as it is; a bare thenable gets adopted first.
    return isPromiseLike(result) ? withDeadline(Promise.resolve(result).then(undefined, fail), timeoutMs, where, timeout) : result;
  };
  // @HashPassword's arity check reads the method's length.
  return Object.defineProperty(call, 'length', { value: method.length });
}

/** Binds an instance's hook methods and builds its scheme's authenticator. */
export function bindAuth(meta: AuthClassMeta, instance: object, context: BindContext): BoundAuth {
  const config = meta.config as { throttle?: ThrottleConfig; hookTimeout?: number; proxy?: boolean; keepProxyAuthorization?: boolean };
  // A scheme whose options do not resolve hookTimeout still gets the default deadline.
  const timeoutMs = config.hookTimeout ?? DEFAULT_HOOK_TIMEOUT_MS;
  const timedOut = (error: HookTimeout) => context.logError('hook-timeout', `${error.message} (hookTimeout); answered 503`);
  const hook: HookReader = <F extends Hook>(kind: HookKind) => {
    const key = meta.hooks.get(kind);
    if (key === undefined) return undefined;
    const method = (instance as Record<string | symbol, unknown>)[key];
    if (typeof method !== 'function') {
      throw new TypeError(`http-auth: ${meta.name}.${String(key)} (${HOOK_DECORATOR[kind]}) is not a function on the instance`);
    }
    const where = `${meta.name}.${String(key)} (${HOOK_DECORATOR[kind]})`;
    return guarded(method as (...args: unknown[]) => unknown, instance, { where, kind, timeoutMs, timedOut }) as unknown as F;
  };
  return {
    name: meta.name,
    scheme: meta.kind,
    authenticator: bindingFor(meta).create(meta.config, hook, meta, context),
    getUserRoles: hook<(user: unknown, credentials: Credentials | undefined) => Awaitable<unknown>>('getUserRoles'),
    errorHandler: hook<(status: AuthFailureStatus, action: Action, failure: AuthenticationFailure | undefined) => unknown>('errorHandler'),
    throttle: config.throttle && new Throttle(config.throttle, meta.name, context.logError),
    dropsProxyAuthorization: config.proxy === true && config.keepProxyAuthorization !== true,
  };
}

/** DPoP: nonces under a shared secret are valid on every instance, but proofs seen are recorded in this process only. */
function dpopStoreWarnings(meta: { readonly name: string; readonly config: unknown }, decorator: string): string[] {
  const dpop = (meta.config as { readonly dpop?: DpopConfig }).dpop;
  if (!dpop?.nonce || dpop.nonce.secret === 'process' || dpop.store !== undefined) return [];
  return [
    `${meta.name} shares a DPoP nonce secret but records proofs in memory: every other instance accepts a captured proof once more within its window; use ${decorator}({ dpop, store: new RedisNonceStore(redis) }), or store: new MemoryNonceStore() if this app runs as one process`,
  ];
}
