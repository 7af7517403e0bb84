/**
 * What the auth-class decorators record. Keyed by class identity in a module-private WeakMap:
 * write-once data that holds no app state, so it needs no reset and never leaks.
 */

/**
 * The scheme of an auth class, as audit events name it (`AuthEvent.kind`): which decorator made it.
 * @example const fromAccessToken = (event: AuthEvent) => event.kind === 'jwt';
 */
export type SchemeKind = 'basic' | 'digest' | 'token' | 'jwt' | 'clientCert' | 'introspection';

export type HookKind =
  | 'verifyPassword'
  | 'getPassword'
  | 'hashPassword'
  | 'verifyToken'
  | 'getUserRoles'
  | 'errorHandler'
  | 'generateNonce'
  | 'verifyNonce'
  | 'generateOpaque'
  | 'verifyOpaque'
  | 'getUsernameByHash'
  | 'verifyClaims'
  | 'verifyCertificate';

/** The decorator each hook kind is written with, for messages. */
export const HOOK_DECORATOR: Readonly<Record<HookKind, string>> = {
  verifyPassword: '@VerifyPassword',
  getPassword: '@GetPassword',
  hashPassword: '@HashPassword',
  verifyToken: '@VerifyToken',
  getUserRoles: '@GetUserRoles',
  errorHandler: '@ErrorHandler',
  generateNonce: '@GenerateNonce',
  verifyNonce: '@VerifyNonce',
  generateOpaque: '@GenerateOpaque',
  verifyOpaque: '@VerifyOpaque',
  getUsernameByHash: '@GetUsernameByHash',
  verifyClaims: '@VerifyClaims',
  verifyCertificate: '@VerifyCertificate',
};

export const SCHEME_DECORATOR: Readonly<Record<SchemeKind, string>> = {
  basic: '@BasicAuth',
  digest: '@DigestAuth',
  token: '@TokenAuth',
  jwt: '@JwtAuth',
  clientCert: '@ClientCertAuth',
  introspection: '@IntrospectionAuth',
};

interface ClassRecord {
  scheme?: { kind: SchemeKind; config: unknown };
  hooks: Map<HookKind, string | symbol>;
}

/** An auth class as createAuthCheckers sees it: its scheme and its hooks, inherited ones included. */
export interface AuthClassMeta {
  readonly name: string;
  readonly kind: SchemeKind;
  readonly config: unknown;
  readonly hooks: ReadonlyMap<HookKind, string | symbol>;
}

const records = new WeakMap<Function, ClassRecord>();

function recordFor(ctor: Function): ClassRecord {
  let record = records.get(ctor);
  if (!record) {
    record = { hooks: new Map() };
    records.set(ctor, record);
  }
  return record;
}

export function recordHook(ctor: Function, kind: HookKind, key: string | symbol): void {
  const hooks = recordFor(ctor).hooks;
  const existing = hooks.get(kind);
  if (existing !== undefined) {
    throw new TypeError(
      `http-auth: ${HOOK_DECORATOR[kind]} is defined twice on ${ctor.name} (${String(existing)}, ${String(key)}); keep one`,
    );
  }
  hooks.set(kind, key);
}

export function recordScheme(ctor: Function, kind: SchemeKind, config: unknown): void {
  const record = recordFor(ctor);
  if (record.scheme) {
    throw new TypeError(
      `http-auth: ${ctor.name} is decorated with both ${SCHEME_DECORATOR[record.scheme.kind]} and ${SCHEME_DECORATOR[kind]}; an auth class has one scheme (use @LoginRequired({ auth: [A, B] }) to offer several)`,
    );
  }
  record.scheme = { kind, config };
}

/**
 * Reads an auth class, walking up its prototype chain so that `class AdminAuth extends UserAuth`
 * inherits scheme and hooks; a subclass's hook of the same kind replaces the parent's.
 * `undefined` when no class in the chain carries a scheme decorator.
 */
export function readAuthClass(ctor: Function): AuthClassMeta | undefined {
  const chain: ClassRecord[] = [];
  for (let c: unknown = ctor; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const record = records.get(c as Function);
    if (record) chain.push(record);
  }
  const scheme = chain.find((r) => r.scheme)?.scheme;
  if (!scheme) return undefined;
  const hooks = new Map<HookKind, string | symbol>();
  for (const record of chain.reverse()) for (const [kind, key] of record.hooks) hooks.set(kind, key);
  return { name: ctor.name, kind: scheme.kind, config: scheme.config, hooks };
}

export function isAuthClass(value: unknown): value is Function {
  return typeof value === 'function' && readAuthClass(value) !== undefined;
}
