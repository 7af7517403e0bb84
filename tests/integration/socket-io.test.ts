/**
 * `auth.socketIo()`: the Socket.IO handshake authenticated by the same flow as a request, tested
 * with socket.io-client against a real socket.io server on a random port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket, type SocketOptions, type ManagerOptions } from 'socket.io-client';
import {
  BasicAuth,
  createAuthCheckers,
  DigestAuth,
  ErrorHandler,
  GetPassword,
  GetUserRoles,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthCheckers,
  type LoginRequiredOptions,
  type SocketIoRefusal,
} from '../../src';
import type { AuthEvent } from '../../src';
import { basicHeader, recordingLogger, tokenHeader } from '../helpers';
import { socketIoCleanup } from '../socket-io-cleanup';

type User = { name: string };
const ROLES: Record<string, string[]> = { alice: ['admin'], bob: ['reader'], robot: ['machine'], keyholder: [] };

@BasicAuth({ realm: 'Chat' })
class ChatUsers {
  @VerifyPassword() verify(username: string, password: string): User | null {
    return username in ROLES && password === 'pw' ? { name: username } : null;
  }
  @GetUserRoles() roles(user: User) {
    return ROLES[user.name];
  }
}

@TokenAuth({ realm: 'Chat' })
class ChatTokens {
  @VerifyToken() verify(token: string): User | null {
    return token === 'good-token' ? { name: 'robot' } : null;
  }
  @GetUserRoles() roles(user: User) {
    return ROLES[user.name];
  }
}

@TokenAuth({ header: 'X-API-Key', realm: 'Keys' })
class ChatKeys {
  @VerifyToken() verify(token: string): User | null {
    return token === 'good-key' ? { name: 'keyholder' } : null;
  }
}

@TokenAuth({ realm: 'Chat' })
class PoliteTokens {
  @VerifyToken() verify(token: string): User | null {
    return token === 'good-token' ? { name: 'robot' } : null;
  }
  @ErrorHandler() onError(status: number) {
    return { error: status === 401 ? 'log in first' : 'not for you' };
  }
}

@TokenAuth({ query: 'access_token' })
class QueryTokens {
  @VerifyToken() verify(token: string): User | null {
    return token === 'good-token' ? { name: 'robot' } : null;
  }
}

@BasicAuth()
class BrokenUsers {
  @VerifyPassword() verify(): User {
    throw new Error('user database unreachable at db.internal:5432 (secret=hunter2)');
  }
}

@DigestAuth({ realm: 'Chat' })
class DigestUsers {
  @GetPassword() password() {
    return 'pw';
  }
}

@TokenAuth({ realm: 'Proxy', proxy: true })
class ProxyTokens {
  @VerifyToken() verify(token: string): User | null {
    return token === 'good-token' ? { name: 'robot' } : null;
  }
}

@BasicAuth({ realm: 'Chat', throttle: { failures: 1, window: 60, block: 60 } })
class ThrottledUsers {
  @VerifyPassword() verify(username: string, password: string): User | null {
    return password === 'pw' ? { name: username } : null;
  }
}

type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** What a client saw: the user the server reported on `connection`, or the refusal. */
type Seen = { connected: true; whoami: { user: unknown; data: unknown; username: unknown } } | { connected: false; message: string; data: SocketIoRefusal };

interface Harness {
  auth: AuthCheckers<User>;
  io: Server;
  /** Connects to a namespace and waits for `whoami` (sent on connection) or `connect_error`. */
  connect(namespace: string, options?: ClientOptions): Promise<{ client: ClientSocket; seen: Seen; events: [string, ...unknown[]][] }>;
}

const { servers, clients } = socketIoCleanup();

