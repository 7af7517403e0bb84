/**
 * DPoP on a Socket.IO handshake (docs/sender-constrained-tokens.md#socketio): a handshake has no
 * request URL a proof could name, so `Authorization: DPoP` is refused there, and a DPoP-bound token
 * sent as a bearer token is refused as on HTTP; an unbound token still connects. Real socket.io
 * server and client.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Server } from 'socket.io';
import { io as connectClient, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { createAuthCheckers, JwtAuth, type JwtClaims, type SocketIoRefusal } from '../../src';
import { accessTokenHash, jwkThumbprint } from '../../src/schemes/dpop';
import { recordingLogger } from '../helpers';
import { socketIoCleanup } from '../socket-io-cleanup';
import { accessClaims, AUDIENCE, ISSUER, makeKeys, publicJwk, signRaw } from '../schemes/jwt/tokens';

const keys = makeKeys();
const dpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWK = dpopKey.publicKey.export({ format: 'jwk' });
const now = () => Math.floor(Date.now() / 1000);
const token = (extra: Record<string, unknown> = {}) => signRaw(keys.ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'k1' }, accessClaims(now(), extra));
const bound = () => token({ cnf: { jkt: jwkThumbprint(JWK) } });

@JwtAuth({ issuer: ISSUER, audience: AUDIENCE, keys: [publicJwk(keys.ec.publicKey, 'k1', 'ES256')] as never, realm: 'chat', resource: 'https://api.example.test/chat', dpop: 'allowed', dpopAlgorithms: ['ES256'] })
class ChatAuth {}

type ClientOptions = Partial<ManagerOptions & SocketOptions>;
type Seen = { connected: true } | { connected: false; data: SocketIoRefusal };

const { servers, clients } = socketIoCleanup();

async function start() {
  const auth = createAuthCheckers<JwtClaims>([ChatAuth], { logger: recordingLogger() });
  const httpServer = createServer();
  const io = new Server(httpServer);
  servers.push(io);
  io.of('/chat').use(auth.socketIo());
  io.of('/chat').on('connection', (socket) => socket.emit('ok'));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return (clientOptions: ClientOptions) =>
    new Promise<Seen>((resolve) => {
      const client = connectClient(`http://127.0.0.1:${port}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true, ...clientOptions });
      clients.push(client);
      client.on('ok', () => resolve({ connected: true }));
      client.on('connect_error', (error) => resolve({ connected: false, data: (error as Error & { data: SocketIoRefusal }).data }));
    });
}

describe('DPoP on a Socket.IO handshake', () => {
  it('an unbound token connects (control)', async () => {
    expect(await (await start())({ auth: { token: token() } })).toEqual({ connected: true });
  });

  it('a DPoP-bound token as auth.token is refused (it would be a bearer token)', async () => {
    const seen = await (await start())({ auth: { token: bound() } });
    expect(seen).toMatchObject({ connected: false, data: { status: 401 } });
    expect((seen as { data: SocketIoRefusal }).data.challenge).toContain('error_description="the token is DPoP-bound; send it with the DPoP scheme and a proof"');
  });

  it('Authorization: DPoP with a proof is refused on a handshake', async () => {
    const t = bound();
    const proof = signRaw(dpopKey.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk: JWK }, { jti: randomBytes(8).toString('hex'), htm: 'GET', htu: 'https://api.example.test/socket.io/', iat: now(), ath: accessTokenHash(t) });
    const seen = await (await start())({ extraHeaders: { Authorization: `DPoP ${t}`, DPoP: proof } });
    expect(seen).toMatchObject({ connected: false, data: { status: 401 } });
    expect((seen as { data: SocketIoRefusal }).data.challenge).toContain('DPoP error="invalid_token", error_description="a Socket.IO handshake cannot carry a DPoP proof", algs="ES256"');
  });
});
