/**
 * Helpers for the auth-param syntax shared by challenges and credentials.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.2
 *
 *   auth-param     = token BWS "=" BWS ( token / quoted-string )
 *   quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *   quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
 *   token          = 1*tchar
 *   tchar          = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 */

export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Everything a header value may carry except controls: HTAB, SP, VCHAR and obs-text.
const FIELD_TEXT = /^[\t\x20-\x7e\x80-\xff]*$/;

// tchar lookup by char code: the parser runs on every Digest request, one test per character.
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[ch.charCodeAt(0)] = 1;
export const isTchar = (code: number): boolean => code < 128 && TCHAR[code] === 1;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

export function isFieldText(value: string): boolean {
  return FIELD_TEXT.test(value);
}

/** Wraps a value in a quoted-string, escaping `"` and `\`. */
export function quote(value: string): string {
  // Most values (nonces, hashes, realms) need no escape: skip the regular expression for them.
  if (value.indexOf('"') === -1 && value.indexOf('\\') === -1) return `"${value}"`;
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The index of the first character at or after `i` that is not SP or HTAB (RFC 9110 BWS/OWS). */
function skipWhitespace(input: string, i: number): number {
  while (i < input.length) {
    const code = input.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09) break;
    i++;
  }
  return i;
}

/**
 * Parses a comma-separated `#auth-param` list. Returns `undefined` for anything malformed,
 * including a parameter given twice (RFC 9110 §11.2: each parameter name MUST only occur once).
 * Names are lower-cased; values are unquoted.
 */
export function parseAuthParams(input: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = 0;
  const n = input.length;

  let expectParam = true;
  while (i < n) {
    i = skipWhitespace(input, i);
    if (i >= n) break;
    if (input[i] === ',') {
      // Empty list elements are allowed by the #rule (RFC 9110 §5.6.1).
      i++;
      expectParam = true;
      continue;
    }
    if (!expectParam) return undefined;
    const nameStart = i;
    while (i < n && isTchar(input.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const name = input.slice(nameStart, i).toLowerCase();
    i = skipWhitespace(input, i);
    if (input[i] !== '=') return undefined;
    i++;
    i = skipWhitespace(input, i);
    let value: string;
    if (input[i] === '"') {
      i++;
      let out = '';
      let runStart = i;
      let closed = false;
      while (i < n) {
        const code = input.charCodeAt(i);
        if (code === 0x5c /* \\ */) {
          if (i + 1 >= n) return undefined;
          out += input.slice(runStart, i) + input[i + 1];
          i += 2;
          runStart = i;
          continue;
        }
        if (code === 0x22 /* " */) {
          closed = true;
          break;
        }
        if ((code < 0x20 && code !== 0x09) || code === 0x7f) return undefined;
        i++;
      }
      if (!closed) return undefined;
      value = out + input.slice(runStart, i);
      i++;
    } else {
      const valueStart = i;
      while (i < n && isTchar(input.charCodeAt(i))) i++;
      if (i === valueStart) return undefined;
      value = input.slice(valueStart, i);
    }
    if (params.has(name)) return undefined;
    params.set(name, value);
    expectParam = false;
  }
  return params;
}
