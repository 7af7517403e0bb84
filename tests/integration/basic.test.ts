import { createHash } from 'node:crypto';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  GetPassword,
  GetUserRoles,
  HashPassword,
  LoginRequired,
  VerifyPassword,
  type Credentials,
} from '../../src';
import { basicHeader, DRIVERS } from '../helpers';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Ways a hook may hand back its value: every callback may be sync or async. */
const STYLES = [
  ['sync', <T>(value: T): T | PromiseLike<T> => value],
  ['async', <T>(value: T): T | PromiseLike<T> => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1))],
  ['a thenable', <T>(value: T): T | PromiseLike<T> => ({ then: (onFulfilled: (v: T) => unknown) => onFulfilled(value) }) as PromiseLike<T>],
] as const;
type Style = <T>(value: T) => T | PromiseLike<T>;

@JsonController('/basic')
@LoginRequired()
class BasicController {
  @Get('/')
  index(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? null : user };
  }
}

// --- test_basic_verify_password.py ------------------------------------------------------------

const USERS: Record<string, string> = { john: 'hello', susan: 'bye', 'garçon': 'áéíóú' };

function verifyAuthClass(style: Style) {
  @BasicAuth()
  class VerifyAuth {
    anonymous: unknown = null;
    @VerifyPassword()
    verify(username: string, password: string) {
      if (username === '' && password === '') return style(this.anonymous);
      return style(USERS[username] !== undefined && USERS[username] === password ? { name: username } : null);
    }
  }
  return VerifyAuth;
}

describe.each(DRIVERS)('test_basic_verify_password.py (%s)', (_driver, makeApp) => {
  describe.each(STYLES)('with a %s @VerifyPassword', (_style, style) => {
    const VerifyAuth = verifyAuthClass(style);
    const app = makeApp([BasicController], createAuthCheckers([new VerifyAuth()]));

    it('admits valid credentials and makes the returned object the current user', async () => {
      const res = await request(app).get('/basic').set('Authorization', basicHeader('susan', 'bye'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { name: 'susan' } });
    });

    it.each([
      ['UTF-8', 'utf8'],
      ['latin-1', 'latin1'],
    ] as const)('decodes %s credentials', async (_label, encoding) => {
      const res = await request(app).get('/basic').set('Authorization', basicHeader('garçon', 'áéíóú', encoding));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { name: 'garçon' } });
    });

    it('returns 401 with a Basic challenge when the header is missing and anonymous users are refused', async () => {
      const res = await request(app).get('/basic');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    });

    it('returns 401 with a Basic challenge for a wrong password', async () => {
      const res = await request(app).get('/basic').set('Authorization', basicHeader('john', 'bye'));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    });

    it('returns 401 with a Basic challenge for malformed base64 (Flask test_verify_auth_login_malformed_password)', async () => {
      const res = await request(app).get('/basic').set('Authorization', 'Basic eyJhbGciOieyJp==');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    });
  });

  describe('anonymous access (Flask test_verify_auth_login_empty)', () => {
    it('calls @VerifyPassword with empty strings when nothing is sent and admits what it returns', async () => {
      const VerifyAuth = verifyAuthClass((v) => v);
      const auth = new VerifyAuth();
      auth.anonymous = { name: 'anonymous' };
      const spy = jest.spyOn(auth, 'verify');
      const app = makeApp([BasicController], createAuthCheckers([auth]));
      const res = await request(app).get('/basic');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { name: 'anonymous' } });
      expect(spy).toHaveBeenCalledWith('', '');
    });

    it('has no current user when @VerifyPassword returns true for an empty request', async () => {
      const VerifyAuth = verifyAuthClass((v) => v);
      const auth = new VerifyAuth();
      auth.anonymous = true;
      const app = makeApp([BasicController], createAuthCheckers([auth]));
      const res = await request(app).get('/basic');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: null });
    });

    // Issue: "null/undefined/false fail; anything else is the user". Flask too only refuses None and False.
    // LIBRARY BUG (src/authenticators/basic.ts tests truthiness): '' and 0 are refused. Remove .failing once fixed.
    it.each([
      ['an empty string', ''],
      ['zero', 0],
    ])('treats %s returned by @VerifyPassword as the user', async (_label, value) => {
      const VerifyAuth = verifyAuthClass((v) => v);
      const auth = new VerifyAuth();
      auth.anonymous = value;
      const app = makeApp([BasicController], createAuthCheckers([auth]));
      const res = await request(app).get('/basic');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: value });
    });
  });

  describe('a @VerifyPassword that returns true', () => {
    @BasicAuth()
    class TrueAuth {
      seen: unknown[] = [];
      @VerifyPassword() verify(username: string, password: string) {
        return (username === 'john' && password === 'hello') || (username === '' && password === '');
      }
      @GetUserRoles() roles(user: unknown, credentials: Credentials | undefined) {
        this.seen.push([user, credentials]);
        return 'user';
      }
    }

    @JsonController('/true')
    @LoginRequired({ role: 'user' })
    class TrueController {
      @Get('/') index(@CurrentUser() user?: unknown) {
        return { user: user === undefined ? null : user };
      }
    }

    it('makes the username the current user and passes the parsed credentials to @GetUserRoles', async () => {
      const auth = new TrueAuth();
      const app = makeApp([TrueController], createAuthCheckers([auth]));
      const res = await request(app).get('/true').set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
      expect(auth.seen).toEqual([['john', { scheme: 'Basic', username: 'john' }]]);
    });

    it('has no current user, and no credentials for @GetUserRoles, when nothing was sent', async () => {
      const auth = new TrueAuth();
      const app = makeApp([TrueController], createAuthCheckers([auth]));
      const res = await request(app).get('/true');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: null });
      expect(auth.seen).toEqual([[undefined, undefined]]);
    });
  });
});

