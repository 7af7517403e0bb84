/** express-basic-auth: the `express-basic-auth` middleware with the shared in-memory check as its authorizer. */
import express from 'express';
import basicAuth from 'express-basic-auth';
import { BODY, checkUser, PATH, REALM } from '../lib/fixtures';
import { serve } from '../lib/server';

const app = express();
app.use(basicAuth({ authorizer: checkUser, challenge: true, realm: REALM }));
app.get(PATH, (_req, res) => {
  res.json(BODY);
});
serve(app);
