import 'reflect-metadata';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import path from 'node:path';
import { createExpressServer } from 'routing-controllers';
// In your app: import { createAuthCheckers, type AuthCheckers } from 'routing-controllers-httpauth';
import { createAuthCheckers, type AuthCheckers } from '../src';
import { ApiKeyAuth, UserAuth } from './auth';
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

/** Builds the example API without listening, so tests can drive it with supertest. */
export function createApp(): ExampleApp {
  const users = new UserStore(DEMO_USERS);
  const clients = new ApiClientStore({ [DEMO_API_KEY]: 'build-bot' });
  const controllers = [IndexController, MeController, FeedController, ArticlesController, SettingsController, MachineController];

  // UserAuth comes first, so it is the auth of every @LoginRequired that does not name one.
  // Passing the controllers checks their @LoginRequired declarations now instead of on first use.
  const auth = createAuthCheckers<Principal>([new UserAuth(users), new ApiKeyAuth(clients)], { controllers });

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

  // Not a controller: the guard protects plain Express routes and static files.
  app.use('/docs', auth.guard({ role: 'admin' }), express.static(path.join(__dirname, 'docs')));

  // After every route: ends the 4xx answers routing-controllers already sent (401, 403, 400,
  // 404…) quietly, so keep-alive connections survive them.
  auth.useExpress(app);

  // Server errors it has answered too reach here: log them, but keep the connection.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!res.headersSent) return next(error);
    console.error(error);
  });

  return { app, auth, users };
}
