import { createPrivateKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { assertPlainOptions, configError, resolveHookTimeout, resolveOpenApiName, resolveRealm } from '../config';
import { resolvePubSubRedis, type PubSubRedis } from '../internal/redis-pubsub';
import { resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from '../internal/throttle';
import { resolveSigningKey } from '../issuer/signing-key';
import type { IntrospectionCacheTiming, IntrospectionClientAuth } from '../keys/introspection-client';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import { strings, url } from './jwt-options';
import { resolveDpopOptions, type DpopConfig, type JwtDpopOptions } from './jwt-dpop-options';
import { resolveMtlsOptions, type MtlsBindingOptions, type MtlsBound } from './jwt-mtls';
import type { ForwardedCertificateConfig } from './certificate-source';

/**
 * The `cache` option of `@IntrospectionAuth`: remember the endpoint's answers. An active token's
 * answer is kept for `min(ttl, exp − now)` — never past `exp` — a refusal for `negativeTtl`, an
 * outage never.
 * @example
 * ```ts
 * const cache: IntrospectionCacheOptions = { ttl: 60, max: 10_000, redis: new Redis(process.env.REDIS_URL!) };
 * ```
 */
export interface IntrospectionCacheOptions {
  /** Longest, in seconds, an active token's answer is used. */
  ttl: number;
  /** Most answers remembered at once; the least recently used go first. @default 10000 */
  max?: number;
  /** Seconds a refusal (`active: false`, a wrong `aud`, …) is remembered. @default 5 */
  negativeTtl?: number;
  /**
   * A Redis client (ioredis, or node-redis v4/v5) shared by every instance: `auth.clearCache(token)`
   * on one instance then clears the others too, through Redis pub/sub (only the token's SHA-256
   * is published).
   */
  redis?: object;
  /** Prefix of the channel and counter in Redis. @default "httpauth:cache:<class name>" */
  keyPrefix?: string;
}

/**
 * Options of `@IntrospectionAuth(...)`: opaque access tokens, checked at the authorization
 * server's introspection endpoint (RFC 7662) on every request the cache cannot answer.
 * @example
 * ```ts
 * @IntrospectionAuth({
 *   endpoint: 'https://id.example.com/realms/main/protocol/openid-connect/token/introspect',
 *   clientId: 'orders-api',
 *   clientSecret: process.env.INTROSPECTION_SECRET!,
 *   issuer: 'https://id.example.com/realms/main',
 *   audience: 'orders-api',
 *   cache: { ttl: 60, max: 10_000 },
 * })
 * class ApiAuth {}
 * ```
 */
export interface IntrospectionAuthOptions extends JwtDpopOptions, MtlsBindingOptions {
  /** The introspection endpoint: https (http only on loopback). */
  endpoint: string;
  /** This resource server's client id at the authorization server. */
  clientId: string;
  /** Its client secret (`client_secret_basic` or `client_secret_post`). */
  clientSecret?: string;
  /**
   * How the client authenticates (RFC 6749 §2.3.1, RFC 7523).
   * @default 'client_secret_basic' (with privateKey: 'private_key_jwt')
   */
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** `private_key_jwt`: the client's private key (a private JWK or `KeyObject`); its `kid` is sent. */
  privateKey?: KeyObject | JsonWebKey;
  /** `private_key_jwt`: the assertion's `alg`. @default from the key: RS256, ES256/384/512 by curve, EdDSA */
  assertionAlg?: string;
  /** `private_key_jwt`: the assertion's `aud`. @default the issuer when `issuer` is one URL, else the endpoint */
  assertionAudience?: string;
  /** Accepted `iss` values of the response, compared exactly; when set, a response without `iss` is refused. */
  issuer?: string | readonly string[];
  /** Accepted audiences: the response's `aud` must contain one; when set, a response without `aud` is refused. */
  audience?: string | readonly string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. @default 30 */
  clockTolerance?: number;
  /** Deadline of each introspection request, headers and body, in milliseconds; past it: 503. @default 1000 */
  timeout?: number;
  /** Largest answer read, in bytes; a larger one counts as an outage (503). @default 65536 */
  maxBytes?: number;
  /** Remember answers (see {@link IntrospectionCacheOptions}); without it every request asks the endpoint. */
  cache?: IntrospectionCacheOptions;
  /** The realm named in the challenge. @default "Authentication Required" */
  realm?: string;
  /** The name of this class's security scheme in OpenAPI documents. @default the class name */
  openApiName?: string;
  /** This API's resource identifier (RFC 9728): turns on protected-resource metadata and `resource_metadata` in challenges. */
  resource?: string;
  /** `resource_name` of the metadata. */
  resourceName?: string;
  /** `authorization_servers` of the metadata. @default the issuers (required with resource when issuer is not set) */
  authorizationServers?: readonly string[];
  /** Block a client address after too many rejected tokens (429 + Retry-After). */
  throttle?: ThrottleOptions;
  /** Milliseconds `@VerifyClaims`, `@GetUserRoles` or `@ErrorHandler` may take to settle; longer answers 503. @default 10000 */
  hookTimeout?: number;
}

export interface IntrospectionCacheConfig extends IntrospectionCacheTiming {
  readonly redis?: PubSubRedis;
  readonly keyPrefix?: string;
}

export interface IntrospectionConfig {
  readonly scheme: 'Bearer';
  readonly endpoint: string;
  readonly auth: IntrospectionClientAuth;
  readonly issuers?: readonly string[];
  readonly audiences?: readonly string[];
  /** Seconds. */
  readonly clockTolerance: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly cache?: IntrospectionCacheConfig;
  readonly realm: string;
  readonly openApiName?: string;
  readonly resource?: string;
  readonly resourceName?: string;
  readonly authorizationServers?: readonly string[];
  readonly throttle?: ThrottleConfig;
  /** Never a proxy: `Authorization` only. */
  readonly proxy: false;
  readonly hookTimeout: number;
  /** DPoP-bound tokens (`cnf.jkt`, `token_type: DPoP`): the proof checks of `@JwtAuth`. */
  readonly dpop?: DpopConfig;
  readonly mtlsBound?: MtlsBound;
  readonly mtlsFrom?: ForwardedCertificateConfig;
}

const OPTIONS = [
  'endpoint', 'clientId', 'clientSecret', 'clientAuth', 'privateKey', 'assertionAlg', 'assertionAudience', 'issuer', 'audience', 'clockTolerance', 'timeout',
  'maxBytes', 'cache', 'realm', 'openApiName', 'resource', 'resourceName', 'authorizationServers', 'throttle', 'hookTimeout',
  'dpop', 'dpopAlgorithms', 'dpopWindow', 'dpopNonce', 'store', 'mtlsBound', 'mtlsFrom',
];
const CACHE_OPTIONS = ['ttl', 'max', 'negativeTtl', 'redis', 'keyPrefix'];
const CLIENT_AUTH = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** Validates `@IntrospectionAuth` options once, at decoration, into a frozen configuration; the caller's object is not touched. */
export function resolveIntrospectionOptions(options: IntrospectionAuthOptions | undefined, where: string): IntrospectionConfig {
  if (options === undefined) configError(where, 'options are required: { endpoint, clientId, clientSecret } (or clientAuth: "private_key_jwt" with privateKey)');
  const o = assertPlainOptions(options, OPTIONS, where);
  const endpoint = url(o.endpoint, 'endpoint', where);
  const issuers = o.issuer === undefined ? undefined : strings(o.issuer, 'issuer', where, 'issuer must be a string or a non-empty array of strings, e.g. "https://id.example.com/realms/main"');
  const audiences = o.audience === undefined ? undefined : strings(o.audience, 'audience', where, 'audience must be a string or a non-empty array of strings, e.g. "orders-api"');
  const auth = resolveClientAuth(o, endpoint, issuers, where);
  const resource = o.resource === undefined ? undefined : url(o.resource, 'resource', where);
  if (o.resourceName !== undefined && (typeof o.resourceName !== 'string' || o.resourceName.trim() === '' || /[\x00-\x1f\x7f]/.test(o.resourceName))) {
    configError(where, 'resourceName must be a non-empty string without control characters');
  }
  let authorizationServers: readonly string[] | undefined;
  if (o.authorizationServers !== undefined) {
    if (!Array.isArray(o.authorizationServers) || o.authorizationServers.length === 0) configError(where, 'authorizationServers must be a non-empty array of issuer URLs');
    authorizationServers = Object.freeze(o.authorizationServers.map((item, index) => url(item, `authorizationServers[${index}]`, where)));
  }
  const metadataOnly = (['resourceName', 'authorizationServers'] as const).find((name) => o[name] !== undefined);
  if (metadataOnly && resource === undefined) configError(where, `${metadataOnly} is part of the protected-resource metadata (RFC 9728); add resource (this API's URL)`);
  if (resource !== undefined && !authorizationServers && !issuers) configError(where, 'resource publishes the authorization servers (RFC 9728); add issuer or authorizationServers');
  const dpop = resolveDpopOptions(o, { resource, proxy: false }, where);
  const mtls = resolveMtlsOptions(o, where);
  return Object.freeze({
    scheme: 'Bearer' as const,
    endpoint,
    auth,
    ...(issuers ? { issuers } : {}),
    ...(audiences ? { audiences } : {}),
    clockTolerance: nonNegative(o.clockTolerance, 30, 'clockTolerance', 'seconds', where),
    timeoutMs: positive(o.timeout, 1000, 'timeout', 'milliseconds', where),
    maxBytes: positive(o.maxBytes, 65_536, 'maxBytes', 'bytes', where),
    ...(o.cache !== undefined ? { cache: resolveCache(o.cache, where) } : {}),
    realm: resolveRealm(o.realm, where),
    openApiName: resolveOpenApiName(o.openApiName, where),
    ...(resource !== undefined ? { resource } : {}),
    ...(o.resourceName !== undefined ? { resourceName: o.resourceName as string } : {}),
    ...(authorizationServers ? { authorizationServers } : {}),
    throttle: resolveThrottleOption(o.throttle, where),
    proxy: false as const,
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
    ...(dpop ? { dpop } : {}),
    ...mtls,
  });
}

function resolveClientAuth(o: Record<string, unknown>, endpoint: string, issuers: readonly string[] | undefined, where: string): IntrospectionClientAuth {
  if (typeof o.clientId !== 'string' || o.clientId === '') configError(where, 'clientId is required: this API\'s client id at the authorization server, e.g. "orders-api"');
  const clientId = o.clientId;
  if (o.clientAuth !== undefined && !CLIENT_AUTH.includes(o.clientAuth as string)) configError(where, `clientAuth must be one of ${CLIENT_AUTH.map((m) => `"${m}"`).join(', ')}`);
  const method = (o.clientAuth as IntrospectionClientAuth['method'] | undefined) ?? (o.privateKey !== undefined ? 'private_key_jwt' : 'client_secret_basic');
  const assertionOnly = (['privateKey', 'assertionAlg', 'assertionAudience'] as const).find((name) => o[name] !== undefined);
  if (method !== 'private_key_jwt') {
    if (typeof o.clientSecret !== 'string' || o.clientSecret === '') configError(where, `clientSecret is required with ${method}: the client secret the authorization server gave this API (or clientAuth: "private_key_jwt" with privateKey)`);
    if (assertionOnly) configError(where, `${assertionOnly} belongs to clientAuth: "private_key_jwt"; remove it or set clientAuth`);
    return Object.freeze({ method, clientId, clientSecret: o.clientSecret });
  }
  if (o.clientSecret !== undefined) configError(where, 'clientSecret and clientAuth: "private_key_jwt" are alternatives; remove clientSecret');
  if (o.privateKey === undefined) configError(where, 'clientAuth: "private_key_jwt" needs privateKey (a private JWK or KeyObject whose public key the authorization server has)');
  const alg = o.assertionAlg ?? defaultAlg(o.privateKey, where);
  const key = resolveSigningKey({ privateKey: o.privateKey, alg }, where);
  const audience = o.assertionAudience === undefined ? (issuers?.length === 1 ? issuers[0] : endpoint) : o.assertionAudience;
  if (typeof audience !== 'string' || audience === '') configError(where, 'assertionAudience must be a non-empty string: the authorization server\'s issuer or the endpoint');
  // A kid the JWK names is sent; a thumbprint made up here would match nothing the server has.
  const jwkKid = o.privateKey instanceof KeyObject ? undefined : (o.privateKey as { kid?: unknown }).kid;
  return Object.freeze({ method, clientId, key: key.key, alg: key.alg as JwsAlgorithm, ...(typeof jwkKid === 'string' && jwkKid !== '' ? { kid: jwkKid } : {}), audience });
}

/** The algorithm a private key signs with when `assertionAlg` is not given. */
function defaultAlg(value: unknown, where: string): string {
  let key: KeyObject;
  try {
    key = value instanceof KeyObject ? value : createPrivateKey({ key: value as JsonWebKey, format: 'jwk' });
  } catch {
    return configError(where, 'privateKey is not a valid private JWK');
  }
  const jwkAlg = value instanceof KeyObject ? undefined : (value as { alg?: unknown }).alg;
  if (typeof jwkAlg === 'string') return jwkAlg;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
    }
    case 'ed25519':
    case 'ed448':
      return 'EdDSA';
    default:
      return configError(where, 'privateKey must be an RSA, EC or Ed25519 private key; set assertionAlg for anything else');
  }
}

