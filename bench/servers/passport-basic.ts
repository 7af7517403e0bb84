/** passport-http Basic: passport + `BasicStrategy`, sessions off, the shared in-memory check. */
import express from 'express';
import { BODY, checkUser, PATH, REALM } from '../lib/fixtures';
import { serve } from '../lib/server';
import type { Passport } from '../lib/peer-types';

/* eslint-disable @typescript-eslint/no-require-imports */
const passport = require('passport') as Passport;
const { BasicStrategy } = require('passport-http') as { BasicStrategy: new (...args: unknown[]) => object };
/* eslint-enable @typescript-eslint/no-require-imports */

passport.use(
  new BasicStrategy({ realm: REALM }, (username: string, password: string, done: (err: unknown, user?: unknown) => void) => {
    done(null, checkUser(username, password) ? { name: username } : false);
  }),
);

const app = express();
app.use(passport.initialize());
app.get(PATH, passport.authenticate('basic', { session: false }), (_req, res) => {
  res.json(BODY);
});
serve(app);
