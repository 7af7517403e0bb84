import { configError } from '../config';
import type { JwtKeysConfig } from '../keys/key-source';
import { resolveLocalKeys, resolveSecret } from '../keys/local';
import type { JwksTiming } from '../keys/remote-jwks';
import { fetchableUrlProblem } from '../keys/urls';
import { isJwsAlgorithm, isSymmetric, JWS_ALGORITHMS, keyFitsAlgorithm, minimumSecretBytes, type JwsAlgorithm } from '../schemes/jwt/algorithms';
import { keyUsableFor } from '../schemes/jwt/jwk';
import { MAX_CANDIDATE_KEYS } from '../schemes/jwt/verify';

/**
 * The key options of `@JwtAuth` (`jwksUri`, `discovery`, `keys`, `secret`, `algorithms`, `jwks`):
 * split from jwt-options.ts, which resolves the rest.
 */

const SOURCES = ['jwksUri', 'discovery', 'keys', 'secret'] as const;

export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);
export const DEFAULT_SECRET_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['HS256']);

/** Exactly one key source, resolved; the `jwks` option only goes with a remote one. */
export function resolveJwtKeys(o: Record<string, unknown>, issuers: readonly string[], where: string): JwtKeysConfig {
  const given = SOURCES.filter((name) => o[name] !== undefined);
  if (given.length !== 1) {
    configError(where, given.length === 0 ? 'keys are required: set one of jwksUri, discovery: true, keys or secret' : `${given.join(' and ')} are alternatives; set only one of them`);
  }
  const remote = given[0] === 'jwksUri' || given[0] === 'discovery';
  if (o.jwks !== undefined && !remote) configError(where, 'jwks configures fetched keys; it goes with jwksUri or discovery only');
  switch (given[0]) {
    case 'keys':
      return Object.freeze({ kind: 'keys', keys: resolveLocalKeys(o.keys, where) });
    case 'secret':
      return Object.freeze({ kind: 'secret', key: resolveSecret(o.secret, where) });
    case 'discovery':
      if (o.discovery !== true) configError(where, 'discovery must be true (or left out)');
      for (const issuer of issuers) {
        const problem = fetchableUrlProblem(issuer) ?? (new URL(issuer).search !== '' ? 'must not contain a query' : undefined);
        if (problem) configError(where, `with discovery, each issuer is the URL of its metadata, and "${issuer}" ${problem}`);
      }
      return Object.freeze({ kind: 'discovery', jwks: resolveJwksTiming(o.jwks, where) });
    default:
      return Object.freeze({ kind: 'jwksUri', uris: resolveJwksUris(o.jwksUri, issuers, where), jwks: resolveJwksTiming(o.jwks, where) });
  }
}

/** `jwksUri`: one URL for every issuer, or a record naming each issuer's URL (and no other). */
function resolveJwksUris(value: unknown, issuers: readonly string[], where: string): Readonly<Record<string, string>> {
  const checked = (uri: unknown, name: string): string => {
    const problem = fetchableUrlProblem(uri);
    if (problem) configError(where, `${name} ${problem}`);
    return uri as string;
  };
  if (typeof value === 'string') {
    const uri = checked(value, 'jwksUri');
    return Object.freeze(Object.fromEntries(issuers.map((issuer) => [issuer, uri])));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) configError(where, 'jwksUri must be a URL, or a record { [issuer]: url }');
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).find((issuer) => !issuers.includes(issuer));
  if (extra !== undefined) configError(where, `jwksUri names "${extra}", which is not one of the issuers; add it to issuer or remove it`);
  const missing = issuers.find((issuer) => !Object.hasOwn(record, issuer));
  if (missing !== undefined) configError(where, `jwksUri has no URL for the issuer "${missing}"`);
  return Object.freeze(Object.fromEntries(issuers.map((issuer) => [issuer, checked(record[issuer], `jwksUri["${issuer}"]`)])));
}

const JWKS_OPTIONS = ['timeout', 'unknownKidInterval', 'maxAge', 'staleIfError', 'maxBytes'];

