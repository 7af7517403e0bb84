import { createPublicKey, generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { resolveIntrospectionOptions, type IntrospectionAuthOptions } from '../../src/authenticators/introspection-options';
import {
  checkIntrospectionResponse,
  clientAssertionClaims,
  clientSecretBasic,
  introspectionRequestBody,
  IntrospectionResponseError,
  tokenDigest,
  type IntrospectionPolicy,
} from '../../src/schemes/introspection';
import { createIntrospectionClient } from '../../src/keys/introspection-client';

const NOW = 1_900_000_000;
const policy: IntrospectionPolicy = { issuers: ['https://id.example.test'], audiences: ['api'], clockTolerance: 30 };
const good = { active: true, iss: 'https://id.example.test', aud: 'api', exp: NOW + 60, scope: 'a b' };

describe('introspection request (RFC 7662 §2.1)', () => {
  it('form-encodes the token with token_type_hint=access_token, and client parameters after it', () => {
    expect(introspectionRequestBody('t+k/n=&x')).toBe('token=t%2Bk%2Fn%3D%26x&token_type_hint=access_token');
    expect(introspectionRequestBody('t', { client_id: 'a b', client_secret: 's:1' })).toBe('token=t&token_type_hint=access_token&client_id=a+b&client_secret=s%3A1');
  });

  it.each([
    ['plain', 'api', 'secret', 'api:secret'],
    ['a colon in the secret', 'api', 'se:cret', 'api:se%3Acret'],
    ['a space and a plus', 'my api', 'a+b c', 'my+api:a%2Bb+c'],
    ['non-ASCII', 'api', 'pässword', 'api:p%C3%A4ssword'],
  ])('client_secret_basic form-urlencodes id and secret before base64 (RFC 6749 §2.3.1): %s', (_name, id, secret, encoded) => {
    expect(clientSecretBasic(id, secret)).toBe(`Basic ${Buffer.from(encoded).toString('base64')}`);
  });

  it('a private_key_jwt assertion names the client as iss and sub, the audience, a short exp and the jti', () => {
    expect(clientAssertionClaims('api', 'https://id.example.test', NOW, 'j-1')).toEqual({ iss: 'api', sub: 'api', aud: 'https://id.example.test', iat: NOW, exp: NOW + 60, jti: 'j-1' });
  });
});

describe('checkIntrospectionResponse (RFC 7662 §2.2)', () => {
  it('accepts an active response: frozen claims, scopes, exp', () => {
    const result = checkIntrospectionResponse({ ...good }, policy, NOW);
    expect(result).toEqual({ ok: true, claims: good, scopes: ['a', 'b'], exp: NOW + 60 });
    expect(Object.isFrozen(result.ok && result.claims)).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['active false', { active: false }, 'inactive'],
    ['cnf.jkt (DPoP)', { ...good, cnf: { jkt: 'x' } }, 'token_bound'],
    ['cnf x5t#S256 (mTLS)', { ...good, cnf: { 'x5t#S256': 'x' } }, 'token_bound'],
    ['token_type DPoP', { ...good, token_type: 'dpop' }, 'token_bound'],
    ['token_type refresh_token', { ...good, token_type: 'refresh_token' }, 'token_type_not_allowed'],
    ['token_type a number', { ...good, token_type: 1 }, 'token_type_not_allowed'],
    ['expired beyond the tolerance', { ...good, exp: NOW - 31 }, 'expired'],
    ['no exp', { ...good, exp: undefined }, 'exp_missing'],
    ['exp 1e400 (parses as Infinity)', { ...good, exp: JSON.parse('1e400') }, 'exp_invalid'],
    ['nbf ahead', { ...good, nbf: NOW + 31 }, 'not_yet_valid'],
    ['iat ahead', { ...good, iat: NOW + 31 }, 'iat_in_future'],
    ['wrong aud', { ...good, aud: ['x', 'y'] }, 'audience_not_allowed'],
    ['wrong iss', { ...good, iss: 'https://id.example.test/' }, 'issuer_not_allowed'],
    ['no iss', { ...good, iss: undefined }, 'issuer_not_allowed'],
    ['scope not a string', { ...good, scope: { a: 1 } }, 'scope_invalid'],
  ])('refuses %s', (_name, response, code) => {
    expect(checkIntrospectionResponse(response, policy, NOW)).toEqual({ ok: false, code });
  });

  const dpopOnly = { ...policy, checksBinding: { jkt: true, 'x5t#S256': false } };
  const mtlsOnly = { ...policy, checksBinding: { jkt: false, 'x5t#S256': true } };
  const both = { ...policy, checksBinding: { jkt: true, 'x5t#S256': true } };
  it.each<[string, unknown, typeof policy, string]>([
    ['cnf.jkt where only certificates are checked', { ...good, cnf: { jkt: 'x' } }, mtlsOnly, 'token_bound'],
    ['cnf x5t#S256 where only DPoP is checked', { ...good, cnf: { 'x5t#S256': 'x' } }, dpopOnly, 'token_bound'],
    ['cnf.jkt beside a member nobody checks (jwk)', { ...good, cnf: { jkt: 'x', jwk: {} } }, both, 'token_bound'],
    ['cnf.jkt beside x5t#S256 where only DPoP is checked', { ...good, cnf: { jkt: 'x', 'x5t#S256': 'y' } }, dpopOnly, 'token_bound'],
    ['token_type DPoP without cnf', { ...good, token_type: 'DPoP' }, dpopOnly, 'binding_invalid'],
    ['token_type DPoP with only x5t#S256', { ...good, token_type: 'DPoP', cnf: { 'x5t#S256': 'y' } }, both, 'binding_invalid'],
    ['cnf an array', { ...good, cnf: ['jkt'] }, dpopOnly, 'binding_invalid'],
    ['cnf a string', { ...good, cnf: 'jkt' }, dpopOnly, 'binding_invalid'],
    ['cnf empty', { ...good, cnf: {} }, dpopOnly, 'binding_invalid'],
    ['cnf empty, nothing checked', { ...good, cnf: {} }, policy, 'binding_invalid'],
    ['token_type refresh_token with cnf.jkt', { ...good, token_type: 'refresh_token', cnf: { jkt: 'x' } }, dpopOnly, 'token_type_not_allowed'],
  ])('where the class checks bindings, still refuses %s', (_name, response, withBindings, code) => {
    expect(checkIntrospectionResponse(response, withBindings, NOW)).toEqual({ ok: false, code });
  });

  it.each<[string, unknown, typeof policy]>([
    ['cnf.jkt with token_type DPoP (RFC 9449 §6.2)', { ...good, token_type: 'DPoP', cnf: { jkt: 'x' } }, dpopOnly],
    ['cnf.jkt without token_type', { ...good, token_type: undefined, cnf: { jkt: 'x' } }, dpopOnly],
    ['cnf x5t#S256 (RFC 8705 §3.2)', { ...good, cnf: { 'x5t#S256': 'y' } }, mtlsOnly],
    ['both bindings where both are checked', { ...good, token_type: 'dpop', cnf: { jkt: 'x', 'x5t#S256': 'y' } }, both],
  ])('passes %s on to the binding checks of the class', (_name, response, withBindings) => {
    expect(checkIntrospectionResponse(response, withBindings, NOW)).toMatchObject({ ok: true });
  });

  it('controls: token_type Bearer in any case, an aud array containing the audience, exp within the tolerance', () => {
    expect(checkIntrospectionResponse({ ...good, token_type: 'bearer', aud: ['x', 'api'], exp: NOW - 29 }, policy, NOW)).toMatchObject({ ok: true });
  });

  it('without issuer or audience configured, iss and aud are not checked; exp still is', () => {
    const open = { clockTolerance: 0 };
    expect(checkIntrospectionResponse({ active: true, exp: NOW + 1 }, open, NOW)).toMatchObject({ ok: true, scopes: [] });
    expect(checkIntrospectionResponse({ active: true, exp: NOW }, open, NOW)).toEqual({ ok: false, code: 'expired' });
  });

  it.each([['a string "true"', { ...good, active: 'true' }], ['1', { ...good, active: 1 }], ['missing', { iss: 'x' }], ['an array', [good]], ['null', null], ['a string', 'active']])(
    'a response whose active is %s is no introspection response: IntrospectionResponseError (503), never an admission',
    (_name, response) => {
      expect(() => checkIntrospectionResponse(response, policy, NOW)).toThrow(IntrospectionResponseError);
    },
  );

  it('tokenDigest is the base64url SHA-256', () => {
    expect(tokenDigest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});

describe('the client: private_key_jwt assertion', () => {
  it('signs a fresh assertion per request with the key (verifiable with its public key), jti unique', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bodies: URLSearchParams[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      bodies.push(new URLSearchParams(init.body as string));
      return new Response(JSON.stringify({ active: true, exp: NOW + 60 }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const client = createIntrospectionClient({
      endpoint: 'https://id.example.test/introspect',
      auth: { method: 'private_key_jwt', clientId: 'api', key: pair.privateKey, alg: 'ES256', kid: 'k1', audience: 'https://id.example.test' },
      policy: { clockTolerance: 0 },
      timeoutMs: 1000,
      maxBytes: 1000,
      now: () => NOW * 1000,
      fetch: fakeFetch,
    });
    await client.introspect('t1');
    await client.introspect('t2');
    const [first, second] = bodies.map((body) => body.get('client_assertion')!);
    expect(bodies[0].get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(bodies[0].get('client_id')).toBe('api');
    const [header, payload, signature] = first.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' });
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ iss: 'api', sub: 'api', aud: 'https://id.example.test', exp: NOW + 60 });
    expect(verifySignature('sha256', Buffer.from(`${header}.${payload}`), { key: createPublicKey(pair.privateKey), dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(second.split('.')[1], 'base64url').toString()).jti).not.toBe(claims.jti);
  });
});

describe('@IntrospectionAuth options', () => {
  const where = '@IntrospectionAuth on ApiAuth';
  const base: IntrospectionAuthOptions = { endpoint: 'https://id.example.test/introspect', clientId: 'api', clientSecret: 's' };
  const resolve = (options: unknown) => resolveIntrospectionOptions(options as IntrospectionAuthOptions, where);

  it('resolves defaults into a frozen config; the caller\'s object is untouched', () => {
    const options = { ...base, cache: { ttl: 60 } };
    const copy = structuredClone(options);
    const config = resolve(options);
    expect(config).toMatchObject({ scheme: 'Bearer', timeoutMs: 1000, maxBytes: 65_536, clockTolerance: 30, auth: { method: 'client_secret_basic', clientId: 'api', clientSecret: 's' }, cache: { ttlMs: 60_000, max: 10_000, negativeTtlMs: 5000 } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(options).toEqual(copy);
  });

  it('private_key_jwt: alg from the key, kid from the JWK, aud the issuer (or the endpoint)', () => {
    const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'rsa-1' };
    expect(resolve({ endpoint: base.endpoint, clientId: 'api', privateKey: jwk, issuer: 'https://id.example.test' }).auth).toMatchObject({ method: 'private_key_jwt', alg: 'RS256', kid: 'rsa-1', audience: 'https://id.example.test' });
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(resolve({ endpoint: base.endpoint, clientId: 'api', clientAuth: 'private_key_jwt', privateKey: ed }).auth).toMatchObject({ alg: 'EdDSA', audience: base.endpoint });
  });

  it.each<[string, unknown, string]>([
    ['no options', undefined, 'options are required'],
    ['an http endpoint off loopback', { ...base, endpoint: 'http://id.example.test/introspect' }, 'endpoint must be an https URL'],
    ['no clientId', { ...base, clientId: undefined }, 'clientId is required'],
    ['no secret', { ...base, clientSecret: undefined }, 'clientSecret is required with client_secret_basic'],
    ['an unknown clientAuth', { ...base, clientAuth: 'client_secret_jwt' }, 'clientAuth must be one of'],
    ['private_key_jwt without a key', { ...base, clientSecret: undefined, clientAuth: 'private_key_jwt' }, 'needs privateKey'],
    ['private_key_jwt with a secret', { ...base, clientAuth: 'private_key_jwt', privateKey: generateKeyPairSync('ed25519').privateKey }, 'are alternatives'],
    ['privateKey with a secret method', { ...base, privateKey: generateKeyPairSync('ed25519').privateKey, clientAuth: 'client_secret_post' }, 'belongs to clientAuth: "private_key_jwt"'],
    ['a public key', { endpoint: base.endpoint, clientId: 'api', privateKey: generateKeyPairSync('ed25519').publicKey }, 'privateKey is a public key'],
    ['an unknown option', { ...base, jwksUri: 'x' }, 'unknown option "jwksUri"'],
    ['an unknown cache option', { ...base, cache: { ttl: 1, key: () => '' } }, 'unknown cache option "key"'],
    ['a zero timeout', { ...base, timeout: 0 }, 'timeout must be a positive number of milliseconds'],
    ['resource without issuer', { ...base, resource: 'https://api.example.test' }, 'add issuer or authorizationServers'],
    ['a negative negativeTtl', { ...base, cache: { ttl: 1, negativeTtl: -1 } }, 'cache.negativeTtl must be a non-negative number'],
  ])('refuses %s with a TypeError naming the class and the fix', (_name, options, message) => {
    expect(() => resolve(options)).toThrow(TypeError);
    expect(() => resolve(options)).toThrow(`http-auth: ${where}: `);
    expect(() => resolve(options)).toThrow(message);
  });
});
