import type { JsonWebKey, KeyObject } from 'node:crypto';
import { assertPlainOptions, configError, resolveHookTimeout, resolveKeepProxyAuthorization, resolveOpenApiName, resolveProxy, resolveRealm } from '../config';
import { resolveCacheOption, type CacheConfig, type CacheOptions } from '../internal/credential-cache';
import { resolveThrottleOption, type ThrottleConfig, type ThrottleOptions } from '../internal/throttle';
import type { JwtKeysConfig } from '../keys/key-source';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import { normalizeTyp } from '../schemes/jwt/header';
import type { JwtPolicy } from '../schemes/jwt/verify';
import { fetchableUrlProblem } from '../keys/urls';
import { resolveJwtAlgorithms, resolveJwtKeys } from './jwt-keys-options';
import { resolveCookie, type TokenCookieConfig, type TokenCookieOptions } from './token-reader';
import { issuerLinkOf, type IssuerLink } from '../issuer/pairing';
import type { TokenIssuer } from '../issuer/types';
import { resolveMtlsOptions, type MtlsBindingOptions, type MtlsBound } from './jwt-mtls';
import type { ForwardedCertificateConfig } from './certificate-source';
// DPoP (RFC 9449): its options and their resolution live in jwt-dpop-options.ts.
import { resolveDpopOptions, type DpopConfig, type JwtDpopOptions } from './jwt-dpop-options';

/**
 * The `jwks` option: how remote keys are fetched and kept (see docs/jwt.md, "Keys that rotate").
 * @example const jwks: JwksOptions = { timeout: 1000, unknownKidInterval: 5, staleIfError: 3600 };
 */
export interface JwksOptions {
  /** Deadline of each fetch, in milliseconds. @default 1000 */
  timeout?: number;
  /** Seconds between two fetches an unknown `kid` (or a failed fetch) may cause. @default 5 */
  unknownKidInterval?: number;
  /** Seconds a key set is used before it is refreshed (`Cache-Control: max-age` may shorten it, down to 60). @default 600 */
  maxAge?: number;
  /** Seconds known keys keep verifying after `maxAge` while the endpoint fails. @default 3600 */
  staleIfError?: number;
  /** Largest response accepted, in bytes. @default 524288 */
  maxBytes?: number;
}

/**
 * Public keys given locally: a JWK Set, a JWK, a `KeyObject`, or an array of JWKs and `KeyObject`s.
 * @example const keys: JwtKeysInput = createPublicKey(readFileSync('issuer-es256.pem'));
 */
export type JwtKeysInput =
  | KeyObject
  | JsonWebKey
  | {
      /** The keys of a JWK Set (RFC 7517 §5). */
      readonly keys: readonly JsonWebKey[];
    }
  | readonly (KeyObject | JsonWebKey)[];

/**
 * Options of `@JwtAuth(...)`: JWT access tokens (RFC 9068) from an OAuth 2.0 authorization server.
 * `issuer`, `audience` and exactly one of `jwksUri`, `discovery`, `keys` or `secret` are required.
 * @example
 * ```ts
 * @JwtAuth({ issuer: 'https://id.example.com/realms/main', audience: 'https://api.example.com', discovery: true })
 * class ApiAuth {}
 * ```
 */
