/**
 * The flow is written once, as a generator that `yield`s wherever it would `await`, and run by
 * `runSteps`: synchronously for as long as every yielded value is a plain value, switching to a
 * promise only at the first thenable. A request whose hooks answer synchronously (an in-memory
 * user table, a cached credential, the built-in Digest nonces) is then decided without a single
 * promise or microtask, and one that meets an async hook behaves exactly as `await` would:
 * a rejection is thrown into the generator at the `yield`, so its `try`/`catch` and `finally`
 * blocks run in both modes.
 */

/** A value, or a promise of it: what a step that may run synchronously returns. */
export type MaybePromise<T> = T | Promise<T>;

/** The generator form of an async function returning `T`. */
export type Steps<T> = Generator<unknown, T, unknown>;

/** Whether `await value` would wait: a promise or any other thenable. */
export function isPromiseLike<T = unknown>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs `steps` to its end: its return value when nothing it yielded was a thenable, else a promise
 * of it. What it throws before the first thenable is thrown here, synchronously; callers handle
 * both (see `settled`).
 */
export function runSteps<T>(steps: Steps<T>): MaybePromise<T> {
  let next = steps.next();
  while (!next.done) {
    if (isPromiseLike(next.value)) return continueAsync(steps, next.value);
    next = steps.next(next.value);
  }
  return next.value;
}

async function continueAsync<T>(steps: Steps<T>, pending: PromiseLike<unknown>): Promise<T> {
  for (;;) {
    let next: IteratorResult<unknown, T>;
    let settledValue: unknown;
    let failed = false;
    try {
      settledValue = await pending;
    } catch (error) {
      failed = true;
      settledValue = error;
    }
    // Outside the try: what the generator itself throws ends the run, it is not thrown back in.
    next = failed ? steps.throw(settledValue) : steps.next(settledValue);
    while (!next.done && !isPromiseLike(next.value)) next = steps.next(next.value);
    if (next.done) return next.value;
    pending = next.value as PromiseLike<unknown>;
  }
}

/**
 * Calls `fn` and hands its outcome to `onValue` / `onError`: at once when it is synchronous (a
 * value or a throw), after it settles when it is a promise. For callers outside the flow that
 * answer a request either way (a middleware calling `next`).
 */
export function settled<T>(fn: () => MaybePromise<T>, onValue: (value: T) => void, onError: (error: unknown) => void): void {
  let result: MaybePromise<T>;
  try {
    result = fn();
  } catch (error) {
    onError(error);
    return;
  }
  if (isPromiseLike(result)) (result as Promise<T>).then(onValue, onError);
  else onValue(result);
}
