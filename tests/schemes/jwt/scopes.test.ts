import { missingScopes, readScopes } from '../../../src/schemes/jwt/scopes';

describe('readScopes', () => {
  it.each([
    ['a space-separated scope', { scope: 'a b c' }, undefined, ['a', 'b', 'c']],
    ['runs of spaces', { scope: ' a  b ' }, undefined, ['a', 'b']],
    ['an empty scope', { scope: '' }, undefined, []],
    ['no claim at all', {}, undefined, []],
    ['scp as a string (Entra ID)', { scp: 'User.Read Files.Read' }, undefined, ['User.Read', 'Files.Read']],
    ['scp as an array (Okta)', { scp: ['articles:read', 'articles:write'] }, undefined, ['articles:read', 'articles:write']],
    ['scope as an array', { scope: ['a', 'b'] }, undefined, ['a', 'b']],
    ['scope preferred over scp', { scope: 'a', scp: 'b' }, undefined, ['a']],
    ['scopeClaim scp', { scope: 'a', scp: 'b' }, 'scp', ['b']],
    ['scopeClaim scope, absent', { scp: 'b' }, 'scope', []],
  ] as const)('reads %s', (_, claims, claim, expected) => {
    const scopes = readScopes(claims as Record<string, unknown>, claim);
    expect(scopes).toEqual(expected);
    expect(Object.isFrozen(scopes)).toBe(true);
  });

  it.each([
    ['a number', { scope: 7 }],
    ['an object', { scope: { a: true } }],
    ['null', { scope: null }],
    ['an array with a number', { scp: ['a', 1] }],
    ['an array with an empty string', { scp: ['a', ''] }],
    ['an array with a space-separated item', { scp: ['a b'] }],
  ])('refuses %s', (_, claims) => {
    expect(readScopes(claims)).toBeUndefined();
  });

  it('does not share the claim array (freezing the result leaves the claims alone)', () => {
    const claims = { scp: ['a'] };
    readScopes(claims);
    expect(Object.isFrozen(claims.scp)).toBe(false);
  });
});

describe('missingScopes', () => {
  it('lists the required scopes not granted', () => {
    expect(missingScopes(['a', 'b'], ['a'])).toEqual([]);
    expect(missingScopes(['a'], ['a', 'b', 'c'])).toEqual(['b', 'c']);
    expect(missingScopes([], [])).toEqual([]);
  });
});
