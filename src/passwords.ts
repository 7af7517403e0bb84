/**
 * Password hashing for `@HashPassword` / `@VerifyPassword` users.
 *
 * Hashes are written and read in werkzeug's `method$salt$hex` format, so the password table of a
 * Flask application can be reused unchanged; bcrypt hashes from other stacks are read (and can be
 * written) too.
 * Key derivation is deliberately slow, so it must not run on the event loop in one piece: scrypt
 * and PBKDF2 run in libuv's thread pool (never the *Sync variants), and bcrypt runs in bcryptjs's
 * async mode, which computes in slices of at most ~100 ms and yields between them. A burst of
 * logins then queues in the pool instead of stalling every other request.
 *
 * @see https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.security.generate_password_hash
 */
import { hash as bcryptHash } from 'bcryptjs';
import { pbkdf2, randomInt } from 'node:crypto';
import { deriveScrypt, SCRYPT_DEFAULTS, SCRYPT_KEY_LENGTH, scryptParamsProblem, werkzeugScryptProblem, type ScryptParams } from './internal/scrypt';
import { timingSafeEqual } from './internal/timing-safe-equal';

/**
 * How {@link generatePasswordHash} derives the stored hash; the defaults (scrypt, N=32768, r=8,
 * p=1) are werkzeug's.
 * @example
 * ```ts
 * const stored = await generatePasswordHash(password, { method: 'pbkdf2', pbkdf2: { digest: 'sha512', iterations: 600_000 } });
 * ```
 */
export interface PasswordHashOptions {
  /**
   * Key derivation function. scrypt is werkzeug's default; choose pbkdf2 only when the hashes
   * must also be read by software without scrypt, and bcrypt only for a table shared with
   * software that reads nothing else (werkzeug does not read bcrypt). bcrypt uses only the first
   * 72 bytes of a password, so longer ones (UTF-8) are refused rather than silently truncated.
   * @default "scrypt"
   */
  method?: 'scrypt' | 'pbkdf2' | 'bcrypt';
  /**
   * Used when `method` is `'scrypt'`. The work is bounded by 128·N·r·p ≤ 256 MiB; the memory
   * OpenSSL allocates is 128·r·(N + p + 2) bytes; N must be below 2^(16·r) (RFC 7914), so r=1
   * allows N up to 32768; and werkzeug must be able to check the hash.
   */
  scrypt?: {
    /** CPU/memory cost, a power of two greater than 1 and below 2^(16·r). @default 32768 */
    N?: number;
    /** Block size. @default 8 */
    r?: number;
    /** Parallelization. @default 1 */
    p?: number;
  };
  /** Used when `method` is `'pbkdf2'`. */
  pbkdf2?: {
    /** HMAC digest; the derived key is as long as the digest. @default "sha256" */
    digest?: 'sha256' | 'sha512';
    /** Iteration count, 1 to 10,000,000. @default 600000 */
    iterations?: number;
  };
  /** Used when `method` is `'bcrypt'`. */
  bcrypt?: {
    /** log2 of the number of rounds, 4 to 15. @default 12 */
    cost?: number;
  };
  /** Number of random `[A-Za-z0-9]` salt characters (scrypt and pbkdf2; bcrypt has its own). @default 16 */
  saltLength?: number;
}

const MAX_PBKDF2_ITERATIONS = 10_000_000;
// Each bcrypt cost step doubles the work; 15 is ~2 s in bcryptjs (pure JS), already far above
// what anyone stores (10–12 is usual). Higher costs are only plausible as an attack.
const MAX_BCRYPT_COST = 15;
const MIN_BCRYPT_COST = 4;
const BCRYPT_DEFAULT_COST = 12;
// bcrypt's key schedule takes at most 72 bytes of key; the rest of a longer password is ignored.
const BCRYPT_MAX_PASSWORD_BYTES = 72;

// A `pbkdf2:sha256$…` hash without an iteration count makes werkzeug use its
// DEFAULT_PBKDF2_ITERATIONS: 600,000 in werkzeug 2.3 and 3.0, raised to 1,000,000 in 3.1.
// werkzeug always writes the count when it generates a hash, so only hand-made hashes take this
// path; we use 600,000, which is also our generation default.
const PBKDF2_DEFAULT_ITERATIONS = 600_000;
const PBKDF2_KEY_LENGTHS = { sha256: 32, sha512: 64 } as const;
type Pbkdf2Digest = keyof typeof PBKDF2_KEY_LENGTHS;

