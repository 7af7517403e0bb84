import request from 'supertest';
import { Authorized, Get, JsonController } from 'routing-controllers';
import type { Express } from 'express';
import {
  BasicAuth,
  createAuthCheckers,
  ErrorHandler,
  GetPassword,
  GetUserRoles,
  HashPassword,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
} from '../../src';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, makeExpressApp, recordingLogger } from '../helpers';

@BasicAuth()
class GoodBasic {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? username : null;
  }
}

/** Valid on its own, but has no @GetUserRoles. */
@BasicAuth()
class RolelessBasic {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? username : null;
  }
}

@BasicAuth()
class GoodRoles {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? username : null;
  }
  @GetUserRoles() roles() {
    return ['admin'];
  }
}

@TokenAuth()
class UnpassedTokens {
  @VerifyToken() verify(token: string) {
    return token === 'good';
  }
}

class NotAnAuthClass {
  verify() {
    return true;
  }
}

@JsonController('/needs-role')
class NeedsRoleController {
  @Get('/') @LoginRequired({ role: 'admin' }) admin() {
    return { admin: true };
  }
  @Get('/open') @LoginRequired() open() {
    return { open: true };
  }
}

@JsonController('/unpassed')
class UnpassedController {
  @Get('/') @LoginRequired({ auth: UnpassedTokens }) tokens() {
    return { tokens: true };
  }
}

@JsonController('/unpassed-class')
@LoginRequired({ auth: [GoodBasic, UnpassedTokens] })
class UnpassedAtClassController {
  @Get('/') index() {
    return { ok: true };
  }
}

@JsonController('/authorized-role')
class AuthorizedRoleController {
  @Get('/') @Authorized('admin') admin() {
    return { admin: true };
  }
}

@JsonController('/plain')
class PlainController {
  @Get('/') index() {
    return { ok: true };
  }
}

// --- auth classes: checked at decoration or by createAuthCheckers ------------------------------

