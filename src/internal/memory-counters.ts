/** A counter and the milliseconds left in its window. */
export interface Count {
  readonly value: number;
  readonly msLeft: number;
}

/**
 * Windowed counters in this process's memory, bounded in number: a client chooses the usernames
 * and, behind many addresses, the addresses it is counted by, so an unbounded map (one entry and
 * one timer per key, as rate-limiter-flexible's memory store keeps) grows with every name tried.
 * Beyond `max` live keys the least recently used one is forgotten; expired ones go first when
 * met, and lazily otherwise.
 */
export class MemoryCounters {
  readonly #entries = new Map<string, { value: number; expiresAt: number }>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Adds `delta` to the key's count, starting a window of `seconds` if it has none. A negative
   * delta on a key that is gone (expired or forgotten) is dropped: giving back a point that was
   * taken in a window that ended must not give a point to the next window.
   */
  add(key: string, delta: number, seconds: number, now = Date.now()): Count {
    const entry = this.#live(key, now);
    if (!entry) {
      if (delta <= 0) return { value: 0, msLeft: 0 };
      return this.set(key, delta, seconds, now);
    }
    entry.value += delta;
    if (entry.value <= 0) {
      this.#entries.delete(key);
      return { value: 0, msLeft: 0 };
    }
    this.#touch(key, entry);
    return { value: entry.value, msLeft: entry.expiresAt - now };
  }

  set(key: string, value: number, seconds: number, now = Date.now()): Count {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#evict(now);
    const expiresAt = now + seconds * 1000;
    this.#entries.set(key, { value, expiresAt });
    return { value, msLeft: expiresAt - now };
  }

  /** Reading counts as use too: a key under attack is read on every attempt and so is never the one forgotten. */
  get(key: string, now = Date.now()): Count | null {
    const entry = this.#live(key, now);
    if (!entry) return null;
    this.#touch(key, entry);
    return { value: entry.value, msLeft: entry.expiresAt - now };
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Re-inserted so that the map's order is least recently used first. */
  #touch(key: string, entry: { value: number; expiresAt: number }): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  #live(key: string, now: number) {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Drops expired entries among the oldest few, else the oldest one. */
  #evict(now: number): void {
    let scanned = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
      if (++scanned >= 16) break;
    }
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
