import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import ts from 'typescript';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  GenerateNonce,
  GenerateOpaque,
  generateUserhash,
  GetPassword,
  GetUsernameByHash,
  GetUserRoles,
  HashPassword,
  LoginRequired,
  TokenAuth,
  VerifyNonce,
  VerifyOpaque,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
} from '../../src';
import { readAuthClass } from '../../src/registry';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { basicHeader, DRIVERS, tokenHeader, type AppBuilder } from '../helpers';

/** Checkers typed loosely enough for the app builders. */
const checkersFor = (auth: object[] | object) => createAuthCheckers(auth as never) as AuthCheckers<unknown>;

// --- compiled the way ts-node --transpile-only and SWC users run it ---------------------------

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** transpileModule with isolatedModules: no type check, as a transpile-only loader compiles each file. */
function loadTranspiled<T>(name: string): T {
  const file = path.join(FIXTURES, name);
  const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: {
      isolatedModules: true,
      experimentalDecorators: true,
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
    },
  });
  expect(diagnostics ?? []).toEqual([]);
  const module = { exports: {} as T };
  // Relative imports resolve from the fixture's folder, through jest's registry, so the fixture
  // shares the library and routing-controllers' metadata storage with this test.
  const fixtureRequire = (id: string) => require(id.startsWith('.') ? path.resolve(FIXTURES, id) : id);
  new Function('require', 'module', 'exports', outputText)(fixtureRequire, module, module.exports);
  return module.exports;
}

interface RoutesFixture {
  CalledUsers: new () => object;
  BareMethodController: Function;
  BareClassController: Function;
}

interface AuthClassFixture {
  BareUsers: new () => object;
  BareTokens: new () => object;
  BareTokenController: Function;
}

describe('bare decorators compiled with transpileModule (isolatedModules, no type check)', () => {
  // Loaded in the hooks, so that a fixture that fails to load fails its tests, not the file.
  let routes: RoutesFixture;
  let authClasses: AuthClassFixture;
  beforeAll(() => {
    routes = loadTranspiled<RoutesFixture>('bare-login-required-app.ts');
  });

  describe.each(DRIVERS)('%s', (_driver, makeApp) => {
    it.each([
      ['bare @LoginRequired on a method', '/bare-method'],
      ['bare @LoginRequired on a class', '/bare-class'],
    ])('%s answers 401 with a Basic challenge without credentials and 200 with them', async (_title, url) => {
      const server = makeApp([routes.BareMethodController, routes.BareClassController], checkersFor(new routes.CalledUsers()));
      const anonymous = await request(server).get(url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
      expect((await request(server).get(url).set('Authorization', basicHeader('john', 'wrong'))).status).toBe(401);
      const res = await request(server).get(url).set('Authorization', basicHeader('john', 'hello'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
    });

    it('keeps an undecorated action of the same controller open', async () => {
      const server = makeApp([routes.BareMethodController], checkersFor(new routes.CalledUsers()));
      const res = await request(server).get('/bare-method/open');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ open: true });
    });

    describe('with bare @BasicAuth, @TokenAuth and hook decorators', () => {
      beforeAll(() => {
        authClasses ??= loadTranspiled<AuthClassFixture>('bare-auth-class-app.ts');
      });
      const server = () =>
        makeApp(
          [routes.BareMethodController, routes.BareClassController, authClasses.BareTokenController],
          checkersFor([new authClasses.BareUsers(), new authClasses.BareTokens()]),
        );

      it.each(['/bare-method', '/bare-class'])('bare @VerifyPassword protects %s: 401 without credentials, 200 with', async (url) => {
        const app = server();
        expect((await request(app).get(url)).status).toBe(401);
        expect((await request(app).get(url).set('Authorization', basicHeader('john', 'wrong'))).status).toBe(401);
        const res = await request(app).get(url).set('Authorization', basicHeader('john', 'hello'));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ user: 'john' });
      });

      it('bare @VerifyToken protects its route: 401 for no or a wrong token, 200 for the right one', async () => {
        const app = server();
        expect((await request(app).get('/bare-token')).status).toBe(401);
        expect((await request(app).get('/bare-token').set('Authorization', tokenHeader('bad-token'))).status).toBe(401);
        const res = await request(app).get('/bare-token').set('Authorization', tokenHeader('good-token'));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ user: 'robot' });
      });

      it('bare @GetUserRoles decides the role: 403 without the role, 200 with it', async () => {
        const app = server();
        expect((await request(app).get('/bare-token/admin').set('Authorization', basicHeader('susan', 'bye'))).status).toBe(403);
        const res = await request(app).get('/bare-token/admin').set('Authorization', basicHeader('john', 'hello'));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ admin: 'john' });
      });
    });
  });
});

// --- the same forms compiled with the project's own settings ----------------------------------

const PASSWORDS: Record<string, string> = { john: 'hello', susan: 'bye' };

