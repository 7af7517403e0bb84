import 'reflect-metadata';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { createExpressServer } from 'routing-controllers';
// In your app: import { createAuthCheckers, type AuthCheckers, type AuthEvent } from 'routing-controllers-httpauth';
import { createAuthCheckers, type AuthCheckers, type AuthEvent } from '../src';
import { ApiKeyAuth, UserAuth } from './auth';
import { AccessTokenAuth, TokenController } from './tokens';
import { clientErrorStatus, errorBody } from './errors';
import { openApiDocument } from './openapi';
import swaggerUi from 'swagger-ui-express';
import {
  ArticlesController,
  FeedController,
  IndexController,
  MachineController,
  MeController,
  SettingsController,
} from './controllers';
import { ApiClientStore, DEMO_API_KEY, DEMO_USERS, UserStore, type Principal } from './users';

export interface ExampleApp {
  readonly app: Express;
  readonly auth: AuthCheckers<Principal>;
  /** Its `ready` resolves once the demo passwords are hashed. */
  readonly users: UserStore;
}

export interface ExampleAppOptions {
  /**
   * Where the audit trail and the library's own lines go. Default: pino on stdout at
   * `LOG_LEVEL` (default `info`; `silent` under jest, so the tests stay quiet).
   */
  readonly logger?: Logger;
}

const LEVELS: Readonly<Record<AuthEvent['type'], 'info' | 'warn' | 'error'>> = {
  authenticated: 'info',
  anonymous: 'info',
  rejected: 'warn',
  forbidden: 'warn',
  throttled: 'warn',
  error: 'error',
};

/** Builds the example API without listening, so tests can drive it with supertest. */
export function createApp(options: ExampleAppOptions = {}): ExampleApp {
  // process.stdout rather than pino's own file-descriptor writer: its lines stay in order with
  // console.log's, and nothing is left to flush when the process exits.
  const log = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info') }, process.stdout);
  const users = new UserStore(DEMO_USERS);
  const clients = new ApiClientStore({ [DEMO_API_KEY]: 'build-bot' });
  const controllers = [IndexController, MeController, FeedController, ArticlesController, SettingsController, MachineController, TokenController];

  // UserAuth comes first, so it is the auth of every @LoginRequired that does not name one.
  // Passing the controllers checks their @LoginRequired declarations now instead of on first use.
  // Every login decision becomes one JSON log line (no password, key or Authorization value is
  // ever in an event); the library's few warnings go to the same logger.
  const auth = createAuthCheckers<Principal>([new UserAuth(users), new ApiKeyAuth(clients), new AccessTokenAuth()], {
    controllers,
    logger: { warn: (message) => log.warn(message), error: (message) => log.error(message) },
    onEvent: (event) => log[LEVELS[event.type]]({ auth: event }, `auth ${event.type}`),
  });

  const app: Express = createExpressServer({
    controllers,
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
    // Validation stays on (routing-controllers' default); 400 bodies list the violations
    // without echoing the whole submitted object.
    validation: { validationError: { target: false } },
    // Keep stack traces out of error bodies, also when NODE_ENV is not 'production'.
    development: false,
  });

  // The API's OpenAPI document and Swagger UI, public: "Authorize" there takes the demo
  // credentials, and each protected operation lists the schemes and roles it needs.
  const spec = openApiDocument(auth as AuthCheckers<unknown>, controllers);
  app.get('/openapi.json', (_req: Request, res: Response) => res.json(spec));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(spec));

  // Not a controller: the guard protects plain Express routes and static files.
  app.use('/admin', auth.guard({ role: 'admin' }), express.static(path.join(__dirname, 'admin')));

  // After every route: ends the library's own refusals (401, 403…) quietly, so keep-alive
  // connections survive them, and passes every other error on to the handler below.
  auth.useExpress(app);

  // Every other error reaches here. Client errors routing-controllers has answered (class-
  // validator's 400): nothing more to do, and the connection is kept. Server errors: logged.
  // Errors nobody answered (body-parser's malformed or too large JSON, thrown before
  // routing-controllers sees the request) get the API's JSON body, never Express's HTML page,
  // which shows the stack trace unless NODE_ENV is 'production'.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = clientErrorStatus(error);
    if (status === undefined) console.error(error);
    if (!res.headersSent) res.status(status ?? 500).json(errorBody(status ?? 500));
  });

  // Last: a path no route matched. routing-controllers calls next() after it has answered, so
  // only a response not yet sent is one nobody served.
  app.use((_req: Request, res: Response) => {
    if (!res.headersSent) res.status(404).json(errorBody(404));
  });

  return { app, auth, users };
}
