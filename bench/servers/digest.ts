/**
 * digest: this library, `@DigestAuth` (defaults: MD5, qop=auth, stateless HMAC nonces) with an
 * in-memory `@GetPassword`. Server of `digest-reuse` (one nonce per client, nc counting up) and
 * `digest-fresh` (a new challenge for every request).
 */
import 'reflect-metadata';
import { DigestAuth, GetPassword } from '../../src';
import { REALM, USERS } from '../lib/fixtures';
import { serveProtected } from '../lib/protected-app';

@DigestAuth({ realm: REALM, secret: 'bench-digest-secret-0123456789abcdef' })
class DigestUsers {
  @GetPassword()
  password(username: string) {
    return USERS.get(username);
  }
}

serveProtected(new DigestUsers());
