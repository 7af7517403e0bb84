import { HttpError } from 'routing-controllers';
import { HookFailure } from '../flow/hook-errors';
import { HttpAuthError } from '../errors';
import { rateLimitedLog, safeLine, type AuthLogger, type LimitedLog } from '../internal/log';

const MAX_LOGGED_CHARS = 300;
const MAX_REPORTED_MESSAGES = 256;

/** A thrown value on one bounded line: its text is the app's, and a client decides how often it is logged. */
export function describeThrown(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  } catch {
    text = 'a value that cannot be turned into text';
  }
  text = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}…` : text;
}

/**
 * What the client gets for anything but an `HttpError` that escaped the flow (a hook that threw, an
 * auth class the container could not build): the generic 500, whatever routing-controllers'
 * `development` says, and one rate-limited log line naming the culprit; never its stack or message.
 * An `HttpError` is an answer someone chose and is sent as it is.
 */
export function toHttpError(error: unknown, log: LimitedLog): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof HookFailure) {
    log.error(`hook:${error.hook}`, `http-auth: ${error.hook} threw ${describeThrown(error.reason)}; answered 500`);
  } else {
    log.error('internal', `http-auth: authentication failed unexpectedly (${describeThrown(error)}); answered 500`);
  }
  return new HttpAuthError(500, 'ERR_HTTP_AUTH_INTERNAL', 'internal server error');
}

/**
 * The generic 500 for a configuration problem that only a request could reveal; each distinct
 * message is logged once. The error is marked answered so that Express's final handler neither
 * logs it again nor drops the connection.
 */
export function createMisconfigurationReporter(logger: AuthLogger, markAnswered: (error: object) => void): (message: string) => HttpAuthError {
  const reported = new Set<string>();
  // Messages are the library's, built from class and hook names; past this many distinct ones,
  // they share one rate-limited kind so the set cannot grow.
  const overflow = rateLimitedLog(logger);
  return (message) => {
    if (!reported.has(message)) {
      if (reported.size < MAX_REPORTED_MESSAGES) {
        reported.add(message);
        logger.error(safeLine(`http-auth: ${message}`));
      } else {
        overflow.error('misconfigured', `http-auth: ${message}`);
      }
    }
    const error = new HttpAuthError(500, 'ERR_HTTP_AUTH_MISCONFIGURED', 'internal server error');
    markAnswered(error);
    return error;
  };
}
