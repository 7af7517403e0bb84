/** bare: routing-controllers on Express, no authentication. The baseline of every routing-controllers variant. */
import 'reflect-metadata';
import type { RequestListener } from 'node:http';
import { createExpressServer, Get, JsonController } from 'routing-controllers';
import { BODY, PATH } from '../lib/fixtures';
import { serve } from '../lib/server';

@JsonController()
class HelloController {
  @Get(PATH)
  hello() {
    return BODY;
  }
}

serve(createExpressServer({ controllers: [HelloController] }) as RequestListener);
