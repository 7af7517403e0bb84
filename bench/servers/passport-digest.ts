/**
 * passport-http Digest: passport + `DigestStrategy` (MD5, qop=auth), sessions off. passport-http
 * keeps no nonce state and does not check nonce counts unless the app adds a validate callback;
 * this is its documented default set-up.
 */
import express from 'express';
import { BODY, PATH, REALM, USERS } from '../lib/fixtures';
import { serve } from '../lib/server';
import type { Passport } from '../lib/peer-types';

/* eslint-disable @typescript-eslint/no-require-imports */
const passport = require('passport') as Passport;
const { DigestStrategy } = require('passport-http') as { DigestStrategy: new (...args: unknown[]) => object };
/* eslint-enable @typescript-eslint/no-require-imports */

passport.use(
  new DigestStrategy({ qop: 'auth', realm: REALM }, (username: string, done: (err: unknown, user?: unknown, password?: string) => void) => {
    const password = USERS.get(username);
    if (password === undefined) done(null, false);
    else done(null, { name: username }, password);
  }),
);

const app = express();
app.use(passport.initialize());
app.get(PATH, passport.authenticate('digest', { session: false }), (_req, res) => {
  res.json(BODY);
});
serve(app);
