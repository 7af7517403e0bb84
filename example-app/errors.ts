import { STATUS_CODES } from 'node:http';

/** The one error body shape of the example API: `{ error: 'unauthorized' }`, `{ error: 'not_found' }`, … */
export interface ErrorBody {
  readonly error: string;
}

/**
 * The body every failure of the example API answers with, whoever answers it: both auth classes'
 * `@ErrorHandler`s (so the members of a MultiAuth route look alike to a client), and the app's
 * last handlers for unknown routes and for errors routing-controllers never saw.
 */
export function errorBody(status: number): ErrorBody {
  return { error: (STATUS_CODES[status] ?? 'Error').toLowerCase().replace(/[^a-z0-9]+/g, '_') };
}

/**
 * The status of a client error: thrown by middleware (body-parser's 400, 413, 415 carry `status`)
 * or by routing-controllers (its `HttpError`s, class-validator's 400 among them, carry `httpCode`).
 */
export function clientErrorStatus(error: unknown): number | undefined {
  const e = typeof error === 'object' && error !== null ? (error as { status?: unknown; httpCode?: unknown }) : undefined;
  const status = e?.status ?? e?.httpCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}
