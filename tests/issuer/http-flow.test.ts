/**
 * Issue 18 through HTTP, on both drivers and with both stores: the recipe of docs/issuing-tokens.md
 * (`POST /auth/token` behind Basic, `/auth/refresh`, `/auth/logout`, a password change behind
 * `@LoginRequired({ fresh: true })`) served by routing-controllers, its tokens checked by
 * `@JwtAuth({ issuedBy, cookie, csrf: 'double-submit' })`. Each protected handler counts its runs,
 * so a refusal is also proven to have run nothing. "Another instance" is a second app with its own
 * issuer object and its own store connection on the same data. The store-level details (clocks,
 * bounds, both Redis clients) are in refresh-revocation.test.ts and tests/stores/.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { Body, CookieParam, CurrentUser, Get, JsonController, Post, Res } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  createTokenIssuer,
  JwtAuth,
  LoginRequired,
  MemoryTokenStore,
  RedisTokenStore,
  VerifyPassword,
  type JwtClaims,
  type TokenIssuer,
  type TokenPair,
  type TokenStore,
} from '../../src';
import { basicHeader, DRIVERS, recordingLogger, type AppBuilder } from '../helpers';
import { describeWithRedisServer, startPrivateRedis } from '../private-redis';
import { describeWithRedis, REDIS_URL } from '../redis';
import { AUDIENCE, claimsOf, ISSUER, newEcKey, quietLogger } from './fixtures';

type App = ReturnType<AppBuilder>;

const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

/** The cookies of a response's Set-Cookie fields, as a browser would send them back (attributes dropped). */
function cookiesOf(res: request.Response): Record<string, string> {
  const fields = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return Object.fromEntries(fields.map((f) => f.split(';')[0].split('=') as [string, string]).filter(([, v]) => v !== ''));
}

const cookieHeader = (cookies: Record<string, string>) => Object.entries(cookies).map(([n, v]) => `${n}=${v}`).join('; ');

interface Served {
  app: App;
  tokens: TokenIssuer;
  /** How many times each protected handler ran. */
  runs: { read: number; write: number; password: number };
}

/** The recipe's app on one driver, its issuer on `store`, signing with `key` (shared by the instances). */
function serve(makeApp: AppBuilder, store: TokenStore, key: KeyObject, extra: { refreshTtl?: number; cache?: boolean } = {}): Served {
  const { cache, ...issuerOptions } = extra;
  const tokens = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: key, store, logger: quietLogger(), cookies: { refreshPath: '/auth' }, ...issuerOptions });
  const runs = { read: 0, write: 0, password: 0 };

  @BasicAuth({ realm: 'login' })
  class UserAuth {
    @VerifyPassword() verify(username: string, password: string) {
      return USERS[username] === password ? { name: username } : null;
    }
  }

  @JwtAuth({ issuedBy: tokens, cookie: 'access_token', csrf: 'double-submit', realm: 'api', ...(cache ? { cache: { ttl: 300 } } : {}) })
  class ApiAuth {}

  @JsonController('/auth')
  class AuthController {
    @Post('/token')
    @LoginRequired({ auth: UserAuth })
    async token(@CurrentUser() user: { name: string }, @Res() res: never) {
      const pair = await tokens.issue(user.name, { fresh: true, scope: ['articles:read', 'articles:write'] });
      tokens.setCookies(res, pair);
      return pair;
    }

    @Post('/refresh')
    async refresh(@Res() res: never, @Body({ required: false }) body?: { refresh_token?: string }, @CookieParam('refresh_token') cookie?: string) {
      const pair = await tokens.refresh(body?.refresh_token ?? cookie);
      tokens.setCookies(res, pair);
      return pair;
    }

    @Post('/logout')
    async logout(@Body({ required: false }) body?: { refresh_token?: string }, @CookieParam('refresh_token') cookie?: string) {
      return { revoked: await tokens.revoke(body?.refresh_token ?? cookie) };
    }
  }

  @JsonController()
  class ApiController {
    @Get('/articles')
    @LoginRequired({ auth: ApiAuth, scope: 'articles:read' })
    read(@CurrentUser() claims: JwtClaims) {
      runs.read++;
      return { reader: claims.sub };
    }

    @Post('/articles')
    @LoginRequired({ auth: ApiAuth, scope: 'articles:write' })
    write(@CurrentUser() claims: JwtClaims) {
      runs.write++;
      return { writer: claims.sub };
    }

    @Post('/account/password')
    @LoginRequired({ auth: ApiAuth, fresh: true })
    async password(@CurrentUser() claims: JwtClaims) {
      runs.password++;
      await tokens.revokeAll(claims.sub!);
      return { ok: true };
    }
  }

  const checkers = createAuthCheckers([new UserAuth(), new ApiAuth()], { logger: recordingLogger() });
  return { app: makeApp([AuthController, ApiController], checkers as never), tokens, runs };
}

