import { parseAuthParams, quote } from '../../src/internal/auth-params';

describe('parseAuthParams', () => {
  it.each([
    ['a=1', { a: '1' }],
    ['A="x y", b=2', { a: 'x y', b: '2' }],
    ['a="with \\"escaped\\" quotes and \\\\ backslash"', { a: 'with "escaped" quotes and \\ backslash' }],
    ['a="\\x\\y"', { a: 'xy' }],
    ['a = "spaced" ,  , b=tok', { a: 'spaced', b: 'tok' }],
    ['a="tab\tok"', { a: 'tab\tok' }],
    ['a=""', { a: '' }],
    ['', {}],
  ])('parses %j', (input, expected) => {
    expect(Object.fromEntries(parseAuthParams(input) ?? [])).toEqual(expected);
  });

  it.each([
    ['a', 'no value'],
    ['a=', 'empty token value'],
    ['a="open', 'unclosed quote'],
    ['a="x\\', 'dangling escape'],
    ['a=1, a=2', 'duplicate name'],
    ['a=1, A=2', 'duplicate name in another case'],
    ['a=1 b=2', 'missing comma'],
    ['a="\u0001"', 'control character'],
    ['a="\u007f"', 'DEL'],
    ['=1', 'no name'],
    ['a=x"y"', 'quote inside a token'],
  ])('refuses %j (%s)', (input) => {
    expect(parseAuthParams(input)).toBeUndefined();
  });
});

describe('quote', () => {
  it('escapes quotes and backslashes', () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(parseAuthParams(`x=${quote('a"b\\c')}`)?.get('x')).toBe('a"b\\c');
  });
});
