import { AuthenticationFailure } from '../errors';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import { parseCompactJws } from '../schemes/jwt/compact';
import { refusalOutcome, type Outcome, type RequestView } from './authenticator';

/**
 * Double-submit CSRF protection for access tokens in cookies (`@JwtAuth({ csrf: 'double-submit' })`).
 * The token carries a random `csrf` claim that `tokens.setCookies` also puts in a cookie the page's
 * script can read; a request that changes something must echo it in `X-CSRF-Token`. Another site
 * can make the browser send the cookies, but cannot read them to echo the value.
 *
 * Checked before the token is verified, against its claim as sent: no signature check, store call
 * or hook runs for a forged request, and a token whose claim was changed fails the verification
 * that follows anyway.
 */

// Flask-JWT-Extended's JWT_CSRF_METHODS default: every method but these needs the header.
const EXEMPT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_HEADER = 'x-csrf-token';

const CSRF_INVALID = refusalOutcome({
  status: 401,
  bearerError: 'invalid_token',
  failure: new AuthenticationFailure('CSRF token missing or invalid', { code: 'csrf_invalid' }),
});

/**
 * Whether this request must echo the CSRF value: a cookie token, on a method that may change
 * something (both the dispatched method and the request line's, so an override cannot exempt a
 * form's POST). A Socket.IO handshake cannot send the header: the cookie's same-origin rule
 * applies to it instead.
 */
export function needsCsrfHeader(request: RequestView): boolean {
  return request.namespace === undefined && !(EXEMPT_METHODS.has(request.method) && EXEMPT_METHODS.has(request.requestLineMethod));
}

/** The refusal of a request whose `X-CSRF-Token` does not equal the token's `csrf` claim; `undefined` when it does. */
export function csrfRefusal(request: RequestView, token: string): Outcome | undefined {
  const sent = request.header(CSRF_HEADER);
  const jws = parseCompactJws(token);
  const claim = typeof jws === 'string' ? undefined : jws.payload.csrf;
  if (sent === undefined || typeof claim !== 'string' || claim === '') return CSRF_INVALID;
  return timingSafeEqual(sent, claim) ? undefined : CSRF_INVALID;
}
