import type { VerifyKey } from '../schemes/jwt/jwk';
import type { KeySource } from '../schemes/jwt/verify';
import { createDiscovery } from './discovery';
import { createLocalKeySource } from './local';
import { createRemoteJwks, type JwksTiming, type KeysLog, type RemoteJwks } from './remote-jwks';

/** Where a `@JwtAuth` class gets its keys: exactly one of the four options, resolved. */
export type JwtKeysConfig =
  | { readonly kind: 'keys'; readonly keys: readonly VerifyKey[] }
  | { readonly kind: 'secret'; readonly key: VerifyKey }
  | { readonly kind: 'jwksUri'; readonly uris: Readonly<Record<string, string>>; readonly jwks: JwksTiming }
  | { readonly kind: 'discovery'; readonly jwks: JwksTiming };

export interface KeySourceDeps {
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Receives `keys-rotated` and `keys-fetch-failed` lines (rate-limit them there if needed). */
  readonly log?: KeysLog;
  /** Called when a refetch finds that keys of `issuer` were removed: clear what they verified. */
  readonly onKeysRemoved?: (issuer: string, kids: readonly string[]) => void;
  readonly fetch?: typeof fetch;
}

/**
 * The key source of a resolved configuration. Remote sets are created here but fetch nothing
 * until a token needs them; issuers sharing one `jwksUri` share one set (one cache, one fetch).
 */
export function createKeySource(config: { readonly issuers: readonly string[]; readonly keys: JwtKeysConfig }, deps: KeySourceDeps = {}): KeySource {
  const source = config.keys;
  if (source.kind === 'keys') return createLocalKeySource(source.keys);
  if (source.kind === 'secret') return createLocalKeySource([source.key]);
  const byIssuer = new Map<string, RemoteJwks>();
  // Issuers sharing one URL share one set; a removal there concerns each of them.
  const groups = new Map<string, string[]>();
  for (const issuer of config.issuers) {
    const group = source.kind === 'discovery' ? issuer : `uri ${source.uris[issuer]}`;
    groups.set(group, [...(groups.get(group) ?? []), issuer]);
  }
  for (const issuers of groups.values()) {
    const removed = deps.onKeysRemoved && ((kids: readonly string[]) => issuers.forEach((issuer) => deps.onKeysRemoved!(issuer, kids)));
    const common = { ...source.jwks, now: deps.now, log: deps.log, fetch: deps.fetch, onKeysRemoved: removed };
    const remote =
      source.kind === 'discovery'
        ? createRemoteJwks({ ...common, label: `issuer ${issuers[0]}`, uri: createDiscovery(issuers[0], { ...source.jwks, fetch: deps.fetch }) })
        : createRemoteJwks({ ...common, label: source.uris[issuers[0]], uri: source.uris[issuers[0]] });
    for (const issuer of issuers) byIssuer.set(issuer, remote);
  }
  return { keysFor: (issuer, kid, alg) => byIssuer.get(issuer)?.keysFor(kid, alg) ?? 'key_not_found' };
}
