import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { createExpressServer, createKoaServer, type RoutingControllersOptions } from 'routing-controllers';
import type { AuthCheckers } from '../src';

/** `Authorization: Basic …` for a user and password, UTF-8 encoded (RFC 7617). */
export function basicHeader(user: string, pass: string, encoding: BufferEncoding = 'utf8'): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, encoding).toString('base64')}`;
}

/** `Authorization: Bearer <token>` (or another scheme word). */
export function tokenHeader(token: string, scheme = 'Bearer'): string {
  return `${scheme} ${token}`;
}

/** Options of routing-controllers a test may add; the checkers and controllers are set by the builders. */
export type ExtraOptions = Omit<RoutingControllersOptions, 'controllers' | 'authorizationChecker' | 'currentUserChecker'>;

/** Builds an app for one driver; the result is what `supertest(...)` accepts. */
export type AppBuilder = (
  controllers: Function[],
  checkers: AuthCheckers<unknown>,
  options?: ExtraOptions,
) => Express | RequestListener;

/** routing-controllers on Express, with `useExpress` installed after the routes. */
export function makeExpressApp(controllers: Function[], checkers: AuthCheckers<unknown>, options: ExtraOptions = {}): Express {
  const app: Express = createExpressServer({
    ...options,
    controllers,
    authorizationChecker: checkers.authorizationChecker,
    currentUserChecker: checkers.currentUserChecker,
  });
  checkers.useExpress(app);
  return app;
}

/** routing-controllers on Koa, as a Node request listener. */
export function makeKoaApp(controllers: Function[], checkers: AuthCheckers<unknown>, options: ExtraOptions = {}): RequestListener {
  const app = createKoaServer({
    ...options,
    controllers,
    authorizationChecker: checkers.authorizationChecker,
    currentUserChecker: checkers.currentUserChecker,
  }) as { callback(): RequestListener; middleware: Function[] };
  checkers.useKoa(app);
  return app.callback();
}

/**
 * routing-controllers alone, without `useExpress`/`useKoa`: the checkers are all the library gets,
 * as in apps that never call those.
 */
export const DRIVERS_WITHOUT_USE = [
  [
    'express',
    (controllers: Function[], checkers: AuthCheckers<unknown>, options: ExtraOptions = {}) =>
      createExpressServer({ ...options, controllers, authorizationChecker: checkers.authorizationChecker, currentUserChecker: checkers.currentUserChecker }) as Express,
  ],
  [
    'koa',
    (controllers: Function[], checkers: AuthCheckers<unknown>, options: ExtraOptions = {}) =>
      (createKoaServer({ ...options, controllers, authorizationChecker: checkers.authorizationChecker, currentUserChecker: checkers.currentUserChecker }) as {
        callback(): RequestListener;
      }).callback(),
  ],
] as const satisfies readonly (readonly [string, AppBuilder])[];

/** Every scenario runs on both drivers: `describe.each(DRIVERS)('%s', (_, makeApp) => …)`. */
export const DRIVERS = [
  ['express', makeExpressApp],
  ['koa', makeKoaApp],
] as const satisfies readonly (readonly [string, AppBuilder])[];

export type DriverName = (typeof DRIVERS)[number][0];

/** The `WWW-Authenticate` fields of a supertest response, one entry per field as sent. */
export function challengeFields(res: object): string[] {
  // superagent keeps Node's IncomingMessage on `res.res`; its types do not declare it.
  const raw = (res as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'www-authenticate') out.push(raw[i + 1]);
  return out;
}

/** A logger that records what it is given, for the `logger` option of createAuthCheckers. */
export function recordingLogger(): { warn: jest.Mock<void, [string]>; error: jest.Mock<void, [string]>; lines(): string[] } {
  const warn = jest.fn<void, [string]>();
  const error = jest.fn<void, [string]>();
  return { warn, error, lines: () => [...warn.mock.calls, ...error.mock.calls].map(([m]) => m) };
}

/**
 * Serves `app` as if every request came from `address` (the client address throttling counts by);
 * supertest opens a new socket per request.
 */
export function fromAddress(app: ReturnType<AppBuilder>, address: string): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    Object.defineProperty(req.socket, 'remoteAddress', { value: address, configurable: true });
    (app as RequestListener)(req, res);
  };
}
