import { AuthenticationFailure } from '../errors';
import { unavailableError } from '../internal/answer-hints';
import type { Steps } from '../internal/steps';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import { createNonceSigner, randomSecret, type NonceSigner } from '../schemes/digest-nonce';
import {
  boundThumbprint,
  checkProof,
  dpopChallenge,
  dpopDescription,
  dpopError,
  nonceKey,
  replayKey,
  requestHtu,
  type DpopReasonCode,
} from '../schemes/dpop';
import type { JsonObject } from '../schemes/jwt/compact';
import { MemoryNonceStore } from '../stores/memory-nonce-store';
import type { NonceStore } from '../stores/nonce-store';
import { refusalOutcome, type Outcome, type Refusal, type RequestView } from './authenticator';
import { splitAuthorization } from '../schemes/authorization';
import type { DpopConfig } from './jwt-dpop-options';

/**
 * The DPoP step of `@JwtAuth` and `@IntrospectionAuth` (RFC 9449): which scheme a request used,
 * the proof and the token's binding to it, the proof's replay record, the server nonces, and the
 * challenges. `jwt.ts` and `introspection.ts` call it at three points: reading the token, after the
 * token verified (or the endpoint answered), and when they write challenges.
 */
export interface DpopStep {
  /** The token of `Authorization: DPoP <token>`: `undefined` when the field names another scheme or none, `null` when empty. */
  token(request: RequestView): string | null | undefined;
  /** Two `Authorization` fields, or a token in two ways: 400 with the RFC's text (§7.2, Figure 19). */
  readonly sentTwice: Outcome;
  /** `Authorization: DPoP` without a token. */
  readonly malformed: Outcome;
  /** `dpop: 'required'`: a token sent any other way than `DPoP` is refused before it is verified. */
  readonly notDpop: Outcome | undefined;
  /**
   * After the token verified: with the `DPoP` scheme, the proof, the `cnf.jkt` binding, the server
   * nonce and the replay record; with another, §7.2 (a bound token is no bearer token). Answers a
   * refusal, or the headers a success carries (a fresh `DPoP-Nonce`). A store that fails throws
   * the 503.
   */
  confirm(request: RequestView, token: string, claims: JsonObject, scheme: 'DPoP' | 'Bearer'): Steps<Outcome | ResponseHeaders>;
  /** The challenges of a refusal: `Bearer` (from `bearer`) and `DPoP`, or `DPoP` alone with `'required'`. */
  challenges(refusal: Refusal, request: RequestView, bearer: (refusal: Refusal) => string[]): string[];
}

type ResponseHeaders = readonly (readonly [string, string])[];

export interface DpopContext {
  readonly now: () => number;
  /** Seconds of clock skew (`clockTolerance`). */
  readonly tolerance: number;
  /** RFC 9728 metadata URL, for the challenge when there is no `Bearer` one. */
  readonly resourceMetadata?: string;
  logError(kind: string, message: string): void;
}

// RFC 9449 §7.2, Figure 19.
const MULTIPLE_METHODS = 'Multiple methods used to include access token';

// One replay record per proof: a `jti` is accepted once, as the first use of a nonce is.
const FIRST_USE = '00000001';

let processSecret: Buffer | undefined;

const NO_HEADERS: ResponseHeaders = Object.freeze([]);

const DPOP_NOT_CHECKED = refusalOutcome({
  status: 401,
  bearerError: 'invalid_token',
  failure: new AuthenticationFailure('the token is bound to a DPoP key, which this resource does not check', { code: 'dpop_bound_token_not_accepted' }),
});

/**
 * For a class without `dpop`: a DPoP-bound token (`cnf.jkt`) is refused, as a certificate-bound one
 * is without `mtlsBound` — fail closed, so that a stolen sender-constrained token never becomes a
 * bearer token again where the app forgot to turn the check on.
 */
export function dpopBindingUnchecked(claims: JsonObject): Outcome | undefined {
  return boundThumbprint(claims) === undefined ? undefined : DPOP_NOT_CHECKED;
}

