import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { Ctx, CurrentUser, Get, JsonController, Req, useContainer, type Action } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  generateUserhash,
  GetPassword,
  GetUsernameByHash,
  GetUserRoles,
  HashPassword,
  LoginRequired,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
  type DigestAlgorithm,
} from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, makeExpressApp, makeKoaApp, recordingLogger, tokenHeader } from '../helpers';

interface User {
  id: number;
  name: string;
}

class UserStore {
  constructor(private readonly users: Record<string, { password: string; user: User }>) {}
  check(username: string, password: string): User | null {
    const entry = this.users[username];
    return entry && entry.password === password ? entry.user : null;
  }
}

@BasicAuth({ realm: 'Users' })
class UserAuth {
  verifications = 0;
  constructor(private readonly store: UserStore = new UserStore({})) {}
  @VerifyPassword() verify(username: string, password: string) {
    this.verifications++;
    return this.store.check(username, password);
  }
}

@BasicAuth({ realm: 'Staff' })
class StaffAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'staff' && password === 'staff-pw' ? { id: 99, name: 'staff' } : null;
  }
}

const JOHN: User = { id: 1, name: 'john' };
const SUSAN: User = { id: 2, name: 'susan' };
const storeA = () => new UserStore({ john: { password: 'hello', user: JOHN } });
const storeB = () => new UserStore({ susan: { password: 'bye', user: SUSAN } });

/** Set by each test: the checkers whose currentUser() the controllers call. */
let checkers: AuthCheckers<User>;

@JsonController('/me')
@LoginRequired()
class MeController {
  @Get('/') me(@CurrentUser() user: User) {
    return { user };
  }
  @Get('/optional') @LoginRequired({ optional: true }) optional(@CurrentUser() user?: User) {
    return { user: user ?? null };
  }
}

@JsonController('/express-me')
@LoginRequired()
class ExpressReqController {
  @Get('/') me(@Req() req: IncomingMessage) {
    return { user: checkers.currentUser(req) ?? null };
  }
}

@JsonController('/koa-me')
@LoginRequired()
class KoaCtxController {
  @Get('/') me(@Ctx() ctx: { req: IncomingMessage }, @Req() koaRequest: { req: IncomingMessage }) {
    return { fromCtx: checkers.currentUser(ctx) ?? null, fromKoaRequest: checkers.currentUser(koaRequest) ?? null };
  }
}

describe.each(DRIVERS)('@CurrentUser and auth.currentUser() (%s)', (_driver, makeApp) => {
  it('gives @CurrentUser() the object @VerifyPassword returned, verifying once', async () => {
    const auth = new UserAuth(storeA());
    const app = makeApp([MeController], createAuthCheckers<User>([auth]) as AuthCheckers<unknown>);
    const res = await request(app).get('/me').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: JOHN });
    // currentUserChecker reads what the authorization step stored: no second verification.
    expect(auth.verifications).toBe(1);
  });

  it('gives @CurrentUser() nothing on an optional route without credentials', async () => {
    const app = makeApp([MeController], createAuthCheckers<User>([new UserAuth(storeA())]) as AuthCheckers<unknown>);
    const res = await request(app).get('/me/optional');
    expect(res.body).toEqual({ user: null });
  });

  it('reads the user from the routing-controllers Action', async () => {
    const auth = createAuthCheckers<User>([new UserAuth(storeA())]);
    const seen: (User | undefined)[] = [];
    const wrapped: AuthCheckers<unknown> = {
      ...auth,
      async authorizationChecker(action: Action, roles: readonly unknown[]) {
        const ok = await auth.authorizationChecker(action, roles);
        seen.push(auth.currentUser(action));
        return ok;
      },
    };
    const app = makeApp([MeController], wrapped);
    await request(app).get('/me').set('Authorization', basicHeader('john', 'hello'));
    expect(seen).toEqual([JOHN]);
  });

  it('has no user for a request that was refused, or for things that are not requests', async () => {
    @BasicAuth({ realm: 'Users' })
    class Refusing extends UserAuth {
      refused: Action[] = [];
      @ErrorHandler() onError(_status: 401 | 403, action: Action) {
        this.refused.push(action);
      }
    }
    const refusing = new Refusing(storeA());
    const auth = createAuthCheckers<User>([refusing]);
    const res = await request(makeApp([MeController], auth as AuthCheckers<unknown>)).get('/me').set('Authorization', basicHeader('john', 'bye'));
    expect(res.status).toBe(401);
    expect(refusing.refused).toHaveLength(1);
    expect(auth.currentUser(refusing.refused[0])).toBeUndefined();
    for (const junk of [null, undefined, 42, 'req', {}, { request: {}, response: {} }]) {
      expect(auth.currentUser(junk as never)).toBeUndefined();
    }
  });
});

