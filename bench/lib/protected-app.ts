/**
 * The server every variant of this library runs: one `@LoginRequired` controller answering
 * `GET /hello`, protected by the given auth-class instance, with `useExpress` installed.
 */
import type { RequestListener } from 'node:http';
import { createExpressServer, Get, JsonController } from 'routing-controllers';
import { createAuthCheckers, LoginRequired } from '../../src';
import { BODY, PATH } from './fixtures';
import { serve } from './server';

export function serveProtected(auth: object): void {
  @JsonController()
  @LoginRequired()
  class HelloController {
    @Get(PATH)
    hello() {
      return BODY;
    }
  }

  const checkers = createAuthCheckers(auth);
  const app = createExpressServer({
    controllers: [HelloController],
    authorizationChecker: checkers.authorizationChecker,
    currentUserChecker: checkers.currentUserChecker,
  });
  checkers.useExpress(app);
  serve(app as RequestListener);
}
