import bcryptjs from 'bcryptjs';
import crypto from 'node:crypto';
import { checkPasswordHash, generatePasswordHash, type PasswordHashOptions } from '../src/passwords';

// 256 MiB scrypt derivations take seconds on a loaded 2-core machine; no test here is about speed.
const SLOW_KDF_MS = 60_000;

// Expected digests were computed once with Python's hashlib, the way werkzeug does it:
//   hashlib.scrypt(pw.encode(), salt=salt.encode(), n=N, r=r, p=p, maxmem=132*N*r*p, dklen=64).hex()
//   hashlib.pbkdf2_hmac(digest, pw.encode(), salt.encode(), iterations).hex()
// The bcrypt hash came from bcryptjs.hashSync('secret', 4) and was confirmed with libxcrypt
// (Python's crypt.crypt), an independent implementation.
const SCRYPT_DEFAULT_HEX =
  '2098a7c25c0a0a626a77c6bb619c1cb62e3595cdd318877cfcae6f29f6bc3c0a96c382016c051a26f7f2071b3cb5f082a6fb7efcf6d61b466055c44fc47317b0';
const SCRYPT_DEFAULT = `scrypt:32768:8:1$abcdefghijklmnop$${SCRYPT_DEFAULT_HEX}`;
const PBKDF2_DEFAULT_HEX = '6284fd641e16cfc3f02d5596ac0a5b556ac389cc2b90e1b4ab37198c437d7af3';
const BCRYPT_2B = '$2b$04$HEFl8zObzeb00Zf6.8kfgubpNMb6TRpEJTlnQZO57u5ESTft3Ewei';
const NON_ASCII = 'pässwörd ✓ 🔑';

const vectors: Array<[title: string, hash: string, password: string]> = [
  ['werkzeug scrypt defaults (scrypt:32768:8:1)', SCRYPT_DEFAULT, 'secret'],
  ['bare scrypt, meaning the defaults', `scrypt$abcdefghijklmnop$${SCRYPT_DEFAULT_HEX}`, 'secret'],
  [
    'scrypt:16384:8:1',
    'scrypt:16384:8:1$Q7vT2mXk9LpA4sWe$98e83b7c99bfdaf7fcd210a0b2b14cafca35a03fc05316d0b8a5bb982a4817a84641d5a8719c7772819be5da152ba42f534258271f8e4c12b1eddf7841ca2b95',
    'correct horse battery staple',
  ],
  [
    'scrypt with p=2 and a URL-safe salt (newer werkzeug salts)',
    'scrypt:1024:8:2$tok-en_URL-safe_$313d991e8cc502418a2b2a195f268445d7f8f744f5729eddc4eeb41053c4c8d3256028ff4e3e0542425f2cfc64de8215e92eb71e852c81a90b23efcbf421cca6',
    'secret',
  ],
  [
    'scrypt:32768:1:1, the largest N that r=1 allows (RFC 7914: N < 2^(16·r))',
    'scrypt:32768:1:1$abcdefghijklmnop$2e0996b7153499f6e7cc1abe8e5ef09ceac84ae725310dab2c0f6aa843bc1e019590207809f3e84591d17e2cf92c2daa96a8297ebd5d842bfa7393f06c5e0259',
    'secret',
  ],
  [
    "scrypt:128:8:1, the smallest N with p=1 that werkzeug's maxmem (132·N·r·p) allows",
    'scrypt:128:8:1$abcdefghijklmnop$352e5667aa00c2f7faf75b9bbec1049f9f3236ce013b5c71e3ff7d0a82cdd7dbbd3ea0dd53277ad2f2e614c1f45f639208653ef5b2e9187693f3a55aa567e9f1',
    'secret',
  ],
  [
    'scrypt:4:1:2, tiny N with p=2',
    'scrypt:4:1:2$abcdefghijklmnop$319f82eab890a2a677271c7efe2bce97340b7ab8b95c076fd2a4cd50d3940fb18603bd52d585f8b05a892e795cdc036fc4a0cbd070214b8000bd04e79689531a',
    'secret',
  ],
  ['pbkdf2:sha256:600000', `pbkdf2:sha256:600000$abcdefghijklmnop$${PBKDF2_DEFAULT_HEX}`, 'secret'],
  ['pbkdf2:sha256 without a count, meaning 600000', `pbkdf2:sha256$abcdefghijklmnop$${PBKDF2_DEFAULT_HEX}`, 'secret'],
  ['bare pbkdf2, meaning sha256 and 600000', `pbkdf2$abcdefghijklmnop$${PBKDF2_DEFAULT_HEX}`, 'secret'],
  [
    'pbkdf2:sha512:1000',
    'pbkdf2:sha512:1000$R3nd0mS4ltV4lu3x$680458895ac1aa9f4bbbbfe761cfe1e6a22b7c2ec0307d9acf003136a0d98e3cfab6b4d870ca4d167aab0c4d02cf23799cf4b34d22209b867b3c11d6b5da8a1d',
    'hunter2',
  ],
  [
    'scrypt with a non-ASCII password (UTF-8)',
    'scrypt:1024:8:1$u7HqLz0PwXc2Nb5D$b20922356022a1b87e17b2e1139de67462b6a894a73a556d7e1e15b134b78918c735eb7dd6d0b658cc4c0822d14971ae8349eec00590dea4edf0ab7a015495c2',
    NON_ASCII,
  ],
  [
    'pbkdf2 with a non-ASCII password (UTF-8)',
    'pbkdf2:sha256:1000$u7HqLz0PwXc2Nb5D$52bea7fcb523e60fc6b7af1672220559988c6e81ec20ab293563d5b03753501a',
    NON_ASCII,
  ],
  [
    'scrypt with an empty password',
    'scrypt:1024:8:1$EmptyPwSalt00001$c37abe899e0105976ab2bb1f217f1c303f9a795ff2241914e832278d0a7a06ed6a79596c6149ae6e0f48d90e9bebf364f0c4df754c9e59b0da299ee04b316120',
    '',
  ],
  [
    'pbkdf2 with an empty password',
    'pbkdf2:sha256:1000$EmptyPwSalt00001$fbe9869bdb61dab73dcc2c02c2d0f8536e2f58cfe96d5f2057b3c606a1fd2e68',
    '',
  ],
  ['bcrypt $2b$', BCRYPT_2B, 'secret'],
  ['bcrypt $2a$', BCRYPT_2B.replace('$2b$', '$2a$'), 'secret'],
  ['bcrypt $2y$', BCRYPT_2B.replace('$2b$', '$2y$'), 'secret'],
];

