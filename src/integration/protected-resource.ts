import type { JwtConfig } from '../authenticators/jwt-options';
import type { IntrospectionConfig } from '../authenticators/introspection-options';
import { resourceMetadataPath, type ProtectedResourceMetadata } from '../schemes/resource-metadata';
import type { Member } from './plans';

/**
 * RFC 9728 protected-resource metadata of an app's `@JwtAuth` classes that name a `resource`:
 * served by `useExpress`/`useKoa` at the path its URL names, and returned by
 * `auth.protectedResourceMetadata()`. Built from the configuration and the scopes the app's routes
 * require, never from a request (a forged `Host` changes nothing).
 */
export interface ProtectedResource {
  readonly authClass: Function;
  readonly className: string;
  /** The path the metadata is served at, e.g. `/.well-known/oauth-protected-resource/v1`. */
  readonly path: string;
  metadata(): ProtectedResourceMetadata;
}

/** What a client or a cache gets with the document: JSON, cacheable for a while (it changes with deployments). */
export const METADATA_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/json',
  'Cache-Control': 'public, max-age=300',
});

export function protectedResourcesOf(members: readonly Member[], scopes: () => Iterable<string>): readonly ProtectedResource[] {
  const resources: ProtectedResource[] = [];
  for (const { cls, meta } of members) {
    if (meta.kind !== 'jwt' && meta.kind !== 'introspection') continue;
    const config = meta.config as Partial<JwtConfig> & Pick<IntrospectionConfig, 'resource' | 'resourceName' | 'authorizationServers'>;
    if (config.resource === undefined) continue;
    const path = resourceMetadataPath(config.resource);
    const clash = resources.find((r) => r.path === path);
    if (clash) {
      throw new TypeError(`http-auth: createAuthCheckers: ${clash.className} and ${meta.name} both publish protected-resource metadata at ${path}; give them different resource URLs (or one class)`);
    }
    const resource = config.resource;
    resources.push({
      authClass: cls,
      className: meta.name,
      path,
      metadata: () =>
        Object.freeze({
          resource,
          // @IntrospectionAuth requires issuer or authorizationServers with resource (its options check).
          authorization_servers: Object.freeze([...(config.authorizationServers ?? config.issuers ?? [])]),
          scopes_supported: Object.freeze([...new Set(scopes())].sort()),
          // RFC 9728 §2 names "header", "body" and "query"; a cookie is none of them.
          bearer_methods_supported: Object.freeze(config.query === undefined ? ['header'] : ['header', 'query']),
          ...(config.resourceName !== undefined ? { resource_name: config.resourceName } : {}),
          ...(config.mtlsBound !== undefined ? { tls_client_certificate_bound_access_tokens: true } : {}),
          // RFC 9728 §2 / RFC 9449 §5.1: the proof algorithms, and whether only DPoP-bound tokens are accepted.
          ...(config.dpop
            ? { dpop_signing_alg_values_supported: Object.freeze([...config.dpop.algorithms]), dpop_bound_access_tokens_required: config.dpop.mode === 'required' }
            : {}),
        }),
    });
  }
  return Object.freeze(resources);
}
