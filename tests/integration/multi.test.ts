import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetUserRoles,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
} from '../../src';
import { basicHeader, challengeFields, DRIVERS, tokenHeader } from '../helpers';

const TOKEN = 'this-is-the-token!';

@BasicAuth({ realm: 'Basic Realm' })
class BasicA {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'john' && password === 'hello' ? 'john' : null;
  }
  @GetUserRoles() roles(user: string) {
    return user === 'john' ? ['foo', 'bar'] : null;
  }
}

@TokenAuth({ scheme: 'MyToken', realm: 'Token Realm' })
class TokenB {
  @VerifyToken() verify(token: string) {
    return token === TOKEN;
  }
  @GetUserRoles() roles() {
    return 'foo';
  }
  @ErrorHandler() onError(status: 401 | 403) {
    return { error: 'token', status };
  }
}

@TokenAuth({ header: 'X-Api-Token', realm: 'Header Realm' })
class HeaderC {
  @VerifyToken() verify(token: string) {
    return token === TOKEN ? { name: 'header-user' } : null;
  }
}

const CHALLENGE_A = 'Basic realm="Basic Realm"';
const CHALLENGE_B = 'MyToken realm="Token Realm"';
const CHALLENGE_C = 'Bearer realm="Header Realm"';

@JsonController('/multi')
class MultiController {
  @Get('/') @LoginRequired({ auth: [BasicA, TokenB] }) two(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? null : user };
  }
  @Get('/three') @LoginRequired({ auth: [BasicA, TokenB, HeaderC] }) three(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? null : user };
  }
  @Get('/token-first') @LoginRequired({ auth: [TokenB, BasicA] }) tokenFirst() {
    return { ok: true };
  }
  @Get('/role') @LoginRequired({ auth: [BasicA, TokenB], role: 'foo' }) role() {
    return { ok: true };
  }
  @Get('/role-bar') @LoginRequired({ auth: [BasicA, TokenB], role: 'bar' }) roleBar() {
    return { ok: true };
  }
}

// --- test_multi.py ----------------------------------------------------------------------------

