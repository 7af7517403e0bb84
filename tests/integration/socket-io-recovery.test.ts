/**
 * Socket.IO connection-state recovery: a recovered socket must be authenticated again, or the
 * server must be refused. socket.io's default (`skipMiddlewares: true`) restores a socket (its
 * rooms, its `data`) without running any middleware, so a client whose token was revoked while
 * its transport was down would get the room's broadcasts again. Real socket.io + socket.io-client.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { createAuthCheckers, TokenAuth, VerifyToken, type AuthEvent, type SocketIoRefusal } from '../../src';
import { recordingLogger } from '../helpers';
import { socketIoCleanup } from '../socket-io-cleanup';

type User = { name: string };

/** Tokens that are valid right now: a test revokes one by deleting it. */
const valid = new Map<string, User>();

@TokenAuth({ realm: 'Chat' })
class ChatTokens {
  @VerifyToken() verify(token: string): User | null {
    return valid.get(token) ?? null;
  }
}

const { servers, clients } = socketIoCleanup(() => valid.clear());

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 20));


/** Waits (up to 5 s) until a client has seen the event `name` with `value`. */
async function until(events: [string, unknown][], name: string, value: unknown): Promise<void> {
  for (let i = 0; i < 250 && !events.some(([n, v]) => n === name && v === value); i++) await nextTurn();
}

