import type { HttpError } from 'routing-controllers';
import type { IncomingMessage } from 'node:http';
import type { ConnectionView, RequestView } from '../authenticators/authenticator';
import type { TokenConfig } from '../authenticators/token';
import { HttpAuthError } from '../errors';
import { isRefused, type HeaderTarget } from '../flow/decision';
import type { HookRequest, LoginRequiredOptions } from '../types';
import { settled } from '../internal/steps';
import type { Plan } from './plans';
import { connectionOf, countFields, hookRequestOf } from './request';
import { holdMissedPackets, recoveryMode, replayHeldPackets, SKIPS_MIDDLEWARES, takeHeldPackets } from './socket-io-recovery';
import type { AppCore } from './app-core';
import { errorBody } from './tags';
import type { SocketIoMiddleware, SocketIoRefusal, SocketIoSocketLike } from './socket-io-types';

/** Where the flow writes the challenge and `Retry-After` that a handshake cannot send as headers. */
class HeaderCollector implements HeaderTarget {
  private readonly headers = new Map<string, string>();

  setHeader(name: string, value: string | readonly string[]): this {
    this.headers.set(name.toLowerCase(), typeof value === 'string' ? value : value.join(', '));
    return this;
  }

  hasHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }

  get(name: string): string | undefined {
    return this.headers.get(name);
  }
}

const NO_CONNECTION: ConnectionView = Object.freeze({ peerAddress: undefined, certificate: undefined, authorized: false, authorizationError: undefined });

/**
 * The handshake as the flow sees a request. The socket itself, not the HTTP request, is `req`
 * (the key the user is recorded under): one engine connection carries a socket per namespace,
 * each with its own `auth`.
 */
class HandshakeView implements RequestView {
  readonly method = 'GET';
  readonly requestLineMethod = 'GET';

  constructor(
    readonly req: SocketIoSocketLike,
    readonly res: HeaderCollector,
    /** `auth.token` presented as the header the plan's token class reads. */
    private readonly synthesized: readonly [name: string, value: string] | undefined,
  ) {}

  get url(): string {
    return this.req.handshake.url;
  }

  get clientAddress(): string | undefined {
    return this.req.handshake.address;
  }

  get namespace(): string {
    return this.req.nsp?.name ?? '/';
  }

  header(name: string): string | undefined {
    const value = this.req.handshake.headers[name];
    if (value !== undefined) return Array.isArray(value) ? value.join(', ') : value;
    return this.synthesized?.[0] === name ? this.synthesized[1] : undefined;
  }

  fieldCount(name: string): number {
    const raw = (this.req.request as { rawHeaders?: string[] } | undefined)?.rawHeaders;
    return raw ? countFields(raw, name) : this.header(name) === undefined ? 0 : 1;
  }

  rawBody(): Promise<Uint8Array | undefined> {
    return Promise.resolve(undefined);
  }

  #hookRequest: HookRequest | undefined;
  #connection: ConnectionView | undefined;

