import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTokenIssuer } from '../../src/issuer/create-token-issuer';
import type { TokenIssuer } from '../../src/issuer/types';
import { TokenGrantError } from '../../src/issuer/token-error';
import { createKeySource } from '../../src/keys/key-source';
import { createJwtVerifier } from '../../src/schemes/jwt/verify';
import type { TokenStore } from '../../src/stores/token-store';
import { describeWithRedis } from '../redis';
import { AUDIENCE, claimsOf, clock, ISSUER, linkOf, MEMORY, newEcKey, quietLogger, REDIS_KINDS, stateOf, type StoreKind, type StoreSetup } from './fixtures';

/** The reason of the TokenGrantError `promise` rejects with (fails the test if it resolves). */
async function grantFailure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error('expected the refresh to be refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenGrantError);
  expect(error).toMatchObject({ httpCode: 400 });
  return (error as TokenGrantError).reason;
}

function suite([, setUp]: StoreKind): void {
  let setup: StoreSetup;
  const key = newEcKey();
  /** An issuer on the store (or on another connection to it: another instance), sharing the signing key. */
  const issuerOn = (store: TokenStore, extra: object = {}): TokenIssuer =>
    createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, store, logger: quietLogger(), ...extra });
  let tokens: TokenIssuer;

  beforeEach(async () => {
    setup = await setUp();
    tokens = issuerOn(setup.store());
  });
  afterEach(() => setup.end());

  it('rotates: the new pair works, the new access token is not fresh, and the scope and claims carry over', async () => {
    const first = await tokens.issue('alice', { fresh: true, scope: 'a b', claims: { roles: ['editor'] }, clientId: 'web' });
    expect(claimsOf(first.access_token).fresh).toBe(true);
    const second = await tokens.refresh(first.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(claimsOf(second.access_token)).toMatchObject({ sub: 'alice', scope: 'a b', roles: ['editor'], client_id: 'web', sid: claimsOf(first.access_token).sid });
    expect(claimsOf(second.access_token)).not.toHaveProperty('fresh');
    expect(second).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'a b' });
    expect(await stateOf(tokens, second.access_token)).toBe('active');
    const third = await tokens.refresh(second.refresh_token);
    expect(await stateOf(tokens, third.access_token)).toBe('active');
  });

  it('reuse of a consumed refresh token revokes the family: the newest refresh token and every access token of the login stop working', async () => {
    const login = await tokens.issue('alice');
    const r1 = await tokens.refresh(login.refresh_token);
    const r2 = await tokens.refresh(r1.refresh_token);
    const other = await tokens.issue('alice');
    for (const t of [login, r1, r2, other]) expect(await stateOf(tokens, t.access_token)).toBe('active');

    const logger = quietLogger();
    expect(await grantFailure(issuerOn(setup.store(), { logger }).refresh(login.refresh_token))).toBe('reused');
    expect(logger.warn.mock.calls).toEqual([[expect.stringMatching(/a consumed refresh token was presented again; every token of its login is revoked/)]]);
    expect(logger.warn.mock.calls[0][0]).not.toContain(login.refresh_token);

    for (const t of [login, r1, r2]) expect(await stateOf(tokens, t.access_token)).toBe('revoked');
    expect(await grantFailure(tokens.refresh(r2.refresh_token))).toBe('revoked');
    expect(await grantFailure(tokens.refresh(r1.refresh_token))).toBe('revoked');
    // Another login of the same user is another family: untouched.
    expect(await stateOf(tokens, other.access_token)).toBe('active');
    await expect(tokens.refresh(other.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('thief first: when a stolen refresh token is used before the client, the client\'s later use revokes what the thief got', async () => {
    const login = await tokens.issue('alice');
    const thief = await issuerOn(setup.another()).refresh(login.refresh_token);
    expect(await grantFailure(tokens.refresh(login.refresh_token))).toBe('reused');
    expect(await grantFailure(tokens.refresh(thief.refresh_token))).toBe('revoked');
    expect(await stateOf(tokens, thief.access_token)).toBe('revoked');
  });

  it('50 concurrent refreshes with one token, from two instances: exactly one succeeds (the others are reuse, which revokes the login)', async () => {
    const login = await tokens.issue('alice');
    const other = issuerOn(setup.another());
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => (i % 2 ? other : tokens).refresh(login.refresh_token)));
    const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<TokenIssuer['refresh']>>> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const reasons = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as TokenGrantError).reason);
    expect(reasons).toHaveLength(49);
    // The first loser finds the token consumed (reuse: the family is revoked); later ones find the family revoked.
    expect(reasons).toContain('reused');
    expect(reasons.every((reason) => reason === 'reused' || reason === 'revoked')).toBe(true);
    // RFC 9700 §4.14.2 cannot tell the legitimate client from the attacker: the losers' reuse revoked the login, the winner's pair included.
    expect(await stateOf(tokens, won[0].value.access_token)).toBe('revoked');
    expect(await grantFailure(tokens.refresh(won[0].value.refresh_token))).toBe('revoked');
  });

  it('revokeAll after a password change: every older token of the subject is refused at once by another instance; a new login works', async () => {
    const other = issuerOn(setup.another());
    const phone = await tokens.issue('alice');
    const laptop = await tokens.issue('alice');
    const laptop2 = await tokens.refresh(laptop.refresh_token);
    const bob = await tokens.issue('bob');
    // Asked once before, on both instances: a cache of answers would show here.
    for (const t of [phone, laptop2]) {
      expect(await stateOf(tokens, t.access_token)).toBe('active');
      expect(await stateOf(other, t.access_token)).toBe('active');
    }

    await other.revokeAll('alice');

    for (const t of [phone, laptop, laptop2]) expect(await stateOf(tokens, t.access_token)).toBe('revoked');
    expect(await grantFailure(tokens.refresh(phone.refresh_token))).toBe('revoked');
    expect(await grantFailure(tokens.refresh(laptop2.refresh_token))).toBe('revoked');
    expect(await stateOf(tokens, bob.access_token)).toBe('active');
    const fresh = await tokens.issue('alice');
    expect(await stateOf(other, fresh.access_token)).toBe('active');
    await expect(other.refresh(fresh.refresh_token)).resolves.toBeDefined();
    // revokeAll for a subject without tokens is a no-op, not an error.
    await expect(other.revokeAll('nobody')).resolves.toBeUndefined();
  });

  it('revoke(access token) refuses that token on every instance, and only it', async () => {
    const other = issuerOn(setup.another());
    const login = await tokens.issue('alice');
    const next = await tokens.refresh(login.refresh_token);
    await expect(other.revoke(login.access_token)).resolves.toBe(true);
    expect(await stateOf(tokens, login.access_token)).toBe('revoked');
    expect(await stateOf(tokens, next.access_token)).toBe('active');
    await expect(tokens.refresh(next.refresh_token)).resolves.toBeDefined();
  });

  it('revoke(refresh token) revokes its login: its access tokens and refresh tokens', async () => {
    const login = await tokens.issue('alice');
    const next = await tokens.refresh(login.refresh_token);
    await expect(issuerOn(setup.another()).revoke(next.refresh_token)).resolves.toBe(true);
    expect(await stateOf(tokens, login.access_token)).toBe('revoked');
    expect(await stateOf(tokens, next.access_token)).toBe('revoked');
    expect(await grantFailure(tokens.refresh(next.refresh_token))).toBe('revoked');
  });

  it('revoke() answers false for what is no token of this issuer', async () => {
    const foreign = await createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: newEcKey(), logger: quietLogger() }).issue('alice');
    for (const value of [undefined, 42, '', 'not-a-token', 'A'.repeat(43), foreign.access_token, `${foreign.access_token}x`, 'x'.repeat(9000)]) {
      await expect(tokens.revoke(value)).resolves.toBe(false);
    }
  });

  it('refuses an access token presented as a refresh token, without touching the login', async () => {
    const login = await tokens.issue('alice');
    expect(await grantFailure(tokens.refresh(login.access_token))).toBe('malformed');
    await expect(tokens.refresh(login.refresh_token)).resolves.toBeDefined();
  });

  it('a refresh token is never a JWT: jose and the library\'s own verifier refuse it', async () => {
    const { refresh_token: refreshToken } = await tokens.issue('alice');
    expect(refreshToken).not.toContain('.');
    await expect(jwtVerify(refreshToken, createLocalJWKSet(tokens.jwks() as never), { issuer: ISSUER, audience: AUDIENCE })).rejects.toThrow();
    const link = linkOf(tokens);
    const verify = createJwtVerifier({ algorithms: link.algorithms, typ: ['application/at+jwt'], issuers: [ISSUER], audiences: [AUDIENCE], clockTolerance: 30 }, createKeySource({ issuers: [ISSUER], keys: link.keys }));
    expect(verify(refreshToken)).toMatchObject({ ok: false, code: 'malformed' });
    expect(link.checkAccessToken({ iss: ISSUER, sub: 'alice', jti: refreshToken, sid: refreshToken, exp: Math.floor(Date.now() / 1000) + 60 })).toBe('revoked');
  });

  it('narrows the scope on refresh (the refresh token keeps the grant), refuses a wider one without consuming the token', async () => {
    const login = await tokens.issue('alice', { scope: 'read write' });
    const narrow = await tokens.refresh(login.refresh_token, { scope: 'read' });
    expect(claimsOf(narrow.access_token).scope).toBe('read');
    expect(narrow.scope).toBe('read');
    // RFC 6749 §6: the new refresh token grants what the login granted.
    const full = await tokens.refresh(narrow.refresh_token);
    expect(claimsOf(full.access_token).scope).toBe('read write');

    const error = await tokens.refresh(full.refresh_token, { scope: 'read write admin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenGrantError);
    expect(error).toMatchObject({ httpCode: 400, reason: 'scope_widened', error: 'invalid_scope' });
    expect((error as TokenGrantError).toJSON()).toEqual({ error: 'invalid_scope', error_description: 'requested scope exceeds the granted scope' });
    expect(await grantFailure(tokens.refresh(full.refresh_token, { scope: 'bad"scope' }))).toBe('scope_invalid');
    // Not consumed by the refusals: it still refreshes.
    await expect(tokens.refresh(full.refresh_token, { scope: ['write'] })).resolves.toMatchObject({ scope: 'write' });
  });

  it('a login without scope cannot gain one on refresh', async () => {
    const login = await tokens.issue('alice');
    expect(await grantFailure(tokens.refresh(login.refresh_token, { scope: 'admin' }))).toBe('scope_widened');
  });

  it.each([
    ['missing', undefined, 'missing', 'invalid_request'],
    ['an empty string', '', 'missing', 'invalid_request'],
    ['a number', 42, 'malformed', 'invalid_grant'],
    ['an unknown token', 'A'.repeat(43), 'unknown', 'invalid_grant'],
    ['a non-canonical token', `${'A'.repeat(42)}B`, 'malformed', 'invalid_grant'],
  ])('refuses %s as a refresh token with a 400 OAuth error', async (_label, value, reason, error) => {
    const failure = await tokens.refresh(value).catch((e: unknown) => e);
    expect(failure).toMatchObject({ httpCode: 400, reason, error });
  });
}

describe.each([MEMORY])('token issuer with %s', (...kind) => suite(kind as unknown as StoreKind));
describeWithRedis.each(REDIS_KINDS)('token issuer with %s', (...kind) => suite(kind as unknown as StoreKind));

describe('time: expired refresh tokens, revoked access tokens until their exp', () => {
  const key = newEcKey();

  it('refuses an expired refresh token (memory, clock moved past refreshTtl)', async () => {
    const time = clock();
    const [, setUp] = MEMORY;
    const setup = await setUp({ now: time.now });
    const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, store: setup.store(), refreshTtl: 60, now: time.now, logger: quietLogger() });
    const login = await tokens.issue('alice');
    time.advance(59_000);
    const next = await tokens.refresh(login.refresh_token);
    time.advance(60_000);
    expect(await grantFailure(tokens.refresh(next.refresh_token))).toMatch(/^(expired|unknown)$/);
  });

  describeWithRedis.each(REDIS_KINDS)('with %s', (_label, setUp) => {
    it('refuses an expired refresh token (refreshTtl 1 s, real time)', async () => {
      const setup = await setUp();
      try {
        const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, store: setup.store(), refreshTtl: 1, logger: quietLogger() });
        const login = await tokens.issue('alice');
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        expect(await grantFailure(tokens.refresh(login.refresh_token))).toMatch(/^(expired|unknown)$/);
      } finally {
        await setup.end();
      }
    });
  });

  it('a revoked access token stays revoked until its exp, after which it is refused by time and its record is dropped', async () => {
    const time = clock();
    const [, setUp] = MEMORY;
    const setup = await setUp({ now: time.now });
    const store = setup.store();
    const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, store, accessTtl: 60, now: time.now, logger: quietLogger() });
    const login = await tokens.issue('alice');
    const claims = claimsOf(login.access_token);
    await tokens.revoke(login.access_token);
    for (const step of [0, 30_000, 29_000]) {
      time.advance(step);
      expect(await stateOf(tokens, login.access_token)).toBe('revoked');
    }
    // Just before the record's end (exp + 5 minutes) the store still refuses it by its jti...
    time.advance(1_000 + 299_000);
    expect(store.accessTokenState(claims.jti as string, claims.sid as string)).toBe('revoked');
    // ...after it the record is gone (the family is still alive: the store alone would say active)...
    time.advance(1_000);
    expect(store.accessTokenState(claims.jti as string, claims.sid as string)).toBe('active');
    // ...and the issuer refuses the token by its exp anyway.
    expect(await stateOf(tokens, login.access_token)).toBe('revoked');
  });
});