describe('checkPasswordHash', () => {
  it.each(vectors)('accepts the right password for %s', async (_title, hash, password) => {
    await expect(checkPasswordHash(hash, password)).resolves.toBe(true);
  });

  it.each(vectors)('rejects a wrong password for %s', async (_title, hash, password) => {
    await expect(checkPasswordHash(hash, `${password}x`)).resolves.toBe(false);
  });

  it('compares only the first 72 bytes of a bcrypt password, as bcrypt defines', async () => {
    const first72 = 'x'.repeat(72);
    const hash = bcryptjs.hashSync(first72, 4);
    await expect(checkPasswordHash(hash, first72)).resolves.toBe(true);
    await expect(checkPasswordHash(hash, `${first72} and anything after`)).resolves.toBe(true);
    await expect(checkPasswordHash(hash, 'x'.repeat(71))).resolves.toBe(false);
  });

  it('does not normalize Unicode (NFD spelling of the password is a different password)', async () => {
    const [, hash] = vectors.find(([title]) => title === 'pbkdf2 with a non-ASCII password (UTF-8)')!;
    await expect(checkPasswordHash(hash, NON_ASCII.normalize('NFD'))).resolves.toBe(false);
  });

  const hex128 = SCRYPT_DEFAULT_HEX;
  const hex64 = PBKDF2_DEFAULT_HEX;
  const bcryptTail = BCRYPT_2B.slice(7);
  it.each<[string, string]>([
    ['an empty string', ''],
    ['a method without salt or digest', 'scrypt'],
    ['only two parts', `scrypt$${hex128}`],
    ['four parts', `scrypt:1024:8:1$salt$${hex128}$`],
    ['N = 0', 'scrypt:0:8:1$a$b'],
    ['N = 0 with a well-formed digest', `scrypt:0:8:1$abcdefghijklmnop$${hex128}`],
    ['N = 1', `scrypt:1:8:1$abcdefghijklmnop$${hex128}`],
    ['N not a power of two', `scrypt:1000:8:1$abcdefghijklmnop$${hex128}`],
    ['r = 0', `scrypt:1024:0:1$abcdefghijklmnop$${hex128}`],
    ['p = 0', `scrypt:1024:8:0$abcdefghijklmnop$${hex128}`],
    ['a non-decimal parameter', `scrypt:0x400:8:1$abcdefghijklmnop$${hex128}`],
    ['a negative parameter', `scrypt:1024:-8:1$abcdefghijklmnop$${hex128}`],
    ['two scrypt parameters', `scrypt:32768:8$abcdefghijklmnop$${hex128}`],
    ['hostile N = 2^30', `scrypt:1073741824:8:1$abcdefghijklmnop$${hex128}`],
    ['N = 2^16 with r = 1 (RFC 7914 wants N < 2^(16·r))', `scrypt:65536:1:1$abcdefghijklmnop$${hex128}`],
    ['N = 2^21 with r = 1 (OpenSSL: memory limit exceeded)', `scrypt:2097152:1:1$abcdefghijklmnop$${hex128}`],
    ['scrypt memory just over 256 MiB (p = 9)', `scrypt:32768:8:9$abcdefghijklmnop$${hex128}`],
    ['a non-hex digest', `scrypt:32768:8:1$abcdefghijklmnop$${'zz'.repeat(64)}`],
    ['an uppercase hex digest (werkzeug compares lowercase)', `scrypt:32768:8:1$abcdefghijklmnop$${hex128.toUpperCase()}`],
    ['a scrypt digest one byte short', `scrypt:32768:8:1$abcdefghijklmnop$${hex128.slice(0, -2)}`],
    ['a sha256 digest of sha512 length', `pbkdf2:sha256:600000$abcdefghijklmnop$${hex64}${hex64}`],
    ['an odd-length digest', `pbkdf2:sha256:600000$abcdefghijklmnop$${hex64}0`],
    ['unknown method md5', 'md5$x$y'],
    ['pre-3.0 werkzeug salted sha256 (no longer supported there either)', `sha256$abcdefghijklmnop$${hex64}`],
    ['plain text', 'plain$$secret'],
    ['an unsupported pbkdf2 digest', `pbkdf2:sha1:1000$abcdefghijklmnop$${hex64.slice(0, 40)}`],
    ['three pbkdf2 parameters', `pbkdf2:sha256:1000:1$abcdefghijklmnop$${hex64}`],
    ['huge pbkdf2 iterations', `pbkdf2:sha256:10000001$abcdefghijklmnop$${hex64}`],
    ['absurd pbkdf2 iterations', `pbkdf2:sha256:99999999999$abcdefghijklmnop$${hex64}`],
    ['zero pbkdf2 iterations', `pbkdf2:sha256:0$abcdefghijklmnop$${hex64}`],
    ['bcrypt cost 99', `$2b$99$${bcryptTail}`],
    ['bcrypt cost 16 (above the limit)', `$2b$16$${bcryptTail}`],
    ['bcrypt cost 03 (below the minimum)', `$2b$03$${bcryptTail}`],
    ['bcrypt with a one-digit cost', `$2b$4$${bcryptTail}`],
    ['bcrypt $2x$', `$2x$04$${bcryptTail}`],
    ['truncated bcrypt', BCRYPT_2B.slice(0, -1)],
    ['bcrypt with a trailing character', `${BCRYPT_2B}x`],
    ['bcrypt with a character outside its alphabet', `$2b$04$${bcryptTail.slice(0, -1)}!`],
    ['a bare bcrypt prefix', '$2b$'],
  ])('resolves false for %s', async (_title, hash) => {
    await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(false);
  });

  describe('with a hostile stored hash', () => {
    afterEach(() => jest.restoreAllMocks());

    // A wrong digest alone would also give false; what matters is that the work is never started.
    it.each<[string, string]>([
      ['scrypt N = 2^30', `scrypt:1073741824:8:1$abcdefghijklmnop$${hex128}`],
      ['scrypt over 256 MiB through p', `scrypt:32768:8:9$abcdefghijklmnop$${hex128}`],
      ['scrypt over 256 MiB through r', `scrypt:32768:65:1$abcdefghijklmnop$${hex128}`],
      ['scrypt N = 2^21, r = 1 (N must be below 2^(16·r))', `scrypt:2097152:1:1$abcdefghijklmnop$${hex128}`],
      ['scrypt N = 2^16, r = 1, just at 2^(16·r)', `scrypt:65536:1:1$abcdefghijklmnop$${hex128}`],
      ['scrypt N = 2, r = 2^20 (cost 256 MiB, but 640 MiB of memory)', `scrypt:2:1048576:1$abcdefghijklmnop$${hex128}`],
      ['pbkdf2 with 10000001 iterations', `pbkdf2:sha512:10000001$abcdefghijklmnop$${hex128}`],
      ['bcrypt cost 16', `$2b$16$${bcryptTail}`],
      ['bcrypt cost 31', `$2b$31$${bcryptTail}`],
    ])('refuses %s without deriving a key', async (_title, hash) => {
      const derivations = [jest.spyOn(crypto, 'scrypt'), jest.spyOn(crypto, 'pbkdf2'), jest.spyOn(bcryptjs, 'hash')];
      await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(false);
      for (const spy of derivations) expect(spy).not.toHaveBeenCalled();
    });

    it.each<[string, string, 'scrypt' | 'pbkdf2' | 'bcrypt']>([
      ['scrypt at exactly 256 MiB (32768:8:8)', `scrypt:32768:8:8$abcdefghijklmnop$${hex128}`, 'scrypt'],
      ['scrypt N = 2^15, r = 1, just below 2^(16·r)', `scrypt:32768:1:1$abcdefghijklmnop$${hex128}`, 'scrypt'],
      ['scrypt at the cost bound with r = 2 (N = 2^20, memory just over 256 MiB)', `scrypt:1048576:2:1$abcdefghijklmnop$${hex128}`, 'scrypt'],
      ['pbkdf2', `pbkdf2:sha256:1000$abcdefghijklmnop$${hex64}`, 'pbkdf2'],
      ['bcrypt cost 04', `$2b$04$${bcryptTail.slice(0, -1)}.`, 'bcrypt'],
    ])('still derives a key for %s', async (_title, hash, kdf) => {
      const derivations = {
        scrypt: jest.spyOn(crypto, 'scrypt'),
        pbkdf2: jest.spyOn(crypto, 'pbkdf2'),
        bcrypt: jest.spyOn(bcryptjs, 'hash'),
      };
      await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(false);
      expect(derivations[kdf]).toHaveBeenCalledTimes(1);
    }, SLOW_KDF_MS);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['an undefined hash', undefined, 'secret', /hash must be a string/],
    ['a null hash', null, 'secret', /hash must be a string/],
    ['a Buffer hash', Buffer.from(SCRYPT_DEFAULT), 'secret', /hash must be a string/],
    ['a numeric password', SCRYPT_DEFAULT, 1234, /password must be a string/],
    ['an undefined password', SCRYPT_DEFAULT, undefined, /password must be a string/],
  ])('rejects with a TypeError for %s', async (_title, hash, password, message) => {
    const result = checkPasswordHash(hash as string, password as string);
    await expect(result).rejects.toThrow(TypeError);
    await expect(result).rejects.toThrow(message);
  });

  it('does not block the event loop while hashing', async () => {
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks++;
    }, 5);
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => checkPasswordHash(SCRYPT_DEFAULT, 'secret')));
      expect(results).toEqual([true, true, true, true]);
    } finally {
      clearInterval(ticker);
    }
    // With a blocking derivation the interval could fire at most once, after the work is done.
    expect(ticks).toBeGreaterThan(2);
  });
});

