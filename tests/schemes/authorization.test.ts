import { sameScheme, splitAuthorization } from '../../src/schemes/authorization';

/** RFC 9110 §11.4 `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, as a regular expression: the reference. */
function reference(value: string): { scheme: string; rest: string } | undefined {
  const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]+([\s\S]*))?$/.exec(value.trim());
  return match ? { scheme: match[1], rest: (match[2] ?? '').trim() } : undefined;
}

describe('splitAuthorization', () => {
  it.each([
    ['Basic am9objpoZWxsbw==', { scheme: 'Basic', rest: 'am9objpoZWxsbw==' }],
    ['  Bearer   abc  ', { scheme: 'Bearer', rest: 'abc' }],
    ['Bearer', { scheme: 'Bearer', rest: '' }],
    ['Digest\tusername="a"', { scheme: 'Digest', rest: 'username="a"' }],
    ['Digest \n x', { scheme: 'Digest', rest: 'x' }],
    ['Basic\nabc', undefined],
    ['Bas(ic abc', undefined],
    ['', undefined],
    ['   ', undefined],
    [' =abc', undefined],
    ['Bearer\u00a0abc', undefined],
  ])('%j', (value, expected) => {
    expect(splitAuthorization(value)).toEqual(expected);
    expect(reference(value)).toEqual(expected);
  });

  it('agrees with the grammar on random header values', () => {
    const alphabet = ['B', 'a', 's', 'i', 'c', ' ', '\t', '\n', '\r', '=', '"', ',', '(', '\u00a0', '\u2028', '~', '\u00e9', '\u0000'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(random() * 12);
      const value = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect({ value, split: splitAuthorization(value) }).toEqual({ value, split: reference(value) });
    }
  });

  it('is undefined for a missing header', () => {
    expect(splitAuthorization(undefined)).toBeUndefined();
  });
});

describe('sameScheme', () => {
  it.each([
    ['Basic', 'basic', true],
    ['BEARER', 'Bearer', true],
    ['Basic', 'Basics', false],
    ['Digest', 'Basic', false],
  ])('%s vs %s', (a, b, expected) => expect(sameScheme(a, b)).toBe(expected));
});
