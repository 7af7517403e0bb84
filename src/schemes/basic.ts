import { isUtf8 } from 'node:buffer';
import { quote } from '../internal/auth-params';
import { isAcceptableUsername } from './username';

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * @see https://www.rfc-editor.org/rfc/rfc7617#section-2
 *
 *   credentials = auth-scheme 1*SP token68
 *   token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * Basic carries standard base64 (RFC 4648 §4) with its padding; the URL-safe alphabet and
 * unpadded forms are refused.
 */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// RFC 7617 §2: "The user-id and password MUST NOT contain any control characters".
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Parses the part of a Basic `Authorization` value after the scheme. Never throws: anything
 * malformed (bad or non-canonical base64, no colon, control characters; in the user-id also C1
 * controls and U+2028/U+2029) is `undefined`.
 * User-id and password are read as UTF-8, or both as ISO-8859-1 when the bytes are not UTF-8.
 */
export function parseBasicCredentials(token68: string): BasicCredentials | undefined {
  if (token68.length === 0 || !STRICT_BASE64.test(token68)) return undefined;
  const bytes = Buffer.from(token68, 'base64');
  // Non-zero bits in the padding make a second spelling of the same bytes; refuse it.
  if (bytes.toString('base64') !== token68) return undefined;
  const decoded = bytes.toString(isUtf8(bytes) ? 'utf8' : 'latin1');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (!isAcceptableUsername(username) || CONTROL.test(password)) return undefined;
  return { username, password };
}

/** `Basic realm="…"` (with `charset="UTF-8"` when asked for, RFC 7617 §2.1). */
export function basicChallenge(scheme: string, realm: string, charset?: 'UTF-8'): string {
  return `${scheme} realm=${quote(realm)}${charset ? `, charset=${quote(charset)}` : ''}`;
}
