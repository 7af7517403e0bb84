import { configError } from '../config';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import { DEFAULT_DPOP_ALGORITHMS, isProofAlgorithm } from '../schemes/dpop';
import type { NonceStore } from '../stores/nonce-store';

/**
 * `dpopNonce: { secret, lifetime }`: server-provided nonces (RFC 9449 §9), stateless: each is
 * an HMAC under `secret` with its issue time, so every instance that shares the secret accepts
 * the nonces of the others.
 * @example
 * ```ts
 * const nonces: DpopNonceOptions = { secret: process.env.DPOP_NONCE_SECRET!, lifetime: 300 };
 * ```
 */
export interface DpopNonceOptions {
  /** The key of the nonces' HMAC, at least 32 bytes; the same on every instance. */
  secret: string | Uint8Array;
  /** Seconds a nonce is accepted; a fresh one is sent on a 200 in its last third. @default 300 */
  lifetime?: number;
}

/**
 * The DPoP options of `@JwtAuth` and `@IntrospectionAuth` (RFC 9449): sender-constrained access
 * tokens. See docs/sender-constrained-tokens.md.
 * @example
 * ```ts
 * @JwtAuth({ issuer, audience, discovery: true, resource: 'https://api.example.com', dpop: 'required', store: new RedisNonceStore(redis) })
 * class ApiAuth {}
 * ```
 */
export interface JwtDpopOptions {
  /**
   * `'allowed'`: `Authorization: DPoP <token>` with a `DPoP` proof is accepted beside `Bearer`,
   * and a DPoP-bound token (`cnf.jkt`) sent as `Bearer` is refused. `'required'`: only DPoP-bound
   * tokens with a proof. Needs `resource`, from whose origin each proof's `htu` is checked.
   * @default off
   */
  dpop?: 'allowed' | 'required';
  /** The `alg` values a proof may be signed with (asymmetric only). @default ['ES256', 'EdDSA', 'PS256', 'RS256'] */
  dpopAlgorithms?: readonly string[];
  /** Seconds a proof is accepted after its `iat` (plus `clockTolerance`); its `jti` is remembered that long. @default 60 */
  dpopWindow?: number;
  /**
   * Server nonces (RFC 9449 §9): a proof must carry a current nonce the library issued. `true`:
   * a random secret of this process (one instance only). @default off
   */
  dpopNonce?: true | DpopNonceOptions;
  /**
   * Where each proof's `jti` is recorded, so that a proof is accepted once: a `RedisNonceStore`
   * shared by every instance, as on `@DigestAuth`. @default a MemoryNonceStore per app
   */
  store?: NonceStore;
}

export interface DpopConfig {
  readonly mode: 'allowed' | 'required';
  readonly algorithms: readonly JwsAlgorithm[];
  /** Seconds. */
  readonly window: number;
  /** `'process'`: a per-process random secret (`dpopNonce: true`). */
  readonly nonce?: { readonly secret: string | Uint8Array | 'process'; readonly lifetime: number };
  readonly store?: NonceStore;
  /** Scheme, host and port of `resource`: the start of every expected `htu`. */
  readonly origin: string;
}

const DPOP_ONLY = ['dpopAlgorithms', 'dpopWindow', 'dpopNonce', 'store'] as const;

/** The DPoP part of `@JwtAuth`'s or `@IntrospectionAuth`'s options, once, at decoration; `undefined` when `dpop` is off. */
export function resolveDpopOptions(
  o: Record<string, unknown>,
  context: { readonly resource?: string; readonly proxy: boolean; readonly query?: string; readonly cookie?: unknown },
  where: string,
): DpopConfig | undefined {
  if (o.dpop === undefined) {
    const stray = DPOP_ONLY.find((name) => o[name] !== undefined);
    if (stray) configError(where, `${stray} is a DPoP option; add dpop: 'allowed' (or 'required')`);
    return undefined;
  }
  if (o.dpop !== 'allowed' && o.dpop !== 'required') configError(where, "dpop must be 'allowed' or 'required'");
  if (context.resource === undefined) {
    configError(where, "dpop checks each proof's htu against this API's URL, never the Host header; add resource (e.g. resource: 'https://api.example.com')");
  }
  // RFC 9449 §7.1: "this authentication scheme MUST NOT be used with the Proxy-Authenticate or Proxy-Authorization header fields".
  if (context.proxy) configError(where, 'dpop is for origin servers only (RFC 9449 §7.1); remove proxy');
  if (o.dpop === 'required') {
    const other = context.query !== undefined ? 'query' : context.cookie !== undefined ? 'cookie' : undefined;
    if (other) configError(where, `dpop: 'required' accepts tokens in Authorization: DPoP only; remove ${other}`);
  }
  return Object.freeze({
    mode: o.dpop,
    algorithms: resolveAlgorithms(o.dpopAlgorithms, where),
    window: positiveSeconds(o.dpopWindow, 60, 'dpopWindow', where),
    ...(o.dpopNonce !== undefined ? { nonce: resolveNonce(o.dpopNonce, where) } : {}),
    ...(o.store !== undefined ? { store: resolveStore(o.store, where) } : {}),
    origin: new URL(context.resource!).origin,
  });
}

function resolveAlgorithms(value: unknown, where: string): readonly JwsAlgorithm[] {
  if (value === undefined) return DEFAULT_DPOP_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0 || !value.every(isProofAlgorithm)) {
    configError(where, 'dpopAlgorithms must be a non-empty array of asymmetric JWS algorithms, e.g. ["ES256", "EdDSA"] (never HS256 or none: RFC 9449 §4.3)');
  }
  return Object.freeze([...new Set(value as JwsAlgorithm[])]);
}

function positiveSeconds(value: unknown, fallback: number, name: string, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) configError(where, `${name} must be a positive number of seconds`);
  return value;
}

function resolveNonce(value: unknown, where: string): NonNullable<DpopConfig['nonce']> {
  if (value === true) return Object.freeze({ secret: 'process' as const, lifetime: 300 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) configError(where, 'dpopNonce must be true or { secret, lifetime? }');
  const { secret, lifetime, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) configError(where, `dpopNonce has no option "${unknown}"; it takes secret and lifetime`);
  const bytes = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret instanceof Uint8Array ? secret.length : -1;
  if (bytes < 32) configError(where, 'dpopNonce.secret must be a string or Uint8Array of at least 32 bytes, the same on every instance (e.g. randomBytes(32).toString("base64url"))');
  const copy = typeof secret === 'string' ? secret : Uint8Array.from(secret as Uint8Array);
  return Object.freeze({ secret: copy, lifetime: positiveSeconds(lifetime, 300, 'dpopNonce.lifetime', where) });
}

function resolveStore(value: unknown, where: string): NonceStore {
  if (value === null || typeof value !== 'object' || typeof (value as NonceStore).use !== 'function') {
    configError(where, 'store must be a nonce store such as new RedisNonceStore(redis) or new MemoryNonceStore()');
  }
  return value as NonceStore;
}