describe('auth.currentUser() with driver-specific sources', () => {
  it('reads the user from an Express request', async () => {
    checkers = createAuthCheckers<User>([new UserAuth(storeA())]);
    const app = makeExpressApp([ExpressReqController], checkers as AuthCheckers<unknown>);
    const res = await request(app).get('/express-me').set('Authorization', basicHeader('john', 'hello'));
    expect(res.body).toEqual({ user: JOHN });
  });

  it('reads the user from a Koa context and a Koa request', async () => {
    checkers = createAuthCheckers<User>([new UserAuth(storeA())]);
    const app = makeKoaApp([KoaCtxController], checkers as AuthCheckers<unknown>);
    const res = await request(app).get('/koa-me').set('Authorization', basicHeader('john', 'hello'));
    expect(res.body).toEqual({ fromCtx: JOHN, fromKoaRequest: JOHN });
  });
});

// --- Flask's application factory: two apps, one process ---------------------------------------

describe.each(DRIVERS)('two apps in one process (Flask application factory) (%s)', (_driver, makeApp) => {
  it('keeps two instances of one auth class, with different stores, apart', async () => {
    const appA = makeApp([MeController], createAuthCheckers<User>([new UserAuth(storeA())]) as AuthCheckers<unknown>);
    const appB = makeApp([MeController], createAuthCheckers<User>([new UserAuth(storeB())]) as AuthCheckers<unknown>);
    const [a1, a2, b1, b2] = await Promise.all([
      request(appA).get('/me').set('Authorization', basicHeader('john', 'hello')),
      request(appA).get('/me').set('Authorization', basicHeader('susan', 'bye')),
      request(appB).get('/me').set('Authorization', basicHeader('john', 'hello')),
      request(appB).get('/me').set('Authorization', basicHeader('susan', 'bye')),
    ]);
    expect([a1.status, a2.status, b1.status, b2.status]).toEqual([200, 401, 401, 200]);
    expect(a1.body).toEqual({ user: JOHN });
    expect(b2.body).toEqual({ user: SUSAN });
  });

  it('gives the same controller a different default auth class in each app', async () => {
    const appA = makeApp([MeController], createAuthCheckers<User>([new UserAuth(storeA()), new StaffAuth()]) as AuthCheckers<unknown>);
    const appB = makeApp([MeController], createAuthCheckers<User>([new StaffAuth(), new UserAuth(storeA())]) as AuthCheckers<unknown>);
    const [a, b] = await Promise.all([request(appA).get('/me'), request(appB).get('/me')]);
    expect(a.headers['www-authenticate']).toBe('Basic realm="Users"');
    expect(b.headers['www-authenticate']).toBe('Basic realm="Staff"');
    const staffOnA = await request(appA).get('/me').set('Authorization', basicHeader('staff', 'staff-pw'));
    const staffOnB = await request(appB).get('/me').set('Authorization', basicHeader('staff', 'staff-pw'));
    expect(staffOnA.status).toBe(401);
    expect(staffOnB.status).toBe(200);
  });

  it('does not let one app\'s checkers see the other app\'s users', async () => {
    const authA = createAuthCheckers<User>([new UserAuth(storeA())]);
    const authB = createAuthCheckers<User>([new UserAuth(storeA())]);
    const seen: unknown[] = [];
    const app = makeApp([MeController], {
      ...authA,
      async authorizationChecker(action: Action, roles: readonly unknown[]) {
        const ok = await authA.authorizationChecker(action, roles);
        seen.push(authA.currentUser(action), authB.currentUser(action));
        return ok;
      },
    } as AuthCheckers<unknown>);
    await request(app).get('/me').set('Authorization', basicHeader('john', 'hello'));
    expect(seen).toEqual([JOHN, undefined]);
  });
});

// --- classes given to createAuthCheckers: container or `new` ----------------------------------

