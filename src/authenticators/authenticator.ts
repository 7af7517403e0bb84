import type { X509Certificate } from 'node:crypto';
import type { Credentials, HookRequest } from '../types';
import type { UsernameFilter } from '../internal/credential-cache';
import type { BearerError } from '../schemes/token';
import type { AuthenticationFailure } from '../errors';
import type { Steps } from '../internal/steps';
import type { AppLink } from '../internal/app-link';

/** The parts of a request an authenticator reads, whatever the framework. */
export interface RequestView {
  /**
   * Upper-case method the router dispatched on: after a method override (`X-HTTP-Method-Override`)
   * it is the overriding one, which chose the handler, so roles and the OPTIONS rule use it.
   */
  readonly method: string;
  /** Upper-case method on the request line as the client sent it; Digest's A2 hashes this one. */
  readonly requestLineMethod: string;
  /** The request-target as received (path and query). */
  readonly url: string;
  /** A header by lower-case name; repeated fields joined by ", " as Node does. */
  header(name: string): string | undefined;
  /**
   * How many fields of this lower-case name were sent: Node keeps only the first `Authorization`,
   * and a token scheme must refuse two rather than pick one. Absent where it cannot be told.
   */
  fieldCount?(name: string): number;
  /** The client's address as the framework reports it (Express `req.ip`, Koa `ctx.ip`). */
  readonly clientAddress: string | undefined;
  /** The raw body as sent (Digest auth-int); `undefined` when it can no longer be had. */
  rawBody(): Promise<Uint8Array | undefined>;
  /** The frozen view hooks get; built on first call, then the same object for the request. */
  hookRequest(): HookRequest;
  /** Set by the app deciding the request; the hook request carries it to password files. */
  appLink?: AppLink;
  /**
   * Removes a header from the request the handler will see (proxy credentials, once used);
   * absent where there is no such request (a Socket.IO handshake).
   */
  removeHeader?(name: string): void;
  /**
   * The connection as the TLS layer saw it (client certificates, mTLS); absent where there is no
   * Node socket to ask (a Socket.IO handshake).
   */
  connection?(): ConnectionView;
  /**
   * Socket.IO handshakes only: the namespace connected to. A handshake opens a connection that
   * acts for the user, so it counts as an unsafe request (RFC 9110 §9.2.1) whatever its method.
   */
  readonly namespace?: string;
}

/** The connection a request came on, as the TLS layer (not any header) reports it. */
export interface ConnectionView {
  /**
   * The address of the peer that opened the TCP connection: a proxy's, when there is one. Never
   * `X-Forwarded-For` nor the framework's `trust proxy` reading of it.
   */
  readonly peerAddress: string | undefined;
  /** The client certificate the TLS handshake received (an `https` server with `requestCert: true`). */
  readonly certificate: X509Certificate | undefined;
  /** Node's `socket.authorized`: the TLS layer verified that certificate against the server's `ca`. */
  readonly authorized: boolean;
  /** Why it did not (OpenSSL's code, e.g. `CERT_HAS_EXPIRED`). */
  readonly authorizationError: string | undefined;
}

/**
 * Whether a hook takes the request: it declares a parameter after its `before` ones (its
 * `length`, which `bind.ts` keeps). Hooks that do not declare it never cost the view, and are
 * called with exactly the arguments they had before the request was offered.
 */
export function wantsRequest(hook: ((...args: never[]) => unknown) | undefined, before: number): boolean {
  return hook !== undefined && hook.length > before;
}

/** Why a request was refused, as far as the challenge needs to know. */
export interface Refusal {
  readonly status: 400 | 401 | 403;
  readonly bearerError?: BearerError;
  /** Digest: the response was right but the nonce had expired (RFC 7616 §3.3 `stale=true`). */
  readonly stale?: boolean;
  /** Why, when a hook said so by throwing `AuthenticationFailure`. */
  readonly failure?: AuthenticationFailure;
  /** With `insufficient_scope`: the scopes the route needs (RFC 6750 §3's `scope` attribute). */
  readonly scope?: readonly string[];
  /**
   * Why, for audit events, when the status alone does not say it (400 is `'malformed'`, 401
   * `'bad-credentials'`, 403 `'role'`).
   */
  readonly reason?: RefusalReason;
  /** Response headers the refusal carries besides its challenge (DPoP's `DPoP-Nonce`). */
  readonly headers?: readonly (readonly [string, string])[];
}

