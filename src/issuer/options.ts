import type { JsonWebKey, KeyObject } from 'node:crypto';
import { assertPlainOptions, configError } from '../config';
import type { AuthLogger } from '../internal/log';
import { MemoryTokenStore } from '../stores/memory-token-store';
import type { TokenStore } from '../stores/token-store';
import { resolveCookieOptions, type CookieConfig, type IssuerCookieOptions } from './cookies';
import { resolveSigningKey, type SigningKey } from './signing-key';

/**
 * Options of `createTokenIssuer`: `issuer`, `audience` and exactly one signing key (`privateKey`
 * or `secret`) are required.
 * @example
 * ```ts
 * const tokens = createTokenIssuer({ issuer: 'https://api.example.com', audience: 'https://api.example.com', privateKey: JSON.parse(process.env.SIGNING_JWK!) });
 * ```
 */
export interface TokenIssuerOptions {
  /** The `iss` of every token, e.g. `'https://api.example.com'`. */
  issuer: string;
  /** The `aud` of every access token: the API that accepts them, e.g. `'https://api.example.com'`. */
  audience: string;
  /** A private JWK (with `d`) or a private `KeyObject` (`crypto.createPrivateKey(pem)`); its public key is in `jwks()`. Not with `secret`. */
  privateKey?: JsonWebKey | KeyObject;
  /** A shared HMAC secret: a string (its UTF-8 bytes), bytes or a secret `KeyObject`, at least 32 bytes (48 for HS384, 64 for HS512). Not with `privateKey`. */
  secret?: string | Uint8Array | KeyObject;
  /**
   * The signing algorithm; the key must fit it (a P-256 key for ES256, RSA of 2048 bits or more
   * for RS256/PS256, …). @default 'ES256' with `privateKey` (or the JWK's `alg`), 'HS256' with `secret`
   */
  alg?: 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'EdDSA' | 'Ed25519' | 'HS256' | 'HS384' | 'HS512';
  /** The `kid` header of every token. @default the key's JWK thumbprint (RFC 7638) with `privateKey` (or the JWK's `kid`), none with `secret` */
  kid?: string;
  /** Lifetime of access tokens, in seconds. @default 900 (15 minutes) */
  accessTtl?: number;
  /** Lifetime of each refresh token, in seconds (every refresh issues a new one). @default 1_209_600 (14 days) */
  refreshTtl?: number;
  /** Where refresh tokens and revocations are kept. @default a new `MemoryTokenStore()` (one process) */
  store?: TokenStore;
  /** Names and attributes of the cookies `setCookies` writes. */
  cookies?: IssuerCookieOptions;
  /** Where warnings and the rate-limited error lines go. @default console */
  logger?: AuthLogger;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

export interface IssuerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly signing: SigningKey;
  /** Seconds. */
  readonly accessTtl: number;
  /** Seconds. */
  readonly refreshTtl: number;
  readonly store: TokenStore;
  readonly cookies: CookieConfig;
  readonly logger: AuthLogger;
  readonly now: () => number;
}

const OPTIONS = ['issuer', 'audience', 'privateKey', 'secret', 'alg', 'kid', 'accessTtl', 'refreshTtl', 'store', 'cookies', 'logger', 'now'];
const STORE_METHODS = ['createLogin', 'findRefreshToken', 'rotateRefreshToken', 'revokeFamilyOf', 'revokeAccessToken', 'revokeSubject', 'accessTokenState'] as const;
/** Ten years: longer lifetimes are mistakes (and must stay far inside the safe-integer range in ms). */
const MAX_TTL = 315_360_000;

/** Validates the options once into a frozen configuration; the caller's object is not touched. */
export function resolveTokenIssuerOptions(options: unknown, where: string): IssuerConfig {
  if (options === undefined) configError(where, 'options are required: { issuer, audience, privateKey } or { issuer, audience, secret }');
  const o = assertPlainOptions(options, OPTIONS, where);
  const issuer = text(o.issuer, 'issuer', where, 'https://api.example.com');
  const audience = text(o.audience, 'audience', where, 'https://api.example.com');
  const signing = resolveSigningKey(o, where);
  const accessTtl = ttl(o.accessTtl, 900, 'accessTtl', where);
  const refreshTtl = ttl(o.refreshTtl, 1_209_600, 'refreshTtl', where);
  if (o.store !== undefined) {
    const store = o.store as Record<string, unknown> | null;
    const missing = store === null || typeof store !== 'object' ? 'createLogin' : STORE_METHODS.find((name) => typeof store[name] !== 'function');
    if (missing) configError(where, `store must be a TokenStore (new MemoryTokenStore() or new RedisTokenStore(redis)); it has no ${missing} method`);
  }
  if (o.logger !== undefined) {
    const logger = o.logger as Record<string, unknown> | null;
    if (logger === null || typeof logger !== 'object' || typeof logger.warn !== 'function' || typeof logger.error !== 'function') configError(where, 'logger must have warn(message) and error(message), like console');
  }
  if (o.now !== undefined && typeof o.now !== 'function') configError(where, 'now must be a function returning epoch ms');
  const cookies = resolveCookieOptions(o.cookies, undefined, where);
  return Object.freeze({
    issuer,
    audience,
    signing,
    accessTtl,
    refreshTtl,
    store: (o.store as TokenStore | undefined) ?? new MemoryTokenStore({ now: o.now as (() => number) | undefined }),
    cookies,
    logger: (o.logger as AuthLogger | undefined) ?? console,
    now: (o.now as (() => number) | undefined) ?? Date.now,
  });
}

function text(value: unknown, name: string, where: string, example: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value === '' || value.length > 2048 || /[\x00-\x1f\x7f]/.test(value)) {
    configError(where, `${name} is required: a non-empty string without control characters, e.g. "${example}"`);
  }
  return value;
}

function ttl(value: unknown, fallback: number, name: string, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TTL) configError(where, `${name} must be a whole number of seconds from 1 to ${MAX_TTL}, e.g. ${fallback}`);
  return value;
}
