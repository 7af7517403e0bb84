import type { AccessTokenState, NewLogin, NewRefreshToken, RefreshTokenRecord, RotateResult, TokenStore } from './token-store';

/**
 * Bounds of a {@link MemoryTokenStore}.
 * @example
 * ```ts
 * const store = new MemoryTokenStore({ maxRecords: 20_000 });
 * ```
 */
export interface MemoryTokenStoreOptions {
  /**
   * Most records kept at once. A login costs three (its subject, its family, its refresh token),
   * each refresh one more (the consumed token is kept until its expiry, to detect reuse), each
   * revoked access token one. @default 100_000
   */
  maxRecords?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

type Entry =
  | { kind: 'refresh'; expiresAt: number; record: RefreshTokenRecord }
  | { kind: 'family'; expiresAt: number; subjectKey: string; epoch: string; revoked: boolean }
  | { kind: 'subject'; expiresAt: number; epoch: string }
  | { kind: 'access'; expiresAt: number };

type EntryOf<K extends Entry['kind']> = Extract<Entry, { kind: K }>;

// A full sweep costs one pass over every record: at most once a second, and only at the bound.
const SWEEP_INTERVAL_MS = 1_000;

/**
 * A bounded, single-process {@link TokenStore}. Every operation is synchronous, so each one is
 * atomic in the event loop: of many concurrent refreshes with one token, exactly one finds it
 * unconsumed.
 *
 * At the bound it drops expired records first, then consumed refresh tokens, oldest first
 * (forgetting one only loses reuse detection for that old token, which stays refused). It never
 * drops a live family, subject or refresh token, nor a revoked access token: when nothing else
 * can go, the write is refused (the issuer answers 503) rather than a revocation forgotten.
 * Instances in other processes do not see its records: use `RedisTokenStore` for several
 * instances.
 * @example
 * ```ts
 * const tokens = createTokenIssuer({ issuer: 'https://api.example.com', audience: 'https://api.example.com', privateKey, store: new MemoryTokenStore({ maxRecords: 20_000 }) });
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  // Keys of consumed refresh tokens in the order they were consumed: the first to go at the bound.
  readonly #consumed = new Set<string>();
  #sweptAt = -Infinity;

  constructor(options: MemoryTokenStoreOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('http-auth: MemoryTokenStore: options must be an object such as { maxRecords: 100_000 }');
    const capacity = options.maxRecords ?? 100_000;
    if (!Number.isSafeInteger(capacity) || capacity < 3) throw new TypeError('http-auth: MemoryTokenStore: maxRecords must be an integer of at least 3 (a login needs 3 records)');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('http-auth: MemoryTokenStore: now must be a function returning epoch ms');
    this.#capacity = capacity;
    this.#now = options.now ?? Date.now;
  }

  /** Number of records currently held (expired ones included until they are swept). */
  get size(): number {
    return this.#entries.size;
  }

  createLogin(login: NewLogin): void {
    const now = this.#now();
    const subjectKey = `s:${login.subjectKey}`;
    const subject = this.#get(subjectKey, 'subject', now);
    this.#reserve(subject ? 2 : 3, now);
    const epoch = subject?.epoch ?? login.epoch;
    if (subject) subject.expiresAt = Math.max(subject.expiresAt, login.keepUntil);
    else this.#entries.set(subjectKey, { kind: 'subject', expiresAt: login.keepUntil, epoch });
    this.#entries.set(`f:${login.record.family}`, { kind: 'family', expiresAt: login.keepUntil, subjectKey: login.subjectKey, epoch, revoked: false });
    this.#entries.set(`r:${login.hash}`, { kind: 'refresh', expiresAt: login.record.expiresAt, record: Object.freeze({ ...login.record, consumed: false }) });
  }

  findRefreshToken(hash: string): RefreshTokenRecord | undefined {
    return this.#get(`r:${hash}`, 'refresh', this.#now())?.record;
  }

  rotateRefreshToken(hash: string, next: NewRefreshToken): RotateResult {
    const now = this.#now();
    const key = `r:${hash}`;
    const entry = this.#get(key, 'refresh', now);
    if (!entry) return 'unknown';
    const family = this.#get(`f:${entry.record.family}`, 'family', now);
    const subject = family && this.#get(`s:${family.subjectKey}`, 'subject', now);
    if (!family || family.revoked || !subject || subject.epoch !== family.epoch) return 'revoked';
    if (entry.record.consumed) {
      family.revoked = true;
      return 'reused';
    }
    if (entry.record.expiresAt <= now) return 'expired';
    this.#reserve(1, now);
    entry.record = Object.freeze({ ...entry.record, consumed: true });
    this.#consumed.add(key);
    this.#entries.set(`r:${next.hash}`, { kind: 'refresh', expiresAt: next.record.expiresAt, record: Object.freeze({ ...next.record, family: entry.record.family, consumed: false }) });
    family.expiresAt = Math.max(family.expiresAt, next.keepUntil);
    subject.expiresAt = Math.max(subject.expiresAt, next.keepUntil);
    return 'rotated';
  }

  revokeFamilyOf(hash: string): boolean {
    const now = this.#now();
    const entry = this.#get(`r:${hash}`, 'refresh', now);
    if (!entry) return false;
    const family = this.#get(`f:${entry.record.family}`, 'family', now);
    // A family already gone revokes its tokens as surely as a revoked one.
    if (family) family.revoked = true;
    return true;
  }

  revokeAccessToken(jti: string, until: number): void {
    const now = this.#now();
    const key = `j:${jti}`;
    const entry = this.#get(key, 'access', now);
    if (entry) {
      entry.expiresAt = Math.max(entry.expiresAt, until);
      return;
    }
    this.#reserve(1, now);
    this.#entries.set(key, { kind: 'access', expiresAt: until });
  }

  revokeSubject(subjectKey: string, epoch: string): boolean {
    const subject = this.#get(`s:${subjectKey}`, 'subject', this.#now());
    if (!subject) return false;
    subject.epoch = epoch;
    return true;
  }

  accessTokenState(jti: string, familyId: string): AccessTokenState {
    const now = this.#now();
    if (this.#get(`j:${jti}`, 'access', now)) return 'revoked';
    const family = this.#get(`f:${familyId}`, 'family', now);
    const subject = family && this.#get(`s:${family.subjectKey}`, 'subject', now);
    return family && !family.revoked && subject && subject.epoch === family.epoch ? 'active' : 'revoked';
  }

  #get<K extends Entry['kind']>(key: string, kind: K, now: number): EntryOf<K> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#delete(key);
      return undefined;
    }
    return entry.kind === kind ? (entry as EntryOf<K>) : undefined;
  }

  #delete(key: string): void {
    this.#entries.delete(key);
    this.#consumed.delete(key);
  }

  /** Makes room for `count` new records, or throws: expired records go first, then consumed refresh tokens. */
  #reserve(count: number, now: number): void {
    if (this.#entries.size + count <= this.#capacity) return;
    if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) {
      this.#sweptAt = now;
      for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#delete(key);
    }
    for (const key of this.#consumed) {
      if (this.#entries.size + count <= this.#capacity) return;
      this.#delete(key);
    }
    if (this.#entries.size + count > this.#capacity) {
      throw new Error(`MemoryTokenStore is full (maxRecords ${this.#capacity}, every record still needed); raise maxRecords or use RedisTokenStore`);
    }
  }
}
