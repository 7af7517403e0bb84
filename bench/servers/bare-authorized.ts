/**
 * bare-authorized: routing-controllers with `@Authorized()` and an `authorizationChecker` that
 * resolves `true` at once — no library. Shows how much of an auth variant's cost is
 * routing-controllers' own authorization hook rather than this library.
 */
import 'reflect-metadata';
import type { RequestListener } from 'node:http';
import { Authorized, createExpressServer, Get, JsonController } from 'routing-controllers';
import { BODY, PATH } from '../lib/fixtures';
import { serve } from '../lib/server';

@JsonController()
@Authorized()
class HelloController {
  @Get(PATH)
  hello() {
    return BODY;
  }
}

serve(
  createExpressServer({
    controllers: [HelloController],
    authorizationChecker: async () => true,
    currentUserChecker: () => undefined,
  }) as RequestListener,
);
