import {
  DIGEST_ALGORITHMS,
  buildAuthenticationInfo,
  buildDigestChallenge,
  computeDigestResponse,
  computeHa1,
  computeRspauth,
  digestHash,
  generateHa1,
  normalizeAlgorithm,
  sessionHa1,
  userhash,
  type DigestAlgorithm,
} from '../../src/schemes/digest';
import { parseDigestCredentials } from '../../src/schemes/digest-credentials';

// Expected values not printed in an RFC were computed independently with Python's hashlib.

// RFC 7616 §3.9.1. The password there is "Circle of Life" (lower-case "of"); "Circle Of Life" is
// RFC 2617's, and with it the published responses do not come out.
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth' as const,
  uri: '/dir/index.html',
  method: 'GET',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
};

function rfc7616Response(algorithm: DigestAlgorithm, overrides: Partial<typeof RFC7616> = {}): string {
  const v = { ...RFC7616, ...overrides };
  return computeDigestResponse({ ...v, algorithm, ha1: computeHa1(algorithm, v.username, v.realm, v.password) });
}

function header(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

const VALID_MD5 = {
  username: '"Mufasa"',
  realm: '"http-auth@example.org"',
  uri: '"/dir/index.html"',
  algorithm: 'MD5',
  nonce: `"${RFC7616.nonce}"`,
  nc: '00000001',
  cnonce: `"${RFC7616.cnonce}"`,
  qop: 'auth',
  response: '"8ca523f5e9506fed4657c9700eebdbec"',
  opaque: `"${RFC7616.opaque}"`,
};

const without = (name: string): Record<string, string> => {
  const copy: Record<string, string> = { ...VALID_MD5 };
  delete copy[name];
  return copy;
};

describe('digest hashing', () => {
  it.each([
    ['MD5', 'abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['SHA-256', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    // Real SHA-512/256, not SHA-512 cut to 64 digits (RFC 7616 erratum 4897).
    ['SHA-512-256', 'abc', '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23'],
    ['SHA-512-256-sess', 'abc', '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23'],
  ] as const)('hashes with %s', (algorithm, data, expected) => {
    expect(digestHash(algorithm, data)).toBe(expected);
    expect(digestHash(algorithm, Buffer.from(data))).toBe(expected);
  });

  it('hashes strings as UTF-8', () => {
    expect(digestHash('MD5', 'Jäsøn')).toBe(digestHash('MD5', Buffer.from('Jäsøn', 'utf8')));
  });

  it.each([
    ['md5', 'MD5'],
    ['MD5-SESS', 'MD5-sess'],
    ['sha-256', 'SHA-256'],
    ['sha-256-sess', 'SHA-256-sess'],
    ['Sha-512-256', 'SHA-512-256'],
    ['sha-512-256-SESS', 'SHA-512-256-sess'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(normalizeAlgorithm(input)).toBe(expected);
  });

  it.each(['SHA-512', 'SHA1', 'md5-', '', 'SHA256'])('rejects the algorithm %j', (input) => {
    expect(normalizeAlgorithm(input)).toBeUndefined();
  });

  it('lists every algorithm once', () => {
    expect(new Set(DIGEST_ALGORITHMS).size).toBe(6);
    expect(Object.isFrozen(DIGEST_ALGORITHMS)).toBe(true);
  });
});

describe('RFC 7616 §3.9.1 example', () => {
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ['SHA-512-256', '430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0'],
  ] as const)('computes the %s response', (algorithm, expected) => {
    expect(rfc7616Response(algorithm)).toBe(expected);
  });

  it.each([
    ['MD5', '9b712497bc9f91499fbcca1dfc5f09a5'],
    ['SHA-256', '86d3b25618d41854ca5039a5d7e53ff6355d5134a9b1fb088a78ac3c462195a0'],
    ['SHA-512-256', 'c8f9593a4f49b95ce2c483cc3222ecd360a5c6ec52ca24a530b0aac18478de8c'],
  ] as const)('computes the %s rspauth with an empty method', (algorithm, expected) => {
    const { method: _ignored, ...rest } = RFC7616;
    const ha1 = computeHa1(algorithm, rest.username, rest.realm, rest.password);
    expect(computeRspauth({ ...rest, algorithm, ha1 })).toBe(expected);
    expect(computeRspauth({ ...rest, algorithm, ha1 })).toBe(rfc7616Response(algorithm, { method: '' }));
  });

  it.each([
    ['MD5-sess', 'e783283f46242139c486a698fec7211d'],
    ['SHA-256-sess', '2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7'],
    ['SHA-512-256-sess', '3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e'],
  ] as const)('computes the %s response from the base HA1', (algorithm, expected) => {
    expect(rfc7616Response(algorithm)).toBe(expected);
  });

  it('parses the published MD5 header', () => {
    expect(parseDigestCredentials(header(VALID_MD5))).toEqual({
      ok: true,
      credentials: {
        username: 'Mufasa',
        usernameIsHash: false,
        realm: 'http-auth@example.org',
        nonce: RFC7616.nonce,
        uri: '/dir/index.html',
        response: '8ca523f5e9506fed4657c9700eebdbec',
        algorithm: 'MD5',
        algorithmGiven: true,
        qop: 'auth',
        nc: '00000001',
        cnonce: RFC7616.cnonce,
        opaque: RFC7616.opaque,
      },
    });
  });
});

describe('RFC 2617 §3.5 example', () => {
  const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
  const base = { algorithm: 'MD5' as const, ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html' };

  it('computes the qop=auth response', () => {
    expect(computeDigestResponse({ ...base, qop: 'auth', nc: '00000001', cnonce: '0a4f113b' })).toBe(
      '6629fae49393a05397450978507c4ef1',
    );
  });

  it('computes the RFC 2069 response H(HA1:nonce:HA2) without qop', () => {
    expect(computeDigestResponse(base)).toBe('670fd8c2df070c60b045671b8b24ff02');
    expect(computeDigestResponse(base)).toBe(digestHash('MD5', `${ha1}:${base.nonce}:${digestHash('MD5', 'GET:/dir/index.html')}`));
  });

  it('ignores nc and cnonce without qop', () => {
    expect(computeDigestResponse({ ...base, nc: '00000001', cnonce: 'x' })).toBe('670fd8c2df070c60b045671b8b24ff02');
  });
});

describe('RFC 7616 §3.9.2 example (SHA-512-256, userhash, non-ASCII name)', () => {
  const name = 'Jäsøn Doe';
  const realm = 'api@example.org';

  it('uses real SHA-512/256, not the truncated SHA-512 the RFC printed', () => {
    expect(userhash('SHA-512-256', name, realm)).toBe('793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b');
    expect(userhash('SHA-512-256', name, realm)).not.toBe('488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec');
    const response = computeDigestResponse({
      algorithm: 'SHA-512-256',
      ha1: computeHa1('SHA-512-256', name, realm, 'Secret, or not?'),
      nonce: '5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK',
      nc: '00000001',
      cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v',
      qop: 'auth',
      method: 'GET',
      uri: '/doe.json',
    });
    expect(response).toBe('3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
    expect(response).not.toBe('ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd');
  });

  it('decodes username* to the non-ASCII name', () => {
    const result = parseDigestCredentials(header({ ...without('username'), 'username*': "UTF-8''J%C3%A4s%C3%B8n%20Doe" }));
    expect(result).toMatchObject({ ok: true, credentials: { username: name, usernameIsHash: false } });
  });

  it('accepts a hashed username and lower-cases it', () => {
    const hash = userhash('MD5', 'Mufasa', RFC7616.realm);
    const result = parseDigestCredentials(header({ ...VALID_MD5, username: `"${hash.toUpperCase()}"`, userhash: 'TRUE' }));
    expect(result).toMatchObject({ ok: true, credentials: { username: hash, usernameIsHash: true } });
    expect(hash).toBe('4238f3a16167373febb9bc4d43db9cc4');
  });
});

describe('digest arithmetic', () => {
  it('derives the -sess HA1 as H(HA1:nonce:cnonce) and leaves other algorithms alone', () => {
    const ha1 = computeHa1('SHA-256', 'Mufasa', RFC7616.realm, RFC7616.password);
    expect(sessionHa1('SHA-256-sess', ha1, 'n', 'c')).toBe(digestHash('SHA-256', `${ha1}:n:c`));
    expect(sessionHa1('SHA-256', ha1, 'n', 'c')).toBe(ha1);
  });

  it('orders generateHa1 arguments as (username, password, realm, algorithm)', () => {
    expect(generateHa1('alice', 'secret', 'api@example.org', 'SHA-256')).toBe(
      digestHash('SHA-256', 'alice:api@example.org:secret'),
    );
    expect(generateHa1('Mufasa', 'Circle of Life', RFC7616.realm)).toBe('3d78807defe7de2157e2b0b6573a855f');
  });

  it.each([
    ['MD5', 'hello', '4ee093facfb9ed2b9078693e30f20179'],
    ['MD5', '', '388b205a9e1fe5d6ac881894e030e7c1'],
    ['SHA-256', 'hello', '2c2230689fd2f4b454b5172cc22094a795fc83afa6f148890ed4238279293fb1'],
    ['SHA-512-256', 'hello', 'afba9c6b877c6efaf80071dfbc6118f8ceb0df10896c477b3e938dd2220dbd00'],
  ] as const)('computes an auth-int %s response over the body %j', (algorithm, body, expected) => {
    const ha1 = computeHa1(algorithm, 'Mufasa', RFC7616.realm, 'Circle Of Life');
    const input = { ...RFC7616, algorithm, ha1, qop: 'auth-int' as const, method: 'POST', bodyHash: digestHash(algorithm, body) };
    expect(computeDigestResponse(input)).toBe(expected);
  });

  it('accepts upper-case hex for ha1 and bodyHash', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', RFC7616.realm, RFC7616.password);
    const bodyHash = digestHash('MD5', 'x');
    const input = { ...RFC7616, algorithm: 'MD5' as const, qop: 'auth-int' as const, ha1, bodyHash };
    expect(computeDigestResponse({ ...input, ha1: ha1.toUpperCase(), bodyHash: bodyHash.toUpperCase() })).toBe(
      computeDigestResponse(input),
    );
  });

  it.each([
    ['auth-int without bodyHash', { qop: 'auth-int' as const, nc: '00000001', cnonce: 'c' }],
    ['qop without nc', { qop: 'auth' as const, cnonce: 'c' }],
    ['qop without cnonce', { qop: 'auth' as const, nc: '00000001' }],
  ])('throws a TypeError for %s', (_name, extra) => {
    const input = { algorithm: 'MD5' as const, ha1: '0'.repeat(32), nonce: 'n', method: 'GET', uri: '/', ...extra };
    expect(() => computeDigestResponse(input)).toThrow(TypeError);
  });

  it('throws a TypeError for a -sess algorithm without cnonce', () => {
    expect(() => computeDigestResponse({ algorithm: 'MD5-sess', ha1: '0'.repeat(32), nonce: 'n', method: 'GET', uri: '/' })).toThrow(
      TypeError,
    );
  });
});

describe('parseDigestCredentials', () => {
  // Node decodes header bytes as ISO-8859-1, so raw UTF-8 from curl or a browser arrives as 'jÃ¶hn'.
  it.each([
    ['raw UTF-8 bytes (curl, browsers)', Buffer.from('jöhn', 'utf8').toString('latin1'), 'jöhn'],
    ['ISO-8859-1 bytes (Python requests)', 'jöhn', 'jöhn'],
    ['plain ASCII', 'john', 'john'],
  ])('reads a quoted username sent as %s', (_, sent, expected) => {
    const result = parseDigestCredentials(header({ ...VALID_MD5, username: `"${sent}"` }));
    expect(result).toMatchObject({ ok: true, credentials: { username: expected } });
  });

  it('defaults the algorithm to MD5 and says it was absent', () => {
    const result = parseDigestCredentials(header(without('algorithm')));
    expect(result).toMatchObject({ ok: true, credentials: { algorithm: 'MD5', algorithmGiven: false } });
  });

  it('accepts the RFC 2069 form and drops nc and cnonce without qop', () => {
    const result = parseDigestCredentials(header({ ...without('qop') }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.credentials).not.toHaveProperty('qop');
    expect(result.credentials).not.toHaveProperty('nc');
    expect(result.credentials).not.toHaveProperty('cnonce');
  });

  it('accepts quoted qop, nc and algorithm, any case, as some clients send them', () => {
    const result = parseDigestCredentials(header({ ...VALID_MD5, qop: '"AUTH-INT"', nc: '"0000000A"', algorithm: '"sha-256"', response: `"${'AB'.repeat(32)}"` }));
    expect(result).toMatchObject({
      ok: true,
      credentials: { qop: 'auth-int', nc: '0000000A', algorithm: 'SHA-256', response: 'ab'.repeat(32) },
    });
  });

  it('omits opaque when absent and ignores unknown parameters', () => {
    const result = parseDigestCredentials(header({ ...without('opaque'), foo: '"bar"' }));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.credentials).not.toHaveProperty('opaque');
  });

  it('accepts a -sess algorithm with qop and cnonce', () => {
    const result = parseDigestCredentials(header({ ...VALID_MD5, algorithm: 'MD5-sess' }));
    expect(result).toMatchObject({ ok: true, credentials: { algorithm: 'MD5-sess' } });
  });

  it.each([
    ['both username and username*', { ...VALID_MD5, 'username*': "UTF-8''Mufasa" }, 400, 'both username and username*'],
    ['no username', without('username'), 401, 'missing username'],
    ['no realm', without('realm'), 401, 'missing realm'],
    ['no nonce', without('nonce'), 401, 'missing nonce'],
    ['no uri', without('uri'), 401, 'missing uri'],
    ['no response', without('response'), 401, 'missing response'],
    ['a duplicated realm', { ...VALID_MD5, REALM: '"other"' }, 401, 'malformed parameters'],
    ['an unknown qop', { ...VALID_MD5, qop: 'auth-conf' }, 401, 'unsupported qop'],
    ['a qop list', { ...VALID_MD5, qop: '"auth, auth-int"' }, 401, 'unsupported qop'],
    ['qop without nc', without('nc'), 401, 'invalid nc'],
    ['qop without cnonce', without('cnonce'), 401, 'missing cnonce'],
    ['qop with an empty cnonce', { ...VALID_MD5, cnonce: '""' }, 401, 'missing cnonce'],
    ['a garbage nc', { ...VALID_MD5, nc: 'zzzzzzzz' }, 401, 'invalid nc'],
    ['an nc of 7 digits', { ...VALID_MD5, nc: '0000001' }, 401, 'invalid nc'],
    ['an nc of 9 digits', { ...VALID_MD5, nc: '000000001' }, 401, 'invalid nc'],
    ['an unknown algorithm', { ...VALID_MD5, algorithm: 'SHA-1' }, 401, 'unsupported algorithm'],
    [
      'a -sess algorithm without qop',
      { ...without('qop'), algorithm: 'SHA-256-sess', response: `"${'a'.repeat(64)}"` },
      401,
      'session algorithm without cnonce',
    ],
    ['an MD5 response of 64 digits', { ...VALID_MD5, response: `"${'a'.repeat(64)}"` }, 401, 'invalid response'],
    ['a SHA-256 response of 32 digits', { ...VALID_MD5, algorithm: 'SHA-256' }, 401, 'invalid response'],
    ['a non-hex response', { ...VALID_MD5, response: `"${'g'.repeat(32)}"` }, 401, 'invalid response'],
    ['a userhash that is not a boolean', { ...VALID_MD5, userhash: 'yes' }, 401, 'invalid userhash'],
    ['a hashed username that is not a hash', { ...VALID_MD5, userhash: 'true' }, 401, 'invalid hashed username'],
    ['username* with userhash', { ...without('username'), 'username*': "UTF-8''Mufasa", userhash: 'true' }, 401, 'username* with userhash'],
  ])('refuses %s', (_name, params, status, reason) => {
    expect(parseDigestCredentials(header(params))).toEqual({ ok: false, status, reason });
  });

  it.each([
    ['an unterminated quoted-string', 'username="Mufasa, realm="r"'],
    ['a token68 value', 'dXNlcjpwYXNz'],
    ['a missing "="', 'username "Mufasa"'],
    ['two params without a comma', 'username="Mufasa" realm="r"'],
    ['an empty header', ''],
    ['a control character', 'username="Mu\x01fasa", realm="r"'],
  ])('refuses %s with 401', (_name, input) => {
    expect(parseDigestCredentials(input)).toMatchObject({ ok: false, status: 401 });
  });

  it.each([
    ['charset is not UTF-8', "ISO-8859-1''J%E4s%F8n"],
    ['no charset', "''Mufasa"],
    ['one quote only', "UTF-8'Mufasa"],
    ['a truncated percent-escape', "UTF-8''Mufasa%2"],
    ['a non-hex percent-escape', "UTF-8''Mufasa%zz"],
    ['invalid UTF-8', "UTF-8''J%C3%28son"],
    ['an overlong UTF-8 encoding', "UTF-8''%C0%AF"],
    ['a lone surrogate', "UTF-8''%ED%A0%80"],
    ['a raw space', '"UTF-8\'\'Mu fasa"'],
    ['a decoded control character', "UTF-8''Mu%00fasa"],
    ['a malformed language tag', "UTF-8'-en-'Mufasa"],
  ])('refuses username* when %s', (_name, value) => {
    const result = parseDigestCredentials(header({ ...without('username'), 'username*': value }));
    expect(result).toEqual({ ok: false, status: 401, reason: 'invalid username*' });
  });

  it.each([
    ["utf-8''Mufasa", 'Mufasa'],
    ["UTF-8'en'%E2%82%AC%20rates", '€ rates'],
    ['"UTF-8\'de-CH\'J%c3%a4s%c3%b8n"', 'Jäsøn'],
  ])('decodes username* %s', (value, expected) => {
    const result = parseDigestCredentials(header({ ...without('username'), 'username*': value }));
    expect(result).toMatchObject({ ok: true, credentials: { username: expected } });
  });

  it('keeps secrets and names out of the reason', () => {
    const result = parseDigestCredentials(header({ ...VALID_MD5, nc: 'secret99', username: '"Mufasa"' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).not.toMatch(/secret|Mufasa/);
      expect(result.reason).toBe(result.reason.toLowerCase());
    }
  });
});

describe('buildDigestChallenge', () => {
  const base = { scheme: 'Digest', realm: 'api@example.org', algorithm: 'SHA-256' as const, nonce: 'abc', opaque: 'xyz' };

  it('formats every offered qop, the algorithm, nonce and opaque', () => {
    expect(buildDigestChallenge({ ...base, qop: ['auth', 'auth-int'] })).toBe(
      'Digest realm="api@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="abc", opaque="xyz"',
    );
  });

  it('omits qop when it is null and still names MD5', () => {
    expect(buildDigestChallenge({ ...base, qop: null, algorithm: 'MD5' })).toBe(
      'Digest realm="api@example.org", algorithm=MD5, nonce="abc", opaque="xyz"',
    );
  });

  it('appends stale, charset and userhash when set', () => {
    expect(buildDigestChallenge({ ...base, qop: ['auth'], stale: true, charset: true, userhash: true })).toBe(
      'Digest realm="api@example.org", qop="auth", algorithm=SHA-256, nonce="abc", opaque="xyz", stale=true, charset=UTF-8, userhash=true',
    );
  });

  it('leaves out flags that are false', () => {
    expect(buildDigestChallenge({ ...base, qop: ['auth'], stale: false, charset: false, userhash: false })).toBe(
      'Digest realm="api@example.org", qop="auth", algorithm=SHA-256, nonce="abc", opaque="xyz"',
    );
  });

  it('escapes quotes and backslashes in the realm', () => {
    expect(buildDigestChallenge({ ...base, realm: 'a "b" \\c', qop: null })).toBe(
      'Digest realm="a \\"b\\" \\\\c", algorithm=SHA-256, nonce="abc", opaque="xyz"',
    );
  });

  it.each([
    ['a scheme with a space', { scheme: 'Di gest' }],
    ['a realm with CRLF', { realm: 'a\r\nSet-Cookie: x' }],
  ])('throws a TypeError for %s', (_name, extra) => {
    expect(() => buildDigestChallenge({ ...base, qop: null, ...extra })).toThrow(TypeError);
  });

  it('produces a parameter list the shared parser accepts', () => {
    const challenge = buildDigestChallenge({ ...base, realm: 'a "quoted" realm', qop: ['auth'] });
    const result = parseDigestCredentials(challenge.slice('Digest '.length));
    expect(result).toMatchObject({ ok: false, reason: 'missing username' });
  });
});

describe('buildAuthenticationInfo', () => {
  it('formats rspauth, qop, cnonce and nc', () => {
    expect(buildAuthenticationInfo({ rspauth: 'abc', qop: 'auth', cnonce: 'c"n', nc: '00000001' })).toBe(
      'rspauth="abc", qop=auth, cnonce="c\\"n", nc=00000001',
    );
  });

  it('appends nextnonce', () => {
    expect(buildAuthenticationInfo({ rspauth: 'abc', qop: 'auth-int', cnonce: 'cn', nc: '0000000a', nextnonce: 'next' })).toBe(
      'rspauth="abc", qop=auth-int, cnonce="cn", nc=0000000a, nextnonce="next"',
    );
  });

  it('omits absent parts', () => {
    expect(buildAuthenticationInfo({ nextnonce: 'next' })).toBe('nextnonce="next"');
    expect(buildAuthenticationInfo({ rspauth: 'abc' })).toBe('rspauth="abc"');
    expect(buildAuthenticationInfo({})).toBe('');
  });
});
