import type { IncomingHttpHeaders } from 'node:http';

/** The Socket.IO shapes the library uses: structural, so that it never loads socket.io. */

/**
 * A Socket.IO server-side socket, as far as `auth.socketIo()` and `auth.currentUser(socket)` need
 * one. Structural, so that the library never loads socket.io: any socket.io 4 `Socket` fits.
 * @example
 * io.on('connection', (socket) => socket.emit('hello', auth.currentUser(socket)?.name));
 */
export interface SocketIoSocketLike {
  /** The handshake: where the credentials come from. */
  readonly handshake: {
    /** Its HTTP headers: `Authorization`, or a token class's custom header. */
    readonly headers: IncomingHttpHeaders;
    /** The request-target of the handshake (a query-parameter token is read from it). */
    readonly url: string;
    /** The client's address, which throttling counts by. */
    readonly address?: string;
    /** What the client passed as `io(url, { auth })`. */
    readonly auth?: { readonly [key: string]: unknown };
  };
  /** Where the user is put, as `socket.data.user`. */
  readonly data: object;
  /** The HTTP request of the handshake: the `request` of the `Action` an `@ErrorHandler` gets. */
  readonly request?: unknown;
  /** The namespace connected to: audit events name it. */
  readonly nsp?: {
    /** Its name, e.g. `'/chat'`. */
    readonly name: string;
  };
  /** socket.io's connection-state recovery brought this socket back: it is authenticated again. */
  readonly recovered?: boolean;
}

/**
 * What `io.use()` / `io.of(name).use()` takes: `auth.socketIo(options)` returns one.
 * @example
 * io.of('/admin').use(auth.socketIo({ role: 'admin' }));
 */
export type SocketIoMiddleware = (socket: SocketIoSocketLike, next: (error?: Error) => void) => void;

/**
 * The `data` of the `Error` a refused connection gets (socket.io-client's `connect_error`).
 * @example
 * socket.on('connect_error', (error) => {
 *   const { status, challenge } = (error as Error & { data: SocketIoRefusal }).data;
 * });
 */
export interface SocketIoRefusal {
  /** What the HTTP answer would have been: 400, 401, 403, 407 (a proxy class), 429 or 500. */
  readonly status: number;
  /** The `WWW-Authenticate` value(s) an HTTP client would have got, comma-separated. */
  readonly challenge?: string;
  /** With 429: seconds until the client may try again (the HTTP answer's `Retry-After`). */
  readonly retryAfter?: number;
  /** The body an HTTP client would have got: an `@ErrorHandler`'s value, else `{ name, message, code }`. */
  readonly body: unknown;
}
