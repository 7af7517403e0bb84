/**
 * Socket.IO connection-state recovery (`new Server({ connectionStateRecovery })`, socket.io ≥ 4.6)
 * brings a socket back after a transport drop: same id, same rooms, same `data`, and the packets it
 * missed. Two things in it would let a client whose access was revoked while it was away back in:
 *
 * - with `skipMiddlewares: true`, socket.io's default, no middleware runs for a recovered socket,
 *   so `auth.socketIo()` is never asked: such a server is refused, every handshake of it;
 * - with `skipMiddlewares: false` the middleware runs, but socket.io has already written the
 *   missed packets to the connection before it (in the `Socket` constructor): they are held back
 *   here until the middleware admitted the socket, and dropped when it refused it.
 *
 * Read through casts: these are socket.io's internals as of 4.6–4.8, not its typed API.
 */

interface RecoveryOptions {
  readonly skipMiddlewares?: unknown;
}

interface SessionLike {
  readonly data?: unknown;
  readonly missedPackets?: readonly unknown[];
}

interface AdapterLike {
  restoreSession?: (pid: string, offset: string) => unknown;
  [WRAPPED]?: true;
}

interface NamespaceLike {
  readonly adapter?: AdapterLike;
  readonly server?: { readonly opts?: { readonly connectionStateRecovery?: RecoveryOptions } };
}

interface RecoverableSocket {
  readonly nsp?: NamespaceLike;
  readonly recovered?: boolean;
  readonly data?: unknown;
  /** socket.io's own writer of one packet (private in its typings). */
  readonly packet?: (packet: { type: number; data: unknown }) => void;
}

const WRAPPED = Symbol('http-auth: missed packets held until the handshake is authenticated');
const HELD = Symbol('http-auth: missed packets of a recovered socket');

// socket.io-parser's PacketType.EVENT: what socket.io itself replays missed packets as.
const EVENT = 2;

/** What the server's options say: recovery off, on with middlewares run, or on and skipping them. */
export type RecoveryMode = 'off' | 'checked' | 'skips-middlewares';

export function recoveryMode(socket: object): RecoveryMode {
  const options = (socket as RecoverableSocket).nsp?.server?.opts?.connectionStateRecovery;
  if (!options) return 'off';
  // socket.io fills in `skipMiddlewares: true` when the option is left out.
  return options.skipMiddlewares === false ? 'checked' : 'skips-middlewares';
}

export const SKIPS_MIDDLEWARES =
  "auth.socketIo(): the Socket.IO server has connectionStateRecovery with skipMiddlewares: true (socket.io's default), so a recovered connection would skip authentication; create it with connectionStateRecovery: { skipMiddlewares: false } (every handshake is refused until then)";

/**
 * Makes the namespace's adapter keep a restored session's missed packets to itself: they travel
 * with the session's `data` object (so they go away with the socket whatever happens to it) until
 * {@link takeHeldPackets}. Once per adapter; an adapter without sessions is left alone.
 */
export function holdMissedPackets(socket: object): void {
  const adapter = (socket as RecoverableSocket).nsp?.adapter;
  if (!adapter || adapter[WRAPPED] || typeof adapter.restoreSession !== 'function') return;
  const restore = adapter.restoreSession;
  adapter.restoreSession = function restoreSessionHoldingMissedPackets(this: AdapterLike, pid: string, offset: string) {
    return Promise.resolve(restore.call(this, pid, offset)).then((session) => {
      const s = session as SessionLike | null | undefined;
      if (!s || !Array.isArray(s.missedPackets) || s.missedPackets.length === 0) return session;
      // Data that cannot carry them (frozen, not an object) loses the missed packets: never sent unchecked.
      if (typeof s.data === 'object' && s.data !== null && Object.isExtensible(s.data)) {
        Object.defineProperty(s.data, HELD, { value: s.missedPackets, configurable: true, enumerable: false });
      }
      return { ...s, missedPackets: [] };
    });
  };
  adapter[WRAPPED] = true;
}

/** The missed packets held for a recovered socket, removed from it. */
export function takeHeldPackets(socket: object): readonly unknown[] | undefined {
  const data = (socket as RecoverableSocket).data as { [HELD]?: readonly unknown[] } | undefined;
  if (typeof data !== 'object' || data === null || !(HELD in data)) return undefined;
  const packets = data[HELD];
  delete data[HELD];
  return packets;
}

/**
 * Sends the held packets, as socket.io would have: before the CONNECT packet, which socket.io
 * writes after the middlewares, so socket.io-client delivers them once connected.
 */
export function replayHeldPackets(socket: object, packets: readonly unknown[] | undefined): void {
  const { packet } = socket as RecoverableSocket;
  if (!packets || typeof packet !== 'function') return;
  for (const data of packets) packet.call(socket, { type: EVENT, data });
}
