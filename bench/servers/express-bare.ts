/** express-bare: plain Express, no authentication. The baseline of the Express peers. */
import express from 'express';
import { BODY, PATH } from '../lib/fixtures';
import { serve } from '../lib/server';

const app = express();
app.get(PATH, (_req, res) => {
  res.json(BODY);
});
serve(app);
