/**
 * basic-scrypt: this library, `@BasicAuth` whose `@VerifyPassword` checks a werkzeug scrypt hash
 * (N=32768, r=8, p=1) with `checkPasswordHash` on every request. With BENCH_CACHE=1 (the
 * `basic-scrypt-cache` variant) the class gets `@BasicAuth({ cache: { ttl: 300, max: 10000 } })`.
 */
import 'reflect-metadata';
import { BasicAuth, checkPasswordHash, VerifyPassword } from '../../src';
import { SCRYPT_USERS } from '../lib/fixtures';
import { serveProtected } from '../lib/protected-app';

@BasicAuth(process.env.BENCH_CACHE === '1' ? { cache: { ttl: 300, max: 10_000 } } : {})
class ScryptUsers {
  @VerifyPassword()
  async verify(username: string, password: string) {
    const hash = SCRYPT_USERS.get(username);
    // Unknown users are checked against a real hash too, so they cost the same as a wrong password.
    const ok = await checkPasswordHash(hash ?? SCRYPT_USERS.get('john')!, password);
    return ok && hash !== undefined ? { name: username } : null;
  }
}

serveProtected(new ScryptUsers());
