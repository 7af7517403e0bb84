import { decodeBase64url } from './base64url';

/**
 * The JWS Compact Serialization, parsed strictly.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 *
 *   BASE64URL(UTF8(JWS Protected Header)) || '.' ||
 *   BASE64URL(JWS Payload) || '.' ||
 *   BASE64URL(JWS Signature)
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2 (validation, steps 1–3)
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2 (steps 9–10: the claims are a JSON object)
 *
 * A JWE (five segments) or an unsecured JWS with an empty header never parses. Duplicate member
 * names: RFC 7515 §5.2 lets a parser refuse them or take the lexically last one; `JSON.parse`
 * takes the last, and so do jose and every mainstream verifier, so a header means the same here as
 * it does to the issuer's own libraries. A byte-order mark or any invalid UTF-8 is refused.
 */

/** Tokens longer than this are refused before any decoding, JSON parsing or crypto. */
export const MAX_TOKEN_LENGTH = 8192;

export type JsonObject = Record<string, unknown>;

/** A JSON object (RFC 8259 §4): not `null`, not an array. */
export const isJsonObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

export interface CompactJws {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  /** The ASCII bytes `header '.' payload` that the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a BOM stays in the text so JSON.parse refuses it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function jsonObject(segment: string): JsonObject | undefined {
  const bytes = decodeBase64url(segment);
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The three parts of a compact JWS, or why it is refused. Never throws. */
export function parseCompactJws(token: string): CompactJws | 'token_too_large' | 'malformed' {
  if (typeof token !== 'string') return 'malformed';
  if (token.length > MAX_TOKEN_LENGTH) return 'token_too_large';
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) return 'malformed';
  const signature = decodeBase64url(token.slice(second + 1));
  if (signature === undefined) return 'malformed';
  const header = jsonObject(token.slice(0, first));
  if (header === undefined) return 'malformed';
  const payload = jsonObject(token.slice(first + 1, second));
  if (payload === undefined) return 'malformed';
  return { header, payload, signingInput: Buffer.from(token.slice(0, second), 'latin1'), signature };
}
