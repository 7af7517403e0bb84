/**
 * The benchmark's variants: which server each talks to, how it is loaded and what it is compared
 * with. Shared by the runner (bench/run.ts) and the profiler (bench/profile.ts).
 */
import { basicHeader, PASSWORD, TOKEN, USER, WRONG_PASSWORD } from './fixtures';
import { JWT_TOKEN } from './jwt-fixtures';
import type { LoopMode } from './loop';

export type Group = 'baseline' | 'library' | 'peer';

export interface Variant {
  name: string;
  group: Group;
  /** Server process this variant talks to; variants naming the same key share one process. */
  server: string;
  file: string;
  env?: Record<string, string>;
  what: string;
  /** autocannon with these headers, or the custom keep-alive loop in this mode. */
  load: { kind: 'autocannon'; headers?: Record<string, string> } | { kind: 'loop'; mode: LoopMode };
  connections?: number;
  /** Bare routing-controllers measured with the same load generator. */
  rcBase: string;
  /** The variant's own bare baseline (Express for the peers). */
  ownBase: string;
  /** Status every response should have. */
  expect: 200 | 401;
  /** A set `--only` can name as a whole (`--only jwt`). */
  family?: 'jwt';
  /** Its server fetches keys from the runner's JWKS server (bench/lib/jwks-server.ts). */
  jwks?: true;
}

const basicOk = { authorization: basicHeader(USER, PASSWORD) };
const digestUser = { username: USER, password: PASSWORD };
const jwtLoad = { kind: 'autocannon', headers: { authorization: `Bearer ${JWT_TOKEN}` } } as const;
/** The JWT variants, all on routing-controllers and compared with bare routing-controllers. */
const jwt = (name: string, group: Group, file: string, what: string, env: Record<string, string>): Variant => ({
  name, group, server: name, file, what, env, load: jwtLoad, rcBase: 'bare', ownBase: 'bare', expect: 200, family: 'jwt',
  ...(env.BENCH_JWT_KEYS === 'remote' ? { jwks: true as const } : {}),
});