function resolveCache(value: unknown, where: string): IntrospectionCacheConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) configError(where, 'cache must be { ttl: seconds, max?: entries, negativeTtl?: seconds, redis?: client }');
  const { ttl, max = 10_000, negativeTtl = 5, redis, keyPrefix, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) configError(where, `unknown cache option "${Object.keys(rest)[0]}" (allowed: ${CACHE_OPTIONS.join(', ')})`);
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) configError(where, 'cache.ttl must be a positive number of seconds');
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) configError(where, 'cache.max must be a positive integer');
  if (typeof negativeTtl !== 'number' || !(negativeTtl >= 0) || !Number.isFinite(negativeTtl)) configError(where, 'cache.negativeTtl must be a non-negative number of seconds (0: refusals are not remembered)');
  if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || keyPrefix === '')) configError(where, 'cache.keyPrefix must be a non-empty string');
  if (keyPrefix !== undefined && redis === undefined) configError(where, 'cache.keyPrefix names keys in Redis; add cache.redis (or remove keyPrefix)');
  return Object.freeze({
    ttlMs: Math.round(ttl * 1000),
    max,
    negativeTtlMs: Math.round(negativeTtl * 1000),
    ...(redis !== undefined ? { redis: resolvePubSubRedis(redis, where) } : {}),
    ...(keyPrefix !== undefined ? { keyPrefix: keyPrefix as string } : {}),
  });
}

function positive(value: unknown, fallback: number, name: string, unit: string, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) configError(where, `${name} must be a positive number of ${unit}`);
  return value;
}

function nonNegative(value: unknown, fallback: number, name: string, unit: string, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) configError(where, `${name} must be a non-negative number of ${unit}`);
  return value;
}
