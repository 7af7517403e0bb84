/**
 * Issue 17 §2 on Socket.IO: the handshake of a socket.io server on an `https` server with
 * `requestCert: true` carries the connection's client certificate to `@ClientCertAuth` and to
 * `@JwtAuth({ mtlsBound })`; socket.io-client connects with `cert`/`key` (openssl-made, temp dir).
 */
import { generateKeyPairSync, type X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { ClientCertAuth, createAuthCheckers, JwtAuth, VerifyCertificate, type LoginRequiredOptions, type SocketIoRefusal } from '../../src';
import { recordingLogger } from '../helpers';
import { socketIoCleanup } from '../socket-io-cleanup';
import { accessClaims, AUDIENCE, ISSUER, publicJwk, signRaw } from '../schemes/jwt/tokens';
import { commonName, makePki, type ClientName } from './certs';

const pki = makePki();
afterAll(() => pki.remove());

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const boundToken = (to: ClientName) =>
  signRaw(signingKey.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' }, accessClaims(Math.floor(Date.now() / 1000), { cnf: { 'x5t#S256': pki.clients[to].thumbprint } }));

@ClientCertAuth()
class DeviceAuth {
  @VerifyCertificate() verify(cert: X509Certificate) {
    const cn = commonName(cert);
    return cn === 'alice' || cn === 'bob' ? { name: cn } : null;
  }
}

@JwtAuth({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [publicJwk(signingKey.publicKey, 'ec-1', 'ES256')] } as never, algorithms: ['ES256'], mtlsBound: 'required' })
class BoundApi {}

const { servers, clients } = socketIoCleanup();

type Seen = { connected: true; user: unknown } | { connected: false; data: SocketIoRefusal };

async function handshake(namespace: LoginRequiredOptions, client: ClientName | undefined, token?: string): Promise<Seen> {
  const auth = createAuthCheckers([DeviceAuth, BoundApi], { logger: recordingLogger() });
  const https = createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca, requestCert: true, rejectUnauthorized: false });
  const io = new Server(https);
  servers.push(io);
  io.of('/live').use(auth.socketIo(namespace)).on('connection', (socket) => socket.emit('whoami', auth.currentUser(socket) ?? null));
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const { port } = https.address() as AddressInfo;
  const socket = connectClient(`https://127.0.0.1:${port}/live`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ca: pki.ca,
    ...(client ? { cert: pki.clients[client].cert, key: pki.clients[client].key } : {}),
    ...(token ? { auth: { token } } : {}),
  });
  clients.push(socket);
  return new Promise<Seen>((resolve) => {
    socket.on('whoami', (user) => resolve({ connected: true, user }));
    socket.on('connect_error', (error) => resolve({ connected: false, data: (error as Error & { data: SocketIoRefusal }).data }));
  });
}

describe('Socket.IO handshakes over TLS', () => {
  it.each([
    ['@ClientCertAuth: no certificate', { auth: DeviceAuth }, undefined, undefined, { connected: false, data: { status: 401 } }],
    ['@ClientCertAuth: a certificate of another CA', { auth: DeviceAuth }, 'otherCa', undefined, { connected: false, data: { status: 401 } }],
    ['@ClientCertAuth: an expired certificate', { auth: DeviceAuth }, 'expired', undefined, { connected: false, data: { status: 401 } }],
    ['control: @ClientCertAuth with a certificate of the CA', { auth: DeviceAuth }, 'alice', undefined, { connected: true, user: { name: 'alice' } }],
    ['bound token without a certificate', { auth: BoundApi }, undefined, boundToken('alice'), { connected: false, data: { status: 401 } }],
    ['bound token with another certificate', { auth: BoundApi }, 'bob', boundToken('alice'), { connected: false, data: { status: 401 } }],
    ['control: bound token with its certificate', { auth: BoundApi }, 'alice', boundToken('alice'), { connected: true, user: expect.objectContaining({ sub: 'client-1' }) }],
  ] as const)('%s', async (_name, namespace, client, token, expected) => {
    expect(await handshake(namespace as LoginRequiredOptions, client, token)).toMatchObject(expected);
  });
});
