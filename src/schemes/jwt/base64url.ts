/**
 * Canonical base64url (RFC 4648 §5, as JWS uses it: RFC 7515 §2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-2
 *
 *   Base64url Encoding: Base64 encoding using the URL- and filename-safe character set defined in
 *   Section 5 of RFC 4648, with all trailing '=' characters omitted [...] and without the
 *   inclusion of any line breaks, whitespace, or other additional characters.
 *
 * Node's decoder is lenient (it skips `=`, whitespace and foreign characters, and ignores the
 * unused bits of the last character), so several strings decode to the same bytes. A verifier that
 * accepted them would give one token many spellings, which defeats caches, blocklists and replay
 * records keyed on the token. Only the canonical spelling is accepted here (RFC 4648 §3.5: the
 * unused "pad bits" must be zero).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CHARACTERS = /^[A-Za-z0-9_-]*$/;

/** Whether `text` is the one base64url spelling of some byte string. */
export function isCanonicalBase64url(text: string): boolean {
  if (!CHARACTERS.test(text)) return false;
  const tail = text.length % 4;
  // One character alone carries 6 bits: not even a byte.
  if (tail === 1) return false;
  if (tail === 0) return true;
  // 2 characters carry 1 byte (4 spare bits), 3 characters carry 2 bytes (2 spare bits).
  const last = ALPHABET.indexOf(text[text.length - 1]);
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0;
}

/** The bytes of a canonical base64url string; `undefined` for any other string. */
export function decodeBase64url(text: string): Buffer | undefined {
  return isCanonicalBase64url(text) ? Buffer.from(text, 'base64url') : undefined;
}