  /** The TLS connection of the handshake's HTTP request (client certificates, mTLS). */
  connection(): ConnectionView {
    const request = this.req.request as IncomingMessage | undefined;
    return (this.#connection ??= request?.socket ? connectionOf(request) : NO_CONNECTION);
  }

  /** What a hook sees of the handshake; there is no routing-controllers action. */
  hookRequest(): HookRequest {
    return (this.#hookRequest ??= hookRequestOf(this, undefined));
  }
}

/**
 * Where `auth.token` goes: the header the plan's first token class reads, so that the class,
 * its cache and its throttle see it exactly as if it had been sent there. A plan without a
 * token class still gets it, as `Authorization: Bearer …`: credentials none of its classes can
 * read are refused (401) even where login is optional, as over HTTP.
 */
function tokenTarget(plan: Plan): { readonly header: string; readonly prefix: string } {
  // A @JwtAuth class reads `Authorization: Bearer` (or Proxy-Authorization) like a Bearer @TokenAuth.
  const member = plan.members.find((m) => m.meta.kind === 'token' || m.meta.kind === 'jwt');
  const config = member?.meta.config as Pick<TokenConfig, 'header' | 'proxy' | 'scheme'> | undefined;
  if (config?.header) return { header: config.header, prefix: '' };
  if (config?.proxy) return { header: 'proxy-authorization', prefix: `${config.scheme} ` };
  return { header: 'authorization', prefix: `${config?.scheme ?? 'Bearer'} ` };
}

/** `auth.token` as the header value, or nothing when a header already carries credentials. */
function synthesizedHeader(socket: SocketIoSocketLike, target: ReturnType<typeof tokenTarget>): readonly [string, string] | undefined {
  const { headers, auth } = socket.handshake;
  const token = auth?.token;
  // `null` is what `localStorage.getItem()` gives a logged-out browser: no credentials.
  if (token === undefined || token === null) return undefined;
  if (headers.authorization !== undefined || headers[target.header] !== undefined) return undefined;
  const malformedIn = target.header === 'proxy-authorization' ? target.header : 'authorization';
  // Anything but a usable string is malformed credentials: the scheme word alone, which the
  // token class (or, for a custom header class, the unreadable-Authorization rule) refuses.
  if (typeof token !== 'string' || token.trim() === '') return [malformedIn, target.prefix.trim() || 'Bearer'];
  return [target.header, target.prefix + token];
}

function refusal(error: HttpError, collected: HeaderCollector): Error {
  const status = error.httpCode || 500;
  const challenge = collected.get('www-authenticate') ?? collected.get('proxy-authenticate');
  const retryAfter = collected.get('retry-after');
  const data: SocketIoRefusal = {
    status,
    ...(challenge !== undefined ? { challenge } : {}),
    ...(retryAfter !== undefined ? { retryAfter: Number(retryAfter) } : {}),
    body: errorBody(error),
  };
  return Object.assign(new Error(error.message), { data });
}

export function socketIoIntegration(core: AppCore) {
  return {
    socketIo(options?: LoginRequiredOptions): SocketIoMiddleware {
      const where = 'auth.socketIo()';
      const plan = core.startupPlan(options, where);
      const digest = plan.members.find((m) => m.meta.kind === 'digest');
      if (digest) {
        throw new TypeError(
          `http-auth: ${where}: ${digest.meta.name} is a @DigestAuth class, and a Socket.IO handshake cannot answer a Digest challenge; name Basic or token classes instead, e.g. auth.socketIo({ auth: [ApiKeyAuth] })`,
        );
      }
      const target = tokenTarget(plan);
      return (socket, next) => {
        const collected = new HeaderCollector();
        // Seen at the first handshake at the latest, and refused at every one: fail closed.
        const recovery = recoveryMode(socket);
        if (recovery === 'skips-middlewares') return next(refusal(core.misconfigured(SKIPS_MIDDLEWARES), collected));
        if (recovery === 'checked') holdMissedPackets(socket);
        const held = socket.recovered ? takeHeldPackets(socket) : undefined;
        const view = new HandshakeView(socket, collected, synthesizedHeader(socket, target));
        // run() turns anything a hook throws into a refusal (the generic 500).
        settled(
          () => core.run(plan, { request: socket.request, response: collected }, view),
          (decision) => {
            if (isRefused(decision)) return next(refusal(decision.refused, collected));
            const data = socket.data as { user?: unknown };
            if (decision.hasUser) data.user = decision.user;
            // A recovered socket's data is its old session's: the user it held then is gone.
            else if (socket.recovered) delete data.user;
            replayHeldPackets(socket, held);
            next();
          },
          // run() answers refusals and hook failures itself; only a bug in the library gets here,
          // and the client learns nothing of it.
          () => next(refusal(new HttpAuthError(500, 'ERR_HTTP_AUTH_INTERNAL', 'internal server error'), collected)),
        );
      };
    },
  };
}
