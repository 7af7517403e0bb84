import { createHash, X509Certificate } from 'node:crypto';

/**
 * Client certificates (mutual TLS): the certificate a TLS-terminating proxy forwards in a header,
 * and the certificate thumbprint of RFC 8705 §3.1. Pure: strings and bytes in, a certificate or
 * `undefined` out; nothing here decides whom to trust.
 */

/** How a proxy writes the certificate into its header. */
export type CertificateHeaderFormat = 'escaped-pem' | 'xfcc';

/** The longest header value read; a PEM certificate with a long chain of names is a few KiB. */
export const MAX_CERTIFICATE_HEADER_CHARS = 16 * 1024;

/**
 * One PEM certificate block (RFC 7468 §2, strict form: base64 lines, nothing else).
 *
 *   textualmsg = preeb *WSP eol *eolWSP base64text posteb
 *   preeb      = "-----BEGIN CERTIFICATE-----"
 *   posteb     = "-----END CERTIFICATE-----"
 *
 * Whitespace around the block and CR/LF/space/tab between base64 lines are allowed; a second
 * block, a private key or text outside the block is not.
 */
const PEM_BLOCK = /^\s*-----BEGIN CERTIFICATE-----[ \t]*\r?\n([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A PEM certificate as text: the certificate, or `undefined` when it is not exactly one well-formed one. */
export function certificateFromPem(pem: string): X509Certificate | undefined {
  const match = PEM_BLOCK.exec(pem);
  if (!match) return undefined;
  const base64 = match[1].replace(/\s+/g, '');
  if (base64 === '' || !BASE64.test(base64)) return undefined;
  return certificateFromDer(Buffer.from(base64, 'base64'));
}

/** DER bytes: the certificate, or `undefined` when OpenSSL cannot read them. */
export function certificateFromDer(der: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

/**
 * nginx's `$ssl_client_escaped_cert` (and AWS ALB's `X-Amzn-Mtls-Clientcert`): the PEM
 * certificate, percent-encoded (RFC 3986 §2.1).
 *
 *   escaped-pem = *( unreserved / pct-encoded / other visible characters )   ; decodes to one PEM block
 */
export function certificateFromEscapedPem(value: string): X509Certificate | undefined {
  if (value.length > MAX_CERTIFICATE_HEADER_CHARS) return undefined;
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  return certificateFromPem(pem);
}

/**
 * Envoy's `x-forwarded-client-cert` (XFCC): the `Cert` key of the header's one element, a
 * percent-encoded PEM certificate.
 *
 *   XFCC    = element *( "," element )
 *   element = pair *( ";" pair )
 *   pair    = key "=" value
 *   value   = quoted / *( any char but "," ";" DQUOTE )
 *   quoted  = DQUOTE *( any char but DQUOTE and "\" / "\" any char ) DQUOTE
 *   key     = "By" / "Hash" / "Cert" / "Chain" / "Subject" / "URI" / "DNS"   ; case-insensitive
 *
 * Each proxy on the way may append an element, and only the proxy configuration tells which one
 * describes the client: the header must hold exactly one element (Envoy's
 * `forward_client_cert_details: SANITIZE_SET`), with exactly one `Cert`; anything else is refused.
 */
export function certificateFromXfcc(value: string): X509Certificate | undefined {
  if (value.length > MAX_CERTIFICATE_HEADER_CHARS) return undefined;
  const elements = parseXfcc(value);
  if (!elements || elements.length !== 1) return undefined;
  const certs = elements[0].filter(([key]) => key.toLowerCase() === 'cert');
  if (certs.length !== 1) return undefined;
  return certificateFromEscapedPem(certs[0][1]);
}

/** The elements of an XFCC value as key/value pairs (quotes removed), or `undefined` when malformed. */
export function parseXfcc(value: string): [string, string][][] | undefined {
  const elements: [string, string][][] = [];
  let pairs: [string, string][] = [];
  let i = 0;
  const n = value.length;
  for (;;) {
    // key
    const eq = value.indexOf('=', i);
    if (eq === -1) return undefined;
    const key = value.slice(i, eq).trim();
    if (!/^[A-Za-z]+$/.test(key)) return undefined;
    i = eq + 1;
    // value
    let text = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const c = value[i];
        if (c === '"') break;
        if (c === '\\') {
          if (i + 1 >= n) return undefined;
          text += value[i + 1];
          i += 2;
        } else {
          text += c;
          i++;
        }
      }
      i++;
      while (value[i] === ' ' || value[i] === '\t') i++;
    } else {
      let end = i;
      while (end < n && value[end] !== ',' && value[end] !== ';' && value[end] !== '"') end++;
      if (value[end] === '"') return undefined;
      text = value.slice(i, end).trim();
      i = end;
    }
    pairs.push([key, text]);
    if (i >= n) break;
    if (value[i] === ';') {
      i++;
    } else if (value[i] === ',') {
      elements.push(pairs);
      pairs = [];
      i++;
    } else {
      return undefined;
    }
    while (value[i] === ' ' || value[i] === '\t') i++;
  }
  elements.push(pairs);
  return elements;
}

/** A forwarded certificate header in the given format. */
export function certificateFromHeader(value: string, format: CertificateHeaderFormat): X509Certificate | undefined {
  return format === 'xfcc' ? certificateFromXfcc(value) : certificateFromEscapedPem(value);
}

/**
 * RFC 8705 §3.1: the `x5t#S256` confirmation member, the base64url SHA-256 of the DER certificate.
 */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}
