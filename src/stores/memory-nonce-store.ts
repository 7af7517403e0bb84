import type { NonceStore } from './nonce-store';
import { SlotIndex } from './slot-index';

/**
 * Bounds of a {@link MemoryNonceStore}: they cap its memory, so a flood of nonces cannot grow it;
 * at a bound it fails closed (clients get a fresh nonce).
 * @example
 * ```ts
 * const store = new MemoryNonceStore({ maxNonces: 10_000, maxUsesPerNonce: 1_000, maxTotalUses: 50_000 });
 * ```
 */
export interface MemoryNonceStoreOptions {
  /** Most nonces remembered at once. @default 100_000 */
  maxNonces?: number;
  /** Most uses accepted per nonce; after that the client needs a fresh nonce. @default 10_000 */
  maxUsesPerNonce?: number;
  /**
   * Most individually remembered uses across all nonces: counts that arrived out of order, and
   * RFC 2069 responses. In-order counts cost nothing. Bounds memory. @default 200_000
   */
  maxTotalUses?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

/** `nc` as clients send it: 8 hex digits (RFC 7616 §3.4). */
const NONCE_COUNT = /^[0-9a-fA-F]{8}$/;

// How far behind the highest count a late request may arrive: browsers send a handful of requests
// at once; an older count is refused and the client simply gets a fresh nonce (stale=true).
const COUNT_WINDOW = 256;

/**
 * A 52-bit key for a nonce or a response (two FNV-1a style hashes). Numbers instead of strings
 * keep each record small, and a key never keeps a request's whole header string alive. Two
 * values that happen to share a key share their record, which can only refuse a use, never accept
 * a replay: the same value always maps to the same key.
 */
function keyOf(value: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) {
    throw new TypeError(`http-auth: MemoryNonceStore "${name}" must be a positive integer`);
  }
  return resolved;
}

const FREE = -1;

/**
 * A bounded, single-process nonce store. Each (nonce, use) pair is accepted at most once while the
 * nonce is alive; when the bound forces it to forget a live nonce, it refuses every nonce it has
 * not seen that expires no later than the forgotten one (fail closed: the client is challenged
 * again). Nonces without an expiry (`Infinity`) are kept until the bound evicts them, oldest
 * first; forgetting one refuses nothing else, since no later nonce could be told apart from it.
 *
 * Records, and the index that finds them, live in typed arrays allocated at construction (about
 * 50 bytes per `maxNonces`, 5 MB for the default) and used as a ring in first-seen order, so a
 * flood of new nonces allocates nothing per nonce and memory stays flat. Expired records are
 * dropped lazily; there are no timers.
 * @example
 * ```ts
 * @DigestAuth({ realm: 'api', store: new MemoryNonceStore({ maxNonces: 10_000 }) })
 * class DigestUsers { @GetPassword() password(username: string) { return passwords.get(username); } }
 * ```
 */
export class MemoryNonceStore implements NonceStore {
  readonly #capacity: number;
  readonly #maxUsesPerNonce: number;
  readonly #maxTotalUses: number;
  readonly #now: () => number;
  // One slot per record; FREE in #keys marks a slot whose record was dropped.
  readonly #keys: Float64Array;
  readonly #index: SlotIndex;
  readonly #expiresAt: Float64Array;
  readonly #count: Uint32Array;
  /** Every nonce count up to here is used (or too old to be accepted). */
  readonly #floor: Uint32Array;
  readonly #high: Uint32Array;
  /** Counts above the floor that arrived out of order, and RFC 2069 responses (as negative keys). */
  readonly #held: (Set<number> | undefined)[];
  #heldTotal = 0;
  // The ring: #length slots starting at #head, oldest first.
  #head = 0;
  #length = 0;
  // The latest finite expiry among live nonces that were dropped. A nonce's expiry never changes,
  // so an unseen nonce expiring later cannot be one of them; once the clock passes it, every
  // nonce at or below it is refused as expired anyway.
  #forgottenExpiresAt = -Infinity;

  constructor(options: MemoryNonceStoreOptions = {}) {
    this.#capacity = positiveInteger(options.maxNonces, 100_000, 'maxNonces');
    this.#maxUsesPerNonce = positiveInteger(options.maxUsesPerNonce, 10_000, 'maxUsesPerNonce');
    this.#maxTotalUses = positiveInteger(options.maxTotalUses, 200_000, 'maxTotalUses');
    if (this.#maxTotalUses < this.#maxUsesPerNonce) {
      throw new TypeError('http-auth: MemoryNonceStore "maxTotalUses" must be at least "maxUsesPerNonce"');
    }
    this.#now = options.now ?? Date.now;
    const n = this.#capacity;
    this.#keys = new Float64Array(n).fill(FREE);
    this.#index = new SlotIndex(this.#keys);
    this.#expiresAt = new Float64Array(n);
    this.#count = new Uint32Array(n);
    this.#floor = new Uint32Array(n);
    this.#high = new Uint32Array(n);
    this.#held = new Array<Set<number> | undefined>(n);
  }

