import type { IncomingMessage, ServerResponse } from 'node:http';
import { startServer } from '../keys/jwks-server';

/** How the test's introspection endpoint answers one request (`body`: the form the library sent). */
export type Reply = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export const json =
  (value: unknown, status = 200, type = 'application/json'): Reply =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof value === 'string' ? value : JSON.stringify(value));
  };

/** Answers each token with its own response (`active: false` for a token it does not know). */
export const perToken =
  (responses: ReadonlyMap<string, unknown>): Reply =>
  (req, res, body) =>
    json(responses.get(new URLSearchParams(body).get('token') ?? '') ?? { active: false })(req, res, body);

/** An introspection endpoint on a free port: answers with `reply`, records each request's body and Authorization. */
export async function endpoint(reply: Reply) {
  const server = await startServer();
  const seen: { body: string; authorization?: string }[] = [];
  const state = { reply };
  server.route('/introspect', (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ body, authorization: req.headers.authorization });
      state.reply(req, res, body);
    });
  });
  return { server, url: `${server.base}/introspect`, seen, set: (next: Reply) => (state.reply = next) };
}