@BasicAuth
class BareVerify {
  @VerifyPassword verify(username: string, password: string) {
    return PASSWORDS[username] !== undefined && PASSWORDS[username] === password ? username : null;
  }
  @GetUserRoles roles(user: string) {
    return user === 'john' ? ['admin'] : ['user'];
  }
  @ErrorHandler onError(status: number) {
    return { error: `bare ${status}` };
  }
}

@BasicAuth
class BareHashed {
  @GetPassword password(username: string) {
    return PASSWORDS[username] && `hashed:${PASSWORDS[username]}`;
  }
  @HashPassword hash(password: string) {
    return `hashed:${password}`;
  }
}

@TokenAuth
class BareToken {
  @VerifyToken verify(token: string) {
    return token === 'good-token' ? 'robot' : null;
  }
}

const SECRET = 'bare-digest-secret';
const REALM = 'bare@example.org';
const issuedNonces = new Set<string>();

@DigestAuth({ realm: REALM, userhash: true, secret: SECRET })
class BareDigest {
  @GetPassword password(username: string) {
    return PASSWORDS[username];
  }
  @GetUsernameByHash byHash(hash: string) {
    return Object.keys(PASSWORDS).find((name) => generateUserhash(name, REALM, 'MD5') === hash);
  }
  @GenerateNonce nonce() {
    const nonce = `bare-${issuedNonces.size}`;
    issuedNonces.add(nonce);
    return nonce;
  }
  @VerifyNonce checkNonce(nonce: string) {
    return issuedNonces.has(nonce);
  }
  @GenerateOpaque opaque() {
    return 'bare-opaque';
  }
  @VerifyOpaque checkOpaque(opaque: string) {
    return opaque === 'bare-opaque';
  }
}

@JsonController('/bare')
class BareController {
  @Get('/user') @LoginRequired user(@CurrentUser() user: string) {
    return { user };
  }
}

// Apart: useExpress/useKoa refuse to start an app with a role route its auth class cannot serve.
@JsonController('/bare')
class BareAdminController {
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin(@CurrentUser() user: string) {
    return { admin: user };
  }
}

@JsonController('/bare-class')
@LoginRequired
class BareClassController {
  @Get('/') index(@CurrentUser() user: string) {
    return { user };
  }
}

describe.each(DRIVERS)('bare decorators over HTTP (%s)', (_driver, makeApp: AppBuilder) => {
  it.each([
    ['a method', '/bare/user'],
    ['a class', '/bare-class'],
  ])('bare @LoginRequired on %s: 401 without credentials, 200 with', async (_title, url) => {
    const app = makeApp([BareController, BareClassController], checkersFor(new BareVerify()));
    const anonymous = await request(app).get(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: 'bare 401' });
    const res = await request(app).get(url).set('Authorization', basicHeader('susan', 'bye'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'susan' });
  });

  it('bare @GetUserRoles decides roles: 403 for a user without the role, 200 for one with it', async () => {
    const app = makeApp([BareAdminController], checkersFor(new BareVerify()));
    const denied = await request(app).get('/bare/admin').set('Authorization', basicHeader('susan', 'bye'));
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: 'bare 403' });
    const res = await request(app).get('/bare/admin').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ admin: 'john' });
  });

  it('bare @GetPassword and @HashPassword: a wrong password gets 401, the right one 200', async () => {
    const app = makeApp([BareController], checkersFor(new BareHashed()));
    expect((await request(app).get('/bare/user').set('Authorization', basicHeader('john', 'bye'))).status).toBe(401);
    const res = await request(app).get('/bare/user').set('Authorization', basicHeader('john', 'hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'john' });
  });

  it('bare @TokenAuth and @VerifyToken: a wrong token gets 401, the right one 200', async () => {
    const app = makeApp([BareController], checkersFor(new BareToken()));
    expect((await request(app).get('/bare/user')).status).toBe(401);
    expect((await request(app).get('/bare/user').set('Authorization', tokenHeader('bad-token'))).status).toBe(401);
    const res = await request(app).get('/bare/user').set('Authorization', tokenHeader('good-token'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'robot' });
  });

  it('bare Digest hooks (nonce, opaque, userhash): a wrong password gets 401, the right one 200', async () => {
    const app = makeApp([BareController], checkersFor(new BareDigest()));
    const first = await request(app).get('/bare/user');
    expect(first.status).toBe(401);
    const challenge = digestChallenge(first);
    expect(issuedNonces.has(challenge.nonce)).toBe(true);
    expect(challenge.opaque).toBe('bare-opaque');
    expect(first.headers['www-authenticate']).toContain('userhash=true');
    const answer = (password: string) =>
      digestAuthorization({ challenge, username: 'john', password, method: 'GET', uri: '/bare/user', userhash: true }).header;
    expect((await request(app).get('/bare/user').set('Authorization', answer('bye'))).status).toBe(401);
    const res = await request(app).get('/bare/user').set('Authorization', answer('hello'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'john' });
  });
});

