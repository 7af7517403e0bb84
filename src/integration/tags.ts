import type { IncomingMessage } from 'node:http';
import type { HttpError } from 'routing-controllers';

/**
 * Per-request facts of one app, under symbols private to it: invisible to Object.keys and JSON, so
 * nothing leaks into bodies. A WeakMap keyed by every request would only be emptied by full
 * garbage collections, and under load its tables grow into hundreds of megabytes.
 */
export function createTags<Admitter extends object>() {
  // One property per request: adding properties to an Express request is not free.
  const state = Symbol('http-auth: request');
  const answered = Symbol('http-auth: answered');
  type Tagged = Record<symbol, unknown>;
  type RequestState = { user: unknown; username: string | undefined; admittedBy: Admitter | undefined; admittedMethod: string | undefined };
  // Express keeps a dictionary object per response (res.locals), where a new key costs little;
  // Express's request objects are slow to grow. Elsewhere (Koa) the request itself holds it.
  // A request, or a Socket.IO socket (its user is per socket, not per handshake request).
  const holderOf = (req: object): Tagged =>
    ((req as IncomingMessage & { res?: { locals?: Tagged } }).res?.locals ?? req) as unknown as Tagged;
  const peek = (req: object) => holderOf(req)[state] as RequestState | undefined;
  const stateOf = (req: object): RequestState => {
    const holder = holderOf(req);
    return ((holder[state] as RequestState | undefined) ??= { user: undefined, username: undefined, admittedBy: undefined, admittedMethod: undefined });
  };
  return {
    setUser: (req: object, value: unknown, username: string | undefined) => {
      const s = stateOf(req);
      s.user = value;
      s.username = username;
    },
    user: (req: object) => peek(req)?.user,
    username: (req: object) => peek(req)?.username,
    /** Records which requirement admitted the request before its body was read, for which method. */
    markAdmittedEarly: (req: IncomingMessage, by: Admitter, method: string) => {
      const s = stateOf(req);
      s.admittedBy = by;
      s.admittedMethod = method;
    },
    /**
     * Whether that early admission holds for this requirement and method: a middleware of the
     * action may have changed the method since (per-method roles), and then it is decided again.
     */
    admittedEarlyFor: (req: IncomingMessage, by: Admitter, method: string) => {
      const s = peek(req);
      return s !== undefined && s.admittedBy === by && s.admittedMethod === method;
    },
    markAnswered: (error: object) => ((error as Tagged)[answered] = true),
    answered: (error: object) => (error as Tagged)[answered] === true,
  };
}

export type Tags<Admitter extends object> = ReturnType<typeof createTags<Admitter>>;

/** The body of an answered error: an HttpAuthError's `toJSON()`, else its name and message. */
export function errorBody(error: HttpError): unknown {
  const withJson = error as HttpError & { toJSON?: () => unknown };
  return typeof withJson.toJSON === 'function' ? withJson.toJSON() : { name: error.name, message: error.message };
}