const SALT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Hashes a password in werkzeug's format: `scrypt:N:r:p$salt$hex` or
 * `pbkdf2:digest:iterations$salt$hex`; or as bcrypt `$2b$cost$…`, refusing passwords over 72
 * bytes. Parameters that OpenSSL, werkzeug or the check's bounds would reject are refused with a
 * `TypeError`, so every hash it writes can be checked here and by werkzeug.
 * @see [Password hashing](../docs/production.md#password-hashing)
 *
 * @example
 * ```ts
 * const stored = await generatePasswordHash('s3cret');
 * // 'scrypt:32768:8:1$Jx2…$9f3…'
 * ```
 */
export async function generatePasswordHash(
  password: string,
  options: PasswordHashOptions = {},
): Promise<string> {
  if (typeof password !== 'string') {
    throw new TypeError(`http-auth: generatePasswordHash: password must be a string, got ${typeof password}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('http-auth: generatePasswordHash: options must be an object');
  }
  const saltLength = options.saltLength ?? 16;
  if (!Number.isSafeInteger(saltLength) || saltLength < 1) {
    throw new TypeError(`http-auth: generatePasswordHash: options.saltLength must be a positive integer, got ${String(saltLength)}`);
  }
  const salt = randomSalt(saltLength);
  const passwordBytes = Buffer.from(password, 'utf8');
  const saltBytes = Buffer.from(salt, 'utf8');
  const method = options.method ?? 'scrypt';

  if (method === 'scrypt') {
    const params: ScryptParams = {
      N: options.scrypt?.N ?? SCRYPT_DEFAULTS.N,
      r: options.scrypt?.r ?? SCRYPT_DEFAULTS.r,
      p: options.scrypt?.p ?? SCRYPT_DEFAULTS.p,
    };
    const problem = scryptParamsProblem(params) ?? werkzeugScryptProblem(params);
    if (problem !== undefined) {
      throw new TypeError(`http-auth: generatePasswordHash: options.scrypt ${problem}`);
    }
    const key = await deriveScrypt(passwordBytes, saltBytes, params);
    return `scrypt:${params.N}:${params.r}:${params.p}$${salt}$${key.toString('hex')}`;
  }

  if (method === 'pbkdf2') {
    const digest = options.pbkdf2?.digest ?? 'sha256';
    if (!isPbkdf2Digest(digest)) {
      throw new TypeError(`http-auth: generatePasswordHash: options.pbkdf2.digest must be 'sha256' or 'sha512', got ${String(digest)}`);
    }
    const iterations = options.pbkdf2?.iterations ?? PBKDF2_DEFAULT_ITERATIONS;
    if (!isAllowedIterationCount(iterations)) {
      throw new TypeError(
        `http-auth: generatePasswordHash: options.pbkdf2.iterations must be an integer from 1 to ${MAX_PBKDF2_ITERATIONS}, got ${String(iterations)}`,
      );
    }
    const key = await derivePbkdf2(passwordBytes, saltBytes, iterations, digest);
    return `pbkdf2:${digest}:${iterations}$${salt}$${key.toString('hex')}`;
  }

  if (method === 'bcrypt') {
    const cost = options.bcrypt?.cost ?? BCRYPT_DEFAULT_COST;
    if (!Number.isSafeInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
      throw new TypeError(
        `http-auth: generatePasswordHash: options.bcrypt.cost must be an integer from ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST}, got ${String(cost)}`,
      );
    }
    if (passwordBytes.length > BCRYPT_MAX_PASSWORD_BYTES) {
      throw new TypeError(
        `http-auth: generatePasswordHash: bcrypt uses only the first ${BCRYPT_MAX_PASSWORD_BYTES} bytes of a password and this one has ${passwordBytes.length} (UTF-8); use method 'scrypt' (the default) for longer passwords`,
      );
    }
    // C implementations stop at a NUL byte and others refuse it, so such a hash would not be
    // read the same way elsewhere.
    if (passwordBytes.includes(0)) {
      throw new TypeError("http-auth: generatePasswordHash: bcrypt cannot hash a password containing a NUL character; use method 'scrypt' (the default)");
    }
    return bcryptHash(password, cost);
  }

  throw new TypeError(`http-auth: generatePasswordHash: options.method must be 'scrypt', 'pbkdf2' or 'bcrypt', got ${String(method)}`);
}

/**
 * Checks a password against a stored hash: werkzeug scrypt or pbkdf2 (sha256/sha512), or bcrypt
 * (`$2a$`, `$2b$`, `$2y$`). Resolves `false` for a wrong password and for any hash it cannot read
 * or that asks for more work than allowed (scrypt with 128·N·r·p over 256 MiB, PBKDF2 over
 * 10,000,000 iterations, bcrypt cost over 15), so a bad row in the user table denies the login
 * instead of failing the request or stalling the server. Only a non-string argument throws
 * (`TypeError`). bcrypt compares only the first 72 bytes (UTF-8) of the password, as every bcrypt
 * does: a longer password is accepted when those bytes match.
 * @see [Password hashing](../docs/production.md#password-hashing)
 *
 * @example
 * ```ts
 * const ok = await checkPasswordHash(user.passwordHash, password);
 * ```
 */
export async function checkPasswordHash(hash: string, password: string): Promise<boolean> {
  if (typeof hash !== 'string') {
    throw new TypeError(`http-auth: checkPasswordHash: hash must be a string, got ${typeof hash}`);
  }
  if (typeof password !== 'string') {
    throw new TypeError(`http-auth: checkPasswordHash: password must be a string, got ${typeof password}`);
  }
  try {
    if (hash.startsWith('$2')) {
      return await checkBcrypt(hash, password);
    }
    return await checkWerkzeug(hash, password);
  } catch {
    // The formats are validated before deriving, so this only catches what the crypto backends
    // still reject (e.g. an OpenSSL limit). Either way the stored hash is unusable, which is a
    // failed login, not a server error.
    return false;
  }
}

async function checkWerkzeug(hash: string, password: string): Promise<boolean> {
  // werkzeug splits at the first two '$'; a third one could only sit in the hex part, which
  // then fails the hex check, so a plain split is equivalent.
  const parts = hash.split('$');
  if (parts.length !== 3) return false;
  const [method, salt, hex] = parts as [string, string, string];
  // werkzeug itself accepts any salt (older releases used [A-Za-z0-9], newer ones URL-safe
  // base64), so the salt is taken as it is.
  const saltBytes = Buffer.from(salt, 'utf8');
  const passwordBytes = Buffer.from(password, 'utf8');
  const [name, ...args] = method.split(':');

  if (name === 'scrypt') {
    let params: ScryptParams = { ...SCRYPT_DEFAULTS };
    if (args.length !== 0) {
      if (args.length !== 3) return false;
      const [N, r, p] = args.map(parseDecimal);
      if (N === undefined || r === undefined || p === undefined) return false;
      params = { N, r, p };
    }
    if (scryptParamsProblem(params) !== undefined) return false;
    const expected = parseHex(hex, SCRYPT_KEY_LENGTH);
    if (expected === undefined) return false;
    return timingSafeEqual(await deriveScrypt(passwordBytes, saltBytes, params), expected);
  }

  if (name === 'pbkdf2') {
    if (args.length > 2) return false;
    // werkzeug: no arguments means sha256, and a missing count means its default.
    const digest = args[0] ?? 'sha256';
    if (!isPbkdf2Digest(digest)) return false;
    const iterations = args.length === 2 ? parseDecimal(args[1]!) : PBKDF2_DEFAULT_ITERATIONS;
    if (iterations === undefined || !isAllowedIterationCount(iterations)) return false;
    const expected = parseHex(hex, PBKDF2_KEY_LENGTHS[digest]);
    if (expected === undefined) return false;
    return timingSafeEqual(await derivePbkdf2(passwordBytes, saltBytes, iterations, digest), expected);
  }

  return false;
}

// Modular crypt format: $2<minor>$<2-digit cost>$<22 chars salt><31 chars hash>, in bcrypt's
// own base64 alphabet. 2a, 2b and 2y differ only in bugs of other implementations; bcryptjs
// computes the same value for all three.
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

async function checkBcrypt(hash: string, password: string): Promise<boolean> {
  const match = BCRYPT_HASH.exec(hash);
  if (match === null) return false;
  const cost = Number(match[1]);
  // bcrypt's minimum cost is 4; bcryptjs rejects lower values anyway.
  if (cost < 4 || cost > MAX_BCRYPT_COST) return false;
  // Re-hash with the stored salt (the first 29 characters carry version, cost and salt) and
  // compare ourselves rather than calling bcryptjs's compare, so this secret comparison goes
  // through the same timingSafeEqual as every other one. The async hash yields to the event loop
  // between rounds.
  const recomputed = await bcryptHash(password, hash.slice(0, 29));
  return timingSafeEqual(recomputed, hash);
}

function isAllowedIterationCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1 && value <= MAX_PBKDF2_ITERATIONS;
}

function isPbkdf2Digest(value: string): value is Pbkdf2Digest {
  return Object.prototype.hasOwnProperty.call(PBKDF2_KEY_LENGTHS, value);
}

// Plain decimal only. Python's int() would also take '+8', ' 8' or '1_024', but werkzeug never
// writes those, and a strict grammar keeps the DoS bounds simple to reason about.
function parseDecimal(text: string): number | undefined {
  return /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
}

// werkzeug compares the lowercase hex strings, so uppercase or odd-length digests never match
// there either.
function parseHex(text: string, byteLength: number): Buffer | undefined {
  if (text.length !== byteLength * 2 || !/^[0-9a-f]*$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

function randomSalt(length: number): string {
  let salt = '';
  for (let i = 0; i < length; i++) salt += SALT_ALPHABET[randomInt(SALT_ALPHABET.length)];
  return salt;
}

function derivePbkdf2(password: Buffer, salt: Buffer, iterations: number, digest: Pbkdf2Digest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, PBKDF2_KEY_LENGTHS[digest], digest, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
