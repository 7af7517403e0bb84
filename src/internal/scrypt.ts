import { scrypt } from 'node:crypto';

/**
 * scrypt as werkzeug uses it (`scrypt:N:r:p$salt$hex`, 64-byte keys): the parameters OpenSSL and
 * werkzeug accept, within bounds a stored hash cannot push past, and the derivation itself.
 */

// Upper bounds on the work a stored hash can ask for. A hash is data: if it was tampered with (or
// imported from somewhere careless), it must not be able to make a single login attempt pin a
// thread-pool worker for minutes or allocate gigabytes. generatePasswordHash enforces the same
// bounds, so every hash it produces can be checked.
const MAX_SCRYPT_COST = 256 * 1024 * 1024;
// werkzeug passes hashlib maxmem = 132·N·r·p ("ideally 128, but some extra seems needed"): at our
// cost bound that is 264 MiB, so this admits every hash werkzeug itself can check within it, and
// no more (N=2, r=2^20 passes the cost bound but would make OpenSSL allocate 640 MiB).
const MAX_SCRYPT_MEMORY = (MAX_SCRYPT_COST / 128) * 132;

export const SCRYPT_DEFAULTS = { N: 32768, r: 8, p: 1 } as const;
// werkzeug hard-codes 64-byte scrypt keys (hashlib's default dklen).
export const SCRYPT_KEY_LENGTH = 64;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Returns why the parameters are refused, or undefined when they are usable: what RFC 7914 and
 * OpenSSL accept (OpenSSL answers anything else with "memory limit exceeded"), within our bounds.
 */
export function scryptParamsProblem({ N, r, p }: ScryptParams): string | undefined {
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0) {
    return `N must be a power of two greater than 1, got ${String(N)}`;
  }
  if (!Number.isSafeInteger(r) || r < 1) return `r must be a positive integer, got ${String(r)}`;
  if (!Number.isSafeInteger(p) || p < 1) return `p must be a positive integer, got ${String(p)}`;
  // RFC 7914 §2: N < 2^(128·r/8). For r ≥ 4 every N within the cost bound qualifies.
  if (r < 4 && N >= 2 ** (16 * r)) {
    return `N must be less than 2^(16·r) (RFC 7914), so r=${r} allows N up to ${2 ** (16 * r - 1)}; raise r or lower N, got N=${N} r=${r}`;
  }
  // 128·N·r·p bounds the CPU time (N·r·p block mixes), which is what a hostile hash could inflate.
  if (128 * N * r * p > MAX_SCRYPT_COST) {
    return `128·N·r·p must not exceed ${MAX_SCRYPT_COST} bytes (256 MiB), got N=${N} r=${r} p=${p}`;
  }
  if (scryptMemory({ N, r, p }) > MAX_SCRYPT_MEMORY) {
    return `needs 128·r·(N + p + 2) = ${scryptMemory({ N, r, p })} bytes of memory, more than the limit of ${MAX_SCRYPT_MEMORY} (264 MiB), got N=${N} r=${r} p=${p}`;
  }
  return undefined;
}

/** What OpenSSL allocates (B: 128·r·p; V, X and T: 128·r·(N + 2)), and so the maxmem it needs. */
function scryptMemory({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + p + 2);
}

// A hash we write must be readable by werkzeug, whose hashlib call allows 132·N·r·p bytes: a small
// N with p=1 (N ≤ 64) needs more and would fail there with "memory limit exceeded".
export function werkzeugScryptProblem(params: ScryptParams): string | undefined {
  const { N, r, p } = params;
  if (scryptMemory(params) <= 132 * N * r * p) return undefined;
  return `N=${N} r=${r} p=${p} needs 128·r·(N + p + 2) bytes, more than the 132·N·r·p werkzeug allows, so werkzeug could not check the hash; raise N`;
}

export function deriveScrypt(password: Buffer, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // OpenSSL refuses to allocate more than maxmem, whose default (32 MiB) is just short of
  // werkzeug's default N=32768, r=8. The parameters were bounded above, so this allows exactly
  // what the call needs.
  const maxmem = scryptMemory({ N, r, p });
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEY_LENGTH, { N, r, p, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
