import { MAX_TOKEN_LENGTH, parseCompactJws } from '../../../src/schemes/jwt/compact';
import { b64 } from './tokens';

const HEADER = b64({ alg: 'ES256', typ: 'at+jwt' });
const PAYLOAD = b64({ iss: 'https://id.example.test', exp: 2_000_000_000 });
const SIGNATURE = Buffer.alloc(64, 7).toString('base64url');

describe('parseCompactJws', () => {
  it('parses a canonical compact JWS into header, claims, signing input and signature', () => {
    const parsed = parseCompactJws(`${HEADER}.${PAYLOAD}.${SIGNATURE}`);
    expect(parsed).toEqual({
      header: { alg: 'ES256', typ: 'at+jwt' },
      payload: { iss: 'https://id.example.test', exp: 2_000_000_000 },
      signingInput: Buffer.from(`${HEADER}.${PAYLOAD}`),
      signature: Buffer.alloc(64, 7),
    });
  });

  it('parses an empty signature (left for the alg and signature checks to refuse)', () => {
    expect(parseCompactJws(`${HEADER}.${PAYLOAD}.`)).toMatchObject({ signature: Buffer.alloc(0) });
  });

  it.each([
    ['2 segments', `${HEADER}.${PAYLOAD}`],
    ['4 segments', `${HEADER}.${PAYLOAD}.${SIGNATURE}.${SIGNATURE}`],
    ['5 segments (a JWE)', `${HEADER}.a.b.c.d`],
    ['no dots', HEADER],
    ['empty', ''],
    ['empty header', `.${PAYLOAD}.${SIGNATURE}`],
    ['empty payload', `${HEADER}..${SIGNATURE}`],
    ['padded signature', `${HEADER}.${PAYLOAD}.${SIGNATURE}==`],
    ['padded header', `${b64({ alg: 'ES256', typ: 'at+jwt!' })}=.${PAYLOAD}.${SIGNATURE}`],
    ['standard base64 characters', `${HEADER}.${PAYLOAD}.${SIGNATURE.slice(0, -2)}+/`],
    ['a space inside', `${HEADER}.${PAYLOAD} .${SIGNATURE}`],
    ['a line break inside', `${HEADER}.\n${PAYLOAD}.${SIGNATURE}`],
    ['non-zero spare bits in the signature', `${HEADER}.${PAYLOAD}.${SIGNATURE.slice(0, -1)}${String.fromCharCode(SIGNATURE.charCodeAt(SIGNATURE.length - 1) + 1)}`],
    ['a header that is a JSON array', `${b64('[{"alg":"ES256"}]')}.${PAYLOAD}.${SIGNATURE}`],
    ['claims that are a JSON array', `${HEADER}.${b64('[{"exp":2000000000}]')}.${SIGNATURE}`],
    ['claims that are a JSON string', `${HEADER}.${b64('"claims"')}.${SIGNATURE}`],
    ['claims that are null', `${HEADER}.${b64('null')}.${SIGNATURE}`],
    ['claims that are not JSON', `${HEADER}.${b64('{exp: 1}')}.${SIGNATURE}`],
    ['claims with invalid UTF-8', `${HEADER}.${b64(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]))}.${SIGNATURE}`],
    ['a header with invalid UTF-8', `${b64(Buffer.concat([Buffer.from('{"alg":"ES256","x":"'), Buffer.from([0xff]), Buffer.from('"}')]))}.${PAYLOAD}.${SIGNATURE}`],
    ['an overlong UTF-8 encoding', `${HEADER}.${b64(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]))}.${SIGNATURE}`],
    ['a UTF-8 byte-order mark before the claims', `${HEADER}.${b64(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"exp":2000000000}')]))}.${SIGNATURE}`],
    ['a JSON document with trailing text', `${HEADER}.${b64('{"exp":1} {"exp":2}')}.${SIGNATURE}`],
  ])('refuses %s as malformed', (_, token) => {
    expect(parseCompactJws(token)).toBe('malformed');
  });

  it('refuses a token over 8192 characters before decoding anything, and parses the longest one below', () => {
    const filler = (length: number) => `${HEADER}.${b64({ pad: 'x'.repeat(length) })}.${SIGNATURE}`;
    let length = 0;
    while (filler(length + 1).length <= MAX_TOKEN_LENGTH) length++;
    expect(filler(length).length).toBeGreaterThan(MAX_TOKEN_LENGTH - 4);
    expect(typeof parseCompactJws(filler(length))).toBe('object');
    expect(parseCompactJws(filler(length + 3))).toBe('token_too_large');
    // Not even the syntax is looked at: 8193 characters of garbage are "too large", 8192 "malformed".
    expect(parseCompactJws('!'.repeat(MAX_TOKEN_LENGTH + 1))).toBe('token_too_large');
    expect(parseCompactJws('!'.repeat(MAX_TOKEN_LENGTH))).toBe('malformed');
  });

  it('takes the last of duplicate members, as JSON.parse (and jose) do', () => {
    const parsed = parseCompactJws(`${b64('{"alg":"none","alg":"ES256"}')}.${PAYLOAD}.${SIGNATURE}`);
    expect(parsed).toMatchObject({ header: { alg: 'ES256' } });
  });

  it('keeps "__proto__" as a plain member, never as the prototype', () => {
    const parsed = parseCompactJws(`${HEADER}.${b64('{"__proto__":{"admin":true},"exp":1}')}.${SIGNATURE}`);
    expect(typeof parsed).toBe('object');
    const payload = (parsed as { payload: Record<string, unknown> }).payload;
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect((payload as { admin?: boolean }).admin).toBeUndefined();
  });
});
