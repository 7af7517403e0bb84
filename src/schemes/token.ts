import { quote } from '../internal/auth-params';

/** RFC 6750 §3.1 error codes. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * A token challenge. RFC 6750 §3 error codes are only added for the `Bearer` scheme; other
 * token schemes have no registered error parameter.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 *
 *   challenge = "Bearer" [ 1*SP 1#param ]
 *   param     = realm / scope / error / error-description / error-uri / auth-param
 */
export function tokenChallenge(scheme: string, realm: string, error?: BearerError, description?: string): string {
  const withError = error !== undefined && scheme.toLowerCase() === 'bearer';
  if (!withError) return `${scheme} realm=${quote(realm)}`;
  const text = description === undefined ? '' : errorDescription(description);
  return `${scheme} realm=${quote(realm)}, error=${quote(error)}${text ? `, error_description=${quote(text)}` : ''}`;
}

/**
 * An `error_description` value. RFC 6750 §3 allows only NQSCHAR, so a quote becomes an apostrophe,
 * a backslash a slash, and anything else outside it (control characters, non-ASCII) is dropped:
 * the text is for developers, and a header must never break on it.
 *
 *   error-description = *NQSCHAR
 *   NQSCHAR           = %x20-21 / %x23-5B / %x5D-7E
 */
export function errorDescription(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '')
    .slice(0, 200)
    .trim();
}
