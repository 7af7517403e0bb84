import { isPromiseLike } from './steps';

/** A call to another service (Redis) that did not answer in time. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

/**
 * Settles with `work`, or rejects with a `DeadlineError` (or what `timedOut` makes) after `ms`: a
 * client library may queue a command for minutes while it reconnects, and a request must not wait
 * that long to be refused. A late rejection of `work` is swallowed here so it never surfaces as
 * unhandled.
 */
export function withDeadline<T>(work: PromiseLike<T> | T, ms: number, what: string, timedOut: () => Error = () => new DeadlineError(what, ms)): Promise<T> {
  if (!isPromiseLike(work)) return Promise.resolve(work);
  const promise = Promise.resolve(work);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The `timeout` option of everything that calls Redis: milliseconds, default 250. */
export const DEFAULT_REDIS_TIMEOUT_MS = 250;

/** Validates a deadline option in milliseconds. */
export function resolveTimeoutMs(value: unknown, where: string, name: string): number {
  if (value === undefined) return DEFAULT_REDIS_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`http-auth: ${where}: ${name} must be a positive number of milliseconds`);
  }
  return value;
}
