/** The little of passport and http-auth the peer servers use; neither ships type declarations. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

export interface Passport {
  use(strategy: object): unknown;
  initialize(): RequestHandler;
  authenticate(strategy: string, options: { session: boolean }): RequestHandler;
}

export interface HttpAuthScheme {
  check(callback: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void;
}

export interface HttpAuth {
  basic(options: { realm: string }, checker: (username: string, password: string, callback: (ok: boolean) => void) => void): HttpAuthScheme;
  digest(options: { realm: string }, checker: (username: string, callback: (ha1?: string) => void) => void): HttpAuthScheme;
}

/**
 * http-auth 4 dropped its connect integration (now the separate http-auth-connect package, which
 * does the same): run `check` and continue the chain once it lets the request through.
 */
export function httpAuthMiddleware(scheme: HttpAuthScheme): RequestHandler {
  return (req, res, next) => {
    scheme.check(() => next())(req, res);
  };
}
