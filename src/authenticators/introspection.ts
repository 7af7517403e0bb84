import { AuthenticationFailure } from '../errors';
import { unavailableError } from '../internal/answer-hints';
import type { Steps } from '../internal/steps';
import { createIntrospectionClient, IntrospectionUnavailable } from '../keys/introspection-client';
import { introspectionDescription, MAX_TOKEN_LENGTH, tokenDigest, type IntrospectionCheck, type IntrospectionReasonCode } from '../schemes/introspection';
import { resourceMetadataUrl } from '../schemes/resource-metadata';
import type { HookRequest, JwtClaims } from '../types';
import type { JsonObject } from '../schemes/jwt/compact';
import { ANONYMOUS_OUTCOME, isAccepted, refusalOutcome, wantsRequest, type Authenticator, type Outcome, type Refusal, type RequestView } from './authenticator';
import type { IntrospectionConfig } from './introspection-options';
import type { JwtContext } from './jwt';
import { createDpopStep } from './jwt-dpop';
import { createCertificateBinding } from './jwt-mtls';
import { createTokenReader, MALFORMED, oauthBearerChallenges, REFUSED_BY_HOOK, SENT_TWICE } from './token-reader';

type VerifyClaims = (claims: JwtClaims, request?: HookRequest) => unknown;
type ResponseHeaders = readonly (readonly [string, string])[];

const REFUSALS = new Map<IntrospectionReasonCode, Outcome>();
/** The frozen 401 (400 for a token too large) of a reason code, its description as the failure's message. */
function refusalFor(code: IntrospectionReasonCode): Outcome {
  let outcome = REFUSALS.get(code);
  if (!outcome) {
    const tooLarge = code === 'token_too_large';
    outcome = refusalOutcome({
      status: tooLarge ? 400 : 401,
      bearerError: tooLarge ? 'invalid_request' : 'invalid_token',
      failure: new AuthenticationFailure(introspectionDescription(code), { code }),
    });
    REFUSALS.set(code, outcome);
  }
  return outcome;
}

/**
 * `@IntrospectionAuth`: opaque access tokens in `Authorization: Bearer` (or, with `dpop`,
 * `Authorization: DPoP` and a proof), checked at the authorization server's introspection endpoint
 * (RFC 7662) through `keys/introspection-client.ts` (deadline, single flight, cache). A bound
 * answer (`cnf`) then meets the binding checks of `@JwtAuth` on every request, cached or not — the
 * proof and the certificate belong to the request, not to the token — and only then does
 * `@VerifyClaims` turn the response into the user. An endpoint that is down, slow or answers
 * nonsense is a 503 with one log line, never an admission.
 */
