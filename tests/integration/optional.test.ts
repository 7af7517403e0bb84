import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, TokenAuth, VerifyPassword, VerifyToken } from '../../src';
import { basicHeader, DRIVERS, tokenHeader } from '../helpers';

@BasicAuth()
class OptionalBasic {
  calls: [string, string][] = [];
  @VerifyPassword() verify(username: string, password: string) {
    this.calls.push([username, password]);
    return username === 'john' && password === 'hello' ? { name: 'john' } : null;
  }
}

@TokenAuth()
class OptionalToken {
  @VerifyToken() verify(token: string) {
    return token === 'good' ? { name: 'token-user' } : null;
  }
}

@JsonController('/feed')
@LoginRequired({ optional: true })
class FeedController {
  @Get('/') feed(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
}

@JsonController('/token-feed')
@LoginRequired({ optional: true, auth: OptionalToken })
class TokenFeedController {
  @Get('/') feed(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
}

// Flask-HTTPAuth: login_required(optional=True) (test_basic_verify_password.py / test_token.py
// "optional" cases). Difference from Flask: wrong credentials still get 401.
describe.each(DRIVERS)('optional login (%s)', (_driver, makeApp) => {
  const makeFeed = () => {
    const basic = new OptionalBasic();
    return { basic, app: makeApp([FeedController, TokenFeedController], createAuthCheckers([basic, new OptionalToken()])) };
  };

  it('runs the action with no current user when no credentials are sent', async () => {
    const { app, basic } = makeFeed();
    const res = await request(app).get('/feed');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null });
    // Like Flask, the verify callback still gets a chance to admit an anonymous user.
    expect(basic.calls).toEqual([['', '']]);
  });

  it('makes the verified user the current user when valid credentials are sent', async () => {
    const { app } = makeFeed();
    const res = await request(app).get('/feed').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'john' });
  });

  it.each([
    ['a wrong password', basicHeader('john', 'bye')],
    ['malformed base64', 'Basic not-base64!'],
    ['the scheme word alone', 'Basic'],
  ])('returns 401 with a challenge for %s (difference from Flask, which lets it through)', async (_label, header) => {
    const { app } = makeFeed();
    const res = await request(app).get('/feed').set('Authorization', header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
  });

  it.each([
    ['a Bearer token', tokenHeader('good')],
    ['a Digest header', 'Digest username="john"'],
    ['a bare word', 'something'],
  ])('refuses %s on a Basic route with 401 and the route\'s challenge: present but not ours is not absent', async (_label, header) => {
    const { app, basic } = makeFeed();
    const res = await request(app).get('/feed').set('Authorization', header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    expect(basic.calls).toEqual([]);
  });

  describe('with a token auth', () => {
    it('runs the action with no current user when no token is sent', async () => {
      const { app } = makeFeed();
      const res = await request(app).get('/token-feed');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: null });
    });

    it('refuses Basic credentials with 401 and the Bearer challenge, not the anonymous view', async () => {
      const { app } = makeFeed();
      const res = await request(app).get('/token-feed').set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required"');
      expect(res.body).not.toHaveProperty('user');
    });

    it('admits a valid token', async () => {
      const { app } = makeFeed();
      const res = await request(app).get('/token-feed').set('Authorization', tokenHeader('good'));
      expect(res.body).toEqual({ user: 'token-user' });
    });

    it('returns 401 with error="invalid_token" for a rejected token', async () => {
      const { app } = makeFeed();
      const res = await request(app).get('/token-feed').set('Authorization', tokenHeader('bad'));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="invalid_token"');
    });

    it('returns 400 with error="invalid_request" for "Bearer" with no token', async () => {
      const { app } = makeFeed();
      const res = await request(app).get('/token-feed').set('Authorization', 'Bearer');
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="invalid_request"');
    });
  });
});