export const VARIANTS: Variant[] = [
  { name: 'bare', group: 'baseline', server: 'bare', file: 'bare.ts', what: 'routing-controllers, no auth',
    load: { kind: 'autocannon' }, rcBase: 'bare', ownBase: 'bare', expect: 200 },
  { name: 'bare-authorized', group: 'baseline', server: 'bare-authorized', file: 'bare-authorized.ts',
    what: 'routing-controllers, @Authorized + checker resolving true (no library)', load: { kind: 'autocannon' },
    rcBase: 'bare', ownBase: 'bare', expect: 200 },
  { name: 'basic', group: 'library', server: 'basic', file: 'basic.ts', what: '@BasicAuth, in-memory @VerifyPassword',
    load: { kind: 'autocannon', headers: basicOk }, rcBase: 'bare', ownBase: 'bare', expect: 200 },
  { name: 'basic-401', group: 'library', server: 'basic', file: 'basic.ts', what: 'basic server, wrong password → 401',
    load: { kind: 'autocannon', headers: { authorization: basicHeader(USER, WRONG_PASSWORD) } }, rcBase: 'bare', ownBase: 'bare', expect: 401 },
  { name: 'basic-401-none', group: 'library', server: 'basic', file: 'basic.ts', what: 'basic server, no credentials → 401',
    load: { kind: 'autocannon' }, rcBase: 'bare', ownBase: 'bare', expect: 401 },
  { name: 'token', group: 'library', server: 'token', file: 'token.ts', what: '@TokenAuth Bearer, in-memory @VerifyToken',
    load: { kind: 'autocannon', headers: { authorization: `Bearer ${TOKEN}` } }, rcBase: 'bare', ownBase: 'bare', expect: 200 },
  { name: 'basic-scrypt', group: 'library', server: 'basic-scrypt', file: 'basic-scrypt.ts',
    what: '@BasicAuth, werkzeug scrypt hash via checkPasswordHash', load: { kind: 'autocannon', headers: basicOk },
    connections: 4, rcBase: 'bare', ownBase: 'bare', expect: 200 },
  { name: 'basic-scrypt-cache', group: 'library', server: 'basic-scrypt-cache', file: 'basic-scrypt-cache.ts',
    what: 'basic-scrypt + cache { ttl: 300, max: 10000 }', load: { kind: 'autocannon', headers: basicOk },
    rcBase: 'bare', ownBase: 'bare', expect: 200 },
  { name: 'express-bare', group: 'baseline', server: 'express-bare', file: 'express-bare.ts', what: 'plain Express, no auth',
    load: { kind: 'autocannon' }, rcBase: 'bare', ownBase: 'express-bare', expect: 200 },
  { name: 'express-basic-auth', group: 'peer', server: 'express-basic-auth', file: 'express-basic-auth.ts',
    what: 'express-basic-auth, authorizer', load: { kind: 'autocannon', headers: basicOk }, rcBase: 'bare', ownBase: 'express-bare', expect: 200 },
  { name: 'passport-basic', group: 'peer', server: 'passport-basic', file: 'passport-basic.ts', what: 'passport + passport-http BasicStrategy',
    load: { kind: 'autocannon', headers: basicOk }, rcBase: 'bare', ownBase: 'express-bare', expect: 200 },
  { name: 'passport-bearer', group: 'peer', server: 'passport-bearer', file: 'passport-bearer.ts', what: 'passport + passport-http-bearer',
    load: { kind: 'autocannon', headers: { authorization: `Bearer ${TOKEN}` } }, rcBase: 'bare', ownBase: 'express-bare', expect: 200 },
  { name: 'http-auth-basic', group: 'peer', server: 'http-auth-basic', file: 'http-auth-basic.ts', what: 'http-auth basic()',
    load: { kind: 'autocannon', headers: basicOk }, rcBase: 'bare', ownBase: 'express-bare', expect: 200 },

  jwt('jwt-local', 'library', 'jwt.ts', '@JwtAuth ES256, local key', { BENCH_JWT_KEYS: 'local' }),
  jwt('jwt-local-cache', 'library', 'jwt.ts', 'jwt-local + cache { ttl: 300, max: 10000 }', { BENCH_JWT_KEYS: 'local', BENCH_CACHE: '1' }),
  jwt('jwt-remote', 'library', 'jwt.ts', '@JwtAuth ES256, remote JWKS (warm)', { BENCH_JWT_KEYS: 'remote' }),
  jwt('jwt-remote-cache', 'library', 'jwt.ts', 'jwt-remote + cache { ttl: 300, max: 10000 }', { BENCH_JWT_KEYS: 'remote', BENCH_CACHE: '1' }),
  jwt('oauth2-jwt-bearer-local', 'peer', 'oauth2-jwt-bearer.ts', 'express-oauth2-jwt-bearer, publicKey, @UseBefore', { BENCH_JWT_KEYS: 'local' }),
  jwt('oauth2-jwt-bearer-remote', 'peer', 'oauth2-jwt-bearer.ts', 'express-oauth2-jwt-bearer, jwksUri (warm), @UseBefore', { BENCH_JWT_KEYS: 'remote' }),
  jwt('express-jwt-local', 'peer', 'express-jwt.ts', 'express-jwt, KeyObject, @UseBefore', { BENCH_JWT_KEYS: 'local' }),
  jwt('express-jwt-jwks', 'peer', 'express-jwt.ts', 'express-jwt + jwks-rsa expressJwtSecret (warm), @UseBefore', { BENCH_JWT_KEYS: 'remote' }),

  { name: 'bare-loop', group: 'baseline', server: 'bare', file: 'bare.ts', what: 'bare, custom keep-alive loop',
    load: { kind: 'loop', mode: { kind: 'plain' } }, rcBase: 'bare-loop', ownBase: 'bare-loop', expect: 200 },
  { name: 'digest-reuse', group: 'library', server: 'digest-reuse', file: 'digest.ts', what: '@DigestAuth MD5, nonce reused, nc counting up',
    load: { kind: 'loop', mode: { kind: 'digest-reuse', ...digestUser } }, rcBase: 'bare-loop', ownBase: 'bare-loop', expect: 200 },
  { name: 'digest-fresh', group: 'library', server: 'digest-fresh', file: 'digest.ts', what: '@DigestAuth MD5, 401 + answer per login',
    load: { kind: 'loop', mode: { kind: 'digest-fresh', ...digestUser } }, rcBase: 'bare-loop', ownBase: 'bare-loop', expect: 200 },
  { name: 'express-bare-loop', group: 'baseline', server: 'express-bare', file: 'express-bare.ts', what: 'express-bare, custom keep-alive loop',
    load: { kind: 'loop', mode: { kind: 'plain' } }, rcBase: 'bare-loop', ownBase: 'express-bare-loop', expect: 200 },
  { name: 'passport-digest-reuse', group: 'peer', server: 'passport-digest-reuse', file: 'passport-digest.ts',
    what: 'passport-http DigestStrategy, nonce reused', load: { kind: 'loop', mode: { kind: 'digest-reuse', ...digestUser } },
    rcBase: 'bare-loop', ownBase: 'express-bare-loop', expect: 200 },
  { name: 'passport-digest-fresh', group: 'peer', server: 'passport-digest-fresh', file: 'passport-digest.ts',
    what: 'passport-http DigestStrategy, 401 + answer per login', load: { kind: 'loop', mode: { kind: 'digest-fresh', ...digestUser } },
    rcBase: 'bare-loop', ownBase: 'express-bare-loop', expect: 200 },
  { name: 'http-auth-digest-reuse', group: 'peer', server: 'http-auth-digest-reuse', file: 'http-auth-digest.ts',
    what: 'http-auth digest(), nonce reused', load: { kind: 'loop', mode: { kind: 'digest-reuse', ...digestUser } },
    rcBase: 'bare-loop', ownBase: 'express-bare-loop', expect: 200 },
  { name: 'http-auth-digest-fresh', group: 'peer', server: 'http-auth-digest-fresh', file: 'http-auth-digest.ts',
    what: 'http-auth digest(), 401 + answer per login', load: { kind: 'loop', mode: { kind: 'digest-fresh', ...digestUser } },
    rcBase: 'bare-loop', ownBase: 'express-bare-loop', expect: 200 },
];
