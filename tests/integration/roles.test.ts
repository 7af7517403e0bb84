import request from 'supertest';
import { Authorized, CurrentUser, Delete, Get, Head, JsonController, Post, Put } from 'routing-controllers';
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
import { basicHeader, DRIVERS, tokenHeader } from '../helpers';

/** What the roles callback returns for each user: a list, one string, or null. */
const ROLES: Record<string, string | string[] | null> = {
  a: ['a'],
  b: ['b'],
  ab: ['a', 'b'],
  bc: ['b', 'c'],
  c: ['c'],
  none: [],
  'string-a': 'a',
  'null-roles': null,
  admin: ['admin'],
  editor: ['editor'],
  reader: ['reader'],
  writer: ['writer'],
};

@BasicAuth()
class RoleAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return username in ROLES && password === 'pw' ? { name: username } : null;
  }
  @GetUserRoles() roles(user: { name: string }) {
    return ROLES[user.name];
  }
}

const as = (user: string) => basicHeader(user, 'pw');

// --- test_roles.py ----------------------------------------------------------------------------

@JsonController('/roles')
class RolesController {
  @Get('/one') @LoginRequired({ role: 'a' }) one() {
    return 'ok';
  }
  @Get('/any') @LoginRequired({ role: ['a', 'b'] }) any() {
    return 'ok';
  }
  @Get('/all') @LoginRequired({ role: [['a', 'b']] }) all() {
    return 'ok';
  }
  @Get('/mixed') @LoginRequired({ role: ['a', ['b', 'c']] }) mixed() {
    return 'ok';
  }
  @Get('/nobody') @LoginRequired({ role: [] }) nobody() {
    return 'ok';
  }
  @Get('/authorized') @Authorized() authorized(@CurrentUser() user: { name: string }) {
    return { user: user.name };
  }
  @Get('/authorized-admin') @Authorized('admin') authorizedAdmin() {
    return 'ok';
  }
  @Get('/authorized-any') @Authorized(['admin', 'editor']) authorizedAny() {
    return 'ok';
  }
}

