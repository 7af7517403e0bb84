/**
 * The audit `reason` of an answer the flow does not build itself: a scheme that throws its own
 * 503 (a `@JwtAuth` class with no key to verify with) names why, so that `onEvent` gets the
 * scheme's reason code (`keys_unavailable`) rather than the generic `store-unavailable`. Keyed by
 * the error's identity: nothing is kept once the answer is gone.
 */
const reasons = new WeakMap<object, string>();

export function withAuditReason<T extends object>(error: T, reason: string): T {
  reasons.set(error, reason);
  return error;
}

export function auditReasonOf(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? reasons.get(error) : undefined;
}
