import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action } from 'routing-controllers';
import type { RequestView } from '../authenticators/authenticator';
import { rawBodyOf } from './raw-body';

/** What `currentUser()` accepts: a routing-controllers Action, an Express request or a Koa context. */
export type RequestSource = Action | IncomingMessage | { readonly req: IncomingMessage };

interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl?: string;
  ip?: string;
  request?: { rawBody?: unknown };
}

/** The pieces of one request the flow needs, on either driver. */
export interface RequestParts {
  req: IncomingMessage;
  res: ServerResponse;
  url: string;
  /**
   * Express `req.ip` / Koa `ctx.ip` honour the app's proxy settings; the socket is the fallback.
   * A function: the proxy rules are only worth evaluating when throttling asks.
   */
  address: () => string | undefined;
  /** The real method: Express's method-override keeps the sent one in `originalMethod`. */
  method: string;
  /** Koa: `ctx.request.rawBody`, set by koa-bodyparser. */
  koaRawBody?: unknown;
}

/**
 * The Node request behind any of the accepted shapes; it is the per-request key. A Koa context
 * and a Koa request both have `.req`; an Action has `request` (and `context` on Koa); an Express
 * request is the Node request itself.
 */
export function nodeRequestOf(source: unknown): IncomingMessage | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const s = source as { req?: IncomingMessage; request?: unknown; response?: unknown; context?: unknown };
  if (s.req && typeof s.req === 'object') return s.req;
  if ('request' in s && 'response' in s) return nodeRequestOf(s.context ?? s.request);
  return source as IncomingMessage;
}

/** The request parts of a Koa context. */
export function koaParts(context: KoaLikeContext): RequestParts {
  const { req, res } = context;
  return {
    req,
    res,
    url: context.originalUrl ?? req.url ?? '/',
    address: () => context.ip ?? req.socket?.remoteAddress,
    method: req.method ?? 'GET',
    koaRawBody: context.request?.rawBody,
  };
}

/** The request parts of an Express request and response. */
export function expressParts(req: IncomingMessage, res: ServerResponse): RequestParts {
  const r = req as IncomingMessage & { originalUrl?: string; ip?: string; originalMethod?: string };
  return {
    req,
    res,
    url: r.originalUrl ?? req.url ?? '/',
    address: () => r.ip ?? req.socket?.remoteAddress,
    method: r.originalMethod ?? req.method ?? 'GET',
  };
}

/** The request parts behind a routing-controllers Action on either driver. */
export function unwrapAction(action: Action): RequestParts {
  const context = action.context as KoaLikeContext | undefined;
  return context?.req ? koaParts(context) : expressParts(action.request as IncomingMessage, action.response as ServerResponse);
}

export function viewOf({ req, url, address, method, koaRawBody }: RequestParts): RequestView {
  return {
    method: method.toUpperCase(),
    url,
    get clientAddress() {
      return address();
    },
    rawBody: () => rawBodyOf(req, koaRawBody),
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