const login = async (app: App, user = 'alice'): Promise<{ pair: TokenPair; cookies: Record<string, string> }> => {
  const res = await request(app).post('/auth/token').set('Authorization', basicHeader(user, USERS[user])).expect(200);
  return { pair: res.body as TokenPair, cookies: cookiesOf(res) };
};
const refresh = (app: App, refreshToken: string) => request(app).post('/auth/refresh').send({ refresh_token: refreshToken });
const read = (app: App, accessToken: string) => request(app).get('/articles').set('Authorization', `Bearer ${accessToken}`);

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'refresh token invalid, expired or revoked' };
const refusedBearer = (description: string) => `Bearer realm="api", error="invalid_token", error_description="${description}"`;

/** Stores, each opening "another instance" on the same data. */
interface StoreKind {
  store(): TokenStore;
  another(): TokenStore;
}
const STORES: readonly (readonly [string, () => { kind: StoreKind; end(): void }])[] = [
  [
    'MemoryTokenStore',
    () => {
      // One process holds the memory store: the other "instance" shares the object.
      const store = new MemoryTokenStore();
      return { kind: { store: () => store, another: () => store }, end: () => undefined };
    },
  ],
  [
    'RedisTokenStore',
    () => {
      const keyPrefix = `httpauth-test:http-flow:${randomBytes(6).toString('hex')}:`;
      const clients: Redis[] = [];
      const open = () => {
        const client = new Redis(REDIS_URL);
        clients.push(client);
        // A generous deadline: the suites share two cores, and a late answer is a 503 (tested below).
        return new RedisTokenStore(client, { keyPrefix, timeout: 2000 });
      };
      const first = open();
      return { kind: { store: () => first, another: open }, end: () => clients.forEach((c) => c.disconnect()) };
    },
  ],
];

