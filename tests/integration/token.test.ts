import request from 'supertest';
import { CurrentUser, Get, JsonController, Method } from 'routing-controllers';
import { createAuthCheckers, GetUserRoles, LoginRequired, TokenAuth, VerifyToken, type Credentials, type TokenAuthOptions } from '../../src';
import { basicHeader, DRIVERS, tokenHeader } from '../helpers';

const TOKEN = 'this-is-the-token!';

const STYLES = [
  ['sync', <T>(value: T): T | PromiseLike<T> => value],
  ['async', <T>(value: T): T | PromiseLike<T> => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1))],
] as const;
type Style = <T>(value: T) => T | PromiseLike<T>;

function tokenClass(style: Style, options?: TokenAuthOptions) {
  @TokenAuth(options)
  class Tokens {
    calls: string[] = [];
    @VerifyToken() verify(token: string) {
      this.calls.push(token);
      return style(token === TOKEN ? { name: 'user' } : null);
    }
    @GetUserRoles() roles(user: { name: string }) {
      return user.name === 'user' ? 'reader' : null;
    }
  }
  return Tokens;
}

@JsonController('/token')
@LoginRequired()
class TokenController {
  @Get('/') index(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? null : user };
  }
  @Method('options', '/') preflight() {
    return { preflight: true };
  }
  @Get('/optional') @LoginRequired({ optional: true }) optional(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? null : user };
  }
  @Get('/writer') @LoginRequired({ role: 'writer' }) writer() {
    return { ok: true };
  }
  @Get('/reader') @LoginRequired({ role: 'reader' }) reader() {
    return { ok: true };
  }
}

// --- test_token.py ----------------------------------------------------------------------------

describe.each(DRIVERS)('test_token.py (%s)', (_driver, makeApp) => {
  describe.each(STYLES)('with a %s @VerifyToken and scheme MyToken', (_style, style) => {
    const MyToken = tokenClass(style, { scheme: 'MyToken' });
    const app = makeApp([TokenController], createAuthCheckers([new MyToken()]));

    it('returns 401 with a MyToken challenge when the header is missing (test_token_auth_prompt)', async () => {
      const res = await request(app).get('/token');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('MyToken realm="Authentication Required"');
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    });

    // Flask-HTTPAuth's test_token_auth_ignore_options lets every OPTIONS through; here only a CORS
    // preflight passes, answered 204 without running the handler.
    it('authenticates OPTIONS like any other method, and answers a CORS preflight with 204 without running the handler', async () => {
      const anonymous = await request(app).options('/token');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).not.toEqual({ preflight: true });
      const preflight = await request(app).options('/token').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'GET');
      expect(preflight.status).toBe(204);
      expect(preflight.text).toBe('');
      expect(preflight.headers['www-authenticate']).toBeUndefined();
      const authenticated = await request(app).options('/token').set('Authorization', tokenHeader(TOKEN, 'MyToken'));
      expect(authenticated.status).toBe(200);
      expect(authenticated.body).toEqual({ preflight: true });
    });

    it.each(['MyToken', 'mytoken', 'MYTOKEN'])('admits a valid token under the scheme word %s (test_token_auth_login_valid*)', async (scheme) => {
      const res = await request(app).get('/token').set('Authorization', tokenHeader(TOKEN, scheme));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { name: 'user' } });
    });

    it('trims the token', async () => {
      const res = await request(app).get('/token').set('Authorization', `MyToken  \t ${TOKEN}  `);
      expect(res.status).toBe(200);
    });

    it('runs an optional route without a token (test_token_auth_login_optional)', async () => {
      const res = await request(app).get('/token/optional');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: null });
    });

    it.each([
      ['a wrong token (test_token_auth_login_invalid_token)', tokenHeader('this-is-not-the-token!', 'MyToken')],
      ['a foreign scheme (test_token_auth_login_invalid_scheme)', tokenHeader(TOKEN, 'Foo')],
      ['a header without a scheme (test_token_auth_login_invalid_header)', 'this-is-a-bad-header'],
      ['the scheme word alone (no 400: RFC 6750 only covers Bearer)', 'MyToken'],
    ])('returns 401 with a MyToken challenge for %s', async (_label, header) => {
      const res = await request(app).get('/token').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('MyToken realm="Authentication Required"');
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    });
  });

  describe.each(STYLES)('with a %s @VerifyToken and header X-API-Key', (_style, style) => {
    const ApiKey = tokenClass(style, { header: 'X-API-Key', realm: 'Keys' });

    it('admits a valid key from the custom header (test_token_auth_custom_header_valid_token)', async () => {
      const app = makeApp([TokenController], createAuthCheckers([new ApiKey()]));
      const res = await request(app).get('/token').set('X-API-Key', TOKEN);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { name: 'user' } });
    });

    it('uses the raw header value as the token, whatever it looks like', async () => {
      const auth = new ApiKey();
      const app = makeApp([TokenController], createAuthCheckers([auth]));
      await request(app).get('/token').set('X-API-Key', `Bearer ${TOKEN}`);
      expect(auth.calls).toEqual([`Bearer ${TOKEN}`]);
    });

    it('returns 401 with a Bearer challenge and invalid_token for a wrong key (test_token_auth_custom_header_invalid_token)', async () => {
      const app = makeApp([TokenController], createAuthCheckers([new ApiKey()]));
      const res = await request(app).get('/token').set('X-API-Key', 'nope');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Keys", error="invalid_token"');
    });

    it('ignores Authorization, even with a valid Bearer token (test_token_auth_custom_header_invalid_header)', async () => {
      const auth = new ApiKey();
      const app = makeApp([TokenController], createAuthCheckers([auth]));
      const res = await request(app).get('/token').set('Authorization', tokenHeader(TOKEN));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Keys"');
      // Present but not this scheme's: refused like wrong credentials, without asking the hook.
      expect(auth.calls).toEqual([]);
    });

    it('prefers the custom header over Authorization (test_token_auth_header_precedence)', async () => {
      const app = makeApp([TokenController], createAuthCheckers([new ApiKey()]));
      const res = await request(app)
        .get('/token')
        .set('Authorization', basicHeader('john', 'hello'))
        .set('X-API-Key', TOKEN);
      expect(res.status).toBe(200);
    });

    it('treats an empty custom header as nothing sent', async () => {
      const app = makeApp([TokenController], createAuthCheckers([new ApiKey()]));
      const res = await request(app).get('/token').set('X-API-Key', '');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Keys"');
    });
  });
});