describe('auth class misconfiguration', () => {
  it('throws at createAuthCheckers for a @BasicAuth class with neither @VerifyPassword nor @GetPassword, naming the class and the fix', () => {
    @BasicAuth()
    class NoHooks {}
    for (const input of [NoHooks, new NoHooks()]) {
      expect(() => createAuthCheckers([input])).toThrow(TypeError);
      expect(() => createAuthCheckers([input])).toThrow(/NoHooks.*@VerifyPassword.*@GetPassword.*add one/);
    }
  });

  it('throws at createAuthCheckers for a @TokenAuth class without @VerifyToken', () => {
    @TokenAuth()
    class NoVerifyToken {}
    expect(() => createAuthCheckers([NoVerifyToken])).toThrow(TypeError);
    expect(() => createAuthCheckers([NoVerifyToken])).toThrow(/NoVerifyToken.*@VerifyToken/);
  });

  it('throws at createAuthCheckers for @HashPassword without @GetPassword', () => {
    @BasicAuth()
    class HashOnly {
      @VerifyPassword() verify() {
        return true;
      }
      @HashPassword() hash(password: string) {
        return password;
      }
    }
    expect(() => createAuthCheckers([HashOnly])).toThrow(/HashOnly.*@HashPassword.*@GetPassword/);
  });

  describe('a @BasicAuth class with both @VerifyPassword and @GetPassword (one of them would never run)', () => {
    @BasicAuth()
    class BothHooks {
      @VerifyPassword() verify() {
        return true;
      }
      @GetPassword() password() {
        return 'stored';
      }
    }
    @BasicAuth()
    class BothWithHash {
      @VerifyPassword() verify() {
        return true;
      }
      @GetPassword() password() {
        return 'stored';
      }
      @HashPassword() hash(password: string) {
        return password;
      }
    }
    @BasicAuth()
    class VerifyingParent {
      @VerifyPassword() verify() {
        return true;
      }
    }
    class StoredChild extends VerifyingParent {
      @GetPassword() password() {
        return 'stored';
      }
    }

    it.each([
      ['on one class', BothHooks, /BothHooks has both @VerifyPassword \(verify\) and @GetPassword \(password\).*never run.*Keep @VerifyPassword.*or keep @GetPassword/],
      ['with @HashPassword', BothWithHash, /BothWithHash has both @VerifyPassword/],
      ['one inherited from the parent class', StoredChild, /StoredChild has both @VerifyPassword \(verify\) and @GetPassword \(password\)/],
    ] as const)('throws at createAuthCheckers %s, naming the class and the fix', (_title, cls, message) => {
      for (const input of [cls, new cls()]) {
        expect(() => createAuthCheckers([input])).toThrow(TypeError);
        expect(() => createAuthCheckers([input])).toThrow(message);
      }
    });

    it('accepts either hook on its own', () => {
      @BasicAuth()
      class StoredOnly {
        @GetPassword() password() {
          return 'stored';
        }
        @HashPassword() hash(password: string) {
          return password;
        }
      }
      expect(() => createAuthCheckers([new StoredOnly()])).not.toThrow();
      expect(() => createAuthCheckers([new VerifyingParent()])).not.toThrow();
    });
  });

  it('throws a TypeError for @VerifyToken on a @BasicAuth class, naming the class and the fix', () => {
    expect(() => {
      @BasicAuth()
      class MixedHooks {
        @VerifyPassword() verify() {
          return true;
        }
        @VerifyToken() token() {
          return true;
        }
      }
      createAuthCheckers([new MixedHooks()]);
    }).toThrow(/MixedHooks.*@BasicAuth.*@VerifyToken.*remove it/);
  });

  it.each([
    ['@VerifyPassword', () => {
      @BasicAuth()
      class TwiceVerify {
        @VerifyPassword() a() {
          return true;
        }
        @VerifyPassword() b() {
          return true;
        }
      }
      return TwiceVerify;
    }, /@VerifyPassword is defined twice on TwiceVerify \(a, b\); keep one/],
    ['@GetUserRoles', () => {
      class TwiceRoles {
        @GetUserRoles() a() {
          return null;
        }
        @GetUserRoles() b() {
          return null;
        }
      }
      return TwiceRoles;
    }, /@GetUserRoles is defined twice on TwiceRoles/],
    ['@ErrorHandler', () => {
      class TwiceHandler {
        @ErrorHandler() a() {}
        @ErrorHandler() b() {}
      }
      return TwiceHandler;
    }, /@ErrorHandler is defined twice on TwiceHandler/],
    ['@GetPassword', () => {
      class TwicePassword {
        @GetPassword() a() {
          return 'x';
        }
        @GetPassword() b() {
          return 'x';
        }
      }
      return TwicePassword;
    }, /@GetPassword is defined twice on TwicePassword/],
  ] as const)('throws at decoration for two %s hooks on one class', (_name, declare, message) => {
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(message);
  });

  it('throws at decoration for two scheme decorators on one class', () => {
    expect(() => {
      @BasicAuth()
      @TokenAuth()
      class TwoSchemes {
        @VerifyToken() verify() {
          return true;
        }
      }
      return TwoSchemes;
    }).toThrow(/TwoSchemes.*@TokenAuth.*@BasicAuth|TwoSchemes.*@BasicAuth.*@TokenAuth/);
  });

  it('throws at decoration for a hook on a static method', () => {
    expect(() => {
      class StaticHook {
        @VerifyPassword() static verify() {
          return true;
        }
      }
      return StaticHook;
    }).toThrow(/static method StaticHook\.verify/);
  });

  it.each([
    ['@BasicAuth with an unknown key', () => BasicAuth({ relm: 'x' } as never), /unknown option "relm"/],
    ['@TokenAuth with an unknown key', () => TokenAuth({ headr: 'X-Key' } as never), /unknown option "headr"/],
    ['@BasicAuth with a realm containing a newline', () => BasicAuth({ realm: 'a\nb' }), /realm/],
    ['@BasicAuth with a realm beyond latin-1', () => BasicAuth({ realm: 'König 🔑' }), /realm/],
    ['@BasicAuth with a two-word scheme', () => BasicAuth({ scheme: 'My Basic' }), /scheme must be a single token/],
    ['@BasicAuth with another charset', () => BasicAuth({ charset: 'latin1' } as never), /charset/],
    ['@TokenAuth reading Authorization as a custom header', () => TokenAuth({ header: 'Authorization' }), /leave out "header"/],
    ['@TokenAuth with a header name that is not a token', () => TokenAuth({ header: 'X API Key' }), /header must be a header name/],
  ])('throws a TypeError at decoration for %s, naming the class', (_label, decorator, message) => {
    const declare = () => {
      class Misdeclared {
        @VerifyPassword() verify() {
          return true;
        }
      }
      decorator()(Misdeclared);
    };
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(message);
    expect(declare).toThrow(/Misdeclared/);
  });
});

