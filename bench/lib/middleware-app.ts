/**
 * The routing-controllers app of the JWT peers: the same `GET /hello` controller as `bare`
 * (createExpressServer), with the peer's Express middleware on it through routing-controllers'
 * own `@UseBefore`. So a peer's added cost is measured against the same baseline as this
 * library's: bare routing-controllers.
 */
import type { RequestHandler } from 'express';
import type { RequestListener } from 'node:http';
import { createExpressServer, Get, JsonController, UseBefore } from 'routing-controllers';
import { BODY, PATH } from './fixtures';
import { serve } from './server';

export function serveWithMiddleware(middleware: RequestHandler): void {
  @JsonController()
  @UseBefore(middleware)
  class HelloController {
    @Get(PATH)
    hello() {
      return BODY;
    }
  }

  serve(createExpressServer({ controllers: [HelloController] }) as RequestListener);
}
