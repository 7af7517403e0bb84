import { isFieldText, isToken } from './internal/auth-params';

/** Throws the TypeError every option check uses: prefixed, naming where and what to do. */
export function configError(where: string, message: string): never {
  throw new TypeError(`http-auth: ${where}: ${message}`);
}

export function assertPlainOptions(options: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) configError(where, 'options must be an object');
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) configError(where, `unknown option "${key}" (allowed: ${allowed.join(', ')})`);
  }
  return options as Record<string, unknown>;
}

export const DEFAULT_REALM = 'Authentication Required';

/** A realm goes into a header inside a quoted-string: no control characters, nothing beyond ISO-8859-1. */
export function resolveRealm(value: unknown, where: string): string {
  if (value === undefined) return DEFAULT_REALM;
  if (typeof value !== 'string' || !isFieldText(value)) {
    configError(where, 'realm must be a string without control characters or characters above U+00FF');
  }
  return value;
}

/** The `charset` option of Basic and Digest: the only value either RFC defines is UTF-8. */
export function resolveCharset(value: unknown, where: string, rfc: string): 'UTF-8' | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.toUpperCase() !== 'UTF-8') configError(where, `charset can only be "UTF-8" (${rfc})`);
  return 'UTF-8';
}

/** The scheme word of a challenge is an RFC 9110 token. */
export function resolveScheme(value: unknown, fallback: string, where: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !isToken(value)) configError(where, `scheme must be a single token such as "${fallback}"`);
  return value;
}

/**
 * The `proxy` option of every scheme: credentials come from `Proxy-Authorization` and refusals are
 * 407 with `Proxy-Authenticate` (RFC 9110 §11.7), for an app that is itself a forward proxy.
 */
export function resolveProxy(value: unknown, where: string): boolean {
  if (value !== undefined && typeof value !== 'boolean') configError(where, 'proxy must be true or false');
  return value === true;
}

/** `openApiName`: the key of the class's security scheme in an OpenAPI document (OpenAPI 3.1 component name). */
export function resolveOpenApiName(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]+$/.test(value)) configError(where, 'openApiName must be letters, digits, ".", "_" or "-", e.g. "userAuth"');
  return value;
}

/** The longest `setTimeout` Node honours; a longer delay fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** `hookTimeout`: how long any hook of the class may take before the request is answered 503. */
export function resolveHookTimeout(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_HOOK_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    configError(where, `hookTimeout must be a positive number of milliseconds (at most ${MAX_TIMER_MS}), e.g. 10000`);
  }
  return value;
}

/**
 * `keepProxyAuthorization`: leave `Proxy-Authorization` on the request after a successful proxy
 * authentication. Only a proxy class reads that header, so the option means nothing without `proxy`.
 */
export function resolveKeepProxyAuthorization(value: unknown, proxy: boolean, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') configError(where, 'keepProxyAuthorization must be true or false');
  if (value && !proxy) configError(where, 'keepProxyAuthorization applies to proxy authentication; add proxy: true (or remove keepProxyAuthorization)');
  return value;
}
