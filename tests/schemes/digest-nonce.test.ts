import { createNonceSigner, createOpaque, randomSecret } from '../../src/schemes/digest-nonce';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const T0 = Date.UTC(2025, 0, 1);

function clock(start = T0) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('createNonceSigner', () => {
  it('round-trips a nonce and reports its issue and expiry times', () => {
    const { now } = clock();
    const signer = createNonceSigner(SECRET, 300, now);
    const nonce = signer.generate();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{75}$/);
    expect(signer.verify(nonce)).toEqual({ valid: true, stale: false, issuedAt: T0, expiresAt: T0 + 300_000 });
  });

  it('generates a different nonce each time', () => {
    const signer = createNonceSigner(SECRET, 300, clock().now);
    const nonces = new Set(Array.from({ length: 100 }, () => signer.generate()));
    expect(nonces.size).toBe(100);
  });

  it('accepts a string secret', () => {
    const signer = createNonceSigner('a passphrase shared by the cluster', 60);
    expect(signer.verify(signer.generate()).valid).toBe(true);
  });

  it('refuses a nonce with any character changed', () => {
    const signer = createNonceSigner(SECRET, 300, clock().now);
    const nonce = signer.generate();
    for (let i = 0; i < nonce.length; i++) {
      const replacement = nonce[i] === 'A' ? 'B' : 'A';
      const tampered = nonce.slice(0, i) + replacement + nonce.slice(i + 1);
      expect(signer.verify(tampered)).toEqual({ valid: false, stale: false });
    }
  });

  it('refuses a nonce with any decoded byte flipped', () => {
    const signer = createNonceSigner(SECRET, 300, clock().now);
    const bytes = Buffer.from(signer.generate(), 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] ^= 0x01;
      expect(signer.verify(copy.toString('base64url'))).toEqual({ valid: false, stale: false });
    }
  });

  it('refuses a non-canonical spelling of a valid nonce', () => {
    const signer = createNonceSigner(SECRET, 300, clock().now);
    const nonce = signer.generate();
    // 56 bytes leave 2 unused bits in the last character; setting them decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(nonce[nonce.length - 1]);
    const variant = nonce.slice(0, -1) + alphabet[last | 0b11];
    expect(variant).not.toBe(nonce);
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(nonce, 'base64url'))).toBe(true);
    expect(signer.verify(variant)).toEqual({ valid: false, stale: false });
  });

  it.each([
    ['empty', ''],
    ['too short', 'abc'],
    ['padded', `${'A'.repeat(75)}=`],
    ['standard base64', `${'A'.repeat(74)}+`],
    ['non-ASCII', `${'A'.repeat(74)}é`],
  ])('refuses a nonce that is %s', (_name, nonce) => {
    const signer = createNonceSigner(SECRET, 300, clock().now);
    expect(signer.verify(nonce)).toEqual({ valid: false, stale: false });
  });

  it('refuses a nonce signed with another secret', () => {
    const { now } = clock();
    const nonce = createNonceSigner(randomSecret(), 300, now).generate();
    expect(createNonceSigner(SECRET, 300, now).verify(nonce)).toEqual({ valid: false, stale: false });
  });

  it('accepts a nonce from another signer sharing the secret', () => {
    const { now } = clock();
    const nonce = createNonceSigner(SECRET, 300, now).generate();
    expect(createNonceSigner(Uint8Array.from(SECRET), 300, now).verify(nonce).valid).toBe(true);
  });

  it('reports an expired nonce as stale, with its times', () => {
    const { now, advance } = clock();
    const signer = createNonceSigner(SECRET, 300, now);
    const nonce = signer.generate();
    advance(299_999);
    expect(signer.verify(nonce).valid).toBe(true);
    advance(1);
    expect(signer.verify(nonce)).toEqual({ valid: false, stale: true, issuedAt: T0, expiresAt: T0 + 300_000 });
  });

  it('remembers verified nonces without changing a verdict: expiry still applies, other spellings still fail, the bound holds', () => {
    const { now, advance } = clock();
    const signer = createNonceSigner(SECRET, 300, now);
    const nonce = signer.generate();
    expect(signer.verify(nonce).valid).toBe(true);
    const last = nonce[nonce.length - 2];
    const tampered = `${nonce.slice(0, -2)}${last === 'A' ? 'B' : 'A'}${nonce.slice(-1)}`;
    expect(signer.verify(tampered)).toEqual({ valid: false, stale: false });
    // More verified nonces than it remembers: the first is checked from scratch again.
    for (let i = 0; i < 5_000; i++) signer.verify(signer.generate());
    expect(signer.verify(nonce)).toEqual({ valid: true, stale: false, issuedAt: T0, expiresAt: T0 + 300_000 });
    advance(300_000);
    expect(signer.verify(nonce)).toEqual({ valid: false, stale: true, issuedAt: T0, expiresAt: T0 + 300_000 });
  });

  it('tolerates 5 s of clock skew and refuses nonces from further in the future', () => {
    const issuer = clock(T0 + 5_000);
    const lagging = clock(T0);
    const nonce = createNonceSigner(SECRET, 300, issuer.now).generate();
    expect(createNonceSigner(SECRET, 300, lagging.now).verify(nonce).valid).toBe(true);
    lagging.advance(-1);
    expect(createNonceSigner(SECRET, 300, lagging.now).verify(nonce)).toEqual({ valid: false, stale: false });
  });

  it('says a nonce is near expiry once less than the threshold fraction of its life remains', () => {
    const { now, advance } = clock();
    const signer = createNonceSigner(SECRET, 100, now);
    const nonce = signer.generate();
    advance(80_000);
    expect(signer.nearExpiry(nonce)).toBe(false);
    advance(1);
    expect(signer.nearExpiry(nonce)).toBe(true);
    expect(signer.nearExpiry(nonce, 0.1)).toBe(false);
    advance(10_000);
    expect(signer.nearExpiry(nonce, 0.1)).toBe(true);
  });

  it('never says an invalid or stale nonce is near expiry', () => {
    const { now, advance } = clock();
    const signer = createNonceSigner(SECRET, 100, now);
    const nonce = signer.generate();
    advance(100_000);
    expect(signer.nearExpiry(nonce)).toBe(false);
    expect(signer.nearExpiry('garbage')).toBe(false);
  });

  it.each([
    ['an empty secret', '', 300],
    ['an empty byte secret', new Uint8Array(0), 300],
    ['a zero lifetime', SECRET, 0],
    ['a negative lifetime', SECRET, -1],
    ['a NaN lifetime', SECRET, Number.NaN],
  ])('throws a TypeError for %s', (_name, secret, lifetime) => {
    expect(() => createNonceSigner(secret, lifetime)).toThrow(TypeError);
  });
});

describe('opaque', () => {
  it('is the same for every instance sharing the secret', () => {
    expect(createOpaque(SECRET)).toBe(createOpaque(Buffer.from(SECRET)));
    expect(createOpaque('shared')).toBe(createOpaque('shared'));
    expect(createOpaque(SECRET)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('differs between secrets', () => {
    expect(createOpaque(SECRET)).not.toBe(createOpaque(randomSecret()));
  });

  it('refuses an empty secret', () => {
    expect(() => createOpaque('')).toThrow(TypeError);
  });
});

describe('randomSecret', () => {
  it('returns 32 fresh random bytes', () => {
    const a = randomSecret();
    expect(a).toHaveLength(32);
    expect(a.equals(randomSecret())).toBe(false);
  });
});
