import express from 'express';
import methodOverride from 'method-override';
import request from 'supertest';
import {
  All,
  Authorized,
  Body,
  Ctx,
  CurrentUser,
  Delete,
  Get,
  JsonController,
  Method,
  Post,
  Req,
  Res,
  useExpressServer,
} from 'routing-controllers';
import { BasicAuth, createAuthCheckers, DigestAuth, GetPassword, GetUserRoles, LoginRequired, LoginRequirement, VerifyPassword } from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, makeExpressApp, recordingLogger, tokenHeader } from '../helpers';

/**
 * Ways to reach a protected handler without the credentials its requirement demands (issue 7,
 * items 1, 2, 8, 13, 19, 20). Each case has a request that must not get through and a control
 * that must.
 */

const ROLES: Record<string, string[]> = { admin: ['admin', 'reader'], reader: ['reader'] };

@BasicAuth()
class RoleUsers {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' && username in ROLES ? username : null;
  }
  @GetUserRoles() roles(user: string) {
    return ROLES[user];
  }
}

const ran: string[] = [];

@JsonController('/options')
class OptionsController {
  @All('/all') @LoginRequired({ role: 'admin' }) all() {
    ran.push('all');
    return { secret: 'admin data' };
  }
  @Method('options', '/method') @LoginRequired() method(@CurrentUser() user?: string) {
    ran.push('method');
    return { user };
  }
  @Get('/get-only') @LoginRequired() getOnly() {
    ran.push('get-only');
    return { secret: true };
  }
}

const PREFLIGHT = { Origin: 'https://app.example', 'Access-Control-Request-Method': 'DELETE' };

describe.each([...DRIVERS.map(([n, m]) => [`${n}`, m] as const), ...DRIVERS_WITHOUT_USE.map(([n, m]) => [`${n} without useExpress/useKoa`, m] as const)])(
  'OPTIONS is authenticated; only a CORS preflight is exempt, answered 204 without the handler (%s)',
  (_driver, makeApp) => {
    // Apps without useExpress/useKoa get one line saying so: kept out of the test output.
    const app = () => makeApp([OptionsController], createAuthCheckers([new RoleUsers()], { logger: recordingLogger() }));
    beforeEach(() => (ran.length = 0));

    it.each([
      ['anonymous', undefined, 401],
      ['a reader', basicHeader('reader', 'pw'), 403],
      ['a wrong password', basicHeader('admin', 'nope'), 401],
    ])('refuses OPTIONS on an @All admin action for %s, and the handler never runs', async (_who, authorization, status) => {
      const req = request(app()).options('/options/all');
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      expect(res.status).toBe(status);
      expect(res.text).not.toContain('admin data');
      expect(ran).toEqual([]);
    });

    it('serves OPTIONS on an @All admin action to an admin (control)', async () => {
      const res = await request(app()).options('/options/all').set('Authorization', basicHeader('admin', 'pw'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ secret: 'admin data' });
    });

    it('refuses OPTIONS on a @Method(\'options\') action without credentials, serves it with them', async () => {
      expect((await request(app()).options('/options/method')).status).toBe(401);
      expect(ran).toEqual([]);
      const res = await request(app()).options('/options/method').set('Authorization', basicHeader('reader', 'pw'));
      expect(res.body).toEqual({ user: 'reader' });
    });

    it.each(['/options/all', '/options/method'])('answers a CORS preflight to %s with 204, no body, no challenge, and no handler', async (path) => {
      const res = await request(app()).options(path).set(PREFLIGHT);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['content-length'] ?? '0').toBe('0');
      expect(ran).toEqual([]);
    });

    it.each([
      ['Origin alone', { Origin: 'https://app.example' }],
      ['Access-Control-Request-Method alone', { 'Access-Control-Request-Method': 'GET' }],
    ])('does not take OPTIONS with %s for a preflight', async (_label, headers) => {
      const res = await request(app()).options('/options/all').set(headers);
      expect(res.status).toBe(401);
      expect(ran).toEqual([]);
    });

    it('leaves OPTIONS on a path without an OPTIONS action to the framework', async () => {
      const res = await request(app()).options('/options/get-only');
      expect(res.status).not.toBe(401);
      expect(ran).toEqual([]);
    });
  },
);

