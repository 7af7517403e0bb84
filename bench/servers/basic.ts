/**
 * basic: this library, `@BasicAuth` with an in-memory `@VerifyPassword`. Also the server of
 * `basic-401` (wrong password) and `basic-401-none` (no credentials): `auth.useExpress(app)` is
 * installed, so a 401 ends quietly on its keep-alive connection.
 */
import 'reflect-metadata';
import { BasicAuth, VerifyPassword } from '../../src';
import { checkUser } from '../lib/fixtures';
import { serveProtected } from '../lib/protected-app';

@BasicAuth()
class UserAuth {
  @VerifyPassword()
  verify(username: string, password: string) {
    return checkUser(username, password) ? { name: username } : null;
  }
}

serveProtected(new UserAuth());
