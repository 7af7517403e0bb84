import { createHmac, createPublicKey, createSecretKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { isJwsAlgorithm, JWS_ALGORITHMS, keyFitsAlgorithm, verifySignature, type JwsAlgorithm } from '../../../src/schemes/jwt/algorithms';
import { makeKeys } from './tokens';

const keys = makeKeys();
const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
const secret = createSecretKey(Buffer.alloc(64, 1));

/** Signs with jose (an independent implementation) and splits the result for verifySignature. */
async function signed(alg: string, key: KeyObject): Promise<{ input: Buffer; signature: Buffer }> {
  const jws = await new CompactSign(Buffer.from('{"a":1}')).setProtectedHeader({ alg }).sign(key);
  const [h, p, s] = jws.split('.');
  return { input: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
}

const CASES: [JwsAlgorithm, KeyObject, KeyObject][] = [
  ['HS256', secret, secret],
  ['HS384', secret, secret],
  ['HS512', secret, secret],
  ['RS256', keys.rsa.privateKey, keys.rsa.publicKey],
  ['RS384', keys.rsa.privateKey, keys.rsa.publicKey],
  ['RS512', keys.rsa.privateKey, keys.rsa.publicKey],
  ['PS256', keys.rsa.privateKey, keys.rsa.publicKey],
  ['PS384', keys.rsa.privateKey, keys.rsa.publicKey],
  ['PS512', keys.rsa.privateKey, keys.rsa.publicKey],
  ['ES256', keys.ec.privateKey, keys.ec.publicKey],
  ['ES384', keys.ec384.privateKey, keys.ec384.publicKey],
  ['ES512', keys.ec521.privateKey, keys.ec521.publicKey],
  ['EdDSA', keys.ed25519.privateKey, keys.ed25519.publicKey],
  ['EdDSA', keys.ed448.privateKey, keys.ed448.publicKey],
];

describe('verifySignature', () => {
  it.each(CASES)('verifies %s signatures made by jose, and refuses any flipped bit', async (alg, signingKey, verifyKey) => {
    const { input, signature } = await signed(alg, signingKey);
    expect(verifySignature(alg, verifyKey, input, signature)).toBe(true);
    const flipped = Buffer.from(signature);
    flipped[flipped.length >> 1] ^= 0x01;
    expect(verifySignature(alg, verifyKey, input, flipped)).toBe(false);
    const otherInput = Buffer.from(input);
    otherInput[0] ^= 0x01;
    expect(verifySignature(alg, verifyKey, otherInput, signature)).toBe(false);
    expect(verifySignature(alg, verifyKey, input, Buffer.alloc(0))).toBe(false);
  });

  it('verifies the fully specified Ed25519 (RFC 9864), and not with an Ed448 key', () => {
    const input = Buffer.from('eyJhbGciOiJFZDI1NTE5In0.e30');
    expect(verifySignature('Ed25519', keys.ed25519.publicKey, input, sign(null, input, keys.ed25519.privateKey))).toBe(true);
    expect(verifySignature('Ed25519', keys.ed448.publicKey, input, sign(null, input, keys.ed448.privateKey))).toBe(false);
  });

  it('refuses an ES256 signature of all zeros (r = s = 0) and one of the wrong length', async () => {
    const { input, signature } = await signed('ES256', keys.ec.privateKey);
    expect(verifySignature('ES256', keys.ec.publicKey, input, Buffer.alloc(64))).toBe(false);
    expect(verifySignature('ES256', keys.ec.publicKey, input, Buffer.concat([signature, Buffer.alloc(1)]))).toBe(false);
    // A DER-encoded signature (what Node produces by default) is not a JWS signature.
    expect(verifySignature('ES256', keys.ec.publicKey, input, sign('sha256', input, keys.ec.privateKey))).toBe(false);
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret (the alg confusion attack)', () => {
    const pem = keys.rsa.publicKey.export({ format: 'pem', type: 'spki' });
    const input = Buffer.from('eyJhbGciOiJIUzI1NiJ9.e30');
    const forged = createHmac('sha256', pem).update(input).digest();
    expect(verifySignature('HS256', keys.rsa.publicKey, input, forged)).toBe(false);
    // ...while the same bytes as a real secret verify: the refusal is the key type, not luck.
    expect(verifySignature('HS256', createSecretKey(Buffer.from(pem)), input, forged)).toBe(true);
  });

  it('never verifies with a key of another family, size or curve', async () => {
    const { input, signature } = await signed('RS256', keys.rsa.privateKey);
    expect(verifySignature('RS256', keys.ec.publicKey, input, signature)).toBe(false);
    expect(verifySignature('RS256', secret, input, signature)).toBe(false);
    const es = await signed('ES256', keys.ec.privateKey);
    expect(verifySignature('ES384', keys.ec.publicKey, es.input, es.signature)).toBe(false);
    const small = await signed('RS256', keys.rsaSmall.privateKey).catch(() => undefined);
    if (small) expect(verifySignature('RS256', keys.rsaSmall.publicKey, small.input, small.signature)).toBe(false);
  });
});

describe('keyFitsAlgorithm', () => {
  it.each(([
    ['RS256', keys.rsa.publicKey, true, 'RSA 2048'],
    ['PS256', keys.rsa.publicKey, true, 'RSA 2048'],
    ['RS256', keys.rsaSmall.publicKey, false, 'RSA 1024'],
    ['RS256', keys.rsa.privateKey, false, 'an RSA private key'],
    ['RS256', pss.publicKey, false, 'an RSA-PSS-only key'],
    ['RS256', keys.ec.publicKey, false, 'P-256'],
    ['ES256', keys.ec.publicKey, true, 'P-256'],
    ['ES256', keys.ec384.publicKey, false, 'P-384'],
    ['ES384', keys.ec384.publicKey, true, 'P-384'],
    ['ES512', keys.ec521.publicKey, true, 'P-521'],
    ['EdDSA', keys.ed25519.publicKey, true, 'Ed25519'],
    ['EdDSA', keys.ed448.publicKey, true, 'Ed448'],
    ['Ed25519', keys.ed448.publicKey, false, 'Ed448'],
    ['EdDSA', keys.ec.publicKey, false, 'P-256'],
    ['HS256', createSecretKey(Buffer.alloc(32)), true, 'a 32-byte secret'],
    ['HS256', createSecretKey(Buffer.alloc(31)), false, 'a 31-byte secret'],
    ['HS384', createSecretKey(Buffer.alloc(32)), false, 'a 32-byte secret'],
    ['HS512', createSecretKey(Buffer.alloc(64)), true, 'a 64-byte secret'],
    ['HS256', keys.rsa.publicKey, false, 'an RSA public key'],
    ['HS256', createPublicKey(keys.ed25519.privateKey), false, 'an Ed25519 public key'],
  ] as [JwsAlgorithm, KeyObject, boolean, string][]).map(([alg, key, expected, label]) => [`${alg} with ${label}`, expected, alg, key] as const))('%s → %s', (_, expected, alg, key) => {
    expect(keyFitsAlgorithm(key, alg)).toBe(expected);
  });
});

describe('isJwsAlgorithm', () => {
  it('knows exactly the table, case-sensitively', () => {
    expect(JWS_ALGORITHMS).toEqual(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
    for (const alg of JWS_ALGORITHMS) expect(isJwsAlgorithm(alg)).toBe(true);
    for (const other of ['none', 'NONE', 'noNE', 'None', '', 'rs256', 'Rs256', 'ES256K', 'eddsa', 'constructor', '__proto__', 'toString', 'RS256 ', 1, null, undefined, ['RS256']]) {
      expect(isJwsAlgorithm(other)).toBe(false);
    }
  });
});
