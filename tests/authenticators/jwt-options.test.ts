import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { resolveJwtOptions, type JwtAuthOptions } from '../../src/authenticators/jwt-options';
import { publicJwk } from '../schemes/jwt/tokens';

const WHERE = '@JwtAuth on ApiAuth';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const BASE = { issuer: 'https://id.example.test', audience: 'https://api.example.test' };

const resolve = (options: unknown) => resolveJwtOptions(options as JwtAuthOptions, WHERE);
const fails = (options: unknown, message: string | RegExp) => {
  expect(() => resolve(options)).toThrow(TypeError);
  expect(() => resolve(options)).toThrow(typeof message === 'string' ? `http-auth: ${WHERE}: ${message}` : message);
};

describe('resolveJwtOptions', () => {
  it('resolves the defaults, frozen, without touching the caller object', () => {
    const options = { ...BASE, jwksUri: 'https://id.example.test/jwks' };
    const snapshot = JSON.stringify(options);
    const config = resolve(options);
    expect(JSON.stringify(options)).toBe(snapshot);
    expect(Object.isFrozen(config)).toBe(true);
    expect(config).toEqual({
      scheme: 'Bearer',
      issuers: ['https://id.example.test'],
      audiences: ['https://api.example.test'],
      keys: { kind: 'jwksUri', uris: { 'https://id.example.test': 'https://id.example.test/jwks' }, jwks: { timeoutMs: 1000, unknownKidIntervalMs: 5000, maxAgeMs: 600_000, staleIfErrorMs: 3_600_000, maxBytes: 524_288 } },
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockTolerance: 30,
      typ: ['application/at+jwt'],
      realm: 'Authentication Required',
      openApiName: undefined,
      bearerFormat: 'JWT',
      throttle: undefined,
      proxy: false,
      keepProxyAuthorization: false,
      hookTimeout: 10_000,
      cache: undefined,
    });
    expect(Object.isFrozen(config.issuers) && Object.isFrozen(config.algorithms) && Object.isFrozen(config.typ) && Object.isFrozen(config.keys)).toBe(true);
  });

  it('resolves every option', () => {
    const config = resolve({
      issuer: ['https://a.example.test', 'https://b.example.test'],
      audience: ['api', 'https://api.example.test'],
      jwksUri: { 'https://a.example.test': 'https://a.example.test/jwks', 'https://b.example.test': 'http://localhost:8080/jwks' },
      algorithms: ['ES256', 'ES384'],
      clockTolerance: 0,
      maxTokenAge: 3600,
      typ: ['JWT', 'at+jwt'],
      scopeClaim: 'scp',
      jwks: { timeout: 500, unknownKidInterval: 1, maxAge: 60, staleIfError: 0, maxBytes: 4096 },
      realm: 'api',
      openApiName: 'apiAuth',
      bearerFormat: 'JWT',
      query: 'access_token',
      cookie: 'access_token',
      throttle: { failures: 10, window: 60, block: 300 },
      proxy: false,
      resource: 'https://api.example.test/v1',
      resourceName: 'Example API',
      authorizationServers: ['https://a.example.test'],
      cache: { ttl: 60, max: 100 },
    });
    expect(config).toMatchObject({
      issuers: ['https://a.example.test', 'https://b.example.test'],
      audiences: ['api', 'https://api.example.test'],
      keys: { kind: 'jwksUri', uris: { 'https://a.example.test': 'https://a.example.test/jwks', 'https://b.example.test': 'http://localhost:8080/jwks' }, jwks: { timeoutMs: 500, unknownKidIntervalMs: 1000, maxAgeMs: 60_000, staleIfErrorMs: 0, maxBytes: 4096 } },
      algorithms: ['ES256', 'ES384'],
      clockTolerance: 0,
      maxTokenAge: 3600,
      typ: ['application/jwt', 'application/at+jwt'],
      scopeClaim: 'scp',
      realm: 'api',
      openApiName: 'apiAuth',
      query: 'access_token',
      cookie: { name: 'access_token', allowedOrigins: new Set(), crossSite: false },
      throttle: { failures: 10, windowSeconds: 60, blockSeconds: 300 },
      resource: 'https://api.example.test/v1',
      resourceName: 'Example API',
      authorizationServers: ['https://a.example.test'],
      cache: { ttlMs: 60_000, max: 100 },
    });
  });

  it('shares one jwksUri string among several issuers', () => {
    expect(resolve({ ...BASE, issuer: ['https://a.example.test', 'https://b.example.test'], jwksUri: 'https://keys.example.test/jwks' }).keys).toMatchObject({
      uris: { 'https://a.example.test': 'https://keys.example.test/jwks', 'https://b.example.test': 'https://keys.example.test/jwks' },
    });
  });

  it('resolves discovery, local keys and a secret', () => {
    expect(resolve({ ...BASE, discovery: true }).keys).toMatchObject({ kind: 'discovery', jwks: { timeoutMs: 1000 } });
    expect(resolve({ ...BASE, keys: ec.publicKey })).toMatchObject({ keys: { kind: 'keys', keys: [{ key: ec.publicKey }] }, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] });
    expect(resolve({ ...BASE, keys: { keys: [publicJwk(ec.publicKey, 'e1'), publicJwk(rsa.publicKey, 'r1')] } }).keys).toMatchObject({ kind: 'keys', keys: [{ kid: 'e1' }, { kid: 'r1' }] });
    expect(resolve({ ...BASE, secret: SECRET })).toMatchObject({ keys: { kind: 'secret' }, algorithms: ['HS256'] });
    expect(resolve({ ...BASE, secret: Buffer.alloc(64, 1), algorithms: ['HS256', 'HS384', 'HS512'] }).algorithms).toEqual(['HS256', 'HS384', 'HS512']);
    expect(resolve({ ...BASE, secret: createSecretKey(Buffer.alloc(32, 1)) }).keys.kind).toBe('secret');
  });

  it('accepts http URLs on loopback only', () => {
    for (const uri of ['http://localhost:3000/jwks', 'http://127.0.0.1:3000/jwks', 'http://[::1]:3000/jwks', 'https://id.example.test/jwks']) {
      expect(() => resolve({ ...BASE, jwksUri: uri })).not.toThrow();
    }
  });

  it.each([
    ['no options', undefined, 'options are required: { issuer, audience } and one of jwksUri, discovery, keys or secret'],
    ['options that are not an object', 'https://id.example.test', 'options must be an object'],
    ['an unknown option', { ...BASE, secret: SECRET, issuers: 'x' }, /unknown option "issuers" \(allowed: issuer, audience, /],
    ['no issuer', { audience: 'api', secret: SECRET }, /issuer is required/],
    ['an empty issuer list', { ...BASE, issuer: [], secret: SECRET }, /issuer must be a string or a non-empty array/],
    ['an empty issuer', { ...BASE, issuer: '', secret: SECRET }, /issuer must be/],
    ['no audience', { issuer: 'x', secret: SECRET }, /audience is required/],
    ['an audience number', { ...BASE, audience: 7, secret: SECRET }, /audience must be/],
    ['no key source', BASE, 'keys are required: set one of jwksUri, discovery: true, keys or secret'],
    ['two key sources', { ...BASE, jwksUri: 'https://id.example.test/jwks', secret: SECRET }, 'jwksUri and secret are alternatives; set only one of them'],
    ['discovery false', { ...BASE, discovery: false }, 'discovery must be true (or left out)'],
    ['discovery with an issuer that is not a URL', { ...BASE, issuer: 'my-app', discovery: true }, /with discovery, each issuer is the URL of its metadata, and "my-app" is not an absolute URL/],
    ['discovery with an http issuer', { ...BASE, issuer: 'http://id.example.test', discovery: true }, /must be an https URL \(http only for localhost/],
    ['discovery with an issuer with a query', { ...BASE, issuer: 'https://id.example.test/?tenant=1', discovery: true }, /must not contain a query/],
    ['an http jwksUri', { ...BASE, jwksUri: 'http://id.example.test/jwks' }, 'jwksUri must be an https URL (http only for localhost, 127.0.0.1 or [::1])'],
    ['a jwksUri with credentials', { ...BASE, jwksUri: 'https://user:pw@id.example.test/jwks' }, 'jwksUri must not contain credentials'],
    ['a jwksUri with a fragment', { ...BASE, jwksUri: 'https://id.example.test/jwks#x' }, 'jwksUri must not contain a fragment'],
    ['a relative jwksUri', { ...BASE, jwksUri: '/jwks' }, 'jwksUri is not an absolute URL'],
    ['a jwksUri record missing an issuer', { ...BASE, issuer: ['https://a.example.test', 'https://b.example.test'], jwksUri: { 'https://a.example.test': 'https://a.example.test/jwks' } }, 'jwksUri has no URL for the issuer "https://b.example.test"'],
    ['a jwksUri record naming another issuer', { ...BASE, jwksUri: { 'https://id.example.test': 'https://id.example.test/jwks', 'https://other.test': 'https://other.test/jwks' } }, /jwksUri names "https:\/\/other.test", which is not one of the issuers/],
    ['a jwksUri array', { ...BASE, jwksUri: ['https://id.example.test/jwks'] }, 'jwksUri must be a URL, or a record { [issuer]: url }'],
    ['jwks with local keys', { ...BASE, keys: ec.publicKey, jwks: { timeout: 100 } }, 'jwks configures fetched keys; it goes with jwksUri or discovery only'],
    ['an unknown jwks option', { ...BASE, discovery: true, jwks: { ttl: 1 } }, /unknown jwks option "ttl"/],
    ['jwks.timeout 0', { ...BASE, discovery: true, jwks: { timeout: 0 } }, /jwks.timeout must be a positive number of milliseconds/],
    ['jwks.unknownKidInterval 0', { ...BASE, discovery: true, jwks: { unknownKidInterval: 0 } }, /jwks.unknownKidInterval must be a positive number of seconds/],
    ['jwks.maxAge Infinity', { ...BASE, discovery: true, jwks: { maxAge: Infinity } }, /jwks.maxAge must be a positive number/],
    ['jwks.staleIfError -1', { ...BASE, discovery: true, jwks: { staleIfError: -1 } }, /jwks.staleIfError must be/],
    ['jwks.maxBytes 1.5', { ...BASE, discovery: true, jwks: { maxBytes: 1.5 } }, /jwks.maxBytes must be a whole number/],
    ['algorithms with none', { ...BASE, discovery: true, algorithms: ['RS256', 'none'] }, 'algorithms must not contain "none": it accepts unsigned tokens'],
    ['algorithms with NONE', { ...BASE, discovery: true, algorithms: ['NONE'] }, /must not contain "none"/],
    ['algorithms with rs256', { ...BASE, discovery: true, algorithms: ['rs256'] }, /unknown algorithm "rs256" \(names are case-sensitive; supported: HS256/],
    ['an empty algorithms list', { ...BASE, discovery: true, algorithms: [] }, /algorithms must be a non-empty array/],
    ['HS256 with a JWKS', { ...BASE, jwksUri: 'https://id.example.test/jwks', algorithms: ['RS256', 'HS256'] }, /HS256 verifies with a shared secret, never with public keys/],
    ['HS256 with local public keys', { ...BASE, keys: rsa.publicKey, algorithms: ['HS256'] }, /HS256 verifies with a shared secret/],
    ['RS256 with a secret', { ...BASE, secret: SECRET, algorithms: ['RS256'] }, /RS256 needs public keys/],
    ['HS512 with a 32-byte secret', { ...BASE, secret: Buffer.alloc(32, 1), algorithms: ['HS512'] }, 'HS512 needs a secret of at least 64 bytes'],
    ['a 31-byte secret', { ...BASE, secret: 'x'.repeat(31) }, /secret must be at least 32 bytes/],
    ['a secret number', { ...BASE, secret: 12345 }, /secret must be a string/],
    ['a public key as secret', { ...BASE, secret: ec.publicKey }, /secret must be a shared secret/],
    ['a private key in keys', { ...BASE, keys: ec.privateKey }, /keys cannot verify tokens: a private key/],
    ['a private JWK in keys', { ...BASE, keys: [ec.privateKey.export({ format: 'jwk' })] }, /keys\[0\] cannot verify tokens: a private key/],
    ['an oct JWK in a JWK Set', { ...BASE, keys: { keys: [{ kty: 'oct', k: 'eA' }] } }, /keys.keys\[0\] cannot verify tokens: a symmetric \("oct"\) key/],
    ['a 1024-bit RSA key', { ...BASE, keys: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey }, /shorter than 2048 bits/],
    ['an empty key list', { ...BASE, keys: [] }, 'keys is empty; give at least one public key'],
    ['a key no allowed algorithm can use', { ...BASE, keys: [ec.publicKey, ec384.publicKey] }, /keys: key 1 can verify none of the algorithms RS256, PS256, ES256, EdDSA/],
    ['a key whose JWK alg is not allowed', { ...BASE, keys: publicJwk(ec.publicKey, 'e1', 'ES256'), algorithms: ['RS256', 'ES384'] }, /key 0 \(its JWK names "ES256"\) can verify none/],
    ['more than 4 keys without kid', { ...BASE, keys: Array.from({ length: 5 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey) }, /more than 4 keys without kid; give each key a kid/],
    ['a negative clockTolerance', { ...BASE, secret: SECRET, clockTolerance: -1 }, 'clockTolerance must be a non-negative number of seconds'],
    ['clockTolerance as a string', { ...BASE, secret: SECRET, clockTolerance: '30' }, /clockTolerance must be/],
    ['maxTokenAge 0', { ...BASE, secret: SECRET, maxTokenAge: 0 }, 'maxTokenAge must be a positive number of seconds'],
    ['an empty typ list', { ...BASE, secret: SECRET, typ: [] }, /typ must be a non-empty array of media types/],
    ['typ true', { ...BASE, secret: SECRET, typ: true }, /typ must be/],
    ['typ with a space', { ...BASE, secret: SECRET, typ: ['at+jwt; charset=x'] }, /typ must be/],
    ['scopeClaim scopes', { ...BASE, secret: SECRET, scopeClaim: 'scopes' }, 'scopeClaim must be "scope" or "scp"'],
    ['a realm with a line break', { ...BASE, secret: SECRET, realm: 'a\nb' }, /realm must be a string without control characters/],
    ['an empty query', { ...BASE, secret: SECRET, query: '' }, /query must name a query parameter/],
    ['a cookie with a space', { ...BASE, secret: SECRET, cookie: 'a b' }, /cookie must name a cookie/],
    ['proxy with query', { ...BASE, secret: SECRET, proxy: true, query: 'access_token' }, /proxy reads the token from Proxy-Authorization only; remove "query"/],
    ['an http resource', { ...BASE, secret: SECRET, resource: 'http://api.example.test' }, /resource must be an https URL/],
    ['a resource with a fragment', { ...BASE, secret: SECRET, resource: 'https://api.example.test/#x' }, 'resource must not contain a fragment'],
    ['resourceName without resource', { ...BASE, secret: SECRET, resourceName: 'API' }, /resourceName is part of the protected-resource metadata \(RFC 9728\); add resource/],
    ['authorizationServers without resource', { ...BASE, secret: SECRET, authorizationServers: ['https://id.example.test'] }, /authorizationServers is part of the protected-resource metadata/],
    ['an empty resourceName', { ...BASE, secret: SECRET, resource: 'https://api.example.test', resourceName: ' ' }, /resourceName must be a non-empty string/],
    ['authorizationServers with an http URL', { ...BASE, secret: SECRET, resource: 'https://api.example.test', authorizationServers: ['http://id.example.test'] }, /authorizationServers\[0\] must be an https URL/],
    ['an empty bearerFormat', { ...BASE, secret: SECRET, bearerFormat: '' }, /bearerFormat must be a non-empty string/],
    ['a bad throttle', { ...BASE, secret: SECRET, throttle: { failures: 0, window: 1, block: 1 } }, /throttle.failures must be a positive integer/],
    ['a bad cache', { ...BASE, secret: SECRET, cache: { ttl: 0 } }, /cache.ttl must be a positive number of seconds/],
    ['a bad openApiName', { ...BASE, secret: SECRET, openApiName: 'a b' }, /openApiName must be letters/],
  ])('refuses %s', (_, options, message) => {
    fails(options, message);
  });
});