export interface JwtAuthOptions extends JwtDpopOptions, MtlsBindingOptions {
  /** The accepted `iss` values, compared exactly. A token of another issuer is refused without any fetch. Not with `issuedBy`. */
  issuer?: string | readonly string[];
  /** The accepted audiences: the token's `aud` (string or array) must contain one of them. Not with `issuedBy`. */
  audience?: string | readonly string[];
  /**
   * The tokens of this app's own issuer (`createTokenIssuer`): its issuer, audience and public
   * key (or secret) are taken from it — local keys, no network — and a token it revoked
   * (`revoke`, `revokeAll`, a reused refresh token) is refused before `@VerifyClaims` runs.
   * Instead of `issuer`, `audience` and the key options.
   */
  issuedBy?: TokenIssuer;
  /**
   * `'double-submit'`: with `cookie`, a request of any method but GET, HEAD and OPTIONS whose
   * token comes from the cookie is accepted only with an `X-CSRF-Token` header equal to the
   * token's `csrf` claim (what `tokens.setCookies` puts in the readable CSRF cookie); else 401
   * `error_description="CSRF token missing or invalid"`. A token sent in `Authorization` needs no
   * such header. It replaces the cookie's same-origin rule for those methods.
   */
  csrf?: 'double-submit';
  /** The issuer's JWK Set URL; with several issuers, a record `{ [issuer]: url }` (or one URL they share). */
  jwksUri?: string | Readonly<Record<string, string>>;
  /** Find each issuer's `jwks_uri` in its `/.well-known/openid-configuration` (or RFC 8414 metadata), on first use. */
  discovery?: true;
  /** Local public keys; nothing is fetched. */
  keys?: JwtKeysInput;
  /** A shared HMAC secret (HS256/384/512), at least 32 bytes. */
  secret?: string | Uint8Array | KeyObject;
  /** Accepted `alg` values, compared exactly. @default ['RS256', 'PS256', 'ES256', 'EdDSA'] (with `secret`: ['HS256']) */
  algorithms?: readonly string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. @default 30 */
  clockTolerance?: number;
  /** Refuse tokens issued (`iat`) more than this many seconds ago; `iat` is then required. */
  maxTokenAge?: number;
  /**
   * Accepted `typ` header values, compared as media types (case-insensitive, `application/`
   * optional). `false` skips the check (then only `aud` tells access tokens from ID tokens).
   * @default ['at+jwt', 'application/at+jwt']
   */
  typ?: readonly string[] | false;
  /** The claim holding the scopes. @default 'scope' when present, else 'scp' */
  scopeClaim?: 'scope' | 'scp';
  /** How remote keys are fetched and kept (with `jwksUri` or `discovery`). */
  jwks?: JwksOptions;
  /** The realm named in the challenge. @default "Authentication Required" */
  realm?: string;
  /** The name of this class's security scheme in OpenAPI documents. @default the class name */
  openApiName?: string;
  /** OpenAPI `bearerFormat`. @default 'JWT' */
  bearerFormat?: string;
  /** Also accept the token from this query parameter (RFC 6750 §2.3), as on `@TokenAuth`. */
  query?: string;
  /**
   * Also accept the token from this cookie, as on `@TokenAuth`: its name, or `{ name,
   * allowedOrigins?, crossSite? }`; refused (403) for unsafe methods and Socket.IO handshakes
   * from another origin.
   */
  cookie?: string | TokenCookieOptions;
  /** Block a client address after too many rejected tokens (429 + Retry-After). */
  throttle?: ThrottleOptions;
  /** Read `Proxy-Authorization` and answer 407. @default false */
  proxy?: boolean;
  /** With `proxy`: leave `Proxy-Authorization` on the request for the handler. @default false */
  keepProxyAuthorization?: boolean;
  /** Milliseconds `@VerifyClaims`, `@GetUserRoles` or `@ErrorHandler` may take to settle; longer answers 503. @default 10000 */
  hookTimeout?: number;
  /** This API's resource identifier (RFC 9728): turns on protected-resource metadata. */
  resource?: string;
  /** `resource_name` of the metadata. */
  resourceName?: string;
  /** `authorization_servers` of the metadata. @default the issuers */
  authorizationServers?: readonly string[];
  /** Remember verified tokens (never past their `exp`). */
  cache?: CacheOptions;
}

export interface JwtConfig extends JwtPolicy {
  /** With `issuedBy`: where revocation is checked. */
  readonly issuedBy?: IssuerLink;
  readonly csrf?: 'double-submit';
  /** The challenge's scheme word: always `Bearer` (RFC 6750). */
  readonly scheme: 'Bearer';
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly keys: JwtKeysConfig;
  readonly algorithms: readonly JwsAlgorithm[];
  /** Seconds. */
  readonly clockTolerance: number;
  /** Seconds. */
  readonly maxTokenAge?: number;
  /** Normalised (`normalizeTyp`), or `false`: not checked. */
  readonly typ: readonly string[] | false;
  readonly scopeClaim?: 'scope' | 'scp';
  readonly realm: string;
  readonly openApiName?: string;
  readonly bearerFormat: string;
  readonly query?: string;
  readonly cookie?: TokenCookieConfig;
  readonly throttle?: ThrottleConfig;
  readonly proxy: boolean;
  readonly keepProxyAuthorization: boolean;
  readonly hookTimeout: number;
  readonly resource?: string;
  readonly resourceName?: string;
  readonly authorizationServers?: readonly string[];
  readonly cache?: CacheConfig;
  readonly mtlsBound?: MtlsBound;
  readonly mtlsFrom?: ForwardedCertificateConfig;
  /** DPoP (RFC 9449), when `dpop` is set. */
  readonly dpop?: DpopConfig;
}

