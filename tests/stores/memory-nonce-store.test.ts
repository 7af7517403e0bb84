import { MemoryNonceStore } from '../../src/stores/memory-nonce-store';

const T0 = Date.UTC(2025, 0, 1);
const LIFETIME = 300_000;

function clock(start = T0) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

const nc = (n: number) => n.toString(16).padStart(8, '0');

describe('MemoryNonceStore', () => {
  it('accepts each (nonce, use) pair exactly once', () => {
    const { now } = clock();
    const store = new MemoryNonceStore({ now });
    const expiresAt = T0 + LIFETIME;
    expect(store.use('n1', nc(1), expiresAt)).toBe(true);
    expect(store.use('n1', nc(1), expiresAt)).toBe(false);
    expect(store.use('n1', nc(2), expiresAt)).toBe(true);
    expect(store.use('n2', nc(1), expiresAt)).toBe(true);
    expect(store.use('n2', nc(2), expiresAt)).toBe(true);
    expect(store.use('n2', nc(2), expiresAt)).toBe(false);
    expect(store.size).toBe(2);
  });

  it('accepts out-of-order counts once each, as concurrent browser requests send them', () => {
    const { now } = clock();
    const store = new MemoryNonceStore({ now });
    const order = [3, 1, 2, 5, 4, 8, 6, 7];
    expect(order.map((n) => store.use('n', nc(n), T0 + LIFETIME))).toEqual(order.map(() => true));
    expect(order.map((n) => store.use('n', nc(n), T0 + LIFETIME))).toEqual(order.map(() => false));
  });

  it('accepts a use that is not a count (an RFC 2069 response) once', () => {
    const store = new MemoryNonceStore({ now: clock().now });
    expect(store.use('n', 'response-hash', T0 + LIFETIME)).toBe(true);
    expect(store.use('n', 'response-hash', T0 + LIFETIME)).toBe(false);
  });

  it('refuses an expired nonce and forgets it', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now });
    expect(store.use('n', nc(1), T0 + LIFETIME)).toBe(true);
    advance(LIFETIME);
    expect(store.use('n', nc(2), T0 + LIFETIME)).toBe(false);
    expect(store.size).toBe(0);
    expect(store.use('other', nc(1), T0 + LIFETIME)).toBe(false);
    expect(store.size).toBe(0);
  });

  it('refuses uses beyond maxUsesPerNonce', () => {
    const store = new MemoryNonceStore({ now: clock().now, maxUsesPerNonce: 3 });
    expect([1, 2, 3, 4].map((n) => store.use('n', nc(n), T0 + LIFETIME))).toEqual([true, true, true, false]);
  });

  it('fails closed for a live nonce it had to evict', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 2 });
    store.use('a', nc(1), T0 + LIFETIME);
    advance(1_000);
    store.use('b', nc(1), T0 + 1_000 + LIFETIME);
    advance(1_000);
    store.use('c', nc(1), T0 + 2_000 + LIFETIME);
    expect(store.size).toBe(2);
    // 'a' was evicted while alive: even its replay of nc 1 must not be accepted.
    expect(store.use('a', nc(1), T0 + LIFETIME)).toBe(false);
    expect(store.use('a', nc(2), T0 + LIFETIME)).toBe(false);
    // An unknown nonce issued no later than the forgotten one is refused too: the store cannot tell.
    expect(store.use('never-seen', nc(1), T0 + LIFETIME)).toBe(false);
    // Nonces issued after it are unaffected.
    expect(store.use('b', nc(2), T0 + 1_000 + LIFETIME)).toBe(true);
    expect(store.use('d', nc(1), T0 + 2_000 + LIFETIME)).toBe(true);
  });

  it('refuses unseen nonces expiring no later than an evicted live one, until that expiry', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 1 });
    store.use('a', 'r1', T0 + LIFETIME);
    store.use('b', 'r1', T0 + LIFETIME + 1);
    expect(store.use('a', 'r1', T0 + LIFETIME)).toBe(false);
    expect(store.use('c', 'r1', T0 + LIFETIME)).toBe(false);
    // A nonce's expiry never changes, so one expiring later cannot be the forgotten one.
    expect(store.use('d', 'r1', T0 + LIFETIME + 2)).toBe(true);
    advance(LIFETIME);
    // Past the forgotten expiry everything at or below it is refused as expired, nothing more.
    expect(store.use('e', 'r1', T0 + 2 * LIFETIME)).toBe(true);
  });

  it('keeps a nonce without expiry past any lifetime, and refuses its replay', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now });
    expect(store.use('custom', nc(1), Infinity)).toBe(true);
    advance(100 * LIFETIME);
    expect(store.use('other', nc(1), now() + LIFETIME)).toBe(true);
    expect(store.use('custom', nc(1), Infinity)).toBe(false);
    expect(store.use('custom', nc(2), Infinity)).toBe(true);
  });

  it('evicts nonces without expiry oldest first, and refuses nothing else after evicting one', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 2 });
    store.use('x1', nc(1), Infinity);
    store.use('x2', nc(1), Infinity);
    store.use('x3', nc(1), Infinity);
    expect(store.size).toBe(2);
    // x2 and x3 are still remembered; x1 was evicted by the bound and is new again (documented).
    expect(store.use('x2', nc(1), Infinity)).toBe(false);
    expect(store.use('x3', nc(1), Infinity)).toBe(false);
    advance(10 * LIFETIME);
    // New nonces, with or without an expiry, are still accepted after the eviction.
    expect(store.use('x4', nc(1), Infinity)).toBe(true);
    expect(store.use('signed', nc(1), now() + LIFETIME)).toBe(true);
  });

  it('evicts expired entries before live ones', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 2 });
    store.use('short', nc(1), T0 + 1_000);
    store.use('long', nc(1), T0 + LIFETIME);
    advance(2_000);
    expect(store.use('new', nc(1), T0 + 2_000 + LIFETIME)).toBe(true);
    expect(store.size).toBe(2);
    // 'long' survived, so the store still vouches for nonces issued at T0.
    expect(store.use('long', nc(2), T0 + LIFETIME)).toBe(true);
    expect(store.use('other', nc(1), T0 + LIFETIME)).toBe(true);
  });

  it('stays within maxNonces under a flood of distinct nonces', () => {
    const { now, advance } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 10_000 });
    for (let i = 0; i < 200_000; i++) {
      if (i % 1_000 === 0) advance(1);
      store.use(`nonce-${i}`, nc(1), now() + LIFETIME);
    }
    expect(store.size).toBeLessThanOrEqual(10_000);
    expect(store.size).toBeGreaterThan(9_000);
  });

  it('refuses the replay of every nonce it still remembers after a flood wrapped its ring', () => {
    const { now } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 1_000 });
    const expiresAt = (i: number) => T0 + LIFETIME + i;
    for (let i = 0; i < 5_500; i++) expect(store.use(`nonce-${i}`, nc(1), expiresAt(i))).toBe(true);
    expect(store.size).toBe(1_000);
    // The newest 1,000 are remembered: each count once, the next count once.
    for (let i = 4_500; i < 5_500; i++) {
      expect(store.use(`nonce-${i}`, nc(1), expiresAt(i))).toBe(false);
      expect(store.use(`nonce-${i}`, nc(2), expiresAt(i))).toBe(true);
      expect(store.use(`nonce-${i}`, nc(2), expiresAt(i))).toBe(false);
    }
    // The older ones were evicted alive: refused, not taken for new.
    for (let i = 0; i < 4_500; i += 7) expect(store.use(`nonce-${i}`, nc(1), expiresAt(i))).toBe(false);
    expect(store.size).toBe(1_000);
  });

  it('bounds the uses it has to hold across all nonces', () => {
    const { now } = clock();
    const store = new MemoryNonceStore({ now, maxNonces: 1_000, maxUsesPerNonce: 100, maxTotalUses: 250 });
    // Even counts only: count 1 never arrives, so every use has to be held individually.
    for (let n = 0; n < 10; n++) {
      for (let i = 1; i <= 100; i++) expect(store.use(`n${n}`, nc(2 * i), T0 + LIFETIME + n)).toBe(true);
    }
    // 1,000 uses were accepted but at most 250 are held: only the newest nonces survive.
    expect(store.size).toBeLessThanOrEqual(3);
    expect(store.use('n9', nc(2), T0 + LIFETIME + 9)).toBe(false);
    // The evicted ones fail closed.
    expect(store.use('n0', nc(1), T0 + LIFETIME)).toBe(false);
  });

  it('holds nothing for counts that arrive in order', () => {
    const store = new MemoryNonceStore({ now: clock().now, maxUsesPerNonce: 20_000, maxTotalUses: 20_000 });
    for (let i = 1; i <= 20_000; i++) expect(store.use('n', nc(i), T0 + LIFETIME)).toBe(true);
    expect(store.use('n', nc(1), T0 + LIFETIME)).toBe(false);
    expect(store.use('n', nc(20_000), T0 + LIFETIME)).toBe(false);
    // A second nonce is unaffected by the first one's 20,000 uses: none of them is held.
    expect(store.use('m', nc(1), T0 + LIFETIME)).toBe(true);
    expect(store.size).toBe(2);
  });

  it('refuses a count more than 256 behind the highest, and accepts one just inside', () => {
    const store = new MemoryNonceStore({ now: clock().now });
    expect(store.use('n', nc(300), T0 + LIFETIME)).toBe(true);
    expect(store.use('n', nc(44), T0 + LIFETIME)).toBe(false);
    expect(store.use('n', nc(45), T0 + LIFETIME)).toBe(true);
    expect(store.use('n', nc(45), T0 + LIFETIME)).toBe(false);
  });

  it('keeps refusing held counts after the window moved past them', () => {
    const store = new MemoryNonceStore({ now: clock().now, maxUsesPerNonce: 10_000 });
    for (let i = 2; i <= 1_000; i += 2) store.use('n', nc(i), T0 + LIFETIME);
    expect(store.use('n', nc(500), T0 + LIFETIME)).toBe(false);
    expect(store.use('n', nc(998), T0 + LIFETIME)).toBe(false);
    expect(store.use('n', nc(999), T0 + LIFETIME)).toBe(true);
  });

  it('treats anything but an 8-digit count as an RFC 2069 response, each accepted once', () => {
    const store = new MemoryNonceStore({ now: clock().now });
    expect(store.use('n', 'a'.repeat(32), T0 + LIFETIME)).toBe(true);
    expect(store.use('n', 'b'.repeat(32), T0 + LIFETIME)).toBe(true);
    expect(store.use('n', 'a'.repeat(32), T0 + LIFETIME)).toBe(false);
  });

  it.each([
    [{ maxNonces: 0 }],
    [{ maxNonces: 1.5 }],
    [{ maxUsesPerNonce: -1 }],
    [{ maxTotalUses: Number.NaN }],
    [{ maxUsesPerNonce: 10, maxTotalUses: 5 }],
  ])('throws a TypeError for %j', (options) => {
    expect(() => new MemoryNonceStore(options)).toThrow(TypeError);
  });
});
