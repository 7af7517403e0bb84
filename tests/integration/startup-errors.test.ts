import request from 'supertest';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, makeExpressApp, makeKoaApp, recordingLogger } from '../helpers';

// --- C13: a route naming a class is served by that class only, never by a subclass of it -------

@BasicAuth()
class StaffUsers {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' && ['alice', 'root'].includes(username) ? username : null;
  }
}

/** Admits fewer users than its base: serving the base's routes with it would be a different policy. */
@BasicAuth()
class RootOnly extends StaffUsers {
  @VerifyPassword() override verify(username: string, password: string) {
    return username === 'root' ? super.verify(username, password) : null;
  }
}

@JsonController('/staff')
class StaffController {
  @Get('/') @LoginRequired({ auth: StaffUsers }) staff() {
    return { ran: 'staff' };
  }
}

@JsonController('/root')
class RootController {
  @Get('/') @LoginRequired({ auth: RootOnly }) root() {
    return { ran: 'root' };
  }
}

const NAMES_BOTH = /StaffUsers is named in @LoginRequired\(\{ auth \}\) but only its subclass RootOnly was passed to createAuthCheckers; name RootOnly in the route, or pass StaffUsers to createAuthCheckers too/;

describe('a route naming an auth class that was not passed, whose subclass was', () => {
  it.each([
    ['useExpress', makeExpressApp],
    ['useKoa', makeKoaApp],
  ] as const)('makes %s throw at start-up, naming both classes', (_call, makeApp) => {
    expect(() => makeApp([StaffController], createAuthCheckers([RootOnly]))).toThrow(new RegExp(`^http-auth: StaffController\\.staff: ${NAMES_BOTH.source}`));
  });

  it('makes createAuthCheckers({ controllers }) throw, naming both classes', () => {
    expect(() => createAuthCheckers([RootOnly], { controllers: [StaffController] })).toThrow(NAMES_BOTH);
  });

  it.each(DRIVERS_WITHOUT_USE)('is never served by the subclass on %s without useExpress/useKoa: the generic 500, logged once', async (_driver, makeApp) => {
    const logger = recordingLogger();
    const app = makeApp([StaffController], createAuthCheckers([RootOnly], { logger }));
    for (const user of ['alice', 'root', undefined]) {
      const req = request(app).get('/staff');
      const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('ran');
    }
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toMatch(NAMES_BOTH);
  });

  it.each(DRIVERS)('serves a route naming the class that was passed (control, %s)', async (_driver, makeApp) => {
    const app = makeApp([RootController], createAuthCheckers([RootOnly], { logger: recordingLogger() }));
    expect((await request(app).get('/root').set('Authorization', basicHeader('root', 'pw'))).status).toBe(200);
    expect((await request(app).get('/root').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(401);
  });
});

// --- C21: what cannot work is said at start-up, not by a request --------------------------------

interface Directory {
  check(username: string, password: string): string | null;
}

@BasicAuth()
class NeedsDirectory {
  constructor(private readonly directory: Directory) {}
  @VerifyPassword() verify(username: string, password: string) {
    return this.directory.check(username, password);
  }
}

@BasicAuth()
class DirectoryWithDefault {
  constructor(private readonly directory: Directory = { check: (u, p) => (u === 'alice' && p === 'pw' ? u : null) }) {}
  @VerifyPassword() verify(username: string, password: string) {
    return this.directory.check(username, password);
  }
}

@JsonController('/directory')
@LoginRequired()
class DirectoryController {
  @Get('/') index() {
    return { ran: 'directory' };
  }
}

describe('an auth class passed as a class whose constructor needs arguments', () => {
  it('makes createAuthCheckers throw, naming the class and both fixes', () => {
    expect(() => createAuthCheckers([NeedsDirectory])).toThrow(
      /^http-auth: createAuthCheckers got the class NeedsDirectory, whose constructor takes 1 parameter, but routing-controllers' default container builds classes with none; pass an instance \(createAuthCheckers\(\[new NeedsDirectory\(…\)\]\)\), or, when the container set with useContainer\(\) supplies them, say so with createAuthCheckers\(…, \{ container: true \}\)/,
    );
  });

  it('is accepted when a container is declared with { container: true }', () => {
    expect(() => createAuthCheckers([NeedsDirectory], { container: true })).not.toThrow();
  });

  it('refuses a container option that is not a boolean', () => {
    expect(() => createAuthCheckers([NeedsDirectory], { container: 'typedi' as unknown as boolean })).toThrow(/^http-auth: createAuthCheckers: container must be true or false/);
  });

  it.each(DRIVERS)('serves an instance, and a class whose parameters have defaults (control, %s)', async (_driver, makeApp) => {
    const directory: Directory = { check: (u, p) => (u === 'alice' && p === 'pw' ? u : null) };
    for (const auth of [new NeedsDirectory(directory), DirectoryWithDefault]) {
      const app = makeApp([DirectoryController], createAuthCheckers([auth], { logger: recordingLogger() }));
      expect((await request(app).get('/directory').set('Authorization', basicHeader('alice', 'pw'))).status).toBe(200);
      expect((await request(app).get('/directory').set('Authorization', basicHeader('alice', 'no'))).status).toBe(401);
    }
  });
});

describe('@LoginRequired options that cannot work with the classes it names', () => {
  it('throws at decoration for a role on a class without @GetUserRoles', () => {
    expect(() => {
      @JsonController('/roleless')
      class RolelessRoute {
        @Get('/') @LoginRequired({ role: 'admin', auth: StaffUsers }) admin() {
          return {};
        }
      }
      return RolelessRoute;
    }).toThrow(/^http-auth: @LoginRequired on RolelessRoute\.admin: StaffUsers has no @GetUserRoles method, but a route requires a role; add one/);
  });
});
