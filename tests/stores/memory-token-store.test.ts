import { HttpAuthError } from '../../src';
import { createTokenIssuer } from '../../src/issuer/create-token-issuer';
import type { TokenIssuer } from '../../src/issuer/types';
import { TokenGrantError } from '../../src/issuer/token-error';
import { MemoryTokenStore } from '../../src/stores/memory-token-store';
import { AUDIENCE, clock, ISSUER, newEcKey, quietLogger, stateOf } from '../issuer/fixtures';

const key = newEcKey();

function issuerWith(store: MemoryTokenStore, now: () => number, extra: object = {}): TokenIssuer {
  return createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, store, now, logger: quietLogger(), accessTtl: 60, refreshTtl: 600, ...extra });
}

const reasonOf = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: TokenGrantError) => error.reason);

describe('MemoryTokenStore at its bound (maxRecords)', () => {
  it('drops the oldest consumed refresh tokens first: the forgotten one stays refused, reuse of a remembered one still revokes the login', async () => {
    const time = clock();
    const store = new MemoryTokenStore({ maxRecords: 6, now: time.now });
    const tokens = issuerWith(store, time.now);
    const login = await tokens.issue('alice'); // subject, family, token: 3
    const r1 = await tokens.refresh(login.refresh_token); // 4
    const r2 = await tokens.refresh(r1.refresh_token); // 5
    const r3 = await tokens.refresh(r2.refresh_token); // 6: full
    const r4 = await tokens.refresh(r3.refresh_token); // drops the login's consumed token
    expect(store.size).toBe(6);
    // Forgotten: refused as unknown, never accepted; the login is untouched.
    expect(await reasonOf(tokens.refresh(login.refresh_token))).toBe('unknown');
    expect(await stateOf(tokens, r4.access_token)).toBe('active');
    // Still remembered: reuse detected, the login revoked.
    expect(await reasonOf(tokens.refresh(r3.refresh_token))).toBe('reused');
    expect(await stateOf(tokens, r4.access_token)).toBe('revoked');
    expect(await reasonOf(tokens.refresh(r4.refresh_token))).toBe('revoked');
  });

  it('never drops a revoked access token: refreshes at the bound drop consumed tokens, and the revocation holds', async () => {
    const time = clock();
    const store = new MemoryTokenStore({ maxRecords: 5, now: time.now });
    const tokens = issuerWith(store, time.now);
    const login = await tokens.issue('alice');
    await expect(tokens.revoke(login.access_token)).resolves.toBe(true); // 4 records
    let pair = login;
    for (let i = 0; i < 10; i++) pair = await tokens.refresh(pair.refresh_token);
    expect(store.size).toBe(5);
    expect(await stateOf(tokens, login.access_token)).toBe('revoked');
    expect(await stateOf(tokens, pair.access_token)).toBe('active');
  });

  it('full of live records: refuses new logins and revocations with 503 (fail closed, nothing forgotten) until records expire', async () => {
    const time = clock();
    const store = new MemoryTokenStore({ maxRecords: 6, now: time.now });
    const logger = quietLogger();
    const tokens = issuerWith(store, time.now, { logger });
    const alice = await tokens.issue('alice');
    const bob = await tokens.issue('bob');
    const refused = [tokens.issue('carol'), tokens.revoke(alice.access_token)];
    for (const attempt of refused) await expect(attempt).rejects.toMatchObject({ httpCode: 503, code: 'ERR_HTTP_AUTH_UNAVAILABLE' });
    await expect(tokens.issue('carol')).rejects.toBeInstanceOf(HttpAuthError);
    expect(logger.error.mock.calls[0][0]).toMatch(/MemoryTokenStore is full \(maxRecords 6, every record still needed\); raise maxRecords or use RedisTokenStore/);
    // What is recorded keeps working.
    expect(await stateOf(tokens, bob.access_token)).toBe('active');
    // Once the logins' records expire (refresh lifetime + the margin), there is room again.
    time.advance(600_000 + 300_001);
    await expect(tokens.issue('carol')).resolves.toMatchObject({ token_type: 'Bearer' });
    expect(store.size).toBe(3);
  });

  it('keeps a login within its bound when the subject is already recorded (2 more records)', async () => {
    const store = new MemoryTokenStore({ maxRecords: 5 });
    const tokens = issuerWith(store, Date.now);
    await tokens.issue('alice');
    await tokens.issue('alice');
    expect(store.size).toBe(5);
  });

  it.each([
    [{ maxRecords: 2 }, /maxRecords must be an integer of at least 3/],
    [{ maxRecords: 1.5 }, /maxRecords must be an integer/],
    [{ now: 5 }, /now must be a function/],
    [null, /options must be an object/],
  ])('throws a TypeError for %p', (options, message) => {
    expect(() => new MemoryTokenStore(options as never)).toThrow(TypeError);
    expect(() => new MemoryTokenStore(options as never)).toThrow(message);
  });
});

describe('MemoryTokenStore as a TokenStore', () => {
  const record = (family: string, expiresAt: number) => ({ family, subject: 'alice', scope: '', clientId: '', claims: '', expiresAt });

  it('expires every record at its time: tokens, families, subjects, revoked ids', () => {
    const time = clock(1_000_000);
    const store = new MemoryTokenStore({ now: time.now });
    store.createLogin({ hash: 'h1', record: record('f1', 1_060_000), keepUntil: 1_100_000, subjectKey: 's1', epoch: 'e1' });
    store.revokeAccessToken('j1', 1_050_000);
    expect(store.findRefreshToken('h1')).toMatchObject({ family: 'f1', consumed: false });
    expect(store.accessTokenState('j1', 'f1')).toBe('revoked');
    expect(store.accessTokenState('j2', 'f1')).toBe('active');
    time.advance(50_000);
    expect(store.accessTokenState('j1', 'f1')).toBe('active');
    time.advance(10_000);
    expect(store.findRefreshToken('h1')).toBeUndefined();
    expect(store.rotateRefreshToken('h1', { hash: 'h2', record: record('f1', 2_000_000), keepUntil: 2_000_000 })).toBe('unknown');
    time.advance(40_000);
    expect(store.accessTokenState('j2', 'f1')).toBe('revoked');
    expect(store.revokeSubject('s1', 'e2')).toBe(false);
    expect(store.size).toBe(0);
  });
});