/** The reasons the library itself gives for a refusal (see `AuthEvent`). */
export type RefusalReason = 'no-credentials' | 'malformed' | 'foreign-scheme' | 'bad-credentials' | 'stale-nonce' | 'replay' | 'role' | 'insufficient-scope' | 'cross-site';

export type Outcome =
  | {
      readonly kind: 'authenticated';
      /** What the verify hook returned (`true` included). */
      readonly verified: unknown;
      /** `undefined` when nothing was sent and the hook accepted an anonymous user. */
      readonly credentials: Credentials | undefined;
      /** Response headers to add on success (Digest's `Authentication-Info`). */
      readonly headers?: readonly (readonly [string, string])[];
    }
  /** Nothing was sent and the verify hook declined: allowed only on optional routes. */
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'rejected'; readonly refusal: Refusal };

/** Nothing was sent and the verify hook declined: one frozen object for every such request. */
export const ANONYMOUS_OUTCOME: Outcome = Object.freeze({ kind: 'anonymous' });

/** A refusal without per-request detail, made once (frozen) and returned for every such request. */
export const refusalOutcome = (refusal: Refusal): Outcome => Object.freeze({ kind: 'rejected', refusal: Object.freeze(refusal) });

/** Wrong credentials, for every scheme: the plain 401. */
export const BAD_CREDENTIALS = refusalOutcome({ status: 401 });

/** Credentials of the route's scheme that cannot be read at all. */
export const MALFORMED_CREDENTIALS = refusalOutcome({ status: 401, reason: 'malformed' });

/**
 * Flask-HTTPAuth's rule for what a verify hook returns: `null`, `undefined` and `false` refuse;
 * anything else (`''` and `0` included) is the user, and `true` means "valid, no user object".
 */
export function isAccepted(verified: unknown): boolean {
  return verified !== null && verified !== undefined && verified !== false;
}

/** One scheme bound to one auth-class instance: the seam Basic, Token and Digest share. */
export interface Authenticator {
  /** The scheme word as configured (`'Basic'`, `'Bearer'`, …): `Credentials.scheme` and audit events' `scheme`. */
  readonly scheme: string;
  /**
   * Proxy authentication (RFC 9110 §11.7): credentials in `Proxy-Authorization`, challenges in
   * `Proxy-Authenticate`, and 407 where an origin server would answer 401.
   */
  readonly proxy?: boolean;
  /** Whether the request carries credentials meant for this scheme (MultiAuth picks by this). */
  presents(request: RequestView): boolean;
  /** Steps of the flow (see internal/steps.ts): synchronous when the hooks it calls are. */
  authenticate(request: RequestView): Steps<Outcome>;
  /** `WWW-Authenticate` values for a refusal, strongest first. */
  challenges(refusal: Refusal, request: RequestView): string[] | Promise<string[]>;
  /**
   * The account the request claims, unverified: what throttling counts by. Digest resolves a
   * userhash through `@GetUsernameByHash` (so it may wait for that hook); unknown hashes stay as sent.
   */
  claimedUsername?(request: RequestView): string | undefined | PromiseLike<string | undefined>;
  /**
   * The username the request claims, unverified, for audit events: like `claimedUsername`, but
   * never a hash (Digest userhash). Token schemes have none.
   */
  auditUsername?(request: RequestView): string | undefined;
  /**
   * Whether these credentials can only be checked once the body was read (Digest auth-int, well
   * formed, on a member that offers it): the before-body check then leaves the request to the
   * authorization checker.
   */
  needsBody?(request: RequestView): boolean;
  /**
   * Whether the credentials the request carries are in the credential cache as verified: a
   * cheap, synchronous peek (no hook runs), so throttling lets them through without a slot.
   */
  knownGood?(request: RequestView): boolean;
  /** Forgets cached verified credentials: one user's, those whose username matches, or all. */
  clearCache?(which?: UsernameFilter): void;
  /**
   * Forgets what another instance's `clearCache` published over Redis, when the message is not a
   * username (`@IntrospectionAuth` publishes a token's digest, never the token).
   */
  clearPublished?(published?: string): void;
}