const OPTIONS = [
  'issuer', 'audience', 'jwksUri', 'discovery', 'keys', 'secret', 'algorithms', 'clockTolerance', 'maxTokenAge', 'typ', 'scopeClaim', 'jwks',
  'realm', 'openApiName', 'bearerFormat', 'query', 'cookie', 'throttle', 'proxy', 'keepProxyAuthorization', 'hookTimeout', 'resource', 'resourceName',
  'authorizationServers', 'cache', 'issuedBy', 'csrf', 'mtlsBound', 'mtlsFrom',
  // DPoP (jwt-dpop-options.ts)
  'dpop', 'dpopAlgorithms', 'dpopWindow', 'dpopNonce', 'store',
];

/** What `issuedBy` stands for; given with it, these would say something else. */
const ISSUER_OWNED = ['issuer', 'audience', 'jwksUri', 'discovery', 'keys', 'secret', 'algorithms', 'jwks'] as const;

export const DEFAULT_TYP: readonly string[] = Object.freeze(['at+jwt', 'application/at+jwt']);

/** Validates `@JwtAuth` options once, at decoration, into a frozen configuration; the caller's object is not touched. */
export function resolveJwtOptions(options: JwtAuthOptions | undefined, where: string): JwtConfig {
  if (options === undefined) configError(where, 'options are required: { issuer, audience } and one of jwksUri, discovery, keys or secret');
  const o = assertPlainOptions(options, OPTIONS, where);
  const issuedBy = o.issuedBy === undefined ? undefined : resolveIssuedBy(o, where);
  const issuers = issuedBy ? [issuedBy.issuer] : strings(o.issuer, 'issuer', where, 'issuer must be a string or a non-empty array of strings, e.g. "https://id.example.com/realms/main"');
  const audiences = issuedBy ? [issuedBy.audience] : strings(o.audience, 'audience', where, 'audience must be a string or a non-empty array of strings, e.g. "https://api.example.com"');
  const keys = issuedBy ? issuedBy.keys : resolveJwtKeys(o, issuers, where);
  const algorithms = issuedBy ? issuedBy.algorithms : resolveJwtAlgorithms(o.algorithms, keys, where);
  const clockTolerance = seconds(o.clockTolerance, 30, 'clockTolerance', where, true);
  const maxTokenAge = o.maxTokenAge === undefined ? undefined : seconds(o.maxTokenAge, 0, 'maxTokenAge', where, false);
  if (o.scopeClaim !== undefined && o.scopeClaim !== 'scope' && o.scopeClaim !== 'scp') configError(where, 'scopeClaim must be "scope" or "scp"');
  const proxy = resolveProxy(o.proxy, where);
  const { query, cookie } = tokenSources(o, proxy, where);
  const resource = o.resource === undefined ? undefined : url(o.resource, 'resource', where);
  if (o.resourceName !== undefined && (typeof o.resourceName !== 'string' || o.resourceName.trim() === '' || /[\x00-\x1f\x7f]/.test(o.resourceName))) {
    configError(where, 'resourceName must be a non-empty string without control characters');
  }
  const authorizationServers = o.authorizationServers === undefined ? undefined : urls(o.authorizationServers, 'authorizationServers', where);
  const metadataOnly = (['resourceName', 'authorizationServers'] as const).find((name) => o[name] !== undefined);
  if (metadataOnly && resource === undefined) configError(where, `${metadataOnly} is part of the protected-resource metadata (RFC 9728); add resource (this API's URL)`);
  if (o.bearerFormat !== undefined && (typeof o.bearerFormat !== 'string' || o.bearerFormat === '')) configError(where, 'bearerFormat must be a non-empty string such as "JWT"');
  if (o.csrf !== undefined) {
    if (o.csrf !== 'double-submit') configError(where, "csrf must be 'double-submit'");
    if (cookie === undefined) configError(where, "csrf: 'double-submit' protects a token read from a cookie; add cookie (e.g. cookie: 'access_token')");
  }
  const dpop = resolveDpopOptions(o, { resource, proxy, query, cookie }, where);
  return Object.freeze({
    scheme: 'Bearer' as const,
    ...(issuedBy ? { issuedBy } : {}),
    ...(o.csrf !== undefined ? { csrf: 'double-submit' as const } : {}),
    issuers,
    audiences,
    keys,
    algorithms,
    clockTolerance,
    ...(maxTokenAge !== undefined ? { maxTokenAge } : {}),
    typ: resolveTyp(o.typ, where),
    ...(o.scopeClaim !== undefined ? { scopeClaim: o.scopeClaim as 'scope' | 'scp' } : {}),
    realm: resolveRealm(o.realm, where),
    openApiName: resolveOpenApiName(o.openApiName, where),
    bearerFormat: (o.bearerFormat as string | undefined) ?? 'JWT',
    ...(query !== undefined ? { query } : {}),
    ...(cookie !== undefined ? { cookie } : {}),
    throttle: resolveThrottleOption(o.throttle, where),
    proxy,
    keepProxyAuthorization: resolveKeepProxyAuthorization(o.keepProxyAuthorization, proxy, where),
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
    ...(resource !== undefined ? { resource } : {}),
    ...(o.resourceName !== undefined ? { resourceName: o.resourceName as string } : {}),
    ...(authorizationServers !== undefined ? { authorizationServers } : {}),
    cache: resolveCacheOption(o.cache, where),
    ...resolveMtlsOptions(o, where),
    ...(dpop !== undefined ? { dpop } : {}),
  });
}