// --- test_basic_get_password.py ---------------------------------------------------------------

function getPasswordClass(style: Style) {
  @BasicAuth()
  class GetPasswordAuth {
    @GetPassword() password(username: string) {
      return style(USERS[username]);
    }
  }
  return GetPasswordAuth;
}

describe.each(DRIVERS)('test_basic_get_password.py (%s)', (_driver, makeApp) => {
  describe.each(STYLES)('with a %s @GetPassword', (_style, style) => {
    const app = makeApp([BasicController], createAuthCheckers([new (getPasswordClass(style))()]));

    it('admits the stored password and makes the username the current user', async () => {
      const res = await request(app).get('/basic').set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
    });

    it('admits non-ASCII credentials', async () => {
      const res = await request(app).get('/basic').set('Authorization', basicHeader('garçon', 'áéíóú'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'garçon' });
    });

    it.each([
      ['a wrong password', basicHeader('john', 'bye')],
      ['an unknown user', basicHeader('nobody', 'hello')],
      ['an empty password for a known user', basicHeader('john', '')],
      ['nothing', undefined],
    ])('returns 401 with a Basic challenge for %s', async (_label, header) => {
      const req = request(app).get('/basic');
      const res = await (header === undefined ? req : req.set('Authorization', header));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    });
  });
});

// --- test_basic_hashed_password.py ------------------------------------------------------------

function hashedOneArgClass(style: Style) {
  @BasicAuth()
  class HashedOneArg {
    calls: string[][] = [];
    @GetPassword() password(username: string) {
      return style(username === 'john' ? sha256('hello') : undefined);
    }
    @HashPassword() hash(password: string) {
      this.calls.push([password]);
      return style(sha256(password));
    }
  }
  return HashedOneArg;
}

function hashedTwoArgClass(style: Style) {
  @BasicAuth()
  class HashedTwoArg {
    calls: string[][] = [];
    @GetPassword() password(username: string) {
      return style(username === 'john' ? sha256('john:hello') : undefined);
    }
    @HashPassword() hash(username: string, password: string) {
      this.calls.push([username, password]);
      return style(sha256(`${username}:${password}`));
    }
  }
  return HashedTwoArg;
}

describe.each(DRIVERS)('test_basic_hashed_password.py (%s)', (_driver, makeApp) => {
  describe.each(STYLES)('with %s hooks', (_style, style) => {
    it.each([
      ['(password)', hashedOneArgClass, [['hello']]],
      ['(username, password)', hashedTwoArgClass, [['john', 'hello']]],
    ] as const)('calls a %s @HashPassword and admits a matching hash', async (_label, makeClass, calls) => {
      const auth = new (makeClass(style))();
      const app = makeApp([BasicController], createAuthCheckers([auth]));
      const res = await request(app).get('/basic').set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
      expect(auth.calls).toEqual(calls);
    });

    it.each([
      ['(password)', hashedOneArgClass],
      ['(username, password)', hashedTwoArgClass],
    ] as const)('returns 401 when a %s @HashPassword does not match', async (_label, makeClass) => {
      const app = makeApp([BasicController], createAuthCheckers([new (makeClass(style))()]));
      for (const header of [basicHeader('john', 'bye'), basicHeader('susan', 'hello')]) {
        const res = await request(app).get('/basic').set('Authorization', header);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
      }
    });
  });
});

// --- test_basic_custom_realm.py, custom scheme, charset ---------------------------------------

@BasicAuth({ realm: 'My Realm' })
class RealmAuth {
  @VerifyPassword() verify(u: string, p: string) {
    return u === 'john' && p === 'hello' ? u : null;
  }
}

@BasicAuth({ realm: 'My "quoted" \\ realm' })
class QuotedRealmAuth {
  @VerifyPassword() verify() {
    return null;
  }
}

@BasicAuth({ scheme: 'CustomBasic', realm: 'Custom' })
class CustomSchemeAuth {
  @VerifyPassword() verify(u: string, p: string) {
    return u === 'john' && p === 'hello' ? u : null;
  }
}

@BasicAuth({ charset: 'UTF-8' })
class CharsetAuth {
  @VerifyPassword() verify(u: string, p: string) {
    return u === 'garçon' && p === 'áéíóú' ? u : null;
  }
}