// --- @LoginRequired options: checked at decoration --------------------------------------------

describe('@LoginRequired misconfiguration', () => {
  it('throws at decoration when auth names a class that is not an auth class, at method level', () => {
    const declare = () => {
      class MethodLevel {
        @Get('/x') @LoginRequired({ auth: NotAnAuthClass }) x() {}
      }
      return MethodLevel;
    };
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(/MethodLevel\.x.*NotAnAuthClass is not an auth class; decorate it with @BasicAuth/);
  });

  it('throws at decoration when auth names a class that is not an auth class, at class level and inside a list', () => {
    const declare = () => {
      @LoginRequired({ auth: [GoodBasic, NotAnAuthClass] })
      class ClassLevel {}
      return ClassLevel;
    };
    expect(declare).toThrow(/ClassLevel.*NotAnAuthClass is not an auth class/);
  });

  it.each([
    ['an unknown key', { rol: 'admin' }, /unknown option "rol"/],
    ['a numeric role', { role: 5 }, /role must be a string/],
    ['an empty role name', { role: [''] }, /non-empty/],
    ['an empty all-of group', { role: [[]] }, /non-empty/],
    ['a role keyed by something that is not a method', { role: { 'GET /x': 'a' } }, /not an HTTP method/],
    ['a role object without any method', { role: {} }, /role names no HTTP method/],
    ['a role that is a Map', { role: new Map([['GET', 'a']]) }, /role must be a string/],
    ['a boolean role', { role: true }, /role must be a string/],
    ['a null role', { role: null }, /role must be a string/],
    ['a role function', { role: () => 'admin' }, /role must be a string/],
    ['a numeric role inside a method map', { role: { GET: 1 } }, /role for GET\): role must be a string/],
    ['a non-boolean optional', { optional: 'yes' }, /optional must be true or false/],
    ['optional given as 1', { optional: 1 }, /optional must be true or false/],
    ['a null optional', { optional: null }, /optional must be true or false/],
    ['auth that is a string', { auth: 'UserAuth' }, /auth: UserAuth is not an auth class/],
    ['a null auth', { auth: null }, /auth: null is not an auth class/],
    ['auth that is a plain class', { auth: NotAnAuthClass }, /NotAnAuthClass is not an auth class/],
    ['auth that is an instance', { auth: new GoodBasic() }, /is not an auth class/],
    ['null options', null, /options must be an object/],
    ['array options', [{ role: 'admin' }], /options must be an object/],
    ['string options', 'admin', /options must be an object/],
    ['an empty auth list', { auth: [] }, /at least one auth class/],
    ['the same auth class twice', { auth: [GoodBasic, GoodBasic] }, /same class twice/],
  ])('throws a TypeError at decoration for %s, naming the action', (_label, options, message) => {
    const declare = () => {
      class Options {
        @Get('/x') @LoginRequired(options as never) x() {}
      }
      return Options;
    };
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(message);
    expect(declare).toThrow(/@LoginRequired on Options\.x/);
  });
});

// --- createAuthCheckers: checked at start-up when it is given the controllers ------------------

describe('createAuthCheckers misconfiguration', () => {
  it('throws for an empty list, a class that is not an auth class, and the same class twice', () => {
    expect(() => createAuthCheckers([])).toThrow(/at least one auth class/);
    expect(() => createAuthCheckers([NotAnAuthClass])).toThrow(/NotAnAuthClass, which is not an auth class; decorate it with @BasicAuth/);
    expect(() => createAuthCheckers([new NotAnAuthClass()])).toThrow(/NotAnAuthClass/);
    expect(() => createAuthCheckers([GoodBasic, new GoodBasic()])).toThrow(/same auth class twice/);
  });

  it('throws when a controller names an auth class that was not passed, naming the class, the action and the fix', () => {
    const create = () => createAuthCheckers([new GoodBasic()], { controllers: [UnpassedController] });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/UnpassedController\.tokens.*UnpassedTokens is named in @LoginRequired\(\{ auth \}\) but was not passed to createAuthCheckers; add it there/);
  });

  it('throws for an unpassed class named at class level', () => {
    expect(() => createAuthCheckers([new GoodBasic()], { controllers: [UnpassedAtClassController] })).toThrow(/UnpassedTokens/);
  });

  it('throws when a route requires a role of a class without @GetUserRoles, naming the class and the fix', () => {
    const create = () => createAuthCheckers([new RolelessBasic()], { controllers: [NeedsRoleController] });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/NeedsRoleController\.admin.*RolelessBasic has no @GetUserRoles method.*add one that returns the user's roles/);
  });

  it('accepts controllers that are configured correctly', () => {
    expect(() => createAuthCheckers([new GoodBasic(), new UnpassedTokens()], { controllers: [UnpassedController, PlainController] })).not.toThrow();
  });

  it('throws at guard creation for a guard that names an unpassed class or needs missing roles', () => {
    const auth = createAuthCheckers([new RolelessBasic()]);
    expect(() => auth.guard({ auth: UnpassedTokens })).toThrow(/auth\.guard\(\).*UnpassedTokens/);
    expect(() => auth.koaGuard({ role: 'admin' })).toThrow(/auth\.koaGuard\(\).*RolelessBasic has no @GetUserRoles/);
  });
});

