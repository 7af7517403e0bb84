/**
 * Pure HTTP Digest protocol code: parsing the credentials of an `Authorization: Digest` value.
 * Never throws on client input.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7616#section-3.4
 */
import { parseAuthParams } from '../internal/auth-params';
import { isAcceptableUsername } from './username';
import { digestHexLength, isSessionAlgorithm, normalizeAlgorithm, type DigestAlgorithm, type DigestQop } from './digest';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node hands header values over as ISO-8859-1. curl and browsers put a non-ASCII user name into
 * the quoted `username` as raw UTF-8 (and hash those bytes), others send ISO-8859-1: read the
 * bytes as UTF-8 when they are valid UTF-8, as ISO-8859-1 otherwise (as Basic does, RFC 7617 §2.1).
 */
function headerText(latin1: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(latin1)) return latin1;
  try {
    return strictUtf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1;
  }
}

export interface DigestCredentials {
  /** The decoded user name, or H(username:realm) as lowercase hex when `usernameIsHash`. */
  username: string;
  usernameIsHash: boolean;
  realm: string;
  nonce: string;
  uri: string;
  /** Lowercase hex of the algorithm's digest length. */
  response: string;
  /** `MD5` when the client sent no `algorithm` (RFC 7616 §3.3). */
  algorithm: DigestAlgorithm;
  algorithmGiven: boolean;
  qop?: DigestQop;
  /** Exactly 8 hex digits, as sent (it enters the hash verbatim); set only with `qop`. */
  nc?: string;
  /** Set only with `qop`. */
  cnonce?: string;
  opaque?: string;
}

export type DigestParseResult =
  | { ok: true; credentials: DigestCredentials }
  | { ok: false; status: 400 | 401; reason: string };

/*
 * @see https://www.rfc-editor.org/rfc/rfc7616#section-3.4
 *
 *   nc-value = 8LHEX
 *   qop-value = "auth" / "auth-int" / token
 *   request-digest = DQUOTE 32LHEX DQUOTE    (64LHEX for the SHA variants)
 */
const NC_VALUE = /^[0-9a-fA-F]{8}$/;
const HEX = /^[0-9a-fA-F]+$/;

const REQUIRED = ['realm', 'nonce', 'uri', 'response'] as const;

const fail = (status: 400 | 401, reason: string): DigestParseResult => ({ ok: false, status, reason });

/**
 * Parses Digest credentials: the `Authorization` value after `Digest` and its whitespace.
 * Never throws: malformed input gives `{ ok: false }` with 401, or 400 where RFC 7616 asks for it.
 * @example parseDigestCredentials('username="Mufasa", realm="r", nonce="n", uri="/", response="…"')
 */
export function parseDigestCredentials(afterScheme: string): DigestParseResult {
  const params = parseAuthParams(afterScheme);
  if (!params) return fail(401, 'malformed parameters');

  const plainName = params.get('username');
  const extName = params.get('username*');
  // RFC 7616 §3.4.4: a request with both MUST be answered with 400.
  if (plainName !== undefined && extName !== undefined) return fail(400, 'both username and username*');
  if (plainName === undefined && extName === undefined) return fail(401, 'missing username');
  for (const name of REQUIRED) {
    if (params.get(name) === undefined) return fail(401, `missing ${name}`);
  }

  const userhashParam = params.get('userhash')?.toLowerCase();
  if (userhashParam !== undefined && userhashParam !== 'true' && userhashParam !== 'false') {
    return fail(401, 'invalid userhash');
  }
  const usernameIsHash = userhashParam === 'true';

  const algorithmParam = params.get('algorithm');
  const algorithm = algorithmParam === undefined ? 'MD5' : normalizeAlgorithm(algorithmParam);
  if (!algorithm) return fail(401, 'unsupported algorithm');

  let username: string;
  if (extName !== undefined) {
    // The extended form exists for names a quoted-string cannot carry; a hash never needs it.
    if (usernameIsHash) return fail(401, 'username* with userhash');
    const decoded = decodeExtValue(extName);
    if (decoded === undefined) return fail(401, 'invalid username*');
    username = decoded;
  } else {
    username = headerText(plainName as string);
    if (usernameIsHash) {
      if (!isHexOfLength(username, digestHexLength(algorithm))) return fail(401, 'invalid hashed username');
      username = username.toLowerCase();
    }
  }
  // A quoted-string may carry TAB, and its obs-text decodes to C1 controls or U+2028 as readily.
  if (!isAcceptableUsername(username)) return fail(401, 'control character in username');

  const credentials: DigestCredentials = {
    username,
    usernameIsHash,
    realm: params.get('realm') as string,
    nonce: params.get('nonce') as string,
    uri: params.get('uri') as string,
    response: '',
    algorithm,
    algorithmGiven: algorithmParam !== undefined,
  };

  const qopParam = params.get('qop');
  if (qopParam !== undefined) {
    const qop = qopParam.toLowerCase();
    if (qop !== 'auth' && qop !== 'auth-int') return fail(401, 'unsupported qop');
    const nc = params.get('nc');
    if (nc === undefined || !NC_VALUE.test(nc)) return fail(401, 'invalid nc');
    const cnonce = params.get('cnonce');
    if (!cnonce) return fail(401, 'missing cnonce');
    credentials.qop = qop;
    credentials.nc = nc;
    credentials.cnonce = cnonce;
  }
  // Without qop (RFC 2069 mode) a stray cnonce is ignored, so -sess has nothing to mix in.
  if (isSessionAlgorithm(algorithm) && credentials.cnonce === undefined) {
    return fail(401, 'session algorithm without cnonce');
  }

  const response = params.get('response') as string;
  if (!isHexOfLength(response, digestHexLength(algorithm))) return fail(401, 'invalid response');
  credentials.response = response.toLowerCase();

  const opaque = params.get('opaque');
  if (opaque !== undefined) credentials.opaque = opaque;

  return { ok: true, credentials };
}

function isHexOfLength(value: string, length: number): boolean {
  return value.length === length && HEX.test(value);
}

/*
 * @see https://www.rfc-editor.org/rfc/rfc8187#section-3.2.1
 *
 *   ext-value     = charset  "'" [ language ] "'" value-chars
 *   charset       = "UTF-8" / mime-charset          ; only UTF-8 is accepted here
 *   language      = Language-Tag                    ; RFC 5646, checked loosely
 *   value-chars   = *( pct-encoded / attr-char )
 *   pct-encoded   = "%" HEXDIG HEXDIG
 *   attr-char     = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 */
const EXT_VALUE = /^utf-8'([A-Za-z0-9-]*)'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*)$/i;
const LANGUAGE_TAG = /^(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)?$/;
const CONTROL = /[\x00-\x1f\x7f]/;

// Returns undefined for another charset, bad percent-encoding, invalid UTF-8, or a decoded control
// character (a user name never needs one, and it would end up in logs).
function decodeExtValue(value: string): string | undefined {
  const match = EXT_VALUE.exec(value);
  if (!match || !LANGUAGE_TAG.test(match[1])) return undefined;
  const encoded = match[2];
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  let decoded: string;
  try {
    decoded = strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  return CONTROL.test(decoded) ? undefined : decoded;
}