describe.each(DRIVERS)('issuing tokens through HTTP on %s', (_driver, makeApp) => {
  describe.each(STORES)('with %s', (label, open) => {
    const describeStore = label.startsWith('Redis') ? describeWithRedis : describe;
    describeStore('', () => {
      let stores: { kind: StoreKind; end(): void };
      let key: KeyObject;
      let one: Served;
      beforeEach(() => {
        stores = open();
        key = newEcKey();
        one = serve(makeApp as AppBuilder, stores.kind.store(), key);
      });
      afterEach(() => stores.end());

      it('logs in with Basic, calls with the access token, refreshes, and calls with the new one', async () => {
        const { pair } = await login(one.app);
        expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'articles:read articles:write' });
        await read(one.app, pair.access_token).expect(200, { reader: 'alice' });

        const next = (await refresh(one.app, pair.refresh_token).expect(200)).body as TokenPair;
        expect(next.refresh_token).not.toBe(pair.refresh_token);
        await read(one.app, next.access_token).expect(200, { reader: 'alice' });
        // The login's access token stays valid: a refresh revokes nothing by itself.
        await read(one.app, pair.access_token).expect(200);
        expect(one.runs.read).toBe(3);
      });

      it('a wrong password gets no token, and no token reaches the API', async () => {
        await request(one.app).post('/auth/token').set('Authorization', basicHeader('alice', 'guess')).expect(401);
        const res = await request(one.app).get('/articles').expect(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
        expect(one.runs.read).toBe(0);
      });

      it('reuse of an old refresh token revokes the login: the newest refresh token and every access token of it stop working', async () => {
        const { pair } = await login(one.app);
        const second = (await refresh(one.app, pair.refresh_token).expect(200)).body as TokenPair;
        const other = (await login(one.app)).pair; // another login of the same user is not touched

        await refresh(one.app, pair.refresh_token).expect(400, INVALID_GRANT);
        await refresh(one.app, second.refresh_token).expect(400, INVALID_GRANT);
        for (const access of [pair.access_token, second.access_token]) {
          const res = await read(one.app, access).expect(401);
          expect(res.headers['www-authenticate']).toBe(refusedBearer('the token has been revoked'));
        }
        await read(one.app, other.access_token).expect(200);
        expect(one.runs.read).toBe(1);
      });

      it('50 concurrent refreshes with one refresh token: exactly one succeeds', async () => {
        const { pair } = await login(one.app);
        const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(one.app, pair.refresh_token)));
        const statuses = answers.map((r) => r.status);
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.filter((s) => s === 400)).toHaveLength(49);
        // The others were reuse: the winner's tokens are revoked with the login.
        const winner = answers.find((r) => r.status === 200)!.body as TokenPair;
        await read(one.app, winner.access_token).expect(401);
      });

      it('revokeAll after a password change (a fresh token) refuses older tokens on another instance at once; a new login works', async () => {
        const two = serve(makeApp as AppBuilder, stores.kind.another(), key);
        const before = (await login(one.app)).pair;
        const refreshed = (await refresh(one.app, before.refresh_token).expect(200)).body as TokenPair;
        const bobs = (await login(one.app, 'bob')).pair;

        // Only a fresh token changes the password: the refreshed one is refused, the handler never runs.
        const stale = await request(two.app).post('/account/password').set('Authorization', `Bearer ${refreshed.access_token}`).expect(401);
        expect(stale.headers['www-authenticate']).toBe(refusedBearer('fresh token required'));
        expect(two.runs.password).toBe(0);
        const fresh = (await login(two.app)).pair;
        await request(two.app).post('/account/password').set('Authorization', `Bearer ${fresh.access_token}`).expect(200, { ok: true });

        // Instance one, at once: every older token of alice is refused; bob's is not.
        for (const access of [before.access_token, refreshed.access_token, fresh.access_token]) await read(one.app, access).expect(401);
        await refresh(one.app, refreshed.refresh_token).expect(400, INVALID_GRANT);
        await read(one.app, bobs.access_token).expect(200);
        // A login after the change works, on both instances. The revocation's cut-off is in whole
        // seconds (iat), so the next login waits for the next second.
        await new Promise((r) => setTimeout(r, 1100));
        const after = (await login(one.app)).pair;
        await read(two.app, after.access_token).expect(200);
      });

      it('revoke(access token) on one instance refuses that token on the other, and only it; logout revokes the login', async () => {
        const two = serve(makeApp as AppBuilder, stores.kind.another(), key);
        const a = (await login(one.app)).pair;
        const b = (await login(one.app)).pair;
        expect(await two.tokens.revoke(a.access_token)).toBe(true);
        await read(one.app, a.access_token).expect(401);
        await read(one.app, b.access_token).expect(200);

        await request(two.app).post('/auth/logout').send({ refresh_token: b.refresh_token }).expect(200, { revoked: true });
        await read(one.app, b.access_token).expect(401);
        await refresh(one.app, b.refresh_token).expect(400, INVALID_GRANT);
      });

      it('with the verified-token cache: a token revoked after it was cached is refused at once, on every instance; others are not', async () => {
        const cached = serve(makeApp as AppBuilder, stores.kind.store(), key, { cache: true });
        const two = serve(makeApp as AppBuilder, stores.kind.another(), key);
        const a = (await login(cached.app)).pair;
        const b = (await login(cached.app)).pair;
        const bobs = (await login(cached.app, 'bob')).pair;
        for (const t of [a, b, bobs]) await read(cached.app, t.access_token).expect(200); // now in the cache
        expect(await two.tokens.revoke(a.access_token)).toBe(true);
        const res = await read(cached.app, a.access_token).expect(401);
        expect(res.headers['www-authenticate']).toBe(refusedBearer('the token has been revoked'));
        await read(cached.app, b.access_token).expect(200);
        await two.tokens.revokeAll('alice');
        await read(cached.app, b.access_token).expect(401);
        await read(cached.app, bobs.access_token).expect(200);
        expect(cached.runs.read).toBe(5);
      });

      it('refuses a refresh token sent as an access token, and an access token sent as a refresh token', async () => {
        const { pair } = await login(one.app);
        const asAccess = await read(one.app, pair.refresh_token);
        expect([400, 401]).toContain(asAccess.status);
        expect(asAccess.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_(token|request)"/);
        await refresh(one.app, pair.access_token).expect(400, INVALID_GRANT);
        // Neither attempt cost the login anything.
        await refresh(one.app, pair.refresh_token).expect(200);
        expect(one.runs.read).toBe(0);
      });

      it('refuses an expired refresh token', async () => {
        const short = serve(makeApp as AppBuilder, stores.kind.store(), key, { refreshTtl: 1 });
        const { pair } = await login(short.app);
        await new Promise((r) => setTimeout(r, 2100));
        await refresh(short.app, pair.refresh_token).expect(400, INVALID_GRANT);
      });

      it('sets the three cookies with their attributes, and refreshes from the refresh cookie', async () => {
        const res = await request(one.app).post('/auth/token').set('Authorization', basicHeader('alice', USERS.alice)).expect(200);
        const fields = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
        const field = (name: string) => fields.find((f) => f.startsWith(`${name}=`));
        expect(field('access_token')).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
        expect(field('refresh_token')).toMatch(/; Path=\/auth; HttpOnly; Secure; SameSite=Lax$/);
        expect(field('csrf_token')).toMatch(/; Path=\/; Secure; SameSite=Lax$/);
        const cookies = cookiesOf(res);
        expect(cookies.csrf_token).toBe(claimsOf(cookies.access_token).csrf);

        const next = await request(one.app).post('/auth/refresh').set('Cookie', `refresh_token=${cookies.refresh_token}`);
        expect(next.status).toBe(200);
        expect(cookiesOf(next).access_token).toBe((next.body as TokenPair).access_token);
      });

      describe('double-submit CSRF for the access token cookie', () => {
        // [what, method, with cookie, X-CSRF-Token (a function of the CSRF cookie), status, handler runs]
        const ROWS: readonly (readonly [string, 'get' | 'post', boolean, (csrf: string) => string | undefined, number])[] = [
          ['POST without the header', 'post', true, () => undefined, 401],
          ['POST with a wrong header', 'post', true, (csrf) => `${csrf.slice(0, -2)}xx`, 401],
          ['POST with another login\'s value', 'post', true, () => 'OTHER', 401],
          ['POST with the right header', 'post', true, (csrf) => csrf, 200],
          ['GET without the header', 'get', true, () => undefined, 200],
          ['the header without the cookie', 'post', false, (csrf) => csrf, 401],
        ];
        it.each(ROWS)('%s → %i', async (_what, method, withCookie, header, status) => {
          const { cookies } = await login(one.app);
          const other = (await login(one.app, 'bob')).cookies;
          let call = request(one.app)[method]('/articles');
          if (withCookie) call = call.set('Cookie', cookieHeader({ access_token: cookies.access_token }));
          const value = header(cookies.csrf_token);
          if (value !== undefined) call = call.set('X-CSRF-Token', value === 'OTHER' ? other.csrf_token : value);
          const res = await call;
          expect(res.status).toBe(status);
          const runs = method === 'get' ? one.runs.read : one.runs.write;
          expect(runs).toBe(status === 200 ? 1 : 0);
          if (status === 401 && withCookie) expect(res.headers['www-authenticate']).toBe(refusedBearer('CSRF token missing or invalid'));
          if (status === 401 && !withCookie) expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
        });

        it.each([
          ['not a JWT', 'garbage'],
          ['a JWT whose csrf claim equals the header, but forged', `${Buffer.from('{"alg":"ES256","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"csrf":"x"}').toString('base64url')}.AAAA`],
        ])('refuses a cookie that is %s, also with a header, and runs nothing', async (_what, cookie) => {
          const res = await request(one.app).post('/articles').set('Cookie', `access_token=${cookie}`).set('X-CSRF-Token', 'x');
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
          expect(one.runs.write).toBe(0);
        });

        it('needs no header for a token sent in Authorization', async () => {
          const { pair } = await login(one.app);
          await request(one.app).post('/articles').set('Authorization', `Bearer ${pair.access_token}`).expect(200, { writer: 'alice' });
        });

        it('is not exempted by a method override: a form POST dispatched as GET still needs the header', async () => {
          const { cookies } = await login(one.app);
          const res = await request(one.app).post('/articles?_method=GET').set('X-HTTP-Method-Override', 'GET').set('Cookie', cookieHeader({ access_token: cookies.access_token }));
          expect(res.status).not.toBe(200);
          expect(one.runs.read + one.runs.write).toBe(0);
        });
      });
    });
  });
});

