/**
 * Stateless Digest nonces and opaque values. A nonce carries its own issue time and a MAC, so any
 * instance sharing the secret can check it without shared state; replay protection is the
 * nonce store's job.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7616#section-5.4
 */
import { createHmac, createSecretKey, randomBytes, randomFillSync } from 'node:crypto';
import { timingSafeEqual } from '../internal/timing-safe-equal';

export interface NonceCheck {
  valid: boolean;
  /** True only when the MAC is good but the nonce has expired: send `stale=true` (RFC 7616 §3.3). */
  stale: boolean;
  /** Epoch ms; set whenever the MAC is good. */
  issuedAt?: number;
  /** Epoch ms; set whenever the MAC is good. */
  expiresAt?: number;
}

export interface NonceSigner {
  generate(): string;
  verify(nonce: string): NonceCheck;
  /** True when the nonce is valid and less than `thresholdFraction` of its lifetime remains. */
  nearExpiry(nonce: string, thresholdFraction?: number): boolean;
  /** The same rule for a nonce already verified: is its `expiresAt` in the last fraction of the lifetime? */
  expiresSoon(expiresAt: number, thresholdFraction?: number): boolean;
}

const TIME_BYTES = 8;
const RANDOM_BYTES = 16;
const PAYLOAD_BYTES = TIME_BYTES + RANDOM_BYTES;
const MAC_BYTES = 32;
const NONCE_BYTES = PAYLOAD_BYTES + MAC_BYTES;
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 8) / 6);

// Nonces from a peer whose clock runs slightly ahead are still accepted.
const CLOCK_SKEW_MS = 5_000;

// Longer than the 24-byte nonce payload, so an opaque can never equal a nonce MAC.
const OPAQUE_LABEL = 'routing-controllers-httpauth digest opaque v1';

/*
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 *
 *   base64url alphabet = ALPHA / DIGIT / "-" / "_", without padding
 */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function checkSecret(secret: string | Uint8Array): void {
  if (secret.length === 0) throw new TypeError('http-auth: the nonce secret must not be empty');
}

/**
 * Creates a signer for nonces of the form base64url(issue time ‖ 16 random bytes ‖ HMAC-SHA-256).
 * @param lifetimeSeconds how long a nonce stays valid; after that it is reported as stale
 * @param now clock in epoch ms, for tests
 * @example const signer = createNonceSigner(randomSecret(), 300)
 */
/** Verified nonces a signer remembers (about 100 bytes each). */
const VERIFIED_NONCES = 4096;

export function createNonceSigner(
  secret: string | Uint8Array,
  lifetimeSeconds: number,
  now: () => number = Date.now,
): NonceSigner {
  checkSecret(secret);
  if (!Number.isFinite(lifetimeSeconds) || lifetimeSeconds <= 0) {
    throw new TypeError('http-auth: the nonce lifetime must be a positive number of seconds');
  }
  const lifetimeMs = lifetimeSeconds * 1000;
  const key = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  const mac = (payload: Uint8Array) => createHmac('sha256', key).update(payload).digest();
  // Every 401 issues a nonce; one call to the CSPRNG per 256 nonces instead of one each.
  const pool = Buffer.alloc(RANDOM_BYTES * 256);
  let poolOffset = pool.length;

  function generate(): string {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now()))), 0);
    if (poolOffset === pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    pool.copy(payload, TIME_BYTES, poolOffset, poolOffset + RANDOM_BYTES);
    // Wiped once copied: no later nonce can be predicted from memory.
    pool.fill(0, poolOffset, poolOffset + RANDOM_BYTES);
    poolOffset += RANDOM_BYTES;
    return Buffer.concat([payload, mac(payload)]).toString('base64url');
  }

  // Nonces whose signature checked out, with their issue time: a client reusing its nonce (nc
  // counting up) costs a map lookup instead of a decode and an HMAC. Only an exact string this
  // signer verified gets in, so a hit is the same verdict again; the expiry is still checked on
  // every use. Bounded: emptied when full, after which nonces are simply verified again.
  const verified = new Map<string, number>();

  function verify(nonce: string): NonceCheck {
    const seen = verified.get(nonce);
    if (seen !== undefined) return checkTimes(seen);
    const invalid = { valid: false, stale: false };
    if (nonce.length !== NONCE_CHARS || !BASE64URL.test(nonce)) return invalid;
    const bytes = Buffer.from(nonce, 'base64url');
    // The last character has spare bits; only the canonical spelling is accepted, so one nonce
    // has exactly one string form and replay stores keyed by the string cannot be sidestepped.
    if (bytes.length !== NONCE_BYTES || bytes.toString('base64url') !== nonce) return invalid;
    const payload = bytes.subarray(0, PAYLOAD_BYTES);
    if (!timingSafeEqual(bytes.subarray(PAYLOAD_BYTES), mac(payload))) return invalid;
    const issuedAt = Number(payload.readBigUInt64BE(0));
    if (verified.size >= VERIFIED_NONCES) verified.clear();
    verified.set(nonce, issuedAt);
    return checkTimes(issuedAt);
  }

  function checkTimes(issuedAt: number): NonceCheck {
    const expiresAt = issuedAt + lifetimeMs;
    const current = now();
    if (issuedAt > current + CLOCK_SKEW_MS) return { valid: false, stale: false };
    if (current >= expiresAt) return { valid: false, stale: true, issuedAt, expiresAt };
    return { valid: true, stale: false, issuedAt, expiresAt };
  }

  function expiresSoon(expiresAt: number, thresholdFraction = 0.2): boolean {
    return expiresAt - now() < lifetimeMs * thresholdFraction;
  }

  function nearExpiry(nonce: string, thresholdFraction?: number): boolean {
    const check = verify(nonce);
    return check.valid && expiresSoon(check.expiresAt as number, thresholdFraction);
  }

  return { generate, verify, nearExpiry, expiresSoon };
}

/** 32 random bytes, suitable as the nonce and opaque secret. */
export function randomSecret(): Buffer {
  return randomBytes(32);
}

/**
 * A stable opaque value: every instance sharing the secret sends the same one, so a client may
 * be served by any of them.
 * @example const opaque = createOpaque(secret)
 */
export function createOpaque(secret: string | Uint8Array): string {
  checkSecret(secret);
  return createHmac('sha256', secret).update(OPAQUE_LABEL).digest('base64url');
}