export function createDpopStep(config: DpopConfig, context: DpopContext): DpopStep {
  const { now, tolerance } = context;
  const store: NonceStore = config.store ?? new MemoryNonceStore();
  const signer: NonceSigner | undefined =
    config.nonce && createNonceSigner(nonceKey(config.nonce.secret === 'process' ? (processSecret ??= randomSecret()) : config.nonce.secret), config.nonce.lifetime, now);

  const refusals = new Map<DpopReasonCode, Outcome>();
  const refusal = (code: DpopReasonCode): Outcome => {
    let outcome = refusals.get(code);
    if (!outcome) {
      outcome = refusalOutcome({ status: 401, bearerError: 'invalid_token', failure: new AuthenticationFailure(dpopDescription(code), { code }) });
      refusals.set(code, outcome);
    }
    return outcome;
  };
  // §8.2: a response carrying DPoP-Nonce must not be kept by a cache and replayed to another client.
  const nonceHeaders = (): ResponseHeaders => Object.freeze([Object.freeze(['DPoP-Nonce', signer!.generate()] as const), Object.freeze(['Cache-Control', 'no-store'] as const)]);
  const nonceRefusal = (): Outcome =>
    Object.freeze({
      kind: 'rejected' as const,
      refusal: Object.freeze({
        status: 401 as const,
        bearerError: 'invalid_token' as const,
        failure: (refusal('dpop_nonce_required') as { refusal: Refusal }).refusal.failure,
        headers: nonceHeaders(),
      }),
    });

  const unavailable = (error: unknown): Error => {
    context.logError('dpop-store', `the DPoP replay store failed (${error instanceof Error ? error.message : String(error)}); refusing DPoP requests with 503 until it recovers`);
    return unavailableError({ reason: 'dpop_store_unavailable' });
  };

  /** Which scheme the request used: one `Authorization` field's word; `'both'` for two fields. */
  const usedScheme = (request: RequestView): 'DPoP' | 'other' | 'both' => {
    if ((request.fieldCount?.('authorization') ?? 0) > 1) return 'both';
    const split = splitAuthorization(request.header('authorization') ?? '');
    return split && split.scheme.toLowerCase() === 'dpop' ? 'DPoP' : 'other';
  };

  const challenge = (refusal: Refusal | undefined, withMetadata: boolean): string => {
    const failure = refusal?.failure;
    const code = failure?.code as DpopReasonCode | undefined;
    const dpopCode = code !== undefined && code.startsWith('dpop_') ? code : undefined;
    const error = refusal?.bearerError === undefined ? undefined : dpopCode ? dpopError(dpopCode) : refusal.bearerError;
    return dpopChallenge({
      algorithms: config.algorithms,
      ...(error !== undefined ? { error, description: failure?.message } : {}),
      ...(refusal?.status === 403 && refusal.scope ? { scope: refusal.scope } : {}),
      ...(withMetadata && refusal?.status !== 403 && context.resourceMetadata !== undefined ? { resourceMetadata: context.resourceMetadata } : {}),
    });
  };

  function* confirm(request: RequestView, token: string, claims: JsonObject, scheme: 'DPoP' | 'Bearer'): Steps<Outcome | ResponseHeaders> {
    const jkt = boundThumbprint(claims);
    // §7.2: "MUST reject a DPoP-bound access token received as a bearer token".
    if (scheme !== 'DPoP') return jkt === undefined ? NO_HEADERS : refusal('dpop_bound_as_bearer');
    // A handshake has no request URL a proof could name (see the guide).
    if (request.namespace !== undefined) return refusal('dpop_handshake');
    if (jkt === undefined) return refusal(config.mode === 'required' ? 'dpop_required' : 'dpop_key_mismatch');
    if (jkt === null) return refusal('dpop_key_mismatch');
    // §4.3 check 1: exactly one DPoP field (Node joins repeated fields with ", ").
    const fields = request.fieldCount?.('dpop') ?? (request.header('dpop') === undefined ? 0 : 1);
    if (fields > 1) return refusal('dpop_proof_twice');
    const proof = request.header('dpop')?.trim();
    if (fields === 0 || !proof) return refusal('dpop_proof_missing');
    const checked = checkProof(proof, {
      algorithms: config.algorithms,
      method: request.requestLineMethod,
      htu: requestHtu(config.origin, request.url),
      now: now() / 1000,
      window: config.window,
      tolerance,
      accessToken: token,
    });
    if (typeof checked === 'string') return refusal(checked);
    if (!timingSafeEqual(checked.jkt, jkt)) return refusal('dpop_key_mismatch');
    let headers = NO_HEADERS;
    if (signer) {
      // §9 / §11.3: once nonces are on, a proof without a current one is never accepted.
      const state = checked.nonce === undefined ? undefined : signer.verify(checked.nonce);
      if (!state?.valid) return nonceRefusal();
      // §8.2: the next nonce is sent before this one expires, on a successful answer.
      if (signer.expiresSoon(state.expiresAt!, 1 / 3)) headers = nonceHeaders();
    }
    // The record lives as long as the proof could be accepted: until iat + window + tolerance.
    const expiresAt = (checked.iat + config.window + tolerance) * 1000 + 1;
    let fresh: boolean;
    try {
      fresh = (yield store.use(replayKey(checked.jkt, checked.jti), FIRST_USE, expiresAt)) as boolean;
    } catch (error) {
      throw unavailable(error);
    }
    return fresh === true ? headers : refusal('dpop_replay');
  }

  return {
    token(request) {
      const split = splitAuthorization(request.header('authorization') ?? '');
      if (!split || split.scheme.toLowerCase() !== 'dpop') return undefined;
      return split.rest === '' ? null : split.rest;
    },
    sentTwice: refusalOutcome({
      status: 400,
      bearerError: 'invalid_request',
      reason: 'malformed',
      failure: new AuthenticationFailure(MULTIPLE_METHODS, { code: 'token_sent_twice' }),
    }),
    malformed: refusalOutcome({ status: 400, bearerError: 'invalid_request', reason: 'malformed' }),
    notDpop: config.mode === 'required' ? refusal('dpop_required') : undefined,
    confirm,
    challenges(refusal, request, bearer) {
      // 'required': DPoP is the only scheme offered.
      if (config.mode === 'required') return [challenge(refusal, true)];
      const used = usedScheme(request);
      // §7.2: the error goes in the challenge of the scheme the client used; in both when it used two.
      if (used === 'both') return [...bearer(refusal), challenge(refusal, false)];
      if (used === 'DPoP') return [...bearer({ status: refusal.status === 403 ? 401 : refusal.status }), challenge(refusal, false)];
      return [...bearer(refusal), challenge(undefined, false)];
    },
  };
}
