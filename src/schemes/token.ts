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
  if (scheme.toLowerCase() !== 'bearer') return `${scheme} realm=${quote(realm)}`;
  return bearerChallenge({ scheme, realm, error, description });
}

/** The parameters of a `Bearer` challenge this library sends. */
export interface BearerChallenge {
  /** The scheme word as configured (`Bearer`, or a proxy's). */
  readonly scheme: string;
  readonly realm: string;
  /** Absent when the request carried no credentials (RFC 6750 §3.1). */
  readonly error?: BearerError;
  readonly description?: string;
  /** With `insufficient_scope`: the scopes the request needs (RFC 6750 §3). */
  readonly scope?: readonly string[];
  /** RFC 9728 §5.1: where a client finds this resource's metadata. */
  readonly resourceMetadata?: string;
}

/**
 * A `Bearer` challenge with RFC 6750 §3's parameters and RFC 9728 §5.1's `resource_metadata`.
 *
 *   scope             = 1*NQCHAR / scope-token *( SP scope-token )  (quoted)
 *   resource_metadata = the absolute URL of the protected resource metadata  (quoted)
 */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params = [`realm=${quote(challenge.realm)}`];
  if (challenge.error !== undefined) {
    params.push(`error=${quote(challenge.error)}`);
    const text = challenge.description === undefined ? '' : errorDescription(challenge.description);
    if (text) params.push(`error_description=${quote(text)}`);
  }
  if (challenge.scope !== undefined && challenge.scope.length > 0) params.push(`scope=${quote(challenge.scope.join(' '))}`);
  if (challenge.resourceMetadata !== undefined) params.push(`resource_metadata=${quote(challenge.resourceMetadata)}`);
  return `${challenge.scheme} ${params.join(', ')}`;
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
