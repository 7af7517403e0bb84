import { HttpAuthError } from '../errors';

/**
 * What a scheme says about a 503 it throws itself (a `@JwtAuth` class with no key to verify with)
 * beyond the error: the audit `reason` (`keys_unavailable` rather than the generic
 * `store-unavailable`) and when to try again (`Retry-After`, in seconds). Keyed by the error's
 * identity: nothing is kept once the answer is gone.
 */
export interface AnswerHints {
  readonly reason?: string;
  readonly retryAfterSeconds?: number;
}

const hints = new WeakMap<object, AnswerHints>();

export function withAnswerHints<T extends object>(error: T, answer: AnswerHints): T {
  hints.set(error, answer);
  return error;
}

export function answerHintsOf(error: unknown): AnswerHints | undefined {
  return error !== null && typeof error === 'object' ? hints.get(error) : undefined;
}

/**
 * The 503 of an outage (a store, the keys, an introspection endpoint): nothing is wrong with the
 * credentials; the same fixed text for every cause, which only `answer` (and the log) tells apart.
 */
export function unavailableError(answer?: AnswerHints): HttpAuthError {
  const error = new HttpAuthError(503, 'ERR_HTTP_AUTH_UNAVAILABLE', 'authentication temporarily unavailable');
  return answer ? withAnswerHints(error, answer) : error;
}