// --- bare and called forms record the same thing ----------------------------------------------

type HookDecoratorUnderTest = typeof VerifyPassword;
const HOOKS: [string, HookDecoratorUnderTest][] = Object.entries({
  VerifyPassword,
  GetPassword,
  HashPassword,
  VerifyToken,
  GetUserRoles,
  ErrorHandler,
  GenerateNonce,
  VerifyNonce,
  GenerateOpaque,
  VerifyOpaque,
  GetUsernameByHash,
}) as [string, HookDecoratorUnderTest][];

describe('@X and @X() mean the same', () => {
  it.each(HOOKS)('@%s records the same hook bare and called', (_name, hook) => {
    const decorate = (bare: boolean) => {
      class Hooks {
        method() {}
      }
      const descriptor = Object.getOwnPropertyDescriptor(Hooks.prototype, 'method')!;
      if (bare) hook(Hooks.prototype, 'method', descriptor);
      else hook()(Hooks.prototype, 'method', descriptor);
      DigestAuth({ secret: SECRET })(Hooks);
      return readAuthClass(Hooks)!.hooks;
    };
    expect([...decorate(true)]).toEqual([...decorate(false)]);
    expect(decorate(true).size).toBe(1);
  });

  it.each([
    ['@BasicAuth', BasicAuth, 'basic'],
    ['@TokenAuth', TokenAuth, 'token'],
    ['@DigestAuth', DigestAuth, 'digest'],
  ] as const)('%s records the same scheme and defaults bare and called', (_name, scheme, kind) => {
    class Bare {}
    class Called {}
    // One signature for the three (their options differ), so both forms can be called here.
    const decorator = scheme as typeof DigestAuth;
    decorator(Bare);
    decorator()(Called);
    expect(readAuthClass(Bare)).toMatchObject({ kind });
    // Digest draws a random secret per declaration; everything else must match.
    const config = (c: Function) => ({ ...(readAuthClass(c)!.config as object), secret: undefined });
    expect(config(Bare)).toEqual(config(Called));
  });
});

// --- forms that cannot work throw at decoration, naming the fix --------------------------------

describe('misused decorator forms throw at decoration time', () => {
  @BasicAuth()
  class SomeAuth {
    @VerifyPassword verify() {
      return true;
    }
  }

  it.each<[string, () => unknown, RegExp]>([
    [
      '@LoginRequired(AuthClass) instead of @LoginRequired({ auth })',
      () => {
        @LoginRequired(SomeAuth as never)
        class Controller {}
        return Controller;
      },
      /@LoginRequired on SomeAuth, which is an auth class; .*write @LoginRequired\(\{ auth: SomeAuth \}\)/,
    ],
    [
      'bare @LoginRequired on a property',
      () => {
        class Controller {
          @(LoginRequired as never as PropertyDecorator) flag = true;
        }
        return Controller;
      },
      /@LoginRequired on Controller\.flag, which is not a method/,
    ],
    [
      'bare @LoginRequired on a static method',
      () => {
        class Controller {
          @LoginRequired static action() {}
        }
        return Controller;
      },
      /@LoginRequired on Controller\.action, a static method/,
    ],
    [
      'bare @VerifyPassword on a class',
      () => {
        @(VerifyPassword as never as ClassDecorator)
        class Hooks {}
        return Hooks;
      },
      /@VerifyPassword on Hooks: it decorates a method of an auth class/,
    ],
    [
      'bare @VerifyToken on a property',
      () => {
        class Hooks {
          @(VerifyToken as never as PropertyDecorator) token = 'x';
        }
        return Hooks;
      },
      /@VerifyToken on Hooks\.token, which is not a method/,
    ],
    [
      'bare @BasicAuth on a method',
      () => {
        class Auth {
          @(BasicAuth as never as MethodDecorator) verify() {}
        }
        return Auth;
      },
      /@BasicAuth on Auth\.verify: it decorates an auth class/,
    ],
    ['a hook decorator given an argument', () => (VerifyPassword as unknown as (x: string) => unknown)('verify'), /@VerifyPassword takes no options; write @VerifyPassword or @VerifyPassword\(\)/],
    [
      'a TC39 (non-legacy) decorator call',
      () => (LoginRequired as unknown as (v: unknown, c: object) => unknown)(() => undefined, { kind: 'method', name: 'x' }),
      /experimentalDecorators/,
    ],
    [
      'the called form applied as a TC39 decorator',
      () => (LoginRequired() as unknown as (v: unknown, c: object) => unknown)(() => undefined, { kind: 'method', name: 'x' }),
      /experimentalDecorators/,
    ],
  ])('%s', (_title, declare, message) => {
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(message);
  });
});
