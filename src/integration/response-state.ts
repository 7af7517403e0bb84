import type { ServerResponse } from 'node:http';
import type { LimitedLog } from '../internal/log';

/**
 * Tells whether a response can no longer take the library's answer, so that nothing is written
 * to it: somebody else answered while a hook ran (an `@ErrorHandler` that sent the response
 * itself, a timeout middleware), or the client went away. Writing a header then throws
 * `ERR_HTTP_HEADERS_SENT`, and from a promise continuation that is an unhandled rejection, which
 * ends the process; letting routing-controllers go on does the same inside its own code. The first
 * case is logged (a fixed kind, rate-limited); a client hanging up is ordinary and is not.
 */
export function createLateAnswerCheck(log: LimitedLog): (res: ServerResponse) => boolean {
  return (res) => {
    if (res.headersSent || res.writableEnded) {
      log.warn(
        'answered-elsewhere',
        "http-auth: the response had already been sent when authentication finished (by an @ErrorHandler that answered itself, or by another middleware such as a timeout); nothing more was written and the handler did not run. An @ErrorHandler should return the body instead, so that the answer keeps the library's status and challenge",
      );
      return true;
    }
    return res.destroyed;
  };
}
