import type { HookKind } from '../registry';

/**
 * A hook (or the container building an auth class) threw or rejected with something other than
 * an `HttpError`. It names the culprit, so the flow can log it once and answer a generic 500.
 */
export class HookFailure extends Error {
  override name = 'HookFailure';
  /** `Class.method (@Decorator)`, or the class for a failed construction. */
  readonly hook: string;
  readonly reason: unknown;
  constructor(hook: string, reason: unknown) {
    super(`${hook} threw`);
    this.hook = hook;
    this.reason = reason;
  }
}

/**
 * A hook that did not settle within the class's `hookTimeout`: the request is answered 503 (and
 * its throttle slot given back) instead of waiting for ever.
 */
export class HookTimeout extends Error {
  override name = 'HookTimeout';
  constructor(
    /** `Class.method (@Decorator)`. */
    readonly hook: string,
    readonly kind: HookKind,
    ms: number,
  ) {
    super(`${hook} did not settle within ${ms} ms`);
  }
}