// --- Bearer and RFC 6750 §3.1 error codes -----------------------------------------------------

describe.each(DRIVERS)('Bearer tokens and RFC 6750 error attributes (%s)', (_driver, makeApp) => {
  const Bearer = tokenClass((v) => v, undefined);
  const app = makeApp([TokenController], createAuthCheckers([new Bearer()]));

  it.each(['Bearer', 'bearer', 'BEARER'])('admits a valid token under the scheme word %s', async (scheme) => {
    const res = await request(app).get('/token').set('Authorization', tokenHeader(TOKEN, scheme));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { name: 'user' } });
  });

  it.each([
    ['no token', undefined, 401, 'Bearer realm="Authentication Required"', 'ERR_HTTP_AUTH_UNAUTHENTICATED'],
    ['a foreign scheme (nothing sent for Bearer)', basicHeader('john', 'hello'), 401, 'Bearer realm="Authentication Required"', 'ERR_HTTP_AUTH_UNAUTHENTICATED'],
    ['a rejected token', tokenHeader('wrong'), 401, 'Bearer realm="Authentication Required", error="invalid_token"', 'ERR_HTTP_AUTH_UNAUTHENTICATED'],
    ['"Authorization: Bearer" with an empty token', 'Bearer', 400, 'Bearer realm="Authentication Required", error="invalid_request"', 'ERR_HTTP_AUTH_BAD_REQUEST'],
    ['"Bearer" followed by spaces only', 'Bearer    ', 400, 'Bearer realm="Authentication Required", error="invalid_request"', 'ERR_HTTP_AUTH_BAD_REQUEST'],
  ])('answers %s with %i and %s', async (_label, header, status, challenge, code) => {
    const req = request(app).get('/token');
    const res = await (header === undefined ? req : req.set('Authorization', header));
    expect(res.status).toBe(status);
    expect(res.headers['www-authenticate']).toBe(challenge);
    expect(res.body).toMatchObject({ code });
  });

  it('answers a role failure with 403 and error="insufficient_scope"', async () => {
    const res = await request(app).get('/token/writer').set('Authorization', tokenHeader(TOKEN));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="insufficient_scope"');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_FORBIDDEN' });
  });

  it('admits a token whose user holds the role', async () => {
    const res = await request(app).get('/token/reader').set('Authorization', tokenHeader(TOKEN));
    expect(res.status).toBe(200);
  });

  it('does not add error attributes to a non-Bearer scheme', async () => {
    const MyToken = tokenClass((v) => v, { scheme: 'MyToken' });
    const myApp = makeApp([TokenController], createAuthCheckers([new MyToken()]));
    const bad = await request(myApp).get('/token').set('Authorization', tokenHeader('wrong', 'MyToken'));
    expect(bad.headers['www-authenticate']).toBe('MyToken realm="Authentication Required"');
    const forbidden = await request(myApp).get('/token/writer').set('Authorization', tokenHeader(TOKEN, 'MyToken'));
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toBe('MyToken realm="Authentication Required"');
  });
});

// --- verify returning true, anonymous tokens --------------------------------------------------

describe.each(DRIVERS)('@VerifyToken results (%s)', (_driver, makeApp) => {
  @TokenAuth()
  class TrueTokens {
    seen: unknown[] = [];
    anonymous: unknown = null;
    @VerifyToken() verify(token: string) {
      return token === '' ? this.anonymous : token === TOKEN;
    }
    @GetUserRoles() roles(user: unknown, credentials: Credentials | undefined) {
      this.seen.push([user, credentials]);
      return 'reader';
    }
  }

  it('has no current user when @VerifyToken returns true, and gives @GetUserRoles the token', async () => {
    const auth = new TrueTokens();
    const app = makeApp([TokenController], createAuthCheckers([auth]));
    const res = await request(app).get('/token/reader').set('Authorization', tokenHeader(TOKEN));
    expect(res.status).toBe(200);
    expect(auth.seen).toEqual([[undefined, { scheme: 'Bearer', token: TOKEN }]]);
    const user = await request(app).get('/token').set('Authorization', tokenHeader(TOKEN));
    expect(user.body).toEqual({ user: null });
  });

  it('calls @VerifyToken with an empty string when nothing is sent and admits what it returns', async () => {
    const auth = new TrueTokens();
    auth.anonymous = { name: 'guest' };
    const app = makeApp([TokenController], createAuthCheckers([auth]));
    const res = await request(app).get('/token');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { name: 'guest' } });
  });

  // Issue: "null/undefined/false fail; anything else is the user".
  // LIBRARY BUG (src/authenticators/token.ts tests truthiness): '' and 0 are refused. Remove .failing once fixed.
  it.each([
    ['an empty string', ''],
    ['zero', 0],
  ])('treats %s returned by @VerifyToken as the user', async (_label, value) => {
    const auth = new TrueTokens();
    auth.anonymous = value;
    const app = makeApp([TokenController], createAuthCheckers([auth]));
    const res = await request(app).get('/token');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: value });
  });
});
