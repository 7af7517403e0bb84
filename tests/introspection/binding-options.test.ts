/**
 * `@IntrospectionAuth`'s binding options — `dpop` with its companions, and `mtlsBound` — resolved
 * once into the frozen configuration with `@JwtAuth`'s own rules; every misuse a TypeError at
 * decoration that names the class and the fix.
 */
import { createAuthCheckers, IntrospectionAuth, MemoryNonceStore, type IntrospectionAuthOptions } from '../../src';
import { resolveIntrospectionOptions } from '../../src/authenticators/introspection-options';
import { recordingLogger } from '../helpers';

const base: IntrospectionAuthOptions = {
  endpoint: 'https://id.example.test/introspect',
  clientId: 'orders-api',
  clientSecret: 'rs-secret',
  issuer: 'https://id.example.test',
  resource: 'https://api.example.test/v1',
};

describe('@IntrospectionAuth binding options', () => {
  it('defaults: no dpop and no mtlsBound (bound answers refused); with dpop, the JWT defaults and the resource origin', () => {
    const plain = resolveIntrospectionOptions(base, 'A');
    expect(plain.dpop).toBeUndefined();
    expect(plain.mtlsBound).toBeUndefined();
    const config = resolveIntrospectionOptions({ ...base, dpop: 'allowed', mtlsBound: 'required' }, 'A');
    expect(config.dpop).toEqual({ mode: 'allowed', algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'], window: 60, origin: 'https://api.example.test' });
    expect(config.mtlsBound).toBe('required');
    expect(Object.isFrozen(config.dpop)).toBe(true);
  });

  it("keeps the caller's object", () => {
    const options: IntrospectionAuthOptions = { ...base, dpop: 'required', dpopNonce: { secret: 'x'.repeat(32), lifetime: 60 }, store: new MemoryNonceStore(), dpopWindow: 30 };
    const copy = JSON.stringify(options);
    expect(resolveIntrospectionOptions(options, 'A').dpop).toMatchObject({ mode: 'required', window: 30, nonce: { secret: 'x'.repeat(32), lifetime: 60 } });
    expect(JSON.stringify(options)).toBe(copy);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown dpop mode', { dpop: true }, /Bad: dpop must be 'allowed' or 'required'/],
    ['dpop without resource', { dpop: 'allowed', resource: undefined }, /Bad: dpop checks each proof's htu against this API's URL, never the Host header; add resource/],
    ['HS256 proofs', { dpop: 'allowed', dpopAlgorithms: ['HS256'] }, /Bad: dpopAlgorithms must be a non-empty array of asymmetric JWS algorithms/],
    ['a short nonce secret', { dpop: 'allowed', dpopNonce: { secret: 'short' } }, /Bad: dpopNonce.secret must be a string or Uint8Array of at least 32 bytes/],
    ['a store that is not one', { dpop: 'allowed', store: {} }, /Bad: store must be a nonce store/],
    ['DPoP options without dpop', { dpopWindow: 30 }, /Bad: dpopWindow is a DPoP option; add dpop: 'allowed'/],
    ['an unknown mtlsBound', { mtlsBound: true }, /Bad: mtlsBound must be 'allowed' \(bound and unbound tokens\) or 'required'/],
    ['mtlsFrom without mtlsBound', { mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] } }, /Bad: mtlsFrom says where the certificate of a certificate-bound token comes from; add mtlsBound/],
    ['mtlsFrom without trusted proxies', { mtlsBound: 'allowed', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: [] } }, /Bad: mtlsFrom.trustedProxies must list the addresses/],
  ])('%s: a TypeError at decoration', (_name, options, message) => {
    expect(() => {
      @IntrospectionAuth({ ...base, ...options } as IntrospectionAuthOptions)
      class Bad {}
      return Bad;
    }).toThrow(message);
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['a shared nonce secret with the default memory store', { dpopNonce: { secret: 'y'.repeat(32) } }, 1],
    ['a shared nonce secret with a store given', { dpopNonce: { secret: 'y'.repeat(32) }, store: new MemoryNonceStore() }, 0],
    ['a per-process nonce secret', { dpopNonce: true }, 0],
  ])('start-up: %s gives %d warning(s)', (_name, options, count) => {
    @IntrospectionAuth({ ...base, dpop: 'allowed', ...options } as IntrospectionAuthOptions)
    class Warned {}
    const logger = recordingLogger();
    createAuthCheckers([Warned], { logger });
    const lines = logger.lines().filter((line) => line.includes('DPoP'));
    expect(lines).toHaveLength(count);
    if (count) expect(lines[0]).toMatch(/Warned shares a DPoP nonce secret but records proofs in memory: .*@IntrospectionAuth\(\{ dpop, store: new RedisNonceStore\(redis\) \}\)/);
  });
});
