import { decodeBase64url, isCanonicalBase64url } from '../../../src/schemes/jwt/base64url';

describe('isCanonicalBase64url', () => {
  it.each([
    ['', true],
    ['AA', true],
    ['AAA', true],
    ['AAAA', true],
    ['eyJhbGciOiJFUzI1NiJ9', true],
    ['-_', false], // "_" (63) has non-zero low bits in a 2-character tail
    ['-w', true], // 62, 48: 0b110000 — the low 4 bits are zero
    ['AB', false], // B = 1: a spare bit set
    ['AQ', true],
    ['AAB', false], // B = 1: one of the two spare bits set
    ['AAE', true],
    ['A', false], // 6 bits are not a byte
    ['AAAAA', false],
    ['AA==', false],
    ['AA=', false],
    ['AA+/', false], // base64, not base64url
    ['AA AA', false],
    ['AA\nAA', false],
    ['AAé', false],
  ])('%j → %s', (text, expected) => {
    expect(isCanonicalBase64url(text)).toBe(expected);
  });

  it('accepts exactly what Node encodes, for every 1–3 byte tail', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) & 0xff));
      expect(isCanonicalBase64url(bytes.toString('base64url'))).toBe(true);
    }
  });

  it('gives every byte string a single spelling: each non-canonical last character is refused', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const prefix of ['A', 'AA']) {
      const accepted = [...alphabet].filter((last) => isCanonicalBase64url(prefix + last));
      // 2 characters carry 1 byte: 4 spare bits, 64 / 16 = 4 canonical last characters; 3 carry 2 bytes: 64 / 4 = 16.
      expect(accepted.length).toBe(prefix.length === 1 ? 4 : 16);
      const decoded = new Set(accepted.map((last) => Buffer.from(prefix + last, 'base64url').toString('hex')));
      expect(decoded.size).toBe(accepted.length);
    }
  });
});

describe('decodeBase64url', () => {
  it('decodes canonical text', () => {
    expect(decodeBase64url('aGVsbG8')?.toString()).toBe('hello');
  });

  it('refuses what Node alone would decode leniently', () => {
    expect(Buffer.from('aGVsbG8=', 'base64url').toString()).toBe('hello');
    expect(decodeBase64url('aGVsbG8=')).toBeUndefined();
    expect(decodeBase64url('aGVsbG9')).toBeUndefined(); // same bytes as aGVsbG8 to Node
    expect(Buffer.from('aGVsbG9', 'base64url').toString()).toBe('hello');
    expect(decodeBase64url('aGV sbG8')).toBeUndefined();
  });
});
