import { checkHeader, normalizeTyp, type HeaderPolicy } from '../../../src/schemes/jwt/header';

const policy: HeaderPolicy = { algorithms: ['RS256', 'ES256'], typ: ['application/at+jwt'] };
const valid = { alg: 'ES256', typ: 'at+jwt', kid: 'k1' };

describe('checkHeader', () => {
  it('returns alg and kid of a valid header', () => {
    expect(checkHeader(valid, policy)).toEqual({ alg: 'ES256', kid: 'k1' });
    expect(checkHeader({ alg: 'RS256', typ: 'at+jwt' }, policy)).toEqual({ alg: 'RS256' });
  });

  it.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+Jwt'])('accepts typ %j (media types compare case-insensitively, application/ optional)', (typ) => {
    expect(checkHeader({ ...valid, typ }, policy)).toEqual({ alg: 'ES256', kid: 'k1' });
  });

  it.each([
    ['alg none', { alg: 'none' }, 'alg_not_allowed'],
    ['alg NONE', { alg: 'NONE' }, 'alg_not_allowed'],
    ['alg noNE', { alg: 'noNE' }, 'alg_not_allowed'],
    ['alg es256', { alg: 'es256' }, 'alg_not_allowed'],
    ['alg HS256 (supported, not allowed)', { alg: 'HS256' }, 'alg_not_allowed'],
    ['alg PS256 (supported, not allowed)', { alg: 'PS256' }, 'alg_not_allowed'],
    ['no alg', { alg: undefined }, 'alg_not_allowed'],
    ['alg as an array', { alg: ['ES256'] }, 'alg_not_allowed'],
    ['alg constructor', { alg: 'constructor' }, 'alg_not_allowed'],
    ['an unknown crit', { crit: ['exp'], exp: 1 }, 'crit_unsupported'],
    ['crit b64 (RFC 7797)', { crit: ['b64'], b64: false }, 'crit_unsupported'],
    ['an empty crit', { crit: [] }, 'malformed'],
    ['crit as a string', { crit: 'exp' }, 'malformed'],
    ['crit naming alg', { crit: ['alg'] }, 'malformed'],
    ['crit with a duplicate', { crit: ['x', 'x'] }, 'malformed'],
    ['crit with a number', { crit: [1] }, 'malformed'],
    ['kid a number', { kid: 1 }, 'kid_invalid'],
    ['kid empty', { kid: '' }, 'kid_invalid'],
    ['kid of 10 KB', { kid: 'k'.repeat(10_240) }, 'kid_invalid'],
    ['kid an object', { kid: { $ne: null } }, 'kid_invalid'],
    ['typ JWT (an ID token)', { typ: 'JWT' }, 'typ_not_allowed'],
    ['no typ', { typ: undefined }, 'typ_not_allowed'],
    ['typ with parameters', { typ: 'at+jwt; charset=utf-8' }, 'typ_not_allowed'],
    ['typ dpop+jwt', { typ: 'dpop+jwt' }, 'typ_not_allowed'],
    ['typ as a number', { typ: 1 }, 'typ_not_allowed'],
  ])('refuses %s', (_, change, code) => {
    expect(checkHeader({ ...valid, ...change }, policy)).toMatchObject({ ok: false, status: 401, error: 'invalid_token', code });
  });

  it('accepts a kid of 256 characters, including path characters (it is only ever a map key)', () => {
    expect(checkHeader({ ...valid, kid: 'k'.repeat(256) }, policy)).toMatchObject({ kid: 'k'.repeat(256) });
    expect(checkHeader({ ...valid, kid: '../../dev/null' }, policy)).toMatchObject({ kid: '../../dev/null' });
  });

  it('ignores jku, x5u, x5c and jwk', () => {
    expect(checkHeader({ ...valid, jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/x5u', x5c: ['MII'], jwk: { kty: 'EC' } }, policy)).toEqual({ alg: 'ES256', kid: 'k1' });
  });

  it('with typ false, accepts any typ or none', () => {
    expect(checkHeader({ alg: 'ES256', typ: 'JWT' }, { ...policy, typ: false })).toEqual({ alg: 'ES256' });
    expect(checkHeader({ alg: 'ES256' }, { ...policy, typ: false })).toEqual({ alg: 'ES256' });
  });

  it('names the refused typ in the log detail with only safe characters, never in the description', () => {
    const refusal = checkHeader({ ...valid, typ: 'JWT"\r\nX-Injected: 1' }, policy);
    expect(refusal).toMatchObject({ code: 'typ_not_allowed', description: 'the token type (typ) is not accepted; an access token is expected' });
    const detail = (refusal as { detail: string }).detail;
    expect(detail).toContain('"JWTX-Injected1"');
    expect(detail).toContain('typ option');
    expect(detail).not.toMatch(/[\r\n]/);
  });
});

describe('normalizeTyp', () => {
  it('lower-cases and adds application/ when there is no slash', () => {
    expect(normalizeTyp('at+JWT')).toBe('application/at+jwt');
    expect(normalizeTyp('application/AT+jwt')).toBe('application/at+jwt');
    expect(normalizeTyp('text/plain')).toBe('text/plain');
  });
});