  /** Number of nonces currently remembered. */
  get size(): number {
    return this.#index.size;
  }

  use(nonce: string, use: string, expiresAt: number): boolean {
    const now = this.#now();
    const key = keyOf(nonce);
    let slot = this.#index.get(key);
    if (slot !== -1 && this.#expiresAt[slot] <= now) {
      this.#drop(slot, now);
      return false;
    }
    if (slot === -1) {
      // An unknown nonce is new unless it might be one dropped while alive.
      if (!(expiresAt > now) || expiresAt <= this.#forgottenExpiresAt) return false;
      slot = this.#insert(key, expiresAt, now);
    }
    if (this.#count[slot] >= this.#maxUsesPerNonce) return false;
    const accepted = NONCE_COUNT.test(use) ? this.#takeCount(slot, parseInt(use, 16), now) : this.#take(slot, -1 - keyOf(use), now);
    if (accepted) this.#count[slot]++;
    return accepted;
  }

  #insert(key: number, expiresAt: number, now: number): number {
    // Same-lifetime nonces expire in first-seen order, so expired records gather at the head;
    // a nonce without expiry stays there until the bound evicts it.
    while (this.#length > 0 && (this.#keys[this.#head] === FREE || this.#expiresAt[this.#head] <= now)) this.#dropHead(now);
    if (this.#length === this.#capacity) this.#dropHead(now);
    const slot = (this.#head + this.#length) % this.#capacity;
    this.#length++;
    this.#keys[slot] = key;
    this.#expiresAt[slot] = expiresAt;
    this.#count[slot] = 0;
    this.#floor[slot] = 0;
    this.#high[slot] = 0;
    this.#index.add(slot);
    return slot;
  }

  /** Accepts a nonce count once, in any order within the window behind the highest count. */
  #takeCount(slot: number, count: number, now: number): boolean {
    const held = this.#held[slot];
    if (count <= this.#floor[slot] || count + COUNT_WINDOW <= this.#high[slot] || held?.has(count)) return false;
    if (count === this.#floor[slot] + 1) {
      let floor = count;
      // Counts that arrived early and now join the unbroken run need not be held any more.
      while (held?.delete(floor + 1)) {
        floor++;
        this.#heldTotal--;
      }
      this.#floor[slot] = floor;
    } else if (!this.#take(slot, count, now)) {
      return false;
    }
    if (count > this.#high[slot]) this.#high[slot] = count;
    const set = this.#held[slot];
    if (set && set.size > COUNT_WINDOW) this.#dropBelowWindow(slot, set);
    return true;
  }

  #take(slot: number, value: number, now: number): boolean {
    if (this.#held[slot]?.has(value)) return false;
    while (this.#heldTotal >= this.#maxTotalUses) {
      if (!this.#dropOldestExcept(slot, now)) break;
    }
    (this.#held[slot] ??= new Set()).add(value);
    this.#heldTotal++;
    return true;
  }

  // Counts at or below high - COUNT_WINDOW are refused anyway; stop holding them.
  #dropBelowWindow(slot: number, set: Set<number>): void {
    const floor = this.#high[slot] - COUNT_WINDOW;
    for (const value of set) {
      if (value >= 0 && value <= floor) {
        set.delete(value);
        this.#heldTotal--;
      }
    }
    this.#floor[slot] = Math.max(this.#floor[slot], floor);
  }

  #dropHead(now: number): void {
    if (this.#keys[this.#head] !== FREE) this.#drop(this.#head, now);
    this.#head = (this.#head + 1) % this.#capacity;
    this.#length--;
  }

  #dropOldestExcept(keep: number, now: number): boolean {
    for (let i = 0; i < this.#length; i++) {
      const slot = (this.#head + i) % this.#capacity;
      if (slot === keep || this.#keys[slot] === FREE) continue;
      this.#drop(slot, now);
      return true;
    }
    return false;
  }

  #drop(slot: number, now: number): void {
    this.#index.delete(slot);
    this.#keys[slot] = FREE;
    const held = this.#held[slot];
    if (held) {
      this.#heldTotal -= held.size;
      this.#held[slot] = undefined;
    }
    const expiresAt = this.#expiresAt[slot];
    if (expiresAt > now && expiresAt !== Infinity) this.#forgottenExpiresAt = Math.max(this.#forgottenExpiresAt, expiresAt);
  }
}
