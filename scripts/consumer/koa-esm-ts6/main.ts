// An ES-module consumer ("type": "module", TypeScript 6, module nodenext) on Koa: the package is
// loaded through its `import` entry.
import 'reflect-metadata';
import type { Server } from 'node:http';
import { createKoaServer } from 'routing-controllers';
import { createAuthCheckers } from 'routing-controllers-httpauth';
import { ApiTokenAuth, DigestUsers, UserAuth, UserStore, type User } from './auth.js';
import { ApiController } from './controllers.js';
import { ServiceAuth, writeTokens } from './jwt.js';

const store = await UserStore.create();
const auth = createAuthCheckers<User>([new UserAuth(store), new ApiTokenAuth(), new DigestUsers(), new ServiceAuth()], {
  controllers: [ApiController],
});
const app = createKoaServer({
  controllers: [ApiController],
  authorizationChecker: auth.authorizationChecker,
  currentUserChecker: auth.currentUserChecker,
  development: false,
});
auth.useKoa(app);
writeTokens('jwt-tokens.txt');
const server: Server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`READY ${typeof address === 'object' && address ? address.port : address}`);
});
