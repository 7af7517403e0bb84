import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action } from 'routing-controllers';
import type { RequestView } from '../authenticators/authenticator';

/** What `currentUser()` accepts: a routing-controllers Action, an Express request or a Koa context. */
export type RequestSource = Action | IncomingMessage | { readonly req: IncomingMessage };

interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl?: string;
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

/** The Node request, response and original URL behind a routing-controllers Action on either driver. */
export function unwrapAction(action: Action): { req: IncomingMessage; res: ServerResponse; url: string } {
  const context = action.context as KoaLikeContext | undefined;
  if (context?.req) return { req: context.req, res: context.res, url: context.originalUrl ?? context.req.url ?? '/' };
  const req = action.request as IncomingMessage & { originalUrl?: string };
  return { req, res: action.response as ServerResponse, url: req.originalUrl ?? req.url ?? '/' };
}

export function viewOf(req: IncomingMessage, url: string): RequestView {
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
