import request from 'supertest';
import { Authorized, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, GetUserRoles, VerifyPassword } from '../../src';
import { basicHeader, DRIVERS, DRIVERS_WITHOUT_USE, makeExpressApp, makeKoaApp, recordingLogger } from '../helpers';

/**
 * Attack B6: every value routing-controllers passes as `roles` is understood or refused. Its own
 * `@Authorized` forms are roles; anything else used to be dropped, so any logged-in user got in.
 */
const ROLES: Record<string, string[]> = { admin: ['admin'], editor: ['editor'], both: ['admin', 'editor'], reader: ['reader'] };

@BasicAuth()
class FormUsers {
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' && username in ROLES ? username : null;
  }
  @GetUserRoles() roles(user: string) {
    return ROLES[user];
  }
}

@JsonController('/forms')
class AuthorizedFormsController {
  @Get('/one') @Authorized('admin') one() {
    return { ran: 'one' };
  }
  @Get('/any') @Authorized(['admin', 'editor']) any() {
    return { ran: 'any' };
  }
  @Get('/all') @Authorized([['admin', 'editor']]) all() {
    return { ran: 'all' };
  }
  @Get('/mixed') @Authorized(['reader', ['admin', 'editor']]) mixed() {
    return { ran: 'mixed' };
  }
}

describe.each([...DRIVERS, ...DRIVERS_WITHOUT_USE.map(([n, m]) => [`${n} without useExpress/useKoa`, m] as const)])(
  "routing-controllers' own @Authorized forms are roles (%s)",
  (_driver, makeApp) => {
    it.each([
      ['/forms/one', 'reader', 403],
      ['/forms/one', 'admin', 200],
      ['/forms/any', 'reader', 403],
      ['/forms/any', 'editor', 200],
      ['/forms/all', 'admin', 403],
      ['/forms/all', 'editor', 403],
      ['/forms/all', 'both', 200],
      ['/forms/mixed', 'admin', 403],
      ['/forms/mixed', 'reader', 200],
      ['/forms/mixed', 'both', 200],
      ['/forms/all', undefined, 401],
    ])('GET %s as %s: %s', async (path, user, status) => {
      const app = makeApp([AuthorizedFormsController], createAuthCheckers([FormUsers], { logger: recordingLogger() }));
      const req = request(app).get(path);
      const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
      expect(res.status).toBe(status);
      if (status !== 200) expect(res.text).not.toContain('ran');
    });
  },
);

// Values routing-controllers accepts (its parameter is `any`) that name no role this library knows.
const FOREIGN_REQUIREMENT = Object.create(
  Object.defineProperty({}, Symbol.for('routing-controllers-httpauth: LoginRequirement'), { value: true }),
) as object;
const UNREADABLE: readonly [string, unknown, RegExp][] = [
  ['an object', { role: 'admin' }, /@Authorized\(\{"role":"admin"\} \(object\)\) is not a role this library understands/],
  ['a number', 42, /@Authorized\(42 \(number\)\) is not a role/],
  ['a nested array', [[['admin']]], /is not a role this library understands/],
  ['an empty role', '', /each role entry must be a non-empty string/],
  // routing-controllers itself reads these as "no roles" (`value || []`).
  ['null', null, /@Authorized\(null \(null\)\) is not a role/],
  ['false', false, /@Authorized\(false \(boolean\)\) is not a role/],
  ['zero', 0, /@Authorized\(0 \(number\)\) is not a role/],
  ['an empty group', [[]], /each role entry must be a non-empty string or a non-empty array/],
  ['a requirement of another copy of the library', FOREIGN_REQUIREMENT, /another copy of routing-controllers-httpauth.*npm dedupe/],
];

describe.each(UNREADABLE)('@Authorized with %s', (_what, value, message) => {
  const controller = () => {
    @JsonController('/unreadable')
    class UnreadableController {
      @Get('/') @Authorized(value) secret() {
        return { ran: 'secret' };
      }
    }
    return UnreadableController;
  };

  it.each([
    ['useExpress', makeExpressApp],
    ['useKoa', makeKoaApp],
  ] as const)('makes %s throw at start-up, naming the action', (_call, makeApp) => {
    expect(() => makeApp([controller()], createAuthCheckers([FormUsers], { logger: recordingLogger() }))).toThrow(
      new RegExp(`^http-auth: UnreadableController\\.secret: .*${message.source}`),
    );
  });

  it('makes createAuthCheckers({ controllers }) throw, naming the action', () => {
    expect(() => createAuthCheckers([FormUsers], { controllers: [controller()] })).toThrow(/^http-auth: UnreadableController\.secret: /);
  });

  it.each(DRIVERS_WITHOUT_USE)('answers the generic 500 on %s without useExpress/useKoa, even to an admin, and logs the fix once', async (_driver, makeApp) => {
    const logger = recordingLogger();
    const app = makeApp([controller()], createAuthCheckers([FormUsers], { logger }));
    for (const user of ['admin', 'reader', undefined]) {
      const req = request(app).get('/unreadable');
      const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('ran');
      expect(res.text).not.toContain('not a role');
    }
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toMatch(message);
  });
});
