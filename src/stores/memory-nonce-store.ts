import type { NonceStore } from './nonce-store';

export interface MemoryNonceStoreOptions {
  /** Most nonces remembered at once. @default 100_000 */
  maxNonces?: number;
  /** Most uses accepted per nonce; after that the client needs a fresh nonce. @default 10_000 */
  maxUsesPerNonce?: number;
  /** Most uses remembered across all nonces, which bounds memory. @default 1_000_000 */
  maxTotalUses?: number;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
}

interface Entry {
  nonce: string;
  expiresAt: number;
  issuedAt: number | undefined;
  uses: Set<string>;
}

// A full sweep for expired entries costs O(maxNonces), so a store under pressure does it at most
// this often and otherwise evicts the oldest entry.
const SWEEP_INTERVAL_MS = 1_000;

// Slack before the eviction queue is compacted, so compaction stays amortized O(1).
const QUEUE_SLACK = 1_024;

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) {
    throw new TypeError(`http-auth: MemoryNonceStore "${name}" must be a positive integer`);
  }
  return resolved;
}

/**
 * A bounded, single-process nonce store. When it has to forget a nonce that is still alive it
 * fails closed: from then on, until every forgotten nonce has expired, it refuses unknown nonces
 * issued at or before the newest forgotten one, and the client is simply challenged again.
 * Expired entries are dropped lazily; there are no timers.
 * @example const store = new MemoryNonceStore({ maxNonces: 10_000 })
 */
export class MemoryNonceStore implements NonceStore {
  readonly #entries = new Map<string, Entry>();
  // First-seen order for eviction. The Map has that order too, but V8 finds a Map's first entry
  // by skipping every hole left by earlier deletions, which makes FIFO eviction quadratic.
  #queue: (Entry | undefined)[] = [];
  #head = 0;
  readonly #maxNonces: number;
  readonly #maxUsesPerNonce: number;
  readonly #maxTotalUses: number;
  readonly #now: () => number;
  #totalUses = 0;
  #lastSweep = -Infinity;
  // Newest issuedAt among live nonces that were evicted (Infinity if one had no issuedAt), and the
  // time the last of them expires; past that time nothing forgotten can come back.
  #forgottenIssuedAt = -Infinity;
  #forgottenUntil = -Infinity;

  constructor(options: MemoryNonceStoreOptions = {}) {
    this.#maxNonces = positiveInteger(options.maxNonces, 100_000, 'maxNonces');
    this.#maxUsesPerNonce = positiveInteger(options.maxUsesPerNonce, 10_000, 'maxUsesPerNonce');
    this.#maxTotalUses = positiveInteger(options.maxTotalUses, 1_000_000, 'maxTotalUses');
    if (this.#maxTotalUses < this.#maxUsesPerNonce) {
      throw new TypeError('http-auth: MemoryNonceStore "maxTotalUses" must be at least "maxUsesPerNonce"');
    }
    this.#now = options.now ?? Date.now;
  }

  /** Number of nonces currently remembered. */
  get size(): number {
    return this.#entries.size;
  }

  use(nonce: string, use: string, expiresAt: number, issuedAt?: number): boolean {
    const now = this.#now();
    let entry = this.#entries.get(nonce);
    if (entry && entry.expiresAt <= now) {
      this.#evict(entry, now);
      return false;
    }
    if (!entry) {
      if (!(expiresAt > now) || !this.#mayBeUnseen(issuedAt, now)) return false;
      this.#makeRoomForNonce(now);
      entry = { nonce, expiresAt, issuedAt, uses: new Set() };
      this.#entries.set(nonce, entry);
      this.#queue.push(entry);
      this.#compactQueue();
    }
    if (entry.uses.has(use) || entry.uses.size >= this.#maxUsesPerNonce) return false;
    while (this.#totalUses >= this.#maxTotalUses) {
      if (!this.#evictOldest(now, entry)) break;
    }
    entry.uses.add(use);
    this.#totalUses++;
    return true;
  }

  // An unknown nonce is new unless it might be one we evicted while it was alive.
  #mayBeUnseen(issuedAt: number | undefined, now: number): boolean {
    if (now >= this.#forgottenUntil) {
      this.#forgottenIssuedAt = -Infinity;
      this.#forgottenUntil = -Infinity;
      return true;
    }
    return issuedAt !== undefined && issuedAt > this.#forgottenIssuedAt;
  }

  #makeRoomForNonce(now: number): void {
    if (this.#entries.size < this.#maxNonces) return;
    if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) {
      this.#lastSweep = now;
      for (const entry of this.#entries.values()) {
        if (entry.expiresAt <= now) this.#evict(entry, now);
      }
    }
    while (this.#entries.size >= this.#maxNonces) {
      if (!this.#evictOldest(now)) break;
    }
  }

  // Evicts the first-seen nonce other than `keep` (which must not lose the use being recorded).
  #evictOldest(now: number, keep?: Entry): boolean {
    let skippedKeep = false;
    let evicted = false;
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      // Entries already dropped (expired, or replaced under the same nonce) are skipped.
      if (!entry || this.#entries.get(entry.nonce) !== entry) continue;
      if (entry === keep) {
        skippedKeep = true;
        continue;
      }
      this.#evict(entry, now);
      evicted = true;
      break;
    }
    // The slot just vacated goes back to `keep`, so it keeps its place ahead of newer nonces.
    if (skippedKeep) this.#queue[--this.#head] = keep;
    return evicted;
  }

  #compactQueue(): void {
    const pending = this.#queue.length - this.#head;
    if (pending > 2 * this.#entries.size + QUEUE_SLACK) {
      this.#queue = this.#queue.slice(this.#head).filter((e) => e !== undefined && this.#entries.get(e.nonce) === e);
      this.#head = 0;
    } else if (this.#head > QUEUE_SLACK && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #evict(entry: Entry, now: number): void {
    this.#entries.delete(entry.nonce);
    this.#totalUses -= entry.uses.size;
    if (entry.expiresAt > now) {
      this.#forgottenIssuedAt = Math.max(this.#forgottenIssuedAt, entry.issuedAt ?? Infinity);
      this.#forgottenUntil = Math.max(this.#forgottenUntil, entry.expiresAt);
    }
  }
}
