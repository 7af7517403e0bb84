import request from 'supertest';
import { Get, JsonController } from 'routing-controllers';
import { createAuthCheckers, DigestAuth, GenerateNonce, GenerateOpaque, GetPassword, LoginRequired, VerifyNonce, VerifyOpaque } from '../../src';
import { DRIVERS, recordingLogger } from '../helpers';
import { digestAuthorization, digestChallenge } from '../digest-client';

@JsonController('/hooks')
class HooksController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
}

const GENERIC = { name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_MISCONFIGURED' };

/** A Digest class whose custom nonce and opaque hooks return the given values. */
function hookClass(values: { nonce?: unknown; opaque?: unknown; verdict?: () => unknown }) {
  @DigestAuth({ secret: 'hooks-test-secret' })
  class CustomHooks {
    @GetPassword() password(username: string) {
      return username === 'john' ? 'bye' : undefined;
    }
    @GenerateNonce() makeNonce() {
      return ('nonce' in values ? values.nonce : 'good-nonce') as string;
    }
    @VerifyNonce() checkNonce(nonce: string) {
      return values.verdict ? values.verdict() : nonce === 'good-nonce';
    }
    @GenerateOpaque() async makeOpaque() {
      return ('opaque' in values ? values.opaque : 'good-opaque') as string;
    }
    @VerifyOpaque() checkOpaque(opaque: string) {
      return opaque === 'good-opaque';
    }
  }
  return CustomHooks;
}

const BAD_VALUES: [string, unknown][] = [
  ['CR/LF (header injection)', 'n\r\nSet-Cookie: injected=1'],
  ['a bare LF', 'n\ninjected'],
  ['a NUL', 'n\u0000n'],
  ['a double quote', 'n"injected'],
  ['a backslash', 'n\\n'],
  ['a non-ASCII character', 'nonce-é'],
  ['a character Node cannot put in a header', 'nonce-€'],
  ['an empty string', ''],
  ['undefined (a hook that forgot to return)', undefined],
];

describe.each(DRIVERS)('custom Digest nonce and opaque values (%s)', (_driver, makeApp) => {
  const cases = BAD_VALUES.flatMap(([label, value]) => [
    ['@GenerateNonce', 'makeNonce', label, { nonce: value }],
    ['@GenerateOpaque', 'makeOpaque', label, { opaque: value }],
  ] as const);

  it.each(cases)('answers %s (%s) returning %s with the generic 500 and one log line', async (decorator, method, _label, values) => {
    const logger = recordingLogger();
    const app = makeApp([HooksController], createAuthCheckers([new (hookClass(values))()], { logger }));
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get('/hooks');
      expect(res.status).toBe(500);
      expect(res.body).toEqual(GENERIC);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.text).not.toMatch(/injected|at .*\.ts|makeNonce|makeOpaque/);
    }
    expect(logger.lines()).toHaveLength(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.lines()[0]).toContain(`CustomHooks.${method} (${decorator}) returned`);
    expect(logger.lines()[0]).not.toContain('injected');
  });

  it('sends values of printable ASCII as they are and admits a login with them (control)', async () => {
    const logger = recordingLogger();
    const value = "nonce with spaces, commas and !#$%&'()*+-./:;<=>?@[]^_`{|}~";
    const app = makeApp([HooksController], createAuthCheckers([new (hookClass({ nonce: value, verdict: () => true }))()], { logger }));
    const first = await request(app).get('/hooks');
    expect(first.status).toBe(401);
    const challenge = digestChallenge(first);
    expect(challenge.nonce).toBe(value);
    expect(challenge.opaque).toBe('good-opaque');
    const { header } = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/hooks' });
    expect((await request(app).get('/hooks').set('Authorization', header)).status).toBe(200);
    expect(logger.lines()).toEqual([]);
  });

  it.each([
    ['epoch seconds', () => Math.floor(Date.now() / 1000)],
    ['an invalid Date', () => new Date(Number.NaN)],
    ['NaN', () => Number.NaN],
  ])('answers a @VerifyNonce returning %s (not an expiry) with the generic 500 and one log line', async (_label, verdict) => {
    const logger = recordingLogger();
    const app = makeApp([HooksController], createAuthCheckers([new (hookClass({ verdict }))()], { logger }));
    const challenge = digestChallenge(await request(app).get('/hooks'));
    for (const nc of [1, 2]) {
      const { header } = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/hooks', nc });
      const res = await request(app).get('/hooks').set('Authorization', header);
      expect(res.status).toBe(500);
      expect(res.body).toEqual(GENERIC);
    }
    expect(logger.lines()).toEqual([expect.stringContaining('CustomHooks.checkNonce (@VerifyNonce) returned')]);
  });
});