async function startServer(serverOptions: Partial<ServerOptions>, logger = recordingLogger(), events: AuthEvent[] = []) {
  const auth = createAuthCheckers<User>([ChatTokens], { logger, onEvent: (event) => events.push(event) });
  const httpServer = createServer();
  const io = new Server(httpServer, serverOptions);
  servers.push(io);
  const chat = io.of('/chat');
  chat.use(auth.socketIo());
  /** Server-side disconnections, by socket id. */
  const disconnected = new Map<string, () => void>();
  chat.on('connection', (socket) => {
    // Recovered sockets are already in their rooms.
    if (!socket.recovered) socket.join('news');
    socket.on('disconnect', () => disconnected.get(socket.id)?.());
    socket.emit('whoami', { user: auth.currentUser(socket) ?? null, data: socket.data.user ?? null, recovered: socket.recovered });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  /** Connects with a token (read again at every (re)connection) and records what the client sees. */
  const connect = (token: () => string | undefined) => {
    const client = connectClient(`http://127.0.0.1:${port}/chat`, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 20,
      auth: (cb) => cb(token() === undefined ? {} : { token: token() }),
    });
    clients.push(client);
    const seen = { events: [] as [string, unknown][], refusals: [] as SocketIoRefusal[], packets: [] as unknown[] };
    // With recovery on, socket.io appends the packet's offset to the arguments: only the first is kept.
    client.onAny((name: string, value: unknown) => seen.events.push([name, value]));
    client.on('connect_error', (error) => seen.refusals.push((error as Error & { data: SocketIoRefusal }).data));
    // Every socket.io packet that reaches the client, whether or not its socket ever emits it.
    client.io.on('packet', (packet) => seen.packets.push(packet));
    const outcome = () =>
      new Promise<'connected' | 'refused'>((resolve) => {
        client.once('whoami', () => resolve('connected'));
        client.once('connect_error', () => resolve('refused'));
      });
    return { client, seen, outcome };
  };

  /** Drops the client's transport (as a network failure would) and waits until the server saw it. */
  const dropTransport = async (client: ClientSocket) => {
    const gone = new Promise<void>((resolve) => disconnected.set(client.id!, resolve));
    client.io.engine.close();
    await gone;
  };

  return { io, chat, connect, dropTransport };
}

describe('auth.socketIo() and connection-state recovery', () => {
  it('refuses every handshake on a server whose recovery skips middlewares (socket.io default), naming skipMiddlewares: false', async () => {
    const logger = recordingLogger();
    const events: AuthEvent[] = [];
    const { connect } = await startServer({ connectionStateRecovery: {} }, logger, events);
    valid.set('good', { name: 'alice' });
    const good = connect(() => 'good');
    expect(await good.outcome()).toBe('refused');
    expect(good.seen.refusals[0]).toMatchObject({ status: 500, body: { code: 'ERR_HTTP_AUTH_MISCONFIGURED' } });
    // Fails closed for every later handshake too, with one log line.
    const again = connect(() => 'good');
    expect(await again.outcome()).toBe('refused');
    expect(good.seen.events.filter(([name]) => name !== 'connect_error')).toEqual([]);
    expect(logger.lines()).toEqual([expect.stringMatching(/auth\.socketIo\(\).*connectionStateRecovery.*skipMiddlewares: false/)]);
    await nextTurn();
    // No token is checked on such a server: the decision is the server's configuration.
    expect(events).toEqual([]);
  });

  it('refuses a server that sets skipMiddlewares: true explicitly', async () => {
    const logger = recordingLogger();
    const { connect } = await startServer({ connectionStateRecovery: { skipMiddlewares: true } }, logger);
    valid.set('good', { name: 'alice' });
    const good = connect(() => 'good');
    expect(await good.outcome()).toBe('refused');
    expect(good.seen.refusals[0]).toMatchObject({ status: 500 });
  });

  it('with skipMiddlewares: false, a client revoked while its transport was down is refused on reconnection and gets no room broadcast', async () => {
    const { chat, connect, dropTransport } = await startServer({ connectionStateRecovery: { skipMiddlewares: false } });
    valid.set('mallory-token', { name: 'mallory' });
    valid.set('bob-token', { name: 'bob' });
    const mallory = connect(() => 'mallory-token');
    const bob = connect(() => 'bob-token');
    expect(await mallory.outcome()).toBe('connected');
    expect(await bob.outcome()).toBe('connected');

    valid.delete('mallory-token');
    const refused = mallory.outcome();
    await dropTransport(mallory.client);
    // Missed while disconnected: recovery would replay it to the recovered socket.
    chat.to('news').emit('news', 'missed');
    expect(await refused).toBe('refused');
    expect(mallory.seen.refusals).toEqual([expect.objectContaining({ status: 401 })]);
    chat.to('news').emit('news', 'after');
    // Bob, still in the room, is the clock: once he has it, so would Mallory.
    await until(bob.seen.events, 'news', 'after');
    await nextTurn();

    expect(bob.seen.events.filter(([name]) => name === 'news')).toEqual([
      ['news', 'missed'],
      ['news', 'after'],
    ]);
    expect(mallory.seen.events.filter(([name]) => name === 'news')).toEqual([]);
    // Not even on the wire, buffered by socket.io-client for a later connection.
    expect(JSON.stringify(mallory.seen.packets)).not.toMatch(/missed|after/);
    expect(mallory.client.connected).toBe(false);
  });

  it('with skipMiddlewares: false, a good client recovers its session, rooms and missed broadcasts', async () => {
    const { chat, connect, dropTransport } = await startServer({ connectionStateRecovery: { skipMiddlewares: false } });
    valid.set('alice-token', { name: 'alice' });
    const alice = connect(() => 'alice-token');
    expect(await alice.outcome()).toBe('connected');
    const firstId = alice.client.id;

    const back = alice.outcome();
    await dropTransport(alice.client);
    chat.to('news').emit('news', 'missed');
    expect(await back).toBe('connected');
    chat.to('news').emit('news', 'after');
    await until(alice.seen.events, 'news', 'after');

    expect(alice.client.recovered).toBe(true);
    expect(alice.client.id).toBe(firstId);
    expect(alice.seen.events.filter(([name]) => name === 'whoami')).toEqual([
      ['whoami', { user: { name: 'alice' }, data: { name: 'alice' }, recovered: false }],
      ['whoami', { user: { name: 'alice' }, data: { name: 'alice' }, recovered: true }],
    ]);
    expect(alice.seen.events.filter(([name]) => name === 'news')).toEqual([
      ['news', 'missed'],
      ['news', 'after'],
    ]);
  });

  it('with skipMiddlewares: false, a recovered socket that comes back without credentials on an optional namespace keeps no user', async () => {
    const logger = recordingLogger();
    const auth = createAuthCheckers<User>([ChatTokens], { logger });
    const httpServer = createServer();
    const io = new Server(httpServer, { connectionStateRecovery: { skipMiddlewares: false } });
    servers.push(io);
    const lobby = io.of('/lobby');
    lobby.use(auth.socketIo({ optional: true }));
    const gone = new Map<string, () => void>();
    lobby.on('connection', (socket) => {
      socket.on('disconnect', () => gone.get(socket.id)?.());
      socket.emit('whoami', { user: auth.currentUser(socket) ?? null, data: socket.data.user ?? null, recovered: socket.recovered });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;
    valid.set('carol-token', { name: 'carol' });
    let token: string | undefined = 'carol-token';
    const client = connectClient(`http://127.0.0.1:${port}/lobby`, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 20,
      auth: (cb) => cb(token === undefined ? {} : { token }),
    });
    clients.push(client);
    const whoami: unknown[] = [];
    const nextWhoami = () => new Promise((resolve) => client.once('whoami', (value) => resolve(whoami.push(value))));
    await nextWhoami();
    // Logged out: the next handshake carries no token.
    token = undefined;
    const disconnected = new Promise<void>((resolve) => gone.set(client.id!, resolve));
    const back = nextWhoami();
    client.io.engine.close();
    await disconnected;
    await back;
    expect(whoami).toEqual([
      { user: { name: 'carol' }, data: { name: 'carol' }, recovered: false },
      { user: null, data: null, recovered: true },
    ]);
  });

  it('puts the namespace into the audit events of handshakes', async () => {
    const events: AuthEvent[] = [];
    const { connect } = await startServer({}, recordingLogger(), events);
    valid.set('good', { name: 'alice' });
    expect(await connect(() => 'good').outcome()).toBe('connected');
    expect(await connect(() => 'bad').outcome()).toBe('refused');
    await nextTurn();
    expect(events).toMatchObject([
      { type: 'authenticated', namespace: '/chat', path: '/socket.io/' },
      { type: 'rejected', namespace: '/chat', status: 401 },
    ]);
  });
});
