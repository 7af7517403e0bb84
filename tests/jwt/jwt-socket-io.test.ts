/**
 * `@JwtAuth` on a Socket.IO handshake (issue 16 §1): the token from `handshake.auth.token` or the
 * `Authorization` header, verified like a request's, with scopes — real socket.io server, real
 * socket.io-client, as tests/integration/socket-io.test.ts does for the other schemes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { createAuthCheckers, JwtAuth, type AuthEvent, type JwtClaims, type LoginRequiredOptions, type SocketIoRefusal } from '../../src';
import { recordingLogger } from '../helpers';
import { socketIoCleanup } from '../socket-io-cleanup';
import { sleep } from '../keys/jwks-server';
import { accessClaims, AUDIENCE, ISSUER, makeKeys, publicJwk, signRaw } from '../schemes/jwt/tokens';

const keys = makeKeys();
const now = () => Math.floor(Date.now() / 1000);
const token = (extra: Record<string, unknown> = {}) => signRaw(keys.ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, accessClaims(now(), extra));

@JwtAuth({ issuer: ISSUER, audience: AUDIENCE, keys: [publicJwk(keys.ec.publicKey, 'k1', 'ES256')] as never, realm: 'chat', resource: 'https://api.example.test/chat' })
class ChatAuth {}

const METADATA = 'https://api.example.test/.well-known/oauth-protected-resource/chat';
type ClientOptions = Partial<ManagerOptions & SocketOptions>;
type Seen = { connected: true; user: { sub: string } | null } | { connected: false; data: SocketIoRefusal };

const { servers, clients } = socketIoCleanup();

async function start(options: LoginRequiredOptions | undefined, events: AuthEvent[] = []) {
  const auth = createAuthCheckers<JwtClaims>([ChatAuth], { logger: recordingLogger(), onEvent: (event) => void events.push(event) });
  const httpServer = createServer();
  const io = new Server(httpServer);
  servers.push(io);
  io.of('/chat').use(auth.socketIo(options));
  io.of('/chat').on('connection', (socket) => socket.emit('whoami', { user: auth.currentUser(socket) ? { sub: auth.currentUser(socket)!.sub } : null }));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return (clientOptions: ClientOptions) =>
    new Promise<Seen>((resolve) => {
      const client = connectClient(`http://127.0.0.1:${port}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true, ...clientOptions });
      clients.push(client);
      client.on('whoami', ({ user }) => resolve({ connected: true, user }));
      client.on('connect_error', (error) => resolve({ connected: false, data: (error as Error & { data: SocketIoRefusal }).data }));
    });
}

describe('@JwtAuth on a Socket.IO handshake', () => {
  const cases: [string, LoginRequiredOptions | undefined, () => ClientOptions, { sub: string } | null | Partial<SocketIoRefusal>][] = [
    ['a valid token as auth.token', undefined, () => ({ auth: { token: token() } }), { sub: 'client-1' }],
    ['a valid token in the Authorization header', undefined, () => ({ extraHeaders: { Authorization: `Bearer ${token()}` } }), { sub: 'client-1' }],
    ['no token', undefined, () => ({}), { status: 401, challenge: `Bearer realm="chat", resource_metadata="${METADATA}"` }],
    ['an expired token', undefined, () => ({ auth: { token: token({ exp: now() - 3600 }) } }), {
      status: 401,
      challenge: `Bearer realm="chat", error="invalid_token", error_description="the token has expired", resource_metadata="${METADATA}"`,
    }],
    ['a token for another audience', undefined, () => ({ auth: { token: token({ aud: 'https://other.example.test' }) } }), { status: 401 }],
    ['not a JWT', undefined, () => ({ auth: { token: 'not-a-jwt' } }), { status: 401 }],
    ['a token that is not a string', undefined, () => ({ auth: { token: 42 } }), { status: 400 }],
    ['a scope the token has', { scope: 'chat:join' }, () => ({ auth: { token: token({ scope: 'chat:join' }) } }), { sub: 'client-1' }],
    ['a scope the token lacks', { scope: 'chat:join' }, () => ({ auth: { token: token() } }), { status: 403, challenge: 'Bearer realm="chat", error="insufficient_scope", scope="chat:join"' }],
  ];

  it.each(cases)('%s', async (_name, options, clientOptions, expected) => {
    const connect = await start(options);
    const seen = await connect(clientOptions());
    if (expected === null || 'sub' in expected) {
      expect(seen).toEqual({ connected: true, user: expected });
    } else {
      expect(seen.connected).toBe(false);
      expect((seen as { data: SocketIoRefusal }).data).toMatchObject(expected);
    }
  });

  it('the header wins over auth.token, as for @TokenAuth', async () => {
    const connect = await start(undefined);
    expect(await connect({ extraHeaders: { Authorization: `Bearer ${token({ exp: now() - 3600 })}` }, auth: { token: token() } })).toMatchObject({ connected: false, data: { status: 401 } });
    expect(await connect({ extraHeaders: { Authorization: `Bearer ${token()}` }, auth: { token: 'garbage' } })).toEqual({ connected: true, user: { sub: 'client-1' } });
  });

  it('reports handshakes in audit events with the JWT reason code', async () => {
    const events: AuthEvent[] = [];
    const connect = await start(undefined, events);
    await connect({ auth: { token: token() } });
    await connect({ auth: { token: token({ exp: now() - 3600 }) } });
    await sleep(20);
    expect(events).toEqual([
      expect.objectContaining({ type: 'authenticated', kind: 'jwt', scheme: 'Bearer', namespace: '/chat' }),
      expect.objectContaining({ type: 'rejected', kind: 'jwt', scheme: 'Bearer', namespace: '/chat', status: 401, reason: 'expired' }),
    ]);
  });
});