/** `issuedBy`: the link of a token issuer, which stands for the issuer, audience and key options. */
function resolveIssuedBy(o: Record<string, unknown>, where: string): IssuerLink {
  const link = issuerLinkOf(o.issuedBy);
  if (!link) configError(where, 'issuedBy must be a token issuer made by createTokenIssuer(...)');
  const clash = ISSUER_OWNED.find((name) => o[name] !== undefined);
  if (clash) configError(where, `issuedBy gives the issuer, audience and keys; remove ${clash}`);
  return link;
}

/** A string or a non-empty array of non-empty strings, deduplicated and frozen. */
export function strings(value: unknown, name: string, where: string, message: string): readonly string[] {
  if (value === undefined) configError(where, `${name} is required: ${message}`);
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) configError(where, message);
  return Object.freeze([...new Set(list as string[])]);
}

function seconds(value: unknown, fallback: number, name: string, where: string, zeroAllowed: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
    configError(where, `${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of seconds`);
  }
  return value;
}

// RFC 6838 §4.2 restricted-name characters, with an optional "type/" part.
const MEDIA_TYPE = /^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/)?[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

function resolveTyp(value: unknown, where: string): readonly string[] | false {
  if (value === false) return false;
  if (value === undefined) return normalizedTyps(DEFAULT_TYP);
  if (!Array.isArray(value) || value.length === 0 || !value.every((typ) => typeof typ === 'string' && MEDIA_TYPE.test(typ))) {
    configError(where, 'typ must be a non-empty array of media types such as ["at+jwt", "application/at+jwt"] (or false to skip the check)');
  }
  return normalizedTyps(value as string[]);
}

const normalizedTyps = (values: readonly string[]): readonly string[] => Object.freeze([...new Set(values.map(normalizeTyp))]);

function tokenSources(o: Record<string, unknown>, proxy: boolean, where: string): { query?: string; cookie?: TokenCookieConfig } {
  if (o.query !== undefined && (typeof o.query !== 'string' || o.query === '')) configError(where, 'query must name a query parameter, e.g. "access_token"');
  const cookie = o.cookie === undefined ? undefined : resolveCookie(o.cookie, where);
  // As on @TokenAuth: a proxy's credentials are hop-by-hop, in Proxy-Authorization only.
  const other = proxy && (['query', 'cookie'] as const).find((name) => o[name] !== undefined);
  if (other) configError(where, `proxy reads the token from Proxy-Authorization only; remove "${other}" (or proxy)`);
  return { query: o.query as string | undefined, cookie };
}

/** A URL that keys or metadata are fetched from or point to: https, or http on loopback. */
export function url(value: unknown, name: string, where: string): string {
  const problem = fetchableUrlProblem(value);
  if (problem) configError(where, `${name} ${problem}`);
  return value as string;
}

function urls(value: unknown, name: string, where: string): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) configError(where, `${name} must be a non-empty array of issuer URLs`);
  return Object.freeze(value.map((item, index) => url(item, `${name}[${index}]`, where)));
}
