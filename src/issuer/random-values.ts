import { createHmac, randomBytes } from 'node:crypto';
import { isCanonicalBase64url } from '../schemes/jwt/base64url';

/**
 * The random values of the issuer, all base64url: refresh tokens (256 bits, RFC 9700 §4.14 asks
 * for tokens an attacker cannot guess), and 128-bit ids (`jti`, `sid`, `csrf`, subject epochs).
 */

const REFRESH_TOKEN_BYTES = 32;
const ID_BYTES = 16;

/** 43 characters: 32 bytes of base64url without padding. Never contains a dot, so it is never a JWT. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const ID = /^[A-Za-z0-9_-]{22}$/;

export const newRefreshToken = (): string => randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
export const newId = (): string => randomBytes(ID_BYTES).toString('base64url');

/** Whether `value` has the shape of a refresh token this issuer makes (checked before any store call). */
export const isRefreshTokenShape = (value: string): boolean => REFRESH_TOKEN.test(value) && isCanonicalBase64url(value);

/** Whether a `jti` or `sid` claim has the shape of the ids this issuer makes. */
export const isIdShape = (value: unknown): value is string => typeof value === 'string' && ID.test(value);

/** The keyed hash a value is stored under (HMAC-SHA-256, base64url): a copy of the store yields no usable token. */
export const keyedHash = (key: Buffer, value: string): string => createHmac('sha256', key).update(value, 'utf8').digest('base64url');
