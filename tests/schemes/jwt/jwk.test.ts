import { candidateKeys, importJwk, keyUsableFor, type VerifyKey } from '../../../src/schemes/jwt/jwk';
import { makeKeys, publicJwk } from './tokens';

const keys = makeKeys();
const rsa = publicJwk(keys.rsa.publicKey, 'r1');
const ec = publicJwk(keys.ec.publicKey, 'e1');
const ok = (value: VerifyKey | string): VerifyKey => {
  if (typeof value === 'string') throw new Error(value);
  return value;
};

describe('importJwk', () => {
  it.each([
    ['RSA', rsa],
    ['EC P-256', ec],
    ['EC P-384', publicJwk(keys.ec384.publicKey)],
    ['EC P-521', publicJwk(keys.ec521.publicKey)],
    ['OKP Ed25519', publicJwk(keys.ed25519.publicKey)],
    ['OKP Ed448', publicJwk(keys.ed448.publicKey)],
    ['a key without use', { ...ec, use: undefined }],
    ['a key with key_ops ["verify"]', { ...ec, use: undefined, key_ops: ['verify'] }],
    ['a key with x5c and other extra members (ignored)', { ...ec, x5c: ['not a certificate'], x5u: 'http://127.0.0.1:1/', ext: true }],
  ])('imports %s', (_, jwk) => {
    const imported = ok(importJwk(JSON.parse(JSON.stringify(jwk))));
    expect(imported.key.type).toBe('public');
    expect(Object.isFrozen(imported)).toBe(true);
  });

  it('keeps kid and alg', () => {
    expect(importJwk({ ...ec, alg: 'ES256' })).toMatchObject({ kid: 'e1', alg: 'ES256' });
  });

  it.each([
    ['null', null, 'JSON object'],
    ['an array', [ec], 'JSON object'],
    ['an oct key', { kty: 'oct', k: 'c2VjcmV0' }, 'secret option'],
    ['an unknown kty', { ...ec, kty: 'AKP' }, 'kty'],
    ['kty in lower case', { ...ec, kty: 'ec' }, 'kty'],
    ['a private RSA key', { ...keys.rsa.privateKey.export({ format: 'jwk' }), kid: 'x' }, 'private key'],
    ['a private EC key', keys.ec.privateKey.export({ format: 'jwk' }), 'private key'],
    ['a key for encryption', { ...ec, use: 'enc' }, 'use'],
    ['key_ops without verify', { ...ec, use: undefined, key_ops: ['encrypt'] }, 'key_ops'],
    ['a numeric kid', { ...ec, kid: 7 }, 'kid'],
    ['an empty kid', { ...ec, kid: '' }, 'kid'],
    ['a huge kid', { ...ec, kid: 'k'.repeat(257) }, 'kid'],
    ['a numeric alg', { ...ec, alg: 256 }, 'alg'],
    ['RSA without e', { ...rsa, e: undefined }, '"e"'],
    ['an EC point not on the curve', { ...ec, y: ec.x }, 'not a valid public key'],
    ['an unsupported curve', { ...ec, crv: 'secp256k1' }, 'crv'],
    ['X25519 (not a signing key)', { kty: 'OKP', crv: 'X25519', x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo' }, 'crv'],
    ['a 1024-bit RSA key', publicJwk(keys.rsaSmall.publicKey), 'shorter than 2048'],
  ])('refuses %s', (_, jwk, reason) => {
    const result = importJwk(JSON.parse(JSON.stringify(jwk)));
    expect(typeof result).toBe('string');
    expect(result).toContain(reason);
  });
});

describe('keyUsableFor and candidateKeys', () => {
  const r1 = ok(importJwk(rsa));
  const r1rs = ok(importJwk({ ...rsa, kid: 'r1-rs', alg: 'RS256' }));
  const e1 = ok(importJwk(ec));
  const anyKid = ok(importJwk({ ...publicJwk(keys.ec2.publicKey) }));

  it('uses a key only for its JWK alg, and only for algorithms of its type', () => {
    expect(keyUsableFor(r1rs, 'RS256')).toBe(true);
    expect(keyUsableFor(r1rs, 'PS256')).toBe(false);
    expect(keyUsableFor(r1, 'PS256')).toBe(true);
    expect(keyUsableFor(r1, 'ES256')).toBe(false);
    expect(keyUsableFor(r1, 'HS256')).toBe(false);
    expect(keyUsableFor(e1, 'ES256')).toBe(true);
  });

  it('selects by kid, falls back to keys without kid, and takes every fitting key for a token without kid', () => {
    const set = [r1, r1rs, e1, anyKid];
    expect(candidateKeys(set, 'r1', 'RS256')).toEqual([r1]);
    expect(candidateKeys(set, 'r1', 'ES256')).toEqual([anyKid]);
    expect(candidateKeys([r1, e1], 'r1', 'ES256')).toEqual([]);
    expect(candidateKeys(set, 'e1', 'ES256')).toEqual([e1]);
    expect(candidateKeys(set, 'unknown', 'ES256')).toEqual([anyKid]);
    expect(candidateKeys(set, 'unknown', 'RS256')).toEqual([]);
    expect(candidateKeys(set, undefined, 'RS256')).toEqual([r1, r1rs]);
    expect(candidateKeys(set, undefined, 'PS256')).toEqual([r1]);
  });
});
