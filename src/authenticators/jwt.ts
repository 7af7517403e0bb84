import { AuthenticationFailure } from '../errors';
import { unavailableError } from '../internal/answer-hints';
import { cacheScope, CredentialCache } from '../internal/credential-cache';
import { isPromiseLike, runSteps, type Steps } from '../internal/steps';
import { createKeySource } from '../keys/key-source';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import type { JsonObject } from '../schemes/jwt/compact';
import type { JwtRefusal } from '../schemes/jwt/refusals';
import { createJwtVerifier, type JwtVerification } from '../schemes/jwt/verify';
import type { HookRequest, JwtClaims } from '../types';
import { ANONYMOUS_OUTCOME, isAccepted, refusalOutcome, wantsRequest, type Authenticator, type Outcome, type Refusal, type RequestView } from './authenticator';
import { credentialsHeader } from './basic';
import type { JwtConfig } from './jwt-options';
import { resourceMetadataUrl } from '../schemes/resource-metadata';
import { createTokenReader, CROSS_SITE, MALFORMED, oauthBearerChallenges, REFUSED_BY_HOOK, SENT_TWICE, type TokenSource } from './token-reader';
import { csrfRefusal, needsCsrfHeader } from './jwt-csrf';
import { createCertificateBinding } from './jwt-mtls';
import { createDpopStep, dpopBindingUnchecked } from './jwt-dpop';
import { boundThumbprint } from '../schemes/dpop';
import { confirmationState } from '../schemes/confirmation';

