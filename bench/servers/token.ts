/** token: this library, `@TokenAuth` (Authorization: Bearer) with an in-memory `@VerifyToken`. */
import 'reflect-metadata';
import { TokenAuth, VerifyToken } from '../../src';
import { TOKENS } from '../lib/fixtures';
import { serveProtected } from '../lib/protected-app';

@TokenAuth()
class ApiAuth {
  @VerifyToken()
  verify(token: string) {
    const name = TOKENS.get(token);
    return name === undefined ? null : { name };
  }
}

serveProtected(new ApiAuth());
