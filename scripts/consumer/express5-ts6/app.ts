// The app, built by a function: main.ts serves it, and the jest project (jest/) builds one per
// test. Express 5 through useExpressServer(express()), with Basic, Token, Digest and JWT classes.
import 'reflect-metadata';
import express from 'express';
import { useExpressServer } from 'routing-controllers';
import { createAuthCheckers } from 'routing-controllers-httpauth';
import { ApiTokenAuth, DigestUsers, UserAuth, UserStore, type User } from './auth.js';
import { ApiController } from './controllers.js';
import { ServiceAuth } from './jwt.js';

export async function buildApp() {
  const store = await UserStore.create();
  const auth = createAuthCheckers<User>([new UserAuth(store), new ApiTokenAuth(), new DigestUsers(), new ServiceAuth()], {
    controllers: [ApiController],
  });
  const app = express();
  useExpressServer(app, {
    controllers: [ApiController],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
    development: false,
  });
  auth.useExpress(app);
  return app;
}