@BasicAuth({ realm: 'Constructed' })
class ConstructedAuth {
  static instances = 0;
  constructor() {
    ConstructedAuth.instances++;
  }
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'c' && password === 'c' ? { id: 3, name: 'constructed' } : null;
  }
}

@BasicAuth({ realm: 'From container' })
class ContainerAuth {
  constructor(private readonly store?: UserStore) {}
  @VerifyPassword() verify(username: string, password: string) {
    return this.store ? this.store.check(username, password) : null;
  }
}

describe.each(DRIVERS)('createAuthCheckers with classes (%s)', (_driver, makeApp) => {
  afterEach(() => {
    // Restores routing-controllers' default container (`new` for every class).
    useContainer(undefined as never);
  });

  it('constructs a class with `new` when no container is set, once per process', async () => {
    const app = makeApp([MeController], createAuthCheckers<User>([ConstructedAuth]) as AuthCheckers<unknown>);
    const res = await request(app).get('/me').set('Authorization', basicHeader('c', 'c'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: 3, name: 'constructed' } });
    // routing-controllers' default container keeps one instance per class, shared by every app.
    expect(ConstructedAuth.instances).toBe(1);
  });

  it('resolves a class through the container set with useContainer', async () => {
    const resolved: Function[] = [];
    useContainer(
      {
        get<T>(cls: new (...args: never[]) => T): T {
          resolved.push(cls);
          return (cls === (ContainerAuth as Function) ? new ContainerAuth(storeA()) : undefined) as T;
        },
      },
      { fallback: true },
    );
    const app = makeApp([MeController], createAuthCheckers<User>([ContainerAuth], { container: true }) as AuthCheckers<unknown>);
    const res = await request(app).get('/me').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: JOHN });
    expect(resolved).toContain(ContainerAuth);
  });

  it('resolves the class on first use, so useContainer may come after createAuthCheckers', async () => {
    const auth = createAuthCheckers<User>([ContainerAuth], { container: true });
    useContainer({ get: <T>(cls: unknown): T => (cls === ContainerAuth ? new ContainerAuth(storeB()) : undefined) as T }, { fallback: true });
    const app = makeApp([MeController], auth as AuthCheckers<unknown>);
    const res = await request(app).get('/me').set('Authorization', basicHeader('susan', 'bye'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: SUSAN });
  });
});

// --- docs/checkers.md "What @CurrentUser() holds": one row per scheme and hook -------------

@BasicAuth({ realm: 'Objects' })
class VerifyReturnsObject {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'john' && password === 'hello' ? JOHN : null;
  }
}

@BasicAuth({ realm: 'True' })
class VerifyReturnsTrue {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'john' && password === 'hello';
  }
}

@BasicAuth({ realm: 'Stored' })
class StoredPassword {
  @GetPassword() password(username: string) {
    return username === 'john' ? 'hello' : undefined;
  }
}

@BasicAuth({ realm: 'Hashed' })
class StoredHash {
  @GetPassword() password(username: string) {
    return username === 'john' ? 'HELLO' : undefined;
  }
  @HashPassword() hash(password: string) {
    return password.toUpperCase();
  }
}

@BasicAuth({ realm: 'Anonymous' })
class AnonymousObject {
  @VerifyPassword() verify(username: string, password: string) {
    if (username === '' && password === '') return { id: 0, name: 'guest' };
    return username === 'john' && password === 'hello' ? JOHN : null;
  }
}

@BasicAuth({ realm: 'Anonymous true' })
class AnonymousTrue {
  @VerifyPassword() verify(username: string, password: string) {
    return (username === '' && password === '') || (username === 'john' && password === 'hello');
  }
}

@TokenAuth()
class TokenReturnsObject {
  @VerifyToken() verify(token: string) {
    return token === 'the-token' ? JOHN : null;
  }
}

@TokenAuth()
class TokenReturnsTrue {
  @VerifyToken() verify(token: string) {
    return token === 'the-token';
  }
}

@DigestAuth({ realm: 'digest', secret: 'current-user-test-secret', algorithm: 'SHA-256', userhash: true })
class DigestUsers {
  @GetPassword() password(username: string) {
    return username === 'john' ? 'hello' : undefined;
  }
  @GetUsernameByHash() byHash(hash: string, algorithm: DigestAlgorithm) {
    return hash === generateUserhash('john', 'digest', algorithm) ? 'john' : undefined;
  }
}