describe('generatePasswordHash', () => {
  const fastScrypt: PasswordHashOptions = { scrypt: { N: 1024 } };
  const fastPbkdf2: PasswordHashOptions = { method: 'pbkdf2', pbkdf2: { iterations: 1000 } };

  it('writes werkzeug default scrypt hashes that it can check', async () => {
    const hash = await generatePasswordHash('secret');
    expect(hash).toMatch(/^scrypt:32768:8:1\$[A-Za-z0-9]{16}\$[0-9a-f]{128}$/);
    await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(true);
  });

  it.each<[string, PasswordHashOptions, RegExp]>([
    ['scrypt with small parameters', fastScrypt, /^scrypt:1024:8:1\$[A-Za-z0-9]{16}\$[0-9a-f]{128}$/],
    ['scrypt with r and p set', { scrypt: { N: 1024, r: 4, p: 2 } }, /^scrypt:1024:4:2\$[A-Za-z0-9]{16}\$[0-9a-f]{128}$/],
    ['pbkdf2 sha256', fastPbkdf2, /^pbkdf2:sha256:1000\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$/],
    [
      'pbkdf2 sha512',
      { method: 'pbkdf2', pbkdf2: { digest: 'sha512', iterations: 1000 } },
      /^pbkdf2:sha512:1000\$[A-Za-z0-9]{16}\$[0-9a-f]{128}$/,
    ],
    ['a longer salt', { ...fastScrypt, saltLength: 40 }, /^scrypt:1024:8:1\$[A-Za-z0-9]{40}\$[0-9a-f]{128}$/],
  ])('round-trips %s', async (_title, options, format) => {
    const hash = await generatePasswordHash('correct horse', options);
    expect(hash).toMatch(format);
    await expect(checkPasswordHash(hash, 'correct horse')).resolves.toBe(true);
    await expect(checkPasswordHash(hash, 'correct horsE')).resolves.toBe(false);
  });

  it.each<[string, PasswordHashOptions, RegExp]>([
    ['scrypt N = 2^15, r = 1 (the largest N r=1 allows)', { scrypt: { N: 2 ** 15, r: 1 } }, /^scrypt:32768:1:1\$/],
    ['scrypt N = 128, r = 8, p = 1 (the smallest N werkzeug can check with p=1)', { scrypt: { N: 128 } }, /^scrypt:128:8:1\$/],
    ['scrypt N = 4, r = 1, p = 2', { scrypt: { N: 4, r: 1, p: 2 } }, /^scrypt:4:1:2\$/],
    ['scrypt at the cost bound with r = 2 (N = 2^20)', { scrypt: { N: 2 ** 20, r: 2 } }, /^scrypt:1048576:2:1\$/],
  ])('accepts and round-trips %s', async (_title, options, format) => {
    const hash = await generatePasswordHash('secret', options);
    expect(hash).toMatch(format);
    await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(true);
  }, SLOW_KDF_MS);

  describe('bcrypt', () => {
    it('writes $2b$ hashes with cost 12 by default, which it can check', async () => {
      const hash = await generatePasswordHash('secret', { method: 'bcrypt' });
      expect(hash).toMatch(/^\$2b\$12\$[./A-Za-z0-9]{53}$/);
      await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(true);
    });

    it.each<[string, string]>([
      ['72 ASCII characters (72 bytes)', 'a'.repeat(72)],
      ['36 two-byte characters (72 bytes)', 'é'.repeat(36)],
      ['an empty password', ''],
      ['a non-ASCII password', NON_ASCII],
    ])('round-trips %s', async (_title, password) => {
      const hash = await generatePasswordHash(password, { method: 'bcrypt', bcrypt: { cost: 4 } });
      expect(hash).toMatch(/^\$2b\$04\$/);
      await expect(checkPasswordHash(hash, password)).resolves.toBe(true);
      await expect(checkPasswordHash(hash, password.slice(0, -1))).resolves.toBe(password === '');
    });

    it.each<[string, string, number]>([
      ['73 ASCII characters', 'a'.repeat(73), 73],
      ['72 characters, one of them two bytes long (73 bytes)', `${'a'.repeat(71)}é`, 73],
      ['37 two-byte characters (74 bytes)', 'é'.repeat(37), 74],
      ['19 four-byte characters (76 bytes)', '🔑'.repeat(19), 76],
    ])('refuses %s: bcrypt would ignore everything after byte 72', async (_title, password, bytes) => {
      const hashing = jest.spyOn(bcryptjs, 'hash');
      try {
        const result = generatePasswordHash(password, { method: 'bcrypt', bcrypt: { cost: 4 } });
        await expect(result).rejects.toThrow(TypeError);
        await expect(result).rejects.toThrow(new RegExp(`bcrypt uses only the first 72 bytes of a password and this one has ${bytes} \\(UTF-8\\); use method 'scrypt'`));
        expect(hashing).not.toHaveBeenCalled();
      } finally {
        hashing.mockRestore();
      }
    });

    it.each<[string, PasswordHashOptions, RegExp]>([
      ['cost 3', { method: 'bcrypt', bcrypt: { cost: 3 } }, /options\.bcrypt\.cost must be an integer from 4 to 15, got 3/],
      ['cost 16', { method: 'bcrypt', bcrypt: { cost: 16 } }, /options\.bcrypt\.cost .*got 16/],
      ['a fractional cost', { method: 'bcrypt', bcrypt: { cost: 4.5 } }, /options\.bcrypt\.cost/],
    ])('refuses %s', async (_title, options, message) => {
      const result = generatePasswordHash('secret', options);
      await expect(result).rejects.toThrow(TypeError);
      await expect(result).rejects.toThrow(message);
    });

    it('refuses a password with a NUL character (other implementations stop at it or refuse it)', async () => {
      await expect(generatePasswordHash('a\u0000b', { method: 'bcrypt', bcrypt: { cost: 4 } })).rejects.toThrow(/NUL character/);
    });
  });

  it('uses 600000 pbkdf2 iterations by default', async () => {
    const hash = await generatePasswordHash('secret', { method: 'pbkdf2' });
    expect(hash).toMatch(/^pbkdf2:sha256:600000\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$/);
    await expect(checkPasswordHash(hash, 'secret')).resolves.toBe(true);
  });

  it.each<[string, string]>([
    ['a non-ASCII password', NON_ASCII],
    ['an empty password', ''],
  ])('round-trips %s', async (_title, password) => {
    for (const options of [fastScrypt, fastPbkdf2]) {
      const hash = await generatePasswordHash(password, options);
      await expect(checkPasswordHash(hash, password)).resolves.toBe(true);
      await expect(checkPasswordHash(hash, `${password}x`)).resolves.toBe(false);
    }
  });

  it('salts every hash differently', async () => {
    const [first, second] = await Promise.all([
      generatePasswordHash('secret', fastScrypt),
      generatePasswordHash('secret', fastScrypt),
    ]);
    expect(first).not.toBe(second);
    expect(first.split('$')[1]).not.toBe(second.split('$')[1]);
  });

  it.each<[string, unknown]>([
    ['a number', 1234],
    ['undefined', undefined],
    ['a Buffer', Buffer.from('secret')],
  ])('rejects with a TypeError for %s as the password', async (_title, password) => {
    await expect(generatePasswordHash(password as string)).rejects.toThrow(/^http-auth: .*password must be a string/);
  });

  it.each<[string, unknown, RegExp]>([
    ['null options', null, /options must be an object/],
    ['an unknown method', { method: 'md5' }, /options\.method/],
    ['N not a power of two', { scrypt: { N: 1000 } }, /options\.scrypt N/],
    ['N = 1', { scrypt: { N: 1 } }, /options\.scrypt N/],
    ['r = 0', { scrypt: { N: 1024, r: 0 } }, /options\.scrypt r/],
    ['a fractional p', { scrypt: { N: 1024, p: 1.5 } }, /options\.scrypt p/],
    ['scrypt memory over 256 MiB', { scrypt: { N: 2 ** 20 } }, /options\.scrypt 128·N·r·p/],
    ['scrypt N = 2^21, r = 1 (OpenSSL: memory limit exceeded)', { scrypt: { N: 2 ** 21, r: 1 } }, /N must be less than 2\^\(16·r\) \(RFC 7914\), so r=1 allows N up to 32768/],
    ['scrypt N = 2^16, r = 1', { scrypt: { N: 2 ** 16, r: 1 } }, /N must be less than 2\^\(16·r\)/],
    ['scrypt N = 2, r = 2^20 (640 MiB of memory)', { scrypt: { N: 2, r: 2 ** 20 } }, /128·r·\(N \+ p \+ 2\) = 671088640 bytes of memory, more than the limit of 276824064/],
    ['scrypt N = 64, r = 8, p = 1 (werkzeug could not check it)', { scrypt: { N: 64 } }, /needs 128·r·\(N \+ p \+ 2\) bytes, more than the 132·N·r·p werkzeug allows/],
    ['scrypt N = 2, r = 1, p = 2 (werkzeug could not check it)', { scrypt: { N: 2, r: 1, p: 2 } }, /werkzeug could not check/],
    ['an unsupported digest', { method: 'pbkdf2', pbkdf2: { digest: 'sha1' } }, /options\.pbkdf2\.digest/],
    ['zero iterations', { method: 'pbkdf2', pbkdf2: { iterations: 0 } }, /options\.pbkdf2\.iterations/],
    ['too many iterations', { method: 'pbkdf2', pbkdf2: { iterations: 10_000_001 } }, /options\.pbkdf2\.iterations/],
    ['saltLength 0', { saltLength: 0 }, /options\.saltLength/],
    ['a fractional saltLength', { saltLength: 2.5 }, /options\.saltLength/],
  ])('rejects with a TypeError for %s', async (_title, options, message) => {
    const result = generatePasswordHash('secret', options as PasswordHashOptions);
    await expect(result).rejects.toThrow(TypeError);
    await expect(result).rejects.toThrow(message);
  });
});