describeWithRedisServer('issuing tokens when Redis is down (a private redis-server, killed in the test)', () => {
  it.each(DRIVERS)('%s: every token operation and every protected call answers 503 fast; nothing runs; all works again once Redis is back', async (_driver, makeApp) => {
    const redis = await startPrivateRedis();
    const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    try {
      await new Promise((resolve) => (client.status === 'ready' ? resolve(undefined) : client.once('ready', resolve)));
      const served = serve(makeApp as AppBuilder, new RedisTokenStore(client, { timeout: 250 }), newEcKey());
      const { pair } = await login(served.app);
      await read(served.app, pair.access_token).expect(200);

      await redis.kill();
      const calls = [
        () => read(served.app, pair.access_token),
        () => refresh(served.app, pair.refresh_token),
        () => request(served.app).post('/auth/token').set('Authorization', basicHeader('alice', USERS.alice)),
        () => request(served.app).post('/account/password').set('Authorization', `Bearer ${pair.access_token}`),
      ];
      for (const call of calls) {
        const started = Date.now();
        const res = await call();
        expect(res.status).toBe(503);
        expect(Date.now() - started).toBeLessThan(1000);
        expect(JSON.stringify(res.body)).not.toContain(pair.access_token.slice(-20));
      }
      expect(served.runs).toEqual({ read: 1, write: 0, password: 0 });

      await redis.restart();
      await new Promise((resolve) => (client.status === 'ready' ? resolve(undefined) : client.once('ready', resolve)));
      // The restarted server is empty: the old login is unknown, a new one works end to end.
      const again = (await login(served.app)).pair;
      await read(served.app, again.access_token).expect(200);
    } finally {
      client.disconnect();
      await redis.kill();
    }
  });
});

