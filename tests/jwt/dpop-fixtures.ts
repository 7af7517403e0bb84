import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { accessTokenHash, jwkThumbprint } from '../../src/schemes/dpop';
import { signRaw } from '../schemes/jwt/tokens';

/**
 * What the DPoP red-team tables of `@JwtAuth` and `@IntrospectionAuth` share: the client's key (and
 * a thief's), proofs signed by hand, and the exact `error_description` of each proof refusal.
 */
export const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const CLIENT_JWK = client.publicKey.export({ format: 'jwk' });
export const OTHER_JWK = other.publicKey.export({ format: 'jwk' });
export const JKT = jwkThumbprint(CLIENT_JWK)!;

export const now = () => Math.floor(Date.now() / 1000);

export interface ProofOptions {
  method?: string;
  /** A path on the origin the proof maker was made for, or an absolute URL. */
  url?: string;
  accessToken?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** The signing key. @default the client's */
  key?: KeyObject;
  /** The header's `jwk`. @default the client's public key */
  jwk?: object;
}

/** A maker of ES256 proofs for `method url` on `origin`, `url` defaulting to `defaultPath`. */
export function proofMaker(origin: string, defaultPath: string) {
  return ({ method = 'GET', url = defaultPath, accessToken, header = {}, claims = {}, key = client.privateKey, jwk = CLIENT_JWK }: ProofOptions = {}): string =>
    signRaw(
      key,
      { typ: 'dpop+jwt', alg: 'ES256', jwk, ...header },
      { jti: randomBytes(12).toString('base64url'), htm: method, htu: url.startsWith('/') ? `${origin}${url}` : url, iat: now(), ...(accessToken ? { ath: accessTokenHash(accessToken) } : {}), ...claims },
    );
}

/** `Authorization: DPoP <token>` and the `DPoP` field(s). */
export const dpopHeaders = (token: string, proof: string | string[]): Record<string, string | string[]> => ({ Authorization: `DPoP ${token}`, DPoP: proof });

/** The `error_description` of each proof refusal: the expected values, written out. */
export const PROOF_DESCRIPTIONS: Readonly<Record<string, string>> = {
  dpop_proof_missing: 'a DPoP proof is required',
  dpop_proof_twice: 'more than one DPoP proof was sent',
  dpop_proof_malformed: 'the DPoP proof is not a well-formed JWT',
  dpop_typ_invalid: 'the DPoP proof type (typ) must be dpop+jwt',
  dpop_alg_not_allowed: 'the DPoP proof is signed with an algorithm that is not accepted',
  dpop_jwk_private: 'the DPoP proof key (jwk) must not contain a private key',
  dpop_signature_invalid: 'the DPoP proof signature is invalid',
  dpop_htm_mismatch: 'the DPoP proof is for another HTTP method (htm)',
  dpop_htu_mismatch: 'the DPoP proof is for another URL (htu)',
  dpop_iat_too_old: 'the DPoP proof is too old (iat)',
  dpop_iat_in_future: 'the DPoP proof was issued in the future (iat)',
  dpop_ath_mismatch: 'the DPoP proof is for another access token (ath)',
  dpop_replay: 'the DPoP proof has been used before (jti)',
};
