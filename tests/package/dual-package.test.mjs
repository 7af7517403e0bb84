// Dual-package test, run with node's test runner against the BUILT package (`npm run build`
// first): `npm run test:package`. The decorators keep their records in module-level registries, so
// a class decorated through the `import` entry must be known to `createAuthCheckers` loaded
// through `require`, and the other way round. With a separate ES-module build (two instances)
// createAuthCheckers would throw "not an auth class" and the routes would be unknown to it.
//
// Both entries are reached by the package's own name (Node's self-reference through "exports"),
// so this exercises exactly the `import` and `require` conditions a user gets.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import express from 'express';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import * as esm from 'routing-controllers-httpauth';

const cjs = createRequire(import.meta.url)('routing-controllers-httpauth');

const USERS = { alice: { password: 'alice-pw', roles: ['admin'] }, bob: { password: 'bob-pw', roles: [] } };

function method(target, name, decorator) {
  decorator(target.prototype, name, Object.getOwnPropertyDescriptor(target.prototype, name));
}

/** Declares, without decorator syntax, what `@BasicAuth() class … @LoginRequired(…)` declares in TypeScript. */
function declareApp(decorateWith) {
  const { BasicAuth, VerifyPassword, GetUserRoles, LoginRequired } = decorateWith;
  class UserAuth {
    verify(username, password) {
      const user = USERS[username];
      return user && user.password === password ? { name: username, roles: user.roles } : null;
    }
    roles(user) {
      return user.roles;
    }
  }
  method(UserAuth, 'verify', VerifyPassword());
  method(UserAuth, 'roles', GetUserRoles());
  BasicAuth({ realm: 'dual' })(UserAuth);

  class AdminController {
    secret() {
      return { secret: true };
    }
  }
  method(AdminController, 'secret', LoginRequired({ role: 'admin' }));
  method(AdminController, 'secret', Get('/secret'));
  LoginRequired()(AdminController);
  JsonController('/admin')(AdminController);
  return { UserAuth, AdminController };
}

async function serve(decorateWith, checkWith) {
  const { UserAuth, AdminController } = declareApp(decorateWith);
  const auth = checkWith.createAuthCheckers([UserAuth], { controllers: [AdminController] });
  const app = express();
  useExpressServer(app, {
    controllers: [AdminController],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
    defaultErrorHandler: false,
  });
  auth.useExpress(app);
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${server.address().port}/admin/secret`;
  const get = (user) =>
    fetch(url, user ? { headers: { authorization: `Basic ${Buffer.from(`${user}:${USERS[user].password}`).toString('base64')}` } } : {});
  try {
    const anonymous = await get();
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="dual"/);
    assert.equal((await get('bob')).status, 403);
    const admin = await get('alice');
    assert.equal(admin.status, 200);
    assert.deepEqual(await admin.json(), { secret: true });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('the import and require entries are one instance with the same exports', () => {
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
});

test('a class decorated through import is found by createAuthCheckers from require', async () => {
  await serve(esm, cjs);
});

test('a class decorated through require is found by createAuthCheckers from import', async () => {
  await serve(cjs, esm);
});
