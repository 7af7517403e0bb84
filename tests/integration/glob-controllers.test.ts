import type { RequestListener } from 'node:http';
import request from 'supertest';
import { basicHeader, recordingLogger } from '../helpers';

/**
 * Attack A1 of the hardening review: controllers that routing-controllers imports from a glob
 * after createAuthCheckers served a base class's protected actions to anyone when the app did not
 * call useExpress/useKoa. Each app here is built in a fresh module registry, so its controller
 * files (and their base classes) are loaded by routing-controllers while it builds the server.
 */
type Build = typeof import('../fixtures/glob-app/app').buildGlobApp;

function freshApp(driver: 'express' | 'koa', useLibraryMiddleware: boolean) {
  const logger = recordingLogger();
  let app: RequestListener | undefined;
  // Built inside: the registry is isolated only while the callback runs, and routing-controllers
  // imports the controller files during the build.
  jest.isolateModules(() => {
    const build = (require('../fixtures/glob-app/app') as { buildGlobApp: Build }).buildGlobApp;
    app = build(driver, useLibraryMiddleware, logger);
  });
  return { app: app!, logger };
}

const SETUPS = [
  ['express', true],
  ['express', false],
  ['koa', true],
  ['koa', false],
] as const;

describe.each(SETUPS)('glob-loaded subclass controllers on %s (useExpress/useKoa: %s)', (driver, useLibraryMiddleware) => {
  let app: RequestListener;
  let logger: ReturnType<typeof recordingLogger>;
  beforeAll(() => {
    ({ app, logger } = freshApp(driver, useLibraryMiddleware));
  });

  it.each([
    ['/glob-method/secret', undefined, 401],
    ['/glob-method/secret', 'reader', 403],
    ['/glob-class/secret', undefined, 401],
    ['/glob-class/secret', 'reader', 403],
    ['/glob-authorized/secret', undefined, 401],
    ['/glob-authorized/secret', 'reader', 403],
    ['/glob-deep/secret', undefined, 401],
    ['/glob-deep/secret', 'reader', 403],
  ])('refuses GET %s for %s', async (path, user, status) => {
    const req = request(app).get(path);
    const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
    expect(res.status).toBe(status);
    expect(res.text).not.toContain('admin data');
  });

  it('refuses an anonymous POST to an inherited action with a body, and never runs it', async () => {
    const res = await request(app).post('/glob-method/upload').send({ planted: true });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('uploaded');
  });

  it.each([
    ['/glob-method/secret', 'admin', { secret: 'admin data' }],
    ['/glob-class/secret', 'admin', { secret: 'admin data' }],
    ['/glob-authorized/secret', 'admin', { secret: 'admin data' }],
    ['/glob-deep/secret', 'admin', { secret: 'admin data', overridden: true }],
    ['/glob-method/open', undefined, { open: true }],
  ])('serves GET %s to %s (control)', async (path, user, body) => {
    const req = request(app).get(path);
    const res = await (user ? req.set('Authorization', basicHeader(user, 'pw')) : req);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(body);
  });

  it('serves an inherited action with a body to a logged-in user (control)', async () => {
    const res = await request(app).post('/glob-method/upload').set('Authorization', basicHeader('reader', 'pw')).send({ note: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ uploaded: true });
  });

  afterAll(() => {
    // Nothing was misconfigured: an error line here would mean a route answered 500 instead.
    if (logger) expect(logger.error).not.toHaveBeenCalled();
  });
});
