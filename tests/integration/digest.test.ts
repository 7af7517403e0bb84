import request from 'supertest';
import { Authorized, Body, CurrentUser, Get, Head, JsonController, Post } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  GenerateNonce,
  GenerateOpaque,
  generateHa1,
  generateUserhash,
  GetPassword,
  GetUsernameByHash,
  GetUserRoles,
  LoginRequired,
  TokenAuth,
  VerifyNonce,
  VerifyOpaque,
  VerifyPassword,
  VerifyToken,
  type DigestAlgorithm,
  type DigestAuthOptions,
} from '../../src';
import { computeDigestResponse } from '../../src/schemes/digest';
import { basicHeader, challengeFields, DRIVERS, recordingLogger, tokenHeader, type AppBuilder } from '../helpers';
import {
  authenticationInfo,
  digestAuthorization,
  digestChallenge,
  digestChallenges,
  parseChallenge,
  type DigestAuthInput,
  type DigestChallenge,
} from '../digest-client';

const USERS: Record<string, string> = { john: 'bye', susan: 'hello', 'Jürgen': 'pässwörd' };
const ROLES: Record<string, string[]> = { john: ['admin'], susan: ['user'] };
const SECRET = 'digest-test-secret';

/** A fresh Digest auth class with the given options over USERS. */
function digestClass(options: DigestAuthOptions = {}) {
  @DigestAuth({ secret: SECRET, ...options })
  class DigestUsers {
    @GetPassword() password(username: string) {
      return USERS[username];
    }
    @GetUserRoles() roles(user: string) {
      return ROLES[user] ?? null;
    }
  }
  return DigestUsers;
}

@JsonController('/digest')
class DigestController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user: user ?? null };
  }
  @Head('/') @LoginRequired() head() {
    return { ok: true };
  }
  @Get('/optional') @LoginRequired({ optional: true }) optional(@CurrentUser() user?: unknown) {
    return { user: user ?? null };
  }
  @Post('/json') @LoginRequired() json(@Body() body: unknown, @CurrentUser() user?: unknown) {
    return { user, body };
  }
  @Post('/raw') @LoginRequired() raw(@CurrentUser() user?: unknown) {
    return { user };
  }
}

/** Served only with auth classes that tell roles: useExpress/useKoa refuse it otherwise. */
@JsonController('/digest')
class DigestAdminController {
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin(@CurrentUser() user?: unknown) {
    return { user };
  }
}

@JsonController('/guarded')
@LoginRequired()
class GuardedController {
  @Post('/') create(@Body() body: unknown) {
    return { body };
  }
}

/** Protected by routing-controllers' own @Authorized alone, and by inheritance from a base class. */
@JsonController('/authorized-int')
class AuthorizedIntController {
  @Post('/') @Authorized() create(@Body() body: unknown) {
    return { body };
  }
}
class IntBase {
  @Post('/') @LoginRequired() create(@Body() body: unknown) {
    return { body };
  }
}
@JsonController('/inherited-int')
class InheritedIntController extends IntBase {}

const quiet = () => ({ logger: recordingLogger() });

function appFor(makeApp: AppBuilder, auth: object) {
  const tellsRoles = typeof (auth as { roles?: unknown }).roles === 'function';
  return makeApp(tellsRoles ? [DigestController, DigestAdminController] : [DigestController], createAuthCheckers([auth], quiet()));
}

type App = ReturnType<AppBuilder>;

/** The challenges of an unauthenticated GET. */
async function challengesOf(app: App, path = '/digest'): Promise<DigestChallenge[]> {
  const res = await request(app).get(path);
  expect(res.status).toBe(401);
  return digestChallenges(res);
}

type Login = Omit<DigestAuthInput, 'challenge' | 'method' | 'uri' | 'username' | 'password'> &
  Partial<Pick<DigestAuthInput, 'method' | 'uri' | 'username' | 'password'>>;

/** Gets a challenge from `challengePath` and answers it with a GET to `path` (john/bye unless told otherwise). */
async function login(app: App, path = '/digest', options: Login = {}, challengePath = '/digest') {
  const challenge = digestChallenge(await request(app).get(challengePath));
  const auth = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: path, ...options });
  const res = await request(app).get(path).set('Authorization', auth.header);
  return { res, auth, challenge };
}

const CHALLENGE_RE = (realm: string, qop: string | null, algorithm: string, extra = '') =>
  new RegExp(
    `^Digest realm="${realm}", ${qop === null ? '' : `qop="${qop}", `}algorithm=${algorithm}, nonce="[A-Za-z0-9_-]+", opaque="[A-Za-z0-9_-]+"${extra}$`,
  );

const ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'];

describe.each(DRIVERS)('Digest auth (%s)', (_driver, makeApp) => {
  describe('challenge', () => {
    it('sends the default challenge in RFC 7616 form', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const res = await request(app).get('/digest');
      expect(res.status).toBe(401);
      expect(challengeFields(res)).toHaveLength(1);
      expect(challengeFields(res)[0]).toMatch(CHALLENGE_RE('Authentication Required', 'auth', 'MD5'));
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    });

    it('sends one field per algorithm, in the configured order, sharing nonce and opaque', async () => {
      const app = appFor(makeApp, new (digestClass({ algorithm: ['SHA-512-256', 'SHA-256', 'MD5'], qop: ['auth', 'auth-int'] }))());
      const res = await request(app).get('/digest');
      const fields = challengeFields(res);
      expect(fields).toHaveLength(3);
      expect(fields[0]).toMatch(CHALLENGE_RE('Authentication Required', 'auth, auth-int', 'SHA-512-256'));
      expect(fields[1]).toMatch(CHALLENGE_RE('Authentication Required', 'auth, auth-int', 'SHA-256'));
      expect(fields[2]).toMatch(CHALLENGE_RE('Authentication Required', 'auth, auth-int', 'MD5'));
      const parsed = fields.map(parseChallenge);
      expect(new Set(parsed.map((c) => c.nonce)).size).toBe(1);
      expect(new Set(parsed.map((c) => c.opaque)).size).toBe(1);
    });

    it('adds charset=UTF-8 and userhash=true when enabled', async () => {
      @DigestAuth({ secret: SECRET, charset: 'UTF-8', userhash: true, algorithm: 'SHA-256' })
      class Flags {
        @GetPassword() password(username: string) {
          return USERS[username];
        }
        @GetUsernameByHash() byHash() {
          return undefined;
        }
      }
      const res = await request(appFor(makeApp, new Flags())).get('/digest');
      expect(challengeFields(res)).toEqual([expect.stringMatching(CHALLENGE_RE('Authentication Required', 'auth', 'SHA-256', ', charset=UTF-8, userhash=true'))]);
    });

    it('omits qop in RFC 2069 mode', async () => {
      const res = await request(appFor(makeApp, new (digestClass({ qop: null }))())).get('/digest');
      expect(challengeFields(res)).toEqual([expect.stringMatching(CHALLENGE_RE('Authentication Required', null, 'MD5'))]);
    });

    it('escapes the realm and accepts a login computed with the unescaped realm (test_digest_custom_realm)', async () => {
      const realm = 'say "hi" \\ ok';
      const app = appFor(makeApp, new (digestClass({ realm }))());
      const res = await request(app).get('/digest');
      expect(challengeFields(res)[0]).toMatch(/^Digest realm="say \\"hi\\" \\\\ ok", qop="auth", algorithm=MD5, /);
      expect(digestChallenge(res).realm).toBe(realm);
      const { res: ok } = await login(app);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ user: 'john' });
    });

    it('sends a fresh nonce with every challenge', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [a] = await challengesOf(app);
      const [b] = await challengesOf(app);
      expect(a.nonce).not.toBe(b.nonce);
    });

    it('leaves OPTIONS on a path without an OPTIONS action to the framework: no challenge (test_digest_auth_ignore_options)', async () => {
      const res = await request(appFor(makeApp, new (digestClass())())).options('/digest');
      expect(res.status).not.toBe(401);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });
  });

  describe('login', () => {
    it.each(ALGORITHMS)('admits a correct %s response and proves itself in Authentication-Info', async (algorithm) => {
      const app = appFor(makeApp, new (digestClass({ algorithm }))());
      const { res, auth, challenge } = await login(app);
      expect(challenge.algorithm).toBe(algorithm);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
      const info = authenticationInfo(res);
      expect(info).toEqual({ rspauth: auth.expectedRspauth, qop: 'auth', cnonce: auth.cnonce, nc: '00000001' });
      // rspauth is the response with an empty method (RFC 7616 §3.5), recomputed here from scratch.
      const rspauth = computeDigestResponse({
        algorithm,
        ha1: auth.ha1,
        nonce: challenge.nonce,
        nc: '00000001',
        cnonce: auth.cnonce,
        qop: 'auth',
        method: '',
        uri: '/digest',
      });
      expect(info!.rspauth).toBe(rspauth);
      expect(info!.rspauth).not.toBe(auth.response);
    });

    it.each(ALGORITHMS)('lets a client pick %s from a list of offered algorithms', async (algorithm) => {
      const app = appFor(makeApp, new (digestClass({ algorithm: [...ALGORITHMS].reverse() }))());
      const { res } = await login(app, '/digest', { algorithm });
      expect(res.status).toBe(200);
    });

    it('accepts an omitted algorithm as MD5 (RFC 7616 §3.3)', async () => {
      const { res } = await login(appFor(makeApp, new (digestClass())()), '/digest', { sendAlgorithm: false });
      expect(res.status).toBe(200);
    });

    it('returns 401 with a fresh challenge for a wrong password', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const { res, challenge } = await login(app, '/digest', { password: 'wrong' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
      expect(challengeFields(res)[0]).toMatch(CHALLENGE_RE('Authentication Required', 'auth', 'MD5'));
      expect(digestChallenge(res).nonce).not.toBe(challenge.nonce);
      expect(digestChallenge(res).stale).toBe(false);
      expect(authenticationInfo(res)).toBeUndefined();
    });

    it('answers an unknown user exactly like a wrong password (test_digest_auth_login_invalid2)', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const wrong = (await login(app, '/digest', { password: 'wrong' })).res;
      const unknown = (await login(app, '/digest', { username: 'david', password: 'bye' })).res;
      const shape = (res: request.Response) => ({
        status: res.status,
        body: res.body,
        challenges: challengeFields(res).map((f) => f.replace(/nonce="[^"]*"/, 'nonce="…"')),
        info: authenticationInfo(res),
        contentType: res.headers['content-type'],
      });
      expect(shape(unknown)).toEqual(shape(wrong));
      expect(wrong.status).toBe(401);
    });

    it('returns 401 for a wrong realm (test_digest_auth_login_bad_realm)', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [challenge] = await challengesOf(app);
      const auth = digestAuthorization({
        challenge: { ...challenge, realm: 'Wrong Realm' },
        username: 'john',
        password: 'bye',
        method: 'GET',
        uri: '/digest',
      });
      const res = await request(app).get('/digest').set('Authorization', auth.header);
      expect(res.status).toBe(401);
      expect(challengeFields(res)[0]).toMatch(CHALLENGE_RE('Authentication Required', 'auth', 'MD5'));
    });

    it('returns 400 when uri does not match the request target (RFC 7616 §3.4.6)', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [challenge] = await challengesOf(app);
      const auth = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest/admin' });
      const res = await request(app).get('/digest').set('Authorization', auth.header);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_BAD_REQUEST' });
    });

    it('matches uri against path and query', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [challenge] = await challengesOf(app);
      const withQuery = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest?a=1&b=two', nc: 1 });
      expect((await request(app).get('/digest?a=1&b=two').set('Authorization', withQuery.header)).status).toBe(200);
      const pathOnly = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest', nc: 2 });
      expect((await request(app).get('/digest?a=1&b=two').set('Authorization', pathOnly.header)).status).toBe(400);
      const otherQuery = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest?a=1&b=three', nc: 3 });
      expect((await request(app).get('/digest?a=1&b=two').set('Authorization', otherQuery.header)).status).toBe(400);
    });

    it('accepts the absolute-form uri a client sends through a proxy (RFC 7616 §3.4.6)', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [challenge] = await challengesOf(app);
      const auth = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: 'http://example.org/digest?x=1' });
      expect((await request(app).get('/digest?x=1').set('Authorization', auth.header)).status).toBe(200);
    });

    it('returns 400 for username together with username* (RFC 7616 §3.4.4)', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const { res } = await login(app, '/digest', { usernameStar: true, fields: { username: 'john' } });
      expect(res.status).toBe(400);
    });

    it('returns 401 when the client uses an algorithm the server did not offer', async () => {
      const app = appFor(makeApp, new (digestClass({ algorithm: 'SHA-256' }))());
      const { res } = await login(app, '/digest', { algorithm: 'MD5' });
      expect(res.status).toBe(401);
      expect(digestChallenge(res).algorithm).toBe('SHA-256');
    });

    it('returns 401 for a qop the server did not offer', async () => {
      const app = appFor(makeApp, new (digestClass({ qop: 'auth' }))());
      const { res } = await login(app, '/digest', { qop: 'auth-int' });
      expect(res.status).toBe(401);
    });

    it('returns 401 for an opaque it did not send', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const { res } = await login(app, '/digest', { fields: { opaque: 'forged' } });
      expect(res.status).toBe(401);
      const { res: missing } = await login(app, '/digest', { fields: { opaque: null } });
      expect(missing.status).toBe(401);
    });

    it('returns 401 for a nonce it did not sign', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const other = appFor(makeApp, new (digestClass({ secret: 'another secret' }))());
      const [foreign] = await challengesOf(other);
      const [own] = await challengesOf(app);
      const auth = digestAuthorization({ challenge: { ...own, nonce: foreign.nonce }, username: 'john', password: 'bye', method: 'GET', uri: '/digest' });
      expect((await request(app).get('/digest').set('Authorization', auth.header)).status).toBe(401);
    });

    it('computes HEAD requests with the method HEAD', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [challenge] = await challengesOf(app);
      const asGet = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest', nc: 1 });
      const head = (header: string) => request(app).head('/digest').set('Authorization', header);
      expect((await head(asGet.header)).status).toBe(401);
      const asHead = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'HEAD', uri: '/digest', nc: 2 });
      const res = await head(asHead.header);
      expect(res.status).toBe(200);
      expect(authenticationInfo(res)).toMatchObject({ rspauth: asHead.expectedRspauth });
    });
  });

  it('warns once at start-up when no secret is configured', () => {
    @DigestAuth()
    class NoSecret {
      @GetPassword() password(username: string) {
        return USERS[username];
      }
    }
    const logger = recordingLogger();
    createAuthCheckers([new NoSecret()], { logger });
    expect(logger.lines()).toEqual([expect.stringMatching(/no Digest secret/)]);
  });

  it('computes HEAD on a GET-only route with the method HEAD', async () => {
    const app = appFor(makeApp, new (digestClass())());
    const [challenge] = await challengesOf(app);
    const as = (method: string, nc: number) =>
      request(app).head('/digest/admin').set('Authorization', digestAuthorization({ challenge, username: 'john', password: 'bye', method, uri: '/digest/admin', nc }).header);
    expect((await as('GET', 1)).status).toBe(401);
    expect((await as('HEAD', 2)).status).toBe(200);
  });

  describe('RFC 2069 mode (qop: null, test_digest_no_qop)', () => {
    it('admits a response computed without qop', async () => {
      const app = appFor(makeApp, new (digestClass({ qop: null }))());
      const { res } = await login(app, '/digest', { qop: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
    });

    it('returns 401 for a wrong password', async () => {
      const app = appFor(makeApp, new (digestClass({ qop: null }))());
      expect((await login(app, '/digest', { qop: null, password: 'wrong' })).res.status).toBe(401);
    });

    it('returns 401, not 500, when the client sends qop anyway', async () => {
      const app = appFor(makeApp, new (digestClass({ qop: null }))());
      const { res } = await login(app, '/digest', { qop: 'auth' });
      expect(res.status).toBe(401);
    });

    it('returns 401, not 500, for a -sess algorithm without cnonce', async () => {
      const app = appFor(makeApp, new (digestClass({ qop: null, algorithm: 'MD5-sess' }))());
      const { res } = await login(app, '/digest', { qop: null });
      expect(res.status).toBe(401);
    });
  });

  describe('malformed credentials', () => {
    const cases: readonly (readonly [string, Login])[] = [
      ['a -sess algorithm without cnonce', { algorithm: 'MD5-sess', fields: { cnonce: null } }],
      ['qop without nc', { fields: { nc: null } }],
      ['qop without cnonce', { fields: { cnonce: null } }],
      ['a duplicated realm', { append: ', realm="Authentication Required"' }],
      ['a duplicated response', { append: ', response="00000000000000000000000000000000"' }],
      ['a duplicated username in another case', { append: ', USERNAME="john"' }],
      ['an unterminated quoted string', { append: ', cnonce="abc' }],
      ['a stray quote', { fields: { qop: 'auth"' } }],
      ['an unknown qop', { qop: 'auth-conf' }],
      ['a quoted garbage nc', { fields: { nc: '"zzzzzzzz"' } }],
      ['a garbage nc', { nc: 'zzzzzzzz' }],
      ['a short nc', { nc: '1' }],
      ['a long nc', { nc: '000000001' }],
      ['a negative nc', { nc: '-0000001' }],
      ['a missing nonce', { fields: { nonce: null } }],
      ['a missing uri', { fields: { uri: null } }],
      ['a missing realm', { fields: { realm: null } }],
      ['a missing response', { fields: { response: null } }],
      ['a missing username', { fields: { username: null } }],
      ['a non-hex response', { fields: { response: 'z'.repeat(32) } }],
      ['a response of the wrong length', { fields: { response: 'a'.repeat(64) } }],
      ['an unsupported algorithm', { fields: { algorithm: 'SHA-1' } }],
      ['an empty algorithm', { fields: { algorithm: '""' } }],
      ['a bad userhash flag', { fields: { userhash: 'maybe' } }],
      ['a bad username* encoding', { fields: { username: null, 'username*': "ISO-8859-1''J%FCrgen" } }],
      ['username* with invalid UTF-8', { fields: { username: null, 'username*': "UTF-8''%FF%FE" } }],
      ['a parameter without a value', { append: ', foo=' }],
      ['a parameter without =', { append: ', foo' }],
      ['a long nonce', { fields: { nonce: 'n'.repeat(8_000) } }],
    ];

    it.each(cases)('returns 401, never 500, for %s', async (_title, options) => {
      const app = appFor(makeApp, new (digestClass({ algorithm: ['MD5', 'MD5-sess'] }))());
      const { res } = await login(app, '/digest', options);
      expect(res.status).toBe(401);
      expect(digestChallenge(res).realm).toBe('Authentication Required');
    });

    it.each([
      ['Digest'],
      ['Digest '],
      ['Digest ,,,'],
      ['Digest username'],
      ['Digest ==='],
      ['Digest username="john", realm="Authentication Required", nonce=, uri="/digest"'],
    ])('returns 401, never 500, for the header %j', async (header) => {
      const app = appFor(makeApp, new (digestClass())());
      const res = await request(app).get('/digest').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(digestChallenges(res)).toHaveLength(1);
    });
  });

  describe('HA1 storage (test_digest_ha1_password)', () => {
    it.each(['MD5', 'SHA-256', 'SHA-256-sess', 'SHA-512-256'] as const)(
      'admits %s logins against a stored HA1 and passes the algorithm to @GetPassword',
      async (algorithm) => {
        const realm = 'api@example.org';
        @DigestAuth({ secret: SECRET, realm, algorithm: ['SHA-512-256', 'SHA-256-sess', 'SHA-256', 'MD5'], useHa1Password: true })
        class Ha1Users {
          @GetPassword() password(username: string, algorithm: DigestAlgorithm) {
            const password = USERS[username];
            return password === undefined ? undefined : generateHa1(username, password, realm, algorithm);
          }
        }
        const auth = new Ha1Users();
        const spy = jest.spyOn(auth, 'password');
        const app = appFor(makeApp, auth);
        const { res } = await login(app, '/digest', { algorithm });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ user: 'john' });
        expect(spy).toHaveBeenCalledWith('john', algorithm);
        expect((await login(app, '/digest', { algorithm, password: 'wrong' })).res.status).toBe(401);
      },
    );
  });

  describe('UTF-8 user names', () => {
    it('admits a non-ASCII user sent as username* (RFC 8187)', async () => {
      const app = appFor(makeApp, new (digestClass({ charset: 'UTF-8', algorithm: 'SHA-256' }))());
      const { res } = await login(app, '/digest', { username: 'Jürgen', password: 'pässwörd', usernameStar: true });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'Jürgen' });
    });

    it('returns 401 for a non-ASCII user with a wrong password', async () => {
      const app = appFor(makeApp, new (digestClass({ charset: 'UTF-8' }))());
      const { res } = await login(app, '/digest', { username: 'Jürgen', password: 'passwörd', usernameStar: true });
      expect(res.status).toBe(401);
    });
  });

  describe('userhash (RFC 7616 §3.4.4)', () => {
    const realm = 'hash@example.org';
    function hashClass() {
      @DigestAuth({ secret: SECRET, realm, algorithm: ['SHA-256', 'MD5'], userhash: true })
      class HashUsers {
        @GetPassword() password(username: string) {
          return USERS[username];
        }
        @GetUsernameByHash() byHash(hash: string, algorithm: DigestAlgorithm) {
          return Object.keys(USERS).find((name) => generateUserhash(name, realm, algorithm) === hash);
        }
      }
      return HashUsers;
    }

    it.each(['SHA-256', 'MD5'] as const)('admits a hashed %s username and looks the user up by hash', async (algorithm) => {
      const HashUsers = hashClass();
      const auth = new HashUsers();
      const spy = jest.spyOn(auth, 'byHash');
      const app = appFor(makeApp, auth);
      const { res } = await login(app, '/digest', { userhash: true, algorithm, username: 'Jürgen', password: 'pässwörd' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'Jürgen' });
      expect(spy).toHaveBeenCalledWith(generateUserhash('Jürgen', realm, algorithm), algorithm);
    });

    it('returns 401 for an unknown hash and for a wrong password', async () => {
      const app = appFor(makeApp, new (hashClass())());
      expect((await login(app, '/digest', { userhash: true, username: 'nobody', password: 'bye' })).res.status).toBe(401);
      expect((await login(app, '/digest', { userhash: true, username: 'john', password: 'wrong' })).res.status).toBe(401);
    });

    it('still admits a plain username', async () => {
      const { res } = await login(appFor(makeApp, new (hashClass())()));
      expect(res.status).toBe(200);
    });

    it('returns 401 for userhash=true when the server does not offer it', async () => {
      const { res } = await login(appFor(makeApp, new (digestClass())()), '/digest', { userhash: true });
      expect(res.status).toBe(401);
    });
  });

  describe('auth-int', () => {
    const intClass = () => digestClass({ qop: ['auth', 'auth-int'], algorithm: ['SHA-256', 'MD5'] });
    const JSON_BODY = JSON.stringify({ item: 'café', count: 3 });

    async function post(app: App, path: string, hashed: string, sent: string, contentType: string, algorithm: DigestAlgorithm = 'SHA-256') {
      const [challenge] = await challengesOf(app);
      const auth = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'POST', uri: path, qop: 'auth-int', body: hashed, algorithm });
      return request(app).post(path).set('Authorization', auth.header).set('Content-Type', contentType).send(sent);
    }

    it.each(['SHA-256', 'MD5'] as const)('admits a JSON @Body POST whose %s body hash is right', async (algorithm) => {
      const app = appFor(makeApp, new (intClass())());
      const res = await post(app, '/digest/json', JSON_BODY, JSON_BODY, 'application/json', algorithm);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john', body: { item: 'café', count: 3 } });
      expect(authenticationInfo(res)).toMatchObject({ qop: 'auth-int', nc: '00000001' });
    });

    it('returns 401 for a JSON @Body POST whose body was tampered with', async () => {
      const app = appFor(makeApp, new (intClass())());
      const res = await post(app, '/digest/json', JSON_BODY, JSON.stringify({ item: 'café', count: 4 }), 'application/json');
      expect(res.status).toBe(401);
    });

    it('admits a text POST to an action without a @Body parameter', async () => {
      const app = appFor(makeApp, new (intClass())());
      const res = await post(app, '/digest/raw', 'plain text body', 'plain text body', 'text/plain');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
    });

    it('returns 401 for a tampered text POST to an action without a @Body parameter', async () => {
      const app = appFor(makeApp, new (intClass())());
      const res = await post(app, '/digest/raw', 'plain text body', 'plain text bodY', 'text/plain');
      expect(res.status).toBe(401);
    });

    it('admits a JSON @Body POST to a controller protected at class level', async () => {
      const app = makeApp([DigestController, GuardedController], createAuthCheckers([new (intClass())()], quiet()));
      expect((await post(app, '/guarded', JSON_BODY, JSON_BODY, 'application/json')).body).toEqual({ body: { item: 'café', count: 3 } });
      expect((await post(app, '/guarded', JSON_BODY, '{"item":"tea"}', 'application/json')).status).toBe(401);
    });

    it('admits a JSON @Body POST to an action protected by plain @Authorized (control: a tampered body is refused)', async () => {
      const app = makeApp([DigestController, AuthorizedIntController], createAuthCheckers([new (intClass())()], quiet()));
      expect((await post(app, '/authorized-int', JSON_BODY, JSON_BODY, 'application/json')).body).toEqual({ body: { item: 'café', count: 3 } });
      expect((await post(app, '/authorized-int', JSON_BODY, '{"item":"tea"}', 'application/json')).status).toBe(401);
    });

    it('refuses a tampered body to an inherited action, whose @Body routing-controllers does not pass', async () => {
      const app = makeApp([DigestController, InheritedIntController], createAuthCheckers([new (intClass())()], quiet()));
      expect((await post(app, '/inherited-int', JSON_BODY, JSON_BODY, 'application/json')).status).toBe(200);
      expect((await post(app, '/inherited-int', JSON_BODY, '{"item":"tea"}', 'application/json')).status).toBe(401);
    });

    it('admits an empty-body GET with auth-int', async () => {
      const app = appFor(makeApp, new (intClass())());
      const { res } = await login(app, '/digest', { qop: 'auth-int', body: '' });
      expect(res.status).toBe(200);
    });
  });

  describe('custom nonce and opaque hooks (test_digest_custom_nonce_checker)', () => {
    it('uses @GenerateNonce, @VerifyNonce, @GenerateOpaque and @VerifyOpaque', async () => {
      @DigestAuth()
      class CustomNonce {
        verifiedNonces: string[] = [];
        verifiedOpaques: string[] = [];
        @GetPassword() password(username: string) {
          return USERS[username];
        }
        @GenerateNonce() nonce() {
          return 'not a good nonce';
        }
        @VerifyNonce() checkNonce(nonce: string) {
          this.verifiedNonces.push(nonce);
          return nonce === 'not a good nonce';
        }
        @GenerateOpaque() async opaque() {
          return 'some opaque';
        }
        @VerifyOpaque() async checkOpaque(opaque: string) {
          this.verifiedOpaques.push(opaque);
          return opaque === 'some opaque';
        }
      }
      const auth = new CustomNonce();
      const app = appFor(makeApp, auth);
      const { res, challenge } = await login(app);
      expect(challenge.nonce).toBe('not a good nonce');
      expect(challenge.opaque).toBe('some opaque');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
      expect(auth.verifiedNonces).toEqual(['not a good nonce']);
      expect(auth.verifiedOpaques).toEqual(['some opaque']);

      const [fresh] = await challengesOf(app);
      const badNonce = digestAuthorization({ challenge: { ...fresh, nonce: 'another nonce' }, username: 'john', password: 'bye', method: 'GET', uri: '/digest' });
      expect((await request(app).get('/digest').set('Authorization', badNonce.header)).status).toBe(401);
      const badOpaque = digestAuthorization({ challenge: { ...fresh, opaque: 'other opaque' }, username: 'john', password: 'bye', method: 'GET', uri: '/digest', nc: 5 });
      expect((await request(app).get('/digest').set('Authorization', badOpaque.header)).status).toBe(401);
    });

    it.each([
      ['@GenerateNonce without @VerifyNonce', /@GenerateNonce without @VerifyNonce/],
      ['@VerifyOpaque without @GenerateOpaque', /@VerifyOpaque without @GenerateOpaque/],
    ] as const)('throws a TypeError at createAuthCheckers for %s', (title, message) => {
      @DigestAuth({ secret: SECRET })
      class HalfNonce {
        @GetPassword() password(username: string) {
          return USERS[username];
        }
        @GenerateNonce() nonce() {
          return 'n';
        }
      }
      @DigestAuth({ secret: SECRET })
      class HalfOpaque {
        @GetPassword() password(username: string) {
          return USERS[username];
        }
        @VerifyOpaque() opaque() {
          return true;
        }
      }
      const auth = title.startsWith('@GenerateNonce') ? new HalfNonce() : new HalfOpaque();
      expect(() => createAuthCheckers([auth], quiet())).toThrow(TypeError);
      expect(() => createAuthCheckers([auth], quiet())).toThrow(message);
    });
  });

  describe('nonce lifetime', () => {
    it('returns 401 with stale=true for a correct response on an expired nonce', async () => {
      const app = appFor(makeApp, new (digestClass({ nonceLifetime: 1 }))());
      const [challenge] = await challengesOf(app);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const auth = digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest' });
      const res = await request(app).get('/digest').set('Authorization', auth.header);
      expect(res.status).toBe(401);
      expect(challengeFields(res)[0]).toMatch(CHALLENGE_RE('Authentication Required', 'auth', 'MD5', ', stale=true'));
      expect(digestChallenge(res).nonce).not.toBe(challenge.nonce);

      const wrong = digestAuthorization({ challenge, username: 'john', password: 'wrong', method: 'GET', uri: '/digest', nc: 2 });
      const res2 = await request(app).get('/digest').set('Authorization', wrong.header);
      expect(res2.status).toBe(401);
      expect(digestChallenge(res2).stale).toBe(false);
      expect(challengeFields(res2)[0]).not.toMatch(/stale/);
    });

    describe('with a frozen clock', () => {
      // Only Date is faked: the HTTP stack keeps its real timers.
      beforeEach(() => {
        jest.useFakeTimers({
          now: Date.now(),
          doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
        });
      });
      afterEach(() => jest.useRealTimers());

      it('sends nextnonce in Authentication-Info once the nonce is close to expiry, and not before', async () => {
        const app = appFor(makeApp, new (digestClass({ nonceLifetime: 100 }))());
        const [challenge] = await challengesOf(app);
        const at = (nc: number) => digestAuthorization({ challenge, username: 'john', password: 'bye', method: 'GET', uri: '/digest', nc }).header;

        const early = await request(app).get('/digest').set('Authorization', at(1));
        expect(early.status).toBe(200);
        expect(authenticationInfo(early)!.nextnonce).toBeUndefined();

        jest.setSystemTime(Date.now() + 90_000);
        const late = await request(app).get('/digest').set('Authorization', at(2));
        expect(late.status).toBe(200);
        const nextnonce = authenticationInfo(late)!.nextnonce;
        expect(nextnonce).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(nextnonce).not.toBe(challenge.nonce);

        // The next nonce works after the old one has expired.
        jest.setSystemTime(Date.now() + 20_000);
        const next = digestAuthorization({ challenge: { ...challenge, nonce: nextnonce! }, username: 'john', password: 'bye', method: 'GET', uri: '/digest' });
        expect((await request(app).get('/digest').set('Authorization', next.header)).status).toBe(200);
        expect(digestChallenge(await request(app).get('/digest').set('Authorization', at(3))).stale).toBe(true);
      });
    });
  });

  describe('roles and optional login', () => {
    it('passes the username to @GetUserRoles', async () => {
      const Users = digestClass();
      const auth = new Users();
      const spy = jest.spyOn(auth, 'roles');
      const app = appFor(makeApp, auth);
      const { res } = await login(app, '/digest/admin');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'john' });
      expect(spy).toHaveBeenCalledWith('john', expect.objectContaining({ scheme: 'Digest', username: 'john' }));
    });

    it('returns 403 to a user without the role', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const { res } = await login(app, '/digest/admin', { username: 'susan', password: 'hello' });
      expect(res.status).toBe(403);
    });

    it('admits no credentials and right ones on an optional route', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const anonymous = await request(app).get('/digest/optional');
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ user: null });
      expect((await login(app, '/digest/optional')).res.body).toEqual({ user: 'john' });
    });

    it('returns 401 for wrong credentials on an optional route', async () => {
      const app = appFor(makeApp, new (digestClass())());
      const [challenge] = await challengesOf(app);
      const auth = digestAuthorization({ challenge, username: 'john', password: 'wrong', method: 'GET', uri: '/digest/optional' });
      expect((await request(app).get('/digest/optional').set('Authorization', auth.header)).status).toBe(401);
    });
  });

  describe('MultiAuth', () => {
    @BasicAuth({ realm: 'Basic Realm' })
    class BasicA {
      @VerifyPassword() verify(username: string, password: string) {
        return username === 'susan' && password === 'hello' ? 'susan' : null;
      }
    }
    @DigestAuth({ realm: 'Digest Realm', secret: SECRET })
    class DigestB {
      @GetPassword() password(username: string) {
        return USERS[username];
      }
    }
    @TokenAuth({ realm: 'Token Realm' })
    class BearerC {
      @VerifyToken() verify(token: string) {
        return token === 'the-token' ? 'token-user' : null;
      }
    }
    @JsonController('/multi')
    class MultiController {
      @Get('/') @LoginRequired({ auth: [BasicA, DigestB, BearerC] }) index(@CurrentUser() user?: unknown) {
        return { user };
      }
    }
    const multiApp = () => makeApp([MultiController], createAuthCheckers([new BasicA(), new DigestB(), new BearerC()], quiet()));

    it('answers 401 with the three challenges, the first member first', async () => {
      const res = await request(multiApp()).get('/multi');
      expect(res.status).toBe(401);
      const fields = challengeFields(res);
      expect(fields).toHaveLength(3);
      expect(fields[0]).toBe('Basic realm="Basic Realm"');
      expect(fields[1]).toMatch(CHALLENGE_RE('Digest Realm', 'auth', 'MD5'));
      expect(fields[2]).toBe('Bearer realm="Token Realm"');
    });

    it('puts the Digest challenge first when Digest credentials were tried and failed', async () => {
      const app = multiApp();
      const { res } = await login(app, '/multi', { password: 'wrong' }, '/multi');
      expect(res.status).toBe(401);
      const fields = challengeFields(res);
      expect(fields).toHaveLength(3);
      expect(fields[0]).toMatch(CHALLENGE_RE('Digest Realm', 'auth', 'MD5'));
      expect(fields.slice(1)).toEqual(['Basic realm="Basic Realm"', 'Bearer realm="Token Realm"']);
    });

    it('admits each member', async () => {
      const app = multiApp();
      expect((await login(app, '/multi', {}, '/multi')).res.body).toEqual({ user: 'john' });
      expect((await request(app).get('/multi').set('Authorization', basicHeader('susan', 'hello'))).body).toEqual({ user: 'susan' });
      expect((await request(app).get('/multi').set('Authorization', tokenHeader('the-token'))).body).toEqual({ user: 'token-user' });
    });
  });
});

describe('the test Digest client', () => {
  // RFC 7616 §3.9.1, so the scenarios above are not checked only against the library's own math.
  const challenge = {
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    qop: ['auth', 'auth-int'],
  };
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('reproduces the RFC 7616 %s example', (algorithm, expected) => {
    const auth = digestAuthorization({
      challenge,
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      algorithm,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(auth.response).toBe(expected);
    expect(auth.header).toBe(
      `Digest username="Mufasa", realm="http-auth@example.org", nonce="${challenge.nonce}", uri="/dir/index.html", algorithm=${algorithm}, ` +
        `qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", response="${expected}", opaque="${challenge.opaque}"`,
    );
  });
});
