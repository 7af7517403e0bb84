import type { MaybePromise } from '../internal/steps';
import type { JwsAlgorithm } from '../schemes/jwt/algorithms';
import { candidateKeys, hasKnownAlgorithm, importJwk, type VerifyKey } from '../schemes/jwt/jwk';
import type { KeyLookup } from '../schemes/jwt/verify';
import { fetchJson } from './fetch-json';

/** The fixed kinds of the key log lines; a kind never carries text from the network. */
export type KeysLogKind = 'keys-rotated' | 'keys-fetch-failed';
/** Receives a line without prefix: the app's log adds `http-auth: <class>: ` (as for every scheme's lines). */
export type KeysLog = (kind: KeysLogKind, message: string) => void;

/** The `jwks` option, resolved to milliseconds (and bytes). */
export interface JwksTiming {
  /** Deadline of each fetch (headers and body). */
  readonly timeoutMs: number;
  /** Least time between two fetches: what an unknown `kid` (or a failed fetch) can cause at most. */
  readonly unknownKidIntervalMs: number;
  /** Longest a fetched key set is used before it is refreshed; `Cache-Control: max-age` may shorten it to 60 s (or `maxAge`, if less). */
  readonly maxAgeMs: number;
  /** How long after that keys already known keep verifying while refreshing fails. */
  readonly staleIfErrorMs: number;
  readonly maxBytes: number;
}

export interface RemoteJwksOptions extends JwksTiming {
  /** The JWK Set URL, or a function finding it (discovery) that may reject with a message safe to log. */
  readonly uri: string | (() => MaybePromise<string>);
  /** What these keys are, for log lines (e.g. the issuer or the URL). */
  readonly label: string;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly log?: KeysLog;
  /** Called after a fetch in which keys that were known disappeared (the `kid`s; '' for keys without one). */
  readonly onKeysRemoved?: (kids: readonly string[]) => void;
  readonly fetch?: typeof fetch;
}

export interface RemoteJwks {
  /** As `KeySource.keysFor`: the keys for `kid`/`alg`, synchronously when no fetch is needed; never rejects. */
  keysFor(kid: string | undefined, alg: JwsAlgorithm): MaybePromise<KeyLookup>;
}

interface KeySet {
  readonly keys: readonly VerifyKey[];
  /** Public-key fingerprint → kid, to tell which keys a new set removed. */
  readonly prints: ReadonlyMap<string, string>;
  readonly expiresAt: number;
}

/**
 * A remote JWK Set with the guarantees of issue 16 §3:
 *
 * - Nothing is fetched until the first token needs a key (the app starts without network).
 * - One fetch at a time (single flight): every request that needs the answer waits for the
 *   fetch in progress, bounded by its deadline.
 * - At most one fetch per `unknownKidInterval`, whatever the traffic. Every fetch replaces the
 *   whole set, so a flood of made-up `kid`s cannot hold back a real rotation: the next fetch it
 *   triggers, at most one interval later, also brings the newly published key.
 * - A request whose key is not known, arriving while no fetch may start, is answered at once
 *   (`key_not_found`): it never waits for the interval to pass.
 * - A set is used for its `max-age` (clamped), then refreshed in the background while the
 *   requests that know their key go on synchronously (stale-while-revalidate); if refreshing
 *   fails they go on for `staleIfError` more, with one log line per outage.
 * - A response that is a redirect, not JSON, too large, or without a usable signing key is
 *   refused as a whole, and the keys already known stay.
 */
