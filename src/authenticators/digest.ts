import { isPromiseLike, type Steps } from '../internal/steps';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import {
  buildAuthenticationInfo,
  buildDigestChallenge,
  computeDigestResponse,
  isChallengeValue,
  computeHa1,
  computeRspauth,
  digestHash,
  type DigestAlgorithm,
} from '../schemes/digest';
import { parseDigestCredentials, type DigestCredentials } from '../schemes/digest-credentials';
import { createNonceSigner, createOpaque, randomSecret } from '../schemes/digest-nonce';
import { MemoryNonceStore } from '../stores/memory-nonce-store';
import type { NonceStore } from '../stores/nonce-store';
import type { Awaitable, HookRequest } from '../types';
import { ANONYMOUS_OUTCOME, BAD_CREDENTIALS, MALFORMED_CREDENTIALS, refusalOutcome, wantsRequest, type Authenticator, type Outcome, type RequestView } from './authenticator';
import { readAuthorization } from './basic';
import { unavailableError } from '../internal/answer-hints';

import type { DigestConfig } from './digest-options';

export { resolveDigestOptions, type DigestAlgorithmName, type DigestAuthOptions, type DigestConfig } from './digest-options';

export interface DigestHooks {
  /** `(username, algorithm, request?)` → the password, or HA1 for that algorithm with `useHa1Password`. */
  readonly getPassword: (username: string, algorithm: DigestAlgorithm, request?: HookRequest) => Awaitable<string | null | undefined>;
  readonly getUsernameByHash?: (userhash: string, algorithm: DigestAlgorithm) => Awaitable<string | null | undefined>;
  readonly generateNonce?: () => Awaitable<string>;
  readonly verifyNonce?: (nonce: string) => unknown;
  readonly generateOpaque?: () => Awaitable<string>;
  readonly verifyOpaque?: (opaque: string) => unknown;
}

/** Everything a Digest authenticator needs from its app: per-app secret, store, raw body, logger. */
export interface DigestRuntime {
  readonly secret: string | Uint8Array;
  readonly store: NonceStore;
  /** Rate-limited per kind by the caller. */
  readonly logError: (kind: string, message: string) => void;
  /** The generic 500 for a hook that broke its contract, logged once by the caller. */
  readonly misconfigured: (message: string) => Error;
  /** `Class.method (@Decorator)` of a hook, for those messages. */
  readonly describeHook: (kind: 'generateNonce' | 'verifyNonce' | 'generateOpaque') => string;
}

// Epoch ms of 2001-09-09: a smaller number from @VerifyNonce is a count or epoch seconds, not an
// expiry, and taking it as one would turn every nonce stale.
const EARLIEST_EXPIRY_MS = 1e12;

/**
 * What `@VerifyNonce` said: not ours, or ours until an expiry (`Infinity` when it gave none).
 * `true` (any other truthy value) has no end; a `Date` or epoch ms is the nonce's fixed expiry.
 */
function nonceExpiry(verdict: unknown, where: () => string, runtime: DigestRuntime): number | undefined {
  if (typeof verdict === 'number' || verdict instanceof Date) {
    const ms = typeof verdict === 'number' ? verdict : verdict.getTime();
    if (ms === Infinity || (Number.isFinite(ms) && ms >= EARLIEST_EXPIRY_MS)) return ms;
    // The value stays out of the message: it is logged once per distinct message.
    const what = typeof verdict === 'number' ? 'a number that is not an expiry in epoch milliseconds (epoch seconds?)' : 'an invalid Date';
    throw runtime.misconfigured(`${where()} returned ${what}; return true or false, or the nonce's expiry as a Date or in epoch milliseconds`);
  }
  return verdict ? Infinity : undefined;
}

// RFC 7616 §3.4.6: a request-target mismatch (and, from the parser, both username and username*) is a bad request.
const BAD_REQUEST = refusalOutcome({ status: 400 });
// RFC 7616 §3.3: stale=true lets the client retry with a new nonce without asking the user again.
const STALE_NONCE = refusalOutcome({ status: 401, stale: true, reason: 'stale-nonce' });
const REPLAYED = refusalOutcome({ status: 401, stale: true, reason: 'replay' });

export function defaultDigestRuntimeParts(config: DigestConfig): { secret: string | Uint8Array; store: NonceStore } {
  return { secret: config.secret ?? randomSecret(), store: config.store ?? new MemoryNonceStore() };
}