/** The `jwks` option: defaults 1000 ms, 5 s, 600 s, 3600 s, 512 KiB. */
export function resolveJwksTiming(value: unknown, where: string): JwksTiming {
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) configError(where, 'jwks must be { timeout?, unknownKidInterval?, maxAge?, staleIfError?, maxBytes? }');
  const { timeout = 1000, unknownKidInterval = 5, maxAge = 600, staleIfError = 3600, maxBytes = 524_288, ...rest } = (value ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) configError(where, `unknown jwks option "${unknown}" (allowed: ${JWKS_OPTIONS.join(', ')})`);
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!positive(timeout) || (timeout as number) > 60_000) configError(where, 'jwks.timeout must be a positive number of milliseconds, at most 60000');
  if (!positive(unknownKidInterval)) configError(where, 'jwks.unknownKidInterval must be a positive number of seconds');
  if (!positive(maxAge)) configError(where, 'jwks.maxAge must be a positive number of seconds');
  if (typeof staleIfError !== 'number' || !Number.isFinite(staleIfError) || staleIfError < 0) configError(where, 'jwks.staleIfError must be a number of seconds (0 or more)');
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 256) configError(where, 'jwks.maxBytes must be a whole number of bytes, at least 256');
  return Object.freeze({
    timeoutMs: timeout as number,
    unknownKidIntervalMs: (unknownKidInterval as number) * 1000,
    maxAgeMs: (maxAge as number) * 1000,
    staleIfErrorMs: staleIfError * 1000,
    maxBytes,
  });
}

/**
 * `algorithms`: an allow-list of exact names. Refused at start-up: `none` (an unsigned token), a
 * symmetric algorithm with public keys (the HS256-signed-with-the-public-key attack, RFC 8725
 * §2.1), an asymmetric one with `secret`, an HS algorithm whose secret is shorter than its hash,
 * and local keys that no allowed algorithm can use.
 */
export function resolveJwtAlgorithms(value: unknown, keys: JwtKeysConfig, where: string): readonly JwsAlgorithm[] {
  const secret = keys.kind === 'secret';
  if (value === undefined) return checkKeys(secret ? DEFAULT_SECRET_ALGORITHMS : DEFAULT_ALGORITHMS, keys, where);
  if (!Array.isArray(value) || value.length === 0) configError(where, `algorithms must be a non-empty array, e.g. ["${secret ? 'HS256' : 'RS256'}"]`);
  for (const alg of value) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') configError(where, 'algorithms must not contain "none": it accepts unsigned tokens');
    if (!isJwsAlgorithm(alg)) configError(where, `algorithms: unknown algorithm ${JSON.stringify(alg)} (names are case-sensitive; supported: ${JWS_ALGORITHMS.join(', ')})`);
    if (isSymmetric(alg) && !secret) configError(where, `algorithms: ${alg} verifies with a shared secret, never with public keys; use the secret option, or remove ${alg}`);
    if (!isSymmetric(alg) && secret) configError(where, `algorithms: ${alg} needs public keys (jwksUri, discovery or keys); with secret only HS256, HS384 and HS512 apply`);
  }
  return checkKeys(Object.freeze([...new Set(value as JwsAlgorithm[])]), keys, where);
}

function checkKeys(algorithms: readonly JwsAlgorithm[], keys: JwtKeysConfig, where: string): readonly JwsAlgorithm[] {
  if (keys.kind === 'secret') {
    const short = algorithms.find((alg) => !keyFitsAlgorithm(keys.key.key, alg));
    if (short) configError(where, `${short} needs a secret of at least ${minimumSecretBytes(short)} bytes`);
  }
  if (keys.kind === 'keys') {
    keys.keys.forEach((key, index) => {
      if (!algorithms.some((alg) => keyUsableFor(key, alg))) {
        const named = key.alg === undefined ? '' : ` (its JWK names ${JSON.stringify(key.alg)})`;
        configError(where, `keys: key ${index}${named} can verify none of the algorithms ${algorithms.join(', ')}; add its algorithm to algorithms, or remove the key`);
      }
    });
    if (keys.keys.filter((key) => key.kid === undefined).length > MAX_CANDIDATE_KEYS) configError(where, `keys: more than ${MAX_CANDIDATE_KEYS} keys without kid; give each key a kid`);
  }
  return algorithms;
}