describe.each(DRIVERS)('test_basic_custom_realm.py (%s)', (_driver, makeApp) => {
  it('names the configured realm in the challenge', async () => {
    const app = makeApp([BasicController], createAuthCheckers([new RealmAuth()]));
    const res = await request(app).get('/basic');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="My Realm"');
  });

  it('admits valid credentials under a custom realm', async () => {
    const app = makeApp([BasicController], createAuthCheckers([new RealmAuth()]));
    const res = await request(app).get('/basic').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'john' });
  });

  it('quotes and escapes " and \\ in the realm', async () => {
    const app = makeApp([BasicController], createAuthCheckers([new QuotedRealmAuth()]));
    const res = await request(app).get('/basic');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="My \\"quoted\\" \\\\ realm"');
  });
});

describe.each(DRIVERS)('custom Basic scheme CustomBasic (%s)', (_driver, makeApp) => {
  const app = makeApp([BasicController], createAuthCheckers([new CustomSchemeAuth()]));
  const token68 = basicHeader('john', 'hello').slice('Basic '.length);

  it('challenges with the custom scheme word', async () => {
    const res = await request(app).get('/basic');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('CustomBasic realm="Custom"');
  });

  it.each(['CustomBasic', 'custombasic', 'CUSTOMBASIC'])('admits credentials sent with the scheme word %s', async (scheme) => {
    const res = await request(app).get('/basic').set('Authorization', `${scheme} ${token68}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'john' });
  });

  it('treats credentials under the standard Basic scheme as nothing sent', async () => {
    const res = await request(app).get('/basic').set('Authorization', `Basic ${token68}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('CustomBasic realm="Custom"');
  });
});

describe.each(DRIVERS)('Basic charset (RFC 7617 §2.1) (%s)', (_driver, makeApp) => {
  const app = makeApp([BasicController], createAuthCheckers([new CharsetAuth()]));

  it('adds charset="UTF-8" to the challenge', async () => {
    const res = await request(app).get('/basic');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required", charset="UTF-8"');
  });

  it('admits UTF-8 credentials', async () => {
    const res = await request(app).get('/basic').set('Authorization', basicHeader('garçon', 'áéíóú'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'garçon' });
  });
});

// --- Basic parsing: scheme case, split at the first colon, strict base64 ----------------------

describe.each(DRIVERS)('Basic parsing (%s)', (_driver, makeApp) => {
  @BasicAuth()
  class RecordingAuth {
    calls: [string, string][] = [];
    @VerifyPassword() verify(username: string, password: string) {
      this.calls.push([username, password]);
      return password === 'pa:ss' || (username === 'john' && password === 'hello') ? username : null;
    }
  }

  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it.each(['Basic', 'basic', 'BASIC', 'bAsIc'])('matches the scheme word %s case-insensitively', async (scheme) => {
    const app = makeApp([BasicController], createAuthCheckers([new RecordingAuth()]));
    const res = await request(app).get('/basic').set('Authorization', `${scheme} ${b64('john:hello')}`);
    expect(res.status).toBe(200);
  });

  it('splits user-id and password at the first colon', async () => {
    const auth = new RecordingAuth();
    const app = makeApp([BasicController], createAuthCheckers([auth]));
    const res = await request(app).get('/basic').set('Authorization', `Basic ${b64('joe:pa:ss')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'joe' });
    expect(auth.calls).toEqual([['joe', 'pa:ss']]);
  });

  it('falls back to latin-1 for both parts when the bytes are not UTF-8', async () => {
    const auth = new RecordingAuth();
    const app = makeApp([BasicController], createAuthCheckers([auth]));
    // "ü" in latin-1 is the lone byte 0xFC, not valid UTF-8; the user part is valid UTF-8 on its own.
    const header = `Basic ${Buffer.concat([Buffer.from('josé:', 'utf8'), Buffer.from('pü', 'latin1')]).toString('base64')}`;
    await request(app).get('/basic').set('Authorization', header);
    expect(auth.calls).toEqual([['josÃ©', 'pü']]);
  });

  it.each([
    ['URL-safe alphabet', 'Basic am9objpoZWxsbz8_Pg=='], // "john:hello??>" with _ for /
    ['URL-safe alphabet with -', 'Basic am9objp-fn5-aGVsbG8='], // "john:~~~~hello" with - for +
    ['unpadded base64', `Basic ${b64('john:hello').replace(/=+$/, '')}`],
    ['non-canonical padding bits', 'Basic am9objpoZWxsbx=='],
    ['no colon', `Basic ${b64('johnhello')}`],
    ['base64 with inner spaces', `Basic ${b64('john:hello').slice(0, 4)} ${b64('john:hello').slice(4)}`],
  ])('returns 401 without calling @VerifyPassword for %s', async (_label, header) => {
    const auth = new RecordingAuth();
    const app = makeApp([BasicController], createAuthCheckers([auth]));
    const res = await request(app).get('/basic').set('Authorization', header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    expect(auth.calls).toEqual([]);
  });

  it('accepts several spaces between the scheme and the credentials (RFC 7617: 1*SP)', async () => {
    const app = makeApp([BasicController], createAuthCheckers([new RecordingAuth()]));
    const res = await request(app).get('/basic').set('Authorization', `Basic    ${b64('john:hello')}`);
    expect(res.status).toBe(200);
  });
});
