import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { createLocalKeySource, resolveLocalKeys, resolveSecret } from '../../src/keys/local';
import { publicJwk } from '../schemes/jwt/tokens';

const WHERE = '@JwtAuth on Local';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('resolveLocalKeys', () => {
  it.each([
    ['a KeyObject', ec.publicKey, [undefined]],
    ['a JWK', publicJwk(ec.publicKey, 'e1'), ['e1']],
    ['a JWK Set', { keys: [publicJwk(ec.publicKey, 'e1'), publicJwk(rsa.publicKey, 'r1')] }, ['e1', 'r1']],
    ['an array of JWKs and KeyObjects', [publicJwk(ec.publicKey, 'e1'), rsa.publicKey], ['e1', undefined]],
  ])('takes %s', (_, value, kids) => {
    const keys = resolveLocalKeys(value, WHERE);
    expect(keys.map((key) => key.kid)).toEqual(kids);
    expect(Object.isFrozen(keys)).toBe(true);
  });

  it.each([
    ['null', null, 'keys cannot verify tokens: a JWK must be a JSON object'],
    ['a JWK Set whose keys is not an array', { keys: 'x' }, 'keys must be a JWK Set'],
    ['an empty JWK Set', { keys: [] }, 'keys is empty'],
    ['a private KeyObject', [ec.privateKey], 'keys[0] cannot verify tokens: a private key; give the public key (createPublicKey(privateKey))'],
    ['a secret KeyObject', createSecretKey(Buffer.alloc(32)), 'keys cannot verify tokens: a secret key; give HMAC secrets as the secret option'],
    ['an X25519 key', generateKeyPairSync('x25519').publicKey, 'keys cannot verify tokens: not an RSA, P-256/P-384/P-521 or Ed25519/Ed448 public key'],
    ['a secp256k1 key', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey, 'keys cannot verify tokens: not an RSA, P-256'],
  ])('refuses %s', (_, value, message) => {
    expect(() => resolveLocalKeys(value, WHERE)).toThrow(new RegExp(`^http-auth: @JwtAuth on Local: ${message.replace(/[()[\]]/g, '\\$&')}`));
  });
});

describe('resolveSecret', () => {
  it('takes a string, bytes or a secret KeyObject of at least 32 bytes', () => {
    expect(resolveSecret('x'.repeat(32), WHERE).key.symmetricKeySize).toBe(32);
    expect(resolveSecret('é'.repeat(16), WHERE).key.symmetricKeySize).toBe(32); // UTF-8 bytes, not characters
    expect(resolveSecret(new Uint8Array(48), WHERE).key.symmetricKeySize).toBe(48);
    expect(resolveSecret(createSecretKey(Buffer.alloc(64)), WHERE).key.symmetricKeySize).toBe(64);
  });

  it('refuses a short secret', () => {
    expect(() => resolveSecret('x'.repeat(31), WHERE)).toThrow("http-auth: @JwtAuth on Local: secret must be at least 32 bytes (e.g. crypto.randomBytes(32).toString('base64url'))");
    expect(() => resolveSecret('', WHERE)).toThrow(/at least 32 bytes/);
  });
});

describe('createLocalKeySource', () => {
  it('answers synchronously, whatever the issuer', () => {
    const keys = resolveLocalKeys({ keys: [publicJwk(ec.publicKey, 'e1'), publicJwk(rsa.publicKey, 'r1')] }, WHERE);
    const source = createLocalKeySource(keys);
    expect(source.keysFor('any', 'e1', 'ES256')).toEqual([keys[0]]);
    expect(source.keysFor('any', 'r1', 'ES256')).toEqual([]);
    expect(source.keysFor('other', undefined, 'PS256')).toEqual([keys[1]]);
  });
});