export function createIntrospectionAuthenticator(config: IntrospectionConfig, verifyClaims: VerifyClaims | undefined, context: JwtContext): Authenticator {
  const { realm } = config;
  const client = createIntrospectionClient({
    endpoint: config.endpoint,
    auth: config.auth,
    policy: {
      issuers: config.issuers,
      audiences: config.audiences,
      clockTolerance: config.clockTolerance,
      checksBinding: Object.freeze({ jkt: config.dpop !== undefined, 'x5t#S256': config.mtlsBound !== undefined }),
    },
    timeoutMs: config.timeoutMs,
    maxBytes: config.maxBytes,
    cache: config.cache,
    now: context.now,
    fetch: context.fetch,
  });
  const reader = createTokenReader({ scheme: 'Bearer', proxy: false });
  const claimsWantRequest = wantsRequest(verifyClaims, 1);
  const resourceMetadata = config.resource === undefined ? undefined : resourceMetadataUrl(config.resource);
  const retryAfterSeconds = Math.max(1, Math.ceil(config.timeoutMs / 1000));
  const now = context.now ?? Date.now;
  const certificateBinding = createCertificateBinding(config.mtlsBound, config.mtlsFrom, context.logWarn);
  // DPoP (RFC 9449): the step of @JwtAuth (jwt-dpop.ts), with its proof, replay and nonce checks.
  const dpop = config.dpop && createDpopStep(config.dpop, { now, tolerance: config.clockTolerance, resourceMetadata, logError: context.logError });

  /** The 503 of an outage, with one (rate-limited) log line that names the endpoint, never the token. */
  const unavailable = (error: unknown): never => {
    if (!(error instanceof IntrospectionUnavailable)) throw error;
    context.logError('introspection-failed', `the introspection endpoint ${config.endpoint} ${error.message}; bearer tokens are refused with 503 until it answers`);
    throw unavailableError({ reason: 'introspection_unavailable', retryAfterSeconds });
  };

  function* admitted(answer: IntrospectionCheck, token: string, scheme: 'DPoP' | 'Bearer', request: RequestView): Steps<Outcome> {
    if (!answer.ok) return refusalFor(answer.code);
    const claims = answer.claims as unknown as JwtClaims;
    // RFC 8705 §3 and RFC 9449 §7: a bound token away from its certificate or key never reaches a hook.
    const unbound = certificateBinding(claims, request);
    if (unbound) return unbound;
    let headers: ResponseHeaders | undefined;
    if (dpop) {
      const confirmed = (yield* dpop.confirm(request, token, claims as JsonObject, scheme)) as Outcome | ResponseHeaders;
      if (!Array.isArray(confirmed)) return confirmed as Outcome;
      if (confirmed.length > 0) headers = confirmed as ResponseHeaders;
    }
    let user: unknown = claims;
    if (verifyClaims) {
      const verified = yield claimsWantRequest ? verifyClaims(claims, request.hookRequest()) : verifyClaims(claims);
      if (!isAccepted(verified)) return REFUSED_BY_HOOK;
      user = verified === true ? claims : verified;
    }
    return { kind: 'authenticated', verified: user, credentials: { scheme, token, claims, scopes: answer.scopes }, ...(headers ? { headers } : {}) };
  }

  /** The token and the scheme it came in: `Bearer`, or `DPoP` (RFC 9449 §7.1) when the class checks proofs. */
  const sentToken = (request: RequestView): { readonly token: string | null; readonly scheme: 'DPoP' | 'Bearer' } | undefined => {
    const dpopToken = dpop?.token(request);
    if (dpopToken !== undefined) return { token: dpopToken, scheme: 'DPoP' };
    const sent = reader.read(request);
    return sent && { token: sent.token, scheme: 'Bearer' };
  };

  function* authentication(request: RequestView): Steps<Outcome> {
    // Node keeps only the first Authorization field: the second must not go unnoticed.
    if ((request.fieldCount?.('authorization') ?? 0) > 1) return dpop ? dpop.sentTwice : SENT_TWICE;
    const sent = sentToken(request);
    if (sent === undefined) return ANONYMOUS_OUTCOME;
    const { token, scheme } = sent;
    if (token === null) return dpop && scheme === 'DPoP' ? dpop.malformed : MALFORMED;
    // dpop: 'required' refuses a bearer token before it costs an introspection.
    if (scheme === 'Bearer' && dpop?.notDpop) return dpop.notDpop;
    // Never sent on: a 10 KB "token" costs the authorization server nothing.
    if (token.length > MAX_TOKEN_LENGTH) return refusalFor('token_too_large');
    let answer: IntrospectionCheck;
    try {
      // A cached answer comes back synchronously; a rejection is thrown in here at the yield.
      answer = (yield client.introspect(token)) as IntrospectionCheck;
    } catch (error) {
      return unavailable(error);
    }
    return yield* admitted(answer, token, scheme, request);
  }

  const bearerChallenges = oauthBearerChallenges(realm, resourceMetadata);

  return {
    scheme: 'Bearer',
    presents: (request) => sentToken(request) !== undefined,
    authenticate: authentication,
    challenges: (refusal: Refusal, request: RequestView) => (dpop ? dpop.challenges(refusal, request, bearerChallenges) : bearerChallenges(refusal)),
    // `auth.clearCache(token)`: a string is a token here; anything else forgets every answer.
    clearCache: (which) => client.clear(typeof which === 'string' ? tokenDigest(which) : undefined),
    clearPublished: (digest) => client.clear(digest),
  };
}
