import type { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';

/** Disconnects a client and waits until its engine connection is closed, so that nothing outlives the test. */
export function closeClient(client: ClientSocket): Promise<void> {
  const engine = client.io.engine;
  return new Promise<void>((resolve) => {
    if (!engine || engine.readyState === 'closed') resolve();
    else engine.once('close', () => resolve());
    client.disconnect();
  });
}

/**
 * The servers and clients a Socket.IO test opens: after each test (an `afterEach` registered in the
 * calling `describe`, or at the top level), every client is disconnected and waited for, then every
 * server closed. `also` runs first (a test file's own reset).
 */
export function socketIoCleanup(also?: () => void): { servers: Server[]; clients: ClientSocket[] } {
  const servers: Server[] = [];
  const clients: ClientSocket[] = [];
  afterEach(async () => {
    also?.();
    await Promise.all(clients.splice(0).map(closeClient));
    await Promise.all(servers.splice(0).map((io) => new Promise<void>((resolve) => io.close(() => resolve()))));
  });
  return { servers, clients };
}