@JsonController('/override')
class OverrideController {
  @Post('/item') @LoginRequired({ role: { POST: 'reader', DELETE: 'admin' } }) create() {
    return { did: 'create' };
  }
  @Delete('/item') @LoginRequired({ role: { POST: 'reader', DELETE: 'admin' } }) remove() {
    return { did: 'delete' };
  }
}

/** Express with the real method-override middleware in front of the routes. */
function overrideApp(auth: object) {
  const checkers = createAuthCheckers([auth], { logger: recordingLogger() });
  const app = express();
  app.use(methodOverride('X-HTTP-Method-Override'));
  useExpressServer(app, { controllers: [OverrideController], authorizationChecker: checkers.authorizationChecker, currentUserChecker: checkers.currentUserChecker });
  checkers.useExpress(app);
  return app;
}

describe('method override: roles follow the method the router dispatched on (express + method-override)', () => {
  it('refuses a reader who sends POST with X-HTTP-Method-Override: DELETE', async () => {
    const res = await request(overrideApp(new RoleUsers()))
      .post('/override/item')
      .set('X-HTTP-Method-Override', 'DELETE')
      .set('Authorization', basicHeader('reader', 'pw'));
    expect(res.status).toBe(403);
    expect(res.body).not.toEqual({ did: 'delete' });
  });

  it.each([
    ['an admin overriding to DELETE', 'admin', 'DELETE', { did: 'delete' }],
    ['a reader sending a plain POST', 'reader', undefined, { did: 'create' }],
  ])('serves %s (control)', async (_label, user, override, body) => {
    const req = request(overrideApp(new RoleUsers())).post('/override/item').set('Authorization', basicHeader(user, 'pw'));
    const res = await (override ? req.set('X-HTTP-Method-Override', override) : req);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(body);
  });

  @DigestAuth({ secret: 'override-test' })
  class DigestRoleUsers {
    @GetPassword() password(username: string) {
      return username in ROLES ? 'pw' : undefined;
    }
    @GetUserRoles() roles(user: string) {
      return ROLES[user];
    }
  }

  it('keeps Digest working: the response hashes the method on the request line, the roles use the dispatched one', async () => {
    const app = overrideApp(new DigestRoleUsers());
    const challenge = digestChallenge(await request(app).post('/override/item'));
    const sign = (username: string, nc: number) =>
      digestAuthorization({ challenge, username, password: 'pw', method: 'POST', uri: '/override/item', nc }).header;
    const reader = await request(app).post('/override/item').set('X-HTTP-Method-Override', 'DELETE').set('Authorization', sign('reader', 1));
    expect(reader.status).toBe(403);
    const admin = await request(app).post('/override/item').set('X-HTTP-Method-Override', 'DELETE').set('Authorization', sign('admin', 2));
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({ did: 'delete' });
  });
});

@JsonController('/body')
class BodyController {
  @Post('/') @LoginRequired() create(@Body() body: unknown) {
    return { body };
  }
}

@DigestAuth({ secret: 'auth-int-test', qop: ['auth', 'auth-int'] })
class AuthIntUsers {
  @GetPassword() password(username: string) {
    return username === 'john' ? 'pw' : undefined;
  }
}