describe.each(DRIVERS)('useExpress / useKoa check every protected route of the app at start-up (%s)', (_driver, makeApp) => {
  it.each([
    ['a role on a class without @GetUserRoles', NeedsRoleController, /^http-auth: NeedsRoleController\.admin: RolelessBasic has no @GetUserRoles method.*add one/],
    ['an auth class that was not passed', UnpassedController, /^http-auth: UnpassedController\.tokens: UnpassedTokens is named in @LoginRequired\(\{ auth \}\) but was not passed to createAuthCheckers; add it there/],
    ['an unpassed class named at class level', UnpassedAtClassController, /^http-auth: UnpassedAtClassController\.index: \w+ is named in @LoginRequired.*add it there/],
    ["@Authorized('admin') on a class without @GetUserRoles", AuthorizedRoleController, /^http-auth: AuthorizedRoleController\.admin: RolelessBasic has no @GetUserRoles method/],
  ])('throws for %s, naming the route and the fix, without the controllers option', (_label, controller, message) => {
    expect(() => makeApp([controller], createAuthCheckers([new RolelessBasic()]))).toThrow(message);
  });

  it('starts an app whose routes are all served (control)', () => {
    expect(() => makeApp([NeedsRoleController, PlainController], createAuthCheckers([new GoodRoles()]))).not.toThrow();
  });

  it('checks only the routes of its own app: a misconfigured controller of another app is not its concern', () => {
    expect(() => makeApp([PlainController], createAuthCheckers([new RolelessBasic()]))).not.toThrow();
  });
});

// --- neither `controllers` nor useExpress/useKoa: the first request reveals it; the single allowed 500 ---

describe.each(DRIVERS_WITHOUT_USE)('misconfiguration found by a request (%s)', (driver, makeApp) => {
  const GENERIC = { name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_MISCONFIGURED' };

  it.each([
    ['a role on a class without @GetUserRoles', '/needs-role', 'RolelessBasic', /RolelessBasic has no @GetUserRoles method.*add one/],
    ['an auth class that was not passed', '/unpassed', 'UnpassedTokens', /UnpassedTokens.*not passed to createAuthCheckers; add it there/],
    ['@Authorized(\'admin\') on a class without @GetUserRoles', '/authorized-role', 'RolelessBasic', /RolelessBasic has no @GetUserRoles method/],
  ])('answers %s with 500, a generic body and exactly one log line naming the class and the fix', async (_label, path, className, message) => {
    const logger = recordingLogger();
    const app = makeApp([NeedsRoleController, UnpassedController, AuthorizedRoleController], createAuthCheckers([new RolelessBasic()], { logger }));
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get(path).set('Authorization', basicHeader('john', 'pw'));
      expect(res.status).toBe(500);
      expect(res.body).toEqual(GENERIC);
      expect(res.text).not.toContain(className);
    }
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toMatch(message);
    // Besides, once, the wiring these apps left out (useExpress/useKoa).
    expect(logger.warn.mock.calls).toEqual([[expect.stringContaining(`call auth.use${driver === 'express' ? 'Express' : 'Koa'}(app)`)]]);
  });

  it('keeps serving the correctly configured routes', async () => {
    const logger = recordingLogger();
    const app = makeApp([NeedsRoleController], createAuthCheckers([new RolelessBasic()], { logger }));
    const res = await request(app).get('/needs-role/open').set('Authorization', basicHeader('john', 'pw'));
    expect(res.status).toBe(200);
    expect(logger.error).not.toHaveBeenCalled();
  });
});