describe.each(DRIVERS)('test_roles.py (%s)', (_driver, makeApp) => {
  const app = makeApp([RolesController], createAuthCheckers([new RoleAuth()]));

  it.each([
    // route, user, status
    ['one', 'a', 200],
    ['one', 'b', 403],
    ['one', 'string-a', 200],
    ['one', 'null-roles', 403],
    ['one', 'none', 403],
    ['any', 'a', 200],
    ['any', 'b', 200],
    ['any', 'c', 403],
    ['any', 'string-a', 200],
    ['any', 'null-roles', 403],
    ['all', 'ab', 200],
    ['all', 'a', 403],
    ['all', 'b', 403],
    ['all', 'string-a', 403],
    ['mixed', 'a', 200],
    ['mixed', 'bc', 200],
    ['mixed', 'b', 403],
    ['mixed', 'c', 403],
    ['nobody', 'ab', 403],
    ['nobody', 'admin', 403],
    ['authorized-admin', 'admin', 200],
    ['authorized-admin', 'editor', 403],
    ['authorized-any', 'editor', 200],
    ['authorized-any', 'admin', 200],
    ['authorized-any', 'reader', 403],
  ] as const)('answers /roles/%s for a user with roles of %s with %i', async (route, user, status) => {
    const res = await request(app).get(`/roles/${route}`).set('Authorization', as(user));
    expect(res.status).toBe(status);
    if (status === 403) {
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_FORBIDDEN' });
      expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    }
  });

  it.each(['one', 'any', 'all', 'mixed', 'nobody', 'authorized', 'authorized-admin'])(
    'returns 401, not 403, on /roles/%s when nothing is sent',
    async (route) => {
      const res = await request(app).get(`/roles/${route}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    },
  );

  it('admits any authenticated user on a plain @Authorized() route, through the default auth', async () => {
    const res = await request(app).get('/roles/authorized').set('Authorization', as('none'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'none' });
  });

  it('tells @ErrorHandler 403 for a role failure and 401 for bad credentials', async () => {
    @BasicAuth()
    class Recording extends RoleAuth {
      statuses: number[] = [];
      @ErrorHandler() onError(status: 401 | 403) {
        this.statuses.push(status);
      }
    }
    const auth = new Recording();
    const recordingApp = makeApp([RolesController], createAuthCheckers([auth]));
    await request(recordingApp).get('/roles/one').set('Authorization', as('b'));
    await request(recordingApp).get('/roles/one').set('Authorization', basicHeader('b', 'wrong'));
    expect(auth.statuses).toEqual([403, 401]);
  });
});

// --- per-HTTP-method roles --------------------------------------------------------------------

@JsonController('/doc')
@LoginRequired({ role: { GET: 'reader', '*': 'writer' } })
class DocController {
  @Get('/') read() {
    return { read: true };
  }
  @Post('/') create() {
    return { created: true };
  }
  @Delete('/') remove() {
    return { removed: true };
  }
}

@JsonController('/readonly')
@LoginRequired({ role: { get: 'reader' } })
class ReadOnlyController {
  @Get('/') read() {
    return { read: true };
  }
  @Put('/') update() {
    return { updated: true };
  }
}

@JsonController('/head')
@LoginRequired({ role: { HEAD: 'admin', GET: 'reader' } })
class HeadController {
  @Get('/') read() {
    return { read: true };
  }
  @Head('/') head() {
    return '';
  }
}

describe.each(DRIVERS)('per-HTTP-method roles (%s)', (_driver, makeApp) => {
  const app = makeApp([DocController, ReadOnlyController, HeadController], createAuthCheckers([new RoleAuth()]));

  it.each([
    ['get', '/doc', 'reader', 200],
    ['get', '/doc', 'writer', 403],
    ['head', '/doc', 'reader', 200],
    ['head', '/doc', 'writer', 403],
    ['post', '/doc', 'writer', 200],
    ['post', '/doc', 'reader', 403],
    ['delete', '/doc', 'writer', 200],
    ['delete', '/doc', 'reader', 403],
    ['get', '/readonly', 'reader', 200],
    ['head', '/readonly', 'reader', 200],
    ['put', '/readonly', 'reader', 403],
    ['put', '/readonly', 'admin', 403],
    ['put', '/readonly', 'writer', 403],
    ['head', '/head', 'admin', 200],
    ['head', '/head', 'reader', 403],
    ['get', '/head', 'reader', 200],
  ] as const)('answers %s %s for a %s with %i', async (method, path, user, status) => {
    const res = await request(app)[method](path).set('Authorization', as(user));
    expect(res.status).toBe(status);
    if (status === 403) expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
  });

  it('returns 401 before looking at roles when nothing is sent', async () => {
    const res = await request(app).put('/readonly');
    expect(res.status).toBe(401);
  });
});

// --- method-level options override class-level ones key by key --------------------------------

@TokenAuth()
class RoleTokens {
  @VerifyToken() verify(token: string) {
    return token in ROLES ? { name: token } : null;
  }
  @GetUserRoles() roles(user: { name: string }) {
    return ROLES[user.name];
  }
}

@JsonController('/merge')
@LoginRequired({ auth: RoleTokens, role: 'a' })
class MergeController {
  @Get('/class') classOnly(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
  @Get('/optional') @LoginRequired({ optional: true }) optional(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
  @Get('/role-b') @LoginRequired({ role: 'b' }) roleB(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
  @Get('/other-auth') @LoginRequired({ auth: RoleAuth }) otherAuth(@CurrentUser() user?: { name: string }) {
    return { user: user?.name ?? null };
  }
}

describe.each(DRIVERS)('method-level @LoginRequired overrides class-level options key by key (%s)', (_driver, makeApp) => {
  const app = makeApp([MergeController], createAuthCheckers([new RoleAuth(), new RoleTokens()]));

  it('applies the class auth and role to an action without its own @LoginRequired', async () => {
    expect((await request(app).get('/merge/class').set('Authorization', tokenHeader('a'))).status).toBe(200);
    expect((await request(app).get('/merge/class').set('Authorization', tokenHeader('b'))).status).toBe(403);
    const basic = await request(app).get('/merge/class').set('Authorization', as('a'));
    expect(basic.status).toBe(401);
    expect(basic.headers['www-authenticate']).toBe('Bearer realm="Authentication Required"');
  });

  it('keeps the class auth when the method sets only optional: true', async () => {
    const anonymous = await request(app).get('/merge/optional');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ user: null });
    // Basic credentials belong to the default auth, not the class's: present but not RoleTokens',
    // they are refused like wrong credentials rather than served the anonymous view.
    const basic = await request(app).get('/merge/optional').set('Authorization', as('a'));
    expect(basic.status).toBe(401);
    const token = await request(app).get('/merge/optional').set('Authorization', tokenHeader('a'));
    expect(token.body).toEqual({ user: 'a' });
  });

  it('keeps the class role when the method sets only optional: true', async () => {
    const res = await request(app).get('/merge/optional').set('Authorization', tokenHeader('b'));
    expect(res.status).toBe(403);
  });

  it('replaces the class role with the method role', async () => {
    const b = await request(app).get('/merge/role-b').set('Authorization', tokenHeader('b'));
    expect(b.status).toBe(200);
    expect(b.body).toEqual({ user: 'b' });
    const a = await request(app).get('/merge/role-b').set('Authorization', tokenHeader('a'));
    expect(a.status).toBe(403);
    expect(a.headers['www-authenticate']).toBe('Bearer realm="Authentication Required", error="insufficient_scope"');
  });

  it('replaces the class auth with the method auth and keeps the class role', async () => {
    expect((await request(app).get('/merge/other-auth').set('Authorization', as('a'))).status).toBe(200);
    expect((await request(app).get('/merge/other-auth').set('Authorization', as('b'))).status).toBe(403);
    expect((await request(app).get('/merge/other-auth').set('Authorization', tokenHeader('a'))).status).toBe(401);
  });
});