describe.each(DRIVERS)('only a well-formed Digest auth-int request skips authenticating before the body (%s)', (_driver, makeApp) => {
  // A body the parser refuses: answered 400 when it is parsed first, 401 when auth comes first.
  const BROKEN_JSON = '{"not json';

  it.each([
    ['Basic qop=auth-int', 'Basic qop=auth-int'],
    ['Basic credentials mentioning auth-int', basicHeader('qop=auth-int', 'x')],
    ['Bearer qop="auth-int"', tokenHeader('qop="auth-int"')],
    ['a malformed Digest header with qop=auth-int', 'Digest qop=auth-int, username='],
  ])('refuses %s before reading the body', async (_label, authorization) => {
    const app = makeApp([BodyController], createAuthCheckers([new AuthIntUsers()], { logger: recordingLogger() }));
    const res = await request(app).post('/body').set('Content-Type', 'application/json').set('Authorization', authorization).send(BROKEN_JSON);
    expect(res.status).toBe(401);
  });

  it('reads the body first for a well-formed Digest auth-int request, and checks it (control)', async () => {
    const app = makeApp([BodyController], createAuthCheckers([new AuthIntUsers()], { logger: recordingLogger() }));
    const challenge = digestChallenge(await request(app).post('/body'));
    const body = '{"a":1}';
    const header = digestAuthorization({ challenge, username: 'john', password: 'pw', method: 'POST', uri: '/body', qop: 'auth-int', body }).header;
    const res = await request(app).post('/body').set('Content-Type', 'application/json').set('Authorization', header).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: { a: 1 } });
  });
});

@JsonController('/route-order')
class RouteOrderController {
  @Post('/:id') open(@Body() body: unknown) {
    return { route: 'open', body: body ?? null };
  }
  @Post('/special') @LoginRequired() special(@Body() body: unknown) {
    return { route: 'special', body };
  }
}

describe.each(DRIVERS)('deferring the body parser never changes the body an open route receives (%s)', (_driver, makeApp) => {
  it('gives an open route matched first its body, even where a protected route also matches', async () => {
    const app = makeApp([RouteOrderController], createAuthCheckers([new RoleUsers()]));
    const res = await request(app).post('/route-order/special').send({ a: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ route: 'open', body: { a: 1 } });
  });
});

// Two actions on one path: routing-controllers runs only the first that matches.
const secondRan: string[] = [];

@JsonController('/same')
class SamePathController {
  @Get('/') @LoginRequired({ optional: true }) first(@CurrentUser() user?: string) {
    return { action: 'first', user: user ?? null };
  }
  @Get('/') @LoginRequired({ role: 'admin' }) second() {
    secondRan.push('second');
    return { action: 'second', secret: 'admin data' };
  }
}

let checkers: ReturnType<typeof createAuthCheckers>;
const ADMIN_ONLY = [new LoginRequirement({ role: 'admin' }, 'test')];

/** Asks the checker about another requirement than the one that admitted the request early. */
@JsonController('/confirm')
class ConfirmController {
  @Get('/') @LoginRequired({ optional: true }) probe(@Req() req: object, @Res() res: object, @Ctx() context?: object) {
    // The checker answers synchronously here (in-memory hooks): throws are refusals too.
    return new Promise((resolve) => resolve(checkers.authorizationChecker({ request: req, response: res, ...(context ? { context } : {}) }, ADMIN_ONLY))).then(
      () => ({ admittedFor: 'admin' }),
      (error: { httpCode?: number }) => ({ refused: error.httpCode }),
    );
  }
}

describe.each(DRIVERS)('an early admission counts only for the requirement that made it (%s)', (_driver, makeApp) => {
  beforeEach(() => (secondRan.length = 0));

  it('runs only the first of two actions on one path, so its requirement is the one enforced', async () => {
    checkers = createAuthCheckers([new RoleUsers()]);
    const app = makeApp([SamePathController], checkers);
    const anonymous = await request(app).get('/same');
    expect(anonymous.body).toEqual({ action: 'first', user: null });
    const admin = await request(app).get('/same').set('Authorization', basicHeader('admin', 'pw'));
    expect(admin.body).toEqual({ action: 'first', user: 'admin' });
    expect(secondRan).toEqual([]);
  });

  it.each([
    ['anonymous', undefined, { refused: 401 }],
    ['a reader', basicHeader('reader', 'pw'), { refused: 403 }],
    ['an admin (control)', basicHeader('admin', 'pw'), { admittedFor: 'admin' }],
  ])('checks in full when the checker asks about another requirement: %s', async (_who, authorization, expected) => {
    checkers = createAuthCheckers([new RoleUsers()]);
    const app = makeApp([ConfirmController], checkers);
    const req = request(app).get('/confirm');
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.body).toEqual(expected);
  });
});

