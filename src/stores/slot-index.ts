/**
 * The index of a `MemoryNonceStore`: from a record's numeric key to its slot in the ring.
 *
 * A `Map<number, number>` would do, but its keys are 52-bit numbers, outside the small-integer
 * range, so V8 boxes every key it holds in a heap object of its own. Under a flood those boxes
 * live as long as their nonce, get promoted among the flood's short-lived garbage, and keep
 * otherwise empty old-space pages alive after the flood (bench/flood.ts, 1,000,000 nonces: RSS
 * +59 and +83 MB after a full GC, old space 118–140 MB committed for 24 MB in use). This index
 * is one Int32Array sized at construction, open addressing with linear probing, so no use of the
 * store allocates anything on the heap (the same flood: +7 and +11 MB).
 */
export class SlotIndex {
  // slot + 1 per bucket; 0 is an empty bucket.
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #shift: number;
  // The store's keys by slot: the index holds slots only and reads their keys from here.
  readonly #keys: Float64Array;
  #size = 0;

  /** `keys` is the store's key per slot; the index never holds more than `keys.length` entries. */
  constructor(keys: Float64Array) {
    // At most half full, so probe runs stay short and there is always an empty bucket.
    let bits = 1;
    while (2 ** bits < keys.length * 2) bits++;
    this.#table = new Int32Array(2 ** bits);
    this.#mask = 2 ** bits - 1;
    this.#shift = 32 - bits;
    this.#keys = keys;
  }

  get size(): number {
    return this.#size;
  }

  /** The slot whose key is `key`, or -1. */
  get(key: number): number {
    for (let b = this.#home(key); ; b = (b + 1) & this.#mask) {
      const entry = this.#table[b];
      if (entry === 0) return -1;
      if (this.#keys[entry - 1] === key) return entry - 1;
    }
  }

  /** Adds `slot`, whose key (not in the index yet) is already in `keys[slot]`. */
  add(slot: number): void {
    let b = this.#home(this.#keys[slot]);
    while (this.#table[b] !== 0) b = (b + 1) & this.#mask;
    this.#table[b] = slot + 1;
    this.#size++;
  }

  /** Removes `slot`; its key must still be in `keys[slot]`. */
  delete(slot: number): void {
    let hole = this.#home(this.#keys[slot]);
    for (; this.#table[hole] !== slot + 1; hole = (hole + 1) & this.#mask) {
      if (this.#table[hole] === 0) return;
    }
    // Backward-shift deletion (no tombstones): every later entry of the run whose home bucket is
    // not between the hole and itself moves into the hole, so lookups never stop short of it.
    for (let b = (hole + 1) & this.#mask; this.#table[b] !== 0; b = (b + 1) & this.#mask) {
      const entry = this.#table[b];
      if (((b - this.#home(this.#keys[entry - 1])) & this.#mask) >= ((b - hole) & this.#mask)) {
        this.#table[hole] = entry;
        hole = b;
      }
    }
    this.#table[hole] = 0;
    this.#size--;
  }

  // Keys are non-negative integers below 2^53: mix the two halves, keep the top bits.
  #home(key: number): number {
    const low = key >>> 0;
    const high = (key - low) / 0x100000000;
    return Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> this.#shift;
  }
}
