/**
 * Pure HTTP Digest protocol code: hash arithmetic and header formatting (credential parsing is in
 * digest-credentials.ts).
 * No I/O and no framework types; policy (which realm, which user, nonce checks) lives elsewhere.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7616
 */
import * as nodeCrypto from 'node:crypto';
import { isFieldText, isToken, quote } from '../internal/auth-params';

/**
 * The Digest algorithms, canonically spelled (RFC 7616 §3.3 and RFC 2617's MD5): what
 * `@GetPassword` and `@GetUsernameByHash` receive, and what `generateHa1` takes. A `-sess`
 * variant uses the same stored HA1 as its base algorithm.
 * @example
 * ```ts
 * const strongestFirst: DigestAlgorithm[] = ['SHA-512-256', 'SHA-256', 'MD5'];
 * ```
 */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

/**
 * Digest quality of protection (RFC 7616 §3.3): `'auth'` signs the method and URI; `'auth-int'`
 * the body too (the body is then read before the request is authenticated).
 * @example
 * ```ts
 * const qop: DigestQop[] = ['auth-int', 'auth'];
 * const options: DigestAuthOptions = { realm: 'uploads', algorithm: 'SHA-256', qop };
 * ```
 */
export type DigestQop = 'auth' | 'auth-int';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze([
  'MD5',
  'MD5-sess',
  'SHA-256',
  'SHA-256-sess',
  'SHA-512-256',
  'SHA-512-256-sess',
] as const);

const BY_LOWER_NAME = new Map(DIGEST_ALGORITHMS.map((a) => [a.toLowerCase(), a]));

// SHA-512-256 is the real SHA-512/256 (distinct initial values), not a truncated SHA-512: the
// RFC 7616 §3.9.2 example got this wrong (erratum 4897), and clients follow the definition.
const NODE_HASH: Record<DigestAlgorithm, { name: string; hexLength: number }> = {
  MD5: { name: 'md5', hexLength: 32 },
  'MD5-sess': { name: 'md5', hexLength: 32 },
  'SHA-256': { name: 'sha256', hexLength: 64 },
  'SHA-256-sess': { name: 'sha256', hexLength: 64 },
  'SHA-512-256': { name: 'sha512-256', hexLength: 64 },
  'SHA-512-256-sess': { name: 'sha512-256', hexLength: 64 },
};

/**
 * Maps an algorithm name to its canonical spelling, ignoring case; `undefined` if unsupported.
 * @example normalizeAlgorithm('sha-256-sess') // 'SHA-256-sess'
 */
export function normalizeAlgorithm(value: string): DigestAlgorithm | undefined {
  return BY_LOWER_NAME.get(value.toLowerCase());
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** Length in hex digits of the algorithm's digests (32 for MD5, 64 for the SHA variants). */
export function digestHexLength(algorithm: DigestAlgorithm): number {
  return NODE_HASH[algorithm].hexLength;
}

// crypto.hash (Node 20.12+) skips the Hash object; several hashes run per Digest request.
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

/**
 * H(data) as lowercase hex; strings are hashed as UTF-8.
 * @example digestHash('SHA-256', 'GET:/dir/index.html')
 */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  const name = NODE_HASH[algorithm].name;
  return oneShotHash ? oneShotHash(name, data, 'hex') : nodeCrypto.createHash(name).update(data).digest('hex');
}

/** H(username ":" realm ":" password): the base HA1, before any `-sess` step (RFC 7616 §3.4.2). */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/**
 * Precomputes the HA1 to store instead of a plain password (Flask-HTTPAuth's `use_ha1_pw`).
 * The same value serves the `-sess` variant of the algorithm.
 * @example
 * ```ts
 * passwords.set('alice', generateHa1('alice', 's3cret', 'api@example.org', 'SHA-256')); // with useHa1Password: true
 * ```
 */
export function generateHa1(username: string, password: string, realm: string, algorithm: DigestAlgorithm = 'MD5'): string {
  return computeHa1(algorithm, username, realm, password);
}

/** For `-sess` algorithms H(ha1 ":" nonce ":" cnonce) (RFC 7616 §3.4.2); `ha1` unchanged otherwise. */
export function sessionHa1(algorithm: DigestAlgorithm, ha1: string, nonce: string, cnonce: string): string {
  if (!isSessionAlgorithm(algorithm)) return ha1;
  return digestHash(algorithm, `${ha1.toLowerCase()}:${nonce}:${cnonce}`);
}

/** H(username ":" realm): what a client sends as `username` when `userhash=true` (RFC 7616 §3.4.4). */
export function userhash(algorithm: DigestAlgorithm, username: string, realm: string): string {
  return digestHash(algorithm, `${username}:${realm}`);
}

/**
 * The userhash to store next to a user for `@DigestAuth({ userhash: true })` lookups.
 * @example
 * ```ts
 * usersByHash.set(generateUserhash('alice', 'api@example.org', 'SHA-256'), 'alice');
 * ```
 */
export function generateUserhash(username: string, realm: string, algorithm: DigestAlgorithm = 'MD5'): string {
  return userhash(algorithm, username, realm);
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  /** The stored or computed base HA1, before the `-sess` step (which is applied here). */
  ha1: string;
  nonce: string;
  nc?: string;
  cnonce?: string;
  qop?: DigestQop;
  method: string;
  uri: string;
  /** H(entity-body) with the same algorithm; required for `auth-int`. */
  bodyHash?: string;
}