// Base CRUD controllers: routing-controllers serves their actions on each subclass controller.
// routing-controllers does not pass a base method's parameters (@CurrentUser included) on a
// subclass route, so these handlers take none.
class MethodProtectedBase {
  @Get('/secret') @LoginRequired({ role: 'admin' }) secret() {
    return { secret: 'admin data' };
  }
  @Get('/open') open() {
    return { open: true };
  }
}

@LoginRequired({ role: 'admin' })
class ClassProtectedBase {
  @Get('/secret') secret() {
    return { secret: 'admin data' };
  }
}

@JsonController('/inherit-method')
class InheritsMethodRequirement extends MethodProtectedBase {}

@JsonController('/inherit-class')
class InheritsClassRequirement extends ClassProtectedBase {}

/** The subclass's own class-level requirement overrides the base class's, key by key. */
@JsonController('/inherit-override')
@LoginRequired({ role: 'reader' })
class OverridesInheritedRole extends ClassProtectedBase {}

/** A method-level requirement (from the base) still wins over the subclass's class level. */
@JsonController('/inherit-merge')
@LoginRequired({ optional: true })
class MergesInheritedRequirement extends MethodProtectedBase {}

class GrandBase {
  @Get('/secret') @LoginRequired({ role: 'admin' }) secret() {
    return { secret: 'admin data' };
  }
}
class MiddleBase extends GrandBase {}
@JsonController('/inherit-deep')
class InheritsTwoLevelsDown extends MiddleBase {}

describe.each([...DRIVERS, ...DRIVERS_WITHOUT_USE.map(([n, m]) => [`${n} without useExpress/useKoa`, m] as const)])(
  'requirements declared on a base controller protect the subclass routes (%s)',
  (_driver, makeApp) => {
    const app = () =>
      makeApp(
        [InheritsMethodRequirement, InheritsClassRequirement, OverridesInheritedRole, MergesInheritedRequirement, InheritsTwoLevelsDown],
        createAuthCheckers([new RoleUsers()], { logger: recordingLogger() }),
      );

    it.each([
      ['/inherit-method/secret', undefined, 401],
      ['/inherit-method/secret', 'reader', 403],
      ['/inherit-class/secret', undefined, 401],
      ['/inherit-class/secret', 'reader', 403],
      ['/inherit-deep/secret', undefined, 401],
      ['/inherit-deep/secret', 'reader', 403],
      ['/inherit-override/secret', undefined, 401],
      ['/inherit-merge/secret', 'reader', 403],
    ])('refuses GET %s for %s', async (path, user, status) => {
      const req = request(app()).get(path);
      const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
      expect(res.status).toBe(status);
      expect(res.text).not.toContain('admin data');
    });

    it.each([
      ['/inherit-method/secret', 'admin', { secret: 'admin data' }],
      ['/inherit-class/secret', 'admin', { secret: 'admin data' }],
      ['/inherit-deep/secret', 'admin', { secret: 'admin data' }],
      ['/inherit-override/secret', 'reader', { secret: 'admin data' }],
      ['/inherit-merge/secret', 'admin', { secret: 'admin data' }],
      ['/inherit-merge/secret', undefined, { secret: 'admin data' }],
      ['/inherit-method/open', undefined, { open: true }],
    ])('serves GET %s to %s (control)', async (path, user, body) => {
      const req = request(app()).get(path);
      const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(body);
    });
  },
);

describe.each([...DRIVERS, ...DRIVERS_WITHOUT_USE.map(([n, m]) => [`${n} without useExpress/useKoa`, m] as const)])(
  'a subclass controller defined after createAuthCheckers (%s)',
  (_driver, makeApp) => {
    it.each([
      [undefined, 401],
      ['reader', 403],
      ['admin', 200],
    ])('serves the inherited action by its requirement: %s gets %s', async (user, status) => {
      const checkers = createAuthCheckers([new RoleUsers()], { logger: recordingLogger() });
      @JsonController('/late')
      class LateSubclass extends MethodProtectedBase {}
      const req = request(makeApp([LateSubclass], checkers)).get('/late/secret');
      const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
      expect(res.status).toBe(status);
      if (status !== 200) expect(res.text).not.toContain('admin data');
    });
  },
);