export function createDigestAuthenticator(config: DigestConfig, hooks: DigestHooks, runtime: DigestRuntime): Authenticator {
  const { scheme, realm, proxy } = config;
  const infoHeader = proxy ? 'Proxy-Authentication-Info' : 'Authentication-Info';
  const signer = createNonceSigner(runtime.secret, config.nonceLifetime);
  const defaultOpaque = createOpaque(runtime.secret);

  /** A custom value goes into a quoted-string and comes back in every request: qdtext only. */
  const custom = async (kind: 'generateNonce' | 'generateOpaque', hook: () => Awaitable<string>): Promise<string> => {
    const value: unknown = await hook();
    if (typeof value === 'string' && isChallengeValue(value)) return value;
    const what = typeof value === 'string' ? (value === '' ? 'an empty string' : 'a string with characters a quoted-string cannot carry') : `${value === null ? 'null' : typeof value}`;
    throw runtime.misconfigured(`${runtime.describeHook(kind)} returned ${what}; return a non-empty string of printable ASCII without " or \\ (e.g. randomBytes(16).toString('hex'))`);
  };
  const generateNonce = async () => (hooks.generateNonce ? custom('generateNonce', hooks.generateNonce) : signer.generate());
  const generateOpaque = async () => (hooks.generateOpaque ? custom('generateOpaque', hooks.generateOpaque) : defaultOpaque);

  /**
   * Checks the nonce: valid until its expiry, expired (stale), or unknown. A custom nonce lives as
   * long as its hook says: its replay record is kept that long, and without an expiry until the
   * store's bound evicts it, never for a lifetime counted from its first use.
   */
  function* checkNonce(nonce: string): Steps<{ state: 'valid' | 'stale' | 'invalid'; expiresAt: number }> {
    if (hooks.verifyNonce) {
      const expiresAt = nonceExpiry(yield hooks.verifyNonce(nonce), () => runtime.describeHook('verifyNonce'), runtime);
      if (expiresAt === undefined) return { state: 'invalid', expiresAt: 0 };
      return { state: expiresAt > Date.now() ? 'valid' : 'stale', expiresAt };
    }
    const check = signer.verify(nonce);
    const state = check.valid ? 'valid' : check.stale ? 'stale' : 'invalid';
    return { state, expiresAt: check.expiresAt ?? 0 };
  }

  function* checkOpaque(opaque: string | undefined): Steps<boolean> {
    if (opaque === undefined) return false;
    return hooks.verifyOpaque ? Boolean(yield hooks.verifyOpaque(opaque)) : timingSafeEqual(opaque, defaultOpaque);
  }

  const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(\/[^#]*)?$/;
  const uriMatches = (uri: string, request: RequestView): boolean => {
    if (uri === request.url) return true;
    const uriAbsolute = ABSOLUTE.exec(uri);
    const targetAbsolute = ABSOLUTE.exec(request.url);
    // Both absolute (a client talking to a forward proxy) but different: another host or path.
    if (uriAbsolute && targetAbsolute) return false;
    // RFC 7616 §3.4.6 allows the absolute form a client sends through a proxy.
    if (uriAbsolute) return (uriAbsolute[1] ?? '/') === request.url;
    // A forward proxy gets the absolute form in the request line, and curl's --proxy-digest
    // still hashes the origin form (path and query).
    return targetAbsolute !== null && (targetAbsolute[1] ?? '/') === uri;
  };


  const parse = (request: RequestView): DigestCredentials | undefined | null | 400 => {
    const sent = readAuthorization(request, scheme, proxy);
    if (!sent.present) return null;
    if (sent.malformed) return undefined;
    const result = parseDigestCredentials(sent.rest);
    if (result.ok) return result.credentials;
    return result.status === 400 ? 400 : undefined;
  };

  const getWantsRequest = wantsRequest(hooks.getPassword, 2);

  // Throttling resolves a userhash before it takes a slot, and the check needs the same name:
  // one @GetUsernameByHash call per request (its value, or its promise), whichever asks first.
  const byHash = new WeakMap<RequestView, unknown>();
  const usernameByHash = (credentials: DigestCredentials, request: RequestView): unknown => {
    if (byHash.has(request)) return byHash.get(request);
    const answer = hooks.getUsernameByHash?.(credentials.username, credentials.algorithm);
    byHash.set(request, answer);
    return answer;
  };

  /** The stored base HA1 for the credentials, or a stand-in so unknown users cost the same. */
  function* lookupHa1(credentials: DigestCredentials, request: RequestView): Steps<{ ha1: string; known: boolean; username: string }> {
    let username = credentials.username as unknown;
    if (credentials.usernameIsHash) username = yield usernameByHash(credentials, request);
    const { getPassword } = hooks;
    const stored =
      typeof username === 'string'
        ? yield getWantsRequest ? getPassword(username, credentials.algorithm, request.hookRequest()) : getPassword(username, credentials.algorithm)
        : undefined;
    const known = typeof username === 'string' && typeof stored === 'string';
    const name = typeof username === 'string' ? username : '';
    const secret = known ? stored : '';
    const ha1 = config.useHa1Password && known ? secret.toLowerCase() : computeHa1(credentials.algorithm, name, realm, secret);
    return { ha1, known, username: name };
  }

  return {
    scheme,
    proxy,
    presents: (request) => readAuthorization(request, scheme, proxy).present,

    // Only a class that offers auth-int ever waits for the body; the others are not even asked.
    needsBody: config.qop?.includes('auth-int')
      ? (request) => {
          const parsed = parse(request);
          return typeof parsed === 'object' && parsed !== null && parsed.qop === 'auth-int';
        }
      : undefined,

    claimedUsername(request) {
      const parsed = parse(request);
      if (!parsed || parsed === 400) return undefined;
      // The same account whatever algorithm hashed its name (username* is already decoded).
      if (!parsed.usernameIsHash || !hooks.getUsernameByHash || !config.userhash) return parsed.username;
      const name = (resolved: unknown) => (typeof resolved === 'string' && resolved !== '' ? resolved : parsed.username);
      const answer = usernameByHash(parsed, request);
      return isPromiseLike(answer) ? Promise.resolve(answer).then(name) : name(answer);
    },

    auditUsername(request) {
      const parsed = parse(request);
      return parsed && parsed !== 400 && !parsed.usernameIsHash ? parsed.username : undefined;
    },

    authenticate: authentication,

    challenges(refusal) {
      const build = (nonce: string, opaque: string) =>
        config.algorithms.map((algorithm) =>
          buildDigestChallenge({ scheme, realm, qop: config.qop, algorithm, nonce, opaque, stale: refusal.stale, charset: config.charset, userhash: config.userhash }),
        );
      if (!hooks.generateNonce && !hooks.generateOpaque) return build(signer.generate(), defaultOpaque);
      return Promise.all([generateNonce(), generateOpaque()]).then(([nonce, opaque]) => build(nonce, opaque));
    },
  };

  function* authentication(request: RequestView): Steps<Outcome> {
    const credentials = parse(request);
    if (credentials === null) return ANONYMOUS_OUTCOME;
    if (credentials === 400) return BAD_REQUEST;
    if (!credentials) return MALFORMED_CREDENTIALS;
    const { algorithm, qop, nonce } = credentials;

    // RFC 7616 §3.4.6: a request-target mismatch is a bad request, not bad credentials.
    if (!uriMatches(credentials.uri, request)) return BAD_REQUEST;
    if (credentials.realm !== realm) return BAD_CREDENTIALS;
    if (!config.algorithms.includes(algorithm)) return BAD_CREDENTIALS;
    if (config.qop === null ? qop !== undefined : qop === undefined || !config.qop.includes(qop)) return BAD_CREDENTIALS;
    if (credentials.usernameIsHash && !config.userhash) return BAD_CREDENTIALS;
    if (!(yield* checkOpaque(credentials.opaque))) return BAD_CREDENTIALS;
    const nonceState = yield* checkNonce(nonce);
    if (nonceState.state === 'invalid') return BAD_CREDENTIALS;

    let bodyHash: string | undefined;
    if (qop === 'auth-int') {
      const body = (yield request.rawBody()) as Uint8Array | undefined;
      if (!body) {
        runtime.logError('auth-int-body', 'a Digest auth-int request arrived, but its raw body could not be captured; see docs/digest.md#auth-int');
        return BAD_CREDENTIALS;
      }
      bodyHash = digestHash(algorithm, body);
    }

    const { ha1, known, username } = yield* lookupHa1(credentials, request);
    const expected = computeDigestResponse({ algorithm, ha1, nonce, nc: credentials.nc, cnonce: credentials.cnonce, qop, method: request.requestLineMethod, uri: credentials.uri, bodyHash });
    if (!timingSafeEqual(credentials.response, expected) || !known) return BAD_CREDENTIALS;
    // RFC 7616 §3.3: stale=true only for a correct response to an expired nonce, so clients
    // retry with the new nonce without asking the user again.
    if (nonceState.state === 'stale') return STALE_NONCE;

    let fresh: boolean;
    try {
      fresh = (yield runtime.store.use(nonce, qop ? credentials.nc! : credentials.response, nonceState.expiresAt)) as boolean;
    } catch (error) {
      runtime.logError('nonce-store', `the Digest nonce store failed (${error instanceof Error ? error.message : String(error)}); refusing Digest requests with 503 until it recovers`);
      throw unavailableError();
    }
    // A replayed (nonce, nc): the client may retry on a fresh nonce without asking the user.
    if (!fresh) return REPLAYED;

    // rspauth for auth-int would need the hash of a response body not yet written (RFC 7616 §3.5).
    // Near the end of its life the client is handed its next nonce.
    const nextnonce = !hooks.generateNonce && signer.expiresSoon(nonceState.expiresAt) ? signer.generate() : undefined;
    const info = qop
      ? buildAuthenticationInfo({
          rspauth: qop === 'auth' ? computeRspauth({ algorithm, ha1, nonce, nc: credentials.nc, cnonce: credentials.cnonce, qop, uri: credentials.uri }) : undefined,
          qop,
          cnonce: credentials.cnonce,
          nc: credentials.nc,
          nextnonce,
        })
      : nextnonce && buildAuthenticationInfo({ nextnonce });
    return { kind: 'authenticated', verified: true, credentials: { scheme, username }, headers: info ? [[infoHeader, info]] : [] };
  }
}
