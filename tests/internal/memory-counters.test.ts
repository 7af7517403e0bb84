import { MemoryCounters } from '../../src/internal/memory-counters';

describe('MemoryCounters (the throttle memory store)', () => {
  it('never holds more than max keys, however many distinct keys are counted', () => {
    const counters = new MemoryCounters(100);
    for (let i = 0; i < 10_000; i++) counters.add(`u:${i}`, 1, 60);
    expect(counters.size).toBe(100);
    expect(counters.get('u:9999')?.value).toBe(1);
    expect(counters.get('u:0')).toBeNull();
  });

  it('forgets the least recently used key first: one read or counted on every attempt stays', () => {
    const counters = new MemoryCounters(3);
    counters.set('f:u:victim', 4, 300);
    for (let i = 0; i < 50; i++) {
      counters.add(`f:u:junk${i}`, 1, 60);
      expect(counters.get('f:u:victim')?.value).toBe(4);
    }
    expect(counters.size).toBe(3);
  });

  it('drops expired keys before live ones when full', () => {
    const counters = new MemoryCounters(2);
    counters.add('old', 1, 1, 0);
    counters.add('live', 1, 60, 0);
    counters.add('new', 1, 60, 5_000);
    expect(counters.get('live', 5_000)?.value).toBe(1);
    expect(counters.get('new', 5_000)?.value).toBe(1);
  });

  it('counts within a window and starts a new one after it', () => {
    const counters = new MemoryCounters(10);
    expect(counters.add('k', 1, 10, 0)).toEqual({ value: 1, msLeft: 10_000 });
    expect(counters.add('k', 1, 10, 4_000)).toEqual({ value: 2, msLeft: 6_000 });
    expect(counters.add('k', 1, 10, 10_000)).toEqual({ value: 1, msLeft: 10_000 });
  });

  it('drops a point given back to a key that is gone, so it cannot lower the next window', () => {
    const counters = new MemoryCounters(10);
    counters.add('r:k', 1, 1, 0);
    expect(counters.add('r:k', -1, 1, 2_000)).toEqual({ value: 0, msLeft: 0 });
    expect(counters.add('r:k', 1, 1, 2_000).value).toBe(1);
    expect(counters.add('r:k', -1, 1, 2_100)).toEqual({ value: 0, msLeft: 0 });
    expect(counters.size).toBe(0);
  });
});
