import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, TokenAuth, VerifyPassword, VerifyToken } from '../../src';
import { basicHeader, DRIVERS, recordingLogger, tokenHeader } from '../helpers';

@JsonController('/account')
class AccountController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

/** A hook call that waits until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  return { opened, open, inside, entered };
}

/**
 * Reads the stored password first, then takes its time (a slow hash): a verification that
 * started before a password change checks the old password, as a real one does.
 */
function usersWithSlowHook(passwords: Record<string, string>, caseInsensitive = false) {
  const held: ReturnType<typeof gate>[] = [];
  @BasicAuth({ cache: { ttl: 300 } })
  class Users {
    calls: string[] = [];
    @VerifyPassword() async verify(username: string, password: string) {
      this.calls.push(`${username}:${password}`);
      const stored = passwords[caseInsensitive ? username.toLowerCase() : username];
      const hold = held.shift();
      if (hold) {
        hold.entered();
        await hold.opened;
      }
      return stored !== undefined && stored === password ? { name: username } : null;
    }
  }
  /** The next hook call waits for `open()`. */
  const holdNext = () => {
    const g = gate();
    held.push(g);
    return g;
  };
  return { auth: new Users(), holdNext };
}

describe.each(DRIVERS)('clearCache against verifications in flight (%s)', (_driver, makeApp) => {
  const get = (app: ReturnType<typeof makeApp>, user: string, password: string) =>
    request(app).get('/account').set('Authorization', basicHeader(user, password)).then((res) => res.status);

  it('a verification that started before clearCache(username) neither fills the cache nor answers requests sent after it', async () => {
    const passwords: Record<string, string> = { alice: 'old', bob: 'builder' };
    const { auth, holdNext } = usersWithSlowHook(passwords);
    const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
    const app = makeApp([AccountController], checkers);

    const slow = holdNext();
    const before = get(app, 'alice', 'old');
    await slow.inside;
    // The password changes while the old one is being checked.
    passwords.alice = 'new';
    checkers.clearCache('alice');
    // Sent after the clear: must not wait for the verification of the old password.
    expect(await get(app, 'alice', 'old')).toBe(401);
    slow.open();
    // The request that started before the change gets that verification's answer...
    expect(await before).toBe(200);
    // ...but the old password was not remembered.
    expect(await get(app, 'alice', 'old')).toBe(401);
    expect(await get(app, 'alice', 'new')).toBe(200);
    expect(auth.calls).toEqual(['alice:old', 'alice:old', 'alice:old', 'alice:new']);
  });

  it('clearCache() of everyone also stops a verification in flight from filling the cache', async () => {
    const passwords: Record<string, string> = { alice: 'old' };
    const { auth, holdNext } = usersWithSlowHook(passwords);
    const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
    const app = makeApp([AccountController], checkers);
    const slow = holdNext();
    const before = get(app, 'alice', 'old');
    await slow.inside;
    passwords.alice = 'new';
    checkers.clearCache();
    slow.open();
    expect(await before).toBe(200);
    expect(await get(app, 'alice', 'old')).toBe(401);
  });

  it('clearCache(predicate) forgets every spelling of a case-insensitive username, in the cache and in flight, and nobody else', async () => {
    const passwords: Record<string, string> = { alice: 'old', bob: 'builder' };
    const { auth, holdNext } = usersWithSlowHook(passwords, true);
    const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
    const app = makeApp([AccountController], checkers);
    expect(await get(app, 'Alice', 'old')).toBe(200);
    expect(await get(app, 'bob', 'builder')).toBe(200);
    const slow = holdNext();
    const before = get(app, 'ALICE', 'old');
    await slow.inside;
    passwords.alice = 'new';
    checkers.clearCache((name) => name.toLowerCase() === 'alice');
    slow.open();
    expect(await before).toBe(200);
    expect(await get(app, 'Alice', 'old')).toBe(401);
    expect(await get(app, 'ALICE', 'old')).toBe(401);
    expect(await get(app, 'alice', 'new')).toBe(200);
    // Control: bob is still answered from the cache (no new hook call).
    const calls = auth.calls.length;
    expect(await get(app, 'bob', 'builder')).toBe(200);
    expect(auth.calls.length).toBe(calls);
  });

  it('@TokenAuth: cached tokens carry no username, so clearCache(username) or (predicate) forgets every token', async () => {
    const tokens: Record<string, string> = { 'token-a': 'alice', 'token-b': 'bob' };
    @TokenAuth({ cache: { ttl: 300 } })
    class Tokens {
      calls = 0;
      @VerifyToken() verify(token: string) {
        this.calls++;
        return tokens[token] ? { name: tokens[token] } : null;
      }
    }
    const auth = new Tokens();
    const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
    const app = makeApp([AccountController], checkers);
    const bearer = (token: string) => request(app).get('/account').set('Authorization', tokenHeader(token)).then((res) => res.status);
    expect(await bearer('token-a')).toBe(200);
    expect(await bearer('token-b')).toBe(200);
    expect(await bearer('token-a')).toBe(200);
    expect(auth.calls).toBe(2);
    delete tokens['token-a'];
    checkers.clearCache('alice');
    expect(await bearer('token-a')).toBe(401);
    expect(await bearer('token-b')).toBe(200);
    expect(auth.calls).toBe(4);
    checkers.clearCache((name) => name === 'bob');
    expect(await bearer('token-b')).toBe(200);
    expect(auth.calls).toBe(5);
  });
});