/** A socket.io server on 127.0.0.1 with one middleware per namespace; every namespace reports its user. */
async function startServer(
  authClasses: object | object[],
  namespaces: Record<string, LoginRequiredOptions | undefined>,
  logger = recordingLogger(),
  onEvent?: (event: AuthEvent) => void,
): Promise<Harness> {
  const auth = createAuthCheckers<User>(authClasses, { logger, ...(onEvent ? { onEvent } : {}) });
  const httpServer = createServer();
  const io = new Server(httpServer);
  servers.push(io);
  for (const [name, options] of Object.entries(namespaces)) {
    const nsp: Namespace = io.of(name);
    nsp.use(auth.socketIo(options));
    nsp.on('connection', (socket) => {
      // Sent to every connected socket of the namespace: a refused one must never get it.
      nsp.emit('joined', auth.currentUser(socket) ?? null);
      socket.emit('whoami', { user: auth.currentUser(socket) ?? null, data: socket.data.user ?? null, username: auth.username(socket) ?? null });
    });
  }
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  const connect: Harness['connect'] = (namespace, options = {}) => {
    const client = connectClient(`http://127.0.0.1:${port}${namespace}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...options,
    });
    clients.push(client);
    const events: [string, ...unknown[]][] = [];
    client.onAny((name: string, ...args: unknown[]) => events.push([name, ...args]));
    const seen = new Promise<Seen>((resolve) => {
      client.on('whoami', (whoami) => resolve({ connected: true, whoami }));
      client.on('connect_error', (error) => resolve({ connected: false, message: error.message, data: (error as Error & { data: SocketIoRefusal }).data }));
    });
    return seen.then((s) => ({ client, seen: s, events }));
  };
  return { auth, io, connect };
}

const headers = (authorization: string): ClientOptions => ({ extraHeaders: { Authorization: authorization } });

describe('auth.socketIo() on a socket.io server', () => {
  type Case = [title: string, authClasses: object[], options: LoginRequiredOptions | undefined, client: ClientOptions, expected: Partial<SocketIoRefusal> | User | null];
  const cases: Case[] = [
    ['Basic: valid credentials in the Authorization header', [ChatUsers], undefined, headers(basicHeader('alice', 'pw')), { name: 'alice' }],
    ['Basic: a wrong password', [ChatUsers], undefined, headers(basicHeader('alice', 'nope')), { status: 401, challenge: 'Basic realm="Chat"' }],
    ['Basic: no credentials', [ChatUsers], undefined, {}, { status: 401, challenge: 'Basic realm="Chat"' }],
    ['Bearer: a valid token in the Authorization header', [ChatTokens], undefined, headers(tokenHeader('good-token')), { name: 'robot' }],
    ['Bearer: a valid token as auth.token', [ChatTokens], undefined, { auth: { token: 'good-token' } }, { name: 'robot' }],
    ['Bearer: a wrong token as auth.token', [ChatTokens], undefined, { auth: { token: 'bad' } }, { status: 401, challenge: 'Bearer realm="Chat", error="invalid_token"' }],
    ['Bearer: a token that is not a string', [ChatTokens], undefined, { auth: { token: 42 } }, { status: 400 }],
    ['Bearer: no token', [ChatTokens], undefined, {}, { status: 401, challenge: 'Bearer realm="Chat"' }],
    ['custom header: a valid key in X-API-Key', [ChatKeys], undefined, { extraHeaders: { 'X-API-Key': 'good-key' } }, { name: 'keyholder' }],
    ['custom header: a valid key as auth.token', [ChatKeys], undefined, { auth: { token: 'good-key' } }, { name: 'keyholder' }],
    ['custom header: a wrong key as auth.token', [ChatKeys], undefined, { auth: { token: 'bad' } }, { status: 401 }],
    ['query: a valid token in the handshake URL', [QueryTokens], undefined, { query: { access_token: 'good-token' } }, { name: 'robot' }],
    ['query: a wrong token in the handshake URL', [QueryTokens], undefined, { query: { access_token: 'bad' } }, { status: 401 }],
    ['a header takes precedence over auth.token', [ChatTokens], undefined, { ...headers(tokenHeader('bad')), auth: { token: 'good-token' } }, { status: 401 }],
    ['MultiAuth: auth.token goes to the token class', [ChatUsers, ChatTokens], { auth: [ChatUsers, ChatTokens] }, { auth: { token: 'good-token' } }, { name: 'robot' }],
    ['MultiAuth: no credentials get every challenge', [ChatUsers, ChatTokens], { auth: [ChatUsers, ChatTokens] }, {}, { status: 401, challenge: 'Basic realm="Chat", Bearer realm="Chat"' }],
    ['MultiAuth: a Basic header', [ChatUsers, ChatTokens], { auth: [ChatUsers, ChatTokens] }, headers(basicHeader('bob', 'pw')), { name: 'bob' }],
    ['roles: a user with the role', [ChatUsers], { role: 'admin' }, headers(basicHeader('alice', 'pw')), { name: 'alice' }],
    ['roles: a user without the role gets 403', [ChatUsers], { role: 'admin' }, headers(basicHeader('bob', 'pw')), { status: 403 }],
    ['roles: a token without the role gets 403 with insufficient_scope', [ChatTokens], { role: 'admin' }, { auth: { token: 'good-token' } }, { status: 403, challenge: 'Bearer realm="Chat", error="insufficient_scope"' }],
    ['@ErrorHandler: its body is data.body', [PoliteTokens], undefined, { auth: { token: 'bad' } }, { status: 401, body: { error: 'log in first' } }],
    ['optional: no credentials connect anonymously', [ChatUsers], { optional: true }, {}, null],
    ['optional: valid credentials still give the user', [ChatUsers], { optional: true }, headers(basicHeader('bob', 'pw')), { name: 'bob' }],
    ['optional: wrong credentials are still refused', [ChatUsers], { optional: true }, headers(basicHeader('bob', 'nope')), { status: 401 }],
    ['optional: auth.token that no class can read is refused', [ChatUsers], { optional: true }, { auth: { token: 'good-token' } }, { status: 401 }],
    ['proxy: a valid token as auth.token', [ProxyTokens], undefined, { auth: { token: 'good-token' } }, { name: 'robot' }],
    ['proxy: a valid token in Proxy-Authorization', [ProxyTokens], undefined, { extraHeaders: { 'Proxy-Authorization': tokenHeader('good-token') } }, { name: 'robot' }],
    ['proxy: a wrong token as auth.token gets 407', [ProxyTokens], undefined, { auth: { token: 'bad' } }, { status: 407, challenge: 'Bearer realm="Proxy", error="invalid_token"' }],
    ['proxy: a token that is not a string', [ProxyTokens], undefined, { auth: { token: 42 } }, { status: 400 }],
    ['proxy: a valid token in Authorization is not read', [ProxyTokens], undefined, headers(tokenHeader('good-token')), { status: 407, challenge: 'Bearer realm="Proxy"' }],
  ];

  it.each(cases)('%s', async (_title, authClasses, options, clientOptions, expected) => {
    const { connect } = await startServer(authClasses, { '/chat': options });
    const { seen } = await connect('/chat', clientOptions);
    if (expected === null || 'name' in expected) {
      // auth.currentUser(socket) and socket.data.user
      expect(seen).toMatchObject({ connected: true, whoami: { user: expected, data: expected } });
    } else {
      expect(seen.connected).toBe(false);
      if (seen.connected) return;
      expect(seen.data).toMatchObject(expected);
      if (!('body' in expected)) expect(seen.data.body).toEqual(expect.objectContaining({ code: expect.stringMatching(/^ERR_HTTP_AUTH_/) }));
    }
  });

  it('never delivers an event to a refused client, while admitted ones get it', async () => {
    const { connect } = await startServer([ChatUsers], { '/chat': undefined });
    const first = await connect('/chat', headers(basicHeader('alice', 'pw')));
    const refused = await connect('/chat', headers(basicHeader('mallory', 'guess')));
    const bothJoined = new Promise((resolve) => first.client.on('joined', (user) => user?.name === 'bob' && resolve(user)));
    // Its connection makes the server emit `joined` to every socket of the namespace.
    const second = await connect('/chat', headers(basicHeader('bob', 'pw')));
    await bothJoined;

    expect(first.seen).toMatchObject({ connected: true });
    expect(second.seen).toMatchObject({ connected: true });
    expect(refused.seen).toMatchObject({ connected: false, data: { status: 401 } });
    expect(refused.client.connected).toBe(false);
    expect(first.events.map(([name]) => name)).toEqual(['joined', 'whoami', 'joined']);
    expect(refused.events).toEqual([]);
  });

  it('records the username for Basic and none for a token, like over HTTP', async () => {
    const { connect } = await startServer([ChatUsers, ChatTokens], { '/chat': { auth: [ChatUsers, ChatTokens] } });
    const basic = await connect('/chat', headers(basicHeader('alice', 'pw')));
    const token = await connect('/chat', { auth: { token: 'good-token' } });
    expect(basic.seen).toMatchObject({ connected: true, whoami: { username: 'alice' } });
    expect(token.seen).toMatchObject({ connected: true, whoami: { user: { name: 'robot' }, username: null } });
  });

  it('answers a hook that throws with the generic internal error: no message, no stack', async () => {
    const logger = recordingLogger();
    const { connect } = await startServer([BrokenUsers], { '/chat': undefined }, logger);
    const { seen } = await connect('/chat', headers(basicHeader('alice', 'pw')));
    expect(seen).toEqual({
      connected: false,
      message: 'internal server error',
      data: { status: 500, body: { name: 'HttpAuthError', message: 'internal server error', code: 'ERR_HTTP_AUTH_INTERNAL' } },
    });
    expect(JSON.stringify(seen)).not.toMatch(/hunter2|db\.internal|\bat /);
    // The culprit is logged (rate-limited), on the server only.
    expect(logger.lines()).toEqual([expect.stringMatching(/BrokenUsers\.verify.*threw Error: user database unreachable.*answered 500/)]);
  });

  it('throttles the handshake like a request: 429 with retryAfter once the failures are used up', async () => {
    const { connect } = await startServer([ThrottledUsers], { '/chat': undefined });
    const before = await connect('/chat', headers(basicHeader('carol', 'pw')));
    const failed = await connect('/chat', headers(basicHeader('carol', 'nope')));
    const blocked = await connect('/chat', headers(basicHeader('carol', 'pw')));
    const other = await connect('/chat', headers(basicHeader('dave', 'pw')));
    expect(before.seen).toMatchObject({ connected: true, whoami: { user: { name: 'carol' } } });
    expect(failed.seen).toMatchObject({ connected: false, data: { status: 401 } });
    expect(blocked.seen).toMatchObject({ connected: false, data: { status: 429, retryAfter: expect.any(Number), body: { code: 'ERR_HTTP_AUTH_THROTTLED' } } });
    // Failures count per address too: the client is blocked whatever name it tries next.
    expect(other.seen).toMatchObject({ connected: false, data: { status: 429 } });
  });

  it('reports audit events for handshakes, like for requests, without the credentials', async () => {
    const events: AuthEvent[] = [];
    const { connect } = await startServer([ThrottledUsers], { '/chat': undefined }, recordingLogger(), (event) => events.push(event));
    await connect('/chat', headers(basicHeader('carol', 'pw')));
    await connect('/chat', headers(basicHeader('carol', 'nope')));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toMatchObject([
      { type: 'authenticated', authClass: 'ThrottledUsers', scheme: 'Basic', kind: 'basic', username: 'carol', method: 'GET', namespace: '/chat' },
      { type: 'rejected', status: 401, reason: 'bad-credentials', username: 'carol' },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/nope|"pw"|Basic /);
  });

  it.each([
    ['a Digest class', [DigestUsers], undefined],
    ['a MultiAuth with a Digest member', [ChatUsers, DigestUsers], { auth: [ChatUsers, DigestUsers] }],
  ])('refuses %s at set-up, naming the fix', (_title, authClasses, options) => {
    const auth = createAuthCheckers<User>(authClasses, { logger: recordingLogger() });
    expect(() => auth.socketIo(options)).toThrow(
      new TypeError(
        'http-auth: auth.socketIo(): DigestUsers is a @DigestAuth class, and a Socket.IO handshake cannot answer a Digest challenge; name Basic or token classes instead, e.g. auth.socketIo({ auth: [ApiKeyAuth] })',
      ),
    );
  });

  it('checks its options at set-up like @LoginRequired', () => {
    const auth = createAuthCheckers<User>([ChatTokens], { logger: recordingLogger() });
    expect(() => auth.socketIo({ auth: [ChatUsers] })).toThrow(/auth\.socketIo\(\).*ChatUsers.*createAuthCheckers/);
  });
});
