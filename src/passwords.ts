/**
 * Password hashing for `@HashPassword` / `@VerifyPassword` users.
 *
 * Hashes are written and read in werkzeug's `method$salt$hex` format, so the password table of a
 * Flask application can be reused unchanged; bcrypt hashes from other stacks are read too.
 * Key derivation is deliberately slow, so it must not run on the event loop in one piece: scrypt
 * and PBKDF2 run in libuv's thread pool (never the *Sync variants), and bcrypt runs in bcryptjs's
 * async mode, which computes in slices of at most ~100 ms and yields between them. A burst of
 * logins then queues in the pool instead of stalling every other request.
 *
 * @see https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.security.generate_password_hash
 */
import { hash as bcryptHash } from 'bcryptjs';
import { pbkdf2, randomInt, scrypt } from 'node:crypto';
import { timingSafeEqual } from './internal/timing-safe-equal';

/** How {@link generatePasswordHash} derives the stored hash. */
export interface PasswordHashOptions {
  /**
   * Key derivation function. scrypt is werkzeug's default; choose pbkdf2 only when the hashes
   * must also be read by software without scrypt.
   * @default "scrypt"
   */
  method?: 'scrypt' | 'pbkdf2';
  /** Used when `method` is `'scrypt'`. Memory use is 128·N·r·p bytes, at most 256 MiB. */
  scrypt?: {
    /** CPU/memory cost, a power of two greater than 1. @default 32768 */
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
  /** Number of random `[A-Za-z0-9]` salt characters. @default 16 */
  saltLength?: number;
}

// Upper bounds on the work a stored hash can ask for. A hash is data: if it was tampered with (or
// imported from somewhere careless), it must not be able to make a single login attempt pin a
// thread-pool worker for minutes or allocate gigabytes. generatePasswordHash enforces the same
// bounds, so every hash it produces can be checked.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
// Each bcrypt cost step doubles the work; 15 is ~2 s in bcryptjs (pure JS), already far above
// what anyone stores (10–12 is usual). Higher costs are only plausible as an attack.
const MAX_BCRYPT_COST = 15;

const SCRYPT_DEFAULTS = { N: 32768, r: 8, p: 1 } as const;
// werkzeug hard-codes 64-byte scrypt keys (hashlib's default dklen).
const SCRYPT_KEY_LENGTH = 64;
// A `pbkdf2:sha256$…` hash without an iteration count makes werkzeug use its
// DEFAULT_PBKDF2_ITERATIONS: 600,000 in werkzeug 2.3 and 3.0, raised to 1,000,000 in 3.1.
// werkzeug always writes the count when it generates a hash, so only hand-made hashes take this
// path; we use 600,000, which is also our generation default.
const PBKDF2_DEFAULT_ITERATIONS = 600_000;
const PBKDF2_KEY_LENGTHS = { sha256: 32, sha512: 64 } as const;
type Pbkdf2Digest = keyof typeof PBKDF2_KEY_LENGTHS;

const SALT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Hashes a password in werkzeug's format: `scrypt:N:r:p$salt$hex` or
 * `pbkdf2:digest:iterations$salt$hex`.
 *
 * @example
 * const stored = await generatePasswordHash('s3cret');
 * // 'scrypt:32768:8:1$Jx2…$9f3…'
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
    const problem = scryptParamsProblem(params);
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

  throw new TypeError(`http-auth: generatePasswordHash: options.method must be 'scrypt' or 'pbkdf2', got ${String(method)}`);
}

/**
 * Checks a password against a stored hash: werkzeug scrypt or pbkdf2 (sha256/sha512), or bcrypt
 * (`$2a$`, `$2b$`, `$2y$`). Resolves `false` for a wrong password and for any hash it cannot read
 * or that asks for more work than allowed (scrypt over 256 MiB, PBKDF2 over 10,000,000
 * iterations, bcrypt cost over 15), so a bad row in the user table denies the login instead of
 * failing the request or stalling the server. Only a non-string argument throws (`TypeError`).
 *
 * @example
 * if (await checkPasswordHash(user.passwordHash, password)) return user;
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

/** Returns why the parameters are refused, or undefined when they are usable. */
function scryptParamsProblem({ N, r, p }: ScryptParams): string | undefined {
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0) {
    return `N must be a power of two greater than 1, got ${String(N)}`;
  }
  if (!Number.isSafeInteger(r) || r < 1) return `r must be a positive integer, got ${String(r)}`;
  if (!Number.isSafeInteger(p) || p < 1) return `p must be a positive integer, got ${String(p)}`;
  // 128·N·r·p bounds both the memory (128·r·(N + p) bytes) and the CPU time (N·r·p block
  // mixes), which is what a hostile hash could inflate.
  if (128 * N * r * p > MAX_SCRYPT_MEMORY) {
    return `128·N·r·p must not exceed ${MAX_SCRYPT_MEMORY} bytes (256 MiB), got N=${N} r=${r} p=${p}`;
  }
  return undefined;
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

function deriveScrypt(password: Buffer, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // OpenSSL needs 128·r·(N + p + 2) bytes and refuses more than maxmem, whose default (32 MiB)
  // is just short of werkzeug's default N=32768, r=8. The parameters were bounded above, so
  // this allows exactly what the call needs.
  const maxmem = 128 * r * (N + p + 2);
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEY_LENGTH, { N, r, p, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function derivePbkdf2(password: Buffer, salt: Buffer, iterations: number, digest: Pbkdf2Digest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, PBKDF2_KEY_LENGTHS[digest], digest, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
