import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Action } from 'routing-controllers';
import type { ConnectionView, RequestView } from '../authenticators/authenticator';
import type { HookRequest } from '../types';
import { attachAppLink, type AppLink } from '../internal/app-link';
import { rawBodyOf } from './raw-body';
import type { SocketIoSocketLike } from './socket-io-types';

/**
 * What `currentUser()` and `username()` accept: a routing-controllers Action, an Express (or plain
 * Node) request, a Koa context, or a Socket.IO socket.
 * @example
 * ```ts
 * const audit = (source: RequestSource, what: string) => log.info(`${auth.username(source) ?? 'anonymous'}: ${what}`);
 * ```
 */
export type RequestSource =
  | Action
  | IncomingMessage
  | {
      /** Node's request of a Koa context (or any object carrying one). */
      readonly req: IncomingMessage;
    }
  | SocketIoSocketLike;

interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl?: string;
  ip?: string;
  params?: unknown;
  request?: { rawBody?: unknown };
}

/** Where the framework keeps what it worked out about a request: Express `req`, Koa `ctx`. */
interface FrameworkRequest {
  /** Express `req.ip` / Koa `ctx.ip`, which honour the app's proxy settings. */
  readonly ip?: string;
  /** Express `req.params` / Koa `ctx.params`: set once the router matched a route. */
  readonly params?: unknown;
}

export type RouteParams = HookRequest['params'];

const NO_PARAMS: RouteParams = Object.freeze({});

/**
 * A frozen copy of the router's parameters: a hook must not change what the handler gets. Express
 * 5 gives a wildcard's segments as an array, joined here with "/" as they were in the path.
 */
export function routeParamsOf(params: unknown): RouteParams {
  if (params === null || typeof params !== 'object') return NO_PARAMS;
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') copy[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) copy[name] = value.join('/');
  }
  return Object.keys(copy).length === 0 ? NO_PARAMS : Object.freeze(copy);
}

/**
 * One request as the flow sees it, on either driver. A class rather than an object of closures:
 * it is built for every request, and its methods live once on the prototype.
 */
export class NodeRequestView implements RequestView {
  /** The routing-controllers action hooks are shown; guards have none. */
  action: Action | undefined = undefined;
  appLink: AppLink | undefined = undefined;
  #hookRequest: HookRequest | undefined = undefined;
  #connection: ConnectionView | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The request-target as received (Express `originalUrl`, Koa `ctx.originalUrl`). */
    readonly url: string,
    /** Upper-case: the method the router dispatched on (after any method override). */
    readonly method: string,
    /** Upper-case: the method on the request line, which Digest responses hash. */
    readonly requestLineMethod: string,
    // Read only when asked: the address when throttling or a hook wants it, params for hooks.
    private readonly framework: FrameworkRequest,
    /** Koa: `ctx.request.rawBody`, set by koa-bodyparser. */
    private readonly koaRawBody?: unknown,
  ) {}

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  get clientAddress(): string | undefined {
    return this.framework.ip ?? this.req.socket?.remoteAddress;
  }

  params(): RouteParams {
    return routeParamsOf(this.framework.params);
  }

  rawBody(): Promise<Uint8Array | undefined> {
    return rawBodyOf(this.req, this.koaRawBody);
  }

  fieldCount(name: string): number {
    return countFields(this.req.rawHeaders, name);
  }

  removeHeader(name: string): void {
    delete this.req.headers[name];
    // rawHeaders too: a handler that forwards the request may copy either.
    const raw = this.req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i].toLowerCase() === name) raw.splice(i, 2);
  }

  hookRequest(): HookRequest {
    return (this.#hookRequest ??= hookRequestOf(this, this.action, this.params()));
  }

  connection(): ConnectionView {
    return (this.#connection ??= connectionOf(this.req));
  }
}

/** What the socket under a request says of its peer; only a TLS socket has a certificate. */
export function connectionOf(req: IncomingMessage): ConnectionView {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  const peerAddress = socket?.remoteAddress;
  if (socket?.encrypted !== true || typeof socket.getPeerX509Certificate !== 'function') {
    return { peerAddress, certificate: undefined, authorized: false, authorizationError: undefined };
  }
  let certificate;
  try {
    certificate = socket.getPeerX509Certificate();
  } catch {
    certificate = undefined;
  }
  const error = socket.authorizationError as unknown;
  return {
    peerAddress,
    certificate,
    authorized: socket.authorized === true,
    authorizationError: error === undefined || error === null ? undefined : String((error as { code?: unknown }).code ?? error),
  };
}

/** How many times a header field was sent (Node keeps only the first of some, `Authorization` among them). */
export function countFields(rawHeaders: readonly string[] | undefined, name: string): number {
  let count = 0;
  if (rawHeaders) for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].length === name.length && rawHeaders[i].toLowerCase() === name) count++;
  return count;
}

/**
 * The read-only view hooks get of a request view. Frozen and free of the Node objects (except
 * through the action), so a hook can neither change what the flow reads nor reach the raw body
 * or the response.
 */
export function hookRequestOf(
  view: Pick<RequestView, 'method' | 'url' | 'header' | 'clientAddress' | 'appLink'>,
  action: Action | undefined,
  params: RouteParams = NO_PARAMS,
): HookRequest {
  const request: HookRequest = {
    method: view.method,
    url: view.url,
    header: (name: string) => (typeof name === 'string' ? view.header(name.toLowerCase()) : undefined),
    clientAddress: view.clientAddress,
    params,
    action,
  };
  return Object.freeze(attachAppLink(request, view.appLink));
}

/**
 * The per-request key behind any of the accepted shapes: the Node request. A Koa context and a
 * Koa request both have `.req`; an Action has `request` (and `context` on Koa); an Express
 * request is the Node request itself. A Socket.IO socket is its own key.
 */
export function nodeRequestOf(source: unknown): object | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const s = source as { req?: IncomingMessage; request?: unknown; response?: unknown; context?: unknown; handshake?: unknown };
  if (s.handshake && typeof s.handshake === 'object' && 'data' in s) return source;
  if (s.req && typeof s.req === 'object') return s.req;
  if ('request' in s && 'response' in s) return nodeRequestOf(s.context ?? s.request);
  return source as IncomingMessage;
}

/** Upper-case: the method the router dispatches on (after any method override). */
export function methodOf(req: IncomingMessage): string {
  return (req.method ?? 'GET').toUpperCase();
}

/** The request view of a Koa context. */
export function viewOfKoa(context: KoaLikeContext): NodeRequestView {
  const { req, res } = context;
  const method = methodOf(req);
  return new NodeRequestView(req, res, context.originalUrl ?? req.url ?? '/', method, method, context, context.request?.rawBody);
}

/** The request view of an Express request and response. */
export function viewOfExpress(req: IncomingMessage, res: ServerResponse): NodeRequestView {
  const r = req as IncomingMessage & { originalUrl?: string; ip?: string; originalMethod?: string };
  // Express's method-override middleware rewrites req.method and keeps the sent one in originalMethod.
  const method = methodOf(req);
  return new NodeRequestView(req, res, r.originalUrl ?? req.url ?? '/', method, r.originalMethod?.toUpperCase() ?? method, r);
}

/** The request view behind a routing-controllers Action on either driver. */
export function viewOfAction(action: Action): NodeRequestView {
  const context = action.context as KoaLikeContext | undefined;
  const view = context?.req ? viewOfKoa(context) : viewOfExpress(action.request as IncomingMessage, action.response as ServerResponse);
  view.action = action;
  return view;
}
