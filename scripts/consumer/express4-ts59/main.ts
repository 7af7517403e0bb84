// TypeScript 5.9, module commonjs, Express 4 through routing-controllers' createExpressServer.
import 'reflect-metadata';
import type { Server } from 'node:http';
import { createExpressServer } from 'routing-controllers';
import { createAuthCheckers } from 'routing-controllers-httpauth';
import { ApiTokenAuth, DigestUsers, UserAuth, UserStore, type User } from './auth.js';
import { ApiController } from './controllers.js';
import { ServiceAuth, writeTokens } from './jwt.js';

async function main() {
  const store = await UserStore.create();
  const auth = createAuthCheckers<User>([new UserAuth(store), new ApiTokenAuth(), new DigestUsers(), new ServiceAuth()], {
    controllers: [ApiController],
  });
  const app = createExpressServer({
    controllers: [ApiController],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
    development: false,
  });
  auth.useExpress(app);
  writeTokens('jwt-tokens.txt');
  const server: Server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`READY ${typeof address === 'object' && address ? address.port : address}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
