import { checkClaims, checkIssuer, isNumericDate, type ClaimsPolicy } from '../../../src/schemes/jwt/claims';

const NOW = 1_800_000_000;
const policy: ClaimsPolicy = { issuers: ['https://a.example', 'https://b.example/'], audiences: ['api', 'https://api.example'], clockTolerance: 30 };
const valid = { iss: 'https://a.example', aud: 'api', exp: NOW + 60, iat: NOW - 10, nbf: NOW - 10 };

describe('checkClaims', () => {
  it('accepts a valid claim set, with or without nbf and iat', () => {
    expect(checkClaims(valid, policy, NOW)).toBeUndefined();
    expect(checkClaims({ aud: 'api', exp: NOW + 1 }, policy, NOW)).toBeUndefined();
  });

  it.each([
    ['no exp', { exp: undefined }, 'exp_missing'],
    ['exp as a string', { exp: String(NOW + 60) }, 'exp_invalid'],
    ['exp null', { exp: null }, 'exp_invalid'],
    ['exp 1e400 (Infinity after JSON.parse)', { exp: JSON.parse('1e400') }, 'exp_invalid'],
    ['exp beyond the safe integers', { exp: 2 ** 53 }, 'exp_invalid'],
    ['exp negative', { exp: -1 }, 'exp_invalid'],
    ['exp NaN', { exp: NaN }, 'exp_invalid'],
    ['exp in an array', { exp: [NOW + 60] }, 'exp_invalid'],
    ['exp = now - tolerance', { exp: NOW - 30 }, 'expired'],
    ['exp long past', { exp: NOW - 3600 }, 'expired'],
    ['nbf beyond the tolerance', { nbf: NOW + 31 }, 'not_yet_valid'],
    ['nbf as a string', { nbf: 'now' }, 'nbf_invalid'],
    ['iat one day ahead', { iat: NOW + 86_400 }, 'iat_in_future'],
    ['iat beyond the tolerance', { iat: NOW + 31 }, 'iat_in_future'],
    ['iat as a string', { iat: String(NOW) }, 'iat_invalid'],
    ['iat Infinity', { iat: Infinity }, 'iat_invalid'],
    ['no aud', { aud: undefined }, 'audience_not_allowed'],
    ['another audience', { aud: 'other' }, 'audience_not_allowed'],
    ['aud differing in case', { aud: 'API' }, 'audience_not_allowed'],
    ['aud differing by a trailing slash', { aud: 'https://api.example/' }, 'audience_not_allowed'],
    ['an empty aud array', { aud: [] }, 'audience_not_allowed'],
    ['an aud array with a number', { aud: ['other', 7] }, 'audience_not_allowed'],
    ['aud as an object', { aud: { api: true } }, 'audience_not_allowed'],
    ['aud as a space-separated string', { aud: 'other api' }, 'audience_not_allowed'],
  ])('refuses %s', (_, change, code) => {
    expect(checkClaims({ ...valid, ...change }, policy, NOW)).toBe(code);
  });

  it.each([
    ['exp = now + 1', { exp: NOW + 1 }],
    ['exp = now (within the tolerance)', { exp: NOW }],
    ['exp = now - tolerance + 1', { exp: NOW - 29 }],
    ['a fractional exp', { exp: NOW + 0.5 }],
    ['nbf within the tolerance', { nbf: NOW + 30 }],
    ['iat within the tolerance', { iat: NOW + 30 }],
    ['an aud array containing an audience', { aud: ['other', 'https://api.example'] }],
  ])('accepts %s', (_, change) => {
    expect(checkClaims({ ...valid, ...change }, policy, NOW)).toBeUndefined();
  });

  it('with no tolerance, exp = now is expired and exp = now + 1 is not', () => {
    const strict = { ...policy, clockTolerance: 0 };
    expect(checkClaims({ ...valid, exp: NOW }, strict, NOW)).toBe('expired');
    expect(checkClaims({ ...valid, exp: NOW + 1 }, strict, NOW)).toBeUndefined();
    expect(checkClaims({ ...valid, nbf: NOW + 1 }, strict, NOW)).toBe('not_yet_valid');
    expect(checkClaims({ ...valid, iat: NOW + 1 }, strict, NOW)).toBe('iat_in_future');
  });

  it('maxTokenAge: requires iat and refuses older tokens', () => {
    const aged = { ...policy, maxTokenAge: 300 };
    expect(checkClaims({ ...valid, iat: NOW - 300 }, aged, NOW)).toBeUndefined();
    expect(checkClaims({ ...valid, iat: NOW - 330 }, aged, NOW)).toBeUndefined();
    expect(checkClaims({ ...valid, iat: NOW - 331 }, aged, NOW)).toBe('too_old');
    expect(checkClaims({ ...valid, iat: undefined }, aged, NOW)).toBe('iat_missing');
  });
});

describe('checkIssuer', () => {
  it.each([
    ['https://a.example', 'https://a.example'],
    ['https://b.example/', 'https://b.example/'],
    ['https://a.example/', 'issuer_not_allowed'],
    ['https://b.example', 'issuer_not_allowed'],
    ['HTTPS://A.EXAMPLE', 'issuer_not_allowed'],
    [' https://a.example', 'issuer_not_allowed'],
    [undefined, 'issuer_not_allowed'],
    [['https://a.example'], 'issuer_not_allowed'],
    [null, 'issuer_not_allowed'],
  ])('%j → %s', (iss, expected) => {
    expect(checkIssuer({ iss }, policy.issuers)).toBe(expected);
  });
});

describe('isNumericDate', () => {
  it('is a finite, non-negative number within the safe integers', () => {
    expect([0, 1, 1.5, NOW, Number.MAX_SAFE_INTEGER].every(isNumericDate)).toBe(true);
    expect([-1, Infinity, -Infinity, NaN, Number.MAX_SAFE_INTEGER + 2, '1', null, undefined, true, [1], { valueOf: () => 1 }].some(isNumericDate)).toBe(false);
  });
});
