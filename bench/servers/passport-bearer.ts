/** passport-http-bearer: passport + `BearerStrategy`, sessions off, the shared in-memory token table. */
import express from 'express';
import { BODY, PATH, TOKENS } from '../lib/fixtures';
import { serve } from '../lib/server';
import type { Passport } from '../lib/peer-types';

/* eslint-disable @typescript-eslint/no-require-imports */
const passport = require('passport') as Passport;
const { Strategy: BearerStrategy } = require('passport-http-bearer') as { Strategy: new (...args: unknown[]) => object };
/* eslint-enable @typescript-eslint/no-require-imports */

passport.use(
  new BearerStrategy((token: string, done: (err: unknown, user?: unknown) => void) => {
    const name = TOKENS.get(token);
    done(null, name === undefined ? false : { name });
  }),
);

const app = express();
app.use(passport.initialize());
app.get(PATH, passport.authenticate('bearer', { session: false }), (_req, res) => {
  res.json(BODY);
});
serve(app);
