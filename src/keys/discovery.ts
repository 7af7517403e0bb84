import { fetchJson, TransportError } from './fetch-json';
import { fetchableUrlProblem } from './urls';

/**
 * The two places an issuer may publish its metadata, in the order they are tried.
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 *
 *   the Issuer (with any terminating "/" removed) followed by "/.well-known/openid-configuration"
 *   https://example.com/issuer1 → https://example.com/issuer1/.well-known/openid-configuration
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 *
 *   inserting a default well-known URI string into the authorization server's issuer identifier
 *   between the host component and the path component, if any [...] any terminating "/" [...] is
 *   removed before inserting "/.well-known/" and the well-known URI suffix
 *   https://example.com/issuer1 → https://example.com/.well-known/oauth-authorization-server/issuer1
 */
export function discoveryUrls(issuer: string): readonly [openid: string, oauth: string] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return [`${url.origin}${path}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${path}`];
}

export interface DiscoveryOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly fetch?: typeof fetch;
}

/**
 * A function that finds the issuer's `jwks_uri` from its metadata, fetched on first call and
 * kept for the life of the process once found. It holds no schedule of its own: it is called
 * from the JWK Set fetch, so a failing document is retried with that fetch's single flight,
 * deadline and cooldown. Rejects with a message safe for a log line.
 *
 * The document must name exactly this issuer (OpenID Connect Discovery §4.3, RFC 8414 §3.3:
 * otherwise an attacker able to serve one issuer's metadata could impersonate another), and its
 * `jwks_uri` must be an https URL (http only on loopback).
 */
export function createDiscovery(issuer: string, options: DiscoveryOptions): () => Promise<string> {
  let found: string | undefined;
  const limits = { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, accept: 'application/json', fetch: options.fetch };

  const read = async (url: string): Promise<string> => {
    const { json } = await fetchJson(url, limits);
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('is not a JSON object');
    const { issuer: named, jwks_uri: jwksUri } = json as Record<string, unknown>;
    if (named !== issuer) throw new Error('names another issuer');
    const problem = fetchableUrlProblem(jwksUri);
    if (problem) throw new Error(`has a jwks_uri that ${problem}`);
    return jwksUri as string;
  };

  return async () => {
    if (found !== undefined) return found;
    const [openid, oauth] = discoveryUrls(issuer);
    try {
      found = await read(openid);
    } catch (first) {
      // No answer at all: the other document is on the same host, and the deadline is spent.
      if (first instanceof TransportError) throw new Error(`the discovery document ${openid} ${first.message}`);
      try {
        found = await read(oauth);
      } catch (second) {
        throw new Error(`the discovery document ${openid} ${(first as Error).message}, and ${oauth} ${(second as Error).message}`);
      }
    }
    return found;
  };
}