/** What a `@JwtAuth` class may use of its app: rate-limited log lines with fixed kinds. */
export interface JwtContext {
  logError(kind: string, message: string): void;
  logWarn(kind: string, message: string): void;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

type VerifyClaims = (claims: JwtClaims, request?: HookRequest) => unknown;

/** A verified token as the flow needs it again on a cache hit. */
interface Verified {
  /** `@VerifyClaims`'s answer, or `AFTER_PROOF` for a DPoP-bound token (its hook waits for the request's proof). */
  readonly user: unknown;
  readonly claims: JwtClaims;
  readonly scopes: readonly string[];
  /** The key that verified it, looked up again on every cache hit (see `stillKeyed`). */
  readonly kid: string | undefined;
  readonly alg: JwsAlgorithm;
}

/** A DPoP-bound token's user: `@VerifyClaims` runs once the request's proof held, on every request. */
const AFTER_PROOF = Symbol('after the DPoP proof');

const BOUND_UNCHECKED = refusalOutcome({
  status: 401,
  bearerError: 'invalid_token',
  failure: new AuthenticationFailure('the token is bound to a key (cnf) that this resource cannot check', { code: 'bound_token_not_accepted' }),
});
const BINDING_INVALID = refusalOutcome({
  status: 401,
  bearerError: 'invalid_token',
  failure: new AuthenticationFailure("the token's key binding (cnf) is malformed", { code: 'binding_invalid' }),
});
const EVERY_CHECKED_METHOD = Object.freeze({ jkt: true, 'x5t#S256': true });

/**
 * RFC 7800: a token bound by a method neither `dpop` nor `mtlsBound` checks (`cnf.jwk`,
 * `cnf.kid`, …), or with a `cnf` that is not an object naming a method, is no bearer token either.
 * (`jkt` and `x5t#S256` are refused, when unchecked, with their own codes.)
 */
function foreignBinding(claims: JsonObject): Outcome | undefined {
  const state = confirmationState(claims, EVERY_CHECKED_METHOD);
  return state === 'unchecked' ? BOUND_UNCHECKED : state === 'invalid' ? BINDING_INVALID : undefined;
}

const REVOKED = refusalOutcome({
  status: 401,
  bearerError: 'invalid_token',
  failure: new AuthenticationFailure('the token has been revoked', { code: 'revoked' }),
});


/**
 * `@JwtAuth`: OAuth 2.0 JWT access tokens (RFC 9068) in `Authorization: Bearer`, a query
 * parameter or a cookie, verified strictly by `schemes/jwt/verify.ts` against the class's keys;
 * `@VerifyClaims` then turns the claims into the user. Every refusal carries its reason code as an
 * `AuthenticationFailure`, for `@ErrorHandler`, the challenge's `error_description` and audit events.
 */
export function createJwtAuthenticator(config: JwtConfig, verifyClaims: VerifyClaims | undefined, context: JwtContext): Authenticator {
  const { realm } = config;
  const now = context.now ?? Date.now;
  const cache = config.cache && new CredentialCache(config.cache);
  const keys = createKeySource(config, {
    now,
    fetch: context.fetch,
    log: (kind, message) => (kind === 'keys-fetch-failed' ? context.logError(kind, message) : context.logWarn(kind, message)),
    // A removed key may have been compromised: nothing it verified is served from the cache.
    onKeysRemoved: () => cache?.clear(),
  });
  const verifyToken = createJwtVerifier(config, keys, now);
  const reader = createTokenReader(config);
  const claimsWantRequest = wantsRequest(verifyClaims, 1);
  const resourceMetadata = config.resource === undefined ? undefined : resourceMetadataUrl(config.resource);
  const authorizationHeader = credentialsHeader(config.proxy);
  const certificateBinding = createCertificateBinding(config.mtlsBound, config.mtlsFrom, context.logWarn);
  // DPoP (RFC 9449): the proof, binding, replay and nonce step, in jwt-dpop.ts.
  const dpop = config.dpop && createDpopStep(config.dpop, { now, tolerance: config.clockTolerance, resourceMetadata, logError: context.logError });
  // No key can be had: a client should come back once a fetch may be tried again, not log in
  // anew; audit events name the JWT reason code, not the generic store-unavailable.
  const retryAfterSeconds = Math.max(1, Math.ceil((config.keys.kind === 'jwksUri' || config.keys.kind === 'discovery' ? config.keys.jwks.unknownKidIntervalMs : 1000) / 1000));
  const unavailable = () =>
    unavailableError({ reason: 'keys_unavailable', retryAfterSeconds });

  /** A refusal of the verifier, as the flow answers it: its code and text travel as an AuthenticationFailure. */
  const refused = (refusal: JwtRefusal): Outcome => {
    if (refusal.code === 'keys_unavailable') throw unavailable();
    if (refusal.code === 'typ_not_allowed' && refusal.detail !== undefined) {
      // detail names the typ (reduced to safe characters) and the option to set.
      context.logWarn('typ', `refused an access token: ${refusal.detail}`);
    }
    return {
      kind: 'rejected',
      refusal: {
        status: refusal.status,
        bearerError: refusal.error,
        failure: new AuthenticationFailure(refusal.description, { code: refusal.code }),
      },
    };
  };

  /** With `issuedBy`: refused when its issuer revoked it (a store outage throws the 503). */
  function* revocation(claims: JwtClaims): Steps<Outcome | undefined> {
    if (!config.issuedBy) return undefined;
    const state = yield config.issuedBy.checkAccessToken(claims);
    return state === 'active' ? undefined : REVOKED;
  }

  /** The claims as the user: `@VerifyClaims`'s answer (`true`: the claims themselves), else the claims. */
  function* userOf(claims: JwtClaims, request: RequestView): Steps<unknown> {
    if (!verifyClaims) return claims;
    const verified = yield claimsWantRequest ? verifyClaims(claims, request.hookRequest()) : verifyClaims(claims);
    return verified === true ? claims : verified;
  }

  function* verified(token: string, request: RequestView): Steps<Verified | Outcome> {
    const result = (yield verifyToken(token)) as JwtVerification;
    if (!result.ok) return refused(result);
    const claims = result.claims as JsonObject as JwtClaims;
    // RFC 8705 §3: a certificate-bound token away from its certificate never reaches a hook.
    const unbound = certificateBinding(claims, request) ?? foreignBinding(claims as JsonObject) ?? (dpop ? undefined : dpopBindingUnchecked(claims as JsonObject));
    if (unbound) return unbound;
    // Before @VerifyClaims: a revoked token never reaches the app's own checks.
    const revoked = yield* revocation(claims);
    if (revoked) return revoked;
    // A proof belongs to one request, and this verification may be shared by several (the cache's
    // single flight): the hook of a DPoP-bound token runs after each request's own proof instead.
    if (dpop && boundThumbprint(claims as JsonObject) !== undefined) {
      return { user: AFTER_PROOF, claims, scopes: result.scopes, kid: result.header.kid as string | undefined, alg: result.header.alg as JwsAlgorithm };
    }
    const user = yield* userOf(claims, request);
    if (!isAccepted(user)) return REFUSED_BY_HOOK;
    return { user, claims, scopes: result.scopes, kid: result.header.kid as string | undefined, alg: result.header.alg as JwsAlgorithm };
  }

  /**
   * Whether a cached token's key is still one the issuer publishes. The lookup is what a verification
   * would make: synchronous for a known key, and it starts the refresh of a key set past its
   * `max-age`, so an app serving only cached tokens still learns of a removed key (whose removal
   * then clears the cache). A key the current set no longer has is a miss: verified in full.
   */
  const stillKeyed = (entry: Verified): boolean => {
    const found = keys.keysFor(entry.claims.iss, entry.kid, entry.alg);
    return isPromiseLike(found) ? false : typeof found !== 'string';
  };

  function* authentication(request: RequestView): Steps<Outcome> {
    // Node keeps only the first Authorization field: the second must not go unnoticed.
    if ((request.fieldCount?.(authorizationHeader) ?? 0) > 1) return dpop ? dpop.sentTwice : SENT_TWICE;
    const sources = reader.sources(request);
    // ── DPoP: `Authorization: DPoP <token>` is one more way to send the token (RFC 9449 §7.1).
    const dpopToken = dpop?.token(request);
    if (dpopToken !== undefined) {
      if (sources.some((s) => s.source !== 'cookie')) return dpop!.sentTwice;
      if (dpopToken === null) return dpop!.malformed;
    }
    if (sources.length === 0 && dpopToken === undefined) return ANONYMOUS_OUTCOME;
    // RFC 6750 §2: one method per request. A cookie is ambient (the browser adds it), so the
    // header wins over it rather than making the request malformed.
    if (sources.filter((s) => s.source !== 'cookie').length > 1) return dpop ? dpop.sentTwice : SENT_TWICE;
    const scheme = typeof dpopToken === 'string' ? 'DPoP' : 'Bearer';
    // dpop: 'required' refuses any other scheme before the token costs a verification.
    if (scheme === 'Bearer' && dpop?.notDpop) return dpop.notDpop;
    const sent: { readonly token: string | null; readonly source: TokenSource } = typeof dpopToken === 'string' ? { token: dpopToken, source: 'authorization' } : sources[0];
    // ──
    const token = sent.token;
    if (sent.source === 'cookie') {
      // With double-submit, the echoed CSRF value is the proof of origin for unsafe methods.
      if (config.csrf && needsCsrfHeader(request)) {
        const refusal = token === null ? MALFORMED : csrfRefusal(request, token);
        if (refusal) return refusal;
      } else if (!reader.cookieUsable(request)) return CROSS_SITE;
    }
    if (token === null) return MALFORMED;
    let entry: Verified | Outcome;
    if (cache) {
      const key = cache.keyFor('', token, cacheScope(config.cache!, () => request.hookRequest()));
      const hit = cache.hit(key) as { verified: Verified } | undefined;
      if (hit && stillKeyed(hit.verified)) {
        // Revocation is checked on every request, cached or not: it takes effect at once.
        const revoked = yield* revocation(hit.verified.claims);
        entry = revoked ?? hit.verified;
      } else {
        entry = (yield cache.verify(key, () => runVerified(token, request), isVerified, untilExpiry, hit !== undefined)) as Verified | Outcome;
      }
    } else {
      entry = yield* verified(token, request);
    }
    if (!isVerified(entry)) return entry;
    // The binding is to this connection, not to the token: checked again for a cache hit, or for a
    // request that shared another's verification of the same token (the cache's single flight).
    const unbound = cache && certificateBinding(entry.claims, request);
    if (unbound) return unbound;
    // ── DPoP: the proof and the token's binding (or, as Bearer, that the token is not bound).
    const confirmed = dpop ? ((yield* dpop.confirm(request, token, entry.claims as JsonObject, scheme)) as Outcome | readonly (readonly [string, string])[]) : undefined;
    if (confirmed !== undefined && !Array.isArray(confirmed)) return confirmed as Outcome;
    const dpopHeaders = confirmed as readonly (readonly [string, string])[] | undefined;
    let user = entry.user;
    if (user === AFTER_PROOF) {
      user = yield* userOf(entry.claims, request);
      if (!isAccepted(user)) return REFUSED_BY_HOOK;
    }
    const headers = dpopHeaders?.length ? [...(reader.headersFor(sent.source) ?? []), ...dpopHeaders] : reader.headersFor(sent.source);
    // ──
    return {
      kind: 'authenticated',
      verified: user,
      credentials: { scheme, token, claims: entry.claims, scopes: entry.scopes },
      headers,
    };
  }

  // The cache calls a function returning a value or a promise; the steps run to their end there.
  const runVerified = (token: string, request: RequestView): unknown => runSteps(verified(token, request));

  /** A cached verification never outlives the token: `exp` caps the cache's own `ttl`. */
  const untilExpiry = (entry: unknown): number => Math.floor((entry as Verified).claims.exp * 1000 - now());

  const bearerChallenges = oauthBearerChallenges(realm, resourceMetadata);

  return {
    scheme: 'Bearer',
    proxy: config.proxy,
    presents: (request) => reader.read(request) !== undefined || dpop?.token(request) !== undefined,
    authenticate: authentication,
    challenges(refusal: Refusal, request: RequestView) {
      return dpop ? dpop.challenges(refusal, request, bearerChallenges) : bearerChallenges(refusal);
    },
    knownGood(request) {
      const token = cache && reader.read(request)?.token;
      return typeof token === 'string' && cache!.has(cache!.keyFor('', token, cacheScope(config.cache!, () => request.hookRequest())));
    },
    clearCache: () => cache?.clear(),
  };
}

const isVerified = (entry: unknown): entry is Verified => (entry as Partial<Outcome>).kind === undefined;

