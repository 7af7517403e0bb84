/**
 * `@JwtAuth`'s DPoP options (src/authenticators/jwt-dpop-options.ts): resolved once into a frozen
 * configuration; every misuse a TypeError at decoration naming the class and the fix.
 */
import { createAuthCheckers, JwtAuth, MemoryNonceStore, type JwtAuthOptions } from '../../src';
import { recordingLogger } from '../helpers';
import { resolveJwtOptions } from '../../src/authenticators/jwt-options';

const base = { issuer: 'https://id.example.test', audience: 'https://api.example.test', secret: 'a-hs256-secret-of-at-least-32-bytes!!', resource: 'https://api.example.test/v1' };

describe('DPoP options', () => {
  it('defaults: off unless dpop is set; with it, ES256 EdDSA PS256 RS256, 60 s, the resource origin', () => {
    expect(resolveJwtOptions(base, 'A').dpop).toBeUndefined();
    const config = resolveJwtOptions({ ...base, dpop: 'allowed' }, 'A').dpop!;
    expect(config).toEqual({ mode: 'allowed', algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'], window: 60, origin: 'https://api.example.test' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps the caller\'s object and copies a nonce secret', () => {
    const secret = new Uint8Array(32).fill(1);
    const options: JwtAuthOptions = { ...base, dpop: 'required', dpopNonce: { secret }, store: new MemoryNonceStore(), dpopWindow: 30, dpopAlgorithms: ['ES256'] };
    const copy = JSON.stringify(options);
    const config = resolveJwtOptions(options, 'A').dpop!;
    expect(JSON.stringify(options)).toBe(copy);
    secret.fill(2);
    expect(config.nonce).toEqual({ secret: new Uint8Array(32).fill(1), lifetime: 300 });
    expect(config).toMatchObject({ mode: 'required', window: 30, algorithms: ['ES256'] });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown mode', { dpop: 'on' }, /Bad: dpop must be 'allowed' or 'required'/],
    ['no resource', { dpop: 'allowed', resource: undefined }, /Bad: dpop checks each proof's htu against this API's URL, never the Host header; add resource/],
    ['proxy', { dpop: 'allowed', proxy: true }, /Bad: dpop is for origin servers only \(RFC 9449 §7\.1\); remove proxy/],
    ["'required' with query", { dpop: 'required', query: 'access_token' }, /Bad: dpop: 'required' accepts tokens in Authorization: DPoP only; remove query/],
    ['HS256 proofs', { dpop: 'allowed', dpopAlgorithms: ['HS256'] }, /Bad: dpopAlgorithms must be a non-empty array of asymmetric JWS algorithms/],
    ['none', { dpop: 'allowed', dpopAlgorithms: ['none'] }, /Bad: dpopAlgorithms must be/],
    ['an empty list', { dpop: 'allowed', dpopAlgorithms: [] }, /Bad: dpopAlgorithms must be/],
    ['a zero window', { dpop: 'allowed', dpopWindow: 0 }, /Bad: dpopWindow must be a positive number of seconds/],
    ['a short nonce secret', { dpop: 'allowed', dpopNonce: { secret: 'short' } }, /Bad: dpopNonce.secret must be a string or Uint8Array of at least 32 bytes/],
    ['a nonce option misspelt', { dpop: 'allowed', dpopNonce: { secret: 'x'.repeat(32), ttl: 5 } }, /Bad: dpopNonce has no option "ttl"/],
    ['a store that is not one', { dpop: 'allowed', store: {} }, /Bad: store must be a nonce store/],
    ['DPoP options without dpop', { dpopNonce: true }, /Bad: dpopNonce is a DPoP option; add dpop: 'allowed'/],
    ['a store without dpop', { store: new MemoryNonceStore() }, /Bad: store is a DPoP option/],
  ])('%s: a TypeError at decoration', (_name, options, message) => {
    expect(() => {
      @JwtAuth({ ...base, ...options } as JwtAuthOptions)
      class Bad {}
      return Bad;
    }).toThrow(message);
  });
});

describe('start-up warnings', () => {
  const nonce = { secret: 'a-shared-dpop-nonce-secret-32-bytes' };
  it.each<[string, Record<string, unknown>, number]>([
    ['a shared nonce secret with the default memory store', { dpopNonce: nonce }, 1],
    ['a shared nonce secret with a store given', { dpopNonce: nonce, store: new MemoryNonceStore() }, 0],
    ['a per-process nonce secret', { dpopNonce: true }, 0],
    ['no nonces', {}, 0],
  ])('%s: %d warning(s)', (_name, options, count) => {
    @JwtAuth({ ...base, dpop: 'allowed', ...options } as JwtAuthOptions)
    class Warned {}
    const logger = recordingLogger();
    createAuthCheckers([Warned], { logger });
    const lines = logger.lines().filter((line) => line.includes('DPoP'));
    expect(lines).toHaveLength(count);
    if (count) expect(lines[0]).toMatch(/Warned shares a DPoP nonce secret but records proofs in memory: .*store: new RedisNonceStore\(redis\)/);
  });
});