/** Records the first argument @GetUserRoles receives: the same value @CurrentUser() gets. */
let rolesSawUser: unknown[] = [];

@JsonController('/holds')
class HoldsController {
  @Get('/') @LoginRequired() required(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? '(undefined)' : user };
  }
  @Get('/optional') @LoginRequired({ optional: true }) optional(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? '(undefined)' : user };
  }
}

@JsonController('/holds')
class HoldsWithRoleController {
  @Get('/roles') @LoginRequired({ role: 'any' }) roles(@CurrentUser() user?: unknown) {
    return { user: user === undefined ? '(undefined)' : user };
  }
}

const withRoles = <T extends new (...args: any[]) => object>(Base: T) => {
  class WithRoles extends Base {
    @GetUserRoles() roles(user: unknown) {
      rolesSawUser.push(user === undefined ? '(undefined)' : user);
      return 'any';
    }
  }
  return WithRoles;
};

type Send = (app: Parameters<typeof request>[0], path: string) => Promise<request.Response>;
const basic: Send = (app, path) => request(app).get(path).set('Authorization', basicHeader('john', 'hello'));
const bearer: Send = (app, path) => request(app).get(path).set('Authorization', tokenHeader('the-token'));
const nothing: Send = (app, path) => request(app).get(path);
const digest =
  (userhash: boolean): Send =>
  async (app, path) => {
    const challenge = digestChallenge(await request(app).get(path));
    const { header } = digestAuthorization({ challenge, username: 'john', password: 'hello', method: 'GET', uri: path, userhash });
    return request(app).get(path).set('Authorization', header);
  };

describe.each(DRIVERS)('what @CurrentUser() holds, per scheme and hook (the table of docs/checkers.md) (%s)', (_driver, makeApp) => {
  // [row, auth class, route, how the request authenticates, what @CurrentUser() and @GetUserRoles get]
  it.each([
    ['Basic, @VerifyPassword returns an object', VerifyReturnsObject, '/holds', basic, JOHN],
    ['Basic, @VerifyPassword returns true', VerifyReturnsTrue, '/holds', basic, 'john'],
    ['Basic, @GetPassword', StoredPassword, '/holds', basic, 'john'],
    ['Basic, @GetPassword + @HashPassword', StoredHash, '/holds', basic, 'john'],
    ['Token, @VerifyToken returns an object', TokenReturnsObject, '/holds', bearer, JOHN],
    ['Token, @VerifyToken returns true', TokenReturnsTrue, '/holds', bearer, '(undefined)'],
    ['Digest', DigestUsers, '/holds', digest(false), 'john'],
    ['Digest with userhash', DigestUsers, '/holds', digest(true), 'john'],
    ["nothing sent, @VerifyPassword('', '') returns an object", AnonymousObject, '/holds', nothing, { id: 0, name: 'guest' }],
    ["nothing sent, @VerifyPassword('', '') returns true", AnonymousTrue, '/holds', nothing, '(undefined)'],
    ['nothing sent on an optional route, the hook declines', VerifyReturnsObject, '/holds/optional', nothing, '(undefined)'],
  ] as const)('%s', async (_row, Auth, path, send, expected) => {
    const app = makeApp([HoldsController], createAuthCheckers([new Auth()], { logger: recordingLogger() }) as AuthCheckers<unknown>); // the Digest secret warning
    const res = await send(app, path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: expected });
    // The control: the same route refuses a request that does not authenticate.
    expect((await request(app).get(path).set('Authorization', 'Basic am9objp3cm9uZw==')).status).toBe(401);
  });

  it.each([
    ['Basic, @VerifyPassword returns true', VerifyReturnsTrue, basic, 'john'],
    ['Basic, @GetPassword', StoredPassword, basic, 'john'],
    ['Token, @VerifyToken returns true', TokenReturnsTrue, bearer, '(undefined)'],
    ['Digest', DigestUsers, digest(false), 'john'],
  ] as const)('gives @GetUserRoles the same value: %s', async (_row, Auth, send, expected) => {
    rolesSawUser = [];
    const app = makeApp([HoldsWithRoleController], createAuthCheckers([new (withRoles(Auth))()], { logger: recordingLogger() }) as AuthCheckers<unknown>);
    const res = await send(app, '/holds/roles');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: expected });
    expect(rolesSawUser).toEqual([expected]);
  });
});
