import { SlotIndex } from '../../src/stores/slot-index';

// A small deterministic generator, so a failure can be replayed.
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Checks every key of the model is found at its slot and every removed key is not found. */
function expectMatches(index: SlotIndex, model: Map<number, number>, removed: number[]) {
  expect(index.size).toBe(model.size);
  for (const [key, slot] of model) expect(index.get(key)).toBe(slot);
  for (const key of removed) if (!model.has(key)) expect(index.get(key)).toBe(-1);
}

describe('SlotIndex (MemoryNonceStore index)', () => {
  it.each([1, 2, 7, 64])('matches a Map through random adds and deletes (capacity %i)', (capacity) => {
    const next = random(capacity);
    const keys = new Float64Array(capacity).fill(-1);
    const index = new SlotIndex(keys);
    const model = new Map<number, number>();
    const removed: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      const free = [...keys.keys()].filter((slot) => keys[slot] === -1);
      if (free.length > 0 && (model.size === 0 || next() < 0.55)) {
        const slot = free[Math.floor(next() * free.length)];
        // 52-bit keys as the store makes them; small ones too, so many share a home bucket.
        const key = next() < 0.5 ? Math.floor(next() * 2 ** 52) : Math.floor(next() * 16);
        if (model.has(key)) continue;
        keys[slot] = key;
        index.add(slot);
        model.set(key, slot);
      } else {
        const [key, slot] = [...model][Math.floor(next() * model.size)];
        index.delete(slot);
        keys[slot] = -1;
        model.delete(key);
        removed.push(key);
        if (removed.length > 50) removed.shift();
      }
      if (step % 97 === 0) expectMatches(index, model, removed);
    }
    expectMatches(index, model, removed);
  });

  it('finds nothing in an empty index, and nothing once the only key is deleted', () => {
    const keys = new Float64Array(4).fill(-1);
    const index = new SlotIndex(keys);
    expect(index.get(0)).toBe(-1);
    keys[2] = 2 ** 52 - 1;
    index.add(2);
    expect(index.get(2 ** 52 - 1)).toBe(2);
    expect(index.get(2 ** 52 - 2)).toBe(-1);
    index.delete(2);
    expect(index.get(2 ** 52 - 1)).toBe(-1);
    expect(index.size).toBe(0);
  });
});