export function createRemoteJwks(options: RemoteJwksOptions): RemoteJwks {
  const now = options.now ?? Date.now;
  const { unknownKidIntervalMs, staleIfErrorMs } = options;
  let current: KeySet | undefined;
  let inFlight: Promise<void> | undefined;
  let lastStart = -Infinity;
  let failing = false;

  const usable = (set: KeySet | undefined, t: number): set is KeySet => set !== undefined && t < set.expiresAt + staleIfErrorMs;
  const mayStart = (t: number) => inFlight === undefined && t - lastStart >= unknownKidIntervalMs;

  const afterFetch = (kid: string | undefined, alg: JwsAlgorithm): KeyLookup => {
    const set = current;
    if (!usable(set, now())) return 'keys_unavailable';
    const found = candidateKeys(set.keys, kid, alg);
    return found.length > 0 ? found : 'key_not_found';
  };

  function install(keys: readonly VerifyKey[], cacheControl: string | null): void {
    const prints = new Map(keys.map((entry) => [fingerprint(entry), entry.kid ?? '']));
    const previous = current;
    current = { keys, prints, expiresAt: now() + freshFor(cacheControl, options.maxAgeMs) };
    failing = false;
    if (!previous) return;
    const removed = [...previous.prints].filter(([print]) => !prints.has(print)).map(([, kid]) => kid);
    const added = [...prints].filter(([print]) => !previous.prints.has(print)).map(([, kid]) => kid);
    if (removed.length === 0 && added.length === 0) return;
    options.log?.('keys-rotated', `the signing keys of ${options.label} changed: ${describe(added)} added, ${describe(removed)} removed`);
    if (removed.length > 0) options.onKeysRemoved?.(Object.freeze(removed));
  }

  function failed(error: unknown): void {
    if (failing) return;
    failing = true;
    const reason = error instanceof Error ? error.message : 'failed';
    const set = current;
    const t = now();
    const fallback = usable(set, t)
      ? `the ${plural(set.keys.length, 'key')} already known stay in use until ${new Date(set.expiresAt + staleIfErrorMs).toISOString()}`
      : 'tokens are refused until a fetch succeeds';
    options.log?.('keys-fetch-failed', `the signing keys of ${options.label} could not be fetched: ${reason}; ${fallback} (retried at most every ${unknownKidIntervalMs / 1000} s)`);
  }

  function start(): Promise<void> {
    lastStart = now();
    const run = (async () => {
      try {
        const uri = typeof options.uri === 'string' ? options.uri : await options.uri();
        const { json, cacheControl } = await fetchJson(uri, { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, accept: 'application/jwk-set+json, application/json', fetch: options.fetch });
        install(signingKeys(json), cacheControl);
      } catch (error) {
        failed(error);
      }
    })();
    inFlight = run.then(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    keysFor(kid, alg) {
      const t = now();
      const set = current;
      if (usable(set, t)) {
        if (t >= set.expiresAt && mayStart(t)) void start();
        const found = candidateKeys(set.keys, kid, alg);
        if (found.length > 0) return found;
      }
      if (inFlight) return inFlight.then(() => afterFetch(kid, alg));
      if (mayStart(t)) return start().then(() => afterFetch(kid, alg));
      return usable(set, t) ? 'key_not_found' : 'keys_unavailable';
    },
  };
}

/**
 * The keys of a JWK Set response (RFC 7517 §5). Keys this library cannot use (encryption keys,
 * other key types, short RSA keys, unknown `alg`) are skipped, so a set that also publishes them
 * still works; a set with no usable signing key at all is refused.
 */
function signingKeys(json: unknown): readonly VerifyKey[] {
  const list = json !== null && typeof json === 'object' ? (json as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list)) throw new Error('is not a JWK Set (no "keys" array)');
  const keys = list.map(importJwk).filter((entry): entry is VerifyKey => typeof entry !== 'string' && hasKnownAlgorithm(entry));
  if (keys.length === 0) throw new Error(`has no usable signing key (${plural(list.length, 'key')} skipped)`);
  return Object.freeze(keys);
}

/**
 * How long a response may be used (RFC 9111 §5.2.2.1: `max-age=delta-seconds`): its
 * `max-age` clamped to [min(60 s, maxAge), maxAge]; `no-cache`/`no-store` count as 0, so they
 * get the floor — a JWKS fetched per request would be a denial of service on both sides.
 */
export function freshFor(cacheControl: string | null, maxAgeMs: number): number {
  const floor = Math.min(60_000, maxAgeMs);
  let seconds: number | undefined;
  for (const directive of (cacheControl ?? '').split(',')) {
    const [name, value] = directive.trim().toLowerCase().split('=', 2);
    if (name === 'no-cache' || name === 'no-store') seconds = 0;
    else if (name === 'max-age' && seconds === undefined && /^"?\d+"?$/.test(value ?? '')) seconds = Number(value.replace(/"/g, ''));
  }
  if (seconds === undefined) return maxAgeMs;
  return Math.min(maxAgeMs, Math.max(floor, seconds * 1000));
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function fingerprint(entry: VerifyKey): string {
  return `${entry.kid ?? ''} ${entry.alg ?? ''} ${JSON.stringify(entry.key.export({ format: 'jwk' }))}`;
}

// The kids come from the issuer's JWKS, not from a client; still, a log line only gets safe characters.
function describe(kids: readonly string[]): string {
  if (kids.length === 0) return 'none';
  const shown = kids.slice(0, 5).map((kid) => (kid === '' ? '(no kid)' : `"${kid.replace(/[^A-Za-z0-9._:+\/=-]/g, '').slice(0, 64)}"`));
  return `${kids.length} (${shown.join(', ')}${kids.length > 5 ? ', …' : ''})`;
}
