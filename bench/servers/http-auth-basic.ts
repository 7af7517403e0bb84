/** http-auth Basic: `auth.basic({ realm }, checker)` as Express middleware, the shared in-memory check. */
import express from 'express';
import { BODY, checkUser, PATH, REALM } from '../lib/fixtures';
import { serve } from '../lib/server';
import { httpAuthMiddleware, type HttpAuth } from '../lib/peer-types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const auth = require('http-auth') as HttpAuth;

const basic = auth.basic({ realm: REALM }, (username: string, password: string, callback: (ok: boolean) => void) => {
  callback(checkUser(username, password));
});

const app = express();
app.use(httpAuthMiddleware(basic));
app.get(PATH, (_req, res) => {
  res.json(BODY);
});
serve(app);
