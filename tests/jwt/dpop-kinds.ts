import { randomBytes } from 'node:crypto';
import { IntrospectionAuth, JwtAuth, type JwtDpopOptions } from '../../src';
import { endpoint, perToken } from '../introspection/endpoint';
import type { TestServer } from '../keys/jwks-server';
import { accessClaims, AUDIENCE, ISSUER, makeKeys, publicJwk, signRaw } from '../schemes/jwt/tokens';
import { JKT, now } from './dpop-fixtures';

/**
 * The two classes that check DPoP proofs, for tests that run one table over both: `@JwtAuth` (a
 * JWT bound to the fixtures' client key) and `@IntrospectionAuth` (an opaque token whose
 * introspection answer binds that key, from an endpoint the test file starts).
 */
export const KINDS = ['jwt', 'introspection'] as const;
export type Kind = (typeof KINDS)[number];

const keys = makeKeys();
const JWKS = { keys: [publicJwk(keys.ec.publicKey, 'ec-1', 'ES256')] };

export interface DpopKinds {
  /** A token bound to the client key (`cnf.jkt`), of the kind's form. */
  boundToken(kind: Kind): string;
  /** Decorates `cls` as a class of that kind whose tokens are those of `boundToken`, with `options`. */
  decorate(kind: Kind, cls: abstract new (...args: never[]) => object, options: JwtDpopOptions & { resource: string }): void;
  close(): Promise<void>;
}

/** Starts the introspection endpoint (call in `beforeAll`). */
export async function startDpopKinds(): Promise<DpopKinds> {
  const answers = new Map<string, unknown>();
  const { server, url }: { server: TestServer; url: string } = await endpoint(perToken(answers));
  return {
    boundToken(kind) {
      if (kind === 'jwt') return signRaw(keys.ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' }, accessClaims(now(), { cnf: { jkt: JKT } }));
      const opaque = randomBytes(16).toString('base64url');
      answers.set(opaque, { active: true, iss: ISSUER, aud: AUDIENCE, exp: now() + 300, sub: 'client-1', token_type: 'DPoP', cnf: { jkt: JKT } });
      return opaque;
    },
    decorate(kind, cls, options) {
      if (kind === 'jwt') JwtAuth({ issuer: ISSUER, audience: AUDIENCE, keys: JWKS as never, ...options })(cls);
      else IntrospectionAuth({ endpoint: url, clientId: 'rs', clientSecret: 'rs-secret', issuer: ISSUER, audience: AUDIENCE, ...options })(cls);
    },
    close: () => server.close(),
  };
}
