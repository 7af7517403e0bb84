import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action } from 'routing-controllers';
import type { RequestView } from '../authenticators/authenticator';
import type { HookRequest } from '../types';
import { attachAppLink, type AppLink } from '../internal/app-link';
import { rawBodyOf } from './raw-body';
import type { SocketIoSocketLike } from './socket-io';

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
  request?: { rawBody?: unknown };
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

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The request-target as received (Express `originalUrl`, Koa `ctx.originalUrl`). */
    readonly url: string,
    /** Upper-case: the method the router dispatched on (after any method override). */
    readonly method: string,
    /** Upper-case: the method on the request line, which Digest responses hash. */
    readonly requestLineMethod: string,
    // Express `req.ip` / Koa `ctx.ip` honour the app's proxy settings; read only when throttling asks.
    private readonly ipSource: { readonly ip?: string },
    /** Koa: `ctx.request.rawBody`, set by koa-bodyparser. */
    private readonly koaRawBody?: unknown,
  ) {}

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  get clientAddress(): string | undefined {
    return this.ipSource.ip ?? this.req.socket?.remoteAddress;
  }

  rawBody(): Promise<Uint8Array | undefined> {
    return rawBodyOf(this.req, this.koaRawBody);
  }

  removeHeader(name: string): void {
    delete this.req.headers[name];
    // rawHeaders too: a handler that forwards the request may copy either.
    const raw = this.req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i].toLowerCase() === name) raw.splice(i, 2);
  }

  hookRequest(): HookRequest {
    return (this.#hookRequest ??= hookRequestOf(this, this.action));
  }
}

/**
 * The read-only view hooks get of a request view. Frozen and free of the Node objects (except
 * through the action), so a hook can neither change what the flow reads nor reach the raw body
 * or the response.
 */
export function hookRequestOf(view: Pick<RequestView, 'method' | 'url' | 'header' | 'clientAddress' | 'appLink'>, action: Action | undefined): HookRequest {
  const request: HookRequest = {
    method: view.method,
    url: view.url,
    header: (name: string) => (typeof name === 'string' ? view.header(name.toLowerCase()) : undefined),
    clientAddress: view.clientAddress,
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