/**
 * The expected `response` value (RFC 7616 §3.4.1), or the RFC 2069 form H(HA1:nonce:HA2) when
 * `qop` is absent. Hex inputs are lower-cased first, since the RFC defines them as LHEX.
 * Throws `TypeError` when a field the mode needs is missing: that is a caller bug.
 */
export function computeDigestResponse(input: DigestResponseInput): string {
  return response(input, input.method);
}

/** The `rspauth` value: the response computed with an empty method (RFC 7616 §3.5). */
export function computeRspauth(input: Omit<DigestResponseInput, 'method'>): string {
  return response(input, '');
}

// One body for both: `rspauth` differs only in its method, which is passed apart so that no
// copy of the input is made on every request.
function response(input: Omit<DigestResponseInput, 'method'>, method: string): string {
  const { algorithm, nonce, qop, nc, cnonce } = input;
  if (isSessionAlgorithm(algorithm) && cnonce === undefined) {
    throw new TypeError(`http-auth: ${algorithm} needs a cnonce`);
  }
  const ha1 = sessionHa1(algorithm, input.ha1.toLowerCase(), nonce, cnonce ?? '');
  let a2 = `${method}:${input.uri}`;
  if (qop === 'auth-int') {
    if (input.bodyHash === undefined) throw new TypeError('http-auth: qop auth-int needs bodyHash');
    a2 += `:${input.bodyHash.toLowerCase()}`;
  }
  const ha2 = digestHash(algorithm, a2);
  if (qop === undefined) return digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
  if (nc === undefined || cnonce === undefined) throw new TypeError('http-auth: qop needs nc and cnonce');
  return digestHash(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
}

export interface DigestChallengeInput {
  /** The scheme word, normally `Digest`. */
  scheme: string;
  realm: string;
  /** Offered qop values; `null` (or empty) omits `qop` for RFC 2069 clients. */
  qop: readonly DigestQop[] | null;
  algorithm: DigestAlgorithm;
  nonce: string;
  opaque: string;
  stale?: boolean;
  /** Adds `charset=UTF-8` (RFC 7616 §3.3): user names and passwords are UTF-8. */
  charset?: boolean;
  userhash?: boolean;
}

/*
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.4
 *
 *   qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *
 * without obs-text: a nonce or opaque travels to the client and back, and bytes above 0x7E are
 * read differently by different clients.
 */
const CHALLENGE_VALUE = /^[\t\x20\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Whether a nonce or opaque can be sent as is in a quoted-string and read back unchanged: one or
 * more qdtext characters, so neither escaping nor a client's unescaping can alter it.
 */
export function isChallengeValue(value: string): boolean {
  return CHALLENGE_VALUE.test(value);
}

/**
 * Formats a `WWW-Authenticate` challenge (RFC 7616 §3.3). `algorithm` is always sent, even MD5,
 * so that clients never have to guess.
 * Throws `TypeError` for a scheme that is not a token or a value with control characters.
 * @example buildDigestChallenge({ scheme: 'Digest', realm: 'api', qop: ['auth'], algorithm: 'SHA-256', nonce, opaque })
 */
export function buildDigestChallenge(input: DigestChallengeInput): string {
  if (!isToken(input.scheme)) throw new TypeError('http-auth: the digest scheme must be a token');
  for (const name of ['realm', 'nonce', 'opaque'] as const) {
    if (!isFieldText(input[name])) throw new TypeError(`http-auth: the digest ${name} contains control characters`);
  }
  const parts = [`realm=${quote(input.realm)}`];
  if (input.qop && input.qop.length > 0) parts.push(`qop=${quote(input.qop.join(', '))}`);
  parts.push(`algorithm=${input.algorithm}`, `nonce=${quote(input.nonce)}`, `opaque=${quote(input.opaque)}`);
  if (input.stale) parts.push('stale=true');
  if (input.charset) parts.push('charset=UTF-8');
  if (input.userhash) parts.push('userhash=true');
  return `${input.scheme} ${parts.join(', ')}`;
}

export interface AuthenticationInfoInput {
  rspauth?: string;
  qop?: DigestQop;
  cnonce?: string;
  nc?: string;
  nextnonce?: string;
}

/**
 * Formats an `Authentication-Info` value (RFC 7616 §3.5), omitting absent parts.
 * @example buildAuthenticationInfo({ rspauth, qop: 'auth', cnonce, nc: '00000001' })
 */
export function buildAuthenticationInfo(input: AuthenticationInfoInput): string {
  const parts: string[] = [];
  if (input.rspauth !== undefined) parts.push(`rspauth=${quote(input.rspauth)}`);
  if (input.qop !== undefined) parts.push(`qop=${input.qop}`);
  if (input.cnonce !== undefined) parts.push(`cnonce=${quote(input.cnonce)}`);
  if (input.nc !== undefined) parts.push(`nc=${input.nc}`);
  if (input.nextnonce !== undefined) parts.push(`nextnonce=${quote(input.nextnonce)}`);
  return parts.join(', ');
}
