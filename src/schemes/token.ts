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
export function tokenChallenge(scheme: string, realm: string, error?: BearerError): string {
  const withError = error !== undefined && scheme.toLowerCase() === 'bearer';
  return `${scheme} realm=${quote(realm)}${withError ? `, error=${quote(error)}` : ''}`;
}
