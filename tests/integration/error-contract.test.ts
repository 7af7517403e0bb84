import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { Get, HttpError, JsonController, type Action } from 'routing-controllers';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  GetPassword,
  GetUserRoles,
  LoginRequired,
  VerifyPassword,
  type AuthEvent,
  type AuthFailureStatus,
  type NonceStore,
  type SocketIoRefusal,
} from '../../src';
import { basicHeader, DRIVERS, fromAddress, recordingLogger } from '../helpers';
import { digestAuthorization, digestChallenge } from '../digest-client';

// Issue 14 item 11: 429 (throttled) and 503 (store outage, hook timeout) go through @ErrorHandler
// like 400/401/403, so one JSON error contract covers every answer of the library; Retry-After is
// kept whatever the handler answers.

const THROTTLE = { failures: 1, window: 60, block: 60 } as const;

/** The app's error contract: `{ error: <status> }`, for every status. */
@BasicAuth({ throttle: THROTTLE })
class ContractUsers {
  seen: AuthFailureStatus[] = [];
  @VerifyPassword() verify(username: string, password: string) {
    return password === 'pw' ? { name: username } : null;
  }
  @GetUserRoles() roles(user: { name: string }) {
    return user.name === 'admin' ? ['admin'] : [];
  }
  @ErrorHandler() onError(status: AuthFailureStatus) {
    this.seen.push(status);
    return { error: status };
  }
}

@JsonController('/plain')
class PlainController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
}

@JsonController('/contract')
class ContractController {
  @Get('/') @LoginRequired() index() {
    return { ok: true };
  }
  @Get('/admin') @LoginRequired({ role: 'admin' }) admin() {
    return { ok: true };
  }
}

describe.each(DRIVERS)('@ErrorHandler shapes every answer of the library (%s)', (_driver, makeApp) => {
  it('is called with 429 for a throttled request; Retry-After stays', async () => {
    const auth = new ContractUsers();
    const events: AuthEvent[] = [];
    const app = fromAddress(makeApp([ContractController], createAuthCheckers([auth], { logger: recordingLogger(), onEvent: (e) => events.push(e) })), '10.60.0.1');
    const wrong = await request(app).get('/contract').set('Authorization', basicHeader('alice', 'nope'));
    expect([wrong.status, wrong.body]).toEqual([401, { error: 401 }]);
    const throttled = await request(app).get('/contract').set('Authorization', basicHeader('alice', 'pw'));
    expect([throttled.status, throttled.body]).toEqual([429, { error: 429 }]);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.headers['www-authenticate']).toBeUndefined();
    expect(auth.seen).toEqual([401, 429]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => [e.type, e.status, e.reason])).toEqual([
      ['rejected', 401, 'bad-credentials'],
      ['throttled', 429, 'too-many-attempts'],
    ]);
  });

  it('keeps Retry-After when the handler answers the 429 with an HttpError of its own', async () => {
    @BasicAuth({ throttle: THROTTLE })
    class OwnErrors {
      @VerifyPassword() verify(username: string, password: string) {
        return password === 'pw' ? { name: username } : null;
      }
      @ErrorHandler() onError(status: AuthFailureStatus, action: Action) {
        // A handler that also tries to drop the header, as an app's own error format might.
        (action.response as { removeHeader?: (name: string) => void; remove?: (name: string) => void }).removeHeader?.('Retry-After');
        if (status === 429) throw new HttpError(429, 'slow down');
        return { error: status };
      }
    }
    const app = fromAddress(makeApp([PlainController], createAuthCheckers([new OwnErrors()], { logger: recordingLogger() })), '10.60.0.2');
    await request(app).get('/plain').set('Authorization', basicHeader('alice', 'nope'));
    const res = await request(app).get('/plain').set('Authorization', basicHeader('alice', 'pw'));
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ message: 'slow down' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('is called with 503 when the nonce store is down, and the body follows the contract', async () => {
    const down: NonceStore = { use: () => Promise.reject(new Error('connection refused')) };
    @DigestAuth({ secret: 'contract', store: down })
    class DigestContract {
      seen: AuthFailureStatus[] = [];
      @GetPassword() password(username: string) {
        return username === 'alice' ? 'pw' : undefined;
      }
      @ErrorHandler() onError(status: AuthFailureStatus) {
        this.seen.push(status);
        return { error: status };
      }
    }
    const auth = new DigestContract();
    const events: AuthEvent[] = [];
    const app = makeApp([PlainController], createAuthCheckers([auth], { logger: recordingLogger(), onEvent: (e) => events.push(e) }));
    const first = await request(app).get('/plain');
    expect([first.status, first.body]).toEqual([401, { error: 401 }]);
    const header = digestAuthorization({ challenge: digestChallenge(first), username: 'alice', password: 'pw', method: 'GET', uri: '/plain' }).header;
    const res = await request(app).get('/plain').set('Authorization', header);
    expect([res.status, res.body]).toEqual([503, { error: 503 }]);
    expect(auth.seen).toEqual([401, 503]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.at(-1)).toMatchObject({ type: 'error', status: 503, reason: 'store-unavailable' });
  });

  it('covers 401, 403 and 429 with one body shape', async () => {
    const app = fromAddress(makeApp([ContractController], createAuthCheckers([new ContractUsers()], { logger: recordingLogger() })), '10.60.0.3');
    const answers = [
      await request(app).get('/contract'),
      await request(app).get('/contract/admin').set('Authorization', basicHeader('bob', 'pw')),
      await request(app).get('/contract').set('Authorization', basicHeader('bob', 'nope')),
      await request(app).get('/contract').set('Authorization', basicHeader('bob', 'pw')),
    ];
    expect(answers.map((r) => [r.status, r.body])).toEqual([
      [401, { error: 401 }],
      [403, { error: 403 }],
      [401, { error: 401 }],
      [429, { error: 429 }],
    ]);
  });
});

describe('Socket.IO refusals with an @ErrorHandler', () => {
  const servers: Server[] = [];
  const clients: ClientSocket[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(servers.splice(0).map((io) => new Promise<void>((resolve) => io.close(() => resolve()))));
  });

  it('sends the handler’s 429 body with retryAfter in the connect_error data', async () => {
    const auth = createAuthCheckers([new ContractUsers()], { logger: recordingLogger() });
    const httpServer = createServer();
    const io = new Server(httpServer);
    servers.push(io);
    io.use(auth.socketIo());
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;
    const refusal = (authorization: string) =>
      new Promise<SocketIoRefusal>((resolve) => {
        const client = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { Authorization: authorization } });
        clients.push(client);
        client.on('connect_error', (error) => resolve((error as Error & { data: SocketIoRefusal }).data));
      });
    expect(await refusal(basicHeader('carol', 'nope'))).toMatchObject({ status: 401, body: { error: 401 } });
    expect(await refusal(basicHeader('carol', 'pw'))).toMatchObject({ status: 429, retryAfter: expect.any(Number), body: { error: 429 } });
  });
});
