/**
 * http-auth Digest: `auth.digest({ realm }, checker)` (MD5, qop=auth) as Express middleware; the
 * checker answers HA1 = MD5(user:realm:password). http-auth keeps every nonce it hands out for an
 * hour in an array that it scans on each request.
 */
import express from 'express';
import { BODY, md5, PATH, REALM, USERS } from '../lib/fixtures';
import { serve } from '../lib/server';
import { httpAuthMiddleware, type HttpAuth } from '../lib/peer-types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const auth = require('http-auth') as HttpAuth;

const digest = auth.digest({ realm: REALM }, (username: string, callback: (ha1?: string) => void) => {
  const password = USERS.get(username);
  callback(password === undefined ? undefined : md5(`${username}:${REALM}:${password}`));
});

const app = express();
app.use(httpAuthMiddleware(digest));
app.get(PATH, (_req, res) => {
  res.json(BODY);
});
serve(app);
