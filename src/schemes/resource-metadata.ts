/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): where a client finds it, and what it says.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 *
 *   The well-known URI suffix "oauth-protected-resource" is inserted between the host and the
 *   path of the resource identifier:
 *     https://resource.example.com/resource1
 *     → https://resource.example.com/.well-known/oauth-protected-resource/resource1
 *   A resource identifier without a path gets no trailing slash; query and fragment are not allowed.
 */

export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';

/** The metadata URL of a resource identifier (an absolute https URL, validated at decoration). */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${WELL_KNOWN_PATH}${path}`;
}

/** The path an app serves that metadata at: the URL's path, whatever Host the request names. */
export function resourceMetadataPath(resource: string): string {
  return new URL(resourceMetadataUrl(resource)).pathname;
}

/**
 * RFC 9728 §2's members this library fills in.
 * @example const metadata: ProtectedResourceMetadata = auth.protectedResourceMetadata(ApiAuth);
 */
export interface ProtectedResourceMetadata {
  /** The resource identifier (the `resource` option). */
  readonly resource: string;
  /** The authorization servers' issuer identifiers. */
  readonly authorization_servers: readonly string[];
  /** Every scope a route of the app requires, sorted. */
  readonly scopes_supported: readonly string[];
  /** How a token may be sent: `header`, and `query` when the class reads one. */
  readonly bearer_methods_supported: readonly string[];
  /** A human-readable name (the `resourceName` option). */
  readonly resource_name?: string;
  /** `true` when the class accepts certificate-bound tokens (RFC 8705; `mtlsBound`); absent (false) otherwise. */
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  /** DPoP (RFC 9449 §5.1 and RFC 9728 §2): the `alg` values a proof may use (`dpopAlgorithms`). */
  readonly dpop_signing_alg_values_supported?: readonly string[];
  /** DPoP: whether only DPoP-bound tokens are accepted (`dpop: 'required'`). */
  readonly dpop_bound_access_tokens_required?: boolean;
}