describe.each(DRIVERS)('test_multi.py (%s)', (_driver, makeApp) => {
  const setup = () => {
    const a = new BasicA();
    const b = new TokenB();
    const c = new HeaderC();
    const spies = { a: jest.spyOn(a, 'verify'), b: jest.spyOn(b, 'verify'), c: jest.spyOn(c, 'verify') };
    const app = makeApp([MultiController], createAuthCheckers([a, b, c]));
    return { app, spies };
  };

  it('challenges with every member, the first one first, when nothing is sent (test_multi_auth_prompt)', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi');
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([CHALLENGE_A, CHALLENGE_B]);
    expect(res.headers['www-authenticate']).toBe(`${CHALLENGE_A}, ${CHALLENGE_B}`);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    expect(spies.a).toHaveBeenCalledWith('', '');
    expect(spies.b).not.toHaveBeenCalled();
  });

  it('admits valid Basic credentials and tries only the Basic member (test_multi_auth_login_valid_basic)', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'john' });
    expect(spies.b).not.toHaveBeenCalled();
  });

  it('answers wrong Basic credentials with the Basic challenge first (test_multi_auth_login_invalid_basic)', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi').set('Authorization', basicHeader('john', 'bye'));
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([CHALLENGE_A, CHALLENGE_B]);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    expect(spies.b).not.toHaveBeenCalled();
  });

  it.each(['MyToken', 'mytoken', 'MYTOKEN'])(
    'selects the token member for the scheme word %s and admits a valid token (test_multi_auth_login_valid_token)',
    async (scheme) => {
      const { app, spies } = setup();
      const res = await request(app).get('/multi').set('Authorization', tokenHeader(TOKEN, scheme));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: null });
      expect(spies.a).not.toHaveBeenCalled();
      expect(spies.b).toHaveBeenCalledWith(TOKEN);
    },
  );

  it('answers a wrong token with the token challenge first and the token member\'s @ErrorHandler (test_multi_auth_login_invalid_token)', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi').set('Authorization', tokenHeader('this-is-not-the-token!', 'MyToken'));
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([CHALLENGE_B, CHALLENGE_A]);
    expect(res.headers['www-authenticate']).toBe(`${CHALLENGE_B}, ${CHALLENGE_A}`);
    expect(res.body).toEqual({ error: 'token', status: 401 });
    expect(spies.a).not.toHaveBeenCalled();
  });

  it('falls back to the first member for an unknown scheme (test_multi_auth_login_invalid_scheme)', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi').set('Authorization', tokenHeader(TOKEN, 'Foo'));
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([CHALLENGE_A, CHALLENGE_B]);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    // Present but no member's scheme: refused like wrong credentials, without asking a hook.
    expect(spies.a).not.toHaveBeenCalled();
    expect(spies.b).not.toHaveBeenCalled();
  });

  it('falls back to the first member for a header without a scheme (test_multi_malformed_header)', async () => {
    const { app } = setup();
    const res = await request(app).get('/multi').set('Authorization', 'token-without-scheme');
    expect(res.status).toBe(401);
    expect(challengeFields(res)[0]).toBe(CHALLENGE_A);
  });

  it('falls back to the first member in the order listed on the route', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi/token-first');
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([CHALLENGE_B, CHALLENGE_A]);
    expect(res.body).toEqual({ error: 'token', status: 401 });
    expect(spies.b).toHaveBeenCalledWith('');
    expect(spies.a).not.toHaveBeenCalled();
  });

  it('selects the member whose custom header is present (test_multi_auth_login_valid_token_of_custom_header)', async () => {
    const { app, spies } = setup();
    const res = await request(app).get('/multi/three').set('X-Api-Token', TOKEN);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { name: 'header-user' } });
    expect(spies.a).not.toHaveBeenCalled();
    expect(spies.b).not.toHaveBeenCalled();
  });

  it('answers a wrong custom-header token with that member\'s challenge first, then the others in order (test_multi_auth_login_invalid_token_of_custom_header)', async () => {
    const { app } = setup();
    const res = await request(app).get('/multi/three').set('X-Api-Token', 'nope');
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([`${CHALLENGE_C}, error="invalid_token"`, CHALLENGE_A, CHALLENGE_B]);
    // Node joins the repeated fields with ", " for res.headers.
    expect(res.headers['www-authenticate']).toBe(`${CHALLENGE_C}, error="invalid_token", ${CHALLENGE_A}, ${CHALLENGE_B}`);
  });

  it('selects the first member in the order listed whose credentials are present', async () => {
    const { app, spies } = setup();
    const res = await request(app)
      .get('/multi/three')
      .set('Authorization', tokenHeader(TOKEN, 'MyToken'))
      .set('X-Api-Token', 'nope');
    expect(res.status).toBe(200);
    expect(spies.c).not.toHaveBeenCalled();
  });

  it('sends three WWW-Authenticate fields for a three-member route when nothing is sent', async () => {
    const { app } = setup();
    const res = await request(app).get('/multi/three');
    expect(res.status).toBe(401);
    expect(challengeFields(res)).toEqual([CHALLENGE_A, CHALLENGE_B, CHALLENGE_C]);
  });

  it.each([
    ['Basic credentials', basicHeader('john', 'hello')],
    ['a token', tokenHeader(TOKEN, 'MyToken')],
  ])('admits %s on a route with a role (test_multi_auth_login_valid_*_role)', async (_label, header) => {
    const { app } = setup();
    const res = await request(app).get('/multi/role').set('Authorization', header);
    expect(res.status).toBe(200);
  });

  it('answers a role failure with 403 from the selected member', async () => {
    const { app } = setup();
    const res = await request(app).get('/multi/role-bar').set('Authorization', tokenHeader(TOKEN, 'MyToken'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'token', status: 403 });
    expect(challengeFields(res)[0]).toBe(CHALLENGE_B);
  });
});
